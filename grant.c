// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm grants: endpoints, grant tables and the mappings made through
 * them, after MINIX 3's kernel/system/do_safecopy.c (verify_grant()) and
 * do_safemap.c (map_info), with MINIX's known bugs fixed.
 *
 * An endpoint is an mm: the first grant command a process makes registers
 * an mmu notifier on its mm, whose ->release (exit_mmap(), before the VMAs
 * go) ends the endpoint: its grants are revoked, every grantee keeping a
 * snapshot, and the mappings it made through others' grants are forgotten.
 * Endpoint numbers come from a counter and are never given out twice.
 *
 * Grant tables live in the kernel, not in the grantor's memory as in
 * MINIX.  A grant id is a slot and a generation; a slot whose generations
 * are used up is never used again, so a stale id never names a later
 * grant (MINIX had no generation until 2015).
 *
 * Each SAFEMAP leaves one record (&struct mxvm_gmap) per destination run,
 * on the direct grant at the end of the chain, whatever chain was used,
 * so that revoking the grant reaches mappings made through indirect grants
 * (MINIX bug B3).  A revocation ends every record it finds (bug B7: MINIX
 * asserted on the second), and both succeed or fail with nothing changed
 * (bugs B2, B6, B10).  Records go with the grantee's pages (bug B9).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include <linux/minixvm.h>

#include "internal.h"

#ifndef CONFIG_MMU_NOTIFIER
#error "minixvm needs CONFIG_MMU_NOTIFIER: endpoints end with their mm"
#endif

static unsigned int max_grants = 1024;
module_param(max_grants, uint, 0644);
MODULE_PARM_DESC(max_grants,
		 "Most grants one endpoint may hold, at most 65536 (default: 1024)");

static unsigned int max_grant_maps = 1024;
module_param(max_grant_maps, uint, 0644);
MODULE_PARM_DESC(max_grant_maps,
		 "Most live mappings one endpoint may make through grants (default: 1024)");

/*
 * A grant id: the low 16 bits are the slot, the next 15 the slot's
 * generation (1 to 32767), so that every id is positive and none is 0.
 */
#define MXVM_GID_GEN_SHIFT	16
#define MXVM_GID_SLOTS		BIT(MXVM_GID_GEN_SHIFT)
#define MXVM_GID_GEN_MAX	0x7fffU
#define MXVM_GRANT_FREE		XA_MARK_1
#define MXVM_GRANT_ACCESS	(MINIXVM_GRANT_READ | MINIXVM_GRANT_WRITE | \
				 MINIXVM_GRANT_MAP)

/* Endpoint numbers: 1 to MXVM_EP_MAX, never reused. */
#define MXVM_EP_MAX		0x7fffffffU

static DEFINE_HASHTABLE(mxvm_ep_by_mm, 6);
static DEFINE_XARRAY(mxvm_ep_by_id);
static u32 mxvm_ep_last;

/* Endpoints. */

static struct mxvm_endpoint *mxvm_ep_of_mm(struct mm_struct *mm)
{
	struct mxvm_endpoint *ep;

	lockdep_assert_held(&mxvm_lock);
	hash_for_each_possible(mxvm_ep_by_mm, ep, hnode, (unsigned long)mm)
		if (ep->mn.mm == mm)
			return ep;
	return NULL;
}

/*
 * The endpoint numbered @id: -EINVAL for a number never given out, -ESRCH
 * for one whose process is gone.
 */
static struct mxvm_endpoint *mxvm_ep_lookup(u32 id)
{
	struct mxvm_endpoint *ep;

	lockdep_assert_held(&mxvm_lock);
	if (!id || id > mxvm_ep_last)
		return ERR_PTR(-EINVAL);
	ep = xa_load(&mxvm_ep_by_id, id);
	return ep ? ep : ERR_PTR(-ESRCH);
}

/* A grantee named in a grant: MINIXVM_ANY or a live endpoint. */
static int mxvm_check_grantee(u32 to)
{
	return to == MINIXVM_ANY ? 0 : PTR_ERR_OR_ZERO(mxvm_ep_lookup(to));
}

static void mxvm_grant_free(struct mxvm_grant *grant);
static void mxvm_gmap_unlink(struct mxvm_gmap *gmap);

/*
 * The mm is being torn down (exit_mmap(), no mmap_lock held; its VMAs,
 * so its regions, still exist): end the endpoint.  Its grants are revoked,
 * each grantee keeping a snapshot; its own mappings through others' grants
 * are forgotten, their pages go with its VMAs.
 */
static void mxvm_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct mxvm_endpoint *ep = container_of(mn, struct mxvm_endpoint, mn);
	struct mxvm_gmap *gmap, *next;
	struct mxvm_grant *grant;
	unsigned long slot;
	bool registered;

	mutex_lock(&mxvm_lock);
	registered = ep->registered;
	if (registered) {
		/* Its own mappings: the pages go with its VMAs. */
		list_for_each_entry_safe(gmap, next, &ep->gmaps, ep_node)
			mxvm_gmap_unlink(gmap);
		/*
		 * Indirect grants first: their chains may end in its own
		 * direct grants, which must still be there to find.
		 */
		xa_for_each(&ep->grants, slot, grant)
			if (!xa_is_value(grant) && grant->indirect)
				mxvm_grant_free(grant);
		xa_for_each(&ep->grants, slot, grant)
			if (!xa_is_value(grant))
				mxvm_grant_free(grant);
		xa_destroy(&ep->grants);
		xa_erase(&mxvm_ep_by_id, ep->id);
		hash_del(&ep->hnode);
		atomic_long_dec(&mxvm_stats.endpoints);
		/* Counted as gone now; the memory goes after SRCU. */
		atomic_long_dec(&mxvm_stats.objects);
	}
	mutex_unlock(&mxvm_lock);
	/*
	 * Drop the reference the endpoint kept.  The notifier list is being
	 * walked under SRCU around this call; mmu_notifier_put() only unlinks
	 * the entry (hlist_del_init_rcu()) and frees it after SRCU.
	 */
	if (registered)
		mmu_notifier_put(mn);
}

static struct mmu_notifier *mxvm_mn_alloc(struct mm_struct *mm)
{
	struct mxvm_endpoint *ep;

	if (mxvm_should_fail())
		return ERR_PTR(-ENOMEM);
	ep = kzalloc(sizeof(*ep), GFP_KERNEL_ACCOUNT);
	if (!ep)
		return ERR_PTR(-ENOMEM);
	xa_init_flags(&ep->grants, XA_FLAGS_ALLOC | XA_FLAGS_ACCOUNT);
	INIT_LIST_HEAD(&ep->gmaps);
	INIT_HLIST_NODE(&ep->hnode);
	/* The notifier's ops are module text: keep the module. */
	__module_get(THIS_MODULE);
	return &ep->mn;
}

static void mxvm_mn_free(struct mmu_notifier *mn)
{
	kfree(container_of(mn, struct mxvm_endpoint, mn));
	/* mxvm_exit() waits for this in mmu_notifier_synchronize(). */
	module_put(THIS_MODULE);
}

static const struct mmu_notifier_ops mxvm_mn_ops = {
	.release	= mxvm_mn_release,
	.alloc_notifier	= mxvm_mn_alloc,
	.free_notifier	= mxvm_mn_free,
};

/**
 * mxvm_endpoint_current() - the calling process's endpoint, made if need be
 *
 * Valid until the caller's mm is torn down, so for the whole of an ioctl.
 *
 * Return: the endpoint, or an ERR_PTR(): -ENOSPC when endpoint numbers are
 * used up, -ENOMEM, or -ERESTARTNOINTR when a signal interrupted the first
 * registration (the call restarts).
 */
struct mxvm_endpoint *mxvm_endpoint_current(void)
{
	struct mm_struct *mm = current->mm;
	struct mxvm_endpoint *ep;
	struct mmu_notifier *mn;
	bool keep = false;
	int ret = 0;

	mutex_lock(&mxvm_lock);
	ep = mxvm_ep_of_mm(mm);
	mutex_unlock(&mxvm_lock);
	if (ep)
		return ep;

	/*
	 * Takes mmap_lock for write: outside mxvm_lock.  The first
	 * registration on an mm takes all its locks and gives up with EINTR
	 * on any pending signal; nothing happened, so restart the call.
	 */
	mn = mmu_notifier_get(&mxvm_mn_ops, mm);
	if (IS_ERR(mn))
		return PTR_ERR(mn) == -EINTR ? ERR_PTR(-ERESTARTNOINTR) :
					       ERR_CAST(mn);
	ep = container_of(mn, struct mxvm_endpoint, mn);

	mutex_lock(&mxvm_lock);
	if (!ep->registered) {
		/* The first caller keeps its reference until ->release. */
		if (mxvm_ep_last == MXVM_EP_MAX)
			ret = -ENOSPC;
		else if (mxvm_should_fail())
			ret = -ENOMEM;
		else
			ret = xa_err(xa_store(&mxvm_ep_by_id, mxvm_ep_last + 1,
					      ep, GFP_KERNEL));
		if (!ret) {
			ep->id = ++mxvm_ep_last;
			ep->registered = true;
			hash_add(mxvm_ep_by_mm, &ep->hnode, (unsigned long)mm);
			atomic_long_inc(&mxvm_stats.endpoints);
			atomic_long_inc(&mxvm_stats.objects);
			keep = true;
		}
	}
	mutex_unlock(&mxvm_lock);
	/* Another thread of the process registered it first, or failure. */
	if (!keep)
		mmu_notifier_put(mn);
	return ret ? ERR_PTR(ret) : ep;
}

/* Grant tables. */

/* A grant id that can never be valid: 0, or not 31 bits. */
static bool mxvm_gid_malformed(u32 gid)
{
	return !gid || gid > INT_MAX;
}

static struct mxvm_grant *mxvm_grant_lookup(struct mxvm_endpoint *ep,
					    u32 gid)
{
	struct mxvm_grant *grant;

	lockdep_assert_held(&mxvm_lock);
	grant = xa_load(&ep->grants, gid & (MXVM_GID_SLOTS - 1));
	if (!grant || xa_is_value(grant) || grant->gid != gid)
		return NULL;
	return grant;
}

/* Put @grant in a free slot of @ep's table and give it its id. */
static int mxvm_grant_insert(struct mxvm_endpoint *ep,
			     struct mxvm_grant *grant)
{
	unsigned long slot = 0;
	void *entry;
	u32 id;
	int ret;

	lockdep_assert_held(&mxvm_lock);
	if (ep->nr_grants >= min(READ_ONCE(max_grants), MXVM_GID_SLOTS))
		return -ENOSPC;
	/* The lowest slot freed before, as MINIX's cpf_new_grantslot(). */
	entry = xa_find(&ep->grants, &slot, MXVM_GID_SLOTS - 1,
			MXVM_GRANT_FREE);
	if (entry) {
		/* Replacing an entry allocates nothing. */
		xa_store(&ep->grants, slot, grant, GFP_KERNEL);
		xa_clear_mark(&ep->grants, slot, MXVM_GRANT_FREE);
		grant->gid = slot | xa_to_value(entry) << MXVM_GID_GEN_SHIFT;
	} else {
		ret = mxvm_should_fail() ? -ENOMEM :
		      xa_alloc(&ep->grants, &id, grant,
			       XA_LIMIT(0, MXVM_GID_SLOTS - 1), GFP_KERNEL);
		if (ret)
			return ret == -EBUSY ? -ENOSPC : ret;
		grant->gid = id | 1U << MXVM_GID_GEN_SHIFT;
	}
	grant->owner = ep;
	ep->nr_grants++;
	atomic_long_inc(&mxvm_stats.grants);
	return 0;
}

/* Free a grant whose mappings have ended; its slot's next id differs. */
static void mxvm_grant_release(struct mxvm_grant *grant)
{
	struct mxvm_endpoint *ep = grant->owner;
	unsigned long slot = grant->gid & (MXVM_GID_SLOTS - 1);
	unsigned long gen = grant->gid >> MXVM_GID_GEN_SHIFT;

	lockdep_assert_held(&mxvm_lock);
	WARN_ON_ONCE(!list_empty(&grant->gmaps));
	if (gen < MXVM_GID_GEN_MAX) {
		xa_store(&ep->grants, slot, xa_mk_value(gen + 1), GFP_KERNEL);
		xa_set_mark(&ep->grants, slot, MXVM_GRANT_FREE);
	} else {
		/* Every generation used: the slot is never used again. */
		xa_store(&ep->grants, slot, xa_mk_value(0), GFP_KERNEL);
	}
	ep->nr_grants--;
	atomic_long_dec(&mxvm_stats.grants);
	mxvm_free_obj(grant);
}

/**
 * struct mxvm_chain - a grant chain followed from its user to the memory
 * @grant: the direct grant at its end
 * @owner: the endpoint whose memory it is
 * @addr: the owner's address of the first byte asked for
 * @nvia: links in @via
 * @via: the links, from the user's side
 */
struct mxvm_chain {
	struct mxvm_grant *grant;
	struct mxvm_endpoint *owner;
	u64 addr;
	unsigned int nvia;
	struct mxvm_via via[MXVM_CHAIN_MAX];
};

/*
 * MINIX verify_grant(): follow (@granter, @gid) for @grantee, which every
 * link must name (or MINIXVM_ANY) and allow @access; at most
 * MINIXVM_MAX_INDIRECT indirect links.  [@offset, @offset + @len) must lie
 * in the direct grant's range.  With @grantee 0, neither who nor what is
 * checked: a revocation walking a chain.
 */
static int mxvm_chain_follow(u32 grantee, u32 granter, u32 gid, u64 offset,
			     u64 len, u32 access, struct mxvm_chain *chain)
{
	struct mxvm_endpoint *ep;
	struct mxvm_grant *grant;

	lockdep_assert_held(&mxvm_lock);
	chain->nvia = 0;
	for (;;) {
		ep = mxvm_ep_lookup(granter);
		if (IS_ERR(ep))
			return PTR_ERR(ep);
		if (mxvm_gid_malformed(gid))
			return -EINVAL;
		grant = mxvm_grant_lookup(ep, gid);
		if (!grant)
			return -EPERM;
		if (chain->nvia == MXVM_CHAIN_MAX)
			return -ELOOP;
		chain->via[chain->nvia].ep = granter;
		chain->via[chain->nvia].gid = gid;
		chain->nvia++;
		if (grantee && grant->to != MINIXVM_ANY && grant->to != grantee)
			return -EPERM;
		if (grantee && (grant->access & access) != access)
			return -EPERM;
		if (!grant->indirect)
			break;
		grantee = grantee ? granter : 0;
		granter = grant->from;
		gid = grant->from_gid;
	}
	if (grantee && (offset > grant->len || len > grant->len - offset))
		return -EPERM;
	chain->grant = grant;
	chain->owner = ep;
	chain->addr = grant->start + offset;
	return 0;
}

/**
 * mxvm_grant_create() - MINIXVM_IOC_GRANT
 * @me: the caller's endpoint
 * @arg: the command
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
int mxvm_grant_create(struct mxvm_endpoint *me, struct minixvm_grant *arg)
{
	bool indirect = arg->flags & MINIXVM_GRANT_INDIRECT;
	struct mm_struct *mm = current->mm;
	struct mxvm_grant *grant;
	struct mxvm_chain chain;
	struct mxvm_range r = {};
	int ret;

	if (arg->flags & ~MINIXVM_GRANT_INDIRECT || arg->__reserved)
		return -EINVAL;
	if (!arg->access || arg->access & ~MXVM_GRANT_ACCESS)
		return -EINVAL;
	if (indirect && (arg->addr || arg->length))
		return -EINVAL;
	if (!indirect && (arg->from || arg->from_gid))
		return -EINVAL;
	if (!indirect) {
		if (!arg->length || arg->addr >= TASK_SIZE ||
		    arg->length > TASK_SIZE - arg->addr)
			return -EINVAL;
	}
	if (!indirect && arg->access & MINIXVM_GRANT_MAP) {
		/* MINIX bug B1: an unaligned MAP grant is refused, not half made. */
		ret = mxvm_check_user_range(arg->addr, arg->length);
		if (!ret)
			ret = mxvm_check_length(arg->length);
		if (ret)
			return ret;
		if (mmap_read_lock_killable(mm))
			return -EINTR;
		ret = mxvm_resolve(mm, arg->addr, arg->length, &r);
		mmap_read_unlock(mm);
		kvfree(r.segs);
		if (ret)
			return ret == -ENOMEM ? ret : -EINVAL;
	}

	grant = mxvm_alloc_obj(sizeof(*grant), GFP_KERNEL);
	if (!grant)
		return -ENOMEM;
	INIT_LIST_HEAD(&grant->gmaps);
	grant->to = arg->to;
	grant->access = arg->access;
	grant->indirect = indirect;
	grant->start = arg->addr;
	grant->len = arg->length;
	grant->from = arg->from;
	grant->from_gid = arg->from_gid;

	mutex_lock(&mxvm_lock);
	ret = mxvm_check_grantee(arg->to);
	/* An indirect grant passes on only what the caller may do. */
	if (!ret && indirect)
		ret = mxvm_chain_follow(me->id, arg->from, arg->from_gid, 0, 0,
					arg->access, &chain);
	if (!ret && indirect && chain.nvia == MXVM_CHAIN_MAX)
		ret = -ELOOP;	/* it would be the 6th indirect link */
	if (!ret)
		ret = mxvm_grant_insert(me, grant);
	if (!ret)
		arg->out_gid = grant->gid;
	mutex_unlock(&mxvm_lock);
	if (ret)
		mxvm_free_obj(grant);
	return ret;
}

/* Mapping records. */

static void mxvm_gmap_unlink(struct mxvm_gmap *gmap)
{
	list_del(&gmap->grant_node);
	list_del(&gmap->region_node);
	list_del(&gmap->ep_node);
	gmap->grantee->nr_gmaps--;
	atomic_long_dec(&mxvm_stats.gmaps);
	mxvm_free_obj(gmap);
}

/**
 * mxvm_gmap_prealloc() - allocate records ahead of a change
 * @list: where to put them
 * @nr: how many
 *
 * Return: 0, or -ENOMEM with @list emptied.
 */
int mxvm_gmap_prealloc(struct list_head *list, unsigned int nr)
{
	struct mxvm_gmap *gmap;

	while (nr--) {
		gmap = mxvm_alloc_obj(sizeof(*gmap), GFP_KERNEL);
		if (!gmap) {
			mxvm_gmap_free_list(list);
			return -ENOMEM;
		}
		list_add(&gmap->ep_node, list);
	}
	return 0;
}

/**
 * mxvm_gmap_free_list() - free the records mxvm_gmap_prealloc() made
 * @list: records not used
 */
void mxvm_gmap_free_list(struct list_head *list)
{
	struct mxvm_gmap *gmap, *next;

	list_for_each_entry_safe(gmap, next, list, ep_node) {
		list_del(&gmap->ep_node);
		mxvm_free_obj(gmap);
	}
}

static struct mxvm_gmap *mxvm_gmap_take(struct list_head *spare)
{
	struct mxvm_gmap *gmap;

	gmap = list_first_entry(spare, struct mxvm_gmap, ep_node);
	list_del(&gmap->ep_node);
	return gmap;
}

/* Link a filled-in record everywhere it belongs. */
static void mxvm_gmap_link(struct mxvm_gmap *gmap)
{
	list_add_tail(&gmap->grant_node, &gmap->grant->gmaps);
	list_add_tail(&gmap->region_node, &gmap->region->gmaps);
	list_add_tail(&gmap->ep_node, &gmap->grantee->gmaps);
	gmap->grantee->nr_gmaps++;
	atomic_long_inc(&mxvm_stats.gmaps);
}

/**
 * mxvm_gmap_cuts() - records a map over a destination may need
 * @dst: the destination runs
 *
 * A record is cut in two by a run strictly inside it, and then needs a
 * second record for its tail.
 *
 * Return: the number of spare records to preallocate.
 */
unsigned int mxvm_gmap_cuts(struct mxvm_range *dst)
{
	struct mxvm_gmap *gmap;
	unsigned int i, n = 0;
	struct mxvm_seg *seg;

	lockdep_assert_held(&mxvm_lock);
	for (i = 0; i < dst->nsegs; i++) {
		seg = &dst->segs[i];
		list_for_each_entry(gmap, &seg->region->gmaps, region_node)
			if (gmap->idx < seg->idx &&
			    seg->idx + seg->nr < gmap->idx + gmap->nr)
				n++;
	}
	return n;
}

/* Whether runs [@a, @a + @an) and [@b, @b + @bn) meet: where, in @lo, @hi. */
static bool mxvm_runs_meet(unsigned long a, unsigned long an, unsigned long b,
			   unsigned long bn, unsigned long *lo,
			   unsigned long *hi)
{
	*lo = max(a, b);
	*hi = min(a + an, b + bn);
	return *lo < *hi;
}

/*
 * Give [@start, @start + @nr) of a map's pages, which @from's run covers
 * in the source, a record of their own in the destination runs @dst.
 * Return: how many records that takes; made only with @spare.
 */
static unsigned int mxvm_gmap_derive_one(struct mxvm_gmap *from,
					 struct mxvm_range *dst,
					 unsigned long start, unsigned long nr,
					 u64 src_addr,
					 struct mxvm_gmap_req *req,
					 struct list_head *spare)
{
	unsigned long off = 0, lo, hi;
	struct mxvm_gmap *gmap;
	unsigned int i, n = 0;
	struct mxvm_seg *seg;

	for (i = 0; i < dst->nsegs; off += dst->segs[i].nr, i++) {
		seg = &dst->segs[i];
		if (!mxvm_runs_meet(start, nr, off, seg->nr, &lo, &hi))
			continue;
		n++;
		if (!spare || WARN_ON_ONCE(list_empty(spare)))
			continue;
		gmap = mxvm_gmap_take(spare);
		*gmap = *from;
		gmap->grantee = req ? req->grantee : from->grantee;
		gmap->dst_addr = req ? req->tmpl.dst_addr : MXVM_GMAP_NO_ADDR;
		gmap->region = seg->region;
		gmap->idx = seg->idx + lo - off;
		gmap->nr = hi - lo;
		gmap->src_addr = src_addr + ((lo - start) << PAGE_SHIFT);
		mxvm_gmap_link(gmap);
	}
	return n;
}

/**
 * mxvm_gmap_derive() - pass records on with the pages a map shares
 * @src: the source runs of a SHARED or READONLY map
 * @dst: its destination runs
 * @req: the SAFEMAP's request, or NULL for MAP
 * @spare: NULL to count; else preallocated records, to make them
 *
 * Source pages that were mapped through a grant (granted-in memory) and
 * are now shared onward, by the grantee's own MAP or by a SAFEMAP of its
 * own grant of them (MINIX's data store did that), stay reachable by a
 * revocation of that grant: their destination gets a record on the same
 * grant, through the same chain.  Without it, a revoked grantee could keep
 * a live view of the grantor's memory through a copy of the mapping.
 * COW maps need none: a COW map of shared pages is an eager copy.
 *
 * Return: the number of records it takes.
 */
unsigned int mxvm_gmap_derive(struct mxvm_range *src, struct mxvm_range *dst,
			      struct mxvm_gmap_req *req,
			      struct list_head *spare)
{
	unsigned long off = 0, lo, hi;
	struct mxvm_gmap *gmap;
	unsigned int i, n = 0;
	struct mxvm_seg *seg;

	lockdep_assert_held(&mxvm_lock);
	for (i = 0; i < src->nsegs; off += src->segs[i].nr, i++) {
		seg = &src->segs[i];
		list_for_each_entry(gmap, &seg->region->gmaps, region_node) {
			if (!mxvm_runs_meet(gmap->idx, gmap->nr, seg->idx,
					    seg->nr, &lo, &hi))
				continue;
			n += mxvm_gmap_derive_one(gmap, dst, off + lo - seg->idx,
						  hi - lo,
						  gmap->src_addr +
						  ((lo - gmap->idx) << PAGE_SHIFT),
						  req, spare);
		}
	}
	return n;
}

/**
 * mxvm_gmap_cut() - pages of a region are mapped over: forget them
 * @region: the region
 * @idx: first page
 * @nr: number of pages
 * @spare: preallocated records, for a record cut in two
 *
 * The records of mappings through grants lose the pages: a later revoke
 * must not touch what the grantee mapped there since.
 */
void mxvm_gmap_cut(struct mxvm_region *region, unsigned long idx,
		   unsigned long nr, struct list_head *spare)
{
	unsigned long end = idx + nr, gend, skip;
	struct mxvm_gmap *gmap, *next, *tail;

	lockdep_assert_held(&mxvm_lock);
	list_for_each_entry_safe(gmap, next, &region->gmaps, region_node) {
		gend = gmap->idx + gmap->nr;
		if (gend <= idx || end <= gmap->idx)
			continue;
		if (idx <= gmap->idx && gend <= end) {
			mxvm_gmap_unlink(gmap);
			continue;
		}
		if (gmap->idx < idx && end < gend) {
			/* Cut in two: the tail is a record of its own. */
			tail = mxvm_gmap_take(spare);
			*tail = *gmap;
			skip = end - gmap->idx;
			tail->idx = end;
			tail->nr = gend - end;
			tail->src_addr += skip << PAGE_SHIFT;
			mxvm_gmap_link(tail);
			gmap->nr = idx - gmap->idx;
			continue;
		}
		if (gmap->idx < idx) {
			gmap->nr = idx - gmap->idx;
		} else {
			skip = end - gmap->idx;
			gmap->idx = end;
			gmap->nr -= skip;
			gmap->src_addr += skip << PAGE_SHIFT;
		}
	}
}

/**
 * mxvm_gmap_add() - record a destination run of a SAFEMAP
 * @req: what to record
 * @seg: the run
 * @src_addr: the owner's address of its first page
 * @spare: preallocated records
 */
void mxvm_gmap_add(struct mxvm_gmap_req *req, struct mxvm_seg *seg,
		   u64 src_addr, struct list_head *spare)
{
	struct mxvm_gmap *gmap = mxvm_gmap_take(spare);

	*gmap = req->tmpl;
	gmap->grantee = req->grantee;
	gmap->region = seg->region;
	gmap->idx = seg->idx;
	gmap->nr = seg->nr;
	gmap->src_addr = src_addr;
	mxvm_gmap_link(gmap);
}

/**
 * mxvm_gmaps_region_gone() - a region is freed: forget its records
 * @region: the region
 */
void mxvm_gmaps_region_gone(struct mxvm_region *region)
{
	struct mxvm_gmap *gmap, *next;

	lockdep_assert_held(&mxvm_lock);
	list_for_each_entry_safe(gmap, next, &region->gmaps, region_node)
		mxvm_gmap_unlink(gmap);
}

/*
 * Pages that just became private are no longer a mapping through any
 * grant: cut them out of every record of their region, the ended ones
 * included.  A record of another grant over some of them (derived, as in
 * the data store chain) keeps only its other pages, so that revoking that
 * grant later does not end what the grantee has made of them since.
 */
static void mxvm_gmaps_cut_runs(struct mxvm_range *r, struct list_head *spare)
{
	unsigned int i;

	for (i = 0; i < r->nsegs; i++)
		mxvm_gmap_cut(r->segs[i].region, r->segs[i].idx,
			      r->segs[i].nr, spare);
}

/**
 * mxvm_gmaps_unshare() - end the sharing of runs, and their records with it
 * @r: the runs
 *
 * The runs get private copies (MINIX unmap_memory(), mxvm_unshare_locked());
 * their pages are then no longer mappings through any grant and leave
 * every record.  Records strictly around a run are cut in two: at most one
 * spare per run and record around it, whatever the order of the cuts.
 * Called under mxvm_lock, by UNMAP and by revocations.
 *
 * Return: 0, or -ENOMEM or -EINTR and nothing changed.
 */
int mxvm_gmaps_unshare(struct mxvm_range *r)
{
	LIST_HEAD(spare);
	int ret;

	lockdep_assert_held(&mxvm_lock);
	ret = mxvm_gmap_prealloc(&spare, mxvm_gmap_cuts(r));
	if (!ret)
		ret = mxvm_unshare_locked(r, false);
	if (!ret)
		mxvm_gmaps_cut_runs(r, &spare);
	mxvm_gmap_free_list(&spare);
	return ret;
}

/*
 * End one mapping as its grantor's process exits: the grantee's run gets
 * private copies, which cannot fail (mxvm_unshare_locked()), then the run
 * is cut out of the region's records.  A record cut in two needs a new
 * one; records are small, so that allocation does not fail either.
 */
static void mxvm_gmap_end_exiting(struct mxvm_gmap *ended)
{
	struct mxvm_seg seg = { ended->region, ended->idx, ended->nr };
	struct mxvm_range r = { &seg, 1 };
	struct mxvm_gmap *gmap;
	unsigned int n;
	LIST_HEAD(spare);

	lockdep_assert_held(&mxvm_lock);
	mxvm_unshare_locked(&r, true);
	for (n = mxvm_gmap_cuts(&r); n; n--) {
		gmap = mxvm_alloc_obj(sizeof(*gmap),
				      GFP_KERNEL | __GFP_NOFAIL);
		list_add(&gmap->ep_node, &spare);
	}
	mxvm_gmaps_cut_runs(&r, &spare);
	mxvm_gmap_free_list(&spare);
}

/*
 * End mappings: each grantee's run gets private copies and leaves every
 * record (mxvm_gmaps_unshare()).  All or nothing.
 */
static int mxvm_gmaps_end(struct mxvm_gmap **gmaps, unsigned int n)
{
	struct mxvm_seg one, *segs = &one;
	struct mxvm_range r;
	unsigned int i;
	int ret;

	lockdep_assert_held(&mxvm_lock);
	if (!n)
		return 0;
	if (n > 1) {
		segs = mxvm_should_fail() ? NULL :
		       kvmalloc_array(n, sizeof(*segs), GFP_KERNEL);
		if (!segs)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		segs[i] = (struct mxvm_seg){ gmaps[i]->region, gmaps[i]->idx,
					     gmaps[i]->nr };
	r = (struct mxvm_range){ segs, n };
	ret = mxvm_gmaps_unshare(&r);
	if (segs != &one)
		kvfree(segs);
	return ret;
}

/* Whether a record was made through (@ep, @gid). */
static bool mxvm_gmap_via(struct mxvm_gmap *gmap, u32 ep, u32 gid)
{
	unsigned int i;

	for (i = 0; i < gmap->nvia; i++)
		if (gmap->via[i].ep == ep && gmap->via[i].gid == gid)
			return true;
	return false;
}

/*
 * The direct grant whose records a revocation of @grant looks at: itself,
 * or where its chain ends now (a broken chain has no mappings left).
 */
static struct mxvm_grant *mxvm_grant_direct(struct mxvm_grant *grant)
{
	struct mxvm_chain chain;

	if (!grant->indirect)
		return grant;
	if (mxvm_chain_follow(0, grant->owner->id, grant->gid, 0, 0, 0,
			      &chain))
		return NULL;
	return chain.grant;
}

/* Whether a revocation of @grant, or of [@addr, @addr + @len), ends it. */
static bool mxvm_gmap_revoked(struct mxvm_gmap *gmap,
			      struct mxvm_grant *grant, u64 addr, u64 len)
{
	if (grant)
		return !grant->indirect ||
		       mxvm_gmap_via(gmap, grant->owner->id, grant->gid);
	return gmap->src_addr < addr + len &&
	       addr < gmap->src_addr + (gmap->nr << PAGE_SHIFT);
}

/*
 * Find the records a revocation ends: those through @grant of @ep, or
 * (@grant NULL) those whose source overlaps [@addr, @addr + @len), made
 * through any direct grant of @ep.  Store them at @out if not NULL.
 * Return: how many.
 */
static unsigned int mxvm_gmaps_scan(struct mxvm_endpoint *ep,
				    struct mxvm_grant *grant, u64 addr,
				    u64 len, struct mxvm_gmap **out)
{
	struct mxvm_grant *direct;
	struct mxvm_gmap *gmap;
	unsigned int n = 0;
	unsigned long slot;

	lockdep_assert_held(&mxvm_lock);
	if (grant) {
		direct = mxvm_grant_direct(grant);
		if (!direct)
			return 0;
		list_for_each_entry(gmap, &direct->gmaps, grant_node)
			if (mxvm_gmap_revoked(gmap, grant, 0, 0)) {
				if (out)
					out[n] = gmap;
				n++;
			}
		return n;
	}
	xa_for_each(&ep->grants, slot, direct) {
		if (xa_is_value(direct) || direct->indirect)
			continue;
		list_for_each_entry(gmap, &direct->gmaps, grant_node)
			if (mxvm_gmap_revoked(gmap, NULL, addr, len)) {
				if (out)
					out[n] = gmap;
				n++;
			}
	}
	return n;
}

/*
 * An exiting endpoint's grant goes: the mappings through it end, one at a
 * time and without failing, then the grant.
 */
static void mxvm_grant_free(struct mxvm_grant *grant)
{
	struct mxvm_grant *direct = mxvm_grant_direct(grant);
	struct mxvm_gmap *gmap, *next;
	LIST_HEAD(victims);

	/*
	 * Ending one cuts others: some leave the list, and a record cut in two
	 * leaves its tail on the grant.  Take the first each time, and look
	 * again until none is left.
	 */
	while (direct) {
		list_for_each_entry_safe(gmap, next, &direct->gmaps, grant_node)
			if (mxvm_gmap_revoked(gmap, grant, 0, 0))
				list_move_tail(&gmap->grant_node, &victims);
		if (list_empty(&victims))
			break;
		while (!list_empty(&victims)) {
			gmap = list_first_entry(&victims, struct mxvm_gmap,
						grant_node);
			mxvm_gmap_end_exiting(gmap);
		}
	}
	mxvm_grant_release(grant);
}

/* Revoke what @grant, or @ep's memory at [@addr, @addr + @len), lent. */
static int mxvm_revoke_locked(struct mxvm_endpoint *ep,
			      struct mxvm_grant *grant, u64 addr, u64 len,
			      u32 *count)
{
	struct mxvm_gmap **gmaps = NULL;
	unsigned int n;
	int ret;

	lockdep_assert_held(&mxvm_lock);
	n = mxvm_gmaps_scan(ep, grant, addr, len, NULL);
	if (n) {
		gmaps = mxvm_should_fail() ? NULL :
			kvmalloc_array(n, sizeof(*gmaps), GFP_KERNEL);
		if (!gmaps)
			return -ENOMEM;
		mxvm_gmaps_scan(ep, grant, addr, len, gmaps);
	}
	ret = mxvm_gmaps_end(gmaps, n);
	kvfree(gmaps);
	if (!ret)
		*count = n;
	return ret;
}

/**
 * mxvm_grant_revoke() - MINIXVM_IOC_REVOKE (MINIX cpf_revoke())
 * @me: the caller's endpoint
 * @gid: the grant
 * @count: out: the mappings that ended
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
int mxvm_grant_revoke(struct mxvm_endpoint *me, u32 gid, u32 *count)
{
	struct mxvm_grant *grant;
	int ret = -EPERM;

	if (mxvm_gid_malformed(gid))
		return -EINVAL;
	mutex_lock(&mxvm_lock);
	grant = mxvm_grant_lookup(me, gid);
	if (grant)
		ret = mxvm_revoke_locked(me, grant, 0, 0, count);
	/* An indirect grant has no records; a direct one has none left. */
	if (!ret && !grant->indirect && WARN_ON_ONCE(!list_empty(&grant->gmaps)))
		ret = -EBUSY;
	if (!ret)
		mxvm_grant_release(grant);
	mutex_unlock(&mxvm_lock);
	return ret;
}

/**
 * mxvm_saferevmap() - MINIXVM_IOC_SAFEREVMAP
 * @me: the caller's endpoint
 * @arg: the command
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
int mxvm_saferevmap(struct mxvm_endpoint *me,
		    struct minixvm_saferevmap *arg)
{
	bool by_addr = arg->flags & MINIXVM_REVMAP_ADDR;
	struct mxvm_grant *grant = NULL;
	int ret;

	if (arg->flags & ~MINIXVM_REVMAP_ADDR)
		return -EINVAL;
	if (by_addr) {
		if (arg->gid)
			return -EINVAL;
		ret = mxvm_check_user_range(arg->addr, arg->length);
		if (ret)
			return ret;
	} else if (arg->addr || arg->length || mxvm_gid_malformed(arg->gid)) {
		return -EINVAL;
	}

	mutex_lock(&mxvm_lock);
	ret = 0;
	if (!by_addr) {
		grant = mxvm_grant_lookup(me, arg->gid);
		if (!grant)
			ret = -EPERM;
	}
	if (!ret)
		ret = mxvm_revoke_locked(me, grant, arg->addr, arg->length,
					 &arg->out_count);
	mutex_unlock(&mxvm_lock);
	return ret;
}

/**
 * mxvm_safeunmap() - MINIXVM_IOC_SAFEUNMAP
 * @me: the caller's endpoint
 * @addr: the start of the SAFEMAP calls to end
 * @count: out: the mappings that ended
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
int mxvm_safeunmap(struct mxvm_endpoint *me, u64 addr, u32 *count)
{
	struct mxvm_gmap **gmaps, *gmap;
	unsigned int n = 0;
	int ret;

	if (!PAGE_ALIGNED(addr))
		return -EINVAL;
	mutex_lock(&mxvm_lock);
	list_for_each_entry(gmap, &me->gmaps, ep_node)
		n += gmap->dst_addr == addr;
	gmaps = !n || mxvm_should_fail() ? NULL :
		kvmalloc_array(n, sizeof(*gmaps), GFP_KERNEL);
	ret = n && !gmaps ? -ENOMEM : 0;
	if (gmaps) {
		n = 0;
		list_for_each_entry(gmap, &me->gmaps, ep_node)
			if (gmap->dst_addr == addr)
				gmaps[n++] = gmap;
		ret = mxvm_gmaps_end(gmaps, n);
		kvfree(gmaps);
	}
	mutex_unlock(&mxvm_lock);
	if (!ret)
		*count = n;
	return ret;
}

/**
 * mxvm_grant_source() - the memory a grant lends, for a copy or a map
 * @me: the caller's endpoint
 * @grantor: the endpoint holding @gid
 * @gid: the grant
 * @offset: offset in the granted range
 * @len: bytes wanted from there
 * @access: &enum minixvm_grant_access bits the use needs
 * @mm: out: the owner's mm, mmget(): the caller mmput()s it, under no lock
 * @addr: out: the owner's address of the first byte
 *
 * Return: 0 or a negative errno: the grant errors of the uapi header.
 */
int mxvm_grant_source(struct mxvm_endpoint *me, u32 grantor, u32 gid,
		      u64 offset, u64 len, u32 access,
		      struct mm_struct **mm, u64 *addr)
{
	struct mxvm_chain chain;
	int ret;

	mutex_lock(&mxvm_lock);
	ret = mxvm_chain_follow(me->id, grantor, gid, offset, len, access,
				&chain);
	if (!ret && !mmget_not_zero(chain.owner->mn.mm))
		ret = -ESRCH;	/* its mm is going, ->release is near */
	if (!ret) {
		*mm = chain.owner->mn.mm;
		*addr = chain.addr;
	}
	mutex_unlock(&mxvm_lock);
	return ret;
}

/* Drop the references mxvm_safemap() took on the owner's regions. */
static void mxvm_put_regions(struct mxvm_range *r, unsigned int n)
{
	unsigned int i;

	mutex_lock(&mxvm_lock);
	for (i = 0; i < n; i++)
		mxvm_region_put(r->segs[i].region);
	mutex_unlock(&mxvm_lock);
}

/**
 * mxvm_safemap() - MINIXVM_IOC_SAFEMAP
 * @me: the caller's endpoint
 * @arg: the command
 *
 * The owner's range is resolved under its mmap_lock, its regions kept,
 * and the lock dropped before the caller's is taken: never two mmap_locks
 * at once.  The chain is followed again under mxvm_lock before anything
 * changes, so a grant revoked meanwhile maps nothing.
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
int mxvm_safemap(struct mxvm_endpoint *me, struct minixvm_safemap *arg)
{
	u32 access = MINIXVM_GRANT_MAP | MINIXVM_GRANT_READ;
	struct mm_struct *mm = current->mm, *owner_mm;
	struct mxvm_range rs = {}, rd = {};
	struct mxvm_gmap_req req = {};
	struct mxvm_chain chain;
	unsigned int held = 0;
	u64 src, len = arg->length;
	int ret;

	if (arg->flags || arg->__reserved)
		return -EINVAL;
	if (arg->mode < MINIXVM_MAP_READONLY || arg->mode > MINIXVM_MAP_COW)
		return -EINVAL;
	if (!PAGE_ALIGNED(arg->offset))
		return -EINVAL;
	ret = mxvm_check_user_range(arg->dst_addr, len);
	if (!ret)
		ret = mxvm_check_length(len);
	if (ret)
		return ret;
	if (arg->mode == MINIXVM_MAP_SHARED)
		access |= MINIXVM_GRANT_WRITE;

	ret = mxvm_grant_source(me, arg->grantor, arg->gid, arg->offset, len,
				access, &owner_mm, &src);
	if (ret)
		return ret;

	/* The owner's side, under its mmap_lock only. */
	if (mmap_read_lock_killable(owner_mm)) {
		ret = -EINTR;
		goto out_mmput;
	}
	/* The grant's range was checked against the owner's address space. */
	ret = mxvm_resolve(owner_mm, src, len, &rs);
	if (!ret) {
		mutex_lock(&mxvm_lock);
		for (held = 0; held < rs.nsegs; held++)
			mxvm_region_get(rs.segs[held].region);
		mutex_unlock(&mxvm_lock);
	}
	mmap_read_unlock(owner_mm);
	if (ret)
		goto out_free;

	/* The caller's side. */
	if (mmap_read_lock_killable(mm)) {
		ret = -EINTR;
		goto out_put;
	}
	ret = mxvm_resolve(mm, arg->dst_addr, len, &rd);
	if (!ret)
		ret = mxvm_check_overlap(&rs, &rd);
	if (!ret) {
		mutex_lock(&mxvm_lock);
		ret = mxvm_chain_follow(me->id, arg->grantor, arg->gid,
					arg->offset, len, access, &chain);
		if (!ret && chain.addr != src)
			ret = -EAGAIN;	/* cannot happen: ids are not reused */
		if (!ret) {
			req.grantee = me;
			req.tmpl.grant = chain.grant;
			req.tmpl.dst_addr = arg->dst_addr;
			req.tmpl.src_addr = src;
			req.tmpl.nvia = chain.nvia;
			memcpy(req.tmpl.via, chain.via, sizeof(chain.via));
			req.max = READ_ONCE(max_grant_maps);
			ret = mxvm_map_locked(&rs, &rd, len >> PAGE_SHIFT,
					      arg->mode, &req);
		}
		mutex_unlock(&mxvm_lock);
	}
	mmap_read_unlock(mm);
out_put:
	mxvm_put_regions(&rs, held);
out_free:
	kvfree(rs.segs);
	kvfree(rd.segs);
out_mmput:
	mmput(owner_mm);
	return ret;
}

/**
 * mxvm_grant_exit() - module exit: wait for endpoints' memory to go
 *
 * Every endpoint holds a module reference until its memory is freed,
 * after an SRCU grace period, by a callback in this module.
 */
void mxvm_grant_exit(void)
{
	mmu_notifier_synchronize();
	WARN_ON(!xa_empty(&mxvm_ep_by_id));
}
