/* checks.c: running a world and judging it -- the census of where the job
 * stands, the invariants checked every step and at the end, and the
 * questions scenarios ask before they strike (who is master, who is root,
 * has the job got that far). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "world.h"

void
js_census (js_world_t *w, js_census_t *c)
{
    memset (c, 0, sizeof *c);
    c->master = -1;
    uint64_t master_term = 0;
    for (int i = 0; i < w->n_peers; i++) {
        js_peer_t *p = js_live_peer (w, i);
        if (!p)
            continue;
        c->live++;
        el_status_t st = js_status (w, i);
        const el_job_t *job = el_peer_job (el_stack_peer (p->stack));
        int ours = job && w->has_job && ovl_id_eq (job->id, w->job.id);
        if (ours && st.done == st.total)
            c->complete++;
        if (ours && st.done > c->max_done)
            c->max_done = st.done;
        if (st.term > c->term)
            c->term = st.term;
        if (st.is_master) {
            c->masters++;
            if (c->master < 0 || st.term > master_term) {
                c->master = i;
                master_term = st.term;
            }
        }
        c->electing += st.electing;
    }
}

/* The invariants that must hold at every step. */
static void
s_check_step (js_world_t *w)
{
    uint64_t now = ovl_simnet_now (w->sim);
    uint64_t bound = 5 * (uint64_t)w->cfg.job.election_timeout_ms;
    for (int i = 0; i < w->n_peers; i++) {
        js_peer_t *p = js_live_peer (w, i);
        if (!p)
            continue;
        el_status_t st = js_status (w, i);
        if (!st.electing) {
            p->electing_since_ms = UINT64_MAX;
        } else if (p->electing_since_ms == UINT64_MAX) {
            p->electing_since_ms = now;
        } else if (now - p->electing_since_ms > bound && !w->fail[0]) {
            js_fail (w,
                     "node %d has been electing since %" PRIu64 " ms (term %" PRIu64
                     ", has_master %d, done %u/%u)",
                     i, p->electing_since_ms, st.term, st.has_master, st.done, st.total);
            js_print_tree_path (w, i);
        }
        if (!st.is_master)
            continue;
        for (int j = i + 1; j < w->n_peers; j++) {
            js_peer_t *q = js_live_peer (w, j);
            if (!q)
                continue;
            el_status_t sq = js_status (w, j);
            if (sq.is_master && sq.term == st.term && ovl_id_eq (sq.elector, st.elector) &&
                ovl_id_eq (el_peer_job (el_stack_peer (p->stack))->id,
                           el_peer_job (el_stack_peer (q->stack))->id))
                js_fail (w, "nodes %d and %d are both master of term %" PRIu64, i, j, st.term);
        }
    }
}

int
js_run (js_world_t *w, uint64_t dt)
{
    uint64_t end = ovl_simnet_now (w->sim) + dt;
    while (!w->fail[0] && ovl_simnet_now (w->sim) < end) {
        ovl_simnet_run_until (w->sim, ovl_simnet_now (w->sim) + JS_STEP_MS);
        s_check_step (w);
    }
    return w->fail[0] ? -1 : 0;
}

int
js_run_until (js_world_t *w, int (*pred) (js_world_t *w), uint64_t limit_ms)
{
    uint64_t end = ovl_simnet_now (w->sim) + limit_ms;
    while (!w->fail[0] && ovl_simnet_now (w->sim) < end) {
        if (pred (w))
            return 1;
        js_run (w, JS_STEP_MS);
    }
    return !w->fail[0] && pred (w);
}

static int
s_reached (js_world_t *w)
{
    js_census_t c;
    js_census (w, &c);
    return (double)c.max_done / (double)w->prm.slices >= w->target;
}

int
js_run_to_progress (js_world_t *w, double share, uint64_t limit_ms)
{
    w->target = share;
    if (js_run_until (w, s_reached, limit_ms))
        return 1;
    js_fail (w, "the job never reached %.0f%% (within %" PRIu64 " ms)", 100.0 * share, limit_ms);
    return 0;
}

int
js_all_done (js_world_t *w)
{
    js_census_t c;
    js_census (w, &c);
    return c.complete == c.live;
}

int
js_someone_electing (js_world_t *w)
{
    js_census_t c;
    js_census (w, &c);
    return c.electing > 0;
}

int
js_new_master_elected (js_world_t *w)
{
    return w->elected_after_kill != 0;
}

/* The live node that roots the job's tree, -1 if none does (yet). A
 * parentless tree member is not necessarily the root (it may be joining
 * again): the root is the one the overlay told so (the group_root upcall,
 * which the core reports as is_root). */
int
js_job_root (js_world_t *w)
{
    for (int i = 0; i < w->n_peers; i++) {
        if (!js_live_peer (w, i))
            continue;
        el_status_t st = js_status (w, i);
        int parentless = 0;
        if (st.is_root &&
            ovl_node_group_info (ovl_simnet_node (w->sim, i), w->job.group, NULL, &parentless, NULL,
                                 NULL, NULL) &&
            parentless)
            return i;
    }
    return -1;
}

int
js_master (js_world_t *w)
{
    js_census_t c;
    js_census (w, &c);
    return c.master;
}

/* Kill node m as a master: time the recovery from now. */
void
js_kill_as_master (js_world_t *w, int m)
{
    js_kill (w, m);
    w->kill_ms = ovl_simnet_now (w->sim);
    w->reassign_ms = UINT64_MAX;
    w->elected_after_kill = 0;
}

int
js_kill_master (js_world_t *w)
{
    int m = js_master (w);
    if (m < 0) {
        js_fail (w, "no live master to kill");
        return -1;
    }
    js_kill_as_master (w, m);
    return 0;
}

/* A random live worker: neither master nor root. */
int
js_pick_worker (js_world_t *w)
{
    int m = js_master (w), r = js_job_root (w);
    for (int tries = 0; tries < 10000; tries++) {
        int v = js_pick_live (w);
        if (v != m && v != r)
            return v;
    }
    return -1;
}

/* Every live peer holds every slice, right to the bit, each credited to a
 * node that exists. */
static void
s_check_images (js_world_t *w)
{
    size_t npx = (size_t)24 * (size_t)w->prm.slices;
    for (int i = 0; i < w->n_peers && !w->fail[0]; i++) {
        js_peer_t *p = js_live_peer (w, i);
        if (!p)
            continue;
        const el_peer_t *peer = el_stack_peer (p->stack);
        const float *px = el_peer_pixels (peer);
        if (!px || memcmp (px, w->ref, npx * sizeof *px) != 0) {
            size_t k = 0;
            while (px && k < npx && memcmp (&px[k], &w->ref[k], sizeof *px) == 0)
                k++;
            js_fail (w, "node %d: image differs from the reference at pixel %zu (row %zu)", i, k,
                     k / 24);
            break;
        }
        for (uint32_t s = 0; s < (uint32_t)w->prm.slices; s++) {
            ovl_id_t by;
            if (!el_peer_slice_done (peer, s, &by)) {
                js_fail (w, "node %d: slice %u not done", i, s);
                break;
            }
            int known = 0;
            for (int j = 0; j < w->n_peers && !known; j++)
                known = ovl_id_eq (ovl_simnet_handle (w->sim, j)->id, by);
            if (!known) {
                char b[OVL_ID_SHORT_LEN + 1];
                ovl_id_short (by, b);
                js_fail (w, "node %d: slice %u credited to %s, no such node", i, s, b);
            }
        }
    }
}

/* Counters every peer must end with, and the run's figures. */
static void
s_check_stats (js_world_t *w, app_jobsim_result_t *res)
{
    uint64_t checks = 0;
    for (int i = 0; i < w->n_peers; i++) {
        const el_stats_t *st = el_peer_stats (el_stack_peer (w->peers[i]->stack));
        checks += st->checks_asked;
        /* Nobody lies here: a rejection is a false alarm. */
        if (st->slices_rejected)
            js_fail (w, "node %d rejected %" PRIu64 " honest slices", i, st->slices_rejected);
        if (st->dropped_malformed)
            js_fail (w, "node %d dropped %" PRIu64 " malformed messages", i, st->dropped_malformed);
        res->elections += st->elections_started;
        if (st->slices_duplicate > res->dup_max)
            res->dup_max = st->slices_duplicate;
    }
    if (w->n_peers > 1 && checks == 0)
        js_fail (w, "no received slice was checked");
}

int
js_finish (js_world_t **w_p, app_jobsim_result_t *res)
{
    js_world_t *w = *w_p;
    memset (res, 0, sizeof *res);
    if (!w->fail[0] && !w->has_job)
        js_fail (w, "no job was started");
    if (!w->fail[0]) {
        uint64_t now = ovl_simnet_now (w->sim);
        uint64_t end = w->job_ms + w->prm.bound_ms;
        if (!js_run_until (w, js_all_done, end > now ? end - now : 0) && !w->fail[0]) {
            js_census_t c;
            js_census (w, &c);
            js_fail (w,
                     "not done within %" PRIu64 " ms of the job's start: %d of %d live peers "
                     "complete, best holds %u/%d, %d masters, %d electing, term %" PRIu64,
                     w->prm.bound_ms, c.complete, c.live, c.max_done, w->prm.slices, c.masters,
                     c.electing, c.term);
            js_print_stuck (w);
        }
    }
    res->done_ms = ovl_simnet_now (w->sim) - w->job_ms;
    if (!w->fail[0])
        s_check_images (w);
    s_check_stats (w, res);
    for (int i = 0; i < w->n_terms; i++)
        res->terms += !w->terms[i].start && !w->terms[i].handoff;
    res->nodes = w->n_peers;
    res->reassign_ms = w->reassign_ms != UINT64_MAX ? w->reassign_ms - w->kill_ms : UINT64_MAX;
    res->msgs = ovl_simnet_messages (w->sim);
    res->trace_hash = ovl_simnet_trace_hash (w->sim);
    res->events_hash = w->events_hash;
    res->events = w->events;
    res->failed = w->fail[0] != 0;
    snprintf (res->fail, sizeof res->fail, "%s", w->fail);
    js_world_destroy (w_p);
    return res->failed;
}
