/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minixvm: the differences between the kernel versions it builds for
 * (6.1 and 6.12 LTS), kept in one place so that the code reads the same on
 * every version.
 */
#ifndef _MINIXVM_COMPAT_H
#define _MINIXVM_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>

/*
 * vm_flags became read-only in 6.3, written through vm_flags_set() and
 * friends, which also take the per-VMA lock.  Before, the field is written
 * directly (under the mmap write lock, as ->mmap() holds it).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma,
				  vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * pin_user_pages_remote() lost its vmas argument in 6.5.  Called with the
 * mmap_lock held and no "locked" pointer: it never drops the lock.
 */
static inline long mxvm_pin_user_pages_remote(struct mm_struct *mm,
					      unsigned long start,
					      unsigned long nr_pages,
					      unsigned int gup_flags,
					      struct page **pages)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     NULL, NULL);
#else
	return pin_user_pages_remote(mm, start, nr_pages, gup_flags, pages,
				     NULL);
#endif
}

/*
 * How many PTEs map an order-0 page: page_mapcount() until it went in
 * 6.12, where folio_mapcount() (exported only as an inline from then on)
 * replaces it.
 */
static inline int mxvm_page_mapcount(struct page *page)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
	return page_mapcount(page);
#else
	return folio_mapcount(page_folio(page));
#endif
}

#endif /* _MINIXVM_COMPAT_H */
