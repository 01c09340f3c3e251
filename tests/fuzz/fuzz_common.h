/* fuzz_common.h: what the libFuzzer targets in tests/fuzz share -- an
 * invariant check that aborts (libFuzzer then saves the input), the jobs
 * the job-protocol targets check messages against, and the checks that
 * more than one target runs on what it decoded.
 *
 * Built only with -DP2PF_FUZZ=ON (clang; see tests/fuzz/CMakeLists.txt). */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "job.h"

/* An invariant every input must keep; on failure the input is a finding. */
#define FZ_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf (stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);          \
            abort ();                                                                              \
        }                                                                                          \
    } while (0)

/* The fixed jobs messages are checked against: 0 is tiny (7x10 pixels,
 * 3 slices of 3-4 rows, max_iter 50), so the fuzzer easily builds a
 * SliceData of the right size; 1 is a Julia set of 320x180 in 128 slices.
 * Built on first use; the same in every process (the seed generator
 * writes messages naming them). */
#define FZ_JOBS 2
const el_job_t *fz_job (int i);

/* Parameter text: whatever parses re-formats, and the text it formats
 * parses to the same view; a view that validates makes a job whose spec
 * reads back to the same job (what a peer does with a JobAnnounce). On
 * failure the view is untouched and err says why. */
void fz_params (const char *text, size_t len);

/* A JobMsg payload: decoded, checked against every fz_job, re-encoded
 * and decoded again with the same verdicts and the same bytes. */
void fz_jobmsg (const uint8_t *data, size_t size);

#endif
