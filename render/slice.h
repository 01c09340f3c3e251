/* slice.h: how a job's image is cut into slices -- near-square tiles,
 * numbered from the centre outward. Every party (render, peers, the
 * client/server baseline, the window) uses this one rule, so slice i means
 * the same rectangle everywhere.
 *
 * The grid: K tiles in r rows, r chosen so that tiles come out nearest to
 * square (r^2 ~ K * H / W, within what the image allows); row j holds
 * floor(K (j+1) / r) - floor(K j / r) tiles, so any K works, not only
 * products. Rows and columns are cut as evenly as integer division allows.
 * The numbering: tiles sorted by the (squared, integer) distance of their
 * centre to the image's centre, ties by grid position (row-major) -- so a
 * master that hands out slices in index order fills the picture from its
 * middle outward, and a click-zoom (which recentres the view on the click)
 * grows around the point clicked. All integer arithmetic: every peer, on
 * any CPU or libc, gets the same rectangles. */
#ifndef RND_SLICE_H
#define RND_SLICE_H

#include <stddef.h>

#include "kernel.h"

/* A tile's side, in pixels, when the count is derived from the image
 * (rnd_slice_count with requested 0): ~1,000 pixels a slice -- a 1920x1080
 * image has 2,025 of them, a 480x270 window 127. Small enough that a
 * view's costly middle is spread over many tiles (at 64 px its dearest
 * tile held 12% of a 960x540 job: no swarm could go more than ~8x faster;
 * at 32 px, 3%), large enough that per-slice overhead (a round trip, a
 * multicast, a spot check) stays small. */
#define RND_SLICE_SIDE 32
/* Fewest slices a derived count gives (a small image still spreads over
 * several peers), unless the image has fewer pixels. */
#define RND_SLICES_MIN_DERIVED 16
/* Most slices a job may have. */
#define RND_SLICES_MAX 4096

/* Slice count for a width_px x height_px image when `requested` were asked
 * for (0: derived from the size, W*H / 64^2 rounded, in
 * RND_SLICES_MIN_DERIVED..RND_SLICES_MAX): at least 1, at most W*H (every
 * tile has a pixel). */
int rnd_slice_count (int width_px, int height_px, int requested);

/* The rectangle of slice i of k (k from rnd_slice_count, 0 <= i < k).
 * The rectangles of 0..k-1 cover every pixel exactly once. Computed once
 * per (W, H, k) -- a sort of k tiles -- and kept in a small table shared
 * by all threads (behind a mutex), so a call is cheap. */
rnd_rect_t rnd_slice_rect (int width_px, int height_px, int k, int i);

/* Pixels of the largest slice of k: what one slice's message must carry. */
size_t rnd_slice_px_max (int width_px, int height_px, int k);

/* Copy a tile's pixels (row-major, its own width) into an image
 * width_px wide, out of one, and from one image to another of the same
 * width. */
void rnd_rect_put (float *image, int width_px, rnd_rect_t r, const float *tile);
void rnd_rect_get (const float *image, int width_px, rnd_rect_t r, float *tile);
void rnd_rect_copy (float *dst, const float *src, int width_px, rnd_rect_t r);

#endif
