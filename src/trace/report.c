/* The chain as the JSON of `wary inspect` (design section 7) and as the
 * hop table of the raw-headers view and the text report.  Every string
 * from the message goes through safe_text first. */
#include "trace/trace.h"

#include <string.h>
#include <time.h>

static void json_safe(struct buf *out, const char *s)
{
	struct buf b = BUF_INIT;
	safe_text(&b, s, strlen(s), SAFE_LINE);
	buf_add_json_str(out, b.data ? b.data : "");
	buf_release(&b);
}

void trace_json(const struct trace *t, struct buf *out)
{
	buf_adds(out, "{\"hops\":[");
	for (size_t i = 0; i < trace_hop_count(t); i++) {
		const struct trace_hop *h = trace_hop(t, i);
		if (i)
			buf_addch(out, ',');
		buf_adds(out, "{\"from\":");
		json_safe(out, h->from);
		buf_adds(out, ",\"helo\":");
		json_safe(out, h->helo);
		buf_adds(out, ",\"rdns\":");
		json_safe(out, h->rdns);
		buf_adds(out, ",\"ip\":");
		json_safe(out, h->ip);
		buf_adds(out, ",\"by\":");
		json_safe(out, h->by);
		buf_adds(out, ",\"with\":");
		json_safe(out, h->with);
		buf_adds(out, ",\"id\":");
		json_safe(out, h->id);
		buf_adds(out, ",\"for\":");
		json_safe(out, h->for_);
		buf_adds(out, ",\"date\":");
		json_safe(out, h->date);
		if (h->when)
			buf_addf(out, ",\"time\":%lld", (long long)h->when);
		else
			buf_adds(out, ",\"time\":null");
		if (h->has_delay)
			buf_addf(out, ",\"delay_s\":%ld", h->delay_s);
		else
			buf_adds(out, ",\"delay_s\":null");
		buf_adds(out, ",\"flags\":");
		buf_add_json_flags(out, h->flags, trace_flag_name);
		if (h->dnsbl[0]) {
			buf_adds(out, ",\"dnsbl\":");
			json_safe(out, h->dnsbl);
		}
		buf_addch(out, '}');
	}
	buf_adds(out, "],\"origin_ip\":");
	json_safe(out, trace_origin_ip(t));
	size_t b = trace_boundary_index(t);
	if (b < trace_hop_count(t))
		buf_addf(out, ",\"boundary\":%zu", b);
	else
		buf_adds(out, ",\"boundary\":null");
	buf_adds(out, ",\"flags\":");
	buf_add_json_flags(out, trace_flags(t), trace_chain_flag_name);
	buf_addch(out, '}');
}

static void add_safe(struct buf *out, const char *s)
{
	safe_text(out, s, strlen(s), SAFE_LINE);
}

static void delay_text(char *d, size_t n, const struct trace_hop *h)
{
	if (!h->has_delay) {
		str_copy(d, "", n);
		return;
	}
	long v = h->delay_s;
	const char *sign = v < 0 ? "-" : "+";
	if (v < 0)
		v = -v;
	if (v < 120)
		snprintf(d, n, "%s%lds", sign, v);
	else if (v < 7200)
		snprintf(d, n, "%s%ldm", sign, v / 60);
	else if (v < 172800)
		snprintf(d, n, "%s%ldh", sign, v / 3600);
	else
		snprintf(d, n, "%s%ldd", sign, v / 86400);
}

void trace_text(const struct trace *t, struct buf *out)
{
	size_t n = trace_hop_count(t), b = trace_boundary_index(t);
	if (n == 0) {
		buf_adds(out, "Received chain: no Received headers\n");
		return;
	}
	buf_addf(out, "Received chain: %zu hop%s, newest first", n, n == 1 ? "" : "s");
	if (b < n)
		buf_addf(out, "; trust boundary at hop %zu", b + 1);
	if (trace_origin_ip(t)[0]) {
		buf_adds(out, "; origin ");
		add_safe(out, trace_origin_ip(t));
	}
	buf_addch(out, '\n');
	for (unsigned bit = 0; bit < 8; bit++)
		if ((trace_flags(t) & (1u << bit)) && trace_chain_flag_name(1u << bit))
			buf_addf(out, "  ! %s\n", trace_chain_flag_name(1u << bit));
	buf_adds(out, "  hop  delay  date (UTC)           received by <- from\n");
	for (size_t i = 0; i < n; i++) {
		const struct trace_hop *h = trace_hop(t, i);
		char d[32], when[32] = "-";
		delay_text(d, sizeof d, h);
		if (h->when) {
			struct tm tm;
			gmtime_r(&h->when, &tm);
			strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
		}
		buf_addf(out, "  %-3zu  %-5s  %-19s  ", i + 1, d, when);
		add_safe(out, h->by[0] ? h->by : "?");
		if (h->from[0]) {
			buf_adds(out, " <- ");
			add_safe(out, h->from);
		}
		if (h->with[0]) {
			buf_adds(out, " with ");
			add_safe(out, h->with);
		}
		buf_addch(out, '\n');
		bool any = false;
		for (unsigned bit = 0; bit < TRACE_F_COUNT; bit++) {
			if (!(h->flags & (1u << bit)))
				continue;
			buf_adds(out, any ? " " : "                                   ");
			buf_addf(out, "[%s]", trace_flag_name(1u << bit));
			any = true;
		}
		if (h->dnsbl[0]) {
			buf_adds(out, " listed by ");
			add_safe(out, h->dnsbl);
		}
		if (any)
			buf_addch(out, '\n');
	}
}
