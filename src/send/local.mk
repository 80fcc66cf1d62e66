noinst_LIBRARIES += src/send/libwary_send.a
src_send_libwary_send_a_SOURCES = src/send/send.h src/send/send_int.h \
	src/send/compose.c src/send/reply.c src/send/dlp.c src/send/hashcash.c \
	src/send/submit.c src/send/outbox.c
check_PROGRAMS += tests/unit/test_send
tests_unit_test_send_SOURCES = tests/unit/test_send.c tests/unit/t.h tests/unit/t_msg.h
tests_unit_test_send_LDADD = $(TEST_LIBS)
tests_unit_test_send_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
