/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The kernel series' protected-mode uAPI (kernel-patches/), mirrored: the
 * checks build with the pinned upstream uapi headers, which predate it.
 * Each name gives the series' own in a comment; the layouts are asserted.
 */
#ifndef PROTM_UAPI_H
#define PROTM_UAPI_H

#include <stdint.h>

#include <drm/drm.h>
#include <drm/panthor_drm.h>

#define PROTM_DRV_MINOR 9 /* first Panthor version with the protected-mode uAPI */

#define PROTM_DEV_QUERY_PROTM_INFO 4 /* DRM_PANTHOR_DEV_QUERY_PROTM_INFO */
#define PROTM_INFO_AVAILABLE (1u << 0) /* DRM_PANTHOR_PROTM_AVAILABLE */
#define PROTM_INFO_READY (1u << 1) /* DRM_PANTHOR_PROTM_READY */

struct protm_info { /* struct drm_panthor_protm_info */
	uint32_t flags;
	uint32_t fw_section_count;
	uint64_t fw_buf_size;
	uint64_t buf_align;
	uint64_t group_suspend_buf_size;
};

struct protm_setup { /* struct drm_panthor_protm_setup */
	int32_t fw_buf_fd;
	uint32_t flags;
};

#define PROTM_GROUP_CREATE_PROTECTED (1u << 0) /* DRM_PANTHOR_GROUP_CREATE_PROTECTED */

struct protm_group_create { /* struct drm_panthor_group_create, extended */
	struct drm_panthor_obj_array queues;
	uint8_t max_compute_cores;
	uint8_t max_fragment_cores;
	uint8_t max_tiler_cores;
	uint8_t priority;
	uint32_t flags; /* was pad */
	uint64_t compute_core_mask;
	uint64_t fragment_core_mask;
	uint64_t tiler_core_mask;
	uint32_t vm_id;
	uint32_t group_handle;
	int32_t protm_suspend_buf_fd;
	uint32_t pad;
};

#define PROTM_VM_BIND_OP_MAP_PROTECTED (1u << 4) /* DRM_PANTHOR_VM_BIND_OP_MAP_PROTECTED */
#define PROTM_BO_IS_PROTECTED (1u << 1) /* DRM_PANTHOR_BO_IS_PROTECTED */

#define PROTM_IOCTL_SETUP DRM_IOW(DRM_COMMAND_BASE + 17, struct protm_setup)
#define PROTM_IOCTL_GROUP_CREATE DRM_IOWR(DRM_COMMAND_BASE + 7, struct protm_group_create)

_Static_assert(sizeof(struct protm_info) == 32, "drm_panthor_protm_info layout");
_Static_assert(sizeof(struct protm_setup) == 8, "drm_panthor_protm_setup layout");
_Static_assert(sizeof(struct protm_group_create) == 64, "drm_panthor_group_create layout");

#endif
