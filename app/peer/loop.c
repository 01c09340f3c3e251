/* loop.c: the peer's event loop -- sleep until the nearest deadline,
 * a message, a finished slice or a window command; feed the cores; tick
 * them when due; leave gracefully.
 *
 * One thread, the loop thread, owns the transport, the node, the peer and
 * the logs. The render threads touch no protocol state, so heartbeats and
 * probes go out on time however long a slice takes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "cli.h"
#include "peer_ctx.h"
#include "preview.h"
#include "prune.h"

/* The longest the loop sleeps: bounds how late it notices a signal. */
#define S_POLL_MAX_MS 100
/* Messages handled per pass before timers and renders get their turn. */
#define S_DRAIN_MAX_MSGS 1000
/* How often the progress line is printed. */
#define S_PROGRESS_MS 1000
/* How long the loop runs after a graceful leave, so the hand-over and the
 * returned slices go out (and their hops are acknowledged). */
#define S_LEAVE_MS 300
/* Then the overlay's goodbyes go out, and the sockets stay open this
 * long more, so they leave the machine (every socket closes with LINGER
 * 0: a message still queued then is dropped). */
#define S_DEPART_MS 100

/* Close connections to nodes that left the state, but keep the master's:
 * a worker talks to it without it being a neighbour. */
static void
s_prune (app_peer_ctx_t *c)
{
    el_status_t st;
    el_peer_status (c->peer, &st);
    app_prune_connections (c->transport, c->node,
                           st.has_master && !st.is_master ? &st.master : NULL);
}

/* Feed every finished slice to the core. */
static void
s_take_renders (app_peer_ctx_t *c)
{
    app_peer_result_t r;
    while (app_peer_render_take (c->render, &r) == 0) {
        if (ovl_id_eq (r.job, c->busy_job))
            c->job_busy_s += r.busy_s;
        app_jsonlog_t *log = app_peer_json (c, "slice_rendered");
        app_peer_json_id (log, "job", r.job);
        app_jsonlog_u64 (log, "slice", r.slice);
        app_jsonlog_num (log, "busy_s", r.busy_s);
        app_jsonlog_end (log);
        if (r.ref_s > 0.0) {
            /* This thread computed the job's reference orbit. */
            log = app_peer_json (c, "reference");
            app_peer_json_id (log, "job", r.job);
            app_jsonlog_u64 (log, "bits", (uint64_t)r.ref_bits);
            app_jsonlog_num (log, "seconds", r.ref_s);
            app_jsonlog_end (log);
        }
        c->now_ms = app_now_ms ();
        if (r.has_ref) {
            if (c->test_corrupt == 2) /* another orbit, the same pixels */
                r.ref_hash[0] ^= 1;
            el_stack_reference (c->stack, c->now_ms, r.job, r.ref_hash);
        }
        if (c->test_corrupt == 1)
            for (size_t i = 0; i < r.n; i++) /* wrong, and still values a kernel produces */
                r.pixels[i] = r.pixels[i] < 0.0f ? 1.5f : r.pixels[i] + 1.0f;
        el_stack_rendered (c->stack, c->now_ms, r.job, r.slice, r.pixels, r.n);
        free (r.pixels);
        /* Done by now if the core took it; else it is no longer held. */
        if (c->view)
            app_peer_view_slice_state (c->view, r.job, r.slice, APP_SLICE_MISSING);
        app_peer_write_done (c);
    }
    app_peer_check_t k;
    while (app_peer_render_take_check (c->render, &k) == 0) {
        c->now_ms = app_now_ms ();
        if (k.token & APP_PREVIEW_TOKEN) { /* the window's preview, not the core's */
            size_t first = (size_t)(k.token & ~APP_PREVIEW_TOKEN);
            if (c->view && app_peer_view_preview (c->view, k.job, first, k.values, k.n)) {
                /* The whole picture shows (coarse): when, for tests and
                 * bench/preview.sh. */
                app_jsonlog_t *log = app_peer_json (c, "preview");
                app_peer_json_id (log, "job", k.job);
                app_jsonlog_u64 (log, "samples", first + k.n);
                app_jsonlog_end (log);
            }
            free (k.values);
            continue;
        }
        if (k.has_ref) {
            if (c->test_corrupt == 2)
                k.ref_hash[0] ^= 1;
            el_stack_reference (c->stack, c->now_ms, k.job, k.ref_hash);
        }
        el_stack_on_checked (c->stack, c->now_ms, k.token, k.values, k.n);
        free (k.values);
        app_peer_write_done (c);
    }
}

/* A window command: a zoom starts a new job for everyone, q leaves. */
static void
s_take_commands (app_peer_ctx_t *c)
{
    app_view_cmd_t cmd;
    while (app_peer_view_take_cmd (c->view, &cmd) == 0) {
        if (cmd.kind == APP_VIEW_CMD_LEAVE) {
            c->leave_now = 1;
            continue;
        }
        if (c->leave_now)
            continue; /* a zoom just before q: this peer will not see it through */
        const el_job_t *job = el_peer_job (c->peer);
        char err[512];
        c->now_ms = app_now_ms ();
        if (el_stack_new_job (c->stack, c->now_ms, &cmd.view, job ? (int)job->slices : 0,
                              app_peer_unix_ms (), err, sizeof err) != 0) {
            app_peer_say (c, "zoom refused: %s", err);
            app_peer_view_tick (c->view, app_peer_unix_ms (), "zoom refused: %s", err);
        } else {
            app_peer_say (c, "zoomed: a new job for the network");
            app_jsonlog_t *log = app_peer_json (c, "zoom");
            app_peer_json_id (log, "job", el_peer_job (c->peer)->id);
            app_jsonlog_end (log);
        }
        app_peer_write_done (c);
    }
}

/* The window's status: the core's, the overlay's peer count, and the
 * slice rate over the last few samples. */
static void
s_update_view (app_peer_ctx_t *c, uint64_t now)
{
    el_status_t st;
    el_peer_status (c->peer, &st);
    unsigned last = (c->rate_n + APP_PEER_RATE_SAMPLES - 1) % APP_PEER_RATE_SAMPLES;
    if (c->rate_n == 0 || now >= c->rate_ms[last] + APP_PEER_RATE_MS) {
        unsigned slot = c->rate_n % APP_PEER_RATE_SAMPLES;
        if (c->rate_n >= APP_PEER_RATE_SAMPLES) {
            /* The slot about to be overwritten is the oldest sample. */
            uint64_t dt_ms = now - c->rate_ms[slot];
            c->rate = dt_ms && st.done >= c->rate_done[slot]
                          ? (double)(st.done - c->rate_done[slot]) * 1000.0 / (double)dt_ms
                          : 0.0;
        }
        c->rate_done[slot] = st.done;
        c->rate_ms[slot] = now;
        c->rate_n++;
    }
    app_peer_view_status (c->view, &st, ovl_node_known_count (c->node), c->rate);
}

/* Run the peer until it leaves; the exit status. */
int
app_peer_loop (app_peer_ctx_t *c)
{
    el_stack_t *stack = c->stack;
    el_peer_t *peer = c->peer;
    void *inbox = ovl_transport_inbox_socket (c->transport);
    int wake_fd = app_peer_render_fd (c->render);
    int cmd_fd = c->view ? app_peer_view_cmd_fd (c->view) : -1;
    uint64_t now = app_now_ms ();
    uint64_t next_prune_ms = now + APP_PRUNE_INTERVAL_MS, next_progress_ms = now + S_PROGRESS_MS;
    uint64_t leave_deadline_ms = UINT64_MAX;
    int departed = 0;
    int status = APP_EXIT_OK;
    for (;;) {
        app_peer_writer_reap (c, 0);
        now = c->now_ms = app_now_ms ();
        if (leave_deadline_ms == UINT64_MAX && (app_stop_requested || c->leave_now)) {
            app_peer_say (c, app_stop_requested ? "interrupted: leaving" : "leaving");
            /* Said on the LAN first: a peer looking now must not pick us. */
            if (c->lan)
                app_lan_leave (c->lan, c->self.id, c->own_port);
            if (c->lan_looking)
                break; /* part of nothing yet: nobody to hand anything over to */
            el_stack_leave (stack, now);
            leave_deadline_ms = now + S_LEAVE_MS;
        }
        if (c->lan_looking && app_peer_lan_step (c, now) != 0) {
            status = APP_EXIT_FAIL;
            break;
        }
        if (now >= leave_deadline_ms && departed)
            break;
        if (now >= leave_deadline_ms) {
            /* Everyone who knows us hears we left: "left", not "lost"
             * a failure timeout from now. */
            el_stack_depart (stack, now);
            departed = 1;
            leave_deadline_ms = now + S_DEPART_MS;
        }
        app_peer_report_refusals (c);
        int started = el_stack_started (stack);
        if (!started && c->join && app_peer_join_refused (c)) {
            status = APP_EXIT_FAIL;
            break;
        }
        if (!started && c->join && c->join_timeout_ms && leave_deadline_ms == UINT64_MAX &&
            now >= c->join_since_ms + c->join_timeout_ms) {
            /* A batch helper must not wait for ever on a network that
             * is gone; a peer left running (a window) keeps trying. */
            app_peer_say (c, "giving up: could not join through %s in %.3g s", c->join,
                          (double)c->join_timeout_ms / 1000.0);
            status = APP_EXIT_FAIL;
            break;
        }
        if (now >= next_prune_ms) {
            next_prune_ms = now + APP_PRUNE_INTERVAL_MS;
            s_prune (c);
        }
        if (!c->lan_looking && el_stack_next_deadline_ms (stack) <= now) {
            el_stack_on_tick (stack, now);
            app_peer_write_done (c);
        }
        if (now >= next_progress_ms) {
            next_progress_ms = now + S_PROGRESS_MS;
            app_peer_progress (c);
        }
        if (c->view)
            s_update_view (c, now);

        /* Sleep until the nearest deadline, a message, a finished slice or
         * a command from the window. */
        uint64_t wake_ms = now + S_POLL_MAX_MS;
        uint64_t deadlines[] = { c->lan_looking ? app_lan_deadline_ms (c->lan, now)
                                                : el_stack_next_deadline_ms (stack),
                                 next_progress_ms, next_prune_ms, leave_deadline_ms };
        for (size_t i = 0; i < sizeof deadlines / sizeof deadlines[0]; i++)
            if (deadlines[i] < wake_ms)
                wake_ms = deadlines[i];
        long timeout_ms = wake_ms > now ? (long)(wake_ms - now) : 0;
        /* While looking on the LAN the beacons, not the inbox: nobody
         * knows this peer yet, and the node has not started. */
        zmq_pollitem_t items[3] = {
            { c->lan_looking ? app_lan_socket (c->lan) : inbox, 0, ZMQ_POLLIN, 0 },
            { NULL, wake_fd, ZMQ_POLLIN, 0 },
            { NULL, cmd_fd, ZMQ_POLLIN, 0 },
        };
        if (zmq_poll (items, c->view ? 3 : 2, timeout_ms) < 0) {
            if (errno == EINTR)
                continue;
            fprintf (stderr, "p2pfractal: peer: zmq_poll: %s\n", zmq_strerror (errno));
            status = APP_EXIT_FAIL;
            break;
        }
        uint8_t *bytes;
        size_t len;
        ovl_id_t sender;
        for (int i = 0; !c->lan_looking && i < S_DRAIN_MAX_MSGS &&
                        ovl_transport_recv (c->transport, &bytes, &len, &sender) == 0;
             i++) {
            c->now_ms = app_now_ms ();
            el_stack_on_msg (stack, c->now_ms, bytes, len,
                             ovl_transport_keyed (c->transport) ? &sender : NULL);
            free (bytes);
            app_peer_write_done (c);
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_take_renders (c);
        if (c->view && (items[2].revents & ZMQ_POLLIN))
            s_take_commands (c);
    }
    /* An image being written is finished, even on SIGINT: the file is
     * renamed into place whole or not at all, and leaving it half done
     * would only waste it. */
    app_peer_writer_reap (c, 1);
    /* Quitting with the job unfinished: never silently, and never losing
     * the only copy of what was computed. */
    if (status == APP_EXIT_OK)
        app_peer_write_partial (c);
    if (c->write_failed && c->exit_when_done && !app_stop_requested)
        status = APP_EXIT_FAIL;
    el_status_t st;
    el_peer_status (peer, &st);
    const el_stats_t *es = el_peer_stats (peer);
    double busy_s = app_peer_render_busy_s (c->render);
    /* Every render of every job, so not the `done` line's count: a slice
     * whose copy from another peer came first was rendered here too. (Not
     * rendered minus every duplicate: copies received twice are duplicates
     * too, and that went below zero.) */
    uint64_t first = es->slices_rendered - es->rendered_late;
    app_peer_say (c,
                  "left: rendered %llu slice%s here over all jobs (%llu first, %llu after another "
                  "peer's copy), busy %.3f s in all; %s%s",
                  (unsigned long long)es->slices_rendered, app_plural_s (es->slices_rendered),
                  (unsigned long long)first, (unsigned long long)es->rendered_late, busy_s,
                  c->images_said[0] ? "images: " : "no image written", c->images_said);
    app_jsonlog_t *log = app_peer_json (c, "left");
    app_jsonlog_str (log, "images", c->images_said);
    app_jsonlog_u64 (log, "rendered", es->slices_rendered);
    app_jsonlog_u64 (log, "rendered_first", first);
    app_jsonlog_u64 (log, "rendered_late", es->rendered_late);
    app_jsonlog_num (log, "busy_s", busy_s);
    app_jsonlog_u64 (log, "own", st.own);
    app_jsonlog_u64 (log, "slices_received", es->slices_received);
    app_jsonlog_u64 (log, "slices_duplicate", es->slices_duplicate);
    app_jsonlog_u64 (log, "slices_served", es->slices_served);
    app_jsonlog_u64 (log, "elections_started", es->elections_started);
    uint64_t rode, alone;
    double alone_s;
    app_peer_render_check_stats (c->render, &rode, &alone, &alone_s);
    app_jsonlog_u64 (log, "checks_asked", es->checks_asked);
    app_jsonlog_u64 (log, "checks_rode", rode);
    app_jsonlog_u64 (log, "checks_alone", alone);
    app_jsonlog_num (log, "checks_alone_cpu_s", alone_s);
    app_jsonlog_u64 (log, "slices_rejected", es->slices_rejected);
    app_jsonlog_u64 (log, "rejected_ref", es->rejected_ref);
    app_jsonlog_u64 (log, "checks_dropped", es->checks_dropped);
    app_jsonlog_u64 (log, "dropped_malformed", es->dropped_malformed);
    app_jsonlog_u64 (log, "dropped_job", es->dropped_job);
    app_jsonlog_u64 (log, "dropped_other", es->dropped_other);
    app_jsonlog_u64 (log, "ovl_dropped_malformed", ovl_node_stats (c->node)->dropped_malformed);
    app_jsonlog_u64 (log, "recv_rejected", ovl_transport_recv_rejected (c->transport));
    app_jsonlog_u64 (log, "refused", ovl_transport_refused (c->transport));
    app_jsonlog_u64 (log, "dropped_forged", ovl_node_stats (c->node)->dropped_forged);
    ovl_transport_traffic_t tr;
    ovl_transport_traffic (c->transport, &tr);
    app_jsonlog_u64 (log, "sent_msgs", tr.sent_msgs);
    app_jsonlog_u64 (log, "sent_bytes", tr.sent_bytes);
    app_jsonlog_u64 (log, "recv_msgs", tr.recv_msgs);
    app_jsonlog_u64 (log, "recv_bytes", tr.recv_bytes);
    app_jsonlog_end (log);
    if (c->view)
        app_peer_view_close (c->view);
    return status;
}

void *
app_peer_loop_thread (void *arg)
{
    app_peer_ctx_t *c = arg;
    c->status = app_peer_loop (c);
    return NULL;
}
