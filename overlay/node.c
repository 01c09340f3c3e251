/* node.c: the overlay node core -- Pastry routing, join, liveness, leaf-set
 * repair, and Scribe groups -- without I/O (see node.h).
 *
 * Every message is an Envelope (wire.proto) decoded and validated by
 * wire.c; everything the node sends goes through s_send. Routed messages
 * are acknowledged hop by hop: a hop that does not answer within
 * ack_timeout_ms is declared dead and the message takes another way, so a
 * dead routing-table entry costs one timeout, not the message. */
#include "node.h"

#include <stdlib.h>
#include <string.h>

#include "leafset.h"
#include "rng.h"
#include "rtable.h"
#include "wire.h"

#define S_LEAF_HALF 8 /* |L| / 2 */
#define S_SEEN_MAX 64 /* (publisher, seq) pairs remembered per group */
#define S_ANYCAST_LIST_MAX 256
#define S_SEEN_ROUTES 512 /* routed messages remembered, to drop duplicates */
#define S_TRIES_MAX 8     /* retries of one hop before a routed message is dropped */
#define S_HOPS_MAX 64     /* hops before a routed message is dropped (loop guard) */
#define S_PATH_MAX 64     /* ancestors remembered per group (OVL_WIRE_PATH_MAX) */

/* A node whose liveness we track: leaf-set members and tree links. */
typedef struct {
    ovl_handle_t h;         /* who */
    uint64_t last_heard_ms; /* last message from it (or when we started watching) */
    uint64_t last_ping_ms;  /* last ping we sent it */
    int keep;               /* mark for s_watch_sync */
} s_watch_t;

/* A routed hop waiting for its RoutedAck. */
typedef struct {
    uint64_t msg_id;      /* as sent */
    ovl_handle_t to;      /* the next hop */
    uint64_t deadline_ms; /* declare `to` dead after this */
    uint8_t *bytes;       /* the envelope as sent, to route it again */
    size_t len;           /* its length */
} s_pending_t;

/* A node recently declared dead: stale gossip must not bring it back. */
typedef struct {
    ovl_id_t id;       /* who */
    uint64_t until_ms; /* forget after */
} s_dead_t;

typedef struct {
    ovl_id_t origin;   /* who started the route */
    ovl_id_t from;     /* the hop it came from (self for our own routes) */
    uint64_t route_id; /* the origin's id for it */
} s_route_seen_t;

typedef struct {
    ovl_id_t publisher; /* who published */
    uint64_t seq;       /* their sequence number */
} s_seen_t;

/* This node's part in one group's tree. */
typedef struct {
    ovl_id_t key;                   /* the group */
    int member;                     /* the layer above joined it */
    int in_tree;                    /* member, forwarder or root */
    int has_parent;                 /* parent is valid */
    ovl_handle_t parent;            /* towards the root */
    ovl_handle_t *children;         /* up to children_max */
    int n_children;                 /* in use */
    int cap_children;               /* allocated */
    int was_root;                   /* last group_root upcall said root */
    ovl_id_t ancestors[S_PATH_MAX]; /* parent first, root last (none at the root) */
    int n_ancestors;                /* in use */
    uint64_t retry_ms;              /* re-send our join then, while parentless */
    s_seen_t seen[S_SEEN_MAX];      /* recent publications, for exactly-once */
    int seen_next;                  /* ring position in seen */
} s_group_t;

struct ovl_node_t {
    ovl_config_t cfg;                          /* timers and bounds */
    ovl_handle_t self;                         /* who we are */
    ovl_upcalls_t up;                          /* how we talk back */
    ovl_rng_t rng;                             /* nonces, tie-breaks */
    ovl_rtable_t *rtable;                      /* Pastry routing table */
    ovl_leafset_t *leafset;                    /* Pastry leaf set */
    int joined;                                /* part of a ring */
    int joining;                               /* a JOIN is out */
    ovl_handle_t bootstrap;                    /* where the join goes */
    uint64_t join_deadline_ms;                 /* restart the join after this */
    uint64_t next_maint_ms;                    /* next routing-table maintenance round */
    uint64_t next_leaf_maint_ms;               /* next leaf-set exchange */
    uint64_t next_msg_id;                      /* routed hop ids */
    uint64_t next_seq;                         /* our publications */
    uint64_t next_anycast;                     /* our anycasts */
    uint64_t next_route_id;                    /* our routes */
    s_route_seen_t routes_seen[S_SEEN_ROUTES]; /* recent routed messages handled */
    int routes_seen_next;                      /* ring position */
    s_watch_t *watch;                          /* watched nodes */
    int n_watch, cap_watch;
    s_pending_t *pending; /* unacknowledged hops */
    int n_pending, cap_pending;
    s_dead_t *dead; /* recently lost */
    int n_dead, cap_dead;
    s_group_t *groups; /* groups we take part in */
    int n_groups, cap_groups;
    ovl_node_stats_t stats; /* counters */
};

/* ------------------------------------------------------------------ */
/* small helpers */

static int
s_grow (void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc (*arr, (size_t)ncap * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

static int
s_is_self (const ovl_node_t *node, ovl_id_t id)
{
    return ovl_id_eq (node->self.id, id);
}

static int
s_recently_dead (ovl_node_t *node, ovl_id_t id, uint64_t now_ms)
{
    for (int i = 0; i < node->n_dead; i++) {
        if (node->dead[i].until_ms <= now_ms) {
            node->dead[i--] = node->dead[--node->n_dead];
            continue;
        }
        if (ovl_id_eq (node->dead[i].id, id))
            return 1;
    }
    return 0;
}

static void
s_forget_dead (ovl_node_t *node, ovl_id_t id)
{
    for (int i = 0; i < node->n_dead; i++)
        if (ovl_id_eq (node->dead[i].id, id))
            node->dead[i--] = node->dead[--node->n_dead];
}

/* Encode env and hand it to the driver. */
static void
s_send (ovl_node_t *node, const ovl_handle_t *to, const P2pf__Envelope *env)
{
    size_t len = 0;
    uint8_t *bytes = ovl_wire_encode_alloc (env, &len);
    if (!bytes)
        return; /* too big or out of memory: nothing sensible to send */
    node->stats.msgs_sent++;
    node->stats.bytes_sent += len;
    node->up.send (node->up.ctx, to, bytes, len);
    free (bytes);
}

/* An envelope from us with an empty body; the caller sets the body. */
typedef struct {
    P2pf__Envelope env;
    P2pf__NodeHandle from;
    uint8_t from_id[16];
} s_env_t;

static void
s_env_init (ovl_node_t *node, s_env_t *e)
{
    ovl_wire_envelope_init (&e->env, &e->from, e->from_id, &node->self);
}

/* The small bodyless (or nearly) messages, sent from several places. */
static void
s_send_leafset_request (ovl_node_t *node, const ovl_handle_t *to)
{
    s_env_t e;
    s_env_init (node, &e);
    P2pf__LeafSetRequest req = P2PF__LEAF_SET_REQUEST__INIT;
    e.env.body_case = P2PF__ENVELOPE__BODY_LEAFSET_REQUEST;
    e.env.leafset_request = &req;
    s_send (node, to, &e.env);
}

static void
s_send_announce (ovl_node_t *node, const ovl_handle_t *to)
{
    s_env_t e;
    s_env_init (node, &e);
    P2pf__Announce ann = P2PF__ANNOUNCE__INIT;
    e.env.body_case = P2PF__ENVELOPE__BODY_ANNOUNCE;
    e.env.announce = &ann;
    s_send (node, to, &e.env);
}

static void
s_send_pong (ovl_node_t *node, const ovl_handle_t *to, uint64_t nonce)
{
    s_env_t e;
    s_env_init (node, &e);
    P2pf__Pong pong = P2PF__PONG__INIT;
    pong.nonce = nonce;
    e.env.body_case = P2PF__ENVELOPE__BODY_PONG;
    e.env.pong = &pong;
    s_send (node, to, &e.env);
}

/* ------------------------------------------------------------------ */
/* watched nodes (liveness) */

static s_watch_t *
s_watch_find (ovl_node_t *node, ovl_id_t id)
{
    for (int i = 0; i < node->n_watch; i++)
        if (ovl_id_eq (node->watch[i].h.id, id))
            return &node->watch[i];
    return NULL;
}

static void
s_watch_keep (ovl_node_t *node, const ovl_handle_t *h, uint64_t now_ms)
{
    s_watch_t *w = s_watch_find (node, h->id);
    if (w) {
        w->keep = 1;
        return;
    }
    if (s_grow ((void **)&node->watch, &node->cap_watch, node->n_watch + 1, sizeof *node->watch))
        return;
    w = &node->watch[node->n_watch++];
    memset (w, 0, sizeof *w);
    w->h = *h;
    /* A new link gets a full timeout before it can be declared dead. */
    w->last_heard_ms = now_ms;
    w->last_ping_ms = now_ms;
    w->keep = 1;
}

/* The watched set is the leaf set plus every tree link. */
static void
s_watch_sync (ovl_node_t *node, uint64_t now_ms)
{
    for (int i = 0; i < node->n_watch; i++)
        node->watch[i].keep = 0;
    ovl_handle_t leaves[2 * S_LEAF_HALF];
    int n = ovl_leafset_list (node->leafset, leaves, 2 * S_LEAF_HALF);
    for (int i = 0; i < n; i++)
        s_watch_keep (node, &leaves[i], now_ms);
    for (int g = 0; g < node->n_groups; g++) {
        s_group_t *gr = &node->groups[g];
        if (gr->has_parent)
            s_watch_keep (node, &gr->parent, now_ms);
        for (int c = 0; c < gr->n_children; c++)
            s_watch_keep (node, &gr->children[c], now_ms);
    }
    for (int i = 0; i < node->n_watch; i++)
        if (!node->watch[i].keep)
            node->watch[i--] = node->watch[--node->n_watch];
}

/* The leaf set minus members we have not heard from for half a failure
 * timeout: what we pass on in JoinLeaves and LeafSetReply. Handing on a
 * neighbour that is probably dead makes the asker watch it for a whole
 * timeout of its own, and repair then cascades. */
static int
s_live_leaves (ovl_node_t *node, uint64_t now_ms, ovl_handle_t *out, int max)
{
    int n = ovl_leafset_list (node->leafset, out, max);
    if (!node->cfg.ping_interval_ms || !node->cfg.fail_timeout_ms)
        return n;
    int k = 0;
    for (int i = 0; i < n; i++) {
        const s_watch_t *w = s_watch_find (node, out[i].id);
        if (w && now_ms > w->last_heard_ms + node->cfg.fail_timeout_ms / 2)
            continue;
        out[k++] = out[i];
    }
    return k;
}

/* ------------------------------------------------------------------ */
/* learning nodes */

static void s_groups_check_root (ovl_node_t *node, uint64_t now_ms);
static void s_maint_schedule (ovl_node_t *node, uint64_t now_ms);

/* Add a live node to the routing state. Returns 1 if the leaf set changed. */
static int
s_learn (ovl_node_t *node, const ovl_handle_t *h, uint64_t now_ms)
{
    if (s_is_self (node, h->id) || s_recently_dead (node, h->id, now_ms))
        return 0;
    int known =
        ovl_rtable_contains (node->rtable, h->id) || ovl_leafset_contains (node->leafset, h->id);
    int in_table = ovl_rtable_insert (node->rtable, h) == 1;
    int in_leaves = ovl_leafset_insert (node->leafset, h) == 1;
    if (!known && (in_table || in_leaves) && node->up.node_up)
        node->up.node_up (node->up.ctx, h); /* once, when it enters our state */
    return in_leaves;
}

/* A node we heard of from someone else. It may enter the routing table
 * (an unanswered hop drops it again), but once we are joined it enters the
 * leaf set -- our failure-detection neighbourhood -- only after it has
 * talked to us: we send it an Announce, which it answers with a Pong.
 * Second-hand news of a neighbour may be news of a dead one, and each dead
 * leaf taken on trust costs a full failure timeout before repair can go on.
 * (While joining we take the closest node's fresh leaf set on trust, or we
 * would start with none; the Announce to all of it follows at once.) */
static int
s_learn_gossip (ovl_node_t *node, const ovl_handle_t *h, uint64_t now_ms)
{
    if (s_is_self (node, h->id) || s_recently_dead (node, h->id, now_ms))
        return 0;
    if (!node->joined)
        return s_learn (node, h, now_ms);
    if (ovl_leafset_contains (node->leafset, h->id))
        return 0;
    int new_in_table = ovl_rtable_insert (node->rtable, h) == 1;
    if (new_in_table && node->up.node_up)
        node->up.node_up (node->up.ctx, h);
    if (new_in_table || ovl_leafset_wants (node->leafset, h->id))
        s_send_announce (node, h);
    return 0;
}

/* After the leaf set changed: watch the new members, and see whether this
 * node gained or lost the root of any group. */
static void
s_leaves_changed (ovl_node_t *node, uint64_t now_ms)
{
    s_watch_sync (node, now_ms);
    s_groups_check_root (node, now_ms);
}

/* ------------------------------------------------------------------ */
/* routing */

/* The next hop for key: NULL means this node is the closest it knows. */
static const ovl_handle_t *
s_next_hop (const ovl_node_t *node, ovl_id_t key)
{
    if (s_is_self (node, key))
        return NULL;
    if (ovl_leafset_covers (node->leafset, key))
        return ovl_leafset_closest (node->leafset, key);
    const ovl_handle_t *h = ovl_rtable_next_hop (node->rtable, key);
    if (h)
        return h;
    /* The rare case: any known node at least as far along the prefix and
     * numerically closer than we are. */
    int p = ovl_id_shared_prefix (node->self.id, key);
    const ovl_handle_t *best = NULL;
    ovl_id_t best_id = node->self.id;
    ovl_handle_t leaves[2 * S_LEAF_HALF];
    int n = ovl_leafset_list (node->leafset, leaves, 2 * S_LEAF_HALF);
    for (int i = 0; i < n; i++) {
        if (ovl_id_shared_prefix (leaves[i].id, key) >= p &&
            ovl_id_closer (key, leaves[i].id, best_id) < 0) {
            best = ovl_leafset_find (node->leafset, leaves[i].id); /* a stable pointer */
            best_id = leaves[i].id;
        }
    }
    int row_end = ovl_rtable_row_end (node->rtable);
    for (int row = p; row < row_end; row++) {
        for (int col = 0; col < 16; col++) {
            const ovl_handle_t *t = ovl_rtable_get (node->rtable, row, col);
            if (t && ovl_id_shared_prefix (t->id, key) >= p &&
                ovl_id_closer (key, t->id, best_id) < 0) {
                best = t;
                best_id = t->id;
            }
        }
    }
    return best;
}

static void s_routed_forward (ovl_node_t *node, uint64_t now_ms, P2pf__Routed *r);
static int s_route_seen (ovl_node_t *node, const P2pf__Routed *r, ovl_id_t from);
static void s_routed_arrive (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from,
                             P2pf__Routed *r);

/* Send routed message r (fields as received) to `to` as the next hop, and
 * wait for its acknowledgement. */
static void
s_send_routed (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *to, const P2pf__Routed *r)
{
    s_env_t e;
    s_env_init (node, &e);
    P2pf__Routed copy = *r;
    copy.msg_id = ++node->next_msg_id;
    copy.hops = r->hops + 1;
    e.env.body_case = P2PF__ENVELOPE__BODY_ROUTED;
    e.env.routed = &copy;
    size_t len = 0;
    uint8_t *bytes = ovl_wire_encode_alloc (&e.env, &len);
    if (!bytes)
        return;
    if (s_grow ((void **)&node->pending, &node->cap_pending, node->n_pending + 1,
                sizeof *node->pending)) {
        free (bytes);
        return;
    }
    node->stats.msgs_sent++;
    node->stats.bytes_sent += len;
    node->up.send (node->up.ctx, to, bytes, len);
    s_pending_t *p = &node->pending[node->n_pending++];
    p->msg_id = copy.msg_id;
    p->to = *to;
    p->deadline_ms = now_ms + node->cfg.ack_timeout_ms;
    p->bytes = bytes;
    p->len = len;
}

/* Routed message r from this node (hops 0), as a local command. */
static void
s_route_local (ovl_node_t *node, uint64_t now_ms, P2pf__Routed *r, const uint8_t key[16])
{
    P2pf__NodeHandle origin;
    uint8_t origin_id[16];
    ovl_wire_handle_set (&origin, origin_id, &node->self);
    r->key.data = (uint8_t *)key;
    r->key.len = 16;
    r->origin = &origin;
    r->hops = 0;
    r->route_id = ++node->next_route_id;
    s_routed_arrive (node, now_ms, NULL, r);
}

/* ------------------------------------------------------------------ */
/* liveness: declaring a node dead */

static void s_group_lost_link (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *dead);
static void s_pending_retry (ovl_node_t *node, uint64_t now_ms, int i);

static void
s_declare_dead (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *who)
{
    ovl_handle_t dead = *who; /* who may point into a table we change */
    if (s_is_self (node, dead.id))
        return;
    int was_leaf = ovl_leafset_contains (node->leafset, dead.id);
    int side = 0;
    if (was_leaf) {
        /* which side it was on decides whom we ask for a replacement */
        ovl_id_t cw = ovl_id_sub (dead.id, node->self.id);
        ovl_id_t ccw = ovl_id_sub (node->self.id, dead.id);
        side = ovl_id_cmp (cw, ccw) <= 0 ? 1 : -1;
    }
    int in_table = ovl_rtable_remove (node->rtable, dead.id) == 1;
    ovl_leafset_remove (node->leafset, dead.id);
    int watched = s_watch_find (node, dead.id) != NULL;
    if (s_grow ((void **)&node->dead, &node->cap_dead, node->n_dead + 1, sizeof *node->dead) == 0) {
        node->dead[node->n_dead].id = dead.id;
        node->dead[node->n_dead].until_ms = now_ms + node->cfg.dead_memory_ms;
        node->n_dead++;
    }
    s_group_lost_link (node, now_ms, &dead);
    if (was_leaf) {
        const ovl_handle_t *ask = ovl_leafset_farthest (node->leafset, side);
        if (!ask)
            ask = ovl_leafset_farthest (node->leafset, -side);
        if (ask)
            s_send_leafset_request (node, ask);
        s_leaves_changed (node, now_ms);
    } else {
        s_watch_sync (node, now_ms);
    }
    if (was_leaf || in_table || watched) {
        node->stats.nodes_lost++;
        if (node->up.node_lost)
            node->up.node_lost (node->up.ctx, &dead);
    }
    /* Hops still waiting on it will never be acknowledged. */
    for (int i = 0; i < node->n_pending; i++) {
        if (ovl_id_eq (node->pending[i].to.id, dead.id)) {
            s_pending_retry (node, now_ms, i);
            i = -1; /* the array changed under us: start over */
        }
    }
}

/* Take pending[i] out and route its message again. */
static void
s_pending_retry (ovl_node_t *node, uint64_t now_ms, int i)
{
    s_pending_t p = node->pending[i];
    node->pending[i] = node->pending[--node->n_pending];
    P2pf__Envelope *env = NULL;
    ovl_wire_error_t why;
    if (ovl_wire_decode (p.bytes, p.len, &env, &why) == 0 &&
        env->body_case == P2PF__ENVELOPE__BODY_ROUTED) {
        P2pf__Routed *r = env->routed;
        if (r->tries >= S_TRIES_MAX) {
            node->stats.dropped_other++; /* no way through: give up */
        } else {
            node->stats.routed_retried++;
            r->tries++;
            r->hops = r->hops ? r->hops - 1 : 0; /* the lost hop does not count */
            s_routed_forward (node, now_ms, r);
        }
    }
    ovl_wire_free (&env);
    free (p.bytes);
}

/* pending[i] was not acknowledged in time. A routing-table entry that does
 * not answer leaves the table (it is relearned if it was alive after all);
 * whether a leaf or tree link is dead, liveness probing decides -- a lost
 * ack must not make us declare a live neighbour lost. */
static void
s_pending_expired (ovl_node_t *node, uint64_t now_ms, int i)
{
    ovl_id_t to = node->pending[i].to.id;
    if (!s_watch_find (node, to))
        ovl_rtable_remove (node->rtable, to);
    s_pending_retry (node, now_ms, i);
}

/* 1 if this routed message came from this hop before (remember it if not):
 * a hop whose ack was lost sends it again, and handling it twice would
 * deliver twice. A route that comes back through us from another hop --
 * after a reroute around a failure -- is handled again: dropping it would
 * lose it. */
static int
s_route_seen (ovl_node_t *node, const P2pf__Routed *r, ovl_id_t from)
{
    ovl_id_t origin = ovl_wire_id (r->origin->id);
    for (int i = 0; i < S_SEEN_ROUTES; i++) {
        const s_route_seen_t *e = &node->routes_seen[i];
        if (e->route_id == r->route_id && ovl_id_eq (e->origin, origin) &&
            ovl_id_eq (e->from, from))
            return 1;
    }
    s_route_seen_t *e = &node->routes_seen[node->routes_seen_next];
    e->origin = origin;
    e->from = from;
    e->route_id = r->route_id;
    node->routes_seen_next = (node->routes_seen_next + 1) % S_SEEN_ROUTES;
    return 0;
}

/* ------------------------------------------------------------------ */
/* groups */

static s_group_t *
s_group_find (ovl_node_t *node, ovl_id_t key)
{
    for (int i = 0; i < node->n_groups; i++)
        if (ovl_id_eq (node->groups[i].key, key))
            return &node->groups[i];
    return NULL;
}

static s_group_t *
s_group_get (ovl_node_t *node, ovl_id_t key)
{
    s_group_t *g = s_group_find (node, key);
    if (g)
        return g;
    if (s_grow ((void **)&node->groups, &node->cap_groups, node->n_groups + 1,
                sizeof *node->groups))
        return NULL;
    g = &node->groups[node->n_groups];
    memset (g, 0, sizeof *g);
    g->key = key;
    node->n_groups++;
    return g;
}

static void
s_group_drop (ovl_node_t *node, s_group_t *g)
{
    free (g->children);
    *g = node->groups[--node->n_groups];
}

static void
s_group_root_upcall (ovl_node_t *node, s_group_t *g, int is_root)
{
    if (g->was_root == is_root)
        return;
    g->was_root = is_root;
    if (node->up.group_root)
        node->up.group_root (node->up.ctx, g->key, is_root);
}

/* Route a GroupJoin for g towards its key, on this node's own behalf. */
static void
s_group_send_join (ovl_node_t *node, uint64_t now_ms, s_group_t *g)
{
    uint8_t key[16];
    ovl_id_to_bytes (g->key, key);
    P2pf__GroupJoin gj = P2PF__GROUP_JOIN__INIT;
    gj.group.data = key;
    gj.group.len = 16;
    P2pf__Routed r = P2PF__ROUTED__INIT;
    r.kind_case = P2PF__ROUTED__KIND_GROUP_JOIN;
    r.group_join = &gj;
    s_route_local (node, now_ms, &r, key);
}

static void
s_group_send_simple (ovl_node_t *node, const ovl_handle_t *to, ovl_id_t group, int which)
{
    s_env_t e;
    s_env_init (node, &e);
    uint8_t key[16];
    ovl_id_to_bytes (group, key);
    P2pf__GroupJoinAccept acc = P2PF__GROUP_JOIN_ACCEPT__INIT;
    P2pf__GroupLeave leave = P2PF__GROUP_LEAVE__INIT;
    uint8_t path_ids[S_PATH_MAX][16];
    ProtobufCBinaryData path[S_PATH_MAX];
    if (which == P2PF__ENVELOPE__BODY_GROUP_JOIN_ACCEPT) {
        acc.group.data = key;
        acc.group.len = 16;
        /* our way to the root: ourselves, then our ancestors */
        const s_group_t *g = s_group_find (node, group);
        int n = 0;
        ovl_wire_id_set (&path[n], path_ids[n], node->self.id);
        n++;
        for (int i = 0; g && i < g->n_ancestors && n < S_PATH_MAX; i++, n++)
            ovl_wire_id_set (&path[n], path_ids[n], g->ancestors[i]);
        acc.n_path = (size_t)n;
        acc.path = path;
        e.env.group_join_accept = &acc;
    } else {
        leave.group.data = key;
        leave.group.len = 16;
        e.env.group_leave = &leave;
    }
    e.env.body_case = which;
    s_send (node, to, &e.env);
}

/* P asks to be our child in g: take it, or hand it to one of our children
 * when we are full. */
static void
s_group_add_child (ovl_node_t *node, uint64_t now_ms, s_group_t *g, const ovl_handle_t *p)
{
    for (int c = 0; c < g->n_children; c++) {
        if (ovl_id_eq (g->children[c].id, p->id)) {
            g->children[c] = *p;
            s_group_send_simple (node, p, g->key, P2PF__ENVELOPE__BODY_GROUP_JOIN_ACCEPT);
            return;
        }
    }
    if ((uint32_t)g->n_children >= node->cfg.children_max) {
        /* Hand the joiner to the child sharing the longest prefix with it:
         * deterministic, and it spreads joiners by id. */
        int best = 0, best_p = -1;
        for (int c = 0; c < g->n_children; c++) {
            int sp = ovl_id_shared_prefix (g->children[c].id, p->id);
            if (sp > best_p) {
                best_p = sp;
                best = c;
            }
        }
        s_env_t e;
        s_env_init (node, &e);
        uint8_t key[16], to_id[16];
        ovl_id_to_bytes (g->key, key);
        P2pf__NodeHandle to;
        ovl_wire_handle_set (&to, to_id, &g->children[best]);
        P2pf__GroupRedirect red = P2PF__GROUP_REDIRECT__INIT;
        red.group.data = key;
        red.group.len = 16;
        red.to = &to;
        e.env.body_case = P2PF__ENVELOPE__BODY_GROUP_REDIRECT;
        e.env.group_redirect = &red;
        s_send (node, p, &e.env);
        return;
    }
    if (s_grow ((void **)&g->children, &g->cap_children, g->n_children + 1, sizeof *g->children))
        return; /* out of memory: the joiner will retry */
    g->children[g->n_children++] = *p;
    s_group_send_simple (node, p, g->key, P2PF__ENVELOPE__BODY_GROUP_JOIN_ACCEPT);
    s_watch_sync (node, now_ms);
}

/* Forward a publication down the tree, delivering it here if we are a
 * member and have not seen it. */
static void
s_group_multicast (ovl_node_t *node, s_group_t *g, const P2pf__GroupData *gd, ovl_id_t publisher)
{
    for (int i = 0; i < S_SEEN_MAX; i++)
        if (g->seen[i].seq == gd->seq && ovl_id_eq (g->seen[i].publisher, publisher) && gd->seq)
            return; /* a duplicate (tree repair can send one twice) */
    g->seen[g->seen_next].publisher = publisher;
    g->seen[g->seen_next].seq = gd->seq;
    g->seen_next = (g->seen_next + 1) % S_SEEN_MAX;

    s_env_t e;
    s_env_init (node, &e);
    P2pf__GroupData copy = *gd;
    e.env.body_case = P2PF__ENVELOPE__BODY_GROUP_DATA;
    e.env.group_data = &copy;
    size_t len = 0;
    uint8_t *bytes = ovl_wire_encode_alloc (&e.env, &len);
    if (bytes) {
        /* One encoding, sent to every child. */
        for (int c = 0; c < g->n_children; c++) {
            node->stats.msgs_sent++;
            node->stats.bytes_sent += len;
            node->up.send (node->up.ctx, &g->children[c], bytes, len);
        }
        free (bytes);
    }
    if (g->member && node->up.group_deliver) {
        ovl_handle_t pub;
        ovl_wire_handle_get (gd->publisher, &pub);
        node->up.group_deliver (node->up.ctx, g->key, gd->payload.data, gd->payload.len, &pub);
    }
}

/* A tree link (parent or child) died. */
static void
s_group_lost_link (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *dead)
{
    for (int i = 0; i < node->n_groups; i++) {
        s_group_t *g = &node->groups[i];
        for (int c = 0; c < g->n_children; c++)
            if (ovl_id_eq (g->children[c].id, dead->id))
                g->children[c--] = g->children[--g->n_children];
        if (g->has_parent && ovl_id_eq (g->parent.id, dead->id)) {
            g->has_parent = 0;
            g->n_ancestors = 0;
            g->retry_ms = now_ms + node->cfg.group_retry_ms;
            /* Re-join: the JOIN now reaches a live ancestor, or this node
             * itself when it has become the closest (then it is the root). */
            s_group_send_join (node, now_ms, g);
            g = &node->groups[i]; /* s_group_send_join may add groups */
        }
    }
}

/* After the leaf set changed, the root of a group may have moved: the root
 * is simply the live node closest to the key. */
static void
s_groups_check_root (ovl_node_t *node, uint64_t now_ms)
{
    for (int i = 0; i < node->n_groups; i++) {
        s_group_t *g = &node->groups[i];
        if (!g->in_tree)
            continue;
        int closest = s_next_hop (node, g->key) == NULL;
        if (closest && g->has_parent) {
            /* We are the root now: leave the old parent. */
            s_group_send_simple (node, &g->parent, g->key, P2PF__ENVELOPE__BODY_GROUP_LEAVE);
            g->has_parent = 0;
            g->n_ancestors = 0;
            s_watch_sync (node, now_ms);
        }
        if (!closest && !g->has_parent && g->was_root) {
            /* Someone closer arrived: hang our tree under it. */
            s_group_root_upcall (node, g, 0);
            s_group_send_join (node, now_ms, g);
            g = &node->groups[i];
        }
        if (closest && !g->has_parent)
            s_group_root_upcall (node, g, 1);
    }
}

/* 1 if id is among the n visited ids of an anycast walk. */
static int
s_visited (const ProtobufCBinaryData *visited, size_t n, ovl_id_t id)
{
    for (size_t k = 0; k < n; k++)
        if (ovl_id_eq (ovl_wire_id (visited[k]), id))
            return 1;
    return 0;
}

/* Offer an anycast here; else continue the depth-first walk. */
static void
s_anycast_step (ovl_node_t *node, const P2pf__AnycastWalk *w, s_group_t *g)
{
    ovl_handle_t origin;
    ovl_wire_handle_get (w->origin, &origin);
    if (g && g->member && node->up.anycast_accept &&
        node->up.anycast_accept (node->up.ctx, g->key, w->payload.data, w->payload.len, &origin)) {
        s_env_t e;
        s_env_init (node, &e);
        uint8_t by_id[16];
        P2pf__NodeHandle by;
        ovl_wire_handle_set (&by, by_id, &node->self);
        P2pf__AnycastResult res = P2PF__ANYCAST_RESULT__INIT;
        res.anycast_id = w->anycast_id;
        res.accepted = 1;
        res.by = &by;
        e.env.body_case = P2PF__ENVELOPE__BODY_ANYCAST_RESULT;
        e.env.anycast_result = &res;
        if (s_is_self (node, origin.id)) {
            if (node->up.anycast_result)
                node->up.anycast_result (node->up.ctx, w->anycast_id, 1, &node->self);
        } else {
            s_send (node, &origin, &e.env);
        }
        return;
    }
    /* Build the next walk: visited + self; stack = our unvisited children
     * first, then what was left, then our parent last (depth first). */
    static const size_t cap = S_ANYCAST_LIST_MAX;
    ProtobufCBinaryData *visited = calloc (cap, sizeof *visited);
    uint8_t (*ids)[16] = calloc (cap, 16);
    ovl_handle_t *stack = calloc (cap, sizeof *stack);
    P2pf__NodeHandle *stack_msgs = calloc (cap, sizeof *stack_msgs);
    P2pf__NodeHandle **stack_ptrs = calloc (cap, sizeof *stack_ptrs);
    uint8_t (*stack_ids)[16] = calloc (cap, 16);
    if (!visited || !ids || !stack || !stack_msgs || !stack_ptrs || !stack_ids)
        goto done;
    size_t nv = 0, ns = 0;
    for (size_t i = 0; i < w->n_visited && nv + 1 < cap; i++)
        visited[nv++] = w->visited[i];
    ovl_id_to_bytes (node->self.id, ids[0]);
    visited[nv].data = ids[0];
    visited[nv++].len = 16;

    if (g)
        for (int c = 0; c < g->n_children && ns < cap; c++)
            if (!s_visited (visited, nv, g->children[c].id))
                stack[ns++] = g->children[c];
    for (size_t i = 0; i < w->n_to_visit && ns < cap; i++) {
        ovl_handle_t h;
        ovl_wire_handle_get (w->to_visit[i], &h);
        if (!s_visited (visited, nv, h.id))
            stack[ns++] = h;
    }
    if (g && g->has_parent && ns < cap && !s_visited (visited, nv, g->parent.id))
        stack[ns++] = g->parent;

    /* pop until an unvisited node */
    while (ns > 0 && s_visited (visited, nv, stack[0].id)) {
        memmove (stack, stack + 1, (ns - 1) * sizeof *stack);
        ns--;
    }
    s_env_t e;
    s_env_init (node, &e);
    if (ns == 0) {
        P2pf__AnycastResult res = P2PF__ANYCAST_RESULT__INIT;
        res.anycast_id = w->anycast_id;
        res.accepted = 0;
        e.env.body_case = P2PF__ENVELOPE__BODY_ANYCAST_RESULT;
        e.env.anycast_result = &res;
        if (s_is_self (node, origin.id)) {
            if (node->up.anycast_result)
                node->up.anycast_result (node->up.ctx, w->anycast_id, 0, NULL);
        } else {
            s_send (node, &origin, &e.env);
        }
        goto done;
    }
    ovl_handle_t next = stack[0];
    for (size_t i = 1; i < ns; i++) {
        ovl_wire_handle_set (&stack_msgs[i - 1], stack_ids[i - 1], &stack[i]);
        stack_ptrs[i - 1] = &stack_msgs[i - 1];
    }
    P2pf__AnycastWalk walk = *w;
    walk.n_visited = nv;
    walk.visited = visited;
    walk.n_to_visit = ns - 1;
    walk.to_visit = stack_ptrs;
    e.env.body_case = P2PF__ENVELOPE__BODY_ANYCAST_WALK;
    e.env.anycast_walk = &walk;
    s_send (node, &next, &e.env);
done:
    free (visited);
    free (ids);
    free (stack);
    free (stack_msgs);
    free (stack_ptrs);
    free (stack_ids);
}

/* ------------------------------------------------------------------ */
/* routed messages */

/* Where a routed message's journey ends at this node. */
static void
s_routed_complete (ovl_node_t *node, uint64_t now_ms, P2pf__Routed *r)
{
    ovl_handle_t origin;
    ovl_wire_handle_get (r->origin, &origin);
    switch (r->kind_case) {
    case P2PF__ROUTED__KIND_JOIN: {
        /* We are the closest node to the newcomer: give it our leaf set. */
        s_env_t e;
        s_env_init (node, &e);
        ovl_handle_t leaves[2 * S_LEAF_HALF];
        int n = s_live_leaves (node, now_ms, leaves, 2 * S_LEAF_HALF);
        P2pf__NodeHandle msgs[2 * S_LEAF_HALF], *ptrs[2 * S_LEAF_HALF];
        uint8_t ids[2 * S_LEAF_HALF][16];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (ovl_id_eq (leaves[i].id, origin.id))
                continue;
            ovl_wire_handle_set (&msgs[k], ids[k], &leaves[i]);
            ptrs[k] = &msgs[k];
            k++;
        }
        P2pf__JoinLeaves jl = P2PF__JOIN_LEAVES__INIT;
        jl.n_leaves = (size_t)k;
        jl.leaves = ptrs;
        jl.hops = r->hops;
        e.env.body_case = P2PF__ENVELOPE__BODY_JOIN_LEAVES;
        e.env.join_leaves = &jl;
        s_send (node, &origin, &e.env);
        break;
    }
    case P2PF__ROUTED__KIND_GROUP_JOIN: {
        /* The join ends at the root: that is us. */
        s_group_t *g = s_group_get (node, ovl_wire_id (r->group_join->group));
        if (g) {
            g->in_tree = 1;
            g->has_parent = 0;
            s_group_root_upcall (node, g, 1);
        }
        break;
    }
    case P2PF__ROUTED__KIND_PUBLISH: {
        s_group_t *g = s_group_find (node, ovl_wire_id (r->publish->group));
        if (!g || !g->in_tree) {
            node->stats.dropped_other++; /* a group nobody joined */
            break;
        }
        P2pf__GroupData gd = P2PF__GROUP_DATA__INIT;
        gd.group = r->publish->group;
        gd.payload = r->publish->payload;
        gd.publisher = r->origin;
        gd.seq = r->publish->seq;
        s_group_multicast (node, g, &gd, origin.id);
        break;
    }
    case P2PF__ROUTED__KIND_ANYCAST: {
        /* Reached the root without meeting the tree: nobody to offer to. */
        P2pf__AnycastWalk w = P2PF__ANYCAST_WALK__INIT;
        w.group = r->anycast->group;
        w.payload = r->anycast->payload;
        w.anycast_id = r->anycast->anycast_id;
        w.origin = r->origin;
        s_anycast_step (node, &w, s_group_find (node, ovl_wire_id (r->anycast->group)));
        break;
    }
    case P2PF__ROUTED__KIND_APP:
        if (node->up.deliver)
            node->up.deliver (node->up.ctx, ovl_wire_id (r->key), r->app->payload.data,
                              r->app->payload.len, &origin, (int)r->hops);
        break;
    default:
        node->stats.dropped_other++;
    }
}

/* Pass r on towards its key, or complete it here. */
static void
s_routed_forward (ovl_node_t *node, uint64_t now_ms, P2pf__Routed *r)
{
    ovl_id_t key = ovl_wire_id (r->key);
    const ovl_handle_t *next = s_next_hop (node, key);
    if (next && r->kind_case == P2PF__ROUTED__KIND_JOIN &&
        ovl_id_eq (next->id, ovl_wire_id (r->origin->id)))
        next = NULL; /* never route a JOIN to the newcomer itself */
    if (!next && r->kind_case == P2PF__ROUTED__KIND_JOIN &&
        s_is_self (node, ovl_wire_id (r->origin->id))) {
        /* Our own JOIN, back with us: the bootstrap did not answer and our
         * tables are empty. Joining a ring of one would be wrong; the join
         * timer starts over through the bootstrap. */
        node->stats.dropped_other++;
        return;
    }
    if (!next) {
        s_routed_complete (node, now_ms, r);
        return;
    }
    if (r->hops >= S_HOPS_MAX) {
        node->stats.dropped_other++; /* going round in circles: stop */
        return;
    }
    if (r->kind_case == P2PF__ROUTED__KIND_APP && node->up.forward) {
        ovl_handle_t n = *next;
        if (!node->up.forward (node->up.ctx, key, r->app->payload.data, r->app->payload.len, &n))
            return;
    }
    node->stats.routed_forwarded++;
    ovl_handle_t to = *next;
    s_send_routed (node, now_ms, &to, r);
}

/* A routed message arrived from `from` (NULL when it starts here). */
static void
s_routed_arrive (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from, P2pf__Routed *r)
{
    ovl_handle_t origin;
    ovl_wire_handle_get (r->origin, &origin);
    switch (r->kind_case) {
    case P2PF__ROUTED__KIND_JOIN: {
        if (s_is_self (node, origin.id))
            break;
        /* Give the newcomer the rows of our table it can use: hop h shares
         * at least h digits with it, so rows h..p are ours to offer. */
        int p = ovl_id_shared_prefix (node->self.id, origin.id);
        int first = r->hops > 0 ? (int)r->hops - 1 : 0;
        if (first > p)
            first = p;
        for (int row = first; row <= p && row < OVL_ID_DIGITS; row++) {
            ovl_handle_t entries[16];
            int n = ovl_rtable_row (node->rtable, row, entries, 16);
            if (n == 0)
                continue;
            P2pf__NodeHandle msgs[16], *ptrs[16];
            uint8_t ids[16][16];
            int k = 0;
            for (int i = 0; i < n; i++) {
                if (ovl_id_eq (entries[i].id, origin.id))
                    continue;
                ovl_wire_handle_set (&msgs[k], ids[k], &entries[i]);
                ptrs[k] = &msgs[k];
                k++;
            }
            s_env_t e;
            s_env_init (node, &e);
            P2pf__JoinRow jr = P2PF__JOIN_ROW__INIT;
            jr.row = (uint32_t)row;
            jr.n_entries = (size_t)k;
            jr.entries = ptrs;
            e.env.body_case = P2PF__ENVELOPE__BODY_JOIN_ROW;
            e.env.join_row = &jr;
            s_send (node, &origin, &e.env);
        }
        break;
    }
    case P2PF__ROUTED__KIND_GROUP_JOIN: {
        s_group_t *g = s_group_get (node, ovl_wire_id (r->group_join->group));
        if (!g)
            return;
        int was_in_tree = g->in_tree;
        int ancestor = 0;
        for (int i = 0; from && i < g->n_ancestors; i++)
            ancestor |= ovl_id_eq (g->ancestors[i], from->id);
        if (ancestor) {
            /* One of our ancestors lost its parent and its new route to the
             * root runs through us: adopting it would close a loop cut off
             * from the root. Leave our branch and carry the join on
             * ourselves instead; the ancestor retries, and finds us
             * attached elsewhere by then. */
            if (g->has_parent)
                s_group_send_simple (node, &g->parent, g->key, P2PF__ENVELOPE__BODY_GROUP_LEAVE);
            g->has_parent = 0;
            g->n_ancestors = 0;
            g->in_tree = 1;
            break;
        }
        if (from)
            s_group_add_child (node, now_ms, g, from);
        g = s_group_find (node, ovl_wire_id (r->group_join->group));
        if (was_in_tree && from)
            return; /* attached, or our own join is under way: it stops here */
        g->in_tree = 1;
        /* Not yet in the tree: continue on our own behalf. */
        break;
    }
    case P2PF__ROUTED__KIND_ANYCAST: {
        s_group_t *g = s_group_find (node, ovl_wire_id (r->anycast->group));
        if (g && g->in_tree) {
            P2pf__AnycastWalk w = P2PF__ANYCAST_WALK__INIT;
            w.group = r->anycast->group;
            w.payload = r->anycast->payload;
            w.anycast_id = r->anycast->anycast_id;
            w.origin = r->origin;
            s_anycast_step (node, &w, g);
            return;
        }
        break;
    }
    default:
        break;
    }
    s_routed_forward (node, now_ms, r);
}

/* ------------------------------------------------------------------ */
/* incoming envelopes */

static void
s_handle (ovl_node_t *node, uint64_t now_ms, P2pf__Envelope *env)
{
    ovl_handle_t from;
    ovl_wire_handle_get (env->from, &from);
    if (s_is_self (node, from.id)) {
        node->stats.dropped_other++; /* our own id from elsewhere: ignore it */
        return;
    }
    /* Any message proves the sender alive and teaches us about it. */
    s_forget_dead (node, from.id);
    s_watch_t *w = s_watch_find (node, from.id);
    if (w)
        w->last_heard_ms = now_ms;
    /* ...except a newcomer's own JOIN: until its join completes it is not
     * part of the ring, and as our leaf it would swallow its own JOIN (and
     * every key near its id). It enters our state when it announces. */
    int joining_sender = env->body_case == P2PF__ENVELOPE__BODY_ROUTED &&
                         env->routed->kind_case == P2PF__ROUTED__KIND_JOIN &&
                         ovl_id_eq (ovl_wire_id (env->routed->origin->id), from.id);
    if (!joining_sender && s_learn (node, &from, now_ms))
        s_leaves_changed (node, now_ms);

    s_env_t e;
    switch (env->body_case) {
    case P2PF__ENVELOPE__BODY_PING:
        s_send_pong (node, &from, env->ping->nonce);
        break;
    case P2PF__ENVELOPE__BODY_PONG:
        break; /* liveness was refreshed above */
    case P2PF__ENVELOPE__BODY_ROUTED: {
        s_env_init (node, &e);
        P2pf__RoutedAck ack = P2PF__ROUTED_ACK__INIT;
        ack.msg_id = env->routed->msg_id;
        e.env.body_case = P2PF__ENVELOPE__BODY_ROUTED_ACK;
        e.env.routed_ack = &ack;
        s_send (node, &from, &e.env);
        if (s_route_seen (node, env->routed, from.id)) {
            node->stats.dropped_other++; /* a retry after a lost ack */
            break;
        }
        /* The retry budget is per hop: a long route through many dead
         * table entries must not run out on the way. */
        env->routed->tries = 0;
        s_routed_arrive (node, now_ms, &from, env->routed);
        break;
    }
    case P2PF__ENVELOPE__BODY_ROUTED_ACK:
        for (int i = 0; i < node->n_pending; i++) {
            const ovl_handle_t *to = &node->pending[i].to;
            /* A bootstrap given as HOST:PORT has no id yet (zero): its ack
             * is recognised by its address. */
            static const ovl_id_t zero = { 0, 0 };
            int same = ovl_id_eq (to->id, from.id) ||
                       (ovl_id_eq (to->id, zero) && strcmp (to->addr, from.addr) == 0);
            if (node->pending[i].msg_id == env->routed_ack->msg_id && same) {
                free (node->pending[i].bytes);
                node->pending[i] = node->pending[--node->n_pending];
                break;
            }
        }
        break;
    case P2PF__ENVELOPE__BODY_JOIN_ROW: {
        int changed = 0;
        for (size_t i = 0; i < env->join_row->n_entries; i++) {
            ovl_handle_t h;
            ovl_wire_handle_get (env->join_row->entries[i], &h);
            changed |= s_learn_gossip (node, &h, now_ms);
        }
        if (changed)
            s_leaves_changed (node, now_ms);
        break;
    }
    case P2PF__ENVELOPE__BODY_JOIN_LEAVES: {
        for (size_t i = 0; i < env->join_leaves->n_leaves; i++) {
            ovl_handle_t h;
            ovl_wire_handle_get (env->join_leaves->leaves[i], &h);
            s_learn_gossip (node, &h, now_ms); /* not joined yet: no announce here */
        }
        if (!node->joining) {
            node->stats.dropped_other++; /* a late answer to a join we restarted */
            s_leaves_changed (node, now_ms);
            break;
        }
        node->joining = 0;
        node->joined = 1;
        s_maint_schedule (node, now_ms);
        /* Tell everyone in our new state that we are here. */
        ovl_handle_t known[2 * S_LEAF_HALF + OVL_ID_DIGITS * 16];
        int n = ovl_node_known_list (node, known, (int)(sizeof known / sizeof known[0]));
        s_env_init (node, &e);
        P2pf__Announce ann = P2PF__ANNOUNCE__INIT;
        e.env.body_case = P2PF__ENVELOPE__BODY_ANNOUNCE;
        e.env.announce = &ann;
        size_t len = 0;
        uint8_t *bytes = ovl_wire_encode_alloc (&e.env, &len);
        for (int i = 0; bytes && i < n; i++) {
            node->stats.msgs_sent++;
            node->stats.bytes_sent += len;
            node->up.send (node->up.ctx, &known[i], bytes, len);
        }
        free (bytes);
        s_leaves_changed (node, now_ms);
        if (node->up.joined)
            node->up.joined (node->up.ctx, (int)env->join_leaves->hops);
        break;
    }
    case P2PF__ENVELOPE__BODY_ANNOUNCE:
        /* Learned above; answer, so the announcer hears from us first-hand
         * and may take us into its leaf set. */
        s_send_pong (node, &from, 0);
        break;
    case P2PF__ENVELOPE__BODY_LEAFSET_REQUEST: {
        s_env_init (node, &e);
        ovl_handle_t leaves[2 * S_LEAF_HALF];
        int n = s_live_leaves (node, now_ms, leaves, 2 * S_LEAF_HALF);
        P2pf__NodeHandle msgs[2 * S_LEAF_HALF], *ptrs[2 * S_LEAF_HALF];
        uint8_t ids[2 * S_LEAF_HALF][16];
        for (int i = 0; i < n; i++) {
            ovl_wire_handle_set (&msgs[i], ids[i], &leaves[i]);
            ptrs[i] = &msgs[i];
        }
        P2pf__LeafSetReply rep = P2PF__LEAF_SET_REPLY__INIT;
        rep.n_leaves = (size_t)n;
        rep.leaves = ptrs;
        e.env.body_case = P2PF__ENVELOPE__BODY_LEAFSET_REPLY;
        e.env.leafset_reply = &rep;
        s_send (node, &from, &e.env);
        break;
    }
    case P2PF__ENVELOPE__BODY_LEAFSET_REPLY: {
        int changed = 0;
        for (size_t i = 0; i < env->leafset_reply->n_leaves; i++) {
            ovl_handle_t h;
            ovl_wire_handle_get (env->leafset_reply->leaves[i], &h);
            changed |= s_learn_gossip (node, &h, now_ms);
        }
        if (changed)
            s_leaves_changed (node, now_ms);
        break;
    }
    case P2PF__ENVELOPE__BODY_GROUP_JOIN_ACCEPT: {
        s_group_t *g = s_group_find (node, ovl_wire_id (env->group_join_accept->group));
        if (!g || !g->in_tree) {
            /* We left meanwhile: tell the would-be parent. */
            s_group_send_simple (node, &from, ovl_wire_id (env->group_join_accept->group),
                                 P2PF__ENVELOPE__BODY_GROUP_LEAVE);
            break;
        }
        const P2pf__GroupJoinAccept *acc = env->group_join_accept;
        for (size_t i = 0; i < acc->n_path; i++) {
            if (s_is_self (node, ovl_wire_id (acc->path[i]))) {
                /* Its way to the root runs through us: refuse, retry. */
                s_group_send_simple (node, &from, g->key, P2PF__ENVELOPE__BODY_GROUP_LEAVE);
                if (!g->has_parent)
                    g->retry_ms = now_ms + node->cfg.group_retry_ms;
                return;
            }
        }
        if (g->has_parent && !ovl_id_eq (g->parent.id, from.id))
            s_group_send_simple (node, &g->parent, g->key, P2PF__ENVELOPE__BODY_GROUP_LEAVE);
        /* Our ancestors changed: tell our children, whose paths run
         * through us. */
        int changed = !g->has_parent || !ovl_id_eq (g->parent.id, from.id) ||
                      g->n_ancestors != (int)acc->n_path;
        for (size_t i = 0; !changed && i < acc->n_path; i++)
            changed = !ovl_id_eq (g->ancestors[i], ovl_wire_id (acc->path[i]));
        g->has_parent = 1;
        g->parent = from;
        g->retry_ms = 0;
        g->n_ancestors = 0;
        for (size_t i = 0; i < acc->n_path && i < S_PATH_MAX; i++)
            g->ancestors[g->n_ancestors++] = ovl_wire_id (acc->path[i]);
        if (changed)
            for (int c = 0; c < g->n_children; c++)
                s_group_send_simple (node, &g->children[c], g->key,
                                     P2PF__ENVELOPE__BODY_GROUP_JOIN_ACCEPT);
        s_group_root_upcall (node, g, 0);
        s_watch_sync (node, now_ms);
        break;
    }
    case P2PF__ENVELOPE__BODY_GROUP_REDIRECT: {
        s_group_t *g = s_group_find (node, ovl_wire_id (env->group_redirect->group));
        if (!g || !g->in_tree)
            break;
        ovl_handle_t to;
        ovl_wire_handle_get (env->group_redirect->to, &to);
        if (s_is_self (node, to.id))
            break;
        /* Join the suggested child directly; it is in the tree, so the
         * join stops there. */
        uint8_t key[16];
        ovl_id_to_bytes (g->key, key);
        P2pf__GroupJoin gj = P2PF__GROUP_JOIN__INIT;
        gj.group.data = key;
        gj.group.len = 16;
        P2pf__Routed r = P2PF__ROUTED__INIT;
        P2pf__NodeHandle origin;
        uint8_t origin_id[16];
        ovl_wire_handle_set (&origin, origin_id, &node->self);
        r.key.data = key;
        r.key.len = 16;
        r.origin = &origin;
        r.kind_case = P2PF__ROUTED__KIND_GROUP_JOIN;
        r.group_join = &gj;
        r.route_id = ++node->next_route_id;
        s_send_routed (node, now_ms, &to, &r);
        break;
    }
    case P2PF__ENVELOPE__BODY_GROUP_LEAVE: {
        s_group_t *g = s_group_find (node, ovl_wire_id (env->group_leave->group));
        if (!g)
            break;
        for (int c = 0; c < g->n_children; c++)
            if (ovl_id_eq (g->children[c].id, from.id))
                g->children[c--] = g->children[--g->n_children];
        if (!g->member && g->n_children == 0 && g->has_parent) {
            /* A forwarder with nothing left to forward to leaves too. */
            s_group_send_simple (node, &g->parent, g->key, P2PF__ENVELOPE__BODY_GROUP_LEAVE);
            s_group_drop (node, g);
        }
        s_watch_sync (node, now_ms);
        break;
    }
    case P2PF__ENVELOPE__BODY_GROUP_DATA: {
        s_group_t *g = s_group_find (node, ovl_wire_id (env->group_data->group));
        if (!g || !g->in_tree) {
            node->stats.dropped_other++;
            break;
        }
        s_group_multicast (node, g, env->group_data, ovl_wire_id (env->group_data->publisher->id));
        break;
    }
    case P2PF__ENVELOPE__BODY_ANYCAST_WALK:
        s_anycast_step (node, env->anycast_walk,
                        s_group_find (node, ovl_wire_id (env->anycast_walk->group)));
        break;
    case P2PF__ENVELOPE__BODY_ANYCAST_RESULT:
        if (node->up.anycast_result) {
            ovl_handle_t by;
            int have_by = env->anycast_result->by != NULL;
            if (have_by)
                ovl_wire_handle_get (env->anycast_result->by, &by);
            node->up.anycast_result (node->up.ctx, env->anycast_result->anycast_id,
                                     env->anycast_result->accepted, have_by ? &by : NULL);
        }
        break;
    case P2PF__ENVELOPE__BODY_ROW_REQUEST: {
        int row = (int)env->row_request->row;
        ovl_handle_t entries[16];
        int n = ovl_rtable_row (node->rtable, row, entries, 16);
        P2pf__NodeHandle msgs[16], *ptrs[16];
        uint8_t ids[16][16];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (ovl_id_eq (entries[i].id, from.id))
                continue;
            ovl_wire_handle_set (&msgs[k], ids[k], &entries[i]);
            ptrs[k] = &msgs[k];
            k++;
        }
        s_env_init (node, &e);
        P2pf__JoinRow jr = P2PF__JOIN_ROW__INIT;
        jr.row = (uint32_t)row;
        jr.n_entries = (size_t)k;
        jr.entries = ptrs;
        e.env.body_case = P2PF__ENVELOPE__BODY_JOIN_ROW;
        e.env.join_row = &jr;
        s_send (node, &from, &e.env);
        break;
    }
    case P2PF__ENVELOPE__BODY_APP:
        if (node->up.app)
            node->up.app (node->up.ctx, &from, env->app->payload.data, env->app->payload.len);
        break;
    default:
        node->stats.dropped_other++;
    }
}

static void
s_on_msg (ovl_node_t *node, uint64_t now_ms, const uint8_t *bytes, size_t len,
          const ovl_id_t *sender)
{
    P2pf__Envelope *env = NULL;
    ovl_wire_error_t why;
    if (ovl_wire_decode (bytes, len, &env, &why) != 0) {
        node->stats.dropped_malformed++;
        return;
    }
    if (sender && !ovl_id_eq (ovl_wire_id (env->from->id), *sender)) {
        node->stats.dropped_forged++;
        ovl_wire_free (&env);
        return;
    }
    node->stats.msgs_received++;
    node->stats.bytes_received += len;
    s_handle (node, now_ms, env);
    ovl_wire_free (&env);
}

void
ovl_node_on_msg (ovl_node_t *node, uint64_t now_ms, const uint8_t *bytes, size_t len)
{
    s_on_msg (node, now_ms, bytes, len, NULL);
}

void
ovl_node_on_msg_from (ovl_node_t *node, uint64_t now_ms, const uint8_t *bytes, size_t len,
                      ovl_id_t sender)
{
    s_on_msg (node, now_ms, bytes, len, &sender);
}

/* ------------------------------------------------------------------ */
/* timers */

/* Lazy routing-table repair, and how tables fill in over time (Pastry
 * section 2.4): ask a random entry of every row for its own row. Whoever we
 * learn that way hears from us (s_learn_gossip), so both tables improve. */
static void
s_table_maintenance (ovl_node_t *node)
{
    int end = ovl_rtable_row_end (node->rtable);
    for (int row = 0; row < end; row++) {
        ovl_handle_t entries[16];
        int n = ovl_rtable_row (node->rtable, row, entries, 16);
        if (n == 0)
            continue;
        ovl_handle_t to = entries[ovl_rng_below (&node->rng, (uint64_t)n)];
        s_env_t e;
        s_env_init (node, &e);
        P2pf__RowRequest req = P2PF__ROW_REQUEST__INIT;
        req.row = (uint32_t)row;
        e.env.body_case = P2PF__ENVELOPE__BODY_ROW_REQUEST;
        e.env.row_request = &req;
        s_send (node, &to, &e.env);
    }
}

/* The next round, jittered over [interval/2, 3*interval/2) so that nodes
 * that joined together do not ask together. */
static void
s_maint_schedule (ovl_node_t *node, uint64_t now_ms)
{
    uint64_t t = node->cfg.table_maint_ms;
    node->next_maint_ms = now_ms + t / 2 + ovl_rng_below (&node->rng, t ? t : 1);
}

/* Each timer is a pair: when it is next due (UINT64_MAX: not armed) and
 * what it does then. A pair's deadline must cover every case its fire
 * acts on: on_tick fires a timer only once its deadline has come. */

/* Hops nobody acknowledged in time: try another way. */
static uint64_t
s_acks_deadline_ms (const ovl_node_t *node)
{
    uint64_t t = UINT64_MAX;
    for (int i = 0; i < node->n_pending; i++)
        if (node->pending[i].deadline_ms < t)
            t = node->pending[i].deadline_ms;
    return t;
}

static void
s_acks_fire (ovl_node_t *node, uint64_t now_ms)
{
    for (int i = 0; i < node->n_pending; i++) {
        if (node->pending[i].deadline_ms <= now_ms) {
            s_pending_expired (node, now_ms, i);
            i = -1; /* the array changed under us: start over */
        }
    }
}

/* A join that got no leaf set in time starts over. */
static uint64_t
s_join_deadline_ms (const ovl_node_t *node)
{
    return node->joining ? node->join_deadline_ms : UINT64_MAX;
}

static void
s_join_fire (ovl_node_t *node, uint64_t now_ms)
{
    ovl_node_start (node, now_ms, &node->bootstrap);
}

static uint64_t
s_table_maint_deadline_ms (const ovl_node_t *node)
{
    return node->cfg.table_maint_ms && node->joined ? node->next_maint_ms : UINT64_MAX;
}

static void
s_table_maint_fire (ovl_node_t *node, uint64_t now_ms)
{
    s_table_maintenance (node);
    s_maint_schedule (node, now_ms);
}

/* Parentless tree members that are not the root: join again (a join
 * can be lost with the node it went through, or refused to avoid a
 * loop). */
static uint64_t
s_group_retry_deadline_ms (const ovl_node_t *node)
{
    uint64_t t = UINT64_MAX;
    for (int i = 0; i < node->n_groups; i++)
        if (node->groups[i].retry_ms && node->groups[i].retry_ms < t)
            t = node->groups[i].retry_ms;
    return t;
}

static void
s_group_retry_fire (ovl_node_t *node, uint64_t now_ms)
{
    for (int i = 0; i < node->n_groups; i++) {
        s_group_t *g = &node->groups[i];
        if (!g->in_tree || g->has_parent || !g->retry_ms || now_ms < g->retry_ms)
            continue;
        g->retry_ms = now_ms + node->cfg.group_retry_ms;
        if (s_next_hop (node, g->key) == NULL) {
            g->retry_ms = 0; /* we are the closest: the root */
            s_group_root_upcall (node, g, 1);
            continue;
        }
        s_group_send_join (node, now_ms, g);
        g = &node->groups[i];
    }
}

/* Leaf-set exchange: repair asks once, when a leaf dies; after a crash
 * of many neighbours at once, two live nodes can be left not knowing
 * each other. Asking both farthest leaves now and then closes that.
 * Only while probing: it is part of failure handling. */
static uint64_t
s_leaf_maint_deadline_ms (const ovl_node_t *node)
{
    return node->cfg.ping_interval_ms && node->cfg.leaf_maint_ms && node->joined
               ? node->next_leaf_maint_ms
               : UINT64_MAX;
}

static void
s_leaf_maint_fire (ovl_node_t *node, uint64_t now_ms)
{
    /* The nearest leaf on a side knows our immediate neighbourhood;
     * the farthest extends it. Ask both, on both sides. */
    for (int side = -1; side <= 1; side += 2) {
        const ovl_handle_t *ends[2] = { ovl_leafset_get (node->leafset, side, 0),
                                        ovl_leafset_farthest (node->leafset, side) };
        ovl_handle_t to[2];
        int n = 0;
        for (int k = 0; k < 2; k++)
            if (ends[k] && (n == 0 || !ovl_id_eq (ends[k]->id, to[0].id)))
                to[n++] = *ends[k];
        for (int k = 0; k < n; k++)
            s_send_leafset_request (node, &to[k]);
    }
    uint64_t t = node->cfg.leaf_maint_ms;
    node->next_leaf_maint_ms = now_ms + t / 2 + ovl_rng_below (&node->rng, t);
}

/* Watched nodes: ping a quiet one, declare a silent one dead. */
static uint64_t
s_probe_deadline_ms (const ovl_node_t *node)
{
    uint64_t t = UINT64_MAX;
    if (node->cfg.ping_interval_ms) {
        for (int i = 0; i < node->n_watch; i++) {
            const s_watch_t *w = &node->watch[i];
            uint64_t quiet_since =
                w->last_heard_ms > w->last_ping_ms ? w->last_heard_ms : w->last_ping_ms;
            uint64_t ping_at = quiet_since + node->cfg.ping_interval_ms;
            if (ping_at < t)
                t = ping_at;
            if (node->cfg.fail_timeout_ms && w->last_heard_ms + node->cfg.fail_timeout_ms < t)
                t = w->last_heard_ms + node->cfg.fail_timeout_ms;
        }
    }
    return t;
}

static void
s_probe_fire (ovl_node_t *node, uint64_t now_ms)
{
    for (int i = 0; i < node->n_watch; i++) {
        s_watch_t *w = &node->watch[i];
        if (node->cfg.fail_timeout_ms && now_ms >= w->last_heard_ms + node->cfg.fail_timeout_ms) {
            ovl_handle_t dead = w->h;
            s_declare_dead (node, now_ms, &dead);
            i = -1; /* the watch list changed */
            continue;
        }
        uint64_t quiet_since =
            w->last_heard_ms > w->last_ping_ms ? w->last_heard_ms : w->last_ping_ms;
        if (now_ms >= quiet_since + node->cfg.ping_interval_ms) {
            s_env_t e;
            s_env_init (node, &e);
            P2pf__Ping ping = P2PF__PING__INIT;
            ping.nonce = ovl_rng_next (&node->rng);
            e.env.body_case = P2PF__ENVELOPE__BODY_PING;
            e.env.ping = &ping;
            w->last_ping_ms = now_ms;
            ovl_handle_t to = w->h;
            s_send (node, &to, &e.env);
        }
    }
}

/* Every timer of the node. ovl_node_on_tick and ovl_node_next_deadline_ms
 * both read this table, so a timer cannot be armed in one and forgotten in
 * the other. Rows fire in table order, and the order is behaviour: it
 * decides which timer draws which random number and which message goes
 * out first, so reordering rows changes every seeded run. */
typedef struct {
    const char *name;                                 /* for a debugger or a trace */
    uint64_t (*deadline_ms) (const ovl_node_t *node); /* UINT64_MAX: not armed */
    void (*fire) (ovl_node_t *node, uint64_t now_ms); /* do what is due at now_ms */
} s_timer_t;

static const s_timer_t s_timers[] = {
    { "ack", s_acks_deadline_ms, s_acks_fire },
    { "join", s_join_deadline_ms, s_join_fire },
    { "table-maint", s_table_maint_deadline_ms, s_table_maint_fire },
    { "group-retry", s_group_retry_deadline_ms, s_group_retry_fire },
    { "leaf-maint", s_leaf_maint_deadline_ms, s_leaf_maint_fire },
    { "probe", s_probe_deadline_ms, s_probe_fire },
};
#define S_TIMERS (sizeof s_timers / sizeof s_timers[0])

void
ovl_node_on_tick (ovl_node_t *node, uint64_t now_ms)
{
    /* Each deadline is read after the timers before it ran: their work
     * (a retried hop, a declared death) may have armed or disarmed it. */
    for (size_t i = 0; i < S_TIMERS; i++)
        if (s_timers[i].deadline_ms (node) <= now_ms)
            s_timers[i].fire (node, now_ms);
}

uint64_t
ovl_node_next_deadline_ms (const ovl_node_t *node)
{
    uint64_t t = UINT64_MAX;
    for (size_t i = 0; i < S_TIMERS; i++) {
        uint64_t d = s_timers[i].deadline_ms (node);
        if (d < t)
            t = d;
    }
    return t;
}

/* ------------------------------------------------------------------ */
/* life cycle and commands */

void
ovl_config_default (ovl_config_t *c)
{
    c->ping_interval_ms = 200;
    c->fail_timeout_ms = 1000;
    c->ack_timeout_ms = 500;
    c->join_timeout_ms = 3000;
    c->children_max = 16;
    c->dead_memory_ms = 10000;
    c->table_maint_ms = 60000;
    c->leaf_maint_ms = 5000;
    c->group_retry_ms = 1000;
}

ovl_node_t *
ovl_node_new (const ovl_config_t *config, const ovl_handle_t *self, const ovl_upcalls_t *upcalls,
              uint64_t seed)
{
    ovl_node_t *node = calloc (1, sizeof *node);
    if (!node)
        return NULL;
    node->cfg = *config;
    if (node->cfg.group_retry_ms == 0)
        node->cfg.group_retry_ms = 1; /* 0 would retry in a loop at one instant */
    if (node->cfg.children_max == 0)
        node->cfg.children_max = 1;
    node->self = *self;
    node->up = *upcalls;
    ovl_rng_seed (&node->rng, seed);
    node->rtable = ovl_rtable_new (self->id);
    node->leafset = ovl_leafset_new (self->id, S_LEAF_HALF);
    if (!node->rtable || !node->leafset) {
        ovl_node_destroy (&node);
        return NULL;
    }
    return node;
}

void
ovl_node_destroy (ovl_node_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ovl_node_t *node = *self_p;
    ovl_rtable_destroy (&node->rtable);
    ovl_leafset_destroy (&node->leafset);
    for (int i = 0; i < node->n_pending; i++)
        free (node->pending[i].bytes);
    for (int i = 0; i < node->n_groups; i++)
        free (node->groups[i].children);
    free (node->pending);
    free (node->watch);
    free (node->dead);
    free (node->groups);
    free (node);
    *self_p = NULL;
}

void
ovl_node_set_config (ovl_node_t *node, uint64_t now_ms, const ovl_config_t *config)
{
    node->cfg = *config;
    if (node->cfg.group_retry_ms == 0)
        node->cfg.group_retry_ms = 1; /* 0 would retry in a loop at one instant */
    if (node->cfg.children_max == 0)
        node->cfg.children_max = 1;
    /* Timers start afresh: nobody is late for a probe they never owed. */
    for (int i = 0; i < node->n_watch; i++)
        node->watch[i].last_heard_ms = node->watch[i].last_ping_ms = now_ms;
}

void
ovl_node_start (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *bootstrap)
{
    if (!bootstrap || s_is_self (node, bootstrap->id)) {
        node->joined = 1;
        node->joining = 0;
        s_maint_schedule (node, now_ms);
        if (node->up.joined)
            node->up.joined (node->up.ctx, 0);
        return;
    }
    node->bootstrap = *bootstrap;
    node->joining = 1;
    node->join_deadline_ms = now_ms + node->cfg.join_timeout_ms;
    uint8_t key[16];
    ovl_id_to_bytes (node->self.id, key);
    P2pf__Join join = P2PF__JOIN__INIT;
    P2pf__Routed r = P2PF__ROUTED__INIT;
    P2pf__NodeHandle origin;
    uint8_t origin_id[16];
    ovl_wire_handle_set (&origin, origin_id, &node->self);
    r.key.data = key;
    r.key.len = 16;
    r.origin = &origin;
    r.kind_case = P2PF__ROUTED__KIND_JOIN;
    r.join = &join;
    r.route_id = ++node->next_route_id;
    /* The bootstrap is the first hop, whatever our (empty) tables say. */
    ovl_handle_t to = *bootstrap;
    s_send_routed (node, now_ms, &to, &r);
}

void
ovl_node_route (ovl_node_t *node, uint64_t now_ms, ovl_id_t key, const uint8_t *payload, size_t len)
{
    uint8_t k[16];
    ovl_id_to_bytes (key, k);
    P2pf__AppRouted app = P2PF__APP_ROUTED__INIT;
    app.payload.data = (uint8_t *)payload;
    app.payload.len = len;
    P2pf__Routed r = P2PF__ROUTED__INIT;
    r.kind_case = P2PF__ROUTED__KIND_APP;
    r.app = &app;
    s_route_local (node, now_ms, &r, k);
}

void
ovl_node_send_app (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *to,
                   const uint8_t *payload, size_t len)
{
    (void)now_ms;
    s_env_t e;
    s_env_init (node, &e);
    P2pf__App app = P2PF__APP__INIT;
    app.payload.data = (uint8_t *)payload;
    app.payload.len = len;
    e.env.body_case = P2PF__ENVELOPE__BODY_APP;
    e.env.app = &app;
    s_send (node, to, &e.env);
}

void
ovl_node_group_join (ovl_node_t *node, uint64_t now_ms, ovl_id_t group)
{
    s_group_t *g = s_group_get (node, group);
    if (!g)
        return;
    g->member = 1;
    if (g->in_tree)
        return;
    g->in_tree = 1;
    if (s_next_hop (node, group) == NULL) {
        s_group_root_upcall (node, g, 1); /* we are the closest: the root */
        return;
    }
    /* The JOIN or its accept may be lost: keep asking until a parent takes
     * us (a parentless member retries every group_retry_ms). */
    g->retry_ms = now_ms + node->cfg.group_retry_ms;
    s_group_send_join (node, now_ms, g);
}

void
ovl_node_group_leave (ovl_node_t *node, uint64_t now_ms, ovl_id_t group)
{
    s_group_t *g = s_group_find (node, group);
    if (!g)
        return;
    g->member = 0;
    if (g->n_children > 0)
        return; /* stay as a forwarder */
    if (g->has_parent)
        s_group_send_simple (node, &g->parent, group, P2PF__ENVELOPE__BODY_GROUP_LEAVE);
    s_group_root_upcall (node, g, 0);
    s_group_drop (node, g);
    s_watch_sync (node, now_ms);
}

void
ovl_node_group_publish (ovl_node_t *node, uint64_t now_ms, ovl_id_t group, const uint8_t *payload,
                        size_t len)
{
    uint8_t k[16];
    ovl_id_to_bytes (group, k);
    P2pf__GroupPublish pub = P2PF__GROUP_PUBLISH__INIT;
    pub.group.data = k;
    pub.group.len = 16;
    pub.payload.data = (uint8_t *)payload;
    pub.payload.len = len;
    pub.seq = ++node->next_seq;
    P2pf__Routed r = P2PF__ROUTED__INIT;
    r.kind_case = P2PF__ROUTED__KIND_PUBLISH;
    r.publish = &pub;
    s_route_local (node, now_ms, &r, k);
}

uint64_t
ovl_node_group_anycast (ovl_node_t *node, uint64_t now_ms, ovl_id_t group, const uint8_t *payload,
                        size_t len)
{
    uint8_t k[16];
    ovl_id_to_bytes (group, k);
    P2pf__AnycastStart any = P2PF__ANYCAST_START__INIT;
    any.group.data = k;
    any.group.len = 16;
    any.payload.data = (uint8_t *)payload;
    any.payload.len = len;
    any.anycast_id = ++node->next_anycast;
    P2pf__Routed r = P2PF__ROUTED__INIT;
    r.kind_case = P2PF__ROUTED__KIND_ANYCAST;
    r.anycast = &any;
    /* If we are in the tree ourselves, the walk starts here. */
    s_route_local (node, now_ms, &r, k);
    return any.anycast_id;
}

/* ------------------------------------------------------------------ */
/* queries */

const ovl_handle_t *
ovl_node_self (const ovl_node_t *node)
{
    return &node->self;
}

int
ovl_node_is_joined (const ovl_node_t *node)
{
    return node->joined;
}

int
ovl_node_is_busy (const ovl_node_t *node)
{
    return node->n_pending > 0 || node->joining;
}

const ovl_node_stats_t *
ovl_node_stats (const ovl_node_t *node)
{
    return &node->stats;
}

int
ovl_node_leaf_list (const ovl_node_t *node, ovl_handle_t *out, int max)
{
    return ovl_leafset_list (node->leafset, out, max);
}

int
ovl_node_known_list (const ovl_node_t *node, ovl_handle_t *out, int max)
{
    int n = ovl_leafset_list (node->leafset, out, max);
    for (int row = 0; row < OVL_ID_DIGITS && n < max; row++) {
        for (int col = 0; col < 16 && n < max; col++) {
            const ovl_handle_t *t = ovl_rtable_get (node->rtable, row, col);
            if (!t || ovl_leafset_contains (node->leafset, t->id))
                continue;
            out[n++] = *t;
        }
    }
    for (int g = 0; g < node->n_groups; g++) {
        const s_group_t *gr = &node->groups[g];
        for (int c = -1; c < gr->n_children && n < max; c++) {
            const ovl_handle_t *h =
                c < 0 ? (gr->has_parent ? &gr->parent : NULL) : &gr->children[c];
            if (!h)
                continue;
            int dup = 0;
            for (int i = 0; i < n && !dup; i++)
                dup = ovl_id_eq (out[i].id, h->id);
            if (!dup)
                out[n++] = *h;
        }
    }
    return n;
}

size_t
ovl_node_known_count (const ovl_node_t *node)
{
    ovl_handle_t all[2 * S_LEAF_HALF + OVL_ID_DIGITS * 16 + 64];
    return (size_t)ovl_node_known_list (node, all, (int)(sizeof all / sizeof all[0]));
}

int
ovl_node_group_info (const ovl_node_t *node, ovl_id_t group, int *is_member, int *is_root,
                     ovl_handle_t *parent, int *has_parent, int *children)
{
    const s_group_t *g = NULL;
    for (int i = 0; i < node->n_groups; i++)
        if (ovl_id_eq (node->groups[i].key, group))
            g = &node->groups[i];
    if (!g || !g->in_tree)
        return 0;
    if (is_member)
        *is_member = g->member;
    if (is_root)
        *is_root = !g->has_parent;
    if (parent && g->has_parent)
        *parent = g->parent;
    if (has_parent)
        *has_parent = g->has_parent;
    if (children)
        *children = g->n_children;
    return 1;
}
