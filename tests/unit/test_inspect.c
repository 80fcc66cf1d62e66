/* inspect: the JSON contract (valid, complete, safe) on every demo and
 * hostile message, the true type of lying attachments, and the report. */
#include <dirent.h>

#include "inspect/inspect.h"
#include "t.h"
#include "t_msg.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

/* ------------------------------------------------- a strict JSON reader */

struct jp {
	const char *s, *end;
	int depth;
	/* top-level keys in order, when depth is 1 */
	char keys[16][16];
	int nkeys;
};

static bool j_value(struct jp *p);

static void j_ws(struct jp *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static bool j_string(struct jp *p, char *copy, size_t copylen)
{
	size_t n = 0;

	if (p->s >= p->end || *p->s != '"')
		return false;
	p->s++;
	while (p->s < p->end && *p->s != '"') {
		unsigned char c = (unsigned char)*p->s;

		if (c < 0x20)
			return false; /* raw control characters are invalid JSON */
		if (c == '\\') {
			p->s++;
			if (p->s >= p->end || !strchr("\"\\/bfnrtu", *p->s))
				return false;
			if (*p->s == 'u') {
				for (int i = 1; i <= 4; i++)
					if (p->s + i >= p->end || !strchr("0123456789abcdefABCDEF", p->s[i]))
						return false;
				p->s += 4;
			}
		} else if (copy != NULL && n + 1 < copylen) {
			copy[n++] = (char)c;
		}
		p->s++;
	}
	if (copy != NULL)
		copy[n] = '\0';
	if (p->s >= p->end)
		return false;
	p->s++;
	return true;
}

static bool j_number(struct jp *p)
{
	const char *st = p->s;

	if (p->s < p->end && *p->s == '-')
		p->s++;
	while (p->s < p->end && strchr("0123456789.eE+-", *p->s))
		p->s++;
	return p->s > st;
}

static bool j_lit(struct jp *p, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(p->end - p->s) < n || memcmp(p->s, w, n) != 0)
		return false;
	p->s += n;
	return true;
}

static bool j_container(struct jp *p, char open, char close)
{
	bool first = true;

	if (++p->depth > 64)
		return false;
	p->s++;
	j_ws(p);
	if (p->s < p->end && *p->s == close) {
		p->s++;
		p->depth--;
		return true;
	}
	for (;;) {
		j_ws(p);
		if (!first) {
			if (p->s >= p->end || *p->s != ',')
				return false;
			p->s++;
			j_ws(p);
		}
		first = false;
		if (open == '{') {
			char key[16];

			if (!j_string(p, key, sizeof(key)))
				return false;
			if (p->depth == 1 && p->nkeys < 16)
				memcpy(p->keys[p->nkeys++], key, sizeof(key));
			j_ws(p);
			if (p->s >= p->end || *p->s != ':')
				return false;
			p->s++;
		}
		if (!j_value(p))
			return false;
		j_ws(p);
		if (p->s < p->end && *p->s == close) {
			p->s++;
			p->depth--;
			return true;
		}
	}
}

static bool j_value(struct jp *p)
{
	j_ws(p);
	if (p->s >= p->end)
		return false;
	switch (*p->s) {
	case '{': return j_container(p, '{', '}');
	case '[': return j_container(p, '[', ']');
	case '"': return j_string(p, NULL, 0);
	case 't': return j_lit(p, "true");
	case 'f': return j_lit(p, "false");
	case 'n': return j_lit(p, "null");
	default: return j_number(p);
	}
}

/* One object, newline-terminated, nothing after it. */
static bool json_ok(const char *s, size_t len, struct jp *p)
{
	memset(p, 0, sizeof(*p));
	p->s = s;
	p->end = s + len;
	if (len == 0 || s[len - 1] != '\n' || *s != '{')
		return false;
	if (!j_value(p))
		return false;
	j_ws(p);
	return p->s == p->end;
}

static const char *const contract[] = {
	"from", "verdict", "trace", "remote", "links", "attachments", "pgp", "spam", "score",
};

static bool has_contract_keys(const struct jp *p)
{
	if (p->nkeys != (int)ARRAY_SIZE(contract))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(contract); i++)
		if (strcmp(p->keys[i], contract[i]) != 0)
			return false;
	return true;
}

static const char *unsafe_in(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len; i++) {
		if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') || p[i] == 0x7f)
			return "C0/DEL byte";
		if (i + 1 < len && p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return "C1 code point";
		if (i + 2 < len && p[i] == 0xe2 && p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae)
			return "bidi override";
		if (i + 2 < len && p[i] == 0xe2 && p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9)
			return "bidi isolate";
	}
	return NULL;
}

/* An escaped control in JSON would decode back into one. */
static const char *escaped_control_in(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'r' || s[i + 1] == 'b' || s[i + 1] == 'f')
			return "escaped control";
		if (s[i + 1] == 'u' && i + 5 < len) {
			unsigned v = (unsigned)strtoul((char[]){ s[i + 2], s[i + 3], s[i + 4], s[i + 5], 0 }, NULL, 16);

			if (v < 0x20 || (v >= 0x7f && v <= 0x9f) || (v >= 0x202a && v <= 0x202e) ||
			    (v >= 0x2066 && v <= 0x2069))
				return "escaped control";
		}
		i++; /* the escaped character itself */
	}
	return NULL;
}




/* JSON of one message through a shared context; caller frees. */
static char *json_of(struct inspect *in, const struct mail_msg *m)
{
	struct buf out = BUF_INIT;
	char err[WARY_ERRLEN];

	buf_init(&out);
	if (m == NULL || inspect_report_json(in, m, &out, err, sizeof(err)) != WARY_OK) {
		buf_release(&out);
		return xstrdup("");
	}
	return buf_detach(&out, NULL);
}

/* The attachment object holding name (the JSON text from its "name"). */
static const char *attachment(const char *json, const char *name)
{
	char needle[256];

	snprintf(needle, sizeof(needle), "{\"name\":\"%s\"", name);
	return strstr(json, needle);
}

static bool att_has(const char *json, const char *name, const char *what)
{
	const char *a = attachment(json, name), *end;
	size_t n;

	if (a == NULL)
		return false;
	end = strchr(a, '}');
	n = end ? (size_t)(end - a) : strlen(a);
	return str_memcasemem(a, n, what) != NULL;
}

/* ---------------------------------------------------------------- tests */

static void all_in(struct inspect *in, const char *reldir, size_t *n, size_t *bad)
{
	char dir[1024], rel[1024];
	DIR *dd;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s/%s", TOP_SRCDIR, reldir);
	if ((dd = opendir(dir)) == NULL)
		return;
	while ((e = readdir(dd)) != NULL) {
		struct mail_msg *m;
		struct buf out = BUF_INIT;
		struct jp p;
		char err[WARY_ERRLEN];
		const char *why;

		if (e->d_name[0] == '.' || (strstr(reldir, "hostile") && !strstr(e->d_name, ".eml")))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", reldir, e->d_name);
		if ((m = t_load_msg(rel)) == NULL) {
			if (strcmp(e->d_name, "empty.eml") != 0)
				(*bad)++;
			continue;
		}
		(*n)++;
		buf_init(&out);
		if (inspect_report_json(in, m, &out, err, sizeof(err)) != WARY_OK) {
			printf("#   %s: json failed: %s\n", e->d_name, err);
			(*bad)++;
		} else if (!json_ok(out.data, out.len, &p) || !has_contract_keys(&p)) {
			printf("#   %s: invalid or incomplete JSON\n", e->d_name);
			(*bad)++;
		} else if ((why = unsafe_in(out.data, out.len)) != NULL ||
		           (why = escaped_control_in(out.data, out.len)) != NULL) {
			printf("#   %s: JSON %s\n", e->d_name, why);
			(*bad)++;
		}
		buf_reset(&out);
		if (inspect_report_text(in, m, &out, err, sizeof(err)) != WARY_OK ||
		    (why = unsafe_in(out.data, out.len)) != NULL) {
			printf("#   %s: text report failed or unsafe\n", e->d_name);
			(*bad)++;
		}
		buf_release(&out);
		mail_free(&m);
	}
	closedir(dd);
}

static void test_validator(void)
{
	struct jp p;

	/* the checker must be able to fail, or the checks below mean nothing */
	const char *good = "{\"a\":[1,true,null,\"x\\n\"],\"b\":{\"c\":-1.5e3}}\n";

	T_OK(json_ok(good, strlen(good), &p) && p.nkeys == 2, "validator: accepts valid JSON");
	T_OK(escaped_control_in("\"\\u001b\"", 8) != NULL && escaped_control_in("\"a\\\\run\"", 8) == NULL,
	     "validator: finds an escaped ESC, not an escaped backslash");
	T_OK(!json_ok("{\"a\":[1,]}\n", 11, &p), "validator: refuses a trailing comma");
	T_OK(!json_ok("{\"a\":\"\x1b\"}\n", 10, &p), "validator: refuses a raw control character");
	T_OK(!json_ok("{\"a\":1}", 7, &p), "validator: refuses output without its newline");
	T_OK(!json_ok("{\"a\":1}\n{}\n", 11, &p), "validator: refuses two objects");
}

static void test_all(struct inspect *in)
{
	size_t n = 0, bad = 0;

	all_in(in, "tests/demo/Maildir/cur", &n, &bad);
	all_in(in, "tests/demo/Maildir/new", &n, &bad);
	T_OK(n >= 50, "demo: every message inspected");
	T_INT(bad, 0, "demo: JSON valid, every contract key in order, nothing unsafe; text report safe");
	n = bad = 0;
	all_in(in, "tests/fixtures/hostile", &n, &bad);
	T_OK(n >= 80, "hostile: every fixture inspected");
	T_INT(bad, 0, "hostile: JSON valid, every contract key in order, nothing unsafe; text report safe");
}

static void test_attachments(struct inspect *in)
{
	struct mail_msg *m = t_demo_msg("1713766449.");
	char *j = json_of(in, m);

	T_OK(att_has(j, "invoice.pdf", "\"declared\":\"application/pdf\""), "lying: invoice.pdf declared a PDF");
	T_OK(att_has(j, "invoice.pdf", "portable-executable") || att_has(j, "invoice.pdf", "dosexec"),
	     "lying: invoice.pdf detected as a Windows executable");
	T_OK(att_has(j, "invoice.pdf", "\"executable\"") && att_has(j, "invoice.pdf", "\"type-mismatch\""),
	     "lying: invoice.pdf flagged executable and type-mismatch");
	T_OK(att_has(j, "shipping-label.txt", "\"detected\":\"application/zip\"") &&
	     att_has(j, "shipping-label.txt", "\"type-mismatch\""), "lying: the .txt that is a ZIP");
	free(j);
	mail_free(&m);

	m = t_load_msg("tests/fixtures/hostile/attachment-type-lie.eml");
	j = json_of(in, m);
	T_OK(att_has(j, "statement.pdf", "\"executable\"") && att_has(j, "statement.pdf", "\"type-mismatch\""),
	     "lying: an ELF named statement.pdf is an executable");
	free(j);
	mail_free(&m);

	m = t_demo_msg("1709843400.");
	j = json_of(in, m);
	T_OK(strstr(j, "\"detected\":\"application/pdf\"") != NULL && strstr(j, "\"flags\":[]}]") != NULL,
	     "honest: a real PDF is detected as one and not flagged");
	free(j);
	mail_free(&m);

	/* The audit message: a real PDF, a text file and an ELF named .pdf,
	 * side by side; each told for what its bytes are. */
	m = t_demo_msg("1717834540.");
	j = json_of(in, m);
	T_OK(att_has(j, "balance-sheet-2024.pdf", "\"detected\":\"application/pdf\",\"size\":") &&
	     att_has(j, "balance-sheet-2024.pdf", "\"flags\":[]"), "audit: the real PDF named .pdf is not flagged");
	T_OK(att_has(j, "notes-for-auditors.txt", "\"detected\":\"text/plain\"") &&
	     att_has(j, "notes-for-auditors.txt", "\"flags\":[]"), "audit: the text file is not flagged");
	T_OK(att_has(j, "reconciliation.pdf", "\"detected\":\"application/x-executable\"") &&
	     att_has(j, "reconciliation.pdf", "\"flags\":[\"type-mismatch\",\"executable\"]"),
	     "audit: the ELF program named .pdf is detected and flagged executable and type-mismatch");
	free(j);
	mail_free(&m);

	m = t_demo_msg("1713887741.");
	j = json_of(in, m);
	T_OK(att_has(j, "report.pdf.exe", "\"double-extension\"") && att_has(j, "report.pdf.exe", "\"executable\""),
	     "double extension: report.pdf.exe");
	free(j);
	mail_free(&m);

	m = t_load_msg("tests/fixtures/hostile/filename-double-ext.eml");
	j = json_of(in, m);
	T_OK(strstr(j, "\"double-extension\"") != NULL, "double extension: the hostile fixture, padded with spaces");
	free(j);
	mail_free(&m);

	m = t_load_msg("tests/fixtures/hostile/filename-bidi.eml");
	j = json_of(in, m);
	T_OK(strstr(j, "<U+202E>") != NULL && strstr(j, "\"bidi-in-name\"") != NULL && strstr(j, "\"executable\"") != NULL,
	     "bidi name: shown as an escape, flagged, and seen to end in .exe");
	free(j);
	mail_free(&m);
}

static void test_from_remote_links(struct inspect *in)
{
	struct mail_msg *m = t_load_msg("tests/fixtures/hostile/from-two-headers.eml");
	char *j = json_of(in, m);

	T_OK(strstr(j, "\"ambiguous\":true") != NULL, "from: two From headers are ambiguous");
	T_OK(strstr(j, "\"verdict\":{\"dkim\":[") && strstr(j, "\"aligned_pass\":false") &&
	     strstr(j, "\"ambiguous-from\""), "verdict: two From headers are never a pass");
	T_OK(strstr(j, ",\"score\":{\"total\":") && (strstr(j, ",\"spam\":null,") || strstr(j, ",\"spam\":{\"probability\":")),
	     "spam: the hybrid score is always there, the Bayes part without a store null");
	T_OK(strstr(j, "\"pgp\":{\"signed\":\"none\",\"encrypted\":\"none\",\"valid\":false,") != NULL,
	     "pgp: a message without PGP is neither signed nor encrypted");
	free(j);
	mail_free(&m);

	m = t_load_msg("tests/fixtures/hostile/from-display-address.eml");
	j = json_of(in, m);
	T_OK(strstr(j, "\"address\":\"x@evil.example\"") && strstr(j, "\"ambiguous\":false"),
	     "from: the real address, not the one in the display name");
	free(j);
	mail_free(&m);

	m = t_demo_msg("1707202812.");
	j = json_of(in, m);
	T_OK(strstr(j, "\"remote\":{\"blocked\":7,") != NULL, "remote: newsletter has 7 blocked references");
	T_OK(strstr(j, "\"trackers\":[\"t.tidewater-bikes.example.com\"]") != NULL, "remote: newsletter tracker host");
	T_OK(strstr(j, "\"font\":1") && strstr(j, "\"stylesheet\":1") && strstr(j, "\"image\":4"),
	     "remote: counted by kind");
	free(j);
	mail_free(&m);

	m = t_demo_msg("1713150764.");
	j = json_of(in, m);
	T_OK(strstr(j, "{\"text\":\"https://www.northwind-bank.example.com/security\",\"href\":\"http://northwind-bank.example.com.secure-login.test/verify?id=88123&s=1\",\"host\":\"northwind-bank.example.com.secure-login.test\",\"flags\":[\"text-host-mismatch\",\"http-not-https\"],\"detail\":\"the text names www.northwind-bank.example.com, the link goes to northwind-bank.example.com.secure-login.test\",\"number\":1}") != NULL,
	     "links: the phishing link with its real target, the mismatch and downgrade flags and what they found");
	T_OK(strstr(j, "\"href\":\"http://0xcb007165/nwb/login.php\",\"host\":\"0xcb007165\",\"flags\":[\"numeric-host\"],\"detail\":\"ip 203.0.113.101\"") != NULL,
	     "links: a hex IP host decoded to a dotted quad");
	T_OK(strstr(j, "{\"text\":\"form (POST, 2 fields, asks for a password)\",\"href\":\"http://203.0.113.101/nwb/collect.php\"") != NULL,
	     "links: the form listed with where it sends the password");
	free(j);
	mail_free(&m);

	m = t_demo_msg("1707746635.");
	j = json_of(in, m);
	T_OK(strstr(j, "\"blocked\":1,") != NULL, "remote: the HTML alternative is inspected even when text is shown");
	free(j);
	mail_free(&m);
}

static void test_text_report(void)
{
	struct mail_msg *m = t_demo_msg("1717578753.");
	struct buf out = BUF_INIT;
	char err[WARY_ERRLEN];

	buf_init(&out);
	T_INT(inspect_text(m, &out, err, sizeof(err)), WARY_OK, "text: report made");
	T_OK(strstr(out.data, "Headers:\n") && strstr(out.data, "  Received: ") != NULL, "text: all header fields");
	T_OK(strstr(out.data, "  address:   helpdesk@harbour-it.test\n") != NULL, "text: the real From address");
	T_OK(strstr(out.data, "invisible-characters") != NULL || strstr(out.data, "flags:") != NULL,
	     "text: From flags listed");
	T_OK(strstr(out.data, "MIME tree:\n  multipart/mixed") != NULL &&
	     strstr(out.data, "\n    application/pdf; encoding=base64; disposition=attachment; filename=\"payslip-june-<U+202E>fdp.exe\"") != NULL,
	     "text: MIME tree indented with type, encoding, disposition and a safe file name");
	T_OK(strstr(out.data, "[bidi-in-name]") != NULL && strstr(out.data, "[executable]") != NULL,
	     "text: the attachment summary carries its flags");
	buf_reset(&out);
	T_INT(inspect_json(m, &out, err, sizeof(err)), WARY_OK, "json: one-shot inspect_json works too");
	buf_release(&out);
	mail_free(&m);
}

int main(void)
{
	struct inspect *in = NULL;
	char err[WARY_ERRLEN];

	test_validator();
	if (!T_OK(inspect_new(&in, err, sizeof(err)) == WARY_OK, "inspect_new loads libmagic")) {
		printf("# %s\n", err);
		return t_done();
	}
	T_STR(inspect_detect(in, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", 15), "application/pdf", "detect: PDF magic");
	test_all(in);
	test_attachments(in);
	test_from_remote_links(in);
	test_text_report();
	inspect_free(&in);
	T_OK(in == NULL, "inspect_free clears the pointer");
	return t_done();
}
