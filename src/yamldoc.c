/*
 * yamldoc.c: the YAML layer under config.c.  A first pass with the event
 * API finds what the document API would hide (anchors, aliases, tags,
 * extra documents), a second pass builds the document.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "yamldoc.h"

void
yamldoc_position(const char *buf, size_t off, size_t *line, size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80)
			(*col)++;
	}
}

static void
parser_error(const char *path, const yaml_parser_t *p, struct diags *d)
{
	const char *problem = p->problem ? p->problem : "unknown error";

	if (p->context != NULL)
		diag_error(d, path, p->problem_mark.line + 1,
		    p->problem_mark.column + 1, "%s (%s at %zu:%zu)", problem,
		    p->context, p->context_mark.line + 1,
		    p->context_mark.column + 1);
	else
		diag_error(d, path, p->problem_mark.line + 1,
		    p->problem_mark.column + 1, "%s", problem);
}

static void
refuse(const char *path, const yaml_mark_t *m, struct diags *d,
    const char *what)
{
	diag_error(d, path, m->line + 1, m->column + 1, "%s", what);
}

/* The event's anchor and tag, where it can carry them. */
static void
event_props(const yaml_event_t *ev, const yaml_char_t **anchor,
    const yaml_char_t **tag)
{
	*anchor = *tag = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		*anchor = ev->data.scalar.anchor;
		*tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		*anchor = ev->data.sequence_start.anchor;
		*tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		*anchor = ev->data.mapping_start.anchor;
		*tag = ev->data.mapping_start.tag;
		break;
	default:
		break;
	}
}

static void
event_check(const char *path, const yaml_event_t *ev, size_t *ndocs,
    struct diags *d)
{
	const yaml_char_t *anchor, *tag;

	if (ev->type == YAML_DOCUMENT_START_EVENT && ++*ndocs == 2)
		refuse(path, &ev->start_mark, d, "more than one YAML document "
		    "in the file (remove the second \"---\")");
	if (ev->type == YAML_ALIAS_EVENT)
		refuse(path, &ev->start_mark, d, "aliases (*name) are not "
		    "supported; put shared values in \"defaults\"");
	event_props(ev, &anchor, &tag);
	if (anchor != NULL)
		refuse(path, &ev->start_mark, d, "anchors (&name) are not "
		    "supported; put shared values in \"defaults\"");
	if (tag != NULL)
		refuse(path, &ev->start_mark, d, "tags (!name) are not "
		    "supported; write the value without a tag");
}

/*
 * Counts nesting; false at the first list or mapping too deep.  libyaml
 * hands out events as it goes (it looks ahead at most 1024 characters
 * for a simple key), so stopping here stops before its scanner's cost
 * per token, which grows with the depth, adds up.
 */
static bool
event_depth(const char *path, const yaml_event_t *ev, size_t *depth,
    struct diags *d)
{
	if (ev->type == YAML_SEQUENCE_END_EVENT ||
	    ev->type == YAML_MAPPING_END_EVENT)
		(*depth)--;
	if (ev->type != YAML_SEQUENCE_START_EVENT &&
	    ev->type != YAML_MAPPING_START_EVENT)
		return true;
	if (++*depth <= YAMLDOC_MAX_DEPTH)
		return true;
	diag_error(d, path, ev->start_mark.line + 1, ev->start_mark.column + 1,
	    "nesting deeper than %d levels", YAMLDOC_MAX_DEPTH);
	return false;
}

/* Event pass: 0 if the stream is one plain document, -1 otherwise. */
static int
scan(const char *path, const char *buf, size_t len, struct diags *d)
{
	yaml_parser_t p;
	yaml_event_t ev;
	size_t before = d->nerrors, ndocs = 0, depth = 0;
	bool done = false;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			parser_error(path, &p, d);
			break;
		}
		event_check(path, &ev, &ndocs, d);
		done = ev.type == YAML_STREAM_END_EVENT ||
		    !event_depth(path, &ev, &depth, d);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return d->nerrors == before ? 0 : -1;
}

/* "64 MiB" for a cap in whole MiB, else the bytes. */
static void
size_text(size_t n, char *buf, size_t size)
{
	if (n >= 1024 * 1024 && n % (1024 * 1024) == 0)
		snprintf(buf, size, "%zu MiB", n / (1024 * 1024));
	else
		snprintf(buf, size, "%zu bytes", n);
}

/*
 * The file's bytes, NUL-terminated; a file larger than max is refused
 * from its size, unread.  -1 after reporting why there are none.
 */
static int
file_load(const char *path, size_t max, char **bufp, size_t *lenp,
    struct diags *d)
{
	struct stat st;
	char cap[32];
	int fd, rc, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		diag_error(d, path, 0, 0, "cannot read: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		saved = S_ISDIR(st.st_mode) ? EISDIR : errno;
		close(fd);
		diag_error(d, path, 0, 0, "cannot read: %s", strerror(saved));
		return -1;
	}
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max)
		rc = 1;
	else
		rc = fd_read_all(fd, max, bufp, lenp);
	saved = errno;
	close(fd);
	if (rc == -1)
		diag_error(d, path, 0, 0, "cannot read: %s", strerror(saved));
	else if (rc == 1) {
		size_text(max, cap, sizeof(cap));
		diag_error(d, path, 0, 0, "file is larger than %s", cap);
	}
	return rc == 0 ? 0 : -1;
}

int
yamldoc_load(const char *path, size_t max_size, yaml_document_t *doc,
    struct diags *d)
{
	yaml_parser_t p;
	size_t len, bad, line, col;
	char *buf;
	int rc = -1;

	if (file_load(path, max_size, &buf, &len, d) == -1)
		return -1;
	if ((bad = utf8_invalid((unsigned char *)buf, len)) < len) {
		yamldoc_position(buf, bad, &line, &col);
		diag_error(d, path, line, col, "invalid UTF-8 (byte 0x%02x); "
		    "the file must be UTF-8", (unsigned char)buf[bad]);
	} else if (memchr(buf, '\0', len) != NULL) {
		yamldoc_position(buf, (size_t)((char *)memchr(buf, '\0', len) -
		    buf), &line, &col);
		diag_error(d, path, line, col, "NUL byte in the file");
	} else if (scan(path, buf, len, d) == 0) {
		yaml_parser_initialize(&p);
		yaml_parser_set_input_string(&p, (unsigned char *)buf, len);
		if (yaml_parser_load(&p, doc))
			rc = 0;
		else
			parser_error(path, &p, d);
		yaml_parser_delete(&p);
	}
	free(buf);
	return rc;
}
