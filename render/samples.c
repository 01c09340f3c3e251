/* samples.c: a pixel's colour from its sub-pixels (see samples.h). */
#include "samples.h"

#include <stddef.h>

/* Pixels coloured per chunk: their sub-pixel colours (CHUNK * K * 3 bytes
 * a sub-row, 6 KiB at K = 8) and sums (3 KiB) live on the stack. */
#define S_CHUNK 128

/* Pixels [x0, x0 + n) of row y: the K x K sub-pixels of each, summed in
 * sRGB bytes and rounded to nearest. */
static void
s_average_chunk (const rnd_palette_t *pal, rnd_colouring_t mode, const float *grid, int width_px,
                 int k, int x0, int n, int y, uint8_t *out)
{
    uint8_t sub[S_CHUNK * RND_VIEW_SAMPLES_MAX * 3];
    uint32_t sum[S_CHUNK * 3] = { 0 };
    size_t grid_w = (size_t)width_px * (size_t)k;
    for (int j = 0; j < k; j++) {
        const float *row = grid + ((size_t)y * (size_t)k + (size_t)j) * grid_w + (size_t)x0 * k;
        rnd_colourise (pal, mode, row, (size_t)n * (size_t)k, sub);
        for (int x = 0; x < n; x++)
            for (int i = 0; i < k; i++)
                for (int c = 0; c < 3; c++)
                    sum[3 * x + c] += sub[3 * ((size_t)x * k + i) + c];
    }
    uint32_t k2 = (uint32_t)(k * k);
    for (int i = 0; i < 3 * n; i++)
        out[i] = (uint8_t)((sum[i] + k2 / 2) / k2);
}

void
rnd_colourise_rect (const rnd_palette_t *pal, rnd_colouring_t mode, const float *grid, int width_px,
                    int k, rnd_rect_t r, uint8_t *rgb)
{
    for (int y = r.y0; y < r.y1; y++) {
        size_t off = (size_t)y * (size_t)width_px;
        if (k <= 1) {
            rnd_colourise (pal, mode, grid + off + (size_t)r.x0, (size_t)(r.x1 - r.x0),
                           rgb + 3 * (off + (size_t)r.x0));
            continue;
        }
        for (int x = r.x0; x < r.x1; x += S_CHUNK) {
            int n = r.x1 - x < S_CHUNK ? r.x1 - x : S_CHUNK;
            s_average_chunk (pal, mode, grid, width_px, k, x, n, y, rgb + 3 * (off + (size_t)x));
        }
    }
}
