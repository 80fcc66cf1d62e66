/*
 * A parsed message to pager lines: the header block, then each part on
 * its own.  Every string is decoded first (mail/) and made safe here.
 */
#include "render/render_int.h"

/* message/rfc822 inside message/rfc822...: the MIME depth limit of mail/
 * applies per message, this one to the whole chain. */
#define RENDER_MAX_DEPTH 40

static const char *const weeded[] = { "Date", "From", "To", "Cc", "Reply-To", "Subject" };

/* Which of weeded[] a field name is (from 1), 0 for none: by its first
 * letter, since a message has dozens of fields to sort out. */
static unsigned char weed_index(const char *name)
{
	static const char first[] = "dftcrs"; /* the first letters of weeded[] */
	const char *f = memchr(first, name[0] | 0x20, sizeof(first) - 1);
	size_t w;

	if (name[0] == '\0' || f == NULL)
		return 0;
	w = (size_t)(f - first);
	return str_casecmp(name, weeded[w]) == 0 ? (unsigned char)(w + 1) : 0;
}

static bool is_address_field(const char *name)
{
	static const char *const names[] = {
		"From", "To", "Cc", "Bcc", "Reply-To", "Sender", "Resent-From", "Resent-To",
		"Resent-Cc", "Resent-Sender", "Return-Receipt-To", "Disposition-Notification-To",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (str_casecmp(name, names[i]) == 0)
			return true;
	return false;
}

/* Address fields are shown from the parsed addresses, so an encoded-word
 * is decoded only where RFC 2047 allows it (the display name) and the
 * real address is always visible. */
static char *decode_field(const char *name, const char *value)
{
	struct mail_addr_list l = { NULL, 0 };
	struct buf b = BUF_INIT;

	if (value == NULL)
		return xstrdup("");
	if (is_address_field(name) &&
	    mail_addr_parse(value, &l, NULL, 0) == WARY_OK && l.n > 0) {
		bool complete = true;

		buf_init(&b);
		for (size_t i = 0; i < l.n; i++) {
			const struct mail_addr *a = &l.v[i];

			if (a->address == NULL)
				complete = false;
			if (i > 0)
				buf_adds(&b, ", ");
			if (a->display != NULL && *a->display) {
				buf_adds(&b, a->display);
				buf_add(&b, " <", 2);
				buf_adds(&b, a->address ? a->address : "");
				buf_addch(&b, '>');
			} else if (a->address != NULL)
				buf_adds(&b, a->address);
		}
		mail_addr_list_clear(&l);
		if (complete)
			return buf_detach(&b, NULL);
		buf_release(&b);
	}
	mail_addr_list_clear(&l);
	{
		char *d = mail_rfc2047_decode(value, strlen(value));

		return d ? d : xstrdup(value);
	}
}

static void header_line(struct render_doc *d, const char *name, const char *value)
{
	char *dec = decode_field(name, value);
	struct buf b = BUF_INIT;

	buf_init(&b);
	buf_adds(&b, name);
	buf_adds(&b, ": ");
	buf_adds(&b, dec);
	render_doc_add_line(d, RENDER_HEADER, b.data, b.len);
	buf_release(&b);
	free(dec);
}

static void headers(struct render_doc *d, const struct mail_msg *msg, enum render_headers mode)
{
	size_t n = mail_header_count(msg);
	bool any = false;

	if (mode == RENDER_HEADERS_NONE)
		return;
	if (mode == RENDER_HEADERS_ALL) {
		for (size_t i = 0; i < n; i++) {
			const char *name = mail_header_name(msg, i);

			if (name == NULL)
				continue;
			header_line(d, name, mail_header_value(msg, i));
			any = true;
		}
	} else {
		/* One pass finds which fields to show (every one of each
		 * name, so two Subjects are both seen); they are then shown in
		 * the order of weeded[]. */
		unsigned char *which = xcalloc(n ? n : 1, 1);
		unsigned present = 0;

		for (size_t i = 0; i < n; i++) {
			const char *name = mail_header_name(msg, i);

			if (name == NULL || (which[i] = weed_index(name)) == 0)
				continue;
			present |= 1u << (which[i] - 1);
		}
		for (size_t w = 0; w < ARRAY_SIZE(weeded); w++) {
			if (!(present & (1u << w)))
				continue;
			for (size_t i = 0; i < n; i++) {
				if (which[i] == w + 1) {
					header_line(d, weeded[w], mail_header_value(msg, i));
					any = true;
				}
			}
		}
		free(which);
	}
	if (any)
		render_doc_add_safe(d, RENDER_BODY, "", 0);
}

static void size_str(char *out, size_t outlen, size_t n)
{
	if (n < 1024)
		snprintf(out, outlen, "%zu B", n);
	else if (n < 1024 * 1024)
		snprintf(out, outlen, "%zu KB", (n + 1023) / 1024);
	else
		snprintf(out, outlen, "%.1f MB", (double)n / (1024.0 * 1024.0));
}

/* The bytes the store left on the server for an empty part it marked
 * (store_fetch of a big IMAP message), as decoded; 0 when not marked.
 * Only an empty body counts: a mark on a part that has one is not ours. */
static size_t omitted_size(const struct mail_part *p)
{
	const char *v = mail_part_header(p, "X-Wary-Omitted"), *enc;
	size_t len = 0;
	unsigned long long n = 0;

	mail_part_body(p, &len);
	if (v == NULL || len != 0)
		return 0;
	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v >= '0' && *v <= '9' && n < MAIL_MAX_SIZE; v++)
		n = n * 10 + (unsigned)(*v - '0');
	if (n > MAIL_MAX_SIZE)
		n = MAIL_MAX_SIZE;
	enc = mail_part_encoding(p);
	/* base64 in lines of 76 and CRLF: 57 bytes for every 78 */
	if (enc != NULL && str_casecmp(enc, "base64") == 0)
		n = n / 78 * 57 + (n % 78) * 3 / 4;
	return (size_t)n;
}

/* Decoded size; base64 is counted, not decoded, to keep listing cheap. */
static size_t part_size(const struct mail_part *p)
{
	const char *enc = mail_part_encoding(p);
	size_t len = 0, n = 0;
	const char *body = mail_part_body(p, &len);

	if (len == 0 && (n = omitted_size(p)) > 0)
		return n;
	if (body == NULL)
		return 0;
	if (enc != NULL && str_casecmp(enc, "base64") == 0) {
		size_t pad = 0;

		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)body[i];

			if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '+' || c == '/')
				n++;
			else if (c == '=')
				pad++;
		}
		(void)pad;
		return n / 4 * 3 + (n % 4 > 1 ? n % 4 - 1 : 0);
	}
	if (enc != NULL && str_casecmp(enc, "quoted-printable") == 0) {
		struct buf b = BUF_INIT;

		buf_init(&b);
		mail_qp_decode(&b, body, len, false);
		n = b.len;
		buf_release(&b);
		return n;
	}
	return len;
}

static void part_separator(struct render_doc *d, const struct mail_part *p)
{
	char sz[32];

	size_str(sz, sizeof(sz), part_size(p));
	render_doc_addf(d, RENDER_PART, "[-- %s, %s --]", mail_part_type(p), sz);
}

static void attachment_line(struct render_doc *d, const struct mail_part *p)
{
	const char *name = mail_part_filename(p);
	char sz[32];

	size_str(sz, sizeof(sz), part_size(p));
	/* SAFE_LINE shows a bidi override in the name as <U+202E>. */
	render_doc_addf(d, RENDER_ATTACHMENT, "[attachment: %s (%s, %s%s)]",
	                name && *name ? name : "(no name)", mail_part_type(p), sz,
	                omitted_size(p) > 0 ? ", not downloaded" : "");
}

static void text_part(struct render_doc *d, const struct mail_part *p, const struct render_opts *o,
                      bool html)
{
	struct buf t = BUF_INIT;
	char err[WARY_ERRLEN];

	buf_init(&t);
	if (mail_part_text(p, &t, err, sizeof(err)) != WARY_OK) {
		render_doc_addf(d, RENDER_NOTICE, "[wary could not decode this part: %s]", err);
		if (t.len == 0)
			goto out;
	}
	if (html) {
		if (render_html_into(d, t.data, t.len, o->width, err, sizeof(err)) != WARY_OK)
			render_doc_addf(d, RENDER_NOTICE, "[wary could not render this HTML: %s]", err);
	} else {
		size_t links0 = d->nlinks;

		render_doc_scan_urls(d, t.data, t.len);
		render_doc_add_body(d, t.data, t.len, true);
		/* a plain-text URL has no footnote: say under the text what
		 * is deceptive about it */
		for (size_t i = links0; i < d->nlinks; i++) {
			const struct render_link *l = &d->links[i];

			if ((l->flags & RENDER_LINK_DECEPTIVE) && l->detail[0])
				render_doc_addf(d, RENDER_NOTICE, "[wary: %s: %s]", l->href, l->detail);
		}
	}
out:
	buf_release(&t);
}

static void external_body(struct render_doc *d, const struct mail_part *p)
{
	const char *access = mail_part_param(p, "access-type");
	const char *url = mail_part_param(p, "url");
	const char *site = mail_part_param(p, "site");
	const char *name = mail_part_param(p, "name");
	const char *dir = mail_part_param(p, "directory");
	struct buf b = BUF_INIT;

	d->remote[RENDER_REMOTE_EXTERNAL]++;
	buf_init(&b);
	/* listed with the other references: where the body would come from */
	if (url != NULL) {
		render_doc_add_ref(d, RENDER_REMOTE_EXTERNAL, url, strlen(url), NULL);
	} else {
		buf_addf(&b, "%s://%s/%s%s%s", access ? access : "unknown", site ? site : "",
		         dir ? dir : "", dir && *dir ? "/" : "", name ? name : "");
		render_doc_add_ref(d, RENDER_REMOTE_EXTERNAL, b.data, b.len, NULL);
		buf_reset(&b);
	}
	buf_addf(&b, "[wary did not fetch an external body: access-type=%s", access ? access : "(none)");
	if (url != NULL)
		buf_addf(&b, " url=%s", url);
	if (site != NULL)
		buf_addf(&b, " site=%s", site);
	if (dir != NULL)
		buf_addf(&b, " directory=%s", dir);
	if (name != NULL)
		buf_addf(&b, " name=%s", name);
	buf_addch(&b, ']');
	render_doc_add_line(d, RENDER_NOTICE, b.data, b.len);
	buf_release(&b);
}

static bool is_type(const char *t, const char *want)
{
	return t != NULL && str_casecmp(t, want) == 0;
}

static bool is_text_leaf(const struct mail_part *p, bool *html)
{
	const char *t = mail_part_type(p);

	if (mail_part_count_children(p) > 0 || mail_part_is_attachment(p) || t == NULL)
		return false;
	*html = is_type(t, "text/html");
	return is_type(t, "text/plain") || *html || is_type(t, "text/enriched") ||
	       is_type(t, "text/rfc822-headers") || is_type(t, "message/delivery-status") ||
	       is_type(t, "text/x-diff") || is_type(t, "text/x-patch");
}

/* Does this subtree hold HTML (multipart/related with an HTML root)? */
static bool holds_html(const struct mail_part *p)
{
	const char *t = mail_part_type(p);

	if (is_type(t, "text/html"))
		return true;
	if (str_istarts_with(t ? t : "", "multipart/") && mail_part_count_children(p) > 0)
		return holds_html(mail_part_child(p, 0));
	return false;
}

static void entity(struct render_doc *d, const struct mail_part *p, const struct render_opts *o,
                   int depth);

/* A read receipt is asked for in a header; it is shown, never sent. */
static void receipt_request(struct render_doc *d, const struct mail_msg *msg)
{
	static const char *const names[] = { "Disposition-Notification-To", "Return-Receipt-To",
		                             "X-Confirm-Reading-To" };
	size_t n = mail_header_count(msg), first[ARRAY_SIZE(names)];

	/* the first field of each name, in one pass by first letter */
	for (size_t k = 0; k < ARRAY_SIZE(names); k++)
		first[k] = n;
	for (size_t f = 0; f < n; f++) {
		const char *name = mail_header_name(msg, f);
		size_t k;

		if (name == NULL)
			continue;
		switch (name[0] | 0x20) {
		case 'd': k = 0; break;
		case 'r': k = 1; break;
		case 'x': k = 2; break;
		default: continue;
		}
		if (first[k] == n && str_casecmp(name, names[k]) == 0)
			first[k] = f;
	}
	for (size_t i = 0; i < ARRAY_SIZE(names) && d->receipt == NULL; i++) {
		const char *v = first[i] < n ? mail_header_value(msg, first[i]) : NULL;
		char *dec;

		if (v == NULL)
			continue;
		dec = decode_field(names[i], v);
		d->receipt = safe_str(str_trim(dec), SAFE_LINE);
		free(dec);
		render_doc_addf(d, RENDER_NOTICE, "[wary: the sender asks for a read receipt (%s) to %s; "
		                "wary never sends one]", names[i], d->receipt);
	}
}

static void message(struct render_doc *d, const struct mail_msg *msg, const struct render_opts *o,
                    enum render_headers mode, int depth)
{
	size_t nw = mail_warning_count(msg);
	const struct mail_part *root;

	headers(d, msg, mode);
	if (depth == 0)
		receipt_request(d, msg);
	/* Broken MIME still shows what parsed; say what did not. */
	for (size_t i = 0; i < nw && i < 5; i++)
		render_doc_addf(d, RENDER_NOTICE, "[wary: %s]", mail_warning(msg, i));
	if (nw > 5)
		render_doc_addf(d, RENDER_NOTICE, "[wary: %zu more parse problems]", nw - 5);
	root = mail_root(msg);
	if (root == NULL) {
		render_doc_add_line(d, RENDER_NOTICE, "[wary: no body]", 15);
		return;
	}
	entity(d, root, o, depth);
}

static void alternative(struct render_doc *d, const struct mail_part *p,
                        const struct render_opts *o, int depth)
{
	size_t n = mail_part_count_children(p), pick = n, text = n, html = n;

	for (size_t i = 0; i < n; i++) {
		const struct mail_part *c = mail_part_child(p, i);
		const char *t = mail_part_type(c);

		if (is_type(t, "text/plain") && text == n)
			text = i;
		else if (holds_html(c))
			html = i; /* the last one: RFC 2046 puts the best last */
	}
	if (o->prefer_html)
		pick = html < n ? html : text;
	else
		pick = text < n ? text : html;
	if (pick == n && n > 0)
		pick = n - 1;
	if (pick == n) {
		render_doc_add_line(d, RENDER_NOTICE, "[wary: empty multipart/alternative]", 35);
		return;
	}
	entity(d, mail_part_child(p, pick), o, depth + 1);
}

static void entity(struct render_doc *d, const struct mail_part *p, const struct render_opts *o,
                   int depth)
{
	const char *t = mail_part_type(p);
	size_t n = mail_part_count_children(p);
	bool html = false;

	if (depth > RENDER_MAX_DEPTH) {
		render_doc_add_line(d, RENDER_NOTICE, "[wary: nested too deeply; the rest is not shown]", 48);
		return;
	}
	if (t == NULL)
		t = "text/plain";
	if (str_istarts_with(t, "multipart/")) {
		if (is_type(t, "multipart/alternative") && n > 0) {
			alternative(d, p, o, depth);
			return;
		}
		if (n == 0) {
			render_doc_addf(d, RENDER_NOTICE, "[wary: %s with no parts]", t);
			return;
		}
		for (size_t i = 0; i < n; i++) {
			const struct mail_part *c = mail_part_child(p, i);

			if (i > 0)
				part_separator(d, c);
			entity(d, c, o, depth + 1);
		}
		return;
	}
	if (is_type(t, "message/rfc822") || is_type(t, "message/global")) {
		const struct mail_msg *inner = mail_part_message(p);

		render_doc_addf(d, RENDER_PART, "[-- %s --]", t);
		if (inner == NULL) {
			render_doc_add_line(d, RENDER_NOTICE, "[wary: the enclosed message does not parse]", 44);
			return;
		}
		message(d, inner, o, RENDER_HEADERS_WEED, depth + 1);
		render_doc_add_line(d, RENDER_PART, "[-- end of enclosed message --]", 31);
		return;
	}
	if (is_type(t, "message/external-body")) {
		external_body(d, p);
		return;
	}
	if (is_text_leaf(p, &html)) {
		text_part(d, p, o, html);
		return;
	}
	attachment_line(d, p);
}

static int render_message_as(const struct mail_msg *msg, const struct render_opts *opts,
                             bool exact, struct render_doc **out, char *err, size_t errlen)
{
	struct render_opts defaults = { RENDER_HEADERS_WEED, false, 80 };
	struct render_doc *d;

	if (msg == NULL || out == NULL)
		return err_set(err, errlen, WARY_ERR, "render_message: no message");
	if (opts == NULL)
		opts = &defaults;
	d = render_doc_new();
	d->html_exact = exact;
	message(d, msg, opts, opts->headers, 0);
	*out = d;
	return WARY_OK;
}

int render_message(const struct mail_msg *msg, const struct render_opts *opts,
                   struct render_doc **out, char *err, size_t errlen)
{
	return render_message_as(msg, opts, false, out, err, errlen);
}

int render_message_exact(const struct mail_msg *msg, const struct render_opts *opts,
                         struct render_doc **out, char *err, size_t errlen)
{
	return render_message_as(msg, opts, true, out, err, errlen);
}
