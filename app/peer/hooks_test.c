/* hooks_test.c: p2pfractal-test's hooks, read from the environment (see
 * hooks.h); linked only into the test binary. */
#include <stdlib.h>
#include <string.h>

#include "hooks.h"

int
app_peer_hook_corrupt_slices (void)
{
    const char *v = getenv ("P2PF_TEST_CORRUPT_SLICES");
    return !v ? 0 : strcmp (v, "1") == 0 ? 1 : strcmp (v, "2") == 0 ? 2 : 0;
}

int
app_peer_hook_no_preview (void)
{
    const char *v = getenv ("P2PF_TEST_NO_PREVIEW");
    return v && strcmp (v, "1") == 0;
}

int
app_peer_hook_check_pixels (uint32_t *n)
{
    const char *v = getenv ("P2PF_TEST_CHECK_PIXELS");
    if (!v || !*v)
        return 0;
    *n = (uint32_t)strtoul (v, NULL, 10);
    return 1;
}
