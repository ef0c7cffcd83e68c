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
};

/**
 * enum minixvm_features - optional capabilities of the running module
 *
 * None are defined by version 1 of the interface; later versions add bits
 * here as capabilities arrive.  A program asks for the bits it needs in
 * &struct minixvm_api.features and gets EINVAL if one of them is missing.
 *
 * @MINIXVM_FEATURES_NONE: no optional feature
 */
enum minixvm_features {
	MINIXVM_FEATURES_NONE = 0,
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

#define MINIXVM_IOC_API		_IO(MINIXVM_TYPE, _MINIXVM_API)

#endif /* _UAPI_LINUX_MINIXVM_H */
