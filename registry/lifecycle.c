/* lifecycle.c - the transition table of lifecycle.h as a bit matrix. */
#include "registry/lifecycle.h"
#include "common/errors.h"

#define BIT(s) (1u << (s))

static const unsigned ALLOWED[SEAL_STATUS_COUNT] = {
    [SEAL_STATUS_ACTIVE] = BIT(SEAL_STATUS_LOST) | BIT(SEAL_STATUS_REVOKED) |
                           BIT(SEAL_STATUS_DESTROYED) | BIT(SEAL_STATUS_DISPUTED),
    [SEAL_STATUS_DISPUTED] = BIT(SEAL_STATUS_ACTIVE) | BIT(SEAL_STATUS_REVOKED),
    [SEAL_STATUS_LOST] = BIT(SEAL_STATUS_ACTIVE),
    [SEAL_STATUS_REVOKED] = 0,
    [SEAL_STATUS_DESTROYED] = 0,
};

int
lifecycle_check(int from, int to)
{
	if (from < 0 || from >= SEAL_STATUS_COUNT || to < 0 || to >= SEAL_STATUS_COUNT)
		return SEAL_ETRANSITION;
	return (ALLOWED[from] & BIT(to)) ? 0 : SEAL_ETRANSITION;
}

const char *
lifecycle_advice(enum seal_status s)
{
	switch (s) {
	case SEAL_STATUS_LOST:
		return "This seal was reported lost. A document stamped with it after the loss may "
		       "not be genuine: confirm with the holder through a channel you trust.";
	case SEAL_STATUS_REVOKED:
		return "This seal has been revoked and is no longer valid. Do not accept documents "
		       "stamped with it; contact the holder or the police.";
	case SEAL_STATUS_DESTROYED:
		return "This seal was destroyed. Any new impression of it is a forgery: report it "
		       "to "
		       "the police.";
	case SEAL_STATUS_DISPUTED:
		return "This seal is under police investigation. Do not rely on documents stamped "
		       "with it until the dispute is settled.";
	default:
		return NULL;
	}
}
