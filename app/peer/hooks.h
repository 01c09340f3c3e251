/* hooks.h: the peer's test-only behaviour -- present only in p2pfractal-test
 * (hooks_test.c: the tests and benchmarks that need a lying peer or checks
 * turned off), absent from the shipped p2pfractal (hooks_off.c), so no
 * environment variable can make an installed peer lie. */
#ifndef APP_PEER_HOOKS_H
#define APP_PEER_HOOKS_H

#include <stdint.h>

/* 1 if this peer must corrupt every slice it renders (a liar, for
 * test_verify: P2PF_TEST_CORRUPT_SLICES=1); 2 if it must send (and
 * believe) a wrong reference-orbit hash for deep jobs, with right pixels
 * (test_deep_peers: P2PF_TEST_CORRUPT_SLICES=2); 0 if honest. */
int app_peer_hook_corrupt_slices (void);

/* 1 and *n set if the pixels checked per received slice are overridden
 * (P2PF_TEST_CHECK_PIXELS=N; 0 turns checks off). */
int app_peer_hook_check_pixels (uint32_t *n);

/* 1 if a windowed peer must compute no preview (bench/preview.sh's
 * "before": P2PF_TEST_NO_PREVIEW=1). */
int app_peer_hook_no_preview (void);

#endif
