/*
 * A discriminative second model: logistic regression over the same
 * tokens (binary presence, each message's vector of unit length), fitted
 * by stochastic gradient descent with an L2 penalty.
 *
 * Robinson's f(w) looks at one token at a time: a word that newsletters
 * of both classes carry gets a probability from its counts alone.  A
 * jointly fitted weight is small when other tokens of the same messages
 * already explain them, which is what the messages the Bayes filter is
 * unsure of need (tests/bench/spam/README).
 *
 * The fit is deterministic: the order of the examples comes from a fixed
 * generator, so the same messages give the same weights everywhere.
 */
#include <math.h>

#include "spam/spam_int.h"

struct spam_lr {
	uint64_t *keys;  /* open addressing, 0 = empty (hash 0 stored as 1) */
	float *w;
	size_t cap;      /* power of two */
	size_t n;
	double bias;
};

static uint64_t key_of(uint64_t h)
{
	return h ? h : 1;
}

static size_t slot_of(const struct spam_lr *m, uint64_t k)
{
	size_t i = (size_t)(k ^ (k >> 29)) & (m->cap - 1);

	while (m->keys[i] != 0 && m->keys[i] != k)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void lr_init(struct spam_lr *m, size_t want)
{
	m->cap = 16;
	while (m->cap < want * 2)
		m->cap <<= 1;
	m->keys = xcalloc(m->cap, sizeof(*m->keys));
	m->w = xcalloc(m->cap, sizeof(*m->w));
	m->n = 0;
}

static void lr_grow(struct spam_lr *m)
{
	struct spam_lr old = *m;

	lr_init(m, old.cap);
	for (size_t i = 0; i < old.cap; i++)
		if (old.keys[i]) {
			size_t j = slot_of(m, old.keys[i]);

			m->keys[j] = old.keys[i];
			m->w[j] = old.w[i];
			m->n++;
		}
	free(old.keys);
	free(old.w);
}

/* The slot of hash h, added when absent. */
static size_t lr_slot(struct spam_lr *m, uint64_t h)
{
	uint64_t k = key_of(h);
	size_t i;

	if ((m->n + 1) * 2 > m->cap)
		lr_grow(m);
	i = slot_of(m, k);
	if (m->keys[i] == 0) {
		m->keys[i] = k;
		m->n++;
	}
	return i;
}

void spam_lr_params_default(struct spam_lr_params *p)
{
	/* The grid of `wary spam cv --lr-grid` (lambda 1e-3 to 1e-6, 5 to 20
	 * passes, eta0 0.1 to 2) inside the benchmark's training split put
	 * the most unsure spam above the highest unsure ham with these
	 * (tests/bench/spam/README: measured, not kept). */
	p->lambda = 1e-6;
	p->epochs = 10;
	p->eta0 = 2.0;
	p->cutoff = 0.5;
}

int spam_lr_new(struct spam_lr **out)
{
	struct spam_lr *m = xcalloc(1, sizeof(*m));

	lr_init(m, 8);
	*out = m;
	return WARY_OK;
}

void spam_lr_free(struct spam_lr **mp)
{
	if (mp == NULL || *mp == NULL)
		return;
	free((*mp)->keys);
	free((*mp)->w);
	free(*mp);
	*mp = NULL;
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static double sigmoid(double z)
{
	if (z >= 0)
		return 1.0 / (1.0 + exp(-z));
	return exp(z) / (1.0 + exp(z));
}

int spam_lr_train(struct spam_lr *m, const uint64_t *const *h, const size_t *nh,
                  const bool *is_spam, const bool *use, size_t n,
                  const struct spam_lr_params *p, char *err, size_t errlen)
{
	uint32_t **ix = NULL;
	double *v = NULL, a = 1.0, bias = 0;
	size_t *order = NULL, nuse = 0, t = 0;
	uint64_t seed = 0x5eed;
	int rc = WARY_OK;

	if (p->epochs < 1 || p->lambda < 0 || p->eta0 <= 0) {
		snprintf(err, errlen, "logistic model: bad parameters");
		return WARY_ERR;
	}
	/* The slots of every token first: the weights live in one array
	 * during the fit and the map is only read afterwards. */
	free(m->keys);
	free(m->w);
	lr_init(m, 1 << 14);
	ix = xcalloc(n ? n : 1, sizeof(*ix));
	order = xcalloc(n ? n : 1, sizeof(*order));
	for (size_t i = 0; i < n; i++) {
		if (use && !use[i])
			continue;
		order[nuse++] = i;
		ix[i] = xcalloc(nh[i] ? nh[i] : 1, sizeof(**ix));
		for (size_t k = 0; k < nh[i]; k++)
			(void)lr_slot(m, h[i][k]);
	}
	/* slots are final once every token is in (no more growth) */
	for (size_t q = 0; q < nuse; q++) {
		size_t i = order[q];

		for (size_t k = 0; k < nh[i]; k++)
			ix[i][k] = (uint32_t)slot_of(m, key_of(h[i][k]));
	}
	v = xcalloc(m->cap, sizeof(*v));
	for (int e = 0; e < p->epochs; e++) {
		/* Fisher-Yates with the fixed generator */
		for (size_t q = nuse; q > 1; q--) {
			size_t r = (size_t)(lcg(&seed) % q), tmp = order[q - 1];

			order[q - 1] = order[r];
			order[r] = tmp;
		}
		for (size_t q = 0; q < nuse; q++, t++) {
			size_t i = order[q];
			double x = nh[i] ? 1.0 / sqrt((double)nh[i]) : 0, z = 0, g, eta;

			/* Bottou's rate for L2-regularised SGD */
			eta = p->eta0 / (1.0 + p->eta0 * p->lambda * (double)t);
			for (size_t k = 0; k < nh[i]; k++)
				z += v[ix[i][k]];
			z = a * z * x + bias;
			g = sigmoid(z) - (is_spam[i] ? 1.0 : 0.0);
			/* the penalty shrinks every weight: kept as a common
			 * scale so that a step touches only the message's tokens */
			a *= 1.0 - eta * p->lambda;
			if (a < 1e-6) {
				for (size_t j = 0; j < m->cap; j++)
					v[j] *= a;
				a = 1.0;
			}
			for (size_t k = 0; k < nh[i]; k++)
				v[ix[i][k]] -= eta * g * x / a;
			bias -= eta * g * 0.1;
		}
	}
	for (size_t j = 0; j < m->cap; j++)
		m->w[j] = (float)(a * v[j]);
	m->bias = bias;
	for (size_t i = 0; i < n; i++)
		free(ix[i]);
	free(ix);
	free(order);
	free(v);
	return rc;
}

double spam_lr_prob(const struct spam_lr *m, const uint64_t *h, size_t n)
{
	double z = 0;

	if (n == 0)
		return sigmoid(m->bias);
	for (size_t k = 0; k < n; k++) {
		size_t i = slot_of(m, key_of(h[k]));

		if (m->keys[i])
			z += m->w[i];
	}
	return sigmoid(z * (1.0 / sqrt((double)n)) + m->bias);
}

size_t spam_lr_count(const struct spam_lr *m)
{
	return m->n;
}
