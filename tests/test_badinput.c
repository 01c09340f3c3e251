/* test_badinput.c: bad input from the network. Two real `p2pfractal peer`
 * processes on loopback render a throttled job while the test, through
 * ZeroMQ DEALERs of its own, sends both of them garbage, truncated,
 * empty, multi-part, oversized and wrong-version messages, and well-formed
 * envelopes carrying job messages that are inconsistent (a slice of the
 * wrong size, an unknown job, a slice index out of range, pixel values no
 * kernel produces, a term too far ahead, a bitmap of the wrong size, a
 * nomination that was not routed, an older job). Every peer must keep
 * running, finish the job with an image identical to `p2pfractal render`'s,
 * leave cleanly on SIGTERM, and count what it dropped in its `left` event:
 * undecodable envelopes and multi-part messages exactly as often as they
 * were sent (nothing else makes them), each kind of bad job message at
 * least as often (normal traffic adds to some of those counters, and the
 * garbage published and routed reaches whoever the overlay takes it to).
 *
 * Forgeries a peer cannot tell from the real thing: there is no
 * authentication yet (CURVE keys are a later issue), so a well-formed
 * message with a plausible claim is believed. The test sends the ones
 * whose harm is bounded, and asserts only that the job still ends with the
 * right image:
 *   - MasterElected and a heartbeat with a term a little ahead, from a
 *     "master" that does not exist: peers follow it, hear nothing, elect
 *     a real master again (a term at most 2^20 ahead is believed);
 *   - a relinquish heartbeat with a full done set: peers think the job is
 *     finished, their pulls from the sender bring nothing, and after three
 *     they forget it and elect;
 *   - a handover ElectionQuery, a WorkRequest (the master hands slices to a
 *     worker that never renders them: they come round again) and a
 *     WorkReturn (slices handed out again: duplicates only);
 *   - a SliceData with values a kernel can produce, for a slice the peer
 *     already holds: ignored as a duplicate (the first copy wins).
 * What it does not send, because it would succeed: a SliceData with
 * plausible values for a slice the peer does not hold yet (it becomes part
 * of the image -- only authentication, or recomputing, can stop that), and
 * a JobAnnounce of a newer job (every peer follows it and abandons this
 * one). Neither can crash a peer; both can make its image wrong.
 *
 * Waits are polls with deadlines (the harness in test_util.c); every peer
 * is SIGKILLed and reaped on every exit path (teardown, PDEATHSIG), and an
 * alarm is the watchdog. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "job.h"
#include "kernel.h"
#include "rng.h"
#include "test_util.h"
#include "tu_jobmsg.h"
#include "wire.h"

#define S_PEERS 2
#define S_START_TIMEOUT_MS 10000 /* both peers have the job */
#define S_DONE_TIMEOUT_MS 60000  /* both wrote the image, after everything */
#define S_EXIT_TIMEOUT_MS 10000  /* a peer exits after SIGTERM */
#define S_WATCHDOG_S 120         /* the whole test, whatever hangs */
#define S_SLICES_FIRST 2         /* slices each peer holds before the attack */
/* Render-plus-throttle seconds of the whole job: a few seconds on two
 * peers however fast this build renders, so the attack lands mid-job. */
#define S_JOB_BUSY_S 10.0

static const char *const s_view[] = { "--size", "160x90", "--iter", "100000", NULL };
static const char *const s_job_args[] = { "--size",   "160x90", "--iter", "100000",
                                          "--slices", "24",     NULL };

/* What a peer's `left` event counted. */
typedef struct {
    int seen;
    uint64_t dropped_malformed, dropped_job, dropped_other, slices_duplicate;
    uint64_t ovl_dropped_malformed, recv_rejected;
    uint64_t rendered, rendered_first, rendered_late;
} s_left_t;

/* What the test sent peer i, by the counter that must count it. */
typedef struct {
    uint64_t ovl_malformed; /* undecodable envelopes */
    uint64_t rejected;      /* multi-part messages (the transport) */
    uint64_t el_malformed;  /* envelopes fine, job message not */
    uint64_t el_job;        /* job messages inconsistent with the job */
    uint64_t el_other;      /* valid but unusable */
    uint64_t duplicate;     /* slices the peer held already */
} s_sent_t;

static tu_swarm_t s_sw;
static s_left_t s_left[S_PEERS];
static s_sent_t s_sent[S_PEERS];
static void *s_zmq;
static void *s_dealer[S_PEERS];
static void *s_big;     /* the DEALER the oversized message goes out on */
static void *s_monitor; /* its events */
static el_job_t s_job;  /* the job, computed here as the peers do */
static char s_job_hex[S_PEERS][OVL_ID_HEX_LEN + 1]; /* the job each peer logged */
static ovl_handle_t s_forged;
static ovl_rng_t s_rng;

#define S_FAIL(...)                                                                                \
    do {                                                                                           \
        tu_swarm_dump (&s_sw);                                                                     \
        fail_msg (__VA_ARGS__);                                                                    \
    } while (0)

static void
s_on_line (tu_swarm_t *sw, int i, const char *event, const char *line)
{
    (void)sw;
    if (i < S_PEERS && strcmp (event, "job_started") == 0)
        tu_json_str (line, "job", s_job_hex[i], sizeof s_job_hex[i]);
    if (i >= S_PEERS || strcmp (event, "left") != 0)
        return;
    s_left_t *l = &s_left[i];
    l->seen = 1;
    l->dropped_malformed = tu_json_u64 (line, "dropped_malformed");
    l->dropped_job = tu_json_u64 (line, "dropped_job");
    l->dropped_other = tu_json_u64 (line, "dropped_other");
    l->slices_duplicate = tu_json_u64 (line, "slices_duplicate");
    l->ovl_dropped_malformed = tu_json_u64 (line, "ovl_dropped_malformed");
    l->recv_rejected = tu_json_u64 (line, "recv_rejected");
    l->rendered = tu_json_u64 (line, "rendered");
    l->rendered_first = tu_json_u64 (line, "rendered_first");
    l->rendered_late = tu_json_u64 (line, "rendered_late");
}

/* --- conditions ---------------------------------------------------------- */

static int
s_first_started (tu_swarm_t *sw)
{
    return sw->peers[0].port > 0 || sw->peers[0].pid == 0;
}

/* Both have the job and a few slices, or something went wrong. */
static int
s_mid_job (tu_swarm_t *sw)
{
    if (tu_swarm_crashed (sw) || tu_swarm_any_done (sw))
        return 1;
    for (int i = 0; i < S_PEERS; i++)
        if (sw->peers[i].port == 0 || sw->peers[i].slices_done < S_SLICES_FIRST)
            return 0;
    return 1;
}

static int
s_both_left (tu_swarm_t *sw)
{
    return tu_swarm_survivors_exited (sw);
}

/* --- sending --------------------------------------------------------------- */

static void *
s_dealer_to (int port)
{
    void *s = zmq_socket (s_zmq, ZMQ_DEALER);
    assert_non_null (s);
    int linger_ms = 0, hwm_msgs = 0, timeout_ms = 5000;
    assert_int_equal (zmq_setsockopt (s, ZMQ_LINGER, &linger_ms, sizeof linger_ms), 0);
    assert_int_equal (zmq_setsockopt (s, ZMQ_SNDHWM, &hwm_msgs, sizeof hwm_msgs), 0);
    assert_int_equal (zmq_setsockopt (s, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms), 0);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    assert_int_equal (zmq_connect (s, endpoint), 0);
    return s;
}

/* One frame (more: another follows) to peer i. */
static void
s_send_frame (int i, const void *bytes, size_t len, int more)
{
    if (zmq_send (s_dealer[i], bytes, len, more ? ZMQ_SNDMORE : 0) != (int)len)
        S_FAIL ("zmq_send to peer %d: %s", i, zmq_strerror (zmq_errno ()));
}

/* Bytes to both peers that the overlay's decoder must refuse (checked
 * here with the same decoder first). */
static void
s_send_undecodable (const uint8_t *bytes, size_t len)
{
    P2pf__Envelope *env = NULL;
    ovl_wire_error_t why;
    if (ovl_wire_decode (bytes, len, &env, &why) == 0) {
        ovl_wire_free (&env);
        return; /* random bytes that happen to decode: not what is tested */
    }
    for (int i = 0; i < S_PEERS; i++) {
        s_send_frame (i, bytes, len, 0);
        s_sent[i].ovl_malformed++;
    }
}

/* An envelope from the forged sender with the given body, encoded (with
 * version, so a wrong one can be sent too); malloc'd. */
static uint8_t *
s_envelope (P2pf__Envelope__BodyCase body, void *msg, uint32_t version, size_t *len)
{
    P2pf__Envelope env;
    P2pf__NodeHandle from;
    uint8_t from_id[16];
    ovl_wire_envelope_init (&env, &from, from_id, &s_forged);
    env.version = version;
    env.body_case = body;
    env.ping = msg; /* the body pointers of the oneof share one slot */
    *len = p2pf__envelope__get_packed_size (&env);
    uint8_t *buf = malloc (*len);
    assert_non_null (buf);
    assert_int_equal (p2pf__envelope__pack (&env, buf), *len);
    return buf;
}

/* A job-protocol payload, directly (App) to peer i. */
static void
s_send_app (int i, const uint8_t *payload, size_t len)
{
    P2pf__App app = P2PF__APP__INIT;
    app.payload = (ProtobufCBinaryData){ len, (uint8_t *)payload };
    size_t n;
    uint8_t *buf = s_envelope (P2PF__ENVELOPE__BODY_APP, &app, OVL_WIRE_VERSION, &n);
    s_send_frame (i, buf, n, 0);
    free (buf);
}

/* m encoded, to peer i as App, counted in *counter. */
static void
s_send_jobmsg (int i, const P2pf__JobMsg *m, uint64_t *counter)
{
    size_t len;
    uint8_t *buf = el_msg_encode (m, &len);
    assert_non_null (buf);
    s_send_app (i, buf, len);
    free (buf);
    if (counter)
        (*counter)++;
}

/* A valid message of kind k about the job, from the forged node. */
static P2pf__JobMsg *
s_msg (tu_jobmsg_t *b, P2pf__JobMsg__KindCase k)
{
    static P2pf__JobMsg m;
    assert_int_equal (tu_jobmsg_build (b, &m, k, &s_job, &s_forged), 0);
    return &m;
}

/* --- the attack -------------------------------------------------------------- */

/* Over the limit: ZMQ_MAXMSGSIZE makes the peer's ROUTER drop the
 * connection it came on, before a byte of it reaches our code. Sent on a
 * DEALER of its own, watched for the disconnection. */
static void
s_send_oversized (int port)
{
    s_big = s_dealer_to (port);
    assert_int_equal (zmq_socket_monitor (s_big, "inproc://big", ZMQ_EVENT_DISCONNECTED), 0);
    s_monitor = zmq_socket (s_zmq, ZMQ_PAIR);
    assert_non_null (s_monitor);
    assert_int_equal (zmq_connect (s_monitor, "inproc://big"), 0);
    size_t len = (size_t)OVL_WIRE_MAX_BYTES + 1;
    uint8_t *big = calloc (1, len);
    assert_non_null (big);
    assert_int_equal (zmq_send (s_big, big, len, 0), (int)len);
    free (big);
}

/* The monitor reports the DEALER's connection cut. */
static void
s_expect_cut (void)
{
    int timeout_ms = S_START_TIMEOUT_MS;
    assert_int_equal (zmq_setsockopt (s_monitor, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms), 0);
    uint8_t event[6];
    if (zmq_recv (s_monitor, event, sizeof event, 0) != (int)sizeof event)
        S_FAIL ("the peer did not cut the oversized message's connection within %d ms", timeout_ms);
    uint16_t kind;
    memcpy (&kind, event, sizeof kind);
    assert_int_equal (kind, ZMQ_EVENT_DISCONNECTED);
}

/* Messages every peer must refuse, and count. */
static void
s_send_refused (void)
{
    /* Random bytes. */
    for (int k = 0; k < 100; k++) {
        uint8_t buf[512];
        size_t len = 1 + ovl_rng_below (&s_rng, sizeof buf);
        for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t)ovl_rng_next (&s_rng);
        s_send_undecodable (buf, len);
    }
    /* Every cut of a valid envelope carrying a slice (none decodes: the
     * body comes last and is cut). */
    static tu_jobmsg_t b;
    size_t jlen, elen;
    uint8_t *job_bytes = el_msg_encode (s_msg (&b, P2PF__JOB_MSG__KIND_SLICE_DATA), &jlen);
    assert_non_null (job_bytes);
    P2pf__App app = P2PF__APP__INIT;
    app.payload = (ProtobufCBinaryData){ jlen, job_bytes };
    uint8_t *env = s_envelope (P2PF__ENVELOPE__BODY_APP, &app, OVL_WIRE_VERSION, &elen);
    for (size_t cut = 1; cut < elen; cut += cut < 100 ? 1 : 37)
        s_send_undecodable (env, cut);
    free (env);
    /* Wrong protocol version; a field number protobuf forbids (0x82 0x00:
     * field 0, which protobuf-c once let through). */
    env = s_envelope (P2PF__ENVELOPE__BODY_APP, &app, OVL_WIRE_VERSION + 1, &elen);
    s_send_undecodable (env, elen);
    free (env);
    env = s_envelope (P2PF__ENVELOPE__BODY_APP, &app, OVL_WIRE_VERSION, &elen);
    uint8_t *bad = malloc (elen + 3);
    assert_non_null (bad);
    memcpy (bad, env, elen);
    memcpy (bad + elen, "\x82\x00\x00", 3);
    s_send_undecodable (bad, elen + 3);
    free (bad);
    free (env);
    free (job_bytes);

    for (int i = 0; i < S_PEERS; i++) {
        s_sent_t *s = &s_sent[i];
        /* An empty frame; frames in several parts (the transport's). */
        s_send_frame (i, "", 0, 0);
        s->ovl_malformed++;
        for (int parts = 2; parts <= 4; parts++) {
            for (int k = 0; k < parts; k++)
                s_send_frame (i, "x", 1, k + 1 < parts);
            s->rejected++;
        }

        /* Envelopes fine, job messages not: garbage, a wrong version, cut
         * short, a field out of bounds. */
        for (int k = 0; k < 20; k++) {
            uint8_t junk[64];
            for (size_t j = 0; j < sizeof junk; j++)
                junk[j] = (uint8_t)ovl_rng_next (&s_rng);
            size_t len = 1 + ovl_rng_below (&s_rng, sizeof junk);
            el_msg_error_t why;
            P2pf__JobMsg *d = el_msg_decode (junk, len, &why);
            if (d) {
                el_msg_free (&d);
                continue;
            }
            s_send_app (i, junk, len);
            s->el_malformed++;
        }
        P2pf__JobMsg *m = s_msg (&b, P2PF__JOB_MSG__KIND_HEARTBEAT);
        m->version = EL_MSG_VERSION + 1;
        s_send_jobmsg (i, m, &s->el_malformed);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_HEARTBEAT);
        uint8_t *beat = el_msg_encode (m, &jlen);
        assert_non_null (beat);
        s_send_app (i, beat, jlen - 3); /* cut short */
        s->el_malformed++;
        free (beat);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_WORK_REQUEST);
        b.work_request.n = 0;
        s_send_jobmsg (i, m, &s->el_malformed);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_ELECTION_QUERY);
        b.election_query.reason = "two\nlines";
        s_send_jobmsg (i, m, &s->el_malformed);

        /* Well-formed, but not this job's: wrong slice sizes, slice
         * indices out of range, values no kernel yields, a bitmap of the
         * wrong size, a term beyond any believable jump, a spec whose id
         * is not the job's, a relinquish without every slice. */
        m = s_msg (&b, P2PF__JOB_MSG__KIND_SLICE_DATA);
        b.slice_data.pixels.len -= sizeof (float);
        s_send_jobmsg (i, m, &s->el_job);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_SLICE_DATA);
        b.slice_data.slice = 0; /* slice 1's rows are not slice 0's: 3 vs 4 */
        if (el_job_slice_px (&s_job, 0) != b.n_px)
            s_send_jobmsg (i, m, &s->el_job);
        b.slice_data.slice = s_job.slices;
        s_send_jobmsg (i, m, &s->el_job);
        b.slice_data.slice = UINT32_MAX;
        s_send_jobmsg (i, m, &s->el_job);
        const float impossible[] = {
            NAN, 0.5f, 0.0f, -2.0f, 1e30f, INFINITY, (float)s_job.view.max_iter + 5.0f
        };
        for (size_t k = 0; k < sizeof impossible / sizeof impossible[0]; k++) {
            m = s_msg (&b, P2PF__JOB_MSG__KIND_SLICE_DATA);
            b.px[ovl_rng_below (&s_rng, b.n_px)] = impossible[k];
            s_send_jobmsg (i, m, &s->el_job);
        }
        m = s_msg (&b, P2PF__JOB_MSG__KIND_WORK_ASSIGN);
        b.list[0] = s_job.slices;
        s_send_jobmsg (i, m, &s->el_job);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_SLICE_REQUEST);
        b.list[2] = UINT32_MAX;
        s_send_jobmsg (i, m, &s->el_job);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_HEARTBEAT);
        b.heartbeat.done.len += 1;
        s_send_jobmsg (i, m, &s->el_job);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_HEARTBEAT);
        b.heartbeat.queue_head = s_job.slices;
        s_send_jobmsg (i, m, &s->el_job);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_HEARTBEAT);
        b.heartbeat.term = 1ull << 40;
        s_send_jobmsg (i, m, &s->el_job);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_ELECTED);
        b.elected.term = UINT64_MAX;
        s_send_jobmsg (i, m, &s->el_job);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_HEARTBEAT);
        b.heartbeat.relinquish = 1; /* slices 0 and 2 only */
        s_send_jobmsg (i, m, &s->el_job);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_ANNOUNCE);
        b.spec.slices = s_job.slices - 1; /* a real job, but not the one named */
        s_send_jobmsg (i, m, &s->el_job);

        /* Valid, but of no use: a slice of a job nobody runs, a nomination
         * that was not routed to the arbiter, an older job. */
        m = s_msg (&b, P2PF__JOB_MSG__KIND_SLICE_DATA);
        b.id[0] ^= 0xff;
        s_send_jobmsg (i, m, &s->el_other);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_NOMINATION);
        s_send_jobmsg (i, m, &s->el_other);
        el_job_t old;
        rnd_view_t view = s_job.view;
        view.max_iter = 77;
        assert_int_equal (el_job_init (&old, &view, 4, 1, NULL, 0), 0);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_ANNOUNCE);
        ovl_id_to_bytes (old.id, b.id);
        el_job_to_spec (&old, &b.spec, b.origin);
        s_send_jobmsg (i, m, &s->el_other);
    }

    /* The same garbage published (a GroupData from a "parent" nobody
     * adopted: multicast is not authenticated either) and routed to the
     * job's key: whoever gets it counts it. */
    const uint8_t junk[] = { 0xff, 0xff, 0xff, 0x01 };
    uint8_t group[16], origin_id[16];
    ovl_id_to_bytes (s_job.group, group);
    P2pf__NodeHandle origin;
    ovl_wire_handle_set (&origin, origin_id, &s_forged);
    P2pf__GroupData gd = P2PF__GROUP_DATA__INIT;
    gd.group = (ProtobufCBinaryData){ 16, group };
    gd.payload = (ProtobufCBinaryData){ sizeof junk, (uint8_t *)junk };
    gd.publisher = &origin;
    gd.seq = 1;
    P2pf__AppRouted ar = P2PF__APP_ROUTED__INIT;
    ar.payload = gd.payload;
    P2pf__Routed routed = P2PF__ROUTED__INIT;
    routed.key = gd.group;
    routed.msg_id = 1;
    routed.origin = &origin;
    routed.route_id = 1;
    routed.kind_case = P2PF__ROUTED__KIND_APP;
    routed.app = &ar;
    for (int i = 0; i < S_PEERS; i++) {
        size_t len;
        uint8_t *buf = s_envelope (P2PF__ENVELOPE__BODY_GROUP_DATA, &gd, OVL_WIRE_VERSION, &len);
        s_send_frame (i, buf, len, 0);
        free (buf);
        routed.route_id++;
        buf = s_envelope (P2PF__ENVELOPE__BODY_ROUTED, &routed, OVL_WIRE_VERSION, &len);
        s_send_frame (i, buf, len, 0);
        free (buf);
    }
}

/* Forgeries no peer can tell from the truth (see the top of the file):
 * they may cost time, never the image. */
static void
s_send_believable (void)
{
    static tu_jobmsg_t b;
    uint64_t term = 0;
    for (int i = 0; i < S_PEERS; i++)
        if (s_sw.peers[i].term > term)
            term = s_sw.peers[i].term;
    uint8_t forged_id[16];
    ovl_id_to_bytes (s_forged.id, forged_id);
    for (int i = 0; i < S_PEERS; i++) {
        /* A slice it holds (of slice 1's size), with values a kernel could
         * produce: a duplicate. */
        const tu_peer_t *p = &s_sw.peers[i];
        P2pf__JobMsg *m = s_msg (&b, P2PF__JOB_MSG__KIND_SLICE_DATA);
        for (uint32_t k = 0; k < s_job.slices; k++) {
            if (!(p->seen[k / 8] & (1u << (k % 8))) || el_job_slice_px (&s_job, k) != b.n_px)
                continue;
            b.slice_data.slice = k;
            for (size_t j = 0; j < b.n_px; j++)
                b.px[j] = RND_INTERIOR;
            s_send_jobmsg (i, m, &s_sent[i].duplicate);
            break;
        }
        s_send_jobmsg (i, s_msg (&b, P2PF__JOB_MSG__KIND_WORK_REQUEST), NULL);
        s_send_jobmsg (i, s_msg (&b, P2PF__JOB_MSG__KIND_WORK_RETURN), NULL);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_ELECTION_QUERY);
        b.election_query.term = term;
        b.election_query.handover = 1;
        s_send_jobmsg (i, m, NULL);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_ELECTED);
        b.elected.term = term + 1000;
        b.elected.elector = (ProtobufCBinaryData){ 16, forged_id };
        s_send_jobmsg (i, m, NULL);
        m = s_msg (&b, P2PF__JOB_MSG__KIND_HEARTBEAT);
        b.heartbeat.term = term + 2000;
        b.heartbeat.elector = (ProtobufCBinaryData){ 16, forged_id };
        memset (b.done, 0, sizeof b.done);
        s_send_jobmsg (i, m, NULL);
    }
    for (int i = 0; i < S_PEERS; i++) {
        P2pf__JobMsg *m = s_msg (&b, P2PF__JOB_MSG__KIND_HEARTBEAT);
        b.heartbeat.relinquish = 1;
        memset (b.done, 0xff, el_job_bitmap_bytes (&s_job));
        s_send_jobmsg (i, m, NULL);
    }
}

/* --- fixtures ------------------------------------------------------------ */

static int
s_setup (void **state)
{
    (void)state;
    memset (s_left, 0, sizeof s_left);
    memset (s_sent, 0, sizeof s_sent);
    memset (s_job_hex, 0, sizeof s_job_hex);
    if (tu_swarm_open (&s_sw, "test_badinput") != 0)
        return -1;
    s_sw.on_line = s_on_line;
    s_zmq = zmq_ctx_new ();
    return s_zmq ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void)state;
    for (int i = 0; i < S_PEERS; i++)
        if (s_dealer[i])
            zmq_close (s_dealer[i]);
    if (s_big)
        zmq_close (s_big);
    if (s_monitor)
        zmq_close (s_monitor);
    s_dealer[0] = s_dealer[1] = s_big = s_monitor = NULL;
    if (s_zmq)
        zmq_ctx_term (s_zmq);
    s_zmq = NULL;
    return tu_swarm_close (&s_sw, 0);
}

/* --- the test ------------------------------------------------------------- */

static void
test_bad_input_from_the_network (void **state)
{
    (void)state;
    uint64_t seed = tu_seed ("test_badinput");
    ovl_rng_seed (&s_rng, seed);
    memset (&s_forged, 0, sizeof s_forged);
    s_forged.id = ovl_rng_id (&s_rng);
    /* A node that never answers: nothing listens on port 1. */
    snprintf (s_forged.addr, sizeof s_forged.addr, "tcp://127.0.0.1:1");
    rnd_view_t view;
    rnd_view_default (&view);
    view.width_px = 160;
    view.height_px = 90;
    view.max_iter = 100000;
    assert_int_equal (el_job_init (&s_job, &view, 24, 0, NULL, 0), 0);

    char ref_path[256];
    tu_path_join (ref_path, sizeof ref_path, s_sw.dir, "reference.png");
    double job_s = tu_render_reference (s_sw.dir, s_view, ref_path);
    double factor = S_JOB_BUSY_S / (job_s > 0.001 ? job_s : 0.001);
    factor = factor < 2 ? 2 : factor > 5000 ? 5000 : factor;
    char throttle[32];
    snprintf (throttle, sizeof throttle, "%.1f", factor);
    print_message ("reference render %.3f s on one thread: --throttle %s\n", job_s, throttle);

    tu_swarm_spawn_peer (&s_sw, 0, seed + 1, throttle, 0, 0, s_job_args);
    if (!tu_swarm_wait (&s_sw, s_first_started, tu_now_ms () + S_START_TIMEOUT_MS) ||
        !s_sw.peers[0].port)
        S_FAIL ("the first peer logged no `started` with a port in %d ms", S_START_TIMEOUT_MS);
    tu_swarm_spawn_peer (&s_sw, 1, seed + 2, throttle, s_sw.peers[0].port, 0, NULL);
    if (!tu_swarm_wait (&s_sw, s_mid_job, tu_now_ms () + S_START_TIMEOUT_MS) ||
        tu_swarm_crashed (&s_sw))
        S_FAIL ("the peers did not both render %d slices within %d ms", S_SLICES_FIRST,
                S_START_TIMEOUT_MS);

    char hex[OVL_ID_HEX_LEN + 1];
    ovl_id_hex (s_job.id, hex);
    for (int i = 0; i < S_PEERS; i++)
        if (strcmp (s_job_hex[i], hex) != 0)
            S_FAIL ("peer %d runs job %s, not %s: the test's view is not the peers'", i,
                    s_job_hex[i], hex);

    s_send_oversized (s_sw.peers[0].port);
    for (int i = 0; i < S_PEERS; i++)
        s_dealer[i] = s_dealer_to (s_sw.peers[i].port);
    s_send_refused ();
    s_send_believable ();
    if (tu_swarm_any_done (&s_sw))
        S_FAIL ("the job finished before the attack was sent: slices too fast");
    s_expect_cut ();
    print_message ("sent each peer %llu undecodable, %llu multi-part, %llu bad job messages, "
                   "%llu inconsistent, %llu useless, then the believable forgeries\n",
                   (unsigned long long)s_sent[0].ovl_malformed,
                   (unsigned long long)s_sent[0].rejected,
                   (unsigned long long)s_sent[0].el_malformed, (unsigned long long)s_sent[0].el_job,
                   (unsigned long long)s_sent[0].el_other);

    uint64_t t0 = tu_now_ms ();
    if (!tu_swarm_wait (&s_sw, tu_swarm_survivors_done, t0 + S_DONE_TIMEOUT_MS) ||
        tu_swarm_crashed (&s_sw))
        S_FAIL ("the peers did not both finish the job within %d ms of the attack",
                S_DONE_TIMEOUT_MS);
    print_message ("both peers done %llu ms after the attack\n",
                   (unsigned long long)(tu_now_ms () - t0));
    tu_swarm_check_pngs (&s_sw, ref_path);

    for (int i = 0; i < S_PEERS; i++)
        assert_int_equal (kill (s_sw.peers[i].pid, SIGTERM), 0);
    if (!tu_swarm_wait (&s_sw, s_both_left, tu_now_ms () + S_EXIT_TIMEOUT_MS))
        S_FAIL ("the peers still run %d ms after SIGTERM", S_EXIT_TIMEOUT_MS);
    for (int i = 0; i < S_PEERS; i++) {
        const s_left_t *l = &s_left[i];
        const s_sent_t *s = &s_sent[i];
        if (s_sw.peers[i].status != 0 || !l->seen)
            S_FAIL ("peer %d exited with status %d%s", i, s_sw.peers[i].status,
                    l->seen ? "" : ", without a `left` event");
        print_message (
            "peer %d dropped: %llu undecodable, %llu multi-part, %llu bad job "
            "messages, %llu inconsistent, %llu other; %llu duplicate slices\n",
            i, (unsigned long long)l->ovl_dropped_malformed, (unsigned long long)l->recv_rejected,
            (unsigned long long)l->dropped_malformed, (unsigned long long)l->dropped_job,
            (unsigned long long)l->dropped_other, (unsigned long long)l->slices_duplicate);
        if (l->ovl_dropped_malformed != s->ovl_malformed || l->recv_rejected != s->rejected ||
            l->dropped_malformed < s->el_malformed || l->dropped_job < s->el_job ||
            l->dropped_other < s->el_other || l->slices_duplicate < s->duplicate)
            S_FAIL ("peer %d did not count the drops it was sent (sent %llu, %llu, %llu, %llu, "
                    "%llu; %llu duplicates)",
                    i, (unsigned long long)s->ovl_malformed, (unsigned long long)s->rejected,
                    (unsigned long long)s->el_malformed, (unsigned long long)s->el_job,
                    (unsigned long long)s->el_other, (unsigned long long)s->duplicate);
        /* The duplicates sent were received, not rendered here: the
         * closing line's split of the renders stays within them (it once
         * subtracted every duplicate and went below zero). */
        if (l->rendered_first + l->rendered_late != l->rendered || l->rendered_first > l->rendered)
            S_FAIL ("peer %d split its %llu renders into %llu first and %llu late", i,
                    (unsigned long long)l->rendered, (unsigned long long)l->rendered_first,
                    (unsigned long long)l->rendered_late);
    }
}

int
main (void)
{
    /* The watchdog: a hang ends the process, and PDEATHSIG its peers. */
    alarm (S_WATCHDOG_S);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_bad_input_from_the_network, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
