// SPDX-License-Identifier: BSD-2-Clause
#include "vk_ssbo_shader.h"

/*
 * The compute shader, SPIR-V 1.0 written by hand (no GLSL compiler on the
 * target, none in the build root). It is what glslang makes of
 *
 *   #version 450
 *   layout(local_size_x = 16) in;
 *   layout(std430, set = 0, binding = 0) buffer B { uint data[]; };
 *   void main() {
 *       uint i = gl_GlobalInvocationID.x;
 *       data[i] = i * 0x9e3779b1u + 0x01234567u;
 *   }
 *
 * minus the names. Ids: 1 main, 2 gl_GlobalInvocationID, 3 void, 4 void(),
 * 5 uint, 6 uvec3, 7 Input uvec3*, 8 uint[], 9 struct B, 10 Uniform B*,
 * 11 the SSBO, 12 Uniform uint*, 13 Input uint*, 14 int, 15 int 0,
 * 16 the multiplier, 17 the addend, 18 the label, 19-23 the body's values.
 */
#define OP(words, opcode) (((uint32_t)(words) << 16) | (opcode))
const uint32_t ssbo_spirv[] = {
	0x07230203, 0x00010000, 0, 24, 0, /* magic, 1.0, generator, id bound, schema */
	OP(2, 17), 1,                                  /* OpCapability Shader */
	OP(3, 14), 0, 1,                               /* OpMemoryModel Logical GLSL450 */
	OP(6, 15), 5, 1, 0x6e69616d, 0, 2,             /* OpEntryPoint GLCompute %1 "main" %2 */
	OP(6, 16), 1, 17, SSBO_LOCAL_SIZE, 1, 1,      /* OpExecutionMode %1 LocalSize 16 1 1 */
	OP(4, 71), 2, 11, 28,                          /* OpDecorate %2 BuiltIn GlobalInvocationId */
	OP(4, 71), 8, 6, 4,                            /* OpDecorate %8 ArrayStride 4 */
	OP(5, 72), 9, 0, 35, 0,                        /* OpMemberDecorate %9 0 Offset 0 */
	OP(3, 71), 9, 3,                               /* OpDecorate %9 BufferBlock */
	OP(4, 71), 11, 34, 0,                          /* OpDecorate %11 DescriptorSet 0 */
	OP(4, 71), 11, 33, 0,                          /* OpDecorate %11 Binding 0 */
	OP(2, 19), 3,                                  /* %3 = OpTypeVoid */
	OP(3, 33), 4, 3,                               /* %4 = OpTypeFunction %3 */
	OP(4, 21), 5, 32, 0,                           /* %5 = OpTypeInt 32 0 */
	OP(4, 21), 14, 32, 1,                          /* %14 = OpTypeInt 32 1 */
	OP(4, 23), 6, 5, 3,                            /* %6 = OpTypeVector %5 3 */
	OP(4, 32), 7, 1, 6,                            /* %7 = OpTypePointer Input %6 */
	OP(4, 59), 7, 2, 1,                            /* %2 = OpVariable %7 Input */
	OP(3, 29), 8, 5,                               /* %8 = OpTypeRuntimeArray %5 */
	OP(3, 30), 9, 8,                               /* %9 = OpTypeStruct %8 */
	OP(4, 32), 10, 2, 9,                           /* %10 = OpTypePointer Uniform %9 */
	OP(4, 59), 10, 11, 2,                          /* %11 = OpVariable %10 Uniform */
	OP(4, 32), 12, 2, 5,                           /* %12 = OpTypePointer Uniform %5 */
	OP(4, 32), 13, 1, 5,                           /* %13 = OpTypePointer Input %5 */
	OP(4, 43), 14, 15, 0,                          /* %15 = OpConstant %14 0 */
	OP(4, 43), 5, 16, SSBO_MUL,                    /* %16 = OpConstant %5 multiplier */
	OP(4, 43), 5, 17, SSBO_ADD,                    /* %17 = OpConstant %5 addend */
	OP(5, 54), 3, 1, 0, 4,                         /* %1 = OpFunction %3 None %4 */
	OP(2, 248), 18,                                /* %18 = OpLabel */
	OP(5, 65), 13, 19, 2, 15,                      /* %19 = OpAccessChain %13 %2 %15 */
	OP(4, 61), 5, 20, 19,                          /* %20 = OpLoad %5 %19 */
	OP(5, 132), 5, 21, 20, 16,                     /* %21 = OpIMul %5 %20 %16 */
	OP(5, 128), 5, 22, 21, 17,                     /* %22 = OpIAdd %5 %21 %17 */
	OP(6, 65), 12, 23, 11, 15, 20,                 /* %23 = OpAccessChain %12 %11 %15 %20 */
	OP(3, 62), 23, 22,                             /* OpStore %23 %22 */
	OP(1, 253),                                    /* OpReturn */
	OP(1, 56),                                     /* OpFunctionEnd */
};

const size_t ssbo_spirv_size = sizeof(ssbo_spirv);
