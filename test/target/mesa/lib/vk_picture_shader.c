// SPDX-License-Identifier: BSD-2-Clause
#include "vk_picture_shader.h"

#include "vk_ssbo_shader.h"

/*
 * What glslang makes of
 *
 *   #version 450
 *   layout(local_size_x = 16) in;
 *   layout(std430, set = 0, binding = 0) buffer B { uint data[]; };
 *   void main() {
 *       uint i = gl_GlobalInvocationID.x;
 *       uint x = i & 63u, y = i >> 6u;
 *       data[i] = ((x ^ y) << 2u) | ((x << 2u) << 8u) | ((y << 2u) << 16u) |
 *                 0xff000000u;
 *   }
 *
 * minus the names. Ids 1-15: SSBO_SPIRV_PREAMBLE (vk_ssbo_shader.h);
 * 16-21 the uint constants 63, 6, 2, 8, 16, 0xff000000, 22 the label,
 * 23-36 the body's values.
 */
const uint32_t picture_spirv[] = {
	SSBO_SPIRV_PREAMBLE(37),
	SPIRV_OP(4, 43), 5, 16, PICTURE_W - 1,         /* %16 = OpConstant %5 63 */
	SPIRV_OP(4, 43), 5, 17, 6,                     /* %17 = OpConstant %5 6 */
	SPIRV_OP(4, 43), 5, 18, 2,                     /* %18 = OpConstant %5 2 */
	SPIRV_OP(4, 43), 5, 19, 8,                     /* %19 = OpConstant %5 8 */
	SPIRV_OP(4, 43), 5, 20, 16,                    /* %20 = OpConstant %5 16 */
	SPIRV_OP(4, 43), 5, 21, 0xff000000u,           /* %21 = OpConstant %5 0xff000000 */
	SPIRV_OP(5, 54), 3, 1, 0, 4,                   /* %1 = OpFunction %3 None %4 */
	SPIRV_OP(2, 248), 22,                          /* %22 = OpLabel */
	SPIRV_OP(5, 65), 13, 23, 2, 15,                /* %23 = OpAccessChain %13 %2 %15 */
	SPIRV_OP(4, 61), 5, 24, 23,                    /* %24 = OpLoad %5 %23: i */
	SPIRV_OP(5, 199), 5, 25, 24, 16,               /* %25 = OpBitwiseAnd %5 %24 %16: x */
	SPIRV_OP(5, 194), 5, 26, 24, 17,               /* %26 = OpShiftRightLogical %5 %24 %17: y */
	SPIRV_OP(5, 198), 5, 27, 25, 26,               /* %27 = OpBitwiseXor %5 %25 %26 */
	SPIRV_OP(5, 196), 5, 28, 27, 18,               /* %28 = OpShiftLeftLogical %5 %27 %18: R */
	SPIRV_OP(5, 196), 5, 29, 25, 18,               /* %29 = OpShiftLeftLogical %5 %25 %18 */
	SPIRV_OP(5, 196), 5, 30, 29, 19,               /* %30 = OpShiftLeftLogical %5 %29 %19: G */
	SPIRV_OP(5, 196), 5, 31, 26, 18,               /* %31 = OpShiftLeftLogical %5 %26 %18 */
	SPIRV_OP(5, 196), 5, 32, 31, 20,               /* %32 = OpShiftLeftLogical %5 %31 %20: B */
	SPIRV_OP(5, 197), 5, 33, 28, 30,               /* %33 = OpBitwiseOr %5 %28 %30 */
	SPIRV_OP(5, 197), 5, 34, 33, 32,               /* %34 = OpBitwiseOr %5 %33 %32 */
	SPIRV_OP(5, 197), 5, 35, 34, 21,               /* %35 = OpBitwiseOr %5 %34 %21: A */
	SPIRV_OP(6, 65), 12, 36, 11, 15, 24,           /* %36 = OpAccessChain %12 %11 %15 %24 */
	SPIRV_OP(3, 62), 36, 35,                       /* OpStore %36 %35 */
	SPIRV_OP(1, 253),                              /* OpReturn */
	SPIRV_OP(1, 56),                               /* OpFunctionEnd */
};

const size_t picture_spirv_size = sizeof(picture_spirv);
