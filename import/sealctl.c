/*
 * sealctl - the registry's administration CLI.
 *
 *   sealctl [--db DIR] [--map-size BYTES] [--json] COMMAND [ARGS]
 *
 * Each command is a row of COMMANDS: its words, its usage text and its
 * handler, which parses its own options with getopt_long.  Exit codes:
 * 0 success, 1 the operation failed (message on stderr), 2 usage error.
 * It lives in import/ rather than registry/ because `seal register` and
 * `features rebuild` compute the matcher's features, and registry/ must
 * not see verify/.
 */
#include "common/encode.h"
#include "common/errors.h"
#include "import/intake.h"
#include "registry/registry.h"
#include "verify/image.h"
#include "verify/matcher.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXIT_USAGE 2

struct ctl {
	const char *db;
	size_t map_size;
	int json;
	struct registry *reg;
	struct registry_actor actor;
};

struct command {
	const char *word1, *word2;
	const char *usage;
	int (*run)(struct ctl *ctl, int argc, char **argv);
};

static const struct command COMMANDS[];

static int
fail(int rc, const char *what)
{
	fprintf(stderr, "sealctl: %s: %s\n", what, seal_strerror(rc));
	return 1;
}

static int
usage_error(const struct command *cmd, const char *msg)
{
	if (msg != NULL)
		fprintf(stderr, "sealctl: %s\n", msg);
	fprintf(stderr, "usage: sealctl [--db DIR] %s\n", cmd->usage);
	return EXIT_USAGE;
}

static void
json_print(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII * 0);
	if (s != NULL)
		puts(s);
	free(s);
	json_decref(j);
}

static void
time_text(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
open_registry(struct ctl *ctl, int read_only)
{
	struct registry_options opt = {.map_size = ctl->map_size, .read_only = read_only};
	int rc = registry_open(ctl->db, &opt, &ctl->reg);

	if (rc != 0)
		return fail(rc, ctl->db);
	return 0;
}

/* Parse the options of a command: spec lists long options; values land in
 * vals[i] for option i.  --help prints usage and exits 0.  Returns 0 or
 * EXIT_USAGE. */
static int
parse_opts(struct ctl *ctl, const struct command *cmd, int argc, char **argv,
           const struct option *spec, const char **vals)
{
	struct option opts[16];
	int n = 0, c;

	for (; spec[n].name != NULL; n++)
		opts[n] = (struct option){spec[n].name, spec[n].has_arg, NULL, n};
	opts[n++] = (struct option){"help", no_argument, NULL, 'h' + 256};
	opts[n++] = (struct option){"json", no_argument, NULL, 'j' + 256};
	opts[n] = (struct option){0};
	optind = 0; /* 0, not 1: GNU getopt re-initialises (and permutes again) */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h' + 256) {
			printf("usage: sealctl [--db DIR] %s\n", cmd->usage);
			exit(0);
		}
		if (c == 'j' + 256) {
			ctl->json = 1;
			continue;
		}
		if (c == '?' || c < 0 || c >= n)
			return usage_error(cmd, NULL);
		vals[c] = optarg ? optarg : "1";
	}
	return 0;
}

static int
cmd_init(struct ctl *ctl, int argc, char **argv)
{
	struct option spec[] = {{0}};
	const char *vals[1] = {0};
	struct registry_options opt = {.map_size = ctl->map_size};
	int rc = parse_opts(ctl, &COMMANDS[0], argc, argv, spec, vals);

	if (rc != 0)
		return rc;
	rc = registry_create(ctl->db, &opt);
	if (rc != 0)
		return fail(rc, ctl->db);
	printf("created registry in %s (signing key %s/%s, mode 0600)\n", ctl->db, ctl->db,
	       REGISTRY_KEY_FILE);
	return 0;
}

static const struct command *find_command(const char *w1, const char *w2);

static int
cmd_engraver_add(struct ctl *ctl, int argc, char **argv)
{
	const struct command *cmd = find_command("engraver", "add");
	struct option spec[] = {
	    {"region", 1, 0, 0}, {"number", 1, 0, 0}, {"name", 1, 0, 0}, {"licence", 1, 0, 0}, {0}};
	const char *v[4] = {0};
	struct engraver_record e;
	char prefix[16];
	int rc = parse_opts(ctl, cmd, argc, argv, spec, v);

	if (rc != 0)
		return rc;
	if (!v[0] || !v[1] || !v[2] || !v[3])
		return usage_error(cmd, "--region, --number, --name and --licence are required");
	if (strlen(v[0]) != 4 || strlen(v[1]) != 3)
		return usage_error(cmd, "--region has 4 digits and --number 3");
	memset(&e, 0, sizeof e);
	snprintf(prefix, sizeof prefix, "%s%s", v[0], v[1]);
	memcpy(e.prefix, prefix, SEAL_PREFIX_LEN);
	if (record_set_text(e.company, sizeof e.company, v[2], 1) != 0 ||
	    record_set_text(e.licence, sizeof e.licence, v[3], 1) != 0)
		return usage_error(cmd, "--name or --licence is empty, too long or not UTF-8");
	if ((rc = open_registry(ctl, 0)) != 0)
		return rc;
	rc = registry_engraver_add(ctl->reg, &ctl->actor, &e);
	if (rc != 0)
		return fail(rc, prefix);
	printf("%s\n", prefix);
	return 0;
}

static json_t *
engraver_json(const struct engraver_record *e)
{
	char t[32];

	time_text(e->created_at, t);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "prefix", e->prefix, "region",
	                 region_name(e->prefix) ? region_name(e->prefix) : "", "company",
	                 e->company, "licence", e->licence, "status",
	                 e->status == ENGRAVER_ACTIVE ? "active" : "suspended", "next_serial",
	                 (json_int_t)e->next_serial, "created_at", t);
}

static int
print_engraver(const struct engraver_record *e, void *arg)
{
	json_t *arr = arg;

	if (arr != NULL)
		json_array_append_new(arr, engraver_json(e));
	else
		printf("%s  %-9s  %-12s  %s  (licence %s, next serial %06u)\n", e->prefix,
		       e->status == ENGRAVER_ACTIVE ? "active" : "suspended",
		       region_name(e->prefix) ? region_name(e->prefix) : "?", e->company,
		       e->licence, e->next_serial);
	return 0;
}

/* A read-only listing: options, a snapshot, walk() printing rows (or
 * appending them to arr with --json), then the JSON array. */
static int
run_listing(struct ctl *ctl, int argc, char **argv, const char *w1, const char *w2,
            int (*walk)(struct registry_txn *txn, json_t *arr))
{
	struct option spec[] = {{0}};
	const char *v[1] = {0};
	struct registry_txn *txn;
	json_t *arr;
	int rc = parse_opts(ctl, find_command(w1, w2), argc, argv, spec, v);

	if (rc != 0 || (rc = open_registry(ctl, 1)) != 0)
		return rc;
	arr = ctl->json ? json_array() : NULL;
	rc = registry_read_begin(ctl->reg, &txn);
	if (rc == 0)
		rc = walk(txn, arr);
	registry_read_end(txn);
	if (rc != 0) {
		json_decref(arr);
		return fail(rc, w1);
	}
	if (arr != NULL)
		json_print(arr);
	return 0;
}

static int
walk_engravers(struct registry_txn *txn, json_t *arr)
{
	return registry_engraver_each(txn, print_engraver, arr);
}

static int
cmd_engraver_list(struct ctl *ctl, int argc, char **argv)
{
	return run_listing(ctl, argc, argv, "engraver", "list", walk_engravers);
}

static int
engraver_status(struct ctl *ctl, int argc, char **argv, const char *word,
                enum engraver_status status)
{
	const struct command *cmd = find_command("engraver", word);
	struct option spec[] = {{0}};
	const char *v[1] = {0};
	int rc = parse_opts(ctl, cmd, argc, argv, spec, v);

	if (rc != 0)
		return rc;
	if (optind != argc - 1)
		return usage_error(cmd, "one PREFIX (7 digits) is required");
	if ((rc = open_registry(ctl, 0)) != 0)
		return rc;
	rc = registry_engraver_set_status(ctl->reg, &ctl->actor, argv[optind], status);
	if (rc != 0)
		return fail(rc, argv[optind]);
	printf("%s %s\n", argv[optind], status == ENGRAVER_SUSPENDED ? "suspended" : "active");
	return 0;
}

static int
cmd_engraver_suspend(struct ctl *ctl, int argc, char **argv)
{
	return engraver_status(ctl, argc, argv, "suspend", ENGRAVER_SUSPENDED);
}

static int
cmd_engraver_reinstate(struct ctl *ctl, int argc, char **argv)
{
	return engraver_status(ctl, argc, argv, "reinstate", ENGRAVER_ACTIVE);
}

static int
cmd_token_issue(struct ctl *ctl, int argc, char **argv)
{
	const struct command *cmd = find_command("token", "issue");
	struct option spec[] = {{"role", 1, 0, 0}, {"engraver", 1, 0, 0}, {"unit", 1, 0, 0}, {0}};
	const char *v[3] = {0};
	char token[REGISTRY_TOKEN_LEN + 1], id[ACCOUNT_ID_LEN + 1];
	const char *scope = "";
	int role, rc = parse_opts(ctl, cmd, argc, argv, spec, v);

	if (rc != 0)
		return rc;
	role = account_role_parse(v[0]);
	if (role < 0)
		return usage_error(cmd, "--role is admin, engraver or police");
	if (role == ROLE_ENGRAVER && !(scope = v[1]))
		return usage_error(cmd, "--role engraver needs --engraver PREFIX");
	if (role == ROLE_POLICE && !(scope = v[2]))
		return usage_error(cmd, "--role police needs --unit NAME");
	if ((rc = open_registry(ctl, 0)) != 0)
		return rc;
	rc = registry_token_issue(ctl->reg, &ctl->actor, (enum account_role)role, scope, token, id);
	if (rc != 0)
		return fail(rc, "token issue");
	if (ctl->json)
		json_print(json_pack("{s:s, s:s, s:s, s:s}", "id", id, "role",
		                     account_role_name((enum account_role)role), "scope", scope,
		                     "token", token));
	else
		printf("token %s\nid    %s\n(the token is shown only once; the registry keeps its "
		       "hash)\n",
		       token, id);
	explicit_bzero(token, sizeof token);
	return 0;
}

static int
cmd_token_revoke(struct ctl *ctl, int argc, char **argv)
{
	const struct command *cmd = find_command("token", "revoke");
	struct option spec[] = {{0}};
	const char *v[1] = {0};
	int rc = parse_opts(ctl, cmd, argc, argv, spec, v);

	if (rc != 0)
		return rc;
	if (optind != argc - 1)
		return usage_error(cmd, "one TOKEN-ID is required");
	if ((rc = open_registry(ctl, 0)) != 0)
		return rc;
	rc = registry_token_revoke(ctl->reg, &ctl->actor, argv[optind]);
	if (rc != 0)
		return fail(rc, argv[optind]);
	printf("revoked %s\n", argv[optind]);
	return 0;
}

static int
print_account(const struct account_record *a, void *arg)
{
	json_t *arr = arg;
	char t[32];

	time_text(a->created_at, t);
	if (arr != NULL)
		json_array_append_new(arr,
		                      json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", a->id, "role",
		                                account_role_name(a->role), "scope", a->scope,
		                                "created_at", t, "revoked", a->revoked_at != 0));
	else
		printf("%s  %-8s  %-24s  %s%s\n", a->id, account_role_name(a->role), a->scope, t,
		       a->revoked_at ? "  revoked" : "");
	return 0;
}

static int
walk_accounts(struct registry_txn *txn, json_t *arr)
{
	return registry_account_each(txn, print_account, arr);
}

static int
cmd_token_list(struct ctl *ctl, int argc, char **argv)
{
	return run_listing(ctl, argc, argv, "token", "list", walk_accounts);
}

static int
cmd_seal_register(struct ctl *ctl, int argc, char **argv)
{
	const struct command *cmd = find_command("seal", "register");
	struct option spec[] = {{"engraver", 1, 0, 0},
	                        {"holder", 1, 0, 0},
	                        {"credit-code", 1, 0, 0},
	                        {"type", 1, 0, 0},
	                        {"shape", 1, 0, 0},
	                        {"impression", 1, 0, 0},
	                        {0}};
	const char *v[6] = {0};
	struct seal_registration in = {0};
	struct seal_record rec;
	uint8_t *img = NULL;
	size_t img_len = 0;
	int shape, mismatch = 0, rc = parse_opts(ctl, cmd, argc, argv, spec, v);

	if (rc != 0)
		return rc;
	for (int i = 0; i < 6; i++)
		if (v[i] == NULL)
			return usage_error(cmd, "all of --engraver --holder --credit-code --type "
			                        "--shape --impression are required");
	shape = record_shape_parse(v[4]);
	if (shape < 0)
		return usage_error(cmd, "--shape is round, oval or square");
	if (strlen(v[0]) != SEAL_PREFIX_LEN)
		return usage_error(cmd, "--engraver is the 7-digit prefix");
	rc = intake_read_file(v[5], SEAL_UPLOAD_MAX_BYTES, &img, &img_len);
	if (rc != 0)
		return fail(rc, v[5]);
	memcpy(in.engraver, v[0], SEAL_PREFIX_LEN);
	in.holder = v[1];
	in.credit_code = v[2];
	in.type = v[3];
	in.shape = (enum seal_shape)shape;
	in.impression = img;
	in.impression_len = img_len;
	if ((rc = open_registry(ctl, 0)) != 0) {
		free(img);
		return rc;
	}
	rc = intake_register(ctl->reg, &ctl->actor, &in, &rec, &mismatch);
	free(img);
	if (rc != 0)
		return fail(rc, "seal register");
	if (mismatch)
		fprintf(stderr,
		        "sealctl: warning: the credit code's region (%.4s) is not the seal's "
		        "region (%.4s)\n",
		        rec.credit_code + 2, rec.code);
	printf("%s\n", rec.code);
	return 0;
}

static json_t *
seal_json(const struct seal_record *s)
{
	char reg_at[32], upd_at[32];
	const char *advice = lifecycle_advice((enum seal_status)s->status);

	time_text(s->registered_at, reg_at);
	time_text(s->updated_at, upd_at);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s*}", "code",
	                 s->code, "region", region_name(s->code) ? region_name(s->code) : "",
	                 "engraver", s->engraver, "holder", s->holder, "credit_code",
	                 s->credit_code, "type", s->type, "shape",
	                 record_shape_name((enum seal_shape)s->shape), "status",
	                 seal_status_name((enum seal_status)s->status), "registered_at", reg_at,
	                 "updated_at", upd_at, "version", (json_int_t)s->version, "advice", advice);
}

static int
seal_code_arg(struct ctl *ctl, const struct command *cmd, int argc, char **argv,
              char code[SEAL_CODE_LEN + 1], int read_only)
{
	int rc;

	if (optind != argc - 1)
		return usage_error(cmd, "one CODE (13 digits) is required");
	rc = code_parse(argv[optind], code);
	if (rc != 0) {
		fprintf(stderr, "sealctl: %s: %s\n", argv[optind], seal_strerror(rc));
		return 1;
	}
	return open_registry(ctl, read_only);
}

static int
cmd_seal_show(struct ctl *ctl, int argc, char **argv)
{
	const struct command *cmd = find_command("seal", "show");
	struct option spec[] = {{0}};
	const char *v[1] = {0};
	struct registry_txn *txn;
	struct seal_record s;
	struct engraver_record e;
	struct registry_blob img = {0}, feat = {0};
	char code[SEAL_CODE_LEN + 1], t1[32], t2[32];
	int rc = parse_opts(ctl, cmd, argc, argv, spec, v);

	if (rc != 0 || (rc = seal_code_arg(ctl, cmd, argc, argv, code, 1)) != 0)
		return rc;
	rc = registry_read_begin(ctl->reg, &txn);
	if (rc == 0)
		rc = registry_seal_get(txn, code, &s);
	if (rc != 0) {
		registry_read_end(txn);
		return fail(rc == SEAL_ENOTFOUND ? SEAL_ENOT_REGISTERED : rc, code);
	}
	registry_seal_impression(txn, code, &img);
	registry_seal_features(txn, code, &feat);
	if (registry_engraver_get(txn, s.engraver, &e) != 0)
		memset(&e, 0, sizeof e);
	if (ctl->json) {
		json_t *j = seal_json(&s);
		json_object_set_new(j, "engraver_company", json_string(e.company));
		json_object_set_new(j, "impression_bytes", json_integer((json_int_t)img.len));
		json_object_set_new(j, "features_bytes", json_integer((json_int_t)feat.len));
		json_print(j);
	} else {
		char pretty[16];
		code_format(s.code, pretty);
		time_text(s.registered_at, t1);
		time_text(s.updated_at, t2);
		printf("code        %s\nregion      %.4s %s\nengraver    %s %s\nholder      %s\n"
		       "credit code %s\ntype        %s\nshape       %s\nstatus      %s\n"
		       "registered  %s\nupdated     %s (version %u)\nimpression  %zu bytes PNG, "
		       "features %zu bytes\n",
		       pretty, s.code, region_name(s.code) ? region_name(s.code) : "?", s.engraver,
		       e.company, s.holder, s.credit_code, s.type,
		       record_shape_name((enum seal_shape)s.shape),
		       seal_status_name((enum seal_status)s.status), t1, t2, s.version, img.len,
		       feat.len);
		if (lifecycle_advice((enum seal_status)s.status))
			printf("advice      %s\n", lifecycle_advice((enum seal_status)s.status));
	}
	registry_read_end(txn);
	return 0;
}

static int
print_history(const struct history_record *h, void *arg)
{
	json_t *arr = arg;
	char t[32];

	time_text(h->time, t);
	if (arr != NULL)
		json_array_append_new(arr, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "seq",
		                                     (json_int_t)h->seq, "time", t, "from",
		                                     seal_status_name(h->from), "to",
		                                     seal_status_name(h->to), "actor", h->actor,
		                                     "reason", h->reason, "case_ref", h->case_ref));
	else
		printf("%3u  %s  %-9s -> %-9s  %s  %s%s%s\n", h->seq, t, seal_status_name(h->from),
		       seal_status_name(h->to), h->actor, h->reason,
		       h->case_ref[0] ? "  case " : "", h->case_ref);
	return 0;
}

static int
cmd_seal_history(struct ctl *ctl, int argc, char **argv)
{
	const struct command *cmd = find_command("seal", "history");
	struct option spec[] = {{0}};
	const char *v[1] = {0};
	struct registry_txn *txn;
	struct seal_record s;
	char code[SEAL_CODE_LEN + 1];
	json_t *arr = ctl->json ? json_array() : NULL;
	int rc = parse_opts(ctl, cmd, argc, argv, spec, v);

	if (rc != 0 || (rc = seal_code_arg(ctl, cmd, argc, argv, code, 1)) != 0)
		return rc;
	rc = registry_read_begin(ctl->reg, &txn);
	if (rc == 0)
		rc = registry_seal_get(txn, code, &s);
	if (rc == 0)
		rc = registry_seal_history(txn, code, print_history, arr);
	registry_read_end(txn);
	if (rc != 0) {
		json_decref(arr);
		return fail(rc == SEAL_ENOTFOUND ? SEAL_ENOT_REGISTERED : rc, code);
	}
	if (arr != NULL)
		json_print(arr);
	return 0;
}

static int
cmd_seal_status(struct ctl *ctl, int argc, char **argv)
{
	const struct command *cmd = find_command("seal", "status");
	struct option spec[] = {{"set", 1, 0, 0}, {"reason", 1, 0, 0}, {"case", 1, 0, 0}, {0}};
	const char *v[3] = {0};
	struct seal_record s;
	char code[SEAL_CODE_LEN + 1];
	int to, rc = parse_opts(ctl, cmd, argc, argv, spec, v);

	if (rc != 0)
		return rc;
	to = seal_status_parse(v[0]);
	if (to < 0)
		return usage_error(cmd, "--set is active, lost, revoked, destroyed or disputed");
	if (v[1] == NULL)
		return usage_error(cmd, "--reason is required");
	if ((rc = seal_code_arg(ctl, cmd, argc, argv, code, 0)) != 0)
		return rc;
	rc = registry_seal_set_status(ctl->reg, &ctl->actor, code, (enum seal_status)to, v[1], v[2],
	                              &s);
	if (rc != 0)
		return fail(rc, code);
	printf("%s %s\n", s.code, seal_status_name((enum seal_status)s.status));
	return 0;
}

static int
cmd_audit_verify(struct ctl *ctl, int argc, char **argv)
{
	struct option spec[] = {{0}};
	const char *v[1] = {0};
	uint64_t count = 0, bad = 0;
	const char *why = NULL;
	int rc = parse_opts(ctl, find_command("audit", "verify"), argc, argv, spec, v);

	if (rc != 0 || (rc = open_registry(ctl, 1)) != 0)
		return rc;
	rc = registry_audit_verify(ctl->reg, &count, &bad, &why);
	if (ctl->json) {
		json_print(json_pack("{s:b, s:I, s:I, s:s*}", "ok", rc == 0, "entries",
		                     (json_int_t)count, "first_bad", (json_int_t)bad, "why", why));
		return rc == 0 ? 0 : 1;
	}
	if (rc == SEAL_EAUDIT) {
		fprintf(stderr, "sealctl: audit log BROKEN at entry %llu: %s\n",
		        (unsigned long long)bad, why);
		return 1;
	}
	if (rc != 0)
		return fail(rc, "audit verify");
	printf("audit log ok: %llu entries, chain and signed head verify\n",
	       (unsigned long long)count);
	return 0;
}

static int
cmd_backup(struct ctl *ctl, int argc, char **argv)
{
	const struct command *cmd = find_command("backup", NULL);
	struct option spec[] = {{0}};
	const char *v[1] = {0};
	int rc = parse_opts(ctl, cmd, argc, argv, spec, v);

	if (rc != 0)
		return rc;
	if (optind != argc - 1)
		return usage_error(cmd, "one DEST directory is required");
	if ((rc = open_registry(ctl, 1)) != 0)
		return rc;
	rc = registry_backup(ctl->reg, argv[optind]);
	if (rc != 0)
		return fail(rc, argv[optind]);
	printf("backup written to %s (compacted; public key only)\n", argv[optind]);
	return 0;
}

static int
cmd_stats(struct ctl *ctl, int argc, char **argv)
{
	struct option spec[] = {{0}};
	const char *v[1] = {0};
	struct registry_txn *txn;
	struct registry_stats st;
	char hash[65];
	int rc = parse_opts(ctl, find_command("stats", NULL), argc, argv, spec, v);

	if (rc != 0 || (rc = open_registry(ctl, 1)) != 0)
		return rc;
	rc = registry_read_begin(ctl->reg, &txn);
	if (rc == 0)
		rc = registry_stats(txn, &st);
	registry_read_end(txn);
	if (rc != 0)
		return fail(rc, "stats");
	hex_encode(st.audit_hash, sizeof st.audit_hash, hash, sizeof hash);
	if (ctl->json) {
		json_t *by = json_object();
		for (int i = 0; i < SEAL_STATUS_COUNT; i++)
			json_object_set_new(by, seal_status_name((enum seal_status)i),
			                    json_integer((json_int_t)st.by_status[i]));
		json_print(json_pack("{s:I, s:o, s:I, s:I, s:I, s:I, s:s, s:I, s:I}", "seals",
		                     (json_int_t)st.seals, "by_status", by, "engravers",
		                     (json_int_t)st.engravers, "accounts", (json_int_t)st.accounts,
		                     "verifications", (json_int_t)st.queries, "audit_length",
		                     (json_int_t)st.audit_length, "audit_head", hash, "map_used",
		                     (json_int_t)st.map_used, "map_size", (json_int_t)st.map_size));
		return 0;
	}
	printf("seals          %llu\n", (unsigned long long)st.seals);
	for (int i = 0; i < SEAL_STATUS_COUNT; i++)
		printf("  %-12s %llu\n", seal_status_name((enum seal_status)i),
		       (unsigned long long)st.by_status[i]);
	printf("engravers      %llu\naccounts       %llu\nverifications  %llu\n"
	       "audit length   %llu\naudit head     %s\nmap            %llu of %llu bytes used\n",
	       (unsigned long long)st.engravers, (unsigned long long)st.accounts,
	       (unsigned long long)st.queries, (unsigned long long)st.audit_length, hash,
	       (unsigned long long)st.map_used, (unsigned long long)st.map_size);
	return 0;
}

struct rebuild {
	struct ctl *ctl;
	size_t done, changed, failed;
};

/* Recompute one seal's features from its stored impression. */
static int
rebuild_one(const struct seal_record *s, void *arg)
{
	struct rebuild *rb = arg;
	struct registry_txn *txn;
	struct registry_blob png = {0}, old = {0};
	struct image img = {0};
	uint8_t feat[SEAL_FEATURES_MAX_BYTES];
	size_t len = 0;
	int rc, same = 0;

	rc = registry_read_begin(rb->ctl->reg, &txn);
	if (rc == 0)
		rc = registry_seal_impression(txn, s->code, &png);
	if (rc == 0)
		rc = image_decode(png.data, png.len, NULL, &img);
	if (rc == 0)
		rc = matcher_features(&img, feat, sizeof feat, &len);
	if (rc == 0 && registry_seal_features(txn, s->code, &old) == 0)
		same = old.len == len && memcmp(old.data, feat, len) == 0;
	registry_read_end(txn);
	image_fini(&img);
	rb->done++;
	if (rc == 0 && !same) {
		rc = registry_seal_set_features(rb->ctl->reg, &rb->ctl->actor, s->code, feat, len);
		if (rc == 0)
			rb->changed++;
	}
	if (rc != 0) {
		rb->failed++;
		fprintf(stderr, "sealctl: %s: %s\n", s->code, seal_strerror(rc));
	}
	return 0;
}

static int
collect_code(const struct seal_record *s, void *arg)
{
	struct seal_record **next = arg;

	*(*next)++ = *s;
	return 0;
}

static int
cmd_features_rebuild(struct ctl *ctl, int argc, char **argv)
{
	const struct command *cmd = find_command("features", "rebuild");
	struct option spec[] = {{"prefix", 1, 0, 0}, {0}};
	const char *v[1] = {0};
	struct rebuild rb = {ctl, 0, 0, 0};
	struct registry_txn *txn;
	struct registry_stats st;
	struct seal_record *all = NULL, *next;
	int rc = parse_opts(ctl, cmd, argc, argv, spec, v);

	if (rc != 0 || (rc = open_registry(ctl, 0)) != 0)
		return rc;
	/* Take the list from one snapshot, then update seal by seal. */
	rc = registry_read_begin(ctl->reg, &txn);
	if (rc == 0)
		rc = registry_stats(txn, &st);
	if (rc == 0 && (all = calloc(st.seals + 1, sizeof *all)) == NULL)
		rc = SEAL_ENOMEM;
	next = all;
	if (rc == 0)
		rc = registry_seal_list(txn, v[0] ? v[0] : "", NULL, st.seals, collect_code, &next);
	registry_read_end(txn);
	for (struct seal_record *s = all; rc == 0 && s < next; s++)
		rebuild_one(s, &rb);
	free(all);
	if (rc != 0)
		return fail(rc, "features rebuild");
	printf("%zu seals checked, %zu features rewritten, %zu failed\n", rb.done, rb.changed,
	       rb.failed);
	return rb.failed ? 1 : 0;
}

static const struct command COMMANDS[] = {
    {"init", NULL, "init", cmd_init},
    {"engraver", "add", "engraver add --region RRRR --number EEE --name NAME --licence NO",
     cmd_engraver_add},
    {"engraver", "list", "engraver list", cmd_engraver_list},
    {"engraver", "suspend", "engraver suspend PREFIX", cmd_engraver_suspend},
    {"engraver", "reinstate", "engraver reinstate PREFIX", cmd_engraver_reinstate},
    {"token", "issue",
     "token issue --role engraver --engraver PREFIX | --role police --unit NAME | --role admin",
     cmd_token_issue},
    {"token", "revoke", "token revoke TOKEN-ID", cmd_token_revoke},
    {"token", "list", "token list", cmd_token_list},
    {"seal", "register",
     "seal register --engraver PREFIX --holder NAME --credit-code USCC --type TYPE "
     "--shape round|oval|square --impression FILE",
     cmd_seal_register},
    {"seal", "show", "seal show CODE [--json]", cmd_seal_show},
    {"seal", "history", "seal history CODE", cmd_seal_history},
    {"seal", "status", "seal status CODE --set STATUS --reason TEXT [--case REF]", cmd_seal_status},
    {"features", "rebuild", "features rebuild [--prefix DIGITS]", cmd_features_rebuild},
    {"audit", "verify", "audit verify", cmd_audit_verify},
    {"backup", NULL, "backup DEST", cmd_backup},
    {"stats", NULL, "stats [--json]", cmd_stats},
    {NULL, NULL, NULL, NULL},
};

static const struct command *
find_command(const char *w1, const char *w2)
{
	for (const struct command *c = COMMANDS; c->word1 != NULL; c++)
		if (strcmp(c->word1, w1) == 0 &&
		    (c->word2 == NULL || (w2 != NULL && strcmp(c->word2, w2) == 0)))
			return c;
	return NULL;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: sealctl [--db DIR] [--map-size BYTES] [--json] COMMAND ...\n\n"
	           "The seal registry's administration tool.  --db defaults to $SEALREG_DB or "
	           "./registry.\nCommands (each takes --help):\n");
	for (const struct command *c = COMMANDS; c->word1 != NULL; c++)
		fprintf(f, "  %s\n", c->usage);
	fprintf(f, "\nExit status: 0 success, 1 failure, 2 usage error.\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"db", 1, NULL, 'd'},
	                                     {"map-size", 1, NULL, 'm'},
	                                     {"json", 0, NULL, 'j'},
	                                     {"help", 0, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct ctl ctl = {.db = getenv("SEALREG_DB") ? getenv("SEALREG_DB") : "registry"};
	const struct command *cmd;
	int c, rc, shift;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			ctl.db = optarg;
			break;
		case 'm': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (*end != '\0' || v < 1024 * 1024) {
				fprintf(stderr, "sealctl: --map-size is a byte count >= 1048576\n");
				return EXIT_USAGE;
			}
			ctl.map_size = (size_t)v;
			break;
		}
		case 'j':
			ctl.json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = find_command(argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL);
	if (cmd == NULL) {
		fprintf(stderr, "sealctl: unknown command '%s%s%s'\n", argv[optind],
		        optind + 1 < argc ? " " : "", optind + 1 < argc ? argv[optind + 1] : "");
		usage(stderr);
		return EXIT_USAGE;
	}
	shift = optind + (cmd->word2 != NULL ? 1 : 0);
	registry_actor_local(&ctl.actor);
	rc = cmd->run(&ctl, argc - shift, argv + shift);
	registry_close(ctl.reg);
	return rc;
}
