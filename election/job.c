/* job.c: jobs, and the job protocol's codec (see job.h). */
#include "job.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "slice.h"

static void
s_err (char *err, size_t err_size, const char *what)
{
    if (err && err_size)
        snprintf (err, err_size, "%s", what);
}

/* Id and group from the canonical text and K. */
static void
s_job_ids (el_job_t *job)
{
    char head[64];
    int n = snprintf (head, sizeof head, "p2pfractal-job 2\nslices %u\n", job->slices);
    crypto_generichash_state st;
    uint8_t digest[16];
    crypto_generichash_init (&st, NULL, 0, sizeof digest);
    crypto_generichash_update (&st, (const unsigned char *)head, (unsigned long long)n);
    crypto_generichash_update (&st, (const unsigned char *)job->params,
                               (unsigned long long)strlen (job->params));
    crypto_generichash_final (&st, digest, sizeof digest);
    job->id = ovl_id_from_bytes (digest);
    char name[8 + OVL_ID_HEX_LEN];
    memcpy (name, "job/", 4);
    ovl_id_hex (job->id, name + 4);
    job->group = ovl_id_from_name (name, strlen (name));
}

int
el_job_init (el_job_t *job, const rnd_view_t *view, int slices, uint64_t stamp, char *err,
             size_t err_size)
{
    memset (job, 0, sizeof *job);
    /* Deep views too: every peer renders them by perturbation around a
     * reference orbit it computes itself (app/peer/peer_render.c). */
    rnd_view_field_t bad;
    if (rnd_view_validate_deep (view, &bad, err, err_size))
        return -1;
    if (slices < 0 || slices > RND_SLICES_MAX) {
        if (err && err_size)
            snprintf (err, err_size, "slices: %d is not in 1..%d", slices, RND_SLICES_MAX);
        return -1;
    }
    job->view = *view;
    job->slices = (uint32_t)rnd_slice_count (view->width_px, view->height_px, slices);
    job->stamp = stamp;
    /* The largest tile must travel in one message, K x K values a pixel. */
    size_t px_max = rnd_slice_px_max (view->width_px, view->height_px, (int)job->slices) *
                    (size_t)view->samples * (size_t)view->samples;
    if (px_max * sizeof (float) > OVL_WIRE_PAYLOAD_MAX - 1024) {
        s_err (err, err_size, "slices: too few for this image (a slice must fit in 16 MiB)");
        return -1;
    }
    if (rnd_params_format (view, job->params, sizeof job->params) < 0) {
        s_err (err, err_size, "the view cannot be written as parameter text");
        return -1;
    }
    s_job_ids (job);
    return 0;
}

int
el_job_from_spec (el_job_t *job, const P2pf__JobSpec *spec, char *err, size_t err_size)
{
    if (!spec || !spec->params) {
        s_err (err, err_size, "job spec without parameters");
        return -1;
    }
    size_t len = strnlen (spec->params, RND_PARAMS_FORMAT_MAX);
    if (len >= RND_PARAMS_FORMAT_MAX) {
        s_err (err, err_size, "job parameters too long");
        return -1;
    }
    rnd_view_t view;
    rnd_view_default (&view);
    if (rnd_params_parse (spec->params, len, "job spec", &view, err, err_size))
        return -1;
    if (spec->slices == 0 || spec->slices > RND_SLICES_MAX ||
        (long long)spec->slices > (long long)view.width_px * view.height_px) {
        s_err (err, err_size, "job spec: slice count out of range");
        return -1;
    }
    if (spec->origin.len != 0 && (spec->origin.len != 16 || !spec->origin.data)) {
        s_err (err, err_size, "job spec: origin is not a node id");
        return -1;
    }
    if (el_job_init (job, &view, (int)spec->slices, spec->stamp, err, err_size))
        return -1;
    if (spec->origin.len == 16) {
        job->has_origin = 1;
        job->origin = ovl_id_from_bytes (spec->origin.data);
    }
    /* Only canonical text names a job: anything else would give the same
     * image two ids (or two images one, with a lenient parser). */
    if (strcmp (job->params, spec->params) != 0 || job->slices != spec->slices) {
        s_err (err, err_size, "job spec: parameters are not in canonical form");
        return -1;
    }
    return 0;
}

void
el_job_to_spec (const el_job_t *job, P2pf__JobSpec *spec, uint8_t origin_buf[16])
{
    p2pf__job_spec__init (spec);
    spec->params = (char *)job->params;
    spec->slices = job->slices;
    spec->stamp = job->stamp;
    if (job->has_origin) {
        ovl_id_to_bytes (job->origin, origin_buf);
        spec->origin.data = origin_buf;
        spec->origin.len = 16;
    }
}

int
el_job_newer (const el_job_t *a, const el_job_t *b)
{
    if (a->stamp != b->stamp)
        return a->stamp > b->stamp;
    return ovl_id_cmp (a->id, b->id) > 0;
}

rnd_rect_t
el_job_slice_rect (const el_job_t *job, uint32_t slice)
{
    rnd_rect_t r =
        rnd_slice_rect (job->view.width_px, job->view.height_px, (int)job->slices, (int)slice);
    int k = job->view.samples;
    return (rnd_rect_t){ r.x0 * k, r.y0 * k, r.x1 * k, r.y1 * k };
}

size_t
el_job_values (const el_job_t *job)
{
    return (size_t)rnd_view_grid_w (&job->view) * (size_t)rnd_view_grid_h (&job->view);
}

size_t
el_job_slice_px (const el_job_t *job, uint32_t slice)
{
    return rnd_rect_px (el_job_slice_rect (job, slice));
}

size_t
el_job_bitmap_bytes (const el_job_t *job)
{
    return (job->slices + 7) / 8;
}

/* --- codec --------------------------------------------------------------- */

const char *
el_msg_strerror (el_msg_error_t why)
{
    switch (why) {
    case EL_MSG_OK:
        return "ok";
    case EL_MSG_EDECODE:
        return "not a job message";
    case EL_MSG_EVERSION:
        return "unsupported job protocol version";
    case EL_MSG_EBADFIELD:
        return "bad or missing field";
    case EL_MSG_EJOB:
        return "inconsistent with its job";
    case EL_MSG_NERRORS:
        break;
    }
    return "unknown job message error";
}

static int
s_reason_ok (const char *r)
{
    if (!r)
        return 0;
    size_t len = strnlen (r, EL_REASON_MAX + 1);
    if (len > EL_REASON_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)r[i] < 0x20 || (unsigned char)r[i] > 0x7e)
            return 0;
    return 1;
}

/* A term's elector: an id, or nothing (term 0). */
static int
s_elector_ok (ProtobufCBinaryData e)
{
    return e.len == 0 || (e.len == 16 && e.data);
}

/* What a message says on its own. */
static el_msg_error_t
s_check (const P2pf__JobMsg *m)
{
    if (m->version != EL_MSG_VERSION)
        return EL_MSG_EVERSION;
    if (m->kind_case != P2PF__JOB_MSG__KIND_JOB_QUERY && (m->job.len != 16 || !m->job.data))
        return EL_MSG_EBADFIELD;
    switch (m->kind_case) {
    case P2PF__JOB_MSG__KIND_ANNOUNCE:
        return m->announce->spec && m->announce->spec->params ? EL_MSG_OK : EL_MSG_EBADFIELD;
    case P2PF__JOB_MSG__KIND_JOB_QUERY:
    case P2PF__JOB_MSG__KIND_MASTER_QUERY:
        return EL_MSG_OK;
    case P2PF__JOB_MSG__KIND_MASTER_RESPONSE: {
        const P2pf__MasterResponse *r = m->master_response;
        if (!r->spec || !r->spec->params || !s_elector_ok (r->elector) ||
            (r->master && ovl_wire_check_handle (r->master) != OVL_WIRE_OK) ||
            r->n_holders > EL_MSG_HOLDERS_MAX)
            return EL_MSG_EBADFIELD;
        for (size_t i = 0; i < r->n_holders; i++)
            if (ovl_wire_check_handle (r->holders[i]) != OVL_WIRE_OK)
                return EL_MSG_EBADFIELD;
        return EL_MSG_OK;
    }
    case P2PF__JOB_MSG__KIND_WORK_REQUEST:
        return m->work_request->n >= 1 && m->work_request->n <= EL_MSG_SLICES_MAX &&
                       m->work_request->n_have <= EL_MSG_SLICES_MAX
                   ? EL_MSG_OK
                   : EL_MSG_EBADFIELD;
    case P2PF__JOB_MSG__KIND_WORK_ASSIGN:
        return m->work_assign->n_slices <= EL_MSG_SLICES_MAX ? EL_MSG_OK : EL_MSG_EBADFIELD;
    case P2PF__JOB_MSG__KIND_WORK_RETURN:
        return m->work_return->n_slices <= EL_MSG_SLICES_MAX ? EL_MSG_OK : EL_MSG_EBADFIELD;
    case P2PF__JOB_MSG__KIND_SLICE_DATA:
        return m->slice_data->computed_by.len == 16 &&
                       (m->slice_data->ref_hash.len == 0 ||
                        (m->slice_data->ref_hash.len == RND_REF_HASH_BYTES &&
                         m->slice_data->ref_hash.data))
                   ? EL_MSG_OK
                   : EL_MSG_EBADFIELD;
    case P2PF__JOB_MSG__KIND_SLICE_REQUEST:
        return m->slice_request->n_slices >= 1 && m->slice_request->n_slices <= EL_MSG_SLICES_MAX
                   ? EL_MSG_OK
                   : EL_MSG_EBADFIELD;
    case P2PF__JOB_MSG__KIND_HEARTBEAT:
        return s_elector_ok (m->heartbeat->elector) ? EL_MSG_OK : EL_MSG_EBADFIELD;
    case P2PF__JOB_MSG__KIND_ELECTION_QUERY:
        return s_reason_ok (m->election_query->reason) && s_elector_ok (m->election_query->elector)
                   ? EL_MSG_OK
                   : EL_MSG_EBADFIELD;
    case P2PF__JOB_MSG__KIND_NOMINATION:
        return ovl_wire_check_handle (m->nomination->candidate) == OVL_WIRE_OK &&
                       s_elector_ok (m->nomination->elector) &&
                       s_reason_ok (m->nomination->reason) && s_elector_ok (m->nomination->previous)
                   ? EL_MSG_OK
                   : EL_MSG_EBADFIELD;
    case P2PF__JOB_MSG__KIND_ELECTED:
        return ovl_wire_check_handle (m->elected->master) == OVL_WIRE_OK &&
                       s_reason_ok (m->elected->reason) && s_elector_ok (m->elected->elector) &&
                       s_elector_ok (m->elected->previous)
                   ? EL_MSG_OK
                   : EL_MSG_EBADFIELD;
    default:
        return EL_MSG_EBADFIELD;
    }
}

P2pf__JobMsg *
el_msg_decode (const uint8_t *buf, size_t len, el_msg_error_t *why)
{
    ovl_wire_error_t w;
    P2pf__JobMsg *m = (P2pf__JobMsg *)ovl_wire_unpack (&p2pf__job_msg__descriptor, buf, len, &w);
    el_msg_error_t e = m ? s_check (m) : EL_MSG_EDECODE;
    if (e != EL_MSG_OK)
        el_msg_free (&m);
    if (why)
        *why = e;
    return m;
}

void
el_msg_free (P2pf__JobMsg **msg_p)
{
    if (!msg_p || !*msg_p)
        return;
    protobuf_c_message_free_unpacked (&(*msg_p)->base, NULL);
    *msg_p = NULL;
}

static int
s_slices_ok (size_t n, const uint32_t *list, const el_job_t *job)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] >= job->slices)
            return 0;
    return 1;
}

/* Every value a kernel can yield: interior, or n <= s < n + 1 for an
 * escape at iteration n in 1..max_iter. Anything else (NaN, garbage) is a
 * forgery or corruption. */
static int
s_pixels_ok (const el_job_t *job, uint32_t slice, ProtobufCBinaryData px)
{
    size_t n = el_job_slice_px (job, slice);
    if (px.len != n * sizeof (float) || (n && !px.data))
        return 0;
    double top = (double)job->view.max_iter + 1.0;
    for (size_t i = 0; i < n; i++) {
        float s;
        memcpy (&s, px.data + i * sizeof s, sizeof s);
        if (s != RND_INTERIOR && !(s >= 1.0f && (double)s < top))
            return 0;
    }
    return 1;
}

el_msg_error_t
el_msg_check_job (const P2pf__JobMsg *m, const el_job_t *job)
{
    size_t bits = el_job_bitmap_bytes (job);
    int ok = 1;
    switch (m->kind_case) {
    case P2PF__JOB_MSG__KIND_MASTER_RESPONSE:
        ok = m->master_response->done.len == bits && m->master_response->queue_head < job->slices;
        break;
    case P2PF__JOB_MSG__KIND_WORK_REQUEST:
        ok = s_slices_ok (m->work_request->n_have, m->work_request->have, job);
        break;
    case P2PF__JOB_MSG__KIND_WORK_ASSIGN:
        ok = s_slices_ok (m->work_assign->n_slices, m->work_assign->slices, job);
        break;
    case P2PF__JOB_MSG__KIND_WORK_RETURN:
        ok = s_slices_ok (m->work_return->n_slices, m->work_return->slices, job);
        break;
    case P2PF__JOB_MSG__KIND_SLICE_REQUEST:
        ok = s_slices_ok (m->slice_request->n_slices, m->slice_request->slices, job);
        break;
    case P2PF__JOB_MSG__KIND_SLICE_DATA:
        ok = m->slice_data->slice < job->slices &&
             s_pixels_ok (job, m->slice_data->slice, m->slice_data->pixels);
        break;
    case P2PF__JOB_MSG__KIND_HEARTBEAT:
        ok = m->heartbeat->done.len == bits && m->heartbeat->queue_head < job->slices;
        break;
    default:
        break;
    }
    return ok ? EL_MSG_OK : EL_MSG_EJOB;
}

uint8_t *
el_msg_encode (const P2pf__JobMsg *msg, size_t *len)
{
    size_t size = protobuf_c_message_get_packed_size (&msg->base);
    if (size > OVL_WIRE_PAYLOAD_MAX)
        return NULL;
    uint8_t *buf = malloc (size ? size : 1);
    if (!buf)
        return NULL;
    *len = protobuf_c_message_pack (&msg->base, buf);
    return buf;
}
