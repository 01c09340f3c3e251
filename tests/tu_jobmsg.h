/* tu_jobmsg.h: one valid job-protocol message (JobMsg) of any kind for a
 * given job, built over buffers the caller owns -- to be encoded as it is,
 * or spoiled field by field first. Shared by test_jobmsg, test_badinput
 * and the fuzz seed generator (so nothing here uses cmocka). */
#ifndef TU_JOBMSG_H
#define TU_JOBMSG_H

#include "handle.h"
#include "job.h"
#include "kernel.h"
#include "slice.h"

/* Most pixels of the slice a SliceData carries (slice 1 of the job). */
#define TU_JOBMSG_PX_MAX 8192

/* The message and everything it points into. */
typedef struct {
    el_job_t job;                     /* the job (a copy) */
    ovl_handle_t who;                 /* the handle messages name (a copy) */
    uint8_t id[16];                   /* the job's id, as bytes */
    uint8_t by[16];                   /* who's id: SliceData.computed_by */
    uint8_t origin[16];               /* the spec's origin, if the job has one */
    uint8_t hid[16];                  /* who's id, for the handle */
    uint8_t done[RND_SLICES_MAX / 8]; /* done bitmap: slices 0 and 2 */
    float px[TU_JOBMSG_PX_MAX];       /* slice 1, as the kernel renders it */
    size_t n_px;                      /* its pixel count */
    int has_ref;                      /* a deep job: ref is its orbit's hash */
    uint8_t ref[RND_REF_HASH_BYTES];  /* SliceData.ref_hash */
    uint32_t list[3];                 /* slices 0, K - 1, K / 2 */
    P2pf__JobSpec spec;               /* the job's spec */
    P2pf__NodeHandle handle;          /* who */
    P2pf__JobAnnounce announce;       /* the bodies, one per kind */
    P2pf__JobQuery job_query;
    P2pf__MasterQuery master_query;
    P2pf__MasterResponse master_response;
    P2pf__WorkRequest work_request;
    P2pf__WorkAssign work_assign;
    P2pf__WorkReturn work_return;
    P2pf__SliceData slice_data;
    P2pf__SliceRequest slice_request;
    P2pf__MasterHeartbeat heartbeat;
    P2pf__ElectionQuery election_query;
    P2pf__MasterNomination nomination;
    P2pf__MasterElected elected;
} tu_jobmsg_t;

/* Kinds in JobMsg's oneof, in field order. */
#define TU_JOBMSG_KINDS 13
extern const P2pf__JobMsg__KindCase tu_jobmsg_kinds[TU_JOBMSG_KINDS];

/* Fills *m with a valid message of kind k about job (which needs at least
 * 2 slices, slice 1 of at most TU_JOBMSG_PX_MAX pixels), naming who where
 * a kind names a node (candidate, master, computed_by). Terms are 3 (4 for
 * MasterElected), with no elector; queue heads K - 1 (response) and K / 2
 * (heartbeat). A deep job's SliceData carries its reference orbit's hash.
 * m points into b until b is rebuilt. 0, or -1 if the job does not fit or
 * k is not a kind. */
int tu_jobmsg_build (tu_jobmsg_t *b, P2pf__JobMsg *m, P2pf__JobMsg__KindCase k, const el_job_t *job,
                     const ovl_handle_t *who);

#endif
