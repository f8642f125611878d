// SPDX-License-Identifier: BSD-2-Clause
/*
 * protm-vk-protected-compute: KTAP suite "vk-protected-compute", GPU work
 * that panvk (mesa-patches/) records into protected memory, with the result
 * read where only the secure world can read it: our TA (test/ta/protm_verify)
 * hashes the protected buffer and the hash must be the SHA-256 of the bytes
 * the CPU expects. The compute subset of the Vulkan CTS's
 * dEQP-VK.protected_memory groups (buffer fill, update and copy, SSBO
 * writes from a compute shader), and the isolation of a copy out of
 * protected memory, in our own program:
 *
 *   - a protected device with a protected and an unprotected queue of one
 *     family, and the external-memory extensions for dma-bufs;
 *   - vkGetMemoryFdPropertiesKHR names the protected memory type alone for
 *     a dma-buf of the protected heap, and never it for one of the system
 *     heap;
 *   - a buffer of the protected TEE heap (/dev/dma_heap/<heap>), allocated
 *     here and imported into Vulkan as protected memory
 *     (VK_EXT_external_memory_dma_buf into the PROTECTED memory type) and
 *     bound to a protected buffer;
 *   - the same dma-buf registered with the TEE (TEE_IOC_SHM_REGISTER_FD),
 *     and the TA's fill of it with a known pattern read back by the TA;
 *   - a protected command buffer on the protected queue runs
 *     vkCmdFillBuffer over part of the buffer: the TA's hash of the whole
 *     buffer must be that of the TA's pattern with the filled range in it;
 *   - the same with vkCmdUpdateBuffer (1 KiB), with vkCmdCopyBuffer from
 *     the protected buffer into itself (two regions, one unaligned), with
 *     vkCmdCopyBufferToImage into a protected OPTIMAL image and
 *     vkCmdCopyImageToBuffer back into another range of the buffer, and
 *     with a render pass that only clears a protected OPTIMAL
 *     R8G8B8A8_UNORM image (loadOp CLEAR, no draw: a fragment job), copied
 *     out with vkCmdCopyImageToBuffer, the same with a protected
 *     D32_SFLOAT depth attachment and with a D24_UNORM_S8_UINT one (its
 *     stencil copied out), with our SSBO compute shader
 *     (lib/vk_ssbo_shader.c) writing 1 KiB
 *     inside the buffer, and with our picture shader
 *     (lib/vk_picture_shader.c) drawing a 64x64 picture over all of it (the
 *     report shows the picture the TA's hash matched);
 *   - last (it loses the device): an unprotected command buffer on the
 *     unprotected queue copies the protected buffer into host-visible
 *     memory: the GPU must fault (VK_ERROR_DEVICE_LOST, and a new bus fault
 *     report of Panthor's in the kernel log) and the destination
 *     must still hold only the CPU's pattern, byte for byte (the report
 *     shows it as a picture too), and the protected buffer must be
 *     unchanged (the TA's hash again).
 *
 * Usage: protm-vk-protected-compute [--expect-protected yes|no|any]
 *                                   [--heap NAME] [--tee DEV]
 *
 *   yes (default): protected memory must be there; no: its absence is the
 *   expected outcome (the first case checks it, the others SKIP "as
 *   expected"); any: without protected memory the cases SKIP.
 *
 * PROTM_EXPECT_GPU=1 (the target's init, when the host booted the Mali
 * model) says a GPU runs the work and a TEE is there: then nothing may SKIP.
 * Without it (Mesa's drm-shim on the host: no GPU, no TEE) the buffer is
 * still allocated from the (shim's) heap, imported and bound, the commands
 * are recorded and submitted and their fences must signal; what only the
 * TA or a GPU can show SKIPs with the reason.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vulkan/vulkan.h>

#include "../lib/ktap.h"
#include "../lib/sha256.h"
#include "../lib/sys.h"
#include "../lib/verify_ta.h"
#include "lib/vk_picture_shader.h"
#include "lib/vk_ssbo_shader.h"
#include "lib/vk_util.h"
#include "lib/vulkan/vk_clear_pass.h"
#include "lib/vulkan/vk_device.h"
#include "lib/vulkan/vk_image.h"
#include "lib/vulkan/vk_ssbo_pipeline.h"
#include "protm_verify_ta.h"

#define SUITE "vk-protected-compute"
#define CASES 15
/* The model interprets shaders under TCG: generous, a hang still ends. */
#define FENCE_TIMEOUT_NS (60ull * 1000 * 1000 * 1000)
/*
 * The TEE's protected pool is small and shared (the dynamic profile's is
 * 1 MiB, of which protected-mode setup keeps 256 KiB and every protected
 * group its suspend buffer): a few pages.
 */
#define BUF_SIZE (16 * 1024)
/* The TA's pattern under each GPU write, so untouched bytes are known. */
#define SEED_FILL 0x7e11f111u
#define SEED_SSBO 0x7e1155b0u
/* The fill: a range inside the buffer, so the bytes around it must stay. */
#define FILL_OFF 0x100
#define FILL_SIZE 0x2000
#define FILL_WORD 0xc0ffee42u
/* The same fill, recorded in a secondary command buffer */
#define SEED_SECONDARY 0x7e115ec0u
/* The update: bytes from the command buffer, at a word offset. */
#define SEED_UPDATE 0x7e11da7au
#define UPDATE_OFF 0x1004
#define UPDATE_SIZE 1024
/* The copy, inside the buffer (copy_regions). */
#define SEED_COPY 0x7e11c097u
/* The shader's words, at an offset inside the buffer. */
#define SSBO_OFF 0x2400
#define SSBO_INVOCATIONS 256
/* The image copy: buffer to protected image and back, at these offsets. */
#define SEED_IMAGE 0x7e1113a9u
#define IMG_W 40
#define IMG_H 24
#define IMG_IN_OFF 0x40
#define IMG_OUT_OFF 0x2800
/* What the CPU writes into the copy's destination. */
#define SEED_CLEAR 0x7e11c1e4u
#define CLEAR_OFF 0x3000
/* The depth clear: a protected D32_SFLOAT attachment, copied out here. */
#define SEED_DEPTH 0x7e11de97u
#define DEPTH_OFF 0x0800
/* The stencil clear: a protected D24_UNORM_S8_UINT attachment, its stencil copied out here. */
#define SEED_STENCIL 0x7e1157e7u
#define STENCIL_OFF 0x1800

#define GUARD 0xa5
/* The picture covers the whole buffer. */
#define SEED_PICTURE 0x7e11b1c7u
_Static_assert(PICTURE_SIZE == BUF_SIZE, "the picture fills the protected buffer");

enum expect { EXPECT_ANY, EXPECT_PROTECTED, EXPECT_ABSENT };

struct ctx {
	enum expect expect;
	/* PROTM_EXPECT_GPU=1: a GPU that runs the work (the Mali model). */
	bool gpu_expected;
	/* That, or PROTM_EXPECT_DEVICE=1: a device that may run nothing (drm-shim). */
	bool device_expected;
	const char *heap, *tee;

	VkInstance instance;
	VkPhysicalDevice pdev;
	VkDevice dev; /* protected: with a protected and an unprotected queue */
	VkQueue prot_queue, queue;
	uint32_t family;
	int prot_type;
	bool absent_as_expected;

	VkImage prot_img; /* OPTIMAL, in protected memory of its own */
	VkDeviceMemory prot_img_mem;
	/* Protected attachments, each with a render pass that only clears it */
	struct vk_clear_pass colour; /* R8G8B8A8_UNORM */
	struct vk_clear_pass depth;  /* D32_SFLOAT */
	struct vk_clear_pass ds;     /* D24_UNORM_S8_UINT */

	int dmabuf; /* from the protected heap, -1: none */
	VkBuffer prot_buf;
	VkDeviceMemory prot_mem;

	struct verify_ta ta;
	int shm_fd, shm_id; /* the dma-buf registered with the TEE, -1: not */
	char no_tee[160];   /* why there is no TA here (drm-shim) */

	/* What the protected buffer must hold after the last GPU write, for the TA. */
	uint8_t want[BUF_SIZE];
	bool want_known;
	uint32_t want_seed; /* the TA's pattern under that write */
};

/* ---- helpers ---------------------------------------------------------------- */

/* The GPU cases need the protected buffer: say why they can't run. */
static enum ktap_result need_buffer(struct ctx *c, char *skip, size_t skip_len)
{
	if (c->absent_as_expected) {
		snprintf(skip, skip_len, "protected memory absent, as expected");
		return KTAP_SKIP;
	}
	if (c->prot_buf && c->prot_mem)
		return KTAP_PASS;
	if (c->expect == EXPECT_ANY && !c->dev) {
		snprintf(skip, skip_len, "no protected memory on this device");
		return KTAP_SKIP;
	}
	ktap_diag("no protected buffer imported from the TEE heap (see the first cases)");
	return KTAP_FAIL;
}

/* The protected device of the first case, or why a case can't run without it. */
static enum ktap_result need_device(struct ctx *c, char *skip, size_t skip_len)
{
	if (c->absent_as_expected) {
		snprintf(skip, skip_len, "protected memory absent, as expected");
		return KTAP_SKIP;
	}
	if (c->dev)
		return KTAP_PASS;
	if (c->expect == EXPECT_ANY) {
		snprintf(skip, skip_len, "no protected memory on this device");
		return KTAP_SKIP;
	}
	ktap_diag("no protected device (see the first case)");
	return KTAP_FAIL;
}

/* Sets c->want to the TA's pattern for `seed`, as the TA's FILL writes it. */
static void want_pattern(struct ctx *c, uint32_t seed)
{
	for (size_t i = 0; i < BUF_SIZE; i++)
		c->want[i] = protm_verify_pattern_byte(seed, i);
}

/*
 * The TA hashes the protected buffer; its digest must be that of c->want,
 * hashed here. `seed` is the pattern the TA wrote before the GPU work: a
 * buffer that still matches it wholly means the GPU wrote nothing.
 */
static enum ktap_result ta_verify(struct ctx *c, const char *what, uint32_t seed)
{
	uint8_t want[SHA256_DIGEST_SIZE];
	uint64_t offset = 0;
	bool untouched = false;
	int match;

	sha256(c->want, BUF_SIZE, want);
	match = verify_ta_digest_is(&c->ta, c->shm_id, BUF_SIZE, want, what);
	if (match)
		return match > 0 ? KTAP_PASS : KTAP_FAIL;
	if (verify_ta_compare(&c->ta, c->shm_id, BUF_SIZE, seed, &untouched, &offset) && untouched)
		ktap_diag("%s: the buffer still holds the TA's pattern: the GPU wrote nothing there", what);
	else
		ktap_diag("%s: the buffer differs from the TA's pattern from offset 0x%llx on", what,
			  (unsigned long long)offset);
	return KTAP_FAIL;
}

/* A command buffer, protected or not, recorded by the caller between begin and submit. */
struct cmd {
	VkCommandPool pool;
	VkCommandBuffer buf;
	bool prot;
};

static VkResult cmd_begin(struct ctx *c, struct cmd *k, bool prot)
{
	VkCommandPoolCreateInfo pci = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
		.flags = prot ? VK_COMMAND_POOL_CREATE_PROTECTED_BIT : 0,
		.queueFamilyIndex = c->family,
	};
	VkCommandBufferAllocateInfo cai = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
		.commandBufferCount = 1,
	};
	VkCommandBufferBeginInfo bi = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
	};
	VkResult vr;

	k->prot = prot;
	vr = vkCreateCommandPool(c->dev, &pci, NULL, &k->pool);
	if (vr)
		return vr;
	cai.commandPool = k->pool;
	vr = vkAllocateCommandBuffers(c->dev, &cai, &k->buf);
	return vr ? vr : vkBeginCommandBuffer(k->buf, &bi);
}

static void cmd_free(struct ctx *c, struct cmd *k)
{
	if (k->pool)
		vkDestroyCommandPool(c->dev, k->pool, NULL);
	memset(k, 0, sizeof(*k));
}

/*
 * Ends `k` after a barrier making its writes available, submits it to the
 * protected queue (protectedSubmit) or the unprotected one, and waits for
 * its fence. Returns what the submit or the wait gave.
 */
static VkResult cmd_submit_wait(struct ctx *c, struct cmd *k, const char *what)
{
	VkFence fence = VK_NULL_HANDLE;
	VkResult vr;

	VkMemoryBarrier mb = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT | VK_ACCESS_MEMORY_READ_BIT,
	};
	vkCmdPipelineBarrier(k->buf, VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
			     VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 1, &mb, 0, NULL, 0,
			     NULL);
	vr = vkEndCommandBuffer(k->buf);
	if (vr) {
		ktap_diag("%s: vkEndCommandBuffer: %s (%d)", what, vk_result_str(vr), vr);
		return vr;
	}
	VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
	vr = vkCreateFence(c->dev, &fci, NULL, &fence);
	if (vr) {
		ktap_diag("%s: vkCreateFence: %s (%d)", what, vk_result_str(vr), vr);
		return vr;
	}
	VkProtectedSubmitInfo psi = {
		.sType = VK_STRUCTURE_TYPE_PROTECTED_SUBMIT_INFO,
		.protectedSubmit = VK_TRUE,
	};
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.pNext = k->prot ? &psi : NULL,
		.commandBufferCount = 1,
		.pCommandBuffers = &k->buf,
	};
	vr = vkQueueSubmit(k->prot ? c->prot_queue : c->queue, 1, &si, fence);
	if (vr == VK_SUCCESS)
		vr = vkWaitForFences(c->dev, 1, &fence, VK_TRUE, FENCE_TIMEOUT_NS);
	vkDestroyFence(c->dev, fence, NULL);
	return vr;
}

static void say_fence(const char *what, VkResult vr)
{
	if (vr == VK_TIMEOUT)
		ktap_diag("%s: fence not signalled after %llu s", what, FENCE_TIMEOUT_NS / 1000000000ull);
	else if (vr == VK_ERROR_DEVICE_LOST)
		ktap_diag("%s: VK_ERROR_DEVICE_LOST: the GPU faulted on the work (see the kernel log)", what);
	else if (vr)
		ktap_diag("%s: %s (%d)", what, vk_result_str(vr), vr);
}

static bool has_extension(const VkExtensionProperties *ext, uint32_t n, const char *name)
{
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(ext[i].extensionName, name))
			return true;
	return false;
}

/* ---- cases ------------------------------------------------------------------- */

/*
 * A device with a protected and an unprotected queue of the protected
 * family, and the extensions that import a dma-buf. Without protected
 * memory and --expect-protected no, its absence is checked and passes.
 */
static enum ktap_result case_device(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	static const char *const exts[] = {
		VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
		VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME,
	};
	struct vk_protected_support ps;
	VkExtensionProperties have[256];
	uint32_t ne = 256;
	VkResult vr;

	vr = vk_open_first_device("protm-vk-protected-compute", &c->instance, &c->pdev);
	if (vr == VK_ERROR_INCOMPATIBLE_DRIVER && !c->device_expected)
		SKIP("no Vulkan driver");
	VK_EXPECT(vr);
	if (!c->pdev && !c->device_expected)
		SKIP("no Vulkan device");
	EXPECT(c->pdev, "no Vulkan device, but PROTM_EXPECT_GPU or PROTM_EXPECT_DEVICE is 1");

	vk_query_protected(c->pdev, &ps);
	c->prot_type = ps.memory_type;
	if (!ps.feature || ps.family < 0 || ps.memory_type < 0) {
		ktap_diag("protectedMemory %d, protected queue family %d, protected memory type %d", ps.feature,
			  ps.family, ps.memory_type);
		if (c->expect == EXPECT_ANY)
			SKIP("no protected memory on this device");
		EXPECT(c->expect == EXPECT_ABSENT, "protected memory missing, it was expected");
		EXPECT(!ps.feature && ps.family < 0 && ps.memory_type < 0,
		       "protected memory partly there: the feature, the queue family and the type go together");
		ktap_diag("protected memory absent, as expected: nothing to run");
		c->absent_as_expected = true;
		goto out;
	}
	EXPECT(c->expect != EXPECT_ABSENT, "protected memory present, its absence was expected");
	c->family = (uint32_t)ps.family;

	vr = vkEnumerateDeviceExtensionProperties(c->pdev, NULL, &ne, have);
	EXPECT(vr == VK_SUCCESS || vr == VK_INCOMPLETE, "vkEnumerateDeviceExtensionProperties: %s (%d)",
	       vk_result_str(vr), vr);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		EXPECT(has_extension(have, ne, exts[i]), "the device lacks %s: dma-bufs can't be imported", exts[i]);

	VK_EXPECT(vk_create_protected_device(c->pdev, c->family, exts, sizeof(exts) / sizeof(exts[0]), &c->dev,
					     &c->prot_queue, &c->queue));
	EXPECT(c->prot_queue && c->queue && c->prot_queue != c->queue,
	       "no distinct protected and unprotected queues (%p, %p)", (void *)c->prot_queue, (void *)c->queue);
	ktap_diag("protected device: family %u, protected memory type %d", c->family, c->prot_type);
out:
	return res;
}

/*
 * The dma-buf is registered with the TEE before Vulkan takes it: a
 * successful import owns the fd (panvk closes it), and the TEE's shared
 * memory object keeps a reference of its own. Without a TEE (drm-shim) the
 * later cases say why they can't read the protected bytes.
 */
static enum ktap_result tee_register(struct ctx *c)
{
	enum ktap_result res = KTAP_PASS;
	uint64_t size = 0;
	int rc;

	if (access(c->tee, F_OK) && !c->gpu_expected) {
		snprintf(c->no_tee, sizeof(c->no_tee), "no TEE here (%s: %s): the protected bytes can't be read", c->tee,
			 strerror(errno));
		ktap_diag("%s", c->no_tee);
		return KTAP_PASS;
	}
	rc = verify_ta_open(&c->ta, c->tee);
	EXPECT(rc == 0, "no session with the protm_verify TA on %s", c->tee);
	rc = tee_shm_register_fd(c->ta.tee_fd, c->dmabuf, &c->shm_id, &size);
	EXPECT(rc >= 0, "TEE_IOC_SHM_REGISTER_FD of the protected dma-buf: %s", strerror(-rc));
	c->shm_fd = rc;
	EXPECT(size >= BUF_SIZE, "the TEE sees %llu bytes of the %d-byte dma-buf", (unsigned long long)size, BUF_SIZE);
	ktap_diag("the dma-buf is registered with the TEE (shm id %d)", c->shm_id);
out:
	return res;
}

/* The memory types vkGetMemoryFdPropertiesKHR names for a dma-buf of `path`. */
static enum ktap_result fd_memory_types(struct ctx *c, const char *path, uint32_t *bits)
{
	PFN_vkGetMemoryFdPropertiesKHR get_props =
		(PFN_vkGetMemoryFdPropertiesKHR)vkGetDeviceProcAddr(c->dev, "vkGetMemoryFdPropertiesKHR");
	VkMemoryFdPropertiesKHR props = { .sType = VK_STRUCTURE_TYPE_MEMORY_FD_PROPERTIES_KHR };
	enum ktap_result res = KTAP_PASS;
	int fd = -1;
	int rc;

	EXPECT(get_props, "vkGetMemoryFdPropertiesKHR is missing");
	rc = heap_alloc(path, BUF_SIZE, &fd);
	EXPECT(rc == 0, "%s: allocating %d bytes: %s", path, BUF_SIZE, strerror(rc));
	VK_EXPECT(get_props(c->dev, VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT, fd, &props));
	*bits = props.memoryTypeBits;
out:
	if (fd >= 0)
		close(fd);
	return res;
}

/*
 * An application importing a dma-buf learns from vkGetMemoryFdPropertiesKHR
 * which memory types it can import it as: a buffer of the protected heap
 * only as protected memory, a buffer of the system heap never as that.
 */
static enum ktap_result case_fd_memory_types(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	uint32_t protected_bits = 0, system_bits = 0;
	char path[128];

	res = need_device(c, skip, skip_len);
	if (res != KTAP_PASS)
		return res;
	snprintf(path, sizeof(path), "/dev/dma_heap/%s", c->heap);
	res = fd_memory_types(c, path, &protected_bits);
	if (res != KTAP_PASS)
		return res;
	res = fd_memory_types(c, "/dev/dma_heap/system", &system_bits);
	if (res != KTAP_PASS)
		return res;
	ktap_diag("memory types: 0x%x for a %s dma-buf, 0x%x for a system one (protected type %d)", protected_bits,
		  c->heap, system_bits, c->prot_type);
	EXPECT(protected_bits == 1u << c->prot_type,
	       "a protected dma-buf is offered memory types 0x%x, not the protected type alone (0x%x)", protected_bits,
	       1u << c->prot_type);
	EXPECT(system_bits && !(system_bits & (1u << c->prot_type)),
	       "a system-heap dma-buf is offered memory types 0x%x (the protected type is %d)", system_bits,
	       c->prot_type);
out:
	return res;
}

/*
 * A dma-buf of the protected TEE heap, allocated here, registered with the
 * TEE, then imported as protected memory (the type the previous case found
 * vkGetMemoryFdPropertiesKHR naming) and bound to a protected buffer.
 */
static enum ktap_result case_import(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	VkMemoryRequirements req;
	char path[128];
	int rc;

	res = need_device(c, skip, skip_len);
	if (res != KTAP_PASS)
		return res;
	snprintf(path, sizeof(path), "/dev/dma_heap/%s", c->heap);
	rc = heap_alloc(path, BUF_SIZE, &c->dmabuf);
	EXPECT(rc == 0, "%s: allocating %d bytes: %s", path, BUF_SIZE, strerror(rc));
	res = tee_register(c);
	if (res != KTAP_PASS)
		goto out;

	VkExternalMemoryBufferCreateInfo ext = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
		.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
	};
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.pNext = &ext,
		.flags = VK_BUFFER_CREATE_PROTECTED_BIT,
		.size = BUF_SIZE,
		.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
			 VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VK_EXPECT(vkCreateBuffer(c->dev, &bci, NULL, &c->prot_buf));
	vkGetBufferMemoryRequirements(c->dev, c->prot_buf, &req);
	EXPECT(req.memoryTypeBits & (1u << c->prot_type), "the protected buffer can't use the protected type (0x%x)",
	       req.memoryTypeBits);
	EXPECT(req.size <= BUF_SIZE, "the buffer needs %llu bytes, more than the dma-buf's %d",
	       (unsigned long long)req.size, BUF_SIZE);

	VkImportMemoryFdInfoKHR imp = {
		.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
		.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
		.fd = c->dmabuf,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.pNext = &imp,
		.allocationSize = req.size,
		.memoryTypeIndex = (uint32_t)c->prot_type,
	};
	VK_EXPECT(vkAllocateMemory(c->dev, &mai, NULL, &c->prot_mem));
	c->dmabuf = -1; /* Vulkan's now */
	VK_EXPECT(vkBindBufferMemory(c->dev, c->prot_buf, c->prot_mem, 0));
	ktap_diag("%d bytes of %s imported as protected memory (type %d) and bound", BUF_SIZE, c->heap,
		  c->prot_type);
out:
	return res;
}

/*
 * The TA fills the registered dma-buf with a pattern and finds that
 * pattern there again: the route every later check reads the protected
 * bytes by.
 */
static enum ktap_result case_tee(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_buffer(c, skip, skip_len);
	uint64_t offset = 0;
	bool match = false;

	if (res != KTAP_PASS)
		return res;
	if (c->shm_fd < 0 && c->no_tee[0] && !c->gpu_expected)
		SKIP("%s", c->no_tee);
	EXPECT(c->shm_fd >= 0, "the dma-buf is not registered with the TEE (see the previous case)");
	EXPECT(verify_ta_fill(&c->ta, c->shm_id, BUF_SIZE, SEED_FILL), "the TA could not fill the buffer");
	EXPECT(verify_ta_compare(&c->ta, c->shm_id, BUF_SIZE, SEED_FILL, &match, &offset),
	       "the TA could not compare the buffer");
	EXPECT(match, "the TA's fill is not there (first difference at 0x%llx)", (unsigned long long)offset);
	ktap_diag("filled and read back by the TA");
out:
	return res;
}

/* Neither the TA (drm-shim) nor a GPU to show what was written: say so. */
static enum ktap_result need_ta(struct ctx *c, char *skip, size_t skip_len)
{
	if (c->shm_fd >= 0)
		return KTAP_PASS;
	if (c->no_tee[0] && !c->gpu_expected) {
		snprintf(skip, skip_len, "submitted and signalled, not verified: %s", c->no_tee);
		return KTAP_SKIP;
	}
	ktap_diag("the protected buffer is not registered with the TEE (see tee_buffer_filled_by_ta)");
	return KTAP_FAIL;
}

/*
 * `record` into a secondary command buffer of k's pool, which k executes.
 * The pool frees it with the rest.
 */
static VkResult record_in_secondary(struct ctx *c, struct cmd *k, void (*record)(struct ctx *, VkCommandBuffer))
{
	VkCommandBufferAllocateInfo cai = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
		.commandPool = k->pool,
		.level = VK_COMMAND_BUFFER_LEVEL_SECONDARY,
		.commandBufferCount = 1,
	};
	VkCommandBufferInheritanceInfo ii = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_INHERITANCE_INFO };
	VkCommandBufferBeginInfo bi = {
		.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
		.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
		.pInheritanceInfo = &ii,
	};
	VkCommandBuffer sec;
	VkResult vr = vkAllocateCommandBuffers(c->dev, &cai, &sec);

	if (!vr)
		vr = vkBeginCommandBuffer(sec, &bi);
	if (vr)
		return vr;
	record(c, sec);
	vr = vkEndCommandBuffer(sec);
	if (!vr)
		vkCmdExecuteCommands(k->buf, 1, &sec);
	return vr;
}

/*
 * A transfer command recorded by `record` into a protected command buffer
 * (or, with `in_secondary`, into a protected secondary command buffer that
 * it executes) on the protected queue, over the TA's pattern for `seed`;
 * `expect` turns c->want (that pattern) into what the buffer must hold
 * afterwards, and the TA's hash must agree.
 */
static enum ktap_result protected_transfer(struct ctx *c, char *skip, size_t skip_len, uint32_t seed,
					   const char *what, void (*record)(struct ctx *, VkCommandBuffer),
					   void (*expect)(struct ctx *), bool in_secondary)
{
	enum ktap_result res = need_buffer(c, skip, skip_len);
	struct cmd k = { 0 };
	VkResult vr;

	if (res != KTAP_PASS)
		return res;
	c->want_known = false;
	if (c->shm_fd >= 0)
		EXPECT(verify_ta_fill(&c->ta, c->shm_id, BUF_SIZE, seed), "the TA could not fill the buffer");
	VK_EXPECT(cmd_begin(c, &k, true));
	if (in_secondary)
		VK_EXPECT(record_in_secondary(c, &k, record));
	else
		record(c, k.buf);
	vr = cmd_submit_wait(c, &k, what);
	say_fence(what, vr);
	EXPECT(vr == VK_SUCCESS, "%s: the protected command buffer did not complete", what);
	res = need_ta(c, skip, skip_len);
	if (res != KTAP_PASS)
		goto out;
	want_pattern(c, seed);
	expect(c);
	c->want_known = true;
	c->want_seed = seed;
	res = ta_verify(c, what, seed);
out:
	cmd_free(c, &k);
	return res;
}

/* vkCmdFillBuffer: a word over a range inside the buffer. */
static void fill_record(struct ctx *c, VkCommandBuffer cmd)
{
	vkCmdFillBuffer(cmd, c->prot_buf, FILL_OFF, FILL_SIZE, FILL_WORD);
}

static void fill_expect(struct ctx *c)
{
	for (uint32_t i = FILL_OFF; i < FILL_OFF + FILL_SIZE; i += 4)
		memcpy(c->want + i, &(uint32_t){ FILL_WORD }, 4);
}

static enum ktap_result case_fill(struct ctx *c, char *skip, size_t skip_len)
{
	return protected_transfer(c, skip, skip_len, SEED_FILL, "vkCmdFillBuffer(0x100, 8 KiB, 0xc0ffee42)",
				  fill_record, fill_expect, false);
}

/*
 * The same fill from a protected secondary command buffer: its own
 * synchronisation runs in normal mode as the primary's does.
 */
static enum ktap_result case_secondary_fill(struct ctx *c, char *skip, size_t skip_len)
{
	return protected_transfer(c, skip, skip_len, SEED_SECONDARY,
				  "vkCmdFillBuffer(0x100, 8 KiB, 0xc0ffee42) in a secondary command buffer", fill_record,
				  fill_expect, true);
}

/* vkCmdUpdateBuffer: bytes from the command buffer itself (normal memory, read in protected mode). */
static uint8_t update_data[UPDATE_SIZE];

static void update_record(struct ctx *c, VkCommandBuffer cmd)
{
	for (unsigned i = 0; i < UPDATE_SIZE; i++)
		update_data[i] = (uint8_t)(i * 7 + (i >> 8) + 1);
	vkCmdUpdateBuffer(cmd, c->prot_buf, UPDATE_OFF, UPDATE_SIZE, update_data);
}

static void update_expect(struct ctx *c)
{
	memcpy(c->want + UPDATE_OFF, update_data, UPDATE_SIZE);
}

static enum ktap_result case_update(struct ctx *c, char *skip, size_t skip_len)
{
	return protected_transfer(c, skip, skip_len, SEED_UPDATE, "vkCmdUpdateBuffer(0x1004, 1 KiB)", update_record,
				  update_expect, false);
}

/* vkCmdCopyBuffer inside the protected buffer: two regions, one unaligned on both sides. */
static const VkBufferCopy copy_regions[2] = {
	{ .srcOffset = 0x10, .dstOffset = 0x3000, .size = 0x600 },
	{ .srcOffset = 0x801, .dstOffset = 0x3803, .size = 0x1ff },
};

static void copy_record(struct ctx *c, VkCommandBuffer cmd)
{
	vkCmdCopyBuffer(cmd, c->prot_buf, c->prot_buf, 2, copy_regions);
}

static void copy_expect(struct ctx *c)
{
	/* The sources don't overlap the destinations: they still hold the pattern. */
	for (unsigned r = 0; r < 2; r++)
		memcpy(c->want + copy_regions[r].dstOffset, c->want + copy_regions[r].srcOffset, copy_regions[r].size);
}

static enum ktap_result case_copy(struct ctx *c, char *skip, size_t skip_len)
{
	return protected_transfer(c, skip, skip_len, SEED_COPY, "vkCmdCopyBuffer(protected to protected, 2 regions)",
				  copy_record, copy_expect, false);
}

/*
 * Image copies in a protected command buffer: vkCmdCopyBufferToImage from
 * the protected buffer into a protected 40x24 R8G8B8A8_UINT image
 * (OPTIMAL: u-interleaved tiles), then vkCmdCopyImageToBuffer back into
 * another range of the buffer; panvk runs both as vk_meta compute shaders
 * (image stores, texel fetches). The TA's hash shows the bytes came back.
 */
static void image_record(struct ctx *c, VkCommandBuffer cmd)
{
	VkBufferImageCopy r = {
		.bufferOffset = IMG_IN_OFF,
		.imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
		.imageExtent = { IMG_W, IMG_H, 1 },
	};

	vk_image_transfer_barrier(cmd, c->prot_img, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
	vkCmdCopyBufferToImage(cmd, c->prot_buf, c->prot_img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &r);
	vk_image_transfer_barrier(cmd, c->prot_img, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
	r.bufferOffset = IMG_OUT_OFF;
	vkCmdCopyImageToBuffer(cmd, c->prot_img, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, c->prot_buf, 1, &r);
}

static void image_expect(struct ctx *c)
{
	memcpy(c->want + IMG_OUT_OFF, c->want + IMG_IN_OFF, IMG_W * IMG_H * 4);
}

/*
 * A protected OPTIMAL IMG_W x IMG_H image of `format`, in protected memory of
 * its own, with `usage` beyond the transfers.
 */
static enum ktap_result protected_image(struct ctx *c, VkFormat format, VkImageUsageFlags usage, VkImage *img,
					VkDeviceMemory *mem)
{
	enum ktap_result res = KTAP_PASS;
	VkImageCreateInfo ici =
		vk_image_transfer_info(format, IMG_W, IMG_H, VK_IMAGE_TILING_OPTIMAL, VK_IMAGE_CREATE_PROTECTED_BIT);
	VkMemoryRequirements req;

	if (*img)
		return KTAP_PASS;
	ici.usage |= usage;
	VK_EXPECT(vkCreateImage(c->dev, &ici, NULL, img));
	vkGetImageMemoryRequirements(c->dev, *img, &req);
	EXPECT(req.memoryTypeBits & (1u << c->prot_type), "the protected image can't use the protected type (0x%x)",
	       req.memoryTypeBits);
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.allocationSize = req.size,
		.memoryTypeIndex = (uint32_t)c->prot_type,
	};
	VK_EXPECT(vkAllocateMemory(c->dev, &mai, NULL, mem));
	VK_EXPECT(vkBindImageMemory(c->dev, *img, *mem, 0));
	ktap_diag("a protected %ux%u OPTIMAL image (format %d) in %llu bytes of protected memory", IMG_W, IMG_H,
		  (int)format, (unsigned long long)req.size);
out:
	return res;
}

static enum ktap_result case_image(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_buffer(c, skip, skip_len);

	if (res == KTAP_PASS)
		res = protected_image(c, VK_FORMAT_R8G8B8A8_UINT, 0, &c->prot_img, &c->prot_img_mem);
	if (res != KTAP_PASS)
		return res;
	return protected_transfer(c, skip, skip_len, SEED_IMAGE,
				  "vkCmdCopyBufferToImage then vkCmdCopyImageToBuffer (protected 40x24 image)",
				  image_record, image_expect, false);
}

/*
 * A render pass that draws nothing in a protected command buffer: its
 * attachment, a protected image, is cleared on load (a fragment job, run in
 * protected mode, its bookkeeping in normal mode), then
 * vkCmdCopyImageToBuffer brings the pixels into the protected buffer, where
 * the TA's hash must show the clear value: a colour, and, in passes of
 * their own, a depth and a stencil (the fragment job's depth writeback).
 */
static const VkClearValue clear_colour = { .color.float32 = { 0.2f, 0.4f, 0.6f, 1.0f } };
static const uint8_t clear_bytes[4] = { 51, 102, 153, 255 };
/* The depth and stencil passes' clear: the D32 pass takes its depth alone */
static const VkClearValue clear_depth_stencil = { .depthStencil = { .depth = 0.25f, .stencil = 0x5a } };

/*
 * A protected attachment `p` of `format` and its pass, then
 * protected_transfer() with `record` (the pass and the copy out).
 */
static enum ktap_result protected_clear(struct ctx *c, char *skip, size_t skip_len, struct vk_clear_pass *p,
					VkFormat format, VkImageAspectFlags aspect, uint32_t seed, const char *what,
					void (*record)(struct ctx *, VkCommandBuffer), void (*expect)(struct ctx *))
{
	enum ktap_result res = need_buffer(c, skip, skip_len);
	VkImageUsageFlags usage = aspect & VK_IMAGE_ASPECT_COLOR_BIT ? VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT
								     : VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT;

	if (res == KTAP_PASS)
		res = protected_image(c, format, usage, &p->img, &p->mem);
	if (res == KTAP_PASS && !p->fb)
		VK_EXPECT(vk_clear_pass_create(c->dev, p, format, aspect, IMG_W, IMG_H));
	if (res == KTAP_PASS)
		res = protected_transfer(c, skip, skip_len, seed, what, record, expect, false);
out:
	return res;
}

static void clear_record(struct ctx *c, VkCommandBuffer cmd)
{
	vk_clear_pass_record(cmd, &c->colour, &clear_colour, VK_IMAGE_ASPECT_COLOR_BIT, c->prot_buf, CLEAR_OFF);
}

static void clear_expect(struct ctx *c)
{
	for (unsigned i = 0; i < IMG_W * IMG_H * 4; i += 4)
		memcpy(c->want + CLEAR_OFF + i, clear_bytes, 4);
}

static enum ktap_result case_render_pass_clear(struct ctx *c, char *skip, size_t skip_len)
{
	return protected_clear(c, skip, skip_len, &c->colour, VK_FORMAT_R8G8B8A8_UNORM, VK_IMAGE_ASPECT_COLOR_BIT,
			       SEED_CLEAR, "a render pass clearing a protected 40x24 image to 0.2 0.4 0.6 1.0, then a copy out",
			       clear_record, clear_expect);
}

static void depth_record(struct ctx *c, VkCommandBuffer cmd)
{
	vk_clear_pass_record(cmd, &c->depth, &clear_depth_stencil, VK_IMAGE_ASPECT_DEPTH_BIT, c->prot_buf, DEPTH_OFF);
}

/* D32_SFLOAT copies out as the float's bytes. */
static void depth_expect(struct ctx *c)
{
	for (unsigned i = 0; i < IMG_W * IMG_H * 4; i += 4)
		memcpy(c->want + DEPTH_OFF + i, &clear_depth_stencil.depthStencil.depth, 4);
}

static enum ktap_result case_render_pass_depth_clear(struct ctx *c, char *skip, size_t skip_len)
{
	return protected_clear(c, skip, skip_len, &c->depth, VK_FORMAT_D32_SFLOAT, VK_IMAGE_ASPECT_DEPTH_BIT,
			       SEED_DEPTH,
			       "a render pass clearing a protected 40x24 D32_SFLOAT depth image to 0.25, then a copy out",
			       depth_record, depth_expect);
}

/*
 * D24_UNORM_S8_UINT, depth and stencil cleared together (0.25, 0x5a): the
 * stencil copies out alone, one byte a texel (the depth copy's top byte is
 * undefined, which a hash of the whole buffer cannot leave aside).
 */
static void stencil_record(struct ctx *c, VkCommandBuffer cmd)
{
	vk_clear_pass_record(cmd, &c->ds, &clear_depth_stencil, VK_IMAGE_ASPECT_STENCIL_BIT, c->prot_buf, STENCIL_OFF);
}

static void stencil_expect(struct ctx *c)
{
	memset(c->want + STENCIL_OFF, clear_depth_stencil.depthStencil.stencil, IMG_W * IMG_H);
}

static enum ktap_result case_render_pass_stencil_clear(struct ctx *c, char *skip, size_t skip_len)
{
	return protected_clear(c, skip, skip_len, &c->ds, VK_FORMAT_D24_UNORM_S8_UINT,
			       VK_IMAGE_ASPECT_DEPTH_BIT | VK_IMAGE_ASPECT_STENCIL_BIT, SEED_STENCIL,
			       "a render pass clearing a protected 40x24 D24_UNORM_S8_UINT image to 0.25 and 0x5a, "
			       "then a copy of its stencil out",
			       stencil_record, stencil_expect);
}

/*
 * One of our shaders in a protected command buffer, `invocations` words at
 * `off` in the protected buffer over the TA's pattern for `seed`: word i must
 * be value(i), and the TA's hash must agree.
 */
static enum ktap_result protected_shader(struct ctx *c, char *skip, size_t skip_len, struct vk_spirv spirv,
					 VkDeviceSize off, uint32_t invocations, uint32_t (*value)(uint32_t),
					 uint32_t seed, const char *what)
{
	enum ktap_result res = need_buffer(c, skip, skip_len);
	struct vk_ssbo_pipeline sp = { 0 };
	const char *call;
	struct cmd k = { 0 };
	VkResult vr;

	if (res != KTAP_PASS)
		return res;
	if (c->shm_fd >= 0)
		EXPECT(verify_ta_fill(&c->ta, c->shm_id, BUF_SIZE, seed), "the TA could not fill the buffer");
	c->want_known = false;

	vr = vk_ssbo_pipeline_create(c->dev, spirv, c->prot_buf, off, (VkDeviceSize)invocations * 4, &sp, &call);
	EXPECT(vr == VK_SUCCESS, "%s: %s (%d)", call, vk_result_str(vr), vr);

	VK_EXPECT(cmd_begin(c, &k, true));
	vk_ssbo_pipeline_dispatch(&sp, k.buf, invocations);
	vr = cmd_submit_wait(c, &k, "protected dispatch");
	say_fence("protected dispatch", vr);
	EXPECT(vr == VK_SUCCESS, "the protected dispatch did not complete (%s)", what);
	res = need_ta(c, skip, skip_len);
	if (res != KTAP_PASS)
		goto out;
	want_pattern(c, seed);
	for (uint32_t i = 0; i < invocations; i++)
		memcpy(c->want + off + 4 * i, &(uint32_t){ value(i) }, 4);
	c->want_known = true;
	c->want_seed = seed;
	res = ta_verify(c, what, seed);
out:
	cmd_free(c, &k);
	vk_ssbo_pipeline_destroy(&sp);
	return res;
}

/* Our SSBO compute shader in a protected command buffer, checked by the TA. */
static enum ktap_result case_ssbo(struct ctx *c, char *skip, size_t skip_len)
{
	return protected_shader(c, skip, skip_len, (struct vk_spirv){ ssbo_spirv, ssbo_spirv_size }, SSBO_OFF,
				SSBO_INVOCATIONS, ssbo_value, SEED_SSBO,
				"SSBO data[i] = i * 0x9e3779b1 + 0x01234567 at 0x2400, 256 invocations");
}

/*
 * Our picture shader in a protected command buffer, over the whole
 * protected buffer, checked by the TA. Nobody in the normal world can read
 * what the GPU drew: the report shows the CPU's picture whose SHA-256 the
 * TA's hash of the protected buffer matched.
 */
static enum ktap_result case_picture(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = protected_shader(
		c, skip, skip_len, (struct vk_spirv){ picture_spirv, picture_spirv_size }, 0, PICTURE_W * PICTURE_H,
		picture_value, SEED_PICTURE,
		"picture: pixel (x, y) = ((x ^ y) * 4, x * 4, y * 4, 255) over the whole buffer");

	if (res == KTAP_PASS)
		ktap_image("protected-picture",
			   "drawn by the same shader into protected memory: the secure world's SHA-256 of it is this "
			   "picture's (the normal world cannot read it)",
			   PICTURE_W, PICTURE_H, c->want);
	return res;
}

/*
 * Isolation, last (it loses the device): an unprotected command buffer on
 * the unprotected queue copies the protected buffer into host-visible
 * memory. Invalid usage without protectedNoFault (panvk reports it false),
 * which the hardware must contain: the GPU faults, and not one byte of
 * protected memory reaches the destination.
 */
static enum ktap_result case_copy_out(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_buffer(c, skip, skip_len);
	VkPhysicalDeviceMemoryProperties mp;
	VkBuffer dst = VK_NULL_HANDLE;
	VkDeviceMemory mem = VK_NULL_HANDLE;
	VkMemoryRequirements req;
	struct cmd k = { 0 };
	volatile uint8_t *map = NULL;
	size_t changed = 0, leaked = 0, first = BUF_SIZE;
	int type, faults_before, faults_after;
	VkResult vr;

	if (res != KTAP_PASS)
		return res;
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
		.size = BUF_SIZE,
		.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VK_EXPECT(vkCreateBuffer(c->dev, &bci, NULL, &dst));
	vkGetBufferMemoryRequirements(c->dev, dst, &req);
	vkGetPhysicalDeviceMemoryProperties(c->pdev, &mp);
	type = vk_find_memory_type(&mp, req.memoryTypeBits,
				   VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
				   VK_MEMORY_PROPERTY_PROTECTED_BIT);
	EXPECT(type >= 0, "no host-visible, coherent memory type for the destination");
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
		.allocationSize = req.size,
		.memoryTypeIndex = (uint32_t)type,
	};
	VK_EXPECT(vkAllocateMemory(c->dev, &mai, NULL, &mem));
	VK_EXPECT(vkBindBufferMemory(c->dev, dst, mem, 0));
	VK_EXPECT(vkMapMemory(c->dev, mem, 0, VK_WHOLE_SIZE, 0, (void **)&map));
	memset((void *)map, GUARD, BUF_SIZE);

	VK_EXPECT(cmd_begin(c, &k, false));
	vkCmdCopyBuffer(k.buf, c->prot_buf, dst, 1, &(VkBufferCopy){ .size = BUF_SIZE });
	/* Panthor's reports of the fault: "GPU_BUS_FAULT", "CS_BUS_FAULT". */
	faults_before = klog_count("BUS_FAULT");
	vr = cmd_submit_wait(c, &k, "unprotected copy out of protected memory");
	/* The report may trail the lost device by a moment (another interrupt). */
	faults_after = klog_wait_count("BUS_FAULT", faults_before, c->gpu_expected ? 2000 : 0);
	say_fence("unprotected copy out of protected memory", vr);

	for (size_t i = 0; i < BUF_SIZE; i++) {
		if (map[i] == GUARD)
			continue;
		if (first == BUF_SIZE)
			first = i;
		changed++;
		leaked += c->want_known && map[i] == c->want[i];
	}
	ktap_diag("%zu of %d destination bytes changed, %zu of them the protected buffer's", changed, BUF_SIZE,
		  leaked);
	if (c->gpu_expected) {
		uint8_t got[BUF_SIZE];

		for (size_t i = 0; i < BUF_SIZE; i++)
			got[i] = map[i];
		ktap_image("copy-out",
			   "the protected picture copied into normal memory by a normal queue, as the CPU reads "
			   "the destination afterwards (it wrote 0xa5 bytes there before)",
			   PICTURE_W, PICTURE_H, got);
	}
	if (changed)
		ktap_diag("the first at offset 0x%zx: 0x%02x", first, map[first]);
	EXPECT(!changed, "protected memory reached host-visible memory, or the GPU wrote it anyway");
	if (!c->gpu_expected) {
		EXPECT(vr == VK_SUCCESS, "without a GPU the copy must still be submitted and signalled");
		SKIP("no GPU runs the work here (PROTM_EXPECT_GPU is not 1, e.g. drm-shim): submitted and "
		     "signalled, no fault to see");
	}
	EXPECT(vr == VK_ERROR_DEVICE_LOST, "the copy did not fault: %s (%d) instead of VK_ERROR_DEVICE_LOST",
	       vk_result_str(vr), vr);
	/* The device was lost to the bus fault of the read, not to anything else. */
	EXPECT(faults_after > faults_before, "the kernel log has no new GPU bus fault report (%d before, %d after)",
	       faults_before, faults_after);
	ktap_diag("the kernel reported %d GPU bus fault line(s) for the copy", faults_after - faults_before);
	/* The failed read left the protected bytes alone. */
	if (c->shm_fd >= 0 && c->want_known)
		res = ta_verify(c, "the protected buffer after the refused copy", c->want_seed);
out:
	cmd_free(c, &k);
	if (map)
		vkUnmapMemory(c->dev, mem);
	if (dst)
		vkDestroyBuffer(c->dev, dst, NULL);
	if (mem)
		vkFreeMemory(c->dev, mem, NULL);
	return res;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--expect-protected yes|no|any] [--heap NAME] [--tee DEV]\n", argv0);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum ktap_result (*fn)(struct ctx *, char *, size_t);
	} cases[CASES] = {
		{ "protected_device_with_dma_buf_import", case_device },
		{ "dma_buf_memory_types_protected_only_for_protected_heap", case_fd_memory_types },
		{ "tee_heap_buffer_imported_as_protected_memory", case_import },
		{ "tee_buffer_filled_by_ta", case_tee },
		{ "protected_fill_verified_by_ta", case_fill },
		{ "protected_secondary_fill_verified_by_ta", case_secondary_fill },
		{ "protected_update_verified_by_ta", case_update },
		{ "protected_copy_verified_by_ta", case_copy },
		{ "protected_image_copies_verified_by_ta", case_image },
		{ "protected_render_pass_clear_verified_by_ta", case_render_pass_clear },
		{ "protected_render_pass_depth_clear_verified_by_ta", case_render_pass_depth_clear },
		{ "protected_render_pass_stencil_clear_verified_by_ta", case_render_pass_stencil_clear },
		{ "protected_compute_shader_verified_by_ta", case_ssbo },
		{ "protected_picture_verified_by_ta", case_picture },
		{ "normal_queue_copy_from_protected_faults_leaks_nothing", case_copy_out },
	};
	static struct ctx c = {
		.expect = EXPECT_PROTECTED,
		.heap = "protected,secure-video",
		.tee = "/dev/tee0",
		.prot_type = -1,
		.dmabuf = -1,
		.ta = { .tee_fd = -1 },
		.shm_fd = -1,
		.shm_id = -1,
	};
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
		} else if (!strcmp(argv[i], "--heap") && i + 1 < argc) {
			c.heap = argv[++i];
		} else if (!strcmp(argv[i], "--tee") && i + 1 < argc) {
			c.tee = argv[++i];
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

	if (c.shm_fd >= 0)
		close(c.shm_fd);
	verify_ta_close(&c.ta);
	/* Vulkan's destroy and free calls take VK_NULL_HANDLE: only the device must exist. */
	if (c.dev) {
		vkDestroyImage(c.dev, c.prot_img, NULL);
		vkFreeMemory(c.dev, c.prot_img_mem, NULL);
		vk_clear_pass_destroy(c.dev, &c.colour);
		vk_clear_pass_destroy(c.dev, &c.depth);
		vk_clear_pass_destroy(c.dev, &c.ds);
		vkDestroyBuffer(c.dev, c.prot_buf, NULL);
		vkFreeMemory(c.dev, c.prot_mem, NULL);
		vkDestroyDevice(c.dev, NULL);
	}
	if (c.dmabuf >= 0)
		close(c.dmabuf);
	if (c.instance)
		vkDestroyInstance(c.instance, NULL);
	return ktap_suite_end();
}
