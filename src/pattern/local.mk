noinst_LIBRARIES += src/pattern/libwary_pattern.a
src_pattern_libwary_pattern_a_SOURCES = src/pattern/pattern.h src/pattern/pattern.c
