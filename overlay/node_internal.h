/* node_internal.h: what the files of the overlay node core share -- the
 * node's state and the calls one part makes into another. Private to
 * overlay/ (node.h is the interface).
 *
 * The core is one state machine in five files, one concern each: node.c
 * (life cycle, message dispatch, the timer table, queries), route.c
 * (key-based routing and the join), liveness.c (who is alive: learning
 * nodes, probing them, declaring them dead, repairing the leaf set),
 * groups.c (Scribe trees) and anycast.c (walks of those trees). They share one struct rather than
 * one each: most messages touch two concerns (any message is news of its sender), and a struct per
 * concern would buy indirections, not separation. */
#ifndef OVL_NODE_INTERNAL_H
#define OVL_NODE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "leafset.h"
#include "node.h"
#include "rng.h"
#include "rtable.h"
#include "wire.h"

#define OVL_NODE_LEAF_HALF 8     /* |L| / 2 */
#define OVL_NODE_SEEN_MAX 64     /* (publisher, seq) pairs remembered per group */
#define OVL_NODE_SEEN_ROUTES 512 /* routed messages remembered, to drop duplicates */
#define OVL_NODE_PATH_MAX 64     /* ancestors remembered per group (OVL_WIRE_PATH_MAX) */

/* A node whose liveness we track: leaf-set members and tree links. */
typedef struct {
    ovl_handle_t h;         /* who */
    uint64_t last_heard_ms; /* last message from it (or when we started watching) */
    uint64_t last_ping_ms;  /* last ping we sent it */
    int keep;               /* mark for ovl_liveness_watch_sync */
} ovl_watch_t;

/* A routed hop waiting for its RoutedAck. */
typedef struct {
    uint64_t msg_id;      /* as sent */
    ovl_handle_t to;      /* the next hop */
    uint64_t deadline_ms; /* declare `to` dead after this */
    uint8_t *bytes;       /* the envelope as sent, to route it again */
    size_t len;           /* its length */
} ovl_pending_t;

/* A node recently declared dead: stale gossip must not bring it back. */
typedef struct {
    ovl_id_t id;       /* who */
    uint64_t until_ms; /* forget after */
} ovl_dead_t;

typedef struct {
    ovl_id_t origin;   /* who started the route */
    ovl_id_t from;     /* the hop it came from (self for our own routes) */
    uint64_t route_id; /* the origin's id for it */
} ovl_route_seen_t;

typedef struct {
    ovl_id_t publisher; /* who published */
    uint64_t seq;       /* their sequence number */
} ovl_pub_seen_t;

/* This node's part in one group's tree. */
typedef struct {
    ovl_id_t key;                           /* the group */
    int member;                             /* the layer above joined it */
    int in_tree;                            /* member, forwarder or root */
    int has_parent;                         /* parent is valid */
    ovl_handle_t parent;                    /* towards the root */
    ovl_handle_t *children;                 /* up to children_max */
    int n_children;                         /* in use */
    int cap_children;                       /* allocated */
    int was_root;                           /* last group_root upcall said root */
    ovl_id_t ancestors[OVL_NODE_PATH_MAX];  /* parent first, root last (none at the root) */
    int n_ancestors;                        /* in use */
    uint64_t retry_ms;                      /* re-send our join then, while parentless */
    ovl_pub_seen_t seen[OVL_NODE_SEEN_MAX]; /* recent publications, for exactly-once */
    int seen_next;                          /* ring position in seen */
} ovl_group_t;
struct ovl_node_t {
    ovl_config_t cfg;                       /* timers and bounds */
    ovl_handle_t self;                      /* who we are */
    ovl_upcalls_t up;                       /* how we talk back */
    ovl_rng_t rng;                          /* nonces, tie-breaks */
    ovl_rtable_t *rtable;                   /* Pastry routing table */
    ovl_leafset_t *leafset;                 /* Pastry leaf set */
    int joined;                             /* part of a ring */
    int left;                               /* said goodbye: silent for good */
    int joining;                            /* a JOIN is out */
    ovl_handle_t boots[OVL_BOOTSTRAPS_MAX]; /* where the join may go */
    int n_boots;                            /* of them given */
    uint32_t join_tries;                    /* JOINs sent */
    uint32_t boot_next;                     /* the bootstrap whose turn is next */
    ovl_handle_t join_to;                   /* where the last JOIN went */
    uint64_t join_deadline_ms;              /* restart the join after this */
    uint64_t next_maint_ms;                 /* next routing-table maintenance round */
    uint64_t next_leaf_maint_ms;            /* next leaf-set exchange */
    uint64_t next_msg_id;                   /* routed hop ids */
    uint64_t next_seq;                      /* our publications */
    uint64_t next_anycast;                  /* our anycasts */
    struct {
        uint64_t id, deadline_ms;
    } anycasts[OVL_ANYCASTS_MAX]; /* ours awaiting their result, oldest first */
    int n_anycasts;
    uint64_t next_refresh_ms;                           /* the tree members' next join again */
    uint64_t next_route_id;                             /* our routes */
    ovl_route_seen_t routes_seen[OVL_NODE_SEEN_ROUTES]; /* recent routed messages handled */
    int routes_seen_next;                               /* ring position */
    ovl_watch_t *watch;                                 /* watched nodes */
    int n_watch, cap_watch;
    ovl_pending_t *pending; /* unacknowledged hops */
    int n_pending, cap_pending;
    ovl_dead_t *dead; /* recently lost */
    int n_dead, cap_dead;
    ovl_group_t *groups; /* groups we take part in */
    int n_groups, cap_groups;
    ovl_node_stats_t stats; /* counters */
};

/* An envelope from us with an empty body; the caller sets the body. */
typedef struct {
    P2pf__Envelope env;
    P2pf__NodeHandle from;
    uint8_t from_id[16];
} ovl_env_t;

/* node.c: helpers for every part */
int ovl_node_grow (void **arr, int *cap, int need, size_t elem);
int ovl_node_is_self (const ovl_node_t *node, ovl_id_t id);
void ovl_node_send_env (ovl_node_t *node, const ovl_handle_t *to, const P2pf__Envelope *env);
void ovl_node_env_init (ovl_node_t *node, ovl_env_t *e);

/* Each part's timers are pairs, *_deadline_ms and *_fire, listed in one
 * table in node.c (s_timers); a pair's deadline must cover every case its
 * fire acts on, since a timer fires only once its deadline has come. */

/* route.c: routing, the join, routing-table maintenance */
const ovl_handle_t *ovl_route_next_hop (const ovl_node_t *node, ovl_id_t key);
void ovl_route_send_routed (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *to,
                            const P2pf__Routed *r);
void ovl_route_local (ovl_node_t *node, uint64_t now_ms, P2pf__Routed *r, const uint8_t key[16]);
void ovl_route_first_hop (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *to,
                          P2pf__Routed *r, const uint8_t key[16]);
void ovl_route_pending_retry (ovl_node_t *node, uint64_t now_ms, int i);
void ovl_route_on_routed (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from,
                          P2pf__Routed *r);
void ovl_route_on_ack (ovl_node_t *node, const ovl_handle_t *from, const P2pf__RoutedAck *ack);
void ovl_route_on_join_row (ovl_node_t *node, uint64_t now_ms, const P2pf__JoinRow *jr);
void ovl_route_on_join_leaves (ovl_node_t *node, uint64_t now_ms, const P2pf__JoinLeaves *jl);
void ovl_route_on_row_request (ovl_node_t *node, const ovl_handle_t *from,
                               const P2pf__RowRequest *req);
uint64_t ovl_route_acks_deadline_ms (const ovl_node_t *node);
void ovl_route_acks_fire (ovl_node_t *node, uint64_t now_ms);
uint64_t ovl_route_join_deadline_ms (const ovl_node_t *node);
void ovl_route_join_fire (ovl_node_t *node, uint64_t now_ms);
uint64_t ovl_route_table_maint_deadline_ms (const ovl_node_t *node);
void ovl_route_table_maint_fire (ovl_node_t *node, uint64_t now_ms);

/* liveness.c: watched nodes, learning, failure detection, leaf-set repair */
ovl_watch_t *ovl_liveness_watch_find (ovl_node_t *node, ovl_id_t id);
void ovl_liveness_watch_sync (ovl_node_t *node, uint64_t now_ms);
int ovl_liveness_leaves (ovl_node_t *node, uint64_t now_ms, ovl_handle_t *out, int max);
int ovl_liveness_learn_gossip (ovl_node_t *node, const ovl_handle_t *h, uint64_t now_ms);
void ovl_liveness_leaves_changed (ovl_node_t *node, uint64_t now_ms);
void ovl_liveness_send_pong (ovl_node_t *node, const ovl_handle_t *to, uint64_t nonce);
void ovl_liveness_heard (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from,
                         const P2pf__Envelope *env);
void ovl_liveness_on_leafset_request (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from);
void ovl_liveness_on_leave (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from);
void ovl_liveness_on_leafset_reply (ovl_node_t *node, uint64_t now_ms,
                                    const P2pf__LeafSetReply *rep);
uint64_t ovl_liveness_leaf_maint_deadline_ms (const ovl_node_t *node);
void ovl_liveness_leaf_maint_fire (ovl_node_t *node, uint64_t now_ms);
uint64_t ovl_liveness_probe_deadline_ms (const ovl_node_t *node);
void ovl_liveness_probe_fire (ovl_node_t *node, uint64_t now_ms);

/* groups.c: Scribe trees */
void ovl_groups_lost_link (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *dead);
void ovl_groups_check_root (ovl_node_t *node, uint64_t now_ms);
int ovl_groups_routed_arrive (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from,
                              P2pf__Routed *r);
void ovl_groups_routed_complete (ovl_node_t *node, P2pf__Routed *r);
void ovl_groups_on_join_accept (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from,
                                const P2pf__GroupJoinAccept *acc);
void ovl_groups_on_redirect (ovl_node_t *node, uint64_t now_ms, const P2pf__GroupRedirect *red);
void ovl_groups_on_leave (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from,
                          const P2pf__GroupLeave *leave);
void ovl_groups_on_data (ovl_node_t *node, const P2pf__GroupData *gd);
uint64_t ovl_groups_refresh_deadline_ms (const ovl_node_t *node);
void ovl_groups_refresh_fire (ovl_node_t *node, uint64_t now_ms);
ovl_group_t *ovl_groups_find (ovl_node_t *node, ovl_id_t key);

/* anycast.c: a depth-first walk of a group's tree */
void ovl_anycast_step (ovl_node_t *node, const P2pf__AnycastWalk *w, ovl_group_t *g);
void ovl_groups_on_anycast_walk (ovl_node_t *node, const P2pf__AnycastWalk *walk);
void ovl_groups_on_anycast_result (ovl_node_t *node, const P2pf__AnycastResult *res);
uint64_t ovl_groups_anycast_deadline_ms (const ovl_node_t *node);
void ovl_groups_anycast_fire (ovl_node_t *node, uint64_t now_ms);
uint64_t ovl_groups_retry_deadline_ms (const ovl_node_t *node);
void ovl_groups_retry_fire (ovl_node_t *node, uint64_t now_ms);

#endif
