/* world.h: inside the job simulator -- one simulated network of stacks
 * (world.c), its diagnostics (diagnose.c) and the scenarios that drive it
 * (scenarios.c). Private to app/sim/. */
#ifndef APP_SIM_WORLD_H
#define APP_SIM_WORLD_H

#include <stdint.h>
#include <stdio.h>

#include "jobsim.h"
#include "rng.h"
#include "simnet.h"
#include "stack.h"

/* Invariants are checked this often (virtual ms). */
#define JS_STEP_MS 10
/* Renders one peer may hold: far above any render_slots + ahead used here,
 * so an excess is seen and reported, not overflowed. */
#define JS_QUEUE_MAX 64
/* Checks one peer's core may await (its check_pending_max), and checks the
 * harness may hold: more, since the core forgets a check whose slice came
 * meanwhile while the driver still computes it. */
#define JS_CHECKS_PENDING 16
#define JS_CHECKS_MAX 64
/* Senders whose slices a peer counts (scenario catch-up): nodes below
 * this index. */
#define JS_FROM_MAX 64
/* Terms remembered for the one-master-per-term check. */
#define JS_TERMS_MAX 256

typedef struct js_world_t js_world_t;

/* One render the core asked for: queued until a slot is free, then
 * running until done_ms. */
typedef struct {
    ovl_id_t job;     /* the job it was asked for */
    uint32_t slice;   /* which slice */
    float *px;        /* its pixels, computed when asked (owned) */
    size_t n;         /* their count */
    uint64_t done_ms; /* UINT64_MAX while queued */
} js_render_t;

/* One spot check the core asked for, answered at done_ms. */
typedef struct {
    uint64_t token;   /* the core's */
    float *values;    /* computed when asked (owned) */
    size_t n;         /* their count */
    uint64_t done_ms; /* when the answer goes in */
} js_check_t;

typedef struct {
    js_world_t *w;                  /* back pointer (callback context) */
    int index;                      /* simulated node */
    el_stack_t *stack;              /* the product's wiring */
    ovl_upcalls_t net;              /* the simulated transport (send) */
    int dead;                       /* killed */
    uint32_t cost_x;                /* render cost multiplier (slow peers) */
    js_render_t q[JS_QUEUE_MAX];    /* FIFO of renders held */
    int n_q;                        /* in use */
    js_check_t ck[JS_CHECKS_MAX];   /* checks asked, not answered yet */
    int n_ck;                       /* in use */
    uint64_t electing_since_ms;     /* UINT64_MAX if not electing */
    uint32_t got_from[JS_FROM_MAX]; /* slices sent to it directly (pulls), per
                                       sender node (w->count_pulls only) */
} js_peer_t;

/* A scenario's shape. */
typedef struct {
    const char *name;    /* for messages and the replay command */
    int peers;           /* nodes at the start */
    int slices;          /* K (the image is K rows of 24 px) */
    double loss;         /* message loss once the ring is built */
    uint32_t lat_min_ms; /* one-way latency, uniform in [min, max] */
    uint32_t lat_max_ms; /* (the el and overlay timers scale with max) */
    int slow_pct;        /* peers rendering 5x slower, percent */
    uint32_t slots;      /* el render_slots */
    uint32_t ahead;      /* el ahead */
    uint64_t bound_ms;   /* the job must be done everywhere this long after it starts */
} js_params_t;

struct js_world_t {
    js_params_t prm;        /* the scenario */
    uint64_t seed;          /* this run's */
    FILE *out, *trace;      /* as in app_jobsim_opts_t */
    ovl_simnet_t *sim;      /* the network */
    ovl_rng_t rng;          /* render costs, victims, joiners */
    el_stack_config_t cfg;  /* every stack's */
    js_peer_t **peers;      /* per node, heap (callback contexts must not move) */
    int n_peers, cap_peers; /* nodes ever added; allocated */
    rnd_view_t view;        /* the job's view */
    float *ref;             /* its single-process render */
    int has_job;            /* the job below is started */
    el_job_t job;           /* as its first master made it */
    uint64_t job_ms;        /* when it started */
    struct {
        ovl_id_t job;            /* terms are per job */
        uint64_t term;           /* a term's counter */
        ovl_id_t elector;        /* and elector: together, the term */
        ovl_id_t master;         /* its master */
        int master_node;         /* which is this node */
        int node;                /* the first peer told of it */
        int handoff;             /* a planned hand-over, not a response to a fault */
        int start;               /* the job's first, its starter's: no election */
        uint64_t t_ms;           /* when */
    } terms[JS_TERMS_MAX];       /* MASTER_ELECTED seen */
    int n_terms;                 /* in use */
    uint64_t kill_ms;            /* last master kill (UINT64_MAX: none) */
    uint64_t reassign_ms;        /* first assignment after it (UINT64_MAX: none yet) */
    uint64_t elected_after_kill; /* term of the first MASTER_ELECTED after it */
    int elected_node;            /* its master's node */
    uint64_t events_hash;        /* FNV-1a of every job event */
    uint64_t events;             /* their count */
    double target;               /* js_reached's threshold */
    int count_pulls;             /* peers added from now on count the slices
                                    sent to them directly, by sender */
    char fail[768];              /* the first check that broke, "" while none */
};

/* world.c */
js_world_t *js_world_new (const js_params_t *prm, uint64_t seed, const app_jobsim_opts_t *opts);
void js_world_destroy (js_world_t **w_p);
void js_fail (js_world_t *w, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
int js_add (js_world_t *w, int via);
int js_add_late (js_world_t *w);
void js_kill (js_world_t *w, int i);
js_peer_t *js_live_peer (js_world_t *w, int node);
int js_pick_live (js_world_t *w);
void js_start_job (js_world_t *w);
/* A new job started at peer z (a zoom): 0, or -1 with w->fail set. */
int js_new_job_at (js_world_t *w, int z, const rnd_view_t *view, uint64_t stamp, el_job_t *out);
void js_set_reference (js_world_t *w, const el_job_t *job);
int js_run (js_world_t *w, uint64_t dt);
int js_run_until (js_world_t *w, int (*pred) (js_world_t *w), uint64_t limit_ms);
/* Run until the best peer holds this share of the job; js_fail if it
 * never does within limit_ms (the fault that follows would not happen). */
int js_run_to_progress (js_world_t *w, double share, uint64_t limit_ms);
int js_all_done (js_world_t *w);
int js_someone_electing (js_world_t *w);
int js_new_master_elected (js_world_t *w);
int js_job_root (js_world_t *w);
int js_master (js_world_t *w);
void js_kill_as_master (js_world_t *w, int m);
/* Kill the live master: 0, or -1 (js_fail) if there is none. */
int js_kill_master (js_world_t *w);
int js_pick_worker (js_world_t *w);
el_status_t js_status (js_world_t *w, int node);
/* The end: run to completion, check everything, fill res, destroy w.
 * 0, or 1 if a check broke. */
int js_finish (js_world_t **w_p, app_jobsim_result_t *res);

/* Where the job stands. */
typedef struct {
    int live;          /* live peers */
    int complete;      /* of them, holding every slice of the job */
    int masters;       /* calling themselves master */
    int electing;      /* electing */
    uint32_t max_done; /* most slices any live peer holds */
    int master;        /* a live master of the highest term, -1 if none */
    uint64_t term;     /* the highest term a live peer knows */
} js_census_t;
void js_census (js_world_t *w, js_census_t *c);

/* diagnose.c: for a failing seed. */
void js_trace_msg (js_world_t *w, int node, const char *how, const ovl_handle_t *from,
                   const uint8_t *payload, size_t len);
void js_print_tree_path (js_world_t *w, int i);
void js_print_stuck (js_world_t *w);
int js_node_of (const ovl_handle_t *h);

#endif
