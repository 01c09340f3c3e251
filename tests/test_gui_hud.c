/* test_gui_hud.c: what a room sees of the desktop peer's window, on a
 * virtual X display under a window manager (evilwm: full screen is a
 * window manager's job), with the harness of test_gui.c (tu_gui.c): f/F11
 * full screen, the HUD's text size and place, the key list, the presenter
 * view; the view and join address in the title, the zoom history. */
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
#include "tu_gui.h"

/* --- the HUD, full screen, the key list, the presenter view --------------- */

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
s_wait_geometry (const tg_peer_t *p, int w, int h, const char *what)
{
    uint64_t deadline = tu_now_ms () + TG_STEP_MS;
    int gw = 0, gh = 0;
    for (;;) {
        s_geometry (p->wid, &gw, &gh);
        if (gw == w && gh == h)
            return;
        if (tu_now_ms () >= deadline)
            TG_FAIL ("%s: the window is %dx%d, not %dx%d", what, gw, gh, w, h);
        tg_nap ();
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
s_shot_until (const tg_peer_t *p, int w, int h, const uint8_t *ref, int want, uint8_t *shot,
              const char *what)
{
    uint64_t deadline = tu_now_ms () + TG_STEP_MS;
    size_t n = 0;
    for (;;) {
        if (tg_screenshot_wh (p, w, h, shot) == 0) {
            n = want ? s_differ (shot, ref, w, 0, 0, w, h)
                     : s_differ (shot, ref, w, w / 3, h / 3, 2 * w / 3, 2 * h / 3);
            if (want ? n == 0 : n > (size_t)w * h / 100)
                return;
        }
        if (tu_now_ms () >= deadline)
            TG_FAIL ("%s: %zu pixels differ", what, n);
        tg_nap ();
    }
}

/* A text pixel: near white (the HUD's text is #f0f0f0 and the image under
 * its box is darkened to at most ~90). */
static int
s_bright (const uint8_t *px)
{
    return px[0] >= 0xc8 && px[1] >= 0xc8 && px[2] >= 0xc8;
}

/* Poll p's window title until it contains want. */
static void
s_title_has (const tg_peer_t *p, const char *want)
{
    uint64_t deadline = tu_now_ms () + TG_STEP_MS;
    char out[512] = "";
    for (;;) {
        const char *argv[] = { "xdotool", "getwindowname", p->wid, NULL };
        if (tu_run_capture (argv, NULL, out, sizeof out, 5000) == 0 && strstr (out, want))
            return;
        if (tu_now_ms () >= deadline)
            TG_FAIL ("the title '%s' does not say '%s'", out, want);
        tg_nap ();
    }
}

/* The view of p's newest job (its job_started line). */
static void
s_job_view (const tg_peer_t *p, rnd_view_t *v)
{
    char line[8192], spec[4096], err[256];
    assert_true (tg_log_find (p, "job_started", NULL, line, sizeof line));
    assert_int_equal (tg_json_str (line, "spec", spec, sizeof spec), 0);
    if (rnd_params_parse (spec, strlen (spec), "job", v, err, sizeof err) != 0)
        TG_FAIL ("%s", err);
}

/* v is first zoomed by factor about its centre (to a millionth of a
 * pixel). */
static void
s_assert_zoomed (const rnd_view_t *v, const rnd_view_t *first, double factor, const char *what)
{
    double pitch = v->width / v->width_px;
    if (fabs (v->width - first->width / factor) > first->width * 1e-12 ||
        fabs (v->center_re - first->center_re) > pitch * 1e-6 ||
        fabs (v->center_im - first->center_im) > pitch * 1e-6)
        TG_FAIL ("%s: centre %.17g,%.17g width %.17g, not %.17g,%.17g width %.17g", what,
                 v->center_re, v->center_im, v->width, first->center_re, first->center_im,
                 first->width / factor);
}

/* Peer p's job_done #n wrote an image with png's pixels. */
static void
s_done_shows (const tg_peer_t *p, const uint8_t *png)
{
    char line[8192], file[512];
    assert_true (tg_log_find (p, "job_done", NULL, line, sizeof line));
    assert_int_equal (tg_json_str (line, "file", file, sizeof file), 0);
    uint8_t *again = tg_read_png (file, NULL, 0);
    assert_memory_equal (again, png, (size_t)TG_W * TG_H * 3);
    free (again);
}

/* Where am I, how do I join: the title says this peer's join address and
 * the view, and follows each job; + and - zoom 2x about the centre;
 * Backspace goes back a view and Home to the first -- each a new job, the
 * window showing the old image at once from its cache (logged), the
 * job's PNG the same pixels again. */
static void
s_history (tg_peer_t *a)
{
    char line[8192], want[256];
    assert_true (tg_log_find (a, "started", NULL, line, sizeof line));
    snprintf (want, sizeof want, "join 127.0.0.1:%d", (int)tu_json_u64 (line, "port"));
    s_title_has (a, want);
    rnd_view_t first, v;
    s_job_view (a, &first);
    snprintf (want, sizeof want, " w %.3g \xc2\xb7 %d it", first.width, first.max_iter);
    s_title_has (a, want);
    uint8_t *png = tg_read_png (a->out, NULL, 0);
    tg_key (a, "h"); /* the window is the image */
    tg_window_shows (a, png, "the first image");

    tg_key (a, "plus");
    tg_wait_log_count (a, "job_done", 2);
    s_job_view (a, &v);
    s_assert_zoomed (&v, &first, 2.0, "+");
    snprintf (want, sizeof want, " w %.3g \xc2\xb7 %d it", v.width, v.max_iter);
    s_title_has (a, want);
    size_t differ = 0;
    if (!tg_window_vs (a, png, 0, &differ))
        TG_FAIL ("+ did not change the picture: %zu pixels differ", differ);

    tg_key (a, "BackSpace");
    tg_wait_log_count (a, "back", 1);
    if (!tg_log_find (a, "back", "\"cached\":true", line, sizeof line))
        TG_FAIL ("Backspace did not show the first image from the cache");
    tg_window_shows (a, png, "the first image after Backspace");
    tg_wait_log_count (a, "job_done", 3);
    s_job_view (a, &v);
    s_assert_zoomed (&v, &first, 1.0, "Backspace");
    s_done_shows (a, png);

    tg_key (a, "minus");
    tg_wait_log_count (a, "job_done", 4);
    s_job_view (a, &v);
    s_assert_zoomed (&v, &first, 0.5, "-");

    tg_key (a, "Home");
    tg_wait_log_count (a, "home", 1);
    if (!tg_log_find (a, "home", "\"cached\":true", line, sizeof line))
        TG_FAIL ("Home did not show the first image from the cache");
    tg_window_shows (a, png, "the first image after Home");
    tg_wait_log_count (a, "job_done", 5);
    s_job_view (a, &v);
    s_assert_zoomed (&v, &first, 1.0, "Home");
    s_done_shows (a, png);
    tg_key (a, "h");
    free (png);
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
    tg_dir = tu_dir_new ("test_gui_hud");
    assert_non_null (tg_dir);
    /* evilwm's default core font is not on a bare Xvfb; "fixed" is. */
    const char *wm[] = { "evilwm", "-fn", "fixed", "-bw", "0", NULL };
    char wm_err[600];
    tu_path_join (wm_err, sizeof wm_err, tg_dir, "evilwm.err");
    tu_proc_opts_t wm_opts = { .err = TU_IO_FILE, .err_path = wm_err };
    tg_wm = tu_proc_start (wm, &wm_opts, NULL);
    assert_true (tg_wm > 0);
    uint64_t deadline = tu_now_ms () + TG_STEP_MS;
    for (;;) {
        const char *argv[] = { "xprop", "-root", "_NET_SUPPORTING_WM_CHECK", NULL };
        char out[512] = "";
        tu_run_capture (argv, NULL, out, sizeof out, 5000);
        if (strstr (out, "window id"))
            break;
        int status = tu_proc_wait (tg_wm, tu_now_ms ());
        if (status >= 0)
            tg_wm = 0;
        if (tu_now_ms () >= deadline || status >= 0) {
            char said[1024] = "";
            tu_slurp (wm_err, said, sizeof said);
            fail_msg ("evilwm did not start on DISPLAY %s (status %d; scripts/install-deps.sh "
                      "installs it): %s",
                      getenv ("DISPLAY"), status, said);
        }
        tg_nap ();
    }
    tg_peer_t *a = &tg_peers[0];
    tg_start (0, 0, 0, "hud");
    tg_find_window (a);
    tg_wait_log_count (a, "job_done", 1);
    s_history (a);
    int sw, sh;
    s_geometry (NULL, &sw, &sh);
    size_t size = (size_t)sw * sh * 3;
    uint8_t *off = malloc (size), *on = malloc (size), *shot = malloc (size);
    assert_non_null (off);
    assert_non_null (on);
    assert_non_null (shot);

    /* F11: the window covers the screen; with the HUD off the picture
     * is still (no ticker, no HUD), so two equal shots are the frame. */
    tg_key (a, "h");
    tg_key (a, "F11");
    s_wait_geometry (a, sw, sh, "F11");
    deadline = tu_now_ms () + TG_STEP_MS;
    int have = 0;
    for (;;) {
        if (tg_screenshot_wh (a, sw, sh, shot) == 0) {
            if (have && memcmp (shot, off, size) == 0)
                break;
            memcpy (off, shot, size);
            have = 1;
        }
        if (tu_now_ms () >= deadline)
            TG_FAIL ("the full-screen frame does not settle");
        tg_nap ();
    }

    /* The HUD on: what changed in the top half is its box; the glyphs of
     * one line are at least 1/40 of the window's height; the box is in
     * the top-left corner and compact; the middle third is untouched (the
     * ticker too keeps off it). */
    tg_key (a, "h");
    deadline = tu_now_ms () + TG_STEP_MS;
    while (tg_screenshot_wh (a, sw, sh, on) != 0 || s_differ (on, off, sw, 0, 0, sw, sh / 2) == 0) {
        if (tu_now_ms () >= deadline)
            TG_FAIL ("h shows no HUD");
        tg_nap ();
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
        TG_FAIL ("the HUD's text is %d px high, under 1/40 of %d", tallest, sh);
    if (bx0 > sw / 20 || by0 > sh / 20 || bx1 >= sw * 6 / 10 || by1 >= sh / 3)
        TG_FAIL ("the HUD's box (%d,%d)-(%d,%d) is not compact in the top-left corner", bx0, by0,
                 bx1, by1);
    size_t centre = s_differ (on, off, sw, sw / 3, sh / 3, 2 * sw / 3, 2 * sh / 3);
    if (centre)
        TG_FAIL ("the HUD or the ticker covers %zu pixels of the middle of the window", centre);
    /* What the window says of its text size agrees. */
    char line[8192];
    assert_true (tg_log_find (a, "text", NULL, line, sizeof line));
    assert_int_equal ((int)tu_json_u64 (line, "output_h"), sh);
    assert_true (tu_json_u64 (line, "font_height") * 40 >= (uint64_t)sh);

    /* ? shows the key list over the middle; any key closes it (and does
     * nothing else: x is no command), so does ? again. */
    tg_key (a, "h");
    s_shot_until (a, sw, sh, off, 1, shot, "h hides the HUD");
    tg_key (a, "question");
    s_shot_until (a, sw, sh, off, 0, shot, "? shows no key list");
    tg_key (a, "x");
    s_shot_until (a, sw, sh, off, 1, shot, "a key does not close the key list");
    tg_key (a, "question");
    s_shot_until (a, sw, sh, off, 0, shot, "? again shows no key list");
    tg_key (a, "question");
    s_shot_until (a, sw, sh, off, 1, shot, "? does not close the key list");
    /* Tab: the presenter view, and back. */
    tg_key (a, "Tab");
    s_shot_until (a, sw, sh, off, 0, shot, "Tab shows no presenter view");
    tg_key (a, "Tab");
    s_shot_until (a, sw, sh, off, 1, shot, "Tab does not hide the presenter view");

    /* f: back to the window it was. */
    tg_key (a, "f");
    s_wait_geometry (a, TG_W, TG_H, "f out of full screen");
    tg_quit (a);
    free (off);
    free (on);
    free (shot);
    tu_proc_kill (&tg_wm);
    tu_dir_remove (&tg_dir);
}

/* Without a display the peer says so in one line and exits 1 before it
 * joins anything (a window nobody can see would be worse). */
int
main (int argc, char **argv)
{
    (void)argc;
    tg_under_xvfb (argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_hud, tg_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
