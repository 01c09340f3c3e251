/* params.h: the parameter text -- the canonical serialisation of a view.
 *
 * The same text is written to .params files and embedded as the tEXt
 * "Comment" of every PNG we export, so any exported image can be reopened as a
 * parameter file. Format (version 2), keys always written in this order:
 *
 *   p2pfractal-params 2
 *   fractal=mandelbrot
 *   center_re=-0.74364282999999998
 *   center_im=0.13182617999999999
 *   width=1.4e-05
 *   size=1920x1080
 *   max_iter=1000000
 *   bailout=256
 *   julia_re=-0.80000000000000004
 *   julia_im=0.156
 *   palette=default
 *   bla_epsilon=1.1102230246251565e-16
 *
 * Doubles are printed with %.17g in the "C" locale, so they read back
 * bit-identically whatever the user's locale. Version 2: center_re,
 * center_im and width are written as the view's exact decimal text when it
 * has a current one (view.h: "-1.7400623825793399052984109",
 * "4e-227"), of any length up to RND_DECIMAL_MAX - 1 characters, and a
 * plain decimal read for them keeps all its digits. Version 1 texts still
 * load exactly as before: their values are doubles. bla_epsilon (version
 * 2) is the deep views' BLA tolerance (view.h); a text without it keeps
 * the caller's (rnd_view_default: 2^-53). An anti-aliased view (view.h:
 * samples K > 1) has one more line, last, "samples=K"; a view of 1 sample
 * has none, so its text, PNG Comment and job id are what they were before
 * anti-aliasing existed, and a text without the line reads as 1 sample
 * (not the caller's value: unlike bla_epsilon, it says what the image
 * is). A program older than the line refuses such a text (unknown key):
 * it could not render it. Reading tolerates CRLF, a UTF-8
 * byte-order mark, blank lines, '#' comment lines and whitespace around keys
 * and values. A key given twice is an error: a file that says two things is
 * more likely a bad edit than a deliberate override. */
#ifndef RND_PARAMS_H
#define RND_PARAMS_H

#include <stddef.h>

#include "view.h"

#define RND_PARAMS_VERSION 2
/* Longest parameter text accepted (file or PNG comment). Real ones are well
 * under 1 KiB; the cap keeps a wrong file from being slurped whole. */
#define RND_PARAMS_TEXT_MAX (64 * 1024)
/* A buffer this large always holds rnd_params_format's output: two centre
 * texts, the width's and 1 KiB for the rest. */
#define RND_PARAMS_FORMAT_MAX (2 * RND_DECIMAL_MAX + RND_WIDTH_TEXT_MAX + 1024)

/* Writes the parameter text of view into buf (NUL-terminated, ends with a
 * newline). Returns its length, or -1 if buf is too small or the view cannot
 * be written so that it reads back identically: unknown fractal, a non-finite
 * number, or a palette name that is empty, unterminated, has characters
 * outside printable ASCII, or starts or ends with a space. */
int rnd_params_format (const rnd_view_t *view, char *buf, size_t size);

/* Parses len bytes of parameter text (need not be NUL-terminated; nothing
 * beyond len is read) and sets the fields of *view named in it; fields it does
 * not name keep their value, so callers start from rnd_view_default and apply
 * command-line overrides afterwards. source names the text in errors ("x.txt
 * line 5: width: 'abc' is not a number"); NULL means "parameters".
 * Returns 0, or -1 with a one-line reason in err and *view untouched.
 * Checks syntax only; ranges are rnd_view_validate's job. */
int rnd_params_parse (const char *text, size_t len, const char *source, rnd_view_t *view, char *err,
                      size_t err_size);

/* Reads path -- a parameter text file, or a PNG carrying the text as its
 * "Comment" (detected by the PNG signature) -- and parses it as above.
 * Returns 0, or -1 with a one-line reason naming path in err. */
int rnd_params_load (const char *path, rnd_view_t *view, char *err, size_t err_size);

#endif
