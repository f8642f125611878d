/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Our SSBO compute shader, shared by the Vulkan programs that run it in
 * normal memory (vk_compute_check.c) and in protected memory
 * (vk_protected_compute_check.c). Data only: no Vulkan call, so the EGL
 * program, linked with every file of lib/, needs no loader.
 *
 * Every invocation i (local size SSBO_LOCAL_SIZE) stores
 * data[i] = i * SSBO_MUL + SSBO_ADD into the storage buffer at set 0,
 * binding 0.
 */
#ifndef PROTM_VK_SSBO_SHADER_H
#define PROTM_VK_SSBO_SHADER_H

#include <stddef.h>
#include <stdint.h>

#define SSBO_LOCAL_SIZE 16
#define SSBO_MUL 0x9e3779b1u
#define SSBO_ADD 0x01234567u

/* A SPIR-V instruction's first word: its word count and opcode. */
#define SPIRV_OP(words, opcode) (((uint32_t)(words) << 16) | (opcode))

/*
 * The words every one of our shaders starts with (SPIR-V 1.0, by hand: no
 * GLSL compiler on the target, none in the build root): the header with the
 * shader's id `bound`, the entry point %1 "main" of local size
 * SSBO_LOCAL_SIZE reading %2 (gl_GlobalInvocationID), the storage buffer %11
 * at set 0, binding 0, and the ids below. The shader's own constants start
 * at %16.
 *
 * Ids: 1 main, 2 gl_GlobalInvocationID, 3 void, 4 void(), 5 uint, 6 uvec3,
 * 7 Input uvec3*, 8 uint[], 9 struct B { uint data[]; }, 10 Uniform B*,
 * 11 the SSBO, 12 Uniform uint*, 13 Input uint*, 14 int, 15 int 0.
 */
#define SSBO_SPIRV_PREAMBLE(bound)                                                                  \
	0x07230203, 0x00010000, 0, (bound), 0, /* magic, 1.0, generator, id bound, schema */          \
	SPIRV_OP(2, 17), 1,                       /* OpCapability Shader */                           \
	SPIRV_OP(3, 14), 0, 1,                    /* OpMemoryModel Logical GLSL450 */                 \
	SPIRV_OP(6, 15), 5, 1, 0x6e69616d, 0, 2,  /* OpEntryPoint GLCompute %1 "main" %2 */          \
	SPIRV_OP(6, 16), 1, 17, SSBO_LOCAL_SIZE, 1, 1, /* OpExecutionMode %1 LocalSize 16 1 1 */      \
	SPIRV_OP(4, 71), 2, 11, 28,               /* OpDecorate %2 BuiltIn GlobalInvocationId */      \
	SPIRV_OP(4, 71), 8, 6, 4,                 /* OpDecorate %8 ArrayStride 4 */                   \
	SPIRV_OP(5, 72), 9, 0, 35, 0,             /* OpMemberDecorate %9 0 Offset 0 */                \
	SPIRV_OP(3, 71), 9, 3,                    /* OpDecorate %9 BufferBlock */                     \
	SPIRV_OP(4, 71), 11, 34, 0,               /* OpDecorate %11 DescriptorSet 0 */                \
	SPIRV_OP(4, 71), 11, 33, 0,               /* OpDecorate %11 Binding 0 */                      \
	SPIRV_OP(2, 19), 3,                       /* %3 = OpTypeVoid */                               \
	SPIRV_OP(3, 33), 4, 3,                    /* %4 = OpTypeFunction %3 */                        \
	SPIRV_OP(4, 21), 5, 32, 0,                /* %5 = OpTypeInt 32 0 */                           \
	SPIRV_OP(4, 21), 14, 32, 1,               /* %14 = OpTypeInt 32 1 */                          \
	SPIRV_OP(4, 23), 6, 5, 3,                 /* %6 = OpTypeVector %5 3 */                        \
	SPIRV_OP(4, 32), 7, 1, 6,                 /* %7 = OpTypePointer Input %6 */                   \
	SPIRV_OP(4, 59), 7, 2, 1,                 /* %2 = OpVariable %7 Input */                      \
	SPIRV_OP(3, 29), 8, 5,                    /* %8 = OpTypeRuntimeArray %5 */                    \
	SPIRV_OP(3, 30), 9, 8,                    /* %9 = OpTypeStruct %8 */                          \
	SPIRV_OP(4, 32), 10, 2, 9,                /* %10 = OpTypePointer Uniform %9 */                \
	SPIRV_OP(4, 59), 10, 11, 2,               /* %11 = OpVariable %10 Uniform */                  \
	SPIRV_OP(4, 32), 12, 2, 5,                /* %12 = OpTypePointer Uniform %5 */                \
	SPIRV_OP(4, 32), 13, 1, 5,                /* %13 = OpTypePointer Input %5 */                  \
	SPIRV_OP(4, 43), 14, 15, 0                /* %15 = OpConstant %14 0 */

/* The SPIR-V words, and their size in bytes (VkShaderModuleCreateInfo::codeSize). */
extern const uint32_t ssbo_spirv[];
extern const size_t ssbo_spirv_size;

/* The word invocation `i` stores. */
static inline uint32_t ssbo_value(uint32_t i)
{
	return i * SSBO_MUL + SSBO_ADD;
}

#endif
