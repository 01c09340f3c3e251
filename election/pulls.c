/* pulls.c: anti-entropy -- asking for the slices the master's heartbeats
 * call done that this peer lacks, and serving such requests
 * (peer_internal.h says how the protocol is split).
 *
 * Pulls ask only for slices done for two heartbeats or more (the
 * multicast tree had time to bring them), at most pull_max outstanding
 * per holder, so a slice still on its way is not sent twice. They are
 * spread over the source (the master, or whoever answered our query) and
 * a few holders: peers heard publishing slices lately, and those a
 * responder named -- so a late joiner's catch-up is not served by one
 * peer (docs/ARCHITECTURE.md, "Catch-up from many holders"). */
#include "peer_internal.h"

#include <string.h>

/* Pulls in a row that bring nothing before a finished job's missing
 * slices are computed again. */
#define S_PULL_MISSES_MAX 3

/* Heartbeats of the master lacking a slice rendered here before its
 * renderer sends it to the master again. */
#define S_PUSH_AFTER 4

/* The holder slot a pull of slice s goes to. The first pull of a slice
 * goes to one of the holders, spread by slice and by this peer's id (two
 * joiners do not ask the same holder for the same slice), not to the
 * source: the source is the master, or whoever answered our query, and
 * every joiner has it. A pull that brought nothing (the holder lacks the
 * slice: it came late itself, or died) goes to another holder, then to
 * the source, which called the slice done; then holders and the source
 * in turn. (Sending every second try to the source made the master serve
 * a third of a 64-peer swarm's catch-up: holders asked first often lack a
 * slice.) */
static uint8_t
s_holder_for (const el_peer_t *p, uint32_t s)
{
    uint32_t tries = p->pull_tries[s], n = (uint32_t)p->n_holders;
    if (n == 0 || (tries == 1 && n == 1) || (tries >= 2 && tries % 2 == 0))
        return EL_PULL_SOURCE;
    return (uint8_t)((s + (uint32_t)p->self.id.lo + tries) % n);
}

/* Send one pull to a holder slot. */
static void
s_send_pull (el_peer_t *p, uint8_t to, const uint32_t *want, size_t n)
{
    if (n == 0)
        return;
    if (to != EL_PULL_SOURCE)
        el_peer_send_slices (p, EL_TO_PEER, &p->holders[to], P2PF__JOB_MSG__KIND_SLICE_REQUEST,
                             want, n, 0);
    else if (p->has_source && !el_peer_is_self (p, &p->source))
        el_peer_send_slices (p, EL_TO_PEER, &p->source, P2PF__JOB_MSG__KIND_SLICE_REQUEST, want, n,
                             0);
    else
        el_peer_send_slices (p, EL_TO_ROUTE_JOB, NULL, P2PF__JOB_MSG__KIND_SLICE_REQUEST, want, n,
                             0);
}

/* Ask for missing slices that the master has had for two heartbeats or
 * more (the multicast tree had time to bring them; under load it takes
 * more than one) and that no pull under way asked for already, keeping at
 * most pull_max outstanding per holder (the source, and the holders
 * learnt: a catch-up is spread over them). A slice arriving settles the
 * pull and asks for more; re-asking for what is still on its way would
 * have its sender send it again. What was asked for is asked again -- of
 * another holder -- once request_timeout_ms passed after the last pull
 * (el_peer_on_tick). */
void
el_pulls_ask (el_peer_t *p, uint64_t now)
{
    if (!p->has_job || p->pull_pending || p->n_done == p->job.slices)
        return;
    uint32_t max = p->cfg.pull_max < EL_MSG_SLICES_MAX ? p->cfg.pull_max : EL_MSG_SLICES_MAX;
    /* Per holder slot (the last one: the source), slices asked for and
     * not here yet. */
    uint32_t out[EL_PEER_HOLDERS_MAX + 1] = { 0 };
    uint32_t want[EL_PEER_HOLDERS_MAX + 1][EL_MSG_SLICES_MAX];
    size_t n[EL_PEER_HOLDERS_MAX + 1] = { 0 };
    for (uint32_t s = 0; s < p->job.slices; s++)
        if (el_bit_get (p->pulled, s) && !el_bit_get (p->done, s))
            out[p->pull_to[s] == EL_PULL_SOURCE ? EL_PEER_HOLDERS_MAX : p->pull_to[s]]++;
    size_t sent = 0;
    for (uint32_t s = 0; s < p->job.slices; s++) {
        if (!el_bit_get (p->hb_old, s) || el_bit_get (p->done, s) || el_bit_get (p->pulled, s) ||
            p->checking[s])
            continue;
        uint8_t to = s_holder_for (p, s);
        int k = to == EL_PULL_SOURCE ? EL_PEER_HOLDERS_MAX : to;
        if (out[k] + n[k] >= max)
            continue;
        want[k][n[k]++] = s;
        el_bit_set (p->pulled, s);
        p->pull_to[s] = to;
        sent++;
    }
    if (sent == 0)
        return;
    for (int k = 0; k < p->n_holders; k++)
        s_send_pull (p, (uint8_t)k, want[k], n[k]);
    s_send_pull (p, EL_PULL_SOURCE, want[EL_PEER_HOLDERS_MAX], n[EL_PEER_HOLDERS_MAX]);
    p->pull_source_asked = n[EL_PEER_HOLDERS_MAX] > 0;
    p->pull_pending = 1;
    p->pull_deadline_ms = now + p->cfg.request_timeout_ms;
}

/* Holders are the peers heard publishing or sending slices lately, kept
 * in a few slots: a new one takes the oldest slot with no pull under way
 * (one with pulls keeps its place until they come or time out). */
static void
s_note (el_peer_t *p, const ovl_handle_t *h)
{
    if (!p->has_job || el_peer_is_self (p, h))
        return;
    for (int k = 0; k < p->n_holders; k++)
        if (ovl_id_eq (p->holders[k].id, h->id))
            return;
    if (p->n_holders < EL_PEER_HOLDERS_MAX) {
        p->holders[p->n_holders++] = *h;
        return;
    }
    /* Which slots have pulls under way: one pass over the slices (this
     * runs for every slice a new publisher sends). */
    uint8_t busy[EL_PEER_HOLDERS_MAX] = { 0 };
    for (uint32_t s = 0; s < p->job.slices; s++)
        if (p->pull_to[s] != EL_PULL_SOURCE && el_bit_get (p->pulled, s) &&
            !el_bit_get (p->done, s))
            busy[p->pull_to[s]] = 1;
    for (int i = 0; i < EL_PEER_HOLDERS_MAX; i++) {
        int k = (p->holders_next + i) % EL_PEER_HOLDERS_MAX;
        if (!busy[k]) {
            p->holders[k] = *h;
            p->holders_next = (k + 1) % EL_PEER_HOLDERS_MAX;
            return;
        }
    }
}

void
el_pulls_note_holder (el_peer_t *p, const ovl_handle_t *h)
{
    /* The source is asked anyway. */
    if (!(p->has_source && ovl_id_eq (p->source.id, h->id)))
        s_note (p, h);
}

void
el_pulls_keep_source (el_peer_t *p)
{
    if (p->has_source)
        s_note (p, &p->source);
}

void
el_pulls_forget_holder (el_peer_t *p, ovl_id_t id)
{
    /* Named to later joiners no more (a catch-up bench's joiners leave
     * once done: named, each cost the next joiner a pull timeout). */
    for (int k = 0; k < p->n_joiners; k++) {
        if (ovl_id_eq (p->joiners[k].h.id, id)) {
            p->joiners[k] = p->joiners[--p->n_joiners];
            p->joiners_next = p->joiners_told = 0;
            break;
        }
    }
    for (int k = 0; k < p->n_holders; k++) {
        if (!ovl_id_eq (p->holders[k].id, id))
            continue;
        /* The last slot moves into its place. Pulls under way of the
         * lost one count against the source until the timeout asks for
         * them elsewhere. */
        int last = p->n_holders - 1;
        for (uint32_t s = 0; p->has_job && s < p->job.slices; s++) {
            if (p->pull_to[s] == k)
                p->pull_to[s] = EL_PULL_SOURCE;
            else if (p->pull_to[s] == last)
                p->pull_to[s] = (uint8_t)k;
        }
        p->holders[k] = p->holders[last];
        p->n_holders--;
        p->holders_next = p->holders_told = 0;
        return;
    }
}

void
el_pulls_note_joiner (el_peer_t *p, uint64_t now, const ovl_handle_t *h)
{
    for (int k = 0; k < p->n_joiners; k++)
        if (ovl_id_eq (p->joiners[k].h.id, h->id))
            return; /* asked again: keep the first time */
    int k = p->n_joiners < EL_PEER_JOINERS_MAX ? p->n_joiners++ : p->joiners_next;
    p->joiners[k].h = *h;
    p->joiners[k].at_ms = now;
    p->joiners_next = (k + 1) % EL_PEER_JOINERS_MAX;
}

/* 1 if out[0..n) names id. */
static int
s_named (const ovl_handle_t *out, size_t n, ovl_id_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ovl_id_eq (out[i].id, id))
            return 1;
    return 0;
}

size_t
el_pulls_holders_for (el_peer_t *p, uint64_t now, const ovl_handle_t *to, ovl_handle_t *out)
{
    /* Most names go to earlier joiners that had two pull timeouts to
     * catch up: peers that joined after the work was handed out never
     * publish, and would never serve otherwise. */
    size_t n = 0;
    uint64_t grace = 2 * (uint64_t)p->cfg.request_timeout_ms;
    int j = 0;
    for (; j < p->n_joiners && n < EL_MSG_HOLDERS_MAX * 3 / 4; j++) {
        int k = (p->joiners_told + j) % p->n_joiners;
        if (p->joiners[k].at_ms + grace <= now && !ovl_id_eq (p->joiners[k].h.id, to->id))
            out[n++] = p->joiners[k].h;
    }
    if (p->n_joiners)
        p->joiners_told = (p->joiners_told + j) % p->n_joiners;
    /* The rest: the holders heard lately, each answer starting where the
     * last one stopped -- joiners arriving together would otherwise all be
     * sent to the same few. */
    int k = 0;
    for (; k < p->n_holders && n < EL_MSG_HOLDERS_MAX; k++) {
        const ovl_handle_t *h = &p->holders[(p->holders_told + k) % p->n_holders];
        if (!ovl_id_eq (h->id, to->id) && !s_named (out, n, h->id))
            out[n++] = *h;
    }
    if (p->n_holders)
        p->holders_told = (p->holders_told + k) % p->n_holders;
    return n;
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
        if (el_bit_get (p->done, sr->slices[i]) && !el_peer_is_self (p, from)) {
            el_store_send_slice (p, EL_TO_PEER, from, sr->slices[i]);
            p->stats.slices_served++;
        }
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
    /* What was asked for and did not come may be asked for again. Only
     * the source's silence counts as a miss: a holder may lack what the
     * source called done. */
    int missed = p->pull_pending && p->pull_source_asked;
    p->pull_pending = 0;
    p->pull_deadline_ms = 0;
    /* What did not come is asked of another holder next time. */
    for (uint32_t s = 0; s < p->job.slices; s++)
        if (el_bit_get (p->pulled, s) && !el_bit_get (p->done, s) && p->pull_tries[s] < UINT8_MAX)
            p->pull_tries[s]++;
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
