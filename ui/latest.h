#ifndef WARY_UI_LATEST_H
#define WARY_UI_LATEST_H
/*
 * latest: a thread that works on the newest request only.  The pager asks
 * it about the message it shows (PGP, the sender verdict); moving on to
 * another message replaces a request still waiting, and an answer for a
 * message no longer shown is dropped, so slow work (gpg, DNS) never
 * queues up behind the user.  Answers wake the UI by one byte on its
 * wake-up pipe.
 */
#include <stdbool.h>
#include <stddef.h>

struct latest;

struct latest_ops {
	/* On the thread, before the first request and after the last; may be NULL. */
	void (*start)(void *ctx);
	void (*stop)(void *ctx);
	/* On the thread, one request: the message's bytes and its key.  It
	 * hands its answers to latest_post(), partial ones first. */
	void (*work)(struct latest *l, void *ctx, const char *bytes, size_t len, const char *key,
	             unsigned gen);
	void (*free_answer)(void *answer);
};

/* NULL when no thread can be started. */
struct latest *latest_new(const struct latest_ops *ops, void *ctx, int wake_fd,
                          unsigned char wake_byte);
void latest_free(struct latest **l);
/* UI thread: ask about a message; a request still waiting is replaced. */
void latest_ask(struct latest *l, const char *bytes, size_t len, const char *key);
/* Worker thread: hand an answer (NULL: none could be made) and wake the
 * UI; false when a newer request waits, so work can stop early. */
bool latest_post(struct latest *l, void *answer, bool final, const char *key, unsigned gen);
/* UI thread: the answer to the newest request when it is about key (the
 * caller owns *answer, which may be NULL); false, freeing anything stale,
 * otherwise. */
bool latest_take(struct latest *l, const char *key, void **answer, bool *final);

#endif
