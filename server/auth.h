/*
 * auth.h - every role and scope decision of the daemon, in one place.
 *
 * The matrix (route access level x role):
 *
 *               OPEN PUBLIC REGISTER ENGRAVER POLICE
 *   (no token)   yes  yes    401      401      401
 *   engraver     yes  yes    own      own      403
 *   police       yes  yes    403      yes      yes
 *   admin        yes  yes    yes      yes      yes
 *
 * "own": the code or prefix concerned must start with the engraver's
 * 7-digit scope (auth_scope_allows()).  A revoked token is 401
 * token_revoked; an unknown or malformed one 401 unauthorized.
 */
#ifndef SEAL_SERVER_AUTH_H
#define SEAL_SERVER_AUTH_H

#include "registry/registry.h"
#include "server/router.h"

#define AUTH_HEADER_MAX 256 /* bytes of an Authorization header considered */

/* Does the access level need a token at all? */
int auth_needs_token(enum route_access access);

/*
 * Check "Bearer <token>" (header may be NULL) in txn and fill actor.
 * Returns 0, SEAL_EAUTH (missing, malformed or unknown) or SEAL_EREVOKED.
 */
int auth_authenticate(struct registry_txn *txn, const char *header, struct registry_actor *actor);

/* May actor call a route of this access level?  0 or SEAL_EPERM. */
int auth_role_allows(enum route_access access, const struct registry_actor *actor);

/*
 * May actor act on the seal code or engraver prefix `what` (7 or 13
 * digits)?  Admin and police: yes; engraver: only when what starts with its
 * 7-digit scope.  0 or SEAL_EPERM.
 */
int auth_scope_allows(const struct registry_actor *actor, const char *what);

/* For listings: the prefix an actor is confined to ("" = everything). */
const char *auth_scope_prefix(const struct registry_actor *actor);

#endif
