/* kernel_simd.h: the SIMD escape-time kernel, written once over a handful
 * of vector macros and included by kernel_avx2.c and kernel_avx512.c.
 *
 * Why it is fast:
 *   - K_CHAINS independent vectors are iterated together, so the 8-cycle
 *     dependency of one iteration (fma -> fma) is hidden behind the others
 *     and both FMA ports stay busy;
 *   - the body is 4-5 operations per iteration (see rnd_k_step);
 *     |z|^2 is tested once per RND_BLOCK_ITERS iterations, not every time;
 *   - lanes are refilled with the next pixel as soon as theirs finishes, so
 *     no lane idles until the band's pixels run out.
 * Why it is exact: the state at the start of each block stays in memory. A
 * lane that tests as escaped at the end of a block (or has NaN/inf there) is
 * queued with that saved state and later re-run with a test after every
 * iteration, which finds the same first n as the scalar reference. |z| only
 * grows once past the bailout (R >= max(2, |c|), enforced by validation), so
 * a lane that has not escaped at a block's end did not escape within it.
 *
 * The including file defines: V_T, V_W, V_SET1, V_LOAD, V_STORE, V_ADD,
 * V_SUB, V_MUL, V_FMADD (a*b+c), V_FNMADD (-(a*b)+c), V_ESC_BITS(m, b2) (bits of the
 * lanes with !(m <= b2)), V_MASK_T with V_CMP_GT, V_CMP_EQ, V_MASK_AND and
 * V_BLEND(mask, if_clear, if_set), K_CHAINS, K_FN (a rectangle), K_LIST_FN
 * (a list of pixels) and K_LANES_DECLARED (what rnd_kernel_lanes says). */

#define K_LANES (K_CHAINS * V_W)
_Static_assert(K_LANES <= 64, "escape bits of all lanes must fit one uint64_t");
_Static_assert(K_LANES == K_LANES_DECLARED, "rnd_kernel_lanes must tell the truth");
#define K_QUEUE 512 /* entries awaiting exact resolution; a multiple of 64 */

/* rnd_k_step on vectors; n (the iteration's number within the block, from
 * 1) is a compile-time constant wherever this is unrolled, so the parity
 * test costs nothing. */
#define S_STEP(x, y, cr, ci, n)                                                                    \
    do {                                                                                           \
        V_T a_ = V_ADD ((x), (x));                                                                 \
        V_T xn_;                                                                                   \
        if ((n)&1) {                                                                               \
            xn_ = V_FMADD (V_ADD ((x), (y)), V_SUB ((x), (y)), (cr));                              \
        } else {                                                                                   \
            xn_ = V_FMADD ((x), (x), V_FNMADD ((y), (y), (cr)));                                   \
        }                                                                                          \
        (y) = V_FMADD (a_, (y), (ci));                                                             \
        (x) = xn_;                                                                                 \
    } while (0)

typedef struct {
    _Alignas(64) double x[K_QUEUE];  /* saved z, real */
    _Alignas(64) double y[K_QUEUE];  /* saved z, imaginary */
    _Alignas(64) double cr[K_QUEUE]; /* c, real */
    _Alignas(64) double ci[K_QUEUE]; /* c, imaginary */
    _Alignas(64) double m2[K_QUEUE]; /* |z_n|^2 at the escape, once resolved */
    _Alignas(64) double at[K_QUEUE]; /* escape step within the block, 1-based */
    int n[K_QUEUE];                  /* iterations done at the saved state;
                                        the escape iteration once resolved */
    int pix[K_QUEUE];                /* output index */
    float tmp[K_QUEUE];              /* finished smooth values */
    int len;                         /* entries in use */
} s_queue_t;

typedef struct {
    _Alignas(64) double x[K_LANES]; /* z at the start of the current block */
    _Alignas(64) double y[K_LANES];
    _Alignas(64) double cr[K_LANES]; /* c of the lane's pixel (or Julia c) */
    _Alignas(64) double ci[K_LANES];
    int64_t start[K_LANES]; /* block counter when the lane started */
    int pix[K_LANES];       /* output index, -1 when idle */
} s_lanes_t;

/* The pixels a run hands to its lanes: a list of pixels (the spot checks
 * of received slices) and then a rectangle's (a slice, or a band of whole
 * rows), row by row; either may be empty. The list goes first so that its
 * slow pixels start early and finish among the rectangle's, not in a tail
 * of idle lanes. The rectangle's output comes first in out, the list's
 * after it. */
typedef struct {
    const rnd_kjob_t *job;
    int interior;         /* test the rectangle's pixels against the cardioid and bulb */
    int interior_list;    /* and the list's */
    int nlist;            /* pixels in the list (streamed first) */
    int npix;             /* pixels in the list and the rectangle */
    int next;             /* next pixel to hand to a lane (index in the stream) */
    int next_x;           /* rectangle: its column */
    int next_y;           /* rectangle: its row */
    int x0, x1;           /* rectangle: its columns */
    const rnd_xy_t *list; /* the list, or NULL */
    float *out;           /* the rectangle's output, then the list's */
} s_stream_t;

/* Give lane l the next pixel that needs iterating (interior pixels are
 * written on the way). Returns 0 and idles the lane when none is left. */
static inline __attribute__ ((always_inline)) int
s_fill (s_stream_t *st, s_lanes_t *ln, int l, int64_t now)
{
    const rnd_kjob_t *job = st->job;
    while (st->next < st->npix) {
        int s = st->next++, p, interior;
        double pr, pi;
        if (s < st->nlist) {
            rnd_k_pixel (job, st->list[s].x, st->list[s].y, &pr, &pi);
            p = st->npix - st->nlist + s;
            interior = st->interior_list;
        } else {
            rnd_k_pixel (job, st->next_x, st->next_y, &pr, &pi);
            if (++st->next_x == st->x1) {
                st->next_x = st->x0;
                st->next_y++;
            }
            p = s - st->nlist;
            interior = st->interior;
        }
        if (interior && rnd_k_interior (pr, pi)) {
            st->out[p] = RND_INTERIOR;
            continue;
        }
        ln->x[l] = job->julia ? pr : 0.0;
        ln->y[l] = job->julia ? pi : 0.0;
        ln->cr[l] = job->julia ? job->julia_re : pr;
        ln->ci[l] = job->julia ? job->julia_im : pi;
        ln->start[l] = now;
        ln->pix[l] = p;
        return 1;
    }
    /* z = c = 0 stays 0: an idle lane never tests as escaped. */
    ln->x[l] = ln->y[l] = ln->cr[l] = ln->ci[l] = 0.0;
    ln->pix[l] = -1;
    return 0;
}

/* Find the exact escape iteration of every queued entry: re-run up to one
 * block from the saved state, testing after each iteration. K_RGROUPS
 * vectors are re-run together so their latencies overlap; the smooth values
 * are finished afterwards in a plain loop whose iterations are independent. */
#define K_RGROUPS 4
#define K_RSPAN (K_RGROUPS * V_W)
_Static_assert(K_QUEUE % K_RSPAN == 0, "the queue is resolved K_RSPAN entries at a time");
_Static_assert(K_QUEUE > K_LANES, "a block can queue every lane");

static void
s_resolve (const rnd_kjob_t *job, s_queue_t *q, float *out)
{
    const V_T b2 = V_SET1 (job->bail2);
    const V_T zero = V_SET1 (0.0);
    int padded = (q->len + K_RSPAN - 1) / K_RSPAN * K_RSPAN;
    for (int e = q->len; e < padded; e++)
        q->x[e] = q->y[e] = q->cr[e] = q->ci[e] = 0.0; /* never escapes */
    for (int g = 0; g < q->len; g += K_RSPAN) {
        V_T x[K_RGROUPS], y[K_RGROUPS], cr[K_RGROUPS], ci[K_RGROUPS];
        V_T at[K_RGROUPS], m2[K_RGROUPS]; /* escape step (0: not yet), |z|^2 there */
#pragma GCC unroll 16
        for (int r = 0; r < K_RGROUPS; r++) {
            x[r] = V_LOAD (&q->x[g + r * V_W]);
            y[r] = V_LOAD (&q->y[g + r * V_W]);
            cr[r] = V_LOAD (&q->cr[g + r * V_W]);
            ci[r] = V_LOAD (&q->ci[g + r * V_W]);
            at[r] = m2[r] = zero;
        }
        /* The whole block, without branches: an entry's first step past the
         * bailout is recorded with masked moves. Stopping early would save
         * little -- the last of 32 entries usually escapes late. */
        for (int i = 1; i <= RND_BLOCK_ITERS; i++) {
            const V_T step = V_SET1 ((double)i);
#pragma GCC unroll 16
            for (int r = 0; r < K_RGROUPS; r++) {
                S_STEP (x[r], y[r], cr[r], ci[r], i);
                V_T m = V_FMADD (x[r], x[r], V_MUL (y[r], y[r]));
                V_MASK_T first = V_MASK_AND (V_CMP_GT (m, b2), V_CMP_EQ (at[r], zero));
                at[r] = V_BLEND (first, at[r], step);
                m2[r] = V_BLEND (first, m2[r], m);
            }
        }
#pragma GCC unroll 16
        for (int r = 0; r < K_RGROUPS; r++) {
            V_STORE (&q->at[g + r * V_W], at[r]);
            V_STORE (&q->m2[g + r * V_W], m2[r]);
        }
    }
    /* An entry whose block-end test said "escaped" but whose re-run finds
     * no escape must have had NaN at the block end. rnd_view_validate bounds
     * views so that z cannot overflow into NaN before it escapes, but the
     * marker keeps even such a pixel well-defined (interior) rather than
     * trusting that: max_iter + 1 fails the finisher's n <= max_iter. */
    for (int e = 0; e < q->len; e++)
        q->n[e] = q->at[e] > 0.0 ? q->n[e] + (int)q->at[e] : job->max_iter + 1;
    rnd_k_finish (job, q->n, q->m2, q->pix, q->len, q->tmp, out);
    q->len = 0;
}

/* Stream every pixel of st through the lanes. Inlined into both entry
 * points, so the band's copy knows it has no list. */
static inline __attribute__ ((always_inline)) void
s_run (s_stream_t *stp)
{
    s_stream_t st = *stp;
    const rnd_kjob_t *job = st.job;
    float *out = st.out;
    s_lanes_t ln;
    s_queue_t q;
    q.len = 0;
    int64_t now = 0; /* iterations every lane has advanced, in blocks of K */
    int active = 0;
    for (int l = 0; l < K_LANES; l++)
        active += s_fill (&st, &ln, l, now);
    int64_t next_expiry = now + job->max_iter;
    const V_T b2 = V_SET1 (job->bail2);

    while (active > 0) {
        V_T x[K_CHAINS], y[K_CHAINS], cr[K_CHAINS], ci[K_CHAINS];
#pragma GCC unroll 16
        for (int c = 0; c < K_CHAINS; c++) {
            x[c] = V_LOAD (&ln.x[c * V_W]);
            y[c] = V_LOAD (&ln.y[c * V_W]);
            cr[c] = V_LOAD (&ln.cr[c * V_W]);
            ci[c] = V_LOAD (&ln.ci[c * V_W]);
        }
#pragma GCC unroll 32
        for (int k = 0; k < RND_BLOCK_ITERS; k++) {
#pragma GCC unroll 16
            for (int c = 0; c < K_CHAINS; c++)
                S_STEP (x[c], y[c], cr[c], ci[c], k + 1);
        }
        uint64_t esc = 0;
#pragma GCC unroll 16
        for (int c = 0; c < K_CHAINS; c++) {
            V_T m = V_FMADD (x[c], x[c], V_MUL (y[c], y[c]));
            esc |= (uint64_t)V_ESC_BITS (m, b2) << (c * V_W);
        }
        /* Queue escaped lanes from their saved (block-start) state before
         * the new state overwrites it. (Saving the half-way state too, to
         * re-run only half a block, measured slower: the stores cost more
         * than the shorter re-run saves.) */
        for (uint64_t b = esc; b; b &= b - 1) {
            int l = __builtin_ctzll (b);
            if (ln.pix[l] < 0)
                continue;
            q.x[q.len] = ln.x[l];
            q.y[q.len] = ln.y[l];
            q.cr[q.len] = ln.cr[l];
            q.ci[q.len] = ln.ci[l];
            q.n[q.len] = (int)(now - ln.start[l]);
            q.pix[q.len] = ln.pix[l];
            q.len++;
        }
#pragma GCC unroll 16
        for (int c = 0; c < K_CHAINS; c++) {
            V_STORE (&ln.x[c * V_W], x[c]);
            V_STORE (&ln.y[c * V_W], y[c]);
        }
        now += RND_BLOCK_ITERS;
        for (uint64_t b = esc; b; b &= b - 1) {
            int l = __builtin_ctzll (b);
            if (ln.pix[l] >= 0)
                active -= !s_fill (&st, &ln, l, now);
        }
        /* Lanes that ran max_iter iterations without escaping are interior. */
        if (now >= next_expiry) {
            next_expiry = INT64_MAX;
            for (int l = 0; l < K_LANES; l++) {
                if (ln.pix[l] < 0)
                    continue;
                if (now - ln.start[l] >= job->max_iter) {
                    out[ln.pix[l]] = RND_INTERIOR;
                    if (!s_fill (&st, &ln, l, now)) {
                        active--;
                        continue;
                    }
                }
                if (ln.start[l] + job->max_iter < next_expiry)
                    next_expiry = ln.start[l] + job->max_iter;
            }
        }
        if (q.len > K_QUEUE - K_LANES)
            s_resolve (job, &q, out);
    }
    s_resolve (job, &q, out);
}

void
K_FN (const rnd_kjob_t *job, rnd_rect_t r, float *out)
{
    int npx = (int)rnd_rect_px (r);
    int interior = npx && !job->julia && job->interior_check && rnd_k_rect_may_be_interior (job, r);
    s_stream_t st = { job, interior, 0, 0, npx, 0, r.x0, r.y0, r.x0, r.x1, NULL, out };
    s_run (&st);
}

/* The list's pixels may be anywhere: each is tested against the interior
 * shortcuts (which, being exact, give what a rectangle's render gives). */
void
K_LIST_FN (const rnd_kjob_t *job, rnd_rect_t r, const rnd_xy_t *px, int n, float *out)
{
    int npx = (int)rnd_rect_px (r);
    int mandel = !job->julia && job->interior_check;
    int interior = npx && mandel && rnd_k_rect_may_be_interior (job, r);
    s_stream_t st = { job, interior, mandel, n, npx + n, 0, r.x0, r.y0, r.x0, r.x1, px, out };
    s_run (&st);
}
