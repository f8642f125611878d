/* SPDX-License-Identifier: BSD-2-Clause */
/* System call helpers shared by the target checks. */
#ifndef PROTM_SYS_H
#define PROTM_SYS_H

#include <stdbool.h>

/* ioctl() retried on EINTR/EAGAIN; returns 0 or the errno. */
int xioctl(int fd, unsigned long req, void *arg);

/* Closes *fd if open and marks it closed. */
void close_fd(int *fd);

/*
 * Allocates `len` bytes from the dma-heap at `path` (/dev/dma_heap/NAME).
 * Returns 0 and the buffer's fd in *buf_fd, or the errno and -1.
 */
int heap_alloc(const char *path, unsigned long long len, int *buf_fd);

/* How many times `needle` occurs in the kernel log buffer, or -1. */
int klog_count(const char *needle);

/*
 * Waits up to `ms` milliseconds for `needle` to occur in the kernel log more
 * than `before` times; returns the last count. A driver may report an event
 * a moment after the job it ended completed (another interrupt, a work
 * item): one read right after the job races with it.
 */
int klog_wait_count(const char *needle, int before, int ms);

/*
 * True when the environment variable `name` is "1". The host says with them
 * what the target has: PROTM_EXPECT_GPU=1, a GPU that runs work (the Mali
 * model); PROTM_EXPECT_DEVICE=1, a device Mesa drives that may run nothing
 * (drm-shim on the host). A check that finds either missing then fails
 * instead of skipping.
 */
bool env_flag(const char *name);

#endif
