// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm selftests: GUP, pins and copy-on-write, a matrix after the
 * kernel's tools/testing/selftests/mm/cow.c, over the paths that reach a
 * process's pages without its page table (the CVE-2020-29374 class):
 *
 *   state   SHARED, READONLY, COW: grantee R maps grantor G's page through
 *           SAFEMAP in that mode; REVOKED: SHARED, then G's SAFEREVMAP
 *   writer  G or R: the side whose page the path uses (and, for COW, the
 *           side that breaks the sharing); the other side writes last
 *   path    vmsplice into a pipe; O_DIRECT write from / read into the page
 *           on a loop device; process_vm_readv/writev; ptrace PEEKDATA /
 *           POKEDATA (FOLL_FORCE); io_uring IORING_REGISTER_BUFFERS
 *   timing  the path used before, during (looped by another thread or
 *           process) or after the event: for COW the writer's write
 *           that breaks the sharing then the other side's write, for
 *           REVOKED the revoke then the other side's write, for SHARED and
 *           READONLY the other side's write
 *
 * Rules asserted (E1-E5):
 * E1  a reference a process took to a frame through its mapping (a
 *     vmsplice'd page, an O_DIRECT write's source) never shows data
 *     written after the process lost the right to see that frame;
 * E2  a READONLY mapping, and a mapping of a read-only region, are never
 *     written by any path;
 * E3  a write through any path into a copy-on-write page gives the writer
 *     a private copy, the other side keeps its bytes and frame;
 * E4  through a SHARED mapping, writes by any path are seen by both sides
 *     in the same frame;
 * E5  a long-term pin (io_uring fixed buffers) of a minixvm mapping is
 *     refused.
 *
 * E1 follows the rule that when a holder stops holding a frame (COW
 * break, unmap, revoke, munmap, exit) and the frame has references from
 * outside the module's mappings (pipes, GUP pins), the frame is left to
 * those references and every remaining holder moves to a copy of it.
 *
 * A cell "before" takes the reference (vmsplice, O_DIRECT write, read
 * through process_vm_readv or PEEKDATA), then writes D into the page
 * through the path (E2-E4), then runs the event; the O_DIRECT write is
 * then held in flight across the event (see hold_start()).  "after" does
 * the same after the event; "during" loops the path in a thread of the
 * writer or in a helper process while the event runs, and checks that no
 * reference shows the other side's last write and how the frames end.
 * Besides the 120 cells: gup_end, E1 after R's SAFEUNMAP, munmap() and
 * exit with the pipe kept by the test process, and gup_rdonly, E2 on a
 * read-only region's own mapping.  Cells that do not apply, or that this
 * kernel cannot run (no loop driver, no io_uring), are SKIPs with the
 * reason.  Like cow.c's vmsplice tests (tools/testing/selftests/mm/cow.c,
 * in 6.2 and later), the pipe is read only at the end.
 *
 * The test process drives two forked children, G and R, each serving
 * commands on its one page over a socketpair; frames come from each
 * child's /proc/self/pagemap.  Every cell is one test of the harness.
 */
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <linux/loop.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>

#include "kselftest_harness.h"
#include "mxvm_test.h"

#define PS		MXVM_PS

/* The bytes each side writes: A at first, B, C and D later. */
#define VAL_A		0xa1	/* G's page at the start */
#define VAL_B		0xb2	/* the writer's write (COW: the break) */
#define VAL_C		0xc3	/* the other side's write, last */
#define VAL_D		0xd4	/* written through the path */
#define VAL_R0		0x11	/* R's own page before SAFEMAP */

enum { SIDE_G, SIDE_R };
enum { S_SHARED, S_READONLY, S_COW, S_REVOKED };
enum { P_VMSPLICE, P_ODIRECT, P_PVM, P_PTRACE, P_URING };
enum { T_BEFORE, T_DURING, T_AFTER };

static const char * const side_name[] = { "G", "R" };

/*
 * The loop devices the O_DIRECT cells use, set up once by main's process:
 * loop 0 for every synchronous use (block 0 holds D), loop 1 for the
 * writes that are held in flight (see hold_start()).
 */
#define LOOP_BLOCKS	64
static char loop_path[2][32];
static int loop_nr[2] = { -1, -1 };
static int loop_file[2] = { -1, -1 };	/* the backing files in /tmp */
static const char *loop_why = "not set up";
static pid_t main_pid;
static struct timespec main_start;

/* A block-sized, page-aligned buffer for O_DIRECT. */
static void *dio_buf(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* A loop device over a new file in /tmp (tmpfs), by LOOP_SET_FD. */
static const char *loop_attach(int ctl, int i)
{
	char img[] = "/tmp/gup_test.XXXXXX";
	int fd, dev, nr;

	fd = mkstemp(img);
	if (fd < 0 || ftruncate(fd, LOOP_BLOCKS * PS))
		return "cannot make the backing file in /tmp";
	unlink(img);
	nr = ioctl(ctl, LOOP_CTL_GET_FREE);
	if (nr < 0)
		return "LOOP_CTL_GET_FREE failed";
	snprintf(loop_path[i], sizeof(loop_path[i]), "/dev/loop%d", nr);
	dev = open(loop_path[i], O_RDWR | O_CLOEXEC);
	if (dev < 0 || ioctl(dev, LOOP_SET_FD, fd))
		return "LOOP_SET_FD failed";
	close(dev);
	loop_nr[i] = nr;
	loop_file[i] = fd;
	return NULL;
}

static void __attribute__((constructor)) loop_setup(void)
{
	const char *why = NULL;
	int ctl;

	main_pid = getpid();
	clock_gettime(CLOCK_MONOTONIC, &main_start);
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		loop_why = "no /dev/loop-control (no loop driver)";
		return;
	}
	for (int i = 0; i < 2 && !why; i++)
		why = loop_attach(ctl, i);
	close(ctl);
	if (why) {
		loop_why = why;
		loop_nr[0] = -1;
	}
}

/* How many cells ran, passed and were not applicable. */
static void __attribute__((destructor)) loop_teardown(void)
{
	struct timespec now;
	int dev;

	if (getpid() != main_pid)
		return;
	for (int i = 0; i < 2; i++) {
		if (loop_file[i] < 0)
			continue;
		dev = open(loop_path[i], O_RDWR | O_CLOEXEC);
		if (dev >= 0) {
			ioctl(dev, LOOP_CLR_FD, 0);
			close(dev);
		}
		close(loop_file[i]);
	}
	mxvm_figure("gup.cells", "%u",
		    ksft_get_pass_cnt() + ksft_get_fail_cnt(), "cells ran");
	mxvm_figure("gup.cells_passed", "%u", ksft_get_pass_cnt(),
		    "cells passed");
	mxvm_figure("gup.cells_na", "%u", ksft_get_xskip_cnt(),
		    "cells not applicable (reasons in the SKIP lines)");
	clock_gettime(CLOCK_MONOTONIC, &now);
	mxvm_figure("gup.ms", "%ld", (now.tv_sec - main_start.tv_sec) * 1000 +
		    (now.tv_nsec - main_start.tv_nsec) / 1000000,
		    "milliseconds for all the cells");
}

/*
 * The errno IORING_REGISTER_BUFFERS gives for a minixvm mapping.  On 6.1,
 * io_uring/rsrc.c io_pin_pages() pins (FOLL_WRITE | FOLL_LONGTERM), then
 * refuses every file-backed VMA that is not shmem or hugetlbfs with
 * EOPNOTSUPP; a page that cannot be written fails the pin itself with
 * EFAULT.  Since 6.5 (6.12's mm/gup.c check_vma_flags() and
 * writable_file_mapping_allowed()), GUP refuses FOLL_LONGTERM | FOLL_WRITE
 * on a shared file mapping that needs dirty tracking (minixvm has
 * ->page_mkwrite: vma_needs_dirty_tracking() in mm/mmap.c) with EFAULT.
 */
static int uring_err(bool writable)
{
	struct utsname u;
	unsigned int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return -EFAULT;
	if (major > 6 || (major == 6 && minor >= 5))
		return -EFAULT;
	return writable ? -EOPNOTSUPP : -EFAULT;
}

/*
 * Why io_uring cannot be used here, or NULL: io_uring_setup() with no
 * parameters fails with EFAULT where io_uring exists and is allowed.
 */
static const char *uring_missing(void)
{
	static char why[64];

	if (syscall(__NR_io_uring_setup, 1, NULL) < 0 && errno != EFAULT) {
		snprintf(why, sizeof(why), "io_uring_setup: %s",
			 strerror(errno));
		return why;
	}
	return NULL;
}

/* ---- io_uring through raw system calls ---- */

struct uring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

/* Set up a ring of 4 entries; -errno on failure. */
static int uring_setup(struct uring *u)
{
	struct io_uring_params p;
	char *sq, *cq;

	memset(&p, 0, sizeof(p));
	u->fd = syscall(__NR_io_uring_setup, 4, &p);
	if (u->fd < 0)
		return -errno;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(__u32),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd,
		  IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes +
		  p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd,
		  IORING_OFF_CQ_RING);
	u->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd,
		       IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || u->sqes == MAP_FAILED)
		return -ENOMEM;
	u->sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	u->sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	u->sq_array = (unsigned int *)(sq + p.sq_off.array);
	u->cq_head = (unsigned int *)(cq + p.cq_off.head);
	u->cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	u->cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	u->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* IORING_REGISTER_BUFFERS of one page; 0 or -errno. */
static int uring_register(struct uring *u, void *buf)
{
	struct iovec iov = { .iov_base = buf, .iov_len = PS };

	if (syscall(__NR_io_uring_register, u->fd, IORING_REGISTER_BUFFERS,
		    &iov, 1))
		return -errno;
	return 0;
}

static void uring_unregister(struct uring *u)
{
	syscall(__NR_io_uring_register, u->fd, IORING_UNREGISTER_BUFFERS,
		NULL, 0);
}

/* IORING_OP_READ_FIXED of a page of @fd at @off into buffer 0 (@buf). */
static int uring_read_fixed(struct uring *u, int fd, void *buf, off_t off)
{
	unsigned int tail = *u->sq_tail, idx = tail & *u->sq_mask, head;
	struct io_uring_sqe *sqe = &u->sqes[idx];
	int res;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_READ_FIXED;
	sqe->fd = fd;
	sqe->addr = (uintptr_t)buf;
	sqe->len = PS;
	sqe->off = off;
	sqe->buf_index = 0;
	u->sq_array[idx] = idx;
	__atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, u->fd, 1, 1, IORING_ENTER_GETEVENTS,
		    NULL, 0) < 0)
		return -errno;
	head = *u->cq_head;
	if (head == __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE))
		return -EIO;
	res = u->cqes[head & *u->cq_mask].res;
	__atomic_store_n(u->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* ---- the two sides: G and R serve commands on their page ---- */

enum {
	OP_WRITE = 1,	/* arg: byte; answer: 0, 1 if SIGSEGV refused it */
	OP_READ,	/* answer: the byte if the page is uniform, else ~0 */
	OP_SET,		/* answer: which of A, B, C, D (bits 0-3) or other
			 * bytes (bit 4) the page holds
			 */
	OP_PFN,		/* answer: the page's frame */
	OP_ADDR,	/* answer: the page's address */
	OP_TID,		/* answer: the tid of the thread ptrace stops */
	OP_VMSPLICE,	/* answer: vmsplice()'s result or -errno */
	OP_DIO_WRITE,	/* arg: block; O_DIRECT write of the page */
	OP_DIO_READ,	/* arg: block; O_DIRECT read into the page */
	OP_AIO_WRITE,	/* arg: block; io_submit() an O_DIRECT write of the
			 * page to loop 1; answer: its result or -errno
			 */
	OP_AIO_DONE,	/* arg: 1 to wait; answer: the write's result, or
			 * -EINPROGRESS
			 */
	OP_URING,	/* answer: IORING_REGISTER_BUFFERS 0 or -errno */
	OP_URING_READ,	/* arg: block; READ_FIXED into the registered page */
	OP_LOOP,	/* arg: path; start a thread that uses it in a loop */
	OP_LOOP_STOP,	/* answer: its iterations << 16 | failed writes */
	OP_REVMAP,	/* G: SAFEREVMAP of the grant; answer: count/-errno */
	OP_SAFEUNMAP,	/* R: answer: count or -errno */
	OP_MUNMAP,	/* R: munmap() the page */
	OP_EXIT,
};

#define CMD(op, arg)	((uint64_t)(op) << 48 | (uint64_t)(arg))

struct side {
	int fd, sock, pipe_w, dio, dio1;
	aio_context_t aio;
	char *buf;
	__u32 gid;
	struct uring ring;
	bool ring_ok;
	pid_t tid;
	pthread_t looper;
	int loop_path;
	bool loop_stop;
	unsigned int loop_iter, loop_fail;	/* atomics: two threads */
};

static void *ptrace_target(void *arg)
{
	struct side *s = arg;

	__atomic_store_n(&s->tid, gettid(), __ATOMIC_RELEASE);
	for (;;)
		pause();
	return NULL;
}

static int64_t res(long ret)
{
	return ret < 0 ? -(int64_t)errno : ret;
}

/* The looped use of a path, on the side's own page (a second thread). */
static void *looper(void *arg)
{
	struct side *s = arg;
	struct iovec iov = { .iov_base = s->buf, .iov_len = PS };
	struct uring u;
	bool ring = s->loop_path == P_URING && uring_setup(&u) == 0;
	unsigned int i;

	for (i = 0; !__atomic_load_n(&s->loop_stop, __ATOMIC_ACQUIRE); i++) {
		switch (s->loop_path) {
		case P_VMSPLICE:
			if (vmsplice(s->pipe_w, &iov, 1, SPLICE_F_NONBLOCK) < 0)
				__atomic_add_fetch(&s->loop_fail, 1, __ATOMIC_RELAXED);
			break;
		case P_ODIRECT:
			/* A write from the page, then one into it (D). */
			if (i & 1) {
				if (pread(s->dio, s->buf, PS, 0) != PS)
					__atomic_add_fetch(&s->loop_fail, 1, __ATOMIC_RELAXED);
			} else {
				pwrite(s->dio, s->buf, PS,
				       (1 + (i / 2) % (LOOP_BLOCKS - 1)) * PS);
			}
			break;
		case P_URING:
			if (ring && uring_register(&u, s->buf) == 0) {
				__atomic_add_fetch(&s->loop_fail, 1, __ATOMIC_RELAXED);
				uring_unregister(&u);
			}
			break;
		}
		__atomic_store_n(&s->loop_iter, i + 1, __ATOMIC_RELEASE);
		if (i > 2000)
			usleep(100);
	}
	return NULL;
}

#define SET_A		0x01
#define SET_B		0x02
#define SET_C		0x04
#define SET_D		0x08
#define SET_OTHER	0x10

/* Which values the page at @p holds: SET_* bits. */
static unsigned int byte_set(const char *p)
{
	unsigned int set = 0;

	for (size_t i = 0; i < PS; i++) {
		switch ((unsigned char)p[i]) {
		case VAL_A:
			set |= SET_A;
			break;
		case VAL_B:
			set |= SET_B;
			break;
		case VAL_C:
			set |= SET_C;
			break;
		case VAL_D:
			set |= SET_D;
			break;
		default:
			set |= SET_OTHER;
		}
	}
	return set;
}

static void side_serve(struct side *s)
{
	pthread_t t;
	uint64_t v, arg;
	__u32 count;
	int ret;

	CHILD_CHECK(!pthread_create(&t, NULL, ptrace_target, s));
	while (!__atomic_load_n(&s->tid, __ATOMIC_ACQUIRE))
		sched_yield();
	for (;;) {
		v = mxvm_recv(s->sock);
		if (v == ~0ULL)
			_exit(0);
		arg = v & ((1ULL << 48) - 1);
		switch (v >> 48) {
		case OP_WRITE:
			ret = mxvm_write_segv(s->buf, arg);
			if (ret == 0)
				memset(s->buf, arg, PS);
			mxvm_send(s->sock, ret);
			break;
		case OP_READ:
			mxvm_send(s->sock, mxvm_page_is(s->buf, s->buf[0]) ?
				  (unsigned char)s->buf[0] : ~0ULL);
			break;
		case OP_SET:
			mxvm_send(s->sock, byte_set(s->buf));
			break;
		case OP_PFN:
			mxvm_peek(s->buf);
			mxvm_send(s->sock, pfn_of(s->buf));
			break;
		case OP_ADDR:
			mxvm_send(s->sock, (uintptr_t)s->buf);
			break;
		case OP_TID:
			mxvm_send(s->sock, s->tid);
			break;
		case OP_VMSPLICE: {
			struct iovec iov = { .iov_base = s->buf, .iov_len = PS };

			mxvm_send(s->sock, res(vmsplice(s->pipe_w, &iov, 1, 0)));
			break;
		}
		case OP_DIO_WRITE:
			mxvm_send(s->sock, res(pwrite(s->dio, s->buf, PS,
						      arg * PS)));
			break;
		case OP_DIO_READ:
			mxvm_send(s->sock, res(pread(s->dio, s->buf, PS,
						     arg * PS)));
			break;
		case OP_AIO_WRITE: {
			struct iocb cb = {
				.aio_lio_opcode = IOCB_CMD_PWRITE,
				.aio_fildes = s->dio1,
				.aio_buf = (uintptr_t)s->buf,
				.aio_nbytes = PS,
				.aio_offset = arg * PS,
			};
			struct iocb *cbs[1] = { &cb };

			if (!s->aio && syscall(__NR_io_setup, 1, &s->aio)) {
				mxvm_send(s->sock, -(int64_t)errno);
				break;
			}
			mxvm_send(s->sock, res(syscall(__NR_io_submit, s->aio,
						       1, cbs)));
			break;
		}
		case OP_AIO_DONE: {
			struct timespec ts = { .tv_sec = arg ? 20 : 0 };
			struct io_event ev;
			long n = syscall(__NR_io_getevents, s->aio, 1, 1, &ev,
					 &ts);

			mxvm_send(s->sock, n < 0 ? -(int64_t)errno :
				  n == 0 ? -EINPROGRESS : (int64_t)ev.res);
			break;
		}
		case OP_URING:
			ret = uring_setup(&s->ring);
			if (!ret)
				ret = uring_register(&s->ring, s->buf);
			s->ring_ok = !ret;
			mxvm_send(s->sock, ret);
			break;
		case OP_URING_READ:
			mxvm_send(s->sock, uring_read_fixed(&s->ring, s->dio,
							    s->buf, arg * PS));
			break;
		case OP_LOOP:
			s->loop_path = arg;
			s->loop_stop = false;
			s->loop_iter = 0;
			s->loop_fail = 0;
			CHILD_CHECK(!pthread_create(&s->looper, NULL, looper,
						    s));
			while (!__atomic_load_n(&s->loop_iter,
						__ATOMIC_ACQUIRE))
				sched_yield();
			mxvm_send(s->sock, 0);
			break;
		case OP_LOOP_STOP:
			__atomic_store_n(&s->loop_stop, true, __ATOMIC_RELEASE);
			pthread_join(s->looper, NULL);
			mxvm_send(s->sock, (uint64_t)s->loop_iter << 16 |
				  s->loop_fail);
			break;
		case OP_REVMAP:
			ret = mxvm_saferevmap(s->fd, s->gid, &count);
			mxvm_send(s->sock, ret ? -(int64_t)errno : count);
			break;
		case OP_SAFEUNMAP:
			ret = mxvm_safeunmap(s->fd, s->buf, &count);
			mxvm_send(s->sock, ret ? -(int64_t)errno : count);
			break;
		case OP_MUNMAP:
			/*
			 * The region goes with its mapping and its handle (the
			 * file's): only then does R let go of the frame.  A
			 * region whose handle lives may be mapped again.
			 */
			ret = munmap(s->buf, PS);
			if (!ret)
				close(s->fd);
			mxvm_send(s->sock, res(ret));
			break;
		case OP_EXIT:
			_exit(0);
		}
	}
}

/*
 * G: a page of a region (writable unless @rdonly), filled with A unless
 * read-only, granted whole to R's endpoint (sent by the test process).
 */
static void grantor(int sock, int pipe_w, bool rdonly)
{
	struct side s = { .sock = sock, .pipe_w = pipe_w, .dio = -1,
			  .dio1 = -1 };
	__u64 offset;
	__u32 to;

	s.fd = mxvm_open_or_die();
	if (rdonly) {
		CHILD_CHECK(!mxvm_region(s.fd, PS, 0, NULL, &offset));
		s.buf = mmap(NULL, PS, PROT_READ, MAP_SHARED, s.fd, offset);
		CHILD_CHECK(s.buf != MAP_FAILED);
	} else {
		s.buf = mxvm_buf(s.fd, PS);
		CHILD_CHECK(s.buf);
		memset(s.buf, VAL_A, PS);
	}
	if (loop_nr[0] >= 0) {
		s.dio = open(loop_path[0], O_RDWR | O_DIRECT | O_CLOEXEC);
		s.dio1 = open(loop_path[1], O_RDWR | O_DIRECT | O_CLOEXEC);
	}
	mxvm_send(sock, mxvm_endpoint(s.fd));
	to = mxvm_recv(sock);
	CHILD_CHECK(!mxvm_grant(s.fd, to, s.buf, PS, MINIXVM_GRANT_READ |
				(rdonly ? 0 : MINIXVM_GRANT_WRITE) |
				MINIXVM_GRANT_MAP, &s.gid));
	mxvm_send(sock, s.gid);
	side_serve(&s);
}

/* R: its own page (R0), over which it maps G's page in the mode sent. */
static void grantee(int sock, int pipe_w)
{
	struct side s = { .sock = sock, .pipe_w = pipe_w, .dio = -1,
			  .dio1 = -1 };
	__u32 from, gid, mode;

	s.fd = mxvm_open_or_die();
	s.buf = mxvm_buf(s.fd, PS);
	CHILD_CHECK(s.buf);
	memset(s.buf, VAL_R0, PS);
	if (loop_nr[0] >= 0) {
		s.dio = open(loop_path[0], O_RDWR | O_DIRECT | O_CLOEXEC);
		s.dio1 = open(loop_path[1], O_RDWR | O_DIRECT | O_CLOEXEC);
	}
	mxvm_send(sock, mxvm_endpoint(s.fd));
	from = mxvm_recv(sock);
	gid = mxvm_recv(sock);
	mode = mxvm_recv(sock);
	mxvm_send(sock, mxvm_safemap(s.fd, from, gid, 0, s.buf, PS, mode) ?
		  -(int64_t)errno : 0);
	side_serve(&s);
}

/* ---- the test process ---- */

struct cell {
	struct mxvm_ctx c;
	pid_t pid[2];
	int sock[2];
	pid_t tid[2];
	uintptr_t addr[2];
	int pipe[2];
	int dio;
	unsigned char *dbuf;	/* LOOP_BLOCKS pages for O_DIRECT */
	bool pinned;		/* the writer's page is a fixed buffer */
	bool held;		/* a pipe or an I/O holds the writer's frame */
	int state, writer, path;
	/* What each side's page holds, and whether they share a frame. */
	unsigned char val[2];
	enum { L_NONE, L_SHARED, L_RO, L_COW } link;
	long grants_before, gmaps_before;
	pid_t helper;
	unsigned int *helper_stat;	/* shared with the helper: atomics */
};

static void cell_init(struct cell *x)
{
	memset(x, 0, sizeof(*x));
	x->pipe[0] = -1;
	x->pipe[1] = -1;
	x->dio = -1;
}

/* A write both sides see: they share the frame. */
static void set_both(struct cell *x, unsigned char v)
{
	x->val[SIDE_G] = v;
	x->val[SIDE_R] = v;
}

static uint64_t ask(struct cell *x, int side, int op, uint64_t arg)
{
	mxvm_send(x->sock[side], CMD(op, arg));
	return mxvm_recv(x->sock[side]);
}

static int64_t ask_res(struct cell *x, int side, int op, uint64_t arg)
{
	return (int64_t)ask(x, side, op, arg);
}

static unsigned long side_pfn(struct cell *x, int side)
{
	return ask(x, side, OP_PFN, 0);
}

static void cell_fork(struct __test_metadata *_metadata, struct cell *x,
		      int side, bool rdonly)
{
	int sv[2];
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(sv[0]);
		close(x->pipe[0]);
		if (side == SIDE_G)
			grantor(sv[1], x->pipe[1], rdonly);
		else
			grantee(sv[1], x->pipe[1]);
		_exit(0);
	}
	close(sv[1]);
	x->pid[side] = pid;
	x->sock[side] = sv[0];
}

/*
 * Fork G and R and let R map G's page in @mode; with @rdonly G's page is
 * a read-only region's.
 */
static void cell_start(struct __test_metadata *_metadata, struct cell *x,
		       __u32 mode, bool rdonly)
{
	uint64_t g_ep, r_ep, gid;

	ASSERT_EQ(0, pipe2(x->pipe, O_CLOEXEC));
	/* Room for the looped vmsplice()s (root may go to 1 MiB). */
	fcntl(x->pipe[1], F_SETPIPE_SZ, 1 << 20);
	ASSERT_EQ(0, fcntl(x->pipe[0], F_SETFL, O_NONBLOCK));
	cell_fork(_metadata, x, SIDE_G, rdonly);
	cell_fork(_metadata, x, SIDE_R, false);
	close(x->pipe[1]);
	x->pipe[1] = -1;
	g_ep = mxvm_recv(x->sock[SIDE_G]);
	r_ep = mxvm_recv(x->sock[SIDE_R]);
	ASSERT_NE(~0ULL, g_ep);
	ASSERT_NE(~0ULL, r_ep);
	mxvm_send(x->sock[SIDE_G], r_ep);
	gid = mxvm_recv(x->sock[SIDE_G]);
	ASSERT_NE(~0ULL, gid);
	mxvm_send(x->sock[SIDE_R], g_ep);
	mxvm_send(x->sock[SIDE_R], gid);
	mxvm_send(x->sock[SIDE_R], mode);
	ASSERT_EQ(0, (int64_t)mxvm_recv(x->sock[SIDE_R]))
		TH_LOG("SAFEMAP mode %u failed", mode);
	for (int i = 0; i < 2; i++) {
		x->tid[i] = ask(x, i, OP_TID, 0);
		x->addr[i] = ask(x, i, OP_ADDR, 0);
	}
	x->val[SIDE_G] = rdonly ? 0 : VAL_A;
	x->val[SIDE_R] = x->val[SIDE_G];
	x->link = mode == MINIXVM_MAP_SHARED ? L_SHARED :
		  mode == MINIXVM_MAP_READONLY ? L_RO : L_COW;
	/* SAFEMAP gives R G's frame, in every mode. */
	EXPECT_EQ(side_pfn(x, SIDE_G), side_pfn(x, SIDE_R));
	EXPECT_EQ(x->val[SIDE_G], ask(x, SIDE_R, OP_READ, 0));
}

/* Both sides' bytes and frames against the model. */
static void check_sides(struct __test_metadata *_metadata, struct cell *x,
			const char *what)
{
	unsigned long pg = side_pfn(x, SIDE_G), pr = side_pfn(x, SIDE_R);

	EXPECT_EQ(x->val[SIDE_G], ask(x, SIDE_G, OP_READ, 0))
		TH_LOG("%s: G's page", what);
	EXPECT_EQ(x->val[SIDE_R], ask(x, SIDE_R, OP_READ, 0))
		TH_LOG("%s: R's page", what);
	EXPECT_NE(0UL, pg);
	EXPECT_EQ(x->link != L_NONE, pg == pr)
		TH_LOG("%s: G and R in %s", what,
		       pg == pr ? "one frame" : "two frames");
}

/*
 * A write of @v into @side's page that the model says must happen (or be
 * refused), by the side itself (@how NULL) or through a path, already
 * made (@done: what it returned, 0 for a refused one).  Checks E2-E4.
 */
static void expect_write(struct __test_metadata *_metadata, struct cell *x,
			 int side, unsigned char v, unsigned long pfn_before,
			 unsigned long other_pfn, bool done, const char *how)
{
	int other = !side;
	unsigned long pfn = side_pfn(x, side), opfn = side_pfn(x, other);

	if (x->link == L_RO && side == SIDE_R) {
		/* E2: refused; G's bytes and frame unchanged. */
		EXPECT_FALSE(done) TH_LOG("%s wrote R's READONLY page", how);
		EXPECT_EQ(other_pfn, opfn) TH_LOG("%s: G's frame", how);
		check_sides(_metadata, x, how);
		return;
	}
	EXPECT_TRUE(done) TH_LOG("%s into %s's page failed", how,
				 side_name[side]);
	if (x->link == L_SHARED || x->link == L_RO) {
		/* E4: the same frame, seen by both. */
		set_both(x, v);
		EXPECT_EQ(pfn_before, pfn) TH_LOG("%s: moved frame", how);
	} else if (x->link == L_COW) {
		/*
		 * E3: the writer gets a copy, the other keeps its bytes, and
		 * its frame unless a pipe or an I/O of the writer holds that:
		 * then the frame is left to it and the other moves to a copy
		 * (E1).
		 */
		x->val[side] = v;
		x->link = L_NONE;
		EXPECT_NE(pfn_before, pfn)
			TH_LOG("%s broke COW without a copy", how);
		if (x->held) {
			EXPECT_NE(other_pfn, opfn)
				TH_LOG("%s: the held frame stayed mapped", how);
		} else {
			EXPECT_EQ(other_pfn, opfn)
				TH_LOG("%s: other's frame", how);
		}
	} else {
		x->val[side] = v;
		EXPECT_EQ(other_pfn, opfn) TH_LOG("%s: other's frame", how);
	}
	check_sides(_metadata, x, how);
}

/* @side writes @v into its page itself. */
static void plain_write(struct __test_metadata *_metadata, struct cell *x,
			int side, unsigned char v, bool check)
{
	unsigned long p = side_pfn(x, side), o = side_pfn(x, !side);
	uint64_t segv = ask(x, side, OP_WRITE, v);

	ASSERT_NE(~0ULL, segv) TH_LOG("%s died", side_name[side]);
	if (check) {
		expect_write(_metadata, x, side, v, p, o, segv == 0,
			     side == SIDE_G ? "G's write" : "R's write");
	} else if (segv == 0) {
		if (x->link == L_SHARED || x->link == L_RO)
			set_both(x, v);
		else
			x->val[side] = v;
		if (x->link == L_COW)
			x->link = L_NONE;
	}
}

/* ---- driving the paths from the test process ---- */

static int pvm_rw(struct cell *x, int side, unsigned char *buf, bool write)
{
	struct iovec local = { .iov_base = buf, .iov_len = PS };
	struct iovec remote = { .iov_base = (void *)x->addr[side],
				.iov_len = PS };
	ssize_t n;

	n = write ? process_vm_writev(x->pid[side], &local, 1, &remote, 1, 0) :
		    process_vm_readv(x->pid[side], &local, 1, &remote, 1, 0);
	if (n == PS)
		return 0;
	return n < 0 ? -errno : -EIO;
}

/*
 * Stop @side's spare thread with PTRACE_SEIZE + PTRACE_INTERRUPT (its
 * other thread keeps running), PEEKDATA or POKEDATA the whole page, and
 * let it go.  0 or -errno of the first failure.
 */
static int ptrace_rw(pid_t tid, uintptr_t addr, unsigned char *buf,
		     bool write)
{
	int status, ret = 0;
	long word;

	if (ptrace(PTRACE_SEIZE, tid, 0, 0))
		return -errno;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) ||
	    waitpid(tid, &status, __WALL) != tid) {
		ret = -errno;
		goto out;
	}
	for (size_t off = 0; off < PS; off += sizeof(long)) {
		if (write) {
			memcpy(&word, buf + off, sizeof(word));
			if (ptrace(PTRACE_POKEDATA, tid, addr + off, word)) {
				ret = -errno;
				break;
			}
		} else {
			errno = 0;
			word = ptrace(PTRACE_PEEKDATA, tid, addr + off, 0);
			if (errno) {
				ret = -errno;
				break;
			}
			memcpy(buf + off, &word, sizeof(word));
		}
	}
out:
	ptrace(PTRACE_DETACH, tid, 0, 0);
	return ret;
}

/* O_DIRECT on the loop device from the test process. */
static int dev_rw(struct cell *x, unsigned int blk, void *buf, size_t len,
		  bool write)
{
	ssize_t n = write ? pwrite(x->dio, buf, len, blk * PS) :
			    pread(x->dio, buf, len, blk * PS);

	return n == (ssize_t)len ? 0 : -1;
}

/* Every byte of @len at @p is one of the @n values of @ok. */
static bool bytes_in(const unsigned char *p, size_t len,
		     const unsigned char *ok, unsigned int n, int *bad)
{
	for (size_t i = 0; i < len; i++) {
		unsigned int j;

		for (j = 0; j < n && p[i] != ok[j]; j++)
			;
		if (j == n) {
			*bad = p[i];
			return false;
		}
	}
	return true;
}

/* Is the page @p all @v? */
static bool page_all(const unsigned char *p, unsigned char v)
{
	int bad;

	return bytes_in(p, PS, &v, 1, &bad);
}

/*
 * Holding an O_DIRECT write in flight: the loop driver writes a request
 * into its backing file with vfs_iter_write() under the file's inode lock
 * (drivers/block/loop.c lo_write_simple(); mm/shmem.c
 * shmem_file_write_iter()).  A thread of this process takes that lock
 * first, by a write() to the backing file whose source page is missing in
 * a userfaultfd range: it waits in the fault with the lock held
 * (mm/filemap.c generic_perform_write() faults the source in), and so does
 * every request of loop 1 after it, its pages pinned (block/fops.c),
 * until hold_end() fills the page.
 */
struct hold {
	int uffd;
	char *page;
	pthread_t thread;
};

static void *hold_write(void *arg)
{
	struct hold *h = arg;

	pwrite(loop_file[1], h->page, PS, (LOOP_BLOCKS - 1) * PS);
	return NULL;
}

/* NULL, or why the hold could not be made. */
static const char *hold_start(struct hold *h)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct pollfd pfd;
	struct uffd_msg msg;

	h->uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (h->uffd < 0)
		return "userfaultfd() failed";
	if (ioctl(h->uffd, UFFDIO_API, &api))
		return "UFFDIO_API failed";
	h->page = dio_buf(PS);
	if (!h->page)
		return "no memory";
	reg.range.start = (uintptr_t)h->page;
	reg.range.len = PS;
	if (ioctl(h->uffd, UFFDIO_REGISTER, &reg))
		return "UFFDIO_REGISTER failed";
	if (pthread_create(&h->thread, NULL, hold_write, h))
		return "pthread_create failed";
	pfd.fd = h->uffd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1 ||
	    read(h->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return "the backing file's write did not fault";
	return NULL;
}

static void hold_end(struct hold *h)
{
	struct uffdio_zeropage z = {
		.range = { .start = (uintptr_t)h->page, .len = PS },
	};

	ioctl(h->uffd, UFFDIO_ZEROPAGE, &z);
	pthread_join(h->thread, NULL);
	close(h->uffd);
	munmap(h->page, PS);
}

/*
 * The reference half of a probe: take what the path sees of the writer's
 * page now and check it against the model.  For vmsplice the pipe is read
 * at the end of the cell (*@spliced: the value it must show).
 */
static void probe_ref(struct __test_metadata *_metadata, struct cell *x,
		      int *spliced)
{
	int w = x->writer;
	unsigned char buf[PS];
	int64_t r;

	switch (x->path) {
	case P_VMSPLICE:
		r = ask_res(x, w, OP_VMSPLICE, 0);
		EXPECT_EQ(PS, r) TH_LOG("vmsplice: %s", strerror(-r));
		*spliced = x->val[w];
		x->held = true;
		break;
	case P_ODIRECT:
		r = ask_res(x, w, OP_DIO_WRITE, 1);
		EXPECT_EQ(PS, r) TH_LOG("O_DIRECT write: %s", strerror(-r));
		ASSERT_EQ(0, dev_rw(x, 1, x->dbuf, PS, false));
		EXPECT_TRUE(page_all(x->dbuf, x->val[w]))
			TH_LOG("O_DIRECT write of %s's page: not %#x",
			       side_name[w], x->val[w]);
		break;
	case P_PVM:
		EXPECT_EQ(0, pvm_rw(x, w, buf, false));
		EXPECT_TRUE(page_all(buf, x->val[w]))
			TH_LOG("process_vm_readv: %#x, not %#x", buf[0],
			       x->val[w]);
		break;
	case P_PTRACE:
		EXPECT_EQ(0, ptrace_rw(x->tid[w], x->addr[w], buf, false));
		EXPECT_TRUE(page_all(buf, x->val[w]))
			TH_LOG("PEEKDATA: %#x, not %#x", buf[0], x->val[w]);
		break;
	}
}

/* Is @side's page one the side may write (not R's READONLY view)? */
static bool writable(struct cell *x, int side)
{
	return !(x->link == L_RO && side == SIDE_R);
}

/*
 * The write half of a probe: D into the writer's page through the path
 * (E2, E3, E4).  io_uring: the registration (E5), and, should it ever
 * succeed, a READ_FIXED of D into the buffer.
 */
static void probe_write(struct __test_metadata *_metadata, struct cell *x)
{
	int w = x->writer;
	unsigned long p = side_pfn(x, w), o = side_pfn(x, !w);
	unsigned char buf[PS];
	int64_t r;
	int ret;

	memset(buf, VAL_D, PS);
	switch (x->path) {
	case P_ODIRECT:
		r = ask_res(x, w, OP_DIO_READ, 0);
		if (!writable(x, w))
			EXPECT_EQ(-EFAULT, r);
		expect_write(_metadata, x, w, VAL_D, p, o, r == PS,
			     "O_DIRECT read");
		break;
	case P_PVM:
		ret = pvm_rw(x, w, buf, true);
		if (!writable(x, w))
			EXPECT_EQ(-EFAULT, ret);
		expect_write(_metadata, x, w, VAL_D, p, o, ret == 0,
			     "process_vm_writev");
		break;
	case P_PTRACE:
		ret = ptrace_rw(x->tid[w], x->addr[w], buf, true);
		if (!writable(x, w))
			EXPECT_TRUE(ret == -EIO || ret == -EFAULT)
				TH_LOG("POKEDATA: %d", ret);
		expect_write(_metadata, x, w, VAL_D, p, o, ret == 0,
			     "POKEDATA");
		break;
	case P_URING: {
		unsigned char before = x->val[w], obefore = x->val[!w];

		r = ask_res(x, w, OP_URING, 0);
		EXPECT_EQ(uring_err(writable(x, w)), r)
			TH_LOG("IORING_REGISTER_BUFFERS: %s",
			       r ? strerror(-r) : "succeeded");
		if (r == 0) {
			r = ask_res(x, w, OP_URING_READ, 0);
			expect_write(_metadata, x, w, VAL_D, p, o, r == PS,
				     "READ_FIXED");
			x->pinned = true;
			break;
		}
		/* Refused (a 6.1 pin may have broken COW first: no frame). */
		EXPECT_EQ(before, ask(x, w, OP_READ, 0));
		EXPECT_EQ(obefore, ask(x, !w, OP_READ, 0));
		EXPECT_EQ(o, side_pfn(x, !w)) TH_LOG("the other's frame");
		if (x->link == L_COW && p != side_pfn(x, w))
			x->link = L_NONE;
		break;
	}
	}
}

/* The event of the cell's state; @check: the model may check each step. */
static void event(struct __test_metadata *_metadata, struct cell *x,
		  bool check)
{
	int w = x->writer;

	switch (x->state) {
	case S_SHARED:
	case S_READONLY:
		plain_write(_metadata, x, !w, VAL_C, check);
		break;
	case S_COW:
		plain_write(_metadata, x, w, VAL_B, check);
		plain_write(_metadata, x, !w, VAL_C, check);
		break;
	case S_REVOKED:
		EXPECT_EQ(1, ask_res(x, SIDE_G, OP_REVMAP, 0));
		x->link = L_NONE;
		if (check)
			check_sides(_metadata, x, "the revoke");
		plain_write(_metadata, x, !w, VAL_C, check);
		break;
	}
}

/* A helper process that loops the path's write into @side's page. */
static void helper_start(struct __test_metadata *_metadata, struct cell *x)
{
	unsigned int *st;
	unsigned char buf[PS];
	int w = x->writer;
	pid_t pid;

	st = mmap(NULL, PS, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)st);
	memset(buf, VAL_D, PS);
	x->helper_stat = st;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (unsigned int i = 0; !__atomic_load_n(&st[0], __ATOMIC_ACQUIRE);
		     i++) {
			int ret = x->path == P_PVM ?
				  pvm_rw(x, w, buf, true) :
				  ptrace_rw(x->tid[w], x->addr[w], buf, true);

			if (ret)
				__atomic_add_fetch(&st[2], 1, __ATOMIC_RELAXED);
			__atomic_store_n(&st[1], i + 1, __ATOMIC_RELEASE);
		}
		_exit(0);
	}
	x->helper = pid;
	while (!__atomic_load_n(&st[1], __ATOMIC_ACQUIRE))
		sched_yield();
}

/* Stop the helper; its iterations << 16 | failures. */
static uint64_t helper_stop(struct cell *x)
{
	unsigned int *st = x->helper_stat;
	uint64_t v;

	__atomic_store_n(&st[0], 1, __ATOMIC_RELEASE);
	waitpid(x->helper, NULL, 0);
	x->helper = 0;
	v = (uint64_t)st[1] << 16 | st[2];
	munmap(st, PS);
	return v;
}

/* Read what is in the pipe (at most @max pages) into @buf; bytes read. */
static size_t drain(struct cell *x, unsigned char *buf, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while (got < max && (n = read(x->pipe[0], buf + got, max - got)) > 0)
		got += n;
	return got;
}

static const char * const state_name[] = {
	"SHARED", "READONLY", "COW", "REVOKED"
};

/* The values the writer's page may legitimately hold during the event. */
static unsigned int allowed(struct cell *x, unsigned char *ok)
{
	unsigned int n = 0;

	ok[n++] = VAL_A;
	ok[n++] = VAL_D;
	if (x->state == S_COW)
		ok[n++] = VAL_B;
	if (x->state == S_SHARED ||
	    (x->state == S_READONLY && x->writer == SIDE_R))
		ok[n++] = VAL_C;	/* the frame is still the writer's */
	return n;
}

/* The cell during: the path looped while the event happens. */
static void cell_during(struct __test_metadata *_metadata, struct cell *x)
{
	int w = x->writer, bad = 0;
	unsigned char ok[4], *data;
	unsigned int n = allowed(x, ok);
	uint64_t st;
	size_t len;

	if (x->path == P_PVM || x->path == P_PTRACE) {
		helper_start(_metadata, x);
		event(_metadata, x, false);
		st = helper_stop(x);
	} else {
		if (x->path == P_ODIRECT) {
			memset(x->dbuf, 0, (LOOP_BLOCKS - 1) * PS);
			ASSERT_EQ(0, dev_rw(x, 1, x->dbuf,
					    (LOOP_BLOCKS - 1) * PS, true));
		}
		ASSERT_EQ(0, ask(x, w, OP_LOOP, x->path));
		event(_metadata, x, false);
		st = ask(x, w, OP_LOOP_STOP, 0);
	}
	TH_LOG("%s %s: %u iterations, %u failed", state_name[x->state],
	       side_name[w], (unsigned int)(st >> 16),
	       (unsigned int)(st & 0xffff));
	EXPECT_LT(0, st >> 16);
	if (x->path == P_URING) {
		/* E5: not one registration may succeed. */
		EXPECT_EQ(0, st & 0xffff);
	} else if (x->path == P_ODIRECT) {
		/* Every other iteration reads D into the page: E2. */
		EXPECT_EQ(writable(x, w) ? 0 : (st >> 16) / 2, st & 0xffff);
	} else if (x->path != P_VMSPLICE) {
		/* E2: not one write may have gone through; else all did. */
		EXPECT_EQ(writable(x, w) ? 0 : st >> 16, st & 0xffff);
	}

	/* E1: what the references took holds no later write of the other. */
	if (x->path == P_VMSPLICE) {
		data = malloc(LOOP_BLOCKS * PS * 4);
		ASSERT_NE(NULL, data);
		len = drain(x, data, LOOP_BLOCKS * PS * 4);
		EXPECT_TRUE(bytes_in(data, len, ok, n, &bad))
			TH_LOG("a page spliced during the event shows %#x", bad);
		free(data);
	} else if (x->path == P_ODIRECT) {
		unsigned char ok0[5];

		memcpy(ok0, ok, n);
		ok0[n] = 0;	/* a block not written yet */
		ASSERT_EQ(0, dev_rw(x, 1, x->dbuf, (LOOP_BLOCKS - 1) * PS,
				    false));
		EXPECT_TRUE(bytes_in(x->dbuf, (LOOP_BLOCKS - 1) * PS, ok0,
				     n + 1,
				     &bad))
			TH_LOG("an O_DIRECT write during the event wrote %#x",
			       bad);
	}

	/*
	 * The end: frames as the state says, the other side's last write.
	 * Writes that raced in one frame may leave a mix of their bytes.
	 */
	{
		unsigned long pg = side_pfn(x, SIDE_G), pr = side_pfn(x, SIDE_R);
		uint64_t sw = ask(x, w, OP_SET, 0), so = ask(x, !w, OP_SET, 0);

		switch (x->state) {
		case S_SHARED:
		case S_READONLY:
			EXPECT_EQ(pg, pr);
			EXPECT_EQ(sw, so);
			if (!writable(x, w)) {
				EXPECT_EQ(SET_C, sw);
			} else if (writable(x, !w)) {
				EXPECT_EQ(0, sw & ~(uint64_t)(SET_C | SET_D))
					TH_LOG("the page holds %#x", (int)sw);
			} else {
				EXPECT_EQ(0, sw & ~(uint64_t)(SET_A | SET_D))
					TH_LOG("the page holds %#x", (int)sw);
			}
			break;
		case S_COW:
		case S_REVOKED:
			EXPECT_NE(pg, pr);
			EXPECT_EQ(SET_C, so) TH_LOG("%s's page holds %#x",
						    side_name[!w], (int)so);
			EXPECT_EQ(0, sw & ~(uint64_t)(SET_A | SET_B | SET_D))
				TH_LOG("%s's page holds %#x", side_name[w],
				       (int)sw);
			break;
		}
	}
}

/*
 * O_DIRECT before the event: the write from the writer's page is held in
 * flight, its page pinned, across the write probe and the event (E1 for
 * an O_DIRECT write's source, deterministically), then let go.
 */
static void cell_odirect_held(struct __test_metadata *_metadata,
			      struct cell *x)
{
	int w = x->writer, bad = 0, dev;
	unsigned char ok[4];
	unsigned int n = allowed(x, ok);
	struct hold h;
	const char *why;
	int64_t r;

	why = hold_start(&h);
	ASSERT_EQ(NULL, why) TH_LOG("holding loop 1: %s", why);
	r = ask_res(x, w, OP_AIO_WRITE, 1);
	EXPECT_EQ(1, r) TH_LOG("io_submit: %s", strerror(-r));
	EXPECT_EQ(-EINPROGRESS, ask_res(x, w, OP_AIO_DONE, 0))
		TH_LOG("the O_DIRECT write was not held in flight");
	x->held = true;
	probe_write(_metadata, x);
	event(_metadata, x, true);
	hold_end(&h);
	x->held = false;
	r = ask_res(x, w, OP_AIO_DONE, 1);
	EXPECT_EQ(PS, r) TH_LOG("the held write: %s", strerror(-r));
	dev = open(loop_path[1], O_RDONLY | O_DIRECT | O_CLOEXEC);
	ASSERT_LE(0, dev);
	ASSERT_EQ(PS, pread(dev, x->dbuf, PS, PS));
	close(dev);
	EXPECT_TRUE(bytes_in(x->dbuf, PS, ok, n, &bad))
		TH_LOG("the held O_DIRECT write of %s's page wrote %#x%s",
		       side_name[w], bad,
		       bad == VAL_C ? " (the other side's later write)" : "");
}

/*
 * Should IORING_REGISTER_BUFFERS ever succeed (E5 failed): the pin
 * outlives the COW break or the revoke; a READ_FIXED through it now must
 * not reach the other side's page (E1, the write direction).
 */
static void pin_after_event(struct __test_metadata *_metadata,
			    struct cell *x)
{
	int w = x->writer;
	unsigned long o = side_pfn(x, !w);
	int64_t r;

	if (x->state != S_COW && x->state != S_REVOKED)
		return;
	r = ask_res(x, w, OP_URING_READ, 0);
	EXPECT_EQ(PS, r) TH_LOG("READ_FIXED after the event: %d", (int)r);
	EXPECT_EQ(x->val[!w], ask(x, !w, OP_READ, 0))
		TH_LOG("a READ_FIXED through %s's old pin reached %s's page",
		       side_name[w], side_name[!w]);
	EXPECT_EQ(o, side_pfn(x, !w));
	x->val[w] = (unsigned char)ask(x, w, OP_READ, 0);
}

static void cell_run(struct __test_metadata *_metadata, struct cell *x,
		     int timing)
{
	int spliced = -1, bad;
	unsigned char buf[PS];
	size_t len;

	if (x->path == P_ODIRECT && loop_nr[0] < 0)
		SKIP(return, "O_DIRECT: %s", loop_why);
	if (x->path == P_URING && uring_missing())
		SKIP(return, "%s", uring_missing());
	if (x->path == P_ODIRECT) {
		x->dio = open(loop_path[0], O_RDWR | O_DIRECT | O_CLOEXEC);
		ASSERT_LE(0, x->dio);
		x->dbuf = dio_buf(LOOP_BLOCKS * PS);
		ASSERT_NE(NULL, x->dbuf);
		memset(x->dbuf, VAL_D, PS);
		ASSERT_EQ(0, dev_rw(x, 0, x->dbuf, PS, true));
	}
	cell_start(_metadata, x, x->state == S_READONLY ? MINIXVM_MAP_READONLY :
		   x->state == S_COW ? MINIXVM_MAP_COW : MINIXVM_MAP_SHARED,
		   false);
	if (timing == T_DURING) {
		cell_during(_metadata, x);
	} else if (timing == T_BEFORE && x->path == P_ODIRECT) {
		cell_odirect_held(_metadata, x);
	} else {
		if (timing == T_BEFORE) {
			probe_ref(_metadata, x, &spliced);
			probe_write(_metadata, x);
		}
		event(_metadata, x, true);
		if (x->pinned)
			pin_after_event(_metadata, x);
		if (timing == T_AFTER) {
			probe_ref(_metadata, x, &spliced);
			probe_write(_metadata, x);
		}
	}
	if (x->path == P_VMSPLICE && timing != T_DURING) {
		len = drain(x, buf, PS);
		ASSERT_EQ(PS, len);
		if (x->state == S_COW || x->state == S_REVOKED ||
		    (x->state == S_READONLY && x->writer == SIDE_G)) {
			/* E1: the value at vmsplice time, nothing later. */
			EXPECT_TRUE(page_all(buf, spliced))
				TH_LOG("the pipe shows %#x, spliced %#x (%s)",
				       buf[0], spliced,
				       buf[0] == VAL_C ? "the other side's later write" :
				       "?");
		} else {
			/* The frame is still the writer's: A or C. */
			unsigned char ok[2] = { VAL_A, VAL_C };

			EXPECT_TRUE(bytes_in(buf, PS, ok, 2, &bad))
				TH_LOG("the pipe shows %#x", bad);
		}
	}
}

FIXTURE(gup) {
	struct cell x;
};

FIXTURE_VARIANT(gup) {
	int state, writer, path;
};

FIXTURE_SETUP(gup)
{
	cell_init(&self->x);
	self->x.state = variant->state;
	self->x.writer = variant->writer;
	self->x.path = variant->path;
	self->x.grants_before = mxvm_sysfs_long("nr_grants");
	self->x.gmaps_before = mxvm_sysfs_long("nr_grant_maps");
	mxvm_ctx_setup(_metadata, &self->x.c);
}

static void cell_end(struct __test_metadata *_metadata, struct cell *x)
{
	if (x->helper > 0) {
		kill(x->helper, SIGKILL);
		waitpid(x->helper, NULL, 0);
	}
	for (int i = 0; i < 2; i++) {
		if (x->pid[i] > 0) {
			int status = 0;

			mxvm_send(x->sock[i], CMD(OP_EXIT, 0));
			waitpid(x->pid[i], &status, 0);
			EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
				TH_LOG("%s's status %#x", side_name[i], status);
			close(x->sock[i]);
		}
	}
	for (int i = 0; i < 2; i++)
		if (x->pipe[i] >= 0)
			close(x->pipe[i]);
	if (x->dio >= 0)
		close(x->dio);
	if (x->dbuf)
		munmap(x->dbuf, LOOP_BLOCKS * PS);
	mxvm_ctx_teardown(_metadata, &x->c);
	EXPECT_EQ(x->grants_before, mxvm_sysfs_long("nr_grants"));
	EXPECT_EQ(x->gmaps_before, mxvm_sysfs_long("nr_grant_maps"));
}

FIXTURE_TEARDOWN(gup)
{
	cell_end(_metadata, &self->x);
}

TEST_F(gup, before)
{
	cell_run(_metadata, &self->x, T_BEFORE);
}

TEST_F(gup, during)
{
	cell_run(_metadata, &self->x, T_DURING);
}

TEST_F(gup, after)
{
	cell_run(_metadata, &self->x, T_AFTER);
}

/* The cells: state x writer x path (x timing, the three tests above). */
FIXTURE_VARIANT_ADD(gup, SHARED_G_VMSPLICE) { S_SHARED, SIDE_G, P_VMSPLICE };
FIXTURE_VARIANT_ADD(gup, SHARED_G_ODIRECT) { S_SHARED, SIDE_G, P_ODIRECT };
FIXTURE_VARIANT_ADD(gup, SHARED_G_PVM) { S_SHARED, SIDE_G, P_PVM };
FIXTURE_VARIANT_ADD(gup, SHARED_G_PTRACE) { S_SHARED, SIDE_G, P_PTRACE };
FIXTURE_VARIANT_ADD(gup, SHARED_G_URING) { S_SHARED, SIDE_G, P_URING };
FIXTURE_VARIANT_ADD(gup, SHARED_R_VMSPLICE) { S_SHARED, SIDE_R, P_VMSPLICE };
FIXTURE_VARIANT_ADD(gup, SHARED_R_ODIRECT) { S_SHARED, SIDE_R, P_ODIRECT };
FIXTURE_VARIANT_ADD(gup, SHARED_R_PVM) { S_SHARED, SIDE_R, P_PVM };
FIXTURE_VARIANT_ADD(gup, SHARED_R_PTRACE) { S_SHARED, SIDE_R, P_PTRACE };
FIXTURE_VARIANT_ADD(gup, SHARED_R_URING) { S_SHARED, SIDE_R, P_URING };
FIXTURE_VARIANT_ADD(gup, READONLY_G_VMSPLICE) { S_READONLY, SIDE_G, P_VMSPLICE };
FIXTURE_VARIANT_ADD(gup, READONLY_G_ODIRECT) { S_READONLY, SIDE_G, P_ODIRECT };
FIXTURE_VARIANT_ADD(gup, READONLY_G_PVM) { S_READONLY, SIDE_G, P_PVM };
FIXTURE_VARIANT_ADD(gup, READONLY_G_PTRACE) { S_READONLY, SIDE_G, P_PTRACE };
FIXTURE_VARIANT_ADD(gup, READONLY_G_URING) { S_READONLY, SIDE_G, P_URING };
FIXTURE_VARIANT_ADD(gup, READONLY_R_VMSPLICE) { S_READONLY, SIDE_R, P_VMSPLICE };
FIXTURE_VARIANT_ADD(gup, READONLY_R_ODIRECT) { S_READONLY, SIDE_R, P_ODIRECT };
FIXTURE_VARIANT_ADD(gup, READONLY_R_PVM) { S_READONLY, SIDE_R, P_PVM };
FIXTURE_VARIANT_ADD(gup, READONLY_R_PTRACE) { S_READONLY, SIDE_R, P_PTRACE };
FIXTURE_VARIANT_ADD(gup, READONLY_R_URING) { S_READONLY, SIDE_R, P_URING };
FIXTURE_VARIANT_ADD(gup, COW_G_VMSPLICE) { S_COW, SIDE_G, P_VMSPLICE };
FIXTURE_VARIANT_ADD(gup, COW_G_ODIRECT) { S_COW, SIDE_G, P_ODIRECT };
FIXTURE_VARIANT_ADD(gup, COW_G_PVM) { S_COW, SIDE_G, P_PVM };
FIXTURE_VARIANT_ADD(gup, COW_G_PTRACE) { S_COW, SIDE_G, P_PTRACE };
FIXTURE_VARIANT_ADD(gup, COW_G_URING) { S_COW, SIDE_G, P_URING };
FIXTURE_VARIANT_ADD(gup, COW_R_VMSPLICE) { S_COW, SIDE_R, P_VMSPLICE };
FIXTURE_VARIANT_ADD(gup, COW_R_ODIRECT) { S_COW, SIDE_R, P_ODIRECT };
FIXTURE_VARIANT_ADD(gup, COW_R_PVM) { S_COW, SIDE_R, P_PVM };
FIXTURE_VARIANT_ADD(gup, COW_R_PTRACE) { S_COW, SIDE_R, P_PTRACE };
FIXTURE_VARIANT_ADD(gup, COW_R_URING) { S_COW, SIDE_R, P_URING };
FIXTURE_VARIANT_ADD(gup, REVOKED_G_VMSPLICE) { S_REVOKED, SIDE_G, P_VMSPLICE };
FIXTURE_VARIANT_ADD(gup, REVOKED_G_ODIRECT) { S_REVOKED, SIDE_G, P_ODIRECT };
FIXTURE_VARIANT_ADD(gup, REVOKED_G_PVM) { S_REVOKED, SIDE_G, P_PVM };
FIXTURE_VARIANT_ADD(gup, REVOKED_G_PTRACE) { S_REVOKED, SIDE_G, P_PTRACE };
FIXTURE_VARIANT_ADD(gup, REVOKED_G_URING) { S_REVOKED, SIDE_G, P_URING };
FIXTURE_VARIANT_ADD(gup, REVOKED_R_VMSPLICE) { S_REVOKED, SIDE_R, P_VMSPLICE };
FIXTURE_VARIANT_ADD(gup, REVOKED_R_ODIRECT) { S_REVOKED, SIDE_R, P_ODIRECT };
FIXTURE_VARIANT_ADD(gup, REVOKED_R_PVM) { S_REVOKED, SIDE_R, P_PVM };
FIXTURE_VARIANT_ADD(gup, REVOKED_R_PTRACE) { S_REVOKED, SIDE_R, P_PTRACE };
FIXTURE_VARIANT_ADD(gup, REVOKED_R_URING) { S_REVOKED, SIDE_R, P_URING };

/*
 * E1 (d): R vmsplices its view of G's page, then its mapping ends by
 * SAFEUNMAP, munmap() or R's exit (the pipe lives on in the test
 * process); then G writes.  The pipe must still show A.
 */
FIXTURE(gup_end) {
	struct cell x;
};

FIXTURE_VARIANT(gup_end) {
	__u32 mode;
};

FIXTURE_VARIANT_ADD(gup_end, SHARED) { .mode = MINIXVM_MAP_SHARED };
FIXTURE_VARIANT_ADD(gup_end, COW) { .mode = MINIXVM_MAP_COW };

FIXTURE_SETUP(gup_end)
{
	cell_init(&self->x);
	self->x.grants_before = mxvm_sysfs_long("nr_grants");
	self->x.gmaps_before = mxvm_sysfs_long("nr_grant_maps");
	mxvm_ctx_setup(_metadata, &self->x.c);
}

FIXTURE_TEARDOWN(gup_end)
{
	cell_end(_metadata, &self->x);
}

static void end_run(struct __test_metadata *_metadata, struct cell *x,
		    __u32 mode, int op)
{
	unsigned char buf[PS];
	int status;

	cell_start(_metadata, x, mode, false);
	ASSERT_EQ(PS, ask_res(x, SIDE_R, OP_VMSPLICE, 0));
	if (op == OP_EXIT) {
		mxvm_send(x->sock[SIDE_R], CMD(OP_EXIT, 0));
		ASSERT_EQ(x->pid[SIDE_R], waitpid(x->pid[SIDE_R], &status, 0));
		x->pid[SIDE_R] = 0;
		EXPECT_EQ(0, status);
	} else {
		EXPECT_LE(0, ask_res(x, SIDE_R, op, 0));
	}
	EXPECT_EQ(0, ask(x, SIDE_G, OP_WRITE, VAL_C));
	EXPECT_EQ(VAL_C, ask(x, SIDE_G, OP_READ, 0));
	if (op == OP_SAFEUNMAP) {
		/* R keeps a copy of A in another frame. */
		EXPECT_EQ(VAL_A, ask(x, SIDE_R, OP_READ, 0));
		EXPECT_NE(side_pfn(x, SIDE_G), side_pfn(x, SIDE_R));
	}
	ASSERT_EQ(PS, drain(x, buf, PS));
	EXPECT_TRUE(page_all(buf, VAL_A))
		TH_LOG("the pipe shows %#x (C: G's write after R let go)",
		       buf[0]);
}

TEST_F(gup_end, safeunmap)
{
	end_run(_metadata, &self->x, variant->mode, OP_SAFEUNMAP);
}

TEST_F(gup_end, munmap)
{
	end_run(_metadata, &self->x, variant->mode, OP_MUNMAP);
}

TEST_F(gup_end, exit)
{
	end_run(_metadata, &self->x, variant->mode, OP_EXIT);
}

/*
 * E2: a mapping of a read-only region is written by no path.  G maps its
 * read-only region (PROT_READ) and R maps it READONLY; every path tries
 * to write G's mapping.  vmsplice only reads: not applicable.
 */
FIXTURE(gup_rdonly) {
	struct cell x;
};

FIXTURE_VARIANT(gup_rdonly) {
	int path;
};

FIXTURE_VARIANT_ADD(gup_rdonly, VMSPLICE) { .path = P_VMSPLICE };
FIXTURE_VARIANT_ADD(gup_rdonly, ODIRECT) { .path = P_ODIRECT };
FIXTURE_VARIANT_ADD(gup_rdonly, PVM) { .path = P_PVM };
FIXTURE_VARIANT_ADD(gup_rdonly, PTRACE) { .path = P_PTRACE };
FIXTURE_VARIANT_ADD(gup_rdonly, URING) { .path = P_URING };

FIXTURE_SETUP(gup_rdonly)
{
	cell_init(&self->x);
	self->x.path = variant->path;
	self->x.writer = SIDE_G;
	self->x.grants_before = mxvm_sysfs_long("nr_grants");
	self->x.gmaps_before = mxvm_sysfs_long("nr_grant_maps");
	mxvm_ctx_setup(_metadata, &self->x.c);
}

FIXTURE_TEARDOWN(gup_rdonly)
{
	cell_end(_metadata, &self->x);
}

TEST_F(gup_rdonly, write)
{
	struct cell *x = &self->x;
	unsigned char buf[PS];
	unsigned long pg;
	int64_t r;

	if (x->path == P_VMSPLICE)
		SKIP(return, "vmsplice into a pipe only reads the page");
	if (x->path == P_ODIRECT && loop_nr[0] < 0)
		SKIP(return, "O_DIRECT: %s", loop_why);
	if (x->path == P_URING && uring_missing())
		SKIP(return, "%s", uring_missing());
	if (x->path == P_ODIRECT) {
		x->dio = open(loop_path[0], O_RDWR | O_DIRECT | O_CLOEXEC);
		ASSERT_LE(0, x->dio);
		x->dbuf = dio_buf(LOOP_BLOCKS * PS);
		ASSERT_NE(NULL, x->dbuf);
		memset(x->dbuf, VAL_D, PS);
		ASSERT_EQ(0, dev_rw(x, 0, x->dbuf, PS, true));
	}
	cell_start(_metadata, x, MINIXVM_MAP_READONLY, true);
	pg = side_pfn(x, SIDE_G);
	memset(buf, VAL_D, PS);
	switch (x->path) {
	case P_ODIRECT:
		EXPECT_EQ(-EFAULT, ask_res(x, SIDE_G, OP_DIO_READ, 0));
		break;
	case P_PVM:
		EXPECT_EQ(-EFAULT, pvm_rw(x, SIDE_G, buf, true));
		break;
	case P_PTRACE:
		r = ptrace_rw(x->tid[SIDE_G], x->addr[SIDE_G], buf, true);
		EXPECT_TRUE(r == -EIO || r == -EFAULT)
			TH_LOG("POKEDATA: %d", (int)r);
		break;
	case P_URING:
		/* E5 and E2: the pin itself fails, on every kernel. */
		EXPECT_EQ(uring_err(false), ask_res(x, SIDE_G, OP_URING, 0));
		break;
	}
	/* G's bytes (zeroes) and frame, and R's view, unchanged. */
	EXPECT_EQ(0, ask(x, SIDE_G, OP_READ, 0));
	EXPECT_EQ(0, ask(x, SIDE_R, OP_READ, 0));
	EXPECT_EQ(pg, side_pfn(x, SIDE_G));
	EXPECT_EQ(pg, side_pfn(x, SIDE_R));
}

TEST_HARNESS_MAIN
