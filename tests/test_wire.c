/* test_wire.c: the wire codec -- a round trip of every message kind compared
 * field by field, each rejection reported with its kind, the caps and the
 * decoding memory budget, and seeded abuse (every prefix, random garbage,
 * single-byte mutations): whatever the bytes, decoding either yields a
 * valid envelope or an error, never a crash.
 *
 * The seed is printed; P2PF_SEED=<n> replays a run. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "job.pb-c.h" /* a payload schema, for ovl_wire_unpack */
#include "rng.h"
#include "wire.h"
#include "test_util.h"

/* The run's seed; every test derives its own stream from it. */
static uint64_t s_seed;

static void
s_rng (ovl_rng_t *rng, uint64_t stream)
{
    ovl_rng_seed (rng, s_seed ^ (stream * 0x9e3779b97f4a7c15ull));
}

/* --- field-by-field comparison ------------------------------------------
 * Driven by protobuf-c's descriptors, so a field added to wire.proto is
 * compared without anyone remembering to add it here. */

static const ProtobufCFieldDescriptor *s_msg_diff (const ProtobufCMessage *a,
                                                   const ProtobufCMessage *b);

static int
s_msg_equal (const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    return a->descriptor == b->descriptor && !s_msg_diff (a, b);
}

static size_t
s_elt_size (ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_UINT32:
        return sizeof (uint32_t);
    case PROTOBUF_C_TYPE_UINT64:
        return sizeof (uint64_t);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof (protobuf_c_boolean);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof (ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof (char *);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof (ProtobufCMessage *);
    default:
        fail_msg ("field type %d is not compared yet: extend s_elt_size", (int)type);
    }
    return 0;
}

/* One value of field f, at pa and pb. */
static int
s_value_equal (const ProtobufCFieldDescriptor *f, const void *pa, const void *pb)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_UINT32:
        return *(const uint32_t *)pa == *(const uint32_t *)pb;
    case PROTOBUF_C_TYPE_UINT64:
        return *(const uint64_t *)pa == *(const uint64_t *)pb;
    case PROTOBUF_C_TYPE_BOOL:
        return !*(const protobuf_c_boolean *)pa == !*(const protobuf_c_boolean *)pb;
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *x = pa, *y = pb;
        return x->len == y->len && (x->len == 0 || memcmp (x->data, y->data, x->len) == 0);
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *x = *(char *const *)pa, *y = *(char *const *)pb;
        return strcmp (x ? x : "", y ? y : "") == 0;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *x = *(ProtobufCMessage *const *)pa;
        const ProtobufCMessage *y = *(ProtobufCMessage *const *)pb;
        return x && y ? s_msg_equal (x, y) : x == y;
    }
    default:
        fail_msg ("field type %d is not compared yet: extend s_value_equal", (int)f->type);
    }
    return 0;
}

/* The first field (innermost, for nested messages) in which two messages of
 * one type differ, or NULL if they are equal. */
static const ProtobufCFieldDescriptor *
s_msg_diff (const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    const ProtobufCMessageDescriptor *d = a->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *ma = (const char *)a + f->offset, *mb = (const char *)b + f->offset;
        int same = 1;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t na = *(const size_t *)((const char *)a + f->quantifier_offset);
            size_t nb = *(const size_t *)((const char *)b + f->quantifier_offset);
            const char *xa = *(const char *const *)ma, *xb = *(const char *const *)mb;
            size_t esz = s_elt_size (f->type);
            same = na == nb;
            for (size_t j = 0; same && j < na; j++)
                same = s_value_equal (f, xa + j * esz, xb + j * esz);
        } else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t ca = *(const uint32_t *)((const char *)a + f->quantifier_offset);
            uint32_t cb = *(const uint32_t *)((const char *)b + f->quantifier_offset);
            same = ca == cb && (ca != f->id || s_value_equal (f, ma, mb));
        } else {
            same = s_value_equal (f, ma, mb);
        }
        if (!same) {
            /* the nested message's own differing field, if it has one */
            if (f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED) {
                const ProtobufCMessage *x = *(ProtobufCMessage *const *)ma;
                const ProtobufCMessage *y = *(ProtobufCMessage *const *)mb;
                const ProtobufCFieldDescriptor *inner = x && y ? s_msg_diff (x, y) : NULL;
                return inner ? inner : f;
            }
            return f;
        }
    }
    return NULL;
}

/* --- building messages -------------------------------------------------- */

enum {
    K_PING,
    K_PONG,
    K_ROUTED_JOIN,
    K_ROUTED_GROUP_JOIN,
    K_ROUTED_PUBLISH,
    K_ROUTED_ANYCAST,
    K_ROUTED_APP,
    K_ROUTED_ACK,
    K_JOIN_ROW,
    K_JOIN_LEAVES,
    K_ANNOUNCE,
    K_LEAFSET_REQUEST,
    K_LEAFSET_REPLY,
    K_GROUP_JOIN_ACCEPT,
    K_GROUP_REDIRECT,
    K_GROUP_LEAVE,
    K_GROUP_DATA,
    K_ANYCAST_WALK,
    K_ANYCAST_RESULT,
    K_APP,
    K_ROW_REQUEST,
    K_LEAVE,
    K_COUNT
};

static const char *const s_kind_name[K_COUNT] = {
    "Ping",           "Pong",           "Routed/Join",  "Routed/GroupJoin", "Routed/Publish",
    "Routed/Anycast", "Routed/App",     "RoutedAck",    "JoinRow",          "JoinLeaves",
    "Announce",       "LeafSetRequest", "LeafSetReply", "GroupJoinAccept",  "GroupRedirect",
    "GroupLeave",     "GroupData",      "AnycastWalk",  "AnycastResult",    "App",
    "RowRequest",     "Leave",
};

#define S_HANDLES (OVL_WIRE_WALK_MAX + 2) /* [0] single handles, [1..] lists, one over cap */
#define S_PAYLOAD_BYTES 300

/* An envelope and everything it points into; built by s_build. */
typedef struct {
    P2pf__Envelope env;
    ovl_handle_t from_h;
    P2pf__NodeHandle from;
    uint8_t from_id[16];
    ovl_handle_t hs[S_HANDLES]; /* [0] is origin / to / publisher / by */
    P2pf__NodeHandle hmsg[S_HANDLES];
    uint8_t hid[S_HANDLES][16];
    P2pf__NodeHandle *hptr[S_HANDLES];
    ProtobufCBinaryData visited[S_HANDLES];
    uint8_t vid[S_HANDLES][16];
    uint8_t key[16], group[16];
    uint8_t payload[S_PAYLOAD_BYTES];
    P2pf__Ping ping;
    P2pf__Pong pong;
    P2pf__Routed routed;
    P2pf__Join join;
    P2pf__GroupJoin group_join;
    P2pf__GroupPublish publish;
    P2pf__AnycastStart anycast;
    P2pf__AppRouted app_routed;
    P2pf__RoutedAck routed_ack;
    P2pf__JoinRow join_row;
    P2pf__JoinLeaves join_leaves;
    P2pf__Announce announce;
    P2pf__LeafSetRequest leafset_request;
    P2pf__LeafSetReply leafset_reply;
    P2pf__GroupJoinAccept group_join_accept;
    P2pf__GroupRedirect group_redirect;
    P2pf__GroupLeave group_leave;
    P2pf__GroupData group_data;
    P2pf__AnycastWalk anycast_walk;
    P2pf__AnycastResult anycast_result;
    P2pf__App app;
    P2pf__RowRequest row_request;
    P2pf__Leave leave;
} s_msg_t;

/* A random handle; every fourth has the longest address allowed, made of
 * every printable character in turn (space and '~' included). */
static void
s_random_handle (ovl_rng_t *rng, int i, ovl_handle_t *h)
{
    h->id = ovl_rng_id (rng);
    if (i % 4 == 0) {
        size_t len = OVL_ADDR_MAX - 1;
        size_t start = ovl_rng_below (rng, 95);
        for (size_t j = 0; j < len; j++)
            h->addr[j] = (char)(0x20 + (start + j) % 95);
        h->addr[len] = '\0';
    } else {
        snprintf (h->addr, sizeof h->addr, "tcp://10.%u.%u.%u:%u",
                  (unsigned)ovl_rng_below (rng, 256), (unsigned)ovl_rng_below (rng, 256),
                  (unsigned)ovl_rng_below (rng, 256),
                  (unsigned)(1024 + ovl_rng_below (rng, 60000)));
    }
}

/* Values with every varint length, zero excluded (a dropped field must
 * show). */
static uint64_t
s_random_u64 (ovl_rng_t *rng)
{
    uint64_t v = ovl_rng_next (rng) >> ovl_rng_below (rng, 64);
    return v ? v : 1;
}

/* A valid envelope of the given kind; lists hold n entries, payloads
 * payload_len bytes. */
static void
s_build (s_msg_t *m, int kind, size_t n, size_t payload_len, ovl_rng_t *rng)
{
    memset (m, 0, sizeof *m);
    s_random_handle (rng, 1, &m->from_h);
    ovl_wire_envelope_init (&m->env, &m->from, m->from_id, &m->from_h);
    for (int i = 0; i < S_HANDLES; i++) {
        s_random_handle (rng, i, &m->hs[i]);
        ovl_wire_handle_set (&m->hmsg[i], m->hid[i], &m->hs[i]);
        m->hptr[i] = &m->hmsg[i];
        ovl_wire_id_set (&m->visited[i], m->vid[i], ovl_rng_id (rng));
    }
    for (size_t i = 0; i < sizeof m->payload; i++)
        m->payload[i] = (uint8_t)ovl_rng_next (rng);
    ovl_id_to_bytes (ovl_rng_id (rng), m->key);
    ovl_id_to_bytes (ovl_rng_id (rng), m->group);
    ProtobufCBinaryData key = { 16, m->key }, group = { 16, m->group };
    ProtobufCBinaryData payload = { payload_len, m->payload };
    P2pf__NodeHandle *one = m->hptr[0], **list = &m->hptr[1];
    P2pf__Envelope *env = &m->env;
    P2pf__Routed *r = &m->routed;

    if (kind >= K_ROUTED_JOIN && kind <= K_ROUTED_APP) {
        p2pf__routed__init (r);
        r->key = key;
        r->msg_id = s_random_u64 (rng);
        r->hops = (uint32_t)s_random_u64 (rng);
        r->origin = one;
        env->body_case = P2PF__ENVELOPE__BODY_ROUTED;
        env->routed = r;
    }
    switch (kind) {
    case K_PING:
        p2pf__ping__init (&m->ping);
        m->ping.nonce = s_random_u64 (rng);
        env->body_case = P2PF__ENVELOPE__BODY_PING;
        env->ping = &m->ping;
        break;
    case K_PONG:
        p2pf__pong__init (&m->pong);
        m->pong.nonce = UINT64_MAX;
        env->body_case = P2PF__ENVELOPE__BODY_PONG;
        env->pong = &m->pong;
        break;
    case K_ROUTED_JOIN:
        p2pf__join__init (&m->join);
        r->key = one->id; /* a join routes to the newcomer's own id */
        r->kind_case = P2PF__ROUTED__KIND_JOIN;
        r->join = &m->join;
        break;
    case K_ROUTED_GROUP_JOIN:
        p2pf__group_join__init (&m->group_join);
        m->group_join.group = key;
        r->kind_case = P2PF__ROUTED__KIND_GROUP_JOIN;
        r->group_join = &m->group_join;
        break;
    case K_ROUTED_PUBLISH:
        p2pf__group_publish__init (&m->publish);
        m->publish.group = key;
        m->publish.payload = payload;
        r->kind_case = P2PF__ROUTED__KIND_PUBLISH;
        r->publish = &m->publish;
        break;
    case K_ROUTED_ANYCAST:
        p2pf__anycast_start__init (&m->anycast);
        m->anycast.group = key;
        m->anycast.payload = payload;
        m->anycast.anycast_id = s_random_u64 (rng);
        r->kind_case = P2PF__ROUTED__KIND_ANYCAST;
        r->anycast = &m->anycast;
        break;
    case K_ROUTED_APP:
        p2pf__app_routed__init (&m->app_routed);
        m->app_routed.payload = payload;
        r->kind_case = P2PF__ROUTED__KIND_APP;
        r->app = &m->app_routed;
        break;
    case K_ROUTED_ACK:
        p2pf__routed_ack__init (&m->routed_ack);
        m->routed_ack.msg_id = s_random_u64 (rng);
        env->body_case = P2PF__ENVELOPE__BODY_ROUTED_ACK;
        env->routed_ack = &m->routed_ack;
        break;
    case K_JOIN_ROW:
        p2pf__join_row__init (&m->join_row);
        m->join_row.row = 1 + (uint32_t)ovl_rng_below (rng, OVL_ID_DIGITS - 1);
        m->join_row.n_entries = n;
        m->join_row.entries = list;
        env->body_case = P2PF__ENVELOPE__BODY_JOIN_ROW;
        env->join_row = &m->join_row;
        break;
    case K_JOIN_LEAVES:
        p2pf__join_leaves__init (&m->join_leaves);
        m->join_leaves.n_leaves = n;
        m->join_leaves.leaves = list;
        m->join_leaves.hops = (uint32_t)s_random_u64 (rng);
        env->body_case = P2PF__ENVELOPE__BODY_JOIN_LEAVES;
        env->join_leaves = &m->join_leaves;
        break;
    case K_ANNOUNCE:
        p2pf__announce__init (&m->announce);
        env->body_case = P2PF__ENVELOPE__BODY_ANNOUNCE;
        env->announce = &m->announce;
        break;
    case K_LEAFSET_REQUEST:
        p2pf__leaf_set_request__init (&m->leafset_request);
        env->body_case = P2PF__ENVELOPE__BODY_LEAFSET_REQUEST;
        env->leafset_request = &m->leafset_request;
        break;
    case K_LEAFSET_REPLY:
        p2pf__leaf_set_reply__init (&m->leafset_reply);
        m->leafset_reply.n_leaves = n;
        m->leafset_reply.leaves = list;
        env->body_case = P2PF__ENVELOPE__BODY_LEAFSET_REPLY;
        env->leafset_reply = &m->leafset_reply;
        break;
    case K_GROUP_JOIN_ACCEPT:
        p2pf__group_join_accept__init (&m->group_join_accept);
        m->group_join_accept.group = group;
        env->body_case = P2PF__ENVELOPE__BODY_GROUP_JOIN_ACCEPT;
        env->group_join_accept = &m->group_join_accept;
        break;
    case K_GROUP_REDIRECT:
        p2pf__group_redirect__init (&m->group_redirect);
        m->group_redirect.group = group;
        m->group_redirect.to = one;
        env->body_case = P2PF__ENVELOPE__BODY_GROUP_REDIRECT;
        env->group_redirect = &m->group_redirect;
        break;
    case K_GROUP_LEAVE:
        p2pf__group_leave__init (&m->group_leave);
        m->group_leave.group = group;
        env->body_case = P2PF__ENVELOPE__BODY_GROUP_LEAVE;
        env->group_leave = &m->group_leave;
        break;
    case K_GROUP_DATA:
        p2pf__group_data__init (&m->group_data);
        m->group_data.group = group;
        m->group_data.payload = payload;
        m->group_data.publisher = one;
        m->group_data.seq = s_random_u64 (rng);
        env->body_case = P2PF__ENVELOPE__BODY_GROUP_DATA;
        env->group_data = &m->group_data;
        break;
    case K_ANYCAST_WALK:
        p2pf__anycast_walk__init (&m->anycast_walk);
        m->anycast_walk.group = group;
        m->anycast_walk.payload = payload;
        m->anycast_walk.anycast_id = s_random_u64 (rng);
        m->anycast_walk.origin = one;
        m->anycast_walk.n_visited = n;
        m->anycast_walk.visited = m->visited;
        m->anycast_walk.n_to_visit = n;
        m->anycast_walk.to_visit = list;
        env->body_case = P2PF__ENVELOPE__BODY_ANYCAST_WALK;
        env->anycast_walk = &m->anycast_walk;
        break;
    case K_ANYCAST_RESULT:
        p2pf__anycast_result__init (&m->anycast_result);
        m->anycast_result.anycast_id = s_random_u64 (rng);
        m->anycast_result.accepted = 1;
        m->anycast_result.by = one;
        env->body_case = P2PF__ENVELOPE__BODY_ANYCAST_RESULT;
        env->anycast_result = &m->anycast_result;
        break;
    case K_APP:
        p2pf__app__init (&m->app);
        m->app.payload = payload;
        env->body_case = P2PF__ENVELOPE__BODY_APP;
        env->app = &m->app;
        break;
    case K_ROW_REQUEST:
        p2pf__row_request__init (&m->row_request);
        m->row_request.row = (uint32_t)s_random_u64 (rng) % OVL_ID_DIGITS;
        env->body_case = P2PF__ENVELOPE__BODY_ROW_REQUEST;
        env->row_request = &m->row_request;
        break;
    case K_LEAVE:
        p2pf__leave__init (&m->leave);
        env->body_case = P2PF__ENVELOPE__BODY_LEAVE;
        env->leave = &m->leave;
        break;
    default:
        fail_msg ("no such kind %d", kind);
    }
}

static s_msg_t *
s_msg_new (void)
{
    s_msg_t *m = calloc (1, sizeof *m);
    assert_non_null (m);
    return m;
}

/* The list cap of a kind (0 if it has no list). */
static size_t
s_list_cap (int kind)
{
    switch (kind) {
    case K_JOIN_ROW:
    case K_JOIN_LEAVES:
    case K_LEAFSET_REPLY:
        return OVL_WIRE_HANDLES_MAX;
    case K_ANYCAST_WALK:
        return OVL_WIRE_WALK_MAX;
    default:
        return 0;
    }
}

/* --- checking decode results -------------------------------------------- */

/* Encodes m (which must be valid), decodes it, and checks that every field
 * came back, that both encoders agree, and that re-encoding the decoded
 * message gives the same bytes. */
static void
s_round_trip (const s_msg_t *m, const char *what)
{
    size_t len = 0;
    uint8_t *buf = ovl_wire_encode_alloc (&m->env, &len);
    if (!buf)
        fail_msg ("%s: did not encode", what);
    assert_int_equal (len, ovl_wire_size (&m->env));

    uint8_t *exact = malloc (len);
    assert_non_null (exact);
    assert_int_equal (ovl_wire_encode (&m->env, exact, len - 1), -1); /* one byte short */
    assert_int_equal (ovl_wire_encode (&m->env, exact, len), (int)len);
    assert_memory_equal (exact, buf, len);

    P2pf__Envelope *env = NULL;
    ovl_wire_error_t why = OVL_WIRE_NERRORS;
    if (ovl_wire_decode (buf, len, &env, &why))
        fail_msg ("%s: rejected: %s", what, ovl_wire_strerror (why));
    assert_int_equal (why, OVL_WIRE_OK);
    const ProtobufCFieldDescriptor *diff = s_msg_diff (&m->env.base, &env->base);
    if (diff)
        fail_msg ("%s: decoded message differs in field %s", what, diff->name);

    ovl_handle_t h;
    ovl_wire_handle_get (env->from, &h);
    assert_true (ovl_handle_eq (&h, &m->from_h));

    size_t len2 = 0;
    uint8_t *again = ovl_wire_encode_alloc (env, &len2);
    assert_non_null (again);
    assert_int_equal (len2, len);
    assert_memory_equal (again, buf, len);

    ovl_wire_free (&env);
    assert_null (env);
    ovl_wire_free (&env); /* idempotent */
    free (again);
    free (exact);
    free (buf);
}

/* Packs env with protobuf-c directly (ovl_wire_encode would refuse an
 * invalid one), decodes it, and returns why. Checks that a rejection leaves
 * no envelope, and that validating the hand-built envelope and encoding it
 * agree with the decoder. */
static ovl_wire_error_t
s_decode_why (const P2pf__Envelope *env)
{
    size_t len = p2pf__envelope__get_packed_size (env);
    uint8_t *buf = malloc (len ? len : 1);
    assert_non_null (buf);
    assert_int_equal (p2pf__envelope__pack (env, buf), len);

    P2pf__Envelope *out = NULL;
    ovl_wire_error_t why = OVL_WIRE_NERRORS;
    int rc = ovl_wire_decode (buf, len, &out, &why);
    if (rc == 0) {
        assert_int_equal (why, OVL_WIRE_OK);
        assert_non_null (out);
        ovl_wire_free (&out);
    } else {
        assert_int_equal (rc, -1);
        assert_null (out);
        assert_true (why > OVL_WIRE_OK && why < OVL_WIRE_NERRORS);
    }
    ovl_wire_error_t vwhy = OVL_WIRE_NERRORS;
    assert_int_equal (ovl_wire_validate (env, &vwhy), rc);
    if (why != OVL_WIRE_EEMPTY)
        assert_int_equal (vwhy, why);
    uint8_t small[64 * 1024];
    if (rc)
        assert_int_equal (ovl_wire_encode (env, small, sizeof small), -1);
    free (buf);
    return why;
}

#define assert_why(env, expected)                                                                  \
    do {                                                                                           \
        ovl_wire_error_t got_ = s_decode_why (env);                                                \
        if (got_ != (expected))                                                                    \
            fail_msg ("expected %s, got %s", ovl_wire_strerror (expected),                         \
                      ovl_wire_strerror (got_));                                                   \
    } while (0)

/* Reads every handle and id of a decoded envelope, the way a core would,
 * so ASan sees any field the validator let through but cannot be read. */
static void
s_touch (const P2pf__Envelope *env)
{
    ovl_handle_t h;
    ovl_wire_handle_get (env->from, &h);
    assert_true (strlen (h.addr) > 0 && strlen (h.addr) < OVL_ADDR_MAX);
    P2pf__NodeHandle *const *list = NULL;
    size_t n = 0;
    switch (env->body_case) {
    case P2PF__ENVELOPE__BODY_ROUTED:
        (void)ovl_wire_id (env->routed->key);
        ovl_wire_handle_get (env->routed->origin, &h);
        break;
    case P2PF__ENVELOPE__BODY_JOIN_ROW:
        list = env->join_row->entries, n = env->join_row->n_entries;
        break;
    case P2PF__ENVELOPE__BODY_JOIN_LEAVES:
        list = env->join_leaves->leaves, n = env->join_leaves->n_leaves;
        break;
    case P2PF__ENVELOPE__BODY_LEAFSET_REPLY:
        list = env->leafset_reply->leaves, n = env->leafset_reply->n_leaves;
        break;
    case P2PF__ENVELOPE__BODY_ANYCAST_WALK:
        list = env->anycast_walk->to_visit, n = env->anycast_walk->n_to_visit;
        for (size_t i = 0; i < env->anycast_walk->n_visited; i++)
            (void)ovl_wire_id (env->anycast_walk->visited[i]);
        break;
    default:
        break;
    }
    for (size_t i = 0; i < n; i++)
        ovl_wire_handle_get (list[i], &h);
}

/* Decodes arbitrary bytes: either a rejection with a kind and no envelope,
 * or a valid envelope that survives re-encoding and decoding unchanged. */
static void
s_decode_any (const uint8_t *buf, size_t len, ovl_wire_stats_t *stats)
{
    P2pf__Envelope *env = NULL;
    ovl_wire_error_t why = OVL_WIRE_NERRORS;
    int rc = ovl_wire_decode (buf, len, &env, &why);
    ovl_wire_stats_count (stats, rc, why);
    if (rc) {
        assert_int_equal (rc, -1);
        assert_null (env);
        assert_true (why > OVL_WIRE_OK && why < OVL_WIRE_NERRORS);
        return;
    }
    assert_int_equal (why, OVL_WIRE_OK);
    assert_int_equal (ovl_wire_validate (env, NULL), 0);
    s_touch (env);
    size_t len2 = 0;
    uint8_t *again = ovl_wire_encode_alloc (env, &len2);
    assert_non_null (again);
    P2pf__Envelope *env2 = NULL;
    assert_int_equal (ovl_wire_decode (again, len2, &env2, &why), 0);
    assert_true (s_msg_equal (&env->base, &env2->base));
    ovl_wire_free (&env2);
    ovl_wire_free (&env);
    free (again);
}

/* Every kind encoded, for the abuse tests: lists of 3, small payloads. */
typedef struct {
    uint8_t *buf[K_COUNT];
    size_t len[K_COUNT];
} s_corpus_t;

static void
s_corpus_build (s_corpus_t *c, ovl_rng_t *rng)
{
    s_msg_t *m = s_msg_new ();
    for (int k = 0; k < K_COUNT; k++) {
        s_build (m, k, 3, 1 + ovl_rng_below (rng, 40), rng);
        c->buf[k] = ovl_wire_encode_alloc (&m->env, &c->len[k]);
        assert_non_null (c->buf[k]);
    }
    free (m);
}

static void
s_corpus_free (s_corpus_t *c)
{
    for (int k = 0; k < K_COUNT; k++)
        free (c->buf[k]);
}

/* --- round trips -------------------------------------------------------- */

static void
test_round_trip_every_kind (void **state)
{
    (void)state;
    ovl_rng_t rng;
    s_rng (&rng, 1);
    s_msg_t *m = s_msg_new ();
    for (int k = 0; k < K_COUNT; k++) {
        /* lists empty, typical, and full; payloads empty, small, larger */
        size_t sizes[] = { 0, 3, s_list_cap (k) };
        size_t payloads[] = { 0, 1, S_PAYLOAD_BYTES };
        for (int v = 0; v < 3; v++) {
            char what[80];
            snprintf (what, sizeof what, "%s (list %zu, payload %zu)", s_kind_name[k],
                      sizes[v] < s_list_cap (k) ? sizes[v] : s_list_cap (k), payloads[v]);
            s_build (m, k, sizes[v] < s_list_cap (k) ? sizes[v] : s_list_cap (k), payloads[v],
                     &rng);
            s_round_trip (m, what);
        }
    }
    /* a refused anycast names no member */
    s_build (m, K_ANYCAST_RESULT, 0, 0, &rng);
    m->anycast_result.accepted = 0;
    m->anycast_result.by = NULL;
    s_round_trip (m, "AnycastResult (refused, no by)");
    free (m);
}

static void
s_assert_diff (const s_msg_t *a, const s_msg_t *b, const char *field)
{
    const ProtobufCFieldDescriptor *diff = s_msg_diff (&a->env.base, &b->env.base);
    if (!diff)
        fail_msg ("a change in %s went unseen", field);
    assert_string_equal (diff->name, field);
}

/* The comparison the round trips rest on does see a change anywhere. */
static void
test_comparison_sees_every_change (void **state)
{
    (void)state;
    ovl_rng_t rng;
    s_rng (&rng, 2);
    s_msg_t *m = s_msg_new (), *m2 = s_msg_new ();
    /* two identical builds, then one change at a time in the second */
    s_build (m, K_ANYCAST_WALK, 5, 10, &rng);
    s_rng (&rng, 2);
    s_build (m2, K_ANYCAST_WALK, 5, 10, &rng);
    assert_true (s_msg_equal (&m->env.base, &m2->env.base));
    assert_null (s_msg_diff (&m->env.base, &m2->env.base));
    m2->vid[4][15] ^= 1; /* the last visited id */
    s_assert_diff (m, m2, "visited");
    m2->vid[4][15] ^= 1;
    m2->hs[5].addr[3] ^= 1; /* the last to_visit address */
    s_assert_diff (m, m2, "to_visit");
    m2->hs[5].addr[3] ^= 1;
    m2->payload[9] ^= 0x80; /* the payload's last byte */
    s_assert_diff (m, m2, "payload");
    m2->payload[9] ^= 0x80;
    m2->from_h.addr[0] ^= 1; /* nested: Envelope.from.addr */
    s_assert_diff (m, m2, "addr");
    m2->from_h.addr[0] ^= 1;
    m2->anycast_walk.n_to_visit = 4;
    s_assert_diff (m, m2, "to_visit");
    m2->anycast_walk.n_to_visit = 5;
    m2->anycast_walk.anycast_id ^= 1ull << 63;
    s_assert_diff (m, m2, "anycast_id");
    m2->anycast_walk.anycast_id ^= 1ull << 63;
    m2->env.version = 2;
    s_assert_diff (m, m2, "version");
    m2->env.version = OVL_WIRE_VERSION;
    assert_true (s_msg_equal (&m->env.base, &m2->env.base));
    free (m);
    free (m2);
}

/* --- rejections, each with its kind -------------------------------------- */

static void
test_reject_empty_and_oversized (void **state)
{
    (void)state;
    P2pf__Envelope *env = NULL;
    ovl_wire_error_t why = OVL_WIRE_OK;
    uint8_t byte = 0;
    assert_int_equal (ovl_wire_decode (&byte, 0, &env, &why), -1);
    assert_int_equal (why, OVL_WIRE_EEMPTY);
    assert_null (env);
    assert_int_equal (ovl_wire_decode (NULL, 0, &env, &why), -1);
    assert_int_equal (why, OVL_WIRE_EEMPTY);

    /* One byte over the limit, in address space that faults if read at
     * all: the size check must come before unpacking (and costs no RAM). */
    size_t len = (size_t)OVL_WIRE_MAX_BYTES + 1;
    void *map = mmap (NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true (map != MAP_FAILED);
    assert_int_equal (ovl_wire_decode (map, len, &env, &why), -1);
    assert_int_equal (why, OVL_WIRE_ETOOBIG);
    assert_null (env);
    assert_int_equal (ovl_wire_decode (map, SIZE_MAX, &env, &why), -1);
    assert_int_equal (why, OVL_WIRE_ETOOBIG);
    munmap (map, len);
}

static void
test_reject_envelope_header (void **state)
{
    (void)state;
    ovl_rng_t rng;
    s_rng (&rng, 3);
    s_msg_t *m = s_msg_new ();

    s_build (m, K_PING, 0, 0, &rng);
    m->env.version = 2;
    assert_why (&m->env, OVL_WIRE_EVERSION);
    m->env.version = 0; /* not on the wire at all */
    assert_why (&m->env, OVL_WIRE_EVERSION);
    m->env.version = OVL_WIRE_VERSION;
    assert_why (&m->env, OVL_WIRE_OK);

    m->env.from = NULL;
    assert_why (&m->env, OVL_WIRE_EMISSING);
    m->env.from = &m->from;

    m->env.body_case = P2PF__ENVELOPE__BODY__NOT_SET;
    assert_why (&m->env, OVL_WIRE_ENOBODY);
    m->env.body_case = P2PF__ENVELOPE__BODY_PING;
    m->env.ping = NULL; /* selected but absent: protobuf-c sends no body */
    assert_why (&m->env, OVL_WIRE_ENOBODY);
    free (m);
}

/* from's id and addr, one defect at a time. */
static void
test_reject_bad_handles (void **state)
{
    (void)state;
    ovl_rng_t rng;
    s_rng (&rng, 4);
    s_msg_t *m = s_msg_new ();
    s_build (m, K_PING, 0, 0, &rng);
    uint8_t id17[17] = { 0 };
    char addr[OVL_ADDR_MAX + 8];

    m->from.id.len = 15;
    assert_why (&m->env, OVL_WIRE_EBADFIELD);
    m->from.id = (ProtobufCBinaryData){ 17, id17 };
    assert_why (&m->env, OVL_WIRE_EBADFIELD);
    m->from.id = (ProtobufCBinaryData){ 0, NULL };
    assert_why (&m->env, OVL_WIRE_EBADFIELD);
    m->from.id = (ProtobufCBinaryData){ 16, m->from_id };
    assert_why (&m->env, OVL_WIRE_OK);

    m->from.addr = addr;
    strcpy (addr, "");
    assert_why (&m->env, OVL_WIRE_EBADFIELD);
    memset (addr, 'a', OVL_ADDR_MAX - 1);
    addr[OVL_ADDR_MAX - 1] = '\0'; /* 63 bytes: the longest */
    assert_why (&m->env, OVL_WIRE_OK);
    memset (addr, 'a', OVL_ADDR_MAX);
    addr[OVL_ADDR_MAX] = '\0'; /* 64 bytes */
    assert_why (&m->env, OVL_WIRE_EBADFIELD);
    strcpy (addr, "tcp://10.0.0.1:5555\n");
    assert_why (&m->env, OVL_WIRE_EBADFIELD);
    strcpy (addr, "tcp://10.0.0.1\t:5555");
    assert_why (&m->env, OVL_WIRE_EBADFIELD);
    strcpy (addr, "tcp://10.0.0.1:5555\x7f");
    assert_why (&m->env, OVL_WIRE_EBADFIELD);
    strcpy (addr, "tcp://h\xc3\xa9te:5555"); /* UTF-8, not ASCII */
    assert_why (&m->env, OVL_WIRE_EBADFIELD);
    strcpy (addr, " ~");
    assert_why (&m->env, OVL_WIRE_OK);
    free (m);
}

/* ids, keys and groups in every body that has one; handles nested in bodies. */
static void
test_reject_bad_body_fields (void **state)
{
    (void)state;
    ovl_rng_t rng;
    s_rng (&rng, 5);
    s_msg_t *m = s_msg_new ();
    uint8_t id17[17] = { 0 };
    ProtobufCBinaryData ids[] = { { 15, id17 }, { 17, id17 }, { 0, NULL } };

    for (int i = 0; i < 3; i++) {
        s_build (m, K_ROUTED_APP, 0, 5, &rng);
        m->routed.key = ids[i];
        assert_why (&m->env, OVL_WIRE_EBADFIELD);
        s_build (m, K_ROUTED_GROUP_JOIN, 0, 5, &rng);
        m->group_join.group = ids[i];
        assert_why (&m->env, OVL_WIRE_EBADFIELD);
        s_build (m, K_GROUP_JOIN_ACCEPT, 0, 0, &rng);
        m->group_join_accept.group = ids[i];
        assert_why (&m->env, OVL_WIRE_EBADFIELD);
        s_build (m, K_GROUP_LEAVE, 0, 0, &rng);
        m->group_leave.group = ids[i];
        assert_why (&m->env, OVL_WIRE_EBADFIELD);
        s_build (m, K_GROUP_REDIRECT, 0, 0, &rng);
        m->group_redirect.group = ids[i];
        assert_why (&m->env, OVL_WIRE_EBADFIELD);
        s_build (m, K_GROUP_DATA, 0, 5, &rng);
        m->group_data.group = ids[i];
        assert_why (&m->env, OVL_WIRE_EBADFIELD);
        s_build (m, K_ANYCAST_WALK, 4, 5, &rng);
        m->anycast_walk.group = ids[i];
        assert_why (&m->env, OVL_WIRE_EBADFIELD);
        s_build (m, K_ANYCAST_WALK, 4, 5, &rng);
        m->visited[3] = ids[i];
        assert_why (&m->env, OVL_WIRE_EBADFIELD);
        s_build (m, K_JOIN_ROW, 4, 0, &rng);
        m->hmsg[4].id = ids[i]; /* the last entry */
        assert_why (&m->env, OVL_WIRE_EBADFIELD);
    }

    /* routed keys must name what they route to */
    s_build (m, K_ROUTED_JOIN, 0, 0, &rng);
    m->routed.key = (ProtobufCBinaryData){ 16, m->key };
    assert_why (&m->env, OVL_WIRE_EBADFIELD);
    s_build (m, K_ROUTED_PUBLISH, 0, 5, &rng);
    m->publish.group = (ProtobufCBinaryData){ 16, m->group };
    assert_why (&m->env, OVL_WIRE_EBADFIELD);
    s_build (m, K_ROUTED_ANYCAST, 0, 5, &rng);
    m->anycast.group = (ProtobufCBinaryData){ 16, m->group };
    assert_why (&m->env, OVL_WIRE_EBADFIELD);

    /* a routing-table row exists for shared prefixes 0..31 only */
    s_build (m, K_JOIN_ROW, 2, 0, &rng);
    m->join_row.row = 0;
    assert_why (&m->env, OVL_WIRE_OK);
    m->join_row.row = OVL_ID_DIGITS - 1;
    assert_why (&m->env, OVL_WIRE_OK);
    m->join_row.row = OVL_ID_DIGITS;
    assert_why (&m->env, OVL_WIRE_EBADFIELD);

    /* handles the cores need */
    s_build (m, K_ROUTED_APP, 0, 5, &rng);
    m->routed.origin = NULL;
    assert_why (&m->env, OVL_WIRE_EMISSING);
    s_build (m, K_ROUTED_APP, 0, 5, &rng);
    m->routed.kind_case = P2PF__ROUTED__KIND__NOT_SET;
    assert_why (&m->env, OVL_WIRE_ENOBODY);
    s_build (m, K_GROUP_REDIRECT, 0, 0, &rng);
    m->group_redirect.to = NULL;
    assert_why (&m->env, OVL_WIRE_EMISSING);
    s_build (m, K_GROUP_DATA, 0, 5, &rng);
    m->group_data.publisher = NULL;
    assert_why (&m->env, OVL_WIRE_EMISSING);
    s_build (m, K_ANYCAST_WALK, 2, 5, &rng);
    m->anycast_walk.origin = NULL;
    assert_why (&m->env, OVL_WIRE_EMISSING);
    s_build (m, K_ANYCAST_RESULT, 0, 0, &rng);
    m->anycast_result.by = NULL; /* accepted, but by whom? */
    assert_why (&m->env, OVL_WIRE_EMISSING);
    m->anycast_result.accepted = 0;
    assert_why (&m->env, OVL_WIRE_OK);

    /* a bad handle deep in a list */
    s_build (m, K_ANYCAST_WALK, 9, 5, &rng);
    m->hs[9].addr[0] = '\0';
    assert_why (&m->env, OVL_WIRE_EBADFIELD);
    s_build (m, K_LEAFSET_REPLY, 9, 0, &rng);
    m->hs[9].addr[2] = '\r';
    assert_why (&m->env, OVL_WIRE_EBADFIELD);
    s_build (m, K_JOIN_LEAVES, 9, 0, &rng);
    m->hs[9].addr[2] = '\r';
    assert_why (&m->env, OVL_WIRE_EBADFIELD);
    free (m);
}

/* A RowRequest beyond the last row is refused. */
static void
test_reject_row_request_out_of_range (void **state)
{
    (void)state;
    ovl_handle_t from;
    memset (&from, 0, sizeof from);
    from.id.hi = 42;
    snprintf (from.addr, sizeof from.addr, "tcp://127.0.0.1:5555");
    P2pf__Envelope env;
    P2pf__NodeHandle fh;
    uint8_t fid[16];
    ovl_wire_envelope_init (&env, &fh, fid, &from);
    P2pf__RowRequest rr = P2PF__ROW_REQUEST__INIT;
    rr.row = OVL_ID_DIGITS - 1;
    env.body_case = P2PF__ENVELOPE__BODY_ROW_REQUEST;
    env.row_request = &rr;
    size_t len;
    uint8_t *buf = ovl_wire_encode_alloc (&env, &len);
    assert_non_null (buf);
    P2pf__Envelope *out = NULL;
    ovl_wire_error_t why;
    assert_int_equal (ovl_wire_decode (buf, len, &out, &why), 0);
    assert_int_equal (out->row_request->row, OVL_ID_DIGITS - 1);
    ovl_wire_free (&out);
    free (buf);
    rr.row = OVL_ID_DIGITS; /* the encoder refuses it too */
    assert_null (ovl_wire_encode_alloc (&env, &len));
    /* bytes from protobuf-c itself, bypassing our encoder's check: the
     * decoder must refuse row 32 */
    size_t raw_len = p2pf__envelope__get_packed_size (&env);
    uint8_t *raw = malloc (raw_len);
    assert_non_null (raw);
    p2pf__envelope__pack (&env, raw);
    assert_int_equal (ovl_wire_decode (raw, raw_len, &out, &why), -1);
    assert_int_equal (why, OVL_WIRE_EBADFIELD);
    free (raw);
}

static void
test_reject_lists_over_cap (void **state)
{
    (void)state;
    ovl_rng_t rng;
    s_rng (&rng, 6);
    s_msg_t *m = s_msg_new ();
    const int kinds[] = { K_JOIN_ROW, K_JOIN_LEAVES, K_LEAFSET_REPLY, K_ANYCAST_WALK };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t cap = s_list_cap (kinds[i]);
        s_build (m, kinds[i], cap, 0, &rng);
        assert_why (&m->env, OVL_WIRE_OK);
        s_build (m, kinds[i], cap + 1, 0, &rng);
        if (ovl_wire_validate (&m->env, NULL) == 0)
            fail_msg ("%s with %zu entries passed", s_kind_name[kinds[i]], cap + 1);
        assert_why (&m->env, OVL_WIRE_ECAP);
    }
    /* AnycastWalk's two lists separately */
    s_build (m, K_ANYCAST_WALK, OVL_WIRE_WALK_MAX, 0, &rng);
    m->anycast_walk.n_visited = OVL_WIRE_WALK_MAX + 1;
    assert_why (&m->env, OVL_WIRE_ECAP);
    s_build (m, K_ANYCAST_WALK, OVL_WIRE_WALK_MAX, 0, &rng);
    m->anycast_walk.n_to_visit = OVL_WIRE_WALK_MAX + 1;
    assert_why (&m->env, OVL_WIRE_ECAP);
    free (m);
}

/* Writes v as a protobuf varint at buf + len; the new length. */
static size_t
s_put_varint (uint8_t *buf, size_t len, uint64_t v)
{
    for (; v >= 0x80; v >>= 7)
        buf[len++] = (uint8_t)(v | 0x80);
    buf[len++] = (uint8_t)v;
    return len;
}

/* Appends an unknown length-delimited field 99 of n bytes to an encoding:
 * protobuf merges concatenated encodings, so the result is the same
 * message with one unknown field. Returns the new length. */
static size_t
s_append_unknown (uint8_t *buf, size_t len, size_t n)
{
    len = s_put_varint (buf, len, (99 << 3) | 2);
    len = s_put_varint (buf, len, n);
    memset (buf + len, 0x55, n);
    return len + n;
}

/* Unknown fields are kept (and forwarded), but only with a field number
 * protobuf allows: protobuf-c reads 0x82 0x00 as field 0 and would write
 * it back as 0x02, which it refuses -- a Routed message carrying one was
 * forwarded to a next hop that dropped it unacknowledged (fuzz_wire). */
static void
test_reject_unknown_field_numbers (void **state)
{
    (void)state;
    ovl_rng_t rng;
    s_rng (&rng, 12);
    s_msg_t *m = s_msg_new ();
    uint8_t buf[4096];
    P2pf__Envelope *env = NULL;
    ovl_wire_error_t why;
    const uint8_t field0[] = { 0x82, 0x00, 0x00 }; /* field 0, bytes, length 0 */
    const uint8_t field2e29[] = { 0x80, 0x80, 0x80, 0x80, 0x10, 0x01 }; /* field 2^29 = 1 */
    const uint8_t field_max[] = { 0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01 }; /* 2^29 - 1 = 1 */
    const struct {
        const uint8_t *bytes;
        size_t len;
        int ok;
    } fields[] = { { field0, sizeof field0, 0 },
                   { field2e29, sizeof field2e29, 0 },
                   { field_max, sizeof field_max, 1 } };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        /* in the envelope itself */
        s_build (m, K_PING, 0, 0, &rng);
        size_t len = (size_t)ovl_wire_encode (&m->env, buf, sizeof buf);
        memcpy (buf + len, fields[i].bytes, fields[i].len);
        len += fields[i].len;
        assert_int_equal (ovl_wire_decode (buf, len, &env, &why), fields[i].ok ? 0 : -1);
        assert_int_equal (why, fields[i].ok ? OVL_WIRE_OK : OVL_WIRE_EMALFORMED);
        ovl_wire_free (&env);
        /* inside a whole Routed body, as a forwarding node gets it */
        s_build (m, K_ROUTED_APP, 0, 8, &rng);
        uint8_t routed[2048];
        size_t routed_len = p2pf__routed__pack (m->env.routed, routed);
        memcpy (routed + routed_len, fields[i].bytes, fields[i].len);
        routed_len += fields[i].len;
        m->env.body_case = P2PF__ENVELOPE__BODY__NOT_SET;
        len = p2pf__envelope__pack (&m->env, buf);
        len = s_put_varint (buf, len, (12 << 3) | 2);
        len = s_put_varint (buf, len, routed_len);
        memcpy (buf + len, routed, routed_len);
        len += routed_len;
        assert_int_equal (ovl_wire_decode (buf, len, &env, &why), fields[i].ok ? 0 : -1);
        assert_int_equal (why, fields[i].ok ? OVL_WIRE_OK : OVL_WIRE_EMALFORMED);
        if (env) {
            /* what is accepted is forwarded, and the next hop takes it */
            assert_int_equal (env->routed->base.n_unknown_fields, 1);
            uint8_t again[4096];
            int n = ovl_wire_encode (env, again, sizeof again);
            assert_true (n > 0);
            ovl_wire_free (&env);
            assert_int_equal (ovl_wire_decode (again, (size_t)n, &env, &why), 0);
            ovl_wire_free (&env);
        }
    }
    /* the same rule for the job protocol's messages (ovl_wire_unpack) */
    const uint8_t job_msg[] = { 0x08, 0x01, 0x82, 0x00, 0x00 }; /* version 1, field 0 */
    assert_null (ovl_wire_unpack (&p2pf__job_msg__descriptor, job_msg, sizeof job_msg, &why));
    assert_int_equal (why, OVL_WIRE_EMALFORMED);
    ProtobufCMessage *ok = ovl_wire_unpack (&p2pf__job_msg__descriptor, job_msg, 2, &why);
    assert_non_null (ok);
    protobuf_c_message_free_unpacked (ok, NULL);
    free (m);
}

/* Payloads up to the cap pass; one byte more does not; a message of exactly
 * OVL_WIRE_MAX_BYTES is not "too big". */
static void
test_payload_cap_and_size_limit (void **state)
{
    (void)state;
    ovl_rng_t rng;
    s_rng (&rng, 7);
    s_msg_t *m = s_msg_new ();
    uint8_t *big = malloc (OVL_WIRE_MAX_BYTES + 1);
    uint8_t *buf = malloc (OVL_WIRE_MAX_BYTES + 4096);
    assert_non_null (big);
    assert_non_null (buf);
    memset (big, 0xa5, OVL_WIRE_MAX_BYTES + 1);

    s_build (m, K_APP, 0, 0, &rng);
    m->app.payload = (ProtobufCBinaryData){ OVL_WIRE_PAYLOAD_MAX, big };
    int len = ovl_wire_encode (&m->env, buf, OVL_WIRE_MAX_BYTES);
    assert_true (len > OVL_WIRE_PAYLOAD_MAX && len < OVL_WIRE_MAX_BYTES);
    P2pf__Envelope *env = NULL;
    ovl_wire_error_t why;
    assert_int_equal (ovl_wire_decode (buf, (size_t)len, &env, &why), 0);
    assert_int_equal (env->app->payload.len, OVL_WIRE_PAYLOAD_MAX);
    assert_memory_equal (env->app->payload.data, big, OVL_WIRE_PAYLOAD_MAX);
    ovl_wire_free (&env);

    /* padded with an unknown field to exactly the limit */
    size_t pad = OVL_WIRE_MAX_BYTES - (size_t)len - 4; /* tag 2 + length 2 */
    size_t full = s_append_unknown (buf, (size_t)len, pad);
    assert_int_equal (full, OVL_WIRE_MAX_BYTES);
    assert_int_equal (ovl_wire_decode (buf, full, &env, &why), 0);
    assert_int_equal (env->base.n_unknown_fields, 1);
    ovl_wire_free (&env);

    m->app.payload.len = OVL_WIRE_PAYLOAD_MAX + 1;
    assert_int_equal (ovl_wire_encode (&m->env, buf, OVL_WIRE_MAX_BYTES), -1);
    assert_why (&m->env, OVL_WIRE_ECAP);
    s_build (m, K_ROUTED_PUBLISH, 0, 0, &rng);
    m->publish.payload = (ProtobufCBinaryData){ OVL_WIRE_PAYLOAD_MAX + 1, big };
    assert_why (&m->env, OVL_WIRE_ECAP);
    s_build (m, K_GROUP_DATA, 0, 0, &rng);
    m->group_data.payload = (ProtobufCBinaryData){ OVL_WIRE_PAYLOAD_MAX + 1, big };
    assert_why (&m->env, OVL_WIRE_ECAP);

    /* past the limit: the encoder refuses, the decoder never unpacks */
    s_build (m, K_APP, 0, 0, &rng);
    m->app.payload = (ProtobufCBinaryData){ OVL_WIRE_MAX_BYTES, big };
    size_t len_out = 0;
    assert_true (ovl_wire_size (&m->env) > OVL_WIRE_MAX_BYTES);
    assert_null (ovl_wire_encode_alloc (&m->env, &len_out));
    assert_int_equal (ovl_wire_encode (&m->env, buf, OVL_WIRE_MAX_BYTES + 4096), -1);
    size_t over = p2pf__envelope__pack (&m->env, buf);
    assert_int_equal (ovl_wire_decode (buf, over, &env, &why), -1);
    assert_int_equal (why, OVL_WIRE_ETOOBIG);

    free (buf);
    free (big);
    free (m);
}

/* A message of many tiny fields costs far more memory decoded than on the
 * wire; the decoder's budget refuses it before protobuf-c allocates it. */
static void
test_memory_budget (void **state)
{
    (void)state;
    ovl_rng_t rng;
    s_rng (&rng, 8);
    s_msg_t *m = s_msg_new ();
    const size_t n = 100000;
    uint8_t *buf = malloc (4096 + 3 * n);
    assert_non_null (buf);
    P2pf__Envelope *env = NULL;
    ovl_wire_error_t why;

    /* a JoinRow of 100,000 empty entries (2 bytes each: tag, length 0)
     * would be ~9 MB of structs from 200 KB */
    s_build (m, K_JOIN_ROW, 0, 0, &rng);
    int enc = ovl_wire_encode (&m->env, buf, 4096);
    assert_true (enc > 0);
    size_t len = (size_t)enc;
    len = s_put_varint (buf, len, (14 << 3) | 2); /* Envelope.join_row again */
    len = s_put_varint (buf, len, 2 * n);
    for (size_t i = 0; i < n; i++) {
        buf[len++] = (2 << 3) | 2; /* JoinRow.entries, length 0 */
        buf[len++] = 0x00;
    }
    assert_int_equal (ovl_wire_decode (buf, len, &env, &why), -1);
    assert_int_equal (why, OVL_WIRE_ECAP);

    /* 100,000 unknown varint fields (3 bytes each) */
    s_build (m, K_PING, 0, 0, &rng);
    size_t ping_len = (size_t)ovl_wire_encode (&m->env, buf, 4096);
    len = ping_len;
    for (size_t i = 0; i < n; i++) {
        len = s_put_varint (buf, len, 99 << 3); /* field 99, varint */
        buf[len++] = 0x01;
    }
    assert_int_equal (ovl_wire_decode (buf, len, &env, &why), -1);
    assert_int_equal (why, OVL_WIRE_ECAP);

    /* ... while a few unknown fields are merely ignored */
    len = ping_len;
    for (size_t i = 0; i < 10; i++) {
        len = s_put_varint (buf, len, 99 << 3);
        buf[len++] = 0x01;
    }
    assert_int_equal (ovl_wire_decode (buf, len, &env, &why), 0);
    assert_int_equal (env->base.n_unknown_fields, 10);
    assert_int_equal (env->ping->nonce, m->ping.nonce);
    ovl_wire_free (&env);

    /* the largest legal lists with the longest addresses and tiny ids fit */
    s_build (m, K_ANYCAST_WALK, OVL_WIRE_WALK_MAX, 0, &rng);
    for (int i = 0; i < S_HANDLES; i++) {
        memset (m->hs[i].addr, 'x', OVL_ADDR_MAX - 1);
        m->hs[i].addr[OVL_ADDR_MAX - 1] = '\0';
    }
    s_round_trip (m, "AnycastWalk at caps, longest addresses");
    s_build (m, K_ANYCAST_WALK, OVL_WIRE_WALK_MAX, 0, &rng);
    for (int i = 0; i < S_HANDLES; i++)
        strcpy (m->hs[i].addr, "a");
    s_round_trip (m, "AnycastWalk at caps, shortest addresses");
    free (buf);
    free (m);
}

/* --- seeded abuse ------------------------------------------------------- */

/* Every prefix of every kind: a valid message (cut at a field boundary) or
 * a rejection, and the cuts inside a field are reported as malformed. */
static void
test_every_prefix (void **state)
{
    (void)state;
    ovl_rng_t rng;
    s_rng (&rng, 9);
    s_corpus_t c;
    s_corpus_build (&c, &rng);
    ovl_wire_stats_t stats = { 0 };
    size_t total = 0;
    for (int k = 0; k < K_COUNT; k++) {
        for (size_t len = 0; len <= c.len[k]; len++)
            s_decode_any (c.buf[k], len, &stats);
        total += c.len[k] + 1;
        P2pf__Envelope *env = NULL;
        ovl_wire_error_t why;
        assert_int_equal (ovl_wire_decode (c.buf[k], c.len[k], &env, &why), 0);
        ovl_wire_free (&env);
    }
    assert_int_equal (stats.decoded_ok + ovl_wire_stats_rejected (&stats), total);
    assert_int_equal (stats.rejected[OVL_WIRE_EEMPTY], K_COUNT);
    assert_true (stats.rejected[OVL_WIRE_EMALFORMED] > total / 2);
    assert_true (stats.decoded_ok >= K_COUNT);
    print_message ("prefixes: %zu, ok %llu, malformed %llu, other rejections %llu\n", total,
                   (unsigned long long)stats.decoded_ok,
                   (unsigned long long)stats.rejected[OVL_WIRE_EMALFORMED],
                   (unsigned long long)(ovl_wire_stats_rejected (&stats) -
                                        stats.rejected[OVL_WIRE_EMALFORMED]));
    s_corpus_free (&c);
}

static void
test_random_garbage (void **state)
{
    (void)state;
    ovl_rng_t rng;
    s_rng (&rng, 10);
    ovl_wire_stats_t stats = { 0 };
    uint8_t buf[512];
    const int runs = 20000;
    for (int i = 0; i < runs; i++) {
        size_t len = 1 + ovl_rng_below (&rng, sizeof buf);
        for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t)ovl_rng_next (&rng);
        /* decode from a heap copy of exactly len bytes, so ASan sees any
         * read past the end */
        uint8_t *copy = malloc (len);
        assert_non_null (copy);
        memcpy (copy, buf, len);
        s_decode_any (copy, len, &stats);
        free (copy);
    }
    assert_int_equal (stats.decoded_ok + ovl_wire_stats_rejected (&stats), runs);
    print_message ("garbage: %d buffers, ok %llu, malformed %llu\n", runs,
                   (unsigned long long)stats.decoded_ok,
                   (unsigned long long)stats.rejected[OVL_WIRE_EMALFORMED]);
}

/* One byte of a valid message changed (to a random value, or one bit
 * flipped): valid, or rejected. */
static void
test_single_byte_mutations (void **state)
{
    (void)state;
    ovl_rng_t rng;
    s_rng (&rng, 11);
    s_corpus_t c;
    s_corpus_build (&c, &rng);
    ovl_wire_stats_t stats = { 0 };
    const int runs = 20000;
    for (int i = 0; i < runs; i++) {
        int k = (int)ovl_rng_below (&rng, K_COUNT);
        uint8_t *copy = malloc (c.len[k]);
        assert_non_null (copy);
        memcpy (copy, c.buf[k], c.len[k]);
        size_t at = ovl_rng_below (&rng, c.len[k]);
        if (i % 2)
            copy[at] ^= (uint8_t)(1u << ovl_rng_below (&rng, 8));
        else
            copy[at] = (uint8_t)ovl_rng_next (&rng);
        s_decode_any (copy, c.len[k], &stats);
        free (copy);
    }
    assert_int_equal (stats.decoded_ok + ovl_wire_stats_rejected (&stats), runs);
    assert_true (ovl_wire_stats_rejected (&stats) > 0);
    print_message ("mutations: %d, still valid %llu, rejected %llu (badfield %llu)\n", runs,
                   (unsigned long long)stats.decoded_ok,
                   (unsigned long long)ovl_wire_stats_rejected (&stats),
                   (unsigned long long)stats.rejected[OVL_WIRE_EBADFIELD]);
    s_corpus_free (&c);
}

/* --- helpers, stats, strings -------------------------------------------- */

static void
test_helpers (void **state)
{
    (void)state;
    ovl_rng_t rng;
    s_rng (&rng, 12);
    ovl_handle_t h, back;
    s_random_handle (&rng, 0, &h); /* the longest address */
    P2pf__NodeHandle msg;
    uint8_t idbuf[16];
    ovl_wire_handle_set (&msg, idbuf, &h);
    assert_int_equal (msg.id.len, 16);
    assert_ptr_equal (msg.id.data, idbuf);
    assert_ptr_equal (msg.addr, h.addr); /* no copy */
    ovl_wire_handle_get (&msg, &back);
    assert_true (ovl_handle_eq (&h, &back));
    assert_true (ovl_id_eq (ovl_wire_id (msg.id), h.id));

    /* not 16 bytes: the zero id, not a read past the field */
    ProtobufCBinaryData shortid = { 15, idbuf };
    ovl_id_t zero = ovl_wire_id (shortid);
    assert_true (zero.hi == 0 && zero.lo == 0);

    P2pf__Envelope env;
    P2pf__NodeHandle from;
    uint8_t from_id[16];
    P2pf__Ping ping = P2PF__PING__INIT;
    ping.nonce = 7;
    ovl_wire_envelope_init (&env, &from, from_id, &h);
    assert_int_equal (env.version, OVL_WIRE_VERSION);
    assert_ptr_equal (env.from, &from);
    ovl_wire_error_t why;
    assert_int_equal (ovl_wire_validate (&env, &why), -1); /* no body yet */
    assert_int_equal (why, OVL_WIRE_ENOBODY);
    assert_int_equal (ovl_wire_encode (&env, (uint8_t[256]){ 0 }, 256), -1);
    env.body_case = P2PF__ENVELOPE__BODY_PING;
    env.ping = &ping;
    uint8_t buf[256];
    int len = ovl_wire_encode (&env, buf, sizeof buf);
    assert_true (len > 0);
    P2pf__Envelope *out = NULL;
    assert_int_equal (ovl_wire_decode (buf, (size_t)len, &out, &why), 0);
    ovl_wire_handle_get (out->from, &back);
    assert_true (ovl_handle_eq (&h, &back));
    assert_int_equal (out->ping->nonce, 7);
    ovl_wire_free (&out);
    ovl_wire_free (NULL);
}

static void
test_stats_and_strings (void **state)
{
    (void)state;
    ovl_wire_stats_t stats = { 0 };
    ovl_wire_stats_count (&stats, 0, OVL_WIRE_OK);
    ovl_wire_stats_count (&stats, 0, OVL_WIRE_OK);
    ovl_wire_stats_count (&stats, -1, OVL_WIRE_ECAP);
    ovl_wire_stats_count (&stats, -1, OVL_WIRE_EMALFORMED);
    ovl_wire_stats_count (&stats, -1, OVL_WIRE_EMALFORMED);
    assert_int_equal (stats.decoded_ok, 2);
    assert_int_equal (stats.rejected[OVL_WIRE_ECAP], 1);
    assert_int_equal (stats.rejected[OVL_WIRE_EMALFORMED], 2);
    assert_int_equal (ovl_wire_stats_rejected (&stats), 3);

    const char *unknown = ovl_wire_strerror (OVL_WIRE_NERRORS);
    for (int i = 0; i < OVL_WIRE_NERRORS; i++) {
        const char *s = ovl_wire_strerror ((ovl_wire_error_t)i);
        assert_non_null (s);
        assert_string_not_equal (s, unknown);
        for (int j = 0; j < i; j++)
            assert_string_not_equal (s, ovl_wire_strerror ((ovl_wire_error_t)j));
    }
}

int
main (void)
{
    s_seed = tu_seed ("test_wire");

    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_round_trip_every_kind),
        cmocka_unit_test (test_comparison_sees_every_change),
        cmocka_unit_test (test_reject_empty_and_oversized),
        cmocka_unit_test (test_reject_envelope_header),
        cmocka_unit_test (test_reject_bad_handles),
        cmocka_unit_test (test_reject_bad_body_fields),
        cmocka_unit_test (test_reject_row_request_out_of_range),
        cmocka_unit_test (test_reject_lists_over_cap),
        cmocka_unit_test (test_reject_unknown_field_numbers),
        cmocka_unit_test (test_payload_cap_and_size_limit),
        cmocka_unit_test (test_memory_budget),
        cmocka_unit_test (test_every_prefix),
        cmocka_unit_test (test_random_garbage),
        cmocka_unit_test (test_single_byte_mutations),
        cmocka_unit_test (test_helpers),
        cmocka_unit_test (test_stats_and_strings),
    };
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    if (failed)
        printf ("test_wire: failed with seed %llu: rerun with P2PF_SEED=%llu\n",
                (unsigned long long)s_seed, (unsigned long long)s_seed);
    return failed;
}
