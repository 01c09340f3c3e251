/* text.c: the window's text (SDL_ttf, rendered once into cached textures) and the boxes and
 * outlines drawn with it. */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gui_ctx.h"

/* --- text ----------------------------------------------------------------- */

/* The texture of text in colour rgb, rendered on first use, broken into
 * lines no wider than wrap_px (0: one line). NULL with no font, for "", or
 * if rendering failed. */
static app_gui_text_t *
s_text_in (app_gui_t *g, TTF_Font *font, const char *text, uint32_t rgb, int wrap_px)
{
    if (!font || !*text)
        return NULL;
    int pt = font == g->font ? g->font_pt : g->big_pt;
    app_gui_text_t *slot = NULL;
    for (int i = 0; i < APP_GUI_TEXT_CACHE; i++) {
        app_gui_text_t *t = &g->texts[i];
        if (t->tex && t->rgb == rgb && t->wrap_px == wrap_px && t->font == font && t->pt == pt &&
            strcmp (t->text, text) == 0) {
            t->used = g->frame_no;
            return t;
        }
        if (!slot || (slot->tex && (!t->tex || t->used < slot->used)))
            slot = t;
    }
    if (slot->tex)
        SDL_DestroyTexture (slot->tex);
    slot->tex = NULL;
    SDL_Color c = { (uint8_t)(rgb >> 16), (uint8_t)(rgb >> 8), (uint8_t)rgb, 255 };
    SDL_Surface *s = wrap_px > 0 ? TTF_RenderUTF8_Blended_Wrapped (font, text, c, (uint32_t)wrap_px)
                                 : TTF_RenderUTF8_Blended (font, text, c);
    if (!s)
        return NULL;
    slot->tex = SDL_CreateTextureFromSurface (g->renderer, s);
    slot->w = s->w;
    slot->h = s->h;
    SDL_FreeSurface (s);
    if (!slot->tex)
        return NULL;
    snprintf (slot->text, sizeof slot->text, "%s", text);
    slot->rgb = rgb;
    slot->wrap_px = wrap_px;
    slot->font = font;
    slot->pt = pt;
    slot->used = g->frame_no;
    return slot;
}

app_gui_text_t *
app_gui_text_wrapped (app_gui_t *g, const char *text, uint32_t rgb, int wrap_px)
{
    return s_text_in (g, g->font, text, rgb, wrap_px);
}

/* The presenter view's big text: its own font, or the normal one without. */
static app_gui_text_t *
s_big (app_gui_t *g, const char *text, uint32_t rgb)
{
    return s_text_in (g, g->big ? g->big : g->font, text, rgb, 0);
}

int
app_gui_big_w (app_gui_t *g, const char *text)
{
    app_gui_text_t *t = s_big (g, text, APP_GUI_WHITE);
    return t ? t->w : 0;
}

void
app_gui_big_draw (app_gui_t *g, int x, int y, const char *text, uint32_t rgb)
{
    app_gui_text_t *t = s_big (g, text, rgb);
    if (!t)
        return;
    SDL_SetTextureAlphaMod (t->tex, 255);
    SDL_Rect dst = { x, y, t->w, t->h };
    SDL_RenderCopy (g->renderer, t->tex, NULL, &dst);
}

static app_gui_text_t *
s_text (app_gui_t *g, const char *text, uint32_t rgb)
{
    return app_gui_text_wrapped (g, text, rgb, 0);
}

void
app_gui_text_forget_all (app_gui_t *g)
{
    for (int i = 0; i < APP_GUI_TEXT_CACHE; i++) {
        if (g->texts[i].tex)
            SDL_DestroyTexture (g->texts[i].tex);
        g->texts[i].tex = NULL;
    }
}

/* Width of text, px (0 without a font). */
int
app_gui_text_w (app_gui_t *g, const char *text, uint32_t rgb)
{
    app_gui_text_t *t = s_text (g, text, rgb);
    return t ? t->w : 0;
}

/* Draw text with its top-left at (x, y), alpha 0..1. */
void
app_gui_text_draw (app_gui_t *g, int x, int y, const char *text, uint32_t rgb, double alpha)
{
    app_gui_text_t *t = s_text (g, text, rgb);
    if (!t)
        return;
    SDL_SetTextureAlphaMod (t->tex, (uint8_t)lround (255 * alpha));
    SDL_Rect dst = { x, y, t->w, t->h };
    SDL_RenderCopy (g->renderer, t->tex, NULL, &dst);
}

void
app_gui_fill (app_gui_t *g, const SDL_Rect *r, uint32_t rgb, int alpha)
{
    SDL_SetRenderDrawBlendMode (g->renderer, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor (g->renderer, (uint8_t)(rgb >> 16), (uint8_t)(rgb >> 8), (uint8_t)rgb,
                            (uint8_t)alpha);
    SDL_RenderFillRect (g->renderer, r);
}

/* An outline `thick_px` wide, inside r. */
void
app_gui_outline (app_gui_t *g, SDL_Rect r, uint32_t rgb, int alpha, int thick_px)
{
    SDL_SetRenderDrawBlendMode (g->renderer, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor (g->renderer, (uint8_t)(rgb >> 16), (uint8_t)(rgb >> 8), (uint8_t)rgb,
                            (uint8_t)alpha);
    for (int i = 0; i < thick_px && r.w > 0 && r.h > 0; i++) {
        SDL_RenderDrawRect (g->renderer, &r);
        r.x++, r.y++, r.w -= 2, r.h -= 2;
    }
}

/* The size of the box app_gui_text_box would draw (0 x 0: none). */
void
app_gui_text_box_size (app_gui_t *g, const app_gui_line_t *lines, int n, int *w, int *h)
{
    int sw_px = g->line_px - 4, tw = 0;
    for (int i = 0; g->font && i < n; i++) {
        int lw =
            app_gui_text_w (g, lines[i].text, lines[i].rgb) + (lines[i].swatch ? sw_px + 6 : 0);
        tw = lw > tw ? lw : tw;
    }
    *w = g->font && n > 0 ? tw + 2 * APP_GUI_PAD_PX : 0;
    *h = g->font && n > 0 ? n * g->line_px + 2 * APP_GUI_PAD_PX : 0;
}

/* A box of lines of text; (x, y) is its top-left, or top-right with
 * right set, or bottom-left with bottom set. n lines, each with a colour
 * and an optional swatch (a peer's colour) before it. Returns the box
 * drawn. */
SDL_Rect
app_gui_text_box (app_gui_t *g, int x, int y, int right, const app_gui_line_t *lines, int n)
{
    SDL_Rect box = { x, y, 0, 0 };
    if (!g->font || n == 0)
        return box;
    int sw_px = g->line_px - 4;
    app_gui_text_box_size (g, lines, n, &box.w, &box.h);
    if (right)
        box.x = x - box.w;
    app_gui_fill (g, &box, 0x000000, APP_GUI_BOX_ALPHA);
    for (int i = 0; i < n; i++) {
        int lx = box.x + APP_GUI_PAD_PX, ly = box.y + APP_GUI_PAD_PX + i * g->line_px;
        if (lines[i].swatch) {
            SDL_Rect sq = { lx, ly + 2, sw_px, sw_px };
            app_gui_fill (g, &sq, lines[i].swatch_rgb, 255);
            lx += sw_px + 6;
        }
        app_gui_text_draw (g, lx, ly, lines[i].text, lines[i].rgb, 1.0);
    }
    return box;
}

/* DejaVu Sans Mono (the legend's columns line up), at pt points. */
TTF_Font *
app_gui_font_open (int pt)
{
    const char *env = getenv ("P2PF_FONT");
    const char *paths[] = {
        env && *env ? env : NULL,
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        TTF_Font *font = paths[i] ? TTF_OpenFont (paths[i], pt) : NULL;
        if (font)
            return font;
    }
    return NULL;
}

/* Size the text for an output oh px high (see APP_GUI_FONT_PER_H): once
 * per height, so a frame at an unchanged size costs nothing. The cached
 * texts of the old sizes age out of the cache (they no longer match). The
 * size is logged ("text" events) at first and when it changes: what a
 * test or a user can check. */
void
app_gui_font_fit (app_gui_t *g, int oh)
{
    if (!g->font || oh <= 0 || oh == g->font_for_h)
        return;
    int first = g->font_for_h == 0, was = g->font_pt;
    g->font_for_h = oh;
    int pt = (int)ceil (1.1 * oh / APP_GUI_FONT_PER_H);
    pt = pt < APP_GUI_FONT_MIN_PX ? APP_GUI_FONT_MIN_PX : pt;
    int big = oh / APP_GUI_BIG_PER_H;
    big = big < 2 * pt ? 2 * pt : big;
    if (pt != g->font_pt && TTF_SetFontSize (g->font, pt) == 0)
        g->font_pt = pt;
    if (g->big && big != g->big_pt && TTF_SetFontSize (g->big, big) == 0)
        g->big_pt = big;
    g->line_px = TTF_FontLineSkip (g->font);
    /* Logged when the size changes (a resize drag would log a line a
     * frame otherwise). */
    if (g->log && (first || g->font_pt != was)) {
        app_jsonlog_begin (g->log, app_gui_unix_ms (), g->node_hex, "text");
        app_jsonlog_u64 (g->log, "output_h", (uint64_t)oh);
        app_jsonlog_u64 (g->log, "font_pt", (uint64_t)g->font_pt);
        app_jsonlog_u64 (g->log, "font_height", (uint64_t)TTF_FontHeight (g->font));
        app_jsonlog_u64 (g->log, "line_px", (uint64_t)g->line_px);
        app_jsonlog_end (g->log);
    }
}
