/* node.c: the overlay node core's life cycle, message dispatch, timer
 * table and queries (see node.h; node_internal.h says how the core is
 * split among files).
 *
 * Every message is an Envelope (wire.proto) decoded and validated by
 * wire.c; everything the node sends goes through ovl_node_send_env. */
#include "node_internal.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* small helpers */

int
ovl_node_grow (void **arr, int *cap, int need, size_t elem)
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

int
ovl_node_is_self (const ovl_node_t *node, ovl_id_t id)
{
    return ovl_id_eq (node->self.id, id);
}

/* Encode env and hand it to the driver. */
void
ovl_node_send_env (ovl_node_t *node, const ovl_handle_t *to, const P2pf__Envelope *env)
{
    if (node->left)
        return; /* it said goodbye: silent for good */
    size_t len = 0;
    uint8_t *bytes = ovl_wire_encode_alloc (env, &len);
    if (!bytes)
        return; /* too big or out of memory: nothing sensible to send */
    node->stats.msgs_sent++;
    node->stats.bytes_sent += len;
    node->up.send (node->up.ctx, to, bytes, len);
    free (bytes);
}

void
ovl_node_env_init (ovl_node_t *node, ovl_env_t *e)
{
    ovl_wire_envelope_init (&e->env, &e->from, e->from_id, &node->self);
}

/* ------------------------------------------------------------------ */
/* incoming envelopes */

static void
s_handle (ovl_node_t *node, uint64_t now_ms, P2pf__Envelope *env)
{
    ovl_handle_t from;
    ovl_wire_handle_get (env->from, &from);
    if (ovl_node_is_self (node, from.id)) {
        node->stats.dropped_other++; /* our own id from elsewhere: ignore it */
        return;
    }
    ovl_liveness_heard (node, now_ms, &from, env);

    switch (env->body_case) {
    case P2PF__ENVELOPE__BODY_PING:
        ovl_liveness_send_pong (node, &from, env->ping->nonce);
        break;
    case P2PF__ENVELOPE__BODY_PONG:
        break; /* liveness was refreshed above */
    case P2PF__ENVELOPE__BODY_ROUTED:
        ovl_route_on_routed (node, now_ms, &from, env->routed);
        break;
    case P2PF__ENVELOPE__BODY_ROUTED_ACK:
        ovl_route_on_ack (node, &from, env->routed_ack);
        break;
    case P2PF__ENVELOPE__BODY_JOIN_ROW:
        ovl_route_on_join_row (node, now_ms, env->join_row);
        break;
    case P2PF__ENVELOPE__BODY_JOIN_LEAVES:
        ovl_route_on_join_leaves (node, now_ms, env->join_leaves);
        break;
    case P2PF__ENVELOPE__BODY_ANNOUNCE:
        /* Learned above; answer, so the announcer hears from us first-hand
         * and may take us into its leaf set. */
        ovl_liveness_send_pong (node, &from, 0);
        break;
    case P2PF__ENVELOPE__BODY_LEAFSET_REQUEST:
        ovl_liveness_on_leafset_request (node, now_ms, &from);
        break;
    case P2PF__ENVELOPE__BODY_LEAFSET_REPLY:
        ovl_liveness_on_leafset_reply (node, now_ms, env->leafset_reply);
        break;
    case P2PF__ENVELOPE__BODY_GROUP_JOIN_ACCEPT:
        ovl_groups_on_join_accept (node, now_ms, &from, env->group_join_accept);
        break;
    case P2PF__ENVELOPE__BODY_GROUP_REDIRECT:
        ovl_groups_on_redirect (node, now_ms, env->group_redirect);
        break;
    case P2PF__ENVELOPE__BODY_GROUP_LEAVE:
        ovl_groups_on_leave (node, now_ms, &from, env->group_leave);
        break;
    case P2PF__ENVELOPE__BODY_GROUP_DATA:
        ovl_groups_on_data (node, env->group_data);
        break;
    case P2PF__ENVELOPE__BODY_ANYCAST_WALK:
        ovl_groups_on_anycast_walk (node, env->anycast_walk);
        break;
    case P2PF__ENVELOPE__BODY_ANYCAST_RESULT:
        ovl_groups_on_anycast_result (node, env->anycast_result);
        break;
    case P2PF__ENVELOPE__BODY_ROW_REQUEST:
        ovl_route_on_row_request (node, &from, env->row_request);
        break;
    case P2PF__ENVELOPE__BODY_APP:
        if (node->up.app)
            node->up.app (node->up.ctx, &from, env->app->payload.data, env->app->payload.len);
        break;
    case P2PF__ENVELOPE__BODY_LEAVE:
        ovl_liveness_on_leave (node, now_ms, &from);
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
    if (node->left) {
        node->stats.dropped_other++;
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

/* Every timer of the node, each a pair from the part it belongs to: when
 * it is next due (UINT64_MAX: not armed) and what it does then.
 * ovl_node_on_tick and ovl_node_next_deadline_ms both read this table, so
 * a timer cannot be armed in one and forgotten in the other; a row fires
 * only once its deadline has come, so a pair's deadline must cover every
 * case its fire acts on. Rows fire in table order, and the order is
 * behaviour: it decides which timer draws which random number and which
 * message goes out first, so reordering rows changes every seeded run. */
typedef struct {
    const char *name;                                 /* for a debugger or a trace */
    uint64_t (*deadline_ms) (const ovl_node_t *node); /* UINT64_MAX: not armed */
    void (*fire) (ovl_node_t *node, uint64_t now_ms); /* do what is due at now_ms */
} s_timer_t;

static const s_timer_t s_timers[] = {
    { "ack", ovl_route_acks_deadline_ms, ovl_route_acks_fire },
    { "join", ovl_route_join_deadline_ms, ovl_route_join_fire },
    { "table-maint", ovl_route_table_maint_deadline_ms, ovl_route_table_maint_fire },
    { "group-retry", ovl_groups_retry_deadline_ms, ovl_groups_retry_fire },
    { "anycast", ovl_groups_anycast_deadline_ms, ovl_groups_anycast_fire },
    { "group-refresh", ovl_groups_refresh_deadline_ms, ovl_groups_refresh_fire },
    { "leaf-maint", ovl_liveness_leaf_maint_deadline_ms, ovl_liveness_leaf_maint_fire },
    { "probe", ovl_liveness_probe_deadline_ms, ovl_liveness_probe_fire },
};
#define S_TIMERS (sizeof s_timers / sizeof s_timers[0])

void
ovl_node_on_tick (ovl_node_t *node, uint64_t now_ms)
{
    /* Each deadline is read after the timers before it ran: their work
     * (a retried hop, a declared death) may have armed or disarmed it. */
    if (node->left)
        return;
    for (size_t i = 0; i < S_TIMERS; i++)
        if (s_timers[i].deadline_ms (node) <= now_ms)
            s_timers[i].fire (node, now_ms);
}

uint64_t
ovl_node_next_deadline_ms (const ovl_node_t *node)
{
    uint64_t t = UINT64_MAX;
    for (size_t i = 0; i < S_TIMERS && !node->left; i++) {
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
    c->join_timeout_ms = 1500;
    c->children_max = 4;
    c->dead_memory_ms = 10000;
    c->table_maint_ms = 60000;
    c->leaf_maint_ms = 5000;
    c->group_retry_ms = 1000;
    c->anycast_timeout_ms = 5000;
    c->group_refresh_ms = 10000;
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
    node->leafset = ovl_leafset_new (self->id, OVL_NODE_LEAF_HALF);
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
ovl_node_send_app (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *to,
                   const uint8_t *payload, size_t len)
{
    (void)now_ms;
    ovl_env_t e;
    ovl_node_env_init (node, &e);
    P2pf__App app = P2PF__APP__INIT;
    app.payload.data = (uint8_t *)payload;
    app.payload.len = len;
    e.env.body_case = P2PF__ENVELOPE__BODY_APP;
    e.env.app = &app;
    ovl_node_send_env (node, to, &e.env);
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
        const ovl_group_t *gr = &node->groups[g];
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

void
ovl_node_leave (ovl_node_t *node, uint64_t now_ms)
{
    (void)now_ms;
    if (node->left)
        return;
    /* Everyone who would otherwise wait a failure timeout for us: the
     * leaf set and routing table (who watch or route through us) and the
     * tree links (parents and children in every group). */
    int cap = 2 * OVL_NODE_LEAF_HALF + OVL_ID_DIGITS * 16;
    for (int g = 0; g < node->n_groups; g++)
        cap += 1 + node->groups[g].n_children;
    ovl_handle_t *to = malloc ((size_t)cap * sizeof *to);
    int n = to ? ovl_node_known_list (node, to, cap) : 0;
    ovl_env_t e;
    ovl_node_env_init (node, &e);
    P2pf__Leave leave = P2PF__LEAVE__INIT;
    e.env.body_case = P2PF__ENVELOPE__BODY_LEAVE;
    e.env.leave = &leave;
    for (int i = 0; i < n; i++)
        ovl_node_send_env (node, &to[i], &e.env);
    free (to);
    node->left = 1;
}

int
ovl_node_has_left (const ovl_node_t *node)
{
    return node->left;
}

size_t
ovl_node_known_count (const ovl_node_t *node)
{
    ovl_handle_t all[2 * OVL_NODE_LEAF_HALF + OVL_ID_DIGITS * 16 + 64];
    return (size_t)ovl_node_known_list (node, all, (int)(sizeof all / sizeof all[0]));
}
