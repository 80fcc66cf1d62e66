/* libFuzzer target: the keys and theme parsers on arbitrary bytes, with
 * include off so the input cannot reach files.  Besides not crashing, the
 * parsers must keep two promises checked here: every message and help
 * text is terminal-safe, and every key name printed for the help view
 * parses back to the keys it names. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "ui/keymap.h"
#include "ui/theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_safe(const char *s)
{
	if (s != NULL && !safe_is_clean(s, strlen(s)))
		abort();
}

static void check_keymap(const struct keymap *km)
{
	for (size_t i = 0; i < keymap_warning_count(km); i++)
		check_safe(keymap_warning(km, i));
	for (size_t i = 0; i < keymap_error_count(km); i++)
		check_safe(keymap_error(km, i));
	for (int m = 0; m < KM_MENU_COUNT; m++) {
		for (size_t i = 0; i < keymap_binding_count(km, (enum km_menu)m); i++) {
			const char *name = NULL;
			const struct km_binding *b = keymap_binding_at(km, (enum km_menu)m, i, &name);
			int keys[16];
			int n;
			bool pre;

			if (b == NULL || name == NULL)
				abort();
			check_safe(b->help);
			n = keymap_parse_keys(name, keys, ARRAY_SIZE(keys));
			if (n <= 0)
				abort();
			/* the name must lead back to a binding of the same keys */
			if (keymap_lookup(km, (enum km_menu)m, keys, (size_t)n, &pre) == NULL)
				abort();
			if (b->macro != NULL) {
				char *mname = keymap_key_name(b->macro, b->macro_len);

				check_safe(mname);
				free(mname);
			}
		}
	}
	for (int f = 1; f < KF_FUNC_COUNT; f++)
		(void)keymap_key_for(km, KM_INDEX, (enum km_func)f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[WARY_ERRLEN];
	char *text = xstrndup((const char *)data, size);
	struct keymap *km = keymap_new();
	struct theme *th = theme_new();

	keymap_set_include_allowed(km, false);
	theme_set_include_allowed(th, false);
	if (keymap_load_string(km, "fuzz", text, err, sizeof(err)) != WARY_OK)
		check_safe(err);
	check_keymap(km);
	if (theme_load_string(th, "fuzz", text, err, sizeof(err)) != WARY_OK)
		check_safe(err);
	for (size_t i = 0; i < theme_error_count(th); i++)
		check_safe(theme_error(th, i));
	for (int o = 0; o < TH_OBJ_COUNT; o++) {
		const struct theme_color *c = theme_get(th, (enum theme_obj)o);

		if (c->fg < -1 || c->fg > 255 || c->bg < -1 || c->bg > 255)
			abort();
	}
	/* the whole input as key notation too */
	{
		int keys[64];
		int n = keymap_parse_keys(text, keys, ARRAY_SIZE(keys));

		if (n > 0) {
			char *name = keymap_key_name(keys, (size_t)n);
			int back[64];

			if (keymap_parse_keys(name, back, ARRAY_SIZE(back)) != n ||
			    memcmp(keys, back, (size_t)n * sizeof(int)) != 0)
				abort();
			free(name);
		}
	}
	keymap_free(&km);
	theme_free(&th);
	free(text);
	return 0;
}
