/*
 * vectors.c — parser for the files in tests/vectors/ (format in vectors.h).
 */
#include "support/vectors.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "vectors: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		die("out of memory");
	return d;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes v->text as hex into v->bytes, or leaves bytes NULL when it is not hex. */
static void decode_hex(struct vec *v)
{
	size_t n = strlen(v->text);
	if (n % 2)
		return;
	uint8_t *b = xrealloc(NULL, n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(v->text[2 * i]), lo = hexval(v->text[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(b);
			return;
		}
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	v->bytes = b;
	v->len = n / 2;
}

static void append_value(struct vec *v, const char *s)
{
	size_t have = strlen(v->text), add = 0;
	for (const char *p = s; *p; p++)
		if (!isspace((unsigned char)*p))
			add++;
	v->text = xrealloc(v->text, have + add + 1);
	char *o = v->text + have;
	for (const char *p = s; *p; p++)
		if (!isspace((unsigned char)*p))
			*o++ = *p;
	*o = 0;
}

struct vec_file *vec_load(const char *file)
{
	const char *dir = getenv("KTLS_VECTORS");
	struct vec_file *f = xrealloc(NULL, sizeof(*f));
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0, case_no = 0;
	struct vec *cur = NULL;

	memset(f, 0, sizeof(*f));
	if (!dir || !*dir)
		dir = "tests/vectors";
	size_t plen = strlen(dir) + strlen(file) + 2;
	f->path = xrealloc(NULL, plen);
	snprintf(f->path, plen, "%s/%s", dir, file);
	FILE *in = fopen(f->path, "r");
	if (!in)
		die("cannot open %s: %s (run from the project root or set KTLS_VECTORS)", f->path,
		    strerror(errno));

	while (getline(&line, &cap, in) != -1) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == '#')
			continue;
		if (line[0] == '[') {
			if (sscanf(line, "[case %u]", &case_no) != 1)
				die("%s:%u: bad section line", f->path, lineno);
			f->cases++;
			cur = NULL;
			continue;
		}
		if (isspace((unsigned char)line[0])) {
			if (line[strspn(line, " \t")] == 0)
				continue; /* blank */
			if (!cur)
				die("%s:%u: continuation line without an entry", f->path, lineno);
			append_value(cur, line);
			continue;
		}
		if (line[0] == 0)
			continue;
		char *eq = strchr(line, '=');
		if (!eq)
			die("%s:%u: expected 'name = value'", f->path, lineno);
		char *end = eq;
		while (end > line && isspace((unsigned char)end[-1]))
			end--;
		*end = 0;
		if (vec_find(f, case_no, line))
			die("%s:%u: duplicate entry '%s'", f->path, lineno, line);
		f->items = xrealloc(f->items, (f->n + 1) * sizeof(*f->items));
		cur = &f->items[f->n++];
		memset(cur, 0, sizeof(*cur));
		cur->case_no = case_no;
		cur->name = xstrdup(line);
		cur->text = xstrdup("");
		append_value(cur, eq + 1);
	}
	free(line);
	fclose(in);
	for (size_t i = 0; i < f->n; i++)
		decode_hex(&f->items[i]);
	return f;
}

const struct vec *vec_find(const struct vec_file *f, unsigned case_no, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->items[i].case_no == case_no && !strcmp(f->items[i].name, name))
			return &f->items[i];
	return NULL;
}

const struct vec *vec_get(const struct vec_file *f, unsigned case_no, const char *name)
{
	const struct vec *v = vec_find(f, case_no, name);
	if (!v)
		die("%s: no entry '%s' in case %u", f->path, name, case_no);
	if (!v->bytes)
		die("%s: entry '%s' (case %u) is not hex", f->path, name, case_no);
	return v;
}

unsigned long vec_uint(const struct vec_file *f, unsigned case_no, const char *name)
{
	const struct vec *v = vec_find(f, case_no, name);
	char *end;
	if (!v)
		die("%s: no entry '%s' in case %u", f->path, name, case_no);
	errno = 0;
	unsigned long x = strtoul(v->text, &end, 10);
	if (errno || *end || end == v->text)
		die("%s: entry '%s' (case %u) is not a decimal number", f->path, name, case_no);
	return x;
}

void vec_free(struct vec_file *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->items[i].name);
		free(f->items[i].text);
		free(f->items[i].bytes);
	}
	free(f->items);
	free(f->path);
	free(f);
}
