# banned.h must turn unsafe libc calls into compile errors.
. "$(dirname "$0")/../lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for fn in 'strcpy(d, s)' 'strcat(d, s)' 'sprintf(d, "%s", s)' 'gets(d)' 'strtok(d, s)' 'strncpy(d, s, 1)'; do
	cat >"$tmp/t.c" <<C
#include <stdio.h>
#include <string.h>
#include "base/base.h"
void f(char *d, const char *s);
void f(char *d, const char *s) { (void)$fn; }
C
	if ${CC:-cc} -std=c11 -D_GNU_SOURCE -I"$TOP/src" -c "$tmp/t.c" -o "$tmp/t.o" 2>"$tmp/err"; then
		not_ok "banned: $fn compiles but must not"
	else
		check "banned: $fn is a compile error naming the ban" grep -q "banned_function" "$tmp/err"
	fi
done
cat >"$tmp/ok.c" <<C
#include <stdio.h>
#include "base/base.h"
void f(char *d, size_t n, const char *s);
void f(char *d, size_t n, const char *s) { snprintf(d, n, "%s", s); str_copy(d, s, n); }
C
check "safe replacements still compile" ${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Werror -I"$TOP/src" -c "$tmp/ok.c" -o "$tmp/ok.o"
t_done
