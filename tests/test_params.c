/* test_params.c: the parameter text -- exact output, bit-exact round trips,
 * every parser error, locale independence, and loading from files and PNGs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "params.h"
#include "png_io.h"
#include "test_util.h"
#include "view.h"

/* Parser tests read version 1 texts: they must keep loading as they did. */
#define HEADER "p2pfractal-params 1\n"

/* A fixed view for these tests, independent of rnd_view_default (which may
 * change when we pick a new demo image). */
static void
s_fixture_view (rnd_view_t *v)
{
    memset (v, 0, sizeof *v);
    v->fractal = RND_FRACTAL_MANDELBROT;
    v->center_re = -0.7436438870371587;
    v->center_im = 0.1318259042053119;
    v->width = 1.2e-4;
    v->width_px = 1920;
    v->height_px = 1080;
    v->max_iter = 6000;
    v->bailout = 256.0;
    v->julia_re = -0.8;
    v->julia_im = 0.156;
    snprintf (v->palette, sizeof v->palette, "%s", "default");
    v->samples = 1;
}

static const char s_golden[] = "p2pfractal-params 2\n"
                               "fractal=mandelbrot\n"
                               "center_re=-0.74364388703715867\n"
                               "center_im=0.1318259042053119\n"
                               "width=0.00012\n"
                               "size=1920x1080\n"
                               "max_iter=6000\n"
                               "bailout=256\n"
                               "julia_re=-0.80000000000000004\n"
                               "julia_im=0.156\n"
                               "palette=default\n"
                               "bla_epsilon=0\n";

/* --- helpers ----------------------------------------------------------- */

static void
s_assert_double_bits (double expected, double actual, const char *field)
{
    if (memcmp (&expected, &actual, sizeof (double)) != 0)
        fail_msg ("%s: expected %.17g, got %.17g (bits differ)", field, expected, actual);
}

static void
s_assert_view_equal (const rnd_view_t *a, const rnd_view_t *b)
{
    assert_int_equal (a->fractal, b->fractal);
    s_assert_double_bits (a->center_re, b->center_re, "center_re");
    s_assert_double_bits (a->center_im, b->center_im, "center_im");
    s_assert_double_bits (a->width, b->width, "width");
    assert_int_equal (a->width_px, b->width_px);
    assert_int_equal (a->height_px, b->height_px);
    assert_int_equal (a->max_iter, b->max_iter);
    s_assert_double_bits (a->bailout, b->bailout, "bailout");
    s_assert_double_bits (a->julia_re, b->julia_re, "julia_re");
    s_assert_double_bits (a->julia_im, b->julia_im, "julia_im");
    assert_string_equal (a->palette, b->palette);
    s_assert_double_bits (a->bla_epsilon, b->bla_epsilon, "bla_epsilon");
    assert_int_equal (a->samples, b->samples);
    assert_string_equal (a->center_re_text, b->center_re_text);
    assert_string_equal (a->center_im_text, b->center_im_text);
    assert_string_equal (a->width_text, b->width_text);
}

/* A view in which every field differs from the default. */
static void
s_other_view (rnd_view_t *v)
{
    s_fixture_view (v);
    v->fractal = RND_FRACTAL_JULIA;
    v->center_re = 0.1;
    v->center_im = -0.7436438870371587;
    v->width = 1e-13;
    v->width_px = 7;
    v->height_px = 16384;
    v->max_iter = 16000000;
    v->bailout = 1e300;
    v->julia_re = -0.0;     /* the sign bit must survive */
    v->julia_im = 4.9e-324; /* smallest subnormal */
    snprintf (v->palette, sizeof v->palette, "%s", "maps/My Fire.map");
    v->bla_epsilon = 0x1p-30;
    v->samples = RND_VIEW_SAMPLES_MAX;
}

/* Parses a C string; returns the parser's result. */
static int
s_parse (const char *text, rnd_view_t *v, char *err, size_t err_size)
{
    return rnd_params_parse (text, strlen (text), "t.txt", v, err, err_size);
}

/* Parses text expecting failure; checks that err contains each of the
 * NULL-terminated fragments and that the view was not touched. */
static void
s_expect_error (const char *text, ...)
{
    rnd_view_t v, before;
    s_fixture_view (&v);
    before = v;
    char err[512] = "";
    int rc = s_parse (text, &v, err, sizeof err);
    if (rc != -1)
        fail_msg ("expected an error for:\n%s", text);
    va_list args;
    va_start (args, text);
    for (const char *part = va_arg (args, const char *); part; part = va_arg (args, const char *))
        if (!strstr (err, part))
            fail_msg ("error '%s' lacks '%s' (input:\n%s)", err, part, text);
    va_end (args);
    assert_null (strchr (err, '\n'));
    s_assert_view_equal (&before, &v);
}

/* --- format ------------------------------------------------------------ */

static void
test_format_golden (void **state)
{
    (void)state;
    rnd_view_t v;
    s_fixture_view (&v);
    char buf[RND_PARAMS_FORMAT_MAX];
    int len = rnd_params_format (&v, buf, sizeof buf);
    assert_int_equal (len, (int)strlen (s_golden));
    assert_string_equal (buf, s_golden);
}

static void
test_format_buffer_too_small (void **state)
{
    (void)state;
    rnd_view_t v;
    s_fixture_view (&v);
    size_t need = strlen (s_golden) + 1;
    char buf[RND_PARAMS_FORMAT_MAX];
    assert_int_equal (rnd_params_format (&v, buf, need - 1), -1);
    assert_int_equal (rnd_params_format (&v, buf, 0), -1);
    assert_int_equal (rnd_params_format (&v, buf, need), (int)need - 1);
}

/* The largest possible view fits RND_PARAMS_FORMAT_MAX. */
static void
test_format_max_fits (void **state)
{
    (void)state;
    rnd_view_t v;
    s_fixture_view (&v);
    v.center_re = v.center_im = v.width = v.bailout = v.julia_re = v.julia_im =
        -2.2250738585072014e-308;
    v.width_px = v.height_px = v.max_iter = -2147483647 - 1;
    memset (v.palette, 'p', sizeof v.palette - 1);
    v.palette[sizeof v.palette - 1] = '\0';
    char buf[RND_PARAMS_FORMAT_MAX];
    int len = rnd_params_format (&v, buf, sizeof buf);
    assert_true (len > 0);
    assert_true (len < RND_PARAMS_FORMAT_MAX);
    /* and with the longest decimal texts */
    static char re[RND_DECIMAL_MAX], w[RND_WIDTH_TEXT_MAX];
    memset (re, '1', sizeof re - 1);
    re[0] = '-';
    re[2] = '.';
    re[sizeof re - 1] = '\0';
    memset (w, '7', sizeof w - 1);
    memcpy (w, "0.", 2);
    w[sizeof w - 1] = '\0';
    assert_int_equal (rnd_view_set_center_text (&v, re, re + 1), 0);
    assert_int_equal (rnd_view_set_width_text (&v, w), 0);
    assert_int_equal ((int)strlen (v.center_re_text), RND_DECIMAL_MAX - 1);
    len = rnd_params_format (&v, buf, sizeof buf);
    assert_true (len > 2 * (RND_DECIMAL_MAX - 1));
    assert_true (len < RND_PARAMS_FORMAT_MAX);
}

/* Views that could not be read back identically are refused. */
static void
test_format_refuses_unrepresentable (void **state)
{
    (void)state;
    char buf[RND_PARAMS_FORMAT_MAX];
    rnd_view_t v;

    s_fixture_view (&v);
    v.width = 0.0 / 0.0;
    assert_int_equal (rnd_params_format (&v, buf, sizeof buf), -1);
    s_fixture_view (&v);
    v.julia_im = 1.0 / 0.0;
    assert_int_equal (rnd_params_format (&v, buf, sizeof buf), -1);
    s_fixture_view (&v);
    v.fractal = (rnd_fractal_t)7;
    assert_int_equal (rnd_params_format (&v, buf, sizeof buf), -1);
    s_fixture_view (&v);
    v.palette[0] = '\0';
    assert_int_equal (rnd_params_format (&v, buf, sizeof buf), -1);
    s_fixture_view (&v);
    snprintf (v.palette, sizeof v.palette, "%s", "two\nlines");
    assert_int_equal (rnd_params_format (&v, buf, sizeof buf), -1);
    s_fixture_view (&v);
    snprintf (v.palette, sizeof v.palette, "%s", " padded");
    assert_int_equal (rnd_params_format (&v, buf, sizeof buf), -1);
    s_fixture_view (&v);
    memset (v.palette, 'a', sizeof v.palette); /* no terminator */
    assert_int_equal (rnd_params_format (&v, buf, sizeof buf), -1);
}

/* --- round trip -------------------------------------------------------- */

static void
s_round_trip (const rnd_view_t *v)
{
    char buf[RND_PARAMS_FORMAT_MAX];
    int len = rnd_params_format (v, buf, sizeof buf);
    assert_true (len > 0);
    /* Start from a view that differs everywhere, so every key must land. */
    rnd_view_t back;
    memset (&back, 0x5a, sizeof back);
    back.palette[0] = '\0';
    char err[256] = "";
    int rc = rnd_params_parse (buf, (size_t)len, "rt", &back, err, sizeof err);
    if (rc != 0)
        fail_msg ("parse failed: %s\n%s", err, buf);
    s_assert_view_equal (v, &back);
    /* And the text itself is stable. */
    char again[RND_PARAMS_FORMAT_MAX];
    assert_int_equal (rnd_params_format (&back, again, sizeof again), len);
    assert_string_equal (buf, again);
}

static void
test_round_trip (void **state)
{
    (void)state;
    rnd_view_t v;
    s_fixture_view (&v);
    s_round_trip (&v);
    s_other_view (&v);
    s_round_trip (&v);

    static const double values[] = {
        0.1,
        -0.7436438870371587,
        1e-13,
        1e300,
        -1e300,
        1.7976931348623157e308,
        2.2250738585072014e-308,
        4.9e-324,
        -0.0,
        0.0,
        1.0 / 3.0,
        123456789.123456789,
        0x1.fffffffffffffp-1,
        2.0,
        -2.5e-7,
    };
    size_t n = sizeof values / sizeof values[0];
    for (size_t i = 0; i < n; i++) {
        s_fixture_view (&v);
        v.center_re = values[i];
        v.center_im = values[(i + 1) % n];
        v.width = values[(i + 2) % n];
        v.bailout = values[(i + 3) % n];
        v.julia_re = values[(i + 4) % n];
        v.julia_im = values[(i + 5) % n];
        v.fractal = i % 2 ? RND_FRACTAL_JULIA : RND_FRACTAL_MANDELBROT;
        v.width_px = (int)i + 1;
        v.height_px = 2147483647 - (int)i;
        v.max_iter = -(int)i; /* the parser does not range-check */
        s_round_trip (&v);
    }
}

/* --- parse: accepted input --------------------------------------------- */

static void
test_parse_crlf (void **state)
{
    (void)state;
    const char *text = "p2pfractal-params 1\r\n"
                       "fractal=julia\r\n"
                       "width=2.5\r\n"
                       "size=640x480\r\n"
                       "palette=fire\r\n";
    rnd_view_t v;
    s_fixture_view (&v);
    char err[256] = "";
    assert_int_equal (s_parse (text, &v, err, sizeof err), 0);
    assert_int_equal (v.fractal, RND_FRACTAL_JULIA);
    s_assert_double_bits (2.5, v.width, "width");
    assert_int_equal (v.width_px, 640);
    assert_int_equal (v.height_px, 480);
    assert_string_equal (v.palette, "fire"); /* no stray '\r' */
}

static void
test_parse_comments_blank_whitespace (void **state)
{
    (void)state;
    const char *text = "\xef\xbb\xbf"
                       "# saved by hand\n"
                       "\n"
                       "   \t\n"
                       "  p2pfractal-params   1  \n"
                       "# fractal=julia  (commented out)\n"
                       "\tmax_iter\t=\t777 \n"
                       "   # indented comment\n"
                       "palette =  my palette  \n"
                       "center_im=-1.5"; /* no final newline */
    rnd_view_t v, expected;
    s_fixture_view (&v);
    expected = v;
    expected.max_iter = 777;
    expected.center_im = -1.5;
    snprintf (expected.palette, sizeof expected.palette, "%s", "my palette");
    char err[256] = "";
    int rc = s_parse (text, &v, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    s_assert_view_equal (&expected, &v);
}

static void
test_parse_absent_keys_unchanged (void **state)
{
    (void)state;
    rnd_view_t v, expected;
    s_other_view (&v);
    expected = v;
    char err[256] = "";
    assert_int_equal (s_parse (HEADER, &v, err, sizeof err), 0);
    /* All but samples: no line is 1 sample (params.h). */
    expected.samples = 1;
    s_assert_view_equal (&expected, &v);

    assert_int_equal (s_parse (HEADER "max_iter=42\n", &v, err, sizeof err), 0);
    expected.max_iter = 42;
    s_assert_view_equal (&expected, &v);
}

/* The text is a (pointer, length) pair: bytes past len are never looked at. */
static void
test_parse_not_nul_terminated (void **state)
{
    (void)state;
    const char full[] = HEADER "max_iter=1234\nwidth=bogus\n";
    /* Cut right after "max_iter=12". */
    size_t len = strlen (HEADER "max_iter=12");
    /* An exact-size heap copy with no terminator: AddressSanitizer catches
     * any read past the end. */
    char *text = malloc (len);
    assert_non_null (text);
    memcpy (text, full, len);
    rnd_view_t v;
    s_fixture_view (&v);
    char err[256] = "";
    int rc = rnd_params_parse (text, len, "t.txt", &v, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    assert_int_equal (v.max_iter, 12);
    free (text);

    /* Same with garbage in the buffer right behind len. */
    char buf[64];
    memset (buf, '7', sizeof buf);
    memcpy (buf, HEADER "max_iter=5", strlen (HEADER "max_iter=5"));
    s_fixture_view (&v);
    assert_int_equal (
        rnd_params_parse (buf, strlen (HEADER "max_iter=5"), "t.txt", &v, err, sizeof err), 0);
    assert_int_equal (v.max_iter, 5);

    /* len == 0 is an empty text: no header. */
    assert_int_equal (rnd_params_parse (buf, 0, "t.txt", &v, err, sizeof err), -1);
}

/* --- parse: errors ----------------------------------------------------- */

static void
test_parse_missing_header (void **state)
{
    (void)state;
    s_expect_error ("fractal=julia\n", "t.txt: not a p2pfractal parameter file", NULL);
    s_expect_error ("", "t.txt: not a p2pfractal parameter file", NULL);
    s_expect_error ("# only a comment\n\n", "not a p2pfractal parameter file", NULL);
    s_expect_error ("p2pfractal-paramsX 1\n", "not a p2pfractal parameter file", NULL);
    s_expect_error ("KFR comment from another program\n", "not a p2pfractal parameter file", NULL);
    /* The header must come before any key. */
    s_expect_error ("max_iter=5\n" HEADER, "not a p2pfractal parameter file", NULL);

    char err[256] = "";
    rnd_view_t v;
    s_fixture_view (&v);
    assert_int_equal (rnd_params_parse ("x=1", 3, NULL, &v, err, sizeof err), -1);
    assert_string_equal (err, "parameters: not a p2pfractal parameter file");
}

static void
test_parse_wrong_version (void **state)
{
    (void)state;
    char err[256] = "";
    rnd_view_t v;
    s_fixture_view (&v);
    assert_int_equal (s_parse ("p2pfractal-params 3\nmax_iter=1\n", &v, err, sizeof err), -1);
    assert_string_equal (
        err, "t.txt: unsupported parameter version 3 (this program reads versions 1 to 2)");
    s_expect_error ("p2pfractal-params 0\n", "unsupported parameter version 0", NULL);
    s_expect_error ("p2pfractal-params\n", "t.txt: bad parameter version ''", NULL);
    s_expect_error ("p2pfractal-params 1.0\n", "bad parameter version '1.0'", NULL);
    s_expect_error ("p2pfractal-params one\n", "bad parameter version 'one'", NULL);
}

static void
test_parse_unknown_key (void **state)
{
    (void)state;
    char err[256] = "";
    rnd_view_t v;
    s_fixture_view (&v);
    assert_int_equal (s_parse (HEADER "max_iter=5\n\ncolour=red\n", &v, err, sizeof err), -1);
    assert_string_equal (err, "t.txt line 4: unknown key 'colour'");
    assert_int_equal (v.max_iter, 6000); /* nothing applied on error */
    /* Keys are case-sensitive. */
    s_expect_error (HEADER "Width=1\n", "t.txt line 2: unknown key 'Width'", NULL);
    s_expect_error (HEADER "=1\n", "line 2: unknown key ''", NULL);
    s_expect_error (HEADER "width 1\n", "t.txt line 2: expected key=value, got 'width 1'", NULL);
}

static void
test_parse_bad_number (void **state)
{
    (void)state;
    char err[256] = "";
    rnd_view_t v;
    s_fixture_view (&v);
    assert_int_equal (s_parse (HEADER "max_iter=7\nwidth=abc\n", &v, err, sizeof err), -1);
    assert_string_equal (err, "t.txt line 3: width: 'abc' is not a number");
    assert_int_equal (v.max_iter, 6000);

    s_expect_error (HEADER "bailout=\n", "line 2: bailout: '' is not a number", NULL);
    s_expect_error (HEADER "center_re=0,5\n", "center_re: '0,5' is not a number", NULL);
    s_expect_error (HEADER "max_iter=abc\n", "max_iter: 'abc' is not an integer", NULL);
    s_expect_error (HEADER "max_iter=99999999999\n", "max_iter: '99999999999' is out of range",
                    NULL);
    s_expect_error (HEADER "julia_im=1e999\n", "julia_im: '1e999' is out of range", NULL);
    s_expect_error (HEADER "fractal=burningship\n",
                    "line 2: fractal: 'burningship' is not a fractal type", NULL);
    /* Control characters in a quoted value are neutralised. */
    s_expect_error (HEADER "width=\x1b[31mred\n", "width: '?[31mred' is not a number", NULL);
}

static void
test_parse_trailing_junk (void **state)
{
    (void)state;
    s_expect_error (HEADER "width=1.5x\n", "width: '1.5x' is not a number", NULL);
    s_expect_error (HEADER "width=1.5 2\n", "width: '1.5 2' is not a number", NULL);
    s_expect_error (HEADER "center_im=1e\n", "center_im: '1e' is not a number", NULL);
    s_expect_error (HEADER "max_iter=12.5\n", "max_iter: '12.5' is not an integer", NULL);
    s_expect_error (HEADER "max_iter=100abc\n", "max_iter: '100abc' is not an integer", NULL);
    s_expect_error (HEADER "max_iter=1e3\n", "max_iter: '1e3' is not an integer", NULL);
    s_expect_error (HEADER "max_iter=- 5\n", "is not an integer", NULL);
    s_expect_error (HEADER "width=1\r5\n", "is not a number", NULL);
}

static void
test_parse_nan_inf (void **state)
{
    (void)state;
    s_expect_error (HEADER "width=nan\n", "line 2: width: 'nan' is not a finite number", NULL);
    s_expect_error (HEADER "width=NaN\n", "'NaN' is not a finite number", NULL);
    s_expect_error (HEADER "bailout=inf\n", "bailout: 'inf' is not a finite number", NULL);
    s_expect_error (HEADER "bailout=-Infinity\n", "'-Infinity' is not a finite number", NULL);
    s_expect_error (HEADER "julia_re=nan(0x1)\n", "is not a finite number", NULL);
}

static void
test_parse_bad_size (void **state)
{
    (void)state;
    static const char *const bad[] = {
        "1920",        "1920x",          "x1080",   "0x1080",
        "1920x0",      "-5x5",           "5x-5",    "+5x5",
        "1920x1080x3", "1920 x 1080",    "axb",     "99999999999x1",
        "1920X1080",   "1920x1080 junk", "0x10x10", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[128], quoted[64];
        snprintf (text, sizeof text, HEADER "size=%s\n", bad[i]);
        snprintf (quoted, sizeof quoted, "size: '%s' is not WxH", bad[i]);
        s_expect_error (text, "t.txt line 2: ", quoted, NULL);
    }
    /* A valid one, for contrast. */
    rnd_view_t v;
    s_fixture_view (&v);
    char err[256];
    assert_int_equal (s_parse (HEADER "size=1x16384\n", &v, err, sizeof err), 0);
    assert_int_equal (v.width_px, 1);
    assert_int_equal (v.height_px, 16384);
}

static void
test_parse_bad_palette (void **state)
{
    (void)state;
    s_expect_error (HEADER "palette=\n", "line 2: palette: empty name", NULL);
    s_expect_error (HEADER "palette=  \n", "palette: empty name", NULL);
    s_expect_error (HEADER "palette=caf\xc3\xa9\n", "palette: 'caf?\?' has characters", NULL);
    s_expect_error (HEADER "palette=a\tb\n", "palette: 'a?b' has characters", NULL);

    char text[600];
    int n = snprintf (text, sizeof text, HEADER "palette=");
    memset (text + n, 'p', RND_PALETTE_NAME_MAX);
    snprintf (text + n + RND_PALETTE_NAME_MAX, sizeof text - (size_t)n - RND_PALETTE_NAME_MAX,
              "\n");
    s_expect_error (text, "palette: name longer than 255 characters", NULL);

    /* The longest allowed name. */
    text[n + RND_PALETTE_NAME_MAX - 1] = '\n';
    text[n + RND_PALETTE_NAME_MAX] = '\0';
    rnd_view_t v;
    s_fixture_view (&v);
    char err[256] = "";
    assert_int_equal (s_parse (text, &v, err, sizeof err), 0);
    assert_int_equal (strlen (v.palette), RND_PALETTE_NAME_MAX - 1);
}

static void
test_parse_duplicate_key (void **state)
{
    (void)state;
    s_expect_error (HEADER "width=1\nmax_iter=3\nwidth=2\n",
                    "t.txt line 4: duplicate key 'width' (first set on line 2)", NULL);
}

static void
test_parse_limits (void **state)
{
    (void)state;
    /* A NUL byte inside the text. */
    const char with_nul[] = HEADER "max_iter=5\0junk\n";
    rnd_view_t v;
    s_fixture_view (&v);
    char err[256] = "";
    assert_int_equal (
        rnd_params_parse (with_nul, sizeof with_nul - 1, "t.txt", &v, err, sizeof err), -1);
    assert_non_null (strstr (err, "t.txt line 2: contains a NUL byte"));

    /* An over-long line. */
    static char line[RND_DECIMAL_MAX + 2100];
    int n = snprintf (line, sizeof line, HEADER "# ");
    memset (line + n, 'c', RND_DECIMAL_MAX + 2000);
    line[n + RND_DECIMAL_MAX + 2000] = '\0';
    s_expect_error (line, "t.txt line 2: line longer than", NULL);

    /* The whole text is bounded. */
    size_t big_len = RND_PARAMS_TEXT_MAX + 1;
    char *big = malloc (big_len);
    assert_non_null (big);
    memset (big, '\n', big_len);
    memcpy (big, HEADER, strlen (HEADER));
    assert_int_equal (rnd_params_parse (big, big_len, "big.txt", &v, err, sizeof err), -1);
    assert_non_null (strstr (err, "big.txt: parameter text too long"));
    /* ... and exactly at the limit it is fine. */
    assert_int_equal (rnd_params_parse (big, big_len - 1, "big.txt", &v, err, sizeof err), 0);
    free (big);

    /* A tiny error buffer is not overrun. */
    char small[8];
    memset (small, 'z', sizeof small);
    assert_int_equal (s_parse ("nonsense", &v, small, 5), -1);
    assert_int_equal (small[4], '\0');
    assert_int_equal (small[5], 'z');
}

/* --- locale independence ----------------------------------------------- */

/* Finds an installed locale whose decimal point is a comma, or NULL. */
static const char *
s_comma_locale (void)
{
    static const char *const names[] = {
        "de_DE.UTF-8", "de_DE.utf8",  "de_DE",       "fr_FR.UTF-8", "fr_FR.utf8",
        "fr_FR",       "nl_NL.UTF-8", "es_ES.UTF-8", "it_IT.UTF-8", "ru_RU.UTF-8",
        "pt_BR.UTF-8", "sv_SE.UTF-8", "pl_PL.UTF-8", "da_DK.UTF-8",
    };
    const char *found = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !found; i++) {
        if (!setlocale (LC_NUMERIC, names[i]))
            continue;
        if (strcmp (localeconv ()->decimal_point, ",") == 0)
            found = names[i];
    }
    setlocale (LC_NUMERIC, "C");
    return found;
}

static void
s_check_c_numbers (void)
{
    rnd_view_t v;
    s_fixture_view (&v);
    char buf[RND_PARAMS_FORMAT_MAX];
    assert_int_equal (rnd_params_format (&v, buf, sizeof buf), (int)strlen (s_golden));
    assert_string_equal (buf, s_golden);
    char err[256] = "";
    int rc = s_parse (HEADER "width=0.5\ncenter_re=-1.25e-3\n", &v, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    s_assert_double_bits (0.5, v.width, "width");
    s_assert_double_bits (-1.25e-3, v.center_re, "center_re");
    /* The comma form is junk in every locale. */
    assert_int_equal (s_parse (HEADER "width=0,5\n", &v, err, sizeof err), -1);
}

/* Puts the C locale back even when an assertion left the test early, so a
 * failure here cannot cascade into the tests after it. */
static int
s_teardown_locale (void **state)
{
    (void)state;
    uselocale (LC_GLOBAL_LOCALE);
    setlocale (LC_NUMERIC, "C");
    return 0;
}

static void
test_locale_independent (void **state)
{
    (void)state;
    const char *name = s_comma_locale ();
    if (!name) {
        /* Install one (e.g. locales + locale-gen de_DE.UTF-8) to run this. */
        print_message ("no locale with a decimal comma installed; skipping\n");
        skip ();
    }

    /* Process-wide, as a program calling setlocale (LC_ALL, "") would. */
    assert_non_null (setlocale (LC_NUMERIC, name));
    char probe[16];
    snprintf (probe, sizeof probe, "%.1f", 0.5);
    assert_string_equal (probe, "0,5"); /* the test really runs under a comma */
    s_check_c_numbers ();
    snprintf (probe, sizeof probe, "%.1f", 0.5);
    assert_string_equal (probe, "0,5"); /* and we left it so */
    setlocale (LC_NUMERIC, "C");

    /* Per-thread: our uselocale must restore the caller's thread locale. */
    locale_t comma = newlocale (LC_NUMERIC_MASK, name, (locale_t)0);
    assert_non_null (comma);
    locale_t old = uselocale (comma);
    s_check_c_numbers ();
    snprintf (probe, sizeof probe, "%.1f", 0.5);
    assert_string_equal (probe, "0,5");
    uselocale (old);
    freelocale (comma);
}

/* --- load -------------------------------------------------------------- */

static void
test_load_text_file (void **state)
{
    char path[512];
    tu_path_join (path, sizeof path, *state, "view.params");
    rnd_view_t v, back;
    s_other_view (&v);
    char buf[RND_PARAMS_FORMAT_MAX];
    int len = rnd_params_format (&v, buf, sizeof buf);
    assert_true (len > 0);
    tu_file_write (path, buf, (size_t)len);

    s_fixture_view (&back);
    char err[512] = "";
    int rc = rnd_params_load (path, &back, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    s_assert_view_equal (&v, &back);
}

static void
test_load_fixture (void **state)
{
    (void)state;
    rnd_view_t v, expected;
    s_fixture_view (&v);
    expected = v;
    expected.fractal = RND_FRACTAL_JULIA;
    expected.julia_re = -0.4;
    expected.julia_im = 0.6;
    expected.center_re = 0;
    expected.center_im = 0;
    expected.width = 3.2;
    expected.width_px = 800;
    expected.height_px = 600;
    expected.max_iter = 500;
    char err[512] = "";
    int rc = rnd_params_load (P2PF_TEST_DATA_DIR "/params/julia.params", &v, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    s_assert_view_equal (&expected, &v);
    assert_int_equal (rnd_view_validate (&v, err, sizeof err), 0);

    assert_int_equal (
        rnd_params_load (P2PF_TEST_DATA_DIR "/params/version3.params", &v, err, sizeof err), -1);
    assert_string_equal (err, P2PF_TEST_DATA_DIR "/params/version3.params: unsupported parameter "
                                                 "version 3 (this program reads versions 1 to 2)");
}

/* Writes a w x h PNG of pseudo-random pixels, so that it does not
 * compress away, with the parameter text of v as its Comment. */
static void
s_write_params_png (const char *path, const rnd_view_t *v, int w, int h)
{
    char text[RND_PARAMS_FORMAT_MAX];
    assert_true (rnd_params_format (v, text, sizeof text) > 0);
    uint8_t *rgb = malloc ((size_t)w * h * 3);
    assert_non_null (rgb);
    uint32_t x = 12345;
    for (size_t i = 0; i < (size_t)w * h * 3; i++) {
        x = x * 1664525u + 1013904223u;
        rgb[i] = (uint8_t)(x >> 24);
    }
    char err[512] = "";
    int rc = rnd_png_write_rgb (path, rgb, w, h, text, err, sizeof err);
    free (rgb);
    if (rc != 0)
        fail_msg ("%s", err);
}

/* --- version 2: decimals of any length -------------------------------- */

/* A centre of 1000 significant digits per coordinate (a fixed pseudo-random
 * digit string) and a width below the range of doubles. */
static void
s_deep_view (rnd_view_t *v)
{
    static char re[1100], im[1100];
    uint32_t x = 12345;
    memcpy (re, "-1.", 3);
    memcpy (im, "0.", 2);
    for (int i = 0; i < 999; i++) {
        x = x * 1103515245u + 12345u;
        re[3 + i] = (char)('0' + (x >> 16) % 10);
        im[2 + i] = (char)('0' + (x >> 20) % 10);
    }
    re[3 + 998] = '7'; /* no trailing zero: the text is its canonical form */
    im[2 + 998] = '3';
    re[3 + 999] = im[2 + 999] = '\0';
    s_fixture_view (v);
    assert_int_equal (rnd_view_set_center_text (v, re, im), 0);
    assert_int_equal (rnd_view_set_width_text (v, "4e-1000"), 0);
    assert_string_equal (v->center_re_text, re);
    assert_string_equal (v->center_im_text, im);
}

static void
test_v2_deep_round_trip (void **state)
{
    (void)state;
    rnd_view_t v;
    s_deep_view (&v);
    assert_int_equal ((int)strlen (v.center_re_text), 1002); /* "-1." and 999 digits */
    assert_string_equal (v.width_text, "4e-1000");
    assert_true (v.width == 0.0); /* below the doubles: the text is the width */
    assert_true (v.center_re < -1.0 && v.center_re > -2.0);
    s_round_trip (&v);
    char buf[RND_PARAMS_FORMAT_MAX];
    assert_true (rnd_params_format (&v, buf, sizeof buf) > 2000);
    assert_non_null (strstr (buf, "p2pfractal-params 2\n"));
    assert_non_null (strstr (buf, "\nwidth=4e-1000\n"));
    char line[1200];
    snprintf (line, sizeof line, "\ncenter_re=%s\n", v.center_re_text);
    assert_non_null (strstr (buf, line));
}

/* One value, one text: the job id hashes it. A double's %.17g is its own
 * canonical text, so views made of doubles keep no text at all. */
static void
test_v2_canonical (void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        { "-0.50", "" },                /* == %.17g of -0.5 */
        { "+0.5000e0", "" },            /* likewise */
        { "0.1", "0.1" },               /* %.17g would be 0.10000000000000001 */
        { "000.00012300", "0.000123" }, /* x = -4: still positional, like %g */
        { "0.0000123", "1.23e-05" },
        { "4E-227", "4e-227" },
        { "12345678901234567890", "1.234567890123456789e+19" }, /* 19 digits < 10^19 */
        { "123456789012345678901", "123456789012345678901" },
        { "1.5e30", "1.5e+30" },
        { "-1.74006238257933990529841091", "-1.74006238257933990529841091" },
        { "0.00", "" },                 /* zero: "0" is %.17g of 0.0 */
        { "0.5e-999998", "5e-999999" }, /* the smallest exponent that reads back */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rnd_view_t v;
        s_fixture_view (&v);
        if (rnd_view_set_width_text (&v, cases[i][0]) != 0)
            fail_msg ("'%s' refused", cases[i][0]);
        if (strcmp (v.width_text, cases[i][1]) != 0)
            fail_msg ("'%s' -> '%s', expected '%s'", cases[i][0], v.width_text, cases[i][1]);
    }
    /* not plain decimals */
    /* 0.5e-999999 is 5e-1000000, an exponent of seven digits that would
     * not read back (fuzz_png found a Comment with 0.13184e-999999). */
    static const char *const bad[] = { "",      "-",     ".",          "1e", "0x1p3",
                                       "inf",   "nan",   " 1",         "1 ", "1e1234567",
                                       "1.2.3", "1e400", "0.5e-999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rnd_view_t v, before;
        s_fixture_view (&v);
        before = v;
        if (rnd_view_set_width_text (&v, bad[i]) == 0)
            fail_msg ("'%s' accepted", bad[i]);
        s_assert_view_equal (&before, &v);
    }
    /* ... and in a text it is out of range, not read as 0 */
    s_expect_error ("p2pfractal-params 2\ncenter_im=0.13184e-999999\n",
                    "line 2: center_im: '0.13184e-999999' is out of range", NULL);
    /* in the text: "-0.50" reads as -0.5 and writes back as -0.5 */
    rnd_view_t v;
    s_fixture_view (&v);
    char err[256];
    assert_int_equal (
        s_parse ("p2pfractal-params 2\ncenter_re=-0.50\ncenter_im=0.1\n", &v, err, sizeof err), 0);
    s_assert_double_bits (-0.5, v.center_re, "center_re");
    assert_string_equal (v.center_re_text, "");
    assert_string_equal (rnd_view_center_im_text (&v), "0.1");
}

/* A fixed pseudo-random sequence: the next value below m. */
static uint32_t
s_next (uint32_t *x, uint32_t m)
{
    *x = *x * 1664525u + 1013904223u;
    return (*x >> 8) % m;
}

/* Whatever decimal a centre accepts writes a text that reads back to the
 * same view and the same text (a job's id hashes that text): 20,000
 * pseudo-random decimals, digits before and after the point, exponents
 * near 0, near the doubles' range and near the six-digit limit, where a
 * long fraction used to shift the exponent past what reads back. */
static void
test_v2_accepted_reads_back (void **state)
{
    (void)state;
    uint32_t x = 2026;
#define S_NEXT(m) s_next (&x, (uint32_t)(m))
    int accepted = 0, refused = 0;
    for (int i = 0; i < 20000; i++) {
        char t[200];
        size_t o = 0;
        if (S_NEXT (3) == 0)
            t[o++] = S_NEXT (2) ? '-' : '+';
        int ints = S_NEXT (4) ? (int)S_NEXT (25) : 0;
        int fracs = (int)S_NEXT (60);
        for (int k = 0; k < ints; k++)
            t[o++] = (char)('0' + S_NEXT (10));
        if (fracs || !ints) {
            t[o++] = '.';
            for (int k = 0; k < fracs || (!ints && k < 1); k++)
                t[o++] = (char)('0' + S_NEXT (10));
        }
        static const long exps[] = { 0, 5, 17, 300, 308, 330, 4000, 999900, 999999 };
        if (S_NEXT (4)) {
            long e = exps[S_NEXT (sizeof exps / sizeof exps[0])];
            e -= S_NEXT (2) ? (long)S_NEXT (80) : 0;
            const char *sign = S_NEXT (2) ? "-" : "";
            o += (size_t)snprintf (t + o, sizeof t - o, "e%s%ld", sign, e < 0 ? 0 : e);
        }
        t[o] = '\0';
        rnd_view_t v;
        s_fixture_view (&v);
        if (rnd_view_set_center_text (&v, t, "0") != 0) {
            refused++;
            continue;
        }
        accepted++;
        const char *text = rnd_view_center_re_text (&v);
        if (text && !rnd_decimal_ok (text, RND_DECIMAL_MAX))
            fail_msg ("'%s' was kept as '%s', which does not read back", t, text);
        s_round_trip (&v);
    }
#undef S_NEXT
    /* Both sides were exercised: out-of-range exponents are refused. */
    assert_true (accepted > 10000);
    assert_true (refused > 100);
}

/* A text goes stale when its double is moved (a window zoom assigns the
 * doubles): it is then neither written nor used. */
static void
test_v2_stale_text_dropped (void **state)
{
    (void)state;
    rnd_view_t v;
    s_deep_view (&v);
    assert_non_null (rnd_view_center_re_text (&v));
    v.center_re = -0.75;
    v.width = 0.5;
    assert_null (rnd_view_center_re_text (&v));
    assert_non_null (rnd_view_center_im_text (&v));
    assert_null (rnd_view_width_text (&v));
    char buf[RND_PARAMS_FORMAT_MAX];
    assert_true (rnd_params_format (&v, buf, sizeof buf) > 0);
    assert_non_null (strstr (buf, "\ncenter_re=-0.75\n"));
    assert_non_null (strstr (buf, "\nwidth=0.5\n"));
}

/* samples: written only when K > 1, last, so a 1-sample view's text (its
 * PNG Comment, its job id) is the one it had before anti-aliasing; a text
 * without the line is 1 sample whatever the view held; junk is refused. */
static void
test_samples_line (void **state)
{
    (void)state;
    rnd_view_t v;
    s_fixture_view (&v);
    char buf[RND_PARAMS_FORMAT_MAX], err[256] = "";
    assert_int_equal (rnd_params_format (&v, buf, sizeof buf), (int)strlen (s_golden));
    assert_string_equal (buf, s_golden);
    v.samples = 3;
    assert_true (rnd_params_format (&v, buf, sizeof buf) > 0);
    char want[sizeof s_golden + 16];
    snprintf (want, sizeof want, "%ssamples=3\n", s_golden);
    assert_string_equal (buf, want);
    s_round_trip (&v);
    /* A version 2 text without the line, parsed into a view of 3. */
    assert_int_equal (rnd_params_parse (s_golden, strlen (s_golden), "t", &v, err, sizeof err), 0);
    assert_int_equal (v.samples, 1);
    s_expect_error ("p2pfractal-params 2\nsamples=two\n", "t.txt line 2", "samples",
                    "'two' is not an integer", NULL);
    s_expect_error ("p2pfractal-params 2\nsamples=2\nsamples=2\n", "duplicate key 'samples'", NULL);
    /* The range is validation's. */
    assert_int_equal (s_parse ("p2pfractal-params 2\nsamples=9\n", &v, err, sizeof err), 0);
    rnd_view_field_t bad;
    assert_int_equal (rnd_view_validate_field (&v, &bad, err, sizeof err), -1);
    assert_int_equal (bad, RND_FIELD_SAMPLES);
    assert_non_null (strstr (err, "1..8"));
}

/* Version 1 values are doubles, whatever digits they carry: a version 1
 * file loads exactly as it did before version 2 existed. */
static void
test_v1_values_are_doubles (void **state)
{
    (void)state;
    rnd_view_t v;
    s_fixture_view (&v);
    char err[256];
    assert_int_equal (s_parse (HEADER "center_re=-1.74006238257933990529841091\nwidth=1e-400\n", &v,
                               err, sizeof err),
                      0);
    s_assert_double_bits (-1.7400623825793399, v.center_re, "center_re");
    s_assert_double_bits (0.0, v.width, "width");
    assert_string_equal (v.center_re_text, "");
    assert_string_equal (v.width_text, "");
    /* version 2 keeps them */
    assert_int_equal (s_parse ("p2pfractal-params 2\ncenter_re=-1.74006238257933990529841091\n"
                               "width=1e-400\n",
                               &v, err, sizeof err),
                      0);
    assert_string_equal (v.center_re_text, "-1.74006238257933990529841091");
    assert_string_equal (v.width_text, "1e-400");
    /* a decimal longer than the view can hold is an error, not a rounding */
    size_t big = RND_DECIMAL_MAX + 10;
    char *text = malloc (big + 64);
    assert_non_null (text);
    int n = snprintf (text, big + 64, "p2pfractal-params 2\ncenter_re=0.");
    memset (text + n, '3', big);
    memcpy (text + n + big, "\n", 2);
    assert_int_equal (s_parse (text, &v, err, sizeof err), -1);
    assert_non_null (strstr (err, "center_re"));
    free (text);
}

static void
test_load_png (void **state)
{
    char path[512];
    tu_path_join (path, sizeof path, *state, "image.png");
    rnd_view_t v, back;
    s_other_view (&v);
    s_write_params_png (path, &v, 4, 3);
    s_fixture_view (&back);
    char err[512] = "";
    int rc = rnd_params_load (path, &back, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    s_assert_view_equal (&v, &back);
    /* a deep view's digits survive the PNG's Comment */
    tu_path_join (path, sizeof path, *state, "deep.png");
    s_deep_view (&v);
    s_write_params_png (path, &v, 4, 3);
    s_fixture_view (&back);
    if (rnd_params_load (path, &back, err, sizeof err) != 0)
        fail_msg ("%s", err);
    s_assert_view_equal (&v, &back);

    /* Rendered images are far larger than RND_PARAMS_TEXT_MAX: the cap is on
     * the text, and a PNG is taken by its signature whatever its size. */
    tu_path_join (path, sizeof path, *state, "large.png");
    s_write_params_png (path, &v, 200, 200);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_true (st.st_size > RND_PARAMS_TEXT_MAX);
    s_fixture_view (&back);
    rc = rnd_params_load (path, &back, err, sizeof err);
    if (rc != 0)
        fail_msg ("%s", err);
    s_assert_view_equal (&v, &back);
}

static void
test_load_png_without_comment (void **state)
{
    char path[512];
    tu_path_join (path, sizeof path, *state, "plain.png");
    uint8_t rgb[2 * 2 * 3] = { 0 };
    char err[512] = "";
    assert_int_equal (rnd_png_write_rgb (path, rgb, 2, 2, NULL, err, sizeof err), 0);
    rnd_view_t v, before;
    s_fixture_view (&v);
    before = v;
    assert_int_equal (rnd_params_load (path, &v, err, sizeof err), -1);
    assert_non_null (strstr (err, path));
    assert_non_null (strstr (err, "no Comment"));
    s_assert_view_equal (&before, &v);

    /* A PNG whose Comment is someone else's text. */
    assert_int_equal (rnd_png_write_rgb (path, rgb, 2, 2, "Made with GIMP", err, sizeof err), 0);
    assert_int_equal (rnd_params_load (path, &v, err, sizeof err), -1);
    char expected[600];
    snprintf (expected, sizeof expected, "%s: not a p2pfractal parameter file", path);
    assert_string_equal (err, expected);
}

static void
test_load_errors (void **state)
{
    char path[512];
    tu_path_join (path, sizeof path, *state, "does-not-exist.params");
    rnd_view_t v;
    s_fixture_view (&v);
    char err[512] = "";
    assert_int_equal (rnd_params_load (path, &v, err, sizeof err), -1);
    char expected[600];
    snprintf (expected, sizeof expected, "%s: cannot open: No such file or directory", path);
    assert_string_equal (err, expected);

    /* A directory. */
    assert_int_equal (rnd_params_load ((char *)*state, &v, err, sizeof err), -1);
    assert_non_null (strstr (err, (char *)*state));

    /* A big file is refused without parsing. */
    tu_path_join (path, sizeof path, *state, "big.params");
    size_t big_len = RND_PARAMS_TEXT_MAX + 100;
    char *big = malloc (big_len);
    assert_non_null (big);
    memset (big, '#', big_len);
    tu_file_write (path, big, big_len);
    free (big);
    assert_int_equal (rnd_params_load (path, &v, err, sizeof err), -1);
    assert_non_null (strstr (err, "larger than 65536 bytes"));

    /* A parse error names the file and line. */
    tu_path_join (path, sizeof path, *state, "bad.params");
    const char bad[] = HEADER "width=wide\n";
    tu_file_write (path, bad, sizeof bad - 1);
    assert_int_equal (rnd_params_load (path, &v, err, sizeof err), -1);
    snprintf (expected, sizeof expected, "%s line 2: width: 'wide' is not a number", path);
    assert_string_equal (err, expected);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_format_golden),
        cmocka_unit_test (test_format_buffer_too_small),
        cmocka_unit_test (test_format_max_fits),
        cmocka_unit_test (test_format_refuses_unrepresentable),
        cmocka_unit_test (test_round_trip),
        cmocka_unit_test (test_parse_crlf),
        cmocka_unit_test (test_parse_comments_blank_whitespace),
        cmocka_unit_test (test_parse_absent_keys_unchanged),
        cmocka_unit_test (test_parse_not_nul_terminated),
        cmocka_unit_test (test_parse_missing_header),
        cmocka_unit_test (test_parse_wrong_version),
        cmocka_unit_test (test_parse_unknown_key),
        cmocka_unit_test (test_parse_bad_number),
        cmocka_unit_test (test_parse_trailing_junk),
        cmocka_unit_test (test_parse_nan_inf),
        cmocka_unit_test (test_parse_bad_size),
        cmocka_unit_test (test_parse_bad_palette),
        cmocka_unit_test (test_parse_duplicate_key),
        cmocka_unit_test (test_parse_limits),
        cmocka_unit_test (test_v2_deep_round_trip),
        cmocka_unit_test (test_v2_canonical),
        cmocka_unit_test (test_v2_accepted_reads_back),
        cmocka_unit_test (test_v2_stale_text_dropped),
        cmocka_unit_test (test_v1_values_are_doubles),
        cmocka_unit_test (test_samples_line),
        cmocka_unit_test_teardown (test_locale_independent, s_teardown_locale),
        cmocka_unit_test_setup_teardown (test_load_text_file, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test (test_load_fixture),
        cmocka_unit_test_setup_teardown (test_load_png, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_load_png_without_comment, tu_setup_dir,
                                         tu_teardown_dir),
        cmocka_unit_test_setup_teardown (test_load_errors, tu_setup_dir, tu_teardown_dir),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
