// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm demo: what the module does, step by step, for a reader who has
 * never heard of MINIX.  Run by `make demo` inside a booted guest.
 */
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/wait.h>

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

/* The physical frame behind an address (as root), to show sharing. */
static unsigned long frame(const void *addr)
{
	unsigned long long e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, &e, 8, (unsigned long)addr / 4096 * 8) != 8)
		e = 0;
	if (fd >= 0)
		close(fd);
	return e >> 63 ? e & ((1ULL << 55) - 1) : 0;
}

static void show(const char *a, const char *b)
{
	/* Read both first: a page shows in pagemap once it is mapped. */
	if (!mxvm_peek(a) || !mxvm_peek(b))
		return;
	printf("    A = \"%s\" (frame %#lx)   B = \"%s\" (frame %#lx)%s\n",
	       a, frame(a), b, frame(b),
	       frame(a) == frame(b) ? "   <- the same memory" : "");
}

static char *new_region(int fd, size_t len)
{
	struct minixvm_region_create rc = {
		.size = sizeof(rc),
		.flags = MINIXVM_REGION_WRITABLE,
		.length = len,
	};
	char *p;

	if (ioctl(fd, MINIXVM_IOC_REGION_CREATE, &rc))
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 rc.out_offset);
	return p == MAP_FAILED ? NULL : p;
}

static int map(int fd, char *src, char *dst, __u32 mode)
{
	struct minixvm_map m = {
		.size = sizeof(m),
		.mode = mode,
		.src_addr = (unsigned long)src,
		.dst_addr = (unsigned long)dst,
		.length = 4096,
	};

	return ioctl(fd, MINIXVM_IOC_MAP, &m);
}

static int demo_map(int fd)
{
	struct minixvm_unmap u = { .size = sizeof(u), .length = 4096 };
	char *a, *b;
	int status;

	step("It creates two regions of memory, A and B, and maps them:");
	a = new_region(fd, 4096);
	b = new_region(fd, 4096);
	if (!a || !b)
		return fail("MINIXVM_IOC_REGION_CREATE + mmap");
	snprintf(a, 4096, "hello");
	snprintf(b, 4096, "xxxxx");
	show(a, b);

	step("Copy-on-write: A mapped over B (MINIXVM_MAP_COW)");
	if (map(fd, a, b, MINIXVM_MAP_COW))
		return fail("MINIXVM_IOC_MAP");
	show(a, b);
	printf("    B writes 'j': it gets its own copy, A keeps its page\n");
	b[0] = 'j';
	show(a, b);

	step("Shared: A mapped over B (MINIXVM_MAP_SHARED); B's copy is dropped");
	if (map(fd, a, b, MINIXVM_MAP_SHARED))
		return fail("MINIXVM_IOC_MAP");
	printf("    A writes 'c', and B sees it\n");
	a[0] = 'c';
	show(a, b);

	step("Read-only: A mapped over B (MINIXVM_MAP_READONLY)");
	if (map(fd, a, b, MINIXVM_MAP_READONLY))
		return fail("MINIXVM_IOC_MAP");
	a[0] = 'b';
	show(a, b);
	if (fork() == 0) {
		b[0] = 'z';		/* the child keeps B read-only */
		_exit(0);
	}
	wait(&status);
	printf("    a process that writes B is killed: %s\n",
	       WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV ?
	       "SIGSEGV" : "NOT KILLED (wrong)");

	step("Unmap B (MINIXVM_IOC_UNMAP): B keeps a private copy of what it saw");
	u.addr = (unsigned long)b;
	if (ioctl(fd, MINIXVM_IOC_UNMAP, &u))
		return fail("MINIXVM_IOC_UNMAP");
	a[0] = 'm';
	printf("    A writes 'm'; B does not see it any more, and may write\n");
	b[4] = 'y';
	show(a, b);
	show_counters();
	munmap(a, 4096);
	munmap(b, 4096);
	return 0;
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

	if (demo_map(fd))
		return 1;

	step("A command the module does not know is refused cleanly:");
	if (ioctl(fd, _IO(MINIXVM_TYPE, 0x7f), &api) == -1)
		printf("    ioctl 0x7f -> %s (%s)\n",
		       errno == ENOTTY ? "ENOTTY" : "?", strerror(errno));

	step("The program closes the device; everything it held is given back:");
	close(fd);
	show_counters();

	printf("\nDemo done.  Next: grants, which do the same between two processes.\n");
	return 0;
}
