// SPDX-License-Identifier: BSD-2-Clause
/*
 * protm-bench-protm: the benchmark behind `protm bench protm` (suite
 * "bench-protm"), protected mode through the kernel series on a Mali CSF
 * GPU (the QEMU model of qemu-patches/ or a board). It measures, and
 * prints each sample as a diagnostic "bench METRIC VALUE" for the host to
 * take medians of:
 *
 *   - protected_job_us / normal_job_us: one job from submission to its
 *     syncobj, the same stores (PROT_SIZE bytes of the TA's pattern) from a
 *     protected group into a protected buffer inside a PROT_REGION, and
 *     from a normal group into a normal buffer with a NOP in its place, so
 *     that both streams run as many instructions;
 *   - batch_entries / batch_exits / batch_us: a batch of BATCH_JOBS
 *     protected jobs, all queued before the first runs (lib/protm_job.c's
 *     gate): the protected-mode entries and exits it cost (debugfs
 *     protm_stats) and its time from the gate's opening to its syncobj;
 *   - normal_idle_us / normal_during_protm_us / forced_exits: a normal job's
 *     latency with the GPU otherwise idle, and submitted while protected
 *     mode is active with a protected group running back-to-back work (the
 *     kernel must leave protected mode for it), and the forced exits a
 *     round costs.
 *
 * Samples of back-to-back jobs are printed only after the last of them:
 * each printed line goes through run-suite to the kernel log and the
 * serial console, work that would otherwise run beside the next timed job.
 *
 * A case fails only when it could not measure (a job failed, no counters);
 * the figures themselves are never judged here: it is a benchmark.
 *
 * Usage: protm-bench-protm [--heap NAME] [--dri DEV] [--samples N]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/args.h"
#include "lib/cs.h"
#include "lib/ktap.h"
#include "lib/panthor.h"
#include "lib/protm_job.h"
#include "lib/protm_uapi.h"
#include "lib/sys.h"

#define SUITE "bench-protm"
#define NO_DEVICE "no Mali device"
#define JOB_WAIT_MS 10000
#define SPIN_ITERS 100000
/* A batch of BATCH_JOBS protected spins, with the exits forced between them */
#define BATCH_WAIT_MS 120000
#define MAX_SAMPLES 50
/* Batches are slower (the gate waits for the whole batch to be queued): fewer of them. */
#define BATCHES(samples) ((samples) < 6 ? 2 : (samples) / 3)

struct ctx {
	const char *heap;
	const char *dri;
	char dri_path[64];
	struct protm_dev d;
	int minor;
	int samples;
	int setup_buf;
	bool ready;
};

typedef enum ktap_result (*case_fn)(struct ctx *c, char *skip, size_t skip_len);

#define NEED_READY()                                                                  \
	do {                                                                          \
		(void)skip, (void)skip_len;                                           \
		if (!c->ready) {                                                      \
			ktap_diag("protected mode is not set up (see protm_setup_ready)"); \
			return KTAP_FAIL;                                             \
		}                                                                     \
	} while (0)

/* Prints samples 1 to taken - 1 of a metric; sample 0 warmed the emulator up. */
static void print_samples(const char *metric, const uint64_t *us, int taken)
{
	int i;

	for (i = 1; i < taken; i++)
		ktap_diag("bench %s %" PRIu64, metric, us[i]);
}

/* Runs `n` instructions already in e's stream BO as one job; its latency in *us. */
static int timed_job(struct ctx *c, struct env *e, uint32_t n, uint64_t *us)
{
	uint64_t t0;
	int rc;

	panthor_syncobj_reset(c->d.fd, e->syncobj);
	t0 = now_us();
	rc = submit_n(&c->d, e, e->stream, n, 1);
	if (!rc)
		rc = wait_env(&c->d, e, JOB_WAIT_MS);
	*us = now_us() - t0;
	return rc;
}

static enum ktap_result case_setup(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res;

	(void)skip, (void)skip_len;
	res = protm_setup_case(&c->d, c->minor, c->heap, &c->setup_buf);
	c->ready = res == KTAP_PASS;
	return res;
}

/* The same stores, protected and not, alternating; one of each first to warm the emulator up. */
static enum ktap_result case_job_latency(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct env p, nrm;
	uint64_t normal_us[MAX_SAMPLES + 1], protected_us[MAX_SAMPLES + 1];
	uint32_t np, nn;
	const char *what;
	int i, done = 0, rc;

	env_init(&p);
	env_init(&nrm);
	NEED_READY();
	rc = env_create(&c->d, &p, true, true, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "protected env, %s: %s", what, strerror(rc));
	rc = env_create(&c->d, &nrm, false, false, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "normal env, %s: %s", what, strerror(rc));
	np = pattern_stream(p.stream, PROT_VA, true);
	nn = pattern_stream(nrm.stream, DATA_VA, true);
	nrm.stream[0] = CS_NOP;
	/* Sample 0 warms the emulator up and is not reported. */
	for (i = 0; i <= c->samples; i++, done++) {
		rc = timed_job(c, &nrm, nn, &normal_us[i]);
		EXPECT(rc == 0, "normal job %d: %s", i, strerror(rc));
		rc = timed_job(c, &p, np, &protected_us[i]);
		EXPECT(rc == 0, "protected job %d: %s", i, strerror(rc));
	}
out:
	print_samples("normal_job_us", normal_us, done);
	print_samples("protected_job_us", protected_us, done);
	env_destroy(&c->d, &p);
	env_destroy(&c->d, &nrm);
	return res;
}

static enum ktap_result case_batch(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct protm_stats before, after;
	struct env e;
	uint64_t t0;
	const char *what;
	int i, rc;

	env_init(&e);
	NEED_READY();
	rc = env_create_gated(&c->d, &e, &what);
	EXPECT(rc == 0, "%s: %s", what, strerror(rc));
	for (i = 0; i < BATCHES(c->samples); i++) {
		rc = wait_protm_inactive(&before, 2000);
		EXPECT(rc == 0, "protm_stats: %s", strerror(rc));
		panthor_syncobj_reset(c->d.fd, e.syncobj);
		rc = submit_gated_batch(&c->d, &e, BATCH_JOBS);
		t0 = now_us();
		EXPECT(rc == 0, "batch %d of %d jobs: %s", i, BATCH_JOBS, strerror(rc));
		rc = wait_env(&c->d, &e, JOB_WAIT_MS);
		EXPECT(rc == 0, "batch %d did not complete: %s", i, strerror(rc));
		ktap_diag("bench batch_us %" PRIu64, now_us() - t0);
		rc = wait_protm_inactive(&after, 2000);
		EXPECT(rc == 0, "protected mode still active 2 s after batch %d: %s", i, strerror(rc));
		ktap_diag("bench batch_entries %lld", after.entries - before.entries);
		ktap_diag("bench batch_exits %lld", after.exits - before.exits);
	}
out:
	env_destroy(&c->d, &e);
	return res;
}

/*
 * Normal jobs with the GPU idle, then while a child keeps a protected group
 * busy with back-to-back protected spins; a sample counts as "during" only
 * if protected mode was active when the job was submitted.
 */
static enum ktap_result case_forced_exit(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct protm_stats before, after, now;
	struct env p, nrm;
	uint64_t idle_us[MAX_SAMPLES + 1], t0, end;
	uint32_t n;
	const char *what;
	pid_t pid = -1;
	int i, got = 0, tries = 0, rc, status = 0;

	env_init(&p);
	env_init(&nrm);
	NEED_READY();
	rc = env_create(&c->d, &p, true, false, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "protected env, %s: %s", what, strerror(rc));
	rc = env_create(&c->d, &nrm, false, false, PANTHOR_GROUP_PRIORITY_MEDIUM, &what);
	EXPECT(rc == 0, "normal env, %s: %s", what, strerror(rc));
	/* Sample 0 warms the emulator up and is not reported. */
	for (i = 0; i <= c->samples; i++) {
		t0 = now_us();
		rc = run_marker(&c->d, &nrm, 0x2000 + i, JOB_WAIT_MS);
		EXPECT(rc == 0, "idle normal job %d: %s", i, strerror(rc));
		idle_us[i] = now_us() - t0;
	}
	print_samples("normal_idle_us", idle_us, c->samples + 1);
	n = spin_stream(p.stream, SPIN_ITERS, false);
	rc = read_stats(&before);
	EXPECT(rc == 0, "protm_stats: %s", strerror(rc));
	pid = fork();
	EXPECT(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* Back-to-back protected batches until killed (a batch of spins takes seconds). */
		for (;;) {
			if (submit_n(&c->d, &p, p.stream, n, BATCH_JOBS))
				_exit(1);
			if (wait_env(&c->d, &p, BATCH_WAIT_MS))
				_exit(2);
		}
	}
	end = now_ms() + 30000;
	while (got < c->samples && now_ms() < end) {
		tries++;
		rc = read_stats(&now);
		EXPECT(rc == 0, "protm_stats: %s", strerror(rc));
		if (!now.active) {
			usleep(5000);
			continue;
		}
		t0 = now_us();
		rc = run_marker(&c->d, &nrm, 0x3000 + got, JOB_WAIT_MS);
		EXPECT(rc == 0, "normal job during protected work %d: %s", got, strerror(rc));
		ktap_diag("bench normal_during_protm_us %" PRIu64, now_us() - t0);
		got++;
		usleep(20 * 1000);
	}
	rc = read_stats(&after);
	EXPECT(rc == 0, "protm_stats: %s", strerror(rc));
	EXPECT(waitpid(pid, &status, WNOHANG) == 0, "the protected submitter stopped (status 0x%x)", status);
	ktap_diag("bench forced_exits %lld", after.forced_exits - before.forced_exits);
	ktap_diag("%d of %d tries found protected mode active", got, tries);
	EXPECT(got == c->samples, "only %d normal jobs could be submitted in protected mode within 30 s", got);
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	env_destroy(&c->d, &p);
	env_destroy(&c->d, &nrm);
	return res;
}

static const struct {
	const char *name;
	case_fn fn;
} cases[] = {
	{ "protm_setup_ready", case_setup },
	{ "protected_vs_normal_job_latency", case_job_latency },
	{ "entries_per_batch", case_batch },
	{ "forced_exit_latency", case_forced_exit },
};

#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

int main(int argc, char **argv)
{
	struct ctx c = { .heap = "protected,secure-video", .d = { .fd = -1 }, .samples = 8, .setup_buf = -1 };
	const char *samples = NULL;
	const struct check_opt opts[] = {
		{ "heap", "NAME", &c.heap },
		{ "dri", "DEV", &c.dri },
		{ "samples", "N", &samples },
		{ NULL },
	};
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	check_parse_args(argc, argv, "protm-bench-protm", opts);
	if (samples) {
		c.samples = atoi(samples);
		if (c.samples < 1 || c.samples > MAX_SAMPLES)
			check_usage_error("protm-bench-protm", opts, "--samples takes 1 to %d", MAX_SAMPLES);
	}
	snprintf(c.d.heap_path, sizeof(c.d.heap_path), "/dev/dma_heap/%s", c.heap);

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
	ktap_diag("%s: panthor 1.%d, heap %s, %d samples, batches of %d", c.dri_path, c.minor, c.d.heap_path,
		  c.samples, BATCH_JOBS);
	for (i = 0; i < NCASES; i++) {
		char skip[200] = "";
		enum ktap_result r = cases[i].fn(&c, skip, sizeof(skip));

		ktap_case(r, cases[i].name, skip);
	}
	close_fd(&c.setup_buf);
	close_fd(&c.d.fd);
	return ktap_suite_end();
}
