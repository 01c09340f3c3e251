/* test_jobmsg.c: jobs and the job protocol's codec (election/job.c) -- a
 * job's id and group, its spec round trip and the rejection of any spec
 * that is not canonical; every message kind round trip; el_msg_decode on
 * garbage, every prefix, wrong versions and bad fields; el_msg_check_job
 * against the job a message names (slice range, pixel count and values,
 * bitmap sizes).
 *
 * The seed of the garbage tests is printed; P2PF_SEED=<n> replays it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "kernel.h"
#include "rng.h"
#include "slice.h"
#include "test_util.h"
#include "tu_jobmsg.h"

static uint64_t s_seed;

/* A small job: 25 x 10 pixels, max_iter 200, in 4 tiles of 6 x 10 but
 * for slice 2 (render/slice.h: one row of tiles, numbered from the middle
 * out): 7 x 10. */
static void
s_view (rnd_view_t *view)
{
    rnd_view_default (view);
    view->center_re = -0.5;
    view->center_im = 0.0;
    view->width = 3.0;
    view->width_px = 25;
    view->height_px = 10;
    view->max_iter = 200;
}

static void
s_job (el_job_t *job, int slices)
{
    rnd_view_t view;
    s_view (&view);
    char err[256];
    if (el_job_init (job, &view, slices, 1000, err, sizeof err))
        fail_msg ("el_job_init: %s", err);
}

/* --- jobs ------------------------------------------------------------------ */

static void
test_job_ids_and_group (void **state)
{
    (void)state;
    el_job_t a, b, c;
    s_job (&a, 4);
    s_job (&b, 4);
    s_job (&c, 5);
    assert_int_equal (a.slices, 4);
    assert_true (ovl_id_eq (a.id, b.id));
    assert_false (ovl_id_eq (a.id, c.id)); /* K is part of the job */
    char name[8 + OVL_ID_HEX_LEN];
    memcpy (name, "job/", 4);
    ovl_id_hex (a.id, name + 4);
    assert_true (ovl_id_eq (a.group, ovl_id_from_name (name, strlen (name))));
    /* the stamp orders jobs; it is not part of the id */
    el_job_t d;
    rnd_view_t view;
    s_view (&view);
    assert_int_equal (el_job_init (&d, &view, 4, 2000, NULL, 0), 0);
    assert_true (ovl_id_eq (a.id, d.id));
    assert_true (el_job_newer (&d, &a));
    assert_false (el_job_newer (&a, &d));
    assert_false (el_job_newer (&a, &a));
    /* equal stamps: the higher id wins, one way only */
    c.stamp = a.stamp;
    assert_true (el_job_newer (&a, &c) != el_job_newer (&c, &a));
    /* slices: 0 derives the count from the size (16 at least for a small
     * image); tiles cover the image once (tests/test_slice.c has more) */
    el_job_t e;
    assert_int_equal (el_job_init (&e, &view, 0, 0, NULL, 0), 0);
    assert_int_equal (e.slices, RND_SLICES_MIN_DERIVED);
    int cover[250] = { 0 };
    size_t px = 0;
    for (uint32_t i = 0; i < a.slices; i++) {
        rnd_rect_t r = el_job_slice_rect (&a, i);
        assert_true (r.x1 > r.x0 && r.y1 > r.y0);
        for (int y = r.y0; y < r.y1; y++)
            for (int x = r.x0; x < r.x1; x++)
                cover[y * 25 + x]++;
        px += el_job_slice_px (&a, i);
    }
    for (int i = 0; i < 250; i++)
        assert_int_equal (cover[i], 1);
    assert_int_equal (px, 250);
    assert_int_equal (el_job_bitmap_bytes (&a), 1);
    assert_int_equal (el_job_bitmap_bytes (&e), 2);
}

static void
test_job_init_rejects (void **state)
{
    (void)state;
    el_job_t job;
    rnd_view_t view;
    char err[256];
    s_view (&view);
    assert_int_equal (el_job_init (&job, &view, -1, 0, err, sizeof err), -1);
    assert_non_null (strstr (err, "slices"));
    assert_int_equal (el_job_init (&job, &view, RND_SLICES_MAX + 1, 0, err, sizeof err), -1);
    view.max_iter = 0;
    assert_int_equal (el_job_init (&job, &view, 4, 0, err, sizeof err), -1);
    s_view (&view);
    view.bailout = 1.0;
    assert_int_equal (el_job_init (&job, &view, 4, 0, err, sizeof err), -1);
    /* one slice of 8192 x 8192 floats cannot travel in one message */
    s_view (&view);
    view.width_px = 8192;
    view.height_px = 8192;
    assert_int_equal (el_job_init (&job, &view, 1, 0, err, sizeof err), -1);
    assert_non_null (strstr (err, "16 MiB"));
    assert_int_equal (el_job_init (&job, &view, 4096, 0, err, sizeof err), 0);
}

/* The job id hashes the centre's every digit: two views that differ only
 * in the 1000th digit are two jobs, and a spec carries all digits. */
static void
test_job_id_hashes_digits (void **state)
{
    (void)state;
    static char re[1100];
    memcpy (re, "-0.", 3);
    for (int i = 0; i < 1000; i++)
        re[3 + i] = (char)('1' + i % 9);
    re[1003] = '\0';
    rnd_view_t view;
    s_view (&view);
    assert_int_equal (rnd_view_set_center_text (&view, re, "0.25"), 0);
    el_job_t a, b, back;
    char err[256];
    if (el_job_init (&a, &view, 4, 1000, err, sizeof err))
        fail_msg ("el_job_init: %s", err);
    re[1002] = re[1002] == '1' ? '2' : '1';
    assert_int_equal (rnd_view_set_center_text (&view, re, "0.25"), 0);
    if (el_job_init (&b, &view, 4, 1000, err, sizeof err))
        fail_msg ("el_job_init: %s", err);
    assert_false (ovl_id_eq (a.id, b.id));
    assert_non_null (strstr (b.params, re));
    P2pf__JobSpec spec;
    uint8_t origin[16];
    el_job_to_spec (&b, &spec, origin);
    if (el_job_from_spec (&back, &spec, err, sizeof err))
        fail_msg ("el_job_from_spec: %s", err);
    assert_true (ovl_id_eq (b.id, back.id));
    assert_string_equal (back.view.center_re_text, re);
}

static void
test_job_spec_round_trip (void **state)
{
    (void)state;
    el_job_t a, b;
    s_job (&a, 4);
    P2pf__JobSpec spec;
    uint8_t ob[16];
    a.has_origin = 1;
    a.origin = ovl_id_from_bytes ((const uint8_t *)"0123456789abcdef");
    el_job_to_spec (&a, &spec, ob);
    /* through the wire as well: pack, unpack */
    size_t len = protobuf_c_message_get_packed_size (&spec.base);
    uint8_t *buf = malloc (len);
    assert_non_null (buf);
    protobuf_c_message_pack (&spec.base, buf);
    P2pf__JobSpec *back = p2pf__job_spec__unpack (NULL, len, buf);
    assert_non_null (back);
    char err[256];
    if (el_job_from_spec (&b, back, err, sizeof err))
        fail_msg ("el_job_from_spec: %s", err);
    assert_true (ovl_id_eq (a.id, b.id));
    assert_true (ovl_id_eq (a.group, b.group));
    assert_int_equal (a.slices, b.slices);
    assert_true (a.stamp == b.stamp);
    assert_string_equal (a.params, b.params);
    assert_memory_equal (&a.view, &b.view, sizeof a.view);
    /* who started it travels, outside the id */
    assert_true (b.has_origin);
    assert_true (ovl_id_eq (a.origin, b.origin));
    back->origin.len = 5;
    assert_int_equal (el_job_from_spec (&b, back, err, sizeof err), -1);
    p2pf__job_spec__free_unpacked (back, NULL);
    free (buf);

    /* a Julia job, an odd size, K = H: also round trips */
    rnd_view_t view;
    s_view (&view);
    view.fractal = RND_FRACTAL_JULIA;
    view.julia_re = -0.8;
    view.julia_im = 0.156;
    view.height_px = 7;
    assert_int_equal (el_job_init (&a, &view, 7, 5, NULL, 0), 0);
    el_job_to_spec (&a, &spec, ob);
    assert_int_equal (el_job_from_spec (&b, &spec, err, sizeof err), 0);
    assert_true (ovl_id_eq (a.id, b.id));
}

/* A spec of params text (copied) and K. */
static int
s_from_text (const char *text, uint32_t slices, char *err, size_t err_size)
{
    P2pf__JobSpec spec = P2PF__JOB_SPEC__INIT;
    spec.params = (char *)text;
    spec.slices = slices;
    el_job_t job;
    return el_job_from_spec (&job, &spec, err, err_size);
}

/* Replace the first `from` in canonical text by `to`. */
static void
s_edit (char *out, size_t size, const char *text, const char *from, const char *to)
{
    const char *at = strstr (text, from);
    assert_non_null (at);
    snprintf (out, size, "%.*s%s%s", (int)(at - text), text, to, at + strlen (from));
}

static void
test_job_spec_rejects_noncanonical (void **state)
{
    (void)state;
    el_job_t a;
    s_job (&a, 4);
    char text[2 * RND_PARAMS_FORMAT_MAX], err[256];
    assert_int_equal (s_from_text (a.params, 4, err, sizeof err), 0);

    /* the same view, written another way: parses, but names no job */
    const char *same[][2] = {
        { "center_re=-0.5\n", "center_re=-0.50\n" },     /* another spelling of a number */
        { "center_re=-0.5\n", "center_re = -0.5\n" },    /* whitespace */
        { "center_re=-0.5\n", "center_re=-0.5\r\n" },    /* CRLF */
        { "center_re=-0.5\n", "# c\ncenter_re=-0.5\n" }, /* a comment */
        { "center_re=-0.5\n", "" },                      /* a key left to its default */
        { "palette=default\n", "palette=default\n\n" },  /* a blank line */
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        s_edit (text, sizeof text, a.params, same[i][0], same[i][1]);
        if (s_from_text (text, 4, err, sizeof err) != -1)
            fail_msg ("variant %zu was accepted:\n%s", i, text);
        if (i < 4 && !strstr (err, "canonical"))
            fail_msg ("variant %zu: %s", i, err);
    }
    /* the order of keys is part of the form */
    {
        const char *w = strstr (a.params, "width=");
        const char *sz = strstr (a.params, "size=");
        const char *mi = strstr (a.params, "max_iter=");
        assert_true (w && sz && mi && w < sz && sz < mi);
        snprintf (text, sizeof text, "%.*s%.*s%.*s%s", (int)(w - a.params), a.params,
                  (int)(mi - sz), sz, (int)(sz - w), w, mi);
        assert_int_equal (s_from_text (text, 4, err, sizeof err), -1);
    }
    /* not a view at all, or one that does not validate */
    assert_int_equal (s_from_text ("", 4, err, sizeof err), -1);
    assert_int_equal (s_from_text ("hello\n", 4, err, sizeof err), -1);
    s_edit (text, sizeof text, a.params, "max_iter=200", "max_iter=0");
    assert_int_equal (s_from_text (text, 4, err, sizeof err), -1);
    s_edit (text, sizeof text, a.params, "max_iter=200", "max_iter=200\nmax_iter=200");
    assert_int_equal (s_from_text (text, 4, err, sizeof err), -1);
    /* slice counts: 0, above the pixels, above the cap; a pixel a tile */
    assert_int_equal (s_from_text (a.params, 0, err, sizeof err), -1);
    assert_int_equal (s_from_text (a.params, 251, err, sizeof err), -1);
    assert_int_equal (s_from_text (a.params, RND_SLICES_MAX + 1, err, sizeof err), -1);
    assert_int_equal (s_from_text (a.params, 250, err, sizeof err), 0);
    /* no text; text as long as the cap */
    P2pf__JobSpec spec = P2PF__JOB_SPEC__INIT;
    spec.slices = 4;
    spec.params = NULL;
    assert_int_equal (el_job_from_spec (&a, &spec, err, sizeof err), -1);
    char *big = malloc (RND_PARAMS_FORMAT_MAX + 10);
    assert_non_null (big);
    memset (big, '#', RND_PARAMS_FORMAT_MAX + 9);
    big[RND_PARAMS_FORMAT_MAX + 9] = '\0';
    spec.params = big;
    assert_int_equal (el_job_from_spec (&a, &spec, err, sizeof err), -1);
    free (big);
}

/* --- messages -------------------------------------------------------------- */

/* One message of every kind about s_m.job (tu_jobmsg.h): the job of 4
 * slices, naming "candidate" at sim:7. */
static tu_jobmsg_t s_m;

#define s_kinds tu_jobmsg_kinds
#define S_KINDS TU_JOBMSG_KINDS
/* Slice 1's pixels: a tile of 6 x 10. */
#define S_PX (6 * 10)
#define S_PX_BYTES (S_PX * sizeof (float))

/* A valid message of kind k for s_m.job (slice 1: a tile of 6 x 10). */
static void
s_msg (P2pf__JobMsg *m, P2pf__JobMsg__KindCase k)
{
    el_job_t job;
    s_job (&job, 4);
    ovl_handle_t who;
    memset (&who, 0, sizeof who);
    who.id = ovl_id_from_name ("candidate", 9);
    snprintf (who.addr, sizeof who.addr, "sim:7");
    if (tu_jobmsg_build (&s_m, m, k, &job, &who) != 0)
        fail_msg ("kind %d", (int)k);
    assert_int_equal (s_m.n_px * sizeof (float), S_PX_BYTES);
}

/* Encode m; the buffer is malloc'd. */
static uint8_t *
s_encode (const P2pf__JobMsg *m, size_t *len)
{
    uint8_t *buf = el_msg_encode (m, len);
    assert_non_null (buf);
    return buf;
}

/* What decode says of m once encoded; the message is freed. */
static el_msg_error_t
s_decode_why (const P2pf__JobMsg *m)
{
    size_t len;
    uint8_t *buf = s_encode (m, &len);
    el_msg_error_t why = EL_MSG_NERRORS;
    P2pf__JobMsg *d = el_msg_decode (buf, len, &why);
    assert_true ((d != NULL) == (why == EL_MSG_OK));
    el_msg_free (&d);
    assert_null (d);
    free (buf);
    return why;
}

/* What check_job says of m after a round trip through the codec. */
static el_msg_error_t
s_check_why (const P2pf__JobMsg *m, const el_job_t *job)
{
    size_t len;
    uint8_t *buf = s_encode (m, &len);
    el_msg_error_t why;
    P2pf__JobMsg *d = el_msg_decode (buf, len, &why);
    free (buf);
    if (!d)
        fail_msg ("decode: %s", el_msg_strerror (why));
    why = el_msg_check_job (d, job);
    el_msg_free (&d);
    return why;
}

/* An anti-aliased job (samples 2): its own id (a 1-sample job's text has
 * no samples line, so its id is the one it always had), the samples
 * through a spec, slices that are the K-scaled tiles of the sample grid,
 * SliceData that must carry K x K values a pixel, and the message-size
 * rule applied to those. */
static void
test_job_samples (void **state)
{
    (void)state;
    rnd_view_t view;
    s_view (&view);
    el_job_t one, two, back;
    char err[256];
    assert_int_equal (el_job_init (&one, &view, 4, 1000, err, sizeof err), 0);
    assert_null (strstr (one.params, "samples"));
    view.samples = 2;
    assert_int_equal (el_job_init (&two, &view, 4, 1000, err, sizeof err), 0);
    assert_false (ovl_id_eq (one.id, two.id));
    assert_non_null (strstr (two.params, "\nsamples=2\n"));
    P2pf__JobSpec spec;
    uint8_t ob[16];
    el_job_to_spec (&two, &spec, ob);
    assert_int_equal (el_job_from_spec (&back, &spec, err, sizeof err), 0);
    assert_true (ovl_id_eq (two.id, back.id));
    assert_int_equal (back.view.samples, 2);
    assert_int_equal (el_job_values (&back), 50 * 20);
    size_t total = 0;
    for (uint32_t i = 0; i < two.slices; i++) {
        rnd_rect_t t = rnd_slice_rect (25, 10, 4, (int)i), r = el_job_slice_rect (&two, i);
        assert_int_equal (r.x0, 2 * t.x0);
        assert_int_equal (r.y0, 2 * t.y0);
        assert_int_equal (r.x1, 2 * t.x1);
        assert_int_equal (r.y1, 2 * t.y1);
        assert_int_equal (el_job_slice_px (&two, i), 4 * rnd_rect_px (t));
        total += el_job_slice_px (&two, i);
    }
    assert_int_equal (total, el_job_values (&two));
    /* SliceData of slice 0: a pixel's worth of values is not enough. */
    size_t n = el_job_slice_px (&two, 0);
    float *px = malloc (n * sizeof *px);
    assert_non_null (px);
    for (size_t i = 0; i < n; i++)
        px[i] = 1.5f;
    uint8_t id[16], by[16] = { 1 };
    ovl_id_to_bytes (two.id, id);
    P2pf__JobMsg m = P2PF__JOB_MSG__INIT;
    P2pf__SliceData sd = P2PF__SLICE_DATA__INIT;
    m.version = EL_MSG_VERSION;
    m.job.data = id;
    m.job.len = 16;
    m.kind_case = P2PF__JOB_MSG__KIND_SLICE_DATA;
    m.slice_data = &sd;
    sd.computed_by.data = by;
    sd.computed_by.len = 16;
    sd.pixels.data = (uint8_t *)px;
    sd.pixels.len = n * sizeof *px;
    assert_int_equal (s_check_why (&m, &two), EL_MSG_OK);
    sd.pixels.len = n / 4 * sizeof *px;
    assert_int_equal (s_check_why (&m, &two), EL_MSG_EJOB);
    free (px);
    /* A slice must fit in a message with its K x K values a pixel: 6
     * tiles of a 4096x4096 image fit at 1 sample, not at 2. */
    view.width_px = view.height_px = 4096;
    assert_int_equal (el_job_init (&two, &view, 6, 0, err, sizeof err), -1);
    assert_non_null (strstr (err, "slices:"));
    assert_int_equal (el_job_init (&two, &view, 24, 0, err, sizeof err), 0);
}

static void
test_msg_round_trip_every_kind (void **state)
{
    (void)state;
    for (int i = 0; i < S_KINDS; i++) {
        P2pf__JobMsg m;
        s_msg (&m, s_kinds[i]);
        size_t len;
        uint8_t *buf = s_encode (&m, &len);
        el_msg_error_t why;
        P2pf__JobMsg *d = el_msg_decode (buf, len, &why);
        if (!d)
            fail_msg ("kind %d: %s", (int)s_kinds[i], el_msg_strerror (why));
        assert_int_equal (why, EL_MSG_OK);
        assert_int_equal (d->kind_case, s_kinds[i]);
        assert_int_equal (el_msg_check_job (d, &s_m.job), EL_MSG_OK);
        /* re-encoding the decoded message gives the same bytes */
        size_t len2;
        uint8_t *buf2 = s_encode (d, &len2);
        assert_int_equal (len, len2);
        assert_memory_equal (buf, buf2, len);
        if (s_kinds[i] == P2PF__JOB_MSG__KIND_SLICE_DATA)
            assert_memory_equal (d->slice_data->pixels.data, s_m.px, S_PX_BYTES);
        if (s_kinds[i] == P2PF__JOB_MSG__KIND_ELECTED) {
            ovl_handle_t h;
            ovl_wire_handle_get (d->elected->master, &h);
            assert_true (ovl_handle_eq (&h, &s_m.who));
            assert_string_equal (d->elected->reason, "master lost");
            assert_int_equal (d->elected->previous.len, 16);
            assert_memory_equal (d->elected->previous.data, s_m.by, 16);
            assert_int_equal (d->elected->detected_ms, 310);
        }
        if (s_kinds[i] == P2PF__JOB_MSG__KIND_NOMINATION) {
            assert_string_equal (d->nomination->reason, "handover: master was root");
            assert_int_equal (d->nomination->previous.len, 16);
            assert_int_equal (d->nomination->detected_ms, 300);
        }
        if (s_kinds[i] == P2PF__JOB_MSG__KIND_HEARTBEAT)
            assert_int_equal (d->heartbeat->took_over_ms, 264);
        el_msg_free (&d);
        el_msg_free (&d); /* idempotent */
        free (buf);
        free (buf2);
    }
    el_msg_free (NULL);
    for (int e = 0; e <= EL_MSG_NERRORS; e++)
        assert_non_null (el_msg_strerror ((el_msg_error_t)e));
}

static void
test_decode_rejects_version_and_fields (void **state)
{
    (void)state;
    P2pf__JobMsg m;
    for (int i = 0; i < S_KINDS; i++) {
        s_msg (&m, s_kinds[i]);
        m.version = 0; /* absent */
        assert_int_equal (s_decode_why (&m), EL_MSG_EVERSION);
        m.version = EL_MSG_VERSION + 1;
        assert_int_equal (s_decode_why (&m), EL_MSG_EVERSION);
        m.version = 0xffffffffu;
        assert_int_equal (s_decode_why (&m), EL_MSG_EVERSION);
        /* a job id of the wrong size, or none (only JobQuery goes without) */
        s_msg (&m, s_kinds[i]);
        if (s_kinds[i] != P2PF__JOB_MSG__KIND_JOB_QUERY) {
            m.job.len = 15;
            assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
            m.job.len = 0;
            assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
        }
    }
    /* no kind at all */
    s_msg (&m, P2PF__JOB_MSG__KIND_HEARTBEAT);
    m.kind_case = P2PF__JOB_MSG__KIND__NOT_SET;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);

    /* per kind */
    s_msg (&m, P2PF__JOB_MSG__KIND_ANNOUNCE);
    s_m.announce.spec = NULL;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_msg (&m, P2PF__JOB_MSG__KIND_MASTER_RESPONSE);
    s_m.master_response.spec = NULL;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_msg (&m, P2PF__JOB_MSG__KIND_MASTER_RESPONSE);
    s_m.master_response.master = NULL; /* no master: allowed */
    assert_int_equal (s_decode_why (&m), EL_MSG_OK);
    s_m.master_response.master = &s_m.handle;
    s_m.handle.addr = "";
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    /* holders: at most EL_MSG_HOLDERS_MAX, each a valid handle */
    s_msg (&m, P2PF__JOB_MSG__KIND_MASTER_RESPONSE);
    P2pf__NodeHandle *hs[EL_MSG_HOLDERS_MAX + 1];
    for (int i = 0; i <= EL_MSG_HOLDERS_MAX; i++)
        hs[i] = &s_m.handle;
    s_m.master_response.holders = hs;
    s_m.master_response.n_holders = EL_MSG_HOLDERS_MAX;
    assert_int_equal (s_decode_why (&m), EL_MSG_OK);
    s_m.master_response.n_holders = EL_MSG_HOLDERS_MAX + 1;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_m.master_response.n_holders = 1;
    s_m.master_response.master = NULL; /* only the holder is bad */
    assert_int_equal (s_decode_why (&m), EL_MSG_OK);
    s_m.handle.addr = "";
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);

    s_msg (&m, P2PF__JOB_MSG__KIND_WORK_REQUEST);
    s_m.work_request.n = 0;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_m.work_request.n = EL_MSG_SLICES_MAX + 1;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_m.work_request.n = EL_MSG_SLICES_MAX;
    assert_int_equal (s_decode_why (&m), EL_MSG_OK);
    uint32_t many[EL_MSG_SLICES_MAX + 1] = { 0 };
    s_m.work_request.have = many;
    s_m.work_request.n_have = EL_MSG_SLICES_MAX + 1;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);

    s_msg (&m, P2PF__JOB_MSG__KIND_WORK_ASSIGN);
    s_m.work_assign.slices = many;
    s_m.work_assign.n_slices = EL_MSG_SLICES_MAX + 1;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_m.work_assign.n_slices = EL_MSG_SLICES_MAX;
    assert_int_equal (s_decode_why (&m), EL_MSG_OK);
    s_msg (&m, P2PF__JOB_MSG__KIND_WORK_RETURN);
    s_m.work_return.slices = many;
    s_m.work_return.n_slices = EL_MSG_SLICES_MAX + 1;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_msg (&m, P2PF__JOB_MSG__KIND_SLICE_REQUEST);
    s_m.slice_request.n_slices = 0;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_m.slice_request.slices = many;
    s_m.slice_request.n_slices = EL_MSG_SLICES_MAX + 1;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);

    s_msg (&m, P2PF__JOB_MSG__KIND_SLICE_DATA);
    s_m.slice_data.computed_by.len = 8;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);

    /* reasons: printable ASCII, at most EL_REASON_MAX bytes */
    char reason[EL_REASON_MAX + 2];
    memset (reason, 'r', sizeof reason - 1);
    reason[EL_REASON_MAX + 1] = '\0';
    s_msg (&m, P2PF__JOB_MSG__KIND_ELECTION_QUERY);
    s_m.election_query.reason = reason;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    reason[EL_REASON_MAX] = '\0';
    assert_int_equal (s_decode_why (&m), EL_MSG_OK);
    s_m.election_query.reason = "bad\nreason";
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_m.election_query.reason = "\x7f";
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_msg (&m, P2PF__JOB_MSG__KIND_ELECTED);
    s_m.elected.reason = "caf\xc3\xa9";
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_msg (&m, P2PF__JOB_MSG__KIND_ELECTED);
    s_m.elected.master = NULL;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);

    /* a nomination's cause is a reason too; the master it lost, and the
     * one an election replaced, are 16-byte ids or nothing */
    s_msg (&m, P2PF__JOB_MSG__KIND_NOMINATION);
    s_m.nomination.reason = "bad\nreason";
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_msg (&m, P2PF__JOB_MSG__KIND_NOMINATION);
    s_m.nomination.previous.len = 4;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_msg (&m, P2PF__JOB_MSG__KIND_NOMINATION);
    s_m.nomination.previous.len = 0;
    assert_int_equal (s_decode_why (&m), EL_MSG_OK);
    s_msg (&m, P2PF__JOB_MSG__KIND_ELECTED);
    s_m.elected.previous.len = 15;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);

    /* handles: a 16-byte id and a printable address */
    s_msg (&m, P2PF__JOB_MSG__KIND_NOMINATION);
    s_m.nomination.candidate = NULL;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_msg (&m, P2PF__JOB_MSG__KIND_NOMINATION);
    s_m.handle.id.len = 4;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_msg (&m, P2PF__JOB_MSG__KIND_NOMINATION);
    char addr[OVL_ADDR_MAX + 1];
    memset (addr, 'a', OVL_ADDR_MAX);
    addr[OVL_ADDR_MAX] = '\0';
    s_m.handle.addr = addr;
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
    s_m.handle.addr = "sim:\x01";
    assert_int_equal (s_decode_why (&m), EL_MSG_EBADFIELD);
}

static void
test_decode_garbage_and_prefixes (void **state)
{
    (void)state;
    el_msg_error_t why;
    assert_null (el_msg_decode (NULL, 0, &why)); /* empty: no version */
    assert_int_not_equal (why, EL_MSG_OK);
    uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
    assert_null (el_msg_decode (junk, sizeof junk, &why));
    assert_int_equal (why, EL_MSG_EDECODE);
    assert_null (el_msg_decode (junk, sizeof junk, NULL)); /* why is optional */

    /* Every prefix of every kind: a message cut inside a field does not
     * decode; one cut between fields may (protobuf cannot tell), but then
     * it must pass decode's own checks like any other. */
    for (int i = 0; i < S_KINDS; i++) {
        P2pf__JobMsg m;
        s_msg (&m, s_kinds[i]);
        size_t len;
        uint8_t *buf = s_encode (&m, &len);
        for (size_t cut = 0; cut < len; cut++) {
            uint8_t *pre = malloc (cut ? cut : 1); /* exact size: ASan sees over-reads */
            memcpy (pre, buf, cut);
            P2pf__JobMsg *d = el_msg_decode (pre, cut, &why);
            assert_true ((d != NULL) == (why == EL_MSG_OK));
            el_msg_free (&d);
            free (pre);
        }
        /* the job protocol's slices are the bulk: cut inside the pixels */
        if (s_kinds[i] == P2PF__JOB_MSG__KIND_SLICE_DATA) {
            assert_null (el_msg_decode (buf, len - 1, &why));
            assert_int_equal (why, EL_MSG_EDECODE);
            assert_null (el_msg_decode (buf, len / 2, &why));
            assert_int_equal (why, EL_MSG_EDECODE);
        }
        free (buf);
    }

    /* Random bytes and random mutations of valid messages: decode never
     * crashes and never returns a message its own checks would refuse. */
    ovl_rng_t rng;
    ovl_rng_seed (&rng, s_seed);
    int accepted = 0;
    for (int round = 0; round < 20000; round++) {
        uint8_t tmp[512];
        size_t len;
        uint8_t *buf;
        if (round & 1) {
            len = (size_t)ovl_rng_below (&rng, sizeof tmp);
            buf = malloc (len ? len : 1);
            for (size_t k = 0; k < len; k++)
                buf[k] = (uint8_t)ovl_rng_next (&rng);
        } else {
            P2pf__JobMsg m;
            s_msg (&m, s_kinds[ovl_rng_below (&rng, S_KINDS)]);
            buf = s_encode (&m, &len);
            int flips = 1 + (int)ovl_rng_below (&rng, 4);
            for (int f = 0; f < flips && len; f++)
                buf[ovl_rng_below (&rng, len)] ^= (uint8_t)(1u << ovl_rng_below (&rng, 8));
        }
        P2pf__JobMsg *d = el_msg_decode (buf, len, &why);
        assert_true ((d != NULL) == (why == EL_MSG_OK));
        if (d) {
            accepted++;
            assert_int_equal (d->version, EL_MSG_VERSION);
            /* and checking it against a job never crashes either */
            (void)el_msg_check_job (d, &s_m.job);
        }
        el_msg_free (&d);
        free (buf);
    }
    print_message ("test_jobmsg: %d of 20000 mangled messages still decoded\n", accepted);
}

static void
test_check_job_rejects (void **state)
{
    (void)state;
    P2pf__JobMsg m;
    el_job_t *job = &s_m.job;
    s_msg (&m, P2PF__JOB_MSG__KIND_SLICE_DATA);
    assert_int_equal (s_check_why (&m, job), EL_MSG_OK);

    /* slice out of range */
    s_m.slice_data.slice = 4;
    assert_int_equal (s_check_why (&m, job), EL_MSG_EJOB);
    s_m.slice_data.slice = 0xffffffffu;
    assert_int_equal (s_check_why (&m, job), EL_MSG_EJOB);
    /* slice 2 is 7 x 10, not the 6 x 10 these pixels are */
    assert_int_equal (el_job_slice_px (job, 2), 70);
    s_m.slice_data.slice = 2;
    assert_int_equal (s_check_why (&m, job), EL_MSG_EJOB);

    /* wrong pixel counts: one float short or over, not a whole float, none */
    s_msg (&m, P2PF__JOB_MSG__KIND_SLICE_DATA);
    s_m.slice_data.pixels.len = S_PX_BYTES - sizeof (float);
    assert_int_equal (s_check_why (&m, job), EL_MSG_EJOB);
    s_m.slice_data.pixels.len = S_PX_BYTES - 1;
    assert_int_equal (s_check_why (&m, job), EL_MSG_EJOB);
    s_m.slice_data.pixels.len = 0;
    assert_int_equal (s_check_why (&m, job), EL_MSG_EJOB);
    float more[S_PX + 1];
    memcpy (more, s_m.px, S_PX_BYTES);
    more[S_PX] = 5.5f;
    s_m.slice_data.pixels.data = (uint8_t *)more;
    s_m.slice_data.pixels.len = sizeof more;
    assert_int_equal (s_check_why (&m, job), EL_MSG_EJOB);

    /* pixel values no kernel yields, anywhere in the slice; the boundary
     * values a kernel does yield pass */
    const float bad[] = { NAN,    -NAN,  INFINITY, -INFINITY, 0.0f,   -0.0f, 0.5f,
                          0.999f, -0.5f, -2.0f,    201.0f,    201.5f, 1e30f, -1e30f };
    const float good[] = { RND_INTERIOR, 1.0f, 1.5f, 200.0f, 200.99f };
    int spots[] = { 0, 37, S_PX - 1 };
    for (size_t s = 0; s < sizeof spots / sizeof spots[0]; s++) {
        for (size_t v = 0; v < sizeof bad / sizeof bad[0]; v++) {
            s_msg (&m, P2PF__JOB_MSG__KIND_SLICE_DATA);
            s_m.px[spots[s]] = bad[v];
            if (s_check_why (&m, job) != EL_MSG_EJOB)
                fail_msg ("pixel %d = %g was accepted", spots[s], (double)bad[v]);
        }
        for (size_t v = 0; v < sizeof good / sizeof good[0]; v++) {
            s_msg (&m, P2PF__JOB_MSG__KIND_SLICE_DATA);
            s_m.px[spots[s]] = good[v];
            if (s_check_why (&m, job) != EL_MSG_OK)
                fail_msg ("pixel %d = %g was refused", spots[s], (double)good[v]);
        }
    }
    /* garbage bytes where the pixels go: almost surely refused, and never
     * a crash (a float from random bits is most often far outside 1..201) */
    s_msg (&m, P2PF__JOB_MSG__KIND_SLICE_DATA);
    ovl_rng_t rng;
    ovl_rng_seed (&rng, s_seed + 1);
    for (size_t k = 0; k < S_PX_BYTES; k++)
        ((uint8_t *)s_m.px)[k] = (uint8_t)ovl_rng_next (&rng);
    assert_int_equal (s_check_why (&m, job), EL_MSG_EJOB);

    /* slice lists: every entry must be < K */
    P2pf__JobMsg__KindCase lists[] = { P2PF__JOB_MSG__KIND_WORK_REQUEST,
                                       P2PF__JOB_MSG__KIND_WORK_ASSIGN,
                                       P2PF__JOB_MSG__KIND_WORK_RETURN,
                                       P2PF__JOB_MSG__KIND_SLICE_REQUEST };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        s_msg (&m, lists[i]);
        assert_int_equal (s_check_why (&m, job), EL_MSG_OK);
        s_m.list[0] = 4;
        assert_int_equal (s_check_why (&m, job), EL_MSG_EJOB);
        s_m.list[0] = 0xffffffffu;
        assert_int_equal (s_check_why (&m, job), EL_MSG_EJOB);
    }

    /* bitmaps of ceil(K/8) bytes, queue heads < K */
    uint8_t wide[2] = { 0, 0 };
    s_msg (&m, P2PF__JOB_MSG__KIND_HEARTBEAT);
    s_m.heartbeat.done.data = wide;
    s_m.heartbeat.done.len = 2;
    assert_int_equal (s_check_why (&m, job), EL_MSG_EJOB);
    s_m.heartbeat.done.len = 0;
    assert_int_equal (s_check_why (&m, job), EL_MSG_EJOB);
    s_msg (&m, P2PF__JOB_MSG__KIND_HEARTBEAT);
    s_m.heartbeat.queue_head = 4;
    assert_int_equal (s_check_why (&m, job), EL_MSG_EJOB);
    s_msg (&m, P2PF__JOB_MSG__KIND_MASTER_RESPONSE);
    s_m.master_response.done.data = wide;
    s_m.master_response.done.len = 2;
    assert_int_equal (s_check_why (&m, job), EL_MSG_EJOB);
    s_msg (&m, P2PF__JOB_MSG__KIND_MASTER_RESPONSE);
    s_m.master_response.queue_head = 4;
    assert_int_equal (s_check_why (&m, job), EL_MSG_EJOB);

    /* a bigger job: its own bitmap size (K = 10: two bytes) */
    el_job_t big;
    s_job (&big, 10);
    s_msg (&m, P2PF__JOB_MSG__KIND_HEARTBEAT);
    assert_int_equal (s_check_why (&m, &big), EL_MSG_EJOB);
    s_m.heartbeat.done.data = wide;
    s_m.heartbeat.done.len = 2;
    assert_int_equal (s_check_why (&m, &big), EL_MSG_OK);
}

static void
test_encode_caps (void **state)
{
    (void)state;
    P2pf__JobMsg m;
    s_msg (&m, P2PF__JOB_MSG__KIND_SLICE_DATA);
    size_t big = OVL_WIRE_PAYLOAD_MAX + 1;
    uint8_t *px = calloc (1, big);
    assert_non_null (px);
    s_m.slice_data.pixels.data = px;
    s_m.slice_data.pixels.len = big;
    size_t len = 0;
    assert_null (el_msg_encode (&m, &len));
    /* the largest slice a job allows does travel */
    rnd_view_t view;
    s_view (&view);
    view.width_px = 4096;
    view.height_px = 4096;
    el_job_t job;
    /* 2x2 or 2+3 tiles of 2048x2048 px (16 MiB) are too big; 2x3 fit */
    assert_int_equal (el_job_init (&job, &view, 4, 0, NULL, 0), -1);
    assert_int_equal (el_job_init (&job, &view, 5, 0, NULL, 0), -1);
    assert_int_equal (el_job_init (&job, &view, 6, 0, NULL, 0), 0);
    s_m.slice_data.pixels.len = rnd_slice_px_max (4096, 4096, 6) * sizeof (float);
    assert_int_equal (s_m.slice_data.pixels.len, 1366 * 2048 * sizeof (float));
    uint8_t *buf = el_msg_encode (&m, &len);
    assert_non_null (buf);
    assert_true (len <= OVL_WIRE_PAYLOAD_MAX);
    free (buf);
    free (px);
}

int
main (void)
{
    s_seed = tu_seed ("test_jobmsg");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_job_ids_and_group),
        cmocka_unit_test (test_job_init_rejects),
        cmocka_unit_test (test_job_spec_round_trip),
        cmocka_unit_test (test_job_samples),
        cmocka_unit_test (test_job_id_hashes_digits),
        cmocka_unit_test (test_job_spec_rejects_noncanonical),
        cmocka_unit_test (test_msg_round_trip_every_kind),
        cmocka_unit_test (test_decode_rejects_version_and_fields),
        cmocka_unit_test (test_decode_garbage_and_prefixes),
        cmocka_unit_test (test_check_job_rejects),
        cmocka_unit_test (test_encode_caps),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
