/* The spam filter: the tokenizer against each bypass trick, the
 * classifier's maths against values worked out by hand, the token store
 * (dedupe, retrain, untrain, prune, batches, hostile files) and the
 * hybrid score. */
#include <math.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect/inspect.h"
#include "send/send.h"
#include "spam/spam.h"
#include "t.h"

static const struct spam_tok_opts keep = { false, true };

static struct spam_toks *toks_of_msg(const char *raw)
{
	struct spam_toks *t = NULL;
	struct mail_msg *m = NULL;
	char err[WARY_ERRLEN];

	spam_toks_new(&t);
	if (mail_parse(raw, strlen(raw), &m, err, sizeof(err)) != WARY_OK ||
	    spam_tokenize(m, &keep, t, err, sizeof(err)) != WARY_OK)
		printf("# tokenize: %s\n", err);
	mail_free(&m);
	return t;
}

static struct spam_toks *toks_of_text(const char *text)
{
	struct spam_toks *t = NULL;

	spam_toks_new(&t);
	spam_tokenize_text(t, text, strlen(text), &keep);
	return t;
}

static struct spam_toks *toks_of_html(const char *html)
{
	struct spam_toks *t = NULL;

	spam_toks_new(&t);
	spam_tokenize_html(t, html, strlen(html), &keep);
	return t;
}

static void dump(const struct spam_toks *t)
{
	printf("#  tokens:");
	for (size_t i = 0; i < spam_toks_count(t) && i < 60; i++)
		printf(" [%s]", spam_toks_text(t, i));
	printf("\n");
}

#define HAS(t, tok, what) do { if (!T_OK(spam_toks_has((t), (tok)), (what))) dump(t); } while (0)
#define HASNT(t, tok, what) do { if (!T_OK(!spam_toks_has((t), (tok)), (what))) dump(t); } while (0)

static void test_text_tricks(void)
{
	struct spam_toks *t;

	t = toks_of_text("Buy V.i.a.g.r.a now");
	HAS(t, "viagra", "separators between letters: V.i.a.g.r.a read as viagra");
	HAS(t, "trick:separated", "... and the trick is a token");
	spam_toks_free(&t);
	t = toks_of_text("cheap V*I*A*G*R*A and vi-agra");
	HAS(t, "viagra", "V*I*A*G*R*A and vi-agra read as viagra");
	spam_toks_free(&t);
	t = toks_of_text("order v i a g r a today");
	HAS(t, "viagra", "spaced letters: v i a g r a read as viagra");
	HAS(t, "trick:spaced", "... and the trick is a token");
	HAS(t, "order", "the words around are kept");
	spam_toks_free(&t);
	t = toks_of_text("best v1agra and c@sh and ca$h");
	HAS(t, "viagra", "digits for letters: v1agra read as viagra");
	HAS(t, "cash", "c@sh and ca$h read as cash");
	HAS(t, "trick:leet", "... and the trick is a token");
	spam_toks_free(&t);
	t = toks_of_text("vi\xe2\x80\x8b" "ag\xc2\xad" "ra");
	HAS(t, "viagra", "zero-width space and soft hyphen inside a word are dropped");
	HAS(t, "trick:invisible", "... and the trick is a token");
	spam_toks_free(&t);
	t = toks_of_text("vi\xd0\xb0gr\xd0\xb0 (Cyrillic a)");
	HAS(t, "viagra", "Cyrillic look-alike letters read as Latin");
	HAS(t, "trick:lookalike", "... and the trick is a token");
	spam_toks_free(&t);
	t = toks_of_text("\xef\xbd\x96\xef\xbd\x89\xef\xbd\x81\xef\xbd\x87\xef\xbd\x92\xef\xbd\x81");
	HAS(t, "viagra", "fullwidth letters read as ASCII");
	spam_toks_free(&t);
	t = toks_of_text("FREE Money!!! Visit http://Www.Example.COM/cheap/pills?id=42 or mail "
	                 "sales@spammer.example");
	HAS(t, "free", "words are folded to lower case");
	HAS(t, "punct:!!!", "runs of exclamation marks are a token");
	HAS(t, "url:www.example.com", "URL host");
	HAS(t, "url:example.com", "URL parent domain");
	HAS(t, "url:path:cheap", "URL path piece");
	HAS(t, "url:path:pills", "URL path piece");
	HAS(t, "email:spammer.example", "mail address domain");
	spam_toks_free(&t);
	{
		/* keyword padding by repetition: a set counts each word once */
		struct buf b = BUF_INIT;
		size_t n1, n2;

		buf_init(&b);
		for (int i = 0; i < 5000; i++)
			buf_adds(&b, "lottery ");
		t = toks_of_text(b.data);
		n1 = spam_toks_count(t);
		spam_toks_free(&t);
		t = toks_of_text("lottery");
		n2 = spam_toks_count(t);
		T_INT(n1, n2, "a word said 5000 times is one token");
		spam_toks_free(&t);
		buf_release(&b);
	}
	t = toks_of_text("a I x");
	HASNT(t, "aix", "fewer than four single letters are not joined");
	spam_toks_free(&t);
}

static void test_html_tricks(void)
{
	struct spam_toks *t;

	t = toks_of_html("<p>Vi<b></b>ag<!-- x -->ra</p>");
	HAS(t, "viagra", "inline tags and comments inside a word do not split it");
	HAS(t, "trick:tag-split", "... and the trick is a token");
	spam_toks_free(&t);
	t = toks_of_html("<p>Meeting notes</p><div style=\"display: none\">lottery winner</div>"
	                 "<font color=\"#FFFFFF\">jackpot</font>"
	                 "<span style='font-size:1px'>casino</span>"
	                 "<table bgcolor=black><tr><td><font color=black>bonus</font></td></tr></table>");
	HAS(t, "meeting", "visible HTML text is tokenized");
	HAS(t, "hid:lottery", "display:none text is hidden evidence");
	HASNT(t, "lottery", "... and not a visible word");
	HAS(t, "hid:jackpot", "white on white text is hidden");
	HASNT(t, "jackpot", "... and not a visible word");
	HAS(t, "hid:casino", "1px text is hidden");
	HAS(t, "hid:bonus", "black on black is hidden");
	HAS(t, "trick:hidden-text", "hidden text is a token of its own");
	spam_toks_free(&t);
	t = toks_of_html("<a href=\"http://evil.example/login\">bank</a>"
	                 "<img src=\"http://track.example/p.gif\" width=1 height=1>"
	                 "<font face=\"Arial\" size=\"+2\">&#86;&#105;&#97;&#103;&#114;&#97; &amp; more</font>"
	                 "<script>var hidden = 'scriptword';</script><style>.x{}</style>");
	HAS(t, "url:evil.example", "link host");
	HAS(t, "url:path:login", "link path");
	HAS(t, "img:track.example", "image host under its own prefix");
	HAS(t, "attr:font:face=arial", "tag attributes are tokens");
	HAS(t, "attr:img:width=1", "image size attributes are tokens");
	HAS(t, "tag:font", "tag names are tokens");
	HAS(t, "viagra", "numeric entities are decoded");
	HAS(t, "trick:entity-letters", "letters written as entities are a token");
	HASNT(t, "scriptword", "script content is not text");
	spam_toks_free(&t);
	/* hostile HTML: unterminated everything */
	t = toks_of_html("<a href=\"http://x.example/<div style='display:none'<!--<<<&#99999999;&#x;");
	T_OK(spam_toks_count(t) > 0, "unterminated tags, comments and entities do not crash");
	spam_toks_free(&t);
}

static const char *msg_plain =
	"From: \"Big Deals\" <deals@spammer.example>\n"
	"To: user@home.example\n"
	"Subject: FREE offer inside\n"
	"Received: from mx1.spammer.example (mx1.spammer.example [192.0.2.17]) by mx.home.example\n"
	"X-Mailer: BulkBlaster 3.1\n"
	"Message-ID: <abc@spammer.example>\n"
	"Date: Mon, 2 Sep 2002 10:00:00 +0900\n"
	"MIME-Version: 1.0\n"
	"Content-Type: text/plain; charset=us-ascii\n"
	"\n"
	"Click to claim your prize.\n";

static void test_message_tokens(void)
{
	struct spam_toks *t = toks_of_msg(msg_plain);

	HAS(t, "subj:free", "subject words have their prefix");
	HASNT(t, "free", "... and are not body words");
	HAS(t, "from:deals@spammer.example", "From address");
	HAS(t, "from:@spammer.example", "From domain");
	HAS(t, "from:name:deals", "From display name words");
	HAS(t, "to:@home.example", "To domain");
	HAS(t, "rcvd:mx1.spammer.example", "Received host");
	HAS(t, "rcvd:spammer.example", "Received host's domain");
	HAS(t, "rcvd:ip:192.0.2", "Received address /24");
	HAS(t, "x-mailer:bulkblaster", "X-Mailer words");
	HAS(t, "mid:@spammer.example", "Message-ID domain");
	HAS(t, "part:text/plain", "Content-Type");
	HAS(t, "charset:us-ascii", "charset");
	HAS(t, "hdr:x-mailer", "header names");
	HAS(t, "date:tz:+0900", "time zone");
	HAS(t, "claim", "body words");
	HAS(t, "hname:X-Mailer", "header names as spelt");
	HAS(t, "hname:Message-ID", "... each its own spelling");
	HASNT(t, "hname:x-mailer", "... not lowered");
	HAS(t, "mailer:bulkblaster 3.1", "the whole X-Mailer, program and version");
	HAS(t, "mid:shape:a", "Message-ID local part shape (letters: a)");
	HAS(t, "date:shape:Aa,_9_Aa_9_9:9:9_+9", "Date shape (runs of a class are one character)");
	HAS(t, "parts:1", "one part");
	HASNT(t, "caps:0", "no capitals share under 20 words");
	spam_toks_free(&t);

	t = toks_of_msg("From: a@b.example\nSubject: x\nDate: 02 Sep 2002 10:00 GMT\n"
	                "Message-ID: <20020902.1A2b3C.4567@mx.example>\nMIME-Version: 1.0\n"
	                "Content-Type: multipart/alternative; boundary=\"----=_NextPart_000_0012_01C25A\"\n\n"
	                "------=_NextPart_000_0012_01C25A\nContent-Type: text/plain\n\n"
	                "BUY NOW AND SAVE BIG ON EVERY ORDER TODAY ONLY for you and the family, "
	                "one two three four five six seven eight nine ten eleven twelve\n"
	                "------=_NextPart_000_0012_01C25A\nContent-Type: text/html\n\n"
	                "<p>hello</p>\n------=_NextPart_000_0012_01C25A--\n");
	HAS(t, "mid:shape:9.9A9a9A.9", "Message-ID shape: digits 9, lower a, capitals A, dots kept");
	HAS(t, "date:shape:9_Aa_9_9:9_A", "a Date without a weekday has another shape");
	HAS(t, "boundary:----=_AaAa_9_9_9A9A", "MIME boundary shape (punctuation kept as it is)");
	HAS(t, "parts:2", "two leaf parts");
	HAS(t, "caps:30", "9 of 27 words in capitals: the 30% step");
	HASNT(t, "caps:35", "... and no other step");
	HASNT(t, "caps:buy", "capital words are counted, not a token each");
	spam_toks_free(&t);

	t = toks_of_msg("From: a@b.example\nSubject: x\n\n"
	                "plain words only and not one of them shouting at all, twenty or more "
	                "of them to count here as the message body text, with some more words after\n");
	HAS(t, "caps:0", "no capitals: share 0");
	HAS(t, "mid:none", "no Message-ID");
	spam_toks_free(&t);
	{
		/* hostile: a Message-ID of 30000 characters alternating classes */
		struct buf m = BUF_INIT;
		char want[64];

		buf_init(&m);
		buf_addf(&m, "From: a@b.example\nMessage-ID: <");
		for (int i = 0; i < 10000; i++)
			buf_add(&m, "aA9", 3);
		buf_addf(&m, "@x.example>\nSubject: x\n\nbody\n");
		t = toks_of_msg(m.data);
		str_copy(want, "mid:shape:", sizeof(want));
		for (int i = 0; i < 13; i++)
			memcpy(want + 10 + 3 * i, "aA9", 4);
		HAS(t, want, "a huge Message-ID: its shape stops at 39 characters");
		HAS(t, "mid:@x.example", "... and its domain is still found");
		spam_toks_free(&t);
		buf_release(&m);
	}

	t = toks_of_msg("From: a@b.example\nSubject: x\nMIME-Version: 1.0\n"
	                "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
	                "UGxlYXNlIHJlcGx5IHdpdGggeW91ciBwYXNzd29yZA==\n");
	HAS(t, "password", "base64 bodies are decoded");
	HAS(t, "cte:base64", "the transfer encoding is a token");
	spam_toks_free(&t);
	t = toks_of_msg("From: a@b.example\nSubject: x\nMIME-Version: 1.0\n"
	                "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
	                "vi=61gra pour vous, tr=E8s cher\n");
	HAS(t, "viagra", "quoted-printable bodies are decoded");
	HAS(t, "tr\xc3\xa8s", "Latin-1 text becomes UTF-8");
	spam_toks_free(&t);
	t = toks_of_msg("From: a@b.example\nSubject: x\nMIME-Version: 1.0\n"
	                "Content-Type: text/plain; charset=koi8-r\n\n"
	                "\xd0\xd2\xc9\xd7\xc5\xd4\n"); /* "привет" in KOI8-R */
	HAS(t, "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "KOI8-R text is decoded to UTF-8 words");
	HAS(t, "charset:koi8-r", "the odd charset is a token");
	spam_toks_free(&t);
	t = toks_of_msg("From: a@b.example\nSubject: x\nMIME-Version: 1.0\n"
	                "Content-Type: multipart/related; boundary=b\n\n--b\n"
	                "Content-Type: text/html\n\n<html><body><img src=\"cid:1\"></body></html>\n--b\n"
	                "Content-Type: image/gif; name=\"offer.gif\"\nContent-Transfer-Encoding: base64\n\n"
	                "R0lGODlhAQABAAAAACw=\n--b--\n");
	HAS(t, "image-only", "a mail of images without text says so");
	HAS(t, "att:image/gif", "attachment type");
	HAS(t, "attext:gif", "attachment extension");
	HAS(t, "html-only", "HTML without a text part");
	spam_toks_free(&t);
	{
		/* huge and hostile: a 6 MB body of one endless word and garbage */
		struct buf b = BUF_INIT;

		buf_init(&b);
		buf_adds(&b, "From: a@b.example\nSubject: big\n\n");
		for (int i = 0; i < 3 * 1024 * 1024; i++)
			buf_addch(&b, "ab\x80\xff"[i % 4]);
		for (int i = 0; i < 200000; i++)
			buf_addf(&b, "w%d ", i);
		t = toks_of_msg(b.data);
		T_OK(spam_toks_count(t) > 0 && spam_toks_count(t) <= 20000,
		     "a huge message gives at most 20000 tokens");
		spam_toks_free(&t);
		buf_release(&b);
	}
	t = toks_of_msg("Subject: =?utf-8?B?\n\n\n--\x01\x02<html");
	T_OK(t != NULL, "a malformed message tokenizes");
	spam_toks_free(&t);
}

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

static void test_maths(void)
{
	double f1[] = { 0.9, 0.8 }, f2[] = { 0.99, 0.01, 0.2 }, f3[] = { 0.9, 0.8, 0.95, 0.1 };
	double sel[] = { 0.5, 0.6, 0.95, 0.05, 0.3 };
	struct spam_params p;

	/* Q(2, 2) = e^-1; Q(4, 4) = e^-2 (1 + 2); Q(10, 6) = e^-5 (1 + 5 + 12.5) */
	T_OK(near(spam_chi2q(2, 2), exp(-1.0)), "chi2Q(2, 2) = e^-1");
	T_OK(near(spam_chi2q(4, 4), 3 * exp(-2.0)), "chi2Q(4, 4) = 3 e^-2");
	T_OK(near(spam_chi2q(10, 6), 18.5 * exp(-5.0)), "chi2Q(10, 6) = 18.5 e^-5");
	T_OK(spam_chi2q(5000, 2) == 0 && spam_chi2q(0, 4) == 1, "chi2Q at the extremes");
	/* f(w) = (s x + n p) / (s + n) */
	T_OK(near(spam_robinson_f(2, 1, 4, 2, 0.45, 0.4), (0.45 * 0.4 + 3 * 0.5) / 3.45),
	     "f(w) with p = 0.5, s = 0.45, x = 0.4");
	T_OK(near(spam_robinson_f(0, 1, 1, 1, 0.1, 0.5), (0.05 + 1.0) / 1.1),
	     "f(w) of a token seen once in spam");
	T_OK(near(spam_robinson_f(0, 0, 10, 10, 0.1, 0.3), 0.3), "an unseen token gets x");
	/* a token seen in one message has the strength s_once, others s */
	spam_params_default(&p);
	p.s = 0.1;
	p.s_once = 0.17;
	p.x = 0.5;
	T_OK(near(spam_token_f(0, 1, 10, 5, &p), (0.17 * 0.5 + 1.0) / 1.17),
	     "f(w) of a token seen once uses s_once");
	T_OK(near(spam_token_f(1, 0, 10, 5, &p), (0.17 * 0.5 + 0.0) / 1.17),
	     "... in ham as well");
	T_OK(near(spam_token_f(0, 2, 10, 5, &p), (0.1 * 0.5 + 2.0) / 2.1),
	     "f(w) of a token seen twice uses s");
	T_OK(near(spam_token_f(1, 1, 10, 10, &p), 0.5), "... seen once each way: 0.5");
	p.s_once = 0;
	T_OK(near(spam_token_f(0, 1, 1, 1, &p), (0.05 + 1.0) / 1.1), "s_once 0 falls back to s");
	spam_params_default(&p);
	T_OK(fabs(spam_token_f(0, 1, 100, 100, &p) - 0.5) >= p.min_dev,
	     "by default a token seen once still passes min_dev");
	/* Fisher of {0.9, 0.8}: S = 1 - 0.02 (1 + ln 50), H = 1 - 0.72 (1 + ln(1/0.72)) */
	{
		double S = 1 - 0.02 * (1 + log(50.0)), H = 1 - 0.72 * (1 + log(1 / 0.72));

		T_OK(near(spam_fisher(f1, 2), (1 + S - H) / 2), "Fisher {0.9, 0.8} by hand");
		T_OK(near(spam_fisher(f1, 2), 0.9291412340556515), "Fisher {0.9, 0.8} = 0.929141");
	}
	T_OK(near(spam_fisher(f2, 3), 0.4568606060980971), "Fisher {0.99, 0.01, 0.2} = 0.456861");
	T_OK(near(spam_fisher_esf(f3, 4, 0.5), 0.7385521105432318),
	     "Fisher with effective size factor 0.5 = 0.738552");
	T_OK(spam_fisher(NULL, 0) == 0.5, "no evidence is 0.5");
	{
		double h[] = { 0.5, 0.5, 0.5 };

		T_OK(near(spam_fisher(h, 3), 0.5), "neutral evidence is 0.5");
	}
	spam_params_default(&p);
	p.min_dev = 0.2;
	p.max_tokens = 0;
	T_INT(spam_select(sel, 5, &p), 3, "min_dev keeps the tokens far from 0.5");
	T_OK(sel[0] == 0.95 && sel[1] == 0.05 && sel[2] == 0.3, "... in order");
	{
		double s2[] = { 0.9, 0.01, 0.2, 0.99 };

		p.max_tokens = 2;
		T_INT(spam_select(s2, 4, &p), 2, "max_tokens keeps the strongest");
		T_OK((s2[0] == 0.01 && s2[1] == 0.99) || (s2[0] == 0.99 && s2[1] == 0.01),
		     "... 0.01 and 0.99");
	}
	spam_params_default(&p);
	T_INT(spam_classify_prob(0.99, &p), SPAM_SPAM, "above the spam cut-off is spam");
	T_INT(spam_classify_prob(0.01, &p), SPAM_HAM, "below the ham cut-off is ham");
	T_INT(spam_classify_prob((p.ham_cutoff + p.spam_cutoff) / 2, &p), SPAM_UNSURE,
	      "between is unsure");
}

/* ---- the store ---------------------------------------------------- */

static char *mkmsg(const char *subject, const char *body)
{
	return xasprintf("From: someone@sender.example\nTo: me@home.example\nSubject: %s\n"
	                 "Message-ID: <%s@x>\n\n%s\n", subject, subject, body);
}

static bool same_counts(struct spam_db *a, struct spam_db *b, const char *raw)
{
	struct spam_toks *t = toks_of_msg(raw);
	bool same = true;
	char err[WARY_ERRLEN];
	struct spam_stats sa, sb;

	/* the store tokenizes with its own options (bigrams): compare
	 * every token of both kinds */
	for (size_t i = 0; i < spam_toks_count(t); i++) {
		uint32_t s1, h1, s2, h2;

		spam_db_token(a, spam_toks_text(t, i), &s1, &h1, err, sizeof(err));
		spam_db_token(b, spam_toks_text(t, i), &s2, &h2, err, sizeof(err));
		if (s1 != s2 || h1 != h2) {
			printf("#   %s: %u/%u vs %u/%u\n", spam_toks_text(t, i), s1, h1, s2, h2);
			same = false;
		}
	}
	spam_db_stats(a, &sa, err, sizeof(err));
	spam_db_stats(b, &sb, err, sizeof(err));
	if (sa.nspam != sb.nspam || sa.nham != sb.nham || sa.tokens != sb.tokens) {
		printf("#   stats %u/%u/%llu vs %u/%u/%llu\n", sa.nspam, sa.nham,
		       (unsigned long long)sa.tokens, sb.nspam, sb.nham, (unsigned long long)sb.tokens);
		same = false;
	}
	spam_toks_free(&t);
	return same;
}

static void test_store(const char *dir)
{
	char err[WARY_ERRLEN];
	char *p1 = xasprintf("%s/a/b/one.db", dir), *p2 = xasprintf("%s/two.db", dir);
	struct spam_db *a = NULL, *b = NULL;
	char *spam1 = mkmsg("winner", "claim your lottery prize cash now winner jackpot");
	char *spam2 = mkmsg("prize", "lottery prize money cash bonus jackpot casino");
	char *ham1 = mkmsg("meeting", "the meeting about the release schedule is moved to friday");
	char *ham2 = mkmsg("patch", "attached patch fixes the release build on friday schedule");
	char *m = mkmsg("moved", "lottery cash meeting release schedule friday winner");
	enum spam_train_result r;
	struct spam_stats st;
	uint32_t s, h;
	struct stat sb;

	T_INT(spam_db_open(p1, &a, err, sizeof(err)), WARY_OK, "open creates the store and its directories");
	T_OK(stat(p1, &sb) == 0 && (sb.st_mode & 0777) == 0600, "the store file is private (0600)");
	T_INT(spam_db_open(p2, &b, err, sizeof(err)), WARY_OK, "a second store");
	/* retrain: a trained spam -> ham equals a store that only saw it as ham */
	spam_db_train(a, spam1, strlen(spam1), true, &r, err, sizeof(err));
	spam_db_train(a, ham1, strlen(ham1), false, &r, err, sizeof(err));
	T_INT(spam_db_train(a, m, strlen(m), true, &r, err, sizeof(err)), WARY_OK, "train as spam");
	T_INT(r, SPAM_TRAINED, "... trained");
	T_INT(spam_db_train(a, m, strlen(m), false, &r, err, sizeof(err)), WARY_OK, "train as ham");
	T_INT(r, SPAM_RETRAINED, "... is a retrain");
	spam_db_train(b, spam1, strlen(spam1), true, &r, err, sizeof(err));
	spam_db_train(b, ham1, strlen(ham1), false, &r, err, sizeof(err));
	spam_db_train(b, m, strlen(m), false, &r, err, sizeof(err));
	T_OK(same_counts(a, b, m) && same_counts(a, b, spam1),
	     "counts after spam->ham equal the counts of training ham only");
	{
		/* a second connection (the pager's, beside the worker's) that
		 * looked up a token the store has must not hold the store's
		 * read lock: training on the first then fails "database is
		 * locked" after the busy wait */
		struct spam_db *c = NULL;
		char *m2 = mkmsg("another", "lottery winner friday");

		T_INT(spam_db_open(p1, &c, err, sizeof(err)), WARY_OK, "a second connection to the store");
		spam_db_token(c, "winner", &s, &h, err, sizeof(err));
		T_OK(s + h > 0, "... finds a token the store has");
		T_INT(spam_db_train(a, m2, strlen(m2), true, &r, err, sizeof(err)), WARY_OK,
		      "... and training on the first connection meanwhile commits");
		T_INT(spam_db_untrain(a, m2, strlen(m2), &r, err, sizeof(err)), WARY_OK, "... (untrained again)");
		spam_db_free(&c);
		free(m2);
	}
	spam_db_token(a, "winner", &s, &h, err, sizeof(err));
	T_OK(s == 1 && h == 1, "a shared token: one spam (spam1), one ham (m)");
	/* dedupe */
	T_INT(spam_db_train(a, m, strlen(m), false, &r, err, sizeof(err)), WARY_OK, "train again");
	T_INT(r, SPAM_ALREADY, "... counts once");
	spam_db_stats(a, &st, err, sizeof(err));
	T_OK(st.nspam == 1 && st.nham == 2 && st.messages == 3, "message counts after the dedupe");
	/* untrain */
	T_INT(spam_db_untrain(a, m, strlen(m), &r, err, sizeof(err)), WARY_OK, "untrain");
	T_INT(r, SPAM_UNTRAINED, "... removed");
	spam_db_untrain(a, m, strlen(m), &r, err, sizeof(err));
	T_INT(r, SPAM_NOT_TRAINED, "untrain of a message not trained says so");
	spam_db_token(a, "subj:moved", &s, &h, err, sizeof(err));
	T_OK(s == 0 && h == 0, "untrain takes the counts back");
	spam_db_stats(a, &st, err, sizeof(err));
	T_OK(st.nspam == 1 && st.nham == 1, "and the message counts");
	/* classify */
	spam_db_train(a, spam2, strlen(spam2), true, &r, err, sizeof(err));
	spam_db_train(a, ham2, strlen(ham2), false, &r, err, sizeof(err));
	{
		char *q = mkmsg("jackpot", "lottery jackpot prize cash casino winner bonus");
		char *q2 = mkmsg("schedule", "the release schedule meeting on friday patch attached");
		struct mail_msg *mm = NULL;
		struct spam_result res1, res2;

		mail_parse(q, strlen(q), &mm, err, sizeof(err));
		T_INT(spam_db_classify(a, mm, 5, &res1, err, sizeof(err)), WARY_OK, "classify");
		T_INT(res1.cls, SPAM_SPAM, "a message of spam words is spam");
		T_OK(res1.nclues > 0 && res1.clues[0].text != NULL, "the clues are named");
		spam_db_load(a, err, sizeof(err));
		T_INT(spam_db_classify(a, mm, 0, &res2, err, sizeof(err)), WARY_OK, "classify from memory");
		T_OK(res1.prob == res2.prob, "the in-memory table gives the same probability");
		spam_result_clear(&res1);
		spam_result_clear(&res2);
		mail_free(&mm);
		mail_parse(q2, strlen(q2), &mm, err, sizeof(err));
		spam_db_classify(a, mm, 0, &res1, err, sizeof(err));
		T_INT(res1.cls, SPAM_HAM, "a message of ham words is ham");
		spam_result_clear(&res1);
		mail_free(&mm);
		{
			/* padding: the spam words with 300 unknown words and hidden ham words */
			struct buf pad = BUF_INIT;

			buf_init(&pad);
			buf_adds(&pad, "From: x@y.example\nSubject: jackpot\nMIME-Version: 1.0\n"
			               "Content-Type: text/html\n\n<p>lottery jackpot prize cash casino winner</p>");
			for (int i = 0; i < 300; i++)
				buf_addf(&pad, " zq%dword", i);
			buf_adds(&pad, "<div style=\"display:none\">meeting release schedule friday patch</div>");
			mail_parse(pad.data, pad.len, &mm, err, sizeof(err));
			spam_db_classify(a, mm, 0, &res1, err, sizeof(err));
			T_INT(res1.cls, SPAM_SPAM, "keyword padding (unknown and hidden ham words) stays spam");
			spam_result_clear(&res1);
			mail_free(&mm);
			buf_release(&pad);
		}
		free(q);
		free(q2);
	}
	/* a batch: one transaction; rollback forgets it */
	spam_db_stats(b, &st, err, sizeof(err));
	{
		uint32_t before = st.nspam;

		spam_db_begin(b, err, sizeof(err));
		for (int i = 0; i < 50; i++) {
			char *x = mkmsg("batch", "");
			char *y = xasprintf("%s%d\n", x, i);

			spam_db_train(b, y, strlen(y), true, &r, err, sizeof(err));
			free(x);
			free(y);
		}
		spam_db_stats(b, &st, err, sizeof(err));
		T_INT(st.nspam, before + 50, "a batch counts as it goes");
		spam_db_rollback(b);
		spam_db_stats(b, &st, err, sizeof(err));
		T_INT(st.nspam, before, "a rolled back batch leaves nothing");
	}
	/* the flat copy for batch classification: written by a big batch,
	 * used by the next load, ignored once the table changed */
	{
		char *snap = xasprintf("%s.snap", p2);
		char *q = mkmsg("casinoq", "casino jackpot bonus cash winner prize");
		struct mail_msg *mm = NULL;
		struct spam_result r1, r2, r3;
		struct spam_db *c = NULL;
		struct stat sb2;
		uint32_t s1 = 0, h1 = 0;

		spam_db_begin(b, err, sizeof(err));
		for (int i = 0; i < 120; i++) {
			char *x = mkmsg("bulk", i % 2 ? "casino jackpot bonus" : "release schedule friday");
			char *y = xasprintf("%s%d\n", x, i);

			spam_db_train(b, y, strlen(y), i % 2, &r, err, sizeof(err));
			free(x);
			free(y);
		}
		T_INT(spam_db_commit(b, err, sizeof(err)), WARY_OK, "a batch of 120 commits");
		T_OK(stat(snap, &sb2) == 0 && (sb2.st_mode & 0777) == 0600,
		     "a big batch writes the flat copy beside the store (0600)");
		mail_parse(q, strlen(q), &mm, err, sizeof(err));
		spam_db_classify(b, mm, 0, &r1, err, sizeof(err));
		spam_db_open(p2, &c, err, sizeof(err));
		spam_db_load(c, err, sizeof(err));
		T_OK(spam_db_loaded(c), "another handle loads it");
		spam_db_classify(c, mm, 0, &r2, err, sizeof(err));
		T_OK(r1.prob == r2.prob, "from the flat copy: the probability of the table");
		spam_db_free(&c);
		/* a change the copy does not know: a new token */
		spam_db_train(b, q, strlen(q), true, &r, err, sizeof(err));
		spam_db_open(p2, &c, err, sizeof(err));
		spam_db_load(c, err, sizeof(err));
		spam_db_token(c, "subj:casinoq", &s1, &h1, err, sizeof(err));
		T_OK(s1 == 1, "after training, a stale copy is not used (the new token is there)");
		spam_db_classify(b, mm, 0, &r2, err, sizeof(err));
		spam_db_classify(c, mm, 0, &r3, err, sizeof(err));
		T_OK(r2.prob == r3.prob, "... and the probabilities agree again");
		spam_db_free(&c);
		/* a damaged copy is ignored */
		{
			FILE *f = fopen(snap, "r+");

			if (f) {
				fseek(f, 30, SEEK_SET);
				fputs("garbage", f);
				fclose(f);
			}
			if (truncate(snap, 1000) != 0)
				printf("# truncate failed\n");
		}
		spam_db_open(p2, &c, err, sizeof(err));
		T_INT(spam_db_load(c, err, sizeof(err)), WARY_OK, "a damaged copy: loaded from the table");
		spam_db_classify(c, mm, 0, &r3, err, sizeof(err));
		T_OK(r2.prob == r3.prob, "... with the table's probabilities");
		spam_db_free(&c);
		spam_result_clear(&r1);
		spam_result_clear(&r2);
		spam_result_clear(&r3);
		mail_free(&mm);
		free(q);
		free(snap);
	}
	spam_db_free(&a);
	spam_db_free(&b);

	/* prune: rare tokens not trained for a while go, the rest stays */
	{
		char *p3 = xasprintf("%s/prune.db", dir);
		struct spam_db *c = NULL;
		char *old = mkmsg("old", "ancientword sharedword");
		char *nw = mkmsg("new", "freshword sharedword");
		uint64_t removed = 0;

		spam_db_open(p3, &c, err, sizeof(err));
		spam_db_set_today(c, 1000);
		spam_db_train(c, old, strlen(old), false, &r, err, sizeof(err));
		spam_db_set_today(c, 1100);
		spam_db_train(c, nw, strlen(nw), false, &r, err, sizeof(err));
		T_INT(spam_db_prune(c, 1, 50, &removed, err, sizeof(err)), WARY_OK, "prune");
		T_OK(removed > 0, "prune removed the stale rare tokens");
		spam_db_token(c, "ancientword", &s, &h, err, sizeof(err));
		T_OK(h == 0, "a token seen once 100 days ago is gone");
		spam_db_token(c, "sharedword", &s, &h, err, sizeof(err));
		T_OK(h == 2, "a token seen twice stays");
		spam_db_token(c, "freshword", &s, &h, err, sizeof(err));
		T_OK(h == 1, "a token trained recently stays");
		spam_db_free(&c);
		free(p3);
		free(old);
		free(nw);
	}
	/* files that are not ours */
	{
		char *p4 = xasprintf("%s/junk.db", dir), *p5 = xasprintf("%s/other.db", dir);
		struct spam_db *c = NULL;
		FILE *f = fopen(p4, "w");

		fputs("this is not a database at all, just text that is long enough..........", f);
		fclose(f);
		T_OK(spam_db_open(p4, &c, err, sizeof(err)) != WARY_OK && c == NULL,
		     "a file that is not SQLite is refused");
		{
			/* another program's SQLite file */
			sqlite3 *o = NULL;

			if (sqlite3_open(p5, &o) == SQLITE_OK)
				sqlite3_exec(o, "CREATE TABLE t(x);", NULL, NULL, NULL);
			sqlite3_close(o);
			T_OK(spam_db_open(p5, &c, err, sizeof(err)) != WARY_OK,
			     "an SQLite file of something else is refused, not overwritten");
			T_OK(strstr(err, "not a token store") != NULL, "... saying why");
		}
		spam_db_free(&c);
		free(p4);
		free(p5);
	}
	free(spam1);
	free(spam2);
	free(ham1);
	free(ham2);
	free(m);
	free(p1);
	free(p2);
}

static void test_score(void)
{
	struct spam_facts f;
	struct spam_score s;
	struct buf b = BUF_INIT;

	buf_init(&b);
	spam_facts_init(&f);
	spam_score_compute(&f, &s);
	T_INT(s.nhits, 0, "nothing known: no rule");
	spam_score_format(&s, &b);
	T_STR(b.data, "score=0.0, required 5", "the empty report");
	f.bayes = 0.001;
	f.spf = SPAM_AUTH_PASS;
	spam_score_compute(&f, &s);
	buf_reset(&b);
	spam_score_format(&s, &b);
	T_STR(b.data, "score=-2.6, required 5: BAYES_00 -2.50, SPF_PASS -0.10",
	      "Bayes band and SPF in the report");
	T_OK(!spam_score_is_spam(&s), "... not spam");
	f.bayes = 0.9995;
	f.spf = SPAM_AUTH_FAIL;
	f.deceptive_links = 1;
	f.trackers = 2;
	f.lying_attachments = 1;
	f.dnsbl = SPAM_YES;
	f.dkim = SPAM_AUTH_PASS;
	f.dkim_aligned = SPAM_NO;
	spam_score_compute(&f, &s);
	buf_reset(&b);
	spam_score_format(&s, &b);
	T_STR(b.data, "score=15.9, required 5: BAYES_99 6.50, BAYES_999 0.50, SPF_FAIL 1.00, "
	              "DKIM_VALID -0.10, DECEPTIVE_LINK 2.00, TRACKING_PIXEL 0.50, "
	              "LYING_ATTACHMENT 2.50, DNSBL_LISTED 3.00",
	      "every contributing rule is listed with its points");
	T_OK(spam_score_is_spam(&s), "... spam");
	spam_facts_init(&f);
	f.hashcash = SPAM_YES;
	f.bayes = 0.5;
	spam_score_compute(&f, &s);
	T_OK(fabs(s.total - (1.5 - 2.0)) < 1e-9, "a valid hashcash stamp lowers the score");
	/* the top of the unsure band with a deceptive link and no DKIM
	 * reaches the required score; lower in the band it does not */
	spam_facts_init(&f);
	f.dkim = SPAM_AUTH_NONE;
	f.deceptive_links = 1;
	f.bayes = 0.52;
	spam_score_compute(&f, &s);
	buf_reset(&b);
	spam_score_format(&s, &b);
	T_STR(b.data, "score=5.1, required 5: BAYES_51 3.00, DKIM_NONE 0.10, DECEPTIVE_LINK 2.00",
	      "Bayes 0.52 and a deceptive link: BAYES_51, spam by the score");
	T_OK(spam_score_is_spam(&s), "... spam");
	f.bayes = 0.509;
	spam_score_compute(&f, &s);
	T_OK(!spam_score_is_spam(&s) && strcmp(s.hits[0].name, "BAYES_45") == 0,
	     "Bayes 0.509 and a deceptive link: BAYES_45, not spam");
	f.bayes = 0.54;
	f.deceptive_links = 0;
	f.trackers = 1;
	f.hidden_text = 1;
	spam_score_compute(&f, &s);
	T_OK(!spam_score_is_spam(&s) && fabs(s.total - 4.6) < 1e-9,
	     "Bayes 0.54 with a tracker and hidden text but no deceptive link: 4.6, not spam");
	{
		/* every rule in the table is documented in wary(1) with its points */
		struct buf man = BUF_INIT;
		char path[1024];
		bool all = true;

		buf_init(&man);
		snprintf(path, sizeof(path), "%s/doc/wary.1", TOP_SRCDIR);
		if (fs_read_file(path, &man, 0, NULL, 0) == WARY_OK) {
			for (size_t i = 0; i < spam_rule_count(); i++) {
				char want[128];

				snprintf(want, sizeof(want), "%s\\ %+.2f", spam_rule(i)->name,
				         spam_rule(i)->points);
				if (strstr(man.data, want) == NULL) {
					printf("#   wary.1 lacks \"%s\"\n", want);
					all = false;
				}
			}
			T_OK(all, "wary(1) lists every score rule with its points");
		} else {
			T_OK(0, "wary(1) is readable");
		}
		buf_release(&man);
	}
	buf_release(&b);
}

/* The score's facts through wary inspect: a valid hashcash stamp for a
 * recipient, a deceptive link and a lying attachment. */
static void test_inspect_facts(void)
{
	struct buf stamp = BUF_INIT, raw = BUF_INIT, out = BUF_INIT;
	char err[WARY_ERRLEN];
	struct mail_msg *m = NULL;
	struct inspect *in = NULL;

	buf_init(&stamp);
	buf_init(&raw);
	buf_init(&out);
	setenv("WARY_SPAM_DB", "/nonexistent/wary-test/spam.db", 1);
	if (send_hashcash_mint("me@home.example", 20, time(NULL), &stamp, NULL, err, sizeof(err)) !=
	    WARY_OK) {
		T_OK(0, "hashcash mint");
		return;
	}
	buf_addf(&raw, "From: friend@far.example\nTo: Me <me@home.example>\nSubject: hi\n"
	               "X-Hashcash: %s\nMIME-Version: 1.0\nContent-Type: text/html\n\n"
	               "<a href=\"http://evil.example/\">http://bank.example/</a>\n", stamp.data);
	if (inspect_new(&in, err, sizeof(err)) == WARY_OK &&
	    mail_parse(raw.data, raw.len, &m, err, sizeof(err)) == WARY_OK &&
	    inspect_report_json(in, m, &out, err, sizeof(err)) == WARY_OK) {
		T_OK(strstr(out.data, "\"spam\":null,") != NULL, "inspect: no token store, Bayes is null");
		T_OK(strstr(out.data, "{\"name\":\"HASHCASH_VALID\",\"points\":-2.00}") != NULL,
		     "inspect: a valid stamp for a recipient is HASHCASH_VALID");
		T_OK(strstr(out.data, "{\"name\":\"DECEPTIVE_LINK\",\"points\":2.00}") != NULL,
		     "inspect: a link whose text names another host is DECEPTIVE_LINK");
		{
			const char *tp = strstr(out.data, "\"score\":{\"total\":"), *p = tp;
			double total = tp ? strtod(tp + 18, NULL) : -99, sum = 0;

			while (p && (p = strstr(p, "\"points\":")) != NULL) {
				sum += strtod(p + 9, NULL);
				p += 9;
			}
			T_OK(tp && fabs(total - sum) < 0.005, "inspect: the total is the sum of the rules listed");
		}
	} else {
		T_OK(0, "inspect a stamped message");
		printf("# %s\n", err);
	}
	mail_free(&m);
	buf_reset(&raw);
	buf_reset(&out);
	/* the stamp of someone else, and no stamp */
	buf_addf(&raw, "From: friend@far.example\nTo: other@else.example\nSubject: hi\n"
	               "X-Hashcash: %s\n\nhello\n", stamp.data);
	if (in && mail_parse(raw.data, raw.len, &m, err, sizeof(err)) == WARY_OK &&
	    inspect_report_json(in, m, &out, err, sizeof(err)) == WARY_OK)
		T_OK(strstr(out.data, "HASHCASH_VALID") == NULL,
		     "inspect: a stamp for another address does not count");
	else
		T_OK(0, "inspect a message stamped for someone else");
	mail_free(&m);
	inspect_free(&in);
	buf_release(&stamp);
	buf_release(&raw);
	buf_release(&out);
	unsetenv("WARY_SPAM_DB");
}

/* spam_hard: held out by folds, a spam that carries only ham's tokens is
 * hard, the rest are not; messages of fold -1 neither count nor get
 * judged. */
static void test_hard(void)
{
	enum { N = 41 };
	uint64_t spamtok[3] = { 101, 102, 103 }, hamtok[3] = { 201, 202, 203 };
	const uint64_t *h[N];
	size_t nh[N];
	bool is_spam[N], hard[N];
	int fold[N];
	struct spam_params p;
	size_t found;

	spam_params_default(&p);
	for (int i = 0; i < N; i++) {
		is_spam[i] = i < 20 || i == 40;
		/* message 40: labelled spam, every token a ham token */
		h[i] = (i < 20) ? spamtok : hamtok;
		nh[i] = 3;
		fold[i] = i % 5;
	}
	fold[39] = -1;
	found = spam_hard(h, nh, is_spam, fold, N, 5, &p, 0.9, 0.3, hard);
	T_INT((int)found, 1, "spam_hard: one hard message");
	T_OK(hard[40], "spam_hard: the spam with ham's tokens is hard");
	T_OK(!hard[0] && !hard[20] && !hard[39], "spam_hard: clear spam and ham are not, nor a left-out one");
	/* thresholds past every score: every judged message is hard */
	found = spam_hard(h, nh, is_spam, fold, N, 5, &p, 1.01, -0.01, hard);
	T_INT((int)found, N - 1, "spam_hard: thresholds past every score: all but the left-out one");
}

/* The logistic model of `wary spam cv --lr` (measured, not kept). */
static void test_lr(void)
{
	enum { N = 40 };
	/* spam: S and N; ham: H, half of them with N too */
	uint64_t st[2] = { 11, 99 }, ht[2] = { 22, 99 }, h1[1] = { 22 };
	uint64_t qs[1] = { 11 }, qh[1] = { 22 }, qn[1] = { 99 }, qu[1] = { 12345 }, qsu[2] = { 11, 12345 };
	const uint64_t *h[N];
	size_t nh[N];
	bool is_spam[N], use[N];
	struct spam_lr_params lp;
	struct spam_lr *a = NULL, *b = NULL;
	char err[WARY_ERRLEN];
	double ps, pn;

	for (int i = 0; i < N; i++) {
		is_spam[i] = i < N / 2;
		h[i] = is_spam[i] ? st : (i % 2 ? ht : h1);
		nh[i] = is_spam[i] || i % 2 ? 2 : 1;
		use[i] = true;
	}
	spam_lr_params_default(&lp);
	spam_lr_new(&a);
	spam_lr_new(&b);
	T_INT(spam_lr_train(a, h, nh, is_spam, NULL, N, &lp, err, sizeof(err)), WARY_OK, "lr: fit");
	T_INT((int)spam_lr_count(a), 3, "lr: a weight for each of the 3 tokens");
	ps = spam_lr_prob(a, qs, 1);
	pn = spam_lr_prob(a, qn, 1);
	T_OK(ps > 0.9 && spam_lr_prob(a, qh, 1) < 0.1, "lr: the class tokens decide");
	T_OK(spam_lr_prob(a, st, 2) > 0.5 && spam_lr_prob(a, ht, 2) < 0.5,
	     "lr: the training messages are classed right");
	T_OK(pn < ps, "lr: a token both classes carry weighs less than the one that tells them apart");
	/* an unknown token adds no weight, but the vector stays of unit length */
	T_OK(fabs(spam_lr_prob(a, qu, 1) - spam_lr_prob(a, NULL, 0)) < 1e-12,
	     "lr: an unknown token scores as no token");
	T_OK(spam_lr_prob(a, qsu, 2) < ps && spam_lr_prob(a, qsu, 2) > 0.5,
	     "lr: an unknown token dilutes a known one");
	T_INT(spam_lr_train(b, h, nh, is_spam, use, N, &lp, err, sizeof(err)), WARY_OK, "lr: fit again");
	T_OK(spam_lr_prob(a, st, 2) == spam_lr_prob(b, st, 2) && spam_lr_prob(a, qn, 1) == spam_lr_prob(b, qn, 1),
	     "lr: the same messages give the same weights (fixed order)");
	/* leaving out every spam: S is never seen */
	for (int i = 0; i < N / 2; i++)
		use[i] = false;
	T_INT(spam_lr_train(b, h, nh, is_spam, use, N, &lp, err, sizeof(err)), WARY_OK, "lr: fit on ham only");
	T_OK(spam_lr_prob(b, qs, 1) == spam_lr_prob(b, NULL, 0) && spam_lr_prob(b, qh, 1) < 0.5,
	     "lr: messages left out are not learnt");
	lp.epochs = 0;
	T_OK(spam_lr_train(b, h, nh, is_spam, NULL, N, &lp, err, sizeof(err)) != WARY_OK && err[0],
	     "lr: bad parameters refused");
	spam_lr_free(&a);
	spam_lr_free(&b);
	T_OK(a == NULL, "lr: free clears the pointer");
	spam_lr_free(&a);
}

/* The header anomalies: each one on a header that has it, and not on the
 * nearest header a mail program writes. */
static unsigned anomalies_of(const char *headers)
{
	char *raw = xasprintf("%s\nbody\n", headers);
	struct mail_msg *m = NULL;
	char err[WARY_ERRLEN];
	unsigned a = ~0u;

	if (mail_parse(raw, strlen(raw), &m, err, sizeof(err)) == WARY_OK)
		a = spam_header_anomalies(m);
	mail_free(&m);
	free(raw);
	return a;
}

static void test_anomalies(void)
{
	static const char rcvd[] =
		"Received: from a.example by mx.example; Wed, 2 Oct 2002 10:00:00 +0100\n"
		"Received: from pc by a.example; Wed, 2 Oct 2002 08:59:00 +0000\n";
	static const struct {
		const char *headers;
		unsigned want;
		const char *what;
	} cases[] = {
		{ "From: Ann <ann@a.example>\nTo: bob@b.example\nSubject: lunch\n"
		  "Message-ID: <1@a.example>\nDate: Wed, 2 Oct 2002 09:58:00 +0100\n",
		  0, "a plain message: no anomaly" },
		{ "Subject: hi\nDate: Wed, 2 Oct 2002 13:00:00 +0100\n", SPAM_A_DATE_FUTURE,
		  "Date 3 h after the first hop: DATE_FUTURE" },
		{ "Subject: hi\nDate: Wed, 2 Oct 2002 11:58:00 +0100\n", 0,
		  "Date 2 h after the first hop: nothing" },
		{ "Subject: hi\nDate: Sat, 28 Sep 2002 08:59:00 +0000\n", SPAM_A_DATE_PAST,
		  "Date 96 h before the first hop: DATE_PAST" },
		{ "Subject: hi\nDate: Sun, 29 Sep 2002 08:59:00 +0000\n", 0,
		  "Date 72 h before the first hop: nothing" },
		{ "Subject: hi\nDate: Wed, 02 Oct 0102 08:59:00 +0000\n", SPAM_A_DATE_PAST,
		  "a year written 0102: DATE_PAST" },
		{ "Subject: hi\nDate: Wed, 2 Oct 2002 09:00:00 +0000 (sent 0102 here)\n", 0,
		  "a 0102 in a comment after the time is no year" },
		{ "Subject: hi\nDate: Wed, 2 Oct 2002 23:00:00 -0000\n", 0,
		  "a Date at -0000 places nothing: no date anomaly" },
		{ "Message-ID: <12345.example>\n", SPAM_A_MSGID_NO_AT, "a Message-ID without @" },
		{ "Message-ID: <000801c2$4a3b$2c00@pc>\n", SPAM_A_OUTLOOK_ID_NO_MAILER,
		  "an Outlook Message-ID without X-Mailer" },
		{ "Message-ID: <000801c2$4a3b$2c00@pc>\nX-Mailer: Microsoft Outlook Express 6\n", 0,
		  "... with its X-Mailer: nothing" },
		{ "Subject: =?utf-8?q?FREE_MONEY_FOR_YOU_=C3=89T=C3=89?=\n", SPAM_A_SUBJ_CAPS,
		  "an encoded Subject in capitals" },
		{ "Subject: FREE money for YOU\n", 0, "a Subject with lower case: not in capitals" },
		{ "Subject: =?utf-8?b?0J/QoNCY0JLQldCiINCU0KDQo9CX0KzQrw==?=\n", SPAM_A_SUBJ_CAPS,
		  "a Cyrillic Subject in capitals" },
		{ "Subject: =?utf-8?b?5L2g5aW95LiW55WM5L2g5aW95LiW55WM5L2g5aW95LiW55WM?=\n", 0,
		  "a Subject in a script without case: not shouting" },
		{ "Subject: act now! now!\n", SPAM_A_SUBJ_EXCLAIM, "two ! in the Subject" },
		{ "Subject: act now!\n", 0, "one !: nothing" },
		{ "From: CHEAP MEDS <x@c.example>\n", SPAM_A_FROM_CAPS, "a From name in capitals" },
		{ "From: Ann ANDERSON <x@c.example>\n", 0, "a name with lower case: nothing" },
		{ "From: Ann <ann@a.example>\nTo: Ann <ANN@a.example>\n", SPAM_A_TO_IS_FROM,
		  "addressed to its sender" },
		{ "From: Ann <ann@a.example>\nTo: ann@a.example\nList-Id: <l.a.example>\n", 0,
		  "... by a list: nothing" },
		{ "From: Ann <ann@a.example>\nTo: annie@a.example\n", 0,
		  "a longer address holding the sender's: nothing" },
		{ "X-Priority: 1 (Highest)\n", SPAM_A_PRIORITY_HIGH, "X-Priority 1" },
		{ "X-Priority: 3\n", 0, "X-Priority 3: nothing" },
		{ "Content-Type: multipart/alternative; boundary=x\n", SPAM_A_MIME_NO_VERSION,
		  "multipart without MIME-Version" },
		{ "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=x\n", 0,
		  "... with it: nothing" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *h = xasprintf("%s%s", rcvd, cases[i].headers);
		unsigned got = anomalies_of(h);

		if (got != cases[i].want)
			printf("#   got 0x%x, want 0x%x\n", got, cases[i].want);
		T_OK(got == cases[i].want, cases[i].what);
		free(h);
	}
	/* the first hop is the lowest one with a zone that places it */
	T_INT((int)anomalies_of("Received: from a by b; Wed, 2 Oct 2002 10:00:00 +0000\n"
	                        "Received: from c by a; Wed, 2 Oct 2002 01:00:00 -0000\n"
	                        "Date: Wed, 2 Oct 2002 09:00:00 +0000\n"),
	      0, "a -0000 hop below is passed over for the one above it");
	T_INT((int)anomalies_of("Date: Wed, 2 Oct 2002 09:00:00 +0000\n"), 0,
	      "no Received at all: no date anomaly");
	{
		struct spam_facts f;
		struct spam_score sc;
		struct buf b = BUF_INIT;

		buf_init(&b);
		spam_facts_init(&f);
		f.bayes = 0.52;
		f.dkim = SPAM_AUTH_NONE;
		f.anomalies = SPAM_A_DATE_FUTURE;
		spam_score_compute(&f, &sc);
		spam_score_format(&sc, &b);
		T_STR(b.data, "score=5.1, required 5: BAYES_51 3.00, DKIM_NONE 0.10, DATE_IN_FUTURE 2.00",
		      "one anomaly at the band's top: spam by the score");
		f.bayes = 0.47;
		spam_score_compute(&f, &sc);
		T_OK(!spam_score_is_spam(&sc), "one anomaly at BAYES_45: not spam");
		f.anomalies = SPAM_A_DATE_FUTURE | SPAM_A_SUBJ_CAPS;
		spam_score_compute(&f, &sc);
		T_OK(spam_score_is_spam(&sc) && sc.nhits == 4, "two at BAYES_45: spam, both listed");
		buf_release(&b);
	}
}

int main(void)
{
	struct buf dir = BUF_INIT;
	char err[WARY_ERRLEN];

	test_text_tricks();
	test_html_tricks();
	test_message_tokens();
	test_maths();
	test_hard();
	test_lr();
	if (fs_private_tmpdir(&dir, err, sizeof(err)) == WARY_OK) {
		char *cmd;

		test_store(dir.data);
		cmd = xasprintf("rm -rf '%s'", dir.data);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir.data);
		free(cmd);
	} else {
		T_OK(0, "a private temporary directory");
	}
	test_score();
	test_anomalies();
	test_inspect_facts();
	buf_release(&dir);
	return t_done();
}
