/* test_cli.c: the p2pfractal binary as a user meets it -- exit codes, one-line
 * reasons that name the bad input, PNGs that carry their parameters, and
 * escape counts that agree with an independent plain-double loop. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel.h"
#include "naive.h"
#include "params.h"
#include "png_io.h"
#include "test_util.h"

/* The directory the binary runs in, made fresh for this program. */
static char *s_dir;

typedef struct {
    int status;     /* exit status, or 128 + signal */
    char out[8192]; /* stdout */
    char err[8192]; /* stderr */
} s_run_t;

/* Run the binary with args (NULL-terminated); kill it after 60 s. */
static void
s_run (s_run_t *r, const char *arg0, ...)
{
    const char *argv[64];
    int argc = 0;
    argv[argc++] = P2PF_BINARY;
    va_list ap;
    va_start (ap, arg0);
    for (const char *a = arg0; a && argc < 63; a = va_arg (ap, const char *))
        argv[argc++] = a;
    va_end (ap);
    argv[argc] = NULL;

    char out_path[128], err_path[128];
    tu_path_join (out_path, sizeof out_path, s_dir, "stdout");
    tu_path_join (err_path, sizeof err_path, s_dir, "stderr");
    tu_proc_opts_t opts = { .dir = s_dir,
                            .out = TU_IO_FILE,
                            .out_path = out_path,
                            .err = TU_IO_FILE,
                            .err_path = err_path };
    r->status = tu_run_wait (tu_proc_start (argv, &opts, NULL), 60000);
    if (r->status < 0)
        fail_msg ("p2pfractal %s: still running after 60 s", arg0);
    tu_slurp (out_path, r->out, sizeof r->out);
    tu_slurp (err_path, r->err, sizeof r->err);
}

/* Exit 2, one line on stderr, "p2pfractal: " first, naming `needle`. */
static void
s_expect_usage (const s_run_t *r, const char *needle)
{
    if (r->status != 2)
        fail_msg ("exit %d, wanted 2; stderr: %s", r->status, r->err);
    if (strncmp (r->err, "p2pfractal: ", 12) != 0)
        fail_msg ("stderr does not start with 'p2pfractal: ': %s", r->err);
    const char *nl = strchr (r->err, '\n');
    if (!nl || nl[1] != '\0')
        fail_msg ("stderr is not exactly one line: %s", r->err);
    if (!strstr (r->err, needle))
        fail_msg ("stderr does not name '%s': %s", needle, r->err);
}

static void
s_write (const char *name, const char *text)
{
    char path[256];
    tu_file_write (tu_path_join (path, sizeof path, s_dir, name), text, strlen (text));
}

static int
s_setup (void **state)
{
    (void)state;
    s_dir = tu_dir_new ("test_cli");
    return s_dir ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void)state;
    return tu_dir_remove (&s_dir);
}

/* `sim --job`: a passing seed exits 0 with its tally, the replay command
 * comes back for a failing one (a kill scenario with too few peers to have
 * three workers to kill), and --json gives one object per scenario. */
static void
test_sim_job (void **state)
{
    (void)state;
    s_run_t r;
    s_run (&r, "sim", "--job", "kill-master", "--seed", "5", NULL);
    assert_int_equal (r.status, 0);
    assert_non_null (strstr (r.out, "kill-master"));
    assert_non_null (strstr (r.out, "1 seeds      0 failed"));
    assert_non_null (strstr (r.out, "all passed"));
    s_run (&r, "sim", "--job", "kill-workers", "--seed", "5", "--nodes", "2", NULL);
    assert_int_equal (r.status, 1);
    assert_non_null (strstr (r.out, "FAILED kill-workers seed 5: no live worker left to kill"));
    assert_non_null (
        strstr (r.out, "replay: p2pfractal sim --job kill-workers --seed 5 --nodes 2"));
    s_run (&r, "sim", "--job", "no-faults", "--seeds", "2", "--seed", "1", "--json", NULL);
    assert_int_equal (r.status, 0);
    assert_non_null (
        strstr (r.out, "{\"scenario\":\"no-faults\",\"seed\":1,\"seeds\":2,\"failed\":0"));
    s_run (&r, "sim", "--job", "all", "--help", NULL);
    assert_int_equal (r.status, 0);
    assert_non_null (strstr (r.out, "kill-new-master"));
}

static void
test_help_and_version (void **state)
{
    (void)state;
    s_run_t r;
    s_run (&r, "--version", NULL);
    assert_int_equal (r.status, 0);
    assert_non_null (strstr (r.out, "p2pfractal "));
    s_run (&r, "--help", NULL);
    assert_int_equal (r.status, 0);
    assert_non_null (strstr (r.out, "render"));
    s_run (&r, "render", "--help", NULL);
    assert_int_equal (r.status, 0);
    assert_non_null (strstr (r.out, "--kernel"));
    assert_non_null (strstr (r.out, "--params"));
    s_run (&r, "master", "--help", NULL);
    assert_int_equal (r.status, 0);
    assert_non_null (strstr (r.out, "--slices"));
    assert_non_null (strstr (r.out, "--params")); /* the view options too */
    s_run (&r, "worker", "--help", NULL);
    assert_int_equal (r.status, 0);
    assert_non_null (strstr (r.out, "--timeout-ms"));
    s_run (&r, "bench", "kernel", "--help", NULL);
    assert_int_equal (r.status, 0);
    assert_non_null (strstr (r.out, "naive"));
    s_run (&r, NULL);
    assert_int_equal (r.status, 2);
}

static void
test_bad_values_exit_2 (void **state)
{
    (void)state;
    s_run_t r;
    s_run (&r, "frobnicate", NULL);
    s_expect_usage (&r, "frobnicate");
    s_run (&r, "render", "--size", "0x10", NULL);
    s_expect_usage (&r, "size 0x10");
    s_run (&r, "render", "--size", "abc", NULL);
    s_expect_usage (&r, "'abc'");
    s_run (&r, "render", "--size", "100000x10", NULL);
    s_expect_usage (&r, "100000x10");
    s_run (&r, "render", "--iter", "-5", NULL);
    s_expect_usage (&r, "iterations -5");
    s_run (&r, "render", "--iter", "12x", NULL);
    s_expect_usage (&r, "'12x'");
    s_run (&r, "render", "--width", "nan", NULL);
    s_expect_usage (&r, "'nan'");
    s_run (&r, "render", "--center", "1;2", NULL);
    s_expect_usage (&r, "'1;2'");
    s_run (&r, "render", "--fractal", "burningship", NULL);
    s_expect_usage (&r, "burningship");
    s_run (&r, "render", "--kernel", "sse9", NULL);
    s_expect_usage (&r, "sse9");
    s_run (&r, "render", "--threads", "0", NULL);
    s_expect_usage (&r, "'0'");
    s_run (&r, "render", "--bogus", NULL);
    s_expect_usage (&r, "--bogus");
    s_run (&r, "render", "--width", NULL);
    s_expect_usage (&r, "needs a value");
    s_run (&r, "render", "stray", NULL);
    s_expect_usage (&r, "stray");
    s_run (&r, "bench", "kernel", "--runs", "0", NULL);
    s_expect_usage (&r, "'0'");
    s_run (&r, "sim", "--job", "no-such-scenario", NULL);
    s_expect_usage (&r, "no-such-scenario");
    s_run (&r, "sim", "--job", "mix", "--seeds", "0", NULL);
    s_expect_usage (&r, "--seeds: '0'");
    s_run (&r, "sim", "--job", "mix", "--loss", "0.9", NULL);
    s_expect_usage (&r, "--loss: '0.9'");
    s_run (&r, "sim", "--job", "mix", "--nodes", "1", NULL);
    s_expect_usage (&r, "--nodes: '1'");
    s_run (&r, "sim", "--job", "mix", "--seed", "-3", NULL);
    s_expect_usage (&r, "--seed");
    s_run (&r, "master", "--size", "32x18", NULL);
    s_expect_usage (&r, "--port");
    s_run (&r, "master", "--port", "70000", NULL);
    s_expect_usage (&r, "--port: '70000'");
    s_run (&r, "master", "--port", "0", "--slices", "0", NULL);
    s_expect_usage (&r, "--slices: '0'");
    s_run (&r, "master", "--port", "0", "--workers", "x", NULL);
    s_expect_usage (&r, "--workers: 'x'");
    s_run (&r, "master", "--port", "0", "--bind", "1.2.3.4:5", NULL);
    s_expect_usage (&r, "--bind");
    s_run (&r, "master", "--port", "0", "--size", "0x10", NULL);
    s_expect_usage (&r, "size 0x10");
    s_run (&r, "master", "--port", "0", "--frobnicate", NULL);
    s_expect_usage (&r, "--frobnicate");
    s_run (&r, "worker", "--threads", "1", NULL);
    s_expect_usage (&r, "--connect");
    s_run (&r, "worker", "--connect", "nohost", NULL);
    s_expect_usage (&r, "--connect: 'nohost'");
    s_run (&r, "worker", "--connect", "127.0.0.1:0", NULL);
    s_expect_usage (&r, "--connect: '127.0.0.1:0'");
    s_run (&r, "worker", "--connect", "127.0.0.1:9", "--threads", "0", NULL);
    s_expect_usage (&r, "--threads: '0'");
    s_run (&r, "worker", "--connect", "127.0.0.1:9", "--timeout-ms", "0", NULL);
    s_expect_usage (&r, "--timeout-ms: '0'");
    s_run (&r, "worker", "--connect", "127.0.0.1:9", "--kernel", "sse9", NULL);
    s_expect_usage (&r, "sse9");
    s_run (&r, "worker", "--connect", "127.0.0.1:9", "stray", NULL);
    s_expect_usage (&r, "stray");
}

static void
test_bad_palette_and_params_name_the_file (void **state)
{
    (void)state;
    s_run_t r;
    s_run (&r, "render", "--palette", "nosuch", NULL);
    s_expect_usage (&r, "nosuch");
    s_write ("bad.map", "0 0 0\n10 20 30\n1 2 300\n");
    s_run (&r, "render", "--palette", "bad.map", NULL);
    s_expect_usage (&r, "bad.map line 3");
    s_run (&r, "render", "--params", "missing.params", NULL);
    s_expect_usage (&r, "missing.params");
    s_write ("bad.params", "p2pfractal-params 1\nfractal=mandelbrot\nwidth=wide\n");
    s_run (&r, "render", "--params", "bad.params", NULL);
    s_expect_usage (&r, "bad.params");
    s_write ("notpng.png", "hello");
    s_run (&r, "render", "--params", "notpng.png", NULL);
    s_expect_usage (&r, "notpng.png");
    /* no image is written when the input is bad */
    assert_int_equal (access ("p2pfractal.png", F_OK), -1);
}

/* An output that cannot be written is refused before rendering (exit 2,
 * naming the option and the path), not after. */
static void
test_unwritable_output_refused_first (void **state)
{
    (void)state;
    s_run_t r;
    s_run (&r, "render", "--size", "32x18", "-o", "/nonexistent-dir/x.png", NULL);
    s_expect_usage (&r, "-o /nonexistent-dir/x.png");
    assert_null (strstr (r.err, "rendered"));
    s_run (&r, "render", "--size", "32x18", "-o", "ok.png", "--counts", "/nonexistent-dir/c.png",
           NULL);
    s_expect_usage (&r, "--counts /nonexistent-dir/c.png");
    s_run (&r, "master", "--port", "0", "-o", "/nonexistent-dir/m.png", NULL);
    s_expect_usage (&r, "-o /nonexistent-dir/m.png");
    assert_null (strstr (r.out, "listening"));
}

/* The kernel benchmark's JSON has the keys the issue names, for every
 * variant, beside the naive loop. */
static void
test_bench_kernel_json (void **state)
{
    (void)state;
    s_run_t r;
    s_run (&r, "bench", "kernel", "--quick", "--json", NULL);
    assert_int_equal (r.status, 0);
    assert_true (r.out[0] == '[');
    const char *keys[] = { "\"kernel\": \"naive\"", "\"kernel\": \"scalar\"",
                           "\"view\": \"full\"",    "\"view\": \"seahorse\"",
                           "\"giter_per_s\":",      "\"iterations\":",
                           "\"seconds\":" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strstr (r.out, keys[i]))
            fail_msg ("bench JSON lacks %s: %s", keys[i], r.out);
}

/* The deep benchmark's JSON has a row for every perturbation variant this
 * CPU has beside the scalar one, each with its ratio (the bench exits 1 if
 * a variant's image differs from the scalar one's). */
static void
test_bench_deep_json (void **state)
{
    (void)state;
    s_run_t r;
    s_run (&r, "bench", "deep", "--quick", "--json", NULL);
    assert_int_equal (r.status, 0);
    assert_true (r.out[0] == '[');
    const char *keys[] = { "\"kernel\": \"bla\", \"variant\": \"scalar\", \"width\": \"1e-113\"",
                           "\"kernel\": \"plain\", \"variant\": \"scalar\", \"width\": \"1e-113\"",
                           "\"x_scalar\": 1.0000", "\"reference_bits\":" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strstr (r.out, keys[i]))
            fail_msg ("bench deep JSON lacks %s: %s", keys[i], r.out);
    const char *simd[] = { "avx2", "avx512" };
    for (int k = 0; k < 2; k++) {
        rnd_kernel_t kern;
        assert_int_equal (rnd_kernel_from_name (simd[k], &kern), 0);
        char want[96];
        snprintf (want, sizeof want,
                  "\"kernel\": \"bla\", \"variant\": \"%s\", \"width\": \"1e-113\"", simd[k]);
        assert_int_equal (strstr (r.out, want) != NULL, rnd_kernel_supported (kern));
    }
}

/* A range error in a parameter file names the file. */
static void
test_params_range_error_names_file (void **state)
{
    (void)state;
    s_run_t r;
    s_write ("zero.params", "p2pfractal-params 1\nmax_iter=0\n");
    s_run (&r, "render", "--params", "zero.params", NULL);
    s_expect_usage (&r, "zero.params: iterations 0");
    s_run (&r, "render", "--palette", "caf\xc3\xa9.map", NULL);
    s_expect_usage (&r, "--palette");
}

/* Agreement of the escape counts in `path` with bench_naive_rows on view. */
static double
s_agreement (const char *path, const rnd_view_t *v)
{
    uint16_t *px;
    int w, h;
    char err[256];
    if (rnd_png_read_gray16 (path, &px, &w, &h, err, sizeof err))
        fail_msg ("%s", err);
    assert_int_equal (w, v->width_px);
    assert_int_equal (h, v->height_px);
    size_t n = (size_t)w * h;
    uint32_t *ref = malloc (n * sizeof *ref);
    assert_non_null (ref);
    bench_naive_rows (v, 0, h, ref);
    size_t agree = 0;
    for (size_t i = 0; i < n; i++)
        agree += px[i] == (ref[i] > 65535 ? 65535 : ref[i]);
    free (ref);
    free (px);
    return (double)agree / n;
}

/* The foundation's acceptance check: 640x360 at 500 iterations, the default
 * view and a Julia view, against an independent plain-double loop. */
static void
test_counts_agree_with_plain_double (void **state)
{
    (void)state;
    s_run_t r;
    s_run (&r, "render", "--size", "640x360", "--iter", "500", "-o", "a.png", "--counts", "a16.png",
           NULL);
    assert_int_equal (r.status, 0);
    assert_non_null (strstr (r.err, "G iterations/s"));
    rnd_view_t v;
    rnd_view_default (&v);
    v.width_px = 640;
    v.height_px = 360;
    v.max_iter = 500;
    char path[256];
    tu_path_join (path, sizeof path, s_dir, "a16.png");
    double a = s_agreement (path, &v);
    print_message ("default view: %.4f of counts agree\n", a);
    assert_true (a >= 0.995);

    s_run (&r, "render", "--fractal", "julia", "--julia", "-0.8,0.156", "--center", "0,0",
           "--width", "3.2", "--size", "640x360", "--iter", "500", "--bailout", "2", "-o", "j.png",
           "--counts", "j16.png", NULL);
    assert_int_equal (r.status, 0);
    rnd_view_default (&v);
    v.fractal = RND_FRACTAL_JULIA;
    v.julia_re = -0.8;
    v.julia_im = 0.156;
    v.center_re = 0.0;
    v.center_im = 0.0;
    v.width = 3.2;
    v.width_px = 640;
    v.height_px = 360;
    v.max_iter = 500;
    v.bailout = 2.0;
    tu_path_join (path, sizeof path, s_dir, "j16.png");
    a = s_agreement (path, &v);
    print_message ("julia view: %.4f of counts agree\n", a);
    assert_true (a >= 0.995);
}

/* A PNG's Comment re-renders the same image; options after --params win. */
static void
test_params_round_trip (void **state)
{
    (void)state;
    s_run_t r;
    s_run (&r, "render", "--size", "96x54", "--iter", "3000", "--center", "-0.7453,0.1127",
           "--width", "0.01", "--palette", "ember", "-o", "p1.png", NULL);
    assert_int_equal (r.status, 0);
    s_run (&r, "render", "--params", "p1.png", "-o", "p2.png", NULL);
    assert_int_equal (r.status, 0);
    char p1[256], p2[256], err[256];
    tu_path_join (p1, sizeof p1, s_dir, "p1.png");
    tu_path_join (p2, sizeof p2, s_dir, "p2.png");
    uint8_t *a, *b;
    int w1, h1, w2, h2;
    assert_int_equal (rnd_png_read_rgb (p1, &a, &w1, &h1, err, sizeof err), 0);
    assert_int_equal (rnd_png_read_rgb (p2, &b, &w2, &h2, err, sizeof err), 0);
    assert_int_equal (w1, 96);
    assert_int_equal (w2, 96);
    assert_int_equal (h2, 54);
    assert_memory_equal (a, b, (size_t)96 * 54 * 3);
    free (a);
    free (b);

    /* later options override the file; earlier ones are overridden by it */
    s_run (&r, "render", "--iter", "7", "--params", "p1.png", "--iter", "100", "--size", "32x18",
           "-o", "p3.png", NULL);
    assert_int_equal (r.status, 0);
    rnd_view_t v;
    rnd_view_default (&v);
    char p3[256];
    tu_path_join (p3, sizeof p3, s_dir, "p3.png");
    assert_int_equal (rnd_params_load (p3, &v, err, sizeof err), 0);
    assert_int_equal (v.max_iter, 100);
    assert_int_equal (v.width_px, 32);
    assert_string_equal (v.palette, "ember");
    assert_true (v.width == 0.01);
}

static void
test_every_kernel_gives_same_png (void **state)
{
    (void)state;
    const char *kernels[] = { "scalar", "avx2", "avx512" };
    uint8_t *first = NULL;
    for (int i = 0; i < 3; i++) {
        s_run_t r;
        s_run (&r, "render", "--kernel", kernels[i], "--size", "80x45", "--iter", "2000",
               "--center", "-0.7436,0.1318", "--width", "0.002", "-o", "k.png", NULL);
        if (r.status == 2 && strstr (r.err, "does not support"))
            continue; /* CPU without it: a clear error, which is also tested */
        assert_int_equal (r.status, 0);
        char path[256], err[256];
        tu_path_join (path, sizeof path, s_dir, "k.png");
        uint8_t *px;
        int w, h;
        assert_int_equal (rnd_png_read_rgb (path, &px, &w, &h, err, sizeof err), 0);
        if (!first)
            first = px;
        else {
            assert_memory_equal (first, px, (size_t)w * h * 3);
            free (px);
        }
    }
    free (first);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_help_and_version),
        cmocka_unit_test (test_bad_values_exit_2),
        cmocka_unit_test (test_sim_job),
        cmocka_unit_test (test_bad_palette_and_params_name_the_file),
        cmocka_unit_test (test_unwritable_output_refused_first),
        cmocka_unit_test (test_bench_kernel_json),
        cmocka_unit_test (test_bench_deep_json),
        cmocka_unit_test (test_params_range_error_names_file),
        cmocka_unit_test (test_counts_agree_with_plain_double),
        cmocka_unit_test (test_params_round_trip),
        cmocka_unit_test (test_every_kernel_gives_same_png),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
