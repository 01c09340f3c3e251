/* test_baseline.c: the client/server baseline. The codec (a round trip of
 * every message, little-endian pixels, and every kind of rejection) and the
 * master's rotating queue. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.pb-c.h"
#include "baseline_wire.h"
#include "kernel.h"
#include "params.h"
#include "slice.h"
#include "slice_queue.h"

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
    int y0, y1;
    app_baseline_slice_rows (&geom, 6, &y0, &y1);
    size_t n = (size_t)(y1 - y0) * (size_t)geom.width_px;
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
    pb.version = 1;
    size_t len = s_pack (&pb, buf, sizeof buf);
    app_baseline_msg_t d;
    s_decode_ok (buf, len, &geom, &d); /* the control: it is valid as it stands */
    pb.version = 2;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_EVERSION,
                     "version 2");
    pb.version = 0;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_EVERSION,
                     "no version");
    pb.version = 1;
    pb.body_case = P2PF__BASELINE__MSG__BODY__NOT_SET;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), &geom, APP_BASELINE_WIRE_ENOBODY,
                     "no body");

    /* Every strict prefix of a valid Result is refused. */
    int y0, y1;
    app_baseline_slice_rows (&geom, 2, &y0, &y1);
    size_t n = (size_t)(y1 - y0) * (size_t)geom.width_px;
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
    pb.version = 1;

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
    job.slices = 91;
    s_expect_reject (buf, s_pack (&pb, buf, sizeof buf), NULL, APP_BASELINE_WIRE_EBADFIELD,
                     "Job of more slices than rows");
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
    int y0, y1;
    app_baseline_slice_rows (&geom, 3, &y0, &y1);
    size_t bytes = (size_t)(y1 - y0) * (size_t)geom.width_px * 4;
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
    res.slice = 0; /* bands differ: 0 has 12 rows, 3 has 13 */
    app_baseline_slice_rows (&geom, 0, &y0, &y1);
    assert_int_not_equal ((size_t)(y1 - y0) * (size_t)geom.width_px * 4, bytes);
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
    buf[len++] = 0x08; /* version = 1 */
    buf[len++] = 0x01;
    while (len + 3 <= cap) {
        buf[len++] = 0xa0; /* field 100, varint */
        buf[len++] = 0x06;
        buf[len++] = 0x01;
    }
    s_expect_reject (buf, len, &geom, APP_BASELINE_WIRE_ECAP, "25,000 unknown fields");
    /* The control: a few unknown fields are accepted and ignored. */
    P2pf__Baseline__Msg pb = P2PF__BASELINE__MSG__INIT;
    P2pf__Baseline__Done done = P2PF__BASELINE__DONE__INIT;
    pb.version = 1;
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
    /* The skipped 0 and 1 kept their place at the head: 0 is done and
     * leaves, 1 goes to b, 3 is b's own, then 4 and 2 (b holds 2). Fewer
     * than asked: nothing else qualifies, and nothing is given twice. */
    s_expect_ids (ids, app_slice_queue_issue (q, b, 5, ids), "1,4");
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
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
