/* route.c: Pastry's key-based routing -- the next hop, routed messages
 * carried hop by hop, the join -- and the routing table's maintenance
 * (node_internal.h says how the core is split).
 *
 * Routed messages are acknowledged hop by hop: a hop that does not answer
 * within ack_timeout_ms is declared dead and the message takes another
 * way, so a dead routing-table entry costs one timeout, not the message. */
#include "node_internal.h"

#include <stdlib.h>
#include <string.h>

#define S_TRIES_MAX 8 /* retries of one hop before a routed message is dropped */
#define S_HOPS_MAX 64 /* hops before a routed message is dropped (loop guard) */

static void s_routed_forward (ovl_node_t *node, uint64_t now_ms, P2pf__Routed *r);
static void s_routed_arrive (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from,
                             P2pf__Routed *r);
static void s_maint_schedule (ovl_node_t *node, uint64_t now_ms);

/* ------------------------------------------------------------------ */
/* routing */

/* The next hop for key: NULL means this node is the closest it knows. */
const ovl_handle_t *
ovl_route_next_hop (const ovl_node_t *node, ovl_id_t key)
{
    if (ovl_node_is_self (node, key))
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
    ovl_handle_t leaves[2 * OVL_NODE_LEAF_HALF];
    int n = ovl_leafset_list (node->leafset, leaves, 2 * OVL_NODE_LEAF_HALF);
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

/* Send routed message r (fields as received) to `to` as the next hop, and
 * wait for its acknowledgement. */
void
ovl_route_send_routed (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *to,
                       const P2pf__Routed *r)
{
    ovl_env_t e;
    ovl_node_env_init (node, &e);
    P2pf__Routed copy = *r;
    copy.msg_id = ++node->next_msg_id;
    copy.hops = r->hops + 1;
    e.env.body_case = P2PF__ENVELOPE__BODY_ROUTED;
    e.env.routed = &copy;
    size_t len = 0;
    uint8_t *bytes = ovl_wire_encode_alloc (&e.env, &len);
    if (!bytes)
        return;
    if (ovl_node_grow ((void **)&node->pending, &node->cap_pending, node->n_pending + 1,
                       sizeof *node->pending)) {
        free (bytes);
        return;
    }
    node->stats.msgs_sent++;
    node->stats.bytes_sent += len;
    node->up.send (node->up.ctx, to, bytes, len);
    ovl_pending_t *p = &node->pending[node->n_pending++];
    p->msg_id = copy.msg_id;
    p->to = *to;
    p->deadline_ms = now_ms + node->cfg.ack_timeout_ms;
    p->bytes = bytes;
    p->len = len;
}

/* Routed message r from this node (hops 0): through our tables (to
 * NULL, a local command), or with its first hop chosen by the caller (a
 * join's bootstrap, a tree's suggested child). */
static void
s_originate (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *to, P2pf__Routed *r,
             const uint8_t key[16])
{
    P2pf__NodeHandle origin;
    uint8_t origin_id[16];
    ovl_wire_handle_set (&origin, origin_id, &node->self);
    r->key.data = (uint8_t *)key;
    r->key.len = 16;
    r->origin = &origin;
    r->hops = 0;
    r->route_id = ++node->next_route_id;
    if (to)
        ovl_route_send_routed (node, now_ms, to, r);
    else
        s_routed_arrive (node, now_ms, NULL, r);
    r->origin = NULL; /* origin dies with this frame; the caller keeps r */
}

void
ovl_route_local (ovl_node_t *node, uint64_t now_ms, P2pf__Routed *r, const uint8_t key[16])
{
    s_originate (node, now_ms, NULL, r, key);
}

void
ovl_route_first_hop (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *to, P2pf__Routed *r,
                     const uint8_t key[16])
{
    s_originate (node, now_ms, to, r, key);
}

/* ------------------------------------------------------------------ */
/* routed hops: acknowledgements, retries, duplicates */

/* Take pending[i] out and route its message again. */
void
ovl_route_pending_retry (ovl_node_t *node, uint64_t now_ms, int i)
{
    ovl_pending_t p = node->pending[i];
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
    if (!ovl_liveness_watch_find (node, to))
        ovl_rtable_remove (node->rtable, to);
    ovl_route_pending_retry (node, now_ms, i);
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
    for (int i = 0; i < OVL_NODE_SEEN_ROUTES; i++) {
        const ovl_route_seen_t *e = &node->routes_seen[i];
        if (e->route_id == r->route_id && ovl_id_eq (e->origin, origin) &&
            ovl_id_eq (e->from, from))
            return 1;
    }
    ovl_route_seen_t *e = &node->routes_seen[node->routes_seen_next];
    e->origin = origin;
    e->from = from;
    e->route_id = r->route_id;
    node->routes_seen_next = (node->routes_seen_next + 1) % OVL_NODE_SEEN_ROUTES;
    return 0;
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
        ovl_env_t e;
        ovl_node_env_init (node, &e);
        ovl_handle_t leaves[2 * OVL_NODE_LEAF_HALF];
        int n = ovl_liveness_leaves (node, now_ms, leaves, 2 * OVL_NODE_LEAF_HALF);
        P2pf__NodeHandle msgs[2 * OVL_NODE_LEAF_HALF], *ptrs[2 * OVL_NODE_LEAF_HALF];
        uint8_t ids[2 * OVL_NODE_LEAF_HALF][16];
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
        ovl_node_send_env (node, &origin, &e.env);
        break;
    }
    case P2PF__ROUTED__KIND_GROUP_JOIN:
    case P2PF__ROUTED__KIND_PUBLISH:
    case P2PF__ROUTED__KIND_ANYCAST:
        ovl_groups_routed_complete (node, r); /* Scribe's, ending at a root */
        break;
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
    const ovl_handle_t *next = ovl_route_next_hop (node, key);
    if (next && r->kind_case == P2PF__ROUTED__KIND_JOIN &&
        ovl_id_eq (next->id, ovl_wire_id (r->origin->id)))
        next = NULL; /* never route a JOIN to the newcomer itself */
    if (!next && r->kind_case == P2PF__ROUTED__KIND_JOIN &&
        ovl_node_is_self (node, ovl_wire_id (r->origin->id))) {
        /* Our own JOIN, back with us: the bootstrap did not answer and our
         * tables are empty. Joining a ring of one would be wrong; the join
         * starts over through the next bootstrap -- at once if there is
         * another (an ack timeout a dead address), else at its timeout (no
         * faster hammering of a single address). */
        node->stats.dropped_other++;
        if (node->joining && node->n_boots > 1)
            node->join_deadline_ms = now_ms;
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
    ovl_route_send_routed (node, now_ms, &to, r);
}

/* A routed message arrived from `from` (NULL when it starts here). */
static void
s_routed_arrive (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from, P2pf__Routed *r)
{
    ovl_handle_t origin;
    ovl_wire_handle_get (r->origin, &origin);
    switch (r->kind_case) {
    case P2PF__ROUTED__KIND_JOIN: {
        if (ovl_node_is_self (node, origin.id))
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
            ovl_env_t e;
            ovl_node_env_init (node, &e);
            P2pf__JoinRow jr = P2PF__JOIN_ROW__INIT;
            jr.row = (uint32_t)row;
            jr.n_entries = (size_t)k;
            jr.entries = ptrs;
            e.env.body_case = P2PF__ENVELOPE__BODY_JOIN_ROW;
            e.env.join_row = &jr;
            ovl_node_send_env (node, &origin, &e.env);
        }
        break;
    }
    case P2PF__ROUTED__KIND_GROUP_JOIN:
    case P2PF__ROUTED__KIND_ANYCAST:
        if (ovl_groups_routed_arrive (node, now_ms, from, r))
            return; /* it stops here */
        break;
    default:
        break;
    }
    s_routed_forward (node, now_ms, r);
}

/* ------------------------------------------------------------------ */
/* incoming envelopes */

/* A routed message from `from`: acknowledge the hop, then handle it unless
 * it is a retry of one already handled. */
void
ovl_route_on_routed (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from, P2pf__Routed *r)
{
    if (!node->joined && r->kind_case == P2PF__ROUTED__KIND_JOIN &&
        !ovl_node_is_self (node, ovl_wire_id (r->origin->id))) {
        /* Someone joins through us while we are still joining: what we
         * know is no ring yet. Answering as its closest node gave it a
         * leaf set without the ring's nodes, and it rooted group trees of
         * its own until leaf maintenance, seconds later, told it better
         * (sim --job joiners --seed 7116: an election nobody needed).
         * Not even acknowledged: the hop before takes us for unreachable
         * and routes around us, or the newcomer's join starts over at its
         * timeout (through us, joined by then, or its next address). An
         * acknowledged refusal taught the sender of us, and two joiners
         * refused each other's JOINs for ever. */
        node->stats.joins_refused++;
        return;
    }
    ovl_env_t e;
    ovl_node_env_init (node, &e);
    P2pf__RoutedAck ack = P2PF__ROUTED_ACK__INIT;
    ack.msg_id = r->msg_id;
    e.env.body_case = P2PF__ENVELOPE__BODY_ROUTED_ACK;
    e.env.routed_ack = &ack;
    ovl_node_send_env (node, from, &e.env);
    if (s_route_seen (node, r, from->id)) {
        node->stats.dropped_other++; /* a retry after a lost ack */
        return;
    }
    /* The retry budget is per hop: a long route through many dead
     * table entries must not run out on the way. */
    r->tries = 0;
    s_routed_arrive (node, now_ms, from, r);
}

/* The next hop took a routed message: stop waiting for it. */
void
ovl_route_on_ack (ovl_node_t *node, const ovl_handle_t *from, const P2pf__RoutedAck *ack)
{
    for (int i = 0; i < node->n_pending; i++) {
        const ovl_handle_t *to = &node->pending[i].to;
        /* A bootstrap given as HOST:PORT has no id yet (zero): its ack
         * is recognised by its address. */
        static const ovl_id_t zero = { 0, 0 };
        int same = ovl_id_eq (to->id, from->id) ||
                   (ovl_id_eq (to->id, zero) && strcmp (to->addr, from->addr) == 0);
        if (node->pending[i].msg_id == ack->msg_id && same) {
            free (node->pending[i].bytes);
            node->pending[i] = node->pending[--node->n_pending];
            break;
        }
    }
}

/* A row of someone's routing table: during a join, or as the answer to a
 * RowRequest of table maintenance. */
void
ovl_route_on_join_row (ovl_node_t *node, uint64_t now_ms, const P2pf__JoinRow *jr)
{
    int changed = 0;
    for (size_t i = 0; i < jr->n_entries; i++) {
        ovl_handle_t h;
        ovl_wire_handle_get (jr->entries[i], &h);
        changed |= ovl_liveness_learn_gossip (node, &h, now_ms);
    }
    if (changed)
        ovl_liveness_leaves_changed (node, now_ms);
}

/* The closest node's leaf set: our join is complete. */
void
ovl_route_on_join_leaves (ovl_node_t *node, uint64_t now_ms, const P2pf__JoinLeaves *jl)
{
    for (size_t i = 0; i < jl->n_leaves; i++) {
        ovl_handle_t h;
        ovl_wire_handle_get (jl->leaves[i], &h);
        ovl_liveness_learn_gossip (node, &h, now_ms); /* not joined yet: no announce here */
    }
    if (!node->joining) {
        node->stats.dropped_other++; /* a late answer to a join we restarted */
        ovl_liveness_leaves_changed (node, now_ms);
        return;
    }
    node->joining = 0;
    node->joined = 1;
    s_maint_schedule (node, now_ms);
    /* Tell everyone in our new state that we are here. */
    ovl_handle_t known[2 * OVL_NODE_LEAF_HALF + OVL_ID_DIGITS * 16];
    int n = ovl_node_known_list (node, known, (int)(sizeof known / sizeof known[0]));
    ovl_env_t e;
    ovl_node_env_init (node, &e);
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
    ovl_liveness_leaves_changed (node, now_ms);
    if (node->up.joined)
        node->up.joined (node->up.ctx, (int)jl->hops);
}

/* Table maintenance elsewhere asks for one row of our table. */
void
ovl_route_on_row_request (ovl_node_t *node, const ovl_handle_t *from, const P2pf__RowRequest *req)
{
    int row = (int)req->row;
    ovl_handle_t entries[16];
    int n = ovl_rtable_row (node->rtable, row, entries, 16);
    P2pf__NodeHandle msgs[16], *ptrs[16];
    uint8_t ids[16][16];
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (ovl_id_eq (entries[i].id, from->id))
            continue;
        ovl_wire_handle_set (&msgs[k], ids[k], &entries[i]);
        ptrs[k] = &msgs[k];
        k++;
    }
    ovl_env_t e;
    ovl_node_env_init (node, &e);
    P2pf__JoinRow jr = P2PF__JOIN_ROW__INIT;
    jr.row = (uint32_t)row;
    jr.n_entries = (size_t)k;
    jr.entries = ptrs;
    e.env.body_case = P2PF__ENVELOPE__BODY_JOIN_ROW;
    e.env.join_row = &jr;
    ovl_node_send_env (node, from, &e.env);
}

/* ------------------------------------------------------------------ */
/* timers */

/* Lazy routing-table repair, and how tables fill in over time (Pastry
 * section 2.4): ask a random entry of every row for its own row. Whoever we
 * learn that way hears from us (ovl_liveness_learn_gossip), so both tables improve. */
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
        ovl_env_t e;
        ovl_node_env_init (node, &e);
        P2pf__RowRequest req = P2PF__ROW_REQUEST__INIT;
        req.row = (uint32_t)row;
        e.env.body_case = P2PF__ENVELOPE__BODY_ROW_REQUEST;
        e.env.row_request = &req;
        ovl_node_send_env (node, &to, &e.env);
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

/* Hops nobody acknowledged in time: try another way. */
uint64_t
ovl_route_acks_deadline_ms (const ovl_node_t *node)
{
    uint64_t t = UINT64_MAX;
    for (int i = 0; i < node->n_pending; i++)
        if (node->pending[i].deadline_ms < t)
            t = node->pending[i].deadline_ms;
    return t;
}

void
ovl_route_acks_fire (ovl_node_t *node, uint64_t now_ms)
{
    for (int i = 0; i < node->n_pending; i++) {
        if (node->pending[i].deadline_ms <= now_ms) {
            s_pending_expired (node, now_ms, i);
            i = -1; /* the array changed under us: start over */
        }
    }
}

/* A join that got no leaf set in time starts over. */
uint64_t
ovl_route_join_deadline_ms (const ovl_node_t *node)
{
    return node->joining ? node->join_deadline_ms : UINT64_MAX;
}

/* A member learned during the join (from the rows and leaf sets that
 * came back before it stalled): the closest to us, or NULL. */
static const ovl_handle_t *
s_join_learned (const ovl_node_t *node)
{
    const ovl_handle_t *h = ovl_leafset_closest (node->leafset, node->self.id);
    if (h && !ovl_node_is_self (node, h->id))
        return h;
    return ovl_rtable_next_hop (node->rtable, node->self.id);
}

/* Send a JOIN: through the next address given, or on every second try a
 * member learned on the way. */
static void
s_join_send (ovl_node_t *node, uint64_t now_ms)
{
    uint32_t k = node->join_tries++;
    const ovl_handle_t *learned = k % 2 ? s_join_learned (node) : NULL;
    ovl_handle_t to = learned ? *learned : node->boots[node->boot_next++ % (uint32_t)node->n_boots];
    node->join_to = to;
    node->joining = 1;
    node->join_deadline_ms = now_ms + node->cfg.join_timeout_ms;
    uint8_t key[16];
    ovl_id_to_bytes (node->self.id, key);
    P2pf__Join join = P2PF__JOIN__INIT;
    P2pf__Routed r = P2PF__ROUTED__INIT;
    r.kind_case = P2PF__ROUTED__KIND_JOIN;
    r.join = &join;
    ovl_route_first_hop (node, now_ms, &to, &r, key);
}

void
ovl_route_join_fire (ovl_node_t *node, uint64_t now_ms)
{
    s_join_send (node, now_ms);
}

uint64_t
ovl_route_table_maint_deadline_ms (const ovl_node_t *node)
{
    return node->cfg.table_maint_ms && node->joined ? node->next_maint_ms : UINT64_MAX;
}

void
ovl_route_table_maint_fire (ovl_node_t *node, uint64_t now_ms)
{
    s_table_maintenance (node);
    s_maint_schedule (node, now_ms);
}

/* ------------------------------------------------------------------ */
/* commands */

void
ovl_node_start (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *bootstraps, size_t n)
{
    node->n_boots = 0;
    for (size_t i = 0; i < n && node->n_boots < OVL_BOOTSTRAPS_MAX; i++)
        if (!ovl_node_is_self (node, bootstraps[i].id))
            node->boots[node->n_boots++] = bootstraps[i];
    if (node->n_boots == 0) {
        node->joined = 1;
        node->joining = 0;
        s_maint_schedule (node, now_ms);
        if (node->up.joined)
            node->up.joined (node->up.ctx, 0);
        return;
    }
    node->join_tries = 0;
    node->boot_next = 0;
    s_join_send (node, now_ms);
}

const ovl_handle_t *
ovl_node_join_via (const ovl_node_t *node)
{
    return node->joining ? &node->join_to : NULL;
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
    ovl_route_local (node, now_ms, &r, k);
}
