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
 */
enum minixvm_features {
	MINIXVM_FEATURE_REGIONS = 1 << 0,
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
 * The call changes everything or nothing.
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

#define MINIXVM_IOC_API		_IO(MINIXVM_TYPE, _MINIXVM_API)
#define MINIXVM_IOC_REGION_CREATE _IO(MINIXVM_TYPE, _MINIXVM_REGION_CREATE)
#define MINIXVM_IOC_REGION_DESTROY _IO(MINIXVM_TYPE, _MINIXVM_REGION_DESTROY)
#define MINIXVM_IOC_MAP		_IO(MINIXVM_TYPE, _MINIXVM_MAP)
#define MINIXVM_IOC_UNMAP	_IO(MINIXVM_TYPE, _MINIXVM_UNMAP)

#endif /* _UAPI_LINUX_MINIXVM_H */
