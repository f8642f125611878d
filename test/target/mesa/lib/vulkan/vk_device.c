// SPDX-License-Identifier: BSD-2-Clause
#include "vk_device.h"

#include "../../../lib/ktap.h"
#include "../vk_util.h"

VkResult vk_open_first_device(const char *app, VkInstance *instance, VkPhysicalDevice *pdev)
{
	VkPhysicalDevice pdevs[8];
	uint32_t n = 8;
	VkResult vr;

	VkApplicationInfo ai = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = app,
		.apiVersion = VK_API_VERSION_1_1,
	};
	VkInstanceCreateInfo ici = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &ai,
	};

	*instance = VK_NULL_HANDLE;
	*pdev = VK_NULL_HANDLE;
	vr = vkCreateInstance(&ici, NULL, instance);
	if (vr == VK_ERROR_INCOMPATIBLE_DRIVER) {
		*instance = VK_NULL_HANDLE;
		return vr;
	}
	if (vr) {
		ktap_diag("vkCreateInstance: %s (%d)", vk_result_str(vr), vr);
		*instance = VK_NULL_HANDLE;
		return vr;
	}
	vr = vkEnumeratePhysicalDevices(*instance, &n, pdevs);
	if (vr != VK_SUCCESS && vr != VK_INCOMPLETE) {
		ktap_diag("vkEnumeratePhysicalDevices: %s (%d)", vk_result_str(vr), vr);
		return vr;
	}
	if (n)
		*pdev = pdevs[0];
	return VK_SUCCESS;
}

void vk_query_protected(VkPhysicalDevice pdev, struct vk_protected_support *p)
{
	VkPhysicalDeviceProtectedMemoryFeatures pmf = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROTECTED_MEMORY_FEATURES,
	};
	VkPhysicalDeviceFeatures2 f2 = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
		.pNext = &pmf,
	};
	VkPhysicalDeviceMemoryProperties mp;
	VkQueueFamilyProperties qf[8];
	uint32_t nq = 8;

	vkGetPhysicalDeviceFeatures2(pdev, &f2);
	p->feature = pmf.protectedMemory;
	vkGetPhysicalDeviceQueueFamilyProperties(pdev, &nq, qf);
	p->family = -1;
	for (uint32_t i = 0; i < nq && p->family < 0; i++)
		if (qf[i].queueFlags & VK_QUEUE_PROTECTED_BIT)
			p->family = (int)i;
	vkGetPhysicalDeviceMemoryProperties(pdev, &mp);
	p->memory_type = vk_find_memory_type(&mp, ~0u, VK_MEMORY_PROPERTY_PROTECTED_BIT, 0);
}

VkResult vk_create_protected_device(VkPhysicalDevice pdev, uint32_t family, const char *const *exts,
				    uint32_t ext_count, VkDevice *dev, VkQueue *prot_queue, VkQueue *queue)
{
	VkPhysicalDeviceProtectedMemoryFeatures pmf = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROTECTED_MEMORY_FEATURES,
		.protectedMemory = VK_TRUE,
	};
	VkPhysicalDeviceFeatures2 f2 = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
		.pNext = &pmf,
	};
	float prio = 1.0f;
	VkDeviceQueueCreateInfo qci[2] = {
		{
			.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
			.flags = VK_DEVICE_QUEUE_CREATE_PROTECTED_BIT,
			.queueFamilyIndex = family,
			.queueCount = 1,
			.pQueuePriorities = &prio,
		},
		{
			.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
			.queueFamilyIndex = family,
			.queueCount = 1,
			.pQueuePriorities = &prio,
		},
	};
	VkDeviceCreateInfo dci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
		.pNext = &f2,
		.queueCreateInfoCount = 2,
		.pQueueCreateInfos = qci,
		.enabledExtensionCount = ext_count,
		.ppEnabledExtensionNames = exts,
	};
	VkDeviceQueueInfo2 qi = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_INFO_2,
		.flags = VK_DEVICE_QUEUE_CREATE_PROTECTED_BIT,
		.queueFamilyIndex = family,
	};
	VkResult vr;

	*dev = VK_NULL_HANDLE;
	*prot_queue = *queue = VK_NULL_HANDLE;
	vr = vkCreateDevice(pdev, &dci, NULL, dev);
	if (vr) {
		*dev = VK_NULL_HANDLE;
		return vr;
	}
	vkGetDeviceQueue2(*dev, &qi, prot_queue);
	qi.flags = 0;
	vkGetDeviceQueue2(*dev, &qi, queue);
	return VK_SUCCESS;
}
