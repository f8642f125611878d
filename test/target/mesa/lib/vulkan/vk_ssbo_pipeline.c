// SPDX-License-Identifier: BSD-2-Clause
#include "vk_ssbo_pipeline.h"

#include <string.h>

#include "../vk_ssbo_shader.h"

/* Evaluate a Vulkan call; on failure name it and return its result. */
#define VK_TRY(call)                       \
	do {                               \
		VkResult vr_ = (call);     \
		if (vr_ != VK_SUCCESS) {   \
			*what = #call;     \
			return vr_;        \
		}                          \
	} while (0)

VkResult vk_ssbo_pipeline_create(VkDevice dev, struct vk_spirv shader, VkBuffer buf, VkDeviceSize offset,
				 VkDeviceSize range, struct vk_ssbo_pipeline *p, const char **what)
{
	memset(p, 0, sizeof(*p));
	p->dev = dev;

	VkShaderModuleCreateInfo smci = {
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = shader.size,
		.pCode = shader.code,
	};
	VK_TRY(vkCreateShaderModule(dev, &smci, NULL, &p->module));
	VkDescriptorSetLayoutBinding binding = {
		.binding = 0,
		.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
		.descriptorCount = 1,
		.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
	};
	VkDescriptorSetLayoutCreateInfo dslci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = 1,
		.pBindings = &binding,
	};
	VK_TRY(vkCreateDescriptorSetLayout(dev, &dslci, NULL, &p->dsl));
	VkPipelineLayoutCreateInfo plci = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1,
		.pSetLayouts = &p->dsl,
	};
	VK_TRY(vkCreatePipelineLayout(dev, &plci, NULL, &p->layout));
	VkComputePipelineCreateInfo cpci = {
		.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
		.stage = {
			.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			.stage = VK_SHADER_STAGE_COMPUTE_BIT,
			.module = p->module,
			.pName = "main",
		},
		.layout = p->layout,
	};
	VK_TRY(vkCreateComputePipelines(dev, VK_NULL_HANDLE, 1, &cpci, NULL, &p->pipeline));

	VkDescriptorPoolSize ps = { .type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .descriptorCount = 1 };
	VkDescriptorPoolCreateInfo dpci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.maxSets = 1,
		.poolSizeCount = 1,
		.pPoolSizes = &ps,
	};
	VK_TRY(vkCreateDescriptorPool(dev, &dpci, NULL, &p->pool));
	VkDescriptorSetAllocateInfo dsai = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorPool = p->pool,
		.descriptorSetCount = 1,
		.pSetLayouts = &p->dsl,
	};
	VK_TRY(vkAllocateDescriptorSets(dev, &dsai, &p->set));

	VkDescriptorBufferInfo dbi = { .buffer = buf, .offset = offset, .range = range };
	VkWriteDescriptorSet w = {
		.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
		.dstSet = p->set,
		.dstBinding = 0,
		.descriptorCount = 1,
		.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
		.pBufferInfo = &dbi,
	};
	vkUpdateDescriptorSets(dev, 1, &w, 0, NULL);
	return VK_SUCCESS;
}

void vk_ssbo_pipeline_dispatch(const struct vk_ssbo_pipeline *p, VkCommandBuffer cmd, uint32_t invocations)
{
	vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->pipeline);
	vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->layout, 0, 1, &p->set, 0, NULL);
	vkCmdDispatch(cmd, invocations / SSBO_LOCAL_SIZE, 1, 1);
}

void vk_ssbo_pipeline_destroy(struct vk_ssbo_pipeline *p)
{
	/* The pool frees the set. */
	if (p->pool)
		vkDestroyDescriptorPool(p->dev, p->pool, NULL);
	if (p->pipeline)
		vkDestroyPipeline(p->dev, p->pipeline, NULL);
	if (p->layout)
		vkDestroyPipelineLayout(p->dev, p->layout, NULL);
	if (p->dsl)
		vkDestroyDescriptorSetLayout(p->dev, p->dsl, NULL);
	if (p->module)
		vkDestroyShaderModule(p->dev, p->module, NULL);
	memset(p, 0, sizeof(*p));
}
