/*
 * harness_selftest.c — tests of tests/harness.h, written with the harness itself: runs the
 * sample program (tests/harness_sample.c; path from $HARNESS_SAMPLE, default
 * build/tests/harness_sample) and checks its TAP output, its exit status and its options.
 *
 * The sample's one-second timeout test runs with KTLS_TEST_TIMEOUT_SCALE=0.25 (times this
 * program's own scale) so that the many full runs here stay quick.
 */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_TESTS 11

static const char *const sample_names[SAMPLE_TESTS] = {
	"passes",
	"assert_eq_fails",
	"expect_fails_and_goes_on",
	"memeq_fails",
	"crashes",
	"sleeps_forever",
	"skips",
	"fx.one.only_one_passes",
	"fx.two.only_one_passes",
	"zeroed.variant_is_zeroed",
	"last_passes",
};

struct run {
	char out[1 << 16]; /* the sample's stdout */
	char err[1 << 14]; /* the start of its stderr */
	int status;        /* as from waitpid */
	double secs;
};

static const char *sample_path(void)
{
	const char *p = getenv("HARNESS_SAMPLE");
	return p && *p ? p : "build/tests/harness_sample";
}

/* Default scale for the sample: 0.25, times ours. */
static void sample_scale(char *buf, size_t n)
{
	const char *env = getenv("KTLS_TEST_TIMEOUT_SCALE");
	double scale = env && *env ? strtod(env, NULL) : 1.0;
	snprintf(buf, n, "%g", 0.25 * (scale > 0 ? scale : 1.0));
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Runs the sample with the given arguments (a NULL-terminated list), stdout through a pipe.
 * strict and scale set KTLS_TEST_STRICT and KTLS_TEST_TIMEOUT_SCALE for it; NULL unsets them
 * (scale: NULL means the default, see sample_scale).
 */
__attribute__((sentinel)) static void run_sample(struct run *r, const char *strict,
						 const char *scale, ...)
{
	const char *argv[16];
	char defscale[32];
	int argc = 0, pfd[2], efd;
	size_t len = 0;
	va_list ap;
	pid_t pid;
	double t0;

	argv[argc++] = sample_path();
	va_start(ap, scale);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 15;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	if (!scale) {
		sample_scale(defscale, sizeof(defscale));
		scale = defscale;
	}

	memset(r->out, 0, sizeof(r->out));
	memset(r->err, 0, sizeof(r->err));
	ASSERT_EQ(0, pipe2(pfd, O_CLOEXEC));
	efd = memfd_create("harness_sample.stderr", MFD_CLOEXEC);
	if (efd < 0)
		efd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, efd);

	t0 = now();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		dup2(efd, STDERR_FILENO);
		if (strict)
			setenv("KTLS_TEST_STRICT", strict, 1);
		else
			unsetenv("KTLS_TEST_STRICT");
		setenv("KTLS_TEST_TIMEOUT_SCALE", scale, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) { /* to EOF, which comes when the sample and every helper it left are gone */
		char chunk[4096];
		ssize_t n = read(pfd[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len + (size_t)n < sizeof(r->out)) {
			memcpy(r->out + len, chunk, (size_t)n);
			len += (size_t)n;
		}
	}
	close(pfd[0]);
	while (waitpid(pid, &r->status, 0) < 0)
		ASSERT_EQ(EINTR, errno);
	r->secs = now() - t0;
	if (lseek(efd, 0, SEEK_SET) == 0) {
		ssize_t n = read(efd, r->err, sizeof(r->err) - 1);
		(void)n;
	}
	close(efd);
	if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 127)
		TH_LOG("could not run %s (set HARNESS_SAMPLE)", argv[0]);
	ASSERT_FALSE(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 127);
}

static int exit_code(const struct run *r)
{
	return WIFEXITED(r->status) ? WEXITSTATUS(r->status) : 128 + WTERMSIG(r->status);
}

/* The line of out equal to want (or, with prefix set, starting with it), or NULL. */
static const char *find_line(const char *out, const char *want, int prefix)
{
	size_t n = strlen(want);
	for (const char *p = out; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if ((prefix ? len >= n : len == n) && memcmp(p, want, n) == 0)
			return p;
		if (!nl)
			break;
		p = nl + 1;
	}
	return NULL;
}

static int is_result(const char *line)
{
	return strncmp(line, "ok ", 3) == 0 || strncmp(line, "not ok ", 7) == 0 ||
	       strncmp(line, "1..", 3) == 0;
}

/*
 * The diagnostics of one test: the lines after the previous result (or the plan) up to its
 * own result line, which starts with `result`. Empty string when there is no such line.
 */
static const char *block_of(const struct run *r, const char *result, char *buf, size_t size)
{
	const char *start = r->out;
	size_t n = strlen(result);

	buf[0] = '\0';
	for (const char *p = r->out; *p;) {
		const char *nl = strchr(p, '\n');
		if (strncmp(p, result, n) == 0) {
			size_t len = (size_t)(p - start);
			if (len >= size)
				len = size - 1;
			memcpy(buf, start, len);
			buf[len] = '\0';
			return buf;
		}
		if (!nl)
			break;
		if (is_result(p))
			start = nl + 1;
		p = nl + 1;
	}
	return buf;
}

static void dump(const struct run *r)
{
	TH_LOG("---- output of %s (exit %d, %.2fs):\n%s", sample_path(), exit_code(r), r->secs,
	       r->out);
	if (r->err[0])
		TH_LOG("---- its stderr:\n%.1500s", r->err);
}

#define ASSERT_LINE(r, want)                                                                   \
	do {                                                                                   \
		if (!find_line((r)->out, (want), 0)) {                                         \
			TH_LOG("no line \"%s\"", (want));                                      \
			dump(r);                                                               \
		}                                                                              \
		ASSERT_NONNULL(find_line((r)->out, (want), 0));                                \
	} while (0)

#define ASSERT_LINE_PREFIX(r, want)                                                            \
	do {                                                                                   \
		if (!find_line((r)->out, (want), 1)) {                                         \
			TH_LOG("no line starting \"%s\"", (want));                             \
			dump(r);                                                               \
		}                                                                              \
		ASSERT_NONNULL(find_line((r)->out, (want), 1));                                \
	} while (0)

#define ASSERT_CONTAINS(r, text, needle)                                                       \
	do {                                                                                   \
		if (!strstr((text), (needle))) {                                               \
			TH_LOG("\"%s\" not found in:\n%s", (needle), (text));                  \
			dump(r);                                                               \
		}                                                                              \
		ASSERT_NONNULL(strstr((text), (needle)));                                      \
	} while (0)

#define ASSERT_LACKS(r, text, needle)                                                          \
	do {                                                                                   \
		if (strstr((text), (needle))) {                                                \
			TH_LOG("\"%s\" should not be in:\n%s", (needle), (text));              \
			dump(r);                                                               \
		}                                                                              \
		ASSERT_NULL(strstr((text), (needle)));                                         \
	} while (0)

#define ASSERT_EXIT(r, code)                                                                   \
	do {                                                                                   \
		if (exit_code(r) != (code))                                                    \
			dump(r);                                                               \
		ASSERT_EQ((code), exit_code(r));                                               \
	} while (0)

TEST(plan_comes_first_and_counts_every_test)
{
	static struct run r;
	char plan[16];

	run_sample(&r, NULL, NULL, NULL);
	snprintf(plan, sizeof(plan), "1..%d", SAMPLE_TESTS);
	ASSERT_EQ(0, strncmp(r.out, "TAP version 13\n", 15));
	ASSERT_EQ(0, strncmp(r.out + 15, plan, strlen(plan)));
	ASSERT_EQ('\n', r.out[15 + strlen(plan)]);
}

TEST(passing_tests_are_ok)
{
	static struct run r;

	run_sample(&r, NULL, NULL, NULL);
	ASSERT_LINE(&r, "ok 1 passes");
	ASSERT_LINE(&r, "ok 8 fx.one.only_one_passes");
	ASSERT_LINE(&r, "ok 10 zeroed.variant_is_zeroed");
	ASSERT_LINE(&r, "# passes: all 8 checks held");
}

TEST(failed_assert_eq_shows_both_values)
{
	static struct run r;
	char block[8192];

	run_sample(&r, NULL, NULL, NULL);
	ASSERT_LINE(&r, "not ok 2 assert_eq_fails");
	block_of(&r, "not ok 2 ", block, sizeof(block));
	ASSERT_CONTAINS(&r, block, "harness_sample.c:");
	ASSERT_CONTAINS(&r, block, "ASSERT_EQ(4, v) failed");
	ASSERT_CONTAINS(&r, block, "expected: 4\n");
	ASSERT_CONTAINS(&r, block, "seen: 5\n");
	ASSERT_LACKS(&r, block, "UNREACHABLE"); /* the ASSERT, in a helper, ended the test */
}

TEST(failed_expect_goes_on)
{
	static struct run r;
	char block[8192];

	run_sample(&r, NULL, NULL, NULL);
	ASSERT_LINE(&r, "not ok 3 expect_fails_and_goes_on");
	block_of(&r, "not ok 3 ", block, sizeof(block));
	ASSERT_CONTAINS(&r, block, "expected: \"abc\"");
	ASSERT_CONTAINS(&r, block, "seen: \"abd\"");
	ASSERT_CONTAINS(&r, block, "EXPECT_LT(10, -10) failed");
	ASSERT_CONTAINS(&r, block, "seen: -10\n");
	ASSERT_CONTAINS(&r, block, "# went on after EXPECT\n");
}

TEST(failed_memeq_shows_offset_and_both_sides_in_hex)
{
	static struct run r;
	char block[8192];
	const char *exp, *seen;

	run_sample(&r, NULL, NULL, NULL);
	ASSERT_LINE(&r, "not ok 4 memeq_fails");
	block_of(&r, "not ok 4 ", block, sizeof(block));
	ASSERT_CONTAINS(&r, block, "ASSERT_MEMEQ(want, got, sizeof(want)) failed");
	ASSERT_CONTAINS(&r, block, "differ at offset 33 (0x21)");
	ASSERT_CONTAINS(&r, block, "of 40 bytes");
	exp = strstr(block, "00000020: 20 21 22 23 24 25 26 27");
	seen = strstr(block, "00000020: 20 ff 22 23 24 25 26 27");
	ASSERT_NONNULL(exp);
	ASSERT_NONNULL(seen);
	ASSERT_LT(exp, seen); /* expected first, then seen */
	ASSERT_CONTAINS(&r, block, "00000000: 00 01 02 03");
	ASSERT_CONTAINS(&r, seen, "^^");
	ASSERT_LACKS(&r, block, "UNREACHABLE");
}

TEST(crash_is_not_ok_and_the_run_goes_on)
{
	static struct run r;
	char block[8192];

	run_sample(&r, NULL, NULL, NULL);
	ASSERT_LINE(&r, "not ok 5 crashes");
	block_of(&r, "not ok 5 ", block, sizeof(block));
	/* SIGSEGV normally; under ASan the child reports and exits 1 instead */
	if (!strstr(block, "killed by signal 11") && !strstr(block, "exited with status"))
		dump(&r);
	ASSERT_TRUE(strstr(block, "killed by signal 11") || strstr(block, "exited with status"));
	ASSERT_LACKS(&r, block, "UNREACHABLE");
	ASSERT_LINE(&r, "ok 11 last_passes");
	ASSERT_LINE(&r, "# still running after the crash and the timeout");
}

TEST(timeout_is_not_ok_and_kills_the_test_process_group)
{
	static struct run r;
	char block[8192], path[64], pstat[256] = "";
	const char *h;
	int helper = 0, fd;
	ssize_t n;

	run_sample(&r, NULL, NULL, NULL);
	ASSERT_LINE_PREFIX(&r, "not ok 6 sleeps_forever # timeout after ");
	block_of(&r, "not ok 6 ", block, sizeof(block));
	h = strstr(block, "# helper pid ");
	ASSERT_NONNULL(h);
	ASSERT_EQ(1, sscanf(h, "# helper pid %d", &helper));
	ASSERT_LT(1, helper);
	/* The helper shared the pipe, so reaching EOF already showed it gone; check anyway:
	 * no such process, or a zombie not yet reaped by its new parent. */
	snprintf(path, sizeof(path), "/proc/%d/stat", helper);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, pstat, sizeof(pstat) - 1);
		close(fd);
		ASSERT_LT(0, n);
		pstat[n] = '\0';
		if (!strstr(pstat, ") Z ") && !strstr(pstat, ") X "))
			TH_LOG("helper %d still alive: %s", helper, pstat);
		ASSERT_TRUE(strstr(pstat, ") Z ") || strstr(pstat, ") X "));
	}
	ASSERT_LINE(&r, "ok 7 skips # SKIP no frobnicator here (42)"); /* the run went on */
}

TEST(timeout_scale_multiplies_and_the_parent_enforces_it)
{
	static struct run r;

	run_sample(&r, NULL, "1.5", "-t", "sleeps_forever", NULL);
	ASSERT_LINE(&r, "1..1");
	ASSERT_LINE(&r, "not ok 1 sleeps_forever # timeout after 1.5s");
	ASSERT_EXIT(&r, 1);
	if (r.secs < 1.4 || r.secs > 20)
		TH_LOG("took %.2fs", r.secs);
	ASSERT_TRUE(r.secs >= 1.4 && r.secs <= 20);
}

TEST(skip_is_ok_with_its_reason)
{
	static struct run r;
	char block[8192];

	run_sample(&r, NULL, NULL, NULL);
	ASSERT_LINE(&r, "ok 7 skips # SKIP no frobnicator here (42)");
	block_of(&r, "ok 7 ", block, sizeof(block));
	ASSERT_LACKS(&r, block, "UNREACHABLE");
}

TEST(strict_mode_turns_skips_into_failures)
{
	static struct run r;

	run_sample(&r, "1", NULL, NULL);
	ASSERT_LINE(&r, "not ok 7 skips # SKIP no frobnicator here (42) (strict mode: skips fail)");
	ASSERT_LINE(&r, "# Totals: pass:4 fail:7 skip:0");
	ASSERT_EXIT(&r, 1);

	run_sample(&r, "1", NULL, "-t", "skips", NULL);
	ASSERT_LINE_PREFIX(&r, "not ok 1 skips # SKIP");
	ASSERT_EXIT(&r, 1);

	/* the Makefile passes KTLS_TEST_STRICT=0 outside CI: not strict */
	run_sample(&r, "0", NULL, "-t", "skips", NULL);
	ASSERT_LINE(&r, "ok 1 skips # SKIP no frobnicator here (42)");
	ASSERT_EXIT(&r, 4);
}

TEST(teardown_runs_for_both_variants)
{
	static struct run r;
	char block[8192];
	const char *fail, *teardown;

	run_sample(&r, NULL, NULL, NULL);
	ASSERT_LINE(&r, "# teardown ran for one");
	ASSERT_LINE(&r, "# teardown ran for two");
	ASSERT_LINE(&r, "not ok 9 fx.two.only_one_passes");

	block_of(&r, "ok 8 ", block, sizeof(block));
	ASSERT_CONTAINS(&r, block, "# body finished for one\n# teardown ran for one\n");

	/* variant two: the ASSERT failed in the body, and teardown still ran, after it */
	block_of(&r, "not ok 9 ", block, sizeof(block));
	fail = strstr(block, "ASSERT_EQ(1, self->value) failed");
	teardown = strstr(block, "# teardown ran for two");
	ASSERT_NONNULL(fail);
	ASSERT_NONNULL(teardown);
	ASSERT_LT(fail, teardown);
	ASSERT_CONTAINS(&r, block, "seen: 2\n");
	ASSERT_LACKS(&r, block, "body finished");
}

TEST(last_test_runs_and_passes)
{
	static struct run r;
	const char *last;

	run_sample(&r, NULL, NULL, NULL);
	ASSERT_LINE(&r, "ok 11 last_passes");
	last = find_line(r.out, "ok 11 last_passes", 0);
	ASSERT_STREQ("ok 11 last_passes\n# Totals: pass:4 fail:6 skip:1\n", last);
}

TEST(exit_status_is_1_when_a_test_failed)
{
	static struct run r;

	run_sample(&r, NULL, NULL, NULL);
	ASSERT_TRUE(WIFEXITED(r.status));
	ASSERT_EXIT(&r, 1);
}

TEST(totals_line_counts_pass_fail_skip)
{
	static struct run r;

	run_sample(&r, NULL, NULL, NULL);
	ASSERT_LINE(&r, "# Totals: pass:4 fail:6 skip:1");
}

TEST(every_result_line_is_numbered_in_order)
{
	static struct run r;
	char want[128];
	const char *p;
	int n = 0;

	run_sample(&r, NULL, NULL, NULL);
	for (p = r.out; *p;) {
		const char *nl = strchr(p, '\n');

		ASSERT_NONNULL(nl); /* every line ends in a newline */
		if (strncmp(p, "ok ", 3) == 0 || strncmp(p, "not ok ", 7) == 0) {
			const char *num = p + (p[0] == 'o' ? 3 : 7);
			ASSERT_LT(n, SAMPLE_TESTS);
			snprintf(want, sizeof(want), "%d %s", n + 1, sample_names[n]);
			if (strncmp(num, want, strlen(want)) != 0)
				dump(&r);
			ASSERT_EQ(0, strncmp(num, want, strlen(want)));
			n++;
		} else if (strncmp(p, "TAP version 13\n", 15) != 0 && strncmp(p, "1..", 3) != 0) {
			ASSERT_EQ('#', p[0]); /* nothing else but diagnostics */
		}
		p = nl + 1;
	}
	ASSERT_EQ(SAMPLE_TESTS, n);
}

TEST(list_option_prints_every_name)
{
	static struct run r;
	char want[1024] = "";

	for (int i = 0; i < SAMPLE_TESTS; i++) {
		strcat(want, sample_names[i]);
		strcat(want, "\n");
	}
	run_sample(&r, NULL, NULL, "-l", NULL);
	ASSERT_EXIT(&r, 0);
	ASSERT_STREQ(want, r.out);
}

TEST(select_one_passing_test)
{
	static struct run r;

	run_sample(&r, NULL, "1", "-t", "passes", NULL); /* scale 1: no note about it */
	ASSERT_STREQ("TAP version 13\n1..1\n# passes: all 8 checks held\nok 1 passes\n"
		     "# Totals: pass:1 fail:0 skip:0\n",
		     r.out);
	ASSERT_EXIT(&r, 0);
}

TEST(select_by_fixture_variant_and_repeated_names)
{
	static struct run r;

	run_sample(&r, NULL, NULL, "-t", "fx", NULL);
	ASSERT_LINE(&r, "1..2");
	ASSERT_LINE(&r, "ok 1 fx.one.only_one_passes");
	ASSERT_LINE(&r, "not ok 2 fx.two.only_one_passes");
	ASSERT_EXIT(&r, 1);

	run_sample(&r, NULL, NULL, "-t", "fx.two", NULL);
	ASSERT_LINE(&r, "1..1");
	ASSERT_LINE(&r, "not ok 1 fx.two.only_one_passes");

	run_sample(&r, NULL, NULL, "-t", "fx.one.only_one_passes", NULL);
	ASSERT_LINE(&r, "1..1");
	ASSERT_EXIT(&r, 0);

	/* order is the program's, not the command line's */
	run_sample(&r, NULL, NULL, "-t", "last_passes", "-t", "zeroed", "-t", "passes", NULL);
	ASSERT_LINE(&r, "1..3");
	ASSERT_LINE(&r, "ok 1 passes");
	ASSERT_LINE(&r, "ok 2 zeroed.variant_is_zeroed");
	ASSERT_LINE(&r, "ok 3 last_passes");
	ASSERT_EXIT(&r, 0);
}

TEST(unknown_name_is_an_error)
{
	static struct run r;

	run_sample(&r, NULL, NULL, "-t", "passes", "-t", "no_such_test", NULL);
	ASSERT_EXIT(&r, 1);
	ASSERT_CONTAINS(&r, r.err, "no_such_test");
	ASSERT_NULL(find_line(r.out, "1..", 1));

	/* a name matches whole dot-separated parts only */
	run_sample(&r, NULL, NULL, "-t", "fx.on", NULL);
	ASSERT_EXIT(&r, 1);
	run_sample(&r, NULL, NULL, "-t", "pass", NULL);
	ASSERT_EXIT(&r, 1);
}

TEST(every_test_skipped_exits_4)
{
	static struct run r;

	run_sample(&r, NULL, NULL, "-t", "skips", NULL);
	ASSERT_LINE(&r, "1..1");
	ASSERT_LINE(&r, "# Totals: pass:0 fail:0 skip:1");
	ASSERT_EXIT(&r, 4);
}

TEST(help_and_bad_options)
{
	static struct run r;

	run_sample(&r, NULL, NULL, "-h", NULL);
	ASSERT_EXIT(&r, 0);
	ASSERT_CONTAINS(&r, r.out, "usage:");

	run_sample(&r, NULL, NULL, "-Z", NULL);
	ASSERT_EXIT(&r, 1);
	ASSERT_CONTAINS(&r, r.err, "usage:");

	run_sample(&r, NULL, "zero", "-t", "passes", NULL); /* a bad scale is an error */
	ASSERT_EXIT(&r, 1);
	ASSERT_CONTAINS(&r, r.err, "KTLS_TEST_TIMEOUT_SCALE");
}

TEST_HARNESS_MAIN
