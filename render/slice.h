/* slice.h: how a job's image is cut into slices -- row bands, identified by
 * index. Every party (render, peers, the client/server baseline) uses this
 * one rule, so slice i means the same rows everywhere. */
#ifndef RND_SLICE_H
#define RND_SLICE_H

/* Slices a job has when none is asked for: many more than peers, so a slow
 * or dead peer holds up little, but few enough that per-slice overhead
 * (a round trip, a multicast) stays small. Capped at the image height. */
#define RND_SLICES_DEFAULT 128
/* Most slices a job may have (and at most one row each). */
#define RND_SLICES_MAX 4096

/* Slice count for a job of height_px rows when `requested` were asked for
 * (0: the default): at least 1, at most height_px. */
static inline int
rnd_slice_count (int height_px, int requested)
{
    int k = requested > 0 ? requested : RND_SLICES_DEFAULT;
    return k > height_px ? height_px : k;
}

/* Rows [*y0, *y1) of slice i of k in an image of height_px rows: bands as
 * even as integer division allows (sizes differ by at most one row). */
static inline void
rnd_slice_rows (int height_px, int k, int i, int *y0, int *y1)
{
    *y0 = (int)((long long)height_px * i / k);
    *y1 = (int)((long long)height_px * (i + 1) / k);
}

#endif
