/* hud.c: what is drawn over the image -- the HUD, the attribution overlay and its legend, the
 * ticker, the drag box and toasts. */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gui_ctx.h"
#include "slice.h"

/* --- drawing -------------------------------------------------------------- */

/* A contributor's colour: the set's (the same on every peer that knows
 * the same contributors), else its own hash colour. */
static uint32_t
s_peer_rgb (const app_gui_t *g, ovl_id_t id)
{
    const app_view_info_t *in = &g->frame.info;
    for (size_t i = 0; i < in->ncolours; i++)
        if (ovl_id_eq (in->colours[i].id, id))
            return in->colours[i].rgb;
    uint8_t c[3];
    app_gui_peer_colour (id, c);
    return (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
}

/* Who computed what: each tile tinted and outlined in the colour of the
 * peer that computed it; tiles rendering here now pulse white. */
void
app_gui_draw_overlay (app_gui_t *g, const SDL_Rect *fit, uint64_t now_ms)
{
    const app_view_frame_t *f = &g->frame;
    int k = (int)f->info.slices;
    for (int i = 0; i < k; i++) {
        if (f->state[i] != APP_SLICE_DONE)
            continue;
        SDL_Rect r = app_gui_image_rect (g, fit, rnd_slice_rect (g->img_w, g->img_h, k, i));
        uint32_t rgb = s_peer_rgb (g, f->by[i]);
        app_gui_fill (g, &r, rgb, APP_GUI_TINT_ALPHA);
        /* Outlines on tiles a few pixels wide would hide the image. */
        if (r.h >= APP_GUI_OUTLINE_MIN_PX && r.w >= APP_GUI_OUTLINE_MIN_PX)
            app_gui_outline (g, r, rgb, 230, 1);
    }
    double phase = (double)(now_ms % APP_GUI_PULSE_MS) / APP_GUI_PULSE_MS;
    double pulse = 0.5 + 0.5 * sin (2 * 3.14159265358979 * phase);
    int rendering = 0;
    for (int i = 0; i < k; i++) {
        if (f->state[i] != APP_SLICE_RENDERING)
            continue;
        rendering = 1;
        SDL_Rect r = app_gui_image_rect (g, fit, rnd_slice_rect (g->img_w, g->img_h, k, i));
        app_gui_fill (g, &r, 0xffffff, (int)(20 + 50 * pulse));
        app_gui_outline (g, r, 0xffffff, (int)(110 + 145 * pulse), 2);
    }
    if (rendering)
        app_gui_redraw_at (g, now_ms + APP_GUI_PULSE_STEP_MS);
}

/* The box being dragged, and (fainter) what will be shown: the box
 * widened to the image's aspect. */
void
app_gui_draw_band (app_gui_t *g, const SDL_Rect *fit)
{
    SDL_Rect b = app_gui_band (g);
    if (b.w > 0 && b.h > 0 && fit->w > 0 && fit->h > 0) {
        double aspect = (double)fit->w / fit->h;
        int tw = b.w, th = b.h;
        if (tw < th * aspect)
            tw = (int)lround (th * aspect);
        else
            th = (int)lround (tw / aspect);
        SDL_Rect t = { b.x + b.w / 2 - tw / 2, b.y + b.h / 2 - th / 2, tw, th };
        app_gui_outline (g, t, 0xffffff, 90, 1);
    }
    app_gui_fill (g, &b, 0xffffff, 40);
    app_gui_outline (g, b, 0xffffff, 230, 1);
}

/* "12.3" below 100, "412" above. */
static void
s_fmt_rate (char *buf, size_t size, double rate)
{
    snprintf (buf, size, rate < 100 ? "%.1f" : "%.0f", rate);
}

static int
s_percent (uint32_t part, uint32_t whole)
{
    return whole ? (int)((uint64_t)part * 100 / whole) : 0;
}

/* The HUD: who we are, the job's progress, our share -- a few short
 * lines in the top-left corner (the kernel and the view's details are in
 * the presenter view and the key list). Returns its box. */
SDL_Rect
app_gui_draw_hud (app_gui_t *g)
{
    const app_view_info_t *in = &g->frame.info;
    const el_status_t *st = &in->status;
    app_gui_line_t l[8];
    int n = 0;
    memset (l, 0, sizeof l);
    for (int i = 0; i < 8; i++)
        l[i].rgb = APP_GUI_WHITE;
    char master[OVL_ID_SHORT_LEN + 1] = "none", rate[32];
    if (st->has_master)
        ovl_id_short (st->master.id, master);
    snprintf (l[n++].text, APP_GUI_TEXT_MAX, "peer %s \xc2\xb7 %s%s \xc2\xb7 %zu peer%s",
              in->self_short,
              !in->has_job    ? "no job yet"
              : st->is_master ? "master"
                              : "worker",
              st->is_root ? " \xc2\xb7 root" : "", in->peers_known, app_plural_s (in->peers_known));
    snprintf (l[n++].text, APP_GUI_TEXT_MAX, "master %s \xc2\xb7 term %llu", master,
              (unsigned long long)st->term);
    if (in->has_job) {
        s_fmt_rate (rate, sizeof rate, in->rate);
        snprintf (l[n++].text, APP_GUI_TEXT_MAX, "slices %u/%u %d%% \xc2\xb7 %s/s \xc2\xb7 mine %u",
                  st->done, st->total, s_percent (st->done, st->total), rate, st->own);
    }
    if (in->has_job) {
        app_gui_view_text (&in->view, l[n++].text, APP_GUI_TEXT_MAX);
        app_gui_zoom_text (&in->view, l[n++].text, APP_GUI_TEXT_MAX);
    }
    /* Where a newcomer joins, and where the keys are: one line. */
    snprintf (l[n++].text, APP_GUI_TEXT_MAX, "%s%s%s? keys", in->join[0] ? "join " : "", in->join,
              in->join[0] ? " \xc2\xb7 " : "");
    if (st->electing) {
        snprintf (l[n].text, APP_GUI_TEXT_MAX, "electing a master ...");
        l[n++].rgb = APP_GUI_AMBER;
    }
    return app_gui_text_box (g, APP_GUI_MARGIN_PX, APP_GUI_MARGIN_PX, 0, l, n);
}

/* The legend of the overlay: each peer's colour and share, in the
 * top-right corner -- or below the HUD (hud: its box, w 0 if none) where
 * the window is too narrow for both side by side (an 800-px window had
 * the legend over the HUD's line ends). */
void
app_gui_draw_legend (app_gui_t *g, int ow, const SDL_Rect *hud)
{
    const app_view_info_t *in = &g->frame.info;
    app_gui_line_t l[APP_VIEW_LEGEND_MAX + 2];
    memset (l, 0, sizeof l);
    int n = 0;
    snprintf (l[n].text, APP_GUI_TEXT_MAX, "computed by");
    l[n++].rgb = APP_GUI_DIM;
    for (size_t i = 0; i < in->ncontrib; i++, n++) {
        char id[OVL_ID_SHORT_LEN + 1];
        ovl_id_short (in->contrib[i].id, id);
        /* Host and short id: which machine in the room, and which peer. */
        snprintf (l[n].text, APP_GUI_TEXT_MAX, "%s%s%s %5u %3d%%%s", in->contrib[i].host,
                  in->contrib[i].host[0] ? " " : "", id, in->contrib[i].count,
                  s_percent (in->contrib[i].count, in->slices),
                  ovl_id_eq (in->contrib[i].id, in->self) ? " (me)" : "");
        l[n].rgb = APP_GUI_WHITE;
        l[n].swatch = 1;
        l[n].swatch_rgb = s_peer_rgb (g, in->contrib[i].id);
    }
    if (in->ncontributors > in->ncontrib) {
        snprintf (l[n].text, APP_GUI_TEXT_MAX, "+ %zu more", in->ncontributors - in->ncontrib);
        l[n++].rgb = APP_GUI_DIM;
    }
    if (in->ncontrib == 0) {
        snprintf (l[n].text, APP_GUI_TEXT_MAX, "no slices yet");
        l[n++].rgb = APP_GUI_DIM;
    }
    int w, h;
    app_gui_text_box_size (g, l, n, &w, &h);
    int y = app_gui_corner_y (ow - APP_GUI_MARGIN_PX, APP_GUI_MARGIN_PX, w, hud->x, hud->y, hud->w,
                              hud->h, APP_GUI_MARGIN_PX);
    app_gui_text_box (g, ow - APP_GUI_MARGIN_PX, y, 1, l, n);
}

/* The ticker: the newest few events at the bottom-left, each fading out
 * with its age, a long one wrapped within APP_GUI_TICKER_W_PCT of the
 * width (28 characters at least) and the whole kept in the bottom third:
 * never over the middle of the image, where people look. Returns the y of
 * its top (oh if empty). */
int
app_gui_draw_ticker (app_gui_t *g, int ow, int oh, uint64_t now_ms)
{
    const app_view_info_t *in = &g->frame.info;
    uint64_t unix_ms = app_gui_unix_ms ();
    int y = oh - APP_GUI_MARGIN_PX, shown = 0, char_px = 0;
    if (!g->font)
        return oh;
    /* In a small window 45% is a few characters: then up to 28 of them,
     * as far as the window goes. */
    TTF_SizeUTF8 (g->font, "m", &char_px, NULL);
    int wrap_px = ow * APP_GUI_TICKER_W_PCT / 100, least = 28 * char_px;
    wrap_px = wrap_px < least ? least : wrap_px;
    wrap_px = wrap_px > ow - 2 * APP_GUI_MARGIN_PX ? ow - 2 * APP_GUI_MARGIN_PX : wrap_px;
    wrap_px -= 2 * APP_GUI_PAD_PX;
    for (size_t i = in->nticker; i-- > 0 && shown < APP_GUI_TICKER_SHOWN;) {
        const app_view_tick_t *t = &in->ticker[i];
        uint64_t age = unix_ms > t->t_ms ? unix_ms - t->t_ms : 0;
        if (age >= APP_GUI_TICK_HOLD_MS + APP_GUI_TICK_FADE_MS)
            continue;
        app_gui_text_t *tx =
            app_gui_text_wrapped (g, t->text, APP_GUI_WHITE, wrap_px > 50 ? wrap_px : 50);
        if (!tx || y - tx->h - 2 < oh * 2 / 3)
            break;
        double a = 1.0;
        if (age < APP_GUI_TICK_HOLD_MS) {
            app_gui_redraw_at (g, now_ms + (APP_GUI_TICK_HOLD_MS - age));
        } else {
            a = 1.0 - (double)(age - APP_GUI_TICK_HOLD_MS) / APP_GUI_TICK_FADE_MS;
            app_gui_redraw_at (g, now_ms + APP_GUI_FADE_STEP_MS);
        }
        y -= tx->h;
        SDL_Rect r = { APP_GUI_MARGIN_PX, y - 2, tx->w + 2 * APP_GUI_PAD_PX, tx->h + 2 };
        app_gui_fill (g, &r, 0x000000, (int)(APP_GUI_BOX_ALPHA * a));
        SDL_SetTextureAlphaMod (tx->tex, (uint8_t)lround (255 * a));
        SDL_Rect dst = { APP_GUI_MARGIN_PX + APP_GUI_PAD_PX, y - 1, tx->w, tx->h };
        SDL_RenderCopy (g->renderer, tx->tex, NULL, &dst);
        y -= 2;
        shown++;
    }
    return y;
}

void
app_gui_draw_toast (app_gui_t *g, int ow, int bottom, uint64_t now_ms)
{
    if (!g->toast[0])
        return;
    if (now_ms >= g->toast_until_ms) {
        g->toast[0] = '\0';
        return;
    }
    double a = 1.0;
    if (g->toast_until_ms != APP_GUI_NONE) {
        uint64_t left = g->toast_until_ms - now_ms;
        if (left < APP_GUI_TOAST_FADE_MS) {
            a = (double)left / APP_GUI_TOAST_FADE_MS;
            app_gui_redraw_at (g, now_ms + APP_GUI_FRAME_MS);
        } else {
            app_gui_redraw_at (g, g->toast_until_ms - APP_GUI_TOAST_FADE_MS);
        }
    }
    /* A long note (a bad palette's path and line) wraps to the window. */
    int wrap_px = ow - 2 * APP_GUI_MARGIN_PX - 4 * APP_GUI_PAD_PX;
    app_gui_text_t *t =
        app_gui_text_wrapped (g, g->toast, g->toast_rgb, wrap_px > 50 ? wrap_px : 50);
    if (!t)
        return;
    SDL_Rect r = { (ow - t->w) / 2 - 2 * APP_GUI_PAD_PX, bottom - t->h - 3 * APP_GUI_PAD_PX,
                   t->w + 4 * APP_GUI_PAD_PX, t->h + 2 * APP_GUI_PAD_PX };
    app_gui_fill (g, &r, 0x000000, (int)(200 * a));
    app_gui_outline (g, r, g->toast_rgb, (int)(120 * a), 1);
    SDL_SetTextureAlphaMod (t->tex, (uint8_t)lround (255 * a));
    SDL_Rect dst = { r.x + 2 * APP_GUI_PAD_PX, r.y + APP_GUI_PAD_PX, t->w, t->h };
    SDL_RenderCopy (g->renderer, t->tex, NULL, &dst);
}

/* The image, or where a zoom is going: the part of it the new view will
 * show, scaled up (or down) to fill the image's place. */
