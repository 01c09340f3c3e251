/* cmd_render.c: `p2pfractal render` -- a single-process render to PNG with
 * all cores: the reference the peers' images are compared with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "counts_io.h"
#include "kernel.h"
#include "palette.h"
#include "params.h"
#include "png_io.h"
#include "render_pool.h"
#include "samples.h"

static const char s_usage[] =
    "Usage: p2pfractal render [-o FILE] [--counts FILE] [--counts32 FILE] [-t N]\n"
    "         [-k KERNEL] [-q]\n" APP_VIEW_USAGE "   or: p2pfractal render -h|--help|-V|--version\n"
    "Render the view on this machine, on all cores, and write it as a PNG whose\n"
    "Comment holds the parameters (so --params OUT.png renders it again).\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE         colour PNG to write (default p2pfractal.png)\n"
    "      --counts FILE         also write a 16-bit greyscale PNG of escape counts\n"
    "                            (0 = interior, clamped at 65535)\n"
    "      --counts32 FILE       also write the escape counts unclamped, as 32-bit\n"
    "                            integers in a NumPy .npy file (0 = interior)\n"
    "                            (with --samples K > 1 both hold every sub-pixel:\n"
    "                            a WK x HK image)\n"
    "  -t, --threads N           render threads, 1..1024 (default: one per CPU)\n"
    "  -k, --kernel KERNEL       auto, scalar, avx2 or avx512 (default auto: the\n"
    "                            fastest this CPU runs)\n"
    "  -q, --quiet               no timing line on stderr\n" APP_HELP_HELP "\n" APP_VIEW_HELP "\n"
    "Examples:\n"
    "  p2pfractal render -o seahorse.png\n"
    "  p2pfractal render --size 640x360 --iter 500 -o a.png --counts a16.png\n"
    "  p2pfractal render --params a.png --size 3840x2160 -o a-4k.png\n"
    "  p2pfractal render --samples 3 --size 640x360 -o smooth.png\n"
    "\n"
    "Exit status: 0 done; 1 the PNG cannot be written; 2 a bad command line,\n"
    "parameter file or palette.\n";

void
app_help_render (FILE *out)
{
    fputs (s_usage, out);
}

/* Reports a write's outcome: its error (and a failing exit) or, unless
 * quiet, "wrote PATH". */
static void
s_report (int write_rc, const char *path, const char *err, int quiet, int *rc)
{
    if (write_rc) {
        fprintf (stderr, "p2pfractal: %s\n", err);
        *rc = APP_EXIT_FAIL;
    } else if (!quiet) {
        fprintf (stderr, "p2pfractal: wrote %s\n", path);
    }
}

int
app_cmd_render (int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, 0, 'o' },
        { "counts", required_argument, 0, 'c' },
        { "counts32", required_argument, 0, 'C' },
        { "threads", required_argument, 0, 't' },
        { "kernel", required_argument, 0, 'k' },
        { "quiet", no_argument, 0, 'q' },
        APP_HELP_LONG_OPTIONS,
        APP_VIEW_LONG_OPTIONS,
        { 0, 0, 0, 0 },
    };
    app_view_opts_t vo;
    app_view_opts_init (&vo);
    vo.deep_ok = 1; /* views too deep for doubles render by perturbation */
    const char *out_path = "p2pfractal.png", *counts_path = NULL, *counts32_path = NULL;
    int threads = app_cpu_count (), quiet = 0;
    rnd_kernel_t kernel = RND_KERNEL_AUTO;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":o:t:k:qhV", opts, NULL)) != -1) {
        switch (opt) {
        case 'o':
            out_path = app_opt_file ("-o", optarg);
            break;
        case 'c':
            counts_path = app_opt_file ("--counts", optarg);
            break;
        case 'C':
            counts32_path = optarg;
            break;
        case 't':
            threads = app_opt_int ("--threads", optarg, "a thread count", 1, 1024);
            break;
        case 'k':
            kernel = app_opt_kernel ("--kernel", optarg);
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            app_help_render (stdout);
            return APP_EXIT_OK;
        case 'V':
            return app_version_print ();
        case '?':
        case ':':
            app_getopt_error ("render", argv, opt);
        default:
            app_view_opts_apply (&vo, opt, optarg);
        }
    }
    app_no_operands ("render", argc, argv);

    rnd_palette_t palette;
    app_view_opts_finish (&vo, &palette);
    /* A typo in -o should not cost the whole render first. */
    app_check_writable ("-o", out_path);
    if (counts_path)
        app_check_writable ("--counts", counts_path);
    if (counts32_path)
        app_check_writable ("--counts32", counts32_path);
    const rnd_view_t *v = &vo.view;
    /* The kernels fill the sample grid (W*K x H*K values); the PNG has
     * W x H pixels, each the average of its K x K sub-pixels' colours. */
    const int k = v->samples, gw = rnd_view_grid_w (v), gh = rnd_view_grid_h (v);
    size_t npix = (size_t)gw * (size_t)gh;
    float *smooth = malloc (npix * sizeof *smooth);
    uint8_t *rgb = malloc ((size_t)v->width_px * (size_t)v->height_px * 3);
    if (!smooth || !rgb) {
        fprintf (stderr, "p2pfractal: out of memory for a %dx%d image\n", v->width_px,
                 v->height_px);
        free (smooth);
        free (rgb);
        return APP_EXIT_FAIL;
    }

    rnd_kjob_t job;
    char err[512];
    double t0 = app_now_s ();
    if (rnd_kjob_prepare (&job, v, 0, err, sizeof err)) {
        fprintf (stderr, "p2pfractal: %s\n", err);
        free (smooth);
        free (rgb);
        return APP_EXIT_FAIL;
    }
    double t_ref = app_now_s () - t0;
    int ran = app_render_pool_run (&job, kernel, threads, smooth);
    double seconds = app_now_s () - t0;
    rnd_kjob_release (&job);
    uint64_t iters = 0;
    for (size_t i = 0; i < npix; i++)
        iters += rnd_smooth_iterations (smooth[i], v->max_iter);
    /* The variant that ran: floatexp deltas (below 1e-290) are scalar
     * whatever was asked (render/kernel.c). */
    const char *ran_name =
        job.perturb && job.floatexp
            ? "scalar, floatexp"
            : rnd_kernel_name (kernel == RND_KERNEL_AUTO ? rnd_kernel_best () : kernel);
    char orbit[64] = "";
    if (job.perturb)
        snprintf (orbit, sizeof orbit, " (reference orbit %.3f s)", t_ref);
    char sub[48] = "";
    if (k > 1)
        snprintf (sub, sizeof sub, " of %dx%d samples", k, k);
    if (!quiet)
        fprintf (
            stderr,
            "p2pfractal: rendered %dx%d%s in %.3f s%s, %.3f G iterations/s (%s%s, %d thread%s)\n",
            v->width_px, v->height_px, sub, seconds, orbit,
            seconds > 0 ? iters / seconds / 1e9 : 0.0, job.perturb ? "perturbation, " : "",
            ran_name, ran, app_plural_s ((unsigned)ran));

    char params[RND_PARAMS_FORMAT_MAX];
    if (rnd_params_format (v, params, sizeof params) < 0) {
        /* validation admits only views that format; this is a bug */
        fprintf (stderr, "p2pfractal: internal error: cannot write the view's parameters\n");
        return APP_EXIT_FAIL;
    }
    rnd_colourise_rect (&palette, app_view_opts_colouring (&vo), smooth, v->width_px, k,
                        (rnd_rect_t){ 0, 0, v->width_px, v->height_px }, rgb);
    int rc = APP_EXIT_OK;
    s_report (rnd_png_write_rgb (out_path, rgb, v->width_px, v->height_px, params, err, sizeof err),
              out_path, err, quiet, &rc);
    if (counts_path || counts32_path) {
        uint32_t *counts = malloc (npix * sizeof *counts);
        if (!counts) {
            fprintf (stderr, "p2pfractal: out of memory for the counts\n");
            rc = APP_EXIT_FAIL;
        } else {
            for (size_t i = 0; i < npix; i++)
                counts[i] = rnd_smooth_count (smooth[i]);
            if (counts32_path)
                s_report (rnd_counts_write_npy (counts32_path, counts, gw, gh, err, sizeof err),
                          counts32_path, err, quiet, &rc);
            uint16_t *c16 = counts_path ? malloc (npix * sizeof *c16) : NULL;
            if (counts_path && !c16) {
                fprintf (stderr, "p2pfractal: out of memory for the counts image\n");
                rc = APP_EXIT_FAIL;
            } else if (counts_path) {
                for (size_t i = 0; i < npix; i++)
                    c16[i] = counts[i] > 65535 ? 65535 : (uint16_t)counts[i];
                s_report (rnd_png_write_gray16 (counts_path, c16, gw, gh, params, err, sizeof err),
                          counts_path, err, quiet, &rc);
            }
            free (c16);
            free (counts);
        }
    }
    free (smooth);
    free (rgb);
    return rc;
}
