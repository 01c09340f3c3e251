/* election.c: who the master is -- terms, suspecting the master, election
 * queries, nominations and the root's arbitration, handovers
 * (peer_internal.h says how the protocol is split; docs/ARCHITECTURE.md,
 * "Job protocol", says why it works this way). */
#include "peer_internal.h"

#include <stdio.h>
#include <string.h>

int
el_term_cmp (el_term_t a, el_term_t b)
{
    if (a.n != b.n)
        return a.n < b.n ? -1 : 1;
    return ovl_id_cmp (a.by, b.by);
}

/* A term off the wire (validated: elector 16 bytes or none). */
el_term_t
el_term_get (uint64_t n, ProtobufCBinaryData elector)
{
    el_term_t t;
    t.n = n;
    memset (&t.by, 0, sizeof t.by);
    if (elector.len == 16)
        t.by = ovl_id_from_bytes (elector.data);
    return t;
}

/* Onto the wire: buf must outlive the message. */
void
el_term_set (el_term_t t, uint64_t *n, ProtobufCBinaryData *elector, uint8_t buf[16])
{
    *n = t.n;
    ovl_id_to_bytes (t.by, buf);
    elector->data = buf;
    elector->len = 16;
}

el_cause_t
el_cause_get (const char *reason, ProtobufCBinaryData previous, uint32_t detected_ms)
{
    el_cause_t c;
    memset (&c, 0, sizeof c);
    c.reason = reason;
    if (previous.len == 16) {
        c.has_previous = 1;
        c.previous = ovl_id_from_bytes (previous.data);
    }
    c.detected_ms = detected_ms < EL_DETECTED_MAX_MS ? detected_ms : EL_DETECTED_MAX_MS;
    return c;
}

/* The master of this peer's current term, if it had one: the master an
 * election now replaces. */
static int
s_previous (const el_peer_t *p, ovl_id_t *out)
{
    if (p->term.n == 0)
        return 0;
    *out = p->master.id;
    return 1;
}

/* ms since `since`, clamped for the wire. */
static uint32_t
s_age_ms (uint64_t now, uint64_t since)
{
    uint64_t d = now > since ? now - since : 0;
    return d < EL_DETECTED_MAX_MS ? (uint32_t)d : EL_DETECTED_MAX_MS;
}

/* When the failure an election opens for began, as well as this peer
 * can tell: the old master's last sign of life (its last heartbeat), or
 * now if it heard none. Suspicion comes master_timeout_ms later; the
 * audience's question is how long the job had no master. */
static uint64_t
s_fail_since (const el_peer_t *p, uint64_t now)
{
    return p->has_master && !p->is_master && p->last_heard_ms <= now ? p->last_heard_ms : now;
}

/* This peer suspects (or was told of) a failure: remember the cause its
 * nominations will carry. The first cause of an election stays, but a
 * leaving master's own word replaces a guess. */
static void
s_note_cause (el_peer_t *p, const char *reason, int handover)
{
    if (!p->electing || handover || !p->elect_reason[0])
        snprintf (p->elect_reason, sizeof p->elect_reason, "%s", reason ? reason : "");
}

/* A master leaving: ask the root for a successor. Members that see the
 * query from their master drop it at once and nominate. */
void
el_election_handover (el_peer_t *p, uint64_t now, const char *reason)
{
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__ElectionQuery q = P2PF__ELECTION_QUERY__INIT;
    uint8_t eb[16];
    el_term_set (p->term, &q.term, &q.elector, eb);
    q.reason = (char *)reason;
    q.handover = 1;
    msg.kind_case = P2PF__JOB_MSG__KIND_ELECTION_QUERY;
    msg.election_query = &q;
    p->has_master = 0;
    p->no_master_since = now;
    el_master_step_down (p);
    el_peer_emit (p, &msg, EL_TO_PUBLISH, NULL);
}

/* An election this peer knew of is over (a master answered, a term moved
 * on, or nothing is left to elect for): it may nominate again in the
 * next one, even in the same term. */
void
el_election_over (el_peer_t *p)
{
    p->electing = 0;
    p->has_nominated = 0;
}

static void
s_nominate (el_peer_t *p, uint64_t now, el_term_t term)
{
    if ((p->has_nominated && el_term_cmp (p->nominated_term, term) == 0) ||
        !el_peer_work_left (p) || p->leaving)
        return;
    P2pf__JobMsg nm = P2PF__JOB_MSG__INIT;
    P2pf__MasterNomination nom = P2PF__MASTER_NOMINATION__INIT;
    P2pf__NodeHandle h = P2PF__NODE_HANDLE__INIT;
    uint8_t hid[16], eb[16], pb[16];
    ovl_wire_handle_set (&h, hid, &p->self);
    el_term_set (term, &nom.term, &nom.elector, eb);
    nom.candidate = &h;
    /* The cause and the lost master travel with the nomination: the
     * arbiter may have missed the query (a joiner just made root), and it
     * must not call a hand-over a loss. */
    nom.reason = p->elect_reason;
    ovl_id_t prev;
    if (s_previous (p, &prev)) {
        ovl_id_to_bytes (prev, pb);
        nom.previous.data = pb;
        nom.previous.len = 16;
    }
    nom.detected_ms = p->electing ? s_age_ms (now, p->fail_since_ms) : 0;
    nm.kind_case = P2PF__JOB_MSG__KIND_NOMINATION;
    nm.nomination = &nom;
    p->has_nominated = 1;
    p->nominated_term = term;
    el_peer_emit (p, &nm, EL_TO_ROUTE_JOB, NULL);
}

/* Publish an election query: to the job's tree, or (EL_TO_NET) to every
 * peer of the network. */
static void
s_ask (el_peer_t *p, const char *reason, el_dest_t dest)
{
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__ElectionQuery q = P2PF__ELECTION_QUERY__INIT;
    uint8_t eb[16];
    el_term_set (p->term, &q.term, &q.elector, eb);
    q.reason = (char *)reason;
    msg.kind_case = P2PF__JOB_MSG__KIND_ELECTION_QUERY;
    msg.election_query = &q;
    el_peer_emit (p, &msg, dest, NULL);
}

/* Suspect the master (or its absence): open an election. */
void
el_election_open (el_peer_t *p, uint64_t now, const char *reason)
{
    s_note_cause (p, reason, 0);
    if (!p->electing) {
        p->electing = 1;
        p->elect_started_ms = now;
        p->fail_since_ms = s_fail_since (p, now);
    }
    p->stats.elections_started++;
    /* Retries are jittered so that suspecting peers do not all ask at once
     * again. */
    p->elect_retry_ms = now + p->cfg.election_timeout_ms +
                        ovl_rng_below (&p->rng, p->cfg.election_timeout_ms / 4 + 1);
    if (p->has_master && !p->is_master) {
        p->has_master = 0;
        p->no_master_since = now;
    }
    s_ask (p, reason, EL_TO_PUBLISH);
    s_nominate (p, now, p->term);
}

/* Join the job group again (rate-limited): for a member that misses what
 * the tree carries -- a lost JOIN, a parent that dropped it. */
static void
s_rejoin (el_peer_t *p, uint64_t now)
{
    if (now < p->rejoin_at_ms)
        return;
    p->rejoin_at_ms = now + p->cfg.election_timeout_ms;
    /* A join alone: the overlay joins again while keeping the parent. A
     * leave sent just before could reach the parent after the new join
     * and detach us for good. */
    if (p->up.join)
        p->up.join (p->up.ctx, p->job.group);
}

static void
s_send_elected (el_peer_t *p, el_dest_t dest, const ovl_handle_t *to, el_term_t term,
                const ovl_handle_t *master, const el_cause_t *cause)
{
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__MasterElected el = P2PF__MASTER_ELECTED__INIT;
    P2pf__NodeHandle mh = P2PF__NODE_HANDLE__INIT;
    uint8_t mid[16], eb[16], pb[16];
    ovl_wire_handle_set (&mh, mid, master);
    el_term_set (term, &el.term, &el.elector, eb);
    el.master = &mh;
    el.reason = (char *)cause->reason;
    if (cause->has_previous) {
        ovl_id_to_bytes (cause->previous, pb);
        el.previous.data = pb;
        el.previous.len = 16;
    }
    el.detected_ms = (uint32_t)cause->detected_ms;
    msg.kind_case = P2PF__JOB_MSG__KIND_ELECTED;
    msg.elected = &el;
    el_peer_emit (p, &msg, dest, to);
}

/* A new master for term (published by the root, or told directly). */
void
el_election_on_elected (el_peer_t *p, uint64_t now, el_term_t term, const ovl_handle_t *m,
                        const el_cause_t *cause, int direct)
{
    const char *reason = cause->reason && cause->reason[0] ? cause->reason : "master lost";
    int c = el_term_cmp (term, p->term);
    /* After the job finished, news of its last term is stale (a catch-up
     * sent before the relinquish, arriving after it). */
    if (c < 0 || (c == 0 && p->job_finished))
        return;
    if (c == 0 && (p->has_master || p->electing) && ovl_id_eq (p->master.id, m->id)) {
        /* The root hears a master we do not: our link into the tree is
         * broken. */
        if (direct && p->electing)
            s_rejoin (p, now);
        el_election_over (p);
        p->has_master = 1;
        p->last_heard_ms = now;
        return;
    }
    el_event_t ev;
    memset (&ev, 0, sizeof ev);
    ev.kind = EL_EV_MASTER_ELECTED;
    ev.term = term.n;
    ev.elector = term.by;
    ev.peer = *m;
    ev.reason = reason;
    /* One figure for every peer: the arbiter's, from the failure's first
     * suspicion to its MasterElected. */
    ev.took_ms = cause->detected_ms;
    ev.has_previous = cause->has_previous && !ovl_id_eq (cause->previous, m->id);
    ev.previous = cause->previous;
    p->term = term;
    p->has_master = 1;
    p->master = *m;
    p->last_heard_ms = now;
    el_election_over (p);
    p->request_pending = 0;
    p->idle_until_ms = 0;
    el_peer_event (p, &ev);
    if (el_peer_is_self (p, m)) {
        if (!p->is_master) {
            if (p->leaving)
                el_election_handover (p, now, "handover"); /* elected while leaving: pass it on */
            else if (p->done_reported)
                el_master_relinquish (p, now); /* nothing left to hand out */
            else {
                /* Measured to the first assignment (el_election_note_assigned). */
                p->took_over_ms = 0;
                p->takeover_pending = cause->detected_ms > 0;
                p->takeover_from_ms = now - cause->detected_ms;
                el_master_become (p, now);
            }
        }
    } else {
        el_master_step_down (p);
    }
    el_peer_pump (p, now);
}

/* A master that is the job tree's root -- the arbiter of its own
 * succession -- appoints its successor itself, in a term above its own,
 * published and told to `to` directly. (Publishing a hand-over query and
 * waiting for nominations left the job without a master whenever the
 * members had not heard the query: a joiner whose tree link was not up
 * yet suspected the master a moment later, and the next root elected it
 * for a "master lost" nobody had lost -- sim --job joiners.) */
void
el_election_appoint (el_peer_t *p, uint64_t now, const ovl_handle_t *to, const char *reason)
{
    el_term_t next;
    next.n = p->term.n + 1;
    next.by = p->self.id;
    el_cause_t why;
    memset (&why, 0, sizeof why);
    why.reason = reason;
    why.has_previous = 1;
    why.previous = p->self.id;
    s_send_elected (p, EL_TO_PUBLISH, NULL, next, to, &why);
    s_send_elected (p, EL_TO_PEER, to, next, to, &why);
    el_election_on_elected (p, now, next, to, &why, 0);
}

/* Root: candidate asks to be master because the master of term is gone. */
void
el_election_arbitrate (el_peer_t *p, uint64_t now, el_term_t term, const ovl_handle_t *candidate,
                       const el_cause_t *cause)
{
    el_cause_t none;
    memset (&none, 0, sizeof none);
    /* A nomination is routed to the job group's key, so the node it reaches
     * is the root by definition (the tree's root is the live node closest to
     * the key), even before the overlay has said so: a dead root is
     * replaced as soon as routing goes round it. */
    if (p->job_finished) {
        /* The candidate missed the relinquish (lost, or its tree link is
         * broken): repeat it, with a done set it can pull everything by. */
        if (!el_peer_is_self (p, candidate) && p->n_done == p->job.slices)
            el_master_send_heartbeat (p, EL_TO_PEER, candidate, 1);
        return;
    }
    if (p->term.n == 0 && !p->is_master) {
        /* This root has heard no master of the job: it may have come after
         * the job finished -- its members answer an election query with
         * the relinquish (el_election_on_query) -- and so may the
         * candidate, or the candidate heard of a master whose last
         * heartbeats, the relinquish among them, passed before its tree
         * link was up (sim --job joiners --nodes 16 --seed 375431089: a
         * latecomer root took a "master lost" nomination of term 1 and
         * elected a master nobody needed; the rule was for term 0 only);
         * or the job's starter died before its first heartbeat. Ask first, and
         * every peer of the network: a root that just took over may have
         * no tree under it yet, and the members answer the asker only.
         * Take the nomination once the question has been out for a master
         * timeout; the candidate nominates again on its retry. Costs a
         * term-0 election one retry (election_timeout_ms) and a query to
         * every peer. */
        if (!p->electing || p->elect_asked_ms < p->elect_started_ms) {
            const char *why = cause->reason && cause->reason[0] ? cause->reason : "no master";
            if (!p->electing && el_peer_work_left (p) && !p->leaving)
                el_election_open (p, now, why);
            if (p->electing) {
                s_ask (p, why, EL_TO_NET);
                p->elect_asked_ms = now;
            }
            return;
        }
        if (now < p->elect_asked_ms + p->cfg.master_timeout_ms)
            return;
    }
    int tell = !el_peer_is_self (p, candidate) && p->has_master;
    if (el_term_cmp (term, p->term) < 0 && p->has_master) {
        /* The candidate missed an election: tell it who won. (With no
         * master here either, its nomination is as good as any: elect it
         * above both terms, below.) */
        if (tell) {
            none.reason = "current";
            s_send_elected (p, EL_TO_PEER, candidate, p->term, &p->master, &none);
        }
        return;
    }
    /* A master this root hears from is alive, whatever others suspect --
     * unless it announced its leave. */
    int handover = p->has_handover && el_term_cmp (p->handover_term, term) == 0;
    int alive =
        p->is_master || (p->has_master && now < p->last_heard_ms + p->cfg.master_timeout_ms);
    el_term_t next;
    next.n = (term.n > p->term.n ? term.n : p->term.n) + 1;
    next.by = p->self.id;
    if (alive && !handover) {
        if (el_term_cmp (term, p->term) > 0) {
            /* The candidate knows a term above ours (from a root that died
             * mid-election) and so ignores our master: confirm that master
             * in a term above both, so everyone follows it again. */
            none.reason = "term catch-up";
            s_send_elected (p, EL_TO_PUBLISH, NULL, next, &p->master, &none);
            el_election_on_elected (p, now, next, &p->master, &none, 0);
        } else if (tell) {
            none.reason = "current";
            s_send_elected (p, EL_TO_PEER, candidate, p->term, &p->master, &none);
        }
        return;
    }
    /* The arbiter must not be the next master to die with: its own
     * nomination counts only once no other came within an election
     * timeout (it is then the only member with work left). */
    if (el_peer_is_self (p, candidate) && now < p->elect_started_ms + p->cfg.election_timeout_ms)
        return;
    /* The cause: the leaving master's word if this root heard it, else
     * the nominator's (which saw the query this root may have missed);
     * the master replaced: the nominator's, else ours; when the failure
     * began: the earliest either of us knows. */
    el_cause_t why = *cause;
    if (handover)
        why.reason = p->handover_reason;
    else if (!why.reason || !why.reason[0])
        why.reason = p->electing && p->elect_reason[0] ? p->elect_reason : "master lost";
    if (!why.has_previous)
        why.has_previous = s_previous (p, &why.previous);
    if (p->electing && now - p->fail_since_ms > why.detected_ms)
        why.detected_ms = s_age_ms (now, p->fail_since_ms);
    /* A failure began, if within the millisecond: 0 would say there was
     * none, and the new master would not measure its takeover. */
    if (why.detected_ms == 0)
        why.detected_ms = 1;
    s_send_elected (p, EL_TO_PUBLISH, NULL, next, candidate, &why);
    /* And to the candidate itself: its link into the tree may have run
     * through the dead master. */
    if (!el_peer_is_self (p, candidate))
        s_send_elected (p, EL_TO_PEER, candidate, next, candidate, &why);
    el_election_on_elected (p, now, next, candidate, &why, 0);
}

void
el_election_on_query (el_peer_t *p, uint64_t now, const P2pf__ElectionQuery *q,
                      const ovl_handle_t *from)
{
    if (p->job_finished && p->n_done == p->job.slices && !el_peer_is_self (p, from)) {
        /* The job is done here: a peer still electing for it missed the
         * end (it came late, even as the job tree's root, and the
         * relinquish never reached it). Tell it, with every slice to pull
         * from us, rather than let it elect itself and compute the whole
         * image alone. */
        el_master_send_heartbeat (p, EL_TO_PEER, from, 1);
        return;
    }
    el_term_t t = el_term_get (q->term, q->elector);
    if (el_term_cmp (t, p->term) < 0) {
        /* A peer behind: the master catches it up. */
        if (p->is_master)
            el_master_send_heartbeat (p, EL_TO_PEER, from, 0);
        p->stats.dropped_other++;
        return;
    }
    int from_master = p->has_master && ovl_id_eq (p->master.id, from->id);
    if (q->handover && (from_master || el_peer_is_self (p, from))) {
        p->has_handover = 1;
        p->handover_term = t;
        snprintf (p->handover_reason, sizeof p->handover_reason, "%s", q->reason);
        if (!el_peer_is_self (p, from)) {
            p->has_master = 0;
            p->no_master_since = now;
        }
    }
    if (p->is_master && !el_peer_is_self (p, from)) {
        /* Suspected but alive: a heartbeat now settles it for everyone. */
        el_master_send_heartbeat (p, EL_TO_PUBLISH, NULL, 0);
        p->heartbeat_at_ms = now + p->cfg.heartbeat_ms;
        return;
    }
    if (el_peer_work_left (p) && !p->leaving && !p->is_master) {
        s_note_cause (p, q->reason, q->handover && (from_master || el_peer_is_self (p, from)));
        if (!p->electing) {
            p->electing = 1;
            p->elect_started_ms = now;
            p->fail_since_ms = s_fail_since (p, now);
            p->elect_retry_ms = now + p->cfg.election_timeout_ms +
                                ovl_rng_below (&p->rng, p->cfg.election_timeout_ms / 4 + 1);
        }
        s_nominate (p, now, t);
    }
}

/* An election without result: start it again. */
uint64_t
el_election_retry_deadline_ms (const el_peer_t *p)
{
    return p->has_job && p->electing ? p->elect_retry_ms : UINT64_MAX;
}

void
el_election_retry_fire (el_peer_t *p, uint64_t now)
{
    if (el_peer_work_left (p) && !p->leaving && !p->is_master) {
        p->has_nominated = 0;
        s_rejoin (p, now); /* perhaps nothing reaches us: a broken tree link */
        el_election_open (p, now, "election stalled");
    } else {
        el_election_over (p);
    }
}

/* The pump's own times (it acts on them when it runs: see the table). */
uint64_t
el_election_suspect_deadline_ms (const el_peer_t *p)
{
    if (p->is_master || !el_peer_work_left (p) || p->leaving || p->electing)
        return UINT64_MAX;
    return (p->has_master ? p->last_heard_ms : p->no_master_since) + p->cfg.master_timeout_ms;
}

/* Report that the master of this term took over after took_ms (once a
 * term: told_took_over). */
static void
s_took_over_event (el_peer_t *p, const ovl_handle_t *master, uint32_t took_ms)
{
    p->told_took_over = p->term;
    el_event_t ev;
    memset (&ev, 0, sizeof ev);
    ev.kind = EL_EV_TOOK_OVER;
    ev.term = p->term.n;
    ev.elector = p->term.by;
    ev.peer = *master;
    ev.took_ms = took_ms;
    el_peer_event (p, &ev);
}

void
el_election_note_assigned (el_peer_t *p, uint64_t now)
{
    if (!p->takeover_pending || !p->is_master)
        return;
    p->takeover_pending = 0;
    p->took_over_ms = s_age_ms (now, p->takeover_from_ms);
    if (p->took_over_ms == 0)
        p->took_over_ms = 1; /* 0 says "not measured" on the wire */
    s_took_over_event (p, &p->self, p->took_over_ms);
}

void
el_election_on_took_over (el_peer_t *p, uint32_t took_over_ms)
{
    if (!took_over_ms || !p->has_master || el_term_cmp (p->told_took_over, p->term) == 0)
        return;
    s_took_over_event (p, &p->master,
                       took_over_ms < EL_DETECTED_MAX_MS ? took_over_ms : EL_DETECTED_MAX_MS);
}
