/*
 * www.h — ktls-server --www: a static-file HTTPS server, one epoll loop per worker process.
 */
#ifndef KTLS_TOOLS_WWW_H
#define KTLS_TOOLS_WWW_H

#include "ktls.h"

struct www_opts {
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

/* Serves until SIGTERM or SIGINT, then stops accepting, finishes the responses in flight,
 * sends close_notify on every open connection and returns. SIGHUP makes each worker build
 * a new config with o->reload for the connections that come after (those open keep theirs).
 * Takes cfg (and frees it, and every config reloaded). Returns an exit status (cli.h):
 * EXIT_OK after a clean stop, EXIT_USAGE / EXIT_NETWORK when it cannot start. */
int www_serve(const char *prog, struct ktls_config *cfg, const struct www_opts *o);

#endif
