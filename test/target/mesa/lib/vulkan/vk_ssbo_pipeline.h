/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One of our compute shaders (../vk_ssbo_shader.h, ../vk_picture_shader.h:
 * local size SSBO_LOCAL_SIZE, one storage buffer at set 0, binding 0) as a
 * compute pipeline with its storage buffer bound, for the vk_* programs that
 * run them in normal memory (vk_compute_check.c) and in protected memory
 * (vk_protected_compute_check.c).
 */
#ifndef PROTM_VK_SSBO_PIPELINE_H
#define PROTM_VK_SSBO_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include <vulkan/vulkan.h>

struct vk_ssbo_pipeline {
	VkDevice dev;
	VkShaderModule module;
	VkDescriptorSetLayout dsl;
	VkPipelineLayout layout;
	VkPipeline pipeline;
	VkDescriptorPool pool;
	VkDescriptorSet set;
};

/* A shader's SPIR-V words and their size in bytes. */
struct vk_spirv {
	const uint32_t *code;
	size_t size;
};

/*
 * Create the pipeline of `shader` on `dev` and bind `range` bytes of `buf`
 * at `offset` to its storage buffer. On failure, returns the failing call's
 * result and names the call in *what; what was created is left for
 * vk_ssbo_pipeline_destroy().
 */
VkResult vk_ssbo_pipeline_create(VkDevice dev, struct vk_spirv shader, VkBuffer buf, VkDeviceSize offset,
				 VkDeviceSize range, struct vk_ssbo_pipeline *p, const char **what);

/* Record, into `cmd`, a dispatch of `invocations` (a multiple of SSBO_LOCAL_SIZE). */
void vk_ssbo_pipeline_dispatch(const struct vk_ssbo_pipeline *p, VkCommandBuffer cmd, uint32_t invocations);

/* Destroy what vk_ssbo_pipeline_create() created; a zeroed struct is fine. */
void vk_ssbo_pipeline_destroy(struct vk_ssbo_pipeline *p);

#endif
