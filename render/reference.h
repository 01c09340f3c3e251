/* reference.h: the reference orbits of a perturbation render, computed
 * with MPFR (reference.c) and read by the delta kernel (kernel_perturb.c).
 * Internal to render/. */
#ifndef RND_REFERENCE_H
#define RND_REFERENCE_H

#include <stdint.h>

#include "bla.h"
#include "view.h"

/* One orbit, rounded to doubles: Z_0 .. Z_len-1. It ends at the first Z_m
 * (m >= 1) with |Z_m|^2 > R^2 (in doubles, as the kernels test escape) or
 * at m = max_iter; len >= 2. */
typedef struct {
    double *re;
    double *im;
    int len;
} rnd_orbit_t;

struct rnd_ref {
    /* The orbit pixels start on: the centre's Mandelbrot orbit (Z_0 = 0,
     * Z_m+1 = Z_m^2 + C) or, for Julia, the centre's own orbit (Z_0 = C,
     * Z_m+1 = Z_m^2 + c). */
    rnd_orbit_t start;
    /* The orbit a pixel moves to when rebasing sets its delta to its whole
     * value z: one that starts at 0. For Mandelbrot that is start itself;
     * for Julia the critical orbit 0, c, c^2 + c, ... */
    rnd_orbit_t base;
    /* 1 when base lives in start's arrays, right after start's len values
     * (Julia): one array holds both orbits, so a SIMD lane's index into
     * it says which orbit it is on. For Mandelbrot base is start. */
    int joined;
    long prec; /* MPFR precision used, bits */
    /* The pixel pitch width / W as pitch_m * 2^pitch_e (0.5 <= pitch_m < 1,
     * correctly rounded to 53 bits): the floatexp path's, for widths below
     * the doubles. */
    double pitch_m;
    int64_t pitch_e;
    /* BLA tables of start and base (rnd_ref_build_bla; levels == 0: none).
     * For Mandelbrot base's is start's. */
    rnd_bla_table_t bla_start;
    rnd_bla_table_t bla_base;
    /* What the SIMD perturbation kernels read per lane and step, in one
     * 32-byte row per index i of the joined orbits (start, then Julia's
     * base from row lanes_base): Z_i's re and im, the radius of the 2-step
     * BLA entry at index i - 1 of the same orbit (0 where there is none),
     * and 0; then 4 rows of zeros: a lane reads at most 3 rows past the last
     * index (an idle one, at index 0 of an orbit of 2). One 64-byte load per lane then serves two
     * steps; odd rows start at 64-byte boundaries (rnd_ref_build_lanes). */
    double *lanes;
    void *lanes_mem; /* the allocation lanes points into */
    int lanes_base;  /* the row of base's index 0 (Julia: start's len rounded up
                        to even, so that both orbits' rows align alike) */
};

/* Precision for a view's reference: 64 + log2(max(W, H)) - log2(width)
 * bits, rounded up (a function of the whole view only). */
long rnd_ref_precision (const rnd_view_t *view);

/* The reference orbits of view, or NULL with a reason in err. */
struct rnd_ref *rnd_ref_compute (const rnd_view_t *view, char *err, size_t err_size);
void rnd_ref_free (struct rnd_ref *ref);
/* BLAKE2b-128 (out: 16 bytes) of the orbits as doubles -- precision,
 * lengths, then every Z_m, little-endian: what peers of a job compare
 * (equal orbits give equal pixels). ~16 ms per million iterations. */
void rnd_ref_hash (const struct rnd_ref *ref, uint8_t *out);
/* Builds the BLA tables for pixels with |c| <= cmax. 0, or -1 when memory
 * runs out (then without tables: plain perturbation). */
int rnd_ref_build_bla (struct rnd_ref *ref, double cmax, int julia, double eps);

/* Builds ref->lanes from the orbits and BLA tables (after
 * rnd_ref_build_bla, if at all): 32 bytes per reference iteration. 0, or
 * -1 when memory runs out. */
int rnd_ref_build_lanes (struct rnd_ref *ref);

#endif
