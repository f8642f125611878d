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

/* Bytes per image line: 384 characters of base64, well inside a diagnostic's 512. */
#define IMAGE_CHUNK 288

void ktap_image(const char *id, const char *title, int w, int h, const unsigned char *rgba)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const size_t size = (size_t)w * h * 4;
	const int parts = (int)((size + IMAGE_CHUNK - 1) / IMAGE_CHUNK);
	char text[IMAGE_CHUNK / 3 * 4 + 1];

	ktap_diag("protm-image %s %dx%d rgba8 %d %s", id, w, h, parts, title);
	for (int k = 0; k < parts; k++) {
		const unsigned char *p = rgba + (size_t)k * IMAGE_CHUNK;
		size_t n = size - (size_t)k * IMAGE_CHUNK, o = 0;

		if (n > IMAGE_CHUNK)
			n = IMAGE_CHUNK;
		for (size_t i = 0; i < n; i += 3) {
			unsigned int v = (unsigned int)p[i] << 16;

			v |= i + 1 < n ? (unsigned int)p[i + 1] << 8 : 0;
			v |= i + 2 < n ? p[i + 2] : 0;
			text[o++] = b64[v >> 18 & 63];
			text[o++] = b64[v >> 12 & 63];
			text[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
			text[o++] = i + 2 < n ? b64[v & 63] : '=';
		}
		text[o] = '\0';
		ktap_diag("protm-image %s %d/%d %s", id, k + 1, parts, text);
	}
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
