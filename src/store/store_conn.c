/* The connection calls of the store front (store.h): only IMAP has a
 * connection to lose; the other kinds are always there and only wait. */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "base/base.h"
#include "store/imap_int.h"
#include "store/store.h"

static bool is_imap(struct store *s)
{
	return strcmp(store_kind(s), "imap") == 0;
}

void store_connection_state(struct store *s, struct store_conn_state *out)
{
	memset(out, 0, sizeof(*out));
	if (is_imap(s)) {
		imap_connection_state(s, out);
		return;
	}
	out->state = STORE_CONN_LOCAL;
}

int store_reconnect(struct store *s, char *err, size_t errlen)
{
	if (is_imap(s))
		return imap_reconnect(s, err, errlen);
	return WARY_OK;
}

int store_wait(struct store *s, int wake_fd, int timeout_ms, char *err, size_t errlen)
{
	struct pollfd p = { wake_fd, POLLIN, 0 };
	int n;

	if (is_imap(s))
		return imap_wait(s, wake_fd, timeout_ms, err, errlen);
	do
		n = poll(&p, wake_fd >= 0 ? 1 : 0, timeout_ms < 0 ? -1 : timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_set(err, errlen, WARY_EIO, "poll: %s", strerror(errno));
	return n > 0 ? STORE_WAIT_WAKE : STORE_WAIT_TIMEOUT;
}
