/* test_peer_render.c: the peer's render threads (app/peer/peer_render.c) --
 * results equal the kernel's for the slice's rows, the descriptor is
 * readable exactly while results wait, slices of a replaced job are
 * dropped, the throttle stretches a slice (not a deep job's orbit), a
 * deep job's reference orbit is computed once for all its slices and
 * checks, and destroying the pool with work queued or unclaimed leaks
 * nothing (ASan checks). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "deep_views.h"
#include "job.h"
#include "kernel.h"
#include "peer_render.h"
#include "test_util.h"

/* Every wait here has this deadline. */
#define S_WAIT_MS 30000

/* A 96x54 job of the default view, or (slow) of the interior of the Julia
 * set of c = 0, the unit disk, where every pixel costs max_iter. */
static void
s_job (el_job_t *job, int slow, int max_iter, int slices)
{
    rnd_view_t view;
    rnd_view_default (&view);
    view.width_px = 96;
    view.height_px = 54;
    view.max_iter = max_iter;
    if (slow) {
        view.fractal = RND_FRACTAL_JULIA;
        view.julia_re = view.julia_im = 0.0;
        view.center_re = view.center_im = 0.0;
        view.width = 1.0;
    }
    char err[256];
    assert_int_equal (el_job_init (job, &view, slices, 1, err, sizeof err), 0);
}

/* A WxH job of a 1e-300 view at 20,000 iterations, in `slices` slices:
 * rendered by perturbation around a 1,067-bit reference orbit. */
static void
s_deep_job (el_job_t *job, int w, int h, int slices)
{
    rnd_view_t view;
    rnd_view_default (&view);
    assert_int_equal (rnd_view_set_center_text (&view, BENCH_MIS_RE, BENCH_MIS_IM), 0);
    assert_int_equal (rnd_view_set_width_text (&view, "1e-300"), 0);
    view.width_px = w;
    view.height_px = h;
    view.max_iter = 20000;
    char err[256];
    assert_int_equal (el_job_init (job, &view, slices, 1, err, sizeof err), 0);
}

/* Wait (poll with a deadline) for the next result. */
static void
s_take (app_peer_render_t *r, app_peer_result_t *out)
{
    uint64_t deadline = tu_now_ms () + S_WAIT_MS;
    while (app_peer_render_take (r, out) != 0) {
        struct pollfd pfd = { app_peer_render_fd (r), POLLIN, 0 };
        uint64_t now = tu_now_ms ();
        if (now >= deadline)
            fail_msg ("no result within %d ms", S_WAIT_MS);
        poll (&pfd, 1, (int)(deadline - now));
    }
}

static int
s_readable (app_peer_render_t *r)
{
    struct pollfd pfd = { app_peer_render_fd (r), POLLIN, 0 };
    return poll (&pfd, 1, 0) == 1;
}

static void
test_results_match_the_kernel (void **state)
{
    (void)state;
    el_job_t job;
    s_job (&job, 0, 2000, 7);
    char err[256];
    app_peer_render_t *r = app_peer_render_new (3, RND_KERNEL_AUTO, 1.0, err, sizeof err);
    assert_non_null (r);
    assert_int_equal (app_peer_render_threads (r), 3);
    assert_false (s_readable (r));
    for (uint32_t s = 0; s < job.slices; s++)
        assert_int_equal (app_peer_render_queue (r, &job, s), 0);
    rnd_kjob_t kjob;
    rnd_kjob_init (&kjob, &job.view);
    int seen[7] = { 0 };
    for (uint32_t k = 0; k < job.slices; k++) {
        app_peer_result_t res;
        s_take (r, &res);
        assert_true (ovl_id_eq (res.job, job.id));
        assert_true (res.slice < job.slices);
        assert_false (seen[res.slice]);
        seen[res.slice] = 1;
        assert_int_equal (res.n, el_job_slice_px (&job, res.slice));
        assert_true (res.busy_s >= 0.0);
        float *want = malloc (res.n * sizeof *want);
        assert_non_null (want);
        rnd_kernel_run_rect (RND_KERNEL_SCALAR, &kjob, el_job_slice_rect (&job, res.slice), want);
        assert_memory_equal (res.pixels, want, res.n * sizeof *want);
        free (want);
        free (res.pixels);
    }
    /* Everything taken: the descriptor is quiet again. */
    app_peer_result_t none;
    assert_int_equal (app_peer_render_take (r, &none), -1);
    assert_false (s_readable (r));
    assert_true (app_peer_render_busy_s (r) > 0.0);
    app_peer_render_destroy (&r);
    assert_null (r);
    app_peer_render_destroy (&r); /* idempotent */
}

/* The stack calls app_peer_render_drop when the job changes: queued
 * slices of the old job go, the new job's stay. */
static void
test_new_job_drops_queued_slices_of_the_old (void **state)
{
    (void)state;
    el_job_t old_job, new_job;
    s_job (&old_job, 1, 1000000, 54); /* ~100 M iterations a slice: they stay queued */
    s_job (&new_job, 0, 100, 2);
    char err[256];
    app_peer_render_t *r = app_peer_render_new (1, RND_KERNEL_AUTO, 1.0, err, sizeof err);
    assert_non_null (r);
    for (uint32_t s = 0; s < old_job.slices; s++)
        assert_int_equal (app_peer_render_queue (r, &old_job, s), 0);
    assert_int_equal (app_peer_render_queue (r, &new_job, 0), 0);
    app_peer_render_drop (r, new_job.id);
    assert_int_equal (app_peer_render_queue (r, &new_job, 1), 0);
    /* At most the old slice the thread had started comes back. */
    int old_results = 0, new_results = 0;
    while (new_results < 2) {
        app_peer_result_t res;
        s_take (r, &res);
        if (ovl_id_eq (res.job, old_job.id))
            old_results++;
        else
            new_results++;
        free (res.pixels);
    }
    assert_true (old_results <= 1);
    app_peer_render_destroy (&r);
}

static void
test_throttle_stretches_a_slice (void **state)
{
    (void)state;
    el_job_t job;
    s_job (&job, 0, 50000, 1);
    char err[256];
    app_peer_render_t *fast = app_peer_render_new (1, RND_KERNEL_AUTO, 1.0, err, sizeof err);
    app_peer_render_t *slow = app_peer_render_new (1, RND_KERNEL_AUTO, 50.0, err, sizeof err);
    assert_non_null (fast);
    assert_non_null (slow);
    app_peer_result_t a, b;
    /* The clock starts before the queue: the render thread may start
     * (and count busy time) before queue returns. */
    uint64_t t0 = tu_now_us ();
    assert_int_equal (app_peer_render_queue (slow, &job, 0), 0);
    s_take (slow, &b);
    double wall = (double)(tu_now_us () - t0) * 1e-6;
    assert_int_equal (app_peer_render_queue (fast, &job, 0), 0);
    s_take (fast, &a);
    /* busy_s counts the wait; the slice arrives no sooner. */
    assert_true (wall >= b.busy_s * 0.99);
    assert_true (b.busy_s > a.busy_s * 5.0); /* 50x, with room for noise */
    assert_memory_equal (a.pixels, b.pixels, a.n * sizeof (float));
    free (a.pixels);
    free (b.pixels);
    app_peer_render_destroy (&fast);
    app_peer_render_destroy (&slow);
}

static void
test_destroy_with_work_left (void **state)
{
    (void)state;
    el_job_t job;
    s_job (&job, 1, 1000000, 54);
    char err[256];
    /* A huge throttle: destroy must cut the wait short, not sit it out. */
    app_peer_render_t *r = app_peer_render_new (2, RND_KERNEL_AUTO, 1e6, err, sizeof err);
    assert_non_null (r);
    for (uint32_t s = 0; s < job.slices; s++)
        assert_int_equal (app_peer_render_queue (r, &job, s), 0);
    uint64_t t0 = tu_now_ms ();
    app_peer_render_destroy (&r);
    assert_true (tu_now_ms () - t0 < 10000);
    /* And with results nobody took. */
    r = app_peer_render_new (2, RND_KERNEL_AUTO, 1.0, err, sizeof err);
    assert_non_null (r);
    assert_int_equal (app_peer_render_queue (r, &job, 0), 0);
    app_peer_result_t res;
    s_take (r, &res);
    free (res.pixels);
    for (uint32_t s = 1; s < 4; s++)
        assert_int_equal (app_peer_render_queue (r, &job, s), 0);
    app_peer_render_destroy (&r);
}

/* A deep job: one thread computes the reference orbit, the others wait
 * for it; every slice equals the kernel's with the prepared job and
 * carries the orbit's hash, and so does a check's answer. */
static void
test_deep_job_prepares_its_orbit_once (void **state)
{
    (void)state;
    el_job_t job;
    s_deep_job (&job, 48, 32, 8);
    char err[256];
    rnd_kjob_t kjob;
    assert_int_equal (rnd_kjob_prepare (&kjob, &job.view, 0, err, sizeof err), 0);
    assert_true (kjob.perturb);
    uint8_t hash[RND_REF_HASH_BYTES];
    assert_true (rnd_kjob_ref_hash (&kjob, hash));
    app_peer_render_t *r = app_peer_render_new (3, RND_KERNEL_AUTO, 1.0, err, sizeof err);
    assert_non_null (r);
    for (uint32_t s = 0; s < job.slices; s++)
        assert_int_equal (app_peer_render_queue (r, &job, s), 0);
    rnd_xy_t px[2] = { { 3, 5 }, { 40, 30 } };
    assert_int_equal (app_peer_render_check (r, &job, 42, px, 2, 0), 0);
    int computed = 0;
    for (uint32_t k = 0; k < job.slices; k++) {
        app_peer_result_t res;
        s_take (r, &res);
        assert_true (res.has_ref);
        assert_memory_equal (res.ref_hash, hash, sizeof hash);
        computed += res.ref_s > 0.0;
        assert_int_equal (res.ref_bits, rnd_kjob_ref_bits (&kjob));
        float *want = malloc (res.n * sizeof *want);
        assert_non_null (want);
        rnd_kernel_run_rect (RND_KERNEL_SCALAR, &kjob, el_job_slice_rect (&job, res.slice), want);
        assert_memory_equal (res.pixels, want, res.n * sizeof *want);
        free (want);
        free (res.pixels);
    }
    assert_int_equal (computed, 1);
    app_peer_check_t ck;
    uint64_t deadline = tu_now_ms () + S_WAIT_MS;
    while (app_peer_render_take_check (r, &ck) != 0) {
        assert_true (tu_now_ms () < deadline);
        struct pollfd pfd = { app_peer_render_fd (r), POLLIN, 0 };
        poll (&pfd, 1, 10);
    }
    assert_int_equal (ck.token, 42);
    assert_true (ck.has_ref);
    assert_memory_equal (ck.ref_hash, hash, sizeof hash);
    for (int i = 0; i < 2; i++) {
        float want = rnd_kernel_pixel (&kjob, px[i].x, px[i].y);
        assert_memory_equal (&ck.values[i], &want, sizeof want);
    }
    free (ck.values);
    rnd_kjob_release (&kjob);
    app_peer_render_destroy (&r);
}

/* The throttle stretches a slice's render, not the deep job's orbit the
 * thread computed before it: at --throttle 100 a 2x2 slice of a 1e-300
 * view (a 1,067-bit orbit of 20,000 iterations, ~30 ms; four pixels,
 * well under a millisecond) comes after the orbit plus 100 renders, where
 * stretching the orbit too would add ~99 orbits. */
static void
test_throttle_spares_the_orbit (void **state)
{
    (void)state;
    el_job_t job;
    s_deep_job (&job, 2, 2, 1);
    char err[256];
    const double throttle = 100.0;
    app_peer_render_t *r = app_peer_render_new (1, RND_KERNEL_AUTO, throttle, err, sizeof err);
    assert_non_null (r);
    assert_int_equal (app_peer_render_queue (r, &job, 0), 0);
    app_peer_result_t res;
    s_take (r, &res);
    assert_true (res.ref_s > 0.0); /* this thread computed the orbit */
    double stretched = res.busy_s - res.ref_s;
    print_message ("orbit %.4f s, then %.4f s for the throttled slice\n", res.ref_s, stretched);
    if (stretched > res.ref_s * (throttle - 1.0) / 2.0)
        fail_msg ("the orbit (%.4f s) was stretched too: %.4f s after it", res.ref_s, stretched);
    free (res.pixels);
    app_peer_render_destroy (&r);
}

/* A check the core waits for goes before the background ones (the
 * window's preview): queued after eight background lists of 256 pixels
 * (the checker takes 1,024 a run, here ~20 ms of work: at most the first
 * four are taken before it comes), it is answered before the last of
 * them -- first in, first out it would come after. */
static void
test_core_checks_pass_background_ones (void **state)
{
    (void)state;
    el_job_t job;
    s_job (&job, 1, 20000, 8);
    char err[256];
    app_peer_render_t *r = app_peer_render_new (1, RND_KERNEL_AUTO, 1.0, err, sizeof err);
    assert_non_null (r);
    rnd_xy_t px[256];
    for (int i = 0; i < 256; i++)
        px[i] = (rnd_xy_t){ 48 - 8 + i % 16, 27 - 8 + i / 16 }; /* inside the disk */
    for (uint64_t t = 100; t < 108; t++)
        assert_int_equal (app_peer_render_check (r, &job, t, px, 256, 1), 0);
    assert_int_equal (app_peer_render_check (r, &job, 42, px, 2, 0), 0);
    int answered = 0, core_at = -1, last_at = -1;
    uint64_t deadline = tu_now_ms () + S_WAIT_MS;
    while (answered < 9) {
        app_peer_check_t ck;
        if (app_peer_render_take_check (r, &ck) != 0) {
            assert_true (tu_now_ms () < deadline);
            struct pollfd pfd = { app_peer_render_fd (r), POLLIN, 0 };
            poll (&pfd, 1, 10);
            continue;
        }
        if (ck.token == 42)
            core_at = answered;
        if (ck.token == 107)
            last_at = answered;
        answered++;
        free (ck.values);
    }
    assert_true (core_at >= 0 && core_at < last_at);
    app_peer_render_destroy (&r);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_results_match_the_kernel),
        cmocka_unit_test (test_new_job_drops_queued_slices_of_the_old),
        cmocka_unit_test (test_throttle_stretches_a_slice),
        cmocka_unit_test (test_destroy_with_work_left),
        cmocka_unit_test (test_deep_job_prepares_its_orbit_once),
        cmocka_unit_test (test_throttle_spares_the_orbit),
        cmocka_unit_test (test_core_checks_pass_background_ones),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
