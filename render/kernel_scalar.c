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
rnd_kernel_scalar_rect (const rnd_kjob_t *job, rnd_rect_t r, float *out)
{
    for (int y = r.y0; y < r.y1; y++)
        for (int x = r.x0; x < r.x1; x++)
            *out++ = rnd_kernel_pixel (job, x, y);
}

void
rnd_kernel_scalar_pixels (const rnd_kjob_t *job, rnd_rect_t r, const rnd_xy_t *px, int n,
                          float *out)
{
    rnd_kernel_scalar_rect (job, r, out);
    if (r.x1 > r.x0 && r.y1 > r.y0)
        out += (size_t)(r.x1 - r.x0) * (size_t)(r.y1 - r.y0);
    for (int i = 0; i < n; i++)
        out[i] = rnd_kernel_pixel (job, px[i].x, px[i].y);
}
