// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm demo: what the module does, step by step, for a reader who has
 * never heard of MINIX.  Run by `make demo` inside a booted guest.
 */
#include <stdarg.h>

#include "mxvm_test.h"

static void step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void step(const char *fmt, ...)
{
	static int n;
	va_list ap;

	va_start(ap, fmt);
	printf("\n[%d] ", ++n);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static void show_counters(void)
{
	printf("    /sys/class/misc/minixvm/nr_pages   = %ld   (pages the module holds)\n",
	       mxvm_sysfs_long("nr_pages"));
	printf("    /sys/class/misc/minixvm/nr_objects = %ld   (open files, regions, grants...)\n",
	       mxvm_sysfs_long("nr_objects"));
}

static int fail(const char *what)
{
	printf("    FAILED: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(void)
{
	struct minixvm_api api;
	int fd;

	printf("minixvm brings MINIX 3's memory grants to Linux: a process can lend\n"
	       "a range of its memory to another process, which maps it shared,\n"
	       "read-only or copy-on-write, until the lender takes it back.\n");

	step("The module is loaded; it registered a character device:");
	if (access(MINIXVM_DEVICE, R_OK | W_OK))
		return fail("access " MINIXVM_DEVICE);
	printf("    %s exists and this process may open it\n", MINIXVM_DEVICE);

	step("Before anyone uses it, the module holds nothing:");
	show_counters();

	step("A program opens %s ...", MINIXVM_DEVICE);
	fd = open(MINIXVM_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("open");
	printf("    got file descriptor %d; the open file is one module object:\n", fd);
	show_counters();

	step("... and shakes hands: which version of the interface, what it offers");
	if (mxvm_handshake(fd, &api))
		return fail("MINIXVM_IOC_API");
	printf("    interface version  %llu\n", (unsigned long long)api.api);
	printf("    optional features  %#llx\n", (unsigned long long)api.features);
	printf("    supported commands %#llx (one bit per ioctl number)\n",
	       (unsigned long long)api.out_ioctls);
	printf("    page size          %u bytes: grants are made of whole pages\n",
	       api.out_page_size);

	step("A command the module does not know is refused cleanly:");
	if (ioctl(fd, _IO(MINIXVM_TYPE, 0x7f), &api) == -1)
		printf("    ioctl 0x7f -> %s (%s)\n",
		       errno == ENOTTY ? "ENOTTY" : "?", strerror(errno));

	step("The program closes the device; everything it held is given back:");
	close(fd);
	show_counters();

	printf("\nDemo done.  Regions, grants and copy-on-write mappings arrive in\n"
	       "the next versions of the module; this demo will show them too.\n");
	return 0;
}
