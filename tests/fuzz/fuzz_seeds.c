/* fuzz_seeds.c: writes the generated part of the seed corpora -- valid
 * inputs built with the real encoders, so the fuzzers start from messages
 * a peer really sends:
 *
 *   fuzz_seeds tests/fuzz/corpus
 *
 * fuzz_wire/    one envelope of every body kind (and every routed kind),
 *               those with payloads carrying job messages about fz_job 0
 * fuzz_jobmsg/  every JobMsg kind about fz_job 0 and fz_job 1
 * fuzz_peer/    event sequences (fuzz_peer.c): every JobMsg kind direct,
 *               published and routed; every envelope; a job to its end
 * fuzz_png/     small PNGs whose Comment is a job's parameters: before and
 *               after the image data, tEXt, zTXt and iTXt, RGB and grey16
 * fuzz_params/  the canonical parameter text of both jobs
 *
 * The hand-made seeds (tests/data, assets/palettes) were copied once and
 * are committed beside these. Re-run after a change to the wire format. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "png_io.h"
#include "tu_jobmsg.h"
#include "wire.h"

static const char *s_root;

/* A fuzz_peer input being built: records of [op][length LE16][bytes]. */
typedef struct {
    uint8_t buf[1 << 16];
    size_t len;
} s_records_t;

static void
s_record (s_records_t *r, uint8_t op, const void *bytes, size_t len)
{
    if (r->len + 3 + len > sizeof r->buf || len > 0xffff) {
        fprintf (stderr, "fuzz_seeds: a fuzz_peer seed over %zu bytes\n", sizeof r->buf);
        exit (1);
    }
    r->buf[r->len++] = op;
    r->buf[r->len++] = (uint8_t)(len & 0xff);
    r->buf[r->len++] = (uint8_t)(len >> 8);
    if (len)
        memcpy (r->buf + r->len, bytes, len);
    r->len += len;
}

/* Time passes (ms), then a render finishes. */
static void
s_record_step (s_records_t *r, unsigned ms)
{
    const uint8_t t[2] = { (uint8_t)(ms & 0xff), (uint8_t)(ms >> 8) };
    s_record (r, 4, t, sizeof t);
    s_record (r, 5, NULL, 0);
}

static void
s_write (const char *dir, const char *name, const void *data, size_t len)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", s_root, dir);
    mkdir (path, 0755);
    snprintf (path, sizeof path, "%s/%s/%s", s_root, dir, name);
    FILE *f = fopen (path, "wb");
    if (!f || fwrite (data, 1, len, f) != len || fclose (f) != 0) {
        fprintf (stderr, "fuzz_seeds: cannot write %s\n", path);
        exit (1);
    }
}

/* A handle as a real peer on loopback would have. */
static ovl_handle_t
s_handle (const char *name, int port)
{
    ovl_handle_t h;
    memset (&h, 0, sizeof h);
    h.id = ovl_id_from_name (name, strlen (name));
    snprintf (h.addr, sizeof h.addr, "tcp://127.0.0.1:%d", port);
    return h;
}

/* The encoded JobMsg of kind k about fz_job (job); malloc'd. */
static uint8_t *
s_jobmsg (int job, P2pf__JobMsg__KindCase k, size_t *len)
{
    static tu_jobmsg_t b;
    P2pf__JobMsg m;
    ovl_handle_t who = s_handle ("fuzz peer", 5601);
    uint8_t *buf = NULL;
    if (tu_jobmsg_build (&b, &m, k, fz_job (job), &who) != 0 || !(buf = el_msg_encode (&m, len))) {
        fprintf (stderr, "fuzz_seeds: job message kind %d\n", (int)k);
        exit (1);
    }
    return buf;
}

/* Every JobMsg kind, alone (fuzz_jobmsg) and as fuzz_peer events: from
 * another node directly, published and routed, with time passing and
 * renders finishing between them; and a job rendered to the end. */
static void
s_jobmsgs (void)
{
    static s_records_t via[3];
    for (int j = 0; j < FZ_JOBS; j++)
        for (int i = 0; i < TU_JOBMSG_KINDS; i++) {
            size_t len;
            uint8_t *buf = s_jobmsg (j, tu_jobmsg_kinds[i], &len);
            char name[64];
            const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field (
                &p2pf__job_msg__descriptor, (unsigned)tu_jobmsg_kinds[i]);
            snprintf (name, sizeof name, "job%d-%s.bin", j, f ? f->name : "unknown");
            s_write ("fuzz_jobmsg", name, buf, len);
            for (int v = 0; j == 0 && v < 3; v++) {
                s_record (&via[v], (uint8_t)(1 + v), buf, len);
                s_record_step (&via[v], 150);
            }
            free (buf);
        }
    s_write ("fuzz_peer", "direct-every-kind.bin", via[0].buf, via[0].len);
    s_write ("fuzz_peer", "published-every-kind.bin", via[1].buf, via[1].len);
    s_write ("fuzz_peer", "routed-every-kind.bin", via[2].buf, via[2].len);

    static s_records_t whole;
    for (int k = 0; k < 8; k++)
        s_record_step (&whole, 400);
    const uint8_t yes = 1;
    s_record (&whole, 7, &yes, 1);
    s_record (&whole, 6, NULL, 0);
    s_record_step (&whole, 2000);
    s_write ("fuzz_peer", "render-to-the-end.bin", whole.buf, whole.len);
}

/* Envelopes as fuzz_peer events. */
static s_records_t s_wire_records;

/* Every body of an Envelope, valid, from one sender (fuzz_wire; and
 * together, as fuzz_peer events). */
static void
s_envelopes (void)
{
    ovl_handle_t self = s_handle ("fuzz sender", 5600), other = s_handle ("fuzz other", 5602);
    const el_job_t *job = fz_job (0);
    P2pf__NodeHandle from_msg, other_msg, *handles[2] = { &from_msg, &other_msg };
    uint8_t from_id[16], other_id[16], group[16], other_raw[16];
    size_t beat_len, slice_len, nom_len;
    uint8_t *beat = s_jobmsg (0, P2PF__JOB_MSG__KIND_HEARTBEAT, &beat_len);
    uint8_t *slice = s_jobmsg (0, P2PF__JOB_MSG__KIND_SLICE_DATA, &slice_len);
    uint8_t *nom = s_jobmsg (0, P2PF__JOB_MSG__KIND_NOMINATION, &nom_len);
    ovl_wire_handle_set (&other_msg, other_id, &other);
    ovl_id_to_bytes (job->group, group);
    ovl_id_to_bytes (other.id, other_raw);
    ProtobufCBinaryData group_b = { 16, group }, path[2] = { { 16, group }, { 16, other_raw } };

    P2pf__Ping ping = P2PF__PING__INIT;
    P2pf__Pong pong = P2PF__PONG__INIT;
    P2pf__RoutedAck ack = P2PF__ROUTED_ACK__INIT;
    P2pf__JoinRow row = P2PF__JOIN_ROW__INIT;
    P2pf__JoinLeaves leaves = P2PF__JOIN_LEAVES__INIT;
    P2pf__Announce announce = P2PF__ANNOUNCE__INIT;
    P2pf__LeafSetRequest lsreq = P2PF__LEAF_SET_REQUEST__INIT;
    P2pf__LeafSetReply lsrep = P2PF__LEAF_SET_REPLY__INIT;
    P2pf__GroupJoinAccept accept = P2PF__GROUP_JOIN_ACCEPT__INIT;
    P2pf__GroupRedirect redirect = P2PF__GROUP_REDIRECT__INIT;
    P2pf__GroupLeave gleave = P2PF__GROUP_LEAVE__INIT;
    P2pf__GroupData gdata = P2PF__GROUP_DATA__INIT;
    P2pf__AnycastWalk walk = P2PF__ANYCAST_WALK__INIT;
    P2pf__AnycastResult result = P2PF__ANYCAST_RESULT__INIT;
    P2pf__App app = P2PF__APP__INIT;
    P2pf__RowRequest rowreq = P2PF__ROW_REQUEST__INIT;
    P2pf__Leave leave = P2PF__LEAVE__INIT;
    ping.nonce = pong.nonce = 0x1234;
    ack.msg_id = 77;
    row.row = 3;
    row.n_entries = 2;
    row.entries = handles;
    leaves.n_leaves = 2;
    leaves.leaves = handles;
    leaves.hops = 2;
    lsrep.n_leaves = 2;
    lsrep.leaves = handles;
    accept.group = group_b;
    accept.n_path = 2;
    accept.path = path;
    redirect.group = group_b;
    redirect.to = &other_msg;
    gleave.group = group_b;
    gdata.group = group_b;
    gdata.payload = (ProtobufCBinaryData){ beat_len, beat };
    gdata.publisher = &other_msg;
    gdata.seq = 9;
    walk.group = group_b;
    walk.payload = (ProtobufCBinaryData){ nom_len, nom };
    walk.anycast_id = 5;
    walk.origin = &other_msg;
    walk.n_visited = 1;
    walk.visited = path + 1;
    walk.n_to_visit = 1;
    walk.to_visit = handles + 1;
    result.anycast_id = 5;
    result.accepted = 1;
    result.by = &other_msg;
    app.payload = (ProtobufCBinaryData){ slice_len, slice };
    rowreq.row = 2;

    struct {
        const char *name;
        P2pf__Envelope__BodyCase body;
        void *msg;
    } bodies[] = {
        { "ping", P2PF__ENVELOPE__BODY_PING, &ping },
        { "pong", P2PF__ENVELOPE__BODY_PONG, &pong },
        { "routed-ack", P2PF__ENVELOPE__BODY_ROUTED_ACK, &ack },
        { "join-row", P2PF__ENVELOPE__BODY_JOIN_ROW, &row },
        { "join-leaves", P2PF__ENVELOPE__BODY_JOIN_LEAVES, &leaves },
        { "announce", P2PF__ENVELOPE__BODY_ANNOUNCE, &announce },
        { "leafset-request", P2PF__ENVELOPE__BODY_LEAFSET_REQUEST, &lsreq },
        { "leafset-reply", P2PF__ENVELOPE__BODY_LEAFSET_REPLY, &lsrep },
        { "group-join-accept", P2PF__ENVELOPE__BODY_GROUP_JOIN_ACCEPT, &accept },
        { "group-redirect", P2PF__ENVELOPE__BODY_GROUP_REDIRECT, &redirect },
        { "group-leave", P2PF__ENVELOPE__BODY_GROUP_LEAVE, &gleave },
        { "group-data-heartbeat", P2PF__ENVELOPE__BODY_GROUP_DATA, &gdata },
        { "anycast-walk-nomination", P2PF__ENVELOPE__BODY_ANYCAST_WALK, &walk },
        { "anycast-result", P2PF__ENVELOPE__BODY_ANYCAST_RESULT, &result },
        { "app-slice-data", P2PF__ENVELOPE__BODY_APP, &app },
        { "row-request", P2PF__ENVELOPE__BODY_ROW_REQUEST, &rowreq },
        { "leave", P2PF__ENVELOPE__BODY_LEAVE, &leave },
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        P2pf__Envelope env;
        ovl_wire_envelope_init (&env, &from_msg, from_id, &self);
        env.body_case = bodies[i].body;
        /* Every body pointer of the oneof shares one slot. */
        env.ping = bodies[i].msg;
        size_t len;
        uint8_t *buf = ovl_wire_encode_alloc (&env, &len);
        if (!buf) {
            fprintf (stderr, "fuzz_seeds: envelope %s does not encode\n", bodies[i].name);
            exit (1);
        }
        char name[64];
        snprintf (name, sizeof name, "%s.bin", bodies[i].name);
        s_write ("fuzz_wire", name, buf, len);
        s_record (&s_wire_records, 0, buf, len);
        s_record_step (&s_wire_records, 50);
        free (buf);
    }

    /* Routed, one of each kind; the key is what the kind is routed to. */
    P2pf__Join join = P2PF__JOIN__INIT;
    P2pf__GroupJoin gjoin = P2PF__GROUP_JOIN__INIT;
    P2pf__GroupPublish publish = P2PF__GROUP_PUBLISH__INIT;
    P2pf__AnycastStart anycast = P2PF__ANYCAST_START__INIT;
    P2pf__AppRouted approuted = P2PF__APP_ROUTED__INIT;
    gjoin.group = group_b;
    publish.group = group_b;
    publish.payload = gdata.payload;
    publish.seq = 4;
    anycast.group = group_b;
    anycast.payload = walk.payload;
    anycast.anycast_id = 6;
    approuted.payload = walk.payload;
    struct {
        const char *name;
        P2pf__Routed__KindCase kind;
        void *msg;
    } kinds[] = {
        { "routed-join", P2PF__ROUTED__KIND_JOIN, &join },
        { "routed-group-join", P2PF__ROUTED__KIND_GROUP_JOIN, &gjoin },
        { "routed-publish-heartbeat", P2PF__ROUTED__KIND_PUBLISH, &publish },
        { "routed-anycast", P2PF__ROUTED__KIND_ANYCAST, &anycast },
        { "routed-app-nomination", P2PF__ROUTED__KIND_APP, &approuted },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        P2pf__Envelope env;
        ovl_wire_envelope_init (&env, &from_msg, from_id, &self);
        P2pf__Routed routed = P2PF__ROUTED__INIT;
        routed.key = kinds[i].kind == P2PF__ROUTED__KIND_JOIN ? other_msg.id : group_b;
        routed.msg_id = 11;
        routed.hops = 1;
        routed.origin = &other_msg;
        routed.route_id = 12;
        routed.kind_case = kinds[i].kind;
        routed.join = kinds[i].msg;
        env.body_case = P2PF__ENVELOPE__BODY_ROUTED;
        env.routed = &routed;
        size_t len;
        uint8_t *buf = ovl_wire_encode_alloc (&env, &len);
        if (!buf) {
            fprintf (stderr, "fuzz_seeds: %s does not encode\n", kinds[i].name);
            exit (1);
        }
        char name[64];
        snprintf (name, sizeof name, "%s.bin", kinds[i].name);
        s_write ("fuzz_wire", name, buf, len);
        s_record (&s_wire_records, 0, buf, len);
        s_record_step (&s_wire_records, 50);
        free (buf);
    }
    s_write ("fuzz_peer", "envelopes.bin", s_wire_records.buf, s_wire_records.len);
    free (beat);
    free (slice);
    free (nom);
}

/* A 4x3 8-bit grey PNG through libpng directly: interlaced or not, with a
 * Comment of the given compression before or after the image data. */
static void
s_png_raw (const char *name, int interlace, int compression, int after, const char *comment)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/fuzz_png/%s", s_root, name);
    FILE *f = fopen (path, "wb");
    png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct (png) : NULL;
    if (!f || !info || setjmp (png_jmpbuf (png))) {
        fprintf (stderr, "fuzz_seeds: cannot write %s\n", path);
        exit (1);
    }
    png_init_io (png, f);
    png_set_IHDR (png, info, 4, 3, 8, PNG_COLOR_TYPE_GRAY, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                  PNG_FILTER_TYPE_DEFAULT);
    png_text text;
    memset (&text, 0, sizeof text);
    text.compression = compression;
    text.key = "Comment";
    text.text = (png_charp)comment;
    if (!after)
        png_set_text (png, info, &text, 1);
    png_write_info (png, info);
    static const uint8_t rows[12] = { 0, 40, 80, 120, 160, 200, 240, 20, 60, 100, 140, 180 };
    int passes = png_set_interlace_handling (png);
    for (int pass = 0; pass < passes; pass++)
        for (int y = 0; y < 3; y++)
            png_write_row (png, rows + 4 * y);
    if (after)
        png_set_text (png, info, &text, 1);
    png_write_end (png, info);
    png_destroy_write_struct (&png, &info);
    if (fclose (f) != 0) {
        fprintf (stderr, "fuzz_seeds: cannot write %s\n", path);
        exit (1);
    }
}

static void
s_pngs (void)
{
    char dir[1024], path[1100], err[512];
    snprintf (dir, sizeof dir, "%s/fuzz_png", s_root);
    mkdir (dir, 0755);
    const uint8_t rgb[3 * 3 * 2] = {
        255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9, 0, 0, 0, 200, 100, 50
    };
    const uint16_t grey[4] = { 0, 1000, 65535, 7 };
    snprintf (path, sizeof path, "%s/rgb-text-before.png", dir);
    if (rnd_png_write_rgb (path, rgb, 3, 2, fz_job (0)->params, err, sizeof err) != 0 ||
        (snprintf (path, sizeof path, "%s/grey16-text-before.png", dir),
         rnd_png_write_gray16 (path, grey, 2, 2, fz_job (1)->params, err, sizeof err) != 0) ||
        (snprintf (path, sizeof path, "%s/no-comment.png", dir),
         rnd_png_write_rgb (path, rgb, 3, 2, NULL, err, sizeof err) != 0)) {
        fprintf (stderr, "fuzz_seeds: %s\n", err);
        exit (1);
    }
    s_png_raw ("interlaced-text-after.png", PNG_INTERLACE_ADAM7, PNG_TEXT_COMPRESSION_NONE, 1,
               fz_job (0)->params);
    s_png_raw ("ztxt-before.png", PNG_INTERLACE_NONE, PNG_TEXT_COMPRESSION_zTXt, 0,
               fz_job (1)->params);
    s_png_raw ("itxt-after.png", PNG_INTERLACE_NONE, PNG_ITXT_COMPRESSION_NONE, 1,
               fz_job (0)->params);
    s_png_raw ("itxt-z-before.png", PNG_INTERLACE_ADAM7, PNG_ITXT_COMPRESSION_zTXt, 0,
               fz_job (1)->params);
}

int
main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: fuzz_seeds CORPUS_DIR\n");
        return 2;
    }
    s_root = argv[1];
    mkdir (s_root, 0755);
    s_jobmsgs ();
    s_envelopes ();
    s_pngs ();
    for (int j = 0; j < FZ_JOBS; j++) {
        char name[64];
        snprintf (name, sizeof name, "job%d.params", j);
        s_write ("fuzz_params", name, fz_job (j)->params, strlen (fz_job (j)->params));
    }
    return 0;
}
