/* Tests for src/base: buffers, strings, safe text and files. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "tests/unit/t.h"

static char *safe(const char *s, enum safe_mode m)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	safe_text(&b, s, strlen(s), m);
	return buf_detach(&b, NULL);
}

/* No byte sequence that a terminal could act on may survive. */
static int has_dangerous(const char *s, size_t len, bool allow_lf_tab)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == 0x1b || p[i] == 0x7f || p[i] == 0x08 || p[i] == '\r' || p[i] == 0)
			return 1;
		if (p[i] < 0x20 && !(allow_lf_tab && (p[i] == '\n' || p[i] == '\t')))
			return 1;
		/* U+0080..U+009F encoded as C2 80..C2 9F */
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return 1;
		/* U+202A..U+202E = E2 80 AA..AE; U+2066..2069 = E2 81 A6..A9 */
		if (p[i] == 0xe2 && i + 2 < len &&
		    ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||
		     (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9)))
			return 1;
	}
	/* Raw single bytes >= 0x80 must form valid UTF-8. */
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);

		if (n == 0)
			return 1;
		i += n;
	}
	return 0;
}

static void test_buf(void)
{
	struct buf b = BUF_INIT;
	char *s;
	size_t len;

	buf_init(&b);
	T_STR(b.data, "", "empty buf is an empty string");
	buf_adds(&b, "abc");
	buf_addch(&b, 'd');
	buf_addf(&b, "%d-%s", 42, "x");
	T_STR(b.data, "abcd42-x", "buf_add* append");
	for (int i = 0; i < 10000; i++)
		buf_adds(&b, "0123456789");
	T_INT(b.len, 8 + 100000, "buf grows to 100 KB");
	buf_truncate(&b, 3);
	T_STR(b.data, "abc", "truncate");
	s = buf_detach(&b, &len);
	T_STR(s, "abc", "detach hands the bytes over");
	T_INT(len, 3, "detach length");
	T_STR(b.data, "", "buf empty after detach");
	free(s);
	buf_add(&b, "a\0b", 3);
	T_INT(b.len, 3, "binary bytes kept");
	buf_reset(&b);
	buf_add_json_str(&b, "q\"\\\n\x01\x7f");
	T_STR(b.data, "\"q\\\"\\\\\\n\\u0001\\u007f\"", "JSON string escaping");
	buf_release(&b);
	s = xasprintf("%s=%d", "n", 7);
	T_STR(s, "n=7", "xasprintf");
	free(s);
}

/* The search jumps to candidates by their first byte; a plain loop over
 * every offset is the reference it must agree with, on haystacks that
 * hold NULs, both cases and the bytes whose case bit makes them look
 * alike ('@' and '`', '[' and '{'). */
static const char *naive_memcasemem(const char *h, size_t hlen, const char *n)
{
	size_t nlen = strlen(n);

	for (size_t i = 0; i + nlen <= hlen; i++) {
		size_t k = 0;

		while (k < nlen && (h[i + k] >= 'A' && h[i + k] <= 'Z' ? h[i + k] + 32 : h[i + k]) ==
		                       (n[k] >= 'A' && n[k] <= 'Z' ? n[k] + 32 : n[k]))
			k++;
		if (k == nlen)
			return h + i;
	}
	return NULL;
}

static void test_memcasemem_against_naive(void)
{
	static const char alpha[] = { 'a', 'A', 'b', 'B', '@', '`', '[', '{', '<', '-', '\0', 'w', '.' };
	static const char *const needles[] = { "ab", "AB", "a", "<b", "-->", "@a", "`", "[", "{a",
		                               "www.", "<base", "b-", "aaaa" };
	unsigned seed = 12345;
	int bad = 0;
	char h[40];

	for (int round = 0; round < 20000; round++) {
		size_t len = (seed = seed * 1103515245u + 12345u) >> 16 & 31;
		const char *n = needles[((seed = seed * 1103515245u + 12345u) >> 16) % ARRAY_SIZE(needles)];

		for (size_t i = 0; i < len; i++)
			h[i] = alpha[((seed = seed * 1103515245u + 12345u) >> 16) % sizeof(alpha)];
		if (str_memcasemem(h, len, n) != naive_memcasemem(h, len, n))
			bad++;
	}
	T_INT(bad, 0, "memcasemem agrees with a byte-by-byte search on 20000 random haystacks");
	{
		const char *h2 = "x<b<B-->";

		T_OK(str_memcasemem(h2, 8, "-->") == h2 + 5, "memcasemem finds a needle that ends the haystack");
		T_OK(str_memcasemem(h2, 7, "-->") == NULL, "memcasemem does not read past the length");
		T_OK(str_memcasemem(h2, 8, "<B") == h2 + 1, "memcasemem finds the first of two");
		T_OK(str_memcasemem(h2, 2, "x<b") == NULL, "memcasemem with a needle longer than the haystack");
	}
}

static void test_str(void)
{
	char d[4], t[32];

	T_INT(str_copy(d, "abcdef", sizeof(d)), 6, "str_copy returns the source length");
	T_STR(d, "abc", "str_copy truncates and terminates");
	T_OK(str_casecmp("Content-Type", "content-TYPE") == 0, "case-insensitive compare");
	T_OK(str_casecmp("a", "b") < 0, "compare order");
	T_OK(str_istarts_with("Subject: x", "subject:"), "istarts_with");
	T_OK(!str_starts_with("Sub", "Subject"), "starts_with on a short string");
	str_copy(t, "  \t hi there \r\n", sizeof(t));
	T_STR(str_trim(t), "hi there", "trim");
	str_copy(t, "MiXeD", sizeof(t));
	T_STR(str_lower(t), "mixed", "lower");
	T_OK(str_memcasemem("xxBoundaryyy", 12, "BOUNDARY") != NULL, "memcasemem finds");
	T_OK(str_memcasemem("xxBound", 7, "BOUNDARY") == NULL, "memcasemem near miss");
	test_memcasemem_against_naive();
}

/* Every error text is made safe where it is made: a server's reply or a
 * file name quoted in it cannot drive the terminal of whoever prints it. */
static void test_err_safe(void)
{
	char err[32], small[12];

	T_INT(err_set(err, sizeof(err), WARY_ENET, "server said: %s", "no\x1b]0;x\x07"), WARY_ENET,
	      "err_set returns its code");
	T_STR(err, "server said: no^[]0;x^G", "err_set shows an ESC and BEL it quotes");
	err_set(err, sizeof(err), WARY_ERR, "%s", "a\r\nb\xc2\x9b\xe2\x80\xae");
	T_STR(err, "a b<U+009B><U+202E>", "and CR LF, C1 and bidi");
	err_set(small, sizeof(small), WARY_ERR, "%s", "\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5");
	T_STR(small, "\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5", "cut to the buffer on a character boundary");
	err_set(small, sizeof(small), WARY_ERR, "%s", "\x1b\x1b\x1b\x1b\x1b\x1b\x1b\x1b");
	T_OK(strchr(small, 0x1b) == NULL && strlen(small) == sizeof(small) - 1,
	     "escapes longer than the buffer: cut to it, no ESC");
	err_set(err, sizeof(err), WARY_ERR, "plain %d", 7);
	T_STR(err, "plain 7", "plain text untouched");
}

static void test_safe(void)
{
	struct {
		const char *in;
		enum safe_mode mode;
		const char *want;
		const char *what;
	} cases[] = {
		{ "plain", SAFE_LINE, "plain", "ASCII unchanged" },
		{ "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", SAFE_LINE, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "UTF-8 unchanged" },
		{ "a\x1b[2Jb", SAFE_LINE, "a^[[2Jb", "ESC shown as ^[" },
		{ "\x1b]0;pwned\x07", SAFE_LINE, "^[]0;pwned^G", "OSC title set neutralised" },
		{ "\x1b]52;c;aGk=\x1b\\", SAFE_BODY, "^[]52;c;aGk=^[\\", "OSC 52 clipboard write neutralised" },
		{ "a\xc2\x9b" "31mb", SAFE_LINE, "a<U+009B>31mb", "UTF-8 C1 CSI shown" },
		{ "a\x9b" "31mb", SAFE_LINE, "a\xef\xbf\xbd" "31mb", "raw C1 byte becomes U+FFFD" },
		{ "a\x9b" "b", SAFE_RAW, "a\\x9bb", "raw C1 byte in raw view is \\x9b" },
		{ "l1\r\nl2\n", SAFE_BODY, "l1\nl2\n", "CRLF becomes LF in bodies" },
		{ "over\rwrite", SAFE_BODY, "over^Mwrite", "bare CR shown in bodies" },
		{ "a\tb\nc", SAFE_LINE, "a b c", "line mode flattens TAB and LF" },
		{ "a\tb\nc", SAFE_BODY, "a\tb\nc", "body keeps TAB and LF" },
		{ "x\x08y\x7f", SAFE_BODY, "x^Hy^?", "backspace and DEL shown" },
		{ "doc\xe2\x80\xaegpj.exe", SAFE_LINE, "doc<U+202E>gpj.exe", "RLO in a name shown" },
		{ "txt\xe2\x81\xa6x", SAFE_BODY, "txt<U+2066>x", "isolate shown in bodies too" },
		{ "pay\xe2\x80\x8bpal", SAFE_LINE, "pay<U+200B>pal", "zero-width space shown in a header" },
		{ "pay\xe2\x80\x8bpal", SAFE_BODY, "pay\xe2\x80\x8bpal", "zero-width space kept in body text" },
		{ "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9", SAFE_LINE,
		  "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9", "emoji ZWJ sequence kept" },
		{ "a\xe2\x80\x8d" "b", SAFE_LINE, "a<U+200D>b", "ZWJ between letters shown" },
		{ "\xc0\xaf", SAFE_LINE, "\xef\xbf\xbd\xef\xbf\xbd", "overlong UTF-8 rejected" },
		{ "\xed\xa0\x80", SAFE_LINE, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "surrogate rejected" },
		{ "tag\xf3\xa0\x81\x81", SAFE_LINE, "tag<U+E0041>", "tag character shown" },
		{ "p\xe2\x80\xa8q", SAFE_LINE, "p q", "U+2028 is not a line break in a header" },
		{ "a\x1b" "b", SAFE_RAW, "a^[b", "raw view shows ESC" },
		{ "r\r\n", SAFE_RAW, "r\n", "raw view: CRLF as LF" },
		/* variation selectors: one after a character it can modify is
		 * writing, a run of them (hidden bytes) is shown */
		{ "\xe2\x9d\xa4\xef\xb8\x8f", SAFE_LINE, "\xe2\x9d\xa4\xef\xb8\x8f", "emoji with VS16 kept" },
		{ "1\xef\xb8\x8f\xe2\x83\xa3", SAFE_LINE, "1\xef\xb8\x8f\xe2\x83\xa3", "keycap sequence kept" },
		{ "a\xef\xb8\x8f\xef\xb8\x80\xf3\xa0\x84\x80", SAFE_LINE, "a\xef\xb8\x8f<U+FE00><U+E0100>",
		  "a run of variation selectors after a letter shown" },
		{ "\xe8\x91\x9b\xf3\xa0\x84\x80", SAFE_LINE, "\xe8\x91\x9b\xf3\xa0\x84\x80",
		  "ideographic variation sequence kept" },
		{ "x\xf3\xa0\x84\x80", SAFE_LINE, "x<U+E0100>", "ideographic selector after a letter shown" },
		{ " \xef\xb8\x8f", SAFE_LINE, " <U+FE0F>", "variation selector after a space shown" },
		{ "a\xe2\x80\x8b\xef\xb8\x8f", SAFE_LINE, "a<U+200B><U+FE0F>", "selector after an invisible shown" },
		{ "a\xe2\x80\xa8\xef\xb8\x8f", SAFE_LINE, "a <U+FE0F>", "selector after a line separator shown" },
		{ "a\xef\xb8\x80\xef\xb8\x81", SAFE_BODY, "a\xef\xb8\x80\xef\xb8\x81", "selectors kept in bodies" },
		{ "a\xe1\xa0\x8b" "b", SAFE_LINE, "a<U+180B>b", "Mongolian selector after a letter shown" },
		{ "a\xf0\x9d\x85\xb3\xef\xbf\xb0\xe2\x81\xa5\xf3\xa0\x82\x80", SAFE_LINE,
		  "a<U+1D173><U+FFF0><U+2065><U+E0080>", "other default-ignorables shown in a header" },
		/* stacking marks: a few are writing, more are capped visibly */
		{ "e\xcc\x81\xcc\x82", SAFE_LINE, "e\xcc\x81\xcc\x82", "two marks on a letter kept" },
		{ "Z\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81z",
		  SAFE_BODY, "Z\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81<+3 marks>z",
		  "marks past eight in a row counted, not drawn" },
		{ "\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81" "a\xcc\x81", SAFE_LINE,
		  "\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81\xcc\x81<+1 marks>" "a\xcc\x81",
		  "the count starts again after a letter" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = safe(cases[i].in, cases[i].mode);

		T_STR(got, cases[i].want, cases[i].what);
		free(got);
	}
	/* The plain runs are skipped eight bytes at a time: every byte that
	 * needs a replacement is still found at every offset from a word. */
	{
		static const struct {
			char c;
			enum safe_mode mode;
			const char *shown;
		} odd[] = {
			{ '\x1b', SAFE_LINE, "^[" }, { '\x1f', SAFE_BODY, "^_" }, { '\x7f', SAFE_BODY, "^?" },
			{ '\x80', SAFE_LINE, "\xef\xbf\xbd" }, { '\xff', SAFE_BODY, "\xef\xbf\xbd" },
			{ '\n', SAFE_LINE, " " }, { '\n', SAFE_BODY, "\n" }, { '\t', SAFE_BODY, "\t" },
			{ '\0', SAFE_BODY, "^@" }, { '~', SAFE_LINE, "~" }, { ' ', SAFE_LINE, " " },
		};
		int bad = 0;

		for (size_t k = 0; k < ARRAY_SIZE(odd); k++) {
			for (size_t pos = 0; pos < 27; pos++) {
				char in[27], want[64];
				struct buf b = BUF_INIT;

				memset(in, 'a', sizeof(in));
				in[pos] = odd[k].c;
				snprintf(want, sizeof(want), "%.*s%s%.*s", (int)pos, in, odd[k].shown,
				         (int)(sizeof(in) - pos - 1), in + pos + 1);
				buf_init(&b);
				safe_text(&b, in, sizeof(in), odd[k].mode);
				if (strcmp(b.data, want) != 0 && bad++ < 3)
					printf("#   byte 0x%02x at %zu: \"%s\"\n", (unsigned char)odd[k].c, pos, b.data);
				buf_release(&b);
			}
		}
		T_INT(bad, 0, "a byte to replace is found at every offset of a long plain run");
	}
	T_OK(safe_is_clean("hello", 5), "clean string is clean");
	T_OK(!safe_is_clean("a\x1b", 2), "escape is not clean");
	T_OK(safe_is_invisible(0x202e) && safe_is_invisible(0xfeff) && !safe_is_invisible('a'),
	     "invisible classification");

	/* Every byte pair and a long pseudo-random stream: nothing dangerous
	 * ever comes out, in any mode. */
	{
		int bad = 0;
		unsigned char in[3];

		for (int a = 0; a < 256; a++)
			for (int c = 0; c < 256; c++) {
				struct buf b = BUF_INIT;

				in[0] = (unsigned char)a;
				in[1] = (unsigned char)c;
				in[2] = 'x';
				buf_init(&b);
				safe_text(&b, (const char *)in, 3, SAFE_LINE);
				bad += has_dangerous(b.data, b.len, false);
				buf_reset(&b);
				safe_text(&b, (const char *)in, 3, SAFE_BODY);
				bad += has_dangerous(b.data, b.len, true);
				buf_release(&b);
			}
		T_INT(bad, 0, "all 65536 byte pairs come out safe");
	}
	{
		struct buf b = BUF_INIT;
		size_t n = 4u << 20;
		unsigned char *junk = xmalloc(n);
		uint32_t x = 2463534242u;

		for (size_t i = 0; i < n; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			junk[i] = (unsigned char)x;
		}
		buf_init(&b);
		safe_text(&b, (const char *)junk, n, SAFE_BODY);
		T_OK(!has_dangerous(b.data, b.len, true), "4 MB of random bytes come out safe (body)");
		buf_reset(&b);
		safe_text(&b, (const char *)junk, n, SAFE_RAW);
		T_OK(!has_dangerous(b.data, b.len, true), "4 MB of random bytes come out safe (raw)");
		buf_release(&b);
		free(junk);
	}
}

static void test_fs(void)
{
	struct buf dir = BUF_INIT, path = BUF_INIT, got = BUF_INIT;
	char err[WARY_ERRLEN];
	struct stat st;

	buf_init(&dir);
	buf_init(&path);
	buf_init(&got);
	T_INT(fs_private_tmpdir(&dir, err, sizeof(err)), WARY_OK, "private temp dir");
	T_OK(stat(dir.data, &st) == 0 && (st.st_mode & 0777) == 0700, "temp dir is 0700");
	buf_addf(&path, "%s/a/b/c", dir.data);
	T_INT(fs_mkdir_p(path.data, 0700, err, sizeof(err)), WARY_OK, "mkdir -p");
	buf_adds(&path, "/file");
	T_INT(fs_write_atomic(path.data, "hello\n", 6, 0600, err, sizeof(err)), WARY_OK, "atomic write");
	T_OK(stat(path.data, &st) == 0 && (st.st_mode & 0777) == 0600, "written file is 0600");
	T_INT(fs_write_atomic(path.data, "again\n", 6, 0600, err, sizeof(err)), WARY_OK, "atomic overwrite");
	T_INT(fs_read_file(path.data, &got, 0, err, sizeof(err)), WARY_OK, "read back");
	T_STR(got.data, "again\n", "content replaced");
	buf_reset(&got);
	T_INT(fs_read_file(path.data, &got, 3, err, sizeof(err)), WARY_ELIMIT, "read limit enforced");
	buf_reset(&got);
	{
		/* read straight into the buffer: a file larger than one read
		 * chunk, appended after what the buffer holds, and from a pipe */
		size_t big = 200003;
		char *data = xmalloc(big);
		struct buf want = BUF_INIT;
		FILE *pipe;

		for (size_t i = 0; i < big; i++)
			data[i] = (char)('a' + i % 23);
		T_INT(fs_write_atomic(path.data, data, big, 0600, err, sizeof(err)), WARY_OK, "big file written");
		buf_adds(&got, "head:");
		T_INT(fs_read_file(path.data, &got, 0, err, sizeof(err)), WARY_OK, "big file read");
		buf_init(&want);
		buf_adds(&want, "head:");
		buf_add(&want, data, big);
		T_OK(got.len == want.len && memcmp(got.data, want.data, want.len) == 0 && got.data[got.len] == '\0',
		     "big file read whole after the bytes already there, terminated");
		buf_reset(&got);
		T_INT(fs_read_file(path.data, &got, big - 1, err, sizeof(err)), WARY_ELIMIT,
		      "a file one byte over the limit is refused");
		buf_reset(&got);
		if ((pipe = popen("head -c 150000 /dev/zero | tr '\\0' q", "r")) != NULL) {
			char dev[64];

			snprintf(dev, sizeof(dev), "/dev/fd/%d", fileno(pipe));
			T_INT(fs_read_file(dev, &got, 0, err, sizeof(err)), WARY_OK, "a pipe is read to its end");
			T_OK(got.len == 150000 && got.data[0] == 'q' && got.data[149999] == 'q',
			     "every byte of the pipe");
			pclose(pipe);
		}
		buf_reset(&got);
		buf_release(&want);
		free(data);
	}
	T_INT(fs_read_file("/nonexistent/x", &got, 0, err, sizeof(err)), WARY_ENOENT, "missing file is ENOENT");
	T_OK(strstr(err, "/nonexistent/x") != NULL, "error names the file");
	{
		struct buf ro = BUF_INIT;

		buf_init(&ro);
		buf_addf(&ro, "%s/nodir/x", dir.data);
		T_INT(fs_write_atomic(ro.data, "x", 1, 0600, err, sizeof(err)), WARY_EIO,
		      "atomic write into a missing dir fails cleanly");
		buf_release(&ro);
	}
	setenv("XDG_CACHE_HOME", "relative/path", 1);
	setenv("HOME", "/home/u", 1);
	{
		char *x = fs_xdg_dir(FS_XDG_CACHE);

		T_STR(x, "/home/u/.cache/wary", "relative XDG value ignored");
		free(x);
	}
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir.data);
		T_INT(system(cmd), 0, "cleanup");
	}
	buf_release(&dir);
	buf_release(&path);
	buf_release(&got);
}

static void name_is(const char *in, const char *want, const char *what)
{
	char *got = fs_safe_filename(in);

	T_STR(got, want, what);
	free(got);
}

static void test_safe_names(void)
{
	struct buf dir = BUF_INIT;
	char err[WARY_ERRLEN], *path = NULL, *path2 = NULL;
	struct buf big = BUF_INIT;
	char *got;

	name_is("report.pdf", "report.pdf", "a plain name is kept");
	name_is("../../etc/passwd", "_.._etc_passwd", "no path and no leading dots");
	name_is("..", "attachment", "only dots: a placeholder");
	name_is(".bashrc", "bashrc", "no hidden file");
	name_is("a\\b", "a_b", "no backslash");
	name_is("pay\x1b[31mslip\r\n.pdf", "pay[31mslip.pdf", "no ESC, CR or LF");
	name_is("payslip-june-\xe2\x80\xae" "fdp.exe", "payslip-june-fdp.exe",
	        "a bidi override is removed, so the real extension shows");
	name_is("zero\xe2\x80\x8bwidth.txt", "zerowidth.txt", "invisible code points removed");
	name_is("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c.txt", "abc.txt", "no U+2028/2029 line breaks");
	name_is("v\xef\xb8\x80\xf3\xa0\x84\x80" "s.txt", "vs.txt", "no variation selectors");
	name_is("\xff\xfe.txt", "\xef\xbf\xbd\xef\xbf\xbd.txt", "invalid UTF-8 becomes U+FFFD");
	name_is("", "attachment", "an empty name gets a placeholder");
	name_is(NULL, "attachment", "no name at all too");
	for (int i = 0; i < 300; i++)
		buf_adds(&big, "\xc3\xa9");
	buf_adds(&big, ".exe");
	got = fs_safe_filename(big.data);
	T_OK(strlen(got) <= 200 && strcmp(got + strlen(got) - 4, ".exe") == 0,
	     "a long name is cut to 200 bytes keeping its extension");
	T_OK(utf8_decode((const unsigned char *)got + strlen(got) - 6, 2, &(uint32_t){ 0 }) == 2,
	     "and not inside a UTF-8 sequence");
	free(got);
	buf_release(&big);

	if (fs_private_tmpdir(&dir, err, sizeof(err)) != WARY_OK) {
		T_OK(0, "temp dir");
		return;
	}
	T_INT(fs_create_in_dir(dir.data, "a.txt", "one", 3, &path, err, sizeof(err)), WARY_OK,
	      "a file is created in the directory");
	T_INT(fs_create_in_dir(dir.data, "a.txt", "two", 3, &path2, err, sizeof(err)), WARY_OK,
	      "a second one with the same name");
	T_OK(path2 && strstr(path2, "/a (2).txt") != NULL, "gets a new name, the first is kept");
	{
		struct buf b = BUF_INIT;

		T_OK(fs_read_file(path, &b, 0, err, sizeof(err)) == WARY_OK && strcmp(b.data, "one") == 0,
		     "the first file is untouched");
		buf_release(&b);
	}
	{
		struct stat st;

		T_OK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "saved files are 0600");
	}
	{
		/* A symlink planted under the name: never followed. */
		struct buf link = BUF_INIT, target = BUF_INIT;
		char *p3 = NULL;

		buf_addf(&link, "%s/evil.txt", dir.data);
		buf_addf(&target, "%s/target", dir.data);
		if (symlink(target.data, link.data) == 0) {
			T_INT(fs_create_in_dir(dir.data, "evil.txt", "x", 1, &p3, err, sizeof(err)), WARY_OK,
			      "a name taken by a symlink");
			T_OK(p3 && strstr(p3, "evil (2).txt") != NULL && access(target.data, F_OK) != 0,
			     "is not followed: the file goes beside it");
			free(p3);
		}
		buf_release(&link);
		buf_release(&target);
	}
	free(path2);
	T_OK(fs_create_in_dir(dir.data, "x/y", "x", 1, &path2, err, sizeof(err)) != WARY_OK &&
	     path2 == NULL, "a name with a slash is refused");
	{
		struct buf cmd = BUF_INIT;

		buf_addf(&cmd, "rm -rf '%s'", dir.data);
		if (system(cmd.data) != 0)
			T_OK(0, "clean up");
		buf_release(&cmd);
	}
	free(path);
	buf_release(&dir);
}

static const char *two_names(unsigned bit)
{
	return bit == 1u ? "one" : bit == 4u ? "four" : bit == 1u << 31 ? "top" : NULL;
}

/* The shared helpers against an independent answer: glibc's timegm for
 * the calendar, a file read back for the writer. */
static void test_shared_helpers(void)
{
	struct buf b;
	int bad = 0, fd;
	char path[] = "/tmp/wary-test-write-XXXXXX";
	struct buf back;
	char err[WARY_ERRLEN];

	for (int y = 1900; y <= 2200 && !bad; y++)
		for (int m = 1; m <= 12; m++) {
			struct tm tm = { 0 };

			tm.tm_year = y - 1900;
			tm.tm_mon = m - 1;
			tm.tm_mday = 28;
			if ((int64_t)timegm(&tm) / 86400 != time_days_from_civil(y, m, 28)) {
				bad = 1;
				printf("#   %d-%02d-28: %lld, timegm %lld\n", y, m,
				       (long long)time_days_from_civil(y, m, 28), (long long)timegm(&tm) / 86400);
				break;
			}
		}
	T_OK(!bad, "time_days_from_civil agrees with timegm, 1900 to 2200");
	T_OK(time_days_from_civil(1970, 1, 1) == 0 && time_days_from_civil(2000, 3, 1) == 11017 &&
	     time_days_from_civil(1969, 12, 31) == -1, "time_days_from_civil: known days");

	buf_init(&b);
	buf_add_json_flags(&b, 0, two_names);
	T_STR(b.data, "[]", "buf_add_json_flags: no flag, an empty array");
	buf_reset(&b);
	buf_add_json_flags(&b, 1u | 2u | 4u | 1u << 31, two_names);
	T_STR(b.data, "[\"one\",\"four\",\"top\"]", "buf_add_json_flags: named bits in order, unnamed left out");
	buf_release(&b);

	fd = mkstemp(path);
	buf_init(&back);
	{
		static char big[1 << 20];

		for (size_t i = 0; i < sizeof(big); i++)
			big[i] = (char)('a' + i % 26);
		T_OK(fd >= 0 && fs_write_all(fd, big, sizeof(big)) == 0, "fs_write_all: 1 MiB written");
		if (fd >= 0)
			close(fd);
		T_OK(fs_read_file(path, &back, 0, err, sizeof(err)) == WARY_OK && back.len == sizeof(big) &&
		     memcmp(back.data, big, sizeof(big)) == 0, "fs_write_all: read back the same");
	}
	unlink(path);
	buf_release(&back);
	fd = open("/dev/full", O_WRONLY);
	if (fd < 0) {
		t_skip("fs_write_all: a full device is an error", "no /dev/full");
	} else {
		errno = 0;
		T_OK(fs_write_all(fd, "x", 1) == -1 && errno == ENOSPC, "fs_write_all: a full device is an error");
		close(fd);
	}
}

int main(void)
{
	test_buf();
	test_str();
	test_err_safe();
	test_safe();
	test_fs();
	test_safe_names();
	test_shared_helpers();
	return t_done();
}
