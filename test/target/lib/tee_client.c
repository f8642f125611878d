// SPDX-License-Identifier: BSD-2-Clause
#include "tee_client.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ioctl argument buffers: a header followed by TEE_PARAMS parameters. */
union open_buf {
	struct tee_ioctl_open_session_arg arg;
	uint8_t bytes[sizeof(struct tee_ioctl_open_session_arg) + TEE_PARAMS * sizeof(struct tee_ioctl_param)];
	uint64_t align;
};

union invoke_buf {
	struct tee_ioctl_invoke_arg arg;
	uint8_t bytes[sizeof(struct tee_ioctl_invoke_arg) + TEE_PARAMS * sizeof(struct tee_ioctl_param)];
	uint64_t align;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	int rc;

	do {
		rc = ioctl(fd, req, arg);
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : rc;
}

int tee_open(const char *dev, struct tee_ioctl_version_data *version)
{
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -errno;
	if (version) {
		memset(version, 0, sizeof(*version));
		rc = xioctl(fd, TEE_IOC_VERSION, version);
		if (rc < 0) {
			close(fd);
			return rc;
		}
	}
	return fd;
}

/* GlobalPlatform UUID fields to the big-endian octets the uapi expects. */
static void uuid_to_octets(const struct tee_uuid *u, uint8_t out[TEE_IOCTL_UUID_LEN])
{
	out[0] = (uint8_t)(u->time_low >> 24);
	out[1] = (uint8_t)(u->time_low >> 16);
	out[2] = (uint8_t)(u->time_low >> 8);
	out[3] = (uint8_t)u->time_low;
	out[4] = (uint8_t)(u->time_mid >> 8);
	out[5] = (uint8_t)u->time_mid;
	out[6] = (uint8_t)(u->time_hi_and_version >> 8);
	out[7] = (uint8_t)u->time_hi_and_version;
	memcpy(out + 8, u->clock_seq_and_node, 8);
}

int tee_open_session(int fd, const struct tee_uuid *uuid, uint32_t *session, struct tee_result *res)
{
	union open_buf buf;
	struct tee_ioctl_buf_data data;
	int rc, i;

	memset(&buf, 0, sizeof(buf));
	uuid_to_octets(uuid, buf.arg.uuid);
	buf.arg.clnt_login = TEE_IOCTL_LOGIN_PUBLIC;
	buf.arg.num_params = TEE_PARAMS;
	for (i = 0; i < TEE_PARAMS; i++)
		buf.arg.params[i].attr = TEE_IOCTL_PARAM_ATTR_TYPE_NONE;
	data.buf_ptr = (uintptr_t)&buf;
	data.buf_len = sizeof(buf);
	rc = xioctl(fd, TEE_IOC_OPEN_SESSION, &data);
	if (rc < 0)
		return rc;
	res->ret = buf.arg.ret;
	res->origin = buf.arg.ret_origin;
	*session = buf.arg.session;
	return 0;
}

int tee_close_session(int fd, uint32_t session)
{
	struct tee_ioctl_close_session_arg arg = { .session = session };

	return xioctl(fd, TEE_IOC_CLOSE_SESSION, &arg);
}

int tee_invoke(int fd, uint32_t session, uint32_t func, struct tee_ioctl_param params[TEE_PARAMS],
	       struct tee_result *res)
{
	union invoke_buf buf;
	struct tee_ioctl_buf_data data;
	int rc;

	memset(&buf, 0, sizeof(buf));
	buf.arg.func = func;
	buf.arg.session = session;
	buf.arg.num_params = TEE_PARAMS;
	memcpy(buf.arg.params, params, TEE_PARAMS * sizeof(*params));
	data.buf_ptr = (uintptr_t)&buf;
	data.buf_len = sizeof(buf);
	rc = xioctl(fd, TEE_IOC_INVOKE, &data);
	if (rc < 0)
		return rc;
	res->ret = buf.arg.ret;
	res->origin = buf.arg.ret_origin;
	memcpy(params, buf.arg.params, TEE_PARAMS * sizeof(*params));
	return 0;
}

int tee_shm_alloc(int fd, size_t size, int *id)
{
	struct tee_ioctl_shm_alloc_data data = { .size = size };
	int rc = xioctl(fd, TEE_IOC_SHM_ALLOC, &data);

	if (rc < 0)
		return rc;
	*id = data.id;
	return rc;
}

int tee_shm_register_fd(int fd, int dmabuf_fd, int *id, uint64_t *size)
{
	struct tee_ioctl_shm_register_fd_data data = { .fd = dmabuf_fd };
	int rc = xioctl(fd, TEE_IOC_SHM_REGISTER_FD, &data);

	if (rc < 0)
		return rc;
	*id = data.id;
	*size = data.size;
	return rc;
}

struct tee_ioctl_param tee_param_none(void)
{
	struct tee_ioctl_param p = { .attr = TEE_IOCTL_PARAM_ATTR_TYPE_NONE };

	return p;
}

struct tee_ioctl_param tee_param_value(uint64_t attr, uint64_t a, uint64_t b)
{
	struct tee_ioctl_param p = { .attr = attr, .a = a, .b = b };

	return p;
}

struct tee_ioctl_param tee_param_memref(uint64_t attr, int shm_id, uint64_t offset, uint64_t size)
{
	/* Memory references: a = offset, b = size, c = shm id. */
	struct tee_ioctl_param p = { .attr = attr, .a = offset, .b = size, .c = (uint64_t)shm_id };

	return p;
}

const char *tee_result_name(uint32_t ret)
{
	switch (ret) {
	case TEE_OK: return "TEE_SUCCESS";
	case TEE_ERR_ACCESS_DENIED: return "TEE_ERROR_ACCESS_DENIED";
	case TEE_ERR_BAD_PARAMETERS: return "TEE_ERROR_BAD_PARAMETERS";
	case TEE_ERR_ITEM_NOT_FOUND: return "TEE_ERROR_ITEM_NOT_FOUND";
	case TEE_ERR_SECURITY: return "TEE_ERROR_SECURITY";
	case TEE_ERR_SHORT_BUFFER: return "TEE_ERROR_SHORT_BUFFER";
	case 0xffff0000u: return "TEE_ERROR_GENERIC";
	case 0xffff000au: return "TEE_ERROR_NOT_SUPPORTED";
	case 0xffff000cu: return "TEE_ERROR_OUT_OF_MEMORY";
	case 0xffff3024u: return "TEE_ERROR_TARGET_DEAD";
	default: return "unknown TEE result";
	}
}
