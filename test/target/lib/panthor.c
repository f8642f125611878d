// SPDX-License-Identifier: BSD-2-Clause
#include "panthor.h"
#include "sys.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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
