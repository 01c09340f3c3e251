/* rtable.h: Pastry's routing table (b = 4) as a pure data structure -- no
 * I/O, no clock, no randomness. Row r holds nodes sharing exactly r leading
 * hex digits with self; column c of row r holds one whose digit r is c. The
 * column of self's own digit r stays empty (its node would share r + 1
 * digits and belong to a later row).
 *
 * The simulator keeps 100,000 of these in one process, so rows are allocated
 * only while they hold an entry and hold only the entries they have: a node
 * of a 100k network fills ~5 rows and ~60 entries, about 5 KB, almost all of
 * it the handles' addresses.
 *
 * Pointers returned by get, next_hop and visit point into the table: they
 * stay valid until the next insert, replace or remove. Copy what you keep. */
#ifndef OVL_RTABLE_H
#define OVL_RTABLE_H

#include <stddef.h>

#include "handle.h"
#include "id.h"

#define OVL_RTABLE_ROWS OVL_ID_DIGITS /* one row per shared-prefix length */
#define OVL_RTABLE_COLS 16            /* one column per hex digit value */

typedef struct ovl_rtable_t ovl_rtable_t;

/* Called once per entry by ovl_rtable_visit, rows in order and columns in
 * order within a row. Return 0 to go on; anything else stops the walk and
 * is returned by ovl_rtable_visit. Must not modify the table. */
typedef int (*ovl_rtable_visit_fn) (const ovl_handle_t *h, int row, int col, void *arg);

/* An empty table for the node whose id is self, or NULL. */
ovl_rtable_t *ovl_rtable_new (ovl_id_t self);

/* Frees *self_p and sets it to NULL; nothing if it is NULL already. */
void ovl_rtable_destroy (ovl_rtable_t **self_p);

/* The id the table was built for. */
ovl_id_t ovl_rtable_self (const ovl_rtable_t *t);

/* Stores h in its slot if the slot is empty: 1. 0 if the slot is taken --
 * the entry already there stays (Pastry keeps the first; without a proximity
 * metric there is nothing better to prefer) -- or if h is self. -1 if memory
 * ran out (the table is unchanged). */
int ovl_rtable_insert (ovl_rtable_t *t, const ovl_handle_t *h);

/* Stores h in its slot whatever was there: 1 if that changed the table (the
 * slot was empty, or held another id or another address), 0 if not or if h
 * is self, -1 if memory ran out (the table is unchanged). */
int ovl_rtable_replace (ovl_rtable_t *t, const ovl_handle_t *h);

/* Removes the entry whose id is id: 1 if it was there, else 0. A row left
 * empty is freed. */
int ovl_rtable_remove (ovl_rtable_t *t, ovl_id_t id);

/* The entry at (row, col), or NULL if empty or out of range. */
const ovl_handle_t *ovl_rtable_get (const ovl_rtable_t *t, int row, int col);

/* The entry sharing at least one more digit with key than self does: the
 * slot at row = shared_prefix(self, key), col = digit(key, row). NULL if
 * that slot is empty or key is self. */
const ovl_handle_t *ovl_rtable_next_hop (const ovl_rtable_t *t, ovl_id_t key);

/* 1 if an entry with this id is in the table, else 0. */
int ovl_rtable_contains (const ovl_rtable_t *t, ovl_id_t id);

/* The entry whose id is id, or NULL. */
const ovl_handle_t *ovl_rtable_find (const ovl_rtable_t *t, ovl_id_t id);

/* Copies up to max entries of row into out, in column order (a JOIN reply).
 * Returns how many it copied; 0 for an empty or out-of-range row. */
int ovl_rtable_row (const ovl_rtable_t *t, int row, ovl_handle_t *out, int max);

/* Number of entries. */
size_t ovl_rtable_count (const ovl_rtable_t *t);

/* Number of rows holding at least one entry (= rows allocated). They need
 * not be rows 0..n-1: a row can be empty below a populated one. */
int ovl_rtable_rows_used (const ovl_rtable_t *t);

/* One past the deepest populated row, 0 for an empty table: every row from
 * here on is empty, so a scan over rows may stop here. */
int ovl_rtable_row_end (const ovl_rtable_t *t);

/* Heap bytes the table has asked for (the struct and its rows, not the
 * allocator's own overhead), for the simulator's memory reports. */
size_t ovl_rtable_bytes (const ovl_rtable_t *t);

/* Calls fn on every entry (see ovl_rtable_visit_fn). 0 after a full walk,
 * or the first nonzero value fn returned. */
int ovl_rtable_visit (const ovl_rtable_t *t, ovl_rtable_visit_fn fn, void *arg);

#endif
