# The front end: the only code that draws or reads keys.
wary_SOURCES += ui/main.c ui/app.c ui/app.h ui/worker.c ui/worker.h \
	ui/index.c ui/index.h ui/textview.c ui/textview.h
# Presets are found in the installed data directory, else in the source
# tree, so the binary runs from the build tree before `make install`.
wary_CPPFLAGS = $(AM_CPPFLAGS) -DWARY_SRCDIR='"$(abs_top_srcdir)"'
dist_man_MANS += doc/wary.1
