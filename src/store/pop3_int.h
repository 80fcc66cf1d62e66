#ifndef WARY_POP3_INT_H
#define WARY_POP3_INT_H
/*
 * Inside src/store only: the record of what POP3 download has put into a
 * Maildir, kept so that a message is never lost and never stored twice.
 *
 * Two records, written in this order for every message:
 *
 *   1. the journal, a file in the Maildir itself (wary-pop3-NAME.uidl),
 *      appended and fsynced: "T uidl size sha256 time" before delivery
 *      (the intent), "S uidl file" after maildir_deliver returned, "D uidl"
 *      once a QUIT confirmed the server deleted it;
 *   2. the table, an SQLite file in the cache directory: one row per UIDL
 *      with its size, content hash, file name and download time.
 *
 * The journal is the truth and the table a fast, queryable copy of it.
 * A table that is lost, corrupt or of another schema version is rebuilt
 * from the journal; a crash between delivery and the S line leaves a T
 * line without its S, resolved at the next open by looking for a file of
 * that size and SHA-256 in new/ and cur/.  The server deletes a message
 * only after its S line is on disk, so whatever the server no longer
 * holds is recorded, and whatever is recorded is never fetched again.
 */
#include "base/base.h"
#include "store/store.h"

/* Bump when a table or the meaning of a column changes. */
#define POP3_UIDL_SCHEMA 1
/* RFC 1939: 1 to 70 characters in 0x21..0x7E. */
#define POP3_UIDL_MAX 70
#define POP3_SHA_HEX 65 /* 64 hex digits and the NUL */

struct pop3_uidl;

struct pop3_uidl_rec {
	int64_t size;             /* bytes stored in the Maildir */
	char sha256[POP3_SHA_HEX];
	char *file;               /* Maildir file name at delivery */
	int64_t downloaded;       /* unix time */
	bool deleted;             /* the server confirmed the deletion */
};
void pop3_uidl_rec_clear(struct pop3_uidl_rec *r);

/* What open found and did. */
struct pop3_uidl_open_info {
	bool rebuilt;         /* the table was created anew (none, corrupt, other version) */
	size_t replayed;      /* rows taken from the journal */
	size_t adopted;       /* interrupted deliveries found in the Maildir */
	size_t bad_lines;     /* journal lines that could not be read */
};

/*
 * Open the table at db_path for deliveries into maildir, whose journal is
 * maildir/journal_name.  Takes an exclusive lock (db_path + ".lock"): a
 * second open of the same account fails with WARY_ERR while the first is
 * open.  A db_path holding an SQLite file that is not ours is left alone
 * (WARY_ERR).  info may be NULL.
 */
int pop3_uidl_open(const char *db_path, const char *maildir, const char *journal_name,
                   struct pop3_uidl **out, struct pop3_uidl_open_info *info, char *err,
                   size_t errlen);
void pop3_uidl_close(struct pop3_uidl **u);

/* 1 and rec filled (rec may be NULL), 0 not recorded, or a WARY_E*. */
int pop3_uidl_get(struct pop3_uidl *u, const char *uidl, struct pop3_uidl_rec *rec);
/* The UIDLs of rows whose content has this hash (caller frees with
 * store_keys_free). */
int pop3_uidl_find_sha(struct pop3_uidl *u, const char *sha256, char ***uidls, size_t *n);
/* Journal the intent to deliver (before maildir_deliver). */
int pop3_uidl_intend(struct pop3_uidl *u, const char *uidl, int64_t size, const char *sha256,
                     int64_t now, char *err, size_t errlen);
/* Record a delivered message: the S line (fsynced), then the row. */
int pop3_uidl_record(struct pop3_uidl *u, const char *uidl, int64_t size, const char *sha256,
                     const char *file, int64_t now, char *err, size_t errlen);
/* The server confirmed these deletions (after QUIT). */
int pop3_uidl_mark_deleted(struct pop3_uidl *u, char *const *uidls, size_t n, char *err,
                           size_t errlen);
/* Forget rows the server no longer lists (listed: its UIDLs, sorted with
 * strcmp) when their deletion was confirmed or their content is listed
 * under a newer UIDL; rewrite the journal from the table when it has
 * grown well past it. */
int pop3_uidl_prune(struct pop3_uidl *u, char *const *listed, size_t n, char *err,
                    size_t errlen);
/* Rewrite the journal from the table (atomically). */
int pop3_uidl_compact(struct pop3_uidl *u, char *err, size_t errlen);
long pop3_uidl_count(struct pop3_uidl *u);

/* store_open_account for kind "pop3": the account's Maildir (made when
 * missing), read as any Maildir; downloading is store_pop3_fetch. */
int pop3_open_account(const struct store_account *acct, struct store **out, char *err,
                      size_t errlen);

/* Lower-case hex SHA-256 of data. */
void pop3_sha256_hex(const void *data, size_t len, char out[POP3_SHA_HEX]);
/* A UIDL is safe to keep and to write into the journal. */
bool pop3_uidl_valid(const char *uidl, size_t len);

#endif
