/* cmd_bench.c: `p2pfractal bench kernel` -- single-thread throughput of every
 * kernel variant this CPU has, beside the naive baseline, in one run, so the
 * ratios do not depend on what the machine did at another time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_opts.h"
#include "cli.h"
#include "commands.h"
#include "kernel.h"
#include "naive.h"

static const char s_usage[] =
    "Usage: p2pfractal bench kernel [--runs N] [--size WxH] [--quick] [--json]\n"
    "   or: p2pfractal bench deep [--runs N] [--size WxH] [--quick] [--json]\n"
    "   or: p2pfractal bench [kernel|deep] -h|--help|-V|--version\n"
    "Single-thread G iterations/s of every kernel this CPU supports, on the\n"
    "full-set view and seahorse valley (1920x1080), beside two plain -O2\n"
    "loops: 'naive' (the textbook loop, the yardstick of every ratio) and\n"
    "'naive-x2' (the common form that reuses x^2 and y^2). Median of N runs\n"
    "(the slow scalar reference runs once). 'bench deep' times perturbation\n"
    "at deep views instead ('p2pfractal bench deep --help').\n"
    "\n"
    "Options:\n"
    "      --runs N              runs per variant and view, 1..1000 (default 5)\n"
    "      --size WxH            image size: W and H 1..16384, W*H at most\n"
    "                            134217728 (default 1920x1080)\n"
    "      --quick               1 run each at 480x270 (a smoke test, not a\n"
    "                            measurement)\n"
    "      --json                a JSON list of {kernel, view, interior_check,\n"
    "                            giter_per_s, iterations, seconds, seconds_min,\n"
    "                            seconds_max, ratio_vs_naive}\n" APP_HELP_HELP "\n"
    "Examples:\n"
    "  p2pfractal bench kernel\n"
    "  p2pfractal bench kernel --quick --json\n"
    "\n"
    "Exit status: 0 measured; 1 out of memory; 2 a bad command line.\n";

void
app_help_bench (FILE *out)
{
    fputs (s_usage, out);
}

typedef struct {
    const char *name; /* view name in the output */
    double re, im;    /* centre */
    double width;     /* real extent */
    int max_iter;     /* iteration limit */
} s_bench_view_t;

static const s_bench_view_t s_views[] = {
    { "full", -0.75, 0.0, 3.0, 1000 },
    { "seahorse", -0.743643887037151, 0.131825904205330, 2.5e-5, 5000 },
};

typedef struct {
    char kernel[32];     /* variant name */
    const char *view;    /* view name */
    int interior_check;  /* Mandelbrot interior shortcuts on */
    uint64_t iterations; /* sum of escape counts, interior = max_iter */
    double median_s, min_s, max_s;
    double giter_per_s;
    double ratio; /* giter_per_s / naive's on the same view */
} s_row_t;

/* Time runs renders of the whole image; kernel -1 is the naive loop, -2 the
 * 3-multiply plain loop. */
static void
s_measure (const rnd_view_t *v, int kernel, int interior, int runs, s_row_t *row)
{
    size_t npix = (size_t)v->width_px * v->height_px;
    double *times = calloc ((size_t)runs, sizeof *times);
    float *smooth = malloc (npix * sizeof *smooth);
    uint32_t *counts = malloc (npix * sizeof *counts);
    if (!times || !smooth || !counts) {
        fprintf (stderr, "p2pfractal: out of memory\n");
        exit (APP_EXIT_FAIL);
    }
    rnd_kjob_t job;
    rnd_kjob_init (&job, v);
    job.interior_check = interior;
    for (int r = 0; r < runs; r++) {
        double t0 = app_now_s ();
        if (kernel == -1)
            bench_naive_rows (v, 0, v->height_px, counts);
        else if (kernel == -2)
            bench_naive_x2_rows (v, 0, v->height_px, counts);
        else
            rnd_kernel_run ((rnd_kernel_t)kernel, &job, 0, v->height_px, smooth);
        times[r] = app_now_s () - t0;
    }
    uint64_t iters = 0;
    for (size_t i = 0; i < npix; i++)
        iters += kernel < 0 ? (counts[i] ? counts[i] : (uint64_t)v->max_iter)
                            : rnd_smooth_iterations (smooth[i], v->max_iter);
    row->median_s = app_bench_median (times, runs);
    row->iterations = iters;
    row->interior_check = interior;
    row->min_s = times[0];
    row->max_s = times[runs - 1];
    row->giter_per_s = iters / row->median_s / 1e9;
    free (times);
    free (smooth);
    free (counts);
}

/* named: 0 when the command line said `bench --OPTION` without `kernel`,
 * which only --help and --version may do. */
static int
s_bench_kernel (int argc, char **argv, int named)
{
    app_bench_opts_t o = {
        .runs = 5,
        .runs_max = 1000,
        .w = 1920,
        .h = 1080,
        .quick_w = 480,
        .quick_h = 270,
    };
    int done = app_bench_opts_parse (&o, argc, argv, "bench kernel", app_help_bench);
    if (done >= 0)
        return done;
    if (!named)
        app_usage_error ("bench: which benchmark? kernel or deep (try 'p2pfractal bench --help')");
    int runs = o.runs, json = o.json, w = o.w, h = o.h;

    enum { MAX_ROWS = 32 };
    s_row_t rows[MAX_ROWS];
    int nrows = 0;
    for (size_t vi = 0; vi < sizeof s_views / sizeof s_views[0]; vi++) {
        const s_bench_view_t *bv = &s_views[vi];
        rnd_view_t v;
        rnd_view_default (&v);
        v.center_re = bv->re;
        v.center_im = bv->im;
        v.width = bv->width;
        v.width_px = w;
        v.height_px = h;
        v.max_iter = bv->max_iter;
        v.bailout = 2.0; /* the classic |z|^2 > 4, as in the published anchors */
        int first = nrows;
        /* The two plain loops, then every supported variant; the fastest
         * also without the interior shortcuts, so the pure iteration rate is
         * on record too. */
        static const int order[] = { -1, -2, RND_KERNEL_SCALAR, RND_KERNEL_AVX2,
                                     RND_KERNEL_AVX512 };
        for (size_t oi = 0; oi < sizeof order / sizeof order[0]; oi++) {
            int k = order[oi];
            if (k >= 0 && !rnd_kernel_supported ((rnd_kernel_t)k))
                continue;
            for (int interior = 1; interior >= 0; interior--) {
                if (k < 0 && interior == 0)
                    continue;
                if (k >= 0 && interior == 0 && k != (int)rnd_kernel_best ())
                    continue;
                s_row_t *row = &rows[nrows++];
                memset (row, 0, sizeof *row);
                snprintf (row->kernel, sizeof row->kernel, "%s",
                          k == -1   ? "naive"
                          : k == -2 ? "naive-x2"
                                    : rnd_kernel_name ((rnd_kernel_t)k));
                row->view = bv->name;
                if (!json)
                    fprintf (stderr, "bench: %s %s%s ...\n", bv->name, row->kernel,
                             interior ? "" : " (no interior shortcut)");
                /* The reference is ~50x slower than the SIMD kernels: one run
                 * of it says all there is to say. */
                s_measure (&v, k, k < 0 ? 0 : interior, k == RND_KERNEL_SCALAR ? 1 : runs, row);
                if (k < 0)
                    row->interior_check = 0;
            }
        }
        /* rows[first] is the textbook loop: the yardstick */
        for (int i = first; i < nrows; i++)
            rows[i].ratio = rows[i].giter_per_s / rows[first].giter_per_s;
    }

    if (json) {
        printf ("[\n");
        for (int i = 0; i < nrows; i++)
            printf ("  {\"kernel\": \"%s\", \"view\": \"%s\", \"interior_check\": %s, "
                    "\"giter_per_s\": %.4f, \"iterations\": %llu, \"seconds\": %.6f, "
                    "\"seconds_min\": %.6f, \"seconds_max\": %.6f, \"ratio_vs_naive\": %.2f}%s\n",
                    rows[i].kernel, rows[i].view, rows[i].interior_check ? "true" : "false",
                    rows[i].giter_per_s, (unsigned long long)rows[i].iterations, rows[i].median_s,
                    rows[i].min_s, rows[i].max_s, rows[i].ratio, i + 1 < nrows ? "," : "");
        printf ("]\n");
    } else {
        printf ("%-9s %-8s %-9s %9s %14s %21s %8s\n", "view", "kernel", "interior", "G iter/s",
                "iterations", "median s [min-max]", "x naive");
        for (int i = 0; i < nrows; i++)
            printf ("%-9s %-8s %-9s %9.3f %14llu %7.3f [%.3f-%.3f] %8.1f\n", rows[i].view,
                    rows[i].kernel, rows[i].interior_check ? "on" : "off", rows[i].giter_per_s,
                    (unsigned long long)rows[i].iterations, rows[i].median_s, rows[i].min_s,
                    rows[i].max_s, rows[i].ratio);
    }
    return APP_EXIT_OK;
}

int
app_cmd_bench (int argc, char **argv)
{
    if (argc < 2)
        app_usage_error ("bench: which benchmark? kernel or deep (try 'p2pfractal bench --help')");
    if (strcmp (argv[1], "kernel") == 0)
        return s_bench_kernel (argc - 1, argv + 1, 1);
    if (strcmp (argv[1], "deep") == 0)
        return app_cmd_bench_deep (argc - 1, argv + 1);
    /* `bench --help`, `bench --version` and a bad option before the
     * benchmark's name: the kernel benchmark's parser answers them all. */
    if (argv[1][0] == '-')
        return s_bench_kernel (argc, argv, 0);
    app_usage_error ("%s: unknown benchmark (kernel, deep; try 'p2pfractal bench --help')",
                     argv[1]);
}
