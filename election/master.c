/* master.c: the master's side of a job -- the rotating work queue, its
 * heartbeats, its answers to late joiners -- and how members follow the
 * master's heartbeats and answers (peer_internal.h says how the protocol
 * is split).
 *
 * The master hands out slices from a rotating cursor over the slice
 * indices: the next undone slice after the last one issued, so a slice
 * whose result never comes is issued again only after every other undone
 * slice was issued once. A successor continues from the cursor the old
 * master's heartbeats carried. */
#include "peer_internal.h"
#include "queue.h"

#include <string.h>

void
el_master_send_heartbeat (el_peer_t *p, el_dest_t dest, const ovl_handle_t *to, int relinquish)
{
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__MasterHeartbeat hb = P2PF__MASTER_HEARTBEAT__INIT;
    uint8_t eb[16];
    el_term_set (p->term, &hb.term, &hb.elector, eb);
    hb.done.data = p->done;
    hb.done.len = el_job_bitmap_bytes (&p->job);
    hb.queue_head = p->queue_head;
    hb.relinquish = relinquish;
    hb.took_over_ms = p->is_master ? p->took_over_ms : 0;
    msg.kind_case = P2PF__JOB_MSG__KIND_HEARTBEAT;
    msg.heartbeat = &hb;
    el_peer_emit (p, &msg, dest, to);
}

void
el_master_become (el_peer_t *p, uint64_t now)
{
    p->is_master = 1;
    p->has_master = 1;
    p->master = p->self;
    p->last_heard_ms = now;
    p->request_pending = 0;
    p->n_returned = 0;
    el_peer_role_event (p);
    el_master_send_heartbeat (p, EL_TO_PUBLISH, NULL, 0);
    p->heartbeat_at_ms = now + p->cfg.heartbeat_ms;
}

void
el_master_step_down (el_peer_t *p)
{
    if (!p->is_master)
        return;
    p->is_master = 0;
    el_peer_role_event (p);
}

/* The job is done: tell everyone (a heartbeat with relinquish, whose done
 * set lets stragglers pull the rest) and stop being master. */
void
el_master_relinquish (el_peer_t *p, uint64_t now)
{
    el_master_send_heartbeat (p, EL_TO_PUBLISH, NULL, 1);
    p->job_finished = 1;
    p->has_master = 0;
    p->no_master_since = now;
    el_master_step_down (p);
}

/* What a requester is not handed: a slice done, awaiting the check of a
 * copy received (if that fails, it goes back to `returned`), or one it
 * already holds. */
typedef struct {
    const el_peer_t *p;
    const uint32_t *have;
    size_t n_have;
} s_skip_t;

static int
s_skip (void *ctx, uint32_t s)
{
    const s_skip_t *k = ctx;
    return el_bit_get (k->p->done, s) || k->p->checking[s] || el_peer_in (s, k->have, k->n_have);
}

/* The master's next slices for a requester holding `have`. */
size_t
el_master_assign (el_peer_t *p, const ovl_handle_t *to, uint32_t n, const uint32_t *have,
                  size_t n_have, uint32_t *out)
{
    size_t k = 0;
    s_skip_t skip = { p, have, n_have };
    /* Slices a worker returned go first (it left: nobody renders them). */
    while (k < n && p->n_returned > 0) {
        uint32_t s = p->returned[--p->n_returned];
        if (!s_skip (&skip, s) && !el_peer_in (s, out, k))
            out[k++] = s;
    }
    el_queue_next (&p->queue_head, p->job.slices, s_skip, &skip, n - k, out, &k);
    for (size_t i = 0; i < k; i++) {
        el_event_t ev;
        memset (&ev, 0, sizeof ev);
        ev.kind = EL_EV_SLICE_ASSIGNED;
        ev.slice = out[i];
        ev.peer = *to;
        el_peer_event (p, &ev);
    }
    return k;
}

/* A worker asks for slices. */
void
el_master_on_work_request (el_peer_t *p, uint64_t now, const P2pf__WorkRequest *wr,
                           const ovl_handle_t *from)
{
    if (!p->is_master || p->leaving || el_checks_banned (p, from->id)) {
        p->stats.dropped_other++;
        return;
    }
    uint32_t got[EL_MSG_SLICES_MAX];
    size_t n = el_master_assign (p, from, wr->n, wr->have, wr->n_have, got);
    if (n > 0)
        el_election_note_assigned (p, now);
    el_peer_send_slices (p, EL_TO_PEER, from, P2PF__JOB_MSG__KIND_WORK_ASSIGN, got, n, 0);
    /* A master that is also the root would take the arbiter of its own
     * succession down with it when it crashes (the overlay then needs
     * its failure timeout before anyone can elect): now that another
     * member works, hand mastership to it. */
    if (p->is_root && !el_peer_is_self (p, from))
        el_election_appoint (p, now, from, "handover: master was root");
}

/* A leaving worker hands its slices back: they are issued first. */
void
el_master_on_work_return (el_peer_t *p, uint64_t now, const P2pf__WorkReturn *wr)
{
    if (!p->is_master) {
        p->stats.dropped_other++;
        return;
    }
    for (size_t i = 0; i < wr->n_slices && p->n_returned < EL_PEER_RETURNED_MAX; i++)
        p->returned[p->n_returned++] = wr->slices[i];
    el_peer_pump (p, now);
}

/* 1 if the first k bits of bits are all set. */
static int
s_all_set (const uint8_t *bits, uint32_t k)
{
    for (uint32_t s = 0; s < k; s++)
        if (!el_bit_get (bits, s))
            return 0;
    return 1;
}

/* What this peer knows of the job: its spec, term, master, cursor and
 * done set (which the receiver may pull from). */
static void
s_send_response (el_peer_t *p, uint64_t now, const ovl_handle_t *to)
{
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__MasterResponse r = P2PF__MASTER_RESPONSE__INIT;
    P2pf__JobSpec spec;
    P2pf__NodeHandle mh = P2PF__NODE_HANDLE__INIT;
    uint8_t mid[16], eb[16], ob[16];
    el_job_to_spec (&p->job, &spec, ob);
    r.spec = &spec;
    el_term_set (p->term, &r.term, &r.elector, eb);
    if (p->has_master) {
        ovl_wire_handle_set (&mh, mid, &p->master);
        r.master = &mh;
    }
    r.done.data = p->done;
    r.done.len = el_job_bitmap_bytes (&p->job);
    r.queue_head = p->queue_head;
    /* Whom else the querier may pull from: the catch-up is not ours
     * alone to serve. */
    ovl_handle_t hs[EL_MSG_HOLDERS_MAX];
    P2pf__NodeHandle hw[EL_MSG_HOLDERS_MAX], *hp[EL_MSG_HOLDERS_MAX];
    uint8_t hid[EL_MSG_HOLDERS_MAX][16];
    r.n_holders = el_pulls_holders_for (p, now, to, hs);
    for (size_t i = 0; i < r.n_holders; i++) {
        p2pf__node_handle__init (&hw[i]);
        ovl_wire_handle_set (&hw[i], hid[i], &hs[i]);
        hp[i] = &hw[i];
    }
    r.holders = hp;
    msg.kind_case = P2PF__JOB_MSG__KIND_MASTER_RESPONSE;
    msg.master_response = &r;
    el_peer_emit (p, &msg, EL_TO_PEER, to);
}

void
el_master_on_heartbeat (el_peer_t *p, uint64_t now, const P2pf__MasterHeartbeat *hb,
                        const ovl_handle_t *from)
{
    if (el_peer_is_self (p, from))
        return;
    el_term_t t = el_term_get (hb->term, hb->elector);
    int c = el_term_cmp (t, p->term);
    if (hb->relinquish && !s_all_set (hb->done.data, p->job.slices)) {
        /* A master relinquishes only with every slice: anything else is
         * corrupt or forged, and would strand us without a master. */
        p->stats.dropped_job++;
        return;
    }
    if (hb->relinquish) {
        /* "Every slice is done" is true in any term: take it from anyone
         * who shows a full done set, and stop electing. Its terms need no
         * settling any more. */
        size_t nb = el_job_bitmap_bytes (&p->job);
        memcpy (p->hb_done, hb->done.data, nb);
        memcpy (p->hb_prev, hb->done.data, nb);
        memcpy (p->hb_old, hb->done.data, nb);
        if (c > 0)
            p->term = t;
        /* Each member of a finished job that shows its full done set (as
         * an answer to our queries, say) holds the whole image: the one
         * before stays a holder. */
        el_pulls_keep_source (p);
        p->source = *from;
        p->has_source = 1;
        p->job_finished = 1;
        p->has_master = 0;
        p->no_master_since = now;
        el_election_over (p);
        el_master_step_down (p);
        el_pulls_ask (p, now);
        return;
    }
    if (c < 0 || (c == 0 && p->job_finished) ||
        (c == 0 && p->has_master && !ovl_id_eq (p->master.id, from->id))) {
        /* A master of an older term: one that got the job late, heard no
         * answer to its queries (its tree cut off under loss) and elected
         * itself in a term the others had passed. It would compute the
         * image alone, its heartbeats dropped by everyone. Tell it ours: it
         * steps down and pulls what it lacks (el_master_on_response). The
         * master, or with none the root, answers, as to a MasterQuery:
         * every heartbeat passes the root, so one answer a heartbeat. */
        if (c < 0 && (p->is_master || (p->is_root && !p->has_master)))
            s_send_response (p, now, from);
        p->stats.dropped_other++;
        return;
    }
    /* Done sets only grow: merge, so a late copy of an older heartbeat
     * cannot make us forget what a newer one said. */
    size_t nb = el_job_bitmap_bytes (&p->job);
    memcpy (p->hb_old, p->hb_prev, nb);
    memcpy (p->hb_prev, p->hb_done, nb);
    for (size_t i = 0; i < nb; i++)
        p->hb_done[i] |= hb->done.data[i];
    p->queue_head = hb->queue_head;
    p->source = *from;
    p->has_source = 1;
    int new_master = !p->has_master || !ovl_id_eq (p->master.id, from->id) || c > 0;
    p->term = t;
    p->has_master = 1;
    p->master = *from;
    p->last_heard_ms = now;
    el_election_over (p);
    if (new_master) {
        p->request_pending = 0;
        p->idle_until_ms = 0;
        el_master_step_down (p);
    }
    el_election_on_took_over (p, hb->took_over_ms);
    el_pulls_push (p);
    el_pulls_ask (p, now);
    el_peer_pump (p, now);
}

void
el_master_on_response (el_peer_t *p, uint64_t now, const P2pf__MasterResponse *r,
                       const ovl_handle_t *from)
{
    p->query_pending = 0;
    size_t nb = el_job_bitmap_bytes (&p->job);
    /* The responder serves what it has: anything it calls done may be
     * pulled at once. */
    for (size_t i = 0; i < nb; i++) {
        p->hb_done[i] |= r->done.data[i];
        p->hb_prev[i] |= r->done.data[i];
        p->hb_old[i] |= r->done.data[i];
    }
    el_pulls_keep_source (p); /* an earlier responder */
    p->source = *from;
    p->has_source = 1;
    for (size_t i = 0; i < r->n_holders; i++) {
        ovl_handle_t h;
        ovl_wire_handle_get (r->holders[i], &h);
        el_pulls_note_holder (p, &h);
    }
    el_term_t t = el_term_get (r->term, r->elector);
    int c = el_term_cmp (t, p->term);
    ovl_handle_t m;
    if (r->master)
        ovl_wire_handle_get (r->master, &m);
    /* A master's own term is not news to it (nor is its cursor). */
    if (c >= 0 && !p->job_finished && !(c == 0 && p->is_master)) {
        if (c > 0 && p->is_master && !(r->master && el_peer_is_self (p, &m))) {
            /* A query that outlived its sender's election (the overlay
             * retries a publication round a dead root, so an answer may
             * come a second later) brings a newer term, with another
             * master or none: step down, as on a heartbeat of a higher
             * term. Taking the term and staying master made two masters
             * of one ballot. */
            el_master_step_down (p);
            p->has_master = 0;
            p->no_master_since = now;
            p->request_pending = 0;
            p->idle_until_ms = 0;
        }
        p->term = t;
        if (r->master) {
            if (!el_peer_is_self (p, &m)) {
                p->has_master = 1;
                p->master = m;
                p->last_heard_ms = now;
            }
        } else {
            p->job_finished = s_all_set (r->done.data, p->job.slices);
        }
        if (!p->is_master)
            p->queue_head = r->queue_head;
    }
    el_pulls_ask (p, now);
    el_peer_pump (p, now);
}

void
el_master_on_query (el_peer_t *p, uint64_t now, const ovl_handle_t *from, uint32_t attempt)
{
    /* The master answers, or with none the job tree's root. But the root
     * may be a latecomer itself (it missed the job and the master has
     * relinquished): from the third try on, every member that holds the
     * whole image and knows no master answers too, and the querier pulls
     * from whoever did. */
    int whole = !p->has_master && attempt >= 2 && p->n_done == p->job.slices;
    /* A root that knows the job finished but is still pulling it has
     * nothing true to say: "term T, no master" and half a done set sent
     * a latecomer into an election for a finished job (sim --job joiners
     * --nodes 16). Its silence keeps the question open; the members with
     * the whole image answer it, or the querier's election query. */
    int root = p->is_root && !p->has_master && !(p->job_finished && p->n_done < p->job.slices);
    if (el_peer_is_self (p, from) || !(p->is_master || root || whole))
        return;
    s_send_response (p, now, from);
    el_pulls_note_joiner (p, now, from);
}

/* The master's heartbeat. */
uint64_t
el_master_heartbeat_deadline_ms (const el_peer_t *p)
{
    return p->has_job && p->is_master ? p->heartbeat_at_ms : UINT64_MAX;
}

void
el_master_heartbeat_fire (el_peer_t *p, uint64_t now)
{
    el_master_send_heartbeat (p, EL_TO_PUBLISH, NULL, 0);
    p->heartbeat_at_ms = now + p->cfg.heartbeat_ms;
}

/* A MasterQuery unanswered: ask again, unless it no longer matters. */
uint64_t
el_master_query_deadline_ms (const el_peer_t *p)
{
    return p->has_job && p->query_pending ? p->query_deadline_ms : UINT64_MAX;
}

void
el_master_query_fire (el_peer_t *p, uint64_t now)
{
    if (p->has_master || p->job_finished || p->n_done == p->job.slices) {
        p->query_pending = 0;
    } else {
        el_peer_send_query (p, P2PF__JOB_MSG__KIND_MASTER_QUERY);
        p->query_deadline_ms = now + p->cfg.request_timeout_ms;
    }
}
