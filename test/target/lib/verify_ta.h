/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The normal-world side of our TA (test/ta/protm_verify) for the checks
 * that verify protected buffers: a session, FILL, HASH and COMPARE on a
 * buffer registered with TEE_IOC_SHM_REGISTER_FD, and the expected digest
 * of the pattern computed here.
 */
#ifndef PROTM_VERIFY_TA_CLIENT_H
#define PROTM_VERIFY_TA_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "sha256.h"
#include "tee_client.h"

struct verify_ta {
	int tee_fd;	  /* -1 when closed */
	uint32_t session;
};

/* Opens `tee_dev` and a session with the TA; returns 0 or a negative errno / TEE error (diagnosed). */
int verify_ta_open(struct verify_ta *t, const char *tee_dev);
void verify_ta_close(struct verify_ta *t);

/* Registers a dma-buf with the TEE; returns the shm fd (close it to drop), *id for the calls. */
int verify_ta_register(struct verify_ta *t, int dmabuf_fd, int *id);

/* Each diagnoses and returns false on a failed call. */
/* Any TA command; `what` names it in diagnostics. */
bool verify_ta_invoke(struct verify_ta *t, uint32_t cmd, const char *what, struct tee_ioctl_param p[TEE_PARAMS]);
bool verify_ta_fill(struct verify_ta *t, int shm_id, uint64_t size, uint32_t seed);
bool verify_ta_hash(struct verify_ta *t, int shm_id, uint64_t size, uint8_t digest[SHA256_DIGEST_SIZE]);
bool verify_ta_compare(struct verify_ta *t, int shm_id, uint64_t size, uint32_t seed, bool *match,
		       uint64_t *offset);

/*
 * Whether the TA's SHA-256 of the first `size` bytes of the registered
 * buffer `shm_id` is `want`: 1 if it is, 0 if not, -1 if the TA could not
 * hash it. Diagnoses the TA's digest, and the expected one on a mismatch;
 * `what` names the buffer in each line.
 */
int verify_ta_digest_is(struct verify_ta *t, int shm_id, uint64_t size, const uint8_t want[SHA256_DIGEST_SIZE],
			const char *what);

/* SHA-256 of `size` bytes of the pattern for `seed`. */
void verify_pattern_digest(uint32_t seed, uint64_t size, uint8_t digest[SHA256_DIGEST_SIZE]);

#endif
