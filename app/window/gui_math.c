/* gui_math.c: the window's geometry and colours that need no display --
 * where the image goes, what a zoom turns the view into, a peer's colour
 * (see gui.h). Kept apart from gui.c: no SDL call, so the unit test needs no
 * display. */
#include "gui.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Both zooms are exact (rnd_view_zoom_exact: MPFR at the precision the
 * new view needs, the centre kept as decimal text), so a chain of clicks
 * has no precision wall; on failure out is view. */

int
app_gui_zoom_at (const rnd_view_t *view, double px, double py, double factor, rnd_view_t *out)
{
    /* The point's offset from the centre shrinks by factor: the centre
     * moves by (1 - 1/factor) of it. */
    char err[160];
    if (rnd_view_zoom_exact (view, px, py, 1.0 - 1.0 / factor, 1.0 / factor, out, err,
                             sizeof err) == 0)
        return 0;
    if (out != view)
        *out = *view;
    return -1;
}

int
app_gui_corner_y (int right_x, int top_y, int w, int x, int y, int other_w, int other_h, int gap)
{
    int left = right_x - w;
    if (other_w <= 0 || left >= x + other_w + gap)
        return top_y;
    return y + other_h + gap;
}

int
app_gui_zoom_box (const rnd_view_t *view, double x0, double y0, double x1, double y1,
                  rnd_view_t *out)
{
    double w_px = fabs (x1 - x0), h_px = fabs (y1 - y0);
    /* Widen the narrower side so the box has the image's aspect: all of it
     * stays in view. */
    double want_px = fmax (w_px, h_px * view->width_px / view->height_px);
    char err[160];
    if (rnd_view_zoom_exact (view, (x0 + x1) / 2, (y0 + y1) / 2, 1.0, want_px / view->width_px, out,
                             err, sizeof err) == 0)
        return 0;
    if (out != view)
        *out = *view;
    return -1;
}

void
app_gui_region (const rnd_view_t *old, const rnd_view_t *nw, double r[4])
{
    double dx, dy, ratio;
    rnd_view_relative (old, nw, &dx, &dy, &ratio);
    r[2] = ratio * old->width_px;
    r[3] = r[2] * nw->height_px / nw->width_px;
    r[0] = dx + old->width_px / 2.0 - r[2] / 2;
    r[1] = -dy + old->height_px / 2.0 - r[3] / 2;
}

int
app_gui_auto_iter (const float *s, size_t n, int max_iter)
{
    /* Escaped in the top quarter of the budget: with more iterations,
     * pixels now shown as interior would likely escape too. */
    double near = 0.75 * max_iter;
    size_t hot = 0;
    for (size_t i = 0; i < n; i++)
        hot += s[i] >= 0.0f && (double)s[i] > near;
    if (n == 0 || hot * APP_GUI_AUTO_ITER_PER < n || max_iter >= RND_VIEW_ITER_MAX)
        return max_iter;
    long raised = 2L * max_iter;
    return raised > RND_VIEW_ITER_MAX ? RND_VIEW_ITER_MAX : (int)raised;
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
app_gui_depth (const rnd_view_t *view, double *w_m, long *w_e, double *z_m, long *z_e)
{
    /* From the width's text when it is current (below the doubles it is
     * all there is), else from the double: mantissa and power of ten. */
    char tmp[RND_WIDTH_TEXT_MAX];
    const char *t = rnd_view_width_text (view);
    if (!t) {
        snprintf (tmp, sizeof tmp, "%.17e", view->width);
        t = tmp;
    }
    /* The mantissa alone (strtod would take the exponent too, and a deep
     * one underflows), then the exponent. */
    const char *e = strpbrk (t, "eE");
    char mant[RND_WIDTH_TEXT_MAX];
    snprintf (mant, sizeof mant, "%.*s", e ? (int)(e - t) : (int)strlen (t), t);
    double m = strtod (mant, NULL);
    long x = e ? strtol (e + 1, NULL, 10) : 0;
    for (int i = 0; m != 0 && fabs (m) >= 10 && i < 400; i++)
        m /= 10, x++;
    for (int i = 0; m != 0 && fabs (m) < 1 && i < 400; i++)
        m *= 10, x--;
    *w_m = m;
    *w_e = x;
    /* zoom = 4 / width: 1 shows the whole Mandelbrot set */
    double z = m > 0 ? 4.0 / m : 0;
    long ze = -x;
    for (int i = 0; z != 0 && z < 1 && i < 400; i++)
        z *= 10, ze--;
    *z_m = z;
    *z_e = ze;
}

void
app_gui_zoom_text (const rnd_view_t *view, char *buf, size_t size)
{
    double wm, zm;
    long we, ze;
    app_gui_depth (view, &wm, &we, &zm, &ze);
    /* Two digits, rounded before printing: 9.96e5 is 1e6, not 10e5. */
    zm = round (zm * 10) / 10;
    if (zm >= 10)
        zm /= 10, ze++;
    if (ze >= -3 && ze <= 3) /* 0.25, 2.5, 2900: plain */
        snprintf (buf, size, "zoom %.4g", zm * pow (10, (double)ze));
    else
        snprintf (buf, size, "zoom %.2ge%ld", zm, ze);
}

void
app_gui_view_text (const rnd_view_t *view, char *buf, size_t size)
{
    /* Decimals down to a pixel's size: the centre moved by one pixel
     * changes the text (up to 17: a deep centre has thousands of digits,
     * which the PNG and `s` keep; the depth says where we are). */
    double pitch = view->width_px > 0 ? view->width / view->width_px : view->width;
    int decimals = pitch > 0 ? (int)ceil (-log10 (pitch)) : 17;
    decimals = decimals < 2 ? 2 : decimals > 17 ? 17 : decimals;
    double wm, zm;
    long we, ze;
    app_gui_depth (view, &wm, &we, &zm, &ze);
    char width[32];
    if (view->width >= 1e-300) /* as always: %.3g of the double */
        snprintf (width, sizeof width, "%.3g", view->width);
    else
        snprintf (width, sizeof width, "%.3ge%ld", wm, we);
    char aa[48] = "";
    if (view->samples > 1)
        snprintf (aa, sizeof aa, " \xc2\xb7 %dx%d samples", view->samples, view->samples);
    snprintf (buf, size, "%.*f,%.*f w %s \xc2\xb7 %d it%s", decimals, view->center_re, decimals,
              view->center_im, width, view->max_iter, aa);
}
