/* send.c: a peer's messages out -- each JobMsg kind built, encoded (job
 * id and version filled in) and handed to the driver's callback for its
 * destination: published to the job's or the network's group, sent to
 * one peer, or routed to the job's key. */
#include "peer_internal.h"

#include <stdlib.h>

/* Encode msg (job id and version filled in here) and hand it over. */
void
el_peer_emit (el_peer_t *p, P2pf__JobMsg *msg, el_dest_t dest, const ovl_handle_t *to)
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
    if (p->has_job)
        msg->job = (ProtobufCBinaryData){ 0 }; /* jid dies with this frame */
    if (!bytes)
        return; /* out of memory: the protocol retries what matters */
    switch (dest) {
    case EL_TO_PUBLISH:
        if (p->up.publish)
            p->up.publish (p->up.ctx, p->job.group, bytes, len);
        break;
    case EL_TO_NET:
        if (p->up.publish)
            p->up.publish (p->up.ctx, p->net, bytes, len);
        break;
    case EL_TO_PEER:
        if (p->up.send)
            p->up.send (p->up.ctx, to, bytes, len);
        break;
    case EL_TO_ROUTE_JOB:
        if (p->up.route)
            p->up.route (p->up.ctx, p->job.group, bytes, len);
        break;
    }
    free (bytes);
}

/* JobQuery (routed to the network group's root) or MasterQuery
 * (published to the job group). */
void
el_peer_send_query (el_peer_t *p, P2pf__JobMsg__KindCase kind)
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
        el_peer_emit (p, &msg, EL_TO_NET, NULL);
        return;
    }
    mq.attempt = p->master_queries++;
    el_peer_emit (p, &msg, EL_TO_PUBLISH, NULL);
}

/* The job's JobAnnounce (its spec). */
void
el_peer_send_announce (el_peer_t *p, el_dest_t dest, const ovl_handle_t *to)
{
    P2pf__JobMsg msg = P2PF__JOB_MSG__INIT;
    P2pf__JobAnnounce ann = P2PF__JOB_ANNOUNCE__INIT;
    P2pf__JobSpec spec;
    uint8_t ob[16];
    el_job_to_spec (&p->job, &spec, ob);
    ann.spec = &spec;
    msg.kind_case = P2PF__JOB_MSG__KIND_ANNOUNCE;
    msg.announce = &ann;
    el_peer_emit (p, &msg, dest, to);
}

void
el_peer_send_slices (el_peer_t *p, el_dest_t dest, const ovl_handle_t *to,
                     P2pf__JobMsg__KindCase kind, const uint32_t *slices, size_t n, uint32_t want)
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
    el_peer_emit (p, &msg, dest, to);
}
