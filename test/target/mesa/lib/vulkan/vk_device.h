/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Vulkan instance and device set-up the vk_* programs of
 * test/target/mesa/ share. Unlike the files of lib/, this makes Vulkan
 * calls: the build links lib/vulkan/ into the vk_* programs only, so the
 * EGL program does not need the Vulkan loader.
 */
#ifndef PROTM_VK_DEVICE_H
#define PROTM_VK_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include <vulkan/vulkan.h>

/*
 * A Vulkan 1.1 instance for the application `app` and its first physical
 * device. VK_SUCCESS with *pdev set, or with *pdev VK_NULL_HANDLE when
 * the loader finds no device; VK_ERROR_INCOMPATIBLE_DRIVER when there is
 * no driver (then *instance is VK_NULL_HANDLE); otherwise the failing
 * call's result, diagnosed.
 */
VkResult vk_open_first_device(const char *app, VkInstance *instance, VkPhysicalDevice *pdev);

/* What a physical device reports of protected memory. */
struct vk_protected_support {
	bool feature;	 /* VkPhysicalDeviceProtectedMemoryFeatures::protectedMemory */
	int family;	 /* the first queue family with VK_QUEUE_PROTECTED_BIT, -1: none */
	int memory_type; /* the first memory type with VK_MEMORY_PROPERTY_PROTECTED_BIT, -1: none */
};

void vk_query_protected(VkPhysicalDevice pdev, struct vk_protected_support *p);

/*
 * A device with protectedMemory enabled, the `ext_count` extensions
 * `exts`, and two queues of `family`: a protected one
 * (VK_DEVICE_QUEUE_CREATE_PROTECTED_BIT) and an unprotected one, each
 * fetched with vkGetDeviceQueue2 and its own flags (VK_NULL_HANDLE if the
 * driver gives none). Returns vkCreateDevice's result.
 */
VkResult vk_create_protected_device(VkPhysicalDevice pdev, uint32_t family, const char *const *exts,
				    uint32_t ext_count, VkDevice *dev, VkQueue *prot_queue, VkQueue *queue);

#endif
