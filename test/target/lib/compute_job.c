// SPDX-License-Identifier: BSD-2-Clause
#include "compute_job.h"

#include "cs.h"

/* One Valhall instruction: BRANCHZ 0xFFFFFFFF, offset:-1 (a branch to itself), as Mesa's assembler encodes it */
#define SHADER_ENDLESS 0x001fc007ffffffc1ull
/* Where the descriptor and the binary go in the buffer (both 64-byte aligned) */
#define SPD_OFF 0x800
#define SHADER_OFF 0x840
#define SPD_TYPE_SHADER 8
#define PRELOAD_COMPUTE 0x7f80 /* r55-r62: the invocation IDs */

uint32_t endless_shader_stream(uint64_t *s, volatile uint32_t *buf, uint64_t buf_va, bool prot)
{
	uint64_t shader_va = buf_va + SHADER_OFF;
	uint32_t n = 0;

	buf[SPD_OFF / 4] = SPD_TYPE_SHADER;
	buf[SPD_OFF / 4 + 1] = PRELOAD_COMPUTE;
	buf[SPD_OFF / 4 + 2] = (uint32_t)shader_va;
	buf[SPD_OFF / 4 + 3] = (uint32_t)(shader_va >> 32);
	buf[SHADER_OFF / 4] = (uint32_t)SHADER_ENDLESS;
	buf[SHADER_OFF / 4 + 1] = (uint32_t)(SHADER_ENDLESS >> 32);

	s[n++] = CS_MOVE48(0, 0);		   /* no resource table */
	s[n++] = CS_MOVE48(8, 0);		   /* no push constants */
	s[n++] = CS_MOVE48(16, buf_va + SPD_OFF); /* the shader program descriptor */
	s[n++] = CS_MOVE48(24, 0);		   /* no thread storage */
	s[n++] = CS_MOVE32(33, 16 - 1);		   /* workgroup size: 16 x 1 x 1 */
	for (int r = 34; r <= 36; r++)
		s[n++] = CS_MOVE32(r, 0); /* workgroup offset */
	for (int r = 37; r <= 39; r++)
		s[n++] = CS_MOVE32(r, 1); /* workgroup count: 1 x 1 x 1 */
	if (prot)
		s[n++] = CS_PROT_REGION(1);
	s[n++] = CS_RUN_COMPUTE;
	return n;
}
