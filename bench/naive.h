/* naive.h: the plain-double escape-time loop used as the benchmark baseline
 * and as an independent check of the kernels' escape counts. */
#ifndef BENCH_NAIVE_H
#define BENCH_NAIVE_H

#include <stdint.h>

#include "view.h"

/* Escape counts of rows [y0, y1): n, or 0 if the pixel did not escape
 * within max_iter. The textbook loop: the baseline of every ratio. */
void bench_naive_rows (const rnd_view_t *view, int y0, int y1, uint32_t *counts);

/* The same counts from the common 3-multiply form (x^2, y^2 reused): a
 * second, stronger plain-C baseline, reported beside the first. */
void bench_naive_x2_rows (const rnd_view_t *view, int y0, int y1, uint32_t *counts);

#endif
