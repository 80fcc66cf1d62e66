/*
 * inspect: what wary sees in a message, as a report for people and as the
 * JSON of design section 7 for scripts.  Every string is made safe here,
 * after all decoding, whatever its source.
 */
#include <magic.h>

#include "crypto/crypto.h"
#include "inspect/inspect.h"
#include "inspect/spam_int.h"
#include "inspect/verdict_int.h"
#include "render/render.h"
#include "trace/trace.h"

#define INSPECT_MAX_DEPTH 40
#define INSPECT_MAX_ATTACHMENTS 1000
/* libmagic looks at the start of a file; more costs time, not accuracy. */
#define INSPECT_MAGIC_BYTES (1024u * 1024)

struct inspect {
	magic_t magic;
	struct crypto *crypto; /* made the first time a message has PGP in it */
	bool crypto_tried;
	const struct trace_opts *trace_opts; /* borrowed (inspect_set_trace) */
	const struct auth_dns *trace_dns;
	struct inspect_vstate *vs; /* the sender verdict's settings and key cache */
	struct inspect_sstate *ss; /* the spam filter's token store */
};

/* The public flag bits (inspect.h), under the short names used here. */
enum att_flag {
	ATT_TYPE_MISMATCH = INSPECT_ATT_TYPE_MISMATCH,
	ATT_EXECUTABLE = INSPECT_ATT_EXECUTABLE,
	ATT_DOUBLE_EXT = INSPECT_ATT_DOUBLE_EXT,
	ATT_BIDI = INSPECT_ATT_BIDI,
	ATT_INVISIBLE = INSPECT_ATT_INVISIBLE,
	ATT_PATH = INSPECT_ATT_PATH,
	ATT_CONTROL = INSPECT_ATT_CONTROL,
};

static const char *const att_flag_names[] = {
	"type-mismatch", "executable", "double-extension", "bidi-in-name",
	"invisible-in-name", "path-in-name", "control-in-name",
};

struct att {
	const struct mail_part *part;
	char *name;     /* safe */
	char *declared; /* safe */
	char *detected; /* safe */
	size_t size;
	unsigned flags;
};

struct atts {
	struct att *v;
	size_t n;
};

int inspect_new(struct inspect **out, char *err, size_t errlen)
{
	struct inspect *in = xcalloc(1, sizeof(*in));
	int rc = WARY_OK;

	/* No decompression, no file access beyond the database itself. */
	in->magic = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
	if (in->magic == NULL) {
		rc = err_set(err, errlen, WARY_ERR, "libmagic: cannot start");
		goto out;
	}
	if (magic_load(in->magic, NULL) != 0) {
		rc = err_set(err, errlen, WARY_ERR, "libmagic: %s", magic_error(in->magic));
		goto out;
	}
	*out = in;
	return WARY_OK;
out:
	inspect_free(&in);
	return rc;
}

void inspect_free(struct inspect **in)
{
	if (in == NULL || *in == NULL)
		return;
	if ((*in)->magic != NULL)
		magic_close((*in)->magic);
	crypto_free(&(*in)->crypto);
	inspect_vstate_free(&(*in)->vs);
	inspect_sstate_free(&(*in)->ss);
	free(*in);
	*in = NULL;
}

void inspect_set_trace(struct inspect *in, const struct trace_opts *o, const struct auth_dns *dns)
{
	in->trace_opts = o;
	in->trace_dns = dns;
}

/* The Received chain, its checks over DNS when there is a resolver.
 * *dnsbl (for the spam score): 1 when a DNS block list lists a hop, 0
 * when the lists were asked and do not, -1 when none was asked. */
static void trace_report(struct inspect *in, const struct mail_msg *msg, struct buf *out, bool json,
                         int *dnsbl)
{
	struct trace *t = NULL;
	char err[WARY_ERRLEN];

	*dnsbl = -1;
	if (trace_build(msg, in->trace_opts, &t, err, sizeof(err)) != WARY_OK || t == NULL) {
		buf_adds(out, json ? "null" : "Received chain: not analysed\n");
		return;
	}
	if (in->trace_dns != NULL) {
		struct trace_dns td;

		auth_trace_dns(in->trace_dns, &td);
		if (trace_check_dns(t, &td, err, sizeof(err)) == WARY_OK && in->trace_opts &&
		    in->trace_opts->n_dnsbl > 0) {
			*dnsbl = 0;
			for (size_t i = 0; i < trace_hop_count(t); i++)
				if (trace_hop(t, i)->flags & TRACE_F_DNSBL)
					*dnsbl = 1;
		}
	}
	if (json)
		trace_json(t, out);
	else
		trace_text(t, out);
	trace_free(&t);
}

struct inspect_sstate **inspect_sstate_of(struct inspect *in)
{
	return &in->ss;
}

/* Attachments that lie about their type or name, and programs: facts of
 * the spam score. */
static void att_counts(const struct atts *a, int *lying, int *exec)
{
	*lying = *exec = 0;
	for (size_t i = 0; i < a->n; i++) {
		if (a->v[i].flags & (ATT_TYPE_MISMATCH | ATT_DOUBLE_EXT))
			(*lying)++;
		if (a->v[i].flags & ATT_EXECUTABLE)
			(*exec)++;
	}
}

void inspect_set_auth(struct inspect *in, const struct inspect_auth *a)
{
	inspect_vstate_set(&in->vs, a);
}

int inspect_verdict(struct inspect *in, const struct mail_msg *msg, struct auth_verdict *out,
                    char *err, size_t errlen)
{
	return inspect_vstate_verdict(&in->vs, msg, out, err, errlen);
}

const char *inspect_detect(struct inspect *in, const void *data, size_t len)
{
	const char *t;

	if (in == NULL || in->magic == NULL)
		return "application/octet-stream";
	if (len == 0)
		return "application/x-empty";
	t = magic_buffer(in->magic, data, len < INSPECT_MAGIC_BYTES ? len : INSPECT_MAGIC_BYTES);
	return t ? t : "application/octet-stream";
}

/* ------------------------------------------------------- attachments */

static bool type_is_executable(const char *t)
{
	static const char *const types[] = {
		"application/x-dosexec", "application/x-executable", "application/x-sharedlib",
		"application/x-pie-executable", "application/x-mach-binary", "application/x-msdownload",
		"application/vnd.microsoft.portable-executable", "application/x-elf",
		"application/x-msi", "application/x-ms-shortcut", "application/x-object",
		"application/x-coff", "application/x-coffexec",
	};

	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (str_casecmp(t, types[i]) == 0)
			return true;
	return false;
}

static bool ext_is_executable(const char *e, size_t n)
{
	static const char *const exts[] = {
		"exe", "scr", "com", "bat", "cmd", "pif", "js", "jse", "vbs", "vbe", "wsf", "wsh",
		"hta", "msi", "msp", "jar", "ps1", "psm1", "lnk", "reg", "cpl", "dll", "sh", "app",
		"apk", "elf", "bin", "run", "scf", "gadget", "application", "msc", "vb", "ws",
		"iso", "img", "docm", "xlsm", "pptm", "chm", "url", "inf", "sys", "drv", "ocx",
	};

	for (size_t i = 0; i < ARRAY_SIZE(exts); i++)
		if (strlen(exts[i]) == n && str_ncasecmp(e, exts[i], n) == 0)
			return true;
	return false;
}

/* The extension as a file manager would see it: after the last '.', with
 * invisible and bidi code points removed (an RLO reverses only how the
 * name looks, not what it is). */
static void name_visible_bytes(const char *name, struct buf *out, unsigned *flags)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t len = strlen(name), i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(s + i, len - i, &cp);

		if (n == 0) {
			buf_addch(out, '?');
			i++;
			continue;
		}
		if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
		    cp == 0x200e || cp == 0x200f || cp == 0x061c)
			*flags |= ATT_BIDI;
		else if (safe_is_invisible(cp))
			*flags |= ATT_INVISIBLE;
		else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			*flags |= ATT_CONTROL;
		else
			buf_add(out, s + i, n);
		i += n;
	}
}

static void name_flags(const char *name, unsigned *flags)
{
	struct buf v = BUF_INIT;
	char *last, *prev = NULL;
	size_t len;

	buf_init(&v);
	name_visible_bytes(name, &v, flags);
	if (strchr(v.data, '/') || strchr(v.data, '\\') || strstr(v.data, ".."))
		*flags |= ATT_PATH;
	/* Spaces before the last dot push it out of view: "a.pdf      .exe". */
	len = v.len;
	while (len > 0 && (v.data[len - 1] == ' ' || v.data[len - 1] == '.'))
		len--;
	buf_truncate(&v, len);
	last = strrchr(v.data, '.');
	if (last != NULL) {
		size_t elen = strlen(last + 1);

		if (ext_is_executable(last + 1, elen)) {
			*flags |= ATT_EXECUTABLE;
			*last = '\0';
			len = strlen(v.data);
			while (len > 0 && v.data[len - 1] == ' ')
				v.data[--len] = '\0';
			prev = strrchr(v.data, '.');
			if (prev != NULL && strlen(prev + 1) >= 1 && strlen(prev + 1) <= 5)
				*flags |= ATT_DOUBLE_EXT;
		}
	}
	buf_release(&v);
}

static bool text_like(const char *t)
{
	return str_istarts_with(t, "text/") || str_casecmp(t, "application/json") == 0 ||
	       str_casecmp(t, "application/xml") == 0 || str_casecmp(t, "application/javascript") == 0 ||
	       str_casecmp(t, "application/x-sh") == 0 || str_casecmp(t, "application/pgp-signature") == 0 ||
	       str_casecmp(t, "application/pgp-keys") == 0 || str_casecmp(t, "application/pgp-encrypted") == 0 ||
	       str_casecmp(t, "message/rfc822") == 0 || str_casecmp(t, "application/x-empty") == 0 ||
	       str_casecmp(t, "application/ics") == 0;
}

static bool zip_container(const char *t)
{
	return strstr(t, "zip") || strstr(t, "openxmlformats") || strstr(t, "opendocument") ||
	       strstr(t, "epub") || strstr(t, "java-archive") || strstr(t, "android");
}

/* A difference that matters: not a synonym, not "we do not know". */
static bool types_differ(const char *declared, const char *detected)
{
	const char *ds = strchr(declared, '/'), *ts = strchr(detected, '/');

	if (str_casecmp(declared, detected) == 0)
		return false;
	if (str_casecmp(detected, "application/octet-stream") == 0)
		return false; /* libmagic does not know */
	if (str_casecmp(declared, "application/octet-stream") == 0 ||
	    str_casecmp(declared, "application/unknown") == 0 ||
	    str_casecmp(declared, "application/x-unknown") == 0 ||
	    str_casecmp(declared, "application/binary") == 0)
		return type_is_executable(detected);
	if (text_like(declared) && text_like(detected))
		return false;
	if (zip_container(declared) && zip_container(detected))
		return false;
	if (strstr(declared, "ms") && str_casecmp(detected, "application/cdfv2") == 0)
		return false; /* old Office files are CDF containers */
	if (strstr(declared, "pdf") && strstr(detected, "pdf"))
		return false;
	/* image/jpg vs image/jpeg, audio/mp3 vs audio/mpeg: same major type
	 * of media with a name libmagic spells differently. */
	if (ds != NULL && ts != NULL && (size_t)(ds - declared) == (size_t)(ts - detected) &&
	    str_ncasecmp(declared, detected, (size_t)(ds - declared)) == 0 &&
	    (str_istarts_with(declared, "image/") || str_istarts_with(declared, "audio/") ||
	     str_istarts_with(declared, "video/") || str_istarts_with(declared, "font/")))
		return false;
	return true;
}

static void collect(struct inspect *in, const struct mail_part *p, struct atts *a, int depth)
{
	size_t n = mail_part_count_children(p);
	const char *t = mail_part_type(p);
	struct buf dec = BUF_INIT;
	struct att *x;
	const char *name;

	if (depth > INSPECT_MAX_DEPTH || a->n >= INSPECT_MAX_ATTACHMENTS)
		return;
	if (t == NULL)
		t = "application/octet-stream";
	if (n > 0) {
		for (size_t i = 0; i < n; i++)
			collect(in, mail_part_child(p, i), a, depth + 1);
		return;
	}
	if (str_casecmp(t, "message/rfc822") == 0 || str_casecmp(t, "message/global") == 0) {
		const struct mail_msg *m = mail_part_message(p);

		if (m != NULL && mail_root(m) != NULL)
			collect(in, mail_root(m), a, depth + 1);
		return;
	}
	if (!mail_part_is_attachment(p))
		return;
	buf_init(&dec);
	if (mail_part_decode(p, &dec, NULL, 0) != WARY_OK && dec.len == 0) {
		size_t len;
		const char *raw = mail_part_body(p, &len);

		if (raw != NULL)
			buf_add(&dec, raw, len);
	}
	a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
	x = &a->v[a->n++];
	memset(x, 0, sizeof(*x));
	x->part = p;
	name = mail_part_filename(p);
	x->name = safe_str(name ? name : "", SAFE_LINE);
	x->declared = safe_str(t, SAFE_LINE);
	x->detected = safe_str(inspect_detect(in, dec.data, dec.len), SAFE_LINE);
	x->size = dec.len;
	if (name != NULL)
		name_flags(name, &x->flags);
	if (type_is_executable(x->detected))
		x->flags |= ATT_EXECUTABLE;
	if (types_differ(t, x->detected))
		x->flags |= ATT_TYPE_MISMATCH;
	buf_release(&dec);
}

static void atts_clear(struct atts *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].declared);
		free(a->v[i].detected);
	}
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

/* ---------------------------------------------------------- shared */

static void add_safe(struct buf *out, const char *s)
{
	safe_text(out, s ? s : "", s ? strlen(s) : 0, SAFE_LINE);
}

static void add_json_safe(struct buf *out, const char *s)
{
	char *safe = safe_str(s ? s : "", SAFE_LINE);

	buf_add_json_str(out, safe);
	free(safe);
}

static void flag_list_json(struct buf *out, unsigned flags, const char *const *names, size_t nnames)
{
	bool first = true;

	buf_addch(out, '[');
	for (size_t i = 0; i < nnames; i++) {
		if (!(flags & (1u << i)))
			continue;
		if (!first)
			buf_addch(out, ',');
		buf_add_json_str(out, names[i]);
		first = false;
	}
	buf_addch(out, ']');
}

static int render_for_inspect(const struct mail_msg *msg, struct render_doc **doc,
                              char *err, size_t errlen)
{
	struct render_opts o = { RENDER_HEADERS_ALL, true, 80 };

	return render_message(msg, &o, doc, err, errlen);
}

/* ------------------------------------------------------------- JSON */

static void json_remote(struct buf *out, const struct render_doc *doc)
{
	bool first = true;

	buf_addf(out, "\"remote\":{\"blocked\":%zu,\"by_kind\":{", render_remote_blocked(doc));
	for (int k = 0; k < RENDER_REMOTE_KINDS; k++) {
		size_t n = render_remote_count(doc, (enum render_remote_kind)k);

		if (n == 0)
			continue;
		if (!first)
			buf_addch(out, ',');
		buf_add_json_str(out, render_remote_kind_name((enum render_remote_kind)k));
		buf_addf(out, ":%zu", n);
		first = false;
	}
	buf_adds(out, "},\"trackers\":[");
	for (size_t i = 0; i < render_tracker_count(doc); i++) {
		if (i > 0)
			buf_addch(out, ',');
		add_json_safe(out, render_tracker(doc, i));
	}
	/* every reference, resolved, so scripts (and the browser oracle
	 * test) can see what was blocked */
	buf_adds(out, "],\"refs\":[");
	for (size_t i = 0; i < render_ref_count(doc); i++) {
		const struct render_ref *r = render_ref_get(doc, i);

		if (i > 0)
			buf_addch(out, ',');
		buf_adds(out, "{\"kind\":");
		buf_add_json_str(out, render_remote_kind_name(r->kind));
		buf_adds(out, ",\"url\":");
		add_json_safe(out, r->url);
		buf_adds(out, ",\"host\":");
		add_json_safe(out, r->host);
		buf_addf(out, ",\"tracker\":%s}", r->tracker ? "true" : "false");
	}
	buf_adds(out, "],\"receipt_to\":");
	if (render_receipt_request(doc) != NULL)
		add_json_safe(out, render_receipt_request(doc));
	else
		buf_adds(out, "null");
	buf_addch(out, '}');
}

static void json_links(struct buf *out, const struct render_doc *doc)
{
	buf_adds(out, "\"links\":[");
	for (size_t i = 0; i < render_link_count(doc); i++) {
		const struct render_link *l = render_link_get(doc, i);

		if (i > 0)
			buf_addch(out, ',');
		buf_adds(out, "{\"text\":");
		add_json_safe(out, l->text);
		buf_adds(out, ",\"href\":");
		add_json_safe(out, l->href);
		buf_adds(out, ",\"host\":");
		add_json_safe(out, l->host);
		buf_adds(out, ",\"flags\":");
		buf_add_json_flags(out, l->flags, render_link_flag_name);
		buf_adds(out, ",\"detail\":");
		add_json_safe(out, l->detail);
		buf_addf(out, ",\"number\":%u}", l->number);
	}
	buf_addch(out, ']');
}

static void json_attachments(struct buf *out, const struct atts *a)
{
	buf_adds(out, "\"attachments\":[");
	for (size_t i = 0; i < a->n; i++) {
		const struct att *x = &a->v[i];

		if (i > 0)
			buf_addch(out, ',');
		buf_adds(out, "{\"name\":");
		buf_add_json_str(out, x->name);
		buf_adds(out, ",\"declared\":");
		buf_add_json_str(out, x->declared);
		buf_adds(out, ",\"detected\":");
		buf_add_json_str(out, x->detected);
		buf_addf(out, ",\"size\":%zu,\"flags\":", x->size);
		flag_list_json(out, x->flags, att_flag_names, ARRAY_SIZE(att_flag_names));
		buf_addch(out, '}');
	}
	buf_addch(out, ']');
}

/* PGP (crypto/): verified and decrypted here, synchronously, with the
 * keyring GNUPGHOME names. */
static void pgp_report(struct inspect *in, const struct mail_msg *msg, struct buf *out, bool json)
{
	struct crypto_result *r = NULL;
	char err[WARY_ERRLEN];

	if (crypto_msg_has_pgp(msg) && !in->crypto_tried) {
		in->crypto_tried = true;
		if (crypto_new(&in->crypto, err, sizeof(err)) != WARY_OK)
			in->crypto = NULL;
	}
	if (crypto_analyze(in->crypto, msg, &r, err, sizeof(err)) != WARY_OK) {
		buf_adds(out, json ? "null" : "  not analysed\n");
		return;
	}
	if (json)
		crypto_result_json(r, out);
	else
		crypto_result_text(r, out);
	crypto_result_free(&r);
}

int inspect_report_json(struct inspect *in, const struct mail_msg *msg, struct buf *out,
                        char *err, size_t errlen)
{
	struct render_doc *doc = NULL;
	struct atts a = { NULL, 0 };
	struct auth_verdict *verdict = NULL;
	int rc, dnsbl = -1;

	if (msg == NULL)
		return err_set(err, errlen, WARY_ERR, "inspect: no message");
	rc = render_for_inspect(msg, &doc, err, errlen);
	if (rc != WARY_OK)
		goto out;
	if (mail_root(msg) != NULL)
		collect(in, mail_root(msg), &a, 0);
	verdict = xcalloc(1, sizeof(*verdict));
	rc = inspect_verdict(in, msg, verdict, err, errlen);
	if (rc != WARY_OK)
		goto out;
	buf_addch(out, '{');
	inspect_from_json(verdict, out);
	buf_addch(out, ',');
	inspect_verdict_json(verdict, out);
	/* Analyses not built yet are null (design section 7). */
	buf_adds(out, ",\"trace\":");
	trace_report(in, msg, out, true, &dnsbl);
	buf_addch(out, ',');
	json_remote(out, doc);
	buf_addch(out, ',');
	json_links(out, doc);
	buf_addch(out, ',');
	json_attachments(out, &a);
	buf_adds(out, ",\"pgp\":");
	pgp_report(in, msg, out, true);
	{
		int lying, exec;

		att_counts(&a, &lying, &exec);
		buf_addch(out, ',');
		inspect_spam_json(&in->ss, msg, doc, verdict, lying, exec, dnsbl, out);
		buf_adds(out, "}\n");
	}
out:
	if (verdict) {
		auth_verdict_clear(verdict);
		free(verdict);
	}
	atts_clear(&a);
	render_free(&doc);
	return rc;
}

/* ------------------------------------------------------------- text */

static void text_tree(struct buf *out, const struct mail_part *p, int depth, int indent)
{
	size_t n = mail_part_count_children(p), len = 0;
	const char *v;

	if (depth > INSPECT_MAX_DEPTH) {
		buf_addf(out, "%*s(deeper parts not shown)\n", indent * 2 + 2, "");
		return;
	}
	buf_addf(out, "%*s", indent * 2 + 2, "");
	add_safe(out, mail_part_type(p));
	if ((v = mail_part_param(p, "charset")) != NULL) {
		buf_adds(out, "; charset=");
		add_safe(out, v);
	}
	if ((v = mail_part_encoding(p)) != NULL) {
		buf_adds(out, "; encoding=");
		add_safe(out, v);
	}
	if ((v = mail_part_disposition(p)) != NULL) {
		buf_adds(out, "; disposition=");
		add_safe(out, v);
	}
	if ((v = mail_part_filename(p)) != NULL) {
		buf_adds(out, "; filename=\"");
		add_safe(out, v);
		buf_addch(out, '"');
	}
	(void)mail_part_body(p, &len);
	buf_addf(out, "; %zu bytes\n", len);
	for (size_t i = 0; i < n; i++)
		text_tree(out, mail_part_child(p, i), depth + 1, indent + 1);
	v = mail_part_type(p);
	if (n == 0 && v != NULL && (str_casecmp(v, "message/rfc822") == 0 ||
	                            str_casecmp(v, "message/global") == 0)) {
		const struct mail_msg *m = mail_part_message(p);

		if (m != NULL && mail_root(m) != NULL)
			text_tree(out, mail_root(m), depth + 1, indent + 1);
	}
}

/* A part in a line: lines and the first words of a text, or what an
 * attachment really is. */
static void text_parts(struct buf *out, const struct mail_part *p, const struct atts *a,
                       size_t *num, int depth)
{
	size_t n = mail_part_count_children(p);
	const char *t = mail_part_type(p);

	if (depth > INSPECT_MAX_DEPTH || *num > 10000)
		return;
	if (n > 0) {
		for (size_t i = 0; i < n; i++)
			text_parts(out, mail_part_child(p, i), a, num, depth + 1);
		return;
	}
	(*num)++;
	buf_addf(out, "  %zu ", *num);
	add_safe(out, t);
	for (size_t i = 0; i < a->n; i++) {
		const struct att *x = &a->v[i];

		if (x->part != p)
			continue;
		buf_addf(out, ": attachment \"%s\", %zu bytes, declared %s, detected %s", x->name,
		         x->size, x->declared, x->detected);
		for (size_t k = 0; k < ARRAY_SIZE(att_flag_names); k++)
			if (x->flags & (1u << k))
				buf_addf(out, " [%s]", att_flag_names[k]);
		buf_addch(out, '\n');
		return;
	}
	if (t != NULL && str_istarts_with(t, "text/")) {
		struct buf txt = BUF_INIT;
		size_t lines = 0, first = 0, flen = 0;

		buf_init(&txt);
		if (mail_part_text(p, &txt, NULL, 0) == WARY_OK || txt.len > 0) {
			for (size_t i = 0; i < txt.len; i++)
				if (txt.data[i] == '\n')
					lines++;
			while (first < txt.len && (unsigned char)txt.data[first] <= ' ')
				first++;
			while (first + flen < txt.len && txt.data[first + flen] != '\n' && flen < 60)
				flen++;
			buf_addf(out, ": %zu bytes of text, %zu lines: \"", txt.len, lines);
			safe_text(out, txt.data + first, flen, SAFE_LINE);
			buf_addch(out, '"');
		}
		buf_release(&txt);
	} else if (t != NULL && (str_casecmp(t, "message/rfc822") == 0 ||
	                         str_casecmp(t, "message/global") == 0)) {
		const struct mail_msg *m = mail_part_message(p);
		char *subj = m ? mail_header_decoded(m, "Subject") : NULL;

		buf_adds(out, ": enclosed message, subject \"");
		add_safe(out, subj ? subj : "");
		buf_addch(out, '"');
		free(subj);
	} else if (t != NULL && str_casecmp(t, "message/external-body") == 0) {
		buf_adds(out, ": external body, never fetched");
	}
	buf_addch(out, '\n');
}

static void text_from(struct buf *out, const struct mail_msg *msg)
{
	struct mail_from f;

	memset(&f, 0, sizeof(f));
	mail_from_get(msg, &f);
	buf_adds(out, "\nFrom verdict:\n  display:   ");
	add_safe(out, f.display ? f.display : "(none)");
	buf_adds(out, "\n  address:   ");
	add_safe(out, f.address ? f.address : "(none)");
	buf_adds(out, "\n  domain:    ");
	add_safe(out, f.domain ? f.domain : "(none)");
	buf_addf(out, "\n  ambiguous: %s\n  flags:    ", f.ambiguous ? "yes" : "no");
	if (f.flags == 0)
		buf_adds(out, " none");
	for (unsigned bit = 0; bit < 32; bit++) {
		const char *name;

		if (!(f.flags & (1u << bit)))
			continue;
		name = mail_from_flag_name(1u << bit);
		buf_addch(out, ' ');
		add_safe(out, name ? name : "unknown");
	}
	buf_addch(out, '\n');
	mail_from_clear(&f);
}

int inspect_report_text(struct inspect *in, const struct mail_msg *msg, struct buf *out,
                        char *err, size_t errlen)
{
	struct render_doc *doc = NULL;
	struct atts a = { NULL, 0 };
	size_t num = 0;
	int rc, dnsbl = -1;

	if (msg == NULL)
		return err_set(err, errlen, WARY_ERR, "inspect: no message");
	rc = render_for_inspect(msg, &doc, err, errlen);
	if (rc != WARY_OK)
		goto out;
	if (mail_root(msg) != NULL)
		collect(in, mail_root(msg), &a, 0);

	buf_adds(out, "Headers:\n");
	for (size_t i = 0; i < render_line_count(doc); i++) {
		enum render_kind k;
		const char *line = render_line(doc, i, &k);

		if (k != RENDER_HEADER)
			break;
		buf_addf(out, "  %s\n", line); /* already safe */
	}
	text_from(out, msg);
	{
		struct auth_verdict *v = xcalloc(1, sizeof(*v));

		if (inspect_verdict(in, msg, v, err, errlen) == WARY_OK)
			inspect_verdict_text(v, out);
		auth_verdict_clear(v);
		free(v);
	}
	buf_adds(out, "\nParse warnings:\n");
	if (mail_warning_count(msg) == 0)
		buf_adds(out, "  none\n");
	for (size_t i = 0; i < mail_warning_count(msg); i++) {
		buf_adds(out, "  - ");
		add_safe(out, mail_warning(msg, i));
		buf_addch(out, '\n');
	}
	buf_adds(out, "\nMIME tree:\n");
	if (mail_root(msg) != NULL)
		text_tree(out, mail_root(msg), 0, 0);
	buf_adds(out, "\nParts:\n");
	if (mail_root(msg) != NULL)
		text_parts(out, mail_root(msg), &a, &num, 0);

	buf_addf(out, "\nRemote references blocked: %zu", render_remote_blocked(doc));
	for (int k = 0; k < RENDER_REMOTE_KINDS; k++) {
		size_t n = render_remote_count(doc, (enum render_remote_kind)k);

		if (n > 0)
			buf_addf(out, ", %zu %s", n, render_remote_kind_name((enum render_remote_kind)k));
	}
	buf_addch(out, '\n');
	for (size_t i = 0; i < render_tracker_count(doc); i++)
		buf_addf(out, "  tracking pixel from %s\n", render_tracker(doc, i));
	for (size_t i = 0; i < render_ref_count(doc); i++) {
		const struct render_ref *r = render_ref_get(doc, i);

		buf_addf(out, "  %s %s%s\n", render_remote_kind_name(r->kind), r->url,
		         r->tracker ? " [tracker]" : "");
	}
	if (render_receipt_request(doc) != NULL)
		buf_addf(out, "Read receipt asked for, to %s (never sent)\n", render_receipt_request(doc));
	if (render_hidden_count(doc) > 0)
		buf_addf(out, "Hidden text dropped: %zu pieces\n", render_hidden_count(doc));
	buf_addch(out, '\n');
	trace_report(in, msg, out, false, &dnsbl);
	{
		/* the verdict again: its keys and DNS answers are cached by now */
		struct auth_verdict *v = xcalloc(1, sizeof(*v));
		bool have = inspect_verdict(in, msg, v, err, errlen) == WARY_OK;
		int lying, exec;

		att_counts(&a, &lying, &exec);
		inspect_spam_text(&in->ss, msg, doc, have ? v : NULL, lying, exec, dnsbl, out);
		auth_verdict_clear(v);
		free(v);
	}
	buf_adds(out, "\nPGP:\n");
	pgp_report(in, msg, out, false);
	buf_addf(out, "\nLinks: %zu\n", render_link_count(doc));
	for (size_t i = 0; i < render_link_count(doc); i++) {
		const struct render_link *l = render_link_get(doc, i);

		buf_addf(out, "  \"%s\" -> %s (host %s)", l->text, l->href, *l->host ? l->host : "none");
		for (unsigned bit = 0; bit < 32; bit++)
			if ((l->flags & (1u << bit)) && render_link_flag_name(1u << bit))
				buf_addf(out, " [%s]", render_link_flag_name(1u << bit));
		if (l->detail[0])
			buf_addf(out, " (%s)", l->detail);
		buf_addch(out, '\n');
	}
out:
	atts_clear(&a);
	render_free(&doc);
	return rc;
}

int inspect_text(const struct mail_msg *msg, struct buf *out, char *err, size_t errlen)
{
	struct inspect *in = NULL;
	int rc = inspect_new(&in, err, errlen);

	if (rc == WARY_OK)
		rc = inspect_report_text(in, msg, out, err, errlen);
	inspect_free(&in);
	return rc;
}

int inspect_json(const struct mail_msg *msg, struct buf *out, char *err, size_t errlen)
{
	struct inspect *in = NULL;
	int rc = inspect_new(&in, err, errlen);

	if (rc == WARY_OK)
		rc = inspect_report_json(in, msg, out, err, errlen);
	inspect_free(&in);
	return rc;
}

int inspect_attachments(struct inspect *in, const struct mail_msg *msg,
                        struct inspect_attachment **out, size_t *n, char *err, size_t errlen)
{
	struct atts a = { NULL, 0 };

	*out = NULL;
	*n = 0;
	if (msg == NULL || mail_root(msg) == NULL)
		return err_set(err, errlen, WARY_ERR, "no message");
	collect(in, mail_root(msg), &a, 0);
	if (a.n > 0) {
		*out = xcalloc(a.n, sizeof(**out));
		for (size_t i = 0; i < a.n; i++) {
			(*out)[i].part = a.v[i].part;
			(*out)[i].name = a.v[i].name;
			(*out)[i].declared = a.v[i].declared;
			(*out)[i].detected = a.v[i].detected;
			(*out)[i].size = a.v[i].size;
			(*out)[i].flags = a.v[i].flags;
		}
		*n = a.n;
	}
	free(a.v); /* the strings moved to *out */
	return WARY_OK;
}

void inspect_attachments_free(struct inspect_attachment **v, size_t n)
{
	if (v == NULL || *v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*v)[i].name);
		free((*v)[i].declared);
		free((*v)[i].detected);
	}
	free(*v);
	*v = NULL;
}

const char *inspect_att_flag_name(unsigned flag)
{
	for (unsigned i = 0; i < ARRAY_SIZE(att_flag_names); i++)
		if (flag == (1u << i))
			return att_flag_names[i];
	return NULL;
}
