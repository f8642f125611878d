/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef USER_TA_HEADER_DEFINES_H
#define USER_TA_HEADER_DEFINES_H

#include <protm_verify_ta.h>

#define TA_UUID PROTM_VERIFY_UUID

/*
 * TA_FLAG_SECURE_DATA_PATH: OP-TEE passes SDP (protected) memory
 * references only to TAs carrying this flag (tee_ta_manager.c,
 * check_params()); without it every invocation with a protected
 * buffer fails with TEE_ERROR_SECURITY.
 */
#define TA_FLAGS (TA_FLAG_SECURE_DATA_PATH | TA_FLAG_MULTI_SESSION)
#define TA_STACK_SIZE (4 * 1024)
#define TA_DATA_SIZE (32 * 1024)

#define TA_DESCRIPTION "protm: fill, hash and compare protected buffers"
#define TA_VERSION "1.0"

#endif
