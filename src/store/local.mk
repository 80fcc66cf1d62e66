noinst_LIBRARIES += src/store/libwary_store.a
src_store_libwary_store_a_SOURCES = src/store/store.h
