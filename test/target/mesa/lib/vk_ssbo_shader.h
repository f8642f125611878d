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

/* The SPIR-V words, and their size in bytes (VkShaderModuleCreateInfo::codeSize). */
extern const uint32_t ssbo_spirv[];
extern const size_t ssbo_spirv_size;

/* The word invocation `i` stores. */
static inline uint32_t ssbo_value(uint32_t i)
{
	return i * SSBO_MUL + SSBO_ADD;
}

#endif
