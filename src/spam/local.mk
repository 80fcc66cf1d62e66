# exp() and log() of the classifier
WARY_LIBS += -lm
noinst_LIBRARIES += src/spam/libwary_spam.a
src_spam_libwary_spam_a_SOURCES = src/spam/spam.h src/spam/spam_int.h \
	src/spam/tokenize.c src/spam/html.c src/spam/bayes.c src/spam/tokdb.c src/spam/score.c \
	src/spam/lr.c src/spam/anomaly.c
check_PROGRAMS += tests/unit/test_spam
tests_unit_test_spam_SOURCES = tests/unit/test_spam.c tests/unit/t.h tests/unit/t_msg.h
tests_unit_test_spam_LDADD = $(TEST_LIBS)
tests_unit_test_spam_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
