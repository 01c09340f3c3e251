/* render_pool.h: render a whole image with a pool of threads that take
 * bands of rows from a shared counter (dynamic hand-out, so a band full of
 * interior pixels does not hold one thread up while the others idle). */
#ifndef APP_RENDER_POOL_H
#define APP_RENDER_POOL_H

#include "kernel.h"

/* Render job's rows [0, H) into out (W*H floats) with up to `threads`
 * threads. Returns how many ran (at least 1: if no thread can be started,
 * the caller's thread renders the image itself). */
int app_render_pool_run (const rnd_kjob_t *job, rnd_kernel_t kernel, int threads, float *out);

/* The number of online CPUs (at least 1). */
int app_cpu_count (void);

#endif
