// SPDX-License-Identifier: GPL-2.0
/*
 * minixvm: MINIX 3 style memory grants for Linux.
 *
 * The module registers the misc device /dev/minixvm.  A process opens it and
 * talks to it with ioctls (uapi/linux/minixvm.h).  This file holds the
 * device, the ioctl dispatcher and the module's sysfs attributes; region.c
 * owns the memory and mapmem.c maps it.
 *
 * Every command takes a pointer to a structure that starts with its size.
 * The dispatcher reads the size, copies the structure in once with
 * copy_struct_from_user() and hands a kernel copy to the handler; what the
 * handler changed is copied back, as much of it as the caller's size holds.
 * This is the extensible-ioctl pattern of iommufd.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>

#include <linux/minixvm.h>

#include "internal.h"

static bool selftest_warn;
module_param(selftest_warn, bool, 0444);
MODULE_PARM_DESC(selftest_warn,
		 "Test harness self-check only: WARN once at load (default: off)");

static bool selftest_leak;
module_param(selftest_leak, bool, 0444);
MODULE_PARM_DESC(selftest_leak,
		 "Test harness self-check only: leak 64 bytes at load (default: off)");

/* Every command structure, so that one buffer holds any of them. */
union mxvm_cmd_buf {
	struct minixvm_api api;
	struct minixvm_region_create region_create;
	struct minixvm_region_destroy region_destroy;
	struct minixvm_map map;
	struct minixvm_unmap unmap;
	struct minixvm_endpoint endpoint;
	struct minixvm_grant grant;
	struct minixvm_revoke revoke;
	struct minixvm_safemap safemap;
	struct minixvm_saferevmap saferevmap;
	struct minixvm_safeunmap safeunmap;
	struct minixvm_safecopy safecopy;
	struct minixvm_vsafecopy vsafecopy;
};

/**
 * struct mxvm_ioctl_op - how to dispatch one command
 * @cmd: the full ioctl number
 * @size: the size of the structure this module knows
 * @min_size: the size of its first version; smaller is EINVAL
 * @execute: the handler, given a kernel copy of the structure
 * @abort: undoes a successful @execute whose answer could not be copied
 *	out (the caller would never learn of what it made); may be NULL
 * @out_on_error: copy the structure out even when @execute fails (it
 *	reports how far it got)
 */
struct mxvm_ioctl_op {
	unsigned int cmd;
	u32 size;
	u32 min_size;
	int (*execute)(struct mxvm_file *mf, void *arg);
	void (*abort)(struct mxvm_file *mf, void *arg);
	bool out_on_error;
};

static int mxvm_ioc_api(struct mxvm_file *mf, void *arg);
static int mxvm_ioc_region_create(struct mxvm_file *mf, void *arg);
static void mxvm_ioc_region_create_abort(struct mxvm_file *mf, void *arg);
static int mxvm_ioc_region_destroy(struct mxvm_file *mf, void *arg);
static int mxvm_ioc_map(struct mxvm_file *mf, void *arg);
static int mxvm_ioc_unmap(struct mxvm_file *mf, void *arg);
static int mxvm_ioc_endpoint(struct mxvm_file *mf, void *arg);
static int mxvm_ioc_grant(struct mxvm_file *mf, void *arg);
static void mxvm_ioc_grant_abort(struct mxvm_file *mf, void *arg);
static int mxvm_ioc_revoke(struct mxvm_file *mf, void *arg);
static int mxvm_ioc_safemap(struct mxvm_file *mf, void *arg);
static int mxvm_ioc_saferevmap(struct mxvm_file *mf, void *arg);
static int mxvm_ioc_safeunmap(struct mxvm_file *mf, void *arg);
static int mxvm_ioc_safecopy(struct mxvm_file *mf, void *arg);
static int mxvm_ioc_vsafecopy(struct mxvm_file *mf, void *arg);

#define MXVM_IOCTL_OP_ABORT(_cmd, _fn, _abort, _struct, _last)		\
	{								\
		.cmd = _cmd,						\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(union mxvm_cmd_buf) <	\
					  sizeof(_struct)),		\
		.min_size = offsetofend(_struct, _last),		\
		.execute = _fn,						\
		.abort = _abort,					\
	}
#define MXVM_IOCTL_OP(_cmd, _fn, _struct, _last)			\
	MXVM_IOCTL_OP_ABORT(_cmd, _fn, NULL, _struct, _last)

/* Indexed by command number; mxvm_ioctl() checks the whole number. */
static const struct mxvm_ioctl_op mxvm_ioctl_ops[] = {
	[_MINIXVM_API] = MXVM_IOCTL_OP(MINIXVM_IOC_API, mxvm_ioc_api,
				       struct minixvm_api, __reserved),
	[_MINIXVM_REGION_CREATE] =
		MXVM_IOCTL_OP_ABORT(MINIXVM_IOC_REGION_CREATE,
				    mxvm_ioc_region_create,
				    mxvm_ioc_region_create_abort,
				    struct minixvm_region_create, out_offset),
	[_MINIXVM_REGION_DESTROY] =
		MXVM_IOCTL_OP(MINIXVM_IOC_REGION_DESTROY,
			      mxvm_ioc_region_destroy,
			      struct minixvm_region_destroy, __reserved),
	[_MINIXVM_MAP] = MXVM_IOCTL_OP(MINIXVM_IOC_MAP, mxvm_ioc_map,
				       struct minixvm_map, length),
	[_MINIXVM_UNMAP] = MXVM_IOCTL_OP(MINIXVM_IOC_UNMAP, mxvm_ioc_unmap,
					 struct minixvm_unmap, length),
	[_MINIXVM_ENDPOINT] = MXVM_IOCTL_OP(MINIXVM_IOC_ENDPOINT,
					    mxvm_ioc_endpoint,
					    struct minixvm_endpoint,
					    __reserved),
	[_MINIXVM_GRANT] = MXVM_IOCTL_OP_ABORT(MINIXVM_IOC_GRANT,
					       mxvm_ioc_grant,
					       mxvm_ioc_grant_abort,
					       struct minixvm_grant,
					       __reserved),
	[_MINIXVM_REVOKE] = MXVM_IOCTL_OP(MINIXVM_IOC_REVOKE, mxvm_ioc_revoke,
					  struct minixvm_revoke, out_count),
	[_MINIXVM_SAFEMAP] = MXVM_IOCTL_OP(MINIXVM_IOC_SAFEMAP,
					   mxvm_ioc_safemap,
					   struct minixvm_safemap, length),
	[_MINIXVM_SAFEREVMAP] = MXVM_IOCTL_OP(MINIXVM_IOC_SAFEREVMAP,
					      mxvm_ioc_saferevmap,
					      struct minixvm_saferevmap,
					      length),
	[_MINIXVM_SAFEUNMAP] = MXVM_IOCTL_OP(MINIXVM_IOC_SAFEUNMAP,
					     mxvm_ioc_safeunmap,
					     struct minixvm_safeunmap, addr),
	[_MINIXVM_SAFECOPY] = MXVM_IOCTL_OP(MINIXVM_IOC_SAFECOPY,
					    mxvm_ioc_safecopy,
					    struct minixvm_safecopy, length),
	[_MINIXVM_VSAFECOPY] = {
		.cmd = MINIXVM_IOC_VSAFECOPY,
		.size = sizeof(struct minixvm_vsafecopy),
		.min_size = offsetofend(struct minixvm_vsafecopy, vec),
		.execute = mxvm_ioc_vsafecopy,
		.out_on_error = true,
	},
};

/* What MINIXVM_IOC_API reports. */
#define MXVM_FEATURES	((u64)MINIXVM_FEATURE_REGIONS | MINIXVM_FEATURE_GRANTS)

static int mxvm_ioc_api(struct mxvm_file *mf, void *arg)
{
	struct minixvm_api *api = arg;
	unsigned int i;

	if (api->flags || api->__reserved)
		return -EINVAL;
	if (api->api != MINIXVM_API)
		return -EINVAL;
	if (api->features & ~MXVM_FEATURES)
		return -EINVAL;

	api->features = MXVM_FEATURES;
	/* The commands are the ones the dispatcher has. */
	api->out_ioctls = 0;
	for (i = 0; i < ARRAY_SIZE(mxvm_ioctl_ops); i++)
		if (mxvm_ioctl_ops[i].execute)
			api->out_ioctls |= BIT_ULL(i);
	api->out_page_size = PAGE_SIZE;
	return 0;
}

static int mxvm_ioc_region_create(struct mxvm_file *mf, void *arg)
{
	struct minixvm_region_create *rc = arg;

	if (rc->flags & ~MINIXVM_REGION_WRITABLE || rc->__reserved)
		return -EINVAL;
	return mxvm_region_create(mf, rc->length,
				  rc->flags & MINIXVM_REGION_WRITABLE,
				  &rc->out_id, &rc->out_offset);
}

static void mxvm_ioc_region_create_abort(struct mxvm_file *mf, void *arg)
{
	struct minixvm_region_create *rc = arg;

	mxvm_region_destroy(mf, rc->out_id);
}

static int mxvm_ioc_region_destroy(struct mxvm_file *mf, void *arg)
{
	struct minixvm_region_destroy *rd = arg;

	if (rd->flags || rd->__reserved)
		return -EINVAL;
	return mxvm_region_destroy(mf, rd->id);
}

static int mxvm_ioc_map(struct mxvm_file *mf, void *arg)
{
	struct minixvm_map *map = arg;

	if (map->flags || map->__reserved)
		return -EINVAL;
	return mxvm_map(current->mm, map->src_addr, map->dst_addr,
			map->length, map->mode);
}

static int mxvm_ioc_unmap(struct mxvm_file *mf, void *arg)
{
	struct minixvm_unmap *unmap = arg;

	if (unmap->flags)
		return -EINVAL;
	return mxvm_unmap(current->mm, unmap->addr, unmap->length);
}

static int mxvm_ioc_endpoint(struct mxvm_file *mf, void *arg)
{
	struct minixvm_endpoint *e = arg;
	struct mxvm_endpoint *me;

	if (e->flags || e->__reserved)
		return -EINVAL;
	me = mxvm_endpoint_current();
	if (IS_ERR(me))
		return PTR_ERR(me);
	e->out_endpoint = me->id;
	return 0;
}

static int mxvm_ioc_grant(struct mxvm_file *mf, void *arg)
{
	struct mxvm_endpoint *me;

	me = mxvm_endpoint_current();
	if (IS_ERR(me))
		return PTR_ERR(me);
	return mxvm_grant_create(me, arg);
}

static void mxvm_ioc_grant_abort(struct mxvm_file *mf, void *arg)
{
	struct mxvm_endpoint *me = mxvm_endpoint_current();
	struct minixvm_grant *g = arg;
	u32 count;

	/* The endpoint exists: the grant was just made through it. */
	if (!IS_ERR(me))
		mxvm_grant_revoke(me, g->out_gid, &count);
}

static int mxvm_ioc_revoke(struct mxvm_file *mf, void *arg)
{
	struct minixvm_revoke *r = arg;
	struct mxvm_endpoint *me;

	if (r->flags)
		return -EINVAL;
	me = mxvm_endpoint_current();
	if (IS_ERR(me))
		return PTR_ERR(me);
	return mxvm_grant_revoke(me, r->gid, &r->out_count);
}

static int mxvm_ioc_safemap(struct mxvm_file *mf, void *arg)
{
	struct mxvm_endpoint *me;

	me = mxvm_endpoint_current();
	if (IS_ERR(me))
		return PTR_ERR(me);
	return mxvm_safemap(me, arg);
}

static int mxvm_ioc_saferevmap(struct mxvm_file *mf, void *arg)
{
	struct mxvm_endpoint *me;

	me = mxvm_endpoint_current();
	if (IS_ERR(me))
		return PTR_ERR(me);
	return mxvm_saferevmap(me, arg);
}

static int mxvm_ioc_safeunmap(struct mxvm_file *mf, void *arg)
{
	struct minixvm_safeunmap *u = arg;
	struct mxvm_endpoint *me;

	if (u->flags || u->__reserved)
		return -EINVAL;
	me = mxvm_endpoint_current();
	if (IS_ERR(me))
		return PTR_ERR(me);
	return mxvm_safeunmap(me, u->addr, &u->out_count);
}

static int mxvm_ioc_safecopy(struct mxvm_file *mf, void *arg)
{
	struct minixvm_safecopy *c = arg;
	struct mxvm_endpoint *me;

	me = mxvm_endpoint_current();
	if (IS_ERR(me))
		return PTR_ERR(me);
	return mxvm_safecopy(me, c->flags, c->endpoint, c->gid, c->offset,
			     c->addr, c->length);
}

static int mxvm_ioc_vsafecopy(struct mxvm_file *mf, void *arg)
{
	struct minixvm_vsafecopy *v = arg;
	struct minixvm_copy_vec *vec;
	struct mxvm_endpoint *me;
	unsigned int i;
	int ret = 0;

	v->out_done = 0;
	if (v->flags || !v->count || v->count > MINIXVM_VSAFECOPY_MAX)
		return -EINVAL;
	me = mxvm_endpoint_current();
	if (IS_ERR(me))
		return PTR_ERR(me);
	vec = mxvm_should_fail() ? ERR_PTR(-ENOMEM) :
	      memdup_user(u64_to_user_ptr(v->vec), v->count * sizeof(*vec));
	if (IS_ERR(vec))
		return PTR_ERR(vec);
	for (i = 0; i < v->count; i++)
		if (vec[i].flags & ~MINIXVM_COPY_TO || vec[i].__reserved)
			ret = -EINVAL;
	for (i = 0; i < v->count && !ret; i++) {
		ret = mxvm_safecopy(me, vec[i].flags, vec[i].endpoint,
				    vec[i].gid, vec[i].offset, vec[i].addr,
				    vec[i].length);
		if (!ret)
			v->out_done++;
	}
	kfree(vec);
	return ret;
}

static long mxvm_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct mxvm_file *mf = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct mxvm_ioctl_op *op;
	union mxvm_cmd_buf buf;
	unsigned int nr = _IOC_NR(cmd);
	u32 usize;
	int ret;

	if (_IOC_TYPE(cmd) != MINIXVM_TYPE || nr >= ARRAY_SIZE(mxvm_ioctl_ops))
		return -ENOTTY;
	op = &mxvm_ioctl_ops[nr];
	if (op->cmd != cmd)
		return -ENOTTY;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < op->min_size)
		return -EINVAL;
	/* A larger structure is fine if its tail is zero; bound the scan. */
	if (usize > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(&buf, op->size, uarg, usize);
	if (ret)
		return ret;

	ret = op->execute(mf, &buf);
	if (ret && op->out_on_error) {
		if (copy_to_user(uarg, &buf, min(op->size, usize)))
			return -EFAULT;
		return ret;
	}
	if (ret)
		return ret;
	if (copy_to_user(uarg, &buf, min(op->size, usize))) {
		if (op->abort)
			op->abort(mf, &buf);
		return -EFAULT;
	}
	return 0;
}

static int mxvm_open(struct inode *inode, struct file *file)
{
	struct mxvm_file *mf;

	mf = mxvm_alloc_obj(sizeof(*mf), GFP_KERNEL);
	if (!mf)
		return -ENOMEM;
	mf->pid = get_task_pid(current, PIDTYPE_TGID);
	xa_init_flags(&mf->regions, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	file->private_data = mf;
	/* Every file maps through the module's one address_space. */
	file->f_mapping = mxvm_file_mapping();
	return nonseekable_open(inode, file);
}

static int mxvm_release(struct inode *inode, struct file *file)
{
	struct mxvm_file *mf = file->private_data;

	mxvm_file_release_regions(mf);
	put_pid(mf->pid);
	mxvm_free_obj(mf);
	return 0;
}

static const struct file_operations mxvm_fops = {
	.owner		= THIS_MODULE,
	.open		= mxvm_open,
	.release	= mxvm_release,
	.unlocked_ioctl	= mxvm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= mxvm_mmap,
	.llseek		= noop_llseek,
};

/* /sys/class/misc/minixvm/: read-only counters, one value per file. */

static ssize_t nr_pages_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&mxvm_stats.pages));
}
static DEVICE_ATTR_RO(nr_pages);

static ssize_t nr_objects_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&mxvm_stats.objects));
}
static DEVICE_ATTR_RO(nr_objects);

static ssize_t api_version_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", MINIXVM_API);
}
static DEVICE_ATTR_RO(api_version);

static ssize_t nr_endpoints_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n",
			  atomic_long_read(&mxvm_stats.endpoints));
}
static DEVICE_ATTR_RO(nr_endpoints);

static ssize_t nr_grants_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&mxvm_stats.grants));
}
static DEVICE_ATTR_RO(nr_grants);

static ssize_t nr_grant_maps_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(&mxvm_stats.gmaps));
}
static DEVICE_ATTR_RO(nr_grant_maps);

static struct attribute *mxvm_attrs[] = {
	&dev_attr_nr_pages.attr,
	&dev_attr_nr_objects.attr,
	&dev_attr_api_version.attr,
	&dev_attr_nr_endpoints.attr,
	&dev_attr_nr_grants.attr,
	&dev_attr_nr_grant_maps.attr,
	NULL,
};
ATTRIBUTE_GROUPS(mxvm);

static struct miscdevice mxvm_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "minixvm",
	.fops	= &mxvm_fops,
	.groups	= mxvm_groups,
	.mode	= 0666,
};

static int __init mxvm_init(void)
{
	int ret;

	ret = mxvm_region_init();
	if (ret)
		return ret;
	ret = misc_register(&mxvm_misc);
	if (ret) {
		mxvm_region_exit();
		return ret;
	}
	/*
	 * Prove to the test harness that it sees kernel warnings and, on the
	 * debug kernel, leaks.  Never set outside the harness's self-checks.
	 */
	WARN(selftest_warn, "minixvm: selftest_warn set: planted warning\n");
	if (selftest_leak && kmalloc(64, GFP_KERNEL))
		pr_info("selftest_leak set: planted a 64-byte leak\n");
	pr_info("API %d ready on /dev/%s\n", MINIXVM_API, mxvm_misc.name);
	return 0;
}

static void __exit mxvm_exit(void)
{
	misc_deregister(&mxvm_misc);
	mxvm_grant_exit();
	mxvm_region_exit();
	/* Nothing can be left: every file and mapping holds a module reference. */
	WARN_ON(atomic_long_read(&mxvm_stats.pages));
	WARN_ON(atomic_long_read(&mxvm_stats.objects));
}

module_init(mxvm_init);
module_exit(mxvm_exit);

MODULE_DESCRIPTION("MINIX 3 style memory grants: shared, read-only and copy-on-write mappings between processes");
MODULE_LICENSE("GPL");
