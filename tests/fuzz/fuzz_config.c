/* libFuzzer target: the config parser, overrides and check-config on
 * arbitrary bytes.  `source` is off so the input cannot reach files. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/base.h"
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[WARY_ERRLEN];
	char *text = xstrndup((const char *)data, size);
	const char *nl = memchr(data, '\n', size);
	struct config *cfg = config_new();
	struct buf report = BUF_INIT;

	buf_init(&report);
	config_set_source_allowed(cfg, false);
	config_load_string(cfg, "fuzz", text, err, sizeof(err));
	/* The first line once more as an override, as -o would pass it. */
	if (nl != NULL) {
		char *line = xstrndup((const char *)data, (size_t)(nl - (const char *)data));

		config_override(cfg, line, err, sizeof(err));
		free(line);
	}
	config_check(cfg, &report);
	for (size_t i = 0; i < config_account_count(cfg); i++) {
		const char *a = config_account_name(cfg, i);

		(void)config_account_get(cfg, a, "imap_host");
		(void)config_account_get_int(cfg, a, "imap_port");
		(void)config_origin(cfg, a, "from");
	}
	if (memchr(report.data, 0x1b, report.len) != NULL)
		abort(); /* check-config output must be terminal-safe */
	buf_release(&report);
	config_free(&cfg);
	free(text);
	return 0;
}
