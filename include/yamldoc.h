/*
 * yamldoc.h: loads a configuration file as one libyaml document.
 *
 * The file must be UTF-8 and hold exactly one document without anchors,
 * aliases or tags.  Aliases are refused rather than expanded: the
 * document API cannot tell an alias from its anchor, a shared node makes
 * every error inside it ambiguous, and "defaults:" already gives every
 * site shared values.
 */
#ifndef DNSFAILOVER_YAMLDOC_H
#define DNSFAILOVER_YAMLDOC_H

#include <yaml.h>

#include "diag.h"

/*
 * Reads and parses path.  Returns 0 with *doc filled (the caller calls
 * yaml_document_delete), or -1 after reporting every problem to diags.
 * An empty file is a document without a root node.
 */
int	yamldoc_load(const char *path, yaml_document_t *doc, struct diags *);

/*
 * Position (1-based line and column) of byte offset off in buf, counting
 * columns in characters, as libyaml does.
 */
void	yamldoc_position(const char *buf, size_t off, size_t *line,
	    size_t *col);

/*
 * Offset of the first byte of buf that is not valid UTF-8 (overlong,
 * surrogate and out-of-range forms included), or len if all is valid.
 */
size_t	utf8_invalid(const unsigned char *buf, size_t len);

#endif
