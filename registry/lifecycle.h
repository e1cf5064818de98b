/*
 * lifecycle.h - which status changes a seal may go through, and what the
 * public is told about each status.
 *
 *   active   -> lost | revoked | destroyed | disputed
 *   disputed -> active | revoked
 *   lost     -> active            (found again)
 *   revoked, destroyed: final.
 */
#ifndef SEAL_REGISTRY_LIFECYCLE_H
#define SEAL_REGISTRY_LIFECYCLE_H

#include "registry/record.h"

/* 0 when from -> to is allowed, SEAL_ETRANSITION otherwise (including
 * from == to and out-of-range values). */
int lifecycle_check(int from, int to);

/* Plain-language advice for a citizen looking at a seal in status s, or
 * NULL for active.  Static storage. */
const char *lifecycle_advice(enum seal_status s);

#endif
