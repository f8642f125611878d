/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Image helpers for the vk_* programs that copy through images in normal
 * memory (vk_compute_check.c) and in protected memory
 * (vk_protected_compute_check.c).
 */
#ifndef PROTM_VK_IMAGE_H
#define PROTM_VK_IMAGE_H

#include <stdint.h>

#include <vulkan/vulkan.h>

/*
 * What creates a 2D image of `format`, `w` x `h`, one level, one layer,
 * one sample, with `tiling` and `flags`, usable as a transfer source and
 * destination, initially UNDEFINED.
 */
VkImageCreateInfo vk_image_transfer_info(VkFormat format, uint32_t w, uint32_t h, VkImageTiling tiling,
					 VkImageCreateFlags flags);

/*
 * Record a layout transition of the whole colour image `img` (one level,
 * one layer) from `from` to `to`, ordering it after earlier transfer
 * writes (none from UNDEFINED) and before later transfer reads and writes.
 */
void vk_image_transfer_barrier(VkCommandBuffer cmd, VkImage img, VkImageLayout from, VkImageLayout to);

#endif
