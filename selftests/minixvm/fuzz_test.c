// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm selftests: a blind ioctl fuzzer.
 *
 * Several forked workers open /dev/minixvm, create and map regions, grant
 * them to each other and then, for a bounded time, issue ioctls with random
 * command numbers (mostly the module's own numbers, sometimes with random
 * size and direction bits, sometimes anything) on buffers of random words:
 * sometimes a well-formed structure with plausible values (addresses in
 * their own mappings, page multiples, the others' endpoints and grant ids),
 * sometimes random bytes, sometimes a bad pointer.  Meanwhile they unmap
 * and map regions, reopen the device, fork children that fuzz briefly and
 * exit.  Every process must exit normally, and the module must then hold
 * nothing: pages, objects, endpoints, grants and grant mappings back to
 * where they were.  A kernel report anywhere fails the run (run.sh and
 * vmcheck.sh scan for them).
 *
 * All of it derives from one seed: MXVM_FUZZ_SEED (printed either way);
 * MXVM_FUZZ_SECONDS bounds the run (default 10) and MXVM_FUZZ_PROCS sets
 * the workers (default 4).  The interleaving of the processes is the
 * scheduler's, so a seed replays each process's calls, not their order.
 *
 * Every address a worker hands the module for its own memory lies in an
 * arena of its own, surrounded by PROT_NONE pages: a grant or a copy the
 * fuzzer makes can reach only memory nobody relies on.  Wild addresses are
 * either below mmap_min_addr or outside user space.
 */
#include <sys/socket.h>
#include <time.h>

#include "kselftest_harness.h"
#include "mxvm_test.h"

#define PS		MXVM_PS
#define MAX_WORKERS	16
#define NR_GIDS		8
#define SLOT_PAGES	16
#define NR_SLOTS	16		/* the last one is scratch memory */
#define GUARD_PAGES	16
#define ARENA_PAGES	(NR_SLOTS * SLOT_PAGES + 2 * GUARD_PAGES)
#define SCRATCH_PAGES	4
#define MAX_KIDS	2
#define NR_CMDS		(_MINIXVM_VSAFECOPY + 1)

/* Shared by every process of the test. */
struct board {
	unsigned int ready;
	__u32 ep[MAX_WORKERS];
	__u32 gid[MAX_WORKERS][NR_GIDS];
	unsigned long calls;
	unsigned long ok[NR_CMDS];
	unsigned long forks;
	unsigned long remaps;
};

struct slot {
	char *addr;
	size_t len;	/* 0: nothing of ours is mapped there */
};

struct fuzzer {
	uint64_t rng;
	int id, nworkers;
	bool is_worker;		/* not a forked child of one */
	int fd;
	struct board *b;
	char *arena;
	char *scratch;
	struct slot slot[NR_SLOTS - 1];
	pid_t kids[MAX_KIDS];
	int nkids;
	struct timespec end;
};

static uint64_t rnd(struct fuzzer *f)
{
	/* splitmix64 */
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool one_in(struct fuzzer *f, unsigned int n)
{
	return rnd(f) % n == 0;
}

static bool past(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > end->tv_sec ||
	       (now.tv_sec == end->tv_sec && now.tv_nsec >= end->tv_nsec);
}

static const unsigned int cmd_size[NR_CMDS] = {
	[_MINIXVM_API] = sizeof(struct minixvm_api),
	[_MINIXVM_REGION_CREATE] = sizeof(struct minixvm_region_create),
	[_MINIXVM_REGION_DESTROY] = sizeof(struct minixvm_region_destroy),
	[_MINIXVM_MAP] = sizeof(struct minixvm_map),
	[_MINIXVM_UNMAP] = sizeof(struct minixvm_unmap),
	[_MINIXVM_ENDPOINT] = sizeof(struct minixvm_endpoint),
	[_MINIXVM_GRANT] = sizeof(struct minixvm_grant),
	[_MINIXVM_REVOKE] = sizeof(struct minixvm_revoke),
	[_MINIXVM_SAFEMAP] = sizeof(struct minixvm_safemap),
	[_MINIXVM_SAFEREVMAP] = sizeof(struct minixvm_saferevmap),
	[_MINIXVM_SAFEUNMAP] = sizeof(struct minixvm_safeunmap),
	[_MINIXVM_SAFECOPY] = sizeof(struct minixvm_safecopy),
	[_MINIXVM_VSAFECOPY] = sizeof(struct minixvm_vsafecopy),
};

/* An address in one of this process's mappings of the arena. */
static __u64 own_addr(struct fuzzer *f)
{
	struct slot *s = &f->slot[rnd(f) % (NR_SLOTS - 1)];

	if (!s->len || one_in(f, 8))
		return (uintptr_t)f->scratch + PS * (rnd(f) % SCRATCH_PAGES);
	return (uintptr_t)s->addr + PS * (rnd(f) % (s->len / PS));
}

static __u32 some_ep(struct fuzzer *f)
{
	return f->b->ep[rnd(f) % f->nworkers];
}

static __u32 some_gid(struct fuzzer *f)
{
	return f->b->gid[rnd(f) % f->nworkers][rnd(f) % NR_GIDS];
}

/* A grant id of the caller's own table, mostly. */
static __u32 own_gid(struct fuzzer *f)
{
	return one_in(f, 4) ? some_gid(f) :
	       f->b->gid[f->id][rnd(f) % NR_GIDS];
}

/* A grantor and one of its grant ids; now and then a mismatched pair. */
static void some_grant(struct fuzzer *f, __u32 *ep, __u32 *gid)
{
	unsigned int w = rnd(f) % f->nworkers;

	*ep = f->b->ep[w];
	*gid = f->b->gid[w][rnd(f) % NR_GIDS];
	if (one_in(f, 8))
		*gid = some_gid(f);
}

/* A value a field of a structure might get. */
static __u64 value(struct fuzzer *f)
{
	switch (rnd(f) % 14) {
	case 0:
		return 0;
	case 1:
		return rnd(f) % 17;
	case 2:
		return PS * (1 + rnd(f) % 8);
	case 3:
	case 4:
		return own_addr(f) + (one_in(f, 8) ? rnd(f) % PS : 0);
	case 5:
		return some_ep(f);
	case 6:
		return some_gid(f);
	case 7:	/* outside user space, for a 32-bit process too */
		return rnd(f) | 1ULL << 63;
	case 8:
		return ~0ULL - rnd(f) % (2 * PS);
	case 9:
		return 1ULL << (rnd(f) % 64);
	case 10:	/* below mmap_min_addr: never mapped */
		return rnd(f) % 0x1000;
	case 11:
		return MINIXVM_ANY;
	case 12:
		return 0xffffffff81000000ULL;
	default:
		return rnd(f);
	}
}

/* A well-formed structure for @nr with plausible values. */
static void plausible(struct fuzzer *f, unsigned int nr, void *buf)
{
	__u64 len = PS * (1 + rnd(f) % 4);

	switch (nr) {
	case _MINIXVM_API: {
		struct minixvm_api *a = buf;

		a->api = MINIXVM_API;
		a->features = rnd(f) % 4;
		break;
	}
	case _MINIXVM_REGION_CREATE: {
		struct minixvm_region_create *a = buf;

		a->flags = rnd(f) % 2;
		a->length = len;
		break;
	}
	case _MINIXVM_REGION_DESTROY:
		((struct minixvm_region_destroy *)buf)->id = rnd(f) % 32;
		break;
	case _MINIXVM_MAP: {
		struct minixvm_map *a = buf;

		a->mode = 1 + rnd(f) % 3;
		a->src_addr = own_addr(f);
		a->dst_addr = own_addr(f);
		a->length = len;
		break;
	}
	case _MINIXVM_UNMAP: {
		struct minixvm_unmap *a = buf;

		a->addr = own_addr(f);
		a->length = len;
		break;
	}
	case _MINIXVM_GRANT: {
		struct minixvm_grant *a = buf;

		a->to = one_in(f, 4) ? MINIXVM_ANY : some_ep(f);
		a->access = 1 + rnd(f) % 7;
		if (one_in(f, 3)) {
			a->flags = MINIXVM_GRANT_INDIRECT;
			some_grant(f, &a->from, &a->from_gid);
		} else {
			a->addr = own_addr(f);
			a->length = len;
		}
		break;
	}
	case _MINIXVM_REVOKE:
		((struct minixvm_revoke *)buf)->gid = own_gid(f);
		break;
	case _MINIXVM_SAFEMAP: {
		struct minixvm_safemap *a = buf;

		some_grant(f, &a->grantor, &a->gid);
		a->mode = 1 + rnd(f) % 3;
		a->offset = PS * (rnd(f) % 4);
		a->dst_addr = own_addr(f);
		a->length = len;
		break;
	}
	case _MINIXVM_SAFEREVMAP: {
		struct minixvm_saferevmap *a = buf;

		if (one_in(f, 2)) {
			a->flags = MINIXVM_REVMAP_ADDR;
			a->addr = own_addr(f);
			a->length = len;
		} else {
			a->gid = own_gid(f);
		}
		break;
	}
	case _MINIXVM_SAFEUNMAP:
		((struct minixvm_safeunmap *)buf)->addr = own_addr(f);
		break;
	case _MINIXVM_SAFECOPY: {
		struct minixvm_safecopy *a = buf;

		a->flags = rnd(f) % 2;
		some_grant(f, &a->endpoint, &a->gid);
		a->offset = rnd(f) % (4 * PS);
		a->addr = (uintptr_t)f->scratch + rnd(f) % PS;
		a->length = 1 + rnd(f) % (2 * PS);
		break;
	}
	case _MINIXVM_VSAFECOPY: {
		struct minixvm_vsafecopy *a = buf;
		struct minixvm_copy_vec *v;
		unsigned int n = 1 + rnd(f) % 4;

		v = (void *)(f->scratch + 2 * PS);
		for (unsigned int i = 0; i < n; i++) {
			struct minixvm_copy_vec *e = &v[i];

			memset(e, 0, sizeof(*e));
			e->flags = rnd(f) % 2;
			some_grant(f, &e->endpoint, &e->gid);
			e->offset = rnd(f) % (4 * PS);
			e->addr = (uintptr_t)f->scratch + PS + rnd(f) % PS;
			e->length = 1 + rnd(f) % PS;
		}
		a->count = n;
		a->vec = (uintptr_t)v;
		break;
	}
	}
}

/* One random ioctl. */
static void fuzz_ioctl(struct fuzzer *f)
{
	unsigned int nr = rnd(f) % NR_CMDS;
	unsigned long cmd = _IO(MINIXVM_TYPE, nr);
	char *buf = f->scratch;
	unsigned int r = rnd(f) % 100;
	void *arg = buf;

	/* The command number. */
	if (r < 10)
		cmd = (unsigned int)rnd(f);
	else if (r < 20)
		cmd = _IOC(rnd(f) % 4, MINIXVM_TYPE, rnd(f) % 32,
			   rnd(f) % 256);
	else if (r < 30)
		cmd = _IOC(rnd(f) % 4, MINIXVM_TYPE, nr, cmd_size[nr]);

	/* The structure. */
	memset(buf, 0, PS);
	r = rnd(f) % 100;
	if (r < 50) {
		plausible(f, nr, buf);
		/* Now and then, one field made wild. */
		if (one_in(f, 3))
			memcpy(buf + 8 * (rnd(f) % 6), &(__u64){ value(f) }, 8);
	} else if (r < 80) {
		for (unsigned int i = 0; i < 8; i++)
			memcpy(buf + 8 * i, &(__u64){ value(f) }, 8);
	} else {
		for (unsigned int i = 0; i < PS / 8; i++)
			memcpy(buf + 8 * i, &(__u64){ rnd(f) }, 8);
	}
	r = rnd(f) % 100;
	if (r < 70)
		((__u32 *)buf)[0] = cmd_size[nr];
	else if (r < 80)
		((__u32 *)buf)[0] = cmd_size[nr] + 8 * (rnd(f) % 4);
	if (!one_in(f, 4))
		((__u32 *)buf)[1] = 0;

	/* The pointer. */
	r = rnd(f) % 100;
	if (r < 3)
		arg = NULL;
	else if (r < 6)
		arg = (void *)(uintptr_t)(rnd(f) % 0x1000);
	else if (r < 8)
		arg = (void *)(uintptr_t)0xfffff000UL;
	else if (r < 10)
		arg = f->scratch + SCRATCH_PAGES * PS - 8;	/* runs off */

	/*
	 * A grant that lets others write must stay in the arena, whose
	 * guard pages stop any copy: they could reach anything else.
	 */
	if (cmd == MINIXVM_IOC_GRANT && arg == buf) {
		struct minixvm_grant *g = (void *)buf;
		__u64 lo = (uintptr_t)f->arena + GUARD_PAGES * PS;
		__u64 hi = (uintptr_t)f->arena + (ARENA_PAGES - GUARD_PAGES) * PS;

		if (!(g->flags & MINIXVM_GRANT_INDIRECT) &&
		    (g->addr < lo || g->addr > hi || g->length > hi - g->addr))
			g->access &= ~MINIXVM_GRANT_WRITE;
	}
	/* Not the file system's freeze and thaw (type 'X'), as root. */
	if (_IOC_TYPE(cmd) == 'X')
		cmd = _IO(MINIXVM_TYPE, nr);

	if (!ioctl(f->fd, cmd, arg) && nr < NR_CMDS &&
	    cmd == (unsigned long)_IO(MINIXVM_TYPE, nr))
		__atomic_add_fetch(&f->b->ok[nr], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&f->b->calls, 1, __ATOMIC_RELAXED);
}

/* Map a new region of 1-16 pages into a slot; fill it if writable. */
static void map_slot(struct fuzzer *f, unsigned int i)
{
	struct slot *s = &f->slot[i];
	size_t len = PS * (1 + rnd(f) % SLOT_PAGES);
	__u32 flags = one_in(f, 4) ? 0 : MINIXVM_REGION_WRITABLE;
	char *at = f->arena + PS * (GUARD_PAGES + i * SLOT_PAGES);
	__u64 off;
	char *p;

	/* Whatever was there goes; the slot is reserved again first. */
	mmap(at, SLOT_PAGES * PS, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	s->len = 0;
	if (mxvm_region(f->fd, len, flags, NULL, &off))
		return;
	p = mmap(at, len, PROT_READ | (flags ? PROT_WRITE : 0),
		 MAP_SHARED | MAP_FIXED, f->fd, (off_t)off);
	if (p == MAP_FAILED)
		return;
	if (flags)
		mxvm_fill(p, len / PS, (unsigned char)rnd(f));
	s->addr = p;
	s->len = len;
	/* A worker (not its children, other endpoints) grants it anew. */
	if (f->is_worker && one_in(f, 2)) {
		__u32 gid = 0, to = one_in(f, 3) ? MINIXVM_ANY : some_ep(f);

		if (!mxvm_grant(f->fd, to, p, len, MINIXVM_GRANT_READ |
				MINIXVM_GRANT_MAP | (flags ? MINIXVM_GRANT_WRITE : 0),
				&gid))
			f->b->gid[f->id][rnd(f) % NR_GIDS] = gid;
	}
}

/* Unmap a slot, or a part of it: a real hole now and then. */
static void unmap_slot(struct fuzzer *f, unsigned int i)
{
	struct slot *s = &f->slot[i];
	char *at = f->arena + PS * (GUARD_PAGES + i * SLOT_PAGES);
	size_t first = rnd(f) % SLOT_PAGES;

	if (one_in(f, 2))
		munmap(at + first * PS, PS * (1 + rnd(f) % (SLOT_PAGES - first)));
	else
		mmap(at, SLOT_PAGES * PS, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		     -1, 0);
	s->len = 0;
}

static void reap(struct fuzzer *f, bool wait)
{
	for (int i = 0; i < f->nkids; ) {
		int status;
		pid_t pid = waitpid(f->kids[i], &status, wait ? 0 : WNOHANG);

		if (pid == 0) {
			i++;
			continue;
		}
		if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "# worker %d: child %d: status %#x\n",
				f->id, f->kids[i], status);
			_exit(3);
		}
		f->kids[i] = f->kids[--f->nkids];
	}
}

static void fuzz_loop(struct fuzzer *f, bool is_kid)
{
	unsigned int i = 0;

	while (!past(&f->end)) {
		unsigned int r = rnd(f) % 1000;

		if (r < 900) {
			fuzz_ioctl(f);
		} else if (r < 950) {
			map_slot(f, rnd(f) % (NR_SLOTS - 1));
			__atomic_add_fetch(&f->b->remaps, 1, __ATOMIC_RELAXED);
		} else if (r < 980) {
			unmap_slot(f, rnd(f) % (NR_SLOTS - 1));
		} else if (r < 985) {
			struct slot *s = &f->slot[rnd(f) % (NR_SLOTS - 1)];

			/* Fault pages in (reads only: a page may be RO). */
			for (size_t off = 0; off < s->len; off += PS)
				mxvm_peek(s->addr + off);
		} else if (r < 990) {
			int fd = open(MINIXVM_DEVICE, O_RDWR | O_CLOEXEC);

			if (fd >= 0) {
				close(f->fd);
				f->fd = fd;
			}
		} else if (r < 993 && !is_kid && f->nkids < MAX_KIDS) {
			struct fuzzer kid = *f;
			pid_t pid;

			kid.rng = rnd(f);
			kid.is_worker = false;
			pid = fork();
			if (pid == 0) {
				/* A short life: a quarter of a second. */
				clock_gettime(CLOCK_MONOTONIC, &kid.end);
				kid.end.tv_nsec += 250000000;
				if (kid.end.tv_nsec >= 1000000000) {
					kid.end.tv_sec++;
					kid.end.tv_nsec -= 1000000000;
				}
				kid.nkids = 0;
				fuzz_loop(&kid, true);
				_exit(0);
			}
			if (pid > 0) {
				f->kids[f->nkids++] = pid;
				__atomic_add_fetch(&f->b->forks, 1,
						   __ATOMIC_RELAXED);
			}
		}
		if (!is_kid && !(++i % 64))
			reap(f, false);
	}
}

static void worker(struct board *b, int id, int nworkers, uint64_t seed,
		   unsigned int secs, const struct timespec *end)
{
	struct fuzzer f = {
		.rng = seed ^ (0x1000003ULL * (id + 1)),
		.id = id,
		.nworkers = nworkers,
		.is_worker = true,
		.b = b,
		.end = *end,
	};

	alarm(secs + 120);
	f.fd = mxvm_open_or_die();
	f.arena = mmap(NULL, ARENA_PAGES * PS, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHILD_CHECK(f.arena != MAP_FAILED);
	f.scratch = f.arena + PS * (GUARD_PAGES + (NR_SLOTS - 1) * SLOT_PAGES);
	CHILD_CHECK(!mprotect(f.scratch, SCRATCH_PAGES * PS,
			      PROT_READ | PROT_WRITE));

	/* Valid state: regions, an endpoint, grants to the others. */
	b->ep[id] = mxvm_endpoint(f.fd);
	CHILD_CHECK(b->ep[id]);
	for (unsigned int i = 0; i < 4; i++)
		map_slot(&f, i);
	__atomic_add_fetch(&b->ready, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&b->ready, __ATOMIC_SEQ_CST) < nworkers &&
	       !past(end))
		usleep(1000);
	for (unsigned int g = 0; g < NR_GIDS; g++) {
		struct slot *s = &f.slot[g % 4];
		__u32 to = g % 3 ? b->ep[(id + 1 + g) % nworkers] : MINIXVM_ANY;
		__u32 gid = 0;

		if (s->len)
			mxvm_grant(f.fd, to, s->addr, s->len,
				   MINIXVM_GRANT_READ | MINIXVM_GRANT_WRITE |
				   MINIXVM_GRANT_MAP, &gid);
		else
			mxvm_grant(f.fd, to, f.scratch, PS,
				   MINIXVM_GRANT_READ, &gid);
		b->gid[id][g] = gid;
	}
	fuzz_loop(&f, false);
	reap(&f, true);
	_exit(0);
}

/* The module's counters, which must come back. */
static const char * const counters[] = {
	"nr_pages", "nr_objects", "nr_endpoints", "nr_grants",
	"nr_grant_maps",
};

#define NR_COUNTERS	ARRAY_SIZE(counters)

static unsigned long env_ulong(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, random_ioctls, 300)
{
	unsigned long secs = env_ulong("MXVM_FUZZ_SECONDS", 10);
	unsigned long nworkers = env_ulong("MXVM_FUZZ_PROCS", 4);
	uint64_t seed = env_ulong("MXVM_FUZZ_SEED", 0);
	long before[NR_COUNTERS], now[NR_COUNTERS];
	pid_t pids[MAX_WORKERS];
	struct timespec end;
	struct board *b;
	bool back = false;

	ASSERT_LE(1, nworkers);
	ASSERT_GE(MAX_WORKERS, nworkers);
	ASSERT_GE(240, secs) TH_LOG("MXVM_FUZZ_SECONDS is at most 240");
	if (!seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000007ULL ^ ts.tv_nsec;
	}
	printf("# fuzz: seed %#llx (MXVM_FUZZ_SEED), %lu s, %lu processes\n",
	       (unsigned long long)seed, secs, nworkers);
	fflush(stdout);
	for (unsigned int i = 0; i < NR_COUNTERS; i++) {
		before[i] = mxvm_sysfs_long(counters[i]);
		ASSERT_LE(0, before[i]) TH_LOG("%s", counters[i]);
	}

	b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, b);
	memset(b, 0, sizeof(*b));
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += secs;
	for (unsigned int i = 0; i < nworkers; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			worker(b, i, nworkers, seed, secs, &end);
	}
	for (unsigned int i = 0; i < nworkers; i++) {
		int status;

		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("worker %u: status %#x", i, status);
	}

	/* An exited endpoint goes after an SRCU grace period: wait a bit. */
	for (int tries = 0; tries < 100 && !back; tries++) {
		if (tries)
			usleep(50000);
		back = true;
		for (unsigned int i = 0; i < NR_COUNTERS; i++) {
			now[i] = mxvm_sysfs_long(counters[i]);
			back &= now[i] == before[i];
		}
	}
	for (unsigned int i = 0; i < NR_COUNTERS; i++) {
		EXPECT_EQ(before[i], now[i])
			TH_LOG("%s: %ld before, %ld after every process exited",
			       counters[i], before[i], now[i]);
	}

	for (unsigned int i = 0; i < NR_CMDS; i++)
		TH_LOG("command %2u: %lu calls succeeded", i, b->ok[i]);
	TH_LOG("%lu forks, %lu regions mapped", b->forks, b->remaps);
	mxvm_figure("fuzz.calls", "%lu", b->calls,
		    "random ioctls from the fuzzer's processes");
	printf("# fuzz: %lu calls from %lu processes and %lu forked children\n",
	       b->calls, nworkers, b->forks);
	munmap(b, sizeof(*b));
}

TEST_HARNESS_MAIN
