/* prune.h: open connections follow a node's state. Every few seconds the
 * drivers (`node`, `peer`) close connections to nodes that left the leaf
 * set, routing table and tree links -- O(log N) of them, not every node
 * ever heard from (see ovl_transport_prune). */
#ifndef APP_PRUNE_H
#define APP_PRUNE_H

#include "handle.h"
#include "node.h"
#include "transport_zmq.h"

/* How often the drivers prune. */
#define APP_PRUNE_INTERVAL_MS 5000

/* Close idle connections to nodes not in node's state; also keep `also`
 * (NULL: none), a node this one talks to outside the overlay's state (a
 * peer's master). */
void app_prune_connections (ovl_transport_t *transport, const ovl_node_t *node,
                            const ovl_handle_t *also);

#endif
