/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Compute work written by hand, for the checks that need a shader on the
 * GPU without Mesa: one that never ends, to meet the firmware's progress
 * timer. The shader program descriptor and the binary sit in a buffer
 * object of the check's; RUN_COMPUTE's registers are set as panvk sets
 * them (architecture 10).
 */
#ifndef PROTM_COMPUTE_JOB_H
#define PROTM_COMPUTE_JOB_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Panthor's progress timeout, 2.6e9 GPU cycles (PROGRESS_TIMEOUT_CYCLES):
 * 2.6 s at RK3588's highest clock, 1 GHz, the model's; and its job
 * timeout. A hung shader meets the first.
 */
#define PANTHOR_PROGRESS_TIMEOUT_MS 2621
#define PANTHOR_JOB_TIMEOUT_MS 5000
/* What Panthor logs when the progress timer fires */
#define PANTHOR_PROGRESS_REPORT "CSG_PROGRESS_TIMER_EVENT"

/* The most instructions endless_shader_stream() writes */
#define ENDLESS_SHADER_INSNS 13

/*
 * A shader that never ends, one workgroup of 16 invocations: writes its
 * descriptor and binary into `buf` (the CPU mapping of a buffer object the
 * GPU sees at `buf_va`; bytes 0x800 to 0x87f), and into `s` the
 * instructions that run it, the RUN_COMPUTE alone in a protected region if
 * `prot`. Returns the number of instructions.
 */
uint32_t endless_shader_stream(uint64_t *s, volatile uint32_t *buf, uint64_t buf_va, bool prot);

#endif
