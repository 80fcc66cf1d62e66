/* The whitespace squeeze before the HTML parser (render_html_squeeze):
 * what it cuts and leaves, and a differential check that rendering with
 * it gives exactly what rendering the HTML as it came gives (lines,
 * links with their flags, remote references, trackers, hidden text) on
 * the fixture and demo messages, hostile HTML aimed at the tokenizer
 * states it follows, and random documents built from tag fragments. */
#include <dirent.h>
#include <sys/stat.h>

#include "render/render_int.h"
#include "t.h"
#include "t_msg.h"

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Everything a reader or a security check can see; the first difference
 * is printed. */
static bool docs_same(const struct render_doc *a, const struct render_doc *b, const char *what)
{
	if (a->nlines != b->nlines) {
		printf("#   %s: %zu lines against %zu\n", what, a->nlines, b->nlines);
		return false;
	}
	for (size_t i = 0; i < a->nlines; i++) {
		const char *la = a->text.data + a->lines[i].off, *lb = b->text.data + b->lines[i].off;

		if (a->lines[i].kind != b->lines[i].kind || strcmp(la, lb) != 0) {
			printf("#   %s: line %zu \"%s\" against \"%s\"\n", what, i, la, lb);
			return false;
		}
	}
	if (a->nlinks != b->nlinks || a->nrefs != b->nrefs || a->ntrackers != b->ntrackers ||
	    a->hidden != b->hidden || a->footnotes != b->footnotes) {
		printf("#   %s: links %zu/%zu refs %zu/%zu trackers %zu/%zu hidden %zu/%zu\n", what,
		       a->nlinks, b->nlinks, a->nrefs, b->nrefs, a->ntrackers, b->ntrackers, a->hidden,
		       b->hidden);
		return false;
	}
	for (size_t k = 0; k < RENDER_REMOTE_KINDS; k++)
		if (a->remote[k] != b->remote[k]) {
			printf("#   %s: remote %s %zu against %zu\n", what,
			       render_remote_kind_name((enum render_remote_kind)k), a->remote[k], b->remote[k]);
			return false;
		}
	for (size_t i = 0; i < a->nlinks; i++) {
		const struct render_link *x = &a->links[i], *y = &b->links[i];

		if (!same_str(x->text, y->text) || !same_str(x->href, y->href) ||
		    !same_str(x->host, y->host) || !same_str(x->detail, y->detail) ||
		    x->flags != y->flags || x->number != y->number) {
			printf("#   %s: link %zu \"%s\" -> %s against \"%s\" -> %s\n", what, i, x->text,
			       x->href, y->text, y->href);
			return false;
		}
	}
	for (size_t i = 0; i < a->nrefs; i++) {
		const struct render_ref *x = &a->refs[i], *y = &b->refs[i];

		if (x->kind != y->kind || !same_str(x->url, y->url) || !same_str(x->host, y->host) ||
		    x->tracker != y->tracker) {
			printf("#   %s: reference %zu %s against %s\n", what, i, x->url, y->url);
			return false;
		}
	}
	for (size_t i = 0; i < a->ntrackers; i++)
		if (strcmp(a->trackers[i], b->trackers[i]) != 0) {
			printf("#   %s: tracker %s against %s\n", what, a->trackers[i], b->trackers[i]);
			return false;
		}
	return true;
}

static bool html_same(const char *html, size_t len, const char *what)
{
	struct render_doc *exact = render_doc_new(), *fast = render_doc_new();
	char err[WARY_ERRLEN];
	bool ok;

	exact->html_exact = true;
	ok = render_html_into(exact, html, len, 72, err, sizeof(err)) == WARY_OK &&
	     render_html_into(fast, html, len, 72, err, sizeof(err)) == WARY_OK &&
	     docs_same(exact, fast, what);
	render_free(&exact);
	render_free(&fast);
	return ok;
}

/* What the squeeze makes of s ("" when it leaves it as it is). */
static char *squeezed(const char *s)
{
	struct buf out = BUF_INIT;

	buf_init(&out);
	if (render_html_squeeze(s, strlen(s), &out) == 0)
		buf_reset(&out);
	return buf_detach(&out, NULL);
}

static void test_what_it_cuts(void)
{
	static const struct {
		const char *in, *want, *what;
	} cases[] = {
		{ "<p>a  \n\t b</p>", "<p>a b</p>", "a run in text keeps its first byte" },
		{ "a\r\n\r\nb", "a\rb", "CRLF runs too" },
		{ "a b c", "", "single spaces: nothing to do" },
		{ "<a title=\"x   y\"  href='p  q'>t  u</a>", "<a title=\"x   y\"  href='p  q'>t u</a>",
		  "a formatting element's attributes are left alone" },
		{ "<font face=\"x\">a  b", "<font face=\"x\">a b", "font keeps its face (the parser compares it)" },
		{ "<td title=\"x   y\"  style='p  q'>t  u</td>", "<td   style='p  q'>t u</td>",
		  "other tags lose their unread attributes and nothing else" },
		{ "<TD FACE='Arial, Helvetica' color=\"#fff\" class= \"c\" id=x>a", "<TD  color=\"#fff\"  id=x>a",
		  "unread attributes: quoted ones only, any case" },
		{ "<td a=\"1\"class=\"x\" /align=\"y\"><img class=\"z\"/>", "<td a=\"1\"class=\"\" /align=\"\"><img />",
		  "not after a quote or a '/': only the value goes" },
		{ "</p class=\"x\">  a", "</p > a", "an end tag's attributes" },
		{ "<a =face=\"x\" facex=\"y\" href=\"face\">", "",
		  "only the exact names" },
		{ "<a b=\">   \">  x", "<a b=\">   \"> x", "a '>' inside a quoted value does not end the tag" },
		{ "<a =\"x  >  y", "<a =\"x  > y", "a quote in an attribute name is no value: the tag ends at '>'" },
		{ "<a b= = \"c  >  d", "<a b= = \"c  > d", "an unquoted value '=' then a quote in a name" },
		{ "<!-- a   b -->  c", "<!----> c", "a comment goes to the parser empty" },
		{ "<!-- a --!>  b  -->", "<!----> b -->", "--!> ends a comment" },
		{ "<!-- a --- b -->  c", "<!----> c", "dashes inside a comment" },
		{ "<!---->  c", "<!----> c", "an empty comment stays" },
		{ "<!-- a  b", "", "a comment to the end is left as it came" },
		{ "<!-->  a  -->", "<!--> a -->", "<!--> is a whole comment" },
		{ "<!--->  a  -->", "<!---> a -->", "<!---> is a whole comment" },
		{ "<style>a   b</style>  c", "<style>a   b</style> c", "style is raw text" },
		{ "<style>a</stylex>  b  </style>  c", "<style>a</stylex>  b  </style> c",
		  "only the exact end tag ends raw text" },
		{ "<textarea>\n\n  a</textarea>  b", "<textarea>\n\n  a</textarea> b", "textarea is left alone" },
		{ "<title>a   b</TITLE >  c", "<title></TITLE > c", "title text goes empty, end tag in any case" },
		{ "<iframe src=x>a  <b></iframe>  c", "<iframe src=x></iframe> c", "iframe text goes empty" },
		{ "x  <pre>a   b</pre>  c", "x <pre>a   b</pre>  c", "nothing after pre" },
		{ "x  <script>a   b</script>  c", "x <script></script> c", "script data to its end tag, emptied" },
		{ "x  <script>a</scripts>  </script >  c", "x <script></script > c",
		  "script data to its exact end tag" },
		{ "x  <script><!--  </script>  c", "x <script><!--  </script>  c",
		  "nothing after script data with a comment opener" },
		{ "x  <script>a  b", "x <script>a  b", "script data to the end" },
		{ "x  <svg>  </svg>  c", "x <svg>  </svg>  c", "nothing after svg" },
		{ "x  <select><style></select>  c", "x <select><style></select>  c", "nothing after select" },
		{ "x  <template><col><style>  c", "x <template><col><style>  c", "nothing after template" },
		{ "x  <plaintext>  c", "x <plaintext>  c", "nothing after plaintext" },
		{ "<!DOCTYPE html>  <p>", "<!DOCTYPE html> <p>", "a doctype ends at '>'" },
		{ "</  a>  b", "</  a> b", "a bogus comment ends at '>'" },
		{ "<?x   y?>  b", "<?x   y?> b", "a processing instruction is a bogus comment" },
		{ "a <  b", "a < b", "a lone '<' is text" },
		{ "<a/b='x  >'  >  c", "<a/b='x  >'  > c", "a '/' inside a tag goes back to attributes" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = squeezed(cases[i].in);

		T_STR(got, cases[i].want, cases[i].what);
		free(got);
	}
}

/* Hostile HTML aimed at the states the squeeze follows: every one renders
 * the same either way. */
static void test_hostile_same(void)
{
	static const char *const cases[] = {
		"<!-- x --!> <a href=\"-->   y\">t   u</a>",
		"<!--> <a href=\"http://a.example/  x\">  l  </a> -->",
		"<a title='x' = '>'  href=\"http://b.example/   p\">  q  </a>",
		"<a =\"x y=\">  <img src=\"http://c.example/  t.gif\">  \">  text   here",
		"<select><style><a href=\"</style>   x\">  y</a></select>  z   w",
		"<template><col><style>  <a href=\"</style>  http://d.example/\">  x</a>",
		"<table><tr><td>  a  </td>   <style>  b  </style>  </tr></table>   c",
		"<table>   x   <tr>  <td>y</td></tr></table>",
		"<pre>  a\n\n   b</pre>   c   <p>  d  </p>",
		"<div><pre><table><tr><td></pre></td></tr></table>   inside   pre</div>",
		"<textarea>\n  x  </textarea>   <p>  y  </p>",
		"<p style=\"color:white\">   hidden   words   </p>   <font color=\"#ffffff\">  w  </font>",
		"<a href=\"http://203.0.113.7/\">  paypal.example  </a>  <a href=\"http://x.example\">   www.bank.example   </a>",
		"<iframe srcdoc=\"<img src='http://e.example/   p.gif'>   \">   </iframe>   after",
		"<xmp>  <a href=x>  </xmp>   <b>  t  </b>",
		"<noframes>  a  </noframes>  <noembed>  <img src=http://f.example/>  </noembed>   b",
		"<style>  p { background: url( \"http://g.example/ a.png\" ) }  </style  >   <p>  t </p>",
		"<math><mi>  x  </mi></math>   <p>   y</p>",
		"<svg><![CDATA[   a   ]]></svg>   b",
		"<p>a\xe2  b\xc3   c</p>",
		"<p>\0  a \0  b</p>",
		"<body   onload=x>  <base href=\"http://h.example/  d/\">  <a href=\"p  q\">  r  </a>",
		"<ul>  <li>  one  </li>  <li>two</li>  </ul>   <ol start=3>  <li>  three</li></ol>",
		"<blockquote>   <p>  quoted   text  </p>   </blockquote>   after",
		"<form action=\"http://i.example/  post\">  <input type=password>   <input>  </form>",
		"<a href=\"http://j.example/\">  <img src=\"http://k.example/1.gif\" width=1 height=1>  </a>",
		"<br>   <br>  \n\n  <hr>   x  <br/>  y",
		"<frameset><frame src=\"http://l.example/\">  </frameset>   <noframes>  n  </noframes>",
		"<title>  t  </title  x=\">\"  >  after   title",
		"<a b=c\"d  >  e  \" f>  g  </a>",
		"<!DOCTYPE html PUBLIC \"a>  b\">   <p>  c  </p>",
		"<p>a</p  x='>  '  >   b",
		"<script>  var a = '</scrip'  </script>   <p>  b  <a href=\"http://p.example/\">  c  </a>",
		"<script src=\"http://q.example/s.js\">  </script>   <script>  <!--  <script>  </script>  x  </script>   y",
		"<!-- <a href=\"http://r.example/\"> -->   <a href=\"http://s.example/\">  t  </a>  <!-- x --!>  <img src=\"http://u.example/\">",
		"<table>  <!--  c  -->  <tr><td>  x  </td></tr>  <!-- d -->  </table>",
		"<font face=\"</font><a href='  http://v.example/  '>\">  w  </font>  <a title='<img src=x>' href=\"http://w.example/\">  x </a>",
		"<table border=\"1\" cellpadding='2'><tr><td align=\"center\" class=\"a  b\">  t  </td></tr></table>",
		"<a id=\"a\" href=\"http://x.example/\" onclick=\"location='http://y.example/'\" target=\"_blank\">  go  </a>",
		/* formatting elements that differ only in an unread attribute:
		 * the parser keeps at most three equal ones open (Noah's Ark),
		 * so emptying the attribute would change the tree */
		"<p><font face=a color=white><font face=b color=white><font face=c color=white>"
		"<font face=d color=white>x</p><p>y</font></font></font></font>z</p>",
		"<p><font face=\"a\" color=\"white\"><font face=\"b\" color=\"white\"><font face=\"c\" color=\"white\">"
		"<font face=\"d\" color=\"white\"><b>x</p>  y  </font></font></font>  z  </font>  w  </b>  v",
		"<a href=\"http://z.example/\" target=\"1\"><a href=\"http://z.example/\" target=\"2\">"
		"<b><a href=\"http://z.example/\" target=\"3\"><a href=\"http://z.example/\" target=\"4\">"
		"<p>  t  </b>  u  </a>  v  </p>  w",
		"<table><tr><td><font class=\"a\" color=white><font class=\"b\" color=white><font class=\"c\" color=white>"
		"<font class=\"d\" color=white></td></tr></table>  x  <p>  y  </p>",
		/* double-escaped script data: the first end tag does not end it */
		"<script><!--<script></script><i title='</script><a href=\"' >  y  \">link</a>",
	};
	int bad = 0, cut = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char what[32], *sq = squeezed(cases[i]);

		snprintf(what, sizeof(what), "hostile case %zu", i);
		if (!html_same(cases[i], strlen(cases[i]), what))
			bad++;
		cut += *sq != '\0';
		free(sq);
	}
	printf("# %d of %zu hostile cases squeezed\n", cut, ARRAY_SIZE(cases));
	T_OK(cut >= 20, "most hostile cases have whitespace the squeeze cuts");
	T_INT(bad, 0, "hostile HTML renders the same with and without the squeeze");
}

/* Random documents from fragments that move the tokenizer between its
 * states; a fixed seed, so a failure repeats. */
static void test_random_same(void)
{
	static const char *const frag[] = {
		"<a href=\"", "<a href='", "<a href=", "\"", "'", "=", ">", "<", "</", "/", " ", "  ",
		"\n\n ", "\t\r\n", "x", "http://m.example/p", "<style>", "</style>", "</style ",
		"<title>", "</title>", "<textarea>", "</textarea>", "<!--", "-->", "--!>", "<!-->", "-",
		"!", "</pre>", "<table>", "<td>", "<tr>", "</table>", "<img src=", "<p>", "</p>",
		"<b>", "</b>", "<br>", "&amp;", "&nbsp;", "<xmp>", "</xmp>", "<iframe>", "</iframe>",
		"<!DOCTYPE x>", "<?", "<div style=\"color:white\">", "</div>", "www.n.example",
		"<font color=white>", "</a>", "<base href=\"http://o.example/\">",
		"<link rel=stylesheet href=", "</select>", "</svg>", "<script>", "</script>", "</script ",
		"<font face=\"", " title='", " class=", " id=\"x\" ", "<td align=\"",
		"<font face=\"a\" color=white>", "<font face=\"b\" color=white>", "</font>",
		"<b class=\"x\">", "<b class=\"y\">", "<a href=\"http://z.example/\" target=\"t\">",
	};
	/* the elements after which nothing is cut, in one document of eight */
	static const char *const stop[] = {
		"<pre>", "<select>", "<svg>", "<template>", "<noscript>", "<math>", "<listing>",
		"<plaintext>", "<frameset>",
	};
	unsigned seed = 20261201;
	int bad = 0, cut = 0;
	struct buf doc = BUF_INIT;

	buf_init(&doc);
	for (int round = 0; round < 6000; round++) {
		size_t pieces = 1 + (((seed = seed * 1103515245u + 12345u) >> 16) % 40);
		char what[32];

		buf_reset(&doc);
		size_t at = ((seed = seed * 1103515245u + 12345u) >> 16) % (pieces * 8);

		for (size_t k = 0; k < pieces; k++) {
			if (k == at)
				buf_adds(&doc, stop[(seed >> 20) % ARRAY_SIZE(stop)]);
			buf_adds(&doc, frag[((seed = seed * 1103515245u + 12345u) >> 16) % ARRAY_SIZE(frag)]);
		}
		snprintf(what, sizeof(what), "random document %d", round);
		if (!html_same(doc.data, doc.len, what) && bad++ < 3)
			printf("#   the document: %s\n", doc.data);
		{
			struct buf out = BUF_INIT;

			buf_init(&out);
			cut += render_html_squeeze(doc.data, doc.len, &out) > 0;
			buf_release(&out);
		}
	}
	buf_release(&doc);
	printf("# %d of 6000 random documents squeezed\n", cut);
	T_OK(cut >= 1200, "the squeeze cuts whitespace in a fifth of the random documents at least");
	T_INT(bad, 0, "6000 random documents render the same with and without the squeeze");
}

/* Every fixture and demo message, both alternatives chosen in turn. */
/* render_text (what wary show prints) is every line and a LF, in order. */
static bool text_is_lines(const struct render_doc *d)
{
	struct buf joined = BUF_INIT, text = BUF_INIT;
	bool same;

	buf_init(&joined);
	buf_init(&text);
	for (size_t l = 0; l < render_line_count(d); l++) {
		buf_adds(&joined, render_line(d, l, NULL));
		buf_addch(&joined, '\n');
	}
	render_text(d, &text);
	same = joined.len == text.len && memcmp(joined.data, text.data, text.len) == 0;
	buf_release(&joined);
	buf_release(&text);
	return same;
}

static void messages_in(const char *reldir, size_t *n, size_t *bad, size_t *bad_text)
{
	char dir[1024], rel[1200];
	DIR *dd;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s/%s", TOP_SRCDIR, reldir);
	if ((dd = opendir(dir)) == NULL)
		return;
	while ((e = readdir(dd)) != NULL) {
		struct mail_msg *m;

		if (e->d_name[0] == '.' || strstr(e->d_name, "README") || strstr(e->d_name, ".py") ||
		    strstr(e->d_name, ".html"))
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", reldir, e->d_name);
		{
			struct stat st;
			char full[2300];

			snprintf(full, sizeof(full), "%s/%s", TOP_SRCDIR, rel);
			if (stat(full, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
		}
		if ((m = t_load_msg(rel)) == NULL)
			continue;
		mail_free(&m);
		/* each rendering gets its own parse: the message caches what it
		 * parsed of enclosed messages on the first rendering */
		for (int html = 0; html < 2; html++) {
			struct render_opts o = { RENDER_HEADERS_ALL, html == 1, 72 };
			struct render_doc *a = NULL, *b = NULL;
			struct mail_msg *ma = t_load_msg(rel), *mb = t_load_msg(rel);
			char err[WARY_ERRLEN];

			if (ma == NULL || mb == NULL || render_message_exact(ma, &o, &a, err, sizeof(err)) != WARY_OK ||
			    render_message(mb, &o, &b, err, sizeof(err)) != WARY_OK || !docs_same(a, b, rel))
				(*bad)++;
			else if (!text_is_lines(b))
				(*bad_text)++;
			render_free(&a);
			render_free(&b);
			mail_free(&ma);
			mail_free(&mb);
		}
		(*n)++;
	}
	closedir(dd);
}

static void test_messages_same(void)
{
	static const char *const dirs[] = {
		"tests/fixtures/hostile", "tests/fixtures/spoof", "tests/fixtures/spam",
		"tests/fixtures/trace", "tests/fixtures/pgp", "tests/demo/Maildir/cur",
		"tests/demo/Maildir/new",
	};
	size_t n = 0, bad = 0, bad_text = 0;

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		messages_in(dirs[i], &n, &bad, &bad_text);
	printf("# %zu messages compared\n", n);
	T_OK(n >= 50, "the fixture and demo messages are there to compare");
	T_INT(bad, 0, "every fixture and demo message renders the same with and without the squeeze");
	T_INT(bad_text, 0, "render_text of every fixture and demo message is its lines, each with a LF");
}

static void test_fixture_html_same(void)
{
	static const char *const names[] = { "images.html", "media.html", "frames.html", "svg.html",
		                             "base.html", "link-rel.html", "refresh.html", "css.html",
		                             "hidden.html", "links.html" };
	size_t bad = 0, cut = 0;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char path[1200], err[WARY_ERRLEN];
		struct buf html = BUF_INIT, out = BUF_INIT;

		snprintf(path, sizeof(path), "%s/tests/fixtures/html/%s", TOP_SRCDIR, names[i]);
		buf_init(&html);
		buf_init(&out);
		if (fs_read_file(path, &html, 0, err, sizeof(err)) != WARY_OK ||
		    !html_same(html.data, html.len, names[i]))
			bad++;
		cut += render_html_squeeze(html.data, html.len, &out);
		buf_release(&html);
		buf_release(&out);
	}
	printf("# %zu bytes of whitespace cut from the HTML fixtures\n", cut);
	T_INT(bad, 0, "the HTML fixtures render the same with and without the squeeze");
}

int main(void)
{
	test_what_it_cuts();
	test_hostile_same();
	test_random_same();
	test_fixture_html_same();
	test_messages_same();
	return t_done();
}
