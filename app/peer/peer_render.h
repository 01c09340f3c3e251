/* peer_render.h: the peer's render threads -- a first-in first-out queue of
 * slices to compute, and a list of finished ones the event loop takes back.
 *
 * The loop thread owns every protocol object; these threads only run the
 * kernel over a slice's rows into a buffer of their own and post it. A
 * readable file descriptor (an eventfd) says results are waiting, so the
 * loop's zmq_poll wakes for them as for a message, and heartbeats never
 * wait behind a render. */
#ifndef APP_PEER_RENDER_H
#define APP_PEER_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "id.h"
#include "job.h"
#include "kernel.h"

typedef struct app_peer_render_t app_peer_render_t;

/* One finished slice, handed over to the loop. */
typedef struct {
    ovl_id_t job;   /* the job it belongs to */
    uint32_t slice; /* its index */
    float *pixels;  /* el_job_slice_px floats, malloc'd: the taker frees */
    size_t n;       /* their count */
    double busy_s;  /* compute time plus the throttle's wait */
    double ref_s;   /* of it, seconds this thread spent computing the job's
                       reference orbit (0: none, or another thread did) */
    long ref_bits;  /* the orbit's MPFR precision (0: none) */
    int has_ref;    /* a deep job: ref_hash is its orbit's hash */
    uint8_t ref_hash[RND_REF_HASH_BYTES];
} app_peer_result_t;

/* threads render threads running kernel (supported, or AUTO). throttle >= 1:
 * after a slice that took t seconds a thread waits (throttle - 1) * t more
 * before posting it, as a machine throttle times slower would; a deep
 * job's reference orbit, computed once before its first slice here, is
 * not stretched. NULL with a reason in err if no thread or wake-up
 * descriptor could be made; fewer threads than asked for may run
 * (app_peer_render_threads). */
app_peer_render_t *app_peer_render_new (int threads, rnd_kernel_t kernel, double throttle,
                                        char *err, size_t err_size);
/* Stop the threads (a throttle wait is cut short; a slice being computed is
 * finished and dropped), free what is queued or unclaimed. Idempotent. */
void app_peer_render_destroy (app_peer_render_t **self_p);

/* Render threads actually running. */
int app_peer_render_threads (const app_peer_render_t *r);

/* Queue slice `slice` of job. 0, or -1 if out of memory. A deep job's
 * reference orbit is computed once, by the first thread that takes one of
 * its slices or checks (the others wait for it), and the job's slices
 * and checks share it until the last is done. */
int app_peer_render_queue (app_peer_render_t *r, const el_job_t *job, uint32_t slice);

/* Drop every slice still queued (not started) that is not of job keep: the
 * core ignores results for a job it no longer follows, so computing them
 * would only delay the new one (el_stack_driver_t.drop_renders). */
void app_peer_render_drop (app_peer_render_t *r, ovl_id_t keep);

/* Readable (for poll or zmq_poll, ZMQ_POLLIN) while results wait. */
int app_peer_render_fd (const app_peer_render_t *r);

/* Take the oldest finished slice: 0 and *out filled, or -1 if none waits.
 * Reading resets the descriptor once the list is empty. */
int app_peer_render_take (app_peer_render_t *r, app_peer_result_t *out);

/* Spot checks of received slices (el_upcalls_t.check): a few pixels to
 * compute. They ride along the next slice a render thread starts for the
 * same job (rnd_kernel_run_with_pixels: inside a render's lanes a pixel
 * costs ~1/90 of what it costs alone), so they are not throttled and
 * wait at most for a render thread to finish its slice. Those no render
 * takes are computed together, as one list, by a checker thread: after
 * APP_CHECK_IDLE_MS when no render is running or queued (the end of a
 * job), after APP_CHECK_BUSY_MS otherwise (a throttled or very long
 * slice), or at once when APP_CHECK_FULL_LANES times the kernel's lanes
 * are waiting. */
#define APP_CHECK_IDLE_MS 2
#define APP_CHECK_BUSY_MS 250
#define APP_CHECK_FULL_LANES 4

/* One answered check, handed over to the loop. */
typedef struct {
    ovl_id_t job;   /* the job it was asked for */
    uint64_t token; /* the core's token */
    float *values;  /* n values, malloc'd: the taker frees */
    size_t n;       /* their count */
    int has_ref;    /* a deep job: ref_hash is its orbit's hash */
    uint8_t ref_hash[RND_REF_HASH_BYTES];
} app_peer_check_t;

/* Queue a check: the n pixels px of job (copied). Checks of other jobs
 * still waiting are dropped first, as renders are. A background check
 * (the window's preview, app/window/preview.h: 1/64 of a job) waits
 * behind every other: the core's spot checks time out
 * (el_config_t.check_timeout_ms) and must not queue behind it. 0, or -1
 * if out of memory. */
int app_peer_render_check (app_peer_render_t *r, const el_job_t *job, uint64_t token,
                           const rnd_xy_t *px, size_t n, int background);

/* Take the oldest answered check: 0 and *out filled, or -1 if none waits.
 * The same descriptor as for slices says some wait. */
int app_peer_render_take_check (app_peer_render_t *r, app_peer_check_t *out);

/* Checks answered so far: by riding along a render, by the checker
 * thread alone; and the checker thread's CPU seconds (its whole cost). */
void app_peer_render_check_stats (app_peer_render_t *r, uint64_t *rode, uint64_t *alone,
                                  double *alone_s);

/* Seconds spent computing and throttling, over every slice finished. */
double app_peer_render_busy_s (app_peer_render_t *r);

/* Seconds the slices of job now being computed (or throttled) have run so
 * far: busy time that no result accounts for yet. */
double app_peer_render_busy_now_s (app_peer_render_t *r, ovl_id_t job);

#endif
