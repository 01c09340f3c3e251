/* handle.h: a node handle -- who a node is (its id) and where to reach it
 * (an endpoint the transport understands: "tcp://10.0.0.7:5555" for
 * ZeroMQ, "sim:42" in the simulator). The cores never interpret addr. */
#ifndef OVL_HANDLE_H
#define OVL_HANDLE_H

#include <string.h>

#include "id.h"

#define OVL_ADDR_MAX 64 /* bytes of addr including the NUL */

typedef struct {
    ovl_id_t id;             /* the node's id */
    char addr[OVL_ADDR_MAX]; /* its endpoint, NUL-terminated */
} ovl_handle_t;

static inline int
ovl_handle_eq (const ovl_handle_t *a, const ovl_handle_t *b)
{
    return ovl_id_eq (a->id, b->id) && strcmp (a->addr, b->addr) == 0;
}

#endif
