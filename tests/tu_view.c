/* tu_view.c: deep views for the perturbation tests (see tu_view.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tu_view.h"

void
tu_view_deep (rnd_view_t *v, rnd_fractal_t f, const char *re, const char *im, const char *width,
              int w, int h, int iter)
{
    rnd_view_default (v);
    v->fractal = f;
    assert_int_equal (rnd_view_set_center_text (v, re, im), 0);
    assert_int_equal (rnd_view_set_width_text (v, width), 0);
    v->width_px = w;
    v->height_px = h;
    v->max_iter = iter;
    rnd_view_field_t bad;
    char err[256];
    if (rnd_view_validate_deep (v, &bad, err, sizeof err))
        fail_msg ("%s", err);
}
