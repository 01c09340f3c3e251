/* rtable.c: the routing table. Each row is one allocation holding exactly
 * its entries, packed in column order and found through a 16-bit column
 * mask. Fixed 16-slot rows would cost 1,280 bytes even for the one or two
 * entries of a node's deepest rows: at 100k nodes with every reachable slot
 * filled (58 entries in 4.85 rows per node) packing needs 5.0 KB per node
 * where fixed rows need 6.5 KB. Inserting into a row reallocates it -- a
 * few dozen times in a node's life -- while a lookup stays a mask test and
 * a popcount. */
#include "rtable.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint16_t cols;        /* bit c set: column c holds an entry */
    ovl_handle_t entry[]; /* one per set bit of cols, in column order */
} s_row_t;

struct ovl_rtable_t {
    ovl_id_t self;                 /* whose table this is */
    s_row_t *row[OVL_RTABLE_ROWS]; /* NULL while the row is empty */
    size_t count;                  /* entries over all rows */
};

static size_t
s_row_size (int entries)
{
    return sizeof (s_row_t) + (size_t)entries * sizeof (ovl_handle_t);
}

static int
s_row_entries (const s_row_t *row)
{
    return __builtin_popcount (row->cols);
}

/* Index into row->entry of column col (whether or not col is present). */
static int
s_row_index (const s_row_t *row, int col)
{
    return __builtin_popcount (row->cols & ((1u << col) - 1));
}

ovl_rtable_t *
ovl_rtable_new (ovl_id_t self)
{
    ovl_rtable_t *t = calloc (1, sizeof *t);
    if (!t)
        return NULL;
    t->self = self;
    return t;
}

void
ovl_rtable_destroy (ovl_rtable_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ovl_rtable_t *t = *self_p;
    for (int r = 0; r < OVL_RTABLE_ROWS; r++)
        free (t->row[r]);
    free (t);
    *self_p = NULL;
}

ovl_id_t
ovl_rtable_self (const ovl_rtable_t *t)
{
    return t->self;
}

/* Shared by insert and replace: they differ only when the slot is taken. */
static int
s_store (ovl_rtable_t *t, const ovl_handle_t *h, int replace)
{
    int r = ovl_id_shared_prefix (t->self, h->id);
    if (r == OVL_ID_DIGITS)
        return 0; /* self */
    int c = ovl_id_digit (h->id, r);
    s_row_t *row = t->row[r];
    if (row && (row->cols & (1u << c))) {
        ovl_handle_t *slot = &row->entry[s_row_index (row, c)];
        if (!replace || ovl_handle_eq (slot, h))
            return 0;
        *slot = *h;
        return 1;
    }
    int n = row ? s_row_entries (row) : 0;
    s_row_t *grown = realloc (row, s_row_size (n + 1));
    if (!grown)
        return -1; /* realloc left the old row in place */
    if (!row)
        grown->cols = 0;
    int i = s_row_index (grown, c);
    memmove (&grown->entry[i + 1], &grown->entry[i], (size_t)(n - i) * sizeof (ovl_handle_t));
    grown->entry[i] = *h;
    grown->cols |= (uint16_t)(1u << c);
    t->row[r] = grown;
    t->count++;
    return 1;
}

int
ovl_rtable_insert (ovl_rtable_t *t, const ovl_handle_t *h)
{
    return s_store (t, h, 0);
}

int
ovl_rtable_replace (ovl_rtable_t *t, const ovl_handle_t *h)
{
    return s_store (t, h, 1);
}

int
ovl_rtable_remove (ovl_rtable_t *t, ovl_id_t id)
{
    int r = ovl_id_shared_prefix (t->self, id);
    if (r == OVL_ID_DIGITS)
        return 0;
    int c = ovl_id_digit (id, r);
    s_row_t *row = t->row[r];
    if (!row || !(row->cols & (1u << c)))
        return 0;
    int i = s_row_index (row, c);
    if (!ovl_id_eq (row->entry[i].id, id))
        return 0; /* another node holds the slot */
    int n = s_row_entries (row);
    t->count--;
    if (n == 1) {
        free (row);
        t->row[r] = NULL;
        return 1;
    }
    memmove (&row->entry[i], &row->entry[i + 1], (size_t)(n - 1 - i) * sizeof (ovl_handle_t));
    row->cols &= (uint16_t) ~(1u << c);
    /* Shrinking cannot lose data; if realloc declines, the larger block
     * simply stays. */
    s_row_t *shrunk = realloc (row, s_row_size (n - 1));
    if (shrunk)
        t->row[r] = shrunk;
    return 1;
}

const ovl_handle_t *
ovl_rtable_get (const ovl_rtable_t *t, int row, int col)
{
    if (row < 0 || row >= OVL_RTABLE_ROWS || col < 0 || col >= OVL_RTABLE_COLS)
        return NULL;
    const s_row_t *rw = t->row[row];
    if (!rw || !(rw->cols & (1u << col)))
        return NULL;
    return &rw->entry[s_row_index (rw, col)];
}

const ovl_handle_t *
ovl_rtable_next_hop (const ovl_rtable_t *t, ovl_id_t key)
{
    int r = ovl_id_shared_prefix (t->self, key);
    if (r == OVL_ID_DIGITS)
        return NULL;
    return ovl_rtable_get (t, r, ovl_id_digit (key, r));
}

const ovl_handle_t *
ovl_rtable_find (const ovl_rtable_t *t, ovl_id_t id)
{
    int r = ovl_id_shared_prefix (t->self, id);
    if (r == OVL_ID_DIGITS)
        return NULL;
    const ovl_handle_t *h = ovl_rtable_get (t, r, ovl_id_digit (id, r));
    return h && ovl_id_eq (h->id, id) ? h : NULL;
}

int
ovl_rtable_contains (const ovl_rtable_t *t, ovl_id_t id)
{
    return ovl_rtable_find (t, id) != NULL;
}

int
ovl_rtable_row (const ovl_rtable_t *t, int row, ovl_handle_t *out, int max)
{
    if (row < 0 || row >= OVL_RTABLE_ROWS || !t->row[row] || max <= 0)
        return 0;
    int n = s_row_entries (t->row[row]);
    if (n > max)
        n = max;
    memcpy (out, t->row[row]->entry, (size_t)n * sizeof (ovl_handle_t));
    return n;
}

size_t
ovl_rtable_count (const ovl_rtable_t *t)
{
    return t->count;
}

int
ovl_rtable_rows_used (const ovl_rtable_t *t)
{
    int n = 0;
    for (int r = 0; r < OVL_RTABLE_ROWS; r++)
        n += t->row[r] != NULL;
    return n;
}

int
ovl_rtable_row_end (const ovl_rtable_t *t)
{
    int r = OVL_RTABLE_ROWS;
    while (r > 0 && !t->row[r - 1])
        r--;
    return r;
}

size_t
ovl_rtable_bytes (const ovl_rtable_t *t)
{
    size_t bytes = sizeof *t;
    for (int r = 0; r < OVL_RTABLE_ROWS; r++)
        if (t->row[r])
            bytes += s_row_size (s_row_entries (t->row[r]));
    return bytes;
}

int
ovl_rtable_visit (const ovl_rtable_t *t, ovl_rtable_visit_fn fn, void *arg)
{
    for (int r = 0; r < OVL_RTABLE_ROWS; r++) {
        const s_row_t *row = t->row[r];
        if (!row)
            continue;
        int i = 0;
        for (int c = 0; c < OVL_RTABLE_COLS; c++) {
            if (!(row->cols & (1u << c)))
                continue;
            int rc = fn (&row->entry[i++], r, c, arg);
            if (rc)
                return rc;
        }
    }
    return 0;
}
