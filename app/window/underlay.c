/* underlay.c: after a zoom, the old image stays on screen, scaled and
 * moved to where it lies in the new view, until the new job's tiles cover
 * it (as XaoS does) -- in every window, the clicker's and the others'.
 *
 * The old job's texture is kept as it was when the new job came (one more
 * texture of the image's size, until the new image is complete) and drawn
 * first; then each tile of the new job that is here is copied over it from
 * the new texture. The underlay is only a picture: the image, the PNG and
 * a save hold real tiles only, and the overlay, HUD and tests of the
 * finished window see the new texture alone once every tile is here. */
#include "gui_ctx.h"
#include "slice.h"

void
app_gui_underlay_drop (app_gui_t *g)
{
    if (g->under)
        SDL_DestroyTexture (g->under);
    g->under = NULL;
}

/* The old image can be placed in the new view: the same picture (fractal,
 * Julia constant) and views whose centres doubles tell apart (not deep). */
static int
s_related (const rnd_view_t *old, const rnd_view_t *nw)
{
    if (old->fractal != nw->fractal || rnd_view_is_deep (old) || rnd_view_is_deep (nw))
        return 0;
    if (nw->fractal == RND_FRACTAL_JULIA &&
        (old->julia_re != nw->julia_re || old->julia_im != nw->julia_im))
        return 0;
    return old->width > 0 && nw->width > 0;
}

void
app_gui_underlay_start (app_gui_t *g, const rnd_view_t *nw)
{
    app_gui_underlay_drop (g);
    if (!g->image || !g->image_view_set || !s_related (&g->image_view, nw))
        return;
    double r[4];
    app_gui_region (nw, &g->image_view, r);
    /* Nothing of the old image in the new view, or less than a pixel of it:
     * no picture to keep. */
    if (!(r[2] >= 1.0 && r[3] >= 1.0 && r[0] < nw->width_px && r[1] < nw->height_px &&
          r[0] + r[2] > 0 && r[1] + r[3] > 0))
        return;
    /* The texture changes hands: the new job gets a new one. */
    g->under = g->image;
    g->image = NULL;
    memcpy (g->under_rect, r, sizeof r);
}

void
app_gui_underlay_check (app_gui_t *g)
{
    if (!g->under)
        return;
    const app_view_frame_t *f = &g->frame;
    for (uint32_t i = 0; i < f->info.slices; i++)
        if (f->state[i] != APP_SLICE_DONE)
            return;
    app_gui_underlay_drop (g); /* complete: the new image alone */
}

void
app_gui_underlay_draw (app_gui_t *g, const SDL_Rect *fit)
{
    app_gui_fill (g, fit, APP_GUI_NEUTRAL << 16 | APP_GUI_NEUTRAL << 8 | APP_GUI_NEUTRAL, 255);
    double sx = (double)fit->w / g->img_w, sy = (double)fit->h / g->img_h;
    const double *u = g->under_rect;
    SDL_FRect dst = { (float)(fit->x + u[0] * sx), (float)(fit->y + u[1] * sy), (float)(u[2] * sx),
                      (float)(u[3] * sy) };
    SDL_RenderSetClipRect (g->renderer, fit);
    SDL_RenderCopyF (g->renderer, g->under, NULL, &dst);
    SDL_RenderSetClipRect (g->renderer, NULL);
    /* The new job's tiles that are here, over it. */
    const app_view_frame_t *f = &g->frame;
    int k = (int)f->info.slices, step = g->tex_step;
    for (int i = 0; i < k; i++) {
        if (f->state[i] != APP_SLICE_DONE)
            continue;
        rnd_rect_t t = rnd_slice_rect (g->img_w, g->img_h, k, i);
        SDL_Rect src = { t.x0 / step, t.y0 / step, (t.x1 + step - 1) / step - t.x0 / step,
                         (t.y1 + step - 1) / step - t.y0 / step };
        SDL_Rect to = app_gui_image_rect (g, fit, t);
        SDL_RenderCopy (g->renderer, g->image, &src, &to);
    }
}
