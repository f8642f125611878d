// SPDX-License-Identifier: BSD-2-Clause
#include "vk_ssbo_shader.h"

/*
 * The compute shader: what glslang makes of
 *
 *   #version 450
 *   layout(local_size_x = 16) in;
 *   layout(std430, set = 0, binding = 0) buffer B { uint data[]; };
 *   void main() {
 *       uint i = gl_GlobalInvocationID.x;
 *       data[i] = i * 0x9e3779b1u + 0x01234567u;
 *   }
 *
 * minus the names. Ids 1-15: SSBO_SPIRV_PREAMBLE; 16 the multiplier, 17 the
 * addend, 18 the label, 19-23 the body's values.
 */
const uint32_t ssbo_spirv[] = {
	SSBO_SPIRV_PREAMBLE(24),
	SPIRV_OP(4, 43), 5, 16, SSBO_MUL,              /* %16 = OpConstant %5 multiplier */
	SPIRV_OP(4, 43), 5, 17, SSBO_ADD,              /* %17 = OpConstant %5 addend */
	SPIRV_OP(5, 54), 3, 1, 0, 4,                   /* %1 = OpFunction %3 None %4 */
	SPIRV_OP(2, 248), 18,                          /* %18 = OpLabel */
	SPIRV_OP(5, 65), 13, 19, 2, 15,                /* %19 = OpAccessChain %13 %2 %15 */
	SPIRV_OP(4, 61), 5, 20, 19,                    /* %20 = OpLoad %5 %19 */
	SPIRV_OP(5, 132), 5, 21, 20, 16,               /* %21 = OpIMul %5 %20 %16 */
	SPIRV_OP(5, 128), 5, 22, 21, 17,               /* %22 = OpIAdd %5 %21 %17 */
	SPIRV_OP(6, 65), 12, 23, 11, 15, 20,           /* %23 = OpAccessChain %12 %11 %15 %20 */
	SPIRV_OP(3, 62), 23, 22,                       /* OpStore %23 %22 */
	SPIRV_OP(1, 253),                              /* OpReturn */
	SPIRV_OP(1, 56),                               /* OpFunctionEnd */
};

const size_t ssbo_spirv_size = sizeof(ssbo_spirv);
