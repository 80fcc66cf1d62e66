/* A thread for the newest request only (see latest.h). */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "ui/latest.h"

struct latest {
	const struct latest_ops *ops;
	void *ctx;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int wake_fd;
	unsigned char wake_byte;
	bool quit;
	unsigned gen; /* of the newest request */
	/* the request waiting */
	struct buf req;
	char *req_key;
	bool req_pending;
	/* the newest answer */
	void *res;
	char *res_key;
	unsigned res_gen;
	bool res_final, res_ready;
};

static void *latest_thread(void *arg)
{
	struct latest *l = arg;

	if (l->ops->start)
		l->ops->start(l->ctx);
	pthread_mutex_lock(&l->mu);
	for (;;) {
		struct buf bytes;
		char *key;
		unsigned gen;

		while (!l->quit && !l->req_pending)
			pthread_cond_wait(&l->cv, &l->mu);
		if (l->quit)
			break;
		bytes = l->req;
		buf_init(&l->req);
		key = l->req_key;
		l->req_key = NULL;
		gen = l->gen;
		l->req_pending = false;
		pthread_mutex_unlock(&l->mu);

		l->ops->work(l, l->ctx, bytes.data ? bytes.data : "", bytes.len, key, gen);
		buf_release(&bytes);
		free(key);
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	if (l->ops->stop)
		l->ops->stop(l->ctx);
	return NULL;
}

struct latest *latest_new(const struct latest_ops *ops, void *ctx, int wake_fd,
                          unsigned char wake_byte)
{
	struct latest *l = xcalloc(1, sizeof(*l));

	l->ops = ops;
	l->ctx = ctx;
	l->wake_fd = wake_fd;
	l->wake_byte = wake_byte;
	buf_init(&l->req);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	if (pthread_create(&l->th, NULL, latest_thread, l) != 0) {
		pthread_mutex_destroy(&l->mu);
		pthread_cond_destroy(&l->cv);
		free(l);
		return NULL;
	}
	return l;
}

void latest_free(struct latest **lp)
{
	struct latest *l = lp ? *lp : NULL;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	l->quit = true;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->th, NULL);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	buf_release(&l->req);
	free(l->req_key);
	if (l->res)
		l->ops->free_answer(l->res);
	free(l->res_key);
	free(l);
	*lp = NULL;
}

void latest_ask(struct latest *l, const char *bytes, size_t len, const char *key)
{
	pthread_mutex_lock(&l->mu);
	buf_reset(&l->req);
	buf_add(&l->req, bytes, len);
	free(l->req_key);
	l->req_key = xstrdup(key);
	l->gen++;
	l->req_pending = true;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

bool latest_post(struct latest *l, void *answer, bool final, const char *key, unsigned gen)
{
	unsigned char b = l->wake_byte;
	bool newer;

	pthread_mutex_lock(&l->mu);
	newer = l->req_pending || l->quit;
	if (l->res)
		l->ops->free_answer(l->res);
	free(l->res_key);
	l->res = answer;
	l->res_key = xstrdup(key);
	l->res_gen = gen;
	l->res_final = final;
	l->res_ready = true;
	if (write(l->wake_fd, &b, 1) < 0) {
		/* a full pipe wakes the loop anyway */
	}
	pthread_mutex_unlock(&l->mu);
	return !newer;
}

bool latest_take(struct latest *l, const char *key, void **answer, bool *final)
{
	void *res = NULL;
	char *res_key = NULL;
	bool ready, current = false;

	pthread_mutex_lock(&l->mu);
	ready = l->res_ready;
	if (ready) {
		res = l->res;
		res_key = l->res_key;
		current = l->res_gen == l->gen;
		*final = l->res_final;
		l->res = NULL;
		l->res_key = NULL;
		l->res_ready = false;
	}
	pthread_mutex_unlock(&l->mu);
	if (!ready)
		return false;
	/* an answer for a message the pager no longer shows is dropped */
	if (!current || key == NULL || strcmp(res_key, key) != 0) {
		if (res)
			l->ops->free_answer(res);
		free(res_key);
		return false;
	}
	free(res_key);
	*answer = res;
	return true;
}
