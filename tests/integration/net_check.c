/*
 * net_check: connect with net the way an account would, print what came
 * of it, one "key=value" a line, for tests/integration/net.sh.
 *
 *   net_check imap|pop3|smtp implicit|starttls HOST PORT [options]
 *     --ca FILE        extra CA file
 *     --trust FPR      the trusted SHA-256 fingerprint
 *     --timeout S
 *     --login USER PASS   after connecting, log in (IMAP/POP3) to show the
 *                         session is usable; prints login=ok|failed
 *     --idle USER PASS    IMAP: log in, SELECT INBOX, IDLE and exercise
 *                         net_imap_wait (timeout, wake-up pipe, interrupt
 *                         from another thread, a message appended by a
 *                         second session)
 *
 * Exit 0 when it ran (the status is in the output), 2 on a usage error.
 */
#include <pthread.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "net/net.h"

static const char *status_name(int rc)
{
	switch (rc) {
	case WARY_OK: return "OK";
	case WARY_ERR: return "ERR";
	case WARY_EPARSE: return "EPARSE";
	case WARY_ECERT: return "ECERT";
	case WARY_EAUTH: return "EAUTH";
	case WARY_ENET: return "ENET";
	case WARY_ESECURITY: return "ESECURITY";
	default: return "OTHER";
	}
}

static void print_cert(const struct net_cert *c)
{
	printf("cert.seen=%d\ncert.verified=%d\ncert.trusted=%d\n", c->seen, c->verified, c->trusted);
	printf("cert.sha256=%s\ncert.subject=%s\ncert.issuer=%s\n", c->sha256, c->subject, c->issuer);
	printf("cert.not_after=%s\ncert.verify_error=%s\n", c->not_after, c->verify_error);
	printf("tls.version=%s\ntls.cipher=%s\n", c->tls_version, c->cipher);
}

static void print_imap_caps(struct mailimap *imap)
{
	struct mailimap_capability_data *caps = imap->imap_connection_info ?
	                                        imap->imap_connection_info->imap_capability : NULL;
	clistiter *it;

	printf("caps=");
	if (caps != NULL)
		for (it = clist_begin(caps->cap_list); it != NULL; it = clist_next(it)) {
			struct mailimap_capability *cap = clist_content(it);

			if (cap->cap_type == MAILIMAP_CAPABILITY_AUTH_TYPE)
				printf(" AUTH=%s", cap->cap_data.cap_auth_type);
			else
				printf(" %s", cap->cap_data.cap_name);
		}
	printf("\nstate=%s\n", imap->imap_state == MAILIMAP_STATE_AUTHENTICATED ? "authenticated" :
	       "not-authenticated");
}

struct interrupter {
	struct mailimap *imap;
};

static void *interrupt_later(void *arg)
{
	struct interrupter *in = arg;

	usleep(200 * 1000);
	mailstream_interrupt_idle(in->imap->imap_stream);
	return NULL;
}

static void *cancel_later(void *arg)
{
	struct interrupter *in = arg;

	usleep(200 * 1000);
	mailstream_cancel(in->imap->imap_stream);
	return NULL;
}

static const char *wait_name(int r)
{
	return r == NET_WAIT_DATA ? "data" : r == NET_WAIT_WAKE ? "wake" :
	       r == NET_WAIT_TIMEOUT ? "timeout" : status_name(r);
}

/* IDLE on INBOX and show each way net_imap_wait can end. */
static void run_idle(struct mailimap *imap, const struct net_opts *o, const char *user,
                     const char *pass)
{
	struct interrupter in = { imap };
	struct mailimap *other = NULL;
	pthread_t th;
	char err[WARY_ERRLEN];
	int pipefd[2] = { -1, -1 }, r;
	static const char msg[] = "From: a@example.test\r\nSubject: idle\r\n\r\nwake up\r\n";

	if (mailimap_login(imap, user, pass) != MAILIMAP_NO_ERROR ||
	    mailimap_select(imap, "INBOX") != MAILIMAP_NO_ERROR) {
		printf("idle.setup=failed\n");
		return;
	}
	if (pipe(pipefd) < 0)
		return;
	mailstream_setup_idle(imap->imap_stream);
	if (mailimap_idle(imap) != MAILIMAP_NO_ERROR) {
		printf("idle.setup=failed\n");
		goto out;
	}
	r = net_imap_wait(imap, pipefd[0], 300, err, sizeof(err));
	printf("idle.quiet=%s\n", wait_name(r));
	if (write(pipefd[1], "x", 1) != 1)
		goto out;
	r = net_imap_wait(imap, pipefd[0], 5000, err, sizeof(err));
	printf("idle.pipe=%s\n", wait_name(r));
	close(pipefd[1]);
	close(pipefd[0]);
	pipefd[0] = pipefd[1] = -1;
	pthread_create(&th, NULL, interrupt_later, &in);
	r = net_imap_wait(imap, -1, 5000, err, sizeof(err));
	pthread_join(th, NULL);
	printf("idle.interrupt=%s\n", wait_name(r));
	/* Another session adds a message; the server tells the idle one. */
	if (net_imap_connect(o, &other, NULL, err, sizeof(err)) == WARY_OK &&
	    mailimap_login(other, user, pass) == MAILIMAP_NO_ERROR &&
	    mailimap_append_simple(other, "INBOX", msg, sizeof(msg) - 1) == MAILIMAP_NO_ERROR) {
		r = net_imap_wait(imap, -1, 5000, err, sizeof(err));
		printf("idle.append=%s\n", wait_name(r));
	} else {
		printf("idle.append=setup-failed %s\n", err);
	}
	r = mailimap_idle_done(imap);
	printf("idle.done=%s\n", r == MAILIMAP_NO_ERROR ? "ok" : "failed");
	/* Last, since it ends the session: cancel from another thread. */
	if (mailimap_idle(imap) == MAILIMAP_NO_ERROR) {
		pthread_create(&th, NULL, cancel_later, &in);
		/* The server may still report the appended message (EXISTS,
		 * RECENT, FETCH) in the new IDLE: read those lines, so that
		 * the wait that matters is the one the cancel ends. */
		for (int lines = 0; lines < 16; lines++) {
			r = net_imap_wait(imap, -1, 5000, err, sizeof(err));
			if (r != NET_WAIT_DATA ||
			    mailstream_read_line_remove_eol(imap->imap_stream,
			                                    imap->imap_stream_buffer) == NULL)
				break;
		}
		pthread_join(th, NULL);
		printf("idle.cancel=%s\n", wait_name(r));
		printf("idle.after_cancel=%s\n",
		       mailimap_idle_done(imap) == MAILIMAP_NO_ERROR ? "ok" : "failed");
	}
out:
	mailstream_unsetup_idle(imap->imap_stream);
	if (other != NULL) {
		mailimap_logout(other);
		mailimap_free(other);
	}
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
}

static int usage(void)
{
	fprintf(stderr, "usage: net_check imap|pop3|smtp implicit|starttls HOST PORT "
	                "[--ca FILE] [--trust FPR] [--timeout S] [--login USER PASS] "
	                "[--idle USER PASS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct net_opts o;
	struct net_cert cert;
	char err[WARY_ERRLEN] = "";
	const char *user = NULL, *pass = NULL, *proto;
	bool idle = false;
	int i, rc;

	if (argc < 5)
		return usage();
	memset(&o, 0, sizeof(o));
	proto = argv[1];
	if (strcmp(argv[2], "implicit") == 0)
		o.tls = NET_TLS_IMPLICIT;
	else if (strcmp(argv[2], "starttls") == 0)
		o.tls = NET_TLS_STARTTLS;
	else
		return usage();
	o.host = argv[3];
	o.port = atoi(argv[4]);
	for (i = 5; i < argc; i++) {
		if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc) {
			o.ca_file = argv[++i];
		} else if (strcmp(argv[i], "--trust") == 0 && i + 1 < argc) {
			o.trusted_sha256 = argv[++i];
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			o.timeout_s = atoi(argv[++i]);
		} else if ((strcmp(argv[i], "--login") == 0 || strcmp(argv[i], "--idle") == 0) &&
		           i + 2 < argc) {
			idle = strcmp(argv[i], "--idle") == 0;
			user = argv[i + 1];
			pass = argv[i + 2];
			i += 2;
		} else {
			return usage();
		}
	}

	if (strcmp(proto, "imap") == 0) {
		struct mailimap *imap = NULL;

		rc = net_imap_connect(&o, &imap, &cert, err, sizeof(err));
		printf("status=%s\nerr=%s\n", status_name(rc), err);
		print_cert(&cert);
		if (rc == WARY_OK) {
			print_imap_caps(imap);
			if (idle)
				run_idle(imap, &o, user, pass);
			else if (user != NULL)
				printf("login=%s\n", mailimap_login(imap, user, pass) == MAILIMAP_NO_ERROR ?
				       "ok" : "failed");
			mailimap_logout(imap);
			mailimap_free(imap);
		}
	} else if (strcmp(proto, "pop3") == 0) {
		struct mailpop3 *pop3 = NULL;

		rc = net_pop3_connect(&o, &pop3, &cert, err, sizeof(err));
		printf("status=%s\nerr=%s\n", status_name(rc), err);
		print_cert(&cert);
		if (rc == WARY_OK) {
			clist *caps = NULL;

			printf("apop_timestamp=%s\n", pop3->pop3_timestamp ? "kept" : "none");
			if (mailpop3_capa(pop3, &caps) == MAILPOP3_NO_ERROR) {
				clistiter *it;

				printf("caps=");
				for (it = clist_begin(caps); it != NULL; it = clist_next(it))
					printf(" %s", ((struct mailpop3_capa *)clist_content(it))->cap_name);
				printf("\n");
				mailpop3_capa_resp_free(caps);
			}
			if (user != NULL)
				printf("login=%s\n", mailpop3_user(pop3, user) == MAILPOP3_NO_ERROR &&
				       mailpop3_pass(pop3, pass) == MAILPOP3_NO_ERROR ? "ok" : "failed");
			mailpop3_quit(pop3);
			mailpop3_free(pop3);
		}
	} else if (strcmp(proto, "smtp") == 0) {
		struct mailsmtp *smtp = NULL;

		rc = net_smtp_connect(&o, &smtp, &cert, err, sizeof(err));
		printf("status=%s\nerr=%s\n", status_name(rc), err);
		print_cert(&cert);
		if (rc == WARY_OK) {
			printf("esmtp=%s%s\n", smtp->esmtp & MAILSMTP_ESMTP_STARTTLS ? " STARTTLS" : "",
			       smtp->auth & MAILSMTP_AUTH_PLAIN ? " AUTH=PLAIN" : "");
			mailsmtp_free(smtp);
		}
	} else {
		return usage();
	}
	return 0;
}
