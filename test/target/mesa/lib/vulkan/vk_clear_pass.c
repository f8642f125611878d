// SPDX-License-Identifier: BSD-2-Clause
#include "vk_clear_pass.h"

VkResult vk_clear_pass_create(VkDevice dev, struct vk_clear_pass *p, VkFormat format, VkImageAspectFlags aspect,
			      uint32_t w, uint32_t h)
{
	const int depth = !!(aspect & (VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT));
	const int stencil = !!(aspect & VK_IMAGE_ASPECT_STENCIL_BIT);
	const VkAttachmentDescription att = {
		.format = format,
		.samples = VK_SAMPLE_COUNT_1_BIT,
		.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR,
		.storeOp = VK_ATTACHMENT_STORE_OP_STORE,
		.stencilLoadOp = stencil ? VK_ATTACHMENT_LOAD_OP_CLEAR : VK_ATTACHMENT_LOAD_OP_DONT_CARE,
		.stencilStoreOp = stencil ? VK_ATTACHMENT_STORE_OP_STORE : VK_ATTACHMENT_STORE_OP_DONT_CARE,
		.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
		.finalLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
	};
	const VkAttachmentReference ref = { 0, depth ? VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL
						    : VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL };
	const VkSubpassDescription subpass = {
		.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS,
		.colorAttachmentCount = depth ? 0 : 1,
		.pColorAttachments = depth ? NULL : &ref,
		.pDepthStencilAttachment = depth ? &ref : NULL,
	};
	/* The copy after the pass reads what the clear wrote. */
	const VkSubpassDependency dep = {
		.srcSubpass = 0,
		.dstSubpass = VK_SUBPASS_EXTERNAL,
		.srcStageMask = depth ? VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT
				      : VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
		.dstStageMask = VK_PIPELINE_STAGE_TRANSFER_BIT,
		.srcAccessMask = depth ? VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT
				       : VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
	};
	const VkRenderPassCreateInfo rpci = {
		.sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO,
		.attachmentCount = 1,
		.pAttachments = &att,
		.subpassCount = 1,
		.pSubpasses = &subpass,
		.dependencyCount = 1,
		.pDependencies = &dep,
	};
	const VkImageViewCreateInfo ivci = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
		.image = p->img,
		.viewType = VK_IMAGE_VIEW_TYPE_2D,
		.format = format,
		.subresourceRange = { aspect, 0, 1, 0, 1 },
	};
	VkResult vr;

	p->w = w;
	p->h = h;
	vr = vkCreateImageView(dev, &ivci, NULL, &p->view);
	if (!vr)
		vr = vkCreateRenderPass(dev, &rpci, NULL, &p->pass);
	if (vr)
		return vr;
	const VkFramebufferCreateInfo fci = {
		.sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO,
		.renderPass = p->pass,
		.attachmentCount = 1,
		.pAttachments = &p->view,
		.width = w,
		.height = h,
		.layers = 1,
	};
	return vkCreateFramebuffer(dev, &fci, NULL, &p->fb);
}

void vk_clear_pass_destroy(VkDevice dev, struct vk_clear_pass *p)
{
	vkDestroyFramebuffer(dev, p->fb, NULL);
	vkDestroyRenderPass(dev, p->pass, NULL);
	vkDestroyImageView(dev, p->view, NULL);
	vkDestroyImage(dev, p->img, NULL);
	vkFreeMemory(dev, p->mem, NULL);
	*p = (struct vk_clear_pass){ 0 };
}

void vk_clear_pass_record(VkCommandBuffer cmd, const struct vk_clear_pass *p, const VkClearValue *clear,
			  VkImageAspectFlags aspect, VkBuffer dst, VkDeviceSize off)
{
	const VkRenderPassBeginInfo rpbi = {
		.sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO,
		.renderPass = p->pass,
		.framebuffer = p->fb,
		.renderArea = { { 0, 0 }, { p->w, p->h } },
		.clearValueCount = 1,
		.pClearValues = clear,
	};
	const VkImageAspectFlags both = VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT;
	/* A depth/stencil image's aspects copy out one at a time: depth first, stencil after it. */
	const VkBufferImageCopy r[2] = {
		{
			.bufferOffset = off,
			.imageSubresource = { (aspect & both) == both ? VK_IMAGE_ASPECT_DEPTH_BIT : aspect, 0, 0, 1 },
			.imageExtent = { p->w, p->h, 1 },
		},
		{
			.bufferOffset = off + (VkDeviceSize)p->w * p->h * 4,
			.imageSubresource = { VK_IMAGE_ASPECT_STENCIL_BIT, 0, 0, 1 },
			.imageExtent = { p->w, p->h, 1 },
		},
	};

	vkCmdBeginRenderPass(cmd, &rpbi, VK_SUBPASS_CONTENTS_INLINE);
	vkCmdEndRenderPass(cmd);
	vkCmdCopyImageToBuffer(cmd, p->img, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, dst, (aspect & both) == both ? 2 : 1,
			       r);
}
