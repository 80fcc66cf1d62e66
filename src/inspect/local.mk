noinst_LIBRARIES += src/inspect/libwary_inspect.a
src_inspect_libwary_inspect_a_SOURCES = src/inspect/inspect.h
