/* gui_ctx.h: the window's state and tunables, shared by the files of app/window/ (private).
 *
 * gui.h is the window's interface; this header is what its files share:
 * struct app_gui_t and the functions one file calls in another. */
#ifndef APP_GUI_CTX_H
#define APP_GUI_CTX_H

#include <SDL.h>
#include <SDL_ttf.h>

#include <pthread.h>
#include <stdint.h>

#include "gui.h"
#include "kernel.h"

#define APP_GUI_NEUTRAL 0x30  /* grey of slices not here yet: no palette's black */
#define APP_GUI_BACKDROP 0x12 /* grey around the image (letterbox) */
/* At most ~30 draws a second: a software renderer spends ~12 ms scaling a
 * 1080p image, time taken from the render threads. */
#define APP_GUI_FRAME_MS 33
#define APP_GUI_WHEEL_MS 200       /* a wheel burst is over after this long quiet */
#define APP_GUI_CLICK_PX 4         /* a press that moves farther is a drag */
#define APP_GUI_PREVIEW_MS 3000    /* a zoom preview waits this long for its job */
#define APP_GUI_TOAST_MS 3500      /* a toast shows this long... */
#define APP_GUI_TOAST_FADE_MS 600  /* ...the last of it fading */
#define APP_GUI_TICK_HOLD_MS 8000  /* a ticker line is bright this long... */
#define APP_GUI_TICK_FADE_MS 22000 /* ...then fades out over this */
#define APP_GUI_FADE_STEP_MS 200   /* slow fades redraw this often */
#define APP_GUI_PULSE_MS 1200      /* period of the RENDERING pulse */
#define APP_GUI_PULSE_STEP_MS 50   /* its redraws: 20 a second is smooth enough */
#define APP_GUI_WIDTH_MAX 16.0     /* zooming out stops here: the set is 4 wide */
/* Text is sized to the output, so a projector's is read from the back of
 * the room: a line's glyphs (ascender to descender, ~1 em in DejaVu) at
 * least 1/40 of the output's height (10% over, so no rounding or
 * anti-aliasing takes it under), never under 16 px. Resizing re-renders
 * the cached text (~35 lines, a few ms). */
#define APP_GUI_FONT_MIN_PX 16
#define APP_GUI_FONT_PER_H 40    /* output height / this = the least text height */
#define APP_GUI_BIG_PER_H 11     /* the presenter view's numbers: output height / this */
#define APP_GUI_TICKER_SHOWN 3   /* ticker lines shown (the newest) */
#define APP_GUI_TICKER_W_PCT 45  /* the ticker's width, % of the output: in its corner */
#define APP_GUI_PAD_PX 8         /* inside a box */
#define APP_GUI_MARGIN_PX 10     /* between a box and the window's edge */
#define APP_GUI_OUTLINE_MIN_PX 6 /* smaller tiles are only tinted */
#define APP_GUI_TINT_ALPHA 90    /* attribution tint: ~35% */
#define APP_GUI_BOX_ALPHA 165    /* dark boxes behind text */
#define APP_GUI_TEXT_CACHE 48    /* rendered text kept (a frame uses ~35 at most) */
#define APP_GUI_TEXT_MAX 256     /* longest text drawn, bytes */
#define APP_GUI_PATH_MAX 4096    /* a saved file's path */
#define APP_GUI_TITLE_MAX 320    /* the window's title */
#define APP_GUI_HISTORY_MAX 64   /* views Backspace can go back to */
#define APP_GUI_CACHE_IMAGES 8   /* finished images kept for going back... */
#define APP_GUI_CACHE_BYTES ((size_t)128 << 20) /* ...in at most this (1080p: 8 MB each) */
#define APP_GUI_NONE UINT64_MAX                 /* no deadline */

/* Text colours. */
#define APP_GUI_WHITE 0xf0f0f0u
#define APP_GUI_DIM 0x9a9a9au
#define APP_GUI_AMBER 0xffc24du
#define APP_GUI_RED 0xff7a6bu

/* A line of text, rendered once and drawn until it changes. */
typedef struct {
    char text[APP_GUI_TEXT_MAX]; /* what it says */
    uint32_t rgb;                /* its colour, 0xRRGGBB */
    SDL_Texture *tex;            /* rendered; NULL: the slot is free */
    int w, h;                    /* its size, px */
    int wrap_px;                 /* the width it was broken at (0: one line) */
    TTF_Font *font;              /* the font it was rendered in (g->font or g->big) */
    int pt;                      /* at that size */
    uint64_t used;               /* the frame it was last drawn in (least recent goes) */
} app_gui_text_t;

/* A line of a text box (app_gui_text_box). */
typedef struct {
    char text[APP_GUI_TEXT_MAX]; /* the line */
    uint32_t rgb;                /* its colour */
    int swatch;                  /* 1: a square of swatch_rgb before it */
    uint32_t swatch_rgb;         /* that square's colour */
} app_gui_line_t;

/* A finished job's image, kept for going back to it (history.c). */
typedef struct {
    rnd_view_t view; /* what it shows */
    float *pixels;   /* its smooth values, the view's sample grid (W*K x
                        H*K); NULL: the slot is free */
    uint64_t used;   /* the frame it was last used in (least recent goes) */
} app_gui_cached_t;

struct app_gui_t {
    app_peer_view_t *view;                 /* the model we show and command (not owned) */
    app_jsonlog_t *log;                    /* "saved" events (not owned; may be NULL) */
    char node_hex[OVL_ID_HEX_LEN + 1];     /* this peer, for the log */
    char save_stem[APP_GUI_PATH_MAX - 32]; /* `s` writes <stem>-saved-<k>.png */
    int colouring_set;                     /* 1: colouring is the user's */
    rnd_colouring_t colouring;             /* how smooth values become colours */
    SDL_Window *window;                    /* ours */
    SDL_Renderer *renderer;                /* draws into it */
    TTF_Font *font;                        /* NULL: no text at all */
    TTF_Font *big;                         /* the presenter view's numbers (NULL: font's) */
    int font_pt, big_pt;                   /* their sizes now (pt = px in SDL_ttf) */
    int font_for_h;                        /* the output height they were sized for */
    int line_px;                           /* the font's line height */
    uint32_t wake_event;                   /* SDL user event: the view changed, a save ended */
    app_view_frame_t frame;                /* our copy of the view */
    char title[APP_GUI_TITLE_MAX];         /* the title set ("" none yet) */
    uint64_t job_seq;                      /* the frame's job we hold an image of; 0: none */
    int img_w, img_h;                      /* its size, px */
    uint8_t *rgb;          /* its colours, 3 bytes a pixel; missing slices neutral */
    SDL_Texture *image;    /* rgb, uploaded tile by tile */
    int tex_step;          /* 1: texture is rgb; k: every k-th pixel of it */
    rnd_view_t image_view; /* the view image shows (when image_view_set) */
    int image_view_set;
    SDL_Texture *under;    /* the job before's image, under this one's tiles (NULL: none) */
    double under_rect[4];  /* where it lies, in this image's px: x, y, w, h */
    uint8_t *tex_row;      /* one decimated row (tex_step > 1) */
    rnd_palette_t palette; /* the colours in use */
    char palette_name[RND_PALETTE_NAME_MAX];   /* their name (or path): a saved PNG says it */
    char palette_cursor[RND_PALETTE_NAME_MAX]; /* the last one `p` tried: it goes on from there */
    int palette_chosen;                        /* 1: the user's (config or `p`), kept across jobs */
    int palette_loaded;                        /* 0 until a palette is in use */
    app_gui_text_t texts[APP_GUI_TEXT_CACHE];  /* rendered text */
    uint64_t frame_no;                         /* draws so far */
    int hud, overlay;                          /* what is shown */
    int help;                                  /* 1: the key list (?) covers the window */
    int presenter;                             /* 1: the big counters (Tab) */
    int swallow_text;                          /* the key that closed help types nothing */
    int auto_size;             /* 1: the window takes each image's size (user never resized) */
    int set_w, set_h;          /* the size we last gave it */
    int recentre;              /* 1: centre it when the first image's size is known */
    int pressing, dragging;    /* left button down inside the image; moved away */
    int press_x, press_y;      /* where it went down, output px */
    int mouse_x, mouse_y;      /* where the mouse is, output px */
    int wheel_steps;           /* wheel clicks not yet posted (+: in) */
    uint64_t wheel_at_ms;      /* the last one */
    int wheel_x, wheel_y;      /* and where, output px */
    int preview;               /* 1: show region of the old image for a zoom underway */
    double region[4];          /* x, y, w, h in the image's px */
    uint64_t preview_seq;      /* the job it is a preview on */
    uint64_t preview_until_ms; /* given up then */
    rnd_view_t preview_view;   /* the view a posted zoom's preview shows */
    rnd_view_t wheel_base;     /* the view a wheel burst zooms from */
    rnd_view_t history[APP_GUI_HISTORY_MAX];      /* the views shown, oldest first */
    int nhistory;                                 /* how many */
    app_gui_cached_t cache[APP_GUI_CACHE_IMAGES]; /* finished images */
    int held;                                     /* the cache slot of the job shown (-1: none) */
    uint64_t cached_seq;                          /* the last job cached (once each) */
    int showing_cached;                           /* 1: a cached image shows until its job comes */
    char toast[APP_GUI_TEXT_MAX];                 /* a note to the user, "" for none */
    uint32_t toast_rgb;                           /* its colour */
    uint64_t toast_until_ms;                      /* gone then (APP_GUI_NONE: until closed) */
    int leaving;                                  /* leave posted: waiting for the loop to close */
    int sync_due;                                 /* the view woke us: sync before drawing */
    int need_draw;                                /* something changed on screen */
    uint64_t next_frame_ms;                       /* no draw before then (frame rate cap) */
    uint64_t redraw_at_ms;            /* an animation's next step (APP_GUI_NONE: none) */
    pthread_mutex_t save_lock;        /* guards the save fields below */
    pthread_cond_t save_cv;           /* signalled when a save ends */
    int saves_running;                /* save threads not yet finished */
    char save_note[APP_GUI_TEXT_MAX]; /* the last one's outcome, for a toast */
    int save_note_error;              /* 1 if it failed */
    int save_note_new;                /* 1 until shown */
};

/* --- gui.c: opening, running and closing the window, syncing with the view, a frame */

uint64_t app_gui_unix_ms (void);
void app_gui_redraw_at (app_gui_t *g, uint64_t at_ms);
void app_gui_toast (app_gui_t *g, uint32_t rgb, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int app_gui_wake (void *ctx);

/* --- text.c: text (SDL_ttf) and the boxes and outlines drawn with it */

app_gui_text_t *app_gui_text_wrapped (app_gui_t *g, const char *text, uint32_t rgb, int wrap_px);
void app_gui_text_forget_all (app_gui_t *g);
int app_gui_text_w (app_gui_t *g, const char *text, uint32_t rgb);
void app_gui_text_draw (app_gui_t *g, int x, int y, const char *text, uint32_t rgb, double alpha);
void app_gui_fill (app_gui_t *g, const SDL_Rect *r, uint32_t rgb, int alpha);
void app_gui_outline (app_gui_t *g, SDL_Rect r, uint32_t rgb, int alpha, int thick_px);
SDL_Rect app_gui_text_box (app_gui_t *g, int x, int y, int right, const app_gui_line_t *lines,
                           int n);
void app_gui_text_box_size (app_gui_t *g, const app_gui_line_t *lines, int n, int *w, int *h);
TTF_Font *app_gui_font_open (int pt);
void app_gui_font_fit (app_gui_t *g, int oh);
int app_gui_big_w (app_gui_t *g, const char *text);
void app_gui_big_draw (app_gui_t *g, int x, int y, const char *text, uint32_t rgb);

/* --- image.c: the image: palettes, recolouring, texture upload and scaling */

SDL_Rect app_gui_fit_rect (app_gui_t *g);
SDL_Rect app_gui_image_rect (const app_gui_t *g, const SDL_Rect *fit, rnd_rect_t r);
void app_gui_upload (app_gui_t *g, rnd_rect_t r);
void app_gui_upload_all (app_gui_t *g);
void app_gui_recolour (app_gui_t *g, int all);
void app_gui_image_free (app_gui_t *g);
int app_gui_image_alloc (app_gui_t *g, int w, int h);
void app_gui_palette_use (app_gui_t *g, const rnd_palette_t *pal, const char *name);
void app_gui_palette_for_job (app_gui_t *g);
void app_gui_palette_next (app_gui_t *g);
void app_gui_draw_image (app_gui_t *g, const SDL_Rect *fit, uint64_t now_ms);

/* --- underlay.c: after a zoom, the old image under the new one's tiles */

void app_gui_underlay_start (app_gui_t *g, const rnd_view_t *nw);
void app_gui_underlay_check (app_gui_t *g);
void app_gui_underlay_draw (app_gui_t *g, const SDL_Rect *fit);
void app_gui_underlay_drop (app_gui_t *g);

/* --- input.c: keys and mouse into commands: zooms, saves, palettes, leaving */

void app_gui_wheel_post (app_gui_t *g);
SDL_Rect app_gui_band (app_gui_t *g);
void app_gui_event (app_gui_t *g, const SDL_Event *ev);

/* --- history.c: the views shown, a cache of finished images, going back */

void app_gui_history_job (app_gui_t *g);
void app_gui_history_done (app_gui_t *g);
const float *app_gui_history_pixels (const app_gui_t *g);
const rnd_view_t *app_gui_history_back (app_gui_t *g, int home);
int app_gui_history_show (app_gui_t *g, const rnd_view_t *view);
void app_gui_history_free (app_gui_t *g);

/* --- save.c: the window's PNG save, on a thread of its own */

void app_gui_save (app_gui_t *g);
void app_gui_save_notes (app_gui_t *g);

/* --- hud.c: what is drawn over the image: HUD, legend, ticker, overlay, toasts */

void app_gui_draw_overlay (app_gui_t *g, const SDL_Rect *fit, uint64_t now_ms);
void app_gui_draw_band (app_gui_t *g, const SDL_Rect *fit);
SDL_Rect app_gui_draw_hud (app_gui_t *g);
void app_gui_draw_legend (app_gui_t *g, int ow, const SDL_Rect *hud);
int app_gui_draw_ticker (app_gui_t *g, int ow, int oh, uint64_t now_ms);
void app_gui_draw_toast (app_gui_t *g, int ow, int bottom, uint64_t now_ms);

/* --- panels.c: what covers the image on request: the key list, the presenter view */

void app_gui_draw_help (app_gui_t *g, int ow, int oh);
void app_gui_draw_presenter (app_gui_t *g, int ow, int oh);

#endif
