/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A render pass that clears one attachment on load and draws nothing (a
 * fragment job alone), with its image copied out after it: for the
 * programs that check clears in normal memory (vk_compute_check.c) and in
 * protected memory (vk_protected_compute_check.c).
 */
#ifndef PROTM_VK_CLEAR_PASS_H
#define PROTM_VK_CLEAR_PASS_H

#include <stdint.h>

#include <vulkan/vulkan.h>

/* The attachment's image (the caller's, bound to memory), and what this file makes for it. */
struct vk_clear_pass {
	VkImage img;
	VkDeviceMemory mem;
	VkImageView view;
	VkRenderPass pass;
	VkFramebuffer fb;
	uint32_t w, h;
};

/*
 * Makes p's view, render pass and framebuffer for p->img, a `w` x `h`
 * image of `format` whose `aspect` (colour, depth, or depth and stencil)
 * is cleared on load and stored, left in TRANSFER_SRC_OPTIMAL for the copy
 * out.
 */
VkResult vk_clear_pass_create(VkDevice dev, struct vk_clear_pass *p, VkFormat format, VkImageAspectFlags aspect,
			      uint32_t w, uint32_t h);

/* Destroys what p holds, its image and memory included (null handles are fine). */
void vk_clear_pass_destroy(VkDevice dev, struct vk_clear_pass *p);

/*
 * Records p's pass with `clear`, then a copy of its image's `aspect` into
 * `dst` at `off`; depth and stencil both: depth at `off` (4 bytes a
 * texel), stencil (1 byte a texel) right after it.
 */
void vk_clear_pass_record(VkCommandBuffer cmd, const struct vk_clear_pass *p, const VkClearValue *clear,
			  VkImageAspectFlags aspect, VkBuffer dst, VkDeviceSize off);

#endif
