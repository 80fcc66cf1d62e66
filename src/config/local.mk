noinst_LIBRARIES += src/config/libwary_config.a
src_config_libwary_config_a_SOURCES = src/config/config.h
