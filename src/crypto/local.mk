noinst_LIBRARIES += src/crypto/libwary_crypto.a
src_crypto_libwary_crypto_a_SOURCES = src/crypto/crypto.h src/crypto/crypto_int.h \
	src/crypto/gpg.c src/crypto/read.c src/crypto/send.c src/crypto/keys.c \
	src/crypto/report.c src/crypto/autocrypt.c
check_PROGRAMS += tests/unit/test_crypto
tests_unit_test_crypto_SOURCES = tests/unit/test_crypto.c tests/unit/t.h
tests_unit_test_crypto_LDADD = $(TEST_LIBS)
tests_unit_test_crypto_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
