/* zoom.c: moving and scaling a view exactly (rnd_view_zoom_exact, view.h).
 *
 * A window zoom computed in doubles stops moving the centre once the pitch
 * falls below the centre's last bit (~40 clicks in). Here the new centre
 * is computed in MPFR at the precision the new view needs and kept as
 * decimal text, so a chain of zooms goes as deep as the text allows. */
#include <mpfr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "reference.h"
#include "view.h"

/* x as a plain decimal of `digits` significant digits ("-0.123e5") into
 * buf; -1 if it does not fit. */
static int
s_decimal (mpfr_t x, size_t digits, char *buf, size_t size)
{
    if (mpfr_zero_p (x))
        return snprintf (buf, size, "0") < (int)size ? 0 : -1;
    mpfr_exp_t e;
    char *s = mpfr_get_str (NULL, &e, 10, digits, x, MPFR_RNDN);
    if (!s)
        return -1;
    int neg = s[0] == '-';
    int n = snprintf (buf, size, "%s0.%se%ld", neg ? "-" : "", s + neg, (long)e);
    mpfr_free_str (s);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

int
rnd_view_zoom_exact (const rnd_view_t *v, double px, double py, double shift, double scale,
                     rnd_view_t *out, char *err, size_t err_size)
{
    rnd_view_t t = *v;
    rnd_c_locale_t loc;
    int have_loc = rnd_c_locale_begin (&loc) == 0;
    int rc = -1;
    /* the new width first: the precision follows from it */
    mpfr_t w, p, a, d;
    mpfr_init2 (w, 128);
    const char *wt = rnd_view_width_text (v);
    if (wt)
        mpfr_set_str (w, wt, 10, MPFR_RNDN);
    else
        mpfr_set_d (w, v->width, MPFR_RNDN);
    mpfr_t nw;
    mpfr_init2 (nw, 128);
    mpfr_mul_d (nw, w, scale, MPFR_RNDN);
    char wbuf[RND_WIDTH_TEXT_MAX];
    if (s_decimal (nw, 17, wbuf, sizeof wbuf) != 0 || rnd_view_set_width_text (&t, wbuf) != 0) {
        snprintf (err, err_size, "zoom: width out of range");
        mpfr_clears (w, nw, (mpfr_ptr)0);
        goto done_locale;
    }
    mpfr_clear (nw);
    /* the centre, at the new view's precision and some */
    long prec = rnd_ref_precision (&t) + 16;
    mpfr_inits2 ((mpfr_prec_t)prec, p, a, d, (mpfr_ptr)0);
    mpfr_div_ui (p, w, (unsigned long)v->width_px, MPFR_RNDN); /* pitch */
    mpfr_mul_d (p, p, shift, MPFR_RNDN);
    size_t digits = (size_t)(prec * 0.30103) + 3;
    char *buf = malloc (RND_DECIMAL_MAX + 64);
    char *buf2 = malloc (RND_DECIMAL_MAX + 64);
    int ok = buf && buf2;
    for (int k = 0; ok && k < 2; k++) {
        const char *ct = k == 0 ? rnd_view_center_re_text (v) : rnd_view_center_im_text (v);
        double cd = k == 0 ? v->center_re : v->center_im;
        double off = k == 0 ? px + 0.5 - v->width_px / 2.0 : v->height_px / 2.0 - py - 0.5;
        if (ct)
            mpfr_set_str (a, ct, 10, MPFR_RNDN);
        else
            mpfr_set_d (a, cd, MPFR_RNDN);
        mpfr_mul_d (d, p, off, MPFR_RNDN);
        mpfr_add (a, a, d, MPFR_RNDN);
        ok = s_decimal (a, digits, k == 0 ? buf : buf2, RND_DECIMAL_MAX + 64) == 0;
    }
    if (ok && rnd_view_set_center_text (&t, buf, buf2) == 0) {
        *out = t;
        rc = 0;
    } else {
        snprintf (err, err_size, "zoom: the centre needs more than %d characters",
                  RND_DECIMAL_MAX - 1);
    }
    free (buf);
    free (buf2);
    mpfr_clears (w, p, a, d, (mpfr_ptr)0);
done_locale:
    if (have_loc)
        rnd_c_locale_end (&loc);
    return rc;
}

/* Sets x to the text if there is one, else to the double (exact). */
static void
s_set (mpfr_t x, const char *text, double d)
{
    if (text)
        mpfr_set_str (x, text, 10, MPFR_RNDN);
    else
        mpfr_set_d (x, d, MPFR_RNDN);
}

void
rnd_view_relative (const rnd_view_t *from, const rnd_view_t *to, double *dx, double *dy,
                   double *ratio)
{
    rnd_c_locale_t loc;
    int have_loc = rnd_c_locale_begin (&loc) == 0;
    /* Both centres exactly: at the precision of the deeper view and some,
     * their difference is exact enough to place a pixel of either. */
    long pa = rnd_ref_precision (from), pb = rnd_ref_precision (to);
    mpfr_prec_t prec = (mpfr_prec_t)((pa > pb ? pa : pb) + 16);
    mpfr_t a, b, pitch, w;
    mpfr_inits2 (prec, a, b, pitch, w, (mpfr_ptr)0);
    s_set (pitch, rnd_view_width_text (from), from->width);
    mpfr_div_ui (pitch, pitch, (unsigned long)from->width_px, MPFR_RNDN);
    s_set (w, rnd_view_width_text (to), to->width);
    s_set (a, rnd_view_width_text (from), from->width);
    mpfr_div (w, w, a, MPFR_RNDN);
    *ratio = mpfr_get_d (w, MPFR_RNDN);
    for (int k = 0; k < 2; k++) {
        s_set (a, k == 0 ? rnd_view_center_re_text (from) : rnd_view_center_im_text (from),
               k == 0 ? from->center_re : from->center_im);
        s_set (b, k == 0 ? rnd_view_center_re_text (to) : rnd_view_center_im_text (to),
               k == 0 ? to->center_re : to->center_im);
        mpfr_sub (b, b, a, MPFR_RNDN);
        mpfr_div (b, b, pitch, MPFR_RNDN);
        *(k == 0 ? dx : dy) = mpfr_get_d (b, MPFR_RNDN);
    }
    mpfr_clears (a, b, pitch, w, (mpfr_ptr)0);
    if (have_loc)
        rnd_c_locale_end (&loc);
}
