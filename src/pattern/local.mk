noinst_LIBRARIES += src/pattern/libwary_pattern.a
src_pattern_libwary_pattern_a_SOURCES = src/pattern/pattern.h src/pattern/pattern.c
check_PROGRAMS += tests/unit/test_pattern
tests_unit_test_pattern_SOURCES = tests/unit/test_pattern.c tests/unit/t.h
tests_unit_test_pattern_LDADD = $(TEST_LIBS)
tests_unit_test_pattern_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
# The IMAP search test's driver (tests/integration/pattern-imap.sh builds it).
EXTRA_PROGRAMS += tests/integration/pattern-driver
tests_integration_pattern_driver_SOURCES = tests/integration/pattern-driver.c
tests_integration_pattern_driver_LDADD = $(TEST_LIBS)
