/* gui_math.c: the window's geometry and colours that need no display --
 * where the image goes, what a zoom turns the view into, a peer's colour
 * (see gui.h). Kept apart from gui.c: no SDL call, so the unit test needs no
 * display. */
#include "gui.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void
app_gui_fit (int img_w, int img_h, int win_w, int win_h, int *x, int *y, int *w, int *h)
{
    if (img_w < 1 || img_h < 1 || win_w < 1 || win_h < 1) {
        *x = *y = *w = *h = 0;
        return;
    }
    /* Compare aspects in integers, so a window of the image's own size (or
     * an exact multiple) gives an exact rectangle, never one pixel off. */
    long long wide = (long long)img_w * win_h, tall = (long long)win_w * img_h;
    if (wide >= tall) {
        *w = win_w;
        *h = (int)(((long long)img_h * win_w + img_w / 2) / img_w);
    } else {
        *h = win_h;
        *w = (int)(((long long)img_w * win_h + img_h / 2) / img_h);
    }
    if (*w < 1)
        *w = 1;
    if (*h < 1)
        *h = 1;
    *x = (win_w - *w) / 2;
    *y = (win_h - *h) / 2;
}

/* Pixel coordinates here are those of rnd_view_pixel: (px, py) integer is
 * the centre of that pixel, so a point of the image at continuous position
 * u (0 at the left edge, W at the right) is px = u - 0.5. */

void
app_gui_zoom_at (const rnd_view_t *view, double px, double py, double factor, rnd_view_t *out)
{
    double pitch = view->width / view->width_px;
    /* The point's offset from the centre, which shrinks by factor. */
    double dx = (px + 0.5 - view->width_px / 2.0) * pitch;
    double dy = (view->height_px / 2.0 - py - 0.5) * pitch;
    double re = view->center_re + (dx - dx / factor);
    double im = view->center_im + (dy - dy / factor);
    double width = view->width / factor;
    *out = *view;
    out->center_re = re;
    out->center_im = im;
    out->width = width;
}

void
app_gui_region (const rnd_view_t *old, const rnd_view_t *nw, double r[4])
{
    double pitch = old->width / old->width_px, npitch = nw->width / nw->width_px;
    r[0] = ((nw->center_re - nw->width / 2) - (old->center_re - old->width / 2)) / pitch;
    r[1] = ((old->center_im + pitch * old->height_px / 2) -
            (nw->center_im + npitch * nw->height_px / 2)) /
           pitch;
    r[2] = nw->width / pitch;
    r[3] = npitch * nw->height_px / pitch;
}

void
app_gui_zoom_box (const rnd_view_t *view, double x0, double y0, double x1, double y1,
                  rnd_view_t *out)
{
    double w_px = fabs (x1 - x0), h_px = fabs (y1 - y0);
    /* Widen the narrower side so the box has the image's aspect: all of it
     * stays in view. */
    double want_px = fmax (w_px, h_px * view->width_px / view->height_px);
    double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    double pitch = view->width / view->width_px;
    double re = view->center_re + (cx + 0.5 - view->width_px / 2.0) * pitch;
    double im = view->center_im + (view->height_px / 2.0 - cy - 0.5) * pitch;
    double width = want_px * pitch;
    *out = *view;
    out->center_re = re;
    out->center_im = im;
    out->width = width;
}

/* All 128 bits through splitmix64's finaliser: ids that share a prefix
 * (neighbours on the ring) still hash apart. */
static uint64_t
s_id_hash (ovl_id_t id)
{
    uint64_t z = id.hi ^ (id.lo * 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void
app_gui_peer_colour (ovl_id_t id, uint8_t rgb[3])
{
    uint64_t z = s_id_hash (id);
    double hue = (double)(z >> 11) * 0x1p-53 * 6.0; /* 0 <= hue < 6 sectors */
    /* HSV to RGB with s = 0.75, v = 1: channel n (5 red, 3 green, 1 blue)
     * is v - v s max(0, min(k, 4 - k, 1)), k = (n + hue) mod 6. */
    const double s = 0.75, v = 1.0;
    const int n[3] = { 5, 3, 1 };
    for (int i = 0; i < 3; i++) {
        double k = fmod (n[i] + hue, 6.0);
        double c = v - v * s * fmax (0.0, fmin (fmin (k, 4.0 - k), 1.0));
        rgb[i] = (uint8_t)lround (c * 255);
    }
}

/* scripts/make-peer-colours.py 32: Okabe-Ito's seven, then 25 chosen
 * greedily for distance (OKLab) from all before them and from black,
 * white and the greys the window shows. */
static const uint32_t s_peer_table[APP_GUI_PEER_COLOURS] = {
    0xe69f00, 0x56b4e9, 0x009e73, 0xf0e442, 0x0072b2, 0xd55e00, 0xcc79a7, 0x9900ff,
    0x00dd00, 0xff22ff, 0x00ffdd, 0xffaaff, 0xcc0077, 0x7777ff, 0x99cc88, 0x9955aa,
    0xcc77ff, 0x998800, 0xff0044, 0xffbb99, 0xff33aa, 0x99ff00, 0x88ddff, 0xcc00cc,
    0xff7766, 0x00aa00, 0xaa5566, 0x0066ff, 0xbbaaee, 0x0099bb, 0x88bb00, 0x33bbaa,
};
#define S_OKABE_ITO 7

typedef struct {
    uint64_t hash;
    ovl_id_t id;
    size_t at; /* index into ids */
} s_peer_rank_t;

static int
s_rank_cmp (const void *a, const void *b)
{
    const s_peer_rank_t *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return ovl_id_cmp (x->id, y->id);
}

void
app_gui_peer_colours (const ovl_id_t *ids, size_t n, uint32_t *rgb)
{
    s_peer_rank_t *rank = n ? malloc (n * sizeof *rank) : NULL;
    if (!rank) {
        /* No memory (or no peer): the colours of the ids alone. */
        for (size_t i = 0; i < n; i++) {
            uint8_t c[3];
            app_gui_peer_colour (ids[i], c);
            rgb[i] = (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
        }
        return;
    }
    for (size_t i = 0; i < n; i++)
        rank[i] = (s_peer_rank_t){ s_id_hash (ids[i]), ids[i], i };
    /* The set's order, not the caller's: the same on every peer. */
    qsort (rank, n, sizeof *rank, s_rank_cmp);
    int used[APP_GUI_PEER_COLOURS] = { 0 };
    for (size_t r = 0; r < n; r++) {
        int want = (int)(rank[r].hash % S_OKABE_ITO), got = -1;
        /* The preferred one, then the rest of Okabe-Ito round from it,
         * then the table's others in order. */
        for (int k = 0; k < APP_GUI_PEER_COLOURS && got < 0; k++) {
            int c = k < S_OKABE_ITO ? (want + k) % S_OKABE_ITO : k;
            if (!used[c])
                got = c;
        }
        if (got >= 0) {
            used[got] = 1;
            rgb[rank[r].at] = s_peer_table[got];
        } else {
            uint8_t c[3];
            app_gui_peer_colour (rank[r].id, c);
            rgb[rank[r].at] = (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
        }
    }
    free (rank);
}

void
app_gui_view_text (const rnd_view_t *view, char *buf, size_t size)
{
    /* Decimals down to a pixel's size: the centre moved by one pixel
     * changes the text. */
    double pitch = view->width_px > 0 ? view->width / view->width_px : view->width;
    int decimals = pitch > 0 ? (int)ceil (-log10 (pitch)) : 2;
    decimals = decimals < 2 ? 2 : decimals > 17 ? 17 : decimals;
    snprintf (buf, size, "%.*f,%.*f w %.3g \xc2\xb7 %d it", decimals, view->center_re, decimals,
              view->center_im, view->width, view->max_iter);
}
