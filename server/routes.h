/*
 * routes.h - the route handlers and what they share.
 *
 * A handler receives a struct request whose route, parameters, body,
 * client identity and (for protected routes) actor are filled in and whose
 * role was checked against the route; it must end by setting exactly one
 * answer (r->status plus r->out, usually through request_json_*() or
 * request_fail()).  Inline handlers run on the I/O thread; pooled ones on a
 * worker with that worker's read transaction in r->txn - neither may touch
 * libevent's HTTP objects.
 */
#ifndef SEAL_SERVER_ROUTES_H
#define SEAL_SERVER_ROUTES_H

#include "registry/registry.h"
#include "server/json_reply.h"

struct request;

/* routes_public.c */
void route_lookup(struct request *r);
void route_verify_qr(struct request *r);
void route_qr_check(struct request *r);
void route_verify_impression(struct request *r);
void route_keys(struct request *r);
void route_healthz(struct request *r);
void route_metrics(struct request *r);
void route_page(struct request *r);
void route_static(struct request *r);

/* routes_engraver.c */
void route_register(struct request *r);
void route_qr_png(struct request *r);
void route_engraver_list(struct request *r);

/* routes_police.c */
void route_archive_get(struct request *r);
void route_archive_impression(struct request *r);
void route_archive_verifications(struct request *r);
void route_archive_status(struct request *r);
void route_archive_search(struct request *r);
void route_archive_search_impression(struct request *r);

/* Shared JSON shapes (routes_public.c).  seal_public writes the SealPublic
 * object; seal_full adds credit code, version, updated_at, history_count.
 * eng may be NULL (engraver unknown: company "" is written). */
void routes_write_seal(struct json_writer *w, const struct seal_record *s,
                       const struct engraver_record *eng, int full);

/* Look the engraver of s up in txn (zeroed record when missing). */
void routes_engraver_of(struct registry_txn *txn, const struct seal_record *s,
                        struct engraver_record *eng);

/* Parse r->param (percent-decoded) as a seal code with registry_code_check();
 * on failure answers 400 and returns the error. */
int routes_code_param(struct request *r, char code[SEAL_CODE_LEN + 1]);

/* Get the body of an image route: the raw body for image/png, image/jpeg,
 * application/octet-stream, or the part "image" / "file" of a multipart
 * body.  Answers 415/400/413 itself and returns non-zero on failure. */
int routes_image_body(struct request *r, const void **data, size_t *len);

/* A page of seals being written as a JSON array (routes_list.c): the
 * callback for registry_seal_list() and the find functions writes each seal
 * in full and remembers the last one for the next page's cursor. */
struct routes_list {
	struct json_writer *w;
	struct registry_txn *txn;
	struct engraver_record eng; /* cache: seals of one engraver come together */
	size_t count;
	char last[SEAL_CODE_LEN + 1];
	char last_holder[SEAL_HOLDER_MAX + 1];
};

int routes_list_one(const struct seal_record *s, void *arg);

/* Record a verification-log row (route "lookup", "qr", "impression"). */
void routes_log_query(struct request *r, const char *code, const char *route, const char *result);

#endif
