// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm demo: what the module does, step by step, for a reader who has
 * never heard of MINIX.  Run by `make demo` inside a booted guest.
 */
#include <stdarg.h>
#include <sys/socket.h>
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

/*
 * Grants between two processes.  The child is the grantor G, this process
 * the grantee R; they take turns, each waiting for the other's message.
 */
static void g_says(const char *buf, const char *what)
{
	mxvm_peek(buf);
	printf("    G: %-40s G's page = \"%s\" (frame %#lx)\n", what, buf,
	       frame(buf));
	fflush(stdout);
}

static void r_says(const char *buf, const char *what)
{
	mxvm_peek(buf);
	printf("    R: %-40s R's page = \"%s\" (frame %#lx)\n", what, buf,
	       frame(buf));
	fflush(stdout);
}

static void grantor(int sock, __u32 grantee)
{
	int fd = open(MINIXVM_DEVICE, O_RDWR | O_CLOEXEC);
	char *buf = fd < 0 ? NULL : new_region(fd, 4096);
	__u32 gid, count = 0;

	if (!buf || mxvm_grant(fd, grantee, buf, 4096,
			       MINIXVM_GRANT_READ | MINIXVM_GRANT_WRITE |
			       MINIXVM_GRANT_MAP, &gid)) {
		fail("G: MINIXVM_IOC_GRANT");
		_exit(1);
	}
	snprintf(buf, 4096, "lent");
	g_says(buf, "grants its page to R: READ|WRITE|MAP");
	mxvm_send(sock, mxvm_endpoint(fd));
	mxvm_send(sock, gid);

	mxvm_recv(sock);		/* R mapped it SHARED */
	g_says(buf, "sees R's write");
	snprintf(buf, 4096, "gift");
	g_says(buf, "writes \"gift\"");
	mxvm_send(sock, 0);

	mxvm_recv(sock);		/* R mapped it COW and wrote */
	g_says(buf, "does not see R's copy-on-write write");
	mxvm_send(sock, 0);

	mxvm_recv(sock);		/* R mapped it SHARED again */
	if (mxvm_saferevmap(fd, gid, &count))
		fail("MINIXVM_IOC_SAFEREVMAP");
	printf("    G: revokes the mappings of its grant: %u ended\n", count);
	snprintf(buf, 4096, "mine");
	g_says(buf, "writes \"mine\" after the revoke");
	mxvm_send(sock, 0);
	mxvm_recv(sock);
	_exit(0);
}

static int demo_grants(int fd)
{
	int sv[2], status;
	__u32 r, g, gid, count;
	char *buf;
	pid_t pid;

	step("Two processes: G (the grantor) lends a page to R (this one)");
	buf = new_region(fd, 4096);
	if (!buf || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return fail("region or socketpair");
	snprintf(buf, 4096, "R's own");
	r = mxvm_endpoint(fd);
	printf("    R's endpoint is %u (MINIXVM_IOC_ENDPOINT)\n", r);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		grantor(sv[1], r);
	}
	close(sv[1]);
	g = mxvm_recv(sv[0]);
	gid = mxvm_recv(sv[0]);
	printf("    R: got G's endpoint %u and grant id %#x\n", g, gid);

	step("R maps the grant SHARED over its page (MINIXVM_IOC_SAFEMAP)");
	if (mxvm_safemap(fd, g, gid, 0, buf, 4096, MINIXVM_MAP_SHARED))
		return fail("MINIXVM_IOC_SAFEMAP");
	r_says(buf, "sees G's page, the same frame");
	buf[0] = 'L';
	r_says(buf, "writes 'L'");
	mxvm_send(sv[0], 0);
	mxvm_recv(sv[0]);
	r_says(buf, "sees G's write");

	step("R maps it COPY-ON-WRITE instead, and writes");
	if (mxvm_safemap(fd, g, gid, 0, buf, 4096, MINIXVM_MAP_COW))
		return fail("MINIXVM_IOC_SAFEMAP");
	r_says(buf, "shares G's frame until a write");
	buf[0] = 'G';
	r_says(buf, "writes 'G': gets its own frame");
	mxvm_send(sv[0], 0);
	mxvm_recv(sv[0]);

	step("R maps it SHARED again; G revokes (MINIXVM_IOC_SAFEREVMAP)");
	if (mxvm_safemap(fd, g, gid, 0, buf, 4096, MINIXVM_MAP_SHARED))
		return fail("MINIXVM_IOC_SAFEMAP");
	r_says(buf, "shares G's page again");
	mxvm_send(sv[0], 0);
	mxvm_recv(sv[0]);
	r_says(buf, "keeps a private snapshot of \"gift\"");
	mxvm_send(sv[0], 0);
	waitpid(pid, &status, 0);

	step("G exits; R's snapshot stays R's, and nothing is left behind");
	buf[0] = 'r';
	r_says(buf, "still has its memory, and writes 'r'");
	if (mxvm_safeunmap(fd, buf, &count) == 0)
		printf("    R: MINIXVM_IOC_SAFEUNMAP finds %u mappings left\n",
		       count);
	printf("    /sys/class/misc/minixvm/nr_grants     = %ld\n",
	       mxvm_sysfs_long("nr_grants"));
	printf("    /sys/class/misc/minixvm/nr_grant_maps = %ld\n",
	       mxvm_sysfs_long("nr_grant_maps"));
	munmap(buf, 4096);
	close(sv[0]);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
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
	if (demo_grants(fd))
		return 1;

	step("A command the module does not know is refused cleanly:");
	if (ioctl(fd, _IO(MINIXVM_TYPE, 0x7f), &api) == -1)
		printf("    ioctl 0x7f -> %s (%s)\n",
		       errno == ENOTTY ? "ENOTTY" : "?", strerror(errno));

	step("The program closes the device; everything it held is given back:");
	close(fd);
	show_counters();
	printf("    (the one object left is this process's endpoint, %ld of them:\n"
	       "     it goes when the process exits)\n",
	       mxvm_sysfs_long("nr_endpoints"));

	printf("\nDemo done.\n");
	return 0;
}
