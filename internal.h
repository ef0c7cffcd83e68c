/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minixvm internal interfaces, shared by minixvm.c, region.c and mapmem.c.
 *
 * The objects, after MINIX 3's servers/vm/region.h:
 *
 *   MINIX                      minixvm
 *   struct vir_region          struct mxvm_region: a range of pages a
 *                              process owns, mapped by one or more VMAs
 *   struct phys_region         a slot of mxvm_region.slots (an xarray entry
 *                              pointing to a block, tagged read-only or not)
 *   struct phys_block          struct mxvm_block: one page, with the number
 *                              of slots holding it and how they share it
 *
 * Locking order, outermost first:
 *
 *   mmap_lock of an mm     (held by the core around faults, ->mmap,
 *                           vm_ops->open/close; taken for read by the
 *                           ioctls; never two mms' by this module)
 *     -> mxvm_lock         (the engine's one mutex, as MINIX's VM server
 *                           was one thread: every region, slot, block
 *                           and window is read and written under it)
 *       -> page lock       (lock_page(): faults return pages locked)
 *       -> i_mmap_rwsem    (inside unmap_mapping_range())
 *         -> page table lock
 *
 * The page-lock protocol: ->fault looks a page up and locks it under
 * mxvm_lock, then returns it locked; the core installs the PTE and only
 * then unlocks the page.  Whoever changes a slot (under mxvm_lock) and then
 * zaps its PTEs first takes and drops the lock of the page the slot held
 * (mxvm_page_barrier()), so that a fault that found the old page before
 * the change has installed its PTE before the zap removes it.  Nothing that
 * holds a page lock ever waits for mxvm_lock.
 *
 * Rules that follow:
 *  - no copy_from_user()/copy_to_user() under mxvm_lock or an mmap_lock:
 *    the copy may fault on a minixvm mapping and take them again;
 *  - unmap_mapping_range() sleeps and takes i_mmap_rwsem: never under a
 *    spinlock;
 *  - a page is freed only after every PTE that mapped it was zapped;
 *  - the statistics are atomics and need no lock.
 */
#ifndef _MINIXVM_INTERNAL_H
#define _MINIXVM_INTERNAL_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

struct pid;

/**
 * struct mxvm_stats - global counters of what the module holds
 * @pages: module-owned pages currently allocated
 * @objects: module objects currently allocated (open files, regions,
 *	blocks, windows, ...), whatever their type
 *
 * Both are exact: every allocation increments, every free decrements, and
 * both must be zero when the last file is closed and the last mapping
 * gone.  They are exported read only in /sys/class/misc/minixvm/ and
 * checked by every test.
 */
struct mxvm_stats {
	atomic_long_t pages;
	atomic_long_t objects;
};

extern struct mxvm_stats mxvm_stats;
extern struct mutex mxvm_lock;

/**
 * enum mxvm_share - how the slots holding a block share it
 * @MXVM_PRIVATE: one slot holds it (refs == 1)
 * @MXVM_SMAP: shared: every holder sees every write (MINIX PBSH_SMAP)
 * @MXVM_COW: copy-on-write: the first writer gets a copy (MINIX PBSH_COW)
 *
 * Only a block held by more than one slot is SMAP or COW; when its count
 * drops back to one it becomes private again (MINIX left the flag stale).
 */
enum mxvm_share {
	MXVM_PRIVATE,
	MXVM_SMAP,
	MXVM_COW,
};

/**
 * struct mxvm_block - one module-owned page and who holds it
 * @page: the page, one reference held by the block
 * @refs: the number of slots that hold the block
 * @share: how they share it (&enum mxvm_share)
 * @node: on a list of blocks to free or of preallocated blocks
 */
struct mxvm_block {
	struct page *page;
	unsigned int refs;
	enum mxvm_share share;
	struct list_head node;
};

/* Tag of a slot entry that maps its block read-only (MINIXVM_MAP_READONLY). */
#define MXVM_SLOT_RO	1UL

/**
 * struct mxvm_window - a range of offsets in the module's address_space
 * @pgoff: first page offset; VMAs of the region map from here
 * @npages: length in pages
 * @users: regions using it: the region it was made for and the regions
 *	forked from it, whose VMAs keep the offsets they were copied with
 * @owner: the region it was made for, while it exists; mmap() finds it here
 *
 * Zapping a window's offsets reaches every VMA of every region using it:
 * a zap meant for one region can also hit its fork relatives, which costs
 * them a refault and nothing else.
 */
struct mxvm_window {
	unsigned long pgoff;
	unsigned long npages;
	unsigned int users;
	struct mxvm_region *owner;
};

/**
 * struct mxvm_region - memory a process owns (MINIX struct vir_region)
 * @slots: page index -> struct mxvm_block *, tagged MXVM_SLOT_RO for pages
 *	mapped read-only; an empty slot reads as zeroes when touched
 * @window: the offsets its VMAs map
 * @npages: size in pages
 * @users: references: the file's handle and each VMA
 * @writable: the owner may write it (MINIXVM_REGION_WRITABLE)
 * @broken: its fork snapshot could not be made: every access is SIGBUS
 * @mm: the owning mm (mmgrab()ed), the only one that may map it
 * @file: the file holding its handle, NULL once the handle is dropped
 * @id: the handle's id in @file
 * @children: regions forked from it (while both exist), so that the several
 *	VMAs of one region that a fork copies share one child region
 * @child_node: on the children list of the region it was forked from
 */
struct mxvm_region {
	struct xarray slots;
	struct mxvm_window *window;
	unsigned long npages;
	unsigned int users;
	bool writable;
	bool broken;
	struct mm_struct *mm;
	struct mxvm_file *file;
	u32 id;
	struct list_head children;
	struct list_head child_node;
};

/**
 * struct mxvm_file - state of one open file of /dev/minixvm
 * @pid: the process that opened it, for diagnostics
 * @regions: region handles, id -> struct mxvm_region *
 */
struct mxvm_file {
	struct pid *pid;
	struct xarray regions;
};

/*
 * Fault injection at every allocation site of the module, on kernels with
 * CONFIG_FAULT_INJECTION: /sys/kernel/debug/fail_minixvm/ (see
 * Documentation/fault-injection/fault-injection.rst).
 */
#ifdef CONFIG_FAULT_INJECTION
bool mxvm_should_fail(void);
#else
static inline bool mxvm_should_fail(void)
{
	return false;
}
#endif

/* region.c: module-owned pages and objects, counted */
struct page *mxvm_alloc_page(gfp_t gfp);
void mxvm_free_page(struct page *page);
void *mxvm_alloc_obj(size_t size, gfp_t gfp);
void mxvm_free_obj(const void *obj);

/* region.c: blocks, slots and zaps */
struct mxvm_block *mxvm_block_alloc(void);
int mxvm_block_prealloc(struct list_head *list, unsigned long nr);
void mxvm_block_free_list(struct list_head *list);
struct mxvm_block *mxvm_block_take(struct list_head *list);
void mxvm_block_copy(struct mxvm_block *dst, struct mxvm_block *src);
void mxvm_block_get(struct mxvm_block *block, enum mxvm_share share);
void mxvm_block_put(struct mxvm_block *block, struct list_head *to_free);
int mxvm_slot_store(struct xarray *slots, unsigned long idx, void *entry);
void mxvm_page_barrier(struct mxvm_block *block);
void mxvm_zap(struct mxvm_region *region, unsigned long idx,
	      unsigned long nr);

static inline struct mxvm_block *mxvm_slot_block(void *entry)
{
	return xa_untag_pointer(entry);
}

static inline bool mxvm_slot_ro(void *entry)
{
	return xa_pointer_tag(entry) & MXVM_SLOT_RO;
}

/* region.c: regions and their mappings */
int mxvm_check_length(u64 length);
bool mxvm_is_region_vma(struct vm_area_struct *vma);
int mxvm_region_create(struct mxvm_file *mf, u64 length, bool writable,
		       u32 *id, u64 *offset);
int mxvm_region_destroy(struct mxvm_file *mf, u32 id);
void mxvm_file_release_regions(struct mxvm_file *mf);
int mxvm_mmap(struct file *file, struct vm_area_struct *vma);
int mxvm_region_init(void);
void mxvm_region_exit(void);
struct address_space *mxvm_file_mapping(void);

/* mapmem.c: mapping inside the caller (MINIX map_memory, unmap_memory) */
int mxvm_check_user_range(u64 addr, u64 len);
int mxvm_map(struct mm_struct *mm, u64 src, u64 dst, u64 len, u32 mode);
int mxvm_unmap(struct mm_struct *mm, u64 addr, u64 len);

#endif /* _MINIXVM_INTERNAL_H */
