// SPDX-License-Identifier: BSD-2-Clause
#include "ktap.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define INDENT "    "

static const char *suite_name;
static int planned, done, failed;

void ktap_suite_begin(const char *suite, int cases)
{
	suite_name = suite;
	planned = cases;
	done = 0;
	failed = 0;
	printf("KTAP version 1\n1..1\n");
	printf(INDENT "KTAP version 1\n" INDENT "# Subtest: %s\n" INDENT "1..%d\n", suite, cases);
	fflush(stdout);
}

void ktap_diag(const char *fmt, ...)
{
	char line[512];
	char *p, *nl;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One "# " line per line of text, so a diagnostic never ends a result line. */
	for (p = line; p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (*p || !nl)
			printf(INDENT "# %s\n", p);
	}
	fflush(stdout);
}

static void sanitize(char *s)
{
	/* '#' would start a directive and a newline would end the line. */
	for (; *s; s++)
		if (*s == '#' || *s == '\n' || *s == '\r')
			*s = ' ';
}

void ktap_case(enum ktap_result result, const char *name, const char *skip_reason)
{
	char reason[256];

	done++;
	switch (result) {
	case KTAP_PASS:
		printf(INDENT "ok %d %s\n", done, name);
		break;
	case KTAP_SKIP:
		snprintf(reason, sizeof(reason), "%s", skip_reason && *skip_reason ? skip_reason : "no reason given");
		sanitize(reason);
		printf(INDENT "ok %d %s # SKIP %s\n", done, name, reason);
		break;
	case KTAP_FAIL:
	default:
		failed++;
		printf(INDENT "not ok %d %s\n", done, name);
		break;
	}
	fflush(stdout);
}

int ktap_suite_end(void)
{
	if (done != planned) {
		ktap_diag("planned %d cases, ran %d", planned, done);
		failed++;
	}
	printf("%s 1 %s\n", failed ? "not ok" : "ok", suite_name);
	fflush(stdout);
	return failed ? 1 : 0;
}
