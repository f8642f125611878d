// SPDX-License-Identifier: BSD-2-Clause
/*
 * protm-egl-protected: KTAP suite "egl-protected", EGL_EXT_protected_content through
 * Mesa's panfrost Gallium driver (mesa-patches/) on Panthor, or on Mesa's
 * drm-shim on a host without a GPU, on the surfaceless platform:
 *
 *   - an unprotected context still works: made current without surfaces,
 *     a framebuffer object with a texture is complete and is cleared; where
 *     a GPU runs the work, glReadPixels reads the clear colour back in every
 *     pixel;
 *   - EGL_EXT_protected_content is advertised, and EGL_EXT_protected_surface
 *     with it (both need protected mode);
 *   - a context created with EGL_PROTECTED_CONTENT_EXT = EGL_TRUE reports it
 *     through eglQueryContext, an ordinary one reports EGL_FALSE; without
 *     the extension, the attribute is refused with EGL_BAD_ATTRIBUTE;
 *   - a surfaceless protected render target: a buffer from the TEE
 *     protected heap, imported with eglCreateImageKHR(EGL_LINUX_DMA_BUF_EXT,
 *     EGL_PROTECTED_CONTENT_EXT = EGL_TRUE), bound to a texture attached to
 *     a framebuffer object of the protected context, which is complete and
 *     is cleared; without the extension, that image is refused with
 *     EGL_BAD_PARAMETER;
 *   - where a GPU runs the work, the protected render target holds the
 *     clear colour in every pixel: the CPU can't read it, so our TA
 *     (test/ta/protm_verify) hashes it in the secure world, through the
 *     dma-buf registered with the TEE, and the SHA-256 must be the CPU's;
 *   - a protected pbuffer (EGL_PROTECTED_CONTENT_EXT) reports itself
 *     protected and is cleared by the protected context; in protected mode
 *     the GPU can't write normal memory, so where a GPU runs the work the
 *     clear succeeds only if the pbuffer's memory is protected;
 *   - where a GPU runs the work, a protected GBM window surface on the
 *     render node is cleared by a protected context and swapped; its front
 *     buffer, exported as a dma-buf, holds the clear colour in every pixel,
 *     as our TA's SHA-256 says.
 *
 * Usage: protm-egl-protected [--expect-protected yes|no|any] [--heap NAME]
 *                            [--tee DEV]
 *
 *   --expect-protected
 *              yes (default): EGL_EXT_protected_content must be there and
 *              work; no: it must be absent, and the attribute refused with
 *              EGL_BAD_ATTRIBUTE, while unprotected contexts still work;
 *              any: without the extension the protected cases SKIP.
 *   --heap     protected heap under /dev/dma_heap (default: the
 *              PAN_PROTECTED_HEAP environment variable, else
 *              protected,secure-video, as Mesa).
 *   --tee      the TEE device of the TA (default /dev/tee0).
 *
 * PROTM_EXPECT_GPU=1 (the Mali model) or PROTM_EXPECT_DEVICE=1 (drm-shim)
 * makes a missing EGL device a failure, not a skip. Only PROTM_EXPECT_GPU=1
 * says the work runs (drm-shim runs none), so the pixels are checked only
 * then, and a missing TEE is then a failure too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/dma-heap.h>

#include <gbm.h>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GLES2/gl2.h>
#include <GLES2/gl2ext.h>

#include "../lib/ktap.h"
#include "../lib/sha256.h"
#include "../lib/sys.h"
#include "../lib/tee_client.h"
#include "../lib/verify_ta.h"

#define SUITE "egl-protected"
#define CASES 11
#define RT_SIZE 64
#define RT_BYTES (RT_SIZE * RT_SIZE * 4)
/*
 * The clear colour: each channel a multiple of 1/255 that float arithmetic
 * keeps on the right side of the rounding, so every driver packs the same
 * bytes, R G B A in memory (RGBA8).
 */
#define CLEAR_R 0.2f
#define CLEAR_G 0.4f
#define CLEAR_B 0.6f
#define CLEAR_A 1.0f
static const uint8_t clear_pixel[4] = { 51, 102, 153, 255 };
/* DRM_FORMAT_ABGR8888: RGBA8 in memory */
#define FOURCC_ABGR8888 0x34324241u
#define RENDER_NODE_FIRST 128
#define RENDER_NODE_LAST 191

enum expect { EXPECT_ANY, EXPECT_PROTECTED, EXPECT_ABSENT };

struct ctx {
	enum expect expect;
	/* PROTM_EXPECT_GPU=1: a GPU that runs the work (the Mali model). */
	bool gpu_expected;
	/* That, or PROTM_EXPECT_DEVICE=1: a device that may run nothing (drm-shim). */
	bool device_expected;
	char heap_path[128];
	const char *tee;

	EGLDisplay dpy;
	bool has_protected_content;
	bool has_protected_surface;
	bool has_dma_buf_import;
	EGLContext prot_ctx;
	/* What the render target cases leave for the cases that check pixels. */
	bool unprot_read;
	unsigned unprot_wrong;
	char unprot_first_wrong[96];
	int prot_buf;	/* the protected render target's dma-buf, once cleared */

	PFNEGLGETPLATFORMDISPLAYEXTPROC get_platform_display;
	PFNEGLCREATEIMAGEKHRPROC create_image;
	PFNEGLDESTROYIMAGEKHRPROC destroy_image;
	PFNGLEGLIMAGETARGETTEXTURE2DOESPROC image_target_texture;
};

static bool has_ext(const char *list, const char *ext)
{
	size_t n = strlen(ext);
	const char *p = list;

	while (p && (p = strstr(p, ext))) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static enum ktap_result no_gpu(struct ctx *c, char *skip, size_t skip_len, const char *why)
{
	if (c->device_expected) {
		ktap_diag("%s, but PROTM_EXPECT_%s=1", why, c->gpu_expected ? "GPU" : "DEVICE");
		return KTAP_FAIL;
	}
	snprintf(skip, skip_len, "%s", why);
	return KTAP_SKIP;
}

static enum ktap_result need_protected(struct ctx *c, char *skip, size_t skip_len)
{
	if (!c->dpy)
		return no_gpu(c, skip, skip_len, "no EGL display");
	if (c->has_protected_content)
		return KTAP_PASS;
	if (c->expect == EXPECT_PROTECTED) {
		ktap_diag("EGL_EXT_protected_content missing");
		return KTAP_FAIL;
	}
	snprintf(skip, skip_len, "%s",
		 c->expect == EXPECT_ABSENT ? "no protected content, as expected" :
					      "EGL_EXT_protected_content not supported");
	return KTAP_SKIP;
}

static EGLContext create_context(struct ctx *c, bool prot)
{
	const EGLint attrs[] = {
		EGL_CONTEXT_CLIENT_VERSION, 2,
		prot ? EGL_PROTECTED_CONTENT_EXT : EGL_NONE, EGL_TRUE,
		EGL_NONE,
	};

	return eglCreateContext(c->dpy, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, attrs);
}

/*
 * A texture-backed FBO is complete, is cleared and the clear finishes;
 * with `pixels`, what glReadPixels reads back (RT_BYTES).
 */
static bool fbo_works(GLuint tex, const char *what, uint8_t *pixels)
{
	GLuint fbo = 0;
	GLenum status, err;

	glGenFramebuffers(1, &fbo);
	glBindFramebuffer(GL_FRAMEBUFFER, fbo);
	glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex, 0);
	status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
	if (status != GL_FRAMEBUFFER_COMPLETE)
		ktap_diag("%s: framebuffer status 0x%x", what, status);
	if (status == GL_FRAMEBUFFER_COMPLETE) {
		glClearColor(CLEAR_R, CLEAR_G, CLEAR_B, CLEAR_A);
		glClear(GL_COLOR_BUFFER_BIT);
		glFinish();
		if (pixels)
			glReadPixels(0, 0, RT_SIZE, RT_SIZE, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
	}
	err = glGetError();
	if (err != GL_NO_ERROR)
		ktap_diag("%s: GL error 0x%x", what, err);
	glBindFramebuffer(GL_FRAMEBUFFER, 0);
	glDeleteFramebuffers(1, &fbo);
	return status == GL_FRAMEBUFFER_COMPLETE && err == GL_NO_ERROR;
}

/* ---- cases ------------------------------------------------------------------- */

static enum ktap_result case_display(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	const char *client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
	EGLint major, minor;
	const char *exts;

	if (!client || !has_ext(client, "EGL_MESA_platform_surfaceless"))
		return no_gpu(c, skip, skip_len, "no surfaceless EGL platform (not Mesa's libEGL?)");
	c->get_platform_display =
		(PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
	EXPECT(c->get_platform_display, "no eglGetPlatformDisplayEXT");
	c->dpy = c->get_platform_display(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
	if (c->dpy == EGL_NO_DISPLAY || !eglInitialize(c->dpy, &major, &minor)) {
		c->dpy = NULL;
		return no_gpu(c, skip, skip_len, "no EGL display for a GPU");
	}
	EXPECT(eglBindAPI(EGL_OPENGL_ES_API), "eglBindAPI: 0x%x", eglGetError());
	exts = eglQueryString(c->dpy, EGL_EXTENSIONS);
	ktap_diag("EGL %d.%d, %s", major, minor, eglQueryString(c->dpy, EGL_VENDOR));
	c->has_protected_content = has_ext(exts, "EGL_EXT_protected_content");
	c->has_protected_surface = has_ext(exts, "EGL_EXT_protected_surface");
	c->has_dma_buf_import = has_ext(exts, "EGL_EXT_image_dma_buf_import");
	EXPECT(has_ext(exts, "EGL_KHR_surfaceless_context") && has_ext(exts, "EGL_KHR_no_config_context"),
	       "no EGL_KHR_surfaceless_context or EGL_KHR_no_config_context");
	c->create_image = (PFNEGLCREATEIMAGEKHRPROC)eglGetProcAddress("eglCreateImageKHR");
	c->destroy_image = (PFNEGLDESTROYIMAGEKHRPROC)eglGetProcAddress("eglDestroyImageKHR");
	c->image_target_texture =
		(PFNGLEGLIMAGETARGETTEXTURE2DOESPROC)eglGetProcAddress("glEGLImageTargetTexture2DOES");
out:
	return res;
}

static enum ktap_result case_unprotected(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	EGLContext ctx;
	uint8_t *pixels = NULL;
	GLuint tex = 0;

	if (!c->dpy)
		return no_gpu(c, skip, skip_len, "no EGL display");
	ctx = create_context(c, false);
	EXPECT(ctx != EGL_NO_CONTEXT, "eglCreateContext: 0x%x", eglGetError());
	EXPECT(eglMakeCurrent(c->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx), "eglMakeCurrent: 0x%x",
	       eglGetError());
	ktap_diag("GL_RENDERER: %s", (const char *)glGetString(GL_RENDERER));
	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, RT_SIZE, RT_SIZE, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
	/* drm-shim runs no work: reading back would read what nothing wrote. */
	if (c->gpu_expected) {
		pixels = calloc(1, RT_BYTES);
		EXPECT(pixels, "out of memory");
	}
	EXPECT(fbo_works(tex, "unprotected texture", pixels), "the unprotected render target doesn't work");
	if (pixels) {
		for (int i = 0; i < RT_BYTES; i += 4) {
			if (!memcmp(pixels + i, clear_pixel, 4))
				continue;
			if (!c->unprot_wrong++)
				snprintf(c->unprot_first_wrong, sizeof(c->unprot_first_wrong),
					 "pixel %d,%d reads %u %u %u %u", i / 4 % RT_SIZE, i / 4 / RT_SIZE, pixels[i],
					 pixels[i + 1], pixels[i + 2], pixels[i + 3]);
		}
		c->unprot_read = true;
	}
out:
	free(pixels);
	if (tex)
		glDeleteTextures(1, &tex);
	eglMakeCurrent(c->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	if (ctx != EGL_NO_CONTEXT)
		eglDestroyContext(c->dpy, ctx);
	return res;
}

static enum ktap_result case_extension(struct ctx *c, char *skip, size_t skip_len)
{
	if (!c->dpy)
		return no_gpu(c, skip, skip_len, "no EGL display");
	switch (c->expect) {
	case EXPECT_PROTECTED:
		if (!c->has_protected_content)
			ktap_diag("EGL_EXT_protected_content missing, it was expected");
		return c->has_protected_content ? KTAP_PASS : KTAP_FAIL;
	case EXPECT_ABSENT:
		if (c->has_protected_content)
			ktap_diag("EGL_EXT_protected_content present, its absence was expected");
		return c->has_protected_content ? KTAP_FAIL : KTAP_PASS;
	default:
		if (c->has_protected_content)
			return KTAP_PASS;
		snprintf(skip, skip_len, "EGL_EXT_protected_content not supported (no protected mode?)");
		return KTAP_SKIP;
	}
}

/* EGL_EXT_protected_surface comes and goes with EGL_EXT_protected_content: both need protected mode. */
static enum ktap_result case_protected_surface_extension(struct ctx *c, char *skip, size_t skip_len)
{
	if (!c->dpy)
		return no_gpu(c, skip, skip_len, "no EGL display");
	if (c->has_protected_surface != c->has_protected_content) {
		ktap_diag("EGL_EXT_protected_surface %s but EGL_EXT_protected_content %s",
			  c->has_protected_surface ? "advertised" : "missing",
			  c->has_protected_content ? "advertised" : "missing");
		return KTAP_FAIL;
	}
	if (c->expect == EXPECT_PROTECTED && !c->has_protected_surface) {
		ktap_diag("EGL_EXT_protected_surface missing, it was expected");
		return KTAP_FAIL;
	}
	if (c->expect == EXPECT_ANY && !c->has_protected_surface) {
		snprintf(skip, skip_len, "EGL_EXT_protected_surface not supported (no protected mode?)");
		return KTAP_SKIP;
	}
	return KTAP_PASS;
}

/*
 * A protected context, or, without the extension (--expect-protected no), the
 * attribute refused with EGL_BAD_ATTRIBUTE.
 */
static enum ktap_result case_protected_context(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	EGLContext ctx;
	EGLint err;

	if (c->dpy && !c->has_protected_content && c->expect == EXPECT_ABSENT) {
		ctx = create_context(c, true);
		err = eglGetError();
		if (ctx != EGL_NO_CONTEXT)
			eglDestroyContext(c->dpy, ctx);
		EXPECT(ctx == EGL_NO_CONTEXT && err == EGL_BAD_ATTRIBUTE,
		       "EGL_PROTECTED_CONTENT_EXT without the extension: context %p, error 0x%x", (void *)ctx, err);
		ktap_diag("refused with EGL_BAD_ATTRIBUTE, as expected");
		goto out;
	}
	res = need_protected(c, skip, skip_len);
	if (res != KTAP_PASS)
		return res;
	c->prot_ctx = create_context(c, true);
	EXPECT(c->prot_ctx != EGL_NO_CONTEXT, "protected eglCreateContext: 0x%x", eglGetError());
	EXPECT(eglMakeCurrent(c->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, c->prot_ctx),
	       "eglMakeCurrent(protected context): 0x%x", eglGetError());
	eglMakeCurrent(c->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
out:
	return res;
}

static enum ktap_result case_query(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_protected(c, skip, skip_len);
	EGLContext plain = EGL_NO_CONTEXT;
	EGLint value = -1;

	if (res != KTAP_PASS)
		return res;
	EXPECT(c->prot_ctx, "no protected context (see the previous case)");
	EXPECT(eglQueryContext(c->dpy, c->prot_ctx, EGL_PROTECTED_CONTENT_EXT, &value),
	       "eglQueryContext: 0x%x", eglGetError());
	EXPECT(value == EGL_TRUE, "the protected context reports EGL_PROTECTED_CONTENT_EXT %d", value);
	plain = create_context(c, false);
	EXPECT(plain != EGL_NO_CONTEXT, "eglCreateContext: 0x%x", eglGetError());
	value = -1;
	EXPECT(eglQueryContext(c->dpy, plain, EGL_PROTECTED_CONTENT_EXT, &value), "eglQueryContext: 0x%x",
	       eglGetError());
	EXPECT(value == EGL_FALSE, "an ordinary context reports EGL_PROTECTED_CONTENT_EXT %d", value);
out:
	if (plain != EGL_NO_CONTEXT)
		eglDestroyContext(c->dpy, plain);
	return res;
}

static int heap_alloc_fd(const char *path, size_t len, int *buf_fd)
{
	struct dma_heap_allocation_data data = { .len = len, .fd_flags = O_RDWR | O_CLOEXEC };
	int heap = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	*buf_fd = -1;
	if (heap < 0)
		return errno;
	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &data) < 0)
		rc = errno;
	else
		*buf_fd = (int)data.fd;
	close(heap);
	return rc;
}

/*
 * A protected dma-buf, imported protected, as the protected context's render
 * target. Without the extension (--expect-protected no), the attribute is
 * refused with EGL_BAD_PARAMETER, as eglCreateImage does for attributes it
 * doesn't know.
 */
static enum ktap_result case_protected_render_target(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	EGLImageKHR image = EGL_NO_IMAGE_KHR;
	bool refusal = c->dpy && !c->has_protected_content && c->expect == EXPECT_ABSENT;
	GLuint tex = 0;
	int buf = -1;
	EGLint err;
	int rc;

	if (!refusal) {
		res = need_protected(c, skip, skip_len);
		if (res != KTAP_PASS)
			return res;
		EXPECT(c->prot_ctx, "no protected context (see the previous cases)");
	}
	EXPECT(c->has_dma_buf_import && c->create_image && c->image_target_texture,
	       "no EGL_EXT_image_dma_buf_import or GL_OES_EGL_image");
	rc = heap_alloc_fd(c->heap_path, RT_SIZE * RT_SIZE * 4, &buf);
	if (rc && refusal)
		SKIP("no %s to import: %s", c->heap_path, strerror(rc));
	EXPECT(rc == 0, "allocating from %s: %s", c->heap_path, strerror(rc));

	const EGLint attrs[] = {
		EGL_WIDTH, RT_SIZE,
		EGL_HEIGHT, RT_SIZE,
		EGL_LINUX_DRM_FOURCC_EXT, (EGLint)FOURCC_ABGR8888,
		EGL_DMA_BUF_PLANE0_FD_EXT, buf,
		EGL_DMA_BUF_PLANE0_OFFSET_EXT, 0,
		EGL_DMA_BUF_PLANE0_PITCH_EXT, RT_SIZE * 4,
		EGL_PROTECTED_CONTENT_EXT, EGL_TRUE,
		EGL_NONE,
	};
	image = c->create_image(c->dpy, EGL_NO_CONTEXT, EGL_LINUX_DMA_BUF_EXT, NULL, attrs);
	if (refusal) {
		err = eglGetError();
		EXPECT(image == EGL_NO_IMAGE_KHR && err == EGL_BAD_PARAMETER,
		       "EGL_PROTECTED_CONTENT_EXT without the extension: image %p, error 0x%x", (void *)image, err);
		ktap_diag("protected image refused with EGL_BAD_PARAMETER, as expected");
		goto out;
	}
	EXPECT(image != EGL_NO_IMAGE_KHR, "eglCreateImageKHR(protected dma-buf): 0x%x", eglGetError());

	EXPECT(eglMakeCurrent(c->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, c->prot_ctx),
	       "eglMakeCurrent(protected context): 0x%x", eglGetError());
	glGenTextures(1, &tex);
	glBindTexture(GL_TEXTURE_2D, tex);
	c->image_target_texture(GL_TEXTURE_2D, image);
	EXPECT(glGetError() == GL_NO_ERROR, "glEGLImageTargetTexture2DOES failed");
	EXPECT(fbo_works(tex, "protected render target", NULL), "the protected render target doesn't work");
	c->prot_buf = buf;
	buf = -1;
out:
	if (tex)
		glDeleteTextures(1, &tex);
	if (c->dpy)
		eglMakeCurrent(c->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	if (image != EGL_NO_IMAGE_KHR)
		c->destroy_image(c->dpy, image);
	if (buf >= 0)
		close(buf);
	return res;
}

/* Only a GPU that runs the work writes pixels: on drm-shim there is nothing to read. */
static enum ktap_result need_gpu_work(struct ctx *c, char *skip, size_t skip_len)
{
	if (c->gpu_expected)
		return KTAP_PASS;
	snprintf(skip, skip_len, "no GPU runs the work here (PROTM_EXPECT_GPU unset): no pixels to check");
	return KTAP_SKIP;
}

static enum ktap_result case_unprotected_read_back(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_gpu_work(c, skip, skip_len);

	if (res != KTAP_PASS)
		return res;
	EXPECT(c->unprot_read, "the unprotected render target was not read back (see the earlier case)");
	EXPECT(!c->unprot_wrong, "%u of the %d pixels are not the clear colour %u %u %u %u; the first: %s",
	       c->unprot_wrong, RT_SIZE * RT_SIZE, clear_pixel[0], clear_pixel[1], clear_pixel[2], clear_pixel[3],
	       c->unprot_first_wrong);
	ktap_diag("all %d pixels read back as %u %u %u %u", RT_SIZE * RT_SIZE, clear_pixel[0], clear_pixel[1],
		  clear_pixel[2], clear_pixel[3]);
out:
	return res;
}

/*
 * The secure world reads a protected buffer for us: our TA's SHA-256 of its
 * first RT_BYTES must be that of `pixel` in every pixel.
 */
static enum ktap_result ta_holds_pixel(struct ctx *c, int buf, const uint8_t pixel[4], const char *what)
{
	enum ktap_result res = KTAP_PASS;
	uint8_t want[SHA256_DIGEST_SIZE];
	struct verify_ta ta = { .tee_fd = -1 };
	uint8_t *expected = NULL;
	uint64_t size = 0;
	int shm_fd = -1, id = -1, rc;

	rc = verify_ta_open(&ta, c->tee);
	EXPECT(rc == 0, "no session with the protm_verify TA on %s", c->tee);
	rc = tee_shm_register_fd(ta.tee_fd, buf, &id, &size);
	EXPECT(rc >= 0, "TEE_IOC_SHM_REGISTER_FD of %s: %s", what, strerror(-rc));
	shm_fd = rc;
	EXPECT(size >= RT_BYTES, "the TEE sees %llu bytes of the %d bytes of %s", (unsigned long long)size, RT_BYTES,
	       what);
	expected = malloc(RT_BYTES);
	EXPECT(expected, "out of memory");
	for (int i = 0; i < RT_BYTES; i += 4)
		memcpy(expected + i, pixel, 4);
	sha256(expected, RT_BYTES, want);
	EXPECT(verify_ta_digest_is(&ta, id, RT_BYTES, want, what) == 1, "%s does not hold the clear colour", what);
out:
	free(expected);
	if (shm_fd >= 0)
		close(shm_fd);
	verify_ta_close(&ta);
	return res;
}

static enum ktap_result case_protected_verified(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_protected(c, skip, skip_len);

	if (res == KTAP_PASS)
		res = need_gpu_work(c, skip, skip_len);
	if (res != KTAP_PASS)
		return res;
	EXPECT(c->prot_buf >= 0, "the protected render target was not cleared (see the earlier case)");
	res = ta_holds_pixel(c, c->prot_buf, clear_pixel, "the protected render target");
out:
	return res;
}

/* An RGBA8 config for `surface_type`; with `format`, one whose native visual is that GBM format. */
static EGLConfig choose_config(EGLDisplay dpy, EGLint surface_type, uint32_t format)
{
	const EGLint attrs[] = {
		EGL_SURFACE_TYPE, surface_type,
		EGL_RED_SIZE, 8,
		EGL_GREEN_SIZE, 8,
		EGL_BLUE_SIZE, 8,
		EGL_ALPHA_SIZE, 8,
		EGL_RENDERABLE_TYPE, EGL_OPENGL_ES2_BIT,
		EGL_NONE,
	};
	EGLConfig configs[64];
	EGLint n = 0, visual;

	if (!eglChooseConfig(dpy, attrs, configs, 64, &n))
		return NULL;
	for (EGLint i = 0; i < n; i++) {
		if (!format)
			return configs[i];
		if (eglGetConfigAttrib(dpy, configs[i], EGL_NATIVE_VISUAL_ID, &visual) && (uint32_t)visual == format)
			return configs[i];
	}
	return NULL;
}

/*
 * A protected pbuffer, cleared by the protected context. The protected
 * context runs its work in protected mode, where the GPU can't write normal
 * memory: the clear succeeds only if the pbuffer's memory is protected (with
 * PAN_MESA_DEBUG=sync, a faulted batch aborts).
 */
static enum ktap_result case_protected_pbuffer(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_protected(c, skip, skip_len);
	const EGLint attrs[] = {
		EGL_WIDTH, RT_SIZE,
		EGL_HEIGHT, RT_SIZE,
		EGL_PROTECTED_CONTENT_EXT, EGL_TRUE,
		EGL_NONE,
	};
	EGLSurface surf = EGL_NO_SURFACE;
	EGLConfig config;
	EGLint value = -1;
	GLenum err;

	if (res != KTAP_PASS)
		return res;
	EXPECT(c->prot_ctx, "no protected context (see the earlier cases)");
	EXPECT(c->has_protected_surface, "no EGL_EXT_protected_surface");
	config = choose_config(c->dpy, EGL_PBUFFER_BIT, 0);
	EXPECT(config, "no RGBA8 pbuffer config: 0x%x", eglGetError());
	surf = eglCreatePbufferSurface(c->dpy, config, attrs);
	EXPECT(surf != EGL_NO_SURFACE, "protected eglCreatePbufferSurface: 0x%x", eglGetError());
	EXPECT(eglQuerySurface(c->dpy, surf, EGL_PROTECTED_CONTENT_EXT, &value) && value == EGL_TRUE,
	       "the protected pbuffer reports EGL_PROTECTED_CONTENT_EXT %d", value);
	EXPECT(eglMakeCurrent(c->dpy, surf, surf, c->prot_ctx), "eglMakeCurrent(protected pbuffer): 0x%x",
	       eglGetError());
	glClearColor(CLEAR_R, CLEAR_G, CLEAR_B, CLEAR_A);
	glClear(GL_COLOR_BUFFER_BIT);
	glFinish();
	err = glGetError();
	EXPECT(err == GL_NO_ERROR, "clearing the protected pbuffer: GL error 0x%x", err);
out:
	if (c->dpy)
		eglMakeCurrent(c->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	if (surf != EGL_NO_SURFACE)
		eglDestroySurface(c->dpy, surf);
	return res;
}

/* The first render node whose kernel driver is Panthor (as sysfs says), or -1. */
static int open_panthor_node(char *path, size_t len)
{
	for (int n = RENDER_NODE_FIRST; n <= RENDER_NODE_LAST; n++) {
		char link[64], driver[256];
		ssize_t got;
		const char *name;

		snprintf(link, sizeof(link), "/sys/class/drm/renderD%d/device/driver", n);
		got = readlink(link, driver, sizeof(driver) - 1);
		if (got < 0)
			continue;
		driver[got] = '\0';
		name = strrchr(driver, '/');
		if (strcmp(name ? name + 1 : driver, "panthor"))
			continue;
		snprintf(path, len, "/dev/dri/renderD%d", n);
		return open(path, O_RDWR | O_CLOEXEC);
	}
	return -1;
}

/* A GBM window surface, the GBM device and EGL display it lives on. */
struct gbm_window {
	int fd;
	struct gbm_device *gbm;
	EGLDisplay dpy;
	struct gbm_surface *surface;
	EGLSurface egl_surface;
	EGLContext ctx;
	struct gbm_bo *front;
};

static void gbm_window_destroy(struct gbm_window *w)
{
	if (w->front)
		gbm_surface_release_buffer(w->surface, w->front);
	if (w->dpy != EGL_NO_DISPLAY) {
		eglMakeCurrent(w->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
		if (w->egl_surface != EGL_NO_SURFACE)
			eglDestroySurface(w->dpy, w->egl_surface);
		if (w->ctx != EGL_NO_CONTEXT)
			eglDestroyContext(w->dpy, w->ctx);
		eglTerminate(w->dpy);
	}
	if (w->surface)
		gbm_surface_destroy(w->surface);
	if (w->gbm)
		gbm_device_destroy(w->gbm);
	if (w->fd >= 0)
		close(w->fd);
}

/*
 * A protected GBM window surface, cleared by a protected context and
 * swapped: the front buffer, exported as a dma-buf, holds the clear colour
 * (in the surface's format) in every pixel, as our TA reads it.
 */
static enum ktap_result case_protected_gbm_surface(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = need_protected(c, skip, skip_len);
	PFNEGLCREATEPLATFORMWINDOWSURFACEEXTPROC create_window_surface;
	const EGLint surface_attrs[] = { EGL_PROTECTED_CONTENT_EXT, EGL_TRUE, EGL_NONE };
	const EGLint ctx_attrs[] = { EGL_CONTEXT_CLIENT_VERSION, 2, EGL_PROTECTED_CONTENT_EXT, EGL_TRUE, EGL_NONE };
	struct gbm_window w = { .fd = -1, .dpy = EGL_NO_DISPLAY, .egl_surface = EGL_NO_SURFACE, .ctx = EGL_NO_CONTEXT };
	/* ABGR8888 is R G B A in memory, ARGB8888 B G R A */
	uint32_t format = GBM_FORMAT_ABGR8888;
	uint8_t pixel[4] = { clear_pixel[0], clear_pixel[1], clear_pixel[2], clear_pixel[3] };
	char node[32];
	EGLConfig config;
	EGLint value = -1;
	int buf = -1;

	if (res == KTAP_PASS)
		res = need_gpu_work(c, skip, skip_len);
	if (res != KTAP_PASS)
		return res;
	create_window_surface =
		(PFNEGLCREATEPLATFORMWINDOWSURFACEEXTPROC)eglGetProcAddress("eglCreatePlatformWindowSurfaceEXT");
	EXPECT(create_window_surface, "no eglCreatePlatformWindowSurfaceEXT");
	w.fd = open_panthor_node(node, sizeof(node));
	EXPECT(w.fd >= 0, "no Panthor render node");
	w.gbm = gbm_create_device(w.fd);
	EXPECT(w.gbm, "gbm_create_device(%s) failed", node);
	w.dpy = c->get_platform_display(EGL_PLATFORM_GBM_KHR, w.gbm, NULL);
	EXPECT(w.dpy != EGL_NO_DISPLAY && eglInitialize(w.dpy, NULL, NULL), "no GBM EGL display on %s: 0x%x", node,
	       eglGetError());
	EXPECT(has_ext(eglQueryString(w.dpy, EGL_EXTENSIONS), "EGL_EXT_protected_surface"),
	       "the GBM display has no EGL_EXT_protected_surface");
	config = choose_config(w.dpy, EGL_WINDOW_BIT, format);
	if (!config) {
		format = GBM_FORMAT_ARGB8888;
		pixel[0] = clear_pixel[2];
		pixel[2] = clear_pixel[0];
		config = choose_config(w.dpy, EGL_WINDOW_BIT, format);
	}
	EXPECT(config, "no window config for GBM_FORMAT_ABGR8888 or ARGB8888");
	w.surface = gbm_surface_create(w.gbm, RT_SIZE, RT_SIZE, format, GBM_BO_USE_RENDERING);
	EXPECT(w.surface, "gbm_surface_create failed");
	w.egl_surface = create_window_surface(w.dpy, config, w.surface, surface_attrs);
	EXPECT(w.egl_surface != EGL_NO_SURFACE, "protected eglCreatePlatformWindowSurfaceEXT: 0x%x", eglGetError());
	EXPECT(eglQuerySurface(w.dpy, w.egl_surface, EGL_PROTECTED_CONTENT_EXT, &value) && value == EGL_TRUE,
	       "the protected window surface reports EGL_PROTECTED_CONTENT_EXT %d", value);
	EXPECT(eglBindAPI(EGL_OPENGL_ES_API), "eglBindAPI: 0x%x", eglGetError());
	w.ctx = eglCreateContext(w.dpy, config, EGL_NO_CONTEXT, ctx_attrs);
	EXPECT(w.ctx != EGL_NO_CONTEXT, "protected eglCreateContext on the GBM display: 0x%x", eglGetError());
	EXPECT(eglMakeCurrent(w.dpy, w.egl_surface, w.egl_surface, w.ctx), "eglMakeCurrent: 0x%x", eglGetError());
	glClearColor(CLEAR_R, CLEAR_G, CLEAR_B, CLEAR_A);
	glClear(GL_COLOR_BUFFER_BIT);
	EXPECT(eglSwapBuffers(w.dpy, w.egl_surface), "eglSwapBuffers: 0x%x", eglGetError());
	w.front = gbm_surface_lock_front_buffer(w.surface);
	EXPECT(w.front, "gbm_surface_lock_front_buffer failed");
	ktap_diag("front buffer on %s: %ux%u, format 0x%08x, stride %u, modifier 0x%llx", node,
		  gbm_bo_get_width(w.front), gbm_bo_get_height(w.front), gbm_bo_get_format(w.front),
		  gbm_bo_get_stride(w.front), (unsigned long long)gbm_bo_get_modifier(w.front));
	buf = gbm_bo_get_fd(w.front);
	EXPECT(buf >= 0, "gbm_bo_get_fd of the front buffer failed");
	res = ta_holds_pixel(c, buf, pixel, "the protected window surface's front buffer");
out:
	if (buf >= 0)
		close(buf);
	gbm_window_destroy(&w);
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
		{ "egl_display", case_display },
		{ "unprotected_context_render_target", case_unprotected },
		{ "unprotected_clear_read_back", case_unprotected_read_back },
		{ "protected_content_extension", case_extension },
		{ "protected_surface_extension", case_protected_surface_extension },
		{ "protected_context", case_protected_context },
		{ "protected_context_query", case_query },
		{ "protected_surfaceless_render_target", case_protected_render_target },
		{ "protected_clear_verified_by_ta", case_protected_verified },
		{ "protected_pbuffer_cleared", case_protected_pbuffer },
		{ "protected_gbm_surface_verified_by_ta", case_protected_gbm_surface },
	};
	struct ctx c = { .expect = EXPECT_PROTECTED, .tee = "/dev/tee0", .prot_buf = -1 };
	const char *heap = getenv("PAN_PROTECTED_HEAP");
	char skip[256];
	int i;

	if (!heap || !*heap)
		heap = "protected,secure-video";
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--expect-protected") && i + 1 < argc && !strcmp(argv[i + 1], "yes")) {
			c.expect = EXPECT_PROTECTED;
			i++;
		} else if (!strcmp(argv[i], "--expect-protected") && i + 1 < argc && !strcmp(argv[i + 1], "no")) {
			c.expect = EXPECT_ABSENT;
			i++;
		} else if (!strcmp(argv[i], "--expect-protected") && i + 1 < argc && !strcmp(argv[i + 1], "any")) {
			c.expect = EXPECT_ANY;
			i++;
		} else if (!strcmp(argv[i], "--tee") && i + 1 < argc) {
			c.tee = argv[++i];
		} else if (!strcmp(argv[i], "--heap") && i + 1 < argc) {
			heap = argv[++i];
		} else {
			usage(argv[0]);
			return 2;
		}
	}
	if (strchr(heap, '/')) {
		fprintf(stderr, "%s: the heap is a name under /dev/dma_heap, not a path\n", argv[0]);
		return 2;
	}
	snprintf(c.heap_path, sizeof(c.heap_path), "/dev/dma_heap/%s", heap);
	c.gpu_expected = env_flag("PROTM_EXPECT_GPU");
	c.device_expected = c.gpu_expected || env_flag("PROTM_EXPECT_DEVICE");

	ktap_suite_begin(SUITE, CASES);
	for (i = 0; i < CASES; i++) {
		skip[0] = '\0';
		ktap_case(cases[i].fn(&c, skip, sizeof(skip)), cases[i].name, skip);
	}
	if (c.prot_buf >= 0)
		close(c.prot_buf);
	if (c.prot_ctx)
		eglDestroyContext(c.dpy, c.prot_ctx);
	if (c.dpy)
		eglTerminate(c.dpy);
	return ktap_suite_end();
}
