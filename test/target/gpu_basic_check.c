// SPDX-License-Identifier: BSD-2-Clause
/*
 * protm-gpu-basic: KTAP suite "gpu-basic", Panthor on a Mali CSF GPU (the
 * QEMU model of qemu-patches/ or a board) through the upstream uAPI only:
 * probe and identity, VMs, buffer objects, groups, a command stream that
 * stores values and signals a sync object, a VA bound to another buffer
 * object that the GPU then writes (no stale translation), an invalid
 * instruction the group survives, an MMU fault that kills its group, an
 * endless stream caught by the job timeout, an endless compute shader
 * caught by the firmware's progress timer, and the device still working
 * after each.
 *
 * Usage: protm-gpu-basic [--dri DEV]
 *
 * Without a Panthor render node every case reports SKIP "no Mali device".
 *
 * The streams are written here instruction by instruction; the encodings
 * are those of Mali's command stream front-end (architecture 10):
 * bits 63:56 opcode, registers in bits 55:48 (destination), 47:40 and
 * 39:32 (sources), immediates below.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/panthor_drm.h>

#include "lib/cs.h"
#include "lib/args.h"
#include "lib/compute_job.h"
#include "lib/ktap.h"
#include "lib/panthor.h"
#include "lib/sys.h"

#define SUITE "gpu-basic"
#define NO_DEVICE "no Mali device"

/* A Mali-G610: architecture 10.8, product 7 (gpu_id 0xa867....) */
#define G610_ID(gpu_id) ((gpu_id) >> 16 == 0xa867)

/* GPU virtual addresses of the test buffers */
#define STREAM_VA 0x1000000ull
#define DATA_VA 0x1010000ull
#define UNMAPPED_VA 0x7000000ull
#define BO_SIZE 0x1000ull

/* Panthor's job timeout is 5 s; give it room under emulation. */
#define JOB_WAIT_MS 10000
#define TIMEOUT_WAIT_MS 30000
/* How long a report of the kernel may trail the job it ended (klog_wait_count()). */
#define KLOG_WAIT_MS 2000

/* ---- context -------------------------------------------------------------- */

struct ctx {
	const char *dri;
	char dri_path[64];
	int fd;
	int minor;
	struct drm_panthor_gpu_info gpu;
	struct drm_panthor_csif_info csif;
};

/* A VM with a stream buffer and a data buffer mapped, and one group. */
struct job_env {
	uint32_t vm_id;
	uint32_t stream_bo, data_bo;
	uint64_t *stream;		/* CPU mappings */
	volatile uint32_t *data;
	uint32_t group;
	uint32_t syncobj;
};

typedef enum ktap_result (*case_fn)(struct ctx *c, char *skip, size_t skip_len);

/* ---- helpers ------------------------------------------------------------ */

static int group_create(struct ctx *c, uint32_t vm_id, uint32_t *handle)
{
	struct drm_panthor_queue_create queue = { .priority = 0, .ringbuf_size = 4096 };
	struct drm_panthor_group_create g = {
		.queues = DRM_PANTHOR_OBJ_ARRAY(1, &queue),
		.max_compute_cores = 1,
		.max_fragment_cores = 1,
		.max_tiler_cores = 1,
		.priority = PANTHOR_GROUP_PRIORITY_MEDIUM,
		.compute_core_mask = c->gpu.shader_present,
		.fragment_core_mask = c->gpu.shader_present,
		.tiler_core_mask = c->gpu.tiler_present,
		.vm_id = vm_id,
	};
	int rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_GROUP_CREATE, &g);

	if (!rc)
		*handle = g.group_handle;
	return rc;
}

static void env_destroy(struct ctx *c, struct job_env *e)
{
	struct drm_syncobj_destroy sd = { .handle = e->syncobj };

	if (e->syncobj)
		xioctl(c->fd, DRM_IOCTL_SYNCOBJ_DESTROY, &sd);
	panthor_group_destroy(c->fd, e->group);
	if (e->stream)
		munmap(e->stream, BO_SIZE);
	if (e->data)
		munmap((void *)e->data, BO_SIZE);
	panthor_gem_close(c->fd, e->stream_bo);
	panthor_gem_close(c->fd, e->data_bo);
	panthor_vm_destroy(c->fd, e->vm_id);
	memset(e, 0, sizeof(*e));
}

/* Builds a job_env; returns 0 or an errno, with `what` naming the step. */
static int env_create(struct ctx *c, struct job_env *e, const char **what)
{
	struct drm_panthor_vm_create vm = { 0 };
	struct drm_syncobj_create sc = { 0 };
	void *map;
	int rc;

	memset(e, 0, sizeof(*e));
	*what = "VM_CREATE";
	rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_VM_CREATE, &vm);
	if (rc)
		return rc;
	e->vm_id = vm.id;
	*what = "BO_CREATE";
	rc = panthor_bo_create(c->fd, e->vm_id, BO_SIZE, &e->stream_bo);
	if (!rc)
		rc = panthor_bo_create(c->fd, e->vm_id, BO_SIZE, &e->data_bo);
	if (rc)
		return rc;
	*what = "BO_MMAP_OFFSET + mmap";
	rc = panthor_bo_mmap(c->fd, e->stream_bo, BO_SIZE, &map);
	if (rc)
		return rc;
	e->stream = map;
	rc = panthor_bo_mmap(c->fd, e->data_bo, BO_SIZE, &map);
	if (rc)
		return rc;
	e->data = map;
	*what = "VM_BIND";
	rc = panthor_vm_map(c->fd, e->vm_id, e->stream_bo, STREAM_VA, BO_SIZE, 0);
	if (!rc)
		rc = panthor_vm_map(c->fd, e->vm_id, e->data_bo, DATA_VA, BO_SIZE, 0);
	if (rc)
		return rc;
	*what = "GROUP_CREATE";
	rc = group_create(c, e->vm_id, &e->group);
	if (rc)
		return rc;
	*what = "SYNCOBJ_CREATE";
	rc = xioctl(c->fd, DRM_IOCTL_SYNCOBJ_CREATE, &sc);
	e->syncobj = sc.handle;
	return rc;
}

/* Queues `n` instructions as one job that signals the env's syncobj. */
static int submit(struct ctx *c, struct job_env *e, const uint64_t *insns, uint32_t n)
{
	struct drm_panthor_sync_op sync = {
		.flags = DRM_PANTHOR_SYNC_OP_SIGNAL | DRM_PANTHOR_SYNC_OP_HANDLE_TYPE_SYNCOBJ,
		.handle = e->syncobj,
	};
	struct drm_panthor_queue_submit qs = {
		.queue_index = 0,
		.stream_size = n * 8,
		.stream_addr = STREAM_VA,
		.syncs = DRM_PANTHOR_OBJ_ARRAY(1, &sync),
	};
	struct drm_panthor_group_submit gs = {
		.group_handle = e->group,
		.queue_submits = DRM_PANTHOR_OBJ_ARRAY(1, &qs),
	};

	memcpy(e->stream, insns, n * sizeof(*insns));
	__sync_synchronize();
	return xioctl(c->fd, DRM_IOCTL_PANTHOR_GROUP_SUBMIT, &gs);
}

/*
 * The good job: store two registers into the data buffer and add 7 to a
 * 64-bit counter there, then check both from the CPU.
 */
static enum ktap_result run_good_job(struct ctx *c, struct job_env *e)
{
	enum ktap_result res = KTAP_PASS;
	const uint64_t job[] = {
		CS_MOVE48(0, DATA_VA),
		CS_MOVE32(2, 0xc0ffee01),
		CS_MOVE32(3, 0x5eed),
		CS_STORE(2, 0, 0x3, 0x10),
		CS_MOVE48(4, 7),
		CS_SYNC_ADD64(0, 4),
	};
	uint32_t state = 0, fatal = 0;
	int rc;

	e->data[0] = 0x10;
	e->data[1] = 0;
	e->data[4] = e->data[5] = 0;
	rc = submit(c, e, job, sizeof(job) / sizeof(job[0]));
	EXPECT(rc == 0, "GROUP_SUBMIT: %s", strerror(rc));
	rc = panthor_syncobj_wait(c->fd, e->syncobj, JOB_WAIT_MS);
	EXPECT(rc == 0, "the job's syncobj did not signal: %s", strerror(rc));
	__sync_synchronize();
	EXPECT(e->data[4] == 0xc0ffee01 && e->data[5] == 0x5eed,
	       "stored 0x%08x 0x%08x, expected 0xc0ffee01 0x00005eed", e->data[4], e->data[5]);
	EXPECT(e->data[0] == 0x17 && e->data[1] == 0, "counter is 0x%08x%08x, expected 0x17", e->data[1],
	       e->data[0]);
	rc = panthor_group_state(c->fd, e->group, &state, &fatal);
	EXPECT(rc == 0 && state == 0, "GROUP_GET_STATE: %s, state 0x%x", strerror(rc), state);
out:
	return res;
}

/* A new group on a new VM runs the good job (`when`: "" or "after ..., "). */
static enum ktap_result new_group_runs_job(struct ctx *c, const char *when)
{
	enum ktap_result res = KTAP_PASS;
	struct job_env e;
	const char *what;
	int rc;

	rc = env_create(c, &e, &what);
	EXPECT(rc == 0, "%s%s: %s", when, what, strerror(rc));
	res = run_good_job(c, &e);
out:
	env_destroy(c, &e);
	return res;
}

/* ---- cases ---------------------------------------------------------------- */

static enum ktap_result case_probe(struct ctx *c, char *skip, size_t skip_len)
{
	(void)skip, (void)skip_len;
	ktap_diag("%s: panthor 1.%d", c->dri_path, c->minor);
	return KTAP_PASS;
}

static enum ktap_result case_identity(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int rc;

	(void)skip, (void)skip_len;
	/* main() queried both for every case; ask again to see the errors */
	rc = panthor_query(c->fd, DRM_PANTHOR_DEV_QUERY_GPU_INFO, &c->gpu, sizeof(c->gpu));
	EXPECT(rc == 0, "GPU_INFO: %s", strerror(rc));
	rc = panthor_query(c->fd, DRM_PANTHOR_DEV_QUERY_CSIF_INFO, &c->csif, sizeof(c->csif));
	EXPECT(rc == 0, "CSIF_INFO: %s", strerror(rc));
	ktap_diag("gpu_id 0x%08x arch %u.%u, shader_present 0x%" PRIx64 ", %u CSG slots x %u CS, %u registers",
		  c->gpu.gpu_id, DRM_PANTHOR_ARCH_MAJOR(c->gpu.gpu_id), DRM_PANTHOR_ARCH_MINOR(c->gpu.gpu_id),
		  (uint64_t)c->gpu.shader_present, c->csif.csg_slot_count, c->csif.cs_slot_count,
		  c->csif.cs_reg_count);
	EXPECT(G610_ID(c->gpu.gpu_id), "gpu_id 0x%08x is not a Mali-G610", c->gpu.gpu_id);
	EXPECT(c->gpu.shader_present && c->gpu.tiler_present && c->gpu.as_present & 1,
	       "empty core or address space masks");
	EXPECT(c->csif.csg_slot_count > 0 && c->csif.cs_slot_count > 0 && c->csif.cs_reg_count >= 8,
	       "no command stream slots");
out:
	return res;
}

static enum ktap_result case_vm_create_destroy(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct drm_panthor_vm_create vm = { 0 };
	struct drm_panthor_vm_destroy d = { 0 };
	int rc;

	(void)skip, (void)skip_len;
	rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_VM_CREATE, &vm);
	EXPECT(rc == 0, "VM_CREATE: %s", strerror(rc));
	d.id = vm.id;
	rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_VM_DESTROY, &d);
	EXPECT(rc == 0, "VM_DESTROY: %s", strerror(rc));
	rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_VM_DESTROY, &d);
	EXPECT(rc == EINVAL, "destroying it twice: %s, expected EINVAL", strerror(rc));
out:
	return res;
}

static enum ktap_result case_bo_create_map(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct drm_panthor_vm_create vm = { 0 };
	uint32_t bo = 0;
	void *map = MAP_FAILED;
	int rc;

	(void)skip, (void)skip_len;
	rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_VM_CREATE, &vm);
	EXPECT(rc == 0, "VM_CREATE: %s", strerror(rc));
	rc = panthor_bo_create(c->fd, 0, BO_SIZE, &bo);
	EXPECT(rc == 0, "BO_CREATE: %s", strerror(rc));
	rc = panthor_bo_mmap(c->fd, bo, BO_SIZE, &map);
	EXPECT(rc == 0, "mmap: %s", strerror(rc));
	memset(map, 0x5a, BO_SIZE);
	EXPECT(((uint8_t *)map)[BO_SIZE - 1] == 0x5a, "the CPU mapping does not hold what was written");
	rc = panthor_vm_map(c->fd, vm.id, bo, STREAM_VA, BO_SIZE, 0);
	EXPECT(rc == 0, "VM_BIND map: %s", strerror(rc));
	rc = panthor_vm_map(c->fd, vm.id, bo, STREAM_VA + 0x800, BO_SIZE, 0);
	EXPECT(rc == EINVAL, "VM_BIND at an unaligned VA: %s, expected EINVAL", strerror(rc));
out:
	if (map != MAP_FAILED)
		munmap(map, BO_SIZE);
	panthor_gem_close(c->fd, bo);
	panthor_vm_destroy(c->fd, vm.id);
	return res;
}

static enum ktap_result case_group_create_destroy(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct drm_panthor_vm_create vm = { 0 };
	struct drm_panthor_group_destroy d = { 0 };
	uint32_t group = 0;
	int rc;

	(void)skip, (void)skip_len;
	rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_VM_CREATE, &vm);
	EXPECT(rc == 0, "VM_CREATE: %s", strerror(rc));
	rc = group_create(c, vm.id, &group);
	EXPECT(rc == 0, "GROUP_CREATE: %s", strerror(rc));
	d.group_handle = group;
	rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &d);
	EXPECT(rc == 0, "GROUP_DESTROY: %s", strerror(rc));
	rc = xioctl(c->fd, DRM_IOCTL_PANTHOR_GROUP_DESTROY, &d);
	EXPECT(rc == EINVAL, "destroying it twice: %s, expected EINVAL", strerror(rc));
out:
	panthor_vm_destroy(c->fd, vm.id);
	return res;
}

static enum ktap_result case_job_store_sync_add(struct ctx *c, char *skip, size_t skip_len)
{
	(void)skip, (void)skip_len;
	return new_group_runs_job(c, "");
}

/*
 * A VA the GPU has used is unmapped and bound to another BO: the next job
 * writes the new BO and leaves the old one alone. The GPU caches
 * translations (and so does the model), so this holds only if Panthor
 * invalidates them when it changes the page tables of a VM in use;
 * otherwise the GPU goes on writing a page the VM no longer maps.
 */
static enum ktap_result case_vm_remap(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	volatile uint32_t *old_data = NULL;
	uint32_t new_bo = 0;
	void *new_map = MAP_FAILED;
	struct job_env e;
	const char *what;
	int rc;

	(void)skip, (void)skip_len;
	rc = env_create(c, &e, &what);
	EXPECT(rc == 0, "%s: %s", what, strerror(rc));
	/* The GPU uses DATA_VA: its translation is now cached */
	res = run_good_job(c, &e);
	if (res != KTAP_PASS)
		goto out;
	rc = panthor_vm_unmap(c->fd, e.vm_id, DATA_VA, BO_SIZE);
	EXPECT(rc == 0, "VM_BIND unmap: %s", strerror(rc));
	rc = panthor_bo_create(c->fd, e.vm_id, BO_SIZE, &new_bo);
	EXPECT(rc == 0, "BO_CREATE: %s", strerror(rc));
	rc = panthor_bo_mmap(c->fd, new_bo, BO_SIZE, &new_map);
	EXPECT(rc == 0, "mmap: %s", strerror(rc));
	rc = panthor_vm_map(c->fd, e.vm_id, new_bo, DATA_VA, BO_SIZE, 0);
	EXPECT(rc == 0, "VM_BIND map of the new BO: %s", strerror(rc));
	old_data = e.data;
	memset((void *)old_data, 0, BO_SIZE);
	__sync_synchronize();
	/* The job and its checks, on the new BO */
	e.data = new_map;
	res = run_good_job(c, &e);
	__sync_synchronize();
	EXPECT(!old_data[0] && !old_data[1] && !old_data[4] && !old_data[5],
	       "the GPU wrote the unmapped BO: 0x%08x 0x%08x, counter 0x%08x%08x (a stale translation)",
	       old_data[4], old_data[5], old_data[1], old_data[0]);
out:
	if (old_data)
		e.data = old_data;
	if (new_map != MAP_FAILED)
		munmap(new_map, BO_SIZE);
	panthor_gem_close(c->fd, new_bo);
	env_destroy(c, &e);
	return res;
}

/*
 * A store to an address the VM does not map: Panthor reports the MMU
 * fault, the group is marked faulty and killed, and a new group on a new
 * VM runs a job as before.
 */
static enum ktap_result case_mmu_fault(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	const uint64_t job[] = {
		CS_MOVE48(0, UNMAPPED_VA),
		CS_MOVE32(2, 0xbad),
		CS_STORE(2, 0, 0x1, 0),
	};
	const char *report = "Unhandled Page fault in AS";
	struct job_env e;
	uint32_t state = 0, fatal = 0;
	int before = klog_count(report), rc;
	const char *what;

	(void)skip, (void)skip_len;
	rc = env_create(c, &e, &what);
	EXPECT(rc == 0, "%s: %s", what, strerror(rc));
	rc = submit(c, &e, job, sizeof(job) / sizeof(job[0]));
	EXPECT(rc == 0, "GROUP_SUBMIT: %s", strerror(rc));
	rc = panthor_syncobj_wait(c->fd, e.syncobj, JOB_WAIT_MS);
	EXPECT(rc == 0, "the faulting job never completed: %s", strerror(rc));
	rc = panthor_group_state(c->fd, e.group, &state, &fatal);
	EXPECT(rc == 0, "GROUP_GET_STATE: %s", strerror(rc));
	ktap_diag("group state 0x%x, fatal queues 0x%x", state, fatal);
	EXPECT(state & DRM_PANTHOR_GROUP_STATE_FATAL_FAULT, "the group is not marked as fatally faulted");
	EXPECT(fatal & 1, "queue 0 is not in fatal_queues");
	EXPECT(klog_wait_count(report, before, KLOG_WAIT_MS) > before, "the kernel log has no \"%s\"", report);
	rc = submit(c, &e, job, 1);
	EXPECT(rc != 0, "a submission to the killed group was accepted");
	res = new_group_runs_job(c, "after the fault, ");
out:
	env_destroy(c, &e);
	return res;
}

/*
 * An instruction the GPU does not know: Panthor reports the CS_FAULT
 * (INSTR_INVALID_ENC), the job completes in error, and the same group
 * runs the next job (the stream resumes at the job wrapper's
 * ERROR_BARRIER).
 */
static enum ktap_result case_invalid_instruction(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	const uint64_t job[] = { CS_INSN(0xff, 0, 0) };
	const char *report = "CS_FAULT.EXCEPTION_TYPE: 0x51";
	int before = klog_count(report), rc;
	uint32_t state = 0, fatal = 0;
	struct job_env e;
	const char *what;

	(void)skip, (void)skip_len;
	rc = env_create(c, &e, &what);
	EXPECT(rc == 0, "%s: %s", what, strerror(rc));
	rc = submit(c, &e, job, 1);
	EXPECT(rc == 0, "GROUP_SUBMIT: %s", strerror(rc));
	rc = panthor_syncobj_wait(c->fd, e.syncobj, JOB_WAIT_MS);
	EXPECT(rc == 0, "the faulting job never completed: %s", strerror(rc));
	EXPECT(klog_wait_count(report, before, KLOG_WAIT_MS) > before, "the kernel log has no \"%s\"", report);
	rc = panthor_group_state(c->fd, e.group, &state, &fatal);
	EXPECT(rc == 0 && state == 0, "GROUP_GET_STATE: %s, state 0x%x (a CS_FAULT is not fatal)", strerror(rc),
	       state);
	res = run_good_job(c, &e);
out:
	env_destroy(c, &e);
	return res;
}

/*
 * Work that never ends, on a group of its own: a stream that loops, or
 * (`shader`) a compute shader that never ends. Panthor stops it, marks the
 * group timed out, and a new group's job then runs. The shader meets the
 * firmware's progress timer first, as on the hardware: Panthor reports
 * CSG_PROGRESS_TIMER_EVENT before its own job timeout would fire; the
 * stream, which no progress timer watches, meets the job timeout.
 */
static enum ktap_result endless_work(struct ctx *c, bool shader)
{
	enum ktap_result res = KTAP_PASS;
	const char *report = PANTHOR_PROGRESS_REPORT;
	uint64_t job[ENDLESS_SHADER_INSNS] = { CS_BRANCH_ALWAYS(-1) };
	uint32_t n = 1, state = 0, fatal = 0;
	int before = klog_count(report), rc;
	struct timespec t0, t1;
	const char *what;
	struct job_env e;
	double took_ms;

	rc = env_create(c, &e, &what);
	EXPECT(rc == 0, "%s: %s", what, strerror(rc));
	if (shader)
		n = endless_shader_stream(job, e.data, DATA_VA, false);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = submit(c, &e, job, n);
	EXPECT(rc == 0, "GROUP_SUBMIT: %s", strerror(rc));
	rc = panthor_syncobj_wait(c->fd, e.syncobj, TIMEOUT_WAIT_MS);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT(rc == 0, "the endless %s was not stopped within %d s: %s", shader ? "shader" : "job",
	       TIMEOUT_WAIT_MS / 1000, strerror(rc));
	took_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	ktap_diag("stopped after %.0f ms (progress timeout %d ms, job timeout %d ms)", took_ms,
		  PANTHOR_PROGRESS_TIMEOUT_MS, PANTHOR_JOB_TIMEOUT_MS);
	if (shader) {
		EXPECT(klog_wait_count(report, before, KLOG_WAIT_MS) > before,
		       "the kernel log has no \"%s\": the progress timer never fired", report);
		EXPECT(took_ms < PANTHOR_JOB_TIMEOUT_MS,
		       "stopped after %.0f ms: by the job timeout, not the progress timer", took_ms);
	}
	rc = panthor_group_state(c->fd, e.group, &state, &fatal);
	EXPECT(rc == 0, "GROUP_GET_STATE: %s", strerror(rc));
	EXPECT(state & DRM_PANTHOR_GROUP_STATE_TIMEDOUT, "the group is not marked as timed out (state 0x%x)",
	       state);
	res = new_group_runs_job(c, shader ? "after the progress timeout, " : "after the timeout, ");
out:
	env_destroy(c, &e);
	return res;
}

static enum ktap_result case_job_timeout(struct ctx *c, char *skip, size_t skip_len)
{
	(void)skip, (void)skip_len;
	return endless_work(c, false);
}

static enum ktap_result case_progress_timeout(struct ctx *c, char *skip, size_t skip_len)
{
	(void)skip, (void)skip_len;
	return endless_work(c, true);
}

/* ---- main ---------------------------------------------------------------- */

static const struct {
	const char *name;
	case_fn fn;
} cases[] = {
	{ "probe_render_node", case_probe },
	{ "dev_query_g610_identity", case_identity },
	{ "vm_create_destroy", case_vm_create_destroy },
	{ "bo_create_mmap_vm_bind", case_bo_create_map },
	{ "group_create_destroy", case_group_create_destroy },
	{ "job_store_and_sync_add", case_job_store_sync_add },
	{ "vm_bind_remap_seen_by_gpu", case_vm_remap },
	{ "invalid_instruction_cs_fault", case_invalid_instruction },
	{ "mmu_fault_kills_group", case_mmu_fault },
	{ "job_timeout_recovers", case_job_timeout },
	{ "endless_shader_progress_timeout", case_progress_timeout },
};

#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

int main(int argc, char **argv)
{
	struct ctx c = { .fd = -1 };
	int i;

	const struct check_opt opts[] = { { "dri", "DEV", &c.dri }, { NULL } };

	setvbuf(stdout, NULL, _IOLBF, 0);
	check_parse_args(argc, argv, "protm-gpu-basic", opts);

	ktap_suite_begin(SUITE, NCASES);
	c.fd = panthor_open(c.dri, c.dri_path, sizeof(c.dri_path), &c.minor);
	if (c.fd < 0) {
		ktap_diag("no Panthor render node (%s)%s", c.dri ? c.dri : "/dev/dri/renderD128..191",
			  panthor_gpu_expected() ? ", but the host booted the Mali model (PROTM_EXPECT_GPU=1)" : "");
	} else {
		panthor_query(c.fd, DRM_PANTHOR_DEV_QUERY_GPU_INFO, &c.gpu, sizeof(c.gpu));
		panthor_query(c.fd, DRM_PANTHOR_DEV_QUERY_CSIF_INFO, &c.csif, sizeof(c.csif));
	}
	for (i = 0; i < NCASES; i++) {
		char skip[200] = NO_DEVICE;
		enum ktap_result r = c.fd < 0 ? panthor_missing_result() : cases[i].fn(&c, skip, sizeof(skip));

		ktap_case(r, cases[i].name, skip);
	}
	close_fd(&c.fd);
	return ktap_suite_end();
}
