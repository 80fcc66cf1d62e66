/* Test driver for message bodies (store_fetch, store_fetch_part) on an
 * IMAP account or a Maildir, for tests/integration/imap-body.sh.
 *
 *   body-driver [--host H] [--port P] [--user U] [--ca FILE] [--cache DIR]
 *               [--maildir DIR] OP [ARGS] [, OP [ARGS]]...
 *
 * The password comes from $IMAP_DRIVER_SECRET, never argv.
 * OPs: select F | index | fetch KEY FILE | part KEY PART FILE | parse FILE |
 *      cache-count | damage KEY | stats
 *   fetch  writes the bytes and prints "fetched KEY len=N read=BYTES" (the
 *          bytes read from the server by that call alone)
 *   part   writes the decoded body of the part and prints its name
 *   parse  mail_parse on FILE: the text of the first text part and one
 *          line per attachment (name, type, X-Wary-Omitted)
 * Exit status: 0 when every op succeeded, 3 when one failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "mail/mail.h"
#include "store/imap_int.h"
#include "store/store.h"

static int secret_cb(void *ctx, const char *what, char *buf, size_t len)
{
	const char *s = getenv("IMAP_DRIVER_SECRET");

	(void)ctx;
	(void)what;
	if (s == NULL || strlen(s) >= len)
		return WARY_ERR;
	str_copy(buf, s, len);
	return WARY_OK;
}

static int rows_cb(void *ctx, struct store_row *rows, size_t n, size_t done, size_t total)
{
	size_t *count = ctx;

	(void)rows;
	(void)done;
	(void)total;
	*count += n;
	return 0;
}

static uint64_t bytes_in(struct store *s)
{
	struct store_imap_stats st;

	if (store_imap_stats(s, &st) != WARY_OK)
		return 0;
	return st.bytes_in;
}

static int write_file(const char *path, const struct buf *b, char *err, size_t errlen)
{
	FILE *f = fopen(path, "wb");
	int rc = WARY_OK;

	if (f == NULL)
		return err_set(err, errlen, WARY_EIO, "%s: cannot write", path);
	if (b->len > 0 && fwrite(b->data, 1, b->len, f) != b->len)
		rc = err_set(err, errlen, WARY_EIO, "%s: short write", path);
	if (fclose(f) != 0 && rc == WARY_OK)
		rc = err_set(err, errlen, WARY_EIO, "%s: cannot write", path);
	return rc;
}

static void walk(const struct mail_part *p, bool *text_done)
{
	size_t n = mail_part_count_children(p);

	if (n > 0) {
		for (size_t i = 0; i < n; i++)
			walk(mail_part_child(p, i), text_done);
		return;
	}
	if (mail_part_is_attachment(p) || !str_starts_with(mail_part_type(p), "text/")) {
		const char *name = mail_part_filename(p);
		const char *om = mail_part_header(p, "X-Wary-Omitted");
		size_t len = 0;

		mail_part_body(p, &len);
		printf("attachment name=%s type=%s body=%zu omitted=%s\n", name ? name : "-",
		       mail_part_type(p), len, om ? om : "-");
		return;
	}
	if (!*text_done) {
		struct buf t = BUF_INIT;
		char err[WARY_ERRLEN];

		buf_init(&t);
		if (mail_part_text(p, &t, err, sizeof(err)) == WARY_OK) {
			printf("text type=%s len=%zu\n", mail_part_type(p), t.len);
			fwrite(t.data, 1, t.len, stdout);
			printf("\n");
		}
		buf_release(&t);
		*text_done = true;
	}
}

static int run_op(struct store *s, char **a, int n, char *err, size_t errlen)
{
	const char *op = a[0];
	int rc;

	if (s == NULL && strcmp(op, "parse") != 0)
		return err_set(err, errlen, WARY_ERR, "no store open");
	if (strcmp(op, "select") == 0 && n == 2)
		return store_select(s, a[1], err, errlen);
	if (strcmp(op, "index") == 0 && n == 1) {
		size_t count = 0;

		rc = store_index(s, rows_cb, &count, err, errlen);
		if (rc == WARY_OK)
			printf("rows %zu\n", count);
		return rc;
	}
	if (strcmp(op, "fetch") == 0 && n == 3) {
		struct buf b = BUF_INIT;
		uint64_t before = bytes_in(s);

		buf_init(&b);
		rc = store_fetch(s, a[1], &b, err, errlen);
		if (rc == WARY_OK) {
			printf("fetched %s len=%zu read=%llu\n", a[1], b.len,
			       (unsigned long long)(bytes_in(s) - before));
			rc = write_file(a[2], &b, err, errlen);
		}
		buf_release(&b);
		return rc;
	}
	if (strcmp(op, "part") == 0 && n == 4) {
		struct buf raw = BUF_INIT, dec = BUF_INIT;
		struct mail_msg *pm = NULL;
		uint64_t before = bytes_in(s);

		buf_init(&raw);
		buf_init(&dec);
		rc = store_fetch_part(s, a[1], a[2], &raw, err, errlen);
		if (rc == WARY_OK)
			rc = mail_parse(raw.data, raw.len, &pm, err, errlen);
		if (rc == WARY_OK)
			rc = mail_part_decode(mail_root(pm), &dec, err, errlen);
		if (rc == WARY_OK) {
			const char *name = mail_part_filename(mail_root(pm));

			printf("part %s %s name=%s raw=%zu decoded=%zu read=%llu\n", a[1], a[2],
			       name ? name : "-", raw.len, dec.len,
			       (unsigned long long)(bytes_in(s) - before));
			rc = write_file(a[3], &dec, err, errlen);
		}
		mail_free(&pm);
		buf_release(&raw);
		buf_release(&dec);
		return rc;
	}
	if (strcmp(op, "parse") == 0 && n == 2) {
		struct buf b = BUF_INIT;
		struct mail_msg *pm = NULL;
		bool text_done = false;

		buf_init(&b);
		rc = fs_read_file(a[1], &b, 0, err, errlen);
		if (rc == WARY_OK)
			rc = mail_parse(b.data, b.len, &pm, err, errlen);
		if (rc == WARY_OK) {
			const char *subj = mail_header_get(pm, "Subject");

			printf("subject %s\n", subj ? subj : "-");
			walk(mail_root(pm), &text_done);
		}
		mail_free(&pm);
		buf_release(&b);
		return rc;
	}
	if ((strcmp(op, "cache-count") == 0 && n == 1) || (strcmp(op, "damage") == 0 && n == 2)) {
		const char *path = store_cache_path(s);
		struct icache *ic = NULL;
		struct icache_folder cf;

		if (path == NULL)
			return err_set(err, errlen, WARY_ERR, "no cache file");
		/* A second connection to the file, as another process would see it. */
		rc = icache_open(path, &ic, err, errlen);
		if (rc != WARY_OK)
			return rc;
		if (!icache_folder_get(ic, store_current(s), &cf))
			memset(&cf, 0, sizeof(cf));
		if (n == 1) {
			long rows, stale;
			int64_t bytes;

			imap_body_cache_count(ic, store_current(s), cf.uidvalidity, &rows, &bytes, &stale);
			printf("cached rows=%ld bytes=%lld stale=%ld\n", rows, (long long)bytes, stale);
		} else {
			uint32_t uid = (uint32_t)strtoul(a[1], NULL, 10);

			imap_body_cache_damage(ic, store_current(s), uid);
			printf("damaged %u\n", uid);
		}
		icache_close(&ic);
		return WARY_OK;
	}
	if (strcmp(op, "stats") == 0 && n == 1) {
		struct imap_body_stats bs;

		imap_body_stats(s, &bs);
		printf("stats bytes_in=%llu hits=%u misses=%u partial=%u whole_fallback=%u corrupt=%u"
		       " evicted=%u dropped_uidvalidity=%u parts=%u parts_local=%u parts_cached=%u"
		       " omitted=%llu\n",
		       (unsigned long long)bytes_in(s), bs.hits, bs.misses, bs.partial,
		       bs.whole_fallback, bs.corrupt, bs.evicted, bs.dropped_uidvalidity, bs.parts,
		       bs.parts_local, bs.parts_cached, (unsigned long long)bs.omitted_bytes);
		return WARY_OK;
	}
	return err_set(err, errlen, WARY_ERR, "unknown op or wrong arguments");
}

int main(int argc, char **argv)
{
	struct store_account acct;
	struct store *s = NULL;
	const char *maildir = NULL;
	char err[WARY_ERRLEN];
	int i = 1, rc, status = 0;

	memset(&acct, 0, sizeof(acct));
	acct.name = "test";
	acct.kind = "imap";
	acct.host = "localhost";
	acct.auth = "auto";
	acct.secret = secret_cb;
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		const char *o = argv[i] + 2, *v = argv[i + 1];

		if (strcmp(o, "host") == 0)
			acct.host = v;
		else if (strcmp(o, "port") == 0)
			acct.port = atoi(v);
		else if (strcmp(o, "user") == 0)
			acct.user = v;
		else if (strcmp(o, "ca") == 0)
			acct.ca_file = v;
		else if (strcmp(o, "cache") == 0)
			acct.cache_dir = v;
		else if (strcmp(o, "maildir") == 0)
			maildir = v;
	}
	if (maildir != NULL)
		rc = store_open(maildir, &s, err, sizeof(err));
	else if (acct.user != NULL)
		rc = store_open_account(&acct, &s, err, sizeof(err));
	else
		rc = i < argc && strcmp(argv[i], "parse") == 0
		             ? WARY_OK /* parse needs no store */
		             : err_set(err, sizeof(err), WARY_ERR, "--user or --maildir is needed");
	if (rc != WARY_OK) {
		printf("error open %d: %s\n", rc, err);
		return 3;
	}
	while (i < argc) {
		int j = i;

		while (j < argc && strcmp(argv[j], ",") != 0)
			j++;
		if (j > i) {
			rc = run_op(s, argv + i, j - i, err, sizeof(err));
			if (rc != WARY_OK) {
				printf("error %s %d: %s\n", argv[i], rc, err);
				status = 3;
				break;
			}
		}
		i = j + 1;
	}
	store_free(&s);
	return status;
}
