/* test_refhash.c: the reference-orbit hash of deep jobs in the job
 * protocol (election/, one el_peer_t driven by hand). Every peer computes
 * the orbit itself and puts its hash in the slices it sends; a receiver
 * whose own orbit hashes otherwise rejects the slice -- at once when it
 * knows its hash, or when the check computed with its orbit comes back --
 * counts it, says once which peer disagrees, and ignores that peer for the
 * rest of the job. A slice that agrees is checked and stored as before,
 * and a malformed hash does not decode. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deep_views.h"
#include "peer.h"
#include "test_util.h"
#include "tu_jobmsg.h"

/* What the peer asked of its driver. */
typedef struct {
    int rejected;               /* EL_EV_SLICE_REJECTED raised */
    char reason[64];            /* the last one's reason */
    ovl_id_t rejected_from;     /* and sender */
    int n_checks;               /* checks asked */
    uint64_t token;             /* the last one's token */
    rnd_xy_t px[8];             /* and pixels */
    size_t n_px;                /* (count) */
    uint8_t published[1 << 16]; /* the last SliceData published */
    size_t published_len;       /* its size (0: none) */
} s_seen_t;

/* A node id from a small number. */
static ovl_id_t
s_id (unsigned k)
{
    char hex[40];
    snprintf (hex, sizeof hex, "%032x", k);
    return tu_id (hex);
}

static void
s_publish (void *ctx, ovl_id_t group, const uint8_t *bytes, size_t len)
{
    s_seen_t *s = ctx;
    (void)group;
    el_msg_error_t why;
    P2pf__JobMsg *m = el_msg_decode (bytes, len, &why);
    if (m && m->kind_case == P2PF__JOB_MSG__KIND_SLICE_DATA && len <= sizeof s->published) {
        memcpy (s->published, bytes, len);
        s->published_len = len;
    }
    el_msg_free (&m);
}

static void
s_send (void *ctx, const ovl_handle_t *to, const uint8_t *bytes, size_t len)
{
    (void)ctx, (void)to, (void)bytes, (void)len;
}

static void
s_route (void *ctx, ovl_id_t key, const uint8_t *bytes, size_t len)
{
    (void)ctx, (void)key, (void)bytes, (void)len;
}

static void
s_group (void *ctx, ovl_id_t group)
{
    (void)ctx, (void)group;
}

static void
s_render (void *ctx, const el_job_t *job, uint32_t slice)
{
    (void)ctx, (void)job, (void)slice;
}

static void
s_event (void *ctx, const el_event_t *ev)
{
    s_seen_t *s = ctx;
    if (ev->kind != EL_EV_SLICE_REJECTED)
        return;
    s->rejected++;
    snprintf (s->reason, sizeof s->reason, "%s", ev->reason ? ev->reason : "");
    s->rejected_from = ev->peer.id;
}

static int
s_check (void *ctx, const el_job_t *job, uint64_t token, const rnd_xy_t *px, size_t n)
{
    s_seen_t *s = ctx;
    (void)job;
    assert_true (n <= sizeof s->px / sizeof s->px[0]);
    s->n_checks++;
    s->token = token;
    memcpy (s->px, px, n * sizeof *px);
    s->n_px = n;
    return 0;
}

/* A peer (self id k) that started the deep job of view, with spot
 * checks on. */
static el_peer_t *
s_peer (s_seen_t *seen, unsigned k, const rnd_view_t *view)
{
    el_config_t cfg;
    el_config_default (&cfg);
    cfg.check_pixels = 1;
    el_upcalls_t up = { seen,    s_publish, s_send,  s_route, s_group,
                        s_group, s_render,  s_event, s_check };
    ovl_handle_t self;
    memset (&self, 0, sizeof self);
    self.id = s_id (k);
    snprintf (self.addr, sizeof self.addr, "tcp://127.0.0.1:1");
    el_peer_t *p = el_peer_new (&cfg, &self, s_id (0x77), &up, 1);
    assert_non_null (p);
    el_peer_start (p, 0);
    char err[256];
    assert_int_equal (el_peer_new_job (p, 0, view, 4, 1000, err, sizeof err), 0);
    return p;
}

static void
s_handle (ovl_handle_t *h, unsigned k, int port)
{
    memset (h, 0, sizeof *h);
    h->id = s_id (k);
    snprintf (h->addr, sizeof h->addr, "tcp://127.0.0.1:%d", port);
}

/* slice 1 from `from`, as b says, with its hash's first byte xor flip. */
static void
s_deliver (el_peer_t *p, tu_jobmsg_t *b, const ovl_handle_t *from, uint8_t flip)
{
    P2pf__JobMsg m;
    assert_int_equal (
        tu_jobmsg_build (b, &m, P2PF__JOB_MSG__KIND_SLICE_DATA, el_peer_job (p), from), 0);
    assert_true (b->has_ref);
    b->ref[0] ^= flip;
    size_t len;
    uint8_t *bytes = el_msg_encode (&m, &len);
    assert_non_null (bytes);
    el_peer_on_publish (p, 10, el_peer_job (p)->group, bytes, len, from);
    free (bytes);
}

/* The values of the pixels a check asked for, from b's slice 1. */
static void
s_answer (el_peer_t *p, s_seen_t *seen, const tu_jobmsg_t *b)
{
    rnd_rect_t r = el_job_slice_rect (el_peer_job (p), 1);
    float v[8];
    for (size_t i = 0; i < seen->n_px; i++)
        v[i] = b->px[(size_t)(seen->px[i].y - r.y0) * (size_t)(r.x1 - r.x0) +
                     (size_t)(seen->px[i].x - r.x0)];
    el_peer_on_checked (p, 20, seen->token, v, seen->n_px);
}

static void
s_deep_view (rnd_view_t *v)
{
    rnd_view_default (v);
    assert_int_equal (rnd_view_set_center_text (v, BENCH_MIS_RE, BENCH_MIS_IM), 0);
    assert_int_equal (rnd_view_set_width_text (v, "1e-300"), 0);
    v->width_px = 32;
    v->height_px = 16;
    v->max_iter = 20000;
}

/* Our hash known first: a slice with another is rejected unchecked. */
static void
test_wrong_hash_rejected_and_counted (void **state)
{
    (void)state;
    rnd_view_t v;
    s_deep_view (&v);
    static s_seen_t seen;
    memset (&seen, 0, sizeof seen);
    el_peer_t *p = s_peer (&seen, 0x01, &v);
    static tu_jobmsg_t b;
    ovl_handle_t liar, honest;
    s_handle (&liar, 0x0a, 2);
    s_handle (&honest, 0x0b, 3);

    /* The true hash: what tu_jobmsg computes from the job's own orbit. */
    P2pf__JobMsg m;
    assert_int_equal (
        tu_jobmsg_build (&b, &m, P2PF__JOB_MSG__KIND_SLICE_DATA, el_peer_job (p), &honest), 0);
    assert_true (b.has_ref);
    uint8_t good[RND_REF_HASH_BYTES];
    memcpy (good, b.ref, sizeof good);
    el_peer_reference (p, 5, el_peer_job (p)->id, good);

    /* Right pixels, wrong orbit: rejected before any check, counted, said once. */
    s_deliver (p, &b, &liar, 1);
    const el_stats_t *st = el_peer_stats (p);
    assert_int_equal (st->slices_rejected, 1);
    assert_int_equal (st->rejected_ref, 1);
    assert_int_equal (st->checks_asked, 0);
    assert_int_equal (seen.rejected, 1);
    assert_string_equal (seen.reason, "reference orbit differs");
    assert_true (ovl_id_eq (seen.rejected_from, liar.id));
    assert_false (el_peer_slice_done (p, 1, NULL));
    /* The liar is ignored from now on, even with the right hash: no
     * second event. */
    s_deliver (p, &b, &liar, 0);
    assert_int_equal (seen.rejected, 1);
    assert_int_equal (st->checks_asked, 0);

    /* An honest copy with our hash is checked and stored. */
    s_deliver (p, &b, &honest, 0);
    assert_int_equal (st->checks_asked, 1);
    s_answer (p, &seen, &b);
    ovl_id_t by;
    assert_true (el_peer_slice_done (p, 1, &by));
    assert_true (ovl_id_eq (by, honest.id));
    assert_int_equal (st->slices_rejected, 1);

    /* What this peer renders goes out with its hash. */
    size_t n = el_job_slice_px (el_peer_job (p), 0);
    float *px = malloc (n * sizeof *px);
    for (size_t i = 0; i < n; i++)
        px[i] = RND_INTERIOR;
    seen.published_len = 0;
    el_peer_rendered (p, 30, el_peer_job (p)->id, 0, px, n);
    free (px);
    assert_true (seen.published_len > 0);
    el_msg_error_t why;
    P2pf__JobMsg *out = el_msg_decode (seen.published, seen.published_len, &why);
    assert_non_null (out);
    assert_int_equal (out->slice_data->slice, 0);
    assert_int_equal (out->slice_data->ref_hash.len, RND_REF_HASH_BYTES);
    assert_memory_equal (out->slice_data->ref_hash.data, good, RND_REF_HASH_BYTES);
    el_msg_free (&out);
    el_peer_destroy (&p);
}

/* Our hash not known yet when the slice arrives (no render here yet):
 * the check's answer, computed with our orbit, comes with it, and the
 * slice is rejected then although its pixels are right. */
static void
test_wrong_hash_rejected_at_check (void **state)
{
    (void)state;
    rnd_view_t v;
    s_deep_view (&v);
    static s_seen_t seen;
    memset (&seen, 0, sizeof seen);
    el_peer_t *p = s_peer (&seen, 0x02, &v);
    static tu_jobmsg_t b;
    ovl_handle_t liar;
    s_handle (&liar, 0x0c, 4);
    s_deliver (p, &b, &liar, 0x80);
    const el_stats_t *st = el_peer_stats (p);
    assert_int_equal (st->checks_asked, 1);
    assert_int_equal (seen.rejected, 0);
    uint8_t good[RND_REF_HASH_BYTES];
    memcpy (good, b.ref, sizeof good);
    good[0] ^= 0x80; /* b.ref is the liar's */
    el_peer_reference (p, 15, el_peer_job (p)->id, good);
    s_answer (p, &seen, &b);
    assert_int_equal (st->slices_rejected, 1);
    assert_int_equal (st->rejected_ref, 1);
    assert_int_equal (seen.rejected, 1);
    assert_true (ovl_id_eq (seen.rejected_from, liar.id));
    assert_false (el_peer_slice_done (p, 1, NULL));
    el_peer_destroy (&p);
}

/* A hash is 16 bytes or absent; anything else does not decode. */
static void
test_bad_hash_length_refused (void **state)
{
    (void)state;
    rnd_view_t v;
    s_deep_view (&v);
    el_job_t job;
    char err[256];
    assert_int_equal (el_job_init (&job, &v, 4, 1, err, sizeof err), 0);
    static tu_jobmsg_t b;
    ovl_handle_t who;
    s_handle (&who, 0x0d, 5);
    P2pf__JobMsg m;
    assert_int_equal (tu_jobmsg_build (&b, &m, P2PF__JOB_MSG__KIND_SLICE_DATA, &job, &who), 0);
    for (size_t len = 0; len <= RND_REF_HASH_BYTES + 1; len++) {
        b.slice_data.ref_hash.len = len;
        size_t n;
        uint8_t *bytes = el_msg_encode (&m, &n);
        assert_non_null (bytes);
        el_msg_error_t why;
        P2pf__JobMsg *d = el_msg_decode (bytes, n, &why);
        free (bytes);
        if (len == 0 || len == RND_REF_HASH_BYTES)
            assert_non_null (d);
        else
            assert_int_equal (why, EL_MSG_EBADFIELD);
        el_msg_free (&d);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_wrong_hash_rejected_and_counted),
        cmocka_unit_test (test_wrong_hash_rejected_at_check),
        cmocka_unit_test (test_bad_hash_length_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
