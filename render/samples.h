/* samples.h: anti-aliasing -- the colour of a pixel from its K x K
 * sub-pixels.
 *
 * An anti-aliased view (view.h: samples K > 1) is computed as its sample
 * grid, the same view at W*K x H*K pixels; the float32 smooth values of
 * that grid are what peers store, send and keep, so changing palette or
 * colouring recolours from them without recomputing anything. A pixel's
 * colour is the average of the colours of its K x K sub-pixels (each
 * coloured by rnd_colourise, palette.h), channel by channel in the sRGB
 * bytes, rounded to nearest: (sum + K^2/2) / K^2. Integer arithmetic only,
 * so every machine writes the same bytes. Averaging in sRGB rather than
 * linear light is a choice: it is exact and needs no transfer function
 * (pow() is not correctly rounded, a table would be one more thing to pin),
 * at the cost of thin bright filaments against a dark field coming out a
 * little darker than a linear-light average would make them. */
#ifndef RND_SAMPLES_H
#define RND_SAMPLES_H

#include <stdint.h>

#include "kernel.h"
#include "palette.h"

/* Colour the pixels of rectangle r (in pixels) of an image width_px wide
 * into rgb (that image, 3 bytes a pixel, row-major; only r's pixels are
 * written) from grid, its sample grid (width_px * k values a row,
 * row-major, k = samples). k = 1 is rnd_colourise of r's rows, bit for
 * bit. No allocation: sub-pixel rows are coloured in chunks on the
 * stack. */
void rnd_colourise_rect (const rnd_palette_t *pal, rnd_colouring_t mode, const float *grid,
                         int width_px, int k, rnd_rect_t r, uint8_t *rgb);

#endif
