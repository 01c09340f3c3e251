/* worker.c: a peer as worker -- the slices it holds in flight, asks the
 * master for and hands to the renderer, and the renders that come back
 * (peer_internal.h says how the protocol is split).
 *
 * A worker holds render_slots + ahead slices, so no render slot waits a
 * round trip for work; the pump (peer.c) asks for more when there is
 * room. */
#include "peer_internal.h"

#include <string.h>

static int
s_inflight_has (const el_peer_t *p, uint32_t slice)
{
    for (uint32_t i = 0; i < p->n_inflight; i++)
        if (p->inflight[i] == slice)
            return 1;
    return 0;
}

static void
s_inflight_remove (el_peer_t *p, uint32_t slice)
{
    for (uint32_t i = 0; i < p->n_inflight; i++)
        if (p->inflight[i] == slice) {
            p->inflight[i] = p->inflight[--p->n_inflight];
            return;
        }
}

/* Hand slices to the renderer. */
void
el_worker_take (el_peer_t *p, const uint32_t *slices, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t s = slices[i];
        if (p->n_inflight >= p->cap_inflight || el_bit_get (p->done, s) || s_inflight_has (p, s))
            continue;
        p->inflight[p->n_inflight++] = s;
        if (p->up.render)
            p->up.render (p->up.ctx, &p->job, s);
    }
}

/* The master's answer to a WorkRequest: slices to render, or none (wait
 * a heartbeat before asking again). */
void
el_worker_on_assign (el_peer_t *p, uint64_t now, const P2pf__WorkAssign *wa,
                     const ovl_handle_t *from)
{
    if (p->has_master && ovl_id_eq (p->master.id, from->id))
        p->request_pending = 0;
    if (wa->n_slices == 0)
        p->idle_until_ms = now + p->cfg.heartbeat_ms;
    if (!p->leaving && !p->is_master)
        el_worker_take (p, wa->slices, wa->n_slices);
    el_peer_pump (p, now);
}

void
el_peer_rendered (el_peer_t *p, uint64_t now, ovl_id_t job, uint32_t slice, const float *pixels,
                  size_t n)
{
    if (!p->has_job || !ovl_id_eq (job, p->job.id) || slice >= p->job.slices ||
        n != el_job_slice_px (&p->job, slice)) {
        p->stats.dropped_other++;
        return;
    }
    s_inflight_remove (p, slice);
    p->stats.slices_rendered++;
    if (el_bit_get (p->done, slice)) {
        p->stats.slices_duplicate++;
        p->stats.rendered_late++;
    } else {
        p->n_own++;
        el_store_slice (p, now, slice, pixels, p->self.id, 1);
    }
    el_peer_pump (p, now);
}

/* A WorkRequest unanswered: the pump may send another. */
uint64_t
el_worker_request_deadline_ms (const el_peer_t *p)
{
    return p->has_job && p->request_pending ? p->request_deadline_ms : UINT64_MAX;
}

void
el_worker_request_fire (el_peer_t *p, uint64_t now)
{
    (void)now;
    p->request_pending = 0;
}

uint64_t
el_worker_idle_deadline_ms (const el_peer_t *p)
{
    if (p->is_master || !el_peer_work_left (p) || p->leaving)
        return UINT64_MAX;
    if (p->has_master && !p->request_pending && p->idle_until_ms > 0 &&
        p->n_inflight < p->cap_inflight)
        return p->idle_until_ms;
    return UINT64_MAX;
}
