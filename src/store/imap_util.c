/* The parts of the IMAP backend that need no server: flag names, UID
 * keys, addresses rebuilt from an ENVELOPE, SASL initial responses and
 * mailbox names in modified UTF-7.  Unit-tested in tests/unit/test_imap.c. */
#include <string.h>

#include "base/base.h"
#include "store/imap_int.h"
#include "store/store_int.h"

static const struct {
	const char *name;
	unsigned flag;
} flag_names[] = {
	{ "\\Seen", STORE_SEEN },       { "\\Answered", STORE_ANSWERED },
	{ "\\Flagged", STORE_FLAGGED }, { "\\Deleted", STORE_DELETED },
	{ "\\Draft", STORE_DRAFT },     { "$Forwarded", STORE_PASSED },
};

unsigned imap_flag_from_name(const char *name, size_t len)
{
	if (name == NULL)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++)
		if (strlen(flag_names[i].name) == len &&
		    str_ncasecmp(flag_names[i].name, name, len) == 0)
			return flag_names[i].flag;
	/* \Recent: no client saw it yet, what Maildir's new/ means. */
	if (len == 7 && str_ncasecmp(name, "\\Recent", 7) == 0)
		return STORE_NEW;
	return 0;
}

void imap_flags_to_list(unsigned flags, struct buf *out)
{
	bool first = true;

	for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++) {
		if (!(flags & flag_names[i].flag))
			continue;
		if (!first)
			buf_addch(out, ' ');
		buf_adds(out, flag_names[i].name);
		first = false;
	}
}

bool imap_key_to_uid(const char *key, uint32_t *uid)
{
	uint64_t v = 0;

	if (key == NULL || key[0] < '1' || key[0] > '9')
		return false;
	for (const char *p = key; *p; p++) {
		if (*p < '0' || *p > '9' || p - key >= 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v == 0 || v > UINT32_MAX)
		return false;
	*uid = (uint32_t)v;
	return true;
}

size_t imap_uid_to_key(uint32_t uid, char key[IMAP_KEY_SIZE])
{
	char rev[IMAP_KEY_SIZE];
	size_t n = 0;

	do {
		rev[n++] = (char)('0' + uid % 10);
		uid /= 10;
	} while (uid != 0);
	for (size_t i = 0; i < n; i++)
		key[i] = rev[n - 1 - i];
	key[n] = '\0';
	return n;
}

/* RFC 5322 atext, plus space: a display name made only of these (and
 * encoded-words, which are atext) needs no quotes. */
static bool phrase_char(unsigned char c)
{
	if (c >= 0x80)
		return true; /* raw 8-bit: left for mail/ to decode */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c == ' ' || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static void add_capped(struct buf *out, const char *s)
{
	size_t n = strlen(s);

	buf_add(out, s, n > STORE_MAX_VALUE ? STORE_MAX_VALUE : n);
}

void imap_addr_format(struct buf *out, const char *name, const char *mbox, const char *host)
{
	bool plain = true;

	if (name != NULL && name[0] != '\0') {
		for (const char *p = name; *p && plain; p++)
			plain = phrase_char((unsigned char)*p);
		if (plain) {
			add_capped(out, name);
		} else {
			size_t n = 0;

			buf_addch(out, '"');
			for (const char *p = name; *p && n < STORE_MAX_VALUE; p++, n++) {
				/* A CR or LF inside a name would end the header. */
				if (*p == '\r' || *p == '\n')
					continue;
				if (*p == '"' || *p == '\\')
					buf_addch(out, '\\');
				buf_addch(out, *p);
			}
			buf_addch(out, '"');
		}
		buf_adds(out, " <");
	}
	if (mbox != NULL)
		add_capped(out, mbox);
	if (host != NULL && host[0] != '\0') {
		buf_addch(out, '@');
		add_capped(out, host);
	}
	if (name != NULL && name[0] != '\0')
		buf_addch(out, '>');
}

void imap_base64(struct buf *out, const void *data, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	size_t i = 0;

	buf_grow(out, (len + 2) / 3 * 4 + 1);
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		buf_addch(out, tab[v >> 18]);
		buf_addch(out, tab[(v >> 12) & 63]);
		buf_addch(out, tab[(v >> 6) & 63]);
		buf_addch(out, tab[v & 63]);
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		buf_addch(out, tab[v >> 18]);
		buf_addch(out, tab[(v >> 12) & 63]);
		buf_adds(out, "==");
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		buf_addch(out, tab[v >> 18]);
		buf_addch(out, tab[(v >> 12) & 63]);
		buf_addch(out, tab[(v >> 6) & 63]);
		buf_addch(out, '=');
	}
}

void imap_buf_wipe(struct buf *b)
{
	if (b->data != NULL && b->cap > 0)
		explicit_bzero(b->data, b->cap);
	buf_release(b);
}

/* The plain text is built in a buffer of its own so it can be wiped. */
static void sasl_encode(struct buf *out, struct buf *plain)
{
	imap_base64(out, plain->data, plain->len);
	imap_buf_wipe(plain);
}

void imap_sasl_plain(struct buf *out, const char *user, const char *password)
{
	struct buf plain = BUF_INIT;

	buf_init(&plain);
	/* authzid empty: log in as the user we authenticate as. */
	buf_addch(&plain, '\0');
	buf_adds(&plain, user);
	buf_addch(&plain, '\0');
	buf_adds(&plain, password);
	sasl_encode(out, &plain);
}

void imap_sasl_xoauth2(struct buf *out, const char *user, const char *token)
{
	struct buf plain = BUF_INIT;

	buf_init(&plain);
	buf_addf(&plain, "user=%s\001auth=Bearer %s\001\001", user, token);
	sasl_encode(out, &plain);
}

void imap_sasl_oauthbearer(struct buf *out, const char *user, const char *token)
{
	struct buf plain = BUF_INIT;

	buf_init(&plain);
	/* RFC 7628: a gs2 header naming the user; "," and "=" in it are
	 * escaped as =2C and =3D. */
	buf_adds(&plain, "n,a=");
	for (const char *p = user; *p; p++) {
		if (*p == ',')
			buf_adds(&plain, "=2C");
		else if (*p == '=')
			buf_adds(&plain, "=3D");
		else
			buf_addch(&plain, *p);
	}
	buf_addf(&plain, ",\001auth=Bearer %s\001\001", token);
	sasl_encode(out, &plain);
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63; /* modified UTF-7 uses "," where base64 has "/" */
	return -1;
}

bool imap_mutf7_decode(const char *in, struct buf *out)
{
	struct buf tmp = BUF_INIT;
	bool ok = false;

	buf_init(&tmp);
	for (const char *p = in; *p;) {
		unsigned char c = (unsigned char)*p;
		uint32_t bits = 0, high = 0;
		int nbits = 0;
		bool any = false;

		if (c >= 0x80 || c < 0x20 || c == 0x7f)
			goto done; /* not 7-bit printable: not modified UTF-7 */
		if (c != '&') {
			buf_addch(&tmp, c);
			p++;
			continue;
		}
		p++;
		if (*p == '-') { /* "&-" is a literal "&" */
			buf_addch(&tmp, '&');
			p++;
			continue;
		}
		for (; *p && *p != '-'; p++) {
			int v = b64_value((unsigned char)*p);

			if (v < 0)
				goto done;
			bits = bits << 6 | (uint32_t)v;
			nbits += 6;
			if (nbits < 16)
				continue;
			nbits -= 16;
			{
				uint32_t u = (bits >> nbits) & 0xffff;

				any = true;
				if (high != 0) {
					if (u < 0xdc00 || u > 0xdfff)
						goto done;
					utf8_encode(&tmp, 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00));
					high = 0;
				} else if (u >= 0xd800 && u <= 0xdbff) {
					high = u;
				} else if (u >= 0xdc00 && u <= 0xdfff) {
					goto done;
				} else {
					utf8_encode(&tmp, u);
				}
			}
		}
		/* Unterminated, empty, a dangling surrogate or non-zero
		 * padding bits: malformed. */
		if (*p != '-' || !any || high != 0 || (bits & ((1u << nbits) - 1)) != 0)
			goto done;
		p++;
	}
	buf_add(out, tmp.data, tmp.len);
	ok = true;
done:
	buf_release(&tmp);
	return ok;
}

const char *imap_special_of(const char *attr)
{
	static const char *const names[][2] = {
		{ "Sent", "sent" }, { "Drafts", "drafts" }, { "Junk", "junk" },
		{ "Trash", "trash" }, { "Archive", "archive" },
	};

	if (attr == NULL)
		return NULL;
	if (attr[0] == '\\')
		attr++;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (str_casecmp(attr, names[i][0]) == 0)
			return names[i][1];
	return NULL;
}

unsigned imap_caps_mask_parse(const char *list)
{
	static const struct {
		const char *name;
		unsigned cap;
	} caps[] = {
		{ "qresync", IMAP_CAP_QRESYNC }, { "condstore", IMAP_CAP_CONDSTORE },
		{ "move", IMAP_CAP_MOVE },       { "uidplus", IMAP_CAP_UIDPLUS },
		{ "sasl-ir", IMAP_CAP_SASL_IR }, { "auth=plain", IMAP_CAP_AUTH_PLAIN },
		{ "idle", IMAP_CAP_IDLE },
	};
	unsigned mask = 0;

	if (list == NULL)
		return 0;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ", ");

		for (size_t i = 0; i < ARRAY_SIZE(caps); i++)
			if (strlen(caps[i].name) == n && str_ncasecmp(p, caps[i].name, n) == 0)
				mask |= caps[i].cap;
		p += n;
		p += strspn(p, ", ");
	}
	return mask;
}
