/* decimal.c: decimal text of coordinates (view.h, decimal.h). */
#include "decimal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view.h"

/* A written exponent has at most six digits (rnd_decimal_ok). */
#define S_EXP_DIGITS 6
#define S_EXP_MAX 999999L

int
rnd_c_locale_begin (rnd_c_locale_t *self)
{
    self->c_locale = newlocale (LC_NUMERIC_MASK, "C", (locale_t)0);
    if (self->c_locale == (locale_t)0)
        return -1;
    self->previous = uselocale (self->c_locale);
    return 0;
}

void
rnd_c_locale_end (rnd_c_locale_t *self)
{
    uselocale (self->previous);
    freelocale (self->c_locale);
}

static int
s_digit (char c)
{
    return c >= '0' && c <= '9';
}

int
rnd_decimal_ok (const char *t, size_t max)
{
    if (strnlen (t, max) >= max)
        return 0;
    const char *p = t;
    if (*p == '+' || *p == '-')
        p++;
    size_t digits = 0;
    while (s_digit (*p))
        p++, digits++;
    if (*p == '.') {
        p++;
        while (s_digit (*p))
            p++, digits++;
    }
    if (digits == 0)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        size_t edigits = 0;
        while (s_digit (*p))
            p++, edigits++;
        /* Six digits: beyond any depth we can render, and far from the
         * int range MPFR and strtod parse exponents into. */
        if (edigits == 0 || edigits > S_EXP_DIGITS)
            return 0;
    }
    return *p == '\0';
}

int
rnd_decimal_canonical (const char *t, char *out, size_t size)
{
    int neg = *t == '-';
    const char *p = t + (*t == '-' || *t == '+');
    /* The significant digits, and q: value = digits * 10^q. */
    size_t len = strlen (p);
    char *dig = malloc (len + 1);
    if (!dig)
        return -1;
    size_t n = 0;
    long frac = 0;
    int in_frac = 0;
    for (; *p && *p != 'e' && *p != 'E'; p++) {
        if (*p == '.') {
            in_frac = 1;
            continue;
        }
        frac += in_frac;
        if (n > 0 || *p != '0')
            dig[n++] = *p;
    }
    long q = (*p ? strtol (p + 1, NULL, 10) : 0) - frac;
    while (n > 0 && dig[n - 1] == '0')
        n--, q++;
    int w;
    if (n == 0) {
        w = snprintf (out, size, "%s0", neg ? "-" : "");
    } else {
        /* %.Pg's layout, P = max(17, digits): what %.17g prints for a
         * double, so a double's text is its canonical decimal. */
        long x = q + (long)n - 1; /* value = d.ddd * 10^x */
        long prec = n > 17 ? (long)n : 17;
        size_t o = 0;
        w = 0;
        if (size < n + 32) /* any layout: at most n + 24 bytes with sign and NUL */
            w = -1;
        /* Digits after the point move the exponent: 0.5e-999999 is
         * 5e-1000000, which rnd_decimal_ok would refuse to read back.
         * Refused here, a canonical text always reads back as itself. */
        else if ((x < -4 || x >= prec) && (x < -S_EXP_MAX || x > S_EXP_MAX))
            w = -1;
        else if (neg)
            out[o++] = '-';
        if (w == 0 && (x < -4 || x >= prec)) {
            out[o++] = dig[0];
            if (n > 1) {
                out[o++] = '.';
                memcpy (out + o, dig + 1, n - 1);
                o += n - 1;
            }
            snprintf (out + o, size - o, "e%c%02ld", x < 0 ? '-' : '+', x < 0 ? -x : x);
        } else if (w == 0 && x < 0) {
            out[o++] = '0';
            out[o++] = '.';
            for (long i = 0; i < -x - 1; i++)
                out[o++] = '0';
            memcpy (out + o, dig, n);
            out[o + n] = '\0';
        } else if (w == 0) {
            for (long i = 0; i <= x; i++)
                out[o++] = i < (long)n ? dig[i] : '0';
            if ((long)n > x + 1) {
                out[o++] = '.';
                memcpy (out + o, dig + x + 1, n - (size_t)x - 1);
                o += n - (size_t)x - 1;
            }
            out[o] = '\0';
        }
    }
    free (dig);
    return w < 0 || (size_t)w >= size ? -1 : (int)strlen (out);
}

int
rnd_decimal_sign (const char *t)
{
    int neg = *t == '-';
    for (const char *p = t; *p && *p != 'e' && *p != 'E'; p++)
        if (*p >= '1' && *p <= '9')
            return neg ? -1 : 1;
    return 0;
}

double
rnd_decimal_to_double (const char *text)
{
    rnd_c_locale_t loc;
    /* Without a locale object, fall back to the process locale: right in
     * every program that never calls setlocale (the C locale is the
     * default), and only reachable when memory is exhausted. */
    int have = rnd_c_locale_begin (&loc) == 0;
    double d = strtod (text, NULL);
    if (have)
        rnd_c_locale_end (&loc);
    return d;
}

int
rnd_view_text_current (const char *text, double d)
{
    if (text[0] == '\0')
        return 0;
    double r = rnd_decimal_to_double (text);
    return memcmp (&r, &d, sizeof d) == 0;
}

static int
s_finite (double d)
{
    return d - d == 0.0;
}

int
rnd_decimal_store (const char *in, double *d, char *text, size_t size)
{
    char canon[RND_DECIMAL_MAX + 64];
    if (!rnd_decimal_ok (in, sizeof canon) || rnd_decimal_canonical (in, canon, sizeof canon) < 0)
        return -1;
    double r = rnd_decimal_to_double (canon);
    if (!s_finite (r) || strlen (canon) >= size)
        return -1;
    /* A text that says no more than %.17g of its double is left out: the
     * double then is the whole value, as in a view built from doubles. */
    char g[32];
    rnd_c_locale_t loc;
    int have = rnd_c_locale_begin (&loc) == 0;
    snprintf (g, sizeof g, "%.17g", r);
    if (have)
        rnd_c_locale_end (&loc);
    *d = r;
    if (strcmp (g, canon) == 0)
        text[0] = '\0';
    else
        memcpy (text, canon, strlen (canon) + 1);
    return 0;
}

int
rnd_view_set_center_text (rnd_view_t *v, const char *re, const char *im)
{
    rnd_view_t t = *v;
    if (rnd_decimal_store (re, &t.center_re, t.center_re_text, sizeof t.center_re_text) ||
        rnd_decimal_store (im, &t.center_im, t.center_im_text, sizeof t.center_im_text))
        return -1;
    v->center_re = t.center_re;
    v->center_im = t.center_im;
    memcpy (v->center_re_text, t.center_re_text, sizeof t.center_re_text);
    memcpy (v->center_im_text, t.center_im_text, sizeof t.center_im_text);
    return 0;
}

int
rnd_view_set_width_text (rnd_view_t *v, const char *text)
{
    return rnd_decimal_store (text, &v->width, v->width_text, sizeof v->width_text);
}

const char *
rnd_view_center_re_text (const rnd_view_t *v)
{
    return rnd_view_text_current (v->center_re_text, v->center_re) ? v->center_re_text : NULL;
}

const char *
rnd_view_center_im_text (const rnd_view_t *v)
{
    return rnd_view_text_current (v->center_im_text, v->center_im) ? v->center_im_text : NULL;
}

const char *
rnd_view_width_text (const rnd_view_t *v)
{
    return rnd_view_text_current (v->width_text, v->width) ? v->width_text : NULL;
}
