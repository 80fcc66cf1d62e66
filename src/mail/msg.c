/* The message and its MIME tree.  The header blocks and the multipart
 * structure are read eagerly (they are small and every caller needs
 * them); bodies stay where they are in the copy of the input and are
 * decoded only when asked, and message/rfc822 parts are parsed on first
 * use. */
#include "mail/mail_int.h"

#define MAIL_MAX_WARNINGS 64
#define MAIL_MAX_BOUNDARY 256 /* RFC 2046 says 70; some senders go a little past */

static void warn_v(struct mail_msg *m, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void warn_v(struct mail_msg *m, const char *fmt, va_list ap)
{
	struct buf b;

	if (m->nwarnings >= MAIL_MAX_WARNINGS)
		return;
	buf_init(&b);
	buf_vaddf(&b, fmt, ap);
	m->warnings = xreallocarray(m->warnings, m->nwarnings + 1, sizeof(*m->warnings));
	m->warnings[m->nwarnings++] = buf_detach(&b, NULL);
}

void mail_warn(struct mail_msg *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	warn_v(m, fmt, ap);
	va_end(ap);
}

static bool is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

/* Copy a raw value, NUL bytes becoming U+FFFD so that no C string can be
 * cut short by one (and hide what follows it). */
static char *copy_value(const char *s, size_t n)
{
	struct buf b;
	const char *nul = memchr(s, '\0', n);

	if (nul == NULL)
		return xstrndup(s, n);
	buf_init(&b);
	buf_grow(&b, n + 8);
	while (n > 0) {
		nul = memchr(s, '\0', n);
		if (nul == NULL) {
			buf_add(&b, s, n);
			break;
		}
		buf_add(&b, s, (size_t)(nul - s));
		utf8_encode(&b, 0xfffd);
		n -= (size_t)(nul - s) + 1;
		s = nul + 1;
	}
	return buf_detach(&b, NULL);
}

/* Name and value of a field in one allocation: a message has dozens of
 * fields, and each costs one malloc and one free instead of two. */
static void field_set(struct mail_field *f, const char *name, size_t nlen, const char *val,
                      size_t vlen)
{
	char *v = NULL, *block;

	if (memchr(val, '\0', vlen) != NULL) {
		v = copy_value(val, vlen);
		val = v;
		vlen = strlen(v);
	}
	block = xmalloc(nlen + 1 + vlen + 1);
	memcpy(block, name, nlen);
	block[nlen] = '\0';
	memcpy(block + nlen + 1, val, vlen);
	block[nlen + 1 + vlen] = '\0';
	f->name = block;
	f->value = block + nlen + 1;
	free(v);
}

/* Read a header block.  Lines end at LF (any CRs before it belong to the
 * ending; a bare CR elsewhere is data, never a line end).  Returns the
 * offset where the body starts. */
static size_t parse_header_block(struct mail_msg *m, const char *p, size_t len,
                                 struct mail_field **out, size_t *nout)
{
	struct mail_field *f = NULL;
	size_t n = 0, cap = 0, pos = 0;
	bool have_cur = false, over_count = false, saw_nul = false;
	const char *cur_name = NULL, *cur_val = NULL;
	size_t cur_name_len = 0, cur_val_end = 0;
	bool cur_space = false;
	size_t garbage = 0;

	for (;;) {
		const char *line = p + pos;
		const char *nl = pos < len ? memchr(line, '\n', len - pos) : NULL;
		size_t ll = pos < len ? (nl ? (size_t)(nl - line) : len - pos) : 0;
		size_t ce = ll, next = pos + ll + (nl ? 1 : 0);
		bool at_end = pos >= len;

		while (ce > 0 && line[ce - 1] == '\r')
			ce--;
		if (!at_end && ce > 0 && (line[0] == ' ' || line[0] == '\t')) {
			if (have_cur)
				cur_val_end = (size_t)(line + ce - p);
			else
				garbage++;
			pos = next;
			continue;
		}
		if (have_cur) {
			size_t vs = (size_t)(cur_val - p), vlen = cur_val_end - vs;

			if (n >= MAIL_MAX_HEADERS) {
				over_count = true;
			} else {
				if (vlen > MAIL_MAX_HEADER_LEN) {
					mail_warn(m, "header %.*s longer than %u bytes, cut",
					          (int)(cur_name_len > 64 ? 64 : cur_name_len), cur_name,
					          (unsigned)MAIL_MAX_HEADER_LEN);
					vlen = MAIL_MAX_HEADER_LEN;
				}
				if (n == cap) {
					cap = cap ? cap * 2 : 16;
					f = xreallocarray(f, cap, sizeof(*f));
				}
				if (!saw_nul && (memchr(cur_val, '\0', vlen) ||
				                 memchr(cur_name, '\0', cur_name_len)))
					saw_nul = true;
				field_set(&f[n], cur_name, cur_name_len, cur_val, vlen);
				f[n].space_before_colon = cur_space;
				n++;
			}
			have_cur = false;
		}
		if (at_end) {
			pos = len;
			break;
		}
		if (ce == 0) {
			pos = next; /* the blank line */
			break;
		}
		{
			size_t i = 0;
			while (i < ce && is_ftext((unsigned char)line[i]))
				i++;
			cur_name_len = i;
			cur_space = false;
			while (i < ce && (line[i] == ' ' || line[i] == '\t')) {
				i++;
				cur_space = true;
			}
			if (cur_name_len > 0 && i < ce && line[i] == ':') {
				i++;
				while (i < ce && (line[i] == ' ' || line[i] == '\t'))
					i++;
				cur_name = line;
				cur_val = line + i;
				cur_val_end = (size_t)(line + ce - p);
				if (cur_val_end < (size_t)(cur_val - p))
					cur_val_end = (size_t)(cur_val - p);
				have_cur = true;
			} else if (!(pos == 0 && ce >= 5 && memcmp(line, "From ", 5) == 0)) {
				garbage++; /* not a field: skipped, the block goes on */
			}
		}
		pos = next;
	}
	if (over_count)
		mail_warn(m, "more than %d header fields; the rest ignored", MAIL_MAX_HEADERS);
	if (garbage > 0)
		mail_warn(m, "%zu header line%s without a field name skipped", garbage,
		          garbage == 1 ? "" : "s");
	if (saw_nul)
		mail_warn(m, "NUL byte in a header");
	*out = f;
	*nout = n;
	return pos;
}

static const char *field_get(const struct mail_field *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (str_casecmp(f[i].name, name) == 0)
			return f[i].value;
	return NULL;
}

static void fields_free(struct mail_field *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(f[i].name); /* the value too */
	free(f);
}

static struct mail_part *part_new(struct mail_msg *m, struct mail_part *parent, int depth)
{
	struct mail_part *p = xcalloc(1, sizeof(*p));

	p->msg = m;
	p->parent = parent;
	p->depth = depth;
	if (m->nparts == m->parts_cap) {
		m->parts_cap = m->parts_cap ? m->parts_cap * 2 : 8;
		m->parts = xreallocarray(m->parts, m->parts_cap, sizeof(*m->parts));
	}
	m->parts[m->nparts++] = p;
	if (parent != NULL) {
		parent->kids = xreallocarray(parent->kids, parent->nkids + 1, sizeof(*parent->kids));
		parent->kids[parent->nkids++] = p;
	}
	return p;
}

static bool valid_mime_type(const char *t)
{
	const char *slash = strchr(t, '/');
	size_t i;

	if (slash == NULL || slash == t || slash[1] == '\0' || strchr(slash + 1, '/') != NULL)
		return false;
	for (i = 0; t[i] != '\0'; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c <= 32 || c >= 127 || strchr("()<>@,;:\\\"[]?=", c) != NULL)
			return false;
	}
	return true;
}

static char *token_lower(const char *v)
{
	char *s;
	size_t i, j;

	if (v == NULL)
		return NULL;
	s = xstrdup(v);
	for (i = 0, j = 0; s[i] != '\0'; i++) {
		if (s[i] == '(')
			break; /* a comment ends the token */
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n' && s[i] != '"')
			s[j++] = s[i];
	}
	s[j] = '\0';
	return str_lower(s);
}

static void part_read_headers(struct mail_part *p, const char *default_type)
{
	const char *ct = NULL, *cd = NULL, *cte = NULL, *cid = NULL;
	const char *name;

	/* One pass for the four fields (the first of each counts, as with
	 * field_get); a top-level block has dozens of other fields. */
	for (size_t i = 0; i < p->nfields; i++) {
		const char *fn = p->fields[i].name, *fv = p->fields[i].value;

		if ((fn[0] | 0x20) != 'c' || str_ncasecmp(fn, "content-", 8) != 0)
			continue;
		if (ct == NULL && str_casecmp(fn + 8, "type") == 0)
			ct = fv;
		else if (cd == NULL && str_casecmp(fn + 8, "disposition") == 0)
			cd = fv;
		else if (cte == NULL && str_casecmp(fn + 8, "transfer-encoding") == 0)
			cte = fv;
		else if (cid == NULL && str_casecmp(fn + 8, "id") == 0)
			cid = fv;
	}

	if (ct != NULL) {
		mail_params_parse(ct, &p->type, &p->params, &p->nparams);
		if (!valid_mime_type(p->type)) {
			mail_warn(p->msg, "unusable Content-Type \"%.60s\"; read as text/plain", ct);
			free(p->type);
			p->type = xstrdup("text/plain");
		}
	} else {
		p->type = xstrdup(default_type);
	}
	/* Said while the part is parsed, not when someone first opens the
	 * inner message: a render that printed the warnings before reaching
	 * the part would otherwise miss it, and the next one show it. */
	if (p->depth + 1 > MAIL_MAX_DEPTH &&
	    (strcmp(p->type, "message/rfc822") == 0 || strcmp(p->type, "message/global") == 0))
		mail_warn(p->msg, "message/rfc822 nested deeper than %d; not parsed", MAIL_MAX_DEPTH);
	if (cd != NULL) {
		mail_params_parse(cd, &p->disp, &p->dparams, &p->ndparams);
		if (p->disp[0] == '\0') {
			free(p->disp);
			p->disp = NULL;
		}
	}
	p->encoding = token_lower(cte);
	if (p->encoding != NULL && p->encoding[0] == '\0') {
		free(p->encoding);
		p->encoding = NULL;
	}
	if (p->encoding != NULL && strcmp(p->encoding, "7bit") != 0 &&
	    strcmp(p->encoding, "8bit") != 0 && strcmp(p->encoding, "binary") != 0 &&
	    strcmp(p->encoding, "base64") != 0 && strcmp(p->encoding, "quoted-printable") != 0)
		mail_warn(p->msg, "unknown Content-Transfer-Encoding \"%.40s\"; body left as it is",
		          p->encoding);
	if (cid != NULL)
		p->id = str_trim(xstrdup(cid));
	name = mail_params_find(p->dparams, p->ndparams, "filename");
	if (name == NULL)
		name = mail_params_find(p->params, p->nparams, "name");
	if (name != NULL)
		p->filename = xstrdup(name);
}

/* Find the next delimiter line "--boundary" at or after from.  needle is
 * "\n--boundary", so memmem skips everything that cannot match. */
static const char *find_delim(const char *body, size_t len, size_t from, const char *needle,
                              size_t nlen, size_t *line_start, size_t *after, bool *close)
{
	size_t pos = from;

	while (pos < len) {
		size_t at, e, k;

		if (pos == 0 && len >= nlen - 1 && memcmp(body, needle + 1, nlen - 1) == 0) {
			at = 0;
		} else {
			const char *hit = memmem(body + (pos ? pos - 1 : 0), len - (pos ? pos - 1 : 0),
			                         needle, nlen);
			if (hit == NULL)
				return NULL;
			at = (size_t)(hit - body) + 1;
		}
		e = at + nlen - 1;
		pos = at + 1;
		*close = e + 2 <= len && body[e] == '-' && body[e + 1] == '-';
		if (*close) {
			e += 2;
		} else {
			/* only transport padding may follow: "--b1" is not "--b" */
			for (k = e; k < len && (body[k] == ' ' || body[k] == '\t' || body[k] == '\r'); k++)
				;
			if (k < len && body[k] != '\n')
				continue;
		}
		while (e < len && body[e] != '\n')
			e++;
		*line_start = at;
		*after = e < len ? e + 1 : len;
		return body + at;
	}
	return NULL;
}

static void parse_entity(struct mail_part *p, const char *data, size_t len, bool own_headers,
                         const char *default_type);

static void parse_multipart(struct mail_part *p)
{
	struct mail_msg *m = p->msg;
	const char *bd = mail_params_find(p->params, p->nparams, "boundary");
	size_t bdlen = bd ? strlen(bd) : 0, pos = 0, ls, after, start = 0, nlen;
	bool close = false, started = false, closed = false;
	char needle[MAIL_MAX_BOUNDARY + 4];
	const char *child_type = strcmp(p->type, "multipart/digest") == 0 ? "message/rfc822" :
	                                                                    "text/plain";

	if (bdlen == 0 || bdlen > MAIL_MAX_BOUNDARY) {
		mail_warn(m, "%s with %s boundary; read as text/plain", p->type,
		          bdlen == 0 ? "no" : "an overlong");
		goto as_text;
	}
	if (p->depth + 1 > MAIL_MAX_DEPTH) {
		mail_warn(m, "MIME nesting deeper than %d; inner parts left unparsed",
		          MAIL_MAX_DEPTH);
		return;
	}
	nlen = (size_t)snprintf(needle, sizeof(needle), "\n--%s", bd);
	while (find_delim(p->body, p->bodylen, pos, needle, nlen, &ls, &after, &close) != NULL) {
		if (started) {
			size_t end = ls;
			struct mail_part *c;

			/* the line break before a delimiter belongs to it */
			if (end > start && p->body[end - 1] == '\n')
				end--;
			if (end > start && p->body[end - 1] == '\r')
				end--;
			if (m->nparts >= MAIL_MAX_PARTS) {
				mail_warn(m, "more than %d MIME parts; the rest left unparsed",
				          MAIL_MAX_PARTS);
				return;
			}
			c = part_new(m, p, p->depth + 1);
			parse_entity(c, p->body + start, end - start, true, child_type);
		}
		started = true;
		start = after;
		pos = after;
		if (close) {
			closed = true;
			break;
		}
	}
	if (!started) {
		mail_warn(m, "%s without any boundary line; read as text/plain", p->type);
		goto as_text;
	}
	if (!closed) {
		mail_warn(m, "MIME boundary \"%.40s\" never closed; the last part ends at the end",
		          bd);
		if (start < p->bodylen) {
			struct mail_part *c;
			if (m->nparts >= MAIL_MAX_PARTS) {
				mail_warn(m, "more than %d MIME parts; the rest left unparsed",
				          MAIL_MAX_PARTS);
				return;
			}
			c = part_new(m, p, p->depth + 1);
			parse_entity(c, p->body + start, p->bodylen - start, true, child_type);
		}
	}
	return;
as_text:
	free(p->type);
	p->type = xstrdup("text/plain");
}

static void parse_entity(struct mail_part *p, const char *data, size_t len, bool own_headers,
                         const char *default_type)
{
	struct mail_msg *m = p->msg;
	size_t body_off = 0;

	if (own_headers) {
		struct mail_field *f;
		size_t n;

		body_off = parse_header_block(m, data, len, &f, &n);
		m->blocks = xreallocarray(m->blocks, m->nblocks + 1, sizeof(*m->blocks));
		m->block_n = xreallocarray(m->block_n, m->nblocks + 1, sizeof(*m->block_n));
		m->blocks[m->nblocks] = f;
		m->block_n[m->nblocks] = n;
		m->nblocks++;
		p->fields = f;
		p->nfields = n;
	}
	p->raw = data;
	p->rawlen = len;
	p->body = data + body_off;
	p->bodylen = len - body_off;
	part_read_headers(p, default_type);
	if (str_starts_with(p->type, "multipart/"))
		parse_multipart(p);
}

static int parse_at_depth(const char *data, size_t len, bool copy, int depth,
                          struct mail_msg **out, char *err, size_t errlen)
{
	struct mail_msg *m;
	size_t body_off;

	*out = NULL;
	if (len > MAIL_MAX_SIZE)
		return err_set(err, errlen, WARY_ELIMIT, "message of %zu bytes is over the %u limit",
		               len, (unsigned)MAIL_MAX_SIZE);
	if (data == NULL && len > 0)
		return err_set(err, errlen, WARY_ERR, "no data");
	m = xcalloc(1, sizeof(*m));
	if (copy) {
		m->raw = xmalloc(len + 1);
		if (len > 0)
			memcpy(m->raw, data, len);
		m->raw[len] = '\0';
		m->owns_raw = true;
	} else {
		m->raw = (char *)data;
	}
	m->len = len;
	m->base_depth = depth;
	body_off = parse_header_block(m, m->raw, len, &m->fields, &m->nfields);
	m->root = part_new(m, NULL, depth);
	m->root->fields = m->fields;
	m->root->nfields = m->nfields;
	m->root->raw = m->raw;
	m->root->rawlen = len;
	m->root->body = m->raw + body_off;
	m->root->bodylen = len - body_off;
	part_read_headers(m->root, "text/plain");
	if (str_starts_with(m->root->type, "multipart/"))
		parse_multipart(m->root);
	*out = m;
	return WARY_OK;
}

int mail_parse(const char *data, size_t len, struct mail_msg **out, char *err, size_t errlen)
{
	return parse_at_depth(data, len, true, 0, out, err, errlen);
}

void mail_free(struct mail_msg **mp)
{
	struct mail_msg *m;
	size_t i;

	if (mp == NULL || *mp == NULL)
		return;
	m = *mp;
	for (i = 0; i < m->nparts; i++) {
		struct mail_part *p = m->parts[i];
		free(p->kids);
		free(p->type);
		mail_params_free(p->params, p->nparams);
		free(p->disp);
		mail_params_free(p->dparams, p->ndparams);
		free(p->encoding);
		free(p->id);
		free(p->filename);
		mail_free(&p->sub);
		free(p);
	}
	free(m->parts);
	for (i = 0; i < m->nblocks; i++)
		fields_free(m->blocks[i], m->block_n[i]);
	free(m->blocks);
	free(m->block_n);
	fields_free(m->fields, m->nfields);
	for (i = 0; i < m->nwarnings; i++)
		free(m->warnings[i]);
	free(m->warnings);
	if (m->owns_raw)
		free(m->raw);
	free(m);
	*mp = NULL;
}

const char *mail_raw(const struct mail_msg *msg, size_t *len)
{
	if (len != NULL)
		*len = msg->len;
	return msg->raw;
}

size_t mail_warning_count(const struct mail_msg *msg)
{
	return msg->nwarnings;
}

const char *mail_warning(const struct mail_msg *msg, size_t i)
{
	return i < msg->nwarnings ? msg->warnings[i] : NULL;
}

size_t mail_header_count(const struct mail_msg *msg)
{
	return msg->nfields;
}

const char *mail_header_name(const struct mail_msg *msg, size_t i)
{
	return i < msg->nfields ? msg->fields[i].name : NULL;
}

const char *mail_header_value(const struct mail_msg *msg, size_t i)
{
	return i < msg->nfields ? msg->fields[i].value : NULL;
}

const char *mail_header_get(const struct mail_msg *msg, const char *name)
{
	return field_get(msg->fields, msg->nfields, name);
}

size_t mail_header_count_named(const struct mail_msg *msg, const char *name)
{
	size_t i, n = 0;

	for (i = 0; i < msg->nfields; i++)
		if (str_casecmp(msg->fields[i].name, name) == 0)
			n++;
	return n;
}

bool mail_header_space_before_colon(const struct mail_msg *msg, size_t i)
{
	return i < msg->nfields && msg->fields[i].space_before_colon;
}

char *mail_header_decoded(const struct mail_msg *msg, const char *name)
{
	const char *v = mail_header_get(msg, name);

	/* folding over blank lines leaves white space at the ends */
	return v != NULL ? str_trim(mail_rfc2047_decode(v, strlen(v))) : NULL;
}

const struct mail_part *mail_root(const struct mail_msg *msg)
{
	return msg->root;
}

size_t mail_part_count_children(const struct mail_part *p)
{
	return p->nkids;
}

const struct mail_part *mail_part_child(const struct mail_part *p, size_t i)
{
	return i < p->nkids ? p->kids[i] : NULL;
}

const struct mail_part *mail_part_parent(const struct mail_part *p)
{
	return p->parent;
}

int mail_part_depth(const struct mail_part *p)
{
	return p->depth;
}

const char *mail_part_type(const struct mail_part *p)
{
	return p->type;
}

const char *mail_part_param(const struct mail_part *p, const char *name)
{
	return mail_params_find(p->params, p->nparams, name);
}

const char *mail_part_disposition(const struct mail_part *p)
{
	return p->disp;
}

const char *mail_part_filename(const struct mail_part *p)
{
	return p->filename;
}

const char *mail_part_encoding(const struct mail_part *p)
{
	return p->encoding;
}

const char *mail_part_id(const struct mail_part *p)
{
	return p->id;
}

const char *mail_part_header(const struct mail_part *p, const char *name)
{
	return field_get(p->fields, p->nfields, name);
}

const char *mail_part_body(const struct mail_part *p, size_t *len)
{
	if (len != NULL)
		*len = p->bodylen;
	return p->body;
}

const char *mail_part_raw(const struct mail_part *p, size_t *len)
{
	if (len != NULL)
		*len = p->rawlen;
	return p->raw;
}

int mail_part_decode(const struct mail_part *p, struct buf *out, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	buf_init(out);
	if (p->encoding != NULL && strcmp(p->encoding, "base64") == 0)
		(void)mail_base64_decode(out, p->body, p->bodylen);
	else if (p->encoding != NULL && strcmp(p->encoding, "quoted-printable") == 0)
		mail_qp_decode(out, p->body, p->bodylen, false);
	else
		buf_add(out, p->body, p->bodylen);
	return WARY_OK;
}

/* CRLF to LF: the pager wants lines, and a CR kept before LF is noise. */
static void crlf_to_lf(struct buf *b)
{
	size_t i, j;

	if (memchr(b->data, '\r', b->len) == NULL)
		return;
	for (i = 0, j = 0; i < b->len; i++) {
		if (b->data[i] == '\r' && i + 1 < b->len && b->data[i + 1] == '\n')
			continue;
		b->data[j++] = b->data[i];
	}
	buf_truncate(b, j);
}

int mail_part_text(const struct mail_part *p, struct buf *out, char *err, size_t errlen)
{
	struct buf raw;
	const char *cs = mail_part_param(p, "charset");
	const char *fmt = mail_part_param(p, "format");
	int rc;

	buf_init(out);
	rc = mail_part_decode(p, &raw, err, errlen);
	if (rc != WARY_OK)
		goto done;
	(void)mail_charset_convert(cs, raw.data, raw.len, out);
	crlf_to_lf(out);
	if (strcmp(p->type, "text/plain") == 0 && fmt != NULL && str_casecmp(fmt, "flowed") == 0) {
		const char *ds = mail_part_param(p, "delsp");
		struct buf fl;

		buf_init(&fl);
		mail_flowed_decode(&fl, out->data, out->len, ds != NULL && str_casecmp(ds, "yes") == 0);
		buf_release(out);
		*out = fl;
	}
done:
	buf_release(&raw);
	return rc;
}

const struct mail_msg *mail_part_message(const struct mail_part *cp)
{
	/* Parsing on first use writes to the part; the tree is owned by the
	 * message and callers use one message from one thread. */
	struct mail_part *p = (struct mail_part *)cp;
	struct buf dec;
	int rc;

	if (strcmp(p->type, "message/rfc822") != 0 && strcmp(p->type, "message/global") != 0)
		return NULL;
	if (p->sub_tried)
		return p->sub;
	p->sub_tried = true;
	if (p->depth + 1 > MAIL_MAX_DEPTH)
		return NULL; /* warned when the part was parsed */
	if (p->encoding != NULL &&
	    (strcmp(p->encoding, "base64") == 0 || strcmp(p->encoding, "quoted-printable") == 0)) {
		(void)mail_part_decode(p, &dec, NULL, 0);
		rc = parse_at_depth(dec.data, dec.len, true, p->depth + 1, &p->sub, NULL, 0);
		buf_release(&dec);
	} else {
		rc = parse_at_depth(p->body, p->bodylen, false, p->depth + 1, &p->sub, NULL, 0);
	}
	if (rc != WARY_OK)
		p->sub = NULL;
	return p->sub;
}

bool mail_part_is_attachment(const struct mail_part *p)
{
	if (p->disp != NULL && strcmp(p->disp, "attachment") == 0)
		return true;
	if (p->nkids > 0 || str_starts_with(p->type, "multipart/"))
		return false;
	if (str_starts_with(p->type, "text/") || strcmp(p->type, "message/rfc822") == 0)
		return false;
	return true;
}
