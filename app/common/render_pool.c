/* render_pool.c: a pthread pool over bands of rows. */
#include "render_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    const rnd_kjob_t *job; /* what to render */
    rnd_kernel_t kernel;   /* which variant */
    float *out;            /* the whole image */
    int band_rows;         /* rows per hand-out */
    atomic_int next_row;   /* first row not yet handed out */
} s_pool_t;

static void *
s_worker (void *arg)
{
    s_pool_t *pool = arg;
    const int h = pool->job->height_px, w = pool->job->width_px;
    for (;;) {
        int y0 = atomic_fetch_add (&pool->next_row, pool->band_rows);
        if (y0 >= h)
            break;
        int y1 = y0 + pool->band_rows < h ? y0 + pool->band_rows : h;
        rnd_kernel_run (pool->kernel, pool->job, y0, y1, pool->out + (size_t)y0 * w);
    }
    return NULL;
}

int
app_cpu_count (void)
{
    long n = sysconf (_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

int
app_render_pool_run (const rnd_kjob_t *job, rnd_kernel_t kernel, int threads, float *out)
{
    s_pool_t pool = { .job = job, .kernel = kernel, .out = out };
    /* Bands small enough for ~16 hand-outs per thread (balance), large
     * enough that a band keeps all SIMD lanes busy (a few thousand pixels). */
    int rows = job->height_px / (threads * 16);
    int min_rows = (4096 + job->width_px - 1) / job->width_px;
    pool.band_rows = rows < min_rows ? min_rows : rows;
    atomic_init (&pool.next_row, 0);
    pthread_t *tids = threads > 1 ? calloc ((size_t)threads, sizeof *tids) : NULL;
    if (!tids) {
        s_worker (&pool);
        return 1;
    }
    int started = 0;
    for (; started < threads; started++) {
        if (pthread_create (&tids[started], NULL, s_worker, &pool) != 0)
            break;
    }
    /* If some threads failed to start, the ones running still finish the
     * image; with none, do it here. */
    if (started == 0)
        s_worker (&pool);
    for (int i = 0; i < started; i++)
        pthread_join (tids[i], NULL);
    free (tids);
    return started > 0 ? started : 1;
}
