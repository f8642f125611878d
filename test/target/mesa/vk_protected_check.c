// SPDX-License-Identifier: BSD-2-Clause
/*
 * protm-vk-protected: KTAP suite "vk-protected", Vulkan protected memory through
 * Mesa's panvk (mesa-patches/) on Panthor, or on Mesa's drm-shim on a host
 * without a GPU:
 *
 *   - unprotected Vulkan still works: a device, host-visible memory that
 *     maps, a command buffer whose fence signals;
 *   - the protectedMemory feature, a queue family with
 *     VK_QUEUE_PROTECTED_BIT and a DEVICE_LOCAL | PROTECTED memory type
 *     that is never host visible, all three or none;
 *   - a device with a protected queue and an unprotected queue of the same
 *     family, told apart by vkGetDeviceQueue2's flags;
 *   - protected memory allocated and bound to a protected buffer (whose
 *     memoryTypeBits name only protected types), and vkMapMemory refusing
 *     it (VK_ERROR_MEMORY_MAP_FAILED);
 *   - a command buffer from a protected pool, with work that needs no
 *     shader (an event, a barrier), submitted with protectedSubmit: its
 *     fence signals, and on a GPU, Panthor's debugfs protm_stats counts an
 *     entry into protected mode for it and the GPU leaves protected mode
 *     afterwards; an unprotected command buffer causes no entry;
 *   - a protected command buffer with GPU work between its synchronisation:
 *     a fill of the protected buffer (a compute job), then an event and a
 *     barrier: its fence signals, the event is set, and on a GPU it enters
 *     protected mode (the fill writes protected memory, the event and the
 *     barrier write normal memory, which protected work can't).
 *
 * Usage: protm-vk-protected [--expect-protected yes|no|any]
 *
 *   yes (default): protected memory must be there and work;
 *   no:  its absence is the expected outcome (a kernel without protected
 *        mode, or before protected mode was set up): the feature, the
 *        queue family bit and the memory type must all be missing, and a
 *        device asking for protectedMemory must be refused with
 *        VK_ERROR_FEATURE_NOT_PRESENT; unprotected Vulkan must still work;
 *   any: a device without protected memory makes the protected cases SKIP
 *        with the reason.
 *
 * PROTM_EXPECT_GPU=1 (set by the target's init when the host booted the
 * Mali model) says a real GPU runs the work: then a missing Vulkan device
 * or missing protm_stats fail instead of skipping, and the event set by
 * the command buffers must be seen set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vulkan/vulkan.h>

#include "../lib/ktap.h"
#include "../lib/sys.h"
#include "lib/vk_util.h"
#include "lib/vulkan/vk_device.h"

#define SUITE "vk-protected"
#define CASES 12
#define FENCE_TIMEOUT_NS (10ull * 1000 * 1000 * 1000)
/*
 * The TEE's protected pool is small and shared: the dynamic profile's is
 * 1 MiB in all, of which protected-mode setup keeps 256 KiB and every
 * protected group its suspend buffer. Ask for a few pages only.
 */
#define PROT_BUF_SIZE (64 * 1024)

enum expect { EXPECT_ANY, EXPECT_PROTECTED, EXPECT_ABSENT };

struct ctx {
	enum expect expect;
	/* PROTM_EXPECT_GPU=1: a GPU that runs the work (the Mali model). */
	bool gpu_expected;
	/* That, or PROTM_EXPECT_DEVICE=1: a device that may run nothing (drm-shim). */
	bool device_expected;

	VkInstance instance;
	VkPhysicalDevice pdev;
	bool have_pdev;

	bool prot_feature;
	int prot_family; /* -1: none */
	int prot_type;   /* -1: none */
	int host_type;   /* a HOST_VISIBLE type, -1: none */

	VkDevice dev;    /* with the protected and the unprotected queue */
	VkQueue prot_queue, queue;
	VkBuffer prot_buf;
	VkDeviceMemory prot_mem;
};

/* ---- Panthor's debugfs protm_stats --------------------------------------- */

struct protm_counts {
	long long active, entries;
};

/* 0, or ENOENT when there is no Panthor protm_stats (drm-shim, no debugfs). */
static int protm_counts_read(struct protm_counts *s)
{
	char line[128];
	FILE *f = NULL;
	glob_t g;
	size_t i;

	if (glob("/sys/kernel/debug/dri/*/protm_stats", 0, NULL, &g))
		return ENOENT;
	for (i = 0; i < g.gl_pathc && !f; i++)
		f = fopen(g.gl_pathv[i], "re");
	globfree(&g);
	if (!f)
		return ENOENT;
	s->active = 0;
	s->entries = -1;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "active: %lld", &s->active);
		sscanf(line, "entries: %lld", &s->entries);
	}
	fclose(f);
	return s->entries < 0 ? EPROTO : 0;
}

/* Waits up to `ms` for the GPU to be out of protected mode. */
static int protm_wait_inactive(struct protm_counts *s, int ms)
{
	int rc;

	for (; ms >= 0; ms -= 2) {
		rc = protm_counts_read(s);
		if (rc || !s->active)
			return rc;
		usleep(2000);
	}
	return ETIMEDOUT;
}

/* ---- helpers ---------------------------------------------------------------- */

/* SKIP, or FAIL when `expected` says the host promised it. */
static enum ktap_result missing(bool expected, const char *var, char *skip, size_t skip_len, const char *why)
{
	if (expected) {
		ktap_diag("%s, but %s", why, var);
		return KTAP_FAIL;
	}
	snprintf(skip, skip_len, "%s", why);
	return KTAP_SKIP;
}

/* No Vulkan device: drm-shim gives one too. */
static enum ktap_result no_device(struct ctx *c, char *skip, size_t skip_len, const char *why)
{
	return missing(c->device_expected, "PROTM_EXPECT_GPU or PROTM_EXPECT_DEVICE is 1", skip, skip_len, why);
}

/* Something only a GPU with Panthor gives (its debugfs). */
static enum ktap_result no_gpu(struct ctx *c, char *skip, size_t skip_len, const char *why)
{
	return missing(c->gpu_expected, "PROTM_EXPECT_GPU=1", skip, skip_len, why);
}

/*
 * Outcome of a check whose subject is protected support (`present`), given
 * what the command line said to expect.
 */
static enum ktap_result judge_presence(struct ctx *c, bool present, const char *what, char *skip,
				       size_t skip_len)
{
	switch (c->expect) {
	case EXPECT_PROTECTED:
		if (!present)
			ktap_diag("%s missing, protected memory was expected", what);
		return present ? KTAP_PASS : KTAP_FAIL;
	case EXPECT_ABSENT:
		if (present)
			ktap_diag("%s present, its absence was expected", what);
		return present ? KTAP_FAIL : KTAP_PASS;
	case EXPECT_ANY:
	default:
		if (present)
			return KTAP_PASS;
		snprintf(skip, skip_len, "%s: not supported (no protected mode, or not set up)", what);
		return KTAP_SKIP;
	}
}

/* Protected cases need the feature: say why they can't run. */
static enum ktap_result need_protected(struct ctx *c, char *skip, size_t skip_len)
{
	if (c->prot_feature && c->prot_family >= 0 && c->prot_type >= 0 && c->dev)
		return KTAP_PASS;
	if (c->expect == EXPECT_PROTECTED) {
		ktap_diag("no protected device to run this on");
		return KTAP_FAIL;
	}
	snprintf(skip, skip_len, "%s",
		 c->expect == EXPECT_ABSENT ? "protected memory absent, as expected" :
					      "no protected memory on this device");
	return KTAP_SKIP;
}

static int find_memory_type(struct ctx *c, uint32_t bits, VkMemoryPropertyFlags want, VkMemoryPropertyFlags avoid)
{
	VkPhysicalDeviceMemoryProperties mp;

	vkGetPhysicalDeviceMemoryProperties(c->pdev, &mp);
	return vk_find_memory_type(&mp, bits, want, avoid);
}

/*
 * Records a command buffer with work that needs no shader: set an event, a
 * full barrier. Submits it to `queue` (protected when `prot`) and waits
 * for its fence.
 */
static enum ktap_result submit_event_work(struct ctx *c, VkDevice dev, VkQueue queue, uint32_t family,
					  bool prot, VkBuffer fill, const char *what)
{
	enum ktap_result res = KTAP_PASS;
	VkCommandPool pool = VK_NULL_HANDLE;
	VkCommandBuffer cmd = VK_NULL_HANDLE;
	VkEvent event = VK_NULL_HANDLE;
	VkFence fence = VK_NULL_HANDLE;
	VkResult vr;

	VkCommandPoolCreateInfo pci = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
		.flags = prot ? VK_COMMAND_POOL_CREATE_PROTECTED_BIT : 0,
		.queueFamilyIndex = family,
	};
	VK_EXPECT(vkCreateCommandPool(dev, &pci, NULL, &pool));
	VkCommandBufferAllocateInfo cai = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.commandPool = pool,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	VK_EXPECT(vkAllocateCommandBuffers(dev, &cai, &cmd));
	VkEventCreateInfo eci = { .sType = VK_STRUCTURE_TYPE_EVENT_CREATE_INFO };
	VK_EXPECT(vkCreateEvent(dev, &eci, NULL, &event));
	VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	VK_EXPECT(vkCreateFence(dev, &fci, NULL, &fence));

	VkCommandBufferBeginInfo bi = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	};
	VK_EXPECT(vkBeginCommandBuffer(cmd, &bi));
	/* GPU work first (a compute job), then synchronisation after it. */
	if (fill)
		vkCmdFillBuffer(cmd, fill, 0, VK_WHOLE_SIZE, 0x5a5a5a5a);
	vkCmdSetEvent(cmd, event, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT);
	VkMemoryBarrier mb = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_MEMORY_READ_BIT | VK_ACCESS_MEMORY_WRITE_BIT,
	};
	vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 1,
			     &mb, 0, NULL, 0, NULL);
	VK_EXPECT(vkEndCommandBuffer(cmd));

	VkProtectedSubmitInfo psi = {
		.sType = VK_STRUCTURE_TYPE_PROTECTED_SUBMIT_INFO,
		.protectedSubmit = VK_TRUE,
	};
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.pNext = prot ? &psi : NULL,
		.commandBufferCount = 1,
		.pCommandBuffers = &cmd,
	};
	VK_EXPECT(vkQueueSubmit(queue, 1, &si, fence));
	vr = vkWaitForFences(dev, 1, &fence, VK_TRUE, FENCE_TIMEOUT_NS);
	EXPECT(vr == VK_SUCCESS, "%s: fence %s (%d)", what, vr == VK_TIMEOUT ? "not signalled after 10 s" :
								    vk_result_str(vr), vr);
	vr = vkGetEventStatus(dev, event);
	if (c->gpu_expected)
		EXPECT(vr == VK_EVENT_SET, "%s: the event the GPU should have set reads %d", what, vr);
	else
		ktap_diag("%s: event %s (no GPU runs the stream under drm-shim)", what,
			  vr == VK_EVENT_SET ? "set" : "not set");
out:
	if (fence)
		vkDestroyFence(dev, fence, NULL);
	if (event)
		vkDestroyEvent(dev, event, NULL);
	if (pool)
		vkDestroyCommandPool(dev, pool, NULL);
	return res;
}

/* ---- cases ------------------------------------------------------------------- */

static enum ktap_result case_device(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	struct vk_protected_support ps;
	VkResult vr;

	vr = vk_open_first_device("protm-vk-protected", &c->instance, &c->pdev);
	if (vr == VK_ERROR_INCOMPATIBLE_DRIVER)
		return no_device(c, skip, skip_len, "no Vulkan driver");
	VK_EXPECT(vr);
	if (!c->pdev)
		return no_device(c, skip, skip_len, "no Vulkan device");

	VkPhysicalDeviceProperties props;
	vkGetPhysicalDeviceProperties(c->pdev, &props);
	ktap_diag("%s, Vulkan %u.%u", props.deviceName, VK_API_VERSION_MAJOR(props.apiVersion),
		  VK_API_VERSION_MINOR(props.apiVersion));
	EXPECT(props.apiVersion >= VK_API_VERSION_1_1, "Vulkan 1.1 is needed for protected memory");
	c->have_pdev = true;

	/* What the physical device reports, for the next cases. */
	vk_query_protected(c->pdev, &ps);
	c->prot_feature = ps.feature;
	c->prot_family = ps.family;
	c->prot_type = ps.memory_type;
	c->host_type = find_memory_type(c, ~0u, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, VK_MEMORY_PROPERTY_PROTECTED_BIT);
out:
	return res;
}

/* Unprotected Vulkan works as before: memory that maps, a submit that completes. */
static enum ktap_result case_unprotected(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	VkDeviceMemory mem = VK_NULL_HANDLE;
	VkDevice dev = VK_NULL_HANDLE;
	VkQueue queue;
	void *map = NULL;

	if (!c->have_pdev)
		return no_device(c, skip, skip_len, "no Vulkan device");
	EXPECT(c->host_type >= 0, "no host-visible memory type");

	float prio = 1.0f;
	VkDeviceQueueCreateInfo qci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
		.queueFamilyIndex = 0,
		.queueCount = 1,
		.pQueuePriorities = &prio,
	};
	VkDeviceCreateInfo dci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
		.queueCreateInfoCount = 1,
		.pQueueCreateInfos = &qci,
	};
	VK_EXPECT(vkCreateDevice(c->pdev, &dci, NULL, &dev));
	vkGetDeviceQueue(dev, 0, 0, &queue);
	EXPECT(queue != VK_NULL_HANDLE, "no queue 0");

	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.allocationSize = 65536,
		.memoryTypeIndex = (uint32_t)c->host_type,
	};
	VK_EXPECT(vkAllocateMemory(dev, &mai, NULL, &mem));
	VK_EXPECT(vkMapMemory(dev, mem, 0, VK_WHOLE_SIZE, 0, &map));
	memset(map, 0x5a, 65536);
	EXPECT(((volatile uint8_t *)map)[65535] == 0x5a, "mapped memory doesn't hold what was written");
	vkUnmapMemory(dev, mem);

	res = submit_event_work(c, dev, queue, 0, false, VK_NULL_HANDLE, "unprotected submit");
out:
	if (mem)
		vkFreeMemory(dev, mem, NULL);
	if (dev)
		vkDestroyDevice(dev, NULL);
	return res;
}

static enum ktap_result case_feature(struct ctx *c, char *skip, size_t skip_len)
{
	if (!c->have_pdev)
		return no_device(c, skip, skip_len, "no Vulkan device");
	return judge_presence(c, c->prot_feature, "protectedMemory", skip, skip_len);
}

static enum ktap_result case_family(struct ctx *c, char *skip, size_t skip_len)
{
	if (!c->have_pdev)
		return no_device(c, skip, skip_len, "no Vulkan device");
	if (c->prot_feature != (c->prot_family >= 0)) {
		ktap_diag("protectedMemory is %d but a queue family with VK_QUEUE_PROTECTED_BIT %s",
			  c->prot_feature, c->prot_family >= 0 ? "exists" : "doesn't exist");
		return KTAP_FAIL;
	}
	if (c->prot_family >= 0)
		ktap_diag("queue family %d is protected-capable", c->prot_family);
	return judge_presence(c, c->prot_family >= 0, "queue family with VK_QUEUE_PROTECTED_BIT", skip, skip_len);
}

static enum ktap_result case_memory_type(struct ctx *c, char *skip, size_t skip_len)
{
	VkPhysicalDeviceMemoryProperties mp;

	if (!c->have_pdev)
		return no_device(c, skip, skip_len, "no Vulkan device");
	if (c->prot_feature != (c->prot_type >= 0)) {
		ktap_diag("protectedMemory is %d but a PROTECTED memory type %s", c->prot_feature,
			  c->prot_type >= 0 ? "exists" : "doesn't exist");
		return KTAP_FAIL;
	}
	if (c->prot_type >= 0) {
		vkGetPhysicalDeviceMemoryProperties(c->pdev, &mp);
		VkMemoryPropertyFlags f = mp.memoryTypes[c->prot_type].propertyFlags;

		ktap_diag("memory type %d: flags 0x%x", c->prot_type, f);
		if (f & (VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT |
			 VK_MEMORY_PROPERTY_HOST_CACHED_BIT)) {
			ktap_diag("the protected memory type is host accessible");
			return KTAP_FAIL;
		}
		if (!(f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)) {
			ktap_diag("the protected memory type is not DEVICE_LOCAL");
			return KTAP_FAIL;
		}
	}
	return judge_presence(c, c->prot_type >= 0, "PROTECTED memory type", skip, skip_len);
}

/*
 * With protected memory: a device with a protected and an unprotected queue
 * of the same family, each found by vkGetDeviceQueue2 with its own flags.
 * Without (--expect-protected no): asking for protectedMemory is refused.
 */
static enum ktap_result case_protected_device(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	VkDevice dev = VK_NULL_HANDLE;
	VkQueue q = VK_NULL_HANDLE;
	VkResult vr;

	if (!c->have_pdev)
		return no_device(c, skip, skip_len, "no Vulkan device");

	uint32_t family = c->prot_family >= 0 ? (uint32_t)c->prot_family : 0;

	if (!c->prot_feature) {
		if (c->expect != EXPECT_ABSENT)
			return need_protected(c, skip, skip_len);
		/* Only the feature request: the queue flag needs the feature. */
		VkPhysicalDeviceProtectedMemoryFeatures pmf = {
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROTECTED_MEMORY_FEATURES,
			.protectedMemory = VK_TRUE,
		};
		VkPhysicalDeviceFeatures2 f2 = {
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
			.pNext = &pmf,
		};
		float prio = 1.0f;
		VkDeviceQueueCreateInfo qci = {
			.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
			.queueFamilyIndex = family,
			.queueCount = 1,
			.pQueuePriorities = &prio,
		};
		VkDeviceCreateInfo dci = {
			.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
			.pNext = &f2,
			.queueCreateInfoCount = 1,
			.pQueueCreateInfos = &qci,
		};
		vr = vkCreateDevice(c->pdev, &dci, NULL, &dev);
		if (vr == VK_SUCCESS)
			vkDestroyDevice(dev, NULL);
		EXPECT(vr == VK_ERROR_FEATURE_NOT_PRESENT,
		       "a device asking for protectedMemory gave %s (%d), not VK_ERROR_FEATURE_NOT_PRESENT",
		       vk_result_str(vr), vr);
		ktap_diag("protectedMemory refused with VK_ERROR_FEATURE_NOT_PRESENT, as expected");
		goto out;
	}

	VK_EXPECT(vk_create_protected_device(c->pdev, family, NULL, 0, &c->dev, &c->prot_queue, &c->queue));
	EXPECT(c->prot_queue != VK_NULL_HANDLE, "vkGetDeviceQueue2(PROTECTED) gave no queue");
	EXPECT(c->queue != VK_NULL_HANDLE, "vkGetDeviceQueue2(0) gave no queue");
	EXPECT(c->queue != c->prot_queue, "the protected and the unprotected queue are the same queue");
	vkGetDeviceQueue(c->dev, family, 0, &q);
	EXPECT(q == c->queue, "vkGetDeviceQueue didn't give the unprotected queue");
out:
	return res;
}

static enum ktap_result case_protected_memory(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_protected(c, skip, skip_len);
	VkBuffer plain = VK_NULL_HANDLE;
	VkMemoryRequirements req;

	if (res != KTAP_PASS)
		return res;

	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.size = PROT_BUF_SIZE,
		.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VK_EXPECT(vkCreateBuffer(c->dev, &bci, NULL, &plain));
	vkGetBufferMemoryRequirements(c->dev, plain, &req);
	EXPECT(!(req.memoryTypeBits & (1u << c->prot_type)),
	       "an unprotected buffer may be bound to protected memory (memoryTypeBits 0x%x)", req.memoryTypeBits);

	bci.flags = VK_BUFFER_CREATE_PROTECTED_BIT;
	VK_EXPECT(vkCreateBuffer(c->dev, &bci, NULL, &c->prot_buf));
	vkGetBufferMemoryRequirements(c->dev, c->prot_buf, &req);
	ktap_diag("protected buffer: memoryTypeBits 0x%x, size %llu", req.memoryTypeBits,
		  (unsigned long long)req.size);
	EXPECT(req.memoryTypeBits & (1u << c->prot_type), "the protected buffer can't use the protected memory type");
	EXPECT(find_memory_type(c, req.memoryTypeBits, 0, VK_MEMORY_PROPERTY_PROTECTED_BIT) < 0,
	       "the protected buffer may be bound to unprotected memory (memoryTypeBits 0x%x)", req.memoryTypeBits);

	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.allocationSize = req.size,
		.memoryTypeIndex = (uint32_t)c->prot_type,
	};
	VK_EXPECT(vkAllocateMemory(c->dev, &mai, NULL, &c->prot_mem));
	VK_EXPECT(vkBindBufferMemory(c->dev, c->prot_buf, c->prot_mem, 0));
out:
	if (plain)
		vkDestroyBuffer(c->dev, plain, NULL);
	return res;
}

static enum ktap_result case_map_refused(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_protected(c, skip, skip_len);
	void *map = (void *)&res;
	VkResult vr;

	if (res != KTAP_PASS)
		return res;
	EXPECT(c->prot_mem, "no protected memory (see the previous case)");
	/*
	 * Invalid usage (the type isn't HOST_VISIBLE), which a driver must
	 * survive: the CPU can't access protected memory, so the map fails.
	 */
	vr = vkMapMemory(c->dev, c->prot_mem, 0, VK_WHOLE_SIZE, 0, &map);
	if (vr == VK_SUCCESS)
		vkUnmapMemory(c->dev, c->prot_mem);
	EXPECT(vr == VK_ERROR_MEMORY_MAP_FAILED, "vkMapMemory on protected memory gave %s (%d)", vk_result_str(vr),
	       vr);
out:
	return res;
}

static enum ktap_result case_protected_submit(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_protected(c, skip, skip_len);

	if (res != KTAP_PASS)
		return res;
	return submit_event_work(c, c->dev, c->prot_queue, (uint32_t)c->prot_family, true, VK_NULL_HANDLE,
				 "protected submit");
}

/* The protected submit, again, watched through Panthor's protm_stats. */
static enum ktap_result case_protm_entered(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_protected(c, skip, skip_len);
	struct protm_counts before, after;
	int rc;

	if (res != KTAP_PASS)
		return res;
	rc = protm_counts_read(&before);
	if (rc)
		return no_gpu(c, skip, skip_len, "no Panthor protm_stats in debugfs (drm-shim or no debugfs)");
	res = submit_event_work(c, c->dev, c->prot_queue, (uint32_t)c->prot_family, true, VK_NULL_HANDLE,
				"protected submit");
	if (res != KTAP_PASS)
		return res;
	rc = protm_wait_inactive(&after, 2000);
	EXPECT(rc == 0, "protected mode still active 2 s after the fence signalled (%s)", strerror(rc));
	ktap_diag("%lld entr%s into protected mode", after.entries - before.entries,
		  after.entries - before.entries == 1 ? "y" : "ies");
	EXPECT(after.entries > before.entries, "the GPU never entered protected mode for the protected submit");
out:
	return res;
}

/* An unprotected command buffer on the same device: no protected mode. */
static enum ktap_result case_unprotected_on_protected_device(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_protected(c, skip, skip_len);
	struct protm_counts before, after;
	bool stats;

	if (res != KTAP_PASS)
		return res;
	stats = protm_counts_read(&before) == 0;
	res = submit_event_work(c, c->dev, c->queue, (uint32_t)c->prot_family, false, VK_NULL_HANDLE,
				"unprotected submit");
	if (res != KTAP_PASS || !stats)
		return res;
	EXPECT(protm_wait_inactive(&after, 2000) == 0, "protected mode active after an unprotected submit");
	EXPECT(after.entries == before.entries, "an unprotected submit entered protected mode (%lld entries)",
	       after.entries - before.entries);
out:
	return res;
}

/*
 * GPU work in a protected command buffer, followed by synchronisation: the
 * fill runs in protected mode and writes the protected buffer, the event
 * and the barrier after it write normal memory and must run outside it.
 */
static enum ktap_result case_protected_work_then_sync(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_protected(c, skip, skip_len);
	struct protm_counts before, after;
	bool stats;

	if (res != KTAP_PASS)
		return res;
	EXPECT(c->prot_buf != VK_NULL_HANDLE, "no protected buffer (see protected_memory_allocated_bound)");
	stats = protm_counts_read(&before) == 0;
	res = submit_event_work(c, c->dev, c->prot_queue, (uint32_t)c->prot_family, true, c->prot_buf,
				"protected fill, event and barrier");
	if (res != KTAP_PASS || !stats)
		return res;
	EXPECT(protm_wait_inactive(&after, 2000) == 0, "protected mode still active 2 s after the fence signalled");
	ktap_diag("%lld entr%s into protected mode", after.entries - before.entries,
		  after.entries - before.entries == 1 ? "y" : "ies");
	EXPECT(after.entries > before.entries, "the GPU never entered protected mode for the protected fill");
out:
	return res;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--expect-protected yes|no|any]\n", argv0);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum ktap_result (*fn)(struct ctx *, char *, size_t);
	} cases[CASES] = {
		{ "vulkan_device", case_device },
		{ "unprotected_device_memory_submit", case_unprotected },
		{ "protected_memory_feature", case_feature },
		{ "protected_queue_family", case_family },
		{ "protected_memory_type", case_memory_type },
		{ "protected_device_and_queues", case_protected_device },
		{ "protected_memory_allocated_bound", case_protected_memory },
		{ "protected_memory_map_refused", case_map_refused },
		{ "protected_command_buffer_fence", case_protected_submit },
		{ "protected_mode_entered_and_left", case_protm_entered },
		{ "unprotected_submit_no_protected_mode", case_unprotected_on_protected_device },
		{ "protected_work_then_synchronisation", case_protected_work_then_sync },
	};
	struct ctx c = { .expect = EXPECT_PROTECTED, .prot_family = -1, .prot_type = -1, .host_type = -1 };
	char skip[256];
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--expect-protected") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "yes")) {
				c.expect = EXPECT_PROTECTED;
			} else if (!strcmp(argv[i], "no")) {
				c.expect = EXPECT_ABSENT;
			} else if (!strcmp(argv[i], "any")) {
				c.expect = EXPECT_ANY;
			} else {
				usage(argv[0]);
				return 2;
			}
		} else {
			usage(argv[0]);
			return 2;
		}
	}
	c.gpu_expected = env_flag("PROTM_EXPECT_GPU");
	c.device_expected = c.gpu_expected || env_flag("PROTM_EXPECT_DEVICE");

	ktap_suite_begin(SUITE, CASES);
	for (i = 0; i < CASES; i++) {
		skip[0] = '\0';
		ktap_case(cases[i].fn(&c, skip, sizeof(skip)), cases[i].name, skip);
	}

	if (c.prot_mem)
		vkFreeMemory(c.dev, c.prot_mem, NULL);
	if (c.prot_buf)
		vkDestroyBuffer(c.dev, c.prot_buf, NULL);
	if (c.dev)
		vkDestroyDevice(c.dev, NULL);
	if (c.instance)
		vkDestroyInstance(c.instance, NULL);
	return ktap_suite_end();
}
