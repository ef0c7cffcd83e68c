// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm selftests: the device node, the API handshake, the generic ioctl
 * argument rules and the sysfs counters.
 */
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "mxvm_test.h"

/* Every feature this header describes. */
#define MXVM_ALL_FEATURES	(MINIXVM_FEATURE_REGIONS | MINIXVM_FEATURE_GRANTS)

FIXTURE(dev) {
	int fd;
	long objects_before;
};

FIXTURE_SETUP(dev)
{
	self->objects_before = mxvm_sysfs_long("nr_objects");
	ASSERT_LE(0, self->objects_before);
	self->fd = open(MINIXVM_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MINIXVM_DEVICE,
				      strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
	/* Whatever the test did, closing the file gives everything back. */
	EXPECT_EQ(self->objects_before, mxvm_sysfs_long("nr_objects"));
	EXPECT_EQ(0, mxvm_sysfs_long("nr_pages"));
}

/* /dev/minixvm is a character device, read-write for everybody. */
TEST(device_node)
{
	unsigned int maj, min;
	struct stat st;
	char buf[32];
	ssize_t n;
	int fd;

	ASSERT_EQ(0, stat(MINIXVM_DEVICE, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 07777);

	/* The node is the misc device the module registered. */
	fd = open(MXVM_SYSFS "dev", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	n = sscanf(buf, "%u:%u", &maj, &min);
	ASSERT_EQ(2, n);
	EXPECT_EQ(10, maj);	/* MISC_MAJOR */
	EXPECT_EQ(makedev(maj, min), st.st_rdev);
}

TEST_F(dev, handshake)
{
	struct minixvm_api api;

	ASSERT_EQ(0, mxvm_handshake(self->fd, &api));
	EXPECT_EQ(MINIXVM_API, api.api);
	EXPECT_EQ(MXVM_ALL_FEATURES, api.features);
	EXPECT_EQ(1ULL << _MINIXVM_API, api.out_ioctls & (1ULL << _MINIXVM_API));
	EXPECT_EQ(sysconf(_SC_PAGESIZE), api.out_page_size);
	EXPECT_EQ(sizeof(api), api.size);
	EXPECT_EQ(0, api.flags);
	EXPECT_EQ(0, api.__reserved);

	/* No side effect: the same answer again. */
	struct minixvm_api again;

	ASSERT_EQ(0, mxvm_handshake(self->fd, &again));
	EXPECT_EQ(0, memcmp(&api, &again, sizeof(api)));
	EXPECT_EQ(MINIXVM_API, mxvm_sysfs_long("api_version"));
}

/* Each malformed handshake fails with its errno and changes nothing. */
static void expect_api_fails(struct __test_metadata *_metadata, int fd,
			     struct minixvm_api *api, int err)
{
	struct minixvm_api before = *api;

	EXPECT_EQ(-1, ioctl(fd, MINIXVM_IOC_API, api));
	EXPECT_EQ(err, errno);
	EXPECT_EQ(0, memcmp(&before, api, sizeof(before)));
}

TEST_F(dev, handshake_wrong_api)
{
	struct minixvm_api api = { .size = sizeof(api) };

	api.api = 0;
	expect_api_fails(_metadata, self->fd, &api, EINVAL);
	api.api = MINIXVM_API + 1;
	expect_api_fails(_metadata, self->fd, &api, EINVAL);
	api.api = ~0ULL;
	expect_api_fails(_metadata, self->fd, &api, EINVAL);
}

TEST_F(dev, handshake_unknown_feature)
{
	struct minixvm_api api = { .size = sizeof(api), .api = MINIXVM_API };

	for (int bit = 0; bit < 64; bit++) {
		if ((1ULL << bit) & MXVM_ALL_FEATURES)
			continue;
		api.features = 1ULL << bit;
		expect_api_fails(_metadata, self->fd, &api, EINVAL);
	}
}

/* Asking for features the module has succeeds and reports them all. */
TEST_F(dev, handshake_known_feature)
{
	__u64 ask[] = { MINIXVM_FEATURE_REGIONS, MINIXVM_FEATURE_GRANTS,
			MXVM_ALL_FEATURES };

	for (unsigned int i = 0; i < ARRAY_SIZE(ask); i++) {
		struct minixvm_api api = {
			.size = sizeof(api),
			.api = MINIXVM_API,
			.features = ask[i],
		};

		ASSERT_EQ(0, ioctl(self->fd, MINIXVM_IOC_API, &api));
		EXPECT_EQ(MXVM_ALL_FEATURES, api.features);
		/* Commands 0 (API) to 0x0c (VSAFECOPY). */
		EXPECT_EQ(0x1fff, api.out_ioctls);
	}
}

TEST_F(dev, handshake_flags_and_reserved)
{
	struct minixvm_api api = { .size = sizeof(api), .api = MINIXVM_API };

	api.flags = 1;
	expect_api_fails(_metadata, self->fd, &api, EINVAL);
	api.flags = 0x80000000u;
	expect_api_fails(_metadata, self->fd, &api, EINVAL);
	api.flags = 0;
	api.__reserved = 1;
	expect_api_fails(_metadata, self->fd, &api, EINVAL);
}

/* The size rules of every command (iommufd's copy_struct_from_user use). */
TEST_F(dev, size_rules)
{
	struct {
		struct minixvm_api api;
		uint64_t tail[4];
	} big;
	struct minixvm_api api;

	/* Smaller than the first version: EINVAL. */
	memset(&api, 0, sizeof(api));
	api.api = MINIXVM_API;
	for (api.size = 0; api.size < sizeof(api); api.size += 4)
		expect_api_fails(_metadata, self->fd, &api, EINVAL);

	/* Larger, with a zero tail: accepted, the tail left alone. */
	memset(&big, 0, sizeof(big));
	big.api.size = sizeof(big);
	big.api.api = MINIXVM_API;
	ASSERT_EQ(0, ioctl(self->fd, MINIXVM_IOC_API, &big));
	EXPECT_EQ(MINIXVM_API, big.api.api);
	EXPECT_EQ(0, big.tail[0] | big.tail[1] | big.tail[2] | big.tail[3]);

	/* Larger, with a non-zero tail: E2BIG. */
	big.tail[3] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MINIXVM_IOC_API, &big));
	EXPECT_EQ(E2BIG, errno);

	/* Absurdly large: E2BIG before anything is read past the struct. */
	big.tail[3] = 0;
	big.api.size = 1u << 20;
	EXPECT_EQ(-1, ioctl(self->fd, MINIXVM_IOC_API, &big));
	EXPECT_EQ(E2BIG, errno);
	big.api.size = ~0u;
	EXPECT_EQ(-1, ioctl(self->fd, MINIXVM_IOC_API, &big));
	EXPECT_EQ(E2BIG, errno);
}

TEST_F(dev, bad_pointer)
{
	EXPECT_EQ(-1, ioctl(self->fd, MINIXVM_IOC_API, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, MINIXVM_IOC_API, (void *)-4096L));
	EXPECT_EQ(EFAULT, errno);
	/* A kernel address is not a user address. */
	EXPECT_EQ(-1, ioctl(self->fd, MINIXVM_IOC_API,
			    (void *)0xffffffff81000000UL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, unknown_ioctl)
{
	unsigned long cmds[] = {
		_IO(MINIXVM_TYPE, 0x7f),		/* unused number */
		_IO(MINIXVM_TYPE, 0xff),
		_IO('x', _MINIXVM_API),			/* other type */
		_IOWR(MINIXVM_TYPE, _MINIXVM_API, struct minixvm_api),
		_IOR(MINIXVM_TYPE, _MINIXVM_API, uint32_t),
		FIONREAD,
		0,
	};
	struct minixvm_api api = { .size = sizeof(api), .api = MINIXVM_API };

	for (unsigned int i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], &api))
			TH_LOG("cmd %#lx", cmds[i]);
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd %#lx", cmds[i]);
	}
}

/* Each open file is one object; closing it gives it back. */
TEST_F(dev, object_counter)
{
	int fds[8];

	EXPECT_EQ(self->objects_before + 1, mxvm_sysfs_long("nr_objects"));
	for (int i = 0; i < 8; i++) {
		fds[i] = open(MINIXVM_DEVICE, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fds[i]);
	}
	EXPECT_EQ(self->objects_before + 9, mxvm_sysfs_long("nr_objects"));
	for (int i = 0; i < 8; i++)
		close(fds[i]);
	EXPECT_EQ(self->objects_before + 1, mxvm_sysfs_long("nr_objects"));
}

/* The counters are read-only, for everybody. */
TEST(sysfs_read_only)
{
	static const char * const attrs[] = {
		"nr_pages", "nr_objects", "api_version",
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(attrs); i++) {
		char path[128];
		struct stat st;

		snprintf(path, sizeof(path), MXVM_SYSFS "%s", attrs[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		EXPECT_EQ(0444, st.st_mode & 07777) TH_LOG("%s", path);
		EXPECT_EQ(-1, open(path, O_WRONLY)) TH_LOG("%s", path);
	}
}

/* The harness self-check parameter is off in a normal load. */
TEST(selftest_warn_off)
{
	char buf[8] = "";
	int fd;

	fd = open("/sys/module/minix_vm/parameters/selftest_warn", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	EXPECT_EQ('N', buf[0]);
}

TEST_HARNESS_MAIN
