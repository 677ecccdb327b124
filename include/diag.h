/*
 * diag.h: configuration diagnostics collected during a load and printed
 * together, as FILE:LINE:COL: message, in file and position order.
 *
 * Loading goes on after an error so that one run reports every mistake;
 * the caller decides where the list goes (stderr for validate, the log on
 * a daemon reload).
 */
#ifndef DNSFAILOVER_DIAG_H
#define DNSFAILOVER_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

enum diag_level {
	DIAG_ERROR,
	DIAG_WARNING
};

struct diag {
	enum diag_level	 level;
	size_t		 file;		/* index into diags.files */
	size_t		 line, col;	/* 1-based; line 0: the whole file */
	size_t		 seq;		/* insertion order, keeps sort stable */
	char		*msg;
};

struct diags {
	struct diag	*v;
	size_t		 n, cap;
	size_t		 nerrors;
	char		**files;
	size_t		 nfiles;
};

/* A position in some file, for messages about things it refers to. */
struct diag_ref {
	const char	*file;
	size_t		 line, col;
};

void	diags_init(struct diags *);
void	diags_clear(struct diags *);

/* line and col are 1-based; line 0 means the message is about the file. */
void	diag_error(struct diags *, const char *file, size_t line, size_t col,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void	diag_warning(struct diags *, const char *file, size_t line,
	    size_t col, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* The same, for wrappers that take their own format arguments. */
void	diag_vadd(struct diags *, enum diag_level, const char *file,
	    size_t line, size_t col, const char *fmt, va_list)
	    __attribute__((format(printf, 6, 0)));

/* Orders by file (first mentioned first), line, column, then insertion. */
void	diags_sort(struct diags *);
/* Writes one line per diagnostic: FILE:LINE:COL: [warning: ]message. */
void	diags_print(const struct diags *, FILE *);
/* The same through the log (log.h), a line each. */
void	diags_log(const struct diags *);
/* Formats diagnostic i into buf, as diags_print would, without newline. */
void	diag_format(const struct diags *, size_t i, char *buf, size_t size);
/* The first diagnostic in file order as text ("unknown damage" when
 * there is none); sorts d. */
void	diags_first(struct diags *, char *buf, size_t size);

#endif
