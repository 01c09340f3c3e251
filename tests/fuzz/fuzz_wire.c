/* fuzz_wire.c: libFuzzer target for the overlay's wire decoder -- any bytes
 * as one message off the ROUTER (ovl_wire_decode: protobuf-c under the
 * memory budget, then validation).
 *
 * An envelope that decodes must re-encode (what one peer accepts it could
 * have sent), and that encoding must decode and re-encode to itself; its
 * handles must read back as valid addresses. A payload it carries for the
 * job protocol goes through the job codec too (fz_jobmsg), as in a peer. */
#include "fuzz_common.h"

#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The job-protocol payload an envelope carries, if any. */
static const ProtobufCBinaryData *
s_payload (const P2pf__Envelope *env)
{
    switch (env->body_case) {
    case P2PF__ENVELOPE__BODY_APP:
        return &env->app->payload;
    case P2PF__ENVELOPE__BODY_GROUP_DATA:
        return &env->group_data->payload;
    case P2PF__ENVELOPE__BODY_ANYCAST_WALK:
        return &env->anycast_walk->payload;
    case P2PF__ENVELOPE__BODY_ROUTED:
        switch (env->routed->kind_case) {
        case P2PF__ROUTED__KIND_APP:
            return &env->routed->app->payload;
        case P2PF__ROUTED__KIND_PUBLISH:
            return &env->routed->publish->payload;
        case P2PF__ROUTED__KIND_ANYCAST:
            return &env->routed->anycast->payload;
        default:
            return NULL;
        }
    default:
        return NULL;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    P2pf__Envelope *env = NULL;
    ovl_wire_error_t why = OVL_WIRE_NERRORS;
    int rc = ovl_wire_decode (data, size, &env, &why);
    FZ_CHECK ((rc == 0) == (env != NULL));
    FZ_CHECK ((rc == 0) == (why == OVL_WIRE_OK));
    FZ_CHECK (why < OVL_WIRE_NERRORS);
    if (rc != 0)
        return 0;

    ovl_handle_t from;
    ovl_wire_handle_get (env->from, &from);
    size_t addr_len = strlen (from.addr);
    FZ_CHECK (addr_len > 0 && addr_len < OVL_ADDR_MAX);

    const ProtobufCBinaryData *payload = s_payload (env);
    if (payload)
        fz_jobmsg (payload->data, payload->len);

    size_t len1, len2;
    uint8_t *enc1 = ovl_wire_encode_alloc (env, &len1);
    FZ_CHECK (enc1 != NULL);
    ovl_wire_free (&env);
    FZ_CHECK (ovl_wire_decode (enc1, len1, &env, &why) == 0);
    uint8_t *enc2 = ovl_wire_encode_alloc (env, &len2);
    FZ_CHECK (enc2 != NULL && len2 == len1 && memcmp (enc1, enc2, len1) == 0);
    ovl_wire_free (&env);
    free (enc1);
    free (enc2);
    return 0;
}
