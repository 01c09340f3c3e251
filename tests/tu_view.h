/* tu_view.h: deep views for the perturbation tests -- a view from decimal
 * texts, checked as the deep paths check it. */
#ifndef TU_VIEW_H
#define TU_VIEW_H

#include "view.h"

/* A w x h view of fractal f centred on (re, im), width a decimal text,
 * max_iter iter; fails the test if it does not validate as deep. */
void tu_view_deep (rnd_view_t *v, rnd_fractal_t f, const char *re, const char *im,
                   const char *width, int w, int h, int iter);

#endif
