/* slice_queue.h: the baseline master's work queue -- election/queue.h's
 * rotating queue (the one the P2P master uses: the benchmark compares
 * transports, not schedulers) with the master's done set. Slices are
 * handed out from a cursor over the indices, so a slice whose result
 * never comes (its worker died, or is slow) is handed out again only
 * after every other unfinished slice had its turn once more: no timeout
 * to tune, no worker liveness to track, and duplicates only once fewer
 * slices remain than workers ask for.
 *
 * The caller keeps, per worker, one flag per slice saying what that worker
 * holds (was handed and has not returned); the queue skips those slices for
 * that worker, since giving a worker a slice it is already rendering helps
 * no one. Pure data structure: no I/O. */
#ifndef APP_SLICE_QUEUE_H
#define APP_SLICE_QUEUE_H

#include <stdint.h>

typedef struct app_slice_queue_t app_slice_queue_t;

/* A queue of slices 0..slices-1 in order, none done. NULL if slices < 1 or
 * memory runs out. */
app_slice_queue_t *app_slice_queue_new (int slices);
void app_slice_queue_destroy (app_slice_queue_t **self_p);

/* Hands out up to n slices (each at most once per call) that are not done
 * and not flagged in held (slices entries): writes them to ids in order,
 * flags them in held and moves the cursor past every slice looked at. Returns how many, 0..n;
 * fewer than n only when no other slice qualifies. */
int app_slice_queue_issue (app_slice_queue_t *q, uint8_t *held, int n, uint32_t *ids);

/* Marks a slice done: it is never handed out again. 1 if it was not done
 * yet, 0 if it was (a duplicate result), -1 if out of range. */
int app_slice_queue_complete (app_slice_queue_t *q, int slice);

/* Slices not done yet. */
int app_slice_queue_remaining (const app_slice_queue_t *q);

#endif
