/*
 * httpd_test.c — tools/httpd as a library (httpd.h): a server made with httpd_new on a free
 * port answers GET and HEAD over TLS 1.3 from a libktls client in this process, with one
 * worker (httpd_run in a thread, ended by httpd_stop from this one) and with two (in a
 * child process that forks the workers, ended by SIGTERM); httpd_stop also works before
 * httpd_run; httpd_new says why it cannot start. The HTTP codec itself is http_test's, the
 * whole tool (signals, reload, hostile peers) www_test.sh's and www_attack_test.sh's.
 */
#include "harness.h"

#include "httpd_fixture.h"

#include <errno.h>
#include <sys/socket.h>

/* One request on a new TLS connection to 127.0.0.1:port, the whole answer (until the
 * server closes) into out. Returns its length, or -1. */
static long fetch(unsigned port, const char *request, char *out, size_t cap)
{
	char ps[16];
	snprintf(ps, sizeof(ps), "%u", port);
	int fd = cli_connect("httpd_test", "127.0.0.1", ps, 5000);
	if (fd < 0)
		return -1;
	struct ktls_config *cfg = ktls_config_new(KTLS_ROLE_CLIENT);
	struct ktls_session *s = NULL;
	long total = -1;
	if (cfg && !ktls_config_set_ca(cfg, test_cert("ca.pem"), NULL) &&
	    !ktls_config_set_server_name(cfg, "localhost") && !ktls_handshake(fd, cfg, &s) &&
	    ktls_send(s, request, strlen(request)) == (long)strlen(request)) {
		total = 0;
		for (;;) {
			long n = ktls_recv(s, out + total, cap - 1 - (size_t)total);
			if (n == KTLS_WANT_READ) /* records that carry nothing (tickets): again */
				continue;
			if (n <= 0)
				break;
			total += n;
			if ((size_t)total == cap - 1)
				break;
		}
		out[total] = 0;
	}
	ktls_session_free(s);
	ktls_config_free(cfg);
	close(fd);
	return total;
}

FIXTURE(server)
{
	struct test_httpd t;
};

FIXTURE_VARIANT(server)
{
	int workers;
};

FIXTURE_VARIANT_ADD(server, one_worker) { .workers = 1 };
FIXTURE_VARIANT_ADD(server, two_workers) { .workers = 2 };

FIXTURE_SETUP(server)
{
	ASSERT_EQ(0, test_httpd_new(&self->t, variant->workers));
	EXPECT_NE(0, httpd_port(self->t.h));
	ASSERT_EQ(0, test_httpd_start(&self->t));
}

FIXTURE_TEARDOWN(server)
{
	test_httpd_free(&self->t);
}

TEST_F(server, get_and_stop)
{
	static char out[4096];
	long n = fetch(httpd_port(self->t.h),
		       "GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		       out, sizeof(out));
	ASSERT_GT(n, 0);
	EXPECT_EQ(0, strncmp(out, "HTTP/1.1 200 OK\r\n", 17));
	EXPECT_NONNULL(strstr(out, "Content-Length: 5\r\n"));
	EXPECT_NONNULL(strstr(out, "Content-Type: text/plain"));
	const char *body = strstr(out, "\r\n\r\n");
	ASSERT_NONNULL(body);
	EXPECT_STREQ("hello", body + 4);
	EXPECT_EQ(EXIT_OK, test_httpd_stop(&self->t));
}

TEST_F(server, head_range_and_missing)
{
	static char out[4096];
	unsigned port = httpd_port(self->t.h);
	ASSERT_GT(fetch(port, "HEAD /big.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close"
			   "\r\n\r\n", out, sizeof(out)), 0);
	EXPECT_NONNULL(strstr(out, "Content-Length: 300000\r\n"));
	EXPECT_NONNULL(strstr(out, "\r\n\r\n"));
	EXPECT_STREQ("", strstr(out, "\r\n\r\n") + 4); /* no body */
	ASSERT_GT(fetch(port, "GET /big.bin HTTP/1.1\r\nHost: localhost\r\nRange: bytes=26-30\r\n"
			   "Connection: close\r\n\r\n", out, sizeof(out)), 0);
	EXPECT_EQ(0, strncmp(out, "HTTP/1.1 206 Partial Content\r\n", 30));
	EXPECT_NONNULL(strstr(out, "Content-Range: bytes 26-30/300000\r\n"));
	EXPECT_STREQ("abcde", strstr(out, "\r\n\r\n") + 4);
	ASSERT_GT(fetch(port, "GET /../etc/passwd HTTP/1.1\r\nHost: localhost\r\nConnection: "
			   "close\r\n\r\n", out, sizeof(out)), 0);
	EXPECT_EQ(0, strncmp(out, "HTTP/1.1 400 ", 13));
	ASSERT_GT(fetch(port, "GET /nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close"
			   "\r\n\r\n", out, sizeof(out)), 0);
	EXPECT_EQ(0, strncmp(out, "HTTP/1.1 404 ", 13));
	EXPECT_EQ(EXIT_OK, test_httpd_stop(&self->t));
}

TEST(stop_before_run)
{
	struct test_httpd t;
	ASSERT_EQ(0, test_httpd_new(&t, 1));
	httpd_stop(t.h);
	httpd_stop(t.h); /* twice is once */
	EXPECT_EQ(EXIT_OK, httpd_run(t.h));
	EXPECT_EQ(EXIT_USAGE, httpd_run(t.h)); /* it runs once */
	test_httpd_free(&t);
}

TEST(new_without_root)
{
	struct httpd_opts o = { .root = "/nonexistent/httpd-test", .port = "0", .workers = 1 };
	struct ktls_config *cfg = test_httpd_config();
	ASSERT_NONNULL(cfg);
	int status = -1;
	EXPECT_NULL(httpd_new("httpd_test", cfg, &o, &status)); /* it frees cfg */
	EXPECT_EQ(EXIT_USAGE, status);
	httpd_free(NULL);
}

TEST(new_on_a_port_in_use)
{
	struct test_httpd a;
	ASSERT_EQ(0, test_httpd_new(&a, 1));
	char port[16];
	snprintf(port, sizeof(port), "%u", httpd_port(a.h));
	/* another program's socket on that port (no SO_REUSEPORT) */
	int fd = cli_listen("httpd_test", "127.0.0.1", "0", 0);
	ASSERT_GE(fd, 0);
	char busy[16];
	snprintf(busy, sizeof(busy), "%u", cli_bound_port(fd));
	struct httpd_opts o = a.o;
	o.port = busy;
	int status = -1;
	EXPECT_NULL(httpd_new("httpd_test", test_httpd_config(), &o, &status));
	EXPECT_EQ(EXIT_NETWORK, status);
	close(fd);
	test_httpd_free(&a);
}

TEST_HARNESS_MAIN
