/* wire.c: decoding with a memory budget, validation of everything the cores
 * rely on, encoding, and the small helpers that fill messages from ids and
 * handles. See wire.h for the guarantees. */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

/* Decoding heap budget: payloads are copied once (len), everything else is
 * bounded by the caps (a maximal AnycastWalk needs ~100 KiB of structs and
 * protobuf-c's scan tables); the second len leaves room for unknown fields
 * and malloc's own overhead. */
#define S_BUDGET_SLACK_BYTES (256 * 1024)
/* What malloc really spends per block beyond the bytes asked for. */
#define S_MALLOC_OVERHEAD_BYTES 16

/* A ProtobufCAllocator's state for one decode. */
typedef struct {
    size_t left_bytes; /* budget still available */
    int over_budget;   /* a request was refused for the budget */
    int out_of_memory; /* malloc itself failed */
} s_budget_t;

static void *
s_budget_alloc (void *data, size_t size)
{
    s_budget_t *budget = data;
    size_t cost = size + S_MALLOC_OVERHEAD_BYTES;
    if (cost < size || cost > budget->left_bytes) {
        budget->over_budget = 1;
        return NULL;
    }
    void *p = malloc (size);
    if (!p) {
        budget->out_of_memory = 1;
        return NULL;
    }
    /* Frees are not credited back: the budget bounds what one decode may
     * ever ask for, which also bounds the churn of fields repeated on the
     * wire (protobuf-c frees and reallocates each repetition). */
    budget->left_bytes -= cost;
    return p;
}

static void
s_budget_free (void *data, void *p)
{
    (void)data;
    free (p);
}

const char *
ovl_wire_strerror (ovl_wire_error_t why)
{
    switch (why) {
    case OVL_WIRE_OK:
        return "ok";
    case OVL_WIRE_EEMPTY:
        return "empty message";
    case OVL_WIRE_ETOOBIG:
        return "message over the size limit";
    case OVL_WIRE_EMALFORMED:
        return "malformed or truncated encoding";
    case OVL_WIRE_ENOMEM:
        return "out of memory";
    case OVL_WIRE_EVERSION:
        return "unsupported protocol version";
    case OVL_WIRE_ENOBODY:
        return "no message body";
    case OVL_WIRE_EMISSING:
        return "required node handle missing";
    case OVL_WIRE_EBADFIELD:
        return "bad id, key, group, address or field value";
    case OVL_WIRE_ECAP:
        return "list or payload over its cap";
    case OVL_WIRE_NERRORS:
        break;
    }
    return "unknown wire error";
}

/* --- validation ---------------------------------------------------------
 * Each check returns OVL_WIRE_OK or the kind of the first problem. They
 * also run on envelopes built by this process (from ovl_wire_encode), so
 * they check pointers protobuf-c would never leave NULL after unpacking. */

static ovl_wire_error_t
s_check_id (ProtobufCBinaryData b)
{
    return b.len == 16 && b.data ? OVL_WIRE_OK : OVL_WIRE_EBADFIELD;
}

static ovl_wire_error_t
s_check_payload (ProtobufCBinaryData b)
{
    if (b.len > OVL_WIRE_PAYLOAD_MAX)
        return OVL_WIRE_ECAP;
    return b.len == 0 || b.data ? OVL_WIRE_OK : OVL_WIRE_EBADFIELD;
}

/* protobuf-c hands a string field over NUL-terminated, so an embedded NUL
 * on the wire ends addr early; what is left is still checked. */
ovl_wire_error_t
ovl_wire_check_handle (const P2pf__NodeHandle *h)
{
    if (!h)
        return OVL_WIRE_EMISSING;
    if (s_check_id (h->id))
        return OVL_WIRE_EBADFIELD;
    if (!h->addr)
        return OVL_WIRE_EBADFIELD;
    size_t len = strnlen (h->addr, OVL_ADDR_MAX);
    if (len == 0 || len >= OVL_ADDR_MAX)
        return OVL_WIRE_EBADFIELD;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)h->addr[i];
        if (c < 0x20 || c > 0x7e)
            return OVL_WIRE_EBADFIELD;
    }
    return OVL_WIRE_OK;
}

static ovl_wire_error_t
s_check_handles (size_t n, P2pf__NodeHandle *const *list, size_t cap)
{
    if (n > cap)
        return OVL_WIRE_ECAP;
    if (n > 0 && !list)
        return OVL_WIRE_EBADFIELD;
    for (size_t i = 0; i < n; i++) {
        ovl_wire_error_t why = ovl_wire_check_handle (list[i]);
        if (why)
            return why;
    }
    return OVL_WIRE_OK;
}

/* A routed message's key must be the id or group it is routed to. */
static ovl_wire_error_t
s_check_same (ProtobufCBinaryData a, ProtobufCBinaryData b)
{
    if (s_check_id (a) || s_check_id (b))
        return OVL_WIRE_EBADFIELD;
    return memcmp (a.data, b.data, 16) == 0 ? OVL_WIRE_OK : OVL_WIRE_EBADFIELD;
}

static ovl_wire_error_t
s_check_routed (const P2pf__Routed *r)
{
    ovl_wire_error_t why;
    if ((why = s_check_id (r->key)))
        return why;
    if ((why = ovl_wire_check_handle (r->origin)))
        return why;
    switch (r->kind_case) {
    case P2PF__ROUTED__KIND_JOIN:
        if (!r->join)
            return OVL_WIRE_ENOBODY;
        return s_check_same (r->key, r->origin->id);
    case P2PF__ROUTED__KIND_GROUP_JOIN:
        if (!r->group_join)
            return OVL_WIRE_ENOBODY;
        return s_check_same (r->key, r->group_join->group);
    case P2PF__ROUTED__KIND_PUBLISH:
        if (!r->publish)
            return OVL_WIRE_ENOBODY;
        if ((why = s_check_same (r->key, r->publish->group)))
            return why;
        return s_check_payload (r->publish->payload);
    case P2PF__ROUTED__KIND_ANYCAST:
        if (!r->anycast)
            return OVL_WIRE_ENOBODY;
        if ((why = s_check_same (r->key, r->anycast->group)))
            return why;
        return s_check_payload (r->anycast->payload);
    case P2PF__ROUTED__KIND_APP:
        if (!r->app)
            return OVL_WIRE_ENOBODY;
        return s_check_payload (r->app->payload);
    case P2PF__ROUTED__KIND__NOT_SET:
    default:
        return OVL_WIRE_ENOBODY;
    }
}

static ovl_wire_error_t
s_check_walk (const P2pf__AnycastWalk *w)
{
    ovl_wire_error_t why;
    if ((why = s_check_id (w->group)) || (why = s_check_payload (w->payload)) ||
        (why = ovl_wire_check_handle (w->origin)))
        return why;
    if (w->n_visited > OVL_WIRE_WALK_MAX)
        return OVL_WIRE_ECAP;
    if (w->n_visited > 0 && !w->visited)
        return OVL_WIRE_EBADFIELD;
    for (size_t i = 0; i < w->n_visited; i++)
        if ((why = s_check_id (w->visited[i])))
            return why;
    return s_check_handles (w->n_to_visit, w->to_visit, OVL_WIRE_WALK_MAX);
}

/* The body message env->body_case selects, or NULL if there is none
 * (protobuf-c never leaves a selected body NULL; a hand-built envelope
 * might, and protobuf-c would then encode it as no body at all). */
static const void *
s_body (const P2pf__Envelope *env)
{
    switch (env->body_case) {
    case P2PF__ENVELOPE__BODY_PING:
        return env->ping;
    case P2PF__ENVELOPE__BODY_PONG:
        return env->pong;
    case P2PF__ENVELOPE__BODY_ROUTED:
        return env->routed;
    case P2PF__ENVELOPE__BODY_ROUTED_ACK:
        return env->routed_ack;
    case P2PF__ENVELOPE__BODY_JOIN_ROW:
        return env->join_row;
    case P2PF__ENVELOPE__BODY_JOIN_LEAVES:
        return env->join_leaves;
    case P2PF__ENVELOPE__BODY_ANNOUNCE:
        return env->announce;
    case P2PF__ENVELOPE__BODY_LEAFSET_REQUEST:
        return env->leafset_request;
    case P2PF__ENVELOPE__BODY_LEAFSET_REPLY:
        return env->leafset_reply;
    case P2PF__ENVELOPE__BODY_GROUP_JOIN_ACCEPT:
        return env->group_join_accept;
    case P2PF__ENVELOPE__BODY_GROUP_REDIRECT:
        return env->group_redirect;
    case P2PF__ENVELOPE__BODY_GROUP_LEAVE:
        return env->group_leave;
    case P2PF__ENVELOPE__BODY_GROUP_DATA:
        return env->group_data;
    case P2PF__ENVELOPE__BODY_ANYCAST_WALK:
        return env->anycast_walk;
    case P2PF__ENVELOPE__BODY_ANYCAST_RESULT:
        return env->anycast_result;
    case P2PF__ENVELOPE__BODY_APP:
        return env->app;
    case P2PF__ENVELOPE__BODY_ROW_REQUEST:
        return env->row_request;
    case P2PF__ENVELOPE__BODY_LEAVE:
        return env->leave;
    case P2PF__ENVELOPE__BODY__NOT_SET:
    default:
        return NULL;
    }
}

/* The body, given that s_body found one. */
static ovl_wire_error_t
s_check_body (const P2pf__Envelope *env)
{
    ovl_wire_error_t why;
    switch (env->body_case) {
    case P2PF__ENVELOPE__BODY_PING:
    case P2PF__ENVELOPE__BODY_PONG:
    case P2PF__ENVELOPE__BODY_ROUTED_ACK:
    case P2PF__ENVELOPE__BODY_ANNOUNCE:
    case P2PF__ENVELOPE__BODY_LEAFSET_REQUEST:
    case P2PF__ENVELOPE__BODY_LEAVE:
        return OVL_WIRE_OK;
    case P2PF__ENVELOPE__BODY_ROUTED:
        return s_check_routed (env->routed);
    case P2PF__ENVELOPE__BODY_JOIN_ROW:
        if (env->join_row->row >= OVL_ID_DIGITS)
            return OVL_WIRE_EBADFIELD;
        return s_check_handles (env->join_row->n_entries, env->join_row->entries,
                                OVL_WIRE_HANDLES_MAX);
    case P2PF__ENVELOPE__BODY_JOIN_LEAVES:
        return s_check_handles (env->join_leaves->n_leaves, env->join_leaves->leaves,
                                OVL_WIRE_HANDLES_MAX);
    case P2PF__ENVELOPE__BODY_LEAFSET_REPLY:
        return s_check_handles (env->leafset_reply->n_leaves, env->leafset_reply->leaves,
                                OVL_WIRE_HANDLES_MAX);
    case P2PF__ENVELOPE__BODY_GROUP_JOIN_ACCEPT:
        if ((why = s_check_id (env->group_join_accept->group)))
            return why;
        if (env->group_join_accept->n_path > OVL_WIRE_PATH_MAX)
            return OVL_WIRE_ECAP;
        for (size_t i = 0; i < env->group_join_accept->n_path; i++)
            if ((why = s_check_id (env->group_join_accept->path[i])))
                return why;
        return OVL_WIRE_OK;
    case P2PF__ENVELOPE__BODY_GROUP_REDIRECT:
        if ((why = s_check_id (env->group_redirect->group)))
            return why;
        return ovl_wire_check_handle (env->group_redirect->to);
    case P2PF__ENVELOPE__BODY_GROUP_LEAVE:
        return s_check_id (env->group_leave->group);
    case P2PF__ENVELOPE__BODY_GROUP_DATA:
        if ((why = s_check_id (env->group_data->group)) ||
            (why = s_check_payload (env->group_data->payload)))
            return why;
        return ovl_wire_check_handle (env->group_data->publisher);
    case P2PF__ENVELOPE__BODY_ANYCAST_WALK:
        return s_check_walk (env->anycast_walk);
    case P2PF__ENVELOPE__BODY_ANYCAST_RESULT:
        /* `by` names the member that accepted; a refused walk has none. */
        if (env->anycast_result->accepted || env->anycast_result->by)
            return ovl_wire_check_handle (env->anycast_result->by);
        return OVL_WIRE_OK;
    case P2PF__ENVELOPE__BODY_APP:
        return s_check_payload (env->app->payload);
    case P2PF__ENVELOPE__BODY_ROW_REQUEST:
        return env->row_request->row < OVL_ID_DIGITS ? OVL_WIRE_OK : OVL_WIRE_EBADFIELD;
    case P2PF__ENVELOPE__BODY__NOT_SET:
    default:
        return OVL_WIRE_ENOBODY;
    }
}

static ovl_wire_error_t
s_check_envelope (const P2pf__Envelope *env)
{
    ovl_wire_error_t why;
    if (!env)
        return OVL_WIRE_ENOBODY;
    if (env->version != OVL_WIRE_VERSION)
        return OVL_WIRE_EVERSION;
    if ((why = ovl_wire_check_handle (env->from)))
        return why;
    if (!s_body (env))
        return OVL_WIRE_ENOBODY;
    return s_check_body (env);
}

int
ovl_wire_validate (const P2pf__Envelope *env, ovl_wire_error_t *why)
{
    ovl_wire_error_t w = s_check_envelope (env);
    if (why)
        *why = w;
    return w == OVL_WIRE_OK ? 0 : -1;
}

/* --- decoding ----------------------------------------------------------- */

/* The largest field number protobuf allows. */
#define S_FIELD_NUMBER_MAX 0x1fffffffu

/* 1 if no message in the tree under msg holds an unknown field with a
 * field number protobuf forbids (0, or over 2^29 - 1). protobuf-c keeps
 * unknown fields, to send them on, but checks the field number of a tag
 * only when the tag is one byte: 0x82 0x00 reads as field 0, kept, and
 * written back as 0x02, which protobuf-c itself then refuses. node.c
 * forwards a Routed message with its unknown fields, so such a field made
 * the next hop drop it unacknowledged -- and a live routing-table entry
 * leave the table for it (found by tests/fuzz/fuzz_wire). The walk
 * follows the schema's message fields only; wire.proto has no recursive
 * message, so its depth is bounded. */
static int
s_unknown_fields_ok (const ProtobufCMessage *msg)
{
    for (unsigned i = 0; i < msg->n_unknown_fields; i++)
        if (msg->unknown_fields[i].tag == 0 || msg->unknown_fields[i].tag > S_FIELD_NUMBER_MAX)
            return 0;
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    const char *base = (const char *)msg;
    for (unsigned f = 0; f < desc->n_fields; f++) {
        const ProtobufCFieldDescriptor *fd = &desc->fields[f];
        if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + fd->quantifier_offset);
            ProtobufCMessage *const *list = *(ProtobufCMessage *const *const *)(base + fd->offset);
            for (size_t k = 0; k < n; k++)
                if (!s_unknown_fields_ok (list[k]))
                    return 0;
            continue;
        }
        /* A oneof's members share one slot: only the selected one is there. */
        if ((fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(base + fd->quantifier_offset) != fd->id)
            continue;
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)(base + fd->offset);
        if (sub && !s_unknown_fields_ok (sub))
            return 0;
    }
    return 1;
}

ProtobufCMessage *
ovl_wire_unpack (const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len,
                 ovl_wire_error_t *why)
{
    ovl_wire_error_t w = OVL_WIRE_OK;
    ProtobufCMessage *msg = NULL;
    if (len == 0 || !buf)
        w = OVL_WIRE_EEMPTY;
    else if (len > OVL_WIRE_MAX_BYTES)
        w = OVL_WIRE_ETOOBIG;
    else {
        s_budget_t budget = { .left_bytes = 2 * len + S_BUDGET_SLACK_BYTES };
        ProtobufCAllocator alloc = {
            .alloc = s_budget_alloc,
            .free = s_budget_free,
            .allocator_data = &budget,
        };
        msg = protobuf_c_message_unpack (desc, &alloc, len, buf);
        if (!msg)
            w = budget.over_budget     ? OVL_WIRE_ECAP
                : budget.out_of_memory ? OVL_WIRE_ENOMEM
                                       : OVL_WIRE_EMALFORMED;
        else if (!s_unknown_fields_ok (msg)) {
            protobuf_c_message_free_unpacked (msg, NULL);
            msg = NULL;
            w = OVL_WIRE_EMALFORMED;
        }
    }
    if (why)
        *why = w;
    return msg;
}

int
ovl_wire_decode (const uint8_t *buf, size_t len, P2pf__Envelope **env_out, ovl_wire_error_t *why)
{
    ovl_wire_error_t w;
    P2pf__Envelope *env =
        (P2pf__Envelope *)ovl_wire_unpack (&p2pf__envelope__descriptor, buf, len, &w);
    if (env && ovl_wire_validate (env, &w))
        ovl_wire_free (&env);
    if (why)
        *why = w;
    *env_out = env;
    return w == OVL_WIRE_OK ? 0 : -1;
}

void
ovl_wire_free (P2pf__Envelope **env_p)
{
    if (!env_p || !*env_p)
        return;
    /* The budget allocator's blocks come from malloc, so the default
     * allocator (free) releases them. */
    p2pf__envelope__free_unpacked (*env_p, NULL);
    *env_p = NULL;
}

void
ovl_wire_stats_count (ovl_wire_stats_t *stats, int rc, ovl_wire_error_t why)
{
    if (rc == 0)
        stats->decoded_ok++;
    else if ((unsigned)why < OVL_WIRE_NERRORS)
        stats->rejected[why]++;
}

uint64_t
ovl_wire_stats_rejected (const ovl_wire_stats_t *stats)
{
    uint64_t total = 0;
    for (int i = 0; i < OVL_WIRE_NERRORS; i++)
        total += stats->rejected[i];
    return total;
}

/* --- encoding ----------------------------------------------------------- */

size_t
ovl_wire_size (const P2pf__Envelope *env)
{
    return p2pf__envelope__get_packed_size (env);
}

/* The encoded size of env if it may be sent, else 0 (never a valid size:
 * an encoded envelope holds at least its version). */
static size_t
s_sendable_size (const P2pf__Envelope *env)
{
    if (ovl_wire_validate (env, NULL))
        return 0;
    size_t size = ovl_wire_size (env);
    return size <= OVL_WIRE_MAX_BYTES ? size : 0;
}

int
ovl_wire_encode (const P2pf__Envelope *env, uint8_t *buf, size_t cap)
{
    size_t size = s_sendable_size (env);
    if (size == 0 || size > cap)
        return -1;
    return (int)p2pf__envelope__pack (env, buf);
}

uint8_t *
ovl_wire_encode_alloc (const P2pf__Envelope *env, size_t *len_out)
{
    size_t size = s_sendable_size (env);
    uint8_t *buf = size ? malloc (size) : NULL;
    if (!buf)
        return NULL;
    *len_out = p2pf__envelope__pack (env, buf);
    return buf;
}

/* --- helpers ------------------------------------------------------------ */

void
ovl_wire_id_set (ProtobufCBinaryData *b, uint8_t idbuf[16], ovl_id_t id)
{
    ovl_id_to_bytes (id, idbuf);
    b->data = idbuf;
    b->len = 16;
}

void
ovl_wire_handle_set (P2pf__NodeHandle *msg, uint8_t idbuf[16], const ovl_handle_t *h)
{
    p2pf__node_handle__init (msg);
    ovl_wire_id_set (&msg->id, idbuf, h->id);
    /* protobuf-c's string fields are not const, but packing only reads. */
    msg->addr = (char *)h->addr;
}

void
ovl_wire_handle_get (const P2pf__NodeHandle *msg, ovl_handle_t *out)
{
    out->id = ovl_wire_id (msg->id);
    size_t len = msg->addr ? strnlen (msg->addr, OVL_ADDR_MAX - 1) : 0;
    if (len)
        memcpy (out->addr, msg->addr, len);
    out->addr[len] = '\0';
}

ovl_id_t
ovl_wire_id (ProtobufCBinaryData b)
{
    if (b.len != 16 || !b.data)
        return (ovl_id_t){ 0, 0 };
    return ovl_id_from_bytes (b.data);
}

void
ovl_wire_envelope_init (P2pf__Envelope *env, P2pf__NodeHandle *from_storage, uint8_t from_id[16],
                        const ovl_handle_t *from)
{
    p2pf__envelope__init (env);
    env->version = OVL_WIRE_VERSION;
    ovl_wire_handle_set (from_storage, from_id, from);
    env->from = from_storage;
}
