// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm selftests: bad input.  Every command of uapi/linux/minixvm.h is
 * sent each class of malformed argument that applies to it, and each call
 * must fail with the errno Documentation/userspace-api/minixvm.rst gives
 * while nothing changes: the module's counters, the argument structure in
 * user memory, and the contents and frames of every watched page (the
 * caller's regions and, read through a grant, a peer's).
 *
 * The state the bad calls could damage is real: the test process has
 * regions, a grant its peer A has mapped, a mapping of A's grant; every
 * structure starts from a valid call (one that would succeed and change
 * something) with one field made bad.  Built with -m32 too, where it also
 * checks that addresses above 4 GiB are refused, not truncated.
 */
#include <limits.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "mxvm_test.h"

#define PS		MXVM_PS
#define RWM		(MINIXVM_GRANT_READ | MINIXVM_GRANT_WRITE | \
			 MINIXVM_GRANT_MAP)
#define WRITABLE	MINIXVM_REGION_WRITABLE

/* A kernel address, as an argument pointer and inside a structure. */
#if UINTPTR_MAX > 0xffffffffUL
#define KPTR		((void *)(uintptr_t)0xffffffff81000000ULL)
#else
#define KPTR		((void *)(uintptr_t)0xfffff000UL)
#endif
#define KADDR		0xffffffff81000000ULL
/* An endpoint number the module never gives out while this test runs. */
#define NEVER_EP	0x7ffffff0U

#define U64(p)		((__u64)(uintptr_t)(p))
/* A set of errnos (all below 64), one of which a call must fail with. */
static inline unsigned long long EB(int e)
{
	return e ? 1ULL << e : 0;
}

enum {
	C_API, C_RCREATE, C_RDESTROY, C_MAP, C_UNMAP, C_ENDPOINT, C_GRANT,
	C_REVOKE, C_SAFEMAP, C_SAFEREVMAP, C_SAFEUNMAP, C_SAFECOPY,
	C_VSAFECOPY, C_UNKNOWN, C_NR
};

static const struct cmd_desc {
	const char *name;
	unsigned long cmd;
	unsigned int size;
	int reserved;		/* offset of __reserved, or -1 */
	__u32 flags;		/* the flags the command knows */
} cmds[C_NR] = {
#define CMD(n, s, r, f) { #n, MINIXVM_IOC_##n, sizeof(struct s), r, f }
#define RES(s)	offsetof(struct s, __reserved)
	[C_API] = CMD(API, minixvm_api, RES(minixvm_api), 0),
	[C_RCREATE] = CMD(REGION_CREATE, minixvm_region_create,
			  RES(minixvm_region_create), WRITABLE),
	[C_RDESTROY] = CMD(REGION_DESTROY, minixvm_region_destroy,
			   RES(minixvm_region_destroy), 0),
	[C_MAP] = CMD(MAP, minixvm_map, RES(minixvm_map), 0),
	[C_UNMAP] = CMD(UNMAP, minixvm_unmap, -1, 0),
	[C_ENDPOINT] = CMD(ENDPOINT, minixvm_endpoint,
			   RES(minixvm_endpoint), 0),
	[C_GRANT] = CMD(GRANT, minixvm_grant, RES(minixvm_grant),
			MINIXVM_GRANT_INDIRECT),
	[C_REVOKE] = CMD(REVOKE, minixvm_revoke, -1, 0),
	[C_SAFEMAP] = CMD(SAFEMAP, minixvm_safemap, RES(minixvm_safemap), 0),
	[C_SAFEREVMAP] = CMD(SAFEREVMAP, minixvm_saferevmap, -1,
			     MINIXVM_REVMAP_ADDR),
	[C_SAFEUNMAP] = CMD(SAFEUNMAP, minixvm_safeunmap,
			    RES(minixvm_safeunmap), 0),
	[C_SAFECOPY] = CMD(SAFECOPY, minixvm_safecopy, -1, MINIXVM_COPY_TO),
	[C_VSAFECOPY] = CMD(VSAFECOPY, minixvm_vsafecopy, -1, 0),
	[C_UNKNOWN] = { "unknown", 0, 0, -1, 0 },
#undef RES
#undef CMD
};

union arg {
	struct minixvm_api api;
	struct minixvm_region_create rc;
	struct minixvm_region_destroy rd;
	struct minixvm_map map;
	struct minixvm_unmap unmap;
	struct minixvm_endpoint ep;
	struct minixvm_grant grant;
	struct minixvm_revoke revoke;
	struct minixvm_safemap safemap;
	struct minixvm_saferevmap revmap;
	struct minixvm_safeunmap safeunmap;
	struct minixvm_safecopy copy;
	struct minixvm_vsafecopy vcopy;
	struct {
		__u32 size;
		__u32 flags;
	} hdr;
	unsigned char raw[64];
};

/* Bad inputs tried, per command; shared by the tests' processes. */
static unsigned int *counts;

static void __attribute__((constructor)) counts_init(void)
{
	counts = mmap(NULL, PS, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED)
		abort();
}

FIXTURE(badinput) {
	struct mxvm_ctx c;
	__u32 me, a_ep, b_ep, dead_ep;
	__u32 ga_me, ga_ro, ga_b, ga_stale;	/* A's grants */
	__u32 g_mine, g_spare;			/* this process's, to A */
	__u64 a_addr;		/* A's region: mapped only in A */
	struct mxvm_mapping r, d, ro, buf;
	__u32 spare_id;		/* a region that is never mapped */
	char *anon, *mfd_map;
	union arg *arg;		/* a page, then a PROT_NONE page */
	union arg *ro_arg;	/* a read-only page */
	struct minixvm_copy_vec *vec;	/* a page of entries */
	char *peer;		/* A's granted pages, read through ga_me */
	int null_fd, pipe_fd[2], memfd;
	pid_t pid_a, pid_b;
	int sock_a, sock_b;
};

/* Peer B: an endpoint A grants to; it only waits for the end. */
static void peer_b(int sock)
{
	int fd = mxvm_open_or_die();
	__u32 ep = mxvm_endpoint(fd);

	CHILD_CHECK(ep);
	mxvm_send(sock, ep);
	mxvm_recv(sock);
	_exit(0);
}

/* Peer A: grants to the test process, and maps the test's grant. */
static void peer_a(int sock, __u32 me, __u32 b_ep)
{
	int fd = mxvm_open_or_die();
	__u32 ep = mxvm_endpoint(fd), ga_me, ga_ro, ga_b, ga_stale, g_mine;
	char *a = mxvm_buf(fd, 8 * PS);

	CHILD_CHECK(ep && a);
	mxvm_fill(a, 8, 0xa0);
	CHILD_CHECK(!mxvm_grant(fd, me, a, 4 * PS, RWM, &ga_me));
	CHILD_CHECK(!mxvm_grant(fd, me, a, 4 * PS,
				MINIXVM_GRANT_READ | MINIXVM_GRANT_MAP,
				&ga_ro));
	CHILD_CHECK(!mxvm_grant(fd, b_ep, a, 4 * PS, RWM, &ga_b));
	CHILD_CHECK(!mxvm_grant(fd, me, a, 4 * PS, RWM, &ga_stale));
	CHILD_CHECK(!mxvm_revoke(fd, ga_stale, NULL));
	mxvm_send(sock, ep);
	mxvm_send(sock, ga_me);
	mxvm_send(sock, ga_ro);
	mxvm_send(sock, ga_b);
	mxvm_send(sock, ga_stale);
	mxvm_send(sock, U64(a));
	g_mine = mxvm_recv(sock);
	mxvm_send(sock, mxvm_safemap(fd, me, g_mine, 0, a + 4 * PS, 2 * PS,
				     MINIXVM_MAP_SHARED) ? errno : 0);
	mxvm_recv(sock);
	_exit(0);
}

static pid_t start_peer(struct __test_metadata *_metadata, int *sock,
			void (*fn)(int, __u32, __u32), __u32 me, __u32 b_ep)
{
	int sv[2];
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(sv[0]);
		fn(sv[1], me, b_ep);
		_exit(0);
	}
	close(sv[1]);
	*sock = sv[0];
	return pid;
}

static void peer_b_fn(int sock, __u32 me, __u32 b_ep)
{
	peer_b(sock);
}

FIXTURE_SETUP(badinput)
{
	int fd, sv[2];
	pid_t pid;
	char *p;

	fd = open(MINIXVM_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	self->me = mxvm_endpoint(fd);
	ASSERT_NE(0, self->me) TH_LOG("ENDPOINT: %s", strerror(errno));
	close(fd);

	/* A dead endpoint: a child that had one and exited. */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fd = mxvm_open_or_die();
		mxvm_send(sv[1], mxvm_endpoint(fd));
		_exit(0);
	}
	self->dead_ep = mxvm_recv(sv[0]);
	ASSERT_EQ(pid, waitpid(pid, NULL, 0));
	close(sv[0]);
	close(sv[1]);
	ASSERT_NE(0, self->dead_ep);

	mxvm_ctx_setup(_metadata, &self->c);
	self->anon = mxvm_ctx_anon(_metadata, &self->c, 2 * PS);
	memset(self->anon, 0x40, 2 * PS);

	self->memfd = syscall(SYS_memfd_create, "badinput", 0);
	ASSERT_LE(0, self->memfd);
	ASSERT_EQ(0, ftruncate(self->memfd, 2 * PS));
	self->mfd_map = mmap(NULL, 2 * PS, PROT_READ | PROT_WRITE, MAP_SHARED,
			     self->memfd, 0);
	ASSERT_NE(MAP_FAILED, self->mfd_map);
	mxvm_ctx_track(_metadata, &self->c, self->mfd_map, 2 * PS, false);
	self->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->null_fd);
	ASSERT_EQ(0, pipe(self->pipe_fd));

	p = mxvm_ctx_anon(_metadata, &self->c, 2 * PS);
	ASSERT_EQ(0, mprotect(p + PS, PS, PROT_NONE));
	self->arg = (union arg *)p;
	self->ro_arg = (union arg *)mxvm_ctx_anon(_metadata, &self->c, PS);
	self->vec = (struct minixvm_copy_vec *)
		mxvm_ctx_anon(_metadata, &self->c, PS);
	self->peer = mxvm_ctx_anon(_metadata, &self->c, 4 * PS);

	/* The regions last, so that no later mapping fills R's hole. */
	self->r = mxvm_ctx_region(_metadata, &self->c, 4, WRITABLE, true);
	self->d = mxvm_ctx_region(_metadata, &self->c, 4, WRITABLE, false);
	self->ro = mxvm_ctx_region(_metadata, &self->c, 2, 0, false);
	self->buf = mxvm_ctx_region(_metadata, &self->c, 2, WRITABLE, false);
	mxvm_fill(self->r.addr, 4, 0x10);
	mxvm_fill(self->d.addr, 4, 0x20);
	mxvm_fill(self->buf.addr, 2, 0x30);
	mxvm_peek(self->ro.addr);
	mxvm_peek(self->ro.addr + PS);
	ASSERT_EQ(0, mxvm_region(self->c.fd, PS, WRITABLE, &self->spare_id,
				 NULL));

	self->pid_b = start_peer(_metadata, &self->sock_b, peer_b_fn, 0, 0);
	self->b_ep = mxvm_recv(self->sock_b);
	ASSERT_NE(0, self->b_ep);
	ASSERT_NE((__u32)~0U, self->b_ep);
	self->pid_a = start_peer(_metadata, &self->sock_a, peer_a, self->me,
				 self->b_ep);
	self->a_ep = mxvm_recv(self->sock_a);
	self->ga_me = mxvm_recv(self->sock_a);
	self->ga_ro = mxvm_recv(self->sock_a);
	self->ga_b = mxvm_recv(self->sock_a);
	self->ga_stale = mxvm_recv(self->sock_a);
	self->a_addr = mxvm_recv(self->sock_a);
	ASSERT_NE((__u64)~0ULL, self->a_addr) TH_LOG("peer A failed");
	ASSERT_TRUE(mxvm_unmapped((void *)(uintptr_t)self->a_addr));

	ASSERT_EQ(0, mxvm_grant(self->c.fd, self->a_ep, self->r.addr, 4 * PS,
				RWM, &self->g_mine));
	ASSERT_EQ(0, mxvm_grant(self->c.fd, self->a_ep, self->r.addr, PS,
				MINIXVM_GRANT_READ, &self->g_spare));
	mxvm_send(self->sock_a, self->g_mine);
	ASSERT_EQ(0, mxvm_recv(self->sock_a)) TH_LOG("A's SAFEMAP failed");
	/* D's pages 0-1 are A's pages 0-1, shared. */
	ASSERT_EQ(0, mxvm_safemap(self->c.fd, self->a_ep, self->ga_me, 0,
				  self->d.addr, 2 * PS, MINIXVM_MAP_SHARED))
		TH_LOG("SAFEMAP: %s", strerror(errno));
	ASSERT_TRUE(mxvm_unmapped(self->r.addr + 4 * PS));
	ASSERT_FALSE(mxvm_unmapped(self->d.addr + 4 * PS));
}

FIXTURE_TEARDOWN(badinput)
{
	/* This process's endpoint outlives the test: its grants go now. */
	EXPECT_EQ(0, self->g_mine ?
		  mxvm_revoke(self->c.fd, self->g_mine, NULL) : 0);
	EXPECT_EQ(0, self->g_spare ?
		  mxvm_revoke(self->c.fd, self->g_spare, NULL) : 0);
	if (self->pid_a > 0) {
		close(self->sock_a);
		waitpid(self->pid_a, NULL, 0);
	}
	if (self->pid_b > 0) {
		close(self->sock_b);
		waitpid(self->pid_b, NULL, 0);
	}
	close(self->null_fd);
	close(self->pipe_fd[0]);
	close(self->pipe_fd[1]);
	close(self->memfd);
	mxvm_ctx_teardown(_metadata, &self->c);
}

/* A valid argument for command @c: it would succeed and change state. */
static union arg *valid(FIXTURE_DATA(badinput) * self, int c)
{
	union arg *u = self->arg;

	memset(self->arg, 0, PS);
	memset(self->vec, 0, PS);
	switch (c) {
	case C_API:
		u->api.api = MINIXVM_API;
		break;
	case C_RCREATE:
		u->rc.flags = WRITABLE;
		u->rc.length = PS;
		break;
	case C_RDESTROY:
		u->rd.id = self->spare_id;
		break;
	case C_MAP:
		u->map.mode = MINIXVM_MAP_COW;
		u->map.src_addr = U64(self->r.addr);
		u->map.dst_addr = U64(self->d.addr + 2 * PS);
		u->map.length = PS;
		break;
	case C_UNMAP:
		u->unmap.addr = U64(self->d.addr);
		u->unmap.length = PS;
		break;
	case C_GRANT:
		u->grant.to = self->a_ep;
		u->grant.access = MINIXVM_GRANT_READ;
		u->grant.addr = U64(self->r.addr);
		u->grant.length = PS;
		break;
	case C_REVOKE:
		u->revoke.gid = self->g_spare;
		break;
	case C_SAFEMAP:
		u->safemap.grantor = self->a_ep;
		u->safemap.gid = self->ga_me;
		u->safemap.mode = MINIXVM_MAP_COW;
		u->safemap.offset = 2 * PS;
		u->safemap.dst_addr = U64(self->d.addr + 3 * PS);
		u->safemap.length = PS;
		break;
	case C_SAFEREVMAP:
		u->revmap.gid = self->g_mine;
		break;
	case C_SAFEUNMAP:
		u->safeunmap.addr = U64(self->d.addr);
		break;
	case C_SAFECOPY:
		u->copy.endpoint = self->a_ep;
		u->copy.gid = self->ga_me;
		u->copy.addr = U64(self->buf.addr);
		u->copy.length = 100;
		break;
	case C_VSAFECOPY:
		u->vcopy.count = 1;
		u->vcopy.vec = U64(self->vec);
		self->vec[0].endpoint = self->a_ep;
		self->vec[0].gid = self->ga_me;
		self->vec[0].addr = U64(self->buf.addr);
		self->vec[0].length = 100;
		break;
	}
	u->hdr.size = cmds[c].size;
	return u;
}

/* A's granted pages, read through the grant. */
static void read_peer(FIXTURE_DATA(badinput) * self)
{
	memset(self->peer, 0, 4 * PS);
	mxvm_safecopy_from(self->c.fd, self->a_ep, self->ga_me, 0, self->peer,
			   4 * PS);
}

/*
 * Send @cmd (command @c's number, or another) with @arg to @fd: the call
 * must fail with @e1 or @e2 and change nothing; @arg_len bytes at @arg
 * must stay as they were (0: not readable, not compared).
 */
static void try_bad(struct __test_metadata *_metadata,
		    FIXTURE_DATA(badinput) * self, int fd, int c,
		    unsigned long cmd, void *arg, size_t arg_len,
		    unsigned long long emask, const char *what)
{
	char want[128] = "";
	unsigned char before_arg[sizeof(union arg)];
	long ep_before, ep_after;
	struct snap before, after;
	uint32_t peer_before;
	int ret, err;

	ASSERT_GE(sizeof(before_arg), arg_len);
	read_peer(self);
	peer_before = page_hash(self->peer) ^ page_hash(self->peer + PS) ^
		      page_hash(self->peer + 2 * PS) ^
		      page_hash(self->peer + 3 * PS);
	take_snap(&self->c, &before);
	ep_before = mxvm_sysfs_long("nr_endpoints");
	if (arg_len)
		memcpy(before_arg, arg, arg_len);

	errno = 0;
	ret = ioctl(fd, cmd, arg);
	err = errno;

	for (int e = 1; e < 64; e++) {
		if (emask & EB(e))
			snprintf(want + strlen(want), sizeof(want) - strlen(want),
				 "%s%s", *want ? " or " : "", strerrorname_np(e));
	}
	EXPECT_EQ(-1, ret)
		TH_LOG("%s %s: succeeded, expected %s", cmds[c].name, what,
		       want);
	if (ret == -1) {
		EXPECT_TRUE(err > 0 && err < 64 && (emask & EB(err)))
			TH_LOG("%s %s: got %s (%d), expected %s", cmds[c].name,
			       what, strerrorname_np(err), err, want);
	}
	if (arg_len) {
		EXPECT_EQ(0, memcmp(before_arg, arg, arg_len))
			TH_LOG("%s %s: the argument was written", cmds[c].name,
			       what);
	}
	take_snap(&self->c, &after);
	ep_after = mxvm_sysfs_long("nr_endpoints");
	expect_unchanged(_metadata, &before, &after, what);
	EXPECT_EQ(ep_before, ep_after)
		TH_LOG("%s %s: nr_endpoints changed", cmds[c].name, what);
	read_peer(self);
	EXPECT_EQ(peer_before, page_hash(self->peer) ^
		  page_hash(self->peer + PS) ^ page_hash(self->peer + 2 * PS) ^
		  page_hash(self->peer + 3 * PS))
		TH_LOG("%s %s: the peer's pages changed", cmds[c].name, what);
	__atomic_add_fetch(&counts[c], 1, __ATOMIC_RELAXED);
}

/* The argument at self->arg, sent to the module with command @c. */
static void bad_arg(struct __test_metadata *_metadata,
		    FIXTURE_DATA(badinput) * self, int c,
		    unsigned long long emask, const char *what)
{
	try_bad(_metadata, self, self->c.fd, c, cmds[c].cmd, self->arg,
		c == C_VSAFECOPY ? 0 : sizeof(union arg), emask, what);
}

#define BADM(ci, mask, what)	bad_arg(_metadata, self, ci, mask, what)
#define BAD2(ci, e1, e2, what)	BADM(ci, EB(e1) | EB(e2), what)
#define BAD(ci, e, what)	BADM(ci, EB(e), what)

/* Each class of bad input every command shares. */
TEST_F_TIMEOUT(badinput, common, 600)
{
	static const unsigned int bad_nr[] = { 0x0d, 0x0e, 0x3f, 0x80, 0xff };
	int other[3] = { self->null_fd, self->pipe_fd[0], self->memfd };
	char *guard = (char *)self->arg + PS;
	union arg *u;
	char what[80];

	for (unsigned int i = 0; i < ARRAY_SIZE(bad_nr); i++) {
		valid(self, C_API);
		try_bad(_metadata, self, self->c.fd, C_UNKNOWN,
			_IO(MINIXVM_TYPE, bad_nr[i]), self->arg,
			sizeof(union arg), EB(ENOTTY), "unknown number");
		try_bad(_metadata, self, self->c.fd, C_UNKNOWN,
			_IOWR(MINIXVM_TYPE, bad_nr[i], struct minixvm_api),
			self->arg, sizeof(union arg), EB(ENOTTY),
			"unknown number");
	}
	for (int c = 0; c < C_UNKNOWN; c++) {
		unsigned long nr = _IOC_NR(cmds[c].cmd);
		unsigned int sz = cmds[c].size;

		/* Another type, or size and direction bits. */
		valid(self, c);
		try_bad(_metadata, self, self->c.fd, c,
			_IO(MINIXVM_TYPE + 1, nr), self->arg,
			sizeof(union arg), EB(ENOTTY), "other type");
		try_bad(_metadata, self, self->c.fd, c,
			_IOC(_IOC_READ, MINIXVM_TYPE, nr, sz), self->arg,
			sizeof(union arg), EB(ENOTTY), "_IOR bits");
		try_bad(_metadata, self, self->c.fd, c,
			_IOC(_IOC_WRITE, MINIXVM_TYPE, nr, sz), self->arg,
			sizeof(union arg), EB(ENOTTY), "_IOW bits");
		try_bad(_metadata, self, self->c.fd, c,
			_IOC(_IOC_READ | _IOC_WRITE, MINIXVM_TYPE, nr, sz),
			self->arg, sizeof(union arg), EB(ENOTTY), "_IOWR bits");
		try_bad(_metadata, self, self->c.fd, c,
			_IOC(_IOC_NONE, MINIXVM_TYPE, nr, 8), self->arg,
			sizeof(union arg), EB(ENOTTY), "size bits, no direction");

		/* size */
		u = valid(self, c);
		u->hdr.size = 0;
		BAD(c, EINVAL, "size 0");
		u = valid(self, c);
		u->hdr.size = 8;
		BAD(c, EINVAL, "size 8");
		u = valid(self, c);
		u->hdr.size = sz - 1;
		BAD(c, EINVAL, "size one short");
		u = valid(self, c);
		u->hdr.size = sz + 8;
		self->arg->raw[sz + 7] = 1;
		BAD(c, E2BIG, "size +8, tail not zero");
		u = valid(self, c);
		u->hdr.size = PS;
		((unsigned char *)self->arg)[PS - 1] = 1;
		BAD(c, E2BIG, "size a page, last byte not zero");
		u = valid(self, c);
		u->hdr.size = PS + 1;
		BAD(c, E2BIG, "size a page + 1");
		u = valid(self, c);
		u->hdr.size = 1U << 20;
		BAD(c, E2BIG, "size 1 MiB");
		u = valid(self, c);
		u->hdr.size = ~0U;
		BAD(c, E2BIG, "size ~0");

		/* flags and reserved fields */
		u = valid(self, c);
		u->hdr.flags |= (cmds[c].flags << 1) | !cmds[c].flags;
		BAD(c, EINVAL, "the first unknown flag");
		u = valid(self, c);
		u->hdr.flags |= 1U << 31;
		BAD(c, EINVAL, "flag 1 << 31");
		u = valid(self, c);
		u->hdr.flags = ~0U;
		BAD(c, EINVAL, "flags ~0");
		if (cmds[c].reserved >= 0) {
			u = valid(self, c);
			self->arg->raw[cmds[c].reserved] = 1;
			BAD(c, EINVAL, "__reserved 1");
			u = valid(self, c);
			self->arg->raw[cmds[c].reserved + 3] = 0x80;
			BAD(c, EINVAL, "__reserved 1 << 31");
		}

		/* the argument pointer */
		try_bad(_metadata, self, self->c.fd, c, cmds[c].cmd, NULL, 0,
			EB(EFAULT), "NULL argument");
		try_bad(_metadata, self, self->c.fd, c, cmds[c].cmd, KPTR, 0,
			EB(EFAULT), "kernel address as argument");
		try_bad(_metadata, self, self->c.fd, c, cmds[c].cmd, guard, 0,
			EB(EFAULT), "argument in a PROT_NONE page");
		try_bad(_metadata, self, self->c.fd, c, cmds[c].cmd,
			(void *)(uintptr_t)self->a_addr, 0, EB(EFAULT),
			"argument at an address only peer A has");
		valid(self, c);
		memmove(guard - 8, self->arg, 8);
		try_bad(_metadata, self, self->c.fd, c, cmds[c].cmd,
			guard - 8, 0, EB(EFAULT),
			"argument running into a PROT_NONE page");

		/* the numbers on files of other types */
		for (int f = 0; f < 3; f++) {
			valid(self, c);
			snprintf(what, sizeof(what), "sent to %s",
				 f == 0 ? "/dev/null" : f == 1 ? "a pipe" :
				 "a memfd");
			try_bad(_metadata, self, other[f], c, cmds[c].cmd,
				self->arg, sizeof(union arg), EB(ENOTTY), what);
		}
	}
}

/*
 * A read-only argument for a command that writes an answer: EFAULT, and
 * nothing made (REGION_CREATE and GRANT undo what they made).
 */
TEST_F_TIMEOUT(badinput, readonly_argument, 300)
{
	static const int c_out[] = { C_API, C_RCREATE, C_ENDPOINT, C_GRANT };

	for (unsigned int i = 0; i < ARRAY_SIZE(c_out); i++) {
		int c = c_out[i];

		ASSERT_EQ(0, mprotect(self->ro_arg, PS,
				      PROT_READ | PROT_WRITE));
		memcpy(self->ro_arg, valid(self, c), sizeof(union arg));
		ASSERT_EQ(0, mprotect(self->ro_arg, PS, PROT_READ));
		try_bad(_metadata, self, self->c.fd, c, cmds[c].cmd,
			self->ro_arg, sizeof(union arg), EB(EFAULT),
			"read-only argument");
	}
}

TEST_F_TIMEOUT(badinput, api, 300)
{
	union arg *u;

	u = valid(self, C_API);
	u->api.api = 0;
	BAD(C_API, EINVAL, "api 0");
	u = valid(self, C_API);
	u->api.api = MINIXVM_API + 1;
	BAD(C_API, EINVAL, "api MINIXVM_API + 1");
	u = valid(self, C_API);
	u->api.api = ~0ULL;
	BAD(C_API, EINVAL, "api ~0");
	u = valid(self, C_API);
	u->api.api = MINIXVM_API | 1ULL << 32;
	BAD(C_API, EINVAL, "api MINIXVM_API | 1 << 32");
	u = valid(self, C_API);
	u->api.features = 1 << 2;
	BAD(C_API, EINVAL, "features 1 << 2");
	u = valid(self, C_API);
	u->api.features = 1ULL << 63;
	BAD(C_API, EINVAL, "features 1 << 63");
	u = valid(self, C_API);
	u->api.features = ~0ULL;
	BAD(C_API, EINVAL, "features ~0");
}

TEST_F_TIMEOUT(badinput, regions, 300)
{
	static const __u64 bad_len[] = { 0, 1, PS - 1, PS + 1 };
	static const __u64 huge_len[] = { 1ULL << 62, 1ULL << 40, ~0ULL,
					  ~0ULL & ~(PS - 1) };
	static const __u32 bad_id[] = { 0, ~0U, 0x7fffffff };
	union arg *u;
	char what[64];

	for (unsigned int i = 0; i < ARRAY_SIZE(bad_len);
	     i++) {
		u = valid(self, C_RCREATE);
		u->rc.length = bad_len[i];
		snprintf(what, sizeof(what), "length %#llx",
			 (unsigned long long)bad_len[i]);
		BAD(C_RCREATE, EINVAL, what);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(huge_len);
	     i++) {
		u = valid(self, C_RCREATE);
		u->rc.length = huge_len[i];
		snprintf(what, sizeof(what), "length %#llx",
			 (unsigned long long)huge_len[i]);
		/* ~0 is both unaligned and too long. */
		BADM(C_RCREATE, EB(EFBIG) |
		     (huge_len[i] & (PS - 1) ? EB(EINVAL) : 0), what);
	}
	u = valid(self, C_RCREATE);
	u->rc.out_id = 5;
	u->rc.out_offset = ~0ULL;
	u->rc.length = 0;
	BAD(C_RCREATE, EINVAL, "length 0, out fields set");

	for (unsigned int i = 0; i < ARRAY_SIZE(bad_id); i++) {
		u = valid(self, C_RDESTROY);
		u->rd.id = bad_id[i];
		snprintf(what, sizeof(what), "id %#x", bad_id[i]);
		BAD(C_RDESTROY, ENOENT, what);
	}
	/* The id of a region of another file: this process's other file. */
	{
		const __u32 mine[] = { self->r.id, self->d.id, self->ro.id,
				       self->buf.id, self->spare_id };
		int fd2 = mxvm_ctx_open(_metadata, &self->c);
		bool taken = true;
		__u32 id2 = 0;

		/* Up to an id this file does not also have. */
		for (int tries = 0; taken && tries < 16; tries++) {
			ASSERT_EQ(0, mxvm_region(fd2, PS, WRITABLE, &id2,
						 NULL));
			taken = false;
			for (int i = 0; i < 5; i++)
				taken |= id2 == mine[i];
		}
		ASSERT_FALSE(taken);
		u = valid(self, C_RDESTROY);
		u->rd.id = id2;
		BAD(C_RDESTROY, ENOENT, "id of another file's region");
		mxvm_ctx_close(&self->c, fd2);
	}
}

/* Bad ranges for MAP and UNMAP; @field is the u64 that gets them. */
struct bad_range {
	const char *what;
	__u64 addr, len;
	int e1, e2;
};

static unsigned int map_ranges(FIXTURE_DATA(badinput) * self,
			       struct bad_range *t, char *good)
{
	char *r = self->r.addr, *d = self->d.addr;
	unsigned int n = 0;

#define R(w, a, l, x, y) (t[n++] = (struct bad_range){ w, a, l, x, y })
	R("length 0", U64(good), 0, EINVAL, 0);
	R("unaligned address", U64(good) + 1, PS, EINVAL, 0);
	R("address + 2048", U64(good) + PS / 2, PS, EINVAL, 0);
	R("unaligned length", U64(good), PS + 1, EINVAL, 0);
	R("length 1", U64(good), 1, EINVAL, 0);
	R("length 1 << 62", U64(good), 1ULL << 62, EFBIG, EINVAL);
	R("length ~0", U64(good), ~0ULL, EINVAL, EFBIG);
	R("length ~0 aligned", U64(good), ~0ULL & ~(PS - 1), EFBIG, EINVAL);
	R("wrapping past 2^64", ~0ULL & ~(PS - 1), 2 * PS, EINVAL, 0);
	R("wrapping, huge", U64(good), -U64(good), EINVAL, EFBIG);
	R("NULL address", 0, PS, EFAULT, EINVAL);
	R("kernel address", KADDR, PS, EINVAL, EFAULT);
	/* The end of user space with 5-level page tables (LA57) too. */
	R("address just below 2^56", (1ULL << 56) - PS, 2 * PS, EINVAL,
	  EFAULT);
	R("address 2^56", 1ULL << 56, PS, EINVAL, EFAULT);
	R("running into a hole", U64(r + 3 * PS), 2 * PS, EFAULT, 0);
	R("spanning a hole", U64(r), 6 * PS, EFAULT, 0);
	R("running into anonymous memory", U64(d + 3 * PS), 2 * PS, EINVAL,
	  0);
	R("anonymous memory", U64(self->anon), PS, EINVAL, 0);
	R("a memfd's mapping", U64(self->mfd_map), PS, EINVAL, 0);
	R("mapped only in peer A", self->a_addr, PS, EFAULT, 0);
#if UINTPTR_MAX == 0xffffffffUL
	/* A compat caller: the upper half is not dropped. */
	R("address + 4 GiB (compat)", U64(good) + (1ULL << 32), PS, EFAULT,
	  EINVAL);
	R("address | 1 << 63 (compat)", U64(good) | (1ULL << 63), PS, EFAULT,
	  EINVAL);
#endif
#undef R
	return n;
}

TEST_F_TIMEOUT(badinput, map_unmap, 300)
{
	static const __u32 bad_mode[] = { 0, 4, 0x100, ~0U };
	struct bad_range t[32];
	unsigned int n;
	union arg *u;
	char what[96];

	for (unsigned int i = 0; i < 4; i++) {
		u = valid(self, C_MAP);
		u->map.mode = bad_mode[i];
		snprintf(what, sizeof(what), "mode %#x", bad_mode[i]);
		BAD(C_MAP, EINVAL, what);
	}
	/*
	 * The other range of the pair is good for up to 2 pages (destination
	 * D pages 2-3) or 4 (source R): a longer length makes it bad too,
	 * and its errno (EINVAL: D is followed by anonymous memory; EFAULT:
	 * R by a hole) is then documented as well.
	 */
	n = map_ranges(self, t, self->r.addr);
	for (unsigned int i = 0; i < n; i++) {
		u = valid(self, C_MAP);
		u->map.src_addr = t[i].addr;
		u->map.length = t[i].len;
		snprintf(what, sizeof(what), "source %s", t[i].what);
		BADM(C_MAP, EB(t[i].e1) | EB(t[i].e2) |
		     (t[i].len > 2 * PS ? EB(EINVAL) : 0), what);
	}
	n = map_ranges(self, t, self->d.addr + 2 * PS);
	for (unsigned int i = 0; i < n; i++) {
		/* A destination over the source overlaps it: EINVAL. */
		bool over = t[i].addr < U64(self->r.addr) + t[i].len &&
			    U64(self->r.addr) < t[i].addr + t[i].len;

		u = valid(self, C_MAP);
		u->map.dst_addr = t[i].addr;
		u->map.length = t[i].len;
		snprintf(what, sizeof(what), "destination %s", t[i].what);
		BADM(C_MAP, EB(t[i].e1) | EB(t[i].e2) |
		     (t[i].len > 4 * PS ? EB(EFAULT) : 0) |
		     (over ? EB(EINVAL) : 0), what);
	}
	n = map_ranges(self, t, self->d.addr);
	for (unsigned int i = 0; i < n; i++) {
		u = valid(self, C_UNMAP);
		u->unmap.addr = t[i].addr;
		u->unmap.length = t[i].len;
		snprintf(what, sizeof(what), "%s", t[i].what);
		BAD2(C_UNMAP, t[i].e1, t[i].e2, what);
	}
	/* Overlap, by address and by region page; SHARED from read-only. */
	u = valid(self, C_MAP);
	u->map.dst_addr = u->map.src_addr;
	BAD(C_MAP, EINVAL, "source = destination");
	u = valid(self, C_MAP);
	u->map.dst_addr = u->map.src_addr + PS;
	u->map.length = 2 * PS;
	BAD(C_MAP, EINVAL, "overlapping by a page");
	u = valid(self, C_MAP);
	u->map.mode = MINIXVM_MAP_SHARED;
	u->map.src_addr = U64(self->ro.addr);
	BAD(C_MAP, EACCES, "SHARED from a read-only region");
}

TEST_F_TIMEOUT(badinput, grant, 300)
{
	static const __u32 bad_access[] = { 0, 8, 1U << 31, ~0U };
	union arg *u;
	char what[96];

	for (unsigned int i = 0; i < 4; i++) {
		u = valid(self, C_GRANT);
		u->grant.access = bad_access[i];
		snprintf(what, sizeof(what), "access %#x", bad_access[i]);
		BAD(C_GRANT, EINVAL, what);
	}
	u = valid(self, C_GRANT);
	u->grant.access |= 8;
	BAD(C_GRANT, EINVAL, "READ and an unknown access bit");

	/* to */
	u = valid(self, C_GRANT);
	u->grant.to = 0;
	BAD(C_GRANT, EINVAL, "to endpoint 0");
	u = valid(self, C_GRANT);
	u->grant.to = NEVER_EP;
	BAD(C_GRANT, EINVAL, "to an endpoint never given out");
	u = valid(self, C_GRANT);
	u->grant.to = 0x7fffffff;
	BAD(C_GRANT, EINVAL, "to endpoint 2^31 - 1");
	u = valid(self, C_GRANT);
	u->grant.to = self->dead_ep;
	BAD(C_GRANT, ESRCH, "to a dead endpoint");

	/* READ grants: any user memory, but not empty, wrapping or kernel */
	u = valid(self, C_GRANT);
	u->grant.length = 0;
	BAD(C_GRANT, EINVAL, "length 0");
	u = valid(self, C_GRANT);
	u->grant.addr = ~0ULL - 10;
	u->grant.length = 100;
	BAD(C_GRANT, EINVAL, "wrapping past 2^64");
	u = valid(self, C_GRANT);
	u->grant.length = ~0ULL;
	BAD(C_GRANT, EINVAL, "length ~0");
	u = valid(self, C_GRANT);
	u->grant.length = 1ULL << 62;
	BAD(C_GRANT, EINVAL, "length 1 << 62, leaving user space");
	u = valid(self, C_GRANT);
	u->grant.addr = KADDR;
	BAD(C_GRANT, EINVAL, "kernel address");
	u = valid(self, C_GRANT);
	u->grant.addr = 1ULL << 56;
	BAD(C_GRANT, EINVAL, "address 2^56");
#if UINTPTR_MAX == 0xffffffffUL
	u = valid(self, C_GRANT);
	u->grant.addr += 1ULL << 32;
	BAD(C_GRANT, EINVAL, "address + 4 GiB (compat)");
	u = valid(self, C_GRANT);
	u->grant.addr = 0x100000000ULL - PS;
	u->grant.length = 2 * PS;
	BAD(C_GRANT, EINVAL, "range crossing 4 GiB (compat)");
#endif

	/* MAP grants: aligned minixvm memory of the caller */
	{
		struct bad_range t[32];
		unsigned int n = map_ranges(self, t, self->r.addr);

		for (unsigned int i = 0; i < n; i++) {
			int e1 = t[i].e1, e2 = t[i].e2;

			u = valid(self, C_GRANT);
			u->grant.access = RWM;
			u->grant.addr = t[i].addr;
			u->grant.length = t[i].len;
			/* A MAP range not wholly in minixvm memory: EINVAL. */
			if (e1 == EFAULT)
				e1 = EINVAL;
			if (e2 == EFAULT)
				e2 = 0;
			snprintf(what, sizeof(what), "MAP %s", t[i].what);
			BAD2(C_GRANT, e1, e2, what);
		}
	}

	/* indirect */
	u = valid(self, C_GRANT);
	u->grant.flags = MINIXVM_GRANT_INDIRECT;
	u->grant.from = self->a_ep;
	u->grant.from_gid = self->ga_me;
	BAD(C_GRANT, EINVAL, "indirect with addr and length");
	u->grant.addr = 0;
	BAD(C_GRANT, EINVAL, "indirect with a length");
	u->grant.addr = U64(self->r.addr);
	u->grant.length = 0;
	BAD(C_GRANT, EINVAL, "indirect with an address");
	u = valid(self, C_GRANT);
	u->grant.from = self->a_ep;
	BAD(C_GRANT, EINVAL, "direct with from");
	u = valid(self, C_GRANT);
	u->grant.from_gid = self->ga_me;
	BAD(C_GRANT, EINVAL, "direct with from_gid");

	{
		static const struct {
			const char *what;
			int from;	/* 0 A, 1 B, 2 dead, 3 never, 4 none */
			int gid;	/* 0 ga_me, 1 stale, 2 ga_b, 3 0, 4 big */
			int e;
		} ind[] = {
			{ "from 0", 4, 0, EINVAL },
			{ "from never given out", 3, 0, EINVAL },
			{ "from a dead endpoint", 2, 0, ESRCH },
			{ "from_gid 0", 0, 3, EINVAL },
			{ "from_gid 2^31", 0, 4, EINVAL },
			{ "a revoked from_gid", 0, 1, EPERM },
			{ "a from_gid granted to B", 0, 2, EPERM },
			{ "A's gid in B's table", 1, 0, EPERM },
		};

		for (unsigned int i = 0; i < ARRAY_SIZE(ind);
		     i++) {
			const __u32 from[] = { self->a_ep, self->b_ep,
					       self->dead_ep, NEVER_EP, 0 };
			const __u32 gid[] = { self->ga_me, self->ga_stale,
					      self->ga_b, 0, 0x80000000U };

			u = valid(self, C_GRANT);
			u->grant.flags = MINIXVM_GRANT_INDIRECT;
			u->grant.addr = 0;
			u->grant.length = 0;
			u->grant.to = self->b_ep;
			u->grant.from = from[ind[i].from];
			u->grant.from_gid = gid[ind[i].gid];
			snprintf(what, sizeof(what), "indirect, %s",
				 ind[i].what);
			BAD(C_GRANT, ind[i].e, what);
		}
		u = valid(self, C_GRANT);
		u->grant.flags = MINIXVM_GRANT_INDIRECT;
		u->grant.addr = 0;
		u->grant.length = 0;
		u->grant.from = self->a_ep;
		u->grant.from_gid = self->ga_ro;
		u->grant.access = MINIXVM_GRANT_WRITE;
		BAD(C_GRANT, EPERM, "indirect, more access than received");
	}
}

/* The grant ids and endpoints a grant command can be given. */
struct bad_ref {
	const char *what;
	__u32 ep, gid;
	int e;
};

static unsigned int bad_refs(FIXTURE_DATA(badinput) * self,
			     struct bad_ref *t)
{
	unsigned int n = 0;

#define F(w, ep, gid, e) (t[n++] = (struct bad_ref){ w, ep, gid, e })
	F("endpoint 0", 0, self->ga_me, EINVAL);
	F("an endpoint never given out", NEVER_EP, self->ga_me, EINVAL);
	F("endpoint MINIXVM_ANY", MINIXVM_ANY, self->ga_me, EINVAL);
	F("a dead endpoint", self->dead_ep, self->ga_me, ESRCH);
	F("gid 0", self->a_ep, 0, EINVAL);
	F("gid 2^31", self->a_ep, 0x80000000U, EINVAL);
	F("gid ~0", self->a_ep, ~0U, EINVAL);
	F("a revoked gid", self->a_ep, self->ga_stale, EPERM);
	F("a gid granted to B", self->a_ep, self->ga_b, EPERM);
	F("A's gid in B's table", self->b_ep, self->ga_me, EPERM);
	F("A's gid in this process's table", self->me, self->ga_me, EPERM);
	F("a gid never made", self->a_ep, self->ga_me + 0x100, EPERM);
#undef F
	return n;
}

TEST_F_TIMEOUT(badinput, revoke_saferevmap_safeunmap, 300)
{
	struct bad_range t[32];
	unsigned int n;
	union arg *u;
	char what[96];

	/* REVOKE and SAFEREVMAP name a grant of the caller's table. */
	static const struct { const char *what; int which; int e; } g[] = {
		{ "gid 0", 0, EINVAL },
		{ "gid 2^31", 1, EINVAL },
		{ "gid ~0", 2, EINVAL },
		{ "a gid of A (not in this table)", 3, EPERM },
		{ "a gid never made", 4, EPERM },
	};

	ASSERT_NE(self->ga_b, self->g_mine);
	ASSERT_NE(self->ga_b, self->g_spare);
	for (unsigned int i = 0; i < ARRAY_SIZE(g); i++) {
		const __u32 gid[] = { 0, 0x80000000U, ~0U, self->ga_b,
				      self->g_mine + 0x300 };

		u = valid(self, C_REVOKE);
		u->revoke.gid = gid[g[i].which];
		BAD(C_REVOKE, g[i].e, g[i].what);
		u = valid(self, C_SAFEREVMAP);
		u->revmap.gid = gid[g[i].which];
		BAD(C_SAFEREVMAP, g[i].e, g[i].what);
	}
	/* A revoked grant of this process. */
	{
		__u32 gid;

		ASSERT_EQ(0, mxvm_grant(self->c.fd, self->a_ep, self->r.addr,
					PS, MINIXVM_GRANT_READ, &gid));
		ASSERT_EQ(0, mxvm_revoke(self->c.fd, gid, NULL));
		u = valid(self, C_REVOKE);
		u->revoke.gid = gid;
		BAD(C_REVOKE, EPERM, "a revoked gid");
		u = valid(self, C_SAFEREVMAP);
		u->revmap.gid = gid;
		BAD(C_SAFEREVMAP, EPERM, "a revoked gid");
	}

	/* By address: no gid, an aligned, non-empty, non-wrapping range. */
	u = valid(self, C_SAFEREVMAP);
	u->revmap.flags = MINIXVM_REVMAP_ADDR;
	u->revmap.addr = U64(self->r.addr);
	u->revmap.length = 4 * PS;
	BAD(C_SAFEREVMAP, EINVAL, "by address with a gid");
	n = map_ranges(self, t, self->r.addr);
	for (unsigned int i = 0; i < n; i++) {
		/* Only the shape of the range is checked here. */
		if (t[i].e1 != EINVAL ||
		    !(t[i].len == 0 || (t[i].len | t[i].addr) & (PS - 1) ||
		      t[i].addr + t[i].len < t[i].addr))
			continue;
		u = valid(self, C_SAFEREVMAP);
		u->revmap.flags = MINIXVM_REVMAP_ADDR;
		u->revmap.gid = 0;
		u->revmap.addr = t[i].addr;
		u->revmap.length = t[i].len;
		snprintf(what, sizeof(what), "by address, %s", t[i].what);
		BAD(C_SAFEREVMAP, EINVAL, what);
	}

	/* SAFEUNMAP: an aligned address. */
	u = valid(self, C_SAFEUNMAP);
	u->safeunmap.addr += 1;
	BAD(C_SAFEUNMAP, EINVAL, "address + 1");
	u = valid(self, C_SAFEUNMAP);
	u->safeunmap.addr += PS - 1;
	BAD(C_SAFEUNMAP, EINVAL, "address + 4095");
	u = valid(self, C_SAFEUNMAP);
	u->safeunmap.addr = ~0ULL;
	BAD(C_SAFEUNMAP, EINVAL, "address ~0");
	u = valid(self, C_SAFEUNMAP);
	u->safeunmap.out_count = 1;
	u->safeunmap.flags = 2;
	BAD(C_SAFEUNMAP, EINVAL, "flags 2, out_count set");
}

TEST_F_TIMEOUT(badinput, safemap, 300)
{
	static const __u32 bad_mode[] = { 0, 4, ~0U };
	struct bad_ref refs[16];
	struct bad_range t[32];
	unsigned int n;
	union arg *u;
	char what[96];

	for (unsigned int i = 0; i < 3; i++) {
		u = valid(self, C_SAFEMAP);
		u->safemap.mode = bad_mode[i];
		snprintf(what, sizeof(what), "mode %#x", bad_mode[i]);
		BAD(C_SAFEMAP, EINVAL, what);
	}
	n = bad_refs(self, refs);
	for (unsigned int i = 0; i < n; i++) {
		u = valid(self, C_SAFEMAP);
		u->safemap.grantor = refs[i].ep;
		u->safemap.gid = refs[i].gid;
		BAD(C_SAFEMAP, refs[i].e, refs[i].what);
	}
	/* The grant's range and access. */
	u = valid(self, C_SAFEMAP);
	u->safemap.offset = 4 * PS;
	BAD(C_SAFEMAP, EPERM, "offset at the grant's end");
	u = valid(self, C_SAFEMAP);
	u->safemap.length = 2 * PS;
	u->safemap.offset = 3 * PS;
	BAD(C_SAFEMAP, EPERM, "running past the grant's end");
	u = valid(self, C_SAFEMAP);
	u->safemap.offset = ~0ULL & ~(PS - 1);
	u->safemap.length = 2 * PS;
	BAD(C_SAFEMAP, EPERM, "offset + length wrapping past 2^64");
	u = valid(self, C_SAFEMAP);
	u->safemap.offset = 1ULL << 62;
	BAD(C_SAFEMAP, EPERM, "offset 1 << 62");
	u = valid(self, C_SAFEMAP);
	u->safemap.offset = PS / 2;
	BAD(C_SAFEMAP, EINVAL, "unaligned offset");
	u = valid(self, C_SAFEMAP);
	u->safemap.gid = self->ga_ro;
	u->safemap.mode = MINIXVM_MAP_SHARED;
	BAD(C_SAFEMAP, EPERM, "SHARED without WRITE");
	/* The destination. */
	n = map_ranges(self, t, self->d.addr + 3 * PS);
	for (unsigned int i = 0; i < n; i++) {
		u = valid(self, C_SAFEMAP);
		u->safemap.dst_addr = t[i].addr;
		u->safemap.length = t[i].len;
		snprintf(what, sizeof(what), "destination %s", t[i].what);
		/* Past the grant's 4 pages from offset 2: EPERM as well. */
		BADM(C_SAFEMAP, EB(t[i].e1) | EB(t[i].e2) |
		     (t[i].len > 2 * PS ? EB(EPERM) : 0), what);
	}
}

TEST_F_TIMEOUT(badinput, safecopy, 300)
{
	struct bad_ref refs[16];
	unsigned int n;
	union arg *u;
	char what[96];

	u = valid(self, C_SAFECOPY);
	u->copy.length = 0;
	BAD(C_SAFECOPY, EINVAL, "length 0");
	n = bad_refs(self, refs);
	for (unsigned int i = 0; i < n; i++) {
		u = valid(self, C_SAFECOPY);
		u->copy.endpoint = refs[i].ep;
		u->copy.gid = refs[i].gid;
		BAD(C_SAFECOPY, refs[i].e, refs[i].what);
		u = valid(self, C_SAFECOPY);
		u->copy.flags = MINIXVM_COPY_TO;
		u->copy.endpoint = refs[i].ep;
		u->copy.gid = refs[i].gid;
		snprintf(what, sizeof(what), "to, %s", refs[i].what);
		BAD(C_SAFECOPY, refs[i].e, what);
	}
	/* Access and the grant's range. */
	u = valid(self, C_SAFECOPY);
	u->copy.flags = MINIXVM_COPY_TO;
	u->copy.gid = self->ga_ro;
	BAD(C_SAFECOPY, EPERM, "to a READ-only grant");
	u = valid(self, C_SAFECOPY);
	u->copy.offset = 4 * PS;
	u->copy.length = 1;
	BAD(C_SAFECOPY, EPERM, "offset at the grant's end");
	u = valid(self, C_SAFECOPY);
	u->copy.offset = 4 * PS - 50;
	BAD(C_SAFECOPY, EPERM, "running past the grant's end");
	u = valid(self, C_SAFECOPY);
	u->copy.offset = ~0ULL - 10;
	BAD(C_SAFECOPY, EPERM, "offset + length wrapping past 2^64");
	u = valid(self, C_SAFECOPY);
	u->copy.length = 1ULL << 62;
	/* The 2-page buffer is too short as well: EFAULT is documented. */
	BAD2(C_SAFECOPY, EPERM, EFAULT, "length 1 << 62");
	u = valid(self, C_SAFECOPY);
	u->copy.length = ~0ULL;
	BAD2(C_SAFECOPY, EPERM, EFAULT, "length ~0");
	/* The caller's buffer. */
	{
		static const struct {
			const char *what;
			int which;
		} b[] = {
			{ "buffer NULL", 0 },
			{ "buffer at a kernel address", 1 },
			{ "buffer wrapping past 2^64", 2 },
			{ "buffer running into a hole", 3 },
			{ "buffer mapped only in peer A", 4 },
			{ "buffer at 2^56", 5 },
#if UINTPTR_MAX == 0xffffffffUL
			{ "buffer + 4 GiB (compat)", 6 },
#endif
		};

		for (unsigned int i = 0; i < ARRAY_SIZE(b); i++) {
			const __u64 addr[] = {
				0, KADDR, ~0ULL - 49,
				U64(self->r.addr + 4 * PS - 50), self->a_addr,
				1ULL << 56, U64(self->buf.addr) + (1ULL << 32),
			};

			/* To first: from would copy A's bytes into the buffer. */
			u = valid(self, C_SAFECOPY);
			u->copy.flags = MINIXVM_COPY_TO;
			u->copy.addr = addr[b[i].which];
			snprintf(what, sizeof(what), "to, %s", b[i].what);
			BAD(C_SAFECOPY, EFAULT, what);
			/*
			 * From, into a buffer that runs into a hole: like
			 * read(2), the bytes before the hole are written
			 * (documented); below.
			 */
			if (b[i].which == 3)
				continue;
			u = valid(self, C_SAFECOPY);
			u->copy.addr = addr[b[i].which];
			BAD(C_SAFECOPY, EFAULT, b[i].what);
		}
	}
	u = valid(self, C_SAFECOPY);
	u->copy.addr = U64(self->r.addr + 4 * PS - 50);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->c.fd, MINIXVM_IOC_SAFECOPY, &u->copy));
	EXPECT_EQ(EFAULT, errno);
	/* A buffer the caller may only read. */
	u = valid(self, C_SAFECOPY);
	u->copy.addr = U64(self->ro.addr);
	BAD(C_SAFECOPY, EFAULT, "from, into a read-only region");
}

TEST_F_TIMEOUT(badinput, vsafecopy, 300)
{
	union arg *u;

	u = valid(self, C_VSAFECOPY);
	u->vcopy.count = 0;
	BAD(C_VSAFECOPY, EINVAL, "count 0");
	u = valid(self, C_VSAFECOPY);
	u->vcopy.count = MINIXVM_VSAFECOPY_MAX + 1;
	BAD(C_VSAFECOPY, EINVAL, "count MINIXVM_VSAFECOPY_MAX + 1");
	u = valid(self, C_VSAFECOPY);
	u->vcopy.count = ~0U;
	BAD(C_VSAFECOPY, EINVAL, "count ~0");
	u = valid(self, C_VSAFECOPY);
	u->vcopy.vec = 0;
	BAD(C_VSAFECOPY, EFAULT, "vec NULL");
	u = valid(self, C_VSAFECOPY);
	u->vcopy.vec = KADDR;
	BAD(C_VSAFECOPY, EFAULT, "vec at a kernel address");
	u = valid(self, C_VSAFECOPY);
	u->vcopy.vec = U64(self->arg) + PS - sizeof(struct minixvm_copy_vec);
	u->vcopy.count = 2;
	BAD(C_VSAFECOPY, EFAULT, "vec running into a PROT_NONE page");
	u = valid(self, C_VSAFECOPY);
	u->vcopy.vec = self->a_addr;
	BAD(C_VSAFECOPY, EFAULT, "vec mapped only in peer A");
#if UINTPTR_MAX == 0xffffffffUL
	u = valid(self, C_VSAFECOPY);
	u->vcopy.vec += 1ULL << 32;
	BAD(C_VSAFECOPY, EFAULT, "vec + 4 GiB (compat)");
#endif
	/* Entries: flags are checked before any copy is made. */
	u = valid(self, C_VSAFECOPY);
	self->vec[0].flags = 2;
	BAD(C_VSAFECOPY, EINVAL, "entry 0 with flag 2");
	u = valid(self, C_VSAFECOPY);
	self->vec[0].__reserved = 1;
	BAD(C_VSAFECOPY, EINVAL, "entry 0 with __reserved 1");
	for (int last = 1; last < MINIXVM_VSAFECOPY_MAX; last += 31) {
		u = valid(self, C_VSAFECOPY);
		for (int i = 0; i <= last; i++)
			self->vec[i] = self->vec[0];
		self->vec[last].flags = 1U << 31;
		u->vcopy.count = last + 1;
		BAD(C_VSAFECOPY, EINVAL,
		    "valid entries, then one with flag 1 << 31");
		EXPECT_EQ(0, u->vcopy.out_done);
	}
}

/* The figure, once every test has run (in the harness's own process). */
static pid_t main_pid;

static void __attribute__((constructor)) main_pid_init(void)
{
	main_pid = getpid();
}

static void __attribute__((destructor)) report(void)
{
	unsigned int n = 0;

	if (getpid() != main_pid)
		return;
	for (int c = 0; c < C_NR; c++) {
		printf("# %-14s %u bad inputs\n", cmds[c].name, counts[c]);
		n += counts[c];
	}
	mxvm_figure("badinput.cases", "%u", n,
		    "bad inputs tried, each with its errno and nothing changed");
}

TEST_HARNESS_MAIN
