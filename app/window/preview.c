/* preview.c: the samples of the progressive preview and where they are
 * drawn (see preview.h). */
#include "preview.h"

#include <math.h>
#include <stdlib.h>

struct app_preview_t {
    int w, h;          /* the image's size, px */
    int cw;            /* blocks a row: ceil(W / 8) */
    size_t n;          /* samples: one per 8x8 block */
    rnd_xy_t *px;      /* n: the pixels, in the order computed */
    uint8_t *side;     /* n: the side of the block each stands for */
    float *image;      /* W*H, NaN where nothing is yet (NULL: no put yet) */
    uint8_t *cell_got; /* per 8x8 block: the side of the sample shown (0: none) */
    size_t cells_got;  /* blocks with a sample */
};

/* A block's side: the coarsest grid its corner is on. */
static int
s_side (int cx, int cy)
{
    int side = APP_PREVIEW_COARSE_PX;
    int step = APP_PREVIEW_COARSE_PX / APP_PREVIEW_CELL_PX;
    while (step > 1 && (cx % step || cy % step)) {
        step /= 2;
        side /= 2;
    }
    return side;
}

/* The order: coarser passes first, then nearer the centre, then row-major
 * (exact integers: every peer draws the same picture). */
typedef struct {
    int side;
    long long d2;
    size_t cell;
    rnd_xy_t px;
} s_point_t;

static int
s_point_cmp (const void *a, const void *b)
{
    const s_point_t *x = a, *y = b;
    if (x->side != y->side)
        return x->side > y->side ? -1 : 1;
    if (x->d2 != y->d2)
        return x->d2 < y->d2 ? -1 : 1;
    return (x->cell > y->cell) - (x->cell < y->cell);
}

app_preview_t *
app_preview_new (int width_px, int height_px)
{
    if (width_px < 1 || height_px < 1)
        return NULL;
    app_preview_t *pv = calloc (1, sizeof *pv);
    if (!pv)
        return NULL;
    const int cell = APP_PREVIEW_CELL_PX;
    pv->w = width_px;
    pv->h = height_px;
    pv->cw = (width_px + cell - 1) / cell;
    pv->n = (size_t)pv->cw * (size_t)((height_px + cell - 1) / cell);
    pv->px = malloc (pv->n * sizeof *pv->px);
    pv->side = malloc (pv->n);
    s_point_t *pts = malloc (pv->n * sizeof *pts);
    if (!pv->px || !pv->side || !pts) {
        free (pts);
        app_preview_destroy (&pv);
        return NULL;
    }
    for (size_t i = 0; i < pv->n; i++) {
        int cx = (int)(i % (size_t)pv->cw), cy = (int)(i / (size_t)pv->cw);
        int side = s_side (cx, cy);
        int x0 = cx * cell, y0 = cy * cell;
        int x1 = x0 + side < width_px ? x0 + side : width_px;
        int y1 = y0 + side < height_px ? y0 + side : height_px;
        /* The block's middle pixel stands for it. */
        pts[i].px.x = x0 + (x1 - x0) / 2;
        pts[i].px.y = y0 + (y1 - y0) / 2;
        long long dx = 2LL * pts[i].px.x + 1 - width_px, dy = 2LL * pts[i].px.y + 1 - height_px;
        pts[i].d2 = dx * dx + dy * dy;
        pts[i].side = side;
        pts[i].cell = i;
    }
    qsort (pts, pv->n, sizeof *pts, s_point_cmp);
    for (size_t i = 0; i < pv->n; i++) {
        pv->px[i] = pts[i].px;
        pv->side[i] = (uint8_t)pts[i].side;
    }
    free (pts);
    return pv;
}

void
app_preview_destroy (app_preview_t **self_p)
{
    app_preview_t *pv = *self_p;
    if (!pv)
        return;
    free (pv->px);
    free (pv->side);
    free (pv->image);
    free (pv->cell_got);
    free (pv);
    *self_p = NULL;
}

size_t
app_preview_count (const app_preview_t *pv)
{
    return pv->n;
}

const rnd_xy_t *
app_preview_px (const app_preview_t *pv)
{
    return pv->px;
}

const uint8_t *
app_preview_sides (const app_preview_t *pv)
{
    return pv->side;
}

size_t
app_preview_budget (const app_preview_t *pv, size_t peers)
{
    size_t first = 0;
    while (first < pv->n && pv->side[first] == APP_PREVIEW_COARSE_PX)
        first++;
    size_t npx = (size_t)pv->w * (size_t)pv->h;
    size_t budget = npx * APP_PREVIEW_SHARE_PCT / 100 / (peers ? peers : 1);
    budget = budget > first ? budget : first;
    return budget < pv->n ? budget : pv->n;
}

int
app_preview_whole (const app_preview_t *pv)
{
    return pv->cells_got == pv->n;
}

const float *
app_preview_image (const app_preview_t *pv)
{
    return pv->image;
}

/* Fill 8x8 block (cx, cy) with value; the block (clipped). */
static rnd_rect_t
s_fill_cell (app_preview_t *pv, int cx, int cy, float value)
{
    const int cell = APP_PREVIEW_CELL_PX;
    rnd_rect_t r = { cx * cell, cy * cell, (cx + 1) * cell, (cy + 1) * cell };
    r.x1 = r.x1 < pv->w ? r.x1 : pv->w;
    r.y1 = r.y1 < pv->h ? r.y1 : pv->h;
    for (int y = r.y0; y < r.y1; y++)
        for (int x = r.x0; x < r.x1; x++)
            pv->image[(size_t)y * (size_t)pv->w + (size_t)x] = value;
    return r;
}

int
app_preview_put (app_preview_t *pv, size_t first, const float *values, size_t n,
                 void (*changed) (void *ctx, rnd_rect_t block), void *ctx)
{
    if (first > pv->n || n > pv->n - first)
        return -1;
    size_t npx = (size_t)pv->w * (size_t)pv->h;
    if (!pv->image) {
        pv->image = malloc (npx * sizeof *pv->image);
        pv->cell_got = calloc (pv->n, 1);
        if (!pv->image || !pv->cell_got) {
            free (pv->image);
            free (pv->cell_got);
            pv->image = NULL;
            pv->cell_got = NULL;
            return -1;
        }
        for (size_t i = 0; i < npx; i++)
            pv->image[i] = NAN;
    }
    const int cell = APP_PREVIEW_CELL_PX;
    for (size_t i = first; i < first + n; i++) {
        int side = pv->side[i];
        /* The block's corner: the sample's, on the grid of its side (the
         * sample lies inside its block). */
        int bx = pv->px[i].x / side * side, by = pv->px[i].y / side * side;
        for (int cy = by / cell; cy * cell < by + side && cy * cell < pv->h; cy++)
            for (int cx = bx / cell; cx * cell < bx + side && cx * cell < pv->w; cx++) {
                uint8_t *got = &pv->cell_got[(size_t)cy * (size_t)pv->cw + (size_t)cx];
                if (*got && *got <= side)
                    continue; /* a finer sample (or this one) is there */
                pv->cells_got += *got == 0;
                *got = (uint8_t)side;
                rnd_rect_t block = s_fill_cell (pv, cx, cy, values[i - first]);
                if (changed)
                    changed (ctx, block);
            }
    }
    return 0;
}
