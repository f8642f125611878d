/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * KTAP v1 output for one suite, nested the way KUnit prints it:
 *
 *   KTAP version 1
 *   1..1
 *       KTAP version 1
 *       # Subtest: <suite>
 *       1..<cases>
 *       ok 1 <case>
 *       ok 2 <case> # SKIP <reason>
 *       # <diagnostic>
 *       not ok 3 <case>
 *   ok 1 <suite>
 *
 * A suite passes when no case failed (skips do not fail it). A case that
 * cannot run reports "# SKIP" and never "ok" without it.
 */
#ifndef PROTM_KTAP_H
#define PROTM_KTAP_H

enum ktap_result { KTAP_PASS, KTAP_FAIL, KTAP_SKIP };

void ktap_suite_begin(const char *suite, int cases);
/* A diagnostic line ("# ...") inside the suite. */
void ktap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * A picture for the run's report, as diagnostics of the next case: a header
 * "# protm-image <id> <w>x<h> rgba8 <parts> <title>", then <parts> lines
 * "# protm-image <id> <k>/<parts> <base64>" (tools/results/images.ts).
 * `rgba` holds w * h pixels of 4 bytes, R first; `id` is one word.
 */
void ktap_image(const char *id, const char *title, int w, int h, const unsigned char *rgba);
/* The result line of the next case; `skip_reason` only for KTAP_SKIP. */
void ktap_case(enum ktap_result result, const char *name, const char *skip_reason);
/* Closes the suite; returns the process exit status (0: no case failed). */
int ktap_suite_end(void);

/*
 * For case functions of the form
 *   enum ktap_result fn(..., char *skip, size_t skip_len)
 * with a local `enum ktap_result res` and an `out:` cleanup label.
 */
/* The case cannot run here: report SKIP with a reason. */
#define SKIP(...)                                            \
	do {                                                 \
		snprintf(skip, skip_len, __VA_ARGS__);       \
		return KTAP_SKIP;                            \
	} while (0)

/* Assertion inside a case: print why and jump to the case's cleanup. */
#define EXPECT(cond, ...)                                    \
	do {                                                 \
		if (!(cond)) {                               \
			ktap_diag(__VA_ARGS__);              \
			res = KTAP_FAIL;                     \
			goto out;                            \
		}                                            \
	} while (0)

#endif
