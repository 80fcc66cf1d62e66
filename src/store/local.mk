noinst_LIBRARIES += src/store/libwary_store.a
src_store_libwary_store_a_SOURCES = src/store/store.h src/store/store_int.h \
	src/store/store.c src/store/maildir.c src/store/hdr.c src/store/cache.c
check_PROGRAMS += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c tests/unit/t.h
tests_unit_test_store_LDADD = $(TEST_LIBS)
