/* peer_internal.h: what the files of one peer's job protocol share -- the
 * peer's state and the calls one part makes into another. Private to
 * election/ (peer.h is the interface).
 *
 * The protocol is one state machine in seven files, one concern each:
 * peer.c (life cycle, message dispatch, the pump, the timer table, the
 * public calls), store.c (the job's image, done set and who computed
 * what), master.c (the rotating work queue, heartbeats, late joiners'
 * queries), worker.c (work requests, assignments, renders in flight),
 * pulls.c (anti-entropy), checks.c (spot checks of received slices) and
 * election.c (terms, suspicion, nominations, arbitration). They share one
 * struct rather than one each: most messages touch several concerns (a
 * heartbeat names the master, feeds the pulls and ends an election), and a
 * struct per concern would buy indirections, not separation. */
#ifndef EL_PEER_INTERNAL_H
#define EL_PEER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "job.h"
#include "peer.h"
#include "rng.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "slice pixels travel as little-endian float32; this code copies them as they are"
#endif

/* Slices a leaving worker hands back that the master remembers to issue
 * first. */
#define EL_PEER_RETURNED_MAX EL_MSG_SLICES_MAX
/* Job groups remembered as "this node is their root" before the job is
 * adopted (the overlay may say so first). */
#define EL_PEER_ROOTS_MAX 8
/* Peers a job ignores after a slice of theirs failed its check: a few
 * liars are enough to notice; past that the oldest is forgotten. */
#define EL_PEER_BANNED_MAX 16
/* Peers a catch-up pulls from besides its source (pulls.c): twice what a
 * MasterResponse names, so that answers name different ones in turn. */
#define EL_PEER_HOLDERS_MAX (2 * EL_MSG_HOLDERS_MAX)
/* Joiners a master remembers to name as holders: a stream of joiners
 * arriving several a second must not all be sent to the same few. */
#define EL_PEER_JOINERS_MAX 32
/* A pull's holder: the source (or the job key's root), not a holders[]
 * slot. */
#define EL_PULL_SOURCE 0xff

/* Pixels one check may recompute. */
#define EL_PEER_CHECK_PX_MAX 64

/* A received slice awaiting its check: not stored, not done, not served;
 * the master does not hand it out meanwhile, pulls do not ask for it. */
typedef struct {
    uint64_t token;                    /* the check upcall's */
    uint64_t deadline_ms;              /* given up then */
    uint32_t slice;                    /* its index */
    ovl_handle_t from;                 /* who sent it */
    ovl_id_t by;                       /* who it says computed it */
    int has_ref;                       /* it carried a reference-orbit hash: */
    uint8_t ref[RND_REF_HASH_BYTES];   /* that */
    float *pixels;                     /* its pixels, as received */
    size_t bytes;                      /* their size */
    uint32_t n;                        /* pixels checked */
    uint32_t at[EL_PEER_CHECK_PX_MAX]; /* their indices within the slice */
} el_check_t;

/* A term: a counter and the root that elected it. Ordered by counter,
 * then elector; each root accepts one master per counter, so no term ever
 * has two masters, however many roots die mid-election (ballots). */
typedef struct {
    uint64_t n;
    ovl_id_t by;
} el_term_t;

struct el_peer_t {
    el_config_t cfg;
    ovl_handle_t self;
    ovl_id_t net; /* the network group */
    el_upcalls_t up;
    ovl_rng_t rng;
    el_stats_t stats;
    int started;                       /* el_peer_start was called */
    uint64_t job_query_at_ms;          /* ask the network for its job then */
    int job_queries;                   /* JobQuery messages sent */
    uint64_t announce_at_ms;           /* as master (or a done job's root): announce again then */
    uint32_t master_queries;           /* MasterQuery messages sent, this job */
    ovl_id_t roots[EL_PEER_ROOTS_MAX]; /* groups whose tree this node roots */
    int n_roots;

    /* the job */
    int has_job;
    el_job_t job;
    float *pixels;                        /* W*H */
    uint8_t *done;                        /* bitmap: slice here */
    ovl_id_t *by;                         /* per slice: who computed it */
    uint32_t n_done;                      /* slices here */
    uint32_t n_own;                       /* of them, computed here first */
    int done_reported;                    /* EL_EV_JOB_DONE raised */
    int has_ref;                          /* the driver computed the job's reference orbit: */
    uint8_t ref_hash[RND_REF_HASH_BYTES]; /* its hash (el_peer_reference) */

    /* what the master says */
    el_term_t term; /* (counter, elector): see MasterElected in job.proto */
    int has_master;
    ovl_handle_t master;
    uint64_t last_heard_ms;              /* heartbeat, election or response of the master */
    uint64_t no_master_since;            /* when has_master last became 0 */
    uint8_t *hb_done;                    /* the master's done set, last heartbeat */
    uint8_t *hb_prev;                    /* and the one before */
    uint8_t *hb_old;                     /* and the one before that: what pulls ask for */
    uint8_t *pulled;                     /* slices asked for by the pulls under way */
    uint8_t *pull_to;                    /* per slice: the holder asked (a holders[] slot
                                            or EL_PULL_SOURCE) */
    uint8_t *pull_tries;                 /* per slice: pulls of it that brought nothing */
    uint8_t *unseen;                     /* per slice rendered here: the master's heartbeats
                                            since that lacked it (pulls.c) */
    uint8_t *checking;                   /* per slice: copies awaiting their check */
    el_check_t *checks;                  /* those copies (check_pending_max) */
    uint32_t n_checks;                   /* in use */
    size_t check_bytes;                  /* their pixels' bytes */
    uint64_t check_token;                /* the last token handed out */
    ovl_rng_t check_rng;                 /* which pixels: a stream of its own, so checks
                                            do not shift the election's jitter */
    ovl_id_t banned[EL_PEER_BANNED_MAX]; /* sent or computed slices that failed */
    size_t n_banned;                     /* their check, this job: ignored */
    uint32_t queue_head;                 /* the master's cursor, last known */
    int job_finished;                    /* the master relinquished: everything is done */
    int has_source;                      /* a peer to pull missing slices from */
    ovl_handle_t source;
    ovl_handle_t holders[EL_PEER_HOLDERS_MAX]; /* peers heard publishing slices of the
                                                  job lately: pulls go to them too */
    int n_holders;                             /* in use */
    int holders_next;                          /* the slot a new holder takes next */
    int holders_told;                          /* the first one the next MasterResponse
                                                  names */
    struct {
        ovl_handle_t h;
        uint64_t at_ms;
    } joiners[EL_PEER_JOINERS_MAX]; /* the last peers whose query this peer answered,
                                       and when: holders once caught up */
    int n_joiners, joiners_next;
    int joiners_told; /* the first one the next MasterResponse names */

    /* as master */
    int is_master;
    uint64_t heartbeat_at_ms;
    uint32_t returned[EL_PEER_RETURNED_MAX]; /* slices handed back, issued first */
    int n_returned;

    /* as worker */
    uint32_t *inflight; /* slices asked of the renderer, not yet back */
    uint32_t n_inflight, cap_inflight;
    int request_pending;
    uint64_t request_deadline_ms;
    uint64_t idle_until_ms;    /* an empty WorkAssign: wait before asking again */
    int pull_pending;          /* a pull sent, and no slice came since */
    int pull_source_asked;     /* that pull asked the source too */
    uint64_t pull_deadline_ms; /* then `pulled` is forgotten (0: nothing pulled) */
    int pull_misses;           /* pulls in a row that brought nothing */
    int query_pending;         /* MasterQuery unanswered */
    uint64_t query_deadline_ms;

    /* elections */
    int electing;              /* this peer knows an election is under way */
    uint64_t elect_started_ms; /* when it first suspected */
    uint64_t elect_asked_ms;   /* when it asked the network in it */
    uint64_t fail_since_ms;    /* when the failure began, as far as it can tell:
                                  the old master's last heartbeat heard */
    uint64_t elect_retry_ms;   /* publish the query again then */
    int has_nominated;         /* nominated_term holds the last term nominated in */
    el_term_t nominated_term;
    int is_root;      /* root of the job group's tree */
    int has_handover; /* handover_term's master is leaving */
    el_term_t handover_term;
    char handover_reason[EL_REASON_MAX + 1]; /* as the leaving master gave it */
    char elect_reason[EL_REASON_MAX + 1];    /* the cause this peer saw; its nominations
                                                carry it to the arbiter */
    int takeover_pending;                    /* elected after a failure: the first
                                                assignment is still to come */
    uint64_t takeover_from_ms;               /* when (our clock) that failure
                                                began */
    uint32_t took_over_ms;                   /* measured to the first assignment; in
                                                our heartbeats, for every peer */
    el_term_t told_took_over;                /* the last term whose took_over_ms was
                                                reported here (counter 0: none) */
    uint64_t rejoin_at_ms;                   /* earliest time to re-join the job group */
    int leaving;
};

/* Where a message goes. */
typedef enum { EL_TO_PUBLISH, EL_TO_NET, EL_TO_PEER, EL_TO_ROUTE_JOB } el_dest_t;

/* peer.c: helpers for every part */
int el_peer_is_self (const el_peer_t *p, const ovl_handle_t *h);
void el_peer_event (el_peer_t *p, el_event_t *ev);
void el_peer_role_event (el_peer_t *p);
int el_peer_work_left (const el_peer_t *p);
int el_peer_in (uint32_t s, const uint32_t *list, size_t n);
void el_peer_pump (el_peer_t *p, uint64_t now);

/* send.c: messages out */
void el_peer_emit (el_peer_t *p, P2pf__JobMsg *msg, el_dest_t dest, const ovl_handle_t *to);
void el_peer_send_query (el_peer_t *p, P2pf__JobMsg__KindCase kind);
void el_peer_send_slices (el_peer_t *p, el_dest_t dest, const ovl_handle_t *to,
                          P2pf__JobMsg__KindCase kind, const uint32_t *slices, size_t n,
                          uint32_t want);
void el_peer_send_announce (el_peer_t *p, el_dest_t dest, const ovl_handle_t *to);

/* Each part's timers are pairs, *_deadline_ms and *_fire, listed in one
 * table in peer.c (s_timers); a pair's deadline must cover every case its
 * fire acts on, since a timer fires only once its deadline has come. A
 * deadline without a fire is acted on by el_peer_pump, which ends every
 * tick. */

/* store.c: the job's image, done set and who computed each slice */
void el_store_send_slice (el_peer_t *p, el_dest_t dest, const ovl_handle_t *to, uint32_t slice);
void el_store_slice (el_peer_t *p, uint64_t now, uint32_t slice, const void *px, ovl_id_t by,
                     int publish);
void el_store_on_slice_data (el_peer_t *p, uint64_t now, const P2pf__SliceData *sd,
                             const ovl_handle_t *from);

/* master.c: the rotating work queue, heartbeats, late joiners */
void el_master_send_heartbeat (el_peer_t *p, el_dest_t dest, const ovl_handle_t *to,
                               int relinquish);
void el_master_become (el_peer_t *p, uint64_t now);
void el_master_step_down (el_peer_t *p);
void el_master_relinquish (el_peer_t *p, uint64_t now);
size_t el_master_assign (el_peer_t *p, const ovl_handle_t *to, uint32_t n, const uint32_t *have,
                         size_t n_have, uint32_t *out);
void el_master_on_work_request (el_peer_t *p, uint64_t now, const P2pf__WorkRequest *wr,
                                const ovl_handle_t *from);
void el_master_on_work_return (el_peer_t *p, uint64_t now, const P2pf__WorkReturn *wr);
void el_master_on_heartbeat (el_peer_t *p, uint64_t now, const P2pf__MasterHeartbeat *hb,
                             const ovl_handle_t *from);
void el_master_on_response (el_peer_t *p, uint64_t now, const P2pf__MasterResponse *r,
                            const ovl_handle_t *from);
void el_master_on_query (el_peer_t *p, uint64_t now, const ovl_handle_t *from, uint32_t attempt);
uint64_t el_master_heartbeat_deadline_ms (const el_peer_t *p);
void el_master_heartbeat_fire (el_peer_t *p, uint64_t now);
uint64_t el_master_query_deadline_ms (const el_peer_t *p);
void el_master_query_fire (el_peer_t *p, uint64_t now);

/* worker.c: work requests, assignments, renders in flight */
void el_worker_take (el_peer_t *p, const uint32_t *slices, size_t n);
void el_worker_on_assign (el_peer_t *p, uint64_t now, const P2pf__WorkAssign *wa,
                          const ovl_handle_t *from);
uint64_t el_worker_request_deadline_ms (const el_peer_t *p);
void el_worker_request_fire (el_peer_t *p, uint64_t now);
uint64_t el_worker_idle_deadline_ms (const el_peer_t *p);

/* pulls.c: anti-entropy */
void el_pulls_ask (el_peer_t *p, uint64_t now);
/* A peer that holds slices of the job (it published or sent one, or a
 * responder named it): pulls may go to it. */
void el_pulls_note_holder (el_peer_t *p, const ovl_handle_t *h);
/* The source is about to change: the one so far stays a holder. */
void el_pulls_keep_source (el_peer_t *p);
/* A holder died or left: nothing more is asked of it. */
void el_pulls_forget_holder (el_peer_t *p, ovl_id_t id);
/* Fill a MasterResponse's holders (at most EL_MSG_HOLDERS_MAX, not `to`,
 * each answer starting where the last one stopped); their count. */
size_t el_pulls_holders_for (el_peer_t *p, uint64_t now, const ovl_handle_t *to, ovl_handle_t *out);
/* A peer whose MasterQuery this peer answered: a holder to name in later
 * answers once it had time to catch up. */
void el_pulls_note_joiner (el_peer_t *p, uint64_t now, const ovl_handle_t *h);
void el_pulls_push (el_peer_t *p);
void el_pulls_on_request (el_peer_t *p, const P2pf__SliceRequest *sr, const ovl_handle_t *from);
uint64_t el_pulls_timeout_deadline_ms (const el_peer_t *p);
void el_pulls_timeout_fire (el_peer_t *p, uint64_t now);

/* checks.c: spot checks of received slices */
void el_checks_remove (el_peer_t *p, uint32_t i, int free_pixels);
void el_checks_drop_slice (el_peer_t *p, uint32_t slice);
int el_checks_banned (const el_peer_t *p, ovl_id_t id);
int el_checks_on (const el_peer_t *p);
void el_checks_start (el_peer_t *p, uint64_t now, uint32_t slice, const uint8_t *px,
                      const ovl_handle_t *from, ovl_id_t by, const ProtobufCBinaryData *ref);
/* 1 if ref (a SliceData's ref_hash, may be empty) contradicts this peer's
 * own reference orbit: both known, and different. */
int el_checks_ref_differs (const el_peer_t *p, const uint8_t *ref, size_t len);
/* A slice whose reference-orbit hash differs from ours: rejected at once
 * as a failed check is (the event, once per sender and job; both
 * ignored). */
void el_checks_reject_ref (el_peer_t *p, uint32_t slice, const ovl_handle_t *from, ovl_id_t by);
uint64_t el_checks_timeout_deadline_ms (const el_peer_t *p);
void el_checks_timeout_fire (el_peer_t *p, uint64_t now);

/* election.c: terms, suspicion, election queries, nominations, arbitration */
int el_term_cmp (el_term_t a, el_term_t b);
el_term_t el_term_get (uint64_t n, ProtobufCBinaryData elector);
void el_term_set (el_term_t t, uint64_t *n, ProtobufCBinaryData *elector, uint8_t buf[16]);
void el_election_handover (el_peer_t *p, uint64_t now, const char *reason);
/* The master, as the job tree's root (the arbiter), hands over to `to`. */
void el_election_appoint (el_peer_t *p, uint64_t now, const ovl_handle_t *to, const char *reason);
void el_election_over (el_peer_t *p);
void el_election_open (el_peer_t *p, uint64_t now, const char *reason);
/* What an election is about, as a MasterNomination or MasterElected says:
 * its cause, the master it replaces (if known) and how long ago the
 * failure began -- the old master's last heartbeat (0: no failure). */
typedef struct {
    const char *reason;   /* "" or NULL: "master lost" */
    int has_previous;     /* previous is set */
    ovl_id_t previous;    /* the master replaced */
    uint64_t detected_ms; /* ms before now */
} el_cause_t;
el_cause_t el_cause_get (const char *reason, ProtobufCBinaryData previous, uint32_t detected_ms);
void el_election_on_elected (el_peer_t *p, uint64_t now, el_term_t term, const ovl_handle_t *m,
                             const el_cause_t *cause, int direct);
void el_election_arbitrate (el_peer_t *p, uint64_t now, el_term_t term,
                            const ovl_handle_t *candidate, const el_cause_t *cause);
/* A master just handed out slices: the first time after its election,
 * the failure-to-takeover time is measured, reported and put in its
 * heartbeats. */
void el_election_note_assigned (el_peer_t *p, uint64_t now);
/* A heartbeat of the current term says how long its master took over. */
void el_election_on_took_over (el_peer_t *p, uint32_t took_over_ms);
void el_election_on_query (el_peer_t *p, uint64_t now, const P2pf__ElectionQuery *q,
                           const ovl_handle_t *from);
uint64_t el_election_retry_deadline_ms (const el_peer_t *p);
void el_election_retry_fire (el_peer_t *p, uint64_t now);
uint64_t el_election_suspect_deadline_ms (const el_peer_t *p);

#endif
