noinst_LIBRARIES += src/mail/libwary_mail.a
src_mail_libwary_mail_a_SOURCES = src/mail/mail.h
