// SPDX-License-Identifier: BSD-2-Clause
/*
 * protm-panthor-protm: KTAP suite "panthor-protm", end-to-end checks of
 * Panthor's protected-mode uAPI (kernel-patches/: the protected-mode device
 * query, DRM_IOCTL_PANTHOR_PROTM_SETUP, protected groups and protected
 * buffer imports) as user space sees it.
 *
 * Usage: protm-panthor-protm [--heap NAME] [--system-heap NAME] [--dri DEV]
 *
 *   --heap         protected heap under /dev/dma_heap (protected,secure-video)
 *   --system-heap  ordinary heap, whose buffers must be refused (system)
 *   --dri          render node to use; default: the first of
 *                  /dev/dri/renderD128..191 driven by panthor
 *
 * Without a Panthor render node (the QEMU target has no Mali model yet),
 * every case is reported as "ok N name # SKIP no Mali device" and the
 * program exits 0: nothing is claimed to pass.
 *
 * The new uAPI is mirrored in lib/protm_uapi.h (protm_* definitions)
 * instead of being taken from <drm/panthor_drm.h>: the target checks are
 * built against the pinned tree's headers, which predate the series. The layouts must match
 * include/uapi/drm/panthor_drm.h of the series (driver version 1.9).
 *
 * Beyond the errnos: setup raced by several processes (exactly one wins),
 * setup surviving a runtime suspend/resume (Panthor's pre/post-reset path
 * for the firmware), and an ordinary group getting no protected suspend
 * buffer any more (counted in debugfs' gems list, its cost measured).
 *
 * Errnos asserted, from the series:
 *   - DRM_IOCTL_PANTHOR_PROTM_SETUP is DRM_ROOT_ONLY: -EACCES without
 *     CAP_SYS_ADMIN (checked by the DRM core before anything else);
 *     flags != 0: -EINVAL; protected mode not available: -EOPNOTSUPP;
 *     a negative fd: -EBADF (dma_buf_get()); a file that is not a dma-buf,
 *     a dma-buf that is not from a TEE protected heap, a wrong size:
 *     -EINVAL; already set up: -EBUSY;
 *   - DRM_PANTHOR_GROUP_CREATE_PROTECTED before setup: -EOPNOTSUPP;
 *     unknown group flags: -EINVAL;
 *   - a protected BO: BO_MMAP_OFFSET -EPERM; VM_BIND without
 *     DRM_PANTHOR_VM_BIND_OP_MAP_PROTECTED -EINVAL, and the flag on an
 *     ordinary BO -EINVAL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/dma-heap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/panthor_drm.h>

#include "lib/args.h"
#include "lib/ktap.h"
#include "lib/panthor.h"
#include "lib/protm_uapi.h"
#include "lib/sys.h"

#define SUITE "panthor-protm"
#define NO_DEVICE "no Mali device"
#define BIND_VA 0x1000000ull /* 16 MiB, inside any user VA range */

/* ---- context -------------------------------------------------------------- */

struct ctx {
	const char *heap;
	const char *system_heap;
	const char *dri;
	char heap_path[256];
	char system_heap_path[256];
	char dri_path[64];
	int fd;			/* render node, -1 without a Panthor device */
	int minor;		/* driver minor version */
	bool root;		/* CAP_SYS_ADMIN assumed for euid 0 */
	bool info_ok;
	struct protm_info info;
	struct drm_panthor_gpu_info gpu;
	uint32_t vm_id;		/* 0: none */
};

typedef enum ktap_result (*case_fn)(struct ctx *c, char *skip, size_t skip_len);

/* ---- helpers ------------------------------------------------------------ */

static const char *err_name(int e)
{
	return e ? strerror(e) : "success";
}

static void open_device(struct ctx *c)
{
	c->fd = panthor_open(c->dri, c->dri_path, sizeof(c->dri_path), &c->minor);
}

static int query(struct ctx *c, uint32_t type, void *out, uint32_t size)
{
	return panthor_query(c->fd, type, out, size);
}

static int protm_setup(struct ctx *c, int buf_fd, uint32_t flags)
{
	struct protm_setup s = { .fw_buf_fd = buf_fd, .flags = flags };

	return xioctl(c->fd, PROTM_IOCTL_SETUP, &s);
}

static bool refresh_info(struct ctx *c)
{
	c->info_ok = query(c, PROTM_DEV_QUERY_PROTM_INFO, &c->info, sizeof(c->info)) == 0;
	return c->info_ok;
}

static bool available(const struct ctx *c)
{
	return c->info_ok && (c->info.flags & PROTM_INFO_AVAILABLE);
}

static bool ready(const struct ctx *c)
{
	return c->info_ok && (c->info.flags & PROTM_INFO_READY);
}

static int group_create(struct ctx *c, uint32_t flags, int suspend_fd, uint32_t *handle)
{
	struct drm_panthor_queue_create queue = { .priority = 0, .ringbuf_size = 4096 };
	struct protm_group_create g = {
		.queues = DRM_PANTHOR_OBJ_ARRAY(1, &queue),
		.max_compute_cores = 1,
		.max_fragment_cores = 1,
		.max_tiler_cores = 1,
		.priority = PANTHOR_GROUP_PRIORITY_MEDIUM,
		.flags = flags,
		.compute_core_mask = c->gpu.shader_present,
		.fragment_core_mask = c->gpu.shader_present,
		.tiler_core_mask = c->gpu.tiler_present,
		.vm_id = c->vm_id,
		.protm_suspend_buf_fd = suspend_fd,
	};
	int rc = xioctl(c->fd, PROTM_IOCTL_GROUP_CREATE, &g);

	if (!rc)
		*handle = g.group_handle;
	return rc;
}

static void gem_close(struct ctx *c, uint32_t handle)
{
	panthor_gem_close(c->fd, handle);
}

static int vm_bind(struct ctx *c, uint32_t op_flags, uint32_t handle, uint64_t size)
{
	struct drm_panthor_vm_bind_op op = {
		.flags = op_flags,
		.bo_handle = handle,
		.va = BIND_VA,
		.size = size,
	};
	struct drm_panthor_vm_bind b = { .vm_id = c->vm_id, .ops = DRM_PANTHOR_OBJ_ARRAY(1, &op) };

	return xioctl(c->fd, DRM_IOCTL_PANTHOR_VM_BIND, &b);
}

static int vm_unbind(struct ctx *c, uint64_t size)
{
	return vm_bind(c, DRM_PANTHOR_VM_BIND_OP_TYPE_UNMAP, 0, size);
}

/* Common preconditions of the cases that need protected memory. */
#define NEED_AVAILABLE()                                                          \
	do {                                                                      \
		if (!c->info_ok)                                                  \
			SKIP("no protected-mode info");                           \
		if (!available(c))                                                \
			SKIP("protected mode not available on this device");      \
	} while (0)
#define NEED_HEAP()                                                               \
	do {                                                                      \
		if (access(c->heap_path, F_OK) < 0)                               \
			SKIP("no %s heap", c->heap);                              \
	} while (0)
#define NEED_ROOT()                                                               \
	do {                                                                      \
		if (!c->root)                                                     \
			SKIP("needs root (CAP_SYS_ADMIN)");                       \
	} while (0)

/* ---- cases: query ------------------------------------------------------- */

static enum ktap_result case_query(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct drm_panthor_dev_query q = { .type = PROTM_DEV_QUERY_PROTM_INFO };
	int rc;

	(void)skip;
	(void)skip_len;
	rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_DEV_QUERY, &q);
	EXPECT(rc == 0, "size query failed: %s", err_name(rc));
	EXPECT(q.size >= sizeof(struct protm_info), "kernel reports %u bytes, expected at least %zu",
	       q.size, sizeof(struct protm_info));
	EXPECT(refresh_info(c), "PROTM_INFO query failed");
	ktap_diag("flags 0x%x, %u fw section(s), fw buffer %" PRIu64 " bytes, align %" PRIu64
		  ", group suspend buffer %" PRIu64 " bytes",
		  c->info.flags, c->info.fw_section_count, c->info.fw_buf_size, c->info.buf_align,
		  c->info.group_suspend_buf_size);
out:
	return res;
}

static enum ktap_result case_info_consistent(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	const struct protm_info *i = &c->info;

	if (!c->info_ok)
		SKIP("no protected-mode info");
	EXPECT(!(i->flags & ~(PROTM_INFO_AVAILABLE | PROTM_INFO_READY)), "unknown flags 0x%x", i->flags);
	if (!available(c)) {
		EXPECT(i->flags == 0 && i->fw_section_count == 0 && i->fw_buf_size == 0 &&
		       i->buf_align == 0 && i->group_suspend_buf_size == 0,
		       "protected mode unavailable but the other fields are not zero");
		goto out;
	}
	EXPECT(i->fw_section_count > 0, "available with no firmware protected section");
	EXPECT(i->buf_align >= 4096 && !(i->buf_align & (i->buf_align - 1)),
	       "alignment %" PRIu64 " is not a power of two >= 4096", i->buf_align);
	EXPECT(i->fw_buf_size > 0 && i->fw_buf_size % i->buf_align == 0,
	       "firmware buffer size %" PRIu64 " is not a non-zero multiple of %" PRIu64,
	       i->fw_buf_size, i->buf_align);
	EXPECT(i->group_suspend_buf_size > 0 && i->group_suspend_buf_size % i->buf_align == 0,
	       "group suspend buffer size %" PRIu64 " is not a non-zero multiple of %" PRIu64,
	       i->group_suspend_buf_size, i->buf_align);
out:
	return res;
}

/* ---- cases: setup rejections ---------------------------------------------- */

static enum ktap_result case_setup_unprivileged(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int status = 0;
	pid_t pid;

	NEED_ROOT();
	pid = fork();
	EXPECT(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* Drop every capability with root's uid: nobody. */
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(100);
		_exit(protm_setup(c, -1, 0) & 0x7f);
	}
	EXPECT(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	EXPECT(WIFEXITED(status), "child died");
	EXPECT(WEXITSTATUS(status) != 100, "could not drop privileges");
	EXPECT(WEXITSTATUS(status) == EACCES, "unprivileged setup: %s, expected EACCES",
	       err_name(WEXITSTATUS(status)));
out:
	return res;
}

static enum ktap_result case_setup_flags(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int rc;

	NEED_ROOT();
	rc = protm_setup(c, -1, 1);
	EXPECT(rc == EINVAL, "setup with flags 0x1: %s, expected EINVAL", err_name(rc));
out:
	return res;
}

static enum ktap_result case_setup_bad_fd(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int expected, rc;

	NEED_ROOT();
	expected = available(c) ? EBADF : EOPNOTSUPP;
	rc = protm_setup(c, -1, 0);
	EXPECT(rc == expected, "setup with fd -1: %s, expected %s", err_name(rc), strerror(expected));
out:
	return res;
}

static enum ktap_result case_setup_not_dmabuf(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int fd = -1, expected, rc;

	NEED_ROOT();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	EXPECT(fd >= 0, "/dev/null: %s", strerror(errno));
	expected = available(c) ? EINVAL : EOPNOTSUPP;
	rc = protm_setup(c, fd, 0);
	EXPECT(rc == expected, "setup with /dev/null: %s, expected %s", err_name(rc), strerror(expected));
out:
	close_fd(&fd);
	return res;
}

static enum ktap_result case_setup_system_heap(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int buf = -1, rc;

	NEED_ROOT();
	NEED_AVAILABLE();
	if (access(c->system_heap_path, F_OK) < 0)
		SKIP("no %s heap", c->system_heap);
	rc = heap_alloc(c->system_heap_path, c->info.fw_buf_size, &buf);
	EXPECT(rc == 0, "%s allocation failed: %s", c->system_heap, strerror(rc));
	rc = protm_setup(c, buf, 0);
	EXPECT(rc == EINVAL, "setup with a %s-heap buffer: %s, expected EINVAL", c->system_heap, err_name(rc));
out:
	close_fd(&buf);
	return res;
}

static enum ktap_result case_setup_wrong_size(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int buf = -1, rc;

	NEED_ROOT();
	NEED_AVAILABLE();
	NEED_HEAP();
	rc = heap_alloc(c->heap_path, c->info.fw_buf_size + c->info.buf_align, &buf);
	EXPECT(rc == 0, "protected allocation failed: %s", strerror(rc));
	rc = protm_setup(c, buf, 0);
	EXPECT(rc == EINVAL, "setup with a buffer one page too big: %s, expected EINVAL", err_name(rc));
	close_fd(&buf);
	if (c->info.fw_buf_size > c->info.buf_align) {
		rc = heap_alloc(c->heap_path, c->info.fw_buf_size - c->info.buf_align, &buf);
		EXPECT(rc == 0, "protected allocation failed: %s", strerror(rc));
		rc = protm_setup(c, buf, 0);
		EXPECT(rc == EINVAL, "setup with a buffer one page too small: %s, expected EINVAL", err_name(rc));
	}
out:
	close_fd(&buf);
	return res;
}

/* ---- cases: groups before setup ----------------------------------------- */

static enum ktap_result case_group_normal(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	uint32_t handle = 0;
	int rc;

	(void)skip;
	(void)skip_len;
	EXPECT(c->vm_id, "no VM");
	rc = group_create(c, 0, 0, &handle);
	EXPECT(rc == 0, "creating an ordinary group: %s", err_name(rc));
	rc = panthor_group_destroy(c->fd, handle);
	EXPECT(rc == 0, "destroying it: %s", err_name(rc));
out:
	return res;
}

static enum ktap_result case_group_unknown_flags(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	uint32_t handle = 0;
	int rc = -1;

	(void)skip;
	(void)skip_len;
	EXPECT(c->vm_id, "no VM");
	rc = group_create(c, 1u << 1, 0, &handle);
	EXPECT(rc == EINVAL, "group flags 0x2: %s, expected EINVAL", err_name(rc));
	rc = group_create(c, 0, 3, &handle);
	EXPECT(rc == EINVAL, "suspend buffer fd without the flag: %s, expected EINVAL", err_name(rc));
out:
	if (rc == 0)
		panthor_group_destroy(c->fd, handle);
	return res;
}

static enum ktap_result case_group_protected_before_setup(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	uint32_t handle = 0;
	int buf = -1, rc = -1;

	EXPECT(c->vm_id, "no VM");
	if (ready(c))
		SKIP("protected mode was already set up");
	if (available(c) && access(c->heap_path, F_OK) == 0) {
		rc = heap_alloc(c->heap_path, c->info.group_suspend_buf_size, &buf);
		EXPECT(rc == 0, "protected allocation failed: %s", strerror(rc));
	}
	rc = group_create(c, PROTM_GROUP_CREATE_PROTECTED, buf >= 0 ? buf : 0, &handle);
	EXPECT(rc == EOPNOTSUPP, "protected group before setup: %s, expected EOPNOTSUPP", err_name(rc));
out:
	if (rc == 0)
		panthor_group_destroy(c->fd, handle);
	close_fd(&buf);
	return res;
}

/* ---- cases: setup and after --------------------------------------------- */

/*
 * SETUP_RACERS processes, each with its own TEE-heap buffer, call setup at
 * once: exactly one wins, the others get EBUSY, and the query says READY.
 */
#define SETUP_RACERS 4

static enum ktap_result case_setup_concurrent(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int go[2] = { -1, -1 }, results[256] = { 0 };
	pid_t pids[SETUP_RACERS];
	int started = 0, i, status;

	NEED_ROOT();
	NEED_AVAILABLE();
	NEED_HEAP();
	if (ready(c))
		SKIP("protected mode was already set up");
	EXPECT(pipe(go) == 0, "pipe: %s", strerror(errno));
	for (; started < SETUP_RACERS; started++) {
		pids[started] = fork();
		if (pids[started] == 0) {
			char byte;
			int buf, rc;

			close(go[1]);
			rc = heap_alloc(c->heap_path, c->info.fw_buf_size, &buf);
			/* Everyone starts when the parent closes the pipe. */
			if (read(go[0], &byte, 1) < 0 || rc)
				_exit(255);
			_exit(protm_setup(c, buf, 0) & 0xff);
		}
		EXPECT(pids[started] > 0, "fork: %s", strerror(errno));
	}
	usleep(200 * 1000); /* let every racer allocate and block */
	close_fd(&go[1]);
	for (i = 0; i < started; i++) {
		if (waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status))
			results[WEXITSTATUS(status)]++;
		else
			results[255]++;
	}
	started = 0;
	ktap_diag("%d racers: %d succeeded, %d got EBUSY, %d failed otherwise", SETUP_RACERS, results[0],
		  results[EBUSY], SETUP_RACERS - results[0] - results[EBUSY]);
	EXPECT(results[0] == 1, "%d setups succeeded, expected exactly one", results[0]);
	EXPECT(results[EBUSY] == SETUP_RACERS - 1, "the losers did not all get EBUSY");
	EXPECT(refresh_info(c), "PROTM_INFO query failed after setup");
	EXPECT(ready(c), "setup succeeded but the query doesn't report READY (flags 0x%x)", c->info.flags);
out:
	close_fd(&go[1]);
	close_fd(&go[0]);
	for (i = 0; i < started; i++)
		waitpid(pids[i], &status, 0);
	return res;
}

static enum ktap_result case_setup_twice(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int buf = -1, rc;

	NEED_ROOT();
	NEED_AVAILABLE();
	NEED_HEAP();
	if (!ready(c))
		SKIP("protected mode is not set up");
	rc = heap_alloc(c->heap_path, c->info.fw_buf_size, &buf);
	EXPECT(rc == 0, "protected allocation failed: %s", strerror(rc));
	rc = protm_setup(c, buf, 0);
	EXPECT(rc == EBUSY, "second setup: %s, expected EBUSY", err_name(rc));
	EXPECT(refresh_info(c) && ready(c), "no longer READY after a refused second setup");
out:
	close_fd(&buf);
	return res;
}

static enum ktap_result case_group_protected(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	uint32_t handle = 0;
	int buf = -1, rc = -1;

	NEED_AVAILABLE();
	NEED_HEAP();
	if (!ready(c))
		SKIP("protected mode is not set up");
	EXPECT(c->vm_id, "no VM");
	rc = heap_alloc(c->heap_path, c->info.group_suspend_buf_size, &buf);
	EXPECT(rc == 0, "protected allocation failed: %s", strerror(rc));
	rc = group_create(c, PROTM_GROUP_CREATE_PROTECTED, buf, &handle);
	EXPECT(rc == 0, "protected group: %s", err_name(rc));
	close_fd(&buf);
	rc = panthor_group_destroy(c->fd, handle);
	EXPECT(rc == 0, "destroying the protected group: %s", err_name(rc));
	rc = -1;
out:
	if (rc == 0)
		panthor_group_destroy(c->fd, handle);
	close_fd(&buf);
	return res;
}

static enum ktap_result case_group_protected_system_heap(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	uint32_t handle = 0;
	int buf = -1, rc = -1;

	NEED_AVAILABLE();
	if (!ready(c))
		SKIP("protected mode is not set up");
	if (access(c->system_heap_path, F_OK) < 0)
		SKIP("no %s heap", c->system_heap);
	rc = heap_alloc(c->system_heap_path, c->info.group_suspend_buf_size, &buf);
	EXPECT(rc == 0, "%s allocation failed: %s", c->system_heap, strerror(rc));
	rc = group_create(c, PROTM_GROUP_CREATE_PROTECTED, buf, &handle);
	EXPECT(rc == EINVAL, "protected group with a %s-heap suspend buffer: %s, expected EINVAL",
	       c->system_heap, err_name(rc));
out:
	if (rc == 0)
		panthor_group_destroy(c->fd, handle);
	close_fd(&buf);
	return res;
}

/* ---- cases: protected BOs ------------------------------------------------ */

static enum ktap_result case_bo_mmap_refused(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct drm_panthor_bo_query_info qi = { 0 };
	struct drm_panthor_bo_mmap_offset mo = { 0 };
	uint32_t handle = 0;
	int buf = -1, rc;

	NEED_AVAILABLE();
	NEED_HEAP();
	rc = heap_alloc(c->heap_path, c->info.buf_align, &buf);
	EXPECT(rc == 0, "protected allocation failed: %s", strerror(rc));
	rc = panthor_import(c->fd, buf, &handle);
	EXPECT(rc == 0, "importing a protected dma-buf: %s", err_name(rc));
	qi.handle = handle;
	rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_BO_QUERY_INFO, &qi);
	EXPECT(rc == 0, "BO_QUERY_INFO: %s", err_name(rc));
	EXPECT(qi.extra_flags & PROTM_BO_IS_PROTECTED, "imported BO not flagged protected (0x%x)", qi.extra_flags);
	mo.handle = handle;
	rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &mo);
	EXPECT(rc == EPERM, "BO_MMAP_OFFSET on a protected BO: %s, expected EPERM", err_name(rc));
out:
	gem_close(c, handle);
	close_fd(&buf);
	return res;
}

static enum ktap_result case_vm_bind_protected(struct ctx *c, char *skip, size_t skip_len)
{
	const uint32_t map = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP | DRM_PANTHOR_VM_BIND_OP_MAP_NOEXEC;
	enum ktap_result res = KTAP_PASS;
	uint32_t prot = 0, ordinary = 0;
	uint64_t size;
	int buf = -1, sys = -1, rc;

	NEED_AVAILABLE();
	NEED_HEAP();
	EXPECT(c->vm_id, "no VM");
	size = c->info.buf_align;
	rc = heap_alloc(c->heap_path, size, &buf);
	EXPECT(rc == 0, "protected allocation failed: %s", strerror(rc));
	rc = panthor_import(c->fd, buf, &prot);
	EXPECT(rc == 0, "importing a protected dma-buf: %s", err_name(rc));

	/* No regression: userspace that maps TEE buffers without the flag keeps working. */
	rc = vm_bind(c, map, prot, size);
	EXPECT(rc == 0, "mapping a protected BO without MAP_PROTECTED (as before the flag): %s", err_name(rc));
	rc = vm_unbind(c, size);
	EXPECT(rc == 0, "unmapping it: %s", err_name(rc));
	rc = vm_bind(c, map | PROTM_VM_BIND_OP_MAP_PROTECTED, prot, size);
	EXPECT(rc == 0, "mapping a protected BO with MAP_PROTECTED: %s", err_name(rc));
	rc = vm_unbind(c, size);
	EXPECT(rc == 0, "unmapping it: %s", err_name(rc));

	if (access(c->system_heap_path, F_OK) == 0) {
		rc = heap_alloc(c->system_heap_path, size, &sys);
		EXPECT(rc == 0, "%s allocation failed: %s", c->system_heap, strerror(rc));
		rc = panthor_import(c->fd, sys, &ordinary);
		EXPECT(rc == 0, "importing a %s-heap dma-buf: %s", c->system_heap, err_name(rc));
		rc = vm_bind(c, map | PROTM_VM_BIND_OP_MAP_PROTECTED, ordinary, size);
		EXPECT(rc == EINVAL, "MAP_PROTECTED on an ordinary BO: %s, expected EINVAL", err_name(rc));
	} else {
		ktap_diag("no %s heap: MAP_PROTECTED on an ordinary BO not checked", c->system_heap);
	}
out:
	gem_close(c, ordinary);
	gem_close(c, prot);
	close_fd(&sys);
	close_fd(&buf);
	return res;
}

/* ---- cases: memory and power ---------------------------------------------- */

struct gem_census {
	long long total;	/* "Total size" of all Panthor BOs */
	int suspend_bufs;	/* BOs labelled "FW suspend buffer" */
};

/* Reads Panthor's debugfs list of BOs (mounting debugfs if needed). */
static int gem_census(struct gem_census *g)
{
	static const char *const dirs[] = { "/sys/kernel/debug/dri/0", "/sys/kernel/debug/dri/1",
					    "/sys/kernel/debug/dri/128" };
	char line[512], path[96];
	FILE *f = NULL;
	size_t i;

	if (access("/sys/kernel/debug/dri", F_OK) < 0 &&
	    mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) < 0 && errno != EBUSY)
		return errno;
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !f; i++) {
		snprintf(path, sizeof(path), "%s/gems", dirs[i]);
		f = fopen(path, "re");
	}
	if (!f)
		return ENOENT;
	memset(g, 0, sizeof(*g));
	g->total = -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line) >= 17 && !strcmp(line + strlen(line) - 17, "FW suspend buffer"))
			g->suspend_bufs++;
		sscanf(line, "Total size: %lld", &g->total);
	}
	fclose(f);
	return g->total < 0 ? EPROTO : 0;
}

/*
 * Panthor frees a destroyed group's BOs from a work item, so the groups of
 * earlier cases may still be leaving the list. Reads it until two reads 100 ms
 * apart agree (at most 3 s), so that only the new group changes the count.
 */
static int gem_census_settled(struct gem_census *g)
{
	struct gem_census next;
	int i, rc;

	rc = gem_census(g);
	for (i = 0; !rc && i < 30; i++) {
		usleep(100 * 1000);
		rc = gem_census(&next);
		if (rc || (next.total == g->total && next.suspend_bufs == g->suspend_bufs))
			break;
		*g = next;
	}
	return rc;
}

/*
 * Before this series Panthor gave every group a protected suspend buffer
 * from normal memory (a second "FW suspend buffer" of protm_suspend_size).
 * A normal group now gets only its ordinary suspend buffer: count them and
 * measure what the group costs in kernel BOs.
 */
static enum ktap_result case_group_normal_memory(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct gem_census before, after;
	uint32_t handle = 0;
	long long cost;
	int rc = -1;

	NEED_ROOT();
	EXPECT(c->vm_id, "no VM");
	rc = gem_census_settled(&before);
	if (rc)
		SKIP("no Panthor gems list in debugfs: %s", strerror(rc));
	rc = group_create(c, 0, 0, &handle);
	EXPECT(rc == 0, "normal group: %s", err_name(rc));
	rc = gem_census(&after);
	EXPECT(rc == 0, "reading the gems list again: %s", strerror(rc));
	cost = after.total - before.total;
	ktap_diag("a normal group: %d FW suspend buffer(s), %lld KiB of kernel BOs", after.suspend_bufs -
		  before.suspend_bufs, cost / 1024);
	if (c->info_ok && c->info.group_suspend_buf_size) {
		long long saved = (long long)c->info.group_suspend_buf_size;

		ktap_diag("saved per normal group: the %lld KiB protected suspend buffer Panthor allocated "
			  "before (%lld%% of %lld KiB)", saved / 1024, 100 * saved / (cost + saved),
			  (cost + saved) / 1024);
	}
	EXPECT(after.suspend_bufs - before.suspend_bufs == 1,
	       "%d FW suspend buffers for a normal group, expected 1 (no protected one)",
	       after.suspend_bufs - before.suspend_bufs);
	EXPECT(cost > 0, "the group's kernel BOs do not show in the gems list");
	rc = panthor_group_destroy(c->fd, handle);
	EXPECT(rc == 0, "destroying the group: %s", err_name(rc));
	rc = -1;
out:
	if (rc == 0)
		panthor_group_destroy(c->fd, handle);
	return res;
}

/*
 * Setup survives the GPU powering down: runtime suspend and resume take
 * Panthor's firmware through the same pre-/post-reset path as a GPU reset
 * (panthor_fw_suspend/resume), and the protected sections must be mapped
 * again for the firmware. Afterwards the query still says READY, a
 * protected group can be created, and setup is still EBUSY.
 */
static enum ktap_result case_setup_survives_power_cycle(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	uint32_t handle = 0;
	char state[32] = "";
	int buf = -1, rc = -1, i;

	NEED_ROOT();
	NEED_AVAILABLE();
	NEED_HEAP();
	if (!ready(c))
		SKIP("protected mode is not set up");
	for (i = 0; i < 100; i++) {
		if (panthor_runtime_status(c->dri_path, state, sizeof(state)))
			SKIP("no runtime PM status for %s", c->dri_path);
		if (!strcmp(state, "suspended"))
			break;
		usleep(50 * 1000);
	}
	if (strcmp(state, "suspended"))
		SKIP("the GPU did not runtime-suspend within 5 s (state %s)", state);
	rc = heap_alloc(c->heap_path, c->info.group_suspend_buf_size, &buf);
	EXPECT(rc == 0, "protected allocation failed: %s", strerror(rc));
	rc = group_create(c, PROTM_GROUP_CREATE_PROTECTED, buf, &handle);
	EXPECT(rc == 0, "protected group after a power cycle: %s", err_name(rc));
	close_fd(&buf);
	EXPECT(refresh_info(c) && ready(c), "no longer READY after a power cycle (flags 0x%x)", c->info.flags);
	rc = panthor_group_destroy(c->fd, handle);
	EXPECT(rc == 0, "destroying the protected group: %s", err_name(rc));
	rc = heap_alloc(c->heap_path, c->info.fw_buf_size, &buf);
	EXPECT(rc == 0, "protected allocation failed: %s", strerror(rc));
	rc = protm_setup(c, buf, 0);
	EXPECT(rc == EBUSY, "setup after a power cycle: %s, expected EBUSY", err_name(rc));
	rc = -1;
out:
	if (rc == 0)
		panthor_group_destroy(c->fd, handle);
	close_fd(&buf);
	return res;
}

/* ---- main ---------------------------------------------------------------- */

static const struct {
	const char *name;
	case_fn fn;
} cases[] = {
	{ "protm_info_query", case_query },
	{ "protm_info_consistent", case_info_consistent },
	{ "setup_rejects_unprivileged_caller", case_setup_unprivileged },
	{ "setup_rejects_unknown_flags", case_setup_flags },
	{ "setup_rejects_bad_fd", case_setup_bad_fd },
	{ "setup_rejects_non_dmabuf_fd", case_setup_not_dmabuf },
	{ "setup_rejects_system_heap_buffer", case_setup_system_heap },
	{ "setup_rejects_wrong_sizes", case_setup_wrong_size },
	{ "group_create_normal", case_group_normal },
	{ "group_normal_has_no_protm_suspend_buffer", case_group_normal_memory },
	{ "group_create_rejects_unknown_flags", case_group_unknown_flags },
	{ "group_create_protected_before_setup_eopnotsupp", case_group_protected_before_setup },
	{ "setup_concurrent_callers_one_wins", case_setup_concurrent },
	{ "setup_twice_is_ebusy", case_setup_twice },
	{ "group_create_destroy_protected", case_group_protected },
	{ "group_create_protected_rejects_system_heap", case_group_protected_system_heap },
	{ "protected_bo_cpu_mmap_refused", case_bo_mmap_refused },
	{ "vm_bind_protected_flag_asserts_protected", case_vm_bind_protected },
	{ "setup_survives_runtime_suspend", case_setup_survives_power_cycle },
};

#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

static void skip_all(const char *reason)
{
	int i;

	for (i = 0; i < NCASES; i++)
		ktap_case(KTAP_SKIP, cases[i].name, reason);
}

int main(int argc, char **argv)
{
	struct ctx c = { .heap = "protected,secure-video", .system_heap = "system", .fd = -1 };
	struct drm_panthor_vm_create vm = { 0 };
	char reason[128];
	const struct check_opt opts[] = {
		{ "heap", "NAME", &c.heap },
		{ "system-heap", "NAME", &c.system_heap },
		{ "dri", "DEV", &c.dri },
		{ NULL },
	};
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	check_parse_args(argc, argv, "protm-panthor-protm", opts);
	snprintf(c.heap_path, sizeof(c.heap_path), "/dev/dma_heap/%s", c.heap);
	snprintf(c.system_heap_path, sizeof(c.system_heap_path), "/dev/dma_heap/%s", c.system_heap);
	c.root = geteuid() == 0;

	ktap_suite_begin(SUITE, NCASES);
	open_device(&c);
	if (c.fd < 0) {
		ktap_diag("no Panthor render node (%s)%s", c.dri ? c.dri : "/dev/dri/renderD128..191",
			  panthor_gpu_expected() ? ", but the host booted the Mali model (PROTM_EXPECT_GPU=1)" : "");
		for (i = 0; i < NCASES; i++)
			ktap_case(panthor_missing_result(), cases[i].name, NO_DEVICE);
		return ktap_suite_end();
	}
	ktap_diag("%s: panthor 1.%d, heap %s, control heap %s%s", c.dri_path, c.minor, c.heap_path,
		  c.system_heap_path, c.root ? "" : ", not root");
	if (c.minor < PROTM_DRV_MINOR) {
		snprintf(reason, sizeof(reason), "panthor 1.%d predates the protected-mode uAPI", c.minor);
		skip_all(reason);
		close(c.fd);
		return ktap_suite_end();
	}
	if (query(&c, DRM_PANTHOR_DEV_QUERY_GPU_INFO, &c.gpu, sizeof(c.gpu)))
		ktap_diag("GPU_INFO query failed: %s", strerror(errno));
	if (xioctl(c.fd, DRM_IOCTL_PANTHOR_VM_CREATE, &vm) == 0)
		c.vm_id = vm.id;
	else
		ktap_diag("VM_CREATE failed: the group and VM_BIND cases will fail");
	refresh_info(&c);

	for (i = 0; i < NCASES; i++) {
		char skip[200] = "";
		enum ktap_result r = cases[i].fn(&c, skip, sizeof(skip));

		ktap_case(r, cases[i].name, skip);
	}
	if (c.vm_id) {
		struct drm_panthor_vm_destroy d = { .id = c.vm_id };

		xioctl(c.fd, DRM_IOCTL_PANTHOR_VM_DESTROY, &d);
	}
	close(c.fd);
	return ktap_suite_end();
}
