/* libFuzzer target: the Received parser and the chain analysis
 * (src/trace): the input is one header value per line, topmost first. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = xmalloc(size + 1);
	const char *v[TRACE_MAX_HOPS + 2];
	size_t n = 0;
	struct trace_hop h;
	struct trace *t = NULL;
	struct buf out = BUF_INIT;
	char err[WARY_ERRLEN];
	static const char *const own[] = { "mx.example.org", "*.example.net", "192.0.2.1" };
	struct trace_opts o = { own, 3, 1717588800, NULL, 0 };

	memcpy(copy, data, size);
	copy[size] = '\0';
	trace_parse_received((const char *)data, size, &h);
	for (char *p = copy; p && n < TRACE_MAX_HOPS + 2;) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		v[n++] = p;
		p = nl ? nl + 1 : NULL;
	}
	trace_build_values(v, n, &o, &t, err, sizeof(err));
	if (trace_hop_count(t) > TRACE_MAX_HOPS)
		__builtin_trap();
	trace_json(t, &out);
	trace_text(t, &out);
	trace_free(&t);
	buf_release(&out);
	free(copy);
	return 0;
}
