noinst_LIBRARIES += src/inspect/libwary_inspect.a
src_inspect_libwary_inspect_a_SOURCES = src/inspect/inspect.h src/inspect/inspect.c \
	src/inspect/verdict.c src/inspect/verdict_int.h src/inspect/spamfacts.c src/inspect/spam_int.h
check_PROGRAMS += tests/unit/test_inspect
tests_unit_test_inspect_SOURCES = tests/unit/test_inspect.c tests/unit/t.h tests/unit/t_msg.h
tests_unit_test_inspect_LDADD = $(TEST_LIBS)
tests_unit_test_inspect_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
