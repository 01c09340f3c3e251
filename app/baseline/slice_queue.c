/* slice_queue.c: the baseline master's queue -- which slices are done,
 * and the cursor of election/queue.c, the rotating queue the P2P master
 * uses too. */
#include "slice_queue.h"

#include <stdlib.h>

#include "queue.h"

struct app_slice_queue_t {
    uint32_t slices;     /* slice count */
    int remaining;       /* slices not done */
    uint8_t *done;       /* per slice: 1 once done */
    uint32_t head;       /* the rotating queue's cursor */
    const uint8_t *held; /* during an issue: what the requester holds */
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
    if (!q->done) {
        app_slice_queue_destroy (&q);
        return NULL;
    }
    q->slices = (uint32_t)slices;
    q->remaining = slices;
    return q;
}

void
app_slice_queue_destroy (app_slice_queue_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    app_slice_queue_t *q = *self_p;
    free (q->done);
    free (q);
    *self_p = NULL;
}

static int
s_skip (void *ctx, uint32_t s)
{
    const app_slice_queue_t *q = ctx;
    return q->done[s] || q->held[s];
}

int
app_slice_queue_issue (app_slice_queue_t *q, uint8_t *held, int n, uint32_t *ids)
{
    size_t k = 0;
    q->held = held;
    el_queue_next (&q->head, q->slices, s_skip, q, n > 0 ? (size_t)n : 0, ids, &k);
    q->held = NULL;
    for (size_t i = 0; i < k; i++)
        held[ids[i]] = 1;
    return (int)k;
}

int
app_slice_queue_complete (app_slice_queue_t *q, int slice)
{
    if (slice < 0 || (uint32_t)slice >= q->slices)
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
