/*
 * get.h — ktls-client --get: one HTTPS/1.1 download, or many over many connections (a load
 * generator that verifies every body).
 */
#ifndef KTLS_TOOLS_GET_H
#define KTLS_TOOLS_GET_H

#include <stdbool.h>
#include <stdint.h>

#include "ktls.h"

struct get_opts {
	const char *host, *port; /* where to connect */
	const char *host_header; /* the Host field: servername[:port] */
	const char *path;        /* request-target, "/..." */
	const char *out_file;    /* NULL: stdout */
	bool head;               /* -I: HEAD, print the response head */
	bool have_sha;           /* expect_sha is set */
	uint8_t expect_sha[32];
	int concurrency;         /* load mode when > 0 */
	long requests;           /* load mode: total requests */
	double hold;             /* load mode: keep connections open this long after the requests */
	double timeout;          /* seconds for the whole run */
	double connect_timeout;  /* seconds for connect() (a single --get), 0: the whole timeout */
};

/* Parses 64 hex digits into out; false when it is not that. */
bool get_parse_sha256(const char *hex, uint8_t out[32]);
/* One request on one connection, the body to out_file or stdout. Returns an exit status. */
int get_one(const char *prog, const struct ktls_config *cfg, const struct get_opts *o);
/* The load generator (see ktls-client --help). Returns an exit status. */
int get_load(const char *prog, const struct ktls_config *cfg, const struct get_opts *o);

#endif
