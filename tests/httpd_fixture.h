/*
 * httpd_fixture.h — a tools/httpd server in this test process, for httpd_test and
 * httpget_test: a document root made in a temporary directory, a server config from the
 * test PKI (build/certs), and httpd_run until it is stopped: in a thread, ended with
 * httpd_stop, for one worker; in a child process, ended with SIGTERM, for several (httpd_run
 * then forks the workers, and a fork must not happen while another thread of this process
 * is inside OpenSSL: the child would inherit its locks held).
 *
 * Header-only (static functions) so that only the tests that link libhttpd.a include it.
 */
#ifndef KTLS_TESTS_HTTPD_FIXTURE_H
#define KTLS_TESTS_HTTPD_FIXTURE_H

#include "cli/cli.h"
#include "httpd/httpd.h"
#include "support/pair.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct test_httpd {
	char root[64];
	struct httpd_opts o;
	struct httpd *h;
	pthread_t thread;
	pid_t pid; /* several workers: the process that runs httpd_run */
	bool running;
	int rc;
};

/* root/NAME with len bytes of a pattern (byte i is 'a' + i % 26). Returns 0 or -1. */
static int test_httpd_file(const struct test_httpd *t, const char *name, size_t len)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/%s", t->root, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (size_t i = 0; i < len; i++)
		fputc('a' + (int)(i % 26), f);
	return fclose(f);
}

/* A server config with the test PKI's server certificate, or NULL. */
static struct ktls_config *test_httpd_config(void)
{
	struct ktls_config *cfg = ktls_config_new(KTLS_ROLE_SERVER);
	if (cfg && ktls_config_set_cert(cfg, test_cert("server-ecdsa.pem"),
					 test_cert("server-ecdsa.key"))) {
		ktls_config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* A root with hello.txt (5 bytes, "hello") and big.bin (300000 pattern bytes), and a server
 * on 127.0.0.1, any free port, with workers processes (not started: test_httpd_start).
 * Returns 0, or the httpd_new status. */
static int test_httpd_new(struct test_httpd *t, int workers)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->root, sizeof(t->root), "/tmp/httpd-test-XXXXXX");
	if (!mkdtemp(t->root))
		return -1;
	char path[160];
	snprintf(path, sizeof(path), "%s/hello.txt", t->root);
	FILE *f = fopen(path, "w");
	if (!f || fputs("hello", f) < 0 || fclose(f) || test_httpd_file(t, "big.bin", 300000))
		return -1;
	t->o = (struct httpd_opts){ .root = t->root, .bind_addr = "127.0.0.1", .port = "0",
				    .workers = workers, .max_connections = 64,
				    .max_client_hello = 16384, .handshake_memory = 1u << 20,
				    .handshake_timeout = 10, .idle_timeout = 10 };
	struct ktls_config *cfg = test_httpd_config();
	if (!cfg)
		return -1;
	int status;
	t->h = httpd_new("httpd-test", cfg, &t->o, &status);
	return t->h ? 0 : status;
}

static void *test_httpd_thread(void *arg)
{
	struct test_httpd *t = arg;
	t->rc = httpd_run(t->h);
	return NULL;
}

static int test_httpd_start(struct test_httpd *t)
{
	if (t->o.workers > 1) {
		t->pid = fork();
		if (t->pid == 0)
			_exit(httpd_run(t->h));
		return t->pid > 0 ? 0 : -1;
	}
	if (pthread_create(&t->thread, NULL, test_httpd_thread, t))
		return -1;
	t->running = true;
	return 0;
}

/* Stops the server (when started) and waits for it; returns httpd_run's status. */
static int test_httpd_stop(struct test_httpd *t)
{
	if (t->running) {
		httpd_stop(t->h);
		pthread_join(t->thread, NULL);
		t->running = false;
	}
	if (t->pid > 0) {
		int st;
		kill(t->pid, SIGTERM);
		t->rc = waitpid(t->pid, &st, 0) == t->pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		t->pid = 0;
	}
	return t->rc;
}

static void test_httpd_free(struct test_httpd *t)
{
	test_httpd_stop(t);
	httpd_free(t->h);
	t->h = NULL;
	if (t->root[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
		if (system(cmd)) {
			/* a leftover temporary directory is not a test failure */
		}
	}
}

#endif
