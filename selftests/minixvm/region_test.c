// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm selftests: regions (MINIXVM_IOC_REGION_CREATE and _DESTROY) and
 * how they are mmap()ed, unmapped, moved and advised.
 *
 * Every test runs on a fixture that records the module's counters before
 * opening the device; its teardown unmaps everything, closes the file and
 * checks that the counters are back where they were.
 */
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "mxvm_test.h"

#define PS		MXVM_PS
#define RW		(PROT_READ | PROT_WRITE)
#define WRITABLE	MINIXVM_REGION_WRITABLE
#define MAX_REGION_MB	"/sys/module/minix_vm/parameters/max_region_mb"

FIXTURE(region) {
	struct mxvm_ctx c;
};

FIXTURE_SETUP(region)
{
	mxvm_ctx_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(region)
{
	mxvm_ctx_teardown(_metadata, &self->c);
}

/* Create a region without mapping it; returns its offset. */
static __u64 new_region(struct __test_metadata *_metadata, int fd,
			unsigned int npages, __u32 flags, __u32 *id)
{
	__u64 offset = 0;

	ASSERT_EQ(0, mxvm_region(fd, npages * PS, flags, id, &offset))
		TH_LOG("REGION_CREATE of %u pages: %s", npages,
		       strerror(errno));
	return offset;
}

/*
 * A REGION_CREATE that must fail with @err: it writes no output field
 * back and the module holds nothing more than before.
 */
static void expect_create_fails(struct __test_metadata *_metadata, int fd,
				__u64 length, __u32 flags, __u32 reserved,
				int err)
{
	struct minixvm_region_create rc = {
		.size = sizeof(rc),
		.flags = flags,
		.length = length,
		.out_id = 0xdeadbeef,
		.__reserved = reserved,
		.out_offset = 0xfeed0000ULL,
	};
	long pages = mxvm_sysfs_long("nr_pages");
	long objects = mxvm_sysfs_long("nr_objects");
	int ret, e;

	ret = ioctl(fd, MINIXVM_IOC_REGION_CREATE, &rc);
	e = errno;
	EXPECT_EQ(-1, ret) TH_LOG("length %#llx flags %#x reserved %#x",
				  (unsigned long long)length, flags, reserved);
	EXPECT_EQ(err, e) TH_LOG("length %#llx flags %#x reserved %#x: %s",
				 (unsigned long long)length, flags, reserved,
				 strerror(e));
	EXPECT_EQ(0xdeadbeef, rc.out_id);
	EXPECT_EQ(0xfeed0000ULL, rc.out_offset);
	EXPECT_EQ(pages, mxvm_sysfs_long("nr_pages"));
	EXPECT_EQ(objects, mxvm_sysfs_long("nr_objects"));
}

/* An mmap() that must fail with @err (and is undone if it did not). */
static void expect_mmap_fails(struct __test_metadata *_metadata, int fd,
			      __u64 offset, size_t len, int prot, int flags,
			      int err)
{
	void *p = mmap(NULL, len, prot, flags, fd, (off_t)offset);
	int e = errno;

	EXPECT_EQ(MAP_FAILED, p) TH_LOG("offset %#llx len %#zx prot %#x",
					(unsigned long long)offset, len, prot);
	if (p != MAP_FAILED) {
		munmap(p, len);
		return;
	}
	EXPECT_EQ(err, e) TH_LOG("offset %#llx len %#zx prot %#x: %s",
				 (unsigned long long)offset, len, prot,
				 strerror(e));
}

/* Length: zero or not a multiple of the page size is EINVAL. */
TEST_F(region, create_bad_length)
{
	static const __u64 lengths[] = { 0, 1, PS - 1, PS + 1, 3 * PS + 512 };

	for (unsigned int i = 0; i < ARRAY_SIZE(lengths); i++) {
		expect_create_fails(_metadata, self->c.fd, lengths[i],
				    WRITABLE, 0, EINVAL);
		expect_create_fails(_metadata, self->c.fd, lengths[i], 0, 0,
				    EINVAL);
	}
}

/* Flags: any bit but MINIXVM_REGION_WRITABLE is EINVAL. */
TEST_F(region, create_bad_flags)
{
	static const __u32 flags[] = {
		1u << 1, 1u << 5, 1u << 31, WRITABLE | 1u << 5, ~0u,
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(flags); i++)
		expect_create_fails(_metadata, self->c.fd, PS, flags[i], 0,
				    EINVAL);
}

/* The reserved field must be zero: EINVAL otherwise. */
TEST_F(region, create_reserved)
{
	expect_create_fails(_metadata, self->c.fd, PS, WRITABLE, 1, EINVAL);
	expect_create_fails(_metadata, self->c.fd, PS, 0, 0x80000000u, EINVAL);
}

/* A length above max_region_mb is EFBIG; max_region_mb itself is fine. */
TEST_F(region, create_too_big)
{
	long max_mb = mxvm_read_long(MAX_REGION_MB);
	__u32 id;

	expect_create_fails(_metadata, self->c.fd, 1ULL << 50, WRITABLE, 0,
			    EFBIG);
	expect_create_fails(_metadata, self->c.fd, ~(PS - 1), WRITABLE, 0,
			    EFBIG);
	if (max_mb <= 0)
		return;
	expect_create_fails(_metadata, self->c.fd, (max_mb + 1) << 20,
			    WRITABLE, 0, EFBIG);
	/* The limit is inclusive, and creating allocates no page. */
	ASSERT_EQ(0, mxvm_region(self->c.fd, (__u64)max_mb << 20, WRITABLE,
				 &id, NULL)) TH_LOG("%ld MiB: %s", max_mb,
						    strerror(errno));
	EXPECT_EQ(0, mxvm_held(&self->c));
	EXPECT_EQ(0, mxvm_region_destroy(self->c.fd, id));
}

/*
 * Success: page-aligned offsets, distinct ids, disjoint offset windows;
 * creating costs objects but no pages (pages come on first touch).
 */
TEST_F(region, create_ok)
{
	long objects = mxvm_sysfs_long("nr_objects");
	__u64 off1, off2;
	__u32 id1, id2;

	off1 = new_region(_metadata, self->c.fd, 4, WRITABLE, &id1);
	off2 = new_region(_metadata, self->c.fd, 8, 0, &id2);
	EXPECT_NE(id1, id2);
	EXPECT_EQ(0, off1 % PS);
	EXPECT_EQ(0, off2 % PS);
	EXPECT_NE(off1, off2);
	EXPECT_TRUE(off1 + 4 * PS <= off2 || off2 + 8 * PS <= off1)
		TH_LOG("windows %#llx+4 pages and %#llx+8 pages overlap",
		       (unsigned long long)off1, (unsigned long long)off2);
	EXPECT_EQ(0, mxvm_held(&self->c));
	EXPECT_LT(objects, mxvm_sysfs_long("nr_objects"));
}

/* mmap() with MAP_PRIVATE is EINVAL, read-only or not. */
TEST_F(region, mmap_private)
{
	__u64 off = new_region(_metadata, self->c.fd, 1, WRITABLE, NULL);

	expect_mmap_fails(_metadata, self->c.fd, off, PS, PROT_READ,
			  MAP_PRIVATE, EINVAL);
	expect_mmap_fails(_metadata, self->c.fd, off, PS, RW, MAP_PRIVATE,
			  EINVAL);
	EXPECT_EQ(0, mxvm_held(&self->c));
}

/* A range past the region's end is EINVAL; up to the end is fine. */
TEST_F(region, mmap_past_end)
{
	int fd = self->c.fd;
	__u64 off = new_region(_metadata, fd, 4, WRITABLE, NULL);

	expect_mmap_fails(_metadata, fd, off, 5 * PS, RW, MAP_SHARED, EINVAL);
	expect_mmap_fails(_metadata, fd, off + PS, 4 * PS, RW, MAP_SHARED,
			  EINVAL);
	expect_mmap_fails(_metadata, fd, off + 3 * PS, 2 * PS, RW, MAP_SHARED,
			  EINVAL);
	expect_mmap_fails(_metadata, fd, off + 4 * PS, PS, RW, MAP_SHARED,
			  EINVAL);
	mxvm_ctx_mmap(_metadata, &self->c, NULL, off + 3 * PS, PS, RW);
	mxvm_ctx_mmap(_metadata, &self->c, NULL, off, 4 * PS, RW);
}

/*
 * An offset that is no region of this file is EINVAL: a file without
 * regions, and another file's region.
 */
TEST_F(region, mmap_not_a_region)
{
	int other = mxvm_ctx_open(_metadata, &self->c);
	__u64 off;

	expect_mmap_fails(_metadata, other, 0, PS, PROT_READ, MAP_SHARED,
			  EINVAL);
	off = new_region(_metadata, self->c.fd, 2, WRITABLE, NULL);
	expect_mmap_fails(_metadata, other, off, PS, PROT_READ, MAP_SHARED,
			  EINVAL);
	expect_mmap_fails(_metadata, other, off, PS, RW, MAP_SHARED, EINVAL);
	mxvm_ctx_close(&self->c, other);
}

/*
 * A read-only region (flags 0): PROT_WRITE is EACCES, PROT_READ maps
 * zeroes, mprotect() cannot add PROT_WRITE, and a write faults.
 */
TEST_F(region, readonly_region)
{
	int fd = self->c.fd;
	__u64 off = new_region(_metadata, fd, 2, 0, NULL);
	char *p;

	expect_mmap_fails(_metadata, fd, off, 2 * PS, RW, MAP_SHARED, EACCES);
	expect_mmap_fails(_metadata, fd, off, 2 * PS, PROT_WRITE, MAP_SHARED,
			  EACCES);
	p = mxvm_ctx_mmap(_metadata, &self->c, NULL, off, 2 * PS, PROT_READ);
	mxvm_expect_fill(_metadata, p, 1, 0);
	mxvm_expect_fill(_metadata, p + PS, 1, 0);
	EXPECT_EQ(-1, mprotect(p, 2 * PS, RW));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(p + PS, PS, PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(1, mxvm_write_segv(p, 0x5a));
	EXPECT_TRUE(mxvm_page_is(p, 0));
}

/*
 * Pages are zero on first touch, and only touched pages are allocated:
 * touching 3 of 8 pages holds exactly 3.  Unmapping keeps them and their
 * data while the region exists; the teardown's close frees them.
 */
TEST_F(region, first_touch)
{
	struct mxvm_ctx *c = &self->c;
	struct mxvm_mapping m = mxvm_ctx_region(_metadata, c, 8, WRITABLE,
						false);
	char *p;

	EXPECT_EQ(0, mxvm_held(c));
	EXPECT_TRUE(mxvm_page_is(m.addr, 0));		/* read */
	EXPECT_TRUE(mxvm_page_is(m.addr + 3 * PS, 0));
	mxvm_poke(m.addr + 3 * PS + 100, 0x5a);		/* write */
	mxvm_poke(m.addr + 7 * PS, 0);			/* write first */
	EXPECT_TRUE(mxvm_page_is(m.addr + 7 * PS, 0));
	EXPECT_EQ(3, mxvm_held(c));

	mxvm_ctx_munmap(_metadata, c, m.addr, m.len);
	EXPECT_EQ(3, mxvm_held(c));
	p = mxvm_ctx_mmap(_metadata, c, NULL, m.offset, m.len, RW);
	EXPECT_EQ(0x5a, mxvm_peek(p + 3 * PS + 100));
	EXPECT_EQ(0, mxvm_peek(p + 3 * PS));
	EXPECT_EQ(3, mxvm_held(c));
}

/*
 * A REGION_CREATE whose answer cannot be written back (a read-only
 * argument) is EFAULT and leaves no region behind: the caller would never
 * learn its id.
 */
TEST_F(region, create_answer_lost)
{
	struct minixvm_region_create *rc;
	long objects = mxvm_sysfs_long("nr_objects");

	rc = mmap(NULL, PS, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rc);
	rc->size = sizeof(*rc);
	rc->flags = WRITABLE;
	rc->length = PS;
	ASSERT_EQ(0, mprotect(rc, PS, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->c.fd, MINIXVM_IOC_REGION_CREATE, rc));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(objects, mxvm_sysfs_long("nr_objects"));
	munmap(rc, PS);
}

/*
 * A file holds at most max_regions handles: the next create is ENOSPC,
 * and a destroyed handle makes room again.
 */
TEST_F(region, max_regions)
{
	static const char param[] = "/sys/module/minix_vm/parameters/max_regions";
	long saved = mxvm_read_long(param);
	__u32 id[3] = { 0 };
	char buf[24];
	int fd;

	ASSERT_LT(0, saved);
	fd = open(param, O_WRONLY);
	if (fd < 0)
		SKIP(return, "cannot set max_regions");
	ASSERT_EQ(1, write(fd, "2", 1));
	EXPECT_EQ(0, mxvm_region(self->c.fd, PS, WRITABLE, &id[0], NULL));
	EXPECT_EQ(0, mxvm_region(self->c.fd, PS, WRITABLE, &id[1], NULL));
	EXPECT_EQ(-1, mxvm_region(self->c.fd, PS, WRITABLE, &id[2], NULL));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(0, mxvm_region_destroy(self->c.fd, id[0]));
	EXPECT_EQ(0, mxvm_region(self->c.fd, PS, WRITABLE, &id[2], NULL));
	snprintf(buf, sizeof(buf), "%ld", saved);
	EXPECT_LT(0, pwrite(fd, buf, strlen(buf), 0));
	close(fd);
}

/* Two mmaps of one region show the same data, in the same frames. */
TEST_F(region, mapped_twice)
{
	struct mxvm_mapping m = mxvm_ctx_region(_metadata, &self->c, 2,
						WRITABLE, false);
	char *y = mxvm_ctx_mmap(_metadata, &self->c, NULL, m.offset, m.len,
				RW);

	mxvm_fill(m.addr, 2, 0x10);
	mxvm_expect_fill(_metadata, y, 2, 0x10);
	mxvm_poke(y + PS + 7, 0x99);
	EXPECT_EQ(0x99, mxvm_peek(m.addr + PS + 7));
	mxvm_expect_frames(_metadata, m.addr, y, 2, true);
	EXPECT_EQ(2, mxvm_held(&self->c));
}

/* A mapping of out_offset + one page starts at the region's page 1. */
TEST_F(region, sub_range)
{
	struct mxvm_mapping m = mxvm_ctx_region(_metadata, &self->c, 4,
						WRITABLE, false);
	char *s;

	mxvm_fill(m.addr, 4, 0x20);
	s = mxvm_ctx_mmap(_metadata, &self->c, NULL, m.offset + PS, 2 * PS,
			  RW);
	mxvm_expect_fill(_metadata, s, 2, 0x21);
	mxvm_expect_frames(_metadata, s, m.addr + PS, 2, true);
	mxvm_poke(s + PS, 0x77);
	EXPECT_EQ(0x77, mxvm_peek(m.addr + 2 * PS));
	EXPECT_EQ(4, mxvm_held(&self->c));
}

/*
 * REGION_DESTROY of an id that is no region of this file is ENOENT;
 * flags and the reserved field must be zero.
 */
TEST_F(region, destroy_unknown)
{
	struct minixvm_region_destroy rd = { .size = sizeof(rd) };
	int fd = self->c.fd, other;
	__u32 id, other_id;

	new_region(_metadata, fd, 1, WRITABLE, &id);
	EXPECT_EQ(-1, mxvm_region_destroy(fd, id + 1));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, mxvm_region_destroy(fd, ~0u));
	EXPECT_EQ(ENOENT, errno);

	rd.id = id;
	rd.flags = 1;
	EXPECT_EQ(-1, ioctl(fd, MINIXVM_IOC_REGION_DESTROY, &rd));
	EXPECT_EQ(EINVAL, errno);
	rd.flags = 0;
	rd.__reserved = 1;
	EXPECT_EQ(-1, ioctl(fd, MINIXVM_IOC_REGION_DESTROY, &rd));
	EXPECT_EQ(EINVAL, errno);

	/* Those failures left the region alone; now it goes, once. */
	EXPECT_EQ(0, mxvm_region_destroy(fd, id));
	EXPECT_EQ(-1, mxvm_region_destroy(fd, id));
	EXPECT_EQ(ENOENT, errno);

	/* Another file's region is not this file's. */
	other = mxvm_ctx_open(_metadata, &self->c);
	new_region(_metadata, other, 1, WRITABLE, &other_id);
	EXPECT_EQ(-1, mxvm_region_destroy(fd, other_id));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, mxvm_region_destroy(other, other_id));
	mxvm_ctx_close(&self->c, other);
}

/*
 * After REGION_DESTROY an existing mapping keeps working with its data,
 * the offset can no longer be mmap()ed, and unmapping the last mapping
 * frees the region's pages and objects.
 */
TEST_F(region, destroy_keeps_mapping)
{
	struct mxvm_ctx *c = &self->c;
	long objects = mxvm_sysfs_long("nr_objects");
	struct mxvm_mapping m = mxvm_ctx_region(_metadata, c, 2, WRITABLE,
						false);

	mxvm_fill(m.addr, 2, 0x30);
	ASSERT_EQ(0, mxvm_region_destroy(c->fd, m.id));
	mxvm_expect_fill(_metadata, m.addr, 2, 0x30);
	mxvm_poke(m.addr + PS, 0x3f);
	EXPECT_EQ(0x3f, mxvm_peek(m.addr + PS));
	EXPECT_EQ(2, mxvm_held(c));
	expect_mmap_fails(_metadata, c->fd, m.offset, PS, PROT_READ,
			  MAP_SHARED, EINVAL);
	EXPECT_EQ(-1, mxvm_region_destroy(c->fd, m.id));
	EXPECT_EQ(ENOENT, errno);

	mxvm_ctx_munmap(_metadata, c, m.addr, m.len);
	EXPECT_EQ(0, mxvm_held(c));
	EXPECT_EQ(objects, mxvm_sysfs_long("nr_objects"));
}

/* Data survive the munmap() of one of two mappings, in the same frames. */
TEST_F(region, munmap_one_of_two)
{
	struct mxvm_mapping m = mxvm_ctx_region(_metadata, &self->c, 2,
						WRITABLE, false);
	char *y = mxvm_ctx_mmap(_metadata, &self->c, NULL, m.offset, m.len,
				RW);
	unsigned long pfn[2];

	mxvm_fill(m.addr, 2, 0x40);
	mxvm_get_frames(_metadata, y, 2, pfn);
	mxvm_ctx_munmap(_metadata, &self->c, m.addr, m.len);
	mxvm_expect_fill(_metadata, y, 2, 0x40);
	mxvm_expect_frames_kept(_metadata, y, 2, pfn);
	mxvm_poke(y, 0x4f);
	EXPECT_EQ(0x4f, mxvm_peek(y));
	EXPECT_EQ(2, mxvm_held(&self->c));
}

/*
 * munmap() of the middle page of a mapping leaves the pages around it
 * working; the region keeps the middle page's data.
 */
TEST_F(region, munmap_middle)
{
	struct mxvm_mapping m = mxvm_ctx_region(_metadata, &self->c, 3,
						WRITABLE, false);
	char *s;

	mxvm_fill(m.addr, 3, 0x50);
	mxvm_ctx_munmap(_metadata, &self->c, m.addr + PS, PS);
	EXPECT_TRUE(mxvm_unmapped(m.addr + PS));
	EXPECT_TRUE(mxvm_page_is(m.addr, 0x50));
	EXPECT_TRUE(mxvm_page_is(m.addr + 2 * PS, 0x52));
	mxvm_poke(m.addr, 0x5e);
	mxvm_poke(m.addr + 2 * PS, 0x5f);
	EXPECT_EQ(0x5e, mxvm_peek(m.addr));
	EXPECT_EQ(0x5f, mxvm_peek(m.addr + 2 * PS));
	s = mxvm_ctx_mmap(_metadata, &self->c, NULL, m.offset + PS, PS, RW);
	EXPECT_TRUE(mxvm_page_is(s, 0x51));
	EXPECT_EQ(3, mxvm_held(&self->c));
}

/*
 * mremap() cannot grow a mapping (VM_DONTEXPAND: EFAULT), in place or
 * moving, even where the region has room; the mapping stays intact.
 */
TEST_F(region, mremap_grow)
{
	__u64 off = new_region(_metadata, self->c.fd, 4, WRITABLE, NULL);
	char *p = mxvm_ctx_mmap(_metadata, &self->c, NULL, off, 2 * PS, RW);
	void *q;

	mxvm_fill(p, 2, 0x60);
	q = mremap(p, 2 * PS, 3 * PS, 0);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EFAULT, errno);
	q = mremap(p, 2 * PS, 3 * PS, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EFAULT, errno);
	if (q != MAP_FAILED)
		mxvm_ctx_track(_metadata, &self->c, q, 3 * PS, false);
	else
		mxvm_expect_fill(_metadata, p, 2, 0x60);
}

/*
 * mremap(MREMAP_MAYMOVE | MREMAP_FIXED) moves a mapping: same data, same
 * frames, still shared with the region's other mapping.
 */
TEST_F(region, mremap_move)
{
	struct mxvm_ctx *c = &self->c;
	struct mxvm_mapping m = mxvm_ctx_region(_metadata, c, 2, WRITABLE,
						false);
	char *y = mxvm_ctx_mmap(_metadata, c, NULL, m.offset, m.len, RW);
	char *to = mxvm_ctx_anon(_metadata, c, m.len);
	unsigned long pfn[2];
	void *q;

	mxvm_fill(m.addr, 2, 0x70);
	mxvm_get_frames(_metadata, m.addr, 2, pfn);
	q = mremap(m.addr, m.len, m.len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	ASSERT_EQ(to, q) TH_LOG("mremap: %s", strerror(errno));
	mxvm_ctx_moved(c, m.addr, m.len, to);
	EXPECT_TRUE(mxvm_unmapped(m.addr));
	mxvm_expect_fill(_metadata, to, 2, 0x70);
	mxvm_expect_frames_kept(_metadata, to, 2, pfn);
	mxvm_poke(to + PS, 0x7f);
	EXPECT_EQ(0x7f, mxvm_peek(y + PS));
	EXPECT_EQ(2, mxvm_held(c));
}

/* madvise(MADV_DONTNEED) loses nothing: same bytes, same frames. */
TEST_F(region, madvise_dontneed)
{
	struct mxvm_mapping m = mxvm_ctx_region(_metadata, &self->c, 2,
						WRITABLE, false);
	unsigned long pfn[2];

	mxvm_fill(m.addr, 2, 0x80);
	mxvm_get_frames(_metadata, m.addr, 2, pfn);
	ASSERT_EQ(0, madvise(m.addr, m.len, MADV_DONTNEED));
	EXPECT_EQ(2, mxvm_held(&self->c));
	mxvm_expect_fill(_metadata, m.addr, 2, 0x80);
	mxvm_expect_frames_kept(_metadata, m.addr, 2, pfn);
	EXPECT_EQ(2, mxvm_held(&self->c));
}

/* In the forked child: 0 if every mmap() of @offset is EACCES. */
static int other_process_child(int fd, __u64 offset)
{
	static const int prots[] = { PROT_READ, RW };

	for (unsigned int i = 0; i < ARRAY_SIZE(prots); i++) {
		void *p = mxvm_mmap_region(fd, offset, PS, prots[i]);

		if (p != MAP_FAILED)
			return 1 + i;
		if (errno != EACCES)
			return 10 + i;
	}
	return 0;
}

/*
 * Only the creator maps a region: a forked child, holding the very same
 * open file, gets EACCES for the parent's region.
 */
TEST_F(region, other_process)
{
	__u64 off = new_region(_metadata, self->c.fd, 1, WRITABLE, NULL);
	pid_t pid = mxvm_ctx_fork(_metadata, &self->c);

	if (pid == 0)
		_exit(other_process_child(self->c.fd, off));
	EXPECT_EQ(0, mxvm_ctx_wait(_metadata, &self->c))
		TH_LOG("1-2: an mmap succeeded; 10-11: not EACCES");
}

/* In the forked child: 0 if destroying the parent's region is ENOENT. */
static int destroy_child(int fd, __u32 id)
{
	if (mxvm_region_destroy(fd, id) == 0)
		return 1;
	return errno == ENOENT ? 0 : 2;
}

/*
 * Only the creator drops a region's handle: a forked child, through the
 * very same open file, gets ENOENT, and the parent can still mmap it.
 */
TEST_F(region, other_process_destroy)
{
	__u32 id;
	__u64 off = new_region(_metadata, self->c.fd, 1, WRITABLE, &id);
	char *p;

	if (mxvm_ctx_fork(_metadata, &self->c) == 0)
		_exit(destroy_child(self->c.fd, id));
	EXPECT_EQ(0, mxvm_ctx_wait(_metadata, &self->c))
		TH_LOG("1: the child destroyed it; 2: not ENOENT");
	p = mxvm_ctx_mmap(_metadata, &self->c, NULL, off, PS, RW);
	mxvm_poke(p, 1);
	EXPECT_EQ(0, mxvm_region_destroy(self->c.fd, id));
}

#define CORE_PATTERN	"/proc/sys/kernel/core_pattern"
#define CORE_FILE	"/tmp/minixvm-core"

/* A page of bytes no other memory of the process holds. */
static void fill_core_marker(char *page, unsigned int seed)
{
	for (unsigned int i = 0; i < PS; i++)
		page[i] = (char)((i * 37 + seed) ^ 0xa5);
}

/* Whether the core file holds the page fill_core_marker() wrote. */
static bool core_holds_marker(unsigned int seed)
{
	static char marker[PS];
	bool found = false;
	char *core;
	ssize_t n;
	int fd;

	fill_core_marker(marker, seed);
	fd = open(CORE_FILE, O_RDONLY);
	if (fd < 0)
		return false;
	core = malloc(64 << 20);
	n = core ? read(fd, core, 64 << 20) : -1;
	if (n >= (ssize_t)PS)
		found = !!memmem(core, n, marker, PS);
	free(core);
	close(fd);
	return found;
}

/* In the forked child: dump core with @filter as coredump_filter. */
static void dump_core(unsigned int filter)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	char buf[16];
	int fd;

	setrlimit(RLIMIT_CORE, &rl);
	fd = open("/proc/self/coredump_filter", O_WRONLY);
	snprintf(buf, sizeof(buf), "%#x", filter);
	if (fd < 0 || write(fd, buf, strlen(buf)) < 0)
		_exit(2);
	close(fd);
	abort();
}

/*
 * Core dumps: a minixvm mapping is a shared mapping of a file, so it is in
 * a core dump when coredump_filter has bit 3 (file-backed shared memory)
 * set, and left out with the default filter (0x33).  Dumping reads the
 * pages through the fault path and leaks nothing.
 */
TEST_F(region, core_dump)
{
	static const unsigned int filters[] = { 0x33, 0x3b };
	struct mxvm_mapping m = mxvm_ctx_region(_metadata, &self->c, 1,
						WRITABLE, false);
	char saved[256] = "";
	int fd, status;
	ssize_t n;

	fd = open(CORE_PATTERN, O_RDWR);
	if (fd < 0)
		SKIP(return, "cannot set %s", CORE_PATTERN);
	n = read(fd, saved, sizeof(saved) - 1);
	ASSERT_LT(0, n);
	saved[n] = '\0';
	ASSERT_LT(0, pwrite(fd, CORE_FILE, strlen(CORE_FILE), 0));

	fill_core_marker(m.addr, getpid());
	for (unsigned int i = 0; i < ARRAY_SIZE(filters); i++) {
		unlink(CORE_FILE);
		if (mxvm_ctx_fork(_metadata, &self->c) == 0)
			dump_core(filters[i]);
		ASSERT_EQ(self->c.child, waitpid(self->c.child, &status, 0));
		self->c.child = 0;
		EXPECT_TRUE(WIFSIGNALED(status) && WCOREDUMP(status))
			TH_LOG("filter %#x: status %#x", filters[i], status);
		EXPECT_EQ(!!(filters[i] & 0x8), core_holds_marker(getpid()))
			TH_LOG("filter %#x", filters[i]);
	}
	unlink(CORE_FILE);
	EXPECT_LT(0, pwrite(fd, saved, strlen(saved), 0));
	close(fd);
}

TEST_HARNESS_MAIN
