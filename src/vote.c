/*
 * vote.c: the names and TXT records of the votes zone (vote.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "vote.h"

void
vote_txt_add(struct vote_txt *t, const char *s, size_t len)
{
	char *c = xcalloc(len + 1, 1);

	memcpy(c, s, len);
	if (memchr(s, '\0', len) != NULL)
		t->bad = true;
	t->s = xreallocarray(t->s, t->n + 1, sizeof(*t->s));
	t->s[t->n++] = c;
}

void
vote_txt_clear(struct vote_txt *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	memset(t, 0, sizeof(*t));
}

void
vote_txt_copy(struct vote_txt *dst, const struct vote_txt *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	for (i = 0; i < src->n; i++)
		vote_txt_add(dst, src->s[i], strlen(src->s[i]));
	dst->bad = src->bad;
}

bool
vote_txt_equal(const struct vote_txt *a, const struct vote_txt *b)
{
	size_t i;

	if (a->n != b->n || a->bad != b->bad)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->s[i], b->s[i]) != 0)
			return false;
	return true;
}

char *
vote_txt_rdata(const struct vote_txt *t)
{
	size_t i, len = 1;
	const unsigned char *p;
	char *out, *o;

	for (i = 0; i < t->n; i++)
		len += 3 + 4 * strlen(t->s[i]);
	o = out = xcalloc(len, 1);
	for (i = 0; i < t->n; i++) {
		if (i > 0)
			*o++ = ' ';
		*o++ = '"';
		for (p = (const unsigned char *)t->s[i]; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\') {
				*o++ = '\\';
				*o++ = (char)*p;
			} else if (*p < 0x20 || *p > 0x7e)
				o += sprintf(o, "\\%03u", *p);
			else
				*o++ = (char)*p;
		}
		*o++ = '"';
	}
	*o = '\0';
	return out;
}
