/*
 * Autocrypt (Level 1) headers: "addr=...; [prefer-encrypt=mutual;]
 * keydata=BASE64".  Taken only when a message has exactly one, every
 * attribute is known (or optional, "_x"), and its addr is the one From
 * address: anything else is ignored, as the specification says.  The key
 * is only offered for import, never trusted for being there.
 */
#include <ctype.h>

#include "crypto/crypto_int.h"

int crypto_autocrypt(const struct mail_msg *msg, struct buf *keydata, char *addr, size_t addrlen,
                     bool *mutual)
{
	const char *v;
	char *unf = NULL, *p, *tok, *save = NULL;
	struct mail_from from;
	char *a = NULL, *kd = NULL;
	bool mut = false, bad = false;
	int rc = WARY_ENOENT;

	if (mutual)
		*mutual = false;
	if (addr && addrlen)
		addr[0] = '\0';
	if (mail_header_count_named(msg, "Autocrypt") != 1 ||
	    (v = mail_header_get(msg, "Autocrypt")) == NULL)
		return WARY_ENOENT;
	memset(&from, 0, sizeof(from));
	if (mail_from_get(msg, &from) != WARY_OK || from.ambiguous || from.address == NULL) {
		mail_from_clear(&from);
		return WARY_ENOENT;
	}
	/* unfold: the value's line breaks are folding */
	unf = xstrdup(v);
	for (p = unf; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	for (tok = strtok_r(unf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(tok, '='), *name, *val;

		if (eq == NULL) {
			if (*str_trim(tok))
				bad = true;
			continue;
		}
		*eq = '\0';
		name = str_trim(tok);
		val = str_trim(eq + 1);
		if (strcmp(name, "addr") == 0 && a == NULL)
			a = str_lower(xstrdup(val));
		else if (strcmp(name, "keydata") == 0 && kd == NULL) {
			/* folding puts white space inside the base64 */
			size_t k = 0;

			kd = xstrdup(val);
			for (const char *q = val; *q; q++)
				if (!isspace((unsigned char)*q))
					kd[k++] = *q;
			kd[k] = '\0';
		}
		else if (strcmp(name, "prefer-encrypt") == 0)
			mut = strcmp(val, "mutual") == 0;
		else if (name[0] != '_')
			bad = true; /* an unknown critical attribute */
	}
	if (bad || a == NULL || kd == NULL) {
		rc = WARY_EPARSE;
		goto out;
	}
	if (str_casecmp(a, from.address) != 0) {
		rc = WARY_ENOENT;
		goto out;
	}
	{
		struct buf raw = BUF_INIT;

		if (!mail_base64_decode(&raw, kd, strlen(kd)) || raw.len == 0) {
			buf_release(&raw);
			rc = WARY_EPARSE;
			goto out;
		}
		buf_add(keydata, raw.data, raw.len);
		buf_release(&raw);
	}
	if (addr && addrlen) {
		char *s = safe_str(a, SAFE_LINE);

		str_copy(addr, s, addrlen);
		free(s);
	}
	if (mutual)
		*mutual = mut;
	rc = WARY_OK;
out:
	free(a);
	free(kd);
	free(unf);
	mail_from_clear(&from);
	return rc;
}
