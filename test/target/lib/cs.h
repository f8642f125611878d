/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Command stream instructions of Mali's CSF front-end (architecture 10),
 * as the checks write their streams by hand: bits 63:56 the opcode,
 * registers in bits 55:48 (destination), 47:40 and 39:32 (sources),
 * immediates below.
 */
#ifndef PROTM_CS_H
#define PROTM_CS_H

#include <stdint.h>

#define CS_INSN(op, hi, lo) (((uint64_t)(op) << 56) | ((uint64_t)(hi) << 32) | (uint32_t)(lo))
#define CS_NOP CS_INSN(0, 0, 0)
#define CS_MOVE48(r, imm) (((uint64_t)1 << 56) | ((uint64_t)(r) << 48) | ((imm) & 0xffffffffffffull))
#define CS_MOVE32(r, imm) (((uint64_t)2 << 56) | ((uint64_t)(r) << 48) | (uint32_t)(imm))
#define CS_ADD32(d, s, imm) CS_INSN(16, ((d) << 16) | ((s) << 8), (uint32_t)(imm))
/* LOAD_MULTIPLE: registers base+i for each bit i of mask from [addr + off + 4i] */
#define CS_LOAD(base, addr, mask, off) CS_INSN(20, ((base) << 16) | ((addr) << 8), ((mask) << 16) | (off))
/* STORE_MULTIPLE: registers base+i for each bit i of mask to [addr + off + 4i] */
#define CS_STORE(base, addr, mask, off) CS_INSN(21, ((base) << 16) | ((addr) << 8), ((mask) << 16) | (off))
/* BRANCH on `cond` of register `r`, by `off` instructions after the next one */
#define CS_BRANCH(cond, r, off) CS_INSN(22, (r) << 8, ((uint32_t)(cond) << 28) | ((off) & 0xffff))
#define CS_BRANCH_ALWAYS(off) CS_BRANCH(CS_COND_ALWAYS, 0, off)
/* CALL the buffer at the address in register pair `a`, of the byte size in register `len` */
#define CS_CALL(a, len) CS_INSN(32, ((a) << 8) | (len), 0)
/* RUN_COMPUTE with the resource table, push constants, shader and thread storage in r0, r8, r16, r24 */
#define CS_RUN_COMPUTE CS_INSN(4, 0, 0)
/* PROT_REGION: the next `n` instructions run in protected mode */
#define CS_PROT_REGION(n) CS_INSN(41, 0, (n) & 0xffff)
/* SYNC_WAIT32: wait until the 32-bit word at [addr] compares `cond` to register `ref` */
#define CS_SYNC_WAIT32(cond, addr, ref) CS_INSN(39, ((addr) << 8) | (ref), (uint32_t)(cond) << 28)
/* SYNC_SET32 without error propagation: [addr] = register `data` */
#define CS_SYNC_SET32(addr, data) CS_INSN(38, ((addr) << 8) | (data), 0)
/* SYNC_ADD64 with error propagation: [addr] += data (a register pair) */
#define CS_SYNC_ADD64(addr, data) CS_INSN(51, ((addr) << 8) | (data), 1)

/* BRANCH conditions */
#define CS_COND_NEQUAL 3
#define CS_COND_ALWAYS 6
/* SYNC_WAIT conditions */
#define CS_SYNC_COND_LEQUAL 0
#define CS_SYNC_COND_GREATER 1

#endif
