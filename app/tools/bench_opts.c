/* bench_opts.c: the benchmarks' shared options and median (bench_opts.h). */
#include "bench_opts.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "view.h"

int
app_bench_opts_parse (app_bench_opts_t *o, int argc, char **argv, const char *cmd,
                      void (*help) (FILE *out))
{
    static const struct option opts[] = {
        { "runs", required_argument, 0, 'r' },
        { "size", required_argument, 0, 's' },
        { "json", no_argument, 0, 'j' },
        { "quick", no_argument, 0, 'Q' },
        APP_HELP_LONG_OPTIONS,
        { 0, 0, 0, 0 },
    };
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'r':
            o->runs = app_opt_int ("--runs", optarg, "a run count", 1, o->runs_max);
            break;
        case 's':
            if (app_parse_size (optarg, &o->w, &o->h) || o->w < 1 || o->h < 1 ||
                o->w > RND_VIEW_SIZE_MAX_PX || o->h > RND_VIEW_SIZE_MAX_PX ||
                (long)o->w * o->h > RND_VIEW_PIXELS_MAX)
                app_usage_error ("--size: '%s' is not WxH (W and H 1..%d, W*H at most %ld)", optarg,
                                 RND_VIEW_SIZE_MAX_PX, (long)RND_VIEW_PIXELS_MAX);
            break;
        case 'j':
            o->json = 1;
            break;
        case 'Q':
            o->runs = 1;
            o->w = o->quick_w;
            o->h = o->quick_h;
            break;
        case 'h':
            help (stdout);
            return APP_EXIT_OK;
        case 'V':
            return app_version_print ();
        default:
            app_getopt_error (cmd, argv, opt);
        }
    }
    app_no_operands (cmd, argc, argv);
    return -1;
}

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double
app_bench_median (double *t, int n)
{
    qsort (t, (size_t)n, sizeof *t, s_cmp_double);
    return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}
