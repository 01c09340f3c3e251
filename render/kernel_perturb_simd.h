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
 * (base, i), V_ABS, V_MIN, V_MASK_STORE (p, mask, v), V_CMP (a, b, pred),
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
    _Alignas(64) double zr1[P_LANES]; /* Z at idx + 1 (at last, if idx is last) */
    _Alignas(64) double zi1[P_LANES];
    _Alignas(64) double r1[P_LANES];   /* radius of the 2-step BLA entry at idx; 0
                                          where there is none */
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
    const double *lanes; /* ref->lanes: 4 doubles per index of the joined orbits */
    double off[2];       /* each orbit's start in them */
    double last[2];      /* each orbit's last index in them */
    const rnd_bla_table_t *bla[2];
} p_ctx_t;

/* The pixels of a run: a list (spot checks) first, then a band. */
typedef struct {
    int nlist, npix, next, next_x, next_y, w;
    const rnd_xy_t *list;
} p_stream_t;

/* Loads what lane l reads at its index: Z there and one further, and the
 * radius of the 2-step BLA entry there (2-step entries start at odd m,
 * j = (m - 1) / 2), as the vector loop prefetches them. */
static inline void
p_at (const p_ctx_t *cx, p_lanes_t *ln, int l)
{
    int i = (int)ln->idx[l], i1 = i < (int)ln->last[l] ? i + 1 : i;
    const double *t = cx->lanes;
    ln->zr[l] = t[4 * i];
    ln->zi[l] = t[4 * i + 1];
    ln->zr1[l] = t[4 * i1];
    ln->zi1[l] = t[4 * i1 + 1];
    ln->r1[l] = i1 > i ? t[4 * i1 + 2] : 0.0; /* none at the last index */
}

/* Give lane l the next pixel; 0 (and an idle lane) when none is left. */
static int
p_fill (const p_ctx_t *cx, p_stream_t *st, p_lanes_t *ln, int l)
{
    const rnd_kjob_t *job = cx->job;
    if (st->next >= st->npix) {
        /* Idle: z = c = 0 at m = 0 of the start orbit, so that its (unused)
         * gathers stay inside the orbit. */
        ln->x[l] = ln->y[l] = ln->cx[l] = ln->cy[l] = 0.0;
        ln->idx[l] = ln->off[l] = ln->pu[l] = ln->live[l] = 0.0;
        ln->last[l] = cx->last[0];
        ln->n[l] = 1.0;
        ln->pix[l] = -1;
        p_at (cx, ln, l);
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
    ln->idx[l] = ln->off[l] = 0.0;
    ln->last[l] = cx->last[0];
    ln->n[l] = 1.0;
    ln->pu[l] = 0.0;
    ln->live[l] = 1.0;
    p_at (cx, ln, l);
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
    p_at (cx, ln, l);
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
    double fx = cx->lanes[4 * i] + nx, fy = cx->lanes[4 * i + 1] + ny;
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
        p_at (cx, ln, l);
    }
    return n + steps > job->max_iter;
}

/* Stream every pixel of st through the lanes into out. */
static void
p_run (const rnd_kjob_t *job, p_stream_t *st, float *out)
{
    const struct rnd_ref *ref = job->ref;
    p_ctx_t cx = { .job = job, .lanes = ref->lanes };
    const rnd_bla_table_t *tabs[2] = { &ref->bla_start, &ref->bla_base };
    const rnd_orbit_t *orbits[2] = { &ref->start, &ref->base };
    int bla = 0;
    for (int o = 0; o < 2; o++) {
        cx.off[o] = (double)(orbits[o]->re - ref->start.re);
        cx.last[o] = cx.off[o] + orbits[o]->len - 1;
        cx.bla[o] = tabs[o];
        bla |= tabs[o]->levels >= 2;
    }

    p_lanes_t ln;
    int active = 0;
    for (int l = 0; l < P_LANES; l++)
        active += p_fill (&cx, st, &ln, l);
    const V_T zero = V_SET1 (0.0), one = V_SET1 (1.0), four = V_SET1 (4.0),
              b2 = V_SET1 (job->bail2), maxn = V_SET1 ((double)job->max_iter),
              maxn1 = V_SET1 (job->max_iter - 1.0);

    while (active > 0) {
        uint64_t skipbits = 0, escbits = 0, endbits = 0, rebbits = 0;
#pragma GCC unroll 16
        for (int c = 0; c < P_CHAINS; c++) {
            const int o = c * V_W;
            V_T x = V_LOAD (&ln.x[o]), y = V_LOAD (&ln.y[o]), n = V_LOAD (&ln.n[o]);
            V_MASK_T live = V_CMP_GT (V_LOAD (&ln.live[o]), zero);
            /* Lanes the scalar kernel would skip by BLA in this pass: it skips
             * when its lookup finds an entry of 2 or more steps valid for
             * |zx| + |zy|, and as radii shrink with length that is when the
             * 2-step entry at m is (r1, 0 where there is none); the lookup
             * runs from n >= plain_until, for entries that fit max_iter. */
            V_MASK_T skip = V_MASK_NONE;
            if (bla) {
                V_T zn = V_ADD (V_ABS (x), V_ABS (y));
                skip = V_MASK_AND (live, V_CMP_GT (V_LOAD (&ln.r1[o]), zn));
                skip = V_MASK_AND (skip, V_CMP (n, V_LOAD (&ln.pu[o]), _CMP_GE_OQ));
                skip = V_MASK_AND (skip, V_CMP (n, maxn1, _CMP_LE_OQ));
                skipbits |= (uint64_t)V_MASK_BITS (skip) << o;
            }
            /* The plain step in every other live lane. Z at the next index
             * was gathered a pass earlier, so no gather waits here. */
            V_T zr = V_LOAD (&ln.zr[o]), zi = V_LOAD (&ln.zi[o]);
            V_T zr1 = V_LOAD (&ln.zr1[o]), zi1 = V_LOAD (&ln.zi1[o]);
            V_T ax = V_ADD (V_ADD (zr, zr), x), ay = V_ADD (V_ADD (zi, zi), y);
            V_T nx = V_FMADD (ax, x, V_FNMADD (ay, y, V_LOAD (&ln.cx[o])));
            V_T ny = V_FMADD (ax, y, V_FMADD (ay, x, V_LOAD (&ln.cy[o])));
            V_T fx = V_ADD (zr1, nx), fy = V_ADD (zi1, ny);
            V_T m2 = V_FMADD (fx, fx, V_MUL (fy, fy));
            V_T zm2 = V_FMADD (nx, nx, V_MUL (ny, ny));
            V_T idx = V_ADD (V_LOAD (&ln.idx[o]), one), last = V_LOAD (&ln.last[o]);
            V_MASK_T adv = V_MASK_ANDNOT (live, skip);
            V_MASK_T esc = V_MASK_AND (adv, V_CMP_GT (m2, b2));
            V_MASK_T stay = V_MASK_ANDNOT (adv, esc);
            V_MASK_T end = V_MASK_AND (stay, V_CMP (n, maxn, _CMP_GE_OQ));
            V_MASK_T reb =
                V_MASK_AND (stay, V_MASK_OR (V_CMP_EQ (idx, last), V_CMP (m2, zm2, _CMP_LT_OQ)));
            /* For the next pass: Z one further and the 2-step entry's
             * radius at the new index, from one row of ref->lanes (kept
             * inside the orbit: a lane at its last index rebases, and its
             * row is reloaded). */
            V_T zr2, zi2, r;
            V_GATHER3 (cx.lanes, V_TO_I (V_MUL (V_MIN (V_ADD (idx, one), last), four)), zr2, zi2,
                       r);
            if (bla)
                V_MASK_STORE (&ln.r1[o], adv, r);
            V_MASK_STORE (&ln.x[o], adv, nx);
            V_MASK_STORE (&ln.y[o], adv, ny);
            V_MASK_STORE (&ln.zr[o], adv, zr1);
            V_MASK_STORE (&ln.zi[o], adv, zi1);
            V_MASK_STORE (&ln.zr1[o], adv, zr2);
            V_MASK_STORE (&ln.zi1[o], adv, zi2);
            V_MASK_STORE (&ln.idx[o], adv, idx);
            V_MASK_STORE (&ln.n[o], adv, V_ADD (n, one));
            V_STORE (&ln.m2[o], m2);
            escbits |= (uint64_t)V_MASK_BITS (esc) << o;
            endbits |= (uint64_t)V_MASK_BITS (end) << o;
            rebbits |= (uint64_t)V_MASK_BITS (reb) << o;
        }
        if (!(escbits | endbits | rebbits | skipbits))
            continue;

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
