noinst_LIBRARIES += src/store/libwary_store.a
src_store_libwary_store_a_SOURCES = src/store/store.h src/store/store_int.h \
	src/store/store.c src/store/maildir.c src/store/hdr.c src/store/cache.c \
	src/store/pop3_int.h src/store/pop3_uidl.c src/store/pop3.c \
	src/store/imap_int.h src/store/imap.c src/store/imap_util.c src/store/imap_cache.c src/store/imap_fetch.c \
	src/store/store_conn.c \
	src/store/store_db.c \
	src/store/imap_body.c src/store/part.c
check_PROGRAMS += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c tests/unit/t.h
tests_unit_test_store_LDADD = $(TEST_LIBS)
check_PROGRAMS += tests/unit/test_pop3
tests_unit_test_pop3_SOURCES = tests/unit/test_pop3.c tests/unit/t.h
tests_unit_test_pop3_LDADD = $(TEST_LIBS)
check_PROGRAMS += tests/unit/test_imap
tests_unit_test_imap_SOURCES = tests/unit/test_imap.c tests/unit/t.h
tests_unit_test_imap_LDADD = $(TEST_LIBS)
# The POP3 integration tests' driver (tests/integration/pop3*.sh build it).
EXTRA_PROGRAMS += tests/integration/pop3-driver
tests_integration_pop3_driver_SOURCES = tests/integration/pop3-driver.c
tests_integration_pop3_driver_LDADD = $(TEST_LIBS)
# The integration test's driver (tests/integration/imap.sh builds it).
EXTRA_PROGRAMS += tests/integration/imap-driver
tests_integration_imap_driver_SOURCES = tests/integration/imap-driver.c
tests_integration_imap_driver_LDADD = $(TEST_LIBS)
# Message bodies on IMAP and Maildir (tests/integration/imap-body.sh builds it).
EXTRA_PROGRAMS += tests/integration/body-driver
tests_integration_body_driver_SOURCES = tests/integration/body-driver.c
tests_integration_body_driver_LDADD = $(TEST_LIBS)
check_PROGRAMS += tests/unit/test_imap_fetch
tests_unit_test_imap_fetch_SOURCES = tests/unit/test_imap_fetch.c tests/unit/t.h
tests_unit_test_imap_fetch_LDADD = $(TEST_LIBS)
check_PROGRAMS += tests/unit/test_imap_body
tests_unit_test_imap_body_SOURCES = tests/unit/test_imap_body.c tests/unit/t.h
tests_unit_test_imap_body_LDADD = $(TEST_LIBS)
