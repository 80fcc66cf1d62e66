noinst_LIBRARIES += src/store/libwary_store.a
src_store_libwary_store_a_SOURCES = src/store/store.h src/store/store_int.h \
	src/store/store.c src/store/maildir.c src/store/hdr.c src/store/cache.c \
	src/store/pop3_int.h src/store/pop3_uidl.c
check_PROGRAMS += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c tests/unit/t.h
tests_unit_test_store_LDADD = $(TEST_LIBS)
check_PROGRAMS += tests/unit/test_pop3
tests_unit_test_pop3_SOURCES = tests/unit/test_pop3.c tests/unit/t.h
tests_unit_test_pop3_LDADD = $(TEST_LIBS)
