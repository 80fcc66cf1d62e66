noinst_LIBRARIES += src/render/libwary_render.a
src_render_libwary_render_a_SOURCES = src/render/render.h
