/* The IMAP backend.
 *
 * The connection comes from net (verified TLS, STARTTLS rules); this file
 * logs in and speaks IMAP through libetpan.  Keys are UIDs in decimal.
 *
 * Every other FETCH response goes through one message handler, streamed as it
 * is parsed: libetpan 1.9.4 otherwise keeps a whole FETCH response in
 * memory (about 5 KB a message), and calls the handler only when a
 * progress callback is set too, so both are set at login.  Commands whose
 * untagged data libetpan would drop or mangle (FETCH with CHANGEDSINCE and
 * VANISHED, UID EXPUNGE, MOVE) are sent as our own text and their
 * responses read by libetpan's parser.
 *
 * The index of a folder lives in an SQLite cache (imap_cache.c) keyed by
 * UIDVALIDITY.  A warm open asks only for what changed: with QRESYNC the
 * flags changed since the cached HIGHESTMODSEQ and the UIDs that vanished;
 * with CONDSTORE alone the changed flags and a UID SEARCH when the count
 * does not add up; with neither the flags of every message.  New messages
 * get full rows.  A cold open fetches the newest screenful first, by
 * sequence number, then the rest in one command, from envelopes alone;
 * the check after the index completes those rows (details()).  The
 * index FETCH is sent and read here, its responses parsed by
 * imap_fetch.c (fetch_rows).
 *
 * A connection that fails (read or write error, BYE, timeout) is freed at
 * once and m->im is NULL until a later call connects again (reconnect):
 * login, the outbox replayed, the folder selected again.  Actions taken
 * meanwhile go to the outbox in the cache file (imap_cache.c); an account
 * whose server cannot be reached at open opens from that file.
 * store_wait IDLEs (or polls with NOOP) between the worker's requests,
 * and a DONE or NOOP the server leaves unanswered ends the connection. */
#include <errno.h>
#include <libetpan/libetpan.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/base.h"
#include "net/net.h"
#include "pattern/pattern.h"
#include "store/imap_int.h"
#include "store/store.h"
#include "store/store_int.h"

#define FIRST_SCREEN 200
#define BATCH 1000
/* What an index row is made of (fetch_rows): in full, or in two passes
 * for the bulk of a cold open.  The first is what the server keeps ready
 * (Dovecot answers it from its index cache); the second is the rest,
 * fetched after the index is complete (details()), in chunks. */
#define ROW_ITEMS "UID FLAGS ENVELOPE RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (REFERENCES CONTENT-TYPE)]"
#define ROW_ITEMS_FIRST "UID FLAGS ENVELOPE RFC822.SIZE"
#define ROW_ITEMS_DETAIL "UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (REFERENCES CONTENT-TYPE)]"
#define DETAIL_CHUNK 10000
/* One FETCH response read whole: a header block of STORE_MAX_HEADER,
 * an ENVELOPE, and room to spare. */
#define MAX_RESPONSE (4u * 1024 * 1024)
/* A command line we build stays well under what servers accept (Dovecot
 * takes 64 KB); longer UID sets are sent in pieces. */
#define MAX_SET_LEN 8000
#define MAX_MESSAGE (256 * 1024 * 1024)
#define MAX_SECRET 4096
#define MAX_FOLDERS 10000
/* Between connection attempts: 1 s, doubling, never more than a minute. */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 60000
/* A connection that dies this soon after it was made counts as a failed
 * attempt, so a server that accepts and drops is not hammered. */
#define STABLE_MS 10000
/* Servers may end an IDLE after 30 minutes (RFC 2177): renew it before. */
#define IDLE_MAX_MS (25 * 60 * 1000)
/* Without IDLE, store_wait polls with NOOP at least this often. */
#define POLL_MS 60000
/* A peer that vanished without a FIN or RST (its host frozen, a route
 * gone) sends nothing, and an idle connection sends nothing either: so
 * an IDLE is ended with DONE this often (the account's imap_keepalive),
 * and DONE or a poll's NOOP not answered within PROBE_MS is a lost
 * connection, not the 30 s of the I/O timeout. */
#define IDLE_CHECK_MS (2 * 60 * 1000)
#define PROBE_MS 6000
/* TCP keepalive for the same case outside IDLE and for the kernel's
 * view: the first probe after 30 s of silence, then every 10 s, the
 * connection dropped after 3 unanswered; data not acknowledged for 30 s
 * ends it too (TCP_USER_TIMEOUT). */
#define TCP_KA_IDLE_S 30
#define TCP_KA_INTVL_S 10
#define TCP_KA_CNT 3
#define TCP_UNACKED_MS 30000

enum fetch_mode { FM_NONE, FM_ROWS, FM_DETAILS, FM_FLAGS, FM_BODY, FM_HOOK };

/* What the message handler does with the FETCH responses of the command
 * in flight. */
struct fetch {
	enum fetch_mode mode;
	/* FM_ROWS: rows in a batch for cb */
	store_row_cb cb;
	void *cbctx;
	struct store_row *batch;
	/* batch_uid[i]: the UID of batch[i] when the row is still to go into
	 * the cache (deliver writes them, 32 to a statement), else 0 */
	uint32_t *batch_uid;
	size_t n;
	size_t done, total;
	bool cancelled;
	bool packed;         /* the rows of batch are one block each (pack_row) */
	uint32_t lowest;     /* lowest UID seen */
	uint32_t highest;    /* highest UID seen */
	/* FM_ROWS with hold: rows kept for the cache until hold_put() */
	bool hold;
	struct store_row *held;
	size_t nheld, capheld;
	/* FM_FLAGS: UIDs seen, UIDs new to the cache, rows whose flags changed */
	uint32_t *seen, *fresh, *changed;
	size_t nseen, nfresh, nchanged, capseen, capfresh, capchanged;
	uint64_t maxmodseq;
	struct buf tmp;      /* scratch for row_from_fetch */
	/* FM_BODY */
	uint32_t want;
	struct buf *body;
	bool got, too_big;
	/* FM_HOOK: every FETCH response to imap_body.c */
	imap_att_hook hook;
	void *hookctx;
};

struct imap {
	struct store *s;
	mailimap *im;        /* NULL while the connection is down */
	char *user;
	char *location;
	unsigned mask;
	bool qresync, condstore, move, uidplus, idle;
	/* the account, kept to connect again */
	char *name, *host, *auth, *ca_file, *trusted;
	int port;
	enum store_tls tls;
	int (*secret)(void *ctx, const char *what, char *buf, size_t len);
	void *secret_ctx;
	/* the connection */
	bool connecting;     /* inside an attempt: a failure is the attempt's */
	bool offline;        /* down, and no attempt until store_reconnect */
	unsigned attempts;   /* failed since it dropped */
	int64_t next_ms;     /* monotonic time of the next attempt */
	int64_t up_ms;       /* when the connection was made */
	int backoff_first_ms;
	int idle_check_ms;   /* an IDLE ended with DONE this often, to see the peer answers */
	int probe_ms;        /* how long DONE or a poll's NOOP may take */
	char reason[WARY_ERRLEN];
	char refused[WARY_ERRLEN]; /* the last queued action the server refused */
	bool resync_due;     /* connected again: check has to look */
	bool ever_online;    /* a connection was made since open */
	bool sel_cached;     /* the selection came from the cache (offline) */
	bool replay_due;     /* the outbox goes out at the next call (IMAP_TEST_LAZY_REPLAY) */
	/* news announced between checks (NOOP, IDLE): check reports it */
	uint32_t *gone_pending;
	size_t ngone_pending, capgone_pending;
	bool expunge_seen;
	void (*replay_hook)(void *ctx, unsigned n);
	void *replay_ctx;
	/* the selected folder */
	char *sel;
	uint32_t uidvalidity, uidnext, exists;
	uint64_t highestmodseq;
	/* the cache (SQLite's private temporary file when none is configured) */
	struct icache *ic;
	char *ic_path;
	struct fetch *fx;
	/* UIDs whose flags the server changed in untagged FETCH between our
	 * fetches (NOOP, STORE): check reports them */
	uint32_t *pending;
	size_t npending, cappending;
	struct store_imap_stats st;
	struct imap_body *body; /* imap_body.c: the body cache's counters */
};

static void fx_push(uint32_t **v, size_t *n, size_t *cap, uint32_t x)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*v = xreallocarray(*v, *cap, sizeof(**v));
	}
	(*v)[(*n)++] = x;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The strings of a row, in the order of struct store_row: key, from, to,
 * subject, message_id, in_reply_to, references, content_type. */
#define ROW_STRINGS 8

/* dst's strings in one block that its key starts, copied from f (NULL:
 * absent) with len[i] bytes of each and a NUL: a 100k-row index makes
 * 100k allocations, not 800k.  dst's other fields are left to the
 * caller. */
static void pack_fields(struct store_row *dst, const char *const f[ROW_STRINGS],
                        const size_t len[ROW_STRINGS])
{
	char **d[ROW_STRINGS] = { &dst->key, &dst->from, &dst->to, &dst->subject, &dst->message_id,
	                          &dst->in_reply_to, &dst->references, &dst->content_type };
	size_t total = 0;
	char *p;

	for (size_t i = 0; i < ROW_STRINGS; i++)
		total += f[i] != NULL ? len[i] + 1 : 0;
	p = xmalloc(total);
	for (size_t i = 0; i < ROW_STRINGS; i++) {
		*d[i] = NULL;
		if (f[i] == NULL)
			continue;
		memcpy(p, f[i], len[i]);
		p[len[i]] = '\0';
		*d[i] = p;
		p += len[i] + 1;
	}
	dst->packed = true;
}

static void pack_row(struct store_row *dst, const struct store_row *src)
{
	const char *f[ROW_STRINGS] = { src->key, src->from, src->to, src->subject, src->message_id,
	                               src->in_reply_to, src->references, src->content_type };
	size_t len[ROW_STRINGS];

	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < ROW_STRINGS; i++)
		len[i] = f[i] != NULL ? strlen(f[i]) : 0;
	pack_fields(dst, f, len);
	dst->flags = src->flags;
	dst->date = src->date;
	dst->size = src->size;
}

static void batch_row_clear(const struct fetch *f, struct store_row *r)
{
	if (f->packed) {
		free(r->key); /* the block, unless the callback took it */
		memset(r, 0, sizeof(*r));
	} else {
		store_row_clear(r);
	}
}

/* The next slot of f's batch, which the caller fills; uid != 0: the row
 * is still to be written to the cache (cache_pending). */
static struct store_row *batch_slot(struct fetch *f, uint32_t uid)
{
	if (f->batch == NULL) {
		f->batch = xcalloc(BATCH, sizeof(*f->batch));
		f->batch_uid = xcalloc(BATCH, sizeof(*f->batch_uid));
	}
	f->batch_uid[f->n] = uid;
	return &f->batch[f->n++];
}

static void fx_clear(struct fetch *f)
{
	for (size_t i = 0; i < f->n; i++)
		batch_row_clear(f, &f->batch[i]);
	for (size_t i = 0; i < f->nheld; i++)
		free(f->held[i].key); /* packed */
	free(f->held);
	free(f->batch);
	free(f->batch_uid);
	free(f->seen);
	free(f->fresh);
	free(f->changed);
	buf_release(&f->tmp);
	memset(f, 0, sizeof(*f));
}

/* ---- talking ---- */

static bool has_cap(struct imap *m, unsigned cap, const char *name)
{
	if (m->mask & cap)
		return false;
	return mailimap_has_extension(m->im, name) != 0;
}

static int etpan_status(int r)
{
	switch (r) {
	case MAILIMAP_NO_ERROR:
	case MAILIMAP_NO_ERROR_AUTHENTICATED:
	case MAILIMAP_NO_ERROR_NON_AUTHENTICATED:
		return WARY_OK;
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_FATAL:
		return WARY_ENET;
	case MAILIMAP_ERROR_PARSE:
		return WARY_EPARSE;
	case MAILIMAP_ERROR_MEMORY:
		return WARY_ENOMEM;
	default:
		return WARY_ERR;
	}
}

/* The server's last response text, safe for a terminal and short. */
static void server_text(struct imap *m, char *out, size_t outlen)
{
	const char *t = m->im != NULL ? m->im->imap_response : NULL;
	char *safe;

	if (t == NULL || t[0] == '\0') {
		str_copy(out, "no reason given", outlen);
		return;
	}
	safe = safe_str(t, SAFE_LINE);
	if (strlen(safe) > 200)
		safe[200] = '\0';
	str_copy(out, safe, outlen);
	free(safe);
}

/* The delay before attempt number `attempts` + 1. */
static int64_t backoff_ms(const struct imap *m)
{
	int64_t d = m->backoff_first_ms;

	for (unsigned i = 1; i < m->attempts && d < BACKOFF_MAX_MS; i++)
		d *= 2;
	return d < BACKOFF_MAX_MS ? d : BACKOFF_MAX_MS;
}

/* The connection is gone: its socket is dead or out of step, so the
 * session is freed and the next call that needs the server connects
 * again.  Inside an attempt the attempt's caller keeps the count. */
static void conn_lost(struct imap *m, const char *why)
{
	int64_t now = mono_ms();

	if (m->im == NULL)
		return;
	/* libetpan's free says LOGOUT and waits for the answer: a peer that
	 * stopped answering would hold it for the whole I/O timeout. */
	if (m->im->imap_stream != NULL)
		mailstream_cancel(m->im->imap_stream);
	mailimap_free(m->im);
	m->im = NULL;
	m->fx = NULL;
	str_copy(m->reason, why, sizeof(m->reason));
	if (m->connecting)
		return;
	m->st.drops++;
	m->offline = false;
	if (now - m->up_ms < STABLE_MS) {
		m->attempts++;
		m->next_ms = now + backoff_ms(m);
	} else {
		m->attempts = 0;
		m->next_ms = now; /* the first attempt at the next call */
	}
}

static int fail(struct imap *m, int r, const char *what, char *err, size_t errlen)
{
	char text[256];
	int code = etpan_status(r);

	if (code == WARY_ENET) {
		char why[WARY_ERRLEN];

		snprintf(why, sizeof(why), "%s: the connection to the server failed", what);
		conn_lost(m, why);
		return err_set(err, errlen, WARY_ENET, "%s", why);
	}
	if (code == WARY_EPARSE) {
		char why[WARY_ERRLEN];

		/* The session is out of step (Dovecot's BYE at shutdown ends
		 * here too): hang up, as for a drop, rather than read on. */
		snprintf(why, sizeof(why), "%s: the server's response did not parse", what);
		conn_lost(m, why);
		return err_set(err, errlen, WARY_EPARSE, "%s", why);
	}
	server_text(m, text, sizeof(text));
	return err_set(err, errlen, code == WARY_OK ? WARY_ERR : code, "%s: the server said: %s",
	               what, text);
}

static int send_line(struct imap *m, const char *line, size_t len, bool secret)
{
	mailstream *s = m->im->imap_stream;
	int r = MAILIMAP_NO_ERROR;

	if (secret)
		mailstream_set_privacy(s, 0);
	if (mailstream_write(s, line, len) < 0 || mailstream_write(s, "\r\n", 2) < 0 ||
	    mailstream_flush(s) == -1)
		r = MAILIMAP_ERROR_STREAM;
	if (secret)
		mailstream_set_privacy(s, 1);
	return r;
}

/* Read the response to the command just sent; *state is its tagged
 * condition (MAILIMAP_RESP_COND_STATE_OK, _NO; BAD is an error). */
static int read_response(struct imap *m, bool line_read, int *state)
{
	struct mailimap_response *resp = NULL;
	int r;

	if (!line_read && mailimap_read_line(m->im) == NULL)
		return MAILIMAP_ERROR_STREAM;
	r = mailimap_parse_response(m->im, &resp);
	if (r != MAILIMAP_NO_ERROR)
		return r;
	if (resp->rsp_resp_done == NULL ||
	    resp->rsp_resp_done->rsp_type != MAILIMAP_RESP_DONE_TYPE_TAGGED) {
		/* "* BYE" in place of the tagged answer: the server hangs up. */
		mailimap_response_free(resp);
		return MAILIMAP_ERROR_FATAL;
	}
	*state = resp->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type;
	mailimap_response_free(resp);
	return MAILIMAP_NO_ERROR;
}

/* One command of our own text (no literals, no secrets): MAILIMAP_NO_ERROR
 * when the server answered OK, MAILIMAP_ERROR_EXTENSION for NO. */
static int cmd(struct imap *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cmd(struct imap *m, const char *fmt, ...)
{
	struct buf line = BUF_INIT;
	va_list ap;
	int r, state = -1;

	buf_init(&line);
	va_start(ap, fmt);
	buf_vaddf(&line, fmt, ap);
	va_end(ap);
	m->st.commands++;
	r = mailimap_send_current_tag(m->im);
	if (r == MAILIMAP_NO_ERROR)
		r = send_line(m, line.data, line.len, false);
	if (r == MAILIMAP_NO_ERROR)
		r = read_response(m, false, &state);
	if (r == MAILIMAP_NO_ERROR && state != MAILIMAP_RESP_COND_STATE_OK)
		r = MAILIMAP_ERROR_EXTENSION;
	buf_release(&line);
	return r;
}

/* A mailbox name as an IMAP quoted string.  Names from LIST are 7-bit;
 * one with CR, LF, NUL or 8-bit bytes is refused rather than sent. */
static bool quote_mailbox(const char *name, struct buf *out)
{
	buf_addch(out, '"');
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p < 0x20 || *p >= 0x7f)
			return false;
		if (*p == '"' || *p == '\\')
			buf_addch(out, '\\');
		buf_addch(out, (char)*p);
	}
	buf_addch(out, '"');
	return true;
}

/* Append uids[0..n) (ascending) as a compact set, at most MAX_SET_LEN
 * long; returns how many were consumed. */
static size_t uid_set(const uint32_t *uids, size_t n, struct buf *out)
{
	size_t i = 0;

	while (i < n && out->len < MAX_SET_LEN) {
		size_t j = i;

		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (out->len > 0)
			buf_addch(out, ',');
		if (j > i)
			buf_addf(out, "%u:%u", uids[i], uids[j]);
		else
			buf_addf(out, "%u", uids[i]);
		i = j + 1;
	}
	return i;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- the message handler ---- */

static time_t imap_date_to_time(const struct mailimap_date_time *d)
{
	struct tm tm;
	int zone, off;
	time_t t;

	if (d == NULL || d->dt_year < 1970 || d->dt_month < 1 || d->dt_month > 12)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = d->dt_year - 1900;
	tm.tm_mon = d->dt_month - 1;
	tm.tm_mday = d->dt_day;
	tm.tm_hour = d->dt_hour;
	tm.tm_min = d->dt_min;
	tm.tm_sec = d->dt_sec;
	t = timegm(&tm);
	/* The zone arrives as the number it was written as: -0500 is -500. */
	zone = d->dt_zone < 0 ? -d->dt_zone : d->dt_zone;
	off = (zone / 100) * 3600 + (zone % 100) * 60;
	return d->dt_zone < 0 ? t + off : t - off;
}

static unsigned flags_of(const struct mailimap_msg_att_dynamic *dyn)
{
	unsigned flags = 0;

	if (dyn == NULL || dyn->att_list == NULL)
		return 0;
	for (clistiter *c = clist_begin(dyn->att_list); c != NULL; c = clist_next(c)) {
		const struct mailimap_flag_fetch *ff = clist_content(c);
		const struct mailimap_flag *f;

		if (ff->fl_type == MAILIMAP_FLAG_FETCH_RECENT) {
			flags |= STORE_NEW;
			continue;
		}
		f = ff->fl_flag;
		if (f == NULL)
			continue;
		switch (f->fl_type) {
		case MAILIMAP_FLAG_ANSWERED: flags |= STORE_ANSWERED; break;
		case MAILIMAP_FLAG_FLAGGED: flags |= STORE_FLAGGED; break;
		case MAILIMAP_FLAG_DELETED: flags |= STORE_DELETED; break;
		case MAILIMAP_FLAG_SEEN: flags |= STORE_SEEN; break;
		case MAILIMAP_FLAG_DRAFT: flags |= STORE_DRAFT; break;
		case MAILIMAP_FLAG_KEYWORD:
			if (f->fl_data.fl_keyword != NULL)
				flags |= imap_flag_from_name(f->fl_data.fl_keyword,
				                             strlen(f->fl_data.fl_keyword));
			break;
		default: break;
		}
	}
	return flags;
}

static char *addr_list(clist *list)
{
	struct buf b = BUF_INIT;
	bool in_group = false;

	if (list == NULL)
		return NULL;
	buf_init(&b);
	for (clistiter *c = clist_begin(list); c != NULL && b.len < STORE_MAX_VALUE;
	     c = clist_next(c)) {
		const struct mailimap_address *a = clist_content(c);

		/* RFC 3501 groups: a NIL host starts one (mailbox = its
		 * name) and a NIL host with NIL mailbox ends it. */
		if (a->ad_host_name == NULL) {
			if (a->ad_mailbox_name != NULL) {
				if (b.len > 0)
					buf_adds(&b, ", ");
				imap_addr_format(&b, NULL, a->ad_mailbox_name, NULL);
				buf_adds(&b, ":");
				in_group = true;
			} else if (in_group) {
				buf_adds(&b, ";");
				in_group = false;
			}
			continue;
		}
		if (b.len > 0 && b.data[b.len - 1] != ':')
			buf_adds(&b, ", ");
		else if (b.len > 0)
			buf_addch(&b, ' ');
		imap_addr_format(&b, a->ad_personal_name, a->ad_mailbox_name, a->ad_host_name);
	}
	if (b.len == 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static char *capped(const char *s)
{
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	return xstrndup(s, n > STORE_MAX_VALUE ? STORE_MAX_VALUE : n);
}

/* Build a row from one FETCH response; false when it had no UID. */
static bool row_of(const struct mailimap_msg_att *att, struct store_row *row, uint32_t *uid,
                   bool *has_flags, bool *has_env, uint64_t *modseq)
{
	time_t internal = 0;
	bool date_ok = false;

	memset(row, 0, sizeof(*row));
	*uid = 0;
	*has_flags = *has_env = false;
	*modseq = 0;
	for (clistiter *c = clist_begin(att->att_list); c != NULL; c = clist_next(c)) {
		const struct mailimap_msg_att_item *it = clist_content(c);

		if (it->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC) {
			row->flags = flags_of(it->att_data.att_dyn);
			*has_flags = true;
		} else if (it->att_type == MAILIMAP_MSG_ATT_ITEM_EXTENSION) {
			const struct mailimap_extension_data *x = it->att_data.att_extension_data;

			if (x != NULL && x->ext_extension == &mailimap_extension_condstore &&
			    x->ext_type == MAILIMAP_CONDSTORE_TYPE_FETCH_DATA && x->ext_data != NULL)
				*modseq = ((const struct mailimap_condstore_fetch_mod_resp *)x->ext_data)
				                  ->cs_modseq_value;
		} else if (it->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC) {
			const struct mailimap_msg_att_static *s = it->att_data.att_static;

			switch (s->att_type) {
			case MAILIMAP_MSG_ATT_UID:
				*uid = s->att_data.att_uid;
				break;
			case MAILIMAP_MSG_ATT_RFC822_SIZE:
				row->size = s->att_data.att_rfc822_size;
				break;
			case MAILIMAP_MSG_ATT_INTERNALDATE:
				internal = imap_date_to_time(s->att_data.att_internal_date);
				break;
			case MAILIMAP_MSG_ATT_ENVELOPE: {
				const struct mailimap_envelope *e = s->att_data.att_env;

				*has_env = true;
				if (e == NULL)
					break;
				if (e->env_date != NULL)
					date_ok = hdr_parse_date(e->env_date, &row->date);
				row->subject = capped(e->env_subject);
				row->message_id = capped(e->env_message_id);
				row->in_reply_to = capped(e->env_in_reply_to);
				if (e->env_from != NULL)
					row->from = addr_list(e->env_from->frm_list);
				if (e->env_to != NULL)
					row->to = addr_list(e->env_to->to_list);
				break;
			}
			case MAILIMAP_MSG_ATT_BODY_SECTION: {
				const struct mailimap_msg_att_body_section *b = s->att_data.att_body_section;
				struct store_row h;

				if (b == NULL || b->sec_body_part == NULL)
					break;
				memset(&h, 0, sizeof(h));
				hdr_parse_block(b->sec_body_part,
				                b->sec_length > STORE_MAX_HEADER ? STORE_MAX_HEADER
				                                                 : b->sec_length,
				                &h);
				row->references = h.references;
				row->content_type = h.content_type;
				h.references = h.content_type = NULL;
				store_row_clear(&h);
				break;
			}
			default:
				break;
			}
		}
	}
	if (!date_ok)
		row->date = internal;
	return *uid != 0;
}

/* The rows of the batch still to be written, into the cache: before the
 * callback sees them, and before anything else reads or changes the
 * cache while they wait. */
static void cache_pending(struct imap *m, struct fetch *f)
{
	size_t i = 0;

	while (i < f->n) {
		size_t j = i;

		if (f->batch_uid[i] == 0) {
			i++;
			continue;
		}
		while (j < f->n && f->batch_uid[j] != 0)
			j++;
		icache_put_rows(m->ic, m->sel, f->batch_uid + i, f->batch + i, j - i);
		memset(f->batch_uid + i, 0, (j - i) * sizeof(*f->batch_uid));
		i = j;
	}
}

static void deliver(struct imap *m, struct fetch *f)
{
	if (f->n == 0)
		return;
	cache_pending(m, f);
	if (!f->cancelled && f->cb != NULL &&
	    f->cb(f->cbctx, f->batch, f->n, f->done, f->total) != 0)
		f->cancelled = true;
	for (size_t i = 0; i < f->n; i++)
		batch_row_clear(f, &f->batch[i]);
	f->n = 0;
	(void)m;
}

static void on_fetch_flags(struct imap *m, struct fetch *f, uint32_t uid, unsigned flags,
                           uint64_t modseq)
{
	unsigned old;

	if (modseq > f->maxmodseq)
		f->maxmodseq = modseq;
	fx_push(&f->seen, &f->nseen, &f->capseen, uid);
	if (!icache_flags(m->ic, m->sel, uid, &old)) {
		fx_push(&f->fresh, &f->nfresh, &f->capfresh, uid);
		return;
	}
	if (old != flags) {
		icache_set_flags(m->ic, m->sel, uid, flags);
		fx_push(&f->changed, &f->nchanged, &f->capchanged, uid);
	}
}

static void on_msg_att(struct mailimap_msg_att *att, void *ctx)
{
	struct imap *m = ctx;
	struct fetch *f = m->fx;
	struct store_row row;
	bool has_flags, has_env;
	uint64_t modseq;
	uint32_t uid;

	if (att == NULL || att->att_list == NULL)
		return;
	if (f != NULL && f->mode == FM_HOOK) {
		f->hook(f->hookctx, att);
		return;
	}
	if (f != NULL && f->mode == FM_BODY) {
		for (clistiter *c = clist_begin(att->att_list); c != NULL; c = clist_next(c)) {
			const struct mailimap_msg_att_item *it = clist_content(c);
			const struct mailimap_msg_att_body_section *b;

			if (it->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
			    it->att_data.att_static->att_type != MAILIMAP_MSG_ATT_BODY_SECTION)
				continue;
			b = it->att_data.att_static->att_data.att_body_section;
			if (b == NULL || b->sec_body_part == NULL || f->got)
				continue;
			if (b->sec_length > MAX_MESSAGE) {
				f->too_big = true;
				continue;
			}
			buf_add(f->body, b->sec_body_part, b->sec_length);
			f->got = true;
		}
		return;
	}
	if (!row_of(att, &row, &uid, &has_flags, &has_env, &modseq)) {
		store_row_clear(&row);
		return; /* unsolicited FETCH by sequence number: the next sync sees it */
	}
	if (has_env && f != NULL && f->mode == FM_ROWS) {
		m->st.fetch_rows++;
		row.key = xasprintf("%u", uid);
		icache_put(m->ic, m->sel, uid, &row);
		if (f->lowest == 0 || uid < f->lowest)
			f->lowest = uid;
		if (f->n == BATCH || (f->packed && f->n > 0))
			deliver(m, f);
		f->packed = false;
		*batch_slot(f, 0) = row;
		f->done++;
		return;
	} else if (has_flags) {
		m->st.fetch_flags++;
		unsigned old;

		if (f != NULL && f->mode == FM_FLAGS) {
			on_fetch_flags(m, f, uid, row.flags, modseq);
		} else if (m->sel != NULL && m->ic != NULL &&
		           icache_flags(m->ic, m->sel, uid, &old) && old != row.flags) {
			icache_set_flags(m->ic, m->sel, uid, row.flags);
			fx_push(&m->pending, &m->npending, &m->cappending, uid);
		}
	}
	store_row_clear(&row);
}

static void on_items_progress(size_t current, size_t maximum, void *ctx)
{
	(void)current;
	(void)maximum;
	(void)ctx; /* set only so that libetpan streams FETCH to on_msg_att */
}

static void on_log(mailimap *session, int type, const char *str, size_t size, void *ctx)
{
	struct imap *m = ctx;

	(void)session;
	(void)str; /* never looked at: it may be a password */
	if (type == MAILSTREAM_LOG_TYPE_DATA_RECEIVED)
		m->st.bytes_in += size;
}

/* The UIDs from a to b (either way round) that the cache holds, dropped
 * from it and added to gone when it is not NULL.  A range may be as wide
 * as the server likes, so the UIDs we hold are walked, never the range. */
static void vanish_range(struct imap *m, uint32_t a, uint32_t b, uint32_t **gone, size_t *ngone,
                         size_t *capgone)
{
	uint32_t *uids;
	size_t n;

	if (a > b) {
		uint32_t t = a;

		a = b;
		b = t;
	}
	uids = icache_uids_between(m->ic, m->sel, a, b, &n);
	for (size_t i = 0; i < n; i++) {
		icache_delete(m->ic, m->sel, uids[i]);
		m->st.vanished++;
		if (gone != NULL)
			fx_push(gone, ngone, capgone, uids[i]);
	}
	free(uids);
}

/* UIDs the server said are gone (VANISHED, also unsolicited), dropped
 * from the cache; their keys are added to gone when it is not NULL. */
static void take_vanished(struct imap *m, uint32_t **gone, size_t *ngone, size_t *capgone)
{
	struct mailimap_response_info *ri = m->im->imap_response_info;

	if (ri == NULL || ri->rsp_extension_list == NULL || m->sel == NULL)
		return;
	for (clistiter *c = clist_begin(ri->rsp_extension_list); c != NULL; c = clist_next(c)) {
		const struct mailimap_extension_data *x = clist_content(c);
		const struct mailimap_qresync_vanished *v;

		if (x->ext_extension != &mailimap_extension_qresync ||
		    x->ext_type != MAILIMAP_QRESYNC_TYPE_VANISHED || x->ext_data == NULL)
			continue;
		v = x->ext_data;
		if (v->qr_known_uids == NULL)
			continue;
		for (clistiter *s = clist_begin(v->qr_known_uids->set_list); s != NULL;
		     s = clist_next(s)) {
			const struct mailimap_set_item *it = clist_content(s);
			/* 0 is "*" */
			vanish_range(m, it->set_first ? it->set_first : UINT32_MAX,
			             it->set_last ? it->set_last : UINT32_MAX, gone, ngone, capgone);
		}
	}
}

/* ---- login ---- */

static int get_secret(const struct store_account *acct, const char *what, char *buf,
                      size_t len, char *err, size_t errlen)
{
	int rc;

	if (acct->secret == NULL)
		return err_set(err, errlen, WARY_EAUTH, "no %s for %s@%s", what,
		               acct->user ? acct->user : "?", acct->host);
	rc = acct->secret(acct->secret_ctx, what, buf, len);
	if (rc != WARY_OK) {
		explicit_bzero(buf, len);
		return err_set(err, errlen, rc == WARY_EAUTH ? WARY_EAUTH : WARY_ERR,
		               "no %s given for %s@%s", what, acct->user ? acct->user : "?",
		               acct->host);
	}
	if (memchr(buf, '\0', len) == NULL) {
		explicit_bzero(buf, len);
		return err_set(err, errlen, WARY_ERR, "the %s is too long", what);
	}
	return WARY_OK;
}

/* AUTHENTICATE with an initial response we built (PLAIN, XOAUTH2,
 * OAUTHBEARER).  With SASL-IR it goes on the command line, else after
 * the server's "+".  A second "+" is an error challenge (the OAuth
 * mechanisms send one with details): answer it as each RFC says, then
 * read the tagged NO. */
static int sasl_login(struct imap *m, const char *mech, struct buf *ir, const char *abort_resp,
                      int *state)
{
	struct buf line = BUF_INIT;
	bool sent = false;
	const char *l;
	int r;

	buf_init(&line);
	buf_addf(&line, "AUTHENTICATE %s", mech);
	if (has_cap(m, IMAP_CAP_SASL_IR, "SASL-IR")) {
		buf_addch(&line, ' ');
		buf_add(&line, ir->data, ir->len);
		sent = true;
	}
	m->st.commands++;
	r = mailimap_send_current_tag(m->im);
	if (r == MAILIMAP_NO_ERROR)
		r = send_line(m, line.data, line.len, sent);
	imap_buf_wipe(&line);
	if (r != MAILIMAP_NO_ERROR)
		goto done;
	l = mailimap_read_line(m->im);
	if (l == NULL) {
		r = MAILIMAP_ERROR_STREAM;
		goto done;
	}
	if (!sent && l[0] == '+') {
		r = send_line(m, ir->data, ir->len, true);
		if (r != MAILIMAP_NO_ERROR)
			goto done;
		l = mailimap_read_line(m->im);
		if (l == NULL) {
			r = MAILIMAP_ERROR_STREAM;
			goto done;
		}
	}
	if (l[0] == '+') {
		r = send_line(m, abort_resp, strlen(abort_resp), false);
		if (r != MAILIMAP_NO_ERROR)
			goto done;
	}
	r = read_response(m, true, state);
done:
	return r;
}

static int do_login(struct imap *m, const struct store_account *acct, char *err, size_t errlen)
{
	const char *auth = acct->auth != NULL && acct->auth[0] ? acct->auth : "auto";
	bool oauth = str_casecmp(auth, "xoauth2") == 0 || str_casecmp(auth, "oauthbearer") == 0;
	char *secret = NULL;
	struct buf ir = BUF_INIT;
	int rc = WARY_OK, r, state = -1;
	const char *mech;

	buf_init(&ir);
	if (str_casecmp(auth, "auto") == 0)
		mech = !(m->mask & IMAP_CAP_AUTH_PLAIN) && mailimap_has_authentication(m->im, "PLAIN")
		               ? "plain"
		               : "login";
	else
		mech = auth;
	if (str_casecmp(mech, "login") == 0 && mailimap_has_extension(m->im, "LOGINDISABLED")) {
		rc = err_set(err, errlen, WARY_EAUTH,
		             "%s refuses LOGIN on this connection (LOGINDISABLED)", acct->host);
		goto out;
	}
	if (str_casecmp(mech, "plain") != 0 && str_casecmp(mech, "login") != 0 && !oauth) {
		rc = err_set(err, errlen, WARY_ERR, "unknown auth method \"%s\"", auth);
		goto out;
	}
	secret = xmalloc(MAX_SECRET);
	rc = get_secret(acct, oauth ? "token" : "password", secret, MAX_SECRET, err, errlen);
	if (rc != WARY_OK)
		goto out;
	if (str_casecmp(mech, "login") == 0) {
		m->st.commands++;
		r = mailimap_login(m->im, acct->user, secret);
		state = r == MAILIMAP_NO_ERROR ? MAILIMAP_RESP_COND_STATE_OK : MAILIMAP_RESP_COND_STATE_NO;
		if (r == MAILIMAP_ERROR_LOGIN)
			r = MAILIMAP_NO_ERROR;
	} else if (str_casecmp(mech, "plain") == 0) {
		imap_sasl_plain(&ir, acct->user, secret);
		r = sasl_login(m, "PLAIN", &ir, "*", &state);
	} else if (str_casecmp(mech, "xoauth2") == 0) {
		imap_sasl_xoauth2(&ir, acct->user, secret);
		r = sasl_login(m, "XOAUTH2", &ir, "", &state);
	} else {
		imap_sasl_oauthbearer(&ir, acct->user, secret);
		r = sasl_login(m, "OAUTHBEARER", &ir, "AQ==", &state);
	}
	if (r != MAILIMAP_NO_ERROR) {
		rc = fail(m, r, "login", err, errlen);
		goto out;
	}
	if (state != MAILIMAP_RESP_COND_STATE_OK) {
		char text[256];

		server_text(m, text, sizeof(text));
		rc = err_set(err, errlen, WARY_EAUTH, "%s refused the login of %s: %s", acct->host,
		             acct->user, text);
		goto out;
	}
	m->im->imap_state = MAILIMAP_STATE_AUTHENTICATED;
	str_copy(m->st.auth, mech, sizeof(m->st.auth));
	for (char *p = m->st.auth; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
out:
	if (secret != NULL) {
		explicit_bzero(secret, MAX_SECRET);
		free(secret);
	}
	imap_buf_wipe(&ir);
	return rc;
}

/* ---- open / close ---- */

static int im_open(struct store *s, const char *location, char *err, size_t errlen)
{
	(void)s;
	(void)location;
	return err_set(err, errlen, WARY_ERR, "an IMAP store is opened from an account");
}

static void im_close(struct store *s)
{
	struct imap *m = store_priv(s);

	if (m == NULL)
		return;
	if (m->im != NULL) {
		if (m->im->imap_stream != NULL)
			mailimap_logout(m->im);
		mailimap_free(m->im);
	}
	icache_close(&m->ic);
	imap_body_free(&m->body);
	free(m->ic_path);
	free(m->pending);
	free(m->gone_pending);
	free(m->name);
	free(m->host);
	free(m->auth);
	free(m->ca_file);
	free(m->trusted);
	free(m->user);
	free(m->location);
	free(m->sel);
	free(m);
	store_set_priv(s, NULL);
}

/* The cache file for this store (or memory), opened when first needed;
 * a file that cannot be used leaves the index in memory only. */
static void cache_ready(struct store *s, struct imap *m)
{
	const char *path = store_cache_path(s);
	char err[WARY_ERRLEN];

	if (m->ic != NULL && !icache_broken(m->ic) &&
	    ((path == NULL && m->ic_path == NULL) ||
	     (path != NULL && m->ic_path != NULL && strcmp(path, m->ic_path) == 0)))
		return;
	if (m->ic != NULL && icache_broken(m->ic) && m->ic_path != NULL) {
		icache_destroy(&m->ic, m->ic_path);
		m->st.cache_rebuilds++;
	}
	icache_close(&m->ic);
	free(m->ic_path);
	m->ic_path = xstrdup_null(path);
	if (path != NULL && icache_open(path, &m->ic, err, sizeof(err)) == WARY_OK)
		return;
	free(m->ic_path);
	m->ic_path = NULL;
	/* No cache configured: the same tables in SQLite's private temporary
	 * file, which nothing else can open and which is gone with the
	 * connection.  In memory (":memory:") the index of 100k messages
	 * held 40 MB more; there only the page cache is. */
	if (icache_open("", &m->ic, err, sizeof(err)) != WARY_OK &&
	    icache_open(":memory:", &m->ic, err, sizeof(err)) != WARY_OK)
		m->ic = NULL;
}

static void account_of(const struct imap *m, struct store_account *a)
{
	memset(a, 0, sizeof(*a));
	a->name = m->name;
	a->kind = "imap";
	a->host = m->host;
	a->port = m->port;
	a->user = m->user;
	a->tls = m->tls;
	a->ca_file = m->ca_file;
	a->trusted_sha256 = m->trusted;
	a->auth = m->auth;
	a->secret = m->secret;
	a->secret_ctx = m->secret_ctx;
}

/* Keepalive on the connection's socket (see TCP_KA_IDLE_S); a socket
 * that refuses the options still works, only noticed later. */
static void socket_keepalive(struct imap *m)
{
	mailstream_low *low = m->im->imap_stream != NULL ? mailstream_get_low(m->im->imap_stream)
	                                                 : NULL;
	int fd = low != NULL ? mailstream_low_get_fd(low) : -1;
	int on = 1, idle = TCP_KA_IDLE_S, intvl = TCP_KA_INTVL_S, cnt = TCP_KA_CNT;
	unsigned user = TCP_UNACKED_MS;
	socklen_t len = sizeof(idle);

	if (fd < 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) != 0)
		return;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user, sizeof(user));
	/* What the kernel took, for the tests. */
	idle = 0;
	if (getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, &len) == 0)
		m->st.keepalive_idle_s = (unsigned)idle;
}

/* Connect, log in (the secret asked again each time: it is never kept),
 * learn the capabilities.  On failure m->im stays NULL. */
static int session_start(struct imap *m, char *err, size_t errlen)
{
	struct store_account acct;
	struct net_opts opts;
	struct net_cert cert;
	int rc;

	account_of(m, &acct);
	memset(&opts, 0, sizeof(opts));
	opts.host = m->host;
	opts.port = m->port;
	opts.tls = m->tls == STORE_TLS_STARTTLS ? NET_TLS_STARTTLS : NET_TLS_IMPLICIT;
	opts.ca_file = m->ca_file;
	opts.trusted_sha256 = m->trusted;
	rc = net_imap_connect(&opts, &m->im, &cert, err, errlen);
	if (rc != WARY_OK) {
		m->im = NULL;
		return rc;
	}
	socket_keepalive(m);
	mailimap_set_logger(m->im, on_log, m);
	mailimap_set_progress_callback(m->im, NULL, on_items_progress, m);
	mailimap_set_msg_att_handler(m->im, on_msg_att, m);
	if (m->im->imap_state != MAILIMAP_STATE_AUTHENTICATED) {
		rc = do_login(m, &acct, err, errlen);
		if (rc != WARY_OK)
			goto fail;
	}
	/* The capabilities after login may differ (servers add the
	 * extensions only then); ask again unless the OK carried them. */
	{
		struct mailimap_capability_data *caps = NULL;
		int r = mailimap_capability(m->im, &caps);

		m->st.commands++;
		if (caps != NULL)
			mailimap_capability_data_free(caps);
		if (r != MAILIMAP_NO_ERROR) {
			rc = fail(m, r, "CAPABILITY", err, errlen);
			goto fail;
		}
	}
	m->qresync = has_cap(m, IMAP_CAP_QRESYNC, "QRESYNC");
	m->condstore = has_cap(m, IMAP_CAP_CONDSTORE, "CONDSTORE") || m->qresync;
	m->move = has_cap(m, IMAP_CAP_MOVE, "MOVE");
	m->uidplus = has_cap(m, IMAP_CAP_UIDPLUS, "UIDPLUS");
	m->idle = has_cap(m, IMAP_CAP_IDLE, "IDLE");
	if (m->qresync) {
		int r = cmd(m, "ENABLE QRESYNC");

		if (r != MAILIMAP_NO_ERROR && etpan_status(r) == WARY_ENET) {
			rc = fail(m, r, "ENABLE", err, errlen);
			goto fail;
		}
		m->qresync = r == MAILIMAP_NO_ERROR;
	}
	m->st.qresync = m->qresync;
	m->st.condstore = m->condstore;
	m->st.idle = m->idle;
	m->up_ms = mono_ms();
	m->ever_online = true;
	return WARY_OK;
fail:
	if (m->im != NULL)
		mailimap_free(m->im);
	m->im = NULL;
	return rc;
}

static int replay(struct imap *m, char *err, size_t errlen);
static bool queueable(int rc);
static int im_select(struct store *s, const char *folder, char *err, size_t errlen);

/* The outbox out, then the folder the user had selected again: the
 * replay may have visited others. */
static int catch_up(struct imap *m, char *err, size_t errlen)
{
	int rc = replay(m, err, errlen);

	if (rc == WARY_OK && m->sel != NULL && m->im != NULL) {
		char *folder = xstrdup(m->sel);

		rc = im_select(m->s, folder, err, errlen);
		free(folder);
	}
	return rc;
}

/* Connect again after a drop, at most once per backoff step unless
 * forced; then the outbox goes out and the folder is selected again, and
 * the next check resyncs it through the cache. */
static int reconnect(struct imap *m, bool forced, char *err, size_t errlen)
{
	int64_t now = mono_ms();
	int rc;

	if (m->im != NULL)
		return WARY_OK;
	if (!forced && m->offline)
		return err_set(err, errlen, WARY_ENET, "offline: %s", m->reason);
	if (!forced && now < m->next_ms)
		return err_set(err, errlen, WARY_ENET, "reconnecting in %lld s (%s)",
		               (long long)((m->next_ms - now + 999) / 1000), m->reason);
	m->connecting = true;
	rc = session_start(m, err, errlen);
	m->connecting = false;
	if (rc != WARY_OK) {
		m->attempts++;
		m->st.attempts++;
		m->next_ms = mono_ms() + backoff_ms(m);
		/* A refused login or certificate stays refused until the user
		 * does something: trying every minute would only lock the
		 * account or nag. */
		m->offline = rc == WARY_EAUTH || rc == WARY_ECERT || rc == WARY_ESECURITY;
		str_copy(m->reason, err, sizeof(m->reason));
		return rc;
	}
	m->st.reconnects++;
	m->attempts = 0;
	m->offline = false;
	m->reason[0] = '\0';
	m->resync_due = true;
	return catch_up(m, err, errlen);
}

static int ensure(struct imap *m, char *err, size_t errlen)
{
	if (m->im == NULL)
		return reconnect(m, false, err, errlen);
	if (m->replay_due) {
		m->replay_due = false;
		return catch_up(m, err, errlen);
	}
	return WARY_OK;
}

/* The selected folder as the cache last saw it, for a call that cannot
 * reach the server.  False when the cache never held folder. */
static bool select_cached(struct imap *m, const char *folder)
{
	struct icache_folder cf;

	cache_ready(m->s, m);
	if (m->ic == NULL || !icache_folder_get(m->ic, folder, &cf) || cf.uidvalidity == 0)
		return false;
	free(m->sel);
	m->sel = xstrdup(folder);
	m->npending = 0;
	m->ngone_pending = 0;
	m->expunge_seen = false;
	m->uidvalidity = cf.uidvalidity;
	m->uidnext = cf.uidnext;
	m->exists = cf.count > 0 ? (uint32_t)cf.count : 0;
	m->highestmodseq = 0;
	m->sel_cached = true;
	store_set_current(m->s, folder);
	return true;
}

/* The server could not be reached at open (rc): open from the cache
 * file when it knows INBOX, the first attempt due after one backoff
 * step.  A refused login or certificate is no reason to open: the user
 * has to see it and act. */
static bool open_offline(struct imap *m, int rc, const char *why)
{
	struct icache_folder cf;

	if (rc != WARY_ENET && rc != WARY_EPARSE)
		return false;
	cache_ready(m->s, m);
	if (m->ic_path == NULL || m->ic == NULL || !icache_folder_get(m->ic, "INBOX", &cf) ||
	    cf.uidvalidity == 0)
		return false;
	m->st.attempts++;
	m->attempts = 1;
	m->offline = false;
	m->next_ms = mono_ms() + backoff_ms(m);
	str_copy(m->reason, why, sizeof(m->reason));
	return true;
}

int imap_open_account(const struct store_account *acct, unsigned caps_mask, struct store **out,
                      char *err, size_t errlen)
{
	struct imap *m;
	struct store *s;
	int rc;

	*out = NULL;
	if (acct->host == NULL || acct->host[0] == '\0' || acct->user == NULL ||
	    acct->user[0] == '\0')
		return err_set(err, errlen, WARY_ERR, "account %s: host and user are needed",
		               acct->name ? acct->name : "?");
	m = xcalloc(1, sizeof(*m));
	m->mask = caps_mask;
	m->user = xstrdup(acct->user);
	m->name = xstrdup(acct->name ? acct->name : "?");
	m->host = xstrdup(acct->host);
	m->auth = xstrdup_null(acct->auth);
	m->ca_file = xstrdup_null(acct->ca_file);
	m->trusted = xstrdup_null(acct->trusted_sha256);
	m->port = acct->port;
	m->tls = acct->tls;
	m->secret = acct->secret;
	m->secret_ctx = acct->secret_ctx;
	m->backoff_first_ms = BACKOFF_FIRST_MS;
	m->idle_check_ms = acct->keepalive_s > 0 && acct->keepalive_s <= 1500
	                           ? acct->keepalive_s * 1000
	                           : IDLE_CHECK_MS;
	m->probe_ms = PROBE_MS;
	m->location = xasprintf("imap%s://%s@%s:%d", acct->tls == STORE_TLS_STARTTLS ? "" : "s",
	                        acct->user, acct->host,
	                        acct->port ? acct->port
	                                   : (acct->tls == STORE_TLS_STARTTLS ? NET_IMAP_PORT
	                                                                      : NET_IMAPS_PORT));
	s = store_new_with(&store_imap_ops, m);
	m->s = s;
	store_set_location(s, m->location);
	if (acct->cache_dir != NULL) {
		char *p = store_default_cache_path(acct->cache_dir, "imap", m->location);

		store_set_cache(s, p);
		free(p);
	}
	m->connecting = true;
	rc = session_start(m, err, errlen);
	m->connecting = false;
	if (rc != WARY_OK && !open_offline(m, rc, err))
		goto fail;
	if (rc != WARY_OK) {
		/* From the cache: INBOX as it was, actions queued, and the
		 * worker's store_wait connects when the server is back. */
		rc = store_select(s, "INBOX", err, errlen);
		if (rc != WARY_OK)
			goto fail;
		*out = s;
		return WARY_OK;
	}
	/* Actions a crash or a lost connection left queued go first. */
	if (!(caps_mask & IMAP_TEST_LAZY_REPLAY))
		rc = replay(m, err, errlen);
	if (rc != WARY_OK)
		goto fail;
	/* Open means INBOX is selected, as for a Maildir. */
	rc = store_select(s, "INBOX", err, errlen);
	if (rc != WARY_OK)
		goto fail;
	m->replay_due = (caps_mask & IMAP_TEST_LAZY_REPLAY) != 0;
	*out = s;
	return WARY_OK;
fail:
	store_free(&s);
	return rc;
}

/* ---- folders ---- */

static int status_of(struct imap *m, const char *name, unsigned *total, unsigned *unread)
{
	struct mailimap_status_att_list *atts = mailimap_status_att_list_new_empty();
	struct mailimap_mailbox_data_status *st = NULL;
	int r;

	*total = *unread = 0;
	mailimap_status_att_list_add(atts, MAILIMAP_STATUS_ATT_MESSAGES);
	mailimap_status_att_list_add(atts, MAILIMAP_STATUS_ATT_UNSEEN);
	m->st.commands++;
	r = mailimap_status(m->im, name, atts, &st);
	mailimap_status_att_list_free(atts);
	if (r == MAILIMAP_NO_ERROR && st != NULL && st->st_info_list != NULL) {
		for (clistiter *c = clist_begin(st->st_info_list); c != NULL; c = clist_next(c)) {
			const struct mailimap_status_info *i = clist_content(c);

			if (i->st_att == MAILIMAP_STATUS_ATT_MESSAGES)
				*total = i->st_value;
			else if (i->st_att == MAILIMAP_STATUS_ATT_UNSEEN)
				*unread = i->st_value;
		}
	}
	if (st != NULL)
		mailimap_mailbox_data_status_free(st);
	return r;
}

static int cmp_folder(const void *a, const void *b)
{
	const struct store_folder *x = a, *y = b;
	bool xi = str_casecmp(x->id, "INBOX") == 0, yi = str_casecmp(y->id, "INBOX") == 0;

	if (xi != yi)
		return xi ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The server is out of reach: the folders the cache knows, with the
 * counts of their cached rows (special use is not cached).  rc (and err)
 * stay the caller's when the cache knows none. */
static int folders_cached(struct imap *m, struct store_folder **out, size_t *n, int rc)
{
	cache_ready(m->s, m);
	if (m->ic == NULL || m->ic_path == NULL)
		return rc;
	*out = icache_folders(m->ic, n);
	if (*n == 0)
		return rc;
	for (size_t i = 0; i < *n; i++) {
		struct buf name = BUF_INIT;

		buf_init(&name);
		if (!imap_mutf7_decode((*out)[i].id, &name))
			buf_adds(&name, (*out)[i].id);
		(*out)[i].name = buf_detach(&name, NULL);
	}
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), cmp_folder);
	return WARY_OK;
}

/* libetpan sends a mailbox name as a quoted string, CR and LF as they
 * are: a name from LIST holding them (a literal; a shared folder another
 * user made) would be the rest of our command and then commands of its
 * own (6 STATUS "x<CR><LF>Z1 DELETE Trash<CR><LF>...).  Such a folder is
 * left out; modified UTF-7 names are ASCII and unaffected. */
static bool imap_name_sendable(const char *name)
{
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static int im_list_folders(struct store *s, struct store_folder **out, size_t *n, char *err,
                           size_t errlen)
{
	struct imap *m = store_priv(s);
	struct store_folder *v = NULL;
	clist *list = NULL;
	size_t cap = 0;
	int r, rc = WARY_OK;

	*out = NULL;
	*n = 0;
	rc = ensure(m, err, errlen);
	if (rc != WARY_OK && queueable(rc) && m->im == NULL)
		return folders_cached(m, out, n, rc);
	if (rc != WARY_OK)
		return rc;
	m->st.commands++;
	r = mailimap_list(m->im, "", "*", &list);
	if (r != MAILIMAP_NO_ERROR) {
		rc = fail(m, r, "LIST", err, errlen);
		goto out;
	}
	for (clistiter *c = clist_begin(list); c != NULL && *n < MAX_FOLDERS; c = clist_next(c)) {
		const struct mailimap_mailbox_list *mb = clist_content(c);
		const char *special = NULL;
		bool noselect = false;
		struct buf name = BUF_INIT;
		struct store_folder *f;

		if (mb->mb_name == NULL || !imap_name_sendable(mb->mb_name))
			continue;
		if (mb->mb_flag != NULL) {
			if (mb->mb_flag->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
			    mb->mb_flag->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT)
				noselect = true;
			for (clistiter *o = clist_begin(mb->mb_flag->mbf_oflags); o != NULL;
			     o = clist_next(o)) {
				const struct mailimap_mbx_list_oflag *of = clist_content(o);

				if (of->of_type != MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT || of->of_flag_ext == NULL)
					continue;
				if (str_casecmp(of->of_flag_ext, "NonExistent") == 0 ||
				    str_casecmp(of->of_flag_ext, "Noselect") == 0)
					noselect = true;
				else if (special == NULL)
					special = imap_special_of(of->of_flag_ext);
			}
		}
		if (noselect)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		f = &v[(*n)++];
		memset(f, 0, sizeof(*f));
		f->id = xstrdup(mb->mb_name);
		buf_init(&name);
		if (!imap_mutf7_decode(mb->mb_name, &name))
			buf_adds(&name, mb->mb_name);
		f->name = buf_detach(&name, NULL);
		f->special = xstrdup_null(special);
		r = status_of(m, mb->mb_name, &f->total, &f->unread);
		if (r != MAILIMAP_NO_ERROR && etpan_status(r) == WARY_ENET) {
			rc = fail(m, r, "STATUS", err, errlen);
			goto out;
		}
	}
	if (*n > 1)
		qsort(v, *n, sizeof(*v), cmp_folder);
out:
	if (list != NULL)
		mailimap_list_result_free(list);
	if (rc != WARY_OK) {
		store_folders_free(&v, *n);
		*n = 0;
	}
	*out = v;
	return rc;
}

static int im_select(struct store *s, const char *folder, char *err, size_t errlen)
{
	struct imap *m = store_priv(s);
	struct buf q = BUF_INIT;
	uint64_t modseq = 0;
	int r, rc = WARY_OK;

	buf_init(&q);
	if (!quote_mailbox(folder, &q)) {
		rc = err_set(err, errlen, WARY_ERR, "a folder name with control or 8-bit characters");
		goto out;
	}
	rc = ensure(m, err, errlen);
	if (rc != WARY_OK && queueable(rc) && m->im == NULL && select_cached(m, folder))
		rc = WARY_OK;
	if (rc != WARY_OK || m->im == NULL)
		goto out;
	m->st.commands++;
	if (m->condstore)
		r = mailimap_select_condstore(m->im, folder, &modseq);
	else
		r = mailimap_select(m->im, folder);
	if (r != MAILIMAP_NO_ERROR) {
		rc = fail(m, r, folder, err, errlen);
		if (rc == WARY_ERR)
			rc = WARY_ENOENT;
		free(m->sel);
		m->sel = NULL;
		goto out;
	}
	free(m->sel);
	m->sel = xstrdup(folder);
	m->sel_cached = false;
	m->npending = 0;
	m->ngone_pending = 0;
	m->expunge_seen = false;
	m->uidvalidity = m->im->imap_selection_info->sel_uidvalidity;
	m->uidnext = m->im->imap_selection_info->sel_uidnext;
	m->exists = m->im->imap_selection_info->sel_exists;
	m->highestmodseq = modseq;
	store_set_current(s, folder);
out:
	buf_release(&q);
	return rc;
}

/* ---- index ---- */

/*
 * Responses read straight from libetpan's stream buffer.  libetpan looks
 * for a line's end one byte at a time and, for every line it hands out,
 * moves what is left of its buffer to the front.  Here the end is found
 * with memchr, a line wholly in the buffer is given out where it lies
 * (the parser works in place), and the buffer's consumed front (off) is
 * dropped once, when the buffer is empty or the reading ends
 * (reader_done), so libetpan finds the stream as it expects it.
 */
struct reader {
	mailstream *s;
	size_t off;          /* bytes of s->read_buffer already taken */
	struct buf line;     /* a line that crossed the buffer's end */
};

/* Bytes the buffer holds beyond off, reading more when it holds none;
 * 0 at the end of the stream or on an error. */
static size_t reader_fill(struct reader *rd)
{
	mailstream *s = rd->s;

	if (rd->off < s->read_buffer_len)
		return s->read_buffer_len - rd->off;
	s->read_buffer_len = 0;
	rd->off = 0;
	if (mailstream_feed_read_buffer(s) <= 0)
		return 0;
	return s->read_buffer_len;
}

static void reader_done(struct reader *rd)
{
	mailstream *s = rd->s;

	if (rd->off > 0 && rd->off <= s->read_buffer_len) {
		memmove(s->read_buffer, s->read_buffer + rd->off, s->read_buffer_len - rd->off);
		s->read_buffer_len -= rd->off;
	}
	rd->off = 0;
	buf_release(&rd->line);
}

/* One line with its LF (a bare LF ends a line too): *p and *len, valid
 * until the next call.  MAILIMAP_ERROR_STREAM when the stream ends or
 * fails before an LF, MAILIMAP_ERROR_PARSE when the line passes max. */
static int reader_line(struct reader *rd, size_t max, char **p, size_t *len)
{
	rd->line.len = 0;
	for (;;) {
		size_t n = reader_fill(rd), k;
		char *at = rd->s->read_buffer + rd->off, *lf;

		if (n == 0)
			return MAILIMAP_ERROR_STREAM;
		lf = memchr(at, '\n', n);
		k = lf != NULL ? (size_t)(lf - at) + 1 : n;
		if (rd->line.len + k > max)
			return MAILIMAP_ERROR_PARSE;
		rd->off += k;
		if (lf != NULL && rd->line.len == 0) {
			*p = at;
			*len = k;
			return MAILIMAP_NO_ERROR;
		}
		buf_add(&rd->line, at, k);
		if (lf != NULL) {
			*p = rd->line.data;
			*len = rd->line.len;
			return MAILIMAP_NO_ERROR;
		}
	}
}

/* n bytes of a literal onto b; false if the stream ended first. */
static bool reader_bytes(struct reader *rd, size_t n, struct buf *b)
{
	while (n > 0) {
		size_t have = reader_fill(rd), k = have < n ? have : n;

		if (have == 0)
			return false;
		buf_add(b, rd->s->read_buffer + rd->off, k);
		rd->off += k;
		n -= k;
	}
	return true;
}

/*
 * One response of the command in flight, *text (*tlen bytes, NUL after
 * them), valid until the next call: its lines joined, each literal kept
 * inline after its {n} CRLF, without the final CRLF.  A response of one
 * line (most) is given where it lies in the stream's buffer; one with
 * literals is put together in resp.  MAILIMAP_ERROR_STREAM when the
 * connection fails, MAILIMAP_ERROR_PARSE when the response passes
 * MAX_RESPONSE.
 */
static int read_one(struct reader *rd, struct buf *resp, char **text, size_t *tlen)
{
	resp->len = 0;
	for (;;) {
		size_t len, lit = 0, i;
		bool has_lit = false;
		char *str;
		int r = reader_line(rd, MAX_RESPONSE - resp->len, &str, &len);

		if (r != MAILIMAP_NO_ERROR)
			return r;
		len--; /* the LF */
		if (len > 0 && str[len - 1] == '\r')
			len--;
		/* ... {n} at the end: a literal follows */
		if (len > 2 && str[len - 1] == '}') {
			i = len - 1;
			while (i > 0 && str[i - 1] >= '0' && str[i - 1] <= '9')
				i--;
			if (i > 0 && str[i - 1] == '{' && i < len - 1 && len - 1 - i <= 10) {
				unsigned long long v = strtoull(str + i, NULL, 10);

				if (v > MAX_RESPONSE)
					return MAILIMAP_ERROR_PARSE;
				lit = (size_t)v;
				has_lit = true;
			}
		}
		if (resp->len + len + 2 + lit > MAX_RESPONSE)
			return MAILIMAP_ERROR_PARSE;
		if (!has_lit && resp->len == 0) {
			str[len] = '\0';
			*text = str;
			*tlen = len;
			return MAILIMAP_NO_ERROR;
		}
		buf_add(resp, str, len);
		if (!has_lit) {
			*text = resp->data;
			*tlen = resp->len;
			return MAILIMAP_NO_ERROR;
		}
		buf_add(resp, "\r\n", 2);
		if (!reader_bytes(rd, lit, resp))
			return MAILIMAP_ERROR_STREAM;
	}
}

/* One end of a range of a sequence set: a number (a larger one is
 * taken as the largest UID) or "*". */
static uint32_t set_end(const char **p, const char *end)
{
	uint64_t v = 0;

	if (*p < end && **p == '*') {
		(*p)++;
		return UINT32_MAX;
	}
	for (; *p < end && **p >= '0' && **p <= '9'; (*p)++)
		if ((v = v * 10 + (uint64_t)(**p - '0')) > UINT32_MAX)
			v = UINT32_MAX;
	return (uint32_t)v;
}

/* The UIDs of a VANISHED set that the cache holds: dropped from it and
 * listed for the next check (as news() does for libetpan's).  The set
 * was checked by imap_fetch_parse: digits, ':', ',' and '*' only. */
static void vanished_set(struct imap *m, const char *set, size_t len)
{
	const char *p = set, *end = set + len;

	while (p < end && m->sel != NULL && m->ic != NULL) {
		uint32_t a = set_end(&p, end), b = a;

		if (p < end && *p == ':') {
			p++;
			b = set_end(&p, end);
		}
		if (p < end)
			p++; /* the comma */
		vanish_range(m, a, b, &m->gone_pending, &m->ngone_pending, &m->capgone_pending);
	}
}

/* A row from a parsed FETCH response that carried an ENVELOPE. */
static size_t capped_len(const char *s)
{
	return s != NULL ? strnlen(s, STORE_MAX_VALUE) : 0;
}

/* A packed row (pack_fields) from one FETCH response: its strings are
 * copied once, into the block, with nothing else allocated but what the
 * header fields of a second pass need; tmp is scratch space. */
static void row_from_fetch(const struct imap_fetch *x, struct buf *tmp, struct store_row *row)
{
	const char *f[ROW_STRINGS];
	size_t len[ROW_STRINGS], nfrom;
	struct store_row h;
	char key[IMAP_KEY_SIZE];
	bool date_ok = false;

	memset(row, 0, sizeof(*row));
	memset(&h, 0, sizeof(h));
	row->flags = x->flags;
	row->size = x->size;
	if (x->env_date != NULL)
		date_ok = hdr_parse_date(x->env_date, &row->date);
	if (!date_ok)
		row->date = x->has_internal ? x->internal : 0;
	if (x->has_body)
		hdr_parse_block(x->body, x->body_len > STORE_MAX_HEADER ? STORE_MAX_HEADER : x->body_len, &h);
	/* From and To side by side in tmp, each formatted once */
	buf_reset(tmp);
	imap_addrs_format(tmp, x, x->from, x->nfrom);
	nfrom = tmp->len;
	imap_addrs_format(tmp, x, x->to, x->nto);
	len[0] = imap_uid_to_key(x->uid, key);
	f[0] = key;
	f[1] = nfrom ? tmp->data : NULL;
	len[1] = nfrom;
	f[2] = tmp->len > nfrom ? tmp->data + nfrom : NULL;
	len[2] = tmp->len - nfrom;
	f[3] = x->env_subject;
	f[4] = x->env_message_id;
	f[5] = x->env_in_reply_to;
	for (int i = 3; i <= 5; i++)
		len[i] = capped_len(f[i]);
	f[6] = h.references;
	len[6] = h.references ? strlen(h.references) : 0;
	f[7] = h.content_type;
	len[7] = h.content_type ? strlen(h.content_type) : 0;
	pack_fields(row, f, len);
	store_row_clear(&h);
}

/* A row into the batch for f->cb, and so (deliver) into the cache; one
 * held back (f->hold) goes into the cache later, with hold_put(). */
static void batch_row(struct imap *m, struct fetch *f, uint32_t uid, struct store_row *row)
{
	if (f->hold) {
		if (f->nheld == f->capheld) {
			f->capheld = f->capheld ? f->capheld * 2 : 64;
			f->held = xreallocarray(f->held, f->capheld, sizeof(*f->held));
		}
		pack_row(&f->held[f->nheld++], row);
	}
	if (f->lowest == 0 || uid < f->lowest)
		f->lowest = uid;
	if (uid > f->highest)
		f->highest = uid;
	/* one batch holds packed rows or rows of separate strings, not both */
	if (f->n == BATCH || (f->n > 0 && f->packed != row->packed))
		deliver(m, f);
	f->packed = row->packed;
	*batch_slot(f, f->hold ? 0 : uid) = *row;
	memset(row, 0, sizeof(*row));
	f->done++;
}

/* The cached row, copied out; its References and Content-Type are left
 * out, since the second pass brings them. */
static int take_cached(void *ctx, uint32_t uid, struct store_row *row)
{
	struct store_row *out = ctx;

	(void)uid;
	store_row_copy(out, row);
	free(out->references);
	free(out->content_type);
	out->references = out->content_type = NULL;
	return 1;
}

/* The second pass of a row (ROW_ITEMS_DETAIL): its cached first pass
 * completed with References, Content-Type and, when its Date did not
 * parse, INTERNALDATE. */
static void detail_row(struct imap *m, struct fetch *f, const struct imap_fetch *x)
{
	struct store_row row, h;

	memset(&row, 0, sizeof(row));
	if (!icache_get(m->ic, m->sel, x->uid, take_cached, &row) || row.key == NULL) {
		store_row_clear(&row);
		return; /* expunged meanwhile, or never ours */
	}
	if (row.date == 0 && x->has_internal)
		row.date = x->internal;
	if (x->has_body) {
		memset(&h, 0, sizeof(h));
		hdr_parse_block(x->body, x->body_len > STORE_MAX_HEADER ? STORE_MAX_HEADER : x->body_len, &h);
		row.references = h.references;
		row.content_type = h.content_type;
		h.references = h.content_type = NULL;
		store_row_clear(&h);
	}
	m->st.fetch_details++;
	batch_row(m, f, x->uid, &row);
}

static void take_fetch_row(struct imap *m, struct fetch *f, const struct imap_fetch *x)
{
	struct store_row row;
	unsigned old;

	if (x->uid == 0)
		return; /* unsolicited FETCH by sequence number: the next sync sees it */
	if (f->mode == FM_DETAILS && (x->has_body || x->has_internal)) {
		detail_row(m, f, x);
		return;
	}
	if (!x->has_env) {
		/* another client's flag change, announced meanwhile: on a row
		 * that may still wait in the batch */
		if (x->has_flags && m->ic != NULL)
			cache_pending(m, f);
		if (x->has_flags && m->sel != NULL && m->ic != NULL &&
		    icache_flags(m->ic, m->sel, x->uid, &old) && old != x->flags) {
			m->st.fetch_flags++;
			icache_set_flags(m->ic, m->sel, x->uid, x->flags);
			fx_push(&m->pending, &m->npending, &m->cappending, x->uid);
		}
		return;
	}
	m->st.fetch_rows++;
	row_from_fetch(x, &f->tmp, &row);
	batch_row(m, f, x->uid, &row);
}

/* The rows held back (f->hold) into the cache now. */
static void hold_put(struct imap *m, struct fetch *f)
{
	for (size_t i = 0; i < f->nheld; i++) {
		uint32_t uid;

		if (imap_key_to_uid(f->held[i].key, &uid))
			icache_put(m->ic, m->sel, uid, &f->held[i]);
		free(f->held[i].key);
	}
	f->nheld = 0;
	f->hold = false;
}

/*
 * Full rows for a UID range or a set, streamed to f.  The responses are
 * read and parsed here (imap_fetch.c), not by libetpan, which spent most
 * of a cold open's CPU on them and kept a command's whole response text
 * in memory.  The command goes out with libetpan's tag and its answer is
 * read to the end of the tagged line, so the session stays in step for
 * libetpan's next command.
 */
static int fetch_rows(struct imap *m, struct fetch *f, bool by_uid, const char *set,
                      enum fetch_mode mode, const char *items)
{
	struct buf line = BUF_INIT, resp = BUF_INIT;
	struct imap_fetch x;
	struct reader rd = { m->im->imap_stream, 0, BUF_INIT };
	char tag[16];
	size_t taglen;
	int r;

	f->mode = mode;
	memset(&x, 0, sizeof(x));
	buf_init(&line);
	buf_init(&resp);
	buf_addf(&line, "%sFETCH %s (%s)", by_uid ? "UID " : "", set, items);
	m->st.commands++;
	r = mailimap_send_current_tag(m->im);
	/* (it counts the tag up first, then sends it) */
	snprintf(tag, sizeof(tag), "%d ", m->im->imap_tag);
	taglen = strlen(tag);
	if (r == MAILIMAP_NO_ERROR)
		r = send_line(m, line.data, line.len, false);
	buf_init(&rd.line);
	while (r == MAILIMAP_NO_ERROR) {
		char *text;
		size_t tlen;

		r = read_one(&rd, &resp, &text, &tlen);
		if (r != MAILIMAP_NO_ERROR)
			break;
		if (tlen >= taglen && memcmp(text, tag, taglen) == 0) {
			const char *cond = text + taglen;

			if (str_ncasecmp(cond, "OK", 2) != 0) {
				/* NO or BAD: its text, for fail()'s message */
				free(m->im->imap_response);
				m->im->imap_response = xstrdup(cond);
				r = MAILIMAP_ERROR_EXTENSION;
			}
			break;
		}
		if (imap_fetch_parse(text, tlen, &x) != WARY_OK) {
			r = MAILIMAP_ERROR_PARSE;
			break;
		}
		switch (x.kind) {
		case IMAP_RESP_FETCH: take_fetch_row(m, f, &x); break;
		case IMAP_RESP_EXISTS:
			if (m->im->imap_selection_info != NULL)
				m->im->imap_selection_info->sel_exists = x.seq;
			break;
		case IMAP_RESP_EXPUNGE: m->expunge_seen = true; break;
		case IMAP_RESP_VANISHED:
			cache_pending(m, f); /* a vanished row must not come back after */
			vanished_set(m, x.set, x.set_len);
			break;
		case IMAP_RESP_BYE: r = MAILIMAP_ERROR_FATAL; break;
		case IMAP_RESP_OTHER: break;
		}
	}
	reader_done(&rd);
	deliver(m, f);
	imap_fetch_release(&x);
	buf_release(&resp);
	buf_release(&line);
	return r;
}

static int fetch_uids(struct imap *m, struct fetch *f, const uint32_t *uids, size_t n)
{
	size_t i = 0;
	int r = MAILIMAP_NO_ERROR;

	while (i < n && r == MAILIMAP_NO_ERROR && !f->cancelled) {
		struct buf set = BUF_INIT;

		buf_init(&set);
		i += uid_set(uids + i, n - i, &set);
		r = fetch_rows(m, f, true, set.data, FM_ROWS, ROW_ITEMS);
		buf_release(&set);
	}
	return r;
}

struct vanish {
	uint32_t *v;
	size_t n, cap;
};

/* Bring the cache of the selected folder up to date with the server:
 * flags, vanished and new messages.  New rows go through cb (if any),
 * rows whose flags changed are listed in f->changed. */
static int resync(struct imap *m, const struct icache_folder *cf, struct fetch *f,
                  struct vanish *gone)
{
	uint32_t *have = NULL;
	size_t nhave = 0;
	int r = MAILIMAP_NO_ERROR;
	bool flags_only;

	f->mode = FM_FLAGS;
	m->fx = f;
	if (m->condstore && cf->modseq > 0) {
		/* Nothing changed at all since we were here: not one FETCH. */
		if (m->highestmodseq == cf->modseq && m->uidnext == cf->uidnext &&
		    (long)m->exists == cf->count)
			goto done_flags;
		if (m->qresync)
			r = cmd(m, "UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE %llu VANISHED)",
			        (unsigned long long)cf->modseq);
		else
			r = cmd(m, "UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE %llu)",
			        (unsigned long long)cf->modseq);
		flags_only = false;
	} else {
		r = cmd(m, "UID FETCH 1:* (UID FLAGS)");
		flags_only = true;
	}
	if (r != MAILIMAP_NO_ERROR)
		goto out;
	take_vanished(m, &gone->v, &gone->n, &gone->cap);
	if (flags_only || (!m->qresync && icache_count(m->ic, m->sel) + (long)f->nfresh !=
	                                                 (long)m->exists)) {
		/* Which cached UIDs are gone: from the full flag list, or
		 * (CONDSTORE without QRESYNC) from a UID SEARCH. */
		uint32_t *live = f->seen;
		size_t nlive = f->nseen;
		struct mailimap_response_info *ri;

		if (!flags_only) {
			r = cmd(m, "UID SEARCH UID 1:%u", cf->maxuid ? cf->maxuid : 1);
			if (r != MAILIMAP_NO_ERROR)
				goto out;
			ri = m->im->imap_response_info;
			live = NULL;
			nlive = 0;
			if (ri != NULL && ri->rsp_search_result != NULL) {
				size_t cap = 0;

				for (clistiter *c = clist_begin(ri->rsp_search_result); c != NULL;
				     c = clist_next(c))
					fx_push(&live, &nlive, &cap, *(uint32_t *)clist_content(c));
			}
		}
		if (nlive > 1)
			qsort(live, nlive, sizeof(*live), cmp_u32);
		have = icache_uids(m->ic, m->sel, &nhave);
		for (size_t i = 0, j = 0; i < nhave; i++) {
			while (j < nlive && live[j] < have[i])
				j++;
			if (j < nlive && live[j] == have[i])
				continue;
			icache_delete(m->ic, m->sel, have[i]);
			m->st.vanished++;
			fx_push(&gone->v, &gone->n, &gone->cap, have[i]);
		}
		if (live != f->seen)
			free(live);
	}
done_flags:
	m->fx = NULL;
	if (f->nfresh > 0) {
		qsort(f->fresh, f->nfresh, sizeof(*f->fresh), cmp_u32);
		f->total = f->nfresh;
		r = fetch_uids(m, f, f->fresh, f->nfresh);
	}
out:
	m->fx = NULL;
	free(have);
	return r;
}

struct scan_ctx {
	struct fetch *f;
	struct imap *m;
};

static int scan_row(void *ctx, uint32_t uid, struct store_row *row)
{
	struct scan_ctx *sc = ctx;
	struct fetch *f = sc->f;
	struct store_row *d;

	(void)uid;
	if (f->n == BATCH || (f->done == FIRST_SCREEN && f->n > 0) || (f->n > 0 && !f->packed))
		deliver(sc->m, f);
	if (f->cancelled)
		return 1;
	/* A batch holds rows of one kind: flushed by deliver before. */
	if (f->n == 0)
		f->packed = true;
	d = batch_slot(f, 0); /* read from the cache: not written again */
	if (f->packed && row->packed) { /* the cache's block: taken, not copied */
		*d = *row;
		memset(row, 0, sizeof(*row));
	} else if (f->packed) {
		pack_row(d, row);
	} else {
		store_row_copy(d, row);
	}
	f->done++;
	sc->m->st.cache_rows++;
	return 0;
}

static int cold_index(struct imap *m, store_row_cb cb, void *ctx)
{
	struct fetch f;
	int r = MAILIMAP_NO_ERROR;

	memset(&f, 0, sizeof(f));
	f.cb = cb;
	f.cbctx = ctx;
	f.total = m->exists;
	if (m->exists == 0)
		goto out;
	/* The newest screenful first, by sequence number: the UI can draw
	 * before the bulk of the folder is on the wire. */
	{
		char set[32];
		uint32_t first = m->exists > FIRST_SCREEN ? m->exists - FIRST_SCREEN + 1 : 1;

		/* A folder of one screen comes whole; past that the screen too
		 * comes from envelopes alone (with the header fields Dovecot
		 * opened its 200 files before the bulk could start: a tenth of
		 * a second), and the second pass starts with it. */
		bool two = first > 1;

		snprintf(set, sizeof(set), "%u:%u", first, m->exists);
		f.highest = 0;
		/* The screen's rows have the highest UIDs: written to the cache
		 * after the rest, every row is added at the end of SQLite's
		 * tree, not in its middle (a split each page). */
		f.hold = two;
		r = fetch_rows(m, &f, false, set, FM_ROWS, two ? ROW_ITEMS_FIRST : ROW_ITEMS);
		if (r != MAILIMAP_NO_ERROR || f.cancelled || !two || f.lowest <= 1)
			goto done;
		/* The rest in one command: fetch_rows reads the responses one at
		 * a time, so its size does not matter (libetpan's parser kept a
		 * command's whole response, and the index was fetched in
		 * pieces, a round trip each).  A message expunged meanwhile
		 * moves a later one down, never up: none is skipped.
		 *
		 * Its first pass only: the index is complete with it (sort,
		 * threads by In-Reply-To, limits), at the cost of the server's
		 * envelope list.  Asking for the header fields and INTERNALDATE
		 * too made Dovecot read every message file: 1.5 times as long
		 * for 100k.  The check after the index fetches them. */
		snprintf(set, sizeof(set), "1:%u", first - 1);
		f.hold = false;
		r = fetch_rows(m, &f, false, set, FM_ROWS, ROW_ITEMS_FIRST);
done:
		hold_put(m, &f);
		/* (even cut short: what came is in the cache, and wants it) */
		if (two && f.highest > 0)
			icache_folder_set_detail(m->ic, m->sel, f.highest);
	}
out:
	fx_clear(&f);
	return r;
}

/* The server is out of reach: the rows the cache holds, as they were
 * when last in sync (the check after the next connection resyncs them).
 * WARY_ENET when it holds none: the caller's err says why. */
static int index_cached(struct imap *m, store_row_cb cb, void *ctx)
{
	struct icache_folder cf;
	struct fetch f;
	struct scan_ctx sc;

	cache_ready(m->s, m);
	if (m->ic == NULL || !icache_folder_get(m->ic, m->sel, &cf) ||
	    cf.uidvalidity != m->uidvalidity)
		return WARY_ENET; /* nothing known: err says why */
	memset(&f, 0, sizeof(f));
	f.cb = cb;
	f.cbctx = ctx;
	f.total = (size_t)icache_count(m->ic, m->sel);
	sc.f = &f;
	sc.m = m;
	m->st.cache_rows = 0;
	icache_scan(m->ic, m->sel, scan_row, &sc);
	deliver(m, &f);
	fx_clear(&f);
	/* Once connected, the check has to look at everything. */
	m->resync_due = true;
	return WARY_OK;
}

static int im_index(struct store *s, store_row_cb cb, void *ctx, char *err, size_t errlen)
{
	struct imap *m = store_priv(s);
	struct icache_folder cf;
	struct vanish gone = { NULL, 0, 0 };
	struct fetch f;
	struct scan_ctx sc;
	uint64_t maxmodseq = 0;
	bool warm;
	int r, rc = WARY_OK;

	memset(&f, 0, sizeof(f));
	if (m->sel == NULL)
		return err_set(err, errlen, WARY_ENOENT, "no folder selected");
	rc = ensure(m, err, errlen);
	if (rc != WARY_OK && queueable(rc) && m->im == NULL && m->sel != NULL)
		return index_cached(m, cb, ctx);
	if (rc != WARY_OK || m->sel == NULL)
		return rc != WARY_OK ? rc : err_set(err, errlen, WARY_ENOENT, "no folder selected");
	cache_ready(s, m);
	if (m->ic == NULL)
		return err_set(err, errlen, WARY_EIO, "no memory for the index");
	m->st.cache_rows = 0;
	/* every row goes out now anyway */
	m->npending = m->ngone_pending = 0;
	m->expunge_seen = m->resync_due = false;
	warm = icache_folder_get(m->ic, m->sel, &cf) && cf.uidvalidity == m->uidvalidity;
	if (!warm) {
		if (cf.uidvalidity != 0 && cf.uidvalidity != m->uidvalidity)
			m->st.cache_rebuilds++; /* UIDVALIDITY changed: every UID means another message */
		icache_folder_reset(m->ic, m->sel, m->uidvalidity);
	}
	icache_begin(m->ic);
	if (warm) {
		r = resync(m, &cf, &f, &gone);
		if (r != MAILIMAP_NO_ERROR)
			goto failed;
		/* f.fresh rows went into the cache; every row now comes from it,
		 * newest first. */
		maxmodseq = f.maxmodseq;
		{
			/* for the progress only: no count of the rows again */
			long total = cf.count + (long)f.nfresh - (long)gone.n;

			fx_clear(&f);
			f.total = total > 0 ? (size_t)total : 0;
		}
		f.cb = cb;
		f.cbctx = ctx;
		sc.f = &f;
		sc.m = m;
		icache_commit(m->ic);
		icache_scan(m->ic, m->sel, scan_row, &sc);
		deliver(m, &f);
		if (icache_broken(m->ic)) {
			/* Damage found while reading: start over from the server. */
			cache_ready(s, m);
			fx_clear(&f);
			free(gone.v);
			if (m->ic == NULL)
				return err_set(err, errlen, WARY_EIO, "no memory for the index");
			icache_folder_reset(m->ic, m->sel, m->uidvalidity);
			icache_begin(m->ic);
			r = cold_index(m, cb, ctx);
			if (r != MAILIMAP_NO_ERROR)
				goto failed;
			goto synced;
		}
	} else {
		r = cold_index(m, cb, ctx);
		if (r != MAILIMAP_NO_ERROR)
			goto failed;
	}
synced:
	{
		uint64_t ms = m->highestmodseq > maxmodseq ? m->highestmodseq : maxmodseq;

		icache_folder_set_sync(m->ic, m->sel, m->condstore ? ms : 0, m->uidnext);
	}
	icache_commit(m->ic);
	if (icache_broken(m->ic))
		cache_ready(s, m); /* written badly: rebuilt on the next open */
	goto out;
failed:
	rc = fail(m, r, "index", err, errlen);
	/* What was written is true, but the folder is not in sync: the next
	 * open must not take the old modseq for the new state. */
	icache_folder_set_sync(m->ic, m->sel, 0, 0);
	icache_commit(m->ic);
out:
	fx_clear(&f);
	free(gone.v);
	return rc;
}

/* ---- messages ---- */

static int selected_uid(struct imap *m, const char *key, uint32_t *uid, char *err, size_t errlen)
{
	if (m->sel == NULL)
		return err_set(err, errlen, WARY_ENOENT, "no folder selected");
	if (!imap_key_to_uid(key, uid))
		return err_set(err, errlen, WARY_ENOENT, "not a message key");
	return WARY_OK;
}

static int link_row_size(void *ctx, uint32_t uid, struct store_row *row)
{
	uint64_t *size = ctx;

	(void)uid;
	*size = row->size > 0 ? (uint64_t)row->size : 0;
	return 1;
}

/* What imap_body.c works through (store_fetch, store_fetch_part).  The
 * connection is made only when a command must go out, so a message in
 * the body cache reads while the server is unreachable. */
static void link_state(void *ctx, uint32_t uid, struct imap_link_state *out)
{
	struct imap *m = ctx;

	memset(out, 0, sizeof(*out));
	if (m->sel == NULL)
		return;
	cache_ready(m->s, m);
	out->ic = m->ic;
	out->persistent = m->ic_path != NULL;
	out->folder = m->sel;
	out->uidvalidity = m->uidvalidity;
	if (m->ic != NULL && icache_get(m->ic, m->sel, uid, link_row_size, &out->row_size) &&
	    out->row_size > UINT32_MAX)
		out->row_size = 0;
}

static int link_command(void *ctx, const char *line, imap_att_hook hook, void *hookctx,
                        char *err, size_t errlen)
{
	struct imap *m = ctx;
	struct fetch f, *saved = m->fx;
	int r, rc = ensure(m, err, errlen);

	if (rc != WARY_OK)
		return rc;

	memset(&f, 0, sizeof(f));
	f.mode = FM_HOOK;
	f.hook = hook;
	f.hookctx = hookctx;
	m->fx = &f;
	r = cmd(m, "%s", line);
	if (m->fx == &f)
		m->fx = saved;
	if (r != MAILIMAP_NO_ERROR)
		rc = fail(m, r, "fetch", err, errlen);
	return rc;
}

static const struct imap_link imap_link_ops = {NULL, link_state, link_command};

static int im_fetch(struct store *s, const char *key, struct buf *out, char *err, size_t errlen)
{
	struct imap *m = store_priv(s);
	struct imap_link l = imap_link_ops;
	uint32_t uid;
	int rc = selected_uid(m, key, &uid, err, errlen);

	if (rc != WARY_OK)
		return rc;
	l.ctx = m;
	return imap_body_fetch(&m->body, &l, uid, out, err, errlen);
}

static int im_fetch_part(struct store *s, const char *key, const char *part, struct buf *out,
                         char *err, size_t errlen)
{
	struct imap *m = store_priv(s);
	struct imap_link l = imap_link_ops;
	uint32_t uid;
	int rc = selected_uid(m, key, &uid, err, errlen);

	if (rc != WARY_OK)
		return rc;
	l.ctx = m;
	return imap_body_fetch_part(&m->body, &l, uid, part, out, err, errlen);
}

struct imap_body **imap_body_of(struct store *s)
{
	struct imap *m;

	if (s == NULL || strcmp(store_kind(s), "imap") != 0)
		return NULL;
	m = store_priv(s);
	return m != NULL ? &m->body : NULL;
}

/* ---- actions: straight to the server, else into the outbox ---- */

static int store_flags(struct imap *m, uint32_t uid, unsigned set, unsigned clear)
{
	struct buf l = BUF_INIT;
	int r = MAILIMAP_NO_ERROR;

	buf_init(&l);
	imap_flags_to_list(set, &l);
	if (l.len > 0)
		r = cmd(m, "UID STORE %u +FLAGS.SILENT (%s)", uid, l.data);
	buf_reset(&l);
	imap_flags_to_list(clear, &l);
	if (r == MAILIMAP_NO_ERROR && l.len > 0)
		r = cmd(m, "UID STORE %u -FLAGS.SILENT (%s)", uid, l.data);
	buf_release(&l);
	return r;
}

/* The copy is on the server before the original is touched; without
 * UIDPLUS the original stays marked \Deleted, since a plain EXPUNGE
 * would take other marked messages with it. */
static int delete_uid(struct imap *m, uint32_t uid)
{
	int r = cmd(m, "UID STORE %u +FLAGS.SILENT (\\Deleted)", uid);

	if (r == MAILIMAP_NO_ERROR && m->uidplus)
		r = cmd(m, "UID EXPUNGE %u", uid);
	return r;
}

static int copy_move_cmds(struct imap *m, uint32_t uid, const char *qfolder, bool move)
{
	int r;

	if (move && m->move)
		return cmd(m, "UID MOVE %u %s", uid, qfolder);
	r = cmd(m, "UID COPY %u %s", uid, qfolder);
	if (r == MAILIMAP_NO_ERROR && move)
		r = delete_uid(m, uid);
	return r;
}

static int append_cmd(struct imap *m, const char *folder, const char *data, size_t len,
                      unsigned flags, uint32_t *uid)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	uint32_t uidv = 0;
	int r;

	*uid = 0;
	if (flags & STORE_SEEN)
		mailimap_flag_list_add(fl, mailimap_flag_new_seen());
	if (flags & STORE_ANSWERED)
		mailimap_flag_list_add(fl, mailimap_flag_new_answered());
	if (flags & STORE_FLAGGED)
		mailimap_flag_list_add(fl, mailimap_flag_new_flagged());
	if (flags & STORE_DELETED)
		mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
	if (flags & STORE_DRAFT)
		mailimap_flag_list_add(fl, mailimap_flag_new_draft());
	if (flags & STORE_PASSED)
		mailimap_flag_list_add(fl, mailimap_flag_new_flag_keyword(xstrdup("$Forwarded")));
	m->st.commands++;
	if (m->uidplus)
		r = mailimap_uidplus_append(m->im, folder, fl, NULL, data, len, &uidv, uid);
	else
		r = mailimap_append(m->im, folder, fl, NULL, data, len);
	mailimap_flag_list_free(fl);
	return r;
}

/* Keep an action for the server, durably, and report it done: the local
 * state was (or is about to be) changed by the caller.  err holds why
 * the server could not take it. */
static int queue(struct imap *m, const struct imap_outbox_entry *e, char *err, size_t errlen)
{
	char why[WARY_ERRLEN];

	str_copy(why, err, sizeof(why));
	if (m->ic == NULL || icache_outbox_add(m->ic, e) != WARY_OK)
		return err_set(err, errlen, WARY_EIO, "%s; and the action could not be queued", why);
	m->st.queued++;
	snprintf(err, errlen, "queued until the server is back (%s)", why);
	return WARY_OK;
}

/* Connect if needed for an action on uid of the selected folder.
 * WARY_OK: go ahead; WARY_ENET (and the like): queue it; WARY_ENOENT:
 * connecting again found the folder renumbered, the key means nothing. */
static int action_ready(struct imap *m, char *err, size_t errlen)
{
	uint32_t uidv = m->uidvalidity;
	int rc;

	cache_ready(m->s, m);
	rc = ensure(m, err, errlen);
	if (rc == WARY_OK && (m->sel == NULL || m->uidvalidity != uidv))
		return err_set(err, errlen, WARY_ENOENT,
		               "the folder changed on the server (UIDVALIDITY): open it again");
	return rc;
}

static bool queueable(int rc)
{
	/* Whatever keeps the server out of reach for now; a refusal of this
	 * very action (NO, bad key) is the caller's to see. */
	return rc == WARY_ENET || rc == WARY_EPARSE || rc == WARY_EAUTH || rc == WARY_ECERT ||
	       rc == WARY_ESECURITY;
}

/* A failure after the command went out: the server may have done it. */
static bool maybe_done(int rc)
{
	return rc == WARY_ENET || rc == WARY_EPARSE;
}

static int im_set_flags(struct store *s, const char *key, unsigned set, unsigned clear,
                        char *err, size_t errlen)
{
	struct imap *m = store_priv(s);
	struct imap_outbox_entry e;
	bool attempted = false;
	uint32_t uid;
	unsigned old;
	int r, rc;

	rc = selected_uid(m, key, &uid, err, errlen);
	if (rc != WARY_OK)
		return rc;
	rc = action_ready(m, err, errlen);
	if (rc == WARY_OK) {
		r = store_flags(m, uid, set, clear);
		if (r != MAILIMAP_NO_ERROR)
			rc = fail(m, r, "store flags", err, errlen);
		attempted = maybe_done(rc);
	}
	if (rc != WARY_OK && !queueable(rc))
		return rc;
	if (rc != WARY_OK) {
		memset(&e, 0, sizeof(e));
		e.op = IMAP_OP_FLAGS;
		e.folder = m->sel;
		e.uidvalidity = m->uidvalidity;
		e.uid = uid;
		e.set = set;
		e.clear = clear;
		e.attempted = attempted;
		rc = queue(m, &e, err, errlen);
		if (rc != WARY_OK)
			return rc;
	}
	if (m->ic != NULL && icache_flags(m->ic, m->sel, uid, &old))
		icache_set_flags(m->ic, m->sel, uid, (old | set) & ~clear);
	return WARY_OK;
}

/* UIDs of the selected folder marked \Deleted. */
static int deleted_uids(struct imap *m, uint32_t **out, size_t *n)
{
	struct mailimap_response_info *ri;
	size_t cap = 0;
	int r;

	*out = NULL;
	*n = 0;
	r = cmd(m, "UID SEARCH DELETED");
	if (r != MAILIMAP_NO_ERROR)
		return r;
	ri = m->im->imap_response_info;
	if (ri != NULL && ri->rsp_search_result != NULL)
		for (clistiter *c = clist_begin(ri->rsp_search_result); c != NULL; c = clist_next(c))
			fx_push(out, n, &cap, *(uint32_t *)clist_content(c));
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), cmp_u32);
	return MAILIMAP_NO_ERROR;
}

/* Offline: what the cache says is marked goes, here now and on the
 * server at replay. */
static int queue_expunge(struct imap *m, char *err, size_t errlen)
{
	size_t n = 0, i = 0;
	uint32_t *uids = icache_uids_with(m->ic, m->sel, STORE_DELETED, &n);
	int rc = WARY_OK;

	while (i < n && rc == WARY_OK) {
		struct imap_outbox_entry e;
		struct buf set = BUF_INIT;
		size_t k;

		buf_init(&set);
		k = uid_set(uids + i, n - i, &set);
		memset(&e, 0, sizeof(e));
		e.op = IMAP_OP_EXPUNGE;
		e.folder = m->sel;
		e.uidvalidity = m->uidvalidity;
		e.uids = set.data;
		rc = queue(m, &e, err, errlen);
		buf_release(&set);
		for (size_t j = i; rc == WARY_OK && j < i + k; j++)
			icache_delete(m->ic, m->sel, uids[j]);
		i += k;
	}
	free(uids);
	return rc;
}

static int im_expunge(struct store *s, char *err, size_t errlen)
{
	struct imap *m = store_priv(s);
	uint32_t *uids = NULL;
	size_t n = 0;
	int r, rc;

	if (m->sel == NULL)
		return err_set(err, errlen, WARY_ENOENT, "no folder selected");
	rc = action_ready(m, err, errlen);
	if (rc != WARY_OK)
		return queueable(rc) && m->ic != NULL ? queue_expunge(m, err, errlen) : rc;
	r = deleted_uids(m, &uids, &n);
	if (r == MAILIMAP_NO_ERROR && n > 0) {
		if (m->uidplus) {
			/* Only what we saw marked: a message another client marks
			 * meanwhile stays. */
			for (size_t i = 0; i < n && r == MAILIMAP_NO_ERROR;) {
				struct buf set = BUF_INIT;

				buf_init(&set);
				i += uid_set(uids + i, n - i, &set);
				r = cmd(m, "UID EXPUNGE %s", set.data);
				buf_release(&set);
			}
		} else {
			r = cmd(m, "EXPUNGE");
		}
	}
	if (r == MAILIMAP_NO_ERROR && m->ic != NULL) {
		take_vanished(m, NULL, NULL, NULL);
		for (size_t i = 0; i < n; i++)
			icache_delete(m->ic, m->sel, uids[i]);
	}
	free(uids);
	if (r == MAILIMAP_NO_ERROR)
		return WARY_OK;
	rc = fail(m, r, "expunge", err, errlen);
	return maybe_done(rc) && m->ic != NULL ? queue_expunge(m, err, errlen) : rc;
}

static int copy_msgid(void *ctx, uint32_t uid, struct store_row *row)
{
	char **id = ctx;

	(void)uid;
	if (row->message_id != NULL)
		*id = xstrdup(row->message_id);
	return 1;
}

static int copy_or_move(struct store *s, const char *key, const char *folder, bool move,
                        char *err, size_t errlen)
{
	struct imap *m = store_priv(s);
	struct imap_outbox_entry e;
	struct buf q = BUF_INIT;
	bool attempted = false;
	char *msgid = NULL;
	uint32_t uid;
	int r, rc;

	rc = selected_uid(m, key, &uid, err, errlen);
	if (rc != WARY_OK)
		return rc;
	buf_init(&q);
	if (!quote_mailbox(folder, &q)) {
		buf_release(&q);
		return err_set(err, errlen, WARY_ERR, "a folder name with control or 8-bit characters");
	}
	rc = action_ready(m, err, errlen);
	if (rc == WARY_OK) {
		r = copy_move_cmds(m, uid, q.data, move);
		if (r != MAILIMAP_NO_ERROR)
			rc = fail(m, r, move ? "move" : "copy", err, errlen);
		attempted = maybe_done(rc);
	}
	buf_release(&q);
	if (rc != WARY_OK && !queueable(rc))
		return rc;
	if (rc != WARY_OK) {
		if (m->ic != NULL)
			icache_get(m->ic, m->sel, uid, copy_msgid, &msgid);
		memset(&e, 0, sizeof(e));
		e.op = move ? IMAP_OP_MOVE : IMAP_OP_COPY;
		e.folder = m->sel;
		e.uidvalidity = m->uidvalidity;
		e.uid = uid;
		e.target = (char *)folder;
		e.message_id = msgid;
		e.attempted = attempted;
		rc = queue(m, &e, err, errlen);
		free(msgid);
		if (rc != WARY_OK)
			return rc;
		if (m->ic != NULL && move)
			icache_delete(m->ic, m->sel, uid);
		return WARY_OK;
	}
	if (m->ic != NULL && move) {
		take_vanished(m, NULL, NULL, NULL);
		if (m->move || m->uidplus)
			icache_delete(m->ic, m->sel, uid);
		else
			icache_set_flags(m->ic, m->sel, uid, STORE_DELETED);
	}
	return WARY_OK;
}

static int im_copy(struct store *s, const char *key, const char *folder, char *err, size_t errlen)
{
	return copy_or_move(s, key, folder, false, err, errlen);
}

static int im_move(struct store *s, const char *key, const char *folder, char *err, size_t errlen)
{
	return copy_or_move(s, key, folder, true, err, errlen);
}

static int im_append(struct store *s, const char *folder, const char *data, size_t len,
                     unsigned flags, char **key_out, char *err, size_t errlen)
{
	struct imap *m = store_priv(s);
	struct imap_outbox_entry e;
	struct store_row row;
	uint32_t uid = 0;
	bool sent = false;
	size_t end;
	int r, rc;

	if (key_out != NULL)
		*key_out = NULL;
	if (len > MAX_MESSAGE)
		return err_set(err, errlen, WARY_ELIMIT, "message over %d MB", MAX_MESSAGE >> 20);
	cache_ready(s, m);
	rc = ensure(m, err, errlen);
	if (rc == WARY_OK) {
		r = append_cmd(m, folder, data, len, flags, &uid);
		sent = true;
		if (r == MAILIMAP_NO_ERROR) {
			if (key_out != NULL && uid != 0)
				*key_out = xasprintf("%u", uid);
			return WARY_OK;
		}
		rc = fail(m, r, "append", err, errlen);
	}
	if (!queueable(rc))
		return rc;
	/* The Message-ID lets a replay see that an append it cannot be sure
	 * of did arrive. */
	memset(&row, 0, sizeof(row));
	end = hdr_block_end(data, len);
	if (end == SIZE_MAX)
		end = len;
	hdr_parse_block(data, end < STORE_MAX_HEADER ? end : STORE_MAX_HEADER, &row);
	memset(&e, 0, sizeof(e));
	e.op = IMAP_OP_APPEND;
	e.folder = (char *)folder;
	e.set = flags;
	e.message_id = row.message_id;
	e.data = (char *)data;
	e.len = len;
	e.attempted = sent && maybe_done(rc);
	rc = queue(m, &e, err, errlen);
	store_row_clear(&row);
	return rc;
}

/* The folder got a new UIDVALIDITY while the rows shown came from the
 * cache (opened offline, or between two checks): every row is fetched
 * anew through cb, and the old UIDs that no new message took are gone.
 * (A UID both old and new names the new message: the caller's row for
 * it is replaced, not removed.) */
static int renumbered(struct imap *m, store_row_cb cb, void *ctx, struct vanish *gone,
                      char *err, size_t errlen)
{
	size_t nold = 0, nnew = 0;
	uint32_t *old = icache_uids(m->ic, m->sel, &nold), *fresh;
	int r;

	m->st.cache_rebuilds++;
	icache_folder_reset(m->ic, m->sel, m->uidvalidity);
	imap_body_forget_folder(m->ic, m->sel);
	icache_begin(m->ic);
	r = cold_index(m, cb, ctx);
	icache_folder_set_sync(m->ic, m->sel, r == MAILIMAP_NO_ERROR && m->condstore
	                                              ? m->highestmodseq : 0,
	                       r == MAILIMAP_NO_ERROR ? m->uidnext : 0);
	icache_commit(m->ic);
	if (r != MAILIMAP_NO_ERROR) {
		free(old);
		return fail(m, r, "check", err, errlen);
	}
	fresh = icache_uids(m->ic, m->sel, &nnew);
	for (size_t i = 0, j = 0; i < nold; i++) {
		while (j < nnew && fresh[j] < old[i])
			j++;
		if (j < nnew && fresh[j] == old[i])
			continue;
		m->st.vanished++;
		fx_push(&gone->v, &gone->n, &gone->cap, old[i]);
	}
	free(old);
	free(fresh);
	return WARY_OK;
}

/* The second pass of the rows a cold open left without it (detail_hi),
 * newest first, a chunk a transaction: what a chunk completed stays
 * done if the connection drops or the UI moves on. */
static int details(struct imap *m, struct fetch *f)
{
	struct icache_folder cf;
	int r = MAILIMAP_NO_ERROR;

	if (!icache_folder_get(m->ic, m->sel, &cf) || cf.detail_hi == 0)
		return r;
	for (uint32_t hi = cf.detail_hi; hi > 0 && r == MAILIMAP_NO_ERROR && !f->cancelled;) {
		uint32_t lo = hi > DETAIL_CHUNK ? hi - DETAIL_CHUNK + 1 : 1;
		char set[32];

		snprintf(set, sizeof(set), "%u:%u", lo, hi);
		icache_begin(m->ic);
		r = fetch_rows(m, f, true, set, FM_DETAILS, ROW_ITEMS_DETAIL);
		if (r == MAILIMAP_NO_ERROR && !f->cancelled)
			icache_folder_set_detail(m->ic, m->sel, lo - 1);
		icache_commit(m->ic);
		hi = lo - 1;
	}
	deliver(m, f);
	return r;
}

static int im_check_changes(struct store *s, store_row_cb cb, void *ctx, char ***vanished,
                            size_t *nvanished, char *err, size_t errlen)
{
	struct imap *m = store_priv(s);
	struct icache_folder cf;
	struct vanish gone = { NULL, 0, 0 };
	struct fetch f;
	struct scan_ctx sc;
	int r, rc = WARY_OK;

	*vanished = NULL;
	*nvanished = 0;
	memset(&f, 0, sizeof(f));
	if (m->sel == NULL)
		return err_set(err, errlen, WARY_ENOENT, "no folder selected");
	rc = ensure(m, err, errlen);
	if (rc != WARY_OK || m->sel == NULL)
		return rc != WARY_OK ? rc : err_set(err, errlen, WARY_ENOENT, "no folder selected");
	cache_ready(s, m);
	if (m->ic == NULL)
		return err_set(err, errlen, WARY_EIO, "no memory for the index");
	/* NOOP gives the server the moment to tell (EXISTS, VANISHED,
	 * FETCH); the resync then asks exactly for what changed. */
	r = cmd(m, "NOOP");
	if (r != MAILIMAP_NO_ERROR)
		goto failed;
	/* What a wait (IDLE, NOOP) already took from the cache first. */
	for (size_t i = 0; i < m->ngone_pending; i++)
		fx_push(&gone.v, &gone.n, &gone.cap, m->gone_pending[i]);
	m->ngone_pending = 0;
	m->expunge_seen = m->resync_due = false;
	take_vanished(m, &gone.v, &gone.n, &gone.cap);
	if (m->im->imap_selection_info != NULL) {
		m->exists = m->im->imap_selection_info->sel_exists;
		if (m->im->imap_selection_info->sel_uidnext > m->uidnext)
			m->uidnext = m->im->imap_selection_info->sel_uidnext;
	}
	if (icache_folder_get(m->ic, m->sel, &cf) && cf.uidvalidity != 0 &&
	    cf.uidvalidity != m->uidvalidity) {
		rc = renumbered(m, cb, ctx, &gone, err, errlen);
		if (rc == WARY_OK)
			goto report;
		goto out;
	}
	if (cf.uidvalidity != m->uidvalidity) {
		rc = err_set(err, errlen, WARY_ERR, "the folder was not indexed");
		goto out;
	}
	/* Forget the short cut of resync: after NOOP a count that adds up
	 * proves nothing, since the server need not send HIGHESTMODSEQ. */
	m->highestmodseq = 0;
	f.cb = cb;
	f.cbctx = ctx;
	icache_begin(m->ic);
	r = resync(m, &cf, &f, &gone);
	if (r != MAILIMAP_NO_ERROR)
		goto failed;
	if (f.maxmodseq > cf.modseq)
		icache_folder_set_sync(m->ic, m->sel, f.maxmodseq, m->uidnext);
	icache_commit(m->ic);
	/* Rows whose flags changed, read back from the cache: those the
	 * resync found and those the server announced on its own. */
	sc.f = &f;
	sc.m = m;
	for (size_t i = 0; i < m->npending; i++)
		fx_push(&f.changed, &f.nchanged, &f.capchanged, m->pending[i]);
	m->npending = 0;
	if (f.nchanged > 1) /* qsort of a NULL array, even empty, is undefined */
		qsort(f.changed, f.nchanged, sizeof(*f.changed), cmp_u32);
	for (size_t i = 0; i < f.nchanged; i++)
		if (i == 0 || f.changed[i] != f.changed[i - 1])
			icache_get(m->ic, m->sel, f.changed[i], scan_row, &sc);
	deliver(m, &f);
	r = details(m, &f);
	if (r != MAILIMAP_NO_ERROR)
		goto failed;
report:
	if (gone.n > 0) {
		*vanished = xcalloc(gone.n, sizeof(**vanished));
		for (size_t i = 0; i < gone.n; i++)
			(*vanished)[i] = xasprintf("%u", gone.v[i]);
		*nvanished = gone.n;
	}
	goto out;
failed:
	rc = fail(m, r, "check", err, errlen);
	icache_commit(m->ic);
out:
	fx_clear(&f);
	free(gone.v);
	return rc;
}

static int im_check(struct store *s, bool *changed, char *err, size_t errlen)
{
	struct imap *m = store_priv(s);
	char **gone = NULL;
	size_t ngone = 0;
	uint64_t before = m->st.fetch_rows + m->st.fetch_flags;
	int rc = im_check_changes(s, NULL, NULL, &gone, &ngone, err, errlen);

	*changed = ngone > 0 || m->st.fetch_rows + m->st.fetch_flags != before;
	store_keys_free(gone, ngone);
	return rc;
}

/* UID SEARCH with pattern_imap's keys, run by the server.  At each
 * literal ("{N}" CRLF) the server's go-ahead is awaited before its N
 * bytes go out; the keys hold CRLF nowhere else, since every string
 * with a CR or LF in it is itself a literal. */
static int im_search(struct store *s, const struct pattern *p, char ***keys, size_t *n,
                     char *err, size_t errlen)
{
	struct imap *m = store_priv(s);
	struct mailimap_response_info *ri;
	struct buf q = BUF_INIT;
	uint32_t *uids = NULL;
	size_t nuids = 0, cap = 0, seg = 0, scan = 0;
	int r = MAILIMAP_NO_ERROR, rc, state = -1;

	*keys = NULL;
	*n = 0;
	if (m->sel == NULL)
		return err_set(err, errlen, WARY_ENOENT, "no folder selected");
	buf_init(&q);
	buf_adds(&q, "UID SEARCH ");
	rc = pattern_imap(p, &q, err, errlen);
	if (rc != WARY_OK)
		goto out;
	m->st.commands++;
	r = mailimap_send_current_tag(m->im);
	while (r == MAILIMAP_NO_ERROR) {
		const char *at = q.data + seg;
		const char *crlf = memmem(q.data + scan, q.len - scan, "\r\n", 2);
		const char *brace = crlf != NULL ? memrchr(at, '{', (size_t)(crlf - at)) : NULL;
		unsigned long lit = brace != NULL ? strtoul(brace + 1, NULL, 10) : 0;
		char *line;

		if (crlf == NULL) {
			r = send_line(m, at, q.len - seg, false);
			if (r == MAILIMAP_NO_ERROR)
				r = read_response(m, false, &state);
			break;
		}
		if (brace == NULL || lit > q.len - (size_t)(crlf + 2 - q.data) ||
		    mailstream_write(m->im->imap_stream, at, (size_t)(crlf + 2 - at)) < 0 ||
		    mailstream_flush(m->im->imap_stream) == -1 ||
		    (line = mailimap_read_line(m->im)) == NULL) {
			r = MAILIMAP_ERROR_STREAM;
			break;
		}
		if (line[0] != '+') {
			/* Refused before the literal: that line is the answer. */
			r = read_response(m, true, &state);
			break;
		}
		seg = (size_t)(crlf + 2 - q.data);
		scan = seg + lit;
	}
	if (r == MAILIMAP_NO_ERROR && state != MAILIMAP_RESP_COND_STATE_OK)
		r = MAILIMAP_ERROR_EXTENSION;
	if (r != MAILIMAP_NO_ERROR) {
		rc = fail(m, r, "search", err, errlen);
		goto out;
	}
	ri = m->im->imap_response_info;
	if (ri != NULL && ri->rsp_search_result != NULL)
		for (clistiter *c = clist_begin(ri->rsp_search_result); c != NULL; c = clist_next(c))
			fx_push(&uids, &nuids, &cap, *(uint32_t *)clist_content(c));
	if (nuids > 1)
		qsort(uids, nuids, sizeof(*uids), cmp_u32);
	if (nuids > 0) {
		*keys = xcalloc(nuids, sizeof(**keys));
		for (size_t i = 0; i < nuids; i++)
			(*keys)[i] = xasprintf("%u", uids[i]);
		*n = nuids;
	}
out:
	free(uids);
	buf_release(&q);
	return rc;
}

const struct store_ops store_imap_ops = {
	.kind = "imap",
	.open = im_open,
	.close = im_close,
	.list_folders = im_list_folders,
	.select = im_select,
	.index = im_index,
	.fetch = im_fetch,
	.set_flags = im_set_flags,
	.expunge = im_expunge,
	.copy = im_copy,
	.move = im_move,
	.append = im_append,
	.check = im_check,
	.check_changes = im_check_changes,
	.search = im_search,
	.fetch_part = im_fetch_part,
};

int store_imap_stats(struct store *s, struct store_imap_stats *out)
{
	struct imap *m;

	memset(out, 0, sizeof(*out));
	if (s == NULL || strcmp(store_kind(s), "imap") != 0)
		return WARY_ENOENT;
	m = store_priv(s);
	*out = m->st;
	return WARY_OK;
}

/* ---- the outbox replayed ---- */

/* The session is unusable after r: dropped, or out of step. */
static bool lost(int r)
{
	int code = etpan_status(r);

	return code == WARY_ENET || code == WARY_EPARSE;
}

/* Select folder for the replay; *uidvalidity is the server's. */
static int replay_select(struct imap *m, const char *folder, uint32_t *uidvalidity)
{
	int r;

	m->st.commands++;
	r = mailimap_select(m->im, folder);
	*uidvalidity = r == MAILIMAP_NO_ERROR && m->im->imap_selection_info != NULL
	                       ? m->im->imap_selection_info->sel_uidvalidity
	                       : 0;
	return r;
}

/* Is the message with this Message-ID in folder?  The server's selected
 * folder is back at back (may be NULL) afterwards.  A Message-ID that
 * cannot be sent as a quoted string counts as not found. */
static int find_msgid(struct imap *m, const char *folder, const char *msgid, const char *back,
                      bool *found)
{
	struct buf q = BUF_INIT;
	uint32_t uidv;
	int r;

	*found = false;
	buf_init(&q);
	if (msgid == NULL || !quote_mailbox(msgid, &q)) {
		buf_release(&q);
		return MAILIMAP_NO_ERROR;
	}
	m->st.commands++;
	r = mailimap_examine(m->im, folder);
	if (r == MAILIMAP_NO_ERROR)
		r = cmd(m, "UID SEARCH HEADER Message-ID %s", q.data);
	if (r == MAILIMAP_NO_ERROR) {
		struct mailimap_response_info *ri = m->im->imap_response_info;

		*found = ri != NULL && ri->rsp_search_result != NULL &&
		         clist_count(ri->rsp_search_result) > 0;
	}
	if (!lost(r) && back != NULL) {
		int r2 = replay_select(m, back, &uidv);

		if (r == MAILIMAP_NO_ERROR || lost(r2))
			r = r2;
	}
	buf_release(&q);
	return r;
}

static bool uid_present(struct imap *m, uint32_t uid, int *r)
{
	struct mailimap_response_info *ri;

	*r = cmd(m, "UID SEARCH UID %u", uid);
	if (*r != MAILIMAP_NO_ERROR)
		return true;
	ri = m->im->imap_response_info;
	return ri != NULL && ri->rsp_search_result != NULL && clist_count(ri->rsp_search_result) > 0;
}

/* A UID set as we wrote it: digits, ':' and ','. */
static bool uid_set_ok(const char *set)
{
	if (set == NULL || set[0] == '\0')
		return false;
	for (const char *p = set; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == ':' || *p == ','))
			return false;
	return true;
}

/* One queued action.  When it was sent before (a crash or a drop came
 * before its OK), look first: flags and expunges are the same done twice,
 * a copy, move or append is not.  *skipped: it was found done. */
static int replay_one(struct imap *m, const struct imap_outbox_entry *e, bool *skipped)
{
	struct buf q = BUF_INIT;
	uint32_t uid = 0;
	bool found = false;
	int r = MAILIMAP_NO_ERROR;

	*skipped = false;
	buf_init(&q);
	switch (e->op) {
	case IMAP_OP_FLAGS:
		r = store_flags(m, e->uid, e->set, e->clear);
		break;
	case IMAP_OP_EXPUNGE:
		if (!uid_set_ok(e->uids))
			r = MAILIMAP_ERROR_EXTENSION;
		else if (m->uidplus)
			r = cmd(m, "UID EXPUNGE %s", e->uids);
		else
			r = cmd(m, "EXPUNGE");
		break;
	case IMAP_OP_COPY:
	case IMAP_OP_MOVE:
		if (e->target == NULL || !quote_mailbox(e->target, &q)) {
			r = MAILIMAP_ERROR_EXTENSION;
			break;
		}
		if (e->attempted && e->op == IMAP_OP_MOVE && !uid_present(m, e->uid, &r)) {
			*skipped = true; /* moved (or gone): nothing to do */
			break;
		}
		if (r == MAILIMAP_NO_ERROR && e->attempted)
			r = find_msgid(m, e->target, e->message_id, e->folder, &found);
		if (r != MAILIMAP_NO_ERROR)
			break;
		if (found) {
			*skipped = true;
			if (e->op == IMAP_OP_MOVE)
				r = delete_uid(m, e->uid); /* copied, the original left */
			break;
		}
		r = copy_move_cmds(m, e->uid, q.data, e->op == IMAP_OP_MOVE);
		break;
	case IMAP_OP_APPEND:
		if (e->attempted) {
			r = find_msgid(m, e->folder, e->message_id, NULL, &found);
			if (r != MAILIMAP_NO_ERROR)
				break;
			if (found) {
				*skipped = true;
				break;
			}
		}
		r = append_cmd(m, e->folder, e->data != NULL ? e->data : "", e->len, e->set, &uid);
		break;
	}
	buf_release(&q);
	return r;
}

/* Drop an action the server will not take, and say so. */
static int refuse(struct imap *m, struct imap_outbox_entry *e, const char *why)
{
	static const char *const names[] = { "?", "flags", "expunge", "copy", "move", "append" };

	m->st.replay_refused++;
	snprintf(m->refused, sizeof(m->refused), "a queued %s in %s was dropped: %s",
	         names[e->op <= IMAP_OP_APPEND ? e->op : 0], e->folder, why);
	return icache_outbox_remove(m->ic, e->id);
}

static int replay(struct imap *m, char *err, size_t errlen)
{
	struct imap_outbox_entry e;
	char *saved = m->sel, *rsel = NULL;
	uint32_t ruidv = 0;
	unsigned n = 0;
	int rc = WARY_OK;

	cache_ready(m->s, m);
	if (m->ic == NULL || icache_outbox_count(m->ic) == 0)
		return WARY_OK;
	/* Untagged FETCH and VANISHED of the folders visited here are not the
	 * selected folder's: with no folder selected they are not taken. */
	m->sel = NULL;
	memset(&e, 0, sizeof(e));
	while (rc == WARY_OK && m->im != NULL && icache_outbox_first(m->ic, &e)) {
		bool skipped = false;
		char text[256];
		int r = MAILIMAP_NO_ERROR;

		if (e.op != IMAP_OP_APPEND && (rsel == NULL || strcmp(rsel, e.folder) != 0)) {
			free(rsel);
			rsel = NULL;
			r = replay_select(m, e.folder, &ruidv);
			if (r == MAILIMAP_NO_ERROR)
				rsel = xstrdup(e.folder);
		}
		if (r == MAILIMAP_NO_ERROR && e.op != IMAP_OP_APPEND && ruidv != e.uidvalidity) {
			rc = refuse(m, &e, "the folder was renumbered (UIDVALIDITY changed)");
			imap_outbox_entry_clear(&e);
			continue;
		}
		if (r == MAILIMAP_NO_ERROR && !e.attempted &&
		    icache_outbox_mark_attempted(m->ic, e.id) != WARY_OK) {
			rc = err_set(err, errlen, WARY_EIO, "the outbox cannot be written");
			break;
		}
		if (r == MAILIMAP_NO_ERROR)
			r = replay_one(m, &e, &skipped);
		if (r != MAILIMAP_NO_ERROR) {
			if (lost(r)) {
				rc = fail(m, r, "replay", err, errlen);
				break;
			}
			server_text(m, text, sizeof(text));
			rc = refuse(m, &e, text);
			imap_outbox_entry_clear(&e);
			continue;
		}
		n++;
		if (skipped)
			m->st.replay_skipped++;
		else
			m->st.replayed++;
		if (m->replay_hook != NULL)
			m->replay_hook(m->replay_ctx, n);
		rc = icache_outbox_remove(m->ic, e.id);
		imap_outbox_entry_clear(&e);
	}
	imap_outbox_entry_clear(&e);
	free(rsel);
	m->sel = saved;
	if (rc == WARY_EIO)
		err_set(err, errlen, WARY_EIO, "the outbox cannot be written");
	return rc;
}

/* ---- the connection, as the worker sees it ---- */

void imap_connection_state(struct store *s, struct store_conn_state *out)
{
	struct imap *m = store_priv(s);
	int64_t now = mono_ms();

	memset(out, 0, sizeof(*out));
	cache_ready(s, m);
	out->queued = m->ic != NULL ? (size_t)icache_outbox_count(m->ic) : 0;
	out->refused = m->st.replay_refused;
	out->attempts = m->attempts;
	if (m->im != NULL) {
		out->state = STORE_CONN_ONLINE;
		str_copy(out->reason, m->refused, sizeof(out->reason));
		return;
	}
	out->state = m->offline ? STORE_CONN_OFFLINE : STORE_CONN_RECONNECTING;
	out->from_cache = !m->ever_online;
	out->retry_in_ms = m->offline || m->next_ms <= now ? 0 : (long)(m->next_ms - now);
	str_copy(out->reason, m->reason, sizeof(out->reason));
}

int imap_reconnect(struct store *s, char *err, size_t errlen)
{
	struct imap *m = store_priv(s);

	return reconnect(m, true, err, errlen);
}

void imap_set_replay_hook(struct store *s, void (*hook)(void *ctx, unsigned n), void *ctx)
{
	struct imap *m = store_priv(s);

	m->replay_hook = hook;
	m->replay_ctx = ctx;
}

void imap_set_backoff(struct store *s, int first_ms)
{
	struct imap *m = store_priv(s);

	m->backoff_first_ms = first_ms > 0 ? first_ms : BACKOFF_FIRST_MS;
}

void imap_set_probe(struct store *s, int probe_ms)
{
	struct imap *m = store_priv(s);

	m->probe_ms = probe_ms > 0 ? probe_ms : PROBE_MS;
}

/* Sleep on fd until it is readable or the monotonic time until (INT64_MAX:
 * no limit). */
static int wait_fd(int fd, int64_t until, char *err, size_t errlen)
{
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t left = until == INT64_MAX ? -1 : until - mono_ms();
		int n;

		if (until != INT64_MAX && left < 0)
			left = 0;
		n = poll(&p, fd >= 0 ? 1 : 0, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			return STORE_WAIT_WAKE;
		if (n == 0 && (until == INT64_MAX || mono_ms() < until))
			continue; /* a wait longer than poll's int */
		if (n == 0)
			return STORE_WAIT_TIMEOUT;
		if (errno != EINTR)
			return err_set(err, errlen, WARY_EIO, "poll: %s", strerror(errno));
	}
}

/* What the server announced since the last check: new messages (EXISTS),
 * expunges, flag changes of other clients. */
static bool news(struct imap *m)
{
	struct mailimap_response_info *ri;
	struct mailimap_selection_info *si;

	if (m->im == NULL)
		return false;
	ri = m->im->imap_response_info;
	si = m->im->imap_selection_info;
	if (ri != NULL && ri->rsp_expunged != NULL && clist_count(ri->rsp_expunged) > 0)
		m->expunge_seen = true;
	take_vanished(m, &m->gone_pending, &m->ngone_pending, &m->capgone_pending);
	return (si != NULL && si->sel_exists != m->exists) || m->npending > 0 ||
	       m->ngone_pending > 0 || m->expunge_seen;
}

/* A short command (NOOP; DONE when idle, which has no tag of its own)
 * whose answer must start within probe_ms, else the peer is gone. */
static int probe_cmd(struct imap *m, const char *line, bool done, char *err, size_t errlen)
{
	int r = MAILIMAP_NO_ERROR, w, state = -1;
	char why[WARY_ERRLEN];

	if (!done) {
		m->st.commands++;
		r = mailimap_send_current_tag(m->im);
	}
	if (r == MAILIMAP_NO_ERROR)
		r = send_line(m, line, strlen(line), false);
	if (r != MAILIMAP_NO_ERROR) {
		if (done)
			mailstream_unsetup_idle(m->im->imap_stream);
		return fail(m, r, line, err, errlen);
	}
	w = net_imap_wait(m->im, -1, m->probe_ms, why, sizeof(why));
	if (done)
		mailstream_unsetup_idle(m->im->imap_stream);
	if (w == NET_WAIT_TIMEOUT) {
		m->st.probe_timeouts++;
		snprintf(why, sizeof(why), "no answer to %s within %d s", line,
		         (m->probe_ms + 999) / 1000);
	}
	if (w < 0 || w == NET_WAIT_TIMEOUT) {
		int64_t soon = mono_ms() + m->backoff_first_ms;

		conn_lost(m, why);
		/* The peer is likely out of reach: the request that ended the
		 * IDLE is queued at once rather than wait on a connect that
		 * may take the whole timeout; the attempt comes after. */
		if (w == NET_WAIT_TIMEOUT && m->next_ms < soon)
			m->next_ms = soon;
		return err_set(err, errlen, WARY_ENET, "%s", why);
	}
	r = read_response(m, false, &state);
	if (r == MAILIMAP_NO_ERROR && state != MAILIMAP_RESP_COND_STATE_OK)
		r = MAILIMAP_ERROR_EXTENSION;
	if (r != MAILIMAP_NO_ERROR)
		return fail(m, r, line, err, errlen);
	return WARY_OK;
}

static int noop_wait(struct imap *m, int wake_fd, int timeout_ms, int64_t deadline, char *err,
                     size_t errlen)
{
	int64_t every = timeout_ms >= 0 && timeout_ms < POLL_MS ? timeout_ms : POLL_MS;

	for (;;) {
		int64_t next = mono_ms() + every;
		int rc = wait_fd(wake_fd, next < deadline ? next : deadline, err, errlen);

		if (rc != STORE_WAIT_TIMEOUT)
			return rc;
		m->st.noops++;
		rc = probe_cmd(m, "NOOP", false, err, errlen);
		if (rc != WARY_OK)
			return rc;
		if (news(m))
			return STORE_WAIT_CHANGED;
		if (mono_ms() >= deadline)
			return STORE_WAIT_TIMEOUT;
	}
}

static int idle_wait(struct imap *m, int wake_fd, int64_t deadline, char *err, size_t errlen)
{
	for (;;) {
		int64_t until = mono_ms() + IDLE_MAX_MS, left;
		int w, r, rc;

		if (m->idle_check_ms < IDLE_MAX_MS)
			until = mono_ms() + m->idle_check_ms;
		if (until > deadline)
			until = deadline;
		/* A request already waiting: no IDLE and DONE for nothing. */
		if (wait_fd(wake_fd, 0, err, errlen) == STORE_WAIT_WAKE)
			return STORE_WAIT_WAKE;
		mailstream_setup_idle(m->im->imap_stream);
		m->st.idles++;
		m->st.commands++;
		r = mailimap_idle(m->im);
		if (r != MAILIMAP_NO_ERROR) {
			mailstream_unsetup_idle(m->im->imap_stream);
			return fail(m, r, "IDLE", err, errlen);
		}
		left = until - mono_ms();
		w = net_imap_wait(m->im, wake_fd, left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left,
		                  err, errlen);
		if (w < 0) {
			mailstream_unsetup_idle(m->im->imap_stream);
			conn_lost(m, err);
			return WARY_ENET;
		}
		rc = probe_cmd(m, "DONE", true, err, errlen);
		if (rc != WARY_OK)
			return rc;
		if (news(m))
			return STORE_WAIT_CHANGED;
		if (w == NET_WAIT_WAKE)
			return STORE_WAIT_WAKE;
		if (w == NET_WAIT_TIMEOUT && mono_ms() >= deadline)
			return STORE_WAIT_TIMEOUT;
		/* Data that was no news ("* OK Still here"), or time to renew. */
	}
}

int imap_wait(struct store *s, int wake_fd, int timeout_ms, char *err, size_t errlen)
{
	struct imap *m = store_priv(s);
	int64_t deadline = timeout_ms < 0 ? INT64_MAX : mono_ms() + timeout_ms;
	int rc;

	if (m->im == NULL) {
		/* Down: sleep until the next attempt is due, never in a loop. */
		int64_t until = m->offline || m->next_ms > deadline ? deadline : m->next_ms;

		rc = wait_fd(wake_fd, until, err, errlen);
		if (rc != STORE_WAIT_TIMEOUT)
			return rc;
		if (m->offline || mono_ms() < m->next_ms)
			return STORE_WAIT_TIMEOUT;
		rc = reconnect(m, false, err, errlen);
		if (rc != WARY_OK)
			return rc;
	}
	if (m->resync_due) {
		m->resync_due = false;
		return STORE_WAIT_CHANGED;
	}
	if (news(m))
		return STORE_WAIT_CHANGED;
	if (m->sel == NULL)
		return wait_fd(wake_fd, deadline, err, errlen);
	if (!m->idle)
		rc = noop_wait(m, wake_fd, timeout_ms, deadline, err, errlen);
	else
		rc = idle_wait(m, wake_fd, deadline, err, errlen);
	/* A killed connection may end in the middle of a response (a parse
	 * error): to the worker it is the same drop. */
	return rc < 0 && m->im == NULL ? WARY_ENET : rc;
}
