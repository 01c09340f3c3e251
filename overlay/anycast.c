/* anycast.c: anycast in a group's tree -- a depth-first walk of the tree
 * that offers the payload to each member until one takes it, and its
 * outcome, reported to the starter once: accepted, refused by all, or
 * failed after anycast_timeout_ms (node_internal.h says how the core is
 * split). */
#include "node_internal.h"

#include <stdlib.h>
#include <string.h>

/* Nodes an anycast walk carries: visited, and still to visit. */
#define S_ANYCAST_LIST_MAX 256

/* 1 if id is among the n visited ids of an anycast walk. */
static int
s_visited (const ProtobufCBinaryData *visited, size_t n, ovl_id_t id)
{
    for (size_t k = 0; k < n; k++)
        if (ovl_id_eq (ovl_wire_id (visited[k]), id))
            return 1;
    return 0;
}

/* The result of our anycast id: reported once, if it is still awaited
 * (one that timed out, or a duplicate, is dropped). */
static void
s_anycast_settle (ovl_node_t *node, uint64_t id, int accepted, const ovl_handle_t *by)
{
    int i = 0;
    while (i < node->n_anycasts && node->anycasts[i].id != id)
        i++;
    if (i == node->n_anycasts) {
        node->stats.dropped_other++;
        return;
    }
    memmove (&node->anycasts[i], &node->anycasts[i + 1],
             (size_t)(node->n_anycasts - i - 1) * sizeof node->anycasts[0]);
    node->n_anycasts--;
    if (node->up.anycast_result)
        node->up.anycast_result (node->up.ctx, id, accepted, by);
}

/* Offer an anycast here; else continue the depth-first walk. */
void
ovl_anycast_step (ovl_node_t *node, const P2pf__AnycastWalk *w, ovl_group_t *g)
{
    ovl_handle_t origin;
    ovl_wire_handle_get (w->origin, &origin);
    if (g && g->member && node->up.anycast_accept &&
        node->up.anycast_accept (node->up.ctx, g->key, w->payload.data, w->payload.len, &origin)) {
        ovl_env_t e;
        ovl_node_env_init (node, &e);
        uint8_t by_id[16];
        P2pf__NodeHandle by;
        ovl_wire_handle_set (&by, by_id, &node->self);
        P2pf__AnycastResult res = P2PF__ANYCAST_RESULT__INIT;
        res.anycast_id = w->anycast_id;
        res.accepted = 1;
        res.by = &by;
        e.env.body_case = P2PF__ENVELOPE__BODY_ANYCAST_RESULT;
        e.env.anycast_result = &res;
        if (ovl_node_is_self (node, origin.id)) {
            s_anycast_settle (node, w->anycast_id, 1, &node->self);
        } else {
            ovl_node_send_env (node, &origin, &e.env);
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
    ovl_env_t e;
    ovl_node_env_init (node, &e);
    if (ns == 0) {
        P2pf__AnycastResult res = P2PF__ANYCAST_RESULT__INIT;
        res.anycast_id = w->anycast_id;
        res.accepted = 0;
        e.env.body_case = P2PF__ENVELOPE__BODY_ANYCAST_RESULT;
        e.env.anycast_result = &res;
        if (ovl_node_is_self (node, origin.id)) {
            s_anycast_settle (node, w->anycast_id, 0, NULL);
        } else {
            ovl_node_send_env (node, &origin, &e.env);
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
    ovl_node_send_env (node, &next, &e.env);
done:
    free (visited);
    free (ids);
    free (stack);
    free (stack_msgs);
    free (stack_ptrs);
    free (stack_ids);
}

/* An anycast's depth-first walk reached us. */
void
ovl_groups_on_anycast_walk (ovl_node_t *node, const P2pf__AnycastWalk *walk)
{
    ovl_anycast_step (node, walk, ovl_groups_find (node, ovl_wire_id (walk->group)));
}

/* The outcome of an anycast we started. */
void
ovl_groups_on_anycast_result (ovl_node_t *node, const P2pf__AnycastResult *res)
{
    ovl_handle_t by;
    int have_by = res->by != NULL;
    if (have_by)
        ovl_wire_handle_get (res->by, &by);
    s_anycast_settle (node, res->anycast_id, res->accepted, have_by ? &by : NULL);
}

/* An anycast unanswered for anycast_timeout_ms: its walk was lost with a
 * node (or a message of it), and nobody else will answer -- report it
 * failed, so the layer above may try again or otherwise. */
uint64_t
ovl_groups_anycast_deadline_ms (const ovl_node_t *node)
{
    return node->n_anycasts ? node->anycasts[0].deadline_ms : UINT64_MAX;
}

void
ovl_groups_anycast_fire (ovl_node_t *node, uint64_t now_ms)
{
    while (node->n_anycasts > 0 && node->anycasts[0].deadline_ms <= now_ms) {
        node->stats.anycasts_timed_out++;
        s_anycast_settle (node, node->anycasts[0].id, 0, NULL);
    }
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
    /* Awaited from now (the walk may end here at once), oldest first: the
     * deadlines come in order. Full: the oldest has waited longest. */
    if (node->n_anycasts == OVL_ANYCASTS_MAX)
        s_anycast_settle (node, node->anycasts[0].id, 0, NULL);
    node->anycasts[node->n_anycasts].id = any.anycast_id;
    node->anycasts[node->n_anycasts].deadline_ms =
        node->cfg.anycast_timeout_ms ? now_ms + node->cfg.anycast_timeout_ms : UINT64_MAX;
    node->n_anycasts++;
    P2pf__Routed r = P2PF__ROUTED__INIT;
    r.kind_case = P2PF__ROUTED__KIND_ANYCAST;
    r.anycast = &any;
    /* If we are in the tree ourselves, the walk starts here. */
    ovl_route_local (node, now_ms, &r, k);
    return any.anycast_id;
}
