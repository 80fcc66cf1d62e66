keymapsdir = $(pkgdatadir)/keymaps
dist_keymaps_DATA =
dist_keymaps_DATA += keymaps/default.keys keymaps/vim.keys keymaps/simple.keys \
	keymaps/default.theme
dist_man_MANS += doc/wary-keys.5
