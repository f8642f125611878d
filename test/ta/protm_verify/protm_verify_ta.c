// SPDX-License-Identifier: BSD-2-Clause
/*
 * protm_verify TA: fills, hashes and compares buffers handed in as memory
 * references, typically protected dma-bufs that the normal world cannot
 * read. Interface: include/protm_verify_ta.h.
 */
#include <protm_verify_ta.h>
#include <string.h>
#include <tee_internal_api.h>
#include <tee_internal_api_extensions.h>

/* Hash in chunks so one syscall never covers an unbounded range. */
#define HASH_CHUNK (64 * 1024)

static bool is_readable_memref(uint32_t type)
{
	return type == TEE_PARAM_TYPE_MEMREF_INPUT ||
	       type == TEE_PARAM_TYPE_MEMREF_INOUT;
}

static bool is_writable_memref(uint32_t type)
{
	return type == TEE_PARAM_TYPE_MEMREF_OUTPUT ||
	       type == TEE_PARAM_TYPE_MEMREF_INOUT;
}

static TEE_Result check_access(void *buf, size_t size, uint32_t access)
{
	return TEE_CheckMemoryAccessRights(access | TEE_MEMORY_ACCESS_ANY_OWNER,
					   buf, size);
}

static TEE_Result cmd_fill(uint32_t types, TEE_Param p[TEE_NUM_PARAMS])
{
	uint8_t *buf = NULL;
	size_t size = 0;
	uint32_t seed = 0;
	size_t words = 0;
	size_t n = 0;
	TEE_Result res = TEE_ERROR_GENERIC;

	if (!is_writable_memref(TEE_PARAM_TYPE_GET(types, 0)) ||
	    TEE_PARAM_TYPE_GET(types, 1) != TEE_PARAM_TYPE_VALUE_INPUT ||
	    TEE_PARAM_TYPE_GET(types, 2) != TEE_PARAM_TYPE_NONE ||
	    TEE_PARAM_TYPE_GET(types, 3) != TEE_PARAM_TYPE_NONE)
		return TEE_ERROR_BAD_PARAMETERS;

	buf = p[0].memref.buffer;
	size = p[0].memref.size;
	seed = p[1].value.a;
	if (!buf || !size)
		return TEE_ERROR_BAD_PARAMETERS;

	res = check_access(buf, size, TEE_MEMORY_ACCESS_WRITE);
	if (res)
		return res;

	words = size / 8;
	for (n = 0; n < words; n++) {
		uint64_t w = protm_verify_pattern_word(seed, n);

		/* Little-endian byte order, independent of alignment. */
		memcpy(buf + 8 * n, &w, sizeof(w));
	}
	for (n = words * 8; n < size; n++)
		buf[n] = protm_verify_pattern_byte(seed, n);

	return TEE_SUCCESS;
}

static TEE_Result cmd_hash(uint32_t types, TEE_Param p[TEE_NUM_PARAMS])
{
	TEE_OperationHandle op = TEE_HANDLE_NULL;
	uint8_t *buf = NULL;
	size_t size = 0;
	size_t done = 0;
	size_t digest_len = PROTM_VERIFY_DIGEST_SIZE;
	TEE_Result res = TEE_ERROR_GENERIC;

	if (!is_readable_memref(TEE_PARAM_TYPE_GET(types, 0)) ||
	    TEE_PARAM_TYPE_GET(types, 1) != TEE_PARAM_TYPE_MEMREF_OUTPUT ||
	    TEE_PARAM_TYPE_GET(types, 2) != TEE_PARAM_TYPE_NONE ||
	    TEE_PARAM_TYPE_GET(types, 3) != TEE_PARAM_TYPE_NONE)
		return TEE_ERROR_BAD_PARAMETERS;

	buf = p[0].memref.buffer;
	size = p[0].memref.size;
	if (!buf || !size)
		return TEE_ERROR_BAD_PARAMETERS;
	if (p[1].memref.size < PROTM_VERIFY_DIGEST_SIZE) {
		p[1].memref.size = PROTM_VERIFY_DIGEST_SIZE;
		return TEE_ERROR_SHORT_BUFFER;
	}

	res = check_access(buf, size, TEE_MEMORY_ACCESS_READ);
	if (res)
		return res;

	res = TEE_AllocateOperation(&op, TEE_ALG_SHA256, TEE_MODE_DIGEST, 0);
	if (res)
		return res;

	while (size - done > HASH_CHUNK) {
		TEE_DigestUpdate(op, buf + done, HASH_CHUNK);
		done += HASH_CHUNK;
	}
	res = TEE_DigestDoFinal(op, buf + done, size - done,
				p[1].memref.buffer, &digest_len);
	TEE_FreeOperation(op);
	if (res)
		return res;

	p[1].memref.size = digest_len;
	return TEE_SUCCESS;
}

static TEE_Result cmd_compare(uint32_t types, TEE_Param p[TEE_NUM_PARAMS])
{
	const uint8_t *buf = NULL;
	size_t size = 0;
	uint32_t seed = 0;
	size_t n = 0;
	TEE_Result res = TEE_ERROR_GENERIC;

	if (!is_readable_memref(TEE_PARAM_TYPE_GET(types, 0)) ||
	    TEE_PARAM_TYPE_GET(types, 1) != TEE_PARAM_TYPE_VALUE_INPUT ||
	    TEE_PARAM_TYPE_GET(types, 2) != TEE_PARAM_TYPE_VALUE_OUTPUT ||
	    TEE_PARAM_TYPE_GET(types, 3) != TEE_PARAM_TYPE_NONE)
		return TEE_ERROR_BAD_PARAMETERS;

	buf = p[0].memref.buffer;
	size = p[0].memref.size;
	seed = p[1].value.a;
	if (!buf || !size)
		return TEE_ERROR_BAD_PARAMETERS;

	res = check_access((void *)buf, size, TEE_MEMORY_ACCESS_READ);
	if (res)
		return res;

	p[2].value.a = PROTM_VERIFY_MATCH;
	p[2].value.b = 0;
	for (n = 0; n < size; n++) {
		if (buf[n] != protm_verify_pattern_byte(seed, n)) {
			p[2].value.a = PROTM_VERIFY_MISMATCH;
			p[2].value.b = n;
			break;
		}
	}

	return TEE_SUCCESS;
}

static TEE_Result cmd_mem_info(uint32_t types, TEE_Param p[TEE_NUM_PARAMS])
{
	void *buf = NULL;
	size_t size = 0;
	uint32_t flags = 0;

	if (!is_readable_memref(TEE_PARAM_TYPE_GET(types, 0)) ||
	    TEE_PARAM_TYPE_GET(types, 1) != TEE_PARAM_TYPE_VALUE_OUTPUT ||
	    TEE_PARAM_TYPE_GET(types, 2) != TEE_PARAM_TYPE_NONE ||
	    TEE_PARAM_TYPE_GET(types, 3) != TEE_PARAM_TYPE_NONE)
		return TEE_ERROR_BAD_PARAMETERS;

	buf = p[0].memref.buffer;
	size = p[0].memref.size;
	if (!buf || !size)
		return TEE_ERROR_BAD_PARAMETERS;

	if (!check_access(buf, size, TEE_MEMORY_ACCESS_READ |
					 TEE_MEMORY_ACCESS_SECURE))
		flags |= PROTM_VERIFY_MEM_SECURE;
	if (!check_access(buf, size, TEE_MEMORY_ACCESS_READ |
					 TEE_MEMORY_ACCESS_NONSECURE))
		flags |= PROTM_VERIFY_MEM_NONSECURE;

	p[1].value.a = flags;
	p[1].value.b = size;
	return TEE_SUCCESS;
}

TEE_Result TA_CreateEntryPoint(void)
{
	return TEE_SUCCESS;
}

void TA_DestroyEntryPoint(void)
{
}

TEE_Result TA_OpenSessionEntryPoint(uint32_t types __unused,
				    TEE_Param params[TEE_NUM_PARAMS] __unused,
				    void **session __unused)
{
	return TEE_SUCCESS;
}

void TA_CloseSessionEntryPoint(void *session __unused)
{
}

TEE_Result TA_InvokeCommandEntryPoint(void *session __unused, uint32_t cmd,
				      uint32_t types,
				      TEE_Param params[TEE_NUM_PARAMS])
{
	switch (cmd) {
	case PROTM_VERIFY_CMD_FILL:
		return cmd_fill(types, params);
	case PROTM_VERIFY_CMD_HASH:
		return cmd_hash(types, params);
	case PROTM_VERIFY_CMD_COMPARE:
		return cmd_compare(types, params);
	case PROTM_VERIFY_CMD_MEM_INFO:
		return cmd_mem_info(types, params);
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}
