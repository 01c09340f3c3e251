/* test_peers.c: real `p2pfractal peer` processes on loopback rendering one
 * job while its master and then its tree's root are SIGKILLed and a late
 * peer joins; every survivor must write the image, pixel for pixel what
 * `p2pfractal render` writes. A joiner that is the node closest to the
 * network group's key must still learn the job. And bad command lines
 * exit 2.
 *
 * The peers' JSON Lines logs (--log-json) say who is master and root and
 * how far the job is. Waits are polls with deadlines: an inotify
 * descriptor on the log directory wakes the test when a log grows, and
 * child exits are collected on every pass. Every child is SIGKILLed and
 * reaped in teardown, whatever happened. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "id.h"
#include "png_io.h"
#include "rng.h"
#include "test_util.h"

#define S_FIRST 5                /* peers started at first */
#define S_PEERS (S_FIRST + 1)    /* and the late joiner */
#define S_START_TIMEOUT_MS 10000 /* a peer logs `started`, everyone adopts the job */
#define S_PHASE_TIMEOUT_MS 30000 /* a kill's consequence shows in the logs */
#define S_DONE_TIMEOUT_MS 120000 /* every survivor logs job_done */
#define S_EXIT_TIMEOUT_MS 10000  /* a peer exits after SIGTERM */
#define S_RUN_TIMEOUT_MS 60000   /* a one-shot command finishes */
#define S_KILL_AFTER_SLICES 4    /* slices done before the master dies */
/* Render-plus-throttle seconds the whole job should cost, so that it lasts
 * several seconds on five peers however fast this build renders. */
#define S_JOB_BUSY_S 30.0

/* The job: small, with enough iterations that a slice is real work. */
static const char *const s_view[] = { "--size", "320x180", "--iter", "300000", NULL };
#define S_SLICES "48"

typedef struct {
    pid_t pid;          /* 0 once reaped */
    int status;         /* exit status or 128 + signal, once reaped */
    int killed;         /* 1 if the test SIGKILLed it */
    char log_path[256]; /* its --log-json */
    char err_path[256]; /* its stderr */
    char png_path[256]; /* its -o */
    int log_fd;         /* the log, once it exists; -1 before */
    tu_lines_t lines;   /* its output, split into lines */
    char node[33];      /* its id, from `started` */
    int port;           /* its port, from `started` */
    int job_started;    /* 1 once it adopted a job */
    int job_done;       /* 1 once it wrote the image */
    int master, root;   /* its latest roles */
    uint64_t term;      /* the newest term it logged an election for */
    int slices_done;    /* slice_done lines */
} s_peer_t;

static char *s_dir;
static int s_inotify = -1;
static s_peer_t s_peers[S_PEERS];
static int s_n;                    /* peers spawned */
static uint64_t s_seeds[S_PEERS];  /* peer i runs with --seed s_seeds[i] */
static char s_killed_node[33];     /* the master SIGKILLed, once it is */
static uint64_t s_kill_unix_ms;    /* when (Unix ms, the logs' clock) */
static uint64_t s_first_assign_ms; /* first slice_assigned by another master */
static uint64_t s_first_remote_ms; /* the first of them to another peer */
static uint64_t s_elect_took_ms;   /* took_ms of the election after the kill */
static uint64_t s_elect_term;      /* and its term */

static uint64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t
s_unix_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* --- the logs' JSON: our own flat objects, read by key ------------------ */

/* The string value of key (no escapes in the values read here). */
static int
s_json_str (const char *line, const char *key, char *out, size_t size)
{
    char pat[64];
    snprintf (pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr (line, pat);
    if (!p)
        return -1;
    p += strlen (pat);
    const char *q = strchr (p, '"');
    if (!q || (size_t)(q - p) >= size)
        return -1;
    memcpy (out, p, (size_t)(q - p));
    out[q - p] = '\0';
    return 0;
}

static uint64_t
s_json_u64 (const char *line, const char *key)
{
    char pat[64];
    snprintf (pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr (line, pat);
    return p ? strtoull (p + strlen (pat), NULL, 10) : 0;
}

static int
s_json_true (const char *line, const char *key)
{
    char pat[64];
    snprintf (pat, sizeof pat, "\"%s\":true", key);
    return strstr (line, pat) != NULL;
}

static void
s_on_line (int i, const char *line)
{
    s_peer_t *p = &s_peers[i];
    char event[32], who[33];
    if (getenv ("P2PF_TEST_VERBOSE") && !strstr (line, "\"slice_"))
        print_message ("  peer %d: %.300s\n", i, line);
    if (s_json_str (line, "event", event, sizeof event) != 0)
        return;
    if (strcmp (event, "started") == 0) {
        s_json_str (line, "node", p->node, sizeof p->node);
        p->port = (int)s_json_u64 (line, "port");
    } else if (strcmp (event, "job_started") == 0) {
        p->job_started = 1;
    } else if (strcmp (event, "job_done") == 0) {
        p->job_done = 1;
    } else if (strcmp (event, "role") == 0) {
        p->master = s_json_true (line, "master");
        p->root = s_json_true (line, "root");
    } else if (strcmp (event, "master_elected") == 0) {
        uint64_t term = s_json_u64 (line, "term");
        if (term > p->term)
            p->term = term;
        if (s_killed_node[0] && s_json_str (line, "master", who, sizeof who) == 0 &&
            strcmp (who, s_killed_node) != 0 && term > s_elect_term) {
            s_elect_term = term;
            s_elect_took_ms = s_json_u64 (line, "took_ms");
        }
    } else if (strcmp (event, "slice_done") == 0) {
        p->slices_done++;
    } else if (strcmp (event, "slice_assigned") == 0) {
        /* Only a master logs assignments: this one's are the new master's. */
        uint64_t t = s_json_u64 (line, "t");
        if (s_killed_node[0] && strcmp (p->node, s_killed_node) != 0 && t >= s_kill_unix_ms) {
            if (!s_first_assign_ms)
                s_first_assign_ms = t;
            if (!s_first_remote_ms && s_json_str (line, "to", who, sizeof who) == 0 &&
                strcmp (who, p->node) != 0)
                s_first_remote_ms = t;
        }
    }
}

/* Read what peer i's log gained since last time. */
static void
s_read_log (int i)
{
    s_peer_t *p = &s_peers[i];
    if (p->log_fd < 0) {
        p->log_fd = open (p->log_path, O_RDONLY | O_CLOEXEC);
        if (p->log_fd < 0)
            return;
    }
    char buf[8192];
    ssize_t n;
    while ((n = read (p->log_fd, buf, sizeof buf)) > 0) {
        tu_lines_feed (&p->lines, buf, (size_t)n, s_on_line, i);
    }
}

/* Collect every child that exited. */
static void
s_reap_any (void)
{
    for (int i = 0; i < s_n; i++) {
        int status;
        if (s_peers[i].pid > 0 && waitpid (s_peers[i].pid, &status, WNOHANG) == s_peers[i].pid) {
            s_peers[i].pid = 0;
            s_peers[i].status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
        }
    }
}

/* Read the logs and reap children until cond() holds (1) or deadline_ms
 * passes (0). The inotify descriptor wakes us when a log grows; the 50 ms
 * cap only bounds how late a child's exit is noticed. */
static int
s_wait_until (int (*cond) (void), uint64_t deadline_ms)
{
    for (;;) {
        for (int i = 0; i < s_n; i++)
            s_read_log (i);
        s_reap_any ();
        if (cond ())
            return 1;
        uint64_t now = s_now_ms ();
        if (now >= deadline_ms)
            return 0;
        uint64_t left = deadline_ms - now;
        struct pollfd pfd = { s_inotify, POLLIN, 0 };
        if (poll (&pfd, 1, left < 50 ? (int)left : 50) > 0) {
            char events[4096];
            ssize_t rc = read (s_inotify, events, sizeof events);
            (void)rc; /* which file changed does not matter: all are read */
        }
    }
}

/* The last lines of every peer's stderr, before a failure. */
static void
s_dump (void)
{
    for (int i = 0; i < s_n; i++) {
        s_peer_t *p = &s_peers[i];
        print_message ("peer %d (%s, pid %d, status %d%s): done %d, job_done %d, master %d, "
                       "root %d, term %llu\n",
                       i, p->node, (int)p->pid, p->status, p->killed ? ", killed" : "",
                       p->slices_done, p->job_done, p->master, p->root,
                       (unsigned long long)p->term);
        FILE *f = fopen (p->err_path, "r");
        if (!f)
            continue;
        static char lines[12][512];
        int n = 0;
        while (fgets (lines[n % 12], sizeof lines[0], f))
            n++;
        fclose (f);
        for (int k = n > 12 ? n - 12 : 0; k < n; k++)
            print_message ("    %s", lines[k % 12]);
    }
}

#define S_FAIL(...)                                                                                \
    do {                                                                                           \
        s_dump ();                                                                                 \
        fail_msg (__VA_ARGS__);                                                                    \
    } while (0)

/* Start the binary with args (NULL-terminated) in the test directory,
 * stdout to /dev/null and stderr to "<name>.err" there (its path into
 * err_path). */
static pid_t
s_spawn (const char *name, const char *const *args, char *err_path, size_t err_size)
{
    const char *argv[64];
    int argc = 0;
    argv[argc++] = P2PF_BINARY;
    for (int k = 0; args[k] && argc < 63; k++)
        argv[argc++] = args[k];
    argv[argc] = NULL;
    char file[64];
    snprintf (file, sizeof file, "%s.err", name);
    tu_path_join (err_path, err_size, s_dir, file);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        int devnull = open ("/dev/null", O_WRONLY);
        int e = open (err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (devnull < 0 || e < 0 || chdir (s_dir) != 0)
            _exit (127);
        dup2 (devnull, 1);
        dup2 (e, 2);
        execv (P2PF_BINARY, (char *const *)argv);
        _exit (127);
    }
    return pid;
}

/* Wait for pid with a deadline; its status, or -1 (then it is killed). */
static int
s_run_wait (pid_t pid)
{
    uint64_t deadline = s_now_ms () + S_RUN_TIMEOUT_MS;
    int status;
    for (;;) {
        pid_t w = waitpid (pid, &status, WNOHANG);
        if (w == pid)
            return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
        if (w < 0 || s_now_ms () >= deadline) {
            kill (pid, SIGKILL);
            waitpid (pid, NULL, 0);
            return -1;
        }
        struct timespec nap = { 0, 2 * 1000 * 1000 };
        nanosleep (&nap, NULL); /* polling a child with a deadline */
    }
}

static void
s_slurp (const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    FILE *f = fopen (path, "rb");
    if (!f)
        return;
    size_t n = fread (buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose (f);
}

/* Start peer i: the first one (join_port 0) with the job, the others
 * joining through 127.0.0.1:join_port. */
static void
s_spawn_peer (int i, int join_port, const char *throttle, int exit_when_done)
{
    s_peer_t *p = &s_peers[i];
    memset (p, 0, sizeof *p);
    p->log_fd = -1;
    char name[32], file[64], seed[32], join[32];
    snprintf (name, sizeof name, "peer%d", i);
    snprintf (file, sizeof file, "%s.json", name);
    tu_path_join (p->log_path, sizeof p->log_path, s_dir, file);
    snprintf (file, sizeof file, "%s.png", name);
    tu_path_join (p->png_path, sizeof p->png_path, s_dir, file);
    snprintf (seed, sizeof seed, "%llu", (unsigned long long)s_seeds[i]);
    const char *args[48];
    int n = 0;
    args[n++] = "peer";
    args[n++] = "--headless";
    args[n++] = "--bind";
    args[n++] = "127.0.0.1";
    args[n++] = "--threads";
    args[n++] = "1";
    args[n++] = "--throttle";
    args[n++] = throttle;
    args[n++] = "--seed";
    args[n++] = seed;
    args[n++] = "--log-json";
    args[n++] = p->log_path;
    args[n++] = "-o";
    args[n++] = p->png_path;
    if (exit_when_done)
        args[n++] = "--exit-when-done";
    if (join_port) {
        snprintf (join, sizeof join, "127.0.0.1:%d", join_port);
        args[n++] = "--join";
        args[n++] = join;
    } else {
        for (int k = 0; s_view[k]; k++)
            args[n++] = s_view[k];
        args[n++] = "--slices";
        args[n++] = S_SLICES;
    }
    args[n] = NULL;
    p->pid = s_spawn (name, args, p->err_path, sizeof p->err_path);
    if (i >= s_n)
        s_n = i + 1;
}

/* --- conditions ---------------------------------------------------------- */

static int
s_alive (int i)
{
    return s_peers[i].pid > 0 && !s_peers[i].killed;
}

static int
s_first_started (void)
{
    return s_peers[0].port > 0 || s_peers[0].pid == 0;
}

/* Someone died on its own: every condition gives up at once. */
static int
s_crashed (void)
{
    for (int i = 0; i < s_n; i++)
        if (!s_peers[i].killed && s_peers[i].pid == 0 && !s_peers[i].job_done)
            return 1;
    return 0;
}

static int
s_all_adopted (void)
{
    if (s_crashed ())
        return 1;
    for (int i = 0; i < s_n; i++)
        if (!s_peers[i].job_started)
            return 0;
    return 1;
}

/* Index of the live peer that last said it is master (root), or -1. */
static int
s_find (int root)
{
    for (int i = 0; i < s_n; i++)
        if (s_alive (i) && (root ? s_peers[i].root : s_peers[i].master))
            return i;
    return -1;
}

static int
s_any_done (void)
{
    for (int i = 0; i < s_n; i++)
        if (s_peers[i].job_done)
            return 1;
    return 0;
}

static int
s_master_mid_job (void)
{
    int m = s_find (0);
    return s_crashed () || s_any_done () ||
           (m >= 0 && s_peers[m].slices_done >= S_KILL_AFTER_SLICES);
}

/* The new master hands out work to others: the network has recovered. */
static int
s_reassigned (void)
{
    return s_crashed () || s_first_remote_ms != 0;
}

static int
s_root_known (void)
{
    return s_crashed () || s_find (1) >= 0;
}

static int
s_late_started (void)
{
    return s_crashed () || s_peers[S_FIRST].port > 0;
}

static int
s_survivors_done (void)
{
    if (s_crashed ())
        return 1;
    for (int i = 0; i < s_n; i++)
        if (!s_peers[i].killed && !s_peers[i].job_done)
            return 0;
    return 1;
}

static int
s_survivors_exited (void)
{
    for (int i = 0; i < s_n; i++)
        if (!s_peers[i].killed && s_peers[i].pid > 0)
            return 0;
    return 1;
}

/* The id `p2pfractal peer --seed seed` takes (as cmd_peer.c draws it). */
static ovl_id_t
s_peer_id (uint64_t seed)
{
    ovl_rng_t rng;
    ovl_rng_seed (&rng, seed);
    return ovl_rng_id (&rng);
}

/* Peer i runs with --seed base + i: ids are random, a failing run
 * replays with P2PF_SEED. */
static void
s_pick_seeds (uint64_t base)
{
    for (int i = 0; i < S_PEERS; i++)
        s_seeds[i] = base + (uint64_t)i;
}

/* --- fixtures ------------------------------------------------------------ */

static int
s_setup (void **state)
{
    (void)state;
    memset (s_peers, 0, sizeof s_peers);
    for (int i = 0; i < S_PEERS; i++)
        s_peers[i].log_fd = -1;
    s_n = 0;
    s_killed_node[0] = '\0';
    s_kill_unix_ms = s_first_assign_ms = s_first_remote_ms = s_elect_took_ms = s_elect_term = 0;
    s_dir = tu_dir_new ("test_peers");
    if (!s_dir)
        return -1;
    s_inotify = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
    if (s_inotify < 0 || inotify_add_watch (s_inotify, s_dir, IN_MODIFY | IN_CREATE) < 0)
        return -1;
    return 0;
}

/* Whatever happened: no child outlives the test. */
static int
s_teardown (void **state)
{
    (void)state;
    for (int i = 0; i < S_PEERS; i++) {
        if (s_peers[i].pid > 0) {
            kill (s_peers[i].pid, SIGKILL);
            waitpid (s_peers[i].pid, NULL, 0);
            s_peers[i].pid = 0;
        }
        if (s_peers[i].log_fd >= 0)
            close (s_peers[i].log_fd);
        s_peers[i].log_fd = -1;
    }
    if (s_inotify >= 0)
        close (s_inotify);
    s_inotify = -1;
    if (getenv ("P2PF_TEST_KEEP")) {
        print_message ("kept %s\n", s_dir);
        free (s_dir);
        s_dir = NULL;
        return 0;
    }
    return tu_dir_remove (&s_dir);
}

/* --- the tests ----------------------------------------------------------- */

/* `p2pfractal render` of the job's view on one thread: the reference
 * image, and how long the job's compute takes in this build. */
static double
s_reference (const char *png_path)
{
    const char *args[32];
    int n = 0;
    args[n++] = "render";
    for (int k = 0; s_view[k]; k++)
        args[n++] = s_view[k];
    args[n++] = "--threads";
    args[n++] = "1";
    args[n++] = "-o";
    args[n++] = png_path;
    args[n] = NULL;
    char err_path[256], err[2048];
    int status = s_run_wait (s_spawn ("render", args, err_path, sizeof err_path));
    s_slurp (err_path, err, sizeof err);
    if (status != 0)
        fail_msg ("render: exit %d: %s", status, err);
    const char *in = strstr (err, " in ");
    double seconds = 0;
    if (!in || sscanf (in, " in %lf s", &seconds) != 1)
        fail_msg ("render: no timing line: %s", err);
    return seconds;
}

static void
s_compare_png (int i, const uint8_t *ref, int w, int h)
{
    uint8_t *rgb;
    int pw, ph;
    char err[512];
    if (rnd_png_read_rgb (s_peers[i].png_path, &rgb, &pw, &ph, err, sizeof err) != 0)
        S_FAIL ("peer %d: %s", i, err);
    if (pw != w || ph != h) {
        free (rgb);
        S_FAIL ("peer %d: image is %dx%d, reference %dx%d", i, pw, ph, w, h);
    }
    size_t bad = 0, first = 0;
    for (size_t k = 0; k < (size_t)w * h * 3; k++)
        if (rgb[k] != ref[k] && bad++ == 0)
            first = k / 3;
    free (rgb);
    if (bad)
        S_FAIL ("peer %d: %zu bytes differ from the reference, first at pixel (%zu, %zu)", i, bad,
                first % (size_t)w, first / (size_t)w);
}

static void
test_kills_and_late_joiner (void **state)
{
    (void)state;
    s_pick_seeds (tu_seed ("test_peers"));
    char ref_path[256];
    tu_path_join (ref_path, sizeof ref_path, s_dir, "reference.png");
    double job_s = s_reference (ref_path);
    /* The throttle stretches every slice by the same factor, so the job
     * lasts several seconds whatever this build's speed (ASan included). */
    double factor = S_JOB_BUSY_S / (job_s > 0.001 ? job_s : 0.001);
    factor = factor < 2 ? 2 : factor > 5000 ? 5000 : factor;
    char throttle[32];
    snprintf (throttle, sizeof throttle, "%.1f", factor);
    print_message ("reference render %.3f s on one thread: --throttle %s\n", job_s, throttle);

    s_spawn_peer (0, 0, throttle, 0);
    if (!s_wait_until (s_first_started, s_now_ms () + S_START_TIMEOUT_MS) || !s_peers[0].port)
        S_FAIL ("the first peer logged no `started` with a port in %d ms", S_START_TIMEOUT_MS);
    for (int i = 1; i < S_FIRST; i++)
        s_spawn_peer (i, s_peers[0].port, throttle, 0);
    uint64_t t0 = s_now_ms ();
    if (!s_wait_until (s_all_adopted, t0 + S_START_TIMEOUT_MS) || s_crashed ())
        S_FAIL ("not every peer adopted the job within %d ms", S_START_TIMEOUT_MS);
    print_message ("%d peers adopted the job in %llu ms\n", S_FIRST,
                   (unsigned long long)(s_now_ms () - t0));

    /* The master dies mid-job. */
    if (!s_wait_until (s_master_mid_job, s_now_ms () + S_PHASE_TIMEOUT_MS) || s_crashed ())
        S_FAIL ("no master with %d slices done within %d ms", S_KILL_AFTER_SLICES,
                S_PHASE_TIMEOUT_MS);
    if (s_any_done ())
        S_FAIL ("the job finished before the master could be killed: slices too fast");
    int m = s_find (0);
    snprintf (s_killed_node, sizeof s_killed_node, "%s", s_peers[m].node);
    s_kill_unix_ms = s_unix_ms ();
    assert_int_equal (kill (s_peers[m].pid, SIGKILL), 0);
    s_peers[m].killed = 1;
    print_message ("SIGKILLed master: peer %d (%s) after %d slices done there\n", m, s_killed_node,
                   s_peers[m].slices_done);
    if (!s_wait_until (s_reassigned, s_now_ms () + S_PHASE_TIMEOUT_MS) || s_crashed ())
        S_FAIL ("no new master assigned a slice to another peer within %d ms of the kill",
                S_PHASE_TIMEOUT_MS);
    print_message ("master SIGKILL -> first slice_assigned by a new master: %llu ms, to another "
                   "peer: %llu ms (election term %llu, took_ms %llu)\n",
                   (unsigned long long)(s_first_assign_ms - s_kill_unix_ms),
                   (unsigned long long)(s_first_remote_ms - s_kill_unix_ms),
                   (unsigned long long)s_elect_term, (unsigned long long)s_elect_took_ms);

    /* Then the job tree's root. */
    if (!s_wait_until (s_root_known, s_now_ms () + S_PHASE_TIMEOUT_MS) || s_crashed ())
        S_FAIL ("no surviving peer says it is the job tree's root within %d ms",
                S_PHASE_TIMEOUT_MS);
    if (s_any_done ())
        S_FAIL ("the job finished before the root could be killed: slices too fast");
    int r = s_find (1);
    assert_int_equal (kill (s_peers[r].pid, SIGKILL), 0);
    s_peers[r].killed = 1;
    print_message ("SIGKILLed root: peer %d (%s)%s\n", r, s_peers[r].node,
                   s_peers[r].master ? ", also the new master" : "");

    /* And a newcomer joins through a survivor, and leaves when done. */
    int via = -1;
    for (int i = 0; i < s_n && via < 0; i++)
        if (s_alive (i))
            via = i;
    assert_true (via >= 0);
    s_spawn_peer (S_FIRST, s_peers[via].port, throttle, 1);
    if (!s_wait_until (s_late_started, s_now_ms () + S_START_TIMEOUT_MS) || s_crashed ())
        S_FAIL ("the late joiner did not start within %d ms", S_START_TIMEOUT_MS);

    t0 = s_now_ms ();
    if (!s_wait_until (s_survivors_done, t0 + S_DONE_TIMEOUT_MS) || s_crashed ())
        S_FAIL ("not every surviving peer logged job_done within %d ms", S_DONE_TIMEOUT_MS);
    print_message ("every survivor done %llu ms after the late joiner started\n",
                   (unsigned long long)(s_now_ms () - t0));

    uint8_t *ref;
    int w, h;
    char err[512];
    if (rnd_png_read_rgb (ref_path, &ref, &w, &h, err, sizeof err) != 0)
        fail_msg ("%s", err);
    for (int i = 0; i < s_n; i++)
        if (!s_peers[i].killed)
            s_compare_png (i, ref, w, h);
    free (ref);

    /* The late joiner left by itself; the others leave on SIGTERM. */
    for (int i = 0; i < S_FIRST; i++)
        if (s_alive (i))
            assert_int_equal (kill (s_peers[i].pid, SIGTERM), 0);
    if (!s_wait_until (s_survivors_exited, s_now_ms () + S_EXIT_TIMEOUT_MS))
        S_FAIL ("survivors still running %d ms after SIGTERM", S_EXIT_TIMEOUT_MS);
    for (int i = 0; i < s_n; i++)
        if (!s_peers[i].killed && s_peers[i].status != 0)
            S_FAIL ("peer %d exited with status %d, wanted 0", i, s_peers[i].status);
}

static int
s_joiner_done (void)
{
    return s_crashed () || s_peers[1].job_done;
}

/* A peer joining a network in which it is the node closest to the
 * network group's key: its JobQuery, routed to that key, reaches itself,
 * and it must still learn the job (once it did not). */
static void
test_joiner_closest_to_network_key (void **state)
{
    (void)state;
    uint64_t base = tu_seed ("test_peers");
    ovl_id_t key = ovl_id_from_name ("net/default", strlen ("net/default"));
    s_seeds[0] = base;
    s_seeds[1] = base + 1;
    if (ovl_id_cmp (ovl_id_ring_dist (s_peer_id (s_seeds[1]), key),
                    ovl_id_ring_dist (s_peer_id (s_seeds[0]), key)) > 0) {
        s_seeds[0] = base + 1;
        s_seeds[1] = base;
    }
    s_spawn_peer (0, 0, "1", 0);
    if (!s_wait_until (s_first_started, s_now_ms () + S_START_TIMEOUT_MS) || !s_peers[0].port)
        S_FAIL ("the first peer logged no `started` with a port in %d ms", S_START_TIMEOUT_MS);
    s_spawn_peer (1, s_peers[0].port, "1", 1);
    if (!s_wait_until (s_joiner_done, s_now_ms () + S_START_TIMEOUT_MS) && !s_crashed ())
        S_FAIL ("the joiner closest to the network key did not get the job within %d ms",
                S_START_TIMEOUT_MS);
    if (s_crashed ())
        S_FAIL ("a peer exited on its own");
    uint8_t *ref;
    int w, h;
    char err[512], ref_path[256];
    tu_path_join (ref_path, sizeof ref_path, s_dir, "reference.png");
    s_reference (ref_path);
    if (rnd_png_read_rgb (ref_path, &ref, &w, &h, err, sizeof err) != 0)
        fail_msg ("%s", err);
    s_compare_png (1, ref, w, h);
    free (ref);
}

/* Exit 2 with one line on stderr that names `needle`. */
static void
s_expect_usage (const char *needle, ...)
{
    const char *args[32];
    int n = 0;
    args[n++] = "peer";
    va_list ap;
    va_start (ap, needle);
    for (const char *a = va_arg (ap, const char *); a && n < 31; a = va_arg (ap, const char *))
        args[n++] = a;
    va_end (ap);
    args[n] = NULL;
    char err_path[256], err[4096];
    int status = s_run_wait (s_spawn ("usage", args, err_path, sizeof err_path));
    s_slurp (err_path, err, sizeof err);
    if (status != 2)
        fail_msg ("peer %s ...: exit %d, wanted 2; stderr: %s", args[1], status, err);
    const char *nl = strchr (err, '\n');
    if (strncmp (err, "p2pfractal: ", 12) != 0 || !nl || nl[1] != '\0')
        fail_msg ("peer %s ...: stderr is not one 'p2pfractal: ' line: %s", args[1], err);
    if (!strstr (err, needle))
        fail_msg ("peer %s ...: stderr does not name '%s': %s", args[1], needle, err);
}

static void
test_bad_values_exit_2 (void **state)
{
    (void)state;
    s_expect_usage ("--threads", "--threads", "0", NULL);
    s_expect_usage ("--throttle", "--throttle", "0.5", NULL);
    s_expect_usage ("--throttle", "--throttle", "fast", NULL);
    s_expect_usage ("--slices", "--slices", "0", NULL);
    s_expect_usage ("--slices", "--slices", "5000", NULL);
    s_expect_usage ("--port", "--port", "70000", NULL);
    s_expect_usage ("--join", "--join", "nohost", NULL);
    s_expect_usage ("--join", "--join", "127.0.0.1:0", NULL);
    s_expect_usage ("--bind", "--bind", "1.2.3.4:5", NULL);
    s_expect_usage ("--advertise", "--advertise", "*", NULL);
    s_expect_usage ("--network", "--network", "a b", NULL);
    s_expect_usage ("--network", "--network", "", NULL);
    s_expect_usage ("--kernel", "--kernel", "sse9", NULL);
    s_expect_usage ("--seed", "--seed", "-1", NULL);
    s_expect_usage ("--size", "--size", "0x10", NULL);
    s_expect_usage ("nosuch", "--palette", "nosuch", NULL);
    s_expect_usage ("--slices", "--size", "16000x8000", "--slices", "2", NULL);
    s_expect_usage ("--size", "--join", "127.0.0.1:9", "--size", "0x10", NULL);
    s_expect_usage ("--log-json", "--log-json", "/nonexistent/dir/x.json", NULL);
    s_expect_usage ("-o", "-o", "/nonexistent/dir/x.png", NULL);
    s_expect_usage ("--bogus", "--bogus", NULL);
    s_expect_usage ("needs a value", "--port", NULL);
    s_expect_usage ("stray", "stray", NULL);
}

int
main (void)
{
    /* A hung child must not hang the suite: ctest's TIMEOUT is the
     * watchdog, and teardown kills every child. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_bad_values_exit_2, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_joiner_closest_to_network_key, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_kills_and_late_joiner, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
