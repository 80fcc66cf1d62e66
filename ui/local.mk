wary_SOURCES += ui/main.c
