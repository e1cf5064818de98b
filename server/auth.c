/*
 * auth.c - tokens to actors, and the role x route x scope matrix.
 *
 * The token is looked up by registry_token_check() (SHA-256 of the token
 * in the accounts database); the account becomes an actor through
 * registry_actor_from_account().  The token itself is never logged or
 * kept.
 */
#include "server/auth.h"

#include <string.h>
#include <strings.h>

#include "common/errors.h"

int
auth_needs_token(enum route_access access)
{
	return access == ACCESS_REGISTER || access == ACCESS_ENGRAVER || access == ACCESS_POLICE;
}

int
auth_authenticate(struct registry_txn *txn, const char *header, struct registry_actor *actor)
{
	struct account_record acct;
	char token[REGISTRY_TOKEN_LEN + 1];
	size_t n;
	int rc;

	memset(actor, 0, sizeof(*actor));
	if (!header)
		return SEAL_EAUTH;
	while (*header == ' ')
		header++;
	if (strncasecmp(header, "Bearer ", 7) != 0)
		return SEAL_EAUTH;
	header += 7;
	while (*header == ' ')
		header++;
	n = strlen(header);
	while (n > 0 && (header[n - 1] == ' ' || header[n - 1] == '\t'))
		n--;
	if (n == 0 || n > REGISTRY_TOKEN_LEN)
		return SEAL_EAUTH;
	memcpy(token, header, n);
	token[n] = '\0';
	rc = registry_token_check(txn, token, &acct);
	memset(token, 0, sizeof(token));
	if (rc == SEAL_EREVOKED)
		return SEAL_EREVOKED;
	if (rc != 0)
		return rc == SEAL_ENOTFOUND || rc == SEAL_EINVAL ? SEAL_EAUTH : rc;
	registry_actor_from_account(&acct, actor);
	return 0;
}

int
auth_role_allows(enum route_access access, const struct registry_actor *actor)
{
	int role = actor ? (int)actor->role : ROLE_NONE;

	switch (access) {
	case ACCESS_OPEN:
	case ACCESS_PUBLIC:
		return 0;
	case ACCESS_REGISTER:
		return role == ROLE_ENGRAVER || role == ROLE_ADMIN ? 0 : SEAL_EPERM;
	case ACCESS_ENGRAVER:
		return role == ROLE_ENGRAVER || role == ROLE_POLICE || role == ROLE_ADMIN
		           ? 0
		           : SEAL_EPERM;
	case ACCESS_POLICE:
		return role == ROLE_POLICE || role == ROLE_ADMIN ? 0 : SEAL_EPERM;
	}
	return SEAL_EPERM;
}

int
auth_scope_allows(const struct registry_actor *actor, const char *what)
{
	if (!actor || !what)
		return SEAL_EPERM;
	switch (actor->role) {
	case ROLE_ADMIN:
	case ROLE_POLICE:
		return 0;
	case ROLE_ENGRAVER:
		if (strlen(actor->scope) == SEAL_PREFIX_LEN &&
		    strncmp(what, actor->scope, SEAL_PREFIX_LEN) == 0)
			return 0;
		return SEAL_EPERM;
	default:
		return SEAL_EPERM;
	}
}

const char *
auth_scope_prefix(const struct registry_actor *actor)
{
	if (actor && actor->role == ROLE_ENGRAVER)
		return actor->scope;
	return "";
}
