# libFuzzer targets, built only with ./configure --enable-fuzzing CC=clang.
FUZZ_LDADD = $(WARY_LIBS)
FUZZ_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
if FUZZING
endif
