// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm safecopy: copies between the caller's buffer and memory another
 * endpoint granted, after MINIX 3's kernel/system/do_safecopy.c.
 *
 * The granted memory is any user memory of its owner, minixvm or not.  It
 * is pinned with pin_user_pages_remote() under the owner's mmap_lock, a
 * batch of pages at a time, and unpinned dirty after a copy to it (even a
 * partial one), without FOLL_FORCE: the owner's own rights
 * apply, so a page it may only read is never written, and a write into
 * its copy-on-write pages breaks the sharing first, as its own write
 * would.  The owner's lock is dropped before the caller's buffer is
 * touched, so no two mmap_locks are ever held.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include <linux/minixvm.h>

#include "compat.h"
#include "internal.h"

/* Owner pages held at once. */
#define MXVM_COPY_BATCH	16

/*
 * Copy between the pinned owner pages and the caller's buffer.  A copy to
 * them goes through @bounce: copy_from_user() zero-fills what it could not
 * read, and the owner's page must not get those zeroes when the caller's
 * buffer faults.
 */
static int mxvm_copy_pages(struct page **pages, unsigned long off,
			   u64 uaddr, size_t len, bool to, void *bounce)
{
	void __user *ubuf = u64_to_user_ptr(uaddr);
	unsigned int i = 0;
	size_t n, left;
	void *kaddr;

	while (len) {
		n = min_t(size_t, len, PAGE_SIZE - off);
		if (to && copy_from_user(bounce, ubuf, n))
			return -EFAULT;
		kaddr = kmap_local_page(pages[i]);
		if (to) {
			memcpy(kaddr + off, bounce, n);
			left = 0;
		} else {
			left = copy_to_user(ubuf, kaddr + off, n);
		}
		kunmap_local(kaddr);
		if (left)
			return -EFAULT;
		ubuf += n;
		len -= n;
		off = 0;
		i++;
	}
	return 0;
}

static int mxvm_copy_remote(struct mm_struct *mm, u64 raddr, u64 uaddr,
			    u64 len, bool to)
{
	struct page *pages[MXVM_COPY_BATCH];
	unsigned long start, nr, off;
	void *bounce = NULL;
	size_t chunk;
	int ret = 0;
	long got;

	if (to) {
		bounce = mxvm_alloc_obj(PAGE_SIZE, GFP_KERNEL);
		if (!bounce)
			return -ENOMEM;
	}
	while (len && !ret) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		start = raddr & PAGE_MASK;
		off = raddr - start;
		chunk = min_t(u64, len, MXVM_COPY_BATCH * PAGE_SIZE - off);
		nr = DIV_ROUND_UP(off + chunk, PAGE_SIZE);
		if (mmap_read_lock_killable(mm)) {
			ret = -EINTR;
			break;
		}
		got = mxvm_pin_user_pages_remote(mm, start, nr,
						 to ? FOLL_WRITE : 0, pages);
		mmap_read_unlock(mm);
		if (got < 0) {
			ret = got == -ENOMEM || got == -EINTR ? got : -EFAULT;
			break;
		}
		if (got == nr)
			ret = mxvm_copy_pages(pages, off, uaddr, chunk, to,
					      bounce);
		else
			ret = -EFAULT;
		/* A copy to them that failed half-way still wrote some. */
		unpin_user_pages_dirty_lock(pages, got, to && got == nr);
		raddr += chunk;
		uaddr += chunk;
		len -= chunk;
		cond_resched();
	}
	mxvm_free_obj(bounce);
	return ret;
}

/**
 * mxvm_safecopy() - MINIXVM_IOC_SAFECOPY, and one entry of VSAFECOPY
 * @me: the caller's endpoint
 * @flags: &enum minixvm_copy_flags
 * @ep: the grantor
 * @gid: the grant
 * @offset: offset in the granted range
 * @addr: the caller's buffer
 * @len: bytes
 *
 * Return: 0 or a negative errno, as the uapi header documents.
 */
int mxvm_safecopy(struct mxvm_endpoint *me, u32 flags, u32 ep, u32 gid,
		  u64 offset, u64 addr, u64 len)
{
	bool to = flags & MINIXVM_COPY_TO;
	struct mm_struct *mm;
	u64 raddr;
	int ret;

	if (flags & ~MINIXVM_COPY_TO || !len)
		return -EINVAL;
	if (addr >= TASK_SIZE || len > TASK_SIZE - addr)
		return -EFAULT;
	ret = mxvm_grant_source(me, ep, gid, offset, len,
				to ? MINIXVM_GRANT_WRITE : MINIXVM_GRANT_READ,
				&mm, &raddr);
	if (ret)
		return ret;
	ret = mxvm_copy_remote(mm, raddr, addr, len, to);
	mmput(mm);
	return ret;
}
