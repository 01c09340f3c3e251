/* hooks_off.c: the shipped binary's test hooks -- none (see hooks.h). */
#include "hooks.h"

int
app_peer_hook_corrupt_slices (void)
{
    return 0;
}

int
app_peer_hook_check_pixels (uint32_t *n)
{
    (void)n;
    return 0;
}

int
app_peer_hook_no_preview (void)
{
    return 0;
}
