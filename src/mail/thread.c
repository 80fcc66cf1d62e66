/* JWZ threading (https://www.jwz.org/doc/threading.html) without the
 * quadratic parts: links are made without loop checks and loops are
 * broken afterwards in one pass, so a 100k-message chain stays linear;
 * ids live in an open-addressing hash table; sorting is qsort. */
#include <stddef.h>

#include "mail/mail_int.h"

#define THREAD_MAX_REFS 256 /* References looked at per message */

/* Containers are numbered in 32 bits (mail_thread bounds n so that they
 * fit): 32 bytes a container instead of 64 (a message's date is read
 * from its input), for the memory a 100k folder's threading takes and
 * the cache misses of walking it. */
#define NONE ((size_t)UINT32_MAX)

struct cont {
	const char *id; /* points into the message's header */
	uint32_t idlen;
	uint32_t msg;    /* NONE for a dummy */
	uint32_t parent; /* NONE for none */
	uint32_t first_kid, next_sib;
	int state;
};

/* A slot keeps the id's hash beside the container: a probe compares
 * hashes in the table and reads a container and its id only on a match. */
struct tslot {
	uint32_t hash;
	uint32_t c; /* container index + 1, 0 = empty */
};

struct table {
	struct tslot *slot;
	size_t mask, used;
};

struct threader {
	struct cont *c;
	size_t n, cap;
	struct table t;
	const struct mail_thread_view *v;
};

/* A field of message i of the view. */
static const char *vstr(const struct mail_thread_view *v, size_t i, size_t off)
{
	const char *p;

	memcpy(&p, (const char *)v->base + i * v->stride + off, sizeof(p));
	return p;
}

static time_t vdate(const struct mail_thread_view *v, size_t i)
{
	time_t t;

	memcpy(&t, (const char *)v->base + i * v->stride + v->date, sizeof(t));
	return t;
}

/* Eight bytes a step (FNV's byte steps were a sixth of threading's time). */
static uint32_t hash_id(const char *s, size_t n)
{
	return (uint32_t)str_hash64(s, n, 0);
}

/* Double the id table: References can name many more ids than there
 * are messages, and a full table would never find a free slot. */
static void table_grow(struct table *t)
{
	size_t size = (t->mask + 1) * 2, i;
	struct tslot *old = t->slot;

	t->slot = xcalloc(size, sizeof(*t->slot));
	for (i = 0; i <= t->mask; i++) {
		size_t j;

		if (old[i].c == 0)
			continue;
		j = old[i].hash & (size - 1);
		while (t->slot[j].c != 0)
			j = (j + 1) & (size - 1);
		t->slot[j] = old[i];
	}
	t->mask = size - 1;
	free(old);
}

static size_t cont_add(struct threader *th, const char *id, size_t idlen)
{
	struct cont *c;

	if (th->n == th->cap) {
		th->cap = th->cap ? th->cap * 2 : 64;
		th->c = xreallocarray(th->c, th->cap, sizeof(*th->c));
	}
	c = &th->c[th->n];
	c->id = id;
	c->idlen = (uint32_t)idlen;
	c->msg = NONE;
	c->parent = NONE;
	c->first_kid = NONE;
	c->next_sib = NONE;
	c->state = 0;
	return th->n++;
}

/* Find or make the container for an id. */
static size_t lookup(struct threader *th, const char *id, size_t idlen)
{
	uint32_t h = hash_id(id, idlen);
	size_t i;

	if (th->t.used >= th->t.mask / 2)
		table_grow(&th->t);
	i = h & th->t.mask;
	for (;;) {
		const struct tslot *sl = &th->t.slot[i];
		if (sl->c == 0) {
			size_t c = cont_add(th, id, idlen);
			th->t.slot[i].hash = h;
			th->t.slot[i].c = (uint32_t)(c + 1);
			th->t.used++;
			return c;
		}
		if (sl->hash == h && th->c[sl->c - 1].idlen == idlen &&
		    memcmp(th->c[sl->c - 1].id, id, idlen) == 0)
			return sl->c - 1;
		i = (i + 1) & th->t.mask;
	}
}

/* Next "<...>" id in s; malformed pieces are skipped.  One pass: an id
 * ends at the first '>', and a space, control character or '<' before
 * it makes the piece malformed (the scan goes on from that character,
 * so "<a<b>" gives b).  Without a '>' left there is no id. */
static bool next_id(const char **sp, const char **id, size_t *len)
{
	const char *s = *sp;

	for (;;) {
		const char *lt = strchr(s, '<'), *p;

		if (lt == NULL)
			return false;
		for (p = lt + 1;; p++) {
			unsigned char c = (unsigned char)*p;
			if (c == '>' || c <= ' ' || c == '<' || c == 127)
				break;
		}
		if (*p == '\0')
			return false;
		if (*p != '>') {
			s = p;
			continue;
		}
		if (p == lt + 1) { /* "<>" */
			s = p;
			continue;
		}
		*id = lt + 1;
		*len = (size_t)(p - lt - 1);
		*sp = p + 1;
		return true;
	}
}

/* Sort keys carry what the comparison needs, so qsort needs no context. */
struct key {
	time_t date;
	uint32_t msg;
	uint32_t c;
};

static int cmp_key(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	if (x->msg != y->msg)
		return x->msg < y->msg ? -1 : 1;
	return 0;
}

static int cmp_key_desc(const void *a, const void *b)
{
	return -cmp_key(a, b);
}

static void set_key(const struct threader *th, struct key *k, size_t c)
{
	k->date = th->c[c].msg != NONE ? vdate(th->v, th->c[c].msg) : 0;
	k->msg = th->c[c].msg;
	k->c = (uint32_t)c;
}

static void unlink_parent(struct threader *th, size_t c)
{
	size_t p = th->c[c].parent;
	uint32_t *link;

	if (p == NONE)
		return;
	for (link = &th->c[p].first_kid; *link != NONE; link = &th->c[*link].next_sib) {
		if (*link == c) {
			*link = th->c[c].next_sib;
			break;
		}
	}
	th->c[c].parent = NONE;
	th->c[c].next_sib = NONE;
}

static void link_parent(struct threader *th, size_t c, size_t p)
{
	th->c[c].parent = p;
	th->c[c].next_sib = th->c[p].first_kid;
	th->c[p].first_kid = c;
}

/* Break every cycle: follow parents, and when the walk meets its own
 * path, cut the link that closed the loop. */
static void break_loops(struct threader *th)
{
	size_t i, *path = NULL, cap = 0;

	for (i = 0; i < th->n; i++) {
		size_t c = i, np = 0, k;

		while (c != NONE && th->c[c].state == 0) {
			th->c[c].state = 1;
			if (np == cap) {
				cap = cap ? cap * 2 : 64;
				path = xreallocarray(path, cap, sizeof(*path));
			}
			path[np++] = c;
			c = th->c[c].parent;
		}
		if (c != NONE && th->c[c].state == 1)
			unlink_parent(th, path[np - 1]);
		for (k = 0; k < np; k++)
			th->c[path[k]].state = 2;
	}
	free(path);
}

static char *subject_base(const char *subject, bool *stripped);

/* strstr(s, "=?") without its setup cost: called once per thread root. */
static bool has_encoded_word(const char *s)
{
	for (s = strchr(s, '='); s != NULL; s = strchr(s + 1, '='))
		if (s[1] == '?')
			return true;
	return false;
}

static char *base_subject(const char *subj, bool *was_reply)
{
	char *dec, *base;

	*was_reply = false;
	if (subj == NULL)
		return xstrdup("");
	if (!has_encoded_word(subj))
		return subject_base(subj, was_reply);
	dec = mail_rfc2047_decode(subj, strlen(subj));
	base = subject_base(dec, was_reply);
	free(dec);
	return base;
}

int mail_thread_view(const struct mail_thread_view *v, size_t n, bool reverse, size_t *order,
                     int *depths, char *err, size_t errlen)
{
	struct threader th;
	size_t i, size = 64, nroots = 0, *up = NULL, *path = NULL;
	size_t nout = 0, sp = 0, capkids = 64;
	uint32_t *stack = NULL;
	struct key *keys = NULL, *kids = NULL;
	int *depth = NULL;
	int rc = WARY_OK;

	memset(&th, 0, sizeof(th));
	th.v = v;
	if (n == 0)
		return WARY_OK;
	/* Containers are numbered in 32 bits: at most one per message and
	 * one per id it names. */
	if (n > UINT32_MAX / (THREAD_MAX_REFS + 3))
		return err_set(err, errlen, WARY_ELIMIT, "too many messages to thread");
	/* filled to half before it grows: twice the messages' own ids */
	while (size < n * 2)
		size *= 2;
	th.t.slot = xcalloc(size, sizeof(*th.t.slot));
	th.t.mask = size - 1;
	/* Most folders name few ids beyond their messages' own. */
	th.cap = n + n / 2 + 64;
	th.c = xreallocarray(NULL, th.cap, sizeof(*th.c));

	for (i = 0; i < n; i++) {
		const char *id = NULL, *s;
		size_t idlen = 0, c, prev = NONE, refs = 0;
		const char *rid;
		size_t rlen;
		const char *lastref = NULL;
		size_t lastlen = 0;

		s = vstr(v, i, v->message_id);
		if (s != NULL && next_id(&s, &id, &idlen)) {
			c = lookup(&th, id, idlen);
			if (th.c[c].msg != NONE)
				c = cont_add(&th, NULL, 0); /* a duplicate id: its own container */
		} else {
			c = cont_add(&th, NULL, 0);
		}
		th.c[c].msg = (uint32_t)i;

		s = vstr(v, i, v->references);
		while (s != NULL && refs < THREAD_MAX_REFS && next_id(&s, &rid, &rlen)) {
			size_t r = lookup(&th, rid, rlen);
			if (prev != NONE && r != prev && th.c[r].parent == NONE)
				link_parent(&th, r, prev);
			prev = r;
			lastref = rid;
			lastlen = rlen;
			refs++;
		}
		s = vstr(v, i, v->in_reply_to);
		if (s != NULL && next_id(&s, &rid, &rlen) &&
		    !(lastref != NULL && lastlen == rlen && memcmp(lastref, rid, rlen) == 0)) {
			size_t r = lookup(&th, rid, rlen);
			if (prev != NONE && r != prev && th.c[r].parent == NONE)
				link_parent(&th, r, prev);
			prev = r;
		}
		/* The message's own parent is its last reference, replacing what
		 * the links of other messages guessed. */
		if (prev != NONE && prev != c) {
			unlink_parent(&th, c);
			link_parent(&th, c, prev);
		} else if (prev == c) {
			unlink_parent(&th, c);
		}
	}
	break_loops(&th);
	/* Every id is looked up: the table goes before the rest is made,
	 * for the peak memory of a 100k folder's threading (a cold open's). */
	free(th.t.slot);
	th.t.slot = NULL;

	/* Dummies are not shown: every message hangs from its nearest real
	 * ancestor.  up[] memoises that ancestor for dummies so chains of
	 * them are walked once. */
	up = xreallocarray(NULL, th.n, sizeof(*up));
	for (i = 0; i < th.n; i++)
		up[i] = NONE - 1; /* not known yet */
	path = xreallocarray(NULL, th.n + 1, sizeof(*path));
	for (i = 0; i < th.n; i++) {
		size_t p = th.c[i].parent, np = 0, anc, k;

		while (p != NONE && th.c[p].msg == NONE && up[p] == NONE - 1) {
			path[np++] = p;
			p = th.c[p].parent;
		}
		if (p == NONE)
			anc = NONE;
		else if (th.c[p].msg != NONE)
			anc = p;
		else
			anc = up[p];
		for (k = 0; k < np; k++)
			up[path[k]] = anc;
		up[i] = anc;
	}
	for (i = 0; i < th.n; i++) {
		th.c[i].first_kid = NONE;
		th.c[i].next_sib = NONE;
		th.c[i].parent = NONE;
	}
	for (i = th.n; i-- > 0;)
		if (th.c[i].msg != NONE && up[i] != NONE)
			link_parent(&th, i, up[i]);
	free(up);
	free(path);
	up = path = NULL;

	keys = xreallocarray(NULL, n, sizeof(*keys));
	for (i = 0; i < th.n; i++)
		if (th.c[i].msg != NONE && th.c[i].parent == NONE)
			set_key(&th, &keys[nroots++], i);
	qsort(keys, nroots, sizeof(*keys), cmp_key);

	/* Subject grouping: a root "Re: x" joins the oldest root whose
	 * subject is "x" itself. */
	{
		struct table st;
		size_t ssize = 64, k, kept = 0;
		bool *reply = xcalloc(nroots ? nroots : 1, sizeof(*reply));
		/* A root's base subject as a 64-bit hash (0: none), compared by
		 * it alone: the subjects themselves, kept for the whole of the
		 * grouping, were the largest part of a 100k folder's threading
		 * at its peak (2.8 MB).  Two subjects of one hash would join two
		 * threads, as References naming the other would: a sender can do
		 * no more than it could already. */
		uint64_t *sh = xcalloc(nroots ? nroots : 1, sizeof(*sh));

		for (k = 0; k < nroots; k++) {
			char *b = base_subject(vstr(v, keys[k].msg, v->subject), &reply[k]);
			size_t blen = strlen(b);

			if (blen > 0) {
				sh[k] = str_hash64(b, blen, 0x7375626a65637431ull);
				if (sh[k] == 0)
					sh[k] = 1;
			}
			free(b);
		}
		/* the table holds the roots that are not replies, half full */
		for (k = 0; k < nroots; k++)
			kept += !reply[k];
		while (ssize < kept * 2 + 2)
			ssize *= 2;
		kept = 0;
		st.slot = xcalloc(ssize, sizeof(*st.slot));
		st.mask = ssize - 1;
		for (k = 0; k < nroots; k++) {
			uint32_t h = (uint32_t)sh[k];
			size_t j;

			if (sh[k] == 0 || reply[k])
				continue;
			j = h & st.mask;
			while (st.slot[j].c != 0 && sh[st.slot[j].c - 1] != sh[k])
				j = (j + 1) & st.mask;
			if (st.slot[j].c == 0) {
				st.slot[j].hash = h;
				st.slot[j].c = (uint32_t)(k + 1);
			}
		}
		for (k = 0; k < nroots; k++) {
			bool joined = false;

			if (sh[k] != 0 && reply[k]) {
				size_t j = (uint32_t)sh[k] & st.mask;

				while (st.slot[j].c != 0 && sh[st.slot[j].c - 1] != sh[k])
					j = (j + 1) & st.mask;
				if (st.slot[j].c != 0 && st.slot[j].c - 1 != k) {
					link_parent(&th, keys[k].c, keys[st.slot[j].c - 1].c);
					joined = true;
				}
			}
			if (!joined)
				keys[kept++] = keys[k];
		}
		free(sh);
		free(reply);
		free(st.slot);
		nroots = kept;
	}
	if (reverse)
		qsort(keys, nroots, sizeof(*keys), cmp_key_desc);

	/* Depth-first output with an explicit stack: threads can be deep. */
	/* Only messages are pushed, each once (one parent or none). */
	stack = xreallocarray(NULL, n + 1, sizeof(*stack));
	depth = xreallocarray(NULL, n + 1, sizeof(*depth));
	/* a message's replies, sorted: grown to the most any one has */
	kids = xreallocarray(NULL, capkids, sizeof(*kids));
	for (i = nroots; i-- > 0;) {
		stack[sp] = keys[i].c;
		depth[sp] = 0;
		sp++;
	}
	free(keys); /* (the roots are on the stack) */
	keys = NULL;
	while (sp > 0 && nout < n) {
		size_t c, k, nk = 0;
		int d;

		sp--;
		c = stack[sp];
		d = depth[sp];
		order[nout] = th.c[c].msg;
		depths[nout] = d;
		nout++;
		for (k = th.c[c].first_kid; k != NONE; k = th.c[k].next_sib) {
			if (nk == capkids) {
				capkids *= 2;
				kids = xreallocarray(kids, capkids, sizeof(*kids));
			}
			set_key(&th, &kids[nk++], k);
		}
		if (nk > 1) /* most messages have no reply: no call for them */
			qsort(kids, nk, sizeof(*kids), cmp_key);
		for (k = nk; k-- > 0;) {
			stack[sp] = kids[k].c;
			depth[sp] = d + 1;
			sp++;
		}
	}
	if (nout != n)
		rc = err_set(err, errlen, WARY_ERR, "threading lost %zu messages", n - nout);
	free(stack);
	free(depth);
	free(kids);
	free(keys);
	free(up);
	free(path);
	free(th.c);
	free(th.t.slot);
	return rc;
}

/* Strip one prefix: 0 when none, 1 for a [list] tag, 2 for Re:/Fwd:... */
static int strip_prefix(const char **sp)
{
	static const struct {
		const char *s;
		size_t n;
	} pre[] = { { "re", 2 }, { "fwd", 3 }, { "fw", 2 }, { "aw", 2 }, { "sv", 2 }, { "antw", 4 },
		    { "vs", 2 }, { "tr", 2 }, { "wg", 2 }, { "rif", 3 }, { "odp", 3 } };
	const char *s = *sp;
	size_t k;

	while (*s == ' ' || *s == '\t')
		s++;
	/* Most subjects start with none of the prefixes' letters. */
	if (strchr("[rRfFaAsSvVtTwWoO", *s) == NULL || *s == '\0')
		return 0;
	if (*s == '[') {
		const char *e = strchr(s, ']');
		if (e != NULL && e - s < 64) {
			*sp = e + 1;
			return 1;
		}
	}
	for (k = 0; k < ARRAY_SIZE(pre); k++) {
		size_t n = pre[k].n;
		const char *p = s + n;
		if (str_ncasecmp(s, pre[k].s, n) != 0)
			continue;
		if (*p == '[' || *p == '(') { /* "Re[2]:" */
			char close = *p == '[' ? ']' : ')';
			while (*p != '\0' && *p != close)
				p++;
			if (*p == close)
				p++;
		}
		while (*p == ' ')
			p++;
		if (*p == ':') {
			*sp = p + 1;
			return 2;
		}
		if (strncmp(p, "\xef\xbc\x9a", 3) == 0) { /* full-width colon (CJK mailers) */
			*sp = p + 3;
			return 2;
		}
	}
	return 0;
}

static char *subject_base(const char *subject, bool *stripped)
{
	const char *s = subject != NULL ? subject : "";
	char *r;
	size_t n;

	*stripped = false;
	for (;;) {
		int k = strip_prefix(&s);
		if (k == 0)
			break;
		if (k == 2)
			*stripped = true; /* a list tag alone does not make a reply */
	}
	r = xstrdup(s);
	str_trim(r);
	n = strlen(r);
	if (n >= 5 && str_casecmp(r + n - 5, "(fwd)") == 0) {
		r[n - 5] = '\0';
		str_trim(r);
		*stripped = true;
	}
	/* folding white space inside the subject counts as one space */
	{
		size_t i, j;
		bool sp = false;
		for (i = 0, j = 0; r[i] != '\0'; i++) {
			bool w = r[i] == ' ' || r[i] == '\t' || r[i] == '\r' || r[i] == '\n';
			if (w) {
				if (!sp)
					r[j++] = ' ';
				sp = true;
			} else {
				r[j++] = r[i];
				sp = false;
			}
		}
		r[j] = '\0';
	}
	return r;
}

char *mail_subject_base(const char *subject)
{
	bool stripped;

	return subject_base(subject, &stripped);
}

int mail_thread(const struct mail_thread_in *in, size_t n, bool reverse,
                struct mail_thread_out *out, char *err, size_t errlen)
{
	const struct mail_thread_view v = {
		in, sizeof(*in), offsetof(struct mail_thread_in, message_id),
		offsetof(struct mail_thread_in, in_reply_to), offsetof(struct mail_thread_in, references),
		offsetof(struct mail_thread_in, subject), offsetof(struct mail_thread_in, date),
	};
	size_t *order = xreallocarray(NULL, n ? n : 1, sizeof(*order));
	int *depth = xreallocarray(NULL, n ? n : 1, sizeof(*depth));
	int rc = mail_thread_view(&v, n, reverse, order, depth, err, errlen);

	for (size_t i = 0; rc == WARY_OK && i < n; i++) {
		out[i].index = order[i];
		out[i].depth = depth[i];
	}
	free(order);
	free(depth);
	return rc;
}
