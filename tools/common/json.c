/*
 * json.c — the JSON string escaper (json.h). Both forms go through json_escape_byte, so a
 * string looks the same in a buffer and on a stream.
 */
#include "json.h"

#include <string.h>

/* What byte c becomes inside a JSON string: tmp (8 bytes) holds it when it is not c itself. */
static const char *json_escape_byte(unsigned char c, char tmp[8])
{
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\b': return "\\b";
	case '\f': return "\\f";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default:
		if (c < 0x20 || c == 0x7f)
			snprintf(tmp, 8, "\\u%04x", (unsigned)c);
		else {
			tmp[0] = (char)c;
			tmp[1] = 0;
		}
		return tmp;
	}
}

int json_string(char *buf, size_t len, const char *s)
{
	size_t pos = 0;
	char tmp[8];
	if (len < 3) {
		if (len)
			buf[0] = 0;
		return -1;
	}
	buf[pos++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		const char *e = json_escape_byte(*p, tmp);
		size_t n = strlen(e);
		if (n + 2 > len - pos) { /* this, the closing quote and the NUL */
			buf[0] = 0;
			return -1;
		}
		memcpy(buf + pos, e, n);
		pos += n;
	}
	buf[pos++] = '"';
	buf[pos] = 0;
	return 0;
}

void json_fput(FILE *f, const char *s)
{
	char tmp[8];
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fputs(json_escape_byte(*p, tmp), f);
	fputc('"', f);
}
