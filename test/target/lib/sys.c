// SPDX-License-Identifier: BSD-2-Clause
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/dma-heap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

int xioctl(int fd, unsigned long req, void *arg)
{
	int rc;

	do
		rc = ioctl(fd, req, arg);
	while (rc < 0 && (errno == EINTR || errno == EAGAIN));
	return rc < 0 ? errno : 0;
}

void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int heap_alloc(const char *path, unsigned long long len, int *buf_fd)
{
	struct dma_heap_allocation_data data = { .len = len, .fd_flags = O_RDWR | O_CLOEXEC };
	int heap = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	*buf_fd = -1;
	if (heap < 0)
		return errno;
	if (ioctl(heap, DMA_HEAP_IOCTL_ALLOC, &data) < 0)
		rc = errno;
	else
		*buf_fd = (int)data.fd;
	close(heap);
	return rc;
}

int klog_count(const char *needle)
{
	static char buf[1 << 20];
	int len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);
	int count = 0;
	char *p;

	if (len < 0)
		return -1;
	buf[len] = '\0';
	for (p = strstr(buf, needle); p; p = strstr(p + 1, needle))
		count++;
	return count;
}

int klog_wait_count(const char *needle, int before, int ms)
{
	const struct timespec step = { .tv_nsec = 10 * 1000 * 1000 };
	int count = klog_count(needle);

	for (; count >= 0 && count <= before && ms > 0; ms -= 10) {
		nanosleep(&step, NULL);
		count = klog_count(needle);
	}
	return count;
}

bool env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && !strcmp(v, "1");
}
