/* cmd_bench_deep.c: `p2pfractal bench deep` -- single-thread throughput of
 * every perturbation kernel (scalar, AVX2, AVX-512) at fixed deep views,
 * beside the scalar one in the same run, the cost of their reference
 * orbits, and the scalar double kernel at a view both can render. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_opts.h"
#include "cli.h"
#include "commands.h"
#include "deep_views.h"
#include "kernel.h"

static const char s_usage[] =
    "Usage: p2pfractal bench deep [--runs N] [--size WxH] [--quick] [--json]\n"
    "   or: p2pfractal bench deep -h|--help|-V|--version\n"
    "Single-thread perturbation throughput (G iterations/s) and reference-orbit\n"
    "time at fixed views around a Misiurewicz point (widths 1e-10 to 1e-1000),\n"
    "beside the scalar double kernel at 1e-10, where doubles still work.\n"
    "Kernels: 'plain' perturbation, 'bla' with bilinear approximation (the\n"
    "default), '-fe' with tiny deltas in floatexp (forced at 1e-50; the\n"
    "default below 1e-290). Each kernel runs in every variant this CPU has\n"
    "(scalar, avx2, avx512; floatexp: scalar only), interleaved within each\n"
    "run; 'x scalar' is the scalar variant's time over the row's, and every\n"
    "variant's image must equal the scalar one's bit for bit. Median of N runs.\n"
    "\n"
    "Options:\n"
    "      --runs N              runs per view, 1..64 (default 3)\n"
    "      --size WxH            image size: W and H 1..16384, W*H at most\n"
    "                            134217728 (default 128x128)\n"
    "      --quick               1 run each at 32x32 (a smoke test, not a\n"
    "                            measurement)\n"
    "      --json                a JSON list of {kernel, variant, width,\n"
    "                            max_iter, giter_per_s, x_scalar, iterations,\n"
    "                            seconds, reference_s, reference_bits}\n" APP_HELP_HELP "\n"
    "Examples:\n"
    "  p2pfractal bench deep\n"
    "  p2pfractal bench deep --quick --json\n"
    "\n"
    "Exit status: 0 measured; 1 out of memory or a variant differs from scalar;\n"
    "2 a bad command line.\n";

static void
s_help (FILE *out)
{
    fputs (s_usage, out);
}

typedef struct {
    const char *width; /* decimal text */
    int max_iter;
    int flags; /* -1: the scalar double kernel; else rnd_kjob_prepare's */
} s_deep_view_t;

/* clang-format off: one view a line */
static const s_deep_view_t s_views[] = {
    { "1e-10", 4000, -1 },
    { "1e-10", 4000, RND_KJOB_PERTURB | RND_KJOB_NO_BLA },
    { "1e-10", 4000, RND_KJOB_PERTURB },
    { "1e-50", 8000, RND_KJOB_NO_BLA },
    { "1e-50", 8000, 0 },
    { "1e-50", 8000, RND_KJOB_FLOATEXP | RND_KJOB_NO_BLA },
    { "1e-50", 8000, RND_KJOB_FLOATEXP },
    { "1e-100", 12000, RND_KJOB_NO_BLA },
    { "1e-100", 12000, 0 },
    /* the yardstick: ~1e-113, ~35,000 iterations */
    { "1e-113", 35000, RND_KJOB_NO_BLA },
    { "1e-113", 35000, 0 },
    { "1e-200", 20000, 0 },
    { "1e-300", 30000, 0 }, /* floatexp from here: below RND_FLOATEXP_WIDTH */
    { "1e-400", 30000, 0 },
    { "1e-1000", 70000, 0 },
};
/* clang-format on */

/* The variants measured: the scalar kernel first (the reference of
 * x_scalar), then the SIMD ones this CPU has. */
static const rnd_kernel_t s_variants[] = { RND_KERNEL_SCALAR, RND_KERNEL_AVX2, RND_KERNEL_AVX512 };
#define S_NVAR (sizeof s_variants / sizeof s_variants[0])

typedef struct {
    const char *kernel;  /* plain, bla, plain-fe, bla-fe; scalar: the double kernel */
    const char *variant; /* scalar, avx2, avx512 */
    const char *width;
    int max_iter;
    uint64_t iterations;
    double seconds, ref_s, x_scalar;
    long ref_bits;
} s_row_t;

static double
s_giter (const s_row_t *r)
{
    return r->iterations / r->seconds / 1e9;
}

/* Measures one view with every variant that has a kernel of its own for
 * it (floatexp jobs and the double kernel's row: the scalar one only),
 * runs times, the variants interleaved within each run so that the
 * machine's noise falls on all alike. Every variant's image must equal the
 * scalar one's, bit for bit. Appends its rows to rows; returns how many. */
static int
s_measure (const s_deep_view_t *dv, int w, int h, int runs, float *out, float *ref, s_row_t *rows)
{
    rnd_view_t v;
    rnd_view_default (&v);
    v.width_px = w;
    v.height_px = h;
    v.max_iter = dv->max_iter;
    if (rnd_view_set_center_text (&v, BENCH_MIS_RE, BENCH_MIS_IM) ||
        rnd_view_set_width_text (&v, dv->width)) {
        fprintf (stderr, "p2pfractal: internal error: bad bench view\n");
        exit (APP_EXIT_FAIL);
    }
    double t[S_NVAR][64], r[64];
    char err[256];
    int nvar = 1;
    const char *kernel = "scalar";
    for (int i = 0; i < runs; i++) {
        rnd_kjob_t job;
        double t0 = app_now_s ();
        if (rnd_kjob_prepare (&job, &v, dv->flags < 0 ? 0 : dv->flags, err, sizeof err)) {
            fprintf (stderr, "p2pfractal: %s\n", err);
            exit (APP_EXIT_FAIL);
        }
        r[i] = app_now_s () - t0;
        int bla = !(dv->flags & RND_KJOB_NO_BLA);
        kernel = !job.perturb   ? "scalar"
                 : job.floatexp ? (bla ? "bla-fe" : "plain-fe")
                                : (bla ? "bla" : "plain");
        nvar = job.perturb && !job.floatexp ? (int)S_NVAR : 1;
        for (int k = 0; k < nvar; k++) {
            if (!rnd_kernel_supported (s_variants[k])) {
                t[k][i] = 0.0;
                continue;
            }
            float *dst = k ? out : ref;
            double t1 = app_now_s ();
            rnd_kernel_run (s_variants[k], &job, 0, h, dst);
            t[k][i] = app_now_s () - t1;
            if (k && memcmp (out, ref, (size_t)w * h * sizeof *out) != 0) {
                fprintf (stderr, "p2pfractal: internal error: %s differs from scalar at %s\n",
                         rnd_kernel_name (s_variants[k]), dv->width);
                exit (APP_EXIT_FAIL);
            }
        }
        rows[0].ref_bits = rnd_kjob_ref_bits (&job);
        rnd_kjob_release (&job);
    }
    uint64_t iterations = 0;
    for (size_t i = 0; i < (size_t)w * h; i++)
        iterations += rnd_smooth_iterations (ref[i], v.max_iter);
    int n = 0;
    for (int k = 0; k < nvar; k++) {
        if (!rnd_kernel_supported (s_variants[k]))
            continue;
        s_row_t *row = &rows[n++];
        row->kernel = kernel;
        row->variant = rnd_kernel_name (s_variants[k]);
        row->width = dv->width;
        row->max_iter = dv->max_iter;
        row->iterations = iterations;
        row->seconds = app_bench_median (t[k], runs);
        row->x_scalar = rows[0].seconds / row->seconds;
        row->ref_s = dv->flags < 0 ? 0.0 : app_bench_median (r, runs);
        row->ref_bits = rows[0].ref_bits;
    }
    return n;
}

int
app_cmd_bench_deep (int argc, char **argv)
{
    app_bench_opts_t o = {
        .runs = 3,
        .runs_max = 64,
        .w = 128,
        .h = 128,
        .quick_w = 32,
        .quick_h = 32,
    };
    int done = app_bench_opts_parse (&o, argc, argv, "bench deep", s_help);
    if (done >= 0)
        return done;
    int runs = o.runs, json = o.json, w = o.w, h = o.h;
    size_t nv = sizeof s_views / sizeof s_views[0];
    s_row_t rows[sizeof s_views / sizeof s_views[0] * S_NVAR];
    float *out = malloc ((size_t)w * h * sizeof *out), *ref = malloc ((size_t)w * h * sizeof *ref);
    if (!out || !ref) {
        free (out);
        free (ref);
        fprintf (stderr, "p2pfractal: out of memory\n");
        return APP_EXIT_FAIL;
    }
    if (!json)
        printf ("%-8s %-8s %-7s %9s %9s %8s %14s %10s %13s %9s\n", "width", "kernel", "variant",
                "max_iter", "G iter/s", "x scalar", "iterations", "seconds", "reference s",
                "ref bits");
    size_t n = 0;
    for (size_t i = 0; i < nv; i++) {
        int got = s_measure (&s_views[i], w, h, runs, out, ref, &rows[n]);
        for (int k = 0; !json && k < got; k++) {
            const s_row_t *r = &rows[n + k];
            printf ("%-8s %-8s %-7s %9d %9.4f %8.2f %14llu %10.4f %13.4f %9ld\n", r->width,
                    r->kernel, r->variant, r->max_iter, s_giter (r), r->x_scalar,
                    (unsigned long long)r->iterations, r->seconds, r->ref_s, r->ref_bits);
            fflush (stdout);
        }
        n += (size_t)got;
    }
    free (out);
    free (ref);
    if (json) {
        printf ("[\n");
        for (size_t i = 0; i < n; i++)
            printf ("  {\"kernel\": \"%s\", \"variant\": \"%s\", \"width\": \"%s\", "
                    "\"max_iter\": %d, \"giter_per_s\": %.6f, \"x_scalar\": %.4f, "
                    "\"iterations\": %llu, \"seconds\": %.6f, \"reference_s\": %.6f, "
                    "\"reference_bits\": %ld}%s\n",
                    rows[i].kernel, rows[i].variant, rows[i].width, rows[i].max_iter,
                    s_giter (&rows[i]), rows[i].x_scalar, (unsigned long long)rows[i].iterations,
                    rows[i].seconds, rows[i].ref_s, rows[i].ref_bits, i + 1 < n ? "," : "");
        printf ("]\n");
    }
    return APP_EXIT_OK;
}
