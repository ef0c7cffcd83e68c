/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the minixvm selftests.
 */
#ifndef MXVM_TEST_H
#define MXVM_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/minixvm.h>

#define MXVM_SYSFS	"/sys/class/misc/minixvm/"

/* Read one numeric attribute of /sys/class/misc/minixvm; -1 on error. */
static inline long mxvm_sysfs_long(const char *attr)
{
	char path[256], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), MXVM_SYSFS "%s", attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 0);
}

/* The handshake as a program makes it; returns the ioctl's result. */
static inline int mxvm_handshake(int fd, struct minixvm_api *api)
{
	memset(api, 0, sizeof(*api));
	api->size = sizeof(*api);
	api->api = MINIXVM_API;
	return ioctl(fd, MINIXVM_IOC_API, api);
}

#endif /* MXVM_TEST_H */
