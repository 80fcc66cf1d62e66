noinst_LIBRARIES += src/config/libwary_config.a
src_config_libwary_config_a_SOURCES = src/config/config.h src/config/config.c
check_PROGRAMS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c tests/unit/t.h
tests_unit_test_config_LDADD = $(TEST_LIBS)
dist_man_MANS += doc/wary.conf.5
tests_unit_test_config_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
