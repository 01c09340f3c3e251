/* bla.c: building the BLA table of a reference orbit (bla.h).
 *
 * Level 0, the step from m to m + 1: A = 2 Z_m, B = 1, R = max(0, eps |A| -
 * |B| cmax / |A|). Merging x (first) then y: A = A_y A_x, B = A_y B_x + B_y,
 * R = max(0, min(R_x, (R_y - |B_x| cmax) / |A_x|)). Every operation is
 * written out (fma, sqrt: correctly rounded, no libm), so every peer builds
 * the same table from the same orbit. An overflowing A or B gives R = 0
 * (NaN included): such entries are never used. Memory: ~2 entries of 40
 * bytes per reference iteration. */
#include "bla.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double
s_abs (double x, double y)
{
    return sqrt (fma (x, x, y * y));
}

/* max(0, v), 0 for NaN. */
static double
s_pos (double v)
{
    return v > 0.0 ? v : 0.0;
}

void
rnd_bla_free (rnd_bla_table_t *t)
{
    for (int k = 0; k < t->levels; k++)
        free (t->level[k]);
    memset (t, 0, sizeof *t);
}

int
rnd_bla_build (rnd_bla_table_t *t, const double *zr, const double *zi, int len, double cmax,
               int julia, double eps)
{
    memset (t, 0, sizeof *t);
    int n = len - 2; /* steps m -> m + 1 for m = 1 .. len - 2 */
    if (n < 1)
        return 0;
    rnd_bla_t *l0 = malloc ((size_t)n * sizeof *l0);
    if (!l0)
        return -1;
    for (int j = 0; j < n; j++) {
        int m = j + 1;
        rnd_bla_t *b = &l0[j];
        b->ax = zr[m] + zr[m];
        b->ay = zi[m] + zi[m];
        b->bx = julia ? 0.0 : 1.0;
        b->by = 0.0;
        double a = s_abs (b->ax, b->ay);
        b->r = s_pos (eps * a - (julia ? 0.0 : cmax / a));
    }
    t->level[0] = l0;
    t->count[0] = n;
    t->levels = 1;
    while (t->levels < 31 && t->count[t->levels - 1] >= 2) {
        int k = t->levels;
        int cnt = t->count[k - 1] / 2;
        rnd_bla_t *lk = malloc ((size_t)cnt * sizeof *lk);
        if (!lk)
            return -1; /* the levels so far are complete and usable */
        for (int j = 0; j < cnt; j++) {
            const rnd_bla_t *x = &t->level[k - 1][2 * j], *y = &t->level[k - 1][2 * j + 1];
            rnd_bla_t *b = &lk[j];
            b->ax = fma (y->ax, x->ax, -(y->ay * x->ay));
            b->ay = fma (y->ax, x->ay, y->ay * x->ax);
            b->bx = fma (y->ax, x->bx, fma (-y->ay, x->by, y->bx));
            b->by = fma (y->ax, x->by, fma (y->ay, x->bx, y->by));
            double ry = s_pos ((y->r - s_abs (x->bx, x->by) * cmax) / s_abs (x->ax, x->ay));
            b->r = ry < x->r ? ry : x->r;
        }
        t->level[k] = lk;
        t->count[k] = cnt;
        t->levels++;
    }
    return 0;
}
