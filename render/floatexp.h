/* floatexp.h: complex numbers with an extended exponent for the deltas of
 * views deeper than doubles reach (below ~1e-290): z = (x + iy) * 2^e, x
 * and y doubles sharing one int64 exponent, renormalised after every
 * operation so that max(|x|, |y|) lies in [0.5, 1).
 *
 * Deterministic like the rest of the pixel path: the exponent is read from
 * the IEEE bits and all scaling is multiplication by an exact power of two
 * built from bits -- no frexp/ldexp, no libm. A scaling is exact unless it
 * pushes a value below the doubles (then it rounds to a subnormal or 0,
 * the same on every machine). Internal to render/. */
#ifndef RND_FLOATEXP_H
#define RND_FLOATEXP_H

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    double x;  /* real mantissa */
    double y;  /* imaginary mantissa */
    int64_t e; /* shared binary exponent */
} rnd_fe_t;

/* The exponent zero carries: far below any value, but summing a few of
 * them cannot overflow an int64. */
#define RND_FE_ZERO_EXP (-((int64_t)1 << 40))

/* 2^k as a double, exactly; 0 below the subnormals, +inf above the range. */
static inline double
rnd_fe_pow2 (int64_t k)
{
    uint64_t bits;
    if (k > 1023)
        bits = 0x7ff0000000000000ull;
    else if (k >= -1022)
        bits = (uint64_t)(k + 1023) << 52;
    else if (k >= -1074)
        bits = (uint64_t)1 << (k + 1074);
    else
        bits = 0;
    double d;
    memcpy (&d, &bits, sizeof d);
    return d;
}

/* e with |v| = f * 2^e, 0.5 <= f < 1, for a finite non-zero normal v;
 * subnormals are scaled up first. */
static inline int64_t
rnd_fe_exp_of (double v)
{
    uint64_t bits;
    memcpy (&bits, &v, sizeof bits);
    int64_t field = (int64_t)((bits >> 52) & 0x7ff);
    if (field == 0) {
        v *= 0x1p64;
        memcpy (&bits, &v, sizeof bits);
        return (int64_t)((bits >> 52) & 0x7ff) - 1022 - 64;
    }
    return field - 1022;
}

/* Renormalises (x, y) * 2^e. */
static inline rnd_fe_t
rnd_fe_norm (double x, double y, int64_t e)
{
    rnd_fe_t r;
    double big = fabs (x) > fabs (y) ? fabs (x) : fabs (y);
    if (big == 0.0) {
        r.x = r.y = 0.0;
        r.e = RND_FE_ZERO_EXP;
        return r;
    }
    int64_t k = rnd_fe_exp_of (big);
    /* k is within the double range, so 2^-k may be out of it only for the
     * largest and smallest k: scale in two halves. */
    double s1 = rnd_fe_pow2 (-(k / 2)), s2 = rnd_fe_pow2 (-(k - k / 2));
    r.x = x * s1 * s2;
    r.y = y * s1 * s2;
    r.e = e + k;
    return r;
}

/* The value as a double pair (0 or subnormal where it is below them). */
static inline void
rnd_fe_to_double (rnd_fe_t a, double *x, double *y)
{
    if (a.e < -1200) {
        *x = *y = 0.0;
        return;
    }
    double s = rnd_fe_pow2 (a.e);
    *x = a.x * s;
    *y = a.y * s;
}

static inline rnd_fe_t
rnd_fe_from_double (double x, double y)
{
    return rnd_fe_norm (x, y, 0);
}

/* a * b, with fmas as the double kernel writes a complex product. */
static inline rnd_fe_t
rnd_fe_mul (rnd_fe_t a, rnd_fe_t b)
{
    double x = fma (a.x, b.x, -(a.y * b.y));
    double y = fma (a.x, b.y, a.y * b.x);
    return rnd_fe_norm (x, y, a.e + b.e);
}

/* a + b: the smaller aligned to the larger's exponent. */
static inline rnd_fe_t
rnd_fe_add (rnd_fe_t a, rnd_fe_t b)
{
    if (a.e < b.e) {
        rnd_fe_t t = a;
        a = b;
        b = t;
    }
    double s = rnd_fe_pow2 (b.e - a.e);
    return rnd_fe_norm (a.x + b.x * s, a.y + b.y * s, a.e);
}

/* -1, 0 or 1 as |a| is below, equal to or above |b|. */
static inline int
rnd_fe_cmp_mag (rnd_fe_t a, rnd_fe_t b)
{
    double ma = fma (a.x, a.x, a.y * a.y), mb = fma (b.x, b.x, b.y * b.y);
    /* normalised: ma, mb in [0.25, 2), so exponents two apart decide */
    if (a.e != b.e) {
        if (a.e < b.e - 1)
            return -1;
        if (a.e > b.e + 1)
            return 1;
        mb *= rnd_fe_pow2 (2 * (b.e - a.e));
    }
    return ma < mb ? -1 : ma > mb;
}

#endif
