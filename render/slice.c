/* slice.c: the tiles of a job's image and their centre-out numbering (see
 * slice.h). */
#include "slice.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
rnd_slice_count (int width_px, int height_px, int requested)
{
    long long px = (long long)width_px * height_px;
    long long k = requested;
    if (k <= 0) {
        long long side2 = (long long)RND_SLICE_SIDE * RND_SLICE_SIDE;
        k = (px + side2 / 2) / side2;
        k = k < RND_SLICES_MIN_DERIVED ? RND_SLICES_MIN_DERIVED : k;
        k = k > RND_SLICES_MAX ? RND_SLICES_MAX : k;
    }
    k = k > px ? px : k;
    return k < 1 ? 1 : (int)k;
}

/* Rows of the grid: r with r^2 * W nearest K * H (square tiles), clamped
 * to [ceil(K / W), min(H, K)] so that no row holds more tiles than the
 * image has columns and every row holds at least one. Integer only. */
static int
s_grid_rows (int w, int h, int k)
{
    long long target = (long long)k * h;
    long long r = 1;
    while ((r + 1) * (r + 1) * w <= target)
        r++;
    if ((r + 1) * (r + 1) * w - target < target - r * r * w)
        r++;
    long long lo = ((long long)k + w - 1) / w, hi = h < k ? h : k;
    r = r < lo ? lo : r > hi ? hi : r;
    return (int)r;
}

/* Tile g of the grid in row-major order. */
static rnd_rect_t
s_grid_rect (int w, int h, int k, int rows, int g)
{
    /* Row j starts at tile floor(K j / r): the last j with that <= g. */
    int j = (int)(((long long)(g + 1) * rows - 1) / k);
    int first = (int)((long long)k * j / rows);
    int cols = (int)((long long)k * (j + 1) / rows) - first;
    int c = g - first;
    rnd_rect_t r;
    r.x0 = (int)((long long)w * c / cols);
    r.x1 = (int)((long long)w * (c + 1) / cols);
    r.y0 = (int)((long long)h * j / rows);
    r.y1 = (int)((long long)h * (j + 1) / rows);
    return r;
}

/* The numbering's key: twice the tile's centre minus twice the image's,
 * squared (exact in integers), then the grid position. */
typedef struct {
    long long d2;
    int g;
} s_key_t;

static int
s_key_cmp (const void *a, const void *b)
{
    const s_key_t *x = a, *y = b;
    if (x->d2 != y->d2)
        return x->d2 < y->d2 ? -1 : 1;
    return (x->g > y->g) - (x->g < y->g);
}

/* The last few tilings computed, most recent first: a peer works on one
 * job at a time, a window shows one and may draw the one before. 4 x 64
 * KiB of BSS, touched only as used. */
#define S_CACHED 4
typedef struct {
    int w, h, k; /* k == 0: empty */
    rnd_rect_t rect[RND_SLICES_MAX];
} s_tiling_t;

static s_tiling_t s_cache[S_CACHED];
static int s_order[S_CACHED] = { 0, 1, 2, 3 }; /* s_cache indices, most recent first */
static s_key_t s_keys[RND_SLICES_MAX];         /* sort scratch, under the lock */
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;

static void
s_compute (s_tiling_t *t, int w, int h, int k)
{
    int rows = s_grid_rows (w, h, k);
    for (int g = 0; g < k; g++) {
        rnd_rect_t r = s_grid_rect (w, h, k, rows, g);
        long long dx = (long long)r.x0 + r.x1 - w, dy = (long long)r.y0 + r.y1 - h;
        s_keys[g].d2 = dx * dx + dy * dy;
        s_keys[g].g = g;
    }
    qsort (s_keys, (size_t)k, sizeof *s_keys, s_key_cmp);
    for (int i = 0; i < k; i++)
        t->rect[i] = s_grid_rect (w, h, k, rows, s_keys[i].g);
    t->w = w;
    t->h = h;
    t->k = k;
}

rnd_rect_t
rnd_slice_rect (int width_px, int height_px, int k, int i)
{
    pthread_mutex_lock (&s_lock);
    int at = 0;
    while (at < S_CACHED) {
        const s_tiling_t *t = &s_cache[s_order[at]];
        if (t->k == k && t->w == width_px && t->h == height_px)
            break;
        at++;
    }
    if (at == S_CACHED) {
        at = S_CACHED - 1; /* the least recent gives way */
        s_compute (&s_cache[s_order[at]], width_px, height_px, k);
    }
    int slot = s_order[at];
    memmove (s_order + 1, s_order, (size_t)at * sizeof *s_order);
    s_order[0] = slot;
    rnd_rect_t r = s_cache[slot].rect[i];
    pthread_mutex_unlock (&s_lock);
    return r;
}

size_t
rnd_slice_px_max (int width_px, int height_px, int k)
{
    /* The largest tile is in the row with the fewest tiles: scan the rows
     * (at most k), not the tiles. */
    int rows = s_grid_rows (width_px, height_px, k);
    size_t most = 0;
    for (int j = 0; j < rows; j++) {
        int first = (int)((long long)k * j / rows);
        rnd_rect_t r = s_grid_rect (width_px, height_px, k, rows, first);
        size_t h = (size_t)(r.y1 - r.y0);
        int cols = (int)((long long)k * (j + 1) / rows) - first;
        size_t wmax = (size_t)((width_px + cols - 1) / cols);
        if (h * wmax > most)
            most = h * wmax;
    }
    return most;
}

void
rnd_rect_put (float *image, int width_px, rnd_rect_t r, const float *tile)
{
    size_t tw = (size_t)(r.x1 - r.x0);
    for (int y = r.y0; y < r.y1; y++, tile += tw)
        memcpy (image + (size_t)y * (size_t)width_px + (size_t)r.x0, tile, tw * sizeof *tile);
}

void
rnd_rect_get (const float *image, int width_px, rnd_rect_t r, float *tile)
{
    size_t tw = (size_t)(r.x1 - r.x0);
    for (int y = r.y0; y < r.y1; y++, tile += tw)
        memcpy (tile, image + (size_t)y * (size_t)width_px + (size_t)r.x0, tw * sizeof *tile);
}

void
rnd_rect_copy (float *dst, const float *src, int width_px, rnd_rect_t r)
{
    size_t tw = (size_t)(r.x1 - r.x0);
    for (int y = r.y0; y < r.y1; y++) {
        size_t off = (size_t)y * (size_t)width_px + (size_t)r.x0;
        memcpy (dst + off, src + off, tw * sizeof *dst);
    }
}
