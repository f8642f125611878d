// SPDX-License-Identifier: BSD-2-Clause
#define _GNU_SOURCE
#include "protm_job.h"
#include "cs.h"
#include "ktap.h"
#include "panthor.h"
#include "sys.h"

#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "protm_verify_ta.h"

/*
 * The gate of a gated batch: a word of the data BO the first job waits on
 * (SYNC_WAIT until it is non-zero), and beside it the word that job sets
 * when it reaches the gate. Its stream, a prologue and a copy of the
 * pattern stream, lives at GATE_STREAM_OFFSET in the stream BO; the
 * opener's, a SYNC_SET32 of the gate run by the group's second queue, at
 * GATE_OPENER_OFFSET. The GPU, not the CPU, opens it: Panthor parks a
 * group blocked on a sync object and looks at it again on a sync update
 * from the GPU, so a CPU write would leave the batch waiting until the job
 * timeout. And the same group, not another one: a normal group would be
 * normal work waiting, and would force protected mode to end mid-batch.
 */
#define GATE_OFFSET 0xf00
#define GATE_ARRIVED_OFFSET (GATE_OFFSET + 4)
#define GATE_STREAM_OFFSET 0x8000
#define GATE_OPENER_OFFSET 0xf000
#define GATE_ARRIVE_MS 10000
/*
 * Once the first job stands at the gate, the kernel's scheduler has begun
 * handing the batch to the GPU and does the rest in a loop of its own;
 * this is how long it gets (the debug kernel, under TCG, needs a few
 * milliseconds a job).
 */
#define GATE_SETTLE_MS 500
/* Registers of the gate prologue: below those the spin uses (20, 30-32) and Panthor's own */
#define GATE_REG_ADDR 24
#define GATE_REG_VAL 26
#define GATE_REG_REF 27
/* The protected spin's loop lives at this offset in the stream BO, called by its region */
#define SPIN_OFFSET 0x800

uint64_t now_ms(void)
{
	return now_us() / 1000;
}

uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int protm_query_info(struct protm_dev *d)
{
	return panthor_query(d->fd, PROTM_DEV_QUERY_PROTM_INFO, &d->info, sizeof(d->info));
}

/* GROUP_CREATE of a group with `queues` queues. */
static int group_create_queues(int fd, const struct drm_panthor_gpu_info *gpu, uint32_t vm_id, bool protected,
			       int suspend_fd, uint8_t priority, uint32_t queues, uint32_t *handle)
{
	struct drm_panthor_queue_create queue[2] = {
		{ .priority = 0, .ringbuf_size = 16384 },
		{ .priority = 0, .ringbuf_size = 16384 },
	};
	struct protm_group_create g = {
		.queues = DRM_PANTHOR_OBJ_ARRAY(queues, queue),
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
	int rc;

	if (queues < 1 || queues > 2)
		return EINVAL;
	rc = xioctl(fd, PROTM_IOCTL_GROUP_CREATE, &g);
	if (!rc)
		*handle = g.group_handle;
	return rc;
}

enum ktap_result protm_setup_case(struct protm_dev *d, int minor, const char *heap, int *setup_buf)
{
	enum ktap_result res = KTAP_PASS;
	struct protm_setup s = { .fw_buf_fd = -1 };
	int rc;

	EXPECT(minor >= PROTM_DRV_MINOR, "panthor 1.%d predates the protected-mode uAPI", minor);
	rc = protm_query_info(d);
	EXPECT(rc == 0, "PROTM_INFO query: %s", strerror(rc));
	EXPECT(d->info.flags & PROTM_INFO_AVAILABLE, "protected mode not available (flags 0x%x)", d->info.flags);
	if (!(d->info.flags & PROTM_INFO_READY)) {
		rc = heap_alloc(d->heap_path, d->info.fw_buf_size, setup_buf);
		EXPECT(rc == 0, "allocating %" PRIu64 " bytes from %s: %s", (uint64_t)d->info.fw_buf_size,
		       d->heap_path, strerror(rc));
		s.fw_buf_fd = *setup_buf;
		rc = xioctl(d->fd, PROTM_IOCTL_SETUP, &s);
		EXPECT(rc == 0, "PROTM_SETUP: %s", strerror(rc));
		rc = protm_query_info(d);
		EXPECT(rc == 0 && (d->info.flags & PROTM_INFO_READY), "not READY after setup (flags 0x%x)",
		       d->info.flags);
		ktap_diag("set up with %" PRIu64 " KiB from %s", (uint64_t)d->info.fw_buf_size / 1024, heap);
	} else {
		ktap_diag("protected mode was already set up");
	}
out:
	return res;
}

int protm_group_create(int fd, const struct drm_panthor_gpu_info *gpu, uint32_t vm_id, bool protected,
		       int suspend_fd, uint8_t priority, uint32_t *handle)
{
	return group_create_queues(fd, gpu, vm_id, protected, suspend_fd, priority, 1, handle);
}

void env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	e->prot_buf = e->prot_shm = e->suspend_buf = -1;
}

void env_destroy(struct protm_dev *d, struct env *e)
{
	struct drm_syncobj_destroy sd = { .handle = e->syncobj };

	if (e->syncobj)
		xioctl(d->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &sd);
	panthor_group_destroy(d->fd, e->group);
	if (e->stream)
		munmap(e->stream, STREAM_SIZE);
	if (e->data)
		munmap((void *)e->data, DATA_SIZE);
	panthor_gem_close(d->fd, e->stream_bo);
	panthor_gem_close(d->fd, e->data_bo);
	panthor_gem_close(d->fd, e->prot_bo);
	panthor_vm_destroy(d->fd, e->vm_id);
	close_fd(&e->prot_shm);
	close_fd(&e->prot_buf);
	close_fd(&e->suspend_buf);
	env_init(e);
}

/* env_create with `queues` queues in the group. */
static int env_create_queues(struct protm_dev *d, struct env *e, bool protected, bool with_prot, uint8_t priority,
			     uint32_t queues, const char **what)
{
	struct drm_panthor_vm_create vm = { 0 };
	struct drm_syncobj_create sc = { 0 };
	void *map;
	int rc;

	env_init(e);
	e->protected_group = protected;
	*what = "VM_CREATE";
	rc = xioctl(d->fd, DRM_IOCTL_PANTHOR_VM_CREATE, &vm);
	if (rc)
		return rc;
	e->vm_id = vm.id;
	*what = "BO_CREATE";
	rc = panthor_bo_create(d->fd, e->vm_id, STREAM_SIZE, &e->stream_bo);
	if (!rc)
		rc = panthor_bo_create(d->fd, e->vm_id, DATA_SIZE, &e->data_bo);
	if (rc)
		return rc;
	*what = "mmap";
	rc = panthor_bo_mmap(d->fd, e->stream_bo, STREAM_SIZE, &map);
	if (rc)
		return rc;
	e->stream = map;
	rc = panthor_bo_mmap(d->fd, e->data_bo, DATA_SIZE, &map);
	if (rc)
		return rc;
	e->data = map;
	memset((void *)e->data, 0, DATA_SIZE);
	*what = "VM_BIND";
	rc = panthor_vm_map(d->fd, e->vm_id, e->stream_bo, STREAM_VA, STREAM_SIZE, 0);
	if (!rc)
		rc = panthor_vm_map(d->fd, e->vm_id, e->data_bo, DATA_VA, DATA_SIZE, 0);
	if (rc)
		return rc;
	if (with_prot) {
		*what = "protected buffer allocation";
		rc = heap_alloc(d->heap_path, PROT_SIZE, &e->prot_buf);
		if (rc)
			return rc;
		if (d->ta) {
			*what = "TEE_IOC_SHM_REGISTER_FD";
			e->prot_shm = verify_ta_register(d->ta, e->prot_buf, &e->prot_shm_id);
			if (e->prot_shm < 0)
				return -e->prot_shm;
			*what = "TA FILL";
			if (!verify_ta_fill(d->ta, e->prot_shm_id, PROT_SIZE, SEED_FILL))
				return EIO;
		}
		*what = "import of the protected buffer";
		rc = panthor_import(d->fd, e->prot_buf, &e->prot_bo);
		if (rc)
			return rc;
		*what = "VM_BIND of the protected buffer (MAP_PROTECTED)";
		rc = panthor_vm_map(d->fd, e->vm_id, e->prot_bo, PROT_VA, PROT_SIZE, PROTM_VM_BIND_OP_MAP_PROTECTED);
		if (rc)
			return rc;
	}
	if (protected) {
		*what = "protected suspend buffer allocation";
		rc = heap_alloc(d->heap_path, d->info.group_suspend_buf_size, &e->suspend_buf);
		if (rc)
			return rc;
	}
	*what = protected ? "GROUP_CREATE (protected)" : "GROUP_CREATE";
	rc = group_create_queues(d->fd, &d->gpu, e->vm_id, protected, e->suspend_buf, priority, queues, &e->group);
	if (rc)
		return rc;
	*what = "SYNCOBJ_CREATE";
	rc = xioctl(d->fd, DRM_IOCTL_SYNCOBJ_CREATE, &sc);
	e->syncobj = sc.handle;
	return rc;
}

int env_create(struct protm_dev *d, struct env *e, bool protected, bool with_prot, uint8_t priority,
	       const char **what)
{
	return env_create_queues(d, e, protected, with_prot, priority, 1, what);
}

int env_create_gated(struct protm_dev *d, struct env *e, const char **what)
{
	int rc = env_create_queues(d, e, true, true, PANTHOR_GROUP_PRIORITY_MEDIUM, 2, what);

	e->gate_queue = !rc;
	return rc;
}

/* Queues jobs[i] = (address, instruction count); the last signals the env's syncobj. */
static int submit_jobs(struct protm_dev *d, struct env *e, const uint64_t *addr, const uint32_t *n, uint32_t jobs)
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

	if (jobs == 0 || jobs > BATCH_JOBS)
		return EINVAL;
	memset(qs, 0, sizeof(qs));
	for (i = 0; i < jobs; i++) {
		qs[i].queue_index = 0;
		qs[i].stream_size = n[i] * 8;
		qs[i].stream_addr = addr[i];
		if (i == jobs - 1)
			qs[i].syncs = (struct drm_panthor_obj_array)DRM_PANTHOR_OBJ_ARRAY(1, &sync);
	}
	__sync_synchronize();
	return xioctl(d->fd, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &gs);
}

int submit_n(struct protm_dev *d, struct env *e, const uint64_t *insns, uint32_t n, uint32_t jobs)
{
	uint64_t addr[BATCH_JOBS];
	uint32_t len[BATCH_JOBS], i;

	if (jobs > BATCH_JOBS || (uint64_t)n * 8 > STREAM_SIZE)
		return EINVAL;
	if (insns != e->stream)
		memcpy(e->stream, insns, n * sizeof(*insns));
	for (i = 0; i < jobs; i++) {
		addr[i] = STREAM_VA;
		len[i] = n;
	}
	return submit_jobs(d, e, addr, len, jobs);
}

/* The group's second queue runs SYNC_SET32 [gate] = 1. */
static int open_gate(struct protm_dev *d, struct env *e)
{
	uint64_t *o = e->stream + GATE_OPENER_OFFSET / 8;
	struct drm_panthor_queue_submit qs = {
		.queue_index = 1,
		.stream_size = 3 * 8,
		.stream_addr = STREAM_VA + GATE_OPENER_OFFSET,
	};
	struct drm_panthor_group_submit gs = {
		.group_handle = e->group,
		.queue_submits = DRM_PANTHOR_OBJ_ARRAY(1, &qs),
	};

	o[0] = CS_MOVE48(GATE_REG_ADDR, DATA_VA + GATE_OFFSET);
	o[1] = CS_MOVE32(GATE_REG_VAL, 1);
	o[2] = CS_SYNC_SET32(GATE_REG_ADDR, GATE_REG_VAL);
	__sync_synchronize();
	return xioctl(d->fd, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &gs);
}

int submit_gated_batch(struct protm_dev *d, struct env *e, uint32_t jobs)
{
	volatile uint32_t *gate = e->data + GATE_OFFSET / 4, *arrived = e->data + GATE_ARRIVED_OFFSET / 4;
	uint64_t *g = e->stream + GATE_STREAM_OFFSET / 8;
	uint64_t addr[BATCH_JOBS], end;
	uint32_t len[BATCH_JOBS], n, m = 0, i;
	int rc;

	if (jobs == 0 || jobs > BATCH_JOBS || !e->gate_queue)
		return EINVAL;
	n = pattern_stream(e->stream, PROT_VA, true);
	/* The first job: say it arrived, wait for the gate, then the same protected pattern. */
	g[m++] = CS_MOVE48(GATE_REG_ADDR, DATA_VA + GATE_OFFSET);
	g[m++] = CS_MOVE32(GATE_REG_VAL, 1);
	g[m++] = CS_STORE(GATE_REG_VAL, GATE_REG_ADDR, 0x1, GATE_ARRIVED_OFFSET - GATE_OFFSET);
	g[m++] = CS_MOVE32(GATE_REG_REF, 0);
	g[m++] = CS_SYNC_WAIT32(CS_SYNC_COND_GREATER, GATE_REG_ADDR, GATE_REG_REF);
	if (GATE_STREAM_OFFSET + (uint64_t)(m + n) * 8 > STREAM_SIZE)
		return EINVAL;
	memcpy(g + m, e->stream, n * sizeof(*g));
	*gate = 0;
	*arrived = 0;
	for (i = 0; i < jobs; i++) {
		addr[i] = i ? STREAM_VA : STREAM_VA + GATE_STREAM_OFFSET;
		len[i] = i ? n : m + n;
	}
	rc = submit_jobs(d, e, addr, len, jobs);
	if (rc)
		return rc;
	end = now_ms() + GATE_ARRIVE_MS;
	while (!*arrived && now_ms() < end)
		usleep(1000);
	if (*arrived)
		usleep(GATE_SETTLE_MS * 1000);
	/* Opened even when the job never arrived, so that it cannot hang there. */
	rc = open_gate(d, e);
	if (rc) {
		*gate = 1;
		__sync_synchronize();
		return rc;
	}
	return *arrived ? 0 : ETIMEDOUT;
}

int wait_env(struct protm_dev *d, struct env *e, int timeout_ms)
{
	return panthor_syncobj_wait(d->fd, e->syncobj, timeout_ms);
}

uint32_t pattern_stream(uint64_t *s, uint64_t va, bool prot_region)
{
	uint32_t n = 0, chunk, r;

	if (prot_region)
		s[n++] = 0; /* patched below */
	s[n++] = CS_MOVE48(0, va);
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
 * A region counts the instructions at its own call depth, so the loop
 * lives in a buffer the region calls (at SPIN_OFFSET in the stream BO):
 * everything it runs is protected.
 */
uint32_t spin_stream(uint64_t *s, uint32_t iters, bool endless)
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

uint32_t marker_stream(uint64_t *s, uint32_t marker)
{
	uint32_t n = 0;

	s[n++] = CS_MOVE48(0, DATA_VA);
	s[n++] = CS_MOVE32(2, marker);
	s[n++] = CS_STORE(2, 0, 0x1, 0x40);
	return n;
}

int run_marker(struct protm_dev *d, struct env *e, uint32_t marker, int timeout_ms)
{
	uint64_t insns[8];
	uint32_t n = marker_stream(insns, marker);
	int rc;

	e->data[0x10] = 0;
	panthor_syncobj_reset(d->fd, e->syncobj);
	rc = submit_n(d, e, insns, n, 1);
	if (rc)
		return rc;
	rc = wait_env(d, e, timeout_ms);
	if (rc)
		return rc;
	__sync_synchronize();
	return e->data[0x10] == marker ? 0 : EPROTO;
}

int read_stats(struct protm_stats *s)
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

int wait_protm_inactive(struct protm_stats *s, int ms)
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
