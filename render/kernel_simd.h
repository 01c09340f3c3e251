/* kernel_simd.h: the SIMD escape-time kernel, written once over a handful
 * of vector macros and included by kernel_avx2.c and kernel_avx512.c.
 *
 * Why it is fast:
 *   - K_CHAINS independent vectors are iterated together, so the 8-cycle
 *     dependency of one iteration (fma -> fma) is hidden behind the others
 *     and both FMA ports stay busy;
 *   - the body is 4 operations per iteration (add, fnmadd, fmadd, fmadd);
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
 * V_MUL, V_FMADD (a*b+c), V_FNMADD (-(a*b)+c), V_ESC_BITS(m, b2) (lanes with
 * !(m <= b2)), V_GT_BITS(m, b2) (lanes with m > b2), K_CHAINS and K_FN. */

#define K_LANES (K_CHAINS * V_W)
#define K_QUEUE 512 /* entries awaiting exact resolution; a multiple of 64 */

typedef struct {
    _Alignas(64) double x[K_QUEUE];  /* saved z, real */
    _Alignas(64) double y[K_QUEUE];  /* saved z, imaginary */
    _Alignas(64) double cr[K_QUEUE]; /* c, real */
    _Alignas(64) double ci[K_QUEUE]; /* c, imaginary */
    _Alignas(64) double m2[K_QUEUE]; /* |z_n|^2 at the escape, once resolved */
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

typedef struct {
    const rnd_kjob_t *job;
    int y0;     /* first row of the band */
    int npix;   /* pixels in the band */
    int next;   /* next pixel to hand to a lane */
    float *out; /* the band's output */
} s_stream_t;

/* Give lane l the next pixel that needs iterating (interior pixels are
 * written on the way). Returns 0 and idles the lane when none is left. */
static inline int
s_fill (s_stream_t *st, s_lanes_t *ln, int l, int64_t now)
{
    const rnd_kjob_t *job = st->job;
    while (st->next < st->npix) {
        int p = st->next++;
        double pr, pi;
        rnd_k_pixel (job, p % job->width_px, st->y0 + p / job->width_px, &pr, &pi);
        if (!job->julia && job->interior_check && rnd_k_interior (pr, pi)) {
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

static void
s_resolve (const rnd_kjob_t *job, s_queue_t *q, float *out)
{
    const V_T b2 = V_SET1 (job->bail2);
    const uint64_t all = K_RSPAN == 64 ? ~0ull : (1ull << K_RSPAN) - 1;
    _Alignas(64) double m2[K_RSPAN];
    int padded = (q->len + K_RSPAN - 1) / K_RSPAN * K_RSPAN;
    for (int e = q->len; e < padded; e++) {
        q->x[e] = q->y[e] = q->cr[e] = q->ci[e] = 0.0;
        q->n[e] = 0;
    }
    for (int g = 0; g < q->len; g += K_RSPAN) {
        int cnt = q->len - g < K_RSPAN ? q->len - g : K_RSPAN;
        uint64_t found = cnt == 64 ? 0 : all & ~((1ull << cnt) - 1);
        V_T x[K_RGROUPS], y[K_RGROUPS], cr[K_RGROUPS], ci[K_RGROUPS], m[K_RGROUPS];
#pragma GCC unroll 16
        for (int r = 0; r < K_RGROUPS; r++) {
            x[r] = V_LOAD (&q->x[g + r * V_W]);
            y[r] = V_LOAD (&q->y[g + r * V_W]);
            cr[r] = V_LOAD (&q->cr[g + r * V_W]);
            ci[r] = V_LOAD (&q->ci[g + r * V_W]);
        }
        for (int i = 1; i <= RND_BLOCK_ITERS && found != all; i++) {
            uint64_t bits = 0;
#pragma GCC unroll 16
            for (int r = 0; r < K_RGROUPS; r++) {
                V_T a = V_ADD (x[r], x[r]);
                V_T t = V_FNMADD (y[r], y[r], cr[r]);
                x[r] = V_FMADD (x[r], x[r], t);
                y[r] = V_FMADD (a, y[r], ci[r]);
                m[r] = V_FMADD (x[r], x[r], V_MUL (y[r], y[r]));
                bits |= (uint64_t)V_GT_BITS (m[r], b2) << (r * V_W);
            }
            bits &= ~found;
            if (!bits)
                continue;
            found |= bits;
#pragma GCC unroll 16
            for (int r = 0; r < K_RGROUPS; r++)
                V_STORE (&m2[r * V_W], m[r]);
            for (; bits; bits &= bits - 1) {
                int l = __builtin_ctzll (bits);
                q->n[g + l] += i;
                q->m2[g + l] = m2[l];
            }
        }
        /* An entry never found would be one whose block-end test saw NaN
         * without an escape before it: impossible for finite input, but
         * mark it so no pixel is left unwritten. */
        for (uint64_t rest = all & ~found; rest; rest &= rest - 1)
            q->n[g + __builtin_ctzll (rest)] = INT32_MAX;
    }
    rnd_k_finish (job, q->n, q->m2, q->pix, q->len, q->tmp, out);
    q->len = 0;
}

void
K_FN (const rnd_kjob_t *job, int y0, int y1, float *out)
{
    s_stream_t st = { job, y0, (y1 - y0) * job->width_px, 0, out };
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
#pragma GCC unroll 16
        for (int k = 0; k < RND_BLOCK_ITERS; k++) {
#pragma GCC unroll 16
            for (int c = 0; c < K_CHAINS; c++) {
                V_T a = V_ADD (x[c], x[c]);
                V_T t = V_FNMADD (y[c], y[c], cr[c]);
                x[c] = V_FMADD (x[c], x[c], t);
                y[c] = V_FMADD (a, y[c], ci[c]);
            }
        }
        uint64_t esc = 0;
#pragma GCC unroll 16
        for (int c = 0; c < K_CHAINS; c++) {
            V_T m = V_FMADD (x[c], x[c], V_MUL (y[c], y[c]));
            esc |= (uint64_t)V_ESC_BITS (m, b2) << (c * V_W);
        }
        /* Queue escaped lanes from their saved (block-start) state before
         * the new state overwrites it. */
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
