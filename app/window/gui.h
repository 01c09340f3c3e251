/* gui.h: the desktop peer's window (SDL2 + SDL2_ttf).
 *
 * Runs on the process's main thread, beside the loop thread that owns the
 * protocol; everything it shows comes from an app_peer_view_t (peer_view.h)
 * and everything the user asks of the network goes back through it. It
 * draws only when something changed or the user did something, and waits
 * in SDL_WaitEventTimeout otherwise, so an idle window costs no CPU.
 *
 * Keys: q / Esc leave gracefully; s save a PNG of what is shown, with its
 * parameters; p next palette (recolours here, no recompute); o attribution
 * overlay; h HUD; Tab the presenter view (big counters); f / F11 full
 * screen; ? the list of keys; + / - zoom 2x at the centre; Backspace / u
 * back a view, Home to the first (from a cache of finished images); k
 * crash this peer now (SIGKILL, no goodbye). Mouse: left
 * click zooms in 2x at the cursor, a left drag zooms to the box, right
 * click zooms out 2x, the wheel zooms at the cursor; each starts a new job
 * for the whole network. */
#ifndef APP_GUI_H
#define APP_GUI_H

#include <stddef.h>

#include "jsonlog.h"
#include "palette.h"
#include "peer_view.h"

typedef struct app_gui_t app_gui_t;

typedef struct {
    int width, height; /* window size; 0: the image's, scaled to fit the screen */
    int x, y;          /* window position, if has_pos */
    int has_pos;
    int hud;               /* 1: HUD shown at start (h toggles) */
    int overlay;           /* 1: attribution overlay shown at start (o toggles) */
    const char *save_stem; /* `s` writes <save_stem>-saved-1.png, -2, ... (first free) */
    const char *palette;   /* palette to start with (name or path; NULL: the job's) */
    int colouring_set;     /* 1: use colouring, else the fractal's default */
    rnd_colouring_t colouring;
    app_jsonlog_t *log;   /* may be NULL: "saved" events go here too */
    const char *node_hex; /* this peer's id, for the log */
} app_gui_config_t;

/* Initialise SDL's video and open the window (call on the main thread,
 * before the loop thread starts). NULL with a one-line reason in err (no
 * display, no font, ...). */
app_gui_t *app_gui_open (const app_gui_config_t *config, app_peer_view_t *view, char *err,
                         size_t err_size);

/* Show view until it is closed (app_peer_view_close), posting the user's
 * commands to it. 0, or -1 if the window failed (a reason on stderr; a
 * leave is posted first). */
int app_gui_run (app_gui_t *gui);

/* Close the window and SDL. Idempotent. */
void app_gui_close (app_gui_t **gui_p);

/* --- pure helpers (tested without a display) ----------------------------- */

/* Where the image of img_w x img_h goes in a window of win_w x win_h,
 * scaled with its aspect kept and centred: *x, *y, *w, *h. */
void app_gui_fit (int img_w, int img_h, int win_w, int win_h, int *x, int *y, int *w, int *h);

/* The top of a box w px wide at the window's top-right corner (right
 * edge at right_x), given the box [x, x + w) x [y, y + h) it must not
 * cover (the HUD at the top-left; w 0: none): top_y if they do not meet
 * across, else below the other box by gap. */
int app_gui_corner_y (int right_x, int top_y, int w, int x, int y, int other_w, int other_h,
                      int gap);

/* The view after zooming by factor (> 1 zooms in) so that the point at
 * image pixel (px, py) stays where it is on the screen. Other fields as in
 * view. Exact at any depth (rnd_view_zoom_exact): 0, or -1 with *out =
 * *view (the centre would need more than RND_DECIMAL_MAX digits). */
int app_gui_zoom_at (const rnd_view_t *view, double px, double py, double factor, rnd_view_t *out);

/* The part of old's image that view nw shows, in old's pixels (0..W at
 * its edges): r = x, y, w, h, exact at any depth (rnd_view_relative).
 * Swapped, where old's image lies in nw's: how a zoom's preview and a new
 * job's underlay place the old image. */
void app_gui_region (const rnd_view_t *old, const rnd_view_t *nw, double r[4]);

/* The view showing the box (x0, y0)-(x1, y1) in image pixels (any corner
 * order), widened to the image's aspect; exact, 0 or -1 as above. */
int app_gui_zoom_box (const rnd_view_t *view, double x0, double y0, double x1, double y1,
                      rnd_view_t *out);

/* Auto-iterations (as Kalles Fraktaler's): a zoom into a finished image
 * of n smooth values s rendered with max_iter doubles the budget (up to
 * RND_VIEW_ITER_MAX) when at least 1 in APP_GUI_AUTO_ITER_PER of them
 * escaped in the budget's top quarter -- so deep views do not turn
 * black. A function of the image alone, whose values every peer has bit
 * for bit; the result is the new job's max_iter. Never lowers it. */
#define APP_GUI_AUTO_ITER_PER 1000
int app_gui_auto_iter (const float *s, size_t n, int max_iter);

/* The view's width as w_m * 10^w_e and its depth, zoom = 4 / width, as
 * z_m * 10^z_e (1 <= mantissas < 10), from the width's text at any
 * depth. */
void app_gui_depth (const rnd_view_t *view, double *w_m, long *w_e, double *z_m, long *z_e);

/* The view in one short line: "-0.74364283,0.13182618 w 1.4e-05 · 2000 it"
 * -- the centre to a pixel's precision (up to 17 decimals: enough to tell
 * two views apart, and to type into --center), the width (from its text
 * below the doubles: "w 1e-300"), the iteration budget, and for an
 * anti-aliased view its samples (" · 2x2 samples"). */
void app_gui_view_text (const rnd_view_t *view, char *buf, size_t size);
/* The depth for the HUD: "zoom 2.9e5", "zoom 3.1e152" (4 / width, two
 * digits; plain from 0.001 to 9999). */
void app_gui_zoom_text (const rnd_view_t *view, char *buf, size_t size);

/* A peer's colour from its id alone: bright, stable, but two peers may
 * get near ones -- what app_gui_peer_colours falls back to beyond its
 * table. */
void app_gui_peer_colour (ovl_id_t id, uint8_t rgb[3]);

/* Fixed peer colours: the seven of Okabe & Ito first (colour-blind safe,
 * without black), then Glasbey-style ones (scripts/make-peer-colours.py). */
#define APP_GUI_PEER_COLOURS 32

/* The colours of the n distinct peers ids (any order), into rgb[i] as
 * 0xRRGGBB: a function of the set alone, so every peer that knows the
 * same set colours it the same. Each id prefers one Okabe-Ito colour (a
 * hash of it picks which); in hash order, each takes its preferred
 * colour, else the next free one, Okabe-Ito first and then the rest of
 * the table -- so up to APP_GUI_PEER_COLOURS peers never share one.
 * Peers beyond that get app_gui_peer_colour's. */
void app_gui_peer_colours (const ovl_id_t *ids, size_t n, uint32_t *rgb);

#endif
