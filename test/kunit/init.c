// SPDX-License-Identifier: MIT
/*
 * The init of protm's KUnit boot (tools/build/kunit.ts).
 *
 * The KUnit kernel builds Panthor and its tests as modules, so that an edit
 * of the driver rebuilds two modules instead of relinking the kernel. KUnit
 * runs a module's suites when the module is loaded; this program loads every
 * module in /modules, then powers the machine off.
 *
 * Modules are loaded in rounds, each in the order of their names (protm
 * numbers them in the build's order): one whose symbols come from a module
 * not yet loaded fails with ENOENT and is tried again in the next round. A round that
 * loads nothing ends the loop; whatever is still not loaded is reported.
 *
 * Every line this program prints starts with TAG, and the last one says how
 * many modules loaded: protm fails the run unless it reads that line with
 * nothing missing. The lines go into the kernel's log (/dev/kmsg), not
 * straight to the console: the kernel prints its log, the suites' KTAP
 * included, to the console after the fact, and two writers would interleave
 * within a line.
 */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TAG "protm-kunit-init: "
#define MODULE_DIR "/modules"
#define MAX_MODULES 64

static FILE *out;

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(TAG, out);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	fflush(out);
	va_end(ap);
}

static int load_module(const char *name)
{
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), MODULE_DIR "/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ret = syscall(SYS_finit_module, fd, "", 0);
	ret = ret ? errno : 0;
	close(fd);
	return ret;
}

static int is_module(const struct dirent *e)
{
	const char *name = e->d_name;
	size_t len = strlen(name);

	return len > 3 && !strcmp(name + len - 3, ".ko");
}

int main(void)
{
	char *names[MAX_MODULES];
	int errs[MAX_MODULES];
	int count = 0, loaded = 0, progress = 1, n;
	struct dirent **entries;

	out = fopen("/dev/kmsg", "w");
	if (!out)
		out = stdout;
	n = scandir(MODULE_DIR, &entries, is_module, alphasort);
	if (n < 0) {
		say("cannot read " MODULE_DIR ": %s", strerror(errno));
		goto off;
	}
	if (n > MAX_MODULES)
		say("only the first %d of %d modules are tried", MAX_MODULES, n);
	for (int i = 0; i < n && count < MAX_MODULES; i++)
		names[count++] = entries[i]->d_name;

	for (int i = 0; i < count; i++)
		errs[i] = -1;
	while (progress) {
		progress = 0;
		for (int i = 0; i < count; i++) {
			if (!errs[i])
				continue;
			errs[i] = load_module(names[i]);
			if (!errs[i]) {
				say("loaded %s", names[i]);
				loaded++;
				progress = 1;
			}
		}
	}
	for (int i = 0; i < count; i++)
		if (errs[i])
			say("failed to load %s: %s", names[i], strerror(errs[i]));
	say("%d of %d modules loaded", loaded, n);
off:
	sync();
	reboot(RB_POWER_OFF);
	return 1;
}
