/*
 * registry.c - opening and creating a registry, read transactions, stats,
 * backup, and the write-transaction tail every mutation shares.
 *
 * A registry directory holds data.mdb/lock.mdb (LMDB), registry.key (the
 * Ed25519 key pair, 0600) and registry.pub (the raw public key, base64).
 * The public key is also kept in the meta database; a backup carries only
 * registry.pub, so it can be verified but not written.
 */
#include "registry/internal.h"
#include "common/encode.h"
#include "common/errors.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t
registry_now(void)
{
	return (int64_t)time(NULL);
}

int64_t
registry_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int
registry_has_prefix(const void *s, size_t n, const char *prefix, size_t plen)
{
	return n >= plen && memcmp(s, prefix, plen) == 0;
}

void
registry_actor_local(struct registry_actor *out)
{
	memset(out, 0, sizeof *out);
	out->role = ROLE_ADMIN;
	snprintf(out->id, sizeof out->id, "local");
	snprintf(out->name, sizeof out->name, "admin:local");
}

/* The length of s's longest prefix of at most max bytes that does not end
 * inside a UTF-8 sequence. */
static int
utf8_cut(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (s[n] != '\0')
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	return (int)n;
}

void
registry_actor_from_account(const struct account_record *acct, struct registry_actor *out)
{
	memset(out, 0, sizeof *out);
	out->role = (enum account_role)acct->role;
	memcpy(out->scope, acct->scope, sizeof out->scope);
	memcpy(out->id, acct->id, sizeof out->id);
	if (out->scope[0] != '\0')
		snprintf(out->name, sizeof out->name, "%s:%.*s:%s", account_role_name(out->role),
		         utf8_cut(out->scope, 24), out->scope, out->id);
	else
		snprintf(out->name, sizeof out->name, "%s:%s", account_role_name(out->role),
		         out->id);
}

static int
path_join(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	return (n < 0 || (size_t)n >= cap) ? SEAL_EINVAL : 0;
}

/* Write the base64 public key to path (mode 0644, replaced if present). */
static int
pub_write(const char *path, const struct crypto_key *key)
{
	uint8_t raw[CRYPTO_ED25519_PUB_LEN];
	char b64[64];
	FILE *f;
	int rc = crypto_key_public_raw(key, raw);

	if (rc != 0)
		return rc;
	base64_encode(raw, sizeof raw, b64, sizeof b64);
	f = fopen(path, "we");
	if (f == NULL)
		return SEAL_EIO;
	fprintf(f, "%s\n", b64);
	return fclose(f) == 0 ? 0 : SEAL_EIO;
}

static int
pub_read(const char *path, struct crypto_key **out)
{
	char line[128];
	uint8_t raw[64];
	size_t len = 0, n;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return errno == ENOENT ? SEAL_ENOTFOUND : SEAL_EIO;
	if (fgets(line, sizeof line, f) == NULL) {
		fclose(f);
		return SEAL_ECRYPTO;
	}
	fclose(f);
	n = strcspn(line, "=\r\n");
	/* Standard base64 of 32 bytes: 43 characters and one '='. */
	for (size_t i = 0; i < n; i++)
		if (line[i] == '+')
			line[i] = '-';
		else if (line[i] == '/')
			line[i] = '_';
	if (base64url_decode(line, n, raw, sizeof raw, &len) != 0 || len != CRYPTO_ED25519_PUB_LEN)
		return SEAL_ECRYPTO;
	return crypto_key_from_public(raw, out);
}

int
registry_create(const char *dir, const struct registry_options *opt)
{
	struct store *st = NULL;
	struct store_txn *t = NULL;
	struct crypto_key *key = NULL;
	struct registry reg;
	struct registry_actor actor;
	struct registry_counts counts = {{0}};
	uint8_t raw[CRYPTO_ED25519_PUB_LEN], ck[32], digest[CRYPTO_SHA256_LEN];
	char path[PATH_MAX];
	struct stat sb;
	int rc;

	if (path_join(path, sizeof path, dir, "data.mdb") != 0)
		return SEAL_EINVAL;
	if (stat(path, &sb) == 0)
		return SEAL_EEXIST;
	rc = store_open(dir, opt ? opt->map_size : 0, STORE_CREATE, &st);
	if (rc != 0)
		return rc;
	rc = crypto_key_generate(&key);
	if (rc == 0)
		rc = path_join(path, sizeof path, dir, REGISTRY_KEY_FILE);
	if (rc == 0)
		rc = crypto_key_save(key, path);
	if (rc == 0)
		rc = path_join(path, sizeof path, dir, "registry.pub");
	if (rc == 0)
		rc = pub_write(path, key);
	if (rc == 0)
		rc = crypto_key_public_raw(key, raw);
	if (rc == 0)
		rc = crypto_random(ck, sizeof ck);
	if (rc == 0)
		rc = store_txn_begin(st, 1, &t);
	if (rc != 0)
		goto out;
	store_put(t, STORE_META, META_SCHEMA, strlen(META_SCHEMA), REGISTRY_SCHEMA_VERSION,
	          strlen(REGISTRY_SCHEMA_VERSION), 0);
	store_put(t, STORE_META, META_PUBKEY, strlen(META_PUBKEY), raw, sizeof raw, 0);
	store_put(t, STORE_META, META_CLIENT_KEY, strlen(META_CLIENT_KEY), ck, sizeof ck, 0);
	registry_counts_put(t, &counts);
	crypto_sha256(raw, sizeof raw, digest);
	reg.st = st;
	reg.key = key;
	registry_actor_local(&actor);
	rc = registry_write_finish(&reg, t, &actor, "registry.create", "", digest);
	t = NULL;
out:
	store_txn_abort(t);
	crypto_key_free(key);
	store_close(st);
	return rc;
}

int
registry_open(const char *dir, const struct registry_options *opt, struct registry **out)
{
	struct registry *reg;
	struct store_txn *t = NULL;
	struct store_val v;
	char path[PATH_MAX];
	int flags = 0, rc;

	*out = NULL;
	if (path_join(path, sizeof path, dir, "data.mdb") != 0)
		return SEAL_EINVAL;
	if (access(path, F_OK) != 0)
		return SEAL_ENOTFOUND;
	reg = calloc(1, sizeof *reg);
	if (reg == NULL)
		return SEAL_ENOMEM;
	if (opt != NULL && opt->read_only)
		flags |= STORE_READONLY;
	if (opt != NULL && opt->no_sync)
		flags |= STORE_NOSYNC;
	rc = store_open(dir, opt ? opt->map_size : 0, flags, &reg->st);
	if (rc != 0)
		goto out;
	rc = store_txn_begin(reg->st, 0, &t);
	if (rc != 0)
		goto out;
	rc = store_get(t, STORE_META, META_SCHEMA, strlen(META_SCHEMA), &v);
	if (rc == 0 && (v.len != strlen(REGISTRY_SCHEMA_VERSION) ||
	                memcmp(v.data, REGISTRY_SCHEMA_VERSION, v.len) != 0))
		rc = SEAL_EVERSION;
	if (rc == 0)
		rc = store_get(t, STORE_META, META_CLIENT_KEY, strlen(META_CLIENT_KEY), &v);
	if (rc == 0 && v.len != sizeof reg->client_key)
		rc = SEAL_ECORRUPT;
	if (rc == 0)
		memcpy(reg->client_key, v.data, sizeof reg->client_key);
	store_txn_abort(t);
	if (rc != 0)
		goto out;
	rc = registry_querylog_open(reg, dir, opt != NULL && opt->read_only);
	if (rc != 0)
		goto out;
	/* The key pair when we have it; a backup has only the public key. */
	if ((rc = path_join(path, sizeof path, dir, REGISTRY_KEY_FILE)) == 0)
		rc = crypto_key_load(path, &reg->key);
	if (rc == SEAL_ENOTFOUND && (rc = path_join(path, sizeof path, dir, "registry.pub")) == 0)
		rc = pub_read(path, &reg->key);
out:
	if (rc != 0) {
		registry_close(reg);
		return rc;
	}
	*out = reg;
	return 0;
}

void
registry_close(struct registry *reg)
{
	if (reg == NULL)
		return;
	store_close(reg->st);
	store_close(reg->qst);
	crypto_key_free(reg->key);
	explicit_bzero(reg->client_key, sizeof reg->client_key);
	free(reg);
}

const struct crypto_key *
registry_key(const struct registry *reg)
{
	return reg->key;
}

const uint8_t *
registry_client_key(const struct registry *reg)
{
	return reg->client_key;
}

int
registry_read_begin(struct registry *reg, struct registry_txn **out)
{
	struct registry_txn *txn = malloc(sizeof *txn);
	int rc;

	*out = NULL;
	if (txn == NULL)
		return SEAL_ENOMEM;
	rc = store_txn_begin(reg->st, 0, &txn->t);
	if (rc != 0) {
		free(txn);
		return rc;
	}
	txn->reg = reg;
	*out = txn;
	return 0;
}

void
registry_read_end(struct registry_txn *txn)
{
	if (txn == NULL)
		return;
	store_txn_abort(txn->t);
	free(txn);
}

void
registry_read_reset(struct registry_txn *txn)
{
	store_txn_reset(txn->t);
}

int
registry_read_renew(struct registry_txn *txn)
{
	return store_txn_renew(txn->t);
}

int
registry_counts_get(struct store_txn *t, struct registry_counts *out)
{
	struct store_val v;
	int rc = store_get(t, STORE_META, META_COUNTS, strlen(META_COUNTS), &v);

	memset(out, 0, sizeof *out);
	if (rc == SEAL_ENOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (v.len != sizeof *out)
		return store_txn_fail(t, SEAL_ECORRUPT);
	memcpy(out, v.data, sizeof *out);
	return 0;
}

int
registry_counts_put(struct store_txn *t, const struct registry_counts *c)
{
	return store_put(t, STORE_META, META_COUNTS, strlen(META_COUNTS), c, sizeof *c, 0);
}

int
registry_write_finish(struct registry *reg, struct store_txn *t, const struct registry_actor *actor,
                      const char *action, const char *subject,
                      const uint8_t digest[CRYPTO_SHA256_LEN])
{
	audit_append(t, reg->key, actor->name, action, subject, digest);
	return store_txn_commit(t);
}

int
registry_audit_head(struct registry_txn *txn, struct audit_head *out)
{
	return audit_head_get(txn->t, out);
}

int
registry_audit_verify(struct registry *reg, uint64_t *count, uint64_t *first_bad, const char **why)
{
	struct store_txn *t;
	int rc = store_txn_begin(reg->st, 0, &t);

	if (rc != 0)
		return rc;
	rc = audit_verify(t, reg->key, count, first_bad, why);
	store_txn_abort(t);
	return rc;
}

int
registry_audit_read(struct registry *reg, const struct registry_actor *actor, const char *what,
                    const char *code)
{
	struct store_txn *t;
	char action[32];
	uint8_t digest[CRYPTO_SHA256_LEN];
	int rc = store_txn_begin(reg->st, 1, &t);

	if (rc != 0)
		return rc;
	snprintf(action, sizeof action, "read:%s", what);
	crypto_sha256(code, strlen(code), digest);
	return registry_write_finish(reg, t, actor, action, code, digest);
}

int
registry_stats(struct registry_txn *txn, struct registry_stats *out)
{
	struct registry_counts counts;
	struct audit_head head;
	int rc;

	memset(out, 0, sizeof *out);
	rc = registry_counts_get(txn->t, &counts);
	if (rc == 0)
		rc = audit_head_get(txn->t, &head);
	if (rc == 0)
		rc = store_count(txn->t, STORE_ENGRAVERS, &out->engravers);
	if (rc == 0)
		rc = store_count(txn->t, STORE_ACCOUNTS, &out->accounts);
	if (rc == 0 && txn->reg->qst != NULL) {
		struct store_txn *q;
		if ((rc = store_txn_begin(txn->reg->qst, 0, &q)) == 0) {
			rc = store_count(q, STORE_QUERIES, &out->queries);
			store_txn_abort(q);
		}
	}
	if (rc != 0)
		return rc;
	for (int i = 0; i < SEAL_STATUS_COUNT; i++) {
		out->by_status[i] = counts.by_status[i];
		out->seals += counts.by_status[i];
	}
	store_usage(txn->reg->st, &out->map_used, &out->map_size);
	out->audit_length = head.seq;
	memcpy(out->audit_hash, head.hash, sizeof out->audit_hash);
	return 0;
}

int
registry_backup(struct registry *reg, const char *dest)
{
	char path[PATH_MAX];
	int rc = store_backup(reg->st, dest);

	if (rc == 0 && reg->qst != NULL) {
		rc = path_join(path, sizeof path, dest, REGISTRY_QUERYLOG_DIR);
		if (rc == 0)
			rc = store_backup(reg->qst, path);
	}
	if (rc == 0)
		rc = path_join(path, sizeof path, dest, "registry.pub");
	if (rc == 0)
		rc = pub_write(path, reg->key);
	return rc;
}

uint64_t
registry_warm(struct registry *reg)
{
	return store_warm(reg->st);
}
