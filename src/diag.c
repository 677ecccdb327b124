/*
 * diag.c: the list of configuration errors and warnings.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "log.h"
#include "util.h"

void
diags_init(struct diags *d)
{
	memset(d, 0, sizeof(*d));
}

void
diags_clear(struct diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].msg);
	for (i = 0; i < d->nfiles; i++)
		free(d->files[i]);
	free(d->v);
	free(d->files);
	diags_init(d);
}

static size_t
file_index(struct diags *d, const char *file)
{
	size_t i;

	for (i = 0; i < d->nfiles; i++)
		if (strcmp(d->files[i], file) == 0)
			return i;
	d->files = xreallocarray(d->files, d->nfiles + 1, sizeof(char *));
	d->files[d->nfiles] = xstrdup(file);
	return d->nfiles++;
}

void
diag_vadd(struct diags *d, enum diag_level level, const char *file,
    size_t line, size_t col, const char *fmt, va_list ap)
{
	struct diag *g;
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = xstrdup("out of memory formatting a message");
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	g = &d->v[d->n];
	g->level = level;
	g->file = file_index(d, file);
	g->line = line;
	g->col = col;
	g->seq = d->n++;
	g->msg = msg;
	if (level == DIAG_ERROR)
		d->nerrors++;
}

void
diag_error(struct diags *d, const char *file, size_t line, size_t col,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, DIAG_ERROR, file, line, col, fmt, ap);
	va_end(ap);
}

void
diag_warning(struct diags *d, const char *file, size_t line, size_t col,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, DIAG_WARNING, file, line, col, fmt, ap);
	va_end(ap);
}

static int
cmp(const void *pa, const void *pb)
{
	const struct diag *a = pa, *b = pb;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void
diags_sort(struct diags *d)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(*d->v), cmp);
}

void
diag_format(const struct diags *d, size_t i, char *buf, size_t size)
{
	const struct diag *g = &d->v[i];
	const char *lvl = g->level == DIAG_WARNING ? "warning: " : "";

	if (g->line == 0)
		snprintf(buf, size, "%s: %s%s", d->files[g->file], lvl, g->msg);
	else
		snprintf(buf, size, "%s:%zu:%zu: %s%s", d->files[g->file],
		    g->line, g->col, lvl, g->msg);
}

void
diags_print(const struct diags *d, FILE *fp)
{
	char buf[2048];
	size_t i;

	for (i = 0; i < d->n; i++) {
		diag_format(d, i, buf, sizeof(buf));
		fprintf(fp, "%s\n", buf);
	}
}

void
diags_log(const struct diags *d)
{
	char buf[2048];
	size_t i;

	for (i = 0; i < d->n; i++) {
		diag_format(d, i, buf, sizeof(buf));
		log_warnx("%s", buf);
	}
}

void
diags_first(struct diags *d, char *buf, size_t size)
{
	diags_sort(d);
	if (d->n > 0)
		diag_format(d, 0, buf, size);
	else
		str_copy(buf, "unknown damage", size);
}
