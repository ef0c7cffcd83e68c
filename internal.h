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
 * Grants (grant.c) add, after MINIX's kernel tables:
 *
 *   endpoint                   struct mxvm_endpoint: one per mm that uses
 *                              grants, found by mm or by number
 *   grant table entry          struct mxvm_grant
 *   map_info entry             struct mxvm_gmap: one mapping made through a
 *                              grant, one run of pages of a grantee region
 *
 * Locking order, outermost first:
 *
 *   SRCU of mmu notifiers  (held around ->release, the endpoint's end)
 *   mmap_lock of an mm     (held by the core around faults, ->mmap,
 *                           vm_ops->open/close; taken for read by the
 *                           ioctls; never two mms' at once by this
 *                           module: SAFEMAP resolves the grantor's range,
 *                           drops its lock, then takes the caller's)
 *     -> mxvm_lock         (the engine's one mutex, as MINIX's VM server
 *                           was one thread: every region, slot, block,
 *                           window, endpoint, grant and mapping record is
 *                           read and written under it)
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
 *  - an operation that puts blocks others still hold calls mxvm_settle()
 *    after its zaps and before it drops mxvm_lock (frames left to pins);
 *  - the statistics are atomics and need no lock;
 *  - mmput() never under mxvm_lock or an mmap_lock: the last one runs
 *    exit_mmap(), whose ->release and vm_ops->close take mxvm_lock.
 */
#ifndef _MINIXVM_INTERNAL_H
#define _MINIXVM_INTERNAL_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include <linux/minixvm.h>

struct pid;

/**
 * struct mxvm_stats - global counters of what the module holds
 * @pages: module-owned pages currently allocated
 * @objects: module objects currently allocated (open files, regions,
 *	blocks, windows, ...), whatever their type
 * @endpoints: live endpoints
 * @grants: grants in every endpoint's table
 * @gmaps: live mappings made through grants (&struct mxvm_gmap)
 *
 * All are exact: every allocation increments, every free decrements, and
 * all must be zero when the last file is closed and the last mapping and
 * endpoint gone.  They are exported read only in /sys/class/misc/minixvm/ and
 * checked by every test.
 */
struct mxvm_stats {
	atomic_long_t pages;
	atomic_long_t objects;
	atomic_long_t endpoints;
	atomic_long_t grants;
	atomic_long_t gmaps;
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
 * @stale: @page was left to references from outside the module's
 *	mappings (pipes, GUP pins) when a holder let go of it: the next fault
 *	gives the block a copy (mxvm_settle())
 * @node: on a list of blocks to free, of preallocated blocks, or of blocks
 *	a holder let go of (mxvm_settle())
 */
struct mxvm_block {
	struct page *page;
	unsigned int refs;
	enum mxvm_share share;
	bool stale;
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
 * @gmaps: the mappings made through grants into this region
 *	(&struct mxvm_gmap.region_node), over disjoint runs of pages
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
	struct list_head gmaps;
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

/**
 * struct mxvm_seg - a run of pages of one region
 * @region: the region
 * @idx: index of the first page in the region
 * @nr: number of pages
 * @zap: whether the run's PTEs must be zapped once the change is made
 */
struct mxvm_seg {
	struct mxvm_region *region;
	unsigned long idx;
	unsigned long nr;
	bool zap;
};

/**
 * struct mxvm_range - a user range resolved into runs of region pages
 * @segs: the runs, in address order
 * @nsegs: how many
 */
struct mxvm_range {
	struct mxvm_seg *segs;
	unsigned int nsegs;
};

/* One link of a grant chain: a grant id in an endpoint's table. */
struct mxvm_via {
	u32 ep;
	u32 gid;
};

/* The longest chain: MINIXVM_MAX_INDIRECT indirect grants, then direct. */
#define MXVM_CHAIN_MAX	6

/**
 * struct mxvm_endpoint - a process (an mm) that uses grants
 * @mn: the mmu notifier whose ->release ends the endpoint with its mm
 * @id: the endpoint number, never given out twice
 * @registered: @mn's reference is kept, @id given and the endpoint listed
 * @hnode: in the table of endpoints by mm
 * @grants: its grant table: slot -> &struct mxvm_grant, or the value of the
 *	slot's next generation (marked MXVM_GRANT_FREE) when free, or of 0
 *	when every generation was used
 * @nr_grants: grants in @grants
 * @nr_gmaps: entries on @gmaps
 * @gmaps: the mappings it made through grants (&struct mxvm_gmap.ep_node)
 */
struct mxvm_endpoint {
	struct mmu_notifier mn;
	u32 id;
	bool registered;
	struct hlist_node hnode;
	struct xarray grants;
	unsigned int nr_grants;
	unsigned int nr_gmaps;
	struct list_head gmaps;
};

/**
 * struct mxvm_grant - an entry of a grant table (MINIX cp_grant_t)
 * @owner: the endpoint whose table holds it
 * @gid: its id: slot | generation << MXVM_GID_GEN_SHIFT
 * @to: the grantee endpoint, or MINIXVM_ANY
 * @access: &enum minixvm_grant_access
 * @indirect: re-grant of (@from, @from_gid) rather than own memory
 * @start: direct: start of the granted range in the owner's address space
 * @len: direct: its length in bytes
 * @from: indirect: the endpoint that granted @from_gid to @owner
 * @from_gid: indirect: that grant
 * @gmaps: direct: the mappings made through it, by any chain
 *	(&struct mxvm_gmap.grant_node)
 */
struct mxvm_grant {
	struct mxvm_endpoint *owner;
	u32 gid;
	u32 to;
	u32 access;
	bool indirect;
	u64 start;
	u64 len;
	u32 from;
	u32 from_gid;
	struct list_head gmaps;
};

/**
 * struct mxvm_gmap - a mapping made through a grant (MINIX map_info)
 * @grant_node: on the direct grant's @gmaps
 * @region_node: on the grantee region's @gmaps
 * @ep_node: on the grantee endpoint's @gmaps
 * @grant: the direct grant at the end of the chain used
 * @grantee: the endpoint that mapped
 * @region: the grantee's region
 * @idx: first page of the run in @region
 * @nr: pages in the run
 * @dst_addr: the grantee's address the SAFEMAP call started at
 * @src_addr: the owner's address of the run's first page
 * @nvia: links in @via
 * @via: the chain used, from the grantee's side to @grant
 *
 * The run shrinks or splits when the grantee maps something else over
 * part of it; the record goes when the mapping ends or the region does.
 */
struct mxvm_gmap {
	struct list_head grant_node;
	struct list_head region_node;
	struct list_head ep_node;
	struct mxvm_grant *grant;
	struct mxvm_endpoint *grantee;
	struct mxvm_region *region;
	unsigned long idx;
	unsigned long nr;
	u64 dst_addr;
	u64 src_addr;
	unsigned int nvia;
	struct mxvm_via via[MXVM_CHAIN_MAX];
};

/* The @dst_addr of a record SAFEUNMAP never matches (not page aligned). */
#define MXVM_GMAP_NO_ADDR	(~0ULL)

/**
 * struct mxvm_gmap_req - what SAFEMAP asks the engine to record
 * @grantee: the caller's endpoint
 * @max: the most records @grantee may have (max_grant_maps)
 * @tmpl: the record every destination run gets, but for the run itself
 */
struct mxvm_gmap_req {
	struct mxvm_endpoint *grantee;
	unsigned int max;
	struct mxvm_gmap tmpl;
};

/* region.c: module-owned pages and objects, counted */
struct page *mxvm_alloc_page(gfp_t gfp);
void mxvm_free_page(struct page *page);
void *mxvm_alloc_obj(size_t size, gfp_t gfp);
void mxvm_free_obj(const void *obj);

/* region.c: blocks, slots and zaps */
struct mxvm_block *mxvm_block_alloc(void);
int mxvm_block_prealloc(struct list_head *list, unsigned long nr,
			bool killable);
void mxvm_block_free_list(struct list_head *list);
struct mxvm_block *mxvm_block_take(struct list_head *list);
void mxvm_block_copy(struct mxvm_block *dst, struct mxvm_block *src);
void mxvm_block_get(struct mxvm_block *block, enum mxvm_share share);
void mxvm_block_put(struct mxvm_block *block, struct list_head *to_free);
int mxvm_slot_store(struct xarray *slots, unsigned long idx, void *entry);
void mxvm_page_barrier(struct mxvm_block *block);
void mxvm_settle(struct page *faulting);
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

void mxvm_region_get(struct mxvm_region *region);
void mxvm_region_put(struct mxvm_region *region);

/* mapmem.c: mapping inside the caller (MINIX map_memory, unmap_memory) */
int mxvm_check_user_range(u64 addr, u64 len);
int mxvm_resolve(struct mm_struct *mm, u64 addr, u64 len,
		 struct mxvm_range *r);
int mxvm_check_overlap(struct mxvm_range *src, struct mxvm_range *dst);
int mxvm_map_locked(struct mxvm_range *src, struct mxvm_range *dst,
		    unsigned long npages, u32 mode,
		    struct mxvm_gmap_req *req);
int mxvm_unshare_locked(struct mxvm_range *r, bool exiting);
int mxvm_map(struct mm_struct *mm, u64 src, u64 dst, u64 len, u32 mode);
int mxvm_unmap(struct mm_struct *mm, u64 addr, u64 len);

/* grant.c: endpoints, grant tables and the mappings made through them */
struct mxvm_endpoint *mxvm_endpoint_current(void);
int mxvm_grant_create(struct mxvm_endpoint *me, struct minixvm_grant *arg);
int mxvm_grant_revoke(struct mxvm_endpoint *me, u32 gid, u32 *count);
int mxvm_safemap(struct mxvm_endpoint *me, struct minixvm_safemap *arg);
int mxvm_saferevmap(struct mxvm_endpoint *me,
		    struct minixvm_saferevmap *arg);
int mxvm_safeunmap(struct mxvm_endpoint *me, u64 addr, u32 *count);
int mxvm_grant_source(struct mxvm_endpoint *me, u32 grantor, u32 gid,
		      u64 offset, u64 len, u32 access,
		      struct mm_struct **mm, u64 *addr);
unsigned int mxvm_gmap_cuts(struct mxvm_range *dst);
unsigned int mxvm_gmap_derive(struct mxvm_range *src, struct mxvm_range *dst,
			      struct mxvm_gmap_req *req,
			      struct list_head *spare);
int mxvm_gmap_prealloc(struct list_head *list, unsigned int nr);
void mxvm_gmap_free_list(struct list_head *list);
void mxvm_gmap_cut(struct mxvm_region *region, unsigned long idx,
		   unsigned long nr, struct list_head *spare);
void mxvm_gmap_add(struct mxvm_gmap_req *req, struct mxvm_seg *seg,
		   u64 src_addr, struct list_head *spare);
void mxvm_gmaps_region_gone(struct mxvm_region *region);
int mxvm_gmaps_unshare(struct mxvm_range *r);
void mxvm_grant_exit(void);

/* safecopy.c: copies to and from granted memory */
int mxvm_safecopy(struct mxvm_endpoint *me, u32 flags, u32 ep, u32 gid,
		  u64 offset, u64 addr, u64 len);

#endif /* _MINIXVM_INTERNAL_H */
