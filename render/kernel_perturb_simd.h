/* kernel_perturb_simd.h: the perturbation kernel (kernel_perturb.c) in SIMD
 * lanes, written once over the vector macros of kernel_avx2.c and
 * kernel_avx512.c, which include it after kernel_simd.h.
 *
 * Every lane runs the scalar kernel's loop for its own pixel, one pass of
 * that loop per vector iteration, with the same operations in the same
 * order (explicit fma), so its counts and smooth values are the scalar
 * kernel's, bit for bit:
 *   - the plain step z <- (2 Z_m + z) z + c runs in the lanes; each lane is
 *     at its own index m (its pixel started later, or it rebased), so Z_m
 *     is gathered per lane. The orbits of a Julia job are joined in one
 *     array (reference.h), so the index alone says which orbit a lane is on;
 *   - escape |Z_m + z|^2 > R^2 and rebasing are tested after every step:
 *     the rebase test needs |Z_m + z|^2 anyway, so testing escape every few
 *     steps would save one compare and cost a roll-back. A lane that
 *     escapes, ends or rebases is finished in scalar code (rare: once per
 *     pixel, or once per rebase);
 *   - BLA: the scalar kernel skips when the table's longest entry at m that
 *     is valid for |z| has 2 or more steps. Entries' radii shrink with their
 *     length (a merge takes the min of its first half's), so that is the
 *     case exactly when the 2-step entry is valid: one masked gather of its
 *     radius per vector decides it for every lane. Lanes that skip leave the
 *     vector step and take the skip (the scalar kernel's lookup and A z + B c,
 *     with hardware fma: the same bits) in scalar code; a skip covers many
 *     iterations, so its scalar cost is spread over them.
 * Floatexp jobs (below 1e-290) are not handled here: kernel.c runs the
 * scalar kernel for them.
 *
 * The including file defines, beyond kernel_simd.h's macros: V_I_T (a vector
 * of int32 indices), V_TO_I (doubles holding integers -> V_I_T), V_GATHER
 * (base, i), V_MASK_GATHER (src, mask, base, i), V_ABS, V_CMP (a, b, pred),
 * V_MASK_OR, V_MASK_ANDNOT (a and not b), V_MASK_NONE, V_MASK_BITS (the
 * lanes' bits), P_CHAINS and KP_LIST_FN (rows, then a list of pixels). */

#include "bla.h"
#include "reference.h"

#define P_LANES (P_CHAINS * V_W)
_Static_assert(P_LANES <= 64, "the lanes' bits must fit one uint64_t");

/* Lane state; integers (m, n, ...) are doubles, exact far beyond max_iter,
 * so that they stay in the vector registers' one type. */
typedef struct {
    _Alignas(64) double x[P_LANES]; /* the delta z */
    _Alignas(64) double y[P_LANES];
    _Alignas(64) double cx[P_LANES]; /* c: the pixel's delta (0 for Julia) */
    _Alignas(64) double cy[P_LANES];
    _Alignas(64) double zr[P_LANES]; /* Z at idx */
    _Alignas(64) double zi[P_LANES];
    _Alignas(64) double idx[P_LANES];  /* off + m: index into the joined orbits */
    _Alignas(64) double off[P_LANES];  /* where the lane's orbit starts there */
    _Alignas(64) double last[P_LANES]; /* off + that orbit's len - 1 */
    _Alignas(64) double n[P_LANES];    /* the iteration the next pass computes */
    _Alignas(64) double pu[P_LANES];   /* no BLA before this n (plain_until) */
    _Alignas(64) double live[P_LANES]; /* 1: iterating a pixel; 0: idle */
    _Alignas(64) double m2[P_LANES];   /* |Z + z|^2 after the last step */
    int pix[P_LANES];                  /* output index */
} p_lanes_t;

/* What the lanes read of the job, resolved once. Index 0: the start orbit,
 * 1: the base orbit (for Mandelbrot the same). */
typedef struct {
    const rnd_kjob_t *job;
    const double *re, *im; /* the joined orbits */
    double off[2];         /* each orbit's start in them */
    double last[2];        /* each orbit's last index in them */
    const rnd_bla_table_t *bla[2];
    const double *r1[2]; /* radius of the 2-step entries (stride 5 doubles), or NULL */
    double cnt1[2];      /* their number */
} p_ctx_t;

/* The pixels of a run: a list (spot checks) first, then a band. */
typedef struct {
    int nlist, npix, next, next_x, next_y, w;
    const rnd_xy_t *list;
} p_stream_t;

/* Give lane l the next pixel; 0 (and an idle lane) when none is left. */
static int
p_fill (const p_ctx_t *cx, p_stream_t *st, p_lanes_t *ln, int l)
{
    const rnd_kjob_t *job = cx->job;
    if (st->next >= st->npix) {
        /* Idle: z = c = 0 at m = 0 of the start orbit, so that its (unused)
         * gathers stay inside the orbit. */
        ln->x[l] = ln->y[l] = ln->cx[l] = ln->cy[l] = 0.0;
        ln->zr[l] = ln->zi[l] = 0.0;
        ln->idx[l] = ln->off[l] = ln->pu[l] = ln->live[l] = 0.0;
        ln->last[l] = cx->last[0];
        ln->n[l] = 1.0;
        ln->pix[l] = -1;
        return 0;
    }
    int s = st->next++, x, y;
    if (s < st->nlist) {
        x = st->list[s].x;
        y = st->list[s].y;
        ln->pix[l] = st->npix - st->nlist + s;
    } else {
        x = st->next_x;
        y = st->next_y;
        if (++st->next_x == st->w) {
            st->next_x = 0;
            st->next_y++;
        }
        ln->pix[l] = s - st->nlist;
    }
    /* as the scalar kernel */
    double dcx = ((double)x + 0.5 - job->width_px / 2.0) * job->scale;
    double dcy = (job->height_px / 2.0 - (double)y - 0.5) * job->scale;
    ln->x[l] = job->julia ? dcx : 0.0;
    ln->y[l] = job->julia ? dcy : 0.0;
    ln->cx[l] = job->julia ? 0.0 : dcx;
    ln->cy[l] = job->julia ? 0.0 : dcy;
    ln->zr[l] = cx->re[0];
    ln->zi[l] = cx->im[0];
    ln->idx[l] = ln->off[l] = 0.0;
    ln->last[l] = cx->last[0];
    ln->n[l] = 1.0;
    ln->pu[l] = 0.0;
    ln->live[l] = 1.0;
    return 1;
}

/* Lane l rebases: z <- Z_m + z on the base orbit at m = 0 (Z_0 = 0). */
static inline void
p_rebase (const p_ctx_t *cx, p_lanes_t *ln, int l, double fx, double fy)
{
    ln->x[l] = fx;
    ln->y[l] = fy;
    ln->idx[l] = ln->off[l] = cx->off[1];
    ln->last[l] = cx->last[1];
    ln->zr[l] = ln->zi[l] = 0.0;
}

/* One pass of the scalar kernel's loop for lane l when it skips by BLA.
 * 1 when the lane's pixel is finished (interior: max_iter reached). */
static int
p_skip (const p_ctx_t *cx, p_lanes_t *ln, int l)
{
    const rnd_kjob_t *job = cx->job;
    int orbit = ln->off[l] != cx->off[0];
    int off = (int)ln->off[l], m = (int)ln->idx[l] - off, n = (int)ln->n[l];
    double x = ln->x[l], y = ln->y[l], cr = ln->cx[l], ci = ln->cy[l];
    int steps = 0;
    const rnd_bla_t *b =
        rnd_bla_lookup (cx->bla[orbit], m, fabs (x) + fabs (y), job->max_iter - n + 1, &steps);
    /* the vector test chose this lane: b exists and steps >= 2 */
    double nx = fma (b->ax, x, fma (-b->ay, y, fma (b->bx, cr, -(b->by * ci))));
    double ny = fma (b->ax, y, fma (b->ay, x, fma (b->bx, ci, b->by * cr)));
    int i = off + m + steps;
    double fx = cx->re[i] + nx, fy = cx->im[i] + ny;
    double m2 = rnd_k_mag2 (fx, fy);
    if (m2 > job->bail2) {
        /* escaped somewhere in the skip: redo it step by step */
        ln->pu[l] = n + steps;
        return 0;
    }
    ln->n[l] = n + steps;
    if (i == (int)ln->last[l] || m2 < rnd_k_mag2 (nx, ny)) {
        p_rebase (cx, ln, l, fx, fy);
    } else {
        ln->x[l] = nx;
        ln->y[l] = ny;
        ln->idx[l] = i;
        ln->zr[l] = cx->re[i];
        ln->zi[l] = cx->im[i];
    }
    return n + steps > job->max_iter;
}

/* Stream every pixel of st through the lanes into out. */
static void
p_run (const rnd_kjob_t *job, p_stream_t *st, float *out)
{
    const struct rnd_ref *ref = job->ref;
    p_ctx_t cx = { .job = job, .re = ref->start.re, .im = ref->start.im };
    const rnd_bla_table_t *tabs[2] = { &ref->bla_start, &ref->bla_base };
    const rnd_orbit_t *orbits[2] = { &ref->start, &ref->base };
    int bla = 0;
    for (int o = 0; o < 2; o++) {
        cx.off[o] = (double)(orbits[o]->re - ref->start.re);
        cx.last[o] = cx.off[o] + orbits[o]->len - 1;
        cx.bla[o] = tabs[o];
        cx.r1[o] = tabs[o]->levels >= 2 ? &tabs[o]->level[1][0].r : NULL;
        cx.cnt1[o] = tabs[o]->levels >= 2 ? tabs[o]->count[1] : 0.0;
        bla |= cx.r1[o] != NULL;
    }
    /* Julia lanes may be on either orbit; Mandelbrot's are one. */
    int two = cx.off[1] != cx.off[0];

    p_lanes_t ln;
    int active = 0;
    for (int l = 0; l < P_LANES; l++)
        active += p_fill (&cx, st, &ln, l);
    const V_T zero = V_SET1 (0.0), one = V_SET1 (1.0), half = V_SET1 (0.5),
              big = V_SET1 (0x1p52), b2 = V_SET1 (job->bail2),
              maxn = V_SET1 ((double)job->max_iter), maxn1 = V_SET1 (job->max_iter - 1.0),
              off0 = V_SET1 (cx.off[0]), cnt0 = V_SET1 (cx.cnt1[0]), cnt1 = V_SET1 (cx.cnt1[1]);

    while (active > 0) {
        V_MASK_T skip[P_CHAINS];
        uint64_t skipbits = 0;
        if (bla) {
            /* Which lanes the scalar kernel would skip by BLA now: m >= 1,
             * m - 1 even (entries of 2 steps start at odd m), the 2-step
             * entry exists and fits max_iter, n >= plain_until, and its
             * radius exceeds |zx| + |zy| (as rnd_bla_lookup). */
#pragma GCC unroll 16
            for (int c = 0; c < P_CHAINS; c++) {
                const int o = c * V_W;
                V_T idx = V_LOAD (&ln.idx[o]), off = V_LOAD (&ln.off[o]), n = V_LOAD (&ln.n[o]);
                V_T m = V_SUB (idx, off);
                V_T j = V_MUL (V_SUB (m, one), half);
                V_MASK_T ok = V_CMP_EQ (j, V_SUB (V_ADD (j, big), big)); /* whole */
                ok = V_MASK_AND (ok, V_CMP (m, one, _CMP_GE_OQ));
                ok = V_MASK_AND (ok, V_CMP (n, maxn1, _CMP_LE_OQ));
                ok = V_MASK_AND (ok, V_CMP (n, V_LOAD (&ln.pu[o]), _CMP_GE_OQ));
                ok = V_MASK_AND (ok, V_CMP_GT (V_LOAD (&ln.live[o]), zero));
                V_MASK_T on0 = V_CMP_EQ (off, off0);
                V_I_T gi = V_TO_I (V_MUL (j, V_SET1 (5.0)));
                V_T r = zero;
                V_MASK_T e0 = V_MASK_AND (V_MASK_AND (ok, on0), V_CMP (j, cnt0, _CMP_LT_OQ));
                if (cx.r1[0] && V_MASK_BITS (e0))
                    r = V_MASK_GATHER (r, e0, cx.r1[0], gi);
                V_MASK_T e = e0;
                if (two) {
                    V_MASK_T e1 = V_MASK_AND (V_MASK_ANDNOT (ok, on0), V_CMP (j, cnt1, _CMP_LT_OQ));
                    if (cx.r1[1] && V_MASK_BITS (e1))
                        r = V_MASK_GATHER (r, e1, cx.r1[1], gi);
                    e = V_MASK_OR (e, e1);
                }
                V_T zn = V_ADD (V_ABS (V_LOAD (&ln.x[o])), V_ABS (V_LOAD (&ln.y[o])));
                skip[c] = V_MASK_AND (e, V_CMP_GT (r, zn));
                skipbits |= (uint64_t)V_MASK_BITS (skip[c]) << o;
            }
        } else {
            for (int c = 0; c < P_CHAINS; c++)
                skip[c] = V_MASK_NONE;
        }

        /* The plain step in every other live lane. */
        uint64_t escbits = 0, endbits = 0, rebbits = 0;
#pragma GCC unroll 16
        for (int c = 0; c < P_CHAINS; c++) {
            const int o = c * V_W;
            V_T x = V_LOAD (&ln.x[o]), y = V_LOAD (&ln.y[o]);
            V_T zr = V_LOAD (&ln.zr[o]), zi = V_LOAD (&ln.zi[o]);
            V_T ax = V_ADD (V_ADD (zr, zr), x), ay = V_ADD (V_ADD (zi, zi), y);
            V_T nx = V_FMADD (ax, x, V_FNMADD (ay, y, V_LOAD (&ln.cx[o])));
            V_T ny = V_FMADD (ax, y, V_FMADD (ay, x, V_LOAD (&ln.cy[o])));
            V_T idx = V_ADD (V_LOAD (&ln.idx[o]), one);
            V_I_T gi = V_TO_I (idx);
            V_T zr1 = V_GATHER (cx.re, gi), zi1 = V_GATHER (cx.im, gi);
            V_T fx = V_ADD (zr1, nx), fy = V_ADD (zi1, ny);
            V_T m2 = V_FMADD (fx, fx, V_MUL (fy, fy));
            V_T zm2 = V_FMADD (nx, nx, V_MUL (ny, ny));
            V_T n = V_LOAD (&ln.n[o]);
            V_MASK_T adv = V_MASK_ANDNOT (V_CMP_GT (V_LOAD (&ln.live[o]), zero), skip[c]);
            V_MASK_T esc = V_MASK_AND (adv, V_CMP_GT (m2, b2));
            V_MASK_T stay = V_MASK_ANDNOT (adv, esc);
            V_MASK_T end = V_MASK_AND (stay, V_CMP (n, maxn, _CMP_GE_OQ));
            V_MASK_T reb = V_MASK_AND (
                stay, V_MASK_OR (V_CMP_EQ (idx, V_LOAD (&ln.last[o])), V_CMP (m2, zm2, _CMP_LT_OQ)));
            V_STORE (&ln.x[o], V_BLEND (adv, x, nx));
            V_STORE (&ln.y[o], V_BLEND (adv, y, ny));
            V_STORE (&ln.zr[o], V_BLEND (adv, zr, zr1));
            V_STORE (&ln.zi[o], V_BLEND (adv, zi, zi1));
            V_STORE (&ln.idx[o], V_BLEND (adv, V_LOAD (&ln.idx[o]), idx));
            V_STORE (&ln.n[o], V_BLEND (adv, n, V_ADD (n, one)));
            V_STORE (&ln.m2[o], m2);
            escbits |= (uint64_t)V_MASK_BITS (esc) << o;
            endbits |= (uint64_t)V_MASK_BITS (end) << o;
            rebbits |= (uint64_t)V_MASK_BITS (reb) << o;
        }

        /* Escaped at n (stored as n + 1). */
        for (uint64_t b = escbits; b; b &= b - 1) {
            int l = __builtin_ctzll (b);
            out[ln.pix[l]] = rnd_k_smooth (job, (int)ln.n[l] - 1, ln.m2[l]);
            active -= !p_fill (&cx, st, &ln, l);
        }
        /* Ran max_iter iterations: interior. */
        for (uint64_t b = endbits; b; b &= b - 1) {
            int l = __builtin_ctzll (b);
            out[ln.pix[l]] = RND_INTERIOR;
            active -= !p_fill (&cx, st, &ln, l);
        }
        /* z <- Z_m + z, the same sum the step computed. */
        for (uint64_t b = rebbits & ~endbits; b; b &= b - 1) {
            int l = __builtin_ctzll (b);
            p_rebase (&cx, &ln, l, ln.zr[l] + ln.x[l], ln.zi[l] + ln.y[l]);
        }
        for (uint64_t b = skipbits; b; b &= b - 1) {
            int l = __builtin_ctzll (b);
            if (p_skip (&cx, &ln, l)) {
                out[ln.pix[l]] = RND_INTERIOR;
                active -= !p_fill (&cx, st, &ln, l);
            }
        }
    }
}

void
KP_LIST_FN (const rnd_kjob_t *job, int y0, int y1, const rnd_xy_t *px, int n, float *out)
{
    p_stream_t st = { n, (y1 - y0) * job->width_px + n, 0, 0, y0, job->width_px, px };
    p_run (job, &st, out);
}
