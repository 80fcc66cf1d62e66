#ifndef WARY_SEND_INT_H
#define WARY_SEND_INT_H
/* send internals shared by its files; nothing outside src/send/ includes this. */
#include "send/send.h"

#define SEND_MAX_ATTACH (64u * 1024 * 1024)

void send_random_hex(char *out, size_t nbytes);
char *send_detect_type(const char *data, size_t len);
void send_base64(struct buf *out, const char *data, size_t len);
void send_param(struct buf *out, const char *name, const char *value);
void send_format_date(time_t when, char *out, size_t outlen);

#endif
