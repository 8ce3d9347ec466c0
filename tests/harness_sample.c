/*
 * harness_sample.c — a program for harness_selftest to run: it passes, fails, crashes, times
 * out and skips on purpose, so that the harness's output for each case can be checked.
 * Its exit status is 1 by design; it is not a test of the library.
 *
 * Run order and expected results (harness_selftest relies on them):
 *   1 passes                       ok
 *   2 assert_eq_fails              not ok   expected 4, seen 5
 *   3 expect_fails_and_goes_on     not ok   two EXPECT failures, then runs to the end
 *   4 memeq_fails                  not ok   40-byte buffers differing at offset 33
 *   5 crashes                      not ok   NULL dereference
 *   6 sleeps_forever               not ok   timeout (1 s, scaled)
 *   7 skips                        ok # SKIP no frobnicator here
 *   8 fx.one.only_one_passes       ok
 *   9 fx.two.only_one_passes       not ok
 *  10 zeroed.variant_is_zeroed     ok
 *  11 last_passes                  ok
 */
#include "harness.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static int calls;
static int next(int v)
{
	calls++;
	return v;
}

enum colour { RED, GREEN };

TEST(passes)
{
	int n = 0;
	size_t zero = 0;
	unsigned char uc = 200;
	const char *s = "abc";
	char arr[4] = "abc";
	struct {
		unsigned bits : 3;
		int sbits : 4;
	} bf = { 5, -3 };
	enum colour c = GREEN;
	bool yes = true;

	/* every argument evaluated exactly once */
	ASSERT_EQ(1, ++n);
	EXPECT_NE(0, ++n);
	ASSERT_LT(2, ++n);
	ASSERT_LE(4, ++n);
	ASSERT_GT(6, ++n);
	ASSERT_GE(6, ++n);
	ASSERT_TRUE(++n);
	EXPECT_FALSE(++n - 8);
	ASSERT_EQ(8, n);
	calls = 0;
	ASSERT_STREQ(s + next(0), s + next(0));
	ASSERT_STRNE(s + next(1), s + next(0));
	ASSERT_MEMEQ(s + next(0), arr + next(0), (size_t)next(4));
	ASSERT_NONNULL(s + next(0));
	ASSERT_NULL((void *)(intptr_t)next(0));
	ASSERT_EQ(9, calls);

	/* by value, whatever the types */
	ASSERT_LT(-1, zero);
	ASSERT_GT((size_t)1, -1);
	ASSERT_EQ(200, uc);
	ASSERT_EQ(5, bf.bits);
	ASSERT_EQ(-3, bf.sbits);
	ASSERT_EQ(GREEN, c);
	ASSERT_EQ(1, c);
	ASSERT_TRUE(yes);
	ASSERT_EQ(INTMAX_MIN, (intmax_t)INTMAX_MIN);
	ASSERT_LT(INTMAX_MIN, UINTMAX_MAX);
	ASSERT_EQ(UINTMAX_MAX, UINTMAX_MAX);
	ASSERT_NE(-1, UINTMAX_MAX);
	ASSERT_EQ(arr, &arr[0]);
	ASSERT_EQ(NULL, (void *)0);
	ASSERT_NE(NULL, s);
	ASSERT_TRUE(s);
	ASSERT_STREQ(NULL, NULL);
	ASSERT_STRNE(NULL, "");
	ASSERT_MEMEQ(NULL, NULL, 0);
	TH_LOG("passes: all %d checks held", n);
}

static void check_is_four(int v)
{
	ASSERT_EQ(4, v); /* an ASSERT in a helper ends the whole test */
}

TEST(assert_eq_fails)
{
	int seen = 5;
	check_is_four(seen);
	TH_LOG("UNREACHABLE after a failed ASSERT");
}

TEST(expect_fails_and_goes_on)
{
	EXPECT_STREQ("abc", "abd");
	EXPECT_LT(10, -10);
	TH_LOG("went on after EXPECT");
}

TEST(memeq_fails)
{
	uint8_t want[40], got[40];
	for (unsigned i = 0; i < sizeof(want); i++)
		want[i] = got[i] = (uint8_t)i;
	got[33] = 0xff;
	ASSERT_MEMEQ(want, got, sizeof(want));
	TH_LOG("UNREACHABLE after a failed ASSERT_MEMEQ");
}

TEST(crashes)
{
	volatile int *volatile p = NULL;
	*p = 1;
	TH_LOG("UNREACHABLE after a crash");
}

TEST_TIMEOUT(sleeps_forever, 1)
{
	pid_t helper = fork();
	ASSERT_LE(0, helper);
	if (helper == 0) { /* in the test's process group: must die with it */
		for (;;)
			pause();
	}
	TH_LOG("helper pid %d", (int)helper);
	for (;;)
		pause();
}

TEST(skips)
{
	SKIP(return, "no frobnicator here (%d)", 42);
	TH_LOG("UNREACHABLE after SKIP");
}

FIXTURE(fx)
{
	int value;
	const char *label;
};

FIXTURE_VARIANT(fx)
{
	int value;
	const char *label;
};

FIXTURE_VARIANT_ADD(fx, one) { .value = 1, .label = "one" };
FIXTURE_VARIANT_ADD(fx, two) { .value = 2, .label = "two" };

FIXTURE_SETUP(fx)
{
	self->value = variant->value;
	self->label = variant->label;
}

FIXTURE_TEARDOWN(fx)
{
	TH_LOG("teardown ran for %s", self->label);
}

TEST_F(fx, only_one_passes)
{
	ASSERT_EQ(1, self->value);
	TH_LOG("body finished for %s", self->label);
}

/* A fixture that declares variants but adds none: runs once, with a zeroed variant. */
FIXTURE(zeroed)
{
	int unused;
};

FIXTURE_VARIANT(zeroed)
{
	int suite;
	const char *label;
};

TEST_F(zeroed, variant_is_zeroed)
{
	ASSERT_NONNULL(variant);
	ASSERT_EQ(0, variant->suite);
	ASSERT_NULL(variant->label);
	ASSERT_EQ(0, self->unused);
}

TEST(last_passes)
{
	TH_LOG("still running after the crash and the timeout");
}

TEST_HARNESS_MAIN
