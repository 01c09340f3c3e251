/* test_gui.c: the desktop peer's window, end to end, on a virtual X
 * display (the test runs itself under xvfb-run; it fails if that cannot
 * be run: scripts/install-deps.sh installs it).
 *
 * Two real `p2pfractal peer` windows (the second joins the first) open at
 * exactly the image's size and render a small job. The test then drives
 * them as a user would, with real X input (xdotool) and real screenshots
 * (ImageMagick's import):
 *   - once the job is done, with the HUD hidden (h), each window's pixels
 *     are its PNG's pixels, exactly: the window shows the image, not a
 *     blank or stale frame;
 *   - s saves a PNG of what is shown, with the job's parameters, under a
 *     name of its own (<stem>-saved-1.png);
 *   - p recolours that window only: the other window still shows the
 *     job's palette;
 *   - a left click zooms x2 about the point clicked: a new job in the
 *     job's palette, whose PNG -- on every peer, under a new name
 *     (<stem>-2.png) -- is pixel-identical to `p2pfractal render` of the
 *     parameters announced, while the first job's PNGs stay byte for byte;
 *   - q leaves, the peer exits 0, and its closing line lists its images.
 * Every wait polls a condition with a deadline; the peers are killed and
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

/* One windowed peer under test. */
typedef struct {
    pid_t pid;     /* 0: none (or reaped) */
    char log[512]; /* its --log-json */
    char err[512]; /* its stderr */
    char out[512]; /* its -o */
    char wid[64];  /* its window, once found */
} s_peer_t;

#define S_PEERS 2
static s_peer_t s_peers[S_PEERS];

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
    for (int i = 0; i < S_PEERS; i++) {
        FILE *f = fopen (s_peers[i].err, "r");
        if (!f)
            continue;
        char line[512];
        int n = 0;
        while (fgets (line, sizeof line, f) && n++ < 60)
            print_message ("    peer %d: %s", i, line);
        fclose (f);
    }
}

#define S_FAIL(...)                                                                                \
    do {                                                                                           \
        s_show_stderr ();                                                                          \
        fail_msg (__VA_ARGS__);                                                                    \
    } while (0)

/* Peer p's log's last line with "event":"<event>" (and containing also,
 * if not NULL) into line; 1 if there is one. */
static int
s_log_find (const s_peer_t *p, const char *event, const char *also, char *line, size_t size)
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
static int
s_log_count (const s_peer_t *p, const char *event)
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

static void
s_wait_log_count (s_peer_t *p, const char *event, int n)
{
    uint64_t deadline = tu_now_ms () + S_STEP_MS;
    while (s_log_count (p, event) < n) {
        /* 20 ms between looks at the log, unless the peer exits. */
        int status = tu_proc_wait (p->pid, tu_now_ms () + 20);
        if (status >= 0) {
            p->pid = 0;
            S_FAIL ("peer %d exited (status %d) before logging %s #%d", (int)(p - s_peers), status,
                    event, n);
        }
        if (tu_now_ms () >= deadline)
            S_FAIL ("peer %d: no %s #%d in the log within %d ms", (int)(p - s_peers), event, n,
                    S_STEP_MS);
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

/* Peer p's window id, found by its title within the deadline. */
static void
s_find_window (s_peer_t *p)
{
    char line[8192], node[64], title[64];
    uint64_t deadline = tu_now_ms () + S_STEP_MS;
    while (!s_log_find (p, "started", NULL, line, sizeof line)) {
        if (tu_now_ms () >= deadline)
            S_FAIL ("peer %d logged no start within %d ms", (int)(p - s_peers), S_STEP_MS);
        /* 20 ms between looks, unless the peer exits. */
        int status = tu_proc_wait (p->pid, tu_now_ms () + 20);
        if (status >= 0) {
            p->pid = 0;
            S_FAIL ("peer %d exited (status %d) before it started", (int)(p - s_peers), status);
        }
    }
    assert_int_equal (s_json_str (line, "node", node, sizeof node), 0);
    snprintf (title, sizeof title, "p2pfractal %.6s", node);
    for (;;) {
        const char *argv[] = { "xdotool", "search", "--name", title, NULL };
        char out[256];
        if (tu_run_capture (argv, NULL, out, sizeof out, 5000) == 0 && out[0]) {
            out[strcspn (out, "\n")] = '\0';
            if (strlen (out) >= sizeof p->wid)
                S_FAIL ("window id '%s' is too long", out);
            memcpy (p->wid, out, strlen (out) + 1);
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
s_key (const s_peer_t *p, const char *key)
{
    const char *focus[] = { "xdotool", "windowfocus", p->wid, NULL };
    assert_int_equal (tu_run_capture (focus, NULL, NULL, 0, 5000), 0);
    const char *type[] = { "xdotool", "key", key, NULL };
    assert_int_equal (tu_run_capture (type, NULL, NULL, 0, 5000), 0);
}

/* The window's pixels (w x h, RGB) into rgb; 0 on success. */
static int
s_screenshot_wh (const s_peer_t *p, int w, int h, uint8_t *rgb)
{
    char path[600], target[620];
    tu_path_join (path, sizeof path, s_dir, "shot.rgb");
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

static int
s_screenshot (const s_peer_t *p, uint8_t *rgb)
{
    return s_screenshot_wh (p, S_W, S_H, rgb);
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

/* A file's bytes (malloc'd) and their count, or the test fails. */
static uint8_t *
s_read_bytes (const char *path, size_t *n)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        S_FAIL ("cannot open %s", path);
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
static int
s_window_vs (const s_peer_t *p, const uint8_t *png, int want, size_t *differ)
{
    uint8_t *shot = malloc ((size_t)S_W * S_H * 3);
    assert_non_null (shot);
    uint64_t deadline = tu_now_ms () + S_STEP_MS;
    int got = 0;
    while (!got && tu_now_ms () < deadline) {
        if (s_screenshot (p, shot) != 0) {
            s_nap ();
            continue;
        }
        *differ = 0;
        for (size_t i = 0; i < (size_t)S_W * S_H; i++)
            *differ += memcmp (shot + 3 * i, png + 3 * i, 3) != 0;
        got = want ? *differ == 0 : *differ > (size_t)S_W * S_H / 10;
    }
    free (shot);
    return got;
}

static void
s_window_shows (const s_peer_t *p, const uint8_t *png, const char *what)
{
    size_t differ = 0;
    if (!s_window_vs (p, png, 1, &differ))
        S_FAIL ("peer %d's window does not show %s: %zu of %d pixels differ", (int)(p - s_peers),
                what, differ, S_W * S_H);
}

/* Start peer i's window at x, joining port (0: start the job). */
static void
s_start (int i, int x, int port, const char *name)
{
    s_peer_t *p = &s_peers[i];
    char size[32], geometry[64], join[64], file[64];
    snprintf (file, sizeof file, "%s.jsonl", name);
    tu_path_join (p->log, sizeof p->log, s_dir, file);
    snprintf (file, sizeof file, "%s.err", name);
    tu_path_join (p->err, sizeof p->err, s_dir, file);
    snprintf (file, sizeof file, "%s.png", name);
    tu_path_join (p->out, sizeof p->out, s_dir, file);
    snprintf (size, sizeof size, "%dx%d", S_W, S_H);
    snprintf (geometry, sizeof geometry, "%dx%d+%d+0", S_W, S_H, x);
    snprintf (join, sizeof join, "127.0.0.1:%d", port);
    char seed[32];
    snprintf (seed, sizeof seed, "%d", 4242 + i);
    const char *argv[] = { P2PF_BINARY,
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
    /* Under the sanitizers: the libraries SDL loads and unloads keep
     * state until exit, which LeakSanitizer can name (and the
     * suppressions skip) only if they stay mapped (tests/lsan-gui.supp).
     * Only the peer gets them: preloading libasan into xdotool or Xvfb
     * would break those. */
    const char *preload = getenv ("P2PF_TEST_GUI_PEER_PRELOAD");
    char ld_preload[4096];
    snprintf (ld_preload, sizeof ld_preload, "LD_PRELOAD=%s", preload ? preload : "");
    const char *env[] = { preload && *preload ? ld_preload : NULL, NULL };
    tu_proc_opts_t opts = { .dir = s_dir, .err = TU_IO_FILE, .err_path = p->err, .env = env };
    p->pid = tu_proc_start (argv, &opts, NULL);
}

/* q leaves gracefully: exit status 0, a "left" line. */
static void
s_quit (s_peer_t *p)
{
    s_key (p, "q");
    int status = tu_proc_wait (p->pid, tu_now_ms () + S_STEP_MS);
    if (status >= 0)
        p->pid = 0;
    if (status != 0)
        S_FAIL ("q: peer %d's exit status is %d, not 0", (int)(p - s_peers), status);
    char line[8192];
    assert_true (s_log_find (p, "left", NULL, line, sizeof line));
}

static void
test_window (void **state)
{
    (void)state;
    if (!getenv ("DISPLAY") || !*getenv ("DISPLAY"))
        fail_msg ("no $DISPLAY under xvfb-run");
    s_dir = tu_dir_new ("test_gui");
    assert_non_null (s_dir);
    s_peer_t *a = &s_peers[0], *b = &s_peers[1];
    s_start (0, 0, 0, "out");
    s_find_window (a);
    char line[8192];
    assert_true (s_log_find (a, "started", NULL, line, sizeof line));
    int port = (int)tu_json_u64 (line, "port");
    assert_true (port > 0);
    s_start (1, S_W + 20, port, "b");
    s_find_window (b);

    /* The job completes and is written, here and there. */
    s_wait_log_count (a, "job_done", 1);
    s_wait_log_count (b, "job_done", 1);
    char comment[4096];
    uint8_t *png = s_read_png (a->out, comment, sizeof comment);
    uint8_t *png_b = s_read_png (b->out, NULL, 0);
    assert_memory_equal (png_b, png, (size_t)S_W * S_H * 3);
    size_t png_n, png_b_n;
    uint8_t *png_bytes = s_read_bytes (a->out, &png_n);
    uint8_t *png_b_bytes = s_read_bytes (b->out, &png_b_n);

    /* The window shows the image, exactly, once the HUD is hidden. */
    s_key (a, "h");
    s_key (b, "h");
    s_window_shows (a, png, "the PNG");
    s_window_shows (b, png, "the PNG");
    /* ... and that is an image, not a flat fill. */
    size_t changes = 0;
    for (size_t i = 1; i < (size_t)S_W * S_H; i++)
        changes += memcmp (png + 3 * i, png + 3 * (i - 1), 3) != 0;
    assert_true (changes > (size_t)S_W * S_H / 20);

    /* s saves what is shown, with the job's parameters, under a name of
     * its own: never over the job's image. */
    s_key (a, "s");
    s_wait_log_count (a, "saved", 1);
    char saved[512], saved_expect[512];
    assert_true (s_log_find (a, "saved", NULL, line, sizeof line));
    assert_int_equal (s_json_str (line, "file", saved, sizeof saved), 0);
    tu_path_join (saved_expect, sizeof saved_expect, s_dir, "out-saved-1.png");
    assert_string_equal (saved, saved_expect);
    char saved_comment[4096];
    uint8_t *png_saved = s_read_png (saved, saved_comment, sizeof saved_comment);
    assert_memory_equal (png_saved, png, (size_t)S_W * S_H * 3);
    assert_string_equal (saved_comment, comment);
    free (png_saved);

    /* p recolours this window only: a's shows another palette, b's still
     * the job's. */
    s_key (a, "p");
    size_t differ = 0;
    if (!s_window_vs (a, png, 0, &differ))
        S_FAIL ("p did not recolour the window: %zu pixels differ", differ);
    s_window_shows (b, png, "the job's palette after p in the other window");

    /* A left click in a zooms in: a new job, rendered to the bit, in the
     * job's palette (not the one a shows), written under a new name on
     * every peer; the first images stay byte for byte. */
    const char *move[] = { "xdotool", "mousemove", "--window", a->wid, "100", "60", NULL };
    assert_int_equal (tu_run_capture (move, NULL, NULL, 0, 5000), 0);
    const char *click[] = { "xdotool", "click", "1", NULL };
    assert_int_equal (tu_run_capture (click, NULL, NULL, 0, 5000), 0);
    s_wait_log_count (a, "zoom", 1);
    s_wait_log_count (a, "job_done", 2);
    s_wait_log_count (b, "job_done", 2);
    assert_true (s_log_find (a, "job_started", NULL, line, sizeof line));
    char spec[4096], params_path[512], ref_path[512];
    assert_int_equal (s_json_str (line, "spec", spec, sizeof spec), 0);
    assert_string_not_equal (spec, comment);
    /* Twice as deep, about the point clicked (to within a pixel). */
    rnd_view_t before, after;
    char err[256];
    assert_int_equal (rnd_params_parse (comment, strlen (comment), "png", &before, err, sizeof err),
                      0);
    assert_int_equal (rnd_params_parse (spec, strlen (spec), "zoom", &after, err, sizeof err), 0);
    assert_string_equal (after.palette, before.palette);
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
    char second[512], second_a[512] = "";
    for (int i = 0; i < S_PEERS; i++) {
        char expect[512], name[64];
        snprintf (name, sizeof name, "%s-2.png", i ? "b" : "out");
        tu_path_join (expect, sizeof expect, s_dir, name);
        assert_true (s_log_find (&s_peers[i], "job_done", NULL, line, sizeof line));
        assert_int_equal (s_json_str (line, "file", second, sizeof second), 0);
        assert_string_equal (second, expect);
        if (i == 0)
            snprintf (second_a, sizeof second_a, "%s", second);
        uint8_t *zoomed = s_read_png (second, NULL, 0);
        assert_memory_equal (zoomed, ref, (size_t)S_W * S_H * 3);
        assert_memory_not_equal (zoomed, png, (size_t)S_W * S_H * 3);
        free (zoomed);
    }
    size_t n;
    uint8_t *again = s_read_bytes (a->out, &n);
    assert_int_equal (n, png_n);
    assert_memory_equal (again, png_bytes, n);
    free (again);
    again = s_read_bytes (b->out, &n);
    assert_int_equal (n, png_b_n);
    assert_memory_equal (again, png_b_bytes, n);
    free (again);
    /* b's window shows the new job in its palette: a's p reached nobody. */
    s_window_shows (b, ref, "the zoom's PNG");

    /* q leaves gracefully: exit status 0; the closing line lists the
     * images written. */
    s_quit (b);
    s_quit (a);
    char errs[16384];
    tu_slurp (a->err, errs, sizeof errs);
    char listed[1200];
    snprintf (listed, sizeof listed, "images: %s, %s", a->out, second_a);
    if (!strstr (errs, listed))
        S_FAIL ("the closing line does not list the images (%s)", listed);
    free (ref);
    free (png);
    free (png_b);
    free (png_bytes);
    free (png_b_bytes);
    tu_dir_remove (&s_dir);
}

/* --- the HUD, full screen, the key list, the presenter view --------------- */

static pid_t s_wm; /* the window manager of test_hud (0: none) */

/* A window's (or with id NULL the screen's) size, as xwininfo says. */
static void
s_geometry (const char *id, int *w, int *h)
{
    const char *argv[] = { "xwininfo", id ? "-id" : "-root", id, NULL };
    char out[4096];
    assert_int_equal (tu_run_capture (argv, NULL, out, sizeof out, 5000), 0);
    const char *pw = strstr (out, "Width:"), *ph = strstr (out, "Height:");
    assert_non_null (pw);
    assert_non_null (ph);
    *w = atoi (pw + 6);
    *h = atoi (ph + 7);
}

static void
s_wait_geometry (const s_peer_t *p, int w, int h, const char *what)
{
    uint64_t deadline = tu_now_ms () + S_STEP_MS;
    int gw = 0, gh = 0;
    for (;;) {
        s_geometry (p->wid, &gw, &gh);
        if (gw == w && gh == h)
            return;
        if (tu_now_ms () >= deadline)
            S_FAIL ("%s: the window is %dx%d, not %dx%d", what, gw, gh, w, h);
        s_nap ();
    }
}

/* Pixels of a and b (w x h) that differ, in rows y0..y1 and columns
 * x0..x1. */
static size_t
s_differ (const uint8_t *a, const uint8_t *b, int w, int x0, int y0, int x1, int y1)
{
    size_t n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            n += memcmp (a + 3 * ((size_t)y * w + x), b + 3 * ((size_t)y * w + x), 3) != 0;
    return n;
}

/* Screenshots of p's w x h window into shot until it equals ref (want 1)
 * or differs from it in more than min pixels of the middle third (want
 * 0; a panel drawn over the image), or the deadline. */
static void
s_shot_until (const s_peer_t *p, int w, int h, const uint8_t *ref, int want, uint8_t *shot,
              const char *what)
{
    uint64_t deadline = tu_now_ms () + S_STEP_MS;
    size_t n = 0;
    for (;;) {
        if (s_screenshot_wh (p, w, h, shot) == 0) {
            n = want ? s_differ (shot, ref, w, 0, 0, w, h)
                     : s_differ (shot, ref, w, w / 3, h / 3, 2 * w / 3, 2 * h / 3);
            if (want ? n == 0 : n > (size_t)w * h / 100)
                return;
        }
        if (tu_now_ms () >= deadline)
            S_FAIL ("%s: %zu pixels differ", what, n);
        s_nap ();
    }
}

/* A text pixel: near white (the HUD's text is #f0f0f0 and the image under
 * its box is darkened to at most ~90). */
static int
s_bright (const uint8_t *px)
{
    return px[0] >= 0xc8 && px[1] >= 0xc8 && px[2] >= 0xc8;
}

/* f/F11 fills the screen, the HUD's text is at least 1/40 of the window's
 * height (measured on the screen: the tallest run of rows holding its
 * glyphs) in a box in the top-left corner, nothing of the HUD or the
 * ticker covers the middle of the image; ? shows the key list and any key
 * or ? closes it; Tab shows the presenter view and hides it. Under a
 * window manager (evilwm): full screen is its job. */
static void
test_hud (void **state)
{
    (void)state;
    s_dir = tu_dir_new ("test_gui_hud");
    assert_non_null (s_dir);
    /* evilwm's default core font is not on a bare Xvfb; "fixed" is. */
    const char *wm[] = { "evilwm", "-fn", "fixed", "-bw", "0", NULL };
    s_wm = tu_proc_start (wm, NULL, NULL);
    assert_true (s_wm > 0);
    uint64_t deadline = tu_now_ms () + S_STEP_MS;
    for (;;) {
        const char *argv[] = { "xprop", "-root", "_NET_SUPPORTING_WM_CHECK", NULL };
        char out[512] = "";
        tu_run_capture (argv, NULL, out, sizeof out, 5000);
        if (strstr (out, "window id"))
            break;
        if (tu_now_ms () >= deadline || tu_proc_wait (s_wm, tu_now_ms ()) >= 0)
            fail_msg ("evilwm did not start (scripts/install-deps.sh installs it)");
        s_nap ();
    }
    s_peer_t *a = &s_peers[0];
    s_start (0, 0, 0, "hud");
    s_find_window (a);
    s_wait_log_count (a, "job_done", 1);
    int sw, sh;
    s_geometry (NULL, &sw, &sh);
    size_t size = (size_t)sw * sh * 3;
    uint8_t *off = malloc (size), *on = malloc (size), *shot = malloc (size);
    assert_non_null (off);
    assert_non_null (on);
    assert_non_null (shot);

    /* F11: the window covers the screen; with the HUD off the picture
     * is still (no ticker, no HUD), so two equal shots are the frame. */
    s_key (a, "h");
    s_key (a, "F11");
    s_wait_geometry (a, sw, sh, "F11");
    deadline = tu_now_ms () + S_STEP_MS;
    int have = 0;
    for (;;) {
        if (s_screenshot_wh (a, sw, sh, shot) == 0) {
            if (have && memcmp (shot, off, size) == 0)
                break;
            memcpy (off, shot, size);
            have = 1;
        }
        if (tu_now_ms () >= deadline)
            S_FAIL ("the full-screen frame does not settle");
        s_nap ();
    }

    /* The HUD on: what changed in the top half is its box; the glyphs of
     * one line are at least 1/40 of the window's height; the box is in
     * the top-left corner and compact; the middle third is untouched (the
     * ticker too keeps off it). */
    s_key (a, "h");
    deadline = tu_now_ms () + S_STEP_MS;
    while (s_screenshot_wh (a, sw, sh, on) != 0 || s_differ (on, off, sw, 0, 0, sw, sh / 2) == 0) {
        if (tu_now_ms () >= deadline)
            S_FAIL ("h shows no HUD");
        s_nap ();
    }
    int bx0 = sw, by0 = sh, bx1 = -1, by1 = -1, run = 0, tallest = 0;
    for (int y = 0; y < sh / 2; y++) {
        int text = 0;
        for (int x = 0; x < sw; x++) {
            const uint8_t *p = on + 3 * ((size_t)y * sw + x), *q = off + 3 * ((size_t)y * sw + x);
            if (memcmp (p, q, 3) == 0)
                continue;
            bx0 = x < bx0 ? x : bx0, bx1 = x > bx1 ? x : bx1;
            by0 = y < by0 ? y : by0, by1 = y > by1 ? y : by1;
            text |= s_bright (p);
        }
        run = text ? run + 1 : 0;
        tallest = run > tallest ? run : tallest;
    }
    print_message ("    HUD at full screen %dx%d: box (%d,%d)-(%d,%d), text %d px high\n", sw, sh,
                   bx0, by0, bx1, by1, tallest);
    if (tallest * 40 < sh)
        S_FAIL ("the HUD's text is %d px high, under 1/40 of %d", tallest, sh);
    if (bx0 > sw / 20 || by0 > sh / 20 || bx1 >= sw * 6 / 10 || by1 >= sh / 3)
        S_FAIL ("the HUD's box (%d,%d)-(%d,%d) is not compact in the top-left corner", bx0, by0,
                bx1, by1);
    size_t centre = s_differ (on, off, sw, sw / 3, sh / 3, 2 * sw / 3, 2 * sh / 3);
    if (centre)
        S_FAIL ("the HUD or the ticker covers %zu pixels of the middle of the window", centre);
    /* What the window says of its text size agrees. */
    char line[8192];
    assert_true (s_log_find (a, "text", NULL, line, sizeof line));
    assert_int_equal ((int)tu_json_u64 (line, "output_h"), sh);
    assert_true (tu_json_u64 (line, "font_height") * 40 >= (uint64_t)sh);

    /* ? shows the key list over the middle; any key closes it (and does
     * nothing else: x is no command), so does ? again. */
    s_key (a, "h");
    s_shot_until (a, sw, sh, off, 1, shot, "h hides the HUD");
    s_key (a, "question");
    s_shot_until (a, sw, sh, off, 0, shot, "? shows no key list");
    s_key (a, "x");
    s_shot_until (a, sw, sh, off, 1, shot, "a key does not close the key list");
    s_key (a, "question");
    s_shot_until (a, sw, sh, off, 0, shot, "? again shows no key list");
    s_key (a, "question");
    s_shot_until (a, sw, sh, off, 1, shot, "? does not close the key list");
    /* Tab: the presenter view, and back. */
    s_key (a, "Tab");
    s_shot_until (a, sw, sh, off, 0, shot, "Tab shows no presenter view");
    s_key (a, "Tab");
    s_shot_until (a, sw, sh, off, 1, shot, "Tab does not hide the presenter view");

    /* f: back to the window it was. */
    s_key (a, "f");
    s_wait_geometry (a, S_W, S_H, "f out of full screen");
    s_quit (a);
    free (off);
    free (on);
    free (shot);
    tu_proc_kill (&s_wm);
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
    for (int i = 0; i < S_PEERS; i++)
        tu_proc_kill (&s_peers[i].pid);
    tu_proc_kill (&s_wm);
    if (s_dir)
        tu_dir_remove (&s_dir);
    return 0;
}

/* A hung X tool or peer must not hang the suite, nor outlive it. */
static void
s_on_alarm (int sig)
{
    (void)sig;
    for (int i = 0; i < S_PEERS; i++)
        if (s_peers[i].pid > 0)
            kill (s_peers[i].pid, SIGKILL);
    if (s_wm > 0)
        kill (s_wm, SIGKILL);
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
        cmocka_unit_test_teardown (test_hud, s_teardown),
        cmocka_unit_test (test_no_display),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
