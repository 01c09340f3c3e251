/* reference.c: the reference orbits of a perturbation render, with MPFR.
 *
 * MPFR rounds every operation correctly, so the same precision, the same
 * operations in the same order and the same decimal digits give the same
 * orbit on every machine (GMP's mpf type makes no such promise). The
 * precision and the orbits are functions of the whole view, never of a
 * slice, so every slice and every peer iterates around the same doubles. */
#include "reference.h"

#include <math.h>
#include <mpfr.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"

/* Sets x to the decimal text if there is one, else to the double (exact). */
static void
s_set (mpfr_t x, const char *text, double d)
{
    if (!text) {
        mpfr_set_d (x, d, MPFR_RNDN);
        return;
    }
    /* Which decimal point MPFR accepts may follow the locale. */
    rnd_c_locale_t loc;
    int have = rnd_c_locale_begin (&loc) == 0;
    mpfr_set_str (x, text, 10, MPFR_RNDN);
    if (have)
        rnd_c_locale_end (&loc);
}

long
rnd_ref_precision (const rnd_view_t *v)
{
    mpfr_t w;
    mpfr_init2 (w, 64);
    s_set (w, rnd_view_width_text (v), v->width);
    long e = (long)mpfr_get_exp (w); /* width = f * 2^e, 0.5 <= f < 1 */
    mpfr_clear (w);
    int px = v->width_px > v->height_px ? v->width_px : v->height_px;
    long lg = 0;
    while ((1L << lg) < px)
        lg++;
    /* The pitch is 2^(e - lg) or so; 64 bits below it keep the rounding of
     * the centre and of every Z_m far below a pixel's delta. */
    long prec = 64 + lg - e;
    return prec < 64 ? 64 : prec;
}

/* Appends (re, im) to o; -1 when memory runs out. */
static int
s_push (rnd_orbit_t *o, int *cap, double re, double im)
{
    if (o->len == *cap) {
        int n = *cap ? *cap * 2 : 1024;
        double *r = realloc (o->re, (size_t)n * sizeof *r);
        if (!r)
            return -1;
        o->re = r;
        double *i = realloc (o->im, (size_t)n * sizeof *i);
        if (!i)
            return -1;
        o->im = i;
        *cap = n;
    }
    o->re[o->len] = re;
    o->im[o->len] = im;
    o->len++;
    return 0;
}

/* The orbit of z under z^2 + c: Z_0 = z, until the first m >= 1 with
 * |Z_m|^2 > bail2 (tested on the doubles, as the kernels test) or m =
 * max_iter. z is overwritten. 0, or -1 when memory runs out. */
static int
s_orbit (rnd_orbit_t *o, mpfr_t zr, mpfr_t zi, mpfr_t cr, mpfr_t ci, int max_iter, double bail2,
         long prec)
{
    int cap = 0;
    mpfr_t t1, t2, t3;
    mpfr_inits2 ((mpfr_prec_t)prec, t1, t2, t3, (mpfr_ptr)0);
    int rc = s_push (o, &cap, mpfr_get_d (zr, MPFR_RNDN), mpfr_get_d (zi, MPFR_RNDN));
    for (int m = 0; rc == 0 && m < max_iter; m++) {
        mpfr_sqr (t1, zr, MPFR_RNDN);
        mpfr_sqr (t2, zi, MPFR_RNDN);
        mpfr_mul (t3, zr, zi, MPFR_RNDN);
        mpfr_sub (zr, t1, t2, MPFR_RNDN);
        mpfr_add (zr, zr, cr, MPFR_RNDN);
        mpfr_mul_2ui (zi, t3, 1, MPFR_RNDN);
        mpfr_add (zi, zi, ci, MPFR_RNDN);
        double x = mpfr_get_d (zr, MPFR_RNDN), y = mpfr_get_d (zi, MPFR_RNDN);
        rc = s_push (o, &cap, x, y);
        if (fma (x, x, y * y) > bail2)
            break;
    }
    mpfr_clears (t1, t2, t3, (mpfr_ptr)0);
    return rc;
}

/* Feeds n values to the hash as little-endian 64-bit words, a block at a
 * time (the same bytes on every machine, whatever its byte order). */
static void
s_hash_words (crypto_generichash_state *st, const void *words, size_t n, size_t size)
{
    uint8_t buf[512];
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t w = 0;
        memcpy (&w, (const uint8_t *)words + i * size, size);
        for (int b = 0; b < 8; b++)
            buf[used++] = (uint8_t)(w >> (8 * b));
        if (used == sizeof buf || i + 1 == n) {
            crypto_generichash_update (st, buf, used);
            used = 0;
        }
    }
}

static void
s_hash_orbit (crypto_generichash_state *st, const rnd_orbit_t *o)
{
    int64_t len = o->len;
    s_hash_words (st, &len, 1, sizeof len);
    s_hash_words (st, o->re, (size_t)o->len, sizeof *o->re);
    s_hash_words (st, o->im, (size_t)o->len, sizeof *o->im);
}

void
rnd_ref_hash (const struct rnd_ref *ref, uint8_t *out)
{
    crypto_generichash_state st;
    crypto_generichash_init (&st, (const unsigned char *)"p2pfractal-ref 1", 16, 16);
    int64_t prec = ref->prec;
    s_hash_words (&st, &prec, 1, sizeof prec);
    s_hash_orbit (&st, &ref->start);
    if (ref->base.re != ref->start.re)
        s_hash_orbit (&st, &ref->base);
    crypto_generichash_final (&st, out, 16);
}

int
rnd_ref_build_bla (struct rnd_ref *ref, double cmax, int julia, double eps)
{
    int rc = rnd_bla_build (&ref->bla_start, ref->start.re, ref->start.im, ref->start.len, cmax,
                            julia, eps);
    if (rc == 0 && julia)
        rc = rnd_bla_build (&ref->bla_base, ref->base.re, ref->base.im, ref->base.len, cmax, julia,
                            eps);
    if (rc != 0) {
        rnd_bla_free (&ref->bla_start);
        rnd_bla_free (&ref->bla_base);
        return -1;
    }
    if (!julia)
        ref->bla_base = ref->bla_start;
    return 0;
}

/* Moves Julia's base orbit into start's arrays, after start (see
 * reference.h: the SIMD kernels gather from one array). -1 when memory runs
 * out (then nothing is joined). */
static int
s_join (struct rnd_ref *ref)
{
    size_t ls = (size_t)ref->start.len, lb = (size_t)ref->base.len;
    double *re = realloc (ref->start.re, (ls + lb) * sizeof *re);
    if (!re)
        return -1;
    ref->start.re = re;
    double *im = realloc (ref->start.im, (ls + lb) * sizeof *im);
    if (!im)
        return -1;
    ref->start.im = im;
    memcpy (re + ls, ref->base.re, lb * sizeof *re);
    memcpy (im + ls, ref->base.im, lb * sizeof *im);
    free (ref->base.re);
    free (ref->base.im);
    ref->base.re = re + ls;
    ref->base.im = im + ls;
    ref->joined = 1;
    return 0;
}

/* The radius of t's 2-step entry at index m of its orbit, 0 where there is
 * none (2-step entries start at odd m: entry j covers m = 2j + 1, 2j + 2). */
static double
s_r1 (const rnd_bla_table_t *t, int m)
{
    if (t->levels < 2 || m < 1 || (m - 1) % 2 != 0 || (m - 1) / 2 >= t->count[1])
        return 0.0;
    return t->level[1][(m - 1) / 2].r;
}

int
rnd_ref_build_lanes (struct rnd_ref *ref)
{
    const rnd_orbit_t *orbit[2] = { &ref->start, &ref->base };
    const rnd_bla_table_t *bla[2] = { &ref->bla_start, &ref->bla_base };
    int n = ref->joined ? 2 : 1;
    /* Julia's base orbit from an even row (see below) */
    size_t b0 = ref->joined ? ((size_t)ref->start.len + 1) / 2 * 2 : 0;
    size_t total = ref->joined ? b0 + (size_t)ref->base.len : (size_t)ref->start.len;
    /* 4 rows of padding: a lane reads up to 3 rows past its orbit's last.
     * Odd rows start at 64-byte lines (the allocation is aligned, and row 0
     * one row into it): a lane that may skip loads rows idx + 1 and idx + 2
     * at an even m, so its 64-byte load never splits across two lines
     * (AVX-512 BLA at 1e-113: 9% less CPU than with malloc's 16-byte
     * alignment, where every such load split). */
    size_t bytes = ((total + 5) * 4 * sizeof (double) + 63) / 64 * 64;
    double *mem = aligned_alloc (64, bytes);
    if (!mem)
        return -1;
    memset (mem, 0, bytes);
    double *t = mem + 4;
    for (int o = 0; o < n; o++) {
        for (int m = 0; m < orbit[o]->len; m++) {
            size_t i = (o ? b0 : 0) + (size_t)m;
            t[4 * i] = orbit[o]->re[m];
            t[4 * i + 1] = orbit[o]->im[m];
            t[4 * i + 2] = s_r1 (bla[o], m - 1);
            t[4 * i + 3] = 0.0;
        }
    }
    free (ref->lanes_mem);
    ref->lanes_mem = mem;
    ref->lanes = t;
    ref->lanes_base = (int)b0;
    return 0;
}

void
rnd_ref_free (struct rnd_ref *ref)
{
    if (!ref)
        return;
    free (ref->lanes_mem);
    if (ref->bla_base.level[0] != ref->bla_start.level[0])
        rnd_bla_free (&ref->bla_base);
    rnd_bla_free (&ref->bla_start);
    if (!ref->joined && ref->base.re != ref->start.re) {
        free (ref->base.re);
        free (ref->base.im);
    }
    free (ref->start.re);
    free (ref->start.im);
    free (ref);
}

struct rnd_ref *
rnd_ref_compute (const rnd_view_t *v, char *err, size_t err_size)
{
    struct rnd_ref *ref = calloc (1, sizeof *ref);
    if (!ref) {
        snprintf (err, err_size, "out of memory for the reference orbit");
        return NULL;
    }
    long prec = rnd_ref_precision (v);
    ref->prec = prec;
    mpfr_t p;
    mpfr_init2 (p, 53);
    s_set (p, rnd_view_width_text (v), v->width);
    mpfr_div_ui (p, p, (unsigned long)v->width_px, MPFR_RNDN);
    long pe;
    ref->pitch_m = mpfr_get_d_2exp (&pe, p, MPFR_RNDN);
    ref->pitch_e = pe;
    mpfr_clear (p);
    mpfr_t zr, zi, cr, ci;
    mpfr_inits2 ((mpfr_prec_t)prec, zr, zi, cr, ci, (mpfr_ptr)0);
    double bail2 = v->bailout * v->bailout;
    int rc;
    if (v->fractal == RND_FRACTAL_JULIA) {
        s_set (zr, rnd_view_center_re_text (v), v->center_re);
        s_set (zi, rnd_view_center_im_text (v), v->center_im);
        mpfr_set_d (cr, v->julia_re, MPFR_RNDN);
        mpfr_set_d (ci, v->julia_im, MPFR_RNDN);
        rc = s_orbit (&ref->start, zr, zi, cr, ci, v->max_iter, bail2, prec);
        mpfr_set_zero (zr, 1);
        mpfr_set_zero (zi, 1);
        if (rc == 0)
            rc = s_orbit (&ref->base, zr, zi, cr, ci, v->max_iter, bail2, prec);
        if (rc == 0)
            rc = s_join (ref);
    } else {
        s_set (cr, rnd_view_center_re_text (v), v->center_re);
        s_set (ci, rnd_view_center_im_text (v), v->center_im);
        mpfr_set_zero (zr, 1);
        mpfr_set_zero (zi, 1);
        rc = s_orbit (&ref->start, zr, zi, cr, ci, v->max_iter, bail2, prec);
        ref->base = ref->start;
    }
    mpfr_clears (zr, zi, cr, ci, (mpfr_ptr)0);
    if (rc != 0) {
        rnd_ref_free (ref);
        snprintf (err, err_size, "out of memory for the reference orbit (%d iterations)",
                  v->max_iter);
        return NULL;
    }
    return ref;
}
