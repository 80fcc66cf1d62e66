/* The Maildir backend.
 *
 * A message is a file in new/ or cur/; its key is the file name without
 * the ":2,FLAGS" info, so it survives flag changes.  Another client may
 * rename or remove any file at any moment: every operation that touches
 * a file copes with ENOENT by looking the key up on disk again, and no
 * file is ever unlinked before its copy is on disk and fsynced.
 *
 * The index is read for speed: readdir both directories, send the newest
 * rows first (the file names start with the delivery time), then the
 * rest in batches; read only the header block of each file, from the
 * header cache when the file's size and mtime still match, and with two
 * threads when many files must be read. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/base.h"
#include "pattern/pattern.h"
#include "store/store.h"
#include "store/store_int.h"

#define FIRST_BATCH 200
#define BATCH 1000
#define THREAD_MIN 64 /* misses in a batch before more threads help */
/* Reader threads: more than the CPUs, because a cold read waits on the
 * disk and several requests in flight keep it busy. */
#ifndef READERS
#define READERS 4
#endif
#define READ_FIRST (16 * 1024)
#define MAX_MESSAGE (256 * 1024 * 1024)
#define MAX_FOLDERS 10000
#define MAX_FOLDER_DEPTH 6

enum { SUB_NEW = 0, SUB_CUR = 1 };
static const char *const subdirs[] = { "new", "cur" };

struct md_msg {
	char *name;      /* file name in new/ or cur/ */
	uint32_t keylen; /* the key is name[0..keylen) */
	uint32_t hash;   /* of the key, to skip most compares */
	uint64_t ino;    /* from readdir: reading in inode order is kind to disks */
	uint8_t sub;
	bool dead;
};

/* The messages of the selected folder and a hash from key to index. */
struct md_list {
	struct md_msg *v;
	size_t n, cap;
	uint32_t *slots; /* 0 empty, else index + 1 */
	size_t nslots;
};

struct maildir {
	char *root;
	bool root_is_maildir;
	char *sel_id;
	char *sel_path;
	struct md_list list;
	bool indexed;
	struct hcache *hc;
	char *hc_path; /* the path hc was opened with */
	bool hc_failed;
};

/* ---- names and flags ---- */

static const struct {
	char c;
	unsigned flag;
} flag_chars[] = {
	/* in ASCII order, as the info must be */
	{ 'D', STORE_DRAFT }, { 'F', STORE_FLAGGED }, { 'P', STORE_PASSED },
	{ 'R', STORE_ANSWERED }, { 'S', STORE_SEEN }, { 'T', STORE_DELETED },
};

/* Where the info (":2,...") starts, or NULL. */
static const char *info_of(const char *name)
{
	const char *c = strrchr(name, ':');

	if (c != NULL && (c[1] == '2' || c[1] == '1') && c[2] == ',')
		return c;
	return NULL;
}

static uint32_t key_len(const char *name)
{
	const char *i = info_of(name);
	size_t n = i ? (size_t)(i - name) : strlen(name);

	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

void maildir_flags_to_info(unsigned flags, char out[16])
{
	size_t n = 0;

	out[n++] = '2';
	out[n++] = ',';
	for (size_t i = 0; i < ARRAY_SIZE(flag_chars); i++)
		if (flags & flag_chars[i].flag)
			out[n++] = flag_chars[i].c;
	out[n] = '\0';
}

unsigned maildir_info_to_flags(const char *name)
{
	const char *i = info_of(name);
	unsigned flags = 0;

	if (i == NULL || i[1] != '2')
		return 0;
	for (i += 3; *i; i++)
		for (size_t k = 0; k < ARRAY_SIZE(flag_chars); k++)
			if (*i == flag_chars[k].c)
				flags |= flag_chars[k].flag;
	return flags;
}

static unsigned msg_flags(const struct md_msg *m)
{
	return maildir_info_to_flags(m->name) | (m->sub == SUB_NEW ? STORE_NEW : 0);
}

/* The new info for a file: our flags, plus any flag letters we do not
 * know (keywords of other clients), in ASCII order. */
static void merge_info(const char *oldname, unsigned flags, struct buf *out)
{
	const char *i = info_of(oldname);
	bool have[128] = { false };

	for (size_t k = 0; k < ARRAY_SIZE(flag_chars); k++)
		if (flags & flag_chars[k].flag)
			have[(unsigned char)flag_chars[k].c] = true;
	if (i != NULL && i[1] == '2') {
		for (const char *p = i + 3; *p; p++) {
			unsigned char c = (unsigned char)*p;
			bool known = false;

			for (size_t k = 0; k < ARRAY_SIZE(flag_chars); k++)
				known |= flag_chars[k].c == (char)c;
			if (!known && c < 128 && c > 0x20 && c != 0x7f)
				have[c] = true;
		}
	}
	buf_adds(out, ":2,");
	for (int c = 0x21; c < 0x7f; c++)
		if (have[c])
			buf_addch(out, c);
}

/* ---- the key -> message table ---- */

static uint64_t hash_key(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void list_clear(struct md_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	free(l->slots);
	memset(l, 0, sizeof(*l));
}

static void slots_insert(struct md_list *l, size_t idx)
{
	const struct md_msg *m = &l->v[idx];
	size_t mask = l->nslots - 1, s = m->hash & mask;

	while (l->slots[s] != 0)
		s = (s + 1) & mask;
	l->slots[s] = (uint32_t)(idx + 1);
}

static void slots_rebuild(struct md_list *l)
{
	size_t want = 64;

	while (want < l->n * 2 + 2)
		want *= 2;
	free(l->slots);
	l->nslots = want;
	l->slots = xcalloc(want, sizeof(uint32_t));
	for (size_t i = 0; i < l->n; i++)
		slots_insert(l, i);
}

/* Index of the live message with this key, or -1. */
static long list_find(const struct md_list *l, const char *key, size_t keylen)
{
	size_t mask, s;
	uint32_t h;

	if (l->nslots == 0)
		return -1;
	mask = l->nslots - 1;
	h = (uint32_t)hash_key(key, keylen);
	s = h & mask;
	for (; l->slots[s] != 0; s = (s + 1) & mask) {
		const struct md_msg *m = &l->v[l->slots[s] - 1];

		if (m->hash == h && !m->dead && m->keylen == keylen &&
		    memcmp(m->name, key, keylen) == 0)
			return (long)(l->slots[s] - 1);
	}
	return -1;
}

static size_t list_add(struct md_list *l, const char *name, uint8_t sub, uint64_t ino)
{
	struct md_msg *m;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	m = &l->v[l->n++];
	m->name = xstrdup(name);
	m->keylen = key_len(name);
	m->hash = (uint32_t)hash_key(name, m->keylen);
	m->sub = sub;
	m->ino = ino;
	m->dead = false;
	if (l->n * 2 + 2 > l->nslots)
		slots_rebuild(l);
	else
		slots_insert(l, l->n - 1);
	return l->n - 1;
}

/* ---- directories ---- */

static bool is_maildir(const char *path)
{
	struct stat st;
	char *p;
	bool ok;

	p = xasprintf("%s/cur", path);
	ok = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
	free(p);
	if (!ok)
		return false;
	p = xasprintf("%s/new", path);
	ok = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
	free(p);
	return ok;
}

/* Read new/ and cur/ of a Maildir into l.  A name that appears in both
 * (another client in the middle of moving it) is kept once, from cur/. */
static int scan_dirs(const char *path, struct md_list *l, char *err, size_t errlen)
{
	for (int sub = SUB_CUR; sub >= SUB_NEW; sub--) {
		char *dpath = xasprintf("%s/%s", path, subdirs[sub]);
		DIR *d = opendir(dpath);
		struct dirent *e;

		if (d == NULL) {
			int rc = err_set(err, errlen, WARY_EIO, "%s: %s", dpath, strerror(errno));

			free(dpath);
			return rc;
		}
		free(dpath);
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' || e->d_type == DT_DIR)
				continue;
			if (sub == SUB_NEW && list_find(l, e->d_name, key_len(e->d_name)) >= 0)
				continue;
			list_add(l, e->d_name, (uint8_t)sub, (uint64_t)e->d_ino);
		}
		closedir(d);
	}
	return WARY_OK;
}

static char *msg_path(const struct maildir *md, const struct md_msg *m)
{
	return xasprintf("%s/%s/%s", md->sel_path, subdirs[m->sub], m->name);
}

/* Look the key up on disk again (another client renamed or moved the
 * file).  Updates or adds the entry; returns its index or -1. */
static long refind(struct maildir *md, const char *key, size_t keylen)
{
	long idx = list_find(&md->list, key, keylen);

	for (int sub = SUB_CUR; sub >= SUB_NEW; sub--) {
		char *dpath = xasprintf("%s/%s", md->sel_path, subdirs[sub]);
		DIR *d = opendir(dpath);
		struct dirent *e;

		free(dpath);
		if (d == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' || key_len(e->d_name) != keylen ||
			    memcmp(e->d_name, key, keylen) != 0)
				continue;
			if (idx >= 0) {
				struct md_msg *m = &md->list.v[idx];

				free(m->name);
				m->name = xstrdup(e->d_name);
				m->sub = (uint8_t)sub;
			} else {
				idx = (long)list_add(&md->list, e->d_name, (uint8_t)sub,
				                     (uint64_t)e->d_ino);
			}
			closedir(d);
			return idx;
		}
		closedir(d);
	}
	if (idx >= 0)
		md->list.v[idx].dead = true;
	return -1;
}

static long locate(struct maildir *md, const char *key)
{
	long idx = list_find(&md->list, key, strlen(key));

	return idx >= 0 ? idx : refind(md, key, strlen(key));
}

/* ---- folders ---- */

/* Folder ids are relative paths under the root; nothing may climb out. */
static bool safe_id(const char *id)
{
	const char *p = id;

	if (id[0] == '\0' || id[0] == '/')
		return false;
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	for (p = id; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n + (slash != NULL);
	}
	return true;
}

static const char *special_of(const char *name)
{
	static const struct {
		const char *name, *special;
	} specials[] = {
		{ "sent", "sent" },     { "sent items", "sent" },   { "sent mail", "sent" },
		{ "sent messages", "sent" }, { "drafts", "drafts" }, { "draft", "drafts" },
		{ "junk", "junk" },     { "spam", "junk" },         { "trash", "trash" },
		{ "deleted items", "trash" }, { "deleted messages", "trash" },
		{ "archive", "archive" }, { "archives", "archive" },
	};
	const char *last = strrchr(name, '/');

	last = last ? last + 1 : name;
	for (size_t i = 0; i < ARRAY_SIZE(specials); i++)
		if (str_casecmp(last, specials[i].name) == 0)
			return specials[i].special;
	return NULL;
}

/* Resolve a folder id (or display name) to its path; NULL if unknown. */
static char *folder_path(struct maildir *md, const char *folder, char **id_out)
{
	char *p;

	if (folder == NULL || strcmp(folder, "INBOX") == 0) {
		if (md->root_is_maildir) {
			if (id_out)
				*id_out = xstrdup("INBOX");
			return xstrdup(md->root);
		}
		folder = "INBOX";
	}
	if (!safe_id(folder))
		return NULL;
	p = xasprintf("%s/%s", md->root, folder);
	if (is_maildir(p)) {
		if (id_out)
			*id_out = xstrdup(folder);
		return p;
	}
	free(p);
	/* A display name of a Maildir++ folder: "Lists/wary" is ".Lists.wary". */
	if (folder[0] != '.' && strchr(folder, '.') == NULL) {
		struct buf b = BUF_INIT;

		buf_init(&b);
		buf_addch(&b, '.');
		for (const char *c = folder; *c; c++)
			buf_addch(&b, *c == '/' ? '.' : *c);
		p = xasprintf("%s/%s", md->root, b.data);
		if (is_maildir(p)) {
			if (id_out)
				*id_out = buf_detach(&b, NULL);
			buf_release(&b);
			return p;
		}
		free(p);
		buf_release(&b);
	}
	return NULL;
}

static void count_folder(const char *path, unsigned *total, unsigned *unread)
{
	*total = *unread = 0;
	for (int sub = SUB_NEW; sub <= SUB_CUR; sub++) {
		char *dpath = xasprintf("%s/%s", path, subdirs[sub]);
		DIR *d = opendir(dpath);
		struct dirent *e;

		free(dpath);
		if (d == NULL)
			continue;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' || e->d_type == DT_DIR)
				continue;
			(*total)++;
			if (sub == SUB_NEW || !(maildir_info_to_flags(e->d_name) & STORE_SEEN))
				(*unread)++;
		}
		closedir(d);
	}
}

struct folder_vec {
	struct store_folder *v;
	size_t n;
};

static void add_folder(struct folder_vec *fv, const char *name, const char *id, const char *path)
{
	struct store_folder *f;
	const char *sp;

	if (fv->n >= MAX_FOLDERS)
		return;
	fv->v = xreallocarray(fv->v, fv->n + 1, sizeof(*fv->v));
	f = &fv->v[fv->n++];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name);
	f->id = xstrdup(id);
	count_folder(path, &f->total, &f->unread);
	sp = strcmp(id, "INBOX") == 0 ? NULL : special_of(name);
	f->special = xstrdup_null(sp);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walk a plain folder tree (and, at the top, Maildir++ dot folders). */
static void walk(struct maildir *md, const char *rel, int depth, struct folder_vec *fv)
{
	char *dpath = rel[0] ? xasprintf("%s/%s", md->root, rel) : xstrdup(md->root);
	DIR *d = opendir(dpath);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (d == NULL) {
		free(dpath);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN && e->d_type != DT_LNK)
			continue;
		if (strcmp(e->d_name, "cur") == 0 || strcmp(e->d_name, "new") == 0 ||
		    strcmp(e->d_name, "tmp") == 0)
			continue;
		if (n >= MAX_FOLDERS)
			break;
		names = xreallocarray(names, n + 1, sizeof(char *));
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *id = rel[0] ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		char *path = xasprintf("%s/%s", md->root, id);
		struct stat st;

		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
			free(id);
			free(path);
			continue;
		}
		if (names[i][0] == '.') {
			/* Maildir++: only at the top, ".A.B" is folder A/B */
			if (depth == 0 && names[i][1] != '\0' && is_maildir(path)) {
				char *name = xstrdup(names[i] + 1);

				for (char *c = name; *c; c++)
					if (*c == '.')
						*c = '/';
				add_folder(fv, name, id, path);
				free(name);
			}
		} else {
			if (is_maildir(path))
				add_folder(fv, id, id, path);
			if (depth + 1 < MAX_FOLDER_DEPTH)
				walk(md, id, depth + 1, fv);
		}
		free(id);
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dpath);
}

static int md_list_folders(struct store *s, struct store_folder **out, size_t *n,
                           char *err, size_t errlen)
{
	struct maildir *md = store_priv(s);
	struct folder_vec fv = { NULL, 0 };

	if (md->root_is_maildir)
		add_folder(&fv, "INBOX", "INBOX", md->root);
	walk(md, "", 0, &fv);
	*out = fv.v;
	*n = fv.n;
	return WARY_OK;
}

static int do_select(struct maildir *md, struct store *s, const char *folder, char *err,
                     size_t errlen)
{
	char *id = NULL, *path = folder_path(md, folder, &id);

	if (path == NULL)
		return err_set(err, errlen, WARY_ENOENT, "no such folder");
	free(md->sel_id);
	free(md->sel_path);
	md->sel_id = id;
	md->sel_path = path;
	list_clear(&md->list);
	md->indexed = false;
	store_set_current(s, id);
	return WARY_OK;
}

static int md_select(struct store *s, const char *folder, char *err, size_t errlen)
{
	return do_select(store_priv(s), s, folder, err, errlen);
}


static int md_open(struct store *s, const char *location, char *err, size_t errlen)
{
	struct maildir *md = xcalloc(1, sizeof(*md));
	size_t len = strlen(location);
	struct folder_vec fv = { NULL, 0 };
	int rc;

	md->root = xstrdup(location);
	while (len > 1 && md->root[len - 1] == '/')
		md->root[--len] = '\0';
	md->root_is_maildir = is_maildir(md->root);
	store_set_priv(s, md);
	if (md->root_is_maildir)
		return do_select(md, s, "INBOX", err, errlen);
	/* A folder of Maildirs: INBOX if there is one, else the first. */
	walk(md, "", 0, &fv);
	if (fv.n == 0) {
		rc = err_set(err, errlen, WARY_EPARSE,
		             "%s: not a Maildir (no cur/ and new/) and holds no Maildir folders",
		             location);
	} else {
		const char *pick = fv.v[0].id;

		for (size_t i = 0; i < fv.n; i++)
			if (str_casecmp(fv.v[i].name, "INBOX") == 0)
				pick = fv.v[i].id;
		rc = do_select(md, s, pick, err, errlen);
	}
	store_folders_free(&fv.v, fv.n);
	return rc;
}

static void md_close(struct store *s)
{
	struct maildir *md = store_priv(s);

	if (md == NULL)
		return;
	hcache_close(&md->hc);
	free(md->hc_path);
	list_clear(&md->list);
	free(md->root);
	free(md->sel_id);
	free(md->sel_path);
	free(md);
	store_set_priv(s, NULL);
}

/* ---- delivery ---- */

/* The host part of a unique name: "/" and ":" escaped as the Maildir
 * spec says (\057, \072); anything else odd becomes "_". */
static void host_part(struct buf *b)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		str_copy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	for (const char *p = host; *p && p - host < 64; p++) {
		if (*p == '/')
			buf_adds(b, "\\057");
		else if (*p == ':')
			buf_adds(b, "\\072");
		else if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			buf_addch(b, '_');
		else
			buf_addch(b, *p);
	}
}

/* time.M<usec>P<pid>R<random>.host: the Maildir spec's M (microseconds),
 * P (pid) and R (random) parts.  Random rather than a per-process
 * counter because src/ keeps no mutable globals; O_EXCL in tmp/ and
 * link() into new/ or cur/ catch the (vanishing) chance of a clash. */
static void unique_name(struct buf *b, unsigned attempt)
{
	struct timeval tv;
	uint64_t r = 0;
	int fd;

	gettimeofday(&tv, NULL);
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		r = ((uint64_t)tv.tv_usec << 32) ^ (uint64_t)(uintptr_t)b ^ attempt;
	if (fd >= 0)
		close(fd);
	buf_reset(b);
	buf_addf(b, "%lld.M%06ldP%ldR%016llx.", (long long)tv.tv_sec, (long)tv.tv_usec,
	         (long)getpid(), (unsigned long long)r);
	host_part(b);
}

static int ensure_maildir(const char *maildir, char *err, size_t errlen)
{
	int rc = fs_mkdir_p(maildir, 0700, err, errlen);

	for (int i = 0; rc == WARY_OK && i < 3; i++) {
		static const char *const sub[] = { "tmp", "new", "cur" };
		char *p = xasprintf("%s/%s", maildir, sub[i]);

		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			rc = err_set(err, errlen, WARY_EIO, "mkdir %s: %s", p, strerror(errno));
		free(p);
	}
	return rc;
}

/* Put tmp at dst without ever replacing an existing dst. */
static int place(const char *tmp, const char *dst)
{
	if (link(tmp, dst) == 0) {
		unlink(tmp);
		return 0;
	}
	if (errno != EPERM && errno != ENOSYS && errno != EOPNOTSUPP && errno != EMLINK)
		return -1;
	/* A file system without hard links. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (access(dst, F_OK) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(tmp, dst);
}

int maildir_deliver(const char *maildir, const char *data, size_t len, unsigned flags,
                    char **name_out, char *err, size_t errlen)
{
	struct buf name = BUF_INIT, tmp = BUF_INIT, dst = BUF_INIT;
	int rc, fd = -1;

	buf_init(&name);
	buf_init(&tmp);
	buf_init(&dst);
	if (name_out != NULL)
		*name_out = NULL;
	rc = ensure_maildir(maildir, err, errlen);
	if (rc != WARY_OK)
		goto out;
	for (unsigned attempt = 0;; attempt++) {
		if (attempt == 10) {
			rc = err_set(err, errlen, WARY_EIO, "%s: no unique file name after 10 tries",
			             maildir);
			goto out;
		}
		unique_name(&name, attempt);
		buf_reset(&tmp);
		buf_addf(&tmp, "%s/tmp/%s", maildir, name.data);
		fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0) {
			rc = err_set(err, errlen, WARY_EIO, "%s: %s", tmp.data, strerror(errno));
			goto out;
		}
		if (fs_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
			rc = err_set(err, errlen, WARY_EIO, "%s: %s", tmp.data, strerror(errno));
			close(fd);
			fd = -1;
			unlink(tmp.data);
			goto out;
		}
		if (close(fd) < 0) {
			fd = -1;
			rc = err_set(err, errlen, WARY_EIO, "%s: %s", tmp.data, strerror(errno));
			unlink(tmp.data);
			goto out;
		}
		fd = -1;
		buf_reset(&dst);
		if (flags & STORE_NEW) {
			buf_addf(&dst, "%s/new/%s", maildir, name.data);
		} else {
			char info[16];

			maildir_flags_to_info(flags, info);
			buf_addf(&name, ":%s", info);
			buf_addf(&dst, "%s/cur/%s", maildir, name.data);
		}
		if (place(tmp.data, dst.data) == 0)
			break;
		if (errno == EEXIST) {
			unlink(tmp.data);
			continue;
		}
		rc = err_set(err, errlen, WARY_EIO, "%s: %s", dst.data, strerror(errno));
		unlink(tmp.data);
		goto out;
	}
	{
		char *dir = xasprintf("%s/%s", maildir, (flags & STORE_NEW) ? "new" : "cur");

		rc = fs_fsync_dir(dir, err, errlen);
		free(dir);
	}
	if (rc == WARY_OK && name_out != NULL)
		*name_out = buf_detach(&name, NULL);
out:
	if (fd >= 0)
		close(fd);
	buf_release(&name);
	buf_release(&tmp);
	buf_release(&dst);
	return rc;
}

/* ---- reading the index ---- */

enum job_state { J_PENDING, J_OK, J_VANISHED, J_SKIP };

/* A cached row found by the bulk scan, waiting for its batch. */
struct pre {
	int64_t size, mtime, date;
	char *v[7];
	bool have;
};


struct job {
	size_t idx;
	struct pre *pre; /* a cached row to check first, or NULL */
	int64_t mtime;
	enum job_state state;
	bool from_cache;
};

struct reader {
	int dirfd[2];
	char *buf;
	size_t cap;
};

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

/* Delivery time from a name that starts with it, else the mtime. */
static time_t fallback_date(const char *name, int64_t mtime)
{
	long long t = 0;
	int nd = 0;

	for (; name[nd] >= '0' && name[nd] <= '9' && nd < 12; nd++)
		t = t * 10 + (name[nd] - '0');
	if (nd >= 9 && nd <= 11 && (name[nd] == '.' || name[nd] == '_'))
		return (time_t)t;
	return (time_t)(mtime / 1000000000LL);
}

/* Read the header block of one file into row. */
static void read_one(struct reader *rd, const struct md_msg *m, struct job *j,
                     struct store_row *row)
{
	struct stat st;
	size_t got = 0, want, end = SIZE_MAX;
	int fd;
	bool dated;

	/* O_NONBLOCK: a FIFO planted in cur/ must not hang the index. */
	fd = openat(rd->dirfd[m->sub], m->name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		j->state = errno == ENOENT ? J_VANISHED : J_SKIP;
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		j->state = J_SKIP;
		return;
	}
	row->size = (int64_t)st.st_size;
	j->mtime = mtime_ns(&st);
	want = st.st_size < READ_FIRST ? (size_t)st.st_size : READ_FIRST;
	for (;;) {
		if (want > rd->cap) {
			rd->cap = want;
			rd->buf = xrealloc(rd->buf, rd->cap);
		}
		while (got < want) {
			ssize_t n = read(fd, rd->buf + got, want - got);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		end = hdr_block_end(rd->buf, got);
		if (end != SIZE_MAX || got < want || got >= STORE_MAX_HEADER)
			break;
		/* The block goes on: read more, up to the limit. */
		want = want * 4;
		if (want > STORE_MAX_HEADER)
			want = STORE_MAX_HEADER;
		if ((off_t)want > st.st_size && st.st_size > (off_t)got)
			want = (size_t)st.st_size;
		else if (st.st_size <= (off_t)got)
			break;
	}
	close(fd);
	dated = hdr_parse_block(rd->buf, end != SIZE_MAX ? end : got, row);
	if (!dated)
		row->date = fallback_date(m->name, j->mtime);
	j->state = J_OK;
}

struct worker {
	struct reader *rd;
	const struct md_list *list;
	struct job *jobs;
	struct store_row *rows;
	size_t *todo;
	size_t n, start, step;
};

static void pre_clear(struct pre *p)
{
	for (int k = 0; k < 7; k++) {
		free(p->v[k]);
		p->v[k] = NULL;
	}
	p->have = false;
}

/* Use the cached row when the file still has its size and mtime. */
static bool use_pre(struct reader *rd, const struct md_msg *m, struct job *j,
                    struct store_row *r)
{
	struct pre *p = j->pre;
	struct stat st;
	bool hit = false;

	if (fstatat(rd->dirfd[m->sub], m->name, &st, 0) == 0 && S_ISREG(st.st_mode) &&
	    (int64_t)st.st_size == p->size && mtime_ns(&st) == p->mtime) {
		r->size = p->size;
		r->date = (time_t)p->date;
		r->from = p->v[0];
		r->to = p->v[1];
		r->subject = p->v[2];
		r->message_id = p->v[3];
		r->in_reply_to = p->v[4];
		r->references = p->v[5];
		r->content_type = p->v[6];
		memset(p->v, 0, sizeof(p->v));
		j->state = J_OK;
		j->from_cache = true;
		hit = true;
	}
	pre_clear(p);
	return hit;
}

static void *work(void *arg)
{
	struct worker *w = arg;

	for (size_t k = w->start; k < w->n; k += w->step) {
		size_t i = w->todo[k];
		const struct md_msg *m = &w->list->v[w->jobs[i].idx];

		if (w->jobs[i].pre != NULL && use_pre(w->rd, m, &w->jobs[i], &w->rows[i]))
			continue;
		read_one(w->rd, m, &w->jobs[i], &w->rows[i]);
	}
	return NULL;
}

struct indexer {
	struct maildir *md;
	struct pre *pre; /* per list entry, after the bulk scan; NULL before */
	struct reader rd[READERS];
	store_row_cb cb;
	void *ctx;
	size_t done, total;
	size_t uncommitted; /* cache rows written since the last commit */
	bool cancelled;
	/* keys that vanished between readdir and open */
	size_t *vanished;
	size_t nvanished;
};

static void pre_fill(void *ctx, const char *key, size_t keylen, int64_t size, int64_t mtime,
                     int64_t date, const char *const vals[7], const size_t lens[7])
{
	struct indexer *ix = ctx;
	long idx = list_find(&ix->md->list, key, keylen);
	struct pre *p;

	if (idx < 0)
		return;
	p = &ix->pre[idx];
	pre_clear(p);
	p->size = size;
	p->mtime = mtime;
	p->date = date;
	for (int k = 0; k < 7; k++)
		p->v[k] = vals[k] ? xstrndup(vals[k], lens[k]) : NULL;
	p->have = true;
}

static void cache_ready(struct store *s, struct maildir *md)
{
	const char *path = store_cache_path(s);
	char err[WARY_ERRLEN];

	if (path == NULL) {
		hcache_close(&md->hc);
		free(md->hc_path);
		md->hc_path = NULL;
		return;
	}
	if (md->hc != NULL && md->hc_path != NULL && strcmp(md->hc_path, path) == 0)
		return;
	hcache_close(&md->hc);
	free(md->hc_path);
	md->hc_path = xstrdup(path);
	/* Without a usable cache the index is only slower. */
	if (hcache_open(path, &md->hc, err, sizeof(err)) != WARY_OK)
		md->hc = NULL;
}

/* Read rows for list entries idxs[0..n) and hand the good ones to cb. */
static void run_batch(struct indexer *ix, const size_t *idxs, size_t n)
{
	struct maildir *md = ix->md;
	struct job *jobs = xcalloc(n, sizeof(*jobs));
	struct store_row *rows = xcalloc(n, sizeof(*rows));
	size_t *todo = xmalloc(n * sizeof(size_t)), ntodo = 0, nout = 0;

	for (size_t i = 0; i < n; i++) {
		const struct md_msg *m = &md->list.v[idxs[i]];
		struct stat st;

		jobs[i].idx = idxs[i];
		rows[i].key = xstrndup(m->name, m->keylen);
		rows[i].flags = msg_flags(m);
		if (ix->pre != NULL) {
			if (ix->pre[idxs[i]].have)
				jobs[i].pre = &ix->pre[idxs[i]];
		} else if (md->hc != NULL) {
			if (fstatat(ix->rd[0].dirfd[m->sub], m->name, &st, 0) < 0) {
				jobs[i].state = errno == ENOENT ? J_VANISHED : J_SKIP;
				continue;
			}
			if (S_ISREG(st.st_mode) &&
			    hcache_get(md->hc, md->sel_id, rows[i].key, (int64_t)st.st_size,
			               mtime_ns(&st), &rows[i])) {
				rows[i].size = (int64_t)st.st_size;
				jobs[i].state = J_OK;
				jobs[i].from_cache = true;
				continue;
			}
		}
		todo[ntodo++] = i;
	}
	if (ntodo > 0) {
		struct worker w[READERS];
		pthread_t t[READERS];
		bool started[READERS] = { false };
		size_t nthreads = ntodo >= THREAD_MIN ? READERS : 1;

		for (size_t k = 0; k < nthreads; k++) {
			w[k] = (struct worker){ &ix->rd[k], &md->list, jobs, rows, todo, ntodo, k,
				                nthreads };
		}
		/* The calling thread takes the first share; if a thread cannot
		 * start, its share is done here afterwards. */
		for (size_t k = 1; k < nthreads; k++)
			started[k] = pthread_create(&t[k], NULL, work, &w[k]) == 0;
		work(&w[0]);
		for (size_t k = 1; k < nthreads; k++) {
			if (started[k])
				pthread_join(t[k], NULL);
			else
				work(&w[k]);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].state == J_OK) {
			if (!jobs[i].from_cache && md->hc != NULL) {
				/* One transaction for many batches: each commit
				 * rewrites the pages it touched. */
				hcache_begin(md->hc);
				hcache_put(md->hc, md->sel_id, &rows[i], jobs[i].mtime);
				ix->uncommitted++;
			}
			if (nout != i) {
				rows[nout] = rows[i];
				memset(&rows[i], 0, sizeof(rows[i]));
			}
			nout++;
		} else {
			if (jobs[i].state == J_VANISHED) {
				ix->vanished = xreallocarray(ix->vanished, ix->nvanished + 1,
				                             sizeof(size_t));
				ix->vanished[ix->nvanished++] = jobs[i].idx;
			}
			store_row_clear(&rows[i]);
		}
	}
	if (ix->uncommitted >= 20000) {
		hcache_commit(md->hc);
		ix->uncommitted = 0;
	}
	ix->done += nout;
	if (nout > 0 && ix->cb != NULL && !ix->cancelled &&
	    ix->cb(ix->ctx, rows, nout, ix->done, ix->total) != 0)
		ix->cancelled = true;
	for (size_t i = 0; i < nout; i++)
		store_row_clear(&rows[i]);
	free(rows);
	free(jobs);
	free(todo);
}

/* Entries that vanished while reading: look for them again under their
 * new names (a flag change by another client) and read those. */
static void run_vanished(struct indexer *ix)
{
	struct maildir *md = ix->md;
	size_t *again = NULL, n = 0, count = ix->nvanished;
	size_t *list = ix->vanished;

	ix->vanished = NULL;
	ix->nvanished = 0;
	for (size_t i = 0; i < count; i++) {
		struct md_msg *m = &md->list.v[list[i]];
		char *key = xstrndup(m->name, m->keylen);
		long idx = refind(md, key, m->keylen);

		free(key);
		if (idx >= 0) {
			again = xreallocarray(again, n + 1, sizeof(size_t));
			again[n++] = (size_t)idx;
		}
	}
	free(list);
	if (n > 0)
		run_batch(ix, again, n);
	/* A file that vanished twice is gone for this index. */
	for (size_t i = 0; i < ix->nvanished; i++)
		md->list.v[ix->vanished[i]].dead = true;
	free(ix->vanished);
	ix->vanished = NULL;
	ix->nvanished = 0;
	free(again);
}

static int indexer_init(struct indexer *ix, struct maildir *md, char *err, size_t errlen)
{
	memset(ix, 0, sizeof(*ix));
	ix->md = md;
	for (int r = 0; r < READERS; r++)
		ix->rd[r].dirfd[0] = ix->rd[r].dirfd[1] = -1;
	for (int sub = SUB_NEW; sub <= SUB_CUR; sub++) {
		char *p = xasprintf("%s/%s", md->sel_path, subdirs[sub]);
		int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0) {
			int rc = err_set(err, errlen, WARY_EIO, "%s: %s", p, strerror(errno));

			free(p);
			return rc;
		}
		free(p);
		for (int r = 0; r < READERS; r++)
			ix->rd[r].dirfd[sub] = fd;
	}
	return WARY_OK;
}

static void indexer_done(struct indexer *ix)
{
	for (int sub = 0; sub < 2; sub++)
		if (ix->rd[0].dirfd[sub] >= 0)
			close(ix->rd[0].dirfd[sub]);
	for (int r = 0; r < READERS; r++)
		free(ix->rd[r].buf);
	free(ix->vanished);
	if (ix->pre != NULL) {
		for (size_t i = 0; i < ix->md->list.n; i++)
			pre_clear(&ix->pre[i]);
		free(ix->pre);
	}
}

static int cmp_newest(const void *a, const void *b, void *arg)
{
	const struct md_list *l = arg;
	const struct md_msg *x = &l->v[*(const size_t *)a], *y = &l->v[*(const size_t *)b];

	return -strcmp(x->name, y->name);
}

static int cmp_inode(const void *a, const void *b, void *arg)
{
	const struct md_list *l = arg;
	uint64_t x = l->v[*(const size_t *)a].ino, y = l->v[*(const size_t *)b].ino;

	return x < y ? -1 : x > y;
}

/* Put the k newest entries of order[0..n) first, sorted; the rest stay
 * in any order (quickselect: the first screen should not wait for a
 * full sort of a big folder). */
static void newest_first(size_t *order, size_t n, size_t k, const struct md_list *l)
{
	size_t lo = 0, hi = n;

	if (k >= n) {
		qsort_r(order, n, sizeof(size_t), cmp_newest, (void *)l);
		return;
	}
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2, store = lo, tmp;
		size_t pivot;

		/* median of three for a pivot */
		if (cmp_newest(&order[mid], &order[lo], (void *)l) < 0) {
			tmp = order[mid]; order[mid] = order[lo]; order[lo] = tmp;
		}
		if (cmp_newest(&order[hi - 1], &order[lo], (void *)l) < 0) {
			tmp = order[hi - 1]; order[hi - 1] = order[lo]; order[lo] = tmp;
		}
		if (cmp_newest(&order[hi - 1], &order[mid], (void *)l) < 0) {
			tmp = order[hi - 1]; order[hi - 1] = order[mid]; order[mid] = tmp;
		}
		pivot = order[mid];
		tmp = order[mid]; order[mid] = order[hi - 1]; order[hi - 1] = tmp;
		for (size_t i = lo; i < hi - 1; i++) {
			if (cmp_newest(&order[i], &pivot, (void *)l) < 0) {
				tmp = order[i]; order[i] = order[store]; order[store] = tmp;
				store++;
			}
		}
		tmp = order[store]; order[store] = order[hi - 1]; order[hi - 1] = tmp;
		if (store == k || store + 1 == k)
			break;
		if (store > k)
			hi = store;
		else
			lo = store + 1;
	}
	qsort_r(order, k, sizeof(size_t), cmp_newest, (void *)l);
}

static void after_index(struct store *s, struct maildir *md, bool complete)
{
	if (md->hc == NULL)
		return;
	hcache_commit(md->hc);
	if (hcache_broken(md->hc)) {
		/* Corruption found in use: start over next time. */
		hcache_destroy(&md->hc, md->hc_path);
		free(md->hc_path);
		md->hc_path = NULL;
		return;
	}
	if (complete) {
		const char **keys = xmalloc((md->list.n + 1) * sizeof(char *));
		size_t n = 0;

		for (size_t i = 0; i < md->list.n; i++)
			if (!md->list.v[i].dead)
				keys[n++] = xstrndup(md->list.v[i].name, md->list.v[i].keylen);
		hcache_prune(md->hc, md->sel_id, keys, n);
		for (size_t i = 0; i < n; i++)
			free((char *)keys[i]);
		free(keys);
	}
	(void)s;
}

static int md_index(struct store *s, store_row_cb cb, void *ctx, char *err, size_t errlen)
{
	struct maildir *md = store_priv(s);
	struct indexer ix;
	size_t *order = NULL, n = 0, first;
	int rc;

	list_clear(&md->list);
	rc = scan_dirs(md->sel_path, &md->list, err, errlen);
	if (rc != WARY_OK)
		return rc;
	md->indexed = true;
	cache_ready(s, md);
	rc = indexer_init(&ix, md, err, errlen);
	if (rc != WARY_OK)
		goto out;
	ix.cb = cb;
	ix.ctx = ctx;
	ix.total = md->list.n;
	n = md->list.n;
	order = xmalloc((n + 1) * sizeof(size_t));
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	/* The newest first: only they need sorting before the first batch. */
	first = n < FIRST_BATCH ? n : FIRST_BATCH;
	newest_first(order, n, first, &md->list);
	if (n > first)
		qsort_r(order + first, n - first, sizeof(size_t), cmp_inode, &md->list);
	run_batch(&ix, order, first);
	/* After the first screen: the cached rows of the rest in one pass. */
	if (md->hc != NULL && n > first && !ix.cancelled) {
		ix.pre = xcalloc(n, sizeof(struct pre));
		hcache_scan(md->hc, md->sel_id, pre_fill, &ix);
	}
	for (size_t i = first; i < n && !ix.cancelled; i += BATCH)
		run_batch(&ix, order + i, n - i < BATCH ? n - i : BATCH);
	if (!ix.cancelled)
		run_vanished(&ix);
	after_index(s, md, !ix.cancelled);
out:
	indexer_done(&ix);
	free(order);
	return rc;
}

/* ---- single messages ---- */

static int md_fetch(struct store *s, const char *key, struct buf *out, char *err, size_t errlen)
{
	struct maildir *md = store_priv(s);
	size_t start = out->data ? out->len : 0;
	long idx = locate(md, key);

	for (int attempt = 0; idx >= 0 && attempt < 3; attempt++) {
		char *path = msg_path(md, &md->list.v[idx]);
		int rc = fs_read_file(path, out, MAX_MESSAGE, err, errlen);

		free(path);
		if (rc != WARY_ENOENT)
			return rc;
		buf_truncate(out, start);
		idx = refind(md, key, strlen(key));
	}
	return err_set(err, errlen, WARY_ENOENT, "no such message");
}

static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (access(to, F_OK) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(from, to);
}

static int md_set_flags(struct store *s, const char *key, unsigned set, unsigned clear,
                        char *err, size_t errlen)
{
	struct maildir *md = store_priv(s);
	long idx = locate(md, key);

	for (int attempt = 0; idx >= 0 && attempt < 3; attempt++) {
		struct md_msg *m = &md->list.v[idx];
		unsigned old = msg_flags(m), want = (old | set) & ~clear;
		uint8_t sub = m->sub;
		struct buf name = BUF_INIT;
		char *from, *to;
		int r;

		/* Any change to a message in new/ moves it to cur/: it has
		 * been seen by a client now. */
		if (sub == SUB_NEW && (want != old || (clear & STORE_NEW)))
			sub = SUB_CUR;
		if (sub == SUB_NEW)
			return WARY_OK;
		buf_init(&name);
		buf_add(&name, m->name, m->keylen);
		merge_info(m->name, want & ~STORE_NEW, &name);
		if (sub == m->sub && strcmp(name.data, m->name) == 0) {
			buf_release(&name);
			return WARY_OK;
		}
		from = msg_path(md, m);
		to = xasprintf("%s/%s/%s", md->sel_path, subdirs[sub], name.data);
		r = rename_noreplace(from, to);
		free(from);
		free(to);
		if (r == 0) {
			free(m->name);
			m->name = buf_detach(&name, NULL);
			m->sub = sub;
			buf_release(&name);
			return WARY_OK;
		}
		buf_release(&name);
		if (errno != ENOENT) {
			/* EXDEV, EACCES, EEXIST...: the rename did nothing, the
			 * message is where it was. */
			return err_set(err, errlen, WARY_EIO, "cannot change flags: %s",
			               strerror(errno));
		}
		idx = refind(md, key, strlen(key));
	}
	return err_set(err, errlen, WARY_ENOENT, "no such message");
}

static int md_expunge(struct store *s, char *err, size_t errlen)
{
	struct maildir *md = store_priv(s);
	int rc = WARY_OK;

	for (int sub = SUB_NEW; sub <= SUB_CUR; sub++) {
		char *dpath = xasprintf("%s/%s", md->sel_path, subdirs[sub]);
		DIR *d = opendir(dpath);
		struct dirent *e;
		bool any = false;

		if (d == NULL) {
			rc = err_set(err, errlen, WARY_EIO, "%s: %s", dpath, strerror(errno));
			free(dpath);
			break;
		}
		while ((e = readdir(d)) != NULL) {
			long idx;

			if (e->d_name[0] == '.' || !(maildir_info_to_flags(e->d_name) & STORE_DELETED))
				continue;
			if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT) {
				rc = err_set(err, errlen, WARY_EIO, "%s/%s: %s", dpath, e->d_name,
				             strerror(errno));
				continue;
			}
			any = true;
			idx = list_find(&md->list, e->d_name, key_len(e->d_name));
			if (idx >= 0)
				md->list.v[idx].dead = true;
		}
		closedir(d);
		if (any)
			fs_fsync_dir(dpath, NULL, 0);
		free(dpath);
	}
	return rc;
}

/* Deliver a copy of message idx into the Maildir at target. */
static int copy_one(struct maildir *md, const char *key, const char *target, char **name_out,
                    char *err, size_t errlen)
{
	struct buf data = BUF_INIT;
	long idx = locate(md, key);
	int rc = WARY_ENOENT;

	buf_init(&data);
	for (int attempt = 0; idx >= 0 && attempt < 3; attempt++) {
		char *path = msg_path(md, &md->list.v[idx]);

		rc = fs_read_file(path, &data, MAX_MESSAGE, err, errlen);
		free(path);
		if (rc != WARY_ENOENT)
			break;
		buf_reset(&data);
		idx = refind(md, key, strlen(key));
	}
	if (rc == WARY_ENOENT || idx < 0) {
		rc = err_set(err, errlen, WARY_ENOENT, "no such message");
		goto out;
	}
	if (rc != WARY_OK)
		goto out;
	rc = maildir_deliver(target, data.data, data.len, msg_flags(&md->list.v[idx]), name_out,
	                     err, errlen);
out:
	buf_release(&data);
	return rc;
}

static int md_copy(struct store *s, const char *key, const char *folder, char *err,
                   size_t errlen)
{
	struct maildir *md = store_priv(s);
	char *target = folder_path(md, folder, NULL);
	int rc;

	if (target == NULL)
		return err_set(err, errlen, WARY_ENOENT, "no such folder");
	rc = copy_one(md, key, target, NULL, err, errlen);
	free(target);
	return rc;
}

/* Remove the original after its copy is durable elsewhere. */
static int remove_original(struct maildir *md, const char *key, char *err, size_t errlen)
{
	long idx = locate(md, key);

	for (int attempt = 0; idx >= 0 && attempt < 3; attempt++) {
		struct md_msg *m = &md->list.v[idx];
		char *path = msg_path(md, m);
		char *dir = xasprintf("%s/%s", md->sel_path, subdirs[m->sub]);
		int r = unlink(path), e = errno;

		free(path);
		if (r == 0) {
			fs_fsync_dir(dir, NULL, 0);
			free(dir);
			m->dead = true;
			return WARY_OK;
		}
		free(dir);
		if (e != ENOENT)
			return err_set(err, errlen, WARY_EIO,
			               "the message was copied but the original could not be removed "
			               "(%s); it is now in both folders", strerror(e));
		idx = refind(md, key, strlen(key));
	}
	return WARY_OK; /* someone else removed it: the copy stands */
}

static int md_move(struct store *s, const char *key, const char *folder, char *err,
                   size_t errlen)
{
	struct maildir *md = store_priv(s);
	char *id = NULL, *target = folder_path(md, folder, &id);
	long idx;
	int rc = WARY_OK;

	if (target == NULL)
		return err_set(err, errlen, WARY_ENOENT, "no such folder");
	if (strcmp(id, md->sel_id) == 0)
		goto out;
	idx = locate(md, key);
	for (int attempt = 0; attempt < 3; attempt++) {
		struct md_msg *m;
		char *src, *dst, *dir;
		int r, e;
		struct stat st;

		if (idx < 0) {
			rc = err_set(err, errlen, WARY_ENOENT, "no such message");
			goto out;
		}
		m = &md->list.v[idx];
		src = msg_path(md, m);
		dir = xasprintf("%s/%s", target, subdirs[m->sub]);
		dst = xasprintf("%s/%s", dir, m->name);
		/* link, not rename: it never replaces a file at dst, and the
		 * original goes only once the new name is durable. */
		r = link(src, dst);
		e = errno;
		if (r == 0) {
			rc = fs_fsync_dir(dir, err, errlen);
			if (rc != WARY_OK)
				unlink(dst); /* not durable: keep the original, drop the new name */
			free(src);
			free(dst);
			free(dir);
			if (rc != WARY_OK)
				goto out;
			rc = remove_original(md, key, err, errlen);
			goto out;
		}
		free(dst);
		free(dir);
		if (e == ENOENT && stat(src, &st) < 0) {
			free(src);
			idx = refind(md, key, strlen(key));
			continue;
		}
		free(src);
		if (e == EXDEV || e == EPERM || e == EMLINK || e == ENOSYS || e == EOPNOTSUPP ||
		    e == EEXIST)
			break; /* another file system, or the name is taken: copy */
		rc = err_set(err, errlen, WARY_EIO, "cannot move into %s: %s", id, strerror(e));
		goto out;
	}
	rc = copy_one(md, key, target, NULL, err, errlen);
	if (rc == WARY_OK)
		rc = remove_original(md, key, err, errlen);
out:
	free(id);
	free(target);
	return rc;
}

static int md_append(struct store *s, const char *folder, const char *data, size_t len,
                     unsigned flags, char **key_out, char *err, size_t errlen)
{
	struct maildir *md = store_priv(s);
	char *target = folder_path(md, folder ? folder : md->sel_id, NULL), *name = NULL;
	int rc;

	if (key_out != NULL)
		*key_out = NULL;
	if (target == NULL)
		return err_set(err, errlen, WARY_ENOENT, "no such folder");
	rc = maildir_deliver(target, data, len, flags, &name, err, errlen);
	if (rc == WARY_OK && key_out != NULL)
		*key_out = xstrndup(name, key_len(name));
	free(name);
	free(target);
	return rc;
}

/* ---- new mail ---- */

/* Returns a status, or 1 when something changed. */
static int check_impl(struct store *s, store_row_cb cb, void *ctx, char ***vanished,
                      size_t *nvanished, char *err, size_t errlen)
{
	struct maildir *md = store_priv(s);
	struct md_list fresh;
	size_t *changed = NULL, nchanged = 0, ngone = 0;
	char **gone = NULL;
	int rc;

	memset(&fresh, 0, sizeof(fresh));
	if (vanished != NULL) {
		*vanished = NULL;
		*nvanished = 0;
	}
	rc = scan_dirs(md->sel_path, &fresh, err, errlen);
	if (rc != WARY_OK) {
		list_clear(&fresh);
		return rc;
	}
	for (size_t i = 0; i < fresh.n; i++) {
		const struct md_msg *f = &fresh.v[i];
		long o = list_find(&md->list, f->name, f->keylen);

		if (o < 0 || md->list.v[o].sub != f->sub || strcmp(md->list.v[o].name, f->name) != 0) {
			changed = xreallocarray(changed, nchanged + 1, sizeof(size_t));
			changed[nchanged++] = i;
		}
	}
	for (size_t i = 0; i < md->list.n; i++) {
		const struct md_msg *o = &md->list.v[i];

		if (o->dead || list_find(&fresh, o->name, o->keylen) >= 0)
			continue;
		gone = xreallocarray(gone, ngone + 1, sizeof(char *));
		gone[ngone++] = xstrndup(o->name, o->keylen);
	}
	list_clear(&md->list);
	md->list = fresh;
	if (cb != NULL && nchanged > 0) {
		struct indexer ix;

		cache_ready(s, md);
		rc = indexer_init(&ix, md, err, errlen);
		if (rc == WARY_OK) {
			ix.cb = cb;
			ix.ctx = ctx;
			ix.total = nchanged;
			for (size_t i = 0; i < nchanged && !ix.cancelled; i += BATCH)
				run_batch(&ix, changed + i, nchanged - i < BATCH ? nchanged - i : BATCH);
			run_vanished(&ix);
			after_index(s, md, false);
		}
		indexer_done(&ix);
	}
	if (vanished != NULL) {
		*vanished = gone;
		*nvanished = ngone;
	} else {
		store_keys_free(gone, ngone);
	}
	free(changed);
	if (rc == WARY_OK)
		rc = (nchanged > 0 || ngone > 0) ? 1 : 0;
	return rc;
}

static int md_check_changes(struct store *s, store_row_cb cb, void *ctx, char ***vanished,
                            size_t *nvanished, char *err, size_t errlen)
{
	int rc = check_impl(s, cb, ctx, vanished, nvanished, err, errlen);

	return rc < 0 ? rc : WARY_OK;
}

static int md_check(struct store *s, bool *changed, char *err, size_t errlen)
{
	int rc = check_impl(s, NULL, NULL, NULL, NULL, err, errlen);

	if (rc < 0)
		return rc;
	*changed = rc > 0;
	return WARY_OK;
}

/* ---- search ---- */

/* The index rows answer most patterns; the rows whose answer needs the
 * file are kept and decided after the index, since reading a file may
 * rescan the folder (refind) under the indexer's feet. */
struct md_search {
	struct store *s;
	const struct pattern *p;
	char **keys;
	size_t n, cap;
	struct store_row *later;
	size_t nlater, caplater;
	char err[WARY_ERRLEN];
	int rc;
};

static void search_keep(struct md_search *ms, const char *key)
{
	if (ms->n == ms->cap) {
		ms->cap = ms->cap ? ms->cap * 2 : 64;
		ms->keys = xreallocarray(ms->keys, ms->cap, sizeof(*ms->keys));
	}
	ms->keys[ms->n++] = xstrdup(key);
}

/* During the index: "not yet" for every file. */
static int search_defer(void *ctx, const struct store_row *row, struct buf *out)
{
	(void)ctx;
	(void)row;
	(void)out;
	return WARY_ENOENT;
}

static int search_file(void *ctx, const struct store_row *row, struct buf *out)
{
	struct md_search *ms = ctx;
	int rc = md_fetch(ms->s, row->key, out, ms->err, sizeof(ms->err));

	if (rc != WARY_OK && rc != WARY_ENOENT)
		ms->rc = rc;
	return rc;
}

static int search_rows(void *ctx, struct store_row *rows, size_t n, size_t done,
                       size_t total)
{
	struct md_search *ms = ctx;

	(void)done;
	(void)total;
	for (size_t i = 0; i < n; i++) {
		const struct store_row *r = &rows[i];
		struct store_row *k;
		int m = pattern_match(ms->p, r, search_defer, NULL);

		if (m == 1)
			search_keep(ms, r->key);
		if (m >= 0)
			continue;
		if (ms->nlater == ms->caplater) {
			ms->caplater = ms->caplater ? ms->caplater * 2 : 64;
			ms->later = xreallocarray(ms->later, ms->caplater, sizeof(*ms->later));
		}
		k = &ms->later[ms->nlater++];
		store_row_copy(k, r);
	}
	return 0;
}

static int md_search(struct store *s, const struct pattern *p, char ***keys, size_t *n,
                     char *err, size_t errlen)
{
	struct md_search ms;
	int rc;

	memset(&ms, 0, sizeof(ms));
	ms.s = s;
	ms.p = p;
	rc = md_index(s, search_rows, &ms, err, errlen);
	/* A file that vanished since the index does not match; any other
	 * failure to read one ends the search. */
	for (size_t i = 0; rc == WARY_OK && ms.rc == WARY_OK && i < ms.nlater; i++)
		if (pattern_match(p, &ms.later[i], search_file, &ms) == 1)
			search_keep(&ms, ms.later[i].key);
	if (rc == WARY_OK && ms.rc != WARY_OK)
		rc = err_set(err, errlen, ms.rc, "%s", ms.err);
	for (size_t i = 0; i < ms.nlater; i++)
		store_row_clear(&ms.later[i]);
	free(ms.later);
	if (rc != WARY_OK) {
		store_keys_free(ms.keys, ms.n);
		return rc;
	}
	*keys = ms.keys;
	*n = ms.n;
	return WARY_OK;
}

const struct store_ops store_maildir_ops = {
	.kind = "maildir",
	.open = md_open,
	.close = md_close,
	.list_folders = md_list_folders,
	.select = md_select,
	.index = md_index,
	.fetch = md_fetch,
	.set_flags = md_set_flags,
	.expunge = md_expunge,
	.copy = md_copy,
	.move = md_move,
	.append = md_append,
	.check = md_check,
	.check_changes = md_check_changes,
	.search = md_search,
};
