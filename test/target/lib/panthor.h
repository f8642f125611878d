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

/*
 * Thin wrappers of the upstream uAPI; each returns 0 or the errno, and a
 * destroy ignores handle 0 (never created).
 */
/* BO_CREATE, private to `vm_id` (0: shareable). */
int panthor_bo_create(int fd, uint32_t vm_id, uint64_t size, uint32_t *handle);
/* BO_MMAP_OFFSET and a shared read/write CPU mapping of the whole BO. */
int panthor_bo_mmap(int fd, uint32_t handle, uint64_t size, void **map);
/* VM_BIND of one MAP operation at `va`, with extra op `flags`. */
int panthor_vm_map(int fd, uint32_t vm_id, uint32_t handle, uint64_t va, uint64_t size, uint32_t flags);
/* VM_BIND of one UNMAP operation. */
int panthor_vm_unmap(int fd, uint32_t vm_id, uint64_t va, uint64_t size);
void panthor_vm_destroy(int fd, uint32_t vm_id);
/* PRIME_FD_TO_HANDLE of a dma-buf. */
int panthor_import(int fd, int buf_fd, uint32_t *handle);
int panthor_group_destroy(int fd, uint32_t handle);
/* GROUP_GET_STATE; `fatal_queues` may be NULL. */
int panthor_group_state(int fd, uint32_t group, uint32_t *state, uint32_t *fatal_queues);
/* SYNCOBJ_WAIT for one syncobj (waiting for a fence to be submitted too); ETIME on timeout. */
int panthor_syncobj_wait(int fd, uint32_t syncobj, int timeout_ms);
int panthor_syncobj_reset(int fd, uint32_t syncobj);
/* The GPU's runtime PM state from sysfs ("active", "suspended", ...). */
int panthor_runtime_status(const char *dri_path, char *out, size_t len);

#endif
