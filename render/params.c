/* params.c: writing and reading the parameter text (format in params.h).
 *
 * All number conversion runs under a private "C" locale installed with
 * uselocale() for the calling thread only: a host program (or a GUI toolkit)
 * that called setlocale (LC_ALL, "") with a decimal-comma locale must neither
 * make us write "0,5" nor fail to read "0.5", and switching the global locale
 * instead would race with other threads. */
#include "params.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "file_io.h"
#include "png_io.h"

#define s_fail(...) (snprintf (err, err_size, __VA_ARGS__), -1)

#define S_HEADER "p2pfractal-params"
/* Longest line we look at. The longest valid one is a centre coordinate's
 * (10 + RND_DECIMAL_MAX - 1 bytes); the margin allows for generous
 * whitespace. */
#define S_LINE_MAX (RND_DECIMAL_MAX + 1024)
/* How much of a bad value an error message quotes. */
#define S_QUOTE_MAX 48

static const unsigned char s_png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };

/* Our own character classes: <ctype.h> answers depend on the locale, and the
 * format must not. */
static int
s_is_blank (char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int
s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

static int
s_is_printable (char c)
{
    return c >= 0x20 && c <= 0x7e;
}

/* A palette name the text can carry and give back unchanged. */
static int
s_palette_ok (const char *name, size_t len)
{
    return rnd_view_palette_ok (name, len);
}

int
rnd_params_format (const rnd_view_t *v, char *buf, size_t size)
{
    if (v->fractal != RND_FRACTAL_MANDELBROT && v->fractal != RND_FRACTAL_JULIA)
        return -1;
    if (!isfinite (v->center_re) || !isfinite (v->center_im) || !isfinite (v->width) ||
        !isfinite (v->bailout) || !isfinite (v->julia_re) || !isfinite (v->julia_im) ||
        !isfinite (v->bla_epsilon))
        return -1;
    size_t palette_len = strnlen (v->palette, sizeof v->palette);
    if (!s_palette_ok (v->palette, palette_len))
        return -1;

    rnd_c_locale_t locale;
    if (rnd_c_locale_begin (&locale) != 0)
        return -1;
    /* The exact decimals where the view has them, else the doubles. */
    char re[32], im[32], w[32];
    const char *re_text = rnd_view_center_re_text (v), *im_text = rnd_view_center_im_text (v);
    const char *w_text = rnd_view_width_text (v);
    snprintf (re, sizeof re, "%.17g", v->center_re);
    snprintf (im, sizeof im, "%.17g", v->center_im);
    snprintf (w, sizeof w, "%.17g", v->width);
    int len =
        snprintf (buf, size,
                  S_HEADER " %d\n"
                           "fractal=%s\n"
                           "center_re=%s\n"
                           "center_im=%s\n"
                           "width=%s\n"
                           "size=%dx%d\n"
                           "max_iter=%d\n"
                           "bailout=%.17g\n"
                           "julia_re=%.17g\n"
                           "julia_im=%.17g\n"
                           "palette=%s\n"
                           "bla_epsilon=%.17g\n",
                  RND_PARAMS_VERSION, rnd_fractal_name (v->fractal), re_text ? re_text : re,
                  im_text ? im_text : im, w_text ? w_text : w, v->width_px, v->height_px,
                  v->max_iter, v->bailout, v->julia_re, v->julia_im, v->palette, v->bla_epsilon);
    rnd_c_locale_end (&locale);
    if (len < 0 || (size_t)len >= size)
        return -1;
    /* Only when anti-aliased: a view of 1 sample keeps the text (and so
     * the job id and PNG Comment) it always had. */
    if (v->samples != 1) {
        int more = snprintf (buf + len, size - (size_t)len, "samples=%d\n", v->samples);
        if (more < 0 || (size_t)more >= size - (size_t)len)
            return -1;
        len += more;
    }
    return len;
}

/* Copies value into out for quoting in an error message: at most
 * S_QUOTE_MAX bytes, anything unprintable shown as '?', so a binary or
 * hostile file cannot put control sequences on the user's terminal. */
static void
s_quote (const char *value, char out[S_QUOTE_MAX + 4])
{
    size_t len = strlen (value);
    size_t n = len > S_QUOTE_MAX ? S_QUOTE_MAX : len;
    for (size_t i = 0; i < n; i++)
        out[i] = s_is_printable (value[i]) ? value[i] : '?';
    if (len > n) {
        memcpy (out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

/* What went wrong with a value, for the caller to report. */
typedef enum {
    S_VALUE_OK = 0,
    S_VALUE_NOT_NUMBER,
    S_VALUE_NOT_FINITE,
    S_VALUE_NOT_INTEGER,
    S_VALUE_RANGE,
} s_value_t;

/* A double that is the whole of text and finite. Called under the C locale.
 * Underflow to a subnormal or zero is accepted: %.17g writes subnormals and
 * they read back exactly. */
static s_value_t
s_parse_double (const char *text, double *out)
{
    if (*text == '\0')
        return S_VALUE_NOT_NUMBER;
    char *end;
    errno = 0;
    double d = strtod (text, &end);
    if (end == text || *end != '\0')
        return S_VALUE_NOT_NUMBER;
    if (isnan (d))
        return S_VALUE_NOT_FINITE;
    if (isinf (d))
        /* "inf" typed by the user, or a finite literal beyond DBL_MAX. */
        return errno == ERANGE ? S_VALUE_RANGE : S_VALUE_NOT_FINITE;
    *out = d;
    return S_VALUE_OK;
}

/* An int that is the whole of text. Called under the C locale. */
static s_value_t
s_parse_int (const char *text, int *out)
{
    /* strtol would also skip leading blanks; a value is trimmed already,
     * so anything it would skip here is junk. */
    const char *digits = (*text == '-' || *text == '+') ? text + 1 : text;
    if (!s_is_digit (*digits))
        return S_VALUE_NOT_INTEGER;
    char *end;
    errno = 0;
    long n = strtol (text, &end, 10);
    if (*end != '\0')
        return S_VALUE_NOT_INTEGER;
    if (errno == ERANGE || n < INT_MIN || n > INT_MAX)
        return S_VALUE_RANGE;
    *out = (int)n;
    return S_VALUE_OK;
}

/* "WxH", both positive decimal integers, nothing else. */
static int
s_parse_size (const char *text, int *w, int *h)
{
    const char *x = strchr (text, 'x');
    if (!x || x == text || !s_is_digit (text[0]) || !s_is_digit (x[1]))
        return -1;
    char *end;
    errno = 0;
    long wl = strtol (text, &end, 10);
    if (end != x || errno == ERANGE)
        return -1;
    long hl = strtol (x + 1, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -1;
    if (wl < 1 || wl > INT_MAX || hl < 1 || hl > INT_MAX)
        return -1;
    *w = (int)wl;
    *h = (int)hl;
    return 0;
}

typedef enum {
    S_KEY_FRACTAL,
    S_KEY_CENTER_RE,
    S_KEY_CENTER_IM,
    S_KEY_WIDTH,
    S_KEY_SIZE,
    S_KEY_MAX_ITER,
    S_KEY_BAILOUT,
    S_KEY_JULIA_RE,
    S_KEY_JULIA_IM,
    S_KEY_PALETTE,
    S_KEY_BLA_EPSILON,
    S_KEY_SAMPLES,
    S_KEY_COUNT
} s_key_t;

static const char *const s_key_names[S_KEY_COUNT] = {
    "fractal", "center_re", "center_im", "width",   "size",        "max_iter",
    "bailout", "julia_re",  "julia_im",  "palette", "bla_epsilon", "samples",
};

/* Applies one key=value to *v; version is the text's. Returns 0, or -1
 * with the reason in err. */
static int
s_apply (rnd_view_t *v, int version, s_key_t key, const char *value, const char *where, char *err,
         size_t err_size)
{
    const char *name = s_key_names[key];
    char quoted[S_QUOTE_MAX + 4];
    s_quote (value, quoted);
    double *target = NULL;
    char *text = NULL; /* where a version 2 text keeps the value's digits */
    size_t text_size = 0;
    switch (key) {
    case S_KEY_FRACTAL:
        if (rnd_fractal_from_name (value, &v->fractal) != 0)
            return s_fail ("%s: %s: '%s' is not a fractal type (mandelbrot, julia)", where, name,
                           quoted);
        return 0;
    case S_KEY_SIZE:
        if (s_parse_size (value, &v->width_px, &v->height_px) != 0)
            return s_fail ("%s: %s: '%s' is not WxH with positive integers (e.g. 1920x1080)", where,
                           name, quoted);
        return 0;
    case S_KEY_MAX_ITER:
    case S_KEY_SAMPLES:
        /* Their ranges are rnd_view_validate's; samples 1 is written as
         * no line. */
        switch (s_parse_int (value, key == S_KEY_MAX_ITER ? &v->max_iter : &v->samples)) {
        case S_VALUE_OK:
            return 0;
        case S_VALUE_RANGE:
            return s_fail ("%s: %s: '%s' is out of range", where, name, quoted);
        default:
            return s_fail ("%s: %s: '%s' is not an integer", where, name, quoted);
        }
    case S_KEY_PALETTE: {
        size_t len = strlen (value);
        if (len == 0)
            return s_fail ("%s: %s: empty name", where, name);
        if (len >= RND_PALETTE_NAME_MAX)
            return s_fail ("%s: %s: name longer than %d characters", where, name,
                           RND_PALETTE_NAME_MAX - 1);
        if (!s_palette_ok (value, len))
            return s_fail ("%s: %s: '%s' has characters other than printable ASCII", where, name,
                           quoted);
        memcpy (v->palette, value, len + 1);
        return 0;
    }
    case S_KEY_CENTER_RE:
        target = &v->center_re;
        text = v->center_re_text;
        text_size = sizeof v->center_re_text;
        break;
    case S_KEY_CENTER_IM:
        target = &v->center_im;
        text = v->center_im_text;
        text_size = sizeof v->center_im_text;
        break;
    case S_KEY_WIDTH:
        target = &v->width;
        text = v->width_text;
        text_size = sizeof v->width_text;
        break;
    case S_KEY_BAILOUT:
        target = &v->bailout;
        break;
    case S_KEY_JULIA_RE:
        target = &v->julia_re;
        break;
    case S_KEY_JULIA_IM:
        target = &v->julia_im;
        break;
    case S_KEY_BLA_EPSILON:
        target = &v->bla_epsilon;
        break;
    case S_KEY_COUNT:
        return s_fail ("%s: internal error: key %d", where, (int)key);
    }
    if (text) {
        /* Version 1 knew only doubles: its values are read as before. From
         * version 2 on a plain decimal keeps all its digits (a deep view's
         * centre, a width below the range of doubles). */
        if (version >= 2 && rnd_decimal_ok (value, text_size)) {
            if (rnd_decimal_store (value, target, text, text_size) != 0)
                return s_fail ("%s: %s: '%s' is out of range", where, name, quoted);
            return 0;
        }
        if (version >= 2 && strlen (value) >= text_size)
            return s_fail ("%s: %s: more than %zu characters", where, name, text_size - 1);
        text[0] = '\0';
    }
    switch (s_parse_double (value, target)) {
    case S_VALUE_OK:
        return 0;
    case S_VALUE_NOT_FINITE:
        return s_fail ("%s: %s: '%s' is not a finite number", where, name, quoted);
    case S_VALUE_RANGE:
        return s_fail ("%s: %s: '%s' is out of range", where, name, quoted);
    default:
        return s_fail ("%s: %s: '%s' is not a number", where, name, quoted);
    }
}

/* Checks the header line and sets *version. Returns 0, or -1 with the
 * reason in err. */
static int
s_check_header (const char *line, const char *source, int *version_out, char *err, size_t err_size)
{
    size_t n = strlen (S_HEADER);
    if (strncmp (line, S_HEADER, n) != 0 || (line[n] != '\0' && !s_is_blank (line[n])))
        return s_fail ("%s: not a p2pfractal parameter file", source);
    const char *p = line + n;
    while (s_is_blank (*p))
        p++;
    int version;
    if (s_parse_int (p, &version) != S_VALUE_OK) {
        char quoted[S_QUOTE_MAX + 4];
        s_quote (p, quoted);
        return s_fail ("%s: bad parameter version '%s'", source, quoted);
    }
    if (version < 1 || version > RND_PARAMS_VERSION)
        return s_fail ("%s: unsupported parameter version %d (this program reads versions 1 to %d)",
                       source, version, RND_PARAMS_VERSION);
    *version_out = version;
    return 0;
}

/* The parser proper; runs under the C locale and writes only to *v. */
static int
s_parse (const char *text, size_t len, const char *source, rnd_view_t *v, char *err,
         size_t err_size)
{
    /* Editors on Windows like to start UTF-8 files with a byte-order mark. */
    if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0) {
        text += 3;
        len -= 3;
    }

    int seen_header = 0, version = 0;
    int first_line[S_KEY_COUNT] = { 0 }; /* line a key was set on; 0 = not yet */
    char line[S_LINE_MAX + 1];
    size_t pos = 0;
    for (int line_no = 1; pos < len; line_no++) {
        const char *start = text + pos;
        const char *nl = memchr (start, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - start) : len - pos;
        pos += line_len + (nl ? 1 : 0);

        if (line_len > S_LINE_MAX)
            return s_fail ("%s line %d: line longer than %d bytes", source, line_no, S_LINE_MAX);
        if (memchr (start, '\0', line_len))
            return s_fail ("%s line %d: contains a NUL byte; not a text file?", source, line_no);
        memcpy (line, start, line_len);
        line[line_len] = '\0';

        /* Trim; this also drops the '\r' of a CRLF line end. */
        char *p = line;
        while (s_is_blank (*p))
            p++;
        char *end = p + strlen (p);
        while (end > p && s_is_blank (end[-1]))
            *--end = '\0';
        if (*p == '\0' || *p == '#')
            continue;

        if (!seen_header) {
            if (s_check_header (p, source, &version, err, err_size) != 0)
                return -1;
            seen_header = 1;
            continue;
        }

        char where[1024];
        snprintf (where, sizeof where, "%.1000s line %d", source, line_no);
        char *eq = strchr (p, '=');
        char quoted[S_QUOTE_MAX + 4];
        if (!eq) {
            s_quote (p, quoted);
            return s_fail ("%s: expected key=value, got '%s'", where, quoted);
        }
        char *key = p;
        char *value = eq + 1;
        char *key_end = eq;
        while (key_end > key && s_is_blank (key_end[-1]))
            key_end--;
        *key_end = '\0';
        while (s_is_blank (*value))
            value++;

        s_key_t k = 0;
        while (k < S_KEY_COUNT && strcmp (key, s_key_names[k]) != 0)
            k++;
        if (k == S_KEY_COUNT) {
            s_quote (key, quoted);
            return s_fail ("%s: unknown key '%s'", where, quoted);
        }
        if (first_line[k])
            return s_fail ("%s: duplicate key '%s' (first set on line %d)", where, s_key_names[k],
                           first_line[k]);
        first_line[k] = line_no;
        if (s_apply (v, version, k, value, where, err, err_size) != 0)
            return -1;
    }
    if (!seen_header)
        return s_fail ("%s: not a p2pfractal parameter file", source);
    /* No samples line is 1 sample (the text of a view that has 1 has none),
     * whatever the caller's view said: the text describes a whole image. */
    if (!first_line[S_KEY_SAMPLES])
        v->samples = 1;
    return 0;
}

int
rnd_params_parse (const char *text, size_t len, const char *source, rnd_view_t *view, char *err,
                  size_t err_size)
{
    if (!source)
        source = "parameters";
    if (len > RND_PARAMS_TEXT_MAX)
        return s_fail ("%s: parameter text too long (%zu bytes, limit %d)", source, len,
                       RND_PARAMS_TEXT_MAX);
    rnd_c_locale_t locale;
    if (rnd_c_locale_begin (&locale) != 0)
        return s_fail ("%s: cannot create the C locale: %s", source, strerror (errno));
    /* Parse into a copy so that an error halfway leaves *view as it was. */
    rnd_view_t copy = *view;
    int rc = s_parse (text, len, source, &copy, err, err_size);
    rnd_c_locale_end (&locale);
    if (rc == 0)
        *view = copy;
    return rc;
}

int
rnd_params_load (const char *path, rnd_view_t *view, char *err, size_t err_size)
{
    char *text;
    size_t len;
    int rc = rnd_file_read (path, NULL, RND_PARAMS_TEXT_MAX, &text, &len, NULL, err, err_size);
    if (rc == -1)
        return -1;
    /* A PNG is recognised before the size check: rendered images are far
     * larger than the cap, and their text is in the Comment. */
    if (len >= sizeof s_png_signature &&
        memcmp (text, s_png_signature, sizeof s_png_signature) == 0) {
        free (text);
        char *comment = NULL;
        if (rnd_png_read_comment (path, &comment, err, err_size) != 0)
            return -1;
        rc = rnd_params_parse (comment, strlen (comment), path, view, err, err_size);
        free (comment);
        return rc;
    }
    if (rc == 0)
        rc = rnd_params_parse (text, len, path, view, err, err_size);
    else
        rc = -1; /* too large: rnd_file_read said so */
    free (text);
    return rc;
}
