/* groups.c: Scribe groups -- a tree per group, rooted at the live node
 * closest to the group's key: join and leave, multicast down the tree, and
 * its repair when a link dies, the root moves or a parent drops a child
 * (anycast walks the same trees: anycast.c; node_internal.h says how the
 * core is split). */
#include "node_internal.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* one group */

ovl_group_t *
ovl_groups_find (ovl_node_t *node, ovl_id_t key)
{
    for (int i = 0; i < node->n_groups; i++)
        if (ovl_id_eq (node->groups[i].key, key))
            return &node->groups[i];
    return NULL;
}

static ovl_group_t *
s_group_get (ovl_node_t *node, ovl_id_t key)
{
    ovl_group_t *g = ovl_groups_find (node, key);
    if (g)
        return g;
    if (ovl_node_grow ((void **)&node->groups, &node->cap_groups, node->n_groups + 1,
                       sizeof *node->groups))
        return NULL;
    g = &node->groups[node->n_groups];
    memset (g, 0, sizeof *g);
    g->key = key;
    node->n_groups++;
    return g;
}

static void
s_group_drop (ovl_node_t *node, ovl_group_t *g)
{
    free (g->children);
    *g = node->groups[--node->n_groups];
}

static void
s_group_root_upcall (ovl_node_t *node, ovl_group_t *g, int is_root)
{
    if (g->was_root == is_root)
        return;
    g->was_root = is_root;
    if (node->up.group_root)
        node->up.group_root (node->up.ctx, g->key, is_root);
}

/* A GroupJoin for g, on this node's own behalf: routed towards its key
 * (via NULL), or with its first hop `via`. */
static void
s_group_send_join_via (ovl_node_t *node, uint64_t now_ms, ovl_group_t *g, const ovl_handle_t *via)
{
    uint8_t key[16];
    ovl_id_to_bytes (g->key, key);
    P2pf__GroupJoin gj = P2PF__GROUP_JOIN__INIT;
    gj.group.data = key;
    gj.group.len = 16;
    P2pf__Routed r = P2PF__ROUTED__INIT;
    r.kind_case = P2PF__ROUTED__KIND_GROUP_JOIN;
    r.group_join = &gj;
    if (via) {
        ovl_handle_t to = *via; /* g may move */
        ovl_route_first_hop (node, now_ms, &to, &r, key);
    } else {
        ovl_route_local (node, now_ms, &r, key);
    }
}

static void
s_group_send_join (ovl_node_t *node, uint64_t now_ms, ovl_group_t *g)
{
    s_group_send_join_via (node, now_ms, g, NULL);
}

static void
s_group_send_simple (ovl_node_t *node, const ovl_handle_t *to, ovl_id_t group, int which)
{
    ovl_env_t e;
    ovl_node_env_init (node, &e);
    uint8_t key[16];
    ovl_id_to_bytes (group, key);
    P2pf__GroupJoinAccept acc = P2PF__GROUP_JOIN_ACCEPT__INIT;
    P2pf__GroupLeave leave = P2PF__GROUP_LEAVE__INIT;
    uint8_t path_ids[OVL_NODE_PATH_MAX][16];
    ProtobufCBinaryData path[OVL_NODE_PATH_MAX];
    if (which == P2PF__ENVELOPE__BODY_GROUP_JOIN_ACCEPT) {
        acc.group.data = key;
        acc.group.len = 16;
        /* our way to the root: ourselves, then our ancestors */
        const ovl_group_t *g = ovl_groups_find (node, group);
        int n = 0;
        ovl_wire_id_set (&path[n], path_ids[n], node->self.id);
        n++;
        for (int i = 0; g && i < g->n_ancestors && n < OVL_NODE_PATH_MAX; i++, n++)
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
    ovl_node_send_env (node, to, &e.env);
}

/* P asks to be our child in g: take it, or hand it to one of our children
 * when we are full. */
static void
s_group_add_child (ovl_node_t *node, uint64_t now_ms, ovl_group_t *g, const ovl_handle_t *p)
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
        ovl_env_t e;
        ovl_node_env_init (node, &e);
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
        ovl_node_send_env (node, p, &e.env);
        return;
    }
    if (ovl_node_grow ((void **)&g->children, &g->cap_children, g->n_children + 1,
                       sizeof *g->children))
        return; /* out of memory: the joiner will retry */
    g->children[g->n_children++] = *p;
    s_group_send_simple (node, p, g->key, P2PF__ENVELOPE__BODY_GROUP_JOIN_ACCEPT);
    ovl_liveness_watch_sync (node, now_ms);
}

/* Forward a publication down the tree, delivering it here if we are a
 * member and have not seen it. */
static void
s_group_multicast (ovl_node_t *node, ovl_group_t *g, const P2pf__GroupData *gd, ovl_id_t publisher)
{
    for (int i = 0; i < OVL_NODE_SEEN_MAX; i++)
        if (g->seen[i].seq == gd->seq && ovl_id_eq (g->seen[i].publisher, publisher) && gd->seq)
            return; /* a duplicate (tree repair can send one twice) */
    g->seen[g->seen_next].publisher = publisher;
    g->seen[g->seen_next].seq = gd->seq;
    g->seen_next = (g->seen_next + 1) % OVL_NODE_SEEN_MAX;

    ovl_env_t e;
    ovl_node_env_init (node, &e);
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

/* ------------------------------------------------------------------ */
/* tree repair */

/* A tree link (parent or child) died. */
void
ovl_groups_lost_link (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *dead)
{
    for (int i = 0; i < node->n_groups; i++) {
        ovl_group_t *g = &node->groups[i];
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
void
ovl_groups_check_root (ovl_node_t *node, uint64_t now_ms)
{
    for (int i = 0; i < node->n_groups; i++) {
        ovl_group_t *g = &node->groups[i];
        if (!g->in_tree)
            continue;
        int closest = ovl_route_next_hop (node, g->key) == NULL;
        if (closest && g->has_parent) {
            /* We are the root now: leave the old parent. */
            s_group_send_simple (node, &g->parent, g->key, P2PF__ENVELOPE__BODY_GROUP_LEAVE);
            g->has_parent = 0;
            g->n_ancestors = 0;
            ovl_liveness_watch_sync (node, now_ms);
        }
        if (!closest && !g->has_parent && g->was_root) {
            /* Someone closer arrived: hang our tree under it -- retrying,
             * like any parentless member, until a parent takes us (one lost
             * join cut the whole tree off the new root for good). */
            s_group_root_upcall (node, g, 0);
            g->retry_ms = now_ms + node->cfg.group_retry_ms;
            s_group_send_join (node, now_ms, g);
            g = &node->groups[i];
        }
        if (closest && !g->has_parent)
            s_group_root_upcall (node, g, 1);
    }
}

/* ------------------------------------------------------------------ */
/* routed messages */

/* A GroupJoin or Anycast passing through on its way to the root (from
 * NULL: it starts here). 1 if its journey stops here, 0 if it goes on. */
int
ovl_groups_routed_arrive (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from,
                          P2pf__Routed *r)
{
    switch (r->kind_case) {
    case P2PF__ROUTED__KIND_GROUP_JOIN: {
        ovl_group_t *g = s_group_get (node, ovl_wire_id (r->group_join->group));
        if (!g)
            return 1;
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
        g = ovl_groups_find (node, ovl_wire_id (r->group_join->group));
        if (was_in_tree && from)
            return 1; /* attached, or our own join is under way: it stops here */
        g->in_tree = 1;
        /* Not yet in the tree: continue on our own behalf. */
        break;
    }
    case P2PF__ROUTED__KIND_ANYCAST: {
        ovl_group_t *g = ovl_groups_find (node, ovl_wire_id (r->anycast->group));
        if (g && g->in_tree) {
            P2pf__AnycastWalk w = P2PF__ANYCAST_WALK__INIT;
            w.group = r->anycast->group;
            w.payload = r->anycast->payload;
            w.anycast_id = r->anycast->anycast_id;
            w.origin = r->origin;
            ovl_anycast_step (node, &w, g);
            return 1;
        }
        break;
    }
    default:
        break;
    }
    return 0;
}

/* Where a GroupJoin, Publish or Anycast routed towards a group's key ends:
 * at the group's root. */
void
ovl_groups_routed_complete (ovl_node_t *node, P2pf__Routed *r)
{
    ovl_handle_t origin;
    ovl_wire_handle_get (r->origin, &origin);
    switch (r->kind_case) {
    case P2PF__ROUTED__KIND_GROUP_JOIN: {
        /* The join ends at the root: that is us. */
        ovl_group_t *g = s_group_get (node, ovl_wire_id (r->group_join->group));
        if (g) {
            g->in_tree = 1;
            g->has_parent = 0;
            s_group_root_upcall (node, g, 1);
        }
        break;
    }
    case P2PF__ROUTED__KIND_PUBLISH: {
        ovl_group_t *g = ovl_groups_find (node, ovl_wire_id (r->publish->group));
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
        ovl_anycast_step (node, &w, ovl_groups_find (node, ovl_wire_id (r->anycast->group)));
        break;
    }
    default:
        break;
    }
}

/* ------------------------------------------------------------------ */
/* incoming envelopes */

/* A parent took us into g's tree; path is its way to the root. */
void
ovl_groups_on_join_accept (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from,
                           const P2pf__GroupJoinAccept *acc)
{
    ovl_group_t *g = ovl_groups_find (node, ovl_wire_id (acc->group));
    if (!g || !g->in_tree) {
        /* We left meanwhile: tell the would-be parent. */
        s_group_send_simple (node, from, ovl_wire_id (acc->group),
                             P2PF__ENVELOPE__BODY_GROUP_LEAVE);
        return;
    }
    for (size_t i = 0; i < acc->n_path; i++) {
        if (ovl_node_is_self (node, ovl_wire_id (acc->path[i]))) {
            /* Its way to the root runs through us: refuse, retry. */
            s_group_send_simple (node, from, g->key, P2PF__ENVELOPE__BODY_GROUP_LEAVE);
            if (!g->has_parent)
                g->retry_ms = now_ms + node->cfg.group_retry_ms;
            return;
        }
    }
    if (g->has_parent && !ovl_id_eq (g->parent.id, from->id))
        s_group_send_simple (node, &g->parent, g->key, P2PF__ENVELOPE__BODY_GROUP_LEAVE);
    /* Our ancestors changed: tell our children, whose paths run
     * through us. */
    int changed =
        !g->has_parent || !ovl_id_eq (g->parent.id, from->id) || g->n_ancestors != (int)acc->n_path;
    for (size_t i = 0; !changed && i < acc->n_path; i++)
        changed = !ovl_id_eq (g->ancestors[i], ovl_wire_id (acc->path[i]));
    g->has_parent = 1;
    g->parent = *from;
    g->retry_ms = 0;
    g->n_ancestors = 0;
    for (size_t i = 0; i < acc->n_path && i < OVL_NODE_PATH_MAX; i++)
        g->ancestors[g->n_ancestors++] = ovl_wire_id (acc->path[i]);
    if (changed)
        for (int c = 0; c < g->n_children; c++)
            s_group_send_simple (node, &g->children[c], g->key,
                                 P2PF__ENVELOPE__BODY_GROUP_JOIN_ACCEPT);
    s_group_root_upcall (node, g, 0);
    ovl_liveness_watch_sync (node, now_ms);
}

/* A full parent hands us on to one of its children. */
void
ovl_groups_on_redirect (ovl_node_t *node, uint64_t now_ms, const P2pf__GroupRedirect *red)
{
    ovl_group_t *g = ovl_groups_find (node, ovl_wire_id (red->group));
    if (!g || !g->in_tree)
        return;
    ovl_handle_t to;
    ovl_wire_handle_get (red->to, &to);
    if (ovl_node_is_self (node, to.id))
        return;
    /* Join the suggested child directly; it is in the tree, so the
     * join stops there. */
    uint8_t key[16];
    ovl_id_to_bytes (g->key, key);
    P2pf__GroupJoin gj = P2PF__GROUP_JOIN__INIT;
    gj.group.data = key;
    gj.group.len = 16;
    P2pf__Routed r = P2PF__ROUTED__INIT;
    r.kind_case = P2PF__ROUTED__KIND_GROUP_JOIN;
    r.group_join = &gj;
    ovl_route_first_hop (node, now_ms, &to, &r, key);
}

/* A child left g's tree. */
void
ovl_groups_on_leave (ovl_node_t *node, uint64_t now_ms, const ovl_handle_t *from,
                     const P2pf__GroupLeave *leave)
{
    ovl_group_t *g = ovl_groups_find (node, ovl_wire_id (leave->group));
    if (!g)
        return;
    for (int c = 0; c < g->n_children; c++)
        if (ovl_id_eq (g->children[c].id, from->id))
            g->children[c--] = g->children[--g->n_children];
    if (!g->member && g->n_children == 0 && g->has_parent) {
        /* A forwarder with nothing left to forward to leaves too. */
        s_group_send_simple (node, &g->parent, g->key, P2PF__ENVELOPE__BODY_GROUP_LEAVE);
        s_group_drop (node, g);
    }
    ovl_liveness_watch_sync (node, now_ms);
}

/* A publication coming down the tree. */
void
ovl_groups_on_data (ovl_node_t *node, const P2pf__GroupData *gd)
{
    ovl_group_t *g = ovl_groups_find (node, ovl_wire_id (gd->group));
    if (!g || !g->in_tree) {
        node->stats.dropped_other++;
        return;
    }
    s_group_multicast (node, g, gd, ovl_wire_id (gd->publisher->id));
}

/* ------------------------------------------------------------------ */
/* timers */

/* Parentless tree members that are not the root: join again (a join
 * can be lost with the node it went through, or refused to avoid a
 * loop). */
uint64_t
ovl_groups_retry_deadline_ms (const ovl_node_t *node)
{
    uint64_t t = UINT64_MAX;
    for (int i = 0; i < node->n_groups; i++)
        if (node->groups[i].retry_ms && node->groups[i].retry_ms < t)
            t = node->groups[i].retry_ms;
    return t;
}

void
ovl_groups_retry_fire (ovl_node_t *node, uint64_t now_ms)
{
    for (int i = 0; i < node->n_groups; i++) {
        ovl_group_t *g = &node->groups[i];
        if (!g->in_tree || g->has_parent || !g->retry_ms || now_ms < g->retry_ms)
            continue;
        g->retry_ms = now_ms + node->cfg.group_retry_ms;
        if (ovl_route_next_hop (node, g->key) == NULL) {
            g->retry_ms = 0; /* we are the closest: the root */
            s_group_root_upcall (node, g, 1);
            continue;
        }
        s_group_send_join (node, now_ms, g);
        g = &node->groups[i];
    }
}

/* Tree members join again through their parent every group_refresh_ms: a
 * parent that dropped a child -- declared it dead under loss, or left the
 * tree when its last child seemed gone -- takes it back.
 * Without it such a child, its parent alive, waits for ever for data that
 * no longer comes (Scribe refreshes its trees the same way). Its cost: one
 * routed GroupJoin a member a period, stopped by the first tree node. */
uint64_t
ovl_groups_refresh_deadline_ms (const ovl_node_t *node)
{
    return node->cfg.group_refresh_ms && node->joined && node->n_groups > 0 ? node->next_refresh_ms
                                                                            : UINT64_MAX;
}

void
ovl_groups_refresh_fire (ovl_node_t *node, uint64_t now_ms)
{
    node->next_refresh_ms = now_ms + node->cfg.group_refresh_ms;
    for (int i = 0; i < node->n_groups; i++) {
        ovl_group_t *g = &node->groups[i];
        if (!g->in_tree || g->retry_ms)
            continue;
        if (!g->has_parent)
            continue;
        /* Through the parent: one that holds us accepts again and nothing
         * changes; one that dropped us takes us back. */
        s_group_send_join_via (node, now_ms, g, &g->parent);
        g = &node->groups[i];
    }
}

/* ------------------------------------------------------------------ */
/* commands and queries */

void
ovl_node_group_join (ovl_node_t *node, uint64_t now_ms, ovl_id_t group)
{
    ovl_group_t *g = s_group_get (node, group);
    if (!g)
        return;
    g->member = 1;
    if (g->in_tree) {
        /* Already in the tree: ask again all the same, keeping our parent
         * meanwhile. A parent that holds us answers with an accept; one
         * that dropped us (it declared us dead, or a GroupLeave of ours
         * overtook this node's later JOIN) takes us back. This is how a
         * member re-joins: a leave and a join sent at once can arrive the
         * other way round, and the parent then drops the child it has just
         * accepted (for good: the child still calls it its parent). */
        if (g->has_parent)
            s_group_send_join (node, now_ms, g);
        return;
    }
    g->in_tree = 1;
    if (ovl_route_next_hop (node, group) == NULL) {
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
    ovl_group_t *g = ovl_groups_find (node, group);
    if (!g)
        return;
    g->member = 0;
    if (g->n_children > 0)
        return; /* stay as a forwarder */
    if (g->has_parent)
        s_group_send_simple (node, &g->parent, group, P2PF__ENVELOPE__BODY_GROUP_LEAVE);
    s_group_root_upcall (node, g, 0);
    s_group_drop (node, g);
    ovl_liveness_watch_sync (node, now_ms);
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
    ovl_route_local (node, now_ms, &r, k);
}

int
ovl_node_group_info (const ovl_node_t *node, ovl_id_t group, int *is_member, int *is_root,
                     ovl_handle_t *parent, int *has_parent, int *children)
{
    const ovl_group_t *g = NULL;
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

int
ovl_node_group_has_child (const ovl_node_t *node, ovl_id_t group, ovl_id_t child)
{
    for (int i = 0; i < node->n_groups; i++)
        if (ovl_id_eq (node->groups[i].key, group))
            for (int c = 0; c < node->groups[i].n_children; c++)
                if (ovl_id_eq (node->groups[i].children[c].id, child))
                    return 1;
    return 0;
}

int
ovl_node_is_closest (const ovl_node_t *node, ovl_id_t key)
{
    return ovl_route_next_hop (node, key) == NULL;
}
