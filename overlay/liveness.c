/* liveness.c: which nodes are alive -- learning of them (node_up),
 * watching the leaf set and tree links with pings, declaring the silent
 * dead (node_lost) and repairing the leaf set after them
 * (node_internal.h says how the core is split). */
#include "node_internal.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* recently dead nodes */

/* 1 if id was declared dead less than dead_memory_ms ago (forgetting, on
 * the way, those declared longer ago). */
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

/* It spoke to us: it is alive after all. */
static void
s_forget_dead (ovl_node_t *node, ovl_id_t id)
{
    for (int i = 0; i < node->n_dead; i++)
        if (ovl_id_eq (node->dead[i].id, id))
            node->dead[i--] = node->dead[--node->n_dead];
}

/* ------------------------------------------------------------------ */
/* small messages */

/* The small bodyless (or nearly) messages, sent from several places. */
static void
s_send_leafset_request (ovl_node_t *node, const ovl_handle_t *to)
{
    ovl_env_t e;
    ovl_node_env_init (node, &e);
    P2pf__LeafSetRequest req = P2PF__LEAF_SET_REQUEST__INIT;
    e.env.body_case = P2PF__ENVELOPE__BODY_LEAFSET_REQUEST;
    e.env.leafset_request = &req;
    ovl_node_send_env (node, to, &e.env);
}

static void
s_send_announce (ovl_node_t *node, const ovl_handle_t *to)
{
    ovl_env_t e;
    ovl_node_env_init (node, &e);
    P2pf__Announce ann = P2PF__ANNOUNCE__INIT;
    e.env.body_case = P2PF__ENVELOPE__BODY_ANNOUNCE;
    e.env.announce = &ann;
    ovl_node_send_env (node, to, &e.env);
}

void
ovl_liveness_send_pong (ovl_node_t *node, const ovl_handle_t *to, uint64_t nonce)
{
    ovl_env_t e;
    ovl_node_env_init (node, &e);
    P2pf__Pong pong = P2PF__PONG__INIT;
    pong.nonce = nonce;
    e.env.body_case = P2PF__ENVELOPE__BODY_PONG;
    e.env.pong = &pong;
    ovl_node_send_env (node, to, &e.env);
}

/* ------------------------------------------------------------------ */
/* watched nodes */

ovl_watch_t *
ovl_liveness_watch_find (ovl_node_t *node, ovl_id_t id)
{
    for (int i = 0; i < node->n_watch; i++)
        if (ovl_id_eq (node->watch[i].h.id, id))
            return &node->watch[i];
    return NULL;
}

static void
s_watch_keep (ovl_node_t *node, const ovl_handle_t *h, uint64_t now_ms)
{
    ovl_watch_t *w = ovl_liveness_watch_find (node, h->id);
    if (w) {
        w->keep = 1;
        return;
    }
    if (ovl_node_grow ((void **)&node->watch, &node->cap_watch, node->n_watch + 1,
                       sizeof *node->watch))
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
void
ovl_liveness_watch_sync (ovl_node_t *node, uint64_t now_ms)
{
    for (int i = 0; i < node->n_watch; i++)
        node->watch[i].keep = 0;
    ovl_handle_t leaves[2 * OVL_NODE_LEAF_HALF];
    int n = ovl_leafset_list (node->leafset, leaves, 2 * OVL_NODE_LEAF_HALF);
    for (int i = 0; i < n; i++)
        s_watch_keep (node, &leaves[i], now_ms);
    for (int g = 0; g < node->n_groups; g++) {
        ovl_group_t *gr = &node->groups[g];
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
int
ovl_liveness_leaves (ovl_node_t *node, uint64_t now_ms, ovl_handle_t *out, int max)
{
    int n = ovl_leafset_list (node->leafset, out, max);
    if (!node->cfg.ping_interval_ms || !node->cfg.fail_timeout_ms)
        return n;
    int k = 0;
    for (int i = 0; i < n; i++) {
        const ovl_watch_t *w = ovl_liveness_watch_find (node, out[i].id);
        if (w && now_ms > w->last_heard_ms + node->cfg.fail_timeout_ms / 2)
            continue;
        out[k++] = out[i];
    }
    return k;
}

/* ------------------------------------------------------------------ */
/* learning nodes */

/* Add a live node to the routing state. Returns 1 if the leaf set changed. */
static int
s_learn (ovl_node_t *node, const ovl_handle_t *h, uint64_t now_ms)
{
    if (ovl_node_is_self (node, h->id) || s_recently_dead (node, h->id, now_ms))
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
int
ovl_liveness_learn_gossip (ovl_node_t *node, const ovl_handle_t *h, uint64_t now_ms)
{
    if (ovl_node_is_self (node, h->id) || s_recently_dead (node, h->id, now_ms))
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
void
ovl_liveness_leaves_changed (ovl_node_t *node, uint64_t now_ms)
{
    ovl_liveness_watch_sync (node, now_ms);
    ovl_groups_check_root (node, now_ms);
}

/* Any message proves the sender alive and teaches us about it. */
void
ovl_liveness_heard (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from,
                    const P2pf__Envelope *env)
{
    s_forget_dead (node, from->id);
    ovl_watch_t *w = ovl_liveness_watch_find (node, from->id);
    if (w)
        w->last_heard_ms = now_ms;
    /* ...except a newcomer's own JOIN: until its join completes it is not
     * part of the ring, and as our leaf it would swallow its own JOIN (and
     * every key near its id). It enters our state when it announces. */
    int joining_sender = env->body_case == P2PF__ENVELOPE__BODY_ROUTED &&
                         env->routed->kind_case == P2PF__ROUTED__KIND_JOIN &&
                         ovl_id_eq (ovl_wire_id (env->routed->origin->id), from->id);
    /* ...and a goodbye: a node that leaves is not learned on its way out. */
    int leaving_sender = env->body_case == P2PF__ENVELOPE__BODY_LEAVE;
    if (!joining_sender && !leaving_sender && s_learn (node, from, now_ms))
        ovl_liveness_leaves_changed (node, now_ms);
}

/* ------------------------------------------------------------------ */
/* declaring a node dead */

/* Out of our state for good (for dead_memory_ms): it crashed, or, with
 * left, it said goodbye. */
static void
s_declare_dead (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *who, int left)
{
    ovl_handle_t dead = *who; /* who may point into a table we change */
    if (ovl_node_is_self (node, dead.id))
        return;
    const ovl_watch_t *w = ovl_liveness_watch_find (node, dead.id);
    uint64_t silent_ms = w && now_ms > w->last_heard_ms ? now_ms - w->last_heard_ms : 0;
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
    int watched = ovl_liveness_watch_find (node, dead.id) != NULL;
    if (ovl_node_grow ((void **)&node->dead, &node->cap_dead, node->n_dead + 1,
                       sizeof *node->dead) == 0) {
        node->dead[node->n_dead].id = dead.id;
        node->dead[node->n_dead].until_ms = now_ms + node->cfg.dead_memory_ms;
        node->n_dead++;
    }
    ovl_groups_lost_link (node, now_ms, &dead);
    if (was_leaf) {
        const ovl_handle_t *ask = ovl_leafset_farthest (node->leafset, side);
        if (!ask)
            ask = ovl_leafset_farthest (node->leafset, -side);
        if (ask)
            s_send_leafset_request (node, ask);
        ovl_liveness_leaves_changed (node, now_ms);
    } else {
        ovl_liveness_watch_sync (node, now_ms);
    }
    if ((was_leaf || in_table || watched) && left && node->up.node_left) {
        node->stats.nodes_left++;
        node->up.node_left (node->up.ctx, &dead);
    } else if (was_leaf || in_table || watched) {
        node->stats.nodes_lost++;
        if (node->up.node_lost)
            node->up.node_lost (node->up.ctx, &dead, left ? 0 : silent_ms);
    }
    /* Hops still waiting on it will never be acknowledged. */
    for (int i = 0; i < node->n_pending; i++) {
        if (ovl_id_eq (node->pending[i].to.id, dead.id)) {
            ovl_route_pending_retry (node, now_ms, i);
            i = -1; /* the array changed under us: start over */
        }
    }
}

/* ------------------------------------------------------------------ */
/* incoming envelopes */

/* A node says goodbye: out of our state now, as if its failure timeout
 * had passed, and reported as left. */
void
ovl_liveness_on_leave (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from)
{
    s_declare_dead (node, now_ms, from, 1);
}

/* Someone repairing its leaf set asks for ours. */
void
ovl_liveness_on_leafset_request (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from)
{
    ovl_env_t e;
    ovl_node_env_init (node, &e);
    ovl_handle_t leaves[2 * OVL_NODE_LEAF_HALF];
    int n = ovl_liveness_leaves (node, now_ms, leaves, 2 * OVL_NODE_LEAF_HALF);
    P2pf__NodeHandle msgs[2 * OVL_NODE_LEAF_HALF], *ptrs[2 * OVL_NODE_LEAF_HALF];
    uint8_t ids[2 * OVL_NODE_LEAF_HALF][16];
    for (int i = 0; i < n; i++) {
        ovl_wire_handle_set (&msgs[i], ids[i], &leaves[i]);
        ptrs[i] = &msgs[i];
    }
    P2pf__LeafSetReply rep = P2PF__LEAF_SET_REPLY__INIT;
    rep.n_leaves = (size_t)n;
    rep.leaves = ptrs;
    e.env.body_case = P2PF__ENVELOPE__BODY_LEAFSET_REPLY;
    e.env.leafset_reply = &rep;
    ovl_node_send_env (node, from, &e.env);
}

/* The answer to a LeafSetRequest of ours. */
void
ovl_liveness_on_leafset_reply (ovl_node_t *node, uint64_t now_ms, const P2pf__LeafSetReply *rep)
{
    int changed = 0;
    for (size_t i = 0; i < rep->n_leaves; i++) {
        ovl_handle_t h;
        ovl_wire_handle_get (rep->leaves[i], &h);
        changed |= ovl_liveness_learn_gossip (node, &h, now_ms);
    }
    if (changed)
        ovl_liveness_leaves_changed (node, now_ms);
}

/* ------------------------------------------------------------------ */
/* timers */

/* Leaf-set exchange: repair asks once, when a leaf dies; after a crash
 * of many neighbours at once, two live nodes can be left not knowing
 * each other. Asking both farthest leaves now and then closes that.
 * Only while probing: it is part of failure handling. */
uint64_t
ovl_liveness_leaf_maint_deadline_ms (const ovl_node_t *node)
{
    return node->cfg.ping_interval_ms && node->cfg.leaf_maint_ms && node->joined
               ? node->next_leaf_maint_ms
               : UINT64_MAX;
}

void
ovl_liveness_leaf_maint_fire (ovl_node_t *node, uint64_t now_ms)
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
uint64_t
ovl_liveness_probe_deadline_ms (const ovl_node_t *node)
{
    uint64_t t = UINT64_MAX;
    if (node->cfg.ping_interval_ms) {
        for (int i = 0; i < node->n_watch; i++) {
            const ovl_watch_t *w = &node->watch[i];
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

void
ovl_liveness_probe_fire (ovl_node_t *node, uint64_t now_ms)
{
    for (int i = 0; i < node->n_watch; i++) {
        ovl_watch_t *w = &node->watch[i];
        if (node->cfg.fail_timeout_ms && now_ms >= w->last_heard_ms + node->cfg.fail_timeout_ms) {
            ovl_handle_t dead = w->h;
            s_declare_dead (node, now_ms, &dead, 0);
            i = -1; /* the watch list changed */
            continue;
        }
        uint64_t quiet_since =
            w->last_heard_ms > w->last_ping_ms ? w->last_heard_ms : w->last_ping_ms;
        if (now_ms >= quiet_since + node->cfg.ping_interval_ms) {
            ovl_env_t e;
            ovl_node_env_init (node, &e);
            P2pf__Ping ping = P2PF__PING__INIT;
            ping.nonce = ovl_rng_next (&node->rng);
            e.env.body_case = P2PF__ENVELOPE__BODY_PING;
            e.env.ping = &ping;
            w->last_ping_ms = now_ms;
            ovl_handle_t to = w->h;
            ovl_node_send_env (node, &to, &e.env);
        }
    }
}
