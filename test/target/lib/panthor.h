/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Small helpers shared by the target checks that drive Panthor through its
 * DRM uAPI: finding the render node, queries, closing handles.
 */
#ifndef PROTM_PANTHOR_H
#define PROTM_PANTHOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ktap.h"

/*
 * Opens the render node driven by panthor: `dri` if given, else the first
 * of /dev/dri/renderD128..191. Returns the fd (its path in `path`, the
 * driver's minor version in *minor), or -1 without a Panthor device.
 */
int panthor_open(const char *dri, char *path, size_t path_len, int *minor);

/* DRM_IOCTL_PANTHOR_DEV_QUERY of `type` into `out`; returns 0 or the errno. */
int panthor_query(int fd, uint32_t type, void *out, uint32_t size);

/*
 * The sysfs directory of the device behind the DRM node `dri_path`
 * (/sys/dev/char/MAJOR:MINOR/device) into `out`; returns 0 or the errno.
 */
int panthor_sysfs_device(const char *dri_path, char *out, size_t len);

/*
 * True when the host booted the Mali model and exported PROTM_EXPECT_GPU=1:
 * then a missing Panthor device is a failure, never a skip.
 */
bool panthor_gpu_expected(void);

/* What a case reports without a Panthor device: FAIL when expected, else SKIP. */
enum ktap_result panthor_missing_result(void);

/* DRM_IOCTL_GEM_CLOSE, ignoring handle 0. */
void panthor_gem_close(int fd, uint32_t handle);

#endif
