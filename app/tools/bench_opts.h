/* bench_opts.h: what `bench kernel` and `bench deep` share -- their
 * options (--runs, --size, --json, --quick, --help) and the median. */
#ifndef APP_BENCH_OPTS_H
#define APP_BENCH_OPTS_H

typedef struct {
    int runs;     /* runs per measurement */
    int runs_max; /* the largest --runs accepted */
    int w, h;     /* image size */
    int size_max; /* the largest side --size accepts */
    int quick_w;  /* --quick: 1 run at quick_w x quick_h */
    int quick_h;
    int json; /* --json */
} app_bench_opts_t;

/* Parses argv (argv[0] the benchmark's name, e.g. "kernel") into o, which
 * holds the defaults. Exits 2 naming the option on bad input. 1 if --help
 * printed usage (the caller returns 0), else 0. */
int app_bench_opts_parse (app_bench_opts_t *o, int argc, char **argv, const char *usage);

/* Sorts the n times and returns their median. */
double app_bench_median (double *times, int n);

#endif
