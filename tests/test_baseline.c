/* test_baseline.c: the client/server baseline. The codec (a round trip of
 * every message, little-endian pixels, and every kind of rejection), the
 * master's rotating queue, and real processes on loopback: `master` with two
 * `worker`s must write the same pixels and parameters as `render`; a worker
 * that takes slices and goes silent, and sends garbage first, must cost the
 * image nothing (its slices come round again, the garbage is counted); a
 * worker held back by --workers is kept waiting, not given up on; a worker
 * whose master never answers gives up after --timeout-ms.
 *
 * Every wait is a poll with a deadline (test_util watches the children
 * through pidfds, so no wait sleeps), and teardown kills every child,
 * whatever happened. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "baseline.pb-c.h"
#include "baseline_wire.h"
#include "kernel.h"
#include "params.h"
#include "png_io.h"
#include "slice.h"
#include "slice_queue.h"
#include "test_util.h"

#define S_PROCS_MAX 4
#define S_OUT_MAX 16384         /* stdout (and stderr, if merged) kept per child */
#define S_START_TIMEOUT_MS 5000 /* the master prints its endpoint */
#define S_JOB_TIMEOUT_MS 30000  /* a small job, ASan build, both cores busy */

/* --- codec --------------------------------------------------------------- */

/* The job the codec tests check against: 160x90 cut into 7 bands. */
static void
s_geom (app_baseline_geom_t *geom)
{
    rnd_view_t v;
    rnd_view_default (&v);
    v.width_px = 160;
    v.height_px = 90;
    app_baseline_geom_set (geom, &v, 7);
}

static void
s_decode_ok (const uint8_t *buf, size_t len, const app_baseline_geom_t *geom,
             app_baseline_msg_t *out)
{
    app_baseline_wire_error_t why = APP_BASELINE_WIRE_NERRORS;
    if (app_baseline_wire_decode (buf, len, geom, out, &why) != 0)
        fail_msg ("decode refused a valid message: %s", app_baseline_wire_strerror (why));
    assert_int_equal (why, APP_BASELINE_WIRE_OK);
}

/* Encodes m, decodes it (against geom), and returns the decoded copy. */
static void
s_round_trip (const app_baseline_msg_t *m, const app_baseline_geom_t *geom, app_baseline_msg_t *out)
{
    size_t len;
    uint8_t *buf = app_baseline_wire_encode (m, &len);
    assert_non_null (buf);
    s_decode_ok (buf, len, geom, out);
    free (buf);
    assert_int_equal (out->kind, m->kind);
}

static void
test_round_trip_every_message (void **state)
{
    (void)state;
    app_baseline_geom_t geom;
    s_geom (&geom);
    app_baseline_msg_t m, d;

    memset (&m, 0, sizeof m);
    m.kind = APP_BASELINE_HELLO;
    m.threads = APP_BASELINE_THREADS_MAX;
    snprintf (m.name, sizeof m.name, "%s", "host-with-a-long-name.example.org/4194304 ~");
    m.timeout_ms = APP_BASELINE_TIMEOUT_MAX_MS;
    s_round_trip (&m, NULL, &d);
    assert_int_equal (d.threads, m.threads);
    assert_string_equal (d.name, m.name);
    assert_int_equal (d.timeout_ms, m.timeout_ms);

    /* A Job carries the view bit for bit (compared through its canonical
     * text) and its slice count. */
    memset (&m, 0, sizeof m);
    m.kind = APP_BASELINE_JOB;
    rnd_view_default (&m.view);
    m.view.fractal = RND_FRACTAL_JULIA;
    m.view.julia_re = -0.8;
    m.view.julia_im = 0.156;
    m.view.center_re = 0.1 / 3;
    m.view.width_px = 640;
    m.view.height_px = 360;
    snprintf (m.view.palette, sizeof m.view.palette, "%s", "/some/where/my palette.map");
    m.slices = 360;
    s_round_trip (&m, NULL, &d);
    char a[RND_PARAMS_FORMAT_MAX], b[RND_PARAMS_FORMAT_MAX];
    assert_true (rnd_params_format (&m.view, a, sizeof a) > 0);
    assert_true (rnd_params_format (&d.view, b, sizeof b) > 0);
    assert_string_equal (a, b);
    assert_int_equal (d.slices, 360);

    memset (&m, 0, sizeof m);
    m.kind = APP_BASELINE_REQUEST;
    m.n = APP_BASELINE_AHEAD_MAX;
    s_round_trip (&m, NULL, &d);
    assert_int_equal (d.n, m.n);

    memset (&m, 0, sizeof m);
    m.kind = APP_BASELINE_ASSIGN;
    m.n_ids = 3;
    m.ids[0] = 6;
    m.ids[1] = 0;
    m.ids[2] = 3;
    s_round_trip (&m, &geom, &d);
    assert_int_equal (d.n_ids, 3);
    assert_memory_equal (d.ids, m.ids, 3 * sizeof m.ids[0]);
    m.n_ids = 0; /* "nothing for you now" is an answer too */
    s_round_trip (&m, &geom, &d);
    assert_int_equal (d.n_ids, 0);

    /* A Result of the last slice, with values that show any byte swap. */
    size_t n = rnd_rect_px (app_baseline_slice_rect (&geom, 6));
    float *px = malloc (n * sizeof *px);
    uint8_t *le = malloc (n * 4);
    assert_non_null (px);
    assert_non_null (le);
    for (size_t i = 0; i < n; i++)
        px[i] = i % 17 == 0 ? RND_INTERIOR : (float)i + 0.25f;
    app_baseline_pixels_to_le (px, n, le);
    memset (&m, 0, sizeof m);
    m.kind = APP_BASELINE_RESULT;
    m.slice = 6;
    m.pixels = le;
    m.pixel_bytes = n * 4;
    m.render_s = 1.0 / 3;
    s_round_trip (&m, &geom, &d);
    assert_int_equal (d.slice, 6);
    assert_true (d.render_s == m.render_s);
    assert_int_equal (d.pixel_bytes, n * 4);
    float *back = malloc (n * sizeof *back);
    assert_non_null (back);
    app_baseline_pixels_from_le (d.pixels, n, back);
    assert_memory_equal (back, px, n * sizeof *px);
    app_baseline_msg_release (&d);
    assert_null (d.pixels);
    app_baseline_msg_release (&d); /* idempotent */
    free (back);
    free (le);
    free (px);

    memset (&m, 0, sizeof m);
    m.kind = APP_BASELINE_DONE;
    s_round_trip (&m, &geom, &d);
    m.kind = APP_BASELINE_WAIT;
    s_round_trip (&m, NULL, &d);
}

/* The wire is little-endian whatever the host: the bytes of known values,
 * and the in-place conversion the worker does. */
static void
test_pixels_are_little_endian (void **state)
{
    (void)state;
    float px[3] = { 1.5f, -1.0f, 0x1.000002p+0f };
    const uint8_t want[12] = { 0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00,
                               0x80, 0xbf, 0x01, 0x00, 0x80, 0x3f };
    uint8_t out[12];
    app_baseline_pixels_to_le (px, 3, out);
    assert_memory_equal (out, want, sizeof want);
    float back[3];
    app_baseline_pixels_from_le (want, 3, back);
    assert_memory_equal (back, px, sizeof px);
    float inplace[3];
    memcpy (inplace, px, sizeof px);
    app_baseline_pixels_to_le (inplace, 3, (uint8_t *)inplace);
    assert_memory_equal (inplace, want, sizeof want);
}

/* A raw protobuf message, packed as is: for what our encoder refuses. */
static size_t
s_pack (const P2pf__Baseline__Msg *pb, uint8_t *buf, size_t cap)
{
    size_t len = p2pf__baseline__msg__get_packed_size (pb);
    assert_true (len <= cap);
    return p2pf__baseline__msg__pack (pb, buf);
}

static void
s_expect_reject (const uint8_t *buf, size_t len, const app_baseline_geom_t *geom,
                 app_baseline_wire_error_t want, const char *what)
{
    app_baseline_msg_t d;
    app_baseline_wire_error_t why = APP_BASELINE_WIRE_OK;
    int rc = app_baseline_wire_decode (buf, len, geom, &d, &why);
    if (rc == 0) {
        app_baseline_msg_release (&d);
        fail_msg ("%s: accepted, wanted '%s'", what, app_baseline_wire_strerror (want));
    }
    if (why != want)
        fail_msg ("%s: rejected as '%s', wanted '%s'", what, app_baseline_wire_strerror (why),
                  app_baseline_wire_strerror (want));
    assert_null (d.owned_);
}

static void
test_reject_bad_envelopes (void **state)
{
    (void)state;
    app_baseline_geom_t geom;
    s_geom (&geom);
    uint8_t buf[256];
    s_expect_reject (buf, 0, &geom, APP_BASELINE_WIRE_EEMPTY, "empty");
    memset (buf, 0xff, 32);
    s_expect_reject (buf, 32, &geom, APP_BASELINE_WIRE_EMALFORMED, "0xff garbage");

    P2pf__Baseline__Msg pb = P2PF__BASELINE__MSG__INIT;
    P2pf__Baseline__Request req = P2PF__BASELINE__REQUEST__INIT;
    req.n = 2;
    pb.body_case = P2PF__BASELINE__MSG__BODY_REQUEST;
    pb.request = &req;
    pb.version = APP_BASELINE_WIRE_VERSION;
    size_t len = s_pack (&pb, buf, sizeof buf);
    app_baseline_msg_t d;
    s_decode_ok (buf, len, &geom, &d); /* the control: it is valid as it stands */
    pb.version = APP_BASELINE_WIRE_VERSION + 1;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_EVERSION,
                     "the next version");
    pb.version = APP_BASELINE_WIRE_VERSION - 1;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_EVERSION,
                     "version 1 (row bands)");
    pb.version = 0;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_EVERSION,
                     "no version");
    pb.version = APP_BASELINE_WIRE_VERSION;
    pb.body_case = P2PF__BASELINE__MSG__BODY__NOT_SET;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_ENOBODY,
                     "no body");

    /* Every strict prefix of a valid Result is refused. */
    size_t n = rnd_rect_px (app_baseline_slice_rect (&geom, 2));
    uint8_t *px = calloc (n, 4);
    assert_non_null (px);
    app_baseline_msg_t m;
    memset (&m, 0, sizeof m);
    m.kind = APP_BASELINE_RESULT;
    m.slice = 2;
    m.pixels = px;
    m.pixel_bytes = n * 4;
    m.render_s = 0.5;
    size_t full;
    uint8_t *enc = app_baseline_wire_encode (&m, &full);
    assert_non_null (enc);
    for (size_t cut = 0; cut < full; cut++) {
        if (app_baseline_wire_decode (enc, cut, &geom, &d, NULL) == 0) {
            app_baseline_msg_release (&d);
            fail_msg ("a Result cut to %zu of %zu bytes was accepted", cut, full);
        }
    }
    s_decode_ok (enc, full, &geom, &d);
    app_baseline_msg_release (&d);
    /* Larger than any message of this job may be: refused unread. */
    s_expect_reject (enc, app_baseline_wire_max_bytes (&geom) + 1, &geom, APP_BASELINE_WIRE_ETOOBIG,
                     "over the size limit");
    free (enc);
    free (px);
}

static void
test_reject_bad_fields (void **state)
{
    (void)state;
    app_baseline_geom_t geom;
    s_geom (&geom);
    uint8_t buf[4096];
    P2pf__Baseline__Msg pb = P2PF__BASELINE__MSG__INIT;
    pb.version = APP_BASELINE_WIRE_VERSION;

    P2pf__Baseline__Hello hello = P2PF__BASELINE__HELLO__INIT;
    pb.body_case = P2PF__BASELINE__MSG__BODY_HELLO;
    pb.hello = &hello;
    hello.threads = 1;
    hello.name = "h/1";
    hello.timeout_ms = 1;
    app_baseline_msg_t d;
    s_decode_ok (buf, s_pack (&pb, buf, sizeof buf), NULL, &d); /* the control */
    hello.threads = 0;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_EBADFIELD,
                     "Hello threads 0");
    hello.threads = APP_BASELINE_THREADS_MAX + 1;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_EBADFIELD,
                     "Hello threads over the cap");
    hello.threads = 1;
    hello.timeout_ms = 0;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_EBADFIELD,
                     "Hello timeout 0");
    hello.timeout_ms = APP_BASELINE_TIMEOUT_MAX_MS + 1;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_EBADFIELD,
                     "Hello timeout over the cap");
    hello.timeout_ms = 1000;
    hello.name = "";
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_EBADFIELD,
                     "Hello without a name");
    hello.name = "tab\there";
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_EBADFIELD,
                     "Hello name with a control character");
    char long_name[APP_BASELINE_NAME_MAX + 1];
    memset (long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    hello.name = long_name;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_EBADFIELD,
                     "Hello name too long");

    P2pf__Baseline__Job job = P2PF__BASELINE__JOB__INIT;
    pb.body_case = P2PF__BASELINE__MSG__BODY_JOB;
    pb.job = &job;
    const char *good = "p2pfractal-params 1\nsize=160x90\nmax_iter=300\n";
    job.params.data = (uint8_t *)good;
    job.params.len = strlen (good);
    job.slices = 7;
    s_decode_ok (buf, s_pack (&pb, buf, sizeof buf), NULL, &d);
    assert_int_equal (d.view.height_px, 90);
    job.slices = 0;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), NULL, APP_BASELINE_WIRE_EBADFIELD,
                     "Job of 0 slices");
    job.slices = RND_SLICES_MAX + 1;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), NULL, APP_BASELINE_WIRE_EBADFIELD,
                     "Job of more slices than the cap");
    const char *tiny = "p2pfractal-params 1\nsize=4x3\nmax_iter=300\n";
    job.params.data = (uint8_t *)tiny;
    job.params.len = strlen (tiny);
    job.slices = 13;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), NULL, APP_BASELINE_WIRE_EBADFIELD,
                     "Job of more slices than pixels");
    job.slices = 12;
    s_decode_ok (buf, s_pack (&pb, buf, sizeof buf), NULL, &d);
    job.params.data = (uint8_t *)good;
    job.params.len = strlen (good);
    job.slices = 7;
    const char *bad_syntax = "p2pfractal-params 1\nwidth=wide\n";
    job.params.data = (uint8_t *)bad_syntax;
    job.params.len = strlen (bad_syntax);
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), NULL, APP_BASELINE_WIRE_EBADFIELD,
                     "Job parameters that do not parse");
    const char *bad_range = "p2pfractal-params 1\nmax_iter=0\n";
    job.params.data = (uint8_t *)bad_range;
    job.params.len = strlen (bad_range);
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), NULL, APP_BASELINE_WIRE_EBADFIELD,
                     "Job parameters that do not validate");
    job.params.len = 0;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), NULL, APP_BASELINE_WIRE_EBADFIELD,
                     "Job without parameters");

    P2pf__Baseline__Request req = P2PF__BASELINE__REQUEST__INIT;
    pb.body_case = P2PF__BASELINE__MSG__BODY_REQUEST;
    pb.request = &req;
    req.n = 0;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_EBADFIELD,
                     "Request of 0");
    req.n = APP_BASELINE_AHEAD_MAX + 1;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_EBADFIELD,
                     "Request over the cap");

    P2pf__Baseline__Assign assign = P2PF__BASELINE__ASSIGN__INIT;
    uint32_t ids[APP_BASELINE_AHEAD_MAX + 1] = { 0 };
    pb.body_case = P2PF__BASELINE__MSG__BODY_ASSIGN;
    pb.assign = &assign;
    assign.slices = ids;
    assign.n_slices = 2;
    ids[0] = 1;
    ids[1] = 6;
    s_decode_ok (buf, s_pack (&pb, buf, sizeof buf), &geom, &d);
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), NULL, APP_BASELINE_WIRE_ENOJOB,
                     "Assign before the Job");
    ids[1] = 7;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_ESLICE,
                     "Assign of slice 7 of 7");
    ids[1] = 1;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_ESLICE,
                     "Assign of one slice twice");
    for (uint32_t i = 0; i <= APP_BASELINE_AHEAD_MAX; i++)
        ids[i] = i % 7;
    assign.n_slices = APP_BASELINE_AHEAD_MAX + 1;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_ECAP,
                     "Assign over the cap");

    /* Results: the pixel count must be the slice's, to the byte. */
    size_t bytes = rnd_rect_px (app_baseline_slice_rect (&geom, 3)) * 4;
    uint8_t *px = calloc (1, bytes + 4);
    uint8_t *big = malloc (bytes + 256);
    assert_non_null (px);
    assert_non_null (big);
    P2pf__Baseline__Result res = P2PF__BASELINE__RESULT__INIT;
    pb.body_case = P2PF__BASELINE__MSG__BODY_RESULT;
    pb.result = &res;
    res.slice = 3;
    res.pixels.data = px;
    res.pixels.len = bytes;
    res.render_s = 0.25;
    s_decode_ok (big, s_pack (&pb, big, bytes + 256), &geom, &d);
    app_baseline_msg_release (&d);
    s_expect_reject (big, s_pack (&pb, big, bytes + 256), NULL, APP_BASELINE_WIRE_ENOJOB,
                     "Result before the Job");
    res.pixels.len = bytes - 4;
    s_expect_reject (big, s_pack (&pb, big, bytes + 256), &geom, APP_BASELINE_WIRE_EPIXELS,
                     "Result one value short");
    res.pixels.len = bytes + 4;
    s_expect_reject (big, s_pack (&pb, big, bytes + 256), &geom, APP_BASELINE_WIRE_EPIXELS,
                     "Result one value over");
    res.pixels.len = bytes;
    /* Tiles differ: 7 in 160x90 are 3 of 53x45 over 4 of 40x45. */
    res.slice = 0;
    while (rnd_rect_px (app_baseline_slice_rect (&geom, (int)res.slice)) * 4 == bytes)
        res.slice++;
    assert_true (res.slice < 7);
    s_expect_reject (big, s_pack (&pb, big, bytes + 256), &geom, APP_BASELINE_WIRE_EPIXELS,
                     "Result with another slice's size");
    res.slice = 7;
    s_expect_reject (big, s_pack (&pb, big, bytes + 256), &geom, APP_BASELINE_WIRE_ESLICE,
                     "Result for slice 7 of 7");
    res.slice = 0xffffffffu;
    s_expect_reject (big, s_pack (&pb, big, bytes + 256), &geom, APP_BASELINE_WIRE_ESLICE,
                     "Result for slice 2^32-1");
    res.slice = 3;
    res.render_s = -1;
    s_expect_reject (big, s_pack (&pb, big, bytes + 256), &geom, APP_BASELINE_WIRE_EBADFIELD,
                     "Result with a negative time");
    res.render_s = NAN;
    s_expect_reject (big, s_pack (&pb, big, bytes + 256), &geom, APP_BASELINE_WIRE_EBADFIELD,
                     "Result with a NaN time");
    free (big);
    free (px);
}

/* Tiny unknown fields cost tens of times their size once unpacked: such a
 * message is refused for the memory budget, not decoded. */
static void
test_reject_over_memory_budget (void **state)
{
    (void)state;
    app_baseline_geom_t geom;
    s_geom (&geom);
    size_t cap = 75000;
    uint8_t *buf = malloc (cap);
    assert_non_null (buf);
    size_t len = 0;
    buf[len++] = 0x08; /* version */
    buf[len++] = APP_BASELINE_WIRE_VERSION;
    while (len + 3 <= cap) {
        buf[len++] = 0xa0; /* field 100, varint */
        buf[len++] = 0x06;
        buf[len++] = 0x01;
    }
    s_expect_reject (buf, len, &geom, APP_BASELINE_WIRE_ECAP, "25,000 unknown fields");
    /* The control: a few unknown fields are accepted and ignored. */
    P2pf__Baseline__Msg pb = P2PF__BASELINE__MSG__INIT;
    P2pf__Baseline__Done done = P2PF__BASELINE__DONE__INIT;
    pb.version = APP_BASELINE_WIRE_VERSION;
    pb.body_case = P2PF__BASELINE__MSG__BODY_DONE;
    pb.done = &done;
    len = s_pack (&pb, buf, cap);
    for (int i = 0; i < 10; i++) {
        buf[len++] = 0xa0;
        buf[len++] = 0x06;
        buf[len++] = 0x01;
    }
    app_baseline_msg_t d;
    s_decode_ok (buf, len, &geom, &d);
    assert_int_equal (d.kind, APP_BASELINE_DONE);
    free (buf);
}

/* The encoder refuses what the decoder would. */
static void
test_encode_refuses_invalid (void **state)
{
    (void)state;
    app_baseline_msg_t m;
    size_t len;
    memset (&m, 0, sizeof m);
    m.kind = APP_BASELINE_REQUEST;
    assert_null (app_baseline_wire_encode (&m, &len));
    m.kind = APP_BASELINE_HELLO;
    m.threads = 1;
    m.timeout_ms = 1;
    assert_null (app_baseline_wire_encode (&m, &len)); /* no name */
    m.kind = APP_BASELINE_JOB;
    rnd_view_default (&m.view);
    m.view.max_iter = 0;
    m.slices = 4;
    assert_null (app_baseline_wire_encode (&m, &len));
    m.view.max_iter = 100;
    uint8_t *ok = app_baseline_wire_encode (&m, &len);
    assert_non_null (ok); /* the control */
    free (ok);
    m.kind = APP_BASELINE_RESULT;
    m.slice = 0;
    m.render_s = -0.5;
    assert_null (app_baseline_wire_encode (&m, &len));
}

/* --- the rotating queue -------------------------------------------------- */

static void
s_expect_ids (const uint32_t *ids, int n, const char *want)
{
    char got[256] = "";
    size_t off = 0;
    for (int i = 0; i < n; i++)
        off += (size_t)snprintf (got + off, sizeof got - off, "%s%u", i ? "," : "", ids[i]);
    if (strcmp (got, want) != 0)
        fail_msg ("issued [%s], wanted [%s]", got, want);
}

static void
test_queue_rotates_and_skips_held (void **state)
{
    (void)state;
    app_slice_queue_t *q = app_slice_queue_new (5);
    assert_non_null (q);
    uint8_t a[5] = { 0 }, b[5] = { 0 };
    uint32_t ids[8];
    s_expect_ids (ids, app_slice_queue_issue (q, a, 2, ids), "0,1");
    s_expect_ids (ids, app_slice_queue_issue (q, b, 2, ids), "2,3");
    /* a holds 0 and 1: it gets 4, then b's 2 (a duplicate: fewer slices
     * remain than asked for), never its own. */
    s_expect_ids (ids, app_slice_queue_issue (q, a, 2, ids), "4,2");
    assert_int_equal (a[4], 1);
    assert_int_equal (a[2], 1);
    assert_int_equal (app_slice_queue_complete (q, 0), 1);
    assert_int_equal (app_slice_queue_complete (q, 0), 0);
    assert_int_equal (app_slice_queue_complete (q, 5), -1);
    assert_int_equal (app_slice_queue_complete (q, -1), -1);
    assert_int_equal (app_slice_queue_remaining (q), 4);
    /* The cursor goes on after the last slice looked at (2): 3 is b's own,
     * then 4, 0 is done, then 1, and b holds 2. Fewer than asked: nothing
     * else qualifies, and nothing is given twice. */
    s_expect_ids (ids, app_slice_queue_issue (q, b, 5, ids), "4,1");
    for (int s = 1; s < 5; s++)
        assert_int_equal (app_slice_queue_complete (q, s), 1);
    assert_int_equal (app_slice_queue_remaining (q), 0);
    uint8_t c[5] = { 0 };
    assert_int_equal (app_slice_queue_issue (q, c, 5, ids), 0);
    app_slice_queue_destroy (&q);
    assert_null (q);
    app_slice_queue_destroy (&q);
    assert_null (app_slice_queue_new (0));
}

/* A worker takes two slices and dies: the other gets every other slice
 * first, then the dead one's, in order. */
static void
test_queue_reissues_after_a_full_turn (void **state)
{
    (void)state;
    app_slice_queue_t *q = app_slice_queue_new (6);
    assert_non_null (q);
    uint8_t dead[6] = { 0 }, live[6] = { 0 };
    uint32_t ids[6], order[6];
    s_expect_ids (ids, app_slice_queue_issue (q, dead, 2, ids), "0,1");
    for (int i = 0; i < 6; i++) {
        assert_int_equal (app_slice_queue_issue (q, live, 1, ids), 1);
        order[i] = ids[0];
        live[ids[0]] = 0; /* returned */
        assert_int_equal (app_slice_queue_complete (q, (int)ids[0]), 1);
    }
    s_expect_ids (order, 6, "2,3,4,5,0,1");
    assert_int_equal (app_slice_queue_remaining (q), 0);
    app_slice_queue_destroy (&q);
}

/* --- processes ----------------------------------------------------------- */

typedef struct {
    char out[S_OUT_MAX]; /* everything it wrote, NUL-terminated */
    size_t out_len;      /* bytes of it */
} s_proc_t;

static tu_child_t s_kids[S_PROCS_MAX]; /* the children, by index */
static s_proc_t s_procs[S_PROCS_MAX];  /* and their output */
static int s_n_procs;
static char *s_dir;
#define S_ZSOCKS_MAX 4
static void *s_zctx;                 /* for the test's own sockets, if any */
static void *s_zsocks[S_ZSOCKS_MAX]; /* they: closed in teardown */
static int s_n_zsocks;

/* Starts the binary with args (NULL-terminated); its stdout (and stderr,
 * if merge_stderr) into a pipe we read. Returns its index. */
static int
s_spawn (int merge_stderr, const char *arg0, ...)
{
    const char *argv[48];
    int argc = 0;
    argv[argc++] = P2PF_BINARY;
    va_list ap;
    va_start (ap, arg0);
    for (const char *a = arg0; a && argc < 47; a = va_arg (ap, const char *))
        argv[argc++] = a;
    va_end (ap);
    argv[argc] = NULL;
    assert_true (s_n_procs < S_PROCS_MAX);
    memset (&s_procs[s_n_procs], 0, sizeof s_procs[s_n_procs]);
    tu_proc_opts_t opts = { .err = merge_stderr ? TU_IO_STDOUT : TU_IO_INHERIT };
    tu_child_start (&s_kids[s_n_procs++], argv, &opts); /* teardown kills it */
    return s_n_procs - 1;
}

static void
s_on_output (void *ctx, int i, const char *data, size_t n)
{
    (void)ctx;
    s_proc_t *p = &s_procs[i];
    size_t room = S_OUT_MAX - 1 - p->out_len;
    size_t take = n < room ? n : room;
    memcpy (p->out + p->out_len, data, take);
    p->out_len += take;
    p->out[p->out_len] = '\0';
    if (getenv ("P2PF_TEST_VERBOSE"))
        print_message ("  [%d] %.*s", (int)s_kids[i].pid, (int)n, data);
}

/* Reads the children's output, and reaps those that exit, until cond()
 * holds (1) or deadline_ms passes (0). */
static int
s_wait_until (int (*cond) (void *ctx), uint64_t deadline_ms)
{
    return tu_child_wait (s_kids, s_n_procs, s_on_output, cond, NULL, deadline_ms);
}

static int
s_master_listening (void *ctx)
{
    (void)ctx;
    const char *l = strstr (s_procs[0].out, "listening endpoint=");
    return (l && strchr (l, '\n')) || s_kids[0].pid == 0;
}

/* Every child exited and its output was read to the end. */
static int
s_all_finished (void *ctx)
{
    (void)ctx;
    for (int i = 0; i < s_n_procs; i++)
        if (!tu_child_done (&s_kids[i]))
            return 0;
    return 1;
}

/* "HOST:PORT" from the master's endpoint line, into hostport. */
static void
s_master_endpoint (char *hostport, size_t size)
{
    if (!s_wait_until (s_master_listening, tu_now_ms () + S_START_TIMEOUT_MS) || s_kids[0].pid == 0)
        fail_msg ("the master printed no endpoint line in %d ms; it wrote: %s", S_START_TIMEOUT_MS,
                  s_procs[0].out);
    const char *ep = strstr (s_procs[0].out, "listening endpoint=tcp://") + 25;
    size_t len = strcspn (ep, "\n");
    assert_true (len < size);
    memcpy (hostport, ep, len);
    hostport[len] = '\0';
    assert_int_equal (strncmp (hostport, "127.0.0.1:", 10), 0);
}

/* Waits for every child to exit; each must have exited 0. */
static void
s_expect_all_exit_0 (void)
{
    if (!s_wait_until (s_all_finished, tu_now_ms () + S_JOB_TIMEOUT_MS)) {
        for (int i = 0; i < s_n_procs; i++)
            print_message ("child %d: %s running; output:\n%s\n", i,
                           s_kids[i].pid ? "still" : "not", s_procs[i].out);
        fail_msg ("the job did not finish within %d ms", S_JOB_TIMEOUT_MS);
    }
    for (int i = 0; i < s_n_procs; i++)
        if (s_kids[i].status != 0)
            fail_msg ("child %d exited %d; it wrote:\n%s", i, s_kids[i].status, s_procs[i].out);
}

/* Pixels and parameter text of two PNGs are the same. */
static void
s_expect_same_png (const char *a_path, const char *b_path)
{
    char err[512];
    uint8_t *a, *b;
    int aw, ah, bw, bh;
    if (rnd_png_read_rgb (a_path, &a, &aw, &ah, err, sizeof err))
        fail_msg ("%s", err);
    if (rnd_png_read_rgb (b_path, &b, &bw, &bh, err, sizeof err))
        fail_msg ("%s", err);
    assert_int_equal (aw, bw);
    assert_int_equal (ah, bh);
    size_t differ = 0;
    for (size_t i = 0; i < (size_t)aw * ah * 3; i++)
        differ += a[i] != b[i];
    if (differ)
        fail_msg ("%s and %s differ in %zu of %zu bytes", a_path, b_path, differ,
                  (size_t)aw * ah * 3);
    free (a);
    free (b);
    char *ca, *cb;
    if (rnd_png_read_comment (a_path, &ca, err, sizeof err))
        fail_msg ("%s", err);
    if (rnd_png_read_comment (b_path, &cb, err, sizeof err))
        fail_msg ("%s", err);
    assert_string_equal (ca, cb);
    free (ca);
    free (cb);
}

/* The value after "key=" in the first line of text starting with prefix;
 * fails the test if there is none. */
static long
s_field (const char *text, const char *prefix, const char *key)
{
    const char *line = text;
    while (line && strncmp (line, prefix, strlen (prefix)) != 0) {
        line = strchr (line, '\n');
        if (line)
            line++;
    }
    if (!line)
        fail_msg ("no line starting '%s' in:\n%s", prefix, text);
    size_t line_len = strcspn (line, "\n");
    char want[64];
    snprintf (want, sizeof want, " %s=", key);
    const char *at = strstr (line, want);
    if (!at || at > line + line_len)
        fail_msg ("no %s= in '%.*s'", key, (int)line_len, line);
    return strtol (at + strlen (want), NULL, 10);
}

static int
s_count (const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr (text, needle); p; p = strstr (p + 1, needle))
        n++;
    return n;
}

static int
s_setup (void **state)
{
    (void)state;
    s_n_procs = 0;
    s_n_zsocks = 0;
    s_zctx = NULL;
    s_dir = tu_dir_new ("test_baseline");
    return s_dir ? 0 : -1;
}

/* Whatever happened: no child outlives the test. */
static int
s_teardown (void **state)
{
    (void)state;
    for (int i = 0; i < s_n_procs; i++)
        tu_child_kill (&s_kids[i]);
    s_n_procs = 0;
    for (int i = 0; i < s_n_zsocks; i++)
        zmq_close (s_zsocks[i]);
    s_n_zsocks = 0;
    if (s_zctx)
        zmq_ctx_term (s_zctx); /* every socket has LINGER 0: returns at once */
    s_zctx = NULL;
    return tu_dir_remove (&s_dir);
}

/* `render` of a view, then `master --slices 7` with two single-thread
 * workers of the same view: the same pixels, the same parameters. */
static void
s_master_matches_render (const char *const *view_args, int n_view)
{
    char ref[256], out[256];
    tu_path_join (ref, sizeof ref, s_dir, "render.png");
    tu_path_join (out, sizeof out, s_dir, "master.png");
    const char *a[16];
    for (int i = 0; i < 16; i++)
        a[i] = i < n_view ? view_args[i] : NULL;
    /* --workers 2: else one worker may finish this tiny job before the
     * other has joined, and that one would wait for a master gone. */
    s_spawn (1, "master", "--port", "0", "--slices", "7", "--workers", "2", "-o", out, a[0], a[1],
             a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], NULL);
    char hostport[64];
    s_master_endpoint (hostport, sizeof hostport);
    s_spawn (0, "worker", "--connect", hostport, "--threads", "1", NULL);
    s_spawn (0, "worker", "--connect", hostport, "--threads", "1", NULL);
    s_spawn (1, "render", "--quiet", "-o", ref, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7],
             a[8], a[9], a[10], a[11], NULL);
    s_expect_all_exit_0 ();
    s_expect_same_png (ref, out);

    const char *mo = s_procs[0].out;
    assert_non_null (strstr (mo, "slices added: 7\n"));
    assert_int_equal (s_count (mo, "worker joined id="), 2);
    assert_int_equal (s_field (mo, "total ", "slices"), 7);
    assert_int_equal (s_field (mo, "total ", "workers"), 2);
    assert_int_equal (s_field (mo, "total ", "dropped"), 0);
    long computed = s_field (mo, "worker id=1 ", "slices") + s_field (mo, "worker id=2 ", "slices");
    assert_int_equal (computed, s_field (mo, "total ", "computed"));
    assert_true (computed >= 7);
    /* The workers' own counts may be higher: duplicates still on their way
     * when the image was complete. */
    long rendered = s_field (s_procs[1].out, "worker done ", "slices") +
                    s_field (s_procs[2].out, "worker done ", "slices");
    assert_true (rendered >= computed);
    /* Traffic: at least a Hello and every result in (4 bytes a pixel of a
     * 160x90 view); out, a Job and at least one Assign to each worker --
     * not one Assign a slice: an Assign carries as many slices as the
     * worker asked for, and how many it asks for at once depends on
     * timing (this bound was 2 + 7 and failed under load). */
    assert_true (s_field (mo, "total ", "recv_msgs") >= 2 + computed);
    assert_true (s_field (mo, "total ", "recv_bytes") >= 160 * 90 * 4);
    assert_true (s_field (mo, "total ", "sent_msgs") >= 2 + 2);
    assert_true (s_field (mo, "total ", "sent_bytes") > 0);
    assert_true (s_field (mo, "total ", "sent_bytes") < s_field (mo, "total ", "recv_bytes"));
}

static void
test_master_matches_render_mandelbrot (void **state)
{
    (void)state;
    const char *view[] = { "--size", "160x90", "--iter", "300" };
    s_master_matches_render (view, 4);
}

static void
test_master_matches_render_julia (void **state)
{
    (void)state;
    const char *view[] = { "--fractal", "julia", "--julia", "-0.8,0.156", "--center", "0,0",
                           "--width",   "3.2",   "--size",  "160x90",     "--iter",   "300" };
    s_master_matches_render (view, 12);
}

static int
s_first_joined (void *ctx)
{
    (void)ctx;
    return strstr (s_procs[0].out, "worker joined id=1 ") != NULL || s_kids[0].pid == 0;
}

static int
s_any_exited (void *ctx)
{
    (void)ctx;
    for (int i = 0; i < s_n_procs; i++)
        if (s_kids[i].pid == 0)
            return 1;
    return 0;
}

/* With --workers 2 the first worker has nothing to do until the second
 * joins; the master's Waits keep it from giving up meanwhile, however long
 * that takes beyond its --timeout-ms. */
static void
test_first_worker_waits_for_the_second (void **state)
{
    (void)state;
    char ref[256], out[256];
    tu_path_join (ref, sizeof ref, s_dir, "render.png");
    tu_path_join (out, sizeof out, s_dir, "master.png");
    s_spawn (1, "master", "--port", "0", "--workers", "2", "-o", out, "--size", "160x90", "--iter",
             "300", NULL);
    char hostport[64];
    s_master_endpoint (hostport, sizeof hostport);
    s_spawn (1, "worker", "--connect", hostport, "--threads", "1", "--timeout-ms", "300", NULL);
    if (!s_wait_until (s_first_joined, tu_now_ms () + S_START_TIMEOUT_MS))
        fail_msg ("the first worker did not join; the master wrote: %s", s_procs[0].out);
    if (s_wait_until (s_any_exited, tu_now_ms () + 1200))
        fail_msg ("a process exited while the first worker waited; they wrote:\n%s\n%s",
                  s_procs[0].out, s_procs[1].out);
    s_spawn (0, "worker", "--connect", hostport, "--threads", "1", NULL);
    s_spawn (1, "render", "--quiet", "-o", ref, "--size", "160x90", "--iter", "300", NULL);
    s_expect_all_exit_0 ();
    s_expect_same_png (ref, out);
    /* Not asserted: that the first worker returned a slice. Its held
     * Request is answered first, but on a job this small a descheduled
     * first worker can see the second, warm, finish and duplicate every
     * slice before its own results arrive (seen at load 38 on 2 cores:
     * "worker id=1 slices=0"). What this test is for -- the first worker
     * outlived its --timeout-ms waiting, and the job completed -- is
     * asserted above. */
}

/* --- sockets of the test's own ------------------------------------------- */

/* A socket with LINGER 0, closed in teardown. */
static void *
s_zsocket (int type)
{
    if (!s_zctx)
        s_zctx = zmq_ctx_new ();
    assert_non_null (s_zctx);
    assert_true (s_n_zsocks < S_ZSOCKS_MAX);
    void *sock = zmq_socket (s_zctx, type);
    assert_non_null (sock);
    s_zsocks[s_n_zsocks++] = sock;
    int linger_ms = 0;
    assert_int_equal (zmq_setsockopt (sock, ZMQ_LINGER, &linger_ms, sizeof linger_ms), 0);
    return sock;
}

/* A worker in the test: it takes slices, sends garbage, goes silent. */
static void *
s_fake_worker (const char *hostport)
{
    void *d = s_zsocket (ZMQ_DEALER);
    char ep[128];
    snprintf (ep, sizeof ep, "tcp://%s", hostport);
    assert_int_equal (zmq_connect (d, ep), 0);
    return d;
}

static void
s_zsend (void *sock, const app_baseline_msg_t *m)
{
    size_t len;
    uint8_t *buf = app_baseline_wire_encode (m, &len);
    assert_non_null (buf);
    assert_int_equal (zmq_send (sock, buf, len, 0), (int)len);
    free (buf);
}

static void
s_fake_hello (void *fake)
{
    app_baseline_msg_t m;
    memset (&m, 0, sizeof m);
    m.kind = APP_BASELINE_HELLO;
    m.threads = 2;
    m.timeout_ms = 1000;
    snprintf (m.name, sizeof m.name, "fake");
    s_zsend (fake, &m);
}

static void
s_zsend_raw (void *sock, const P2pf__Baseline__Msg *pb)
{
    uint8_t buf[256];
    size_t len = s_pack (pb, buf, sizeof buf);
    assert_int_equal (zmq_send (sock, buf, len, 0), (int)len);
}

/* The next message of `kind` on sock within timeout_ms (others are
 * skipped), decoded into *out; 0, or -1 on timeout. */
static int
s_zrecv (void *sock, app_baseline_kind_t kind, const app_baseline_geom_t *geom, int timeout_ms,
         app_baseline_msg_t *out)
{
    uint64_t deadline = tu_now_ms () + (uint64_t)timeout_ms;
    for (;;) {
        uint64_t now = tu_now_ms ();
        if (now >= deadline)
            return -1;
        zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, (long)(deadline - now)) <= 0)
            continue;
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        assert_true (zmq_msg_recv (&frame, sock, 0) >= 0);
        int rc = app_baseline_wire_decode (zmq_msg_data (&frame), zmq_msg_size (&frame), geom, out,
                                           NULL);
        zmq_msg_close (&frame);
        if (rc == 0 && out->kind == kind)
            return 0;
        if (rc == 0)
            app_baseline_msg_release (out);
    }
}

static void
test_silent_worker_and_garbage_cost_nothing (void **state)
{
    (void)state;
    char ref[256], out[256];
    tu_path_join (ref, sizeof ref, s_dir, "render.png");
    tu_path_join (out, sizeof out, s_dir, "master.png");
    s_spawn (1, "master", "--port", "0", "--slices", "7", "-o", out, "--size", "160x90", "--iter",
             "300", NULL);
    char hostport[64];
    s_master_endpoint (hostport, sizeof hostport);

    /* The fake joins first and takes three slices. */
    void *fake = s_fake_worker (hostport);
    app_baseline_msg_t m, job, assign;
    s_fake_hello (fake);
    memset (&m, 0, sizeof m);
    m.kind = APP_BASELINE_REQUEST;
    m.n = 3;
    s_zsend (fake, &m);
    assert_int_equal (s_zrecv (fake, APP_BASELINE_JOB, NULL, S_START_TIMEOUT_MS, &job), 0);
    app_baseline_geom_t geom;
    app_baseline_geom_set (&geom, &job.view, job.slices);
    assert_int_equal (geom.slices, 7);
    assert_int_equal (s_zrecv (fake, APP_BASELINE_ASSIGN, &geom, S_START_TIMEOUT_MS, &assign), 0);
    s_expect_ids (assign.ids, assign.n_ids, "0,1,2");

    /* Eight kinds of garbage, each dropped and counted. */
    uint8_t junk[32];
    memset (junk, 0xff, sizeof junk);
    assert_int_equal (zmq_send (fake, junk, sizeof junk, 0), (int)sizeof junk); /* malformed */
    assert_int_equal (zmq_send (fake, "", 0, 0), 0);                            /* empty */
    P2pf__Baseline__Msg pb = P2PF__BASELINE__MSG__INIT;
    P2pf__Baseline__Request req = P2PF__BASELINE__REQUEST__INIT;
    req.n = 1;
    pb.version = 9;
    pb.body_case = P2PF__BASELINE__MSG__BODY_REQUEST;
    pb.request = &req;
    s_zsend_raw (fake, &pb); /* wrong version */
    size_t bytes = rnd_rect_px (app_baseline_slice_rect (&geom, 5)) * 4;
    uint8_t *px = calloc (1, bytes);
    assert_non_null (px);
    memset (&m, 0, sizeof m);
    m.kind = APP_BASELINE_RESULT;
    m.slice = 5;
    m.pixels = px;
    m.pixel_bytes = bytes;
    s_zsend (fake, &m); /* a slice it was not given: black pixels must not land */
    m.slice = 0;
    s_zsend (fake, &m); /* its own slice, another slice's size */
    free (px);
    s_zsend (fake, &job); /* a Job, to the master */
    s_zsend (fake, &assign);
    assert_int_equal (zmq_send (fake, "a", 1, ZMQ_SNDMORE), 1); /* two frames */
    assert_int_equal (zmq_send (fake, "b", 1, 0), 1);
    /* A repeated Hello is answered with the Job again: once that is back,
     * the master has handled everything above (one connection, in order). */
    s_fake_hello (fake);
    app_baseline_msg_t again;
    assert_int_equal (s_zrecv (fake, APP_BASELINE_JOB, &geom, S_START_TIMEOUT_MS, &again), 0);

    /* Now a real worker: it must render all seven, the fake's three last. */
    s_spawn (0, "worker", "--connect", hostport, "--threads", "1", NULL);
    s_spawn (1, "render", "--quiet", "-o", ref, "--size", "160x90", "--iter", "300", NULL);
    s_expect_all_exit_0 ();
    s_expect_same_png (ref, out);
    const char *mo = s_procs[0].out;
    assert_int_equal (s_count (mo, "worker joined id="), 2);
    assert_int_equal (s_field (mo, "worker id=1 ", "slices"), 0);
    assert_int_equal (s_field (mo, "worker id=2 ", "slices"), 7);
    assert_int_equal (s_field (mo, "total ", "duplicates"), 0);
    assert_int_equal (s_field (mo, "total ", "dropped"), 8);
    /* The silent worker is told Done as well. */
    app_baseline_msg_t done;
    assert_int_equal (s_zrecv (fake, APP_BASELINE_DONE, &geom, S_START_TIMEOUT_MS, &done), 0);
}

/* A master that accepts the connection and never answers: the worker gives
 * up after --timeout-ms, exit 1, saying why. */
static void
test_worker_gives_up_on_a_silent_master (void **state)
{
    (void)state;
    void *router = s_zsocket (ZMQ_ROUTER);
    assert_int_equal (zmq_bind (router, "tcp://127.0.0.1:*"), 0);
    char last[128];
    size_t last_size = sizeof last;
    assert_int_equal (zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, last, &last_size), 0);
    uint64_t t0 = tu_now_ms ();
    s_spawn (1, "worker", "--connect", last + 6, "--threads", "1", "--timeout-ms", "300", NULL);
    if (!s_wait_until (s_all_finished, t0 + S_START_TIMEOUT_MS))
        fail_msg ("the worker still runs %d ms after a 300 ms timeout", S_START_TIMEOUT_MS);
    uint64_t took_ms = tu_now_ms () - t0;
    assert_int_equal (s_kids[0].status, 1);
    assert_true (took_ms >= 300);
    if (!strstr (s_procs[0].out, "no word from the master at tcp://127.0.0.1:") ||
        !strstr (s_procs[0].out, "300 ms"))
        fail_msg ("unclear message: %s", s_procs[0].out);
    /* It did reach us: the Hello is there. */
    zmq_pollitem_t item = { router, 0, ZMQ_POLLIN, 0 };
    assert_int_equal (zmq_poll (&item, 1, 0), 1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_round_trip_every_message),
        cmocka_unit_test (test_pixels_are_little_endian),
        cmocka_unit_test (test_reject_bad_envelopes),
        cmocka_unit_test (test_reject_bad_fields),
        cmocka_unit_test (test_reject_over_memory_budget),
        cmocka_unit_test (test_encode_refuses_invalid),
        cmocka_unit_test (test_queue_rotates_and_skips_held),
        cmocka_unit_test (test_queue_reissues_after_a_full_turn),
        cmocka_unit_test_setup_teardown (test_master_matches_render_mandelbrot, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_master_matches_render_julia, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_first_worker_waits_for_the_second, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_silent_worker_and_garbage_cost_nothing, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_worker_gives_up_on_a_silent_master, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
