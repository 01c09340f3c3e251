/* kernel_perturb.c: the perturbation kernel for deep views, scalar.
 *
 * A pixel is iterated as its delta z from a reference orbit Z (reference.c,
 * MPFR, rounded to doubles): with c the pixel's delta from the centre
 * (0 for Julia, whose c is in the reference),
 *   z <- (2 Z_m + z) z + c,  m <- m + 1,   escaped once |Z_m + z|^2 > R^2,
 * and Zhuoran's rebasing: once |Z_m + z| < |z| (or the reference ends),
 * z <- Z_m + z and m <- 0 on the orbit that starts at 0 (ref->base). One
 * reference then serves every pixel, with no glitch detection.
 *
 * Deterministic like the double kernels: every operation written out, fma
 * where meant, no libm; the smooth value is finished by rnd_k_smooth. The
 * deltas are doubles, which bounds the depth at RND_VIEW_DEEP_WIDTH_MIN. */
#include <stdio.h>
#include <stdlib.h>

#include "kernel_common.h"
#include "reference.h"

static void
s_need_ref (const rnd_kjob_t *job)
{
    if (!job->ref) {
        /* A programming error: a deep view digested by rnd_kjob_init. */
        fprintf (stderr, "p2pfractal: internal error: a deep view without a reference orbit "
                         "(use rnd_kjob_prepare)\n");
        abort ();
    }
}

float
rnd_k_perturb_pixel (const rnd_kjob_t *job, int x, int y)
{
    s_need_ref (job);
    const struct rnd_ref *ref = job->ref;
    double dcx = ((double)x + 0.5 - job->width_px / 2.0) * job->scale;
    double dcy = (job->height_px / 2.0 - (double)y - 0.5) * job->scale;
    double zx = job->julia ? dcx : 0.0, zy = job->julia ? dcy : 0.0;
    double cx = job->julia ? 0.0 : dcx, cy = job->julia ? 0.0 : dcy;
    const double *zr = ref->start.re, *zi = ref->start.im;
    int last = ref->start.len - 1;
    int m = 0;
    for (int n = 1; n <= job->max_iter; n++) {
        /* (2Z + z) z + c, as (ax + i ay)(zx + i zy) + c with two fmas a part */
        double ax = (zr[m] + zr[m]) + zx, ay = (zi[m] + zi[m]) + zy;
        double nx = fma (ax, zx, fma (-ay, zy, cx));
        double ny = fma (ax, zy, fma (ay, zx, cy));
        zx = nx;
        zy = ny;
        m++;
        double fx = zr[m] + zx, fy = zi[m] + zy;
        double m2 = rnd_k_mag2 (fx, fy);
        if (m2 > job->bail2)
            return rnd_k_smooth (job, n, m2);
        if (m == last || m2 < rnd_k_mag2 (zx, zy)) {
            zx = fx;
            zy = fy;
            m = 0;
            zr = ref->base.re;
            zi = ref->base.im;
            last = ref->base.len - 1;
        }
    }
    return RND_INTERIOR;
}
