/* leafset.c: the leaf set. Both sides live in one allocation after the
 * struct, each a sorted array: with half = 8 a linear scan and a memmove of
 * at most 8 handles beat any cleverer structure, and the set costs one
 * malloc per node. */
#include "leafset.h"

#include <stdlib.h>
#include <string.h>

struct ovl_leafset_t {
    ovl_id_t self;    /* whose leaf set this is */
    int half;         /* capacity of each side */
    int n[2];         /* entries on the clockwise [0] and counter-clockwise [1] side */
    ovl_handle_t e[]; /* [0, half) clockwise, then counter-clockwise; nearest first */
};

/* 0 for the clockwise side, 1 for the counter-clockwise one, -1 if side is
 * neither. */
static int
s_side (int side)
{
    return side == OVL_LEAFSET_CW ? 0 : side == OVL_LEAFSET_CCW ? 1 : -1;
}

static ovl_handle_t *
s_entries (ovl_leafset_t *l, int s)
{
    return &l->e[s * l->half];
}

static const ovl_handle_t *
s_entries_c (const ovl_leafset_t *l, int s)
{
    return &l->e[s * l->half];
}

/* How far id lies from self going the way of side s. Distinct ids have
 * distinct distances on one side, so sorting by it is a total order. */
static ovl_id_t
s_dist (const ovl_leafset_t *l, int s, ovl_id_t id)
{
    return s == 0 ? ovl_id_sub (id, l->self) : ovl_id_sub (l->self, id);
}

/* Where id would enter side s, or -1 if it would not: already there, or
 * no nearer than the farthest entry of a full side. */
static int
s_slot (const ovl_leafset_t *l, int s, ovl_id_t id)
{
    const ovl_handle_t *e = s_entries_c (l, s);
    ovl_id_t d = s_dist (l, s, id);
    int pos = l->n[s];
    for (int i = 0; i < l->n[s]; i++) {
        int c = ovl_id_cmp (d, s_dist (l, s, e[i].id));
        if (c == 0)
            return -1; /* same distance, same id */
        if (c < 0) {
            pos = i;
            break;
        }
    }
    return pos < l->half ? pos : -1;
}

static int
s_find (const ovl_leafset_t *l, int s, ovl_id_t id)
{
    const ovl_handle_t *e = s_entries_c (l, s);
    for (int i = 0; i < l->n[s]; i++)
        if (ovl_id_eq (e[i].id, id))
            return i;
    return -1;
}

ovl_leafset_t *
ovl_leafset_new (ovl_id_t self, int half)
{
    if (half < 1 || half > OVL_LEAFSET_HALF_MAX)
        return NULL;
    ovl_leafset_t *l = calloc (1, sizeof *l + 2 * (size_t)half * sizeof (ovl_handle_t));
    if (!l)
        return NULL;
    l->self = self;
    l->half = half;
    return l;
}

void
ovl_leafset_destroy (ovl_leafset_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

ovl_id_t
ovl_leafset_self (const ovl_leafset_t *l)
{
    return l->self;
}

int
ovl_leafset_half (const ovl_leafset_t *l)
{
    return l->half;
}

int
ovl_leafset_insert (ovl_leafset_t *l, const ovl_handle_t *h)
{
    if (ovl_id_eq (h->id, l->self))
        return 0;
    int entered = 0;
    for (int s = 0; s < 2; s++) {
        int pos = s_slot (l, s, h->id);
        if (pos < 0)
            continue;
        ovl_handle_t *e = s_entries (l, s);
        int n = l->n[s] < l->half ? l->n[s] + 1 : l->half; /* a full side drops its farthest */
        memmove (&e[pos + 1], &e[pos], (size_t)(n - 1 - pos) * sizeof *e);
        e[pos] = *h;
        l->n[s] = n;
        entered = 1;
    }
    return entered;
}

int
ovl_leafset_wants (const ovl_leafset_t *l, ovl_id_t id)
{
    if (ovl_id_eq (id, l->self))
        return 0;
    return s_slot (l, 0, id) >= 0 || s_slot (l, 1, id) >= 0;
}

int
ovl_leafset_remove (ovl_leafset_t *l, ovl_id_t id)
{
    int removed = 0;
    for (int s = 0; s < 2; s++) {
        int i = s_find (l, s, id);
        if (i < 0)
            continue;
        ovl_handle_t *e = s_entries (l, s);
        memmove (&e[i], &e[i + 1], (size_t)(l->n[s] - 1 - i) * sizeof *e);
        l->n[s]--;
        removed = 1;
    }
    return removed;
}

int
ovl_leafset_contains (const ovl_leafset_t *l, ovl_id_t id)
{
    return ovl_leafset_find (l, id) != NULL;
}

const ovl_handle_t *
ovl_leafset_find (const ovl_leafset_t *l, ovl_id_t id)
{
    for (int s = 0; s < 2; s++) {
        int i = s_find (l, s, id);
        if (i >= 0)
            return &s_entries_c (l, s)[i];
    }
    return NULL;
}

int
ovl_leafset_covers (const ovl_leafset_t *l, ovl_id_t key)
{
    if (l->n[0] == 0 && l->n[1] == 0)
        return 1;
    /* Testing each arc on its own, rather than key in [ccw end, cw end] as
     * one interval, stays right when the arcs overlap: that interval would
     * then be the short way round, away from self. Self itself is at
     * distance 0, inside any arc. */
    for (int s = 0; s < 2; s++) {
        if (l->n[s] == 0)
            continue;
        ovl_id_t far = s_entries_c (l, s)[l->n[s] - 1].id;
        if (ovl_id_cmp (s_dist (l, s, key), s_dist (l, s, far)) <= 0)
            return 1;
    }
    return 0;
}

const ovl_handle_t *
ovl_leafset_closest (const ovl_leafset_t *l, ovl_id_t key)
{
    const ovl_handle_t *best = NULL;
    ovl_id_t best_id = l->self;
    for (int s = 0; s < 2; s++) {
        const ovl_handle_t *e = s_entries_c (l, s);
        for (int i = 0; i < l->n[s]; i++)
            if (ovl_id_closer (key, e[i].id, best_id) < 0) {
                best = &e[i];
                best_id = e[i].id;
            }
    }
    return best;
}

const ovl_handle_t *
ovl_leafset_farthest (const ovl_leafset_t *l, int side)
{
    int s = s_side (side);
    if (s < 0 || l->n[s] == 0)
        return NULL;
    return &s_entries_c (l, s)[l->n[s] - 1];
}

const ovl_handle_t *
ovl_leafset_get (const ovl_leafset_t *l, int side, int i)
{
    int s = s_side (side);
    if (s < 0 || i < 0 || i >= l->n[s])
        return NULL;
    return &s_entries_c (l, s)[i];
}

int
ovl_leafset_side_count (const ovl_leafset_t *l, int side)
{
    int s = s_side (side);
    return s < 0 ? 0 : l->n[s];
}

int
ovl_leafset_count (const ovl_leafset_t *l)
{
    int n = l->n[0];
    const ovl_handle_t *ccw = s_entries_c (l, 1);
    for (int i = 0; i < l->n[1]; i++)
        n += s_find (l, 0, ccw[i].id) < 0;
    return n;
}

int
ovl_leafset_list (const ovl_leafset_t *l, ovl_handle_t *out, int max)
{
    int n = 0;
    for (int s = 0; s < 2; s++) {
        const ovl_handle_t *e = s_entries_c (l, s);
        for (int i = 0; i < l->n[s] && n < max; i++)
            if (s == 0 || s_find (l, 0, e[i].id) < 0)
                out[n++] = e[i];
    }
    return n;
}
