/* naive.c: the benchmark baseline -- the plain escape-time loop anyone would
 * write, compiled at -O2 for generic x86-64 with no FMA contraction and no
 * shortcuts. Every kernel speed-up we quote is a ratio to this, measured in
 * the same run. */
#include "naive.h"

void
bench_naive_rows (const rnd_view_t *v, int y0, int y1, uint32_t *counts)
{
    const double scale = v->width / v->width_px;
    const double bail2 = v->bailout * v->bailout;
    for (int y = y0; y < y1; y++) {
        for (int x = 0; x < v->width_px; x++) {
            double cr = v->center_re + ((double)x + 0.5 - v->width_px / 2.0) * scale;
            double ci = v->center_im + (v->height_px / 2.0 - (double)y - 0.5) * scale;
            double zx = 0, zy = 0;
            if (v->fractal == RND_FRACTAL_JULIA) {
                zx = cr;
                zy = ci;
                cr = v->julia_re;
                ci = v->julia_im;
            }
            int n = 0;
            double x2 = zx * zx, y2 = zy * zy;
            /* counts[] holds the escape count n (0 when it never escaped) */
            uint32_t result = 0;
            while (n < v->max_iter) {
                zy = 2.0 * zx * zy + ci;
                zx = x2 - y2 + cr;
                x2 = zx * zx;
                y2 = zy * zy;
                n++;
                if (x2 + y2 > bail2) {
                    result = (uint32_t)n;
                    break;
                }
            }
            counts[(size_t)(y - y0) * v->width_px + x] = result;
        }
    }
}
