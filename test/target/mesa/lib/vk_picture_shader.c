// SPDX-License-Identifier: BSD-2-Clause
#include "vk_picture_shader.h"

/*
 * SPIR-V 1.0 written by hand, as vk_ssbo_shader.c's (same types and ids 1-15).
 * It is what glslang makes of
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
 * minus the names. Ids: 1 main, 2 gl_GlobalInvocationID, 3 void, 4 void(),
 * 5 uint, 6 uvec3, 7 Input uvec3*, 8 uint[], 9 struct B, 10 Uniform B*,
 * 11 the SSBO, 12 Uniform uint*, 13 Input uint*, 14 int, 15 int 0,
 * 16-21 the uint constants 63, 6, 2, 8, 16, 0xff000000, 22 the label,
 * 23-36 the body's values.
 */
#define OP(words, opcode) (((uint32_t)(words) << 16) | (opcode))
const uint32_t picture_spirv[] = {
	0x07230203, 0x00010000, 0, 37, 0, /* magic, 1.0, generator, id bound, schema */
	OP(2, 17), 1,                                  /* OpCapability Shader */
	OP(3, 14), 0, 1,                               /* OpMemoryModel Logical GLSL450 */
	OP(6, 15), 5, 1, 0x6e69616d, 0, 2,             /* OpEntryPoint GLCompute %1 "main" %2 */
	OP(6, 16), 1, 17, PICTURE_LOCAL_SIZE, 1, 1,    /* OpExecutionMode %1 LocalSize 16 1 1 */
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
	OP(4, 43), 5, 16, PICTURE_W - 1,               /* %16 = OpConstant %5 63 */
	OP(4, 43), 5, 17, 6,                           /* %17 = OpConstant %5 6 */
	OP(4, 43), 5, 18, 2,                           /* %18 = OpConstant %5 2 */
	OP(4, 43), 5, 19, 8,                           /* %19 = OpConstant %5 8 */
	OP(4, 43), 5, 20, 16,                          /* %20 = OpConstant %5 16 */
	OP(4, 43), 5, 21, 0xff000000u,                 /* %21 = OpConstant %5 0xff000000 */
	OP(5, 54), 3, 1, 0, 4,                         /* %1 = OpFunction %3 None %4 */
	OP(2, 248), 22,                                /* %22 = OpLabel */
	OP(5, 65), 13, 23, 2, 15,                      /* %23 = OpAccessChain %13 %2 %15 */
	OP(4, 61), 5, 24, 23,                          /* %24 = OpLoad %5 %23: i */
	OP(5, 199), 5, 25, 24, 16,                     /* %25 = OpBitwiseAnd %5 %24 %16: x */
	OP(5, 194), 5, 26, 24, 17,                     /* %26 = OpShiftRightLogical %5 %24 %17: y */
	OP(5, 198), 5, 27, 25, 26,                     /* %27 = OpBitwiseXor %5 %25 %26 */
	OP(5, 196), 5, 28, 27, 18,                     /* %28 = OpShiftLeftLogical %5 %27 %18: R */
	OP(5, 196), 5, 29, 25, 18,                     /* %29 = OpShiftLeftLogical %5 %25 %18 */
	OP(5, 196), 5, 30, 29, 19,                     /* %30 = OpShiftLeftLogical %5 %29 %19: G */
	OP(5, 196), 5, 31, 26, 18,                     /* %31 = OpShiftLeftLogical %5 %26 %18 */
	OP(5, 196), 5, 32, 31, 20,                     /* %32 = OpShiftLeftLogical %5 %31 %20: B */
	OP(5, 197), 5, 33, 28, 30,                     /* %33 = OpBitwiseOr %5 %28 %30 */
	OP(5, 197), 5, 34, 33, 32,                     /* %34 = OpBitwiseOr %5 %33 %32 */
	OP(5, 197), 5, 35, 34, 21,                     /* %35 = OpBitwiseOr %5 %34 %21: A */
	OP(6, 65), 12, 36, 11, 15, 24,                 /* %36 = OpAccessChain %12 %11 %15 %24 */
	OP(3, 62), 36, 35,                             /* OpStore %36 %35 */
	OP(1, 253),                                    /* OpReturn */
	OP(1, 56),                                     /* OpFunctionEnd */
};

const size_t picture_spirv_size = sizeof(picture_spirv);
