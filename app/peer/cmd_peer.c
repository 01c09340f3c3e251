/* cmd_peer.c: `p2pfractal peer` -- one peer of the network, driving the
 * overlay node (overlay/node.h) and the job protocol (election/peer.h) over
 * the ZeroMQ transport, with render threads (peer_render.h) computing the
 * slices the protocol asks for, and a window (gui.h) showing it all.
 *
 * One thread, the loop thread, owns the transport, the node, the peer and
 * the logs; it polls the ROUTER inbox, the render threads' wake-up
 * descriptor and the window's command descriptor, feeds messages, finished
 * slices and timer ticks to the cores, and carries out what they ask for.
 * The render threads touch no protocol state, so heartbeats and probes go
 * out on time however long a slice takes. With a window, the loop runs on
 * a thread of its own and the main thread draws (SDL wants its video on
 * the main thread); they share only an app_peer_view_t, so a slow X server
 * never delays a heartbeat. Humans get one line per event and a progress
 * line about once a second on stderr; --log-json writes the same events as
 * JSON Lines for tests and benchmarks. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include <zmq.h>

#include "cli.h"
#include "commands.h"
#include "gui.h"
#include "handle.h"
#include "job.h"
#include "jsonlog.h"
#include "kernel.h"
#include "netkey.h"
#include "node.h"
#include "palette.h"
#include "peer.h"
#include "peer_render.h"
#include "peer_view.h"
#include "prune.h"
#include "png_io.h"
#include "render_pool.h"
#include "rng.h"
#include "slice.h"
#include "stack.h"
#include "transport_zmq.h"

static const char s_usage[] =
    "Usage: p2pfractal peer [view options] [--slices K] [--port P] [--bind ADDR]\n"
    "                       [--advertise HOST] [--join HOST:PORT] [--headless]\n"
    "                       [--threads N] [--kernel K] [-o OUT.png] [--exit-when-done]\n"
    "                       [--log-json FILE] [--throttle F] [--network NAME] [--seed S]\n"
    "                       [--geometry WxH[+X+Y]] [--key FILE]\n"
    "Be one peer of a rendering network. Without --join it starts the network\n"
    "and a job from the view options, as its master; with --join it joins the\n"
    "network through any peer and helps with the job under way. Every peer\n"
    "ends up with the whole image and writes it as a PNG, then keeps serving\n"
    "(a newer job on the network restarts the work) until interrupted.\n"
    "\n"
    "  --slices K          row bands the job is cut into (default %d; not with --join)\n"
    "  --port P            TCP port to listen on (default 0: any free port)\n"
    "  --bind ADDR         IPv4 address or interface to listen on (default\n"
    "                      127.0.0.1; '*' for all)\n"
    "  --advertise HOST    host other peers should connect to (default: the bind\n"
    "                      address, 127.0.0.1 for '*')\n"
    "  --join HOST:PORT    join the network through the peer listening there\n"
    "  --headless          no window: log to stderr only\n"
    "  --geometry WxH[+X+Y] the window's size and position (default: the image's\n"
    "                      size, shrunk to fit the screen)\n"
    "  -t, --threads N     render threads (default: all %d CPUs)\n"
    "  -k, --kernel K      auto|scalar|avx2|avx512 (default auto = %s)\n"
    "  -o, --output FILE   PNG to write when the image is complete (default\n"
    "                      p2pfractal-<short id>.png)\n"
    "  --exit-when-done    leave the network once the PNG is written (exit 0)\n"
    "  --join-timeout S    exit 1 if not joined within S seconds (default: 60 with\n"
    "                      --exit-when-done, else keep trying)\n"
    "  --log-json FILE     also write every event as one JSON object per line\n"
    "  --throttle F        wait F-1 times each slice's render time before sending\n"
    "                      it, as a machine F times slower would (default 1)\n"
    "  --network NAME      the network to be part of (default \"default\")\n"
    "  --seed S            seed of the peer's PRNGs, and of its id on an open\n"
    "                      network (default: from the clock)\n"
    "  --key FILE          the network secret (p2pfractal keygen): every connection\n"
    "                      is encrypted and only peers holding the same secret are\n"
    "                      let in (docs/SECURITY.md); without it the network is open\n"
    "  -h, --help          this text\n"
    "\n"
    "A joining peer adopts the network's job: view options and --slices given\n"
    "to it are checked but not used (but --colouring, which only changes this\n"
    "peer's PNG).\n"
    "\n"
    "In the window: q/Esc leave, s save a PNG, p next palette, o who computed\n"
    "what, h HUD, k crash now (as SIGKILL); left click or drag zooms in, right\n"
    "click zooms out, the wheel zooms at the cursor: a new job for everyone.\n"
    "\n"
    "%s";

/* The longest the loop sleeps: bounds how late it notices a signal. */
#define S_POLL_MAX_MS 100
/* Messages handled per pass before timers and renders get their turn. */
#define S_DRAIN_MAX_MSGS 1000
/* How often the progress line is printed. */
#define S_PROGRESS_MS 1000
#define S_JOIN_TIMEOUT_S 60 /* --join-timeout's default with --exit-when-done */
/* How long the loop runs after a graceful leave, so the hand-over and the
 * returned slices go out (and their hops are acknowledged). */
#define S_LEAVE_MS 300
/* Longest --network name. */
#define S_NETWORK_MAX 64
/* The slice rate shown in the window is over the last
 * S_RATE_SAMPLES * S_RATE_MS milliseconds. */
#define S_RATE_MS 500
#define S_RATE_SAMPLES 4

/* A finished image being coloured and written on a thread of its own: a
 * 4K PNG takes most of a second to compress, longer than a neighbour waits
 * before it declares a silent node dead. */
typedef struct {
    pthread_t tid;                      /* the writing thread */
    int running;                        /* started and not joined yet */
    atomic_int finished;                /* set by the thread when it is done */
    float *pixels;                      /* a copy of the image (the thread frees) */
    int width_px, height_px;            /* its size */
    rnd_palette_t palette;              /* colours */
    rnd_colouring_t colouring;          /* and how to apply them */
    char params[RND_PARAMS_FORMAT_MAX]; /* the PNG's Comment */
    const char *path;                   /* where it goes */
    ovl_id_t job;                       /* which job it is */
    uint32_t own, total;                /* slices computed here, of all */
    double busy_s;                      /* render + throttle seconds on it */
    int failed;                         /* 1 if it could not be written */
    char err[512];                      /* why */
} s_writer_t;

typedef struct {
    ovl_transport_t *transport;                       /* the sockets */
    el_stack_t *stack;                                /* the protocol cores, wired */
    ovl_node_t *node;                                 /* its overlay core, for queries */
    el_peer_t *peer;                                  /* its job protocol, for queries */
    app_peer_render_t *render;                        /* the render threads */
    app_jsonlog_t *log;                               /* --log-json, or NULL */
    ovl_handle_t self;                                /* who we are and where */
    char hex[OVL_ID_HEX_LEN + 1];                     /* our id, for the JSON log */
    char short_id[OVL_ID_SHORT_LEN + 1];              /* and for humans */
    char public_key[2 * OVL_TRANSPORT_KEY_BYTES + 1]; /* hex; "" on an open network */
    uint64_t now_ms;                                  /* the time of the core call under way */
    const char *join;                                 /* --join HOST:PORT, or NULL */
    uint64_t join_since_ms;                           /* when the join began */
    uint64_t join_timeout_ms;                         /* give up then (0: never) */
    int test_corrupt;                                 /* P2PF_TEST_CORRUPT_SLICES: tests only */
    int warned_peer_cap;                              /* 1 once the DEALER cap was reported */
    int colouring_set;                                /* --colouring was given */
    rnd_colouring_t colouring;                        /* it */
    rnd_palette_t palette;                            /* the current job's palette */
    const char *out_path;                             /* where the PNG goes */
    int done_pending;                                 /* a JOB_DONE waits to be written */
    ovl_id_t done_job;                                /* for that job */
    ovl_id_t busy_job;                                /* job_busy_s is for this job */
    double job_busy_s;                                /* render + throttle seconds on it */
    int master, root;                                 /* the roles last reported */
    int exit_when_done;                               /* --exit-when-done */
    char own_palette[RND_PALETTE_NAME_MAX];           /* the palette on this command line */
    int leave_now;                                    /* 1: leave (the job is done) */
    int write_failed;                                 /* 1 if a PNG could not be written */
    s_writer_t writer;                                /* the PNG being written, if any */
    app_peer_view_t *view;                            /* what the window shows; NULL headless */
    int has_last_master;                              /* a master was known */
    ovl_id_t last_master;                             /* it, for "master X lost" */
    uint32_t rate_done[S_RATE_SAMPLES];               /* slices done at the last samples */
    uint64_t rate_ms[S_RATE_SAMPLES];                 /* and when */
    unsigned rate_n;                                  /* samples taken */
    double rate;                                      /* slices per second, recent */
    int status;                                       /* the loop's exit status */
} s_ctx_t;

static uint64_t
s_unix_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void s_say (const s_ctx_t *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* One human line on stderr, prefixed with who says it. */
static void
s_say (const s_ctx_t *c, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (line, sizeof line, fmt, ap);
    va_end (ap);
    fprintf (stderr, "p2pfractal: peer %s: %s\n", c->short_id, line);
}

/* A JSON line: begin with t, node and event; the caller adds fields and
 * calls app_jsonlog_end. */
static app_jsonlog_t *
s_json (const s_ctx_t *c, const char *event)
{
    app_jsonlog_begin (c->log, s_unix_ms (), c->hex, event);
    return c->log;
}

static void
s_json_id (app_jsonlog_t *log, const char *key, ovl_id_t id)
{
    char hex[OVL_ID_HEX_LEN + 1];
    ovl_id_hex (id, hex);
    app_jsonlog_str (log, key, hex);
}

/* --- overlay upcalls ----------------------------------------------------- */

static void
s_send (void *ctx, const ovl_handle_t *to, const uint8_t *bytes, size_t len)
{
    s_ctx_t *c = ctx;
    if (ovl_transport_send (c->transport, to->addr, bytes, len) != 0 && errno == EMFILE &&
        !c->warned_peer_cap) {
        c->warned_peer_cap = 1;
        s_say (c, "cannot open more peer connections (%zu open); dropping messages to new peers",
               ovl_transport_peer_count (c->transport));
    }
}

static void
s_joined (void *ctx, int hops)
{
    s_ctx_t *c = ctx;
    s_say (c, "joined the ring (%d hops)", hops);
    app_jsonlog_u64 (s_json (c, "joined"), "hops", (uint64_t)(hops < 0 ? 0 : hops));
    app_jsonlog_end (c->log);
    /* The first join ends the watch on the bootstrap's handshakes. */
    if (!el_stack_started (c->stack))
        ovl_transport_watch (c->transport, NULL);
}

static void
s_node_up (void *ctx, const ovl_handle_t *h)
{
    s_ctx_t *c = ctx;
    char id[OVL_ID_SHORT_LEN + 1];
    ovl_id_short (h->id, id);
    s_say (c, "peer %s up (%s)", id, h->addr);
    app_jsonlog_t *log = s_json (c, "peer_up");
    s_json_id (log, "peer", h->id);
    app_jsonlog_str (log, "endpoint", h->addr);
    app_jsonlog_end (log);
    if (c->view)
        app_peer_view_tick (c->view, s_unix_ms (), "peer %s up", id);
}

static void
s_node_lost (void *ctx, const ovl_handle_t *h)
{
    s_ctx_t *c = ctx;
    char id[OVL_ID_SHORT_LEN + 1];
    ovl_id_short (h->id, id);
    s_say (c, "peer %s lost (%s)", id, h->addr);
    app_jsonlog_t *log = s_json (c, "peer_lost");
    s_json_id (log, "peer", h->id);
    app_jsonlog_str (log, "endpoint", h->addr);
    app_jsonlog_end (log);
    if (c->view)
        app_peer_view_tick (c->view, s_unix_ms (), "peer %s lost", id);
    ovl_transport_forget (c->transport, h->addr);
}

/* --- job-protocol callbacks --------------------------------------------- */

static void
s_el_render (void *ctx, const el_job_t *job, uint32_t slice)
{
    s_ctx_t *c = ctx;
    /* Without memory for a queue entry the slice is simply not rendered
     * here; the master hands it out again after every other slice. */
    if (app_peer_render_queue (c->render, job, slice) != 0)
        s_say (c, "out of memory queueing slice %u", slice);
    else if (c->view)
        app_peer_view_slice_state (c->view, job->id, slice, APP_SLICE_RENDERING);
}

static void
s_el_drop_renders (void *ctx, ovl_id_t keep)
{
    s_ctx_t *c = ctx;
    app_peer_render_drop (c->render, keep);
}

static int
s_el_check (void *ctx, const el_job_t *job, uint64_t token, const rnd_xy_t *px, size_t n)
{
    s_ctx_t *c = ctx;
    return app_peer_render_check (c->render, job, token, px, n);
}

static void
s_on_job_started (s_ctx_t *c, const el_job_t *job)
{
    char id[OVL_ID_SHORT_LEN + 1];
    ovl_id_short (job->id, id);
    s_say (c, "job %s started: %s %dx%d, %d iterations, %u slices", id,
           rnd_fractal_name (job->view.fractal), job->view.width_px, job->view.height_px,
           job->view.max_iter, job->slices);
    app_jsonlog_t *log = s_json (c, "job_started");
    s_json_id (log, "job", job->id);
    app_jsonlog_u64 (log, "slices", job->slices);
    app_jsonlog_u64 (log, "stamp", job->stamp);
    app_jsonlog_str (log, "spec", job->params);
    app_jsonlog_end (log);
    c->busy_job = job->id;
    c->job_busy_s = 0.0;
    c->done_pending = 0;
    c->rate_n = 0;
    c->rate = 0.0;
    if (c->view) {
        if (app_peer_view_job (c->view, job) != 0)
            s_say (c, "out of memory for the window's copy of the image");
        app_peer_view_tick (c->view, s_unix_ms (), "job %s: %s %dx%d, %u slices", id,
                            rnd_fractal_name (job->view.fractal), job->view.width_px,
                            job->view.height_px, job->slices);
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
        s_say (c,
               "palette '%s' is a path on another machine; the PNG will use the default "
               "palette",
               name);
        name = "default";
    }
    if (rnd_palette_load (&c->palette, name, err, sizeof err) != 0) {
        s_say (c, "%s; the PNG will use the default palette", err);
        if (rnd_palette_load (&c->palette, "default", err, sizeof err) != 0) {
            s_say (c, "%s; the PNG will be grey", err);
            for (int i = 0; i < RND_PALETTE_ENTRIES; i++)
                c->palette.rgb[i][0] = c->palette.rgb[i][1] = c->palette.rgb[i][2] = (uint8_t)i;
        }
    }
}

static void
s_on_role (s_ctx_t *c, int master, int root)
{
    if (master != c->master)
        s_say (c, master ? "now master" : "no longer master");
    if (root != c->root)
        s_say (c, root ? "now root of the job's tree" : "no longer root of the job's tree");
    c->master = master;
    c->root = root;
    app_jsonlog_t *log = s_json (c, "role");
    app_jsonlog_bool (log, "master", master);
    app_jsonlog_bool (log, "root", root);
    app_jsonlog_end (log);
}

/* "master 2d2c33 lost — elected 79f066, term 3, 0.41 s" in the window. */
static void
s_tick_elected (s_ctx_t *c, const el_event_t *ev)
{
    int had = c->has_last_master;
    ovl_id_t old = c->last_master;
    c->has_last_master = 1;
    c->last_master = ev->peer.id;
    if (!c->view)
        return;
    char id[OVL_ID_SHORT_LEN + 1], prev[OVL_ID_SHORT_LEN + 1], took[32] = "";
    ovl_id_short (ev->peer.id, id);
    ovl_id_short (old, prev);
    if (ev->took_ms)
        snprintf (took, sizeof took, ", %.2f s", (double)ev->took_ms / 1000.0);
    const char *reason = ev->reason ? ev->reason : "?";
    if (strcmp (reason, "start") == 0)
        app_peer_view_tick (c->view, s_unix_ms (), "master %s starts the job", id);
    else if (had && !ovl_id_eq (old, ev->peer.id))
        app_peer_view_tick (c->view, s_unix_ms (), "master %s %s \u2014 elected %s, term %llu%s",
                            prev, strcmp (reason, "master lost") == 0 ? "lost" : reason, id,
                            (unsigned long long)ev->term, took);
    else
        app_peer_view_tick (c->view, s_unix_ms (), "%s \u2014 elected %s, term %llu%s", reason, id,
                            (unsigned long long)ev->term, took);
}

static void
s_el_event (void *ctx, const el_event_t *ev)
{
    s_ctx_t *c = ctx;
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
        ovl_id_short (ev->peer.id, id);
        ovl_id_short (ev->elector, by);
        s_say (c, "master %s elected for term %llu by %s (%s) after %llu ms", id,
               (unsigned long long)ev->term, by, ev->reason ? ev->reason : "?",
               (unsigned long long)ev->took_ms);
        log = s_json (c, "master_elected");
        app_jsonlog_u64 (log, "term", ev->term);
        s_json_id (log, "elector", ev->elector);
        s_json_id (log, "master", ev->peer.id);
        app_jsonlog_str (log, "reason", ev->reason ? ev->reason : "");
        app_jsonlog_u64 (log, "took_ms", ev->took_ms);
        app_jsonlog_end (log);
        s_tick_elected (c, ev);
        break;
    case EL_EV_SLICE_ASSIGNED:
        log = s_json (c, "slice_assigned");
        app_jsonlog_u64 (log, "slice", ev->slice);
        s_json_id (log, "to", ev->peer.id);
        app_jsonlog_end (log);
        break;
    case EL_EV_SLICE_DONE:
        log = s_json (c, "slice_done");
        app_jsonlog_u64 (log, "slice", ev->slice);
        s_json_id (log, "by", ev->peer.id);
        app_jsonlog_end (log);
        if (c->view)
            app_peer_view_slice_done (c->view, ev->job->id, ev->slice, ev->peer.id,
                                      el_peer_pixels (c->peer));
        break;
    case EL_EV_SLICE_REJECTED:
        /* Once per sender and job: the core ignores it from then on. */
        ovl_id_short (ev->peer.id, id);
        ovl_id_short (ev->elector, by);
        s_say (c,
               "slice %u from %s (computed by %s, it says) failed its check: dropped, and %s "
               "is ignored for the rest of this job",
               ev->slice, id, by, id);
        log = s_json (c, "slice_rejected");
        app_jsonlog_u64 (log, "slice", ev->slice);
        s_json_id (log, "from", ev->peer.id);
        s_json_id (log, "by", ev->elector);
        app_jsonlog_end (log);
        if (c->view)
            app_peer_view_tick (c->view, s_unix_ms (), "slice %u from %s had wrong pixels: ignored",
                                ev->slice, id);
        break;
    case EL_EV_JOB_DONE:
        /* Written once the core call returns: colouring and compressing a
         * large image is no work to do under the core's feet. */
        c->done_pending = 1;
        c->done_job = ev->job->id;
        break;
    }
}

static void *
s_writer_run (void *arg)
{
    s_writer_t *w = arg;
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
s_writer_report (s_ctx_t *c)
{
    s_writer_t *w = &c->writer;
    char id[OVL_ID_SHORT_LEN + 1];
    ovl_id_short (w->job, id);
    if (w->failed) {
        c->write_failed = 1;
        s_say (c, "job %s done, but %s", id, w->err);
    } else {
        s_say (c, "job %s done: wrote %s (computed %u of %u slices here, busy %.3f s)", id, w->path,
               w->own, w->total, w->busy_s);
    }
    if (c->view)
        app_peer_view_tick (c->view, s_unix_ms (), "job %s done: %s", id,
                            w->failed ? w->err : w->path);
    app_jsonlog_t *log = s_json (c, "job_done");
    s_json_id (log, "job", w->job);
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
static void
s_writer_reap (s_ctx_t *c, int wait)
{
    s_writer_t *w = &c->writer;
    if (!w->running || (!wait && !atomic_load (&w->finished)))
        return;
    pthread_join (w->tid, NULL);
    w->running = 0;
    s_writer_report (c);
}

/* The image is complete: colour it as `p2pfractal render` would and write
 * it, with the parameters as its Comment, on the writer thread. Called
 * after core calls, never inside one. */
static void
s_write_done (s_ctx_t *c)
{
    if (!c->done_pending)
        return;
    c->done_pending = 0;
    const el_job_t *job = el_peer_job (c->peer);
    if (!job || !ovl_id_eq (job->id, c->done_job))
        return; /* a newer job came in the same pass */
    /* One write at a time: the same path, and the newer image must land
     * last. Two jobs finishing within one write is rare. */
    s_writer_reap (c, 1);
    s_writer_t *w = &c->writer;
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

/* --- the loop ------------------------------------------------------------ */

/* Who the transport refused: once per source a minute (it keeps trying). */
static void
s_report_refusals (s_ctx_t *c)
{
    ovl_transport_refusal_t r;
    while (ovl_transport_next_refusal (c->transport, &r)) {
        const char *why = ovl_transport_refusal_text (c->transport, r.why);
        s_say (c, "refused %s: %s (%llu attempt%s; said again in a minute at most)", r.source, why,
               (unsigned long long)r.attempts, r.attempts == 1 ? "" : "s");
        app_jsonlog_t *log = s_json (c, "refused");
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
static int
s_join_refused (s_ctx_t *c)
{
    ovl_refusal_t why;
    int final = 0;
    unsigned failed = ovl_transport_watch_failures (c->transport, &why, &final);
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
                : "it refuses our handshake (a closed network? then start this "
                  "peer with --key and its key file)";
    s_say (c, "cannot join through %s: %s", c->join, text);
    app_jsonlog_t *log = s_json (c, "join_refused");
    app_jsonlog_str (log, "through", c->join);
    app_jsonlog_str (log, "why", text);
    app_jsonlog_end (log);
    return 1;
}

/* Close connections to nodes that left the state, but keep the master's:
 * a worker talks to it without it being a neighbour. */
static void
s_prune (s_ctx_t *c)
{
    el_status_t st;
    el_peer_status (c->peer, &st);
    app_prune_connections (c->transport, c->node,
                           st.has_master && !st.is_master ? &st.master : NULL);
}

static void
s_progress (s_ctx_t *c)
{
    el_status_t st;
    el_peer_status (c->peer, &st);
    size_t known = ovl_node_known_count (c->node);
    if (!el_stack_started (c->stack) && c->join) {
        s_say (c,
               "not joined yet: no answer through %s for %llu s (is a peer running there, and "
               "reachable from here? see --bind/--advertise)",
               c->join, (unsigned long long)((c->now_ms - c->join_since_ms) / 1000));
        return;
    }
    if (!st.has_job) {
        s_say (c, "waiting for a job, %zu peers known", known);
        return;
    }
    char master[OVL_ID_SHORT_LEN + 1] = "none";
    if (st.has_master)
        ovl_id_short (st.master.id, master);
    const char *role = st.is_master && st.is_root ? "master+root"
                       : st.is_master             ? "master"
                       : st.is_root               ? "root"
                                                  : "worker";
    s_say (c, "%u/%u slices, %zu peers, master %s term %llu%s, own %u, %s", st.done, st.total,
           known, master, (unsigned long long)st.term, st.electing ? " (electing)" : "", st.own,
           role);
}

/* Feed every finished slice to the core. */
static void
s_take_renders (s_ctx_t *c)
{
    app_peer_result_t r;
    while (app_peer_render_take (c->render, &r) == 0) {
        if (ovl_id_eq (r.job, c->busy_job))
            c->job_busy_s += r.busy_s;
        app_jsonlog_t *log = s_json (c, "slice_rendered");
        s_json_id (log, "job", r.job);
        app_jsonlog_u64 (log, "slice", r.slice);
        app_jsonlog_num (log, "busy_s", r.busy_s);
        app_jsonlog_end (log);
        c->now_ms = app_now_ms ();
        if (c->test_corrupt)
            for (size_t i = 0; i < r.n; i++) /* wrong, and still values a kernel produces */
                r.pixels[i] = r.pixels[i] < 0.0f ? 1.5f : r.pixels[i] + 1.0f;
        el_stack_rendered (c->stack, c->now_ms, r.job, r.slice, r.pixels, r.n);
        free (r.pixels);
        /* Done by now if the core took it; else it is no longer held. */
        if (c->view)
            app_peer_view_slice_state (c->view, r.job, r.slice, APP_SLICE_MISSING);
        s_write_done (c);
    }
    app_peer_check_t k;
    while (app_peer_render_take_check (c->render, &k) == 0) {
        c->now_ms = app_now_ms ();
        el_stack_on_checked (c->stack, c->now_ms, k.token, k.values, k.n);
        free (k.values);
        s_write_done (c);
    }
}

/* One number of a geometry: digits, optionally after a '-' (no spaces, no
 * '+' sign: those separate the fields). */
static int
s_geometry_int (const char *text, size_t len, int *out)
{
    char buf[16];
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy (buf, text, len);
    buf[len] = '\0';
    if (!isdigit ((unsigned char)buf[buf[0] == '-']))
        return -1;
    return app_parse_int (buf, out);
}

/* "WxH" or "WxH+X+Y" (X, Y may be negative: "+-10") into config. */
static int
s_parse_geometry (const char *text, app_gui_config_t *config)
{
    const char *x = strchr (text, 'x');
    if (!x)
        return -1;
    const char *plus = strchr (x, '+');
    const char *end = plus ? plus : x + strlen (x);
    int w, h, px = 0, py = 0;
    if (s_geometry_int (text, (size_t)(x - text), &w) ||
        s_geometry_int (x + 1, (size_t)(end - x - 1), &h) || w < 64 || h < 64 ||
        w > RND_VIEW_SIZE_MAX_PX || h > RND_VIEW_SIZE_MAX_PX)
        return -1;
    if (plus) {
        const char *plus2 = strchr (plus + 1, '+');
        if (!plus2 || s_geometry_int (plus + 1, (size_t)(plus2 - plus - 1), &px) ||
            s_geometry_int (plus2 + 1, strlen (plus2 + 1), &py) || px < -100000 || px > 100000 ||
            py < -100000 || py > 100000)
            return -1;
    }
    config->has_pos = plus != NULL;
    config->x = px;
    config->y = py;
    config->width = w;
    config->height = h;
    return 0;
}

/* A window command: a zoom starts a new job for everyone, q leaves. */
static void
s_take_commands (s_ctx_t *c)
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
                              s_unix_ms (), err, sizeof err) != 0) {
            s_say (c, "zoom refused: %s", err);
            app_peer_view_tick (c->view, s_unix_ms (), "zoom refused: %s", err);
        } else {
            s_say (c, "zoomed: a new job for the network");
            app_jsonlog_t *log = s_json (c, "zoom");
            s_json_id (log, "job", el_peer_job (c->peer)->id);
            app_jsonlog_end (log);
        }
        s_write_done (c);
    }
}

/* The window's status: the core's, the overlay's peer count, and the
 * slice rate over the last few samples. */
static void
s_update_view (s_ctx_t *c, uint64_t now)
{
    el_status_t st;
    el_peer_status (c->peer, &st);
    unsigned last = (c->rate_n + S_RATE_SAMPLES - 1) % S_RATE_SAMPLES;
    if (c->rate_n == 0 || now >= c->rate_ms[last] + S_RATE_MS) {
        unsigned slot = c->rate_n % S_RATE_SAMPLES;
        if (c->rate_n >= S_RATE_SAMPLES) {
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
static int
s_loop (s_ctx_t *c)
{
    el_stack_t *stack = c->stack;
    el_peer_t *peer = c->peer;
    void *inbox = ovl_transport_inbox_socket (c->transport);
    int wake_fd = app_peer_render_fd (c->render);
    int cmd_fd = c->view ? app_peer_view_cmd_fd (c->view) : -1;
    uint64_t now = app_now_ms ();
    uint64_t next_prune_ms = now + APP_PRUNE_INTERVAL_MS, next_progress_ms = now + S_PROGRESS_MS;
    uint64_t leave_deadline_ms = UINT64_MAX;
    int status = APP_EXIT_OK;
    for (;;) {
        s_writer_reap (c, 0);
        now = c->now_ms = app_now_ms ();
        if (leave_deadline_ms == UINT64_MAX && (app_stop_requested || c->leave_now)) {
            s_say (c, app_stop_requested ? "interrupted: leaving" : "leaving");
            el_stack_leave (stack, now);
            leave_deadline_ms = now + S_LEAVE_MS;
        }
        if (now >= leave_deadline_ms)
            break;
        s_report_refusals (c);
        int started = el_stack_started (stack);
        if (!started && c->join && s_join_refused (c)) {
            status = APP_EXIT_FAIL;
            break;
        }
        if (!started && c->join && c->join_timeout_ms && leave_deadline_ms == UINT64_MAX &&
            now >= c->join_since_ms + c->join_timeout_ms) {
            /* A batch helper must not wait for ever on a network that
             * is gone; a peer left running (a window) keeps trying. */
            s_say (c, "giving up: could not join through %s in %.3g s", c->join,
                   (double)c->join_timeout_ms / 1000.0);
            status = APP_EXIT_FAIL;
            break;
        }
        if (now >= next_prune_ms) {
            next_prune_ms = now + APP_PRUNE_INTERVAL_MS;
            s_prune (c);
        }
        if (el_stack_next_deadline_ms (stack) <= now) {
            el_stack_on_tick (stack, now);
            s_write_done (c);
        }
        if (now >= next_progress_ms) {
            next_progress_ms = now + S_PROGRESS_MS;
            s_progress (c);
        }
        if (c->view)
            s_update_view (c, now);

        /* Sleep until the nearest deadline, a message, a finished slice or
         * a command from the window. */
        uint64_t wake_ms = now + S_POLL_MAX_MS;
        uint64_t deadlines[] = { el_stack_next_deadline_ms (stack), next_progress_ms, next_prune_ms,
                                 leave_deadline_ms };
        for (size_t i = 0; i < sizeof deadlines / sizeof deadlines[0]; i++)
            if (deadlines[i] < wake_ms)
                wake_ms = deadlines[i];
        long timeout_ms = wake_ms > now ? (long)(wake_ms - now) : 0;
        zmq_pollitem_t items[3] = {
            { inbox, 0, ZMQ_POLLIN, 0 },
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
        for (int i = 0;
             i < S_DRAIN_MAX_MSGS && ovl_transport_recv (c->transport, &bytes, &len, &sender) == 0;
             i++) {
            c->now_ms = app_now_ms ();
            el_stack_on_msg (stack, c->now_ms, bytes, len,
                             ovl_transport_keyed (c->transport) ? &sender : NULL);
            free (bytes);
            s_write_done (c);
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_take_renders (c);
        if (c->view && (items[2].revents & ZMQ_POLLIN))
            s_take_commands (c);
    }
    /* An image being written is finished, even on SIGINT: the file is
     * renamed into place whole or not at all, and leaving it half done
     * would only waste it. */
    s_writer_reap (c, 1);
    if (c->write_failed && c->exit_when_done && !app_stop_requested)
        status = APP_EXIT_FAIL;
    el_status_t st;
    el_peer_status (peer, &st);
    const el_stats_t *es = el_peer_stats (peer);
    double busy_s = app_peer_render_busy_s (c->render);
    s_say (c, "left: rendered %llu slices, busy %.3f s in all",
           (unsigned long long)es->slices_rendered, busy_s);
    app_jsonlog_t *log = s_json (c, "left");
    app_jsonlog_u64 (log, "rendered", es->slices_rendered);
    app_jsonlog_num (log, "busy_s", busy_s);
    app_jsonlog_u64 (log, "own", st.own);
    app_jsonlog_u64 (log, "slices_received", es->slices_received);
    app_jsonlog_u64 (log, "slices_duplicate", es->slices_duplicate);
    app_jsonlog_u64 (log, "elections_started", es->elections_started);
    uint64_t rode, alone;
    double alone_s;
    app_peer_render_check_stats (c->render, &rode, &alone, &alone_s);
    app_jsonlog_u64 (log, "checks_asked", es->checks_asked);
    app_jsonlog_u64 (log, "checks_rode", rode);
    app_jsonlog_u64 (log, "checks_alone", alone);
    app_jsonlog_num (log, "checks_alone_cpu_s", alone_s);
    app_jsonlog_u64 (log, "slices_rejected", es->slices_rejected);
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

static void *
s_loop_thread (void *arg)
{
    s_ctx_t *c = arg;
    c->status = s_loop (c);
    return NULL;
}

int
app_cmd_peer (int argc, char **argv)
{
    enum {
        S_OPT_SLICES = APP_OPT_VIEW_END,
        S_OPT_PORT,
        S_OPT_BIND,
        S_OPT_ADVERTISE,
        S_OPT_JOIN,
        S_OPT_HEADLESS,
        S_OPT_EXIT_WHEN_DONE,
        S_OPT_JOIN_TIMEOUT,
        S_OPT_LOG_JSON,
        S_OPT_THROTTLE,
        S_OPT_NETWORK,
        S_OPT_SEED,
        S_OPT_GEOMETRY,
        S_OPT_KEY,
    };
    static const struct option opts[] = {
        { "slices", required_argument, 0, S_OPT_SLICES },
        { "port", required_argument, 0, S_OPT_PORT },
        { "bind", required_argument, 0, S_OPT_BIND },
        { "advertise", required_argument, 0, S_OPT_ADVERTISE },
        { "join", required_argument, 0, S_OPT_JOIN },
        { "headless", no_argument, 0, S_OPT_HEADLESS },
        { "threads", required_argument, 0, 't' },
        { "kernel", required_argument, 0, 'k' },
        { "output", required_argument, 0, 'o' },
        { "exit-when-done", no_argument, 0, S_OPT_EXIT_WHEN_DONE },
        { "join-timeout", required_argument, 0, S_OPT_JOIN_TIMEOUT },
        { "log-json", required_argument, 0, S_OPT_LOG_JSON },
        { "throttle", required_argument, 0, S_OPT_THROTTLE },
        { "network", required_argument, 0, S_OPT_NETWORK },
        { "seed", required_argument, 0, S_OPT_SEED },
        { "geometry", required_argument, 0, S_OPT_GEOMETRY },
        { "key", required_argument, 0, S_OPT_KEY },
        { "help", no_argument, 0, 'h' },
        APP_VIEW_LONG_OPTIONS,
        { 0, 0, 0, 0 },
    };
    app_view_opts_t vo;
    app_view_opts_init (&vo);
    app_gui_config_t geometry;
    memset (&geometry, 0, sizeof geometry);
    int port = 0, slices = 0, threads = app_cpu_count (), headless = 0, exit_when_done = 0;
    int seed_set = 0, opt, longindex;
    const char *bind_addr = "127.0.0.1", *advertise = NULL, *join = NULL, *out_path = NULL;
    const char *log_path = NULL, *network = "default", *key_path = NULL;
    const char *job_opt = NULL; /* the first option that only a first peer takes */
    double throttle = 1.0;
    double join_timeout_s = 0; /* --join-timeout; 0: the default */
    uint64_t seed = 0;
    rnd_kernel_t kernel = RND_KERNEL_AUTO;
    optind = 1;
    opterr = 0;
    while ((longindex = -1, opt = getopt_long (argc, argv, ":o:t:k:h", opts, &longindex)) != -1) {
        switch (opt) {
        case S_OPT_SLICES:
            if (app_parse_int (optarg, &slices) || slices < 1 || slices > RND_SLICES_MAX)
                app_usage_error ("--slices: '%s' is not a slice count (1..%d)", optarg,
                                 RND_SLICES_MAX);
            job_opt = job_opt ? job_opt : "slices";
            break;
        case S_OPT_PORT:
            port = app_opt_port ("--port", optarg);
            break;
        case S_OPT_BIND:
            bind_addr = app_opt_bind ("--bind", optarg);
            break;
        case S_OPT_ADVERTISE:
            advertise = app_opt_advertise ("--advertise", optarg);
            break;
        case S_OPT_JOIN:
            /* The host must fit an overlay address (OVL_ADDR_MAX). */
            join = app_opt_hostport ("--join", optarg, 40);
            break;
        case S_OPT_HEADLESS:
            headless = 1;
            break;
        case 't':
            if (app_parse_int (optarg, &threads) || threads < 1 || threads > 1024)
                app_usage_error ("--threads: '%s' is not a thread count (1..1024)", optarg);
            break;
        case 'k':
            if (rnd_kernel_from_name (optarg, &kernel))
                app_usage_error ("--kernel: unknown kernel '%s' (auto, scalar, avx2, avx512)",
                                 optarg);
            if (!rnd_kernel_supported (kernel))
                app_usage_error ("--kernel: this CPU does not support %s", optarg);
            break;
        case 'o':
            if (!*optarg)
                app_usage_error ("-o: the file name is empty");
            out_path = optarg;
            break;
        case S_OPT_EXIT_WHEN_DONE:
            exit_when_done = 1;
            break;
        case S_OPT_JOIN_TIMEOUT:
            if (app_parse_double (optarg, &join_timeout_s) || !(join_timeout_s >= 0.001) ||
                join_timeout_s > 1e6)
                app_usage_error ("--join-timeout: '%s' is not a number of seconds (0.001..1e6)",
                                 optarg);
            break;
        case S_OPT_LOG_JSON:
            if (!*optarg)
                app_usage_error ("--log-json: the file name is empty");
            log_path = optarg;
            break;
        case S_OPT_THROTTLE:
            if (app_parse_double (optarg, &throttle) || !(throttle >= 1.0) || throttle > 1e6)
                app_usage_error ("--throttle: '%s' is not a slowdown factor (1..1e6)", optarg);
            break;
        case S_OPT_NETWORK: {
            size_t len = strlen (optarg);
            int ok = len >= 1 && len <= S_NETWORK_MAX;
            for (size_t i = 0; ok && i < len; i++)
                ok = (optarg[i] >= 'a' && optarg[i] <= 'z') ||
                     (optarg[i] >= 'A' && optarg[i] <= 'Z') ||
                     (optarg[i] >= '0' && optarg[i] <= '9') || strchr ("._-", optarg[i]);
            if (!ok)
                app_usage_error (
                    "--network: '%s' is not a network name (1..%d of A-Z a-z 0-9 . _ -)", optarg,
                    S_NETWORK_MAX);
            network = optarg;
            break;
        }
        case S_OPT_SEED:
            seed = app_opt_seed ("--seed", optarg);
            seed_set = 1;
            break;
        case S_OPT_GEOMETRY:
            if (s_parse_geometry (optarg, &geometry))
                app_usage_error ("--geometry: '%s' is not WxH or WxH+X+Y (W, H in 64..%d)", optarg,
                                 RND_VIEW_SIZE_MAX_PX);
            break;
        case S_OPT_KEY:
            key_path = optarg;
            break;
        case 'h':
            printf (s_usage, RND_SLICES_DEFAULT, app_cpu_count (),
                    rnd_kernel_name (rnd_kernel_best ()), app_view_help);
            return APP_EXIT_OK;
        case '?':
        case ':':
            app_getopt_error ("peer", argv, opt);
        default:
            app_view_opts_apply (&vo, opt, optarg);
            /* The colouring is this peer's own; the rest is the job's. */
            if (opt != APP_OPT_COLOURING && !job_opt && longindex >= 0)
                job_opt = opts[longindex].name;
        }
    }
    if (optind < argc)
        app_usage_error ("peer: unexpected argument '%s'", argv[optind]);

    s_ctx_t c;
    memset (&c, 0, sizeof c);
    /* Tests only (test_verify): a peer that lies about its results. */
    const char *corrupt = getenv ("P2PF_TEST_CORRUPT_SLICES");
    c.test_corrupt = corrupt && strcmp (corrupt, "1") == 0;
    c.colouring_set = vo.colouring_set;
    c.colouring = vo.colouring;
    c.exit_when_done = exit_when_done;
    /* Refuse a bad view before opening any socket -- also from a joiner,
     * which does not use it: one command line for every peer of a swarm
     * should fail on each peer alike. */
    app_view_opts_finish (&vo, &c.palette);
    snprintf (c.own_palette, sizeof c.own_palette, "%s", vo.view.palette);
    el_job_t first_job;
    char err[512];
    if (el_job_init (&first_job, &vo.view, slices, 0, err, sizeof err) != 0)
        app_usage_error ("%s%s", strncmp (err, "slices:", 7) == 0 ? "--" : "", err);
    if (join && job_opt)
        fprintf (stderr,
                 "p2pfractal: peer: joining: the network's job is adopted, --%s and the other "
                 "view options are not used\n",
                 job_opt);
    if (out_path)
        app_check_writable ("-o", out_path);
    if (log_path && strcmp (log_path, "-") != 0)
        app_check_writable ("--log-json", log_path);
    if (!seed_set)
        seed = app_seed_from_clock ();
    ovl_rng_t rng;
    ovl_rng_seed (&rng, seed);
    c.self.id = ovl_rng_id (&rng);
    ovl_transport_keys_t keys;
    if (key_path) {
        /* A closed network: the id is the hash of our own public key. */
        uint8_t secret[APP_NETKEY_BYTES];
        if (app_netkey_load (key_path, secret, err, sizeof err) != 0)
            app_usage_error ("--key: %s", err);
        int rc = app_netkey_transport_keys (secret, &keys);
        sodium_memzero (secret, sizeof secret);
        if (rc != 0) {
            fprintf (stderr, "p2pfractal: peer: libsodium cannot start\n");
            return APP_EXIT_FAIL;
        }
        c.self.id = ovl_id_from_public_key (keys.node_public);
        sodium_bin2hex (c.public_key, sizeof c.public_key, keys.node_public,
                        sizeof keys.node_public);
    } else {
        fprintf (stderr, "p2pfractal: peer: warning: no --key: this network is open -- anyone "
                         "who can reach its ports can join, read the image and send pixels "
                         "(see docs/SECURITY.md)\n");
    }
    ovl_id_hex (c.self.id, c.hex);
    ovl_id_short (c.self.id, c.short_id);
    char default_out[64];
    snprintf (default_out, sizeof default_out, "p2pfractal-%s.png", c.short_id);
    if (!out_path) {
        out_path = default_out;
        app_check_writable ("output", out_path);
    }
    c.out_path = out_path;

    int status = APP_EXIT_FAIL;
    app_gui_t *gui = NULL;
    /* `s` in the window saves <stem>-1.png, -2, ... beside the -o file. */
    char save_stem[4096];
    size_t out_len = strlen (out_path);
    if (out_len >= 4 && strcasecmp (out_path + out_len - 4, ".png") == 0)
        out_len -= 4;
    snprintf (save_stem, sizeof save_stem, "%.*s", (int)out_len, out_path);
    if (log_path && !(c.log = app_jsonlog_open (log_path, err, sizeof err))) {
        fprintf (stderr, "p2pfractal: peer: --log-json %s\n", err);
        goto done;
    }
    c.render = app_peer_render_new (threads, kernel, throttle, err, sizeof err);
    if (!c.render) {
        fprintf (stderr, "p2pfractal: peer: render threads: %s\n", err);
        goto done;
    }
    if (!headless) {
        /* The window opens before the peer joins anything: without a
         * display it fails here, and no network ever saw this peer. */
        rnd_kernel_t used = kernel == RND_KERNEL_AUTO ? rnd_kernel_best () : kernel;
        c.view = app_peer_view_new (c.self.id, rnd_kernel_name (used),
                                    app_peer_render_threads (c.render));
        if (!c.view) {
            fprintf (stderr, "p2pfractal: peer: out of memory\n");
            goto done;
        }
        geometry.hud = 1;
        geometry.save_stem = save_stem;
        /* A palette on this command line colours this window, whatever the
         * job's; without one, the window follows the job. */
        geometry.palette = vo.source[RND_FIELD_PALETTE] ? c.own_palette : NULL;
        geometry.colouring_set = vo.colouring_set;
        geometry.colouring = vo.colouring;
        geometry.log = c.log;
        geometry.node_hex = c.hex;
        gui = app_gui_open (&geometry, c.view, err, sizeof err);
        if (!gui) {
            fprintf (stderr, "p2pfractal: peer: %s\n", err);
            goto done;
        }
    }
    c.transport =
        ovl_transport_new (bind_addr, port, advertise, key_path ? &keys : NULL, err, sizeof err);
    sodium_memzero (&keys, sizeof keys);
    if (!c.transport) {
        fprintf (stderr, "p2pfractal: peer: %s\n", err);
        goto done;
    }
    const char *endpoint = ovl_transport_endpoint (c.transport);
    if (strlen (endpoint) >= sizeof c.self.addr) {
        fprintf (stderr, "p2pfractal: peer: endpoint %s is too long\n", endpoint);
        goto done;
    }
    strcpy (c.self.addr, endpoint);

    el_stack_config_t scfg;
    ovl_config_default (&scfg.overlay);
    el_config_default (&scfg.job);
    scfg.job.render_slots = (uint32_t)app_peer_render_threads (c.render);
    /* Tests and benchmarks only: pixels checked per slice (0: off). */
    const char *check_px = getenv ("P2PF_TEST_CHECK_PIXELS");
    if (check_px && *check_px)
        scfg.job.check_pixels = (uint32_t)strtoul (check_px, NULL, 10);
    char net_name[S_NETWORK_MAX + 8];
    snprintf (net_name, sizeof net_name, "net/%s", network);
    scfg.network = ovl_id_from_name (net_name, strlen (net_name));
    el_stack_driver_t drv = {
        .ctx = &c,
        .send = s_send,
        .render = s_el_render,
        .drop_renders = s_el_drop_renders,
        .check = s_el_check,
        .event = s_el_event,
        .joined = s_joined,
        .node_up = s_node_up,
        .node_lost = s_node_lost,
    };
    uint64_t node_seed = ovl_rng_next (&rng);
    c.stack = el_stack_new (&scfg, &c.self, &drv, node_seed, ovl_rng_next (&rng));
    if (c.stack) {
        c.node = el_stack_node (c.stack);
        c.peer = el_stack_peer (c.stack);
    }
    if (!c.stack) {
        fprintf (stderr, "p2pfractal: peer: out of memory\n");
        goto done;
    }

    app_catch_stop_signals ();
    /* stderr may be a pipe whose reader went away: a lost log line must
     * not kill the peer. */
    signal (SIGPIPE, SIG_IGN);

    const char *colon = strrchr (c.self.addr, ':');
    s_say (&c, "listening on %s (id %s, network %s, %s, %d render threads)", c.self.addr, c.hex,
           network, key_path ? "closed: CURVE" : "open", app_peer_render_threads (c.render));
    app_jsonlog_t *log = s_json (&c, "started");
    app_jsonlog_str (log, "endpoint", c.self.addr);
    app_jsonlog_u64 (log, "port", colon ? strtoull (colon + 1, NULL, 10) : 0);
    app_jsonlog_str (log, "network", network);
    /* The key the id is the hash of: anyone can check it. */
    app_jsonlog_str (log, "public_key", c.public_key);
    app_jsonlog_u64 (log, "threads", (uint64_t)app_peer_render_threads (c.render));
    app_jsonlog_num (log, "throttle", throttle);
    app_jsonlog_end (log);

    c.now_ms = app_now_ms ();
    if (join) {
        /* The bootstrap's id is unknown until it answers (see cmd_node.c). */
        ovl_handle_t bootstrap;
        memset (&bootstrap, 0, sizeof bootstrap);
        snprintf (bootstrap.addr, sizeof bootstrap.addr, "tcp://%s", join);
        c.join = join;
        c.join_since_ms = c.now_ms;
        if (join_timeout_s == 0 && exit_when_done)
            join_timeout_s = S_JOIN_TIMEOUT_S;
        c.join_timeout_ms = (uint64_t)(join_timeout_s * 1000.0);
        ovl_transport_watch (c.transport, bootstrap.addr);
        el_stack_start (c.stack, c.now_ms, &bootstrap);
    } else {
        /* Alone, the node joins at once, and the job protocol starts. */
        el_stack_start (c.stack, c.now_ms, NULL);
        if (el_stack_new_job (c.stack, c.now_ms, &vo.view, slices, s_unix_ms (), err, sizeof err)) {
            fprintf (stderr, "p2pfractal: peer: %s\n", err);
            goto done;
        }
    }

    if (gui) {
        /* The loop gets a thread; this one draws until the loop closes
         * the view (it left: q, a signal, --exit-when-done, an error). */
        pthread_t loop_tid;
        if (pthread_create (&loop_tid, NULL, s_loop_thread, &c) != 0) {
            fprintf (stderr, "p2pfractal: peer: cannot start the loop thread\n");
            goto done;
        }
        int gui_failed = app_gui_run (gui) != 0;
        if (gui_failed)
            app_peer_view_post_leave (c.view);
        pthread_join (loop_tid, NULL);
        status = gui_failed ? APP_EXIT_FAIL : c.status;
    } else {
        status = s_loop (&c);
    }
done:
    /* Threads first: nothing may post while the cores go. */
    app_gui_close (&gui);
    app_peer_render_destroy (&c.render);
    el_stack_destroy (&c.stack);
    ovl_transport_destroy (&c.transport);
    app_peer_view_destroy (&c.view);
    app_jsonlog_close (&c.log);
    return status;
}
