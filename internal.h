/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minixvm internal interfaces, shared by minixvm.c, region.c and mapmem.c.
 *
 * Locking order, outermost first.  Every lock the module adds takes its
 * place here before it is used; lockdep on the debug kernel checks the
 * order, and page (folio) locks, which lockdep does not see, are never
 * taken while waiting for a module lock.
 *
 *   mmap_lock of the calling mm (taken by the core around faults and by
 *                                the map ioctls; never two mms' at once)
 *     -> module region locks
 *       -> folio lock
 *         -> i_mmap_rwsem      (inside unmap_mapping_range())
 *           -> page table lock (core mm)
 *
 * Rules that follow from it:
 *  - no copy_from_user()/copy_to_user() while holding any module lock:
 *    the copy may fault on a minixvm mapping and take the locks again;
 *  - unmap_mapping_range() sleeps and takes i_mmap_rwsem: never under a
 *    spinlock;
 *  - the statistics below are atomics and need no lock.
 */
#ifndef _MINIXVM_INTERNAL_H
#define _MINIXVM_INTERNAL_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/types.h>

struct page;

/**
 * struct mxvm_stats - global counters of what the module holds
 * @pages: module-owned pages currently allocated
 * @objects: module objects currently allocated (open files, regions,
 *	grants, ...), whatever their type
 *
 * Both are exact: every allocation increments, every free decrements, and
 * both must be zero when the last file is closed.  They are exported read
 * only in /sys/class/misc/minixvm/ and checked by every test.
 */
struct mxvm_stats {
	atomic_long_t pages;
	atomic_long_t objects;
};

extern struct mxvm_stats mxvm_stats;

/* region.c: module-owned pages and objects, counted */
struct page *mxvm_alloc_page(gfp_t gfp);
void mxvm_free_page(struct page *page);
void *mxvm_alloc_obj(size_t size, gfp_t gfp);
void mxvm_free_obj(const void *obj);

/* mapmem.c: argument checks shared by the mapping commands */
int mxvm_check_user_range(u64 addr, u64 len);

#endif /* _MINIXVM_INTERNAL_H */
