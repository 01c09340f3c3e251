/* queue.c: the rotating work queue (see queue.h). */
#include "queue.h"

static int
s_in (uint32_t s, const uint32_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == s)
            return 1;
    return 0;
}

size_t
el_queue_next (uint32_t *head, uint32_t slices, el_queue_skip_fn skip, void *ctx, size_t n,
               uint32_t *out, size_t *k)
{
    size_t added = 0;
    if (slices == 0)
        return 0;
    for (uint32_t step = 0; step < slices && added < n; step++) {
        uint32_t s = *head % slices;
        *head = (s + 1) % slices;
        if (!skip (ctx, s) && !s_in (s, out, *k)) {
            out[(*k)++] = s;
            added++;
        }
    }
    return added;
}
