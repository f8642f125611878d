/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers shared by the Vulkan check programs of test/target/mesa/. They
 * make no Vulkan call themselves, so a program that does not use Vulkan
 * (the EGL one, linked with every file of lib/) does not need the loader.
 */
#ifndef PROTM_VK_UTIL_H
#define PROTM_VK_UTIL_H

#include <vulkan/vulkan.h>

/* The name of a VkResult, for diagnostics ("VkResult" for the rare ones). */
const char *vk_result_str(VkResult r);

/*
 * The first memory type allowed by `bits` that has every flag of `want` and
 * none of `avoid`, or -1.
 */
int vk_find_memory_type(const VkPhysicalDeviceMemoryProperties *mp, uint32_t bits, VkMemoryPropertyFlags want,
			VkMemoryPropertyFlags avoid);

/* EXPECT (../lib/ktap.h) that a Vulkan call succeeds, naming the call and its result. */
#define VK_EXPECT(call)                                                            \
	do {                                                                        \
		VkResult vr_ = (call);                                              \
		EXPECT(vr_ == VK_SUCCESS, "%s: %s (%d)", #call, vk_result_str(vr_), vr_); \
	} while (0)

#endif
