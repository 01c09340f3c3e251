/* test_util.c: helpers shared by the cmocka tests (see test_util.h). */
#define _DEFAULT_SOURCE /* syscall() for pidfd_open */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "png_io.h"
#include "test_util.h"

/* Set per test program by p2pf_test, so that a directory left behind by a
 * crashed test says whose it is. */
#ifndef P2PF_TEST_NAME
#define P2PF_TEST_NAME "p2pf_test"
#endif

char *
tu_dir_new (const char *name)
{
    size_t size = strlen ("/tmp/") + strlen (name) + strlen (".XXXXXX") + 1;
    char *dir = malloc (size);
    if (!dir)
        return NULL;
    snprintf (dir, size, "/tmp/%s.XXXXXX", name);
    if (!mkdtemp (dir)) {
        free (dir);
        return NULL;
    }
    return dir;
}

/* Removes path: a directory with its contents, anything else by unlink. */
static int
s_remove (const char *path)
{
    struct stat st;
    if (lstat (path, &st) != 0)
        return -1;
    if (!S_ISDIR (st.st_mode))
        return unlink (path);
    int rc = 0;
    DIR *d = opendir (path);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir (d))) {
        if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
            continue;
        size_t size = strlen (path) + 1 + strlen (e->d_name) + 1;
        char *child = malloc (size);
        if (!child) {
            rc = -1;
            continue;
        }
        if (s_remove (tu_path_join (child, size, path, e->d_name)) != 0)
            rc = -1;
        free (child);
    }
    closedir (d);
    return rmdir (path) == 0 ? rc : -1;
}

int
tu_dir_remove (char **dir_p)
{
    if (!*dir_p)
        return 0;
    int rc = s_remove (*dir_p);
    free (*dir_p);
    *dir_p = NULL;
    return rc;
}

int
tu_setup_dir (void **state)
{
    char *dir = tu_dir_new (P2PF_TEST_NAME);
    if (!dir)
        return -1;
    *state = dir;
    return 0;
}

int
tu_teardown_dir (void **state)
{
    char *dir = *state;
    *state = NULL;
    return tu_dir_remove (&dir);
}

void
tu_file_write (const char *path, const void *data, size_t len)
{
    FILE *f = fopen (path, "wb");
    if (!f)
        fail_msg ("cannot create %s", path);
    assert_int_equal (fwrite (data, 1, len, f), len);
    assert_int_equal (fclose (f), 0);
}

char *
tu_path_join (char *buf, size_t size, const char *dir, const char *name)
{
    int len = snprintf (buf, size, "%s/%s", dir, name);
    if (len < 0 || (size_t)len >= size)
        fail_msg ("path %s/%s longer than %zu bytes", dir, name, size - 1);
    return buf;
}

uint64_t
tu_seed_env (const char *test, const char *env)
{
    const char *value = getenv (env);
    if (value && *value) {
        char *end = NULL;
        errno = 0;
        uint64_t seed = strtoull (value, &end, 0);
        if (*end || errno || *value == '-') {
            fprintf (stderr, "%s: %s=%s is not a number\n", test, env, value);
            exit (1);
        }
        return seed;
    }
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid () << 32);
}

uint64_t
tu_seed (const char *test)
{
    uint64_t seed = tu_seed_env (test, "P2PF_SEED");
    printf ("%s: seed %llu (P2PF_SEED=%llu replays it)\n", test, (unsigned long long)seed,
            (unsigned long long)seed);
    fflush (stdout);
    return seed;
}

ovl_id_t
tu_id (const char *hex)
{
    ovl_id_t id = { 0, 0 };
    if (ovl_id_from_hex (hex, &id))
        fail_msg ("bad test id %s", hex);
    return id;
}

void
tu_lines_feed (tu_lines_t *lines, const char *data, size_t n,
               void (*on_line) (void *ctx, int who, const char *line), void *ctx, int who)
{
    for (size_t k = 0; k < n; k++) {
        if (data[k] == '\n' || lines->len == TU_LINE_MAX - 1) {
            lines->buf[lines->len] = '\0';
            on_line (ctx, who, lines->buf);
            lines->len = 0;
            if (data[k] == '\n')
                continue;
        }
        lines->buf[lines->len++] = data[k];
    }
}

/* --- real processes ------------------------------------------------------ */

uint64_t
tu_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t
tu_now_ms (void)
{
    return tu_now_us () / 1000u;
}

int
tu_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in a;
    memset (&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (bind (fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal (getsockname (fd, (struct sockaddr *)&a, &len), 0);
    close (fd);
    return ntohs (a.sin_port);
}

uint64_t
tu_unix_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

const tu_child_t tu_child_none = { 0, -1, -1, -1 };

/* The exit status of a waitpid status. */
static int
s_status (int status)
{
    return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

/* In the child: stream fd (1 or 2) to where io says; 0, or -1. */
static int
s_child_io (int fd, tu_io_t io, const char *path, int pipe_w)
{
    int to;
    switch (io) {
    case TU_IO_INHERIT:
        return 0;
    case TU_IO_FILE:
        to = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        break;
    case TU_IO_PIPE:
        return fd == 1 && pipe_w >= 0 && dup2 (pipe_w, 1) == 1 ? 0 : -1;
    case TU_IO_STDOUT:
        return fd == 2 && dup2 (1, 2) == 2 ? 0 : -1;
    default:
        to = open ("/dev/null", O_WRONLY);
        break;
    }
    if (to < 0 || dup2 (to, fd) != fd)
        return -1;
    if (to != fd)
        close (to);
    return 0;
}

pid_t
tu_proc_start (const char *const *argv, const tu_proc_opts_t *opts, int *out_fd)
{
    static const tu_proc_opts_t none;
    if (!opts)
        opts = &none;
    int fds[2] = { -1, -1 };
    if (opts->out == TU_IO_PIPE) {
        assert_non_null (out_fd);
        assert_int_equal (pipe (fds), 0);
        fcntl (fds[0], F_SETFD, FD_CLOEXEC);
        fcntl (fds[1], F_SETFD, FD_CLOEXEC);
    }
    pid_t parent = getpid ();
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        /* If the test died between fork and prctl, nobody would kill us. */
        if (prctl (PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid () != parent)
            _exit (127);
        if (s_child_io (1, opts->out, opts->out_path, fds[1]) != 0 ||
            s_child_io (2, opts->err, opts->err_path, -1) != 0 ||
            (opts->dir && chdir (opts->dir) != 0))
            _exit (127);
        for (int k = 0; opts->env && opts->env[k]; k++) {
            const char *eq = strchr (opts->env[k], '=');
            char name[128];
            size_t len = eq ? (size_t)(eq - opts->env[k]) : strlen (opts->env[k]);
            if (len >= sizeof name)
                _exit (127);
            memcpy (name, opts->env[k], len);
            name[len] = '\0';
            if (eq ? setenv (name, eq + 1, 1) : unsetenv (name))
                _exit (127);
        }
        execvp (argv[0], (char *const *)argv);
        _exit (127);
    }
    if (fds[1] >= 0) {
        close (fds[1]);
        *out_fd = fds[0];
    }
    return pid;
}

int
tu_proc_wait (pid_t pid, uint64_t deadline_ms)
{
    assert_true (pid > 0); /* waitpid (0 or -1) would take any child */
    int pidfd = -1, status = -1;
    for (;;) {
        int st;
        pid_t w = waitpid (pid, &st, WNOHANG);
        if (w == pid) {
            status = s_status (st);
            break;
        }
        if (w < 0 && errno != EINTR)
            break;
        uint64_t now = tu_now_ms ();
        if (now >= deadline_ms)
            break;
        if (pidfd < 0 && (pidfd = (int)syscall (SYS_pidfd_open, pid, 0)) < 0)
            fail_msg ("pidfd_open: %s", strerror (errno));
        uint64_t left = deadline_ms - now;
        struct pollfd pfd = { pidfd, POLLIN, 0 };
        poll (&pfd, 1, left < 60000 ? (int)left : 60000);
    }
    if (pidfd >= 0)
        close (pidfd);
    return status;
}

int
tu_run_wait (pid_t pid, uint64_t timeout_ms)
{
    int status = tu_proc_wait (pid, tu_now_ms () + timeout_ms);
    if (status < 0)
        tu_proc_kill (&pid);
    return status;
}

void
tu_proc_kill (pid_t *pid_p)
{
    if (*pid_p <= 0)
        return;
    kill (*pid_p, SIGKILL);
    while (waitpid (*pid_p, NULL, 0) < 0 && errno == EINTR)
        ;
    *pid_p = 0;
}

pid_t
tu_spawn (const char *dir, const char *name, const char *const *args, char *err_path,
          size_t err_size)
{
    const char *argv[64];
    int argc = 0;
    argv[argc++] = P2PF_BINARY;
    for (int k = 0; args[k] && argc < 63; k++)
        argv[argc++] = args[k];
    argv[argc] = NULL;
    char file[64];
    snprintf (file, sizeof file, "%s.err", name);
    tu_path_join (err_path, err_size, dir, file);
    tu_proc_opts_t opts = { .dir = dir, .err = TU_IO_FILE, .err_path = err_path };
    return tu_proc_start (argv, &opts, NULL);
}

/* The child of tu_run_capture and its output, gathered. */
typedef struct {
    tu_child_t child;
    char *buf; /* NULL: dropped */
    size_t size, len;
} s_capture_t;

static void
s_capture (void *ctx, int i, const char *data, size_t len)
{
    (void)i;
    s_capture_t *c = ctx;
    if (!c->buf)
        return;
    size_t room = c->size - 1 - c->len;
    size_t take = len < room ? len : room;
    memcpy (c->buf + c->len, data, take);
    c->len += take;
    c->buf[c->len] = '\0';
}

static int
s_captured (void *ctx)
{
    return tu_child_done (&((s_capture_t *)ctx)->child);
}

int
tu_run_capture (const char *const *argv, const tu_proc_opts_t *opts, char *out, size_t size,
                uint64_t timeout_ms)
{
    tu_proc_opts_t quiet = { 0 };
    s_capture_t cap = { .buf = out, .size = size };
    cap.child = tu_child_none;
    if (out)
        out[0] = '\0';
    tu_child_start (&cap.child, argv, opts ? opts : &quiet);
    tu_child_wait (&cap.child, 1, s_capture, s_captured, &cap, tu_now_ms () + timeout_ms);
    int status = cap.child.pid == 0 ? cap.child.status : -1;
    tu_child_kill (&cap.child);
    return status;
}

void
tu_child_start (tu_child_t *c, const char *const *argv, const tu_proc_opts_t *opts)
{
    tu_proc_opts_t o = { 0 };
    if (opts)
        o = *opts;
    o.out = TU_IO_PIPE;
    *c = tu_child_none;
    c->pid = tu_proc_start (argv, &o, &c->fd);
    c->pidfd = (int)syscall (SYS_pidfd_open, c->pid, 0);
    if (c->pidfd < 0)
        fail_msg ("pidfd_open: %s", strerror (errno)); /* tu_child_kill kills it */
}

int
tu_child_reap (tu_child_t *c, uint64_t deadline_ms)
{
    if (c->pid > 0) {
        int status = tu_proc_wait (c->pid, deadline_ms);
        if (status < 0)
            return -1;
        c->pid = 0;
        c->status = status;
    }
    if (c->pidfd >= 0)
        close (c->pidfd);
    c->pidfd = -1;
    return c->status;
}

int
tu_child_done (const tu_child_t *c)
{
    return c->pid == 0 && c->fd < 0;
}

/* Read what child i has written: to on_output, or at EOF close it. */
static void
s_child_read (tu_child_t *c, int i, void (*on_output) (void *, int, const char *, size_t),
              void *ctx)
{
    char buf[4096];
    ssize_t n = read (c->fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        close (c->fd);
        c->fd = -1;
        return;
    }
    if (on_output)
        on_output (ctx, i, buf, (size_t)n);
}

int
tu_child_wait (tu_child_t *kids, int n,
               void (*on_output) (void *ctx, int i, const char *data, size_t len),
               int (*cond) (void *ctx), void *ctx, uint64_t deadline_ms)
{
    struct pollfd fds[2 * TU_CHILDREN_MAX];
    int who[2 * TU_CHILDREN_MAX];
    assert_true (n <= TU_CHILDREN_MAX);
    for (;;) {
        if (cond (ctx))
            return 1;
        uint64_t now = tu_now_ms ();
        if (now >= deadline_ms)
            return 0;
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (kids[i].fd >= 0) {
                fds[m] = (struct pollfd){ kids[i].fd, POLLIN, 0 };
                who[m++] = i;
            }
            if (kids[i].pidfd >= 0) {
                fds[m] = (struct pollfd){ kids[i].pidfd, POLLIN, 0 };
                who[m++] = i;
            }
        }
        if (m == 0)
            return cond (ctx);
        uint64_t left = deadline_ms - now;
        int rc = poll (fds, (nfds_t)m, left < 60000 ? (int)left : 60000);
        if (rc < 0 && errno != EINTR)
            return cond (ctx);
        for (int k = 0; rc > 0 && k < m; k++) {
            tu_child_t *c = &kids[who[k]];
            if (!fds[k].revents)
                continue;
            if (fds[k].fd == c->fd)
                s_child_read (c, who[k], on_output, ctx);
            else
                tu_child_reap (c, 0);
        }
    }
}

void
tu_child_kill (tu_child_t *c)
{
    tu_proc_kill (&c->pid);
    if (c->pidfd >= 0)
        close (c->pidfd);
    if (c->fd >= 0)
        close (c->fd);
    *c = tu_child_none;
}

void
tu_slurp (const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    FILE *f = fopen (path, "rb");
    if (!f)
        return;
    size_t n = fread (buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose (f);
}

/* A one-shot command (render) gets this long. */
#define S_RUN_TIMEOUT_MS 60000

double
tu_render_reference (const char *dir, const char *const *view, const char *png_path)
{
    const char *args[48];
    int n = 0;
    args[n++] = "render";
    for (int k = 0; view[k] && n < 40; k++)
        args[n++] = view[k];
    args[n++] = "--threads";
    args[n++] = "1";
    args[n++] = "-o";
    args[n++] = png_path;
    args[n] = NULL;
    char err_path[256], err[2048];
    int status =
        tu_run_wait (tu_spawn (dir, "render", args, err_path, sizeof err_path), S_RUN_TIMEOUT_MS);
    tu_slurp (err_path, err, sizeof err);
    if (status != 0)
        fail_msg ("render: exit %d: %s", status, err);
    const char *in = strstr (err, " in ");
    double seconds = 0;
    if (!in || sscanf (in, " in %lf s", &seconds) != 1)
        fail_msg ("render: no timing line: %s", err);
    return seconds;
}

void
tu_throttle (double busy_s, double job_s, char *out, size_t size)
{
    double factor = busy_s / (job_s > 0.001 ? job_s : 0.001);
    factor = factor < 2 ? 2 : factor > 5000 ? 5000 : factor;
    snprintf (out, size, "%.1f", factor);
}

int
tu_png_compare (const char *path, const uint8_t *ref, int w, int h, char *err, size_t err_size)
{
    uint8_t *rgb;
    int pw, ph;
    if (rnd_png_read_rgb (path, &rgb, &pw, &ph, err, err_size) != 0)
        return -1;
    if (pw != w || ph != h) {
        free (rgb);
        snprintf (err, err_size, "%s: image is %dx%d, reference %dx%d", path, pw, ph, w, h);
        return -1;
    }
    size_t bad = 0, first = 0;
    for (size_t k = 0; k < (size_t)w * h * 3; k++)
        if (rgb[k] != ref[k] && bad++ == 0)
            first = k / 3;
    free (rgb);
    if (bad) {
        snprintf (err, err_size,
                  "%s: %zu bytes differ from the reference, first at pixel (%zu, %zu)", path, bad,
                  first % (size_t)w, first / (size_t)w);
        return -1;
    }
    return 0;
}

int
tu_json_str (const char *line, const char *key, char *out, size_t size)
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

uint64_t
tu_json_u64 (const char *line, const char *key)
{
    char pat[64];
    snprintf (pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr (line, pat);
    return p ? strtoull (p + strlen (pat), NULL, 10) : 0;
}

int
tu_json_true (const char *line, const char *key)
{
    char pat[64];
    snprintf (pat, sizeof pat, "\"%s\":true", key);
    return strstr (line, pat) != NULL;
}

/* --- a swarm of `p2pfractal peer` processes ------------------------------- */

int
tu_swarm_open (tu_swarm_t *sw, const char *name)
{
    memset (sw, 0, sizeof *sw);
    sw->inotify = -1;
    for (int i = 0; i < TU_SWARM_MAX; i++)
        sw->peers[i].log_fd = -1;
    sw->dir = tu_dir_new (name);
    if (!sw->dir)
        return -1;
    sw->inotify = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
    if (sw->inotify < 0 || inotify_add_watch (sw->inotify, sw->dir, IN_MODIFY | IN_CREATE) < 0)
        return -1;
    return 0;
}

int
tu_swarm_close (tu_swarm_t *sw, int keep)
{
    for (int i = 0; i < TU_SWARM_MAX; i++) {
        tu_peer_t *p = &sw->peers[i];
        tu_proc_kill (&p->pid);
        if (p->log_fd >= 0)
            close (p->log_fd);
        p->log_fd = -1;
    }
    if (sw->inotify >= 0)
        close (sw->inotify);
    sw->inotify = -1;
    if (sw->dir && (keep || getenv ("P2PF_TEST_KEEP"))) {
        print_message ("logs kept in %s\n", sw->dir);
        free (sw->dir);
        sw->dir = NULL;
        return 0;
    }
    return tu_dir_remove (&sw->dir);
}

void
tu_swarm_spawn_peer (tu_swarm_t *sw, int i, uint64_t seed, const char *throttle, int join_port,
                     int exit_when_done, const char *const *job)
{
    assert_true (i >= 0 && i < TU_SWARM_MAX);
    tu_peer_t *p = &sw->peers[i];
    memset (p, 0, sizeof *p);
    p->log_fd = -1;
    char name[32], file[64], seed_s[32], join[32];
    snprintf (name, sizeof name, "peer%d", i);
    snprintf (file, sizeof file, "%s.json", name);
    tu_path_join (p->log_path, sizeof p->log_path, sw->dir, file);
    snprintf (file, sizeof file, "%s.png", name);
    tu_path_join (p->png_path, sizeof p->png_path, sw->dir, file);
    snprintf (seed_s, sizeof seed_s, "%llu", (unsigned long long)seed);
    const char *args[56];
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
    args[n++] = seed_s;
    args[n++] = "--log-json";
    args[n++] = p->log_path;
    args[n++] = "-o";
    args[n++] = p->png_path;
    if (exit_when_done)
        args[n++] = "--exit-when-done";
    for (int k = 0; sw->extra && sw->extra[k] && n < 40; k++)
        args[n++] = sw->extra[k];
    if (join_port) {
        snprintf (join, sizeof join, "127.0.0.1:%d", join_port);
        args[n++] = "--join";
        args[n++] = join;
    } else {
        for (int k = 0; job[k] && n < 54; k++)
            args[n++] = job[k];
    }
    args[n] = NULL;
    p->pid = tu_spawn (sw->dir, name, args, p->err_path, sizeof p->err_path);
    if (i >= sw->n)
        sw->n = i + 1;
}

static int
s_swarm_first_started (tu_swarm_t *sw)
{
    return sw->peers[0].port > 0 || tu_swarm_crashed (sw);
}

static int
s_swarm_adopted (tu_swarm_t *sw)
{
    if (tu_swarm_crashed (sw))
        return 1;
    for (int i = 0; i < sw->n; i++)
        if (!sw->peers[i].job_started)
            return 0;
    return 1;
}

uint64_t
tu_swarm_start (tu_swarm_t *sw, int n, const uint64_t *seeds, const char *throttle,
                const char *const *job, uint64_t timeout_ms)
{
    uint64_t t0 = tu_now_ms ();
    tu_swarm_spawn_peer (sw, 0, seeds[0], throttle, 0, 0, job);
    if (!tu_swarm_wait (sw, s_swarm_first_started, t0 + timeout_ms) || !sw->peers[0].port) {
        tu_swarm_dump (sw);
        fail_msg ("the first peer logged no `started` with a port in %llu ms",
                  (unsigned long long)timeout_ms);
    }
    for (int i = 1; i < n; i++)
        tu_swarm_spawn_peer (sw, i, seeds[i], throttle, sw->peers[0].port, 0, job);
    if (!tu_swarm_wait (sw, s_swarm_adopted, t0 + timeout_ms) || tu_swarm_crashed (sw)) {
        tu_swarm_dump (sw);
        fail_msg ("not every peer adopted the job within %llu ms", (unsigned long long)timeout_ms);
    }
    return tu_now_ms () - t0;
}

void
tu_swarm_stop (tu_swarm_t *sw, uint64_t timeout_ms)
{
    for (int i = 0; i < sw->n; i++)
        if (tu_swarm_alive (sw, i))
            assert_int_equal (kill (sw->peers[i].pid, SIGTERM), 0);
    if (!tu_swarm_wait (sw, tu_swarm_survivors_exited, tu_now_ms () + timeout_ms)) {
        tu_swarm_dump (sw);
        fail_msg ("survivors still running %llu ms after SIGTERM", (unsigned long long)timeout_ms);
    }
    for (int i = 0; i < sw->n; i++)
        if (!sw->peers[i].killed && sw->peers[i].status != 0) {
            tu_swarm_dump (sw);
            fail_msg ("peer %d exited with status %d, wanted 0", i, sw->peers[i].status);
        }
}

void
tu_swarm_kill (tu_swarm_t *sw, int i)
{
    assert_true (sw->peers[i].pid > 0);
    assert_int_equal (kill (sw->peers[i].pid, SIGKILL), 0);
    sw->peers[i].killed = 1;
}

static void
s_swarm_on_line (void *ctx, int i, const char *line)
{
    tu_swarm_t *sw = ctx;
    tu_peer_t *p = &sw->peers[i];
    char event[32];
    if (getenv ("P2PF_TEST_VERBOSE") && !strstr (line, "\"slice_"))
        print_message ("  peer %d: %.300s\n", i, line);
    if (tu_json_str (line, "event", event, sizeof event) != 0)
        return;
    if (strcmp (event, "started") == 0) {
        tu_json_str (line, "node", p->node, sizeof p->node);
        p->port = (int)tu_json_u64 (line, "port");
    } else if (strcmp (event, "joined") == 0) {
        p->joined = 1;
    } else if (strcmp (event, "job_started") == 0) {
        p->job_started = 1;
    } else if (strcmp (event, "job_done") == 0) {
        p->job_done = 1;
    } else if (strcmp (event, "role") == 0) {
        p->master = tu_json_true (line, "master");
        p->root = tu_json_true (line, "root");
    } else if (strcmp (event, "master_elected") == 0) {
        uint64_t term = tu_json_u64 (line, "term");
        if (term > p->term)
            p->term = term;
    } else if (strcmp (event, "slice_done") == 0) {
        uint64_t slice = tu_json_u64 (line, "slice");
        if (slice < TU_SLICES_MAX && !(p->seen[slice / 8] & (1u << (slice % 8)))) {
            p->seen[slice / 8] |= (uint8_t)(1u << (slice % 8));
            p->slices_done++;
        }
    }
    if (sw->on_line)
        sw->on_line (sw, i, event, line);
}

/* Read what peer i's log gained since last time. */
static void
s_swarm_read_log (tu_swarm_t *sw, int i)
{
    tu_peer_t *p = &sw->peers[i];
    if (p->log_fd < 0) {
        p->log_fd = open (p->log_path, O_RDONLY | O_CLOEXEC);
        if (p->log_fd < 0)
            return;
    }
    char buf[8192];
    ssize_t n;
    while ((n = read (p->log_fd, buf, sizeof buf)) > 0)
        tu_lines_feed (&p->lines, buf, (size_t)n, s_swarm_on_line, sw, i);
}

/* Collect every peer that exited. */
static void
s_swarm_reap (tu_swarm_t *sw)
{
    for (int i = 0; i < sw->n; i++) {
        tu_peer_t *p = &sw->peers[i];
        int status = p->pid > 0 ? tu_proc_wait (p->pid, 0) : -1;
        if (status >= 0) {
            p->pid = 0;
            p->status = status;
        }
    }
}

int
tu_swarm_wait (tu_swarm_t *sw, int (*cond) (tu_swarm_t *sw), uint64_t deadline_ms)
{
    for (;;) {
        s_swarm_reap (sw);
        for (int i = 0; i < sw->n; i++)
            s_swarm_read_log (sw, i);
        if (cond (sw))
            return 1;
        uint64_t now = tu_now_ms ();
        if (now >= deadline_ms)
            return 0;
        /* The inotify descriptor wakes us when a log grows; the 50 ms cap
         * only bounds how late a peer's exit is noticed. */
        uint64_t left = deadline_ms - now;
        struct pollfd pfd = { sw->inotify, POLLIN, 0 };
        if (poll (&pfd, 1, left < 50 ? (int)left : 50) > 0) {
            char events[4096];
            ssize_t rc = read (sw->inotify, events, sizeof events);
            (void)rc; /* which file changed does not matter: all are read */
        }
    }
}

int
tu_swarm_alive (const tu_swarm_t *sw, int i)
{
    return sw->peers[i].pid > 0 && !sw->peers[i].killed;
}

int
tu_swarm_crashed (const tu_swarm_t *sw)
{
    for (int i = 0; i < sw->n; i++) {
        const tu_peer_t *p = &sw->peers[i];
        if (!p->killed && p->pid == 0 && !p->job_done)
            return 1;
    }
    return 0;
}

int
tu_swarm_any_done (const tu_swarm_t *sw)
{
    for (int i = 0; i < sw->n; i++)
        if (sw->peers[i].job_done)
            return 1;
    return 0;
}

int
tu_swarm_survivors_done (tu_swarm_t *sw)
{
    if (tu_swarm_crashed (sw))
        return 1;
    for (int i = 0; i < sw->n; i++)
        if (!sw->peers[i].killed && !sw->peers[i].job_done)
            return 0;
    return 1;
}

int
tu_swarm_survivors_exited (tu_swarm_t *sw)
{
    for (int i = 0; i < sw->n; i++)
        if (!sw->peers[i].killed && sw->peers[i].pid > 0)
            return 0;
    return 1;
}

int
tu_swarm_find (const tu_swarm_t *sw, int root)
{
    for (int i = 0; i < sw->n; i++)
        if (tu_swarm_alive (sw, i) && (root ? sw->peers[i].root : sw->peers[i].master))
            return i;
    return -1;
}

void
tu_swarm_dump (const tu_swarm_t *sw)
{
    for (int i = 0; i < sw->n; i++) {
        const tu_peer_t *p = &sw->peers[i];
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

void
tu_swarm_check_pngs (const tu_swarm_t *sw, const char *ref_path)
{
    uint8_t *ref;
    int w, h;
    char err[512];
    if (rnd_png_read_rgb (ref_path, &ref, &w, &h, err, sizeof err) != 0)
        fail_msg ("%s", err);
    for (int i = 0; i < sw->n; i++) {
        if (sw->peers[i].killed ||
            tu_png_compare (sw->peers[i].png_path, ref, w, h, err, sizeof err) == 0)
            continue;
        free (ref);
        tu_swarm_dump (sw);
        fail_msg ("peer %d: %s", i, err);
    }
    free (ref);
}
