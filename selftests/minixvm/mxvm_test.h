/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the minixvm selftests.  The fixture helpers at the end
 * are defined only where kselftest_harness.h was included first.
 */
#ifndef MXVM_TEST_H
#define MXVM_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/minixvm.h>

#define MXVM_SYSFS	"/sys/class/misc/minixvm/"

/* Read a file that holds one number; -1 on error. */
static inline long mxvm_read_long(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd;

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

/* Read one numeric attribute of /sys/class/misc/minixvm; -1 on error. */
static inline long mxvm_sysfs_long(const char *attr)
{
	char path[256];

	snprintf(path, sizeof(path), MXVM_SYSFS "%s", attr);
	return mxvm_read_long(path);
}

/* The handshake as a program makes it; returns the ioctl's result. */
static inline int mxvm_handshake(int fd, struct minixvm_api *api)
{
	memset(api, 0, sizeof(*api));
	api->size = sizeof(*api);
	api->api = MINIXVM_API;
	return ioctl(fd, MINIXVM_IOC_API, api);
}

/* The page size the tests assume (x86-64); MINIXVM_IOC_API reports it. */
#define MXVM_PS		4096UL

/*
 * MINIXVM_IOC_REGION_CREATE of @length bytes with @flags; on success the
 * region's id and mmap() offset go to *@id and *@offset (either may be
 * NULL).  Returns the ioctl's result.
 */
static inline int mxvm_region(int fd, __u64 length, __u32 flags, __u32 *id,
			      __u64 *offset)
{
	struct minixvm_region_create rc = {
		.size = sizeof(rc),
		.flags = flags,
		.length = length,
	};
	int ret = ioctl(fd, MINIXVM_IOC_REGION_CREATE, &rc);

	if (!ret && id)
		*id = rc.out_id;
	if (!ret && offset)
		*offset = rc.out_offset;
	return ret;
}

/* MINIXVM_IOC_REGION_DESTROY of region @id; returns the ioctl's result. */
static inline int mxvm_region_destroy(int fd, __u32 id)
{
	struct minixvm_region_destroy rd = { .size = sizeof(rd), .id = id };

	return ioctl(fd, MINIXVM_IOC_REGION_DESTROY, &rd);
}

/* mmap() @length bytes of a region at @offset, the way a program does. */
static inline void *mxvm_mmap_region(int fd, __u64 offset, size_t length,
				     int prot)
{
	return mmap(NULL, length, prot, MAP_SHARED, fd, (off_t)offset);
}

/* The argument of MINIXVM_IOC_MAP, flags and reserved fields zero. */
static inline struct minixvm_map mxvm_map_args(const void *src, void *dst,
					       size_t len, __u32 mode)
{
	struct minixvm_map m = {
		.size = sizeof(m),
		.mode = mode,
		.src_addr = (uintptr_t)src,
		.dst_addr = (uintptr_t)dst,
		.length = len,
	};

	return m;
}

/* The argument of MINIXVM_IOC_UNMAP, flags zero. */
static inline struct minixvm_unmap mxvm_unmap_args(void *addr, size_t len)
{
	struct minixvm_unmap u = {
		.size = sizeof(u),
		.addr = (uintptr_t)addr,
		.length = len,
	};

	return u;
}

/* MINIXVM_IOC_MAP of @len bytes from @src over @dst; the ioctl's result. */
static inline int mxvm_map(int fd, const void *src, void *dst, size_t len,
			   __u32 mode)
{
	struct minixvm_map m = mxvm_map_args(src, dst, len, mode);

	return ioctl(fd, MINIXVM_IOC_MAP, &m);
}

/* MINIXVM_IOC_UNMAP of @len bytes at @addr; the ioctl's result. */
static inline int mxvm_unmap(int fd, void *addr, size_t len)
{
	struct minixvm_unmap u = mxvm_unmap_args(addr, len);

	return ioctl(fd, MINIXVM_IOC_UNMAP, &u);
}

/*
 * Read or write one byte, an access the compiler neither drops nor merges
 * (like the kernel's READ_ONCE() and WRITE_ONCE()).
 */
static inline unsigned char mxvm_peek(const void *addr)
{
	return __atomic_load_n((const unsigned char *)addr, __ATOMIC_RELAXED);
}

static inline void mxvm_poke(void *addr, unsigned char val)
{
	__atomic_store_n((unsigned char *)addr, val, __ATOMIC_RELAXED);
}

/* True if every byte of the page at @addr is @val (reads, so touches). */
static inline bool mxvm_page_is(const void *addr, unsigned char val)
{
	const unsigned char *p = addr;

	for (size_t i = 0; i < MXVM_PS; i++)
		if (p[i] != val)
			return false;
	return true;
}

/* Fill page i of the @npages at @addr with the byte @base + i. */
static inline void mxvm_fill(void *addr, unsigned int npages,
			     unsigned char base)
{
	for (unsigned int i = 0; i < npages; i++)
		memset((char *)addr + i * MXVM_PS, (unsigned char)(base + i),
		       MXVM_PS);
}

/*
 * The physical frame mapped at @addr, from /proc/self/pagemap (8 bytes per
 * page: bit 63 present, bits 0-54 the frame number, real only for root);
 * 0 if the page is not present.  It does not touch the page: read it first
 * where it must be present.
 */
static inline unsigned long pfn_of(const void *addr)
{
	uint64_t ent = 0;
	off_t pos = (uintptr_t)addr / MXVM_PS * sizeof(ent);
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent), pos) != sizeof(ent))
		ent = 0;
	close(fd);
	if (!(ent & (1ULL << 63)))
		return 0;
	return ent & ((1ULL << 55) - 1);
}

/* Grants: one helper per command, each returning the ioctl's result. */

/* The caller's endpoint, or 0 (errno set). */
static inline __u32 mxvm_endpoint(int fd)
{
	struct minixvm_endpoint e = { .size = sizeof(e) };

	return ioctl(fd, MINIXVM_IOC_ENDPOINT, &e) ? 0 : e.out_endpoint;
}

static inline int mxvm_grant(int fd, __u32 to, const void *addr, size_t len,
			     __u32 access, __u32 *gid)
{
	struct minixvm_grant g = {
		.size = sizeof(g),
		.to = to,
		.access = access,
		.addr = (uintptr_t)addr,
		.length = len,
	};
	int ret = ioctl(fd, MINIXVM_IOC_GRANT, &g);

	if (!ret && gid)
		*gid = g.out_gid;
	return ret;
}

static inline int mxvm_grant_indirect(int fd, __u32 to, __u32 from,
				      __u32 from_gid, __u32 access,
				      __u32 *gid)
{
	struct minixvm_grant g = {
		.size = sizeof(g),
		.flags = MINIXVM_GRANT_INDIRECT,
		.to = to,
		.access = access,
		.from = from,
		.from_gid = from_gid,
	};
	int ret = ioctl(fd, MINIXVM_IOC_GRANT, &g);

	if (!ret && gid)
		*gid = g.out_gid;
	return ret;
}

/* MINIXVM_IOC_REVOKE; the number of mappings ended goes to *@count. */
static inline int mxvm_revoke(int fd, __u32 gid, __u32 *count)
{
	struct minixvm_revoke r = { .size = sizeof(r), .gid = gid };
	int ret = ioctl(fd, MINIXVM_IOC_REVOKE, &r);

	if (!ret && count)
		*count = r.out_count;
	return ret;
}

static inline int mxvm_safemap(int fd, __u32 grantor, __u32 gid,
			       __u64 offset, void *dst, size_t len,
			       __u32 mode)
{
	struct minixvm_safemap m = {
		.size = sizeof(m),
		.grantor = grantor,
		.gid = gid,
		.mode = mode,
		.offset = offset,
		.dst_addr = (uintptr_t)dst,
		.length = len,
	};

	return ioctl(fd, MINIXVM_IOC_SAFEMAP, &m);
}

static inline int mxvm_saferevmap(int fd, __u32 gid, __u32 *count)
{
	struct minixvm_saferevmap r = { .size = sizeof(r), .gid = gid };
	int ret = ioctl(fd, MINIXVM_IOC_SAFEREVMAP, &r);

	if (!ret && count)
		*count = r.out_count;
	return ret;
}

static inline int mxvm_saferevmap_addr(int fd, const void *addr, size_t len,
				       __u32 *count)
{
	struct minixvm_saferevmap r = {
		.size = sizeof(r),
		.flags = MINIXVM_REVMAP_ADDR,
		.addr = (uintptr_t)addr,
		.length = len,
	};
	int ret = ioctl(fd, MINIXVM_IOC_SAFEREVMAP, &r);

	if (!ret && count)
		*count = r.out_count;
	return ret;
}

static inline int mxvm_safeunmap(int fd, void *addr, __u32 *count)
{
	struct minixvm_safeunmap u = {
		.size = sizeof(u),
		.addr = (uintptr_t)addr,
	};
	int ret = ioctl(fd, MINIXVM_IOC_SAFEUNMAP, &u);

	if (!ret && count)
		*count = u.out_count;
	return ret;
}

static inline int mxvm_safecopy(int fd, __u32 flags, __u32 ep, __u32 gid,
				__u64 offset, void *addr, size_t len)
{
	struct minixvm_safecopy c = {
		.size = sizeof(c),
		.flags = flags,
		.endpoint = ep,
		.gid = gid,
		.offset = offset,
		.addr = (uintptr_t)addr,
		.length = len,
	};

	return ioctl(fd, MINIXVM_IOC_SAFECOPY, &c);
}

#define mxvm_safecopy_from(fd, ep, gid, off, buf, len) \
	mxvm_safecopy(fd, 0, ep, gid, off, buf, len)
#define mxvm_safecopy_to(fd, ep, gid, off, buf, len) \
	mxvm_safecopy(fd, MINIXVM_COPY_TO, ep, gid, off, buf, len)

/*
 * A writable region of @len bytes mapped whole, for a process that runs no
 * harness code (a test's child); NULL on failure.  Its pages go when the
 * process exits.
 */
static inline char *mxvm_buf(int fd, size_t len)
{
	__u64 offset;
	char *p;

	if (mxvm_region(fd, len, MINIXVM_REGION_WRITABLE, NULL, &offset))
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)offset);
	return p == MAP_FAILED ? NULL : p;
}

/* Open the device the way a test's child does; exits on failure. */
static inline int mxvm_open_or_die(void)
{
	int fd = open(MINIXVM_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror("open " MINIXVM_DEVICE);
		_exit(90);
	}
	return fd;
}

/*
 * The handshake between the two processes of a grant test, after MINIX's
 * FIFO_NOTIFY and FIFO_WAIT: one 64-bit value per message over a
 * socketpair.  mxvm_recv() returns ~0 when the peer has gone.
 */
static inline void mxvm_send(int sock, uint64_t v)
{
	if (write(sock, &v, sizeof(v)) != sizeof(v))
		_exit(91);
}

static inline uint64_t mxvm_recv(int sock)
{
	uint64_t v;

	if (read(sock, &v, sizeof(v)) != sizeof(v))
		return ~0ULL;
	return v;
}

/*
 * A check in a test's child process, which cannot use the harness: print
 * where and exit non-zero; the parent's EXPECT on the exit status fails.
 */
#define CHILD_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "# child %d: %s:%d: %s failed (errno %d: %s)\n", \
				getpid(), __FILE__, __LINE__, #cond,	\
				errno, strerror(errno));		\
			_exit(1);					\
		}							\
	} while (0)

/*
 * A figure for the end of the run (run.sh collects these lines): what a
 * test did, e.g. mxvm_figure("stress.ops", "%lu", n, "operations checked").
 */
#define mxvm_figure(key, fmt, val, what) do {				\
		printf("MINIXVM_FIGURE %s " fmt " %s\n", key, val, what);	\
		fflush(stdout);						\
	} while (0)

/*
 * Fault injection through the module's own fault attribute (debug kernel
 * only): fail the nth allocation of one ioctl of this thread.
 */
#define FAIL_DIR	"/sys/kernel/debug/fail_minixvm/"

struct fault_inject {
	int make_it_fail;
};

/* Write @val to @path; returns false if that failed. */
static inline bool write_knob(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok;
}

static inline bool fi_start(struct fault_inject *fi)
{
	fi->make_it_fail = open("/proc/thread-self/make-it-fail", O_WRONLY);
	return fi->make_it_fail >= 0 &&
	       write_knob(FAIL_DIR "task-filter", "Y") &&
	       write_knob(FAIL_DIR "verbose", "0") &&
	       write_knob(FAIL_DIR "interval", "1") &&
	       write_knob(FAIL_DIR "probability", "100");
}

static inline void fi_stop(struct fault_inject *fi)
{
	write_knob(FAIL_DIR "probability", "0");
	if (fi->make_it_fail >= 0)
		close(fi->make_it_fail);
}

/*
 * Run @cmd with the module's @nth allocation failing; errno in *@err.
 * *@injected says whether a failure was injected.
 */
static inline int ioctl_fail_nth(struct fault_inject *fi, int fd,
				 unsigned long cmd, void *arg, unsigned int nth,
				 int *err, bool *injected)
{
	char buf[16];
	int ret;

	snprintf(buf, sizeof(buf), "%u", nth);
	if (!write_knob(FAIL_DIR "space", buf) ||
	    !write_knob(FAIL_DIR "times", "1") ||
	    write(fi->make_it_fail, "1", 1) != 1)
		return -2;
	ret = ioctl(fd, cmd, arg);
	*err = errno;
	if (write(fi->make_it_fail, "0", 1) != 1)
		return -2;
	/* times counts down when a failure is injected. */
	*injected = mxvm_read_long(FAIL_DIR "times") == 0;
	return ret;
}

/* True if nothing at all is mapped at the page @addr. */
static inline bool mxvm_unmapped(void *addr)
{
	return msync(addr, MXVM_PS, MS_ASYNC) == -1 && errno == ENOMEM;
}

/*
 * Run @fn(@arg) in a child process that shares this process's address space
 * (clone(CLONE_VM), no CLONE_THREAD), so that it meets the very page tables
 * under test and not a fork's copy of them.  The child runs no harness code
 * and dumps no core.  Returns 1 if SIGSEGV killed the child, 0 if @fn
 * returned 0, -1 for anything else.
 */
static inline int mxvm_child_segv(int (*fn)(void *), void *arg)
{
	const size_t stack_size = 64 * 1024;
	int status, ret = -1;
	char *stack;
	pid_t pid;

	stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -1;
	pid = clone(fn, stack + stack_size, CLONE_VM | SIGCHLD, arg);
	while (pid > 0 && waitpid(pid, &status, 0) != pid) {
		if (errno != EINTR)
			pid = -1;
	}
	if (pid > 0) {
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
			ret = 1;
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ret = 0;
	}
	munmap(stack, stack_size);
	return ret;
}

struct mxvm_poke_arg {
	void *addr;
	unsigned char val;
};

static inline int mxvm_poke_fn(void *arg)
{
	const struct rlimit no_core = { 0, 0 };
	struct mxvm_poke_arg *p = arg;

	setrlimit(RLIMIT_CORE, &no_core);
	mxvm_poke(p->addr, p->val);
	return 0;
}

/*
 * Write @val at @addr from a child sharing the address space: 1 if the
 * write was refused with SIGSEGV, 0 if it went through (and is then seen
 * here too), -1 if something else happened.
 */
static inline int mxvm_write_segv(void *addr, unsigned char val)
{
	struct mxvm_poke_arg p = { .addr = addr, .val = val };

	return mxvm_child_segv(mxvm_poke_fn, &p);
}

#ifdef __KSELFTEST_HARNESS_H
/*
 * What a test fixture holds: the open file, the counters from before it
 * was opened, and everything the test mapped or forked, so that the
 * teardown can give it all back and then check that the module holds
 * exactly what it held before.
 */
#define MXVM_MAX_MAPS	32
#define MXVM_MAX_FDS	4

struct mxvm_tracked {
	char *addr;
	size_t len;
	bool watch;	/* a minixvm mapping whose pages a test may read */
};

struct mxvm_ctx {
	int fd;
	long pages_before;
	long objects_before;
	pid_t child;
	unsigned int nr_maps;
	unsigned int nr_fds;
	int fds[MXVM_MAX_FDS];
	struct mxvm_tracked maps[MXVM_MAX_MAPS];
};

/* One region and the place it is mapped at. */
struct mxvm_mapping {
	char *addr;
	size_t len;
	__u64 offset;
	__u32 id;
};

/* The pages the module holds now, counted from the fixture's baseline. */
static inline long mxvm_held(const struct mxvm_ctx *c)
{
	return mxvm_sysfs_long("nr_pages") - c->pages_before;
}

/* Open /dev/minixvm and ask for the features the tests need. */
static inline int mxvm_ctx_open(struct __test_metadata *_metadata,
				struct mxvm_ctx *c)
{
	struct minixvm_api api = {
		.size = sizeof(api),
		.api = MINIXVM_API,
		.features = MINIXVM_FEATURE_REGIONS,
	};
	int fd;

	ASSERT_GT(MXVM_MAX_FDS, c->nr_fds);
	fd = open(MINIXVM_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", MINIXVM_DEVICE,
				strerror(errno));
	c->fds[c->nr_fds++] = fd;
	ASSERT_EQ(0, ioctl(fd, MINIXVM_IOC_API, &api))
		TH_LOG("MINIXVM_FEATURE_REGIONS: %s", strerror(errno));
	return fd;
}

/* Close a file from mxvm_ctx_open() before the teardown does. */
static inline void mxvm_ctx_close(struct mxvm_ctx *c, int fd)
{
	for (unsigned int i = 0; i < c->nr_fds; i++) {
		if (c->fds[i] == fd) {
			close(fd);
			c->fds[i] = c->fds[--c->nr_fds];
			return;
		}
	}
}

/* FIXTURE_SETUP: the baseline first, then the file. */
static inline void mxvm_ctx_setup(struct __test_metadata *_metadata,
				  struct mxvm_ctx *c)
{
	c->pages_before = mxvm_sysfs_long("nr_pages");
	c->objects_before = mxvm_sysfs_long("nr_objects");
	ASSERT_LE(0, c->pages_before);
	ASSERT_LE(0, c->objects_before);
	c->fd = mxvm_ctx_open(_metadata, c);
}

/* Reap a child left behind, unmap everything, close the files. */
static inline void mxvm_ctx_release(struct mxvm_ctx *c)
{
	if (c->child > 0) {
		kill(c->child, SIGKILL);
		waitpid(c->child, NULL, 0);
		c->child = 0;
	}
	while (c->nr_maps) {
		c->nr_maps--;
		munmap(c->maps[c->nr_maps].addr, c->maps[c->nr_maps].len);
	}
	while (c->nr_fds)
		close(c->fds[--c->nr_fds]);
}

/*
 * FIXTURE_TEARDOWN: release everything; then nothing may be left (the
 * "nothing leaked" rule).
 */
static inline void mxvm_ctx_teardown(struct __test_metadata *_metadata,
				     struct mxvm_ctx *c)
{
	mxvm_ctx_release(c);
	EXPECT_EQ(c->pages_before, mxvm_sysfs_long("nr_pages"));
	EXPECT_EQ(c->objects_before, mxvm_sysfs_long("nr_objects"));
}

/* Remember a mapping for the teardown (and, if @watch, for snapshots). */
static inline void mxvm_ctx_track(struct __test_metadata *_metadata,
				  struct mxvm_ctx *c, void *addr, size_t len,
				  bool watch)
{
	ASSERT_GT(MXVM_MAX_MAPS, c->nr_maps);
	c->maps[c->nr_maps].addr = addr;
	c->maps[c->nr_maps].len = len;
	c->maps[c->nr_maps].watch = watch;
	c->nr_maps++;
}

/*
 * munmap() in a test: a tracked mapping unmapped whole is forgotten, one
 * unmapped in part is no longer read by snapshots.
 */
static inline void mxvm_ctx_munmap(struct __test_metadata *_metadata,
				   struct mxvm_ctx *c, void *addr, size_t len)
{
	char *start = addr, *end = start + len;

	ASSERT_EQ(0, munmap(addr, len)) TH_LOG("munmap: %s", strerror(errno));
	for (unsigned int i = 0; i < c->nr_maps; ) {
		struct mxvm_tracked *t = &c->maps[i];

		if (t->addr == start && t->len == len) {
			*t = c->maps[--c->nr_maps];
			continue;
		}
		if (t->addr < end && start < t->addr + t->len)
			t->watch = false;
		i++;
	}
}

/* A tracked mapping of @len bytes moved by mremap(). */
static inline void mxvm_ctx_moved(struct mxvm_ctx *c, void *from, size_t len,
				  void *to)
{
	for (unsigned int i = 0; i < c->nr_maps; i++)
		if (c->maps[i].addr == from && c->maps[i].len == len)
			c->maps[i].addr = to;
}

/* mmap() @len bytes of a region at @offset, at @at (MAP_FIXED) or anywhere. */
static inline char *mxvm_ctx_mmap(struct __test_metadata *_metadata,
				  struct mxvm_ctx *c, void *at, __u64 offset,
				  size_t len, int prot)
{
	char *p = mmap(at, len, prot, MAP_SHARED | (at ? MAP_FIXED : 0),
		       c->fd, (off_t)offset);

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap offset %#llx: %s",
					(unsigned long long)offset,
					strerror(errno));
	mxvm_ctx_track(_metadata, c, p, len, true);
	return p;
}

/* An anonymous private mapping of @len bytes, tracked. */
static inline char *mxvm_ctx_anon(struct __test_metadata *_metadata,
				  struct mxvm_ctx *c, size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	mxvm_ctx_track(_metadata, c, p, len, false);
	return p;
}

/*
 * Create a region of @npages with @flags and map it whole (PROT_WRITE only
 * if writable).  The page after the mapping is an ordinary anonymous
 * mapping, or, with @hole_after, nothing at all.
 */
static inline struct mxvm_mapping
mxvm_ctx_region(struct __test_metadata *_metadata, struct mxvm_ctx *c,
		unsigned int npages, __u32 flags, bool hole_after)
{
	int prot = PROT_READ;
	struct mxvm_mapping m = { .len = npages * MXVM_PS };
	char *res;

	if (flags & MINIXVM_REGION_WRITABLE)
		prot |= PROT_WRITE;
	ASSERT_EQ(0, mxvm_region(c->fd, m.len, flags, &m.id, &m.offset))
		TH_LOG("REGION_CREATE: %s", strerror(errno));
	res = mxvm_ctx_anon(_metadata, c, m.len + MXVM_PS);
	m.addr = mxvm_ctx_mmap(_metadata, c, res, m.offset, m.len, prot);
	if (hole_after)
		ASSERT_EQ(0, munmap(res + m.len, MXVM_PS));
	return m;
}

/* Touch the page at @addr by reading it, and return its frame. */
static inline unsigned long mxvm_pfn(struct __test_metadata *_metadata,
				     const void *addr)
{
	unsigned long pfn;

	mxvm_peek(addr);
	pfn = pfn_of(addr);
	EXPECT_NE(0UL, pfn) TH_LOG("no frame at %p (not root?)", addr);
	return pfn;
}

/* Expect page i of the @npages at @addr to hold only @base + i. */
static inline void mxvm_expect_fill(struct __test_metadata *_metadata,
				    const void *addr, unsigned int npages,
				    unsigned char base)
{
	for (unsigned int i = 0; i < npages; i++) {
		const char *p = (const char *)addr + i * MXVM_PS;
		unsigned char want = base + i;

		EXPECT_TRUE(mxvm_page_is(p, want))
			TH_LOG("page %u at %p: %#x, expected %#x throughout",
			       i, p, mxvm_peek(p), want);
	}
}

/*
 * Expect page i of @x and page i of @y, for @npages pages, to be the same
 * physical frame (@same) or different ones.  Touches them (reads).
 */
static inline void mxvm_expect_frames(struct __test_metadata *_metadata,
				      const void *x, const void *y,
				      unsigned int npages, bool same)
{
	const char *cx = x, *cy = y;

	for (unsigned int i = 0; i < npages; i++) {
		unsigned long px = mxvm_pfn(_metadata, cx + i * MXVM_PS);
		unsigned long py = mxvm_pfn(_metadata, cy + i * MXVM_PS);

		EXPECT_EQ(same, px == py)
			TH_LOG("page %u: frames %#lx and %#lx, expected %s",
			       i, px, py, same ? "the same" : "different");
	}
}

/* Record the frames of the @npages pages at @addr (touching them). */
static inline void mxvm_get_frames(struct __test_metadata *_metadata,
				   const void *addr, unsigned int npages,
				   unsigned long *pfn)
{
	const char *p = addr;

	for (unsigned int i = 0; i < npages; i++)
		pfn[i] = mxvm_pfn(_metadata, p + i * MXVM_PS);
}

/* Expect the pages at @addr to be the frames mxvm_get_frames() saw. */
static inline void mxvm_expect_frames_kept(struct __test_metadata *_metadata,
					   const void *addr,
					   unsigned int npages,
					   const unsigned long *pfn)
{
	const char *p = addr;

	for (unsigned int i = 0; i < npages; i++) {
		EXPECT_EQ(pfn[i], mxvm_pfn(_metadata, p + i * MXVM_PS))
			TH_LOG("page %u at %p: not the expected frame", i,
			       p + i * MXVM_PS);
	}
}

/* fork() a child the teardown kills if the test does not reap it. */
static inline pid_t mxvm_ctx_fork(struct __test_metadata *_metadata,
				  struct mxvm_ctx *c)
{
	pid_t pid = fork();

	ASSERT_LE(0, pid) TH_LOG("fork: %s", strerror(errno));
	if (pid > 0)
		c->child = pid;
	return pid;
}

/* Reap the child: its exit status, or 128 + the signal that killed it. */
static inline int mxvm_ctx_wait(struct __test_metadata *_metadata,
				struct mxvm_ctx *c)
{
	int status;

	ASSERT_EQ(c->child, waitpid(c->child, &status, 0));
	c->child = 0;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * All or nothing: a snapshot of the counters and of every page of every
 * mapping the test watches (contents and frame), taken before and after
 * a call that must fail.
 */
#define SNAP_MAX	128

struct snap {
	long pages;
	long objects;
	long grants;
	long gmaps;
	unsigned int n;
	uint32_t hash[SNAP_MAX];
	unsigned long pfn[SNAP_MAX];
};

static inline uint32_t page_hash(const char *addr)
{
	const unsigned char *p = (const unsigned char *)addr;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < MXVM_PS; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* The counters first: the page reads below may fault pages back in. */
static inline void take_snap(const struct mxvm_ctx *c, struct snap *s)
{
	s->pages = mxvm_sysfs_long("nr_pages");
	s->objects = mxvm_sysfs_long("nr_objects");
	s->grants = mxvm_sysfs_long("nr_grants");
	s->gmaps = mxvm_sysfs_long("nr_grant_maps");
	s->n = 0;
	for (unsigned int i = 0; i < c->nr_maps; i++) {
		const struct mxvm_tracked *t = &c->maps[i];

		for (size_t off = 0; t->watch && off < t->len; off += MXVM_PS) {
			if (s->n == SNAP_MAX)
				return;
			s->hash[s->n] = page_hash(t->addr + off);
			s->pfn[s->n++] = pfn_of(t->addr + off);
		}
	}
}

static inline void expect_unchanged(struct __test_metadata *_metadata,
				    const struct snap *x, const struct snap *y,
				    const char *what)
{
	unsigned int changed = 0, first = 0;

	EXPECT_EQ(x->pages, y->pages) TH_LOG("%s: nr_pages changed", what);
	EXPECT_EQ(x->objects, y->objects)
		TH_LOG("%s: nr_objects changed", what);
	EXPECT_EQ(x->grants, y->grants) TH_LOG("%s: nr_grants changed", what);
	EXPECT_EQ(x->gmaps, y->gmaps)
		TH_LOG("%s: nr_grant_maps changed", what);
	ASSERT_EQ(x->n, y->n);
	for (unsigned int i = 0; i < x->n; i++) {
		if (x->hash[i] != y->hash[i] || x->pfn[i] != y->pfn[i]) {
			if (!changed++)
				first = i;
		}
	}
	EXPECT_EQ(0, changed)
		TH_LOG("%s: %u pages changed contents or frame, first: %u",
		       what, changed, first);
}

/* Fail each allocation of @cmd in turn; returns how many were failed. */
static inline unsigned int walk_failures(struct __test_metadata *_metadata,
					 struct fault_inject *fi,
					 const struct mxvm_ctx *c,
					 unsigned long cmd, void *arg,
					 const char *what)
{
	struct snap before, after;
	bool injected = false;
	unsigned int nth;
	int ret, err = 0;

	take_snap(c, &before);
	take_snap(c, &before);
	for (nth = 1; nth < 1000; nth++) {
		ret = ioctl_fail_nth(fi, c->fd, cmd, arg, nth, &err,
				     &injected);
		ASSERT_NE(-2, ret) TH_LOG("%s: cannot drive %s", what,
					  FAIL_DIR);
		if (ret == 0)
			break;
		EXPECT_TRUE(injected) TH_LOG("%s failed on its own", what);
		EXPECT_EQ(ENOMEM, err) TH_LOG("%s, allocation %u: %s", what,
					      nth, strerror(err));
		take_snap(c, &after);
		expect_unchanged(_metadata, &before, &after, what);
	}
	EXPECT_FALSE(injected) TH_LOG("%s swallowed failure %u", what, nth);
	EXPECT_LT(nth, 1000) TH_LOG("%s never succeeded", what);
	return nth - 1;
}

#endif /* __KSELFTEST_HARNESS_H */

#endif /* MXVM_TEST_H */
