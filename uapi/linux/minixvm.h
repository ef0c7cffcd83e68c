/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * minixvm: MINIX 3 style memory grants for Linux.
 *
 * The user-space interface of /dev/minixvm.  Every command takes a pointer to
 * a structure that starts with @size and @flags, in the style of iommufd:
 * the kernel accepts any @size from the smallest it understands up to the
 * largest it knows, and a larger one whose extra bytes are all zero, so a
 * structure can grow at its end without a new command number.
 *
 * Errors common to every command:
 *   ENOTTY  unknown command
 *   EFAULT  the argument pointer is not readable or writable
 *   EINVAL  @size smaller than the first version of the structure, unknown
 *           bits in @flags, or a reserved field that is not zero
 *   E2BIG   @size larger than the kernel knows and the extra bytes not zero
 */
#ifndef _UAPI_LINUX_MINIXVM_H
#define _UAPI_LINUX_MINIXVM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The device node, a misc device with a dynamic minor. */
#define MINIXVM_DEVICE		"/dev/minixvm"

/*
 * The version of the interface described by this header.  MINIXVM_IOC_API
 * reports it; a program that speaks another version gets EINVAL there.
 */
#define MINIXVM_API		1

/*
 * Ioctl type 0xB9 is unassigned in the kernel's
 * Documentation/userspace-api/ioctl/ioctl-number.rst (6.12).
 */
#define MINIXVM_TYPE		0xB9

/* Command numbers; MINIXVM_IOC_API reports them as bits (1 << _MINIXVM_X). */
enum {
	_MINIXVM_API = 0x00,
	_MINIXVM_REGION_CREATE = 0x01,
	_MINIXVM_REGION_DESTROY = 0x02,
	_MINIXVM_MAP = 0x03,
	_MINIXVM_UNMAP = 0x04,
	_MINIXVM_ENDPOINT = 0x05,
	_MINIXVM_GRANT = 0x06,
	_MINIXVM_REVOKE = 0x07,
	_MINIXVM_SAFEMAP = 0x08,
	_MINIXVM_SAFEREVMAP = 0x09,
	_MINIXVM_SAFEUNMAP = 0x0a,
	_MINIXVM_SAFECOPY = 0x0b,
	_MINIXVM_VSAFECOPY = 0x0c,
};

/**
 * enum minixvm_features - optional capabilities of the running module
 *
 * A program asks for the bits it needs in &struct minixvm_api.features and
 * gets EINVAL if one of them is missing.  Later versions add bits here as
 * capabilities arrive.
 *
 * @MINIXVM_FEATURE_REGIONS: regions (MINIXVM_IOC_REGION_CREATE and
 *	_DESTROY, mmap of a region) and mapping inside one process
 *	(MINIXVM_IOC_MAP, MINIXVM_IOC_UNMAP)
 * @MINIXVM_FEATURE_GRANTS: endpoints and grants between processes
 *	(MINIXVM_IOC_ENDPOINT to MINIXVM_IOC_VSAFECOPY)
 */
enum minixvm_features {
	MINIXVM_FEATURE_REGIONS = 1 << 0,
	MINIXVM_FEATURE_GRANTS = 1 << 1,
};

/**
 * struct minixvm_api - ioctl(MINIXVM_IOC_API): the interface handshake
 * @size: sizeof(struct minixvm_api)
 * @flags: must be 0
 * @api: in: the interface version the caller speaks, MINIXVM_API;
 *	out: the version of the module, MINIXVM_API
 * @features: in: the features (&enum minixvm_features) the caller needs;
 *	out: every feature the module supports
 * @out_ioctls: the commands the module supports, bit (1 << _MINIXVM_X)
 *	for each command number
 * @out_page_size: the page size the module maps memory in; every address
 *	and length given to a mapping command is a multiple of it
 * @__reserved: must be 0
 *
 * Like UFFDIO_API, this is the first call a program makes.  It has no side
 * effect and may be repeated.
 *
 * Errors: EINVAL if @api is not MINIXVM_API or @features asks for a bit the
 * module does not support (the structure is then left unchanged in user
 * memory); the common errors of every command.
 */
struct minixvm_api {
	__u32 size;
	__u32 flags;
	__aligned_u64 api;
	__aligned_u64 features;
	__aligned_u64 out_ioctls;
	__u32 out_page_size;
	__u32 __reserved;
};

/**
 * enum minixvm_region_flags - flags of MINIXVM_IOC_REGION_CREATE
 * @MINIXVM_REGION_WRITABLE: the owner may map the region writable
 *	(PROT_WRITE); without it the region is read-only for its owner: its
 *	pages can only be read, and only filled by mapping other memory
 *	into it
 */
enum minixvm_region_flags {
	MINIXVM_REGION_WRITABLE = 1 << 0,
};

/**
 * struct minixvm_region_create - ioctl(MINIXVM_IOC_REGION_CREATE)
 * @size: sizeof(struct minixvm_region_create)
 * @flags: &enum minixvm_region_flags
 * @length: size of the region in bytes: a non-zero multiple of the page
 *	size, at most the module parameter max_region_mb
 * @out_id: the region's id, for MINIXVM_IOC_REGION_DESTROY
 * @__reserved: must be 0
 * @out_offset: the offset to pass to mmap() to map the region
 *
 * Creates a region of @length bytes of zero-filled memory, owned by the
 * calling process and reachable through this open file.  The region is
 * mapped with mmap(addr, len, prot, MAP_SHARED, fd, @out_offset + off):
 * any page-aligned part of it, any number of times, by the process that
 * created it.  Its pages are allocated on first touch and charged to the
 * memory cgroup of the task that touches them.
 *
 * mmap() errors: EINVAL for MAP_PRIVATE, an offset that is not a region of
 * this file, or a range past the region's end; EACCES for PROT_WRITE on a
 * read-only region, or for another process than the creator.
 *
 * Errors: EINVAL for a zero or unaligned @length or unknown @flags; EFBIG
 * for a @length above max_region_mb; ENOSPC when the file already has
 * max_regions regions (or, for a 32-bit process, when the 2^32 pages of
 * offsets it can reach are taken); ENOMEM; EFAULT if the answer cannot be
 * written back, in which case no region was made.
 */
struct minixvm_region_create {
	__u32 size;
	__u32 flags;
	__aligned_u64 length;
	__u32 out_id;
	__u32 __reserved;
	__aligned_u64 out_offset;
};

/**
 * struct minixvm_region_destroy - ioctl(MINIXVM_IOC_REGION_DESTROY)
 * @size: sizeof(struct minixvm_region_destroy)
 * @flags: must be 0
 * @id: the region's id from MINIXVM_IOC_REGION_CREATE
 * @__reserved: must be 0
 *
 * Drops the file's handle on a region: it can no longer be mmap()ed.
 * Existing mappings stay valid; the region's memory is freed when the
 * last of them goes.  Closing the file drops every handle it has.
 *
 * Errors: ENOENT if @id is not a region this process created through this
 * file (a process that shares the file, a forked child for one, does not
 * see its parent's regions).
 */
struct minixvm_region_destroy {
	__u32 size;
	__u32 flags;
	__u32 id;
	__u32 __reserved;
};

/**
 * enum minixvm_map_mode - how MINIXVM_IOC_MAP maps the source
 * @MINIXVM_MAP_READONLY: the destination sees the source's frames and
 *	every later write of the source; it cannot write them (SIGSEGV)
 * @MINIXVM_MAP_SHARED: the destination maps the source's frames, writable
 *	if the destination's region is writable; writes are seen both ways
 * @MINIXVM_MAP_COW: the destination gets a copy-on-write snapshot: both
 *	sides share the frames until one of them writes a page, which then
 *	gets a private copy
 */
enum minixvm_map_mode {
	MINIXVM_MAP_READONLY = 1,
	MINIXVM_MAP_SHARED = 2,
	MINIXVM_MAP_COW = 3,
};

/**
 * struct minixvm_map - ioctl(MINIXVM_IOC_MAP)
 * @size: sizeof(struct minixvm_map)
 * @flags: must be 0
 * @mode: &enum minixvm_map_mode
 * @__reserved: must be 0
 * @src_addr: start of the source range in the caller's address space
 * @dst_addr: start of the destination range in the caller's address space
 * @length: length of both ranges in bytes
 *
 * Maps the source range over the destination range, after MINIX 3's
 * map_memory().  Both ranges must be page aligned, non-empty, at most
 * max_region_mb long, lie wholly in minixvm mappings of the caller (they
 * may span several mappings) and not overlap, neither by address nor by
 * region page; the destination may not name one region page twice (two
 * mappings of the same page side by side).  The source's untouched
 * pages are first filled with zeroes; the destination's previous pages are
 * dropped.  SHARED or READONLY over source pages that are copy-on-write
 * shared first give the source its own copy, which is then shared; COW over
 * source pages that are shared now gives the destination an immediate
 * private copy.
 *
 * The call changes everything or nothing.
 *
 * Errors: EINVAL for unknown @flags or @mode, a zero or unaligned
 * @length or address, overlapping ranges, or a range that is not wholly in
 * minixvm mappings of the caller; EFBIG for a @length above max_region_mb;
 * EFAULT for a range that is not wholly mapped, or that holds a fork
 * snapshot the kernel could not make; EACCES for SHARED from a read-only
 * region or from a page the caller may only read; EINTR on a fatal
 * signal; ENOMEM.
 */
struct minixvm_map {
	__u32 size;
	__u32 flags;
	__u32 mode;
	__u32 __reserved;
	__aligned_u64 src_addr;
	__aligned_u64 dst_addr;
	__aligned_u64 length;
};

/**
 * struct minixvm_unmap - ioctl(MINIXVM_IOC_UNMAP)
 * @size: sizeof(struct minixvm_unmap)
 * @flags: must be 0
 * @addr: start of the range in the caller's address space
 * @length: length of the range in bytes
 *
 * Ends the sharing of every page of the range, after MINIX 3's
 * unmap_memory(): each page the caller shares with anybody (shared,
 * read-only or copy-on-write) is replaced by a private copy of its current
 * contents, writable if its region is writable.  The range stays mapped;
 * the other holders of the pages see no change.
 *
 * The call changes everything or nothing.  Mappings made through grants
 * (MINIXVM_IOC_SAFEMAP) end where the range covers them: nothing is left
 * to revoke there.
 *
 * Errors: EINVAL for unknown @flags, a zero or unaligned @length or
 * address, or a range that is not wholly in minixvm mappings of the
 * caller; EFBIG for a @length above max_region_mb; EFAULT for a range
 * that is not wholly mapped or holds a failed fork snapshot; EINTR on a
 * fatal signal; ENOMEM.
 */
struct minixvm_unmap {
	__u32 size;
	__u32 flags;
	__aligned_u64 addr;
	__aligned_u64 length;
};

/*
 * Grants between processes, after MINIX 3's grant tables (safecopies.h,
 * do_safemap.c, do_safecopy.c).
 *
 * Every process (every mm) that uses them is an endpoint: a number the
 * kernel gives it on first use, never given to another process while the
 * module is loaded.  A forked child is a new endpoint with no grants.  A
 * process grants a range of its memory to another endpoint (or to any),
 * with access bits; the grantee names the grant by (grantor endpoint, grant
 * id) to copy from or to it (SAFECOPY) or to map it (SAFEMAP).
 *
 * Errors common to the grant commands: EINVAL for an endpoint number that
 * was never given out (or 0) and for a grant id that can never be valid (0,
 * or above 2^31 - 1), ESRCH for the endpoint of a process that has exited,
 * EPERM for a grant that does not allow the call (no such grant, a revoked
 * or stale id, not granted to the caller, missing access bits, a range
 * outside the grant), ELOOP for a chain of more than MINIXVM_MAX_INDIRECT
 * indirect grants.  A process's first grant command registers its
 * endpoint; a signal arriving meanwhile restarts the call.  A command that
 * reports a count (REVOKE, SAFEREVMAP, SAFEUNMAP) and then cannot write it
 * back returns EFAULT with its work done.
 */

/* The grantee of a grant anyone may use; never a process's endpoint. */
#define MINIXVM_ANY		0xffffffffU

/* Indirect grants followed at most, from the caller to a direct grant. */
#define MINIXVM_MAX_INDIRECT	5

/**
 * enum minixvm_grant_access - what a grant lets its grantee do
 * @MINIXVM_GRANT_READ: copy from the memory (SAFECOPY from); needed by
 *	every map
 * @MINIXVM_GRANT_WRITE: copy to the memory (SAFECOPY to); needed by a
 *	SHARED map
 * @MINIXVM_GRANT_MAP: map the memory (SAFEMAP); the granted range must be
 *	page aligned minixvm memory
 *
 * The values are MINIX's CPF_READ, CPF_WRITE and CPF_MAP.
 */
enum minixvm_grant_access {
	MINIXVM_GRANT_READ = 1 << 0,
	MINIXVM_GRANT_WRITE = 1 << 1,
	MINIXVM_GRANT_MAP = 1 << 2,
};

/**
 * struct minixvm_endpoint - ioctl(MINIXVM_IOC_ENDPOINT)
 * @size: sizeof(struct minixvm_endpoint)
 * @flags: must be 0
 * @out_endpoint: the calling process's endpoint
 * @__reserved: must be 0
 *
 * The first grant command a process makes gives it its endpoint; this one
 * only reports it.  Every file of /dev/minixvm a process calls through
 * gives the same answer; a forked child gets its own.  An endpoint lasts
 * until its process's memory is torn down (exit, or execve()), when its
 * grants are revoked as by MINIXVM_IOC_REVOKE and the mappings it made
 * through other endpoints' grants end.
 *
 * Errors: ENOSPC once 2^31 - 1 endpoints have been given out since the
 * module was loaded; ENOMEM.
 */
struct minixvm_endpoint {
	__u32 size;
	__u32 flags;
	__u32 out_endpoint;
	__u32 __reserved;
};

/**
 * enum minixvm_grant_flags - flags of MINIXVM_IOC_GRANT
 * @MINIXVM_GRANT_INDIRECT: re-grant a grant received from another
 *	endpoint (@from, @from_gid) instead of granting own memory
 */
enum minixvm_grant_flags {
	MINIXVM_GRANT_INDIRECT = 1 << 0,
};

/**
 * struct minixvm_grant - ioctl(MINIXVM_IOC_GRANT): make a grant
 * @size: sizeof(struct minixvm_grant)
 * @flags: &enum minixvm_grant_flags
 * @to: the grantee's endpoint, or MINIXVM_ANY
 * @access: &enum minixvm_grant_access, at least one bit
 * @addr: direct grant: start of the caller's range; 0 for indirect
 * @length: direct grant: its length in bytes; 0 for indirect
 * @from: indirect grant: the endpoint that granted @from_gid to the
 *	caller; 0 for direct
 * @from_gid: indirect grant: that grant's id; 0 for direct
 * @out_gid: the new grant's id, in the caller's table
 * @__reserved: must be 0
 *
 * A direct grant covers [@addr, @addr + @length) of the caller's address
 * space.  With MINIXVM_GRANT_MAP the range must be page aligned and lie
 * wholly in minixvm mappings of the caller when the grant is made (it is
 * checked again at each use); a grant of READ and WRITE only may cover any
 * user memory of the caller, which SAFECOPY then reads or writes.
 *
 * An indirect grant passes a grant the caller received on to @to, with
 * @access a subset of what the caller may do with it.  Uses follow the
 * chain: each link must name the endpoint that uses it (or MINIXVM_ANY)
 * and allow the access asked for; at most MINIXVM_MAX_INDIRECT indirect
 * links, then ELOOP.
 *
 * A grant id is 31 bits: a slot in the caller's table and that slot's
 * generation, so that the id of a revoked grant never names a later one.
 *
 * Errors: EINVAL for unknown @flags or @access bits, no @access, a zero
 * @length or a range that wraps or leaves user space, an unaligned MAP
 * range, a MAP range not wholly in minixvm mappings of the caller, or
 * direct fields in an indirect grant (and back); EFBIG for a MAP range
 * above max_region_mb; EINVAL/ESRCH for @to as for any endpoint; for an
 * indirect grant, the error a use of (@from, @from_gid) by the caller with
 * @access would get; ENOSPC when the caller has max_grants grants; ENOMEM.
 * Nothing is made when the call fails.
 */
struct minixvm_grant {
	__u32 size;
	__u32 flags;
	__u32 to;
	__u32 access;
	__aligned_u64 addr;
	__aligned_u64 length;
	__u32 from;
	__u32 from_gid;
	__u32 out_gid;
	__u32 __reserved;
};

/**
 * struct minixvm_revoke - ioctl(MINIXVM_IOC_REVOKE): free a grant
 * @size: sizeof(struct minixvm_revoke)
 * @flags: must be 0
 * @gid: a grant in the caller's table
 * @out_count: the mappings that ended (see MINIXVM_IOC_SAFEREVMAP)
 *
 * MINIX's cpf_revoke(): every mapping made through the grant, by its
 * grantee or through indirect grants built on it, ends first as by
 * MINIXVM_IOC_SAFEREVMAP, each grantee keeping a private snapshot; then
 * the grant is freed and its id never names a grant again.
 *
 * Errors: EPERM if @gid is not a grant of the caller; ENOMEM or EINTR
 * while making the snapshots, in which case nothing changed and the grant
 * is still valid.
 */
struct minixvm_revoke {
	__u32 size;
	__u32 flags;
	__u32 gid;
	__u32 out_count;
};

/**
 * struct minixvm_safemap - ioctl(MINIXVM_IOC_SAFEMAP): map granted memory
 * @size: sizeof(struct minixvm_safemap)
 * @flags: must be 0
 * @grantor: the endpoint whose table holds @gid
 * @gid: the grant
 * @mode: &enum minixvm_map_mode
 * @__reserved: must be 0
 * @offset: where in the granted range the mapped part starts, in bytes
 * @dst_addr: start of the destination range in the caller's address space
 * @length: length in bytes
 *
 * Maps [@offset, @offset + @length) of the grant's memory over the
 * caller's range, as MINIXVM_IOC_MAP does inside one process, with the
 * memory's owner at the end of the chain as the source: its pages are
 * shared (SHARED, READONLY) or copy-on-write (COW), and the caller's
 * previous pages in the range are dropped.  The grant must name the caller
 * (or MINIXVM_ANY) and allow MAP and READ, and WRITE for SHARED; COW needs
 * no WRITE, since it never writes the owner's pages (MINIX asked for it).
 * The owner's range must still be minixvm memory.
 *
 * The mapping is recorded until the caller ends it (MINIXVM_IOC_SAFEUNMAP,
 * or by mapping something else over it), a grantor in the chain revokes it
 * (MINIXVM_IOC_SAFEREVMAP, MINIXVM_IOC_REVOKE, or exit), or the caller's
 * pages go.  When it ends, the caller keeps a private copy of what the
 * range held, writable if its region is.  A destination that spans k
 * minixvm mappings counts as k mappings against max_grant_maps, which
 * SAFEMAP checks (counting the records it would derive; MAP and the
 * splitting of a mapping by a map over its middle are not refused).
 *
 * Errors: EINVAL for unknown @flags or @mode, an unaligned @offset,
 * @dst_addr or @length, a zero @length, a destination not wholly in minixvm
 * mappings of the caller or overlapping the source, or an owner range that
 * is no longer minixvm memory; EFBIG for a @length above max_region_mb;
 * EFAULT for a range that is not wholly mapped; EACCES for SHARED from
 * memory its owner may only read; ENOSPC when the caller has
 * max_grant_maps mappings; the grant errors above; EINTR; ENOMEM.  The
 * call changes everything or nothing.
 */
struct minixvm_safemap {
	__u32 size;
	__u32 flags;
	__u32 grantor;
	__u32 gid;
	__u32 mode;
	__u32 __reserved;
	__aligned_u64 offset;
	__aligned_u64 dst_addr;
	__aligned_u64 length;
};

/**
 * enum minixvm_saferevmap_flags - flags of MINIXVM_IOC_SAFEREVMAP
 * @MINIXVM_REVMAP_ADDR: revoke by address (@addr, @length) instead of by
 *	grant id
 */
enum minixvm_saferevmap_flags {
	MINIXVM_REVMAP_ADDR = 1 << 0,
};

/**
 * struct minixvm_saferevmap - ioctl(MINIXVM_IOC_SAFEREVMAP)
 * @size: sizeof(struct minixvm_saferevmap)
 * @flags: &enum minixvm_saferevmap_flags
 * @gid: by id: a grant in the caller's table; 0 by address
 * @out_count: the number of mappings that ended
 * @addr: by address: start of a range of the caller's address space
 * @length: by address: its length in bytes
 *
 * The grantor ends mappings of its memory, for every grantee at once: by
 * id, every mapping made through that grant (directly or through indirect
 * grants built on it; for an indirect grant of the caller, every mapping
 * made through it); by address, every mapping made through any direct
 * grant of the caller whose source overlaps the range.  Each grantee keeps
 * a private copy of what its range held, writable if its region is.  The
 * grants stay valid.  Finding nothing is not an error (@out_count is 0).
 *
 * Errors: EINVAL for unknown @flags, a non-zero @gid with
 * MINIXVM_REVMAP_ADDR, or an unaligned, empty or wrapping range; EPERM if
 * @gid is not a grant of the caller; EINTR, ENOMEM: nothing changed.
 */
struct minixvm_saferevmap {
	__u32 size;
	__u32 flags;
	__u32 gid;
	__u32 out_count;
	__aligned_u64 addr;
	__aligned_u64 length;
};

/**
 * struct minixvm_safeunmap - ioctl(MINIXVM_IOC_SAFEUNMAP)
 * @size: sizeof(struct minixvm_safeunmap)
 * @flags: must be 0
 * @out_count: the number of mappings that ended
 * @__reserved: must be 0
 * @addr: the @dst_addr of a MINIXVM_IOC_SAFEMAP of the caller
 *
 * The grantee ends every mapping a SAFEMAP starting at @addr made (MINIX
 * sys_safeunmap()), keeping a private copy of its contents, writable if
 * its region is.  Finding none is not an error (@out_count is 0).
 *
 * Errors: EINVAL for unknown @flags or an unaligned @addr; EINTR, ENOMEM:
 * nothing changed.
 */
struct minixvm_safeunmap {
	__u32 size;
	__u32 flags;
	__u32 out_count;
	__u32 __reserved;
	__aligned_u64 addr;
};

/**
 * enum minixvm_copy_flags - direction of a safe copy
 * @MINIXVM_COPY_TO: from the caller's buffer to the granted memory
 *	(needs MINIXVM_GRANT_WRITE); without it, from the granted memory to
 *	the caller's buffer (needs MINIXVM_GRANT_READ)
 */
enum minixvm_copy_flags {
	MINIXVM_COPY_TO = 1 << 0,
};

/**
 * struct minixvm_safecopy - ioctl(MINIXVM_IOC_SAFECOPY)
 * @size: sizeof(struct minixvm_safecopy)
 * @flags: &enum minixvm_copy_flags
 * @endpoint: the grantor, whose table holds @gid
 * @gid: the grant
 * @offset: where in the granted range the copy starts, in bytes
 * @addr: the caller's buffer
 * @length: bytes to copy, at least 1
 *
 * MINIX sys_safecopyfrom() and sys_safecopyto(): copies between the
 * caller's buffer and the granted memory of the endpoint at the end of the
 * chain, any memory it granted (ordinary or minixvm), with the rights its
 * mappings have: a page it may only read is never written.  A write into
 * its copy-on-write pages gives it a copy first; a write into pages it
 * shares is seen by every sharer.
 *
 * Errors: EINVAL for unknown @flags or a zero @length; EFAULT if the
 * caller's buffer or the owner's range is not wholly accessible (the
 * owner's pages are checked a batch of up to 16 pages at a time, so bytes
 * before the failing batch may have been copied; a copy to the grant
 * writes nothing of the owner's page whose bytes the caller's buffer could
 * not give; a copy from it writes the bytes before the fault into the
 * caller's buffer, as read(2) does); the grant errors above; EINTR on a
 * fatal signal; ENOMEM.
 */
struct minixvm_safecopy {
	__u32 size;
	__u32 flags;
	__u32 endpoint;
	__u32 gid;
	__aligned_u64 offset;
	__aligned_u64 addr;
	__aligned_u64 length;
};

/**
 * struct minixvm_copy_vec - one copy of MINIXVM_IOC_VSAFECOPY
 * @flags: &enum minixvm_copy_flags
 * @endpoint: as &struct minixvm_safecopy
 * @gid: as &struct minixvm_safecopy
 * @__reserved: must be 0
 * @offset: as &struct minixvm_safecopy
 * @addr: as &struct minixvm_safecopy
 * @length: as &struct minixvm_safecopy
 */
struct minixvm_copy_vec {
	__u32 flags;
	__u32 endpoint;
	__u32 gid;
	__u32 __reserved;
	__aligned_u64 offset;
	__aligned_u64 addr;
	__aligned_u64 length;
};

/* Entries MINIXVM_IOC_VSAFECOPY takes at most (MINIX SCPVEC_NR). */
#define MINIXVM_VSAFECOPY_MAX	64

/**
 * struct minixvm_vsafecopy - ioctl(MINIXVM_IOC_VSAFECOPY)
 * @size: sizeof(struct minixvm_vsafecopy)
 * @flags: must be 0
 * @count: number of entries at @vec, 1 to MINIXVM_VSAFECOPY_MAX
 * @out_done: the number of entries copied in full
 * @vec: user pointer to an array of &struct minixvm_copy_vec
 *
 * MINIX sys_vsafecopy(): the copies are made in order and the call stops
 * at the first that fails, returning its error; the ones before it stay
 * done and @out_done counts them.  @out_done is written back whether the
 * call succeeds or not.
 *
 * Errors: EINVAL for unknown @flags, a @count of 0 or above
 * MINIXVM_VSAFECOPY_MAX, or an entry with unknown flags or non-zero
 * reserved bits (checked before any copy); EFAULT if @vec cannot be read;
 * else the error of the failing entry, as MINIXVM_IOC_SAFECOPY.
 */
struct minixvm_vsafecopy {
	__u32 size;
	__u32 flags;
	__u32 count;
	__u32 out_done;
	__aligned_u64 vec;
};

#define MINIXVM_IOC_API		_IO(MINIXVM_TYPE, _MINIXVM_API)
#define MINIXVM_IOC_REGION_CREATE _IO(MINIXVM_TYPE, _MINIXVM_REGION_CREATE)
#define MINIXVM_IOC_REGION_DESTROY _IO(MINIXVM_TYPE, _MINIXVM_REGION_DESTROY)
#define MINIXVM_IOC_MAP		_IO(MINIXVM_TYPE, _MINIXVM_MAP)
#define MINIXVM_IOC_UNMAP	_IO(MINIXVM_TYPE, _MINIXVM_UNMAP)
#define MINIXVM_IOC_ENDPOINT	_IO(MINIXVM_TYPE, _MINIXVM_ENDPOINT)
#define MINIXVM_IOC_GRANT	_IO(MINIXVM_TYPE, _MINIXVM_GRANT)
#define MINIXVM_IOC_REVOKE	_IO(MINIXVM_TYPE, _MINIXVM_REVOKE)
#define MINIXVM_IOC_SAFEMAP	_IO(MINIXVM_TYPE, _MINIXVM_SAFEMAP)
#define MINIXVM_IOC_SAFEREVMAP	_IO(MINIXVM_TYPE, _MINIXVM_SAFEREVMAP)
#define MINIXVM_IOC_SAFEUNMAP	_IO(MINIXVM_TYPE, _MINIXVM_SAFEUNMAP)
#define MINIXVM_IOC_SAFECOPY	_IO(MINIXVM_TYPE, _MINIXVM_SAFECOPY)
#define MINIXVM_IOC_VSAFECOPY	_IO(MINIXVM_TYPE, _MINIXVM_VSAFECOPY)

#endif /* _UAPI_LINUX_MINIXVM_H */
