/* kernel.h: the escape-time kernels (scalar reference, AVX2+FMA, AVX-512F)
 * and their run-time dispatch.
 *
 * Per pixel a kernel yields one float32 "smooth value" s:
 *   - escaped at iteration n (1..max_iter):  n <= s < n + 1, so floor(s) == n
 *     exactly; the fraction is 1 - log2(log2|z_n|^2 / log2 R^2), clamped to
 *     [0, 1), which makes colour bands continuous across n;
 *   - interior (no escape within max_iter):  s == RND_INTERIOR (-1).
 * Every variant computes the same IEEE operations in the same order (FMAs
 * included) and finishes s with one shared scalar function, so all variants
 * give bit-identical output on every CPU that can run them. */
#ifndef RND_KERNEL_H
#define RND_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "view.h"

#define RND_INTERIOR (-1.0f)

typedef enum {
    RND_KERNEL_AUTO = 0, /* the fastest variant this CPU supports */
    RND_KERNEL_SCALAR,   /* reference: one pixel at a time, fma() */
    RND_KERNEL_AVX2,     /* AVX2 + FMA, 4 doubles per vector */
    RND_KERNEL_AVX512,   /* AVX-512F, 8 doubles per vector */
    RND_KERNEL_COUNT_
} rnd_kernel_t;

struct rnd_ref;

/* A view digested for the kernels: everything the inner loops read. */
typedef struct {
    int julia;          /* 1 for Julia, 0 for Mandelbrot */
    int width_px;       /* image width W */
    int height_px;      /* image height H */
    int max_iter;       /* iteration limit */
    int interior_check; /* 1: skip Mandelbrot cardioid/bulb pixels (exact) */
    double center_re;   /* view centre, real */
    double center_im;   /* view centre, imaginary */
    double scale;       /* width / W: pixel pitch */
    double bail2;       /* R^2 */
    double log2_bail2;  /* log2(R^2), for the smooth fraction */
    double julia_re;    /* Julia c, real */
    double julia_im;    /* Julia c, imaginary */
    /* Perturbation (render/kernel_perturb.c): set for deep views by
     * rnd_kjob_prepare. Pixels are then deltas from the centre,
     * ((x + 0.5 - W/2) * scale, (H/2 - y - 0.5) * scale), iterated around
     * ref, the reference orbits computed with MPFR from the whole view. */
    int perturb;               /* 1: render by perturbation around ref */
    int floatexp;              /* 1: deltas with an extended exponent where
                                  they are tiny (render/floatexp.h) */
    int perturb_fma;           /* 1: the -mfma build of the scalar
                                  perturbation kernel (same bits; tests
                                  clear it); the SIMD variants have their
                                  own (kernel_perturb_simd.h) */
    const struct rnd_ref *ref; /* the reference orbits (owned by whoever
                                  called rnd_kjob_prepare) */
} rnd_kjob_t;

/* Digest a validated view. The job is the view's sample grid
 * (rnd_view_samples_grid): width_px and height_px are W*K and H*K, and
 * every rectangle and pixel the kernels take is in that grid; K = 1 is the
 * view itself. interior_check is on; tests turn it off. A deep
 * view (rnd_view_is_deep) needs rnd_kjob_prepare instead: the kernels
 * refuse (abort) a deep job that has no reference orbit. */
void rnd_kjob_init (rnd_kjob_t *job, const rnd_view_t *view);

/* Flags of rnd_kjob_prepare. */
#define RND_KJOB_PERTURB 1  /* perturbation even for a shallow view (tests, bench) */
#define RND_KJOB_FLOATEXP 2 /* floatexp deltas even where doubles do (tests, bench) */
#define RND_KJOB_NO_BLA 4   /* plain perturbation, no BLA skips (tests, bench) */
/* Widths below this take floatexp deltas: the double deltas' pixel pitch
 * and c underflow soon after. */
#define RND_FLOATEXP_WIDTH 1e-290

/* Digest a view validated by rnd_view_validate_deep: as rnd_kjob_init, and
 * for a deep view (or with RND_KJOB_PERTURB) compute the reference orbits
 * with MPFR at a precision derived from the whole view -- one MPFR
 * iteration per iteration of the reference, from 0.2 us at 256 bits, so
 * seconds for millions of iterations. Every slice and peer that prepares
 * the same view gets the same orbits, bit for bit. 0, or -1 with a
 * reason in err (out of memory); free with rnd_kjob_release. */
int rnd_kjob_prepare (rnd_kjob_t *job, const rnd_view_t *view, int flags, char *err,
                      size_t err_size);
/* Frees what rnd_kjob_prepare allocated (nothing for a shallow view). */
void rnd_kjob_release (rnd_kjob_t *job);
/* MPFR precision of the job's reference orbit in bits; 0 without one. */
long rnd_kjob_ref_bits (const rnd_kjob_t *job);
/* Bytes of a reference orbit's hash. */
#define RND_REF_HASH_BYTES 16
/* BLAKE2b-128 of the job's reference orbits (precision, lengths and every
 * double): every peer that prepared the same view gets the same bytes, and
 * a peer whose orbit differs (another MPFR, a bug) renders other pixels --
 * the swarm compares these (SliceData.ref_hash). 1 and out set, or 0 for a
 * job without orbit (a shallow view). ~16 ms per million iterations. */
int rnd_kjob_ref_hash (const rnd_kjob_t *job, uint8_t out[RND_REF_HASH_BYTES]);

/* A rectangle of pixels: columns [x0, x1), rows [y0, y1). */
typedef struct {
    int x0;
    int y0;
    int x1;
    int y1;
} rnd_rect_t;

/* Pixels of a rectangle; 0 for an empty one. */
static inline size_t
rnd_rect_px (rnd_rect_t r)
{
    return r.x1 > r.x0 && r.y1 > r.y0 ? (size_t)(r.x1 - r.x0) * (size_t)(r.y1 - r.y0) : 0;
}

/* Compute rows [y0, y1) of the image into out (row-major, (y1-y0)*W floats).
 * kernel must be supported (rnd_kernel_supported); AUTO picks the best. */
void rnd_kernel_run (rnd_kernel_t kernel, const rnd_kjob_t *job, int y0, int y1, float *out);

/* Compute the rectangle r of the image into out (row-major, r's own width:
 * (x1-x0)*(y1-y0) floats): a slice (render/slice.h). Bit for bit what
 * rnd_kernel_run gives for the same pixels; the SIMD variants stream a
 * rectangle through their lanes as they stream a band. */
void rnd_kernel_run_rect (rnd_kernel_t kernel, const rnd_kjob_t *job, rnd_rect_t r, float *out);

/* One pixel (x, y) by the reference kernel: the value every variant
 * computes for it, bit for bit. Latency-bound: ~90x the cost of a pixel
 * inside a SIMD kernel's lanes (tests and simulators use it). */
float rnd_kernel_pixel (const rnd_kjob_t *job, int x, int y);

/* A pixel of the image: column x in [0, W), row y in [0, H). */
typedef struct {
    int x;
    int y;
} rnd_xy_t;

/* Compute the n pixels px[i] (any order, repeats allowed) into out[i]:
 * bit for bit what rnd_kernel_run gives for the same pixel. The SIMD
 * variants stream the list through their lanes exactly as they stream a
 * band, so a batch of pixels costs what the same pixels cost inside a
 * render; a short list leaves lanes idle, and a list's cost is at least
 * that of its slowest pixel run alone. Every px must be inside the image. */
void rnd_kernel_run_pixels (rnd_kernel_t kernel, const rnd_kjob_t *job, const rnd_xy_t *px, int n,
                            float *out);

/* The rectangle r into out (as rnd_kernel_run_rect) and, in the same run
 * of the lanes, the n pixels px into out + rnd_rect_px (r) (as
 * rnd_kernel_run_pixels). The list is streamed first: riding along a
 * slice that outlasts its slowest pixel, a list costs what its pixels cost
 * inside a render, with no idle lanes of its own (a render thread takes the
 * peer's spot checks this way). An empty r or n == 0 is allowed. */
void rnd_kernel_run_with_pixels (rnd_kernel_t kernel, const rnd_kjob_t *job, rnd_rect_t r,
                                 const rnd_xy_t *px, int n, float *out);

/* Pixels a variant iterates at once (its lanes): a list shorter than this
 * leaves some idle. (Its perturbation kernel has fewer: 16 on AVX2, 32 on
 * AVX-512; floatexp jobs run the scalar one.) */
int rnd_kernel_lanes (rnd_kernel_t kernel);

/* 1 if this CPU (and build) can run the variant. AUTO and SCALAR always can. */
int rnd_kernel_supported (rnd_kernel_t kernel);
/* The variant AUTO resolves to on this CPU. */
rnd_kernel_t rnd_kernel_best (void);
/* "auto", "scalar", "avx2", "avx512". */
const char *rnd_kernel_name (rnd_kernel_t kernel);
/* 0 and *out set for a known name, -1 otherwise. */
int rnd_kernel_from_name (const char *name, rnd_kernel_t *out);

/* Escape count of a smooth value: n for escaped pixels, 0 for interior. */
static inline uint32_t
rnd_smooth_count (float s)
{
    return s < 0.0f ? 0u : (uint32_t)s;
}

/* Iterations a pixel cost by the standard accounting (interior = max_iter),
 * for G iterations/s figures. */
static inline uint64_t
rnd_smooth_iterations (float s, int max_iter)
{
    return s < 0.0f ? (uint64_t)max_iter : (uint64_t)s;
}

#endif
