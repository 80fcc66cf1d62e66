noinst_LIBRARIES += src/auth/libwary_auth.a
src_auth_libwary_auth_a_SOURCES = src/auth/auth.h src/auth/dns.c src/auth/zone.c src/auth/spf.c \
	src/auth/dmarc.c src/auth/trace_dns.c src/auth/dns_net.c
src_auth_libwary_auth_a_SOURCES += src/auth/dkim.c src/auth/dkim_int.h src/auth/authres.c src/auth/arc.c \
	src/auth/verdict.c
check_PROGRAMS += tests/unit/test_spf
tests_unit_test_spf_SOURCES = tests/unit/test_spf.c tests/unit/t.h
tests_unit_test_spf_LDADD = $(TEST_LIBS)
tests_unit_test_spf_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
check_PROGRAMS += tests/unit/test_dkim
tests_unit_test_dkim_SOURCES = tests/unit/test_dkim.c tests/unit/t.h
tests_unit_test_dkim_LDADD = $(TEST_LIBS)
tests_unit_test_dkim_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
check_PROGRAMS += tests/unit/test_dmarc
tests_unit_test_dmarc_SOURCES = tests/unit/test_dmarc.c tests/unit/t.h
tests_unit_test_dmarc_LDADD = $(TEST_LIBS)
tests_unit_test_dmarc_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
