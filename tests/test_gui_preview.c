/* test_gui_preview.c: the progressive preview, end to end, on a virtual
 * X display (as test_gui.c: the test runs itself on its own Xvfb): with
 * 10% of a job's tiles here, three real windows show the whole picture
 * (coarse); once the job is done each window is its PNG, exactly, and
 * the PNG is `p2pfractal render`'s. Every wait polls a condition with a
 * deadline; the peers are killed and reaped on every way out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"
#include "tu_gui.h"

/* The progressive preview: the whole picture shows, coarse, long before
 * the tiles cover it. Three windowed peers, slowed (each tile waits 4000
 * times its render time, ~0.2 s here; the preview's samples are not
 * slowed, as a check's are not), the HUD hidden from the start, on a job
 * of 64 tiles. When a peer's log says 10% of the tiles are done here
 * (7), its window is photographed: at most a fifth of the tiles are done
 * by then (the shot is of the 10% moment, not of a later one), and at most
 * 10% of its pixels are the "missing" grey -- without the preview some 90%
 * would be. Once the job is done, each window is its PNG, exactly (the
 * preview is gone), and the PNG is `p2pfractal render`'s. */
static void
test_preview (void **state)
{
    (void)state;
    tg_dir = tu_dir_new ("test_gui_preview");
    assert_non_null (tg_dir);
    const char *slow[] = { "--slices", "64", "--throttle", "4000", "--threads", "1", NULL };
    const int tiles = 64, tenth = (tiles + 9) / 10, fifth = tiles / 5;
    static const char *const names[] = { "a", "b", "c" };
    int port = 0;
    uint64_t t0 = tu_now_ms ();
    for (int i = 0; i < 3; i++) {
        tg_start_with (i, i * (TG_W + 20), port, names[i], slow);
        tg_find_window (&tg_peers[i]);
        tg_key (&tg_peers[i], "h");
        if (i == 0) {
            char line[8192];
            assert_true (tg_log_find (&tg_peers[0], "started", NULL, line, sizeof line));
            port = (int)tu_json_u64 (line, "port");
            assert_true (port > 0);
        }
    }
    uint8_t *shot = malloc ((size_t)TG_W * TG_H * 3);
    assert_non_null (shot);
    for (int i = 0; i < 3; i++)
        tg_wait_log_count (&tg_peers[i], "slice_done", tenth);
    for (int i = 0; i < 3; i++) {
        tg_peer_t *p = &tg_peers[i];
        if (tg_screenshot (p, shot) != 0)
            TG_FAIL ("no screenshot of peer %d's window", i);
        int done = tg_log_count (p, "slice_done");
        if (done > fifth)
            TG_FAIL ("peer %d had %d of %d tiles by the time its window was photographed: not the "
                     "10%% moment",
                     i, done, tiles);
        size_t grey = 0, n = (size_t)TG_W * TG_H;
        for (size_t k = 0; k < n; k++)
            grey += shot[3 * k] == 0x30 && shot[3 * k + 1] == 0x30 && shot[3 * k + 2] == 0x30;
        if (grey > n / 10)
            TG_FAIL ("peer %d, %d of %d tiles here: %zu of %zu pixels are the missing grey", i,
                     done, tiles, grey, n);
    }
    free (shot);
    /* The slowed job needs about nine times what its first tenth took:
     * under ASan on a loaded machine that was over a minute (one fixed
     * 60 s wait failed at 61 of 64 tiles). Twelve times, at least 60 s. */
    uint64_t tenth_ms = tu_now_ms () - t0;
    int rest_ms = tenth_ms * 12 > TG_STEP_MS ? (int)(tenth_ms * 12) : TG_STEP_MS;

    char comment[4096], params_path[512], ref_path[512];
    uint8_t *png = NULL;
    for (int i = 0; i < 3; i++) {
        tg_wait_log_count_within (&tg_peers[i], "job_done", 1, rest_ms);
        /* The log says when the whole picture showed, once. */
        assert_int_equal (tg_log_count (&tg_peers[i], "preview"), 1);
        uint8_t *mine = tg_read_png (tg_peers[i].out, i ? NULL : comment, sizeof comment);
        tg_window_shows (&tg_peers[i], mine, "its PNG");
        if (png) {
            assert_memory_equal (mine, png, (size_t)TG_W * TG_H * 3);
            free (mine);
        } else {
            png = mine;
        }
    }
    tu_path_join (params_path, sizeof params_path, tg_dir, "job.params");
    tu_path_join (ref_path, sizeof ref_path, tg_dir, "ref.png");
    tu_file_write (params_path, comment, strlen (comment));
    const char *render[] = { P2PF_BINARY, "render", "--params", params_path, "-o", ref_path, NULL };
    assert_int_equal (tu_run_capture (render, NULL, NULL, 0, TG_STEP_MS), 0);
    uint8_t *ref = tg_read_png (ref_path, NULL, 0);
    assert_memory_equal (png, ref, (size_t)TG_W * TG_H * 3);
    free (ref);
    free (png);
    tu_dir_remove (&tg_dir);
}

int
main (int argc, char **argv)
{
    (void)argc;
    tg_under_xvfb (argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown (test_preview, tg_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
