/* cmd_bench_deep.c: `p2pfractal bench deep` -- single-thread throughput of
 * the perturbation kernel at fixed deep views, and the cost of their
 * reference orbits, beside the scalar double kernel at a view both can
 * render, in one run. */
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
    "default below 1e-290). Median of N runs.\n"
    "\n"
    "Options:\n"
    "      --runs N              runs per view, 1..64 (default 3)\n"
    "      --size WxH            image size: W and H 1..16384, W*H at most\n"
    "                            134217728 (default 128x128)\n"
    "      --quick               1 run each at 32x32 (a smoke test, not a\n"
    "                            measurement)\n"
    "      --json                a JSON list of {kernel, width, max_iter,\n"
    "                            giter_per_s, iterations, seconds, reference_s,\n"
    "                            reference_bits}\n" APP_HELP_HELP "\n"
    "Examples:\n"
    "  p2pfractal bench deep\n"
    "  p2pfractal bench deep --quick --json\n"
    "\n"
    "Exit status: 0 measured; 1 out of memory; 2 a bad command line.\n";

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
    { "1e-113", 35000, 0 }, /* the yardstick: ~1e-113, ~35,000 iterations */
    { "1e-200", 20000, 0 },
    { "1e-300", 30000, 0 }, /* floatexp from here: below RND_FLOATEXP_WIDTH */
    { "1e-400", 30000, 0 },
    { "1e-1000", 70000, 0 },
};
/* clang-format on */

typedef struct {
    const char *kernel;
    const char *width;
    int max_iter;
    uint64_t iterations;
    double seconds, ref_s;
    long ref_bits;
} s_row_t;

static void
s_measure (const s_deep_view_t *dv, int w, int h, int runs, float *out, s_row_t *row)
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
    double t[64], r[64];
    char err[256];
    for (int i = 0; i < runs; i++) {
        rnd_kjob_t job;
        double t0 = app_now_s ();
        if (rnd_kjob_prepare (&job, &v, dv->flags < 0 ? 0 : dv->flags, err, sizeof err)) {
            fprintf (stderr, "p2pfractal: %s\n", err);
            exit (APP_EXIT_FAIL);
        }
        double t1 = app_now_s ();
        rnd_kernel_run (RND_KERNEL_SCALAR, &job, 0, h, out);
        t[i] = app_now_s () - t1;
        int bla = !(dv->flags & RND_KJOB_NO_BLA);
        row->kernel = !job.perturb   ? "scalar"
                      : job.floatexp ? (bla ? "bla-fe" : "plain-fe")
                                     : (bla ? "bla" : "plain");
        r[i] = t1 - t0;
        row->ref_bits = rnd_kjob_ref_bits (&job);
        rnd_kjob_release (&job);
    }

    row->width = dv->width;
    row->max_iter = dv->max_iter;
    row->iterations = 0;
    for (size_t i = 0; i < (size_t)w * h; i++)
        row->iterations += rnd_smooth_iterations (out[i], v.max_iter);
    row->seconds = app_bench_median (t, runs);
    row->ref_s = dv->flags < 0 ? 0.0 : app_bench_median (r, runs);
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
    size_t n = sizeof s_views / sizeof s_views[0];
    s_row_t rows[sizeof s_views / sizeof s_views[0]];
    float *out = malloc ((size_t)w * h * sizeof *out);
    if (!out) {
        fprintf (stderr, "p2pfractal: out of memory\n");
        return APP_EXIT_FAIL;
    }
    if (!json)
        printf ("%-8s %-8s %9s %9s %14s %10s %13s %9s\n", "width", "kernel", "max_iter", "G iter/s",
                "iterations", "seconds", "reference s", "ref bits");
    for (size_t i = 0; i < n; i++) {
        s_measure (&s_views[i], w, h, runs, out, &rows[i]);
        if (!json) {
            printf ("%-8s %-8s %9d %9.4f %14llu %10.4f %13.4f %9ld\n", rows[i].width,
                    rows[i].kernel, rows[i].max_iter, rows[i].iterations / rows[i].seconds / 1e9,
                    (unsigned long long)rows[i].iterations, rows[i].seconds, rows[i].ref_s,
                    rows[i].ref_bits);
            fflush (stdout);
        }
    }
    free (out);
    if (json) {
        printf ("[\n");
        for (size_t i = 0; i < n; i++)
            printf ("  {\"kernel\": \"%s\", \"width\": \"%s\", \"max_iter\": %d, "
                    "\"giter_per_s\": %.6f, \"iterations\": %llu, \"seconds\": %.6f, "
                    "\"reference_s\": %.6f, \"reference_bits\": %ld}%s\n",
                    rows[i].kernel, rows[i].width, rows[i].max_iter,
                    rows[i].iterations / rows[i].seconds / 1e9,
                    (unsigned long long)rows[i].iterations, rows[i].seconds, rows[i].ref_s,
                    rows[i].ref_bits, i + 1 < n ? "," : "");
        printf ("]\n");
    }
    return APP_EXIT_OK;
}
