/* bench/check_budget.c: the cost of the spot checks of received slices
 * (docs/BENCHMARKS.md, "Spot checks"). The 960x540 default view in 128
 * slices, each rendered plainly and again with k check pixels riding along
 * (rnd_kernel_run_with_pixels; pixels drawn at random from a random slice,
 * as a peer's checks are), or with P given, k per slice computed alone in
 * lists of P. Thread CPU time, R rounds; prints the extra over the plain
 * render, median [range], in %. Not built by CMake:
 *   gcc -O2 -Irender bench/check_budget.c build/render/libp2pf_render.a \
 *       -lpng -lm -o /tmp/check_budget && /tmp/check_budget K [P] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "kernel.h"
static double
cpu (void)
{
    struct timespec t;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}
static int
cmp (const void *a, const void *b)
{
    double x = *(double *)a, y = *(double *)b;
    return x < y ? -1 : x > y;
}
int
main (int argc, char **argv)
{
    int k = atoi (argv[1]), P = argc > 2 ? atoi (argv[2]) : 0, R = 7, K = 128;
    rnd_view_t v;
    rnd_view_default (&v);
    v.width_px = 960;
    v.height_px = 540;
    rnd_kjob_t j;
    rnd_kjob_init (&j, &v);
    static float buf[960 * 6 + 8192];
    static rnd_xy_t px[8192];
    double ext[32];
    srand (12345);
    for (int r = 0; r < R; r++) {
        double plain = 0, with = 0;
        for (int s = 0; s < K; s++) {
            int y0 = s * 540 / K, y1 = (s + 1) * 540 / K;
            int n = P ? k : k;
            for (int i = 0; i < n; i++) {
                int t = rand () % K;
                int a = t * 540 / K, b = (t + 1) * 540 / K;
                px[i].x = rand () % 960;
                px[i].y = a + rand () % (b - a);
            }
            double t0 = cpu ();
            rnd_kernel_run (RND_KERNEL_AUTO, &j, y0, y1, buf);
            double t1 = cpu ();
            if (!P)
                rnd_kernel_run_with_pixels (RND_KERNEL_AUTO, &j, (rnd_rect_t){ 0, y0, 960, y1 }, px,
                                            k, buf);
            else
                rnd_kernel_run (RND_KERNEL_AUTO, &j, y0, y1, buf);
            double t2 = cpu ();
            plain += t1 - t0;
            with += t2 - t1;
        }
        if (P) { /* lists of P pixels alone, k per slice: K*k pixels */
            int total = K * k;
            double t0 = cpu ();
            for (int done = 0; done < total; done += P) {
                int n = total - done < P ? total - done : P;
                for (int i = 0; i < n; i++) {
                    int t = rand () % K;
                    int a = t * 540 / K, b = (t + 1) * 540 / K;
                    px[i].x = rand () % 960;
                    px[i].y = a + rand () % (b - a);
                }
                rnd_kernel_run_pixels (RND_KERNEL_AUTO, &j, px, n, buf);
            }
            with += cpu () - t0;
        }
        ext[r] = (with / plain - 1) * 100;
    }
    qsort (ext, R, sizeof *ext, cmp);
    printf ("k=%d %s: extra CPU %% of the render: median %.2f [%.2f..%.2f] over %d rounds\n", k,
            P ? "alone" : "riding", ext[R / 2], ext[0], ext[R - 1], R);
}
