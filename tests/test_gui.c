/* test_gui.c: the desktop peer's window, end to end, on a virtual X
 * display (the test runs itself on its own Xvfb; it fails if that cannot
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
 *   - q leaves, the peer exits 0, and its closing line lists its images;
 *   - after a zoom, the old image stays on screen, scaled to the new
 *     view, until the new job's tiles cover it;
 *   - an anti-aliased job (--samples 2) shows as its PNG, and p recolours
 *     it from the sub-pixel values into render's image in that palette.
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

#include "palette.h"
#include "params.h"
#include "png_io.h"
#include "test_util.h"
#include "tu_gui.h"

/* A left click at (x, y) in p's window (real X input). */
static void
s_click (const tg_peer_t *p, int x, int y)
{
    char xs[16], ys[16];
    snprintf (xs, sizeof xs, "%d", x);
    snprintf (ys, sizeof ys, "%d", y);
    const char *move[] = { "xdotool", "mousemove", "--window", p->wid, xs, ys, NULL };
    assert_int_equal (tu_run_capture (move, NULL, NULL, 0, 5000), 0);
    const char *click[] = { "xdotool", "click", "1", NULL };
    assert_int_equal (tu_run_capture (click, NULL, NULL, 0, 5000), 0);
}

static void
test_window (void **state)
{
    (void)state;
    if (!getenv ("DISPLAY") || !*getenv ("DISPLAY"))
        fail_msg ("no $DISPLAY on the private Xvfb");
    tg_dir = tu_dir_new ("test_gui");
    assert_non_null (tg_dir);
    tg_peer_t *a = &tg_peers[0], *b = &tg_peers[1];
    tg_start (0, 0, 0, "out");
    tg_find_window (a);
    char line[8192];
    assert_true (tg_log_find (a, "started", NULL, line, sizeof line));
    int port = (int)tu_json_u64 (line, "port");
    assert_true (port > 0);
    tg_start (1, TG_W + 20, port, "b");
    tg_find_window (b);

    /* The job completes and is written, here and there. */
    tg_wait_log_count (a, "job_done", 1);
    tg_wait_log_count (b, "job_done", 1);
    char comment[4096];
    uint8_t *png = tg_read_png (a->out, comment, sizeof comment);
    uint8_t *png_b = tg_read_png (b->out, NULL, 0);
    assert_memory_equal (png_b, png, (size_t)TG_W * TG_H * 3);
    size_t png_n, png_b_n;
    uint8_t *png_bytes = tg_read_bytes (a->out, &png_n);
    uint8_t *png_b_bytes = tg_read_bytes (b->out, &png_b_n);

    /* The window shows the image, exactly, once the HUD is hidden. */
    tg_key (a, "h");
    tg_key (b, "h");
    tg_window_shows (a, png, "the PNG");
    tg_window_shows (b, png, "the PNG");
    /* ... and that is an image, not a flat fill. */
    size_t changes = 0;
    for (size_t i = 1; i < (size_t)TG_W * TG_H; i++)
        changes += memcmp (png + 3 * i, png + 3 * (i - 1), 3) != 0;
    assert_true (changes > (size_t)TG_W * TG_H / 20);

    /* s saves what is shown, with the job's parameters, under a name of
     * its own: never over the job's image. */
    tg_key (a, "s");
    tg_wait_log_count (a, "saved", 1);
    char saved[512], saved_expect[512];
    assert_true (tg_log_find (a, "saved", NULL, line, sizeof line));
    assert_int_equal (tg_json_str (line, "file", saved, sizeof saved), 0);
    tu_path_join (saved_expect, sizeof saved_expect, tg_dir, "out-saved-1.png");
    assert_string_equal (saved, saved_expect);
    char saved_comment[4096];
    uint8_t *png_saved = tg_read_png (saved, saved_comment, sizeof saved_comment);
    assert_memory_equal (png_saved, png, (size_t)TG_W * TG_H * 3);
    assert_string_equal (saved_comment, comment);
    free (png_saved);

    /* p recolours this window only: a's shows another palette, b's still
     * the job's. */
    tg_key (a, "p");
    size_t differ = 0;
    if (!tg_window_vs (a, png, 0, &differ))
        TG_FAIL ("p did not recolour the window: %zu pixels differ", differ);
    tg_window_shows (b, png, "the job's palette after p in the other window");

    /* A left click in a zooms in: a new job, rendered to the bit, in the
     * job's palette (not the one a shows), written under a new name on
     * every peer; the first images stay byte for byte. */
    s_click (a, 100, 60);
    tg_wait_log_count (a, "zoom", 1);
    tg_wait_log_count (a, "job_done", 2);
    tg_wait_log_count (b, "job_done", 2);
    assert_true (tg_log_find (a, "job_started", NULL, line, sizeof line));
    char spec[4096], params_path[512], ref_path[512];
    assert_int_equal (tg_json_str (line, "spec", spec, sizeof spec), 0);
    assert_string_not_equal (spec, comment);
    /* Twice as deep, about the point clicked (to within a pixel). */
    rnd_view_t before, after;
    char err[256];
    assert_int_equal (rnd_params_parse (comment, strlen (comment), "png", &before, err, sizeof err),
                      0);
    assert_int_equal (rnd_params_parse (spec, strlen (spec), "zoom", &after, err, sizeof err), 0);
    assert_string_equal (after.palette, before.palette);
    assert_true (fabs (after.width - before.width / 2) <= before.width * 1e-12);
    double pitch = before.width / TG_W;
    double p_re = before.center_re + (100 + 0.5 - TG_W / 2.0) * pitch;
    double p_im = before.center_im - (60 + 0.5 - TG_H / 2.0) * pitch;
    if (fabs (after.center_re - (p_re + (before.center_re - p_re) / 2)) > pitch ||
        fabs (after.center_im - (p_im + (before.center_im - p_im) / 2)) > pitch)
        TG_FAIL ("the zoom is not about the point clicked: centre %.17g,%.17g from %.17g,%.17g",
                 after.center_re, after.center_im, before.center_re, before.center_im);
    tu_path_join (params_path, sizeof params_path, tg_dir, "zoom.params");
    tu_path_join (ref_path, sizeof ref_path, tg_dir, "zoom-ref.png");
    tu_file_write (params_path, spec, strlen (spec));
    const char *render[] = { P2PF_BINARY, "render", "--params", params_path, "-o", ref_path, NULL };
    assert_int_equal (tu_run_capture (render, NULL, NULL, 0, TG_STEP_MS), 0);
    uint8_t *ref = tg_read_png (ref_path, NULL, 0);
    char second[512], second_a[512] = "";
    for (int i = 0; i < 2; i++) {
        char expect[512], name[64];
        snprintf (name, sizeof name, "%s-2.png", i ? "b" : "out");
        tu_path_join (expect, sizeof expect, tg_dir, name);
        assert_true (tg_log_find (&tg_peers[i], "job_done", NULL, line, sizeof line));
        assert_int_equal (tg_json_str (line, "file", second, sizeof second), 0);
        assert_string_equal (second, expect);
        if (i == 0)
            snprintf (second_a, sizeof second_a, "%s", second);
        uint8_t *zoomed = tg_read_png (second, NULL, 0);
        assert_memory_equal (zoomed, ref, (size_t)TG_W * TG_H * 3);
        assert_memory_not_equal (zoomed, png, (size_t)TG_W * TG_H * 3);
        free (zoomed);
    }
    size_t n;
    uint8_t *again = tg_read_bytes (a->out, &n);
    assert_int_equal (n, png_n);
    assert_memory_equal (again, png_bytes, n);
    free (again);
    again = tg_read_bytes (b->out, &n);
    assert_int_equal (n, png_b_n);
    assert_memory_equal (again, png_b_bytes, n);
    free (again);
    /* b's window shows the new job in its palette: a's p reached nobody. */
    tg_window_shows (b, ref, "the zoom's PNG");

    /* q leaves gracefully: exit status 0; the closing line lists the
     * images written. */
    tg_quit (b);
    tg_quit (a);
    char errs[16384];
    tu_slurp (a->err, errs, sizeof errs);
    char listed[1200];
    snprintf (listed, sizeof listed, "images: %s, %s", a->out, second_a);
    if (!strstr (errs, listed))
        TG_FAIL ("the closing line does not list the images (%s)", listed);
    free (ref);
    free (png);
    free (png_b);
    free (png_bytes);
    free (png_b_bytes);
    tu_dir_remove (&tg_dir);
}

/* After a zoom the old image stays on screen, scaled to the new view,
 * until the new job's tiles replace it. One peer, slowed (each tile waits
 * 500 times its render time: ~2 s a job here, more under the sanitizers),
 * is clicked once its first image is done. While the zoom's job is under
 * way -- some of its tiles here, not all -- the window shows almost none
 * of the "missing" grey (without the old image it would be the grey of
 * every tile not here yet), and not the old picture unscaled; once the
 * job is done the window is its PNG, exactly. */
static void
test_zoom_keeps_the_old_image (void **state)
{
    (void)state;
    tg_dir = tu_dir_new ("test_gui_zoom");
    assert_non_null (tg_dir);
    tg_peer_t *a = &tg_peers[0];
    const char *slow[] = { "--throttle", "500", "--threads", "1", NULL };
    tg_start_with (0, 0, 0, "out", slow);
    tg_find_window (a);
    tg_wait_log_count (a, "job_done", 1);
    int tiles = tg_log_count (a, "slice_done");
    uint8_t *png = tg_read_png (a->out, NULL, 0);
    tg_key (a, "h");
    tg_window_shows (a, png, "the PNG");

    s_click (a, 100, 60);
    tg_wait_log_count (a, "job_started", 2);
    tg_wait_log_count (a, "slice_done", tiles + 1); /* the zoom's first tile */
    uint8_t *shot = malloc ((size_t)TG_W * TG_H * 3);
    assert_non_null (shot);
    if (tg_screenshot (a, shot) != 0)
        TG_FAIL ("no screenshot of the window");
    int done = tg_log_count (a, "slice_done") - tiles;
    if (tg_log_count (a, "job_done") != 1)
        TG_FAIL ("the zoom's job was done before the window was photographed: nothing to see");
    size_t grey = 0, same = 0, n = (size_t)TG_W * TG_H;
    for (size_t i = 0; i < n; i++) {
        grey += shot[3 * i] == 0x30 && shot[3 * i + 1] == 0x30 && shot[3 * i + 2] == 0x30;
        same += memcmp (shot + 3 * i, png + 3 * i, 3) == 0;
    }
    if (grey > n / 10 || same > n / 2)
        TG_FAIL ("%d of 16 tiles of the zoom here: %zu of %zu pixels are the missing grey, %zu "
                 "the old image unscaled",
                 done, grey, n, same);

    tg_wait_log_count (a, "job_done", 2);
    char line[8192], second[512];
    assert_true (tg_log_find (a, "job_done", "-2.png", line, sizeof line));
    assert_int_equal (tg_json_str (line, "file", second, sizeof second), 0);
    uint8_t *zoomed = tg_read_png (second, NULL, 0);
    tg_window_shows (a, zoomed, "the zoom's PNG");
    free (zoomed);
    free (shot);
    free (png);
    tu_dir_remove (&tg_dir);
}

/* An anti-aliased job (--samples 2) in the window: the window averages
 * the sub-pixels as the PNG does (it shows the PNG, exactly), and p
 * recolours it from the stored sub-pixel values -- what s then saves is
 * `p2pfractal render` of the same parameters in the next palette, byte
 * for byte in its pixels. */
static void
test_samples_recolour (void **state)
{
    (void)state;
    tg_dir = tu_dir_new ("test_gui_samples");
    assert_non_null (tg_dir);
    tg_peer_t *a = &tg_peers[0];
    tg_start_with (0, 0, 0, "aa", (const char *const[]){ "--samples", "2", NULL });
    tg_find_window (a);
    tg_wait_log_count (a, "job_done", 1);
    char comment[4096];
    uint8_t *png = tg_read_png (a->out, comment, sizeof comment);
    assert_non_null (strstr (comment, "\nsamples=2\n"));
    tg_key (a, "h");
    tg_window_shows (a, png, "the anti-aliased PNG");

    rnd_palette_list_t list;
    char err[512];
    assert_int_equal (rnd_palette_list (&list, err, sizeof err), 0);
    const char *next = rnd_palette_list_next (&list, "default");
    assert_non_null (next);
    char ref_path[512];
    tu_path_join (ref_path, sizeof ref_path, tg_dir, "ref.png");
    tu_render_reference (
        tg_dir, (const char *const[]){ "--params", a->out, "--palette", next, NULL }, ref_path);
    uint8_t *ref = tg_read_png (ref_path, NULL, 0);

    tg_key (a, "p");
    tg_window_shows (a, ref, "render's image in the next palette");
    tg_key (a, "s");
    tg_wait_log_count (a, "saved", 1);
    char line[8192], saved[512];
    assert_true (tg_log_find (a, "saved", NULL, line, sizeof line));
    assert_int_equal (tg_json_str (line, "file", saved, sizeof saved), 0);
    uint8_t *png_saved = tg_read_png (saved, NULL, 0);
    assert_memory_equal (png_saved, ref, (size_t)TG_W * TG_H * 3);
    free (png_saved);
    free (ref);
    free (png);
    tu_dir_remove (&tg_dir);
}

static void
test_no_display (void **state)
{
    (void)state;
    const char *argv[] = { P2PF_BINARY, "peer", "--port", "0", NULL };
    const char *unset[] = { "DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER", NULL };
    tu_proc_opts_t opts = { .err = TU_IO_STDOUT, .env = unset };
    char out[4096];
    int status = tu_run_capture (argv, &opts, out, sizeof out, TG_STEP_MS);
    if (status != 1 || !strstr (out, "cannot open a window") || !strstr (out, "--headless") ||
        strstr (out, "started"))
        TG_FAIL ("without a display: exit %d, output: %s", status, out);
}

int
main (int argc, char **argv)
{
    (void)argc;
    tg_under_xvfb (argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_window, tg_teardown),
        cmocka_unit_test_teardown (test_zoom_keeps_the_old_image, tg_teardown),
        cmocka_unit_test_teardown (test_samples_recolour, tg_teardown),
        cmocka_unit_test (test_no_display),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
