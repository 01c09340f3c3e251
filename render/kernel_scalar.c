/* kernel_scalar.c: the reference kernel -- one pixel at a time, an escape
 * test after every iteration. The SIMD variants must match it bit for bit. */
#include "kernel_common.h"

float
rnd_kernel_pixel (const rnd_kjob_t *job, int x, int y)
{
    if (job->perturb)
        return job->perturb_fma ? rnd_k_perturb_pixel_fma (job, x, y)
                                : rnd_k_perturb_pixel (job, x, y);
    double pr, pi;
    rnd_k_pixel (job, x, y, &pr, &pi);
    if (!job->julia && job->interior_check && rnd_k_interior (pr, pi))
        return RND_INTERIOR;
    double zx = job->julia ? pr : 0.0, zy = job->julia ? pi : 0.0;
    double cr = job->julia ? job->julia_re : pr, ci = job->julia ? job->julia_im : pi;
    for (int n = 1; n <= job->max_iter; n++) {
        rnd_k_step (&zx, &zy, cr, ci, n);
        double m2 = rnd_k_mag2 (zx, zy);
        if (m2 > job->bail2)
            return rnd_k_smooth (job, n, m2);
    }
    return RND_INTERIOR;
}

void
rnd_kernel_scalar_rows (const rnd_kjob_t *job, int y0, int y1, float *out)
{
    const int w = job->width_px;
    for (int y = y0; y < y1; y++)
        for (int x = 0; x < w; x++)
            out[(size_t)(y - y0) * w + x] = rnd_kernel_pixel (job, x, y);
}

void
rnd_kernel_scalar_pixels (const rnd_kjob_t *job, int y0, int y1, const rnd_xy_t *px, int n,
                          float *out)
{
    rnd_kernel_scalar_rows (job, y0, y1, out);
    out += (size_t)(y1 - y0) * job->width_px;
    for (int i = 0; i < n; i++)
        out[i] = rnd_kernel_pixel (job, px[i].x, px[i].y);
}
