/* cmd_master.c: `p2pfractal master` -- the client/server baseline's master,
 * the comparison point for the P2P benchmarks. It renders nothing: it hands
 * out slices (render/slice.h) from a rotating queue to the workers that ask
 * (demand-driven, over one ZeroMQ ROUTER), assembles their float32 smooth
 * values, and colours and writes the image exactly as `render` does, so the
 * two PNGs are pixel-identical. Its report on stdout, one line each:
 *
 *   listening endpoint=tcp://127.0.0.1:45123
 *   slices added: K
 *   worker joined id=1 name=host/4242 threads=2
 *   worker id=1 name=host/4242 slices=N busy_s=S        (at the end, per worker)
 *   total slices=K computed=N duplicates=D workers=W wall_s=S giter_per_s=G dropped=X
 *         sent_msgs=M sent_bytes=B recv_msgs=M recv_bytes=B    (the same line)
 *
 * wall_s runs from the start of the job -- when --workers N have joined --
 * to its last slice. A worker that vanishes needs no special handling: its
 * slices come round again in the queue (slice_queue.h). The traffic counts
 * are payload frames queued for sending and received, as a peer's `left`
 * event counts them (ZeroMQ's routing-id frames and framing not counted). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "baseline_wire.h"
#include "cli.h"
#include "commands.h"
#include "kernel.h"
#include "palette.h"
#include "params.h"
#include "png_io.h"
#include "slice.h"
#include "slice_queue.h"
#include "wire.h"

static const char s_usage[] =
    "Usage: p2pfractal master --port P [--bind ADDR] [--slices K] [--workers N]\n"
    "         [-o FILE] [-q]\n" APP_VIEW_USAGE "   or: p2pfractal master -h|--help|-V|--version\n"
    "The client/server baseline's master: wait for `p2pfractal worker`s, hand\n"
    "them slices of the view on demand, assemble the image and write it as\n"
    "`render` would. It renders nothing itself. Prints its endpoint first:\n"
    "  listening endpoint=tcp://ADDR:PORT\n"
    "\n"
    "Options:\n"
    "  -p, --port P              TCP port to listen on, 0..65535 (0: any free port)\n"
    "  -b, --bind ADDR           IPv4 address or interface to listen on (default\n"
    "                            127.0.0.1; '*' for all)\n"
    "  -s, --slices K            tiles to cut the image into, 1..4096 (default:\n"
    "                            ~32x32-px tiles, at least 16; as the peers')\n"
    "  -w, --workers N           hand out nothing until N workers have joined,\n"
    "                            1..4096 (default 1), so that all start together\n"
    "  -o, --output FILE         colour PNG to write (default p2pfractal.png)\n"
    "  -q, --quiet               print only the endpoint line (and errors)\n" APP_HELP_HELP
    "\n" APP_VIEW_HELP "\n"
    "Examples:\n"
    "  p2pfractal master --port 5555 --bind '*' --workers 2 -o cs.png\n"
    "  p2pfractal worker --connect 10.0.0.7:5555\n"
    "\n"
    "Exit status: 0 done; 1 the sockets or the PNG failed, or a signal came\n"
    "first; 2 a bad command line.\n";

void
app_help_master (FILE *out)
{
    fputs (s_usage, out);
}

/* The longest the loop sleeps: bounds how late it notices a signal. */
#define S_POLL_MAX_MS 100
/* Messages handled per pass before the loop looks at signals again. */
#define S_DRAIN_MAX_MSGS 1000
/* Workers remembered; each costs one byte per slice. */
#define S_WORKERS_MAX 4096
/* Longest ZeroMQ routing id (libzmq's own limit). */
#define S_IDENTITY_MAX 255
/* How long closing may take to deliver Done to workers still connected. */
#define S_DONE_LINGER_MS 2000
/* Requests held until --workers have joined. A worker sends one before
 * its first Assign; the cap only stops a flood. */
#define S_PARKED_MAX (4 * S_WORKERS_MAX)

typedef struct {
    uint8_t identity[S_IDENTITY_MAX]; /* its ROUTER routing id */
    size_t identity_len;              /* bytes of it */
    char name[APP_BASELINE_NAME_MAX]; /* from its Hello */
    int threads;                      /* from its Hello */
    int timeout_ms;                   /* from its Hello: it gives up after this */
    uint64_t wait_due_ms;             /* before the start: when it next gets a Wait */
    uint8_t *held;                    /* per slice: 1 while in its hands */
    int computed;                     /* results it returned (duplicates too) */
    double busy_s;                    /* sum of their render times */
} s_worker_t;

/* A Request that came before the job started. */
typedef struct {
    s_worker_t *worker; /* who asked */
    int n;              /* for how many */
} s_parked_t;

typedef struct {
    void *router;                                 /* the workers' one socket */
    app_baseline_geom_t geom;                     /* the job's image and cut */
    const rnd_view_t *view;                       /* the job */
    float *smooth;                                /* the image being assembled */
    app_slice_queue_t *queue;                     /* what is left, in hand-out order */
    s_worker_t **workers;                         /* in joining order (id = index + 1) */
    int n_workers, cap_workers;                   /* used and allocated */
    int duplicates;                               /* results for slices already done */
    int quorum;                                   /* --workers: joined before the job starts */
    int started;                                  /* 1 once --workers have joined */
    double start_s;                               /* when that happened */
    s_parked_t *parked;                           /* Requests before the start, in order */
    int n_parked, cap_parked;                     /* used and allocated */
    uint64_t rejected[APP_BASELINE_WIRE_NERRORS]; /* by the codec, by kind */
    uint64_t misplaced;                           /* valid, but out of place: see s_on_msg */
    uint64_t bad_frames;                          /* not [identity, one payload] */
    uint64_t sent_msgs, sent_bytes;               /* payloads queued for workers */
    uint64_t recv_msgs, recv_bytes;               /* payloads received (one frame each) */
    int quiet;                                    /* --quiet */
    int warned_workers_max;                       /* 1 once S_WORKERS_MAX was reported */
} s_master_t;

static void
s_zfree (void *data, void *hint)
{
    (void)hint;
    free (data);
}

/* Queues msg for worker w without blocking. The encoded buffer goes to
 * libzmq as is (no copy). A worker whose queue is full, or gone, loses the
 * message: Assigns lost that way are covered by the queue's rotation. */
static int
s_send (s_master_t *m, const s_worker_t *w, const app_baseline_msg_t *msg)
{
    size_t len;
    uint8_t *buf = app_baseline_wire_encode (msg, &len);
    if (!buf)
        return -1;
    if (zmq_send (m->router, w->identity, w->identity_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
        free (buf);
        return -1;
    }
    zmq_msg_t frame;
    if (zmq_msg_init_data (&frame, buf, len, s_zfree, NULL) != 0) {
        free (buf);
        return -1;
    }
    if (zmq_msg_send (&frame, m->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&frame);
        return -1;
    }
    m->sent_msgs++;
    m->sent_bytes += len;
    return 0;
}

static s_worker_t *
s_worker_find (const s_master_t *m, const uint8_t *identity, size_t len)
{
    for (int i = 0; i < m->n_workers; i++)
        if (m->workers[i]->identity_len == len &&
            memcmp (m->workers[i]->identity, identity, len) == 0)
            return m->workers[i];
    return NULL;
}

/* Before the start, workers have nothing to do but wait, and would give up
 * on a master that says nothing for their timeout: each gets a Wait three
 * times per timeout. */
static uint64_t
s_wait_interval_ms (const s_worker_t *w)
{
    return w->timeout_ms / 3 > 0 ? (uint64_t)(w->timeout_ms / 3) : 1;
}

static s_worker_t *
s_worker_add (s_master_t *m, const uint8_t *identity, size_t len, const app_baseline_msg_t *hello)
{
    if (m->n_workers >= S_WORKERS_MAX || len > S_IDENTITY_MAX)
        return NULL;
    if (m->n_workers == m->cap_workers) {
        int cap = m->cap_workers ? 2 * m->cap_workers : 16;
        s_worker_t **p = realloc (m->workers, (size_t)cap * sizeof *p);
        if (!p)
            return NULL;
        m->workers = p;
        m->cap_workers = cap;
    }
    s_worker_t *w = calloc (1, sizeof *w);
    uint8_t *held = calloc ((size_t)m->geom.slices, 1);
    if (!w || !held) {
        free (w);
        free (held);
        return NULL;
    }
    memcpy (w->identity, identity, len);
    w->identity_len = len;
    memcpy (w->name, hello->name, sizeof w->name);
    w->threads = hello->threads;
    w->timeout_ms = hello->timeout_ms;
    w->wait_due_ms = app_now_ms () + s_wait_interval_ms (w); /* the Job is a word too */
    w->held = held;
    m->workers[m->n_workers++] = w;
    return w;
}

static void
s_serve (s_master_t *m, s_worker_t *w, int n)
{
    app_baseline_msg_t assign;
    memset (&assign, 0, sizeof assign);
    assign.kind = APP_BASELINE_ASSIGN;
    /* Always answered, even with nothing: the worker counts its
     * outstanding requests by the answers. */
    assign.n_ids = app_slice_queue_issue (m->queue, w->held, n, assign.ids);
    s_send (m, w, &assign);
}

/* --workers have joined: the clock starts, and the Requests held so far
 * are answered in the order they came. */
static void
s_start (s_master_t *m)
{
    m->started = 1;
    m->start_s = app_now_s ();
    for (int i = 0; i < m->n_parked; i++)
        s_serve (m, m->parked[i].worker, m->parked[i].n);
    free (m->parked);
    m->parked = NULL;
    m->n_parked = m->cap_parked = 0;
}

static void
s_on_request (s_master_t *m, s_worker_t *w, const app_baseline_msg_t *req)
{
    if (m->started) {
        s_serve (m, w, req->n);
        return;
    }
    if (m->n_parked == m->cap_parked) {
        int cap = m->cap_parked ? 2 * m->cap_parked : 16;
        s_parked_t *p = cap <= S_PARKED_MAX ? realloc (m->parked, (size_t)cap * sizeof *p) : NULL;
        if (!p) {
            m->misplaced++;
            return;
        }
        m->parked = p;
        m->cap_parked = cap;
    }
    m->parked[m->n_parked++] = (s_parked_t){ w, req->n };
}

/* w: the worker of that routing id, NULL if it is new. */
static void
s_on_hello (s_master_t *m, s_worker_t *w, const uint8_t *identity, size_t identity_len,
            const app_baseline_msg_t *hello)
{
    if (!w) {
        w = s_worker_add (m, identity, identity_len, hello);
        if (!w) {
            if (!m->warned_workers_max) {
                m->warned_workers_max = 1;
                fprintf (stderr, "p2pfractal: master: cannot take more workers (%d joined)\n",
                         m->n_workers);
            }
            return;
        }
        if (!m->quiet) {
            printf ("worker joined id=%d name=%s threads=%d\n", m->n_workers, w->name, w->threads);
            fflush (stdout);
        }
    }
    /* A repeated Hello (same routing id) gets the Job again, nothing more. */
    app_baseline_msg_t job;
    memset (&job, 0, sizeof job);
    job.kind = APP_BASELINE_JOB;
    job.view = *m->view;
    job.slices = m->geom.slices;
    s_send (m, w, &job);
    if (!m->started && m->n_workers >= m->quorum)
        s_start (m);
}

static void
s_on_result (s_master_t *m, s_worker_t *w, const app_baseline_msg_t *res)
{
    /* Only what it was given: a worker cannot fill in slices on its own. */
    if (!w->held[res->slice]) {
        m->misplaced++;
        return;
    }
    w->held[res->slice] = 0;
    w->computed++;
    w->busy_s += res->render_s;
    if (app_slice_queue_complete (m->queue, res->slice) != 1) {
        m->duplicates++;
        return;
    }
    /* A tile: row by row into the image. */
    rnd_rect_t r = app_baseline_slice_rect (&m->geom, res->slice);
    size_t tw = (size_t)(r.x1 - r.x0);
    for (int y = r.y0; y < r.y1; y++)
        app_baseline_pixels_from_le (res->pixels + (size_t)(y - r.y0) * tw * 4, tw,
                                     m->smooth + (size_t)y * (size_t)m->geom.width_px +
                                         (size_t)r.x0);
}

/* Sends the Waits that are due (s_wait_interval_ms); returns when the next
 * one is. */
static uint64_t
s_keep_waiting (s_master_t *m, uint64_t now_ms)
{
    uint64_t next_ms = UINT64_MAX;
    app_baseline_msg_t wait;
    memset (&wait, 0, sizeof wait);
    wait.kind = APP_BASELINE_WAIT;
    for (int i = 0; i < m->n_workers; i++) {
        s_worker_t *w = m->workers[i];
        if (w->wait_due_ms <= now_ms) {
            s_send (m, w, &wait);
            w->wait_due_ms = now_ms + s_wait_interval_ms (w);
        }
        if (w->wait_due_ms < next_ms)
            next_ms = w->wait_due_ms;
    }
    return next_ms;
}

/* One message from a worker. Anything a master never receives (Job,
 * Assign, Done, Wait), and anything but Hello from a worker that has not said
 * Hello, is counted as misplaced and dropped. */
static void
s_on_msg (s_master_t *m, const uint8_t *identity, size_t identity_len, const uint8_t *buf,
          size_t len)
{
    app_baseline_msg_t msg;
    app_baseline_wire_error_t why;
    if (app_baseline_wire_decode (buf, len, &m->geom, &msg, &why) != 0) {
        m->rejected[why]++;
        return;
    }
    s_worker_t *w = s_worker_find (m, identity, identity_len);
    if (msg.kind == APP_BASELINE_HELLO)
        s_on_hello (m, w, identity, identity_len, &msg);
    else if (w && msg.kind == APP_BASELINE_REQUEST)
        s_on_request (m, w, &msg);
    else if (w && msg.kind == APP_BASELINE_RESULT)
        s_on_result (m, w, &msg);
    else
        m->misplaced++;
    app_baseline_msg_release (&msg);
}

/* 1 if the frame just received has more after it. */
static int
s_more (void *sock)
{
    int more = 0;
    size_t size = sizeof more;
    return zmq_getsockopt (sock, ZMQ_RCVMORE, &more, &size) == 0 && more;
}

/* Takes one message off the ROUTER without waiting and handles it: 1 if
 * there was one, 0 if none was waiting. A message is two frames, the
 * routing id the ROUTER adds and our payload; the payload is decoded where
 * libzmq received it (no copy). */
static int
s_recv_one (s_master_t *m)
{
    zmq_msg_t id, body;
    zmq_msg_init (&id);
    if (zmq_msg_recv (&id, m->router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&id);
        return 0;
    }
    if (!s_more (m->router)) {
        m->bad_frames++;
        zmq_msg_close (&id);
        return 1;
    }
    /* A multi-part message arrives whole: these reads do not wait. */
    zmq_msg_init (&body);
    if (zmq_msg_recv (&body, m->router, ZMQ_DONTWAIT) < 0) {
        m->bad_frames++;
        zmq_msg_close (&body);
        zmq_msg_close (&id);
        return 1;
    }
    if (s_more (m->router)) {
        /* More than one payload frame: not ours. Drain the rest. */
        m->bad_frames++;
        while (s_more (m->router)) {
            zmq_msg_close (&body);
            zmq_msg_init (&body);
            if (zmq_msg_recv (&body, m->router, ZMQ_DONTWAIT) < 0)
                break;
        }
    } else {
        m->recv_msgs++;
        m->recv_bytes += zmq_msg_size (&body);
        s_on_msg (m, zmq_msg_data (&id), zmq_msg_size (&id), zmq_msg_data (&body),
                  zmq_msg_size (&body));
    }
    zmq_msg_close (&body);
    zmq_msg_close (&id);
    return 1;
}

static uint64_t
s_dropped (const s_master_t *m)
{
    uint64_t n = m->misplaced + m->bad_frames;
    for (int i = 0; i < APP_BASELINE_WIRE_NERRORS; i++)
        n += m->rejected[i];
    return n;
}

/* On stderr, what was dropped and why (nothing if nothing was). */
static void
s_report_dropped (const s_master_t *m)
{
    if (s_dropped (m) == 0)
        return;
    fprintf (stderr,
             "p2pfractal: master: dropped %llu message%s:", (unsigned long long)s_dropped (m),
             app_plural_s (s_dropped (m)));
    const char *sep = "";
    for (int i = 0; i < APP_BASELINE_WIRE_NERRORS; i++) {
        if (m->rejected[i]) {
            fprintf (stderr, "%s %llu %s", sep, (unsigned long long)m->rejected[i],
                     app_baseline_wire_strerror ((app_baseline_wire_error_t)i));
            sep = ",";
        }
    }
    if (m->misplaced) {
        fprintf (stderr, "%s %llu out of place", sep, (unsigned long long)m->misplaced);
        sep = ",";
    }
    if (m->bad_frames)
        fprintf (stderr, "%s %llu not one payload frame", sep, (unsigned long long)m->bad_frames);
    fputc ('\n', stderr);
}

/* Binds the ROUTER on tcp://bind_addr:port and prints the endpoint line.
 * 0, or -1 with the reason printed. */
static int
s_listen (s_master_t *m, void *ctx, const char *bind_addr, int port)
{
    m->router = zmq_socket (ctx, ZMQ_ROUTER);
    /* No lingering on close unless Done is on its way (see the end), and
     * no message larger than a Result of the tallest slice: a peer that
     * sends one is disconnected before a byte of it is buffered. */
    int linger_ms = 0;
    int64_t max_msg_bytes = (int64_t)app_baseline_wire_max_bytes (&m->geom);
    if (!m->router || zmq_setsockopt (m->router, ZMQ_LINGER, &linger_ms, sizeof linger_ms) != 0 ||
        zmq_setsockopt (m->router, ZMQ_MAXMSGSIZE, &max_msg_bytes, sizeof max_msg_bytes) != 0) {
        fprintf (stderr, "p2pfractal: master: ROUTER socket: %s\n", zmq_strerror (errno));
        return -1;
    }
    char ep[128], port_str[16] = "*";
    if (port > 0)
        snprintf (port_str, sizeof port_str, "%d", port);
    snprintf (ep, sizeof ep, "tcp://%s:%s", bind_addr, port_str);
    if (zmq_bind (m->router, ep) != 0) {
        fprintf (stderr, "p2pfractal: master: cannot bind %s: %s\n", ep, zmq_strerror (errno));
        return -1;
    }
    /* The port we really got. */
    char last[256];
    size_t last_size = sizeof last;
    if (zmq_getsockopt (m->router, ZMQ_LAST_ENDPOINT, last, &last_size) != 0) {
        fprintf (stderr, "p2pfractal: master: cannot read back the endpoint of %s\n", ep);
        return -1;
    }
    printf ("listening endpoint=%s\n", last);
    fflush (stdout);
    return 0;
}

/* The loop: until every slice is in, or a signal. 0 when complete, -1 if
 * interrupted or zmq_poll failed (reason printed). */
static int
s_run (s_master_t *m)
{
    while (app_slice_queue_remaining (m->queue) > 0) {
        if (app_stop_requested) {
            fprintf (stderr, "p2pfractal: master: interrupted with %d of %d slices done\n",
                     m->geom.slices - app_slice_queue_remaining (m->queue), m->geom.slices);
            return -1;
        }
        long poll_ms = S_POLL_MAX_MS;
        if (!m->started) {
            uint64_t now_ms = app_now_ms ();
            uint64_t due_ms = s_keep_waiting (m, now_ms);
            if (due_ms - now_ms < (uint64_t)poll_ms)
                poll_ms = (long)(due_ms - now_ms);
        }
        zmq_pollitem_t item = { m->router, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, poll_ms) < 0) {
            if (errno == EINTR)
                continue;
            fprintf (stderr, "p2pfractal: master: zmq_poll: %s\n", zmq_strerror (errno));
            return -1;
        }
        for (int i = 0; i < S_DRAIN_MAX_MSGS && app_slice_queue_remaining (m->queue) > 0; i++)
            if (!s_recv_one (m))
                break;
    }
    return 0;
}

/* Colours the assembled image and writes it, exactly as `render` does. */
static int
s_write_png (const s_master_t *m, const app_view_opts_t *vo, const rnd_palette_t *palette,
             const char *out_path)
{
    const rnd_view_t *v = m->view;
    size_t npix = (size_t)v->width_px * v->height_px;
    char params[RND_PARAMS_FORMAT_MAX], err[512];
    if (rnd_params_format (v, params, sizeof params) < 0) {
        /* validation admits only views that format; this is a bug */
        fprintf (stderr, "p2pfractal: internal error: cannot write the view's parameters\n");
        return -1;
    }
    uint8_t *rgb = malloc (npix * 3);
    if (!rgb) {
        fprintf (stderr, "p2pfractal: out of memory for a %dx%d image\n", v->width_px,
                 v->height_px);
        return -1;
    }
    rnd_colourise (palette, app_view_opts_colouring (vo), m->smooth, npix, rgb);
    int rc = rnd_png_write_rgb (out_path, rgb, v->width_px, v->height_px, params, err, sizeof err);
    free (rgb);
    if (rc) {
        fprintf (stderr, "p2pfractal: %s\n", err);
        return -1;
    }
    if (!m->quiet)
        fprintf (stderr, "p2pfractal: wrote %s\n", out_path);
    return 0;
}

static void
s_report (const s_master_t *m, double wall_s)
{
    int computed = 0;
    for (int i = 0; i < m->n_workers; i++) {
        const s_worker_t *w = m->workers[i];
        computed += w->computed;
        printf ("worker id=%d name=%s slices=%d busy_s=%.3f\n", i + 1, w->name, w->computed,
                w->busy_s);
    }
    const rnd_view_t *v = m->view;
    uint64_t iters = 0;
    for (size_t i = 0, n = (size_t)v->width_px * v->height_px; i < n; i++)
        iters += rnd_smooth_iterations (m->smooth[i], v->max_iter);
    printf ("total slices=%d computed=%d duplicates=%d workers=%d wall_s=%.3f giter_per_s=%.3f "
            "dropped=%llu sent_msgs=%llu sent_bytes=%llu recv_msgs=%llu recv_bytes=%llu\n",
            m->geom.slices, computed, m->duplicates, m->n_workers, wall_s,
            wall_s > 0 ? iters / wall_s / 1e9 : 0.0, (unsigned long long)s_dropped (m),
            (unsigned long long)m->sent_msgs, (unsigned long long)m->sent_bytes,
            (unsigned long long)m->recv_msgs, (unsigned long long)m->recv_bytes);
    fflush (stdout);
}

static void
s_master_free (s_master_t *m)
{
    for (int i = 0; i < m->n_workers; i++) {
        free (m->workers[i]->held);
        free (m->workers[i]);
    }
    free (m->workers);
    free (m->parked);
    free (m->smooth);
    app_slice_queue_destroy (&m->queue);
}

int
app_cmd_master (int argc, char **argv)
{
    static const struct option opts[] = {
        { "port", required_argument, 0, 'p' },
        { "bind", required_argument, 0, 'b' },
        { "slices", required_argument, 0, 's' },
        { "workers", required_argument, 0, 'w' },
        { "output", required_argument, 0, 'o' },
        { "quiet", no_argument, 0, 'q' },
        APP_HELP_LONG_OPTIONS,
        APP_VIEW_LONG_OPTIONS,
        { 0, 0, 0, 0 },
    };
    app_view_opts_t vo;
    app_view_opts_init (&vo);
    const char *out_path = "p2pfractal.png", *bind_addr = "127.0.0.1";
    int port = -1, slices = 0, quorum = 1, quiet = 0, opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":p:b:s:w:o:qhV", opts, NULL)) != -1) {
        switch (opt) {
        case 'p':
            port = app_opt_port ("--port", optarg);
            break;
        case 'b':
            bind_addr = app_opt_bind ("--bind", optarg);
            break;
        case 's':
            slices = app_opt_int ("--slices", optarg, "a slice count", 1, RND_SLICES_MAX);
            break;
        case 'w':
            quorum = app_opt_int ("--workers", optarg, "a worker count", 1, S_WORKERS_MAX);
            break;
        case 'o':
            out_path = app_opt_file ("-o", optarg);
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            app_help_master (stdout);
            return APP_EXIT_OK;
        case 'V':
            return app_version_print ();
        case '?':
        case ':':
            app_getopt_error ("master", argv, opt);
        default:
            app_view_opts_apply (&vo, opt, optarg);
        }
    }
    app_no_operands ("master", argc, argv);
    if (port < 0)
        app_usage_error ("--port: missing: master needs --port P (0 for any free port)");
    rnd_palette_t palette;
    app_view_opts_finish (&vo, &palette);
    if (vo.view.samples != 1)
        app_usage_error ("--samples: the client/server baseline renders 1 sample a pixel "
                         "('render' and 'peer' anti-alias)");
    /* A typo in -o should not cost the whole job first. */
    app_check_writable ("-o", out_path);

    s_master_t m;
    memset (&m, 0, sizeof m);
    m.quiet = quiet;
    m.quorum = quorum;
    m.view = &vo.view;
    app_baseline_geom_set (&m.geom, &vo.view,
                           rnd_slice_count (vo.view.width_px, vo.view.height_px, slices));
    /* A Result travels in one message, under the codec's 16 MiB cap. */
    if (app_baseline_wire_max_bytes (&m.geom) > OVL_WIRE_MAX_BYTES)
        app_usage_error ("--slices: %d is too few for a %dx%d image (a slice must fit in 16 MiB)",
                         m.geom.slices, vo.view.width_px, vo.view.height_px);
    size_t npix = (size_t)vo.view.width_px * vo.view.height_px;
    m.smooth = malloc (npix * sizeof *m.smooth);
    m.queue = app_slice_queue_new (m.geom.slices);
    if (!m.smooth || !m.queue) {
        fprintf (stderr, "p2pfractal: out of memory for a %dx%d image\n", vo.view.width_px,
                 vo.view.height_px);
        s_master_free (&m);
        return APP_EXIT_FAIL;
    }
    void *ctx = zmq_ctx_new ();
    if (!ctx || s_listen (&m, ctx, bind_addr, port) != 0) {
        if (!ctx)
            fprintf (stderr, "p2pfractal: master: zmq_ctx_new: %s\n", zmq_strerror (errno));
        if (m.router)
            zmq_close (m.router);
        if (ctx)
            zmq_ctx_term (ctx);
        s_master_free (&m);
        return APP_EXIT_FAIL;
    }
    if (!quiet) {
        printf ("slices added: %d\n", m.geom.slices);
        fflush (stdout);
    }

    app_catch_stop_signals ();

    int rc = APP_EXIT_FAIL;
    if (s_run (&m) == 0) {
        double wall_s = app_now_s () - m.start_s;
        /* Workers first, so they stop while the PNG is written. */
        app_baseline_msg_t done;
        memset (&done, 0, sizeof done);
        done.kind = APP_BASELINE_DONE;
        for (int i = 0; i < m.n_workers; i++)
            s_send (&m, m.workers[i], &done);
        rc = s_write_png (&m, &vo, &palette, out_path) == 0 ? APP_EXIT_OK : APP_EXIT_FAIL;
        if (!quiet) {
            s_report (&m, wall_s);
            s_report_dropped (&m);
        }
        /* Closing drops what is still queued unless told to linger. */
        int linger_ms = S_DONE_LINGER_MS;
        zmq_setsockopt (m.router, ZMQ_LINGER, &linger_ms, sizeof linger_ms);
    }
    zmq_close (m.router);
    zmq_ctx_term (ctx);
    s_master_free (&m);
    return rc;
}
