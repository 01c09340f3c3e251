/* test_transport.c: the ZeroMQ transport on loopback -- messages arrive
 * whole, bad endpoints are refused, and pruning closes exactly the
 * connections that left the state and were not used since the last prune.
 * On a closed network (CURVE, keys from a network secret) a message names
 * its sender's key-derived id, and an outsider -- another secret, no key,
 * or the inbox key without a vouch -- gets nothing through, is reported
 * once, and (joining) learns it was refused. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include <sodium.h>

#include "netkey.h"
#include "test_util.h"
#include "transport_zmq.h"
#include "wire.h"

#define S_RECV_TIMEOUT_MS 5000

static ovl_transport_t *
s_new_keyed (const ovl_transport_keys_t *keys)
{
    char err[256] = "";
    ovl_transport_t *t = ovl_transport_new ("127.0.0.1", 0, NULL, keys, err, sizeof err);
    if (!t)
        fail_msg ("ovl_transport_new: %s", err);
    return t;
}

static ovl_transport_t *
s_new (void)
{
    return s_new_keyed (NULL);
}

/* Keys of a network whose secret is secret, for a new node. */
static ovl_transport_keys_t
s_keys (const uint8_t secret[APP_NETKEY_BYTES])
{
    ovl_transport_keys_t k;
    assert_int_equal (app_netkey_transport_keys (secret, &k), 0);
    return k;
}

/* Wait (poll, with a deadline) for one message on t and check its bytes. */
static void
s_expect (ovl_transport_t *t, const char *text)
{
    uint64_t deadline = tu_now_ms () + S_RECV_TIMEOUT_MS;
    uint8_t *bytes = NULL;
    size_t len = 0;
    while (ovl_transport_recv (t, &bytes, &len, NULL) != 0) {
        uint64_t now = tu_now_ms ();
        if (now >= deadline)
            fail_msg ("no message within %d ms", S_RECV_TIMEOUT_MS);
        zmq_pollitem_t item = { ovl_transport_inbox_socket (t), 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, (long)(deadline - now));
    }
    assert_int_equal (len, strlen (text));
    assert_memory_equal (bytes, text, len);
    free (bytes);
}

static void
test_send_and_prune (void **state)
{
    (void)state;
    ovl_transport_t *a = s_new (), *b = s_new (), *c = s_new ();
    const char *eb = ovl_transport_endpoint (b), *ec = ovl_transport_endpoint (c);
    assert_int_equal (ovl_transport_send (a, eb, (const uint8_t *)"to-b", 4), 0);
    assert_int_equal (ovl_transport_send (a, ec, (const uint8_t *)"to-c", 4), 0);
    s_expect (b, "to-b");
    s_expect (c, "to-c");
    assert_int_equal (ovl_transport_peer_count (a), 2);

    /* Both were just used: the first prune spares them, state or not. */
    const char *keep[] = { eb };
    assert_int_equal (ovl_transport_prune (a, keep, 1), 0);
    assert_int_equal (ovl_transport_peer_count (a), 2);
    /* Idle since: c (not kept) goes, b (kept) stays. */
    assert_int_equal (ovl_transport_prune (a, keep, 1), 1);
    assert_int_equal (ovl_transport_peer_count (a), 1);
    /* b still works, and a send reopens c. */
    assert_int_equal (ovl_transport_send (a, eb, (const uint8_t *)"again", 5), 0);
    s_expect (b, "again");
    assert_int_equal (ovl_transport_send (a, ec, (const uint8_t *)"back", 4), 0);
    s_expect (c, "back");
    assert_int_equal (ovl_transport_peer_count (a), 2);
    /* Every payload counted once, on both sides. */
    ovl_transport_traffic_t ta, tb, tc;
    ovl_transport_traffic (a, &ta);
    ovl_transport_traffic (b, &tb);
    ovl_transport_traffic (c, &tc);
    assert_int_equal (ta.sent_msgs, 4);
    assert_int_equal (ta.sent_bytes, 4 + 4 + 5 + 4);
    assert_int_equal (ta.recv_msgs, 0);
    assert_int_equal (tb.recv_msgs, 2);
    assert_int_equal (tb.recv_bytes, 4 + 5);
    assert_int_equal (tc.recv_bytes, 4 + 4);
    assert_int_equal (tb.sent_bytes, 0);
    /* Out of the state and idle: everything closes. */
    assert_int_equal (ovl_transport_prune (a, NULL, 0), 0);
    assert_int_equal (ovl_transport_prune (a, NULL, 0), 2);
    assert_int_equal (ovl_transport_peer_count (a), 0);

    ovl_transport_destroy (&a);
    ovl_transport_destroy (&b);
    ovl_transport_destroy (&c);
    assert_null (a);
}

static void
test_bad_endpoints_refused (void **state)
{
    (void)state;
    ovl_transport_t *a = s_new ();
    const char *bad[] = { "ipc:///tmp/x", "inproc://x", "", "tcp:/" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        assert_int_equal (ovl_transport_send (a, bad[i], (const uint8_t *)"x", 1), -1);
        assert_int_equal (errno, EINVAL);
    }
    assert_int_equal (ovl_transport_send_dropped (a), 4);
    assert_int_equal (ovl_transport_peer_count (a), 0);
    ovl_transport_destroy (&a);
}

/* Wait (poll, with a deadline) for one message on t: its text and the
 * sender id the transport names. */
static void
s_expect_from (ovl_transport_t *t, const char *text, ovl_id_t want)
{
    uint64_t deadline = tu_now_ms () + S_RECV_TIMEOUT_MS;
    uint8_t *bytes = NULL;
    size_t len = 0;
    ovl_id_t sender = { 0, 0 };
    while (ovl_transport_recv (t, &bytes, &len, &sender) != 0) {
        if (tu_now_ms () >= deadline)
            fail_msg ("no message within %d ms", S_RECV_TIMEOUT_MS);
        zmq_pollitem_t item = { ovl_transport_inbox_socket (t), 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, 50);
    }
    assert_int_equal (len, strlen (text));
    assert_memory_equal (bytes, text, len);
    assert_true (ovl_id_eq (sender, want));
    free (bytes);
}

static void
test_keyed_names_sender (void **state)
{
    (void)state;
    uint8_t secret[APP_NETKEY_BYTES];
    randombytes_buf (secret, sizeof secret);
    ovl_transport_keys_t ka = s_keys (secret), kb = s_keys (secret);
    /* Same network keys, each node its own pair. */
    assert_memory_equal (ka.inbox_public, kb.inbox_public, sizeof ka.inbox_public);
    assert_memory_not_equal (ka.node_public, kb.node_public, sizeof ka.node_public);
    ovl_transport_t *a = s_new_keyed (&ka), *b = s_new_keyed (&kb);
    assert_int_equal (ovl_transport_keyed (a), 1);
    assert_int_equal (ovl_transport_send (a, ovl_transport_endpoint (b), (const uint8_t *)"hi", 2),
                      0);
    s_expect_from (b, "hi", ovl_id_from_public_key (ka.node_public));
    assert_int_equal (
        ovl_transport_send (b, ovl_transport_endpoint (a), (const uint8_t *)"back", 4), 0);
    s_expect_from (a, "back", ovl_id_from_public_key (kb.node_public));
    /* A reconnect (the DEALER closed and opened again) still gets in. */
    ovl_transport_forget (a, ovl_transport_endpoint (b));
    assert_int_equal (
        ovl_transport_send (a, ovl_transport_endpoint (b), (const uint8_t *)"again", 5), 0);
    s_expect_from (b, "again", ovl_id_from_public_key (ka.node_public));
    /* The largest message the wire allows gets through encrypted. */
    size_t big_len = OVL_WIRE_MAX_BYTES;
    char *big = malloc (big_len + 1);
    assert_non_null (big);
    memset (big, 'x', big_len);
    big[big_len] = '\0';
    assert_int_equal (ovl_transport_send (a, ovl_transport_endpoint (b), (uint8_t *)big, big_len),
                      0);
    s_expect_from (b, big, ovl_id_from_public_key (ka.node_public));
    free (big);
    assert_int_equal (ovl_transport_refused (a) + ovl_transport_refused (b), 0);
    ovl_transport_destroy (&a);
    ovl_transport_destroy (&b);
}

typedef enum { S_OTHER_SECRET, S_NO_KEY, S_NO_VOUCH } s_outsider_t;

/* A refusal report, which must be the first of its (source, reason). */
static void
s_once (ovl_transport_refusal_t *seen, int *n, const ovl_transport_refusal_t *r)
{
    for (int i = 0; i < *n; i++)
        if (seen[i].why == r->why && strcmp (seen[i].source, r->source) == 0)
            fail_msg ("refusal of %s (reason %d) reported twice", r->source, (int)r->why);
    assert_true (*n < 8);
    seen[(*n)++] = *r;
}

/* An outsider of kind who sends to a closed network's node: nothing
 * arrives, the node reports the refusal once (with the outsider's address
 * where it can be read) however often the outsider retries, and the
 * outsider, watching, sees its handshakes fail. */
static void
s_outsider (s_outsider_t kind)
{
    uint8_t secret[APP_NETKEY_BYTES], other[APP_NETKEY_BYTES];
    randombytes_buf (secret, sizeof secret);
    randombytes_buf (other, sizeof other);
    ovl_transport_keys_t kb = s_keys (secret),
                         ko = s_keys (kind == S_OTHER_SECRET ? other : secret);
    if (kind == S_NO_VOUCH) /* it knows the inbox key, but not the secret */
        randombytes_buf (ko.vouch_key, sizeof ko.vouch_key);
    ovl_transport_t *b = s_new_keyed (&kb);
    ovl_transport_t *o = s_new_keyed (kind == S_NO_KEY ? NULL : &ko);
    const char *eb = ovl_transport_endpoint (b);
    ovl_transport_watch (o, eb);

    ovl_transport_refusal_t r;
    uint64_t deadline = tu_now_ms () + S_RECV_TIMEOUT_MS;
    int reported = 0;
    ovl_transport_refusal_t seen[8]; /* every (source, reason) reported */
    uint8_t *bytes;
    size_t len;
    /* Keep sending until b has refused three attempts (it said so once). */
    while (ovl_transport_refused (b) < 3) {
        if (tu_now_ms () >= deadline)
            fail_msg ("outsider %d: %llu refusals in %d ms", (int)kind,
                      (unsigned long long)ovl_transport_refused (b), S_RECV_TIMEOUT_MS);
        if (kind != S_OTHER_SECRET) /* a protocol error is not retried: reconnect */
            ovl_transport_forget (o, eb);
        ovl_transport_send (o, eb, (const uint8_t *)"let me in", 9);
        zmq_pollitem_t item = { ovl_transport_inbox_socket (b), 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, 50);
        if (ovl_transport_recv (b, &bytes, &len, NULL) == 0)
            fail_msg ("outsider %d: a message got through", (int)kind);
        if (ovl_transport_next_refusal (b, &r)) {
            s_once (seen, &reported, &r);
            assert_true (strcmp (r.source, "127.0.0.1") == 0 || strcmp (r.source, "unknown") == 0);
            if (kind == S_OTHER_SECRET)
                assert_int_equal (r.why, OVL_REFUSED_CRYPTO);
            else if (kind == S_NO_VOUCH)
                assert_int_equal (r.why, OVL_REFUSED_UNVOUCHED);
            else /* mismatch, or the client hung up first */
                assert_true (r.why == OVL_REFUSED_MECHANISM || r.why == OVL_REFUSED_HANDSHAKE);
        }
    }
    while (ovl_transport_next_refusal (b, &r))
        s_once (seen, &reported, &r);
    /* Once per source (the address, or "unknown" if it could not be read
     * in time) and reason, however many attempts: s_once fails on a
     * second report of a pair. A keyless outsider may be refused for
     * either of two reasons (the mechanism mismatch, or a hang-up when
     * the client gave up first), so up to 2 x 2 pairs; the others 2. */
    assert_true (reported >= 1 && reported <= (kind == S_NO_KEY ? 4 : 2));
    if (kind != S_NO_VOUCH) { /* it cannot tell: its handshake succeeded */
        ovl_refusal_t why;
        int final = 0;
        const char *via = NULL;
        assert_true (ovl_transport_watch_failures (o, &why, &final, &via) >= 1);
        assert_string_equal (via, eb);
    }
    ovl_transport_destroy (&b);
    ovl_transport_destroy (&o);
}

static void
test_keyed_refuses_other_secret (void **state)
{
    (void)state;
    s_outsider (S_OTHER_SECRET);
}

static void
test_keyed_refuses_no_key (void **state)
{
    (void)state;
    s_outsider (S_NO_KEY);
}

static void
test_keyed_refuses_unvouched (void **state)
{
    (void)state;
    s_outsider (S_NO_VOUCH);
}

/* A watch stopped, then the watched peer restarts on the same port: the
 * DEALER reconnects and traffic flows both ways (a monitor whose PAIR was
 * closed before the monitor was stopped would block libzmq's I/O thread
 * at the reconnection's first event). */
static void
test_unwatch_then_reconnect (void **state)
{
    (void)state;
    ovl_transport_t *a = s_new (), *b = s_new (), *c = s_new ();
    char eb[256];
    snprintf (eb, sizeof eb, "%s", ovl_transport_endpoint (b));
    int port = atoi (strrchr (eb, ':') + 1);
    ovl_transport_watch (a, eb);
    assert_int_equal (ovl_transport_send (a, eb, (const uint8_t *)"one", 3), 0);
    s_expect (b, "one");
    assert_int_equal (ovl_transport_watch_failures (a, NULL, NULL, NULL), 0);
    ovl_transport_watch (a, NULL);
    ovl_transport_destroy (&b);
    char err[256] = "";
    b = ovl_transport_new ("127.0.0.1", port, NULL, NULL, err, sizeof err);
    if (!b)
        fail_msg ("restart on port %d: %s", port, err);
    assert_int_equal (ovl_transport_send (a, eb, (const uint8_t *)"two", 3), 0);
    s_expect (b, "two");
    assert_int_equal (
        ovl_transport_send (c, ovl_transport_endpoint (a), (const uint8_t *)"three", 5), 0);
    s_expect (a, "three");
    ovl_transport_destroy (&a);
    ovl_transport_destroy (&b);
    ovl_transport_destroy (&c);
}

/* A joiner watches every bootstrap before it sends: an open peer it
 * reaches, then a closed network's, which refuses it for good. The
 * refusal is reported, naming the second endpoint, though that DEALER was
 * opened after the first was watched and used; the good one never counts.
 * A ninth endpoint does not fit, and NULL ends every watch. */
static void
test_watch_every_bootstrap (void **state)
{
    (void)state;
    uint8_t secret[APP_NETKEY_BYTES];
    randombytes_buf (secret, sizeof secret);
    ovl_transport_keys_t kb = s_keys (secret);
    ovl_transport_t *o = s_new (), *g = s_new (), *b = s_new_keyed (&kb);
    const char *eg = ovl_transport_endpoint (g), *eb = ovl_transport_endpoint (b);
    assert_int_equal (ovl_transport_watch (o, eg), 0);
    assert_int_equal (ovl_transport_watch (o, eb), 0);
    assert_int_equal (ovl_transport_watch (o, eb), 0); /* once is enough */
    assert_int_equal (ovl_transport_send (o, eg, (const uint8_t *)"hello", 5), 0);
    s_expect (g, "hello");
    assert_int_equal (ovl_transport_watch_failures (o, NULL, NULL, NULL), 0);
    assert_int_equal (ovl_transport_send (o, eb, (const uint8_t *)"let me in", 9), 0);
    uint64_t deadline = tu_now_ms () + S_RECV_TIMEOUT_MS;
    ovl_refusal_t why = 0;
    int final = 0;
    const char *via = NULL;
    /* A mismatch is final; a hang-up (the server closed first) is retried
     * every 100 ms, and counted each time. */
    while (!final && ovl_transport_watch_failures (o, &why, &final, &via) < 3) {
        if (tu_now_ms () >= deadline)
            fail_msg ("the refusal through the second endpoint was not seen in %d ms",
                      S_RECV_TIMEOUT_MS);
        zmq_pollitem_t item = { ovl_transport_inbox_socket (o), 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, 20);
    }
    assert_non_null (via);
    assert_string_equal (via, eb);
    assert_true (why == OVL_REFUSED_MECHANISM || why == OVL_REFUSED_HANDSHAKE);
    /* The watch is bounded: 8 endpoints (two so far). */
    char ep[64];
    for (int i = 0; i < OVL_TRANSPORT_WATCH_MAX - 2; i++) {
        snprintf (ep, sizeof ep, "tcp://127.0.0.1:%d", 1 + i);
        assert_int_equal (ovl_transport_watch (o, ep), 0);
    }
    assert_int_equal (ovl_transport_watch (o, "tcp://127.0.0.1:99"), -1);
    assert_int_equal (ovl_transport_watch (o, NULL), 0);
    assert_int_equal (ovl_transport_watch_failures (o, NULL, NULL, &via), 0);
    assert_null (via);
    ovl_transport_destroy (&o);
    ovl_transport_destroy (&g);
    ovl_transport_destroy (&b);
}

/* A member's vouch sent by another key (a member who saw it, replaying
 * it): refused, and the member it belongs to is not cut off. */
static void
test_keyed_replayed_vouch_refused (void **state)
{
    (void)state;
    uint8_t secret[APP_NETKEY_BYTES];
    randombytes_buf (secret, sizeof secret);
    ovl_transport_keys_t ka = s_keys (secret), kb = s_keys (secret), kx = s_keys (secret);
    ovl_transport_t *a = s_new_keyed (&ka), *b = s_new_keyed (&kb);
    const char *eb = ovl_transport_endpoint (b);
    assert_int_equal (ovl_transport_send (a, eb, (const uint8_t *)"a1", 2), 0);
    s_expect_from (b, "a1", ovl_id_from_public_key (ka.node_public));

    /* The scheme (docs/SECURITY.md): vouch = BLAKE2b-256 keyed with the
     * vouch key over the node's public key, a frame before each payload. */
    uint8_t vouch_a[32];
    crypto_generichash (vouch_a, sizeof vouch_a, ka.node_public, sizeof ka.node_public,
                        ka.vouch_key, sizeof ka.vouch_key);
    void *ctx = zmq_ctx_new ();
    void *x = zmq_socket (ctx, ZMQ_DEALER);
    int linger_ms = 0;
    zmq_setsockopt (x, ZMQ_LINGER, &linger_ms, sizeof linger_ms);
    assert_int_equal (zmq_setsockopt (x, ZMQ_CURVE_SERVERKEY, kx.inbox_public, 32), 0);
    assert_int_equal (zmq_setsockopt (x, ZMQ_CURVE_PUBLICKEY, kx.node_public, 32), 0);
    assert_int_equal (zmq_setsockopt (x, ZMQ_CURVE_SECRETKEY, kx.node_secret, 32), 0);
    assert_int_equal (zmq_connect (x, eb), 0);
    uint64_t deadline = tu_now_ms () + S_RECV_TIMEOUT_MS;
    uint8_t *bytes;
    size_t len;
    ovl_id_t sender;
    while (ovl_transport_refused (b) == 0) {
        if (tu_now_ms () >= deadline)
            fail_msg ("the replayed vouch was not refused within %d ms", S_RECV_TIMEOUT_MS);
        zmq_send (x, vouch_a, sizeof vouch_a, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send (x, "forged", 6, ZMQ_DONTWAIT);
        zmq_pollitem_t item = { ovl_transport_inbox_socket (b), 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, 50);
        if (ovl_transport_recv (b, &bytes, &len, &sender) == 0)
            fail_msg ("a message with a replayed vouch got through");
    }
    ovl_transport_refusal_t r;
    assert_int_equal (ovl_transport_next_refusal (b, &r), 1);
    assert_int_equal (r.why, OVL_REFUSED_UNVOUCHED);
    assert_string_equal (r.source, "127.0.0.1");
    /* a still gets through, as itself. */
    assert_int_equal (ovl_transport_send (a, eb, (const uint8_t *)"a2", 2), 0);
    s_expect_from (b, "a2", ovl_id_from_public_key (ka.node_public));
    zmq_close (x);
    zmq_ctx_term (ctx);
    ovl_transport_destroy (&a);
    ovl_transport_destroy (&b);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_send_and_prune),
        cmocka_unit_test (test_bad_endpoints_refused),
        cmocka_unit_test (test_keyed_names_sender),
        cmocka_unit_test (test_keyed_refuses_other_secret),
        cmocka_unit_test (test_keyed_refuses_no_key),
        cmocka_unit_test (test_keyed_refuses_unvouched),
        cmocka_unit_test (test_unwatch_then_reconnect),
        cmocka_unit_test (test_watch_every_bootstrap),
        cmocka_unit_test (test_keyed_replayed_vouch_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
