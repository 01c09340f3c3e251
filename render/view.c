/* view.c: view defaults, validation and the pixel mapping contract. */
#include "view.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"

void
rnd_view_default (rnd_view_t *view)
{
    memset (view, 0, sizeof *view);
    view->fractal = RND_FRACTAL_MANDELBROT;
    /* A period-~230 minibrot in the seahorse valley, ringed by spirals. Its
     * interior is what makes it costly (~13 s of one core with AVX-512 at
     * max_iter 1e6): long enough to watch a swarm fill it in and to kill
     * peers on the way. */
    view->center_re = -0.74364283;
    view->center_im = 0.13182618;
    view->width = 1.4e-5;
    view->width_px = 1920;
    view->height_px = 1080;
    view->max_iter = 1000000;
    view->bailout = 256.0;
    view->julia_re = -0.8;
    view->julia_im = 0.156;
    snprintf (view->palette, sizeof view->palette, "%s", "default");
    view->bla_epsilon = RND_VIEW_BLA_EPSILON;
    view->samples = 1;
}

const char *
rnd_fractal_name (rnd_fractal_t fractal)
{
    return fractal == RND_FRACTAL_JULIA ? "julia" : "mandelbrot";
}

int
rnd_fractal_from_name (const char *name, rnd_fractal_t *out)
{
    if (strcmp (name, "mandelbrot") == 0) {
        *out = RND_FRACTAL_MANDELBROT;
        return 0;
    }
    if (strcmp (name, "julia") == 0) {
        *out = RND_FRACTAL_JULIA;
        return 0;
    }
    return -1;
}

#define s_fail(field, ...) (*bad = (field), snprintf (err, err_size, __VA_ARGS__), -1)

int
rnd_view_palette_ok (const char *name, size_t len)
{
    if (len == 0 || len >= RND_PALETTE_NAME_MAX || name[0] == ' ' || name[len - 1] == ' ')
        return 0;
    for (size_t i = 0; i < len; i++)
        if (name[i] < 0x20 || name[i] > 0x7e)
            return 0;
    return 1;
}

int
rnd_view_validate (const rnd_view_t *v, char *err, size_t err_size)
{
    rnd_view_field_t bad;
    return rnd_view_validate_field (v, &bad, err, err_size);
}

static int s_validate (const rnd_view_t *v, int deep_ok, rnd_view_field_t *bad, char *err,
                       size_t err_size);

int
rnd_view_validate_field (const rnd_view_t *v, rnd_view_field_t *bad, char *err, size_t err_size)
{
    return s_validate (v, 0, bad, err, err_size);
}

int
rnd_view_validate_deep (const rnd_view_t *v, rnd_view_field_t *bad, char *err, size_t err_size)
{
    return s_validate (v, 1, bad, err, err_size);
}

static int
s_validate (const rnd_view_t *v, int deep_ok, rnd_view_field_t *bad, char *err, size_t err_size)
{
    *bad = RND_FIELD_NONE;
    if (v->fractal != RND_FRACTAL_MANDELBROT && v->fractal != RND_FRACTAL_JULIA)
        return s_fail (RND_FIELD_FRACTAL, "unknown fractal type %d", (int)v->fractal);
    if (!isfinite (v->center_re) || !isfinite (v->center_im))
        return s_fail (RND_FIELD_CENTER, "center must be finite");
    /* A width below the range of doubles is its text's (its double is 0). */
    const char *wt = rnd_view_width_text (v);
    if (!isfinite (v->width) || !(v->width > 0 || (wt && rnd_decimal_sign (wt) > 0))) {
        if (wt)
            return s_fail (RND_FIELD_WIDTH, "width must be a positive number, got %.40s", wt);
        return s_fail (RND_FIELD_WIDTH, "width must be a positive number, got %g", v->width);
    }
    if (v->width_px < 1 || v->height_px < 1 || v->width_px > RND_VIEW_SIZE_MAX_PX ||
        v->height_px > RND_VIEW_SIZE_MAX_PX)
        return s_fail (RND_FIELD_SIZE, "size %dx%d out of range (W and H 1..%d, W*H at most %ld)",
                       v->width_px, v->height_px, RND_VIEW_SIZE_MAX_PX, RND_VIEW_PIXELS_MAX);
    if ((long)v->width_px * v->height_px > RND_VIEW_PIXELS_MAX)
        return s_fail (RND_FIELD_SIZE,
                       "size %dx%d has more than %ld pixels (W and H 1..%d, W*H at most %ld)",
                       v->width_px, v->height_px, RND_VIEW_PIXELS_MAX, RND_VIEW_SIZE_MAX_PX,
                       RND_VIEW_PIXELS_MAX);
    if (v->samples < 1 || v->samples > RND_VIEW_SAMPLES_MAX)
        return s_fail (RND_FIELD_SAMPLES, "samples %d out of range (1..%d)", v->samples,
                       RND_VIEW_SAMPLES_MAX);
    long long grid_px = (long long)v->width_px * v->samples * v->height_px * v->samples;
    if (grid_px > RND_VIEW_PIXELS_MAX)
        return s_fail (RND_FIELD_SAMPLES,
                       "%dx%d pixels of %dx%d sub-pixels are %lld sub-pixels, more than %ld",
                       v->width_px, v->height_px, v->samples, v->samples, grid_px,
                       RND_VIEW_PIXELS_MAX);
    if (v->max_iter < 1 || v->max_iter > RND_VIEW_ITER_MAX)
        return s_fail (RND_FIELD_ITER, "iterations %d out of range (1..%d)", v->max_iter,
                       RND_VIEW_ITER_MAX);
    if (!isfinite (v->bailout) || v->bailout < RND_VIEW_BAILOUT_MIN ||
        v->bailout > RND_VIEW_BAILOUT_MAX)
        return s_fail (RND_FIELD_BAILOUT, "bailout %g out of range (%g..%g)", v->bailout,
                       RND_VIEW_BAILOUT_MIN, RND_VIEW_BAILOUT_MAX);
    if (!isfinite (v->julia_re) || !isfinite (v->julia_im))
        return s_fail (RND_FIELD_JULIA, "julia constant must be finite");
    /* The kernels test escape only every few iterations and rely on |z|
     * growing once it passed the bailout; that holds when R >= max(2, |c|).
     * For Mandelbrot every c with |c| > R escapes at n = 1 anyway. */
    if (v->fractal == RND_FRACTAL_JULIA && hypot (v->julia_re, v->julia_im) > v->bailout)
        return s_fail (RND_FIELD_JULIA,
                       "julia constant |c| = %g exceeds bailout %g; raise --bailout",
                       hypot (v->julia_re, v->julia_im), v->bailout);
    double pitch = v->width / v->width_px;
    double extent =
        fmax (fabs (v->center_re) + v->width / 2, fabs (v->center_im) + pitch * v->height_px / 2);
    if (!(extent <= RND_VIEW_EXTENT_MAX))
        return s_fail (RND_FIELD_CENTER, "view reaches |z| = %g, beyond %g", extent,
                       RND_VIEW_EXTENT_MAX);
    if (rnd_view_is_deep (v) && !deep_ok)
        return s_fail (RND_FIELD_WIDTH,
                       "zoom too deep for double precision (pixel pitch %g at |z| %g); "
                       "'p2pfractal render' and 'peer' render deeper views",
                       pitch, extent);
    /* A canonical text's exponent is its leading digit's (1.5e-4000). */
    const char *wexp = wt ? strchr (wt, 'e') : NULL;
    if (rnd_view_is_deep (v) && wexp && strtol (wexp + 1, NULL, 10) < RND_VIEW_DEEP_EXP10_MIN)
        return s_fail (RND_FIELD_WIDTH, "width %.40s is below 1e%d, the deepest view rendered", wt,
                       RND_VIEW_DEEP_EXP10_MIN);
    if (!(v->bla_epsilon >= 0 && v->bla_epsilon <= RND_VIEW_BLA_EPSILON_MAX))
        return s_fail (RND_FIELD_BLA, "bla_epsilon %g out of range (0..%g)", v->bla_epsilon,
                       RND_VIEW_BLA_EPSILON_MAX);
    size_t len = strnlen (v->palette, sizeof v->palette);
    if (len == 0)
        return s_fail (RND_FIELD_PALETTE, "palette name is empty");
    if (!rnd_view_palette_ok (v->palette, len))
        return s_fail (RND_FIELD_PALETTE,
                       "palette '%.40s': only printable ASCII without leading or trailing "
                       "spaces (it is stored in the PNG's text chunk)",
                       v->palette);
    return 0;
}

void
rnd_view_samples_grid (const rnd_view_t *v, rnd_view_t *out)
{
    *out = *v;
    out->width_px = rnd_view_grid_w (v);
    out->height_px = rnd_view_grid_h (v);
    out->samples = 1;
}

/* K, or 1 for a value validation refuses (no overflow before it ran). */
static int
s_samples (const rnd_view_t *v)
{
    return v->samples > 1 && v->samples <= RND_VIEW_SAMPLES_MAX ? v->samples : 1;
}

int
rnd_view_grid_w (const rnd_view_t *v)
{
    return v->width_px * s_samples (v);
}

int
rnd_view_grid_h (const rnd_view_t *v)
{
    return v->height_px * s_samples (v);
}

int
rnd_view_is_deep (const rnd_view_t *v)
{
    /* The sample grid's pitch: that is what the kernels render. */
    double pitch = v->width / rnd_view_grid_w (v);
    double extent = fmax (fabs (v->center_re) + v->width / 2,
                          fabs (v->center_im) + pitch * rnd_view_grid_h (v) / 2);
    /* Adjacent pixels must map to distinct doubles, with a few bits to
     * spare; a pitch finer than that needs the exact centre. */
    return pitch < extent * 0x1p-48;
}

void
rnd_view_pixel (const rnd_view_t *v, int x, int y, double *re, double *im)
{
    double scale = v->width / v->width_px;
    *re = v->center_re + ((double)x + 0.5 - v->width_px / 2.0) * scale;
    *im = v->center_im + (v->height_px / 2.0 - (double)y - 0.5) * scale;
}
