/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Protected jobs for the checks and the benchmark that drive the kernel
 * series' protected mode (kernel-patches/): a GPU context ("env": a VM,
 * stream and data BOs mapped for the CPU, optionally a protected buffer
 * from a TEE heap bound with MAP_PROTECTED, and one group, protected or
 * not), the streams they run (written instruction by instruction), and
 * Panthor's debugfs protm_stats counters.
 *
 * Every function returns 0 or an errno unless it says otherwise.
 */
#ifndef PROTM_JOB_H
#define PROTM_JOB_H

#include <stdbool.h>
#include <stdint.h>

#include <drm/drm.h>
#include <drm/panthor_drm.h>

#include "ktap.h"
#include "protm_uapi.h"
#include "verify_ta.h"

/* GPU virtual addresses of an env */
#define STREAM_VA 0x1000000ull
#define STREAM_SIZE 0x10000ull /* 64 KiB: room for a pattern-writing stream */
#define DATA_VA 0x1100000ull
#define DATA_SIZE 0x1000ull
#define PROT_VA 0x1200000ull
#define PROT_SIZE 0x1000ull /* the protected buffer the jobs write */
#define UNMAPPED_VA 0x7000000ull

#define SEED_FILL 0x0f11f11fu /* what the TA writes first */
#define SEED_GPU 0x6a0b5eedu  /* what the protected job writes */

/* The most jobs one submission queues */
#define BATCH_JOBS 8

/* The device an env lives on. */
struct protm_dev {
	int fd;
	char heap_path[256]; /* /dev/dma_heap/NAME of the protected heap */
	struct drm_panthor_gpu_info gpu;
	struct protm_info info;
	/* Fills an env's protected buffer with SEED_FILL; NULL: the buffer is not registered with the TEE. */
	struct verify_ta *ta;
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
	bool gate_queue;	/* the group has a second queue, to open a gated batch's gate */
};

/* Milliseconds and microseconds of CLOCK_MONOTONIC. */
uint64_t now_ms(void);
uint64_t now_us(void);

/* The series' PROTM_INFO query into d->info. */
int protm_query_info(struct protm_dev *d);

/*
 * The setup case of the protected-mode programs, as a KTAP case (diagnosed,
 * EXPECT style): the driver (minor version `minor`) has the uAPI,
 * protected mode is available, and it is set up: by us, with a buffer from
 * `heap` kept open in *setup_buf, if nobody did before.
 */
enum ktap_result protm_setup_case(struct protm_dev *d, int minor, const char *heap, int *setup_buf);

/* GROUP_CREATE through the series' layout: a protected group takes `suspend_fd` as its protected suspend buffer. */
int protm_group_create(int fd, const struct drm_panthor_gpu_info *gpu, uint32_t vm_id, bool protected,
		       int suspend_fd, uint8_t priority, uint32_t *handle);

/* An env holding nothing, safe to destroy. */
void env_init(struct env *e);
/*
 * A VM with a stream BO and a data BO, a protected buffer (filled by the TA
 * with SEED_FILL when d->ta, imported and bound at PROT_VA) when
 * `with_prot`, and one group, protected or not. `what` names the failed step.
 */
int env_create(struct protm_dev *d, struct env *e, bool protected, bool with_prot, uint8_t priority,
	       const char **what);
void env_destroy(struct protm_dev *d, struct env *e);
/* A protected env with a protected buffer whose group has a second queue, for submit_gated_batch. */
int env_create_gated(struct protm_dev *d, struct env *e, const char **what);

/*
 * Queues `jobs` jobs, each running the `n` instructions at the start of the
 * stream BO (copied there first unless `insns` is the stream BO); the last
 * one signals the env's syncobj.
 */
int submit_n(struct protm_dev *d, struct env *e, const uint64_t *insns, uint32_t n, uint32_t jobs);

/*
 * A batch of `jobs` pattern jobs (pattern_stream with a PROT_REGION) that
 * are all queued before any of them runs: the first waits behind a gate
 * (a SYNC_WAIT on a word of the data BO, before its region) until every
 * job was handed to the GPU, so the batch runs in protected mode back to
 * back however slowly the kernel queues it. The group's second queue
 * opens the gate with a SYNC_SET32 (the env must come from
 * env_create_gated). Returns once that job is queued; wait for the env's
 * syncobj for the batch's end. ETIMEDOUT: the first job never reached the
 * gate.
 */
int submit_gated_batch(struct protm_dev *d, struct env *e, uint32_t jobs);

int wait_env(struct protm_dev *d, struct env *e, int timeout_ms);

/*
 * The pattern-writing stream: stores that write the TA's pattern for
 * SEED_GPU over PROT_SIZE bytes at `va`, 64 bytes (16 registers) at a
 * time, inside a PROT_REGION if `prot_region`. Returns the number of
 * instructions written to `s`.
 */
uint32_t pattern_stream(uint64_t *s, uint64_t va, bool prot_region);

/*
 * A spin of `iters` iterations (endless if `endless`) inside a protected
 * region, written into the stream BO `s`; returns the number of
 * instructions to submit.
 */
uint32_t spin_stream(uint64_t *s, uint32_t iters, bool endless);

/* A normal job storing `marker` into the data BO; returns its length. */
uint32_t marker_stream(uint64_t *s, uint32_t marker);

/* Runs a normal marker job on `e` and checks it landed (EPROTO if not). */
int run_marker(struct protm_dev *d, struct env *e, uint32_t marker, int timeout_ms);

/* Panthor's debugfs protm_stats. */
struct protm_stats {
	long long active, entries, exits, forced_exits, time_us;
};

/* Reads protm_stats (mounting debugfs if needed). */
int read_stats(struct protm_stats *s);
/* Waits up to `ms` for the GPU to be out of protected mode. */
int wait_protm_inactive(struct protm_stats *s, int ms);

#endif
