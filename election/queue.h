/* queue.h: the rotating work queue -- the seed's eager scheduling, one
 * implementation for both masters that hand out slices: the P2P master
 * (election/master.c) and the client/server baseline's
 * (app/baseline/slice_queue.c), so the benchmark that compares them
 * compares transports, not schedulers.
 *
 * The queue is a cursor over the slice indices 0..K-1. Each call hands out
 * the next slices after the last one looked at that the caller does not
 * skip (done, held by the requester, awaiting a check, ...), and moves the
 * cursor past every slice it looks at. A slice whose result never comes
 * (its renderer died, or is slow) is therefore handed out again only after
 * every other unfinished slice had its turn: no timeout to tune, no
 * liveness to track, duplicates only once fewer slices remain than are
 * asked for. The whole state is one number, so a new master continues
 * where the old one stopped (heartbeats carry it). Pure: no I/O. */
#ifndef EL_QUEUE_H
#define EL_QUEUE_H

#include <stddef.h>
#include <stdint.h>

/* 1 if slice must not be handed out to this requester now. */
typedef int (*el_queue_skip_fn) (void *ctx, uint32_t slice);

/* Appends up to n slices to out[*k..] (out already holds *k, which are
 * never repeated), looking at most at all `slices` indices from *head on
 * and advancing *head past each one looked at. Returns how many it added;
 * fewer than n only when no other slice qualifies. */
size_t el_queue_next (uint32_t *head, uint32_t slices, el_queue_skip_fn skip, void *ctx, size_t n,
                      uint32_t *out, size_t *k);

#endif
