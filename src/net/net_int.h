#ifndef WARY_NET_INT_H
#define WARY_NET_INT_H
/*
 * net internals: the libetpan stream driver (tls.c) and the protocol
 * connects (net.c) meet here.  Nothing outside src/net/ includes this.
 */
#include <libetpan/libetpan.h>

#include "net/net.h"

/* What a TLS handshake needs to know besides the socket. */
struct net_tls_params {
	const char *host;    /* name or IP literal: SNI and the identity to verify */
	const char *ca_file; /* extra CA file or NULL */
	const char *trusted; /* canonical SHA-256 fingerprint ("AB:CD:...") or NULL */
	int timeout_ms;
};

/* A plaintext stream over a connected non-blocking socket; it owns fd
 * (closed by the stream's close, or at once on failure). */
mailstream_low *net_low_plain_new(int fd, int timeout_ms, char *err, size_t errlen);
/* Handshake over fd and verify; on WARY_OK *out is a TLS stream owning fd.
 * On failure fd is closed and cert filled as far as the handshake got. */
int net_low_tls_new(int fd, const struct net_tls_params *p, mailstream_low **out,
                    struct net_cert *cert, char *err, size_t errlen);
/* Is this low stream one of ours (so net_low_* below may look inside)? */
bool net_low_is_ours(mailstream_low *low);
/* Hand the socket over to the caller: the stream keeps nothing to close. */
int net_low_take_fd(mailstream_low *low);
/* Bytes decrypted by OpenSSL and not yet read (0 for plaintext). */
size_t net_low_pending(mailstream_low *low);
/* The read end of the pipe mailstream_interrupt_idle() writes to. */
int net_low_idle_fd(mailstream_low *low);
/* Read and forget idle interrupts; true when there was at least one. */
bool net_low_idle_drain(mailstream_low *low);
/* Has mailstream_cancel() been called on it? */
bool net_low_cancelled(mailstream_low *low);
/* Why the last read or write failed ("" when none did). */
const char *net_low_error(mailstream_low *low);

#endif
