/* bench_opts.c: the benchmarks' shared options and median (bench_opts.h). */
#include "bench_opts.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int
app_bench_opts_parse (app_bench_opts_t *o, int argc, char **argv, const char *usage)
{
    static const struct option opts[] = {
        { "runs", required_argument, 0, 'r' }, { "size", required_argument, 0, 's' },
        { "json", no_argument, 0, 'j' },       { "quick", no_argument, 0, 'Q' },
        { "help", no_argument, 0, 'h' },       { 0, 0, 0, 0 },
    };
    char cmd[64];
    snprintf (cmd, sizeof cmd, "bench %s", argv[0]);
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":h", opts, NULL)) != -1) {
        switch (opt) {
        case 'r':
            if (app_parse_int (optarg, &o->runs) || o->runs < 1 || o->runs > o->runs_max)
                app_usage_error ("--runs: '%s' is not a run count (1..%d)", optarg, o->runs_max);
            break;
        case 's':
            if (app_parse_size (optarg, &o->w, &o->h) || o->w < 1 || o->h < 1 ||
                o->w > o->size_max || o->h > o->size_max)
                app_usage_error ("--size: '%s' is not WxH (1..%d per side)", optarg, o->size_max);
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
            fputs (usage, stdout);
            return 1;
        default:
            app_getopt_error (cmd, argv, opt);
        }
    }
    if (optind < argc)
        app_usage_error ("%s: unexpected argument '%s'", cmd, argv[optind]);
    return 0;
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
