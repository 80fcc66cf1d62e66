noinst_LIBRARIES += src/render/libwary_render.a
src_render_libwary_render_a_SOURCES = src/render/render.h src/render/render_int.h \
	src/render/doc.c src/render/html.c src/render/render.c src/render/url.c src/render/css.c \
	src/render/browser.c src/render/allow.c
check_PROGRAMS += tests/unit/test_render
tests_unit_test_render_SOURCES = tests/unit/test_render.c tests/unit/t.h tests/unit/t_msg.h
tests_unit_test_render_LDADD = $(TEST_LIBS)
tests_unit_test_render_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
check_PROGRAMS += tests/unit/test_render_squeeze
tests_unit_test_render_squeeze_SOURCES = tests/unit/test_render_squeeze.c tests/unit/t.h tests/unit/t_msg.h
tests_unit_test_render_squeeze_LDADD = $(TEST_LIBS)
tests_unit_test_render_squeeze_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
