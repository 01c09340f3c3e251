/* writer.c: the finished image, coloured and written as a PNG on a thread
 * of its own, so the loop thread keeps its heartbeats while it compresses. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "peer_ctx.h"
#include "png_io.h"

static void *
s_writer_run (void *arg)
{
    app_peer_writer_t *w = arg;
    size_t npix = (size_t)w->width_px * (size_t)w->height_px;
    uint8_t *rgb = malloc (npix * 3);
    if (!rgb) {
        snprintf (w->err, sizeof w->err, "out of memory for a %dx%d image", w->width_px,
                  w->height_px);
        w->failed = 1;
    } else {
        rnd_colourise (&w->palette, w->colouring, w->pixels, npix, rgb);
        w->failed = rnd_png_write_rgb (w->path, rgb, w->width_px, w->height_px, w->params, w->err,
                                       sizeof w->err) != 0;
        free (rgb);
    }
    free (w->pixels);
    w->pixels = NULL;
    atomic_store (&w->finished, 1);
    return NULL;
}

/* Say how the write went (stderr and job_done), and leave if asked to. */
static void
s_writer_report (app_peer_ctx_t *c)
{
    app_peer_writer_t *w = &c->writer;
    char id[OVL_ID_SHORT_LEN + 1];
    ovl_id_short (w->job, id);
    if (w->failed) {
        c->write_failed = 1;
        app_peer_say (c, "job %s done, but %s", id, w->err);
    } else {
        /* own counts this job's slices whose first copy was rendered
         * here; the `left` line (loop.c) counts every render. */
        app_peer_say (c, "job %s done: wrote %s (%u of its %u slice%s computed here, busy %.3f s)",
                      id, w->path, w->own, w->total, app_plural_s (w->total), w->busy_s);
    }
    if (c->view)
        app_peer_view_tick (c->view, app_peer_unix_ms (), "job %s done: %s", id,
                            w->failed ? w->err : w->path);
    app_jsonlog_t *log = app_peer_json (c, "job_done");
    app_peer_json_id (log, "job", w->job);
    app_jsonlog_str (log, "file", w->failed ? "" : w->path);
    if (w->failed)
        app_jsonlog_str (log, "error", w->err);
    app_jsonlog_num (log, "busy_s", w->busy_s);
    app_jsonlog_u64 (log, "own", w->own);
    app_jsonlog_u64 (log, "slices", w->total);
    app_jsonlog_end (log);
    if (c->exit_when_done)
        c->leave_now = 1;
}

/* Collect the writer thread once it has finished (with wait: wait for
 * it), and report. */
void
app_peer_writer_reap (app_peer_ctx_t *c, int wait)
{
    app_peer_writer_t *w = &c->writer;
    if (!w->running || (!wait && !atomic_load (&w->finished)))
        return;
    pthread_join (w->tid, NULL);
    w->running = 0;
    s_writer_report (c);
}

/* The image is complete: colour it as `p2pfractal render` would and write
 * it, with the parameters as its Comment, on the writer thread. Called
 * after core calls, never inside one. */
void
app_peer_write_done (app_peer_ctx_t *c)
{
    if (!c->done_pending)
        return;
    c->done_pending = 0;
    const el_job_t *job = el_peer_job (c->peer);
    if (!job || !ovl_id_eq (job->id, c->done_job))
        return; /* a newer job came in the same pass */
    /* One write at a time: the same path, and the newer image must land
     * last. Two jobs finishing within one write is rare. */
    app_peer_writer_reap (c, 1);
    app_peer_writer_t *w = &c->writer;
    el_status_t st;
    el_peer_status (c->peer, &st);
    size_t npix = (size_t)job->view.width_px * (size_t)job->view.height_px;
    w->pixels = malloc (npix * sizeof *w->pixels);
    w->width_px = job->view.width_px;
    w->height_px = job->view.height_px;
    w->palette = c->palette;
    w->colouring = c->colouring_set ? c->colouring : rnd_colouring_default (job->view.fractal);
    snprintf (w->params, sizeof w->params, "%s", job->params);
    w->path = c->out_path;
    w->job = job->id;
    w->own = st.own;
    w->total = st.total;
    /* Busy until now: finished slices, and the time already spent on those
     * still running (a slow peer mid-slice when the job completes was
     * working all along, if on a duplicate). */
    w->busy_s = c->job_busy_s + app_peer_render_busy_now_s (c->render, job->id);
    w->failed = 0;
    w->err[0] = '\0';
    atomic_store (&w->finished, 0);
    if (!w->pixels) {
        snprintf (w->err, sizeof w->err, "out of memory for a %dx%d image", w->width_px,
                  w->height_px);
        w->failed = 1;
        s_writer_report (c);
        return;
    }
    memcpy (w->pixels, el_peer_pixels (c->peer), npix * sizeof *w->pixels);
    if (pthread_create (&w->tid, NULL, s_writer_run, w) == 0) {
        w->running = 1;
    } else {
        /* No thread to be had: write here, the loop waits this once. */
        s_writer_run (w);
        s_writer_report (c);
    }
}
