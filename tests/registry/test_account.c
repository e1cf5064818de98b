/*
 * test_account.c - bearer tokens (registry_token_*): issue for each role,
 * check, revoke; only SHA-256(token) is stored (the token's text never
 * appears in data.mdb, its hash does); malformed, unknown and revoked
 * tokens are refused; scopes are checked at issue time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/crypto.h"
#include "common/encode.h"
#include "common/errors.h"
#include "registry/registry.h"
#include "tests/support/regfix.h"

static int
setup(void **state)
{
	struct regfix_fx *fx = calloc(1, sizeof *fx);

	fx->reg = regfix_registry_new(fx->dir, 0);
	registry_actor_local(&fx->admin);
	regfix_engraver(fx->reg, "6101001");
	*state = fx;
	return 0;
}

static int
check(struct regfix_fx *fx, const char *token, struct account_record *out)
{
	struct registry_txn *txn;
	struct account_record tmp;
	int rc;

	regfix_expect_rc(0, registry_read_begin(fx->reg, &txn), "read_begin");
	rc = registry_token_check(txn, token, out ? out : &tmp);
	registry_read_end(txn);
	return rc;
}

/* The whole data.mdb in memory. */
static uint8_t *
read_data(struct regfix_fx *fx, size_t *len)
{
	char path[REGFIX_PATH_MAX + 16];
	uint8_t *buf;
	long n = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/data.mdb", fx->dir);
	f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0)
		fail_msg("%s: expected a readable data file", path);
	rewind(f);
	buf = malloc((size_t)n);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("%s: expected to read %ld bytes", path, n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
test_issue_check(void **state)
{
	struct regfix_fx *fx = *state;
	static const struct {
		enum account_role role;
		const char *scope;
	} cases[] = {{ROLE_ADMIN, ""}, {ROLE_ENGRAVER, "6101001"}, {ROLE_POLICE, "西安市公安局"}};
	char tokens[3][REGISTRY_TOKEN_LEN + 1], ids[3][ACCOUNT_ID_LEN + 1];

	for (int i = 0; i < 3; i++) {
		struct account_record acct;
		struct registry_actor actor;
		uint8_t hash[CRYPTO_SHA256_LEN];
		char want_id[ACCOUNT_ID_LEN + 1];

		regfix_expect_rc(0,
		                 registry_token_issue(fx->reg, &fx->admin, cases[i].role,
		                                      cases[i].scope, tokens[i], ids[i]),
		                 "registry_token_issue");
		if (strlen(tokens[i]) != REGISTRY_TOKEN_LEN || strncmp(tokens[i], "sr_", 3) != 0 ||
		    strspn(tokens[i] + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                          "0123456789-_") != REGISTRY_TOKEN_LEN - 3)
			fail_msg("token: expected sr_ + 43 base64url characters, got \"%s\"",
			         tokens[i]);
		crypto_sha256(tokens[i], strlen(tokens[i]), hash);
		hex_encode(hash, 8, want_id, sizeof want_id);
		if (strcmp(ids[i], want_id) != 0)
			fail_msg("id: expected hex of SHA-256(token)[0..8] %s, got %s", want_id,
			         ids[i]);
		regfix_expect_rc(0, check(fx, tokens[i], &acct), "registry_token_check");
		if (acct.role != cases[i].role || strcmp(acct.scope, cases[i].scope) != 0 ||
		    strcmp(acct.id, ids[i]) != 0 || acct.revoked_at != 0 || acct.created_at <= 0)
			fail_msg("account %d: expected %s/%s/%s, got %s/%s/%s revoked %lld", i,
			         account_role_name(cases[i].role), cases[i].scope, ids[i],
			         account_role_name((enum account_role)acct.role), acct.scope,
			         acct.id, (long long)acct.revoked_at);
		registry_actor_from_account(&acct, &actor);
		if (actor.role != cases[i].role || strcmp(actor.id, ids[i]) != 0 ||
		    strncmp(actor.name, account_role_name(cases[i].role),
		            strlen(account_role_name(cases[i].role))) != 0 ||
		    strstr(actor.name, ids[i]) == NULL)
			fail_msg("actor %d: expected role:scope:id, got \"%s\"", i, actor.name);
	}
	if (strcmp(tokens[0], tokens[1]) == 0 || strcmp(tokens[1], tokens[2]) == 0)
		fail_msg("tokens: expected distinct random tokens, got a repeat");

	/* Only the hash is stored. */
	{
		size_t len;
		uint8_t *data;

		registry_close(fx->reg);
		fx->reg = NULL;
		data = read_data(fx, &len);
		for (int i = 0; i < 3; i++) {
			uint8_t hash[CRYPTO_SHA256_LEN];

			if (memmem(data, len, tokens[i], strlen(tokens[i])) != NULL ||
			    memmem(data, len, tokens[i] + 3, 16) != NULL)
				fail_msg("data.mdb: expected no trace of token %d's text, found it",
				         i);
			crypto_sha256(tokens[i], strlen(tokens[i]), hash);
			if (memmem(data, len, hash, sizeof hash) == NULL)
				fail_msg(
				    "data.mdb: expected token %d's SHA-256 as its key, not found",
				    i);
		}
		free(data);
		regfix_expect_rc(0, registry_open(fx->dir, NULL, &fx->reg), "reopen");
	}
	for (int i = 0; i < 3; i++)
		regfix_expect_rc(0, check(fx, tokens[i], NULL), "check after reopening");
}

static void
test_malformed(void **state)
{
	struct regfix_fx *fx = *state;
	char token[REGISTRY_TOKEN_LEN + 1], id[ACCOUNT_ID_LEN + 1], bad[REGISTRY_TOKEN_LEN + 8];

	regfix_expect_rc(0, registry_token_issue(fx->reg, &fx->admin, ROLE_ADMIN, NULL, token, id),
	                 "issue");
	regfix_expect_rc(SEAL_EAUTH, check(fx, NULL, NULL), "NULL token");
	regfix_expect_rc(SEAL_EAUTH, check(fx, "", NULL), "empty token");
	regfix_expect_rc(SEAL_EAUTH, check(fx, "sr_", NULL), "prefix only");
	snprintf(bad, sizeof bad, "%s", token);
	bad[REGISTRY_TOKEN_LEN - 1] = '\0';
	regfix_expect_rc(SEAL_EAUTH, check(fx, bad, NULL), "one character short");
	snprintf(bad, sizeof bad, "%sA", token);
	regfix_expect_rc(SEAL_EAUTH, check(fx, bad, NULL), "one character long");
	snprintf(bad, sizeof bad, "%s", token);
	bad[0] = 'x';
	regfix_expect_rc(SEAL_EAUTH, check(fx, bad, NULL), "wrong prefix");
	snprintf(bad, sizeof bad, "%s", token);
	bad[20] = bad[20] == 'A' ? 'B' : 'A';
	regfix_expect_rc(SEAL_EAUTH, check(fx, bad, NULL), "one character changed");
	snprintf(bad, sizeof bad, "Bearer %s", token);
	regfix_expect_rc(SEAL_EAUTH, check(fx, bad, NULL), "with the Bearer word");
	regfix_expect_rc(0, check(fx, token, NULL), "the real token");
}

static void
test_revoke(void **state)
{
	struct regfix_fx *fx = *state;
	char t1[REGISTRY_TOKEN_LEN + 1], id1[ACCOUNT_ID_LEN + 1];
	char t2[REGISTRY_TOKEN_LEN + 1], id2[ACCOUNT_ID_LEN + 1];
	struct account_record acct;
	struct registry_actor police;
	struct regfix_state s0, s1;

	regfix_expect_rc(0,
	                 registry_token_issue(fx->reg, &fx->admin, ROLE_POLICE, "一分局", t1, id1),
	                 "issue 1");
	regfix_expect_rc(
	    0, registry_token_issue(fx->reg, &fx->admin, ROLE_ENGRAVER, "6101001", t2, id2),
	    "issue 2");
	regfix_expect_rc(0, check(fx, t1, &acct), "check 1");
	registry_actor_from_account(&acct, &police);
	regfix_state(fx->reg, &s0);
	regfix_expect_rc(SEAL_EPERM, registry_token_revoke(fx->reg, &police, id2),
	                 "police revoking");
	regfix_expect_rc(SEAL_ENOTFOUND,
	                 registry_token_revoke(fx->reg, &fx->admin, "0123456789abcdef"),
	                 "unknown id");
	regfix_state(fx->reg, &s1);
	regfix_expect_same_state(&s0, &s1, "refused revocations");
	regfix_expect_rc(0, registry_token_revoke(fx->reg, &fx->admin, id1), "revoke 1");
	memset(&acct, 0, sizeof acct);
	regfix_expect_rc(SEAL_EREVOKED, check(fx, t1, &acct), "revoked token");
	if (acct.revoked_at <= 0 || strcmp(acct.id, id1) != 0)
		fail_msg("revoked account: expected its record with revoked_at, got id %s at %lld",
		         acct.id, (long long)acct.revoked_at);
	regfix_expect_rc(0, check(fx, t2, NULL), "the other token still works");
	regfix_expect_rc(SEAL_EEXIST, registry_token_revoke(fx->reg, &fx->admin, id1),
	                 "revoke twice");
	registry_close(fx->reg);
	regfix_expect_rc(0, registry_open(fx->dir, NULL, &fx->reg), "reopen");
	regfix_expect_rc(SEAL_EREVOKED, check(fx, t1, NULL), "still revoked after reopening");
}

struct listing {
	int n, revoked;
};

static int
count_account(const struct account_record *a, void *arg)
{
	struct listing *l = arg;

	l->n++;
	l->revoked += a->revoked_at != 0;
	return 0;
}

static void
test_scopes(void **state)
{
	struct regfix_fx *fx = *state;
	char token[REGISTRY_TOKEN_LEN + 1], id[ACCOUNT_ID_LEN + 1];
	struct registry_actor eng;
	struct account_record acct;
	struct regfix_state s0, s1;
	struct registry_txn *txn;
	struct listing l = {0, 0};

	memset(token, 'X', sizeof token - 1);
	token[sizeof token - 1] = '\0';
	regfix_state(fx->reg, &s0);
	regfix_expect_rc(
	    SEAL_ECODE_ENGRAVER,
	    registry_token_issue(fx->reg, &fx->admin, ROLE_ENGRAVER, "6101002", token, id),
	    "engraver token for an unknown engraver");
	if (token[0] != '\0')
		fail_msg("refused issue: expected the token buffer wiped, got \"%s\"", token);
	regfix_expect_rc(
	    SEAL_ECODE_REGION,
	    registry_token_issue(fx->reg, &fx->admin, ROLE_ENGRAVER, "9999001", token, id),
	    "engraver token in an unknown region");
	regfix_expect_rc(
	    SEAL_ECODE_LENGTH,
	    registry_token_issue(fx->reg, &fx->admin, ROLE_ENGRAVER, "610100", token, id),
	    "engraver token with 6 digits");
	regfix_expect_rc(SEAL_ECODE_LENGTH,
	                 registry_token_issue(fx->reg, &fx->admin, ROLE_ENGRAVER, NULL, token, id),
	                 "engraver token without a prefix");
	regfix_expect_rc(SEAL_ETEXT,
	                 registry_token_issue(fx->reg, &fx->admin, ROLE_POLICE, NULL, token, id),
	                 "police token without a unit");
	regfix_expect_rc(SEAL_ETEXT,
	                 registry_token_issue(fx->reg, &fx->admin, ROLE_POLICE, "", token, id),
	                 "police token with an empty unit");
	regfix_expect_rc(
	    SEAL_EINVAL,
	    registry_token_issue(fx->reg, &fx->admin, ROLE_ADMIN, "6101001", token, id),
	    "admin token with a scope");
	regfix_expect_rc(SEAL_EINVAL,
	                 registry_token_issue(fx->reg, &fx->admin, ROLE_NONE, "", token, id),
	                 "role none");
	regfix_state(fx->reg, &s1);
	regfix_expect_same_state(&s0, &s1, "refused issues");

	regfix_expect_rc(
	    0, registry_token_issue(fx->reg, &fx->admin, ROLE_ENGRAVER, "6101 001", token, id),
	    "engraver token, prefix typed with a space");
	regfix_expect_rc(0, check(fx, token, &acct), "check");
	if (strcmp(acct.scope, "6101001") != 0)
		fail_msg("engraver scope: expected 6101001, got %s", acct.scope);
	registry_actor_from_account(&acct, &eng);
	regfix_expect_rc(SEAL_EPERM, registry_token_issue(fx->reg, &eng, ROLE_ADMIN, "", token, id),
	                 "engraver issuing a token");
	regfix_expect_rc(0, registry_token_revoke(fx->reg, &fx->admin, acct.id), "revoke");
	regfix_expect_rc(0, registry_read_begin(fx->reg, &txn), "read_begin");
	regfix_expect_rc(0, registry_account_each(txn, count_account, &l), "account_each");
	registry_read_end(txn);
	if (l.n != 1 || l.revoked != 1)
		fail_msg("accounts: expected 1 (revoked), got %d (%d revoked)", l.n, l.revoked);
}

/* The actor name goes into history and audit rows and out as JSON: a long
 * police unit must be cut at a character boundary, never inside one. */
static void
test_actor_name_utf8(void **state)
{
	static const char *const units[] = {
	    "A西安市公安局碑林分局刑侦大队", "AB西安市公安局碑林分局",
	    "西安市公安局碑林分局刑侦大队", "unit-ascii-only-and-quite-long"};
	struct regfix_fx *fx = *state;

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		char token[REGISTRY_TOKEN_LEN + 1], id[ACCOUNT_ID_LEN + 1],
		    copy[SEAL_ACTOR_MAX + 1];
		struct account_record acct;
		struct registry_actor actor;

		regfix_expect_rc(
		    0, registry_token_issue(fx->reg, &fx->admin, ROLE_POLICE, units[i], token, id),
		    "issue");
		regfix_expect_rc(0, check(fx, token, &acct), "check");
		if (strcmp(acct.scope, units[i]) != 0)
			fail_msg("police scope: expected the whole unit \"%s\", got \"%s\"",
			         units[i], acct.scope);
		registry_actor_from_account(&acct, &actor);
		if (record_set_text(copy, sizeof copy, actor.name, 1) != 0)
			fail_msg("actor name for unit \"%s\": expected valid UTF-8, got \"%s\"",
			         units[i], actor.name);
		if (strncmp(actor.name, "police:", 7) != 0 || strstr(actor.name, id) == NULL)
			fail_msg("actor name: expected police:<unit>:%s, got \"%s\"", id,
			         actor.name);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_issue_check, setup, regfix_teardown),
	    cmocka_unit_test_setup_teardown(test_malformed, setup, regfix_teardown),
	    cmocka_unit_test_setup_teardown(test_revoke, setup, regfix_teardown),
	    cmocka_unit_test_setup_teardown(test_scopes, setup, regfix_teardown),
	    cmocka_unit_test_setup_teardown(test_actor_name_utf8, setup, regfix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
