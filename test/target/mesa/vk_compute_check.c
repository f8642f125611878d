// SPDX-License-Identifier: BSD-2-Clause
/*
 * protm-vk-compute: KTAP suite "vk-compute", GPU work through Mesa's panvk
 * in normal memory, each result read back by the CPU and compared byte for
 * byte with what the CPU computes:
 *
 *   - vkCmdFillBuffer, vkCmdUpdateBuffer and vkCmdCopyBuffer into
 *     host-visible memory (panvk runs them as compute shaders of Mesa's
 *     vk_meta), bytes around the written range must stay untouched;
 *   - a compute shader of ours writing a storage buffer (SSBO): every
 *     invocation stores a value made of its global invocation id;
 *   - a 1 MiB vkCmdFillBuffer, five times, each checked, with the median
 *     time from submit to fence (a figure for the README, not a limit).
 *
 * On the Mali model (the target's init sets PROTM_EXPECT_GPU=1) the bytes
 * must match. Without a GPU that runs the work (Mesa's drm-shim on the
 * host) the commands are still recorded and submitted and their fences
 * must signal, but the comparison SKIPs: nothing executes them there.
 *
 * A mismatch is reported with the first differing offset, the bytes found
 * and expected there, and how many bytes differ in total.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vulkan/vulkan.h>

#include "../lib/ktap.h"
#include "lib/vk_ssbo_shader.h"
#include "lib/vk_util.h"
#include "lib/vulkan/vk_device.h"
#include "lib/vulkan/vk_ssbo_pipeline.h"

#define SUITE "vk-compute"
#define CASES 6
/* The model interprets shaders under TCG: generous, a hang still ends. */
#define FENCE_TIMEOUT_NS (60ull * 1000 * 1000 * 1000)
#define BUF_SIZE (64 * 1024)
/* The benchmark's fill: the README's "1 MiB vkCmdFillBuffer", timed. */
#define BIG_SIZE (1024 * 1024)
#define BIG_RUNS 5
/* What the CPU writes around the GPU's range, to see stray writes. */
#define GUARD 0xa5
#define SSBO_INVOCATIONS 256

struct ctx {
	bool gpu_expected;
	VkInstance instance;
	VkPhysicalDevice pdev;
	VkDevice dev;
	VkQueue queue;
	VkCommandPool pool;
};

/* A buffer bound to memory of its own, mapped for the CPU. */
struct hbuf {
	VkBuffer buf;
	VkDeviceMemory mem;
	uint8_t *map;
	VkDeviceSize size;
};

static void hbuf_free(struct ctx *c, struct hbuf *b)
{
	if (b->map)
		vkUnmapMemory(c->dev, b->mem);
	if (b->buf)
		vkDestroyBuffer(c->dev, b->buf, NULL);
	if (b->mem)
		vkFreeMemory(c->dev, b->mem, NULL);
	memset(b, 0, sizeof(*b));
}

static VkResult hbuf_alloc_size(struct ctx *c, struct hbuf *b, VkBufferUsageFlags usage, uint8_t fill,
			       VkDeviceSize size)
{
	VkPhysicalDeviceMemoryProperties mp;
	VkMemoryRequirements req;
	VkResult vr;
	int type;

	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.size = size,
		.usage = usage,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	vr = vkCreateBuffer(c->dev, &bci, NULL, &b->buf);
	if (vr)
		return vr;
	vkGetBufferMemoryRequirements(c->dev, b->buf, &req);
	vkGetPhysicalDeviceMemoryProperties(c->pdev, &mp);
	type = vk_find_memory_type(&mp, req.memoryTypeBits,
				   VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, 0);
	if (type < 0)
		return VK_ERROR_FEATURE_NOT_PRESENT;
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.allocationSize = req.size,
		.memoryTypeIndex = (uint32_t)type,
	};
	vr = vkAllocateMemory(c->dev, &mai, NULL, &b->mem);
	if (!vr)
		vr = vkBindBufferMemory(c->dev, b->buf, b->mem, 0);
	if (!vr)
		vr = vkMapMemory(c->dev, b->mem, 0, VK_WHOLE_SIZE, 0, (void **)&b->map);
	if (!vr) {
		memset(b->map, fill, size);
		b->size = size;
	}
	return vr;
}

static VkResult hbuf_alloc(struct ctx *c, struct hbuf *b, VkBufferUsageFlags usage, uint8_t fill)
{
	return hbuf_alloc_size(c, b, usage, fill, BUF_SIZE);
}

/* A one-time command buffer, recorded by the caller between begin and submit. */
static VkResult cmd_begin(struct ctx *c, VkCommandBuffer *cmd)
{
	VkCommandBufferAllocateInfo cai = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.commandPool = c->pool,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	VkCommandBufferBeginInfo bi = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	};
	VkResult vr = vkAllocateCommandBuffers(c->dev, &cai, cmd);

	return vr ? vr : vkBeginCommandBuffer(*cmd, &bi);
}

/*
 * Makes the GPU's writes visible to the host, ends `cmd`, submits it and
 * waits for its fence. 0, or a diagnostic already printed.
 */
static int cmd_submit_wait(struct ctx *c, VkCommandBuffer cmd, const char *what)
{
	VkFence fence = VK_NULL_HANDLE;
	VkResult vr;
	int rc = -1;

	VkMemoryBarrier mb = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
	};
	vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
			     VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
	vr = vkEndCommandBuffer(cmd);
	if (vr) {
		ktap_diag("%s: vkEndCommandBuffer: %s (%d)", what, vk_result_str(vr), vr);
		return -1;
	}
	VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	vr = vkCreateFence(c->dev, &fci, NULL, &fence);
	if (vr) {
		ktap_diag("%s: vkCreateFence: %s (%d)", what, vk_result_str(vr), vr);
		return -1;
	}
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.commandBufferCount = 1,
		.pCommandBuffers = &cmd,
	};
	vr = vkQueueSubmit(c->queue, 1, &si, fence);
	if (vr) {
		ktap_diag("%s: vkQueueSubmit: %s (%d)", what, vk_result_str(vr), vr);
		goto out;
	}
	vr = vkWaitForFences(c->dev, 1, &fence, VK_TRUE, FENCE_TIMEOUT_NS);
	if (vr == VK_TIMEOUT)
		ktap_diag("%s: fence not signalled after %llu s", what, FENCE_TIMEOUT_NS / 1000000000ull);
	else if (vr == VK_ERROR_DEVICE_LOST)
		ktap_diag("%s: VK_ERROR_DEVICE_LOST: the GPU faulted on the work (see the kernel log)", what);
	else if (vr)
		ktap_diag("%s: vkWaitForFences: %s (%d)", what, vk_result_str(vr), vr);
	else
		rc = 0;
out:
	vkDestroyFence(c->dev, fence, NULL);
	return rc;
}

/*
 * Compares what the GPU left in `got` with `want`, byte for byte. Without a
 * GPU that runs the work, says so and SKIPs.
 */
static enum ktap_result compare(struct ctx *c, const char *what, const uint8_t *got, const uint8_t *want,
				size_t len, char *skip, size_t skip_len)
{
	size_t i, first = len, bad = 0, untouched = 0;

	if (!c->gpu_expected) {
		snprintf(skip, skip_len, "no GPU runs the work here (PROTM_EXPECT_GPU is not 1, e.g. drm-shim): "
					 "submitted and signalled, result not compared");
		return KTAP_SKIP;
	}
	for (i = 0; i < len; i++) {
		if (got[i] != want[i]) {
			if (first == len)
				first = i;
			bad++;
			untouched += got[i] == GUARD;
		}
	}
	if (!bad) {
		ktap_diag("%s: %zu bytes as expected", what, len);
		return KTAP_PASS;
	}
	ktap_diag("%s: %zu of %zu bytes differ, the first at offset 0x%zx:", what, bad, len, first);
	for (i = first & ~(size_t)15; i < len && i < (first & ~(size_t)15) + 32; i += 16) {
		char g[64], w[64];
		int k;

		for (k = 0; k < 16; k++) {
			sprintf(g + 3 * k, " %02x", got[i + k]);
			sprintf(w + 3 * k, " %02x", want[i + k]);
		}
		ktap_diag("  0x%05zx got %s", i, g);
		ktap_diag("  0x%05zx want%s", i, w);
	}
	if (untouched == bad)
		ktap_diag("%s: the GPU wrote none of them (they still hold the CPU's 0x%02x): "
			  "the work did not run or faulted (see the kernel log)", what, GUARD);
	return KTAP_FAIL;
}

/* ---- cases --------------------------------------------------------------------- */

static enum ktap_result case_device(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	VkQueueFamilyProperties qf[8];
	uint32_t nq = 8;
	VkResult vr;

	vr = vk_open_first_device("protm-vk-compute", &c->instance, &c->pdev);
	if (vr == VK_ERROR_INCOMPATIBLE_DRIVER && !c->gpu_expected)
		SKIP("no Vulkan driver");
	VK_EXPECT(vr);
	if (!c->pdev && !c->gpu_expected)
		SKIP("no Vulkan device");
	EXPECT(c->pdev, "no Vulkan device, but PROTM_EXPECT_GPU=1");

	VkPhysicalDeviceProperties props;
	vkGetPhysicalDeviceProperties(c->pdev, &props);
	ktap_diag("%s", props.deviceName);
	vkGetPhysicalDeviceQueueFamilyProperties(c->pdev, &nq, qf);
	EXPECT(nq && (qf[0].queueFlags & VK_QUEUE_COMPUTE_BIT), "queue family 0 has no compute");

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
	VK_EXPECT(vkCreateDevice(c->pdev, &dci, NULL, &c->dev));
	vkGetDeviceQueue(c->dev, 0, 0, &c->queue);
	VkCommandPoolCreateInfo pci = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
		.queueFamilyIndex = 0,
	};
	VK_EXPECT(vkCreateCommandPool(c->dev, &pci, NULL, &c->pool));
out:
	return res;
}

static enum ktap_result need_device(struct ctx *c, char *skip, size_t skip_len)
{
	if (c->pool)
		return KTAP_PASS;
	if (c->gpu_expected) {
		ktap_diag("no Vulkan device (see the first case)");
		return KTAP_FAIL;
	}
	snprintf(skip, skip_len, "no Vulkan device");
	return KTAP_SKIP;
}

/* vkCmdFillBuffer of a word pattern over a range inside the buffer. */
static enum ktap_result case_fill(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_device(c, skip, skip_len);
	const VkDeviceSize off = 256, size = 8192;
	const uint32_t word = 0xc0ffee42u;
	struct hbuf dst = { 0 };
	VkCommandBuffer cmd;
	uint8_t *want = NULL;

	if (res != KTAP_PASS)
		return res;
	VK_EXPECT(hbuf_alloc(c, &dst, VK_BUFFER_USAGE_TRANSFER_DST_BIT, GUARD));
	VK_EXPECT(cmd_begin(c, &cmd));
	vkCmdFillBuffer(cmd, dst.buf, off, size, word);
	EXPECT(!cmd_submit_wait(c, cmd, "fill"), "vkCmdFillBuffer did not complete");

	want = malloc(BUF_SIZE);
	EXPECT(want, "out of memory");
	memset(want, GUARD, BUF_SIZE);
	for (VkDeviceSize i = off; i < off + size; i += 4)
		memcpy(want + i, &word, 4);
	res = compare(c, "vkCmdFillBuffer(0x100, 8 KiB, 0xc0ffee42)", dst.map, want, BUF_SIZE, skip, skip_len);
out:
	free(want);
	hbuf_free(c, &dst);
	return res;
}

/* vkCmdUpdateBuffer: bytes from the command buffer itself. */
static enum ktap_result case_update(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_device(c, skip, skip_len);
	const VkDeviceSize off = 4096 + 12, size = 1024;
	uint8_t data[1024], *want = NULL;
	struct hbuf dst = { 0 };
	VkCommandBuffer cmd;

	if (res != KTAP_PASS)
		return res;
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + (i >> 8) + 1);
	VK_EXPECT(hbuf_alloc(c, &dst, VK_BUFFER_USAGE_TRANSFER_DST_BIT, GUARD));
	VK_EXPECT(cmd_begin(c, &cmd));
	vkCmdUpdateBuffer(cmd, dst.buf, off, size, data);
	EXPECT(!cmd_submit_wait(c, cmd, "update"), "vkCmdUpdateBuffer did not complete");

	want = malloc(BUF_SIZE);
	EXPECT(want, "out of memory");
	memset(want, GUARD, BUF_SIZE);
	memcpy(want + off, data, size);
	res = compare(c, "vkCmdUpdateBuffer(0x100c, 1 KiB)", dst.map, want, BUF_SIZE, skip, skip_len);
out:
	free(want);
	hbuf_free(c, &dst);
	return res;
}

/* vkCmdCopyBuffer: two regions, from a CPU-written buffer to another. */
static enum ktap_result case_copy(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_device(c, skip, skip_len);
	struct hbuf src = { 0 }, dst = { 0 };
	uint8_t *want = NULL;
	VkCommandBuffer cmd;
	const VkBufferCopy regions[2] = {
		{ .srcOffset = 16, .dstOffset = 8192 + 32, .size = 6000 },
		/* Unaligned on both sides: the byte-granular path. */
		{ .srcOffset = 20001, .dstOffset = 40003, .size = 777 },
	};

	if (res != KTAP_PASS)
		return res;
	VK_EXPECT(hbuf_alloc(c, &src, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, 0));
	VK_EXPECT(hbuf_alloc(c, &dst, VK_BUFFER_USAGE_TRANSFER_DST_BIT, GUARD));
	for (unsigned i = 0; i < BUF_SIZE; i++)
		src.map[i] = (uint8_t)((i * 131u) ^ (i >> 9));
	VK_EXPECT(cmd_begin(c, &cmd));
	vkCmdCopyBuffer(cmd, src.buf, dst.buf, 2, regions);
	EXPECT(!cmd_submit_wait(c, cmd, "copy"), "vkCmdCopyBuffer did not complete");

	want = malloc(BUF_SIZE);
	EXPECT(want, "out of memory");
	memset(want, GUARD, BUF_SIZE);
	for (unsigned r = 0; r < 2; r++)
		memcpy(want + regions[r].dstOffset, src.map + regions[r].srcOffset, regions[r].size);
	res = compare(c, "vkCmdCopyBuffer(2 regions)", dst.map, want, BUF_SIZE, skip, skip_len);
out:
	free(want);
	hbuf_free(c, &src);
	hbuf_free(c, &dst);
	return res;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * A whole 1 MiB buffer filled BIG_RUNS times, each with another word (so
 * that every run must write it all), each checked: the median time from
 * submit to fence, for the README's benchmark figures (not a timed test).
 */
static enum ktap_result case_fill_1mib(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_device(c, skip, skip_len);
	double ms[BIG_RUNS];
	struct hbuf dst = { 0 };
	uint32_t *want = NULL;
	VkCommandBuffer cmd;
	char what[64];

	if (res != KTAP_PASS)
		return res;
	VK_EXPECT(hbuf_alloc_size(c, &dst, VK_BUFFER_USAGE_TRANSFER_DST_BIT, GUARD, BIG_SIZE));
	want = malloc(BIG_SIZE);
	EXPECT(want, "out of memory");
	for (int r = 0; r < BIG_RUNS; r++) {
		const uint32_t word = 0x5eed0000u + (uint32_t)r;
		struct timespec t0, t1;

		VK_EXPECT(cmd_begin(c, &cmd));
		vkCmdFillBuffer(cmd, dst.buf, 0, VK_WHOLE_SIZE, word);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		EXPECT(!cmd_submit_wait(c, cmd, "fill 1 MiB"), "vkCmdFillBuffer of 1 MiB did not complete (run %d)", r);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms[r] = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
		for (unsigned i = 0; i < BIG_SIZE / 4; i++)
			want[i] = word;
		snprintf(what, sizeof(what), "vkCmdFillBuffer(1 MiB, 0x%08x)", word);
		res = compare(c, what, dst.map, (const uint8_t *)want, BIG_SIZE, skip, skip_len);
		if (res != KTAP_PASS)
			goto out;
	}
	qsort(ms, BIG_RUNS, sizeof(ms[0]), cmp_double);
	ktap_diag("1 MiB vkCmdFillBuffer, submit to fence: median %.1f ms of %d (min %.1f, max %.1f)",
		  ms[BIG_RUNS / 2], BIG_RUNS, ms[0], ms[BIG_RUNS - 1]);
out:
	free(want);
	hbuf_free(c, &dst);
	return res;
}

/* Our compute shader writes an SSBO: one word per invocation, the rest untouched. */
static enum ktap_result case_ssbo(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_device(c, skip, skip_len);
	struct vk_ssbo_pipeline sp = { 0 };
	struct hbuf dst = { 0 };
	uint8_t *want = NULL;
	VkCommandBuffer cmd;
	const char *what;
	VkResult vr;

	if (res != KTAP_PASS)
		return res;
	VK_EXPECT(hbuf_alloc(c, &dst, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, GUARD));
	vr = vk_ssbo_pipeline_create(c->dev, dst.buf, 0, VK_WHOLE_SIZE, &sp, &what);
	EXPECT(vr == VK_SUCCESS, "%s: %s (%d)", what, vk_result_str(vr), vr);

	VK_EXPECT(cmd_begin(c, &cmd));
	vk_ssbo_pipeline_dispatch(&sp, cmd, SSBO_INVOCATIONS);
	EXPECT(!cmd_submit_wait(c, cmd, "dispatch"), "the SSBO dispatch did not complete");

	want = malloc(BUF_SIZE);
	EXPECT(want, "out of memory");
	memset(want, GUARD, BUF_SIZE);
	for (uint32_t i = 0; i < SSBO_INVOCATIONS; i++) {
		uint32_t v = ssbo_value(i);

		memcpy(want + 4 * i, &v, 4);
	}
	res = compare(c, "SSBO data[i] = i * 0x9e3779b1 + 0x01234567, 256 invocations", dst.map, want, BUF_SIZE,
		      skip, skip_len);
out:
	free(want);
	vk_ssbo_pipeline_destroy(&sp);
	hbuf_free(c, &dst);
	return res;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum ktap_result (*fn)(struct ctx *, char *, size_t);
	} cases[CASES] = {
		{ "vulkan_device", case_device },
		{ "fill_buffer", case_fill },
		{ "update_buffer", case_update },
		{ "copy_buffer", case_copy },
		{ "compute_shader_writes_ssbo", case_ssbo },
		{ "fill_buffer_1mib_timed", case_fill_1mib },
	};
	const char *e = getenv("PROTM_EXPECT_GPU");
	struct ctx c = { .gpu_expected = e && !strcmp(e, "1") };
	char skip[256];
	int i;

	/*
	 * --expect-protected (which the host checks pass every program) says
	 * nothing here: every case uses normal memory.
	 */
	if (argc == 3 && !strcmp(argv[1], "--expect-protected") &&
	    (!strcmp(argv[2], "yes") || !strcmp(argv[2], "no") || !strcmp(argv[2], "any"))) {
		argc = 1;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: %s [--expect-protected yes|no|any] (normal memory only; "
				"PROTM_EXPECT_GPU=1 when a GPU runs the work)\n", argv[0]);
		return 2;
	}
	ktap_suite_begin(SUITE, CASES);
	for (i = 0; i < CASES; i++) {
		skip[0] = '\0';
		ktap_case(cases[i].fn(&c, skip, sizeof(skip)), cases[i].name, skip);
	}
	if (c.pool)
		vkDestroyCommandPool(c.dev, c.pool, NULL);
	if (c.dev)
		vkDestroyDevice(c.dev, NULL);
	if (c.instance)
		vkDestroyInstance(c.instance, NULL);
	return ktap_suite_end();
}
