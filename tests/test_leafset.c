/* test_leafset.c: the Pastry leaf set -- both sides across the wrap at 0
 * and at 2^128 - 1, eviction of the farthest, nodes on both sides in tiny
 * rings, the covered arcs at their edges and when they overlap, and random
 * runs against brute-force models (sides, closest node, the covering
 * guarantee). Random runs print their seed; P2PF_SEED=<seed> replays one. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "leafset.h"
#include "rng.h"
#include "test_util.h"

#define CW OVL_LEAFSET_CW
#define CCW OVL_LEAFSET_CCW

/* The id lo (small ids, just above 0). */
static ovl_id_t
s_lo (uint64_t lo)
{
    ovl_id_t id = { 0, lo };
    return id;
}

/* The id 2^128 - 1 - below (just under the wrap). */
static ovl_id_t
s_top (uint64_t below)
{
    ovl_id_t id = { UINT64_MAX, UINT64_MAX - below };
    return id;
}

/* The id at the given fraction of the ring: s_frac (1, 4) = 2^126. */
static ovl_id_t
s_frac (uint64_t num, uint64_t den)
{
    ovl_id_t id = { (uint64_t)(((unsigned __int128)num << 64) / den), 0 };
    return id;
}

static ovl_id_t
s_plus (ovl_id_t id, int64_t d)
{
    ovl_id_t delta = { 0, (uint64_t)(d < 0 ? -d : d) };
    return d < 0 ? ovl_id_sub (id, delta) : ovl_id_add (id, delta);
}

static ovl_handle_t
s_handle (ovl_id_t id)
{
    ovl_handle_t h;
    memset (&h, 0, sizeof h);
    h.id = id;
    char hex[OVL_ID_HEX_LEN + 1];
    ovl_id_hex (id, hex);
    snprintf (h.addr, sizeof h.addr, "sim:%s", hex + 20);
    return h;
}

static int
s_insert (ovl_leafset_t *l, ovl_id_t id)
{
    ovl_handle_t h = s_handle (id);
    return ovl_leafset_insert (l, &h);
}

/* 1 if the leaf set names id as the closest to key (NULL meaning self). */
static int
s_closest_is (const ovl_leafset_t *l, ovl_id_t key, ovl_id_t id)
{
    const ovl_handle_t *h = ovl_leafset_closest (l, key);
    return ovl_id_eq (h ? h->id : ovl_leafset_self (l), id);
}

/* Asserts that side holds exactly ids[0..n), nearest first. */
static void
s_assert_side (const ovl_leafset_t *l, int side, const ovl_id_t *ids, int n)
{
    assert_int_equal (ovl_leafset_side_count (l, side), n);
    for (int i = 0; i < n; i++) {
        const ovl_handle_t *h = ovl_leafset_get (l, side, i);
        assert_non_null (h);
        if (!ovl_id_eq (h->id, ids[i])) {
            char got[OVL_ID_HEX_LEN + 1], want[OVL_ID_HEX_LEN + 1];
            ovl_id_hex (h->id, got);
            ovl_id_hex (ids[i], want);
            fail_msg ("side %d entry %d: got %s, want %s", side, i, got, want);
        }
        ovl_handle_t copy = s_handle (ids[i]);
        assert_true (ovl_handle_eq (h, &copy)); /* the address came along */
    }
    assert_null (ovl_leafset_get (l, side, n));
    assert_null (ovl_leafset_get (l, side, -1));
    if (n)
        assert_true (ovl_id_eq (ovl_leafset_farthest (l, side)->id, ids[n - 1]));
    else
        assert_null (ovl_leafset_farthest (l, side));
}

static void
test_new_destroy_and_empty (void **state)
{
    (void)state;
    assert_null (ovl_leafset_new (s_lo (1), 0));
    assert_null (ovl_leafset_new (s_lo (1), -3));
    assert_null (ovl_leafset_new (s_lo (1), OVL_LEAFSET_HALF_MAX + 1));
    ovl_leafset_t *l = ovl_leafset_new (s_lo (1), OVL_LEAFSET_HALF);
    assert_non_null (l);
    assert_int_equal (ovl_leafset_half (l), OVL_LEAFSET_HALF);
    assert_true (ovl_id_eq (ovl_leafset_self (l), s_lo (1)));
    /* alone: we are the closest to every key and cover the ring */
    assert_int_equal (ovl_leafset_count (l), 0);
    assert_null (ovl_leafset_farthest (l, CW));
    assert_null (ovl_leafset_farthest (l, CCW));
    assert_null (ovl_leafset_farthest (l, 0));
    assert_int_equal (ovl_leafset_side_count (l, 2), 0);
    assert_null (ovl_leafset_closest (l, s_top (5)));
    assert_true (ovl_leafset_covers (l, s_top (5)));
    assert_true (ovl_leafset_covers (l, s_frac (1, 2)));
    ovl_handle_t out[4];
    assert_int_equal (ovl_leafset_list (l, out, 4), 0);
    /* self is never a leaf */
    assert_int_equal (s_insert (l, s_lo (1)), 0);
    assert_false (ovl_leafset_wants (l, s_lo (1)));
    assert_int_equal (ovl_leafset_count (l), 0);
    assert_int_equal (ovl_leafset_remove (l, s_lo (1)), 0);
    ovl_leafset_destroy (&l);
    assert_null (l);
    ovl_leafset_destroy (&l);
    ovl_leafset_destroy (NULL);
}

static void
test_wrap_near_zero (void **state)
{
    (void)state;
    /* self = 1: its counter-clockwise side runs 0, 2^128 - 1, ... */
    ovl_leafset_t *l = ovl_leafset_new (s_lo (1), 3);
    assert_non_null (l);
    ovl_id_t order[] = { s_top (1), s_lo (10), s_lo (0), s_lo (2), s_top (0), s_lo (5), s_top (9) };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        s_insert (l, order[i]);
    ovl_id_t cw[] = { s_lo (2), s_lo (5), s_lo (10) };
    ovl_id_t ccw[] = { s_lo (0), s_top (0), s_top (1) };
    s_assert_side (l, CW, cw, 3);
    s_assert_side (l, CCW, ccw, 3);
    assert_false (ovl_leafset_contains (l, s_top (9)));
    /* the arcs: [2^128 - 2, 10] through 0 */
    assert_true (ovl_leafset_covers (l, s_top (1)));
    assert_false (ovl_leafset_covers (l, s_top (2)));
    assert_true (ovl_leafset_covers (l, s_top (0)));
    assert_true (ovl_leafset_covers (l, s_lo (0)));
    assert_true (ovl_leafset_covers (l, s_lo (1)));
    assert_true (ovl_leafset_covers (l, s_lo (10)));
    assert_false (ovl_leafset_covers (l, s_lo (11)));
    assert_false (ovl_leafset_covers (l, s_frac (1, 2)));
    /* closest across the wrap */
    assert_true (s_closest_is (l, s_top (1), s_top (1)));
    assert_true (s_closest_is (l, s_top (3), s_top (1)));
    assert_true (s_closest_is (l, s_lo (0), s_lo (0)));
    assert_null (ovl_leafset_closest (l, s_lo (1)));
    assert_true (s_closest_is (l, s_lo (8), s_lo (10)));
    /* 7 is 2 from 5 and 3 from 10 */
    assert_true (s_closest_is (l, s_lo (7), s_lo (5)));
    ovl_leafset_destroy (&l);
}

static void
test_wrap_near_top (void **state)
{
    (void)state;
    /* self = 2^128 - 2: its clockwise side runs 2^128 - 1, 0, 1, ... */
    ovl_leafset_t *l = ovl_leafset_new (s_top (1), 2);
    assert_non_null (l);
    assert_int_equal (s_insert (l, s_lo (0)), 1);
    assert_int_equal (s_insert (l, s_top (5)), 1);
    assert_int_equal (s_insert (l, s_top (0)), 1);
    assert_int_equal (s_insert (l, s_top (2)), 1);
    /* 1 is third clockwise; counter-clockwise it is nearly a ring away */
    assert_false (ovl_leafset_wants (l, s_lo (1)));
    assert_int_equal (s_insert (l, s_lo (1)), 0);
    ovl_id_t cw[] = { s_top (0), s_lo (0) };
    ovl_id_t ccw[] = { s_top (2), s_top (5) };
    s_assert_side (l, CW, cw, 2);
    s_assert_side (l, CCW, ccw, 2);
    assert_true (ovl_leafset_covers (l, s_lo (0)));
    assert_false (ovl_leafset_covers (l, s_lo (1)));
    assert_true (ovl_leafset_covers (l, s_top (5)));
    assert_false (ovl_leafset_covers (l, s_top (6)));
    assert_true (s_closest_is (l, s_lo (0), s_lo (0)));
    assert_true (s_closest_is (l, s_top (4), s_top (5)));
    ovl_leafset_destroy (&l);
}

static void
test_eviction_of_the_farthest (void **state)
{
    (void)state;
    ovl_id_t self = s_frac (1, 3);
    ovl_leafset_t *l = ovl_leafset_new (self, 2);
    assert_non_null (l);
    /* while a side has room it takes anyone: the first clockwise nodes
     * also fill the empty counter-clockwise side, from far away */
    assert_int_equal (s_insert (l, s_plus (self, 20)), 1);
    assert_int_equal (s_insert (l, s_plus (self, 10)), 1);
    ovl_id_t cw1[] = { s_plus (self, 10), s_plus (self, 20) };
    ovl_id_t ccw1[] = { s_plus (self, 20), s_plus (self, 10) };
    s_assert_side (l, CW, cw1, 2);
    s_assert_side (l, CCW, ccw1, 2);
    /* real counter-clockwise neighbours push them out */
    assert_int_equal (s_insert (l, s_plus (self, -10)), 1);
    assert_int_equal (s_insert (l, s_plus (self, -20)), 1);
    ovl_id_t ccw2[] = { s_plus (self, -10), s_plus (self, -20) };
    s_assert_side (l, CW, cw1, 2);
    s_assert_side (l, CCW, ccw2, 2);
    assert_int_equal (ovl_leafset_count (l), 4);
    /* a nearer node evicts the farthest of its side only */
    assert_true (ovl_leafset_wants (l, s_plus (self, 15)));
    assert_int_equal (ovl_leafset_count (l), 4); /* wants changed nothing */
    assert_int_equal (s_insert (l, s_plus (self, 15)), 1);
    ovl_id_t cw3[] = { s_plus (self, 10), s_plus (self, 15) };
    s_assert_side (l, CW, cw3, 2);
    s_assert_side (l, CCW, ccw2, 2);
    assert_false (ovl_leafset_contains (l, s_plus (self, 20)));
    /* farther than a full side's farthest: refused */
    assert_false (ovl_leafset_wants (l, s_plus (self, 16)));
    assert_int_equal (s_insert (l, s_plus (self, 16)), 0);
    assert_int_equal (s_insert (l, s_plus (self, -21)), 0);
    /* nearer than all: goes first */
    assert_int_equal (s_insert (l, s_plus (self, 1)), 1);
    ovl_id_t cw4[] = { s_plus (self, 1), s_plus (self, 10) };
    s_assert_side (l, CW, cw4, 2);
    /* already there: nothing, and the old address stays */
    ovl_handle_t again = s_handle (s_plus (self, 1));
    snprintf (again.addr, sizeof again.addr, "elsewhere");
    assert_false (ovl_leafset_wants (l, again.id));
    assert_int_equal (ovl_leafset_insert (l, &again), 0);
    s_assert_side (l, CW, cw4, 2);
    assert_true (ovl_handle_eq (ovl_leafset_find (l, again.id), ovl_leafset_get (l, CW, 0)));
    assert_null (ovl_leafset_find (l, s_plus (self, 2)));
    ovl_leafset_destroy (&l);
}

static void
test_tiny_rings_both_sides (void **state)
{
    (void)state;
    /* three nodes, evenly spread: each other node is on both sides */
    ovl_id_t a = s_frac (1, 4), b = s_frac (2, 4), c = s_frac (3, 4);
    ovl_leafset_t *l = ovl_leafset_new (a, OVL_LEAFSET_HALF);
    assert_non_null (l);
    assert_int_equal (s_insert (l, b), 1);
    s_assert_side (l, CW, &b, 1);
    s_assert_side (l, CCW, &b, 1);
    assert_int_equal (ovl_leafset_count (l), 1);
    assert_int_equal (s_insert (l, c), 1);
    assert_int_equal (s_insert (l, c), 0);
    ovl_id_t cw[] = { b, c }, ccw[] = { c, b };
    s_assert_side (l, CW, cw, 2);
    s_assert_side (l, CCW, ccw, 2);
    assert_int_equal (ovl_leafset_count (l), 2);
    ovl_handle_t out[2 * OVL_LEAFSET_HALF];
    assert_int_equal (ovl_leafset_list (l, out, 2 * OVL_LEAFSET_HALF), 2);
    assert_true (ovl_id_eq (out[0].id, b));
    assert_true (ovl_id_eq (out[1].id, c));
    assert_int_equal (ovl_leafset_list (l, out, 1), 1);

    /* the whole ring is known: every key is covered and goes to the
     * right one of the three */
    ovl_rng_t rng;
    ovl_rng_seed (&rng, 3);
    ovl_id_t all[] = { a, b, c };
    for (int i = 0; i < 2000; i++) {
        ovl_id_t key = ovl_rng_id (&rng);
        assert_true (ovl_leafset_covers (l, key));
        ovl_id_t best = a;
        for (int j = 1; j < 3; j++)
            if (ovl_id_closer (key, all[j], best) < 0)
                best = all[j];
        const ovl_handle_t *h = ovl_leafset_closest (l, key);
        assert_true (ovl_id_eq (h ? h->id : a, best));
    }
    /* the halfway points between nodes go clockwise (ovl_id_closer) */
    ovl_id_t mid_ab = s_frac (3, 8), mid_ca = s_lo (0);
    assert_true (s_closest_is (l, mid_ab, b));
    assert_null (ovl_leafset_closest (l, mid_ca));

    /* remove from both sides at once, and back */
    assert_int_equal (ovl_leafset_remove (l, b), 1);
    assert_int_equal (ovl_leafset_remove (l, b), 0);
    s_assert_side (l, CW, &c, 1);
    s_assert_side (l, CCW, &c, 1);
    assert_true (ovl_leafset_covers (l, s_frac (3, 8)));
    assert_int_equal (s_insert (l, b), 1);
    s_assert_side (l, CW, cw, 2);
    s_assert_side (l, CCW, ccw, 2);
    ovl_leafset_destroy (&l);
}

static void
test_covers_at_the_arc_edges (void **state)
{
    (void)state;
    /* self in mid-ring, and self just above 0 so the ccw arc wraps */
    ovl_id_t selves[] = { s_frac (5, 7), s_lo (200) };
    for (int k = 0; k < 2; k++) {
        ovl_id_t self = selves[k];
        ovl_leafset_t *l = ovl_leafset_new (self, OVL_LEAFSET_HALF);
        assert_non_null (l);
        for (int i = 1; i <= OVL_LEAFSET_HALF; i++) {
            s_insert (l, s_plus (self, 100 * i));
            s_insert (l, s_plus (self, -50 * i));
        }
        /* far nodes do not stretch the arcs */
        assert_int_equal (s_insert (l, s_plus (self, 100 * OVL_LEAFSET_HALF + 1)), 0);
        assert_int_equal (s_insert (l, ovl_id_add (self, s_frac (1, 2))), 0);
        assert_int_equal (ovl_leafset_count (l), 2 * OVL_LEAFSET_HALF);
        ovl_id_t cw_end = s_plus (self, 100 * OVL_LEAFSET_HALF);
        ovl_id_t ccw_end = s_plus (self, -50 * OVL_LEAFSET_HALF);
        assert_true (ovl_id_eq (ovl_leafset_farthest (l, CW)->id, cw_end));
        assert_true (ovl_id_eq (ovl_leafset_farthest (l, CCW)->id, ccw_end));
        assert_true (ovl_leafset_covers (l, self));
        assert_true (ovl_leafset_covers (l, cw_end));
        assert_false (ovl_leafset_covers (l, s_plus (cw_end, 1)));
        assert_true (ovl_leafset_covers (l, ccw_end));
        assert_false (ovl_leafset_covers (l, s_plus (ccw_end, -1)));
        assert_true (ovl_leafset_covers (l, s_plus (self, 1)));
        assert_true (ovl_leafset_covers (l, s_plus (self, -1)));
        assert_false (ovl_leafset_covers (l, ovl_id_add (self, s_frac (1, 2))));
        /* just inside an end, the end leaf is the closest */
        assert_true (s_closest_is (l, s_plus (cw_end, -1), cw_end));
        assert_true (s_closest_is (l, s_plus (ccw_end, 1), ccw_end));
        if (k == 1) {
            /* the ccw arc, [2^128 - 200, 200], crosses the wrap */
            assert_true (ovl_id_eq (ccw_end, s_top (199)));
            assert_true (ovl_leafset_covers (l, s_lo (0)));
            assert_true (ovl_leafset_covers (l, s_top (0)));
            assert_false (ovl_leafset_covers (l, s_top (200)));
        }

        /* A side shrunk by a failure spans less, and we do not pretend
         * to know the rest of the ring (see ovl_leafset_covers). */
        assert_int_equal (ovl_leafset_remove (l, cw_end), 1);
        assert_int_equal (ovl_leafset_side_count (l, CW), OVL_LEAFSET_HALF - 1);
        assert_false (ovl_leafset_covers (l, cw_end));
        assert_true (ovl_leafset_covers (l, s_plus (cw_end, -100)));
        assert_false (ovl_leafset_covers (l, ovl_id_add (self, s_frac (1, 2))));
        /* re-inserted, it takes its place again */
        assert_int_equal (s_insert (l, cw_end), 1);
        assert_true (ovl_leafset_covers (l, cw_end));
        /* with the clockwise side gone, only the counter-clockwise arc is left */
        for (int i = 1; i <= OVL_LEAFSET_HALF; i++)
            assert_int_equal (ovl_leafset_remove (l, s_plus (self, 100 * i)), 1);
        assert_int_equal (ovl_leafset_side_count (l, CW), 0);
        assert_false (ovl_leafset_covers (l, s_plus (self, 1)));
        assert_true (ovl_leafset_covers (l, ccw_end));
        ovl_leafset_destroy (&l);
    }
}

static void
test_covers_when_the_arcs_overlap (void **state)
{
    (void)state;
    /* half = 2 and three others: each side is full, yet the far ends are
     * the same node, C, and the two arcs meet there: the whole ring. The
     * interval [ccw end, cw end] alone would be the single point C. */
    ovl_id_t self = s_lo (0);
    ovl_id_t b = s_frac (1, 4), c = s_frac (2, 4), d = s_frac (3, 4), e = s_frac (7, 8);
    ovl_leafset_t *l = ovl_leafset_new (self, 2);
    assert_non_null (l);
    s_insert (l, b);
    s_insert (l, c);
    s_insert (l, d);
    ovl_id_t cw[] = { b, c }, ccw[] = { d, c };
    s_assert_side (l, CW, cw, 2);
    s_assert_side (l, CCW, ccw, 2);
    ovl_id_t keys[] = { s_frac (1, 8), s_frac (3, 8), s_frac (5, 8), s_frac (7, 8), s_top (0), c };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_true (ovl_leafset_covers (l, keys[i]));
    /* the arcs overlapping by a lot (one other node only) */
    ovl_leafset_t *one = ovl_leafset_new (self, 2);
    assert_non_null (one);
    s_insert (one, c);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_true (ovl_leafset_covers (one, keys[i]));
    ovl_leafset_destroy (&one);

    /* a fourth node (2 * half others) opens a gap between C and D that no
     * leaf spans: a node we do not know could live there */
    s_insert (l, e);
    ovl_id_t ccw2[] = { e, d };
    s_assert_side (l, CW, cw, 2);
    s_assert_side (l, CCW, ccw2, 2);
    assert_true (ovl_leafset_covers (l, c));
    assert_true (ovl_leafset_covers (l, d));
    assert_false (ovl_leafset_covers (l, s_plus (c, 1)));
    assert_false (ovl_leafset_covers (l, s_frac (5, 8)));
    assert_false (ovl_leafset_covers (l, s_plus (d, -1)));
    assert_true (ovl_leafset_covers (l, s_frac (1, 8)));
    assert_true (ovl_leafset_covers (l, s_frac (15, 16)));
    ovl_leafset_destroy (&l);
}

/* ---- random runs against brute force ---------------------------------- */

#define MAX_MEMBERS 40

/* A random id near self (within 2^bits either way) or anywhere. */
static ovl_id_t
s_random_id (ovl_rng_t *rng, ovl_id_t self)
{
    if (ovl_rng_below (rng, 2) == 0)
        return ovl_rng_id (rng);
    int bits = 1 + (int)ovl_rng_below (rng, 63);
    int64_t d = (int64_t)(ovl_rng_next (rng) >> (64 - bits));
    return s_plus (self, ovl_rng_below (rng, 2) ? d : -d);
}

static ovl_id_t
s_random_self (ovl_rng_t *rng)
{
    switch (ovl_rng_below (rng, 4)) {
    case 0:
        return s_lo (ovl_rng_below (rng, 1000)); /* near the wrap, above */
    case 1:
        return s_top (ovl_rng_below (rng, 1000)); /* near the wrap, below */
    default:
        return ovl_rng_id (rng);
    }
}

/* The side model: the (at most) half nearest of the given ids on side s,
 * nearest first, by sorting -- not by the set's insertion logic. */
static int
s_model_side (ovl_id_t self, int s, int half, const ovl_id_t *ids, int n, ovl_id_t *out)
{
    ovl_id_t sorted[2 * MAX_MEMBERS + 2 * OVL_LEAFSET_HALF_MAX];
    int m = 0;
    for (int i = 0; i < n; i++) {
        int dup = ovl_id_eq (ids[i], self);
        for (int j = 0; j < m && !dup; j++)
            dup = ovl_id_eq (sorted[j], ids[i]);
        if (!dup)
            sorted[m++] = ids[i];
    }
    for (int i = 1; i < m; i++) /* insertion sort by distance on side s */
        for (int j = i; j > 0; j--) {
            ovl_id_t dj = s == CW ? ovl_id_sub (sorted[j], self) : ovl_id_sub (self, sorted[j]);
            ovl_id_t dk =
                s == CW ? ovl_id_sub (sorted[j - 1], self) : ovl_id_sub (self, sorted[j - 1]);
            if (ovl_id_cmp (dj, dk) >= 0)
                break;
            ovl_id_t tmp = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = tmp;
        }
    int k = m < half ? m : half;
    memcpy (out, sorted, (size_t)k * sizeof *out);
    return k;
}

/* The numerically closest of ids[0..n) and self, by scanning. */
static ovl_id_t
s_brute_closest (ovl_id_t self, const ovl_id_t *ids, int n, ovl_id_t key)
{
    ovl_id_t best = self;
    for (int i = 0; i < n; i++)
        if (ovl_id_closer (key, ids[i], best) < 0)
            best = ids[i];
    return best;
}

static void
test_closest_and_covers_against_brute_force (void **state)
{
    (void)state;
    uint64_t seed = tu_seed ("test_closest_and_covers_against_brute_force");
    ovl_rng_t rng;
    ovl_rng_seed (&rng, seed);
    int keys_checked = 0;
    for (int round = 0; round < 400; round++) {
        ovl_id_t self = s_random_self (&rng);
        int half = ovl_rng_below (&rng, 3) ? OVL_LEAFSET_HALF : 1 + (int)ovl_rng_below (&rng, 10);
        ovl_leafset_t *l = ovl_leafset_new (self, half);
        assert_non_null (l);
        int n = 1 + (int)ovl_rng_below (&rng, MAX_MEMBERS);
        ovl_id_t members[MAX_MEMBERS];
        for (int i = 0; i < n; i++) {
            /* now and then a repeat, or self */
            uint64_t r = ovl_rng_below (&rng, 20);
            members[i] = r == 0 && i ? members[ovl_rng_below (&rng, (uint64_t)i)]
                         : r == 1    ? self
                                     : s_random_id (&rng, self);
            s_insert (l, members[i]);
        }
        /* the sides are the half nearest members each way */
        ovl_id_t want[OVL_LEAFSET_HALF_MAX];
        int k = s_model_side (self, CW, half, members, n, want);
        s_assert_side (l, CW, want, k);
        k = s_model_side (self, CCW, half, members, n, want);
        s_assert_side (l, CCW, want, k);

        ovl_handle_t leaves[2 * OVL_LEAFSET_HALF_MAX];
        int n_leaves = ovl_leafset_list (l, leaves, 2 * OVL_LEAFSET_HALF_MAX);
        assert_int_equal (n_leaves, ovl_leafset_count (l));
        ovl_id_t leaf_ids[2 * OVL_LEAFSET_HALF_MAX];
        for (int i = 0; i < n_leaves; i++) {
            leaf_ids[i] = leaves[i].id;
            for (int j = 0; j < i; j++)
                assert_false (ovl_id_eq (leaf_ids[i], leaf_ids[j])); /* distinct */
            assert_true (ovl_leafset_contains (l, leaf_ids[i]));
        }
        int distinct_others = 0;
        for (int i = 0; i < n; i++) {
            int dup = ovl_id_eq (members[i], self);
            for (int j = 0; j < i && !dup; j++)
                dup = ovl_id_eq (members[j], members[i]);
            distinct_others += !dup;
        }

        for (int q = 0; q < 25; q++) {
            ovl_id_t key;
            switch (q % 5) {
            case 0:
                key = ovl_rng_id (&rng);
                break;
            case 1: /* a member, or right beside one */
                key = s_plus (members[ovl_rng_below (&rng, (uint64_t)n)],
                              (int64_t)ovl_rng_below (&rng, 3) - 1);
                break;
            case 2: /* halfway between two members: exercises the tie-break */
            {
                ovl_id_t x = members[ovl_rng_below (&rng, (uint64_t)n)];
                ovl_id_t y = members[ovl_rng_below (&rng, (uint64_t)n)];
                ovl_id_t gap = ovl_id_sub (y, x);
                gap.lo = (gap.lo >> 1) | (gap.hi << 63);
                gap.hi >>= 1;
                key = ovl_id_add (x, gap);
                break;
            }
            default:
                key = s_random_id (&rng, self);
                break;
            }
            keys_checked++;
            /* closest among leaves and self, by scanning */
            ovl_id_t want_id = s_brute_closest (self, leaf_ids, n_leaves, key);
            const ovl_handle_t *got = ovl_leafset_closest (l, key);
            if (ovl_id_eq (want_id, self))
                assert_null (got);
            else {
                assert_non_null (got);
                assert_true (ovl_id_eq (got->id, want_id));
            }
            /* Pastry's promise: a covered key's closest leaf-or-self is the
             * closest of every node there is. */
            int covered = ovl_leafset_covers (l, key);
            if (covered)
                assert_true (ovl_id_eq (want_id, s_brute_closest (self, members, n, key)));
            /* Few enough nodes, and the leaf set knows the whole ring. */
            if (distinct_others < 2 * half)
                assert_true (covered);
        }
        ovl_leafset_destroy (&l);
    }
    assert_true (keys_checked >= 10000);
}

static void
test_random_inserts_and_removes (void **state)
{
    (void)state;
    uint64_t seed = tu_seed ("test_random_inserts_and_removes");
    ovl_rng_t rng;
    ovl_rng_seed (&rng, seed);
    for (int round = 0; round < 100; round++) {
        ovl_id_t self = s_random_self (&rng);
        int half = ovl_rng_below (&rng, 2) ? OVL_LEAFSET_HALF : 1 + (int)ovl_rng_below (&rng, 4);
        ovl_leafset_t *l = ovl_leafset_new (self, half);
        assert_non_null (l);
        ovl_id_t pool[MAX_MEMBERS];
        int n_pool = 4 + (int)ovl_rng_below (&rng, MAX_MEMBERS - 3);
        for (int i = 0; i < n_pool; i++)
            pool[i] = ovl_rng_below (&rng, 30) ? s_random_id (&rng, self) : self;
        /* model sides as id lists */
        ovl_id_t side[2][OVL_LEAFSET_HALF_MAX];
        int n_side[2] = { 0, 0 };
        for (int step = 0; step < 400; step++) {
            ovl_id_t id = pool[ovl_rng_below (&rng, (uint64_t)n_pool)];
            if (ovl_rng_below (&rng, 3)) {
                int entered = 0;
                for (int s = 0; s < 2; s++) {
                    ovl_id_t cand[OVL_LEAFSET_HALF_MAX + 1];
                    memcpy (cand, side[s], (size_t)n_side[s] * sizeof *cand);
                    int in = 0;
                    for (int i = 0; i < n_side[s]; i++)
                        in |= ovl_id_eq (side[s][i], id);
                    if (in)
                        continue;
                    cand[n_side[s]] = id;
                    ovl_id_t next[OVL_LEAFSET_HALF_MAX];
                    int m = s_model_side (self, s ? CCW : CW, half, cand, n_side[s] + 1, next);
                    for (int i = 0; i < m; i++)
                        entered |= ovl_id_eq (next[i], id);
                    memcpy (side[s], next, (size_t)m * sizeof *next);
                    n_side[s] = m;
                }
                assert_int_equal (ovl_leafset_wants (l, id), entered);
                assert_int_equal (s_insert (l, id), entered);
            } else {
                int was = 0;
                for (int s = 0; s < 2; s++)
                    for (int i = 0; i < n_side[s]; i++)
                        if (ovl_id_eq (side[s][i], id)) {
                            memmove (&side[s][i], &side[s][i + 1],
                                     (size_t)(n_side[s] - 1 - i) * sizeof side[s][0]);
                            n_side[s]--;
                            was = 1;
                            break;
                        }
                assert_int_equal (ovl_leafset_contains (l, id), was);
                assert_int_equal (ovl_leafset_remove (l, id), was);
                assert_false (ovl_leafset_contains (l, id));
            }
            s_assert_side (l, CW, side[0], n_side[0]);
            s_assert_side (l, CCW, side[1], n_side[1]);
            int distinct = n_side[0];
            for (int i = 0; i < n_side[1]; i++) {
                int dup = 0;
                for (int j = 0; j < n_side[0]; j++)
                    dup |= ovl_id_eq (side[1][i], side[0][j]);
                distinct += !dup;
            }
            assert_int_equal (ovl_leafset_count (l), distinct);
        }
        ovl_leafset_destroy (&l);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_new_destroy_and_empty),
        cmocka_unit_test (test_wrap_near_zero),
        cmocka_unit_test (test_wrap_near_top),
        cmocka_unit_test (test_eviction_of_the_farthest),
        cmocka_unit_test (test_tiny_rings_both_sides),
        cmocka_unit_test (test_covers_at_the_arc_edges),
        cmocka_unit_test (test_covers_when_the_arcs_overlap),
        cmocka_unit_test (test_closest_and_covers_against_brute_force),
        cmocka_unit_test (test_random_inserts_and_removes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
