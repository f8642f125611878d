/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Our picture shader: a compute shader that draws a PICTURE_W x PICTURE_H
 * RGBA8 picture into a storage buffer, one pixel per invocation, with the
 * integer operations the Mali model runs (no floating point). Data only, like
 * vk_ssbo_shader.h, whose preamble, local size and storage buffer it shares.
 * The report shows the picture (tools/results/pictures.ts).
 *
 * Invocation i draws pixel (x, y) = (i % 64, i / 64):
 *   R = (x ^ y) * 4, G = x * 4, B = y * 4, A = 255
 * into word i of the buffer at set 0, binding 0.
 */
#ifndef PROTM_VK_PICTURE_SHADER_H
#define PROTM_VK_PICTURE_SHADER_H

#include <stddef.h>
#include <stdint.h>

#define PICTURE_W 64
#define PICTURE_H 64
#define PICTURE_SIZE (PICTURE_W * PICTURE_H * 4)

extern const uint32_t picture_spirv[];
extern const size_t picture_spirv_size;

/* The word invocation `i` stores (little-endian: R, G, B, A in memory). */
static inline uint32_t picture_value(uint32_t i)
{
	uint32_t x = i & (PICTURE_W - 1), y = i >> 6;

	return ((x ^ y) << 2) | (x << 2 << 8) | (y << 2 << 16) | 0xff000000u;
}

#endif
