/* gui.c: the desktop peer's window (see gui.h): open it, run its loop, close it.
 *
 * One thread, one loop: wait for an SDL event (or the next animation
 * deadline), handle it (input.c), and draw only if something changed. The
 * loop thread's writes reach us as a wake-up event; we then copy what
 * changed (app_peer_view_sync), recolour only the dirty slices into an RGB
 * image and upload only their rows (image.c). Frames are at most ~30 a
 * second however fast slices come, since one wake-up is sent per sync and
 * we sync only when we draw. Animations (the RENDERING pulse, the ticker's
 * fade, toasts) ask for the next redraw themselves; when none runs we
 * block in SDL_WaitEvent, so an idle window costs no CPU.
 *
 * What is shown is computed here from the frame: the image is never
 * recomputed, only recoloured (palette key), and a PNG save writes the same
 * RGB bytes the window shows, on a thread of its own (save.c). */

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gui_ctx.h"

uint64_t
app_gui_unix_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Ask for a redraw by at_ms (animations). */
void
app_gui_redraw_at (app_gui_t *g, uint64_t at_ms)
{
    if (at_ms < g->redraw_at_ms)
        g->redraw_at_ms = at_ms;
}

/* Show a note for a few seconds. Without a font the user would not see it:
 * say it on stderr instead. */
void
app_gui_toast (app_gui_t *g, uint32_t rgb, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (g->toast, sizeof g->toast, fmt, ap);
    va_end (ap);
    g->toast_rgb = rgb;
    g->toast_until_ms = SDL_GetTicks64 () + APP_GUI_TOAST_MS;
    g->need_draw = 1;
    if (!g->font)
        fprintf (stderr, "p2pfractal: peer %s: %s\n", g->frame.info.self_short, g->toast);
}

/* --- the window's size ---------------------------------------------------- */

/* The window for a w x h image: its size, scaled down to 90% of the
 * display's usable area. */
static void
s_default_size (SDL_Window *window, int w, int h, int *ww, int *wh)
{
    SDL_Rect usable = { 0, 0, 1280, 720 };
    int display = window ? SDL_GetWindowDisplayIndex (window) : 0;
    SDL_GetDisplayUsableBounds (display < 0 ? 0 : display, &usable);
    double scale = fmin (1.0, fmin (0.9 * usable.w / w, 0.9 * usable.h / h));
    *ww = (int)lround (w * scale);
    *wh = (int)lround (h * scale);
    *ww = *ww < 64 ? 64 : *ww;
    *wh = *wh < 64 ? 64 : *wh;
}

/* A new image size: the window follows, unless the user sized it. */
static void
s_window_follow (app_gui_t *g, int w, int h)
{
    if (!g->auto_size)
        return;
    int ww, wh;
    s_default_size (g->window, w, h, &ww, &wh);
    if (ww == g->set_w && wh == g->set_h)
        return;
    g->set_w = ww;
    g->set_h = wh;
    SDL_SetWindowSize (g->window, ww, wh);
    /* Opened centred before the image's size was known: centre it again,
     * once (later the user may have moved it). */
    if (g->recentre) {
        int display = SDL_GetWindowDisplayIndex (g->window);
        display = display < 0 ? 0 : display;
        SDL_SetWindowPosition (g->window, (int)SDL_WINDOWPOS_CENTERED_DISPLAY (display),
                               (int)SDL_WINDOWPOS_CENTERED_DISPLAY (display));
        g->recentre = 0;
    }
}

/* --- syncing with the view ------------------------------------------------ */

static void
s_after_sync (app_gui_t *g)
{
    app_view_frame_t *f = &g->frame;
    const app_view_info_t *in = &f->info;
    g->need_draw = 1;
    if (!in->has_job) {
        app_gui_underlay_drop (g);
        if (g->job_seq)
            app_gui_image_free (g);
        g->job_seq = 0;
        return;
    }
    if (f->job_changed || in->job_seq != g->job_seq) {
        g->job_seq = in->job_seq;
        g->showing_cached = 0;
        g->colouring = g->colouring_set ? g->colouring : rnd_colouring_default (in->view.fractal);
        app_gui_palette_for_job (g);
        app_gui_history_job (g);
        s_window_follow (g, in->view.width_px, in->view.height_px);
        /* The old image stays under the new tiles, unless the new view's
         * own finished image is cached (going back shows that instead). */
        if (app_gui_history_pixels (g))
            app_gui_underlay_drop (g);
        else
            app_gui_underlay_start (g, &in->view);
        g->image_view_set = 0;
        if (app_gui_image_alloc (g, in->view.width_px, in->view.height_px) == 0) {
            app_gui_recolour (g, 1);
            g->image_view = in->view;
            g->image_view_set = 1;
        } else {
            app_gui_underlay_drop (g);
        }
    } else if (!g->showing_cached) {
        /* (A cached image shown for a job on its way is not painted over
         * by the old job's last slices.) */
        app_gui_recolour (g, 0);
    }
    app_gui_underlay_check (g);
    app_gui_history_done (g);
}

static void
s_sync (app_gui_t *g)
{
    g->sync_due = 0;
    /* Out of memory: the view keeps its marks and we keep the last frame;
     * the next wake-up tries again. */
    if (app_peer_view_sync (g->view, &g->frame) == 0)
        s_after_sync (g);
}

/* The title names this peer, where to join it and the view -- what a
 * window list or a screenshot of the desktop shows -- once the view has
 * told us who this is. */
static void
s_title (app_gui_t *g)
{
    const app_view_info_t *in = &g->frame.info;
    if (!in->self_short[0])
        return;
    char title[APP_GUI_TITLE_MAX], view[160] = "";
    if (in->has_job)
        app_gui_view_text (&in->view, view, sizeof view);
    snprintf (title, sizeof title, "p2pfractal %s%s%s%s%s", in->self_short,
              in->join[0] ? " \xc2\xb7 join " : "", in->join, view[0] ? " \xc2\xb7 " : "", view);
    if (strcmp (title, g->title) == 0)
        return;
    snprintf (g->title, sizeof g->title, "%s", title);
    SDL_SetWindowTitle (g->window, title);
}

/* Called by the loop thread (any thread): wake the window. SDL_PushEvent
 * is thread-safe. */
int
app_gui_wake (void *ctx)
{
    app_gui_t *g = ctx;
    SDL_Event ev;
    memset (&ev, 0, sizeof ev);
    ev.type = g->wake_event;
    return SDL_PushEvent (&ev) == 1 ? 0 : -1;
}

static void
s_draw (app_gui_t *g, uint64_t now_ms)
{
    g->frame_no++;
    g->redraw_at_ms = APP_GUI_NONE;
    int ow = 0, oh = 0;
    SDL_GetRendererOutputSize (g->renderer, &ow, &oh);
    app_gui_font_fit (g, oh);
    SDL_SetRenderDrawBlendMode (g->renderer, SDL_BLENDMODE_NONE);
    SDL_SetRenderDrawColor (g->renderer, APP_GUI_BACKDROP, APP_GUI_BACKDROP, APP_GUI_BACKDROP, 255);
    SDL_RenderClear (g->renderer);
    if (g->image) {
        SDL_Rect fit = app_gui_fit_rect (g);
        app_gui_draw_image (g, &fit, now_ms);
        if (g->overlay && !g->preview && !g->showing_cached)
            app_gui_draw_overlay (g, &fit, now_ms);
        if (g->dragging)
            app_gui_draw_band (g, &fit);
    } else {
        const char *msg =
            g->frame.info.has_job ? "cannot show this image" : "waiting for a job ...";
        app_gui_text_draw (g, (ow - app_gui_text_w (g, msg, APP_GUI_DIM)) / 2,
                           (oh - g->line_px) / 2, msg, APP_GUI_DIM, 1.0);
    }
    int bottom = oh;
    SDL_Rect hud = { 0, 0, 0, 0 };
    if (g->presenter) {
        app_gui_draw_presenter (g, ow, oh);
    } else if (g->hud) {
        hud = app_gui_draw_hud (g);
        bottom = app_gui_draw_ticker (g, ow, oh, now_ms);
    }
    if (g->overlay && !g->presenter)
        app_gui_draw_legend (g, ow, &hud);
    if (g->help)
        app_gui_draw_help (g, ow, oh);
    app_gui_draw_toast (g, ow, bottom, now_ms);
    SDL_RenderPresent (g->renderer);
}

/* --- the loop ------------------------------------------------------------- */

/* When the loop must next act without an event; APP_GUI_NONE: only on one. */
static uint64_t
s_next_ms (const app_gui_t *g)
{
    uint64_t at = g->redraw_at_ms;
    if ((g->sync_due || g->need_draw) && g->next_frame_ms < at)
        at = g->next_frame_ms;
    if (g->wheel_steps && g->wheel_at_ms + APP_GUI_WHEEL_MS < at)
        at = g->wheel_at_ms + APP_GUI_WHEEL_MS;
    return at;
}

int
app_gui_run (app_gui_t *g)
{
    for (;;) {
        uint64_t now = SDL_GetTicks64 ();
        if (g->wheel_steps && now >= g->wheel_at_ms + APP_GUI_WHEEL_MS)
            app_gui_wheel_post (g);
        if (now >= g->redraw_at_ms) {
            g->redraw_at_ms = APP_GUI_NONE;
            g->need_draw = 1;
        }
        if ((g->sync_due || g->need_draw) && now >= g->next_frame_ms) {
            if (g->sync_due) {
                s_sync (g);
                s_title (g);
            }
            if (g->frame.info.closed)
                return 0;
            s_draw (g, now);
            g->need_draw = 0;
            g->next_frame_ms = now + APP_GUI_FRAME_MS;
        }
        uint64_t at = s_next_ms (g);
        SDL_Event ev;
        int got;
        if (at == APP_GUI_NONE) {
            got = SDL_WaitEvent (&ev);
            if (!got) {
                /* Without a deadline only a broken event queue returns
                 * nothing; going on would spin. */
                fprintf (stderr, "p2pfractal: peer %s: the window failed: %s\n",
                         g->frame.info.self_short, SDL_GetError ());
                app_peer_view_post_leave (g->view);
                return -1;
            }
        } else {
            now = SDL_GetTicks64 ();
            uint64_t wait_ms = at > now ? at - now : 0;
            got = SDL_WaitEventTimeout (&ev, (int)(wait_ms < INT_MAX ? wait_ms : INT_MAX));
        }
        while (got) {
            app_gui_event (g, &ev);
            got = SDL_PollEvent (&ev);
        }
    }
}

/* 1 if the environment variable is set and not empty. */
static int
s_env_set (const char *name)
{
    const char *v = getenv (name);
    return v && *v;
}

app_gui_t *
app_gui_open (const app_gui_config_t *config, app_peer_view_t *view, char *err, size_t err_size)
{
    /* The peer catches SIGINT and SIGTERM itself (app_catch_stop_signals);
     * SDL must not turn them into SDL_QUIT behind its back. */
    SDL_SetHint (SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    /* A desktop window, not a game: let the screensaver and the
     * compositor be. */
    SDL_SetHint (SDL_HINT_VIDEO_ALLOW_SCREENSAVER, "1");
    SDL_SetHint (SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
    SDL_SetHint (SDL_HINT_RENDER_SCALE_QUALITY, "1");
    /* With no display at all SDL tries its drivers in turn, and libwayland
     * prints "error: XDG_RUNTIME_DIR is invalid ..." on our stderr on the
     * way: say it in our words before SDL speaks. A driver named in
     * SDL_VIDEODRIVER (a test's offscreen one) is left to SDL. */
    if (!s_env_set ("SDL_VIDEODRIVER") && !s_env_set ("DISPLAY") &&
        !s_env_set ("WAYLAND_DISPLAY")) {
        snprintf (err, err_size,
                  "cannot open a window: no display ($DISPLAY and $WAYLAND_DISPLAY are unset); "
                  "run with --headless");
        return NULL;
    }
    if (SDL_Init (SDL_INIT_VIDEO) != 0) {
        snprintf (err, err_size, "cannot open a window: %s (no display? run with --headless)",
                  SDL_GetError ());
        SDL_Quit ();
        return NULL;
    }
    /* With no display SDL falls back to its offscreen driver: the peer
     * would run with a window nobody can see. Only if asked for by name
     * (SDL_VIDEODRIVER, as a test might) is that a window. */
    const char *driver = SDL_GetCurrentVideoDriver ();
    const char *asked = getenv ("SDL_VIDEODRIVER");
    int display = driver && (strcmp (driver, "x11") == 0 || strcmp (driver, "wayland") == 0);
    if (!display && !(driver && asked && strstr (asked, driver))) {
        snprintf (err, err_size,
                  "cannot open a window: no X11 or Wayland display (SDL found only its %s video "
                  "driver; SDL_VIDEODRIVER=%s forces it); run with --headless",
                  driver ? driver : "no", driver ? driver : "NAME");
        SDL_Quit ();
        return NULL;
    }
    app_gui_t *g = calloc (1, sizeof *g);
    if (!g) {
        snprintf (err, err_size, "cannot open a window: out of memory");
        SDL_Quit ();
        return NULL;
    }
    pthread_mutex_init (&g->save_lock, NULL);
    pthread_cond_init (&g->save_cv, NULL);
    g->view = view;
    g->log = config->log;
    snprintf (g->node_hex, sizeof g->node_hex, "%s", config->node_hex ? config->node_hex : "");
    snprintf (g->save_stem, sizeof g->save_stem, "%s",
              config->save_stem && *config->save_stem ? config->save_stem : "p2pfractal");
    g->colouring_set = config->colouring_set;
    g->colouring = config->colouring;
    g->hud = config->hud;
    g->overlay = config->overlay;
    g->redraw_at_ms = APP_GUI_NONE;
    g->sync_due = 1;
    g->held = -1;
    if (config->palette && *config->palette) {
        rnd_palette_t pal;
        if (rnd_palette_load (&pal, config->palette, err, err_size) != 0) {
            app_gui_close (&g);
            return NULL;
        }
        app_gui_palette_use (g, &pal, config->palette);
        g->palette_chosen = 1;
    }
    /* The window's size is the image's, if a job is known already. */
    app_peer_view_sync (view, &g->frame);
    int w = config->width, h = config->height;
    g->auto_size = w <= 0 || h <= 0;
    if (g->auto_size) {
        const rnd_view_t *v = &g->frame.info.view;
        int has = g->frame.info.has_job;
        s_default_size (NULL, has ? v->width_px : 1280, has ? v->height_px : 720, &w, &h);
        g->set_w = w;
        g->set_h = h;
        g->recentre = !config->has_pos && !g->frame.info.has_job;
    }
    int x = config->has_pos ? config->x : (int)SDL_WINDOWPOS_CENTERED;
    int y = config->has_pos ? config->y : (int)SDL_WINDOWPOS_CENTERED;
    g->window = SDL_CreateWindow ("p2pfractal", x, y, w, h, SDL_WINDOW_RESIZABLE);
    if (g->window)
        g->renderer = SDL_CreateRenderer (g->window, -1, 0);
    if (!g->renderer) {
        snprintf (err, err_size, "cannot open a window: %s (no display? run with --headless)",
                  SDL_GetError ());
        app_gui_close (&g);
        return NULL;
    }
    g->wake_event = SDL_RegisterEvents (1);
    if (g->wake_event == (uint32_t)-1) {
        snprintf (err, err_size, "cannot open a window: no SDL user events left");
        app_gui_close (&g);
        return NULL;
    }
    if (TTF_Init () != 0)
        fprintf (stderr, "p2pfractal: SDL_ttf: %s: the window shows no text\n", TTF_GetError ());
    else if (!(g->font = app_gui_font_open (APP_GUI_FONT_MIN_PX)))
        fprintf (stderr,
                 "p2pfractal: no font (tried $P2PF_FONT and DejaVu Sans Mono, Sans; install "
                 "fonts-dejavu-core): the window shows no text\n");
    if (g->font) {
        g->font_pt = APP_GUI_FONT_MIN_PX;
        g->line_px = TTF_FontLineSkip (g->font);
        /* The presenter view's numbers: a second size of the same face
         * (SDL_ttf keeps one size per font). */
        if ((g->big = app_gui_font_open (2 * APP_GUI_FONT_MIN_PX)))
            g->big_pt = 2 * APP_GUI_FONT_MIN_PX;
    }
    s_after_sync (g);
    s_title (g);
    app_peer_view_set_wake (view, app_gui_wake, g);
    return g;
}

void
app_gui_close (app_gui_t **gui_p)
{
    app_gui_t *g = *gui_p;
    if (!g)
        return;
    /* A save the user asked for is finished, not cut short. */
    pthread_mutex_lock (&g->save_lock);
    while (g->saves_running > 0)
        pthread_cond_wait (&g->save_cv, &g->save_lock);
    pthread_mutex_unlock (&g->save_lock);
    app_peer_view_set_wake (g->view, NULL, NULL);
    app_gui_text_forget_all (g);
    app_gui_image_free (g);
    app_gui_underlay_drop (g);
    app_gui_history_free (g);
    if (g->font)
        TTF_CloseFont (g->font);
    if (g->big)
        TTF_CloseFont (g->big);
    if (TTF_WasInit ())
        TTF_Quit ();
    if (g->renderer)
        SDL_DestroyRenderer (g->renderer);
    if (g->window)
        SDL_DestroyWindow (g->window);
    SDL_Quit ();
    app_view_frame_free (&g->frame);
    pthread_cond_destroy (&g->save_cv);
    pthread_mutex_destroy (&g->save_lock);
    free (g);
    *gui_p = NULL;
}
