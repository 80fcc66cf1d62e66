noinst_LIBRARIES += src/mail/libwary_mail.a
src_mail_libwary_mail_a_SOURCES = src/mail/mail.h src/mail/mail_int.h src/mail/msg.c \
	src/mail/addr.c src/mail/charset.c src/mail/rfc2047.c src/mail/codec.c \
	src/mail/date.c src/mail/thread.c
check_PROGRAMS += tests/unit/test_mail
tests_unit_test_mail_SOURCES = tests/unit/test_mail.c tests/unit/t.h
tests_unit_test_mail_LDADD = $(TEST_LIBS)
tests_unit_test_mail_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
