/* One POP3 download through store_pop3_fetch, for the shell tests
 * (tests/integration/pop3*.sh), which kill it, rerun it and compare what
 * it stored with what the server holds.
 *
 *   pop3-driver fetch|open [--host H] [--port N] [--starttls] [--ca FILE]
 *       [--user U] [--name NAME] [--maildir DIR] [--cache DIR]
 *       [--keep yes|no] [--keep-days N] [--max-size N] [--apop] [--auth A]
 *       [--cancel-after N] [--progress]
 *
 * The password is read from $WARY_POP3_PASS (never from argv, which any
 * process can read).  "fetch" prints the report as key=value lines and
 * each notice as "notice: ..."; "open" opens the account with
 * store_open_account and prints "messages=N".  Exit status 0 for
 * WARY_OK, else 1; the status name is printed as status=NAME.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "store/store.h"

static const char *status_name(int rc)
{
	switch (rc) {
	case WARY_OK: return "ok";
	case WARY_ERR: return "err";
	case WARY_ENOENT: return "enoent";
	case WARY_EPARSE: return "eparse";
	case WARY_ELIMIT: return "elimit";
	case WARY_EIO: return "eio";
	case WARY_ENOMEM: return "enomem";
	case WARY_ECERT: return "ecert";
	case WARY_EAUTH: return "eauth";
	case WARY_ENET: return "enet";
	case WARY_ESECURITY: return "esecurity";
	}
	return "unknown";
}

static int secret(void *ctx, const char *what, char *buf, size_t len)
{
	const char *pw = getenv("WARY_POP3_PASS");

	(void)ctx;
	if (strcmp(what, "password") != 0 || pw == NULL)
		return WARY_ENOENT;
	str_copy(buf, pw, len);
	return WARY_OK;
}

struct progress {
	long cancel_after; /* cancel once this many messages are done; -1 never */
	bool print;
	size_t calls;
};

static int on_progress(void *ctx, size_t done, size_t total, uint64_t bytes, uint64_t total_bytes)
{
	struct progress *p = ctx;

	p->calls++;
	if (p->print)
		printf("progress %zu/%zu %llu/%llu\n", done, total, (unsigned long long)bytes,
		       (unsigned long long)total_bytes);
	fflush(stdout);
	return p->cancel_after >= 0 && done >= (size_t)p->cancel_after;
}

static int count_rows(void *ctx, struct store_row *rows, size_t n, size_t done,
                      size_t total)
{
	size_t *count = ctx;

	(void)rows;
	(void)done;
	(void)total;
	*count += n;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: pop3-driver fetch|open [--host H] [--port N] [--starttls] "
	                "[--ca FILE] [--user U] [--name NAME] [--maildir DIR] [--cache DIR] "
	                "[--keep yes|no] [--keep-days N] [--max-size N] [--apop] [--auth A] "
	                "[--cancel-after N] [--progress]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct store_account a;
	struct store_pop3_report rep;
	struct progress prog = { -1, false, 0 };
	char err[WARY_ERRLEN] = "";
	const char *mode;
	int rc;

	if (argc < 2)
		return usage();
	mode = argv[1];
	memset(&a, 0, sizeof(a));
	a.name = "test";
	a.kind = "pop3";
	a.host = "127.0.0.1";
	a.tls = STORE_TLS_IMPLICIT;
	a.auth = "auto";
	a.pop3_keep = true;
	a.pop3_max_size = 104857600;
	a.secret = secret;
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--starttls") == 0) {
			a.tls = STORE_TLS_STARTTLS;
			continue;
		}
		if (strcmp(o, "--apop") == 0) {
			a.pop3_apop = true;
			continue;
		}
		if (strcmp(o, "--progress") == 0) {
			prog.print = true;
			continue;
		}
		if (v == NULL)
			return usage();
		i++;
		if (strcmp(o, "--host") == 0)
			a.host = v;
		else if (strcmp(o, "--port") == 0)
			a.port = atoi(v);
		else if (strcmp(o, "--ca") == 0)
			a.ca_file = v;
		else if (strcmp(o, "--user") == 0)
			a.user = v;
		else if (strcmp(o, "--name") == 0)
			a.name = v;
		else if (strcmp(o, "--maildir") == 0)
			a.maildir = v;
		else if (strcmp(o, "--cache") == 0)
			a.cache_dir = v;
		else if (strcmp(o, "--keep") == 0)
			a.pop3_keep = strcmp(v, "yes") == 0;
		else if (strcmp(o, "--keep-days") == 0)
			a.pop3_keep_days = atoi(v);
		else if (strcmp(o, "--max-size") == 0)
			a.pop3_max_size = atol(v);
		else if (strcmp(o, "--auth") == 0)
			a.auth = v;
		else if (strcmp(o, "--cancel-after") == 0)
			prog.cancel_after = atol(v);
		else
			return usage();
	}
	if (strcmp(mode, "open") == 0) {
		struct store *s = NULL;
		size_t n = 0;

		rc = store_open_account(&a, &s, err, sizeof(err));
		if (rc == WARY_OK)
			rc = store_index(s, count_rows, &n, err, sizeof(err));
		printf("status=%s\n", status_name(rc));
		if (rc == WARY_OK)
			printf("messages=%zu\n", n);
		else
			printf("error=%s\n", err);
		store_free(&s);
		return rc == WARY_OK ? 0 : 1;
	}
	if (strcmp(mode, "fetch") != 0)
		return usage();
	rc = store_pop3_fetch(&a, on_progress, &prog, &rep, err, sizeof(err));
	printf("status=%s\n", status_name(rc));
	if (rc != WARY_OK)
		printf("error=%s\n", err);
	printf("listed=%zu\nfetched=%zu\nknown=%zu\nrecovered=%zu\nsame_content=%zu\n"
	       "deleted=%zu\nskipped_size=%zu\nfailed=%zu\nbytes=%llu\napop=%d\nrebuilt=%d\n"
	       "cancelled=%d\nprogress_calls=%zu\n",
	       rep.listed, rep.fetched, rep.known, rep.recovered, rep.same_content, rep.deleted,
	       rep.skipped_size, rep.failed, (unsigned long long)rep.bytes, rep.apop, rep.rebuilt,
	       rep.cancelled, prog.calls);
	for (size_t i = 0; i < rep.nnotices; i++)
		printf("notice: %s\n", rep.notices[i]);
	store_pop3_report_clear(&rep);
	return rc == WARY_OK ? 0 : 1;
}
