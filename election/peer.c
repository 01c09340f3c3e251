/* peer.c: one peer's job protocol -- its life cycle, message dispatch, the
 * pump, the timer table and the public calls (see peer.h and
 * docs/ARCHITECTURE.md; peer_internal.h says how the protocol is split).
 *
 * Knowledge a peer keeps per job:
 *   - its own done set and image (what it can serve: store.c);
 *   - the master's done set from the last three heartbeats (what it may
 *     pull: only slices done for two heartbeat intervals, so a slice still
 *     on its way down the tree is not pulled twice: pulls.c);
 *   - the term and master it follows, and when it last heard from it
 *     (master.c, election.c). */
#include "peer_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A message's term more than this ahead of ours is a forgery, not news. */
#define S_TERM_JUMP_MAX (1u << 20)

/* ------------------------------------------------------------------ */
/* helpers for every part */

void
el_config_default (el_config_t *c)
{
    c->heartbeat_ms = 100;
    c->master_timeout_ms = 300;
    c->election_timeout_ms = 1000;
    c->request_timeout_ms = 500;
    c->render_slots = 1;
    c->ahead = 1;
    c->pull_max = 8;
    c->check_pixels = 1;
    c->check_pending_max = 64;
    c->check_timeout_ms = 5000;
}

int
el_peer_is_self (const el_peer_t *p, const ovl_handle_t *h)
{
    return ovl_id_eq (p->self.id, h->id);
}

void
el_peer_event (el_peer_t *p, el_event_t *ev)
{
    ev->job = p->has_job ? &p->job : NULL;
    if (p->up.event)
        p->up.event (p->up.ctx, ev);
}

void
el_peer_role_event (el_peer_t *p)
{
    el_event_t ev;
    memset (&ev, 0, sizeof ev);
    ev.kind = EL_EV_ROLE;
    ev.master = p->is_master;
    ev.root = p->is_root;
    el_peer_event (p, &ev);
}

/* Work left that somebody must still compute (not just fetch). */
int
el_peer_work_left (const el_peer_t *p)
{
    return p->has_job && !p->job_finished && p->n_done < p->job.slices;
}

int
el_peer_in (uint32_t s, const uint32_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == s)
            return 1;
    return 0;
}

/* 1 if this node roots a group other than the network's: without a job,
 * that is a job's tree whose JobAnnounce we missed. */
static int
s_roots_other (const el_peer_t *p)
{
    for (int i = 0; i < p->n_roots; i++)
        if (!ovl_id_eq (p->roots[i], p->net))
            return 1;
    return 0;
}

/* When to ask for the network's job again: every request_timeout_ms for
 * the first three tries (the third reaches everyone with the job), then
 * twice as long each time, up to 4 times (2 s on a LAN: a peer whose
 * JobAnnounce was lost must not wait long for the job): a network with no job yet
 * answers nobody, and every query goes to every member, so N peers asking
 * at a fixed pace cost N^2 deliveries a round (a 200-peer simulation
 * spent most of its time on them). A job started later is announced to
 * everyone, so backing off delays no one -- except the root of a job's
 * tree that missed its JobAnnounce: it is the election's arbiter, so it
 * asks at the first pace until it has the job. */
static uint64_t
s_job_query_due (const el_peer_t *p, uint64_t now)
{
    uint32_t extra = p->job_queries > 3 && !s_roots_other (p) ? (uint32_t)p->job_queries - 3 : 0;
    return now + ((uint64_t)p->cfg.request_timeout_ms << (extra < 2 ? extra : 2));
}

/* ------------------------------------------------------------------ */
/* the job, the pump and the dispatch */

static void
s_free_job (el_peer_t *p)
{
    while (p->n_checks > 0)
        el_checks_remove (p, p->n_checks - 1, 1);
    free (p->checking);
    p->checking = NULL;
    free (p->pixels);
    free (p->done);
    free (p->by);
    free (p->hb_done);
    free (p->hb_prev);
    free (p->hb_old);
    free (p->pulled);
    free (p->pull_to);
    free (p->pull_tries);
    free (p->unseen);
    p->unseen = p->pull_to = p->pull_tries = NULL;
    p->pixels = NULL;
    p->done = p->hb_done = p->hb_prev = p->hb_old = p->pulled = NULL;
    p->by = NULL;
}

static int
s_root_of (const el_peer_t *p, ovl_id_t group)
{
    for (int i = 0; i < p->n_roots; i++)
        if (ovl_id_eq (p->roots[i], group))
            return 1;
    return 0;
}

/* Follow job: a fresh image, the job group, and either mastership (a job
 * started here) or a MasterQuery. */
static int
s_adopt (el_peer_t *p, uint64_t now, const el_job_t *job, int as_master)
{
    size_t npx = el_job_values (job);
    size_t nbits = (job->slices + 7) / 8;
    float *pixels = malloc (npx * sizeof *pixels);
    uint8_t *done = calloc (nbits, 1), *hb_done = calloc (nbits, 1), *hb_prev = calloc (nbits, 1);
    uint8_t *hb_old = calloc (nbits, 1), *pulled = calloc (nbits, 1);
    ovl_id_t *by = calloc (job->slices, sizeof *by);
    uint8_t *checking = calloc (job->slices, 1), *unseen = calloc (job->slices, 1);
    uint8_t *pull_to = calloc (job->slices, 1), *pull_tries = calloc (job->slices, 1);
    if (!pixels || !done || !hb_done || !hb_prev || !hb_old || !pulled || !by || !checking ||
        !unseen || !pull_to || !pull_tries) {
        free (pull_to);
        free (pull_tries);
        free (unseen);
        free (checking);
        free (pixels);
        free (done);
        free (hb_done);
        free (hb_prev);
        free (hb_old);
        free (pulled);
        free (by);
        return -1;
    }
    int was_master = p->is_master, was_root = p->is_root;
    if (p->has_job && p->up.leave)
        p->up.leave (p->up.ctx, p->job.group);
    s_free_job (p);
    p->job = *job;
    p->has_job = 1;
    p->pixels = pixels;
    p->done = done;
    p->hb_done = hb_done;
    p->hb_prev = hb_prev;
    p->hb_old = hb_old;
    p->pulled = pulled;
    p->pull_to = pull_to;
    p->pull_tries = pull_tries;
    p->n_holders = p->holders_next = p->holders_told = 0;
    p->n_joiners = p->joiners_next = p->joiners_told = 0;
    p->by = by;
    p->checking = checking;
    p->unseen = unseen;
    p->n_banned = 0;
    p->has_ref = 0;
    p->n_done = p->n_own = 0;
    p->done_reported = 0;
    memset (&p->term, 0, sizeof p->term);
    p->has_master = 0;
    p->no_master_since = now;
    p->queue_head = 0;
    p->job_finished = 0;
    p->master_queries = 0;
    p->has_source = 0;
    p->is_master = 0;
    p->n_returned = 0;
    p->n_inflight = 0; /* results for the old job are ignored when they come */
    p->request_pending = p->pull_pending = p->query_pending = 0;
    p->pull_deadline_ms = 0;
    p->pull_misses = 0;
    p->idle_until_ms = 0;
    p->announce_at_ms = now + p->cfg.election_timeout_ms;
    el_election_over (p);
    p->has_nominated = 0;
    p->has_handover = 0;
    p->is_root = s_root_of (p, job->group);

    el_event_t ev;
    memset (&ev, 0, sizeof ev);
    ev.kind = EL_EV_JOB_STARTED;
    el_peer_event (p, &ev);
    if (was_master || was_root != p->is_root)
        el_peer_role_event (p);
    if (p->up.join)
        p->up.join (p->up.ctx, job->group);
    if (as_master) {
        p->term.n = 1;
        p->term.by = p->self.id;
        memset (&ev, 0, sizeof ev);
        ev.kind = EL_EV_MASTER_ELECTED;
        ev.term = 1;
        ev.elector = p->self.id;
        ev.peer = p->self;
        ev.reason = "start";
        el_peer_event (p, &ev);
        el_master_become (p, now);
    } else {
        el_peer_send_query (p, P2PF__JOB_MSG__KIND_MASTER_QUERY);
        p->query_pending = 1;
        p->query_deadline_ms = now + p->cfg.request_timeout_ms;
    }
    el_peer_pump (p, now);
    return 0;
}

/* Everything that follows from the current state without a message:
 * work requests, the master's own share, pulls, suspicion. Idempotent. */
void
el_peer_pump (el_peer_t *p, uint64_t now)
{
    if (!p->has_job)
        return;
    uint32_t room = p->cap_inflight - p->n_inflight;
    if (p->is_master && !p->leaving && room > 0 && el_peer_work_left (p)) {
        uint32_t got[EL_MSG_SLICES_MAX];
        size_t n =
            el_master_assign (p, &p->self, room > EL_MSG_SLICES_MAX ? EL_MSG_SLICES_MAX : room,
                              p->inflight, p->n_inflight, got);
        if (n > 0)
            el_election_note_assigned (p, now);
        el_worker_take (p, got, n);
    } else if (!p->is_master && p->has_master && !p->leaving && room > 0 && el_peer_work_left (p) &&
               !p->request_pending && now >= p->idle_until_ms) {
        uint32_t want = room > EL_MSG_SLICES_MAX ? EL_MSG_SLICES_MAX : room;
        el_peer_send_slices (p, EL_TO_PEER, &p->master, P2PF__JOB_MSG__KIND_WORK_REQUEST,
                             p->inflight, p->n_inflight, want);
        p->request_pending = 1;
        p->request_deadline_ms = now + p->cfg.request_timeout_ms;
    }
    if (!p->is_master && el_peer_work_left (p) && !p->leaving && !p->electing) {
        uint64_t since = p->has_master ? p->last_heard_ms : p->no_master_since;
        if (now >= since + p->cfg.master_timeout_ms)
            el_election_open (p, now, p->has_master ? "master lost" : "no master");
    }
}

/* How a message came. */
enum { S_VIA_PUBLISH, S_VIA_DIRECT, S_VIA_ROUTED };

/* A message routed to another job's key reached us, as the node closest
 * to it: one of us follows a job the other missed the JobAnnounce of. If
 * it is the sender, our JobAnnounce moves it on (a peer left on the older
 * of two zooms elects for ever: its master and every member moved on). If
 * it is us, we are the arbiter of the newer job's elections and drop
 * every nomination until we have it: a JobQuery, told to answer whatever
 * it holds, brings its JobAnnounce. Whichever job is older is ignored. */
static void
s_tell_job (el_peer_t *p, const ovl_handle_t *to)
{
    if (p->has_job)
        el_peer_send_announce (p, EL_TO_PEER, to);
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__JobQuery jq = P2PF__JOB_QUERY__INIT;
    jq.attempt = 2;
    msg.kind_case = P2PF__JOB_MSG__KIND_JOB_QUERY;
    msg.job_query = &jq;
    el_peer_emit (p, &msg, EL_TO_PEER, to);
}

/* One job message, however it came. */
static void
s_receive (el_peer_t *p, uint64_t now, const uint8_t *bytes, size_t len, const ovl_handle_t *from,
           int via)
{
    if (!p->started) {
        /* Our node has not joined the ring: we are nobody's member yet.
         * A node that heard of us early (node_up) sent us its job; taking
         * it, we rooted the job's tree alone and elected ourselves (sim
         * --job joiners --seed 7116). We ask for the job once joined. */
        p->stats.dropped_other++;
        return;
    }
    el_msg_error_t why;
    P2pf__JobMsg *m = el_msg_decode (bytes, len, &why);
    if (!m) {
        p->stats.dropped_malformed++;
        return;
    }
    if (m->kind_case == P2PF__JOB_MSG__KIND_JOB_QUERY) {
        if (p->has_job && !el_peer_is_self (p, from) &&
            (p->is_master || (p->is_root && !p->has_master) || m->job_query->attempt >= 2))
            el_peer_send_announce (p, EL_TO_PEER, from);
        el_msg_free (&m);
        return;
    }
    ovl_id_t jid = ovl_id_from_bytes (m->job.data);
    if (m->kind_case == P2PF__JOB_MSG__KIND_ANNOUNCE) {
        el_job_t job;
        if (el_job_from_spec (&job, m->announce->spec, NULL, 0) || !ovl_id_eq (job.id, jid)) {
            p->stats.dropped_job++;
        } else if (!p->has_job || el_job_newer (&job, &p->job)) {
            if (s_adopt (p, now, &job, 0))
                p->stats.dropped_other++;
        } else if (!ovl_id_eq (job.id, p->job.id)) {
            /* An older job: not followed. Its publisher missed ours (a
             * master still announcing a job everyone left): our master --
             * or, with none, our root -- tells it, as it would answer its
             * JobQuery. */
            p->stats.dropped_other++;
            if (!el_peer_is_self (p, from) && (p->is_master || (p->is_root && !p->has_master)))
                el_peer_send_announce (p, EL_TO_PEER, from);
        }
        el_msg_free (&m);
        return;
    }
    if (!p->has_job || !ovl_id_eq (jid, p->job.id)) {
        p->stats.dropped_other++;
        if (via == S_VIA_ROUTED && !el_peer_is_self (p, from))
            s_tell_job (p, from);
        el_msg_free (&m);
        return;
    }
    if (el_msg_check_job (m, &p->job) != EL_MSG_OK) {
        p->stats.dropped_job++;
        el_msg_free (&m);
        return;
    }
    uint64_t term = 0; /* the counter a message claims */
    switch (m->kind_case) {
    case P2PF__JOB_MSG__KIND_MASTER_RESPONSE:
        term = m->master_response->term;
        break;
    case P2PF__JOB_MSG__KIND_HEARTBEAT:
        term = m->heartbeat->term;
        break;
    case P2PF__JOB_MSG__KIND_ELECTION_QUERY:
        term = m->election_query->term;
        break;
    case P2PF__JOB_MSG__KIND_NOMINATION:
        term = m->nomination->term;
        break;
    case P2PF__JOB_MSG__KIND_ELECTED:
        term = m->elected->term;
        break;
    default:
        break;
    }
    if (term > p->term.n + S_TERM_JUMP_MAX) {
        p->stats.dropped_job++;
        el_msg_free (&m);
        return;
    }

    switch (m->kind_case) {
    case P2PF__JOB_MSG__KIND_MASTER_QUERY:
        el_master_on_query (p, now, from, m->master_query->attempt);
        break;
    case P2PF__JOB_MSG__KIND_MASTER_RESPONSE:
        el_master_on_response (p, now, m->master_response, from);
        break;
    case P2PF__JOB_MSG__KIND_WORK_REQUEST:
        el_master_on_work_request (p, now, m->work_request, from);
        break;
    case P2PF__JOB_MSG__KIND_WORK_ASSIGN:
        el_worker_on_assign (p, now, m->work_assign, from);
        break;
    case P2PF__JOB_MSG__KIND_WORK_RETURN:
        el_master_on_work_return (p, now, m->work_return);
        break;
    case P2PF__JOB_MSG__KIND_SLICE_DATA:
        el_store_on_slice_data (p, now, m->slice_data, from);
        break;
    case P2PF__JOB_MSG__KIND_SLICE_REQUEST:
        el_pulls_on_request (p, m->slice_request, from);
        break;
    case P2PF__JOB_MSG__KIND_HEARTBEAT:
        el_master_on_heartbeat (p, now, m->heartbeat, from);
        break;
    case P2PF__JOB_MSG__KIND_ELECTION_QUERY:
        el_election_on_query (p, now, m->election_query, from);
        break;
    case P2PF__JOB_MSG__KIND_NOMINATION: {
        if (via != S_VIA_ROUTED) {
            p->stats.dropped_other++;
            break;
        }
        ovl_handle_t cand;
        ovl_wire_handle_get (m->nomination->candidate, &cand);
        el_cause_t cause = el_cause_get (m->nomination->reason, m->nomination->previous,
                                         m->nomination->detected_ms);
        el_election_arbitrate (p, now, el_term_get (m->nomination->term, m->nomination->elector),
                               &cand, &cause);
        break;
    }
    case P2PF__JOB_MSG__KIND_ELECTED: {
        ovl_handle_t mh;
        ovl_wire_handle_get (m->elected->master, &mh);
        el_cause_t cause =
            el_cause_get (m->elected->reason, m->elected->previous, m->elected->detected_ms);
        el_election_on_elected (p, now, el_term_get (m->elected->term, m->elected->elector), &mh,
                                &cause, via == S_VIA_DIRECT);
        break;
    }
    default:
        p->stats.dropped_other++;
        break;
    }
    el_msg_free (&m);
}

/* ------------------------------------------------------------------ */
/* the API */

el_peer_t *
el_peer_new (const el_config_t *config, const ovl_handle_t *self, ovl_id_t network_group,
             const el_upcalls_t *upcalls, uint64_t seed)
{
    el_peer_t *p = calloc (1, sizeof *p);
    if (!p)
        return NULL;
    p->cfg = *config;
    if (p->cfg.render_slots < 1)
        p->cfg.render_slots = 1;
    p->cap_inflight = p->cfg.render_slots + p->cfg.ahead;
    if (p->cap_inflight > EL_MSG_SLICES_MAX)
        p->cap_inflight = EL_MSG_SLICES_MAX;
    p->inflight = calloc (p->cap_inflight, sizeof *p->inflight);
    if (!p->inflight) {
        free (p);
        return NULL;
    }
    if (p->cfg.check_pixels > 0 && p->cfg.check_pending_max > 0) {
        p->checks = calloc (p->cfg.check_pending_max, sizeof *p->checks);
        if (!p->checks) {
            free (p->inflight);
            free (p);
            return NULL;
        }
    }
    p->self = *self;
    p->net = network_group;
    if (upcalls)
        p->up = *upcalls;
    ovl_rng_seed (&p->rng, seed);
    ovl_rng_seed (&p->check_rng, seed ^ 0x243f6a8885a308d3ull);
    p->job_query_at_ms = UINT64_MAX;
    return p;
}

void
el_peer_destroy (el_peer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    el_peer_t *p = *self_p;
    s_free_job (p);
    free (p->checks);
    free (p->inflight);
    free (p);
    *self_p = NULL;
}

void
el_peer_start (el_peer_t *p, uint64_t now)
{
    if (p->started)
        return;
    p->started = 1;
    if (p->up.join)
        p->up.join (p->up.ctx, p->net);
    if (!p->has_job) {
        el_peer_send_query (p, P2PF__JOB_MSG__KIND_JOB_QUERY);
        p->job_query_at_ms = s_job_query_due (p, now);
    }
}

int
el_peer_new_job (el_peer_t *p, uint64_t now, const rnd_view_t *view, int slices,
                 uint64_t stamp_hint, char *err, size_t err_size)
{
    uint64_t stamp = stamp_hint;
    if (p->has_job && stamp <= p->job.stamp)
        stamp = p->job.stamp + 1;
    el_job_t job;
    if (el_job_init (&job, view, slices, stamp, err, err_size))
        return -1;
    job.has_origin = 1;
    job.origin = p->self.id;
    if (s_adopt (p, now, &job, 1)) {
        if (err && err_size)
            snprintf (err, err_size, "out of memory for a %dx%d image", view->width_px,
                      view->height_px);
        return -1;
    }
    el_peer_send_announce (p, EL_TO_NET, NULL);
    return 0;
}

void
el_peer_on_publish (el_peer_t *p, uint64_t now, ovl_id_t group, const uint8_t *bytes, size_t len,
                    const ovl_handle_t *publisher)
{
    if (!ovl_id_eq (group, p->net) && !(p->has_job && ovl_id_eq (group, p->job.group))) {
        p->stats.dropped_other++;
        return;
    }
    s_receive (p, now, bytes, len, publisher, S_VIA_PUBLISH);
}

void
el_peer_on_direct (el_peer_t *p, uint64_t now, const ovl_handle_t *from, const uint8_t *bytes,
                   size_t len)
{
    s_receive (p, now, bytes, len, from, S_VIA_DIRECT);
}

void
el_peer_on_routed (el_peer_t *p, uint64_t now, ovl_id_t key, const uint8_t *bytes, size_t len,
                   const ovl_handle_t *origin)
{
    (void)key;
    s_receive (p, now, bytes, len, origin, S_VIA_ROUTED);
}

void
el_peer_on_root (el_peer_t *p, uint64_t now, ovl_id_t group, int is_root)
{
    int i;
    for (i = 0; i < p->n_roots && !ovl_id_eq (p->roots[i], group); i++)
        ;
    if (is_root && i == p->n_roots) {
        if (p->n_roots == EL_PEER_ROOTS_MAX)
            memmove (p->roots, p->roots + 1, (EL_PEER_ROOTS_MAX - 1) * sizeof *p->roots);
        else
            p->n_roots++;
        p->roots[p->n_roots - 1] = group;
    } else if (!is_root && i < p->n_roots) {
        p->roots[i] = p->roots[--p->n_roots];
    }
    if (p->has_job && ovl_id_eq (group, p->job.group) && p->is_root != is_root) {
        p->is_root = is_root;
        el_peer_role_event (p);
    }
    /* The root of a group we have no job for: the JobAnnounce was lost on
     * its way to us, yet we are closest to the job group's key and so its
     * arbiter, whose nominations we would drop until the next backed-off
     * JobQuery. Ask now (the timer sends it). */
    if (is_root && p->started && !p->has_job && !ovl_id_eq (group, p->net) &&
        p->job_query_at_ms > now)
        p->job_query_at_ms = now;
}

void
el_peer_on_node_up (el_peer_t *p, uint64_t now, const ovl_handle_t *node)
{
    (void)now;
    if (p->has_job && !el_peer_is_self (p, node))
        el_peer_send_announce (p, EL_TO_PEER, node);
}

void
el_peer_on_node_lost (el_peer_t *p, uint64_t now, const ovl_handle_t *node)
{
    if (p->has_source && ovl_id_eq (p->source.id, node->id))
        p->has_source = 0;
    el_pulls_forget_holder (p, node->id);
    if (p->has_master && !p->is_master && ovl_id_eq (p->master.id, node->id)) {
        /* The overlay saw it die: no need to wait out the heartbeat. */
        p->last_heard_ms = 0;
        el_peer_pump (p, now);
    }
}

void
el_peer_leave (el_peer_t *p, uint64_t now)
{
    if (p->leaving)
        return;
    p->leaving = 1;
    if (!p->has_job)
        return;
    if (p->is_master) {
        el_election_handover (p, now, "handover");
    } else if (p->has_master && p->n_inflight > 0) {
        el_peer_send_slices (p, EL_TO_PEER, &p->master, P2PF__JOB_MSG__KIND_WORK_RETURN,
                             p->inflight, p->n_inflight, 0);
    }
}

void
el_peer_status (const el_peer_t *p, el_status_t *out)
{
    memset (out, 0, sizeof *out);
    out->has_job = p->has_job;
    out->term = p->term.n;
    out->elector = p->term.by;
    out->has_master = p->has_master;
    if (p->has_master)
        out->master = p->master;
    out->is_master = p->is_master;
    out->is_root = p->is_root;
    out->electing = p->electing;
    out->done = p->n_done;
    out->total = p->has_job ? p->job.slices : 0;
    out->own = p->n_own;
    out->in_flight = p->n_inflight;
}

const el_job_t *
el_peer_job (const el_peer_t *p)
{
    return p->has_job ? &p->job : NULL;
}

const el_stats_t *
el_peer_stats (const el_peer_t *p)
{
    return &p->stats;
}

/* ------------------------------------------------------------------ */
/* timers: each is a pair, its deadline and its fire, in one table read by
 * both el_peer_on_tick and el_peer_next_deadline_ms, so the condition that
 * wakes the peer is the one that acts. A deadline must cover every case
 * its fire acts on: a timer fires only once its deadline has come. The
 * pairs live with the part they serve (peer_internal.h). */

/* No job yet: ask the network for its job again. */
static uint64_t
s_job_query_deadline_ms (const el_peer_t *p)
{
    return p->started && !p->has_job ? p->job_query_at_ms : UINT64_MAX;
}

static void
s_job_query_fire (el_peer_t *p, uint64_t now)
{
    el_peer_send_query (p, P2PF__JOB_MSG__KIND_JOB_QUERY);
    p->job_query_at_ms = s_job_query_due (p, now);
}

/* The master publishes its JobAnnounce on the network group again every
 * election timeout (and at once when elected): a peer whose copy was lost
 * but that followed an older job -- a zoom a moment before -- is otherwise
 * never told (it has a job, so it asks for none; everyone else left the
 * old job's group), and would elect for a job nobody works on, or, as
 * that job's master, compute its image alone. Once the job is done there
 * is no master, and the job tree's root holding the whole image goes on
 * announcing it: four peers that missed every announce of a zoom while
 * its swarm finished it kept the older image for ever, done with it and
 * told nothing (sim --job new-jobs --seed 6033 --loss 0.05). It costs one
 * announce a second on an idle network. */
static uint64_t
s_announce_deadline_ms (const el_peer_t *p)
{
    if (!p->has_job || p->leaving)
        return UINT64_MAX;
    int done_root = p->is_root && !p->has_master && p->n_done == p->job.slices;
    return p->is_master || done_root ? p->announce_at_ms : UINT64_MAX;
}

static void
s_announce_fire (el_peer_t *p, uint64_t now)
{
    el_peer_send_announce (p, EL_TO_NET, NULL);
    p->announce_at_ms = now + p->cfg.election_timeout_ms;
}

typedef struct {
    const char *name;                             /* for a debugger or a trace */
    uint64_t (*deadline_ms) (const el_peer_t *p); /* UINT64_MAX: not armed */
    void (*fire) (el_peer_t *p, uint64_t now_ms); /* NULL: el_peer_pump acts on it */
} s_timer_t;

/* In firing order: it decides which timer draws which random number. The
 * last rows have no fire of their own: el_peer_pump, which ends every tick as it
 * ends every message, acts on them (suspecting the master, asking for work
 * after an empty WorkAssign). */
static const s_timer_t s_timers[] = {
    { "check-timeout", el_checks_timeout_deadline_ms, el_checks_timeout_fire },
    { "job-query", s_job_query_deadline_ms, s_job_query_fire },
    { "heartbeat", el_master_heartbeat_deadline_ms, el_master_heartbeat_fire },
    { "announce", s_announce_deadline_ms, s_announce_fire },
    { "work-request", el_worker_request_deadline_ms, el_worker_request_fire },
    { "pull", el_pulls_timeout_deadline_ms, el_pulls_timeout_fire },
    { "master-query", el_master_query_deadline_ms, el_master_query_fire },
    { "election-retry", el_election_retry_deadline_ms, el_election_retry_fire },
    { "suspect", el_election_suspect_deadline_ms, NULL },
    { "idle", el_worker_idle_deadline_ms, NULL },
};
#define S_TIMERS (sizeof s_timers / sizeof s_timers[0])

void
el_peer_on_tick (el_peer_t *p, uint64_t now)
{
    /* Each deadline is read after the timers before it ran: their work
     * (a check given up, a request expired) may have armed or disarmed it. */
    for (size_t i = 0; i < S_TIMERS; i++)
        if (s_timers[i].fire && s_timers[i].deadline_ms (p) <= now)
            s_timers[i].fire (p, now);
    el_peer_pump (p, now);
}

uint64_t
el_peer_next_deadline_ms (const el_peer_t *p)
{
    uint64_t t = UINT64_MAX;
    for (size_t i = 0; i < S_TIMERS; i++) {
        uint64_t d = s_timers[i].deadline_ms (p);
        if (d < t)
            t = d;
    }
    return t;
}
