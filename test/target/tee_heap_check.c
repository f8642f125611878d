// SPDX-License-Identifier: BSD-2-Clause
/*
 * protm-tee-heap: KTAP suite "tee-heap", checks of the TEE's protected
 * dma-heap (drivers/tee/tee_heap.c) as user space sees it, with OP-TEE and
 * the protm_verify TA (test/ta/protm_verify) as the secure-world witness.
 *
 * Usage: protm-tee-heap [--heap NAME] [--system-heap NAME] [--tee DEV]
 *                       [--sdp-base ADDR --sdp-size BYTES]
 *
 *   --heap         protected heap under /dev/dma_heap (protected,secure-video)
 *   --system-heap  ordinary heap used as a control (system)
 *   --tee          TEE client device (/dev/tee0)
 *   --sdp-base/--sdp-size
 *                  the static SDP pool the secure world was built with, for
 *                  the static profile; the DT and pool-size cases use them
 *
 * Errnos asserted, from Linux 7.2:
 *   - dma-heap.c dma_heap_ioctl_allocate(): len is PAGE_ALIGNed and 0 gives
 *     -EINVAL;
 *   - tee_heap.c: the static pool and OP-TEE's dynamic pool both allocate
 *     with gen_pool_alloc() and return -ENOMEM when it fails, whatever the
 *     size;
 *   - tee_heap_buf_ops has no .mmap, so dma_buf_mmap_internal() returns
 *     -EINVAL; dma-buf files have no read(), and a registered dma-buf's TEE
 *     shm refuses mmap (tee_shm_fop_mmap(), TEE_SHM_DMA_BUF) with -EINVAL;
 *   - TEE_IOC_SHM_REGISTER_FD maps every failure to -EINVAL, including a
 *     dma-buf that is not from a TEE heap.
 *
 * The TA is loaded by tee-supplicant from the target's TA directory; if the
 * session cannot be opened, the TA cases are skipped after the session case
 * fails.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/args.h"
#include "lib/ktap.h"
#include "lib/sha256.h"
#include "lib/sys.h"
#include "lib/tee_client.h"
#include "lib/verify_ta.h"
#include "protm_verify_ta.h"

#define SUITE "tee-heap"
#define MIB (1024 * 1024)
#define BUF_SIZE (1 * MIB)
#define ABSURD_SIZE (1ULL << 40) /* 1 TiB: more than any guest here */
#define EXHAUST_CHUNK (256 * 1024)
#define EXHAUST_MAX 4096
#define SEED 0x5eed1234u

struct options {
	const char *heap;
	const char *system_heap;
	const char *tee;
	uint64_t sdp_base;
	uint64_t sdp_size;
	bool have_sdp;
};

struct ctx {
	struct options opt;
	char heap_path[256];
	char system_heap_path[256];
	struct verify_ta ta; /* ta.tee_fd -1 when there is no usable TEE device */
	bool heap_ok;
	bool session_ok;
};

typedef enum ktap_result (*case_fn)(struct ctx *c, char *skip, size_t skip_len);

static const struct tee_uuid ta_uuid = PROTM_VERIFY_UUID;

/* ---- helpers ----------------------------------------------------------- */

static off_t dmabuf_size(int fd)
{
	return lseek(fd, 0, SEEK_END);
}

static void pattern_fill(uint8_t *p, size_t size, uint32_t seed)
{
	size_t i;

	for (i = 0; i < size; i++)
		p[i] = protm_verify_pattern_byte(seed, i);
}

static bool ta_mem_info(struct ctx *c, int shm_id, uint64_t size, uint32_t *flags, uint64_t *seen_size)
{
	struct tee_ioctl_param p[TEE_PARAMS] = {
		tee_param_memref(TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, shm_id, 0, size),
		tee_param_value(TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT, 0, 0),
		tee_param_none(), tee_param_none(),
	};

	if (!verify_ta_invoke(&c->ta, PROTM_VERIFY_CMD_MEM_INFO, "MEM_INFO", p))
		return false;
	*flags = (uint32_t)p[1].a;
	*seen_size = p[1].b;
	return true;
}

static uint64_t read_be_cells(const uint8_t *p, int cells)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < cells * 4; i++)
		v = v << 8 | p[i];
	return v;
}

static int read_file(const char *path, uint8_t *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap);
	close(fd);
	return (int)n;
}

/* ---- cases --------------------------------------------------------------- */

static enum ktap_result case_tee_device(struct ctx *c, char *skip, size_t skip_len)
{
	struct tee_ioctl_version_data v;
	int fd;

	(void)skip;
	(void)skip_len;
	fd = tee_open(c->opt.tee, &v);
	if (fd < 0) {
		ktap_diag("cannot open %s: %s", c->opt.tee, strerror(-fd));
		return KTAP_FAIL;
	}
	ktap_diag("%s: impl_id %u, impl_caps 0x%x, gen_caps 0x%x", c->opt.tee, v.impl_id, v.impl_caps, v.gen_caps);
	if (v.impl_id != TEE_IMPL_ID_OPTEE) {
		ktap_diag("expected OP-TEE (impl_id %d)", TEE_IMPL_ID_OPTEE);
		close(fd);
		return KTAP_FAIL;
	}
	c->ta.tee_fd = fd;
	return KTAP_PASS;
}

static enum ktap_result case_heap_exists(struct ctx *c, char *skip, size_t skip_len)
{
	struct stat st;
	int fd;

	if (c->ta.tee_fd < 0)
		SKIP("no TEE device");
	if (stat(c->heap_path, &st) < 0) {
		ktap_diag("%s: %s", c->heap_path, strerror(errno));
		return KTAP_FAIL;
	}
	if (!S_ISCHR(st.st_mode)) {
		ktap_diag("%s is not a character device", c->heap_path);
		return KTAP_FAIL;
	}
	fd = open(c->heap_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ktap_diag("cannot open %s: %s", c->heap_path, strerror(errno));
		return KTAP_FAIL;
	}
	close(fd);
	c->heap_ok = true;
	return KTAP_PASS;
}

static enum ktap_result case_alloc_1mib(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int buf = -1, rc;
	off_t size;

	if (!c->heap_ok)
		SKIP("protected heap not available");
	rc = heap_alloc(c->heap_path, BUF_SIZE, &buf);
	EXPECT(rc == 0, "allocating %d bytes failed: %s", BUF_SIZE, strerror(rc));
	size = dmabuf_size(buf);
	EXPECT(size == BUF_SIZE, "dma-buf size %lld, expected %d", (long long)size, BUF_SIZE);
out:
	close_fd(&buf);
	return res;
}

static enum ktap_result case_alloc_zero(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int buf = -1, rc;

	if (!c->heap_ok)
		SKIP("protected heap not available");
	rc = heap_alloc(c->heap_path, 0, &buf);
	EXPECT(rc != 0, "a 0-byte allocation succeeded");
	EXPECT(rc == EINVAL, "a 0-byte allocation failed with %s, expected EINVAL", strerror(rc));
out:
	close_fd(&buf);
	return res;
}

static enum ktap_result case_alloc_absurd(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int buf = -1, rc;

	if (!c->heap_ok)
		SKIP("protected heap not available");
	rc = heap_alloc(c->heap_path, ABSURD_SIZE, &buf);
	EXPECT(rc != 0, "a %llu-byte allocation succeeded", (unsigned long long)ABSURD_SIZE);
	EXPECT(rc == ENOMEM, "a %llu-byte allocation failed with %s, expected ENOMEM",
	       (unsigned long long)ABSURD_SIZE, strerror(rc));
out:
	close_fd(&buf);
	return res;
}

static enum ktap_result case_mmap_refused(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int prot = -1, sys = -1, rc;
	void *m = MAP_FAILED;

	if (!c->heap_ok)
		SKIP("protected heap not available");
	if (access(c->system_heap_path, F_OK) < 0)
		SKIP("no %s heap for the control", c->opt.system_heap);

	/* Control: an ordinary dma-buf of the same size maps and holds data. */
	rc = heap_alloc(c->system_heap_path, BUF_SIZE, &sys);
	EXPECT(rc == 0, "control: %s allocation failed: %s", c->opt.system_heap, strerror(rc));
	m = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, sys, 0);
	EXPECT(m != MAP_FAILED, "control: mmap of a %s dma-buf failed: %s", c->opt.system_heap, strerror(errno));
	memset(m, 0xa5, BUF_SIZE);
	EXPECT(((volatile uint8_t *)m)[BUF_SIZE - 1] == 0xa5, "control: write through the mapping did not stick");
	munmap(m, BUF_SIZE);
	m = MAP_FAILED;

	rc = heap_alloc(c->heap_path, BUF_SIZE, &prot);
	EXPECT(rc == 0, "protected allocation failed: %s", strerror(rc));
	m = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, prot, 0);
	EXPECT(m == MAP_FAILED, "mmap of a protected dma-buf succeeded");
	EXPECT(errno == EINVAL, "mmap of a protected dma-buf failed with %s, expected EINVAL", strerror(errno));
out:
	if (m != MAP_FAILED)
		munmap(m, BUF_SIZE);
	close_fd(&prot);
	close_fd(&sys);
	return res;
}

/* Allocate EXHAUST_CHUNK buffers until the heap refuses; returns bytes, -1 on a wrong failure. */
static int64_t exhaust(struct ctx *c, int *fds, int *count)
{
	int n = 0, rc = 0;

	while (n < EXHAUST_MAX) {
		rc = heap_alloc(c->heap_path, EXHAUST_CHUNK, &fds[n]);
		if (rc)
			break;
		n++;
	}
	*count = n;
	if (n == EXHAUST_MAX) {
		ktap_diag("no failure after %d allocations of %d bytes", n, EXHAUST_CHUNK);
		return -1;
	}
	if (rc != ENOMEM) {
		ktap_diag("allocation %d failed with %s, expected ENOMEM", n + 1, strerror(rc));
		return -1;
	}
	return (int64_t)n * EXHAUST_CHUNK;
}

static enum ktap_result case_pool_exhaustion(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	static int fds[EXHAUST_MAX];
	int count = 0, i;
	int64_t first, second;
	struct rlimit rl;

	if (!c->heap_ok)
		SKIP("protected heap not available");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < EXHAUST_MAX + 64) {
		rl.rlim_cur = rl.rlim_max < EXHAUST_MAX + 64 ? rl.rlim_max : EXHAUST_MAX + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	first = exhaust(c, fds, &count);
	for (i = 0; i < count; i++)
		close(fds[i]);
	EXPECT(first >= 0, "first exhaustion did not end in ENOMEM");
	EXPECT(first > 0, "the pool gave nothing before ENOMEM");
	ktap_diag("pool gave %" PRId64 " bytes in %d-byte buffers before ENOMEM", first, EXHAUST_CHUNK);

	second = exhaust(c, fds, &count);
	for (i = 0; i < count; i++)
		close(fds[i]);
	EXPECT(second >= 0, "second exhaustion did not end in ENOMEM");
	EXPECT(second == first, "after freeing everything the pool gave %" PRId64 " bytes, first time %" PRId64,
	       second, first);
	if (c->opt.have_sdp)
		EXPECT((uint64_t)first <= c->opt.sdp_size, "the pool gave %" PRId64 " bytes, more than the static pool's %" PRIu64,
		       first, c->opt.sdp_size);
out:
	return res;
}

static enum ktap_result case_static_pool_reserved(struct ctx *c, char *skip, size_t skip_len)
{
	const char *root = "/sys/firmware/devicetree/base/reserved-memory";
	enum ktap_result res = KTAP_FAIL;
	uint8_t cells[4], reg[64];
	char path[512];
	int acells, scells, n;
	struct dirent *de;
	DIR *dir;

	(void)c;
	if (!c->opt.have_sdp)
		SKIP("no static SDP pool in this configuration (--sdp-base/--sdp-size not given)");
	if (access("/sys/firmware/devicetree/base", F_OK) < 0)
		SKIP("no device tree in /sys/firmware/devicetree");
	snprintf(path, sizeof(path), "%s/#address-cells", root);
	if (read_file(path, cells, 4) != 4) {
		ktap_diag("no /reserved-memory node with #address-cells in the device tree");
		return KTAP_FAIL;
	}
	acells = (int)read_be_cells(cells, 1);
	snprintf(path, sizeof(path), "%s/#size-cells", root);
	if (read_file(path, cells, 4) != 4)
		return KTAP_FAIL;
	scells = (int)read_be_cells(cells, 1);
	if (acells < 1 || acells > 2 || scells < 1 || scells > 2) {
		ktap_diag("unexpected #address-cells %d / #size-cells %d", acells, scells);
		return KTAP_FAIL;
	}
	dir = opendir(root);
	if (!dir)
		return KTAP_FAIL;
	while ((de = readdir(dir))) {
		uint64_t base, size;

		if (de->d_name[0] == '.' || de->d_name[0] == '#')
			continue;
		snprintf(path, sizeof(path), "%s/%s/reg", root, de->d_name);
		n = read_file(path, reg, sizeof(reg));
		if (n != 4 * (acells + scells))
			continue;
		base = read_be_cells(reg, acells);
		size = read_be_cells(reg + 4 * acells, scells);
		ktap_diag("reserved-memory/%s: 0x%" PRIx64 "+0x%" PRIx64, de->d_name, base, size);
		if (base <= c->opt.sdp_base && base + size >= c->opt.sdp_base + c->opt.sdp_size) {
			snprintf(path, sizeof(path), "%s/%s/no-map", root, de->d_name);
			if (access(path, F_OK) < 0) {
				ktap_diag("%s covers the SDP pool but has no no-map property", de->d_name);
				continue;
			}
			res = KTAP_PASS;
		}
	}
	closedir(dir);
	if (res != KTAP_PASS)
		ktap_diag("no no-map reserved-memory node covers the SDP pool 0x%" PRIx64 "+0x%" PRIx64,
			  c->opt.sdp_base, c->opt.sdp_size);
	return res;
}

static enum ktap_result case_register_fd(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int buf = -1, shm = -1, id = -1, rc;
	uint64_t size = 0;

	if (c->ta.tee_fd < 0)
		SKIP("no TEE device");
	if (!c->heap_ok)
		SKIP("protected heap not available");
	rc = heap_alloc(c->heap_path, BUF_SIZE, &buf);
	EXPECT(rc == 0, "protected allocation failed: %s", strerror(rc));
	shm = tee_shm_register_fd(c->ta.tee_fd, buf, &id, &size);
	EXPECT(shm >= 0, "TEE_IOC_SHM_REGISTER_FD refused a protected dma-buf: %s", strerror(-shm));
	EXPECT(id > 0, "registered shm has id %d", id);
	EXPECT(size == BUF_SIZE, "registered shm has size %" PRIu64 ", expected %d", size, BUF_SIZE);
	ktap_diag("registered as shm id %d, %" PRIu64 " bytes", id, size);
out:
	close_fd(&shm);
	close_fd(&buf);
	return res;
}

static enum ktap_result case_register_fd_rejects_system(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int buf = -1, shm = -1, id = -1, rc;
	uint64_t size = 0;

	if (c->ta.tee_fd < 0)
		SKIP("no TEE device");
	if (access(c->system_heap_path, F_OK) < 0)
		SKIP("no %s heap", c->opt.system_heap);
	rc = heap_alloc(c->system_heap_path, BUF_SIZE, &buf);
	EXPECT(rc == 0, "%s allocation failed: %s", c->opt.system_heap, strerror(rc));
	shm = tee_shm_register_fd(c->ta.tee_fd, buf, &id, &size);
	EXPECT(shm < 0, "TEE_IOC_SHM_REGISTER_FD accepted a %s dma-buf", c->opt.system_heap);
	EXPECT(shm == -EINVAL, "TEE_IOC_SHM_REGISTER_FD failed with %s, expected EINVAL", strerror(-shm));
out:
	close_fd(&shm);
	close_fd(&buf);
	return res;
}

static enum ktap_result case_ta_session(struct ctx *c, char *skip, size_t skip_len)
{
	struct tee_result r;
	int rc;

	if (c->ta.tee_fd < 0)
		SKIP("no TEE device");
	rc = tee_open_session(c->ta.tee_fd, &ta_uuid, &c->ta.session, &r);
	if (rc < 0) {
		ktap_diag("TEE_IOC_OPEN_SESSION failed: %s", strerror(-rc));
		return KTAP_FAIL;
	}
	if (r.ret != TEE_OK) {
		ktap_diag("opening a session with TA %s: 0x%08x (%s), origin %u", PROTM_VERIFY_UUID_STR, r.ret,
			  tee_result_name(r.ret), r.origin);
		if (r.ret == TEE_ERR_ITEM_NOT_FOUND)
			ktap_diag("is tee-supplicant running and %s.ta installed in its TA directory?", PROTM_VERIFY_UUID_STR);
		return KTAP_FAIL;
	}
	c->session_ok = true;
	return KTAP_PASS;
}

/* Control for the hash path: memory both worlds can read gives the same digest. */
static enum ktap_result case_ta_hash_control(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int shm = -1, id = -1;
	void *m = MAP_FAILED;
	uint8_t want[SHA256_DIGEST_SIZE];
	uint32_t flags = 0;
	uint64_t seen = 0;

	if (!c->session_ok)
		SKIP("no session with the TA");
	shm = tee_shm_alloc(c->ta.tee_fd, BUF_SIZE, &id);
	EXPECT(shm >= 0, "TEE_IOC_SHM_ALLOC failed: %s", strerror(-shm));
	m = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, shm, 0);
	EXPECT(m != MAP_FAILED, "mmap of ordinary TEE shm failed: %s", strerror(errno));
	pattern_fill(m, BUF_SIZE, SEED);
	verify_pattern_digest(SEED, BUF_SIZE, want);
	EXPECT(verify_ta_digest_is(&c->ta, id, BUF_SIZE, want, "ordinary shm") == 1,
	       "the TA does not see what the normal world wrote to ordinary shm");
	EXPECT(ta_mem_info(c, id, BUF_SIZE, &flags, &seen), "MEM_INFO on ordinary shm failed");
	EXPECT(flags == PROTM_VERIFY_MEM_NONSECURE, "the TA sees ordinary shm with flags 0x%x, expected non-secure only", flags);
out:
	if (m != MAP_FAILED)
		munmap(m, BUF_SIZE);
	close_fd(&shm);
	return res;
}

static enum ktap_result case_ta_sees_secure(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int buf = -1, shm = -1, id = -1, rc;
	uint64_t size = 0, seen = 0;
	uint32_t flags = 0;

	if (!c->session_ok)
		SKIP("no session with the TA");
	if (!c->heap_ok)
		SKIP("protected heap not available");
	rc = heap_alloc(c->heap_path, BUF_SIZE, &buf);
	EXPECT(rc == 0, "protected allocation failed: %s", strerror(rc));
	shm = tee_shm_register_fd(c->ta.tee_fd, buf, &id, &size);
	EXPECT(shm >= 0, "TEE_IOC_SHM_REGISTER_FD failed: %s", strerror(-shm));
	EXPECT(ta_mem_info(c, id, BUF_SIZE, &flags, &seen), "MEM_INFO on a protected buffer failed");
	ktap_diag("TA sees %" PRIu64 " bytes, flags 0x%x", seen, flags);
	EXPECT(seen == BUF_SIZE, "TA sees %" PRIu64 " bytes, expected %d", seen, BUF_SIZE);
	EXPECT(flags == PROTM_VERIFY_MEM_SECURE, "TA sees the protected buffer with flags 0x%x, expected secure only", flags);
out:
	close_fd(&shm);
	close_fd(&buf);
	return res;
}

static enum ktap_result case_ta_fill_hash(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int buf = -1, shm = -1, id = -1, rc;
	uint64_t size = 0, offset = 0;
	uint8_t want[SHA256_DIGEST_SIZE];
	bool match = false;

	if (!c->session_ok)
		SKIP("no session with the TA");
	if (!c->heap_ok)
		SKIP("protected heap not available");
	rc = heap_alloc(c->heap_path, BUF_SIZE, &buf);
	EXPECT(rc == 0, "protected allocation failed: %s", strerror(rc));
	shm = tee_shm_register_fd(c->ta.tee_fd, buf, &id, &size);
	EXPECT(shm >= 0, "TEE_IOC_SHM_REGISTER_FD failed: %s", strerror(-shm));

	EXPECT(verify_ta_fill(&c->ta, id, BUF_SIZE, SEED), "the TA could not fill the protected buffer");
	verify_pattern_digest(SEED, BUF_SIZE, want);
	EXPECT(verify_ta_digest_is(&c->ta, id, BUF_SIZE, want, "the protected buffer") == 1,
	       "the protected buffer does not hold the TA's fill");

	EXPECT(verify_ta_compare(&c->ta, id, BUF_SIZE, SEED, &match, &offset), "COMPARE failed");
	EXPECT(match, "COMPARE with the fill seed reports a mismatch at offset %" PRIu64, offset);
	/* The comparison must be able to fail: another seed differs. */
	EXPECT(verify_ta_compare(&c->ta, id, BUF_SIZE, SEED + 1, &match, &offset), "COMPARE failed");
	EXPECT(!match, "COMPARE with a different seed reports a match");
	ktap_diag("another seed differs first at offset %" PRIu64, offset);
out:
	close_fd(&shm);
	close_fd(&buf);
	return res;
}

/* One normal-world access path: `leaked` is what it yielded, NULL if refused. */
static void refused(enum ktap_result *res, const char *what, const void *leaked, const uint8_t *pattern)
{
	if (!leaked)
		return;
	ktap_diag("%s: contents readable%s", what,
		  memcmp(leaked, pattern, 64) == 0 ? ", the TA's pattern is visible" : "");
	*res = KTAP_FAIL;
}

/*
 * After the TA wrote the pattern into a protected buffer, every normal-world
 * path to its contents must be refused. Any path that yields bytes fails the
 * case, and says whether the bytes are the pattern.
 */
static enum ktap_result case_content_unreadable(struct ctx *c, char *skip, size_t skip_len)
{
	enum ktap_result res = KTAP_PASS;
	int buf = -1, shm = -1, id = -1, rc;
	uint64_t size = 0;
	uint8_t *bytes = NULL;
	void *m;
	ssize_t n;
	struct dma_buf_sync sync;
	int maps[][2] = { { PROT_READ, MAP_SHARED }, { PROT_READ, MAP_PRIVATE }, { PROT_READ | PROT_WRITE, MAP_SHARED } };
	size_t i;

	if (!c->session_ok)
		SKIP("no session with the TA");
	if (!c->heap_ok)
		SKIP("protected heap not available");
	rc = heap_alloc(c->heap_path, BUF_SIZE, &buf);
	EXPECT(rc == 0, "protected allocation failed: %s", strerror(rc));
	shm = tee_shm_register_fd(c->ta.tee_fd, buf, &id, &size);
	EXPECT(shm >= 0, "TEE_IOC_SHM_REGISTER_FD failed: %s", strerror(-shm));
	EXPECT(verify_ta_fill(&c->ta, id, BUF_SIZE, SEED), "the TA could not fill the protected buffer");

	bytes = malloc(BUF_SIZE);
	EXPECT(bytes, "out of memory");

	pattern_fill(bytes, BUF_SIZE, SEED); /* what a leak would look like */

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		m = mmap(NULL, BUF_SIZE, maps[i][0], maps[i][1], buf, 0);
		refused(&res, "mmap of the dma-buf", m == MAP_FAILED ? NULL : m, bytes);
		if (m != MAP_FAILED)
			munmap(m, BUF_SIZE);
	}

	memset(&sync, 0, sizeof(sync));
	sync.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ;
	rc = ioctl(buf, DMA_BUF_IOCTL_SYNC, &sync);
	ktap_diag("DMA_BUF_IOCTL_SYNC(START|READ): %s", rc < 0 ? strerror(errno) : "accepted");
	m = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, buf, 0);
	refused(&res, "mmap after DMA_BUF_IOCTL_SYNC", m == MAP_FAILED ? NULL : m, bytes);
	if (m != MAP_FAILED)
		munmap(m, BUF_SIZE);
	if (rc == 0) {
		sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
		ioctl(buf, DMA_BUF_IOCTL_SYNC, &sync);
	}

	{
		uint8_t tmp[4096];

		n = read(buf, tmp, sizeof(tmp));
		refused(&res, "read() on the dma-buf", n > 0 ? tmp : NULL, bytes);
		n = pread(buf, tmp, sizeof(tmp), 0);
		refused(&res, "pread() on the dma-buf", n > 0 ? tmp : NULL, bytes);
	}

	m = mmap(NULL, BUF_SIZE, PROT_READ, MAP_SHARED, shm, 0);
	refused(&res, "mmap of the registered TEE shm", m == MAP_FAILED ? NULL : m, bytes);
	if (m != MAP_FAILED)
		munmap(m, BUF_SIZE);

	/* The pattern is still there for the secure world: the refusals were not a lost buffer. */
	{
		bool match = false;
		uint64_t offset = 0;

		EXPECT(verify_ta_compare(&c->ta, id, BUF_SIZE, SEED, &match, &offset), "COMPARE failed");
		EXPECT(match, "the TA no longer finds its pattern (mismatch at %" PRIu64 ")", offset);
	}
out:
	free(bytes);
	close_fd(&shm);
	close_fd(&buf);
	return res;
}

/* ---- main ---------------------------------------------------------------- */

static const struct {
	const char *name;
	case_fn fn;
} cases[] = {
	{ "tee_device_is_optee", case_tee_device },
	{ "protected_heap_exists", case_heap_exists },
	{ "alloc_1mib", case_alloc_1mib },
	{ "alloc_zero_is_einval", case_alloc_zero },
	{ "alloc_absurd_is_enomem", case_alloc_absurd },
	{ "mmap_refused_system_heap_maps", case_mmap_refused },
	{ "pool_exhaustion_enomem_and_refill", case_pool_exhaustion },
	{ "static_pool_reserved_in_dt", case_static_pool_reserved },
	{ "register_fd_accepts_protected", case_register_fd },
	{ "register_fd_rejects_system_heap", case_register_fd_rejects_system },
	{ "ta_open_session", case_ta_session },
	{ "ta_hash_matches_on_ordinary_shm", case_ta_hash_control },
	{ "ta_sees_protected_buffer_as_secure", case_ta_sees_secure },
	{ "ta_fill_hash_compare_protected", case_ta_fill_hash },
	{ "protected_content_unreadable_from_normal_world", case_content_unreadable },
};

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end = NULL;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno == 0 && end && *end == '\0' && end != s;
}

int main(int argc, char **argv)
{
	struct ctx c = { .opt = { .heap = "protected,secure-video", .system_heap = "system", .tee = "/dev/tee0" }, .ta = { .tee_fd = -1 } };
	const char *sdp_base = NULL, *sdp_size = NULL;
	const struct check_opt opts[] = {
		{ "heap", "NAME", &c.opt.heap },
		{ "system-heap", "NAME", &c.opt.system_heap },
		{ "tee", "DEV", &c.opt.tee },
		{ "sdp-base", "ADDR", &sdp_base },
		{ "sdp-size", "BYTES", &sdp_size },
		{ NULL },
	};
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	check_parse_args(argc, argv, "protm-tee-heap", opts);
	if (!sdp_base != !sdp_size)
		check_usage_error("protm-tee-heap", opts, "--sdp-base and --sdp-size go together");
	if (sdp_base && !parse_u64(sdp_base, &c.opt.sdp_base))
		check_usage_error("protm-tee-heap", opts, "--sdp-base: not a number: %s", sdp_base);
	if (sdp_size && !parse_u64(sdp_size, &c.opt.sdp_size))
		check_usage_error("protm-tee-heap", opts, "--sdp-size: not a number: %s", sdp_size);
	c.opt.have_sdp = sdp_base && sdp_size;
	snprintf(c.heap_path, sizeof(c.heap_path), "/dev/dma_heap/%s", c.opt.heap);
	snprintf(c.system_heap_path, sizeof(c.system_heap_path), "/dev/dma_heap/%s", c.opt.system_heap);

	ktap_suite_begin(SUITE, (int)(sizeof(cases) / sizeof(cases[0])));
	ktap_diag("heap %s, control heap %s, TEE %s", c.heap_path, c.system_heap_path, c.opt.tee);
	if (c.opt.have_sdp)
		ktap_diag("static SDP pool 0x%" PRIx64 "+0x%" PRIx64, c.opt.sdp_base, c.opt.sdp_size);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char skip[200] = "";
		enum ktap_result r = cases[i].fn(&c, skip, sizeof(skip));

		ktap_case(r, cases[i].name, skip);
	}
	if (c.session_ok)
		tee_close_session(c.ta.tee_fd, c.ta.session);
	if (c.ta.tee_fd >= 0)
		close(c.ta.tee_fd);
	return ktap_suite_end();
}
