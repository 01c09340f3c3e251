/* test_transport.c: the ZeroMQ transport on loopback -- messages arrive
 * whole, bad endpoints are refused, and pruning closes exactly the
 * connections that left the state and were not used since the last prune. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "transport_zmq.h"

#define S_RECV_TIMEOUT_MS 5000

static ovl_transport_t *
s_new (void)
{
    char err[256] = "";
    ovl_transport_t *t = ovl_transport_new ("127.0.0.1", 0, NULL, err, sizeof err);
    if (!t)
        fail_msg ("ovl_transport_new: %s", err);
    return t;
}

/* Wait (poll, with a deadline) for one message on t and check its bytes. */
static void
s_expect (ovl_transport_t *t, const char *text)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    int64_t deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + S_RECV_TIMEOUT_MS;
    uint8_t *bytes = NULL;
    size_t len = 0;
    while (ovl_transport_recv (t, &bytes, &len) != 0) {
        clock_gettime (CLOCK_MONOTONIC, &ts);
        int64_t left = deadline - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
        if (left <= 0)
            fail_msg ("no message within %d ms", S_RECV_TIMEOUT_MS);
        zmq_pollitem_t item = { ovl_transport_inbox_socket (t), 0, ZMQ_POLLIN, 0 };
        zmq_poll (&item, 1, (long)left);
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

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_send_and_prune),
        cmocka_unit_test (test_bad_endpoints_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
