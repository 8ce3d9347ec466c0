/*
 * vectors.h — loads the public test vectors transcribed under tests/vectors/.
 *
 * File format: `#` starts a comment line; `name = value` starts an entry whose value may go
 * on over following lines that begin with white space; `[case N]` starts a new case (names
 * repeat per case). Values are hex (spaces ignored) unless a test reads them as decimal
 * with vec_uint(). Files are found in $KTLS_VECTORS, else tests/vectors (run from the
 * project root, as `make check` does).
 */
#ifndef KTLS_TEST_VECTORS_H
#define KTLS_TEST_VECTORS_H

#include <stddef.h>
#include <stdint.h>

struct vec {
	unsigned case_no;  /* 0 before the first [case] line */
	char *name;
	char *text;        /* the value with white space removed */
	uint8_t *bytes;    /* the value decoded as hex (NULL if it is not hex) */
	size_t len;
};

struct vec_file {
	char *path;
	struct vec *items;
	size_t n;
	unsigned cases;    /* number of [case] sections, 0 when the file has none */
};

/* Loads a vector file by name ("rfc8448-1rtt.txt"). Aborts with a message on any error:
 * a test cannot go on without its vectors. */
struct vec_file *vec_load(const char *file);
/* The entry `name` of case case_no (0 for files without cases); aborts when it is missing
 * or not hex. */
const struct vec *vec_get(const struct vec_file *f, unsigned case_no, const char *name);
/* Like vec_get but returns NULL when the entry is missing. */
const struct vec *vec_find(const struct vec_file *f, unsigned case_no, const char *name);
/* The entry read as a decimal number; aborts when missing or not decimal. */
unsigned long vec_uint(const struct vec_file *f, unsigned case_no, const char *name);
void vec_free(struct vec_file *f);

#endif
