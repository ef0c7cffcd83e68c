// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm mapmem: mapping memory over memory, after MINIX 3's
 * servers/vm/map_mem.c (map_memory(), unmap_memory()).
 *
 * Both calls work on ranges of the caller's address space.  A range is
 * resolved, under the caller's mmap_lock, into segments: runs of pages of
 * one region, one per minixvm VMA it crosses.  Then, under mxvm_lock, the
 * call plans what it needs (how many new pages, which slots to reserve),
 * allocates all of it, and only then changes the slots, so that it either
 * changes everything or, failing, nothing (MINIX left partial state).
 * Last it zaps the PTEs of the changed ranges, one unmap_mapping_range()
 * per segment, and frees the pages nothing holds any more.
 *
 * The rules of map_memory(), per source page, with our fixes:
 *  - an untouched source page is first made present, zero-filled;
 *  - SHARED or READONLY over a page that is copy-on-write shared: the
 *    source first gets its own copy, and that copy is shared (MINIX case a);
 *  - COW over a page that is shared now: the destination gets a private
 *    copy at once (case c; MINIX also copied when the page *had been*
 *    shared, a stale flag);
 *  - otherwise the destination's slot holds the source's block: shared
 *    (read-only for READONLY), or copy-on-write, in which case the
 *    source's PTEs are zapped so that its next write asks again.
 * The destination's previous pages are dropped first, as MINIX's
 * rm_phys_regions() did.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include <linux/minixvm.h>

#include "internal.h"

/* A position in a range, page by page. */
struct mxvm_cursor {
	struct mxvm_seg *seg;
	unsigned long off;
};

static void mxvm_cursor_init(struct mxvm_cursor *c, struct mxvm_range *r)
{
	c->seg = r->segs;
	c->off = 0;
}

static unsigned long mxvm_cursor_idx(struct mxvm_cursor *c)
{
	return c->seg->idx + c->off;
}

static void mxvm_cursor_next(struct mxvm_cursor *c)
{
	if (++c->off == c->seg->nr) {
		c->seg++;
		c->off = 0;
	}
}

/**
 * mxvm_check_user_range() - check a user address range given to a command
 * @addr: start of the range
 * @len: length of the range in bytes
 *
 * The range must be page aligned, non-empty and lie wholly inside the
 * calling task's address space, with no wrap-around (the checks and their
 * order follow userfaultfd's validate_range()).
 *
 * Return: 0, or -EINVAL.
 */
int mxvm_check_user_range(u64 addr, u64 len)
{
	if (!PAGE_ALIGNED(addr) || !PAGE_ALIGNED(len) || !len)
		return -EINVAL;
	if (addr >= TASK_SIZE || len > TASK_SIZE - addr)
		return -EINVAL;
	return 0;
}

/**
 * mxvm_resolve() - resolve a user range into runs of region pages
 * @mm: the mm, its mmap_lock held
 * @addr: start of the range
 * @len: length in bytes
 * @r: out: the runs, kvmalloc()ed: the caller kvfree()s @r->segs
 *
 * Every byte must be mapped (else -EFAULT) by minixvm VMAs (else -EINVAL).
 * The regions are valid while the mmap_lock is held.
 *
 * Return: 0, -EFAULT, -EINVAL or -ENOMEM.
 */
int mxvm_resolve(struct mm_struct *mm, u64 addr, u64 len,
		 struct mxvm_range *r)
{
	unsigned long cur, end = addr + len;
	struct vm_area_struct *vma;
	struct mxvm_seg *seg;
	unsigned int n = 0;

	/* mmap_assert_locked() needs dump_mm(), unexported in 6.1. */
	lockdep_assert_held(&mm->mmap_lock);
	for (cur = addr; cur < end; cur = vma->vm_end) {
		vma = find_vma(mm, cur);
		if (!vma || vma->vm_start > cur)
			return -EFAULT;
		if (!mxvm_is_region_vma(vma))
			return -EINVAL;
		n++;
	}

	r->segs = mxvm_should_fail() ? NULL :
		  kvmalloc_array(n, sizeof(*r->segs), GFP_KERNEL);
	if (!r->segs)
		return -ENOMEM;
	r->nsegs = 0;
	for (cur = addr; cur < end; cur = vma->vm_end) {
		struct mxvm_region *region;
		unsigned long s, e, idx;

		vma = find_vma(mm, cur);
		region = vma->vm_private_data;
		/* A fork snapshot that could not be made is not memory. */
		if (region->broken)
			return -EFAULT;
		s = max(cur, vma->vm_start);
		e = min(end, vma->vm_end);
		idx = vma->vm_pgoff + ((s - vma->vm_start) >> PAGE_SHIFT) -
		      region->window->pgoff;
		seg = r->nsegs ? &r->segs[r->nsegs - 1] : NULL;
		/* A VMA split by mprotect() continues the same run. */
		if (seg && seg->region == region && seg->idx + seg->nr == idx) {
			seg->nr += (e - s) >> PAGE_SHIFT;
			continue;
		}
		seg = &r->segs[r->nsegs++];
		seg->region = region;
		seg->idx = idx;
		seg->nr = (e - s) >> PAGE_SHIFT;
		seg->zap = false;
	}
	return 0;
}

/* A run of region pages, for the overlap check. */
struct mxvm_run {
	struct mxvm_region *region;
	unsigned long idx;
	unsigned long end;
	bool dst;
};

static int mxvm_run_cmp(const void *a, const void *b)
{
	const struct mxvm_run *x = a, *y = b;

	if (x->region != y->region)
		return x->region < y->region ? -1 : 1;
	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return 0;
}

static void mxvm_add_runs(struct mxvm_run *runs, struct mxvm_range *r,
			  bool dst)
{
	unsigned int i;

	for (i = 0; i < r->nsegs; i++) {
		runs[i].region = r->segs[i].region;
		runs[i].idx = r->segs[i].idx;
		runs[i].end = r->segs[i].idx + r->segs[i].nr;
		runs[i].dst = dst;
	}
}

/**
 * mxvm_check_overlap() - check a source and a destination of a map
 * @src: the source runs
 * @dst: the destination runs
 *
 * The destination may share no region page with the source nor with
 * itself (two VMAs can map the same page): each of its slots is dropped
 * and linked exactly once.  The source may name a page twice; it is only
 * read.  Sorted by region and index: O(n log n) in the number of runs.
 *
 * Return: 0, -EINVAL on overlap, or -ENOMEM.
 */
int mxvm_check_overlap(struct mxvm_range *src, struct mxvm_range *dst)
{
	unsigned int i, n = src->nsegs + dst->nsegs;
	unsigned long end_all = 0, end_dst = 0;
	struct mxvm_region *region = NULL;
	struct mxvm_run *runs;
	int ret = 0;

	runs = mxvm_should_fail() ? NULL :
	       kvmalloc_array(n, sizeof(*runs), GFP_KERNEL);
	if (!runs)
		return -ENOMEM;
	mxvm_add_runs(runs, src, false);
	mxvm_add_runs(runs + src->nsegs, dst, true);
	sort(runs, n, sizeof(*runs), mxvm_run_cmp, NULL);
	for (i = 0; i < n; i++) {
		struct mxvm_run *run = &runs[i];

		if (run->region != region) {
			region = run->region;
			end_all = 0;
			end_dst = 0;
		}
		if (run->idx < (run->dst ? end_all : end_dst)) {
			ret = -EINVAL;
			break;
		}
		end_all = max(end_all, run->end);
		if (run->dst)
			end_dst = max(end_dst, run->end);
	}
	kvfree(runs);
	return ret;
}

static void mxvm_zap_range(struct mxvm_range *r, bool all)
{
	unsigned int i;

	for (i = 0; i < r->nsegs; i++)
		if (all || r->segs[i].zap)
			mxvm_zap(r->segs[i].region, r->segs[i].idx,
				 r->segs[i].nr);
}

/* Drop the reservations of the first @npages slots of a range. */
static void mxvm_unreserve(struct mxvm_range *r, unsigned long npages)
{
	struct mxvm_cursor c;
	unsigned long i;

	/* xa_release() only drops reservations, never real entries. */
	mxvm_cursor_init(&c, r);
	for (i = 0; i < npages; i++, mxvm_cursor_next(&c))
		xa_release(&c.seg->region->slots, mxvm_cursor_idx(&c));
}

/*
 * Reserve the empty slots of a range, so that storing into them during the
 * commit allocates nothing.  On failure, undo the reservations.
 */
static int mxvm_reserve(struct mxvm_range *r, unsigned long npages)
{
	struct mxvm_cursor c;
	unsigned long i;
	int ret = 0;

	mxvm_cursor_init(&c, r);
	for (i = 0; i < npages; i++, mxvm_cursor_next(&c)) {
		ret = mxvm_should_fail() ? -ENOMEM :
		      xa_reserve(&c.seg->region->slots, mxvm_cursor_idx(&c),
				 GFP_KERNEL);
		if (ret)
			break;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			i++;	/* this one was reserved */
			break;
		}
		cond_resched();
	}
	if (ret)
		mxvm_unreserve(r, i);
	return ret;
}

static inline void *mxvm_slot(struct mxvm_cursor *c)
{
	return xa_load(&c->seg->region->slots, mxvm_cursor_idx(c));
}

static inline void mxvm_set_slot(struct mxvm_cursor *c,
				 struct mxvm_block *block, unsigned long tag)
{
	/* The slot exists or is reserved: this allocates nothing. */
	xa_store(&c->seg->region->slots, mxvm_cursor_idx(c),
		 xa_tag_pointer(block, tag), GFP_NOWAIT);
}

/* What map_memory() will copy, at most: see the header comment. */
static int mxvm_map_plan(struct mxvm_range *src, unsigned long npages,
			 u32 mode, unsigned long *ncopies)
{
	struct mxvm_block *block;
	struct mxvm_cursor c;
	unsigned long i;
	void *entry;

	/* Never more rights than the source has: SHARED needs write. */
	if (mode == MINIXVM_MAP_SHARED) {
		for (i = 0; i < src->nsegs; i++)
			if (!src->segs[i].region->writable)
				return -EACCES;
	}
	*ncopies = 0;
	mxvm_cursor_init(&c, src);
	for (i = 0; i < npages; i++, mxvm_cursor_next(&c)) {
		entry = mxvm_slot(&c);
		block = mxvm_slot_block(entry);
		if (!block) {
			(*ncopies)++;	/* a zero page to make it present */
			continue;
		}
		if (mode == MINIXVM_MAP_SHARED && mxvm_slot_ro(entry))
			return -EACCES;
		if (block->refs > 1 &&
		    block->share == (mode == MINIXVM_MAP_COW ? MXVM_SMAP : MXVM_COW))
			(*ncopies)++;
	}
	return 0;
}

/* Drop the destination's pages (MINIX rm_phys_regions()). */
static void mxvm_map_drop_dst(struct mxvm_range *dst, unsigned long npages,
			      struct list_head *to_free)
{
	struct mxvm_block *block;
	struct mxvm_cursor c;
	unsigned long i;

	mxvm_cursor_init(&c, dst);
	for (i = 0; i < npages; i++, mxvm_cursor_next(&c)) {
		block = mxvm_slot_block(mxvm_slot(&c));
		if (!block)
			continue;
		mxvm_page_barrier(block);
		/* The slot keeps its stale entry until the link below. */
		mxvm_block_put(block, to_free);
	}
}

/* Link one source page into one destination slot (MINIX do_map_memory()). */
static void mxvm_map_page(struct mxvm_cursor *s, struct mxvm_cursor *d,
			  u32 mode, struct list_head *prealloc,
			  struct list_head *to_free)
{
	void *entry = mxvm_slot(s);
	struct mxvm_block *block = mxvm_slot_block(entry);
	struct mxvm_block *copy;

	if (!block) {
		block = mxvm_block_take(prealloc);
		mxvm_block_get(block, MXVM_PRIVATE);
		mxvm_set_slot(s, block, 0);
	} else if (mode != MINIXVM_MAP_COW && block->refs > 1 &&
		   block->share == MXVM_COW) {
		/* (a) SMAP over COW: the source gets its own copy first. */
		copy = mxvm_block_take(prealloc);
		mxvm_block_copy(copy, block);
		mxvm_page_barrier(block);
		mxvm_block_get(copy, MXVM_PRIVATE);
		mxvm_set_slot(s, copy, xa_pointer_tag(entry));
		mxvm_block_put(block, to_free);
		s->seg->zap = true;
		block = copy;
	}

	if (mode == MINIXVM_MAP_COW && block->refs > 1 &&
	    block->share == MXVM_SMAP) {
		/* (c) COW over a page shared now: an eager private copy. */
		copy = mxvm_block_take(prealloc);
		mxvm_block_copy(copy, block);
		mxvm_block_get(copy, MXVM_PRIVATE);
		mxvm_set_slot(d, copy, 0);
		return;
	}
	if (mode == MINIXVM_MAP_COW) {
		/* (d) COW: the source's writable PTEs must go. */
		mxvm_block_get(block, MXVM_COW);
		mxvm_page_barrier(block);
		s->seg->zap = true;
		mxvm_set_slot(d, block, 0);
		return;
	}
	/* (e) SMAP, writable or read-only. */
	mxvm_block_get(block, MXVM_SMAP);
	mxvm_set_slot(d, block,
		      mode == MINIXVM_MAP_READONLY ? MXVM_SLOT_RO : 0);
}

/**
 * mxvm_map_locked() - map runs of pages over others (MINIX map_memory())
 * @src: the source runs
 * @dst: the destination runs, as many pages, checked by
 *	mxvm_check_overlap()
 * @npages: the number of pages
 * @mode: &enum minixvm_map_mode
 * @req: for SAFEMAP, the mapping to record for each destination run;
 *	NULL for MAP
 *
 * Mappings made through grants into the destination end where it is
 * mapped over (their records shrink), as MINIX's map_info entries should
 * have; granted-in source pages shared onward take their records along
 * (mxvm_gmap_derive()).  Called under mxvm_lock.
 *
 * Return: 0, or a negative errno and nothing changed.
 */
int mxvm_map_locked(struct mxvm_range *src, struct mxvm_range *dst,
		    unsigned long npages, u32 mode, struct mxvm_gmap_req *req)
{
	unsigned long i, ncopies;
	unsigned int nderive = 0;
	struct mxvm_cursor s, d;
	u64 src_addr;
	LIST_HEAD(prealloc);
	LIST_HEAD(to_free);
	LIST_HEAD(spare);
	int ret;

	lockdep_assert_held(&mxvm_lock);
	ret = mxvm_map_plan(src, npages, mode, &ncopies);
	if (ret)
		return ret;
	if (mode != MINIXVM_MAP_COW)
		nderive = mxvm_gmap_derive(src, dst, req, NULL);
	if (req && req->grantee->nr_gmaps + dst->nsegs + nderive > req->max)
		return -ENOSPC;
	ret = mxvm_reserve(src, npages);
	if (ret)
		return ret;
	ret = mxvm_reserve(dst, npages);
	if (ret)
		goto out_unreserve_src;
	ret = mxvm_block_prealloc(&prealloc, ncopies, true);
	if (ret)
		goto out_unreserve_dst;
	ret = mxvm_gmap_prealloc(&spare, mxvm_gmap_cuts(dst) + nderive +
					 (req ? dst->nsegs : 0));
	if (ret)
		goto out_free_blocks;

	/* Nothing below can fail. */
	for (i = 0; i < dst->nsegs; i++)
		mxvm_gmap_cut(dst->segs[i].region, dst->segs[i].idx,
			      dst->segs[i].nr, &spare);
	mxvm_map_drop_dst(dst, npages, &to_free);
	mxvm_cursor_init(&s, src);
	mxvm_cursor_init(&d, dst);
	for (i = 0; i < npages; i++) {
		mxvm_map_page(&s, &d, mode, &prealloc, &to_free);
		mxvm_cursor_next(&s);
		mxvm_cursor_next(&d);
		cond_resched();
	}
	if (req) {
		src_addr = req->tmpl.src_addr;
		for (i = 0; i < dst->nsegs; i++) {
			mxvm_gmap_add(req, &dst->segs[i], src_addr, &spare);
			src_addr += dst->segs[i].nr << PAGE_SHIFT;
		}
	}
	if (nderive)
		mxvm_gmap_derive(src, dst, req, &spare);
	mxvm_zap_range(dst, true);
	mxvm_zap_range(src, false);
	mxvm_settle(NULL);
	mxvm_block_free_list(&to_free);
	/* Planned copies that sharing changes made unnecessary. */
	mxvm_block_free_list(&prealloc);
	mxvm_gmap_free_list(&spare);
	return 0;

out_free_blocks:
	mxvm_block_free_list(&prealloc);
out_unreserve_dst:
	mxvm_unreserve(dst, npages);
out_unreserve_src:
	mxvm_unreserve(src, npages);
	return ret;
}

/**
 * mxvm_map() - MINIXVM_IOC_MAP: map a range of the caller over another
 * @mm: the caller's mm
 * @src: source address
 * @dst: destination address
 * @len: length in bytes
 * @mode: &enum minixvm_map_mode
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
int mxvm_map(struct mm_struct *mm, u64 src, u64 dst, u64 len, u32 mode)
{
	struct mxvm_range rs = {}, rd = {};
	int ret;

	if (mode < MINIXVM_MAP_READONLY || mode > MINIXVM_MAP_COW)
		return -EINVAL;
	ret = mxvm_check_user_range(src, len);
	if (!ret)
		ret = mxvm_check_user_range(dst, len);
	if (!ret)
		ret = mxvm_check_length(len);
	if (ret)
		return ret;
	if (src < dst + len && dst < src + len)
		return -EINVAL;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	ret = mxvm_resolve(mm, src, len, &rs);
	if (!ret)
		ret = mxvm_resolve(mm, dst, len, &rd);
	if (!ret)
		ret = mxvm_check_overlap(&rs, &rd);
	if (!ret) {
		mutex_lock(&mxvm_lock);
		ret = mxvm_map_locked(&rs, &rd, len >> PAGE_SHIFT, mode,
				      NULL);
		mutex_unlock(&mxvm_lock);
	}
	mmap_read_unlock(mm);
	kvfree(rs.segs);
	kvfree(rd.segs);
	return ret;
}

/**
 * mxvm_unshare_locked() - give a range private copies (MINIX unmap_memory())
 * @r: the runs
 * @exiting: called as an endpoint's process exits, which cannot fail: do
 *	not stop for its fatal signal, and if memory runs out, make the
 *	runs' regions raise SIGBUS rather than share
 *
 * Every page of the runs that another slot also holds is replaced by a
 * private copy of its contents; a read-only page nobody else holds becomes
 * the region's own.  Called under mxvm_lock.
 *
 * Return: 0, or -ENOMEM or -EINTR and nothing changed.
 */
int mxvm_unshare_locked(struct mxvm_range *r, bool exiting)
{
	struct mxvm_block *block, *copy;
	unsigned long i, npages = 0, ncopies = 0;
	struct mxvm_cursor c;
	LIST_HEAD(prealloc);
	LIST_HEAD(to_free);
	void *entry;
	int ret;

	lockdep_assert_held(&mxvm_lock);
	for (i = 0; i < r->nsegs; i++)
		npages += r->segs[i].nr;
	if (!npages)
		return 0;
	mxvm_cursor_init(&c, r);
	for (i = 0; i < npages; i++, mxvm_cursor_next(&c)) {
		block = mxvm_slot_block(mxvm_slot(&c));
		if (block && block->refs > 1)
			ncopies++;
	}
	ret = mxvm_block_prealloc(&prealloc, ncopies, !exiting);
	if (ret && exiting) {
		pr_warn_ratelimited("exit: no memory for a grantee's snapshot, its mapping raises SIGBUS\n");
		for (i = 0; i < r->nsegs; i++)
			r->segs[i].region->broken = true;
		mxvm_zap_range(r, true);
	}
	if (ret)
		return ret;

	/*
	 * Nothing below can fail.  The range's PTEs of shared pages go before
	 * the copies are made, so that no write through them lands in a frame
	 * after its copy was taken (a refault waits for mxvm_lock).
	 */
	mxvm_cursor_init(&c, r);
	for (i = 0; i < npages; i++, mxvm_cursor_next(&c)) {
		block = mxvm_slot_block(mxvm_slot(&c));
		if (block && block->refs > 1) {
			mxvm_page_barrier(block);
			c.seg->zap = true;
		}
	}
	mxvm_zap_range(r, false);

	mxvm_cursor_init(&c, r);
	for (i = 0; i < npages; i++, mxvm_cursor_next(&c)) {
		entry = mxvm_slot(&c);
		block = mxvm_slot_block(entry);
		if (!block)
			continue;
		if (block->refs > 1) {
			copy = mxvm_block_take(&prealloc);
			mxvm_block_copy(copy, block);
			mxvm_block_get(copy, MXVM_PRIVATE);
			mxvm_set_slot(&c, copy, 0);
			mxvm_block_put(block, &to_free);
		} else if (mxvm_slot_ro(entry)) {
			/* Nobody else holds it: just the caller's now. */
			mxvm_set_slot(&c, block, 0);
		}
	}
	mxvm_settle(NULL);
	mxvm_block_free_list(&to_free);
	mxvm_block_free_list(&prealloc);
	return 0;
}

/**
 * mxvm_unmap() - MINIXVM_IOC_UNMAP: end the sharing of a range
 * @mm: the caller's mm
 * @addr: start address
 * @len: length in bytes
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
int mxvm_unmap(struct mm_struct *mm, u64 addr, u64 len)
{
	struct mxvm_range r = {};
	int ret;

	ret = mxvm_check_user_range(addr, len);
	if (!ret)
		ret = mxvm_check_length(len);
	if (ret)
		return ret;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	ret = mxvm_resolve(mm, addr, len, &r);
	if (!ret) {
		mutex_lock(&mxvm_lock);
		/* Private pages are no longer mappings through grants. */
		ret = mxvm_gmaps_unshare(&r);
		mutex_unlock(&mxvm_lock);
	}
	mmap_read_unlock(mm);
	kvfree(r.segs);
	return ret;
}
