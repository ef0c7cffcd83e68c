// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm selftests: endpoints, grants, SAFEMAP / SAFEREVMAP / SAFEUNMAP
 * and SAFECOPY between processes, after MINIX 3's test/safemap,
 * test/safeperf, test/safecopy and test/ds (scenarios S1-S23 of the
 * reference notes, with MINIX's bugs fixed).
 *
 * As in MINIX, a test is a pair of processes: the test process and a
 * forked child, which talk over a socketpair (MINIX used two FIFOs).  The
 * child opens its own file, makes its own regions and reports failures
 * through its exit status.  Frames are compared through /proc/self/pagemap:
 * a process sends the frame it sees and the other compares it with its
 * own.  The teardown checks that every page, object, grant and mapping
 * record the test made is gone.
 */
#include <sys/socket.h>
#include <time.h>

#include "kselftest_harness.h"
#include "mxvm_test.h"

#define PS		MXVM_PS
#define READ		MINIXVM_GRANT_READ
#define WRITE		MINIXVM_GRANT_WRITE
#define MAP		MINIXVM_GRANT_MAP
#define RWM		(READ | WRITE | MAP)
#define RO		MINIXVM_MAP_READONLY
#define SHARED		MINIXVM_MAP_SHARED
#define COW		MINIXVM_MAP_COW
#define ANY		MINIXVM_ANY
#define WRITABLE	MINIXVM_REGION_WRITABLE

#define CTX		(&self->c)
#define FD		(self->c.fd)
#define ME		(self->me)
#define SOCK		(self->sock[0])

/* MINIX test/safemap: 4 pages, requestor's byte 10, grantor's 20. */
#define TEST_PAGE_NUM	4
#define BUF_SIZE	(TEST_PAGE_NUM * PS)

FIXTURE(grant) {
	struct mxvm_ctx c;
	int sock[2];
	__u32 me;
	pid_t other;	/* a second child, beside c.child */
	int other_sock;
	long grants_before;
	long gmaps_before;
};

FIXTURE_SETUP(grant)
{
	int fd = open(MINIXVM_DEVICE, O_RDWR | O_CLOEXEC);

	/* The endpoint first, so that the baseline counts it. */
	ASSERT_LE(0, fd);
	self->me = mxvm_endpoint(fd);
	ASSERT_NE(0, self->me) TH_LOG("ENDPOINT: %s", strerror(errno));
	close(fd);
	self->grants_before = mxvm_sysfs_long("nr_grants");
	self->gmaps_before = mxvm_sysfs_long("nr_grant_maps");
	mxvm_ctx_setup(_metadata, &self->c);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				self->sock));
}

FIXTURE_TEARDOWN(grant)
{
	if (self->other > 0) {
		kill(self->other, SIGKILL);
		waitpid(self->other, NULL, 0);
		close(self->other_sock);
	}
	close(self->sock[0]);
	close(self->sock[1]);
	mxvm_ctx_teardown(_metadata, &self->c);
	EXPECT_EQ(self->grants_before, mxvm_sysfs_long("nr_grants"));
	EXPECT_EQ(self->gmaps_before, mxvm_sysfs_long("nr_grant_maps"));
}

/*
 * Fork the other process of a test: it gets the child's end of the
 * socketpair as its only channel; returns 0 in it.
 */
static pid_t peer_fork(struct __test_metadata *_metadata, struct mxvm_ctx *c,
		       int sock[2])
{
	pid_t pid = mxvm_ctx_fork(_metadata, c);

	if (pid == 0) {
		close(sock[0]);
		sock[0] = sock[1];
	}
	return pid;
}

/* Reap the test's child and expect it to have exited 0. */
#define EXPECT_PEER_OK()						\
	EXPECT_EQ(0, mxvm_ctx_wait(_metadata, CTX))

/* A writable region of @npages mapped whole in the test process. */
static char *region(struct __test_metadata *_metadata, struct mxvm_ctx *c,
		    unsigned int npages)
{
	return mxvm_ctx_region(_metadata, c, npages, WRITABLE, false).addr;
}

/* The frame at @p, touched first so that it is present. */
static unsigned long touch_pfn(const char *p)
{
	mxvm_peek(p);
	return pfn_of(p);
}

/*
 * A peer process that serves commands, for the tests that need more than
 * one script: it makes a region of npages (page i filled with 0x40 + i)
 * or, with anon, ordinary memory; grants it whole to @to (0: itself) with
 * @access unless @access is 0; sends its endpoint and the grant id; then
 * answers one command at a time until told to exit or the socket closes.
 */
enum {
	OP_WRITE = 1,	/* arg: page << 8 | byte; answer: the page's frame */
	OP_READ,	/* arg: page; answer: its first byte */
	OP_PFN,		/* arg: page; answer: its frame */
	OP_REVMAP,	/* arg: gid; answer: count or -errno */
	OP_REVOKE,	/* arg: gid; answer: count or -errno */
	OP_REVMAP_ADDR,	/* arg: first page << 16 | pages; answer: count */
	OP_GRANT,	/* arg: access << 32 | to; answer: gid or -errno */
	OP_SAFEMAP,	/* arg: mode, then grantor and gid; answer: 0/-errno */
	OP_SAFEUNMAP,	/* answer: count or -errno */
	OP_UNMAP,	/* arg: first page << 16 | pages; answer: 0/-errno */
	OP_EXIT,
};

#define CMD(op, arg)	((uint64_t)(op) << 48 | (uint64_t)(arg))

struct peer {
	__u32 ep;
	__u32 gid;
};

static void peer_serve(int sock, unsigned int npages, __u32 to, __u32 access,
		       bool anon)
{
	int fd = mxvm_open_or_die();
	size_t len = npages * PS;
	__u32 gid = 0, count;
	uint64_t v, arg;
	char *buf;
	int ret;

	if (anon) {
		buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHILD_CHECK(buf != MAP_FAILED);
	} else {
		buf = mxvm_buf(fd, len);
		CHILD_CHECK(buf);
	}
	mxvm_fill(buf, npages, 0x40);
	if (!to)
		to = mxvm_endpoint(fd);
	if (access)
		CHILD_CHECK(!mxvm_grant(fd, to, buf, len, access, &gid));
	mxvm_send(sock, mxvm_endpoint(fd));
	mxvm_send(sock, gid);
	for (;;) {
		v = mxvm_recv(sock);
		if (v == ~0ULL)
			_exit(0);
		arg = v & ((1ULL << 48) - 1);
		switch (v >> 48) {
		case OP_WRITE:
			buf[(arg >> 8) * PS] = arg & 0xff;
			mxvm_send(sock, touch_pfn(buf + (arg >> 8) * PS));
			break;
		case OP_READ:
			mxvm_send(sock, (unsigned char)buf[arg * PS]);
			break;
		case OP_PFN:
			mxvm_send(sock, touch_pfn(buf + arg * PS));
			break;
		case OP_REVMAP:
		case OP_REVOKE:
			ret = (v >> 48) == OP_REVMAP ?
			      mxvm_saferevmap(fd, arg, &count) :
			      mxvm_revoke(fd, arg, &count);
			mxvm_send(sock, ret ? (int64_t)-errno : (int64_t)count);
			break;
		case OP_REVMAP_ADDR:
			ret = mxvm_saferevmap_addr(fd, buf + (arg >> 16) * PS,
						   (arg & 0xffff) * PS, &count);
			mxvm_send(sock, ret ? (int64_t)-errno : (int64_t)count);
			break;
		case OP_GRANT:
			ret = mxvm_grant(fd, (__u32)arg, buf, len, arg >> 32,
					 &gid);
			mxvm_send(sock, ret ? (int64_t)-errno : (int64_t)gid);
			break;
		case OP_SAFEMAP: {
			__u32 ep = mxvm_recv(sock), g = mxvm_recv(sock);

			ret = mxvm_safemap(fd, ep, g, 0, buf, len, arg);
			mxvm_send(sock, ret ? -errno : 0);
			break;
		}
		case OP_SAFEUNMAP:
			ret = mxvm_safeunmap(fd, buf, &count);
			mxvm_send(sock, ret ? (int64_t)-errno : (int64_t)count);
			break;
		case OP_UNMAP:
			ret = mxvm_unmap(fd, buf + (arg >> 16) * PS,
					 (arg & 0xffff) * PS);
			mxvm_send(sock, ret ? -errno : 0);
			break;
		case OP_EXIT:
			_exit(0);
		default:
			_exit(3);
		}
	}
}

/* Ask a peer; the answer. */
static int64_t ask(int sock, int op, uint64_t arg)
{
	mxvm_send(sock, CMD(op, arg));
	return mxvm_recv(sock);
}

/* Ask a peer to map (@ep, @gid) over its whole buffer. */
static int64_t ask_safemap(int sock, __u32 mode, __u32 ep, __u32 gid)
{
	mxvm_send(sock, CMD(OP_SAFEMAP, mode));
	mxvm_send(sock, ep);
	mxvm_send(sock, gid);
	return mxvm_recv(sock);
}

/* Start the fixture's peer (the harness child). */
static struct peer start_peer(struct __test_metadata *_metadata,
			      struct mxvm_ctx *c, int sock[2],
			      unsigned int npages, __u32 to, __u32 access)
{
	struct peer p;

	if (peer_fork(_metadata, c, sock) == 0)
		peer_serve(sock[0], npages, to, access, false);
	p.ep = mxvm_recv(sock[0]);
	p.gid = mxvm_recv(sock[0]);
	return p;
}

/* Start a second peer, on its own socket (self->other_sock). */
#define START_OTHER(npages, to, access) \
	start_other(_metadata, self, npages, to, access)

static struct peer start_other(struct __test_metadata *_metadata,
			       FIXTURE_DATA(grant) * self, unsigned int npages,
			       __u32 to, __u32 access)
{
	struct peer p = {};
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		EXPECT_TRUE(false) TH_LOG("socketpair: %s", strerror(errno));
		return p;
	}
	self->other = fork();
	if (self->other == 0) {
		close(sv[0]);
		peer_serve(sv[1], npages, to, access, false);
	}
	close(sv[1]);
	self->other_sock = sv[0];
	p.ep = mxvm_recv(sv[0]);
	p.gid = mxvm_recv(sv[0]);
	return p;
}

#define PEER(npages, to, access) \
	start_peer(_metadata, CTX, self->sock, npages, to, access)
#define OTHER		(self->other_sock)

/* Expect @call to fail with @err. */
#define EXPECT_ERR(err, call)						\
	do {								\
		errno = 0;						\
		EXPECT_EQ(-1, (call));					\
		EXPECT_EQ(err, errno);					\
	} while (0)

/*
 * The grantor of test/safemap, run by the child: grants BUF_SIZE bytes of
 * a region to @grantee with READ|WRITE|MAP and follows MINIX's script.
 * Each notification carries the frame of its first page.
 */
static void safemap_grantor(int sock, __u32 grantee)
{
	int fd = mxvm_open_or_die(), hold[2];
	char *buf = mxvm_buf(fd, BUF_SIZE);
	__u32 gid, count;
	pid_t pid;

	CHILD_CHECK(buf);
	CHILD_CHECK(!mxvm_grant(fd, grantee, buf, BUF_SIZE, RWM, &gid));
	mxvm_send(sock, mxvm_endpoint(fd));
	mxvm_send(sock, gid);

	/* S1 */
	buf[0] = 20;
	mxvm_send(sock, touch_pfn(buf));
	CHILD_CHECK(mxvm_recv(sock) == 1);
	CHILD_CHECK(buf[0] == 10);

	/* S2 */
	buf[0] = 20;
	mxvm_send(sock, touch_pfn(buf));
	CHILD_CHECK(mxvm_recv(sock) == 2);
	CHILD_CHECK(buf[0] == 20);

	/* S3: the grant stays valid. */
	CHILD_CHECK(!mxvm_saferevmap(fd, gid, &count) && count == 1);
	buf[0] = 21;
	mxvm_send(sock, touch_pfn(buf));
	CHILD_CHECK(mxvm_recv(sock) == 3);
	CHILD_CHECK(buf[0] == 21);

	/* S4 */
	mxvm_send(sock, touch_pfn(buf));
	CHILD_CHECK(mxvm_recv(sock) == 4);
	buf[0] = 20;
	mxvm_send(sock, touch_pfn(buf));
	CHILD_CHECK(mxvm_recv(sock) == 4);
	CHILD_CHECK(buf[0] == 20);

	/* S5: a held child shares the frames copy-on-write. */
	CHILD_CHECK(!mxvm_saferevmap(fd, gid, &count) && count == 1);
	buf[0] = 21;
	CHILD_CHECK(!pipe(hold));
	pid = fork();
	CHILD_CHECK(pid >= 0);
	if (pid == 0) {
		char go;

		CHILD_CHECK(read(hold[0], &go, 1) == 1);
		buf[0] = 22;
		_exit(0);
	}
	mxvm_send(sock, touch_pfn(buf));
	CHILD_CHECK(mxvm_recv(sock) == 5);
	CHILD_CHECK(write(hold[1], "g", 1) == 1);
	CHILD_CHECK(waitpid(pid, &hold[0], 0) == pid && hold[0] == 0);
	mxvm_send(sock, touch_pfn(buf));
	CHILD_CHECK(buf[0] == 21);
	CHILD_CHECK(mxvm_recv(sock) == 5);

	/* S6 */
	CHILD_CHECK(!mxvm_saferevmap(fd, gid, &count) && count == 1);
	mxvm_send(sock, touch_pfn(buf));
	CHILD_CHECK(mxvm_recv(sock) == 6);
	CHILD_CHECK(buf[0] == 10);
	mxvm_send(sock, 0);
	/* Exit with the grant and R's mapping live: R keeps a snapshot. */
	CHILD_CHECK(mxvm_recv(sock) == 7);
	_exit(0);
}

/*
 * S1-S6 of MINIX test/safemap, in one run as MINIX ran them, with the
 * same bytes and expectations, and the frames checked at each step.
 */
TEST_F(grant, minix_safemap_s1_to_s6)
{
	char *buf = region(_metadata, CTX, TEST_PAGE_NUM);
	unsigned long g_pfn;
	__u32 g, gid, count;
	int hold[2];
	pid_t pid;

	if (peer_fork(_metadata, CTX, self->sock) == 0)
		safemap_grantor(self->sock[0], ME);
	g = mxvm_recv(SOCK);
	gid = mxvm_recv(SOCK);
	buf[0] = 10;

	/* S1 MAP: R sees G's memory, G sees R's write. */
	g_pfn = mxvm_recv(SOCK);
	ASSERT_EQ(0, mxvm_safemap(FD, g, gid, 0, buf, BUF_SIZE, SHARED))
		TH_LOG("SAFEMAP: %s", strerror(errno));
	EXPECT_EQ(20, buf[0]);
	EXPECT_EQ(g_pfn, mxvm_pfn(_metadata, buf)) TH_LOG("S1: not G's frame");
	buf[0] = 10;
	ASSERT_EQ(0, mxvm_safeunmap(FD, buf, &count));
	EXPECT_EQ(1, count);
	EXPECT_NE(g_pfn, mxvm_pfn(_metadata, buf)) TH_LOG("S1: still G's frame after unmap");
	mxvm_send(SOCK, 1);

	/* S2 UNMAP: R's copy is private; a new map discards it. */
	g_pfn = mxvm_recv(SOCK);
	EXPECT_EQ(10, buf[0]);
	ASSERT_EQ(0, mxvm_safemap(FD, g, gid, 0, buf, BUF_SIZE, SHARED));
	EXPECT_EQ(20, buf[0]);
	EXPECT_EQ(g_pfn, mxvm_pfn(_metadata, buf));
	mxvm_send(SOCK, 2);

	/* S3 REVOKE: R keeps the content of the moment, writable. */
	g_pfn = mxvm_recv(SOCK);
	EXPECT_EQ(20, buf[0]);
	EXPECT_NE(g_pfn, mxvm_pfn(_metadata, buf));
	buf[0] = 10;
	mxvm_send(SOCK, 3);

	/* S4 SMAP_COW: R forks while sharing; the child keeps a snapshot. */
	mxvm_recv(SOCK);
	ASSERT_EQ(0, mxvm_safemap(FD, g, gid, 0, buf, BUF_SIZE, SHARED));
	buf[0] = 10;
	ASSERT_EQ(0, pipe(hold));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char go;

		if (read(hold[0], &go, 1) != 1)
			_exit(2);
		_exit(buf[0] != 10);
	}
	mxvm_send(SOCK, 4);
	g_pfn = mxvm_recv(SOCK);
	ASSERT_EQ(1, write(hold[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &hold[0], 0));
	EXPECT_TRUE(WIFEXITED(hold[0]) && WEXITSTATUS(hold[0]) == 0)
		TH_LOG("S4: the forked child did not see its snapshot (10)");
	close(hold[1]);
	EXPECT_EQ(20, buf[0]);
	EXPECT_EQ(g_pfn, mxvm_pfn(_metadata, buf));
	mxvm_send(SOCK, 4);

	/* S5 COW_SMAP: mapping a page G shares with its child COW. */
	g_pfn = mxvm_recv(SOCK);
	EXPECT_EQ(20, buf[0]);
	buf[0] = 10;
	ASSERT_EQ(0, mxvm_safemap(FD, g, gid, 0, buf, BUF_SIZE, SHARED));
	EXPECT_EQ(21, buf[0]);
	EXPECT_NE(g_pfn, mxvm_pfn(_metadata, buf)) TH_LOG("S5: G kept the frame it shares COW");
	mxvm_send(SOCK, 5);
	g_pfn = mxvm_recv(SOCK);
	EXPECT_EQ(21, buf[0]) TH_LOG("S5: R followed G's child");
	EXPECT_EQ(g_pfn, mxvm_pfn(_metadata, buf));
	mxvm_send(SOCK, 5);

	/* S6 COW_SMAP2: safecopy, then map. */
	g_pfn = mxvm_recv(SOCK);
	EXPECT_EQ(21, buf[0]);
	buf[0] = 10;
	ASSERT_EQ(0, mxvm_safecopy_to(FD, g, gid, 0, buf, BUF_SIZE))
		TH_LOG("SAFECOPY to: %s", strerror(errno));
	ASSERT_EQ(0, mxvm_safemap(FD, g, gid, 0, buf, BUF_SIZE, SHARED));
	EXPECT_EQ(10, buf[0]);
	EXPECT_EQ(g_pfn, mxvm_pfn(_metadata, buf));
	mxvm_send(SOCK, 6);

	/* G exits with R's mapping live: R keeps its snapshot. */
	mxvm_recv(SOCK);
	mxvm_send(SOCK, 7);
	EXPECT_PEER_OK();
	EXPECT_EQ(10, buf[0]);
	buf[0] = 11;
	EXPECT_EQ(11, buf[0]);
	EXPECT_EQ(self->gmaps_before, mxvm_sysfs_long("nr_grant_maps"));
}

/* Endpoints: one per process, the same through every file, never reused. */
TEST_F(grant, endpoint_identity)
{
	int fd2 = mxvm_ctx_open(_metadata, CTX);
	__u32 child_ep[2];
	int i;

	EXPECT_EQ(ME, mxvm_endpoint(FD));
	EXPECT_EQ(ME, mxvm_endpoint(fd2));
	EXPECT_NE(ANY, ME);
	for (i = 0; i < 2; i++) {
		if (peer_fork(_metadata, CTX, self->sock) == 0) {
			/* The inherited file answers for the child. */
			mxvm_send(self->sock[0], mxvm_endpoint(FD));
			_exit(0);
		}
		child_ep[i] = mxvm_recv(SOCK);
		EXPECT_PEER_OK();
		EXPECT_NE(0, child_ep[i]);
		EXPECT_NE(ME, child_ep[i]);
	}
	/* The first child is gone; its number was not given again. */
	EXPECT_NE(child_ep[0], child_ep[1]);
	EXPECT_LT(child_ep[0], child_ep[1]);
	/* A dead endpoint: ESRCH; one never given out: EINVAL. */
	EXPECT_EQ(-1, mxvm_safecopy_from(FD, child_ep[0], 1 << 16, 0,
					 &i, 1));
	EXPECT_EQ(ESRCH, errno);
	EXPECT_EQ(-1, mxvm_safecopy_from(FD, child_ep[1] + 1000, 1 << 16, 0,
					 &i, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mxvm_safecopy_from(FD, 0, 1 << 16, 0, &i, 1));
	EXPECT_EQ(EINVAL, errno);
	/* Granting to a dead endpoint is refused too. */
	EXPECT_EQ(-1, mxvm_grant(FD, child_ep[0], &i, sizeof(i), READ, NULL));
	EXPECT_EQ(ESRCH, errno);
}

/*
 * S7 (test/safeperf): 100 x (map, touch, unmap) for 1..50 pages: 5,000
 * maps and 127,500 page copies, minutes on the debug kernel.
 */
TEST_F_TIMEOUT(grant, s7_safeperf_map_touch_unmap, 900)
{
	struct peer g = PEER(50, ME, RWM);
	char *buf = region(_metadata, CTX, 50);
	unsigned int pages, it, i;
	struct timespec t0, t1;
	__u32 count;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (pages = 1; pages <= 50; pages++) {
		for (it = 0; it < 100; it++) {
			ASSERT_EQ(0, mxvm_safemap(FD, g.ep, g.gid, 0, buf,
						  pages * PS, SHARED))
				TH_LOG("%u pages, iteration %u: %s", pages,
				       it, strerror(errno));
			for (i = 0; i < pages; i++)
				buf[i * PS] = 1;
			ASSERT_EQ(0, mxvm_safeunmap(FD, buf, &count));
			ASSERT_EQ(1, count);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	TH_LOG("5000 maps of 1..50 pages in %.1f s",
	       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	/* Every write went to the grantor's pages. */
	EXPECT_EQ(1, ask(SOCK, OP_READ, 49));
	EXPECT_EQ(self->gmaps_before, mxvm_sysfs_long("nr_grant_maps"));
}

/* S9 (test/safecopy): copies of 1 B to 32 KiB, from ordinary memory. */
TEST_F(grant, s9_safecopy_sizes)
{
	char *buf = mxvm_ctx_anon(_metadata, CTX, 8 * PS);
	struct peer g;
	size_t size;

	if (peer_fork(_metadata, CTX, self->sock) == 0)
		peer_serve(self->sock[0], 8, ME, READ | WRITE, true);
	g.ep = mxvm_recv(SOCK);
	g.gid = mxvm_recv(SOCK);
	ask(SOCK, OP_WRITE, 0 << 8 | 100);
	for (size = 1; size <= 8 * PS; size *= 2) {
		memset(buf, 0, 8 * PS);
		ASSERT_EQ(0, mxvm_safecopy_from(FD, g.ep, g.gid, 0, buf, size))
			TH_LOG("%zu bytes: %s", size, strerror(errno));
		EXPECT_EQ(100, buf[0]);
		if (size > PS)
			EXPECT_EQ(0x41, buf[PS]);
		EXPECT_EQ(0, buf[size]) TH_LOG("%zu bytes: copied past the end", size);
	}
	/* And back: the last byte of each page the grantor then reads. */
	mxvm_fill(buf, 8, 0x70);
	ASSERT_EQ(0, mxvm_safecopy_to(FD, g.ep, g.gid, 0, buf, 8 * PS));
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(0x70 + i, ask(SOCK, OP_READ, i));
	/* Past the grant: EPERM; a zero length: EINVAL. */
	EXPECT_ERR(EPERM, mxvm_safecopy_from(FD, g.ep, g.gid, 1, buf, 8 * PS));
	EXPECT_ERR(EINVAL, mxvm_safecopy_from(FD, g.ep, g.gid, 0, buf, 0));
	/* A grant without MAP cannot be mapped (S11). */
	EXPECT_ERR(EPERM, mxvm_safemap(FD, g.ep, g.gid, 0, region(_metadata,
								  CTX, 1), PS, RO));
}

/*
 * MINIX's data store chain: the peer is the server, the other peer the
 * publisher, which grants its page to the server with READ|MAP; the server
 * maps it read-only and grants its mapped page to this process, the
 * client, which maps it read-only over @buf.  Returns the publisher.
 */
static struct peer ds_chain(struct __test_metadata *_metadata,
			    FIXTURE_DATA(grant) * self, char *buf)
{
	struct peer ds, pub;
	int64_t gid_ds;

	ds = PEER(1, 0, 0);
	pub = START_OTHER(1, ds.ep, READ | MAP);
	EXPECT_EQ(0, ask_safemap(SOCK, RO, pub.ep, pub.gid));
	gid_ds = ask(SOCK, OP_GRANT, (uint64_t)RWM << 32 | ME);
	EXPECT_LT(0, gid_ds);
	EXPECT_EQ(0, mxvm_safemap(FD, ds.ep, gid_ds, 0, buf, PS, RO));
	return pub;
}

/*
 * S10 (test/ds): publisher -> server (read-only map, then grants its
 * mapped buffer) -> client (this process) maps the same frames; the
 * server's delete (safeunmap, then saferevmap by address) leaves both
 * with snapshots.
 */
TEST_F(grant, s10_ds_chain)
{
	char *buf = region(_metadata, CTX, 1);
	struct peer pub = ds_chain(_metadata, self, buf);
	int64_t pfn_pub;

	pfn_pub = ask(OTHER, OP_WRITE, 0 << 8 | 3);
	EXPECT_EQ(3, buf[0]);
	EXPECT_EQ(pfn_pub, mxvm_pfn(_metadata, buf));
	EXPECT_EQ(pfn_pub, ask(SOCK, OP_PFN, 0));
	EXPECT_EQ(3, ask(SOCK, OP_READ, 0));
	/* Read-only all the way down. */
	EXPECT_EQ(1, mxvm_write_segv(buf, 9));

	/* ds_delete_map() */
	EXPECT_EQ(1, ask(SOCK, OP_SAFEUNMAP, 0));
	EXPECT_EQ(1, ask(SOCK, OP_REVMAP_ADDR, 0 << 16 | 1));
	pfn_pub = ask(OTHER, OP_WRITE, 0 << 8 | 4);
	EXPECT_EQ(3, buf[0]);
	EXPECT_EQ(3, ask(SOCK, OP_READ, 0));
	EXPECT_NE(pfn_pub, mxvm_pfn(_metadata, buf));
	EXPECT_NE(pfn_pub, ask(SOCK, OP_PFN, 0));
	EXPECT_NE(ask(SOCK, OP_PFN, 0), mxvm_pfn(_metadata, buf));
	/* The snapshot is the client's own, writable memory now. */
	EXPECT_EQ(0, mxvm_write_segv(buf, 5));
	EXPECT_EQ(5, buf[0]);
	/* Nothing is left to revoke: not the record derived from pub's grant. */
	EXPECT_EQ(self->gmaps_before, mxvm_sysfs_long("nr_grant_maps"));
	EXPECT_EQ(0, ask(OTHER, OP_REVMAP, pub.gid));
}

/* S11, S12: MAP is needed to map, WRITE to map SHARED; COW needs none. */
TEST_F(grant, s11_s12_access_bits)
{
	char *buf = region(_metadata, CTX, 4);
	struct peer g = PEER(4, ME, READ | WRITE);
	int64_t gid_rm, gid_wm;

	for (__u32 mode = RO; mode <= COW; mode++)
		EXPECT_ERR(EPERM, mxvm_safemap(FD, g.ep, g.gid, 0, buf, 4 * PS,
					       mode));
	gid_rm = ask(SOCK, OP_GRANT, (uint64_t)(READ | MAP) << 32 | ME);
	ASSERT_LT(0, gid_rm);
	EXPECT_ERR(EPERM, mxvm_safemap(FD, g.ep, gid_rm, 0, buf, 4 * PS,
				       SHARED));
	EXPECT_EQ(0, mxvm_safemap(FD, g.ep, gid_rm, 0, buf, 4 * PS, RO));
	mxvm_expect_fill(_metadata, buf, 4, 0x40);
	/* COW never writes the grantor's pages: READ|MAP is enough. */
	EXPECT_EQ(0, mxvm_safemap(FD, g.ep, gid_rm, 0, buf, 4 * PS, COW));
	buf[0] = 1;
	EXPECT_EQ(0x40, ask(SOCK, OP_READ, 0));
	/* MAP without READ maps nothing either. */
	gid_wm = ask(SOCK, OP_GRANT, (uint64_t)(WRITE | MAP) << 32 | ME);
	ASSERT_LT(0, gid_wm);
	EXPECT_ERR(EPERM, mxvm_safemap(FD, g.ep, gid_wm, 0, buf, 4 * PS, COW));
}

/* S13: a read-only map refuses the grantee's writes, shows the grantor's. */
TEST_F(grant, s13_readonly_map)
{
	char *buf = region(_metadata, CTX, 4);
	struct peer g = PEER(4, ME, RWM);
	int64_t pfn;

	ASSERT_EQ(0, mxvm_safemap(FD, g.ep, g.gid, 0, buf, 4 * PS, RO));
	EXPECT_EQ(1, mxvm_write_segv(buf + PS, 7));
	EXPECT_EQ(0x41, ask(SOCK, OP_READ, 1));
	pfn = ask(SOCK, OP_WRITE, 1 << 8 | 0x55);
	EXPECT_EQ(0x55, buf[PS]);
	EXPECT_EQ(pfn, mxvm_pfn(_metadata, buf + PS));
	/* Nor through the kernel: a safecopy into it is refused. */
	EXPECT_ERR(EFAULT, mxvm_safecopy_from(FD, g.ep, g.gid, 0, buf, 8));
	EXPECT_EQ(0x40, buf[0]);
}

/* S14: only the named grantee may use a grant; anybody one to ANY. */
TEST_F(grant, s14_wrong_grantee)
{
	char *buf = region(_metadata, CTX, 2);
	struct peer g = PEER(2, 0, RWM);	/* granted to itself */
	int64_t gid_any;

	EXPECT_ERR(EPERM, mxvm_safemap(FD, g.ep, g.gid, 0, buf, 2 * PS, RO));
	EXPECT_ERR(EPERM, mxvm_safecopy_from(FD, g.ep, g.gid, 0, buf, 1));
	gid_any = ask(SOCK, OP_GRANT, (uint64_t)RWM << 32 | ANY);
	ASSERT_LT(0, gid_any);
	EXPECT_EQ(0, mxvm_safemap(FD, g.ep, gid_any, 0, buf, 2 * PS, SHARED));
	EXPECT_EQ(g.ep == ME, false);
	/* Grant ids are per grantor: the same id in my table is not it. */
	EXPECT_ERR(EPERM, mxvm_safemap(FD, ME, gid_any, 0, buf, 2 * PS, RO));
}

/* S15: the mapped part must lie in the grant, overflow or not. */
TEST_F(grant, s15_range)
{
	char *src = region(_metadata, CTX, 4), *dst = region(_metadata, CTX, 4);
	__u32 gid;

	ASSERT_EQ(0, mxvm_grant(FD, ME, src, 4 * PS, RWM, &gid));
	EXPECT_ERR(EPERM, mxvm_safemap(FD, ME, gid, 4 * PS, dst, PS, RO));
	EXPECT_ERR(EPERM, mxvm_safemap(FD, ME, gid, 3 * PS, dst, 2 * PS, RO));
	EXPECT_ERR(EPERM, mxvm_safemap(FD, ME, gid, -PS, dst, 2 * PS, RO));
	EXPECT_ERR(EPERM, mxvm_safecopy_from(FD, ME, gid, 4 * PS - 1, dst, 2));
	EXPECT_ERR(EPERM, mxvm_safecopy_from(FD, ME, gid, ~0ULL, dst, 2));
	EXPECT_EQ(0, mxvm_safemap(FD, ME, gid, 3 * PS, dst, PS, SHARED));
	EXPECT_EQ(0, mxvm_revoke(FD, gid, NULL));
}

/* S16: bad, stale and foreign ids. */
TEST_F(grant, s16_bad_gid)
{
	char *src = region(_metadata, CTX, 1), *dst = region(_metadata, CTX, 1);
	__u32 gid, gid2;

	ASSERT_EQ(0, mxvm_grant(FD, ME, src, PS, RWM, &gid));
	EXPECT_LT(0, (int)gid);
	EXPECT_ERR(EINVAL, mxvm_safemap(FD, ME, 0, 0, dst, PS, RO));
	EXPECT_ERR(EINVAL, mxvm_safemap(FD, ME, 0x80000000u | gid, 0, dst, PS,
					RO));
	EXPECT_ERR(EPERM, mxvm_safemap(FD, ME, gid + 1, 0, dst, PS, RO));
	EXPECT_ERR(EINVAL, mxvm_revoke(FD, 0, NULL));
	EXPECT_ERR(EINVAL, mxvm_saferevmap(FD, 0x80000000u, NULL));
	EXPECT_ERR(EPERM, mxvm_saferevmap(FD, gid + 1, NULL));
	ASSERT_EQ(0, mxvm_revoke(FD, gid, NULL));
	EXPECT_ERR(EPERM, mxvm_safemap(FD, ME, gid, 0, dst, PS, RO));
	EXPECT_ERR(EPERM, mxvm_revoke(FD, gid, NULL));
	EXPECT_ERR(EPERM, mxvm_saferevmap(FD, gid, NULL));
	/* The slot is used again, under another generation. */
	ASSERT_EQ(0, mxvm_grant(FD, ME, src, PS, RWM, &gid2));
	EXPECT_EQ(gid & 0xffff, gid2 & 0xffff);
	EXPECT_NE(gid, gid2);
	EXPECT_ERR(EPERM, mxvm_safemap(FD, ME, gid, 0, dst, PS, RO));
	EXPECT_EQ(0, mxvm_safemap(FD, ME, gid2, 0, dst, PS, RO));
	EXPECT_EQ(0, mxvm_revoke(FD, gid2, NULL));
}

/* S17: alignment, and MINIX bug B1: a bad MAP grant is not half made. */
TEST_F(grant, s17_alignment)
{
	char *src = region(_metadata, CTX, 4), *dst = region(_metadata, CTX, 4);
	char *anon = mxvm_ctx_anon(_metadata, CTX, 4 * PS);
	long grants = mxvm_sysfs_long("nr_grants");
	__u32 gid;

	EXPECT_ERR(EINVAL, mxvm_grant(FD, ME, src + 1, PS, RWM, NULL));
	EXPECT_ERR(EINVAL, mxvm_grant(FD, ME, src, PS + 1, RWM, NULL));
	EXPECT_ERR(EINVAL, mxvm_grant(FD, ME, anon, PS, RWM, NULL));
	EXPECT_ERR(EINVAL, mxvm_grant(FD, ME, src, 5 * PS, RWM, NULL));
	EXPECT_EQ(grants, mxvm_sysfs_long("nr_grants"));
	/* Copy-only grants take any bytes of any memory. */
	ASSERT_EQ(0, mxvm_grant(FD, ME, anon + 3, 5, READ | WRITE, &gid));
	EXPECT_EQ(0, mxvm_revoke(FD, gid, NULL));

	ASSERT_EQ(0, mxvm_grant(FD, ME, src, 4 * PS, RWM, &gid));
	EXPECT_ERR(EINVAL, mxvm_safemap(FD, ME, gid, 0, dst + 1, PS, RO));
	EXPECT_ERR(EINVAL, mxvm_safemap(FD, ME, gid, 1, dst, PS, RO));
	EXPECT_ERR(EINVAL, mxvm_safemap(FD, ME, gid, 0, dst, PS - 1, RO));
	EXPECT_ERR(EINVAL, mxvm_safemap(FD, ME, gid, 0, dst, 0, RO));
	EXPECT_ERR(EINVAL, mxvm_safemap(FD, ME, gid, 0, anon, PS, RO));
	/* A page mapped over itself. */
	EXPECT_ERR(EINVAL, mxvm_safemap(FD, ME, gid, 0, src, PS, RO));
	EXPECT_ERR(EINVAL, mxvm_safemap(FD, ME, gid, 0, dst, PS, 0));
	EXPECT_ERR(EINVAL, mxvm_safemap(FD, ME, gid, 0, dst, PS, 4));
	EXPECT_EQ(self->gmaps_before, mxvm_sysfs_long("nr_grant_maps"));
	EXPECT_EQ(0, mxvm_revoke(FD, gid, NULL));
}

/* Write a module parameter; the old value is returned through @old. */
static void set_param(struct __test_metadata *_metadata, const char *name,
		      long val, long *old)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/minix_vm/parameters/%s",
		 name);
	if (old)
		*old = mxvm_read_long(path);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "%ld\n", val);
	ASSERT_EQ(0, fclose(f));
}

/* S18: the limits, with nothing half made past them. */
TEST_F(grant, s18_limits)
{
	char *src = region(_metadata, CTX, 4), *dst = region(_metadata, CTX, 4);
	long old_grants, old_maps;
	__u32 gid[3], i;

	set_param(_metadata, "max_grants", 3, &old_grants);
	set_param(_metadata, "max_grant_maps", 2, &old_maps);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, mxvm_grant(FD, ME, src, 4 * PS, RWM, &gid[i]));
	EXPECT_ERR(ENOSPC, mxvm_grant(FD, ME, src, PS, RWM, NULL));
	EXPECT_EQ(self->grants_before + 3, mxvm_sysfs_long("nr_grants"));

	mxvm_fill(src, 4, 0x10);
	mxvm_fill(dst, 4, 0x20);
	ASSERT_EQ(0, mxvm_safemap(FD, ME, gid[0], 0, dst, PS, SHARED));
	ASSERT_EQ(0, mxvm_safemap(FD, ME, gid[1], PS, dst + PS, PS, SHARED));
	EXPECT_ERR(ENOSPC, mxvm_safemap(FD, ME, gid[2], 2 * PS, dst + 2 * PS,
					2 * PS, SHARED));
	EXPECT_EQ(self->gmaps_before + 2, mxvm_sysfs_long("nr_grant_maps"));
	mxvm_expect_fill(_metadata, dst, 2, 0x10);
	mxvm_expect_fill(_metadata, dst + 2 * PS, 2, 0x22);
	set_param(_metadata, "max_grants", old_grants, NULL);
	set_param(_metadata, "max_grant_maps", old_maps, NULL);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, mxvm_revoke(FD, gid[i], NULL));
}

/* S19: revocations and unmaps that find nothing are not errors. */
TEST_F(grant, s19_noop_revokes)
{
	char *src = region(_metadata, CTX, 2);
	__u32 gid, count = 9;

	ASSERT_EQ(0, mxvm_grant(FD, ME, src, 2 * PS, RWM, &gid));
	EXPECT_EQ(0, mxvm_saferevmap(FD, gid, &count));
	EXPECT_EQ(0, count);
	count = 9;
	EXPECT_EQ(0, mxvm_saferevmap_addr(FD, src, 2 * PS, &count));
	EXPECT_EQ(0, count);
	count = 9;
	EXPECT_EQ(0, mxvm_safeunmap(FD, src, &count));
	EXPECT_EQ(0, count);
	EXPECT_ERR(EINVAL, mxvm_safeunmap(FD, src + 1, &count));
	EXPECT_ERR(EINVAL, mxvm_saferevmap_addr(FD, src, 0, &count));
	EXPECT_EQ(0, mxvm_revoke(FD, gid, &count));
	EXPECT_EQ(0, count);
}

/* S20: revoking a grant with a live mapping: snapshot, then the grant goes. */
TEST_F(grant, s20_revoke_live_mapping)
{
	char *buf = region(_metadata, CTX, 2);
	struct peer g = PEER(2, ME, RWM);
	int64_t pfn;

	ASSERT_EQ(0, mxvm_safemap(FD, g.ep, g.gid, 0, buf, 2 * PS, SHARED));
	pfn = ask(SOCK, OP_WRITE, 1 << 8 | 0x66);
	EXPECT_EQ(pfn, mxvm_pfn(_metadata, buf + PS));
	EXPECT_EQ(1, ask(SOCK, OP_REVOKE, g.gid));
	EXPECT_NE(pfn, mxvm_pfn(_metadata, buf + PS));
	EXPECT_EQ(0x66, buf[PS]);
	ask(SOCK, OP_WRITE, 1 << 8 | 0x67);
	EXPECT_EQ(0x66, buf[PS]);
	buf[PS] = 1;
	EXPECT_EQ(0x67, ask(SOCK, OP_READ, 1));
	EXPECT_ERR(EPERM, mxvm_safemap(FD, g.ep, g.gid, 0, buf, PS, RO));
	EXPECT_EQ(-EPERM, ask(SOCK, OP_REVOKE, g.gid));
	EXPECT_EQ(self->gmaps_before, mxvm_sysfs_long("nr_grant_maps"));
}

/* S21: indirect chains: 5 hops map the owner's frames, a 6th is ELOOP. */
TEST_F(grant, s21_indirect_chain_depth)
{
	char *buf = region(_metadata, CTX, 2);
	struct peer a = PEER(2, ME, RWM);
	__u32 hop[6], from = a.ep, from_gid = a.gid;
	int64_t pfn;
	int i;

	/* Each link re-grants the one before to this process itself. */
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, mxvm_grant_indirect(FD, ME, from, from_gid, RWM,
						 &hop[i]))
			TH_LOG("hop %d: %s", i + 1, strerror(errno));
		from = ME;
		from_gid = hop[i];
	}
	EXPECT_ERR(ELOOP, mxvm_grant_indirect(FD, ME, ME, hop[4], RWM,
					      &hop[5]));
	ASSERT_EQ(0, mxvm_safemap(FD, ME, hop[4], 0, buf, 2 * PS, SHARED))
		TH_LOG("through 5 indirect grants: %s", strerror(errno));
	pfn = ask(SOCK, OP_WRITE, 0 << 8 | 0x31);
	EXPECT_EQ(0x31, buf[0]);
	EXPECT_EQ(pfn, mxvm_pfn(_metadata, buf));
	/* Fewer rights on the way: no more than the chain gives. */
	ASSERT_EQ(0, mxvm_grant_indirect(FD, ME, ME, hop[2], READ | MAP,
					 &hop[5]));
	EXPECT_ERR(EPERM, mxvm_grant_indirect(FD, ME, ME, hop[5], RWM, NULL));
	EXPECT_ERR(EPERM, mxvm_safemap(FD, ME, hop[5], 0, buf + PS, PS,
				       SHARED));
	/* Revoking a link in the middle ends the mapping (MINIX bug B3). */
	EXPECT_EQ(0, mxvm_revoke(FD, hop[1], NULL));
	EXPECT_NE(pfn, mxvm_pfn(_metadata, buf));
	EXPECT_EQ(0x31, buf[0]);
	EXPECT_ERR(EPERM, mxvm_safemap(FD, ME, hop[4], 0, buf, PS, RO));
	for (i = 0; i < 6; i++)
		if (i != 1)
			EXPECT_EQ(0, mxvm_revoke(FD, hop[i], NULL));
}

/*
 * S21 across processes: A grants B (this process), B re-grants to C,
 * C maps A's frames; A's revoke of its direct grant reaches C (MINIX bug
 * B3), and so does B's of its indirect one.
 */
TEST_F(grant, s21_indirect_revoke_reaches_grantee)
{
	char *own = region(_metadata, CTX, 2);
	__u32 gid_b, count;
	struct peer a, c;
	int64_t pfn;

	c = PEER(2, 0, 0);
	a = START_OTHER(2, ME, RWM);
	ASSERT_EQ(0, mxvm_grant_indirect(FD, c.ep, a.ep, a.gid, READ | MAP,
					 &gid_b));
	ASSERT_EQ(0, ask_safemap(SOCK, RO, ME, gid_b));
	pfn = ask(OTHER, OP_WRITE, 1 << 8 | 0x22);
	EXPECT_EQ(pfn, ask(SOCK, OP_PFN, 1));
	EXPECT_EQ(0x22, ask(SOCK, OP_READ, 1));
	/* By the owner, by id of its direct grant. */
	EXPECT_EQ(1, ask(OTHER, OP_REVMAP, a.gid));
	EXPECT_NE(pfn, ask(SOCK, OP_PFN, 1));
	ask(OTHER, OP_WRITE, 1 << 8 | 0x23);
	EXPECT_EQ(0x22, ask(SOCK, OP_READ, 1));
	/*
	 * Again, and now by the intermediary, of its indirect grant: that
	 * ends C's mapping only, not the intermediary's own mapping of A's
	 * grant, made without the link.
	 */
	ASSERT_EQ(0, ask_safemap(SOCK, RO, ME, gid_b));
	EXPECT_EQ(0x23, ask(SOCK, OP_READ, 1));
	ASSERT_EQ(0, mxvm_safemap(FD, a.ep, a.gid, 0, own, 2 * PS, RO));
	EXPECT_EQ(0, mxvm_revoke(FD, gid_b, &count));
	EXPECT_EQ(1, count);
	EXPECT_EQ(ask(OTHER, OP_PFN, 1), mxvm_pfn(_metadata, own + PS));
	ask(OTHER, OP_WRITE, 1 << 8 | 0x24);
	EXPECT_EQ(0x23, ask(SOCK, OP_READ, 1));
	EXPECT_NE(ask(OTHER, OP_PFN, 1), ask(SOCK, OP_PFN, 1));
	EXPECT_EQ(-EPERM, ask_safemap(SOCK, RO, ME, gid_b));
}

/* S22: two grantees, one revocation: both get snapshots (MINIX bug B7). */
TEST_F(grant, s22_two_grantees_revoked)
{
	char *buf = region(_metadata, CTX, 2);
	struct peer g;
	int64_t pfn;

	PEER(2, 0, 0);
	g = START_OTHER(2, ANY, RWM);
	ASSERT_EQ(0, ask_safemap(SOCK, SHARED, g.ep, g.gid));
	ASSERT_EQ(0, mxvm_safemap(FD, g.ep, g.gid, 0, buf, 2 * PS, SHARED));
	pfn = ask(OTHER, OP_PFN, 0);
	EXPECT_EQ(pfn, mxvm_pfn(_metadata, buf));
	EXPECT_EQ(pfn, ask(SOCK, OP_PFN, 0));
	EXPECT_EQ(2, ask(OTHER, OP_REVMAP, g.gid));
	EXPECT_NE(pfn, mxvm_pfn(_metadata, buf));
	EXPECT_NE(pfn, ask(SOCK, OP_PFN, 0));
	EXPECT_NE(mxvm_pfn(_metadata, buf), ask(SOCK, OP_PFN, 0));
	buf[0] = 0x11;
	EXPECT_EQ(0x40, ask(SOCK, OP_READ, 0));
	EXPECT_EQ(0x40, ask(OTHER, OP_READ, 0));
}

/* S23: COW over a page shared now: an eager copy; the share is untouched. */
TEST_F(grant, s23_cow_over_smap)
{
	char *buf = region(_metadata, CTX, 1);
	struct peer g;
	int64_t pfn;

	PEER(1, 0, 0);
	g = START_OTHER(1, ANY, RWM);
	ASSERT_EQ(0, ask_safemap(SOCK, SHARED, g.ep, g.gid));
	ASSERT_EQ(0, mxvm_safemap(FD, g.ep, g.gid, 0, buf, PS, COW));
	pfn = ask(OTHER, OP_PFN, 0);
	EXPECT_NE(pfn, mxvm_pfn(_metadata, buf)) TH_LOG("not an eager copy");
	EXPECT_EQ(pfn, ask(SOCK, OP_PFN, 0));
	ask(OTHER, OP_WRITE, 0 << 8 | 0x77);
	EXPECT_EQ(0x77, ask(SOCK, OP_READ, 0));
	EXPECT_EQ(0x40, buf[0]);
}

/* COW from a private page: shared until either side writes. */
TEST_F(grant, cow_map_between_processes)
{
	char *buf = region(_metadata, CTX, 1);
	struct peer g = PEER(1, ME, READ | MAP);
	int64_t pfn;

	ASSERT_EQ(0, mxvm_safemap(FD, g.ep, g.gid, 0, buf, PS, COW));
	pfn = ask(SOCK, OP_PFN, 0);
	EXPECT_EQ(pfn, mxvm_pfn(_metadata, buf));
	buf[0] = 1;
	EXPECT_NE(pfn, mxvm_pfn(_metadata, buf));
	EXPECT_EQ(0x40, ask(SOCK, OP_READ, 0));
	EXPECT_EQ(pfn, ask(SOCK, OP_PFN, 0));
	EXPECT_EQ(1, mxvm_safeunmap(FD, buf, NULL) == 0);
}

/* The grantor exits: every grantee keeps its snapshot, on its own. */
TEST_F(grant, grantor_exit)
{
	char *buf = region(_metadata, CTX, 2);
	struct peer g;

	PEER(2, 0, 0);
	g = START_OTHER(2, ANY, RWM);
	ASSERT_EQ(0, ask_safemap(SOCK, SHARED, g.ep, g.gid));
	ASSERT_EQ(0, mxvm_safemap(FD, g.ep, g.gid, 0, buf, 2 * PS, RO));
	ask(OTHER, OP_WRITE, 1 << 8 | 0x5a);
	mxvm_send(OTHER, CMD(OP_EXIT, 0));
	ASSERT_EQ(self->other, waitpid(self->other, NULL, 0));
	self->other = 0;
	close(OTHER);
	EXPECT_EQ(self->gmaps_before, mxvm_sysfs_long("nr_grant_maps"));
	EXPECT_EQ(0x5a, buf[PS]);
	EXPECT_EQ(0x5a, ask(SOCK, OP_READ, 1));
	EXPECT_NE(mxvm_pfn(_metadata, buf + PS), ask(SOCK, OP_PFN, 1));
	/* The read-only map became the grantee's own memory. */
	EXPECT_EQ(0, mxvm_write_segv(buf + PS, 0x5b));
	EXPECT_EQ(0x5a, ask(SOCK, OP_READ, 1));
	EXPECT_ERR(ESRCH, mxvm_safemap(FD, g.ep, g.gid, 0, buf, PS, RO));
}

/* The grantee exits: the grantor sees nothing change. */
TEST_F(grant, grantee_exit)
{
	char *src = region(_metadata, CTX, 2);
	struct peer c = PEER(2, 0, 0);
	unsigned long pfn;
	__u32 gid, count = 9;

	mxvm_fill(src, 2, 0x30);
	pfn = mxvm_pfn(_metadata, src);
	ASSERT_EQ(0, mxvm_grant(FD, c.ep, src, 2 * PS, RWM, &gid));
	ASSERT_EQ(0, ask_safemap(SOCK, SHARED, ME, gid));
	EXPECT_EQ(pfn, ask(SOCK, OP_PFN, 0));
	EXPECT_EQ(self->gmaps_before + 1, mxvm_sysfs_long("nr_grant_maps"));
	mxvm_send(SOCK, CMD(OP_EXIT, 0));
	EXPECT_PEER_OK();
	EXPECT_EQ(self->gmaps_before, mxvm_sysfs_long("nr_grant_maps"));
	EXPECT_EQ(pfn, mxvm_pfn(_metadata, src));
	mxvm_expect_fill(_metadata, src, 2, 0x30);
	EXPECT_EQ(0, mxvm_saferevmap(FD, gid, &count));
	EXPECT_EQ(0, count);
	EXPECT_ERR(ESRCH, mxvm_grant(FD, c.ep, src, PS, RWM, NULL));
	EXPECT_EQ(0, mxvm_revoke(FD, gid, NULL));
}

/*
 * A grantee maps something else over part of a granted mapping: the
 * record shrinks (here it splits), and a revoke leaves that part alone.
 */
TEST_F(grant, map_over_part_of_a_grant_mapping)
{
	char *src = region(_metadata, CTX, 4), *dst = region(_metadata, CTX, 4);
	char *other = region(_metadata, CTX, 1);
	__u32 gid, count;

	mxvm_fill(src, 4, 0x10);
	mxvm_fill(other, 1, 0x70);
	ASSERT_EQ(0, mxvm_grant(FD, ME, src, 4 * PS, RWM, &gid));
	ASSERT_EQ(0, mxvm_safemap(FD, ME, gid, 0, dst, 4 * PS, SHARED));
	ASSERT_EQ(0, mxvm_map(FD, other, dst + PS, PS, SHARED));
	EXPECT_EQ(self->gmaps_before + 2, mxvm_sysfs_long("nr_grant_maps"));
	ASSERT_EQ(0, mxvm_saferevmap(FD, gid, &count));
	EXPECT_EQ(2, count);
	mxvm_expect_frames(_metadata, dst + PS, other, 1, true);
	mxvm_expect_frames(_metadata, dst, src, 1, false);
	mxvm_expect_frames(_metadata, dst + 2 * PS, src + 2 * PS, 2, false);
	mxvm_expect_fill(_metadata, dst, 1, 0x10);
	mxvm_expect_fill(_metadata, dst + PS, 1, 0x70);
	mxvm_expect_fill(_metadata, dst + 2 * PS, 2, 0x12);
	EXPECT_EQ(0, mxvm_revoke(FD, gid, NULL));
}

/* Revoke by address ends the mappings whose source overlaps the range. */
TEST_F(grant, saferevmap_by_address)
{
	char *src = region(_metadata, CTX, 4), *dst = region(_metadata, CTX, 4);
	__u32 gid, count;

	ASSERT_EQ(0, mxvm_grant(FD, ME, src, 4 * PS, RWM, &gid));
	ASSERT_EQ(0, mxvm_safemap(FD, ME, gid, 0, dst, PS, SHARED));
	ASSERT_EQ(0, mxvm_safemap(FD, ME, gid, 2 * PS, dst + 2 * PS, 2 * PS,
				  SHARED));
	ASSERT_EQ(0, mxvm_saferevmap_addr(FD, src + PS, PS, &count));
	EXPECT_EQ(0, count);
	ASSERT_EQ(0, mxvm_saferevmap_addr(FD, src + 3 * PS, PS, &count));
	EXPECT_EQ(1, count);
	mxvm_expect_frames(_metadata, dst, src, 1, true);
	mxvm_expect_frames(_metadata, dst + 2 * PS, src + 2 * PS, 2, false);
	EXPECT_EQ(0, mxvm_revoke(FD, gid, &count));
	EXPECT_EQ(1, count);
	mxvm_expect_frames(_metadata, dst, src, 1, false);
}

/* Safe copies follow the owner's own rights. */
TEST_F(grant, safecopy_rights)
{
	struct mxvm_mapping ro = mxvm_ctx_region(_metadata, CTX, 1, 0, false);
	char *rw = region(_metadata, CTX, 1), *buf = region(_metadata, CTX, 1);
	char *anon = mxvm_ctx_anon(_metadata, CTX, PS);
	__u32 gid_r, gid_w, gid_ro, gid_anon;

	mxvm_fill(rw, 1, 0x21);
	mxvm_fill(anon, 1, 0x22);
	ASSERT_EQ(0, mxvm_grant(FD, ME, rw, PS, READ, &gid_r));
	ASSERT_EQ(0, mxvm_grant(FD, ME, rw, PS, WRITE, &gid_w));
	ASSERT_EQ(0, mxvm_grant(FD, ME, ro.addr, PS, READ | WRITE, &gid_ro));
	EXPECT_ERR(EPERM, mxvm_safecopy_to(FD, ME, gid_r, 0, buf, 8));
	EXPECT_ERR(EPERM, mxvm_safecopy_from(FD, ME, gid_w, 0, buf, 8));
	EXPECT_EQ(0, mxvm_safecopy_from(FD, ME, gid_r, 0, buf, PS));
	mxvm_expect_fill(_metadata, buf, 1, 0x21);
	/* A page its owner may only read is never written. */
	EXPECT_ERR(EFAULT, mxvm_safecopy_to(FD, ME, gid_ro, 0, buf, 8));
	EXPECT_TRUE(mxvm_page_is(ro.addr, 0));
	/* Ordinary read-only memory too (no FOLL_FORCE, unlike ptrace). */
	ASSERT_EQ(0, mprotect(anon, PS, PROT_READ));
	ASSERT_EQ(0, mxvm_grant(FD, ME, anon, PS, READ | WRITE, &gid_anon));
	EXPECT_ERR(EFAULT, mxvm_safecopy_to(FD, ME, gid_anon, 0, buf, 8));
	EXPECT_EQ(0x22, anon[0]);
	EXPECT_EQ(0, mxvm_revoke(FD, gid_anon, NULL));
	/* A caller's buffer that is not writable memory. */
	EXPECT_ERR(EFAULT, mxvm_safecopy_from(FD, ME, gid_ro, 0, ro.addr, 8));
	EXPECT_ERR(EFAULT, mxvm_safecopy_from(FD, ME, gid_r, 0, NULL, 8));
	EXPECT_EQ(0, mxvm_revoke(FD, gid_r, NULL));
	EXPECT_EQ(0, mxvm_revoke(FD, gid_w, NULL));
	EXPECT_EQ(0, mxvm_revoke(FD, gid_ro, NULL));
}

/* VSAFECOPY: in order, stops at the first error, reports how far. */
TEST_F(grant, vsafecopy)
{
	char *src = mxvm_ctx_anon(_metadata, CTX, 2 * PS);
	char *dst = mxvm_ctx_anon(_metadata, CTX, 2 * PS);
	struct minixvm_copy_vec vec[MINIXVM_VSAFECOPY_MAX + 1] = {};
	struct minixvm_vsafecopy v = { .size = sizeof(v),
				       .vec = (uintptr_t)vec };
	__u32 gid;

	mxvm_fill(src, 2, 0x50);
	ASSERT_EQ(0, mxvm_grant(FD, ME, src, 2 * PS, READ, &gid));
	for (int i = 0; i < 3; i++) {
		vec[i].endpoint = ME;
		vec[i].gid = gid;
		vec[i].offset = i * PS;
		vec[i].addr = (uintptr_t)dst + i * PS;
		vec[i].length = PS;
	}
	v.count = 3;
	EXPECT_EQ(-1, ioctl(FD, MINIXVM_IOC_VSAFECOPY, &v));
	EXPECT_EQ(EPERM, errno);	/* the third is past the grant */
	EXPECT_EQ(2, v.out_done);
	mxvm_expect_fill(_metadata, dst, 2, 0x50);

	memset(dst, 0, 2 * PS);
	vec[1].flags = 2;	/* unknown: nothing is copied */
	v.count = 2;
	EXPECT_EQ(-1, ioctl(FD, MINIXVM_IOC_VSAFECOPY, &v));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, v.out_done);
	EXPECT_TRUE(mxvm_page_is(dst, 0));
	vec[1].flags = 0;
	v.count = 0;
	EXPECT_ERR(EINVAL, ioctl(FD, MINIXVM_IOC_VSAFECOPY, &v));
	v.count = MINIXVM_VSAFECOPY_MAX + 1;
	EXPECT_ERR(EINVAL, ioctl(FD, MINIXVM_IOC_VSAFECOPY, &v));
	v.count = 2;
	EXPECT_EQ(0, ioctl(FD, MINIXVM_IOC_VSAFECOPY, &v));
	EXPECT_EQ(2, v.out_done);
	mxvm_expect_fill(_metadata, dst, 2, 0x50);
	v.vec = 8;
	EXPECT_ERR(EFAULT, ioctl(FD, MINIXVM_IOC_VSAFECOPY, &v));
	EXPECT_EQ(0, mxvm_revoke(FD, gid, NULL));
}

/* Malformed grants: EINVAL, nothing made. */
TEST_F(grant, grant_bad_arguments)
{
	char *src = region(_metadata, CTX, 1);
	struct minixvm_grant g = { .size = sizeof(g), .to = ME,
				   .access = READ, .addr = (uintptr_t)src,
				   .length = PS };
	struct minixvm_grant bad;

	bad = g; bad.flags = 2;
	EXPECT_ERR(EINVAL, ioctl(FD, MINIXVM_IOC_GRANT, &bad));
	bad = g; bad.access = 0;
	EXPECT_ERR(EINVAL, ioctl(FD, MINIXVM_IOC_GRANT, &bad));
	bad = g; bad.access = 8;
	EXPECT_ERR(EINVAL, ioctl(FD, MINIXVM_IOC_GRANT, &bad));
	bad = g; bad.from = ME;
	EXPECT_ERR(EINVAL, ioctl(FD, MINIXVM_IOC_GRANT, &bad));
	bad = g; bad.__reserved = 1;
	EXPECT_ERR(EINVAL, ioctl(FD, MINIXVM_IOC_GRANT, &bad));
	bad = g; bad.length = 0;
	EXPECT_ERR(EINVAL, ioctl(FD, MINIXVM_IOC_GRANT, &bad));
	bad = g; bad.addr = ~0ULL - 10; bad.length = 100;
	EXPECT_ERR(EINVAL, ioctl(FD, MINIXVM_IOC_GRANT, &bad));
	bad = g; bad.flags = MINIXVM_GRANT_INDIRECT;
	EXPECT_ERR(EINVAL, ioctl(FD, MINIXVM_IOC_GRANT, &bad));
	bad = g; bad.to = 0;
	EXPECT_ERR(EINVAL, ioctl(FD, MINIXVM_IOC_GRANT, &bad));
	EXPECT_EQ(self->grants_before, mxvm_sysfs_long("nr_grants"));
	EXPECT_ERR(EINVAL, mxvm_grant_indirect(FD, ME, 0, 1 << 16, READ, NULL));
	EXPECT_ERR(EPERM, mxvm_grant_indirect(FD, ME, ME, 1 << 16, READ, NULL));
	EXPECT_EQ(self->grants_before, mxvm_sysfs_long("nr_grants"));
}

/*
 * The grantor exits while the grantee maps, copies and unmaps: every call
 * succeeds or finds the grantor gone (ESRCH) or its grant gone (EPERM);
 * nothing is left behind (the debug kernel checks for use after free).
 */
TEST_F(grant, race_grantor_exit_during_use)
{
	char *buf = region(_metadata, CTX, 8);
	int round, calls = 0, gone = 0;
	struct peer g;
	int ret;

	for (round = 0; round < 20; round++) {
		g = PEER(8, ME, RWM);
		/* Exit after a short while: the calls below race with it. */
		mxvm_send(SOCK, CMD(OP_EXIT, 0));
		for (;;) {
			ret = mxvm_safemap(FD, g.ep, g.gid, 0, buf, 8 * PS,
					   round & 1 ? SHARED : COW);
			if (!ret)
				ret = mxvm_safecopy_from(FD, g.ep, g.gid, PS,
							 buf + 7 * PS, 2 * PS);
			if (!ret)
				ret = mxvm_safeunmap(FD, buf, NULL);
			calls++;
			if (ret) {
				EXPECT_TRUE(errno == ESRCH || errno == EPERM)
					TH_LOG("round %d: %s", round,
					       strerror(errno));
				gone++;
				break;
			}
		}
		EXPECT_PEER_OK();
		/* Whatever was mapped last is this process's own now. */
		buf[0] = 1;
		EXPECT_EQ(self->gmaps_before,
			  mxvm_sysfs_long("nr_grant_maps"));
	}
	EXPECT_EQ(20, gone);
	TH_LOG("%d calls raced 20 grantor exits", calls);
}

/*
 * Grantees exit while the grantor revokes their mappings: revocation
 * ends what is still there and counts nothing twice.
 */
TEST_F(grant, race_grantee_exit_during_revoke)
{
	char *src = region(_metadata, CTX, 8);
	__u32 gid, count, total;
	int round;

	ASSERT_EQ(0, mxvm_grant(FD, ANY, src, 8 * PS, RWM, &gid));
	for (round = 0; round < 20; round++) {
		struct peer c = PEER(8, 0, 0);

		ASSERT_EQ(0, ask_safemap(SOCK, round & 1 ? SHARED : RO, ME,
					 gid));
		mxvm_send(SOCK, CMD(OP_EXIT, 0));
		total = 0;
		do {
			ASSERT_EQ(0, mxvm_saferevmap(FD, gid, &count));
			total += count;
		} while (mxvm_sysfs_long("nr_grant_maps") > self->gmaps_before);
		EXPECT_GE(1, total);
		EXPECT_PEER_OK();
		(void)c;
	}
	EXPECT_EQ(0, mxvm_revoke(FD, gid, &count));
	EXPECT_EQ(0, count);
}

/*
 * A grantee shares granted memory onward with its own MAP: the copy is
 * reached by the grantor's revoke too, or the grantee would keep a live
 * view of the grantor's memory after it.
 */
TEST_F(grant, onward_map_is_revoked)
{
	char *x = region(_metadata, CTX, 2), *y = region(_metadata, CTX, 2);
	char *z = region(_metadata, CTX, 2);
	struct peer g = PEER(2, ME, RWM);
	int64_t pfn;

	ASSERT_EQ(0, mxvm_safemap(FD, g.ep, g.gid, 0, x, 2 * PS, SHARED));
	/* Onward, and onward again from the copy. */
	ASSERT_EQ(0, mxvm_map(FD, x, y, 2 * PS, SHARED));
	ASSERT_EQ(0, mxvm_map(FD, y + PS, z, PS, RO));
	pfn = ask(SOCK, OP_WRITE, 1 << 8 | 0x61);
	EXPECT_EQ(pfn, mxvm_pfn(_metadata, y + PS));
	EXPECT_EQ(pfn, mxvm_pfn(_metadata, z));
	EXPECT_EQ(self->gmaps_before + 3, mxvm_sysfs_long("nr_grant_maps"));
	EXPECT_EQ(3, ask(SOCK, OP_REVMAP, g.gid));
	ask(SOCK, OP_WRITE, 1 << 8 | 0x62);
	EXPECT_EQ(0x61, x[PS]);
	EXPECT_EQ(0x61, y[PS]);
	EXPECT_EQ(0x61, z[0]);
	EXPECT_NE(pfn, mxvm_pfn(_metadata, y + PS));
	EXPECT_NE(pfn, mxvm_pfn(_metadata, z));
	/* A COW map of granted pages is a copy already: nothing to record. */
	ASSERT_EQ(0, mxvm_safemap(FD, g.ep, g.gid, 0, x, 2 * PS, SHARED));
	ASSERT_EQ(0, mxvm_map(FD, x, y, 2 * PS, COW));
	EXPECT_EQ(self->gmaps_before + 1, mxvm_sysfs_long("nr_grant_maps"));
	EXPECT_NE(mxvm_pfn(_metadata, x), mxvm_pfn(_metadata, y));
}

/*
 * S10's chain, revoked at its source: the publisher's revoke reaches the
 * server's mapping and the client's, made through the server's grant of
 * the publisher's pages.
 */
TEST_F(grant, ds_chain_publisher_revoke)
{
	char *buf = region(_metadata, CTX, 1);
	struct peer pub = ds_chain(_metadata, self, buf);
	__u32 count = 9;
	int64_t pfn;

	pfn = ask(OTHER, OP_WRITE, 0 << 8 | 7);
	EXPECT_EQ(pfn, mxvm_pfn(_metadata, buf));
	EXPECT_EQ(2, ask(OTHER, OP_REVMAP, pub.gid));
	ask(OTHER, OP_WRITE, 0 << 8 | 8);
	EXPECT_EQ(7, buf[0]);
	EXPECT_EQ(7, ask(SOCK, OP_READ, 0));
	EXPECT_NE(pfn, mxvm_pfn(_metadata, buf));
	EXPECT_NE(pfn, ask(SOCK, OP_PFN, 0));
	/*
	 * The client's pages are its own now, and so are the server's: its
	 * mapping through the server's grant went with them.
	 */
	EXPECT_EQ(self->gmaps_before, mxvm_sysfs_long("nr_grant_maps"));
	EXPECT_EQ(0, mxvm_safeunmap(FD, buf, &count));
	EXPECT_EQ(0, count);
}

/*
 * Grants change everything or nothing under ENOMEM (MINIX bugs B2, B6,
 * B10): GRANT, SAFEMAP, an onward MAP, a MAP over part of a mapping,
 * SAFEUNMAP, SAFEREVMAP and REVOKE.  Debug kernel only.
 */
/*
 * A revocation ends a mapping page by page: pages that became private
 * leave every record, not only the records wholly inside the ended run.
 * B maps A's grant over half of its buffer and grants the whole buffer to
 * us; our mapping of it is then a record on B's grant over 4 pages and one
 * derived from A's over 2.  A revokes: those 2 pages are ours.  We share
 * one of them with a page of our own; B's revocation must leave that alone.
 */
TEST_F(grant, revoke_cuts_pages_out_of_other_records)
{
	char *y = region(_metadata, CTX, 4), *z = region(_metadata, CTX, 1);
	struct peer b = PEER(4, 0, 0), a = START_OTHER(4, b.ep, RWM);
	__u32 gb;

	ASSERT_EQ(0, ask_safemap(SOCK, SHARED, a.ep, a.gid));
	ASSERT_EQ(0, ask(SOCK, OP_UNMAP, 2 << 16 | 2));
	gb = ask(SOCK, OP_GRANT, (uint64_t)RWM << 32 | ME);
	ASSERT_EQ(0, mxvm_safemap(FD, b.ep, gb, 0, y, 4 * PS, SHARED));
	EXPECT_EQ(2, ask(OTHER, OP_REVMAP, a.gid));

	ASSERT_EQ(0, mxvm_map(FD, y, z, PS, SHARED));
	EXPECT_EQ(1, ask(SOCK, OP_REVMAP, gb))
		TH_LOG("B's revocation reached pages A's had made private");
	mxvm_poke(y, 0x77);
	EXPECT_EQ(0x77, mxvm_peek(z))
		TH_LOG("our own sharing of a private page was ended");
	EXPECT_EQ(mxvm_pfn(_metadata, y), mxvm_pfn(_metadata, z));
	EXPECT_EQ(self->gmaps_before, mxvm_sysfs_long("nr_grant_maps"));
}

TEST_F(grant, enomem_all_or_nothing)
{
	char *src = region(_metadata, CTX, 4), *dst = region(_metadata, CTX, 4);
	char *fwd = region(_metadata, CTX, 4);
	struct minixvm_grant g = { .size = sizeof(g), .to = ME, .access = RWM,
				   .addr = (uintptr_t)src, .length = 4 * PS };
	struct minixvm_safemap m = { .size = sizeof(m), .grantor = ME,
				     .mode = SHARED, .length = 4 * PS,
				     .dst_addr = (uintptr_t)dst };
	struct minixvm_saferevmap r = { .size = sizeof(r) };
	struct minixvm_revoke rv = { .size = sizeof(rv) };
	struct minixvm_safeunmap u = { .size = sizeof(u) };
	static char buf[PS] __attribute__((aligned(4096)));
	struct minixvm_copy_vec cv[2];
	struct minixvm_safecopy sc;
	struct minixvm_vsafecopy vc = { .size = sizeof(vc), .count = 2,
					.vec = (uintptr_t)cv };
	struct minixvm_map mm;
	struct fault_inject fi;
	unsigned int failed = 0;

	if (!fi_start(&fi)) {
		fi_stop(&fi);
		SKIP(return, "no fault injection in this kernel");
	}
	mxvm_fill(dst, 4, 0x20);
	mxvm_fill(fwd, 4, 0x30);
	failed += walk_failures(_metadata, &fi, CTX, MINIXVM_IOC_GRANT, &g,
				"GRANT");
	m.gid = g.out_gid;
	failed += walk_failures(_metadata, &fi, CTX, MINIXVM_IOC_SAFEMAP, &m,
				"SAFEMAP");
	/* Onward, over the middle of a mapping: a derived record, a split. */
	mm = mxvm_map_args(dst, fwd + PS, PS, SHARED);
	failed += walk_failures(_metadata, &fi, CTX, MINIXVM_IOC_MAP, &mm,
				"MAP onward");
	mm = mxvm_map_args(fwd, dst + PS, PS, SHARED);
	failed += walk_failures(_metadata, &fi, CTX, MINIXVM_IOC_MAP, &mm,
				"MAP over the middle of a mapping");
	EXPECT_EQ(self->gmaps_before + 3, mxvm_sysfs_long("nr_grant_maps"));
	r.gid = g.out_gid;
	failed += walk_failures(_metadata, &fi, CTX, MINIXVM_IOC_SAFEREVMAP, &r,
				"SAFEREVMAP");
	EXPECT_EQ(3, r.out_count);
	m.offset = 2 * PS;
	m.length = 2 * PS;
	m.dst_addr = (uintptr_t)dst + 2 * PS;
	ASSERT_EQ(0, ioctl(FD, MINIXVM_IOC_SAFEMAP, &m));
	u.addr = m.dst_addr;
	failed += walk_failures(_metadata, &fi, CTX, MINIXVM_IOC_SAFEUNMAP, &u,
				"SAFEUNMAP");
	EXPECT_EQ(1, u.out_count);
	ASSERT_EQ(0, ioctl(FD, MINIXVM_IOC_SAFEMAP, &m));
	/* The copy path: the vector is the one allocation of its own. */
	cv[0] = (struct minixvm_copy_vec){ .endpoint = ME, .gid = g.out_gid,
					   .addr = (uintptr_t)buf,
					   .length = PS };
	cv[1] = cv[0];
	cv[1].flags = MINIXVM_COPY_TO;
	cv[1].offset = PS;
	memset(buf, mxvm_peek(dst + PS), PS);
	failed += walk_failures(_metadata, &fi, CTX, MINIXVM_IOC_VSAFECOPY,
				&vc, "VSAFECOPY");
	EXPECT_EQ(2, vc.out_done);
	/* A copy to a grant takes a bounce buffer first. */
	sc = (struct minixvm_safecopy){ .size = sizeof(sc),
					.flags = MINIXVM_COPY_TO,
					.endpoint = ME, .gid = g.out_gid,
					.offset = PS, .addr = (uintptr_t)buf,
					.length = PS };
	failed += walk_failures(_metadata, &fi, CTX, MINIXVM_IOC_SAFECOPY,
				&sc, "SAFECOPY to");
	rv.gid = g.out_gid;
	failed += walk_failures(_metadata, &fi, CTX, MINIXVM_IOC_REVOKE, &rv,
				"REVOKE");
	EXPECT_EQ(1, rv.out_count);
	fi_stop(&fi);
	EXPECT_LE(12, failed);
	TH_LOG("%u allocation failures injected", failed);
	mxvm_figure("fi.grant_calls", "%u", failed,
		    "injected failures over GRANT, SAFEMAP, MAP, SAFEREVMAP, SAFEUNMAP, (V)SAFECOPY, REVOKE");
}

/* The grantee's own UNMAP ends the mappings through grants it covers. */
TEST_F(grant, unmap_ends_grant_mappings)
{
	char *src = region(_metadata, CTX, 4), *dst = region(_metadata, CTX, 4);
	__u32 gid, count;

	mxvm_fill(src, 4, 0x10);
	ASSERT_EQ(0, mxvm_grant(FD, ME, src, 4 * PS, RWM, &gid));
	ASSERT_EQ(0, mxvm_safemap(FD, ME, gid, 0, dst, 4 * PS, SHARED));
	ASSERT_EQ(0, mxvm_unmap(FD, dst + PS, 2 * PS));
	EXPECT_EQ(self->gmaps_before + 2, mxvm_sysfs_long("nr_grant_maps"));
	mxvm_expect_frames(_metadata, dst + PS, src + PS, 2, false);
	ASSERT_EQ(0, mxvm_saferevmap(FD, gid, &count));
	EXPECT_EQ(2, count);
	mxvm_expect_frames(_metadata, dst, src, 4, false);
	mxvm_expect_fill(_metadata, dst, 4, 0x10);
	EXPECT_EQ(0, mxvm_revoke(FD, gid, NULL));
}

TEST_HARNESS_MAIN
