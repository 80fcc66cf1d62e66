/* File helpers: whole-file reads with a limit, atomic durable writes,
 * private temporary directories and the XDG locations. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"

int fs_read_file(const char *path, struct buf *out, size_t max, char *err, size_t errlen)
{
	int fd, rc = WARY_OK;
	struct stat st;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(err, errlen, errno == ENOENT ? WARY_ENOENT : WARY_EIO,
		               "%s: %s", path, strerror(errno));
	/* A regular file is read straight into room for all of it (one read
	 * and the one that sees its end), not through a copy. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (max == 0 || (unsigned long long)st.st_size <= max))
		buf_grow(out, (size_t)st.st_size + 1);
	for (;;) {
		if (out->data == NULL || out->cap - out->len <= 1)
			buf_grow(out, 65536);
		n = read(fd, out->data + out->len, out->cap - out->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = err_set(err, errlen, WARY_EIO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (max != 0 && out->len + (size_t)n > max) {
			out->data[out->len] = '\0';
			rc = err_set(err, errlen, WARY_ELIMIT, "%s: larger than %zu bytes", path, max);
			goto out;
		}
		out->len += (size_t)n;
		out->data[out->len] = '\0';
	}
out:
	close(fd);
	return rc;
}

int fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			/* would loop for ever */
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_fsync_dir(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return err_set(err, errlen, WARY_EIO, "%s: %s", dir, strerror(errno));
	if (fsync(fd) < 0 && errno != EINVAL) {
		int e = errno;

		close(fd);
		return err_set(err, errlen, WARY_EIO, "fsync %s: %s", dir, strerror(e));
	}
	close(fd);
	return WARY_OK;
}

int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                    char *err, size_t errlen)
{
	struct buf tmp = BUF_INIT, dir = BUF_INIT;
	const char *slash;
	int fd = -1, rc = WARY_OK;

	buf_init(&tmp);
	buf_init(&dir);
	slash = strrchr(path, '/');
	if (slash == NULL)
		buf_adds(&dir, ".");
	else if (slash == path)
		buf_adds(&dir, "/");
	else
		buf_add(&dir, path, (size_t)(slash - path));
	buf_addf(&tmp, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp.data);
	if (fd < 0) {
		rc = err_set(err, errlen, WARY_EIO, "%s: %s", tmp.data, strerror(errno));
		goto out;
	}
	if (fchmod(fd, mode) < 0 || fs_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		rc = err_set(err, errlen, WARY_EIO, "%s: %s", tmp.data, strerror(errno));
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
	if (rename(tmp.data, path) < 0) {
		rc = err_set(err, errlen, WARY_EIO, "rename to %s: %s", path, strerror(errno));
		unlink(tmp.data);
		goto out;
	}
	rc = fs_fsync_dir(dir.data, err, errlen);
out:
	if (fd >= 0)
		close(fd);
	buf_release(&tmp);
	buf_release(&dir);
	return rc;
}

int fs_mkdir_p(const char *path, mode_t mode, char *err, size_t errlen)
{
	struct buf b = BUF_INIT;
	int rc = WARY_OK;

	buf_init(&b);
	buf_adds(&b, path);
	for (size_t i = 1; i <= b.len; i++) {
		if (b.data[i] != '/' && b.data[i] != '\0')
			continue;
		char save = b.data[i];

		b.data[i] = '\0';
		if (mkdir(b.data, mode) < 0 && errno != EEXIST) {
			rc = err_set(err, errlen, WARY_EIO, "mkdir %s: %s", b.data, strerror(errno));
			goto out;
		}
		b.data[i] = save;
	}
out:
	buf_release(&b);
	return rc;
}

int fs_private_tmpdir(struct buf *out, char *err, size_t errlen)
{
	const char *base = getenv("TMPDIR");
	size_t start = out->data ? out->len : 0;

	if (base == NULL || base[0] != '/')
		base = "/tmp";
	buf_addf(out, "%s/wary.XXXXXX", base);
	if (mkdtemp(out->data + start) == NULL) {
		buf_truncate(out, start);
		return err_set(err, errlen, WARY_EIO, "mkdtemp in %s: %s", base, strerror(errno));
	}
	return WARY_OK;
}

char *fs_xdg_dir(enum fs_xdg which)
{
	static const char *const vars[] = { "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME" };
	static const char *const fallbacks[] = { ".config", ".local/share", ".cache" };
	const char *v = getenv(vars[which]);
	const char *home;

	/* The XDG spec says relative values are invalid and must be ignored. */
	if (v != NULL && v[0] == '/')
		return xasprintf("%s/wary", v);
	home = getenv("HOME");
	if (home == NULL || home[0] != '/')
		home = "/tmp";
	return xasprintf("%s/%s/wary", home, fallbacks[which]);
}

char *fs_safe_filename(const char *name)
{
	struct buf b = BUF_INIT;
	const unsigned char *p = (const unsigned char *)(name ? name : "");
	size_t len = strlen((const char *)p);
	const char *dot;

	buf_init(&b);
	while (len > 0) {
		uint32_t cp;
		size_t n = utf8_decode(p, len, &cp);

		if (n == 0) {
			cp = 0xFFFD;
			n = 1;
		}
		p += n;
		len -= n;
		/* U+2028/2029 are line breaks to a terminal listing the folder */
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 ||
		    cp == 0x2029 || safe_is_ignorable(cp))
			continue;
		if (cp == '/' || cp == '\\')
			cp = '_';
		if (cp == '.' && b.len == 0)
			continue; /* no hidden file, no ".." */
		utf8_encode(&b, cp);
	}
	str_trim(b.data);
	b.len = strlen(b.data);
	if (b.len == 0)
		buf_adds(&b, "attachment");
	if (b.len > 200) {
		/* Keep the extension: it is what decides how the file opens. */
		char ext[24] = "";

		dot = strrchr(b.data, '.');
		if (dot && strlen(dot) < sizeof(ext))
			str_copy(ext, dot, sizeof(ext));
		size_t keep = 200 - strlen(ext);

		while (keep > 0 && ((unsigned char)b.data[keep] & 0xc0) == 0x80)
			keep--; /* not inside a UTF-8 sequence */
		buf_truncate(&b, keep);
		buf_adds(&b, ext);
	}
	return buf_detach(&b, NULL);
}

int fs_create_in_dir(const char *dir, const char *name, const void *data, size_t len,
                     char **path_out, char *err, size_t errlen)
{
	int dfd = -1, fd = -1, rc = WARY_OK;
	struct buf try = BUF_INIT;
	const char *dot = strrchr(name, '.');
	size_t stem = dot && dot != name ? (size_t)(dot - name) : strlen(name);

	*path_out = NULL;
	if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return err_set(err, errlen, WARY_ERR, "not a plain file name");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		rc = err_set(err, errlen, WARY_EIO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	for (int i = 1; i < 1000; i++) {
		buf_reset(&try);
		if (i == 1)
			buf_adds(&try, name);
		else
			buf_addf(&try, "%.*s (%d)%s", (int)stem, name, i, name + stem);
		fd = openat(dfd, try.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		rc = err_set(err, errlen, WARY_EIO, "%s/%s: %s", dir, try.data, strerror(errno));
		goto out;
	}
	if (fs_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		rc = err_set(err, errlen, WARY_EIO, "%s/%s: %s", dir, try.data, strerror(errno));
		unlinkat(dfd, try.data, 0); /* no half-written file left behind */
		goto out;
	}
	*path_out = xasprintf("%s/%s", dir, try.data);
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	buf_release(&try);
	return rc;
}
