noinst_LIBRARIES += src/net/libwary_net.a
src_net_libwary_net_a_SOURCES = src/net/net.h src/net/net_int.h src/net/net.c src/net/tls.c src/net/dns.c \
	src/net/smtp.c
check_PROGRAMS += tests/unit/test_net tests/integration/net_check
tests_unit_test_net_SOURCES = tests/unit/test_net.c tests/unit/t.h
tests_unit_test_net_LDADD = $(TEST_LIBS)
tests_integration_net_check_SOURCES = tests/integration/net_check.c
tests_integration_net_check_LDADD = $(TEST_LIBS)
