/* preview.h: the window's progressive preview -- a coarse picture of a
 * job, shown where its tiles have not landed yet.
 *
 * It is one pixel of the real image per 8x8 block (1/64 of the work), in
 * three passes: the blocks of a 32-px grid first, then those of a 16-px
 * grid, then the rest, each pass from the image's centre outward. Every
 * pixel shows the finest sample of a block containing it, so the whole
 * picture is there, blurry, after 1/1024 of the job's pixels, and
 * sharpens to 8-px blocks by 1/64. The samples are real pixels of the job
 * (computed as the spot checks compute pixels, any kernel variant agreeing
 * bit for bit), so a preview sample is exactly the value its tile will
 * bring; but the preview is only a picture: the image, the PNGs and a
 * save hold real tiles only.
 *
 * Each windowed peer computes its own preview (app/peer/events.c queues
 * it, in lists of APP_PREVIEW_CHUNK pixels, on its render threads' check
 * queue): nothing of it goes on the wire (docs/ARCHITECTURE.md, "The
 * progressive preview", says why). */
#ifndef APP_PREVIEW_H
#define APP_PREVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "kernel.h"

/* The finest block's side, and the coarsest (a power of two times it). */
#define APP_PREVIEW_CELL_PX 8
#define APP_PREVIEW_COARSE_PX 32
/* Samples per list given to the render threads: a list rides along a
 * tile's render (peer_render.h) or goes to the checker thread. */
#define APP_PREVIEW_CHUNK 256
/* A check token with this bit is a preview list (its low bits: the index
 * of the list's first sample); the job core's tokens count up from 1 and
 * never reach it. */
#define APP_PREVIEW_TOKEN ((uint64_t)1 << 63)

typedef struct app_preview_t app_preview_t;

/* The preview of a width_px x height_px image: its samples in the order
 * they are computed, and (once a value is put) its picture. NULL if out of
 * memory. */
app_preview_t *app_preview_new (int width_px, int height_px);
void app_preview_destroy (app_preview_t **self_p);

/* Samples: as many as 8x8 blocks; the pixels to compute, in order. */
size_t app_preview_count (const app_preview_t *pv);
const rnd_xy_t *app_preview_px (const app_preview_t *pv);
/* The side of the block each sample stands for: 32, 16 or 8 px (a block
 * at the image's edge is cut by it). */
const uint8_t *app_preview_sides (const app_preview_t *pv);

/* The values of samples first .. first + n - 1 are in: each is drawn over
 * its block wherever no finer sample is, and changed (if not NULL) is
 * told each 8x8 block (clipped to the image) that changed. 0, or -1 if
 * they are out of range (nothing drawn) or memory runs out. */
int app_preview_put (app_preview_t *pv, size_t first, const float *values, size_t n,
                     void (*changed) (void *ctx, rnd_rect_t block), void *ctx);

/* A window spends at most this share of its part of a job on the
 * preview: its part is 1/N of the job for N peers, the whole preview 1/64
 * of it; 5% gives every sample up to 3 peers, the 16-px pass up to 12,
 * the 32-px pass (1/1024 of the job) always. */
#define APP_PREVIEW_SHARE_PCT 5

/* How many of the samples (the first ones) to compute when the job is
 * shared by `peers`: W*H * APP_PREVIEW_SHARE_PCT% / peers, and never fewer
 * than the first pass, which covers the image. */
size_t app_preview_budget (const app_preview_t *pv, size_t peers);

/* 1 once every pixel has a sample (after the 32-px pass: 1/1024 of the
 * job's pixels, 1/16 of the samples). */
int app_preview_whole (const app_preview_t *pv);

/* The picture, W*H smooth values, NaN where no sample is yet (no kernel
 * yields NaN); NULL before the first put. */
const float *app_preview_image (const app_preview_t *pv);

#endif
