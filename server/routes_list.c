/* routes_list.c - one page of seals as JSON, shared by the engraver's own
 * listing and the police archive search. */
#include <string.h>

#include "server/json_reply.h"
#include "server/routes.h"

int
routes_list_one(const struct seal_record *s, void *arg)
{
	struct routes_list *c = arg;

	if (strcmp(c->eng.prefix, s->engraver) != 0)
		routes_engraver_of(c->txn, s, &c->eng);
	jw_obj_begin(c->w);
	routes_write_seal(c->w, s, &c->eng, 1);
	jw_obj_end(c->w);
	c->count++;
	memcpy(c->last, s->code, sizeof(c->last));
	memcpy(c->last_holder, s->holder, sizeof(c->last_holder));
	return 0;
}
