// SPDX-License-Identifier: BSD-2-Clause
/*
 * protm-protected-mode: KTAP suite "protected-mode", protected work end to
 * end through the kernel series (kernel-patches/, part 2) on a Mali CSF GPU
 * (the QEMU model of qemu-patches/ or a board), with OP-TEE's protected heap
 * and our TA (test/ta/protm_verify) as the judge of what protected memory
 * holds:
 *
 *   - a protected group's job, written here instruction by instruction with
 *     a PROT_REGION, writes the TA's pattern into a protected buffer; the TA
 *     hashes the buffer and the digest matches the one computed here;
 *   - the same job from a normal group is refused (its queue fails, nothing
 *     is written: the TA still finds its own fill), and a normal group that
 *     loads from the protected buffer faults and copies none of it;
 *   - a batch of N protected jobs costs exactly one entry into protected
 *     mode and one exit (Panthor's debugfs protm_stats);
 *   - a normal group keeps making progress while a protected group runs
 *     back-to-back protected work (the latency is measured and bounded);
 *   - a protected job that hangs and one that faults: only the protected
 *     group is blamed, a normal group's jobs submitted before and after
 *     complete, and protected work runs again afterwards (the fault resets
 *     the GPU: "after a reset");
 *   - protected work after a runtime suspend/resume of the GPU;
 *   - exclusive ownership: the buffer backing the firmware's protected
 *     sections and a group's protected suspend buffer can't be imported by
 *     a second process (root or not), nor reused for another group.
 *
 * Usage: protm-protected-mode [--heap NAME] [--dri DEV] [--tee DEV]
 *
 * Without a Panthor render node every case reports SKIP "no Mali device",
 * or FAIL when the host booted the Mali model (PROTM_EXPECT_GPU=1).
 *
 * The checks build with the pinned upstream uapi headers, so the series'
 * uAPI is mirrored here, as in panthor_protm_check.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/panthor_drm.h>

#include "lib/ktap.h"
#include "lib/panthor.h"
#include "lib/sha256.h"
#include "lib/sys.h"
#include "lib/verify_ta.h"
#include "protm_verify_ta.h"

#define SUITE "protected-mode"
#define NO_DEVICE "no Mali device"

/* ---- the series' uAPI, mirrored -------------------------------------------- */

#define PROTM_DRV_MINOR 9
#define PROTM_DEV_QUERY_PROTM_INFO 4
#define PROTM_INFO_AVAILABLE (1u << 0)
#define PROTM_INFO_READY (1u << 1)

struct protm_info {
	uint32_t flags;
	uint32_t fw_section_count;
	uint64_t fw_buf_size;
	uint64_t buf_align;
	uint64_t group_suspend_buf_size;
};

struct protm_setup {
	int32_t fw_buf_fd;
	uint32_t flags;
};

#define PROTM_GROUP_CREATE_PROTECTED (1u << 0)

struct protm_group_create {
	struct drm_panthor_obj_array queues;
	uint8_t max_compute_cores;
	uint8_t max_fragment_cores;
	uint8_t max_tiler_cores;
	uint8_t priority;
	uint32_t flags;
	uint64_t compute_core_mask;
	uint64_t fragment_core_mask;
	uint64_t tiler_core_mask;
	uint32_t vm_id;
	uint32_t group_handle;
	int32_t protm_suspend_buf_fd;
	uint32_t pad;
};

#define PROTM_VM_BIND_OP_MAP_PROTECTED (1u << 4)
#define PROTM_IOCTL_SETUP DRM_IOW(DRM_COMMAND_BASE + 17, struct protm_setup)
#define PROTM_IOCTL_GROUP_CREATE DRM_IOWR(DRM_COMMAND_BASE + 7, struct protm_group_create)

_Static_assert(sizeof(struct protm_info) == 32, "drm_panthor_protm_info layout");
_Static_assert(sizeof(struct protm_group_create) == 64, "drm_panthor_group_create layout");

/* ---- command stream instructions (architecture 10) --------------------------- */

#define CS_INSN(op, hi, lo) (((uint64_t)(op) << 56) | ((uint64_t)(hi) << 32) | (uint32_t)(lo))
#define CS_MOVE48(r, imm) (((uint64_t)1 << 56) | ((uint64_t)(r) << 48) | ((imm) & 0xffffffffffffull))
#define CS_MOVE32(r, imm) (((uint64_t)2 << 56) | ((uint64_t)(r) << 48) | (uint32_t)(imm))
#define CS_ADD32(d, s, imm) CS_INSN(16, ((d) << 16) | ((s) << 8), (uint32_t)(imm))
#define CS_LOAD(base, addr, mask, off) CS_INSN(20, ((base) << 16) | ((addr) << 8), ((mask) << 16) | (off))
#define CS_STORE(base, addr, mask, off) CS_INSN(21, ((base) << 16) | ((addr) << 8), ((mask) << 16) | (off))
#define CS_BRANCH(cond, r, off) CS_INSN(22, (r) << 8, ((uint32_t)(cond) << 28) | ((off) & 0xffff))
/* CALL the buffer at the address in register pair `a`, of the byte size in register `len` */
#define CS_CALL(a, len) CS_INSN(32, ((a) << 8) | (len), 0)
#define CS_COND_NEQUAL 3
#define CS_COND_ALWAYS 6
/* PROT_REGION: the next `n` instructions run in protected mode */
#define CS_PROT_REGION(n) CS_INSN(41, 0, (n) & 0xffff)

/* GPU virtual addresses */
#define STREAM_VA 0x1000000ull
#define STREAM_SIZE 0x10000ull /* 64 KiB: room for a pattern-writing stream */
#define DATA_VA 0x1100000ull
#define DATA_SIZE 0x1000ull
#define PROT_VA 0x1200000ull
#define PROT_SIZE 0x1000ull /* the protected buffer the jobs write */
#define UNMAPPED_VA 0x7000000ull

#define SEED_FILL 0x0f11f11fu /* what the TA writes first */
#define SEED_GPU 0x6a0b5eedu  /* what the protected job writes */

#define JOB_WAIT_MS 10000
#define TIMEOUT_WAIT_MS 30000
#define BATCH_JOBS 8
/* The stated fairness bound, checked: a normal job waits at most this long. */
#define FAIRNESS_BOUND_MS 250
#define FAIRNESS_SAMPLES 20
#define SPIN_ITERS 100000

/* ---- context ------------------------------------------------------------------- */

struct ctx {
	const char *heap;
	const char *dri;
	const char *tee;
	char heap_path[256];
	char dri_path[64];
	int fd;
	int minor;
	struct drm_panthor_gpu_info gpu;
	struct drm_panthor_csif_info csif;
	struct protm_info info;
	bool ready;
	int setup_buf;		/* the buffer we set protected mode up with, -1 if not ours */
	struct verify_ta ta;
	bool ta_ok;
	int reset_log_before_fault; /* klog count before the fault case */
	bool fault_case_ran;
};

/* One GPU context: VM, stream and data BOs (CPU-mapped), optional protected buffer, a group. */
struct env {
	uint32_t vm_id;
	uint32_t stream_bo, data_bo, prot_bo;
	uint64_t *stream;
	volatile uint32_t *data;
	int prot_buf;		/* dma-buf of the protected buffer, -1 if none */
	int prot_shm, prot_shm_id; /* its TEE registration */
	int suspend_buf;	/* the group's protected suspend buffer, -1 if none */
	uint32_t group;
	uint32_t syncobj;
	bool protected_group;
};

typedef enum ktap_result (*case_fn)(struct ctx *c, char *skip, size_t skip_len);

/* ---- helpers --------------------------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int query_info(struct ctx *c)
{
	return panthor_query(c->fd, PROTM_DEV_QUERY_PROTM_INFO, &c->info, sizeof(c->info));
}

struct protm_stats {
	long long active, entries, exits, forced_exits, time_us;
};

/* Panthor's debugfs protm_stats (mounting debugfs if needed); 0 or an errno. */
static int read_stats(struct protm_stats *s)
{
	char line[128];
	glob_t g;
	FILE *f = NULL;
	size_t i;

	if (access("/sys/kernel/debug/dri", F_OK) < 0 &&
	    mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) < 0 && errno != EBUSY)
		return errno;
	if (glob("/sys/kernel/debug/dri/*/protm_stats", 0, NULL, &g))
		return ENOENT;
	for (i = 0; i < g.gl_pathc && !f; i++)
		f = fopen(g.gl_pathv[i], "re");
	globfree(&g);
	if (!f)
		return ENOENT;
	memset(s, 0, sizeof(*s));
	s->entries = -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "active: %lld", &s->active);
		sscanf(line, "entries: %lld", &s->entries);
		sscanf(line, "exits: %lld", &s->exits);
		sscanf(line, "forced_exits: %lld", &s->forced_exits);
		sscanf(line, "time_us: %lld", &s->time_us);
	}
	fclose(f);
	return s->entries < 0 ? EPROTO : 0;
}

/* Waits up to `ms` for the GPU to be out of protected mode; 0 or an errno. */
static int wait_protm_inactive(struct protm_stats *s, int ms)
{
	uint64_t end = now_ms() + ms;
	int rc;

	do {
		rc = read_stats(s);
		if (rc || !s->active)
			return rc;
		usleep(2000);
	} while (now_ms() < end);
	return ETIMEDOUT;
}

static int bo_create(struct ctx *c, uint32_t vm_id, uint64_t size, uint32_t *handle)
{
	struct drm_panthor_bo_create bo = { .size = size, .exclusive_vm_id = vm_id };
	int rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_BO_CREATE, &bo);

	if (!rc)
		*handle = bo.handle;
	return rc;
}

static int bo_mmap(struct ctx *c, uint32_t handle, uint64_t size, void **map)
{
	struct drm_panthor_bo_mmap_offset off = { .handle = handle };
	int rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_BO_MMAP_OFFSET, &off);

	if (rc)
		return rc;
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, (off_t)off.offset);
	return *map == MAP_FAILED ? errno : 0;
}

static int vm_map(int fd, uint32_t vm_id, uint32_t handle, uint64_t va, uint64_t size, uint32_t flags)
{
	struct drm_panthor_vm_bind_op op = {
		.flags = DRM_PANTHOR_VM_BIND_OP_TYPE_MAP | flags,
		.bo_handle = handle,
		.va = va,
		.size = size,
	};
	struct drm_panthor_vm_bind b = { .vm_id = vm_id, .ops = DRM_PANTHOR_OBJ_ARRAY(1, &op) };

	return xioctl(fd, DRM_IOCTL_PANTHOR_VM_BIND, &b);
}

static int import_fd(int fd, int buf_fd, uint32_t *handle)
{
	struct drm_prime_handle p = { .fd = buf_fd };
	int rc = xioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &p);

	if (!rc)
		*handle = p.handle;
	return rc;
}

static int group_create_fd(int fd, const struct drm_panthor_gpu_info *gpu, uint32_t vm_id, bool protected,
			   int suspend_fd, uint8_t priority, uint32_t *handle)
{
	struct drm_panthor_queue_create queue = { .priority = 0, .ringbuf_size = 16384 };
	struct protm_group_create g = {
		.queues = DRM_PANTHOR_OBJ_ARRAY(1, &queue),
		.max_compute_cores = 1,
		.max_fragment_cores = 1,
		.max_tiler_cores = 1,
		.priority = priority,
		.flags = protected ? PROTM_GROUP_CREATE_PROTECTED : 0,
		.compute_core_mask = gpu->shader_present,
		.fragment_core_mask = gpu->shader_present,
		.tiler_core_mask = gpu->tiler_present,
		.vm_id = vm_id,
		.protm_suspend_buf_fd = protected ? suspend_fd : 0,
	};
	int rc = xioctl(fd, PROTM_IOCTL_GROUP_CREATE, &g);

	if (!rc)
		*handle = g.group_handle;
	return rc;
}

static void group_destroy_fd(int fd, uint32_t handle)
{
	struct drm_panthor_group_destroy d = { .group_handle = handle };

	if (handle)
		xioctl(fd, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &d);
}

static int group_state(struct ctx *c, uint32_t group, uint32_t *state)
{
	struct drm_panthor_group_get_state gs = { .group_handle = group };
	int rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_GROUP_GET_STATE, &gs);

	*state = gs.state;
	return rc;
}

static void env_destroy(struct ctx *c, struct env *e)
{
	struct drm_syncobj_destroy sd = { .handle = e->syncobj };
	struct drm_panthor_vm_destroy vd = { .id = e->vm_id };

	if (e->syncobj)
		xioctl(c->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &sd);
	group_destroy_fd(c->fd, e->group);
	if (e->stream)
		munmap(e->stream, STREAM_SIZE);
	if (e->data)
		munmap((void *)e->data, DATA_SIZE);
	panthor_gem_close(c->fd, e->stream_bo);
	panthor_gem_close(c->fd, e->data_bo);
	panthor_gem_close(c->fd, e->prot_bo);
	if (e->vm_id)
		xioctl(c->fd, DRM_IOCTL_PANTHOR_VM_DESTROY, &vd);
	close_fd(&e->prot_shm);
	close_fd(&e->prot_buf);
	close_fd(&e->suspend_buf);
	memset(e, 0, sizeof(*e));
	e->prot_buf = e->prot_shm = e->suspend_buf = -1;
}

/*
 * A VM with a stream BO and a data BO, a protected buffer (filled by the TA
 * with SEED_FILL, imported and bound at PROT_VA) when `with_prot`, and one
 * group, protected or not. Returns 0 or an errno, `what` naming the step.
 */
static int env_create(struct ctx *c, struct env *e, bool protected, bool with_prot, uint8_t priority,
		      const char **what)
{
	struct drm_panthor_vm_create vm = { 0 };
	struct drm_syncobj_create sc = { 0 };
	void *map;
	int rc;

	memset(e, 0, sizeof(*e));
	e->prot_buf = e->prot_shm = e->suspend_buf = -1;
	e->protected_group = protected;
	*what = "VM_CREATE";
	rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_VM_CREATE, &vm);
	if (rc)
		return rc;
	e->vm_id = vm.id;
	*what = "BO_CREATE";
	rc = bo_create(c, e->vm_id, STREAM_SIZE, &e->stream_bo);
	if (!rc)
		rc = bo_create(c, e->vm_id, DATA_SIZE, &e->data_bo);
	if (rc)
		return rc;
	*what = "mmap";
	rc = bo_mmap(c, e->stream_bo, STREAM_SIZE, &map);
	if (rc)
		return rc;
	e->stream = map;
	rc = bo_mmap(c, e->data_bo, DATA_SIZE, &map);
	if (rc)
		return rc;
	e->data = map;
	memset((void *)e->data, 0, DATA_SIZE);
	*what = "VM_BIND";
	rc = vm_map(c->fd, e->vm_id, e->stream_bo, STREAM_VA, STREAM_SIZE, 0);
	if (!rc)
		rc = vm_map(c->fd, e->vm_id, e->data_bo, DATA_VA, DATA_SIZE, 0);
	if (rc)
		return rc;
	if (with_prot) {
		*what = "protected buffer allocation";
		rc = heap_alloc(c->heap_path, PROT_SIZE, &e->prot_buf);
		if (rc)
			return rc;
		*what = "TEE_IOC_SHM_REGISTER_FD";
		e->prot_shm = verify_ta_register(&c->ta, e->prot_buf, &e->prot_shm_id);
		if (e->prot_shm < 0)
			return -e->prot_shm;
		*what = "TA FILL";
		if (!verify_ta_fill(&c->ta, e->prot_shm_id, PROT_SIZE, SEED_FILL))
			return EIO;
		*what = "import of the protected buffer";
		rc = import_fd(c->fd, e->prot_buf, &e->prot_bo);
		if (rc)
			return rc;
		*what = "VM_BIND of the protected buffer (MAP_PROTECTED)";
		rc = vm_map(c->fd, e->vm_id, e->prot_bo, PROT_VA, PROT_SIZE, PROTM_VM_BIND_OP_MAP_PROTECTED);
		if (rc)
			return rc;
	}
	if (protected) {
		*what = "protected suspend buffer allocation";
		rc = heap_alloc(c->heap_path, c->info.group_suspend_buf_size, &e->suspend_buf);
		if (rc)
			return rc;
	}
	*what = protected ? "GROUP_CREATE (protected)" : "GROUP_CREATE";
	rc = group_create_fd(c->fd, &c->gpu, e->vm_id, protected, e->suspend_buf, priority, &e->group);
	if (rc)
		return rc;
	*what = "SYNCOBJ_CREATE";
	rc = xioctl(c->fd, DRM_IOCTL_SYNCOBJ_CREATE, &sc);
	e->syncobj = sc.handle;
	return rc;
}

/*
 * Queues `jobs` jobs, each running the `n` instructions at the start of the
 * stream BO (written there first); the last one signals the env's syncobj.
 */
static int submit_n(struct ctx *c, struct env *e, const uint64_t *insns, uint32_t n, uint32_t jobs)
{
	struct drm_panthor_sync_op sync = {
		.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
		.handle = e->syncobj,
	};
	struct drm_panthor_queue_submit qs[BATCH_JOBS];
	struct drm_panthor_group_submit gs = {
		.group_handle = e->group,
		.queue_submits = DRM_PANTHOR_OBJ_ARRAY(jobs, qs),
	};
	uint32_t i;

	if (jobs > BATCH_JOBS || (uint64_t)n * 8 > STREAM_SIZE)
		return EINVAL;
	memset(qs, 0, sizeof(qs));
	for (i = 0; i < jobs; i++) {
		qs[i].queue_index = 0;
		qs[i].stream_size = n * 8;
		qs[i].stream_addr = STREAM_VA;
		if (i == jobs - 1)
			qs[i].syncs = (struct drm_panthor_obj_array)DRM_PANTHOR_OBJ_ARRAY(1, &sync);
	}
	if (insns != e->stream)
		memcpy(e->stream, insns, n * sizeof(*insns));
	__sync_synchronize();
	return xioctl(c->fd, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &gs);
}

static int wait_syncobj(struct ctx *c, uint32_t syncobj, int timeout_ms)
{
	struct timespec now;
	struct drm_syncobj_wait w = {
		.handles = (uintptr_t)&syncobj,
		.count_handles = 1,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
	};

	clock_gettime(CLOCK_MONOTONIC, &now);
	w.timeout_nsec = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec + (int64_t)timeout_ms * 1000000;
	return xioctl(c->fd, DRM_IOCTL_SYNCOBJ_WAIT, &w);
}

static int reset_syncobj(struct ctx *c, uint32_t syncobj)
{
	struct drm_syncobj_array a = { .handles = (uintptr_t)&syncobj, .count_handles = 1 };

	return xioctl(c->fd, DRM_IOCTL_SYNCOBJ_RESET, &a);
}

/*
 * The pattern-writing stream: PROT_REGION over stores that write the TA's
 * pattern for SEED_GPU over the whole protected buffer, 64 bytes (16
 * registers) at a time. Returns the number of instructions written to `s`.
 */
static uint32_t pattern_stream(uint64_t *s, bool prot_region)
{
	uint32_t n = 0, chunk, r;

	if (prot_region)
		s[n++] = 0; /* patched below */
	s[n++] = CS_MOVE48(0, PROT_VA);
	for (chunk = 0; chunk < PROT_SIZE / 64; chunk++) {
		for (r = 0; r < 16; r++) {
			uint64_t off = chunk * 64 + r * 4;
			uint32_t word = (uint32_t)(protm_verify_pattern_word(SEED_GPU, off / 8) >> (8 * (off % 8)));

			s[n++] = CS_MOVE32(2 + r, word);
		}
		s[n++] = CS_STORE(2, 0, 0xffffu, chunk * 64);
	}
	if (prot_region)
		s[0] = CS_PROT_REGION(n - 1);
	return n;
}

/*
 * A spin of `iters` iterations (endless if `endless`) inside a protected
 * region. A region counts the instructions at its own call depth, so the
 * loop lives in a buffer the region calls (at SPIN_OFFSET in the stream BO):
 * everything it runs is protected. Writes both parts into the stream BO
 * `s`; returns the number of instructions to submit.
 */
#define SPIN_OFFSET 0x800
static uint32_t spin_stream(uint64_t *s, uint32_t iters, bool endless)
{
	uint64_t *sub = s + SPIN_OFFSET / 8;
	uint32_t n = 0, m = 0;

	if (endless) {
		sub[m++] = CS_BRANCH(CS_COND_ALWAYS, 0, -1);
	} else {
		sub[m++] = CS_MOVE32(20, iters);
		sub[m++] = CS_ADD32(20, 20, -1);
		sub[m++] = CS_BRANCH(CS_COND_NEQUAL, 20, -2);
	}
	s[n++] = CS_PROT_REGION(3);
	s[n++] = CS_MOVE48(30, STREAM_VA + SPIN_OFFSET);
	s[n++] = CS_MOVE32(32, m * 8);
	s[n++] = CS_CALL(30, 32);
	return n;
}

/* A normal job: store a marker into the data BO. */
static uint32_t marker_stream(uint64_t *s, uint32_t marker)
{
	uint32_t n = 0;

	s[n++] = CS_MOVE48(0, DATA_VA);
	s[n++] = CS_MOVE32(2, marker);
	s[n++] = CS_STORE(2, 0, 0x1, 0x40);
	return n;
}

/* Runs a normal marker job on `e` and checks it landed; 0 or an errno. */
static int run_marker(struct ctx *c, struct env *e, uint32_t marker, int timeout_ms)
{
	uint64_t insns[8];
	uint32_t n = marker_stream(insns, marker);
	int rc;

	e->data[0x10] = 0;
	reset_syncobj(c, e->syncobj);
	rc = submit_n(c, e, insns, n, 1);
	if (rc)
		return rc;
	rc = wait_syncobj(c, e->syncobj, timeout_ms);
	if (rc)
		return rc;
	__sync_synchronize();
	return e->data[0x10] == marker ? 0 : EPROTO;
}

/* TA: does the protected buffer hold the GPU's pattern? Diagnoses; true on a match. */
static bool prot_holds(struct ctx *c, struct env *e, uint32_t seed, const char *what)
{
	uint64_t offset = 0;
	bool match = false;

	if (!verify_ta_compare(&c->ta, e->prot_shm_id, PROT_SIZE, seed, &match, &offset))
		return false;
	if (!match)
		ktap_diag("%s: the TA finds the buffer differs from pattern 0x%08x at offset %" PRIu64, what, seed,
			  offset);
	return match;
}

/* Protected group runs the pattern job, TA-verified; `when` prefixes diagnostics. */
static enum ktap_result protected_pattern_job(struct ctx *c, const char *when)
{
	enum ktap_result res = KTAP_PASS;
	uint8_t want[SHA256_DIGEST_SIZE], got[SHA256_DIGEST_SIZE];
	char hw[65], hg[65];
	struct protm_stats before, after;
	uint32_t n, state = 0;
	const char *what;
	struct env e;
	int rc, stats_rc;

	rc = env_create(c, &e, true, true, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "%s%s: %s", when, what, strerror(rc));
	stats_rc = read_stats(&before);
	n = pattern_stream(e.stream, true);
	rc = submit_n(c, &e, e.stream, n, 1);
	EXPECT(rc == 0, "%sGROUP_SUBMIT: %s", when, strerror(rc));
	rc = wait_syncobj(c, e.syncobj, JOB_WAIT_MS);
	EXPECT(rc == 0, "%sthe protected job did not complete: %s", when, strerror(rc));
	rc = group_state(c, e.group, &state);
	EXPECT(rc == 0 && state == 0, "%sthe protected group is in state 0x%x after its job", when, state);
	EXPECT(verify_ta_hash(&c->ta, e.prot_shm_id, PROT_SIZE, got), "%sthe TA could not hash the buffer", when);
	verify_pattern_digest(SEED_GPU, PROT_SIZE, want);
	sha256_hex(want, hw);
	sha256_hex(got, hg);
	ktap_diag("%ssha256 by the TA %s", when, hg);
	EXPECT(!memcmp(want, got, sizeof(want)), "%sexpected sha256 %s (the GPU's pattern)", when, hw);
	if (!stats_rc)
		stats_rc = read_stats(&after);
	EXPECT(stats_rc == 0, "no protm_stats in debugfs: %s", strerror(stats_rc));
	ktap_diag("%s%lld entr%s into protected mode", when, after.entries - before.entries,
		  after.entries - before.entries == 1 ? "y" : "ies");
	EXPECT(after.entries > before.entries, "%sprotected mode was never entered (entries %lld)", when,
	       after.entries);
out:
	env_destroy(c, &e);
	return res;
}

/* Every case needs these: without them it fails (a GPU was expected), never skips. */
#define NEED_READY()                                                                  \
	do {                                                                          \
		(void)skip, (void)skip_len;                                           \
		if (!c->ready) {                                                      \
			ktap_diag("protected mode is not set up (see protm_setup_ready)"); \
			return KTAP_FAIL;                                             \
		}                                                                     \
		if (!c->ta_ok) {                                                      \
			ktap_diag("no session with the TA");                          \
			return KTAP_FAIL;                                             \
		}                                                                     \
	} while (0)

/* ---- cases ---------------------------------------------------------------------- */

/* Protected mode available and set up (by us when not yet). */
static enum ktap_result case_setup(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct protm_setup s = { .fw_buf_fd = -1 };
	int rc;

	(void)skip, (void)skip_len;
	EXPECT(c->minor >= PROTM_DRV_MINOR, "panthor 1.%d predates the protected-mode uAPI", c->minor);
	rc = query_info(c);
	EXPECT(rc == 0, "PROTM_INFO query: %s", strerror(rc));
	EXPECT(c->info.flags & PROTM_INFO_AVAILABLE, "protected mode not available (flags 0x%x)", c->info.flags);
	if (!(c->info.flags & PROTM_INFO_READY)) {
		rc = heap_alloc(c->heap_path, c->info.fw_buf_size, &c->setup_buf);
		EXPECT(rc == 0, "allocating %" PRIu64 " bytes from %s: %s", (uint64_t)c->info.fw_buf_size,
		       c->heap_path, strerror(rc));
		s.fw_buf_fd = c->setup_buf;
		rc = xioctl(c->fd, PROTM_IOCTL_SETUP, &s);
		EXPECT(rc == 0, "PROTM_SETUP: %s", strerror(rc));
		rc = query_info(c);
		EXPECT(rc == 0 && (c->info.flags & PROTM_INFO_READY), "not READY after setup (flags 0x%x)",
		       c->info.flags);
		ktap_diag("set up with %" PRIu64 " KiB from %s", (uint64_t)c->info.fw_buf_size / 1024, c->heap);
	} else {
		ktap_diag("protected mode was already set up");
	}
	c->ready = true;
	EXPECT(c->ta_ok, "no session with the TA");
out:
	return res;
}

/* The GPU's pattern reaches the protected buffer; the TA's hash says so. */
static enum ktap_result case_protected_job(struct ctx *c, char *skip, size_t skip_len)
{
	NEED_READY();
	return protected_pattern_job(c, "");
}

/*
 * The same job from a normal group: its PROT_REGION must fail the queue
 * (the kernel says why), protected mode is not entered, and the buffer
 * still holds the TA's fill.
 */
static enum ktap_result case_normal_prot_region(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct protm_stats before, after;
	const char *msg = "CS_PROTM_PENDING denied";
	uint32_t n, state = 0;
	int log_before, stats_rc;
	const char *what;
	struct env e;
	int rc;

	NEED_READY();
	rc = env_create(c, &e, false, true, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "%s: %s", what, strerror(rc));
	stats_rc = read_stats(&before);
	log_before = klog_count(msg);
	n = pattern_stream(e.stream, true);
	rc = submit_n(c, &e, e.stream, n, 1);
	EXPECT(rc == 0, "GROUP_SUBMIT: %s", strerror(rc));
	rc = wait_syncobj(c, e.syncobj, JOB_WAIT_MS);
	EXPECT(rc == 0, "the refused job never completed (within %d s): %s", JOB_WAIT_MS / 1000, strerror(rc));
	rc = group_state(c, e.group, &state);
	EXPECT(rc == 0 && (state & DRM_PANTHOR_GROUP_STATE_FATAL_FAULT),
	       "the normal group is in state 0x%x, expected a fatal fault", state);
	EXPECT(!(state & DRM_PANTHOR_GROUP_STATE_TIMEDOUT), "the job timed out instead of being refused");
	EXPECT(klog_count(msg) > log_before, "the kernel log has no \"%s\"", msg);
	EXPECT(prot_holds(c, &e, SEED_FILL, "after the refused job"), "the protected buffer was written");
	if (!stats_rc)
		stats_rc = read_stats(&after);
	EXPECT(stats_rc == 0, "no protm_stats in debugfs: %s", strerror(stats_rc));
	EXPECT(after.entries == before.entries, "protected mode was entered for a normal group");
out:
	env_destroy(c, &e);
	return res;
}

/*
 * A normal group that loads the protected buffer into its own data BO
 * (no PROT_REGION): the access faults and the data BO holds none of the
 * TA's fill.
 */
static enum ktap_result case_normal_load(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	uint64_t insns[PROT_SIZE / 64 * 2 + 8];
	uint32_t n = 0, chunk, i, state = 0, leaked = 0;
	const char *what;
	struct env e;
	int rc;

	NEED_READY();
	rc = env_create(c, &e, false, true, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "%s: %s", what, strerror(rc));
	insns[n++] = CS_MOVE48(0, PROT_VA);
	insns[n++] = CS_MOVE48(22, DATA_VA);
	for (chunk = 0; chunk < PROT_SIZE / 64; chunk++) {
		insns[n++] = CS_LOAD(2, 0, 0xffffu, chunk * 64);
		insns[n++] = CS_STORE(2, 22, 0xffffu, chunk * 64);
	}
	rc = submit_n(c, &e, insns, n, 1);
	EXPECT(rc == 0, "GROUP_SUBMIT: %s", strerror(rc));
	rc = wait_syncobj(c, e.syncobj, JOB_WAIT_MS);
	EXPECT(rc == 0, "the job never completed: %s", strerror(rc));
	__sync_synchronize();
	for (i = 0; i < DATA_SIZE / 4; i++) {
		uint64_t off = (uint64_t)i * 4;
		uint32_t word = (uint32_t)(protm_verify_pattern_word(SEED_FILL, off / 8) >> (8 * (off % 8)));

		if (e.data[i] == word)
			leaked += 4;
	}
	ktap_diag("%u of %llu bytes of the protected buffer reached the normal BO", leaked,
		  (unsigned long long)PROT_SIZE);
	EXPECT(leaked == 0, "protected contents were copied into normal memory");
	rc = group_state(c, e.group, &state);
	EXPECT(rc == 0 && (state & DRM_PANTHOR_GROUP_STATE_FATAL_FAULT),
	       "the group is in state 0x%x: the load did not fault", state);
out:
	env_destroy(c, &e);
	return res;
}

/* N protected jobs in one submission: one entry, one exit. */
static enum ktap_result case_batch(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct protm_stats before, after;
	uint32_t n, state = 0;
	const char *what;
	struct env e;
	int rc;

	NEED_READY();
	rc = env_create(c, &e, true, true, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "%s: %s", what, strerror(rc));
	rc = wait_protm_inactive(&before, 2000);
	EXPECT(rc == 0, "protm_stats: %s", strerror(rc));
	n = pattern_stream(e.stream, true);
	rc = submit_n(c, &e, e.stream, n, BATCH_JOBS);
	EXPECT(rc == 0, "GROUP_SUBMIT of %d jobs: %s", BATCH_JOBS, strerror(rc));
	rc = wait_syncobj(c, e.syncobj, JOB_WAIT_MS);
	EXPECT(rc == 0, "the batch did not complete: %s", strerror(rc));
	rc = group_state(c, e.group, &state);
	EXPECT(rc == 0 && state == 0, "the protected group is in state 0x%x", state);
	rc = wait_protm_inactive(&after, 2000);
	EXPECT(rc == 0, "protected mode still active 2 s after the batch: %s", strerror(rc));
	ktap_diag("%d protected jobs: %lld entr%s, %lld exit(s) (%lld forced), %lld us in protected mode",
		  BATCH_JOBS, after.entries - before.entries, after.entries - before.entries == 1 ? "y" : "ies",
		  after.exits - before.exits, after.forced_exits - before.forced_exits,
		  after.time_us - before.time_us);
	EXPECT(after.entries - before.entries == 1, "expected exactly 1 entry");
	EXPECT(after.exits - before.exits == 1, "expected exactly 1 exit");
	EXPECT(prot_holds(c, &e, SEED_GPU, "after the batch"), "the protected buffer lacks the GPU's pattern");
out:
	env_destroy(c, &e);
	return res;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * A protected group runs back-to-back protected spins (a child process
 * keeps it busy) while this process runs normal jobs one after the other:
 * each must complete within FAIRNESS_BOUND_MS, and the kernel must have
 * made protected mode give way (forced exits).
 */
static enum ktap_result case_fairness(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	uint64_t lat[FAIRNESS_SAMPLES], t0, spin_ms;
	struct protm_stats before, after;
	struct env p, nrm;
	uint32_t n, i, state = 0;
	const char *what;
	pid_t pid = -1;
	int rc, status;

	memset(&p, 0, sizeof(p));
	memset(&nrm, 0, sizeof(nrm));
	p.prot_buf = p.prot_shm = p.suspend_buf = nrm.prot_buf = nrm.prot_shm = nrm.suspend_buf = -1;
	NEED_READY();
	rc = env_create(c, &p, true, false, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "protected env, %s: %s", what, strerror(rc));
	rc = env_create(c, &nrm, false, false, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "normal env, %s: %s", what, strerror(rc));
	/* Calibrate one protected spin. */
	n = spin_stream(p.stream, SPIN_ITERS, false);
	t0 = now_ms();
	rc = submit_n(c, &p, p.stream, n, 1);
	EXPECT(rc == 0, "GROUP_SUBMIT: %s", strerror(rc));
	rc = wait_syncobj(c, p.syncobj, JOB_WAIT_MS);
	EXPECT(rc == 0, "a protected spin did not complete: %s", strerror(rc));
	spin_ms = now_ms() - t0;
	ktap_diag("one protected spin (%d iterations) takes %" PRIu64 " ms", SPIN_ITERS, spin_ms);
	rc = read_stats(&before);
	EXPECT(rc == 0, "protm_stats: %s", strerror(rc));

	pid = fork();
	EXPECT(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* Keep the protected group busy for ~3 s, two batches in flight. */
		uint64_t end = now_ms() + 3000;

		while (now_ms() < end) {
			if (submit_n(c, &p, p.stream, n, BATCH_JOBS))
				_exit(1);
			if (wait_syncobj(c, p.syncobj, JOB_WAIT_MS))
				_exit(2);
		}
		_exit(0);
	}
	usleep(200 * 1000);
	for (i = 0; i < FAIRNESS_SAMPLES; i++) {
		t0 = now_ms();
		rc = run_marker(c, &nrm, 0x1000 + i, JOB_WAIT_MS);
		lat[i] = now_ms() - t0;
		EXPECT(rc == 0, "normal job %u: %s", i, strerror(rc));
		usleep(50 * 1000);
	}
	rc = read_stats(&after);
	EXPECT(rc == 0, "protm_stats: %s", strerror(rc));
	waitpid(pid, &status, 0);
	pid = -1;
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the protected submitter failed (status 0x%x)",
	       status);
	qsort(lat, FAIRNESS_SAMPLES, sizeof(lat[0]), cmp_u64);
	ktap_diag("normal job latency with protected work running: median %" PRIu64 " ms, max %" PRIu64
		  " ms (bound %d ms); %lld entries, %lld forced exits, %lld ms in protected mode",
		  lat[FAIRNESS_SAMPLES / 2], lat[FAIRNESS_SAMPLES - 1], FAIRNESS_BOUND_MS,
		  after.entries - before.entries, after.forced_exits - before.forced_exits,
		  (after.time_us - before.time_us) / 1000);
	EXPECT(after.entries > before.entries, "protected mode was not entered while the protected group ran");
	EXPECT(after.forced_exits > before.forced_exits,
	       "protected mode never had to give way: the protected work did not compete");
	EXPECT(lat[FAIRNESS_SAMPLES - 1] <= FAIRNESS_BOUND_MS, "a normal job waited %" PRIu64 " ms",
	       lat[FAIRNESS_SAMPLES - 1]);
	rc = group_state(c, nrm.group, &state);
	EXPECT(rc == 0 && state == 0, "the normal group is in state 0x%x", state);
	rc = group_state(c, p.group, &state);
	EXPECT(rc == 0 && state == 0, "the protected group is in state 0x%x", state);
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	env_destroy(c, &p);
	env_destroy(c, &nrm);
	return res;
}

/*
 * A protected job that hangs (`fault` false: an endless protected loop) or
 * faults (a protected store to an unmapped address). A normal group's job
 * queued before it and one queued after both complete; only the protected
 * group is blamed; then a new protected group's job runs.
 */
static enum ktap_result protected_failure(struct ctx *c, bool fault)
{
	enum ktap_result res = KTAP_PASS;
	/* A hang is caught by the job timeout, or by the exit that times out. */
	const char *msg = fault ? "GPU fault in protected mode" : "job timeout";
	const char *msg2 = fault ? msg : "Protected mode exit timed out";
	uint64_t insns[8], t0, took;
	uint32_t n = 0, state = 0;
	struct protm_stats sbefore, safter;
	struct env p, nrm;
	const char *what;
	int rc, log_before, log2_before;

	memset(&p, 0, sizeof(p));
	memset(&nrm, 0, sizeof(nrm));
	p.prot_buf = p.prot_shm = p.suspend_buf = nrm.prot_buf = nrm.prot_shm = nrm.suspend_buf = -1;
	rc = env_create(c, &p, true, false, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "protected env, %s: %s", what, strerror(rc));
	rc = env_create(c, &nrm, false, false, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "normal env, %s: %s", what, strerror(rc));
	rc = run_marker(c, &nrm, 0xbef0, JOB_WAIT_MS);
	EXPECT(rc == 0, "the normal job before: %s", strerror(rc));
	if (fault) {
		insns[n++] = CS_PROT_REGION(3);
		insns[n++] = CS_MOVE48(0, UNMAPPED_VA);
		insns[n++] = CS_MOVE32(2, 0xdead);
		insns[n++] = CS_STORE(2, 0, 0x1, 0);
	} else {
		n = spin_stream(p.stream, 0, true);
	}
	rc = read_stats(&sbefore);
	EXPECT(rc == 0, "no protm_stats in debugfs: %s", strerror(rc));
	log_before = klog_count(msg);
	log2_before = klog_count(msg2);
	if (fault)
		c->reset_log_before_fault = klog_count("resetting the GPU");
	t0 = now_ms();
	rc = submit_n(c, &p, fault ? insns : p.stream, n, 1);
	EXPECT(rc == 0, "GROUP_SUBMIT: %s", strerror(rc));
	/* The normal job queued while the protected one is stuck must still complete. */
	rc = run_marker(c, &nrm, 0xbef1, TIMEOUT_WAIT_MS);
	EXPECT(rc == 0, "the normal job queued during the protected %s: %s", fault ? "fault" : "hang",
	       strerror(rc));
	rc = wait_syncobj(c, p.syncobj, TIMEOUT_WAIT_MS);
	took = now_ms() - t0;
	EXPECT(rc == 0, "the protected job was not stopped within %d s: %s", TIMEOUT_WAIT_MS / 1000, strerror(rc));
	ktap_diag("the protected %s was dealt with %" PRIu64 " ms after submission%s", fault ? "fault" : "hang",
		  took, fault ? "" : " (5 s of it Panthor's job timeout)");
	EXPECT(klog_count(msg) > log_before || klog_count(msg2) > log2_before,
	       "the kernel log has no \"%s\" nor \"%s\"", msg, msg2);
	rc = group_state(c, p.group, &state);
	EXPECT(rc == 0 && (state & (DRM_PANTHOR_GROUP_STATE_FATAL_FAULT | DRM_PANTHOR_GROUP_STATE_TIMEDOUT)),
	       "the protected group is in state 0x%x: not blamed", state);
	rc = group_state(c, nrm.group, &state);
	EXPECT(rc == 0 && state == 0, "the normal group is in state 0x%x: blamed too", state);
	rc = read_stats(&safter);
	EXPECT(rc == 0 && safter.entries > sbefore.entries,
	       "protected mode was never entered: the %s did not happen in protected mode", fault ? "fault" : "hang");
	if (!fault)
		EXPECT(took <= 5000 + 2000 + 1000, "recovery took %" PRIu64 " ms, more than the 5 s job timeout + 2 s",
		       took);
	rc = run_marker(c, &nrm, 0xbef2, JOB_WAIT_MS);
	EXPECT(rc == 0, "the normal job after: %s", strerror(rc));
	if (fault)
		c->fault_case_ran = true;
out:
	env_destroy(c, &p);
	env_destroy(c, &nrm);
	return res;
}

static enum ktap_result case_hang(struct ctx *c, char *skip, size_t skip_len)
{
	NEED_READY();
	return protected_failure(c, false);
}

static enum ktap_result case_fault(struct ctx *c, char *skip, size_t skip_len)
{
	NEED_READY();
	return protected_failure(c, true);
}

/* After the fault case's reset, protected work runs again. */
static enum ktap_result case_after_reset(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;

	NEED_READY();
	EXPECT(c->fault_case_ran, "the fault case did not complete, so no reset to run after");
	EXPECT(klog_count("resetting the GPU") > c->reset_log_before_fault,
	       "the kernel log shows no GPU reset after the protected fault");
	res = protected_pattern_job(c, "after a reset, ");
out:
	return res;
}

/* The GPU's runtime PM state from sysfs. */
static int runtime_status(struct ctx *c, char *out, size_t len)
{
	char dev[128], path[160];
	FILE *f;
	int rc = panthor_sysfs_device(c->dri_path, dev, sizeof(dev));

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

static enum ktap_result case_after_runtime_suspend(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	char state[32] = "";
	int i, rc;

	NEED_READY();
	for (i = 0; i < 200; i++) {
		rc = runtime_status(c, state, sizeof(state));
		EXPECT(rc == 0, "no runtime PM status for %s: %s", c->dri_path, strerror(rc));
		if (!strcmp(state, "suspended"))
			break;
		usleep(50 * 1000);
	}
	EXPECT(!strcmp(state, "suspended"), "the GPU did not runtime-suspend within 10 s (state %s)", state);
	res = protected_pattern_job(c, "after a runtime suspend/resume, ");
out:
	return res;
}

/* What a second process may do with buffers Panthor owns; run in a child. */
static int ownership_child(struct ctx *c, int setup_fd, int suspend_fd, int fresh_fd, bool drop)
{
	char path[64];
	uint32_t handle = 0, group = 0;
	int fd, minor, rc;
	struct drm_panthor_vm_create vm = { 0 };

	/* Opened first: an unprivileged process gets the render node fd handed over. */
	fd = panthor_open(c->dri, path, sizeof(path), &minor);
	if (fd < 0)
		return 11;
	if (drop && (setgid(65534) || setuid(65534)))
		return 10;
	/* Control: an ordinary protected buffer imports fine. */
	rc = import_fd(fd, fresh_fd, &handle);
	if (rc)
		return 12;
	panthor_gem_close(fd, handle);
	if (setup_fd >= 0 && import_fd(fd, setup_fd, &handle) == 0)
		return 13;
	if (import_fd(fd, suspend_fd, &handle) == 0)
		return 14;
	if (xioctl(fd, DRM_IOCTL_PANTHOR_VM_CREATE, &vm))
		return 15;
	rc = group_create_fd(fd, &c->gpu, vm.id, true, suspend_fd, PANTHOR_GROUP_PRIORITY_MEDIUM, &group);
	if (rc == 0)
		return 16;
	if (setup_fd >= 0) {
		rc = group_create_fd(fd, &c->gpu, vm.id, true, setup_fd, PANTHOR_GROUP_PRIORITY_MEDIUM, &group);
		if (rc == 0)
			return 17;
	}
	close(fd);
	return 0;
}

static const char *const ownership_failures[] = {
	[10] = "could not drop to uid 65534",
	[11] = "could not open the render node",
	[12] = "could not import an ordinary protected buffer (control)",
	[13] = "imported the buffer backing the firmware's protected sections",
	[14] = "imported a live group's protected suspend buffer",
	[15] = "VM_CREATE failed",
	[16] = "reused a live group's protected suspend buffer for a new group",
	[17] = "used the firmware's protected buffer as a group's suspend buffer",
};

static enum ktap_result case_ownership(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int fresh = -1, pass, rc;
	const char *what;
	struct env p;

	memset(&p, 0, sizeof(p));
	p.prot_buf = p.prot_shm = p.suspend_buf = -1;
	NEED_READY();
	if (c->setup_buf < 0)
		ktap_diag("protected mode was set up by someone else: the setup buffer is not tried");
	rc = env_create(c, &p, true, false, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "%s: %s", what, strerror(rc));
	rc = heap_alloc(c->heap_path, c->info.group_suspend_buf_size, &fresh);
	EXPECT(rc == 0, "protected allocation: %s", strerror(rc));
	for (pass = 0; pass < 2; pass++) {
		int status;
		pid_t pid = fork();

		EXPECT(pid >= 0, "fork: %s", strerror(errno));
		if (pid == 0)
			_exit(ownership_child(c, c->setup_buf, p.suspend_buf, fresh, pass == 1));
		waitpid(pid, &status, 0);
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 99;
		EXPECT(rc == 0, "a second process%s %s", pass ? " running as uid 65534" : "",
		       rc < (int)(sizeof(ownership_failures) / sizeof(ownership_failures[0])) &&
				       ownership_failures[rc] ? ownership_failures[rc] : "crashed");
	}
	ktap_diag("the setup buffer and a group's suspend buffer are refused to a second process, root or not");
out:
	close_fd(&fresh);
	env_destroy(c, &p);
	return res;
}

/* ---- main ------------------------------------------------------------------------- */

static const struct {
	const char *name;
	case_fn fn;
} cases[] = {
	{ "protm_setup_ready", case_setup },
	{ "protected_job_writes_protected_buffer", case_protected_job },
	{ "normal_group_prot_region_refused", case_normal_prot_region },
	{ "normal_group_load_faults_copies_nothing", case_normal_load },
	{ "batch_one_entry_one_exit", case_batch },
	{ "normal_group_progresses_during_protected_work", case_fairness },
	{ "protected_hang_blames_only_protected_group", case_hang },
	{ "protected_fault_blames_only_protected_group", case_fault },
	{ "protected_work_after_reset", case_after_reset },
	{ "protected_work_after_runtime_suspend", case_after_runtime_suspend },
	{ "protected_buffers_owned_exclusively", case_ownership },
};

#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

static void usage(FILE *f)
{
	fprintf(f, "usage: protm-protected-mode [--heap NAME] [--dri DEV] [--tee DEV]\n");
}

int main(int argc, char **argv)
{
	struct ctx c = { .heap = "protected,secure-video", .tee = "/dev/tee0", .fd = -1, .setup_buf = -1 };
	int a, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (a = 1; a < argc; a++) {
		const char *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!val) {
			usage(stderr);
			return 2;
		}
		if (!strcmp(argv[a], "--heap"))
			c.heap = val;
		else if (!strcmp(argv[a], "--dri"))
			c.dri = val;
		else if (!strcmp(argv[a], "--tee"))
			c.tee = val;
		else {
			usage(stderr);
			return 2;
		}
		a++;
	}
	snprintf(c.heap_path, sizeof(c.heap_path), "/dev/dma_heap/%s", c.heap);
	c.ta.tee_fd = -1;

	ktap_suite_begin(SUITE, NCASES);
	c.fd = panthor_open(c.dri, c.dri_path, sizeof(c.dri_path), &c.minor);
	if (c.fd < 0) {
		ktap_diag("no Panthor render node (%s)%s", c.dri ? c.dri : "/dev/dri/renderD128..191",
			  panthor_gpu_expected() ? ", but the host booted the Mali model (PROTM_EXPECT_GPU=1)" : "");
		for (i = 0; i < NCASES; i++)
			ktap_case(panthor_missing_result(), cases[i].name, NO_DEVICE);
		return ktap_suite_end();
	}
	panthor_query(c.fd, DRM_PANTHOR_DEV_QUERY_GPU_INFO, &c.gpu, sizeof(c.gpu));
	panthor_query(c.fd, DRM_PANTHOR_DEV_QUERY_CSIF_INFO, &c.csif, sizeof(c.csif));
	c.ta_ok = verify_ta_open(&c.ta, c.tee) == 0;
	ktap_diag("%s: panthor 1.%d, heap %s, %u CS registers%s", c.dri_path, c.minor, c.heap_path,
		  c.csif.cs_reg_count, c.ta_ok ? "" : ", no TA session");

	for (i = 0; i < NCASES; i++) {
		char skip[200] = "";
		enum ktap_result r = cases[i].fn(&c, skip, sizeof(skip));

		ktap_case(r, cases[i].name, skip);
	}
	verify_ta_close(&c.ta);
	close_fd(&c.setup_buf);
	close_fd(&c.fd);
	return ktap_suite_end();
}
