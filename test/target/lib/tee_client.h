/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A minimal TEE client on the Linux TEE uapi (linux/tee.h), without
 * libteec: the checks link statically, need nothing on the target but the
 * kernel, and can exercise TEE_IOC_SHM_REGISTER_FD, which libteec 4.11's
 * API does not expose for dma-bufs from protected heaps.
 *
 * Functions return 0 (or a file descriptor) on success and -errno when the
 * ioctl itself fails; a TEE/TA result travels separately in struct tee_result.
 */
#ifndef PROTM_TEE_CLIENT_H
#define PROTM_TEE_CLIENT_H

#include <linux/tee.h>
#include <stddef.h>
#include <stdint.h>

#define TEE_PARAMS 4

/* GlobalPlatform result codes used by the checks. */
#define TEE_OK			0x00000000u
#define TEE_ERR_ACCESS_DENIED	0xffff0001u
#define TEE_ERR_BAD_PARAMETERS	0xffff0006u
#define TEE_ERR_ITEM_NOT_FOUND	0xffff0008u
#define TEE_ERR_SHORT_BUFFER	0xffff0010u
#define TEE_ERR_SECURITY	0xffff000fu

struct tee_uuid {
	uint32_t time_low;
	uint16_t time_mid;
	uint16_t time_hi_and_version;
	uint8_t clock_seq_and_node[8];
};

struct tee_result {
	uint32_t ret;    /* TEE_Result */
	uint32_t origin; /* TEEC_ORIGIN_* */
};

int tee_open(const char *dev, struct tee_ioctl_version_data *version);
int tee_open_session(int fd, const struct tee_uuid *uuid, uint32_t *session, struct tee_result *res);
int tee_close_session(int fd, uint32_t session);
int tee_invoke(int fd, uint32_t session, uint32_t func, struct tee_ioctl_param params[TEE_PARAMS],
	       struct tee_result *res);
/* Ordinary shared memory; returns its fd (mmap-able), *id for memrefs. */
int tee_shm_alloc(int fd, size_t size, int *id);
/* TEE_IOC_SHM_REGISTER_FD; returns the shm fd, *id for memrefs, *size as the kernel sees it. */
int tee_shm_register_fd(int fd, int dmabuf_fd, int *id, uint64_t *size);

/* Parameter builders. */
struct tee_ioctl_param tee_param_none(void);
struct tee_ioctl_param tee_param_value(uint64_t attr, uint64_t a, uint64_t b);
struct tee_ioctl_param tee_param_memref(uint64_t attr, int shm_id, uint64_t offset, uint64_t size);

const char *tee_result_name(uint32_t ret);

#endif
