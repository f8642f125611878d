// SPDX-License-Identifier: BSD-2-Clause
/*
 * protm-protm-ready: KTAP suite "protm-ready", what a system service does
 * once at boot so that userspace (Mesa) can use protected mode: if Panthor
 * reports protected mode available but not READY, allocate the buffer
 * backing the firmware's protected sections from the TEE protected heap and
 * hand it over with DRM_IOCTL_PANTHOR_PROTM_SETUP (root only), then check
 * DRM_PANTHOR_DEV_QUERY_PROTM_INFO says READY.
 *
 * Usage: protm-protm-ready [--heap NAME] [--dri DEV] [--expect-protected yes|no]
 *
 *   --heap     protected heap under /dev/dma_heap (protected,secure-video)
 *   --dri      render node (default: the first Panthor one)
 *   --expect-protected no
 *              the kernel is expected to have no protected mode (a kernel
 *              without the series, or without protected firmware
 *              sections): the availability case passes when it is absent
 *              and the setup case is skipped. "yes" is the default.
 *
 * Without a Panthor render node every case reports SKIP "no Mali device",
 * or FAIL when the host booted the Mali model (PROTM_EXPECT_GPU=1).
 *
 * The checks build with the pinned upstream uapi headers, so the series'
 * uAPI is mirrored here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <drm/drm.h>

#include "lib/args.h"
#include "lib/ktap.h"
#include "lib/panthor.h"
#include "lib/sys.h"

#define SUITE "protm-ready"
#define NO_DEVICE "no Mali device"

/* ---- the series' uAPI, mirrored -------------------------------------------- */

#define READY_DRV_MINOR 9
#define READY_DEV_QUERY_PROTM_INFO 4
#define READY_INFO_AVAILABLE (1u << 0)
#define READY_INFO_READY (1u << 1)

struct ready_protm_info { /* struct drm_panthor_protm_info */
	uint32_t flags;
	uint32_t fw_section_count;
	uint64_t fw_buf_size;
	uint64_t buf_align;
	uint64_t group_suspend_buf_size;
};

struct ready_protm_setup { /* struct drm_panthor_protm_setup */
	int32_t fw_buf_fd;
	uint32_t flags;
};

#define READY_IOCTL_PROTM_SETUP DRM_IOW(DRM_COMMAND_BASE + 17, struct ready_protm_setup)

_Static_assert(sizeof(struct ready_protm_info) == 32, "drm_panthor_protm_info layout");
_Static_assert(sizeof(struct ready_protm_setup) == 8, "drm_panthor_protm_setup layout");

struct ctx {
	const char *heap;
	const char *dri;
	bool expect_absent;
	int fd;
	int minor;
	char path[64];
	char heap_path[128];
	bool available;
	struct ready_protm_info info;
};

static int query_info(struct ctx *c)
{
	memset(&c->info, 0, sizeof(c->info));
	return panthor_query(c->fd, READY_DEV_QUERY_PROTM_INFO, &c->info, sizeof(c->info));
}

/* The kernel has protected mode (driver 1.9 with protected firmware sections). */
static enum ktap_result case_available(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int rc;

	if (c->fd < 0) {
		snprintf(skip, skip_len, NO_DEVICE);
		return panthor_missing_result();
	}
	ktap_diag("%s: panthor 1.%d", c->path, c->minor);
	if (c->minor < READY_DRV_MINOR) {
		EXPECT(c->expect_absent, "panthor 1.%d predates the protected-mode uAPI", c->minor);
		ktap_diag("no protected-mode uAPI, as expected");
		goto out;
	}
	rc = query_info(c);
	EXPECT(rc == 0, "PROTM_INFO query: %s", strerror(rc));
	c->available = c->info.flags & READY_INFO_AVAILABLE;
	ktap_diag("flags 0x%x, firmware buffer %" PRIu64 " KiB, group suspend buffer %" PRIu64 " KiB",
		  c->info.flags, c->info.fw_buf_size / 1024, c->info.group_suspend_buf_size / 1024);
	if (c->expect_absent)
		EXPECT(!c->available, "protected mode is available, its absence was expected");
	else
		EXPECT(c->available, "protected mode not available (flags 0x%x)", c->info.flags);
out:
	return res;
}

/* Protected mode set up (by us when it was not yet): READY. */
static enum ktap_result case_ready(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct ready_protm_setup s = { .fw_buf_fd = -1 };
	int rc;

	if (c->fd < 0) {
		snprintf(skip, skip_len, NO_DEVICE);
		return panthor_missing_result();
	}
	if (c->expect_absent)
		SKIP("no protected mode, as expected");
	EXPECT(c->available, "protected mode not available (see the previous case)");
	if (c->info.flags & READY_INFO_READY) {
		ktap_diag("protected mode was already set up");
		goto out;
	}
	rc = heap_alloc(c->heap_path, c->info.fw_buf_size, &s.fw_buf_fd);
	EXPECT(rc == 0, "allocating %" PRIu64 " bytes from %s: %s", c->info.fw_buf_size, c->heap_path,
	       strerror(rc));
	rc = xioctl(c->fd, READY_IOCTL_PROTM_SETUP, &s);
	/* EBUSY: someone else set it up meanwhile, which is as good. */
	EXPECT(rc == 0 || rc == EBUSY, "PROTM_SETUP: %s", strerror(rc));
	rc = query_info(c);
	EXPECT(rc == 0, "PROTM_INFO query: %s", strerror(rc));
	EXPECT(c->info.flags & READY_INFO_READY, "not READY after setup (flags 0x%x)", c->info.flags);
	ktap_diag("set up with %" PRIu64 " KiB from %s", c->info.fw_buf_size / 1024, c->heap);
out:
	/* The kernel keeps its own reference to the buffer. */
	close_fd(&s.fw_buf_fd);
	return res;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum ktap_result (*fn)(struct ctx *, char *, size_t);
	} cases[] = {
		{ "protm_available", case_available },
		{ "protm_ready", case_ready },
	};
	const int n = sizeof(cases) / sizeof(cases[0]);
	struct ctx c = { .heap = "protected,secure-video", .fd = -1 };
	char skip[256];
	int i, status;

	const char *expect = "yes";
	const struct check_opt opts[] = {
		{ "heap", "NAME", &c.heap },
		{ "dri", "DEV", &c.dri },
		{ "expect-protected", "yes|no", &expect },
		{ NULL },
	};

	check_parse_args(argc, argv, "protm-protm-ready", opts);
	if (strcmp(expect, "yes") && strcmp(expect, "no"))
		check_usage_error("protm-protm-ready", opts, "--expect-protected takes yes or no");
	c.expect_absent = !strcmp(expect, "no");
	if (strchr(c.heap, '/'))
		check_usage_error("protm-protm-ready", opts, "--heap takes a heap name, not a path");
	snprintf(c.heap_path, sizeof(c.heap_path), "/dev/dma_heap/%s", c.heap);
	c.fd = panthor_open(c.dri, c.path, sizeof(c.path), &c.minor);

	ktap_suite_begin(SUITE, n);
	for (i = 0; i < n; i++) {
		skip[0] = '\0';
		ktap_case(cases[i].fn(&c, skip, sizeof(skip)), cases[i].name, skip);
	}
	status = ktap_suite_end();
	close_fd(&c.fd);
	return status;
}
