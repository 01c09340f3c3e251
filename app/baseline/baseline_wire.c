/* baseline_wire.c: the baseline's codec -- decoding under a memory budget,
 * the checks of baseline_wire.h, encoding, and the pixels' byte order. */
#include "baseline_wire.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.pb-c.h"
#include "slice.h"
#include "wire.h"

/* A Result's bytes beyond its pixels: version, body, slice and time fields
 * and three length prefixes, with room to spare. */
#define S_RESULT_OVERHEAD_BYTES 64

const char *
app_baseline_wire_strerror (app_baseline_wire_error_t why)
{
    switch (why) {
    case APP_BASELINE_WIRE_OK:
        return "ok";
    case APP_BASELINE_WIRE_EEMPTY:
        return "empty message";
    case APP_BASELINE_WIRE_ETOOBIG:
        return "message over the size limit";
    case APP_BASELINE_WIRE_EMALFORMED:
        return "malformed or truncated encoding";
    case APP_BASELINE_WIRE_ENOMEM:
        return "out of memory";
    case APP_BASELINE_WIRE_EVERSION:
        return "unsupported protocol version";
    case APP_BASELINE_WIRE_ENOBODY:
        return "no message body";
    case APP_BASELINE_WIRE_EBADFIELD:
        return "field value out of range, or job parameters that do not validate";
    case APP_BASELINE_WIRE_ECAP:
        return "list over its cap, or over the memory budget";
    case APP_BASELINE_WIRE_ENOJOB:
        return "slice message before the job";
    case APP_BASELINE_WIRE_ESLICE:
        return "slice id out of range or repeated";
    case APP_BASELINE_WIRE_EPIXELS:
        return "pixel data not the slice's size";
    case APP_BASELINE_WIRE_NERRORS:
        break;
    }
    return "unknown baseline wire error";
}

void
app_baseline_geom_set (app_baseline_geom_t *geom, const rnd_view_t *view, int slices)
{
    geom->width_px = view->width_px;
    geom->height_px = view->height_px;
    geom->slices = slices;
}

rnd_rect_t
app_baseline_slice_rect (const app_baseline_geom_t *geom, int slice)
{
    return rnd_slice_rect (geom->width_px, geom->height_px, geom->slices, slice);
}

size_t
app_baseline_wire_max_bytes (const app_baseline_geom_t *geom)
{
    size_t max = APP_BASELINE_CTRL_MAX_BYTES;
    if (geom && geom->slices > 0) {
        size_t px = rnd_slice_px_max (geom->width_px, geom->height_px, geom->slices);
        size_t result = px * 4 + S_RESULT_OVERHEAD_BYTES;
        if (result > max)
            max = result;
    }
    return max;
}

/* --- checks -------------------------------------------------------------
 * Shared by both directions. geom NULL: skip what needs the job (encoding
 * does not know it); geom without a job: refuse slice messages. */

static int
s_name_ok (const char *name)
{
    size_t len = strnlen (name, APP_BASELINE_NAME_MAX);
    if (len == 0 || len >= APP_BASELINE_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] > 0x7e)
            return 0;
    return 1;
}

static app_baseline_wire_error_t
s_check_geom (const app_baseline_msg_t *m, const app_baseline_geom_t *geom)
{
    if (geom->slices <= 0)
        return APP_BASELINE_WIRE_ENOJOB;
    if (m->kind == APP_BASELINE_ASSIGN) {
        uint8_t seen[RND_SLICES_MAX / 8] = { 0 };
        for (int i = 0; i < m->n_ids; i++) {
            uint32_t id = m->ids[i];
            if (id >= (uint32_t)geom->slices || id >= RND_SLICES_MAX ||
                seen[id / 8] & (1u << id % 8))
                return APP_BASELINE_WIRE_ESLICE;
            seen[id / 8] |= (uint8_t)(1u << id % 8);
        }
        return APP_BASELINE_WIRE_OK;
    }
    /* RESULT */
    if (m->slice < 0 || m->slice >= geom->slices)
        return APP_BASELINE_WIRE_ESLICE;
    if (m->pixel_bytes != rnd_rect_px (app_baseline_slice_rect (geom, m->slice)) * 4)
        return APP_BASELINE_WIRE_EPIXELS;
    return APP_BASELINE_WIRE_OK;
}

static app_baseline_wire_error_t
s_check (const app_baseline_msg_t *m, const app_baseline_geom_t *geom)
{
    char err[256];
    switch (m->kind) {
    case APP_BASELINE_HELLO:
        if (m->threads < 1 || m->threads > APP_BASELINE_THREADS_MAX || !s_name_ok (m->name) ||
            m->timeout_ms < 1 || m->timeout_ms > APP_BASELINE_TIMEOUT_MAX_MS)
            return APP_BASELINE_WIRE_EBADFIELD;
        return APP_BASELINE_WIRE_OK;
    case APP_BASELINE_JOB: {
        if (rnd_view_validate (&m->view, err, sizeof err) != 0)
            return APP_BASELINE_WIRE_EBADFIELD;
        int max = rnd_slice_count (m->view.width_px, m->view.height_px, RND_SLICES_MAX);
        return m->slices >= 1 && m->slices <= max ? APP_BASELINE_WIRE_OK
                                                  : APP_BASELINE_WIRE_EBADFIELD;
    }
    case APP_BASELINE_REQUEST:
        return m->n >= 1 && m->n <= APP_BASELINE_AHEAD_MAX ? APP_BASELINE_WIRE_OK
                                                           : APP_BASELINE_WIRE_EBADFIELD;
    case APP_BASELINE_ASSIGN:
        if (m->n_ids < 0 || m->n_ids > APP_BASELINE_AHEAD_MAX)
            return APP_BASELINE_WIRE_ECAP;
        return geom ? s_check_geom (m, geom) : APP_BASELINE_WIRE_OK;
    case APP_BASELINE_RESULT:
        if (!(m->render_s >= 0 && isfinite (m->render_s)) || (m->pixel_bytes && !m->pixels))
            return APP_BASELINE_WIRE_EBADFIELD;
        return geom ? s_check_geom (m, geom) : APP_BASELINE_WIRE_OK;
    case APP_BASELINE_DONE:
    case APP_BASELINE_WAIT:
        return APP_BASELINE_WIRE_OK;
    }
    return APP_BASELINE_WIRE_ENOBODY;
}

/* --- decoding ----------------------------------------------------------- */

/* Copies the unpacked body into m (pointers for RESULT's pixels). Range
 * checks on the wire's unsigned values come before they are narrowed to
 * int; s_check does the rest. */
static app_baseline_wire_error_t
s_from_pb (const P2pf__Baseline__Msg *pb, app_baseline_msg_t *m)
{
    char err[256];
    switch (pb->body_case) {
    case P2PF__BASELINE__MSG__BODY_HELLO:
        m->kind = APP_BASELINE_HELLO;
        if (pb->hello->threads > APP_BASELINE_THREADS_MAX ||
            pb->hello->timeout_ms > APP_BASELINE_TIMEOUT_MAX_MS)
            return APP_BASELINE_WIRE_EBADFIELD;
        m->threads = (int)pb->hello->threads;
        m->timeout_ms = (int)pb->hello->timeout_ms;
        /* protobuf-c hands strings over NUL-terminated, so an embedded NUL
         * ends the name early; what is left is still checked. */
        if (!pb->hello->name ||
            strnlen (pb->hello->name, APP_BASELINE_NAME_MAX) >= APP_BASELINE_NAME_MAX)
            return APP_BASELINE_WIRE_EBADFIELD;
        strcpy (m->name, pb->hello->name);
        return APP_BASELINE_WIRE_OK;
    case P2PF__BASELINE__MSG__BODY_JOB: {
        m->kind = APP_BASELINE_JOB;
        ProtobufCBinaryData p = pb->job->params;
        if (p.len == 0 || p.len > RND_PARAMS_TEXT_MAX || pb->job->slices > RND_SLICES_MAX)
            return APP_BASELINE_WIRE_EBADFIELD;
        rnd_view_default (&m->view);
        if (rnd_params_parse ((const char *)p.data, p.len, "job", &m->view, err, sizeof err))
            return APP_BASELINE_WIRE_EBADFIELD;
        m->slices = (int)pb->job->slices;
        return APP_BASELINE_WIRE_OK;
    }
    case P2PF__BASELINE__MSG__BODY_REQUEST:
        m->kind = APP_BASELINE_REQUEST;
        if (pb->request->n > APP_BASELINE_AHEAD_MAX)
            return APP_BASELINE_WIRE_EBADFIELD;
        m->n = (int)pb->request->n;
        return APP_BASELINE_WIRE_OK;
    case P2PF__BASELINE__MSG__BODY_ASSIGN:
        m->kind = APP_BASELINE_ASSIGN;
        if (pb->assign->n_slices > APP_BASELINE_AHEAD_MAX)
            return APP_BASELINE_WIRE_ECAP;
        m->n_ids = (int)pb->assign->n_slices;
        if (m->n_ids)
            memcpy (m->ids, pb->assign->slices, (size_t)m->n_ids * sizeof m->ids[0]);
        return APP_BASELINE_WIRE_OK;
    case P2PF__BASELINE__MSG__BODY_RESULT:
        m->kind = APP_BASELINE_RESULT;
        if (pb->result->slice >= RND_SLICES_MAX)
            return APP_BASELINE_WIRE_ESLICE;
        m->slice = (int)pb->result->slice;
        m->pixels = pb->result->pixels.data;
        m->pixel_bytes = pb->result->pixels.len;
        m->render_s = pb->result->render_s;
        return APP_BASELINE_WIRE_OK;
    case P2PF__BASELINE__MSG__BODY_DONE:
        m->kind = APP_BASELINE_DONE;
        return APP_BASELINE_WIRE_OK;
    case P2PF__BASELINE__MSG__BODY_WAIT:
        m->kind = APP_BASELINE_WAIT;
        return APP_BASELINE_WIRE_OK;
    case P2PF__BASELINE__MSG__BODY__NOT_SET:
    default:
        return APP_BASELINE_WIRE_ENOBODY;
    }
}

int
app_baseline_wire_decode (const uint8_t *buf, size_t len, const app_baseline_geom_t *geom,
                          app_baseline_msg_t *msg, app_baseline_wire_error_t *why)
{
    static const app_baseline_geom_t no_job = { 0, 0, 0 };
    app_baseline_wire_error_t w = APP_BASELINE_WIRE_OK;
    P2pf__Baseline__Msg *pb = NULL;
    if (!geom)
        geom = &no_job;
    memset (msg, 0, sizeof *msg);
    if (len == 0 || !buf)
        w = APP_BASELINE_WIRE_EEMPTY;
    else if (len > app_baseline_wire_max_bytes (geom))
        w = APP_BASELINE_WIRE_ETOOBIG;
    else {
        /* The overlay's budgeted decoder (2 * len + 256 KiB of heap at
         * most): a message of many tiny fields cannot cost far more in
         * structs than it did on the wire. */
        ovl_wire_error_t ow;
        pb = (P2pf__Baseline__Msg *)ovl_wire_unpack (&p2pf__baseline__msg__descriptor, buf, len,
                                                     &ow);
        if (!pb)
            w = ow == OVL_WIRE_ECAP      ? APP_BASELINE_WIRE_ECAP
                : ow == OVL_WIRE_ENOMEM  ? APP_BASELINE_WIRE_ENOMEM
                : ow == OVL_WIRE_ETOOBIG ? APP_BASELINE_WIRE_ETOOBIG
                                         : APP_BASELINE_WIRE_EMALFORMED;
        else if (pb->version != APP_BASELINE_WIRE_VERSION)
            w = APP_BASELINE_WIRE_EVERSION;
        else if ((w = s_from_pb (pb, msg)) == APP_BASELINE_WIRE_OK)
            w = s_check (msg, geom);
    }
    if (w == APP_BASELINE_WIRE_OK && msg->kind == APP_BASELINE_RESULT) {
        msg->owned_ = pb; /* the pixels point into it */
    } else {
        /* The budget allocator's blocks come from malloc, so the default
         * allocator (free) releases them. */
        if (pb)
            p2pf__baseline__msg__free_unpacked (pb, NULL);
        if (w != APP_BASELINE_WIRE_OK)
            memset (msg, 0, sizeof *msg);
    }
    if (why)
        *why = w;
    return w == APP_BASELINE_WIRE_OK ? 0 : -1;
}

void
app_baseline_msg_release (app_baseline_msg_t *msg)
{
    if (!msg || !msg->owned_)
        return;
    p2pf__baseline__msg__free_unpacked (msg->owned_, NULL);
    msg->owned_ = NULL;
    msg->pixels = NULL;
    msg->pixel_bytes = 0;
}

/* --- encoding ----------------------------------------------------------- */

uint8_t *
app_baseline_wire_encode (const app_baseline_msg_t *m, size_t *len_out)
{
    if (s_check (m, NULL) != APP_BASELINE_WIRE_OK)
        return NULL;
    P2pf__Baseline__Msg pb = P2PF__BASELINE__MSG__INIT;
    P2pf__Baseline__Hello hello = P2PF__BASELINE__HELLO__INIT;
    P2pf__Baseline__Job job = P2PF__BASELINE__JOB__INIT;
    P2pf__Baseline__Request request = P2PF__BASELINE__REQUEST__INIT;
    P2pf__Baseline__Assign assign = P2PF__BASELINE__ASSIGN__INIT;
    P2pf__Baseline__Result result = P2PF__BASELINE__RESULT__INIT;
    P2pf__Baseline__Done done = P2PF__BASELINE__DONE__INIT;
    P2pf__Baseline__Wait wait = P2PF__BASELINE__WAIT__INIT;
    char params[RND_PARAMS_FORMAT_MAX];
    pb.version = APP_BASELINE_WIRE_VERSION;
    /* protobuf-c's fields are not const, but packing only reads them. */
    switch (m->kind) {
    case APP_BASELINE_HELLO:
        hello.threads = (uint32_t)m->threads;
        hello.name = (char *)m->name;
        hello.timeout_ms = (uint32_t)m->timeout_ms;
        pb.body_case = P2PF__BASELINE__MSG__BODY_HELLO;
        pb.hello = &hello;
        break;
    case APP_BASELINE_JOB: {
        int len = rnd_params_format (&m->view, params, sizeof params);
        if (len < 0)
            return NULL;
        job.params.data = (uint8_t *)params;
        job.params.len = (size_t)len;
        job.slices = (uint32_t)m->slices;
        pb.body_case = P2PF__BASELINE__MSG__BODY_JOB;
        pb.job = &job;
        break;
    }
    case APP_BASELINE_REQUEST:
        request.n = (uint32_t)m->n;
        pb.body_case = P2PF__BASELINE__MSG__BODY_REQUEST;
        pb.request = &request;
        break;
    case APP_BASELINE_ASSIGN:
        assign.n_slices = (size_t)m->n_ids;
        assign.slices = (uint32_t *)m->ids;
        pb.body_case = P2PF__BASELINE__MSG__BODY_ASSIGN;
        pb.assign = &assign;
        break;
    case APP_BASELINE_RESULT:
        result.slice = (uint32_t)m->slice;
        result.pixels.data = (uint8_t *)m->pixels;
        result.pixels.len = m->pixel_bytes;
        result.render_s = m->render_s;
        pb.body_case = P2PF__BASELINE__MSG__BODY_RESULT;
        pb.result = &result;
        break;
    case APP_BASELINE_DONE:
        pb.body_case = P2PF__BASELINE__MSG__BODY_DONE;
        pb.done = &done;
        break;
    case APP_BASELINE_WAIT:
        pb.body_case = P2PF__BASELINE__MSG__BODY_WAIT;
        pb.wait = &wait;
        break;
    }
    size_t size = p2pf__baseline__msg__get_packed_size (&pb);
    uint8_t *buf = malloc (size);
    if (!buf)
        return NULL;
    *len_out = p2pf__baseline__msg__pack (&pb, buf);
    return buf;
}

/* --- pixels -------------------------------------------------------------
 * Written out byte by byte so the wire is little-endian on any host; on
 * x86-64 gcc turns each loop into plain 32-bit moves. */

void
app_baseline_pixels_to_le (const float *px, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy (&u, &px[i], sizeof u);
        out[4 * i] = (uint8_t)u;
        out[4 * i + 1] = (uint8_t)(u >> 8);
        out[4 * i + 2] = (uint8_t)(u >> 16);
        out[4 * i + 3] = (uint8_t)(u >> 24);
    }
}

void
app_baseline_pixels_from_le (const uint8_t *in, size_t n, float *px)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)in[4 * i] | (uint32_t)in[4 * i + 1] << 8 |
                     (uint32_t)in[4 * i + 2] << 16 | (uint32_t)in[4 * i + 3] << 24;
        memcpy (&px[i], &u, sizeof u);
    }
}
