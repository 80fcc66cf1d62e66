#ifndef WARY_T_H
#define WARY_T_H
/*
 * A tiny TAP-style harness: every check prints "ok N - what" or
 * "not ok N - what (file:line)"; tests/run counts the lines.  main() ends
 * with `return t_done();`, which fails when any check failed.
 */
#include <stdio.h>
#include <string.h>

static int t_n, t_failed;

static inline int t_check(int cond, const char *what, const char *file, int line)
{
	t_n++;
	if (cond) {
		printf("ok %d - %s\n", t_n, what);
	} else {
		t_failed++;
		printf("not ok %d - %s (%s:%d)\n", t_n, what, file, line);
	}
	fflush(stdout);
	return cond;
}

static inline int t_check_str(const char *got, const char *want, const char *what,
                              const char *file, int line)
{
	int same = (got == NULL && want == NULL) ||
	           (got != NULL && want != NULL && strcmp(got, want) == 0);
	if (!same)
		printf("#   got:  \"%s\"\n#   want: \"%s\"\n", got ? got : "(null)",
		       want ? want : "(null)");
	return t_check(same, what, file, line);
}

static inline void t_skip(const char *what, const char *why)
{
	t_n++;
	printf("ok %d - %s # skip %s\n", t_n, what, why);
	fflush(stdout);
}

#define T_OK(cond, what) t_check(!!(cond), (what), __FILE__, __LINE__)
#define T_STR(got, want, what) t_check_str((got), (want), (what), __FILE__, __LINE__)
#define T_INT(got, want, what) do { \
	long long t_g_ = (long long)(got), t_w_ = (long long)(want); \
	if (t_g_ != t_w_) printf("#   got %lld, want %lld\n", t_g_, t_w_); \
	t_check(t_g_ == t_w_, (what), __FILE__, __LINE__); } while (0)

static inline int t_done(void)
{
	printf("# %d checks, %d failed\n", t_n, t_failed);
	return t_failed ? 1 : 0;
}
#endif
