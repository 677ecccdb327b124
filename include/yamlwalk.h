/*
 * yamlwalk.h: typed, position-aware reading of libyaml document nodes.
 *
 * Every accessor reports what is wrong with a node to the diags list, at
 * the node's line and column, and returns a failure value; the caller
 * goes on with the next key, so one pass finds every error of a file.
 * Mappings are walked with a table of known keys: unknown keys get the
 * nearest known name as a suggestion, duplicate keys (which libyaml
 * accepts silently) are reported at the second place.
 */
#ifndef DNSFAILOVER_YAMLWALK_H
#define DNSFAILOVER_YAMLWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "diag.h"
#include "util.h"

#define YW_MAX_LIST	4096		/* items in one list */

struct yamlwalk {
	const char	*path;		/* for messages */
	yaml_document_t	*doc;
	struct diags	*diags;
	struct arena	*arena;		/* where returned strings live */
};

/* Handler of one key; obj is what yw_map() was given. */
typedef void (*yw_field_fn)(struct yamlwalk *, const char *key,
    yaml_node_t *value, void *obj);

/*
 * A key is a row of a schema (Knot's conf/schema.c is the model): its
 * name, and either a handler for what needs code, or a type with its
 * bounds and where the value goes in obj, so that a plain number, time,
 * switch or text needs no code of its own.
 */
enum yw_type {
	YW_FN,		/* fn does it */
	YW_UINT,	/* unsigned, within [min, max] */
	YW_U64,		/* uint64_t, within [min, max] */
	YW_TIME,	/* time_t, seconds since the epoch, <= max */
	YW_MS,		/* uint64_t milliseconds from a duration, [min, max] */
	YW_BOOL,	/* bool */
	YW_TEXT,	/* char[max]: any scalar, cut at a whole
			   character (str_copy_whole) */
	YW_ENUM,	/* an enum: one of the nsub names in sub */
	YW_MAP		/* a mapping walked with the nsub rows in sub,
			   on the struct at off */
};

struct yw_field {
	const char		*name;
	yw_field_fn		 fn;
	enum yw_type		 type;
	size_t			 off;	/* of the value in obj */
	unsigned long long	 min, max;
	ptrdiff_t		 seen;	/* >= 0: a bool in obj set true
					   when the value is taken */
	const void		*sub;	/* YW_ENUM: names; YW_MAP: rows */
	size_t			 nsub;
	ptrdiff_t		 node;	/* >= 0: a yaml_node_t * in obj set
					   to the value when it is taken,
					   for later messages about it */
};

/*
 * Rows: a handler, or a typed value of member m of struct T; the _NODE
 * forms also keep the value's node in member node of T.
 */
#define YW_KEY(name, fn)	{ (name), (fn), YW_FN, 0, 0, 0, -1, NULL, 0, -1 }
#define YW_VAL(name, type, T, m, min, max) \
	{ (name), NULL, (type), offsetof(T, m), (min), (max), \
	  -1, NULL, 0, -1 }
#define YW_VAL_SEEN(name, type, T, m, min, max, seen) \
	{ (name), NULL, (type), offsetof(T, m), (min), (max), \
	  (ptrdiff_t)offsetof(T, seen), NULL, 0, -1 }
#define YW_VAL_NODE(name, type, T, m, min, max, node) \
	{ (name), NULL, (type), offsetof(T, m), (min), (max), -1, NULL, 0, \
	  (ptrdiff_t)offsetof(T, node) }
#define YW_ENUM_OF(name, T, m, names) \
	{ (name), NULL, YW_ENUM, offsetof(T, m), 0, 0, -1, (names), \
	  sizeof(names) / sizeof((names)[0]), -1 }
#define YW_ENUM_NODE(name, T, m, names, node) \
	{ (name), NULL, YW_ENUM, offsetof(T, m), 0, 0, -1, (names), \
	  sizeof(names) / sizeof((names)[0]), (ptrdiff_t)offsetof(T, node) }
#define YW_MAP_SELF(name, rows) \
	{ (name), NULL, YW_MAP, 0, 0, 0, -1, (rows), \
	  sizeof(rows) / sizeof((rows)[0]), -1 }
#define YW_MAP_OF(name, T, m, rows) \
	{ (name), NULL, YW_MAP, offsetof(T, m), 0, 0, -1, (rows), \
	  sizeof(rows) / sizeof((rows)[0]), -1 }
#define YW_MAP_NODE(name, T, m, rows, node) \
	{ (name), NULL, YW_MAP, offsetof(T, m), 0, 0, -1, (rows), \
	  sizeof(rows) / sizeof((rows)[0]), (ptrdiff_t)offsetof(T, node) }

void	yw_error(struct yamlwalk *, const yaml_node_t *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	yw_warning(struct yamlwalk *, const yaml_node_t *, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

yaml_node_t	*yw_node(struct yamlwalk *, int index);
/* "a mapping", "a list" or "a value", for messages. */
const char	*yw_kind(const yaml_node_t *);
/* The text of a scalar node (no check). */
const char	*yw_str(const yaml_node_t *);
/* A plain empty, ~ or null scalar. */
bool		 yw_is_null(const yaml_node_t *);

/*
 * Checked values; NULL, false or -1 after reporting the problem.  Strings
 * returned by yw_dname, yw_path and yw_url are in the walk's arena.
 */
const char	*yw_scalar(struct yamlwalk *, const char *key, yaml_node_t *);
const char	*yw_text(struct yamlwalk *, const char *key, yaml_node_t *);
bool		 yw_uint(struct yamlwalk *, const char *key, yaml_node_t *,
		    unsigned long long min, unsigned long long max,
		    unsigned *out);
bool		 yw_duration(struct yamlwalk *, const char *key,
		    yaml_node_t *, uint64_t min, uint64_t max, uint64_t *out);
bool		 yw_bool(struct yamlwalk *, const char *key, yaml_node_t *,
		    bool *out);
int		 yw_enum(struct yamlwalk *, const char *key, yaml_node_t *,
		    const char *const *names, size_t nnames);
const char	*yw_dname(struct yamlwalk *, const char *key, yaml_node_t *,
		    int flags);
/* A file path, made absolute against the directory of path. */
const char	*yw_path(struct yamlwalk *, const char *key, yaml_node_t *);
/* An http or https URL. */
const char	*yw_url(struct yamlwalk *, const char *key, yaml_node_t *);

/*
 * The items of a list, or the node itself when it is one scalar.  Returns
 * the count and a malloc'd array in *out (the caller frees it); 0 for an
 * empty list or after reporting a mapping or an over-long list.
 */
size_t	yw_items(struct yamlwalk *, const char *key, yaml_node_t *,
	    yaml_node_t ***out);

/* Walks a mapping, calling the handler of each known key with obj. */
void	yw_map(struct yamlwalk *, const char *what, yaml_node_t *map,
	    const struct yw_field *fields, size_t nfields, void *obj);

#endif
