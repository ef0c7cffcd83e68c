// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm selftests: MINIXVM_IOC_MAP and MINIXVM_IOC_UNMAP inside one
 * process, and what fork(), exit, munmap() and mprotect() do to memory
 * mapped that way.
 *
 * Every fixture has two writable regions of 16 pages, mapped whole: A,
 * with nothing mapped right after it, and B, followed by an ordinary
 * anonymous page.  Tests map A's pages over B's (and over other regions').
 * Frames are compared through /proc/self/pagemap: "shared" means one
 * physical frame at both addresses, "copied" means two.  The teardown
 * unmaps everything, closes the file and checks that the module's page
 * and object counters are back to where they were before the test.
 */
#include "kselftest_harness.h"
#include "mxvm_test.h"

#define PS		MXVM_PS
#define RW		(PROT_READ | PROT_WRITE)
#define WRITABLE	MINIXVM_REGION_WRITABLE
#define RO		MINIXVM_MAP_READONLY
#define SHARED		MINIXVM_MAP_SHARED
#define COW		MINIXVM_MAP_COW
#define NPAGES		16

/* Shorthands for the fixtures' members inside TEST_F(). */
#define CTX		(&self->c)
#define FD		(self->c.fd)
#define A		(self->a.addr)
#define B		(self->b.addr)

static void setup_ab(struct __test_metadata *_metadata, struct mxvm_ctx *c,
		     struct mxvm_mapping *a, struct mxvm_mapping *b)
{
	mxvm_ctx_setup(_metadata, c);
	*a = mxvm_ctx_region(_metadata, c, NPAGES, WRITABLE, true);
	*b = mxvm_ctx_region(_metadata, c, NPAGES, WRITABLE, false);
	ASSERT_TRUE(mxvm_unmapped(a->addr + a->len));
}

/* Tests of one mode, or of several modes in turn. */
FIXTURE(mapmem) {
	struct mxvm_ctx c;
	struct mxvm_mapping a, b;
};

FIXTURE_SETUP(mapmem)
{
	setup_ab(_metadata, &self->c, &self->a, &self->b);
}

FIXTURE_TEARDOWN(mapmem)
{
	mxvm_ctx_teardown(_metadata, &self->c);
}

/* Tests of a rule every mode follows, run once per mode. */
FIXTURE(mapmode) {
	struct mxvm_ctx c;
	struct mxvm_mapping a, b;
};

FIXTURE_VARIANT(mapmode) {
	__u32 mode;
};

FIXTURE_VARIANT_ADD(mapmode, readonly) {
	.mode = MINIXVM_MAP_READONLY,
};

FIXTURE_VARIANT_ADD(mapmode, shared) {
	.mode = MINIXVM_MAP_SHARED,
};

FIXTURE_VARIANT_ADD(mapmode, cow) {
	.mode = MINIXVM_MAP_COW,
};

FIXTURE_SETUP(mapmode)
{
	setup_ab(_metadata, &self->c, &self->a, &self->b);
}

FIXTURE_TEARDOWN(mapmode)
{
	mxvm_ctx_teardown(_metadata, &self->c);
}

/* MAP that must succeed. */
static void do_map(struct __test_metadata *_metadata, int fd,
		   const void *src, void *dst, unsigned int npages,
		   __u32 mode)
{
	ASSERT_EQ(0, mxvm_map(fd, src, dst, npages * PS, mode))
		TH_LOG("MAP %p -> %p, %u pages, mode %u: %s", src, dst,
		       npages, mode, strerror(errno));
}

/* UNMAP that must succeed. */
static void do_unmap(struct __test_metadata *_metadata, int fd, void *addr,
		     unsigned int npages)
{
	ASSERT_EQ(0, mxvm_unmap(fd, addr, npages * PS))
		TH_LOG("UNMAP %p, %u pages: %s", addr, npages,
		       strerror(errno));
}

/* Expect the @npages pages at @addr to hold only zeroes. */
static void expect_zero(struct __test_metadata *_metadata, const char *addr,
			unsigned int npages)
{
	for (unsigned int i = 0; i < npages; i++) {
		EXPECT_TRUE(mxvm_page_is(addr + i * PS, 0))
			TH_LOG("page %u at %p is not zero", i, addr + i * PS);
	}
}

/* A third writable region of @npages, mapped whole. */
static char *region_c(struct __test_metadata *_metadata, struct mxvm_ctx *c,
		      unsigned int npages)
{
	return mxvm_ctx_region(_metadata, c, npages, WRITABLE, false).addr;
}

/* Run a command that must fail with @err and change nothing at all. */
static void expect_fails(struct __test_metadata *_metadata,
			 const struct mxvm_ctx *c, unsigned long cmd,
			 void *arg, int err, const char *what)
{
	struct snap before, after;
	int ret, e;

	take_snap(c, &before);	/* touches every watched page */
	take_snap(c, &before);
	ret = ioctl(c->fd, cmd, arg);
	e = errno;
	take_snap(c, &after);
	EXPECT_EQ(-1, ret) TH_LOG("%s: succeeded", what);
	if (ret == -1) {
		EXPECT_EQ(err, e) TH_LOG("%s: %s, expected %s", what,
					 strerror(e), strerror(err));
	}
	expect_unchanged(_metadata, &before, &after, what);
}

static void expect_map_fails(struct __test_metadata *_metadata,
			     const struct mxvm_ctx *c, const void *src,
			     void *dst, size_t len, __u32 mode, int err,
			     const char *what)
{
	struct minixvm_map m = mxvm_map_args(src, dst, len, mode);

	expect_fails(_metadata, c, MINIXVM_IOC_MAP, &m, err, what);
}

static void expect_unmap_fails(struct __test_metadata *_metadata,
			       const struct mxvm_ctx *c, void *addr,
			       size_t len, int err, const char *what)
{
	struct minixvm_unmap u = mxvm_unmap_args(addr, len);

	expect_fails(_metadata, c, MINIXVM_IOC_UNMAP, &u, err, what);
}

/* Give every page of A and B distinct contents (and a frame). */
static void fill_ab(char *a, char *b)
{
	mxvm_fill(a, NPAGES, 0xa0);
	mxvm_fill(b, NPAGES, 0xb0);
}

/*
 * Rule 1: the source's untouched pages are filled with zeroes (allocated
 * by the MAP itself), and the destination maps those very frames.
 */
TEST_F(mapmode, zero_fill_source)
{
	do_map(_metadata, FD, A, B, 4, variant->mode);
	EXPECT_EQ(4, mxvm_held(CTX));
	expect_zero(_metadata, B, 4);
	expect_zero(_metadata, A, 4);
	mxvm_expect_frames(_metadata, A, B, 4, true);
	EXPECT_EQ(4, mxvm_held(CTX));
}

/*
 * Rule 2: the destination's previous pages are dropped: B shows A's bytes
 * and only A's 4 pages are held, not B's 4 old ones too.
 */
TEST_F(mapmode, dst_pages_dropped)
{
	mxvm_fill(A, 4, 0xa0);
	mxvm_fill(B, 4, 0x55);
	EXPECT_EQ(8, mxvm_held(CTX));
	do_map(_metadata, FD, A, B, 4, variant->mode);
	mxvm_expect_fill(_metadata, B, 4, 0xa0);
	mxvm_expect_fill(_metadata, A, 4, 0xa0);
	mxvm_expect_frames(_metadata, A, B, 4, true);
	EXPECT_EQ(4, mxvm_held(CTX));
}

/* Rule 9: a zero or unaligned length or address is EINVAL, no change. */
TEST_F(mapmode, bad_args)
{
	__u32 mode = variant->mode;

	fill_ab(A, B);
	expect_map_fails(_metadata, CTX, A + 1, B, PS, mode, EINVAL,
			 "src unaligned");
	expect_map_fails(_metadata, CTX, A, B + 8, PS, mode, EINVAL,
			 "dst unaligned");
	expect_map_fails(_metadata, CTX, A, B, PS + 1, mode, EINVAL,
			 "length unaligned");
	expect_map_fails(_metadata, CTX, A, B, PS - 1, mode, EINVAL,
			 "length below a page");
	expect_map_fails(_metadata, CTX, A, B, 0, mode, EINVAL, "length 0");
}

/*
 * Rule 9: a range that is not wholly mapped is EFAULT, one that runs into
 * (or lies in) an ordinary anonymous mapping is EINVAL; the valid first
 * pages of such a range are not changed either.
 */
TEST_F(mapmode, bad_ranges)
{
	__u32 mode = variant->mode;
	char *a_end = A + NPAGES * PS, *b_end = B + NPAGES * PS;

	fill_ab(A, B);
	ASSERT_TRUE(mxvm_unmapped(a_end));
	expect_map_fails(_metadata, CTX, a_end - PS, B, 2 * PS, mode, EFAULT,
			 "src runs into unmapped space");
	expect_map_fails(_metadata, CTX, B, a_end - PS, 2 * PS, mode, EFAULT,
			 "dst runs into unmapped space");
	expect_map_fails(_metadata, CTX, a_end, B, PS, mode, EFAULT,
			 "src unmapped");
	expect_map_fails(_metadata, CTX, B, a_end, PS, mode, EFAULT,
			 "dst unmapped");
	expect_map_fails(_metadata, CTX, b_end - PS, A, 2 * PS, mode, EINVAL,
			 "src runs into an anonymous mapping");
	expect_map_fails(_metadata, CTX, A, b_end - PS, 2 * PS, mode, EINVAL,
			 "dst runs into an anonymous mapping");
	expect_map_fails(_metadata, CTX, b_end, A, PS, mode, EINVAL,
			 "src in an anonymous mapping");
	expect_map_fails(_metadata, CTX, A, b_end, PS, mode, EINVAL,
			 "dst in an anonymous mapping");
}

/*
 * Rule 9: overlapping ranges are EINVAL, by address within one mapping
 * and by region page across two mappings of one region.
 */
TEST_F(mapmode, overlap)
{
	__u32 mode = variant->mode;
	char *x = mxvm_ctx_mmap(_metadata, CTX, NULL, self->a.offset,
				self->a.len, RW);

	fill_ab(A, B);
	expect_map_fails(_metadata, CTX, A, A + PS, 2 * PS, mode, EINVAL,
			 "dst overlaps the end of src");
	expect_map_fails(_metadata, CTX, A + PS, A, 2 * PS, mode, EINVAL,
			 "src overlaps the end of dst");
	expect_map_fails(_metadata, CTX, A, A, PS, mode, EINVAL,
			 "src is dst");
	expect_map_fails(_metadata, CTX, A, x, PS, mode, EINVAL,
			 "same region page through two mappings");
	expect_map_fails(_metadata, CTX, A, x + PS, 2 * PS, mode, EINVAL,
			 "region page 1 on both sides");
	expect_map_fails(_metadata, CTX, x + PS, A, 2 * PS, mode, EINVAL,
			 "region page 1 on both sides, reversed");
}

/*
 * The destination may not name one region page twice: two mappings of B's
 * page 0 side by side, as a two-page destination, are EINVAL (each of its
 * slots is dropped and linked once; a kernel that did both twice freed a
 * page B still held).  A source that names a page twice is fine: it is
 * only read.
 */
TEST_F(mapmode, dst_names_a_page_twice)
{
	__u32 mode = variant->mode;
	char *twice = mxvm_ctx_anon(_metadata, CTX, 2 * PS);

	mxvm_ctx_mmap(_metadata, CTX, twice, self->b.offset, PS, RW);
	mxvm_ctx_mmap(_metadata, CTX, twice + PS, self->b.offset, PS, RW);
	fill_ab(A, B);
	do_map(_metadata, FD, A, B + 2 * PS, 1, SHARED);	/* B[0] != B[2] */
	do_map(_metadata, FD, B + 2 * PS, B + 3 * PS, 1, SHARED);
	expect_map_fails(_metadata, CTX, A, twice, 2 * PS, mode, EINVAL,
			 "dst names B's page 0 twice");
	do_map(_metadata, FD, twice, A + 4 * PS, 2, mode);
	EXPECT_TRUE(mxvm_page_is(A + 4 * PS, 0xb0));
	EXPECT_TRUE(mxvm_page_is(A + 5 * PS, 0xb0));
	EXPECT_TRUE(mxvm_page_is(B + 3 * PS, 0xa0));
}

/*
 * Mapping never adds rights: SHARED from a page the caller may only read
 * (a READONLY mapping) is EACCES and changes nothing; READONLY and COW
 * from it are fine.
 */
TEST_F(mapmem, shared_from_readonly_page)
{
	char *cc = region_c(_metadata, CTX, 4);

	fill_ab(A, B);
	do_map(_metadata, FD, A, B, 1, RO);
	expect_map_fails(_metadata, CTX, B, cc, 1 * PS, SHARED, EACCES,
			 "SHARED from a read-only page");
	do_map(_metadata, FD, B, cc, 1, RO);
	EXPECT_TRUE(mxvm_page_is(cc, 0xa0));
	EXPECT_EQ(1, mxvm_write_segv(cc, 0x55));
	do_map(_metadata, FD, B, cc + PS, 1, COW);
	mxvm_poke(cc + PS, 0x66);
	EXPECT_TRUE(mxvm_page_is(A, 0xa0));
}

/*
 * One MAP or UNMAP covers at most max_region_mb: EFBIG beyond.  A 32-bit
 * process cannot name a range of the default 1 GiB above A (it would pass
 * 4 GiB, which is EINVAL first): it lowers the limit meanwhile.
 */
TEST_F(mapmem, length_limit)
{
	const char *knob = "/sys/module/minix_vm/parameters/max_region_mb";
	long mb = mxvm_read_long(knob), limit = mb;
	char old[32];
	size_t len;

	ASSERT_LT(0, mb);
	if (sizeof(void *) == 4 && mb > 16) {
		ASSERT_TRUE(write_knob(knob, "16"));
		limit = 16;
	}
	len = ((size_t)limit << 20) + PS;
	EXPECT_EQ(-1, mxvm_map(FD, A, B, len, SHARED));
	EXPECT_EQ(EFBIG, errno);
	EXPECT_EQ(-1, mxvm_unmap(FD, B, len));
	EXPECT_EQ(EFBIG, errno);
	snprintf(old, sizeof(old), "%ld", mb);
	EXPECT_TRUE(limit == mb || write_knob(knob, old));
}

/*
 * Rule 11: munmap() of the whole destination leaves the source intact
 * (data, frames, writable).  B's region keeps what was mapped into it:
 * mapped again, it shows A's later write, or for COW the old snapshot.
 */
TEST_F(mapmode, munmap_dst)
{
	unsigned long pfn[4];
	char *y;

	mxvm_fill(A, 4, 0xa0);
	mxvm_get_frames(_metadata, A, 4, pfn);
	do_map(_metadata, FD, A, B, 4, variant->mode);
	mxvm_expect_fill(_metadata, B, 4, 0xa0);
	mxvm_ctx_munmap(_metadata, CTX, B, self->b.len);

	mxvm_expect_fill(_metadata, A, 4, 0xa0);
	mxvm_expect_frames_kept(_metadata, A, 4, pfn);
	EXPECT_EQ(4, mxvm_held(CTX));
	mxvm_poke(A + 10, 0x11);
	EXPECT_EQ(0x11, mxvm_peek(A + 10));

	y = mxvm_ctx_mmap(_metadata, CTX, NULL, self->b.offset, PS, PROT_READ);
	EXPECT_EQ(variant->mode == COW ? 0xa0 : 0x11, mxvm_peek(y + 10));
}

/*
 * Rule 3: SHARED maps the source's frames (which the source keeps) into
 * the destination; writes are seen both ways, with no copy.
 */
TEST_F(mapmem, shared)
{
	unsigned long pfn[2];

	mxvm_fill(A, 2, 0x11);
	mxvm_fill(B, 2, 0x22);
	mxvm_get_frames(_metadata, A, 2, pfn);
	do_map(_metadata, FD, A, B, 2, SHARED);
	mxvm_expect_frames_kept(_metadata, A, 2, pfn);
	mxvm_expect_frames_kept(_metadata, B, 2, pfn);
	mxvm_expect_fill(_metadata, B, 2, 0x11);

	mxvm_poke(B + PS + 9, 0x33);
	EXPECT_EQ(0x33, mxvm_peek(A + PS + 9));
	mxvm_poke(A + 9, 0x44);
	EXPECT_EQ(0x44, mxvm_peek(B + 9));
	mxvm_expect_frames_kept(_metadata, A, 2, pfn);
	mxvm_expect_frames_kept(_metadata, B, 2, pfn);
	EXPECT_EQ(2, mxvm_held(CTX));
}

/*
 * Rule 4: READONLY maps the source's frames; a write through the
 * destination is refused with SIGSEGV, the source's writes show through.
 */
TEST_F(mapmem, readonly)
{
	unsigned long pfn;

	mxvm_fill(A, 1, 0x11);
	mxvm_fill(B, 1, 0x22);
	pfn = mxvm_pfn(_metadata, A);
	do_map(_metadata, FD, A, B, 1, RO);
	EXPECT_EQ(pfn, mxvm_pfn(_metadata, B));
	EXPECT_EQ(pfn, mxvm_pfn(_metadata, A));
	EXPECT_TRUE(mxvm_page_is(B, 0x11));

	EXPECT_EQ(1, mxvm_write_segv(B + 5, 0x99));
	EXPECT_TRUE(mxvm_page_is(A, 0x11));
	EXPECT_TRUE(mxvm_page_is(B, 0x11));

	mxvm_poke(A + 5, 0x44);
	EXPECT_EQ(0x44, mxvm_peek(B + 5));
	EXPECT_EQ(pfn, mxvm_pfn(_metadata, A));
	EXPECT_EQ(pfn, mxvm_pfn(_metadata, B));
	EXPECT_EQ(1, mxvm_write_segv(B, 0x99));
	EXPECT_EQ(0x11, mxvm_peek(B));
	EXPECT_EQ(1, mxvm_held(CTX));
}

/*
 * Rule 5: after COW A->B (2 pages) both sides map the same frames until
 * @first writes page 0: it gets a new frame holding the old contents plus
 * its write, @second keeps the old frame and data, page 1 stays shared.
 * @second is then the sole holder: its write copies nothing.
 */
static void cow_split(struct __test_metadata *_metadata, struct mxvm_ctx *c,
		      char *a, char *b, char *first, char *second)
{
	unsigned long old[2], fresh;

	mxvm_fill(a, 2, 0x11);
	mxvm_get_frames(_metadata, a, 2, old);
	do_map(_metadata, c->fd, a, b, 2, COW);
	mxvm_expect_fill(_metadata, b, 2, 0x11);
	mxvm_expect_frames_kept(_metadata, a, 2, old);
	mxvm_expect_frames_kept(_metadata, b, 2, old);
	EXPECT_EQ(2, mxvm_held(c));

	mxvm_poke(first + 1, 0x22);
	fresh = mxvm_pfn(_metadata, first);
	EXPECT_NE(old[0], fresh);
	EXPECT_EQ(old[0], mxvm_pfn(_metadata, second));
	EXPECT_EQ(0x22, mxvm_peek(first + 1));
	EXPECT_EQ(0x11, mxvm_peek(first));
	EXPECT_EQ(0x11, mxvm_peek(first + PS - 1));
	EXPECT_TRUE(mxvm_page_is(second, 0x11));
	mxvm_expect_frames_kept(_metadata, a + PS, 1, &old[1]);
	mxvm_expect_frames_kept(_metadata, b + PS, 1, &old[1]);
	EXPECT_EQ(3, mxvm_held(c));

	mxvm_poke(second + 1, 0x33);
	EXPECT_EQ(old[0], mxvm_pfn(_metadata, second));
	EXPECT_EQ(fresh, mxvm_pfn(_metadata, first));
	EXPECT_EQ(0x22, mxvm_peek(first + 1));
	EXPECT_EQ(0x33, mxvm_peek(second + 1));
	EXPECT_EQ(3, mxvm_held(c));
}

/* Rule 5: the destination writes first and gets the copy. */
TEST_F(mapmem, cow_dst_writes_first)
{
	cow_split(_metadata, CTX, A, B, B, A);
}

/* Rule 5: the source writes first and gets the copy. */
TEST_F(mapmem, cow_src_writes_first)
{
	cow_split(_metadata, CTX, A, B, A, B);
}

/*
 * Rule 6: SHARED or READONLY from a page that is COW-shared (A->C) first
 * gives the source its own copy, which is then shared: B maps A's new
 * frame, C keeps the old one and the old data, A's writes reach B only.
 */
static void map_over_cow(struct __test_metadata *_metadata,
			 struct mxvm_ctx *c, char *a, char *b, __u32 mode)
{
	char *cc = region_c(_metadata, c, 4);
	unsigned long old, pa;

	mxvm_fill(a, 1, 0x11);
	old = mxvm_pfn(_metadata, a);
	do_map(_metadata, c->fd, a, cc, 1, COW);
	do_map(_metadata, c->fd, a, b, 1, mode);
	pa = mxvm_pfn(_metadata, a);
	EXPECT_NE(old, pa);
	EXPECT_EQ(pa, mxvm_pfn(_metadata, b));
	EXPECT_EQ(old, mxvm_pfn(_metadata, cc));
	EXPECT_TRUE(mxvm_page_is(a, 0x11));
	EXPECT_TRUE(mxvm_page_is(b, 0x11));
	EXPECT_TRUE(mxvm_page_is(cc, 0x11));
	EXPECT_EQ(2, mxvm_held(c));

	/* A's page is no longer copy-on-write: its write copies nothing. */
	mxvm_poke(a + 3, 0x77);
	EXPECT_EQ(0x77, mxvm_peek(b + 3));
	EXPECT_TRUE(mxvm_page_is(cc, 0x11));
	EXPECT_EQ(pa, mxvm_pfn(_metadata, a));
	EXPECT_EQ(pa, mxvm_pfn(_metadata, b));
	if (mode == SHARED) {
		mxvm_poke(b + 4, 0x88);
		EXPECT_EQ(0x88, mxvm_peek(a + 4));
	} else {
		EXPECT_EQ(1, mxvm_write_segv(b + 4, 0x88));
	}
	EXPECT_TRUE(mxvm_page_is(cc, 0x11));

	/* C is the old frame's sole holder now. */
	mxvm_poke(cc, 0x99);
	EXPECT_EQ(old, mxvm_pfn(_metadata, cc));
	EXPECT_EQ(0x11, mxvm_peek(a));
	EXPECT_EQ(2, mxvm_held(c));
}

TEST_F(mapmem, shared_over_cow)
{
	map_over_cow(_metadata, CTX, A, B, SHARED);
}

TEST_F(mapmem, readonly_over_cow)
{
	map_over_cow(_metadata, CTX, A, B, RO);
}

/*
 * Rule 5 against the mprotect() trap (cow.c's "mprotect() optimization"):
 * mprotect() may make a dirty PTE of a shared mapping writable again
 * without asking ->page_mkwrite.  A page written before a COW map, read
 * after it, then mprotect()ed read-only and back, must still be copied on
 * its next write.
 */
TEST_F(mapmem, cow_mprotect_dance)
{
	unsigned long old;

	mxvm_fill(A, 1, 0x11);			/* a dirty, writable PTE */
	do_map(_metadata, FD, A, B, 1, COW);
	old = mxvm_pfn(_metadata, B);
	EXPECT_EQ(old, mxvm_pfn(_metadata, A));	/* present again */
	ASSERT_EQ(0, mprotect(A, PS, PROT_READ));
	ASSERT_EQ(0, mprotect(A, PS, RW));
	mxvm_poke(A, 0x22);
	EXPECT_TRUE(mxvm_page_is(B, 0x11));
	EXPECT_EQ(old, mxvm_pfn(_metadata, B));
	EXPECT_NE(old, mxvm_pfn(_metadata, A));
}

/*
 * Rule 7: COW from a page that is SHARED now gives the destination an
 * immediate private copy (allocated by the MAP); A and B go on sharing.
 */
TEST_F(mapmem, cow_over_shared)
{
	char *cc = region_c(_metadata, CTX, 4);
	unsigned long pa, pc;

	mxvm_fill(A, 1, 0x11);
	do_map(_metadata, FD, A, B, 1, SHARED);
	pa = mxvm_pfn(_metadata, A);
	EXPECT_EQ(1, mxvm_held(CTX));
	do_map(_metadata, FD, A, cc, 1, COW);
	EXPECT_EQ(2, mxvm_held(CTX));
	pc = mxvm_pfn(_metadata, cc);
	EXPECT_NE(pa, pc);
	EXPECT_TRUE(mxvm_page_is(cc, 0x11));
	EXPECT_EQ(pa, mxvm_pfn(_metadata, A));
	EXPECT_EQ(pa, mxvm_pfn(_metadata, B));

	mxvm_poke(A, 0x22);
	EXPECT_EQ(0x22, mxvm_peek(B));
	EXPECT_TRUE(mxvm_page_is(cc, 0x11));
	mxvm_poke(cc, 0x33);
	EXPECT_EQ(pc, mxvm_pfn(_metadata, cc));
	EXPECT_EQ(0x22, mxvm_peek(A));
	EXPECT_EQ(2, mxvm_held(CTX));
}

/*
 * Rule 7, no stale flag: once UNMAP ended the sharing of A's page, COW
 * from it is a real copy-on-write (same frame), not an eager copy.
 */
TEST_F(mapmem, cow_after_share_ended)
{
	char *cc = region_c(_metadata, CTX, 4);
	unsigned long pa;

	mxvm_fill(A, 1, 0x11);
	pa = mxvm_pfn(_metadata, A);
	do_map(_metadata, FD, A, B, 1, SHARED);
	do_unmap(_metadata, FD, B, 1);
	EXPECT_EQ(pa, mxvm_pfn(_metadata, A));
	EXPECT_NE(pa, mxvm_pfn(_metadata, B));
	EXPECT_EQ(2, mxvm_held(CTX));

	do_map(_metadata, FD, A, cc, 1, COW);
	EXPECT_EQ(2, mxvm_held(CTX));
	EXPECT_EQ(pa, mxvm_pfn(_metadata, cc));
	EXPECT_EQ(pa, mxvm_pfn(_metadata, A));
	EXPECT_TRUE(mxvm_page_is(cc, 0x11));

	mxvm_poke(cc, 0x33);
	EXPECT_NE(pa, mxvm_pfn(_metadata, cc));
	EXPECT_EQ(pa, mxvm_pfn(_metadata, A));
	EXPECT_TRUE(mxvm_page_is(A, 0x11));
	EXPECT_EQ(3, mxvm_held(CTX));
}

/*
 * Rule 8: after @mode A->B (2 pages of 0x11, 0x12), UNMAP of @side (A or
 * B) gives that side private, writable copies of the current contents;
 * the other side keeps the frames; from then on writes stay apart.
 */
static void unmap_case(struct __test_metadata *_metadata, struct mxvm_ctx *c,
		       char *a, char *b, __u32 mode, char *side)
{
	char *other = side == a ? b : a;
	unsigned long pfn[2];

	mxvm_fill(a, 2, 0x11);
	mxvm_fill(b, 2, 0x22);
	mxvm_get_frames(_metadata, a, 2, pfn);
	do_map(_metadata, c->fd, a, b, 2, mode);
	if (mode == RO)
		EXPECT_EQ(1, mxvm_write_segv(b + 1, 0x77));
	do_unmap(_metadata, c->fd, side, 2);

	mxvm_expect_fill(_metadata, side, 2, 0x11);
	mxvm_expect_fill(_metadata, other, 2, 0x11);
	mxvm_expect_frames_kept(_metadata, other, 2, pfn);
	mxvm_expect_frames(_metadata, side, other, 2, false);
	EXPECT_EQ(4, mxvm_held(c));

	/* Writable now (READONLY included), and private. */
	ASSERT_EQ(0, mxvm_write_segv(side + 1, 0x33));
	EXPECT_EQ(0x33, mxvm_peek(side + 1));
	EXPECT_EQ(0x11, mxvm_peek(other + 1));
	if (other == a || mode != RO) {
		mxvm_poke(other + PS + 1, 0x44);
		EXPECT_EQ(0x12, mxvm_peek(side + PS + 1));
	}
	mxvm_expect_frames_kept(_metadata, other, 2, pfn);
	EXPECT_EQ(4, mxvm_held(c));
}

/* Rule 8: UNMAP of a SHARED destination leaves it a private snapshot. */
TEST_F(mapmem, unmap_shared_dst)
{
	unmap_case(_metadata, CTX, A, B, SHARED, B);
}

/* Rule 8: UNMAP of the source side of a SHARED pair works the same. */
TEST_F(mapmem, unmap_shared_src)
{
	unmap_case(_metadata, CTX, A, B, SHARED, A);
}

/* Rule 8: UNMAP over a READONLY mapping makes it a writable copy. */
TEST_F(mapmem, unmap_readonly_dst)
{
	unmap_case(_metadata, CTX, A, B, RO, B);
}

/* Rule 8: UNMAP of a COW destination copies it before any write. */
TEST_F(mapmem, unmap_cow_dst)
{
	unmap_case(_metadata, CTX, A, B, COW, B);
}

/*
 * Rule 8: UNMAP of pages never shared changes nothing: same frames, same
 * data, and untouched pages stay unallocated.
 */
TEST_F(mapmem, unmap_never_shared)
{
	unsigned long pfn[2];

	mxvm_fill(A, 2, 0x11);
	mxvm_get_frames(_metadata, A, 2, pfn);
	do_unmap(_metadata, FD, A, 2);
	mxvm_expect_frames_kept(_metadata, A, 2, pfn);
	mxvm_expect_fill(_metadata, A, 2, 0x11);
	EXPECT_EQ(2, mxvm_held(CTX));
	do_unmap(_metadata, FD, A + 4 * PS, 4);
	EXPECT_EQ(2, mxvm_held(CTX));
	do_unmap(_metadata, FD, A, NPAGES);
	EXPECT_EQ(2, mxvm_held(CTX));
	mxvm_expect_frames_kept(_metadata, A, 2, pfn);
	mxvm_poke(A, 0x55);
	EXPECT_EQ(0x55, mxvm_peek(A));
}

/* Rule 9: unknown modes, flags and a non-zero reserved field: EINVAL. */
TEST_F(mapmem, bad_mode_flags)
{
	static const __u32 modes[] = { 0, 4, 0x80000003u, ~0u };
	struct minixvm_map m;

	fill_ab(A, B);
	for (unsigned int i = 0; i < ARRAY_SIZE(modes); i++)
		expect_map_fails(_metadata, CTX, A, B, PS, modes[i], EINVAL,
				 "unknown mode");
	m = mxvm_map_args(A, B, PS, SHARED);
	m.flags = 1;
	expect_fails(_metadata, CTX, MINIXVM_IOC_MAP, &m, EINVAL, "flags 1");
	m.flags = 1u << 31;
	expect_fails(_metadata, CTX, MINIXVM_IOC_MAP, &m, EINVAL,
		     "flags 1 << 31");
	m.flags = 0;
	m.__reserved = 1;
	expect_fails(_metadata, CTX, MINIXVM_IOC_MAP, &m, EINVAL, "reserved");
}

/*
 * A read-only region as the destination: SHARED into it is fine (the
 * mapping stays read-only there); it sees the source's writes.
 */
TEST_F(mapmem, readonly_region_dst)
{
	char *r = mxvm_ctx_region(_metadata, CTX, 4, 0, false).addr;

	mxvm_fill(A, 1, 0x11);
	do_map(_metadata, FD, A, r, 1, SHARED);
	EXPECT_TRUE(mxvm_page_is(r, 0x11));
	mxvm_expect_frames(_metadata, A, r, 1, true);
	mxvm_poke(A, 0x22);
	EXPECT_EQ(0x22, mxvm_peek(r));
	EXPECT_EQ(1, mxvm_write_segv(r, 0x33));
	EXPECT_EQ(0x22, mxvm_peek(A));
	EXPECT_EQ(1, mxvm_held(CTX));
}

/*
 * Rule 9: SHARED from a read-only region is EACCES and changes nothing;
 * READONLY and COW from it are allowed.
 */
TEST_F(mapmem, readonly_region_src)
{
	char *r = mxvm_ctx_region(_metadata, CTX, 4, 0, false).addr;

	fill_ab(A, B);
	do_map(_metadata, FD, A, r, 1, SHARED);
	expect_map_fails(_metadata, CTX, r, B, PS, SHARED, EACCES,
			 "SHARED from a read-only region");
	expect_map_fails(_metadata, CTX, r + PS, B + PS, 2 * PS, SHARED,
			 EACCES, "SHARED from a read-only region's zeroes");

	do_map(_metadata, FD, r, B, 1, RO);
	EXPECT_TRUE(mxvm_page_is(B, 0xa0));
	mxvm_expect_frames(_metadata, A, B, 1, true);
	mxvm_poke(A, 0x55);
	EXPECT_EQ(0x55, mxvm_peek(B));

	do_map(_metadata, FD, r + 2 * PS, B + 2 * PS, 1, COW);
	expect_zero(_metadata, B + 2 * PS, 1);
	mxvm_expect_frames(_metadata, r + 2 * PS, B + 2 * PS, 1, true);
	mxvm_poke(B + 2 * PS, 0x66);
	mxvm_expect_frames(_metadata, r + 2 * PS, B + 2 * PS, 1, false);
	expect_zero(_metadata, r + 2 * PS, 1);
}

/*
 * Rule 9 for UNMAP: bad flags, a zero or unaligned range, a range not
 * wholly in minixvm mappings (EINVAL) or not wholly mapped (EFAULT) fail
 * and leave even the valid pages of the range shared.
 */
TEST_F(mapmem, unmap_bad_args)
{
	struct minixvm_unmap u = mxvm_unmap_args(B, PS);
	char *a_end = A + NPAGES * PS, *b_end = B + NPAGES * PS;

	fill_ab(A, B);
	do_map(_metadata, FD, A, B, 2, SHARED);
	u.flags = 1;
	expect_fails(_metadata, CTX, MINIXVM_IOC_UNMAP, &u, EINVAL, "flags 1");
	expect_unmap_fails(_metadata, CTX, B + 1, PS, EINVAL, "unaligned");
	expect_unmap_fails(_metadata, CTX, B, PS + 1, EINVAL,
			   "length unaligned");
	expect_unmap_fails(_metadata, CTX, B, 0, EINVAL, "length 0");
	expect_unmap_fails(_metadata, CTX, B, NPAGES * PS + PS, EINVAL,
			   "runs into an anonymous mapping");
	expect_unmap_fails(_metadata, CTX, b_end, PS, EINVAL,
			   "an anonymous mapping");
	expect_unmap_fails(_metadata, CTX, A, NPAGES * PS + PS, EFAULT,
			   "runs into unmapped space");
	expect_unmap_fails(_metadata, CTX, a_end, PS, EFAULT, "unmapped");
	mxvm_expect_frames(_metadata, A, B, 2, true);
}

/*
 * Mapping between different pages of one region is no overlap: SHARED
 * of region page 0 over region page 1 (through a second mapping) and over
 * page 8 (within A) is seen through every mapping of those pages.
 */
TEST_F(mapmem, same_region_other_pages)
{
	char *x = mxvm_ctx_mmap(_metadata, CTX, NULL, self->a.offset,
				self->a.len, RW);

	mxvm_fill(A, 2, 0x11);
	do_map(_metadata, FD, A, x + PS, 1, SHARED);
	EXPECT_TRUE(mxvm_page_is(x + PS, 0x11));
	EXPECT_TRUE(mxvm_page_is(A + PS, 0x11));
	mxvm_expect_frames(_metadata, A, A + PS, 1, true);
	mxvm_expect_frames(_metadata, x, x + PS, 1, true);
	do_map(_metadata, FD, A, A + 8 * PS, 1, SHARED);
	EXPECT_TRUE(mxvm_page_is(x + 8 * PS, 0x11));
	mxvm_expect_frames(_metadata, A, x + 8 * PS, 1, true);
	mxvm_poke(x + 8 * PS, 0x22);
	EXPECT_EQ(0x22, mxvm_peek(A + PS));
	EXPECT_EQ(1, mxvm_held(CTX));
}

/*
 * A range may span several minixvm mappings: mprotect() of A's middle
 * page splits A's VMA in three, and one SHARED MAP covers them all.
 */
TEST_F(mapmem, span_split_vma)
{
	mxvm_fill(A, 5, 0x11);
	mxvm_fill(B, 5, 0x22);
	ASSERT_EQ(0, mprotect(A + 2 * PS, PS, PROT_READ));
	do_map(_metadata, FD, A, B, 5, SHARED);
	mxvm_expect_fill(_metadata, B, 5, 0x11);
	mxvm_expect_frames(_metadata, A, B, 5, true);
	mxvm_poke(B + 2 * PS, 0x33);
	EXPECT_EQ(0x33, mxvm_peek(A + 2 * PS));
	mxvm_poke(A + 4 * PS, 0x44);
	EXPECT_EQ(0x44, mxvm_peek(B + 4 * PS));
	EXPECT_EQ(1, mxvm_write_segv(A + 2 * PS, 0x55));
	EXPECT_EQ(5, mxvm_held(CTX));
}

/*
 * A range may span mappings of two regions side by side, as destination
 * and as source.
 */
TEST_F(mapmem, span_two_regions)
{
	char *res = mxvm_ctx_anon(_metadata, CTX, 8 * PS);
	__u64 off1, off2;

	ASSERT_EQ(0, mxvm_region(FD, 4 * PS, WRITABLE, NULL, &off1));
	ASSERT_EQ(0, mxvm_region(FD, 4 * PS, WRITABLE, NULL, &off2));
	mxvm_ctx_mmap(_metadata, CTX, res, off1, 4 * PS, RW);
	mxvm_ctx_mmap(_metadata, CTX, res + 4 * PS, off2, 4 * PS, RW);
	mxvm_fill(A, 4, 0x11);

	do_map(_metadata, FD, A, res + 2 * PS, 4, SHARED);
	mxvm_expect_fill(_metadata, res + 2 * PS, 4, 0x11);
	mxvm_expect_frames(_metadata, A, res + 2 * PS, 4, true);
	do_map(_metadata, FD, res + 2 * PS, B, 4, RO);
	mxvm_expect_fill(_metadata, B, 4, 0x11);
	mxvm_expect_frames(_metadata, A, B, 4, true);
	EXPECT_EQ(4, mxvm_held(CTX));
}

/*
 * fork(): one byte per cell; the parent writes after the fork, then the
 * child checks what it sees and writes, then the parent checks.
 */
struct fork_cell {
	char *addr;
	int parent_writes;		/* after the fork, or -1 */
	int child_writes;		/* after the parent's writes, or -1 */
	unsigned char child_sees;	/* before its own write */
	unsigned char parent_sees;	/* after the child's write */
};

/* The child's side; its exit status says which check failed. */
static int fork_child(const struct fork_cell *cells, unsigned int n,
		      int go, int done)
{
	char x;

	if (read(go, &x, 1) != 1)
		return 100;
	for (unsigned int i = 0; i < n; i++)
		if (mxvm_peek(cells[i].addr) != cells[i].child_sees)
			return 10 + i;
	for (unsigned int i = 0; i < n; i++) {
		if (cells[i].child_writes < 0)
			continue;
		mxvm_poke(cells[i].addr, cells[i].child_writes);
		if (mxvm_peek(cells[i].addr) != cells[i].child_writes)
			return 20 + i;
	}
	if (write(done, "c", 1) != 1)
		return 101;
	/* Hold the pages until the parent has looked. */
	if (read(go, &x, 1) != 1)
		return 102;
	return 0;
}

static void run_fork(struct __test_metadata *_metadata, struct mxvm_ctx *c,
		     const struct fork_cell *cells, unsigned int n)
{
	long held = mxvm_held(c);
	long objects = mxvm_sysfs_long("nr_objects");
	int go[2], done[2], rc;
	char x;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	if (mxvm_ctx_fork(_metadata, c) == 0) {
		close(go[1]);
		close(done[0]);
		_exit(fork_child(cells, n, go[0], done[1]));
	}
	close(go[0]);
	close(done[1]);
	for (unsigned int i = 0; i < n; i++)
		if (cells[i].parent_writes >= 0)
			mxvm_poke(cells[i].addr, cells[i].parent_writes);
	ASSERT_EQ(1, write(go[1], "p", 1));
	if (read(done[0], &x, 1) == 1) {
		for (unsigned int i = 0; i < n; i++) {
			EXPECT_EQ(cells[i].parent_sees,
				  mxvm_peek(cells[i].addr))
				TH_LOG("cell %u: the child's write is seen", i);
		}
		ASSERT_EQ(1, write(go[1], "p", 1));
	}
	rc = mxvm_ctx_wait(_metadata, c);
	/* 10 + i: cell i changed after the fork; 20 + i: a write was lost */
	EXPECT_EQ(0, rc) TH_LOG("the child's check %d failed", rc);
	close(go[1]);
	close(done[0]);
	EXPECT_EQ(held, mxvm_held(c));
	EXPECT_EQ(objects, mxvm_sysfs_long("nr_objects"));
}

/*
 * Rule 10: the child never keeps sharing.  With A and B SHARED, the
 * parent's write to A after the fork reaches the parent's B but neither
 * of the child's; the child's write to its B is not seen by the parent.
 */
TEST_F(mapmem, fork_shared_snapshot)
{
	const struct fork_cell cells[] = {
		{ .addr = A, .parent_writes = 2, .child_writes = -1,
		  .child_sees = 1, .parent_sees = 2 },
		{ .addr = B, .parent_writes = -1, .child_writes = 3,
		  .child_sees = 1, .parent_sees = 2 },
	};

	do_map(_metadata, FD, A, B, 1, SHARED);
	mxvm_poke(B, 1);
	ASSERT_EQ(1, mxvm_peek(A));
	run_fork(_metadata, CTX, cells, ARRAY_SIZE(cells));
	/* The parent's own pair still shares. */
	mxvm_expect_frames(_metadata, A, B, 1, true);
	mxvm_poke(B, 4);
	EXPECT_EQ(4, mxvm_peek(A));
}

/*
 * Rule 10: pages never shared are copy-on-write between parent and
 * child: neither sees the other's later writes.
 */
TEST_F(mapmem, fork_private_cow)
{
	const struct fork_cell cells[] = {
		{ .addr = A, .parent_writes = 0x20, .child_writes = -1,
		  .child_sees = 0x10, .parent_sees = 0x20 },
		{ .addr = A + PS, .parent_writes = -1, .child_writes = 0x21,
		  .child_sees = 0x11, .parent_sees = 0x11 },
	};

	mxvm_fill(A, 2, 0x10);
	run_fork(_metadata, CTX, cells, ARRAY_SIZE(cells));
	EXPECT_EQ(2, mxvm_held(CTX));
}

/* In the forked child: use the module, then exit without cleaning up. */
static int exit_child(void)
{
	struct minixvm_api api;
	__u64 o1, o2;
	char *x, *y;
	int fd;

	fd = open(MINIXVM_DEVICE, O_RDWR);
	if (fd < 0)
		return 1;
	if (mxvm_handshake(fd, &api))
		return 2;
	if (mxvm_region(fd, 8 * PS, WRITABLE, NULL, &o1) ||
	    mxvm_region(fd, 8 * PS, WRITABLE, NULL, &o2))
		return 3;
	x = mxvm_mmap_region(fd, o1, 8 * PS, RW);
	y = mxvm_mmap_region(fd, o2, 8 * PS, RW);
	if (x == MAP_FAILED || y == MAP_FAILED)
		return 4;
	mxvm_fill(x, 8, 0x11);
	if (mxvm_map(fd, x, y, 2 * PS, SHARED) ||
	    mxvm_map(fd, x + 2 * PS, y + 2 * PS, 2 * PS, COW) ||
	    mxvm_map(fd, x + 4 * PS, y + 4 * PS, 2 * PS, RO))
		return 5;
	mxvm_poke(y + 2 * PS, 0x22);		/* a copy-on-write copy */
	if (mxvm_unmap(fd, y + PS, PS))		/* a private copy */
		return 6;
	return 0;
}

/*
 * Rule 11: a process that exits with regions, mappings and shared pages
 * it never released leaves nothing behind once reaped.
 */
TEST_F(mapmem, process_exit)
{
	long held, objects;
	int rc;

	mxvm_fill(A, 2, 0x11);
	held = mxvm_held(CTX);
	objects = mxvm_sysfs_long("nr_objects");
	if (mxvm_ctx_fork(_metadata, CTX) == 0)
		_exit(exit_child());
	rc = mxvm_ctx_wait(_metadata, CTX);
	EXPECT_EQ(0, rc) TH_LOG("the child failed at its step %d", rc);
	EXPECT_EQ(held, mxvm_held(CTX));
	EXPECT_EQ(objects, mxvm_sysfs_long("nr_objects"));
	mxvm_expect_fill(_metadata, A, 2, 0x11);
}

/*
 * B lets go of the frame it shares with A (how: @let_go) while a pipe holds
 * the page B vmsplice()d into it.  A then writes: the pipe must still show
 * what B could see, never A's later data (CVE-2020-29374 in the module's
 * terms): the frame is left to the pipe and A moves to a copy.  (A
 * munmap() of part of B's region does not let go: the region keeps the
 * page, and B may map it again.)
 */
enum let_go { BY_COW_BREAK, BY_UNMAP, BY_MUNMAP };

static void pipe_keeps_frame(struct __test_metadata *_metadata,
			     struct mxvm_ctx *c, char *a,
			     struct mxvm_mapping *bm, __u32 mode,
			     enum let_go how)
{
	char *b = bm->addr;
	struct iovec iov = { .iov_base = b, .iov_len = PS };
	unsigned long pfn_a;
	char buf[PS];
	int pipefd[2];

	mxvm_fill(a, 1, 0x11);
	do_map(_metadata, c->fd, a, b, 1, mode);
	pfn_a = mxvm_pfn(_metadata, a);
	ASSERT_EQ(pfn_a, mxvm_pfn(_metadata, b));
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(PS, vmsplice(pipefd[1], &iov, 1, 0));

	switch (how) {
	case BY_COW_BREAK:
		mxvm_poke(b, 0x22);
		break;
	case BY_UNMAP:
		do_unmap(_metadata, c->fd, b, 1);
		break;
	case BY_MUNMAP:
		/* The region goes with its handle and its last mapping. */
		ASSERT_EQ(0, mxvm_region_destroy(c->fd, bm->id));
		mxvm_ctx_munmap(_metadata, c, b, bm->len);
		break;
	}
	EXPECT_TRUE(mxvm_page_is(a, 0x11));
	mxvm_poke(a, 0x77);
	/* A moved to a copy of the frame, which the pipe keeps. */
	EXPECT_NE(pfn_a, mxvm_pfn(_metadata, a));
	EXPECT_EQ(0x77, mxvm_peek(a));

	ASSERT_EQ(PS, read(pipefd[0], buf, PS));
	EXPECT_EQ(0x11, (unsigned char)buf[0])
		TH_LOG("the pipe shows A's write after B let go of the frame");
	EXPECT_EQ(0x11, (unsigned char)buf[PS - 1]);
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST_F(mapmem, pipe_keeps_frame_after_cow_break)
{
	pipe_keeps_frame(_metadata, CTX, A, &self->b, COW, BY_COW_BREAK);
}

TEST_F(mapmem, pipe_keeps_frame_after_unmap_shared)
{
	pipe_keeps_frame(_metadata, CTX, A, &self->b, SHARED, BY_UNMAP);
}

TEST_F(mapmem, pipe_keeps_frame_after_unmap_cow)
{
	pipe_keeps_frame(_metadata, CTX, A, &self->b, COW, BY_UNMAP);
}

TEST_F(mapmem, pipe_keeps_frame_after_munmap_readonly)
{
	pipe_keeps_frame(_metadata, CTX, A, &self->b, RO, BY_MUNMAP);
}

/* Without a pin, a holder left alone with a frame keeps it. */
TEST_F(mapmem, frame_kept_without_pin)
{
	unsigned long pfn_a;

	mxvm_fill(A, 1, 0x11);
	do_map(_metadata, FD, A, B, 1, COW);
	pfn_a = mxvm_pfn(_metadata, A);
	mxvm_poke(B, 0x22);
	mxvm_poke(A, 0x77);
	EXPECT_EQ(pfn_a, mxvm_pfn(_metadata, A));
	EXPECT_EQ(0x22, mxvm_peek(B));
}

/*
 * Rule 9 with ENOMEM: each allocation a MAP or UNMAP makes is failed in
 * turn through the module's fault attribute (/sys/kernel/debug/
 * fail_minixvm, limited to this task by make-it-fail), until the call
 * succeeds; each failed call must return ENOMEM and change nothing, and
 * no injected failure may be swallowed.  Skipped where the kernel has no
 * fault injection (the Debian kernels); the debug kernel has it.
 */
TEST_F(mapmem, enomem_all_or_nothing)
{
	char *cc = region_c(_metadata, CTX, NPAGES);
	struct minixvm_map m;
	struct minixvm_unmap u;
	struct fault_inject fi;
	unsigned int failed = 0;
	char *d;

	if (!fi_start(&fi)) {
		fi_stop(&fi);
		SKIP(return, "no fault injection in this kernel");
	}
	/* D: a source whose pages were never touched (not snapshotted). */
	d = region_c(_metadata, CTX, NPAGES);
	for (unsigned int i = 0; i < CTX->nr_maps; i++)
		if (CTX->maps[i].addr == d)
			CTX->maps[i].watch = false;
	fill_ab(A, B);
	mxvm_fill(cc, NPAGES, 0xc0);
	do_map(_metadata, FD, A, cc, 1, COW);		/* A[0]: COW-shared */
	do_map(_metadata, FD, A + 8 * PS, cc + 8 * PS, 1, SHARED);

	/* SHARED over a COW page: the source's copy (case a). */
	m = mxvm_map_args(A, B, 4 * PS, SHARED);
	failed += walk_failures(_metadata, &fi, CTX, MINIXVM_IOC_MAP, &m,
				"MAP SHARED over COW");
	EXPECT_EQ(pfn_of(A), pfn_of(B));
	EXPECT_NE(pfn_of(A), pfn_of(cc));

	/* COW over a SHARED page: the destination's eager copy (case c). */
	m = mxvm_map_args(A + 8 * PS, B + 8 * PS, PS, COW);
	failed += walk_failures(_metadata, &fi, CTX, MINIXVM_IOC_MAP, &m,
				"MAP COW over SHARED");
	EXPECT_NE(pfn_of(A + 8 * PS), pfn_of(B + 8 * PS));

	/* Untouched source pages: zero pages and new xarray slots. */
	m = mxvm_map_args(d, B + 12 * PS, 4 * PS, COW);
	failed += walk_failures(_metadata, &fi, CTX, MINIXVM_IOC_MAP, &m,
				"MAP from untouched pages");
	expect_zero(_metadata, B + 12 * PS, 4);

	/* UNMAP of shared pages: private copies. */
	u = mxvm_unmap_args(B, 4 * PS);
	failed += walk_failures(_metadata, &fi, CTX, MINIXVM_IOC_UNMAP, &u,
				"UNMAP");
	EXPECT_NE(pfn_of(A), pfn_of(B));
	fi_stop(&fi);
	/*
	 * Each call allocates (range segments, xarray nodes, pages): a walk
	 * that failed nothing would prove nothing.
	 */
	EXPECT_LE(12, failed);
	TH_LOG("%u allocation failures injected", failed);
	mxvm_figure("fi.map_unmap", "%u", failed,
		    "injected failures over MAP (every mode) and UNMAP");
}

/* In the child of a fork whose snapshot failed: see below. */
static int broken_child(struct fault_inject *fi, int fd, char *a, char *b)
{
	/*
	 * make-it-fail is inherited: clear it before anything else, in this
	 * task (the fd the parent opened names the parent's thread).
	 */
	if (!write_knob("/proc/thread-self/make-it-fail", "0"))
		return 2;
	if (mxvm_map(fd, a, b, PS, SHARED) != -1 || errno != EFAULT)
		return 3;
	mxvm_peek(a);		/* SIGBUS */
	return 4;
}

/*
 * fork() cannot fail once it calls ->open, so a snapshot the kernel runs
 * out of memory for leaves the child's mapping unusable rather than
 * wrong: every access is SIGBUS and MAP/UNMAP refuse it (EFAULT).  The
 * parent keeps its sharing, and the child's exit leaks nothing.
 */
TEST_F(mapmem, fork_snapshot_enomem)
{
	struct fault_inject fi;
	unsigned long pa;
	int status;

	if (!fi_start(&fi)) {
		fi_stop(&fi);
		SKIP(return, "no fault injection in this kernel");
	}
	mxvm_fill(A, 4, 0x11);
	do_map(_metadata, FD, A, B, 4, SHARED);	/* eager copies at fork */
	pa = mxvm_pfn(_metadata, A);
	ASSERT_TRUE(write_knob(FAIL_DIR "space", "1"));
	ASSERT_TRUE(write_knob(FAIL_DIR "times", "-1"));
	ASSERT_EQ(1, write(fi.make_it_fail, "1", 1));
	if (mxvm_ctx_fork(_metadata, CTX) == 0)
		_exit(broken_child(&fi, FD, A, B));
	ASSERT_EQ(1, write(fi.make_it_fail, "0", 1));
	fi_stop(&fi);
	ASSERT_EQ(CTX->child, waitpid(CTX->child, &status, 0));
	CTX->child = 0;
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		TH_LOG("child status %#x (exit 3: MAP not EFAULT, 4: no SIGBUS)",
		       status);
	EXPECT_EQ(pa, mxvm_pfn(_metadata, A));
	EXPECT_EQ(pa, mxvm_pfn(_metadata, B));
	mxvm_poke(B, 0x22);
	EXPECT_EQ(0x22, mxvm_peek(A));
}

TEST_HARNESS_MAIN
