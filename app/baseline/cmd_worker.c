/* cmd_worker.c: `p2pfractal worker` -- the client/server baseline's worker.
 * It connects a DEALER to the master, says Hello, gets the Job, and keeps
 * one slice per render thread plus one ahead in its hands, so no thread
 * waits for a round trip: every finished slice goes back as a Result
 * followed by a Request for the room it freed. It ends when the master
 * says Done (exit 0), printing
 *
 *   worker done slices=N busy_s=S wall_s=W dropped=X
 *
 * or when it has nothing to render and has heard nothing from the master
 * for --timeout-ms (exit 1).
 *
 * Render threads never touch the socket: they take slice ids from a locked
 * queue, render and encode the Result themselves, and hand it back through
 * a locked list plus one byte on a pipe, which the main thread's zmq_poll
 * watches beside the socket. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "baseline_wire.h"
#include "cli.h"
#include "commands.h"
#include "kernel.h"
#include "render_pool.h"
#include "slice.h"

static const char s_usage[] =
    "Usage: p2pfractal worker --connect HOST:PORT [-t N] [-k KERNEL]\n"
    "         [--timeout-ms N] [-q]\n"
    "   or: p2pfractal worker -h|--help|-V|--version\n"
    "The client/server baseline's worker: render the slices `p2pfractal master`\n"
    "hands out until it says the image is done.\n"
    "\n"
    "Options:\n"
    "  -c, --connect HOST:PORT   the master's endpoint\n"
    "  -t, --threads N           render threads, 1..1024 (default: one per CPU)\n"
    "  -k, --kernel KERNEL       auto, scalar, avx2 or avx512 (default auto: the\n"
    "                            fastest this CPU runs)\n"
    "      --timeout-ms N        give up (exit 1) after N ms with nothing to render\n"
    "                            and no word from the master, 1..600000 (default\n"
    "                            10000)\n"
    "  -q, --quiet               no report line at the end\n" APP_HELP_HELP "\n"
    "Examples:\n"
    "  p2pfractal worker --connect 10.0.0.7:5555\n"
    "  p2pfractal worker --connect 127.0.0.1:5555 --threads 2 --timeout-ms 30000\n"
    "\n"
    "Exit status: 0 the master said done; 1 gave up or a runtime failure; 2 a bad\n"
    "command line.\n";

void
app_help_worker (FILE *out)
{
    fputs (s_usage, out);
}

/* The longest the loop sleeps: bounds how late it notices a signal. */
#define S_POLL_MAX_MS 100
/* Messages handled per pass before finished slices get their turn. */
#define S_DRAIN_MAX_MSGS 1000
#define S_TIMEOUT_MS_DEFAULT 10000

/* A finished slice, encoded, waiting for the main thread to send it. */
typedef struct {
    uint8_t *bytes;  /* the Result message (malloc'd); NULL if memory ran out */
    size_t len;      /* its length */
    double render_s; /* the kernel's time on it */
} s_result_t;

/* What the render threads share with the main thread. Everything below
 * `lock` is guarded by it; job, geom and kernel are written once, before
 * the first slice is queued, and only read afterwards. */
typedef struct {
    rnd_kjob_t job;           /* the view, digested */
    app_baseline_geom_t geom; /* its image and cut */
    rnd_kernel_t kernel;      /* which variant */
    int wake_fd;              /* write end of the pipe the main thread polls */
    pthread_mutex_t lock;     /* guards the rest */
    pthread_cond_t work;      /* a slice was queued, or stop was set */
    int stop;                 /* 1: threads exit when they next look */
    uint32_t *todo;           /* slices handed to us, not started: a ring */
    int todo_head, todo_len;  /* its first entry and length */
    int cap;                  /* capacity of todo and results: threads + 1 */
    s_result_t *results;      /* finished, not yet collected */
    int n_results;            /* entries in results */
} s_pool_t;

static void *
s_render_thread (void *arg)
{
    s_pool_t *p = arg;
    for (;;) {
        pthread_mutex_lock (&p->lock);
        while (!p->stop && p->todo_len == 0)
            pthread_cond_wait (&p->work, &p->lock);
        if (p->stop) {
            pthread_mutex_unlock (&p->lock);
            return NULL;
        }
        int slice = (int)p->todo[p->todo_head];
        p->todo_head = (p->todo_head + 1) % p->cap;
        p->todo_len--;
        pthread_mutex_unlock (&p->lock);

        rnd_rect_t rect = app_baseline_slice_rect (&p->geom, slice);
        size_t n = rnd_rect_px (rect);
        s_result_t r = { NULL, 0, 0.0 };
        float *px = malloc (n * sizeof *px);
        if (px) {
            double t0 = app_now_s ();
            rnd_kernel_run_rect (p->kernel, &p->job, rect, px);
            r.render_s = app_now_s () - t0;
            /* In place: the floats are not needed once they are bytes. */
            app_baseline_pixels_to_le (px, n, (uint8_t *)px);
            app_baseline_msg_t msg;
            memset (&msg, 0, sizeof msg);
            msg.kind = APP_BASELINE_RESULT;
            msg.slice = slice;
            msg.pixels = (const uint8_t *)px;
            msg.pixel_bytes = n * sizeof *px;
            msg.render_s = r.render_s;
            r.bytes = app_baseline_wire_encode (&msg, &r.len);
            free (px);
        }
        pthread_mutex_lock (&p->lock);
        p->results[p->n_results++] = r;
        pthread_mutex_unlock (&p->lock);
        /* A full pipe already holds a wake-up: losing this byte is fine. */
        ssize_t ignored = write (p->wake_fd, "", 1);
        (void)ignored;
    }
}

/* Worker state the main thread keeps. */
typedef struct {
    void *dealer;            /* our one socket */
    s_pool_t pool;           /* the render threads' side */
    pthread_t *tids;         /* the render threads */
    int threads;             /* how many run */
    int have_job;            /* 1 once the Job arrived */
    int in_hand;             /* slices assigned, results not yet sent */
    int asked;               /* slices requested, not yet answered */
    int *asks;               /* outstanding Requests' n, oldest first: a ring */
    int asks_head, asks_len; /* of capacity pool.cap */
    s_result_t *sending;     /* scratch: results taken from the pool */
    int wake_rd;             /* read end of the threads' wake-up pipe */
    int computed;            /* results sent */
    double busy_s;           /* their render times */
    uint64_t dropped;        /* messages from the master we dropped */
} s_worker_t;

static void
s_zfree (void *data, void *hint)
{
    (void)hint;
    free (data);
}

/* Sends an encoded message, handing the buffer to libzmq (no copy); it is
 * freed either way. Blocks at most the socket's send timeout (only when
 * ZMQ_SNDHWM messages are queued: the master is gone). 0 or -1. */
static int
s_send_bytes (s_worker_t *w, uint8_t *buf, size_t len)
{
    zmq_msg_t frame;
    if (!buf)
        return -1;
    if (zmq_msg_init_data (&frame, buf, len, s_zfree, NULL) != 0) {
        free (buf);
        return -1;
    }
    if (zmq_msg_send (&frame, w->dealer, 0) < 0) {
        zmq_msg_close (&frame);
        return -1;
    }
    return 0;
}

static int
s_send (s_worker_t *w, const app_baseline_msg_t *msg)
{
    size_t len;
    uint8_t *buf = app_baseline_wire_encode (msg, &len);
    return s_send_bytes (w, buf, len);
}

/* Asks for what keeps threads + 1 slices in our hands. Only called when a
 * slice left them (and at the start): a short Assign means the master has
 * nothing else for us yet, and asking again would only spin. */
static int
s_top_up (s_worker_t *w)
{
    int want = w->pool.cap - w->in_hand - w->asked;
    if (want <= 0)
        return 0;
    app_baseline_msg_t req;
    memset (&req, 0, sizeof req);
    req.kind = APP_BASELINE_REQUEST;
    req.n = want;
    if (s_send (w, &req) != 0)
        return -1;
    w->asks[(w->asks_head + w->asks_len++) % w->pool.cap] = want;
    w->asked += want;
    return 0;
}

/* Sends every finished slice back, then asks for the room they freed.
 * -1 (reason printed) on a failure. */
static int
s_collect (s_worker_t *w)
{
    char drain[256];
    while (read (w->wake_rd, drain, sizeof drain) > 0)
        ;
    pthread_mutex_lock (&w->pool.lock);
    int n = w->pool.n_results;
    memcpy (w->sending, w->pool.results, (size_t)n * sizeof *w->sending);
    w->pool.n_results = 0;
    pthread_mutex_unlock (&w->pool.lock);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        s_result_t *r = &w->sending[i];
        if (rc == 0 && !r->bytes) {
            fprintf (stderr, "p2pfractal: worker: out of memory for a slice\n");
            rc = -1;
        } else if (rc == 0 && s_send_bytes (w, r->bytes, r->len) != 0) {
            fprintf (stderr, "p2pfractal: worker: cannot send to the master: %s\n",
                     zmq_strerror (errno));
            rc = -1;
        } else if (rc != 0) {
            free (r->bytes);
        }
        r->bytes = NULL;
        w->in_hand--;
        w->computed++;
        w->busy_s += r->render_s;
    }
    if (rc == 0 && n > 0 && s_top_up (w) != 0) {
        fprintf (stderr, "p2pfractal: worker: cannot send to the master: %s\n",
                 zmq_strerror (errno));
        rc = -1;
    }
    return rc;
}

/* Queues slices for the render threads. */
static void
s_pool_push (s_pool_t *p, const uint32_t *ids, int n)
{
    pthread_mutex_lock (&p->lock);
    for (int i = 0; i < n; i++)
        p->todo[(p->todo_head + p->todo_len++) % p->cap] = ids[i];
    pthread_cond_broadcast (&p->work);
    pthread_mutex_unlock (&p->lock);
}

/* What the master said. 1 on Done, 0 otherwise. Anything a worker never
 * receives, a second Job, or an Assign that answers no Request or gives
 * more than it asked, is dropped and counted. */
static int
s_on_msg (s_worker_t *w, const app_baseline_msg_t *msg)
{
    switch (msg->kind) {
    case APP_BASELINE_JOB:
        if (w->have_job)
            break;
        /* Before any slice is queued, so the threads read it complete. */
        rnd_kjob_init (&w->pool.job, &msg->view);
        app_baseline_geom_set (&w->pool.geom, &msg->view, msg->slices);
        w->have_job = 1;
        return 0;
    case APP_BASELINE_ASSIGN: {
        if (w->asks_len == 0)
            break;
        int n = w->asks[w->asks_head];
        w->asks_head = (w->asks_head + 1) % w->pool.cap;
        w->asks_len--;
        w->asked -= n;
        if (msg->n_ids > n)
            break;
        s_pool_push (&w->pool, msg->ids, msg->n_ids);
        w->in_hand += msg->n_ids;
        return 0;
    }
    case APP_BASELINE_DONE:
        return 1;
    case APP_BASELINE_WAIT:
        return 0; /* heard: that is all it says */
    default:
        break;
    }
    w->dropped++;
    return 0;
}

/* Takes what the master sent, without waiting. 1 on Done, 0 otherwise;
 * *heard set if a valid message came. */
static int
s_recv (s_worker_t *w, int *heard)
{
    for (int i = 0; i < S_DRAIN_MAX_MSGS; i++) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, w->dealer, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&frame);
            return 0;
        }
        app_baseline_msg_t msg;
        int rc = app_baseline_wire_decode (zmq_msg_data (&frame), zmq_msg_size (&frame),
                                           w->have_job ? &w->pool.geom : NULL, &msg, NULL);
        zmq_msg_close (&frame);
        if (rc != 0) {
            w->dropped++;
            continue;
        }
        *heard = 1;
        int done = s_on_msg (w, &msg);
        app_baseline_msg_release (&msg);
        if (done)
            return 1;
    }
    return 0;
}

/* "host/pid": how the master's report names us. Non-printable characters
 * (which a host name should not have) become '?', as the codec demands. */
static void
s_name (char *name, size_t size)
{
    char host[64] = "localhost";
    if (gethostname (host, sizeof host) != 0)
        snprintf (host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    snprintf (name, size, "%.40s/%ld", host, (long)getpid ());
    for (char *c = name; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            *c = '?';
}

/* Opens the DEALER to endpoint. Its routing id is ours, not libzmq's
 * per-connection one, so the master still knows us if TCP reconnects. */
static int
s_connect (s_worker_t *w, void *ctx, const char *endpoint, const char *name, int timeout_ms)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    char rid[128];
    snprintf (rid, sizeof rid, "%s/%lx", name,
              (unsigned long)(ts.tv_sec * 1000000000L + ts.tv_nsec));
    int linger_ms = 0;
    int64_t max_msg_bytes = APP_BASELINE_CTRL_MAX_BYTES;
    w->dealer = zmq_socket (ctx, ZMQ_DEALER);
    if (!w->dealer || zmq_setsockopt (w->dealer, ZMQ_LINGER, &linger_ms, sizeof linger_ms) != 0 ||
        zmq_setsockopt (w->dealer, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms) != 0 ||
        zmq_setsockopt (w->dealer, ZMQ_MAXMSGSIZE, &max_msg_bytes, sizeof max_msg_bytes) != 0 ||
        zmq_setsockopt (w->dealer, ZMQ_ROUTING_ID, rid, strlen (rid)) != 0) {
        fprintf (stderr, "p2pfractal: worker: DEALER socket: %s\n", zmq_strerror (errno));
        return -1;
    }
    /* Without ZMQ_IMMEDIATE the pipe exists at once: Hello and the first
     * Request queue while TCP connects. */
    if (zmq_connect (w->dealer, endpoint) != 0) {
        fprintf (stderr, "p2pfractal: worker: cannot connect to %s: %s\n", endpoint,
                 zmq_strerror (errno));
        return -1;
    }
    return 0;
}

/* Starts the render threads, with SIGINT and SIGTERM blocked in them so
 * that a signal interrupts the main thread's zmq_poll at once. Returns how
 * many started. */
static int
s_pool_start (s_worker_t *w, int threads)
{
    sigset_t block, old;
    sigemptyset (&block);
    sigaddset (&block, SIGINT);
    sigaddset (&block, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &block, &old);
    int started = 0;
    for (; started < threads; started++)
        if (pthread_create (&w->tids[started], NULL, s_render_thread, &w->pool) != 0)
            break;
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    return started;
}

static void
s_pool_stop (s_worker_t *w)
{
    pthread_mutex_lock (&w->pool.lock);
    w->pool.stop = 1;
    pthread_cond_broadcast (&w->pool.work);
    pthread_mutex_unlock (&w->pool.lock);
    /* A thread mid-slice finishes it first: kernels cannot be cut short. */
    for (int i = 0; i < w->threads; i++)
        pthread_join (w->tids[i], NULL);
    w->threads = 0;
    for (int i = 0; i < w->pool.n_results; i++)
        free (w->pool.results[i].bytes);
    w->pool.n_results = 0;
}

/* The loop, until Done (0) or a failure (-1, reason printed). */
static int
s_run (s_worker_t *w, const char *endpoint, int timeout_ms)
{
    uint64_t quiet_since_ms = app_now_ms ();
    for (;;) {
        if (app_stop_requested) {
            fprintf (stderr, "p2pfractal: worker: interrupted\n");
            return -1;
        }
        uint64_t now = app_now_ms ();
        long poll_ms = S_POLL_MAX_MS;
        if (w->in_hand == 0) {
            /* Nothing to render: now only the master can move us on. */
            uint64_t deadline = quiet_since_ms + (uint64_t)timeout_ms;
            if (now >= deadline) {
                fprintf (stderr,
                         "p2pfractal: worker: no word from the master at %s for %d ms; "
                         "giving up\n",
                         endpoint, timeout_ms);
                return -1;
            }
            if ((long)(deadline - now) < poll_ms)
                poll_ms = (long)(deadline - now);
        }
        zmq_pollitem_t items[2] = {
            { w->dealer, 0, ZMQ_POLLIN, 0 },
            { NULL, w->wake_rd, ZMQ_POLLIN, 0 },
        };
        if (zmq_poll (items, 2, poll_ms) < 0) {
            if (errno == EINTR)
                continue;
            fprintf (stderr, "p2pfractal: worker: zmq_poll: %s\n", zmq_strerror (errno));
            return -1;
        }
        if (items[1].revents & ZMQ_POLLIN) {
            int before = w->in_hand;
            if (s_collect (w) != 0)
                return -1;
            if (before > 0 && w->in_hand == 0)
                quiet_since_ms = app_now_ms ();
        }
        int heard = 0;
        if (s_recv (w, &heard))
            return 0;
        if (heard)
            quiet_since_ms = app_now_ms ();
    }
}

int
app_cmd_worker (int argc, char **argv)
{
    enum { OPT_TIMEOUT_MS = 1 };
    static const struct option opts[] = {
        { "connect", required_argument, 0, 'c' },
        { "threads", required_argument, 0, 't' },
        { "kernel", required_argument, 0, 'k' },
        { "timeout-ms", required_argument, 0, OPT_TIMEOUT_MS },
        { "quiet", no_argument, 0, 'q' },
        APP_HELP_LONG_OPTIONS,
        { 0, 0, 0, 0 },
    };
    const char *connect_to = NULL;
    int threads = app_cpu_count (), quiet = 0, timeout_ms = S_TIMEOUT_MS_DEFAULT, opt;
    rnd_kernel_t kernel = RND_KERNEL_AUTO;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":c:t:k:qhV", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            connect_to = app_opt_hostport ("--connect", optarg, 200);
            break;
        case 't':
            threads =
                app_opt_int ("--threads", optarg, "a thread count", 1, APP_BASELINE_THREADS_MAX);
            break;
        case 'k':
            kernel = app_opt_kernel ("--kernel", optarg);
            break;
        case OPT_TIMEOUT_MS:
            timeout_ms = app_opt_int ("--timeout-ms", optarg, "a time in ms", 1,
                                      APP_BASELINE_TIMEOUT_MAX_MS);
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            app_help_worker (stdout);
            return APP_EXIT_OK;
        case 'V':
            return app_version_print ();
        default:
            app_getopt_error ("worker", argv, opt);
        }
    }
    app_no_operands ("worker", argc, argv);
    if (!connect_to)
        app_usage_error ("--connect: missing: worker needs --connect HOST:PORT");
    char endpoint[256], name[APP_BASELINE_NAME_MAX];
    snprintf (endpoint, sizeof endpoint, "tcp://%s", connect_to);
    s_name (name, sizeof name);

    s_worker_t w;
    memset (&w, 0, sizeof w);
    w.wake_rd = -1;
    w.pool.wake_fd = -1;
    w.pool.kernel = kernel;
    w.pool.cap = threads + 1;
    w.pool.todo = calloc ((size_t)w.pool.cap, sizeof *w.pool.todo);
    w.pool.results = calloc ((size_t)w.pool.cap, sizeof *w.pool.results);
    w.sending = calloc ((size_t)w.pool.cap, sizeof *w.sending);
    w.asks = calloc ((size_t)w.pool.cap, sizeof *w.asks);
    w.tids = calloc ((size_t)threads, sizeof *w.tids);
    int fds[2] = { -1, -1 };
    int rc = APP_EXIT_FAIL;
    void *ctx = NULL;
    pthread_mutex_init (&w.pool.lock, NULL);
    pthread_cond_init (&w.pool.work, NULL);
    if (!w.pool.todo || !w.pool.results || !w.sending || !w.asks || !w.tids) {
        fprintf (stderr, "p2pfractal: worker: out of memory\n");
        goto out;
    }
    /* Non-blocking both ways: threads never wait on a full pipe, and the
     * main thread drains it until empty. */
    if (pipe (fds) != 0 || fcntl (fds[0], F_SETFL, O_NONBLOCK) != 0 ||
        fcntl (fds[1], F_SETFL, O_NONBLOCK) != 0) {
        fprintf (stderr, "p2pfractal: worker: pipe: %s\n", strerror (errno));
        goto out;
    }
    w.wake_rd = fds[0];
    w.pool.wake_fd = fds[1];
    ctx = zmq_ctx_new ();
    if (!ctx) {
        fprintf (stderr, "p2pfractal: worker: zmq_ctx_new: %s\n", zmq_strerror (errno));
        goto out;
    }
    if (s_connect (&w, ctx, endpoint, name, timeout_ms) != 0)
        goto out;
    w.threads = s_pool_start (&w, threads);
    if (w.threads == 0) {
        fprintf (stderr, "p2pfractal: worker: cannot start a render thread\n");
        goto out;
    }

    app_catch_stop_signals ();

    double t0 = app_now_s ();
    app_baseline_msg_t hello;
    memset (&hello, 0, sizeof hello);
    hello.kind = APP_BASELINE_HELLO;
    hello.threads = w.threads;
    hello.timeout_ms = timeout_ms;
    snprintf (hello.name, sizeof hello.name, "%s", name);
    /* Hello and the first Request together: the master answers both
     * without a round trip in between. */
    if (s_send (&w, &hello) != 0 || s_top_up (&w) != 0) {
        fprintf (stderr, "p2pfractal: worker: cannot send to the master: %s\n",
                 zmq_strerror (errno));
        goto out;
    }
    if (s_run (&w, endpoint, timeout_ms) == 0) {
        rc = APP_EXIT_OK;
        if (!quiet) {
            printf ("worker done slices=%d busy_s=%.3f wall_s=%.3f dropped=%llu\n", w.computed,
                    w.busy_s, app_now_s () - t0, (unsigned long long)w.dropped);
            fflush (stdout);
        }
    }
out:
    if (w.threads > 0)
        s_pool_stop (&w);
    if (w.dealer)
        zmq_close (w.dealer);
    if (ctx)
        zmq_ctx_term (ctx);
    if (fds[0] >= 0)
        close (fds[0]);
    if (fds[1] >= 0)
        close (fds[1]);
    pthread_cond_destroy (&w.pool.work);
    pthread_mutex_destroy (&w.pool.lock);
    free (w.pool.todo);
    free (w.pool.results);
    free (w.sending);
    free (w.asks);
    free (w.tids);
    return rc;
}
