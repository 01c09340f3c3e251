/* test_election.c: the job protocol (election/peer.c) on the deterministic
 * overlay simulator -- one el_peer_t on every simulated node, wired to that
 * node's overlay, renders modelled as seeded delays that yield the slice's
 * real pixels, crashes of workers, masters, roots and new masters, loss,
 * jitter and late joiners.
 *
 * Checked as it runs (every S_STEP_MS of virtual time): no two masters
 * accepted for one term -- a (counter, elector) pair (MASTER_ELECTED events across all peers, and
 * the live peers that call themselves master), no election outlasting a bound, no peer holding more
 * renders than render_slots + ahead. At the end: every live peer holds every slice, pixels
 * bit-identical to a single-process render, each credited to a node that exists, within a
 * virtual-time bound; no message dropped as malformed.
 *
 * Each scenario runs ten seeds (s, s+1, ...), every one even after one
 * failed, and prints a tally. The seed is printed; P2PF_SEED=<n> with
 * P2PF_TEST_FILTER=<test> replays one (P2PF_ROUNDS=<k> runs k from there),
 * and P2PF_TRACE=1 prints every job message and event of the run.
 *
 * What these scenarios found, now fixed (each note below says where): a
 * joiner that became the network group's root had no job to answer
 * queries with; two roots dying in a row elected two masters for one term
 * number (terms are now (counter, elector) ballots); stale heartbeats
 * arriving after a relinquish; a member's first group JOIN not retried
 * under loss. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "peer.h"
#include "rng.h"
#include "simnet.h"
#include "test_util.h"

/* Invariants are checked this often (virtual ms). */
#define S_STEP_MS 10
/* Renders one peer may hold: far above any render_slots + ahead used here,
 * so an excess is seen and reported, not overflowed. */
#define S_QUEUE_MAX 64

static uint64_t s_seed; /* the run's first seed */
static int s_trace;     /* P2PF_TRACE: print every job message and event */
static int s_rounds;    /* seeds per scenario */

/* One render the core asked for: queued until a slot is free, then
 * running until done_ms. */
typedef struct {
    ovl_id_t job;     /* the job it was asked for */
    uint32_t slice;   /* which slice */
    float *px;        /* its pixels, computed when asked (owned) */
    size_t n;         /* their count */
    uint64_t done_ms; /* UINT64_MAX while queued */
} s_render_t;

/* One spot check the core asked for: answered at done_ms, from the
 * simulator's timer, with the reference kernel's values. */
typedef struct {
    uint64_t token;   /* the core's */
    float *values;    /* computed when asked (owned) */
    size_t n;         /* their count */
    uint64_t done_ms; /* when the answer goes in */
} s_checkq_t;

/* Checks one peer's core may await (its check_pending_max), and checks
 * the harness may hold: more, since the core forgets a check whose slice
 * came meanwhile (its own render, another copy) while the driver still
 * computes it. */
#define S_CHECKS_PENDING 16
#define S_CHECKS_MAX 64

typedef struct s_world_t s_world_t;

typedef struct {
    s_world_t *w;                /* back pointer (upcall context) */
    int index;                   /* simulated node */
    el_peer_t *peer;             /* the core */
    int joined;                  /* the overlay said joined */
    int started;                 /* el_peer_start called */
    int dead;                    /* killed */
    uint32_t cost_x;             /* render cost multiplier (slow peers) */
    s_render_t q[S_QUEUE_MAX];   /* FIFO of renders held */
    int n_q;                     /* in use */
    s_checkq_t ck[S_CHECKS_MAX]; /* checks asked, not answered yet */
    int n_ck;                    /* in use */
    uint64_t electing_since_ms;  /* UINT64_MAX if not electing */
} s_peer_t;

/* One event from one peer, for the determinism test. Zeroed first, so
 * records compare with memcmp. */
typedef struct {
    uint64_t t_ms;  /* when */
    int32_t node;   /* the peer that raised it */
    int32_t kind;   /* el_event_kind_t */
    uint32_t slice; /* as in el_event_t */
    uint32_t pad;   /* zero */
    uint64_t term;  /* as in el_event_t */
    ovl_id_t peer;  /* its peer's id */
} s_log_t;

typedef struct {
    const char *test;    /* the cmocka test, for P2PF_TEST_FILTER */
    const char *name;    /* for messages */
    int peers;           /* nodes at the start */
    int slices;          /* K (the image is K rows of 24 px) */
    double loss;         /* message loss once the ring is built */
    uint32_t lat_min_ms; /* one-way latency, uniform in [min, max] */
    uint32_t lat_max_ms; /* (the el and overlay timers scale with max) */
    int slow_pct;        /* peers rendering 5x slower, percent */
    uint32_t slots;      /* el render_slots */
    uint32_t ahead;      /* el ahead */
    uint64_t bound_ms;   /* the job must be done everywhere this long after it starts */
} s_params_t;

struct s_world_t {
    s_params_t prm;         /* the scenario */
    uint64_t seed;          /* this run's */
    ovl_simnet_t *sim;      /* the network */
    ovl_rng_t rng;          /* render costs, victims, joiners */
    el_config_t el;         /* every peer's */
    ovl_id_t net;           /* the network group */
    s_peer_t **peers;       /* per node, heap (upcall contexts must not move) */
    int n_peers, cap_peers; /* nodes ever added; allocated */
    rnd_view_t view;        /* the job's view */
    float *ref;             /* its single-process render */
    int has_job;            /* node 0 has started it */
    el_job_t job;           /* as its first master made it */
    uint64_t job_ms;        /* when it started */
    struct {
        ovl_id_t job;            /* terms are per job */
        uint64_t term;           /* a term's counter */
        ovl_id_t elector;        /* and elector: together, the term */
        ovl_id_t master;         /* its master */
        int master_node;         /* which is this node */
        int node;                /* the first peer told of it */
        int handoff;             /* a planned hand-over (the master was root),
                                    not a response to a fault */
        uint64_t t_ms;           /* when */
    } terms[256];                /* MASTER_ELECTED seen */
    int n_terms;                 /* in use */
    uint64_t kill_ms;            /* last master kill (UINT64_MAX: none) */
    uint64_t reassign_ms;        /* first assignment after it (UINT64_MAX: none yet) */
    uint64_t elected_after_kill; /* term of the first MASTER_ELECTED after it */
    int elected_node;            /* its master's node */
    s_log_t *log;                /* every event of every peer */
    size_t n_log, cap_log;       /* in use, allocated */
    char fail[768];              /* the first invariant that broke, "" while none */
};

/* ------------------------------------------------------------------ */
/* failures */

/* A test runs every seed even after one failed, then fails with the
 * tally: how often a scenario breaks is part of the diagnosis. */
static struct {
    int runs;             /* seeds run by the current test */
    int fails;            /* of them, failed */
    char first[1024];     /* the first failure */
    uint64_t done_min_ms; /* job start -> complete everywhere, over the seeds */
    uint64_t done_max_ms;
    uint64_t reassign_min_ms; /* master kill -> first new assignment */
    uint64_t reassign_max_ms;
    int terms_min, terms_max; /* new terms */
} s_tally;

static void
s_tally_start (void)
{
    memset (&s_tally, 0, sizeof s_tally);
    s_tally.done_min_ms = s_tally.reassign_min_ms = UINT64_MAX;
    s_tally.terms_min = 1 << 30;
}

/* One seed failed: say so now (with the replay line), fail at the end. */
static void
s_tally_fail (const char *test, uint64_t seed, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (msg, sizeof msg, fmt, ap);
    va_end (ap);
    print_message ("  FAILED: %s\n    replay: P2PF_SEED=%" PRIu64 " P2PF_TEST_FILTER=%s\n", msg,
                   seed, test);
    if (s_tally.fails++ == 0)
        snprintf (s_tally.first, sizeof s_tally.first, "%s (P2PF_SEED=%" PRIu64 ")", msg, seed);
}

static void
s_tally_end (const char *name)
{
    char reassign[96] = "";
    if (s_tally.reassign_min_ms != UINT64_MAX)
        snprintf (reassign, sizeof reassign,
                  ", master kill -> new assignment %" PRIu64 "..%" PRIu64 " ms",
                  s_tally.reassign_min_ms, s_tally.reassign_max_ms);
    print_message ("  %s: %d seeds, %d failed; done in %" PRIu64 "..%" PRIu64
                   " virtual ms, new terms %d..%d%s\n",
                   name, s_tally.runs, s_tally.fails, s_tally.done_min_ms, s_tally.done_max_ms,
                   s_tally.terms_min, s_tally.terms_max, reassign);
    if (s_tally.fails)
        fail_msg ("%s: %d of %d seeds failed; the first: %s", name, s_tally.fails, s_tally.runs,
                  s_tally.first);
}

static void
s_fail (s_world_t *w, const char *fmt, ...)
{
    if (w->fail[0])
        return;
    int n =
        snprintf (w->fail, sizeof w->fail, "%s seed %" PRIu64 " at t=%" PRIu64 " ms: ", w->prm.name,
                  w->seed, ovl_simnet_now (w->sim));
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (w->fail + n, sizeof w->fail - (size_t)n, fmt, ap);
    va_end (ap);
}

static int
s_node_of (const ovl_handle_t *h)
{
    unsigned i;
    return sscanf (h->addr, "sim:%u", &i) == 1 ? (int)i : -1;
}

static char *
s_short (ovl_id_t id, char buf[OVL_ID_SHORT_LEN + 1])
{
    ovl_id_short (id, buf);
    return buf;
}

/* ------------------------------------------------------------------ */
/* renders: seeded costs, render_slots at a time, first in first out */

static void s_arm (s_peer_t *p);
static void s_print_tree_path (s_world_t *w, int i);

static void
s_renders_start (s_peer_t *p, uint64_t now)
{
    s_world_t *w = p->w;
    uint32_t running = 0;
    for (int j = 0; j < p->n_q; j++)
        running += p->q[j].done_ms != UINT64_MAX;
    for (int j = 0; j < p->n_q && running < w->el.render_slots; j++)
        if (p->q[j].done_ms == UINT64_MAX) {
            uint64_t cost = 20 + ovl_rng_below (&w->rng, 181);
            p->q[j].done_ms = now + cost * p->cost_x;
            running++;
        }
}

/* Hand back every render finished by now, earliest first. */
static void
s_renders_due (s_peer_t *p, uint64_t now)
{
    for (;;) {
        int k = -1;
        for (int j = 0; j < p->n_q; j++)
            if (p->q[j].done_ms <= now && (k < 0 || p->q[j].done_ms < p->q[k].done_ms))
                k = j;
        if (k < 0)
            break;
        s_render_t r = p->q[k];
        memmove (&p->q[k], &p->q[k + 1], (size_t)(p->n_q - k - 1) * sizeof p->q[0]);
        p->n_q--;
        s_renders_start (p, now);
        /* may ask for more renders (s_up_render) before it returns */
        el_peer_rendered (p->peer, now, r.job, r.slice, r.px, r.n);
        free (r.px);
    }
}

/* Answer every check due by now, earliest first. */
static void
s_checks_due (s_peer_t *p, uint64_t now)
{
    for (;;) {
        int k = -1;
        for (int j = 0; j < p->n_ck; j++)
            if (p->ck[j].done_ms <= now && (k < 0 || p->ck[j].done_ms < p->ck[k].done_ms))
                k = j;
        if (k < 0)
            break;
        s_checkq_t c = p->ck[k];
        memmove (&p->ck[k], &p->ck[k + 1], (size_t)(p->n_ck - k - 1) * sizeof p->ck[0]);
        p->n_ck--;
        el_peer_on_checked (p->peer, now, c.token, c.values, c.n);
        free (c.values);
    }
}

static uint64_t
s_renders_next (const s_peer_t *p)
{
    uint64_t t = UINT64_MAX;
    for (int j = 0; j < p->n_q; j++)
        if (p->q[j].done_ms < t)
            t = p->q[j].done_ms;
    for (int j = 0; j < p->n_ck; j++)
        if (p->ck[j].done_ms < t)
            t = p->ck[j].done_ms;
    return t;
}

/* The core's timers and the renders, on one app timer. */
static void
s_arm (s_peer_t *p)
{
    uint64_t t = el_peer_next_deadline_ms (p->peer);
    uint64_t r = s_renders_next (p);
    ovl_simnet_app_timer (p->w->sim, p->index, t < r ? t : r);
}

/* ------------------------------------------------------------------ */
/* the core's upcalls, on the simulated overlay */

static void
s_up_publish (void *ctx, ovl_id_t group, const uint8_t *bytes, size_t len)
{
    s_peer_t *p = ctx;
    ovl_simnet_group_publish (p->w->sim, p->index, group, bytes, len);
}

static void
s_up_send (void *ctx, const ovl_handle_t *to, const uint8_t *bytes, size_t len)
{
    s_peer_t *p = ctx;
    ovl_simnet_send_app (p->w->sim, p->index, to, bytes, len);
}

static void
s_up_route (void *ctx, ovl_id_t key, const uint8_t *bytes, size_t len)
{
    s_peer_t *p = ctx;
    ovl_simnet_route (p->w->sim, p->index, key, bytes, len);
}

static void
s_up_join (void *ctx, ovl_id_t group)
{
    s_peer_t *p = ctx;
    ovl_simnet_group_join (p->w->sim, p->index, group);
}

static void
s_up_leave (void *ctx, ovl_id_t group)
{
    s_peer_t *p = ctx;
    ovl_simnet_group_leave (p->w->sim, p->index, group);
}

static void
s_up_render (void *ctx, const el_job_t *job, uint32_t slice)
{
    s_peer_t *p = ctx;
    s_world_t *w = p->w;
    /* As the real driver does (app_peer_render_queue): renders of another
     * job not started yet are dropped; those running finish, and the core
     * ignores them. The core's cap counts the current job's only. */
    int kept = 0, held = 0;
    for (int j = 0; j < p->n_q; j++) {
        int other = !ovl_id_eq (p->q[j].job, job->id);
        if (other && p->q[j].done_ms == UINT64_MAX) {
            free (p->q[j].px);
            continue;
        }
        held += !other;
        p->q[kept++] = p->q[j];
    }
    p->n_q = kept;
    uint32_t cap = w->el.render_slots + w->el.ahead;
    if ((uint32_t)held >= cap) {
        s_fail (w, "node %d was asked for a render while holding %d (render_slots + ahead = %u)",
                p->index, held, cap);
    }
    if (p->n_q >= S_QUEUE_MAX)
        return;
    if (slice >= job->slices) {
        s_fail (w, "node %d was asked to render slice %u of %u", p->index, slice, job->slices);
        return;
    }
    s_render_t *r = &p->q[p->n_q];
    r->job = job->id;
    r->slice = slice;
    r->n = el_job_slice_px (job, slice);
    r->px = malloc (r->n * sizeof *r->px);
    assert_non_null (r->px);
    rnd_kjob_t kj;
    rnd_kjob_init (&kj, &job->view);
    int y0, y1;
    el_job_slice_rows (job, slice, &y0, &y1);
    rnd_kernel_run (RND_KERNEL_SCALAR, &kj, y0, y1, r->px);
    r->done_ms = UINT64_MAX;
    p->n_q++;
    s_renders_start (p, ovl_simnet_now (w->sim));
}

/* The check upcall: the reference pixels now, the answer after a seeded
 * 1..10 ms (a real driver batches them onto its render threads). */
static int
s_up_check (void *ctx, const el_job_t *job, uint64_t token, const rnd_xy_t *px, size_t n)
{
    s_peer_t *p = ctx;
    s_world_t *w = p->w;
    if (p->n_ck >= S_CHECKS_MAX) {
        s_fail (w, "node %d has %d checks waiting", p->index, p->n_ck);
        return -1;
    }
    s_checkq_t *c = &p->ck[p->n_ck];
    c->values = malloc (n * sizeof *c->values);
    assert_non_null (c->values);
    rnd_kjob_t kj;
    rnd_kjob_init (&kj, &job->view);
    for (size_t i = 0; i < n; i++) {
        if (px[i].x < 0 || px[i].x >= job->view.width_px || px[i].y < 0 ||
            px[i].y >= job->view.height_px) {
            s_fail (w, "node %d asked to check pixel (%d, %d) outside the image", p->index, px[i].x,
                    px[i].y);
            free (c->values);
            return -1;
        }
        c->values[i] = rnd_kernel_pixel (&kj, px[i].x, px[i].y);
    }
    c->token = token;
    c->n = n;
    c->done_ms = ovl_simnet_now (w->sim) + 1 + ovl_rng_below (&w->rng, 10);
    p->n_ck++;
    return 0;
}

static void
s_log (s_world_t *w, int node, const el_event_t *ev)
{
    if (w->n_log == w->cap_log) {
        w->cap_log = w->cap_log ? 2 * w->cap_log : 4096;
        w->log = realloc (w->log, w->cap_log * sizeof *w->log);
        assert_non_null (w->log);
    }
    s_log_t *l = &w->log[w->n_log++];
    memset (l, 0, sizeof *l);
    l->t_ms = ovl_simnet_now (w->sim);
    l->node = node;
    l->kind = (int32_t)ev->kind;
    l->slice = ev->slice;
    l->term = ev->term;
    l->peer = ev->peer.id;
}

static void
s_up_event (void *ctx, const el_event_t *ev)
{
    s_peer_t *p = ctx;
    s_world_t *w = p->w;
    uint64_t now = ovl_simnet_now (w->sim);
    s_log (w, p->index, ev);
    if (s_trace) {
        static const char *const kinds[] = { "job started", "role",       "master elected",
                                             "assigned",    "slice done", "job done",
                                             "rejected" };
        print_message ("%6" PRIu64 " node %d * %s slice %u peer %s term %" PRIu64
                       " master %d root %d %s\n",
                       now, p->index, kinds[ev->kind], ev->slice, ev->peer.addr, ev->term,
                       ev->master, ev->root, ev->reason ? ev->reason : "");
    }
    if (ev->kind == EL_EV_SLICE_ASSIGNED && w->kill_ms != UINT64_MAX &&
        w->reassign_ms == UINT64_MAX)
        w->reassign_ms = now;
    if (ev->kind != EL_EV_MASTER_ELECTED)
        return;
    if (w->kill_ms != UINT64_MAX && w->elected_after_kill == 0) {
        w->elected_after_kill = ev->term;
        w->elected_node = s_node_of (&ev->peer);
    }
    /* at most one master per term of a job, whoever hears of it */
    for (int i = 0; i < w->n_terms; i++) {
        if (w->terms[i].term != ev->term || !ovl_id_eq (w->terms[i].elector, ev->elector) ||
            !ovl_id_eq (w->terms[i].job, ev->job->id))
            continue;
        if (!ovl_id_eq (w->terms[i].master, ev->peer.id)) {
            char a[OVL_ID_SHORT_LEN + 1], b[OVL_ID_SHORT_LEN + 1];
            s_fail (w,
                    "two masters for term %" PRIu64 ": %s (node %d, told to node %d at %" PRIu64
                    " ms) and %s (node %d, told to node %d, reason \"%s\")",
                    ev->term, s_short (w->terms[i].master, a), w->terms[i].master_node,
                    w->terms[i].node, w->terms[i].t_ms, s_short (ev->peer.id, b),
                    s_node_of (&ev->peer), p->index, ev->reason ? ev->reason : "");
        }
        return;
    }
    if (w->n_terms < (int)(sizeof w->terms / sizeof w->terms[0])) {
        w->terms[w->n_terms].job = ev->job->id;
        w->terms[w->n_terms].term = ev->term;
        w->terms[w->n_terms].elector = ev->elector;
        w->terms[w->n_terms].handoff =
            ev->reason && strcmp (ev->reason, "handover: master was root") == 0;
        w->terms[w->n_terms].master = ev->peer.id;
        w->terms[w->n_terms].master_node = s_node_of (&ev->peer);
        w->terms[w->n_terms].node = p->index;
        w->terms[w->n_terms].t_ms = now;
        w->n_terms++;
    }
}

/* ------------------------------------------------------------------ */
/* the overlay's hooks, into the cores */

/* P2PF_TRACE=1: one line per job message a live peer gets, for
 * diagnosing a failing seed. */
static void
s_trace_msg (s_world_t *w, int node, const char *how, const ovl_handle_t *from,
             const uint8_t *payload, size_t len)
{
    static const char *const names[] = { "announce",  "job_query", "master_query", "response",
                                         "work_req",  "assign",    "return",       "slice",
                                         "slice_req", "heartbeat", "elect_query",  "nominate",
                                         "elected" };
    el_msg_error_t why;
    P2pf__JobMsg *m = el_msg_decode (payload, len, &why);
    if (!m) {
        print_message ("%6" PRIu64 " node %d <%s %s: malformed (%s)\n", ovl_simnet_now (w->sim),
                       node, how, from->addr, el_msg_strerror (why));
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
    print_message ("%6" PRIu64 " node %d <%s %s: %s %s\n", ovl_simnet_now (w->sim), node, how,
                   from->addr, k >= 0 && k < 13 ? names[k] : "?", extra);
    el_msg_free (&m);
}

static s_peer_t *
s_live_peer (s_world_t *w, int node)
{
    if (node < 0 || node >= w->n_peers || !w->peers[node] || !w->peers[node]->peer ||
        w->peers[node]->dead)
        return NULL;
    return w->peers[node];
}

static void
s_hk_group_deliver (void *ctx, int node, ovl_id_t group, const uint8_t *payload, size_t len,
                    const ovl_handle_t *publisher)
{
    s_peer_t *p = s_live_peer (ctx, node);
    if (!p)
        return;
    if (s_trace)
        s_trace_msg (p->w, node, "pub", publisher, payload, len);
    el_peer_on_publish (p->peer, ovl_simnet_now (p->w->sim), group, payload, len, publisher);
    s_arm (p);
}

static void
s_hk_deliver (void *ctx, int node, ovl_id_t key, const uint8_t *payload, size_t len,
              const ovl_handle_t *origin, int hops)
{
    (void)hops;
    s_peer_t *p = s_live_peer (ctx, node);
    if (!p)
        return;
    if (s_trace)
        s_trace_msg (p->w, node, "route", origin, payload, len);
    el_peer_on_routed (p->peer, ovl_simnet_now (p->w->sim), key, payload, len, origin);
    s_arm (p);
}

static void
s_hk_app (void *ctx, int node, const ovl_handle_t *from, const uint8_t *payload, size_t len)
{
    s_peer_t *p = s_live_peer (ctx, node);
    if (!p)
        return;
    if (s_trace)
        s_trace_msg (p->w, node, "app", from, payload, len);
    el_peer_on_direct (p->peer, ovl_simnet_now (p->w->sim), from, payload, len);
    s_arm (p);
}

static void
s_hk_group_root (void *ctx, int node, ovl_id_t group, int is_root)
{
    s_peer_t *p = s_live_peer (ctx, node);
    if (!p)
        return;
    if (s_trace)
        print_message ("%6" PRIu64 " node %d: overlay root %d of %s\n", ovl_simnet_now (p->w->sim),
                       node, is_root, ovl_id_eq (group, p->w->net) ? "net" : "a group");
    el_peer_on_root (p->peer, ovl_simnet_now (p->w->sim), group, is_root);
    s_arm (p);
}

static void
s_hk_node_lost (void *ctx, int node, const ovl_handle_t *lost)
{
    s_peer_t *p = s_live_peer (ctx, node);
    if (!p)
        return;
    if (s_trace)
        print_message ("%6" PRIu64 " node %d: lost %s\n", ovl_simnet_now (p->w->sim), node,
                       lost->addr);
    el_peer_on_node_lost (p->peer, ovl_simnet_now (p->w->sim), lost);
    s_arm (p);
}

static void
s_start (s_peer_t *p)
{
    if (p->started)
        return;
    p->started = 1;
    el_peer_start (p->peer, ovl_simnet_now (p->w->sim));
    s_arm (p);
}

static void
s_hk_joined (void *ctx, int node, int hops)
{
    (void)hops;
    s_world_t *w = ctx;
    /* The first node joins inside ovl_simnet_add, before its peer exists:
     * s_add starts it then. */
    if (node < w->n_peers && w->peers[node])
        w->peers[node]->joined = 1;
    s_peer_t *p = s_live_peer (w, node);
    if (p)
        s_start (p);
}

static void
s_hk_app_tick (void *ctx, int node, uint64_t now)
{
    s_peer_t *p = s_live_peer (ctx, node);
    if (!p)
        return;
    s_renders_due (p, now);
    s_checks_due (p, now);
    /* the timer is the earliest of several: tick the core only when due */
    if (now >= el_peer_next_deadline_ms (p->peer))
        el_peer_on_tick (p->peer, now);
    s_arm (p);
}

/* ------------------------------------------------------------------ */
/* the world */

static int
s_add (s_world_t *w, int via)
{
    int i = ovl_simnet_count (w->sim);
    if (w->n_peers == w->cap_peers) {
        w->cap_peers = w->cap_peers ? 2 * w->cap_peers : 64;
        w->peers = realloc (w->peers, (size_t)w->cap_peers * sizeof *w->peers);
        assert_non_null (w->peers);
    }
    s_peer_t *p = calloc (1, sizeof *p);
    assert_non_null (p);
    p->w = w;
    p->index = i;
    p->electing_since_ms = UINT64_MAX;
    p->cost_x = ovl_rng_below (&w->rng, 100) < (uint64_t)w->prm.slow_pct ? 5 : 1;
    w->peers[i] = p;
    w->n_peers = i + 1;
    assert_int_equal (ovl_simnet_add (w->sim, via), i);
    el_upcalls_t up = {
        .ctx = p,
        .publish = s_up_publish,
        .send = s_up_send,
        .route = s_up_route,
        .join = s_up_join,
        .leave = s_up_leave,
        .render = s_up_render,
        .event = s_up_event,
        .check = s_up_check,
    };
    p->peer = el_peer_new (&w->el, ovl_simnet_handle (w->sim, i), w->net, &up,
                           w->seed * 1000003u + (uint64_t)i);
    assert_non_null (p->peer);
    if (p->joined)
        s_start (p);
    return i;
}

static int
s_pick_live (s_world_t *w)
{
    for (;;) {
        int v = (int)ovl_rng_below (&w->rng, (uint64_t)w->n_peers);
        if (s_live_peer (w, v))
            return v;
    }
}

static void
s_kill (s_world_t *w, int i)
{
    s_peer_t *p = w->peers[i];
    if (s_trace)
        print_message ("%6" PRIu64 " node %d KILLED\n", ovl_simnet_now (w->sim), i);
    ovl_simnet_kill (w->sim, i);
    p->dead = 1;
    for (int j = 0; j < p->n_q; j++)
        free (p->q[j].px);
    p->n_q = 0;
    for (int j = 0; j < p->n_ck; j++)
        free (p->ck[j].values);
    p->n_ck = 0;
}

static s_world_t *
s_world_new (const s_params_t *prm, uint64_t seed)
{
    s_world_t *w = calloc (1, sizeof *w);
    assert_non_null (w);
    w->prm = *prm;
    w->seed = seed;
    w->kill_ms = UINT64_MAX;
    w->reassign_ms = UINT64_MAX;
    ovl_rng_seed (&w->rng, seed ^ 0x6a09e667f3bcc909ull);
    w->net = ovl_id_from_name ("net/test", 8);

    /* Timers scaled to the latency: a heartbeat crosses the job tree in a
     * few hops, so a master is suspected after 3 heartbeats plus that; an
     * election (query down the tree, nomination routed up, result down)
     * is retried after a few such rounds. */
    el_config_default (&w->el);
    uint32_t lat = prm->lat_max_ms;
    w->el.heartbeat_ms = 100;
    w->el.master_timeout_ms = 300 + 8 * lat;
    w->el.election_timeout_ms = 600 + 20 * lat;
    w->el.request_timeout_ms = 200 + 8 * lat;
    w->el.render_slots = prm->slots;
    w->el.ahead = prm->ahead;
    w->el.check_pending_max = S_CHECKS_PENDING;

    ovl_simnet_config_t cfg;
    memset (&cfg, 0, sizeof cfg);
    cfg.seed = seed;
    cfg.latency_min_ms = prm->lat_min_ms;
    cfg.latency_max_ms = prm->lat_max_ms;
    ovl_config_default (&cfg.node);
    /* the ring is built without probing (as in test_sim), then probing is
     * switched on with short timers so crashes are found in well under a
     * second */
    cfg.node.ping_interval_ms = 0;
    cfg.node.fail_timeout_ms = 0;
    cfg.node.ack_timeout_ms = 100 + 4 * lat;
    cfg.node.group_retry_ms = 500;
    ovl_simnet_hooks_t hooks;
    memset (&hooks, 0, sizeof hooks);
    hooks.ctx = w;
    hooks.deliver_from = s_hk_deliver;
    hooks.group_deliver_from = s_hk_group_deliver;
    hooks.app = s_hk_app;
    hooks.group_root = s_hk_group_root;
    hooks.node_lost = s_hk_node_lost;
    hooks.joined = s_hk_joined;
    hooks.app_tick = s_hk_app_tick;
    w->sim = ovl_simnet_new (&cfg, &hooks);
    assert_non_null (w->sim);

    /* the image: K rows of 24 px, one row per slice */
    rnd_view_default (&w->view);
    w->view.center_re = -0.5;
    w->view.center_im = 0.0;
    w->view.width = 3.0;
    w->view.width_px = 24;
    w->view.height_px = prm->slices;
    w->view.max_iter = 200;
    w->ref = malloc ((size_t)24 * (size_t)prm->slices * sizeof *w->ref);
    assert_non_null (w->ref);
    rnd_kjob_t kj;
    rnd_kjob_init (&kj, &w->view);
    rnd_kernel_run (RND_KERNEL_SCALAR, &kj, 0, prm->slices, w->ref);

    /* one join at a time, each through a random member, every peer
     * started as its node joins */
    for (int i = 0; i < prm->peers; i++) {
        s_add (w, i ? (int)ovl_rng_below (&w->rng, (uint64_t)i) : -1);
        ovl_simnet_settle (w->sim, 300); /* peers' queries keep it from ever settling */
        uint64_t give_up = ovl_simnet_now (w->sim) + 10000;
        while (!ovl_node_is_joined (ovl_simnet_node (w->sim, i)) &&
               ovl_simnet_now (w->sim) < give_up)
            ovl_simnet_run_until (w->sim, ovl_simnet_now (w->sim) + S_STEP_MS);
        if (!ovl_node_is_joined (ovl_simnet_node (w->sim, i)))
            fail_msg ("%s seed %" PRIu64 ": node %d did not join", prm->name, seed, i);
    }
    ovl_config_t live = cfg.node;
    live.ping_interval_ms = 100 + 2 * lat;
    live.fail_timeout_ms = 400 + 10 * lat;
    ovl_simnet_set_node_config (w->sim, &live);
    ovl_simnet_set_loss (w->sim, prm->loss);
    ovl_simnet_run_until (w->sim, ovl_simnet_now (w->sim) + 500);
    return w;
}

static void
s_world_destroy (s_world_t **w_p)
{
    s_world_t *w = *w_p;
    if (!w)
        return;
    for (int i = 0; i < w->n_peers; i++) {
        s_peer_t *p = w->peers[i];
        for (int j = 0; j < p->n_q; j++)
            free (p->q[j].px);
        for (int j = 0; j < p->n_ck; j++)
            free (p->ck[j].values);
        el_peer_destroy (&p->peer);
        free (p);
    }
    free (w->peers);
    ovl_simnet_destroy (&w->sim);
    free (w->ref);
    free (w->log);
    free (w);
    *w_p = NULL;
}

/* Node 0 starts the job. */
static void
s_start_job (s_world_t *w)
{
    s_peer_t *p = s_live_peer (w, 0);
    assert_non_null (p);
    char err[256];
    if (el_peer_new_job (p->peer, ovl_simnet_now (w->sim), &w->view, w->prm.slices, 1000, err,
                         sizeof err))
        fail_msg ("el_peer_new_job: %s", err);
    s_arm (p);
    w->job = *el_peer_job (p->peer);
    w->has_job = 1;
    w->job_ms = ovl_simnet_now (w->sim);
}

/* Where the job stands. */
typedef struct {
    int live;          /* live peers */
    int complete;      /* of them, holding every slice of the job */
    int masters;       /* calling themselves master */
    int electing;      /* electing */
    uint32_t max_done; /* most slices any live peer holds */
    int master;        /* a live master of the highest term, -1 if none */
    uint64_t term;     /* the highest term a live peer knows */
} s_census_t;

static void
s_census (s_world_t *w, s_census_t *c)
{
    memset (c, 0, sizeof *c);
    c->master = -1;
    uint64_t master_term = 0;
    for (int i = 0; i < w->n_peers; i++) {
        s_peer_t *p = s_live_peer (w, i);
        if (!p)
            continue;
        c->live++;
        el_status_t st;
        el_peer_status (p->peer, &st);
        const el_job_t *job = el_peer_job (p->peer);
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
s_check_step (s_world_t *w)
{
    uint64_t now = ovl_simnet_now (w->sim);
    uint64_t bound = 5 * (uint64_t)w->el.election_timeout_ms;
    for (int i = 0; i < w->n_peers; i++) {
        s_peer_t *p = s_live_peer (w, i);
        if (!p)
            continue;
        el_status_t st;
        el_peer_status (p->peer, &st);
        if (!st.electing) {
            p->electing_since_ms = UINT64_MAX;
        } else if (p->electing_since_ms == UINT64_MAX) {
            p->electing_since_ms = now;
        } else if (now - p->electing_since_ms > bound) {
            s_fail (w,
                    "node %d has been electing since %" PRIu64 " ms (term %" PRIu64
                    ", has_master %d, done %u/%u)",
                    i, p->electing_since_ms, st.term, st.has_master, st.done, st.total);
            s_print_tree_path (w, i);
        }
        /* two live masters of one term */
        if (!st.is_master)
            continue;
        for (int j = i + 1; j < w->n_peers; j++) {
            s_peer_t *q = s_live_peer (w, j);
            if (!q)
                continue;
            el_status_t sq;
            el_peer_status (q->peer, &sq);
            if (sq.is_master && sq.term == st.term && ovl_id_eq (sq.elector, st.elector) &&
                ovl_id_eq (el_peer_job (p->peer)->id, el_peer_job (q->peer)->id))
                s_fail (w, "nodes %d and %d are both master of term %" PRIu64, i, j, st.term);
        }
    }
}

/* Run for dt virtual ms, checking after every step. 0, or -1 once an
 * invariant broke. */
static int
s_run (s_world_t *w, uint64_t dt)
{
    uint64_t end = ovl_simnet_now (w->sim) + dt;
    while (!w->fail[0] && ovl_simnet_now (w->sim) < end) {
        ovl_simnet_run_until (w->sim, ovl_simnet_now (w->sim) + S_STEP_MS);
        s_check_step (w);
    }
    return w->fail[0] ? -1 : 0;
}

/* Run until pred holds (checked every step), an invariant breaks, or
 * limit_ms passes. 1 if pred came true. */
static int
s_run_until (s_world_t *w, int (*pred) (s_world_t *w), uint64_t limit_ms)
{
    uint64_t end = ovl_simnet_now (w->sim) + limit_ms;
    while (!w->fail[0] && ovl_simnet_now (w->sim) < end) {
        if (pred (w))
            return 1;
        s_run (w, S_STEP_MS);
    }
    return !w->fail[0] && pred (w);
}

static int
s_all_done (s_world_t *w)
{
    s_census_t c;
    s_census (w, &c);
    return c.complete == c.live;
}

/* Progress: the most slices any live peer holds, as a share of K. */
static double
s_progress (s_world_t *w)
{
    s_census_t c;
    s_census (w, &c);
    return (double)c.max_done / (double)w->prm.slices;
}

/* s_reached's threshold: a predicate gets only the world. */
static double s_target;

static int
s_reached (s_world_t *w)
{
    return s_progress (w) >= s_target;
}

static int
s_someone_electing (s_world_t *w)
{
    s_census_t c;
    s_census (w, &c);
    return c.electing > 0;
}

static int
s_new_master_elected (s_world_t *w)
{
    return w->elected_after_kill != 0;
}

/* The live node that roots the job's tree, -1 if none does (yet). A
 * parentless tree member is not necessarily the root (it may be joining
 * again): the root is the one the overlay told so (group_root upcall,
 * which the core reports as is_root). */
static int
s_job_root (s_world_t *w)
{
    for (int i = 0; i < w->n_peers; i++) {
        if (!s_live_peer (w, i))
            continue;
        el_status_t st;
        el_peer_status (w->peers[i]->peer, &st);
        int parentless = 0;
        if (st.is_root &&
            ovl_node_group_info (ovl_simnet_node (w->sim, i), w->job.group, NULL, &parentless, NULL,
                                 NULL, NULL) &&
            parentless)
            return i;
    }
    return -1;
}

static int
s_master (s_world_t *w)
{
    s_census_t c;
    s_census (w, &c);
    return c.master;
}

/* Kill node m as a master: time the recovery from now. */
static void
s_kill_as_master (s_world_t *w, int m)
{
    s_kill (w, m);
    w->kill_ms = ovl_simnet_now (w->sim);
    w->reassign_ms = UINT64_MAX;
    w->elected_after_kill = 0;
}

static void
s_kill_master (s_world_t *w)
{
    int m = s_master (w);
    if (m < 0) {
        s_fail (w, "no live master to kill");
        return;
    }
    s_kill (w, m);
    w->kill_ms = ovl_simnet_now (w->sim);
    w->reassign_ms = UINT64_MAX;
    w->elected_after_kill = 0;
}

/* A random live worker: neither master nor root. */
static int
s_pick_worker (s_world_t *w)
{
    int m = s_master (w), r = s_job_root (w);
    for (int tries = 0; tries < 10000; tries++) {
        int v = s_pick_live (w);
        if (v != m && v != r)
            return v;
    }
    return -1;
}

/* Where node i hangs in the job's tree: its chain of parents up to the
 * root, for the report of a stuck peer. */
static void
s_print_tree_path (s_world_t *w, int i)
{
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
        cur = s_node_of (&parent);
    }
    /* and whether it knows the node its routes to the root should end at */
    int closest = ovl_simnet_closest (w->sim, w->job.group);
    ovl_handle_t leaves[16];
    int nl = ovl_node_leaf_list (ovl_simnet_node (w->sim, i), leaves, 16), knows = 0;
    for (int k = 0; k < nl; k++)
        knows |= s_node_of (&leaves[k]) == closest;
    /* ring distance in live nodes between i and closest: a leaf set
     * holds the 8 nearest on each side */
    int before = 0, after = 0;
    ovl_id_t a = ovl_simnet_handle (w->sim, i)->id, b = ovl_simnet_handle (w->sim, closest)->id;
    for (int k = 0; k < w->n_peers; k++) {
        if (!ovl_simnet_alive (w->sim, k) || k == i || k == closest)
            continue;
        ovl_id_t x = ovl_simnet_handle (w->sim, k)->id;
        ovl_id_t dx = ovl_id_sub (x, a), db = ovl_id_sub (b, a);
        if (ovl_id_cmp (dx, db) < 0)
            after++;
        else
            before++;
    }
    n += snprintf (line + n, sizeof line - (size_t)n,
                   "; key's closest live node %d, %s its leaf set (%d live nodes between them "
                   "clockwise, %d counter-clockwise; leaf set holds %d)",
                   closest, knows ? "in" : "NOT in", after, before, nl);
    print_message ("%s\n", line);
}

/* What a run measured. */
typedef struct {
    uint64_t done_ms;     /* job start -> every live peer complete */
    uint64_t reassign_ms; /* last master kill -> first new assignment (UINT64_MAX: n/a) */
    int terms;            /* distinct terms elected, beyond the first */
    uint64_t elections;   /* ElectionQuery published, all peers */
    uint64_t dup_max;     /* most duplicate slices one peer received */
    uint64_t msgs;        /* messages handed to the network */
    uint64_t trace;       /* the simulator's trace hash */
} s_result_t;

/* The end: every live peer holds every slice, right to the bit, credited
 * to a node that exists; nothing malformed. Then the world is destroyed.
 * 0, or -1 (counted in s_tally) if an invariant broke. */
static int
s_finish (s_world_t **w_p, s_result_t *res)
{
    s_world_t *w = *w_p;
    memset (res, 0, sizeof *res);
    if (!w->fail[0]) {
        uint64_t left = w->job_ms + w->prm.bound_ms > ovl_simnet_now (w->sim)
                            ? w->job_ms + w->prm.bound_ms - ovl_simnet_now (w->sim)
                            : 0;
        if (!s_run_until (w, s_all_done, left) && !w->fail[0]) {
            s_census_t c;
            s_census (w, &c);
            s_fail (w,
                    "not done within %" PRIu64 " ms of the job's start: %d of %d live peers "
                    "complete, best holds %u/%d, %d masters, %d electing, term %" PRIu64,
                    w->prm.bound_ms, c.complete, c.live, c.max_done, w->prm.slices, c.masters,
                    c.electing, c.term);
            for (int i = 0, shown = 0; i < w->n_peers && shown < 6; i++) {
                s_peer_t *p = s_live_peer (w, i);
                if (!p)
                    continue;
                el_status_t st;
                el_peer_status (p->peer, &st);
                if (st.has_job && st.done == st.total)
                    continue;
                shown++;
                print_message ("  node %d: job %d, done %u/%u, term %" PRIu64 ", master %s%s, "
                               "electing %d, in flight %u, renders held %d\n",
                               i, st.has_job, st.done, st.total, st.term,
                               st.has_master ? st.master.addr : "none",
                               st.is_master ? " (self)" : "", st.electing, st.in_flight, p->n_q);
                if (st.has_job) {
                    s_print_tree_path (w, i);
                } else {
                    /* JobQuery is routed to the network group's key */
                    int nr = ovl_simnet_closest (w->sim, w->net);
                    print_message ("    no job; the network group's key is closest to node %d, "
                                   "which has %s\n",
                                   nr, el_peer_job (w->peers[nr]->peer) ? "the job" : "no job");
                }
            }
        }
    }
    res->done_ms = ovl_simnet_now (w->sim) - w->job_ms;
    size_t npx = (size_t)24 * (size_t)w->prm.slices;
    for (int i = 0; i < w->n_peers && !w->fail[0]; i++) {
        s_peer_t *p = s_live_peer (w, i);
        if (!p)
            continue;
        const float *px = el_peer_pixels (p->peer);
        if (!px || memcmp (px, w->ref, npx * sizeof *px) != 0) {
            size_t k = 0;
            while (px && k < npx && memcmp (&px[k], &w->ref[k], sizeof *px) == 0)
                k++;
            s_fail (w, "node %d: image differs from the reference at pixel %zu (row %zu)", i, k,
                    k / 24);
            break;
        }
        for (uint32_t s = 0; s < (uint32_t)w->prm.slices; s++) {
            ovl_id_t by;
            if (!el_peer_slice_done (p->peer, s, &by)) {
                s_fail (w, "node %d: slice %u not done", i, s);
                break;
            }
            int known = 0;
            for (int j = 0; j < w->n_peers && !known; j++)
                known = ovl_id_eq (ovl_simnet_handle (w->sim, j)->id, by);
            if (!known) {
                char b[OVL_ID_SHORT_LEN + 1];
                s_fail (w, "node %d: slice %u credited to %s, no such node", i, s, s_short (by, b));
            }
        }
    }
    uint64_t checks = 0;
    for (int i = 0; i < w->n_peers; i++) {
        const el_stats_t *st = el_peer_stats (w->peers[i]->peer);
        checks += st->checks_asked;
        /* Nobody lies here: a rejection is a false alarm. */
        if (st->slices_rejected)
            s_fail (w, "node %d rejected %" PRIu64 " honest slices", i, st->slices_rejected);
    }
    if (w->n_peers > 1 && checks == 0)
        s_fail (w, "no received slice was checked");
    for (int i = 0; i < w->n_peers; i++) {
        const el_stats_t *st = el_peer_stats (w->peers[i]->peer);
        res->elections += st->elections_started;
        if (st->slices_duplicate > res->dup_max)
            res->dup_max = st->slices_duplicate;
        if (st->dropped_malformed)
            s_fail (w, "node %d dropped %" PRIu64 " malformed messages", i, st->dropped_malformed);
    }
    for (int i = 0; i < w->n_terms; i++)
        res->terms += w->terms[i].term > 1 && !w->terms[i].handoff;
    res->reassign_ms = w->reassign_ms != UINT64_MAX ? w->reassign_ms - w->kill_ms : UINT64_MAX;
    res->msgs = ovl_simnet_messages (w->sim);
    res->trace = ovl_simnet_trace_hash (w->sim);
    char line[256];
    int n = snprintf (line, sizeof line,
                      "  %-22s seed %-20" PRIu64 " %3d nodes  done +%5" PRIu64
                      " ms  terms +%d  election queries %3" PRIu64 "  dup max %3" PRIu64,
                      w->prm.name, w->seed, w->n_peers, res->done_ms, res->terms, res->elections,
                      res->dup_max);
    if (res->reassign_ms != UINT64_MAX)
        snprintf (line + n, sizeof line - (size_t)n, "  kill->assign %" PRIu64 " ms",
                  res->reassign_ms);
    print_message ("%s\n", line);
    s_tally.runs++;
    if (w->fail[0]) {
        s_tally_fail (w->prm.test, w->seed, "%s", w->fail);
    } else {
        if (res->done_ms < s_tally.done_min_ms)
            s_tally.done_min_ms = res->done_ms;
        if (res->done_ms > s_tally.done_max_ms)
            s_tally.done_max_ms = res->done_ms;
        if (res->reassign_ms != UINT64_MAX && res->reassign_ms < s_tally.reassign_min_ms)
            s_tally.reassign_min_ms = res->reassign_ms;
        if (res->reassign_ms != UINT64_MAX && res->reassign_ms > s_tally.reassign_max_ms)
            s_tally.reassign_max_ms = res->reassign_ms;
        if (res->terms < s_tally.terms_min)
            s_tally.terms_min = res->terms;
        if (res->terms > s_tally.terms_max)
            s_tally.terms_max = res->terms;
    }
    int failed = w->fail[0] != 0;
    s_world_destroy (w_p);
    return failed ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* scenarios */

static s_params_t
s_params (const char *test, const char *name, int peers)
{
    s_params_t p = {
        .test = test,
        .name = name,
        .peers = peers,
        .slices = 64,
        .loss = 0.0,
        .lat_min_ms = 2,
        .lat_max_ms = 20,
        .slow_pct = 0,
        .slots = 1,
        .ahead = 1,
        .bound_ms = 20000,
    };
    return p;
}

static uint64_t
s_round_seed (int round)
{
    return s_seed + (uint64_t)round;
}

static void
s_no_faults (const char *test, const char *name, int peers, uint32_t slots, int slow_pct)
{
    s_tally_start ();
    for (int r = 0; r < s_rounds; r++) {
        s_params_t prm = s_params (test, name, peers);
        prm.slots = slots;
        prm.slow_pct = slow_pct;
        prm.bound_ms = 10000;
        s_world_t *w = s_world_new (&prm, s_round_seed (r));
        s_start_job (w);
        s_result_t res;
        if (s_finish (&w, &res) == 0 && res.terms)
            s_tally_fail (test, s_round_seed (r), "%s: %d elections without a fault", name,
                          res.terms);
    }
    s_tally_end (name);
}

static void
test_no_faults_8 (void **state)
{
    (void)state;
    s_no_faults (__func__, "no faults, 8", 8, 2, 0);
}

static void
test_no_faults_32 (void **state)
{
    (void)state;
    s_no_faults (__func__, "no faults, 32 (slow)", 32, 1, 25);
}

static void
test_no_faults_200 (void **state)
{
    (void)state;
    s_no_faults (__func__, "no faults, 200", 200, 1, 0);
}

/* Three workers (neither master nor root) crash a quarter of the way in,
 * three more half way. */
static void
test_kill_workers (void **state)
{
    (void)state;
    s_tally_start ();
    for (int r = 0; r < s_rounds; r++) {
        s_params_t prm = s_params (__func__, "kill workers", 16);
        prm.slices = 96;
        s_world_t *w = s_world_new (&prm, s_round_seed (r));
        s_start_job (w);
        double at[2] = { 0.25, 0.5 };
        for (int k = 0; k < 2; k++) {
            s_target = at[k];
            s_run_until (w, s_reached, 20000);
            for (int j = 0; j < 3 && !w->fail[0]; j++) {
                int v = s_pick_worker (w);
                if (v >= 0)
                    s_kill (w, v);
            }
        }
        s_result_t res;
        s_finish (&w, &res);
    }
    s_tally_end ("kill workers");
}

/* The master crashes 30% of the way in: a new one must take over. */
static void
test_kill_master (void **state)
{
    (void)state;
    s_tally_start ();
    for (int r = 0; r < s_rounds; r++) {
        s_params_t prm = s_params (__func__, "kill master", 16);
        prm.slices = 96;
        s_world_t *w = s_world_new (&prm, s_round_seed (r));
        s_start_job (w);
        s_target = 0.3;
        s_run_until (w, s_reached, 20000);
        s_kill_master (w);
        s_result_t res;
        if (s_finish (&w, &res) == 0 && res.terms < 1)
            s_tally_fail (__func__, s_round_seed (r), "kill master: no new master was elected");
    }
    s_tally_end ("kill master");
}

/* The root of the job's tree (the election's arbiter) crashes, and the
 * next root 300 ms later, while the tree may still be repairing.
 *
 * Found here, fixed since (peer.c, ~4% of seeds, e.g. 100, 1018, 1040, 1056): the
 * master a fresh root elects holds (nearly) every slice and relinquishes
 * within ms. A direct catch-up heartbeat it sent just before (from
 * s_on_election_query, to a peer that nominated with an old term) reaches
 * that peer after the relinquish: s_on_heartbeat replaces hb_done with the
 * older done set and sets has_master again. job_finished stays set, so the
 * peer neither suspects nor asks for work, and pulls only what the stale
 * set names: it stays a few slices short with no timer left. Fixed: done
 * sets are merged, never replaced; news of the finished job's last term is
 * ignored; a root repeats the relinquish to anyone who still nominates. */
static void
test_kill_root (void **state)
{
    (void)state;
    s_tally_start ();
    for (int r = 0; r < s_rounds; r++) {
        s_params_t prm = s_params (__func__, "kill job root", 16);
        prm.slices = 96;
        s_world_t *w = s_world_new (&prm, s_round_seed (r));
        s_start_job (w);
        s_target = 0.3;
        s_run_until (w, s_reached, 20000);
        int root = s_job_root (w);
        if (root < 0)
            s_fail (w, "no live root of the job's tree to kill");
        else
            s_kill (w, root);
        s_run (w, 300);
        root = s_job_root (w);
        if (root >= 0 && !w->fail[0])
            s_kill (w, root);
        s_result_t res;
        s_finish (&w, &res);
    }
    s_tally_end ("kill job root");
}

/* Master, root and five others crash in the same instant. */
static void
test_kill_several_at_once (void **state)
{
    (void)state;
    s_tally_start ();
    for (int r = 0; r < s_rounds; r++) {
        s_params_t prm = s_params (__func__, "kill several at once", 24);
        prm.slices = 96;
        s_world_t *w = s_world_new (&prm, s_round_seed (r));
        s_start_job (w);
        s_target = 0.4;
        s_run_until (w, s_reached, 20000);
        int root = s_job_root (w);
        s_kill_master (w);
        if (root >= 0 && s_live_peer (w, root))
            s_kill (w, root);
        for (int j = 0; j < 5; j++)
            s_kill (w, s_pick_live (w));
        s_result_t res;
        s_finish (&w, &res);
    }
    s_tally_end ("kill several at once");
}

/* The master dies; its successor dies within a step of being elected;
 * then the root, arbiter of the next election, dies while peers elect.
 *
 * Found here, fixed since (peer.c, ~4% of seeds, e.g. 133, 1035, 1048, 1073, 1097):
 * two masters for one term. The fresh root R1 elects term T+2 (skipping
 * one) and dies before its MasterElected reaches more than a few peers;
 * the next fresh root R2 never heard of T+2, so it also elects T+2, for
 * another candidate. The skip covers one root change, not two in a row.
 * Fixed: a term is a (counter, elector) ballot, unique per root, and a
 * root that meets a higher ballot re-confirms its live master above it. */
static void
test_kill_new_master (void **state)
{
    (void)state;
    s_tally_start ();
    for (int r = 0; r < s_rounds; r++) {
        s_params_t prm = s_params (__func__, "kill new master", 16);
        prm.slices = 96;
        s_world_t *w = s_world_new (&prm, s_round_seed (r));
        s_start_job (w);
        s_target = 0.25;
        s_run_until (w, s_reached, 20000);
        s_kill_master (w);
        /* The new master may finish the job (and relinquish) before it is
         * killed: then no second election is owed. */
        int still_master = 0;
        if (s_run_until (w, s_new_master_elected, 10000) && s_live_peer (w, w->elected_node)) {
            el_status_t st;
            el_peer_status (s_live_peer (w, w->elected_node)->peer, &st);
            still_master = st.is_master;
            s_kill_as_master (w, w->elected_node);
        }
        if (s_run_until (w, s_someone_electing, 10000)) {
            int root = s_job_root (w);
            if (root >= 0)
                s_kill (w, root);
        }
        s_result_t res;
        if (s_finish (&w, &res) == 0 && res.terms < 1 + still_master)
            s_tally_fail (__func__, s_round_seed (r),
                          "kill new master: %d new terms, expected %d or more", res.terms,
                          1 + still_master);
    }
    s_tally_end ("kill new master");
}

/* 5% of messages lost, latency 1..60 ms, a fifth of the peers slow, and
 * the master crashes half way.
 *
 * Found here, fixed since (overlay/node.c, ~12% of seeds, e.g. 110, 1008, 1009):
 * ovl_node_group_join sends a member's first JOIN without arming
 * retry_ms, so when that JOIN or its accept is lost the member stays
 * parentless for good and gets no heartbeat or slice of the job's group
 * (it elects forever, or ends up master of its own detached tree).
 * Arming it as s_group_lost_link does brings this to ~1% of seeds, which
 * then fail otherwise (e.g. 103, 1019: a member whose parent does not
 * forward to it; not diagnosed further). Fixed: the first JOIN is armed
 * like later ones, and a member whose election stalls, or whom the root
 * tells of a master it does not hear, joins the group again. */
static void
test_loss_and_jitter (void **state)
{
    (void)state;
    s_tally_start ();
    for (int r = 0; r < s_rounds; r++) {
        s_params_t prm = s_params (__func__, "5% loss, jitter", 24);
        prm.slices = 96;
        prm.loss = 0.05;
        prm.lat_min_ms = 1;
        prm.lat_max_ms = 60;
        prm.slow_pct = 20;
        prm.bound_ms = 40000;
        s_world_t *w = s_world_new (&prm, s_round_seed (r));
        s_start_job (w);
        s_target = 0.5;
        s_run_until (w, s_reached, 30000);
        s_kill_master (w);
        s_result_t res;
        s_finish (&w, &res);
    }
    s_tally_end ("5% loss, jitter");
}

/* Six peers join mid-job; four after the job is done everywhere; one
 * more after the first master has gone.
 *
 * Found here, fixed since (peer.c, about half the seeds, e.g. 103, 1000): JobQuery
 * is routed to the network group's key, and only the node closest to it
 * answers, if it has a job. When a newcomer becomes that node it has none,
 * so every later joiner's queries (and its own) go unanswered for good.
 * Fixed: after the first routed try, the query is published to the
 * network group and every member with a job answers. */
static void
test_late_joiners (void **state)
{
    (void)state;
    s_tally_start ();
    for (int r = 0; r < s_rounds; r++) {
        s_params_t prm = s_params (__func__, "late joiners", 12);
        prm.slices = 96;
        s_world_t *w = s_world_new (&prm, s_round_seed (r));
        s_start_job (w);
        s_target = 0.3;
        s_run_until (w, s_reached, 20000);
        for (int j = 0; j < 6 && !w->fail[0]; j++) {
            s_add (w, s_pick_live (w));
            s_run (w, 30);
        }
        if (s_run_until (w, s_all_done, 20000)) {
            for (int j = 0; j < 4 && !w->fail[0]; j++) {
                s_add (w, s_pick_live (w));
                s_run (w, 50);
            }
            s_kill (w, 0);
            s_run (w, 1000);
            s_add (w, s_pick_live (w));
        }
        s_result_t res;
        s_finish (&w, &res);
    }
    s_tally_end ("late joiners");
}

/* Zooms: two workers start new jobs mid-job, 7 ms apart (as two users
 * clicking in their windows at once); every peer must follow the newest
 * (stamp, then id) and finish it right to the bit, and its master then
 * crashes too. */
static void
test_new_jobs_mid_job (void **state)
{
    (void)state;
    s_tally_start ();
    for (int r = 0; r < s_rounds; r++) {
        s_params_t prm = s_params (__func__, "new jobs mid-job", 12);
        prm.slices = 96;
        s_world_t *w = s_world_new (&prm, s_round_seed (r));
        s_start_job (w);
        s_target = 0.3;
        s_run_until (w, s_reached, 20000);
        const double zoom[2][3] = { { -0.75, 0.1, 0.5 }, { -0.1, 0.65, 0.3 } };
        el_job_t started[2];
        for (int k = 0; k < 2 && !w->fail[0]; k++) {
            int z = s_pick_worker (w);
            assert_true (z >= 0);
            rnd_view_t view = w->view;
            view.center_re = zoom[k][0];
            view.center_im = zoom[k][1];
            view.width = zoom[k][2];
            char err[256];
            /* The same stamp hint: a peer that has not heard of the other
             * zoom yet ties on the stamp, and the id decides. */
            if (el_peer_new_job (w->peers[z]->peer, ovl_simnet_now (w->sim), &view, prm.slices,
                                 2000, err, sizeof err))
                fail_msg ("el_peer_new_job: %s", err);
            s_arm (w->peers[z]);
            started[k] = *el_peer_job (w->peers[z]->peer);
            s_run (w, 7);
        }
        const el_job_t *win = el_job_newer (&started[1], &started[0]) ? &started[1] : &started[0];
        w->view = win->view;
        w->job = *win;
        w->job_ms = ovl_simnet_now (w->sim);
        rnd_kjob_t kj;
        rnd_kjob_init (&kj, &w->view);
        rnd_kernel_run (RND_KERNEL_SCALAR, &kj, 0, prm.slices, w->ref);
        s_run_until (w, s_reached, 20000);
        s_kill_master (w);
        s_result_t res;
        s_finish (&w, &res);
    }
    s_tally_end ("new jobs mid-job");
}

/* The same seed twice: the same trace, the same events; another seed: not. */
static void
test_same_seed_same_run (void **state)
{
    (void)state;
    s_tally_start ();
    uint64_t hash[3];
    s_log_t *logs[3];
    size_t n_logs[3];
    for (int k = 0; k < 3; k++) {
        s_params_t prm = s_params (__func__, "determinism", 16);
        prm.slices = 96;
        prm.loss = 0.02;
        prm.slow_pct = 20;
        s_world_t *w = s_world_new (&prm, s_seed + (k == 2));
        s_start_job (w);
        s_target = 0.3;
        s_run_until (w, s_reached, 20000);
        s_kill_master (w);
        s_run_until (w, s_all_done, 20000);
        logs[k] = w->log;
        n_logs[k] = w->n_log;
        w->log = NULL;
        s_result_t res;
        s_finish (&w, &res);
        hash[k] = res.trace;
    }
    int same = hash[0] == hash[1] && n_logs[0] == n_logs[1] &&
               memcmp (logs[0], logs[1], n_logs[0] * sizeof *logs[0]) == 0;
    for (int k = 0; k < 3; k++)
        free (logs[k]);
    if (!same)
        fail_msg ("seed %" PRIu64 " twice: trace %016" PRIx64 " vs %016" PRIx64
                  ", %zu vs %zu events",
                  s_seed, hash[0], hash[1], n_logs[0], n_logs[1]);
    if (hash[0] == hash[2])
        fail_msg ("seeds %" PRIu64 " and %" PRIu64 " gave the same trace", s_seed, s_seed + 1);
    /* the runs themselves must hold their invariants too */
    s_tally_end ("determinism");
}

int
main (void)
{
    s_seed = tu_seed ("test_election");
    /* a replayed seed runs once per scenario; CI runs ten (~4 s, ~16 s
     * under ASan on two cores) */
    const char *env = getenv ("P2PF_SEED");
    s_rounds = env && *env ? 1 : 10;
    s_trace = getenv ("P2PF_TRACE") != NULL;
    if (getenv ("P2PF_ROUNDS"))
        s_rounds = atoi (getenv ("P2PF_ROUNDS"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_no_faults_8),          cmocka_unit_test (test_no_faults_32),
        cmocka_unit_test (test_no_faults_200),        cmocka_unit_test (test_kill_workers),
        cmocka_unit_test (test_kill_master),          cmocka_unit_test (test_kill_root),
        cmocka_unit_test (test_kill_several_at_once), cmocka_unit_test (test_kill_new_master),
        cmocka_unit_test (test_loss_and_jitter),      cmocka_unit_test (test_late_joiners),
        cmocka_unit_test (test_same_seed_same_run),   cmocka_unit_test (test_new_jobs_mid_job),
    };
    if (getenv ("P2PF_TEST_FILTER"))
        cmocka_set_test_filter (getenv ("P2PF_TEST_FILTER"));
    return cmocka_run_group_tests (tests, NULL, NULL);
}
