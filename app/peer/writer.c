/* writer.c: the finished image, coloured and written as a PNG on a thread
 * of its own, so the loop thread keeps its heartbeats while it compresses. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "outname.h"
#include "peer_ctx.h"
#include "png_io.h"
#include "samples.h"
#include "slice.h"

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
        rnd_colourise_rect (&w->palette, w->colouring, w->pixels, w->width_px, w->samples,
                            (rnd_rect_t){ 0, 0, w->width_px, w->height_px }, rgb);
        w->failed = rnd_png_write_rgb (w->path, rgb, w->width_px, w->height_px, w->params, w->err,
                                       sizeof w->err) != 0;
        free (rgb);
    }
    if (w->failed && w->claimed)
        unlink (w->path); /* the name we claimed, still empty */
    free (w->pixels);
    w->pixels = NULL;
    atomic_store (&w->finished, 1);
    return NULL;
}

/* Remember an image written, for the closing line. */
static void
s_note_image (app_peer_ctx_t *c, const char *path)
{
    size_t len = strlen (c->images_said), room = sizeof c->images_said - len;
    if (!strstr (c->images_said, path) && !strstr (c->images_said, "...") && room > 1)
        snprintf (c->images_said + len, room, "%s%s", len ? ", " : "",
                  strlen (path) + 6 < room ? path : "...");
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
        s_note_image (c, w->path);
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

/* Where job's image goes: -o for the first image this peer writes; a
 * later job's gets a name of its own, <stem>-2.png, -3, ... (the first
 * that does not exist), so a zoom never overwrites a finished image. The
 * same job written again (it was recomputed) keeps its name. 0, or -1 with
 * w->err set. */
static int
s_image_path (app_peer_ctx_t *c, ovl_id_t job, app_peer_writer_t *w)
{
    w->claimed = 0;
    if (c->has_image_job && ovl_id_eq (c->image_job, job)) {
        snprintf (w->path, sizeof w->path, "%s", c->image_path);
        return 0;
    }
    if (c->images == 0) {
        snprintf (w->path, sizeof w->path, "%s", c->out_path);
    } else if (app_outname_claim (c->out_stem, "", 2, w->path, sizeof w->path) == 0) {
        w->claimed = 1;
    } else {
        snprintf (w->err, sizeof w->err, "cannot claim a name for its image (%.300s): %s", w->path,
                  strerror (errno));
        return -1;
    }
    c->images++;
    c->has_image_job = 1;
    c->image_job = job;
    snprintf (c->image_path, sizeof c->image_path, "%s", w->path);
    return 0;
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
    /* One write at a time: the writer has one set of buffers. Two jobs
     * finishing within one write is rare. */
    app_peer_writer_reap (c, 1);
    app_peer_writer_t *w = &c->writer;
    el_status_t st;
    el_peer_status (c->peer, &st);
    size_t npix = el_job_values (job);
    w->pixels = malloc (npix * sizeof *w->pixels);
    w->width_px = job->view.width_px;
    w->height_px = job->view.height_px;
    w->samples = job->view.samples;
    w->palette = c->palette;
    w->colouring = c->colouring_set ? c->colouring : rnd_colouring_default (job->view.fractal);
    snprintf (w->params, sizeof w->params, "%s", job->params);
    w->job = job->id;
    w->own = st.own;
    w->total = st.total;
    /* Busy until now: finished slices, and the time already spent on those
     * still running (a slow peer mid-slice when the job completes was
     * working all along, if on a duplicate). */
    w->busy_s = c->job_busy_s + app_peer_render_busy_now_s (c->render, job->id);
    w->failed = 0;
    w->err[0] = '\0';
    if (!w->pixels)
        snprintf (w->err, sizeof w->err, "out of memory for a %dx%d image", w->width_px,
                  w->height_px);
    if (!w->pixels || s_image_path (c, job->id, w) != 0) {
        free (w->pixels);
        w->pixels = NULL;
        w->failed = 1;
        s_writer_report (c);
        return;
    }
    atomic_store (&w->finished, 0);
    memcpy (w->pixels, el_peer_pixels (c->peer), npix * sizeof *w->pixels);
    if (pthread_create (&w->tid, NULL, s_writer_run, w) == 0) {
        w->running = 1;
    } else {
        /* No thread to be had: write here, the loop waits this once. */
        s_writer_run (w);
        s_writer_report (c);
    }
}

/* Leaving with the current job unfinished here: say so; if no other peer
 * is known to carry it on, the slices here would be lost with us -- write
 * them to <stem>.partial.png (missing slices grey, the job's parameters
 * as the Comment, so `render --params` can finish it). Written here, on
 * the loop thread: the peer is leaving, nothing waits for it. */
void
app_peer_write_partial (app_peer_ctx_t *c)
{
    const el_job_t *job = el_peer_job (c->peer);
    el_status_t st;
    el_peer_status (c->peer, &st);
    if (!job || st.done >= st.total)
        return;
    char id[OVL_ID_SHORT_LEN + 1];
    ovl_id_short (job->id, id);
    size_t others = ovl_node_known_count (c->node);
    if (others > 0) {
        app_peer_say (c,
                      "job %s unfinished here (%u of %u slices): no image written; %zu other "
                      "peer%s carr%s it on",
                      id, st.done, st.total, others, others == 1 ? "" : "s",
                      others == 1 ? "ies" : "y");
        return;
    }
    if (st.done == 0) {
        app_peer_say (c,
                      "job %s unfinished, no slice of it here and no other peer known: no "
                      "image to save",
                      id);
        return;
    }
    char path[APP_PEER_PATH_MAX], err[600];
    size_t npix = (size_t)job->view.width_px * (size_t)job->view.height_px;
    uint8_t *rgb = malloc (npix * 3);
    if (!rgb) {
        snprintf (err, sizeof err, "out of memory for a %dx%d image", job->view.width_px,
                  job->view.height_px);
    } else if (app_outname_claim (c->out_stem, ".partial", 0, path, sizeof path) != 0) {
        snprintf (err, sizeof err, "cannot claim %.300s: %s", path, strerror (errno));
    } else {
        rnd_colouring_t mode =
            c->colouring_set ? c->colouring : rnd_colouring_default (job->view.fractal);
        memset (rgb, APP_PEER_MISSING_GREY, npix * 3);
        const float *px = el_peer_pixels (c->peer);
        for (uint32_t k = 0; k < job->slices; k++) {
            if (!el_peer_slice_done (c->peer, k, NULL))
                continue;
            /* The tile in pixels (el_job_slice_rect's is in sub-pixels). */
            rnd_rect_t r =
                rnd_slice_rect (job->view.width_px, job->view.height_px, (int)job->slices, (int)k);
            rnd_colourise_rect (&c->palette, mode, px, job->view.width_px, job->view.samples, r,
                                rgb);
        }
        if (rnd_png_write_rgb (path, rgb, job->view.width_px, job->view.height_px, job->params, err,
                               sizeof err) == 0) {
            free (rgb);
            app_peer_say (c,
                          "job %s unfinished (%u of %u slices) and no other peer known to "
                          "carry it on: saved what is here to %s (missing slices grey)",
                          id, st.done, st.total, path);
            s_note_image (c, path);
            app_jsonlog_t *log = app_peer_json (c, "partial");
            app_peer_json_id (log, "job", job->id);
            app_jsonlog_str (log, "file", path);
            app_jsonlog_u64 (log, "done", st.done);
            app_jsonlog_u64 (log, "slices", st.total);
            app_jsonlog_end (log);
            return;
        }
        unlink (path);
    }
    free (rgb);
    c->write_failed = 1;
    app_peer_say (c,
                  "job %s unfinished (%u of %u slices), no other peer known, and its partial "
                  "image could not be saved: %s",
                  id, st.done, st.total, err);
}
