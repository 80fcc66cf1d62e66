/* Unit tests of net: fingerprints as users type them, as OpenSSL files hold
 * them, and the refusals that need no server. */
#include <unistd.h>

#include "net/net.h"
#include "t.h"

#define FPR_A "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:" \
              "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"

static void test_format(void)
{
	unsigned char md[32];
	char out[NET_FPR_LEN], small[8];
	size_t i;

	for (i = 0; i < sizeof(md); i++)
		md[i] = (unsigned char)(i * 37 + 5);
	net_cert_fingerprint_format(md, sizeof(md), out, sizeof(out));
	T_INT(strlen(out), 95, "SHA-256 fingerprint is 32 pairs and 31 colons");
	T_OK(strncmp(out, "05:2A:4F:74:", 12) == 0, "format: upper-case hex pairs joined by colons");
	T_OK(out[94] != ':' && out[2] == ':', "format: no colon at the end");
	net_cert_fingerprint_format(md, sizeof(md), small, sizeof(small));
	T_STR(small, "05:2A", "format: a short buffer gets whole pairs only, terminated");
	md[0] = 0xff;
	net_cert_fingerprint_format(md, 1, out, sizeof(out));
	T_STR(out, "FF", "format: one byte, no colon");
}

static void test_parse(void)
{
	char out[NET_FPR_LEN], err[WARY_ERRLEN];
	char lower[200], bare[80], spaced[200];
	size_t i, o;

	T_INT(net_cert_fingerprint_parse(FPR_A, out, err, sizeof(err)), WARY_OK, "parse: canonical form");
	T_STR(out, FPR_A, "parse: canonical form comes back unchanged");

	for (i = 0, o = 0; FPR_A[i]; i++)
		lower[o++] = (char)(FPR_A[i] >= 'A' && FPR_A[i] <= 'F' ? FPR_A[i] + 32 : FPR_A[i]);
	lower[o] = '\0';
	T_INT(net_cert_fingerprint_parse(lower, out, err, sizeof(err)), WARY_OK, "parse: lower case");
	T_STR(out, FPR_A, "parse: lower case is made upper case");

	for (i = 0, o = 0; FPR_A[i]; i++)
		if (FPR_A[i] != ':')
			bare[o++] = FPR_A[i];
	bare[o] = '\0';
	T_INT(strlen(bare), 64, "parse: the bare form has 64 digits");
	T_INT(net_cert_fingerprint_parse(bare, out, err, sizeof(err)), WARY_OK, "parse: no separators");
	T_STR(out, FPR_A, "parse: 64 bare digits give the canonical form");

	for (i = 0, o = 0; FPR_A[i]; i++)
		spaced[o++] = FPR_A[i] == ':' ? ' ' : FPR_A[i];
	spaced[o] = '\0';
	T_INT(net_cert_fingerprint_parse(spaced, out, err, sizeof(err)), WARY_OK, "parse: spaces");
	T_STR(out, FPR_A, "parse: space-separated pairs give the canonical form");
	T_INT(net_cert_fingerprint_parse("  " FPR_A "\n", out, err, sizeof(err)), WARY_EPARSE,
	      "parse: a newline is not a separator");

	/* Wrong shapes. */
	T_INT(net_cert_fingerprint_parse("", out, err, sizeof(err)), WARY_EPARSE, "parse: empty");
	T_STR(out, "", "parse: out is empty after a failure");
	T_INT(net_cert_fingerprint_parse(bare + 2, out, err, sizeof(err)), WARY_EPARSE,
	      "parse: 31 bytes (SHA-1-like short input) refused");
	T_OK(strstr(err, "31 bytes") != NULL, "parse: the error says how many bytes there were");
	snprintf(lower, sizeof(lower), "%sAB", bare);
	T_INT(net_cert_fingerprint_parse(lower, out, err, sizeof(err)), WARY_EPARSE,
	      "parse: 33 bytes refused");
	snprintf(lower, sizeof(lower), "A:B%s", bare + 2);
	T_INT(net_cert_fingerprint_parse(lower, out, err, sizeof(err)), WARY_EPARSE,
	      "parse: a separator inside a byte pair refused");
	snprintf(lower, sizeof(lower), "%s", bare);
	lower[10] = 'g';
	T_INT(net_cert_fingerprint_parse(lower, out, err, sizeof(err)), WARY_EPARSE,
	      "parse: a non-hex digit refused");
	T_OK(strstr(err, "position 11") != NULL, "parse: the error gives the position");
	T_INT(net_cert_fingerprint_parse(bare + 1, out, err, sizeof(err)), WARY_EPARSE,
	      "parse: an odd number of digits refused");
	T_INT(net_cert_fingerprint_parse("SHA256:" FPR_A, out, err, sizeof(err)), WARY_EPARSE,
	      "parse: a prefix is not a fingerprint");
	T_INT(net_cert_fingerprint_parse(NULL, out, err, sizeof(err)), WARY_EPARSE, "parse: NULL");
}

/* A real certificate made by openssl: the file helper must agree with the
 * openssl command line. */
static void test_file(void)
{
	char dir[] = "/tmp/wary-test-net.XXXXXX", cmd[1024], path[256], want[200], line[256];
	char out[NET_FPR_LEN], err[WARY_ERRLEN];
	FILE *p;
	char *eq;

	if (mkdtemp(dir) == NULL) {
		T_OK(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/c.pem", dir);
	snprintf(cmd, sizeof(cmd),
	         "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
	         "-subj /CN=fpr.test -keyout %s/k.pem -out %s 2>/dev/null && "
	         "openssl x509 -in %s -noout -fingerprint -sha256", dir, path, path);
	want[0] = '\0';
	p = popen(cmd, "r");
	if (p != NULL) {
		if (fgets(line, sizeof(line), p) != NULL && (eq = strchr(line, '=')) != NULL)
			snprintf(want, sizeof(want), "%.95s", eq + 1);
		pclose(p);
	}
	if (strlen(want) != 95) {
		t_skip("file fingerprint equals openssl's", "openssl could not make a certificate");
	} else {
		T_INT(net_cert_file_fingerprint(path, out, err, sizeof(err)), WARY_OK,
		      "file fingerprint of a PEM certificate");
		T_STR(out, want, "file fingerprint equals openssl x509 -fingerprint -sha256");
	}
	snprintf(path, sizeof(path), "%s/k.pem", dir);
	T_INT(net_cert_file_fingerprint(path, out, err, sizeof(err)), WARY_EPARSE,
	      "a key file is not a certificate");
	snprintf(path, sizeof(path), "%s/none.pem", dir);
	T_INT(net_cert_file_fingerprint(path, out, err, sizeof(err)), WARY_EIO, "a missing file");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	T_INT(system(cmd), 0, "clean up");
}

/* Bad options are refused before any connection is tried. */
static void test_opts(void)
{
	struct net_opts o;
	struct net_cert cert;
	struct mailimap *imap = (struct mailimap *)&o;
	struct mailpop3 *pop3 = (struct mailpop3 *)&o;
	char err[WARY_ERRLEN];

	memset(&o, 0, sizeof(o));
	o.host = "127.0.0.1";
	o.port = 1;
	o.trusted_sha256 = "12:34";
	T_INT(net_imap_connect(&o, &imap, &cert, err, sizeof(err)), WARY_ERR,
	      "a malformed trusted fingerprint is a bad option");
	T_OK(imap == NULL, "no session after a failure");
	T_OK(strstr(err, "fingerprint") != NULL, "the error names the fingerprint");
	o.trusted_sha256 = NULL;
	o.host = "";
	T_INT(net_pop3_connect(&o, &pop3, &cert, err, sizeof(err)), WARY_ERR, "an empty host");
	T_OK(pop3 == NULL, "no POP3 session after a failure");
	o.host = "127.0.0.1";
	o.port = 70000;
	T_INT(net_imap_connect(&o, &imap, NULL, err, sizeof(err)), WARY_ERR, "a port over 65535");
	o.port = 1;
	o.tls = (enum net_tls)7;
	T_INT(net_imap_connect(&o, &imap, NULL, err, sizeof(err)), WARY_ERR, "an unknown TLS mode");
	o.tls = NET_TLS_IMPLICIT;
	o.timeout_s = -1;
	T_INT(net_imap_connect(&o, &imap, NULL, err, sizeof(err)), WARY_ERR, "a negative timeout");
}

int main(void)
{
	test_format();
	test_parse();
	test_file();
	test_opts();
	return t_done();
}
