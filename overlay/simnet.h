/* simnet.h: many overlay nodes in one process on a simulated network --
 * one virtual clock, a seeded PRNG for latency, loss and reordering,
 * crashes and partitions. Each step fires the earliest event; ties go by
 * insertion order, so the same seed gives the same run, byte for byte
 * (ovl_simnet_trace_hash proves it).
 *
 * It drives the very ovl_node cores the ZeroMQ driver runs; only the
 * transport is simulated. */
#ifndef OVL_SIMNET_H
#define OVL_SIMNET_H

#include <stdint.h>

#include "node.h"

typedef struct ovl_simnet_t ovl_simnet_t;

typedef struct {
    uint64_t seed;           /* everything random comes from this */
    double loss;             /* probability a message is dropped, 0..1 */
    uint32_t latency_min_ms; /* one-way latency, uniform in [min, max] */
    uint32_t latency_max_ms;
    ovl_config_t node; /* every node's configuration */
} ovl_simnet_config_t;

/* What the simulation reports to its driver (a test or `p2pfractal sim`). */
typedef struct {
    void *ctx;
    void (*deliver) (void *ctx, int node, ovl_id_t key, const uint8_t *payload, size_t len,
                     int hops);
    void (*group_deliver) (void *ctx, int node, ovl_id_t group, const uint8_t *payload, size_t len);
    void (*node_lost) (void *ctx, int node, const ovl_handle_t *lost);
    /* A goodbye heard (ovl_node_leave); NULL: reported as node_lost. */
    void (*node_left) (void *ctx, int node, const ovl_handle_t *left);
    void (*joined) (void *ctx, int node, int hops);
    int (*anycast_accept) (void *ctx, int node, ovl_id_t group, const uint8_t *payload, size_t len);
    void (*anycast_result) (void *ctx, int node, uint64_t id, int accepted, const ovl_handle_t *by);
    /* For a layer above the overlay (the job protocol's harness), which must
     * know who sent what. Each is called beside its older, handle-less
     * sibling above when both are set. */
    void (*deliver_from) (void *ctx, int node, ovl_id_t key, const uint8_t *payload, size_t len,
                          const ovl_handle_t *origin, int hops);
    void (*group_deliver_from) (void *ctx, int node, ovl_id_t group, const uint8_t *payload,
                                size_t len, const ovl_handle_t *publisher);
    /* A direct App payload (ovl_simnet_send_app). */
    void (*app) (void *ctx, int node, const ovl_handle_t *from, const uint8_t *payload, size_t len);
    /* Node became or stopped being the root of a group's tree. */
    void (*group_root) (void *ctx, int node, ovl_id_t group, int is_root);
    /* The timer set with ovl_simnet_app_timer is due. */
    void (*app_tick) (void *ctx, int node, uint64_t now_ms);
} ovl_simnet_hooks_t;

ovl_simnet_t *ovl_simnet_new (const ovl_simnet_config_t *config, const ovl_simnet_hooks_t *hooks);
void ovl_simnet_destroy (ovl_simnet_t **self_p);

/* A new node with a random id, joining through node `via` (-1: it starts a
 * ring alone). Returns its index, or -1 on allocation failure. */
int ovl_simnet_add (ovl_simnet_t *sim, int via);
/* As ovl_simnet_add, joining through any of the n_via nodes `via`. */
int ovl_simnet_add_any (ovl_simnet_t *sim, const int *via, size_t n_via);

/* What one simulated machine runs behind its address. ovl_simnet_add runs
 * a bare overlay node, whose upcalls go to the hooks above; a layer above
 * may instead build its own host around the node (the job simulator runs
 * election/'s el_stack_t there: the product's wiring, every upcall the
 * real driver gets, node_up included). The simulator feeds the host the
 * node's messages and ticks, and re-arms its tick after each. */
typedef struct {
    void *obj;        /* the host, passed back */
    ovl_node_t *node; /* the overlay node it runs: queries and invariants */
    void (*start) (void *obj, uint64_t now_ms, const ovl_handle_t *bootstraps, size_t n);
    void (*on_msg) (void *obj, uint64_t now_ms, const uint8_t *bytes, size_t len, ovl_id_t from);
    void (*on_tick) (void *obj, uint64_t now_ms);
    uint64_t (*next_deadline_ms) (const void *obj);
} ovl_simnet_host_t;

/* Builds the host of node `index` with identity self: its node must be
 * made with net's ctx and send (the simulated transport) and seed. 0, or
 * -1 on allocation failure. The maker owns and destroys what it made. */
typedef int (*ovl_simnet_host_fn) (void *ctx, int index, const ovl_handle_t *self,
                                   const ovl_upcalls_t *net, uint64_t seed, ovl_simnet_host_t *out);

/* As ovl_simnet_add, with a host of the caller's making, joining through
 * any of the n_via nodes `via` (as `peer --join A --join B`; none: it
 * starts a ring alone). */
int ovl_simnet_add_host (ovl_simnet_t *sim, const int *via, size_t n_via, ovl_simnet_host_fn make,
                         void *ctx);

/* A host's state changed from outside the simulator's events (a command
 * given to the layer above): schedule its next tick. */
void ovl_simnet_rearm (ovl_simnet_t *sim, int i);

/* Commands to node i, issued at the current virtual time. Use these rather
 * than calling the node directly: the simulator must re-arm the node's
 * timer afterwards (a routed hop's ack deadline, say). */
void ovl_simnet_route (ovl_simnet_t *sim, int i, ovl_id_t key, const uint8_t *payload, size_t len);
void ovl_simnet_group_join (ovl_simnet_t *sim, int i, ovl_id_t group);
void ovl_simnet_group_leave (ovl_simnet_t *sim, int i, ovl_id_t group);
/* Node i says goodbye (ovl_node_leave); it stays in the simulator, silent. */
void ovl_simnet_node_leave (ovl_simnet_t *sim, int i);
void ovl_simnet_group_publish (ovl_simnet_t *sim, int i, ovl_id_t group, const uint8_t *payload,
                               size_t len);
uint64_t ovl_simnet_group_anycast (ovl_simnet_t *sim, int i, ovl_id_t group, const uint8_t *payload,
                                   size_t len);
void ovl_simnet_send_app (ovl_simnet_t *sim, int i, const ovl_handle_t *to, const uint8_t *payload,
                          size_t len);

/* A timer for the layer above node i: the app_tick hook fires for i at
 * t_ms (now, if t_ms is past). As with the nodes' own ticks only the
 * earliest pending one counts: a later t_ms than the one pending is
 * ignored, an earlier one supersedes it. A killed node's timer never
 * fires; so the layer above re-arms from each app_tick at its next
 * deadline, and UINT64_MAX arms nothing. */
void ovl_simnet_app_timer (ovl_simnet_t *sim, int i, uint64_t t_ms);

/* Fire events until virtual time passes until_ms or nothing is left. */
void ovl_simnet_run_until (ovl_simnet_t *sim, uint64_t until_ms);

/* Fire events until no message is in flight (timers may remain), or
 * virtual time passes now + limit_ms. Returns 0 if quiet, -1 on the limit. */
int ovl_simnet_run_quiet (ovl_simnet_t *sim, uint64_t limit_ms);

/* Fire events until the network has settled: no live node waits on an
 * acknowledgement or a join (a message to a dead node vanishes; its sender
 * moves on only when its timer fires), and either nothing is in flight or
 * -- only while probing keeps the network busy -- nothing has been waited
 * on for 25 maximal latencies. Stops at now + limit_ms. Returns 0 once settled,
 * -1 on the limit. */
int ovl_simnet_settle (ovl_simnet_t *sim, uint64_t limit_ms);

/* Crash node i: no goodbye, its messages and timers vanish. */
void ovl_simnet_kill (ovl_simnet_t *sim, int i);

/* Put node i on side 0 or 1; messages between sides are dropped while
 * partitioned is set. */
void ovl_simnet_set_side (ovl_simnet_t *sim, int i, int side);
void ovl_simnet_partition (ovl_simnet_t *sim, int partitioned);

/* Change the loss probability from now on. */
void ovl_simnet_set_loss (ovl_simnet_t *sim, double loss);

/* Change every live node's timers (e.g. switch liveness probing on). */
void ovl_simnet_set_node_config (ovl_simnet_t *sim, const ovl_config_t *config);

int ovl_simnet_count (const ovl_simnet_t *sim);
int ovl_simnet_alive (const ovl_simnet_t *sim, int i);
/* Node i's handle (id and "sim:<i>" address), NULL if there is no node i. */
const ovl_handle_t *ovl_simnet_handle (const ovl_simnet_t *sim, int i);
/* Node i, for queries (use the wrappers above for commands). */
ovl_node_t *ovl_simnet_node (ovl_simnet_t *sim, int i);
uint64_t ovl_simnet_now (const ovl_simnet_t *sim);
/* Messages handed to the network so far (including dropped ones). */
uint64_t ovl_simnet_messages (const ovl_simnet_t *sim);
/* FNV-1a over every delivered event (time, destination, bytes) and every
 * app timer that fired (time, node). */
uint64_t ovl_simnet_trace_hash (const ovl_simnet_t *sim);
/* Index of the live node whose id is numerically closest to key (the
 * oracle for routing checks), -1 if none is alive. */
int ovl_simnet_closest (const ovl_simnet_t *sim, ovl_id_t key);

#endif
