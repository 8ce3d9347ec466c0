/*
 * json.h — the one JSON string escaper of the tools (ktls-check --json, ktls-diag --json):
 * a C string as a JSON string literal, quotes included. '"' and '\' are escaped, so are
 * control characters (the short forms \b \f \n \r \t where JSON has them, else \u00XX) and
 * DEL; bytes >= 0x80 pass through as they are (RFC 8259 §7: strings are UTF-8, and what a
 * kernel or a file names is passed on, not judged).
 */
#ifndef KTLS_TOOLS_JSON_H
#define KTLS_TOOLS_JSON_H

#include <stddef.h>
#include <stdio.h>

/* s as a JSON string literal into buf (len bytes, NUL-terminated). Returns 0, or -1 when it
 * does not fit (buf is then "" when len > 0). */
int json_string(char *buf, size_t len, const char *s);

/* s as a JSON string literal on f. */
void json_fput(FILE *f, const char *s);

#endif
