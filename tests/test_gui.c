/* test_gui.c: the desktop peer's window, end to end, on a virtual X
 * display (the test runs itself under xvfb-run; it fails if that cannot
 * be run: scripts/install-deps.sh installs it).
 *
 * A real `p2pfractal peer` opens its window at exactly the image's size
 * and renders a small job. The test then drives it as a user would, with
 * real X input (xdotool) and real screenshots (ImageMagick's import):
 *   - once the job is done, with the HUD hidden (h), the window's pixels
 *     are the PNG's pixels, exactly: the window shows the image, not a
 *     blank or stale frame;
 *   - s saves a PNG of what is shown, with the job's parameters;
 *   - a left click zooms ×2 about the point clicked: a new job, whose PNG
 *     is pixel-identical to `p2pfractal render` of the parameters the
 *     peer announced;
 *   - q leaves and the peer exits 0.
 * Every wait polls a condition with a deadline; the peer is killed and
 * reaped on every way out. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <math.h>

#include "params.h"
#include "png_io.h"
#include "test_util.h"

#define S_W 320
#define S_H 200
/* Generous: two cores, a software renderer, and a sanitizer build. */
#define S_STEP_MS 60000

static char *s_dir;
static pid_t s_peer; /* 0: none (or reaped) */
static char s_log_path[512], s_err_path[512];

/* Polling an X tool's answer with a deadline: 20 ms between looks. */
static void
s_nap (void)
{
    struct timespec nap = { 0, 20 * 1000 * 1000 };
    nanosleep (&nap, NULL);
}

static void
s_show_stderr (void)
{
    FILE *f = fopen (s_err_path, "r");
    if (!f)
        return;
    char line[512];
    int n = 0;
    while (fgets (line, sizeof line, f) && n++ < 60)
        print_message ("    peer: %s", line);
    fclose (f);
}

#define S_FAIL(...)                                                                                \
    do {                                                                                           \
        s_show_stderr ();                                                                          \
        fail_msg (__VA_ARGS__);                                                                    \
    } while (0)

/* The log's last line with "event":"<event>" (and containing also, if
 * not NULL) into line; 1 if there is one. */
static int
s_log_find (const char *event, const char *also, char *line, size_t size)
{
    FILE *f = fopen (s_log_path, "r");
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

/* Count of log lines of event. */
static int
s_log_count (const char *event)
{
    FILE *f = fopen (s_log_path, "r");
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

static void
s_wait_log_count (const char *event, int n)
{
    uint64_t deadline = tu_now_ms () + S_STEP_MS;
    while (s_log_count (event) < n) {
        /* 20 ms between looks at the log, unless the peer exits. */
        int status = tu_proc_wait (s_peer, tu_now_ms () + 20);
        if (status >= 0) {
            s_peer = 0;
            S_FAIL ("the peer exited (status %d) before logging %s #%d", status, event, n);
        }
        if (tu_now_ms () >= deadline)
            S_FAIL ("no %s #%d in the log within %d ms", event, n, S_STEP_MS);
    }
}

/* The string value of key in a JSON line (unescaping \" and \\ only:
 * enough for the parameter text, whose lines are joined by \n). */
static int
s_json_str (const char *line, const char *key, char *out, size_t size)
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

/* The peer's window id, found by its title within the deadline. */
static void
s_find_window (const char *title, char *wid, size_t size)
{
    uint64_t deadline = tu_now_ms () + S_STEP_MS;
    for (;;) {
        const char *argv[] = { "xdotool", "search", "--name", title, NULL };
        char out[256];
        if (tu_run_capture (argv, NULL, out, sizeof out, 5000) == 0 && out[0]) {
            out[strcspn (out, "\n")] = '\0';
            if (strlen (out) >= size)
                S_FAIL ("window id '%s' is too long", out);
            memcpy (wid, out, strlen (out) + 1);
            return;
        }
        if (tu_now_ms () >= deadline)
            S_FAIL ("no window titled '%s' within %d ms", title, S_STEP_MS);
        s_nap ();
    }
}

/* Give the window the keyboard and type one key into it (real X input,
 * through XTEST). */
static void
s_key (const char *wid, const char *key)
{
    const char *focus[] = { "xdotool", "windowfocus", wid, NULL };
    assert_int_equal (tu_run_capture (focus, NULL, NULL, 0, 5000), 0);
    const char *type[] = { "xdotool", "key", key, NULL };
    assert_int_equal (tu_run_capture (type, NULL, NULL, 0, 5000), 0);
}

/* The window's pixels (S_W x S_H, RGB) into rgb; 0 on success. */
static int
s_screenshot (const char *wid, uint8_t *rgb)
{
    char path[600], target[620];
    tu_path_join (path, sizeof path, s_dir, "shot.rgb");
    snprintf (target, sizeof target, "rgb:%s", path);
    const char *argv[] = { "import", "-window", wid, "-depth", "8", target, NULL };
    if (tu_run_capture (argv, NULL, NULL, 0, 20000) != 0)
        return -1;
    FILE *f = fopen (path, "rb");
    if (!f)
        return -1;
    size_t n = fread (rgb, 1, (size_t)S_W * S_H * 3, f);
    fclose (f);
    return n == (size_t)S_W * S_H * 3 ? 0 : -1;
}

static uint8_t *
s_read_png (const char *path, char *comment, size_t comment_size)
{
    uint8_t *rgb = NULL;
    int w = 0, h = 0;
    char err[512];
    if (rnd_png_read_rgb (path, &rgb, &w, &h, err, sizeof err) != 0)
        S_FAIL ("%s", err);
    assert_int_equal (w, S_W);
    assert_int_equal (h, S_H);
    if (comment) {
        char *c = NULL;
        if (rnd_png_read_comment (path, &c, err, sizeof err) != 0)
            S_FAIL ("%s", err);
        snprintf (comment, comment_size, "%s", c);
        free (c);
    }
    return rgb;
}

/* Screenshots until the window shows exactly png (the HUD hidden), or
 * the deadline: 1 if it did. *distinct counts the colours last seen. */
static int
s_window_shows (const char *wid, const uint8_t *png, size_t *differ)
{
    uint8_t *shot = malloc ((size_t)S_W * S_H * 3);
    assert_non_null (shot);
    uint64_t deadline = tu_now_ms () + S_STEP_MS;
    int same = 0;
    while (!same && tu_now_ms () < deadline) {
        if (s_screenshot (wid, shot) != 0) {
            s_nap ();
            continue;
        }
        *differ = 0;
        for (size_t i = 0; i < (size_t)S_W * S_H; i++)
            *differ += memcmp (shot + 3 * i, png + 3 * i, 3) != 0;
        same = *differ == 0;
    }
    free (shot);
    return same;
}

static void
test_window (void **state)
{
    (void)state;
    if (!getenv ("DISPLAY") || !*getenv ("DISPLAY"))
        fail_msg ("no $DISPLAY under xvfb-run");
    s_dir = tu_dir_new ("test_gui");
    assert_non_null (s_dir);
    char out_path[512], size[32], geometry[64];
    tu_path_join (s_log_path, sizeof s_log_path, s_dir, "peer.jsonl");
    tu_path_join (s_err_path, sizeof s_err_path, s_dir, "peer.err");
    tu_path_join (out_path, sizeof out_path, s_dir, "out.png");
    snprintf (size, sizeof size, "%dx%d", S_W, S_H);
    snprintf (geometry, sizeof geometry, "%dx%d+0+0", S_W, S_H);
    const char *argv[] = { P2PF_BINARY, "peer",   "--size",     size,        "--slices",
                           "16",        "--iter", "2000",       "--threads", "2",
                           "--seed",    "4242",   "--geometry", geometry,    "--log-json",
                           s_log_path,  "-o",     out_path,     NULL };
    /* Under the sanitizers: the libraries SDL loads and unloads keep
     * state until exit, which LeakSanitizer can name (and the
     * suppressions skip) only if they stay mapped (tests/lsan-gui.supp).
     * Only the peer gets them: preloading libasan into xdotool or Xvfb
     * would break those. */
    const char *preload = getenv ("P2PF_TEST_GUI_PEER_PRELOAD");
    char ld_preload[4096];
    snprintf (ld_preload, sizeof ld_preload, "LD_PRELOAD=%s", preload ? preload : "");
    const char *env[] = { preload && *preload ? ld_preload : NULL, NULL };
    tu_proc_opts_t opts = { .dir = s_dir, .err = TU_IO_FILE, .err_path = s_err_path, .env = env };
    s_peer = tu_proc_start (argv, &opts, NULL);

    /* The job completes and is written. */
    s_wait_log_count ("job_done", 1);
    char line[8192], node[64], title[64];
    assert_true (s_log_find ("started", NULL, line, sizeof line));
    assert_int_equal (s_json_str (line, "node", node, sizeof node), 0);
    snprintf (title, sizeof title, "p2pfractal %.6s", node);
    char wid[64];
    s_find_window (title, wid, sizeof wid);
    char comment[4096];
    uint8_t *png = s_read_png (out_path, comment, sizeof comment);

    /* The window shows the image, exactly, once the HUD is hidden. */
    s_key (wid, "h");
    size_t differ = 0;
    if (!s_window_shows (wid, png, &differ))
        S_FAIL ("the window does not show the PNG: %zu of %d pixels differ", differ, S_W * S_H);
    /* ... and that is an image, not a flat fill. */
    size_t changes = 0;
    for (size_t i = 1; i < (size_t)S_W * S_H; i++)
        changes += memcmp (png + 3 * i, png + 3 * (i - 1), 3) != 0;
    assert_true (changes > (size_t)S_W * S_H / 20);

    /* s saves what is shown, with the job's parameters. */
    s_key (wid, "s");
    s_wait_log_count ("saved", 1);
    char saved[512], saved_expect[512];
    assert_true (s_log_find ("saved", NULL, line, sizeof line));
    assert_int_equal (s_json_str (line, "file", saved, sizeof saved), 0);
    tu_path_join (saved_expect, sizeof saved_expect, s_dir, "out-1.png");
    assert_string_equal (saved, saved_expect);
    char saved_comment[4096];
    uint8_t *png_saved = s_read_png (saved, saved_comment, sizeof saved_comment);
    assert_memory_equal (png_saved, png, (size_t)S_W * S_H * 3);
    assert_string_equal (saved_comment, comment);
    free (png_saved);

    /* A left click zooms in: a new job, rendered to the bit. */
    const char *move[] = { "xdotool", "mousemove", "--window", wid, "100", "60", NULL };
    assert_int_equal (tu_run_capture (move, NULL, NULL, 0, 5000), 0);
    const char *click[] = { "xdotool", "click", "1", NULL };
    assert_int_equal (tu_run_capture (click, NULL, NULL, 0, 5000), 0);
    s_wait_log_count ("zoom", 1);
    s_wait_log_count ("job_done", 2);
    assert_true (s_log_find ("job_started", NULL, line, sizeof line));
    char spec[4096], params_path[512], ref_path[512];
    assert_int_equal (s_json_str (line, "spec", spec, sizeof spec), 0);
    assert_string_not_equal (spec, comment);
    /* Twice as deep, about the point clicked (to within a pixel). */
    rnd_view_t before, after;
    char err[256];
    assert_int_equal (rnd_params_parse (comment, strlen (comment), "png", &before, err, sizeof err),
                      0);
    assert_int_equal (rnd_params_parse (spec, strlen (spec), "zoom", &after, err, sizeof err), 0);
    assert_true (fabs (after.width - before.width / 2) <= before.width * 1e-12);
    double pitch = before.width / S_W;
    double p_re = before.center_re + (100 + 0.5 - S_W / 2.0) * pitch;
    double p_im = before.center_im - (60 + 0.5 - S_H / 2.0) * pitch;
    if (fabs (after.center_re - (p_re + (before.center_re - p_re) / 2)) > pitch ||
        fabs (after.center_im - (p_im + (before.center_im - p_im) / 2)) > pitch)
        S_FAIL ("the zoom is not about the point clicked: centre %.17g,%.17g from %.17g,%.17g",
                after.center_re, after.center_im, before.center_re, before.center_im);
    tu_path_join (params_path, sizeof params_path, s_dir, "zoom.params");
    tu_path_join (ref_path, sizeof ref_path, s_dir, "zoom-ref.png");
    tu_file_write (params_path, spec, strlen (spec));
    const char *render[] = { P2PF_BINARY, "render", "--params", params_path, "-o", ref_path, NULL };
    assert_int_equal (tu_run_capture (render, NULL, NULL, 0, S_STEP_MS), 0);
    uint8_t *ref = s_read_png (ref_path, NULL, 0);
    uint8_t *zoomed = s_read_png (out_path, NULL, 0);
    assert_memory_equal (zoomed, ref, (size_t)S_W * S_H * 3);
    assert_memory_not_equal (zoomed, png, (size_t)S_W * S_H * 3);
    free (ref);
    free (zoomed);

    /* q leaves gracefully: exit status 0. */
    s_key (wid, "q");
    int status = tu_proc_wait (s_peer, tu_now_ms () + S_STEP_MS);
    if (status >= 0)
        s_peer = 0;
    if (status != 0)
        S_FAIL ("q: the peer's exit status is %d, not 0", status);
    assert_true (s_log_find ("left", NULL, line, sizeof line));
    free (png);
    tu_dir_remove (&s_dir);
}

/* Without a display the peer says so in one line and exits 1 before it
 * joins anything (a window nobody can see would be worse). */
static void
test_no_display (void **state)
{
    (void)state;
    const char *argv[] = { P2PF_BINARY, "peer", "--port", "0", NULL };
    const char *unset[] = { "DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER", NULL };
    tu_proc_opts_t opts = { .err = TU_IO_STDOUT, .env = unset };
    char out[4096];
    int status = tu_run_capture (argv, &opts, out, sizeof out, S_STEP_MS);
    if (status != 1 || !strstr (out, "cannot open a window") || !strstr (out, "--headless") ||
        strstr (out, "started"))
        S_FAIL ("without a display: exit %d, output: %s", status, out);
}

static int
s_teardown (void **state)
{
    (void)state;
    tu_proc_kill (&s_peer);
    if (s_dir)
        tu_dir_remove (&s_dir);
    return 0;
}

/* A hung X tool or peer must not hang the suite, nor outlive it. */
static void
s_on_alarm (int sig)
{
    (void)sig;
    if (s_peer > 0)
        kill (s_peer, SIGKILL);
    static const char msg[] = "test_gui: timed out\n";
    ssize_t rc = write (2, msg, sizeof msg - 1);
    (void)rc;
    _exit (1);
}

int
main (int argc, char **argv)
{
    (void)argc;
    /* Always on a private virtual display of a known size, with no window
     * manager: the test runs itself again under xvfb-run. */
    if (!getenv ("P2PF_TEST_GUI_XVFB")) {
        setenv ("P2PF_TEST_GUI_XVFB", "1", 1);
        execlp ("xvfb-run", "xvfb-run", "-a", "-s", "-screen 0 1280x1024x24 -nolisten tcp", argv[0],
                (char *)NULL);
        fprintf (stderr,
                 "test_gui: cannot run xvfb-run (%s; scripts/install-deps.sh installs it)\n",
                 strerror (errno));
        return 1;
    }
    signal (SIGALRM, s_on_alarm);
    alarm (280);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_window, s_teardown),
        cmocka_unit_test (test_no_display),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
