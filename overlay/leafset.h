/* leafset.h: Pastry's leaf set as a pure data structure -- no I/O, no clock,
 * no randomness. Two sides of `half` entries each (|L| = 2 * half = 16):
 * the nodes numerically closest to self clockwise (larger ids, wrapping past
 * 2^128 - 1 to 0) and counter-clockwise. Each side is kept sorted by its
 * distance from self, nearest first.
 *
 * The sides are independent: a node enters every side it is close enough
 * for. In a ring with fewer than 2 * half other nodes one node can therefore
 * sit on both sides, and with at most half others both sides hold everyone:
 * the leaf set then knows the whole ring.
 *
 * Pointers returned by get, farthest and closest point into the set: they
 * stay valid until the next insert or remove. Copy what you keep. */
#ifndef OVL_LEAFSET_H
#define OVL_LEAFSET_H

#include "handle.h"
#include "id.h"

#define OVL_LEAFSET_HALF 8      /* Pastry's |L| = 16 */
#define OVL_LEAFSET_HALF_MAX 64 /* largest half ovl_leafset_new accepts */
#define OVL_LEAFSET_CW 1        /* side of larger ids */
#define OVL_LEAFSET_CCW (-1)    /* side of smaller ids */

typedef struct ovl_leafset_t ovl_leafset_t;

/* An empty leaf set for self with half entries per side (1..HALF_MAX), or
 * NULL (also for a half out of range). */
ovl_leafset_t *ovl_leafset_new (ovl_id_t self, int half);

/* Frees *self_p and sets it to NULL; nothing if it is NULL already. */
void ovl_leafset_destroy (ovl_leafset_t **self_p);

ovl_id_t ovl_leafset_self (const ovl_leafset_t *l);
int ovl_leafset_half (const ovl_leafset_t *l);

/* Offers h to both sides. A side takes it if the side is not full or h is
 * nearer than its farthest entry (which is then evicted). 1 if h entered
 * either side; 0 if it entered neither (not close enough, already on every
 * side it qualifies for, or self). An id already present keeps its entry:
 * remove it first to change its address. */
int ovl_leafset_insert (ovl_leafset_t *l, const ovl_handle_t *h);

/* 1 if ovl_leafset_insert would return 1 for this id; changes nothing. */
int ovl_leafset_wants (const ovl_leafset_t *l, ovl_id_t id);

/* Removes id from both sides: 1 if it was on either, else 0. */
int ovl_leafset_remove (ovl_leafset_t *l, ovl_id_t id);

/* 1 if id is on either side, else 0. */
int ovl_leafset_contains (const ovl_leafset_t *l, ovl_id_t id);

/* The entry whose id is id (the clockwise one if it is on both sides), or
 * NULL. */
const ovl_handle_t *ovl_leafset_find (const ovl_leafset_t *l, ovl_id_t id);

/* 1 if key lies within the arcs the leaf set spans: from self clockwise to
 * the farthest clockwise leaf, or from self counter-clockwise to the
 * farthest counter-clockwise leaf, both ends included. Only then is the node
 * numerically closest to key sure to be a leaf or self (Pastry delivers
 * through the leaf set only then).
 *
 * When the two arcs overlap (at most 2 * half - 1 other nodes, as far as we
 * know) their union is the whole ring and every key is covered;
 * in particular that is so whenever a side has fewer than half entries
 * because we know fewer than half nodes. An empty leaf set covers every key
 * (we are alone). A side short because leaves were *removed* (failures
 * awaiting repair) covers only what it still spans: we know too little to
 * claim the rest of the ring, so routing falls back on the routing table. */
int ovl_leafset_covers (const ovl_leafset_t *l, ovl_id_t key);

/* The node numerically closest to key among the leaves and self, ties
 * broken by ovl_id_closer; NULL means self is the closest. */
const ovl_handle_t *ovl_leafset_closest (const ovl_leafset_t *l, ovl_id_t key);

/* The farthest entry of side (OVL_LEAFSET_CW or OVL_LEAFSET_CCW), NULL if
 * that side is empty. Repair asks it for its leaf set. */
const ovl_handle_t *ovl_leafset_farthest (const ovl_leafset_t *l, int side);

/* Entry i of side, 0 = nearest self; NULL if i is out of range. */
const ovl_handle_t *ovl_leafset_get (const ovl_leafset_t *l, int side, int i);

/* Number of entries on side (0..half); 0 for an unknown side. */
int ovl_leafset_side_count (const ovl_leafset_t *l, int side);

/* Number of distinct leaves (a node on both sides counts once). */
int ovl_leafset_count (const ovl_leafset_t *l);

/* Copies up to max distinct leaves into out -- the clockwise side nearest
 * first, then the counter-clockwise entries not already copied -- for JOIN
 * replies and pings. Returns how many it copied. */
int ovl_leafset_list (const ovl_leafset_t *l, ovl_handle_t *out, int max);

#endif
