/* Test driver for the IMAP backend: opens an account against the test
 * servers and runs a list of store operations, printing what came back
 * so tests/integration/imap.sh can compare it with what a second client
 * (python imaplib) reads from the server.
 *
 *   imap-driver [--host H] [--port P] [--starttls] [--user U] [--auth M]
 *               [--ca FILE] [--cache DIR] [--mask qresync,condstore,idle,...]
 *               [--backoff MS] [--die-after N] [--lazy-replay 1]
 *               OP [ARGS] [, OP [ARGS]]...
 *
 * The password (or token) comes from $IMAP_DRIVER_SECRET, never argv.
 * OPs: folders | select F | index | index-quiet | fetch KEY | flags KEY +SF -T |
 *      index-refs, check-refs (index, check: rows as "ref KEY DATE REFERENCES CONTENT-TYPE") |
 *      expunge | copy KEY F | move KEY F | append F FILE FLAGS | check | stats |
 *      sh CMD (run a command between two ops: the second client's turn) |
 *      state (the connection as store_connection_state tells it) |
 *      wait MS (one store_wait; prints what it returned and after how long) |
 *      wait-online MS (store_wait until connected again; "not-online" after MS) |
 *      wait-news MS STEP (store_wait(STEP) until it reports news, or fail) |
 *      reconnect
 * --die-after N: _exit(9) once the server confirmed the N-th replayed
 * action and before it leaves the outbox (with --lazy-replay 1 the
 * replay of an earlier run waits for the first op, after the hook is set).
 * Flags are Maildir letters: D F P R S T (and N for \Recent on output).
 * Exit status: 0 when every op succeeded, 3 when one failed (the line
 * "error OP CODE: text" says which). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "store/imap_int.h"
#include "store/store.h"

static const char *code_name(int rc)
{
	switch (rc) {
	case WARY_OK: return "OK";
	case WARY_ENOENT: return "ENOENT";
	case WARY_EPARSE: return "EPARSE";
	case WARY_ELIMIT: return "ELIMIT";
	case WARY_EIO: return "EIO";
	case WARY_ECERT: return "ECERT";
	case WARY_EAUTH: return "EAUTH";
	case WARY_ENET: return "ENET";
	case WARY_ESECURITY: return "ESECURITY";
	default: return "ERR";
	}
}

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

static void flags_str(unsigned f, char out[16])
{
	static const struct {
		char c;
		unsigned f;
	} map[] = { { 'D', STORE_DRAFT }, { 'F', STORE_FLAGGED }, { 'N', STORE_NEW },
		    { 'P', STORE_PASSED }, { 'R', STORE_ANSWERED }, { 'S', STORE_SEEN },
		    { 'T', STORE_DELETED } };
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (f & map[i].f)
			out[n++] = map[i].c;
	out[n] = '\0';
}

static unsigned parse_flags(const char *s)
{
	unsigned f = 0;

	for (; *s; s++) {
		switch (*s) {
		case 'D': f |= STORE_DRAFT; break;
		case 'F': f |= STORE_FLAGGED; break;
		case 'P': f |= STORE_PASSED; break;
		case 'R': f |= STORE_ANSWERED; break;
		case 'S': f |= STORE_SEEN; break;
		case 'T': f |= STORE_DELETED; break;
		default: break;
		}
	}
	return f;
}

struct idx {
	bool quiet;
	size_t rows, batches, first_batch;
};

static int rows_cb(void *ctx, struct store_row *rows, size_t n, size_t done, size_t total)
{
	struct idx *ix = ctx;

	(void)done;
	(void)total;
	if (ix->batches++ == 0)
		ix->first_batch = n;
	for (size_t i = 0; i < n; i++) {
		char fl[16];
		char *subj = safe_str(rows[i].subject ? rows[i].subject : "", SAFE_LINE);
		char *from = safe_str(rows[i].from ? rows[i].from : "", SAFE_LINE);

		flags_str(rows[i].flags, fl);
		if (!ix->quiet)
			printf("row %s\t%s\t%lld\t%s\t%s\n", rows[i].key, fl, (long long)rows[i].size,
			       subj, from);
		free(subj);
		free(from);
	}
	ix->rows += n;
	return 0;
}

/* index-refs: what threading and the attachment mark read */
static int refs_cb(void *ctx, struct store_row *rows, size_t n, size_t done, size_t total)
{
	size_t *count = ctx;

	(void)done;
	(void)total;
	for (size_t i = 0; i < n; i++) {
		char *refs = safe_str(rows[i].references ? rows[i].references : "", SAFE_LINE);
		char *ct = safe_str(rows[i].content_type ? rows[i].content_type : "", SAFE_LINE);

		printf("ref %s\t%lld\t%s\t%s\n", rows[i].key, (long long)rows[i].date, refs, ct);
		free(refs);
		free(ct);
	}
	*count += n;
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *wait_name(int rc)
{
	switch (rc) {
	case STORE_WAIT_CHANGED: return "changed";
	case STORE_WAIT_WAKE: return "wake";
	case STORE_WAIT_TIMEOUT: return "timeout";
	default: return code_name(rc);
	}
}

static void print_state(struct store *s)
{
	static const char *const names[] = { "local", "online", "reconnecting", "offline" };
	struct store_conn_state cs;

	store_connection_state(s, &cs);
	printf("conn %s retry_in_ms=%ld attempts=%u queued=%zu refused=%u from_cache=%d reason=%s\n",
	       names[cs.state], cs.retry_in_ms, cs.attempts, cs.queued, cs.refused, cs.from_cache,
	       cs.reason);
}

static int die_after;

static void replay_hook(void *ctx, unsigned n)
{
	(void)ctx;
	if (die_after > 0 && n == (unsigned)die_after) {
		printf("dying after replay %u\n", n);
		fflush(stdout);
		_exit(9);
	}
}

static void print_stats(struct store *s)
{
	struct store_imap_stats st;
	struct rusage ru;

	store_imap_stats(s, &st);
	getrusage(RUSAGE_SELF, &ru);
	printf("stats bytes_in=%llu fetch_rows=%llu fetch_flags=%llu fetch_details=%llu vanished=%llu cache_rows=%llu"
	       " rebuilds=%u commands=%u qresync=%d condstore=%d auth=%s maxrss_kb=%ld"
	       " idle=%d drops=%u reconnects=%u attempts=%u replayed=%u replay_skipped=%u"
	       " replay_refused=%u queued=%u idles=%u noops=%u probe_timeouts=%u keepalive_idle_s=%u\n",
	       (unsigned long long)st.bytes_in, (unsigned long long)st.fetch_rows,
	       (unsigned long long)st.fetch_flags, (unsigned long long)st.fetch_details,
	       (unsigned long long)st.vanished,
	       (unsigned long long)st.cache_rows, st.cache_rebuilds, st.commands, st.qresync,
	       st.condstore, st.auth, ru.ru_maxrss, st.idle, st.drops, st.reconnects, st.attempts,
	       st.replayed, st.replay_skipped, st.replay_refused, st.queued, st.idles, st.noops,
	       st.probe_timeouts, st.keepalive_idle_s);
}

static int run_op(struct store *s, char **a, int n, char *err, size_t errlen)
{
	const char *op = a[0];

	if (strcmp(op, "folders") == 0 && n == 1) {
		struct store_folder *v = NULL;
		size_t nf = 0;
		int rc = store_list_folders(s, &v, &nf, err, errlen);

		for (size_t i = 0; rc == WARY_OK && i < nf; i++)
			printf("folder %s\t%s\t%s\t%u\t%u\n", v[i].id, v[i].name,
			       v[i].special ? v[i].special : "-", v[i].total, v[i].unread);
		store_folders_free(&v, nf);
		return rc;
	}
	if (strcmp(op, "select") == 0 && n == 2)
		return store_select(s, a[1], err, errlen);
	if ((strcmp(op, "index") == 0 || strcmp(op, "index-quiet") == 0) && n == 1) {
		struct idx ix = { op[5] == '-', 0, 0, 0 };
		int rc = store_index(s, rows_cb, &ix, err, errlen);

		printf("index rows=%zu batches=%zu first_batch=%zu\n", ix.rows, ix.batches,
		       ix.first_batch);
		return rc;
	}
	if (strcmp(op, "index-refs") == 0 && n == 1) {
		size_t count = 0;
		int rc = store_index(s, refs_cb, &count, err, errlen);

		printf("index rows=%zu\n", count);
		return rc;
	}
	if (strcmp(op, "check-refs") == 0 && n == 1) {
		char **gone = NULL;
		size_t ngone = 0, count = 0;
		int rc = store_check_changes(s, refs_cb, &count, &gone, &ngone, err, errlen);

		printf("check rows=%zu vanished=%zu\n", count, ngone);
		store_keys_free(gone, ngone);
		return rc;
	}
	if (strcmp(op, "fetch") == 0 && n == 2) {
		struct buf b = BUF_INIT;
		int rc;

		buf_init(&b);
		rc = store_fetch(s, a[1], &b, err, errlen);
		if (rc == WARY_OK) {
			printf("fetch %zu\n", b.len);
			fwrite(b.data, 1, b.len, stdout);
			printf("\nfetch-end\n");
		}
		buf_release(&b);
		return rc;
	}
	if (strcmp(op, "flags") == 0 && n >= 2) {
		unsigned set = 0, clear = 0;

		for (int i = 2; i < n; i++) {
			if (a[i][0] == '+')
				set |= parse_flags(a[i] + 1);
			else if (a[i][0] == '-')
				clear |= parse_flags(a[i] + 1);
		}
		return store_set_flags(s, a[1], set, clear, err, errlen);
	}
	if (strcmp(op, "expunge") == 0 && n == 1)
		return store_expunge(s, err, errlen);
	if (strcmp(op, "copy") == 0 && n == 3)
		return store_copy(s, a[1], a[2], err, errlen);
	if (strcmp(op, "move") == 0 && n == 3)
		return store_move(s, a[1], a[2], err, errlen);
	if (strcmp(op, "append") == 0 && (n == 3 || n == 4)) {
		struct buf b = BUF_INIT;
		char *key = NULL;
		int rc;

		buf_init(&b);
		rc = fs_read_file(a[2], &b, 0, err, errlen);
		if (rc == WARY_OK)
			rc = store_append(s, a[1], b.data, b.len, n == 4 ? parse_flags(a[3]) : 0, &key,
			                  err, errlen);
		if (rc == WARY_OK)
			printf("appended %s\n", key ? key : "?");
		free(key);
		buf_release(&b);
		return rc;
	}
	if (strcmp(op, "check") == 0 && n == 1) {
		char **gone = NULL;
		size_t ngone = 0;
		struct idx ix = { false, 0, 0, 0 };
		int rc = store_check_changes(s, rows_cb, &ix, &gone, &ngone, err, errlen);

		for (size_t i = 0; i < ngone; i++)
			printf("vanished %s\n", gone[i]);
		printf("check rows=%zu vanished=%zu\n", ix.rows, ngone);
		store_keys_free(gone, ngone);
		return rc;
	}
	if (strcmp(op, "sh") == 0 && n == 2) {
		/* a second client changes the server between two ops */
		fflush(stdout);
		if (system(a[1]) != 0)
			return err_set(err, errlen, WARY_ERR, "the command failed");
		return WARY_OK;
	}
	if (strcmp(op, "stats") == 0 && n == 1) {
		print_stats(s);
		return WARY_OK;
	}
	if (strcmp(op, "state") == 0 && n == 1) {
		print_state(s);
		return WARY_OK;
	}
	if (strcmp(op, "reconnect") == 0 && n == 1)
		return store_reconnect(s, err, errlen);
	if (strcmp(op, "wait") == 0 && n == 2) {
		long long t0 = now_ms();
		int rc = store_wait(s, -1, atoi(a[1]), err, errlen);

		printf("wait %s ms=%lld\n", wait_name(rc), now_ms() - t0);
		return WARY_OK; /* what came back is the output, not a failure */
	}
	if ((strcmp(op, "wait-online") == 0 && n == 2) ||
	    (strcmp(op, "wait-news") == 0 && n == 3)) {
		bool online = op[5] == 'o';
		long long t0 = now_ms(), end = t0 + atoi(a[1]);
		int waits = 0;

		for (;;) {
			struct store_conn_state cs;
			long long left = end - now_ms();
			int step = online || atoi(a[2]) > left ? (int)(left > 0 ? left : 0) : atoi(a[2]);
			int rc = store_wait(s, -1, step, err, errlen);

			waits++;
			store_connection_state(s, &cs);
			if (online && cs.state == STORE_CONN_ONLINE) {
				printf("online ms=%lld waits=%d\n", now_ms() - t0, waits);
				return WARY_OK;
			}
			if (!online && rc == STORE_WAIT_CHANGED) {
				printf("news ms=%lld waits=%d\n", now_ms() - t0, waits);
				return WARY_OK;
			}
			if (now_ms() >= end && online) {
				/* not an error: a test waits out a server that is down */
				printf("not-online ms=%lld waits=%d last=%s\n", now_ms() - t0, waits,
				       wait_name(rc));
				return WARY_OK;
			}
			if (now_ms() >= end)
				return err_set(err, errlen, WARY_ERR, "no news after %d waits (last: %s)",
				               waits, wait_name(rc));
		}
	}
	return err_set(err, errlen, WARY_ERR, "unknown op or wrong arguments");
}

int main(int argc, char **argv)
{
	struct store_account acct;
	struct store *s = NULL;
	char err[WARY_ERRLEN];
	unsigned mask = 0;
	int i = 1, rc, backoff = 0, probe = 0;

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
		else if (strcmp(o, "auth") == 0)
			acct.auth = v;
		else if (strcmp(o, "ca") == 0)
			acct.ca_file = v;
		else if (strcmp(o, "cache") == 0)
			acct.cache_dir = v;
		else if (strcmp(o, "mask") == 0)
			mask |= imap_caps_mask_parse(v);
		else if (strcmp(o, "backoff") == 0)
			backoff = atoi(v);
		else if (strcmp(o, "keepalive") == 0)
			acct.keepalive_s = atoi(v);
		else if (strcmp(o, "probe") == 0)
			probe = atoi(v);
		else if (strcmp(o, "die-after") == 0)
			die_after = atoi(v);
		else if (strcmp(o, "lazy-replay") == 0)
			mask |= atoi(v) ? IMAP_TEST_LAZY_REPLAY : 0;
		else if (strcmp(o, "tls") == 0)
			acct.tls = strcmp(v, "starttls") == 0 ? STORE_TLS_STARTTLS : STORE_TLS_IMPLICIT;
		else {
			fprintf(stderr, "imap-driver: unknown option --%s\n", o);
			return 2;
		}
	}
	rc = imap_open_account(&acct, mask, &s, err, sizeof(err));
	if (rc != WARY_OK) {
		printf("error open %s: %s\n", code_name(rc), err);
		return 3;
	}
	printf("open ok %s\n", store_location(s));
	imap_set_replay_hook(s, replay_hook, NULL);
	if (backoff > 0)
		imap_set_backoff(s, backoff);
	if (probe > 0)
		imap_set_probe(s, probe);
	while (i < argc) {
		int j = i;

		while (j < argc && strcmp(argv[j], ",") != 0)
			j++;
		if (j > i) {
			err[0] = '\0';
			rc = run_op(s, argv + i, j - i, err, sizeof(err));
			if (rc != WARY_OK) {
				printf("error %s %s: %s\n", argv[i], code_name(rc), err);
				store_free(&s);
				return 3;
			}
			printf("done %s\n", argv[i]);
		}
		i = j + 1;
	}
	store_free(&s);
	return 0;
}
