/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Command line of a check program: a few "--name VALUE" options, -h/--help,
 * nothing else. Parsed with getopt_long; the usage line is built from the
 * table so that it cannot drift from what is accepted.
 */
#ifndef PROTM_ARGS_H
#define PROTM_ARGS_H

struct check_opt {
	const char *name;	/* the option without its leading "--" */
	const char *meta;	/* the value's name in the usage line */
	const char **value;	/* where the value goes (left as is when absent) */
};

/*
 * Parses argv against `opts` (terminated by an entry whose name is NULL).
 * --help prints the usage to stdout and exits 0; an unknown option, a
 * missing value or a positional argument prints it to stderr and exits 2.
 */
void check_parse_args(int argc, char **argv, const char *prog, const struct check_opt *opts);

/* A value the program cannot use: the reason and the usage on stderr, exit 2. */
void check_usage_error(const char *prog, const struct check_opt *opts, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

#endif
