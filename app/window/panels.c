/* panels.c: what covers the image on request -- the key list (?) and the presenter view (Tab),
 * both sized to the output like the HUD, for a room to read. */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gui_ctx.h"

/* Every key and mouse action, as the window handles them (input.c): the
 * one place a user finds them all. README's keys table says the same. */
static const char *const s_keys[][2] = {
    { "?", "this list (any key closes it)" },
    { "q, Esc", "leave the network gracefully" },
    { "s", "save what this window shows (PNG)" },
    { "p", "next palette, this window only" },
    { "o", "who computed what: colours, legend" },
    { "h", "HUD and ticker on/off" },
    { "Tab", "presenter view: big numbers" },
    { "f, F11", "full screen on/off" },
    { "k", "crash this peer now (as SIGKILL)" },
    { "left click", "zoom in 2x at the point" },
    { "left drag", "zoom to the box" },
    { "right click", "zoom out 2x at the point" },
    { "wheel", "zoom 1.25x a notch at the cursor" },
    { "+, -", "zoom 2x in, out at the centre" },
    { "Backspace, u", "back to the view before" },
    { "Home", "back to the first view" },
};

#define S_NKEYS (sizeof s_keys / sizeof s_keys[0])

/* The key list, in a box at the centre (from the top if it is taller than
 * the window: the first keys are the ones to see). */
void
app_gui_draw_help (app_gui_t *g, int ow, int oh)
{
    app_gui_line_t l[S_NKEYS + 3];
    memset (l, 0, sizeof l);
    int n = 0;
    snprintf (l[n].text, APP_GUI_TEXT_MAX, "keys and mouse");
    l[n++].rgb = APP_GUI_AMBER;
    for (size_t i = 0; i < S_NKEYS; i++, n++) {
        snprintf (l[n].text, APP_GUI_TEXT_MAX, "%-12s %s", s_keys[i][0], s_keys[i][1]);
        l[n].rgb = APP_GUI_WHITE;
    }
    snprintf (l[n].text, APP_GUI_TEXT_MAX, "a zoom or a step back is a new job for every peer");
    l[n++].rgb = APP_GUI_DIM;
    int w = 0;
    for (int i = 0; i < n; i++) {
        int lw = app_gui_text_w (g, l[i].text, l[i].rgb);
        w = lw > w ? lw : w;
    }
    int h = n * g->line_px + 2 * APP_GUI_PAD_PX;
    int x = (ow - w) / 2 - APP_GUI_PAD_PX, y = (oh - h) / 2;
    app_gui_text_box (g, x > 0 ? x : 0, y > 0 ? y : 0, 0, l, n);
}

/* One counter of the presenter view: a small label over a big value. */
static void
s_counter (app_gui_t *g, int x, int y, const char *label, const char *value, uint32_t rgb)
{
    app_gui_text_draw (g, x, y, label, APP_GUI_DIM, 1.0);
    app_gui_big_draw (g, x, y + g->line_px, value, rgb);
}

/* The presenter view: the swarm in six numbers, big enough for the back
 * of a room, over the dimmed image -- and the last failure with the time
 * the swarm took to recover from it. */
void
app_gui_draw_presenter (app_gui_t *g, int ow, int oh)
{
    const app_view_info_t *in = &g->frame.info;
    const el_status_t *st = &in->status;
    SDL_Rect all = { 0, 0, ow, oh };
    app_gui_fill (g, &all, 0x000000, 200);
    if (!g->font)
        return;
    char v[6][64], master[OVL_ID_SHORT_LEN + 1] = "none";
    if (st->has_master)
        ovl_id_short (st->master.id, master);
    /* This peer and those it knows: the swarm as seen from here. */
    snprintf (v[0], sizeof v[0], "%zu", in->peers_known + 1);
    if (in->has_job)
        snprintf (v[1], sizeof v[1], "%u/%u", st->done, st->total);
    else
        snprintf (v[1], sizeof v[1], "-");
    snprintf (v[2], sizeof v[2], "%s%s", master, st->is_master ? " (me)" : "");
    snprintf (v[3], sizeof v[3], "%llu", (unsigned long long)st->term);
    snprintf (v[4], sizeof v[4], "%u", in->elections);
    snprintf (v[5], sizeof v[5], "%s", st->electing ? "electing" : "");
    const char *labels[6] = { "peers", "slices done", "master", "term", "elections", "" };
    int big_h = g->big ? TTF_FontLineSkip (g->big) : g->line_px;
    int cell_h = g->line_px + big_h + 2 * APP_GUI_PAD_PX;
    int x0 = 3 * APP_GUI_MARGIN_PX, col = (ow - 2 * x0) / 2;
    int y = 3 * APP_GUI_MARGIN_PX;
    char title[APP_GUI_TEXT_MAX];
    snprintf (title, sizeof title, "p2pfractal %s \xc2\xb7 kernel %s \xc2\xb7 %d thread%s",
              in->self_short, in->kernel, in->threads, in->threads == 1 ? "" : "s");
    app_gui_text_draw (g, x0, y, title, APP_GUI_AMBER, 1.0);
    y += g->line_px + APP_GUI_PAD_PX;
    for (int i = 0; i < 6; i++) {
        if (!labels[i][0] && !v[i][0])
            continue;
        s_counter (g, x0 + (i % 2) * col, y + (i / 2) * cell_h, labels[i], v[i],
                   i == 5 ? APP_GUI_AMBER : APP_GUI_WHITE);
    }
    y += 3 * cell_h;
    app_gui_text_draw (g, x0, y, "last failure", APP_GUI_DIM, 1.0);
    y += g->line_px;
    char line[APP_GUI_TEXT_MAX], when[16] = "";
    if (!in->failure.text[0]) {
        snprintf (line, sizeof line, "none so far");
    } else {
        time_t t = (time_t)(in->failure.t_ms / 1000);
        struct tm tm;
        if (localtime_r (&t, &tm))
            strftime (when, sizeof when, "%H:%M:%S", &tm);
        if (in->recovery_ms)
            snprintf (line, sizeof line, "%s %s: recovered in %.2f s", when, in->failure.text,
                      (double)in->recovery_ms / 1000.0);
        else
            snprintf (line, sizeof line, "%s %s", when, in->failure.text);
    }
    app_gui_text_t *t = app_gui_text_wrapped (g, line, APP_GUI_RED, ow - 2 * x0);
    if (t) {
        SDL_SetTextureAlphaMod (t->tex, 255);
        SDL_Rect dst = { x0, y, t->w, t->h };
        SDL_RenderCopy (g->renderer, t->tex, NULL, &dst);
    }
}
