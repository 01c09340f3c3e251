/* view.h: the view spec -- what image to compute -- and its pixel mapping.
 *
 * A view is a plain value (copied freely, no ownership). Everything a peer
 * needs to compute any pixel of the image bit-identically lives here; the
 * parameter text (params.h) is its canonical serialisation.
 *
 * Pixel mapping (a contract tools and tests rely on): pixel (x, y), y = 0 at
 * the top, is
 *   re = center_re + (x + 0.5 - W/2) * (width / W)
 *   im = center_im + (H/2 - y - 0.5) * (width / W)
 * evaluated exactly in that order in double precision (rnd_view_pixel).
 *
 * Deep views. The centre and the width may also be given as decimal text
 * of any length (center_re_text, ...): the exact value, of which the double
 * field is the nearest double. A text counts only while it is *current*,
 * i.e. while it still rounds to its double field (rnd_view_text_current):
 * code that moves a view by assigning the doubles (window zooms, tests)
 * thereby drops the stale text without knowing about it. Views whose pixel
 * pitch is too fine for doubles (rnd_view_is_deep) are rendered by
 * perturbation around the exact centre (render/kernel_perturb.c); all others by
 * the double kernels from the double fields, exactly as before. */
#ifndef RND_VIEW_H
#define RND_VIEW_H

#include <stddef.h>

typedef enum {
    RND_FRACTAL_MANDELBROT = 0,
    RND_FRACTAL_JULIA = 1,
} rnd_fractal_t;

/* Limits enforced by rnd_view_validate. max_iter stays below 2^24 so that a
 * float32 smooth value n + frac still has floor() == n exactly. */
#define RND_VIEW_SIZE_MAX_PX 16384
#define RND_VIEW_PIXELS_MAX (1L << 27)
#define RND_VIEW_ITER_MAX 16000000
#define RND_VIEW_BAILOUT_MIN 2.0
#define RND_VIEW_BAILOUT_MAX 1e50
/* Every pixel lies within this of the origin, so z_1 cannot overflow into
 * inf - inf = NaN (|z_0|^2 stays below 1e300). */
#define RND_VIEW_EXTENT_MAX 1e150
#define RND_PALETTE_NAME_MAX 256
/* The narrowest width rendered, as a power of ten: perturbation with
 * floatexp deltas has no floor, but a centre of RND_DECIMAL_MAX characters
 * places pixels only down to about this. */
#define RND_VIEW_DEEP_EXP10_MIN (-4000)
/* Room for a centre coordinate's decimal text, NUL included: ~4,000
 * significant digits, enough to place a pixel of a 1e-4000 wide view. */
#define RND_DECIMAL_MAX 4096
/* BLA's default epsilon: 2^-53 left every count equal to plain
 * perturbation at 4e-114 and 1e-300 in the research note and still skipped
 * most iterations; 2^-24 (Fraktaler-3's default) changed 10-21% of the
 * counts. At most RND_VIEW_BLA_EPSILON_MAX. */
#define RND_VIEW_BLA_EPSILON 0x1p-53
#define RND_VIEW_BLA_EPSILON_MAX 0x1p-10
/* Room for the width's decimal text, NUL included (e.g. "4e-227"). */
#define RND_WIDTH_TEXT_MAX 64
/* Anti-aliasing: at most this many sub-pixels a side (K x K a pixel). The
 * sub-pixels of the whole image (W*K x H*K) count against
 * RND_VIEW_PIXELS_MAX: they are what is computed, stored and sent. */
#define RND_VIEW_SAMPLES_MAX 8

typedef struct {
    rnd_fractal_t fractal;              /* Mandelbrot or Julia */
    double center_re;                   /* centre of the image, real part */
    double center_im;                   /* centre of the image, imaginary part */
    double width;                       /* extent of the real axis */
    int width_px;                       /* image width W in pixels */
    int height_px;                      /* image height H in pixels */
    int max_iter;                       /* iteration limit, 1..RND_VIEW_ITER_MAX */
    double bailout;                     /* escape radius R: escaped once |z|^2 > R^2 */
    double julia_re;                    /* Julia constant c, real part */
    double julia_im;                    /* Julia constant c, imaginary part */
    char palette[RND_PALETTE_NAME_MAX]; /* palette name in assets/palettes, or a .map path */
    /* Exact decimals of center_re, center_im and width; "" when the double
     * is all there is. Set them with rnd_view_set_center_text and
     * rnd_view_set_width_text, read them with rnd_view_center_text... */
    char center_re_text[RND_DECIMAL_MAX];
    char center_im_text[RND_DECIMAL_MAX];
    char width_text[RND_WIDTH_TEXT_MAX];
    /* Deep views: the relative error bilinear approximation may make per
     * skipped run of iterations (render/bla.h); 0 turns it off. Default
     * RND_VIEW_BLA_EPSILON. */
    double bla_epsilon;
    /* Anti-aliasing: each pixel is the colour average of K x K sub-pixels,
     * 1..RND_VIEW_SAMPLES_MAX (1: none). The kernels render the view's
     * sample grid (rnd_view_samples_grid): the same view at W*K x H*K
     * pixels, so sub-pixel (i, j) of pixel (x, y) is pixel (x*K + i,
     * y*K + j) of that grid -- a regular K x K pattern at the centres of
     * the sub-pixel cells. */
    int samples;
} rnd_view_t;

/* The fields validation can complain about, so callers can say which
 * option or file set the bad value. */
typedef enum {
    RND_FIELD_NONE = 0,
    RND_FIELD_FRACTAL,
    RND_FIELD_CENTER,
    RND_FIELD_WIDTH,
    RND_FIELD_SIZE,
    RND_FIELD_ITER,
    RND_FIELD_BAILOUT,
    RND_FIELD_JULIA,
    RND_FIELD_PALETTE,
    RND_FIELD_BLA,
    RND_FIELD_SAMPLES,
    RND_FIELD_COUNT_
} rnd_view_field_t;

/* The default view: what `p2pfractal render` and the swarm demo draw. */
void rnd_view_default (rnd_view_t *view);

/* 0 if the view can be rendered; -1 with a one-line reason in err (naming the
 * offending field) otherwise. Never asserts on user values. */
int rnd_view_validate (const rnd_view_t *view, char *err, size_t err_size);
/* The same, also naming the offending field in *bad (RND_FIELD_NONE if
 * valid). */
int rnd_view_validate_field (const rnd_view_t *view, rnd_view_field_t *bad, char *err,
                             size_t err_size);
/* The same, but deep views (rnd_view_is_deep) pass too, down to widths of
 * 10^RND_VIEW_DEEP_EXP10_MIN: what the perturbation kernel renders. The two
 * validations differ only there (widths down to 1e-4000). render, the
 * peers' jobs (el_job_init) and the window's zooms use this one; the
 * client/server baseline uses the other and refuses deep jobs. */
int rnd_view_validate_deep (const rnd_view_t *view, rnd_view_field_t *bad, char *err,
                            size_t err_size);

/* 1 if name can be a palette name: 1..RND_PALETTE_NAME_MAX-1 printable ASCII
 * characters, no space at either end (it is stored in a PNG tEXt chunk and
 * in the parameter text, which must read back exactly). */
int rnd_view_palette_ok (const char *name, size_t len);

/* 1 if the view's pixel pitch is too fine for doubles: adjacent pixels
 * would not map to distinct doubles with a few bits to spare (pitch <
 * extent * 2^-48, extent the largest |re| or |im| in the image). The
 * double kernels render the other views; a function of the whole view, so
 * every slice and peer takes the same path. */
int rnd_view_is_deep (const rnd_view_t *view);

/* The view moved and scaled exactly: centre + ((px + 0.5 - W/2) * pitch *
 * shift, (H/2 - py - 0.5) * pitch * shift), width * scale, computed with
 * MPFR at the precision the new view needs and kept as decimal text
 * (render/zoom.c), so a chain of zooms has no precision wall. A click zoom
 * by f at pixel (px, py) keeping that point in place is shift = 1 - 1/f,
 * scale = 1/f; a box zoom is shift = 1 at the box centre. 0 with *out set,
 * or -1 with a reason in err (the centre would need more than
 * RND_DECIMAL_MAX - 1 characters). */
int rnd_view_zoom_exact (const rnd_view_t *view, double px, double py, double shift, double scale,
                         rnd_view_t *out, char *err, size_t err_size);

/* Where view `to` lies relative to view `from`, exactly (MPFR, any
 * depth): its centre minus from's in from's pixels (*dx to the right,
 * *dy upwards) and its width over from's (*ratio). What a window needs to
 * show the part of an old image a new view covers, where the doubles of
 * two deep centres are one and the same. */
void rnd_view_relative (const rnd_view_t *from, const rnd_view_t *to, double *dx, double *dy,
                        double *ratio);

/* The view's sample grid: the same view at (W*K) x (H*K) pixels with
 * samples 1, K = view->samples -- what the kernels render and the swarm
 * computes, stores and sends (a slice of the image is its K-scaled
 * rectangle of this grid). A copy of view itself when K is 1. Everything
 * derived for rendering (perturbation precision, reference orbit, BLA
 * radii, the deep/shallow choice) comes from this grid, so every peer
 * derives the same. */
void rnd_view_samples_grid (const rnd_view_t *view, rnd_view_t *out);
/* Width and height of the sample grid: W*K, H*K. */
int rnd_view_grid_w (const rnd_view_t *view);
int rnd_view_grid_h (const rnd_view_t *view);

/* The complex coordinate of pixel (x, y), per the contract above. */
void rnd_view_pixel (const rnd_view_t *view, int x, int y, double *re, double *im);

/* 1 if text is a plain decimal: [+-]digits[.digits][(e|E)[+-]digits], at
 * least one digit in the mantissa, an exponent of at most 6 digits, shorter
 * than max bytes. Nothing else (no blanks, hex, inf or nan). */
int rnd_decimal_ok (const char *text, size_t max);

/* Sets the centre from two decimals (rnd_decimal_ok): keeps the texts and
 * sets the doubles to their nearest doubles. 0, or -1 (view unchanged) if
 * either is not such a decimal or its double is not finite. */
int rnd_view_set_center_text (rnd_view_t *view, const char *re, const char *im);
/* The same for the width; a width below the range of doubles is kept as
 * text with width = 0 (or a subnormal). */
int rnd_view_set_width_text (rnd_view_t *view, const char *text);

/* 1 if text is non-empty and rounds to d (bit for bit): the text still
 * describes the double field it came with. */
int rnd_view_text_current (const char *text, double d);

/* The exact decimals of the centre and width when their texts are current,
 * NULL when the double fields are all there is. */
const char *rnd_view_center_re_text (const rnd_view_t *view);
const char *rnd_view_center_im_text (const rnd_view_t *view);
const char *rnd_view_width_text (const rnd_view_t *view);

/* Names of fractal types: "mandelbrot", "julia". */
const char *rnd_fractal_name (rnd_fractal_t fractal);
/* 0 and *out set if name is a known fractal, -1 otherwise. */
int rnd_fractal_from_name (const char *name, rnd_fractal_t *out);

#endif
