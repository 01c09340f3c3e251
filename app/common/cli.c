/* cli.c: usage errors, strict number parsing and the view options. */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "params.h"

#ifndef P2PF_VERSION
#define P2PF_VERSION "unknown"
#endif

void
app_usage_error (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fputs ("p2pfractal: ", stderr);
    vfprintf (stderr, fmt, ap);
    fputc ('\n', stderr);
    va_end (ap);
    exit (APP_EXIT_USAGE);
}

void
app_getopt_error (const char *cmd, char **argv, int ret)
{
    const char *arg = argv[optind - 1];
    if (ret == ':')
        app_usage_error ("%s: needs a value", arg);
    if (optopt > 0 && optopt < 128 && !(arg[0] == '-' && arg[1] == '-'))
        app_usage_error ("-%c: unknown option (try 'p2pfractal %s --help')", optopt, cmd);
    /* getopt_long leaves "--name=value" whole: name only the option. */
    const char *eq = strchr (arg, '=');
    app_usage_error ("%.*s: unknown option (try 'p2pfractal %s --help')",
                     eq ? (int)(eq - arg) : (int)strlen (arg), arg, cmd);
}

void
app_no_operands (const char *cmd, int argc, char **argv)
{
    if (optind < argc)
        app_usage_error ("%s: unexpected argument (%s takes options only; try 'p2pfractal %s "
                         "--help')",
                         argv[optind], cmd, cmd);
}

int
app_version_print (void)
{
    printf ("p2pfractal %s\n", P2PF_VERSION);
    return APP_EXIT_OK;
}

const char *
app_plural_s (unsigned long long n)
{
    return n == 1 ? "" : "s";
}

int
app_parse_int (const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol (s, &end, 10);
    if (errno || end == s || *end != '\0' || v < -2147483647L || v > 2147483647L)
        return -1;
    *out = (int)v;
    return 0;
}

int
app_parse_double (const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod (s, &end);
    if (errno || end == s || *end != '\0' || !isfinite (v))
        return -1;
    *out = v;
    return 0;
}

int
app_parse_complex (const char *s, double *re, double *im)
{
    const char *comma = strchr (s, ',');
    if (!comma || comma - s >= 64)
        return -1;
    char first[64];
    memcpy (first, s, (size_t)(comma - s));
    first[comma - s] = '\0';
    return app_parse_double (first, re) || app_parse_double (comma + 1, im) ? -1 : 0;
}

int
app_parse_size (const char *s, int *w, int *h)
{
    const char *x = strchr (s, 'x');
    if (!x || x - s >= 16)
        return -1;
    char first[16];
    memcpy (first, s, (size_t)(x - s));
    first[x - s] = '\0';
    return app_parse_int (first, w) || app_parse_int (x + 1, h) ? -1 : 0;
}

int
app_opt_port (const char *opt, const char *arg)
{
    int port;
    if (app_parse_int (arg, &port) || port < 0 || port > 65535)
        app_usage_error ("%s: '%s' is not a port (0..65535)", opt, arg);
    return port;
}

const char *
app_opt_bind (const char *opt, const char *arg)
{
    struct in_addr addr;
    if (strcmp (arg, "*") == 0 || inet_pton (AF_INET, arg, &addr) == 1)
        return arg;
    /* A dotted string that is no address (999.1.1.1) would otherwise be
     * looked up as an interface name and fail only at bind time. */
    if (!*arg || strlen (arg) >= IF_NAMESIZE || strspn (arg, "0123456789.") == strlen (arg) ||
        strchr (arg, ':'))
        app_usage_error ("%s: '%s' is not an IPv4 address (four numbers 0..255), an interface "
                         "name or '*'",
                         opt, arg);
    if (if_nametoindex (arg) == 0)
        app_usage_error ("%s: '%s' is no interface of this machine (nor an IPv4 address or '*')",
                         opt, arg);
    return arg;
}

void
app_check_advertise (const char *bind_addr, const char *advertise)
{
    struct in_addr addr;
    if (advertise || strcmp (bind_addr, "*") == 0 || inet_pton (AF_INET, bind_addr, &addr) == 1)
        return;
    app_usage_error ("--advertise: missing: --bind %s is an interface, whose name other peers "
                     "cannot connect to; give the address they should use",
                     bind_addr);
}

const char *
app_opt_advertise (const char *opt, const char *arg)
{
    if (!*arg || strlen (arg) > 40 || strchr (arg, ':') || strchr (arg, '*'))
        app_usage_error ("%s: '%s' is not a host name or IPv4 address", opt, arg);
    return arg;
}

const char *
app_opt_file (const char *opt, const char *arg)
{
    if (!*arg)
        app_usage_error ("%s: the file name is empty", opt);
    return arg;
}

int
app_opt_int (const char *opt, const char *arg, const char *what, int lo, int hi)
{
    int v;
    if (app_parse_int (arg, &v) || v < lo || v > hi)
        app_usage_error ("%s: '%s' is not %s (%d..%d)", opt, arg, what, lo, hi);
    return v;
}

rnd_kernel_t
app_opt_kernel (const char *opt, const char *arg)
{
    rnd_kernel_t kernel;
    if (rnd_kernel_from_name (arg, &kernel))
        app_usage_error ("%s: unknown kernel '%s' (auto, scalar, avx2, avx512)", opt, arg);
    if (!rnd_kernel_supported (kernel))
        app_usage_error ("%s: this CPU does not support %s (try auto)", opt, arg);
    return kernel;
}

uint64_t
app_opt_seed (const char *opt, const char *arg)
{
    char *end;
    errno = 0;
    uint64_t seed = strtoull (arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || arg[0] == '-' || errno == ERANGE)
        app_usage_error ("%s: '%s' is not a seed (0..18446744073709551615)", opt, arg);
    return seed;
}

uint64_t
app_seed_from_clock (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid () << 32);
}

const char *
app_opt_hostport (const char *opt, const char *arg, int host_max)
{
    const char *colon = strrchr (arg, ':');
    int port;
    if (!colon || colon == arg || colon - arg > host_max || app_parse_int (colon + 1, &port) ||
        port < 1 || port > 65535 || memchr (arg, '*', (size_t)(colon - arg)))
        app_usage_error ("%s: '%s' is not HOST:PORT", opt, arg);
    return arg;
}

void
app_opt_join (const char *opt, const char *arg, ovl_handle_t *boots, size_t *n, size_t max,
              char *shown, size_t shown_size)
{
    const char *p = arg;
    for (;;) {
        const char *comma = strchr (p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen (p);
        char one[48]; /* HOST (at most 40) : PORT */
        if (len >= sizeof one)
            app_usage_error ("%s: '%.*s' is not HOST:PORT", opt, (int)len, p);
        memcpy (one, p, len);
        one[len] = 0;
        /* The host must fit an overlay address (OVL_ADDR_MAX). */
        app_opt_hostport (opt, one, 40);
        if (*n == max)
            app_usage_error ("%s: more than %zu addresses", opt, max);
        memset (&boots[*n], 0, sizeof boots[*n]);
        snprintf (boots[*n].addr, sizeof boots[*n].addr, "tcp://%s", one);
        size_t used = strlen (shown);
        snprintf (shown + used, shown_size - used, "%s%s", *n ? ", " : "", one);
        ++*n;
        if (!comma)
            return;
        p = comma + 1;
    }
}

void
app_view_opts_init (app_view_opts_t *vo)
{
    memset (vo, 0, sizeof *vo);
    rnd_view_default (&vo->view);
}

/* Which field an option sets, and its name for messages. */
static const struct {
    int opt;
    rnd_view_field_t field;
    const char *name;
} s_opt_fields[] = {
    { APP_OPT_FRACTAL, RND_FIELD_FRACTAL, "--fractal" },
    { APP_OPT_CENTER, RND_FIELD_CENTER, "--center" },
    { APP_OPT_WIDTH, RND_FIELD_WIDTH, "--width" },
    { APP_OPT_SIZE, RND_FIELD_SIZE, "--size" },
    { APP_OPT_ITER, RND_FIELD_ITER, "--iter" },
    { APP_OPT_BAILOUT, RND_FIELD_BAILOUT, "--bailout" },
    { APP_OPT_JULIA, RND_FIELD_JULIA, "--julia" },
    { APP_OPT_PALETTE, RND_FIELD_PALETTE, "--palette" },
    { APP_OPT_SAMPLES, RND_FIELD_SAMPLES, "--samples" },
};

/* After --params: every field the file changed now comes from it. */
static void
s_mark_params_fields (app_view_opts_t *vo, const rnd_view_t *before, const char *path)
{
    const rnd_view_t *v = &vo->view;
    if (v->fractal != before->fractal)
        vo->source[RND_FIELD_FRACTAL] = path;
    if (memcmp (&v->center_re, &before->center_re, sizeof v->center_re) ||
        memcmp (&v->center_im, &before->center_im, sizeof v->center_im) ||
        strcmp (v->center_re_text, before->center_re_text) ||
        strcmp (v->center_im_text, before->center_im_text))
        vo->source[RND_FIELD_CENTER] = path;
    if (memcmp (&v->width, &before->width, sizeof v->width) ||
        strcmp (v->width_text, before->width_text))
        vo->source[RND_FIELD_WIDTH] = path;
    if (v->width_px != before->width_px || v->height_px != before->height_px)
        vo->source[RND_FIELD_SIZE] = path;
    if (v->max_iter != before->max_iter)
        vo->source[RND_FIELD_ITER] = path;
    if (memcmp (&v->bailout, &before->bailout, sizeof v->bailout))
        vo->source[RND_FIELD_BAILOUT] = path;
    if (memcmp (&v->julia_re, &before->julia_re, sizeof v->julia_re) ||
        memcmp (&v->julia_im, &before->julia_im, sizeof v->julia_im))
        vo->source[RND_FIELD_JULIA] = path;
    if (strcmp (v->palette, before->palette) != 0)
        vo->source[RND_FIELD_PALETTE] = path;
    if (memcmp (&v->bla_epsilon, &before->bla_epsilon, sizeof v->bla_epsilon))
        vo->source[RND_FIELD_BLA] = path;
    if (v->samples != before->samples)
        vo->source[RND_FIELD_SAMPLES] = path;
}

/* --center RE,IM: plain decimals keep every digit given (deep views);
 * anything else strtod reads (hex floats) is a double as it always was. */
static int
s_set_center (rnd_view_t *v, const char *arg)
{
    const char *comma = strchr (arg, ',');
    if (!comma)
        return -1;
    size_t n = (size_t)(comma - arg);
    if (n < sizeof v->center_re_text) {
        char re[sizeof v->center_re_text];
        memcpy (re, arg, n);
        re[n] = '\0';
        if (rnd_view_set_center_text (v, re, comma + 1) == 0)
            return 0;
    }
    if (app_parse_complex (arg, &v->center_re, &v->center_im))
        return -1;
    v->center_re_text[0] = v->center_im_text[0] = '\0';
    return 0;
}

/* --width W: likewise; a decimal may lie below the range of doubles. */
static int
s_set_width (rnd_view_t *v, const char *arg)
{
    if (rnd_view_set_width_text (v, arg) == 0)
        return 0;
    if (app_parse_double (arg, &v->width))
        return -1;
    v->width_text[0] = '\0';
    return 0;
}

void
app_view_opts_apply (app_view_opts_t *vo, int opt, const char *arg)
{
    rnd_view_t *v = &vo->view;
    char err[512];
    for (size_t i = 0; i < sizeof s_opt_fields / sizeof s_opt_fields[0]; i++)
        if (s_opt_fields[i].opt == opt)
            vo->source[s_opt_fields[i].field] = s_opt_fields[i].name;
    switch (opt) {
    case APP_OPT_FRACTAL:
        if (rnd_fractal_from_name (arg, &v->fractal))
            app_usage_error ("--fractal: unknown fractal '%s' (mandelbrot, julia)", arg);
        break;
    case APP_OPT_CENTER:
        if (s_set_center (v, arg))
            app_usage_error ("--center: '%.80s' is not RE,IM (decimals of at most %d characters, "
                             "exponents within +-999999)",
                             arg, RND_DECIMAL_MAX - 1);
        break;
    case APP_OPT_WIDTH:
        if (s_set_width (v, arg))
            app_usage_error ("--width: '%.80s' is not a positive number", arg);
        break;
    case APP_OPT_SIZE:
        if (app_parse_size (arg, &v->width_px, &v->height_px))
            app_usage_error ("--size: '%s' is not WxH (W and H 1..%d, W*H at most %ld)", arg,
                             RND_VIEW_SIZE_MAX_PX, (long)RND_VIEW_PIXELS_MAX);
        break;
    case APP_OPT_ITER:
        if (app_parse_int (arg, &v->max_iter))
            app_usage_error ("--iter: '%s' is not an iteration count (1..%d)", arg,
                             RND_VIEW_ITER_MAX);
        break;
    case APP_OPT_BAILOUT:
        if (app_parse_double (arg, &v->bailout))
            app_usage_error ("--bailout: '%s' is not a radius (%g..%g)", arg, RND_VIEW_BAILOUT_MIN,
                             RND_VIEW_BAILOUT_MAX);
        break;
    case APP_OPT_JULIA:
        if (app_parse_complex (arg, &v->julia_re, &v->julia_im))
            app_usage_error ("--julia: '%s' is not RE,IM", arg);
        break;
    case APP_OPT_PALETTE:
        if (strlen (arg) == 0 || strlen (arg) >= sizeof v->palette)
            app_usage_error ("--palette: name must be 1..%zu characters", sizeof v->palette - 1);
        snprintf (v->palette, sizeof v->palette, "%s", arg);
        break;
    case APP_OPT_SAMPLES:
        v->samples = app_opt_int ("--samples", arg, "a sub-pixel count", 1, RND_VIEW_SAMPLES_MAX);
        break;
    case APP_OPT_COLOURING:
        if (rnd_colouring_from_name (arg, &vo->colouring))
            app_usage_error ("--colouring: unknown colouring '%s' (smooth, discrete)", arg);
        vo->colouring_set = 1;
        break;
    case APP_OPT_PARAMS: {
        rnd_view_t before = *v;
        app_opt_file ("--params", arg);
        if (rnd_params_load (arg, v, err, sizeof err))
            app_usage_error ("--params: %s", err);
        s_mark_params_fields (vo, &before, arg);
        break;
    }
    default:
        app_usage_error ("internal: unknown view option %d", opt);
    }
}

void
app_view_opts_finish (app_view_opts_t *vo, rnd_palette_t *palette)
{
    char err[512];
    rnd_view_field_t bad;
    int rc = vo->deep_ok ? rnd_view_validate_deep (&vo->view, &bad, err, sizeof err)
                         : rnd_view_validate_field (&vo->view, &bad, err, sizeof err);
    if (rc) {
        if (vo->source[bad])
            app_usage_error ("%s: %s", vo->source[bad], err);
        app_usage_error ("%s", err);
    }
    if (palette && rnd_palette_load (palette, vo->view.palette, err, sizeof err)) {
        if (vo->source[RND_FIELD_PALETTE])
            app_usage_error ("%s: %s", vo->source[RND_FIELD_PALETTE], err);
        app_usage_error ("%s", err);
    }
}

rnd_colouring_t
app_view_opts_colouring (const app_view_opts_t *vo)
{
    return vo->colouring_set ? vo->colouring : rnd_colouring_default (vo->view.fractal);
}

void
app_check_writable (const char *opt, const char *path)
{
    struct stat st;
    if (!*path)
        app_usage_error ("%s: the file name is empty", opt);
    if (stat (path, &st) == 0 && S_ISDIR (st.st_mode))
        app_usage_error ("%s %s: is a directory (give a file name)", opt, path);
    if (access (path, F_OK) == 0) {
        if (access (path, W_OK) != 0)
            app_usage_error ("%s %s: cannot write: %s", opt, path, strerror (errno));
        return;
    }
    char dir[4096];
    const char *slash = strrchr (path, '/');
    if (!slash)
        snprintf (dir, sizeof dir, ".");
    else if (slash == path)
        snprintf (dir, sizeof dir, "/");
    else
        snprintf (dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (access (dir, W_OK | X_OK) != 0)
        app_usage_error ("%s %s: cannot create a file in %s: %s", opt, path, dir, strerror (errno));
}

uint64_t
app_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

double
app_now_s (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

volatile sig_atomic_t app_stop_requested;

static void
s_on_stop_signal (int sig)
{
    (void)sig;
    app_stop_requested = 1;
}

void
app_catch_stop_signals (void)
{
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_stop_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
}
