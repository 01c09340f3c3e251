/* prune.c: see prune.h. */
#include "prune.h"

/* Known handles considered (leaf set + table + tree links stay far below). */
#define S_KNOWN_MAX 1024

void
app_prune_connections (ovl_transport_t *transport, const ovl_node_t *node, const ovl_handle_t *also)
{
    /* Static: 70 KiB is too much for a stack, and only the loop thread
     * calls this. */
    static ovl_handle_t known[S_KNOWN_MAX];
    static const char *keep[S_KNOWN_MAX + 1];
    int n = ovl_node_known_list (node, known, S_KNOWN_MAX);
    for (int i = 0; i < n; i++)
        keep[i] = known[i].addr;
    if (also)
        keep[n++] = also->addr;
    ovl_transport_prune (transport, keep, (size_t)n);
}
