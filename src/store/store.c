/* The store front: dispatch to a backend's ops table and keep what every
 * backend shares (location, current folder, cache file). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"
#include "store/store.h"
#include "store/pop3_int.h"
#include "store/imap_int.h"
#include "store/store_int.h"

struct store {
	const struct store_ops *ops;
	void *priv;
	char *location;
	char *current;
	char *cache_path; /* NULL: no cache */
};

void store_row_clear(struct store_row *r)
{
	if (r == NULL)
		return;
	if (r->packed) {
		free(r->key); /* the block of every string */
		memset(r, 0, sizeof(*r));
		return;
	}
	free(r->key);
	free(r->from);
	free(r->to);
	free(r->subject);
	free(r->message_id);
	free(r->in_reply_to);
	free(r->references);
	free(r->content_type);
	memset(r, 0, sizeof(*r));
}

void store_row_copy(struct store_row *d, const struct store_row *src)
{
	memset(d, 0, sizeof(*d));
	d->key = xstrdup(src->key);
	d->flags = src->flags;
	d->date = src->date;
	d->size = src->size;
	d->from = xstrdup_null(src->from);
	d->to = xstrdup_null(src->to);
	d->subject = xstrdup_null(src->subject);
	d->message_id = xstrdup_null(src->message_id);
	d->in_reply_to = xstrdup_null(src->in_reply_to);
	d->references = xstrdup_null(src->references);
	d->content_type = xstrdup_null(src->content_type);
}

void store_folder_clear(struct store_folder *f)
{
	if (f == NULL)
		return;
	free(f->name);
	free(f->id);
	free(f->special);
	memset(f, 0, sizeof(*f));
}

void store_folders_free(struct store_folder **v, size_t n)
{
	if (v == NULL || *v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_folder_clear(&(*v)[i]);
	free(*v);
	*v = NULL;
}

void store_keys_free(char **keys, size_t n)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

struct store *store_new_with(const struct store_ops *ops, void *priv)
{
	struct store *s = xcalloc(1, sizeof(*s));

	s->ops = ops;
	s->priv = priv;
	s->current = xstrdup("INBOX");
	return s;
}

void *store_priv(struct store *s)
{
	return s->priv;
}

void store_set_priv(struct store *s, void *priv)
{
	s->priv = priv;
}

void store_set_current(struct store *s, const char *folder)
{
	free(s->current);
	s->current = xstrdup(folder);
}

void store_set_location(struct store *s, const char *location)
{
	free(s->location);
	s->location = xstrdup(location);
}

/* 64-bit FNV-1a: names the cache file of a location; not a security
 * boundary, only a way to keep one file per mailbox. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

char *store_default_cache_path(const char *dir, const char *kind, const char *location)
{
	char *real = realpath(location, NULL);
	char *p = xasprintf("%s/%s-%016llx.db", dir, kind,
	                    (unsigned long long)fnv1a(real != NULL ? real : location));

	free(real);
	return p;
}

void store_set_cache(struct store *s, const char *path_or_null)
{
	free(s->cache_path);
	s->cache_path = xstrdup_null(path_or_null);
}

const char *store_cache_path(const struct store *s)
{
	return s->cache_path;
}

int store_open(const char *location, struct store **out, char *err, size_t errlen)
{
	struct store *s;
	struct stat st;
	char *dir;
	int rc;

	*out = NULL;
	if (location == NULL || location[0] == '\0')
		return err_set(err, errlen, WARY_ENOENT, "no mailbox given");
	if (stat(location, &st) < 0)
		return err_set(err, errlen, errno == ENOENT ? WARY_ENOENT : WARY_EIO, "%s: %s",
		               location, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(err, errlen, WARY_EPARSE, "%s: not a Maildir (not a directory)",
		               location);
	s = store_new_with(&store_maildir_ops, NULL);
	s->location = xstrdup(location);
	dir = fs_xdg_dir(FS_XDG_CACHE);
	s->cache_path = store_default_cache_path(dir, store_maildir_ops.kind, location);
	free(dir);
	rc = s->ops->open(s, location, err, errlen);
	if (rc != WARY_OK) {
		if (s->priv != NULL)
			s->ops->close(s); /* what open set up before it failed */
		s->ops = NULL;
		store_free(&s);
		return rc;
	}
	*out = s;
	return WARY_OK;
}

int store_open_account(const struct store_account *acct, struct store **out, char *err,
                       size_t errlen)
{
	*out = NULL;
	if (acct == NULL || acct->kind == NULL)
		return err_set(err, errlen, WARY_ERR, "no account given");
	/* One case per server kind; each backend adds its own. */
	if (strcmp(acct->kind, "imap") == 0)
		return imap_open_account(acct, 0, out, err, errlen);
	if (strcmp(acct->kind, "pop3") == 0)
		return pop3_open_account(acct, out, err, errlen);
	return err_set(err, errlen, WARY_ERR, "account %s: %s accounts are not supported yet",
	               acct->name ? acct->name : "?", acct->kind);
}

void store_free(struct store **ps)
{
	struct store *s = ps ? *ps : NULL;

	if (s == NULL)
		return;
	if (s->ops != NULL && s->ops->close != NULL)
		s->ops->close(s);
	free(s->location);
	free(s->current);
	free(s->cache_path);
	free(s);
	*ps = NULL;
}

const char *store_kind(const struct store *s)
{
	return s->ops->kind;
}

const char *store_location(const struct store *s)
{
	return s->location;
}

const char *store_current(const struct store *s)
{
	return s->current;
}

int store_list_folders(struct store *s, struct store_folder **out, size_t *n,
                       char *err, size_t errlen)
{
	return s->ops->list_folders(s, out, n, err, errlen);
}

int store_select(struct store *s, const char *folder, char *err, size_t errlen)
{
	return s->ops->select(s, folder, err, errlen);
}

int store_index(struct store *s, store_row_cb cb, void *ctx, char *err, size_t errlen)
{
	return s->ops->index(s, cb, ctx, err, errlen);
}

int store_fetch(struct store *s, const char *key, struct buf *out, char *err, size_t errlen)
{
	return s->ops->fetch(s, key, out, err, errlen);
}

int store_fetch_part(struct store *s, const char *key, const char *part, struct buf *out,
                     char *err, size_t errlen)
{
	struct buf whole = BUF_INIT;
	size_t off, len;
	int rc;

	if (!store_part_id_valid(part))
		return err_set(err, errlen, WARY_ENOENT, "not a part number");
	if (s->ops->fetch_part != NULL)
		return s->ops->fetch_part(s, key, part, out, err, errlen);
	buf_init(&whole);
	rc = s->ops->fetch(s, key, &whole, err, errlen);
	if (rc == WARY_OK)
		rc = store_part_cut(whole.data, whole.len, part, &off, &len, err, errlen);
	if (rc == WARY_OK)
		buf_add(out, whole.data + off, len);
	buf_release(&whole);
	return rc;
}

int store_set_flags(struct store *s, const char *key, unsigned set, unsigned clear,
                    char *err, size_t errlen)
{
	return s->ops->set_flags(s, key, set, clear, err, errlen);
}

int store_expunge(struct store *s, char *err, size_t errlen)
{
	return s->ops->expunge(s, err, errlen);
}

int store_copy(struct store *s, const char *key, const char *folder, char *err, size_t errlen)
{
	return s->ops->copy(s, key, folder, err, errlen);
}

int store_move(struct store *s, const char *key, const char *folder, char *err, size_t errlen)
{
	return s->ops->move(s, key, folder, err, errlen);
}

int store_append(struct store *s, const char *folder, const char *data, size_t len,
                 unsigned flags, char **key_out, char *err, size_t errlen)
{
	return s->ops->append(s, folder, data, len, flags, key_out, err, errlen);
}

int store_check(struct store *s, bool *changed, char *err, size_t errlen)
{
	return s->ops->check(s, changed, err, errlen);
}

int store_check_changes(struct store *s, store_row_cb cb, void *ctx, char ***vanished,
                        size_t *nvanished, char *err, size_t errlen)
{
	if (s->ops->check_changes == NULL) {
		bool changed = false;

		*vanished = NULL;
		*nvanished = 0;
		return s->ops->check(s, &changed, err, errlen);
	}
	return s->ops->check_changes(s, cb, ctx, vanished, nvanished, err, errlen);
}

int store_search(struct store *s, const struct pattern *p, char ***keys, size_t *n,
                 char *err, size_t errlen)
{
	*keys = NULL;
	*n = 0;
	if (s->ops->search == NULL)
		return err_set(err, errlen, WARY_ERR, "%s folders cannot be searched", s->ops->kind);
	return s->ops->search(s, p, keys, n, err, errlen);
}
