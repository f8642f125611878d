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
 *     time from submit to fence (a figure for the README, not a limit);
 *   - image copies, which panvk runs as vk_meta compute shaders that fetch
 *     texels and store to images: vkCmdCopyBufferToImage into a 2D
 *     R8G8B8A8_UINT image, vkCmdCopyImageToBuffer back out of it (the whole
 *     image and a sub-rectangle), compared with the CPU's bytes, for
 *     OPTIMAL tiling (panvk lays it out in 16x16 u-interleaved tiles; AFBC
 *     only with PANVK_DEBUG=afbc) and LINEAR tiling (the CPU also reads the
 *     linear image's memory itself, at the offsets and row pitch Vulkan
 *     reports); and vkCmdCopyImage from the OPTIMAL image into the LINEAR
 *     one, whose memory the CPU reads;
 *   - render passes that only clear a depth attachment (loadOp CLEAR, no
 *     draw: a fragment job's depth writeback), D16_UNORM and D32_SFLOAT
 *     OPTIMAL images, and the depth and stencil of a D24_UNORM_S8_UINT one,
 *     copied out with vkCmdCopyImageToBuffer: every texel must be the clear
 *     value in the format's encoding.
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
#include "../lib/sys.h"
#include "lib/vk_picture_shader.h"
#include "lib/vk_ssbo_shader.h"
#include "lib/vk_util.h"
#include "lib/vulkan/vk_clear_pass.h"
#include "lib/vulkan/vk_device.h"
#include "lib/vulkan/vk_image.h"
#include "lib/vulkan/vk_ssbo_pipeline.h"

#define SUITE "vk-compute"
#define CASES 13
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
	/* PROTM_EXPECT_GPU=1: a GPU that runs the work (the Mali model). */
	bool gpu_expected;
	/* That, or PROTM_EXPECT_DEVICE=1: a device that may run nothing (drm-shim). */
	bool device_expected;
	VkInstance instance;
	VkPhysicalDevice pdev;
	VkDevice dev;
	VkQueue queue;
	VkCommandPool pool;
};

/*
 * A buffer or an image bound to memory of its own, mapped for the CPU: a
 * buffer always, an image only when it is LINEAR and its memory
 * host-visible (`layout` then says where its texels are).
 */
struct hres {
	VkBuffer buf;
	VkImage img;
	VkDeviceMemory mem;
	uint8_t *map;
	VkDeviceSize size;
	VkSubresourceLayout layout;
};

static void hres_free(struct ctx *c, struct hres *b)
{
	if (b->map)
		vkUnmapMemory(c->dev, b->mem);
	if (b->buf)
		vkDestroyBuffer(c->dev, b->buf, NULL);
	if (b->img)
		vkDestroyImage(c->dev, b->img, NULL);
	if (b->mem)
		vkFreeMemory(c->dev, b->mem, NULL);
	memset(b, 0, sizeof(*b));
}

/*
 * Memory of its own for `r` (requirements `req`): host-visible and coherent
 * where the device allows it, any type otherwise unless `need_host`. Says
 * in *host whether the CPU can map it.
 */
static VkResult hres_memory(struct ctx *c, struct hres *r, const VkMemoryRequirements *req, bool need_host,
			    bool *host)
{
	VkPhysicalDeviceMemoryProperties mp;
	int type;

	vkGetPhysicalDeviceMemoryProperties(c->pdev, &mp);
	type = vk_find_memory_type(&mp, req->memoryTypeBits,
				   VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT, 0);
	*host = type >= 0;
	if (type < 0 && !need_host)
		type = vk_find_memory_type(&mp, req->memoryTypeBits, 0, 0);
	if (type < 0)
		return VK_ERROR_FEATURE_NOT_PRESENT;
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.allocationSize = req->size,
		.memoryTypeIndex = (uint32_t)type,
	};
	return vkAllocateMemory(c->dev, &mai, NULL, &r->mem);
}

static VkResult hbuf_alloc_size(struct ctx *c, struct hres *b, VkBufferUsageFlags usage, uint8_t fill,
			       VkDeviceSize size)
{
	VkMemoryRequirements req;
	VkResult vr;
	bool host;

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
	vr = hres_memory(c, b, &req, true, &host);
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

static VkResult hbuf_alloc(struct ctx *c, struct hres *b, VkBufferUsageFlags usage, uint8_t fill)
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
	if (vr == VK_ERROR_INCOMPATIBLE_DRIVER && !c->device_expected)
		SKIP("no Vulkan driver");
	VK_EXPECT(vr);
	if (!c->pdev && !c->device_expected)
		SKIP("no Vulkan device");
	EXPECT(c->pdev, "no Vulkan device, but PROTM_EXPECT_GPU or PROTM_EXPECT_DEVICE is 1");

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
	struct hres dst = { 0 };
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
	hres_free(c, &dst);
	return res;
}

/* vkCmdUpdateBuffer: bytes from the command buffer itself. */
static enum ktap_result case_update(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_device(c, skip, skip_len);
	const VkDeviceSize off = 4096 + 12, size = 1024;
	uint8_t data[1024], *want = NULL;
	struct hres dst = { 0 };
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
	hres_free(c, &dst);
	return res;
}

/* vkCmdCopyBuffer: two regions, from a CPU-written buffer to another. */
static enum ktap_result case_copy(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_device(c, skip, skip_len);
	struct hres src = { 0 }, dst = { 0 };
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
	hres_free(c, &src);
	hres_free(c, &dst);
	return res;
}

/* ---- image copies --------------------------------------------------------- */

/* Not multiples of 16: partial tiles on the right and at the bottom. */
#define IMG_W 40
#define IMG_H 24
#define IMG_BPP 4
/* The sub-rectangle copied out on its own (offsets inside the image). */
#define SUB_X 5
#define SUB_Y 3
#define SUB_W 17
#define SUB_H 9
/* Where the copies out land in the destination buffer. */
#define OUT_FULL 256
#define OUT_SUB (OUT_FULL + IMG_W * IMG_H * IMG_BPP + 64)

/*
 * An IMG_W x IMG_H image of `format` with `tiling`, usable for transfers
 * and `usage`, bound to memory of its own; a LINEAR one in host-visible
 * memory is mapped, its (colour) layout in m->layout.
 */
static VkResult himg_alloc(struct ctx *c, struct hres *m, VkFormat format, VkImageTiling tiling,
			   VkImageUsageFlags usage)
{
	VkMemoryRequirements req;
	VkResult vr;
	bool host;

	VkImageCreateInfo ici = vk_image_transfer_info(format, IMG_W, IMG_H, tiling, 0);

	ici.usage |= usage;
	vr = vkCreateImage(c->dev, &ici, NULL, &m->img);
	if (vr)
		return vr;
	vkGetImageMemoryRequirements(c->dev, m->img, &req);
	vr = hres_memory(c, m, &req, false, &host);
	if (!vr)
		vr = vkBindImageMemory(c->dev, m->img, m->mem, 0);
	if (!vr && tiling == VK_IMAGE_TILING_LINEAR && host) {
		VkImageSubresource sub = { .aspectMask = VK_IMAGE_ASPECT_COLOR_BIT };

		vkGetImageSubresourceLayout(c->dev, m->img, &sub, &m->layout);
		vr = vkMapMemory(c->dev, m->mem, 0, VK_WHOLE_SIZE, 0, (void **)&m->map);
	}
	return vr;
}

/* The source texels: every byte differs from its neighbours and from the guard. */
static uint8_t texel_byte(unsigned x, unsigned y, unsigned k)
{
	return (uint8_t)(x * 29u + y * 113u + k * 71u + 1u) ^ (uint8_t)(y << 5);
}

/*
 * The linear image's memory as the CPU sees it, at the offset and row
 * pitch Vulkan reports, against the texels the copy in wrote.
 */
static enum ktap_result compare_linear(struct ctx *c, const char *what, const struct hres *m, char *skip,
				       size_t skip_len)
{
	uint8_t got[IMG_W * IMG_H * IMG_BPP], want[IMG_W * IMG_H * IMG_BPP];

	if (!m->map) {
		if (!c->gpu_expected)
			return compare(c, what, NULL, NULL, 0, skip, skip_len);
		ktap_diag("%s: the LINEAR image's memory is not host-visible: the CPU cannot read it", what);
		return KTAP_FAIL;
	}
	for (unsigned y = 0; y < IMG_H; y++) {
		memcpy(got + y * IMG_W * IMG_BPP, m->map + m->layout.offset + y * m->layout.rowPitch,
		       IMG_W * IMG_BPP);
		for (unsigned x = 0; x < IMG_W; x++)
			for (unsigned k = 0; k < IMG_BPP; k++)
				want[(y * IMG_W + x) * IMG_BPP + k] = texel_byte(x, y, k);
	}
	return compare(c, what, got, want, sizeof(got), skip, skip_len);
}

/*
 * vkCmdCopyBufferToImage of the whole image from a CPU-written buffer,
 * then vkCmdCopyImageToBuffer of the whole image and of a sub-rectangle
 * into a guarded buffer: the bytes out must be the bytes in. With LINEAR
 * tiling the CPU also reads the image between the two submissions.
 */
static enum ktap_result image_round_trip(struct ctx *c, VkImageTiling tiling, char *skip, size_t skip_len)
{
	enum ktap_result res = need_device(c, skip, skip_len);
	const char *name = tiling == VK_IMAGE_TILING_LINEAR ? "LINEAR" : "OPTIMAL";
	struct hres src = { 0 }, dst = { 0 };
	struct hres img = { 0 };
	uint8_t *want = NULL;
	VkCommandBuffer cmd;
	char what[128];

	if (res != KTAP_PASS)
		return res;
	VkImageFormatProperties ifp;
	VkResult vr = vkGetPhysicalDeviceImageFormatProperties(
		c->pdev, VK_FORMAT_R8G8B8A8_UINT, VK_IMAGE_TYPE_2D, tiling,
		VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT, 0, &ifp);
	EXPECT(vr == VK_SUCCESS, "%s R8G8B8A8_UINT transfer images: %s (%d)", name, vk_result_str(vr), vr);

	VK_EXPECT(hbuf_alloc(c, &src, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, 0));
	VK_EXPECT(hbuf_alloc(c, &dst, VK_BUFFER_USAGE_TRANSFER_DST_BIT, GUARD));
	VK_EXPECT(himg_alloc(c, &img, VK_FORMAT_R8G8B8A8_UINT, tiling, 0));
	for (unsigned y = 0; y < IMG_H; y++)
		for (unsigned x = 0; x < IMG_W; x++)
			for (unsigned k = 0; k < IMG_BPP; k++)
				src.map[(y * IMG_W + x) * IMG_BPP + k] = texel_byte(x, y, k);

	const VkBufferImageCopy in = {
		.imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
		.imageExtent = { IMG_W, IMG_H, 1 },
	};
	VK_EXPECT(cmd_begin(c, &cmd));
	vk_image_transfer_barrier(cmd, img.img, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
	vkCmdCopyBufferToImage(cmd, src.buf, img.img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &in);
	snprintf(what, sizeof(what), "copy buffer to %s image", name);
	EXPECT(!cmd_submit_wait(c, cmd, what), "vkCmdCopyBufferToImage (%s) did not complete", name);
	if (tiling == VK_IMAGE_TILING_LINEAR) {
		snprintf(what, sizeof(what), "the LINEAR image after vkCmdCopyBufferToImage, read by the CPU");
		res = compare_linear(c, what, &img, skip, skip_len);
		/* Without a GPU (SKIP) the copy out is still recorded and submitted. */
		if (res == KTAP_FAIL)
			goto out;
	}

	const VkBufferImageCopy out[2] = {
		{
			.bufferOffset = OUT_FULL,
			.imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
			.imageExtent = { IMG_W, IMG_H, 1 },
		},
		{
			.bufferOffset = OUT_SUB,
			.imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
			.imageOffset = { SUB_X, SUB_Y, 0 },
			.imageExtent = { SUB_W, SUB_H, 1 },
		},
	};
	VK_EXPECT(cmd_begin(c, &cmd));
	vk_image_transfer_barrier(cmd, img.img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
	vkCmdCopyImageToBuffer(cmd, img.img, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, dst.buf, 2, out);
	snprintf(what, sizeof(what), "copy %s image to buffer", name);
	EXPECT(!cmd_submit_wait(c, cmd, what), "vkCmdCopyImageToBuffer (%s) did not complete", name);

	want = malloc(BUF_SIZE);
	EXPECT(want, "out of memory");
	memset(want, GUARD, BUF_SIZE);
	memcpy(want + OUT_FULL, src.map, IMG_W * IMG_H * IMG_BPP);
	for (unsigned y = 0; y < SUB_H; y++)
		memcpy(want + OUT_SUB + y * SUB_W * IMG_BPP, src.map + ((SUB_Y + y) * IMG_W + SUB_X) * IMG_BPP,
		       SUB_W * IMG_BPP);
	snprintf(what, sizeof(what), "%dx%d R8G8B8A8_UINT %s image: buffer to image to buffer (whole, %dx%d at %d,%d)",
		 IMG_W, IMG_H, name, SUB_W, SUB_H, SUB_X, SUB_Y);
	res = compare(c, what, dst.map, want, BUF_SIZE, skip, skip_len);
out:
	free(want);
	hres_free(c, &img);
	hres_free(c, &src);
	hres_free(c, &dst);
	return res;
}

static enum ktap_result case_image_optimal(struct ctx *c, char *skip, size_t skip_len)
{
	return image_round_trip(c, VK_IMAGE_TILING_OPTIMAL, skip, skip_len);
}

static enum ktap_result case_image_linear(struct ctx *c, char *skip, size_t skip_len)
{
	return image_round_trip(c, VK_IMAGE_TILING_LINEAR, skip, skip_len);
}

/*
 * vkCmdCopyImage from an OPTIMAL image (filled by vkCmdCopyBufferToImage)
 * into a LINEAR one, whose memory the CPU then reads.
 */
static enum ktap_result case_image_to_image(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_device(c, skip, skip_len);
	struct hres a = { 0 }, b = { 0 };
	struct hres src = { 0 };
	VkCommandBuffer cmd;

	if (res != KTAP_PASS)
		return res;
	VK_EXPECT(hbuf_alloc(c, &src, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, 0));
	VK_EXPECT(himg_alloc(c, &a, VK_FORMAT_R8G8B8A8_UINT, VK_IMAGE_TILING_OPTIMAL, 0));
	VK_EXPECT(himg_alloc(c, &b, VK_FORMAT_R8G8B8A8_UINT, VK_IMAGE_TILING_LINEAR, 0));
	for (unsigned y = 0; y < IMG_H; y++)
		for (unsigned x = 0; x < IMG_W; x++)
			for (unsigned k = 0; k < IMG_BPP; k++)
				src.map[(y * IMG_W + x) * IMG_BPP + k] = texel_byte(x, y, k);
	if (b.map)
		memset(b.map, GUARD, b.layout.offset + b.layout.size);

	const VkBufferImageCopy in = {
		.imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
		.imageExtent = { IMG_W, IMG_H, 1 },
	};
	const VkImageCopy copy = {
		.srcSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
		.dstSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
		.extent = { IMG_W, IMG_H, 1 },
	};
	VK_EXPECT(cmd_begin(c, &cmd));
	vk_image_transfer_barrier(cmd, a.img, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
	vk_image_transfer_barrier(cmd, b.img, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
	vkCmdCopyBufferToImage(cmd, src.buf, a.img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &in);
	vk_image_transfer_barrier(cmd, a.img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
	vkCmdCopyImage(cmd, a.img, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, b.img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
		       1, &copy);
	EXPECT(!cmd_submit_wait(c, cmd, "copy image to image"), "vkCmdCopyImage did not complete");
	res = compare_linear(c, "OPTIMAL image copied into a LINEAR one, read by the CPU", &b, skip, skip_len);
out:
	hres_free(c, &a);
	hres_free(c, &b);
	hres_free(c, &src);
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
	struct hres dst = { 0 };
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
	hres_free(c, &dst);
	return res;
}

/* One of our shaders, and the words it must write from the start of its buffer. */
struct shader_run {
	struct vk_spirv spirv;
	uint32_t invocations;
	uint32_t (*value)(uint32_t i); /* word i */
	VkDeviceSize size;             /* the buffer's; bytes past the words keep GUARD */
	const char *what;
};

/*
 * Dispatches `run` over a host-visible storage buffer and compares what the
 * GPU wrote with the CPU's words. The buffer stays in *dst (the caller frees
 * it), for a caller that shows it.
 */
static enum ktap_result run_shader(struct ctx *c, const struct shader_run *run, struct hres *dst, char *skip,
				   size_t skip_len)
{
	enum ktap_result res = need_device(c, skip, skip_len);
	struct vk_ssbo_pipeline sp = { 0 };
	uint8_t *want = NULL;
	VkCommandBuffer cmd;
	const char *what;
	VkResult vr;

	if (res != KTAP_PASS)
		return res;
	VK_EXPECT(hbuf_alloc_size(c, dst, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, GUARD, run->size));
	vr = vk_ssbo_pipeline_create(c->dev, run->spirv, dst->buf, 0, VK_WHOLE_SIZE, &sp, &what);
	EXPECT(vr == VK_SUCCESS, "%s: %s (%d)", what, vk_result_str(vr), vr);

	VK_EXPECT(cmd_begin(c, &cmd));
	vk_ssbo_pipeline_dispatch(&sp, cmd, run->invocations);
	EXPECT(!cmd_submit_wait(c, cmd, "dispatch"), "the dispatch did not complete (%s)", run->what);

	want = malloc(run->size);
	EXPECT(want, "out of memory");
	memset(want, GUARD, run->size);
	for (uint32_t i = 0; i < run->invocations; i++)
		memcpy(want + 4 * i, &(uint32_t){ run->value(i) }, 4);
	res = compare(c, run->what, dst->map, want, run->size, skip, skip_len);
out:
	free(want);
	vk_ssbo_pipeline_destroy(&sp);
	return res;
}

/* Our compute shader writes an SSBO: one word per invocation, the rest untouched. */
static enum ktap_result case_ssbo(struct ctx *c, char *skip, size_t skip_len)
{
	const struct shader_run run = {
		{ ssbo_spirv, ssbo_spirv_size }, SSBO_INVOCATIONS, ssbo_value, BUF_SIZE,
		"SSBO data[i] = i * 0x9e3779b1 + 0x01234567, 256 invocations",
	};
	struct hres dst = { 0 };
	enum ktap_result res = run_shader(c, &run, &dst, skip, skip_len);

	hres_free(c, &dst);
	return res;
}

/*
 * A render pass that clears an OPTIMAL depth image of `format` to 0.25 (and
 * its stencil to 0x5a if `aspect` has it) and draws nothing, then a copy of
 * the cleared aspects into a host-visible buffer: every depth texel must
 * be `texel` (`bpp` bytes; `undefined` bytes of it are not compared), every
 * stencil texel 0x5a after them, the bytes after those the CPU's guard.
 */
static enum ktap_result depth_clear(struct ctx *c, VkFormat format, VkImageAspectFlags aspect, const void *texel,
				    unsigned bpp, uint32_t undefined, const char *what, char *skip, size_t skip_len)
{
	enum ktap_result res = need_device(c, skip, skip_len);
	const VkClearValue clear = { .depthStencil = { .depth = 0.25f, .stencil = 0x5a } };
	const size_t texels = IMG_W * IMG_H;
	struct vk_clear_pass p = { 0 };
	struct hres dst = { 0 }, img = { 0 };
	uint8_t *want = NULL;
	VkCommandBuffer cmd;

	if (res != KTAP_PASS)
		return res;
	/* The clear pass owns the image and its memory from here on. */
	VkResult vr = himg_alloc(c, &img, format, VK_IMAGE_TILING_OPTIMAL, VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT);

	p.img = img.img;
	p.mem = img.mem;
	VK_EXPECT(vr);
	VK_EXPECT(vk_clear_pass_create(c->dev, &p, format, aspect, IMG_W, IMG_H));
	VK_EXPECT(hbuf_alloc(c, &dst, VK_BUFFER_USAGE_TRANSFER_DST_BIT, GUARD));
	VK_EXPECT(cmd_begin(c, &cmd));
	vk_clear_pass_record(cmd, &p, &clear, aspect, dst.buf, 0);
	EXPECT(!cmd_submit_wait(c, cmd, what), "the depth clear did not complete");

	want = malloc(BUF_SIZE);
	EXPECT(want, "out of memory");
	memset(want, GUARD, BUF_SIZE);
	for (size_t i = 0; i < texels; i++) {
		memcpy(want + i * bpp, texel, bpp);
		for (unsigned k = 0; k < bpp; k++)
			if (undefined & (1u << k))
				want[i * bpp + k] = dst.map[i * bpp + k];
	}
	if (aspect & VK_IMAGE_ASPECT_STENCIL_BIT)
		memset(want + texels * bpp, clear.depthStencil.stencil, texels);
	res = compare(c, what, dst.map, want, BUF_SIZE, skip, skip_len);
out:
	free(want);
	hres_free(c, &dst);
	vk_clear_pass_destroy(c->dev, &p);
	return res;
}

/* 0.25 in D16_UNORM: 16383.75, rounded to the nearest. */
static enum ktap_result case_depth_clear_d16(struct ctx *c, char *skip, size_t skip_len)
{
	const uint16_t texel = 0x4000;

	return depth_clear(c, VK_FORMAT_D16_UNORM, VK_IMAGE_ASPECT_DEPTH_BIT, &texel, 2, 0,
			   "a render pass clearing a 40x24 D16_UNORM image to 0.25, copied out", skip, skip_len);
}

/* 0.25 in D32_SFLOAT: the float's bits. */
static enum ktap_result case_depth_clear_d32(struct ctx *c, char *skip, size_t skip_len)
{
	const float texel = 0.25f;

	return depth_clear(c, VK_FORMAT_D32_SFLOAT, VK_IMAGE_ASPECT_DEPTH_BIT, &texel, 4, 0,
			   "a render pass clearing a 40x24 D32_SFLOAT image to 0.25, copied out", skip, skip_len);
}

/*
 * D24_UNORM_S8_UINT, depth and stencil in one buffer: 0.25 in D24 is
 * 4194303.75, rounded to 0x400000; the copy's depth texel has it in its
 * low 24 bits and 8 bits Vulkan leaves undefined.
 */
static enum ktap_result case_depth_stencil_clear_d24s8(struct ctx *c, char *skip, size_t skip_len)
{
	const uint32_t texel = 0x400000;

	return depth_clear(c, VK_FORMAT_D24_UNORM_S8_UINT, VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT,
			   &texel, 4, 1u << 3,
			   "a render pass clearing a 40x24 D24_UNORM_S8_UINT image to 0.25 and 0x5a, copied out", skip,
			   skip_len);
}

/*
 * Our picture shader draws a 64x64 picture into an SSBO, one pixel per
 * invocation: the CPU reads what the GPU drew, and the run's report shows it
 * whatever it holds (a wrong picture tells what went wrong).
 */
static enum ktap_result case_picture(struct ctx *c, char *skip, size_t skip_len)
{
	const struct shader_run run = {
		{ picture_spirv, picture_spirv_size }, PICTURE_W * PICTURE_H, picture_value, PICTURE_SIZE,
		"picture: pixel (x, y) = ((x ^ y) * 4, x * 4, y * 4, 255), 4096 invocations",
	};
	struct hres dst = { 0 };
	enum ktap_result res = run_shader(c, &run, &dst, skip, skip_len);

	if (res != KTAP_SKIP && dst.map)
		ktap_image("gpu-picture", "drawn by a compute shader on the GPU in normal memory, read by the CPU",
			   PICTURE_W, PICTURE_H, dst.map);
	hres_free(c, &dst);
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
		{ "compute_shader_draws_picture", case_picture },
		{ "fill_buffer_1mib_timed", case_fill_1mib },
		{ "copy_buffer_image_optimal_round_trip", case_image_optimal },
		{ "copy_buffer_image_linear_round_trip", case_image_linear },
		{ "copy_image_optimal_to_linear", case_image_to_image },
		{ "render_pass_depth_clear_d16", case_depth_clear_d16 },
		{ "render_pass_depth_clear_d32", case_depth_clear_d32 },
		{ "render_pass_depth_stencil_clear_d24s8", case_depth_stencil_clear_d24s8 },
	};
	struct ctx c = { .gpu_expected = env_flag("PROTM_EXPECT_GPU") };
	char skip[256];
	int i;

	c.device_expected = c.gpu_expected || env_flag("PROTM_EXPECT_DEVICE");

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
