// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm regions: the memory the module owns.
 *
 * Every page and every object the module allocates goes through the helpers
 * here, so that the counters in /sys/class/misc/minixvm/ are exact and a
 * leak shows up as a non-zero count once the last file is closed.  Pages are
 * zeroed and charged to the allocating task's memory cgroup.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>

#include "internal.h"

struct mxvm_stats mxvm_stats;

/**
 * mxvm_alloc_page() - allocate a zeroed, memcg-charged page for the module
 * @gfp: allocation context, usually GFP_KERNEL; __GFP_ZERO and
 *	__GFP_ACCOUNT are added
 *
 * Return: the page with one reference, or NULL.
 */
struct page *mxvm_alloc_page(gfp_t gfp)
{
	struct page *page = alloc_page(gfp | __GFP_ZERO | __GFP_ACCOUNT);

	if (page)
		atomic_long_inc(&mxvm_stats.pages);
	return page;
}

/**
 * mxvm_free_page() - drop the module's reference to a page
 * @page: a page from mxvm_alloc_page()
 *
 * The page itself is freed when its last reference goes; the module stops
 * counting it now, since it no longer holds it.
 */
void mxvm_free_page(struct page *page)
{
	atomic_long_dec(&mxvm_stats.pages);
	put_page(page);
}

/**
 * mxvm_alloc_obj() - allocate a zeroed, memcg-charged module object
 * @size: size of the object
 * @gfp: allocation context, usually GFP_KERNEL; __GFP_ZERO and
 *	__GFP_ACCOUNT are added
 *
 * Return: the object, or NULL.
 */
void *mxvm_alloc_obj(size_t size, gfp_t gfp)
{
	void *obj = kmalloc(size, gfp | __GFP_ZERO | __GFP_ACCOUNT);

	if (obj)
		atomic_long_inc(&mxvm_stats.objects);
	return obj;
}

/**
 * mxvm_free_obj() - free an object from mxvm_alloc_obj()
 * @obj: the object, or NULL
 */
void mxvm_free_obj(const void *obj)
{
	if (!obj)
		return;
	atomic_long_dec(&mxvm_stats.objects);
	kfree(obj);
}
