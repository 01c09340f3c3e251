/* input.c: keys and mouse into commands -- zooms (click, drag, wheel, with a preview), save,
 * palette, HUD, overlay, leave. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gui_ctx.h"

/* --- zooming -------------------------------------------------------------- */

/* Ask the network for view v: 0, or -1 with a toast if it cannot be
 * rendered. */
static int
s_post (app_gui_t *g, const rnd_view_t *v)
{
    char err[512];
    if (!(v->width <= APP_GUI_WIDTH_MAX)) {
        app_gui_toast (g, APP_GUI_AMBER, "cannot zoom out further (width %.3g, at most %g)",
                       v->width, APP_GUI_WIDTH_MAX);
        return -1;
    }
    rnd_view_field_t bad; /* deep views too: the peers render them */
    if (rnd_view_validate_deep (v, &bad, err, sizeof err) != 0) {
        app_gui_toast (g, APP_GUI_AMBER, "cannot zoom there: %s", err);
        return -1;
    }
    app_peer_view_post_zoom (g->view, v);
    return 0;
}

/* Until view v's job comes, show the part of the old image it shows. */
static void
s_preview (app_gui_t *g, const rnd_view_t *v)
{
    app_gui_region (&g->frame.info.view, v, g->region);
    g->preview_view = *v;
    g->preview = 1;
    g->preview_seq = g->job_seq;
    g->preview_until_ms = SDL_GetTicks64 () + APP_GUI_PREVIEW_MS;
    g->need_draw = 1;
}

static void
s_zoom_to (app_gui_t *g, const rnd_view_t *nw)
{
    /* The palette stays the job's: `p` recolours this window only, so the
     * palette shown here must not travel to every peer's window and PNG
     * with the zoom (nw was made from a job's view and names its palette). */
    rnd_view_t v = *nw;
    /* Zooming into a finished image: raise the budget if it needs more
     * (app_gui_auto_iter). */
    const rnd_view_t *old = &g->frame.info.view;
    const el_status_t *st = &g->frame.info.status;
    double dx, dy, ratio;
    rnd_view_relative (old, &v, &dx, &dy, &ratio);
    if (ratio < 1 && g->frame.pixels && st->total > 0 && st->done == st->total &&
        v.max_iter == old->max_iter) {
        v.max_iter = app_gui_auto_iter (
            g->frame.pixels, (size_t)rnd_view_grid_w (old) * (size_t)rnd_view_grid_h (old),
            old->max_iter);
        if (v.max_iter != old->max_iter)
            app_gui_toast (g, APP_GUI_WHITE, "iterations raised to %d: many pixels escaped near %d",
                           v.max_iter, old->max_iter);
    }
    if (s_post (g, &v) == 0)
        s_preview (g, &v);
}

/* An exact zoom failed: the centre would not fit in its text. */
static void
s_too_deep (app_gui_t *g)
{
    app_gui_toast (g, APP_GUI_AMBER,
                   "cannot zoom deeper: the centre would need more than %d digits",
                   RND_DECIMAL_MAX - 1);
}

/* Window px to output px (they differ on high-DPI displays). */
static void
s_to_output (app_gui_t *g, int *x, int *y)
{
    int ww, wh, ow, oh;
    SDL_GetWindowSize (g->window, &ww, &wh);
    SDL_GetRendererOutputSize (g->renderer, &ow, &oh);
    if (ww > 0 && wh > 0 && (ww != ow || wh != oh)) {
        *x = (int)((long long)*x * ow / ww);
        *y = (int)((long long)*y * oh / wh);
    }
}

/* The image point under output px (x, y), in rnd_view_pixel's pixel
 * coordinates (integers are pixel centres). 0 if it is not on the image,
 * unless clamp (then it is moved onto it). */
static int
s_image_point (app_gui_t *g, int x, int y, int clamp, double *px, double *py)
{
    if (!g->image || g->leaving)
        return 0;
    SDL_Rect fit = app_gui_fit_rect (g);
    if (clamp) {
        x = x < fit.x ? fit.x : x >= fit.x + fit.w ? fit.x + fit.w - 1 : x;
        y = y < fit.y ? fit.y : y >= fit.y + fit.h ? fit.y + fit.h - 1 : y;
    }
    if (x < fit.x || y < fit.y || x >= fit.x + fit.w || y >= fit.y + fit.h)
        return 0;
    /* The centre of the output pixel, in image pixels. At 1:1 this gives
     * exactly the pixel under the cursor. */
    *px = (x - fit.x + 0.5) * g->img_w / fit.w - 0.5;
    *py = (y - fit.y + 0.5) * g->img_h / fit.h - 0.5;
    return 1;
}

/* The view on the screen: a posted zoom's, while its preview shows and
 * its job has not come yet; else the image's. A click or a box is meant on
 * what is seen. */
static const rnd_view_t *
s_shown_view (const app_gui_t *g)
{
    return g->preview && !g->wheel_steps && g->preview_seq == g->job_seq ? &g->preview_view
                                                                         : &g->frame.info.view;
}

static void
s_zoom_at (app_gui_t *g, const rnd_view_t *base, int x, int y, double factor)
{
    double px, py;
    if (!s_image_point (g, x, y, 0, &px, &py))
        return;
    rnd_view_t v;
    if (app_gui_zoom_at (base, px, py, factor, &v) != 0)
        s_too_deep (g);
    else
        s_zoom_to (g, &v);
}

/* The wheel burst is over: one zoom for all its steps. */
void
app_gui_wheel_post (app_gui_t *g)
{
    int steps = g->wheel_steps;
    g->wheel_steps = 0;
    g->preview = 0;
    g->need_draw = 1;
    if (steps)
        s_zoom_at (g, &g->wheel_base, g->wheel_x, g->wheel_y, pow (1.25, steps));
}

static void
s_wheel (app_gui_t *g, const SDL_MouseWheelEvent *e)
{
    int steps = e->direction == SDL_MOUSEWHEEL_FLIPPED ? -e->y : e->y;
    int x, y;
    SDL_GetMouseState (&x, &y);
    s_to_output (g, &x, &y);
    double px, py;
    if (!steps || !s_image_point (g, x, y, 0, &px, &py))
        return;
    if (!g->wheel_steps)
        g->wheel_base = *s_shown_view (g);
    g->wheel_steps += steps;
    g->wheel_at_ms = SDL_GetTicks64 ();
    g->wheel_x = x;
    g->wheel_y = y;
    /* Meanwhile, show where it is going (a long burst only as far as a
     * preview can still show something). */
    int shown = g->wheel_steps < -20 ? -20 : g->wheel_steps > 20 ? 20 : g->wheel_steps;
    rnd_view_t v;
    app_gui_zoom_at (&g->wheel_base, px, py, pow (1.25, shown), &v);
    app_gui_region (&g->frame.info.view, &v, g->region);
    g->preview = g->wheel_steps != 0;
    g->preview_seq = g->job_seq;
    g->preview_until_ms = g->wheel_at_ms + APP_GUI_WHEEL_MS + APP_GUI_PREVIEW_MS;
    g->need_draw = 1;
}

/* The drag box in output px, clamped to the image. */
SDL_Rect
app_gui_band (app_gui_t *g)
{
    SDL_Rect fit = app_gui_fit_rect (g);
    int x0 = g->press_x, y0 = g->press_y, x1 = g->mouse_x, y1 = g->mouse_y;
    x1 = x1 < fit.x ? fit.x : x1 > fit.x + fit.w ? fit.x + fit.w : x1;
    y1 = y1 < fit.y ? fit.y : y1 > fit.y + fit.h ? fit.y + fit.h : y1;
    SDL_Rect r = { x0 < x1 ? x0 : x1, y0 < y1 ? y0 : y1, abs (x1 - x0), abs (y1 - y0) };
    return r;
}

static void
s_release (app_gui_t *g)
{
    int dragging = g->dragging;
    g->pressing = g->dragging = 0;
    g->need_draw = 1;
    if (!dragging) {
        s_zoom_at (g, s_shown_view (g), g->press_x, g->press_y, 2.0);
        return;
    }
    SDL_Rect b = app_gui_band (g);
    if (b.w <= APP_GUI_CLICK_PX && b.h <= APP_GUI_CLICK_PX)
        return;
    double x0, y0, x1, y1;
    if (!s_image_point (g, b.x, b.y, 1, &x0, &y0) ||
        !s_image_point (g, b.x + b.w, b.y + b.h, 1, &x1, &y1))
        return;
    rnd_view_t v;
    if (app_gui_zoom_box (s_shown_view (g), x0, y0, x1, y1, &v) != 0)
        s_too_deep (g);
    else
        s_zoom_to (g, &v);
}

/* Backspace / u (back one view) and Home (back to the first): a new job
 * for everyone, as a zoom; this window shows the cached image of that view
 * at once if it has one, else the old image scaled, as a zoom does. */
static void
s_back (app_gui_t *g, int home)
{
    if (!g->image || g->leaving)
        return;
    const rnd_view_t *to = app_gui_history_back (g, home);
    if (!to) {
        app_gui_toast (g, APP_GUI_WHITE, "this is the first view");
        return;
    }
    rnd_view_t v = *to;
    if (s_post (g, &v) != 0)
        return;
    int cached = app_gui_history_show (g, &v);
    if (!cached)
        s_preview (g, &v);
    /* Whether the old image came back at once: what a user sees, logged. */
    if (g->log) {
        app_jsonlog_begin (g->log, app_gui_unix_ms (), g->node_hex, home ? "home" : "back");
        app_jsonlog_num (g->log, "width", v.width);
        app_jsonlog_bool (g->log, "cached", cached);
        app_jsonlog_end (g->log);
    }
}

/* + / -: zoom 2x in or out about the centre of what is shown. */
static void
s_zoom_centre (app_gui_t *g, double factor)
{
    if (!g->image || g->leaving)
        return;
    rnd_view_t v;
    if (app_gui_zoom_at (s_shown_view (g), (g->img_w - 1) / 2.0, (g->img_h - 1) / 2.0, factor,
                         &v) == 0)
        s_zoom_to (g, &v);
}

/* --- input ---------------------------------------------------------------- */

static int
s_modifier (SDL_Keycode key)
{
    switch (key) {
    case SDLK_LSHIFT:
    case SDLK_RSHIFT:
    case SDLK_LCTRL:
    case SDLK_RCTRL:
    case SDLK_LALT:
    case SDLK_RALT:
    case SDLK_LGUI:
    case SDLK_RGUI:
    case SDLK_MODE:
    case SDLK_CAPSLOCK:
        return 1;
    default:
        return 0;
    }
}

static void
s_leave (app_gui_t *g)
{
    app_peer_view_post_leave (g->view);
    if (!g->leaving) {
        g->leaving = 1;
        g->pressing = g->dragging = 0;
        g->wheel_steps = 0;
        g->preview = 0;
        app_gui_toast (g, APP_GUI_WHITE, "leaving the network ...");
        g->toast_until_ms = APP_GUI_NONE;
    }
}

/* f, F11: the desktop's full screen (no mode change: the projector keeps
 * its resolution), and back. */
static void
s_fullscreen (app_gui_t *g)
{
    int full = (SDL_GetWindowFlags (g->window) & SDL_WINDOW_FULLSCREEN_DESKTOP) != 0;
    if (SDL_SetWindowFullscreen (g->window, full ? 0 : SDL_WINDOW_FULLSCREEN_DESKTOP) != 0)
        app_gui_toast (g, APP_GUI_AMBER, "cannot go full screen: %s", SDL_GetError ());
    g->need_draw = 1;
}

/* Typed text: the keys that are characters, whatever the layout puts
 * them on (? is Shift+/ on one keyboard, Shift+, on another). */
static void
s_text (app_gui_t *g, const char *text)
{
    if (g->swallow_text) {
        g->swallow_text = 0;
        return;
    }
    if (strcmp (text, "?") == 0) {
        g->help = 1;
        g->need_draw = 1;
    } else if (strcmp (text, "+") == 0) {
        s_zoom_centre (g, 2.0);
    } else if (strcmp (text, "-") == 0) {
        s_zoom_centre (g, 0.5);
    }
}

static void
s_key (app_gui_t *g, SDL_Keycode key)
{
    g->swallow_text = 0;
    if (g->help) {
        /* Any key closes the key list, and does nothing else (not even
         * k): the text it types, if any, is dropped too. */
        g->help = 0;
        g->swallow_text = 1;
        g->need_draw = 1;
        return;
    }
    switch (key) {
    case SDLK_f:
    case SDLK_F11:
        s_fullscreen (g);
        break;
    case SDLK_BACKSPACE:
    case SDLK_u:
        s_back (g, 0);
        break;
    case SDLK_HOME:
        s_back (g, 1);
        break;
    case SDLK_TAB:
        g->presenter = !g->presenter;
        g->need_draw = 1;
        break;
    case SDLK_q:
    case SDLK_ESCAPE:
        s_leave (g);
        break;
    case SDLK_s:
        app_gui_save (g);
        break;
    case SDLK_p:
        app_gui_palette_next (g);
        break;
    case SDLK_o:
        g->overlay = !g->overlay;
        g->need_draw = 1;
        break;
    case SDLK_h:
        g->hud = !g->hud;
        g->need_draw = 1;
        break;
    case SDLK_k:
        /* For demos: die like a crashed machine, without a goodbye. */
        kill (getpid (), SIGKILL);
        break;
    default:
        break;
    }
}

void
app_gui_event (app_gui_t *g, const SDL_Event *ev)
{
    if (ev->type == g->wake_event) {
        g->sync_due = 1;
        app_gui_save_notes (g);
        return;
    }
    int x, y;
    double px, py;
    switch (ev->type) {
    case SDL_QUIT:
        s_leave (g);
        break;
    case SDL_WINDOWEVENT:
        /* A size we did not set is the user's: from then on it stays. */
        if (ev->window.event == SDL_WINDOWEVENT_RESIZED &&
            (ev->window.data1 != g->set_w || ev->window.data2 != g->set_h))
            g->auto_size = 0;
        g->need_draw = 1;
        break;
    case SDL_RENDER_TARGETS_RESET:
    case SDL_RENDER_DEVICE_RESET:
        /* Textures may be lost: upload everything again. */
        app_gui_text_forget_all (g);
        if (ev->type == SDL_RENDER_DEVICE_RESET) {
            int w = g->img_w, h = g->img_h;
            app_gui_image_free (g);
            app_gui_underlay_drop (g);
            if (w && app_gui_image_alloc (g, w, h) == 0)
                app_gui_recolour (g, 1);
        } else {
            app_gui_upload_all (g);
        }
        g->need_draw = 1;
        break;
    case SDL_KEYDOWN:
        /* A modifier alone is half of a key (Shift of ?), not a key. */
        if (!ev->key.repeat && !s_modifier (ev->key.keysym.sym))
            s_key (g, ev->key.keysym.sym);
        break;
    case SDL_TEXTINPUT:
        s_text (g, ev->text.text);
        break;
    case SDL_MOUSEBUTTONDOWN:
        /* A wheel burst still waiting goes first: the click is meant on
         * the view it previews. */
        if (g->wheel_steps)
            app_gui_wheel_post (g);
        x = ev->button.x, y = ev->button.y;
        s_to_output (g, &x, &y);
        if (!s_image_point (g, x, y, 0, &px, &py))
            break;
        if (ev->button.button == SDL_BUTTON_LEFT) {
            g->pressing = 1;
            g->dragging = 0;
            g->press_x = g->mouse_x = x;
            g->press_y = g->mouse_y = y;
        } else if (ev->button.button == SDL_BUTTON_RIGHT) {
            s_zoom_at (g, s_shown_view (g), x, y, 0.5);
        }
        break;
    case SDL_MOUSEMOTION:
        if (!g->pressing)
            break;
        x = ev->motion.x, y = ev->motion.y;
        s_to_output (g, &x, &y);
        g->mouse_x = x;
        g->mouse_y = y;
        if (abs (x - g->press_x) > APP_GUI_CLICK_PX || abs (y - g->press_y) > APP_GUI_CLICK_PX)
            g->dragging = 1;
        if (g->dragging)
            g->need_draw = 1;
        break;
    case SDL_MOUSEBUTTONUP:
        if (ev->button.button != SDL_BUTTON_LEFT || !g->pressing)
            break;
        x = ev->button.x, y = ev->button.y;
        s_to_output (g, &x, &y);
        g->mouse_x = x;
        g->mouse_y = y;
        s_release (g);
        break;
    case SDL_MOUSEWHEEL:
        s_wheel (g, &ev->wheel);
        break;
    default:
        break;
    }
}
