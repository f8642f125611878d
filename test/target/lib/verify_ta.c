// SPDX-License-Identifier: BSD-2-Clause
#include "verify_ta.h"
#include "ktap.h"
#include "tee_client.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "protm_verify_ta.h"

static const struct tee_uuid verify_uuid = PROTM_VERIFY_UUID;

int verify_ta_open(struct verify_ta *t, const char *tee_dev)
{
	struct tee_ioctl_version_data v;
	struct tee_result r;
	int rc;

	t->tee_fd = tee_open(tee_dev, &v);
	if (t->tee_fd < 0) {
		ktap_diag("%s: %s", tee_dev, strerror(-t->tee_fd));
		return t->tee_fd;
	}
	rc = tee_open_session(t->tee_fd, &verify_uuid, &t->session, &r);
	if (rc < 0 || r.ret != TEE_OK) {
		ktap_diag("no session with the TA: %s, TEE result 0x%08x", rc < 0 ? strerror(-rc) : "ok", r.ret);
		close(t->tee_fd);
		t->tee_fd = -1;
		return rc < 0 ? rc : -EIO;
	}
	return 0;
}

void verify_ta_close(struct verify_ta *t)
{
	if (t->tee_fd < 0)
		return;
	tee_close_session(t->tee_fd, t->session);
	close(t->tee_fd);
	t->tee_fd = -1;
}

int verify_ta_register(struct verify_ta *t, int dmabuf_fd, int *id)
{
	uint64_t size = 0;

	return tee_shm_register_fd(t->tee_fd, dmabuf_fd, id, &size);
}

bool verify_ta_invoke(struct verify_ta *t, uint32_t cmd, const char *what, struct tee_ioctl_param p[TEE_PARAMS])
{
	struct tee_result r;
	int rc = tee_invoke(t->tee_fd, t->session, cmd, p, &r);

	if (rc < 0) {
		ktap_diag("%s: TEE_IOC_INVOKE failed: %s", what, strerror(-rc));
		return false;
	}
	if (r.ret != TEE_OK) {
		ktap_diag("%s: TA returned 0x%08x (%s), origin %u", what, r.ret, tee_result_name(r.ret), r.origin);
		return false;
	}
	return true;
}

bool verify_ta_fill(struct verify_ta *t, int shm_id, uint64_t size, uint32_t seed)
{
	struct tee_ioctl_param p[TEE_PARAMS] = {
		tee_param_memref(TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT, shm_id, 0, size),
		tee_param_value(TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT, seed, 0),
		tee_param_none(), tee_param_none(),
	};

	return verify_ta_invoke(t, PROTM_VERIFY_CMD_FILL, "FILL", p);
}

bool verify_ta_hash(struct verify_ta *t, int shm_id, uint64_t size, uint8_t digest[SHA256_DIGEST_SIZE])
{
	struct tee_ioctl_param p[TEE_PARAMS];
	void *out = MAP_FAILED;
	int out_id = -1, out_fd;
	bool ok = false;

	out_fd = tee_shm_alloc(t->tee_fd, 4096, &out_id);
	if (out_fd < 0) {
		ktap_diag("HASH: TEE_IOC_SHM_ALLOC for the digest failed: %s", strerror(-out_fd));
		return false;
	}
	out = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, out_fd, 0);
	if (out == MAP_FAILED) {
		ktap_diag("HASH: mmap of the digest shm failed: %s", strerror(errno));
		goto done;
	}
	memset(out, 0, 4096);
	p[0] = tee_param_memref(TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, shm_id, 0, size);
	p[1] = tee_param_memref(TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT, out_id, 0, SHA256_DIGEST_SIZE);
	p[2] = tee_param_none();
	p[3] = tee_param_none();
	if (!verify_ta_invoke(t, PROTM_VERIFY_CMD_HASH, "HASH", p))
		goto done;
	if (p[1].b != SHA256_DIGEST_SIZE) {
		ktap_diag("HASH: digest size %" PRIu64 ", expected %d", (uint64_t)p[1].b, SHA256_DIGEST_SIZE);
		goto done;
	}
	memcpy(digest, out, SHA256_DIGEST_SIZE);
	ok = true;
done:
	if (out != MAP_FAILED)
		munmap(out, 4096);
	close(out_fd);
	return ok;
}

int verify_ta_digest_is(struct verify_ta *t, int shm_id, uint64_t size, const uint8_t want[SHA256_DIGEST_SIZE],
			const char *what)
{
	uint8_t got[SHA256_DIGEST_SIZE];
	char g[2 * SHA256_DIGEST_SIZE + 1], w[2 * SHA256_DIGEST_SIZE + 1];

	if (!verify_ta_hash(t, shm_id, size, got)) {
		ktap_diag("%s: the TA could not hash it", what);
		return -1;
	}
	sha256_hex(got, g);
	if (!memcmp(got, want, sizeof(got))) {
		ktap_diag("%s: the TA's SHA-256 of its %" PRIu64 " bytes is the expected %s", what, size, g);
		return 1;
	}
	sha256_hex(want, w);
	ktap_diag("%s: the TA's SHA-256 of its %" PRIu64 " bytes is %s", what, size, g);
	ktap_diag("%s: the expected SHA-256 is                %s", what, w);
	return 0;
}

bool verify_ta_compare(struct verify_ta *t, int shm_id, uint64_t size, uint32_t seed, bool *match,
		       uint64_t *offset)
{
	struct tee_ioctl_param p[TEE_PARAMS] = {
		tee_param_memref(TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT, shm_id, 0, size),
		tee_param_value(TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT, seed, 0),
		tee_param_value(TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT, 0, 0),
		tee_param_none(),
	};

	if (!verify_ta_invoke(t, PROTM_VERIFY_CMD_COMPARE, "COMPARE", p))
		return false;
	*match = p[2].a == PROTM_VERIFY_MATCH;
	*offset = p[2].b;
	return true;
}

void verify_pattern_digest(uint32_t seed, uint64_t size, uint8_t digest[SHA256_DIGEST_SIZE])
{
	struct sha256_ctx h;
	uint8_t chunk[4096];
	uint64_t done = 0;

	sha256_init(&h);
	while (done < size) {
		size_t n = size - done < sizeof(chunk) ? (size_t)(size - done) : sizeof(chunk);
		size_t i;

		for (i = 0; i < n; i++)
			chunk[i] = protm_verify_pattern_byte(seed, done + i);
		sha256_update(&h, chunk, n);
		done += n;
	}
	sha256_final(&h, digest);
}
