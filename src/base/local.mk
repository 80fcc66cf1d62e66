noinst_LIBRARIES += src/base/libwary_base.a
src_base_libwary_base_a_SOURCES = src/base/base.h src/base/banned.h src/base/buf.c \
	src/base/str.c src/base/safe.c src/base/fs.c
check_PROGRAMS += tests/unit/test_base
tests_unit_test_base_SOURCES = tests/unit/test_base.c tests/unit/t.h
tests_unit_test_base_LDADD = src/base/libwary_base.a
