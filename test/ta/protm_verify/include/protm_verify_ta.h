/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * protm_verify: a Trusted Application that works on protected (secure data
 * path) buffers on behalf of the normal-world checks in test/target/.
 *
 * This header is shared by the TA and its normal-world client: the UUID,
 * the command IDs with their parameter layouts, and the test pattern.
 * It must stay plain C99 with no OP-TEE or Linux includes.
 *
 * Every command takes the buffer as parameter 0, a memory reference. On
 * the normal-world side that is a dma-buf from a protected heap registered
 * with TEE_IOC_SHM_REGISTER_FD (or, for control runs, ordinary shared
 * memory). The TA is flagged TA_FLAG_SECURE_DATA_PATH, without which
 * OP-TEE refuses SDP memory references.
 */
#ifndef PROTM_VERIFY_TA_H
#define PROTM_VERIFY_TA_H

#include <stdint.h>

/* 57e84af4-66e2-4b86-b758-2f3876b7da4b */
#define PROTM_VERIFY_UUID_STR "57e84af4-66e2-4b86-b758-2f3876b7da4b"
#define PROTM_VERIFY_UUID \
	{ 0x57e84af4, 0x66e2, 0x4b86, \
	  { 0xb7, 0x58, 0x2f, 0x38, 0x76, 0xb7, 0xda, 0x4b } }

/*
 * FILL: write the pattern for `seed` over the whole buffer.
 *   p0 MEMREF_OUTPUT or MEMREF_INOUT  the buffer
 *   p1 VALUE_INPUT                    a = seed
 * Returns TEE_ERROR_ACCESS_DENIED if the buffer is not writable by the TA.
 */
#define PROTM_VERIFY_CMD_FILL		0

/*
 * HASH: SHA-256 of the whole buffer.
 *   p0 MEMREF_INPUT or MEMREF_INOUT   the buffer
 *   p1 MEMREF_OUTPUT                  32 bytes, receives the digest
 *                                     (ordinary shared memory)
 */
#define PROTM_VERIFY_CMD_HASH		1

/*
 * COMPARE: compare the buffer with the pattern for `seed`.
 *   p0 MEMREF_INPUT or MEMREF_INOUT   the buffer
 *   p1 VALUE_INPUT                    a = seed
 *   p2 VALUE_OUTPUT                   a = PROTM_VERIFY_MATCH or
 *                                         PROTM_VERIFY_MISMATCH,
 *                                     b = offset of the first differing
 *                                         byte (0 on a match)
 */
#define PROTM_VERIFY_CMD_COMPARE	2

/*
 * MEM_INFO: how the TA sees the buffer's memory.
 *   p0 MEMREF_INPUT or MEMREF_INOUT   the buffer
 *   p1 VALUE_OUTPUT                   a = PROTM_VERIFY_MEM_* bits,
 *                                     b = buffer size seen by the TA
 * SECURE is set when TEE_CheckMemoryAccessRights() accepts the whole
 * buffer with TEE_MEMORY_ACCESS_SECURE (secure memory, e.g. SDP),
 * NONSECURE when it accepts it with TEE_MEMORY_ACCESS_NONSECURE.
 */
#define PROTM_VERIFY_CMD_MEM_INFO	3

#define PROTM_VERIFY_MATCH		0
#define PROTM_VERIFY_MISMATCH		1

#define PROTM_VERIFY_MEM_SECURE		0x1
#define PROTM_VERIFY_MEM_NONSECURE	0x2

#define PROTM_VERIFY_DIGEST_SIZE	32

/*
 * The pattern: byte `offset` of the pattern for `seed`. A splitmix64
 * stream, one 64-bit word per 8 bytes, little-endian. Different seeds and
 * offsets give unrelated bytes, so a stale, shifted or zeroed buffer does
 * not match by accident.
 */
static inline uint64_t protm_verify_pattern_word(uint32_t seed, uint64_t word)
{
	uint64_t z = ((uint64_t)seed << 32 | seed) + (word + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint8_t protm_verify_pattern_byte(uint32_t seed, uint64_t offset)
{
	return (uint8_t)(protm_verify_pattern_word(seed, offset / 8) >> (8 * (offset % 8)));
}

#endif /* PROTM_VERIFY_TA_H */
