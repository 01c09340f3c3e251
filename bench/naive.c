/* naive.c: the benchmark baselines -- plain escape-time loops anyone would
 * write, compiled at -O2 for generic x86-64 with no FMA contraction and no
 * shortcuts. Every kernel speed-up we quote is a ratio to bench_naive_rows,
 * measured in the same run. */
#include "naive.h"

/* The pixel's c (Mandelbrot) or z0 (Julia), by the mapping contract. */
static void
s_start (const rnd_view_t *v, int x, int y, double *zx, double *zy, double *cr, double *ci)
{
    const double scale = v->width / v->width_px;
    double re = v->center_re + ((double)x + 0.5 - v->width_px / 2.0) * scale;
    double im = v->center_im + (v->height_px / 2.0 - (double)y - 0.5) * scale;
    if (v->fractal == RND_FRACTAL_JULIA) {
        *zx = re;
        *zy = im;
        *cr = v->julia_re;
        *ci = v->julia_im;
    } else {
        *zx = *zy = 0.0;
        *cr = re;
        *ci = im;
    }
}

void
bench_naive_rows (const rnd_view_t *v, int y0, int y1, uint32_t *counts)
{
    const double bail2 = v->bailout * v->bailout;
    for (int y = y0; y < y1; y++) {
        for (int x = 0; x < v->width_px; x++) {
            double zx, zy, cr, ci;
            s_start (v, x, y, &zx, &zy, &cr, &ci);
            /* The textbook loop: z = z^2 + c until |z|^2 > R^2. */
            int n = 0;
            uint32_t escaped_at = 0;
            while (n < v->max_iter) {
                double t = zx * zx - zy * zy + cr;
                zy = 2.0 * zx * zy + ci;
                zx = t;
                n++;
                if (zx * zx + zy * zy > bail2) {
                    escaped_at = (uint32_t)n;
                    break;
                }
            }
            counts[(size_t)(y - y0) * v->width_px + x] = escaped_at;
        }
    }
}

void
bench_naive_x2_rows (const rnd_view_t *v, int y0, int y1, uint32_t *counts)
{
    const double bail2 = v->bailout * v->bailout;
    for (int y = y0; y < y1; y++) {
        for (int x = 0; x < v->width_px; x++) {
            double zx, zy, cr, ci;
            s_start (v, x, y, &zx, &zy, &cr, &ci);
            /* The usual first optimisation: keep x^2 and y^2 for the test
             * and the next step (3 multiplies per iteration instead of 5). */
            double x2 = zx * zx, y2 = zy * zy;
            int n = 0;
            uint32_t escaped_at = 0;
            while (n < v->max_iter) {
                zy = 2.0 * zx * zy + ci;
                zx = x2 - y2 + cr;
                x2 = zx * zx;
                y2 = zy * zy;
                n++;
                if (x2 + y2 > bail2) {
                    escaped_at = (uint32_t)n;
                    break;
                }
            }
            counts[(size_t)(y - y0) * v->width_px + x] = escaped_at;
        }
    }
}
