/* decimal.h: decimal text for coordinates of any precision, read in the
 * "C" locale whatever the host program's locale is. Internal to render/. */
#ifndef RND_DECIMAL_H
#define RND_DECIMAL_H

#include <locale.h>
#include <stddef.h>

/* The "C" numeric locale, made current for this thread until
 * rnd_c_locale_end: uselocale() switches this thread only, so a host that
 * called setlocale (LC_ALL, "") with a decimal comma neither breaks our
 * reading of "0.5" nor races with us. */
typedef struct {
    locale_t c_locale; /* the locale we installed */
    locale_t previous; /* what to restore */
} rnd_c_locale_t;

/* 0, or -1 (nothing changed) if the locale cannot be created. */
int rnd_c_locale_begin (rnd_c_locale_t *self);
void rnd_c_locale_end (rnd_c_locale_t *self);

/* The double nearest to a decimal that passed rnd_decimal_ok (strtod's
 * correct rounding, under the C locale); 0 underflows are kept, an overflow
 * gives +-inf. */
double rnd_decimal_to_double (const char *text);

/* The canonical spelling of a decimal that passed rnd_decimal_ok, into
 * out: its significant digits in printf's %.Pg layout with P = max(17,
 * digits) ("-0.5", "1.4e-05", "4e-227", "-1.7400623825793399052984109"),
 * so that one value has one text (the job id hashes it) and the %.17g text
 * of a double is its own canonical form. Its length, or -1 if out is too
 * small, memory runs out, or its exponent would need more than the six
 * digits rnd_decimal_ok reads (0.5e-999999 is 5e-1000000): a canonical
 * text always reads back as itself. */
int rnd_decimal_canonical (const char *text, char *out, size_t size);

/* Reads in (rnd_decimal_ok, any length up to RND_DECIMAL_MAX - 1) into *d
 * (nearest double) and text (its canonical spelling, or "" if that is just
 * %.17g of *d). 0, or -1 with nothing changed if in is not a plain decimal,
 * its double is not finite or its text does not fit size. */
int rnd_decimal_store (const char *in, double *d, char *text, size_t size);

/* -1, 0 or 1: the sign of a decimal that passed rnd_decimal_ok, exactly
 * (also where its double underflows to 0). */
int rnd_decimal_sign (const char *text);

#endif
