noinst_LIBRARIES += src/trace/libwary_trace.a
src_trace_libwary_trace_a_SOURCES = src/trace/trace.h src/trace/trace.c src/trace/report.c
check_PROGRAMS += tests/unit/test_trace
tests_unit_test_trace_SOURCES = tests/unit/test_trace.c tests/unit/t.h tests/unit/t_msg.h
tests_unit_test_trace_LDADD = $(TEST_LIBS)
tests_unit_test_trace_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
# DNS, SPF, DMARC and the trace against the test unbound (tests/integration/dns.sh)
check_PROGRAMS += tests/integration/dns-driver
tests_integration_dns_driver_SOURCES = tests/integration/dns-driver.c tests/unit/t.h
tests_integration_dns_driver_LDADD = $(TEST_LIBS)
