/* tu_jobmsg.c: valid job-protocol messages for tests (see tu_jobmsg.h). */
#include "tu_jobmsg.h"

#include <string.h>

#include "kernel.h"

const P2pf__JobMsg__KindCase tu_jobmsg_kinds[TU_JOBMSG_KINDS] = {
    P2PF__JOB_MSG__KIND_ANNOUNCE,       P2PF__JOB_MSG__KIND_JOB_QUERY,
    P2PF__JOB_MSG__KIND_MASTER_QUERY,   P2PF__JOB_MSG__KIND_MASTER_RESPONSE,
    P2PF__JOB_MSG__KIND_WORK_REQUEST,   P2PF__JOB_MSG__KIND_WORK_ASSIGN,
    P2PF__JOB_MSG__KIND_WORK_RETURN,    P2PF__JOB_MSG__KIND_SLICE_DATA,
    P2PF__JOB_MSG__KIND_SLICE_REQUEST,  P2PF__JOB_MSG__KIND_HEARTBEAT,
    P2PF__JOB_MSG__KIND_ELECTION_QUERY, P2PF__JOB_MSG__KIND_NOMINATION,
    P2PF__JOB_MSG__KIND_ELECTED,
};

int
tu_jobmsg_build (tu_jobmsg_t *b, P2pf__JobMsg *m, P2pf__JobMsg__KindCase k, const el_job_t *job,
                 const ovl_handle_t *who)
{
    if (job->slices < 2 || el_job_slice_px (job, 1) > TU_JOBMSG_PX_MAX)
        return -1;
    b->job = *job;
    b->who = *who;
    ovl_id_to_bytes (job->id, b->id);
    ovl_id_to_bytes (who->id, b->by);
    p2pf__node_handle__init (&b->handle);
    ovl_wire_handle_set (&b->handle, b->hid, &b->who);
    el_job_to_spec (&b->job, &b->spec, b->origin);
    memset (b->done, 0, sizeof b->done);
    el_bit_set (b->done, 0);
    if (job->slices > 2)
        el_bit_set (b->done, 2);
    /* A deep job's pixels come from its reference orbit, whose hash its
     * slices carry. */
    rnd_kjob_t kj;
    char err[160];
    if (rnd_kjob_prepare (&kj, &b->job.view, 0, err, sizeof err) != 0)
        return -1;
    b->has_ref = rnd_kjob_ref_hash (&kj, b->ref);
    b->n_px = el_job_slice_px (&b->job, 1);
    rnd_kernel_run_rect (RND_KERNEL_SCALAR, &kj, el_job_slice_rect (&b->job, 1), b->px);
    rnd_kjob_release (&kj);
    b->list[0] = 0;
    b->list[1] = job->slices - 1;
    b->list[2] = job->slices / 2;

    p2pf__job_msg__init (m);
    m->version = EL_MSG_VERSION;
    m->job.data = b->id;
    m->job.len = 16;
    m->kind_case = k;
    switch (k) {
    case P2PF__JOB_MSG__KIND_ANNOUNCE:
        p2pf__job_announce__init (&b->announce);
        b->announce.spec = &b->spec;
        m->announce = &b->announce;
        return 0;
    case P2PF__JOB_MSG__KIND_JOB_QUERY:
        p2pf__job_query__init (&b->job_query);
        m->job_query = &b->job_query;
        m->job.data = NULL;
        m->job.len = 0;
        return 0;
    case P2PF__JOB_MSG__KIND_MASTER_QUERY:
        p2pf__master_query__init (&b->master_query);
        m->master_query = &b->master_query;
        return 0;
    case P2PF__JOB_MSG__KIND_MASTER_RESPONSE:
        p2pf__master_response__init (&b->master_response);
        b->master_response.spec = &b->spec;
        b->master_response.term = 3;
        b->master_response.master = &b->handle;
        b->master_response.done.data = b->done;
        b->master_response.done.len = el_job_bitmap_bytes (job);
        b->master_response.queue_head = job->slices - 1;
        m->master_response = &b->master_response;
        return 0;
    case P2PF__JOB_MSG__KIND_WORK_REQUEST:
        p2pf__work_request__init (&b->work_request);
        b->work_request.n = 2;
        b->work_request.n_have = 1;
        b->work_request.have = b->list;
        m->work_request = &b->work_request;
        return 0;
    case P2PF__JOB_MSG__KIND_WORK_ASSIGN:
        p2pf__work_assign__init (&b->work_assign);
        b->work_assign.term = 3;
        b->work_assign.n_slices = 3;
        b->work_assign.slices = b->list;
        m->work_assign = &b->work_assign;
        return 0;
    case P2PF__JOB_MSG__KIND_WORK_RETURN:
        p2pf__work_return__init (&b->work_return);
        b->work_return.n_slices = 2;
        b->work_return.slices = b->list;
        m->work_return = &b->work_return;
        return 0;
    case P2PF__JOB_MSG__KIND_SLICE_DATA:
        p2pf__slice_data__init (&b->slice_data);
        b->slice_data.slice = 1;
        b->slice_data.computed_by.data = b->by;
        b->slice_data.computed_by.len = 16;
        b->slice_data.pixels.data = (uint8_t *)b->px;
        b->slice_data.pixels.len = b->n_px * sizeof (float);
        if (b->has_ref) {
            b->slice_data.ref_hash.data = b->ref;
            b->slice_data.ref_hash.len = sizeof b->ref;
        }
        m->slice_data = &b->slice_data;
        return 0;
    case P2PF__JOB_MSG__KIND_SLICE_REQUEST:
        p2pf__slice_request__init (&b->slice_request);
        b->slice_request.n_slices = 3;
        b->slice_request.slices = b->list;
        m->slice_request = &b->slice_request;
        return 0;
    case P2PF__JOB_MSG__KIND_HEARTBEAT:
        p2pf__master_heartbeat__init (&b->heartbeat);
        b->heartbeat.term = 3;
        b->heartbeat.done.data = b->done;
        b->heartbeat.done.len = el_job_bitmap_bytes (job);
        b->heartbeat.queue_head = job->slices / 2;
        b->heartbeat.took_over_ms = 264;
        m->heartbeat = &b->heartbeat;
        return 0;
    case P2PF__JOB_MSG__KIND_ELECTION_QUERY:
        p2pf__election_query__init (&b->election_query);
        b->election_query.term = 3;
        b->election_query.reason = "master lost";
        m->election_query = &b->election_query;
        return 0;
    case P2PF__JOB_MSG__KIND_NOMINATION:
        p2pf__master_nomination__init (&b->nomination);
        b->nomination.term = 3;
        b->nomination.candidate = &b->handle;
        b->nomination.reason = "handover: master was root";
        b->nomination.previous.data = b->by;
        b->nomination.previous.len = 16;
        b->nomination.detected_ms = 300;
        m->nomination = &b->nomination;
        return 0;
    case P2PF__JOB_MSG__KIND_ELECTED:
        p2pf__master_elected__init (&b->elected);
        b->elected.term = 4;
        b->elected.master = &b->handle;
        b->elected.reason = "master lost";
        b->elected.previous.data = b->by;
        b->elected.previous.len = 16;
        b->elected.detected_ms = 310;
        m->elected = &b->elected;
        return 0;
    default:
        return -1;
    }
}
