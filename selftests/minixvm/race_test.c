// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm selftests: races.  Each test loops two operations against each
 * other, from different processes and threads, for a bounded time, and
 * then checks that the kernel said nothing (run.sh scans the console),
 * that every counter of /sys/class/misc/minixvm is back where it was, and,
 * where the semantics allow, that the data seen was right:
 *
 *  revoke_vs_fault_*      a grantor revokes and re-grants while the
 *                         grantee's threads fault the mapped pages in;
 *                         no tag the grantor writes after a revoke may
 *                         reach the grantee
 *  grantor_exit_vs_use    the grantor exits while the grantee maps,
 *                         faults and copies
 *  grantee_exit_vs_revoke the grantee exits (or is killed) in the middle
 *                         of SAFEMAP while the grantor revokes
 *  munmap_vs_map          MAP/UNMAP against munmap(), mmap(), mprotect()
 *                         and mremap() of the same ranges
 *  munmap_vs_safemap      the grantee munmaps its destination during
 *                         SAFEMAP and during the grantor's revokes
 *  fork_vs_map            fork() against MAP/UNMAP and writes
 *  safecopy_vs_exit       SAFECOPY/VSAFECOPY against the grantor's exit
 *                         and the munmap() of the grantee's own buffer
 *  unload_while_in_use    delete_module() while files, mappings,
 *                         endpoints and grants exist, and while calls run
 *
 * The time each race runs is MXVM_RACE_SECS seconds from the environment,
 * else 3 on a stock kernel and 12 on a debug kernel (one with kmemleak).
 * Every race reports how many rounds it ran with mxvm_figure().
 */
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
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
#define RW		(PROT_READ | PROT_WRITE)

#define CTX		(&self->c)
#define FD		(self->c.fd)
#define ME		(self->me)

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define ADD(x, v)	__atomic_add_fetch(&(x), (v), __ATOMIC_RELAXED)

static const __u32 modes[] = { SHARED, COW, RO };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool debug_kernel(void)
{
	return access("/sys/kernel/debug/kmemleak", F_OK) == 0;
}

/* How long each race runs, in seconds. */
static unsigned int race_secs(void)
{
	const char *env = getenv("MXVM_RACE_SECS");

	if (env && atoi(env) > 0)
		return atoi(env);
	return debug_kernel() ? 12 : 3;
}

/* How long a counter may take to come back (SRCU, exit of a peer). */
static double settle_secs(void)
{
	return debug_kernel() ? 60 : 10;
}

/* A small pseudo-random number, for delays. */
static unsigned int rnd(void)
{
	static __thread unsigned int seed;

	if (!seed)
		seed = getpid() ^ (unsigned int)(now() * 1e6);
	seed = seed * 1103515245 + 12345;
	return seed >> 8;
}

/* A random delay of up to @max us, longer on the (slower) debug kernel. */
static unsigned int delay_us(unsigned int max)
{
	return rnd() % (max * (debug_kernel() ? 5 : 1));
}

/* Wait (briefly) until the racing threads have made a first call. */
static void threads_started(const unsigned long *calls, unsigned long n)
{
	double end = now() + 2;

	while (LOAD(*calls) < n && now() < end)
		usleep(100);
}

/*
 * The start of every child process: it dies with its parent and never
 * outlives the test by much, even if the test's own alarm did not fire.
 */
static void child_init(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(race_secs() * 10 + 120);
}

/* The rounds of every race, summed over the tests for the last figure. */
static unsigned long *total_rounds;
static pid_t main_pid;
static double started;

static void __attribute__((constructor)) total_init(void)
{
	total_rounds = mmap(NULL, PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (total_rounds == MAP_FAILED)
		total_rounds = NULL;
	main_pid = getpid();
	started = now();
}

static void __attribute__((destructor)) total_print(void)
{
	if (getpid() != main_pid)
		return;
	if (total_rounds && *total_rounds)
		mxvm_figure("race.total", "%lu", *total_rounds,
			    "race rounds over all races");
	mxvm_figure("race.seconds", "%.0f", now() - started,
		    "seconds race_test ran");
}

static void report(const char *key, unsigned long n, const char *what)
{
	mxvm_figure(key, "%lu", n, what);
	if (total_rounds)
		ADD(*total_rounds, n);
}

/* The module's counters. */
static const char *const counter_name[] = {
	"nr_pages", "nr_objects", "nr_grants", "nr_grant_maps", "nr_endpoints",
};

#define NR_COUNTERS	ARRAY_SIZE(counter_name)

struct counts {
	long v[NR_COUNTERS];
};

static void read_counts(struct counts *c)
{
	for (unsigned int i = 0; i < NR_COUNTERS; i++)
		c->v[i] = mxvm_sysfs_long(counter_name[i]);
}

/*
 * Where counter_name[] has them; from nr_grants on, the grant counters
 * (a test checks those while it still holds regions).
 */
enum { C_PAGES, C_OBJECTS, C_GRANTS, C_GRANT_MAPS, C_ENDPOINTS };
#define FIRST_GRANT_COUNTER	C_GRANTS

/*
 * Wait until the counters from @first on are back at @want (an exited
 * process's endpoint goes after an SRCU grace period); *@got is what they
 * were last.
 */
static bool counts_settle(const struct counts *want, struct counts *got,
			  unsigned int first)
{
	double end = now() + settle_secs();

	for (;;) {
		read_counts(got);
		if (!memcmp(&want->v[first], &got->v[first],
			    (NR_COUNTERS - first) * sizeof(got->v[0])))
			return true;
		if (now() > end)
			return false;
		usleep(10000);
	}
}

static void expect_counts(struct __test_metadata *_metadata,
			  const struct counts *want, unsigned int first,
			  const char *what)
{
	struct counts got;

	if (counts_settle(want, &got, first))
		return;
	for (unsigned int i = first; i < NR_COUNTERS; i++) {
		EXPECT_EQ(want->v[i], got.v[i])
			TH_LOG("%s: %s not back", what, counter_name[i]);
	}
}

/* Wait for the endpoints an earlier test left behind to go. */
static void endpoints_drain(void)
{
	double end = now() + settle_secs();

	while (mxvm_sysfs_long("nr_endpoints") > 0 && now() < end)
		usleep(10000);
}

/*
 * What a child reports through shared memory, for children that may be
 * killed before their exit status could say anything.
 */
struct board {
	int bad_errno;		/* an unexpected errno, or -1 for bad data */
	int bad_line;
	unsigned long calls;
	__u32 gid;		/* the grant a child should use now */
};

#define BOARD_BAD(b, err)						\
	do {								\
		struct board *_b = (b);					\
									\
		if (!__atomic_exchange_n(&_b->bad_line, __LINE__,	\
					 __ATOMIC_RELAXED))		\
			_b->bad_errno = (err);				\
	} while (0)

FIXTURE(race) {
	struct mxvm_ctx c;
	__u32 me;
	struct counts base;
	double end;
	struct board *board;
	pid_t pid[4];		/* other children the teardown reaps */
};

FIXTURE_SETUP(race)
{
	int fd;

	alarm(race_secs() * 10 + 90);
	endpoints_drain();
	/* The endpoint first, so that the baseline counts it. */
	fd = open(MINIXVM_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	self->me = mxvm_endpoint(fd);
	ASSERT_NE(0, self->me) TH_LOG("ENDPOINT: %s", strerror(errno));
	close(fd);
	read_counts(&self->base);
	mxvm_ctx_setup(_metadata, &self->c);
	self->board = mmap(NULL, PS, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->board);
	self->end = now() + race_secs();
}

FIXTURE_TEARDOWN(race)
{
	struct mxvm_ctx *c = &self->c;

	for (unsigned int i = 0; i < ARRAY_SIZE(self->pid); i++) {
		if (self->pid[i] > 0) {
			kill(self->pid[i], SIGKILL);
			waitpid(self->pid[i], NULL, 0);
		}
	}
	mxvm_ctx_release(c);
	expect_counts(_metadata, &self->base, 0, "teardown");
	alarm(0);
}

#define TIME_LEFT()	(now() < self->end)

/* A writable region of @npages mapped whole in the test process. */
static struct mxvm_mapping region(struct __test_metadata *_metadata,
				  struct mxvm_ctx *c, unsigned int npages)
{
	return mxvm_ctx_region(_metadata, c, npages, WRITABLE, false);
}

/* Fork the fixture's child; in the child, @sock[0] becomes its end. */
static pid_t peer_fork(struct __test_metadata *_metadata, struct mxvm_ctx *c,
		       int sock[2])
{
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sock)) {
		EXPECT_TRUE(false) TH_LOG("socketpair: %s", strerror(errno));
		return -1;
	}
	pid = mxvm_ctx_fork(_metadata, c);
	if (pid == 0) {
		close(sock[0]);
		sock[0] = sock[1];
		child_init();
	} else {
		close(sock[1]);
	}
	return pid;
}

static void start_threads(pthread_t *t, unsigned int n,
			  void *(*fn)(void *), void *arg)
{
	for (unsigned int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, arg))
			_exit(93);
}

static void join_threads(pthread_t *t, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/*
 * 1. Revoke against faults.
 *
 * The grantor G (the child) holds RF_PAGES pages whose first 8 bytes are
 * a tag.  Round k: G's pages hold 2k; the grantee R maps them; G writes
 * 2k + 1, revokes (by id, by address, or REVOKE and a new grant), writes
 * 2k + 2 and answers.  R's threads read the tags and write elsewhere in
 * the pages all the while.  From its map of round k until its map of
 * round k + 1, R may see at most 2k + 1 (2k for COW: G's write breaks the
 * sharing and R keeps the old frame); after G's answer it must see exactly
 * 2k + 1 (2k for COW).  One round in four R maps a second time at once,
 * racing G's revoke: that round is not checked.
 */
#define RF_PAGES	8
#define RF_THREADS	2

struct fault_race {
	char *dst;
	__u32 mode;
	int stop;
	unsigned int ntid;
	unsigned long epoch;	/* round << 1 | unchecked */
	unsigned long touches;
	unsigned long stale;
	uint64_t bad_tag;
	unsigned long bad_epoch;
};

static uint64_t tag_of(const char *page)
{
	return __atomic_load_n((const uint64_t *)page, __ATOMIC_RELAXED);
}

static void tag_all(char *buf, uint64_t tag)
{
	for (unsigned int i = 0; i < RF_PAGES; i++)
		__atomic_store_n((uint64_t *)(buf + i * PS), tag,
				 __ATOMIC_RELAXED);
}

static void *fault_toucher(void *arg)
{
	struct fault_race *r = arg;
	unsigned int tid = ADD(r->ntid, 1);
	uint64_t limit, t;
	unsigned long e1, e2;

	while (!LOAD(r->stop)) {
		for (unsigned int i = 0; i < RF_PAGES; i++) {
			char *p = r->dst + i * PS;

			/* A seqlock's reader: a round that changed is moot. */
			e1 = LOAD(r->epoch);
			t = tag_of(p);
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			e2 = __atomic_load_n(&r->epoch, __ATOMIC_RELAXED);
			limit = (e1 >> 1) * 2 + (r->mode == COW ? 0 : 1);
			if (e1 == e2 && !(e1 & 1) && t > limit &&
			    ADD(r->stale, 1) == 1) {
				r->bad_tag = t;
				r->bad_epoch = e1 >> 1;
			}
			if (r->mode != RO)
				mxvm_poke(p + 64 + tid, (unsigned char)t);
		}
		ADD(r->touches, 1);
	}
	return NULL;
}

static void fault_grantor(int sock)
{
	int fd = mxvm_open_or_die();
	char *buf = mxvm_buf(fd, RF_PAGES * PS);
	__u32 grantee = mxvm_recv(sock), gid, count;
	uint64_t k, v;
	int ret;

	CHILD_CHECK(buf);
	CHILD_CHECK(!mxvm_grant(fd, grantee, buf, RF_PAGES * PS, RWM, &gid));
	tag_all(buf, 0);
	mxvm_send(sock, mxvm_endpoint(fd));
	mxvm_send(sock, gid);
	for (k = 0;; k++) {
		v = mxvm_recv(sock);
		if (v == ~0ULL)
			_exit(0);
		CHILD_CHECK(v == k);
		tag_all(buf, 2 * k + 1);
		switch (k % 3) {
		case 0:
			ret = mxvm_saferevmap(fd, gid, &count);
			break;
		case 1:
			ret = mxvm_saferevmap_addr(fd, buf, RF_PAGES * PS,
						   &count);
			break;
		default:
			ret = mxvm_revoke(fd, gid, &count);
			if (!ret)
				ret = mxvm_grant(fd, grantee, buf,
						 RF_PAGES * PS, RWM, &gid);
			break;
		}
		CHILD_CHECK(!ret);
		/*
		 * R's one mapping: the second map of a racing round replaced
		 * the first or came after the revoke.
		 */
		CHILD_CHECK(count == 1);
		tag_all(buf, 2 * k + 2);
		mxvm_send(sock, gid);
	}
}

static void revoke_vs_fault(struct __test_metadata *_metadata,
			    FIXTURE_DATA(race) * self, __u32 mode,
			    const char *key)
{
	struct fault_race r = { .mode = mode };
	uint64_t want_mapped, want_revoked;
	unsigned long k, bad_map = 0, bad_rev = 0, bad_gmaps = 0, racing = 0;
	pthread_t t[RF_THREADS];
	__u32 ep, gid;
	int sock[2], ret;
	bool checked;

	r.dst = region(_metadata, CTX, RF_PAGES).addr;
	if (peer_fork(_metadata, CTX, sock) == 0)
		fault_grantor(sock[0]);
	mxvm_send(sock[0], ME);
	ep = mxvm_recv(sock[0]);
	gid = mxvm_recv(sock[0]);
	start_threads(t, RF_THREADS, fault_toucher, &r);
	for (k = 0; TIME_LEFT() || k < 4; k++) {
		checked = k % 4 != 3;
		STORE(r.epoch, k << 1 | !checked);
		ret = mxvm_safemap(FD, ep, gid, 0, r.dst, RF_PAGES * PS, mode);
		EXPECT_EQ(0, ret) TH_LOG("round %lu: SAFEMAP: %s", k,
					 strerror(errno));
		if (ret)
			break;
		for (unsigned int i = 0; checked && i < RF_PAGES; i++)
			if (tag_of(r.dst + i * PS) != 2 * k && !bad_map++)
				TH_LOG("round %lu page %u: tag %llu after map",
				       k, i, (unsigned long long)
				       tag_of(r.dst + i * PS));
		mxvm_send(sock[0], k);
		if (!checked) {
			/* Races G's revoke; a REVOKE leaves a dead id. */
			errno = 0;
			ret = mxvm_safemap(FD, ep, gid, 0, r.dst,
					   RF_PAGES * PS, mode);
			EXPECT_TRUE(!ret || (k % 3 == 2 && errno == EPERM))
				TH_LOG("round %lu: racing SAFEMAP: %s", k,
				       strerror(errno));
			racing++;
		}
		gid = mxvm_recv(sock[0]);
		EXPECT_NE(~0U, gid) TH_LOG("round %lu: the grantor died", k);
		if (gid == ~0U)
			break;
		/* R's mapping ended with the revoke: no record is left. */
		if (checked && mxvm_sysfs_long("nr_grant_maps") !=
		    self->base.v[C_GRANT_MAPS] && !bad_gmaps++)
			TH_LOG("round %lu: %ld grant mappings after the revoke",
			       k, mxvm_sysfs_long("nr_grant_maps"));
		want_mapped = 2 * k;
		want_revoked = mode == COW ? want_mapped : want_mapped + 1;
		for (unsigned int i = 0; checked && i < RF_PAGES; i++)
			if (tag_of(r.dst + i * PS) != want_revoked &&
			    !bad_rev++)
				TH_LOG("round %lu page %u: tag %llu after revoke, expected %llu",
				       k, i, (unsigned long long)
				       tag_of(r.dst + i * PS),
				       (unsigned long long)want_revoked);
	}
	STORE(r.stop, 1);
	join_threads(t, RF_THREADS);
	close(sock[0]);
	EXPECT_EQ(0, mxvm_ctx_wait(_metadata, CTX));
	EXPECT_EQ(0, bad_map);
	EXPECT_EQ(0, bad_rev);
	EXPECT_EQ(0, bad_gmaps);
	EXPECT_EQ(0, r.stale)
		TH_LOG("%lu stale reads, first: tag %llu in round %lu",
		       r.stale, (unsigned long long)r.bad_tag, r.bad_epoch);
	/* The last snapshot is R's own: it writes. */
	mxvm_poke(r.dst, 1);
	TH_LOG("%lu rounds (%lu racing), %lu passes of %d threads", k, racing,
	       r.touches, RF_THREADS);
	report(key, k, "revoke/re-map rounds against faulting threads");
}

TEST_F_TIMEOUT(race, revoke_vs_fault_shared, 600)
{
	revoke_vs_fault(_metadata, self, SHARED, "race.revoke_fault_shared");
}

TEST_F_TIMEOUT(race, revoke_vs_fault_readonly, 600)
{
	revoke_vs_fault(_metadata, self, RO, "race.revoke_fault_readonly");
}

TEST_F_TIMEOUT(race, revoke_vs_fault_cow, 600)
{
	revoke_vs_fault(_metadata, self, COW, "race.revoke_fault_cow");
}

/*
 * 2. Revoke against the exit of either side.
 */
#define EX_PAGES	8

struct use_race {
	int fd;
	__u32 ep;
	__u32 gid;
	char *dst;
	char *cbuf;
	unsigned int done;	/* threads that saw ESRCH */
	int stop;
	unsigned long calls;
	unsigned long esrch, eperm, efault;
	int bad_errno;
	const char *bad_what;
};

static bool use_err(struct use_race *u, const char *what, bool efault_ok)
{
	int err = errno;

	if (err == ESRCH) {
		ADD(u->esrch, 1);
		return true;
	}
	if (err == EPERM)
		ADD(u->eperm, 1);
	else if (err == EFAULT && efault_ok)
		ADD(u->efault, 1);
	else if (!__atomic_exchange_n(&u->bad_errno, err ? err : -1,
				      __ATOMIC_RELAXED))
		u->bad_what = what;
	return false;
}

static void *use_mapper(void *arg)
{
	struct use_race *u = arg;
	unsigned int n = 0;
	__u32 mode;

	while (!LOAD(u->stop)) {
		mode = modes[n++ % 3];
		ADD(u->calls, 1);
		if (mxvm_safemap(u->fd, u->ep, u->gid, 0, u->dst,
				 EX_PAGES * PS, mode)) {
			if (use_err(u, "SAFEMAP", false))
				break;
			continue;
		}
		for (unsigned int i = 0; i < EX_PAGES; i++) {
			mxvm_peek(u->dst + i * PS);
			if (mode != RO)
				mxvm_poke(u->dst + i * PS + 1, n);
		}
		if (n % 2 && mxvm_safeunmap(u->fd, u->dst, NULL) &&
		    !__atomic_exchange_n(&u->bad_errno, errno,
					 __ATOMIC_RELAXED))
			u->bad_what = "SAFEUNMAP";
	}
	ADD(u->done, 1);
	return NULL;
}

static void *use_copier(void *arg)
{
	struct use_race *u = arg;
	struct minixvm_copy_vec vec[4] = {};
	struct minixvm_vsafecopy v = { .size = sizeof(v), .count = 4,
				       .vec = (uintptr_t)vec };
	unsigned int n = 0;
	int ret;

	for (unsigned int i = 0; i < 4; i++) {
		vec[i].flags = i % 2 ? MINIXVM_COPY_TO : 0;
		vec[i].offset = i * PS + 100;
		vec[i].addr = (uintptr_t)u->cbuf + i * PS;
		vec[i].length = PS;
	}
	while (!LOAD(u->stop)) {
		ADD(u->calls, 1);
		switch (n++ % 3) {
		case 0:
			ret = mxvm_safecopy_from(u->fd, u->ep, u->gid, 10,
						 u->cbuf, 3 * PS);
			break;
		case 1:
			ret = mxvm_safecopy_to(u->fd, u->ep, u->gid, 4 * PS,
					       u->cbuf, 2 * PS + 7);
			break;
		default:
			for (unsigned int i = 0; i < 4; i++) {
				vec[i].endpoint = u->ep;
				vec[i].gid = u->gid;
			}
			ret = ioctl(u->fd, MINIXVM_IOC_VSAFECOPY, &v);
			if (v.out_done > 4)
				use_err(u, "VSAFECOPY out_done", false);
			break;
		}
		if (ret && use_err(u, "SAFECOPY", true))
			break;
	}
	ADD(u->done, 1);
	return NULL;
}

/*
 * The grantor of the exit races: grants EX_PAGES to @grantee, revokes in
 * a loop from a thread while its main thread writes, then exits (or is
 * killed) while the thread is inside SAFEREVMAP.
 */
struct exiter {
	int fd;
	__u32 gid;
	char *buf;
};

static void *exiter_revoker(void *arg)
{
	struct exiter *x = arg;
	__u32 count;

	for (unsigned int n = 0;; n++) {
		if (n % 2)
			CHILD_CHECK(!mxvm_saferevmap(x->fd, x->gid, &count));
		else
			CHILD_CHECK(!mxvm_saferevmap_addr(x->fd, x->buf,
							  PS, &count));
	}
	return NULL;
}

static void exiting_grantor(int sock, unsigned int round)
{
	struct exiter x = { .fd = mxvm_open_or_die() };
	__u32 grantee = mxvm_recv(sock);
	pthread_t t;
	double end;

	x.buf = mxvm_buf(x.fd, EX_PAGES * PS);
	CHILD_CHECK(x.buf);
	mxvm_fill(x.buf, EX_PAGES, 0x40);
	CHILD_CHECK(!mxvm_grant(x.fd, grantee, x.buf, EX_PAGES * PS, RWM,
				&x.gid));
	if (round % 2)
		start_threads(&t, 1, exiter_revoker, &x);
	mxvm_send(sock, mxvm_endpoint(x.fd));
	mxvm_send(sock, x.gid);
	/* The grantee's threads run: a while, then go. */
	mxvm_recv(sock);
	end = now() + delay_us(4000) / 1e6;
	/* Odd rounds: exit_group() with the revoker inside SAFEREVMAP. */
	while (now() < end)
		mxvm_poke(x.buf + (rnd() % EX_PAGES) * PS, rnd());
	_exit(0);
}

TEST_F_TIMEOUT(race, grantor_exit_vs_use, 600)
{
	struct mxvm_mapping dst = region(_metadata, CTX, EX_PAGES);
	char *cbuf = mxvm_ctx_anon(_metadata, CTX, 4 * PS);
	unsigned long round, calls = 0, esrch = 0, eperm = 0, efault = 0;
	pthread_t t[2];
	int sock[2], st;
	pid_t pid;

	for (round = 0; TIME_LEFT() || round < 4; round++) {
		struct use_race u = { .fd = FD, .dst = dst.addr, .cbuf = cbuf };
		double end;

		pid = peer_fork(_metadata, CTX, sock);
		if (pid == 0)
			exiting_grantor(sock[0], round);
		mxvm_send(sock[0], ME);
		u.ep = mxvm_recv(sock[0]);
		u.gid = mxvm_recv(sock[0]);
		start_threads(&t[0], 1, use_mapper, &u);
		start_threads(&t[1], 1, use_copier, &u);
		threads_started(&u.calls, 2);
		mxvm_send(sock[0], 1);
		close(sock[0]);
		if (round % 4 == 2) {
			usleep(delay_us(3000));
			kill(pid, SIGKILL);
		}
		st = mxvm_ctx_wait(_metadata, CTX);
		EXPECT_TRUE(st == 0 || (round % 4 == 2 && st == 128 + SIGKILL))
			TH_LOG("round %lu: the grantor's status %d", round, st);
		/* The grantor is gone: every thread must meet ESRCH soon. */
		end = now() + settle_secs();
		while (LOAD(u.done) < 2 && now() < end)
			usleep(1000);
		EXPECT_EQ(2, LOAD(u.done))
			TH_LOG("round %lu: calls still succeed after the grantor's exit",
			       round);
		STORE(u.stop, 1);
		join_threads(t, 2);
		EXPECT_EQ(0, u.bad_errno)
			TH_LOG("round %lu: %s: %s", round, u.bad_what,
			       strerror(u.bad_errno));
		/* Whatever was mapped last is this process's own now. */
		mxvm_poke(dst.addr, 1);
		mxvm_poke(dst.addr + (EX_PAGES - 1) * PS, 1);
		calls += u.calls;
		esrch += u.esrch;
		eperm += u.eperm;
		efault += u.efault;
		if (u.bad_errno)
			break;
	}
	expect_counts(_metadata, &self->base, FIRST_GRANT_COUNTER,
		      "after the rounds");
	TH_LOG("%lu rounds, %lu calls: %lu ESRCH, %lu EPERM, %lu EFAULT",
	       round, calls, esrch, eperm, efault);
	report("race.grantor_exit", round,
	       "grantor exits against grantee map/fault/copy threads");
}

/*
 * The grantee of grantee_exit_vs_revoke: threads map and copy through
 * two grants of the test process (one only ever SAFEREVMAP-ed, one
 * REVOKE-d and made anew, its current id on the board) until the grantee
 * exits or is killed, in the middle of its calls.
 */
struct grantee_arg {
	int fd;
	__u32 ep;
	__u32 gid_a;
	struct board *b;
	char *dst;
	char *cbuf;
};

static void *grantee_mapper(void *arg)
{
	struct grantee_arg *g = arg;
	__u32 gid, mode;

	for (unsigned int n = 0;; n++) {
		bool b = n % 2;

		gid = b ? LOAD(g->b->gid) : g->gid_a;
		mode = modes[n / 2 % 3];
		if (mxvm_safemap(g->fd, g->ep, gid, 0, g->dst, EX_PAGES * PS,
				 mode)) {
			if (!b || errno != EPERM)
				BOARD_BAD(g->b, errno);
			continue;
		}
		ADD(g->b->calls, 1);
		for (unsigned int i = 0; i < EX_PAGES; i++) {
			mxvm_peek(g->dst + i * PS);
			if (mode != RO)
				mxvm_poke(g->dst + i * PS + 2, n);
		}
		if (n % 5 == 0 && mxvm_safeunmap(g->fd, g->dst, NULL))
			BOARD_BAD(g->b, errno);
	}
	return NULL;
}

static void *grantee_copier(void *arg)
{
	struct grantee_arg *g = arg;
	__u32 gid;
	int ret;

	for (unsigned int n = 0;; n++) {
		bool b = n % 2;

		gid = b ? LOAD(g->b->gid) : g->gid_a;
		if (n % 4 < 2)
			ret = mxvm_safecopy_from(g->fd, g->ep, gid, 5,
						 g->cbuf, 2 * PS);
		else
			ret = mxvm_safecopy_to(g->fd, g->ep, gid, 3 * PS,
					       g->cbuf, PS);
		if (ret && (!b || errno != EPERM))
			BOARD_BAD(g->b, errno);
	}
	return NULL;
}

static void exiting_grantee(struct board *b, __u32 ep, __u32 gid_a,
			    unsigned int round)
{
	struct grantee_arg g = { .fd = mxvm_open_or_die(), .ep = ep,
				 .gid_a = gid_a, .b = b };
	pthread_t t[2];

	g.dst = mxvm_buf(g.fd, EX_PAGES * PS);
	g.cbuf = malloc(2 * PS);
	CHILD_CHECK(g.dst && g.cbuf);
	start_threads(&t[0], 1, grantee_mapper, &g);
	start_threads(&t[1], 1, grantee_copier, &g);
	usleep(delay_us(20000));
	/* Odd rounds are killed by the grantor; even ones exit here. */
	if (round % 2)
		pause();
	_exit(0);
}

struct revoker_arg {
	int fd;
	__u32 me;
	__u32 gid_a;
	char *src;
	struct board *b;
	int stop;
	unsigned long revokes;
	int bad_errno;
	const char *bad_what;
};

static void *grantor_revoker(void *arg)
{
	struct revoker_arg *r = arg;
	const char *what = NULL;
	__u32 gid, count;
	int ret;

	for (unsigned int n = 0; !LOAD(r->stop); n++) {
		switch (n % 3) {
		case 0:
			what = "SAFEREVMAP";
			ret = mxvm_saferevmap(r->fd, r->gid_a, &count);
			break;
		case 1:
			what = "SAFEREVMAP by address";
			ret = mxvm_saferevmap_addr(r->fd, r->src, EX_PAGES * PS,
						   &count);
			break;
		default:
			what = "REVOKE";
			ret = mxvm_revoke(r->fd, LOAD(r->b->gid), &count);
			if (ret)
				break;
			what = "GRANT";
			ret = mxvm_grant(r->fd, ANY, r->src, EX_PAGES * PS, RWM,
					 &gid);
			if (!ret)
				STORE(r->b->gid, gid);
			break;
		}
		if (ret) {
			r->bad_errno = errno;
			r->bad_what = what;
			break;
		}
		ADD(r->revokes, 1);
		mxvm_poke(r->src + (n % EX_PAGES) * PS, n);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, grantee_exit_vs_revoke, 600)
{
	struct revoker_arg r = { .fd = FD, .me = ME, .b = self->board };
	unsigned long round;
	pthread_t t;
	__u32 gid;
	pid_t pid;
	int st;

	r.src = region(_metadata, CTX, EX_PAGES).addr;
	mxvm_fill(r.src, EX_PAGES, 0x40);
	ASSERT_EQ(0, mxvm_grant(FD, ANY, r.src, EX_PAGES * PS, RWM,
				&r.gid_a));
	ASSERT_EQ(0, mxvm_grant(FD, ANY, r.src, EX_PAGES * PS, RWM, &gid));
	self->board->gid = gid;
	start_threads(&t, 1, grantor_revoker, &r);
	for (round = 0; TIME_LEFT() || round < 4; round++) {
		pid = mxvm_ctx_fork(_metadata, CTX);
		if (pid == 0) {
			child_init();
			exiting_grantee(self->board, ME, r.gid_a, round);
		}
		if (round % 2) {
			usleep(delay_us(20000));
			kill(pid, SIGKILL);
		}
		st = mxvm_ctx_wait(_metadata, CTX);
		EXPECT_EQ(round % 2 ? 128 + SIGKILL : 0, st)
			TH_LOG("round %lu", round);
		if (self->board->bad_line || r.bad_errno || st == 1)
			break;
	}
	STORE(r.stop, 1);
	join_threads(&t, 1);
	EXPECT_EQ(0, r.bad_errno)
		TH_LOG("grantor's %s: %s", r.bad_what, strerror(r.bad_errno));
	EXPECT_EQ(0, self->board->bad_line)
		TH_LOG("grantee, line %d: errno %d (%s)", self->board->bad_line,
		       self->board->bad_errno, strerror(self->board->bad_errno));
	EXPECT_EQ(0, mxvm_revoke(FD, r.gid_a, NULL));
	EXPECT_EQ(0, mxvm_revoke(FD, self->board->gid, NULL));
	expect_counts(_metadata, &self->base, FIRST_GRANT_COUNTER,
		      "after the rounds");
	TH_LOG("%lu grantee exits, %lu revokes, %lu grantee maps", round,
	       r.revokes, self->board->calls);
	report("race.grantee_exit", round,
	       "grantee exits (in SAFEMAP) against the grantor's revokes");
}

/*
 * 3. munmap() and friends against MAP/UNMAP in one process.  S and D are
 * regions of MM_PAGES at fixed places in a reservation; one thread maps
 * S over D and unmaps, the other takes parts of S and D away and puts
 * them back.  MAP and UNMAP must succeed or find a range not wholly
 * mapped (EFAULT); the mm calls must succeed.
 */
#define MM_PAGES	8

struct mm_race {
	int fd;
	char *s, *d, *scratch;
	__u64 s_off, d_off;
	unsigned int pause_us;	/* between two mm changes */
	int stop;
	unsigned long seq;	/* odd while an mm change is under way */
	unsigned long maps, efault, mmops;
	unsigned long spurious;	/* EFAULT while nothing changed */
	int bad_errno;
	const char *bad_what;
	int bad_line;
};

#define MM_BAD(m, what)							\
	do {								\
		struct mm_race *_m = (m);				\
									\
		if (!__atomic_exchange_n(&_m->bad_line, __LINE__,	\
					 __ATOMIC_RELAXED)) {		\
			_m->bad_errno = errno;				\
			_m->bad_what = what;				\
		}							\
	} while (0)

/*
 * A call's result: EFAULT only if an mm change overlapped the call (the
 * ranges are wholly mapped between two changes), no other error.
 */
static void mm_result(struct mm_race *m, int ret, unsigned long seq,
		      const char *what)
{
	if (!ret)
		return;
	if (errno != EFAULT) {
		MM_BAD(m, what);
		return;
	}
	ADD(m->efault, 1);
	if (!(seq & 1) && LOAD(m->seq) == seq)
		ADD(m->spurious, 1);
}

static void *mm_mapper(void *arg)
{
	struct mm_race *m = arg;
	unsigned int n = 0, a, b, len;
	unsigned long seq;
	int ret;

	while (!LOAD(m->stop)) {
		n++;
		a = n % 4;
		b = (n / 4) % 4;
		len = (MM_PAGES - (a > b ? a : b)) * PS;
		seq = LOAD(m->seq);
		ret = mxvm_map(m->fd, m->s + a * PS, m->d + b * PS, len,
			       modes[n % 3]);
		mm_result(m, ret, seq, "MAP");
		seq = LOAD(m->seq);
		ret = mxvm_unmap(m->fd, m->d + (n % 3) * PS, 3 * PS);
		mm_result(m, ret, seq, "UNMAP");
		ADD(m->maps, 2);
	}
	return NULL;
}

/* Put @pages of region @off back at @at, as they were. */
static bool mm_put_back(struct mm_race *m, char *at, __u64 off,
			unsigned int pages)
{
	return mmap(at, pages * PS, RW, MAP_SHARED | MAP_FIXED, m->fd,
		    (off_t)off) == at;
}

static void *mm_changer(void *arg)
{
	struct mm_race *m = arg;
	unsigned int n = 0, i;
	char *base, *p;
	__u64 off;

	while (!LOAD(m->stop)) {
		n++;
		i = n % (MM_PAGES - 2);
		base = n % 5 == 1 ? m->s : m->d;
		off = base == m->s ? m->s_off : m->d_off;
		p = base + i * PS;
		ADD(m->seq, 1);
		switch (n % 5) {
		case 0:
		case 1:		/* munmap() and mmap() back */
			if (munmap(p, 2 * PS) ||
			    !mm_put_back(m, p, off + i * PS, 2))
				MM_BAD(m, "munmap/mmap");
			break;
		case 2:		/* mprotect() read-only and back */
			if (mprotect(p, 3 * PS, PROT_READ) ||
			    mprotect(p, 3 * PS, RW))
				MM_BAD(m, "mprotect");
			break;
		case 3:		/* mremap() a page away and back */
			if (mremap(p, PS, PS, MREMAP_MAYMOVE | MREMAP_FIXED,
				   m->scratch) != m->scratch ||
			    mremap(m->scratch, PS, PS,
				   MREMAP_MAYMOVE | MREMAP_FIXED, p) != p)
				MM_BAD(m, "mremap move");
			break;
		default:
			/*
			 * A fresh mapping of two pages (VMAs of the region do
			 * not merge), mremap()-ed to one, the other put back.
			 */
			if (!mm_put_back(m, p, off + i * PS, 2) ||
			    mremap(p, 2 * PS, PS, 0) != p ||
			    !mm_put_back(m, p + PS, off + (i + 1) * PS, 1))
				MM_BAD(m, "mremap shrink");
			break;
		}
		ADD(m->seq, 1);
		ADD(m->mmops, 1);
		if (m->pause_us)
			usleep(m->pause_us);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, munmap_vs_map, 600)
{
	struct mm_race m = { .fd = FD };
	char *res = mxvm_ctx_anon(_metadata, CTX, 4 * MM_PAGES * PS);
	unsigned long rounds = 0;
	pthread_t t[2];

	ASSERT_EQ(0, mxvm_region(FD, MM_PAGES * PS, WRITABLE, NULL,
				 &m.s_off));
	ASSERT_EQ(0, mxvm_region(FD, MM_PAGES * PS, WRITABLE, NULL,
				 &m.d_off));
	m.s = res;
	m.d = res + 2 * MM_PAGES * PS;
	m.scratch = res + 3 * MM_PAGES * PS;
	ASSERT_TRUE(mm_put_back(&m, m.s, m.s_off, MM_PAGES));
	ASSERT_TRUE(mm_put_back(&m, m.d, m.d_off, MM_PAGES));
	mxvm_fill(m.s, MM_PAGES, 0x60);
	start_threads(&t[0], 1, mm_mapper, &m);
	start_threads(&t[1], 1, mm_changer, &m);
	while (TIME_LEFT() && !LOAD(m.bad_line))
		usleep(10000);
	STORE(m.stop, 1);
	join_threads(t, 2);
	EXPECT_EQ(0, m.bad_line)
		TH_LOG("line %d: %s: %s", m.bad_line, m.bad_what,
		       strerror(m.bad_errno));
	/* Everything is where it was: the engine still works on it. */
	mxvm_fill(m.s, MM_PAGES, 0x70);
	ASSERT_EQ(0, mxvm_map(FD, m.s, m.d, MM_PAGES * PS, SHARED));
	mxvm_expect_fill(_metadata, m.d, MM_PAGES, 0x70);
	mxvm_fill(m.s, MM_PAGES, 0x10);
	mxvm_expect_fill(_metadata, m.d, MM_PAGES, 0x10);
	mxvm_expect_frames(_metadata, m.s, m.d, MM_PAGES, true);
	ASSERT_EQ(0, mxvm_unmap(FD, m.d, MM_PAGES * PS));
	mxvm_fill(m.s, MM_PAGES, 0x20);
	mxvm_expect_fill(_metadata, m.d, MM_PAGES, 0x10);
	/*
	 * A destination wholly mapped, part of it read-only by mprotect(),
	 * is no error the uAPI lists: EFAULT above must have meant a hole.
	 */
	ASSERT_EQ(0, mprotect(m.d + PS, 2 * PS, PROT_READ));
	for (unsigned int i = 0; i < 3; i++) {
		EXPECT_EQ(0, mxvm_map(FD, m.s, m.d, MM_PAGES * PS, modes[i]))
			TH_LOG("MAP %u over a partly read-only destination: %s",
			       modes[i], strerror(errno));
	}
	EXPECT_EQ(0, mxvm_unmap(FD, m.d, MM_PAGES * PS))
		TH_LOG("UNMAP of a partly read-only range: %s",
		       strerror(errno));
	mxvm_expect_fill(_metadata, m.d, MM_PAGES, 0x20);
	rounds = m.mmops;
	EXPECT_EQ(0, m.spurious)
		TH_LOG("%lu of %lu EFAULT with no mm change during the call",
		       m.spurious, m.efault);
	TH_LOG("%lu MAP/UNMAP (%lu EFAULT, %lu with no mm change) against %lu mm changes",
	       m.maps, m.efault, m.spurious, m.mmops);
	report("race.munmap_map", rounds,
	       "munmap/mmap/mprotect/mremap against MAP/UNMAP");
}

/*
 * The grantee munmaps its destination while it SAFEMAPs over it and while
 * the grantor revokes: SAFEMAP succeeds or finds its range not wholly
 * mapped (EFAULT); SAFEUNMAP succeeds (finding nothing is no error);
 * the grantor's revokes always succeed.
 */
static void revoking_grantor(int sock)
{
	int fd = mxvm_open_or_die();
	char *buf = mxvm_buf(fd, MM_PAGES * PS);
	__u32 grantee = mxvm_recv(sock), gid, count;
	unsigned long n;
	uint64_t v;

	CHILD_CHECK(buf);
	CHILD_CHECK(!mxvm_grant(fd, grantee, buf, MM_PAGES * PS, RWM, &gid));
	mxvm_send(sock, mxvm_endpoint(fd));
	mxvm_send(sock, gid);
	for (n = 0;; n++) {
		if (recv(sock, &v, sizeof(v), MSG_DONTWAIT) != -1 ||
		    errno != EAGAIN)
			break;
		if (n % 2)
			CHILD_CHECK(!mxvm_saferevmap(fd, gid, &count));
		else
			CHILD_CHECK(!mxvm_saferevmap_addr(fd, buf + PS,
							  2 * PS, &count));
		mxvm_poke(buf + (n % MM_PAGES) * PS, n);
	}
	mxvm_send(sock, n);
	_exit(0);
}

struct smap_race {
	struct mm_race m;
	__u32 ep, gid;
};

static void *smap_mapper(void *arg)
{
	struct smap_race *s = arg;
	struct mm_race *m = &s->m;
	unsigned int n = 0;
	unsigned long seq;
	int ret;

	while (!LOAD(m->stop)) {
		n++;
		seq = LOAD(m->seq);
		ret = mxvm_safemap(m->fd, s->ep, s->gid, 0, m->d,
				   MM_PAGES * PS, modes[n % 3]);
		mm_result(m, ret, seq, "SAFEMAP");
		if (n % 3 == 0 && mxvm_safeunmap(m->fd, m->d, NULL))
			MM_BAD(m, "SAFEUNMAP");
		ADD(m->maps, 1);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, munmap_vs_safemap, 600)
{
	/* A pause, or SAFEMAP nearly always meets a hole. */
	struct smap_race s = { .m.fd = FD, .m.pause_us = 100 };
	struct mm_race *m = &s.m;
	char *res = mxvm_ctx_anon(_metadata, CTX, 4 * MM_PAGES * PS);
	pthread_t t[2];
	int sock[2];
	uint64_t revokes;

	ASSERT_EQ(0, mxvm_region(FD, MM_PAGES * PS, WRITABLE, NULL,
				 &m->d_off));
	/* The changer also works on S; here S is just a second region. */
	ASSERT_EQ(0, mxvm_region(FD, MM_PAGES * PS, WRITABLE, NULL,
				 &m->s_off));
	m->s = res;
	m->d = res + 2 * MM_PAGES * PS;
	m->scratch = res + 3 * MM_PAGES * PS;
	ASSERT_TRUE(mm_put_back(m, m->s, m->s_off, MM_PAGES));
	ASSERT_TRUE(mm_put_back(m, m->d, m->d_off, MM_PAGES));
	if (peer_fork(_metadata, CTX, sock) == 0)
		revoking_grantor(sock[0]);
	mxvm_send(sock[0], ME);
	s.ep = mxvm_recv(sock[0]);
	s.gid = mxvm_recv(sock[0]);
	start_threads(&t[0], 1, smap_mapper, &s);
	start_threads(&t[1], 1, mm_changer, m);
	while (TIME_LEFT() && !LOAD(m->bad_line))
		usleep(10000);
	STORE(m->stop, 1);
	join_threads(t, 2);
	/* D, in pieces now, is wholly mapped again: SAFEMAP succeeds. */
	for (unsigned int i = 0; i < 3; i++) {
		EXPECT_EQ(0, mxvm_safemap(FD, s.ep, s.gid, 0, m->d,
					  MM_PAGES * PS, modes[i]))
			TH_LOG("SAFEMAP %u over the restored destination: %s",
			       modes[i], strerror(errno));
	}
	mxvm_send(sock[0], 0);
	revokes = mxvm_recv(sock[0]);
	close(sock[0]);
	EXPECT_EQ(0, mxvm_ctx_wait(_metadata, CTX));
	EXPECT_EQ(0, m->bad_line)
		TH_LOG("line %d: %s: %s", m->bad_line, m->bad_what,
		       strerror(m->bad_errno));
	/* The grantor is gone: D is this process's own. */
	mxvm_fill(m->d, MM_PAGES, 0x33);
	mxvm_expect_fill(_metadata, m->d, MM_PAGES, 0x33);
	EXPECT_EQ(0, m->spurious)
		TH_LOG("%lu of %lu EFAULT with no mm change during the call",
		       m->spurious, m->efault);
	TH_LOG("%lu SAFEMAP (%lu EFAULT, %lu with no mm change), %lu mm changes, %llu revokes",
	       m->maps, m->efault, m->spurious, m->mmops,
	       (unsigned long long)revokes);
	report("race.munmap_safemap", m->maps,
	       "SAFEMAP/SAFEUNMAP against munmap and the grantor's revokes");
}

/*
 * 4. fork() against MAP/UNMAP.  One thread maps A over B (in turn SHARED,
 * COW, READONLY), writes both and unmaps; the main thread fills C (which
 * the other thread never touches) with a new generation and forks.  The
 * child's C must be that generation throughout; its A and B must be
 * readable and writable, and separate (a child never keeps sharing); its
 * own MAP works; its writes never reach the parent.
 */
#define FK_PAGES	8

struct fork_race {
	int fd;
	char *a, *b;
	int stop;
	unsigned long maps;
	int bad_errno;
	const char *bad_what;
};

static void *fork_mapper(void *arg)
{
	struct fork_race *f = arg;
	unsigned int n = 0, j;

	while (!LOAD(f->stop)) {
		n++;
		j = n % FK_PAGES;
		if (mxvm_map(f->fd, f->a, f->b, FK_PAGES * PS, modes[n % 3])) {
			f->bad_errno = errno;
			f->bad_what = "MAP";
			break;
		}
		memset(f->a + j * PS, n & 0x7f, PS);
		if (modes[n % 3] != RO)
			memset(f->b + ((j + 3) % FK_PAGES) * PS, n & 0x7f, PS);
		if (mxvm_unmap(f->fd, f->b, FK_PAGES * PS)) {
			f->bad_errno = errno;
			f->bad_what = "UNMAP";
			break;
		}
		memset(f->b + j * PS, n & 0x7f, PS);
		ADD(f->maps, 1);
	}
	return NULL;
}

static int fork_child(struct fork_race *f, char *c, unsigned char gen)
{
	for (unsigned int i = 0; i < FK_PAGES; i++)
		if (!mxvm_page_is(c + i * PS, (unsigned char)(gen + i)))
			return 10 + i;
	/* No byte the parent writes is 0xff: A and B are apart here. */
	for (unsigned int i = 0; i < FK_PAGES; i++)
		mxvm_poke(f->a + i * PS, 0xff);
	for (unsigned int i = 0; i < FK_PAGES; i++)
		if (mxvm_peek(f->b + i * PS) == 0xff)
			return 20 + i;
	if (mxvm_map(f->fd, f->a, f->b, FK_PAGES * PS, COW))
		return 30;
	if (memcmp(f->a, f->b, FK_PAGES * PS))
		return 31;
	mxvm_fill(c, FK_PAGES, 0xe0);
	mxvm_fill(f->b, FK_PAGES, 0xe8);
	if (mxvm_peek(f->a) != 0xff)
		return 32;
	return 0;
}

TEST_F_TIMEOUT(race, fork_vs_map, 600)
{
	struct fork_race f = { .fd = FD };
	char *c = region(_metadata, CTX, FK_PAGES).addr;
	unsigned long forks;
	unsigned char gen = 0;
	pthread_t t;
	pid_t pid;

	f.a = region(_metadata, CTX, FK_PAGES).addr;
	f.b = region(_metadata, CTX, FK_PAGES).addr;
	mxvm_fill(f.a, FK_PAGES, 0);
	start_threads(&t, 1, fork_mapper, &f);
	for (forks = 0; (TIME_LEFT() || forks < 4) && !f.bad_what; forks++) {
		gen = (gen + FK_PAGES) % 0xc0;
		mxvm_fill(c, FK_PAGES, gen);
		pid = mxvm_ctx_fork(_metadata, CTX);
		if (pid == 0)
			_exit(fork_child(&f, c, gen));
		EXPECT_EQ(0, mxvm_ctx_wait(_metadata, CTX))
			TH_LOG("fork %lu (see fork_child())", forks);
		mxvm_expect_fill(_metadata, c, FK_PAGES, gen);
		if (_metadata->passed == 0)
			break;
	}
	STORE(f.stop, 1);
	join_threads(&t, 1);
	EXPECT_EQ(NULL, f.bad_what) TH_LOG("%s: %s", f.bad_what,
					   strerror(f.bad_errno));
	TH_LOG("%lu forks against %lu MAP/UNMAP cycles", forks, f.maps);
	report("race.fork_map", forks, "forks against MAP/UNMAP and writes");
}

/*
 * 5. SAFECOPY and VSAFECOPY against the grantor's exit, and against the
 * munmap() of the grantee's own buffer.  Copies succeed (and then bring
 * the grantor's data), or fail with ESRCH (grantor gone), EPERM (its
 * grant gone) or EFAULT (a range not wholly mapped).
 */
#define SC_PAGES	8

struct copy_race {
	int fd;
	__u32 ep, gid;
	char *stable;		/* never unmapped: its data is checked */
	char *shaky;		/* munmapped and mapped back all the while */
	unsigned int done;
	int stop, stop_all;
	unsigned long calls, checked, esrch, eperm, efault, bad_data;
	int bad_errno;
	const char *bad_what;
};

static bool copy_err(struct copy_race *r, const char *what)
{
	switch (errno) {
	case ESRCH:
		ADD(r->esrch, 1);
		return true;
	case EPERM:
		ADD(r->eperm, 1);
		return false;
	case EFAULT:
		ADD(r->efault, 1);
		return false;
	default:
		if (!__atomic_exchange_n(&r->bad_errno, errno ? errno : -1,
					 __ATOMIC_RELAXED))
			r->bad_what = what;
		return true;
	}
}

static void *copy_stable(void *arg)
{
	struct copy_race *r = arg;
	unsigned int off;
	int ret;

	for (unsigned int n = 0; !LOAD(r->stop); n++) {
		ADD(r->calls, 1);
		off = (n % 4) * PS + n % 61;
		if (n % 3 == 2) {
			ret = mxvm_safecopy_to(r->fd, r->ep, r->gid,
					       (SC_PAGES / 2) * PS, r->stable,
					       2 * PS);
		} else {
			memset(r->stable, 0, 3 * PS);
			ret = mxvm_safecopy_from(r->fd, r->ep, r->gid, off,
						 r->stable, 3 * PS);
			/* Page i of the grantor's first half is 0x30 + i. */
			for (unsigned int i = 0; !ret && i < 3 * PS; i += 97) {
				unsigned int at = off + i;

				if (at >= (SC_PAGES / 2) * PS)
					break;
				if ((unsigned char)r->stable[i] !=
				    0x30 + at / PS) {
					ADD(r->bad_data, 1);
					break;
				}
			}
			if (!ret)
				ADD(r->checked, 1);
		}
		if (ret && copy_err(r, "SAFECOPY"))
			break;
	}
	ADD(r->done, 1);
	return NULL;
}

static void *copy_vector(void *arg)
{
	struct copy_race *r = arg;
	struct minixvm_copy_vec vec[6] = {};
	struct minixvm_vsafecopy v = { .size = sizeof(v), .count = 6,
				       .vec = (uintptr_t)vec };

	for (unsigned int i = 0; i < 6; i++) {
		vec[i].flags = i % 3 == 2 ? MINIXVM_COPY_TO : 0;
		vec[i].offset = i % 3 == 2 ? (SC_PAGES / 2 + 1) * PS :
			i * 500;
		vec[i].addr = (uintptr_t)r->shaky + i * PS + 9;
		vec[i].length = PS;
	}
	while (!LOAD(r->stop)) {
		for (unsigned int i = 0; i < 6; i++) {
			vec[i].endpoint = r->ep;
			vec[i].gid = r->gid;
		}
		ADD(r->calls, 1);
		v.out_done = 99;
		if (ioctl(r->fd, MINIXVM_IOC_VSAFECOPY, &v)) {
			if (v.out_done >= 6 && !r->bad_what) {
				r->bad_errno = -1;
				r->bad_what = "VSAFECOPY's out_done";
			}
			if (copy_err(r, "VSAFECOPY"))
				break;
		} else if (v.out_done != 6 && !r->bad_what) {
			r->bad_errno = -1;
			r->bad_what = "VSAFECOPY's out_done";
		}
	}
	ADD(r->done, 1);
	return NULL;
}

static void *copy_unmapper(void *arg)
{
	struct copy_race *r = arg;
	char *p;

	for (unsigned int n = 0; !LOAD(r->stop_all); n++) {
		p = r->shaky + (n % (SC_PAGES - 2)) * PS;
		if (munmap(p, 2 * PS) ||
		    mmap(p, 2 * PS, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0) != p) {
			r->bad_errno = errno;
			r->bad_what = "munmap/mmap";
			break;
		}
	}
	return NULL;
}

static void copy_grantor(int sock)
{
	int fd = mxvm_open_or_die();
	char *buf = mxvm_buf(fd, SC_PAGES * PS);
	__u32 grantee = mxvm_recv(sock), gid;

	CHILD_CHECK(buf);
	mxvm_fill(buf, SC_PAGES, 0x30);
	CHILD_CHECK(!mxvm_grant(fd, grantee, buf, SC_PAGES * PS,
				READ | WRITE, &gid));
	mxvm_send(sock, mxvm_endpoint(fd));
	mxvm_send(sock, gid);
	mxvm_recv(sock);
	usleep(delay_us(5000));
	_exit(0);
}

TEST_F_TIMEOUT(race, safecopy_vs_exit, 600)
{
	struct copy_race r = { .fd = FD };
	unsigned long round, calls;
	pthread_t t[3];
	int sock[2], st;
	pid_t pid;
	double end;

	r.stable = mxvm_ctx_anon(_metadata, CTX, 3 * PS);
	r.shaky = mxvm_ctx_anon(_metadata, CTX, SC_PAGES * PS);
	start_threads(&t[2], 1, copy_unmapper, &r);
	for (round = 0; TIME_LEFT() || round < 4; round++) {
		pid = peer_fork(_metadata, CTX, sock);
		if (pid == 0)
			copy_grantor(sock[0]);
		mxvm_send(sock[0], ME);
		r.ep = mxvm_recv(sock[0]);
		r.gid = mxvm_recv(sock[0]);
		r.done = 0;
		r.stop = 0;
		calls = LOAD(r.calls);
		start_threads(&t[0], 1, copy_stable, &r);
		start_threads(&t[1], 1, copy_vector, &r);
		threads_started(&r.calls, calls + 2);
		mxvm_send(sock[0], 1);
		close(sock[0]);
		if (round % 3 == 1) {
			usleep(delay_us(3000));
			kill(pid, SIGKILL);
		}
		st = mxvm_ctx_wait(_metadata, CTX);
		EXPECT_TRUE(st == 0 || (round % 3 == 1 && st == 128 + SIGKILL))
			TH_LOG("round %lu: the grantor's status %d", round, st);
		end = now() + settle_secs();
		while (LOAD(r.done) < 2 && now() < end)
			usleep(1000);
		EXPECT_EQ(2, LOAD(r.done))
			TH_LOG("round %lu: copies still succeed after the grantor's exit",
			       round);
		STORE(r.stop, 1);
		join_threads(t, 2);
		if (r.bad_what || r.bad_data)
			break;
	}
	STORE(r.stop_all, 1);
	join_threads(&t[2], 1);
	EXPECT_EQ(NULL, r.bad_what) TH_LOG("%s: %d (%s)", r.bad_what,
					   r.bad_errno, strerror(r.bad_errno));
	EXPECT_EQ(0, r.bad_data);
	expect_counts(_metadata, &self->base, FIRST_GRANT_COUNTER,
		      "after the rounds");
	TH_LOG("%lu rounds, %lu copies (%lu checked): %lu ESRCH, %lu EPERM, %lu EFAULT",
	       round, r.calls, r.checked, r.esrch, r.eperm, r.efault);
	report("race.safecopy_exit", round,
	       "grantor exits against SAFECOPY/VSAFECOPY and buffer munmap");
}

/*
 * 6. delete_module() while the module is in use.  A child holds, in
 * turn: an open file only; a mapping only (its file closed); an endpoint
 * only (no file, no mapping); grants and a mapping made through another
 * process's grant; and last, threads that run calls all the while.  Each
 * time the unload must fail (EWOULDBLOCK, or EBUSY) and the module must
 * keep working.  (The test process itself holds nothing.)
 */
#define MODULE_NAME	"minix_vm"

enum holder {
	HOLD_FILE,
	HOLD_MAPPING,
	HOLD_ENDPOINT,
	HOLD_GRANTS,
	HOLD_BUSY,
	NR_HOLDERS,
};

static const char *const holder_name[] = {
	"a file", "a mapping", "an endpoint", "grants and a grant mapping",
	"running calls",
};

static void *busy_calls(void *arg)
{
	int fd = mxvm_open_or_die();
	char *a = mxvm_buf(fd, 4 * PS), *b = mxvm_buf(fd, 4 * PS);
	char copy[64];
	__u32 me = mxvm_endpoint(fd), gid;

	CHILD_CHECK(a && b && me);
	for (unsigned int n = 0;; n++) {
		CHILD_CHECK(!mxvm_map(fd, a, b, 4 * PS, modes[n % 3]));
		mxvm_poke(a + (n % 4) * PS, n);
		CHILD_CHECK(mxvm_peek(b + (n % 4) * PS) == (unsigned char)n ||
			    modes[n % 3] == COW);
		CHILD_CHECK(!mxvm_unmap(fd, b, 4 * PS));
		CHILD_CHECK(!mxvm_grant(fd, me, a, 4 * PS, RWM, &gid));
		CHILD_CHECK(!mxvm_safemap(fd, me, gid, 0, b, 4 * PS, COW));
		CHILD_CHECK(!mxvm_safecopy_from(fd, me, gid, 1, copy, 64));
		CHILD_CHECK(!mxvm_revoke(fd, gid, NULL));
	}
	return NULL;
}

/* The holder child: set up, say so, wait, check the module works. */
static void holder(int sock, enum holder what)
{
	int fd = mxvm_open_or_die(), fd2;
	char *buf = NULL, *dst;
	__u32 me, gid, pgid;
	pid_t pid;
	pthread_t t[2];
	int sv[2];

	switch (what) {
	case HOLD_FILE:
		break;
	case HOLD_MAPPING:
		buf = mxvm_buf(fd, 2 * PS);
		CHILD_CHECK(buf);
		mxvm_poke(buf, 7);
		close(fd);
		fd = -1;
		break;
	case HOLD_ENDPOINT:
		CHILD_CHECK(mxvm_endpoint(fd));
		close(fd);
		fd = -1;
		break;
	case HOLD_GRANTS:
		buf = mxvm_buf(fd, 2 * PS);
		me = mxvm_endpoint(fd);
		CHILD_CHECK(buf && me);
		CHILD_CHECK(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
					sv));
		pid = fork();
		CHILD_CHECK(pid >= 0);
		if (pid == 0) {
			/* A grandchild maps this child's grant, and waits. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(fd);
			close(sv[0]);
			close(sock);
			fd2 = mxvm_open_or_die();
			dst = mxvm_buf(fd2, 2 * PS);
			pgid = mxvm_recv(sv[1]);
			CHILD_CHECK(dst);
			CHILD_CHECK(!mxvm_safemap(fd2, me, pgid, 0, dst, 2 * PS,
						  SHARED));
			close(fd2);
			mxvm_send(sv[1], 1);
			mxvm_recv(sv[1]);
			_exit(0);
		}
		CHILD_CHECK(!mxvm_grant(fd, ANY, buf, 2 * PS, RWM, &gid));
		mxvm_send(sv[0], gid);
		CHILD_CHECK(mxvm_recv(sv[0]) == 1);
		close(fd);
		fd = -1;
		break;
	default:
		close(fd);
		fd = -1;
		start_threads(t, 2, busy_calls, NULL);
		usleep(10000);
		break;
	}
	mxvm_send(sock, 1);
	CHILD_CHECK(mxvm_recv(sock) == 2);
	/* Still working, through a file opened now. */
	fd = mxvm_open_or_die();
	dst = mxvm_buf(fd, 2 * PS);
	CHILD_CHECK(dst);
	if (buf) {
		CHILD_CHECK(!mxvm_map(fd, buf, dst, 2 * PS, COW));
		CHILD_CHECK(mxvm_peek(dst) == mxvm_peek(buf));
	}
	mxvm_poke(dst + PS, 9);
	CHILD_CHECK(mxvm_peek(dst + PS) == 9);
	_exit(0);
}

static int try_unload(void)
{
	return syscall(SYS_delete_module, MODULE_NAME, O_NONBLOCK);
}

FIXTURE(unload) {
	struct counts base;
	pid_t child;
	int sock[2];
};

FIXTURE_SETUP(unload)
{
	alarm(race_secs() * 10 + 90);
	endpoints_drain();
	read_counts(&self->base);
	self->sock[0] = -1;
	if (access("/sys/module/" MODULE_NAME, F_OK))
		SKIP(return, "the module is not " MODULE_NAME);
}

FIXTURE_TEARDOWN(unload)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->sock[0] >= 0)
		close(self->sock[0]);
	expect_counts(_metadata, &self->base, 0, "teardown");
	alarm(0);
}

TEST_F_TIMEOUT(unload, unload_while_in_use, 600)
{
	double end = now() + race_secs();
	unsigned long tries = 0, busy = 0;
	int status, ret, n;

	for (int what = 0; what < NR_HOLDERS; what++) {
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
					self->sock));
		self->child = fork();
		ASSERT_LE(0, self->child);
		if (self->child == 0) {
			close(self->sock[0]);
			child_init();
			holder(self->sock[1], what);
		}
		close(self->sock[1]);
		ASSERT_EQ(1, mxvm_recv(self->sock[0]))
			TH_LOG("holding %s: the child failed", holder_name[what]);
		n = 0;
		do {
			errno = 0;
			ret = try_unload();
			tries++;
			if (errno == EBUSY)
				busy++;
			ASSERT_EQ(-1, ret)
				TH_LOG("the module unloaded while a process held %s",
				       holder_name[what]);
			ASSERT_TRUE(errno == EWOULDBLOCK || errno == EBUSY)
				TH_LOG("holding %s: delete_module: %s",
				       holder_name[what], strerror(errno));
			/* The busy holder is tried for the whole time left. */
		} while (what == HOLD_BUSY ? now() < end : ++n < 20);
		mxvm_send(self->sock[0], 2);
		ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
		self->child = 0;
		EXPECT_EQ(0, status) TH_LOG("holding %s: status %#x",
					    holder_name[what], status);
		close(self->sock[0]);
		self->sock[0] = -1;
		ASSERT_EQ(0, access(MXVM_SYSFS "nr_pages", F_OK));
	}
	TH_LOG("%lu unload attempts refused (%lu EBUSY)", tries, busy);
	report("race.unload", tries, "delete_module() attempts while in use");
}

TEST_HARNESS_MAIN
