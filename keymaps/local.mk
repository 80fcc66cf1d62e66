keymapsdir = $(pkgdatadir)/keymaps
dist_keymaps_DATA =
