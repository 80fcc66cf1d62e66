/* render: HTML to text, remote references, links, and every demo and
 * hostile message rendered to lines no terminal can misread. */
#include <dirent.h>
#include <time.h>

#include <sys/stat.h>
#include <unistd.h>

#include "render/render_int.h"
#include "t.h"
#include "t_msg.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

/* ------------------------------------------------------------ helpers */

static char *html_text(const char *html)
{
	struct buf out = BUF_INIT;
	char err[WARY_ERRLEN];

	buf_init(&out);
	if (render_html_to_text(html, strlen(html), 80, &out, err, sizeof(err)) != WARY_OK) {
		printf("# render_html_to_text: %s\n", err);
		buf_release(&out);
		return xstrdup("(failed)");
	}
	return buf_detach(&out, NULL);
}

/* The byte-level promise of design 4.3 for one line: nothing below 0x20
 * but TAB, no DEL, no C1 code point, no bidi override or isolate. */
static const char *unsafe_in(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return "C0/DEL byte";
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return "C1 code point";
		if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
			return "bidi embedding/override";
		if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
			return "bidi isolate";
	}
	return NULL;
}



static struct render_doc *render(const struct mail_msg *m, enum render_headers h, bool html)
{
	struct render_opts o = { h, html, 80 };
	struct render_doc *d = NULL;
	char err[WARY_ERRLEN];

	if (m == NULL || render_message(m, &o, &d, err, sizeof(err)) != WARY_OK)
		return NULL;
	return d;
}

static bool has_line(const struct render_doc *d, enum render_kind kind, const char *needle)
{
	for (size_t i = 0; d != NULL && i < render_line_count(d); i++) {
		enum render_kind k;
		const char *l = render_line(d, i, &k);

		if (k == kind && strstr(l, needle) != NULL)
			return true;
	}
	return false;
}

static size_t count_kind(const struct render_doc *d, enum render_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; d != NULL && i < render_line_count(d); i++) {
		enum render_kind k;

		render_line(d, i, &k);
		n += k == kind;
	}
	return n;
}

static const struct render_link *link_to(const struct render_doc *d, const char *host)
{
	for (size_t i = 0; i < render_link_count(d); i++)
		if (strcmp(render_link_get(d, i)->host, host) == 0)
			return render_link_get(d, i);
	return NULL;
}

/* --------------------------------------------------------------- HTML */

static void test_html_text(void)
{
	char *t = html_text("<html><head><title>Title</title><style>p{color:red}</style>"
	                    "<script>alert('x')</script></head><body>"
	                    "<h1>Fish &amp; chips</h1><p>one   two\nthree</p>"
	                    "<ul><li>first<li>second<ol><li>a<li>b</ol></ul>"
	                    "<pre>  a\n    b</pre><p>x<br>y</p>"
	                    "<table><tr><td>c1</td><td>c2</td></tr><tr><td>c3</td></tr></table>"
	                    "<blockquote>said</blockquote><template>tpl</template>"
	                    "<noscript>nos</noscript><img src=\"cid:logo\" alt=\"The logo\">"
	                    "</body></html>");

	T_OK(strstr(t, "Fish & chips\n") != NULL, "html: entities decoded, heading on its own line");
	T_OK(strstr(t, "one two three") != NULL, "html: white space collapsed");
	T_OK(strstr(t, "Title") == NULL && strstr(t, "alert") == NULL && strstr(t, "color:red") == NULL,
	     "html: title, script and style dropped");
	T_OK(strstr(t, "tpl") == NULL && strstr(t, "nos") == NULL, "html: template and noscript dropped");
	T_OK(strstr(t, "* first\n* second\n  1. a\n  2. b") != NULL, "html: bullets and numbered nested list");
	T_OK(strstr(t, "  a\n    b") != NULL, "html: <pre> keeps its spaces and lines");
	T_OK(strstr(t, "x\ny") != NULL, "html: <br> breaks the line");
	T_OK(strstr(t, "c1 | c2\nc3") != NULL, "html: table rows as lines, cells separated");
	T_OK(strstr(t, "> said") != NULL, "html: blockquote marked as a quote");
	T_OK(strstr(t, "[image: The logo]") != NULL, "html: image shown by its alt text");
	T_OK(strstr(t, "blocked") == NULL, "html: a cid: image is local, nothing blocked");
	free(t);
}

static void test_html_links(void)
{
	const char *html = "<p>Go to <a href=\"https://evil.example/login\">https://bank.example/</a>,"
	                   " <a href='http://ok.example/x'>ok.example</a>,"
	                   " <a href=\"https://user@other.example:8080/p\">our shop</a>"
	                   " and <a href=\"https://click.example/t\">www.shop.example</a>.</p>";
	struct render_doc *d = NULL;
	char *t = html_text(html);
	char err[WARY_ERRLEN];
	const struct render_link *l;

	T_OK(strstr(t, "https://bank.example/[1]") != NULL, "links: visible text gets its footnote number");
	T_OK(strstr(t, "\n[1] https://evil.example/login\n") != NULL, "links: footnote shows the real target");
	T_OK(strstr(t, "[4] https://click.example/t") != NULL, "links: every link numbered in order");
	free(t);
	T_INT(render_html(html, strlen(html), 80, &d, err, sizeof(err)), WARY_OK, "links: render_html");
	T_INT(render_link_count(d), 4, "links: four links listed");
	l = link_to(d, "evil.example");
	T_OK(l != NULL && (l->flags & RENDER_LINK_TEXT_HOST_MISMATCH), "links: URL text to another host flagged");
	T_STR(l ? l->text : NULL, "https://bank.example/", "links: the visible text is kept");
	l = link_to(d, "ok.example");
	T_OK(l != NULL && l->flags == 0, "links: text host equal to the real host not flagged");
	l = link_to(d, "other.example");
	T_OK(l != NULL && l->flags == RENDER_LINK_USERINFO,
	     "links: userinfo and port stripped from the host, userinfo flagged; plain words not compared");
	l = link_to(d, "click.example");
	T_OK(l != NULL && (l->flags & RENDER_LINK_TEXT_HOST_MISMATCH),
	     "links: a bare host name as text is compared too");
	T_OK(count_kind(d, RENDER_LINK) == 4, "links: four RENDER_LINK footnote lines");
	render_free(&d);
}

static void test_url_host(void)
{
	static const struct { const char *url, *host; } cases[] = {
		{ "https://Example.COM/x", "example.com" },
		{ "http://a@b.example:81/", "b.example" },
		{ "  http:\\\\evil.example\\x", "evil.example" },
		{ "//cdn.example/a.png", "cdn.example" },
		{ "mailto:bob@Mail.example?subject=x", "mail.example" },
		{ "http://[::1]:8080/", "[::1]" },
		{ "http://host.example./", "host.example" },
		{ "/relative/path", NULL },
		{ "javascript:alert(1)", NULL },
		{ "", NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *h = render_url_host(cases[i].url, strlen(cases[i].url));
		char what[160];

		snprintf(what, sizeof(what), "url host of \"%s\"", cases[i].url);
		T_STR(h, cases[i].host, what);
		free(h);
	}
}

static void test_html_remote(void)
{
	const char *html =
		"<html><head><link rel=stylesheet href='https://css.example/a.css'>"
		"<link rel='dns-prefetch' href='//pre.example'><link rel='shortcut icon' href='/f.ico'>"
		"<meta http-equiv=refresh content='0; url=https://go.example/'>"
		"<style>@import \"https://imp.example/b.css\"; @font-face { src: url(https://f.example/x.woff) }"
		" body { background: u\\72l(https://bg.example/p.png) } /* url(https://no.example/) */</style>"
		"</head><body background='https://tb.example/bg.gif'>"
		"<p style=\"background-image: url(&quot;https://st.example/i.png&quot;)\">hi</p>"
		"<img src='https://img.example/a.png' srcset='https://img.example/a2.png 2x, https://img.example/a3.png 3x'>"
		"<img src='https://t.example/px.gif?id=42' width=1 height=1>"
		"<img src='data:image/png;base64,AAAA'><img src='cid:part1'>"
		"<iframe src='https://frame.example/'></iframe><video src='https://v.example/v.mp4'></video>"
		"<form action='https://collect.example/post'><input name=p></form>"
		"</body></html>";
	struct render_doc *d = NULL;
	char err[WARY_ERRLEN];
	enum render_kind k;
	const char *first;

	T_INT(render_html(html, strlen(html), 80, &d, err, sizeof(err)), WARY_OK, "remote: render_html");
	T_INT(render_remote_count(d, RENDER_REMOTE_IMAGE), 7, "remote: images (src, srcset x2, pixel, background attr, style url, css url)");
	T_INT(render_remote_count(d, RENDER_REMOTE_STYLESHEET), 2, "remote: stylesheets (link and @import)");
	T_INT(render_remote_count(d, RENDER_REMOTE_FONT), 1, "remote: @font-face url is a font");
	T_INT(render_remote_count(d, RENDER_REMOTE_PREFETCH), 1, "remote: dns-prefetch");
	T_INT(render_remote_count(d, RENDER_REMOTE_ICON), 1, "remote: icon");
	T_INT(render_remote_count(d, RENDER_REMOTE_REFRESH), 1, "remote: meta refresh");
	T_INT(render_remote_count(d, RENDER_REMOTE_FRAME), 1, "remote: iframe");
	T_INT(render_remote_count(d, RENDER_REMOTE_MEDIA), 1, "remote: video");
	T_INT(render_remote_count(d, RENDER_REMOTE_FORM), 1, "remote: form action");
	T_INT(render_remote_blocked(d), 16, "remote: total; data:, cid: and a CSS comment are not counted");
	T_INT(render_tracker_count(d), 1, "remote: one tracking pixel");
	T_STR(render_tracker(d, 0), "t.example", "remote: the tracker is named by its host");
	first = render_line(d, 0, &k);
	T_OK(k == RENDER_NOTICE && str_starts_with(first, "[wary blocked 16 remote references: 7 images, 2 stylesheets, 1 font,"),
	     "remote: one notice at the top of the part");
	T_OK(first && strstr(first, "; tracking pixel from t.example]") != NULL, "remote: the notice names the tracker");
	render_free(&d);
}

static void test_html_hidden(void)
{
	char *t = html_text("<p>vis<span style='display:none'>NONE</span>ible</p>"
	                    "<p style='color:#FFFFFF'>WHITE</p>"
	                    "<div style='background:#000'><p style='color:white'>onblack</p></div>"
	                    "<p style='font-size:1px'>TINY</p><p hidden>ATTR</p>"
	                    "<font color=\"white\">FONT</font><p style='visibility : hidden'>VIS</p>"
	                    "<p style='opacity:0'>OPA</p><p>end</p>");

	T_OK(strstr(t, "visible") != NULL, "hidden: display:none inside a word leaves the word whole");
	T_OK(strstr(t, "NONE") == NULL && strstr(t, "WHITE") == NULL && strstr(t, "TINY") == NULL &&
	     strstr(t, "ATTR") == NULL && strstr(t, "FONT") == NULL && strstr(t, "VIS\n") == NULL &&
	     strstr(t, "OPA") == NULL,
	     "hidden: display:none, white on white, 1px, hidden, font color, visibility, opacity dropped");
	T_OK(strstr(t, "onblack") != NULL, "hidden: white text on a dark background is visible");
	T_OK(strstr(t, "[wary dropped") != NULL, "hidden: a notice says text was dropped");
	free(t);
}

static void test_html_escapes(void)
{
	char *t = html_text("<p>a\x1b[2Jb &#27;]0;pwned&#7; c&#x9b;31m d&#x202e;fdp.exe &#x2066;x"
	                    "\x7f\x08 \xc2\x9b\xc2\x85 \r</p><pre>\x1b]8;;https://e.example/\x1b\\l</pre>"
	                    "<a href='https://x.example/&#x1b;[31m'>t&#x202E;x</a>");
	char *line, *save = t;
	bool clean = true;

	for (line = t; line && *line; ) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (unsafe_in(line) != NULL) {
			printf("#   unsafe (%s): %s\n", unsafe_in(line), line);
			clean = false;
		}
		line = nl ? nl + 1 : NULL;
	}
	T_OK(clean, "escapes: no ESC, C0, DEL, C1 or bidi control in HTML text, raw or as entities");
	free(save);
	t = html_text("<p>d&#x202e;fdp.exe</p>");
	T_OK(strstr(t, "<U+202E>") != NULL, "escapes: a bidi override is shown as an escape");
	free(t);
}

static char *repeat(const char *s, size_t n, const char *tail)
{
	size_t l = strlen(s);
	struct buf b = BUF_INIT;

	buf_init(&b);
	buf_grow(&b, l * n + strlen(tail));
	for (size_t i = 0; i < n; i++)
		buf_add(&b, s, l);
	buf_adds(&b, tail);
	return buf_detach(&b, NULL);
}

static void test_html_hostile(void)
{
	struct buf out = BUF_INIT;
	char err[WARY_ERRLEN];
	char *h;
	clock_t c0;
	double secs;

	buf_init(&out);
	h = repeat("<div>", 100000, "deep text");
	c0 = clock();
	T_INT(render_html_to_text(h, strlen(h), 80, &out, err, sizeof(err)), WARY_OK, "hostile: 100k nested divs render");
	secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
	T_OK(strstr(out.data, "deep text") != NULL, "hostile: the text under 100k levels is kept");
	T_OK(secs < 5.0, "hostile: 100k levels in bounded time (the parser alone takes ~20 s)");
	printf("# 100k levels: %.2f s\n", secs);
	{
		struct buf copy = BUF_INIT;
		size_t removed = 0;

		buf_init(&copy);
		c0 = clock();
		T_INT(render_html_browser_copy(h, strlen(h), false, &copy, &removed, err, sizeof(err)), WARY_OK,
		      "hostile: the browser copy of 100k nested divs");
		secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
		T_OK(secs < 5.0 && strstr(copy.data, "deep text") != NULL,
		     "hostile: ... in bounded time and stack, the text kept");
		printf("# browser copy of 100k levels: %.2f s\n", secs);
		buf_release(&copy);
	}
	{
		/* the same depth inside an iframe srcdoc */
		char *inner = repeat("&lt;div&gt;", 40000, "&lt;img src=&quot;http://deep.example/x.png&quot;&gt;");
		struct buf doc = BUF_INIT;
		struct render_doc *d = NULL;

		buf_init(&doc);
		buf_adds(&doc, "<iframe srcdoc=\"");
		buf_adds(&doc, inner);
		buf_adds(&doc, "\"></iframe>");
		c0 = clock();
		T_INT(render_html(doc.data, doc.len, 80, &d, err, sizeof(err)), WARY_OK, "hostile: 40k levels inside srcdoc");
		secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
		T_OK(secs < 5.0 && render_remote_count(d, RENDER_REMOTE_IMAGE) == 1,
		     "hostile: ... in bounded time, its image still counted");
		printf("# srcdoc 40k levels: %.2f s\n", secs);
		render_free(&d);
		buf_release(&doc);
		free(inner);
	}
	free(h);

	buf_reset(&out);
	h = repeat("<b><i><font><span><a href=x><table><tr><td><select><option>", 20000, "end");
	T_INT(render_html_to_text(h, strlen(h), 80, &out, err, sizeof(err)), WARY_OK, "hostile: 20k unclosed tags of every kind");
	free(h);

	buf_reset(&out);
	h = repeat("<p>a paragraph of text <a href=\"https://x.example/\">link</a> and more</p>\n",
	           700000, "");
	c0 = clock();
	T_INT(render_html_to_text(h, strlen(h), 80, &out, err, sizeof(err)), WARY_OK, "hostile: 50 MB of HTML renders");
	secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
	T_OK(strstr(out.data, "[wary rendered the first 2 MB of") != NULL, "hostile: 50 MB cut with a notice");
	T_OK(secs < 10.0, "hostile: 50 MB in bounded time");
	printf("# 50 MB: %.2f s, %zu MB of HTML\n", secs, strlen(h) >> 20);
	free(h);

	{
		/* a tracking pixel whose srcset makes the reference list grow
		 * while the pixel is being marked (found by fuzzing) */
		struct buf h2 = BUF_INIT;
		struct render_doc *d = NULL;

		buf_init(&h2);
		for (int i = 0; i < 20; i++) {
			buf_addf(&h2, "<img width=1 height=1 src=\"http://t%d.example/p.gif\" srcset=\"", i);
			for (int k = 0; k < 20; k++)
				buf_addf(&h2, "http://s.example/%d-%d.png %dx, ", i, k, k + 1);
			buf_adds(&h2, "\">");
		}
		T_INT(render_html(h2.data, h2.len, 80, &d, err, sizeof(err)), WARY_OK, "hostile: pixels with long srcsets");
		T_OK(render_tracker_count(d) == 20 && render_ref_count(d) == 420 && render_ref_get(d, 21)->tracker,
		     "hostile: ... every pixel marked, every candidate listed");
		render_free(&d);
		buf_release(&h2);
	}
	buf_reset(&out);
	T_INT(render_html_to_text("<a href=\"", 9, 80, &out, err, sizeof(err)), WARY_OK, "hostile: unterminated attribute");
	buf_reset(&out);
	T_INT(render_html_to_text("", 0, 80, &out, err, sizeof(err)), WARY_OK, "hostile: empty input");
	T_INT(out.len, 0, "hostile: empty input gives no lines");
	buf_reset(&out);
	T_INT(render_html_to_text("<p>a\0b</p>", 10, 80, &out, err, sizeof(err)), WARY_OK, "hostile: NUL in HTML");
	T_OK(strchr(out.data, 'b') != NULL, "hostile: text after a NUL kept");
	buf_release(&out);
}

/* ------------------------------------------------------------ messages */

static bool doc_clean(const struct render_doc *d, const char *what)
{
	for (size_t i = 0; i < render_line_count(d); i++) {
		const char *l = render_line(d, i, NULL);
		const char *why = unsafe_in(l);

		if (why != NULL) {
			printf("#   %s line %zu: %s\n", what, i, why);
			return false;
		}
	}
	for (size_t i = 0; i < render_link_count(d); i++) {
		const struct render_link *l = render_link_get(d, i);

		if (unsafe_in(l->text) || unsafe_in(l->href) || unsafe_in(l->host)) {
			printf("#   %s link %zu unsafe\n", what, i);
			return false;
		}
	}
	return true;
}

/* Render every file of a directory in all modes; count and check. */
static void all_in(const char *reldir, size_t *n, size_t *bad, size_t *failed, size_t *unstable)
{
	char dir[1024], rel[1024];
	DIR *dd;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s/%s", TOP_SRCDIR, reldir);
	if ((dd = opendir(dir)) == NULL)
		return;
	while ((e = readdir(dd)) != NULL) {
		struct mail_msg *m;

		if (e->d_name[0] == '.' || (strstr(reldir, "hostile") && !strstr(e->d_name, ".eml")))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", reldir, e->d_name);
		m = t_load_msg(rel);
		if (m == NULL) {
			/* empty.eml may be refused cleanly; anything else counts */
			if (strcmp(e->d_name, "empty.eml") != 0)
				(*failed)++;
			continue;
		}
		struct render_doc *first = render(m, RENDER_HEADERS_WEED, false), *again;
		struct buf t1 = BUF_INIT, t2 = BUF_INIT;

		for (int mode = 0; mode < 4; mode++) {
			struct render_doc *d = render(m, mode < 2 ? RENDER_HEADERS_WEED : RENDER_HEADERS_ALL,
			                              mode & 1);

			if (d == NULL) {
				(*failed)++;
			} else if (!doc_clean(d, e->d_name)) {
				(*bad)++;
			}
			render_free(&d);
		}
		/* The pager renders a message again (resize, toggles): the parts
		 * parsed on demand must not make the second text differ. */
		again = render(m, RENDER_HEADERS_WEED, false);
		buf_init(&t1);
		buf_init(&t2);
		if (first != NULL)
			render_text(first, &t1);
		if (again != NULL)
			render_text(again, &t2);
		if (t1.len != t2.len || (t1.len > 0 && memcmp(t1.data, t2.data, t1.len) != 0)) {
			printf("#   %s: a second render differs from the first\n", e->d_name);
			(*unstable)++;
		}
		buf_release(&t1);
		buf_release(&t2);
		render_free(&first);
		render_free(&again);
		(*n)++;
		mail_free(&m);
	}
	closedir(dd);
}

static void test_all_safe(void)
{
	size_t n = 0, bad = 0, failed = 0, unstable = 0;

	all_in("tests/demo/Maildir/cur", &n, &bad, &failed, &unstable);
	all_in("tests/demo/Maildir/new", &n, &bad, &failed, &unstable);
	T_OK(n >= 50, "demo: every message rendered");
	printf("# demo: %zu messages\n", n);
	T_INT(failed, 0, "demo: no message fails to parse or render");
	T_INT(bad, 0, "demo: no line holds a control byte, C1 or bidi control (4 modes each)");
	n = bad = failed = 0;
	all_in("tests/fixtures/hostile", &n, &bad, &failed, &unstable);
	T_OK(n >= 80, "hostile: every fixture rendered");
	printf("# hostile: %zu messages\n", n);
	T_INT(failed, 0, "hostile: no fixture fails to parse or render");
	T_INT(bad, 0, "hostile: no line holds a control byte, C1 or bidi control (4 modes each)");
	T_INT(unstable, 0, "demo and hostile: a message rendered again gives the same text");
}

static void test_headers(void)
{
	struct mail_msg *m = t_demo_msg("1704700800.");
	struct render_doc *w = render(m, RENDER_HEADERS_WEED, false);
	struct render_doc *a = render(m, RENDER_HEADERS_ALL, false);
	struct render_doc *none = render(m, RENDER_HEADERS_NONE, false);
	bool only_weeded = true;

	for (size_t i = 0; w && i < render_line_count(w); i++) {
		enum render_kind k;
		const char *l = render_line(w, i, &k);

		if (k == RENDER_HEADER && !str_starts_with(l, "Date: ") && !str_starts_with(l, "From: ") &&
		    !str_starts_with(l, "To: ") && !str_starts_with(l, "Cc: ") &&
		    !str_starts_with(l, "Reply-To: ") && !str_starts_with(l, "Subject: "))
			only_weeded = false;
	}
	T_OK(w && has_line(w, RENDER_HEADER, "From: ") && has_line(w, RENDER_HEADER, "Subject: "),
	     "headers: weeded block has From and Subject");
	T_OK(only_weeded, "headers: weeded block has nothing else");
	T_OK(a && count_kind(a, RENDER_HEADER) > count_kind(w, RENDER_HEADER) &&
	     has_line(a, RENDER_HEADER, "Received: "), "headers: ALL shows every field");
	T_INT(count_kind(none, RENDER_HEADER), 0, "headers: NONE shows none");
	T_OK(has_line(w, RENDER_SIGNATURE, "-- "), "text: the signature after \"-- \" is marked");
	render_free(&w);
	render_free(&a);
	render_free(&none);
	mail_free(&m);

	m = t_demo_msg("1707941820.");
	w = render(m, RENDER_HEADERS_WEED, false);
	T_OK(w && !has_line(w, RENDER_HEADER, "=?"), "headers: encoded words decoded (ISO-8859-1 Q)");
	render_free(&w);
	mail_free(&m);

	m = t_load_msg("tests/fixtures/hostile/duplicate-subject.eml");
	w = render(m, RENDER_HEADERS_WEED, false);
	{
		size_t subjects = 0;

		for (size_t i = 0; w && i < render_line_count(w); i++)
			subjects += str_starts_with(render_line(w, i, NULL), "Subject: ");
		T_INT(subjects, 2, "headers: both Subject fields shown");
	}
	render_free(&w);
	mail_free(&m);
}

static void test_quotes(void)
{
	struct mail_msg *m = t_demo_msg("1707074441.");
	struct render_doc *d = render(m, RENDER_HEADERS_WEED, false);

	T_OK(count_kind(d, RENDER_QUOTE1) > 0, "quotes: depth 1 lines");
	T_OK(count_kind(d, RENDER_QUOTE2) > 0, "quotes: depth 2+ lines");
	T_OK(count_kind(d, RENDER_SIGNATURE) > 0, "quotes: own signature marked");
	render_free(&d);
	mail_free(&m);
}

static void test_newsletter(void)
{
	struct mail_msg *m = t_demo_msg("1707202812.");
	struct render_doc *d = render(m, RENDER_HEADERS_WEED, false);

	T_OK(d != NULL, "newsletter: renders (HTML only)");
	T_INT(render_remote_count(d, RENDER_REMOTE_IMAGE), 4, "newsletter: 4 images (hero, pixel, two CSS backgrounds)");
	T_INT(render_remote_count(d, RENDER_REMOTE_STYLESHEET), 1, "newsletter: 1 stylesheet");
	T_INT(render_remote_count(d, RENDER_REMOTE_FONT), 1, "newsletter: 1 font");
	T_INT(render_remote_count(d, RENDER_REMOTE_PREFETCH), 1, "newsletter: 1 dns-prefetch");
	T_INT(render_tracker_count(d), 1, "newsletter: one tracking pixel");
	T_STR(render_tracker(d, 0), "t.tidewater-bikes.example.com", "newsletter: tracker host named");
	T_OK(has_line(d, RENDER_NOTICE, "[wary blocked 7 remote references: 4 images, 1 stylesheet, 1 font, 1 prefetch; tracking pixel from t.tidewater-bikes.example.com]"),
	     "newsletter: the blocked notice");
	T_OK(has_line(d, RENDER_BODY, "* Tuesday: fixing punctures"), "newsletter: list items as bullets");
	T_OK(has_line(d, RENDER_LINK, "https://click.tidewater-bikes.example.com/unsub/"), "newsletter: click-tracking target shown");
	render_free(&d);
	mail_free(&m);
}

static void test_phishing(void)
{
	struct mail_msg *m = t_demo_msg("1713150764.");
	struct render_doc *d = render(m, RENDER_HEADERS_WEED, false);
	const struct render_link *l;

	T_OK(d != NULL, "phishing: renders");
	l = link_to(d, "northwind-bank.example.com.secure-login.test");
	T_OK(l != NULL && (l->flags & RENDER_LINK_TEXT_HOST_MISMATCH), "phishing: bank URL text to another host flagged");
	T_OK(has_line(d, RENDER_LINK, "http://northwind-bank.example.com.secure-login.test/verify?id=88123&s=1"),
	     "phishing: the real target is a footnote");
	T_OK(has_line(d, RENDER_BODY, "https://www.northwind-bank.example.com/security[1]"),
	     "phishing: link text visible (white on a dark button) with its number");
	T_OK(has_line(d, RENDER_LINK, "http://0xcb007165/nwb/login.php"), "phishing: hex-IP link target shown");
	T_OK(has_line(d, RENDER_NOTICE, "    [wary: ip 203.0.113.101]"), "phishing: under it, the IP decoded");
	T_OK(has_line(d, RENDER_NOTICE, "[wary: the text names www.northwind-bank.example.com, the link goes to "
	              "northwind-bank.example.com.secure-login.test]"), "phishing: under the lying link, what it hides");
	T_OK(render_remote_count(d, RENDER_REMOTE_FORM) == 1 && render_remote_count(d, RENDER_REMOTE_IMAGE) == 1,
	     "phishing: the form and the remote logo are counted");
	render_free(&d);
	mail_free(&m);
}

static void test_structure(void)
{
	struct mail_msg *m = t_demo_msg("1707746635.");
	struct render_doc *t = render(m, RENDER_HEADERS_WEED, false);
	struct render_doc *h = render(m, RENDER_HEADERS_WEED, true);

	T_OK(t && render_remote_blocked(t) == 0 && !has_line(t, RENDER_NOTICE, "blocked"),
	     "alternative: text/plain chosen by default");
	T_OK(h && render_remote_blocked(h) == 1 && has_line(h, RENDER_NOTICE, "[wary blocked 1 remote reference: 1 image"),
	     "alternative: prefer_html shows the HTML and its remote logo");
	render_free(&t);
	render_free(&h);
	mail_free(&m);

	m = t_demo_msg("1713445357.");
	t = render(m, RENDER_HEADERS_WEED, false);
	T_OK(has_line(t, RENDER_NOTICE, "[wary did not fetch an external body: access-type="),
	     "external-body: a notice, never fetched");
	T_INT(render_remote_count(t, RENDER_REMOTE_EXTERNAL), 2, "external-body: both references counted");
	T_INT(render_ref_count(t), 2, "external-body: both listed with where they point");
	T_OK(render_ref_count(t) == 2 && render_ref_get(t, 0)->kind == RENDER_REMOTE_EXTERNAL &&
	     render_ref_get(t, 0)->host[0] != '\0', "external-body: the reference names its host");
	render_free(&t);
	mail_free(&m);

	m = t_demo_msg("1713339000.");
	t = render(m, RENDER_HEADERS_WEED, true);
	T_OK(has_line(t, RENDER_PART, "[-- message/rfc822 --]"), "rfc822: a part line for the enclosed message");
	{
		size_t froms = 0;

		for (size_t i = 0; t && i < render_line_count(t); i++)
			froms += str_starts_with(render_line(t, i, NULL), "From: ");
		T_INT(froms, 2, "rfc822: the enclosed message has its own weeded header block");
	}
	T_INT(render_tracker_count(t), 1, "rfc822: the tracking pixel inside the nested HTML is found");
	render_free(&t);
	mail_free(&m);

	m = t_demo_msg("1713766449.");
	t = render(m, RENDER_HEADERS_WEED, false);
	T_OK(has_line(t, RENDER_ATTACHMENT, "invoice.pdf (application/pdf, "), "attachments: name, declared type, size");
	T_OK(has_line(t, RENDER_ATTACHMENT, "shipping-label.txt"), "attachments: the second one listed");
	T_OK(count_kind(t, RENDER_PART) >= 2, "attachments: part separators between parts");
	render_free(&t);
	mail_free(&m);

	m = t_demo_msg("1717578753.");
	t = render(m, RENDER_HEADERS_WEED, false);
	T_OK(has_line(t, RENDER_ATTACHMENT, "payslip-june-<U+202E>fdp.exe"), "attachments: a bidi override in a name shown as an escape");
	render_free(&t);
	mail_free(&m);

	m = t_load_msg("tests/fixtures/hostile/boundary-never-closed.eml");
	t = render(m, RENDER_HEADERS_WEED, false);
	T_OK(t != NULL && render_line_count(t) > 2, "broken MIME: an unclosed multipart still renders");
	render_free(&t);
	mail_free(&m);

	m = t_load_msg("tests/fixtures/hostile/link-text-plain.eml");
	t = render(m, RENDER_HEADERS_WEED, false);
	T_OK(t != NULL && render_link_count(t) > 0, "text/plain: URLs go to the link list");
	render_free(&t);
	mail_free(&m);
}


/* ------------------------------------------------ fixtures, by table */

/* Every HTML fixture with what it must give: each remote reference
 * ("kind url", resolved), the tracking pixels' hosts, and each link's
 * real target with its flags.  The browser oracle test checks the same
 * files against Chromium. */
struct fx_link {
	const char *href;
	unsigned flags;
	const char *detail; /* a piece of the detail, or NULL */
};
struct fixture {
	const char *file;
	const char *refs[20];
	const char *trackers[4];
	struct fx_link links[16];
};

#define FL_MIS RENDER_LINK_TEXT_HOST_MISMATCH
#define FL_IP RENDER_LINK_NUMERIC_HOST
#define FL_UI RENDER_LINK_USERINFO
#define FL_PUNY RENDER_LINK_PUNYCODE
#define FL_MIX RENDER_LINK_MIXED_SCRIPT
#define FL_HTTP RENDER_LINK_HTTP_DOWNGRADE
#define FL_FORM RENDER_LINK_FORM
#define FL_JS RENDER_LINK_SCRIPT_URL

static const struct fixture fixtures[] = {
	{ "images.html",
	  { "image http://img.example/a.png", "image http://img.example/b.png", "image http://img.example/b2.png",
	    "image http://img.example/b3.png", "image http://pic.example/wide.webp",
	    "image http://pic.example/fallback.jpg", "image http://img.example/low.gif",
	    "form http://collect.example/post", "image http://btn.example/submit.png",
	    "image http://t.example/open.gif",
	    "image http://track.example/o/5f2b9c1e7a3d.gif?r=Q2hyaXN0b3BoZXJAZXhhbXBsZS5vcmc",
	    "image http://HOST.example/Mixed/Case.PNG", "image https://tls.example/secure.png" },
	  { "t.example", "track.example" },
	  { { "http://collect.example/post", FL_FORM, "GET" } } },
	{ "media.html",
	  { "image http://bg.example/body.jpg", "image http://bg.example/table.jpg", "image http://bg.example/cell.jpg",
	    "media http://media.example/clip.mp4", "image http://media.example/poster.jpg",
	    "media http://media.example/alt.webm", "media http://media.example/subs.vtt",
	    "media http://media.example/sound.mp3" },
	  { NULL }, { { NULL, 0, NULL } } },
	{ "frames.html",
	  { "frame http://frame.example/inner.html", "image http://srcdoc.example/inside.png",
	    "object http://obj.example/thing.swf", "object http://embed.example/movie.swf" },
	  { NULL }, { { NULL, 0, NULL } } },
	{ "svg.html",
	  { "image http://svg.example/href.png", "image http://svg.example/xlink.png",
	    "image http://svg.example/sprite.svg#icon", "image http://svg.example/fe.png" },
	  { NULL }, { { NULL, 0, NULL } } },
	{ "base.html",
	  { "image http://base.example/dir/sub/rel.png", "image http://base.example/dir/up.png",
	    "image http://base.example/abs.png?x=1", "image http://proto.example/p.png" },
	  { NULL },
	  { { "http://base.example/dir/sub/page.html", 0, NULL }, { "https://www.shop.example/", 0, NULL } } },
	{ "link-rel.html",
	  { "stylesheet http://css.example/main.css", "prefetch http://pre.example/next.html",
	    "prefetch //dns.example", "prefetch http://conn.example", "prefetch http://pre.example/font.woff2",
	    "prefetch http://pre.example/hero.jpg", "icon http://icon.example/favicon.ico",
	    "script http://js.example/app.js" },
	  { NULL }, { { NULL, 0, NULL } } },
	{ "refresh.html", { "refresh http://refresh.example/landing?id=1" }, { NULL }, { { NULL, 0, NULL } } },
	{ "css.html",
	  { "stylesheet http://css.example/imported.css", "stylesheet http://css.example/string-import.css",
	    "font http://font.example/f.woff2", "image http://esc.example/escaped.png",
	    "image http://css.example/Case/Kept.PNG", "image http://set.example/one.png",
	    "image http://set.example/two.png", "image http://style.example/attr.png",
	    "image http://style.example/upper.png" },
	  { NULL }, { { NULL, 0, NULL } } },
	{ "hidden.html",
	  { "image http://hide.example/none.gif", "image http://hide.example/zero.gif",
	    "image http://hide.example/visible-logo.png" },
	  { "hide.example" }, { { NULL, 0, NULL } } },
	{ "links.html",
	  { "form http://phish.example/collect" },
	  { NULL },
	  { { "http://evil.example/login", FL_MIS | FL_HTTP, "the text names bank.example" },
	    { "http://evil.example/x", FL_MIS, "the text names www.bank.example" },
	    { "http://bank.example/ok", 0, NULL },
	    { "http://3405803777/a", FL_IP, "ip 203.0.113.1" },
	    { "http://0xCB007101/b", FL_IP, "ip 203.0.113.1" },
	    { "http://0313.0.0161.01/c", FL_IP, "ip 203.0.113.1" },
	    { "http://203.113/d", FL_IP, "ip 203.0.0.113" },
	    { "http://paypal.com@evil.example/e", FL_UI, "userinfo \"paypal.com\" before the real host evil.example" },
	    { "http://xn--pypal-4ve.example/f", FL_PUNY | FL_MIX, "scripts Latin+Cyrillic" },
	    { "http://www.xn--80ak6aa92e.example/g", FL_PUNY | FL_MIX, "= www.\xd0\xb0\xd1\x80\xd1\x80\xd3\x8f\xd0\xb5.example" },
	    { "http://secure.example/h", FL_HTTP, NULL },
	    { "javascript:alert(1)", FL_JS, NULL },
	    { "mailto:someone@example.org", 0, NULL },
	    { "http://phish.example/collect", FL_FORM, "asks for a password" } } },
};

static void test_fixtures(void)
{
	for (size_t f = 0; f < ARRAY_SIZE(fixtures); f++) {
		const struct fixture *fx = &fixtures[f];
		char path[1024], err[WARY_ERRLEN], what[256];
		struct buf html = BUF_INIT, got = BUF_INIT;
		struct render_doc *d = NULL;
		size_t nrefs = 0, nlinks = 0, ntr = 0;
		bool links_ok = true;

		snprintf(path, sizeof(path), "%s/tests/fixtures/html/%s", TOP_SRCDIR, fx->file);
		buf_init(&html);
		buf_init(&got);
		if (fs_read_file(path, &html, 0, err, sizeof(err)) != WARY_OK ||
		    render_html(html.data, html.len, 80, &d, err, sizeof(err)) != WARY_OK) {
			snprintf(what, sizeof(what), "fixture %s renders", fx->file);
			T_OK(0, what);
			buf_release(&html);
			continue;
		}
		for (size_t i = 0; i < render_ref_count(d); i++) {
			const struct render_ref *r = render_ref_get(d, i);

			buf_addf(&got, "%s %s|", render_remote_kind_name(r->kind), r->url);
		}
		while (nrefs < ARRAY_SIZE(fx->refs) && fx->refs[nrefs])
			nrefs++;
		{
			struct buf want = BUF_INIT;

			buf_init(&want);
			for (size_t i = 0; i < nrefs; i++)
				buf_addf(&want, "%s|", fx->refs[i]);
			snprintf(what, sizeof(what), "%s: the %zu remote references, resolved, in order", fx->file, nrefs);
			T_STR(got.data, want.data, what);
			buf_release(&want);
		}
		snprintf(what, sizeof(what), "%s: the counts by kind add up to the references", fx->file);
		T_INT(render_remote_blocked(d), nrefs, what);
		while (ntr < ARRAY_SIZE(fx->trackers) && fx->trackers[ntr])
			ntr++;
		snprintf(what, sizeof(what), "%s: %zu tracking pixel host(s)", fx->file, ntr);
		T_INT(render_tracker_count(d), ntr, what);
		for (size_t i = 0; i < ntr && i < render_tracker_count(d); i++) {
			snprintf(what, sizeof(what), "%s: tracker %s", fx->file, fx->trackers[i]);
			T_STR(render_tracker(d, i), fx->trackers[i], what);
		}
		while (nlinks < ARRAY_SIZE(fx->links) && fx->links[nlinks].href)
			nlinks++;
		snprintf(what, sizeof(what), "%s: %zu links", fx->file, nlinks);
		T_INT(render_link_count(d), nlinks, what);
		for (size_t i = 0; i < nlinks && i < render_link_count(d); i++) {
			const struct render_link *l = render_link_get(d, i);
			const struct fx_link *w = &fx->links[i];

			if (strcmp(l->href, w->href) != 0 || l->flags != w->flags ||
			    (w->detail && !strstr(l->detail, w->detail) && !strstr(l->text, w->detail))) {
				printf("#   link %zu: got %s flags %#x (%s), want %s flags %#x (%s)\n", i, l->href,
				       l->flags, l->detail, w->href, w->flags, w->detail ? w->detail : "");
				links_ok = false;
			}
		}
		snprintf(what, sizeof(what), "%s: each link's real target, flags and what they found", fx->file);
		T_OK(links_ok, what);
		render_free(&d);
		buf_release(&html);
		buf_release(&got);
	}
}

static void test_url_tools(void)
{
	static const struct { const char *base, *ref, *want; } res[] = {
		{ "http://b.example/d/s/", "x.png", "http://b.example/d/s/x.png" },
		{ "http://b.example/d/s/f.html", "../x.png", "http://b.example/d/x.png" },
		{ "http://b.example/d/s/", "/x?q=1#f", "http://b.example/x?q=1#f" },
		{ "http://b.example/d/", "//o.example/p", "http://o.example/p" },
		{ "https://b.example/d/", "?q", "https://b.example/d/?q" },
		{ "http://b.example/a/b/c", "../../../../x", "http://b.example/x" },
		{ "http://b.example/d/", "https://other.example/", "https://other.example/" },
		{ "http://b.example/d/", "http:x.png", "http://b.example/d/x.png" },
		{ "http://b.example/d/", " \t x\n.png ", "http://b.example/d/x.png" },
		{ "http://b.example/d/", "x\r.p\tn\ng", "http://b.example/d/x.png" },
		{ "http://b.ex\tample/d\n/", "y.png", "http://b.example/d/y.png" },
		{ "http://b.example/d/", "a\\b.png", "http://b.example/d/a/b.png" },
		{ NULL, "rel.png", "rel.png" },
		{ "http://b.example/", "cid:x", "cid:x" },
	};
	static const struct { const char *host, *quad; } ip[] = {
		{ "3405803777", "203.0.113.1" }, { "0xcb007101", "203.0.113.1" }, { "0XCB007101", "203.0.113.1" },
		{ "0313.0.0161.01", "203.0.113.1" }, { "203.113", "203.0.0.113" }, { "203.0.29953", "203.0.117.1" },
		{ "127.1", "127.0.0.1" }, { "0x7f.1", "127.0.0.1" }, { "1.2.3.4.", "1.2.3.4" },
		{ "0", "0.0.0.0" }, { "4294967295", "255.255.255.255" },
		{ "4294967296", NULL }, { "256.1.1.1", NULL }, { "1.2.3.4.5", NULL }, { "08.1.1.1", NULL },
		{ "example.com", NULL }, { "1.2.3.example", NULL }, { "0x", "0.0.0.0" }, { "", NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(res); i++) {
		char *r = render_url_resolve(res[i].base, res[i].ref, strlen(res[i].ref));
		char what[200];

		snprintf(what, sizeof(what), "resolve case %zu (%s) against %s", i, res[i].want,
		         res[i].base ? res[i].base : "nothing");
		T_STR(r, res[i].want, what);
		free(r);
	}
	for (size_t i = 0; i < ARRAY_SIZE(ip); i++) {
		char q[16], what[160];
		bool yes = render_host_ipv4(ip[i].host, q);

		snprintf(what, sizeof(what), "IPv4 host \"%s\" is %s", ip[i].host, ip[i].quad ? ip[i].quad : "not one");
		T_STR(yes ? q : NULL, ip[i].quad, what);
	}
	{
		char *u = render_url_userinfo("https://paypal.com@evil.example/x", 33);
		char *none = render_url_userinfo("https://evil.example/a@b", 24);
		char *mail = render_url_userinfo("mailto:a@b.example", 18);
		char *a = render_host_ascii("B\xc3\xbc" "cher.Example");
		struct buf det = BUF_INIT;

		T_STR(u, "paypal.com", "userinfo before the host");
		T_OK(none == NULL, "an @ in the path is not userinfo");
		T_OK(mail == NULL, "mailto has no userinfo");
		T_STR(a, "xn--bcher-kva.example", "IDN host to lower-case punycode");
		buf_init(&det);
		T_INT(render_host_idn("xn--bcher-kva.example", &det), RENDER_LINK_PUNYCODE, "one-script IDN: punycode only");
		T_OK(strstr(det.data, "b\xc3\xbc" "cher.example") && strstr(det.data, "script Latin"),
		     "the detail gives the Unicode form and the script");
		T_INT(render_host_idn("example.com", NULL), 0, "ASCII host: no IDN flags");
		T_INT(render_host_idn("\xe6\x97\xa5\xe6\x9c\xac\xe3\x81\xae.example", NULL), RENDER_LINK_PUNYCODE,
		      "Han with Hiragana is not mixed script");
		buf_release(&det);
		free(u);
		free(none);
		free(mail);
		free(a);
	}
}

struct css_seen {
	struct buf b;
};

static void css_seen_cb(void *ctx, enum render_css_kind k, const char *url, size_t len)
{
	struct css_seen *s = ctx;

	buf_addf(&s->b, "%d:", (int)k);
	buf_add(&s->b, url, len);
	buf_addch(&s->b, '|');
}

static void test_css_scanner(void)
{
	static const struct { const char *css, *want; } cases[] = {
		{ "a{background:url(http://x.example/A.png)}", "0:http://x.example/A.png|" },
		{ "a{background:URL( 'http://x.example/q.png' )}", "0:http://x.example/q.png|" },
		{ "a{background:\\75 rl(http://x.example/e.png)}", "0:http://x.example/e.png|" },
		{ "a{background:u\\72l(http://x.example/e2.png)}", "0:http://x.example/e2.png|" },
		{ "a{background:url(http://x.example/\\41 .png)}", "0:http://x.example/A.png|" },
		{ "/* url(http://no.example/) */ a{}", "" },
		{ "a{content:'/*'} b{background:url(http://x.example/after.png)} /* */", "0:http://x.example/after.png|" },
		{ "a{content:'url(http://no.example/in-string)'}", "" },
		{ "@import 'http://x.example/s.css'; @IMPORT url(http://x.example/u.css);",
		  "1:http://x.example/s.css|1:http://x.example/u.css|" },
		{ "@font-face{src:url(http://x.example/f.woff) format('woff')} a{background:url(http://x.example/i.png)}",
		  "2:http://x.example/f.woff|0:http://x.example/i.png|" },
		{ "a{background:image-set('http://x.example/1.png' 1x, \"http://x.example/2.png\" 2x)}",
		  "0:http://x.example/1.png|0:http://x.example/2.png|" },
		{ "a{background:url(http://x.example/bad url.png)}", "" },
		{ "a{background:url(\"http://x.example/unterminated", "0:http://x.example/unterminated|" },
		{ "a{b:url(", "0:|" },
		{ "\\", "" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct css_seen s;
		char what[200];

		buf_init(&s.b);
		render_css_scan(cases[i].css, strlen(cases[i].css), css_seen_cb, &s);
		snprintf(what, sizeof(what), "css: %.60s", cases[i].css);
		T_STR(s.b.data, cases[i].want, what);
		buf_release(&s.b);
	}
}

static void test_browser_copy(void)
{
	char path[1024], err[WARY_ERRLEN];
	bool all_clean = true, all_csp = true, all_text = true;
	const char *names[] = { "images.html", "media.html", "frames.html", "svg.html", "base.html",
		                "link-rel.html", "refresh.html", "css.html", "hidden.html", "links.html" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct buf html = BUF_INIT, out = BUF_INIT;
		struct render_doc *d = NULL;
		size_t removed = 0;

		snprintf(path, sizeof(path), "%s/tests/fixtures/html/%s", TOP_SRCDIR, names[i]);
		buf_init(&html);
		buf_init(&out);
		if (fs_read_file(path, &html, 0, err, sizeof(err)) != WARY_OK ||
		    render_html_browser_copy(html.data, html.len, false, &out, &removed, err, sizeof(err)) != WARY_OK) {
			all_clean = false;
			continue;
		}
		/* the copy, rendered again, references nothing remote */
		if (render_html(out.data, out.len, 80, &d, err, sizeof(err)) != WARY_OK || render_ref_count(d) > 0 ||
		    render_remote_blocked(d) > 0) {
			printf("#   %s: the copy still has %zu references\n", names[i], render_ref_count(d));
			all_clean = false;
		}
		if (!str_starts_with(out.data, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		                               "<meta http-equiv=\"Content-Security-Policy\" content=\"" RENDER_CSP "\">"))
			all_csp = false;
		if (!strstr(out.data, "</body>") || render_line_count(d) == 0)
			all_text = false;
		if (strstr(out.data, "<script") || strstr(out.data, "<iframe") || strstr(out.data, "<base") ||
		    strstr(out.data, "http-equiv=\"refresh\"") || strstr(out.data, "<link"))
			all_clean = false;
		render_free(&d);
		buf_release(&html);
		buf_release(&out);
	}
	T_OK(all_clean, "browser copy: no fixture's copy references anything remote (no script, frame, base, link, refresh)");
	{
		const char *h = "<html><head><base href=\"http://base.example/d/\"></head><body>"
		                "<a href=\"page.html\">p</a><img src=\"rel.png\"></body></html>";
		struct buf out = BUF_INIT;
		size_t removed = 0;

		buf_init(&out);
		render_html_browser_copy(h, strlen(h), false, &out, &removed, err, sizeof(err));
		T_OK(strstr(out.data, "<a href=\"http://base.example/d/page.html\">") && !strstr(out.data, "<base") &&
		     !strstr(out.data, "rel.png"),
		     "browser copy: <base> dropped, links written resolved against it, relative images removed");
		buf_release(&out);
	}
	T_OK(all_csp, "browser copy: the CSP is the first thing in <head>");
	T_OK(all_text, "browser copy: the text is kept");
	{
		/* wary browser-copy prints the copy: what a terminal acts on is
		 * written as references (CSS escapes in style text) */
		const char *h = "<title>t&#x1b;]0;x&#7;</title><style>p{content:'\x1b[2J\xe2\x80\xae'}</style>"
		                "<p title=\"a&#x202e;b\">c&#x9b;2J&#x2028;d&#13;e\tf</p>";
		struct buf out = BUF_INIT;
		size_t removed = 0;
		bool clean = true;

		buf_init(&out);
		T_INT(render_html_browser_copy(h, strlen(h), false, &out, &removed, err, sizeof(err)), WARY_OK,
		      "browser copy of controls");
		for (size_t i = 0; i < out.len; i++)
			if (((unsigned char)out.data[i] < 0x20 && out.data[i] != '\n' && out.data[i] != '\t') ||
			    out.data[i] == 0x7f || ((unsigned char)out.data[i] == 0xc2 && i + 1 < out.len &&
			                             (unsigned char)out.data[i + 1] < 0xa0) ||
			    strncmp(out.data + i, "\xe2\x80\xae", 3) == 0 || strncmp(out.data + i, "\xe2\x80\xa8", 3) == 0)
				clean = false;
		T_OK(clean, "browser copy: no control byte, C1, RLO or U+2028 in what it writes");
		T_OK(strstr(out.data, "t&#x1b;]0;x&#x7;</title>") && strstr(out.data, "title=\"a&#x202e;b\"") &&
		     strstr(out.data, "c\xe2\x80\xba" "2J&#x2028;d&#xd;e\tf") &&
		     strstr(out.data, "[2J\\202e '"),
		     "browser copy: they are written as references (CSS escapes in style), TAB kept");
		buf_release(&out);
	}
	{
		const char *h = "<p onclick=\"x()\" style=\"color:red\">a &lt;b&gt; &amp; \"q\"</p>"
		                "<a href=\"javascript:alert(1)\">j</a><a href=\"https://ok.example/\">ok</a>"
		                "<img src=\"cid:logo\"><img src=\"data:image/png;base64,AA==\">"
		                "<img src=\"https://x.example/i.png\" srcset=\"https://x.example/2.png 2x\">"
		                "<textarea>&lt;/textarea&gt;&lt;img src=x&gt;</textarea>"
		                "<svg><a href=\"https://ok.example/svg\"><text>t</text></a><image href=\"https://x.example/s.png\"/></svg>"
		                "<form action=\"https://collect.example/\"><input name=a></form>";
		struct buf out = BUF_INIT, allowed = BUF_INIT;
		size_t removed = 0;

		buf_init(&out);
		buf_init(&allowed);
		T_INT(render_html_browser_copy(h, strlen(h), false, &out, &removed, err, sizeof(err)), WARY_OK,
		      "browser copy of a hostile snippet");
		T_OK(!strstr(out.data, "onclick") && strstr(out.data, "style=\"color:red\""),
		     "browser copy: event handlers dropped, a local style kept");
		T_OK(strstr(out.data, "a &lt;b&gt; &amp; \"q\"") != NULL, "browser copy: text written back escaped");
		T_OK(!strstr(out.data, "javascript:") && strstr(out.data, "href=\"https://ok.example/\""),
		     "browser copy: javascript: links dropped, ordinary links kept");
		T_OK(strstr(out.data, "src=\"cid:logo\"") && strstr(out.data, "src=\"data:image/png;base64,AA==\""),
		     "browser copy: cid: and data: images kept");
		T_OK(!strstr(out.data, "x.example"), "browser copy: remote src, srcset and svg href removed");
		T_OK(strstr(out.data, "&lt;/textarea&gt;&lt;img src=x&gt;</textarea>") != NULL,
		     "browser copy: textarea text cannot close its element");
		T_OK(!strstr(out.data, "collect.example"), "browser copy: the form action removed");
		T_OK(removed >= 6, "browser copy: what was removed is counted");
		T_INT(render_html_browser_copy(h, strlen(h), true, &allowed, &removed, err, sizeof(err)), WARY_OK,
		      "browser copy for an allowed sender");
		T_OK(strstr(allowed.data, "src=\"https://x.example/i.png\"") && !strstr(allowed.data, "javascript:") &&
		     !strstr(allowed.data, "onclick") && strstr(allowed.data, RENDER_CSP_ALLOWED),
		     "browser copy, allowed: remote images kept, scripts still not, its own CSP");
		buf_release(&out);
		buf_release(&allowed);
	}
}

static void test_browser_copy_cid(void)
{
	struct mail_msg *m = t_demo_msg("1710872530.");
	struct buf out = BUF_INIT;
	char err[WARY_ERRLEN];
	size_t removed = 0;

	buf_init(&out);
	T_INT(m ? render_message_browser_copy(m, false, &out, &removed, err, sizeof(err)) : -1, WARY_OK,
	      "browser copy of a message with an inline image");
	T_OK(strstr(out.data, "<img src=\"data:image/png;base64,iVBORw0KGgo") != NULL &&
	     strstr(out.data, "cid:cake") == NULL,
	     "browser copy: the cid: image is written in as a data: URI (the CSP allows data:)");
	buf_release(&out);
	mail_free(&m);
	m = t_demo_msg("1704700800.");
	buf_init(&out);
	T_INT(m ? render_message_browser_copy(m, false, &out, &removed, err, sizeof(err)) : -1, WARY_ENOENT,
	      "browser copy: a plain-text message has no HTML to copy");
	buf_release(&out);
	mail_free(&m);
}

static void test_allow_list(void)
{
	struct buf dir = BUF_INIT, list = BUF_INIT;
	struct render_allow *al = NULL;
	char err[WARY_ERRLEN], *db;

	buf_init(&dir);
	buf_init(&list);
	if (fs_private_tmpdir(&dir, err, sizeof(err)) != WARY_OK) {
		T_OK(0, "allow list: a temp dir");
		return;
	}
	db = xasprintf("%s/remote.db", dir.data);
	T_INT(render_allow_open(db, &al, err, sizeof(err)), WARY_OK, "allow list: opens (creates) its SQLite file");
	T_OK(!render_allow_has(al, "news@shop.example"), "allow list: empty at first");
	T_INT(render_allow_add(al, "<News@Shop.Example>", err, sizeof(err)), WARY_OK, "allow list: add an address");
	T_OK(render_allow_has(al, "news@shop.example"), "allow list: found, case and brackets ignored");
	T_OK(!render_allow_has(al, "news@shop.example.evil.test"), "allow list: a longer address is another one");
	T_INT(render_allow_add(al, "not an address", err, sizeof(err)), WARY_EPARSE, "allow list: refuses a non-address");
	T_INT(render_allow_add(al, "x@y.example'); DROP TABLE allow_remote; --", err, sizeof(err)), WARY_OK,
	      "allow list: quotes are data (bound, not spliced)");
	T_INT(render_allow_list(al, &list, err, sizeof(err)), WARY_OK, "allow list: list");
	T_OK(strstr(list.data, "news@shop.example\t") != NULL, "allow list: the list shows the address and when");
	render_allow_close(&al);
	T_INT(render_allow_open(db, &al, err, sizeof(err)), WARY_OK, "allow list: reopens");
	T_OK(render_allow_has(al, "news@shop.example"), "allow list: kept across opens");
	T_INT(render_allow_revoke(al, "news@shop.example", err, sizeof(err)), WARY_OK, "allow list: revoke");
	T_OK(!render_allow_has(al, "news@shop.example"), "allow list: revoked is gone");
	T_INT(render_allow_revoke(al, "news@shop.example", err, sizeof(err)), WARY_ENOENT, "allow list: revoking twice says so");
	{
		struct stat st;

		T_OK(stat(db, &st) == 0 && (st.st_mode & 077) == 0, "allow list: the file is private (0600)");
	}
	render_allow_close(&al);
	unlink(db);
	rmdir(dir.data);
	free(db);
	buf_release(&dir);
	buf_release(&list);
}

static void test_receipt_and_demo(void)
{
	struct mail_msg *m = t_demo_msg("1717660805.");
	struct render_doc *d = render(m, RENDER_HEADERS_WEED, true);

	T_STR(render_receipt_request(d), "receipts@lumen-outlet.test", "receipt: the address asked for is kept");
	T_OK(has_line(d, RENDER_NOTICE, "asks for a read receipt"), "receipt: a notice says so, and that none is sent");
	T_INT(render_remote_blocked(d), 15, "demo shop newsletter: 15 references blocked");
	T_INT(render_tracker_count(d), 1, "demo shop newsletter: one tracking pixel");
	T_STR(render_tracker(d, 0), "px.lumen-outlet.test", "demo shop newsletter: protocol-relative pixel named");
	T_INT(render_hidden_count(d), 1, "demo shop newsletter: the white 1px text dropped");
	render_free(&d);
	mail_free(&m);
	{
		/* the names in their order of precedence, not the fields' */
		static const char raw[] = "x-confirm-reading-to: <c@r.test>\r\nReturn-Receipt-To: <b@r.test>\r\n"
		                          "Subject: r\r\nDISPOSITION-NOTIFICATION-TO: <a@r.test>\r\n"
		                          "Disposition-Notification-To: <z@r.test>\r\n\r\nbody\r\n";
		char err[WARY_ERRLEN];

		m = NULL;
		T_OK(mail_parse(raw, sizeof(raw) - 1, &m, err, sizeof(err)) == WARY_OK, "receipt: message parses");
		d = render(m, RENDER_HEADERS_WEED, false);
		T_STR(render_receipt_request(d), "a@r.test", "receipt: the first Disposition-Notification-To wins");
		render_free(&d);
		mail_free(&m);
	}
	m = t_demo_msg("1717789452.");
	d = render(m, RENDER_HEADERS_WEED, true);
	{
		size_t deceptive = 0;

		for (size_t i = 0; d && i < render_link_count(d); i++)
			deceptive += (render_link_get(d, i)->flags & RENDER_LINK_DECEPTIVE) &&
			             !(render_link_get(d, i)->flags & RENDER_LINK_FORM);
		T_INT(deceptive, 4, "demo parcel phish: four deceptive links (and a form)");
	}
	T_OK(render_link_count(d) == 5 && strcmp(render_link_get(d, 3)->href, "http://198.51.100.77/pe/fee.php") == 0,
	     "demo parcel phish: a relative link goes where <base href> sends it");
	render_free(&d);
	mail_free(&m);
	m = t_demo_msg("1717918262.");
	d = render(m, RENDER_HEADERS_WEED, false);
	T_OK(d && render_link_count(d) == 3 && (render_link_get(d, 0)->flags & RENDER_LINK_USERINFO) &&
	     (render_link_get(d, 1)->flags & RENDER_LINK_NUMERIC_HOST) &&
	     strcmp(render_link_get(d, 2)->href, "http://www.harbor-drive.test/help") == 0,
	     "plain text: userinfo, hex IP and a www. address found and flagged");
	T_OK(has_line(d, RENDER_NOTICE, "[wary: http://0xC6336414/drive/: ip 198.51.100.20]"),
	     "plain text: a notice under the text decodes the IP host");
	render_free(&d);
	mail_free(&m);
}

int main(void)
{
	test_html_text();
	test_html_links();
	test_url_host();
	test_html_remote();
	test_html_hidden();
	test_html_escapes();
	test_html_hostile();
	test_all_safe();
	test_headers();
	test_quotes();
	test_newsletter();
	test_phishing();
	test_structure();
	test_fixtures();
	test_url_tools();
	test_css_scanner();
	test_browser_copy();
	test_browser_copy_cid();
	test_allow_list();
	test_receipt_and_demo();
	return t_done();
}
