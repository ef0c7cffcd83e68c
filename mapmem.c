// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm mapmem: mapping granted memory into a process, after MINIX 3's
 * servers/vm/map_mem.c (map_memory(), unmap_memory()).
 *
 * This file holds the checks every mapping command applies to the ranges it
 * is given; the mapping engine itself builds on them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/mm.h>

#include "internal.h"

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
