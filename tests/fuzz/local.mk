# libFuzzer targets, built only with ./configure --enable-fuzzing CC=clang.
FUZZ_LDADD = $(WARY_LIBS)
FUZZ_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
if FUZZING
endif

# config parser and the Maildir header-block reader (owned by src/config, src/store)
if FUZZING
EXTRA_PROGRAMS += tests/fuzz/fuzz_config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c
tests_fuzz_fuzz_config_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_LDFLAGS)
EXTRA_PROGRAMS += tests/fuzz/fuzz_maildir_hdr
tests_fuzz_fuzz_maildir_hdr_SOURCES = tests/fuzz/fuzz_maildir_hdr.c
tests_fuzz_fuzz_maildir_hdr_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_maildir_hdr_LDFLAGS = $(FUZZ_LDFLAGS)
endif
