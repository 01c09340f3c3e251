/* tu_gui.c: the harness of the window tests (see tu_gui.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <math.h>

#include "params.h"
#include "png_io.h"
#include "test_util.h"
#include "tu_gui.h"

char *tg_dir;
tg_peer_t tg_peers[TG_PEERS];
pid_t tg_wm;

/* Polling an X tool's answer with a deadline: 20 ms between looks. */
void
tg_nap (void)
{
    struct timespec nap = { 0, 20 * 1000 * 1000 };
    nanosleep (&nap, NULL);
}

void
tg_show_stderr (void)
{
    for (int i = 0; i < TG_PEERS; i++) {
        FILE *f = fopen (tg_peers[i].err, "r");
        if (!f)
            continue;
        char line[512];
        int n = 0;
        while (fgets (line, sizeof line, f) && n++ < 60)
            print_message ("    peer %d: %s", i, line);
        fclose (f);
    }
}

/* Peer p's log's last line with "event":"<event>" (and containing also,
 * if not NULL) into line; 1 if there is one. */
int
tg_log_find (const tg_peer_t *p, const char *event, const char *also, char *line, size_t size)
{
    FILE *f = fopen (p->log, "r");
    if (!f)
        return 0;
    char pat[96], buf[8192];
    snprintf (pat, sizeof pat, "\"event\":\"%s\"", event);
    int found = 0;
    while (fgets (buf, sizeof buf, f))
        if (strstr (buf, pat) && (!also || strstr (buf, also))) {
            snprintf (line, size, "%s", buf);
            found = 1;
        }
    fclose (f);
    return found;
}

/* Count of peer p's log lines of event. */
int
tg_log_count (const tg_peer_t *p, const char *event)
{
    FILE *f = fopen (p->log, "r");
    if (!f)
        return 0;
    char pat[96], buf[8192];
    snprintf (pat, sizeof pat, "\"event\":\"%s\"", event);
    int n = 0;
    while (fgets (buf, sizeof buf, f))
        n += strstr (buf, pat) != NULL;
    fclose (f);
    return n;
}

void
tg_wait_log_count (tg_peer_t *p, const char *event, int n)
{
    tg_wait_log_count_within (p, event, n, TG_STEP_MS);
}

void
tg_wait_log_count_within (tg_peer_t *p, const char *event, int n, int ms)
{
    uint64_t deadline = tu_now_ms () + (uint64_t)ms;
    while (tg_log_count (p, event) < n) {
        /* 20 ms between looks at the log, unless the peer exits. */
        int status = tu_proc_wait (p->pid, tu_now_ms () + 20);
        if (status >= 0) {
            p->pid = 0;
            TG_FAIL ("peer %d exited (status %d) before logging %s #%d", (int)(p - tg_peers),
                     status, event, n);
        }
        if (tu_now_ms () >= deadline)
            TG_FAIL ("peer %d: no %s #%d in the log within %d ms", (int)(p - tg_peers), event, n,
                     ms);
    }
}

/* The string value of key in a JSON line (unescaping \" and \\ only:
 * enough for the parameter text, whose lines are joined by \n). */
int
tg_json_str (const char *line, const char *key, char *out, size_t size)
{
    char pat[64];
    snprintf (pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr (line, pat);
    if (!p)
        return -1;
    p += strlen (pat);
    size_t n = 0;
    while (*p && *p != '"' && n + 1 < size) {
        if (*p == '\\' && p[1]) {
            p++;
            out[n++] = *p == 'n' ? '\n' : *p;
        } else {
            out[n++] = *p;
        }
        p++;
    }
    out[n] = '\0';
    return *p == '"' ? 0 : -1;
}

/* Peer p's window id, found by its title within the deadline. */
void
tg_find_window (tg_peer_t *p)
{
    char line[8192], node[64], title[64];
    uint64_t deadline = tu_now_ms () + TG_STEP_MS;
    while (!tg_log_find (p, "started", NULL, line, sizeof line)) {
        if (tu_now_ms () >= deadline)
            TG_FAIL ("peer %d logged no start within %d ms", (int)(p - tg_peers), TG_STEP_MS);
        /* 20 ms between looks, unless the peer exits. */
        int status = tu_proc_wait (p->pid, tu_now_ms () + 20);
        if (status >= 0) {
            p->pid = 0;
            TG_FAIL ("peer %d exited (status %d) before it started", (int)(p - tg_peers), status);
        }
    }
    assert_int_equal (tg_json_str (line, "node", node, sizeof node), 0);
    snprintf (title, sizeof title, "p2pfractal %.6s", node);
    for (;;) {
        const char *argv[] = { "xdotool", "search", "--name", title, NULL };
        char out[256];
        if (tu_run_capture (argv, NULL, out, sizeof out, 5000) == 0 && out[0]) {
            out[strcspn (out, "\n")] = '\0';
            if (strlen (out) >= sizeof p->wid)
                TG_FAIL ("window id '%s' is too long", out);
            memcpy (p->wid, out, strlen (out) + 1);
            return;
        }
        if (tu_now_ms () >= deadline)
            TG_FAIL ("no window titled '%s' within %d ms", title, TG_STEP_MS);
        tg_nap ();
    }
}

/* Give the window the keyboard and type one key into it (real X input,
 * through XTEST). */
void
tg_key (const tg_peer_t *p, const char *key)
{
    const char *focus[] = { "xdotool", "windowfocus", p->wid, NULL };
    assert_int_equal (tu_run_capture (focus, NULL, NULL, 0, 5000), 0);
    const char *type[] = { "xdotool", "key", key, NULL };
    assert_int_equal (tu_run_capture (type, NULL, NULL, 0, 5000), 0);
}

/* The window's pixels (w x h, RGB) into rgb; 0 on success. */
int
tg_screenshot_wh (const tg_peer_t *p, int w, int h, uint8_t *rgb)
{
    char path[600], target[620];
    tu_path_join (path, sizeof path, tg_dir, "shot.rgb");
    snprintf (target, sizeof target, "rgb:%s", path);
    const char *argv[] = { "import", "-window", p->wid, "-depth", "8", target, NULL };
    if (tu_run_capture (argv, NULL, NULL, 0, 20000) != 0)
        return -1;
    FILE *f = fopen (path, "rb");
    if (!f)
        return -1;
    size_t n = fread (rgb, 1, (size_t)w * h * 3, f);
    fclose (f);
    return n == (size_t)w * h * 3 ? 0 : -1;
}

int
tg_screenshot (const tg_peer_t *p, uint8_t *rgb)
{
    return tg_screenshot_wh (p, TG_W, TG_H, rgb);
}

uint8_t *
tg_read_png (const char *path, char *comment, size_t comment_size)
{
    uint8_t *rgb = NULL;
    int w = 0, h = 0;
    char err[512];
    if (rnd_png_read_rgb (path, &rgb, &w, &h, err, sizeof err) != 0)
        TG_FAIL ("%s", err);
    assert_int_equal (w, TG_W);
    assert_int_equal (h, TG_H);
    if (comment) {
        char *c = NULL;
        if (rnd_png_read_comment (path, &c, err, sizeof err) != 0)
            TG_FAIL ("%s", err);
        snprintf (comment, comment_size, "%s", c);
        free (c);
    }
    return rgb;
}

/* A file's bytes (malloc'd) and their count, or the test fails. */
uint8_t *
tg_read_bytes (const char *path, size_t *n)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        TG_FAIL ("cannot open %s", path);
    uint8_t *buf = NULL;
    size_t cap = 0;
    *n = 0;
    for (;;) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 65536;
            buf = realloc (buf, cap);
            assert_non_null (buf);
        }
        size_t got = fread (buf + *n, 1, cap - *n, f);
        if (got == 0)
            break;
        *n += got;
    }
    fclose (f);
    return buf;
}

/* Screenshots of p's window until it shows exactly png (want 1) or
 * differs from it in over a tenth of its pixels (want 0), or the
 * deadline: 1 if it came to that. *differ counts the pixels last seen
 * differing. */
int
tg_window_vs (const tg_peer_t *p, const uint8_t *png, int want, size_t *differ)
{
    uint8_t *shot = malloc ((size_t)TG_W * TG_H * 3);
    assert_non_null (shot);
    uint64_t deadline = tu_now_ms () + TG_STEP_MS;
    int got = 0;
    while (!got && tu_now_ms () < deadline) {
        if (tg_screenshot (p, shot) != 0) {
            tg_nap ();
            continue;
        }
        *differ = 0;
        for (size_t i = 0; i < (size_t)TG_W * TG_H; i++)
            *differ += memcmp (shot + 3 * i, png + 3 * i, 3) != 0;
        got = want ? *differ == 0 : *differ > (size_t)TG_W * TG_H / 10;
    }
    free (shot);
    return got;
}

void
tg_window_shows (const tg_peer_t *p, const uint8_t *png, const char *what)
{
    size_t differ = 0;
    if (!tg_window_vs (p, png, 1, &differ))
        TG_FAIL ("peer %d's window does not show %s: %zu of %d pixels differ", (int)(p - tg_peers),
                 what, differ, TG_W * TG_H);
}

/* Start peer i's window at x, joining port (0: start the job). */
void
tg_start (int i, int x, int port, const char *name)
{
    tg_start_with (i, x, port, name, NULL);
}

void
tg_start_with (int i, int x, int port, const char *name, const char *const *extra)
{
    tg_peer_t *p = &tg_peers[i];
    char size[32], geometry[64], join[64], file[64];
    snprintf (file, sizeof file, "%s.jsonl", name);
    tu_path_join (p->log, sizeof p->log, tg_dir, file);
    snprintf (file, sizeof file, "%s.err", name);
    tu_path_join (p->err, sizeof p->err, tg_dir, file);
    snprintf (file, sizeof file, "%s.png", name);
    tu_path_join (p->out, sizeof p->out, tg_dir, file);
    snprintf (size, sizeof size, "%dx%d", TG_W, TG_H);
    snprintf (geometry, sizeof geometry, "%dx%d+%d+0", TG_W, TG_H, x);
    snprintf (join, sizeof join, "127.0.0.1:%d", port);
    char seed[32];
    snprintf (seed, sizeof seed, "%d", 4242 + i);
    const char *fixed[] = { P2PF_BINARY,
                            "peer",
                            "--size",
                            size,
                            "--slices",
                            "16",
                            "--iter",
                            "2000",
                            "--threads",
                            "2",
                            "--seed",
                            seed,
                            "--geometry",
                            geometry,
                            "--log-json",
                            p->log,
                            "-o",
                            p->out,
                            port ? "--join" : NULL,
                            join,
                            NULL };
    /* The fixed arguments (up to the NULL of a first peer), then extra:
     * a later option overrides an earlier one. */
    const char *argv[64];
    size_t n = 0;
    for (size_t k = 0; k < sizeof fixed / sizeof *fixed && fixed[k]; k++)
        argv[n++] = fixed[k];
    for (size_t k = 0; extra && extra[k] && n + 1 < sizeof argv / sizeof *argv; k++)
        argv[n++] = extra[k];
    argv[n] = NULL;
    /* Under the sanitizers: the libraries SDL loads and unloads keep
     * state until exit, which LeakSanitizer can name (and the
     * suppressions skip) only if they stay mapped (tests/lsan-gui.supp).
     * Only the peer gets them: preloading libasan into xdotool or Xvfb
     * would break those. */
    const char *preload = getenv ("P2PF_TEST_GUI_PEER_PRELOAD");
    char ld_preload[4096];
    snprintf (ld_preload, sizeof ld_preload, "LD_PRELOAD=%s", preload ? preload : "");
    const char *env[] = { preload && *preload ? ld_preload : NULL, NULL };
    tu_proc_opts_t opts = { .dir = tg_dir, .err = TU_IO_FILE, .err_path = p->err, .env = env };
    p->pid = tu_proc_start (argv, &opts, NULL);
}

/* q leaves gracefully: exit status 0, a "left" line. */
void
tg_quit (tg_peer_t *p)
{
    tg_key (p, "q");
    int status = tu_proc_wait (p->pid, tu_now_ms () + TG_STEP_MS);
    if (status >= 0)
        p->pid = 0;
    if (status != 0)
        TG_FAIL ("q: peer %d's exit status is %d, not 0", (int)(p - tg_peers), status);
    char line[8192];
    assert_true (tg_log_find (p, "left", NULL, line, sizeof line));
}

int
tg_teardown (void **state)
{
    (void)state;
    for (int i = 0; i < TG_PEERS; i++)
        tu_proc_kill (&tg_peers[i].pid);
    tu_proc_kill (&tg_wm);
    if (tg_dir)
        tu_dir_remove (&tg_dir);
    return 0;
}

/* A hung X tool or peer must not hang the suite, nor outlive it. */
static void
tg_on_alarm (int sig)
{
    (void)sig;
    for (int i = 0; i < TG_PEERS; i++)
        if (tg_peers[i].pid > 0)
            kill (tg_peers[i].pid, SIGKILL);
    if (tg_wm > 0)
        kill (tg_wm, SIGKILL);
    static const char msg[] = "test_gui: timed out\n";
    ssize_t rc = write (2, msg, sizeof msg - 1);
    (void)rc;
    _exit (1);
}

/* Start Xvfb on a display it picks itself (-displayfd: it takes the first
 * number whose lock it can create, atomically) and return its pid, the
 * number in *display; -1 if it does not say within 30 s. (xvfb-run -a
 * picks the number in the shell, from the lock files it sees: two runs at
 * once could take the same one, and a window test then met the other's
 * server -- "can't open display", 1 run in 17 with 9 at once.) */
static pid_t
s_xvfb_start (int *display)
{
    int fds[2];
    if (pipe (fds) != 0)
        return -1;
    pid_t x = fork ();
    if (x == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
        close (fds[0]);
        char fd[16];
        snprintf (fd, sizeof fd, "%d", fds[1]);
        int null = open ("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2 (null, 2); /* its start-up chatter */
        /* -noreset: an X server resets when its last client leaves, and a
         * client connecting meanwhile is dropped. test_gui_hud starts
         * evilwm and polls with xprop at once: xprop leaving reset the
         * server under evilwm's connection ("evilwm: can't open display",
         * 0.09 s into the test, 4 runs of ~60 under load). */
        execlp ("Xvfb", "Xvfb", "-displayfd", fd, "-noreset", "-screen", "0", "1280x1024x24",
                "-nolisten", "tcp", (char *)NULL);
        _exit (127);
    }
    close (fds[1]);
    char buf[32] = "";
    size_t got = 0;
    uint64_t deadline = tu_now_ms () + 30000;
    while (x > 0 && got < sizeof buf - 1 && !memchr (buf, '\n', got)) {
        struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
        uint64_t now = tu_now_ms ();
        if (now >= deadline || poll (&pfd, 1, (int)(deadline - now)) <= 0)
            break;
        ssize_t n = read (fds[0], buf + got, sizeof buf - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close (fds[0]);
    if (x > 0 && memchr (buf, '\n', got)) {
        *display = atoi (buf);
        return x;
    }
    if (x > 0) {
        kill (x, SIGKILL);
        waitpid (x, NULL, 0);
    }
    return -1;
}

void
tg_under_xvfb (char **argv)
{
    /* Always on a private virtual display of a known size, with no window
     * manager: the test runs itself again, a child, on its own Xvfb. */
    if (!getenv ("P2PF_TEST_GUI_XVFB")) {
        setenv ("P2PF_TEST_GUI_XVFB", "1", 1);
        int display;
        pid_t x = s_xvfb_start (&display);
        if (x < 0) {
            fprintf (stderr, "%s: Xvfb did not start (scripts/install-deps.sh installs it)\n",
                     argv[0]);
            exit (1);
        }
        char d[32];
        snprintf (d, sizeof d, ":%d", display);
        setenv ("DISPLAY", d, 1);
        unsetenv ("XAUTHORITY"); /* no cookie: a private server, local clients only */
        pid_t t = fork ();
        if (t == 0) {
            prctl (PR_SET_PDEATHSIG, SIGTERM);
            execv ("/proc/self/exe", argv);
            _exit (127);
        }
        int st = 1;
        if (t < 0 || waitpid (t, &st, 0) < 0)
            st = 1 << 8;
        kill (x, SIGTERM);
        waitpid (x, NULL, 0);
        exit (WIFEXITED (st) ? WEXITSTATUS (st) : 1);
    }
    signal (SIGALRM, tg_on_alarm);
    alarm (280);
}
