/* bla.h: bilinear approximation (BLA) of a reference orbit, to skip
 * iterations of the delta kernel: while |z| < R, l steps from index m are
 *   z_{m+l} = A z_m + B c
 * to within a relative eps (Fraktaler-3's "Theory"; Zhuoran). Internal to
 * render/. */
#ifndef RND_BLA_H
#define RND_BLA_H

#include <stdint.h>

/* One entry: 2^level steps from its index. */
typedef struct {
    double ax, ay; /* A */
    double bx, by; /* B */
    double r;      /* valid while |zx| + |zy| < r (a bound of |z|) */
} rnd_bla_t;

typedef struct {
    rnd_bla_t *level[32]; /* level k: entry j covers steps 1 + j 2^k .. */
    int count[32];        /* entries of each level */
    int levels;
} rnd_bla_table_t;

/* The table of an orbit Z_0 .. Z_len-1 for pixels with |c| <= cmax (0 for
 * Julia, whose delta has no c term: then B = 0). 0, or -1 when memory runs
 * out (the table is then empty and usable). */
int rnd_bla_build (rnd_bla_table_t *t, const double *zr, const double *zi, int len, double cmax,
                   int julia, double eps);
void rnd_bla_free (rnd_bla_table_t *t);

/* The longest entry starting at index m (m >= 1) valid for a delta with
 * |zx| + |zy| = zn and at most max_steps steps, or NULL; *steps is its
 * length. */
static inline const rnd_bla_t *
rnd_bla_lookup (const rnd_bla_table_t *t, int m, double zn, int max_steps, int *steps)
{
    if (m < 1 || t->levels == 0)
        return 0;
    unsigned off = (unsigned)(m - 1);
    int top = off ? __builtin_ctz (off) : 31;
    if (top > t->levels - 1)
        top = t->levels - 1;
    for (int k = top; k >= 0; k--) {
        int j = (int)(off >> k);
        if (j >= t->count[k] || (1 << k) > max_steps)
            continue;
        const rnd_bla_t *b = &t->level[k][j];
        if (b->r > zn) {
            *steps = 1 << k;
            return b;
        }
    }
    return 0;
}

#endif
