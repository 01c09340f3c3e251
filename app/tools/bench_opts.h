/* bench_opts.h: what `bench kernel` and `bench deep` share -- their
 * options (--runs, --size, --json, --quick, --help) and the median. */
#ifndef APP_BENCH_OPTS_H
#define APP_BENCH_OPTS_H

#include <stdio.h>

typedef struct {
    int runs;     /* runs per measurement */
    int runs_max; /* the largest --runs accepted */
    int w, h;     /* image size */
    int quick_w;  /* --quick: 1 run at quick_w x quick_h */
    int quick_h;
    int json; /* --json */
} app_bench_opts_t;

/* Parses argv into o, which holds the defaults; cmd names the command in
 * messages ("bench kernel"). Exits 2 naming the option on bad input.
 * Returns -1 to go on, or the exit status once --help (help's text) or
 * --version was printed. */
int app_bench_opts_parse (app_bench_opts_t *o, int argc, char **argv, const char *cmd,
                          void (*help) (FILE *out));

/* Sorts the n times and returns their median. */
double app_bench_median (double *times, int n);

#endif
