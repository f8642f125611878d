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
 *   - a protected job that hangs (its stream loops, or its shader never
 *     ends: the firmware's progress timer catches that one before
 *     Panthor's job timeout) and one that faults: only the protected group
 *     is blamed, a normal group's jobs submitted before and after
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
 * uAPI is mirrored in lib/protm_uapi.h; the GPU contexts, streams and
 * debugfs counters it uses are in lib/protm_job.c.
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

#include "lib/compute_job.h"
#include "lib/cs.h"
#include "lib/args.h"
#include "lib/ktap.h"
#include "lib/protm_job.h"
#include "lib/protm_uapi.h"
#include "lib/panthor.h"
#include "lib/sha256.h"
#include "lib/sys.h"
#include "lib/verify_ta.h"
#include "protm_verify_ta.h"

#define SUITE "protected-mode"
#define NO_DEVICE "no Mali device"

#define JOB_WAIT_MS 10000
#define TIMEOUT_WAIT_MS 30000
/* How long a report of the kernel may trail the job it ended (klog_wait_count()). */
#define KLOG_WAIT_MS 2000
/* The stated fairness bound, checked: a normal job waits at most this long. */
#define FAIRNESS_BOUND_MS 250
#define FAIRNESS_SAMPLES 20
#define SPIN_ITERS 100000

/* ---- context ------------------------------------------------------------------- */

struct ctx {
	const char *heap;
	const char *dri;
	const char *tee;
	char dri_path[64];
	struct protm_dev d; /* fd, heap path, GPU and protected-mode info, the TA */
	int minor;
	struct drm_panthor_csif_info csif;
	bool ready;
	int setup_buf;		/* the buffer we set protected mode up with, -1 if not ours */
	struct verify_ta ta;
	bool ta_ok;
	int reset_log_before_fault; /* klog count before the fault case */
	bool fault_case_ran;
};

typedef enum ktap_result (*case_fn)(struct ctx *c, char *skip, size_t skip_len);

/*
 * A spin of `iters` iterations (endless if `endless`) inside a protected
 * region. A region counts the instructions at its own call depth, so the
 * loop lives in a buffer the region calls (at SPIN_OFFSET in the stream BO):
 * everything it runs is protected. Writes both parts into the stream BO
 * `s`; returns the number of instructions to submit.
 */
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
	uint8_t want[SHA256_DIGEST_SIZE];
	struct protm_stats before, after;
	uint32_t n, state = 0;
	const char *what;
	struct env e;
	int rc, stats_rc;

	rc = env_create(&c->d, &e, true, true, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "%s%s: %s", when, what, strerror(rc));
	stats_rc = read_stats(&before);
	n = pattern_stream(e.stream, PROT_VA, true);
	rc = submit_n(&c->d, &e, e.stream, n, 1);
	EXPECT(rc == 0, "%sGROUP_SUBMIT: %s", when, strerror(rc));
	rc = wait_env(&c->d, &e, JOB_WAIT_MS);
	EXPECT(rc == 0, "%sthe protected job did not complete: %s", when, strerror(rc));
	rc = panthor_group_state(c->d.fd, e.group, &state, NULL);
	EXPECT(rc == 0 && state == 0, "%sthe protected group is in state 0x%x after its job", when, state);
	verify_pattern_digest(SEED_GPU, PROT_SIZE, want);
	EXPECT(verify_ta_digest_is(&c->ta, e.prot_shm_id, PROT_SIZE, want, "the protected buffer") == 1,
	       "%sthe protected buffer does not hold the GPU's pattern", when);
	if (!stats_rc)
		stats_rc = read_stats(&after);
	EXPECT(stats_rc == 0, "no protm_stats in debugfs: %s", strerror(stats_rc));
	ktap_diag("%s%lld entr%s into protected mode", when, after.entries - before.entries,
		  after.entries - before.entries == 1 ? "y" : "ies");
	EXPECT(after.entries > before.entries, "%sprotected mode was never entered (entries %lld)", when,
	       after.entries);
out:
	env_destroy(&c->d, &e);
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

/*
 * A protected env without a protected buffer and a normal env, as the
 * fairness and failure cases use; diagnoses and returns false on failure.
 */
static bool protected_and_normal_envs(struct ctx *c, struct env *p, struct env *nrm)
{
	const char *what;
	int rc;

	rc = env_create(&c->d, p, true, false, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	if (rc) {
		ktap_diag("protected env, %s: %s", what, strerror(rc));
		return false;
	}
	rc = env_create(&c->d, nrm, false, false, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	if (rc) {
		ktap_diag("normal env, %s: %s", what, strerror(rc));
		return false;
	}
	return true;
}

/* ---- cases ---------------------------------------------------------------------- */

/* Protected mode available and set up (by us when not yet). */
static enum ktap_result case_setup(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res;

	(void)skip, (void)skip_len;
	res = protm_setup_case(&c->d, c->minor, c->heap, &c->setup_buf);
	if (res != KTAP_PASS)
		return res;
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
	rc = env_create(&c->d, &e, false, true, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "%s: %s", what, strerror(rc));
	stats_rc = read_stats(&before);
	log_before = klog_count(msg);
	n = pattern_stream(e.stream, PROT_VA, true);
	rc = submit_n(&c->d, &e, e.stream, n, 1);
	EXPECT(rc == 0, "GROUP_SUBMIT: %s", strerror(rc));
	rc = wait_env(&c->d, &e, JOB_WAIT_MS);
	EXPECT(rc == 0, "the refused job never completed (within %d s): %s", JOB_WAIT_MS / 1000, strerror(rc));
	rc = panthor_group_state(c->d.fd, e.group, &state, NULL);
	EXPECT(rc == 0 && (state & DRM_PANTHOR_GROUP_STATE_FATAL_FAULT),
	       "the normal group is in state 0x%x, expected a fatal fault", state);
	EXPECT(!(state & DRM_PANTHOR_GROUP_STATE_TIMEDOUT), "the job timed out instead of being refused");
	EXPECT(klog_wait_count(msg, log_before, KLOG_WAIT_MS) > log_before, "the kernel log has no \"%s\"", msg);
	EXPECT(prot_holds(c, &e, SEED_FILL, "after the refused job"), "the protected buffer was written");
	if (!stats_rc)
		stats_rc = read_stats(&after);
	EXPECT(stats_rc == 0, "no protm_stats in debugfs: %s", strerror(stats_rc));
	EXPECT(after.entries == before.entries, "protected mode was entered for a normal group");
out:
	env_destroy(&c->d, &e);
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
	rc = env_create(&c->d, &e, false, true, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "%s: %s", what, strerror(rc));
	insns[n++] = CS_MOVE48(0, PROT_VA);
	insns[n++] = CS_MOVE48(22, DATA_VA);
	for (chunk = 0; chunk < PROT_SIZE / 64; chunk++) {
		insns[n++] = CS_LOAD(2, 0, 0xffffu, chunk * 64);
		insns[n++] = CS_STORE(2, 22, 0xffffu, chunk * 64);
	}
	rc = submit_n(&c->d, &e, insns, n, 1);
	EXPECT(rc == 0, "GROUP_SUBMIT: %s", strerror(rc));
	rc = wait_env(&c->d, &e, JOB_WAIT_MS);
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
	rc = panthor_group_state(c->d.fd, e.group, &state, NULL);
	EXPECT(rc == 0 && (state & DRM_PANTHOR_GROUP_STATE_FATAL_FAULT),
	       "the group is in state 0x%x: the load did not fault", state);
out:
	env_destroy(&c->d, &e);
	return res;
}

/*
 * N protected jobs in one submission: one entry, one exit. The batch is
 * gated (lib/protm_job.c): its first job waits, before its PROT_REGION,
 * until all N were handed to the GPU, so the property holds however slowly
 * the kernel queues them (under the debug kernel the first job used to end
 * before the second was queued, and protected mode with it).
 */
static enum ktap_result case_batch(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct protm_stats before, after;
	uint32_t state = 0;
	const char *what;
	struct env e;
	int rc;

	NEED_READY();
	rc = env_create_gated(&c->d, &e, &what);
	EXPECT(rc == 0, "%s: %s", what, strerror(rc));
	rc = wait_protm_inactive(&before, 2000);
	EXPECT(rc == 0, "protm_stats: %s", strerror(rc));
	rc = submit_gated_batch(&c->d, &e, BATCH_JOBS);
	EXPECT(rc != ETIMEDOUT, "the batch's first job never reached its gate");
	EXPECT(rc == 0, "GROUP_SUBMIT of %d jobs: %s", BATCH_JOBS, strerror(rc));
	rc = wait_env(&c->d, &e, JOB_WAIT_MS);
	EXPECT(rc == 0, "the batch did not complete: %s", strerror(rc));
	rc = panthor_group_state(c->d.fd, e.group, &state, NULL);
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
	env_destroy(&c->d, &e);
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
	pid_t pid = -1;
	int rc, status;

	env_init(&p);
	env_init(&nrm);
	NEED_READY();
	EXPECT(protected_and_normal_envs(c, &p, &nrm), "no GPU contexts to run on");
	/* Calibrate one protected spin. */
	n = spin_stream(p.stream, SPIN_ITERS, false);
	t0 = now_ms();
	rc = submit_n(&c->d, &p, p.stream, n, 1);
	EXPECT(rc == 0, "GROUP_SUBMIT: %s", strerror(rc));
	rc = wait_env(&c->d, &p, JOB_WAIT_MS);
	EXPECT(rc == 0, "a protected spin did not complete: %s", strerror(rc));
	spin_ms = now_ms() - t0;
	ktap_diag("one protected spin (%d iterations) takes %" PRIu64 " ms", SPIN_ITERS, spin_ms);
	rc = read_stats(&before);
	EXPECT(rc == 0, "protm_stats: %s", strerror(rc));

	pid = fork();
	EXPECT(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		/*
		 * Keep the protected group busy for ~3 s, a batch at a time. A
		 * batch takes BATCH_JOBS spins and the exits forced between
		 * them: its wait scales with the spin measured above (1.5 s a
		 * spin on a loaded machine), not a fixed bound.
		 */
		uint64_t end = now_ms() + 3000;
		int batch_ms = JOB_WAIT_MS + (int)(2 * BATCH_JOBS * spin_ms);

		while (now_ms() < end) {
			if (submit_n(&c->d, &p, p.stream, n, BATCH_JOBS))
				_exit(1);
			if (wait_env(&c->d, &p, batch_ms))
				_exit(2);
		}
		_exit(0);
	}
	usleep(200 * 1000);
	for (i = 0; i < FAIRNESS_SAMPLES; i++) {
		t0 = now_ms();
		rc = run_marker(&c->d, &nrm, 0x1000 + i, JOB_WAIT_MS);
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
	rc = panthor_group_state(c->d.fd, nrm.group, &state, NULL);
	EXPECT(rc == 0 && state == 0, "the normal group is in state 0x%x", state);
	rc = panthor_group_state(c->d.fd, p.group, &state, NULL);
	EXPECT(rc == 0 && state == 0, "the protected group is in state 0x%x", state);
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	env_destroy(&c->d, &p);
	env_destroy(&c->d, &nrm);
	return res;
}

/* How a protected job fails */
enum protected_failure_kind {
	PROT_HANG_STREAM, /* an endless loop of the command stream */
	PROT_HANG_SHADER, /* a compute shader that never ends */
	PROT_FAULT,	  /* a store to an unmapped address */
};

/*
 * A protected job that fails as `kind` says. A normal group's job queued
 * before it and one queued after both complete; only the protected group
 * is blamed; then a new protected group's job runs.
 *
 * A stream that loops is caught by Panthor's job timeout, or by the exit
 * that times out; a shader that never ends by the firmware's progress
 * timer first, as on the hardware; a fault by the GPU's fault report.
 */
static enum ktap_result protected_failure(struct ctx *c, enum protected_failure_kind kind)
{
	/*
	 * What each failure is called, what Panthor logs for it, and how long
	 * recovery may take: a stream hang, the job timeout, the exit's own 2 s
	 * and 1 s of emulation; a shader hang, less than the job timeout (the
	 * progress timer must come first); a fault, no bound here.
	 */
	static const struct {
		const char *what, *report;
		uint64_t budget_ms;
	} kinds[] = {
		[PROT_HANG_STREAM] = { "stream hang", "job timeout", PANTHOR_JOB_TIMEOUT_MS + 2000 + 1000 },
		[PROT_HANG_SHADER] = { "shader hang", PANTHOR_PROGRESS_REPORT, PANTHOR_JOB_TIMEOUT_MS },
		[PROT_FAULT] = { "fault", "GPU fault in protected mode", 0 },
	};
	const char *what = kinds[kind].what;
	enum ktap_result res = KTAP_PASS;
	bool fault = kind == PROT_FAULT;
	const char *msg = kinds[kind].report;
	const char *msg2 = "Protected mode exit timed out"; /* a stream hang's other report */
	uint64_t insns[ENDLESS_SHADER_INSNS], t0, took;
	uint32_t n = 0, state = 0;
	struct protm_stats sbefore, safter;
	struct env p, nrm;
	int rc, log_before, log2_before;

	env_init(&p);
	env_init(&nrm);
	EXPECT(protected_and_normal_envs(c, &p, &nrm), "no GPU contexts to run on");
	rc = run_marker(&c->d, &nrm, 0xbef0, JOB_WAIT_MS);
	EXPECT(rc == 0, "the normal job before: %s", strerror(rc));
	switch (kind) {
	case PROT_FAULT:
		insns[n++] = CS_PROT_REGION(3);
		insns[n++] = CS_MOVE48(0, UNMAPPED_VA);
		insns[n++] = CS_MOVE32(2, 0xdead);
		insns[n++] = CS_STORE(2, 0, 0x1, 0);
		break;
	case PROT_HANG_STREAM:
		n = spin_stream(p.stream, 0, true);
		break;
	case PROT_HANG_SHADER:
		n = endless_shader_stream(insns, p.data, DATA_VA, true);
		break;
	}
	rc = read_stats(&sbefore);
	EXPECT(rc == 0, "no protm_stats in debugfs: %s", strerror(rc));
	log_before = klog_count(msg);
	log2_before = klog_count(msg2);
	if (fault)
		c->reset_log_before_fault = klog_count("resetting the GPU");
	t0 = now_ms();
	rc = submit_n(&c->d, &p, kind == PROT_HANG_STREAM ? p.stream : insns, n, 1);
	EXPECT(rc == 0, "GROUP_SUBMIT: %s", strerror(rc));
	/* The normal job queued while the protected one is stuck must still complete. */
	rc = run_marker(&c->d, &nrm, 0xbef1, TIMEOUT_WAIT_MS);
	EXPECT(rc == 0, "the normal job queued during the protected %s: %s", what, strerror(rc));
	rc = wait_env(&c->d, &p, TIMEOUT_WAIT_MS);
	took = now_ms() - t0;
	EXPECT(rc == 0, "the protected job was not stopped within %d s: %s", TIMEOUT_WAIT_MS / 1000, strerror(rc));
	ktap_diag("the protected %s was dealt with %" PRIu64 " ms after submission%s", what, took,
		  kind == PROT_HANG_STREAM ? " (5 s of it Panthor's job timeout)" : "");
	if (kind == PROT_HANG_STREAM)
		EXPECT(klog_count(msg) > log_before || klog_count(msg2) > log2_before,
		       "the kernel log has no \"%s\" nor \"%s\"", msg, msg2);
	else
		EXPECT(klog_wait_count(msg, log_before, KLOG_WAIT_MS) > log_before, "the kernel log has no \"%s\"",
		       msg);
	rc = panthor_group_state(c->d.fd, p.group, &state, NULL);
	EXPECT(rc == 0 && (state & (DRM_PANTHOR_GROUP_STATE_FATAL_FAULT | DRM_PANTHOR_GROUP_STATE_TIMEDOUT)),
	       "the protected group is in state 0x%x: not blamed", state);
	rc = panthor_group_state(c->d.fd, nrm.group, &state, NULL);
	EXPECT(rc == 0 && state == 0, "the normal group is in state 0x%x: blamed too", state);
	rc = read_stats(&safter);
	EXPECT(rc == 0 && safter.entries > sbefore.entries,
	       "protected mode was never entered: the %s did not happen in protected mode", what);
	if (kinds[kind].budget_ms)
		EXPECT(took <= kinds[kind].budget_ms, "recovery took %" PRIu64 " ms, more than %" PRIu64 " ms", took,
		       kinds[kind].budget_ms);
	rc = run_marker(&c->d, &nrm, 0xbef2, JOB_WAIT_MS);
	EXPECT(rc == 0, "the normal job after: %s", strerror(rc));
	if (fault)
		c->fault_case_ran = true;
out:
	env_destroy(&c->d, &p);
	env_destroy(&c->d, &nrm);
	return res;
}

static enum ktap_result case_hang(struct ctx *c, char *skip, size_t skip_len)
{
	NEED_READY();
	return protected_failure(c, PROT_HANG_STREAM);
}

static enum ktap_result case_shader_hang(struct ctx *c, char *skip, size_t skip_len)
{
	NEED_READY();
	return protected_failure(c, PROT_HANG_SHADER);
}

static enum ktap_result case_fault(struct ctx *c, char *skip, size_t skip_len)
{
	NEED_READY();
	return protected_failure(c, PROT_FAULT);
}

/* After the fault case's reset, protected work runs again. */
static enum ktap_result case_after_reset(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;

	NEED_READY();
	EXPECT(c->fault_case_ran, "the fault case did not complete, so no reset to run after");
	EXPECT(klog_wait_count("resetting the GPU", c->reset_log_before_fault, KLOG_WAIT_MS) > c->reset_log_before_fault,
	       "the kernel log shows no GPU reset after the protected fault");
	res = protected_pattern_job(c, "after a reset, ");
out:
	return res;
}

static enum ktap_result case_after_runtime_suspend(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	char state[32] = "";
	int i, rc;

	NEED_READY();
	for (i = 0; i < 200; i++) {
		rc = panthor_runtime_status(c->dri_path, state, sizeof(state));
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
	rc = panthor_import(fd, fresh_fd, &handle);
	if (rc)
		return 12;
	panthor_gem_close(fd, handle);
	if (setup_fd >= 0 && panthor_import(fd, setup_fd, &handle) == 0)
		return 13;
	if (panthor_import(fd, suspend_fd, &handle) == 0)
		return 14;
	if (xioctl(fd, DRM_IOCTL_PANTHOR_VM_CREATE, &vm))
		return 15;
	rc = protm_group_create(fd, &c->d.gpu, vm.id, true, suspend_fd, PANTHOR_GROUP_PRIORITY_MEDIUM, &group);
	if (rc == 0)
		return 16;
	if (setup_fd >= 0) {
		rc = protm_group_create(fd, &c->d.gpu, vm.id, true, setup_fd, PANTHOR_GROUP_PRIORITY_MEDIUM, &group);
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

	env_init(&p);
	NEED_READY();
	if (c->setup_buf < 0)
		ktap_diag("protected mode was set up by someone else: the setup buffer is not tried");
	rc = env_create(&c->d, &p, true, false, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "%s: %s", what, strerror(rc));
	rc = heap_alloc(c->d.heap_path, c->d.info.group_suspend_buf_size, &fresh);
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
	env_destroy(&c->d, &p);
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
	{ "protected_shader_hang_meets_progress_timer", case_shader_hang },
	{ "protected_fault_blames_only_protected_group", case_fault },
	{ "protected_work_after_reset", case_after_reset },
	{ "protected_work_after_runtime_suspend", case_after_runtime_suspend },
	{ "protected_buffers_owned_exclusively", case_ownership },
};

#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

int main(int argc, char **argv)
{
	struct ctx c = { .heap = "protected,secure-video", .tee = "/dev/tee0", .d = { .fd = -1 }, .setup_buf = -1 };
	const struct check_opt opts[] = {
		{ "heap", "NAME", &c.heap },
		{ "dri", "DEV", &c.dri },
		{ "tee", "DEV", &c.tee },
		{ NULL },
	};
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	check_parse_args(argc, argv, "protm-protected-mode", opts);
	snprintf(c.d.heap_path, sizeof(c.d.heap_path), "/dev/dma_heap/%s", c.heap);
	c.ta.tee_fd = -1;
	c.d.ta = &c.ta;

	ktap_suite_begin(SUITE, NCASES);
	c.d.fd = panthor_open(c.dri, c.dri_path, sizeof(c.dri_path), &c.minor);
	if (c.d.fd < 0) {
		ktap_diag("no Panthor render node (%s)%s", c.dri ? c.dri : "/dev/dri/renderD128..191",
			  panthor_gpu_expected() ? ", but the host booted the Mali model (PROTM_EXPECT_GPU=1)" : "");
		for (i = 0; i < NCASES; i++)
			ktap_case(panthor_missing_result(), cases[i].name, NO_DEVICE);
		return ktap_suite_end();
	}
	panthor_query(c.d.fd, DRM_PANTHOR_DEV_QUERY_GPU_INFO, &c.d.gpu, sizeof(c.d.gpu));
	panthor_query(c.d.fd, DRM_PANTHOR_DEV_QUERY_CSIF_INFO, &c.csif, sizeof(c.csif));
	c.ta_ok = verify_ta_open(&c.ta, c.tee) == 0;
	ktap_diag("%s: panthor 1.%d, heap %s, %u CS registers%s", c.dri_path, c.minor, c.d.heap_path,
		  c.csif.cs_reg_count, c.ta_ok ? "" : ", no TA session");

	for (i = 0; i < NCASES; i++) {
		char skip[200] = "";
		enum ktap_result r = cases[i].fn(&c, skip, sizeof(skip));

		ktap_case(r, cases[i].name, skip);
	}
	verify_ta_close(&c.ta);
	close_fd(&c.setup_buf);
	close_fd(&c.d.fd);
	return ktap_suite_end();
}
