/* peer.c: one peer's job protocol (see peer.h and docs/ARCHITECTURE.md).
 *
 * Knowledge a peer keeps per job:
 *   - its own done set and image (what it can serve);
 *   - the master's done set from the last two heartbeats (what it may pull:
 *     only slices done for a whole heartbeat interval, so a slice still on
 *     its way down the tree is not pulled twice);
 *   - the term and master it follows, and when it last heard from it.
 * The master hands out slices from a rotating cursor over the slice
 * indices: the next undone slice after the last one issued, so a slice
 * whose result never comes is issued again only after every other undone
 * slice was issued once. A successor continues from the cursor the old
 * master's heartbeats carried. */
#include "peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "slice pixels travel as little-endian float32; this code copies them as they are"
#endif

/* A message's term more than this ahead of ours is a forgery, not news. */
#define S_TERM_JUMP_MAX (1u << 20)
/* Slices a leaving worker hands back that the master remembers to issue
 * first. */
#define S_RETURNED_MAX EL_MSG_SLICES_MAX
/* Job groups remembered as "this node is their root" before the job is
 * adopted (the overlay may say so first). */
#define S_ROOTS_MAX 8
/* Pulls in a row that bring nothing before a finished job's missing
 * slices are computed again. */
#define S_PULL_MISSES_MAX 3
/* Peers a job ignores after a slice of theirs failed its check: a few
 * liars are enough to notice; past that the oldest is forgotten. */
#define S_BANNED_MAX 16
/* Pixels one check may recompute, and the bytes of received slices held
 * awaiting their checks (with check_pending_max, the memory bound). */
#define S_CHECK_PX_MAX 64
#define S_CHECK_BYTES_MAX (64u << 20)

/* A received slice awaiting its check: not stored, not done, not served;
 * the master does not hand it out meanwhile, pulls do not ask for it. */
typedef struct {
    uint64_t token;              /* the check upcall's */
    uint64_t deadline_ms;        /* given up then */
    uint32_t slice;              /* its index */
    ovl_handle_t from;           /* who sent it */
    ovl_id_t by;                 /* who it says computed it */
    float *pixels;               /* its pixels, as received */
    size_t bytes;                /* their size */
    uint32_t n;                  /* pixels checked */
    uint32_t at[S_CHECK_PX_MAX]; /* their indices within the slice */
} s_check_t;

/* A term: a counter and the root that elected it. Ordered by counter,
 * then elector; each root accepts one master per counter, so no term ever
 * has two masters, however many roots die mid-election (ballots). */
typedef struct {
    uint64_t n;
    ovl_id_t by;
} s_term_t;

static int
s_tcmp (s_term_t a, s_term_t b)
{
    if (a.n != b.n)
        return a.n < b.n ? -1 : 1;
    return ovl_id_cmp (a.by, b.by);
}

/* A term off the wire (validated: elector 16 bytes or none). */
static s_term_t
s_term_get (uint64_t n, ProtobufCBinaryData elector)
{
    s_term_t t;
    t.n = n;
    memset (&t.by, 0, sizeof t.by);
    if (elector.len == 16)
        t.by = ovl_id_from_bytes (elector.data);
    return t;
}

/* Onto the wire: buf must outlive the message. */
static void
s_term_set (s_term_t t, uint64_t *n, ProtobufCBinaryData *elector, uint8_t buf[16])
{
    *n = t.n;
    ovl_id_to_bytes (t.by, buf);
    elector->data = buf;
    elector->len = 16;
}

struct el_peer_t {
    el_config_t cfg;
    ovl_handle_t self;
    ovl_id_t net; /* the network group */
    el_upcalls_t up;
    ovl_rng_t rng;
    el_stats_t stats;
    int started;                 /* el_peer_start was called */
    uint64_t job_query_at_ms;    /* ask the network for its job then */
    int job_queries;             /* JobQuery messages sent */
    ovl_id_t roots[S_ROOTS_MAX]; /* groups whose tree this node roots */
    int n_roots;

    /* the job */
    int has_job;
    el_job_t job;
    float *pixels;     /* W*H */
    uint8_t *done;     /* bitmap: slice here */
    ovl_id_t *by;      /* per slice: who computed it */
    uint32_t n_done;   /* slices here */
    uint32_t n_own;    /* of them, computed here first */
    int done_reported; /* EL_EV_JOB_DONE raised */

    /* what the master says */
    s_term_t term; /* (counter, elector): see MasterElected in wire.proto */
    int has_master;
    ovl_handle_t master;
    uint64_t last_heard_ms;        /* heartbeat, election or response of the master */
    uint64_t no_master_since;      /* when has_master last became 0 */
    uint8_t *hb_done;              /* the master's done set, last heartbeat */
    uint8_t *hb_prev;              /* and the one before */
    uint8_t *hb_old;               /* and the one before that: what pulls ask for */
    uint8_t *pulled;               /* slices asked for by the pulls under way */
    uint8_t *checking;             /* per slice: copies awaiting their check */
    s_check_t *checks;             /* those copies (check_pending_max) */
    uint32_t n_checks;             /* in use */
    size_t check_bytes;            /* their pixels' bytes */
    uint64_t check_token;          /* the last token handed out */
    ovl_rng_t check_rng;           /* which pixels: a stream of its own, so checks
                                      do not shift the election's jitter */
    ovl_id_t banned[S_BANNED_MAX]; /* sent or computed slices that failed */
    size_t n_banned;               /* their check, this job: ignored */
    uint32_t queue_head;           /* the master's cursor, last known */
    int job_finished;              /* the master relinquished: everything is done */
    int has_source;                /* a peer to pull missing slices from */
    ovl_handle_t source;

    /* as master */
    int is_master;
    uint64_t heartbeat_at_ms;
    uint32_t returned[S_RETURNED_MAX]; /* slices handed back, issued first */
    int n_returned;

    /* as worker */
    uint32_t *inflight; /* slices asked of the renderer, not yet back */
    uint32_t n_inflight, cap_inflight;
    int request_pending;
    uint64_t request_deadline_ms;
    uint64_t idle_until_ms;    /* an empty WorkAssign: wait before asking again */
    int pull_pending;          /* a pull sent, and no slice came since */
    uint64_t pull_deadline_ms; /* then `pulled` is forgotten (0: nothing pulled) */
    int pull_misses;           /* pulls in a row that brought nothing */
    int query_pending;         /* MasterQuery unanswered */
    uint64_t query_deadline_ms;

    /* elections */
    int electing;              /* this peer knows an election is under way */
    uint64_t elect_started_ms; /* when it first suspected */
    uint64_t elect_retry_ms;   /* publish the query again then */
    int has_nominated;         /* nominated_term holds the last term nominated in */
    s_term_t nominated_term;
    int is_root;      /* root of the job group's tree */
    int has_handover; /* handover_term's master is leaving */
    s_term_t handover_term;
    char handover_reason[EL_REASON_MAX + 1]; /* as the leaving master gave it */
    uint64_t rejoin_at_ms;                   /* earliest time to re-join the job group */
    int leaving;
};

/* ------------------------------------------------------------------ */
/* small helpers */

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

static int
s_is_self (const el_peer_t *p, const ovl_handle_t *h)
{
    return ovl_id_eq (p->self.id, h->id);
}

static void
s_event (el_peer_t *p, el_event_t *ev)
{
    ev->job = p->has_job ? &p->job : NULL;
    if (p->up.event)
        p->up.event (p->up.ctx, ev);
}

static void
s_role_event (el_peer_t *p)
{
    el_event_t ev;
    memset (&ev, 0, sizeof ev);
    ev.kind = EL_EV_ROLE;
    ev.master = p->is_master;
    ev.root = p->is_root;
    s_event (p, &ev);
}

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

/* Work left that somebody must still compute (not just fetch). */
static int
s_work_left (const el_peer_t *p)
{
    return p->has_job && !p->job_finished && p->n_done < p->job.slices;
}

/* ------------------------------------------------------------------ */
/* sending */

typedef enum { S_TO_PUBLISH, S_TO_NET, S_TO_PEER, S_TO_ROUTE_JOB } s_dest_t;

/* Encode msg (job id and version filled in here) and hand it over. */
static void
s_emit (el_peer_t *p, P2pf__JobMsg *msg, s_dest_t dest, const ovl_handle_t *to)
{
    uint8_t jid[16];
    msg->version = EL_MSG_VERSION;
    if (p->has_job) {
        ovl_id_to_bytes (p->job.id, jid);
        msg->job.data = jid;
        msg->job.len = 16;
    }
    size_t len;
    uint8_t *bytes = el_msg_encode (msg, &len);
    if (!bytes)
        return; /* out of memory: the protocol retries what matters */
    switch (dest) {
    case S_TO_PUBLISH:
        if (p->up.publish)
            p->up.publish (p->up.ctx, p->job.group, bytes, len);
        break;
    case S_TO_NET:
        if (p->up.publish)
            p->up.publish (p->up.ctx, p->net, bytes, len);
        break;
    case S_TO_PEER:
        if (p->up.send)
            p->up.send (p->up.ctx, to, bytes, len);
        break;
    case S_TO_ROUTE_JOB:
        if (p->up.route)
            p->up.route (p->up.ctx, p->job.group, bytes, len);
        break;
    }
    free (bytes);
}

/* JobQuery (routed to the network group's root) or MasterQuery
 * (published to the job group). */
static void
s_send_query (el_peer_t *p, P2pf__JobMsg__KindCase kind)
{
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__JobQuery jq = P2PF__JOB_QUERY__INIT;
    P2pf__MasterQuery mq = P2PF__MASTER_QUERY__INIT;
    msg.kind_case = kind;
    if (kind == P2PF__JOB_MSG__KIND_JOB_QUERY)
        msg.job_query = &jq;
    else
        msg.master_query = &mq;
    if (kind == P2PF__JOB_MSG__KIND_JOB_QUERY) {
        /* To every member of the network group: the master answers (or,
         * with none, the job's root); after two tries, anyone with the job
         * does (an election may be under way). */
        jq.attempt = (uint32_t)p->job_queries++;
        s_emit (p, &msg, S_TO_NET, NULL);
        return;
    }
    s_emit (p, &msg, S_TO_PUBLISH, NULL);
}

/* When to ask for the network's job again: every request_timeout_ms for
 * the first three tries (the third reaches everyone with the job), then
 * twice as long each time, up to 16 times: a network with no job yet
 * answers nobody, and every query goes to every member, so N peers asking
 * at a fixed pace cost N^2 deliveries a round (a 200-peer simulation
 * spent most of its time on them). A job started later is announced to
 * everyone, so backing off delays no one. */
static uint64_t
s_job_query_due (const el_peer_t *p, uint64_t now)
{
    uint32_t extra = p->job_queries > 3 ? (uint32_t)p->job_queries - 3 : 0;
    return now + ((uint64_t)p->cfg.request_timeout_ms << (extra < 4 ? extra : 4));
}

static void
s_send_announce (el_peer_t *p, s_dest_t dest, const ovl_handle_t *to)
{
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__JobAnnounce ann = P2PF__JOB_ANNOUNCE__INIT;
    P2pf__JobSpec spec;
    el_job_to_spec (&p->job, &spec);
    ann.spec = &spec;
    msg.kind_case = P2PF__JOB_MSG__KIND_ANNOUNCE;
    msg.announce = &ann;
    s_emit (p, &msg, dest, to);
}

static void
s_send_heartbeat (el_peer_t *p, s_dest_t dest, const ovl_handle_t *to, int relinquish)
{
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__MasterHeartbeat hb = P2PF__MASTER_HEARTBEAT__INIT;
    uint8_t eb[16];
    s_term_set (p->term, &hb.term, &hb.elector, eb);
    hb.done.data = p->done;
    hb.done.len = el_job_bitmap_bytes (&p->job);
    hb.queue_head = p->queue_head;
    hb.relinquish = relinquish;
    msg.kind_case = P2PF__JOB_MSG__KIND_HEARTBEAT;
    msg.heartbeat = &hb;
    s_emit (p, &msg, dest, to);
}

static void
s_send_elected (el_peer_t *p, s_dest_t dest, const ovl_handle_t *to, s_term_t term,
                const ovl_handle_t *master, const char *reason)
{
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__MasterElected el = P2PF__MASTER_ELECTED__INIT;
    P2pf__NodeHandle mh = P2PF__NODE_HANDLE__INIT;
    uint8_t mid[16], eb[16];
    ovl_wire_handle_set (&mh, mid, master);
    s_term_set (term, &el.term, &el.elector, eb);
    el.master = &mh;
    el.reason = (char *)reason;
    msg.kind_case = P2PF__JOB_MSG__KIND_ELECTED;
    msg.elected = &el;
    s_emit (p, &msg, dest, to);
}

static void
s_send_slice (el_peer_t *p, s_dest_t dest, const ovl_handle_t *to, uint32_t slice)
{
    int y0, y1;
    el_job_slice_rows (&p->job, slice, &y0, &y1);
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__SliceData sd = P2PF__SLICE_DATA__INIT;
    uint8_t by[16];
    ovl_id_to_bytes (p->by[slice], by);
    sd.slice = slice;
    sd.computed_by.data = by;
    sd.computed_by.len = 16;
    sd.pixels.data = (uint8_t *)(p->pixels + (size_t)y0 * p->job.view.width_px);
    sd.pixels.len = el_job_slice_px (&p->job, slice) * sizeof (float);
    msg.kind_case = P2PF__JOB_MSG__KIND_SLICE_DATA;
    msg.slice_data = &sd;
    s_emit (p, &msg, dest, to);
}

static void
s_send_slices (el_peer_t *p, s_dest_t dest, const ovl_handle_t *to, P2pf__JobMsg__KindCase kind,
               const uint32_t *slices, size_t n, uint32_t want)
{
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__WorkRequest wr = P2PF__WORK_REQUEST__INIT;
    P2pf__WorkAssign wa = P2PF__WORK_ASSIGN__INIT;
    P2pf__WorkReturn ret = P2PF__WORK_RETURN__INIT;
    P2pf__SliceRequest sr = P2PF__SLICE_REQUEST__INIT;
    msg.kind_case = kind;
    switch (kind) {
    case P2PF__JOB_MSG__KIND_WORK_REQUEST:
        wr.n = want;
        wr.have = (uint32_t *)slices;
        wr.n_have = n;
        msg.work_request = &wr;
        break;
    case P2PF__JOB_MSG__KIND_WORK_ASSIGN:
        wa.term = p->term.n;
        wa.slices = (uint32_t *)slices;
        wa.n_slices = n;
        msg.work_assign = &wa;
        break;
    case P2PF__JOB_MSG__KIND_WORK_RETURN:
        ret.slices = (uint32_t *)slices;
        ret.n_slices = n;
        msg.work_return = &ret;
        break;
    default:
        sr.slices = (uint32_t *)slices;
        sr.n_slices = n;
        msg.slice_request = &sr;
        break;
    }
    s_emit (p, &msg, dest, to);
}

/* ------------------------------------------------------------------ */
/* state changes */

static void s_pump (el_peer_t *p, uint64_t now);

static void
s_check_remove (el_peer_t *p, uint32_t i, int free_pixels)
{
    s_check_t *c = &p->checks[i];
    p->checking[c->slice]--;
    p->check_bytes -= c->bytes;
    if (free_pixels)
        free (c->pixels);
    p->checks[i] = p->checks[--p->n_checks];
}

/* Drop the copies of slice awaiting a check (it is here now): each was a
 * duplicate. */
static void
s_checks_drop_slice (el_peer_t *p, uint32_t slice)
{
    for (uint32_t i = 0; i < p->n_checks;) {
        if (p->checks[i].slice == slice) {
            p->stats.slices_duplicate++;
            s_check_remove (p, i, 1);
        } else {
            i++;
        }
    }
}

static void
s_free_job (el_peer_t *p)
{
    while (p->n_checks > 0)
        s_check_remove (p, p->n_checks - 1, 1);
    free (p->checking);
    p->checking = NULL;
    free (p->pixels);
    free (p->done);
    free (p->by);
    free (p->hb_done);
    free (p->hb_prev);
    free (p->hb_old);
    free (p->pulled);
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

static void
s_become_master (el_peer_t *p, uint64_t now)
{
    p->is_master = 1;
    p->has_master = 1;
    p->master = p->self;
    p->last_heard_ms = now;
    p->request_pending = 0;
    p->n_returned = 0;
    s_role_event (p);
    s_send_heartbeat (p, S_TO_PUBLISH, NULL, 0);
    p->heartbeat_at_ms = now + p->cfg.heartbeat_ms;
}

static void
s_step_down (el_peer_t *p)
{
    if (!p->is_master)
        return;
    p->is_master = 0;
    s_role_event (p);
}

/* The job is done: tell everyone (a heartbeat with relinquish, whose done
 * set lets stragglers pull the rest) and stop being master. */
static void
s_relinquish (el_peer_t *p, uint64_t now)
{
    s_send_heartbeat (p, S_TO_PUBLISH, NULL, 1);
    p->job_finished = 1;
    p->has_master = 0;
    p->no_master_since = now;
    s_step_down (p);
}

/* A master leaving: ask the root for a successor. Members that see the
 * query from their master drop it at once and nominate. */
static void
s_handover (el_peer_t *p, uint64_t now, const char *reason)
{
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__ElectionQuery q = P2PF__ELECTION_QUERY__INIT;
    uint8_t eb[16];
    s_term_set (p->term, &q.term, &q.elector, eb);
    q.reason = (char *)reason;
    q.handover = 1;
    msg.kind_case = P2PF__JOB_MSG__KIND_ELECTION_QUERY;
    msg.election_query = &q;
    p->has_master = 0;
    p->no_master_since = now;
    s_step_down (p);
    s_emit (p, &msg, S_TO_PUBLISH, NULL);
}

/* An election this peer knew of is over (a master answered, a term moved
 * on, or nothing is left to elect for): it may nominate again in the
 * next one, even in the same term. */
static void
s_election_over (el_peer_t *p)
{
    p->electing = 0;
    p->has_nominated = 0;
}

/* Follow job: a fresh image, the job group, and either mastership (a job
 * started here) or a MasterQuery. */
static int
s_adopt (el_peer_t *p, uint64_t now, const el_job_t *job, int as_master)
{
    size_t npx = (size_t)job->view.width_px * (size_t)job->view.height_px;
    size_t nbits = (job->slices + 7) / 8;
    float *pixels = malloc (npx * sizeof *pixels);
    uint8_t *done = calloc (nbits, 1), *hb_done = calloc (nbits, 1), *hb_prev = calloc (nbits, 1);
    uint8_t *hb_old = calloc (nbits, 1), *pulled = calloc (nbits, 1);
    ovl_id_t *by = calloc (job->slices, sizeof *by);
    uint8_t *checking = calloc (job->slices, 1);
    if (!pixels || !done || !hb_done || !hb_prev || !hb_old || !pulled || !by || !checking) {
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
    p->by = by;
    p->checking = checking;
    p->n_banned = 0;
    p->n_done = p->n_own = 0;
    p->done_reported = 0;
    memset (&p->term, 0, sizeof p->term);
    p->has_master = 0;
    p->no_master_since = now;
    p->queue_head = 0;
    p->job_finished = 0;
    p->has_source = 0;
    p->is_master = 0;
    p->n_returned = 0;
    p->n_inflight = 0; /* results for the old job are ignored when they come */
    p->request_pending = p->pull_pending = p->query_pending = 0;
    p->pull_deadline_ms = 0;
    p->pull_misses = 0;
    p->idle_until_ms = 0;
    s_election_over (p);
    p->has_nominated = 0;
    p->has_handover = 0;
    p->is_root = s_root_of (p, job->group);

    el_event_t ev;
    memset (&ev, 0, sizeof ev);
    ev.kind = EL_EV_JOB_STARTED;
    s_event (p, &ev);
    if (was_master || was_root != p->is_root)
        s_role_event (p);
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
        s_event (p, &ev);
        s_become_master (p, now);
    } else {
        s_send_query (p, P2PF__JOB_MSG__KIND_MASTER_QUERY);
        p->query_pending = 1;
        p->query_deadline_ms = now + p->cfg.request_timeout_ms;
    }
    s_pump (p, now);
    return 0;
}

/* A slice's pixels arrived or were rendered here. */
static void
s_store (el_peer_t *p, uint64_t now, uint32_t slice, const void *px, ovl_id_t by, int publish)
{
    int y0, y1;
    el_job_slice_rows (&p->job, slice, &y0, &y1);
    memcpy (p->pixels + (size_t)y0 * p->job.view.width_px, px,
            el_job_slice_px (&p->job, slice) * sizeof (float));
    el_bit_set (p->done, slice);
    p->by[slice] = by;
    p->n_done++;
    s_checks_drop_slice (p, slice);
    el_event_t ev;
    memset (&ev, 0, sizeof ev);
    ev.kind = EL_EV_SLICE_DONE;
    ev.slice = slice;
    ev.peer.id = by;
    if (ovl_id_eq (by, p->self.id))
        ev.peer = p->self;
    s_event (p, &ev);
    /* Published before a master's relinquish can go out: members that see
     * the full done set first would pull this slice as well. */
    if (publish)
        s_send_slice (p, S_TO_PUBLISH, NULL, slice);
    if (p->n_done < p->job.slices || p->done_reported)
        return;
    p->done_reported = 1;
    memset (&ev, 0, sizeof ev);
    ev.kind = EL_EV_JOB_DONE;
    s_event (p, &ev);
    if (p->is_master)
        s_relinquish (p, now);
}

static int
s_in (uint32_t s, const uint32_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == s)
            return 1;
    return 0;
}

/* The master's next slices for a requester holding `have`. */
static size_t
s_assign (el_peer_t *p, const ovl_handle_t *to, uint32_t n, const uint32_t *have, size_t n_have,
          uint32_t *out)
{
    size_t k = 0;
    uint32_t K = p->job.slices;
    /* A slice is skipped if done, awaiting the check of a copy received
     * (if that fails, the slice goes back to `returned`), already held by
     * the requester, or already in this answer. */
#define S_SKIP(s)                                                                                  \
    (el_bit_get (p->done, (s)) || p->checking[s] || s_in ((s), have, n_have) || s_in ((s), out, k))
    while (k < n && p->n_returned > 0) {
        uint32_t s = p->returned[--p->n_returned];
        if (!S_SKIP (s))
            out[k++] = s;
    }
    for (uint32_t step = 0; step < K && k < n; step++) {
        uint32_t s = p->queue_head;
        p->queue_head = (p->queue_head + 1) % K;
        if (!S_SKIP (s))
            out[k++] = s;
    }
#undef S_SKIP
    for (size_t i = 0; i < k; i++) {
        el_event_t ev;
        memset (&ev, 0, sizeof ev);
        ev.kind = EL_EV_SLICE_ASSIGNED;
        ev.slice = out[i];
        ev.peer = *to;
        s_event (p, &ev);
    }
    return k;
}

/* Hand slices to the renderer. */
static void
s_take (el_peer_t *p, const uint32_t *slices, size_t n)
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

/* Ask for missing slices that the master has had for two heartbeats or
 * more (the multicast tree had time to bring them; under load it takes
 * more than one) and that no pull under way asked for already, keeping at
 * most pull_max outstanding. A slice arriving settles the pull and asks
 * for more; re-asking for what is still on its way would have its sender
 * send it again. What was asked for is asked again once request_timeout_ms
 * passed after the last pull (el_peer_on_tick). */
static void
s_pull (el_peer_t *p, uint64_t now)
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
    if (p->has_source && !s_is_self (p, &p->source))
        s_send_slices (p, S_TO_PEER, &p->source, P2PF__JOB_MSG__KIND_SLICE_REQUEST, want, n, 0);
    else
        s_send_slices (p, S_TO_ROUTE_JOB, NULL, P2PF__JOB_MSG__KIND_SLICE_REQUEST, want, n, 0);
    p->pull_pending = 1;
    p->pull_deadline_ms = now + p->cfg.request_timeout_ms;
}

static int
s_banned (const el_peer_t *p, ovl_id_t id)
{
    for (size_t i = 0; i < p->n_banned; i++)
        if (ovl_id_eq (p->banned[i], id))
            return 1;
    return 0;
}

static void
s_ban (el_peer_t *p, ovl_id_t id)
{
    if (s_banned (p, id) || ovl_id_eq (id, p->self.id))
        return;
    if (p->n_banned == S_BANNED_MAX) {
        memmove (p->banned, p->banned + 1, (S_BANNED_MAX - 1) * sizeof *p->banned);
        p->n_banned--;
    }
    p->banned[p->n_banned++] = id;
}

static int
s_checks_on (const el_peer_t *p)
{
    return p->cfg.check_pixels > 0 && p->up.check && p->checks;
}

/* A slice from another peer: hold a copy and ask the driver to recompute
 * a few of its pixels, drawn from this peer's own seeded stream -- the
 * sender cannot know which, so it must compute them all. One copy per
 * sender and slice; copies from different senders are checked side by
 * side, and the first that passes is stored. */
static void
s_check_start (el_peer_t *p, uint64_t now, uint32_t slice, const uint8_t *px,
               const ovl_handle_t *from, ovl_id_t by)
{
    for (uint32_t i = 0; i < p->n_checks; i++)
        if (p->checks[i].slice == slice && ovl_id_eq (p->checks[i].from.id, from->id)) {
            p->stats.slices_duplicate++;
            return;
        }
    int y0, y1;
    el_job_slice_rows (&p->job, slice, &y0, &y1);
    size_t npx = el_job_slice_px (&p->job, slice), bytes = npx * sizeof (float);
    if (p->n_checks >= p->cfg.check_pending_max || p->check_bytes + bytes > S_CHECK_BYTES_MAX) {
        p->stats.checks_dropped++;
        return;
    }
    float *copy = malloc (bytes);
    if (!copy) {
        p->stats.checks_dropped++;
        return;
    }
    memcpy (copy, px, bytes);
    s_check_t *c = &p->checks[p->n_checks++];
    memset (c, 0, sizeof *c);
    c->token = ++p->check_token;
    c->deadline_ms = now + p->cfg.check_timeout_ms;
    c->slice = slice;
    c->from = *from;
    c->by = by;
    c->pixels = copy;
    c->bytes = bytes;
    /* At most one pixel per 100 of the slice, at least one. */
    size_t k = npx / 100 < p->cfg.check_pixels ? npx / 100 : p->cfg.check_pixels;
    k = k < 1 ? 1 : k > S_CHECK_PX_MAX ? S_CHECK_PX_MAX : k;
    c->n = (uint32_t)k;
    rnd_xy_t xy[S_CHECK_PX_MAX];
    int w = p->job.view.width_px;
    for (size_t i = 0; i < k; i++) {
        c->at[i] = (uint32_t)ovl_rng_below (&p->check_rng, npx);
        xy[i].x = (int)(c->at[i] % (uint32_t)w);
        xy[i].y = y0 + (int)(c->at[i] / (uint32_t)w);
    }
    p->checking[slice]++;
    p->check_bytes += bytes;
    p->stats.checks_asked++;
    if (p->up.check (p->up.ctx, &p->job, c->token, xy, k) != 0) {
        p->stats.checks_dropped++;
        s_check_remove (p, p->n_checks - 1, 1);
    }
}

/* A check failed: the sender, and the peer it says computed the slice,
 * are ignored for the rest of the job (their copies awaiting checks are
 * dropped); a master hands the slice out again first. */
static void
s_reject (el_peer_t *p, const s_check_t *c)
{
    p->stats.slices_rejected++;
    el_event_t ev;
    memset (&ev, 0, sizeof ev);
    ev.kind = EL_EV_SLICE_REJECTED;
    ev.slice = c->slice;
    ev.peer = c->from;
    ev.elector = c->by;
    s_event (p, &ev);
    s_ban (p, c->from.id);
    s_ban (p, c->by);
    for (uint32_t i = 0; i < p->n_checks;)
        if (s_banned (p, p->checks[i].from.id) || s_banned (p, p->checks[i].by))
            s_check_remove (p, i, 1);
        else
            i++;
    if (p->is_master && !el_bit_get (p->done, c->slice) && !p->checking[c->slice] &&
        p->n_returned < S_RETURNED_MAX && !s_in (c->slice, p->returned, (size_t)p->n_returned))
        p->returned[p->n_returned++] = c->slice;
}

static void
s_nominate (el_peer_t *p, s_term_t term)
{
    if ((p->has_nominated && s_tcmp (p->nominated_term, term) == 0) || !s_work_left (p) ||
        p->leaving)
        return;
    P2pf__JobMsg nm = P2PF__JOB_MSG__INIT;
    P2pf__MasterNomination nom = P2PF__MASTER_NOMINATION__INIT;
    P2pf__NodeHandle h = P2PF__NODE_HANDLE__INIT;
    uint8_t hid[16], eb[16];
    ovl_wire_handle_set (&h, hid, &p->self);
    s_term_set (term, &nom.term, &nom.elector, eb);
    nom.candidate = &h;
    nm.kind_case = P2PF__JOB_MSG__KIND_NOMINATION;
    nm.nomination = &nom;
    p->has_nominated = 1;
    p->nominated_term = term;
    s_emit (p, &nm, S_TO_ROUTE_JOB, NULL);
}

/* Suspect the master (or its absence): open an election. */
static void
s_elect (el_peer_t *p, uint64_t now, const char *reason)
{
    if (!p->electing) {
        p->electing = 1;
        p->elect_started_ms = now;
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
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__ElectionQuery q = P2PF__ELECTION_QUERY__INIT;
    uint8_t eb[16];
    s_term_set (p->term, &q.term, &q.elector, eb);
    q.reason = (char *)reason;
    msg.kind_case = P2PF__JOB_MSG__KIND_ELECTION_QUERY;
    msg.election_query = &q;
    s_emit (p, &msg, S_TO_PUBLISH, NULL);
    s_nominate (p, p->term);
}

/* Everything that follows from the current state without a message:
 * work requests, the master's own share, pulls, suspicion. Idempotent. */
static void
s_pump (el_peer_t *p, uint64_t now)
{
    if (!p->has_job)
        return;
    uint32_t room = p->cap_inflight - p->n_inflight;
    if (p->is_master && !p->leaving && room > 0 && s_work_left (p)) {
        uint32_t got[EL_MSG_SLICES_MAX];
        size_t n = s_assign (p, &p->self, room > EL_MSG_SLICES_MAX ? EL_MSG_SLICES_MAX : room,
                             p->inflight, p->n_inflight, got);
        s_take (p, got, n);
    } else if (!p->is_master && p->has_master && !p->leaving && room > 0 && s_work_left (p) &&
               !p->request_pending && now >= p->idle_until_ms) {
        uint32_t want = room > EL_MSG_SLICES_MAX ? EL_MSG_SLICES_MAX : room;
        s_send_slices (p, S_TO_PEER, &p->master, P2PF__JOB_MSG__KIND_WORK_REQUEST, p->inflight,
                       p->n_inflight, want);
        p->request_pending = 1;
        p->request_deadline_ms = now + p->cfg.request_timeout_ms;
    }
    if (!p->is_master && s_work_left (p) && !p->leaving && !p->electing) {
        uint64_t since = p->has_master ? p->last_heard_ms : p->no_master_since;
        if (now >= since + p->cfg.master_timeout_ms)
            s_elect (p, now, p->has_master ? "master lost" : "no master");
    }
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

/* A new master for term (published by the root, or told directly). */
static void
s_on_elected (el_peer_t *p, uint64_t now, s_term_t term, const ovl_handle_t *m, const char *reason,
              int direct)
{
    int c = s_tcmp (term, p->term);
    /* After the job finished, news of its last term is stale (a catch-up
     * sent before the relinquish, arriving after it). */
    if (c < 0 || (c == 0 && p->job_finished))
        return;
    if (c == 0 && (p->has_master || p->electing) && ovl_id_eq (p->master.id, m->id)) {
        /* The root hears a master we do not: our link into the tree is
         * broken. */
        if (direct && p->electing)
            s_rejoin (p, now);
        s_election_over (p);
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
    ev.took_ms = p->electing ? now - p->elect_started_ms : 0;
    p->term = term;
    p->has_master = 1;
    p->master = *m;
    p->last_heard_ms = now;
    s_election_over (p);
    p->request_pending = 0;
    p->idle_until_ms = 0;
    s_event (p, &ev);
    if (s_is_self (p, m)) {
        if (!p->is_master) {
            if (p->leaving)
                s_handover (p, now, "handover"); /* elected while leaving: pass it on */
            else if (p->done_reported)
                s_relinquish (p, now); /* nothing left to hand out */
            else
                s_become_master (p, now);
        }
    } else {
        s_step_down (p);
    }
    s_pump (p, now);
}

/* Root: candidate asks to be master because the master of term is gone. */
static void
s_arbitrate (el_peer_t *p, uint64_t now, s_term_t term, const ovl_handle_t *candidate,
             const char *reason)
{
    /* A nomination is routed to the job group's key, so the node it reaches
     * is the root by definition (the tree's root is the live node closest to
     * the key), even before the overlay has said so: a dead root is
     * replaced as soon as routing goes round it. */
    if (p->job_finished) {
        /* The candidate missed the relinquish (lost, or its tree link is
         * broken): repeat it, with a done set it can pull everything by. */
        if (!s_is_self (p, candidate) && p->n_done == p->job.slices)
            s_send_heartbeat (p, S_TO_PEER, candidate, 1);
        return;
    }
    int tell = !s_is_self (p, candidate) && p->has_master;
    if (s_tcmp (term, p->term) < 0 && p->has_master) {
        /* The candidate missed an election: tell it who won. (With no
         * master here either, its nomination is as good as any: elect it
         * above both terms, below.) */
        if (tell)
            s_send_elected (p, S_TO_PEER, candidate, p->term, &p->master, "current");
        return;
    }
    /* A master this root hears from is alive, whatever others suspect --
     * unless it announced its leave. */
    int handover = p->has_handover && s_tcmp (p->handover_term, term) == 0;
    int alive =
        p->is_master || (p->has_master && now < p->last_heard_ms + p->cfg.master_timeout_ms);
    s_term_t next;
    next.n = (term.n > p->term.n ? term.n : p->term.n) + 1;
    next.by = p->self.id;
    if (alive && !handover) {
        if (s_tcmp (term, p->term) > 0) {
            /* The candidate knows a term above ours (from a root that died
             * mid-election) and so ignores our master: confirm that master
             * in a term above both, so everyone follows it again. */
            s_send_elected (p, S_TO_PUBLISH, NULL, next, &p->master, "term catch-up");
            s_on_elected (p, now, next, &p->master, "term catch-up", 0);
        } else if (tell) {
            s_send_elected (p, S_TO_PEER, candidate, p->term, &p->master, "current");
        }
        return;
    }
    /* The arbiter must not be the next master to die with: its own
     * nomination counts only once no other came within an election
     * timeout (it is then the only member with work left). */
    if (s_is_self (p, candidate) && now < p->elect_started_ms + p->cfg.election_timeout_ms)
        return;
    const char *why = handover ? p->handover_reason : reason;
    s_send_elected (p, S_TO_PUBLISH, NULL, next, candidate, why);
    /* And to the candidate itself: its link into the tree may have run
     * through the dead master. */
    if (!s_is_self (p, candidate))
        s_send_elected (p, S_TO_PEER, candidate, next, candidate, why);
    s_on_elected (p, now, next, candidate, why, 0);
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

static void
s_on_heartbeat (el_peer_t *p, uint64_t now, const P2pf__MasterHeartbeat *hb,
                const ovl_handle_t *from)
{
    if (s_is_self (p, from))
        return;
    s_term_t t = s_term_get (hb->term, hb->elector);
    int c = s_tcmp (t, p->term);
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
        p->source = *from;
        p->has_source = 1;
        p->job_finished = 1;
        p->has_master = 0;
        p->no_master_since = now;
        s_election_over (p);
        s_step_down (p);
        s_pull (p, now);
        return;
    }
    if (c < 0 || (c == 0 && p->job_finished) ||
        (c == 0 && p->has_master && !ovl_id_eq (p->master.id, from->id))) {
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
    s_election_over (p);
    if (new_master) {
        p->request_pending = 0;
        p->idle_until_ms = 0;
        s_step_down (p);
    }
    s_pull (p, now);
    s_pump (p, now);
}

static void
s_on_response (el_peer_t *p, uint64_t now, const P2pf__MasterResponse *r, const ovl_handle_t *from)
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
    p->source = *from;
    p->has_source = 1;
    s_term_t t = s_term_get (r->term, r->elector);
    if (s_tcmp (t, p->term) >= 0 && !p->job_finished) {
        p->term = t;
        if (r->master) {
            ovl_handle_t m;
            ovl_wire_handle_get (r->master, &m);
            if (!s_is_self (p, &m)) {
                p->has_master = 1;
                p->master = m;
                p->last_heard_ms = now;
            }
        } else {
            p->job_finished = s_all_set (r->done.data, p->job.slices);
        }
        p->queue_head = r->queue_head;
    }
    s_pull (p, now);
    s_pump (p, now);
}

static void
s_on_query (el_peer_t *p, const ovl_handle_t *from)
{
    if (s_is_self (p, from) || !(p->is_master || (p->is_root && !p->has_master)))
        return;
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__MasterResponse r = P2PF__MASTER_RESPONSE__INIT;
    P2pf__JobSpec spec;
    P2pf__NodeHandle mh = P2PF__NODE_HANDLE__INIT;
    uint8_t mid[16], eb[16];
    el_job_to_spec (&p->job, &spec);
    r.spec = &spec;
    s_term_set (p->term, &r.term, &r.elector, eb);
    if (p->has_master) {
        ovl_wire_handle_set (&mh, mid, &p->master);
        r.master = &mh;
    }
    r.done.data = p->done;
    r.done.len = el_job_bitmap_bytes (&p->job);
    r.queue_head = p->queue_head;
    msg.kind_case = P2PF__JOB_MSG__KIND_MASTER_RESPONSE;
    msg.master_response = &r;
    s_emit (p, &msg, S_TO_PEER, from);
}

static void
s_on_election_query (el_peer_t *p, uint64_t now, const P2pf__ElectionQuery *q,
                     const ovl_handle_t *from)
{
    s_term_t t = s_term_get (q->term, q->elector);
    if (s_tcmp (t, p->term) < 0) {
        /* A peer behind: the master catches it up. */
        if (p->is_master)
            s_send_heartbeat (p, S_TO_PEER, from, 0);
        p->stats.dropped_other++;
        return;
    }
    int from_master = p->has_master && ovl_id_eq (p->master.id, from->id);
    if (q->handover && (from_master || s_is_self (p, from))) {
        p->has_handover = 1;
        p->handover_term = t;
        snprintf (p->handover_reason, sizeof p->handover_reason, "%s", q->reason);
        if (!s_is_self (p, from)) {
            p->has_master = 0;
            p->no_master_since = now;
        }
    }
    if (p->is_master && !s_is_self (p, from)) {
        /* Suspected but alive: a heartbeat now settles it for everyone. */
        s_send_heartbeat (p, S_TO_PUBLISH, NULL, 0);
        p->heartbeat_at_ms = now + p->cfg.heartbeat_ms;
        return;
    }
    if (s_work_left (p) && !p->leaving && !p->is_master) {
        if (!p->electing) {
            p->electing = 1;
            p->elect_started_ms = now;
            p->elect_retry_ms = now + p->cfg.election_timeout_ms +
                                ovl_rng_below (&p->rng, p->cfg.election_timeout_ms / 4 + 1);
        }
        s_nominate (p, t);
    }
}

/* How a message came. */
enum { S_VIA_PUBLISH, S_VIA_DIRECT, S_VIA_ROUTED };

/* One job message, however it came. */
static void
s_receive (el_peer_t *p, uint64_t now, const uint8_t *bytes, size_t len, const ovl_handle_t *from,
           int via)
{
    el_msg_error_t why;
    P2pf__JobMsg *m = el_msg_decode (bytes, len, &why);
    if (!m) {
        p->stats.dropped_malformed++;
        return;
    }
    if (m->kind_case == P2PF__JOB_MSG__KIND_JOB_QUERY) {
        if (p->has_job && !s_is_self (p, from) &&
            (p->is_master || (p->is_root && !p->has_master) || m->job_query->attempt >= 2))
            s_send_announce (p, S_TO_PEER, from);
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
            /* An older job: not followed. */
            p->stats.dropped_other++;
        }
        el_msg_free (&m);
        return;
    }
    if (!p->has_job || !ovl_id_eq (jid, p->job.id)) {
        p->stats.dropped_other++;
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
        s_on_query (p, from);
        break;
    case P2PF__JOB_MSG__KIND_MASTER_RESPONSE:
        s_on_response (p, now, m->master_response, from);
        break;
    case P2PF__JOB_MSG__KIND_WORK_REQUEST: {
        if (!p->is_master || p->leaving || s_banned (p, from->id)) {
            p->stats.dropped_other++;
            break;
        }
        uint32_t got[EL_MSG_SLICES_MAX];
        size_t n = s_assign (p, from, m->work_request->n, m->work_request->have,
                             m->work_request->n_have, got);
        s_send_slices (p, S_TO_PEER, from, P2PF__JOB_MSG__KIND_WORK_ASSIGN, got, n, 0);
        /* A master that is also the root would take the arbiter of its own
         * succession down with it when it crashes (the overlay then needs
         * its failure timeout before anyone can elect): now that another
         * member works, hand mastership to one. */
        if (p->is_root && !s_is_self (p, from))
            s_handover (p, now, "handover: master was root");
        break;
    }
    case P2PF__JOB_MSG__KIND_WORK_ASSIGN:
        if (p->has_master && ovl_id_eq (p->master.id, from->id))
            p->request_pending = 0;
        if (m->work_assign->n_slices == 0)
            p->idle_until_ms = now + p->cfg.heartbeat_ms;
        if (!p->leaving && !p->is_master)
            s_take (p, m->work_assign->slices, m->work_assign->n_slices);
        s_pump (p, now);
        break;
    case P2PF__JOB_MSG__KIND_WORK_RETURN:
        if (!p->is_master) {
            p->stats.dropped_other++;
            break;
        }
        for (size_t i = 0; i < m->work_return->n_slices && p->n_returned < S_RETURNED_MAX; i++)
            p->returned[p->n_returned++] = m->work_return->slices[i];
        s_pump (p, now);
        break;
    case P2PF__JOB_MSG__KIND_SLICE_DATA: {
        const P2pf__SliceData *sd = m->slice_data;
        ovl_id_t by = ovl_id_from_bytes (sd->computed_by.data);
        if (s_banned (p, from->id) || s_banned (p, by)) {
            p->stats.dropped_other++;
            break;
        }
        if (el_bit_get (p->done, sd->slice)) {
            if (!ovl_id_eq (by, p->self.id))
                p->stats.slices_duplicate++;
            break;
        }
        p->pull_misses = 0;
        if (s_checks_on (p) && !s_is_self (p, from)) {
            /* Stored once its check passes (el_peer_on_checked). Whom it
             * names as renderer does not matter: naming us skips nothing. */
            s_check_start (p, now, sd->slice, sd->pixels.data, from, by);
        } else {
            p->stats.slices_received++;
            s_store (p, now, sd->slice, sd->pixels.data, by, 0);
        }
        if (p->pull_pending) {
            /* A pulled slice arriving settles the pull; ask for more. */
            p->pull_pending = 0;
            s_pull (p, now);
        }
        s_pump (p, now);
        break;
    }
    case P2PF__JOB_MSG__KIND_SLICE_REQUEST:
        for (size_t i = 0; i < m->slice_request->n_slices; i++)
            if (el_bit_get (p->done, m->slice_request->slices[i]) && !s_is_self (p, from))
                s_send_slice (p, S_TO_PEER, from, m->slice_request->slices[i]);
        break;
    case P2PF__JOB_MSG__KIND_HEARTBEAT:
        s_on_heartbeat (p, now, m->heartbeat, from);
        break;
    case P2PF__JOB_MSG__KIND_ELECTION_QUERY:
        s_on_election_query (p, now, m->election_query, from);
        break;
    case P2PF__JOB_MSG__KIND_NOMINATION: {
        if (via != S_VIA_ROUTED) {
            p->stats.dropped_other++;
            break;
        }
        ovl_handle_t cand;
        ovl_wire_handle_get (m->nomination->candidate, &cand);
        s_arbitrate (p, now, s_term_get (m->nomination->term, m->nomination->elector), &cand,
                     "master lost");
        break;
    }
    case P2PF__JOB_MSG__KIND_ELECTED: {
        ovl_handle_t mh;
        ovl_wire_handle_get (m->elected->master, &mh);
        s_on_elected (p, now, s_term_get (m->elected->term, m->elected->elector), &mh,
                      m->elected->reason, via == S_VIA_DIRECT);
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
        s_send_query (p, P2PF__JOB_MSG__KIND_JOB_QUERY);
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
    if (s_adopt (p, now, &job, 1)) {
        if (err && err_size)
            snprintf (err, err_size, "out of memory for a %dx%d image", view->width_px,
                      view->height_px);
        return -1;
    }
    s_send_announce (p, S_TO_NET, NULL);
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
    (void)now;
    int i;
    for (i = 0; i < p->n_roots && !ovl_id_eq (p->roots[i], group); i++)
        ;
    if (is_root && i == p->n_roots) {
        if (p->n_roots == S_ROOTS_MAX)
            memmove (p->roots, p->roots + 1, (S_ROOTS_MAX - 1) * sizeof *p->roots);
        else
            p->n_roots++;
        p->roots[p->n_roots - 1] = group;
    } else if (!is_root && i < p->n_roots) {
        p->roots[i] = p->roots[--p->n_roots];
    }
    if (p->has_job && ovl_id_eq (group, p->job.group) && p->is_root != is_root) {
        p->is_root = is_root;
        s_role_event (p);
    }
}

void
el_peer_on_node_up (el_peer_t *p, uint64_t now, const ovl_handle_t *node)
{
    (void)now;
    if (p->has_job && !s_is_self (p, node))
        s_send_announce (p, S_TO_PEER, node);
}

void
el_peer_on_node_lost (el_peer_t *p, uint64_t now, const ovl_handle_t *node)
{
    if (p->has_source && ovl_id_eq (p->source.id, node->id))
        p->has_source = 0;
    if (p->has_master && !p->is_master && ovl_id_eq (p->master.id, node->id)) {
        /* The overlay saw it die: no need to wait out the heartbeat. */
        p->last_heard_ms = 0;
        s_pump (p, now);
    }
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
    } else {
        p->n_own++;
        s_store (p, now, slice, pixels, p->self.id, 1);
    }
    s_pump (p, now);
}

void
el_peer_on_checked (el_peer_t *p, uint64_t now, uint64_t token, const float *values, size_t n)
{
    uint32_t i;
    for (i = 0; i < p->n_checks && p->checks[i].token != token; i++)
        ;
    if (i == p->n_checks) {
        p->stats.dropped_other++; /* another job's, or given up */
        return;
    }
    s_check_t c = p->checks[i];
    s_check_remove (p, i, 0);
    int ok = n == c.n;
    for (uint32_t j = 0; ok && j < c.n; j++)
        ok = memcmp (&values[j], &c.pixels[c.at[j]], sizeof values[j]) == 0;
    if (n != c.n) {
        p->stats.checks_dropped++; /* a driver bug: nobody is blamed */
    } else if (!ok) {
        s_reject (p, &c);
    } else if (el_bit_get (p->done, c.slice)) {
        p->stats.slices_duplicate++;
    } else {
        p->stats.slices_received++;
        s_store (p, now, c.slice, c.pixels, c.by, 0);
        if (p->pull_pending) {
            p->pull_pending = 0;
            s_pull (p, now);
        }
    }
    free (c.pixels);
    s_pump (p, now);
}

/* ------------------------------------------------------------------ */
/* timers: each is a pair, its deadline and its fire, in one table read by
 * both el_peer_on_tick and el_peer_next_deadline_ms, so the condition that
 * wakes the peer is the one that acts. A deadline must cover every case
 * its fire acts on: a timer fires only once its deadline has come. */

/* Received slices whose check was not answered in time are given up. */
static uint64_t
s_checks_timeout_deadline_ms (const el_peer_t *p)
{
    uint64_t d = UINT64_MAX;
    for (uint32_t i = 0; i < p->n_checks; i++)
        if (p->checks[i].deadline_ms < d)
            d = p->checks[i].deadline_ms;
    return d;
}

static void
s_checks_timeout_fire (el_peer_t *p, uint64_t now)
{
    for (uint32_t i = 0; i < p->n_checks;) {
        if (now >= p->checks[i].deadline_ms) {
            p->stats.checks_dropped++;
            s_check_remove (p, i, 1);
        } else {
            i++;
        }
    }
}

/* No job yet: ask the network for its job again. */
static uint64_t
s_job_query_deadline_ms (const el_peer_t *p)
{
    return p->started && !p->has_job ? p->job_query_at_ms : UINT64_MAX;
}

static void
s_job_query_fire (el_peer_t *p, uint64_t now)
{
    s_send_query (p, P2PF__JOB_MSG__KIND_JOB_QUERY);
    p->job_query_at_ms = s_job_query_due (p, now);
}

/* The master's heartbeat. */
static uint64_t
s_heartbeat_deadline_ms (const el_peer_t *p)
{
    return p->has_job && p->is_master ? p->heartbeat_at_ms : UINT64_MAX;
}

static void
s_heartbeat_fire (el_peer_t *p, uint64_t now)
{
    s_send_heartbeat (p, S_TO_PUBLISH, NULL, 0);
    p->heartbeat_at_ms = now + p->cfg.heartbeat_ms;
}

/* A WorkRequest unanswered: the pump may send another. */
static uint64_t
s_request_deadline_ms (const el_peer_t *p)
{
    return p->has_job && p->request_pending ? p->request_deadline_ms : UINT64_MAX;
}

static void
s_request_fire (el_peer_t *p, uint64_t now)
{
    (void)now;
    p->request_pending = 0;
}

/* The pulls have been quiet for request_timeout_ms. */
static uint64_t
s_pull_deadline_ms (const el_peer_t *p)
{
    return p->has_job && p->pull_deadline_ms ? p->pull_deadline_ms : UINT64_MAX;
}

static void
s_pull_fire (el_peer_t *p, uint64_t now)
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
    s_pull (p, now);
}

/* A MasterQuery unanswered: ask again, unless it no longer matters. */
static uint64_t
s_query_deadline_ms (const el_peer_t *p)
{
    return p->has_job && p->query_pending ? p->query_deadline_ms : UINT64_MAX;
}

static void
s_query_fire (el_peer_t *p, uint64_t now)
{
    if (p->has_master || p->job_finished || p->n_done == p->job.slices) {
        p->query_pending = 0;
    } else {
        s_send_query (p, P2PF__JOB_MSG__KIND_MASTER_QUERY);
        p->query_deadline_ms = now + p->cfg.request_timeout_ms;
    }
}

/* An election without result: start it again. */
static uint64_t
s_elect_retry_deadline_ms (const el_peer_t *p)
{
    return p->has_job && p->electing ? p->elect_retry_ms : UINT64_MAX;
}

static void
s_elect_retry_fire (el_peer_t *p, uint64_t now)
{
    if (s_work_left (p) && !p->leaving && !p->is_master) {
        p->has_nominated = 0;
        s_rejoin (p, now); /* perhaps nothing reaches us: a broken tree link */
        s_elect (p, now, "election stalled");
    } else {
        s_election_over (p);
    }
}

/* The pump's own times (it acts on them when it runs: see the table). */
static uint64_t
s_suspect_deadline_ms (const el_peer_t *p)
{
    if (p->is_master || !s_work_left (p) || p->leaving || p->electing)
        return UINT64_MAX;
    return (p->has_master ? p->last_heard_ms : p->no_master_since) + p->cfg.master_timeout_ms;
}

static uint64_t
s_idle_deadline_ms (const el_peer_t *p)
{
    if (p->is_master || !s_work_left (p) || p->leaving)
        return UINT64_MAX;
    if (p->has_master && !p->request_pending && p->idle_until_ms > 0 &&
        p->n_inflight < p->cap_inflight)
        return p->idle_until_ms;
    return UINT64_MAX;
}

typedef struct {
    const char *name;                             /* for a debugger or a trace */
    uint64_t (*deadline_ms) (const el_peer_t *p); /* UINT64_MAX: not armed */
    void (*fire) (el_peer_t *p, uint64_t now_ms); /* NULL: s_pump acts on it */
} s_timer_t;

/* In firing order: it decides which timer draws which random number. The
 * last rows have no fire of their own: s_pump, which ends every tick as it
 * ends every message, acts on them (suspecting the master, asking for work
 * after an empty WorkAssign). */
static const s_timer_t s_timers[] = {
    { "check-timeout", s_checks_timeout_deadline_ms, s_checks_timeout_fire },
    { "job-query", s_job_query_deadline_ms, s_job_query_fire },
    { "heartbeat", s_heartbeat_deadline_ms, s_heartbeat_fire },
    { "work-request", s_request_deadline_ms, s_request_fire },
    { "pull", s_pull_deadline_ms, s_pull_fire },
    { "master-query", s_query_deadline_ms, s_query_fire },
    { "election-retry", s_elect_retry_deadline_ms, s_elect_retry_fire },
    { "suspect", s_suspect_deadline_ms, NULL },
    { "idle", s_idle_deadline_ms, NULL },
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
    s_pump (p, now);
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

void
el_peer_leave (el_peer_t *p, uint64_t now)
{
    if (p->leaving)
        return;
    p->leaving = 1;
    if (!p->has_job)
        return;
    if (p->is_master) {
        s_handover (p, now, "handover");
    } else if (p->has_master && p->n_inflight > 0) {
        s_send_slices (p, S_TO_PEER, &p->master, P2PF__JOB_MSG__KIND_WORK_RETURN, p->inflight,
                       p->n_inflight, 0);
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

const float *
el_peer_pixels (const el_peer_t *p)
{
    return p->pixels;
}

int
el_peer_slice_done (const el_peer_t *p, uint32_t slice, ovl_id_t *by)
{
    if (!p->has_job || slice >= p->job.slices || !el_bit_get (p->done, slice))
        return 0;
    if (by)
        *by = p->by[slice];
    return 1;
}

const el_stats_t *
el_peer_stats (const el_peer_t *p)
{
    return &p->stats;
}
