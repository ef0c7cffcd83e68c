// SPDX-License-Identifier: GPL-2.0
/*
 * Randomized, model-checked stress of minixvm.
 *
 * A coordinator (the test) drives several worker processes, each with
 * three threads: the one that reads commands, a second one that runs half
 * of them, and a toucher that keeps reading its process's pages at random
 * (faults racing with every zap the commands make).  The coordinator picks
 * random operations from a seed: regions created and destroyed, mmap() and
 * munmap() of parts of them, MAP and UNMAP in every mode, grants direct and
 * indirect, SAFEMAP, SAFEREVMAP (by id and by address), SAFEUNMAP, REVOKE,
 * SAFECOPY both ways, fork(), exit(), writes and reads.  A reference model
 * predicts what every process must read at every page and the result of
 * every call; a page holds the tag of its last writer at both ends.  On
 * the debug kernel some calls run with one of the module's allocations
 * failing (/sys/kernel/debug/fail_minixvm): they must fail with ENOMEM and
 * leave the model's state as it was.
 *
 * The model is the documented behaviour (Documentation/userspace-api/
 * minixvm.rst), page by page: a page is a cell that several slots may
 * hold (SHARED, READONLY); COW, fork and the end of a mapping give a slot
 * a cell of its own with the same contents.  Each slot also knows the
 * mappings through grants it is part of (the grant, the chain, where the
 * SAFEMAP started, the owner's address), so a revocation knows which pages
 * end their sharing.
 *
 * Deterministic by seed.  Environment (kernel command line in the guests):
 *   minixvm_stress_ops=N    operations that apply (default 200000 on a
 *                           kernel with fault injection, 20000 otherwise;
 *                           those that do not apply in the state they
 *                           meet are drawn on top)
 *   minixvm_stress_seed=S   the seed (default 1795596424, the same every
 *                           run; printed)
 *   minixvm_stress_universes=U  independent sets of processes and models
 *                           run at once (default 2), universe u with seed
 *                           S + u
 * On a mismatch it prints the seed and the operation, then shrinks the
 * sequence (dropping operations while it still fails) and prints the
 * shortest failing sequence it found.
 */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mxvm_test.h"

#define PS		4096UL
#define NREG		4	/* region slots per process */
#define NPG		8	/* pages per region, at most */
#define REG_STRIDE	(2 * NPG)	/* pages between region slots */
#define NGRANT		12	/* live grants per process, at most */
#define NPROC		16	/* live processes, at most */
#define NPROC_START	4
#define NDEAD		16

#define SEGV_ERR	1000	/* a write or read raised SIGSEGV */
#define BUS_ERR		1001	/* ... SIGBUS */

/* The commands a worker runs. */
enum {
	C_CREATE, C_DESTROY, C_MUNMAP, C_MMAP, C_WRITE, C_READ, C_MAP,
	C_UNMAP, C_GRANT, C_GRANT_IND, C_REVOKE, C_REVMAP, C_REVMAP_ADDR,
	C_SAFEMAP, C_SAFEUNMAP, C_COPY_FROM, C_COPY_TO, C_FORK, C_EXIT,
	C_NR
};

static const char *const cmd_name[C_NR] = {
	"create", "destroy", "munmap", "mmap", "write", "read", "map",
	"unmap", "grant", "grant_indirect", "revoke", "saferevmap",
	"saferevmap_addr", "safemap", "safeunmap", "safecopy_from",
	"safecopy_to", "fork", "exit",
};

struct cmd {
	uint32_t op;
	uint32_t thread;
	uint32_t fail_nth;
	uint32_t pad;
	uint64_t a[7];
};

struct reply {
	int32_t ret;
	int32_t err;
	uint32_t injected;
	uint32_t n;
	uint64_t v[2 * NPG];
};

/* ------------------------------------------------------------------ */
/* The worker side: runs what it is told, knows nothing of the model. */

static int w_fd;		/* /dev/minixvm */
static int w_sock;		/* commands from the coordinator */
static char *w_arena;		/* where the regions go */
static int w_pipe_cmd[2], w_pipe_reply[2];
static pthread_mutex_t w_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t w_mapped[NREG];	/* bit per page: mapped (for the toucher) */

static int w_fi_lock;		/* serializes fault injection */

static __thread sigjmp_buf *w_jmp;
static __thread int w_mif = -1;	/* this thread's make-it-fail */

static void w_signal(int sig, siginfo_t *si, void *uc)
{
	if (w_jmp)
		siglongjmp(*w_jmp, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Read or write a u64 with SIGSEGV and SIGBUS turned into an error. */
static int w_access(uint64_t *p, uint64_t *val, bool write)
{
	sigjmp_buf jb;
	int sig;

	sig = sigsetjmp(jb, 1);
	if (sig) {
		w_jmp = NULL;
		return sig == SIGBUS ? BUS_ERR : SEGV_ERR;
	}
	w_jmp = &jb;
	if (write)
		__atomic_store_n(p, *val, __ATOMIC_RELAXED);
	else
		*val = __atomic_load_n(p, __ATOMIC_RELAXED);
	w_jmp = NULL;
	return 0;
}

static void w_set_mapped(uint64_t addr, uint64_t len, bool mapped)
{
	uint64_t first = (addr - (uintptr_t)w_arena) / PS;

	pthread_mutex_lock(&w_lock);
	for (uint64_t pg = first; pg < first + len / PS; pg++) {
		unsigned int r = pg / REG_STRIDE, i = pg % REG_STRIDE;

		if (r >= NREG || i >= NPG)
			continue;
		if (mapped)
			w_mapped[r] |= 1U << i;
		else
			w_mapped[r] &= ~(1U << i);
	}
	pthread_mutex_unlock(&w_lock);
}

/* Reads pages of its process at random: faults racing with the commands. */
static void *w_toucher(void *arg)
{
	unsigned int seed = getpid(), touches = 0;
	uint64_t v;

	for (;;) {
		unsigned int r = rand_r(&seed) % NREG, i = rand_r(&seed) % NPG;
		bool mapped;

		pthread_mutex_lock(&w_lock);
		mapped = w_mapped[r] & (1U << i);
		pthread_mutex_unlock(&w_lock);
		/* It may be unmapped by now: then the read faults, fine. */
		if (mapped)
			w_access((uint64_t *)(w_arena +
					      (r * REG_STRIDE + i) * PS), &v,
				 false);
		if (!(++touches & 7))
			usleep(10000);
	}
	return NULL;
}

static bool w_fail_start(uint32_t nth)
{
	char buf[16];

	if (w_mif < 0)
		w_mif = open("/proc/thread-self/make-it-fail", O_WRONLY);
	snprintf(buf, sizeof(buf), "%u", nth);
	return w_mif >= 0 && write_knob(FAIL_DIR "space", buf) &&
	       write_knob(FAIL_DIR "times", "1") && write(w_mif, "1", 1) == 1;
}

static bool w_fail_stop(void)
{
	if (write(w_mif, "0", 1) != 1)
		return false;
	return mxvm_read_long(FAIL_DIR "times") == 0;
}

static int w_ioctl(const struct cmd *c, unsigned long nr, void *arg,
		   struct reply *r)
{
	int ret;

	/* The attribute is global: one injecting call at a time. */
	if (c->fail_nth && flock(w_fi_lock, LOCK_EX)) {
		r->err = EIO;
		return -1;
	}
	if (c->fail_nth && !w_fail_start(c->fail_nth)) {
		flock(w_fi_lock, LOCK_UN);
		r->err = EIO;
		return -1;
	}
	ret = ioctl(w_fd, nr, arg);
	r->err = ret ? errno : 0;
	if (c->fail_nth) {
		r->injected = w_fail_stop();
		flock(w_fi_lock, LOCK_UN);
	}
	return ret;
}

static void w_exec(const struct cmd *c, struct reply *r)
{
	const uint64_t *a = c->a;
	static char copybuf[PS] __attribute__((aligned(4096)));
	uint64_t v;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	switch (c->op) {
	case C_CREATE: {	/* a0 slot, a1 pages, a2 writable */
		struct minixvm_region_create rc = {
			.size = sizeof(rc),
			.flags = a[2] ? MINIXVM_REGION_WRITABLE : 0,
			.length = a[1] * PS,
		};
		char *want = w_arena + a[0] * REG_STRIDE * PS;
		void *p;

		ret = w_ioctl(c, MINIXVM_IOC_REGION_CREATE, &rc, r);
		if (ret)
			break;
		p = mmap(want, rc.length,
			 PROT_READ | (a[2] ? PROT_WRITE : 0),
			 MAP_SHARED | MAP_FIXED, w_fd, rc.out_offset);
		if (p != want) {
			ret = -1;
			r->err = errno;
			break;
		}
		w_set_mapped((uintptr_t)want, rc.length, true);
		r->v[0] = rc.out_id;
		r->v[1] = rc.out_offset;
		break;
	}
	case C_DESTROY:		/* a0 id */
		ret = mxvm_region_destroy(w_fd, a[0]);
		r->err = ret ? errno : 0;
		break;
	case C_MUNMAP: {	/* a0 addr, a1 len, a2: a placeholder takes it */
		void *p = (void *)(uintptr_t)a[0];

		w_set_mapped(a[0], a[1], false);
		ret = munmap((void *)(uintptr_t)a[0], a[1]);
		r->err = ret ? errno : 0;
		if (a[2])
			p = mmap((void *)(uintptr_t)a[0], a[1], PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS |
				 MAP_FIXED_NOREPLACE, -1, 0);
		if (!ret && p != (void *)(uintptr_t)a[0]) {
			ret = -1;
			r->err = EADDRINUSE;
		}
		break;
	}
	case C_MMAP: {		/* a0 addr, a1 len, a2 offset, a3 writable */
		void *p = mmap((void *)(uintptr_t)a[0], a[1],
			       PROT_READ | (a[3] ? PROT_WRITE : 0),
			       MAP_SHARED | MAP_FIXED, w_fd, a[2]);

		ret = p == (void *)(uintptr_t)a[0] ? 0 : -1;
		r->err = ret ? errno : 0;
		if (!ret)
			w_set_mapped(a[0], a[1], true);
		break;
	}
	case C_WRITE:		/* a0 addr, a1 value */
		v = a[1];
		ret = w_access((uint64_t *)(uintptr_t)a[0], &v, true);
		if (!ret)
			ret = w_access((uint64_t *)(uintptr_t)(a[0] + PS - 8),
				       &v, true);
		r->err = ret;
		ret = ret ? -1 : 0;
		break;
	case C_READ:		/* a0 addr, a1 pages */
		for (uint64_t i = 0; i < a[1] && !ret; i++) {
			ret = w_access((uint64_t *)(uintptr_t)(a[0] + i * PS),
				       &r->v[2 * i], false);
			if (!ret)
				ret = w_access((uint64_t *)(uintptr_t)
					       (a[0] + i * PS + PS - 8),
					       &r->v[2 * i + 1], false);
			r->n = i + 1;
		}
		r->err = ret;
		ret = ret ? -1 : 0;
		break;
	case C_MAP: {		/* a0 src, a1 dst, a2 len, a3 mode */
		struct minixvm_map m = {
			.size = sizeof(m), .mode = a[3],
			.src_addr = a[0], .dst_addr = a[1], .length = a[2],
		};

		ret = w_ioctl(c, MINIXVM_IOC_MAP, &m, r);
		break;
	}
	case C_UNMAP: {		/* a0 addr, a1 len */
		struct minixvm_unmap u = {
			.size = sizeof(u), .addr = a[0], .length = a[1],
		};

		ret = w_ioctl(c, MINIXVM_IOC_UNMAP, &u, r);
		break;
	}
	case C_GRANT: {		/* a0 to, a1 addr, a2 len, a3 access */
		struct minixvm_grant g = {
			.size = sizeof(g), .to = a[0], .access = a[3],
			.addr = a[1], .length = a[2],
		};

		ret = w_ioctl(c, MINIXVM_IOC_GRANT, &g, r);
		r->v[0] = g.out_gid;
		break;
	}
	case C_GRANT_IND: {	/* a0 to, a1 from, a2 from_gid, a3 access */
		struct minixvm_grant g = {
			.size = sizeof(g), .flags = MINIXVM_GRANT_INDIRECT,
			.to = a[0], .access = a[3], .from = a[1],
			.from_gid = a[2],
		};

		ret = w_ioctl(c, MINIXVM_IOC_GRANT, &g, r);
		r->v[0] = g.out_gid;
		break;
	}
	case C_REVOKE: {	/* a0 gid */
		struct minixvm_revoke rv = { .size = sizeof(rv), .gid = a[0] };

		ret = w_ioctl(c, MINIXVM_IOC_REVOKE, &rv, r);
		r->v[0] = rv.out_count;
		break;
	}
	case C_REVMAP: {	/* a0 gid */
		struct minixvm_saferevmap rv = {
			.size = sizeof(rv), .gid = a[0],
		};

		ret = w_ioctl(c, MINIXVM_IOC_SAFEREVMAP, &rv, r);
		r->v[0] = rv.out_count;
		break;
	}
	case C_REVMAP_ADDR: {	/* a0 addr, a1 len */
		struct minixvm_saferevmap rv = {
			.size = sizeof(rv), .flags = MINIXVM_REVMAP_ADDR,
			.addr = a[0], .length = a[1],
		};

		ret = w_ioctl(c, MINIXVM_IOC_SAFEREVMAP, &rv, r);
		r->v[0] = rv.out_count;
		break;
	}
	case C_SAFEMAP: {	/* a0 grantor, a1 gid, a2 off, a3 dst, a4 len, a5 mode */
		struct minixvm_safemap m = {
			.size = sizeof(m), .grantor = a[0], .gid = a[1],
			.mode = a[5], .offset = a[2], .dst_addr = a[3],
			.length = a[4],
		};

		ret = w_ioctl(c, MINIXVM_IOC_SAFEMAP, &m, r);
		break;
	}
	case C_SAFEUNMAP: {	/* a0 addr */
		struct minixvm_safeunmap u = {
			.size = sizeof(u), .addr = a[0],
		};

		ret = w_ioctl(c, MINIXVM_IOC_SAFEUNMAP, &u, r);
		r->v[0] = u.out_count;
		break;
	}
	case C_COPY_FROM:	/* a0 ep, a1 gid, a2 offset */
	case C_COPY_TO: {	/* ..., a3 value */
		struct minixvm_safecopy sc = {
			.size = sizeof(sc),
			.flags = c->op == C_COPY_TO ? MINIXVM_COPY_TO : 0,
			.endpoint = a[0], .gid = a[1], .offset = a[2],
			.addr = (uintptr_t)copybuf, .length = PS,
		};

		memset(copybuf, 0x5a, PS);
		if (c->op == C_COPY_TO) {
			memcpy(copybuf, &a[3], 8);
			memcpy(copybuf + PS - 8, &a[3], 8);
		}
		ret = w_ioctl(c, MINIXVM_IOC_SAFECOPY, &sc, r);
		memcpy(&r->v[0], copybuf, 8);
		memcpy(&r->v[1], copybuf + PS - 8, 8);
		break;
	}
	default:
		ret = -1;
		r->err = EINVAL;
	}
	r->ret = ret;
}

static void *w_second(void *arg)
{
	struct reply r;
	struct cmd c;

	while (read(w_pipe_cmd[0], &c, sizeof(c)) == sizeof(c)) {
		w_exec(&c, &r);
		if (write(w_pipe_reply[1], &r, sizeof(r)) != sizeof(r))
			break;
	}
	return NULL;
}

static void w_threads(void)
{
	pthread_t t;

	if (pipe(w_pipe_cmd) || pipe(w_pipe_reply) ||
	    pthread_create(&t, NULL, w_second, NULL) ||
	    pthread_create(&t, NULL, w_toucher, NULL))
		_exit(90);
}

static void w_hello(void)
{
	struct reply r = { 0 };

	r.v[0] = mxvm_endpoint(w_fd);
	r.v[1] = (uintptr_t)w_arena;
	r.ret = r.v[0] ? 0 : -1;
	send(w_sock, &r, sizeof(r), 0);
}

/* Receive a command and, for C_FORK, the socket the child will serve. */
static ssize_t w_recv(struct cmd *c, int *fdp)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { c, sizeof(*c) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *cm;
	ssize_t n = recvmsg(w_sock, &msg, 0);

	*fdp = -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (n > 0 && cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(fdp, CMSG_DATA(cm), sizeof(int));
	return n;
}

static void __attribute__((noreturn)) w_main(int sock, bool forked)
{
	struct sigaction sa = {
		.sa_sigaction = w_signal,
		.sa_flags = SA_SIGINFO | SA_NODEFER,
	};
	struct reply r;
	struct cmd c;
	int fd;

	w_sock = sock;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	if (forked) {
		/* The parent's file holds its handles: use one of our own. */
		close(w_fd);
		/* That was the parent thread's make-it-fail. */
		if (w_mif >= 0)
			close(w_mif);
		w_mif = -1;
		pthread_mutex_init(&w_lock, NULL);
	} else {
		w_arena = mmap(NULL, NREG * REG_STRIDE * PS, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (w_arena == MAP_FAILED)
			_exit(91);
	}
	w_fd = open("/dev/minixvm", O_RDWR | O_CLOEXEC);
	if (w_fd < 0)
		_exit(92);
	/* Its own open file: flock() locks are per open file. */
	if (w_fi_lock > 0)
		close(w_fi_lock);
	w_fi_lock = open("/tmp/minixvm-stress.lock", O_RDWR | O_CREAT | O_CLOEXEC,
			 0600);
	if (w_fi_lock < 0)
		_exit(95);
	w_threads();
	w_hello();

	while (w_recv(&c, &fd) == sizeof(c)) {
		if (c.op == C_EXIT)
			_exit(0);
		if (c.op == C_FORK) {
			pid_t pid = fork();

			if (pid == 0) {
				close(w_sock);
				w_main(fd, true);
			}
			close(fd);
			memset(&r, 0, sizeof(r));
			r.ret = pid > 0 ? 0 : -1;
			r.err = pid > 0 ? 0 : errno;
			r.v[0] = pid;
		} else if (c.thread) {
			if (write(w_pipe_cmd[1], &c, sizeof(c)) != sizeof(c) ||
			    read(w_pipe_reply[0], &r, sizeof(r)) != sizeof(r))
				_exit(93);
		} else {
			w_exec(&c, &r);
		}
		if (send(w_sock, &r, sizeof(r), 0) != sizeof(r))
			_exit(94);
	}
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* The model. */

struct via {
	uint32_t ep;
	uint32_t gid;
};

/*
 * One slot's part in one mapping through a grant.  A mapping is what the
 * module keeps one record for: the slots of one region that carry the
 * same @mid, always a run of consecutive pages.  Revocations end whole
 * mappings and count them.
 */
struct mrec {
	uint32_t mid;		/* the mapping */
	int owner;		/* the direct grant: its process ... */
	uint32_t gid;		/* ... and id */
	int nvia;
	struct via via[6];
	uint64_t dst_addr;	/* where its SAFEMAP started, or NO_ADDR */
	uint64_t src_addr;	/* the owner's address of the page */
};

#define NO_ADDR		(~0ULL)

/* The records of one slot. */
struct mrecs {
	int n, cap;
	struct mrec *v;
};

struct mreg {
	bool used;
	bool handle;		/* its id is still in the process's file */
	bool creator;		/* the process may mmap() it */
	bool writable;
	uint32_t id;
	uint64_t offset;
	int np;
	bool mapped[NPG];
	bool ro[NPG];
	int cell[NPG];
	struct mrecs recs[NPG];
};

struct mgrant {
	bool used;
	bool indirect;
	uint32_t gid;
	uint32_t to;
	uint32_t access;
	uint64_t start, len;
	uint32_t from, from_gid;
};

struct mproc {
	bool alive;
	pid_t pid;
	int sock;
	uint32_t ep;
	uint64_t arena;
	struct mreg reg[NREG];
	struct mgrant grant[NGRANT];
	uint32_t stale_gid;	/* a gid it revoked, for EPERM checks */
	bool hole[NREG * REG_STRIDE];	/* unmapped, no placeholder */
};

struct op {
	uint8_t kind;
	uint32_t x[9];
};

struct run {
	struct __test_metadata *md;
	struct mproc proc[NPROC];
	uint64_t *cellv;
	int ncells, cellcap;
	uint32_t dead[NDEAD];
	int ndead;
	uint64_t next_tag;
	uint32_t next_mid;
	bool inject;
	bool verbose;		/* print each operation (the shrunk replay) */
	/* what happened */
	unsigned long done, skipped, injected, checked, by_kind[C_NR];
	char failure[512];
};

static void fail(struct run *m, const char *fmt, ...)
{
	va_list ap;

	if (m->failure[0])
		return;
	va_start(ap, fmt);
	vsnprintf(m->failure, sizeof(m->failure), fmt, ap);
	va_end(ap);
}

static int cell_new(struct run *m, uint64_t v)
{
	if (m->ncells == m->cellcap) {
		m->cellcap = m->cellcap ? 2 * m->cellcap : 4096;
		m->cellv = realloc(m->cellv, m->cellcap * sizeof(*m->cellv));
		if (!m->cellv)
			abort();
	}
	m->cellv[m->ncells] = v;
	return m->ncells++;
}

static uint64_t page_addr(struct run *m, int p, int r, int i)
{
	return m->proc[p].arena + ((uint64_t)r * REG_STRIDE + i) * PS;
}

/* The process, region and page at an address, if a region page is mapped. */
static bool addr_slot(struct run *m, int p, uint64_t addr, int *r, int *i)
{
	uint64_t pg;

	if (addr < m->proc[p].arena)
		return false;
	pg = (addr - m->proc[p].arena) / PS;
	*r = pg / REG_STRIDE;
	*i = pg % REG_STRIDE;
	return *r < NREG && m->proc[p].reg[*r].used &&
	       *i < m->proc[p].reg[*r].np && m->proc[p].reg[*r].mapped[*i];
}

static bool range_mapped(struct run *m, int p, uint64_t addr, int n)
{
	int r, i;

	for (int k = 0; k < n; k++)
		if (!addr_slot(m, p, addr + k * PS, &r, &i))
			return false;
	return true;
}

/*
 * What resolving a range says, in address order: EFAULT at a hole, EINVAL
 * at memory that is not minixvm's (the arena's placeholders), else 0.
 */
static int range_err(struct run *m, int p, uint64_t addr, int n)
{
	int r, i;

	for (int k = 0; k < n; k++) {
		uint64_t a = addr + k * PS;

		if (addr_slot(m, p, a, &r, &i))
			continue;
		return m->proc[p].hole[(a - m->proc[p].arena) / PS] ?
		       EFAULT : EINVAL;
	}
	return 0;
}

static void set_hole(struct run *m, int p, uint64_t addr, int n, bool hole)
{
	for (int k = 0; k < n; k++)
		m->proc[p].hole[(addr - m->proc[p].arena) / PS + k] = hole;
}

static bool slot_has(struct mreg *g, int i, uint32_t mid)
{
	for (int k = 0; k < g->recs[i].n; k++)
		if (g->recs[i].v[k].mid == mid)
			return true;
	return false;
}

/*
 * Slot @i leaves every mapping.  A mapping it cuts in two becomes two, as
 * the module's record does: the pages after the cut get a mapping of
 * their own.
 */
static void recs_cut(struct run *m, int p, int r, int i)
{
	struct mreg *g = &m->proc[p].reg[r];

	for (int k = 0; k < g->recs[i].n; k++) {
		uint32_t mid = g->recs[i].v[k].mid, tail = ++m->next_mid;

		for (int j = i + 1; j < NPG && slot_has(g, j, mid); j++)
			for (int q = 0; q < g->recs[j].n; q++)
				if (g->recs[j].v[q].mid == mid)
					g->recs[j].v[q].mid = tail;
	}
	g->recs[i].n = 0;
}

static void rec_add(struct run *m, int p, int r, int i, const struct mrec *e)
{
	struct mrecs *rs = &m->proc[p].reg[r].recs[i];

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 4;
		rs->v = realloc(rs->v, rs->cap * sizeof(*rs->v));
		if (!rs->v)
			abort();
	}
	rs->v[rs->n++] = *e;
}

static void region_free_recs(struct mreg *g)
{
	for (int i = 0; i < NPG; i++) {
		free(g->recs[i].v);
		g->recs[i] = (struct mrecs){ 0 };
	}
}

/* A mapping ends at a slot: a private copy, writable if the region is. */
static void slot_unshare(struct run *m, int p, int r, int i)
{
	struct mreg *g = &m->proc[p].reg[r];

	g->cell[i] = cell_new(m, m->cellv[g->cell[i]]);
	g->ro[i] = false;
	recs_cut(m, p, r, i);
}

/*
 * End every mapping that @match selects on any of its pages: each slot of
 * such a mapping gets a private copy, and with that none of its records is
 * a mapping any more.  Returns how many mappings ended.
 */
static int recs_end(struct run *m,
		    bool (*match)(int p, struct mrec *, void *), void *arg)
{
	uint32_t ended[NPG * 16];
	int n = 0, total = 0;

	for (int p = 0; p < NPROC; p++) {
		for (int r = 0; r < NREG; r++) {
			struct mreg *g = &m->proc[p].reg[r];
			bool end[NPG] = { false };

			if (!m->proc[p].alive || !g->used)
				continue;
			/* Which mappings of this region end ... */
			n = 0;
			for (int i = 0; i < g->np; i++) {
				struct mrecs *rs = &g->recs[i];

				for (int k = 0; k < rs->n; k++) {
					uint32_t mid = rs->v[k].mid;
					int j;

					if (!match(p, &rs->v[k], arg))
						continue;
					for (j = 0; j < n && ended[j] != mid; j++)
						;
					if (j == n && n < (int)(sizeof(ended) /
								sizeof(*ended)))
						ended[n++] = mid;
				}
			}
			/* ... then every page of them, all at once. */
			for (int i = 0; i < g->np; i++)
				for (int j = 0; j < n; j++)
					end[i] |= slot_has(g, i, ended[j]);
			for (int i = 0; i < g->np; i++)
				if (end[i])
					slot_unshare(m, p, r, i);
			total += n;
		}
	}
	return total;
}

struct grant_ref {
	int owner;
	uint32_t ep;
	uint32_t gid;
	bool indirect;
	uint64_t addr, len;
};

static bool match_grant(int p, struct mrec *e, void *arg)
{
	struct grant_ref *g = arg;

	if (!g->indirect)
		return e->owner == g->owner && e->gid == g->gid;
	for (int k = 0; k < e->nvia; k++)
		if (e->via[k].ep == g->ep && e->via[k].gid == g->gid)
			return true;
	return false;
}

static bool match_src(int p, struct mrec *e, void *arg)
{
	struct grant_ref *g = arg;

	return e->owner == g->owner && e->src_addr < g->addr + g->len &&
	       g->addr < e->src_addr + PS;
}

static bool match_dst(int p, struct mrec *e, void *arg)
{
	struct grant_ref *g = arg;

	return p == g->owner && e->dst_addr == g->addr;
}

static int proc_of_ep(struct run *m, uint32_t ep)
{
	for (int p = 0; p < NPROC; p++)
		if (m->proc[p].alive && m->proc[p].ep == ep)
			return p;
	return -1;
}

static struct mgrant *grant_of(struct run *m, int p, uint32_t gid)
{
	for (int k = 0; k < NGRANT; k++)
		if (m->proc[p].grant[k].used && m->proc[p].grant[k].gid == gid)
			return &m->proc[p].grant[k];
	return NULL;
}

/*
 * MINIX verify_grant(), as the model sees it: follow (@granter, @gid) for
 * @user asking @access over [@off, @off + @len).  Returns 0 or -errno;
 * the owner, the direct grant and the chain on success.
 */
static int chain_follow(struct run *m, int user, uint32_t granter,
			uint32_t gid, uint64_t off, uint64_t len,
			uint32_t access, int *owner, struct mgrant **direct,
			struct via *via, int *nvia)
{
	uint32_t who = m->proc[user].ep;
	struct mgrant *g;
	int p;

	*nvia = 0;
	for (;;) {
		p = proc_of_ep(m, granter);
		/* Every number the model names was given out once. */
		if (p < 0)
			return -ESRCH;
		g = grant_of(m, p, gid);
		if (!g)
			return -EPERM;
		if (*nvia == 6)
			return -ELOOP;
		via[*nvia].ep = granter;
		via[*nvia].gid = gid;
		(*nvia)++;
		if (g->to != MINIXVM_ANY && g->to != who)
			return -EPERM;
		if ((g->access & access) != access)
			return -EPERM;
		if (!g->indirect)
			break;
		who = granter;
		granter = g->from;
		gid = g->from_gid;
	}
	if (off > g->len || len > g->len - off)
		return -EPERM;
	*owner = p;
	*direct = g;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Talking to the workers. */

static bool send_cmd(struct run *m, int p, struct cmd *c, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { c, sizeof(*c) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(m->proc[p].sock, &msg, 0) == sizeof(*c);
}

static bool recv_reply(struct run *m, int sock, struct reply *r)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };

	/* Generous: the debug kernel under TCG is slow, but never this. */
	if (poll(&pfd, 1, 120000) != 1)
		return false;
	return recv(sock, r, sizeof(*r), 0) == sizeof(*r);
}

/*
 * Wait until a process is gone, mm and all: its exit (exit_mmap(), which
 * ends its endpoint) is done once its pidfd polls readable.  It may be a
 * worker's child rather than ours.
 */
static void wait_gone(pid_t pid)
{
	struct pollfd pfd = { .events = POLLIN };

	pfd.fd = syscall(SYS_pidfd_open, pid, 0);
	if (pfd.fd >= 0) {
		poll(&pfd, 1, 120000);
		close(pfd.fd);
	}
	/* A child of ours, or one the subreaper got: reap it. */
	waitpid(pid, NULL, WNOHANG);
}

static bool call(struct run *m, int p, struct cmd *c, struct reply *r)
{
	if (!send_cmd(m, p, c, -1) || !recv_reply(m, m->proc[p].sock, r)) {
		fail(m, "process %d (pid %d) does not answer %s", p,
		     m->proc[p].pid, cmd_name[c->op]);
		return false;
	}
	if (m->verbose) {
		printf("#   process %d (endpoint %u) thread %u: %s(",
		       p, m->proc[p].ep, c->thread, cmd_name[c->op]);
		for (int k = 0; k < 6; k++)
			printf("%s%#llx", k ? ", " : "",
			       (unsigned long long)c->a[k]);
		printf(")%s -> %d %s, out %#llx %#llx\n",
		       c->fail_nth ? " with an allocation failing" : "",
		       r->ret, r->ret ? strerror(r->err) : "",
		       (unsigned long long)r->v[0],
		       (unsigned long long)r->v[1]);
	}
	return true;
}

static int spawn(struct run *m, int p)
{
	struct mproc *pr = &m->proc[p];
	struct reply r;
	pid_t pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	pr->pid = fork();
	if (pr->pid == 0) {
		close(sv[0]);
		w_main(sv[1], false);
	}
	close(sv[1]);
	pid = pr->pid;
	memset(pr, 0, sizeof(*pr));
	pr->pid = pid;
	pr->sock = sv[0];
	if (!recv_reply(m, pr->sock, &r) || r.ret) {
		fail(m, "a new worker did not start");
		return -1;
	}
	pr->ep = r.v[0];
	pr->arena = r.v[1];
	pr->stale_gid = 0;
	pr->alive = true;
	return 0;
}

static void reap(struct run *m)
{
	for (int p = 0; p < NPROC; p++) {
		if (!m->proc[p].alive)
			continue;
		kill(m->proc[p].pid, SIGKILL);
		wait_gone(m->proc[p].pid);
		close(m->proc[p].sock);
		m->proc[p].alive = false;
	}
	/* Workers whose parent worker exited came to us (subreaper). */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* ------------------------------------------------------------------ */
/* The operations: each interprets its random numbers in today's state. */

static int pick_proc(struct run *m, uint32_t x)
{
	int alive[NPROC], n = 0;

	for (int p = 0; p < NPROC; p++)
		if (m->proc[p].alive)
			alive[n++] = p;
	return n ? alive[x % n] : -1;
}

static int pick_region(struct run *m, int p, uint32_t x)
{
	int used[NREG], n = 0;

	for (int r = 0; r < NREG; r++)
		if (m->proc[p].reg[r].used)
			used[n++] = r;
	return n ? used[x % n] : -1;
}

/* A page range of a region: mostly mapped pages, sometimes not. */
static void pick_range(struct run *m, int p, int r, uint32_t x, uint32_t y,
		       int maxn, int *i, int *n)
{
	struct mreg *g = &m->proc[p].reg[r];

	*i = x % g->np;
	*n = 1 + y % (g->np - *i);
	if (*n > maxn)
		*n = maxn;
}

/* Any live grant another process may use, or a stale one. */
static bool pick_grant(struct run *m, int user, uint32_t x, int *owner,
		       uint32_t *gid)
{
	int cand_p[NPROC * NGRANT], n = 0;
	uint32_t cand_g[NPROC * NGRANT];

	for (int p = 0; p < NPROC; p++) {
		if (!m->proc[p].alive || p == user)
			continue;
		for (int k = 0; k < NGRANT; k++) {
			struct mgrant *g = &m->proc[p].grant[k];

			if (g->used && (g->to == m->proc[user].ep ||
					g->to == MINIXVM_ANY ||
					(x >> 24) % 16 == 0)) {
				cand_p[n] = p;
				cand_g[n++] = g->gid;
			}
		}
		if (m->proc[p].stale_gid && (x >> 20) % 8 == 0) {
			cand_p[n] = p;
			cand_g[n++] = m->proc[p].stale_gid;
		}
	}
	if (!n)
		return false;
	*owner = cand_p[x % n];
	*gid = cand_g[x % n];
	return true;
}

static struct mgrant *free_grant(struct run *m, int p)
{
	for (int k = 0; k < NGRANT; k++)
		if (!m->proc[p].grant[k].used)
			return &m->proc[p].grant[k];
	return NULL;
}

static int count_alive(struct run *m)
{
	int n = 0;

	for (int p = 0; p < NPROC; p++)
		n += m->proc[p].alive;
	return n;
}

/* Expect @r to be @want (0 or an errno); an injected ENOMEM also does. */
static bool expect(struct run *m, const struct cmd *c, const struct reply *r,
		   int want, const char *what)
{
	int got = r->ret ? r->err : 0;

	if (c->fail_nth && r->injected) {
		m->injected++;
		if (got == ENOMEM)
			return false;	/* the model must not change */
		fail(m, "%s: an injected failure gave %d (%s), not ENOMEM",
		     what, got, strerror(got));
		return false;
	}
	if (got != want) {
		fail(m, "%s: expected %d (%s), got %d (%s)", what, want,
		     want ? strerror(want) : "success", got,
		     got >= 1000 ? (got == SEGV_ERR ? "SIGSEGV" : "SIGBUS") :
		     strerror(got));
		return false;
	}
	return want == 0;
}

static void check_read(struct run *m, int p, int r, int i, int n,
		       const struct reply *rep, const char *what)
{
	struct mreg *g = &m->proc[p].reg[r];

	for (int k = 0; k < n; k++) {
		uint64_t want = m->cellv[g->cell[i + k]];

		m->checked++;
		if (rep->v[2 * k] != want || rep->v[2 * k + 1] != want) {
			fail(m, "%s: page %d:%d:%d reads %#llx/%#llx, model %#llx",
			     what, p, r, i + k,
			     (unsigned long long)rep->v[2 * k],
			     (unsigned long long)rep->v[2 * k + 1],
			     (unsigned long long)want);
			return;
		}
	}
}

static void proc_gone(struct run *m, int p)
{
	struct mproc *pr = &m->proc[p];
	struct grant_ref ref = { .owner = p, .ep = pr->ep };

	/* Its grants are revoked: every mapping through them ends. */
	for (int k = 0; k < NGRANT; k++) {
		if (!pr->grant[k].used)
			continue;
		ref.gid = pr->grant[k].gid;
		ref.indirect = pr->grant[k].indirect;
		recs_end(m, match_grant, &ref);
	}
	/* Its own records go with its regions. */
	for (int r = 0; r < NREG; r++) {
		region_free_recs(&pr->reg[r]);
		pr->reg[r].used = false;
	}
	if (m->ndead < NDEAD)
		m->dead[m->ndead++] = pr->ep;
	else
		m->dead[pr->ep % NDEAD] = pr->ep;
	pr->alive = false;
	close(pr->sock);
	wait_gone(pr->pid);
}

/* A region slot: free its model state once nothing holds it. */
static void region_maybe_gone(struct run *m, int p, int r)
{
	struct mreg *g = &m->proc[p].reg[r];

	if (g->handle)
		return;
	for (int i = 0; i < g->np; i++)
		if (g->mapped[i])
			return;
	region_free_recs(g);
	g->used = false;
}

static void map_model(struct run *m, int sp, int sr, int si, int dp, int dr,
		      int di, int n, uint32_t mode, const struct mrec *tmpl)
{
	struct mreg *s = &m->proc[sp].reg[sr], *d = &m->proc[dp].reg[dr];
	uint32_t from[NPG * 16], to[NPG * 16], mid = ++m->next_mid;
	int nfrom = 0;

	for (int k = 0; k < n; k++)
		recs_cut(m, dp, dr, di + k);
	for (int k = 0; k < n; k++) {
		int sc = s->cell[si + k];

		if (mode == MINIXVM_MAP_COW)
			d->cell[di + k] = cell_new(m, m->cellv[sc]);
		else
			d->cell[di + k] = sc;
		d->ro[di + k] = mode == MINIXVM_MAP_READONLY;
		if (tmpl) {
			struct mrec e = *tmpl;

			e.mid = mid;
			e.src_addr = page_addr(m, sp, sr, si + k);
			rec_add(m, dp, dr, di + k, &e);
		}
	}
	if (mode == MINIXVM_MAP_COW)
		return;
	/*
	 * Granted-in source pages shared onward take their records along:
	 * each source mapping the range covers gives one new mapping.
	 */
	for (int k = 0; k < n; k++) {
		struct mrecs *rs = &s->recs[si + k];

		for (int j = 0; j < rs->n; j++) {
			struct mrec e = rs->v[j];
			int q;

			for (q = 0; q < nfrom && from[q] != e.mid; q++)
				;
			if (q == nfrom) {
				if (nfrom == (int)(sizeof(from) / sizeof(*from)))
					abort();
				from[nfrom] = e.mid;
				to[nfrom++] = ++m->next_mid;
			}
			e.mid = to[q];
			e.dst_addr = tmpl ? tmpl->dst_addr : NO_ADDR;
			rec_add(m, dp, dr, di + k, &e);
		}
	}
}

static const uint32_t modes[3] = {
	MINIXVM_MAP_SHARED, MINIXVM_MAP_READONLY, MINIXVM_MAP_COW,
};

/*
 * Run one operation.  Returns false if it could not apply in this state
 * (skipped) or a failure was found (m->failure).
 */
static bool step(struct run *m, const struct op *o)
{
	struct cmd c = { .op = o->kind, .thread = o->x[8] % 4 == 0 };
	const uint32_t *x = o->x;
	struct reply rep;
	char what[160];
	int p, r, i, n;

	if (m->inject && o->x[7] % 8 == 0)
		c.fail_nth = 1 + (o->x[7] >> 8) % 6;
	p = pick_proc(m, x[0]);
	if (p < 0)
		return false;
	if (pick_region(m, p, 0) < 0 && c.op != C_FORK && c.op != C_EXIT &&
	    c.op != C_GRANT_IND && c.op != C_REVOKE && c.op != C_REVMAP &&
	    c.op != C_COPY_FROM && c.op != C_COPY_TO)
		c.op = C_CREATE;	/* nothing to work on yet */
	snprintf(what, sizeof(what), "%s by process %d", cmd_name[c.op], p);

	switch (c.op) {
	case C_CREATE: {
		struct mreg *g;

		for (r = 0; r < NREG && m->proc[p].reg[r].used; r++)
			;
		if (r == NREG)
			return false;
		g = &m->proc[p].reg[r];
		c.a[0] = r;
		c.a[1] = 1 + x[1] % NPG;
		c.a[2] = x[2] % 8 != 0;
		if (!call(m, p, &c, &rep) || !expect(m, &c, &rep, 0, what))
			break;
		memset(g, 0, sizeof(*g));
		g->used = true;
		g->handle = true;
		g->creator = true;
		g->writable = c.a[2];
		g->np = c.a[1];
		g->id = rep.v[0];
		g->offset = rep.v[1];
		for (i = 0; i < g->np; i++) {
			g->mapped[i] = true;
			g->cell[i] = cell_new(m, 0);
		}
		set_hole(m, p, page_addr(m, p, r, 0), g->np, false);
		break;
	}
	case C_DESTROY:
		r = pick_region(m, p, x[1]);
		if (r < 0 || !m->proc[p].reg[r].handle)
			return false;
		c.a[0] = m->proc[p].reg[r].id;
		if (!call(m, p, &c, &rep) || !expect(m, &c, &rep, 0, what))
			break;
		m->proc[p].reg[r].handle = false;
		region_maybe_gone(m, p, r);
		break;
	case C_MUNMAP:
		r = pick_region(m, p, x[1]);
		if (r < 0)
			return false;
		pick_range(m, p, r, x[2], x[3], NPG, &i, &n);
		c.a[0] = page_addr(m, p, r, i);
		c.a[1] = n * PS;
		c.a[2] = x[4] % 2;
		if (!call(m, p, &c, &rep) || !expect(m, &c, &rep, 0, what))
			break;
		for (int k = 0; k < n; k++)
			m->proc[p].reg[r].mapped[i + k] = false;
		set_hole(m, p, c.a[0], n, !c.a[2]);
		region_maybe_gone(m, p, r);
		break;
	case C_MMAP: {
		struct mreg *g;

		r = pick_region(m, p, x[1]);
		if (r < 0)
			return false;
		g = &m->proc[p].reg[r];
		pick_range(m, p, r, x[2], x[3], NPG, &i, &n);
		for (int k = 0; k < n; k++)
			if (g->mapped[i + k])
				return false;
		if (!g->creator || !g->handle)
			return false;
		c.a[0] = page_addr(m, p, r, i);
		c.a[1] = n * PS;
		c.a[2] = g->offset + i * PS;
		c.a[3] = g->writable;
		if (!call(m, p, &c, &rep) || !expect(m, &c, &rep, 0, what))
			break;
		for (int k = 0; k < n; k++)
			g->mapped[i + k] = true;
		set_hole(m, p, c.a[0], n, false);
		break;
	}
	case C_WRITE: {
		struct mreg *g;
		int want;

		c.fail_nth = 0;
		r = pick_region(m, p, x[1]);
		if (r < 0)
			return false;
		g = &m->proc[p].reg[r];
		i = x[2] % g->np;
		if (!g->mapped[i])
			return false;
		c.a[0] = page_addr(m, p, r, i);
		c.a[1] = ++m->next_tag;
		want = g->writable && !g->ro[i] ? 0 : SEGV_ERR;
		if (!call(m, p, &c, &rep) || !expect(m, &c, &rep, want, what))
			break;
		m->cellv[g->cell[i]] = c.a[1];
		break;
	}
	case C_READ: {
		struct mreg *g;

		c.fail_nth = 0;
		r = pick_region(m, p, x[1]);
		if (r < 0)
			return false;
		g = &m->proc[p].reg[r];
		/* Every mapped page of the region, in runs. */
		for (i = 0; i < g->np; i += n) {
			for (n = 0; i + n < g->np && g->mapped[i + n]; n++)
				;
			if (!n) {
				n = 1;
				continue;
			}
			c.a[0] = page_addr(m, p, r, i);
			c.a[1] = n;
			if (!call(m, p, &c, &rep) ||
			    !expect(m, &c, &rep, 0, what))
				return true;
			check_read(m, p, r, i, n, &rep, what);
		}
		break;
	}
	case C_MAP:
	case C_UNMAP: {
		int sr, si, dr, di, want = 0;
		uint32_t mode = modes[x[6] % 3];
		struct mreg *s, *d;

		sr = pick_region(m, p, x[1]);
		dr = pick_region(m, p, x[2]);
		if (sr < 0 || dr < 0)
			return false;
		s = &m->proc[p].reg[sr];
		d = &m->proc[p].reg[dr];
		pick_range(m, p, sr, x[3], x[5], NPG, &si, &n);
		di = x[4] % d->np;
		if (n > d->np - di)
			n = d->np - di;
		if (c.op == C_UNMAP) {
			c.a[0] = page_addr(m, p, sr, si);
			c.a[1] = n * PS;
			want = range_err(m, p, c.a[0], n);
			if (!call(m, p, &c, &rep) ||
			    !expect(m, &c, &rep, want, what))
				break;
			for (int k = 0; k < n; k++)
				slot_unshare(m, p, sr, si + k);
			break;
		}
		c.a[0] = page_addr(m, p, sr, si);
		c.a[1] = page_addr(m, p, dr, di);
		c.a[2] = n * PS;
		c.a[3] = mode;
		/* Overlapping addresses first, then each range resolved. */
		if (sr == dr && si < di + n && di < si + n)
			want = EINVAL;
		if (!want)
			want = range_err(m, p, c.a[0], n);
		if (!want)
			want = range_err(m, p, c.a[1], n);
		if (!want && mode == MINIXVM_MAP_SHARED) {
			bool ro = !s->writable;

			for (int k = 0; k < n; k++)
				ro |= s->ro[si + k];
			want = ro ? EACCES : 0;
		}
		snprintf(what, sizeof(what),
			 "map mode %u process %d %d:%d -> %d:%d x%d", mode, p,
			 sr, si, dr, di, n);
		if (!call(m, p, &c, &rep) || !expect(m, &c, &rep, want, what))
			break;
		map_model(m, p, sr, si, p, dr, di, n, mode, NULL);
		break;
	}
	case C_GRANT: {
		struct mgrant *g = free_grant(m, p);
		uint32_t access = 1 + x[4] % 7;
		int to, want = 0;

		if (!g)
			return false;
		r = pick_region(m, p, x[1]);
		if (r < 0)
			return false;
		pick_range(m, p, r, x[2], x[3], NPG, &i, &n);
		to = pick_proc(m, x[5]);
		c.a[0] = x[6] % 4 == 0 ? MINIXVM_ANY :
			 x[6] % 16 == 1 && m->ndead ? m->dead[x[6] % m->ndead] :
			 m->proc[to].ep;
		c.a[1] = page_addr(m, p, r, i);
		c.a[2] = n * PS;
		c.a[3] = access;
		if ((access & MINIXVM_GRANT_MAP) &&
		    !range_mapped(m, p, c.a[1], n))
			want = EINVAL;
		else if (c.a[0] != MINIXVM_ANY && proc_of_ep(m, c.a[0]) < 0)
			want = ESRCH;
		if (!call(m, p, &c, &rep) || !expect(m, &c, &rep, want, what))
			break;
		memset(g, 0, sizeof(*g));
		g->used = true;
		g->gid = rep.v[0];
		g->to = c.a[0];
		g->access = access;
		g->start = c.a[1];
		g->len = c.a[2];
		break;
	}
	case C_GRANT_IND: {
		struct mgrant *g = free_grant(m, p), *direct;
		struct via via[6];
		int owner, from, to, nvia, want;
		uint32_t gid, access = 1 + x[4] % 7;

		if (!g || !pick_grant(m, p, x[1], &from, &gid))
			return false;
		to = pick_proc(m, x[5]);
		c.a[0] = x[6] % 4 == 0 ? MINIXVM_ANY : m->proc[to].ep;
		c.a[1] = m->proc[from].ep;
		c.a[2] = gid;
		c.a[3] = access;
		want = -chain_follow(m, p, c.a[1], gid, 0, 0, access, &owner,
				     &direct, via, &nvia);
		if (!want && nvia == 6)
			want = ELOOP;
		if (!call(m, p, &c, &rep) || !expect(m, &c, &rep, want, what))
			break;
		memset(g, 0, sizeof(*g));
		g->used = true;
		g->indirect = true;
		g->gid = rep.v[0];
		g->to = c.a[0];
		g->access = access;
		g->from = c.a[1];
		g->from_gid = gid;
		break;
	}
	case C_REVOKE:
	case C_REVMAP: {
		struct grant_ref ref = { .owner = p, .ep = m->proc[p].ep };
		struct mgrant *g = NULL;
		int k, used[NGRANT], nu = 0, want = 0, ended;

		for (k = 0; k < NGRANT; k++)
			if (m->proc[p].grant[k].used)
				used[nu++] = k;
		if (nu && x[1] % 8)
			g = &m->proc[p].grant[used[x[2] % nu]];
		if (!g && !m->proc[p].stale_gid)
			return false;
		c.a[0] = g ? g->gid : m->proc[p].stale_gid;
		if (!g)
			want = EPERM;
		if (!call(m, p, &c, &rep) || !expect(m, &c, &rep, want, what))
			break;
		ref.gid = g->gid;
		ref.indirect = g->indirect;
		/*
		 * An indirect grant whose chain is broken has nothing left:
		 * a revocation of a link ended every mapping through it.
		 */
		ended = recs_end(m, match_grant, &ref);
		if (ended != (int)rep.v[0])
			fail(m, "%s: %llu mappings ended, the model ends %d",
			     what, (unsigned long long)rep.v[0], ended);
		if (c.op == C_REVOKE) {
			m->proc[p].stale_gid = g->gid;
			g->used = false;
		}
		break;
	}
	case C_REVMAP_ADDR: {
		struct grant_ref ref = { .owner = p };
		int ended;

		r = pick_region(m, p, x[1]);
		if (r < 0)
			return false;
		pick_range(m, p, r, x[2], x[3], NPG, &i, &n);
		ref.addr = page_addr(m, p, r, i);
		ref.len = n * PS;
		c.a[0] = ref.addr;
		c.a[1] = ref.len;
		if (!call(m, p, &c, &rep) || !expect(m, &c, &rep, 0, what))
			break;
		ended = recs_end(m, match_src, &ref);
		if (ended != (int)rep.v[0])
			fail(m, "%s: %llu mappings ended, the model ends %d",
			     what, (unsigned long long)rep.v[0], ended);
		break;
	}
	case C_SAFEMAP: {
		struct mgrant *direct;
		struct mrec tmpl = { 0 };
		uint32_t gid, mode = modes[x[6] % 3];
		uint32_t access = MINIXVM_GRANT_READ | MINIXVM_GRANT_MAP;
		int from, owner = -1, want, orr, ori;
		uint64_t off, src;

		if (mode == MINIXVM_MAP_SHARED)
			access |= MINIXVM_GRANT_WRITE;
		if (!pick_grant(m, p, x[1], &from, &gid))
			return false;
		r = pick_region(m, p, x[2]);
		if (r < 0)
			return false;
		pick_range(m, p, r, x[3], x[4], NPG, &i, &n);
		off = (x[5] % NPG) * PS;
		c.a[0] = m->proc[from].ep;
		c.a[1] = gid;
		c.a[2] = off;
		c.a[3] = page_addr(m, p, r, i);
		c.a[4] = n * PS;
		c.a[5] = mode;
		want = -chain_follow(m, p, c.a[0], gid, off, n * PS, access,
				     &owner, &direct, tmpl.via, &tmpl.nvia);
		if (!want && owner == p)
			return false;	/* not from its own memory */
		src = want ? 0 : direct->start + off;
		if (!want)
			want = range_err(m, owner, src, n);
		if (!want)
			want = range_err(m, p, c.a[3], n);
		if (!want && mode == MINIXVM_MAP_SHARED) {
			for (int k = 0; k < n; k++) {
				addr_slot(m, owner, src + k * PS, &orr, &ori);
				if (!m->proc[owner].reg[orr].writable ||
				    m->proc[owner].reg[orr].ro[ori])
					want = EACCES;
			}
		}
		snprintf(what, sizeof(what),
			 "safemap mode %u by process %d of %d's gid %#x off %llu x%d",
			 mode, p, from, gid, (unsigned long long)off, n);
		if (!call(m, p, &c, &rep) || !expect(m, &c, &rep, want, what))
			break;
		addr_slot(m, owner, src, &orr, &ori);
		tmpl.owner = owner;
		tmpl.gid = direct->gid;
		tmpl.dst_addr = c.a[3];
		map_model(m, owner, orr, ori, p, r, i, n, mode, &tmpl);
		break;
	}
	case C_SAFEUNMAP: {
		struct grant_ref ref = { .owner = p };
		int ended;

		r = pick_region(m, p, x[1]);
		if (r < 0)
			return false;
		i = x[2] % m->proc[p].reg[r].np;
		ref.addr = page_addr(m, p, r, i);
		c.a[0] = ref.addr;
		if (!call(m, p, &c, &rep) || !expect(m, &c, &rep, 0, what))
			break;
		ended = recs_end(m, match_dst, &ref);
		if (ended != (int)rep.v[0])
			fail(m, "%s: %llu mappings ended, the model ends %d",
			     what, (unsigned long long)rep.v[0], ended);
		break;
	}
	case C_COPY_FROM:
	case C_COPY_TO: {
		bool to = c.op == C_COPY_TO;
		uint32_t gid, access = to ? MINIXVM_GRANT_WRITE :
					    MINIXVM_GRANT_READ;
		struct mgrant *direct;
		struct via via[6];
		int from, owner, nvia, want, orr, ori;
		uint64_t off, src = 0;

		if (!pick_grant(m, p, x[1], &from, &gid))
			return false;
		off = (x[2] % NPG) * PS;
		c.a[0] = m->proc[from].ep;
		c.a[1] = gid;
		c.a[2] = off;
		c.a[3] = ++m->next_tag;
		want = -chain_follow(m, p, c.a[0], gid, off, PS, access,
				     &owner, &direct, via, &nvia);
		if (!want) {
			src = direct->start + off;
			if (!addr_slot(m, owner, src, &orr, &ori))
				want = EFAULT;
			else if (to && (!m->proc[owner].reg[orr].writable ||
					m->proc[owner].reg[orr].ro[ori]))
				want = EFAULT;
		}
		if (!call(m, p, &c, &rep) || !expect(m, &c, &rep, want, what))
			break;
		if (to)
			m->cellv[m->proc[owner].reg[orr].cell[ori]] = c.a[3];
		else
			check_read(m, owner, orr, ori, 1, &rep, what);
		break;
	}
	case C_FORK: {
		struct mproc *pr = &m->proc[p], *ch;
		int sv[2], q;

		for (q = 0; q < NPROC && m->proc[q].alive; q++)
			;
		if (q == NPROC)
			return false;
		ch = &m->proc[q];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
			return false;
		c.thread = 0;
		c.fail_nth = 0;
		if (!send_cmd(m, p, &c, sv[1]) ||
		    !recv_reply(m, pr->sock, &rep) || rep.ret) {
			fail(m, "%s: no child", what);
			close(sv[0]);
			close(sv[1]);
			break;
		}
		close(sv[1]);
		memset(ch, 0, sizeof(*ch));
		ch->sock = sv[0];
		ch->pid = rep.v[0];
		if (!recv_reply(m, ch->sock, &rep) || rep.ret) {
			fail(m, "%s: the child did not start", what);
			close(sv[0]);
			break;
		}
		ch->ep = rep.v[0];
		if (m->verbose)
			printf("#   process %d (endpoint %u): fork() -> process %d (endpoint %u)\n",
			       p, pr->ep, q, ch->ep);
		ch->arena = pr->arena;
		memcpy(ch->hole, pr->hole, sizeof(ch->hole));
		ch->alive = true;
		/* A snapshot of every mapped page; no handle, no grant. */
		for (r = 0; r < NREG; r++) {
			struct mreg *g = &pr->reg[r], *cg = &ch->reg[r];
			bool any = false;

			if (!g->used)
				continue;
			for (i = 0; i < g->np; i++)
				any |= g->mapped[i];
			if (!any)
				continue;
			*cg = *g;
			memset(cg->recs, 0, sizeof(cg->recs));
			cg->handle = false;
			cg->creator = false;
			for (i = 0; i < g->np; i++)
				if (g->mapped[i])
					cg->cell[i] = cell_new(m, m->cellv[g->cell[i]]);
		}
		break;
	}
	case C_EXIT:
		if (count_alive(m) <= 2)
			return false;
		c.thread = 0;
		c.fail_nth = 0;
		if (m->verbose)
			printf("#   process %d (endpoint %u): exit()\n", p,
			       m->proc[p].ep);
		send_cmd(m, p, &c, -1);
		proc_gone(m, p);
		break;
	}
	if (m->failure[0])
		return false;
	/* Keep at least NPROC_START processes. */
	while (count_alive(m) < NPROC_START) {
		for (p = 0; p < NPROC && m->proc[p].alive; p++)
			;
		if (spawn(m, p))
			return false;
	}
	m->by_kind[c.op]++;
	return true;
}

/* Weights of the operations. */
static const unsigned int weight[C_NR] = {
	[C_CREATE] = 4, [C_DESTROY] = 1, [C_MUNMAP] = 2, [C_MMAP] = 3,
	[C_WRITE] = 24, [C_READ] = 16, [C_MAP] = 8, [C_UNMAP] = 3,
	[C_GRANT] = 6, [C_GRANT_IND] = 3, [C_REVOKE] = 3, [C_REVMAP] = 3,
	[C_REVMAP_ADDR] = 1, [C_SAFEMAP] = 10, [C_SAFEUNMAP] = 2,
	[C_COPY_FROM] = 3, [C_COPY_TO] = 3, [C_FORK] = 1, [C_EXIT] = 1,
};

static uint64_t rnd(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void gen(struct op *o, uint64_t *s)
{
	unsigned int total = 0, pick;

	for (int k = 0; k < C_NR; k++)
		total += weight[k];
	pick = rnd(s) % total;
	for (o->kind = 0; pick >= weight[o->kind]; o->kind++)
		pick -= weight[o->kind];
	for (int k = 0; k < 9; k++)
		o->x[k] = rnd(s);
}

/*
 * Run @ops[0..n) in fresh processes, or fewer once @target operations
 * applied (0: no target); the index of the failing op, or -1.
 */
static long replay_until(struct run *m, const struct op *ops, long n,
			 const bool *skip, unsigned long target)
{
	long k, failed = -1;

	for (int p = 0; p < NPROC; p++)
		for (int r = 0; r < NREG; r++)
			region_free_recs(&m->proc[p].reg[r]);
	memset(m->proc, 0, sizeof(m->proc));
	m->ncells = 0;
	m->next_mid = 0;
	m->ndead = 0;
	m->next_tag = 0;
	m->failure[0] = 0;
	m->done = 0;
	m->skipped = 0;
	for (int p = 0; p < NPROC_START; p++)
		if (spawn(m, p))
			break;
	for (k = 0; k < n && !m->failure[0]; k++) {
		if (target && m->done >= target)
			break;
		if (skip && skip[k])
			continue;
		if (m->verbose)
			printf("# operation %ld:\n", k);
		if (step(m, &ops[k]))
			m->done++;
		else
			m->skipped++;
		if (m->verbose && m->failure[0] == 0)
			fflush(stdout);
	}
	if (m->failure[0])
		failed = k - 1;
	reap(m);
	return failed;
}

static long replay(struct run *m, const struct op *ops, long n,
		   const bool *skip)
{
	return replay_until(m, ops, n, skip, 0);
}

/* Drop operations while the sequence still fails; print what is left. */
static void shrink(struct run *m, const struct op *ops, long n)
{
	bool *skip = calloc(n, sizeof(bool));
	time_t until = time(NULL) + 120;
	long chunk, k, left = n;
	int tries = 0;

	if (!skip)
		return;
	for (chunk = n / 2; chunk >= 1 && time(NULL) < until; chunk /= 2) {
		/* The last operation, the one that failed, stays. */
		for (k = 0; k + chunk <= n - 1 && time(NULL) < until; ) {
			bool *was = calloc(chunk, sizeof(bool));
			long j, dropped = 0;

			if (!was)
				break;
			for (j = k; j < k + chunk; j++) {
				was[j - k] = skip[j];
				dropped += !skip[j];
				skip[j] = true;
			}
			tries++;
			if (dropped && replay(m, ops, n, skip) >= 0)
				left -= dropped;
			else
				for (j = k; j < k + chunk; j++)
					skip[j] = was[j - k];
			free(was);
			k += chunk;
		}
	}
	printf("# shrunk to %ld of %ld operations in %d replays; replaying it:\n",
	       left, n, tries);
	m->verbose = true;
	replay(m, ops, n, skip);
	printf("# failure: %s\n", m->failure);
	m->verbose = false;
	free(skip);
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

FIXTURE(stress) {
	int unused;
};

FIXTURE_SETUP(stress)
{
	if (access("/dev/minixvm", R_OK | W_OK))
		SKIP(return, "no /dev/minixvm");
}

FIXTURE_TEARDOWN(stress)
{
}

struct totals {
	unsigned long done, checked, injected, by_kind[C_NR];
	bool failed;
};

/*
 * One universe: its own workers and model, @nops operations from @seed.
 * Writes its totals to @out; returns 0 if the model held throughout.
 */
static int run_universe(int u, uint64_t seed, long nops, bool fi, int out)
{
	struct run *m = calloc(1, sizeof(*m));
	struct totals t = { 0 };
	uint64_t s = seed;
	time_t t0 = time(NULL);
	struct op *ops;
	long failed, nops_drawn;

	/*
	 * @nops operations that apply: some drawn do not in the state they
	 * meet (about one in five), so draw more and stop at the count.
	 */
	nops_drawn = nops * 2 + 1000;
	ops = calloc(nops_drawn, sizeof(*ops));
	if (!m || !ops || prctl(PR_SET_CHILD_SUBREAPER, 1))
		return 1;
	for (long k = 0; k < nops_drawn; k++)
		gen(&ops[k], &s);
	m->inject = fi;
	failed = replay_until(m, ops, nops_drawn, NULL, nops);
	printf("# universe %d (seed %llu): %lu operations done, %lu did not apply,\n",
	       u, (unsigned long long)seed, m->done, m->skipped);
	printf("#   %lu pages checked, %lu failures injected, %ld s\n",
	       m->checked, m->injected, (long)(time(NULL) - t0));
	t.done = m->done;
	t.checked = m->checked;
	t.injected = m->injected;
	memcpy(t.by_kind, m->by_kind, sizeof(t.by_kind));
	t.failed = failed >= 0;
	if (failed >= 0) {
		char first[512];

		memcpy(first, m->failure, sizeof(first));
		printf("# universe %d: seed %llu, operation %ld failed: %s\n",
		       u, (unsigned long long)seed, failed, first);
		printf("# again: minixvm_stress_seed=%llu minixvm_stress_ops=%ld",
		       (unsigned long long)seed, failed + 1);
		printf(" minixvm_stress_universes=1\n");
		fflush(stdout);
		shrink(m, ops, failed + 1);
	}
	fflush(stdout);
	if (write(out, &t, sizeof(t)) != sizeof(t))
		return 1;
	free(ops);
	free(m->cellv);
	free(m);
	return t.failed;
}

/*
 * Several universes at once (two by default): each its own processes and
 * model, all through the one module, whose zaps and lock they share.
 */
TEST_F_TIMEOUT(stress, model_checked, 6 * 3600)
{
	bool fi = access(FAIL_DIR "space", W_OK) == 0;
	long nops = env_long("minixvm_stress_ops", fi ? 200000 : 20000);
	/*
	 * A fixed default, so that CI runs the same operations every time;
	 * minixvm_stress_seed explores others.
	 */
	uint64_t seed = env_long("minixvm_stress_seed", 1795596424);
	int nu = env_long("minixvm_stress_universes", 2);
	struct totals sum = { 0 }, t;
	pid_t pid[8];
	int pfd[2], status;

	ASSERT_TRUE(nu >= 1 && nu <= 8);
	ASSERT_EQ(0, pipe(pfd));
	if (fi) {
		/* The module's fault attribute, for the workers' threads. */
		ASSERT_TRUE(write_knob(FAIL_DIR "task-filter", "Y") &&
			    write_knob(FAIL_DIR "verbose", "0") &&
			    write_knob(FAIL_DIR "interval", "1") &&
			    write_knob(FAIL_DIR "probability", "100"));
	}
	printf("# seed %llu, %ld operations in %d universes%s\n",
	       (unsigned long long)seed, nops, nu,
	       fi ? ", with injected allocation failures" : "");
	fflush(stdout);
	for (int u = 0; u < nu; u++) {
		pid[u] = fork();
		ASSERT_LE(0, pid[u]);
		if (pid[u] == 0) {
			close(pfd[0]);
			/* Universe u replays alone with seed + u. */
			long n = (nops + nu - 1 - u) / nu;

			_exit(run_universe(u, seed + u, n, fi, pfd[1]));
		}
	}
	close(pfd[1]);
	for (int u = 0; u < nu; u++) {
		if (read(pfd[0], &t, sizeof(t)) != sizeof(t)) {
			sum.failed = true;
			continue;
		}
		sum.done += t.done;
		sum.checked += t.checked;
		sum.injected += t.injected;
		for (int k = 0; k < C_NR; k++)
			sum.by_kind[k] += t.by_kind[k];
		sum.failed |= t.failed;
	}
	for (int u = 0; u < nu; u++) {
		ASSERT_EQ(pid[u], waitpid(pid[u], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("universe %d: status %#x", u, status);
	}
	if (fi)
		write_knob(FAIL_DIR "probability", "0");
	for (int k = 0; k < C_NR; k++)
		printf("#   %-16s %lu\n", cmd_name[k], sum.by_kind[k]);
	EXPECT_FALSE(sum.failed);
	mxvm_figure("stress.ops", "%lu", sum.done,
		    "random operations checked against the model");
	mxvm_figure("stress.pages_checked", "%lu", sum.checked,
		    "page reads compared with the model");
	mxvm_figure("stress.injected", "%lu", sum.injected,
		    "injected allocation failures, each all or nothing");
}

TEST_HARNESS_MAIN
