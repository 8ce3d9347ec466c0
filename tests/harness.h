/*
 * harness.h — ktls-helper's unit-test harness: header-only, TAP 13 output.
 *
 * Our own code, written for this project in the style of the Linux kselftest harness
 * (same shape of API: TEST, FIXTURE, TEST_F, ASSERT_* / EXPECT_*), sharing no code with it.
 *
 *   #include "harness.h"
 *
 *   TEST(name) { ... }                        plain test; TAP name "name"
 *   TEST_TIMEOUT(name, seconds) { ... }       same, with its own timeout (default 30 s)
 *   FIXTURE(f) { int fd; ... };               per-test state, reached through `self`
 *   FIXTURE_VARIANT(f) { int suite; ... };    optional per-variant constants, via `variant`
 *   FIXTURE_VARIANT_ADD(f, v) { .suite = 1 }; one variant (run in the order added)
 *   FIXTURE_SETUP(f) { self->fd = ...; }      optional; `self` is zero-filled beforehand
 *   FIXTURE_TEARDOWN(f) { ... }               optional; see "fixtures" below
 *   TEST_F(f, t) { self->fd ...; variant->suite ... }      TAP name "f.v.t" (or "f.t")
 *   TEST_F_TIMEOUT(f, t, seconds) { ... }
 *   FIXTURE_DATA(f), FIXTURE_VARIANT(f)       the types of *self and *variant, for helpers
 *   TEST_HARNESS_MAIN                         defines main()
 *
 *   ASSERT_EQ/NE/LT/LE/GT/GE(expected, seen)  integers or pointers; "LT" means expected < seen
 *   ASSERT_TRUE(x) ASSERT_FALSE(x)            integer or pointer
 *   ASSERT_NULL(p) ASSERT_NONNULL(p)
 *   ASSERT_STREQ(a, b) ASSERT_STRNE(a, b)     NULL-safe (NULL equals only NULL)
 *   ASSERT_MEMEQ(a, b, len)                   hex dump around the first difference
 *   EXPECT_...                                the same set
 *   TH_LOG(fmt, ...)                          a "# " diagnostic line (a statement of its own)
 *   SKIP(statement, fmt, ...)                 mark skipped with a reason, then `statement`
 *
 * Assertions evaluate every argument exactly once. Integers compare by mathematical value,
 * whatever their types (-1 < (size_t)0 holds; no sign-conversion surprises); each value is
 * printed in its own signedness, pointers in hex. Floating-point operands do not compile.
 * On failure they print file:line, the expression text and both values as TAP diagnostics.
 * ASSERT_* ends the test (teardown still runs); EXPECT_* marks it failed and goes on. Both
 * work in helper functions called from tests. An ASSERT that fails in another thread or in a
 * process the test forked marks the test failed and ends that whole process at once.
 * SKIP's `statement` is usually `return`; `break`/`continue` only leave SKIP's own do-while.
 *
 * Running: every test runs in its own forked child, in its own process group, stdin from
 * /dev/null. The parent enforces the timeout: on expiry it SIGKILLs the group and reports
 * "not ok N name # timeout after Ns". When a test ends, whatever is left of its process
 * group (helpers it spawned) is killed too. A test killed by a signal is "not ok" with the
 * signal named; one that calls exit() itself is "not ok". Tests run in the order they are
 * written, each fixture test once per variant in the order the variants were added.
 * In an AddressSanitizer build, a test that passed is also checked for leaks and fails if
 * LeakSanitizer finds any (ASAN_OPTIONS=detect_leaks=0 turns that off).
 *
 * Fixtures: setup runs first; if it fails or skips, the body does not run. Teardown runs
 * whenever setup was entered — after the body passes, fails an ASSERT or SKIPs, and even
 * after setup itself failed — so it must cope with a partly set-up, zero-filled `self`.
 * `variant` is never NULL: without variants it points at zero-filled storage.
 *
 * Output (stdout): "TAP version 13", the plan "1..N", then "ok N name" / "not ok N name" /
 * "ok N name # SKIP reason", diagnostics as "# ..." lines before each result line, and last
 * "# Totals: pass:P fail:F skip:S". Tests should report with TH_LOG, not printf, so as not
 * to break the TAP stream.
 *
 * Command line: -l lists test names, one a line; -t NAME (repeatable) runs only the tests
 * named NAME or under it (NAME followed by '.', so "-t f" runs fixture f, "-t f.v" one
 * variant); an unknown NAME is an error; -h prints usage.
 *
 * Exit status (as kselftest): 0 all selected tests passed (skips allowed), 1 any failed
 * (or bad usage), 4 every test skipped.
 *
 * Environment:
 *   KTLS_TEST_STRICT=1         skips count as failures: "not ok N name # SKIP reason
 *                              (strict mode: skips fail)". CI sets it so that no test can
 *                              skip its way to green. Any value but "" or "0" turns it on.
 *   KTLS_TEST_TIMEOUT_SCALE=F  multiply every timeout by F (> 0), for slow machines:
 *                              valgrind, emulation, sanitizers.
 *
 * Build: C17 with -D_GNU_SOURCE (or include this header first). Include it in any number
 * of translation units of one program, and put TEST_HARNESS_MAIN in exactly one.
 * Besides the API above, names the harness uses start with th_, TH_, __th_ or __TH_.
 */
#ifndef KTLS_TESTS_HARNESS_H
#define KTLS_TESTS_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Fixed sizes of the registry (one program's tests). Not to be overridden per translation
 * unit: they set the layout of the state every translation unit shares. */
#define TH_MAX_TESTS 1024    /* TEST/TEST_F definitions */
#define TH_MAX_VARIANTS 1024 /* FIXTURE_VARIANT_ADDs */
#define TH_MAX_RUNS 8192     /* tests once each TEST_F is repeated per variant */
#define TH_DEFAULT_TIMEOUT 30

#define __TH_UNUSED __attribute__((unused))

/* ------------------------------------------------------------------------------------------ */
/* Registry and state                                                                         */

struct __th_fixture {
	const char *name;
};

struct __th_test {
	const char *name;
	const struct __th_fixture *fixture; /* NULL for TEST() */
	void (*run)(const void *variant);   /* runs in the child */
	double timeout;                     /* seconds, before scaling */
	const void *tu;                     /* which translation unit */
	unsigned order;                     /* __COUNTER__ there */
};

struct __th_variant {
	const char *name;
	const struct __th_fixture *fixture;
	const void *data;
	const void *tu;
	unsigned order;
};

/* One test's result; lives in a MAP_SHARED page written by the child, read by the parent. */
struct __th_result {
	volatile int failed;
	volatile int skipped;
	volatile int finished; /* the child got back to the harness and is about to _exit */
	char skip_reason[512];
};

struct __th_run {
	unsigned test, variant; /* variant == TH_NO_VARIANT: none */
};
#define TH_NO_VARIANT 0xffffffffu

struct __th_state {
	const struct __th_test *tests[TH_MAX_TESTS];
	const struct __th_variant *variants[TH_MAX_VARIANTS];
	unsigned ntests, nvariants;
	int overflow;
	struct __th_result *res; /* the shared page, once main() has mapped it */
	pid_t harness_pid;       /* the parent */
	pid_t test_pid;          /* in a test child: its pid and the tid of its main thread */
	pid_t test_tid;
	jmp_buf jmp;          /* where a failed ASSERT goes */
	volatile sig_atomic_t child; /* parent: pid of the running test, else 0 */
	struct sigaction saved[3];   /* parent: dispositions to give back to children */
	sigset_t saved_mask;
	struct __th_run runs[TH_MAX_RUNS];
	unsigned char selected[TH_MAX_RUNS];
};

/* Defined by TEST_HARNESS_MAIN; shared by every translation unit of the program. */
extern struct __th_state __th_state;

/* Identifies this translation unit; orders tests defined in different ones. */
static const char __th_tu __TH_UNUSED = 0;

/* What `variant` points at for a fixture with no variants (variant structs up to 4 KiB). */
static const union {
	max_align_t align;
	unsigned char bytes[4096];
} __th_zero_variant __TH_UNUSED;

static __TH_UNUSED void __th_register_test(const struct __th_test *t)
{
	if (__th_state.ntests >= TH_MAX_TESTS) {
		__th_state.overflow = 1;
		return;
	}
	__th_state.tests[__th_state.ntests++] = t;
}

static __TH_UNUSED void __th_register_variant(const struct __th_variant *v)
{
	if (__th_state.nvariants >= TH_MAX_VARIANTS) {
		__th_state.overflow = 1;
		return;
	}
	__th_state.variants[__th_state.nvariants++] = v;
}

/* ------------------------------------------------------------------------------------------ */
/* Output. Everything goes straight to fd 1 with write(2), after flushing stdio, so that       */
/* diagnostics printed before a crash are not lost in a buffer.                               */

static __TH_UNUSED void __th_write(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

struct __th_out {
	char buf[4096];
	size_t len;
};

static __TH_UNUSED void __th_out_flush(struct __th_out *o)
{
	__th_write(o->buf, o->len);
	o->len = 0;
}

static __TH_UNUSED void __th_out_put(struct __th_out *o, const char *s, size_t n)
{
	while (n > 0) {
		size_t room = sizeof(o->buf) - o->len;
		size_t k = n < room ? n : room;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
		if (o->len == sizeof(o->buf))
			__th_out_flush(o);
	}
}

/* Appends text as diagnostics: each line of it becomes "# line". */
static __TH_UNUSED void __th_out_diag(struct __th_out *o, const char *text)
{
	do {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);
		__th_out_put(o, "# ", 2);
		__th_out_put(o, text, n);
		__th_out_put(o, "\n", 1);
		text += n + (nl ? 1 : 0);
	} while (*text);
}

__attribute__((format(printf, 3, 0))) static __TH_UNUSED void
__th_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);
	if (n < 0)
		snprintf(buf, size, "(unprintable message, format \"%s\")", fmt);
	else if ((size_t)n >= size && size > 4)
		memcpy(buf + size - 4, "...", 4);
}

/* Prints a formatted message as diagnostics; errno is preserved (and usable with %m). */
__attribute__((format(printf, 1, 2))) static __TH_UNUSED void __th_diag(const char *fmt, ...)
{
	int saved = errno;
	char msg[4096];
	struct __th_out o;
	va_list ap;

	fflush(stdout);
	errno = saved;
	va_start(ap, fmt);
	__th_vformat(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o.len = 0;
	__th_out_diag(&o, msg);
	__th_out_flush(&o);
	errno = saved;
}

/* A plain line on stdout (TAP lines, -l). */
__attribute__((format(printf, 1, 2))) static __TH_UNUSED void __th_line(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	size_t n;

	fflush(stdout);
	va_start(ap, fmt);
	__th_vformat(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	n = strlen(msg);
	msg[n++] = '\n';
	__th_write(msg, n);
}

#define TH_LOG(...) __th_diag(__VA_ARGS__)

/* ------------------------------------------------------------------------------------------ */
/* Failing, bailing out, skipping                                                             */

static __TH_UNUSED pid_t __th_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static __TH_UNUSED void __th_fail(void)
{
	if (__th_state.res)
		__th_state.res->failed = 1;
}

/* The end of a failed ASSERT: back to the harness, which runs teardown. */
__attribute__((noreturn)) static __TH_UNUSED void __th_bail(void)
{
	fflush(stdout);
	if (__th_state.test_pid == 0) /* not inside a test at all */
		exit(1);
	if (getpid() != __th_state.test_pid || __th_gettid() != __th_state.test_tid) {
		/* a thread or a forked helper of the test: the jump target is not ours */
		__th_diag("ASSERT failed outside the test's main thread (pid %d): ending it there",
			  (int)getpid());
		_exit(1);
	}
	longjmp(__th_state.jmp, 1);
}

__attribute__((format(printf, 1, 2))) static __TH_UNUSED void __th_skip(const char *fmt, ...)
{
	struct __th_result *r = __th_state.res;
	char reason[sizeof(r->skip_reason)];
	va_list ap;

	va_start(ap, fmt);
	__th_vformat(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	for (char *p = reason; *p; p++) /* the reason goes on the result line */
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	if (!r) {
		__th_diag("SKIP outside a test: %s", reason);
		return;
	}
	if (!r->skipped) {
		memcpy(r->skip_reason, reason, sizeof(reason));
		r->skipped = 1;
	}
}

#define SKIP(statement, ...)                                                                   \
	do {                                                                                   \
		__th_skip(__VA_ARGS__);                                                        \
		statement;                                                                     \
	} while (0)

/* ------------------------------------------------------------------------------------------ */
/* Comparisons                                                                                */

/* The type _Generic should look at: integers promoted (so bit-fields work), arrays decayed,
 * pointers as they are. Never evaluated. */
#define __TH_PROMOTE(x) (0 ? (x) : 0)

/* Kind of an operand: 1 signed integer, 0 unsigned integer, 2 pointer. Unevaluated. */
#define __th_kind(x)                                                                           \
	_Generic(__TH_PROMOTE(x), _Bool: 1, char: 1, signed char: 1, unsigned char: 1, short: 1, \
		 unsigned short: 1, int: 1, long: 1, long long: 1, unsigned int: 0,            \
		 unsigned long: 0, unsigned long long: 0, default: 2)

static inline __TH_UNUSED uintmax_t __th_bits_i(intmax_t v) { return (uintmax_t)v; }
static inline __TH_UNUSED uintmax_t __th_bits_u(uintmax_t v) { return v; }
static inline __TH_UNUSED uintmax_t __th_bits_p(const volatile void *p)
{
	return (uintmax_t)(uintptr_t)p;
}

/* The operand's value as bits (two's complement for negative ones). Evaluates x once. */
#define __th_bits(x)                                                                           \
	_Generic(__TH_PROMOTE(x), _Bool: __th_bits_i, char: __th_bits_i, signed char: __th_bits_i, \
		 unsigned char: __th_bits_i, short: __th_bits_i, unsigned short: __th_bits_i,  \
		 int: __th_bits_i, long: __th_bits_i, long long: __th_bits_i,                  \
		 unsigned int: __th_bits_u, unsigned long: __th_bits_u,                        \
		 unsigned long long: __th_bits_u, default: __th_bits_p)(x)

#define __TH_NOT_FLOAT(x)                                                                      \
	_Static_assert(_Generic((x), float: 0, double: 0, long double: 0, default: 1),         \
		       "ASSERT_*/EXPECT_* compare integers or pointers, not floating point")

/* Compares two operands by mathematical value: -1, 0 or 1. */
static inline __TH_UNUSED int __th_cmp(int ek, uintmax_t ev, int sk, uintmax_t sv)
{
	int eneg = ek == 1 && (intmax_t)ev < 0;
	int sneg = sk == 1 && (intmax_t)sv < 0;

	if (eneg != sneg)
		return eneg ? -1 : 1;
	if (eneg)
		return (intmax_t)ev < (intmax_t)sv ? -1 : (intmax_t)ev > (intmax_t)sv;
	return ev < sv ? -1 : ev > sv;
}

static __TH_UNUSED const char *__th_fmt_val(char *buf, size_t n, int kind, uintmax_t v)
{
	if (kind == 2) {
		if (v == 0)
			snprintf(buf, n, "NULL");
		else
			snprintf(buf, n, "0x%" PRIxMAX, v);
	} else if (kind == 1 && (intmax_t)v < 0) {
		snprintf(buf, n, "%" PRIdMAX, (intmax_t)v);
	} else if (v >= 10) {
		snprintf(buf, n, "%" PRIuMAX " (0x%" PRIxMAX ")", v, v);
	} else {
		snprintf(buf, n, "%" PRIuMAX, v);
	}
	return buf;
}

static __TH_UNUSED void __th_cmp_report(const char *what, const char *file, int line,
					const char *es, const char *ss, int ek, uintmax_t ev,
					int sk, uintmax_t sv)
{
	char a[64], b[64];
	__th_diag("%s:%d: %s(%s, %s) failed\n    expected: %s\n        seen: %s", file, line,
		  what, es, ss, __th_fmt_val(a, sizeof(a), ek, ev),
		  __th_fmt_val(b, sizeof(b), sk, sv));
}

#define __TH_CMP(what, bail, op, e, s, es, ss)                                                 \
	do {                                                                                   \
		__TH_NOT_FLOAT(e);                                                             \
		__TH_NOT_FLOAT(s);                                                             \
		const uintmax_t __th_ev = __th_bits(e);                                        \
		const uintmax_t __th_sv = __th_bits(s);                                        \
		if (!(__th_cmp(__th_kind(e), __th_ev, __th_kind(s), __th_sv) op 0)) {          \
			__th_cmp_report(what, __FILE__, __LINE__, es, ss, __th_kind(e),        \
					__th_ev, __th_kind(s), __th_sv);                       \
			__th_fail();                                                           \
			bail;                                                                  \
		}                                                                              \
	} while (0)

static __TH_UNUSED void __th_bool_report(const char *what, const char *file, int line,
					 const char *xs, int k, uintmax_t v)
{
	char a[64];
	__th_diag("%s:%d: %s(%s) failed\n       value: %s", file, line, what, xs,
		  __th_fmt_val(a, sizeof(a), k, v));
}

#define __TH_BOOL(what, bail, want, x, xs)                                                     \
	do {                                                                                   \
		__TH_NOT_FLOAT(x);                                                             \
		const uintmax_t __th_xv = __th_bits(x);                                        \
		if ((__th_xv != 0) != (want)) {                                                \
			__th_bool_report(what, __FILE__, __LINE__, xs, __th_kind(x), __th_xv); \
			__th_fail();                                                           \
			bail;                                                                  \
		}                                                                              \
	} while (0)

#define __TH_PTR(what, bail, want_null, p, ps)                                                 \
	do {                                                                                   \
		const volatile void *__th_p = (p);                                             \
		if ((__th_p == NULL) != (want_null)) {                                         \
			__th_bool_report(what, __FILE__, __LINE__, ps, 2,                      \
					 (uintmax_t)(uintptr_t)__th_p);                        \
			__th_fail();                                                           \
			bail;                                                                  \
		}                                                                              \
	} while (0)

/* Appends s as a C string literal (escaped, at most 256 bytes shown), or NULL. */
static __TH_UNUSED void __th_quote(char *buf, size_t size, const char *s)
{
	size_t n = 0, i, len;

	if (!s) {
		snprintf(buf, size, "NULL");
		return;
	}
	len = strlen(s);
	buf[n++] = '"';
	for (i = 0; i < len && i < 256 && n + 8 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			n += (size_t)snprintf(buf + n, size - n, "\\%c", c);
		else if (c == '\n')
			n += (size_t)snprintf(buf + n, size - n, "\\n");
		else if (c == '\r')
			n += (size_t)snprintf(buf + n, size - n, "\\r");
		else if (c == '\t')
			n += (size_t)snprintf(buf + n, size - n, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	if (i < len)
		snprintf(buf + n, size - n, "... (%zu bytes)", len);
}

static __TH_UNUSED int __th_streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static __TH_UNUSED void __th_str_report(const char *what, const char *file, int line,
					const char *as, const char *bs, const char *a,
					const char *b)
{
	char qa[1200], qb[1200];
	__th_quote(qa, sizeof(qa), a);
	__th_quote(qb, sizeof(qb), b);
	__th_diag("%s:%d: %s(%s, %s) failed\n    expected: %s\n        seen: %s", file, line,
		  what, as, bs, qa, qb);
}

#define __TH_STR(what, bail, want_eq, a, b, as, bs)                                            \
	do {                                                                                   \
		const char *__th_a = (a);                                                      \
		const char *__th_b = (b);                                                      \
		if (__th_streq(__th_a, __th_b) != (want_eq)) {                                 \
			__th_str_report(what, __FILE__, __LINE__, as, bs, __th_a, __th_b);     \
			__th_fail();                                                           \
			bail;                                                                  \
		}                                                                              \
	} while (0)

/* Hex dump of p[start, end), 16 bytes a line; under each line of `seen` (other != NULL)
 * a line of carets marks the bytes that differ from `other`. */
static __TH_UNUSED void __th_hexdump(struct __th_out *o, const unsigned char *p,
				     const unsigned char *other, size_t start, size_t end)
{
	for (size_t off = start; off < end; off += 16) {
		char line[128], marks[128];
		size_t n = 0, m = 0, i;
		int any = 0;

		n += (size_t)snprintf(line + n, sizeof(line) - n, "#     %08zx:", off);
		m += (size_t)snprintf(marks + m, sizeof(marks) - m, "#     %8s ", "");
		for (i = off; i < off + 16; i++) {
			if (i < end) {
				int d = other && p[i] != other[i];
				n += (size_t)snprintf(line + n, sizeof(line) - n, " %02x", p[i]);
				m += (size_t)snprintf(marks + m, sizeof(marks) - m, "%s",
						      d ? " ^^" : "   ");
				any |= d;
			} else {
				n += (size_t)snprintf(line + n, sizeof(line) - n, "   ");
			}
		}
		n += (size_t)snprintf(line + n, sizeof(line) - n, "  |");
		for (i = off; i < off + 16 && i < end; i++)
			line[n++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '.';
		line[n++] = '|';
		line[n++] = '\n';
		__th_out_put(o, line, n);
		if (any) {
			while (m > 0 && marks[m - 1] == ' ')
				m--;
			marks[m++] = '\n';
			__th_out_put(o, marks, m);
		}
	}
}

/* Returns 1 when equal; otherwise reports and returns 0. */
static __TH_UNUSED int __th_memeq(const char *what, const char *file, int line, const char *as,
				  const char *bs, const char *lens, const void *a, const void *b,
				  size_t len)
{
	const unsigned char *pa = (const unsigned char *)a, *pb = (const unsigned char *)b;
	size_t first, ndiff = 0, start, end, i;
	struct __th_out o;
	char head[1024];
	int saved = errno;

	if (len == 0 || a == b)
		return 1;
	if (!a || !b) {
		__th_diag("%s:%d: %s(%s, %s, %s) failed\n    %s is NULL (length %zu)", file, line,
			  what, as, bs, lens, a ? bs : as, len);
		return 0;
	}
	if (memcmp(a, b, len) == 0)
		return 1;
	for (first = 0; pa[first] == pb[first]; first++)
		;
	for (i = first; i < len; i++)
		ndiff += pa[i] != pb[i];
	/* a window of whole lines: the one with the first difference, 32 bytes either side */
	start = first & ~(size_t)15;
	start = start >= 32 ? start - 32 : 0;
	end = (first & ~(size_t)15) + 16 + 32;
	if (end > len)
		end = len;

	fflush(stdout);
	o.len = 0;
	snprintf(head, sizeof(head),
		 "%s:%d: %s(%s, %s, %s) failed\n"
		 "    buffers differ at offset %zu (0x%zx): %zu of %zu bytes differ",
		 file, line, what, as, bs, lens, first, first, ndiff, len);
	__th_out_diag(&o, head);
	if (start > 0 || end < len) {
		snprintf(head, sizeof(head), "    showing bytes 0x%zx..0x%zx of %zu", start,
			 end - 1, len);
		__th_out_diag(&o, head);
	}
	snprintf(head, sizeof(head), "    expected (%s):", as);
	__th_out_diag(&o, head);
	__th_hexdump(&o, pa, NULL, start, end);
	snprintf(head, sizeof(head), "    seen (%s):", bs);
	__th_out_diag(&o, head);
	__th_hexdump(&o, pb, pa, start, end);
	__th_out_flush(&o);
	errno = saved;
	return 0;
}

#define __TH_MEM(what, bail, a, b, len, as, bs, lens)                                          \
	do {                                                                                   \
		const void *__th_ma = (a);                                                     \
		const void *__th_mb = (b);                                                     \
		const size_t __th_mn = (len);                                                  \
		if (!__th_memeq(what, __FILE__, __LINE__, as, bs, lens, __th_ma, __th_mb,      \
				__th_mn)) {                                                    \
			__th_fail();                                                           \
			bail;                                                                  \
		}                                                                              \
	} while (0)

#define __TH_GO_ON ((void)0)

#define ASSERT_EQ(expected, seen)                                                              \
	__TH_CMP("ASSERT_EQ", __th_bail(), ==, expected, seen, #expected, #seen)
#define ASSERT_NE(expected, seen)                                                              \
	__TH_CMP("ASSERT_NE", __th_bail(), !=, expected, seen, #expected, #seen)
#define ASSERT_LT(expected, seen)                                                              \
	__TH_CMP("ASSERT_LT", __th_bail(), <, expected, seen, #expected, #seen)
#define ASSERT_LE(expected, seen)                                                              \
	__TH_CMP("ASSERT_LE", __th_bail(), <=, expected, seen, #expected, #seen)
#define ASSERT_GT(expected, seen)                                                              \
	__TH_CMP("ASSERT_GT", __th_bail(), >, expected, seen, #expected, #seen)
#define ASSERT_GE(expected, seen)                                                              \
	__TH_CMP("ASSERT_GE", __th_bail(), >=, expected, seen, #expected, #seen)
#define ASSERT_TRUE(x)                                                                         \
	__TH_BOOL("ASSERT_TRUE", __th_bail(), 1, x, #x)
#define ASSERT_FALSE(x)                                                                        \
	__TH_BOOL("ASSERT_FALSE", __th_bail(), 0, x, #x)
#define ASSERT_NULL(p)                                                                         \
	__TH_PTR("ASSERT_NULL", __th_bail(), 1, p, #p)
#define ASSERT_NONNULL(p)                                                                      \
	__TH_PTR("ASSERT_NONNULL", __th_bail(), 0, p, #p)
#define ASSERT_STREQ(a, b)                                                                     \
	__TH_STR("ASSERT_STREQ", __th_bail(), 1, a, b, #a, #b)
#define ASSERT_STRNE(a, b)                                                                     \
	__TH_STR("ASSERT_STRNE", __th_bail(), 0, a, b, #a, #b)
#define ASSERT_MEMEQ(a, b, len)                                                                \
	__TH_MEM("ASSERT_MEMEQ", __th_bail(), a, b, len, #a, #b, #len)

#define EXPECT_EQ(expected, seen)                                                              \
	__TH_CMP("EXPECT_EQ", __TH_GO_ON, ==, expected, seen, #expected, #seen)
#define EXPECT_NE(expected, seen)                                                              \
	__TH_CMP("EXPECT_NE", __TH_GO_ON, !=, expected, seen, #expected, #seen)
#define EXPECT_LT(expected, seen)                                                              \
	__TH_CMP("EXPECT_LT", __TH_GO_ON, <, expected, seen, #expected, #seen)
#define EXPECT_LE(expected, seen)                                                              \
	__TH_CMP("EXPECT_LE", __TH_GO_ON, <=, expected, seen, #expected, #seen)
#define EXPECT_GT(expected, seen)                                                              \
	__TH_CMP("EXPECT_GT", __TH_GO_ON, >, expected, seen, #expected, #seen)
#define EXPECT_GE(expected, seen)                                                              \
	__TH_CMP("EXPECT_GE", __TH_GO_ON, >=, expected, seen, #expected, #seen)
#define EXPECT_TRUE(x)                                                                         \
	__TH_BOOL("EXPECT_TRUE", __TH_GO_ON, 1, x, #x)
#define EXPECT_FALSE(x)                                                                        \
	__TH_BOOL("EXPECT_FALSE", __TH_GO_ON, 0, x, #x)
#define EXPECT_NULL(p)                                                                         \
	__TH_PTR("EXPECT_NULL", __TH_GO_ON, 1, p, #p)
#define EXPECT_NONNULL(p)                                                                      \
	__TH_PTR("EXPECT_NONNULL", __TH_GO_ON, 0, p, #p)
#define EXPECT_STREQ(a, b)                                                                     \
	__TH_STR("EXPECT_STREQ", __TH_GO_ON, 1, a, b, #a, #b)
#define EXPECT_STRNE(a, b)                                                                     \
	__TH_STR("EXPECT_STRNE", __TH_GO_ON, 0, a, b, #a, #b)
#define EXPECT_MEMEQ(a, b, len)                                                                \
	__TH_MEM("EXPECT_MEMEQ", __TH_GO_ON, a, b, len, #a, #b, #len)

/* ------------------------------------------------------------------------------------------ */
/* Defining tests                                                                             */

#define __TH_CONSTRUCTOR(fn) static void __attribute__((constructor)) fn(void)

/* Runs a plain test's body; a failed ASSERT lands back here. */
static __TH_UNUSED void __th_run_plain(void (*body)(void))
{
	if (setjmp(__th_state.jmp) == 0)
		body();
}

typedef void (*__th_fx_fn)(void *self, const void *variant);

static __TH_UNUSED void __th_run_fixture(void *self, const void *variant, __th_fx_fn setup,
					 __th_fx_fn body, __th_fx_fn teardown)
{
	if (setjmp(__th_state.jmp) == 0) {
		setup(self, variant);
		if (!__th_state.res->skipped && !__th_state.res->failed)
			body(self, variant);
	}
	if (setjmp(__th_state.jmp) == 0)
		teardown(self, variant);
}

#define __TH_TEST(name, secs)                                                                  \
	static void __th_t_body_##name(void);                                                  \
	static void __th_t_run_##name(const void *__th_v)                                      \
	{                                                                                      \
		(void)__th_v;                                                                  \
		__th_run_plain(__th_t_body_##name);                                            \
	}                                                                                      \
	static const struct __th_test __th_t_obj_##name = {                                    \
		#name, NULL, __th_t_run_##name, (secs), &__th_tu, __COUNTER__};                \
	__TH_CONSTRUCTOR(__th_t_reg_##name) { __th_register_test(&__th_t_obj_##name); }        \
	static void __th_t_body_##name(void)

#define TEST(name) __TH_TEST(name, TH_DEFAULT_TIMEOUT)
#define TEST_TIMEOUT(name, seconds) __TH_TEST(name, seconds)

#define FIXTURE_DATA(f) struct __th_fx_##f
#define FIXTURE_VARIANT(f) struct __th_var_##f

#define FIXTURE(f)                                                                             \
	FIXTURE_DATA(f);                                                                       \
	FIXTURE_VARIANT(f);                                                                    \
	static const struct __th_fixture __th_fixture_##f __TH_UNUSED = {#f};                  \
	static void (*__th_setup_p_##f)(FIXTURE_DATA(f) *, const FIXTURE_VARIANT(f) *);        \
	static void (*__th_teardown_p_##f)(FIXTURE_DATA(f) *, const FIXTURE_VARIANT(f) *);     \
	static __TH_UNUSED void __th_setup_shim_##f(void *s, const void *v)                    \
	{                                                                                      \
		if (__th_setup_p_##f)                                                          \
			__th_setup_p_##f((FIXTURE_DATA(f) *)s, (const FIXTURE_VARIANT(f) *)v); \
	}                                                                                      \
	static __TH_UNUSED void __th_teardown_shim_##f(void *s, const void *v)                 \
	{                                                                                      \
		if (__th_teardown_p_##f)                                                       \
			__th_teardown_p_##f((FIXTURE_DATA(f) *)s,                              \
					    (const FIXTURE_VARIANT(f) *)v);                    \
	}                                                                                      \
	FIXTURE_DATA(f)

/* Defines the function, and completes the tentative definition of the pointer to it. */
#define __TH_FIXTURE_FN(f, kind)                                                               \
	static void __th_##kind##_fn_##f(FIXTURE_DATA(f) * self __TH_UNUSED,                   \
					 const FIXTURE_VARIANT(f) * variant __TH_UNUSED);      \
	static void (*__th_##kind##_p_##f)(FIXTURE_DATA(f) *, const FIXTURE_VARIANT(f) *) =    \
		__th_##kind##_fn_##f;                                                          \
	static void __th_##kind##_fn_##f(FIXTURE_DATA(f) * self __TH_UNUSED,                   \
					 const FIXTURE_VARIANT(f) * variant __TH_UNUSED)

#define FIXTURE_SETUP(f) __TH_FIXTURE_FN(f, setup)
#define FIXTURE_TEARDOWN(f) __TH_FIXTURE_FN(f, teardown)

#define FIXTURE_VARIANT_ADD(f, v)                                                              \
	static FIXTURE_VARIANT(f) __th_vdata_##f##__##v;                                       \
	static const struct __th_variant __th_vobj_##f##__##v = {                              \
		#v, &__th_fixture_##f, &__th_vdata_##f##__##v, &__th_tu, __COUNTER__};         \
	__TH_CONSTRUCTOR(__th_vreg_##f##__##v) { __th_register_variant(&__th_vobj_##f##__##v); } \
	static FIXTURE_VARIANT(f) __th_vdata_##f##__##v =

#define __TH_TEST_F(f, t, secs)                                                                \
	static void __th_tf_body_##f##__##t(FIXTURE_DATA(f) *, const FIXTURE_VARIANT(f) *);    \
	static void __th_tf_shim_##f##__##t(void *s, const void *v)                            \
	{                                                                                      \
		__th_tf_body_##f##__##t((FIXTURE_DATA(f) *)s, (const FIXTURE_VARIANT(f) *)v);  \
	}                                                                                      \
	static void __th_tf_run_##f##__##t(const void *v)                                      \
	{                                                                                      \
		FIXTURE_DATA(f) __th_self;                                                     \
		memset(&__th_self, 0, sizeof(__th_self));                                      \
		__th_run_fixture(&__th_self, v, __th_setup_shim_##f, __th_tf_shim_##f##__##t,  \
				 __th_teardown_shim_##f);                                      \
	}                                                                                      \
	static const struct __th_test __th_tf_obj_##f##__##t = {                               \
		#t, &__th_fixture_##f, __th_tf_run_##f##__##t, (secs), &__th_tu, __COUNTER__}; \
	__TH_CONSTRUCTOR(__th_tf_reg_##f##__##t) { __th_register_test(&__th_tf_obj_##f##__##t); } \
	static void __th_tf_body_##f##__##t(FIXTURE_DATA(f) * self __TH_UNUSED,                \
					    const FIXTURE_VARIANT(f) * variant __TH_UNUSED)

#define TEST_F(f, t) __TH_TEST_F(f, t, TH_DEFAULT_TIMEOUT)
#define TEST_F_TIMEOUT(f, t, seconds) __TH_TEST_F(f, t, seconds)

/* ------------------------------------------------------------------------------------------ */
/* The runner                                                                                 */

#if defined(__SANITIZE_ADDRESS__)
#define __TH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define __TH_ASAN 1
#endif
#endif
#ifdef __TH_ASAN
int __lsan_do_recoverable_leak_check(void);
#endif

static const int __th_fwd_signals[3] __TH_UNUSED = {SIGINT, SIGTERM, SIGHUP};

/* Parent: a fatal signal takes the running test's process group down with the harness. */
static __TH_UNUSED void __th_on_signal(int sig)
{
	pid_t c = (pid_t)__th_state.child;
	if (c > 0) {
		kill(-c, SIGKILL);
		kill(c, SIGKILL);
	}
	signal(sig, SIG_DFL);
	raise(sig); /* delivered on return, the signal being blocked in its handler */
}

static __TH_UNUSED void __th_fullname(char *buf, size_t n, const struct __th_run *r)
{
	const struct __th_test *t = __th_state.tests[r->test];
	if (!t->fixture)
		snprintf(buf, n, "%s", t->name);
	else if (r->variant == TH_NO_VARIANT)
		snprintf(buf, n, "%s.%s", t->fixture->name, t->name);
	else
		snprintf(buf, n, "%s.%s.%s", t->fixture->name,
			 __th_state.variants[r->variant]->name, t->name);
}

/* Definition order: by translation unit (first seen), then __COUNTER__ within it.
 * An insertion sort, stable; arr holds pointers to structs with members tu and order. */
#define __TH_SORT(arr, n)                                                                      \
	do {                                                                                   \
		const void *__th_tus[64];                                                      \
		unsigned __th_ntus = 0;                                                        \
		for (unsigned __th_i = 0; __th_i < (n); __th_i++)                              \
			__th_tu_rank(__th_tus, &__th_ntus, (arr)[__th_i]->tu);                 \
		for (unsigned __th_i = 1; __th_i < (n); __th_i++) {                            \
			__typeof__((arr)[0]) __th_it = (arr)[__th_i];                          \
			unsigned __th_j = __th_i;                                              \
			while (__th_j > 0 &&                                                   \
			       __th_before(__th_tus, &__th_ntus, __th_it->tu, __th_it->order,  \
					   (arr)[__th_j - 1]->tu, (arr)[__th_j - 1]->order)) { \
				(arr)[__th_j] = (arr)[__th_j - 1];                             \
				__th_j--;                                                      \
			}                                                                      \
			(arr)[__th_j] = __th_it;                                               \
		}                                                                              \
	} while (0)

static __TH_UNUSED unsigned __th_tu_rank(const void **tus, unsigned *ntus, const void *tu)
{
	unsigned j;
	for (j = 0; j < *ntus && tus[j] != tu; j++)
		;
	if (j == *ntus && j < 64)
		tus[(*ntus)++] = tu;
	return j;
}

/* Does (tu a, order a) come before (tu b, order b)? Translation units rank by first sight. */
static __TH_UNUSED int __th_before(const void **tus, unsigned *ntus, const void *atu,
				   unsigned aord, const void *btu, unsigned bord)
{
	unsigned ra = __th_tu_rank(tus, ntus, atu), rb = __th_tu_rank(tus, ntus, btu);
	return ra < rb || (ra == rb && aord < bord);
}

/* Builds the list of runs (each TEST_F once per variant). Returns -1 if there are too many. */
static __TH_UNUSED int __th_expand(unsigned *nruns)
{
	unsigned n = 0;
	for (unsigned i = 0; i < __th_state.ntests; i++) {
		const struct __th_test *t = __th_state.tests[i];
		int any = 0;
		for (unsigned v = 0; t->fixture && v < __th_state.nvariants; v++) {
			if (__th_state.variants[v]->fixture != t->fixture)
				continue;
			if (n >= TH_MAX_RUNS)
				return -1;
			__th_state.runs[n].test = i;
			__th_state.runs[n++].variant = v;
			any = 1;
		}
		if (!any) {
			if (n >= TH_MAX_RUNS)
				return -1;
			__th_state.runs[n].test = i;
			__th_state.runs[n++].variant = TH_NO_VARIANT;
		}
	}
	*nruns = n;
	return 0;
}

static __TH_UNUSED void __th_usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [-l] [-t NAME]... [-h]\n"
		"  -l       list the test names, one a line, and exit\n"
		"  -t NAME  run only test NAME, or the tests under it (NAME.*); repeatable\n"
		"  -h       this help\n"
		"Output is TAP 13. Exit status: 0 passed (skips allowed), 1 a test failed,\n"
		"4 every test skipped.\n"
		"Environment: KTLS_TEST_STRICT=1 counts skips as failures;\n"
		"KTLS_TEST_TIMEOUT_SCALE=F multiplies every timeout by F.\n",
		prog);
}

/* Child side of one test; never returns. */
__attribute__((noreturn)) static __TH_UNUSED void __th_child(const struct __th_run *r)
{
	const struct __th_test *t = __th_state.tests[r->test];
	struct __th_result *res = __th_state.res;
	const void *variant = NULL;
	int fd;

	for (int i = 0; i < 3; i++)
		sigaction(__th_fwd_signals[i], &__th_state.saved[i], NULL);
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_SETMASK, &__th_state.saved_mask, NULL);
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* should the harness die (even by SIGKILL) */
	if (getppid() != __th_state.harness_pid)
		_exit(1);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO); /* dup2 clears close-on-exec on the copy */
		if (fd != STDIN_FILENO)
			close(fd);
	}
	__th_state.test_pid = getpid();
	__th_state.test_tid = __th_gettid();

	if (t->fixture)
		variant = r->variant == TH_NO_VARIANT ? (const void *)&__th_zero_variant
						      : __th_state.variants[r->variant]->data;
	t->run(variant);

#ifdef __TH_ASAN
	if (!res->failed && !res->skipped && __lsan_do_recoverable_leak_check()) {
		__th_diag("LeakSanitizer found leaks (report on stderr)");
		res->failed = 1;
	}
#endif
	fflush(stdout);
	fflush(stderr);
	res->finished = 1;
	_exit(res->failed ? 1 : res->skipped ? 4 : 0);
}

/* Waits for the child, killing its group at the deadline. Returns 1 on timeout. */
static __TH_UNUSED int __th_wait(pid_t pid, double timeout, int *status)
{
	struct timespec t0, now;
	sigset_t chld;
	int timed_out = 0;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		siginfo_t si;
		double left;
		struct timespec ts;

		memset(&si, 0, sizeof(si));
		/* WNOWAIT: leave it a zombie, so its pid (= its group id) cannot be reused
		 * before the group is killed below */
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0) {
			if (si.si_pid == pid)
				break;
		} else if (errno != EINTR) {
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = timeout - ((double)(now.tv_sec - t0.tv_sec) +
				  (double)(now.tv_nsec - t0.tv_nsec) / 1e9);
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		if (left > 1)
			left = 1; /* belt and braces: look again at least every second */
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		if (ts.tv_nsec > 999999999)
			ts.tv_nsec = 999999999;
		sigtimedwait(&chld, NULL, &ts);
	}
	kill(-pid, SIGKILL); /* the test's helpers; on timeout the test itself */
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return timed_out;
}

static __TH_UNUSED int __th_main(int argc, char **argv)
{
	static const char *filters[256];
	static unsigned char matched[256];
	unsigned nfilters = 0, nruns = 0, nsel = 0, num = 0;
	unsigned pass = 0, fail = 0, skip = 0;
	int list = 0, strict = 0, opt;
	double scale = 1.0;
	const char *env;
	struct sigaction sa;
	sigset_t block;
	char name[512];

	while ((opt = getopt(argc, argv, "lt:h")) != -1) {
		switch (opt) {
		case 'l':
			list = 1;
			break;
		case 't':
			if (nfilters == sizeof(filters) / sizeof(filters[0])) {
				fprintf(stderr, "%s: too many -t options\n", argv[0]);
				return 1;
			}
			filters[nfilters++] = optarg;
			break;
		case 'h':
			__th_usage(stdout, argv[0]);
			return 0;
		default:
			__th_usage(stderr, argv[0]);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[optind]);
		__th_usage(stderr, argv[0]);
		return 1;
	}

	env = getenv("KTLS_TEST_STRICT");
	strict = env && *env && strcmp(env, "0") != 0;
	env = getenv("KTLS_TEST_TIMEOUT_SCALE");
	if (env && *env) {
		char *end;
		scale = strtod(env, &end);
		if (*end || !(scale > 0) || scale > 1e6) {
			fprintf(stderr,
				"%s: bad KTLS_TEST_TIMEOUT_SCALE '%s' (want a number > 0)\n",
				argv[0], env);
			return 1;
		}
	}

	if (__th_state.overflow || __th_expand(&nruns) < 0) {
		__th_line("Bail out! too many tests (at most %d tests, %d variants, %d runs)",
			  TH_MAX_TESTS, TH_MAX_VARIANTS, TH_MAX_RUNS);
		fprintf(stderr, "%s: too many tests; raise TH_MAX_* in tests/harness.h\n", argv[0]);
		return 1;
	}
	/* sort first, then expand: __th_expand above only validated the count */
	__TH_SORT(__th_state.tests, __th_state.ntests);
	__TH_SORT(__th_state.variants, __th_state.nvariants);
	__th_expand(&nruns);

	for (unsigned i = 0; i < nruns; i++) {
		__th_fullname(name, sizeof(name), &__th_state.runs[i]);
		__th_state.selected[i] = nfilters == 0;
		for (unsigned f = 0; f < nfilters; f++) {
			size_t len = strlen(filters[f]);
			if (strncmp(name, filters[f], len) == 0 &&
			    (name[len] == '\0' || name[len] == '.')) {
				__th_state.selected[i] = 1;
				matched[f] = 1;
			}
		}
		nsel += __th_state.selected[i];
	}
	for (unsigned f = 0; f < nfilters; f++) {
		if (!matched[f]) {
			fprintf(stderr, "%s: no test named '%s' (try -l)\n", argv[0], filters[f]);
			return 1;
		}
	}

	if (list) {
		for (unsigned i = 0; i < nruns; i++) {
			if (!__th_state.selected[i])
				continue;
			__th_fullname(name, sizeof(name), &__th_state.runs[i]);
			__th_line("%s", name);
		}
		return 0;
	}

	__th_state.harness_pid = getpid();
	__th_state.res = mmap(NULL, sizeof(struct __th_result), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (__th_state.res == MAP_FAILED) {
		__th_state.res = NULL;
		__th_line("Bail out! mmap: %s", strerror(errno));
		return 1;
	}

	/* SIGCHLD stays blocked in the parent and is waited for with sigtimedwait; it must not
	 * be ignored, or children would be reaped behind our back. */
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &__th_state.saved_mask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = __th_on_signal;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++) {
		sigaction(__th_fwd_signals[i], NULL, &__th_state.saved[i]);
		if (__th_state.saved[i].sa_handler != SIG_IGN)
			sigaction(__th_fwd_signals[i], &sa, NULL);
	}

	__th_line("TAP version 13");
	__th_line("1..%u", nsel);
	if (strict)
		__th_diag("KTLS_TEST_STRICT: skipped tests count as failures");
	if (scale != 1.0)
		__th_diag("KTLS_TEST_TIMEOUT_SCALE: timeouts multiplied by %g", scale);

	for (unsigned i = 0; i < nruns; i++) {
		const struct __th_run *r = &__th_state.runs[i];
		const struct __th_test *t = __th_state.tests[r->test];
		struct __th_result *res = __th_state.res;
		double timeout = (t->timeout > 0 ? t->timeout : TH_DEFAULT_TIMEOUT) * scale;
		int status = 0, timed_out;
		pid_t pid;

		if (!__th_state.selected[i])
			continue;
		num++;
		__th_fullname(name, sizeof(name), r);
		memset(res, 0, sizeof(*res));
		fflush(stdout);
		fflush(stderr);
		pid = fork();
		if (pid < 0) {
			__th_diag("%s: fork: %s", name, strerror(errno));
			__th_line("not ok %u %s", num, name);
			fail++;
			continue;
		}
		if (pid == 0)
			__th_child(r);
		setpgid(pid, pid); /* also in the child: whichever runs first */
		__th_state.child = pid;
		timed_out = __th_wait(pid, timeout, &status);
		__th_state.child = 0;

		if (timed_out) {
			__th_line("not ok %u %s # timeout after %gs", num, name, timeout);
			fail++;
		} else if (WIFSIGNALED(status)) {
			int sig = WTERMSIG(status);
			__th_diag("%s: killed by signal %d (%s)%s", name, sig, strsignal(sig),
				  WCOREDUMP(status) ? ", core dumped" : "");
			__th_line("not ok %u %s", num, name);
			fail++;
		} else if (!res->finished) {
			__th_diag("%s: exited with status %d before the test finished (exit() in "
				  "the test, an ASSERT in one of its threads, or a sanitizer)",
				  name, WEXITSTATUS(status));
			__th_line("not ok %u %s", num, name);
			fail++;
		} else if (res->failed) {
			__th_line("not ok %u %s", num, name);
			fail++;
		} else if (res->skipped) {
			char *reason = res->skip_reason;
			reason[sizeof(res->skip_reason) - 1] = '\0';
			if (strict) {
				__th_line("not ok %u %s # SKIP %s%s(strict mode: skips fail)", num,
					  name, reason, *reason ? " " : "");
				fail++;
			} else {
				__th_line("ok %u %s # SKIP%s%s", num, name, *reason ? " " : "",
					  reason);
				skip++;
			}
		} else if (WEXITSTATUS(status) != 0) {
			__th_diag("%s: passed but exited with status %d", name,
				  WEXITSTATUS(status));
			__th_line("not ok %u %s", num, name);
			fail++;
		} else {
			__th_line("ok %u %s", num, name);
			pass++;
		}
	}

	__th_line("# Totals: pass:%u fail:%u skip:%u", pass, fail, skip);
	munmap(__th_state.res, sizeof(struct __th_result));
	__th_state.res = NULL;
	if (fail)
		return 1;
	if (pass == 0)
		return 4;
	return 0;
}

#define TEST_HARNESS_MAIN                                                                      \
	struct __th_state __th_state;                                                          \
	int main(int argc, char **argv)                                                        \
	{                                                                                      \
		return __th_main(argc, argv);                                                  \
	}

#endif /* KTLS_TESTS_HARNESS_H */
