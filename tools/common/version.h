/*
 * version.h — the command-line conventions all four tools share: --version and the one-line
 * usage error for an unknown option.
 */
#ifndef KTLS_TOOLS_VERSION_H
#define KTLS_TOOLS_VERSION_H

/* --version of every tool: this tool's and the library's version, OpenSSL's and libsodium's,
 * and whether this kernel has kernel TLS (the tls ULP attaches on a loopback pair), on
 * stdout. Returns 0. */
int cli_print_version(const char *prog);
/* After getopt_long returned '?' (unknown option) or ':' (missing value; the option string
 * starts with ':' and opterr is 0): one line on stderr, "<prog>: unknown option '--foo' (see
 * --help)". Returns 2 (usage error). */
int cli_usage_error(const char *prog, char **argv, int c);

#endif
