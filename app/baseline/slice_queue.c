/* slice_queue.c: a ring of the slices not known done, in hand-out order.
 * Done slices leave the ring lazily (when they reach the head), so
 * completing one costs O(1) and issuing costs what it scans. */
#include "slice_queue.h"

#include <stdlib.h>

struct app_slice_queue_t {
    int slices;     /* slice count */
    int remaining;  /* slices not done */
    uint8_t *done;  /* per slice: 1 once done */
    uint32_t *ring; /* slices in hand-out order, done ones not yet dropped */
    int head;       /* index of the first entry in ring */
    int len;        /* entries in ring */
    uint32_t *kept; /* scratch: entries skipped by one issue */
};

app_slice_queue_t *
app_slice_queue_new (int slices)
{
    if (slices < 1)
        return NULL;
    app_slice_queue_t *q = calloc (1, sizeof *q);
    if (!q)
        return NULL;
    q->done = calloc ((size_t)slices, 1);
    q->ring = malloc ((size_t)slices * sizeof *q->ring);
    q->kept = malloc ((size_t)slices * sizeof *q->kept);
    if (!q->done || !q->ring || !q->kept) {
        app_slice_queue_destroy (&q);
        return NULL;
    }
    q->slices = q->remaining = q->len = slices;
    for (int i = 0; i < slices; i++)
        q->ring[i] = (uint32_t)i;
    return q;
}

void
app_slice_queue_destroy (app_slice_queue_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    app_slice_queue_t *q = *self_p;
    free (q->done);
    free (q->ring);
    free (q->kept);
    free (q);
    *self_p = NULL;
}

int
app_slice_queue_issue (app_slice_queue_t *q, uint8_t *held, int n, uint32_t *ids)
{
    int issued = 0, kept = 0;
    /* Every entry is looked at once at most: each slice is in the ring
     * once, so no slice can be handed out twice in one call. */
    for (int scan = q->len; scan > 0 && issued < n; scan--) {
        uint32_t s = q->ring[q->head];
        q->head = (q->head + 1) % q->slices;
        q->len--;
        if (q->done[s])
            continue; /* dropped for good */
        if (held[s])
            q->kept[kept++] = s;
        else
            ids[issued++] = s;
    }
    /* Issued slices go to the back; skipped ones return to the front in
     * their order, so they keep their turn for the other workers. */
    for (int i = 0; i < issued; i++) {
        held[ids[i]] = 1;
        q->ring[(q->head + q->len) % q->slices] = ids[i];
        q->len++;
    }
    for (int i = kept - 1; i >= 0; i--) {
        q->head = (q->head + q->slices - 1) % q->slices;
        q->ring[q->head] = q->kept[i];
        q->len++;
    }
    return issued;
}

int
app_slice_queue_complete (app_slice_queue_t *q, int slice)
{
    if (slice < 0 || slice >= q->slices)
        return -1;
    if (q->done[slice])
        return 0;
    q->done[slice] = 1;
    q->remaining--;
    return 1;
}

int
app_slice_queue_remaining (const app_slice_queue_t *q)
{
    return q->remaining;
}
