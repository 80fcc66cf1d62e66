/* Test driver for pattern search on IMAP: opens an account against the
 * test servers, selects a folder, reads its index and then, for each
 * pattern, prints the UIDs the server found (store_search, one UID
 * SEARCH) and the UIDs the local evaluation finds on the same messages
 * (pattern_match on the index rows, the messages fetched for ~b ~B ~c ~C
 * ~h), so tests/integration/pattern-imap.sh can check that they agree.
 *
 *   pattern-driver --host H --port P --user U --ca FILE [--now EPOCH]
 *                  FOLDER PATTERN...
 *
 * The password comes from $IMAP_DRIVER_SECRET.  Output, per pattern i
 * (from 1): "server i: UID UID ..." and "local i: UID UID ...", UIDs
 * ascending, or "error i CODE: text".  Exit status 0, or 3 when the
 * account or the folder could not be opened. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "pattern/pattern.h"
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

struct rows {
	struct store_row *v;
	size_t n, cap;
};

static char *dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static int rows_cb(void *ctx, struct store_row *rows, size_t n, size_t done, size_t total)
{
	struct rows *r = ctx;

	(void)done;
	(void)total;
	for (size_t i = 0; i < n; i++) {
		struct store_row *k;

		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 64;
			r->v = xreallocarray(r->v, r->cap, sizeof(*r->v));
		}
		k = &r->v[r->n++];
		memset(k, 0, sizeof(*k));
		k->key = xstrdup(rows[i].key);
		k->flags = rows[i].flags;
		k->date = rows[i].date;
		k->size = rows[i].size;
		k->from = dup_or_null(rows[i].from);
		k->to = dup_or_null(rows[i].to);
		k->subject = dup_or_null(rows[i].subject);
	}
	return 0;
}

static int fetch_cb(void *ctx, const struct store_row *row, struct buf *out)
{
	char err[WARY_ERRLEN];

	return store_fetch(ctx, row->key, out, err, sizeof(err));
}

static int cmp_uid(const void *a, const void *b)
{
	unsigned long x = strtoul(*(char *const *)a, NULL, 10);
	unsigned long y = strtoul(*(char *const *)b, NULL, 10);

	return x < y ? -1 : x > y;
}

static void print_keys(const char *who, int i, char **keys, size_t n)
{
	if (n > 1)
		qsort(keys, n, sizeof(*keys), cmp_uid);
	printf("%s %d:", who, i);
	for (size_t k = 0; k < n; k++)
		printf(" %s", keys[k]);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct store_account acct;
	struct store *s = NULL;
	struct rows rows = { NULL, 0, 0 };
	char err[WARY_ERRLEN];
	time_t now = 0;
	int a = 1, rc, status = 0;

	memset(&acct, 0, sizeof(acct));
	acct.name = "test";
	acct.kind = "imap";
	acct.auth = "auto";
	acct.tls = STORE_TLS_IMPLICIT;
	acct.secret = secret_cb;
	for (; a + 1 < argc && strncmp(argv[a], "--", 2) == 0; a += 2) {
		if (strcmp(argv[a], "--host") == 0)
			acct.host = argv[a + 1];
		else if (strcmp(argv[a], "--port") == 0)
			acct.port = atoi(argv[a + 1]);
		else if (strcmp(argv[a], "--user") == 0)
			acct.user = argv[a + 1];
		else if (strcmp(argv[a], "--ca") == 0)
			acct.ca_file = argv[a + 1];
		else if (strcmp(argv[a], "--now") == 0)
			now = (time_t)strtoll(argv[a + 1], NULL, 10);
		else
			break;
	}
	if (a >= argc) {
		fprintf(stderr, "usage: pattern-driver --host H --port P --user U --ca FILE "
		                "[--now EPOCH] FOLDER PATTERN...\n");
		return 2;
	}
	rc = store_open_account(&acct, &s, err, sizeof(err));
	if (rc == WARY_OK)
		rc = store_select(s, argv[a], err, sizeof(err));
	if (rc == WARY_OK)
		rc = store_index(s, rows_cb, &rows, err, sizeof(err));
	if (rc != WARY_OK) {
		printf("error 0 %d: %s\n", rc, err);
		status = 3;
		goto out;
	}
	printf("rows %zu\n", rows.n);
	for (int i = a + 1; i < argc; i++) {
		struct pattern *p = NULL;
		char **keys = NULL, **mine;
		size_t n = 0, nmine = 0;
		int num = i - a;

		rc = pattern_parse(argv[i], strlen(argv[i]), now, &p, err, sizeof(err));
		if (rc == WARY_OK)
			rc = store_search(s, p, &keys, &n, err, sizeof(err));
		if (rc != WARY_OK) {
			printf("error %d %d: %s\n", num, rc, err);
			pattern_free(&p);
			continue;
		}
		print_keys("server", num, keys, n);
		store_keys_free(keys, n);
		mine = xcalloc(rows.n + 1, sizeof(*mine));
		for (size_t k = 0; k < rows.n; k++) {
			int m = pattern_match(p, &rows.v[k], fetch_cb, s);

			if (m < 0)
				printf("error %d %d: fetching %s\n", num, m, rows.v[k].key);
			else if (m == 1)
				mine[nmine++] = xstrdup(rows.v[k].key);
		}
		print_keys("local", num, mine, nmine);
		store_keys_free(mine, nmine);
		pattern_free(&p);
	}
out:
	for (size_t k = 0; k < rows.n; k++)
		store_row_clear(&rows.v[k]);
	free(rows.v);
	store_free(&s);
	return status;
}
