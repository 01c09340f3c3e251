/* wire.h: the one codec for every message peers exchange. The schema is
 * wire.proto (compiled by protoc-c at build time into wire.pb-c.{c,h});
 * this module adds what protobuf does not give: a hard cap on every length
 * and count, and a validation pass, so the protocol cores can read a
 * decoded envelope without checking anything again.
 *
 * What a decoded envelope guarantees (ovl_wire_validate):
 *   - version == OVL_WIRE_VERSION, `from` present, a body set;
 *   - every id, key and group field exactly 16 bytes;
 *   - every NodeHandle (from, origin, to, publisher, by, list entries)
 *     present where the cores need it, with a 16-byte id and an addr of
 *     1..OVL_ADDR_MAX-1 printable ASCII characters (0x20..0x7e), so it
 *     fits an ovl_handle_t;
 *   - Routed: kind set, origin present; JOIN routes to its origin's id
 *     (key == origin.id); GROUP_JOIN, PUBLISH and ANYCAST route to their
 *     group (key == group);
 *   - JoinRow.row < OVL_ID_DIGITS;
 *   - AnycastResult.by present whenever accepted is true;
 *   - lists and payloads within the caps below.
 * Unknown fields are accepted and ignored (a version-1 peer may add
 * optional fields), but they count against the decoding memory budget.
 *
 * Memory: protobuf-c copies every field out of the buffer, and a message of
 * many tiny repeated or unknown fields costs far more in structs than on the
 * wire (an empty NodeHandle is 2 bytes on the wire, ~100 in memory). Decoding
 * therefore draws from a budget of 2 * len + 256 KiB of heap, and a message
 * that needs more is rejected (OVL_WIRE_ECAP) before it gets it. */
#ifndef OVL_WIRE_H
#define OVL_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "handle.h"
#include "id.h"
#include "wire.pb-c.h"

#define OVL_WIRE_VERSION 1
/* Largest encoded envelope, on both ends; also the inbox's ZMQ_MAXMSGSIZE. */
#define OVL_WIRE_MAX_BYTES (16 * 1024 * 1024)
/* Largest payload: what remains of a maximal message after its envelope. */
#define OVL_WIRE_PAYLOAD_MAX (OVL_WIRE_MAX_BYTES - 4096)
/* JoinRow.entries, JoinLeaves.leaves, LeafSetReply.leaves: one routing-table
 * row, or one leaf set (8 each side). */
#define OVL_WIRE_HANDLES_MAX 16
/* AnycastWalk.visited and AnycastWalk.to_visit. */
#define OVL_WIRE_WALK_MAX 256
/* Most ids in a GroupJoinAccept path (a tree deeper than this is broken). */
#define OVL_WIRE_PATH_MAX 64

/* Why a buffer or an envelope was rejected. */
typedef enum {
    OVL_WIRE_OK = 0,
    OVL_WIRE_EEMPTY,     /* zero-length buffer (often a stray ZeroMQ delimiter frame) */
    OVL_WIRE_ETOOBIG,    /* buffer or encoding over OVL_WIRE_MAX_BYTES */
    OVL_WIRE_EMALFORMED, /* not a protobuf Envelope: truncated or corrupt */
    OVL_WIRE_ENOMEM,     /* the allocator failed (not the peer's fault) */
    OVL_WIRE_EVERSION,   /* version != OVL_WIRE_VERSION */
    OVL_WIRE_ENOBODY,    /* no body in the envelope, or no kind in a Routed */
    OVL_WIRE_EMISSING,   /* a required NodeHandle (from, origin, ...) absent */
    OVL_WIRE_EBADFIELD,  /* an id/key/group not 16 bytes, a bad addr, row out of range,
                            a routed key that does not match its target */
    OVL_WIRE_ECAP,       /* a list or payload over its cap, or over the memory budget */
    OVL_WIRE_NERRORS     /* number of kinds, for tables indexed by kind */
} ovl_wire_error_t;

/* A short, static description of why ("id/key/group not 16 bytes..."). */
const char *ovl_wire_strerror (ovl_wire_error_t why);

/* Decodes and validates one envelope from len bytes of buf. 0 with *env_out
 * owning the message (free it with ovl_wire_free), or -1 with *env_out NULL;
 * *why says which (OVL_WIRE_OK on success). A buffer over
 * OVL_WIRE_MAX_BYTES is rejected before a byte of it is read. */
int ovl_wire_decode (const uint8_t *buf, size_t len, P2pf__Envelope **env_out,
                     ovl_wire_error_t *why);

/* The budgeted, size-capped decoding behind ovl_wire_decode, for messages
 * of another schema carried in payloads (the layer above's, such as the
 * JobMsg of election/job.proto): the message, or NULL with *why set. No
 * validation beyond protobuf's own; free the result with
 * protobuf_c_message_free_unpacked (msg, NULL). */
ProtobufCMessage *ovl_wire_unpack (const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
                                   size_t len, ovl_wire_error_t *why);

/* OVL_WIRE_OK if h is present with a 16-byte id and an addr of
 * 1..OVL_ADDR_MAX-1 printable ASCII characters; else EMISSING/EBADFIELD. */
ovl_wire_error_t ovl_wire_check_handle (const P2pf__NodeHandle *h);

/* Frees a decoded envelope and sets *env_p to NULL; nothing if it is NULL.
 * Only for what ovl_wire_decode returned, never for envelopes the caller
 * built itself. */
void ovl_wire_free (P2pf__Envelope **env_p);

/* 0 if env satisfies everything listed at the top of this file, else -1
 * with *why set. ovl_wire_decode and ovl_wire_encode both run it, so what
 * one peer encodes another accepts. */
int ovl_wire_validate (const P2pf__Envelope *env, ovl_wire_error_t *why);

/* Counters a driver keeps to see what it drops, and why. */
typedef struct {
    uint64_t decoded_ok;                 /* envelopes that decoded and validated */
    uint64_t rejected[OVL_WIRE_NERRORS]; /* rejections by kind ([OVL_WIRE_OK] stays 0) */
} ovl_wire_stats_t;

/* Counts one ovl_wire_decode result: its return code and *why. */
void ovl_wire_stats_count (ovl_wire_stats_t *stats, int rc, ovl_wire_error_t why);

/* Rejections of every kind together. */
uint64_t ovl_wire_stats_rejected (const ovl_wire_stats_t *stats);

/* Encoded size of env in bytes (whether or not it is valid). */
size_t ovl_wire_size (const P2pf__Envelope *env);

/* Encodes env into buf (cap bytes). Its length, or -1 if env does not
 * validate, is over OVL_WIRE_MAX_BYTES, or does not fit cap. Sending a
 * message that fails validation is a bug on this side; refusing to encode it
 * shows the bug here instead of as a silent drop on the peer. */
int ovl_wire_encode (const P2pf__Envelope *env, uint8_t *buf, size_t cap);

/* As ovl_wire_encode, into a malloc'd buffer of *len_out bytes (free()
 * it). NULL if env does not validate, is too big, or memory runs out. */
uint8_t *ovl_wire_encode_alloc (const P2pf__Envelope *env, size_t *len_out);

/* Fills msg to describe h without allocating: the id is written into idbuf
 * and msg->addr points at h->addr, so h and idbuf must outlive msg. */
void ovl_wire_handle_set (P2pf__NodeHandle *msg, uint8_t idbuf[16], const ovl_handle_t *h);

/* The handle msg describes. Only for validated messages (a decoded
 * envelope's handles are); an unvalidated one may be truncated. */
void ovl_wire_handle_get (const P2pf__NodeHandle *msg, ovl_handle_t *out);

/* The id in a validated 16-byte field; the zero id if b is not 16 bytes
 * (a programmer error: validated messages never have one). */
ovl_id_t ovl_wire_id (ProtobufCBinaryData b);

/* Fills b to point at 16 bytes of idbuf, written from id. */
void ovl_wire_id_set (ProtobufCBinaryData *b, uint8_t idbuf[16], ovl_id_t id);

/* Starts an outgoing envelope: version, and `from` describing the sender
 * through from_storage and from_id (which must outlive env). The caller then
 * sets body_case and the body pointer. */
void ovl_wire_envelope_init (P2pf__Envelope *env, P2pf__NodeHandle *from_storage,
                             uint8_t from_id[16], const ovl_handle_t *from);

#endif
