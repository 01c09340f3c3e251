/* save.c: `s` in the window -- the image as shown, written as a PNG with its parameters on a thread
 * of its own. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gui_ctx.h"
#include "outname.h"
#include "params.h"
#include "png_io.h"
#include "slice.h"

/* --- saving --------------------------------------------------------------- */

/* A save handed to its thread. */
typedef struct {
    app_gui_t *gui;                      /* told when it ends */
    char path[APP_GUI_PATH_MAX];         /* claimed (empty) file to write */
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
    char err[600], note[APP_GUI_TEXT_MAX];
    int failed = rnd_png_write_rgb (s->path, s->rgb, s->w, s->h, s->comment, err, sizeof err);
    if (failed == 0) {
        fprintf (stderr, "p2pfractal: peer %s: saved %s\n", s->self_short, s->path);
        app_jsonlog_begin (g->log, app_gui_unix_ms (), g->node_hex, "saved");
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
    app_gui_wake (g);
    g->saves_running--;
    pthread_cond_broadcast (&g->save_cv);
    pthread_mutex_unlock (&g->save_lock);
    return NULL;
}

/* The progressive preview is only a picture (preview.h): where it shows,
 * a save has the missing grey, as the PNGs do. (A cached image of this
 * view, going back, holds the job's own values: it stays.) */
static void
s_unpreview (const app_gui_t *g, uint8_t *rgb)
{
    const app_view_frame_t *f = &g->frame;
    if (!f->has_preview || app_gui_history_pixels (g))
        return;
    int k = (int)f->info.slices;
    for (int i = 0; i < k; i++) {
        if (f->state[i] == APP_SLICE_DONE)
            continue;
        rnd_rect_t r = rnd_slice_rect (g->img_w, g->img_h, k, i);
        for (int y = r.y0; y < r.y1; y++)
            memset (rgb + 3 * ((size_t)y * (size_t)g->img_w + (size_t)r.x0), APP_GUI_NEUTRAL,
                    3 * (size_t)(r.x1 - r.x0));
    }
}

/* `s`: the image as shown (this palette, missing slices neutral), with the
 * parameters that reproduce it (the preview grey: s_unpreview), written on a thread of its own (a
 * 4K PNG takes a second; the window must not stop). */
void
app_gui_save (app_gui_t *g)
{
    const app_view_info_t *in = &g->frame.info;
    if (!g->rgb) {
        app_gui_toast (g, APP_GUI_AMBER, "nothing to save yet");
        return;
    }
    s_save_t *s = calloc (1, sizeof *s);
    size_t bytes = (size_t)g->img_w * (size_t)g->img_h * 3;
    uint8_t *rgb = s ? malloc (bytes) : NULL;
    if (!rgb) {
        free (s);
        app_gui_toast (g, APP_GUI_RED, "cannot save: out of memory");
        return;
    }
    memcpy (rgb, g->rgb, bytes);
    s_unpreview (g, rgb);
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
    /* <stem>-saved-<k>.png: apart from the jobs' own images (<stem>.png,
     * <stem>-2.png, ...), and never over an existing file. */
    if (app_outname_claim (g->save_stem, "-saved", 1, s->path, sizeof s->path) != 0) {
        app_gui_toast (g, APP_GUI_RED, "cannot save %s: %s", s->path, strerror (errno));
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
        app_gui_toast (g, APP_GUI_RED, "cannot save: %s", strerror (rc));
        free (rgb);
        free (s);
        return;
    }
    app_gui_toast (g, APP_GUI_WHITE, "saving %s ...", s->path);
}

/* A save ended: say so. */
void
app_gui_save_notes (app_gui_t *g)
{
    pthread_mutex_lock (&g->save_lock);
    char note[APP_GUI_TEXT_MAX];
    int fresh = g->save_note_new, error = g->save_note_error;
    snprintf (note, sizeof note, "%s", g->save_note);
    g->save_note_new = 0;
    pthread_mutex_unlock (&g->save_lock);
    if (fresh && !g->leaving)
        app_gui_toast (g, error ? APP_GUI_RED : APP_GUI_WHITE, "%s", note);
}
