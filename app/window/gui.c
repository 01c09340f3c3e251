/* gui.c: the desktop peer's window (see gui.h).
 *
 * One thread, one loop: wait for an SDL event (or the next animation
 * deadline), handle it, and draw only if something changed. The loop
 * thread's writes reach us as a wake-up event; we then copy what changed
 * (app_peer_view_sync), recolour only the dirty slices into an RGB image
 * and upload only their rows. Frames are at most ~30 a second however fast
 * slices come, since one wake-up is sent per sync and we sync only when we
 * draw. Animations (the RENDERING pulse, the ticker's fade, toasts) ask for
 * the next redraw themselves; when none runs we block in SDL_WaitEvent, so
 * an idle window costs no CPU.
 *
 * What is shown is computed here from the frame: the image is never
 * recomputed, only recoloured (palette key), and a PNG save writes the same
 * RGB bytes the window shows, on a thread of its own. */
#include "gui.h"

#include <SDL.h>
#include <SDL_ttf.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "params.h"
#include "png_io.h"
#include "slice.h"

#define S_NEUTRAL 0x30  /* grey of slices not here yet: no palette's black */
#define S_BACKDROP 0x12 /* grey around the image (letterbox) */
/* At most ~30 draws a second: a software renderer spends ~12 ms scaling a
 * 1080p image, time taken from the render threads. */
#define S_FRAME_MS 33
#define S_WHEEL_MS 200       /* a wheel burst is over after this long quiet */
#define S_CLICK_PX 4         /* a press that moves farther is a drag */
#define S_PREVIEW_MS 3000    /* a zoom preview waits this long for its job */
#define S_TOAST_MS 3500      /* a toast shows this long... */
#define S_TOAST_FADE_MS 600  /* ...the last of it fading */
#define S_TICK_HOLD_MS 8000  /* a ticker line is bright this long... */
#define S_TICK_FADE_MS 22000 /* ...then fades out over this */
#define S_FADE_STEP_MS 200   /* slow fades redraw this often */
#define S_PULSE_MS 1200      /* period of the RENDERING pulse */
#define S_PULSE_STEP_MS 50   /* its redraws: 20 a second is smooth enough */
#define S_WIDTH_MAX 16.0     /* zooming out stops here: the set is 4 wide */
#define S_FONT_PT 14         /* text size */
#define S_PAD_PX 8           /* inside a box */
#define S_MARGIN_PX 10       /* between a box and the window's edge */
#define S_OUTLINE_MIN_PX 6   /* thinner runs of one peer's slices are only tinted */
#define S_TINT_ALPHA 90      /* attribution tint: ~35% */
#define S_BOX_ALPHA 165      /* dark boxes behind text */
#define S_TEXT_CACHE 48      /* rendered text kept (a frame uses ~35 at most) */
#define S_TEXT_MAX 256       /* longest text drawn, bytes */
#define S_PATH_MAX 4096      /* a saved file's path */
#define S_NONE UINT64_MAX    /* no deadline */

/* Text colours. */
#define S_WHITE 0xf0f0f0u
#define S_DIM 0x9a9a9au
#define S_AMBER 0xffc24du
#define S_RED 0xff7a6bu

/* A line of text, rendered once and drawn until it changes. */
typedef struct {
    char text[S_TEXT_MAX]; /* what it says */
    uint32_t rgb;          /* its colour, 0xRRGGBB */
    SDL_Texture *tex;      /* rendered; NULL: the slot is free */
    int w, h;              /* its size, px */
    int wrap_px;           /* the width it was broken at (0: one line) */
    uint64_t used;         /* the frame it was last drawn in (least recent goes) */
} s_text_t;

struct app_gui_t {
    app_peer_view_t *view;             /* the model we show and command (not owned) */
    app_jsonlog_t *log;                /* "saved" events (not owned; may be NULL) */
    char node_hex[OVL_ID_HEX_LEN + 1]; /* this peer, for the log */
    char save_stem[S_PATH_MAX - 32];   /* `s` writes <stem>-<k>.png */
    int colouring_set;                 /* 1: colouring is the user's */
    rnd_colouring_t colouring;         /* how smooth values become colours */
    SDL_Window *window;                /* ours */
    SDL_Renderer *renderer;            /* draws into it */
    TTF_Font *font;                    /* NULL: no text at all */
    int line_px;                       /* the font's line height */
    uint32_t wake_event;               /* SDL user event: the view changed, a save ended */
    app_view_frame_t frame;            /* our copy of the view */
    int titled;                        /* 1 once the title names this peer */
    uint64_t job_seq;                  /* the frame's job we hold an image of; 0: none */
    int img_w, img_h;                  /* its size, px */
    uint8_t *rgb;                      /* its colours, 3 bytes a pixel; missing slices neutral */
    SDL_Texture *image;                /* rgb, uploaded row band by row band */
    int tex_step;                      /* 1: texture is rgb; k: every k-th pixel of it */
    uint8_t *tex_row;                  /* one decimated row (tex_step > 1) */
    rnd_palette_t palette;             /* the colours in use */
    char palette_name[RND_PALETTE_NAME_MAX];   /* their name (or path): a saved PNG says it */
    char palette_cursor[RND_PALETTE_NAME_MAX]; /* the last one `p` tried: it goes on from there */
    int palette_chosen;                        /* 1: the user's (config or `p`), kept across jobs */
    int palette_loaded;                        /* 0 until a palette is in use */
    s_text_t texts[S_TEXT_CACHE];              /* rendered text */
    uint64_t frame_no;                         /* draws so far */
    int hud, overlay;                          /* what is shown */
    int auto_size;              /* 1: the window takes each image's size (user never resized) */
    int set_w, set_h;           /* the size we last gave it */
    int recentre;               /* 1: centre it when the first image's size is known */
    int pressing, dragging;     /* left button down inside the image; moved away */
    int press_x, press_y;       /* where it went down, output px */
    int mouse_x, mouse_y;       /* where the mouse is, output px */
    int wheel_steps;            /* wheel clicks not yet posted (+: in) */
    uint64_t wheel_at_ms;       /* the last one */
    int wheel_x, wheel_y;       /* and where, output px */
    int preview;                /* 1: show region of the old image for a zoom underway */
    double region[4];           /* x, y, w, h in the image's px */
    uint64_t preview_seq;       /* the job it is a preview on */
    uint64_t preview_until_ms;  /* given up then */
    rnd_view_t preview_view;    /* the view a posted zoom's preview shows */
    rnd_view_t wheel_base;      /* the view a wheel burst zooms from */
    char toast[S_TEXT_MAX];     /* a note to the user, "" for none */
    uint32_t toast_rgb;         /* its colour */
    uint64_t toast_until_ms;    /* gone then (S_NONE: until closed) */
    int leaving;                /* leave posted: waiting for the loop to close */
    int sync_due;               /* the view woke us: sync before drawing */
    int need_draw;              /* something changed on screen */
    uint64_t next_frame_ms;     /* no draw before then (frame rate cap) */
    uint64_t redraw_at_ms;      /* an animation's next step (S_NONE: none) */
    pthread_mutex_t save_lock;  /* guards the save fields below */
    pthread_cond_t save_cv;     /* signalled when a save ends */
    int saves_running;          /* save threads not yet finished */
    char save_note[S_TEXT_MAX]; /* the last one's outcome, for a toast */
    int save_note_error;        /* 1 if it failed */
    int save_note_new;          /* 1 until shown */
};

static uint64_t
s_unix_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Ask for a redraw by at_ms (animations). */
static void
s_redraw_at (app_gui_t *g, uint64_t at_ms)
{
    if (at_ms < g->redraw_at_ms)
        g->redraw_at_ms = at_ms;
}

static void s_toast (app_gui_t *g, uint32_t rgb, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Show a note for a few seconds. Without a font the user would not see it:
 * say it on stderr instead. */
static void
s_toast (app_gui_t *g, uint32_t rgb, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (g->toast, sizeof g->toast, fmt, ap);
    va_end (ap);
    g->toast_rgb = rgb;
    g->toast_until_ms = SDL_GetTicks64 () + S_TOAST_MS;
    g->need_draw = 1;
    if (!g->font)
        fprintf (stderr, "p2pfractal: peer %s: %s\n", g->frame.info.self_short, g->toast);
}

/* --- text ----------------------------------------------------------------- */

/* The texture of text in colour rgb, rendered on first use, broken into
 * lines no wider than wrap_px (0: one line). NULL with no font, for "", or
 * if rendering failed. */
static s_text_t *
s_text_wrapped (app_gui_t *g, const char *text, uint32_t rgb, int wrap_px)
{
    if (!g->font || !*text)
        return NULL;
    s_text_t *slot = NULL;
    for (int i = 0; i < S_TEXT_CACHE; i++) {
        s_text_t *t = &g->texts[i];
        if (t->tex && t->rgb == rgb && t->wrap_px == wrap_px && strcmp (t->text, text) == 0) {
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
    SDL_Surface *s = wrap_px > 0
                         ? TTF_RenderUTF8_Blended_Wrapped (g->font, text, c, (uint32_t)wrap_px)
                         : TTF_RenderUTF8_Blended (g->font, text, c);
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
    slot->used = g->frame_no;
    return slot;
}

static s_text_t *
s_text (app_gui_t *g, const char *text, uint32_t rgb)
{
    return s_text_wrapped (g, text, rgb, 0);
}

static void
s_text_forget_all (app_gui_t *g)
{
    for (int i = 0; i < S_TEXT_CACHE; i++) {
        if (g->texts[i].tex)
            SDL_DestroyTexture (g->texts[i].tex);
        g->texts[i].tex = NULL;
    }
}

/* Width of text, px (0 without a font). */
static int
s_text_w (app_gui_t *g, const char *text, uint32_t rgb)
{
    s_text_t *t = s_text (g, text, rgb);
    return t ? t->w : 0;
}

/* Draw text with its top-left at (x, y), alpha 0..1. */
static void
s_text_draw (app_gui_t *g, int x, int y, const char *text, uint32_t rgb, double alpha)
{
    s_text_t *t = s_text (g, text, rgb);
    if (!t)
        return;
    SDL_SetTextureAlphaMod (t->tex, (uint8_t)lround (255 * alpha));
    SDL_Rect dst = { x, y, t->w, t->h };
    SDL_RenderCopy (g->renderer, t->tex, NULL, &dst);
}

static void
s_fill (app_gui_t *g, const SDL_Rect *r, uint32_t rgb, int alpha)
{
    SDL_SetRenderDrawBlendMode (g->renderer, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor (g->renderer, (uint8_t)(rgb >> 16), (uint8_t)(rgb >> 8), (uint8_t)rgb,
                            (uint8_t)alpha);
    SDL_RenderFillRect (g->renderer, r);
}

/* An outline `thick_px` wide, inside r. */
static void
s_outline (app_gui_t *g, SDL_Rect r, uint32_t rgb, int alpha, int thick_px)
{
    SDL_SetRenderDrawBlendMode (g->renderer, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor (g->renderer, (uint8_t)(rgb >> 16), (uint8_t)(rgb >> 8), (uint8_t)rgb,
                            (uint8_t)alpha);
    for (int i = 0; i < thick_px && r.w > 0 && r.h > 0; i++) {
        SDL_RenderDrawRect (g->renderer, &r);
        r.x++, r.y++, r.w -= 2, r.h -= 2;
    }
}

/* A box of lines of text; (x, y) is its top-left, or top-right with
 * right set, or bottom-left with bottom set. n lines, each with a colour
 * and an optional swatch (a peer's colour) before it. */
typedef struct {
    char text[S_TEXT_MAX]; /* the line */
    uint32_t rgb;          /* its colour */
    int swatch;            /* 1: a square of swatch_rgb before it */
    uint32_t swatch_rgb;   /* that square's colour */
} s_line_t;

static void
s_text_box (app_gui_t *g, int x, int y, int right, const s_line_t *lines, int n)
{
    if (!g->font || n == 0)
        return;
    int sw_px = g->line_px - 4, w = 0;
    for (int i = 0; i < n; i++) {
        int lw = s_text_w (g, lines[i].text, lines[i].rgb) + (lines[i].swatch ? sw_px + 6 : 0);
        w = lw > w ? lw : w;
    }
    SDL_Rect box = { right ? x - w - 2 * S_PAD_PX : x, y, w + 2 * S_PAD_PX,
                     n * g->line_px + 2 * S_PAD_PX };
    s_fill (g, &box, 0x000000, S_BOX_ALPHA);
    for (int i = 0; i < n; i++) {
        int lx = box.x + S_PAD_PX, ly = box.y + S_PAD_PX + i * g->line_px;
        if (lines[i].swatch) {
            SDL_Rect sq = { lx, ly + 2, sw_px, sw_px };
            s_fill (g, &sq, lines[i].swatch_rgb, 255);
            lx += sw_px + 6;
        }
        s_text_draw (g, lx, ly, lines[i].text, lines[i].rgb, 1.0);
    }
}

/* --- the image ------------------------------------------------------------ */

/* Where the image goes in the window now. */
static SDL_Rect
s_fit (app_gui_t *g)
{
    int ow = 0, oh = 0;
    SDL_GetRendererOutputSize (g->renderer, &ow, &oh);
    SDL_Rect r;
    app_gui_fit (g->img_w, g->img_h, ow, oh, &r.x, &r.y, &r.w, &r.h);
    return r;
}

/* Rows [y0, y1) of the image in the window, within fit. */
static SDL_Rect
s_rows_rect (const app_gui_t *g, const SDL_Rect *fit, int y0, int y1)
{
    int wy0 = fit->y + (int)((long long)y0 * fit->h / g->img_h);
    int wy1 = fit->y + (int)((long long)y1 * fit->h / g->img_h);
    SDL_Rect r = { fit->x, wy0, fit->w, wy1 > wy0 ? wy1 - wy0 : 1 };
    return r;
}

/* Copy rows [y0, y1) of rgb into the texture. */
static void
s_upload (app_gui_t *g, int y0, int y1)
{
    if (!g->image || y1 <= y0)
        return;
    int k = g->tex_step;
    if (k == 1) {
        SDL_Rect r = { 0, y0, g->img_w, y1 - y0 };
        SDL_UpdateTexture (g->image, &r, g->rgb + (size_t)y0 * g->img_w * 3, g->img_w * 3);
        return;
    }
    /* Too big for the renderer: every k-th pixel of every k-th row. */
    int tw = (g->img_w + k - 1) / k;
    for (int ty = (y0 + k - 1) / k; ty * k < y1; ty++) {
        const uint8_t *src = g->rgb + (size_t)ty * k * g->img_w * 3;
        for (int tx = 0; tx < tw; tx++)
            memcpy (g->tex_row + 3 * tx, src + (size_t)tx * k * 3, 3);
        SDL_Rect r = { 0, ty, tw, 1 };
        SDL_UpdateTexture (g->image, &r, g->tex_row, tw * 3);
    }
}

/* Colour slice i's rows into rgb (neutral unless DONE). */
static void
s_paint_slice (app_gui_t *g, uint32_t i, int y0, int y1)
{
    const app_view_frame_t *f = &g->frame;
    size_t off = (size_t)y0 * g->img_w, n = (size_t)(y1 - y0) * g->img_w;
    if (f->state[i] == APP_SLICE_DONE)
        rnd_colourise (&g->palette, g->colouring, f->pixels + off, n, g->rgb + 3 * off);
    else
        memset (g->rgb + 3 * off, S_NEUTRAL, 3 * n);
}

/* Recolour the dirty slices (every slice if all) and upload them, one
 * texture update per run of adjacent slices. */
static void
s_recolour (app_gui_t *g, int all)
{
    if (!g->rgb)
        return;
    const app_view_frame_t *f = &g->frame;
    uint32_t k = f->info.slices;
    int run_y0 = -1, run_y1 = -1;
    for (uint32_t i = 0; i < k; i++) {
        if (!all && !f->dirty[i]) {
            s_upload (g, run_y0, run_y1);
            run_y0 = run_y1 = -1;
            continue;
        }
        int y0, y1;
        rnd_slice_rows (g->img_h, (int)k, (int)i, &y0, &y1);
        s_paint_slice (g, i, y0, y1);
        if (run_y0 < 0)
            run_y0 = y0;
        run_y1 = y1;
    }
    s_upload (g, run_y0, run_y1);
    g->need_draw = 1;
}

static void
s_image_free (app_gui_t *g)
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
static int
s_image_alloc (app_gui_t *g, int w, int h)
{
    if (g->rgb && g->image && g->img_w == w && g->img_h == h)
        return 0;
    s_image_free (g);
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
        s_toast (g, S_RED, "cannot show a %dx%d image: %s", w, h,
                 g->rgb ? SDL_GetError () : "out of memory");
        s_image_free (g);
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

static void
s_palette_use (app_gui_t *g, const rnd_palette_t *pal, const char *name)
{
    g->palette = *pal;
    snprintf (g->palette_name, sizeof g->palette_name, "%s", name);
    snprintf (g->palette_cursor, sizeof g->palette_cursor, "%s", name);
    g->palette_loaded = 1;
}

/* The job's palette, unless the user chose one. As the loop thread does
 * (cmd_peer.c), a path named by a job from the network is never opened:
 * any peer could make us read a FIFO and hang the window. */
static void
s_palette_for_job (app_gui_t *g)
{
    const char *name = g->frame.info.view.palette;
    if (g->palette_chosen || (g->palette_loaded && strcmp (name, g->palette_name) == 0))
        return;
    char err[512];
    rnd_palette_t pal;
    if (s_palette_is_path (name)) {
        s_toast (g, S_AMBER, "palette '%.60s' is a file on another machine: showing 'default'",
                 name);
        name = "default";
    } else if (rnd_palette_load (&pal, name, err, sizeof err) == 0) {
        s_palette_use (g, &pal, name);
        return;
    } else {
        s_toast (g, S_AMBER, "%s: showing 'default'", err);
        name = "default";
    }
    if (rnd_palette_load (&pal, "default", err, sizeof err) != 0) {
        /* No assets at all: a grey ramp still shows the image. */
        for (int i = 0; i < RND_PALETTE_ENTRIES; i++)
            pal.rgb[i][0] = pal.rgb[i][1] = pal.rgb[i][2] = (uint8_t)i;
        s_toast (g, S_AMBER, "%s: showing grey", err);
    }
    s_palette_use (g, &pal, "default");
}

/* `p`: the next palette of the assets directory. A bad file is named in a
 * toast and skipped: the next `p` goes on past it. */
static void
s_palette_next (app_gui_t *g)
{
    rnd_palette_list_t list;
    char err[512] = "";
    if (rnd_palette_list (&list, err, sizeof err) != 0 || list.count == 0) {
        if (list.count == 0 && !err[0])
            snprintf (err, sizeof err, "no palettes in %s/palettes", rnd_palette_assets_dir ());
        s_toast (g, S_RED, "%s", err);
        return;
    }
    const char *next = rnd_palette_list_next (&list, g->palette_cursor);
    snprintf (g->palette_cursor, sizeof g->palette_cursor, "%s", next);
    rnd_palette_t pal;
    if (rnd_palette_load (&pal, next, err, sizeof err) != 0) {
        s_toast (g, S_RED, "%s", err);
        return;
    }
    s_palette_use (g, &pal, next);
    g->palette_chosen = 1;
    s_recolour (g, 1);
    s_toast (g, S_WHITE, "palette %s", next);
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
        if (g->job_seq)
            s_image_free (g);
        g->job_seq = 0;
        return;
    }
    if (f->job_changed || in->job_seq != g->job_seq) {
        g->job_seq = in->job_seq;
        g->colouring = g->colouring_set ? g->colouring : rnd_colouring_default (in->view.fractal);
        s_palette_for_job (g);
        s_window_follow (g, in->view.width_px, in->view.height_px);
        if (s_image_alloc (g, in->view.width_px, in->view.height_px) == 0)
            s_recolour (g, 1);
        return;
    }
    s_recolour (g, 0);
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

/* The title names this peer, once the view has told us who that is. */
static void
s_title (app_gui_t *g)
{
    const char *self = g->frame.info.self_short;
    if (g->titled || !self[0])
        return;
    char title[64];
    snprintf (title, sizeof title, "p2pfractal %s", self);
    SDL_SetWindowTitle (g->window, title);
    g->titled = 1;
}

/* Called by the loop thread (any thread): wake the window. SDL_PushEvent
 * is thread-safe. */
static int
s_wake (void *ctx)
{
    app_gui_t *g = ctx;
    SDL_Event ev;
    memset (&ev, 0, sizeof ev);
    ev.type = g->wake_event;
    return SDL_PushEvent (&ev) == 1 ? 0 : -1;
}

/* --- zooming -------------------------------------------------------------- */

/* The part of old's image that view nw shows, in old's pixels (0..W):
 * x, y, w, h. */
static void
s_region (const rnd_view_t *old, const rnd_view_t *nw, double r[4])
{
    double pitch = old->width / old->width_px, npitch = nw->width / nw->width_px;
    r[0] = ((nw->center_re - nw->width / 2) - (old->center_re - old->width / 2)) / pitch;
    r[1] = ((old->center_im + pitch * old->height_px / 2) -
            (nw->center_im + npitch * nw->height_px / 2)) /
           pitch;
    r[2] = nw->width / pitch;
    r[3] = npitch * nw->height_px / pitch;
}

/* Ask the network for view nw, if it can be rendered; show the old image
 * zoomed meanwhile. */
static void
s_zoom_to (app_gui_t *g, const rnd_view_t *nw)
{
    rnd_view_t v = *nw;
    /* The palette shown is the one the job will name. */
    snprintf (v.palette, sizeof v.palette, "%s", g->palette_name);
    char err[512];
    if (!(v.width <= S_WIDTH_MAX)) {
        s_toast (g, S_AMBER, "cannot zoom out further (width %.3g, at most %g)", v.width,
                 S_WIDTH_MAX);
        return;
    }
    if (rnd_view_validate (&v, err, sizeof err) != 0) {
        s_toast (g, S_AMBER, "cannot zoom there: %s", err);
        return;
    }
    app_peer_view_post_zoom (g->view, &v);
    s_region (&g->frame.info.view, &v, g->region);
    g->preview_view = v;
    g->preview = 1;
    g->preview_seq = g->job_seq;
    g->preview_until_ms = SDL_GetTicks64 () + S_PREVIEW_MS;
    g->need_draw = 1;
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
    SDL_Rect fit = s_fit (g);
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
    app_gui_zoom_at (base, px, py, factor, &v);
    s_zoom_to (g, &v);
}

/* The wheel burst is over: one zoom for all its steps. */
static void
s_wheel_post (app_gui_t *g)
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
    s_region (&g->frame.info.view, &v, g->region);
    g->preview = g->wheel_steps != 0;
    g->preview_seq = g->job_seq;
    g->preview_until_ms = g->wheel_at_ms + S_WHEEL_MS + S_PREVIEW_MS;
    g->need_draw = 1;
}

/* The drag box in output px, clamped to the image. */
static SDL_Rect
s_band (app_gui_t *g)
{
    SDL_Rect fit = s_fit (g);
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
    SDL_Rect b = s_band (g);
    if (b.w <= S_CLICK_PX && b.h <= S_CLICK_PX)
        return;
    double x0, y0, x1, y1;
    if (!s_image_point (g, b.x, b.y, 1, &x0, &y0) ||
        !s_image_point (g, b.x + b.w, b.y + b.h, 1, &x1, &y1))
        return;
    rnd_view_t v;
    app_gui_zoom_box (s_shown_view (g), x0, y0, x1, y1, &v);
    s_zoom_to (g, &v);
}

/* --- saving --------------------------------------------------------------- */

/* A save handed to its thread. */
typedef struct {
    app_gui_t *gui;                      /* told when it ends */
    char path[S_PATH_MAX];               /* claimed (empty) file to write */
    uint8_t *rgb;                        /* the pixels, owned */
    int w, h;                            /* their size */
    char comment[RND_PARAMS_FORMAT_MAX]; /* the parameter text */
    char self_short[OVL_ID_SHORT_LEN + 1];
} s_save_t;

static void *
s_save_main (void *arg)
{
    s_save_t *s = arg;
    app_gui_t *g = s->gui;
    char err[600], note[S_TEXT_MAX];
    int failed = rnd_png_write_rgb (s->path, s->rgb, s->w, s->h, s->comment, err, sizeof err);
    if (failed == 0) {
        fprintf (stderr, "p2pfractal: peer %s: saved %s\n", s->self_short, s->path);
        app_jsonlog_begin (g->log, s_unix_ms (), g->node_hex, "saved");
        app_jsonlog_str (g->log, "file", s->path);
        app_jsonlog_end (g->log);
        /* A toast has room for a line: the file's name is what matters. */
        snprintf (note, sizeof note, "saved %.240s", s->path);
    } else {
        unlink (s->path); /* the name we claimed, still empty */
        fprintf (stderr, "p2pfractal: peer %s: %s\n", s->self_short, err);
        snprintf (note, sizeof note, "%.250s", err);
    }
    free (s->rgb);
    free (s);
    /* app_gui_close waits for saves_running to reach 0 before it shuts
     * SDL down, so the event is pushed into a live queue, and g is not
     * touched after the unlock. */
    pthread_mutex_lock (&g->save_lock);
    snprintf (g->save_note, sizeof g->save_note, "%s", note);
    g->save_note_error = failed != 0;
    g->save_note_new = 1;
    s_wake (g);
    g->saves_running--;
    pthread_cond_broadcast (&g->save_cv);
    pthread_mutex_unlock (&g->save_lock);
    return NULL;
}

/* Claim <stem>-<k>.png, the first k whose file does not exist. 0, or -1
 * with errno. */
static int
s_claim (const char *stem, char *path, size_t size)
{
    for (int k = 1; k < 1000000; k++) {
        snprintf (path, size, "%s-%d.png", stem, k);
        int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            close (fd);
            return 0;
        }
        if (errno != EEXIST)
            return -1;
    }
    errno = EEXIST;
    return -1;
}

/* `s`: the image as shown (this palette, missing slices neutral), with the
 * parameters that reproduce it, written on a thread of its own (a 4K PNG
 * takes a second; the window must not stop). */
static void
s_save (app_gui_t *g)
{
    const app_view_info_t *in = &g->frame.info;
    if (!g->rgb) {
        s_toast (g, S_AMBER, "nothing to save yet");
        return;
    }
    s_save_t *s = calloc (1, sizeof *s);
    size_t bytes = (size_t)g->img_w * (size_t)g->img_h * 3;
    uint8_t *rgb = s ? malloc (bytes) : NULL;
    if (!rgb) {
        free (s);
        s_toast (g, S_RED, "cannot save: out of memory");
        return;
    }
    memcpy (rgb, g->rgb, bytes);
    s->gui = g;
    s->rgb = rgb;
    s->w = g->img_w;
    s->h = g->img_h;
    snprintf (s->self_short, sizeof s->self_short, "%s", in->self_short);
    /* The job's text, but naming the palette shown: the PNG reopened with
     * --params gives what was on the screen. */
    rnd_view_t v = in->view;
    snprintf (v.palette, sizeof v.palette, "%s", g->palette_name);
    if (rnd_params_format (&v, s->comment, sizeof s->comment) < 0)
        snprintf (s->comment, sizeof s->comment, "%s", in->params);
    if (s_claim (g->save_stem, s->path, sizeof s->path) != 0) {
        s_toast (g, S_RED, "cannot save %s: %s", s->path, strerror (errno));
        free (rgb);
        free (s);
        return;
    }
    pthread_attr_t attr;
    pthread_attr_init (&attr);
    pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
    pthread_t tid;
    pthread_mutex_lock (&g->save_lock);
    int rc = pthread_create (&tid, &attr, s_save_main, s);
    if (rc == 0)
        g->saves_running++;
    pthread_mutex_unlock (&g->save_lock);
    pthread_attr_destroy (&attr);
    if (rc != 0) {
        unlink (s->path);
        s_toast (g, S_RED, "cannot save: %s", strerror (rc));
        free (rgb);
        free (s);
        return;
    }
    s_toast (g, S_WHITE, "saving %s ...", s->path);
}

/* A save ended: say so. */
static void
s_save_notes (app_gui_t *g)
{
    pthread_mutex_lock (&g->save_lock);
    char note[S_TEXT_MAX];
    int fresh = g->save_note_new, error = g->save_note_error;
    snprintf (note, sizeof note, "%s", g->save_note);
    g->save_note_new = 0;
    pthread_mutex_unlock (&g->save_lock);
    if (fresh && !g->leaving)
        s_toast (g, error ? S_RED : S_WHITE, "%s", note);
}

/* --- input ---------------------------------------------------------------- */

static void
s_leave (app_gui_t *g)
{
    app_peer_view_post_leave (g->view);
    if (!g->leaving) {
        g->leaving = 1;
        g->pressing = g->dragging = 0;
        g->wheel_steps = 0;
        g->preview = 0;
        s_toast (g, S_WHITE, "leaving the network ...");
        g->toast_until_ms = S_NONE;
    }
}

static void
s_key (app_gui_t *g, SDL_Keycode key)
{
    switch (key) {
    case SDLK_q:
    case SDLK_ESCAPE:
        s_leave (g);
        break;
    case SDLK_s:
        s_save (g);
        break;
    case SDLK_p:
        s_palette_next (g);
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

static void
s_event (app_gui_t *g, const SDL_Event *ev)
{
    if (ev->type == g->wake_event) {
        g->sync_due = 1;
        s_save_notes (g);
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
        s_text_forget_all (g);
        if (ev->type == SDL_RENDER_DEVICE_RESET) {
            int w = g->img_w, h = g->img_h;
            s_image_free (g);
            if (w && s_image_alloc (g, w, h) == 0)
                s_recolour (g, 1);
        } else {
            s_upload (g, 0, g->img_h);
        }
        g->need_draw = 1;
        break;
    case SDL_KEYDOWN:
        if (!ev->key.repeat)
            s_key (g, ev->key.keysym.sym);
        break;
    case SDL_MOUSEBUTTONDOWN:
        /* A wheel burst still waiting goes first: the click is meant on
         * the view it previews. */
        if (g->wheel_steps)
            s_wheel_post (g);
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
        if (abs (x - g->press_x) > S_CLICK_PX || abs (y - g->press_y) > S_CLICK_PX)
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

/* --- drawing -------------------------------------------------------------- */

static uint32_t
s_peer_rgb (ovl_id_t id)
{
    uint8_t c[3];
    app_gui_peer_colour (id, c);
    return (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
}

/* Who computed what: each run of slices from one peer tinted and outlined
 * in its colour; slices rendering here now pulse white. */
static void
s_draw_overlay (app_gui_t *g, const SDL_Rect *fit, uint64_t now_ms)
{
    const app_view_frame_t *f = &g->frame;
    int k = (int)f->info.slices, y0, y1, unused;
    for (int i = 0; i < k;) {
        if (f->state[i] != APP_SLICE_DONE) {
            i++;
            continue;
        }
        int j = i + 1;
        while (j < k && f->state[j] == APP_SLICE_DONE && ovl_id_eq (f->by[j], f->by[i]))
            j++;
        rnd_slice_rows (g->img_h, k, i, &y0, &unused);
        rnd_slice_rows (g->img_h, k, j - 1, &unused, &y1);
        SDL_Rect r = s_rows_rect (g, fit, y0, y1);
        uint32_t rgb = s_peer_rgb (f->by[i]);
        s_fill (g, &r, rgb, S_TINT_ALPHA);
        /* Outlines on bands a few pixels high would hide the image. */
        if (r.h >= S_OUTLINE_MIN_PX)
            s_outline (g, r, rgb, 230, 1);
        i = j;
    }
    double phase = (double)(now_ms % S_PULSE_MS) / S_PULSE_MS;
    double pulse = 0.5 + 0.5 * sin (2 * 3.14159265358979 * phase);
    int rendering = 0;
    for (int i = 0; i < k; i++) {
        if (f->state[i] != APP_SLICE_RENDERING)
            continue;
        rendering = 1;
        rnd_slice_rows (g->img_h, k, i, &y0, &y1);
        SDL_Rect r = s_rows_rect (g, fit, y0, y1);
        s_fill (g, &r, 0xffffff, (int)(20 + 50 * pulse));
        s_outline (g, r, 0xffffff, (int)(110 + 145 * pulse), 2);
    }
    if (rendering)
        s_redraw_at (g, now_ms + S_PULSE_STEP_MS);
}

/* The box being dragged, and (fainter) what will be shown: the box
 * widened to the image's aspect. */
static void
s_draw_band (app_gui_t *g, const SDL_Rect *fit)
{
    SDL_Rect b = s_band (g);
    if (b.w > 0 && b.h > 0 && fit->w > 0 && fit->h > 0) {
        double aspect = (double)fit->w / fit->h;
        int tw = b.w, th = b.h;
        if (tw < th * aspect)
            tw = (int)lround (th * aspect);
        else
            th = (int)lround (tw / aspect);
        SDL_Rect t = { b.x + b.w / 2 - tw / 2, b.y + b.h / 2 - th / 2, tw, th };
        s_outline (g, t, 0xffffff, 90, 1);
    }
    s_fill (g, &b, 0xffffff, 40);
    s_outline (g, b, 0xffffff, 230, 1);
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

/* The HUD: who we are, the job's progress, our share. */
static void
s_draw_hud (app_gui_t *g)
{
    const app_view_info_t *in = &g->frame.info;
    const el_status_t *st = &in->status;
    s_line_t l[9];
    int n = 0;
    memset (l, 0, sizeof l);
    for (int i = 0; i < 9; i++)
        l[i].rgb = S_WHITE;
    char master[OVL_ID_SHORT_LEN + 1] = "none", rate[32];
    if (st->has_master)
        ovl_id_short (st->master.id, master);
    snprintf (l[n++].text, S_TEXT_MAX, "peer %s \xc2\xb7 %s%s", in->self_short,
              !in->has_job    ? "no job yet"
              : st->is_master ? "master"
                              : "worker",
              st->is_root ? " \xc2\xb7 root" : "");
    snprintf (l[n++].text, S_TEXT_MAX, "term %llu \xc2\xb7 master %s \xc2\xb7 %zu peers known",
              (unsigned long long)st->term, master, in->peers_known);
    if (in->has_job) {
        s_fmt_rate (rate, sizeof rate, in->rate);
        snprintf (l[n++].text, S_TEXT_MAX, "slices %u/%u (%d%%) \xc2\xb7 %s slices/s", st->done,
                  st->total, s_percent (st->done, st->total), rate);
        snprintf (l[n++].text, S_TEXT_MAX, "mine %u (%d%%) \xc2\xb7 rendering %u", st->own,
                  s_percent (st->own, st->total), st->in_flight);
        snprintf (l[n++].text, S_TEXT_MAX, "%s %dx%d \xc2\xb7 palette %.60s",
                  rnd_fractal_name (in->view.fractal), in->view.width_px, in->view.height_px,
                  g->palette_name);
    }
    snprintf (l[n++].text, S_TEXT_MAX, "kernel %s \xc2\xb7 %d threads", in->kernel, in->threads);
    if (st->electing) {
        snprintf (l[n].text, S_TEXT_MAX, "electing a master ...");
        l[n++].rgb = S_AMBER;
    }
    snprintf (l[n].text, S_TEXT_MAX, "q quit  s save  p palette  o overlay  h hud");
    l[n++].rgb = S_DIM;
    s_text_box (g, S_MARGIN_PX, S_MARGIN_PX, 0, l, n);
}

/* The legend of the overlay: each peer's colour and share. */
static void
s_draw_legend (app_gui_t *g, int ow)
{
    const app_view_info_t *in = &g->frame.info;
    s_line_t l[APP_VIEW_LEGEND_MAX + 2];
    memset (l, 0, sizeof l);
    int n = 0;
    snprintf (l[n].text, S_TEXT_MAX, "computed by");
    l[n++].rgb = S_DIM;
    for (size_t i = 0; i < in->ncontrib; i++, n++) {
        char id[OVL_ID_SHORT_LEN + 1];
        ovl_id_short (in->contrib[i].id, id);
        snprintf (l[n].text, S_TEXT_MAX, "%s %5u %3d%%%s", id, in->contrib[i].count,
                  s_percent (in->contrib[i].count, in->slices),
                  ovl_id_eq (in->contrib[i].id, in->self) ? " (me)" : "");
        l[n].rgb = S_WHITE;
        l[n].swatch = 1;
        l[n].swatch_rgb = s_peer_rgb (in->contrib[i].id);
    }
    if (in->ncontributors > in->ncontrib) {
        snprintf (l[n].text, S_TEXT_MAX, "+ %zu more", in->ncontributors - in->ncontrib);
        l[n++].rgb = S_DIM;
    }
    if (in->ncontrib == 0) {
        snprintf (l[n].text, S_TEXT_MAX, "no slices yet");
        l[n++].rgb = S_DIM;
    }
    s_text_box (g, ow - S_MARGIN_PX, S_MARGIN_PX, 1, l, n);
}

/* The ticker: the newest events at the bottom, each line fading out with
 * its age. Returns the y of its top (oh if empty). */
static int
s_draw_ticker (app_gui_t *g, int oh, uint64_t now_ms)
{
    const app_view_info_t *in = &g->frame.info;
    uint64_t unix_ms = s_unix_ms ();
    int y = oh - S_MARGIN_PX;
    if (!g->font)
        return oh;
    for (size_t i = in->nticker; i-- > 0;) {
        const app_view_tick_t *t = &in->ticker[i];
        uint64_t age = unix_ms > t->t_ms ? unix_ms - t->t_ms : 0;
        if (age >= S_TICK_HOLD_MS + S_TICK_FADE_MS)
            continue;
        double a = 1.0;
        if (age < S_TICK_HOLD_MS) {
            s_redraw_at (g, now_ms + (S_TICK_HOLD_MS - age));
        } else {
            a = 1.0 - (double)(age - S_TICK_HOLD_MS) / S_TICK_FADE_MS;
            s_redraw_at (g, now_ms + S_FADE_STEP_MS);
        }
        y -= g->line_px;
        SDL_Rect r = { S_MARGIN_PX, y - 2, s_text_w (g, t->text, S_WHITE) + 2 * S_PAD_PX,
                       g->line_px + 2 };
        s_fill (g, &r, 0x000000, (int)(S_BOX_ALPHA * a));
        s_text_draw (g, S_MARGIN_PX + S_PAD_PX, y - 1, t->text, S_WHITE, a);
        y -= 2;
    }
    return y;
}

static void
s_draw_toast (app_gui_t *g, int ow, int bottom, uint64_t now_ms)
{
    if (!g->toast[0])
        return;
    if (now_ms >= g->toast_until_ms) {
        g->toast[0] = '\0';
        return;
    }
    double a = 1.0;
    if (g->toast_until_ms != S_NONE) {
        uint64_t left = g->toast_until_ms - now_ms;
        if (left < S_TOAST_FADE_MS) {
            a = (double)left / S_TOAST_FADE_MS;
            s_redraw_at (g, now_ms + S_FRAME_MS);
        } else {
            s_redraw_at (g, g->toast_until_ms - S_TOAST_FADE_MS);
        }
    }
    /* A long note (a bad palette's path and line) wraps to the window. */
    int wrap_px = ow - 2 * S_MARGIN_PX - 4 * S_PAD_PX;
    s_text_t *t = s_text_wrapped (g, g->toast, g->toast_rgb, wrap_px > 50 ? wrap_px : 50);
    if (!t)
        return;
    SDL_Rect r = { (ow - t->w) / 2 - 2 * S_PAD_PX, bottom - t->h - 3 * S_PAD_PX,
                   t->w + 4 * S_PAD_PX, t->h + 2 * S_PAD_PX };
    s_fill (g, &r, 0x000000, (int)(200 * a));
    s_outline (g, r, g->toast_rgb, (int)(120 * a), 1);
    SDL_SetTextureAlphaMod (t->tex, (uint8_t)lround (255 * a));
    SDL_Rect dst = { r.x + 2 * S_PAD_PX, r.y + S_PAD_PX, t->w, t->h };
    SDL_RenderCopy (g->renderer, t->tex, NULL, &dst);
}

/* The image, or where a zoom is going: the part of it the new view will
 * show, scaled up (or down) to fill the image's place. */
static void
s_draw_image (app_gui_t *g, const SDL_Rect *fit, uint64_t now_ms)
{
    if (g->preview && (g->preview_seq != g->job_seq || now_ms >= g->preview_until_ms))
        g->preview = 0;
    if (!g->preview) {
        SDL_RenderCopy (g->renderer, g->image, NULL, fit);
        return;
    }
    s_redraw_at (g, g->preview_until_ms);
    const double *r = g->region;
    double sx = fit->w / r[2], sy = fit->h / r[3];
    SDL_FRect dst = { (float)(fit->x - r[0] * sx), (float)(fit->y - r[1] * sy),
                      (float)(g->img_w * sx), (float)(g->img_h * sy) };
    s_fill (g, fit, S_NEUTRAL << 16 | S_NEUTRAL << 8 | S_NEUTRAL, 255);
    SDL_RenderSetClipRect (g->renderer, fit);
    SDL_RenderCopyF (g->renderer, g->image, NULL, &dst);
    SDL_RenderSetClipRect (g->renderer, NULL);
}

static void
s_draw (app_gui_t *g, uint64_t now_ms)
{
    g->frame_no++;
    g->redraw_at_ms = S_NONE;
    int ow = 0, oh = 0;
    SDL_GetRendererOutputSize (g->renderer, &ow, &oh);
    SDL_SetRenderDrawBlendMode (g->renderer, SDL_BLENDMODE_NONE);
    SDL_SetRenderDrawColor (g->renderer, S_BACKDROP, S_BACKDROP, S_BACKDROP, 255);
    SDL_RenderClear (g->renderer);
    if (g->image) {
        SDL_Rect fit = s_fit (g);
        s_draw_image (g, &fit, now_ms);
        if (g->overlay && !g->preview)
            s_draw_overlay (g, &fit, now_ms);
        if (g->dragging)
            s_draw_band (g, &fit);
    } else {
        const char *msg =
            g->frame.info.has_job ? "cannot show this image" : "waiting for a job ...";
        s_text_draw (g, (ow - s_text_w (g, msg, S_DIM)) / 2, (oh - g->line_px) / 2, msg, S_DIM,
                     1.0);
    }
    int bottom = oh;
    if (g->hud) {
        s_draw_hud (g);
        bottom = s_draw_ticker (g, oh, now_ms);
    }
    if (g->overlay)
        s_draw_legend (g, ow);
    s_draw_toast (g, ow, bottom, now_ms);
    SDL_RenderPresent (g->renderer);
}

/* --- the loop ------------------------------------------------------------- */

/* When the loop must next act without an event; S_NONE: only on one. */
static uint64_t
s_next_ms (const app_gui_t *g)
{
    uint64_t at = g->redraw_at_ms;
    if ((g->sync_due || g->need_draw) && g->next_frame_ms < at)
        at = g->next_frame_ms;
    if (g->wheel_steps && g->wheel_at_ms + S_WHEEL_MS < at)
        at = g->wheel_at_ms + S_WHEEL_MS;
    return at;
}

int
app_gui_run (app_gui_t *g)
{
    for (;;) {
        uint64_t now = SDL_GetTicks64 ();
        if (g->wheel_steps && now >= g->wheel_at_ms + S_WHEEL_MS)
            s_wheel_post (g);
        if (now >= g->redraw_at_ms) {
            g->redraw_at_ms = S_NONE;
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
            g->next_frame_ms = now + S_FRAME_MS;
        }
        uint64_t at = s_next_ms (g);
        SDL_Event ev;
        int got;
        if (at == S_NONE) {
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
            s_event (g, &ev);
            got = SDL_PollEvent (&ev);
        }
    }
}

/* --- opening and closing -------------------------------------------------- */

static TTF_Font *
s_font_open (void)
{
    const char *env = getenv ("P2PF_FONT");
    const char *paths[] = {
        env && *env ? env : NULL,
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        TTF_Font *font = paths[i] ? TTF_OpenFont (paths[i], S_FONT_PT) : NULL;
        if (font)
            return font;
    }
    return NULL;
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
    g->redraw_at_ms = S_NONE;
    g->sync_due = 1;
    if (config->palette && *config->palette) {
        rnd_palette_t pal;
        if (rnd_palette_load (&pal, config->palette, err, err_size) != 0) {
            app_gui_close (&g);
            return NULL;
        }
        s_palette_use (g, &pal, config->palette);
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
    else if (!(g->font = s_font_open ()))
        fprintf (stderr,
                 "p2pfractal: no font (tried $P2PF_FONT and DejaVu Sans Mono, Sans; install "
                 "fonts-dejavu-core): the window shows no text\n");
    if (g->font)
        g->line_px = TTF_FontLineSkip (g->font);
    s_after_sync (g);
    s_title (g);
    app_peer_view_set_wake (view, s_wake, g);
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
    s_text_forget_all (g);
    s_image_free (g);
    if (g->font)
        TTF_CloseFont (g->font);
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
