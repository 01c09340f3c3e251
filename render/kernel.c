/* kernel.c: digest a view for the kernels, and choose a variant by CPUID. */
#include "kernel_common.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reference.h"

static const char *const s_names[RND_KERNEL_COUNT_] = { "auto", "scalar", "avx2", "avx512" };

/* The kernels render the sample grid (view.h): a K-times larger image of
 * the same view, so they need not know about sub-pixels at all. */
static void
s_kjob_init_grid (rnd_kjob_t *job, const rnd_view_t *v)
{
    memset (job, 0, sizeof *job);
    job->julia = v->fractal == RND_FRACTAL_JULIA;
    job->width_px = v->width_px;
    job->height_px = v->height_px;
    job->max_iter = v->max_iter;
    job->interior_check = 1;
    job->center_re = v->center_re;
    job->center_im = v->center_im;
    job->scale = v->width / v->width_px;
    job->bail2 = v->bailout * v->bailout;
    job->log2_bail2 = rnd_k_log2 (job->bail2);
    job->julia_re = v->julia_re;
    job->julia_im = v->julia_im;
    job->perturb = rnd_view_is_deep (v);
}

void
rnd_kjob_init (rnd_kjob_t *job, const rnd_view_t *view)
{
    rnd_view_t grid;
    rnd_view_samples_grid (view, &grid);
    s_kjob_init_grid (job, &grid);
}

static int s_kjob_prepare_grid (rnd_kjob_t *job, const rnd_view_t *v, int flags, char *err,
                                size_t err_size);

int
rnd_kjob_prepare (rnd_kjob_t *job, const rnd_view_t *view, int flags, char *err, size_t err_size)
{
    /* The reference orbit's precision and the BLA radii derive from the
     * grid's size and pitch: every peer of the job prepares the same. A
     * view of ~8.5 KB copied once a job. */
    rnd_view_t grid;
    rnd_view_samples_grid (view, &grid);
    return s_kjob_prepare_grid (job, &grid, flags, err, err_size);
}

static int
s_kjob_prepare_grid (rnd_kjob_t *job, const rnd_view_t *v, int flags, char *err, size_t err_size)
{
    s_kjob_init_grid (job, v);
    if (!job->perturb && !(flags & RND_KJOB_PERTURB))
        return 0;
    job->perturb = 1;
    job->perturb_fma = __builtin_cpu_supports ("fma") != 0;
    /* The number type is the whole job's: a width below the doubles has
     * width == 0 (its text is current), so it is caught here too. */
    job->floatexp = (flags & RND_KJOB_FLOATEXP) || !(v->width >= RND_FLOATEXP_WIDTH);
    struct rnd_ref *ref = rnd_ref_compute (v, err, err_size);
    if (!ref)
        return -1;
    /* BLA radii bound |c| over the whole image (never a slice's): half its
     * diagonal. Floatexp jobs use BLA while a delta is in doubles; their
     * cmax may underflow to 0, and c is then far below z's last bit. */
    if (!(flags & RND_KJOB_NO_BLA) && v->bla_epsilon > 0) {
        double hw = job->width_px / 2.0 * job->scale, hh = job->height_px / 2.0 * job->scale;
        double cmax = sqrt (fma (hw, hw, hh * hh));
        if (rnd_ref_build_bla (ref, cmax, job->julia, v->bla_epsilon) != 0) {
            rnd_ref_free (ref);
            snprintf (err, err_size, "out of memory for the BLA table (%d iterations)",
                      v->max_iter);
            return -1;
        }
    }
    if (rnd_ref_build_lanes (ref) != 0) {
        rnd_ref_free (ref);
        snprintf (err, err_size, "out of memory for the reference orbit (%d iterations)",
                  v->max_iter);
        return -1;
    }
    job->ref = ref;
    return 0;
}

long
rnd_kjob_ref_bits (const rnd_kjob_t *job)
{
    return job->ref ? job->ref->prec : 0;
}

int
rnd_kjob_ref_hash (const rnd_kjob_t *job, uint8_t out[RND_REF_HASH_BYTES])
{
    if (!job->ref)
        return 0;
    rnd_ref_hash (job->ref, out);
    return 1;
}

void
rnd_kjob_release (rnd_kjob_t *job)
{
    rnd_ref_free ((struct rnd_ref *)job->ref);
    job->ref = NULL;
}

int
rnd_kernel_supported (rnd_kernel_t k)
{
    switch (k) {
    case RND_KERNEL_AUTO:
    case RND_KERNEL_SCALAR:
        return 1;
    case RND_KERNEL_AVX2:
        /* libgcc's checks include the OS's XSAVE support for the registers. */
        return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
    case RND_KERNEL_AVX512:
        return __builtin_cpu_supports ("avx512f") != 0;
    default:
        return 0;
    }
}

rnd_kernel_t
rnd_kernel_best (void)
{
    if (rnd_kernel_supported (RND_KERNEL_AVX512))
        return RND_KERNEL_AVX512;
    if (rnd_kernel_supported (RND_KERNEL_AVX2))
        return RND_KERNEL_AVX2;
    return RND_KERNEL_SCALAR;
}

const char *
rnd_kernel_name (rnd_kernel_t k)
{
    return (unsigned)k < RND_KERNEL_COUNT_ ? s_names[k] : "unknown";
}

int
rnd_kernel_from_name (const char *name, rnd_kernel_t *out)
{
    for (int k = 0; k < RND_KERNEL_COUNT_; k++) {
        if (strcmp (name, s_names[k]) == 0) {
            *out = (rnd_kernel_t)k;
            return 0;
        }
    }
    return -1;
}

/* A perturbation job: the rectangle r then the list px (may be empty) by
 * variant k. The SIMD variants take double deltas only; floatexp jobs run
 * the scalar kernel whatever was asked (the same bits either way). */
static void
s_perturb_run (rnd_kernel_t k, const rnd_kjob_t *job, rnd_rect_t r, const rnd_xy_t *px, int n,
               float *out)
{
    if (job->floatexp)
        k = RND_KERNEL_SCALAR;
    switch (k) {
    case RND_KERNEL_AVX512:
        rnd_kernel_avx512_perturb_pixels (job, r, px, n, out);
        break;
    case RND_KERNEL_AVX2:
        rnd_kernel_avx2_perturb_pixels (job, r, px, n, out);
        break;
    default:
        rnd_kernel_scalar_pixels (job, r, px, n, out);
        break;
    }
}

/* The variant that runs: AUTO resolved. */
static rnd_kernel_t
s_variant (rnd_kernel_t k)
{
    return k == RND_KERNEL_AUTO ? rnd_kernel_best () : k;
}

void
rnd_kernel_run_rect (rnd_kernel_t k, const rnd_kjob_t *job, rnd_rect_t r, float *out)
{
    if (job->perturb) {
        s_perturb_run (s_variant (k), job, r, NULL, 0, out);
        return;
    }
    switch (s_variant (k)) {
    case RND_KERNEL_AVX512:
        rnd_kernel_avx512_rect (job, r, out);
        break;
    case RND_KERNEL_AVX2:
        rnd_kernel_avx2_rect (job, r, out);
        break;
    default:
        rnd_kernel_scalar_rect (job, r, out);
        break;
    }
}

void
rnd_kernel_run (rnd_kernel_t k, const rnd_kjob_t *job, int y0, int y1, float *out)
{
    rnd_rect_t r = { 0, y0, job->width_px, y1 };
    rnd_kernel_run_rect (k, job, r, out);
}

void
rnd_kernel_run_with_pixels (rnd_kernel_t k, const rnd_kjob_t *job, rnd_rect_t r, const rnd_xy_t *px,
                            int n, float *out)
{
    if (job->perturb) {
        s_perturb_run (s_variant (k), job, r, px, n, out);
        return;
    }
    switch (s_variant (k)) {
    case RND_KERNEL_AVX512:
        rnd_kernel_avx512_pixels (job, r, px, n, out);
        break;
    case RND_KERNEL_AVX2:
        rnd_kernel_avx2_pixels (job, r, px, n, out);
        break;
    default:
        rnd_kernel_scalar_pixels (job, r, px, n, out);
        break;
    }
}

void
rnd_kernel_run_pixels (rnd_kernel_t k, const rnd_kjob_t *job, const rnd_xy_t *px, int n, float *out)
{
    rnd_rect_t none = { 0, 0, 0, 0 };
    if (n > 0)
        rnd_kernel_run_with_pixels (k, job, none, px, n, out);
}

int
rnd_kernel_lanes (rnd_kernel_t k)
{
    if (k == RND_KERNEL_AUTO)
        k = rnd_kernel_best ();
    return k == RND_KERNEL_AVX512 ? RND_AVX512_LANES : k == RND_KERNEL_AVX2 ? RND_AVX2_LANES : 1;
}
