/* pulls.c: anti-entropy -- asking for the slices the master's heartbeats
 * call done that this peer lacks, and serving such requests
 * (peer_internal.h says how the protocol is split).
 *
 * Pulls ask only for slices done for two heartbeats or more (the
 * multicast tree had time to bring them), at most pull_max outstanding,
 * so a slice still on its way is not sent twice. */
#include "peer_internal.h"

#include <string.h>

/* Pulls in a row that bring nothing before a finished job's missing
 * slices are computed again. */
#define S_PULL_MISSES_MAX 3

/* Heartbeats of the master lacking a slice rendered here before its
 * renderer sends it to the master again. */
#define S_PUSH_AFTER 4

/* Ask for missing slices that the master has had for two heartbeats or
 * more (the multicast tree had time to bring them; under load it takes
 * more than one) and that no pull under way asked for already, keeping at
 * most pull_max outstanding. A slice arriving settles the pull and asks
 * for more; re-asking for what is still on its way would have its sender
 * send it again. What was asked for is asked again once request_timeout_ms
 * passed after the last pull (el_peer_on_tick). */
void
el_pulls_ask (el_peer_t *p, uint64_t now)
{
    if (!p->has_job || p->pull_pending || p->n_done == p->job.slices)
        return;
    uint32_t want[EL_MSG_SLICES_MAX];
    size_t n = 0;
    uint32_t max = p->cfg.pull_max < EL_MSG_SLICES_MAX ? p->cfg.pull_max : EL_MSG_SLICES_MAX;
    /* At most pull_max slices asked for and not here yet, in all. */
    uint32_t outstanding = 0;
    for (uint32_t s = 0; s < p->job.slices; s++)
        outstanding += el_bit_get (p->pulled, s) && !el_bit_get (p->done, s);
    max = outstanding < max ? max - outstanding : 0;
    for (uint32_t s = 0; s < p->job.slices && n < max; s++)
        if (el_bit_get (p->hb_old, s) && !el_bit_get (p->done, s) && !el_bit_get (p->pulled, s) &&
            !p->checking[s])
            want[n++] = s;
    if (n == 0)
        return;
    for (size_t i = 0; i < n; i++)
        el_bit_set (p->pulled, want[i]);
    if (p->has_source && !el_peer_is_self (p, &p->source))
        el_peer_send_slices (p, EL_TO_PEER, &p->source, P2PF__JOB_MSG__KIND_SLICE_REQUEST, want, n,
                             0);
    else
        el_peer_send_slices (p, EL_TO_ROUTE_JOB, NULL, P2PF__JOB_MSG__KIND_SLICE_REQUEST, want, n,
                             0);
    p->pull_pending = 1;
    p->pull_deadline_ms = now + p->cfg.request_timeout_ms;
}

/* The master's heartbeats keep lacking a slice rendered here: every copy
 * the tree carried to the master was lost. The master never pulls (its
 * own heartbeats are what pulls follow), and its queue re-issues the
 * slice only to workers still asking for work, which skip what they hold;
 * so the renderer sends it to the master itself, once every S_PUSH_AFTER
 * heartbeats that lack it. Only the renderer: every member holding the
 * slice would send it as many times. Its cost: one byte a slice, and a
 * scan of the done set a heartbeat. */
void
el_pulls_push (el_peer_t *p)
{
    if (!p->has_job || p->is_master || !p->has_master)
        return;
    for (uint32_t s = 0; s < p->job.slices; s++) {
        if (!el_bit_get (p->done, s) || !ovl_id_eq (p->by[s], p->self.id) ||
            el_bit_get (p->hb_done, s))
            continue;
        if (++p->unseen[s] < S_PUSH_AFTER)
            continue;
        p->unseen[s] = 0;
        el_store_send_slice (p, EL_TO_PEER, &p->master, s);
    }
}

/* Another peer pulls slices: send those here. */
void
el_pulls_on_request (el_peer_t *p, const P2pf__SliceRequest *sr, const ovl_handle_t *from)
{
    for (size_t i = 0; i < sr->n_slices; i++)
        if (el_bit_get (p->done, sr->slices[i]) && !el_peer_is_self (p, from))
            el_store_send_slice (p, EL_TO_PEER, from, sr->slices[i]);
}

/* The pulls have been quiet for request_timeout_ms. */
uint64_t
el_pulls_timeout_deadline_ms (const el_peer_t *p)
{
    return p->has_job && p->pull_deadline_ms ? p->pull_deadline_ms : UINT64_MAX;
}

void
el_pulls_timeout_fire (el_peer_t *p, uint64_t now)
{
    /* What was asked for and did not come may be asked for again. */
    int missed = p->pull_pending;
    p->pull_pending = 0;
    p->pull_deadline_ms = 0;
    memset (p->pulled, 0, el_job_bitmap_bytes (&p->job));
    /* Nobody serves what the finished job's done set promised (its
     * holders died): compute it again under a new master. */
    if (missed && ++p->pull_misses >= S_PULL_MISSES_MAX && p->job_finished) {
        p->job_finished = 0;
        p->pull_misses = 0;
        memset (p->hb_done, 0, el_job_bitmap_bytes (&p->job));
        memset (p->hb_prev, 0, el_job_bitmap_bytes (&p->job));
        memset (p->hb_old, 0, el_job_bitmap_bytes (&p->job));
    }
    el_pulls_ask (p, now);
}
