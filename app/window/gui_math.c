/* gui_math.c: the window's geometry and colours that need no display --
 * where the image goes, what a zoom turns the view into, a peer's colour
 * (see gui.h). Kept apart from gui.c: no SDL call, so the unit test needs no
 * display. */
#include "gui.h"

#include <math.h>

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

void
app_gui_peer_colour (ovl_id_t id, uint8_t rgb[3])
{
    /* Hue from all 128 bits through splitmix64's finaliser: ids that share
     * a prefix (neighbours on the ring) still get unrelated hues. */
    uint64_t z = id.hi ^ (id.lo * 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
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
