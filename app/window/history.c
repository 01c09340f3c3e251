/* history.c: where this window has been -- the views of the jobs it showed (Backspace / u goes
 * back, Home to the first) and a cache of finished jobs' images, so going back shows the old
 * image at once while the network renders it again.
 *
 * Going back is a new job for everyone, as a zoom is: the network keeps no
 * history, each window its own. The cache holds smooth values (4 bytes a
 * pixel), not colours, so `p` recolours a cached image too; it is bounded
 * by APP_GUI_CACHE_IMAGES and APP_GUI_CACHE_BYTES, the least recently used
 * image going first. An image from the cache fills the slices not here
 * yet; the real ones replace it as they come, with the same values
 * (rendering is bit-exact), so the PNG -- written from real slices only --
 * never holds a cached pixel. */

#include <stdlib.h>
#include <string.h>

#include "gui_ctx.h"
#include "samples.h"

/* Two exact decimals (NULL: the double is all there is) are the same. */
static int
s_same_text (const char *a, const char *b)
{
    return a == b || (a && b && strcmp (a, b) == 0);
}

/* The same picture: everything but the palette (the cache colours with
 * the window's own). Deep views differ in their exact texts where their
 * doubles are one and the same. */
static int
s_same_view (const rnd_view_t *a, const rnd_view_t *b)
{
    return a->fractal == b->fractal && a->center_re == b->center_re &&
           a->center_im == b->center_im && a->width == b->width && a->width_px == b->width_px &&
           a->height_px == b->height_px && a->max_iter == b->max_iter && a->bailout == b->bailout &&
           a->julia_re == b->julia_re && a->julia_im == b->julia_im &&
           a->bla_epsilon == b->bla_epsilon && a->samples == b->samples &&
           s_same_text (rnd_view_center_re_text (a), rnd_view_center_re_text (b)) &&
           s_same_text (rnd_view_center_im_text (a), rnd_view_center_im_text (b)) &&
           s_same_text (rnd_view_width_text (a), rnd_view_width_text (b));
}

/* The cache slot of view, or -1. */
static int
s_cached (const app_gui_t *g, const rnd_view_t *view)
{
    for (int i = 0; i < APP_GUI_CACHE_IMAGES; i++)
        if (g->cache[i].pixels && s_same_view (&g->cache[i].view, view))
            return i;
    return -1;
}

static size_t
s_bytes (const app_gui_cached_t *c)
{
    return c->pixels ? (size_t)rnd_view_grid_w (&c->view) * (size_t)rnd_view_grid_h (&c->view) *
                           sizeof (float)
                     : 0;
}

static void
s_evict (app_gui_t *g, int i)
{
    free (g->cache[i].pixels);
    g->cache[i].pixels = NULL;
    if (g->held == i)
        g->held = -1;
}

/* A new job is shown: remember its view (unless it is where the window
 * already is: a step back, or Home), and hold its cached image, if any, to
 * fill the slices not here yet. */
void
app_gui_history_job (app_gui_t *g)
{
    const rnd_view_t *v = &g->frame.info.view;
    if (g->nhistory == 0 || !s_same_view (&g->history[g->nhistory - 1], v)) {
        if (g->nhistory == APP_GUI_HISTORY_MAX) {
            /* The first view stays (Home); the second oldest goes. */
            memmove (g->history + 1, g->history + 2, (APP_GUI_HISTORY_MAX - 2) * sizeof *v);
            g->nhistory--;
        }
        g->history[g->nhistory++] = *v;
    }
    g->held = s_cached (g, v);
    if (g->held >= 0)
        g->cache[g->held].used = g->frame_no;
}

/* After a sync: a job complete here goes into the cache, once. */
void
app_gui_history_done (app_gui_t *g)
{
    const app_view_frame_t *f = &g->frame;
    const app_view_info_t *in = &f->info;
    if (!in->has_job || g->cached_seq == in->job_seq || !f->pixels)
        return;
    for (uint32_t i = 0; i < in->slices; i++)
        if (f->state[i] != APP_SLICE_DONE)
            return;
    g->cached_seq = in->job_seq;
    int slot = s_cached (g, &in->view);
    if (slot >= 0)
        return; /* the same values are there already */
    app_gui_cached_t c = { .view = in->view, .used = g->frame_no };
    size_t need =
        (size_t)rnd_view_grid_w (&in->view) * (size_t)rnd_view_grid_h (&in->view) * sizeof (float);
    if (need > APP_GUI_CACHE_BYTES)
        return;
    /* Room: a free slot, and the bytes, taking the least recently used. */
    for (;;) {
        size_t total = 0;
        int free_slot = -1, lru = -1;
        for (int i = 0; i < APP_GUI_CACHE_IMAGES; i++) {
            total += s_bytes (&g->cache[i]);
            if (!g->cache[i].pixels)
                free_slot = free_slot < 0 ? i : free_slot;
            else if (lru < 0 || g->cache[i].used < g->cache[lru].used)
                lru = i;
        }
        if (free_slot >= 0 && total + need <= APP_GUI_CACHE_BYTES) {
            slot = free_slot;
            break;
        }
        s_evict (g, lru);
    }
    c.pixels = malloc (need);
    if (!c.pixels)
        return; /* no cache: going back re-renders in grey, as a zoom */
    memcpy (c.pixels, f->pixels, need);
    g->cache[slot] = c;
}

/* The cached smooth values of the shown job's view (its sample grid, as
 * the frame's), or NULL. */
const float *
app_gui_history_pixels (const app_gui_t *g)
{
    if (g->held < 0 || !g->cache[g->held].pixels)
        return NULL;
    const app_gui_cached_t *c = &g->cache[g->held];
    if (c->view.width_px != g->img_w || c->view.height_px != g->img_h ||
        c->view.samples != g->frame.info.view.samples)
        return NULL;
    return c->pixels;
}

/* Where Backspace (back 1) or Home (back to the first) goes: the view, or
 * NULL if there is nowhere to go. The history forgets the views left. */
const rnd_view_t *
app_gui_history_back (app_gui_t *g, int home)
{
    if (g->nhistory < 2)
        return NULL;
    g->nhistory = home ? 1 : g->nhistory - 1;
    return &g->history[g->nhistory - 1];
}

/* Show view's cached image now, while its job is on the way: 1 if there
 * is one (of the image's size). */
int
app_gui_history_show (app_gui_t *g, const rnd_view_t *view)
{
    int i = s_cached (g, view);
    if (i < 0 || !g->rgb || view->width_px != g->img_w || view->height_px != g->img_h)
        return 0;
    g->cache[i].used = g->frame_no;
    rnd_colourise_rect (&g->palette, g->colouring, g->cache[i].pixels, g->img_w, view->samples,
                        (rnd_rect_t){ 0, 0, g->img_w, g->img_h }, g->rgb);
    app_gui_upload_all (g);
    app_gui_underlay_drop (g); /* the cached image is whole */
    g->showing_cached = 1;
    g->preview = 0;
    g->need_draw = 1;
    return 1;
}

void
app_gui_history_free (app_gui_t *g)
{
    for (int i = 0; i < APP_GUI_CACHE_IMAGES; i++)
        s_evict (g, i);
}
