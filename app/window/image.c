/* image.c: the image in the window -- its palette, recolouring dirty slices into RGB, uploading
 * them to a texture (decimated when too big), drawing it or a zoom's preview. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gui_ctx.h"
#include "samples.h"
#include "slice.h"

/* --- the image ------------------------------------------------------------ */

/* Where the image goes in the window now. */
SDL_Rect
app_gui_fit_rect (app_gui_t *g)
{
    int ow = 0, oh = 0;
    SDL_GetRendererOutputSize (g->renderer, &ow, &oh);
    SDL_Rect r;
    app_gui_fit (g->img_w, g->img_h, ow, oh, &r.x, &r.y, &r.w, &r.h);
    return r;
}

/* The rectangle r of the image in the window, within fit (at least a
 * pixel each way). */
SDL_Rect
app_gui_image_rect (const app_gui_t *g, const SDL_Rect *fit, rnd_rect_t r)
{
    int wx0 = fit->x + (int)((long long)r.x0 * fit->w / g->img_w);
    int wx1 = fit->x + (int)((long long)r.x1 * fit->w / g->img_w);
    int wy0 = fit->y + (int)((long long)r.y0 * fit->h / g->img_h);
    int wy1 = fit->y + (int)((long long)r.y1 * fit->h / g->img_h);
    SDL_Rect w = { wx0, wy0, wx1 > wx0 ? wx1 - wx0 : 1, wy1 > wy0 ? wy1 - wy0 : 1 };
    return w;
}

/* Copy the rectangle r of rgb into the texture. */
void
app_gui_upload (app_gui_t *g, rnd_rect_t r)
{
    if (!g->image || r.y1 <= r.y0 || r.x1 <= r.x0)
        return;
    int k = g->tex_step;
    if (k == 1) {
        SDL_Rect t = { r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0 };
        SDL_UpdateTexture (g->image, &t, g->rgb + ((size_t)r.y0 * g->img_w + (size_t)r.x0) * 3,
                           g->img_w * 3);
        return;
    }
    /* Too big for the renderer: every k-th pixel of every k-th row. */
    int tx0 = (r.x0 + k - 1) / k, tx1 = (r.x1 + k - 1) / k;
    if (tx1 <= tx0)
        return;
    for (int ty = (r.y0 + k - 1) / k; ty * k < r.y1; ty++) {
        const uint8_t *src = g->rgb + (size_t)ty * k * g->img_w * 3;
        for (int tx = tx0; tx < tx1; tx++)
            memcpy (g->tex_row + 3 * (tx - tx0), src + (size_t)tx * k * 3, 3);
        SDL_Rect t = { tx0, ty, tx1 - tx0, 1 };
        SDL_UpdateTexture (g->image, &t, g->tex_row, (tx1 - tx0) * 3);
    }
}

void
app_gui_upload_all (app_gui_t *g)
{
    rnd_rect_t all = { 0, 0, g->img_w, g->img_h };
    app_gui_upload (g, all);
}

/* Colour n values of the preview into rgb: each run of samples in the
 * palette, the NaN of no sample yet neutral. */
static void
s_paint_preview (const app_gui_t *g, const float *v, size_t n, uint8_t *rgb)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        if (isnan (v[i])) {
            while (j < n && isnan (v[j]))
                j++;
            memset (rgb + 3 * i, APP_GUI_NEUTRAL, 3 * (j - i));
        } else {
            while (j < n && !isnan (v[j]))
                j++;
            rnd_colourise (&g->palette, g->colouring, v + i, j - i, rgb + 3 * i);
        }
        i = j;
    }
}

/* Colour slice i's pixels into rgb (neutral unless DONE). */
static void
s_paint_slice (app_gui_t *g, uint32_t i, rnd_rect_t r)
{
    const app_view_frame_t *f = &g->frame;
    /* Not here yet: the same pixels of a cached image of this view (going
     * back), else the coarse preview where it has samples, else neutral
     * grey. */
    const float *cached = f->state[i] == APP_SLICE_DONE ? NULL : app_gui_history_pixels (g);
    const float *src = f->state[i] == APP_SLICE_DONE ? f->pixels : cached;
    if (src) {
        /* Anti-aliased jobs hold K x K values a pixel: averaged here, so a
         * palette change recolours from them. */
        rnd_colourise_rect (&g->palette, g->colouring, src, g->img_w, f->info.view.samples, r,
                            g->rgb);
        return;
    }
    /* The preview holds one value a pixel, whatever the samples. */
    const float *preview = f->has_preview ? f->preview : NULL;
    size_t n = (size_t)(r.x1 - r.x0);
    for (int y = r.y0; y < r.y1; y++) {
        size_t off = (size_t)y * g->img_w + (size_t)r.x0;
        if (preview)
            s_paint_preview (g, preview + off, n, g->rgb + 3 * off);
        else
            memset (g->rgb + 3 * off, APP_GUI_NEUTRAL, 3 * n);
    }
}

/* Recolour the dirty slices (every slice if all) and upload them: one
 * texture update per dirty tile, or one for the whole image. */
void
app_gui_recolour (app_gui_t *g, int all)
{
    if (!g->rgb)
        return;
    const app_view_frame_t *f = &g->frame;
    int k = (int)f->info.slices;
    for (int i = 0; i < k; i++) {
        if (!all && !f->dirty[i])
            continue;
        rnd_rect_t r = rnd_slice_rect (g->img_w, g->img_h, k, i);
        s_paint_slice (g, (uint32_t)i, r);
        if (!all)
            app_gui_upload (g, r);
    }
    if (all)
        app_gui_upload_all (g);
    g->need_draw = 1;
}

void
app_gui_image_free (app_gui_t *g)
{
    if (g->image)
        SDL_DestroyTexture (g->image);
    g->image = NULL;
    free (g->rgb);
    free (g->tex_row);
    g->rgb = g->tex_row = NULL;
    g->img_w = g->img_h = 0;
}

/* Make rgb and the texture fit a w x h image. 0, or -1 with a toast (the
 * window then shows no image, but goes on). */
int
app_gui_image_alloc (app_gui_t *g, int w, int h)
{
    if (g->rgb && g->image && g->img_w == w && g->img_h == h)
        return 0;
    app_gui_image_free (g);
    g->rgb = malloc ((size_t)w * (size_t)h * 3);
    /* A renderer has a largest texture (8192 or 16384 on most GPUs, none in
     * software); a bigger image is shown from every k-th pixel. Saving
     * still writes every pixel. */
    SDL_RendererInfo ri;
    int k = 1;
    if (SDL_GetRendererInfo (g->renderer, &ri) == 0) {
        while ((ri.max_texture_width && (w + k - 1) / k > ri.max_texture_width) ||
               (ri.max_texture_height && (h + k - 1) / k > ri.max_texture_height))
            k++;
    }
    g->tex_step = k;
    int tw = (w + k - 1) / k, th = (h + k - 1) / k;
    g->tex_row = k > 1 ? malloc ((size_t)tw * 3) : NULL;
    g->image =
        SDL_CreateTexture (g->renderer, SDL_PIXELFORMAT_RGB24, SDL_TEXTUREACCESS_STREAMING, tw, th);
    if (!g->rgb || !g->image || (k > 1 && !g->tex_row)) {
        app_gui_toast (g, APP_GUI_RED, "cannot show a %dx%d image: %s", w, h,
                       g->rgb ? SDL_GetError () : "out of memory");
        app_gui_image_free (g);
        return -1;
    }
    /* The image is opaque: copied, never blended, so 1:1 is pixel-exact. */
    SDL_SetTextureBlendMode (g->image, SDL_BLENDMODE_NONE);
    g->img_w = w;
    g->img_h = h;
    return 0;
}

/* --- palettes ------------------------------------------------------------- */

/* A palette name that is a file path (as rnd_palette_load reads it). */
static int
s_palette_is_path (const char *name)
{
    size_t len = strlen (name);
    return strchr (name, '/') || (len >= 4 && strcmp (name + len - 4, ".map") == 0);
}

void
app_gui_palette_use (app_gui_t *g, const rnd_palette_t *pal, const char *name)
{
    g->palette = *pal;
    snprintf (g->palette_name, sizeof g->palette_name, "%s", name);
    snprintf (g->palette_cursor, sizeof g->palette_cursor, "%s", name);
    g->palette_loaded = 1;
}

/* The job's palette, unless the user chose one. As the loop thread does
 * (app/peer/events.c), a path named by a job from the network is never opened:
 * any peer could make us read a FIFO and hang the window. */
void
app_gui_palette_for_job (app_gui_t *g)
{
    const char *name = g->frame.info.view.palette;
    if (g->palette_chosen || (g->palette_loaded && strcmp (name, g->palette_name) == 0))
        return;
    char err[512];
    rnd_palette_t pal;
    if (s_palette_is_path (name)) {
        app_gui_toast (g, APP_GUI_AMBER,
                       "palette '%.60s' is a file on another machine: showing 'default'", name);
        name = "default";
    } else if (rnd_palette_load (&pal, name, err, sizeof err) == 0) {
        app_gui_palette_use (g, &pal, name);
        return;
    } else {
        app_gui_toast (g, APP_GUI_AMBER, "%s: showing 'default'", err);
        name = "default";
    }
    if (rnd_palette_load (&pal, "default", err, sizeof err) != 0) {
        /* No assets at all: a grey ramp still shows the image. */
        for (int i = 0; i < RND_PALETTE_ENTRIES; i++)
            pal.rgb[i][0] = pal.rgb[i][1] = pal.rgb[i][2] = (uint8_t)i;
        app_gui_toast (g, APP_GUI_AMBER, "%s: showing grey", err);
    }
    app_gui_palette_use (g, &pal, "default");
}

/* `p`: the next palette of the assets directory. A bad file is named in a
 * toast and skipped: the next `p` goes on past it. */
void
app_gui_palette_next (app_gui_t *g)
{
    rnd_palette_list_t list;
    char err[512] = "";
    if (rnd_palette_list (&list, err, sizeof err) != 0 || list.count == 0) {
        if (list.count == 0 && !err[0])
            snprintf (err, sizeof err, "no palettes in %s/palettes", rnd_palette_assets_dir ());
        app_gui_toast (g, APP_GUI_RED, "%s", err);
        return;
    }
    const char *next = rnd_palette_list_next (&list, g->palette_cursor);
    snprintf (g->palette_cursor, sizeof g->palette_cursor, "%s", next);
    rnd_palette_t pal;
    if (rnd_palette_load (&pal, next, err, sizeof err) != 0) {
        app_gui_toast (g, APP_GUI_RED, "%s", err);
        return;
    }
    app_gui_palette_use (g, &pal, next);
    g->palette_chosen = 1;
    app_gui_recolour (g, 1);
    app_gui_toast (g, APP_GUI_WHITE, "palette %s", next);
}

void
app_gui_draw_image (app_gui_t *g, const SDL_Rect *fit, uint64_t now_ms)
{
    if (g->preview && (g->preview_seq != g->job_seq || now_ms >= g->preview_until_ms))
        g->preview = 0;
    if (!g->preview && g->under) {
        app_gui_underlay_draw (g, fit);
        return;
    }
    if (!g->preview) {
        SDL_RenderCopy (g->renderer, g->image, NULL, fit);
        return;
    }
    app_gui_redraw_at (g, g->preview_until_ms);
    const double *r = g->region;
    double sx = fit->w / r[2], sy = fit->h / r[3];
    SDL_FRect dst = { (float)(fit->x - r[0] * sx), (float)(fit->y - r[1] * sy),
                      (float)(g->img_w * sx), (float)(g->img_h * sy) };
    app_gui_fill (g, fit, APP_GUI_NEUTRAL << 16 | APP_GUI_NEUTRAL << 8 | APP_GUI_NEUTRAL, 255);
    SDL_RenderSetClipRect (g->renderer, fit);
    SDL_RenderCopyF (g->renderer, g->image, NULL, &dst);
    SDL_RenderSetClipRect (g->renderer, NULL);
}
