# libFuzzer targets, built only with ./configure --enable-fuzzing CC=clang.
WARY_FUZZ_LIBS = $(WARY_LIBS)
WARY_FUZZ_LINKFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
if FUZZING
# the message model (owned by src/mail)
EXTRA_PROGRAMS += tests/fuzz/fuzz_header tests/fuzz/fuzz_address tests/fuzz/fuzz_rfc2047 \
	tests/fuzz/fuzz_mime
tests_fuzz_fuzz_header_SOURCES = tests/fuzz/fuzz_header.c
tests_fuzz_fuzz_header_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_header_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
tests_fuzz_fuzz_address_SOURCES = tests/fuzz/fuzz_address.c
tests_fuzz_fuzz_address_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_address_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
tests_fuzz_fuzz_rfc2047_SOURCES = tests/fuzz/fuzz_rfc2047.c
tests_fuzz_fuzz_rfc2047_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_rfc2047_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
tests_fuzz_fuzz_mime_SOURCES = tests/fuzz/fuzz_mime.c
tests_fuzz_fuzz_mime_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_mime_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
endif

# HTML to text (owned by src/render)
if FUZZING
EXTRA_PROGRAMS += tests/fuzz/fuzz_html
tests_fuzz_fuzz_html_SOURCES = tests/fuzz/fuzz_html.c
tests_fuzz_fuzz_html_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_html_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
EXTRA_PROGRAMS += tests/fuzz/fuzz_css
tests_fuzz_fuzz_css_SOURCES = tests/fuzz/fuzz_css.c
tests_fuzz_fuzz_css_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_css_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
endif

# config parser and the Maildir header-block reader (owned by src/config, src/store)
if FUZZING
EXTRA_PROGRAMS += tests/fuzz/fuzz_config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c
tests_fuzz_fuzz_config_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_config_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
EXTRA_PROGRAMS += tests/fuzz/fuzz_maildir_hdr
tests_fuzz_fuzz_maildir_hdr_SOURCES = tests/fuzz/fuzz_maildir_hdr.c
tests_fuzz_fuzz_maildir_hdr_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_maildir_hdr_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
endif

# keys and theme files (owned by the keymap and theme parsers in ui/)
if FUZZING
EXTRA_PROGRAMS += tests/fuzz/fuzz_keymap
tests_fuzz_fuzz_keymap_SOURCES = tests/fuzz/fuzz_keymap.c ui/keymap.c ui/theme.c ui/keyfile.c
tests_fuzz_fuzz_keymap_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)
tests_fuzz_fuzz_keymap_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_keymap_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
endif

# the thread order kept between runs (owned by the index in ui/)
if FUZZING
EXTRA_PROGRAMS += tests/fuzz/fuzz_threads
tests_fuzz_fuzz_threads_SOURCES = tests/fuzz/fuzz_threads.c ui/index.c ui/worker.c
tests_fuzz_fuzz_threads_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_threads_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
endif

# PGP structure of a message, judged without gpg (owned by src/crypto)
if FUZZING
EXTRA_PROGRAMS += tests/fuzz/fuzz_crypto
tests_fuzz_fuzz_crypto_SOURCES = tests/fuzz/fuzz_crypto.c
tests_fuzz_fuzz_crypto_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_crypto_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
endif

# search patterns (owned by src/pattern)
if FUZZING
EXTRA_PROGRAMS += tests/fuzz/fuzz_pattern
tests_fuzz_fuzz_pattern_SOURCES = tests/fuzz/fuzz_pattern.c
tests_fuzz_fuzz_pattern_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_pattern_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
endif

# SPF records (owned by src/auth) and Received chains (src/trace)
if FUZZING
EXTRA_PROGRAMS += tests/fuzz/fuzz_spf tests/fuzz/fuzz_received
tests_fuzz_fuzz_dmarc_SOURCES = tests/fuzz/fuzz_dmarc.c
tests_fuzz_fuzz_dmarc_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_dmarc_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
EXTRA_PROGRAMS += tests/fuzz/fuzz_dmarc
tests_fuzz_fuzz_spf_SOURCES = tests/fuzz/fuzz_spf.c
tests_fuzz_fuzz_spf_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_spf_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
tests_fuzz_fuzz_received_SOURCES = tests/fuzz/fuzz_received.c
tests_fuzz_fuzz_received_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_received_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
endif

# DKIM and ARC verification, Authentication-Results (owned by src/auth)
if FUZZING
EXTRA_PROGRAMS += tests/fuzz/fuzz_dkim tests/fuzz/fuzz_authres
tests_fuzz_fuzz_dkim_SOURCES = tests/fuzz/fuzz_dkim.c
tests_fuzz_fuzz_dkim_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_dkim_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
tests_fuzz_fuzz_authres_SOURCES = tests/fuzz/fuzz_authres.c
tests_fuzz_fuzz_authres_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_authres_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
endif

# hashcash stamps and the address lists and draft files users write (owned by src/send)
if FUZZING
EXTRA_PROGRAMS += tests/fuzz/fuzz_hashcash tests/fuzz/fuzz_send_addr
tests_fuzz_fuzz_hashcash_SOURCES = tests/fuzz/fuzz_hashcash.c
tests_fuzz_fuzz_hashcash_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_hashcash_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
tests_fuzz_fuzz_send_addr_SOURCES = tests/fuzz/fuzz_send_addr.c
tests_fuzz_fuzz_send_addr_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_send_addr_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
endif

# the spam tokenizer (owned by src/spam)
if FUZZING
EXTRA_PROGRAMS += tests/fuzz/fuzz_spam
tests_fuzz_fuzz_spam_SOURCES = tests/fuzz/fuzz_spam.c
tests_fuzz_fuzz_spam_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_spam_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
endif

# safe text and error texts, the gates before a terminal (owned by src/base)
if FUZZING
EXTRA_PROGRAMS += tests/fuzz/fuzz_safe
tests_fuzz_fuzz_safe_SOURCES = tests/fuzz/fuzz_safe.c
tests_fuzz_fuzz_safe_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_safe_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
endif

# the index FETCH responses (owned by src/store)
if FUZZING
EXTRA_PROGRAMS += tests/fuzz/fuzz_imap_fetch
tests_fuzz_fuzz_imap_fetch_SOURCES = tests/fuzz/fuzz_imap_fetch.c
tests_fuzz_fuzz_imap_fetch_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_imap_fetch_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
endif

# Every analysis of a shown message, in both reports (owned by src/inspect)
if FUZZING
EXTRA_PROGRAMS += tests/fuzz/fuzz_inspect
tests_fuzz_fuzz_inspect_SOURCES = tests/fuzz/fuzz_inspect.c
tests_fuzz_fuzz_inspect_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_inspect_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
endif

# A whole message as the pager shows it (owned by src/render)
if FUZZING
EXTRA_PROGRAMS += tests/fuzz/fuzz_render
tests_fuzz_fuzz_render_SOURCES = tests/fuzz/fuzz_render.c
tests_fuzz_fuzz_render_LDADD = $(WARY_FUZZ_LIBS)
tests_fuzz_fuzz_render_LDFLAGS = $(WARY_FUZZ_LINKFLAGS)
endif
