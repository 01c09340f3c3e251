/* test_peer_view.c: the model the loop thread shares with the window
 * (app/window/peer_view.c): what a sync copies, when the window is woken, the
 * legend, the ticker, and the commands going back -- also with a writer
 * and a reader on two threads at once. */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gui.h"
#include "peer_view.h"
#include "preview.h"

static int s_wakes;
static int s_wake_fails; /* the next this many wake-ups are not delivered */

static int
s_wake (void *ctx)
{
    (void)ctx;
    s_wakes++;
    if (s_wake_fails > 0) {
        s_wake_fails--;
        return -1;
    }
    return 0;
}

static void
s_job (el_job_t *job, int w, int h, int slices)
{
    rnd_view_t view;
    rnd_view_default (&view);
    view.width_px = w;
    view.height_px = h;
    char err[256];
    assert_int_equal (el_job_init (job, &view, slices, 1, err, sizeof err), 0);
}

static ovl_id_t
s_id (uint8_t b)
{
    ovl_id_t id;
    memset (&id, b, sizeof id);
    return id;
}

/* An image whose every value says where it is. */
static float *
s_image (const el_job_t *job)
{
    size_t n = (size_t)job->view.width_px * (size_t)job->view.height_px;
    float *px = malloc (n * sizeof *px);
    assert_non_null (px);
    for (size_t i = 0; i < n; i++)
        px[i] = (float)i;
    return px;
}

static int
s_readable (int fd)
{
    struct pollfd p = { fd, POLLIN, 0 };
    return poll (&p, 1, 0) == 1;
}

static void
test_sync_copies_what_changed (void **state)
{
    (void)state;
    app_peer_view_t *v = app_peer_view_new (s_id (1), "avx2", 2);
    assert_non_null (v);
    app_peer_view_set_wake (v, s_wake, NULL);
    s_wakes = 0;
    app_view_frame_t f;
    memset (&f, 0, sizeof f);

    /* Nothing yet: a sync gives no job. */
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    assert_int_equal (f.info.has_job, 0);

    el_job_t job;
    s_job (&job, 40, 30, 6);
    float *img = s_image (&job);
    assert_int_equal (app_peer_view_job (v, &job), 0);
    assert_int_equal (s_wakes, 1);
    /* One wake-up until the window syncs, however much changes. */
    app_peer_view_slice_state (v, job.id, 2, APP_SLICE_RENDERING);
    app_peer_view_slice_done (v, job.id, 4, s_id (9), img);
    assert_int_equal (s_wakes, 1);

    assert_int_equal (app_peer_view_sync (v, &f), 0);
    assert_int_equal (f.job_changed, 1);
    assert_int_equal (f.info.has_job, 1);
    assert_int_equal (f.info.job_seq, 1);
    assert_true (ovl_id_eq (f.info.job, job.id));
    assert_int_equal (f.info.slices, 6);
    assert_string_equal (f.info.kernel, "avx2");
    assert_string_equal (f.info.params, job.params);
    for (uint32_t i = 0; i < 6; i++)
        assert_int_equal (f.dirty[i], 1);
    assert_int_equal (f.state[2], APP_SLICE_RENDERING);
    assert_int_equal (f.state[4], APP_SLICE_DONE);
    assert_int_equal (f.state[0], APP_SLICE_MISSING);
    assert_true (ovl_id_eq (f.by[4], s_id (9)));
    rnd_rect_t r4 = el_job_slice_rect (&job, 4);
    for (int y = r4.y0; y < r4.y1; y++)
        for (int x = r4.x0; x < r4.x1; x++)
            assert_true (f.pixels[y * 40 + x] == img[y * 40 + x]);

    /* Next sync: only the slice that changed is dirty, and it wakes again. */
    app_peer_view_slice_done (v, job.id, 2, s_id (1), img);
    assert_int_equal (s_wakes, 2);
    /* A slice done stays done; another job's slices are ignored. */
    app_peer_view_slice_state (v, job.id, 4, APP_SLICE_MISSING);
    app_peer_view_slice_done (v, s_id (7), 1, s_id (9), img);
    app_peer_view_slice_done (v, job.id, 99, s_id (9), img);
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    assert_int_equal (f.job_changed, 0);
    for (uint32_t i = 0; i < 6; i++)
        assert_int_equal (f.dirty[i], i == 2);
    assert_int_equal (f.state[4], APP_SLICE_DONE);
    assert_int_equal (f.state[1], APP_SLICE_MISSING);

    /* Nothing changed: nothing dirty. */
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    for (uint32_t i = 0; i < 6; i++)
        assert_int_equal (f.dirty[i], 0);

    /* A new job resets every slice. */
    el_job_t job2;
    s_job (&job2, 50, 20, 4);
    assert_int_equal (app_peer_view_job (v, &job2), 0);
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    assert_int_equal (f.job_changed, 1);
    assert_int_equal (f.info.job_seq, 2);
    assert_int_equal (f.info.ncontrib, 0);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal (f.state[i], APP_SLICE_MISSING);

    app_view_frame_free (&f);
    free (img);
    app_peer_view_destroy (&v);
    assert_null (v);
}

/* Preview samples reach the window's frame, whole, with every slice not
 * here yet dirty (drawn again from them) and the slices done untouched;
 * another job's are ignored. */
static void
test_preview (void **state)
{
    (void)state;
    app_peer_view_t *v = app_peer_view_new (s_id (1), "avx2", 2);
    assert_non_null (v);
    app_view_frame_t f;
    memset (&f, 0, sizeof f);
    el_job_t job;
    s_job (&job, 40, 30, 6);
    float *img = s_image (&job);
    assert_int_equal (app_peer_view_job (v, &job), 0);
    app_peer_view_slice_done (v, job.id, 3, s_id (9), img);
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    assert_int_equal (f.has_preview, 0);

    /* 40x30: 5 x 4 blocks, 2 x 1 of them on the 32-px grid. */
    float values[20];
    for (int i = 0; i < 20; i++)
        values[i] = 100.0f + (float)i;
    assert_int_equal (app_peer_view_preview (v, s_id (7), 0, values, 20), 0); /* another job */
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    assert_int_equal (f.has_preview, 0);
    assert_int_equal (app_peer_view_preview (v, job.id, 0, values, 1), 0);
    assert_int_equal (app_peer_view_preview (v, job.id, 1, values + 1, 1), 1); /* whole now */
    assert_int_equal (app_peer_view_preview (v, job.id, 1, values + 1, 1), 0); /* once */
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    assert_int_equal (f.has_preview, 1);
    for (uint32_t i = 0; i < 6; i++)
        assert_int_equal (f.dirty[i], i != 3);
    for (int k = 0; k < 40 * 30; k++)
        assert_true (f.preview[k] == (k % 40 < 32 ? 100.0f : 101.0f));
    rnd_rect_t r3 = el_job_slice_rect (&job, 3);
    assert_true (f.pixels[r3.y0 * 40 + r3.x0] == img[r3.y0 * 40 + r3.x0]);
    /* Out of range: nothing changes. */
    assert_int_equal (app_peer_view_preview (v, job.id, 19, values, 2), 0);
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    for (uint32_t i = 0; i < 6; i++)
        assert_int_equal (f.dirty[i], 0);
    /* A finer sample (an 8x8 block off slice 3, which is done): only the
     * slices under it are drawn again. */
    app_preview_t *pv = app_preview_new (40, 30);
    assert_non_null (pv);
    rnd_rect_t block = { 0, 0, 0, 0 };
    size_t s = 19;
    rnd_xy_t last = { 0, 0 };
    for (; s >= 6; s--) {
        last = app_preview_px (pv)[s];
        assert_int_equal (app_preview_sides (pv)[s], 8);
        block = (rnd_rect_t){ last.x / 8 * 8, last.y / 8 * 8, last.x / 8 * 8 + 8,
                              last.y / 8 * 8 + 8 < 30 ? last.y / 8 * 8 + 8 : 30 };
        if (!(r3.x0 < block.x1 && block.x0 < r3.x1 && r3.y0 < block.y1 && block.y0 < r3.y1))
            break;
    }
    assert_true (s >= 6);
    app_preview_destroy (&pv);
    app_peer_view_preview (v, job.id, s, values + s, 1);
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    int ndirty = 0;
    for (uint32_t i = 0; i < 6; i++) {
        rnd_rect_t r = el_job_slice_rect (&job, i);
        int under = r.x0 < block.x1 && block.x0 < r.x1 && r.y0 < block.y1 && block.y0 < r.y1;
        assert_int_equal (f.dirty[i], under && i != 3);
        ndirty += f.dirty[i];
    }
    assert_true (ndirty >= 1 && ndirty < 5);
    assert_true (f.preview[last.y * 40 + last.x] == values[s]);

    app_view_frame_free (&f);
    free (img);
    app_peer_view_destroy (&v);
}

/* A wake-up that could not be delivered is tried again at the next
 * change; else the window would wait for ever. */
static void
test_lost_wake_is_retried (void **state)
{
    (void)state;
    app_peer_view_t *v = app_peer_view_new (s_id (1), "scalar", 1);
    assert_non_null (v);
    app_peer_view_set_wake (v, s_wake, NULL);
    el_job_t job;
    s_job (&job, 20, 12, 6);
    s_wakes = 0;
    s_wake_fails = 1;
    assert_int_equal (app_peer_view_job (v, &job), 0);
    assert_int_equal (s_wakes, 1);
    app_peer_view_slice_state (v, job.id, 1, APP_SLICE_RENDERING);
    assert_int_equal (s_wakes, 2);
    /* Delivered: no more until the window syncs. */
    app_peer_view_slice_state (v, job.id, 3, APP_SLICE_RENDERING);
    assert_int_equal (s_wakes, 2);
    app_view_frame_t f;
    memset (&f, 0, sizeof f);
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    assert_int_equal (f.state[1], APP_SLICE_RENDERING);
    assert_int_equal (f.state[3], APP_SLICE_RENDERING);
    app_peer_view_slice_state (v, job.id, 5, APP_SLICE_RENDERING);
    assert_int_equal (s_wakes, 3);
    app_view_frame_free (&f);
    app_peer_view_destroy (&v);
}

static void
test_legend_and_ticker (void **state)
{
    (void)state;
    app_peer_view_t *v = app_peer_view_new (s_id (1), "scalar", 1);
    assert_non_null (v);
    el_job_t job;
    s_job (&job, 20, 40, 40);
    float *img = s_image (&job);
    assert_int_equal (app_peer_view_job (v, &job), 0);
    /* Peer 3 computes 1 slice, peer 5 three, peer 4 two. */
    uint32_t s = 0;
    app_peer_view_slice_done (v, job.id, s++, s_id (3), img);
    for (int i = 0; i < 3; i++)
        app_peer_view_slice_done (v, job.id, s++, s_id (5), img);
    for (int i = 0; i < 2; i++)
        app_peer_view_slice_done (v, job.id, s++, s_id (4), img);
    /* More peers than the legend holds, with one slice each... */
    for (int i = 0; i < APP_VIEW_LEGEND_MAX + 3; i++)
        app_peer_view_slice_done (v, job.id, s++, s_id ((uint8_t)(100 + i)), img);
    /* ...and a latecomer, beyond the legend's room, that overtakes all. */
    for (int i = 0; i < 4; i++)
        app_peer_view_slice_done (v, job.id, s++, s_id (200), img);
    app_view_frame_t f;
    memset (&f, 0, sizeof f);
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    assert_int_equal (f.info.ncontrib, APP_VIEW_LEGEND_MAX);
    assert_int_equal (f.info.ncontributors, 3 + APP_VIEW_LEGEND_MAX + 3 + 1);
    assert_true (ovl_id_eq (f.info.contrib[0].id, s_id (200)));
    assert_int_equal (f.info.contrib[0].count, 4);
    assert_true (ovl_id_eq (f.info.contrib[1].id, s_id (5)));
    assert_int_equal (f.info.contrib[1].count, 3);
    assert_true (ovl_id_eq (f.info.contrib[2].id, s_id (4)));
    assert_int_equal (f.info.contrib[2].count, 2);
    assert_true (ovl_id_eq (f.info.contrib[3].id, s_id (3)));
    for (size_t i = 1; i < f.info.ncontrib; i++)
        assert_true (f.info.contrib[i - 1].count >= f.info.contrib[i].count);

    for (int i = 0; i < APP_VIEW_TICKER_LINES + 2; i++)
        app_peer_view_tick (v, 1000 + (uint64_t)i, "event %d", i);
    app_peer_view_status (v, &(el_status_t){ .has_job = 1, .done = 7, .total = 40 }, 5, 2.5);
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    assert_int_equal (f.info.nticker, APP_VIEW_TICKER_LINES);
    assert_string_equal (f.info.ticker[0].text, "event 2");
    assert_int_equal (f.info.ticker[0].t_ms, 1002);
    char last[32];
    snprintf (last, sizeof last, "event %d", APP_VIEW_TICKER_LINES + 1);
    assert_string_equal (f.info.ticker[APP_VIEW_TICKER_LINES - 1].text, last);
    assert_int_equal (f.info.status.done, 7);
    assert_int_equal (f.info.peers_known, 5);
    assert_true (f.info.rate == 2.5);
    assert_int_equal (f.info.closed, 0);
    app_peer_view_close (v);
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    assert_int_equal (f.info.closed, 1);
    app_view_frame_free (&f);
    free (img);
    app_peer_view_destroy (&v);
}

/* Colours are the set's (app_gui_peer_colours of every contributor), the
 * legend names each peer's host once it is known -- before or after its
 * first slice. */
static void
test_colours_and_hosts (void **state)
{
    (void)state;
    app_peer_view_t *v = app_peer_view_new (s_id (1), "scalar", 1);
    assert_non_null (v);
    el_job_t job;
    s_job (&job, 20, 40, 40);
    float *img = s_image (&job);
    assert_int_equal (app_peer_view_job (v, &job), 0);
    app_peer_view_host (v, s_id (3), "tcp://10.0.0.3:5555");
    app_peer_view_slice_done (v, job.id, 0, s_id (3), img);
    app_peer_view_slice_done (v, job.id, 1, s_id (4), img);
    app_peer_view_slice_done (v, job.id, 2, s_id (5), img);
    app_peer_view_host (v, s_id (4), "tcp://10.0.0.4:5555");
    app_view_frame_t f;
    memset (&f, 0, sizeof f);
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    assert_int_equal (f.info.ncolours, 3);
    ovl_id_t ids[3] = { s_id (5), s_id (3), s_id (4) };
    uint32_t rgb[3];
    app_gui_peer_colours (ids, 3, rgb);
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < f.info.ncolours; i++)
            if (ovl_id_eq (f.info.colours[i].id, ids[k]))
                assert_int_equal (f.info.colours[i].rgb, rgb[k]);
    for (size_t i = 0; i < f.info.ncontrib; i++) {
        const char *want = ovl_id_eq (f.info.contrib[i].id, s_id (3))   ? "10.0.0.3:5555"
                           : ovl_id_eq (f.info.contrib[i].id, s_id (4)) ? "10.0.0.4:5555"
                                                                        : "";
        assert_string_equal (f.info.contrib[i].host, want);
    }
    app_view_frame_free (&f);
    free (img);
    app_peer_view_destroy (&v);
}

/* What the HUD and the presenter view show beyond the job: this peer's
 * join address (its own host, "tcp://" dropped; other peers' hosts are
 * not it), the elections counted, the last failure and its recovery. */
static void
test_join_elections_failure (void **state)
{
    (void)state;
    app_peer_view_t *v = app_peer_view_new (s_id (1), "scalar", 1);
    assert_non_null (v);
    app_view_frame_t f;
    memset (&f, 0, sizeof f);
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    assert_string_equal (f.info.join, "");
    assert_int_equal (f.info.elections, 0);
    assert_string_equal (f.info.failure.text, "");
    app_peer_view_host (v, s_id (2), "tcp://10.0.0.2:5555");
    app_peer_view_host (v, s_id (1), "tcp://10.0.0.1:4242");
    app_peer_view_host (v, s_id (3), "tcp://10.0.0.3:5555");
    app_peer_view_election (v);
    app_peer_view_election (v);
    app_peer_view_failure (v, 5000, 0, "peer %s lost", "aaaaaa");
    app_peer_view_failure (v, 6000, 264, "master %s fell silent", "bbbbbb");
    assert_int_equal (app_peer_view_sync (v, &f), 0);
    assert_string_equal (f.info.join, "10.0.0.1:4242");
    assert_int_equal (f.info.elections, 2);
    assert_string_equal (f.info.failure.text, "master bbbbbb fell silent");
    assert_int_equal (f.info.failure.t_ms, 6000);
    assert_int_equal (f.info.recovery_ms, 264);
    app_view_frame_free (&f);
    app_peer_view_destroy (&v);
}

static void
test_commands (void **state)
{
    (void)state;
    app_peer_view_t *v = app_peer_view_new (s_id (1), "scalar", 1);
    assert_non_null (v);
    int fd = app_peer_view_cmd_fd (v);
    app_view_cmd_t cmd;
    assert_false (s_readable (fd));
    assert_int_equal (app_peer_view_take_cmd (v, &cmd), -1);

    /* Two zooms before the loop looks: the newer one wins. */
    rnd_view_t a, b;
    rnd_view_default (&a);
    b = a;
    a.width = 1.0;
    b.width = 0.5;
    app_peer_view_post_zoom (v, &a);
    app_peer_view_post_zoom (v, &b);
    assert_true (s_readable (fd));
    app_peer_view_post_leave (v);
    /* Leaving comes first. */
    assert_int_equal (app_peer_view_take_cmd (v, &cmd), 0);
    assert_int_equal (cmd.kind, APP_VIEW_CMD_LEAVE);
    assert_int_equal (app_peer_view_take_cmd (v, &cmd), 0);
    assert_int_equal (cmd.kind, APP_VIEW_CMD_ZOOM);
    assert_true (cmd.view.width == 0.5);
    assert_int_equal (app_peer_view_take_cmd (v, &cmd), -1);
    /* Drained: the loop's poll sleeps again. */
    assert_false (s_readable (fd));
    app_peer_view_destroy (&v);
}

/* The loop marks slices done on one thread while the window syncs on
 * another: every slice arrives, whole. */
typedef struct {
    app_peer_view_t *v;
    const el_job_t *job;
    const float *img;
} s_writer_arg_t;

static void *
s_writer (void *arg)
{
    s_writer_arg_t *a = arg;
    for (uint32_t i = 0; i < a->job->slices; i++) {
        app_peer_view_slice_state (a->v, a->job->id, i, APP_SLICE_RENDERING);
        app_peer_view_tick (a->v, i, "slice %u", i);
        app_peer_view_slice_done (a->v, a->job->id, i, s_id ((uint8_t)(i % 3)), a->img);
    }
    return NULL;
}

static void
test_two_threads (void **state)
{
    (void)state;
    app_peer_view_t *v = app_peer_view_new (s_id (1), "scalar", 1);
    assert_non_null (v);
    el_job_t job;
    s_job (&job, 64, 512, 512);
    float *img = s_image (&job);
    assert_int_equal (app_peer_view_job (v, &job), 0);
    s_writer_arg_t arg = { v, &job, img };
    pthread_t tid;
    assert_int_equal (pthread_create (&tid, NULL, s_writer, &arg), 0);
    app_view_frame_t f;
    memset (&f, 0, sizeof f);
    uint8_t *seen = calloc (job.slices, 1);
    assert_non_null (seen);
    uint32_t done = 0;
    while (done < job.slices) {
        assert_int_equal (app_peer_view_sync (v, &f), 0);
        for (uint32_t i = 0; i < job.slices; i++) {
            if (!f.dirty[i] || f.state[i] != APP_SLICE_DONE || seen[i])
                continue;
            seen[i] = 1;
            done++;
            rnd_rect_t r = el_job_slice_rect (&job, i);
            for (int y = r.y0; y < r.y1; y++)
                assert_true (f.pixels[y * 64 + r.x1 - 1] == img[y * 64 + r.x1 - 1]);
        }
    }
    pthread_join (tid, NULL);
    free (seen);
    app_view_frame_free (&f);
    free (img);
    app_peer_view_destroy (&v);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sync_copies_what_changed),
        cmocka_unit_test (test_lost_wake_is_retried),
        cmocka_unit_test (test_preview),
        cmocka_unit_test (test_legend_and_ticker),
        cmocka_unit_test (test_colours_and_hosts),
        cmocka_unit_test (test_join_elections_failure),
        cmocka_unit_test (test_commands),
        cmocka_unit_test (test_two_threads),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
