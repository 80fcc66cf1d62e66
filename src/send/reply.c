/*
 * send: drafts from a message read (reply to the sender, to all, to the
 * list; forward inline or attached), the file the editor sees, the
 * signature, and address completion.
 */
#include <ctype.h>

#include "mail/mail.h"
#include "send/send_int.h"

#define MAX_REFERENCES 30
#define MAX_SIGNATURE (64u * 1024)
#define MAX_BOOK 100000

/* "Name <addr>" for a parsed address, as the user would write it. */
static char *addr_text(const struct mail_addr *a)
{
	char *addr = safe_str(a->address, SAFE_LINE);

	if (a->display && a->display[0]) {
		struct buf b = BUF_INIT;
		char *name = safe_str(a->display, SAFE_LINE);
		const char *p;

		buf_init(&b);
		buf_addch(&b, '"');
		for (p = name; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_addch(&b, '\\');
			buf_addch(&b, *p);
		}
		buf_addf(&b, "\" <%s>", addr);
		free(name);
		free(addr);
		return buf_detach(&b, NULL);
	}
	return addr;
}

static bool is_mine(const char *addr, const char *const *me, size_t nme)
{
	size_t i;

	for (i = 0; i < nme; i++)
		if (me[i] && str_casecmp(addr, me[i]) == 0)
			return true;
	return false;
}

/* Append the addresses of a header to list (", " joined), skipping mine
 * and those already in seen. */
static void add_from_header(const struct mail_msg *m, const char *name, struct buf *list,
                            struct buf *seen, const char *const *me, size_t nme)
{
	size_t n = mail_header_count(m), i, j;

	for (i = 0; i < n; i++) {
		struct mail_addr_list l = { NULL, 0 };
		char e[128];

		if (str_casecmp(mail_header_name(m, i), name) != 0)
			continue;
		mail_addr_parse(mail_header_value(m, i), &l, e, sizeof(e));
		for (j = 0; j < l.n; j++) {
			char key[600];
			char *t;

			if (l.v[j].address == NULL || l.v[j].domain == NULL)
				continue;
			if (is_mine(l.v[j].address, me, nme))
				continue;
			snprintf(key, sizeof(key), "\n%s\n", l.v[j].address);
			str_lower(key);
			if (strstr(seen->data, key) != NULL)
				continue;
			buf_adds(seen, key + 1);
			t = addr_text(&l.v[j]);
			if (list->len > 0)
				buf_adds(list, ", ");
			buf_adds(list, t);
			free(t);
		}
		mail_addr_list_clear(&l);
	}
}

/* The first text/plain leaf, depth first; else the first text/ leaf. */
static const struct mail_part *find_text(const struct mail_part *p, const char *want)
{
	size_t n = mail_part_count_children(p), i;

	if (n == 0) {
		if (str_istarts_with(mail_part_type(p), want) && !mail_part_is_attachment(p))
			return p;
		return NULL;
	}
	if (str_casecmp(mail_part_type(p), "message/rfc822") == 0)
		return NULL;
	for (i = 0; i < n; i++) {
		const struct mail_part *r = find_text(mail_part_child(p, i), want);

		if (r)
			return r;
	}
	return NULL;
}

static void message_text(const struct mail_msg *m, struct buf *out)
{
	const struct mail_part *root = mail_root(m), *t;
	char e[128];

	t = find_text(root, "text/plain");
	if (t == NULL)
		t = find_text(root, "text/");
	if (t == NULL || mail_part_text(t, out, e, sizeof(e)) != WARY_OK) {
		buf_reset(out);
		buf_adds(out, "[no text part]\n");
	} else {
		/* the draft is printed, edited and sent: the sender's escapes,
		 * backspaces and bidi overrides are shown, not kept */
		struct buf safe = BUF_INIT;

		safe_text(&safe, out->data, out->len, SAFE_BODY);
		buf_reset(out);
		buf_add(out, safe.data, safe.len);
		buf_release(&safe);
	}
}

static void quote(struct buf *out, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		buf_adds(out, n > 0 && p[0] == '>' ? ">" : "> ");
		buf_add(out, p, n);
		buf_addch(out, '\n');
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* A decoded header value made safe for the draft (NULL when absent). */
static char *safe_header(const struct mail_msg *m, const char *name)
{
	char *v = mail_header_decoded(m, name), *s;

	if (v == NULL)
		return NULL;
	s = safe_str(v, SAFE_LINE);
	free(v);
	return s;
}

static char *prefixed_subject(const struct mail_msg *m, const char *prefix)
{
	char *s = safe_header(m, "Subject");
	char *res;
	size_t pl = strlen(prefix);

	if (s == NULL)
		s = xstrdup("");
	if (str_ncasecmp(s, prefix, pl - 1) == 0 && s[pl - 1] == ' ')
		res = xstrdup(s);
	else if (strcmp(prefix, "Re: ") == 0 && str_istarts_with(s, "re:"))
		res = xstrdup(s);
	else
		res = xasprintf("%s%s", prefix, s);
	free(s);
	return res;
}

/* A msg-id is printable ASCII without spaces (RFC 5322 3.6.4): one with a
 * CR or a control in it would carry them into the reply's header. */
static bool msgid_ok(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return false;
	return n > 2;
}

/* References: the parent's References (the last ones) and its Message-ID. */
static char *references(const struct mail_msg *m, const char *msgid)
{
	const char *refs = mail_header_get(m, "References");
	const char *ids[MAX_REFERENCES];
	size_t lens[MAX_REFERENCES], n = 0, i, start = 0;
	struct buf b = BUF_INIT;
	const char *p = refs;

	buf_init(&b);
	while (p && (p = strchr(p, '<')) != NULL) {
		const char *q = strchr(p, '>');

		if (q == NULL)
			break;
		if (!msgid_ok(p, (size_t)(q - p + 1))) {
			p = q + 1;
			continue;
		}
		if (n == MAX_REFERENCES) {
			memmove(ids, ids + 1, sizeof(ids[0]) * (MAX_REFERENCES - 1));
			memmove(lens, lens + 1, sizeof(lens[0]) * (MAX_REFERENCES - 1));
			n--;
		}
		ids[n] = p;
		lens[n++] = (size_t)(q - p + 1);
		p = q + 1;
	}
	/* keep the first (the thread's root) when trimming */
	if (n == MAX_REFERENCES)
		start = 1;
	for (i = 0; i < n; i++) {
		if (i < start)
			continue;
		if (b.len)
			buf_addch(&b, ' ');
		buf_add(&b, ids[i], lens[i]);
	}
	if (msgid) {
		if (b.len)
			buf_addch(&b, ' ');
		buf_adds(&b, msgid);
	}
	return b.len ? buf_detach(&b, NULL) : (buf_release(&b), (char *)NULL);
}

static char *first_msgid(const char *v)
{
	const char *p = v ? strchr(v, '<') : NULL, *q = p ? strchr(p, '>') : NULL;

	return q && msgid_ok(p, (size_t)(q - p + 1)) ? xstrndup(p, (size_t)(q - p + 1)) : NULL;
}

/* List-Post: <mailto:list@example.org> (RFC 2369); "NO" means none. */
static char *list_post(const struct mail_msg *m)
{
	const char *v = mail_header_get(m, "List-Post");
	const char *p = v ? str_memcasemem(v, strlen(v), "<mailto:") : NULL;
	const char *q;
	char *a;
	size_t i;

	if (p == NULL)
		return NULL;
	p += 8;
	q = p;
	while (*q && *q != '>' && *q != '?')
		q++;
	a = xstrndup(p, (size_t)(q - p));
	for (i = 0; a[i]; i++)
		if ((unsigned char)a[i] <= 0x20 || a[i] == ',' || a[i] == '<' || a[i] == '"')
			a[i] = '\0';
	/* a mailto: URL is ASCII (RFC 6068): C1 controls or bytes that are
	 * not UTF-8 would go into the draft's To as they came */
	for (i = 0; a[i]; i++)
		if ((unsigned char)a[i] >= 0x7f) {
			free(a);
			return NULL;
		}
	if (strchr(a, '@') == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

static void attribution(struct buf *out, const char *fmt, const struct mail_msg *m)
{
	struct mail_from f;
	char *date = safe_header(m, "Date"), *name, *addr;
	const char *p;

	memset(&f, 0, sizeof(f));
	mail_from_get(m, &f);
	name = safe_str(f.display && f.display[0] ? f.display : f.address ? f.address : "someone",
	                SAFE_LINE);
	addr = safe_str(f.address ? f.address : "someone", SAFE_LINE);
	for (p = fmt ? fmt : "On %d, %n wrote:"; *p; p++) {
		if (*p == '%' && p[1] == 'd') {
			buf_adds(out, date ? date : "(no date)");
			p++;
		} else if (*p == '%' && p[1] == 'n') {
			buf_adds(out, name);
			p++;
		} else if (*p == '%' && p[1] == 'a') {
			buf_adds(out, addr);
			p++;
		} else if (*p == '%' && p[1] == '%') {
			buf_addch(out, '%');
			p++;
		} else {
			buf_addch(out, *p);
		}
	}
	buf_addch(out, '\n');
	free(date);
	free(name);
	free(addr);
	mail_from_clear(&f);
}

int send_reply_draft(const struct mail_msg *m, enum send_reply how, const char *from,
                     const char *const *me, size_t nme, const char *attr,
                     struct send_draft *out, char *err, size_t errlen)
{
	struct buf to = BUF_INIT, cc = BUF_INIT, seen = BUF_INIT, body = BUF_INIT, text = BUF_INIT;
	const char *who = mail_header_get(m, "Reply-To") ? "Reply-To" : "From";
	char *msgid = first_msgid(mail_header_get(m, "Message-ID"));
	int rc = WARY_OK;

	buf_init(&to);
	buf_init(&cc);
	buf_init(&seen);
	buf_init(&body);
	buf_init(&text);
	buf_addch(&seen, '\n');
	send_draft_init(out);
	if (how == SEND_REPLY_LIST) {
		char *l = list_post(m);

		if (l == NULL) {
			rc = err_set(err, errlen, WARY_ENOENT, "no List-Post address in this message");
			goto out;
		}
		buf_adds(&to, l);
		free(l);
	} else {
		add_from_header(m, who, &to, &seen, NULL, 0);
		if (how == SEND_REPLY_ALL) {
			add_from_header(m, "To", &to, &seen, me, nme);
			add_from_header(m, "Cc", &cc, &seen, me, nme);
		}
		if (to.len == 0 && cc.len == 0)
			add_from_header(m, "From", &to, &seen, NULL, 0);
	}
	out->from = xstrdup_null(from);
	out->to = buf_detach(&to, NULL);
	out->cc = cc.len ? buf_detach(&cc, NULL) : NULL;
	out->subject = prefixed_subject(m, "Re: ");
	out->in_reply_to = xstrdup_null(msgid);
	out->references = references(m, msgid);
	attribution(&body, attr, m);
	message_text(m, &text);
	quote(&body, text.data);
	out->body = buf_detach(&body, NULL);
out:
	free(msgid);
	buf_release(&to);
	buf_release(&cc);
	buf_release(&seen);
	buf_release(&body);
	buf_release(&text);
	return rc;
}

int send_forward_draft(const struct mail_msg *m, bool as_attachment, const char *from,
                       struct send_draft *out, char *err, size_t errlen)
{
	struct buf body = BUF_INIT, text = BUF_INIT;
	static const char *const show[] = { "Date", "From", "To", "Cc", "Subject" };
	size_t i;

	(void)err;
	(void)errlen;
	buf_init(&body);
	buf_init(&text);
	send_draft_init(out);
	out->from = xstrdup_null(from);
	out->subject = prefixed_subject(m, "Fwd: ");
	if (as_attachment) {
		size_t len;
		const char *raw = mail_raw(m, &len);
		char *name = xasprintf("%s.eml", out->subject);

		send_draft_attach_data(out, name, "message/rfc822", raw, len);
		free(name);
		out->body = xstrdup("");
	} else {
		buf_adds(&body, "----- Forwarded message -----\n");
		for (i = 0; i < ARRAY_SIZE(show); i++) {
			char *v = safe_header(m, show[i]);

			if (v != NULL)
				buf_addf(&body, "%s: %s\n", show[i], v);
			free(v);
		}
		buf_addch(&body, '\n');
		message_text(m, &text);
		buf_adds(&body, text.data);
		if (text.len && text.data[text.len - 1] != '\n')
			buf_addch(&body, '\n');
		buf_adds(&body, "----- End forwarded message -----\n");
		out->body = buf_detach(&body, NULL);
	}
	buf_release(&body);
	buf_release(&text);
	return WARY_OK;
}

int send_add_signature(struct send_draft *d, const char *path, char *err, size_t errlen)
{
	struct buf s = BUF_INIT, b = BUF_INIT;
	int rc;

	buf_init(&s);
	buf_init(&b);
	rc = fs_read_file(path, &s, MAX_SIGNATURE, err, errlen);
	if (rc == WARY_OK) {
		buf_adds(&b, d->body ? d->body : "");
		if (b.len && b.data[b.len - 1] != '\n')
			buf_addch(&b, '\n');
		/* a signature file that already starts with the separator keeps one */
		if (!str_starts_with(s.data, "-- \n"))
			buf_adds(&b, "-- \n");
		buf_add(&b, s.data, s.len);
		if (s.len && s.data[s.len - 1] != '\n')
			buf_addch(&b, '\n');
		free(d->body);
		d->body = buf_detach(&b, NULL);
	}
	buf_release(&s);
	buf_release(&b);
	return rc;
}

/* ------------------------------------------------------- editor file */

/* "Name: value\n" with the value kept on its line: a CR or LF in it
 * (a subject decoded from a message) would start a header line of its
 * own in the file read back, an Attach: naming a local file or a Bcc. */
static void add_field(struct buf *out, const char *name, const char *v)
{
	if (name != NULL)
		buf_addf(out, "%s: ", name);
	for (; v && *v; v++)
		buf_addch(out, *v == '\n' || *v == '\r' ? ' ' : *v);
	buf_addch(out, '\n');
}

void send_draft_to_edit(const struct send_draft *d, bool headers, struct buf *out)
{
	size_t i;

	if (headers) {
		add_field(out, "From", d->from);
		add_field(out, "To", d->to);
		add_field(out, "Cc", d->cc);
		add_field(out, "Bcc", d->bcc);
		add_field(out, "Subject", d->subject);
		if (d->reply_to)
			add_field(out, "Reply-To", d->reply_to);
		if (d->in_reply_to)
			add_field(out, "In-Reply-To", d->in_reply_to);
		if (d->references)
			add_field(out, "References", d->references);
		for (i = 0; i < d->nextra; i++)
			add_field(out, NULL, d->extra[i]);
		for (i = 0; i < d->natt; i++)
			if (d->att[i].path)
				buf_addf(out, "%s: %s\n", d->att[i].inline_msg ? "Attach-Message" : "Attach",
				         d->att[i].path);
		buf_addch(out, '\n');
	}
	buf_adds(out, d->body ? d->body : "");
}

static void set_field(char **f, const char *v)
{
	free(*f);
	*f = v[0] ? xstrdup(v) : NULL;
}

int send_draft_from_edit(struct send_draft *d, const char *text, size_t len, bool headers,
                         char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	unsigned line = 0;
	int rc = WARY_OK;

	if (memchr(text, '\0', len) != NULL)
		return err_set(err, errlen, WARY_EPARSE, "the draft holds a NUL byte");
	if (headers) {
		size_t i;

		/* the file's fields replace the draft's extra fields */
		for (i = 0; i < d->nextra; i++)
			free(d->extra[i]);
		d->nextra = 0;
		/* attachments named in the file replace those with a path */
		for (i = d->natt; i-- > 0;)
			if (d->att[i].path)
				send_draft_detach(d, i);
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			char *l, *c;

			line++;
			if (n == 0 || (n == 1 && p[0] == '\r')) {
				p = nl ? nl + 1 : end;
				break;
			}
			l = xstrndup(p, n);
			p = nl ? nl + 1 : end;
			if (l[0] == ' ' || l[0] == '\t') {
				free(l);
				return err_set(err, errlen, WARY_EPARSE,
				               "draft line %u: a continuation line (write the field on one line)",
				               line);
			}
			c = strchr(l, ':');
			if (c == NULL) {
				free(l);
				return err_set(err, errlen, WARY_EPARSE,
				               "draft line %u: not a header field (an empty line ends them)",
				               line);
			}
			*c = '\0';
			str_trim(l);
			str_trim(c + 1);
			if (str_casecmp(l, "From") == 0)
				set_field(&d->from, c + 1);
			else if (str_casecmp(l, "To") == 0)
				set_field(&d->to, c + 1);
			else if (str_casecmp(l, "Cc") == 0)
				set_field(&d->cc, c + 1);
			else if (str_casecmp(l, "Bcc") == 0)
				set_field(&d->bcc, c + 1);
			else if (str_casecmp(l, "Subject") == 0)
				set_field(&d->subject, c + 1);
			else if (str_casecmp(l, "Reply-To") == 0)
				set_field(&d->reply_to, c + 1);
			else if (str_casecmp(l, "In-Reply-To") == 0)
				set_field(&d->in_reply_to, c + 1);
			else if (str_casecmp(l, "References") == 0)
				set_field(&d->references, c + 1);
			else if (str_casecmp(l, "Attach") == 0 || str_casecmp(l, "Attach-Message") == 0) {
				if (c[1] != '\0')
					rc = send_draft_attach_file(d, c + 1,
					                            str_casecmp(l, "Attach") == 0 ? NULL :
					                                                            "message/rfc822",
					                            err, errlen);
			} else if (str_istarts_with(l, "Content-") || str_casecmp(l, "MIME-Version") == 0 ||
			           str_casecmp(l, "Message-ID") == 0 || str_casecmp(l, "Date") == 0) {
				rc = err_set(err, errlen, WARY_EPARSE, "draft line %u: %s is set by wary",
				             line, l);
			} else {
				size_t k;

				for (k = 0; l[k]; k++)
					if ((unsigned char)l[k] <= 0x20 || (unsigned char)l[k] >= 0x7f)
						break;
				if (k == 0 || l[k] != '\0')
					rc = err_set(err, errlen, WARY_EPARSE,
					             "draft line %u: bad header name", line);
				else
					send_draft_add_header(d, l, c + 1);
			}
			free(l);
			if (rc != WARY_OK)
				return rc;
		}
	}
	free(d->body);
	d->body = xstrndup(p, (size_t)(end - p));
	return rc;
}

/* ----------------------------------------------------- address book */

struct book_entry {
	char *alias;   /* NULL for a seen address */
	char *display;
	char *address; /* for an alias: its whole expansion */
	unsigned seen;
};
struct send_book {
	struct book_entry *v;
	size_t n;
};

struct send_book *send_book_new(void)
{
	return xcalloc(1, sizeof(struct send_book));
}

void send_book_free(struct send_book **b)
{
	size_t i;

	if (*b == NULL)
		return;
	for (i = 0; i < (*b)->n; i++) {
		free((*b)->v[i].alias);
		free((*b)->v[i].display);
		free((*b)->v[i].address);
	}
	free((*b)->v);
	free(*b);
	*b = NULL;
}

static struct book_entry *book_push(struct send_book *b)
{
	struct book_entry *e;

	b->v = xreallocarray(b->v, b->n + 1, sizeof(*b->v));
	e = &b->v[b->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

int send_book_load_aliases(struct send_book *b, const char *path, char *err, size_t errlen)
{
	struct buf f = BUF_INIT;
	char *p;
	int rc;

	buf_init(&f);
	rc = fs_read_file(path, &f, 16u * 1024 * 1024, err, errlen);
	if (rc != WARY_OK)
		goto out;
	p = f.data;
	while (p && *p && b->n < MAX_BOOK) {
		char *nl = strchr(p, '\n'), *name, *rest;

		if (nl)
			*nl = '\0';
		str_trim(p);
		if (str_starts_with(p, "alias") && (p[5] == ' ' || p[5] == '\t')) {
			name = p + 6;
			while (*name == ' ' || *name == '\t')
				name++;
			rest = name;
			while (*rest && *rest != ' ' && *rest != '\t')
				rest++;
			if (*rest) {
				struct book_entry *e;

				*rest++ = '\0';
				str_trim(rest);
				if (rest[0] != '\0') {
					e = book_push(b);
					e->alias = xstrdup(name);
					e->address = xstrdup(rest);
				}
			}
		}
		p = nl ? nl + 1 : NULL;
	}
out:
	buf_release(&f);
	return rc;
}

void send_book_add_seen(struct send_book *b, const char *raw)
{
	struct mail_addr_list l = { NULL, 0 };
	char e[128];
	size_t i, j;

	if (raw == NULL)
		return;
	mail_addr_parse(raw, &l, e, sizeof(e));
	for (i = 0; i < l.n && b->n < MAX_BOOK; i++) {
		struct book_entry *x;

		if (l.v[i].address == NULL || l.v[i].domain == NULL)
			continue;
		for (j = 0; j < b->n; j++)
			if (b->v[j].alias == NULL && str_casecmp(b->v[j].address, l.v[i].address) == 0)
				break;
		/* a folder's senders become completions, drawn and put into a
		 * draft's To: their names and addresses made safe first */
		if (j < b->n) {
			b->v[j].seen++;
			if (b->v[j].display == NULL && l.v[i].display)
				b->v[j].display = safe_str(l.v[i].display, SAFE_LINE);
			continue;
		}
		x = book_push(b);
		x->address = safe_str(l.v[i].address, SAFE_LINE);
		x->display = l.v[i].display ? safe_str(l.v[i].display, SAFE_LINE) : NULL;
		x->seen = 1;
	}
	mail_addr_list_clear(&l);
}

static bool word_prefix(const char *s, const char *prefix, size_t pl)
{
	const char *p;

	if (s == NULL)
		return false;
	if (str_ncasecmp(s, prefix, pl) == 0)
		return true;
	for (p = s; *p; p++)
		if ((*p == ' ' || *p == '.' || *p == '-') && str_ncasecmp(p + 1, prefix, pl) == 0)
			return true;
	return false;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct book_entry *x = *(struct book_entry *const *)a;
	const struct book_entry *y = *(struct book_entry *const *)b;

	if ((x->alias != NULL) != (y->alias != NULL))
		return x->alias ? -1 : 1;
	if (x->seen != y->seen)
		return x->seen > y->seen ? -1 : 1;
	return strcmp(x->address, y->address);
}

size_t send_book_complete(const struct send_book *b, const char *prefix, char ***out, size_t max)
{
	const struct book_entry **m = NULL;
	size_t nm = 0, i, pl = strlen(prefix);
	char **v;

	*out = NULL;
	if (pl == 0 || max == 0)
		return 0;
	for (i = 0; i < b->n; i++) {
		const struct book_entry *e = &b->v[i];

		if (word_prefix(e->alias, prefix, pl) || word_prefix(e->display, prefix, pl) ||
		    str_ncasecmp(e->address, prefix, pl) == 0) {
			m = xreallocarray(m, nm + 1, sizeof(*m));
			m[nm++] = e;
		}
	}
	if (nm > 1)
		qsort(m, nm, sizeof(*m), cmp_entry);
	if (nm > max)
		nm = max;
	v = xcalloc(nm ? nm : 1, sizeof(*v));
	for (i = 0; i < nm; i++) {
		struct mail_addr a = { (char *)m[i]->display, NULL, NULL, (char *)m[i]->address };

		v[i] = m[i]->alias ? xstrdup(m[i]->address) : addr_text(&a);
	}
	free(m);
	*out = v;
	return nm;
}
