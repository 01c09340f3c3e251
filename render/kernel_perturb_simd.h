/* kernel_perturb_simd.h: the perturbation kernel (kernel_perturb.c) in SIMD
 * lanes, written once over the vector macros of kernel_avx2.c and
 * kernel_avx512.c, which include it after kernel_simd.h.
 *
 * Every lane runs the scalar kernel's loop for its own pixel with the same
 * operations in the same order (explicit fma; 2Z + z as fma (2, Z, z),
 * which is the scalar's exact (Z + Z) + z), so its counts and smooth values
 * are the scalar kernel's, bit for bit:
 *   - the plain step z <- (2 Z_m + z) z + c runs in the lanes, P_STEPS
 *     steps a pass: A, B (AVX2), and C, D (AVX-512, whose 32 registers hold
 *     them: 2% less CPU than two steps with BLA, 5% without, at 1e-113).
 *     Each lane is at its own index m (its pixel started later, or it
 *     rebased), so the reference is fetched per lane: one 64-byte load of
 *     two rows of ref->lanes (Z and a BLA radius a row, reference.h) a lane
 *     and two steps, transposed into vectors; Z at m is kept from the last
 *     pass. Loading the rows a pass ahead and keeping them in
 *     the lanes' state instead costs 5 masked stores a vector and pass,
 *     more than the loads' wait (the lanes walk their rows in order, and
 *     the hardware prefetches them). The orbits of a Julia job
 *     are joined in one array, so the index alone says which orbit a lane
 *     is on; the rows are padded (idle lanes read rows 1 and 2);
 *   - escape |Z_m + z|^2 > R^2 and rebasing are tested after every step:
 *     the rebase test needs |Z_m + z|^2 anyway, so testing escape every few
 *     steps would save one compare and cost a roll-back. The orbit's last
 *     index and the iterations where the scalar kernel's rules change (ev:
 *     max_iter, plain_until) are not met in the vector at all: a lane runs
 *     a pass only while both are more than its steps away (idx < top),
 *     tested once a pass after it, and p_scalar steps it through them (one
 *     compare a pass instead of an add and a compare a step: AVX-512 BLA at
 *     1e-113 5-6% faster, CPU time). Only the pass's last step is
 *     committed from the vector; a lane that stopped after k steps (an
 *     event in step k, or a BLA skip due next) redoes them in scalar code
 *     with the same operations (p_scalar). Escapes and rebases are finished in scalar code: rare,
 *     once a pixel or a rebase;
 *   - BLA: the scalar kernel skips when the table's longest entry at m that
 *     is valid for |z| has 2 or more steps. Entries' radii shrink with their
 *     length (a merge takes the min of its first half's), so that is the
 *     case exactly when the 2-step entry at m is valid. Those start at odd
 *     m only, and a pass moves m by an even number: p_scalar sends a lane
 *     into the vector at an even m when it may skip, so that a skip can only
 *     be due in steps B (and D), where the radius in the lane's row decides
 *     with one compare, and at an odd m when it may not (n < plain_until),
 *     where those steps' radii are 0. A lane whose step B (D) would skip
 *     stops after A (C) and takes
 *     the skip (the scalar kernel's lookup and A z + B c, the same bits) in
 *     scalar code (p_scalar), with the skips that follow it in a row (~5 at
 *     1e-113); a skip covers many iterations (~870 at 1e-113), so its scalar
 *     cost is spread over them. The scalar kernel's other rules
 *     (plain_until, no skip longer than the iterations left) are not tested
 *     in the vector: a lane leaves it (top, from ev) before an iteration
 *     where they change, for p_scalar to decide.
 * Floatexp jobs (below 1e-290) are not handled here: kernel.c runs the
 * scalar kernel for them.
 *
 * The including file defines, beyond kernel_simd.h's macros: V_GATHER6
 * (table, int64 offsets, six results: two rows' columns), V_GO_T (a vector
 * of int64) with V_GO_LOAD, V_GO_SET1, V_GO_ADD, V_GO_CMP_GE_M (mask, a, b:
 * the lanes of mask where a >= b) and V_GO_MASK_STORE (p, mask, v), V_ABS,
 * V_MASK_STORE (p, mask, v),
 * V_CMP_M (mask, a, b, pred) (the lanes of mask where a pred b),
 * V_MASK_ANDNOT (a and not b), V_MASK_BITS (the lanes' bits),
 * P_CHAINS (vectors a pass), P_STEPS (steps a pass: 2, or 4; 2 if not
 * defined) and KP_LIST_FN (a rectangle, then a list of pixels). */

#include "bla.h"
#include "reference.h"

#define P_LANES (P_CHAINS * V_W)
#ifndef P_STEPS
#define P_STEPS 2
#endif
_Static_assert(P_STEPS == 2 || P_STEPS == 4, "2 or 4 steps a pass");
_Static_assert(P_LANES <= 64, "the lanes' bits must fit one uint64_t");
/* Row offsets (4 doubles a row) of the joined orbits and their padding are
 * int32 in the vectors. */
_Static_assert(4LL * (2LL * RND_VIEW_ITER_MAX + 8) <= 2147483647LL, "row offsets fit an int32");

/* Lane state; integers (m, n, ...) are doubles, exact far beyond max_iter,
 * so that they stay in the vector registers' one type. */
typedef struct {
    _Alignas(64) double x[P_LANES]; /* the delta z */
    _Alignas(64) double y[P_LANES];
    _Alignas(64) double cx[P_LANES]; /* c: the pixel's delta (0 for Julia) */
    _Alignas(64) double cy[P_LANES];
    _Alignas(64) double zr[P_LANES]; /* Z at idx */
    _Alignas(64) double zi[P_LANES];
    _Alignas(64) int64_t go[P_LANES];   /* 4 (idx + 1), idx = off + m being the
                                           lane's index into the joined orbits:
                                           where the pass loads rows idx + 1 and
                                           idx + 2 (kept as that, so the loads
                                           need no vector extracts) */
    _Alignas(64) double off[P_LANES];   /* where the lane's orbit starts there */
    _Alignas(64) double last[P_LANES];  /* off + that orbit's len - 1 */
    _Alignas(64) double nd[P_LANES];    /* n - idx, n being the iteration the next pass
                                           computes (steps move both: no store) */
    _Alignas(64) double pu[P_LANES];    /* no BLA before this n (plain_until) */
    _Alignas(64) double ev[P_LANES];    /* the lane leaves the vector once it has
                                           computed an iteration >= ev (p_scalar) */
    _Alignas(64) int64_t gtop[P_LANES]; /* 4 (top + 1), top = min (last, ev - nd
                                           + 1) - 2: a lane at idx < top (go <
                                           gtop) runs a pass without reaching
                                           its orbit's last index or ev */
    _Alignas(64) double live[P_LANES];  /* 2: iterating a pixel, BLA allowed; 1:
                                           iterating, no BLA (n < pu); 0: idle */
    _Alignas(64) double m2[P_LANES];    /* |Z + z|^2 after the last step */
    int pix[P_LANES];                   /* output index */
} p_lanes_t;

/* What the lanes read of the job, resolved once. Index 0: the start orbit,
 * 1: the base orbit (for Mandelbrot the same). */
typedef struct {
    const rnd_kjob_t *job;
    const double *lanes; /* ref->lanes: 4 doubles per index of the joined orbits */
    double off[2];       /* each orbit's start in them */
    double last[2];      /* each orbit's last index in them */
    const rnd_bla_table_t *bla[2];
    double ev0; /* ev of a lane that may skip: max_iter - 1 with BLA */
} p_ctx_t;

/* The pixels of a run: a list (spot checks) first, then a rectangle's,
 * row by row over columns [x0, x1). */
typedef struct {
    int nlist, npix, next, next_x, next_y, x0, x1;
    const rnd_xy_t *list;
} p_stream_t;

/* top from last, ev and idx + nd = n. */
static inline double
p_top (double last, double ev, double idx, double n)
{
    double e = ev - (n - idx) + 1.0;
    return (e < last ? e : last) - P_STEPS; /* a pass's steps */
}

/* Lane l's index idx. */
static inline int
p_idx (const p_lanes_t *ln, int l)
{
    return (int)(ln->go[l] / 4) - 1;
}

/* Lane l at index i (nd, last and ev set): Z at i, go, and gtop. */
static inline void
p_at (const p_ctx_t *cx, p_lanes_t *ln, int l, int i)
{
    /* rows i + 1 and i + 2 exist: the table is padded (reference.h) */
    const double *t = cx->lanes + 4 * i;
    ln->zr[l] = t[0];
    ln->zi[l] = t[1];
    ln->go[l] = 4 * ((int64_t)i + 1);
    ln->gtop[l] = 4 * ((int64_t)p_top (ln->last[l], ln->ev[l], i, i + ln->nd[l]) + 1);
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
        ln->off[l] = ln->pu[l] = ln->live[l] = 0.0;
        ln->ev[l] = cx->ev0;
        ln->last[l] = cx->last[0];
        ln->nd[l] = 1.0;
        ln->pix[l] = -1;
        p_at (cx, ln, l, 0);
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
        if (++st->next_x == st->x1) {
            st->next_x = st->x0;
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
    ln->off[l] = 0.0;
    ln->last[l] = cx->last[0];
    ln->nd[l] = 1.0;
    ln->pu[l] = 0.0;
    ln->ev[l] = cx->ev0;
    ln->live[l] = 2.0;
    p_at (cx, ln, l, 0);
    return 1;
}

/* Lane l rebases: z <- Z_m + z on the base orbit at m = 0 (Z_0 = 0). */
static inline void
p_rebase (const p_ctx_t *cx, p_lanes_t *ln, int l, double fx, double fy)
{
    double n = p_idx (ln, l) + ln->nd[l];
    ln->x[l] = fx;
    ln->y[l] = fy;
    ln->nd[l] = n - cx->off[1];
    ln->off[l] = cx->off[1];
    ln->last[l] = cx->last[1];
    p_at (cx, ln, l, (int)cx->off[1]);
}

/* The scalar kernel's loop for lane l, stopped by an event, in scalar code
 * until the vector may run it again; 1 when the pixel is done and its
 * value is in out. plain: first that many plain steps, those of a pass that
 * stopped after them (an escape, a rebase, or a BLA skip next), from the
 * state the pass left alone. Then it takes the BLA skips due, in a row
 * (a skip often lands where the next one starts: ~5 in a row at 1e-113),
 * finishes a pixel at max_iter, and sets what the vector's BLA test relies
 * on (see p_lanes_run): a lane that may skip (live 2, n >= pu) enters a
 * pass at an even m, one that may not at an odd m (one plain step here
 * otherwise), and ev, where that changes (pu, or max_iter, where a skip
 * would be too long); it steps a lane on while it is at top or beyond
 * (its orbit's end or ev less than a pass away). Plain steps use the vector's operations (fma (2,
 * Z, z) for (Z + Z) + z included), skips the scalar kernel's lookup and A z + B c: the same bits.
 * The lane's state lives in locals, written back once. */
static int
p_scalar (const p_ctx_t *cx, p_lanes_t *ln, int l, float *out, const int bla, int plain)
{
    const rnd_kjob_t *job = cx->job;
    const double *t = cx->lanes;
    double x = ln->x[l], y = ln->y[l], cr = ln->cx[l], ci = ln->cy[l];
    int i = p_idx (ln, l), off = (int)ln->off[l], last = (int)ln->last[l];
    int n = i + (int)ln->nd[l], pu = (int)ln->pu[l];
    for (;;) {
        if (plain) {
            plain--;
            double ax = fma (2.0, t[4 * i], x), ay = fma (2.0, t[4 * i + 1], y);
            double nx = fma (ax, x, fma (-ay, y, cr));
            double ny = fma (ax, y, fma (ay, x, ci));
            double fx = t[4 * (i + 1)] + nx, fy = t[4 * (i + 1) + 1] + ny;
            double m2 = rnd_k_mag2 (fx, fy);
            if (m2 > job->bail2) {
                out[ln->pix[l]] = rnd_k_smooth (job, n, m2);
                return 1;
            }
            if (n >= job->max_iter) {
                out[ln->pix[l]] = RND_INTERIOR;
                return 1;
            }
            i++;
            n++;
            if (i == last || m2 < rnd_k_mag2 (nx, ny)) {
                /* rebase: z <- Z_m + z on the base orbit at m = 0 */
                x = fx;
                y = fy;
                i = off = (int)cx->off[1];
                last = (int)cx->last[1];
                plain = 0;
            } else {
                x = nx;
                y = ny;
            }
            if (plain)
                continue;
        }
        if (n > job->max_iter) {
            out[ln->pix[l]] = RND_INTERIOR;
            return 1;
        }
        if (!bla) {
            if (i >= p_top (last, cx->ev0, i, n)) {
                plain = 1; /* near the orbit's end or max_iter: step here */
                continue;
            }
            break;
        }
        int odd = (i - off) & 1;
        if (n < pu) {
            /* no skip: at an odd m, so that the lane's step B, at an even
             * index whose 2-step radius is 0, cannot skip in the vector */
            if (!odd) {
                plain = 1;
                continue;
            }
            if (i >= p_top (last, pu - 1.0, i, n)) {
                plain = 1;
                continue;
            }
            ln->live[l] = 1.0;
            ln->ev[l] = pu - 1.0;
            break;
        }
        if (n == job->max_iter) { /* the last iteration: no skip, it ends the pixel */
            plain = 1;
            continue;
        }
        /* the scalar kernel skips when the 2-step entry at m is valid for
         * |z|: its radius is in row i + 1 */
        double zn = fabs (x) + fabs (y);
        if (t[4 * (i + 1) + 2] > zn) {
            int steps = 0;
            const rnd_bla_t *b = rnd_bla_lookup (cx->bla[off != (int)cx->off[0]], i - off, zn,
                                                 job->max_iter - n + 1, &steps);
            double nx = fma (b->ax, x, fma (-b->ay, y, fma (b->bx, cr, -(b->by * ci))));
            double ny = fma (b->ax, y, fma (b->ay, x, fma (b->bx, ci, b->by * cr)));
            int j = i + steps;
            double fx = t[4 * j] + nx, fy = t[4 * j + 1] + ny;
            double m2 = rnd_k_mag2 (fx, fy);
            if (m2 > job->bail2) {
                /* escaped somewhere in the skip: redo it step by step */
                pu = n + steps;
                continue;
            }
            i = j;
            n += steps;
            if (i == last || m2 < rnd_k_mag2 (nx, ny)) {
                x = fx;
                y = fy;
                i = off = (int)cx->off[1];
                last = (int)cx->last[1];
            } else {
                x = nx;
                y = ny;
            }
            continue;
        }
        /* 2-step entries start at odd m only, and a pass moves m by 2: at
         * an even m a lane may skip in step B only, which the vector tests */
        if (odd) {
            plain = 1;
            continue;
        }
        if (i >= p_top (last, cx->ev0, i, n)) {
            plain = 1;
            continue;
        }
        ln->live[l] = 2.0;
        ln->ev[l] = cx->ev0;
        break;
    }
    ln->x[l] = x;
    ln->y[l] = y;
    ln->nd[l] = n - i;
    ln->off[l] = off;
    ln->last[l] = last;
    ln->pu[l] = pu;
    p_at (cx, ln, l, i);
    return 0;
}

/* Give lane l the next pixel that is still going once p_scalar took it
 * past top, if it starts there (a short orbit or max_iter); 0 (and an
 * idle lane) when none is left. */
static int
p_next (const p_ctx_t *cx, p_stream_t *st, p_lanes_t *ln, int l, float *out, const int bla)
{
    while (p_fill (cx, st, ln, l))
        if (ln->go[l] < ln->gtop[l] || !p_scalar (cx, ln, l, out, bla, 0))
            return 1;
    return 0;
}

/* One plain step of a vector of lanes from Z at m (z, w) to Z at m + 1
 * (zn, wn): z <- (2 Z + z) z + c, with 2Z + z as fma (2, Z, z) (2Z is exact,
 * so this is the scalar kernel's (Z + Z) + z in one operation), and
 * |Z_m+1 + z|^2 (*m2) and |z|^2 (*zm2) for the escape and rebase tests. */
static inline __attribute__ ((always_inline)) void
p_vstep (V_T z, V_T w, V_T zn, V_T wn, V_T cr, V_T ci, V_T *x, V_T *y, V_T *m2, V_T *zm2)
{
    const V_T two = V_SET1 (2.0);
    V_T ax = V_FMADD (two, z, *x), ay = V_FMADD (two, w, *y);
    V_T nx = V_FMADD (ax, *x, V_FNMADD (ay, *y, cr));
    V_T ny = V_FMADD (ax, *y, V_FMADD (ay, *x, ci));
    V_T fx = V_ADD (zn, nx), fy = V_ADD (wn, ny);
    *m2 = V_FMADD (fx, fx, V_MUL (fy, fy));
    *zm2 = V_FMADD (nx, nx, V_MUL (ny, ny));
    *x = nx;
    *y = ny;
}

/* The events of a step in the lanes of in that ran it: escaped (*esc),
 * rebasing (*reb). Returns the lanes that go on. */
static inline __attribute__ ((always_inline)) V_MASK_T
p_vtest (V_MASK_T in, V_T m2, V_T zm2, V_T b2, V_MASK_T *esc, V_MASK_T *reb)
{
    *esc = V_CMP_M (in, m2, b2, _CMP_GT_OQ);
    V_MASK_T stay = V_MASK_ANDNOT (in, *esc);
    *reb = V_CMP_M (stay, m2, zm2, _CMP_LT_OQ);
    return V_MASK_ANDNOT (stay, *reb);
}

/* The lanes of on that would not skip by BLA before the next step: the
 * 2-step entry at their (odd) m, radius r, is not valid for |z|. */
static inline __attribute__ ((always_inline)) V_MASK_T
p_vnoskip (V_MASK_T on, V_T r, V_T x, V_T y)
{
    return V_MASK_ANDNOT (on, V_CMP_GT (r, V_ADD (V_ABS (x), V_ABS (y))));
}

/* Stream every pixel of st through the lanes into out. */
/* bla: 1 when the job has BLA tables; a constant in each copy (p_run). */
static inline __attribute__ ((always_inline)) void
p_lanes_run (const rnd_kjob_t *job, p_stream_t *st, float *out, const int bla)
{
    const struct rnd_ref *ref = job->ref;
    p_ctx_t cx = { .job = job, .lanes = ref->lanes };
    const rnd_bla_table_t *tabs[2] = { &ref->bla_start, &ref->bla_base };
    const rnd_orbit_t *orbits[2] = { &ref->start, &ref->base };
    for (int o = 0; o < 2; o++) {
        cx.off[o] = o ? ref->lanes_base : 0.0;
        cx.last[o] = cx.off[o] + orbits[o]->len - 1;
        cx.bla[o] = tabs[o];
    }
    cx.ev0 = bla ? job->max_iter - 1.0 : job->max_iter;

    p_lanes_t ln;
    int active = 0;
    for (int l = 0; l < P_LANES; l++)
        active += p_next (&cx, st, &ln, l, out, bla);
    const V_T zero = V_SET1 (0.0), b2 = V_SET1 (job->bail2);
    const V_GO_T go2 = V_GO_SET1 (4 * P_STEPS); /* go of a pass on */

    while (active > 0) {
        uint64_t escbits = 0, endbits = 0, rebbits = 0, stopbits = 0, stop2 = 0, stop3 = 0;
#pragma GCC unroll 16
        for (int c = 0; c < P_CHAINS; c++) {
            const int o = c * V_W;
            V_T x = V_LOAD (&ln.x[o]), y = V_LOAD (&ln.y[o]);
            V_GO_T go = V_GO_LOAD (&ln.go[o]);
            V_T cr = V_LOAD (&ln.cx[o]), ci = V_LOAD (&ln.cy[o]);
            V_T za = V_LOAD (&ln.zr[o]), wa = V_LOAD (&ln.zi[o]);
            /* Z at idx + 1 and idx + 2 and the radius of the 2-step entry at
             * m + 1: rows idx + 1 and idx + 2 of ref->lanes in one load a
             * lane (within the lane's orbit: idx < top); Z at idx is the
             * last pass's Z at its last index. */
            V_T zb, wb, r1, zc, wc, r2;
            V_GATHER6 (cx.lanes, &ln.go[o], zb, wb, r1, zc, wc, r2);
            (void)r1; /* the entry at m: none at an even m (see step A) */
            V_MASK_T adva = V_CMP_GT (V_LOAD (&ln.live[o]), zero), advb, esc, reb;
            V_T m2, zm2;
            /* Step A. The scalar kernel skips by BLA when its lookup
             * finds an entry of 2 or more steps valid for |zx| + |zy|, and
             * as radii shrink with length that is when the 2-step entry at
             * m is; those start at odd m, and a lane that may skip (live 2)
             * enters a pass at an even m (p_scalar): never in step A. */
            p_vstep (za, wa, zb, wb, cr, ci, &x, &y, &m2, &zm2);
            V_MASK_T on = p_vtest (adva, m2, zm2, b2, &esc, &reb);
            /* Step B, in the lanes A left going on and that would not skip
             * now (those stop after A; p_scalar skips). */
            advb = bla ? p_vnoskip (on, r2, x, y) : on;
            p_vstep (zb, wb, zc, wc, cr, ci, &x, &y, &m2, &zm2);
            on = p_vtest (advb, m2, zm2, b2, &esc, &reb);
            /* done: the lanes that ran the pass's last step, which is
             * committed; Z at their new index */
            V_MASK_T done = advb;
            V_T zl = zc, wl = wc;
            stopbits |= (uint64_t)V_MASK_BITS (V_MASK_ANDNOT (adva, advb)) << o;
#if P_STEPS == 4
            /* Steps C and D likewise, from rows idx + 3 and idx + 4 (the
             * skip due at odd m: in step D) */
            V_T zd, wd, r3, ze, we, r4;
            V_GATHER6 (cx.lanes + 8, &ln.go[o], zd, wd, r3, ze, we, r4);
            (void)r3;
            V_MASK_T advc = on;
            p_vstep (zc, wc, zd, wd, cr, ci, &x, &y, &m2, &zm2);
            on = p_vtest (advc, m2, zm2, b2, &esc, &reb);
            done = bla ? p_vnoskip (on, r4, x, y) : on;
            p_vstep (zd, wd, ze, we, cr, ci, &x, &y, &m2, &zm2);
            (void)p_vtest (done, m2, zm2, b2, &esc, &reb);
            zl = ze;
            wl = we;
            stop2 |= (uint64_t)V_MASK_BITS (V_MASK_ANDNOT (advb, advc)) << o;
            stop3 |= (uint64_t)V_MASK_BITS (V_MASK_ANDNOT (advc, done)) << o;
#endif
            /* Lanes now at top or beyond: p_scalar steps them past their
             * orbit's end or ev, which no step of this pass reached. One
             * compare a pass instead of one a step. */
            go = V_GO_ADD (go, go2);
            V_MASK_T end = V_GO_CMP_GE_M (V_MASK_ANDNOT (done, esc), go, V_GO_LOAD (&ln.gtop[o]));
            /* Commit the last step where it ran; lanes that stopped before
             * redo their steps in scalar code (p_scalar: rare, and no
             * blends here). */
            V_GO_MASK_STORE (&ln.go[o], done, go);
            V_MASK_STORE (&ln.x[o], done, x);
            V_MASK_STORE (&ln.y[o], done, y);
            V_MASK_STORE (&ln.zr[o], done, zl);
            V_MASK_STORE (&ln.zi[o], done, wl);
            unsigned e = V_MASK_BITS (esc);
            if (e) /* rare: once a pixel */
                V_STORE (&ln.m2[o], m2);
            escbits |= (uint64_t)e << o;
            endbits |= (uint64_t)V_MASK_BITS (end) << o;
            rebbits |= (uint64_t)V_MASK_BITS (reb) << o;
        }
        if (!(escbits | endbits | rebbits | stopbits | stop2 | stop3))
            continue;

        /* Stopped after step A (C: after B, C): redo it here, then settle
         * (most stop because the next step would skip: the skip is taken
         * now). */
        for (uint64_t b = stopbits | stop2 | stop3; b; b &= b - 1) {
            int l = __builtin_ctzll (b);
            int k = (stopbits >> l & 1) ? 1 : (stop2 >> l & 1) ? 2 : 3;
            if (p_scalar (&cx, &ln, l, out, bla, k))
                active -= !p_next (&cx, st, &ln, l, out, bla);
        }
        /* Escaped in step B at n (stored as n + 1). */
        for (uint64_t b = escbits; b; b &= b - 1) {
            int l = __builtin_ctzll (b);
            out[ln.pix[l]] = rnd_k_smooth (job, p_idx (&ln, l) + (int)ln.nd[l] - 1, ln.m2[l]);
            active -= !p_next (&cx, st, &ln, l, out, bla);
        }
        /* z <- Z_m + z, the same sum the step computed, where |Z_m + z| <
         * |z|. Then lanes at top (near their orbit's end, max_iter, or a
         * change of BLA's rules) and those that may not skip, now at m = 0,
         * settle in p_scalar. */
        for (uint64_t b = rebbits | endbits; b; b &= b - 1) {
            int l = __builtin_ctzll (b);
            if (rebbits >> l & 1)
                p_rebase (&cx, &ln, l, ln.zr[l] + ln.x[l], ln.zi[l] + ln.y[l]);
            /* a rebased lane that may skip, at m = 0 (even) and not at top,
             * goes on in the vector as it is (most rebases) */
            int near = (endbits >> l & 1) || ln.go[l] >= ln.gtop[l];
            if ((near || p_idx (&ln, l) + ln.nd[l] < ln.pu[l]) &&
                p_scalar (&cx, &ln, l, out, bla, 0))
                active -= !p_next (&cx, st, &ln, l, out, bla);
        }
    }
}

static void
p_run (const rnd_kjob_t *job, p_stream_t *st, float *out)
{
    const struct rnd_ref *ref = job->ref;
    if (ref->bla_start.levels >= 2 || ref->bla_base.levels >= 2)
        p_lanes_run (job, st, out, 1);
    else
        p_lanes_run (job, st, out, 0);
}

void
KP_LIST_FN (const rnd_kjob_t *job, rnd_rect_t r, const rnd_xy_t *px, int n, float *out)
{
    p_stream_t st = { n, (int)rnd_rect_px (r) + n, 0, r.x0, r.y0, r.x0, r.x1, px };
    p_run (job, &st, out);
}
