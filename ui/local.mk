# The front end: the only code that draws or reads keys.
wary_client_SOURCES += ui/main.c ui/app.c ui/app.h ui/app_int.h ui/worker.c ui/worker.h \
	ui/index.c ui/index.h ui/textview.c ui/textview.h \
	ui/safety.c ui/safety.h ui/safety_view.c ui/safety_view.h
wary_client_SOURCES += ui/spam_cli.c ui/spam_cli.h ui/spam_ui.c ui/spam_ui.h
wary_client_SOURCES += ui/latest.c ui/latest.h
wary_client_SOURCES += ui/pgp.c ui/pgp.h
wary_client_SOURCES += ui/verdict.c ui/verdict.h
wary_client_SOURCES += ui/auth_setup.c ui/auth_setup.h ui/trace_view.c ui/trace_view.h
wary_client_SOURCES += ui/send_cli.c ui/compose.h ui/compose.c ui/compose_pgp.c
# Presets are found in the installed data directory, else in the source
# tree, so the binary runs from the build tree before `make install`.
wary_client_CPPFLAGS = $(AM_CPPFLAGS) -DWARY_SRCDIR='"$(abs_top_srcdir)"'
dist_man_MANS += doc/wary.1
# The UI's models without a terminal (index, text views, the worker).
check_PROGRAMS += tests/unit/test_ui
tests_unit_test_ui_SOURCES = tests/unit/test_ui.c ui/index.c ui/textview.c ui/worker.c
tests_unit_test_ui_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_ui_LDADD = $(TEST_LIBS)
# Keymap and theme parsers and the line reader they share.
wary_client_SOURCES += ui/keymap.c ui/keymap.h ui/theme.c ui/theme.h ui/keyfile.c ui/keyfile.h
check_PROGRAMS += tests/unit/test_keymap
tests_unit_test_keymap_SOURCES = tests/unit/test_keymap.c tests/unit/t.h ui/keymap.c ui/theme.c ui/keyfile.c
tests_unit_test_keymap_CFLAGS = $(AM_CFLAGS) $(NCURSES_CFLAGS)
tests_unit_test_keymap_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_keymap_LDADD = src/base/libwary_base.a $(NCURSES_LIBS)
