/* cli.h: what every subcommand shares -- usage errors, strict number
 * parsing, and the view options (--fractal, --center, ...). */
#ifndef APP_CLI_H
#define APP_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdint.h>

#include "handle.h"
#include "kernel.h"
#include "palette.h"
#include "view.h"

#define APP_EXIT_OK 0
#define APP_EXIT_FAIL 1  /* runtime failure: cannot write, out of memory */
#define APP_EXIT_USAGE 2 /* bad command line, parameter file or palette */

/* Print "p2pfractal: <reason>" to stderr and exit 2. The reason starts
 * with what was wrong: "OPTION: why" (with the accepted range for a
 * number), so every command-line error reads the same. */
_Noreturn void app_usage_error (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* After getopt_long returned '?' or ':' (with opterr = 0 and a leading ':'
 * in the option string): name the bad option and exit 2. */
_Noreturn void app_getopt_error (const char *cmd, char **argv, int ret);
/* After getopt_long: exit 2 naming the first operand, if there is one
 * (no subcommand takes any). */
void app_no_operands (const char *cmd, int argc, char **argv);

/* --help (-h) and --version (-V), which every subcommand takes. */
#define APP_HELP_LONG_OPTIONS                                                                      \
    { "help", no_argument, 0, 'h' },                                                               \
    {                                                                                              \
        "version", no_argument, 0, 'V'                                                             \
    }
/* Their lines in every help text. */
#define APP_HELP_HELP                                                                              \
    "  -h, --help                display this help and exit\n"                                     \
    "  -V, --version             output version information and exit\n"
/* Print "p2pfractal VERSION" to stdout; returns APP_EXIT_OK. */
int app_version_print (void);

/* "s" unless n is 1: "%d thread%s", n, app_plural_s (n). */
const char *app_plural_s (unsigned long long n);

/* Strict parsers: the whole string must be consumed. 0 on success. */
int app_parse_int (const char *s, int *out);
int app_parse_double (const char *s, double *out);
/* "RE,IM" */
int app_parse_complex (const char *s, double *re, double *im);
/* "WxH" */
int app_parse_size (const char *s, int *w, int *h);

/* The network options: each returns its value, or exits 2 naming opt.
 * A TCP port to listen on, 0..65535 (0: any free port). */
int app_opt_port (const char *opt, const char *arg);
/* An address to bind: '*' (all), an IPv4 address or the name of an
 * interface of this machine, without a port. */
const char *app_opt_bind (const char *opt, const char *arg);
/* With --bind an interface name (not an address other machines can use)
 * and no --advertise: exit 2 asking for --advertise. */
void app_check_advertise (const char *bind_addr, const char *advertise);
/* HOST:PORT to connect to: a host of 1..host_max characters, not '*', and
 * a port of 1..65535. */
const char *app_opt_hostport (const char *opt, const char *arg, int host_max);
/* --join HOST:PORT[,HOST:PORT...], repeatable: each address is appended
 * to boots (*n of them, at most max) as a bootstrap whose id is unknown
 * until it answers, and to shown ("HOST:PORT, ...", for messages). A bad
 * address or one too many: exit 2. */
void app_opt_join (const char *opt, const char *arg, ovl_handle_t *boots, size_t *n, size_t max,
                   char *shown, size_t shown_size);
/* A host name or IPv4 address to advertise: 1..40 characters, no ':' or
 * '*'. */
const char *app_opt_advertise (const char *opt, const char *arg);
/* A file name to write or read: not empty. */
const char *app_opt_file (const char *opt, const char *arg);
/* An integer in lo..hi, or exit 2 naming opt, what it counts and the range:
 * "--threads: '0' is not a thread count (1..1024)". */
int app_opt_int (const char *opt, const char *arg, const char *what, int lo, int hi);
/* A kernel this CPU runs: auto, scalar, avx2 or avx512. */
rnd_kernel_t app_opt_kernel (const char *opt, const char *arg);
/* A seed: a decimal integer 0..2^64-1. */
uint64_t app_opt_seed (const char *opt, const char *arg);
/* A seed for a run that was given none: from the clock and the pid (the
 * protocol cores take seeds; drawing them is the driver's business). */
uint64_t app_seed_from_clock (void);

/* The view options, as getopt_long entries with values >= APP_OPT_VIEW_BASE;
 * a subcommand appends them to its own table. */
enum {
    APP_OPT_VIEW_BASE = 1000,
    APP_OPT_FRACTAL = APP_OPT_VIEW_BASE,
    APP_OPT_CENTER,
    APP_OPT_WIDTH,
    APP_OPT_SIZE,
    APP_OPT_ITER,
    APP_OPT_BAILOUT,
    APP_OPT_JULIA,
    APP_OPT_PALETTE,
    APP_OPT_PARAMS,
    APP_OPT_COLOURING,
    APP_OPT_SAMPLES,
    APP_OPT_VIEW_END
};
#define APP_VIEW_LONG_OPTIONS                                                                      \
    { "fractal", required_argument, 0, APP_OPT_FRACTAL },                                          \
        { "center", required_argument, 0, APP_OPT_CENTER },                                        \
        { "width", required_argument, 0, APP_OPT_WIDTH },                                          \
        { "size", required_argument, 0, APP_OPT_SIZE },                                            \
        { "iter", required_argument, 0, APP_OPT_ITER },                                            \
        { "bailout", required_argument, 0, APP_OPT_BAILOUT },                                      \
        { "julia", required_argument, 0, APP_OPT_JULIA },                                          \
        { "palette", required_argument, 0, APP_OPT_PALETTE },                                      \
        { "params", required_argument, 0, APP_OPT_PARAMS },                                        \
        { "colouring", required_argument, 0, APP_OPT_COLOURING },                                  \
        { "samples", required_argument, 0, APP_OPT_SAMPLES },                                      \
    {                                                                                              \
        "coloring", required_argument, 0, APP_OPT_COLOURING                                        \
    }

/* The view being built from the command line. */
typedef struct {
    rnd_view_t view;                      /* starts as rnd_view_default */
    const char *source[RND_FIELD_COUNT_]; /* what set each field last: an
                                             option name or a --params path */
    int colouring_set;                    /* 1 if --colouring was given */
    rnd_colouring_t colouring;            /* the chosen colouring, if set */
    int deep_ok;                          /* 1: the command renders deep views
                                             (rnd_view_validate_deep) */
} app_view_opts_t;

void app_view_opts_init (app_view_opts_t *vo);
/* Apply one view option (opt from getopt_long, arg its argument). Options
 * apply in command-line order, so options after --params override it. Exits
 * 2 with a reason on a bad value. */
void app_view_opts_apply (app_view_opts_t *vo, int opt, const char *arg);
/* Validate the view and load its palette; exits 2 naming the problem. */
void app_view_opts_finish (app_view_opts_t *vo, rnd_palette_t *palette);
/* The colouring to use: --colouring, else the fractal's default. */
rnd_colouring_t app_view_opts_colouring (const app_view_opts_t *vo);

/* Set to 1 by SIGINT or SIGTERM once app_catch_stop_signals ran: the
 * long-running subcommands poll it in their loops and leave cleanly. */
extern volatile sig_atomic_t app_stop_requested;
/* Route SIGINT and SIGTERM to app_stop_requested (no SA_RESTART, so a
 * blocking poll returns EINTR at once). */
void app_catch_stop_signals (void);

/* The view options in a usage line, and their help (a "View options:"
 * section in the options' column), shared by every subcommand that takes
 * them; string literals, so a help text is one constant. */
#define APP_VIEW_USAGE                                                                             \
    "         [--fractal NAME] [--center RE,IM] [--width W] [--size WxH] [--iter N]\n"             \
    "         [--bailout R] [--julia RE,IM] [--palette NAME|FILE] [--colouring NAME]\n"            \
    "         [--samples K] [--params FILE]\n"
#define APP_VIEW_HELP                                                                              \
    "View options (applied in order: options after --params override the file):\n"                 \
    "      --fractal NAME        mandelbrot or julia (default mandelbrot)\n"                       \
    "      --center RE,IM        centre of the image (default\n"                                   \
    "                            -0.74364283,0.13182618)\n"                                        \
    "      --width W             extent of the real axis (default 1.4e-05)\n"                      \
    "      --size WxH            image size in pixels: W and H 1..16384, W*H at most\n"            \
    "                            134217728 (16384x8192; default 1920x1080)\n"                      \
    "      --iter N              maximum iterations, 1..16000000 (default 1000000)\n"              \
    "      --bailout R           escape radius, 2..1e50 and >= |c| for Julia\n"                    \
    "                            (default 256)\n"                                                  \
    "      --julia RE,IM         Julia constant c (default -0.8,0.156)\n"                          \
    "      --palette NAME|FILE   a palette of assets/palettes by name (default,\n"                 \
    "                            ember, ...) or a Fractint .map file\n"                            \
    "      --colouring NAME      smooth or discrete (default: smooth for Mandelbrot,\n"            \
    "                            discrete for Julia); also spelt --coloring\n"                     \
    "      --samples K           anti-aliasing: K x K sub-pixels a pixel, 1..8,\n"                 \
    "                            their colours averaged (default 1: none); K*K\n"                  \
    "                            the work, and W*K * H*K at most 134217728\n"                      \
    "      --params FILE         a parameter file, or a PNG this program wrote\n"

/* Exit 2 naming opt and path unless path can be written: an existing file
 * we may write, or a new name in a directory we may write. */
void app_check_writable (const char *opt, const char *path);

/* Monotonic seconds, for elapsed-time reports. */
double app_now_s (void);
/* Monotonic milliseconds: the clock the protocol cores are fed. */
uint64_t app_now_ms (void);

#endif
