// SPDX-License-Identifier: BSD-2-Clause
#include "args.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_OPTS 16
#define OPT_BASE 0x100 /* getopt_long's value for opts[i] is OPT_BASE + i */

static void usage(FILE *f, const char *prog, const struct check_opt *opts)
{
	int i;

	fprintf(f, "usage: %s", prog);
	for (i = 0; opts[i].name; i++)
		fprintf(f, " [--%s %s]", opts[i].name, opts[i].meta);
	fprintf(f, "\n");
}

void check_parse_args(int argc, char **argv, const char *prog, const struct check_opt *opts)
{
	struct option longopts[MAX_OPTS + 2] = { 0 };
	int i, n, c;

	for (n = 0; opts[n].name; n++) {
		if (n == MAX_OPTS) {
			fprintf(stderr, "%s: more than %d options\n", prog, MAX_OPTS);
			exit(2);
		}
		longopts[n] = (struct option){ opts[n].name, required_argument, NULL, OPT_BASE + n };
	}
	longopts[n] = (struct option){ "help", no_argument, NULL, 'h' };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout, prog, opts);
			exit(0);
		}
		i = c - OPT_BASE;
		if (i < 0 || i >= n) {
			/* getopt_long has said what was wrong */
			usage(stderr, prog, opts);
			exit(2);
		}
		*opts[i].value = optarg;
	}
	if (optind < argc)
		check_usage_error(prog, opts, "unexpected argument '%s'", argv[optind]);
}

void check_usage_error(const char *prog, const struct check_opt *opts, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr, prog, opts);
	exit(2);
}
