// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm regions: the memory the module owns, and how it is mapped.
 *
 * A region is a range of pages owned by one process (one mm).  Its slots
 * point to blocks; a block is one page with a count of the slots holding it
 * and how they share it (private, shared, copy-on-write).  Each region has
 * a window of offsets in one module-wide address_space; mmap() of the
 * window's offset maps the region, and every PTE the module ever installs
 * comes from ->fault through that address_space.  So unmap_mapping_range()
 * on a window zaps the region's PTEs in every process, with no foreign
 * mmap_lock, and the core's rmap, refcounting and GUP work on the pages as
 * on any file page.
 *
 * Writes are caught by ->page_mkwrite: write-notify keeps every freshly
 * installed PTE read-only, so the first write to a page always asks the
 * module, which refuses it (read-only slot), copies the page (copy-on-write
 * block held by others) or lets it through.
 *
 * fork: a child never keeps sharing.  Its VMAs keep the parent's offsets
 * (they sit in the parent's window), but ->open gives them a region of
 * their own: a snapshot of the parent's, copy-on-write for private blocks
 * and an eager copy for shared ones (MINIX map_proc_copy()).  The parent's
 * PTEs in the range are zapped, so its next write asks the module again.
 * Since parent and child share the window, a zap meant for one reaches
 * the other too: a refault, never a stale PTE.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/magic.h>
#include <linux/maple_tree.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include <linux/minixvm.h>

#include "compat.h"
#include "internal.h"

static unsigned int max_region_mb = 1024;
module_param(max_region_mb, uint, 0644);
MODULE_PARM_DESC(max_region_mb,
		 "Largest region MINIXVM_IOC_REGION_CREATE accepts, in MiB (default: 1024)");

static unsigned int max_regions = 1024;
module_param(max_regions, uint, 0644);
MODULE_PARM_DESC(max_regions,
		 "Most region handles one open file may hold (default: 1024)");

struct mxvm_stats mxvm_stats;
/* Protects every region, slot, block and window; see internal.h. */
DEFINE_MUTEX(mxvm_lock);

/*
 * Windows, by page offset.  A 32-bit process's mmap2() passes a 32-bit
 * page offset, so its regions get windows below 2^32 pages, first fit.
 * Other processes' windows lie above, taken from a cursor that only moves
 * up and never reuses an offset: 2^51 pages, so that byte offsets stay
 * below 2^63 as loff_t needs; no process can exhaust them.
 */
#define MXVM_WINDOW_LOW_END	BIT(32)
#define MXVM_WINDOW_END		BIT(51)
static struct maple_tree mxvm_windows = MTREE_INIT(mxvm_windows, 0);
static unsigned long mxvm_window_next = MXVM_WINDOW_LOW_END;

static const struct vm_operations_struct mxvm_vm_ops;

/* Module-owned pages and objects, counted, and made to fail on demand. */

#ifdef CONFIG_FAULT_INJECTION
static DECLARE_FAULT_ATTR(mxvm_fail_attr);
static struct dentry *mxvm_fail_dir;

/**
 * mxvm_should_fail() - whether this allocation is to fail (fault injection)
 *
 * Every allocation site of the module asks first, so that a test can fail
 * each one in turn through /sys/kernel/debug/fail_minixvm/.
 *
 * Return: true if the caller must behave as if the allocation failed.
 */
bool mxvm_should_fail(void)
{
	return should_fail(&mxvm_fail_attr, 1);
}

static void mxvm_fail_init(void)
{
	/* Ignore errors: debugfs is a debugging aid. */
	mxvm_fail_dir = fault_create_debugfs_attr("fail_minixvm", NULL,
						  &mxvm_fail_attr);
}

static void mxvm_fail_exit(void)
{
	if (!IS_ERR_OR_NULL(mxvm_fail_dir))
		debugfs_remove_recursive(mxvm_fail_dir);
}
#else
static void mxvm_fail_init(void) {}
static void mxvm_fail_exit(void) {}
#endif

/**
 * mxvm_alloc_page() - allocate a zeroed, memcg-charged page for the module
 * @gfp: allocation context, usually GFP_HIGHUSER; __GFP_ZERO and
 *	__GFP_ACCOUNT are added
 *
 * Return: the page with one reference, or NULL.
 */
struct page *mxvm_alloc_page(gfp_t gfp)
{
	struct page *page;

	if (mxvm_should_fail())
		return NULL;
	page = alloc_page(gfp | __GFP_ZERO | __GFP_ACCOUNT);
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
	void *obj;

	if (!(gfp & __GFP_NOFAIL) && mxvm_should_fail())
		return NULL;
	obj = kmalloc(size, gfp | __GFP_ZERO | __GFP_ACCOUNT);
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

/* Blocks. */

/* Blocks a holder let go of and others still hold, for mxvm_settle(). */
static LIST_HEAD(mxvm_let_go);

/**
 * mxvm_block_alloc() - a new block holding a zeroed page
 *
 * Return: the block with @refs 0 (the caller links it), or NULL.
 */
struct mxvm_block *mxvm_block_alloc(void)
{
	struct mxvm_block *block;

	block = mxvm_alloc_obj(sizeof(*block), GFP_KERNEL);
	if (!block)
		return NULL;
	block->page = mxvm_alloc_page(GFP_HIGHUSER);
	if (!block->page) {
		mxvm_free_obj(block);
		return NULL;
	}
	INIT_LIST_HEAD(&block->node);
	return block;
}

static void mxvm_block_free(struct mxvm_block *block)
{
	mxvm_free_page(block->page);
	mxvm_free_obj(block);
}

/**
 * mxvm_block_free_list() - free every block on a list
 * @list: blocks with no slot holding them and no PTE mapping their page
 */
void mxvm_block_free_list(struct list_head *list)
{
	struct mxvm_block *block, *next;

	list_for_each_entry_safe(block, next, list, node) {
		list_del(&block->node);
		mxvm_block_free(block);
	}
}

/**
 * mxvm_block_prealloc() - allocate blocks ahead of a change
 * @list: where to put them
 * @nr: how many
 * @killable: give up on a fatal signal
 *
 * Operations that must change everything or nothing allocate first and
 * commit after; what the commit does not use is freed.
 *
 * Return: 0, or -ENOMEM (-EINTR on a fatal signal) with @list emptied.
 */
int mxvm_block_prealloc(struct list_head *list, unsigned long nr,
			bool killable)
{
	while (nr--) {
		bool killed = killable && fatal_signal_pending(current);
		struct mxvm_block *block = NULL;

		if (!killed)
			block = mxvm_block_alloc();
		if (!block) {
			mxvm_block_free_list(list);
			return killed ? -EINTR : -ENOMEM;
		}
		list_add(&block->node, list);
		cond_resched();
	}
	return 0;
}

/**
 * mxvm_block_take() - take one preallocated block
 * @list: the list mxvm_block_prealloc() filled
 *
 * Return: the block; the caller planned for enough of them.
 */
struct mxvm_block *mxvm_block_take(struct list_head *list)
{
	struct mxvm_block *block;

	block = list_first_entry(list, struct mxvm_block, node);
	list_del_init(&block->node);
	return block;
}

/**
 * mxvm_block_copy() - copy the contents of one block into another
 * @dst: the new block
 * @src: the block copied
 */
void mxvm_block_copy(struct mxvm_block *dst, struct mxvm_block *src)
{
	copy_highpage(dst->page, src->page);
}

/**
 * mxvm_block_get() - one more slot holds a block
 * @block: the block
 * @share: how it is shared once held twice or more (MXVM_SMAP, MXVM_COW)
 */
void mxvm_block_get(struct mxvm_block *block, enum mxvm_share share)
{
	lockdep_assert_held(&mxvm_lock);
	if (++block->refs > 1)
		block->share = share;
}

/**
 * mxvm_block_put() - one slot fewer holds a block
 * @block: the block
 * @to_free: where the block goes when nothing holds it any more; it is
 *	freed once the PTEs of the slots that held it are zapped
 */
void mxvm_block_put(struct mxvm_block *block, struct list_head *to_free)
{
	lockdep_assert_held(&mxvm_lock);
	if (--block->refs == 0) {
		/* Off mxvm_let_go, if it was on it. */
		list_move(&block->node, to_free);
		return;
	}
	if (block->refs == 1)
		block->share = MXVM_PRIVATE;
	if (list_empty(&block->node))
		list_add(&block->node, &mxvm_let_go);
}

/*
 * Whether a page has references other than the block's own and one per PTE
 * mapping it (plus @extra the caller holds): a pipe that vmsplice() filled,
 * a GUP reference or pin (O_DIRECT, process_vm_readv(), ...).
 */
static bool mxvm_page_foreign_refs(struct page *page, int extra)
{
	return page_count(page) > 1 + extra + mxvm_page_mapcount(page);
}

/**
 * mxvm_settle() - leave pages that holders let go of to their pins
 * @faulting: the page a write fault being handled holds a reference to
 *	(->page_mkwrite), or NULL
 *
 * A holder that lets go of a frame (a copy-on-write break, an unmap, a
 * revoke, munmap(), exit) may have passed references to it on beyond the
 * module's mappings: a pipe that vmsplice() filled, an O_DIRECT write still
 * reading it.  If the other holders kept writing that frame, those
 * references would show them data written after the holder lost the right
 * to see it: CVE-2020-29374 in the module's terms.  So once the holder's
 * PTEs are zapped, a frame with references left beyond its PTEs is left to
 * them, and the block's remaining holders move to a copy of it at their
 * next fault: every PTE of the module is zapped (the module does not know
 * where else the frame is mapped), and the fault copies a stale block
 * before mapping it (mxvm_fault_block()).
 *
 * Transient references (a fault or GUP-fast racing on another CPU) can
 * only make it copy when it need not.  What is written through such a
 * reference after the move reaches nobody's mapping.  Called under
 * mxvm_lock after the zaps of an operation that put blocks.
 */
void mxvm_settle(struct page *faulting)
{
	struct mxvm_block *block, *next;
	bool zap = false;

	lockdep_assert_held(&mxvm_lock);
	list_for_each_entry_safe(block, next, &mxvm_let_go, node) {
		list_del_init(&block->node);
		/* Faults that found the page have mapped it by now. */
		mxvm_page_barrier(block);
		if (!block->stale &&
		    mxvm_page_foreign_refs(block->page,
					   block->page == faulting)) {
			block->stale = true;
			zap = true;
		}
	}
	if (zap)
		unmap_mapping_range(mxvm_file_mapping(), 0, 0, 1);
}

/* Give a stale block a copy of its page, for its holders alone. */
static int mxvm_block_renew(struct mxvm_block *block)
{
	struct page *page;

	page = mxvm_alloc_page(GFP_HIGHUSER);
	if (!page)
		return -ENOMEM;
	copy_highpage(page, block->page);
	mxvm_free_page(block->page);
	block->page = page;
	block->stale = false;
	return 0;
}

/**
 * mxvm_slot_store() - store into a slot that may not exist yet
 * @slots: the region's slots
 * @idx: the page index
 * @entry: the (tagged) block
 *
 * Return: 0, or -ENOMEM when a node of the xarray could not be allocated.
 */
int mxvm_slot_store(struct xarray *slots, unsigned long idx, void *entry)
{
	if (mxvm_should_fail())
		return -ENOMEM;
	return xa_err(xa_store(slots, idx, entry, GFP_KERNEL));
}

/**
 * mxvm_page_barrier() - wait for faults that are installing a block's page
 * @block: a block whose slot just changed, or whose PTEs must go
 *
 * ->fault hands pages out locked and the core unlocks them once their PTE
 * is installed; taking and dropping the lock waits for every fault that
 * found the page before the change (later ones wait for mxvm_lock and see
 * the change).  Called under mxvm_lock, before the zap.
 */
void mxvm_page_barrier(struct mxvm_block *block)
{
	lockdep_assert_held(&mxvm_lock);
	lock_page(block->page);
	unlock_page(block->page);
}

/* The address_space every region's VMAs map. */

#define MINIXVM_FS_MAGIC	0x4d58564d	/* "MXVM" */

static int mxvm_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, MINIXVM_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner: the mount is pinned while the module is loaded, and a module
 * reference held by it would keep the module from ever unloading.
 */
static struct file_system_type mxvm_fs_type = {
	.name			= "minixvm",
	.init_fs_context	= mxvm_fs_init_fs_context,
	.kill_sb		= kill_anon_super,
};

static struct vfsmount *mxvm_mnt;
static int mxvm_mnt_count;
static struct inode *mxvm_inode;

/**
 * mxvm_file_mapping() - the address_space every open file maps through
 *
 * Return: the module inode's mapping.
 */
struct address_space *mxvm_file_mapping(void)
{
	return mxvm_inode->i_mapping;
}

/**
 * mxvm_zap() - remove the PTEs of some of a region's pages, everywhere
 * @region: the region
 * @idx: first page index
 * @nr: number of pages
 *
 * Reaches every VMA mapping those offsets of the region's window, in every
 * process.  The next access refaults and finds the slots as they are now.
 */
void mxvm_zap(struct mxvm_region *region, unsigned long idx, unsigned long nr)
{
	loff_t start = (loff_t)(region->window->pgoff + idx) << PAGE_SHIFT;

	unmap_mapping_range(mxvm_inode->i_mapping, start,
			    (loff_t)nr << PAGE_SHIFT, 1);
}

/**
 * mxvm_check_length() - bound the size of one region or of one call
 * @length: bytes
 *
 * A region, and the range of one MAP or UNMAP, is at most max_region_mb:
 * it bounds what one call does while it holds mxvm_lock.
 *
 * Return: 0, or -EFBIG.
 */
int mxvm_check_length(u64 length)
{
	return length > (u64)READ_ONCE(max_region_mb) << 20 ? -EFBIG : 0;
}

/* Windows. */

/*
 * The first gap below 2^32 pages that fits @npages, for a 32-bit caller.
 * (The maple tree's own range allocator is not used: in 6.1 it mishandles
 * an empty tree.)  Linear in the number of low windows.
 */
static unsigned long mxvm_window_low_gap(unsigned long npages)
{
	unsigned long start = 1, index = 0;
	struct mxvm_window *cur;

	mt_for_each(&mxvm_windows, cur, index, MXVM_WINDOW_LOW_END - 1) {
		if (cur->pgoff - start >= npages)
			break;
		start = cur->pgoff + cur->npages;
	}
	return npages > MXVM_WINDOW_LOW_END - start ? 0 : start;
}

static int mxvm_window_insert(struct mxvm_window *window)
{
	bool low = in_compat_syscall();
	unsigned long start;
	int ret;

	lockdep_assert_held(&mxvm_lock);
	if (mxvm_should_fail())
		return -ENOMEM;
	if (low) {
		start = mxvm_window_low_gap(window->npages);
	} else {
		start = mxvm_window_next;
		if (window->npages > MXVM_WINDOW_END - start)
			start = 0;
	}
	if (!start)
		return -ENOSPC;
	window->pgoff = start;
	ret = mtree_insert_range(&mxvm_windows, start,
				 start + window->npages - 1, window,
				 GFP_KERNEL);
	if (!ret && !low)
		mxvm_window_next = start + window->npages;
	return ret;
}

/* Regions. */

static struct mxvm_region *mxvm_region_alloc(struct mm_struct *mm,
					     unsigned long npages,
					     bool writable, gfp_t gfp)
{
	struct mxvm_region *region;

	region = mxvm_alloc_obj(sizeof(*region), gfp);
	if (!region)
		return NULL;
	xa_init_flags(&region->slots, XA_FLAGS_ACCOUNT);
	region->npages = npages;
	region->writable = writable;
	region->users = 1;
	INIT_LIST_HEAD(&region->children);
	INIT_LIST_HEAD(&region->child_node);
	INIT_LIST_HEAD(&region->gmaps);
	mmgrab(mm);
	region->mm = mm;
	return region;
}

/* Drop every slot; the region's VMAs are gone, so no PTE maps them. */
static void mxvm_region_free(struct mxvm_region *region)
{
	struct mxvm_region *child, *next;
	struct mxvm_window *window = region->window;
	unsigned long idx;
	LIST_HEAD(to_free);
	void *entry;

	lockdep_assert_held(&mxvm_lock);
	mxvm_gmaps_region_gone(region);
	xa_for_each(&region->slots, idx, entry)
		mxvm_block_put(mxvm_slot_block(entry), &to_free);
	xa_destroy(&region->slots);
	mxvm_block_free_list(&to_free);
	mxvm_settle(NULL);

	list_for_each_entry_safe(child, next, &region->children, child_node) {
		list_del_init(&child->child_node);
	}
	list_del(&region->child_node);

	if (window && window->owner == region)
		window->owner = NULL;
	if (window && --window->users == 0) {
		mtree_erase(&mxvm_windows, window->pgoff);
		mxvm_free_obj(window);
	}
	mmdrop(region->mm);
	mxvm_free_obj(region);
}

/**
 * mxvm_region_get() - keep a region while its VMAs may go
 * @region: a region found under an mmap_lock, mxvm_lock held
 */
void mxvm_region_get(struct mxvm_region *region)
{
	lockdep_assert_held(&mxvm_lock);
	region->users++;
}

/**
 * mxvm_region_put() - drop a reference to a region
 * @region: the region, freed with its last reference; mxvm_lock held
 */
void mxvm_region_put(struct mxvm_region *region)
{
	lockdep_assert_held(&mxvm_lock);
	if (--region->users == 0)
		mxvm_region_free(region);
}

/**
 * mxvm_region_create() - MINIXVM_IOC_REGION_CREATE
 * @mf: the file that will hold the handle
 * @length: size in bytes
 * @writable: MINIXVM_REGION_WRITABLE
 * @id: out: the handle's id
 * @offset: out: the mmap() offset
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
int mxvm_region_create(struct mxvm_file *mf, u64 length, bool writable,
		       u32 *id, u64 *offset)
{
	struct mxvm_window *window;
	struct mxvm_region *region;
	int ret;

	if (!length || !PAGE_ALIGNED(length))
		return -EINVAL;
	ret = mxvm_check_length(length);
	if (ret)
		return ret;

	window = mxvm_alloc_obj(sizeof(*window), GFP_KERNEL);
	if (!window)
		return -ENOMEM;
	region = mxvm_region_alloc(current->mm, length >> PAGE_SHIFT,
				   writable, GFP_KERNEL);
	if (!region) {
		mxvm_free_obj(window);
		return -ENOMEM;
	}
	window->npages = region->npages;
	window->users = 1;
	window->owner = region;

	mutex_lock(&mxvm_lock);
	ret = mxvm_window_insert(window);
	if (ret) {
		mxvm_free_obj(window);
		goto out_free_region;
	}
	region->window = window;
	ret = mxvm_should_fail() ? -ENOMEM :
	      xa_alloc(&mf->regions, id, region,
		       XA_LIMIT(1, max(READ_ONCE(max_regions), 1U)),
		       GFP_KERNEL);
	if (ret)
		goto out_free_region;
	region->id = *id;
	region->file = mf;
	*offset = (u64)window->pgoff << PAGE_SHIFT;
	mutex_unlock(&mxvm_lock);
	return 0;

out_free_region:
	mxvm_region_free(region);
	mutex_unlock(&mxvm_lock);
	/* xa_alloc() says EBUSY when the file has max_regions handles. */
	return ret == -EBUSY ? -ENOSPC : ret;
}

static void mxvm_region_drop_handle(struct mxvm_file *mf,
				    struct mxvm_region *region)
{
	lockdep_assert_held(&mxvm_lock);
	xa_erase(&mf->regions, region->id);
	region->file = NULL;
	mxvm_region_put(region);
}

/**
 * mxvm_region_destroy() - MINIXVM_IOC_REGION_DESTROY
 * @mf: the file holding the handle
 * @id: the handle's id
 *
 * Only the region's owner may drop its handle.
 *
 * Return: 0, or -ENOENT.
 */
int mxvm_region_destroy(struct mxvm_file *mf, u32 id)
{
	struct mxvm_region *region;
	int ret = -ENOENT;

	mutex_lock(&mxvm_lock);
	region = xa_load(&mf->regions, id);
	/* Another process sharing the file does not see the region. */
	if (region && region->mm == current->mm) {
		mxvm_region_drop_handle(mf, region);
		ret = 0;
	}
	mutex_unlock(&mxvm_lock);
	return ret;
}

/**
 * mxvm_file_release_regions() - drop every handle a closing file holds
 * @mf: the file
 */
void mxvm_file_release_regions(struct mxvm_file *mf)
{
	struct mxvm_region *region;
	unsigned long id;

	mutex_lock(&mxvm_lock);
	xa_for_each(&mf->regions, id, region)
		mxvm_region_drop_handle(mf, region);
	mutex_unlock(&mxvm_lock);
	xa_destroy(&mf->regions);
}

/* fork: the child's snapshot (MINIX map_proc_copy()). */

static struct mxvm_region *mxvm_fork_region(struct mxvm_region *parent,
					    struct mm_struct *mm)
{
	struct mxvm_region *child;

	list_for_each_entry(child, &parent->children, child_node) {
		if (child->mm == mm) {
			child->users++;
			return child;
		}
	}
	/* ->open cannot fail; the object is small. */
	child = mxvm_region_alloc(mm, parent->npages, parent->writable,
				  GFP_KERNEL | __GFP_NOFAIL);
	child->window = parent->window;
	child->window->users++;
	child->broken = parent->broken;
	list_add(&child->child_node, &parent->children);
	return child;
}

/*
 * Give @child the pages @idx .. @idx + @nr - 1 of @parent: copy-on-write
 * for private and copy-on-write blocks, an eager copy for shared ones.
 * A page the parent may only read stays read-only in the child: rights
 * never grow across fork.  Slots the child already has (from another VMA
 * of the same region) stay.
 * Return: whether the parent's PTEs in the range must be zapped.
 */
static bool mxvm_fork_snapshot(struct mxvm_region *child,
			       struct mxvm_region *parent,
			       unsigned long idx, unsigned long nr)
{
	struct mxvm_block *block, *copy;
	unsigned long i;
	bool zap = false;
	void *entry;

	xa_for_each_range(&parent->slots, i, entry, idx, idx + nr - 1) {
		if (child->broken)
			break;
		if (xa_load(&child->slots, i))
			continue;
		block = mxvm_slot_block(entry);
		/*
		 * A page pinned for DMA is copied now, as fork() does for
		 * anonymous memory: the parent keeps the frame its I/O
		 * goes to, and the child cannot see that I/O's data.
		 */
		if ((block->refs > 1 && block->share == MXVM_SMAP) ||
		    folio_maybe_dma_pinned(page_folio(block->page))) {
			copy = mxvm_block_alloc();
			if (!copy)
				goto broken;
			mxvm_block_copy(copy, block);
			if (mxvm_slot_store(&child->slots, i,
					    xa_tag_pointer(copy,
							   xa_pointer_tag(entry)))) {
				mxvm_block_free(copy);
				goto broken;
			}
			mxvm_block_get(copy, MXVM_PRIVATE);
			continue;
		}
		if (mxvm_slot_store(&child->slots, i, entry))
			goto broken;
		mxvm_block_get(block, MXVM_COW);
		zap = true;
	}
	return zap;

broken:
	/*
	 * Out of memory in the middle of fork(), which cannot fail any more:
	 * the child's mapping is unusable (SIGBUS) rather than wrong.
	 */
	pr_warn_ratelimited("fork: no memory for a snapshot, child mapping raises SIGBUS\n");
	child->broken = true;
	return zap;
}

/* VMA operations. */

static inline unsigned long mxvm_vma_idx(struct mxvm_region *region,
					 pgoff_t pgoff)
{
	return pgoff - region->window->pgoff;
}

static void mxvm_vm_open(struct vm_area_struct *vma)
{
	struct mxvm_region *region = vma->vm_private_data;
	struct mxvm_region *child;
	unsigned long idx;

	mutex_lock(&mxvm_lock);
	if (vma->vm_mm == region->mm) {
		/* A split or a move inside the owner. */
		region->users++;
		mutex_unlock(&mxvm_lock);
		return;
	}
	/* fork(): the new VMA belongs to the child's own region. */
	child = mxvm_fork_region(region, vma->vm_mm);
	vma->vm_private_data = child;
	idx = mxvm_vma_idx(region, vma->vm_pgoff);
	if (mxvm_fork_snapshot(child, region, idx, vma_pages(vma)))
		mxvm_zap(region, idx, vma_pages(vma));
	mutex_unlock(&mxvm_lock);
}

static void mxvm_vm_close(struct vm_area_struct *vma)
{
	mutex_lock(&mxvm_lock);
	mxvm_region_put(vma->vm_private_data);
	mutex_unlock(&mxvm_lock);
}

/*
 * Find or make the block of a faulting page.  Empty slots get a zeroed
 * page on first touch, charged to the faulting task's memory cgroup.
 */
static vm_fault_t mxvm_fault_block(struct mxvm_region *region,
				   unsigned long idx, void **entryp)
{
	struct mxvm_block *block;
	void *entry;

	if (idx >= region->npages)
		return VM_FAULT_SIGBUS;
	if (region->broken)
		return VM_FAULT_SIGBUS;
	entry = xa_load(&region->slots, idx);
	if (!entry) {
		block = mxvm_block_alloc();
		if (!block)
			return VM_FAULT_OOM;
		if (mxvm_slot_store(&region->slots, idx, block)) {
			mxvm_block_free(block);
			return VM_FAULT_OOM;
		}
		mxvm_block_get(block, MXVM_PRIVATE);
		entry = block;
	}
	block = mxvm_slot_block(entry);
	if (block->stale && mxvm_block_renew(block))
		return VM_FAULT_OOM;
	*entryp = entry;
	return 0;
}

static vm_fault_t mxvm_vm_fault(struct vm_fault *vmf)
{
	struct mxvm_region *region = vmf->vma->vm_private_data;
	struct page *page;
	vm_fault_t ret;
	void *entry;

	mutex_lock(&mxvm_lock);
	ret = mxvm_fault_block(region, mxvm_vma_idx(region, vmf->pgoff),
			       &entry);
	if (ret) {
		mutex_unlock(&mxvm_lock);
		return ret;
	}
	page = mxvm_slot_block(entry)->page;
	get_page(page);
	lock_page(page);
	mutex_unlock(&mxvm_lock);
	vmf->page = page;
	return VM_FAULT_LOCKED;
}

/*
 * The first write to a page since its PTE was installed.  Write-notify
 * installs every PTE read-only, so this sees every write that matters:
 * refuse it for read-only slots, copy a copy-on-write page someone else
 * still holds, and let everything else write in place.
 */
static vm_fault_t mxvm_vm_page_mkwrite(struct vm_fault *vmf)
{
	struct mxvm_region *region = vmf->vma->vm_private_data;
	unsigned long idx = mxvm_vma_idx(region, vmf->pgoff);
	struct mxvm_block *block, *copy;
	LIST_HEAD(unused);
	void *entry;

	mutex_lock(&mxvm_lock);
	entry = xa_load(&region->slots, idx);
	block = mxvm_slot_block(entry);
	if (!block || block->page != vmf->page || region->broken) {
		/* The slot changed: its PTE is gone, refault. */
		mutex_unlock(&mxvm_lock);
		return VM_FAULT_NOPAGE;
	}
	if (mxvm_slot_ro(entry) || !region->writable) {
		mutex_unlock(&mxvm_lock);
		return VM_FAULT_SIGSEGV;
	}
	if (block->refs > 1 && block->share == MXVM_COW) {
		copy = mxvm_block_alloc();
		if (!copy) {
			mutex_unlock(&mxvm_lock);
			return VM_FAULT_OOM;
		}
		mxvm_block_copy(copy, block);
		/* The slot exists: replacing its entry allocates nothing. */
		xa_store(&region->slots, idx, copy, GFP_KERNEL);
		mxvm_block_get(copy, MXVM_PRIVATE);
		/* Others still hold the old block: it is not freed here. */
		mxvm_block_put(block, &unused);
		mxvm_page_barrier(block);
		mxvm_zap(region, idx, 1);
		/* This fault holds a reference to the page it let go of. */
		mxvm_settle(vmf->page);
		mutex_unlock(&mxvm_lock);
		return VM_FAULT_NOPAGE;
	}
	lock_page(vmf->page);
	mutex_unlock(&mxvm_lock);
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct mxvm_vm_ops = {
	.open		= mxvm_vm_open,
	.close		= mxvm_vm_close,
	.fault		= mxvm_vm_fault,
	.page_mkwrite	= mxvm_vm_page_mkwrite,
	/*
	 * No .name: /proc/PID/maps shows the device's path, and a named VMA
	 * would be dumped whatever the process's coredump_filter says.
	 */
};

/**
 * mxvm_is_region_vma() - whether a VMA maps a minixvm region
 * @vma: the VMA
 *
 * Return: true for minixvm VMAs; their vm_private_data is the region.
 */
bool mxvm_is_region_vma(struct vm_area_struct *vma)
{
	return vma->vm_ops == &mxvm_vm_ops;
}

/**
 * mxvm_mmap() - map (part of) a region of this file
 * @file: the file
 * @vma: the new VMA; its offset names the region
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
int mxvm_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mxvm_file *mf = file->private_data;
	struct mxvm_window *window;
	struct mxvm_region *region;
	int ret = -EINVAL;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	mutex_lock(&mxvm_lock);
	window = mtree_load(&mxvm_windows, vma->vm_pgoff);
	region = window ? window->owner : NULL;
	if (!region || region->file != mf)
		goto out;
	if (vma->vm_pgoff - window->pgoff + vma_pages(vma) > region->npages)
		goto out;
	ret = -EACCES;
	if (vma->vm_mm != region->mm)
		goto out;
	if (!region->writable) {
		if (vma->vm_flags & VM_WRITE)
			goto out;
		vm_flags_clear(vma, VM_MAYWRITE);
	}
	region->users++;
	vma->vm_private_data = region;
	vma->vm_ops = &mxvm_vm_ops;
	vm_flags_set(vma, VM_DONTEXPAND);
	ret = 0;
out:
	mutex_unlock(&mxvm_lock);
	return ret;
}

/**
 * mxvm_region_init() - set up the module's address_space
 *
 * Return: 0 or a negative errno.
 */
int mxvm_region_init(void)
{
	int ret;

	ret = simple_pin_fs(&mxvm_fs_type, &mxvm_mnt, &mxvm_mnt_count);
	if (ret)
		return ret;
	mxvm_inode = alloc_anon_inode(mxvm_mnt->mnt_sb);
	if (IS_ERR(mxvm_inode)) {
		simple_release_fs(&mxvm_mnt, &mxvm_mnt_count);
		return PTR_ERR(mxvm_inode);
	}
	mxvm_fail_init();
	return 0;
}

/**
 * mxvm_region_exit() - tear down what mxvm_region_init() set up
 *
 * Every file is closed and every mapping gone: each holds a module
 * reference.
 */
void mxvm_region_exit(void)
{
	mxvm_fail_exit();
	iput(mxvm_inode);
	simple_release_fs(&mxvm_mnt, &mxvm_mnt_count);
	WARN_ON(!mtree_empty(&mxvm_windows));
	mtree_destroy(&mxvm_windows);
}
