/*
 * httpd.h — the static-file HTTPS server of ktls-server --www, as a library: one epoll loop
 * per worker process, bodies through ktls_sendfile (kernel TLS when TX is offloaded). The
 * HTTP/1.1 codec it uses is http.h, in the same archive.
 *
 *   struct httpd *h = httpd_new(prog, cfg, &opts, &status);  // listens, or says why not
 *   int rc = httpd_run(h);                                    // until a signal or httpd_stop
 *   httpd_free(h);
 */
#ifndef KTLS_TOOLS_HTTPD_H
#define KTLS_TOOLS_HTTPD_H

#include "ktls.h"

struct httpd_opts {
	const char *root;         /* document root */
	const char *bind_addr;    /* NULL: all addresses */
	const char *port;         /* "0": any free port (the one chosen is printed) */
	int workers;              /* processes, each with its own SO_REUSEPORT socket */
	int max_connections;      /* per worker; beyond it the oldest unfinished handshake goes */
	size_t max_client_hello;  /* bytes (ktls_limits.max_client_hello for --www) */
	size_t handshake_memory;  /* per worker: bytes that unfinished handshakes may hold in
				   * partly received messages; beyond it the oldest of them goes */
	double handshake_timeout; /* seconds from accept to the end of the handshake */
	double idle_timeout;      /* seconds for a whole request to arrive, or without progress */
	const char *access_log;   /* NULL: none, "-": stdout, else a file (appended) */
	/* SIGHUP: a new config built from the same options (certificates, keys and ticket keys
	 * read again), or NULL after printing "<prefix>: <reason>"; reload_what names the
	 * files in the log line */
	struct ktls_config *(*reload)(void *arg, const char *prefix);
	void *reload_arg;
	const char *reload_what;
};

struct httpd;

/* Opens the document root and the access log, listens (one socket per worker) and blocks
 * SIGTERM, SIGINT, SIGHUP and SIGCHLD in the calling thread (they are read through a
 * signalfd; threads made later inherit the mask). Takes cfg: it is freed by httpd_free, also
 * when this fails. Returns the server, or NULL after printing "<prog>: <reason>" with
 * *status set to EXIT_USAGE (root, log, memory) or EXIT_NETWORK (cannot listen). o must
 * stay valid until httpd_free. */
struct httpd *httpd_new(const char *prog, struct ktls_config *cfg, const struct httpd_opts *o,
			int *status);

/* The port it listens on (what --port 0 got). */
unsigned httpd_port(const struct httpd *h);

/* Serves until SIGTERM or SIGINT (or httpd_stop), then stops accepting, finishes the
 * responses in flight, sends close_notify on every open connection and returns. SIGHUP makes
 * each worker build a new config with o->reload for the connections that come after (those
 * open keep theirs). With several workers, they are child processes and this one waits for
 * them: fork copies only the calling thread, so no other thread of the program may be inside
 * OpenSSL or libktls then (their locks would stay held in the workers). Runs once. Returns an exit status (cli.h): EXIT_OK after a clean stop, EXIT_USAGE /
 * EXIT_NETWORK when it cannot run. */
int httpd_run(struct httpd *h);

/* Asks httpd_run to stop as on SIGTERM; also before it runs (it then returns at once).
 * Async-signal-safe, callable from any thread. */
void httpd_stop(struct httpd *h);

/* Closes what httpd_new opened and frees the config it took. NULL does nothing. */
void httpd_free(struct httpd *h);

#endif
