/*
 * ratelimit.c - token buckets in a striped, 4-way set-associative table.
 *
 * The key is hashed (FNV-1a, 64 bits); the low bits pick a set of four
 * slots, the full hash identifies the client inside it.  Tokens are refilled
 * lazily from the time of the client's last request.  A miss evicts the slot
 * seen longest ago.  64 mutexes guard the sets (set index modulo 64).
 */
#include "server/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "common/errors.h"

#define RL_WAYS 4
#define RL_STRIPES 64

struct rl_slot {
	uint64_t key;
	uint64_t last_ns;
	double tokens;
};

struct ratelimit {
	double rate, burst;
	size_t sets; /* power of two */
	struct rl_slot *slots;
	pthread_mutex_t locks[RL_STRIPES];
};

int
ratelimit_new(double rate, double burst, size_t slots, struct ratelimit **out)
{
	struct ratelimit *rl;
	size_t sets = 1;

	if (!out || !(rate > 0) || !(burst >= 1) || slots < RL_WAYS)
		return SEAL_EINVAL;
	*out = NULL;
	while (sets * RL_WAYS < slots)
		sets <<= 1;
	rl = calloc(1, sizeof(*rl));
	if (!rl)
		return SEAL_ENOMEM;
	rl->slots = calloc(sets * RL_WAYS, sizeof(*rl->slots));
	if (!rl->slots) {
		free(rl);
		return SEAL_ENOMEM;
	}
	rl->rate = rate;
	rl->burst = burst;
	rl->sets = sets;
	for (int i = 0; i < RL_STRIPES; i++)
		pthread_mutex_init(&rl->locks[i], NULL);
	*out = rl;
	return 0;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	for (int i = 0; i < RL_STRIPES; i++)
		pthread_mutex_destroy(&rl->locks[i]);
	free(rl->slots);
	free(rl);
}

static uint64_t
fnv1a(const void *key, size_t n)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h ? h : 1; /* 0 marks an empty slot */
}

int
ratelimit_take(struct ratelimit *rl, const void *key, size_t keylen, uint64_t now_ns,
               unsigned *retry_after)
{
	uint64_t h = fnv1a(key, keylen);
	size_t set = (size_t)(h >> 7) & (rl->sets - 1);
	struct rl_slot *s = rl->slots + set * RL_WAYS, *slot = NULL, *oldest = s;
	pthread_mutex_t *lock = &rl->locks[set % RL_STRIPES];
	int rc = 0;

	pthread_mutex_lock(lock);
	for (int i = 0; i < RL_WAYS && !slot; i++)
		if (s[i].key == h)
			slot = &s[i];
	for (int i = 0; i < RL_WAYS && !slot; i++) {
		if (s[i].key == 0) {
			oldest = &s[i];
			break;
		}
		if (s[i].last_ns < oldest->last_ns)
			oldest = &s[i];
	}
	if (!slot) {
		slot = oldest;
		slot->key = h;
		slot->tokens = rl->burst;
		slot->last_ns = now_ns;
	} else if (now_ns > slot->last_ns) {
		slot->tokens += rl->rate * (double)(now_ns - slot->last_ns) / 1e9;
		if (slot->tokens > rl->burst)
			slot->tokens = rl->burst;
		slot->last_ns = now_ns;
	}
	if (slot->tokens >= 1.0) {
		slot->tokens -= 1.0;
	} else {
		if (retry_after) {
			double wait = ceil((1.0 - slot->tokens) / rl->rate);

			*retry_after = wait < 1 ? 1 : wait > 3600 ? 3600 : (unsigned)wait;
		}
		rc = SEAL_EBUSY;
	}
	pthread_mutex_unlock(lock);
	return rc;
}
