noinst_LIBRARIES += src/auth/libwary_auth.a
src_auth_libwary_auth_a_SOURCES = src/auth/auth.h src/auth/dns.c
src_auth_libwary_auth_a_SOURCES += src/auth/dkim.c
