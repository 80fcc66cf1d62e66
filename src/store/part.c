/* One MIME part cut out of a whole message by its IMAP section number,
 * for store_fetch_part on a Maildir and on an IMAP body already cached
 * whole.  store/ does not link mail/, so this reads only what numbering
 * needs (Content-Type, boundary) and never decodes: the caller gets the
 * part's bytes as they stand and hands them to the parser. */
#include <string.h>

#include "base/base.h"
#include "store/store_int.h"

#define MAX_BOUNDARY 200

struct span {
	size_t off, len;
};

/* The end of the header block of e and where its body starts. */
static void split_entity(const char *msg, struct span e, size_t *hdr_end, size_t *body)
{
	size_t end = hdr_block_end(msg + e.off, e.len);

	if (end == SIZE_MAX) {
		*hdr_end = *body = e.len;
		return;
	}
	*hdr_end = end;
	*body = end + (msg[e.off + end] == '\r' ? 2 : 1);
}

/* Content-Type of the entity's header: type/subtype lowered into type,
 * the boundary parameter into boundary ("" when none).  A field folded
 * over lines is read as one. */
static void content_type(const char *h, size_t hlen, char *type, size_t typelen, char *boundary,
                         size_t blen)
{
	struct buf v = BUF_INIT;
	const char *p = h, *end = h + hlen;

	buf_init(&v);
	type[0] = boundary[0] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if (v.len == 0 && (size_t)(le - p) > 13 && str_ncasecmp(p, "Content-Type:", 13) == 0) {
			buf_add(&v, p + 13, (size_t)(le - p - 13));
			p = nl ? nl + 1 : end;
			while (p < end && (*p == ' ' || *p == '\t')) {
				nl = memchr(p, '\n', (size_t)(end - p));
				le = nl ? nl : end;
				buf_add(&v, p, (size_t)(le - p));
				p = nl ? nl + 1 : end;
			}
			break;
		}
		p = nl ? nl + 1 : end;
	}
	if (v.len == 0)
		goto out;
	{
		const char *s = v.data, *e = v.data + v.len;
		size_t n = 0;

		while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
			s++;
		while (s < e && *s != ';' && *s != ' ' && *s != '\t' && *s != '\r' && n + 1 < typelen)
			type[n++] = (char)((*s >= 'A' && *s <= 'Z') ? *s + 32 : *s), s++;
		type[n] = '\0';
		while (s < e) {
			const char *name;
			size_t nlen, bn = 0;

			s = memchr(s, ';', (size_t)(e - s));
			if (s == NULL)
				break;
			s++;
			while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
				s++;
			name = s;
			while (s < e && *s != '=' && *s != ';')
				s++;
			nlen = (size_t)(s - name);
			while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
				nlen--;
			if (s >= e || *s != '=')
				continue;
			s++;
			while (s < e && (*s == ' ' || *s == '\t'))
				s++;
			if (!(nlen == 8 && str_ncasecmp(name, "boundary", 8) == 0)) {
				if (s < e && *s == '"') { /* a quoted ';' is not a separator */
					for (s++; s < e && *s != '"'; s++)
						if (*s == '\\' && s + 1 < e)
							s++;
				}
				continue;
			}
			if (s < e && *s == '"') {
				for (s++; s < e && *s != '"'; s++) {
					if (*s == '\\' && s + 1 < e)
						s++;
					if (bn + 1 < blen)
						boundary[bn++] = *s;
				}
			} else {
				while (s < e && *s != ';' && *s != ' ' && *s != '\t' && *s != '\r' &&
				       bn + 1 < blen)
					boundary[bn++] = *s++;
			}
			boundary[bn] = '\0';
			break;
		}
	}
out:
	buf_release(&v);
}

/* Child k (1-based) of the multipart body b: the bytes between the end
 * of the k-th delimiter line and the line break before the next one. */
static bool child_of(const char *msg, struct span b, const char *bnd, unsigned k, struct span *out)
{
	size_t blen = strlen(bnd), pos = 0, start = SIZE_MAX;
	unsigned seen = 0;
	const char *d = msg + b.off;

	while (pos + 2 + blen <= b.len) {
		bool at_line = pos == 0 || d[pos - 1] == '\n';

		size_t after = pos + 2 + blen;

		/* "--B" only: "--Bx" is a line of the part, not B's delimiter. */
		if (at_line && d[pos] == '-' && d[pos + 1] == '-' &&
		    memcmp(d + pos + 2, bnd, blen) == 0 &&
		    (after == b.len || (d[after] != '\0' && strchr("-\r\n \t", d[after]) != NULL))) {
			bool close = after + 2 <= b.len && d[after] == '-' && d[after + 1] == '-';
			const char *nl;

			if (start != SIZE_MAX) {
				size_t end = pos;

				if (end > start && d[end - 1] == '\n')
					end--;
				if (end > start && d[end - 1] == '\r')
					end--;
				out->off = b.off + start;
				out->len = end - start;
				return true;
			}
			if (close)
				return false;
			seen++;
			if (seen > STORE_MAX_PARTS)
				return false;
			nl = memchr(d + after, '\n', b.len - after);
			if (nl == NULL)
				return false;
			if (seen == k)
				start = (size_t)(nl - d) + 1;
			pos = (size_t)(nl - d) + 1;
			continue;
		}
		{
			const char *nl = memchr(d + pos, '\n', b.len - pos);

			if (nl == NULL)
				break;
			pos = (size_t)(nl - d) + 1;
		}
	}
	if (start == SIZE_MAX)
		return false;
	/* No closing delimiter: the part runs to the end, as parsers take it. */
	out->off = b.off + start;
	out->len = b.len - start;
	return true;
}

bool store_part_id_valid(const char *id)
{
	size_t n = 0;
	unsigned comps = 0;

	if (id == NULL || id[0] == '\0' || strlen(id) > STORE_MAX_PART_ID)
		return false;
	for (const char *p = id;; p++) {
		if (*p >= '0' && *p <= '9') {
			if (n == 0 && *p == '0')
				return false;
			if (++n > 9)
				return false;
		} else if (*p == '.' || *p == '\0') {
			if (n == 0 || ++comps > STORE_MAX_DEPTH)
				return false;
			n = 0;
			if (*p == '\0')
				return true;
		} else {
			return false;
		}
	}
}

int store_part_cut(const char *msg, size_t len, const char *id, size_t *off, size_t *plen,
                   char *err, size_t errlen)
{
	struct span cur = {0, len};
	bool in_message = true; /* cur is a message: its part 1 may be its own body */
	const char *p = id;

	if (!store_part_id_valid(id))
		return err_set(err, errlen, WARY_ENOENT, "not a part number");
	while (*p) {
		char type[128], bnd[MAX_BOUNDARY + 1];
		size_t hend, body;
		unsigned long k = 0;

		for (; *p >= '0' && *p <= '9'; p++)
			k = k * 10 + (unsigned long)(*p - '0');
		if (*p == '.')
			p++;
		split_entity(msg, cur, &hend, &body);
		content_type(msg + cur.off, hend, type, sizeof(type), bnd, sizeof(bnd));
		if (str_starts_with(type, "multipart/")) {
			struct span b = {cur.off + body, cur.len - body}, child;

			if (bnd[0] == '\0' || k > STORE_MAX_PARTS || !child_of(msg, b, bnd, (unsigned)k, &child))
				return err_set(err, errlen, WARY_ENOENT, "no part %s in the message", id);
			cur = child;
		} else if (in_message && k == 1) {
			/* a message that is not multipart: part 1 is its body,
			 * handed out with the header that describes it */
		} else {
			return err_set(err, errlen, WARY_ENOENT, "no part %s in the message", id);
		}
		in_message = false;
		if (*p != '\0') {
			split_entity(msg, cur, &hend, &body);
			content_type(msg + cur.off, hend, type, sizeof(type), bnd, sizeof(bnd));
			if (strcmp(type, "message/rfc822") == 0 || strcmp(type, "message/global") == 0) {
				cur.off += body;
				cur.len -= body;
				in_message = true;
			}
		}
	}
	*off = cur.off;
	*plen = cur.len;
	return WARY_OK;
}
