/* test_lan.c: `peer --lan`'s beacons and what a looking peer makes of
 * them (app/peer/lan_beacon.c), without a socket: a beacon round-trips; a
 * beacon of another network, another key, another version, with a byte
 * changed or no port is refused; a looking peer joins the members it
 * heard, not one that said goodbye, waits for a smaller peer looking
 * unless that one gave up, and starts the network when nobody is there.
 * (The beacons on a wire are tested in tests/net/lab.sh, inside network
 * namespaces only.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "lan_beacon.h"
#include "node.h"

#define S_WAIT_MS 1500
#define S_T0_MS 1000000 /* any start time */

static ovl_id_t
s_id (uint64_t hi)
{
    ovl_id_t id;
    id.hi = hi;
    id.lo = 7;
    return id;
}

static void
test_beacon_round_trip (void **state)
{
    (void)state;
    app_lan_keys_t k;
    app_lan_keys (&k, "lab", NULL);
    uint8_t b[APP_LAN_BEACON_BYTES];
    int flags, port;
    ovl_id_t id;
    int cases[][2] = { { 0, 1 }, { APP_LAN_MEMBER, 5555 }, { APP_LAN_LEAVING, 65535 } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        app_lan_beacon_encode (&k, cases[i][0], s_id (0x1234 + i), cases[i][1], b);
        assert_memory_equal (b, "P2PF\1", 5);
        assert_int_equal (app_lan_beacon_decode (&k, b, sizeof b, &flags, &id, &port), 0);
        assert_int_equal (flags, cases[i][0]);
        assert_int_equal (port, cases[i][1]);
        assert_true (ovl_id_eq (id, s_id (0x1234 + i)));
    }
}

static void
test_beacon_foreign_refused (void **state)
{
    (void)state;
    uint8_t secret[32], other[32];
    memset (secret, 1, sizeof secret);
    memset (other, 2, sizeof other);
    app_lan_keys_t open_lab, open_other, closed, closed_other;
    app_lan_keys (&open_lab, "lab", NULL);
    app_lan_keys (&open_other, "other", NULL);
    app_lan_keys (&closed, "lab", secret);
    app_lan_keys (&closed_other, "lab", other);
    uint8_t b[APP_LAN_BEACON_BYTES], c[APP_LAN_BEACON_BYTES];
    int flags, port;
    ovl_id_t id;
    app_lan_beacon_encode (&closed, APP_LAN_MEMBER, s_id (1), 5555, b);
    assert_int_equal (app_lan_beacon_decode (&closed, b, sizeof b, &flags, &id, &port), 0);
    /* Another network, another key, or none: refused. */
    assert_int_equal (app_lan_beacon_decode (&closed_other, b, sizeof b, &flags, &id, &port), -1);
    assert_int_equal (app_lan_beacon_decode (&open_lab, b, sizeof b, &flags, &id, &port), -1);
    app_lan_beacon_encode (&open_lab, APP_LAN_MEMBER, s_id (1), 5555, c);
    assert_int_equal (app_lan_beacon_decode (&open_other, c, sizeof c, &flags, &id, &port), -1);
    /* A closed network's tag says nothing of its name. */
    assert_memory_not_equal (b + 8, c + 8, 8);
    /* Any byte changed (a forged flag, port or id: the MAC), a short
     * beacon, another version. */
    for (size_t i = 0; i < sizeof b; i++) {
        memcpy (c, b, sizeof b);
        c[i] ^= 0x01;
        assert_int_equal (app_lan_beacon_decode (&closed, c, sizeof c, &flags, &id, &port), -1);
    }
    assert_int_equal (app_lan_beacon_decode (&closed, b, sizeof b - 1, &flags, &id, &port), -1);
    assert_int_equal (app_lan_beacon_decode (&closed, NULL, 0, &flags, &id, &port), -1);
    /* Port 0 (ZRE's "leaving"; ours says it with a flag) is no beacon. */
    app_lan_beacon_encode (&closed, APP_LAN_MEMBER, s_id (1), 0, c);
    assert_int_equal (app_lan_beacon_decode (&closed, c, sizeof c, &flags, &id, &port), -1);
}

/* The verdict at now, with the bootstraps it names in shown. */
static app_lan_verdict_t
s_verdict (const app_lan_look_t *l, uint64_t now, size_t *n, char *shown, size_t shown_size)
{
    ovl_handle_t boots[OVL_BOOTSTRAPS_MAX];
    return app_lan_look_verdict (l, now, boots, OVL_BOOTSTRAPS_MAX, n, shown, shown_size);
}

static void
test_look_joins_members_heard (void **state)
{
    (void)state;
    app_lan_look_t l;
    app_lan_look_init (&l, s_id (5), S_T0_MS, S_WAIT_MS);
    char shown[256];
    size_t n;
    assert_int_equal (s_verdict (&l, S_T0_MS, &n, shown, sizeof shown), APP_LAN_WAIT);
    app_lan_look_heard (&l, S_T0_MS + 10, 0, s_id (5), "tcp://10.0.0.5:1"); /* our echo */
    app_lan_look_heard (&l, S_T0_MS + 100, APP_LAN_MEMBER, s_id (9), "tcp://10.0.0.9:5555");
    /* A few more may come: decided 300 ms after the first member. */
    assert_int_equal (app_lan_look_deadline_ms (&l, S_T0_MS + 100), S_T0_MS + 400);
    assert_int_equal (s_verdict (&l, S_T0_MS + 399, &n, shown, sizeof shown), APP_LAN_WAIT);
    app_lan_look_heard (&l, S_T0_MS + 200, APP_LAN_MEMBER, s_id (8), "tcp://10.0.0.8:5555");
    assert_int_equal (s_verdict (&l, S_T0_MS + 400, &n, shown, sizeof shown), APP_LAN_JOIN);
    assert_int_equal (n, 2);
    assert_string_equal (shown, "10.0.0.9:5555, 10.0.0.8:5555");
}

/* A member that says goodbye before the verdict is not joined through,
 * and a late copy of its member beacon does not bring it back; with no
 * member left the peer goes on looking. */
static void
test_look_skips_member_that_left (void **state)
{
    (void)state;
    app_lan_look_t l;
    app_lan_look_init (&l, s_id (5), S_T0_MS, S_WAIT_MS);
    char shown[256];
    size_t n;
    app_lan_look_heard (&l, S_T0_MS + 100, APP_LAN_MEMBER, s_id (9), "tcp://10.0.0.9:5555");
    app_lan_look_heard (&l, S_T0_MS + 150, APP_LAN_MEMBER, s_id (8), "tcp://10.0.0.8:5555");
    app_lan_look_heard (&l, S_T0_MS + 200, APP_LAN_LEAVING, s_id (9), "tcp://10.0.0.9:5555");
    app_lan_look_heard (&l, S_T0_MS + 250, APP_LAN_MEMBER, s_id (9), "tcp://10.0.0.9:5555");
    assert_int_equal (s_verdict (&l, S_T0_MS + 400, &n, shown, sizeof shown), APP_LAN_JOIN);
    assert_int_equal (n, 1);
    assert_string_equal (shown, "10.0.0.8:5555");
    /* The other leaves too: nobody to join, and still within the wait. */
    app_lan_look_heard (&l, S_T0_MS + 500, APP_LAN_LEAVING, s_id (8), "tcp://10.0.0.8:5555");
    assert_int_equal (s_verdict (&l, S_T0_MS + 500, &n, shown, sizeof shown), APP_LAN_WAIT);
    assert_int_equal (n, 0);
    assert_int_equal (app_lan_look_deadline_ms (&l, S_T0_MS + 500), S_T0_MS + S_WAIT_MS);
    assert_int_equal (s_verdict (&l, S_T0_MS + S_WAIT_MS, &n, shown, sizeof shown), APP_LAN_START);
}

/* Peers looking at the same time: the smallest id starts the network and
 * the others wait for it (up to four waits); one that gives up and says
 * goodbye holds nobody back. */
static void
test_look_smallest_starts (void **state)
{
    (void)state;
    char shown[256];
    size_t n;
    app_lan_look_t small, big;
    app_lan_look_init (&small, s_id (3), S_T0_MS, S_WAIT_MS);
    app_lan_look_init (&big, s_id (5), S_T0_MS, S_WAIT_MS);
    app_lan_look_heard (&small, S_T0_MS + 10, 0, s_id (5), "tcp://10.0.0.5:40000");
    app_lan_look_heard (&big, S_T0_MS + 10, 0, s_id (3), "tcp://10.0.0.3:40001");
    assert_int_equal (s_verdict (&small, S_T0_MS + S_WAIT_MS, &n, shown, sizeof shown),
                      APP_LAN_START);
    assert_int_equal (s_verdict (&big, S_T0_MS + S_WAIT_MS, &n, shown, sizeof shown), APP_LAN_WAIT);
    assert_int_equal (app_lan_look_deadline_ms (&big, S_T0_MS + S_WAIT_MS),
                      S_T0_MS + 4 * S_WAIT_MS);
    /* Never heard from again: the bigger one starts a network itself. */
    assert_int_equal (s_verdict (&big, S_T0_MS + 4 * S_WAIT_MS, &n, shown, sizeof shown),
                      APP_LAN_START);
    /* Heard as a member once it started: joined. */
    app_lan_look_t again = big;
    app_lan_look_heard (&again, S_T0_MS + S_WAIT_MS + 50, APP_LAN_MEMBER, s_id (3),
                        "tcp://10.0.0.3:40001");
    assert_int_equal (s_verdict (&again, S_T0_MS + S_WAIT_MS + 350, &n, shown, sizeof shown),
                      APP_LAN_JOIN);
    assert_string_equal (shown, "10.0.0.3:40001");
    /* It gave up instead (a goodbye): the bigger one starts at once. */
    app_lan_look_heard (&big, S_T0_MS + S_WAIT_MS + 50, APP_LAN_LEAVING, s_id (3),
                        "tcp://10.0.0.3:40001");
    assert_int_equal (s_verdict (&big, S_T0_MS + S_WAIT_MS + 50, &n, shown, sizeof shown),
                      APP_LAN_START);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_beacon_round_trip),
        cmocka_unit_test (test_beacon_foreign_refused),
        cmocka_unit_test (test_look_joins_members_heard),
        cmocka_unit_test (test_look_skips_member_that_left),
        cmocka_unit_test (test_look_smallest_starts),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
