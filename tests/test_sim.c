/* test_sim.c: the overlay cores on the deterministic simulator -- joins,
 * routing to the numerically closest live node, multicast exactly once,
 * repair after crashes, loss, and replay: the same seed gives the same
 * trace. Seeds are printed; P2PF_SEED replays one. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "rng.h"
#include "simnet.h"
#include "wire.h"

static uint64_t s_seed;

typedef struct {
    int *dest;    /* per lookup: node it was delivered at */
    int *hops;    /* per lookup: hops */
    int n;        /* lookups */
    int *got;     /* per node: deliveries of the current publication */
    uint64_t pub; /* current publication */
} s_obs_t;

#define S_HEAL_ROUNDS 20 /* test_trees_heal_after_loss */
#define S_HEAL_LOSS 0.1
#define S_HEAL_AFTER_MS 40000

static s_obs_t s_obs;

/* Goodbyes and losses heard: per observer, of the node s_gone_a (left)
 * and s_gone_b (crashed), and of anyone else. */
static int s_gone_a = -1, s_gone_b = -1;
static int *s_left_of, *s_lost_of; /* [observer * 2 + (0: a, 1: b)] */
static int s_gone_other;           /* reports about any other node */
static ovl_simnet_t *s_gone_sim;   /* the simulator they happen in */

static int
s_which_gone (const ovl_handle_t *h)
{
    ovl_simnet_t *sim = s_gone_sim;
    if (s_gone_a >= 0 && ovl_id_eq (h->id, ovl_node_self (ovl_simnet_node (sim, s_gone_a))->id))
        return 0;
    if (s_gone_b >= 0 && ovl_id_eq (h->id, ovl_node_self (ovl_simnet_node (sim, s_gone_b))->id))
        return 1;
    return -1;
}

static void
s_node_lost (void *ctx, int node, const ovl_handle_t *lost)
{
    (void)ctx;
    int k = s_left_of ? s_which_gone (lost) : -1;
    if (k < 0)
        s_gone_other++;
    else
        s_lost_of[node * 2 + k]++;
}

static void
s_node_left (void *ctx, int node, const ovl_handle_t *left)
{
    (void)ctx;
    int k = s_left_of ? s_which_gone (left) : -1;
    if (k < 0)
        s_gone_other++;
    else
        s_left_of[node * 2 + k]++;
}

/* Anycast: which node accepts, and what the starter heard back. */
static int s_any_acceptor = -1;     /* the only node that accepts (-1: none) */
static int s_any_offers;            /* offers made */
static int s_any_results;           /* results heard by the starter */
static int s_any_accepted;          /* the last result's verdict */
static char s_any_by[OVL_ADDR_MAX]; /* who accepted, per the result */
static ovl_simnet_t *s_any_sim;     /* with s_any_lose_at: whose loss to raise */
static int s_any_lose_at;           /* at this many offers, lose everything sent */

static int
s_anycast_accept (void *ctx, int node, ovl_id_t group, const uint8_t *payload, size_t len)
{
    (void)ctx;
    (void)group;
    (void)payload;
    (void)len;
    s_any_offers++;
    /* The walk this node passes on next is lost (the test restores the
     * loss once this event is over). */
    if (s_any_sim && s_any_offers == s_any_lose_at)
        ovl_simnet_set_loss (s_any_sim, 1.0);
    return node == s_any_acceptor;
}

static void
s_anycast_result (void *ctx, int node, uint64_t id, int accepted, const ovl_handle_t *by)
{
    (void)ctx;
    (void)node;
    (void)id;
    s_any_results++;
    s_any_accepted = accepted;
    snprintf (s_any_by, sizeof s_any_by, "%s", by ? by->addr : "");
}

static void
s_deliver (void *ctx, int node, ovl_id_t key, const uint8_t *payload, size_t len, int hops)
{
    (void)ctx;
    (void)key;
    uint32_t i;
    if (len != sizeof i)
        return;
    memcpy (&i, payload, sizeof i);
    if ((int)i < s_obs.n && s_obs.dest[i] < 0) {
        s_obs.dest[i] = node;
        s_obs.hops[i] = hops;
    }
}

static void
s_group_deliver (void *ctx, int node, ovl_id_t group, const uint8_t *payload, size_t len)
{
    (void)ctx;
    (void)group;
    uint64_t p;
    if (len == sizeof p && (memcpy (&p, payload, sizeof p), p == s_obs.pub))
        s_obs.got[node]++;
}

static ovl_simnet_t *
s_build (int n, uint64_t seed, double loss)
{
    ovl_simnet_config_t cfg;
    memset (&cfg, 0, sizeof cfg);
    cfg.seed = seed;
    cfg.loss = 0.0;
    cfg.latency_min_ms = 2;
    cfg.latency_max_ms = 20;
    ovl_config_default (&cfg.node);
    cfg.node.ping_interval_ms = 0;
    cfg.node.fail_timeout_ms = 0;
    cfg.node.ack_timeout_ms = 200;
    ovl_simnet_hooks_t hooks;
    memset (&hooks, 0, sizeof hooks);
    hooks.node_lost = s_node_lost;
    hooks.node_left = s_node_left;
    hooks.deliver = s_deliver;
    hooks.group_deliver = s_group_deliver;
    hooks.anycast_accept = s_anycast_accept;
    hooks.anycast_result = s_anycast_result;
    ovl_simnet_t *sim = ovl_simnet_new (&cfg, &hooks);
    assert_non_null (sim);
    ovl_rng_t rng;
    ovl_rng_seed (&rng, seed + 1);
    for (int i = 0; i < n; i++) {
        assert_true (ovl_simnet_add (sim, i ? (int)ovl_rng_below (&rng, (uint64_t)i) : -1) == i);
        assert_int_equal (ovl_simnet_settle (sim, 60000), 0);
    }
    for (int i = 0; i < n; i++)
        assert_true (ovl_node_is_joined (ovl_simnet_node (sim, i)));
    ovl_simnet_set_loss (sim, loss);
    free (s_obs.got);
    s_obs.got = calloc ((size_t)n, sizeof *s_obs.got);
    return sim;
}

/* Crash `count` random live nodes out of the first n. */
static void
s_kill_random (ovl_simnet_t *sim, ovl_rng_t *rng, int n, int count)
{
    for (int killed = 0; killed < count;) {
        int v = (int)ovl_rng_below (rng, (uint64_t)n);
        if (ovl_simnet_alive (sim, v)) {
            ovl_simnet_kill (sim, v);
            killed++;
        }
    }
}

/* Switch liveness probing on with short timers. */
static void
s_probe_on (ovl_simnet_t *sim)
{
    ovl_config_t live;
    ovl_config_default (&live);
    live.ping_interval_ms = 500;
    live.fail_timeout_ms = 1500;
    live.ack_timeout_ms = 200;
    ovl_simnet_set_node_config (sim, &live);
}

static int
s_cmp_id (const void *a, const void *b)
{
    return ovl_id_cmp (*(const ovl_id_t *)a, *(const ovl_id_t *)b);
}

/* Invariant: every live node's leaf set holds exactly the (up to) 8 live
 * nodes nearest it on each side. Returns the number of nodes that differ. */
static int
s_check_leafsets (ovl_simnet_t *sim, int verbose)
{
    int n = ovl_simnet_count (sim), live = 0;
    ovl_id_t *ids = malloc ((size_t)n * sizeof *ids);
    for (int i = 0; i < n; i++)
        if (ovl_simnet_alive (sim, i))
            ids[live++] = ovl_node_self (ovl_simnet_node (sim, i))->id;
    qsort (ids, (size_t)live, sizeof *ids, s_cmp_id);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        if (!ovl_simnet_alive (sim, i))
            continue;
        ovl_node_t *node = ovl_simnet_node (sim, i);
        ovl_id_t self = ovl_node_self (node)->id;
        int pos = 0;
        while (!ovl_id_eq (ids[pos], self))
            pos++;
        ovl_id_t want[16];
        int nw = 0;
        for (int k = 1; k <= 8 && k < live; k++) {
            ovl_id_t cw = ids[(pos + k) % live], ccw = ids[(pos - k + live) % live];
            int dup = 0;
            for (int j = 0; j < nw; j++)
                dup |= ovl_id_eq (want[j], cw);
            if (!dup)
                want[nw++] = cw;
            dup = 0;
            for (int j = 0; j < nw; j++)
                dup |= ovl_id_eq (want[j], ccw);
            if (!dup && !ovl_id_eq (ccw, self))
                want[nw++] = ccw;
        }
        ovl_handle_t have[16];
        int nh = ovl_node_leaf_list (node, have, 16);
        int ok = nh == nw;
        for (int j = 0; ok && j < nw; j++) {
            int found = 0;
            for (int k = 0; k < nh; k++)
                found |= ovl_id_eq (have[k].id, want[j]);
            ok = found;
        }
        if (!ok) {
            bad++;
            if (verbose && bad <= 3) {
                print_message ("node %d: leaf set has %d, wants %d\n", i, nh, nw);
                for (int j = 0; j < nw; j++) {
                    int found = 0;
                    for (int k = 0; k < nh; k++)
                        found |= ovl_id_eq (have[k].id, want[j]);
                    char hex[OVL_ID_SHORT_LEN + 1];
                    ovl_id_short (want[j], hex);
                    if (!found) {
                        int wi = -1;
                        for (int q = 0; q < n && wi < 0; q++)
                            if (ovl_id_eq (ovl_node_self (ovl_simnet_node (sim, q))->id, want[j]))
                                wi = q;
                        ovl_handle_t their[16];
                        int nt = ovl_node_leaf_list (ovl_simnet_node (sim, wi), their, 16);
                        print_message ("  missing %s (node %d, its leaf set has %d, known %zu)\n",
                                       hex, wi, nt,
                                       ovl_node_known_count (ovl_simnet_node (sim, wi)));
                    }
                }
                for (int k = 0; k < nh; k++) {
                    int found = 0;
                    for (int j = 0; j < nw; j++)
                        found |= ovl_id_eq (have[k].id, want[j]);
                    unsigned idx = 0;
                    sscanf (have[k].addr, "sim:%u", &idx);
                    if (!found) {
                        ovl_handle_t xl[16];
                        int nx = ovl_node_leaf_list (ovl_simnet_node (sim, (int)idx), xl, 16);
                        print_message ("  extra %s (%s); its leaves:", have[k].addr,
                                       ovl_simnet_alive (sim, (int)idx) ? "alive" : "dead");
                        for (int q = 0; q < nx; q++)
                            print_message (" %s", xl[q].addr);
                        print_message ("\n");
                    }
                }
            }
        }
    }
    free (ids);
    return bad;
}

/* Route k lookups from random live nodes to random keys; return how many
 * reached the numerically closest live node. */
static int
s_lookups (ovl_simnet_t *sim, ovl_rng_t *rng, int k, int *max_hops)
{
    int n = ovl_simnet_count (sim);
    ovl_id_t *keys = malloc ((size_t)k * sizeof *keys);
    s_obs.dest = malloc ((size_t)k * sizeof (int));
    s_obs.hops = malloc ((size_t)k * sizeof (int));
    s_obs.n = k;
    for (int i = 0; i < k; i++) {
        s_obs.dest[i] = -1;
        int src;
        do
            src = (int)ovl_rng_below (rng, (uint64_t)n);
        while (!ovl_simnet_alive (sim, src));
        keys[i] = ovl_rng_id (rng);
        uint32_t idx = (uint32_t)i;
        ovl_simnet_route (sim, src, keys[i], (uint8_t *)&idx, sizeof idx);
    }
    ovl_simnet_settle (sim, 120000);
    int ok = 0;
    *max_hops = 0;
    for (int i = 0; i < k; i++) {
        if (s_obs.dest[i] == ovl_simnet_closest (sim, keys[i]))
            ok++;
        else if (getenv ("P2PF_DEBUG"))
            print_message ("lookup %d: delivered at %d, closest is %d\n", i, s_obs.dest[i],
                           ovl_simnet_closest (sim, keys[i]));
        if (s_obs.dest[i] >= 0 && s_obs.hops[i] > *max_hops)
            *max_hops = s_obs.hops[i];
    }
    free (keys);
    free (s_obs.dest);
    free (s_obs.hops);
    s_obs.n = 0;
    return ok;
}

static void
test_join_builds_correct_leafsets (void **state)
{
    (void)state;
    for (int round = 0; round < 3; round++) {
        uint64_t seed = s_seed + (uint64_t)round;
        ovl_simnet_t *sim = s_build (300, seed, 0.0);
        int bad = s_check_leafsets (sim, 1);
        if (bad)
            fail_msg ("seed %llu: %d nodes have a wrong leaf set", (unsigned long long)seed, bad);
        ovl_simnet_destroy (&sim);
    }
}

/* A joiner given a dead address and a live one joins through the live
 * one once its first JOIN times out; given only the dead one it never
 * joins (so the first half proves the second address was used). */
static void
test_join_tries_every_address (void **state)
{
    (void)state;
    ovl_simnet_t *sim = s_build (20, s_seed, 0.0);
    ovl_simnet_kill (sim, 3);
    int only_dead = 3, both[2] = { 3, 11 };
    int lone = ovl_simnet_add_any (sim, &only_dead, 1);
    int joiner = ovl_simnet_add_any (sim, both, 2);
    assert_int_equal (joiner, lone + 1);
    /* Six join timeouts (1.5 s by default). */
    ovl_simnet_run_until (sim, ovl_simnet_now (sim) + 9000);
    assert_true (ovl_node_is_joined (ovl_simnet_node (sim, joiner)));
    assert_false (ovl_node_is_joined (ovl_simnet_node (sim, lone)));
    ovl_simnet_destroy (&sim);
}

/* Peers started together, each joining through the one started just
 * before it -- itself still joining (a lab where each types the address it
 * saw last). A node still joining is no ring: it refuses such JOINs, and
 * the newcomer's join starts over at its timeout (1.5 s), so a chain joins
 * one link a timeout at worst -- what the refusal costs. Before, the joiner answered as the
 * newcomer's closest node and gave it a leaf set without the ring (sim
 * --job joiners --seed 7116: it rooted the job's tree alone and elected
 * itself); a refusal that was acknowledged taught the newcomer of the
 * refuser, and two joiners refused each other's JOINs for ever. */
static void
test_join_through_a_joiner (void **state)
{
    (void)state;
    enum { N = 6 };
    uint64_t refused = 0;
    for (int round = 0; round < 20; round++) {
        ovl_simnet_t *sim = s_build (1, s_seed * 17 + (uint64_t)round, 0.0);
        for (int i = 1; i < N; i++)
            assert_int_equal (ovl_simnet_add (sim, i - 1), i);
        ovl_simnet_run_until (sim, ovl_simnet_now (sim) + (N - 1) * 3000 + 1000);
        for (int i = 0; i < N; i++) {
            const ovl_node_t *node = ovl_simnet_node (sim, i);
            refused += ovl_node_stats (node)->joins_refused;
            if (!ovl_node_is_joined (node))
                fail_msg ("seed %llu round %d: node %d not joined after a join timeout a link",
                          (unsigned long long)s_seed, round, i);
        }
        ovl_simnet_destroy (&sim);
    }
    /* The fault happened: JOINs reached nodes still joining. */
    print_message ("%llu JOINs reached a node still joining\n", (unsigned long long)refused);
    assert_true (refused > 0);
}

static void
test_lookups_reach_closest_node (void **state)
{
    (void)state;
    ovl_simnet_t *sim = s_build (1000, s_seed, 0.0);
    ovl_rng_t rng;
    ovl_rng_seed (&rng, s_seed * 7 + 3);
    int max_hops;
    int ok = s_lookups (sim, &rng, 2000, &max_hops);
    if (ok != 2000)
        fail_msg ("seed %llu: %d of 2000 lookups reached the closest node",
                  (unsigned long long)s_seed, ok);
    /* ceil(log16 1000) = 3, one more for the leaf-set hop and one for a
     * table slot still empty in a ring this young (tables fill in through
     * maintenance; `p2pfractal sim` measures the grown-up figures). */
    if (max_hops > 5)
        fail_msg ("seed %llu: a lookup took %d hops", (unsigned long long)s_seed, max_hops);
    /* The simulator delivers every message with its true sender, as a
     * closed network's transport does: nobody spoke as someone else. */
    for (int i = 0; i < ovl_simnet_count (sim); i++)
        assert_int_equal (ovl_node_stats (ovl_simnet_node (sim, i))->dropped_forged, 0);
    ovl_simnet_destroy (&sim);
}

/* A message whose `from` is not the node the transport says sent it is
 * dropped and counted; from its true sender it is handled. */
static void
test_forged_sender_dropped (void **state)
{
    (void)state;
    ovl_simnet_t *sim = s_build (2, s_seed, 0.0);
    ovl_node_t *a = ovl_simnet_node (sim, 0);
    const ovl_handle_t *b = ovl_node_self (ovl_simnet_node (sim, 1));
    P2pf__Envelope env;
    P2pf__NodeHandle from;
    uint8_t from_id[16];
    ovl_wire_envelope_init (&env, &from, from_id, b);
    P2pf__RowRequest req = P2PF__ROW_REQUEST__INIT;
    env.body_case = P2PF__ENVELOPE__BODY_ROW_REQUEST;
    env.row_request = &req;
    size_t len;
    uint8_t *bytes = ovl_wire_encode_alloc (&env, &len);
    assert_non_null (bytes);
    const ovl_node_stats_t *st = ovl_node_stats (a);
    uint64_t received = st->msgs_received;
    ovl_id_t liar = b->id;
    liar.lo ^= 1;
    ovl_node_on_msg_from (a, 0, bytes, len, liar);
    assert_int_equal (st->dropped_forged, 1);
    assert_int_equal (st->msgs_received, received);
    ovl_node_on_msg_from (a, 0, bytes, len, b->id);
    assert_int_equal (st->dropped_forged, 1);
    assert_int_equal (st->msgs_received, received + 1);
    free (bytes);
    ovl_simnet_destroy (&sim);
}

/* Crash 10% of the nodes, switch liveness probing on, let repair run: every
 * leaf set is right again and every lookup reaches the closest live node. */
static void
test_repair_after_crashes (void **state)
{
    (void)state;
    ovl_simnet_t *sim = s_build (600, s_seed, 0.0);
    ovl_rng_t rng;
    ovl_rng_seed (&rng, s_seed * 11 + 5);
    s_kill_random (sim, &rng, 600, 60);
    s_probe_on (sim);
    /* two or three detection rounds: repairs can cascade */
    ovl_simnet_run_until (sim, ovl_simnet_now (sim) + 10000);
    int bad = s_check_leafsets (sim, 1);
    if (bad)
        fail_msg ("seed %llu: %d nodes have a wrong leaf set after repair",
                  (unsigned long long)s_seed, bad);
    int max_hops;
    int ok = s_lookups (sim, &rng, 2000, &max_hops);
    if (ok != 2000)
        fail_msg ("seed %llu: %d of 2000 lookups reached the closest node after repair",
                  (unsigned long long)s_seed, ok);
    ovl_simnet_destroy (&sim);
}

/* One node leaves gracefully (ovl_node_leave), another crashes, at once.
 * Every node holding the leaver in its leaf set drops it and reports it
 * left within a few latencies -- far below the failure timeout -- and no
 * node ever reports it lost; the crashed node is reported lost, never
 * left; the leaf sets are right afterwards. */
static void
test_leave_is_not_lost (void **state)
{
    (void)state;
    const int n = 60;
    ovl_simnet_t *sim = s_build (n, s_seed, 0.0);
    s_gone_sim = sim;
    s_probe_on (sim);
    ovl_simnet_run_until (sim, ovl_simnet_now (sim) + 2000);
    ovl_rng_t rng;
    ovl_rng_seed (&rng, s_seed * 7 + 3);
    s_gone_a = (int)ovl_rng_below (&rng, (uint64_t)n);
    do
        s_gone_b = (int)ovl_rng_below (&rng, (uint64_t)n);
    while (s_gone_b == s_gone_a);
    s_left_of = calloc ((size_t)n * 2, sizeof *s_left_of);
    s_lost_of = calloc ((size_t)n * 2, sizeof *s_lost_of);
    assert_non_null (s_left_of);
    assert_non_null (s_lost_of);
    s_gone_other = 0;
    /* who holds the leaver as a leaf now: each must hear its goodbye */
    ovl_id_t a_id = ovl_node_self (ovl_simnet_node (sim, s_gone_a))->id;
    int *holds = calloc ((size_t)n, sizeof *holds);
    assert_non_null (holds);
    int holders = 0;
    for (int i = 0; i < n; i++) {
        ovl_handle_t leaves[16];
        int nl = ovl_node_leaf_list (ovl_simnet_node (sim, i), leaves, 16);
        for (int k = 0; k < nl; k++)
            if (ovl_id_eq (leaves[k].id, a_id)) {
                holds[i] = 1;
                holders++;
            }
    }
    assert_true (holders > 0);
    uint64_t t0 = ovl_simnet_now (sim);
    ovl_simnet_node_leave (sim, s_gone_a);
    assert_true (ovl_node_has_left (ovl_simnet_node (sim, s_gone_a)));
    ovl_simnet_kill (sim, s_gone_b);
    /* Well inside the failure timeout (1500 ms): goodbyes take one hop. */
    ovl_simnet_run_until (sim, t0 + 200);
    for (int i = 0; i < n; i++) {
        if (holds[i] && i != s_gone_b && s_left_of[i * 2] != 1)
            fail_msg ("seed %llu: node %d held the leaver as a leaf but reported it left %d times "
                      "within 200 ms",
                      (unsigned long long)s_seed, i, s_left_of[i * 2]);
        assert_int_equal (s_lost_of[i * 2 + 1], 0); /* the crash: not detected yet */
    }
    /* The leaver hears nothing more (it is silent for good). */
    assert_int_equal (s_left_of[s_gone_a * 2 + 1] + s_lost_of[s_gone_a * 2 + 1], 0);
    /* The leaver is out of the simulator as its process would be; the
     * crash is detected by the failure timeout. */
    ovl_simnet_kill (sim, s_gone_a);
    ovl_simnet_run_until (sim, t0 + 10000);
    int lost_b = 0;
    for (int i = 0; i < n; i++) {
        if (s_lost_of[i * 2])
            fail_msg ("seed %llu: node %d reported the leaver lost", (unsigned long long)s_seed, i);
        if (s_left_of[i * 2 + 1])
            fail_msg ("seed %llu: node %d reported the crashed node left",
                      (unsigned long long)s_seed, i);
        assert_true (s_left_of[i * 2] <= 1);
        lost_b += s_lost_of[i * 2 + 1] > 0;
    }
    assert_true (lost_b > 0);
    assert_int_equal (s_gone_other, 0);
    int bad = s_check_leafsets (sim, 1);
    if (bad)
        fail_msg ("seed %llu: %d nodes have a wrong leaf set after a leave and a crash",
                  (unsigned long long)s_seed, bad);
    free (holds);
    free (s_left_of);
    free (s_lost_of);
    s_left_of = s_lost_of = NULL;
    s_gone_a = s_gone_b = -1;
    s_gone_sim = NULL;
    ovl_simnet_destroy (&sim);
}

/* Publish from random members; every member delivers each publication
 * exactly once, and no forwarder has more children than the bound. */
static int
s_publish_all_once (ovl_simnet_t *sim, ovl_rng_t *rng, ovl_id_t group, const int *members, int m)
{
    int n = ovl_simnet_count (sim);
    memset (s_obs.got, 0, (size_t)n * sizeof *s_obs.got);
    s_obs.pub = ovl_rng_next (rng);
    int pub;
    do
        pub = members[ovl_rng_below (rng, (uint64_t)m)];
    while (!ovl_simnet_alive (sim, pub));
    ovl_simnet_group_publish (sim, pub, group, (uint8_t *)&s_obs.pub, sizeof s_obs.pub);
    ovl_simnet_settle (sim, 120000);
    int bad = 0;
    for (int i = 0; i < m; i++)
        if (ovl_simnet_alive (sim, members[i]) && s_obs.got[members[i]] != 1)
            bad++;
    ovl_config_t cfg;
    ovl_config_default (&cfg);
    for (int i = 0; i < n; i++) {
        int children = 0;
        if (ovl_simnet_alive (sim, i) && ovl_node_group_info (ovl_simnet_node (sim, i), group, NULL,
                                                              NULL, NULL, NULL, &children))
            assert_true ((uint32_t)children <= cfg.children_max);
    }
    return bad;
}

static int *
s_join_members (ovl_simnet_t *sim, ovl_rng_t *rng, ovl_id_t group, int m)
{
    int n = ovl_simnet_count (sim);
    int *perm = malloc ((size_t)n * sizeof *perm);
    assert_non_null (perm);
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = 0; i < m; i++) {
        int j = i + (int)ovl_rng_below (rng, (uint64_t)(n - i));
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        ovl_simnet_group_join (sim, perm[i], group);
    }
    ovl_simnet_settle (sim, 60000);
    return perm; /* the first m are the members */
}

/* In group's tree: orphans -- nodes whose parent, alive, does not count
 * them as its child -- into *orphans, and parentless nodes that are not
 * the root by their own routing into *stray. */
static void
s_detached (ovl_simnet_t *sim, ovl_id_t group, int *orphans, int *stray)
{
    *orphans = *stray = 0;
    for (int i = 0; i < ovl_simnet_count (sim); i++) {
        ovl_node_t *node = ovl_simnet_node (sim, i);
        int has_parent = 0;
        ovl_handle_t parent;
        if (!ovl_simnet_alive (sim, i) ||
            !ovl_node_group_info (node, group, NULL, NULL, &parent, &has_parent, NULL))
            continue;
        if (!has_parent) {
            *stray += !ovl_node_is_closest (node, group);
            continue;
        }
        for (int k = 0; k < ovl_simnet_count (sim); k++)
            if (ovl_simnet_alive (sim, k) &&
                ovl_id_eq (ovl_node_self (ovl_simnet_node (sim, k))->id, parent.id))
                *orphans += !ovl_node_group_has_child (ovl_simnet_node (sim, k), group,
                                                       ovl_node_self (node)->id);
    }
}

/* Joiners arrive under 10% loss (probing on); a parent may declare a
 * child dead and drop it (or leave the tree) while the child, its parent
 * alive, still counts on it for ever. Trees are refreshed: every 10 s a
 * member joins again through its parent, which takes it back. 40 s after
 * the loss no tree node is such an orphan (before: 1-2 in every one of 5
 * seeds). Counted, not asserted: parentless nodes that are not the root by
 * their own routing -- a root that learned of a closer node from a
 * routing-table row, not its leaf set, keeps its subtree apart (2 rounds
 * in 240; docs/ARCHITECTURE.md). Some rounds move the root too (a closer
 * joiner): the old root hangs its tree under the new one. */
static void
test_trees_heal_after_loss (void **state)
{
    (void)state;
    int moved = 0, strays = 0;
    uint64_t false_deaths = 0;
    for (int round = 0; round < S_HEAL_ROUNDS; round++) {
        uint64_t seed = s_seed * 31 + (uint64_t)round;
        ovl_simnet_t *sim = s_build (60, seed, 0.0);
        ovl_rng_t rng;
        ovl_rng_seed (&rng, seed + 7);
        ovl_id_t group = ovl_rng_id (&rng);
        int *members = s_join_members (sim, &rng, group, 20);
        int root0 = -1;
        for (int i = 0; i < 60; i++) {
            int is_root = 0;
            ovl_node_group_info (ovl_simnet_node (sim, i), group, NULL, &is_root, NULL, NULL, NULL);
            if (is_root)
                root0 = i;
        }
        assert_true (root0 >= 0);
        s_probe_on (sim); /* leaf sets kept up, as on a real network */
        ovl_simnet_set_loss (sim, S_HEAL_LOSS);
        for (int j = 0; j < 20; j++) {
            ovl_simnet_add (sim, (int)ovl_rng_below (&rng, 60));
            ovl_simnet_run_until (sim, ovl_simnet_now (sim) + 200);
        }
        ovl_simnet_set_loss (sim, 0.0);
        ovl_simnet_run_until (sim, ovl_simnet_now (sim) + S_HEAL_AFTER_MS);
        int is_root = 0;
        ovl_node_group_info (ovl_simnet_node (sim, root0), group, NULL, &is_root, NULL, NULL, NULL);
        moved += !is_root;
        /* Nobody died: every loss declared is a live node taken for dead. */
        for (int i = 0; i < ovl_simnet_count (sim); i++)
            false_deaths += ovl_node_stats (ovl_simnet_node (sim, i))->nodes_lost;
        int orphans, stray;
        s_detached (sim, group, &orphans, &stray);
        strays += stray;
        if (orphans)
            fail_msg ("seed %llu: %d tree nodes orphaned 40 s after the loss",
                      (unsigned long long)seed, orphans);
        free (members);
        ovl_simnet_destroy (&sim);
    }
    /* The faults happened: live nodes taken for dead (what orphans a
     * child), and roots moved. */
    print_message ("%llu live nodes taken for dead; the root moved in %d of %d rounds; %d "
                   "parentless non-roots left\n",
                   (unsigned long long)false_deaths, moved, S_HEAL_ROUNDS, strays);
    assert_true (false_deaths > 0);
    assert_true (moved > 0);
}

static void
test_multicast_exactly_once (void **state)
{
    (void)state;
    ovl_simnet_t *sim = s_build (600, s_seed, 0.0);
    ovl_rng_t rng;
    ovl_rng_seed (&rng, s_seed * 13 + 1);
    ovl_id_t group = ovl_id_from_name ("test/group", 10);
    int *members = s_join_members (sim, &rng, group, 300);
    for (int round = 0; round < 5; round++) {
        int bad = s_publish_all_once (sim, &rng, group, members, 300);
        if (bad)
            fail_msg ("seed %llu: %d members did not get publication %d exactly once",
                      (unsigned long long)s_seed, bad, round);
    }
    free (members);
    ovl_simnet_destroy (&sim);
}

/* Anycast walks the tree depth first until a member accepts: with one
 * willing member it finds that one; with none it says so. */
static void
test_anycast_finds_the_willing_member (void **state)
{
    (void)state;
    ovl_simnet_t *sim = s_build (400, s_seed + 200, 0.0);
    ovl_rng_t rng;
    ovl_rng_seed (&rng, s_seed * 19 + 4);
    ovl_id_t group = ovl_id_from_name ("test/any", 8);
    int *members = s_join_members (sim, &rng, group, 80);
    for (int round = 0; round < 4; round++) {
        s_any_acceptor = members[ovl_rng_below (&rng, 80)];
        s_any_offers = s_any_results = 0;
        int from = (int)ovl_rng_below (&rng, 400); /* member or not */
        uint8_t payload[4] = { 1, 2, 3, 4 };
        ovl_simnet_group_anycast (sim, from, group, payload, sizeof payload);
        ovl_simnet_settle (sim, 60000);
        if (s_any_results != 1 || !s_any_accepted)
            fail_msg ("round %d: %d results, accepted %d, %d offers, acceptor %d", round,
                      s_any_results, s_any_accepted, s_any_offers, s_any_acceptor);
        char want[OVL_ADDR_MAX];
        snprintf (want, sizeof want, "sim:%d", s_any_acceptor);
        assert_string_equal (s_any_by, want);
        assert_true (s_any_offers >= 1 && s_any_offers <= 80);
    }
    /* nobody accepts: every member is offered it once, then "no" */
    s_any_acceptor = -1;
    s_any_offers = s_any_results = 0;
    uint8_t payload[1] = { 9 };
    ovl_simnet_group_anycast (sim, members[0], group, payload, sizeof payload);
    ovl_simnet_settle (sim, 60000);
    assert_int_equal (s_any_results, 1);
    assert_false (s_any_accepted);
    assert_int_equal (s_any_offers, 80);
    free (members);
    ovl_simnet_destroy (&sim);
}

/* A walk lost on its way (what its third holder sent on was dropped):
 * nobody answers, so the starter reports it failed after
 * anycast_timeout_ms -- once, and not before. */
static void
test_anycast_times_out (void **state)
{
    (void)state;
    ovl_simnet_t *sim = s_build (100, s_seed + 300, 0.0);
    ovl_rng_t rng;
    ovl_rng_seed (&rng, s_seed * 23 + 5);
    ovl_id_t group = ovl_id_from_name ("test/lost", 9);
    int *members = s_join_members (sim, &rng, group, 30);
    s_any_acceptor = -1;
    s_any_offers = s_any_results = 0;
    s_any_accepted = 1;
    s_any_sim = sim;
    s_any_lose_at = 3;
    uint8_t payload[1] = { 7 };
    uint64_t t0 = ovl_simnet_now (sim);
    ovl_simnet_group_anycast (sim, members[0], group, payload, sizeof payload);
    while (s_any_offers < s_any_lose_at && ovl_simnet_now (sim) < t0 + 4000)
        ovl_simnet_run_until (sim, ovl_simnet_now (sim) + 1);
    ovl_simnet_set_loss (sim, 0.0);
    s_any_sim = NULL;
    assert_int_equal (s_any_offers, 3); /* the fault happened */
    /* The default timeout is 5 s: nothing before it, one failure after. */
    ovl_simnet_run_until (sim, t0 + 4900);
    assert_int_equal (s_any_results, 0);
    ovl_simnet_run_until (sim, t0 + 5100);
    assert_int_equal (s_any_results, 1);
    assert_false (s_any_accepted);
    assert_int_equal (ovl_node_stats (ovl_simnet_node (sim, members[0]))->anycasts_timed_out, 1);
    ovl_simnet_settle (sim, 60000);
    assert_int_equal (s_any_results, 1);
    assert_int_equal (s_any_offers, 3); /* the walk went no further */
    free (members);
    ovl_simnet_destroy (&sim);
}

/* Crash the group's root and 15% of the nodes: after repair the tree has a
 * new root (simply the closest live node) and reaches every live member. */
static void
test_tree_repair_after_root_crash (void **state)
{
    (void)state;
    ovl_simnet_t *sim = s_build (600, s_seed + 100, 0.0);
    ovl_rng_t rng;
    ovl_rng_seed (&rng, s_seed * 17 + 2);
    ovl_id_t group = ovl_id_from_name ("test/group", 10);
    int *members = s_join_members (sim, &rng, group, 200);
    assert_int_equal (s_publish_all_once (sim, &rng, group, members, 200), 0);
    int root = ovl_simnet_closest (sim, group);
    ovl_simnet_kill (sim, root);
    s_kill_random (sim, &rng, 600, 89);
    s_probe_on (sim);
    ovl_simnet_run_until (sim, ovl_simnet_now (sim) + 8000);
    int new_root = ovl_simnet_closest (sim, group);
    int is_root = 0;
    assert_true (ovl_node_group_info (ovl_simnet_node (sim, new_root), group, NULL, &is_root, NULL,
                                      NULL, NULL));
    assert_true (is_root);
    int bad = s_publish_all_once (sim, &rng, group, members, 200);
    if (bad) {
        /* say where the tree is broken: a chain of parents that loops or
         * ends at a node that is not the root */
        int loops = 0, dangling = 0;
        for (int i = 0; i < 600; i++) {
            int cur = i, has_parent = 0, steps = 0, root = 0;
            ovl_handle_t parent;
            if (!ovl_simnet_alive (sim, i) ||
                !ovl_node_group_info (ovl_simnet_node (sim, i), group, NULL, NULL, &parent,
                                      &has_parent, NULL))
                continue;
            while (has_parent && steps < 600) {
                unsigned nx = 0;
                sscanf (parent.addr, "sim:%u", &nx);
                cur = (int)nx;
                steps++;
                if (!ovl_simnet_alive (sim, cur) ||
                    !ovl_node_group_info (ovl_simnet_node (sim, cur), group, NULL, &root, &parent,
                                          &has_parent, NULL))
                    break;
            }
            loops += steps >= 600;
            dangling += steps < 600 && cur != new_root;
        }
        fail_msg ("seed %llu: %d live members missed the publication after repair (%d nodes "
                  "on a parent loop, %d hanging off a non-root)",
                  (unsigned long long)s_seed, bad, loops, dangling);
    }
    free (members);
    ovl_simnet_destroy (&sim);
}

/* With 5% of messages lost, hop-by-hop acknowledgements and retries still
 * bring every lookup to the closest node, over several seeds. (Multicast is
 * best effort under loss, as in Scribe; the job layer's anti-entropy pulls
 * what a member missed.) */
static void
test_lookups_under_loss (void **state)
{
    (void)state;
    for (int round = 0; round < 3; round++) {
        uint64_t seed = s_seed + 1000 + (uint64_t)round;
        ovl_simnet_t *sim = s_build (400, seed, 0.05);
        ovl_rng_t rng;
        ovl_rng_seed (&rng, seed);
        int max_hops;
        int ok = s_lookups (sim, &rng, 1000, &max_hops);
        if (ok != 1000)
            fail_msg ("seed %llu: %d of 1000 lookups reached the closest node under 5%% loss",
                      (unsigned long long)seed, ok);
        ovl_simnet_destroy (&sim);
    }
}

/* What the hooks for a layer above the overlay saw (test_app_layer_hooks). */
typedef struct {
    int ticks;               /* app_tick calls */
    int tick_node;           /* the last one's node */
    uint64_t tick_ms;        /* and time */
    int apps;                /* app payloads */
    int delivers;            /* plain deliver calls */
    int delivers_from;       /* deliver_from calls */
    int group_delivers_from; /* group_deliver_from calls */
    int roots;               /* group_root (is_root = 1) calls */
    int root_node;           /* the last root */
    ovl_handle_t from;       /* sender, origin or publisher, as last reported */
} s_layer_t;

static void
s_layer_tick (void *ctx, int node, uint64_t now_ms)
{
    s_layer_t *l = ctx;
    l->ticks++;
    l->tick_node = node;
    l->tick_ms = now_ms;
}

static void
s_layer_app (void *ctx, int node, const ovl_handle_t *from, const uint8_t *payload, size_t len)
{
    s_layer_t *l = ctx;
    (void)node;
    (void)payload;
    (void)len;
    l->apps++;
    l->from = *from;
}

static void
s_layer_deliver (void *ctx, int node, ovl_id_t key, const uint8_t *payload, size_t len, int hops)
{
    s_layer_t *l = ctx;
    (void)node;
    (void)key;
    (void)payload;
    (void)len;
    (void)hops;
    l->delivers++;
}

static void
s_layer_deliver_from (void *ctx, int node, ovl_id_t key, const uint8_t *payload, size_t len,
                      const ovl_handle_t *origin, int hops)
{
    s_layer_t *l = ctx;
    (void)node;
    (void)key;
    (void)payload;
    (void)len;
    (void)hops;
    l->delivers_from++;
    l->from = *origin;
}

static void
s_layer_group_deliver_from (void *ctx, int node, ovl_id_t group, const uint8_t *payload, size_t len,
                            const ovl_handle_t *publisher)
{
    s_layer_t *l = ctx;
    (void)node;
    (void)group;
    (void)payload;
    (void)len;
    l->group_delivers_from++;
    l->from = *publisher;
}

static void
s_layer_root (void *ctx, int node, ovl_id_t group, int is_root)
{
    s_layer_t *l = ctx;
    (void)group;
    if (is_root) {
        l->roots++;
        l->root_node = node;
    }
}

static ovl_simnet_t *
s_layer_build (s_layer_t *l, uint64_t seed, int n)
{
    memset (l, 0, sizeof *l);
    ovl_simnet_config_t cfg;
    memset (&cfg, 0, sizeof cfg);
    cfg.seed = seed;
    cfg.latency_min_ms = 2;
    cfg.latency_max_ms = 20;
    ovl_config_default (&cfg.node);
    cfg.node.ping_interval_ms = 0;
    cfg.node.fail_timeout_ms = 0;
    cfg.node.ack_timeout_ms = 200;
    ovl_simnet_hooks_t hooks;
    memset (&hooks, 0, sizeof hooks);
    hooks.ctx = l;
    hooks.deliver = s_layer_deliver;
    hooks.deliver_from = s_layer_deliver_from;
    hooks.group_deliver_from = s_layer_group_deliver_from;
    hooks.app = s_layer_app;
    hooks.group_root = s_layer_root;
    hooks.app_tick = s_layer_tick;
    ovl_simnet_t *sim = ovl_simnet_new (&cfg, &hooks);
    assert_non_null (sim);
    for (int i = 0; i < n; i++) {
        assert_int_equal (ovl_simnet_add (sim, i ? i / 2 : -1), i);
        assert_int_equal (ovl_simnet_settle (sim, 60000), 0);
    }
    return sim;
}

/* The hooks a layer above the overlay needs: senders' handles on every
 * kind of delivery, root changes, and app timers of which only the
 * earliest pending one fires, never on a dead node. */
static void
test_app_layer_hooks (void **state)
{
    (void)state;
    s_layer_t l;
    ovl_simnet_t *sim = s_layer_build (&l, s_seed + 300, 40);
    uint8_t payload[3] = { 7, 8, 9 };

    ovl_simnet_send_app (sim, 1, ovl_simnet_handle (sim, 2), payload, sizeof payload);
    ovl_simnet_settle (sim, 10000);
    assert_int_equal (l.apps, 1);
    assert_true (ovl_handle_eq (&l.from, ovl_simnet_handle (sim, 1)));

    ovl_simnet_route (sim, 5, ovl_simnet_handle (sim, 30)->id, payload, sizeof payload);
    ovl_simnet_settle (sim, 10000);
    assert_int_equal (l.delivers, 1); /* the older hook still fires */
    assert_int_equal (l.delivers_from, 1);
    assert_true (ovl_handle_eq (&l.from, ovl_simnet_handle (sim, 5)));

    ovl_id_t group = ovl_id_from_name ("test/layer", 10);
    ovl_simnet_group_join (sim, 6, group);
    ovl_simnet_settle (sim, 10000);
    int root = ovl_simnet_closest (sim, group);
    assert_true (l.roots >= 1);
    assert_int_equal (l.root_node, root);
    ovl_simnet_group_publish (sim, 7, group, payload, sizeof payload);
    ovl_simnet_settle (sim, 10000);
    assert_int_equal (l.group_delivers_from, 1);
    assert_true (ovl_handle_eq (&l.from, ovl_simnet_handle (sim, 7)));

    /* earliest pending wins; the later ones are ignored, not queued */
    uint64_t t0 = ovl_simnet_now (sim);
    ovl_simnet_app_timer (sim, 3, t0 + 100);
    ovl_simnet_app_timer (sim, 3, t0 + 50);
    ovl_simnet_app_timer (sim, 3, t0 + 200);
    ovl_simnet_run_until (sim, t0 + 1000);
    assert_int_equal (l.ticks, 1);
    assert_int_equal (l.tick_node, 3);
    assert_true (l.tick_ms == t0 + 50);
    /* a past time fires at once; re-arming for the instant of a superseded
     * timer fires once */
    t0 = ovl_simnet_now (sim);
    ovl_simnet_app_timer (sim, 3, t0 + 100);
    ovl_simnet_app_timer (sim, 3, t0 + 50);
    ovl_simnet_run_until (sim, t0 + 60);
    ovl_simnet_app_timer (sim, 3, t0 + 100);
    ovl_simnet_app_timer (sim, 4, 0);
    ovl_simnet_run_until (sim, t0 + 1000);
    assert_int_equal (l.ticks, 4);
    /* a killed node's timer never fires; UINT64_MAX arms nothing */
    t0 = ovl_simnet_now (sim);
    ovl_simnet_app_timer (sim, 8, t0 + 10);
    ovl_simnet_kill (sim, 8);
    ovl_simnet_app_timer (sim, 8, t0 + 5);
    ovl_simnet_app_timer (sim, 9, UINT64_MAX);
    ovl_simnet_run_until (sim, t0 + 1000);
    assert_int_equal (l.ticks, 4);
    ovl_simnet_destroy (&sim);

    /* app timers are part of the trace */
    uint64_t h[3];
    for (int i = 0; i < 3; i++) {
        sim = s_layer_build (&l, s_seed + 300, 10);
        ovl_simnet_app_timer (sim, 2, ovl_simnet_now (sim) + 10 + (uint64_t)(i == 2));
        ovl_simnet_run_until (sim, ovl_simnet_now (sim) + 100);
        h[i] = ovl_simnet_trace_hash (sim);
        ovl_simnet_destroy (&sim);
    }
    assert_true (h[0] == h[1]);
    assert_true (h[0] != h[2]);
}

/* Same seed, same run, byte for byte: the trace hash covers the time,
 * destination and bytes of every delivered event. */
static void
test_same_seed_same_trace (void **state)
{
    (void)state;
    uint64_t h[3];
    for (int i = 0; i < 3; i++) {
        ovl_simnet_t *sim = s_build (150, s_seed + (i == 2), 0.02);
        ovl_rng_t rng;
        ovl_rng_seed (&rng, 99);
        int max_hops;
        s_lookups (sim, &rng, 200, &max_hops);
        h[i] = ovl_simnet_trace_hash (sim);
        ovl_simnet_destroy (&sim);
    }
    assert_true (h[0] == h[1]);
    assert_true (h[0] != h[2]);
}

int
main (void)
{
    /* P2PF_SEED replays one seed; by default CI runs five. */
    const char *env = getenv ("P2PF_SEED");
    uint64_t first = env ? strtoull (env, NULL, 10) : 1;
    int seeds = env ? 1 : 5;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_join_builds_correct_leafsets),
        cmocka_unit_test (test_join_tries_every_address),
        cmocka_unit_test (test_join_through_a_joiner),
        cmocka_unit_test (test_lookups_reach_closest_node),
        cmocka_unit_test (test_forged_sender_dropped),
        cmocka_unit_test (test_repair_after_crashes),
        cmocka_unit_test (test_leave_is_not_lost),
        cmocka_unit_test (test_multicast_exactly_once),
        cmocka_unit_test (test_anycast_finds_the_willing_member),
        cmocka_unit_test (test_anycast_times_out),
        cmocka_unit_test (test_trees_heal_after_loss),
        cmocka_unit_test (test_tree_repair_after_root_crash),
        cmocka_unit_test (test_lookups_under_loss),
        cmocka_unit_test (test_same_seed_same_trace),
        cmocka_unit_test (test_app_layer_hooks),
    };
    if (getenv ("P2PF_TEST_FILTER"))
        cmocka_set_test_filter (getenv ("P2PF_TEST_FILTER"));
    int rc = 0;
    for (int i = 0; i < seeds; i++) {
        s_seed = first + (uint64_t)i;
        print_message ("test_sim: seed %llu (P2PF_SEED=%llu replays it)\n",
                       (unsigned long long)s_seed, (unsigned long long)s_seed);
        rc |= cmocka_run_group_tests (tests, NULL, NULL);
    }
    free (s_obs.got);
    return rc;
}
