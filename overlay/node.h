/* node.h: one overlay node -- Pastry-style key-based routing and
 * Scribe-style groups -- as a state machine without I/O.
 *
 * The caller feeds it events (a message's bytes, a tick, a local command),
 * each with the current time in milliseconds on a monotonic clock it owns;
 * the node answers through the upcall table: bytes to send to a handle,
 * and deliveries for the layer above. next_deadline_ms says when it next
 * wants a tick. It never reads a clock, sleeps, touches a socket or draws an
 * unseeded random number, so the ZeroMQ driver and the simulator run the
 * very same code.
 *
 * Upcalls happen inside ovl_node_* calls, at points where the node's state
 * is consistent; an upcall may call the node's command functions (send an
 * App message, publish), but not destroy it. */
#ifndef OVL_NODE_H
#define OVL_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "handle.h"
#include "id.h"

typedef struct ovl_node_t ovl_node_t;

/* Timers and bounds. Every timeout is configuration; tests run them short. */
typedef struct {
    uint32_t ping_interval_ms;   /* probe a quiet watched link this often; 0 = off */
    uint32_t fail_timeout_ms;    /* a watched node silent this long is lost */
    uint32_t ack_timeout_ms;     /* a routed hop not acknowledged in time is
                                    treated as dead and retried another way */
    uint32_t join_timeout_ms;    /* restart a join that got no leaf set */
    uint32_t children_max;       /* Scribe children per group before handing on */
    uint32_t dead_memory_ms;     /* ignore a lost node in gossip this long */
    uint32_t table_maint_ms;     /* ask one entry per routing-table row for its
                                    row this often (jittered); 0 = off */
    uint32_t leaf_maint_ms;      /* while probing, ask the nearest and farthest
                                    leaf on each side for its leaf set this
                                    often; 0 = off */
    uint32_t group_retry_ms;     /* a parentless tree member (not the root)
                                    joins again this often */
    uint32_t anycast_timeout_ms; /* an anycast unanswered this long failed (its
                                    walk was lost with a node); 0 = never */
    uint32_t group_refresh_ms;   /* every tree member with a parent joins again
                                    this often (a parent that dropped it takes
                                    it back); 0 = never */
} ovl_config_t;

/* Defaults for a LAN: a SIGKILLed neighbour is declared lost within
 * fail_timeout + ping_interval = 1.2 s. */
void ovl_config_default (ovl_config_t *config);

/* What the node tells its driver and the layer above. Any may be NULL but
 * send. ctx is passed back unchanged. */
typedef struct {
    void *ctx;
    /* Transmit bytes to `to`. The node keeps no pointer to bytes. */
    void (*send) (void *ctx, const ovl_handle_t *to, const uint8_t *bytes, size_t len);
    /* The join completed: the node is part of the ring. */
    void (*joined) (void *ctx, int hops);
    /* A routed App payload reached the node numerically closest to key. */
    void (*deliver) (void *ctx, ovl_id_t key, const uint8_t *payload, size_t len,
                     const ovl_handle_t *origin, int hops);
    /* A routed App payload passes through on its way to next; return 0 to
     * stop it here (it is then dropped). */
    int (*forward) (void *ctx, ovl_id_t key, const uint8_t *payload, size_t len,
                    const ovl_handle_t *next);
    /* A node entered this node's leaf set or routing table. */
    void (*node_up) (void *ctx, const ovl_handle_t *node);
    /* A node this node relied on was declared dead: silent for silent_ms
     * (0 if it was not watched: an unanswered routing hop). */
    void (*node_lost) (void *ctx, const ovl_handle_t *node, uint64_t silent_ms);
    /* A node this node relied on said goodbye (ovl_node_leave): it is out
     * of the state at once, as a lost one, but it did not crash. NULL:
     * reported as node_lost (silent_ms 0). */
    void (*node_left) (void *ctx, const ovl_handle_t *node);
    /* A direct App payload from a peer. */
    void (*app) (void *ctx, const ovl_handle_t *from, const uint8_t *payload, size_t len);
    /* A message published to a group this node is a member of. */
    void (*group_deliver) (void *ctx, ovl_id_t group, const uint8_t *payload, size_t len,
                           const ovl_handle_t *publisher);
    /* Would this member take the anycast? 1 = yes (it is then its). */
    int (*anycast_accept) (void *ctx, ovl_id_t group, const uint8_t *payload, size_t len,
                           const ovl_handle_t *origin);
    /* The outcome of an anycast this node started. */
    void (*anycast_result) (void *ctx, uint64_t anycast_id, int accepted, const ovl_handle_t *by);
    /* This node became or stopped being the root of a group's tree. */
    void (*group_root) (void *ctx, ovl_id_t group, int is_root);
} ovl_upcalls_t;

/* Counters, for logs, tests and benchmarks. */
typedef struct {
    uint64_t msgs_sent;          /* envelopes handed to send */
    uint64_t bytes_sent;         /* their bytes */
    uint64_t msgs_received;      /* envelopes decoded and handled */
    uint64_t bytes_received;     /* their bytes */
    uint64_t dropped_malformed;  /* undecodable or invalid input */
    uint64_t dropped_other;      /* valid but unusable (e.g. for another state) */
    uint64_t routed_forwarded;   /* routed messages passed on */
    uint64_t routed_retried;     /* hops retried after a missing ack */
    uint64_t nodes_lost;         /* node_lost upcalls */
    uint64_t nodes_left;         /* node_left upcalls (goodbyes heard) */
    uint64_t dropped_forged;     /* `from` is not the node that sent it */
    uint64_t anycasts_timed_out; /* reported failed for want of an answer */
    uint64_t joins_refused;      /* JOINs that reached us while we joined */
} ovl_node_stats_t;

/* A node with the given identity. seed feeds its own PRNG (nonces, choice
 * among equals). NULL on allocation failure. */
ovl_node_t *ovl_node_new (const ovl_config_t *config, const ovl_handle_t *self,
                          const ovl_upcalls_t *upcalls, uint64_t seed);
void ovl_node_destroy (ovl_node_t **self_p);

/* Change timers (e.g. switch probing on in a simulation). Raising
 * children_max later is fine; lowering it keeps the children a group has. */
void ovl_node_set_config (ovl_node_t *node, uint64_t now_ms, const ovl_config_t *config);

/* The addresses a join may go through, at most. */
#define OVL_BOOTSTRAPS_MAX 8

/* Start a ring alone (n 0) or join one through any of n members (the
 * first OVL_BOOTSTRAPS_MAX count). A join that got no leaf set in time
 * is sent again, through the next address given, and every second time
 * through the closest member it learned on the way: one dead address does
 * not hold a join up while another was given or learned. */
void ovl_node_start (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *bootstraps, size_t n);

/* Where the JOIN under way went (a bootstrap, or a member learned on the
 * way), or NULL once joined: the driver watches its handshakes. */
const ovl_handle_t *ovl_node_join_via (const ovl_node_t *node);

/* Leave gracefully: tell every node in this node's state (leaf set,
 * routing table, tree links) that it goes, so each drops it at once and
 * reports it as left, not lost a failure timeout later. From then on the
 * node is silent: it sends nothing, drops what it receives and runs no
 * timer. Call it last, once the layer above has said its own goodbyes. */
void ovl_node_leave (ovl_node_t *node, uint64_t now_ms);
/* 1 once ovl_node_leave ran. */
int ovl_node_has_left (const ovl_node_t *node);

/* Feed one received message. Malformed input is counted and dropped. */
void ovl_node_on_msg (ovl_node_t *node, uint64_t now_ms, const uint8_t *bytes, size_t len);

/* As ovl_node_on_msg, for a message whose sender is known to be the node
 * sender (a closed network's transport authenticates it): a message whose
 * `from` names another node is counted (dropped_forged) and dropped, so a
 * node can speak only as itself. */
void ovl_node_on_msg_from (ovl_node_t *node, uint64_t now_ms, const uint8_t *bytes, size_t len,
                           ovl_id_t sender);

/* Let timers run; call at or after ovl_node_next_deadline_ms. */
void ovl_node_on_tick (ovl_node_t *node, uint64_t now_ms);

/* The earliest time the node wants a tick (UINT64_MAX: none pending). */
uint64_t ovl_node_next_deadline_ms (const ovl_node_t *node);

/* Route an App payload to the node numerically closest to key. */
void ovl_node_route (ovl_node_t *node, uint64_t now_ms, ovl_id_t key, const uint8_t *payload,
                     size_t len);

/* Send an App payload straight to a node. */
void ovl_node_send_app (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *to,
                        const uint8_t *payload, size_t len);

/* Groups (Scribe). A group's key is ovl_id_from_name of its name. Joining
 * a group this node is already in sends its JOIN again, keeping its parent
 * until another accepts it: a parent that lost track of it takes it back
 * (re-join this way, not by leaving first). */
void ovl_node_group_join (ovl_node_t *node, uint64_t now_ms, ovl_id_t group);
void ovl_node_group_leave (ovl_node_t *node, uint64_t now_ms, ovl_id_t group);
void ovl_node_group_publish (ovl_node_t *node, uint64_t now_ms, ovl_id_t group,
                             const uint8_t *payload, size_t len);
/* Offer payload to one member; the answer comes as anycast_result, once:
 * accepted, refused by every member, or failed after anycast_timeout_ms
 * (a later answer is dropped). At most OVL_ANYCASTS_MAX are outstanding: a
 * newer one reports the oldest failed. Returns the anycast's id. */
#define OVL_ANYCASTS_MAX 32
uint64_t ovl_node_group_anycast (ovl_node_t *node, uint64_t now_ms, ovl_id_t group,
                                 const uint8_t *payload, size_t len);

/* Queries, for drivers, HUDs, tests and the simulator's invariants. */
const ovl_handle_t *ovl_node_self (const ovl_node_t *node);
int ovl_node_is_joined (const ovl_node_t *node);
const ovl_node_stats_t *ovl_node_stats (const ovl_node_t *node);
/* 1 while the node has routed hops awaiting acknowledgement or a join
 * under way: work that timers, not messages, will move on. */
int ovl_node_is_busy (const ovl_node_t *node);
/* Distinct nodes in the leaf set and routing table (the driver's connections
 * follow these plus tree links). */
size_t ovl_node_known_count (const ovl_node_t *node);
/* Copy up to max distinct known handles (leaf set, table, tree links). */
int ovl_node_known_list (const ovl_node_t *node, ovl_handle_t *out, int max);
/* The leaf set, for invariants. */
int ovl_node_leaf_list (const ovl_node_t *node, ovl_handle_t *out, int max);
/* Group tree facts: 1 if in the tree; parent (0 if root/none), children. */
int ovl_node_group_info (const ovl_node_t *node, ovl_id_t group, int *is_member, int *is_root,
                         ovl_handle_t *parent, int *has_parent, int *children);
/* 1 if child is among node's children in group's tree. */
int ovl_node_group_has_child (const ovl_node_t *node, ovl_id_t group, ovl_id_t child);
/* 1 if node knows no node closer to key than itself (it would root a
 * group of that key). */
int ovl_node_is_closest (const ovl_node_t *node, ovl_id_t key);

#endif
