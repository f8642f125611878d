// SPDX-License-Identifier: BSD-2-Clause
#include "panthor.h"
#include "sys.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/panthor_drm.h>

/* Is this DRM node driven by panthor? Returns its minor version, or -1. */
static int panthor_minor(int fd)
{
	char name[32] = "";
	struct drm_version v = { .name = name, .name_len = sizeof(name) - 1 };

	if (xioctl(fd, DRM_IOCTL_VERSION, &v))
		return -1;
	name[sizeof(name) - 1] = '\0';
	return strcmp(name, "panthor") ? -1 : v.version_minor;
}

int panthor_open(const char *dri, char *path, size_t path_len, int *minor)
{
	int i;

	for (i = 128; i < 192; i++) {
		int fd;

		if (dri)
			snprintf(path, path_len, "%s", dri);
		else
			snprintf(path, path_len, "/dev/dri/renderD%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			*minor = panthor_minor(fd);
			if (*minor >= 0)
				return fd;
			close(fd);
		}
		if (dri)
			break;
	}
	return -1;
}

int panthor_query(int fd, uint32_t type, void *out, uint32_t size)
{
	struct drm_panthor_dev_query q = { .type = type, .size = size, .pointer = (uintptr_t)out };

	return xioctl(fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q);
}

int panthor_sysfs_device(const char *dri_path, char *out, size_t len)
{
	struct stat st;

	if (stat(dri_path, &st) < 0)
		return errno;
	snprintf(out, len, "/sys/dev/char/%u:%u/device", major(st.st_rdev), minor(st.st_rdev));
	return 0;
}

void panthor_gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close g = { .handle = handle };

	if (handle)
		xioctl(fd, DRM_IOCTL_GEM_CLOSE, &g);
}

bool panthor_gpu_expected(void)
{
	const char *e = getenv("PROTM_EXPECT_GPU");

	return e && !strcmp(e, "1");
}

enum ktap_result panthor_missing_result(void)
{
	return panthor_gpu_expected() ? KTAP_FAIL : KTAP_SKIP;
}

int panthor_bo_create(int fd, uint32_t vm_id, uint64_t size, uint32_t *handle)
{
	struct drm_panthor_bo_create bo = { .size = size, .exclusive_vm_id = vm_id };
	int rc = xioctl(fd, DRM_IOCTL_PANTHOR_BO_CREATE, &bo);

	if (!rc)
		*handle = bo.handle;
	return rc;
}

int panthor_bo_mmap(int fd, uint32_t handle, uint64_t size, void **map)
{
	struct drm_panthor_bo_mmap_offset off = { .handle = handle };
	int rc = xioctl(fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &off);

	if (rc)
		return rc;
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off.offset);
	return *map == MAP_FAILED ? errno : 0;
}

/* One VM_BIND operation, issued synchronously */
static int vm_bind_one(int fd, uint32_t vm_id, uint32_t flags, uint32_t handle, uint64_t va,
		       uint64_t size)
{
	struct drm_panthor_vm_bind_op op = {
		.flags = flags,
		.bo_handle = handle,
		.va = va,
		.size = size,
	};
	struct drm_panthor_vm_bind b = { .vm_id = vm_id, .ops = DRM_PANTHOR_OBJ_ARRAY(1, &op) };

	return xioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b);
}

int panthor_vm_map(int fd, uint32_t vm_id, uint32_t handle, uint64_t va, uint64_t size, uint32_t flags)
{
	return vm_bind_one(fd, vm_id, DRM_PANTHOR_VM_BIND_OP_TYPE_MAP | flags, handle, va, size);
}

int panthor_vm_unmap(int fd, uint32_t vm_id, uint64_t va, uint64_t size)
{
	return vm_bind_one(fd, vm_id, DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP, 0, va, size);
}

void panthor_vm_destroy(int fd, uint32_t vm_id)
{
	struct drm_panthor_vm_destroy d = { .id = vm_id };

	if (vm_id)
		xioctl(fd, DRM_IOCTL_PANTHOR_VM_DESTROY, &d);
}

int panthor_import(int fd, int buf_fd, uint32_t *handle)
{
	struct drm_prime_handle p = { .fd = buf_fd };
	int rc = xioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);

	if (!rc)
		*handle = p.handle;
	return rc;
}

int panthor_group_destroy(int fd, uint32_t handle)
{
	struct drm_panthor_group_destroy d = { .group_handle = handle };

	return handle ? xioctl(fd, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &d) : 0;
}

int panthor_group_state(int fd, uint32_t group, uint32_t *state, uint32_t *fatal_queues)
{
	struct drm_panthor_group_get_state gs = { .group_handle = group };
	int rc = xioctl(fd, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &gs);

	*state = gs.state;
	if (fatal_queues)
		*fatal_queues = gs.fatal_queues;
	return rc;
}

int panthor_syncobj_wait(int fd, uint32_t syncobj, int timeout_ms)
{
	struct timespec now;
	struct drm_syncobj_wait w = {
		.handles = (uintptr_t)&syncobj,
		.count_handles = 1,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
	};

	clock_gettime(CLOCK_MONOTONIC, &now);
	w.timeout_nsec = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec + (int64_t)timeout_ms * 1000000;
	return xioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w);
}

int panthor_syncobj_reset(int fd, uint32_t syncobj)
{
	struct drm_syncobj_array a = { .handles = (uintptr_t)&syncobj, .count_handles = 1 };

	return xioctl(fd, DRM_IOCTL_SYNCOBJ_RESET, &a);
}

int panthor_runtime_status(const char *dri_path, char *out, size_t len)
{
	char dev[128], path[160];
	FILE *f;
	int rc = panthor_sysfs_device(dri_path, dev, sizeof(dev));

	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/power/runtime_status", dev);
	f = fopen(path, "re");
	if (!f)
		return errno;
	if (!fgets(out, (int)len, f))
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
	return 0;
}
