/*
 * send/hashcash: version-1 stamps (hashcash.org):
 *     1:BITS:YYMMDD[hhmm[ss]]:RESOURCE:EXT:RAND:COUNTER
 * valid when SHA-1 of the whole stamp starts with BITS zero bits.
 * Minting tries counters over a SHA-1 state that already holds the
 * fixed prefix, so each try hashes only the counter and the padding.
 */
#include <ctype.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include "mail/mail.h"
#include "send/send_int.h"

#define STAMP_MAX 512

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static unsigned zero_bits(const unsigned char *md)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < SHA_DIGEST_LENGTH; i++) {
		if (md[i] == 0) {
			n += 8;
			continue;
		}
		n += (unsigned)__builtin_clz((unsigned)md[i]) - 24;
		break;
	}
	return n;
}

/* OpenSSL 3 marks the low-level SHA1_* deprecated in favour of EVP, but
 * EVP cannot copy a digest state cheaply enough for a million tries. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
unsigned send_hashcash_bits(const char *stamp, size_t len)
{
	unsigned char md[SHA_DIGEST_LENGTH];

	SHA1((const unsigned char *)stamp, len, md);
	return zero_bits(md);
}

int send_hashcash_mint(const char *resource, unsigned bits, time_t when, struct buf *out,
                       uint64_t *tries, char *err, size_t errlen)
{
	char date[32], rnd[96], prefix[STAMP_MAX];
	unsigned char r[16];
	struct tm tm;
	SHA_CTX base;
	uint64_t c;
	size_t i, pl;
	int n;

	if (tries)
		*tries = 0;
	if (bits == 0 || bits > SEND_HASHCASH_MAX_BITS)
		return err_set(err, errlen, WARY_ERR, "hashcash: %u bits (1..%d)", bits,
		               SEND_HASHCASH_MAX_BITS);
	for (i = 0; resource[i]; i++)
		if (resource[i] == ':' || (unsigned char)resource[i] <= 0x20 ||
		    (unsigned char)resource[i] >= 0x7f)
			return err_set(err, errlen, WARY_EPARSE, "hashcash: the resource must be plain ASCII");
	if (when == 0)
		when = time(NULL);
	gmtime_r(&when, &tm);
	snprintf(date, sizeof(date), "%02d%02d%02d", (tm.tm_year % 100 + 100) % 100,
	         (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
	if (RAND_bytes(r, (int)sizeof(r)) != 1)
		return err_set(err, errlen, WARY_ERR, "hashcash: no random bytes");
	/* The random field is stretched so the fixed prefix fills whole SHA-1
	 * blocks: the base state has hashed them once, and each try then
	 * costs one compression (counter and padding in the last block). */
	n = snprintf(prefix, sizeof(prefix), "1:%u:%s:%s::", bits, date, resource);
	if (n < 0 || (size_t)n >= sizeof(prefix) - 160)
		return err_set(err, errlen, WARY_ELIMIT, "hashcash: the resource is too long");
	{
		size_t want = 16 + (64 - ((size_t)n + 16 + 1) % 64) % 64;

		for (i = 0; i < want; i++)
			rnd[i] = alphabet[(r[i % sizeof(r)] + i / sizeof(r) * 37) % 64];
		rnd[want] = '\0';
	}
	n = snprintf(prefix, sizeof(prefix), "1:%u:%s:%s::%s:", bits, date, resource, rnd);
	if (n < 0 || (size_t)n >= sizeof(prefix) - 16)
		return err_set(err, errlen, WARY_ELIMIT, "hashcash: the resource is too long");
	pl = (size_t)n;
	SHA1_Init(&base);
	SHA1_Update(&base, prefix, pl);
	for (c = 0;; c++) {
		char ctr[16];
		size_t cl = 0;
		uint64_t v = c;
		unsigned char md[SHA_DIGEST_LENGTH];
		SHA_CTX t = base;

		do {
			ctr[cl++] = alphabet[v % 64];
			v /= 64;
		} while (v > 0);
		SHA1_Update(&t, ctr, cl);
		SHA1_Final(md, &t);
		if (zero_bits(md) >= bits) {
			buf_add(out, prefix, pl);
			buf_add(out, ctr, cl);
			if (tries)
				*tries = c + 1;
			return WARY_OK;
		}
	}
}
#pragma GCC diagnostic pop

const char *send_hashcash_result_name(enum send_hashcash_result r)
{
	switch (r) {
	case SEND_HC_NONE:
		return "none";
	case SEND_HC_VALID:
		return "valid";
	case SEND_HC_SPENT:
		return "spent";
	case SEND_HC_EXPIRED:
		return "expired";
	case SEND_HC_FUTURE:
		return "future";
	case SEND_HC_WEAK:
		return "weak";
	case SEND_HC_MALFORMED:
		return "malformed";
	case SEND_HC_WRONG_RESOURCE:
		return "wrong-resource";
	}
	return "?";
}

struct send_hashcash_db {
	sqlite3 *db;
};

int send_hashcash_db_open(const char *path, struct send_hashcash_db **out, char *err,
                          size_t errlen)
{
	struct send_hashcash_db *h = xcalloc(1, sizeof(*h));
	char *msg = NULL;
	int rc = WARY_OK;

	*out = NULL;
	if (sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                                      SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = err_set(err, errlen, WARY_EIO, "%s: %s", path, sqlite3_errmsg(h->db));
		goto out;
	}
	sqlite3_busy_timeout(h->db, 5000);
	if (sqlite3_exec(h->db,
	                 "PRAGMA journal_mode=WAL;"
	                 "CREATE TABLE IF NOT EXISTS spent(stamp TEXT PRIMARY KEY, seen INTEGER NOT NULL,"
	                 " ctx TEXT);"
	                 "CREATE INDEX IF NOT EXISTS spent_seen ON spent(seen);",
	                 NULL, NULL, &msg) != SQLITE_OK) {
		rc = err_set(err, errlen, WARY_EIO, "%s: %s", path, msg ? msg : "?");
		goto out;
	}
out:
	sqlite3_free(msg);
	if (rc == WARY_OK)
		*out = h;
	else
		send_hashcash_db_free(&h);
	return rc;
}

void send_hashcash_db_free(struct send_hashcash_db **db)
{
	if (*db == NULL)
		return;
	sqlite3_close((*db)->db);
	free(*db);
	*db = NULL;
}

/* YYMMDD[hhmm[ss]] in UTC. */
static bool parse_date(const char *s, size_t n, time_t *out)
{
	struct tm tm;
	size_t i;
	int v[6] = { 0, 0, 0, 0, 0, 0 };

	if (n != 6 && n != 10 && n != 12)
		return false;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	for (i = 0; i < n / 2; i++)
		v[i] = (s[2 * i] - '0') * 10 + (s[2 * i + 1] - '0');
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] + 100;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	*out = timegm(&tm);
	return *out != (time_t)-1;
}

/* The first sighting spends a stamp; seeing it again in the same message
 * (ctx: its Message-ID) is reading it again, anywhere else a replay. */
static enum send_hashcash_result spend(struct send_hashcash_db *db, const char *stamp,
                                       const char *ctx, time_t now, long window_s)
{
	sqlite3_stmt *st = NULL;
	enum send_hashcash_result res = SEND_HC_VALID;
	int step;

	if (db == NULL)
		return SEND_HC_VALID;
	if (sqlite3_prepare_v2(db->db, "INSERT OR IGNORE INTO spent(stamp, seen, ctx) VALUES(?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK)
		return SEND_HC_SPENT; /* cannot prove it new: do not credit it */
	sqlite3_bind_text(st, 1, stamp, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if (ctx != NULL)
		sqlite3_bind_text(st, 3, ctx, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 3);
	step = sqlite3_step(st);
	if (step != SQLITE_DONE || sqlite3_changes(db->db) == 0)
		res = SEND_HC_SPENT;
	sqlite3_finalize(st);
	if (step == SQLITE_DONE && res == SEND_HC_SPENT && ctx != NULL &&
	    sqlite3_prepare_v2(db->db, "SELECT ctx FROM spent WHERE stamp = ?", -1, &st, NULL) ==
	        SQLITE_OK) {
		sqlite3_bind_text(st, 1, stamp, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL &&
		    strcmp((const char *)sqlite3_column_text(st, 0), ctx) == 0)
			res = SEND_HC_VALID;
		sqlite3_finalize(st);
		return res;
	}
	/* what is outside twice the window would be refused by its date anyway */
	if (res == SEND_HC_VALID &&
	    sqlite3_prepare_v2(db->db, "DELETE FROM spent WHERE seen < ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)now - 2 * (sqlite3_int64)window_s);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	return res;
}

static enum send_hashcash_result check_ctx(struct send_hashcash_db *db, const char *stamp,
                                           const char *ctx, const char *const *mine, size_t nmine,
                                           unsigned min_bits, time_t now, long window_s,
                                           unsigned *bits_out)
{
	const char *f[7];
	size_t fl[7], nf = 0, i, len;
	const char *p;
	char *s;
	unsigned claimed = 0, have;
	time_t date;
	bool ours = false;
	enum send_hashcash_result res;

	if (bits_out)
		*bits_out = 0;
	if (stamp == NULL)
		return SEND_HC_MALFORMED;
	s = str_trim(xstrdup(stamp));
	len = strlen(s);
	if (len == 0 || len > STAMP_MAX) {
		free(s);
		return SEND_HC_MALFORMED;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) {
			free(s);
			return SEND_HC_MALFORMED;
		}
	p = s;
	while (nf < 7) {
		const char *c = strchr(p, ':');

		f[nf] = p;
		fl[nf] = c ? (size_t)(c - p) : strlen(p);
		nf++;
		if (c == NULL)
			break;
		p = c + 1;
	}
	/* seven fields, the last without ':' (the counter) */
	if (nf != 7 || strchr(f[6], ':') != NULL || fl[0] != 1 || f[0][0] != '1' || fl[1] == 0 ||
	    fl[1] > 3 || fl[3] == 0 || fl[5] == 0 || fl[6] == 0) {
		free(s);
		return SEND_HC_MALFORMED;
	}
	for (i = 0; i < fl[1]; i++) {
		if (!isdigit((unsigned char)f[1][i])) {
			free(s);
			return SEND_HC_MALFORMED;
		}
		claimed = claimed * 10 + (unsigned)(f[1][i] - '0');
	}
	if (claimed > 160 || !parse_date(f[2], fl[2], &date)) {
		free(s);
		return SEND_HC_MALFORMED;
	}
	for (i = 0; i < nmine; i++)
		if (mine[i] && strlen(mine[i]) == fl[3] && str_ncasecmp(mine[i], f[3], fl[3]) == 0)
			ours = true;
	have = send_hashcash_bits(s, len);
	if (bits_out)
		*bits_out = claimed;
	if (!ours)
		res = SEND_HC_WRONG_RESOURCE;
	else if (have < claimed || claimed < min_bits)
		res = SEND_HC_WEAK;
	else if (date > now + 2 * 86400)
		res = SEND_HC_FUTURE;
	else if (date + 86400 < now - window_s)
		res = SEND_HC_EXPIRED;
	else
		res = spend(db, s, ctx, now, window_s);
	if (res != SEND_HC_VALID && bits_out)
		*bits_out = 0;
	free(s);
	return res;
}

enum send_hashcash_result send_hashcash_check(struct send_hashcash_db *db, const char *stamp,
                                              const char *const *mine, size_t nmine,
                                              unsigned min_bits, time_t now, long window_s,
                                              unsigned *bits_out)
{
	return check_ctx(db, stamp, NULL, mine, nmine, min_bits, now, window_s, bits_out);
}

static int rank(enum send_hashcash_result r)
{
	return r == SEND_HC_VALID ? 3 : r == SEND_HC_SPENT ? 2 : r == SEND_HC_NONE ? 0 : 1;
}

enum send_hashcash_result send_hashcash_verify_msg(struct send_hashcash_db *db,
                                                   const struct mail_msg *m,
                                                   const char *const *mine, size_t nmine,
                                                   unsigned min_bits, time_t now,
                                                   unsigned *bits_out)
{
	enum send_hashcash_result best = SEND_HC_NONE;
	size_t n = mail_header_count(m), i, checked = 0;
	char *msgid = mail_header_decoded(m, "Message-ID");

	if (bits_out)
		*bits_out = 0;
	for (i = 0; i < n && checked < 64; i++) {
		const char *name = mail_header_name(m, i);
		enum send_hashcash_result r;
		unsigned b = 0;
		char *v;

		if (str_casecmp(name, "X-Hashcash") != 0 && str_casecmp(name, "Hashcash") != 0)
			continue;
		checked++;
		v = mail_rfc2047_decode(mail_header_value(m, i), strlen(mail_header_value(m, i)));
		/* without a Message-ID every sighting after the first is a replay */
		r = check_ctx(db, v, msgid, mine, nmine, min_bits, now, 28L * 86400, &b);
		free(v);
		/* a stamp for somebody else on a mail to many is not ours to judge */
		if (r == SEND_HC_WRONG_RESOURCE)
			continue;
		if (rank(r) > rank(best)) {
			best = r;
			if (bits_out)
				*bits_out = b;
		}
		if (best == SEND_HC_VALID)
			break;
	}
	free(msgid);
	return best;
}
