/* diagnose.c: what the job simulator prints about a failing seed -- each job
 * message as a peer gets it (--trace), where a stuck peer hangs in the
 * job's tree, and which peers never completed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

int
js_node_of (const ovl_handle_t *h)
{
    unsigned i;
    return sscanf (h->addr, "sim:%u", &i) == 1 ? (int)i : -1;
}

void
js_trace_msg (js_world_t *w, int node, const char *how, const ovl_handle_t *from,
              const uint8_t *payload, size_t len)
{
    static const char *const names[] = { "announce",  "job_query", "master_query", "response",
                                         "work_req",  "assign",    "return",       "slice",
                                         "slice_req", "heartbeat", "elect_query",  "nominate",
                                         "elected" };
    if (!w->trace)
        return;
    uint64_t now = ovl_simnet_now (w->sim);
    el_msg_error_t why;
    P2pf__JobMsg *m = el_msg_decode (payload, len, &why);
    if (!m) {
        fprintf (w->trace, "%6" PRIu64 " node %d <%s %s: malformed (%s)\n", now, node, how,
                 from->addr, el_msg_strerror (why));
        return;
    }
    int k = (int)m->kind_case - P2PF__JOB_MSG__KIND_ANNOUNCE;
    char extra[128] = "";
    switch (m->kind_case) {
    case P2PF__JOB_MSG__KIND_HEARTBEAT:
        snprintf (extra, sizeof extra, "term %" PRIu64 "%s", m->heartbeat->term,
                  m->heartbeat->relinquish ? " relinquish" : "");
        break;
    case P2PF__JOB_MSG__KIND_MASTER_RESPONSE:
        snprintf (extra, sizeof extra, "term %" PRIu64 " master %s", m->master_response->term,
                  m->master_response->master ? m->master_response->master->addr : "none");
        break;
    case P2PF__JOB_MSG__KIND_ELECTION_QUERY:
        snprintf (extra, sizeof extra, "term %" PRIu64 " %s", m->election_query->term,
                  m->election_query->reason);
        break;
    case P2PF__JOB_MSG__KIND_NOMINATION:
        snprintf (extra, sizeof extra, "term %" PRIu64 " %s", m->nomination->term,
                  m->nomination->candidate->addr);
        break;
    case P2PF__JOB_MSG__KIND_ELECTED:
        snprintf (extra, sizeof extra, "term %" PRIu64 " %s %s", m->elected->term,
                  m->elected->master->addr, m->elected->reason);
        break;
    case P2PF__JOB_MSG__KIND_SLICE_DATA:
        snprintf (extra, sizeof extra, "%u", m->slice_data->slice);
        break;
    case P2PF__JOB_MSG__KIND_WORK_ASSIGN:
    case P2PF__JOB_MSG__KIND_SLICE_REQUEST:
    case P2PF__JOB_MSG__KIND_WORK_REQUEST: {
        size_t n = m->kind_case == P2PF__JOB_MSG__KIND_WORK_ASSIGN     ? m->work_assign->n_slices
                   : m->kind_case == P2PF__JOB_MSG__KIND_SLICE_REQUEST ? m->slice_request->n_slices
                                                                       : m->work_request->n;
        const uint32_t *l = m->kind_case == P2PF__JOB_MSG__KIND_WORK_ASSIGN ? m->work_assign->slices
                            : m->kind_case == P2PF__JOB_MSG__KIND_SLICE_REQUEST
                                ? m->slice_request->slices
                                : NULL;
        int o = snprintf (extra, sizeof extra, "n=%zu", n);
        for (size_t i = 0; l && i < n && i < 8; i++)
            o += snprintf (extra + o, sizeof extra - (size_t)o, " %u", l[i]);
        break;
    }
    default:
        break;
    }
    fprintf (w->trace, "%6" PRIu64 " node %d <%s %s: %s %s\n", now, node, how, from->addr,
             k >= 0 && k < 13 ? names[k] : "?", extra);
    el_msg_free (&m);
}

/* Where node i hangs in the job's tree: its chain of parents up to the
 * root, and whether it knows the node its routes to the root end at. */
void
js_print_tree_path (js_world_t *w, int i)
{
    if (!w->out)
        return;
    char line[512];
    int n = snprintf (line, sizeof line, "    job tree:");
    for (int cur = i, steps = 0; cur >= 0 && steps < 32; steps++) {
        int member = 0, root = 0, has_parent = 0, children = 0;
        ovl_handle_t parent;
        int in = ovl_node_group_info (ovl_simnet_node (w->sim, cur), w->job.group, &member, &root,
                                      &parent, &has_parent, &children);
        n += snprintf (line + n, sizeof line - (size_t)n, " %d%s%s%s(%d children)", cur,
                       ovl_simnet_alive (w->sim, cur) ? "" : " DEAD", !in ? " NOT IN TREE" : "",
                       root ? " PARENTLESS" : "", children);
        if (!in || root || !has_parent || (size_t)n >= sizeof line - 64)
            break;
        n += snprintf (line + n, sizeof line - (size_t)n, " ->");
        cur = js_node_of (&parent);
    }
    int closest = ovl_simnet_closest (w->sim, w->job.group);
    if (closest < 0) {
        fprintf (w->out, "%s; no live node\n", line);
        return;
    }
    ovl_handle_t leaves[16];
    int nl = ovl_node_leaf_list (ovl_simnet_node (w->sim, i), leaves, 16), knows = 0;
    for (int k = 0; k < nl; k++)
        knows |= js_node_of (&leaves[k]) == closest;
    /* ring distance in live nodes between i and closest: a leaf set holds
     * the 8 nearest on each side */
    int before = 0, after = 0;
    ovl_id_t a = ovl_simnet_handle (w->sim, i)->id, b = ovl_simnet_handle (w->sim, closest)->id;
    for (int k = 0; k < w->n_peers; k++) {
        if (!ovl_simnet_alive (w->sim, k) || k == i || k == closest)
            continue;
        ovl_id_t x = ovl_simnet_handle (w->sim, k)->id;
        if (ovl_id_cmp (ovl_id_sub (x, a), ovl_id_sub (b, a)) < 0)
            after++;
        else
            before++;
    }
    fprintf (w->out,
             "%s; key's closest live node %d, %s its leaf set (%d live nodes between them "
             "clockwise, %d counter-clockwise; leaf set holds %d)\n",
             line, closest, knows ? "in" : "NOT in", after, before, nl);
}

/* The peers that are not complete, and why they might not be. */
void
js_print_stuck (js_world_t *w)
{
    if (!w->out)
        return;
    for (int i = 0, shown = 0; i < w->n_peers && shown < 6; i++) {
        js_peer_t *p = js_live_peer (w, i);
        if (!p)
            continue;
        el_status_t st = js_status (w, i);
        if (st.has_job && st.done == st.total)
            continue;
        shown++;
        fprintf (w->out,
                 "  node %d: job %d, done %u/%u, term %" PRIu64 ", master %s%s, electing %d, "
                 "in flight %u, renders held %d\n",
                 i, st.has_job, st.done, st.total, st.term, st.has_master ? st.master.addr : "none",
                 st.is_master ? " (self)" : "", st.electing, st.in_flight, p->n_q);
        if (st.has_job) {
            js_print_tree_path (w, i);
        } else {
            /* JobQuery is routed to the network group's key */
            int nr = ovl_simnet_closest (w->sim, w->cfg.network);
            fprintf (w->out,
                     "    no job; the network group's key is closest to node %d, which has %s\n",
                     nr,
                     nr >= 0 && el_peer_job (el_stack_peer (w->peers[nr]->stack)) ? "the job"
                                                                                  : "no job");
        }
    }
}
