/* events.c: what the peer says about each overlay and job event -- a line
 * on stderr, a JSON Lines record, a ticker line or a slice's state in the
 * window -- and the driver callbacks that carry out what the cores ask.
 *
 * The progress line and the transport's refusals are reported here too:
 * the loop (loop.c) decides when, this file what is said. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "hooks.h"
#include "peer_ctx.h"
#include "preview.h"

uint64_t
app_peer_unix_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* One human line on stderr, prefixed with who says it. */
static int s_progress_open;        /* a progress line is in place on the terminal */
static char s_progress_last[1024]; /* the last progress line */

/* End an in-place progress line, so that the next line starts below. */
static void
s_progress_end (void)
{
    if (s_progress_open) {
        fputc ('\n', stderr);
        s_progress_open = 0;
    }
}

void
app_peer_say (const app_peer_ctx_t *c, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (line, sizeof line, fmt, ap);
    va_end (ap);
    s_progress_end ();
    fprintf (stderr, "p2pfractal: peer %s: %s\n", c->short_id, line);
}

/* The progress line, about once a second. On a terminal it is rewritten
 * in place (carriage return, erase to the end of the line) and the next
 * other line starts below it; into a file or a pipe it is written only
 * when it changed (a finished job's line once, not once a second for
 * ever). Only the loop's thread reports. */
static void s_progress (const app_peer_ctx_t *c, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_progress (const app_peer_ctx_t *c, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (line, sizeof line, fmt, ap);
    va_end (ap);
    if (isatty (STDERR_FILENO)) {
        fprintf (stderr, "\rp2pfractal: peer %s: %s\033[K", c->short_id, line);
        fflush (stderr);
        s_progress_open = 1;
    } else if (strcmp (line, s_progress_last) != 0) {
        fprintf (stderr, "p2pfractal: peer %s: %s\n", c->short_id, line);
    }
    snprintf (s_progress_last, sizeof s_progress_last, "%s", line);
}

/* A JSON line: begin with t, node and event; the caller adds fields and
 * calls app_jsonlog_end. */
app_jsonlog_t *
app_peer_json (const app_peer_ctx_t *c, const char *event)
{
    app_jsonlog_begin (c->log, app_peer_unix_ms (), c->hex, event);
    return c->log;
}

void
app_peer_json_id (app_jsonlog_t *log, const char *key, ovl_id_t id)
{
    char hex[OVL_ID_HEX_LEN + 1];
    ovl_id_hex (id, hex);
    app_jsonlog_str (log, key, hex);
}

/* --- overlay upcalls ----------------------------------------------------- */

static void
s_send (void *ctx, const ovl_handle_t *to, const uint8_t *bytes, size_t len)
{
    app_peer_ctx_t *c = ctx;
    if (ovl_transport_send (c->transport, to->addr, bytes, len) != 0 && errno == EMFILE &&
        !c->warned_peer_cap) {
        c->warned_peer_cap = 1;
        app_peer_say (
            c, "cannot open more peer connections (%zu open); dropping messages to new peers",
            ovl_transport_peer_count (c->transport));
    }
}

static void
s_joined (void *ctx, int hops)
{
    app_peer_ctx_t *c = ctx;
    app_peer_say (c, "joined the ring (%d hop%s)", hops, app_plural_s ((unsigned)hops));
    app_jsonlog_u64 (app_peer_json (c, "joined"), "hops", (uint64_t)(hops < 0 ? 0 : hops));
    app_jsonlog_end (c->log);
    /* The first join ends the watch on the bootstrap's handshakes. */
    if (!el_stack_started (c->stack))
        ovl_transport_watch (c->transport, NULL);
}

static void
s_node_up (void *ctx, const ovl_handle_t *h)
{
    app_peer_ctx_t *c = ctx;
    char id[OVL_ID_SHORT_LEN + 1];
    ovl_id_short (h->id, id);
    app_peer_say (c, "peer %s up (%s)", id, h->addr);
    app_jsonlog_t *log = app_peer_json (c, "peer_up");
    app_peer_json_id (log, "peer", h->id);
    app_jsonlog_str (log, "endpoint", h->addr);
    app_jsonlog_end (log);
    if (c->view) {
        app_peer_view_host (c->view, h->id, h->addr);
        app_peer_view_tick (c->view, app_peer_unix_ms (), "peer %s up", id);
    }
}

/* A crash: silent for silent_ms, the failure detector's measure. */
static void
s_node_lost (void *ctx, const ovl_handle_t *h, uint64_t silent_ms)
{
    app_peer_ctx_t *c = ctx;
    char id[OVL_ID_SHORT_LEN + 1];
    ovl_id_short (h->id, id);
    app_peer_say (c, "peer %s lost (%s): silent for %.2f s", id, h->addr,
                  (double)silent_ms / 1000.0);
    app_jsonlog_t *log = app_peer_json (c, "peer_lost");
    app_peer_json_id (log, "peer", h->id);
    app_jsonlog_str (log, "endpoint", h->addr);
    app_jsonlog_u64 (log, "silent_ms", silent_ms);
    app_jsonlog_end (log);
    if (c->view) {
        uint64_t t = app_peer_unix_ms ();
        app_peer_view_tick (c->view, t, "peer %s lost (silent %.1f s)", id,
                            (double)silent_ms / 1000.0);
        app_peer_view_failure (c->view, t, 0, "peer %s lost (silent %.1f s)", id,
                               (double)silent_ms / 1000.0);
    }
    ovl_transport_forget (c->transport, h->addr);
}

/* A goodbye: q, SIGTERM or --exit-when-done on that peer. */
static void
s_node_left (void *ctx, const ovl_handle_t *h)
{
    app_peer_ctx_t *c = ctx;
    char id[OVL_ID_SHORT_LEN + 1];
    ovl_id_short (h->id, id);
    app_peer_say (c, "peer %s left (%s)", id, h->addr);
    app_jsonlog_t *log = app_peer_json (c, "peer_left");
    app_peer_json_id (log, "peer", h->id);
    app_jsonlog_str (log, "endpoint", h->addr);
    app_jsonlog_end (log);
    if (c->view)
        app_peer_view_tick (c->view, app_peer_unix_ms (), "peer %s left", id);
    ovl_transport_forget (c->transport, h->addr);
}

/* --- job-protocol callbacks --------------------------------------------- */

static void
s_el_render (void *ctx, const el_job_t *job, uint32_t slice)
{
    app_peer_ctx_t *c = ctx;
    /* Without memory for a queue entry the slice is simply not rendered
     * here; the master hands it out again after every other slice. */
    if (app_peer_render_queue (c->render, job, slice) != 0)
        app_peer_say (c, "out of memory queueing slice %u", slice);
    else if (c->view)
        app_peer_view_slice_state (c->view, job->id, slice, APP_SLICE_RENDERING);
}

static void
s_el_drop_renders (void *ctx, ovl_id_t keep)
{
    app_peer_ctx_t *c = ctx;
    app_peer_render_drop (c->render, keep);
}

static int
s_el_check (void *ctx, const el_job_t *job, uint64_t token, const rnd_xy_t *px, size_t n)
{
    app_peer_ctx_t *c = ctx;
    return app_peer_render_check (c->render, job, token, px, n, 0);
}

/* A window shows the job's coarse preview (app/window/preview.h) where no
 * tile is yet: its samples go to the render threads as background checks
 * (lists of APP_PREVIEW_CHUNK pixels, tokens marked APP_PREVIEW_TOKEN),
 * queued before any slice of the job, so they ride along its first tiles
 * or go to the checker thread at once. A headless peer computes none.
 * Every window computes its own, so its cost is capped by the peer's
 * share of the job (app_preview_budget): in a big swarm the coarser
 * passes only. */
static void
s_queue_preview (app_peer_ctx_t *c, const el_job_t *job)
{
    app_preview_t *pv = app_preview_new (job->view.width_px, job->view.height_px);
    if (!pv)
        return; /* the window shows the tiles alone */
    size_t n = app_preview_budget (pv, ovl_node_known_count (c->node) + 1);
    const rnd_xy_t *px = app_preview_px (pv);
    /* An anti-aliased job renders on its K-times sample grid: a block's
     * sample is the sub-pixel nearest its pixel's centre. */
    int k_grid = job->view.samples > 1 ? job->view.samples : 1;
    rnd_xy_t *grid = NULL;
    if (k_grid > 1) {
        grid = malloc (n * sizeof *grid);
        if (!grid) {
            app_preview_destroy (&pv);
            return;
        }
        for (size_t i = 0; i < n; i++)
            grid[i] = (rnd_xy_t){ px[i].x * k_grid + k_grid / 2, px[i].y * k_grid + k_grid / 2 };
        px = grid;
    }
    for (size_t first = 0; first < n; first += APP_PREVIEW_CHUNK) {
        size_t k = n - first < APP_PREVIEW_CHUNK ? n - first : APP_PREVIEW_CHUNK;
        if (app_peer_render_check (c->render, job, APP_PREVIEW_TOKEN | first, px + first, k, 1) !=
            0)
            break;
    }
    free (grid);
    app_preview_destroy (&pv);
}

static void
s_on_job_started (app_peer_ctx_t *c, const el_job_t *job)
{
    char id[OVL_ID_SHORT_LEN + 1], by[OVL_ID_SHORT_LEN + 8] = "?";
    ovl_id_short (job->id, id);
    if (job->has_origin)
        ovl_id_short (job->origin, by);
    if (job->has_origin && ovl_id_eq (job->origin, c->self.id))
        snprintf (by, sizeof by, "this peer");
    /* Who started it, and where it looks: what a zoom changed. A deep
     * width is its text (its double may be 0). */
    char width[RND_WIDTH_TEXT_MAX];
    const char *wt = rnd_view_width_text (&job->view);
    char aa[48] = "";
    if (job->view.samples > 1)
        snprintf (aa, sizeof aa, " of %dx%d samples", job->view.samples, job->view.samples);
    if (wt && !(job->view.width >= 1e-300))
        snprintf (width, sizeof width, "%s", wt);
    else
        snprintf (width, sizeof width, "%.6g", job->view.width);
    app_peer_say (c,
                  "job %s started by %s: %s %dx%d%s, centre %.17g,%.17g, width %s, %d "
                  "iteration%s, %u slice%s",
                  id, by, rnd_fractal_name (job->view.fractal), job->view.width_px,
                  job->view.height_px, aa, job->view.center_re, job->view.center_im, width,
                  job->view.max_iter, app_plural_s ((unsigned)job->view.max_iter), job->slices,
                  app_plural_s (job->slices));
    app_jsonlog_t *log = app_peer_json (c, "job_started");
    app_peer_json_id (log, "job", job->id);
    if (job->has_origin)
        app_peer_json_id (log, "by", job->origin);
    app_jsonlog_num (log, "center_re", job->view.center_re);
    app_jsonlog_num (log, "center_im", job->view.center_im);
    app_jsonlog_num (log, "width", job->view.width);
    app_jsonlog_u64 (log, "slices", job->slices);
    app_jsonlog_u64 (log, "stamp", job->stamp);
    app_jsonlog_str (log, "spec", job->params);
    app_jsonlog_end (log);
    c->busy_job = job->id;
    c->job_busy_s = 0.0;
    c->has_elect = 0; /* terms are per job: a new job's term 1 is news */
    c->done_pending = 0;
    c->rate_n = 0;
    c->rate = 0.0;
    if (c->view) {
        if (app_peer_view_job (c->view, job) != 0)
            app_peer_say (c, "out of memory for the window's copy of the image");
        else if (!app_peer_hook_no_preview ())
            s_queue_preview (c, job);
        app_peer_view_tick (c->view, app_peer_unix_ms (), "job %s by %s: centre %.6g,%.6g width %s",
                            id, by, job->view.center_re, job->view.center_im, width);
    }
    /* The palette travels by name: a peer without it still renders and
     * serves slices; only its own PNG falls back to the default colours. */
    char err[512];
    const char *name = job->view.palette;
    /* A job from the network names a palette file only as a bare asset
     * name: a path (anything with '/' or ending in .map) is opened only if
     * this peer's own command line named it. Otherwise any peer could make
     * every other open /dev/stdin or a FIFO, and block its loop. */
    size_t len = strlen (name);
    int is_path = strchr (name, '/') || (len >= 4 && strcmp (name + len - 4, ".map") == 0);
    if (is_path && strcmp (name, c->own_palette) != 0) {
        app_peer_say (c,
                      "palette '%s' is a path on another machine; the PNG will use the default "
                      "palette",
                      name);
        name = "default";
    }
    if (rnd_palette_load (&c->palette, name, err, sizeof err) != 0) {
        app_peer_say (c, "%s; the PNG will use the default palette", err);
        if (rnd_palette_load (&c->palette, "default", err, sizeof err) != 0) {
            app_peer_say (c, "%s; the PNG will be grey", err);
            for (int i = 0; i < RND_PALETTE_ENTRIES; i++)
                c->palette.rgb[i][0] = c->palette.rgb[i][1] = c->palette.rgb[i][2] = (uint8_t)i;
        }
    }
}

static void
s_on_role (app_peer_ctx_t *c, int master, int root)
{
    if (master != c->master)
        app_peer_say (c, master ? "now master" : "no longer master");
    if (root != c->root)
        app_peer_say (c, root ? "now root of the job's tree" : "no longer root of the job's tree");
    c->master = master;
    c->root = root;
    app_jsonlog_t *log = app_peer_json (c, "role");
    app_jsonlog_bool (log, "master", master);
    app_jsonlog_bool (log, "root", root);
    app_jsonlog_end (log);
}

/* A reason that says the old master left on purpose. */
static int
s_is_handover (const char *reason)
{
    return strncmp (reason, "handover", 8) == 0;
}

/* A new master: one stderr line, one JSON line, one ticker line -- once
 * per term, and the same words on every peer (the cause, the master
 * replaced and the time come from the arbiter's message, not from what
 * this peer happened to see). */
static void
s_on_elected (app_peer_ctx_t *c, const el_event_t *ev)
{
    if (c->has_elect && c->elect_term == ev->term && ovl_id_eq (c->elect_by, ev->elector))
        return; /* told again (a peer that missed it asked) */
    c->has_elect = 1;
    c->elect_term = ev->term;
    c->elect_by = ev->elector;
    c->elect_has_prev = ev->has_previous;
    c->elect_prev = ev->previous;
    const char *reason = ev->reason ? ev->reason : "?";
    snprintf (c->elect_reason, sizeof c->elect_reason, "%s", reason);
    char id[OVL_ID_SHORT_LEN + 1], by[OVL_ID_SHORT_LEN + 1], prev[OVL_ID_SHORT_LEN + 1] = "";
    char was[48] = "", after[64] = "";
    ovl_id_short (ev->peer.id, id);
    ovl_id_short (ev->elector, by);
    if (ev->has_previous) {
        ovl_id_short (ev->previous, prev);
        snprintf (was, sizeof was, ", replacing %s", prev);
    }
    if (ev->took_ms)
        snprintf (after, sizeof after, ", %llu ms after %s", (unsigned long long)ev->took_ms,
                  s_is_handover (reason) ? "its hand-over" : "it fell silent");
    app_peer_say (c, "master %s elected for term %llu by %s (%s)%s%s", id,
                  (unsigned long long)ev->term, by, reason, was, after);
    app_jsonlog_t *log = app_peer_json (c, "master_elected");
    app_jsonlog_u64 (log, "term", ev->term);
    app_peer_json_id (log, "elector", ev->elector);
    app_peer_json_id (log, "master", ev->peer.id);
    if (ev->has_previous)
        app_peer_json_id (log, "previous", ev->previous);
    app_jsonlog_str (log, "reason", reason);
    app_jsonlog_u64 (log, "took_ms", ev->took_ms);
    app_jsonlog_end (log);
    if (!c->view)
        return;
    uint64_t t = app_peer_unix_ms ();
    if (strcmp (reason, "start") != 0)
        app_peer_view_election (c->view);
    if (strcmp (reason, "start") == 0)
        app_peer_view_tick (c->view, t, "master %s starts the job", id);
    else if (s_is_handover (reason) && ev->has_previous)
        app_peer_view_tick (c->view, t, "master %s handed over to %s, term %llu", prev, id,
                            (unsigned long long)ev->term);
    else if (ev->has_previous && ev->took_ms)
        app_peer_view_tick (c->view, t, "master %s lost \u2014 %s elected, term %llu", prev, id,
                            (unsigned long long)ev->term);
    else
        app_peer_view_tick (c->view, t, "master %s, term %llu (%s)", id,
                            (unsigned long long)ev->term, reason);
}

/* The new master's first assignment: the recovery time, measured by the
 * new master and carried in its heartbeats, so every peer says the same. */
static void
s_on_took_over (app_peer_ctx_t *c, const el_event_t *ev)
{
    char id[OVL_ID_SHORT_LEN + 1], prev[OVL_ID_SHORT_LEN + 1] = "?";
    ovl_id_short (ev->peer.id, id);
    int same = c->has_elect && c->elect_term == ev->term && ovl_id_eq (c->elect_by, ev->elector);
    if (same && c->elect_has_prev)
        ovl_id_short (c->elect_prev, prev);
    app_peer_say (c, "master %s took over term %llu: first assignment %llu ms after %s %s", id,
                  (unsigned long long)ev->term, (unsigned long long)ev->took_ms, prev,
                  same && s_is_handover (c->elect_reason) ? "handed over" : "fell silent");
    app_jsonlog_t *log = app_peer_json (c, "took_over");
    app_jsonlog_u64 (log, "term", ev->term);
    app_peer_json_id (log, "master", ev->peer.id);
    if (same && c->elect_has_prev)
        app_peer_json_id (log, "previous", c->elect_prev);
    app_jsonlog_u64 (log, "took_ms", ev->took_ms);
    app_jsonlog_end (log);
    if (!c->view)
        return;
    int handover = same && s_is_handover (c->elect_reason);
    uint64_t t = app_peer_unix_ms ();
    app_peer_view_tick (c->view, t, "%s took over %.2f s after %s %s", id,
                        (double)ev->took_ms / 1000.0, prev,
                        handover ? "handed over" : "fell silent");
    /* A hand-over is no failure; a silent master is, and this is its
     * recovery. */
    if (!handover)
        app_peer_view_failure (c->view, t, ev->took_ms, "master %s fell silent, %s took over", prev,
                               id);
}

static void
s_el_event (void *ctx, const el_event_t *ev)
{
    app_peer_ctx_t *c = ctx;
    app_jsonlog_t *log;
    char id[OVL_ID_SHORT_LEN + 1], by[OVL_ID_SHORT_LEN + 1];
    switch (ev->kind) {
    case EL_EV_JOB_STARTED:
        s_on_job_started (c, ev->job);
        break;
    case EL_EV_ROLE:
        s_on_role (c, ev->master, ev->root);
        break;
    case EL_EV_MASTER_ELECTED:
        s_on_elected (c, ev);
        break;
    case EL_EV_TOOK_OVER:
        s_on_took_over (c, ev);
        break;
    case EL_EV_SLICE_ASSIGNED:
        log = app_peer_json (c, "slice_assigned");
        app_jsonlog_u64 (log, "slice", ev->slice);
        app_peer_json_id (log, "to", ev->peer.id);
        app_jsonlog_end (log);
        break;
    case EL_EV_SLICE_DONE:
        log = app_peer_json (c, "slice_done");
        app_jsonlog_u64 (log, "slice", ev->slice);
        app_peer_json_id (log, "by", ev->peer.id);
        app_jsonlog_end (log);
        if (c->view)
            app_peer_view_slice_done (c->view, ev->job->id, ev->slice, ev->peer.id,
                                      el_peer_pixels (c->peer));
        break;
    case EL_EV_SLICE_REJECTED:
        /* Once per sender and job: the core ignores it from then on. */
        ovl_id_short (ev->peer.id, id);
        ovl_id_short (ev->elector, by);
        app_peer_say (
            c,
            "slice %u from %s (computed by %s, it says) failed its check (%s): dropped, and "
            "%s is ignored for the rest of this job",
            ev->slice, id, by, ev->reason, id);
        log = app_peer_json (c, "slice_rejected");
        app_jsonlog_u64 (log, "slice", ev->slice);
        app_peer_json_id (log, "from", ev->peer.id);
        app_peer_json_id (log, "by", ev->elector);
        app_jsonlog_str (log, "reason", ev->reason);
        app_jsonlog_end (log);
        if (c->view)
            app_peer_view_tick (c->view, app_peer_unix_ms (), "slice %u from %s: %s: ignored",
                                ev->slice, id, ev->reason);
        break;
    case EL_EV_JOB_DONE:
        /* Written once the core call returns: colouring and compressing a
         * large image is no work to do under the core's feet. */
        c->done_pending = 1;
        c->done_job = ev->job->id;
        break;
    }
}

void
app_peer_events_driver (app_peer_ctx_t *c, el_stack_driver_t *drv)
{
    *drv = (el_stack_driver_t){
        .ctx = c,
        .send = s_send,
        .render = s_el_render,
        .drop_renders = s_el_drop_renders,
        .check = s_el_check,
        .event = s_el_event,
        .joined = s_joined,
        .node_up = s_node_up,
        .node_lost = s_node_lost,
        .node_left = s_node_left,
    };
}

/* --- reports -------------------------------------------------------------- */

/* Who the transport refused: once per source a minute (it keeps trying). */
void
app_peer_report_refusals (app_peer_ctx_t *c)
{
    ovl_transport_refusal_t r;
    while (ovl_transport_next_refusal (c->transport, &r)) {
        const char *why = ovl_transport_refusal_text (c->transport, r.why);
        app_peer_say (c, "refused %s: %s (%llu attempt%s; said again in a minute at most)",
                      r.source, why, (unsigned long long)r.attempts, r.attempts == 1 ? "" : "s");
        app_jsonlog_t *log = app_peer_json (c, "refused");
        app_jsonlog_str (log, "source", r.source);
        app_jsonlog_str (log, "why", why);
        app_jsonlog_u64 (log, "attempts", r.attempts);
        app_jsonlog_end (log);
    }
}

/* Handshakes with the bootstrap that end in a hang-up, in a row, before we
 * give up: one could be a peer dying mid-handshake; ten, 0.1 s apart, are
 * a refusal. (A mechanism mismatch, definitive, is often seen as a hang-up
 * first: the other side closes before our greeting is read. Waiting for
 * ten lets the definitive event, which names the cause, come through.) */
#define S_JOIN_REFUSED_AFTER 10

/* 1 (and said why) if the peer we join through refuses our handshakes:
 * another network key, or one of us has none. */
int
app_peer_join_refused (app_peer_ctx_t *c)
{
    ovl_refusal_t why;
    int final = 0;
    const char *via = NULL;
    unsigned failed = ovl_transport_watch_failures (c->transport, &why, &final, &via);
    if (!final && failed < S_JOIN_REFUSED_AFTER)
        return 0;
    int keyed = ovl_transport_keyed (c->transport);
    const char *text =
        why == OVL_REFUSED_MECHANISM && keyed
            ? "it runs an open network (no --key), and this peer has a key"
        : why == OVL_REFUSED_MECHANISM
            ? "it runs a closed network: start this peer with --key and the "
              "network's key file"
        : why == OVL_REFUSED_CRYPTO
            ? "it hangs up on our CURVE handshake: it holds another network key, or none"
        : keyed ? "it refuses our handshake"
                /* Keyless, a p2pfractal peer hangs up on us only if it runs
                 * a closed network: its mismatch event raced our read of
                 * the hang-up. */
                : "it runs a closed network (it hangs up on our handshake): start this "
                  "peer with --key and the network's key file";
    /* The address that refused, as --join names it. */
    const char *through = via && strncmp (via, "tcp://", 6) == 0 ? via + 6 : c->join;
    app_peer_say (c, "cannot join through %s: %s", through, text);
    app_jsonlog_t *log = app_peer_json (c, "join_refused");
    app_jsonlog_str (log, "through", through);
    app_jsonlog_str (log, "why", text);
    app_jsonlog_end (log);
    return 1;
}

void
app_peer_progress (app_peer_ctx_t *c)
{
    el_status_t st;
    el_peer_status (c->peer, &st);
    size_t known = ovl_node_known_count (c->node);
    if (c->lan_looking) {
        s_progress (c, "looking for peers of network %s on the LAN (%s), %llu s", c->network,
                    c->lan_host, (unsigned long long)((c->now_ms - c->lan_since_ms) / 1000));
        return;
    }
    if (!el_stack_started (c->stack) && c->join) {
        const char *via = NULL;
        unsigned failed = ovl_transport_watch_failures (c->transport, NULL, NULL, &via);
        if (failed > 0) {
            /* Not "no answer": it answers, and hangs up (told why soon). */
            s_progress (c, "not joined yet: %s cut %u handshake%s short",
                        strncmp (via, "tcp://", 6) == 0 ? via + 6 : via, failed,
                        failed == 1 ? "" : "s");
            return;
        }
        s_progress (c,
                    "not joined yet: no answer through %s for %llu s (is a peer running there, and "
                    "reachable from here? see --bind/--advertise)",
                    c->join, (unsigned long long)((c->now_ms - c->join_since_ms) / 1000));
        return;
    }
    if (!st.has_job) {
        s_progress (c, "waiting for a job, %zu peer%s known", known, app_plural_s (known));
        return;
    }
    char master[OVL_ID_SHORT_LEN + 1] = "none";
    if (st.has_master)
        ovl_id_short (st.master.id, master);
    const char *role = st.is_master && st.is_root ? "master+root"
                       : st.is_master             ? "master"
                       : st.is_root               ? "root"
                                                  : "worker";
    s_progress (c, "%u/%u slices, %zu peer%s, master %s term %llu%s, own %u, %s", st.done, st.total,
                known, app_plural_s (known), master, (unsigned long long)st.term,
                st.electing ? " (electing)" : "", st.own, role);
}
