/* kernel_scalar.c: the reference kernel -- one pixel at a time, an escape
 * test after every iteration. The SIMD variants must match it bit for bit. */
#include "kernel_common.h"

void
rnd_kernel_scalar_rows (const rnd_kjob_t *job, int y0, int y1, float *out)
{
    const int w = job->width_px;
    for (int y = y0; y < y1; y++) {
        for (int x = 0; x < w; x++) {
            double pr, pi;
            rnd_k_pixel (job, x, y, &pr, &pi);
            float *dst = &out[(size_t)(y - y0) * w + x];
            if (!job->julia && job->interior_check && rnd_k_interior (pr, pi)) {
                *dst = RND_INTERIOR;
                continue;
            }
            double zx = job->julia ? pr : 0.0, zy = job->julia ? pi : 0.0;
            double cr = job->julia ? job->julia_re : pr, ci = job->julia ? job->julia_im : pi;
            float s = RND_INTERIOR;
            for (int n = 1; n <= job->max_iter; n++) {
                rnd_k_step (&zx, &zy, cr, ci, n);
                double m2 = rnd_k_mag2 (zx, zy);
                if (m2 > job->bail2) {
                    s = rnd_k_smooth (job, n, m2);
                    break;
                }
            }
            *dst = s;
        }
    }
}
