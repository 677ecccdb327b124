/*
 * yamldoc.h: loads a configuration file as one libyaml document.
 *
 * The file must be UTF-8 and hold exactly one document without anchors,
 * aliases or tags.  Aliases are refused rather than expanded: the
 * document API cannot tell an alias from its anchor, a shared node makes
 * every error inside it ambiguous, and "defaults:" already gives every
 * site shared values.
 *
 * Limits keep a load linear in the file's size: libyaml's scanner spends
 * time proportional to the depth on every token (quadratic in all), so
 * nesting deeper than YAMLDOC_MAX_DEPTH is refused as soon as the event
 * pass reaches it, before the document is built; a file larger than the
 * caller's cap is refused before it is read.
 */
#ifndef DNSFAILOVER_YAMLDOC_H
#define DNSFAILOVER_YAMLDOC_H

#include <stddef.h>

#include <yaml.h>

#include "diag.h"

#define YAMLDOC_MAX_DEPTH	64	/* lists and mappings, one in another */
#define YAMLDOC_NO_SIZE_CAP	((size_t)-1)

/*
 * Reads and parses path.  Returns 0 with *doc filled (the caller calls
 * yaml_document_delete), or -1 after reporting every problem to diags.
 * An empty file is a document without a root node.  A file larger than
 * max_size bytes is an error without being read (YAMLDOC_NO_SIZE_CAP:
 * no cap); nesting deeper than YAMLDOC_MAX_DEPTH is an error at the
 * first list or mapping too deep.  Does not log.
 */
int	yamldoc_load(const char *path, size_t max_size, yaml_document_t *doc,
	    struct diags *);

/*
 * Position (1-based line and column) of byte offset off in buf, counting
 * columns in characters, as libyaml does.
 */
void	yamldoc_position(const char *buf, size_t off, size_t *line,
	    size_t *col);

#endif
