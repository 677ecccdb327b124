/*
 * config_load.h: what config.c and config_check.c share while they load
 * sitelist.yaml.  Internal to the config module: include/config.h is
 * the contract for everyone else.
 *
 * config_dns.c reads the dns: sections, the top one and a site's over
 * it, and loads the key files they name.
 *
 * config_check.c reads one check: mapping into a check_layer, the check
 * it describes and the value nodes written at that level, and judges
 * the effective check of a level.  config.c layers them: built-in, then
 * "defaults", then each site.
 */
#ifndef DNSFAILOVER_CONFIG_LOAD_H
#define DNSFAILOVER_CONFIG_LOAD_H

#include <stdbool.h>

#include <yaml.h>

#include "checkspec.h"
#include "config.h"
#include "keyfile.h"
#include "yamlwalk.h"

struct dns_layer {
	struct dns_conf		 conf;
	yaml_node_t		*n_key_file, *n_key, *n_servers;
	const struct addr	*source4, *source6;	/* dns.source */
};

/* The key files named so far, each loaded once; the loader frees them. */
struct keyfiles {
	char			**paths;	/* key files tried, */
	struct keyfile		**kf;		/* NULL where loading failed */
	size_t			 n;
};

/*
 * The top-level dns: n (NULL: not written) over the built-in values, its
 * servers and key required; what is missing is blamed at n, else root.
 */
void	config_dns_top(struct yamlwalk *, struct keyfiles *,
	    struct dns_layer *, yaml_node_t *n, yaml_node_t *root);

/* A site's dns: n over top, in the walk's arena. */
const struct dns_conf *config_dns_site(struct yamlwalk *, struct keyfiles *,
	    const struct dns_layer *top, yaml_node_t *n);

/*
 * A source: key (dns.source, monitor.source): one address or a list of
 * at most one IPv4 and one IPv6 address, each an address of this host
 * (a UDP socket binds to it).  Sets *v4 and *v6 to the arena's copies,
 * NULL for a family not given (a site's dns.source replaces the top's
 * whole, as servers does); reports what is wrong at its node.
 */
void	config_source(struct yamlwalk *, const char *key, yaml_node_t *n,
	    const struct addr **v4, const struct addr **v6);


struct check_layer {
	struct check_spec	 spec;
	bool			 port_set;	/* else the type's port */

	/* value nodes set at this level (NULL: inherited) */
	yaml_node_t		*n_timeout, *n_method, *n_body, *n_limit,
				*n_type, *n_query, *n_command;
};

/*
 * The keys of a check: mapping; obj is a struct check_layer.  The count
 * is asserted where the rows are (a declared size alone would let a
 * missing row be a zero one).
 */
#define CONFIG_CHECK_NFIELDS	17
#ifndef CONFIG_CHECK_ROWS
extern const struct yw_field config_check_fields[CONFIG_CHECK_NFIELDS];
#endif

/* The built-in check: http GET / expecting 200-399. */
void	config_check_builtin(struct check_layer *);

/* src as inherited by a lower level: values kept, their nodes forgotten. */
void	config_check_inherit(struct check_layer *dst,
	    const struct check_layer *src);

/*
 * Reports each key of map (the check: mapping written at this level, or
 * NULL) that does not apply to the layer's type.
 */
void	config_check_fit(struct yamlwalk *, const struct check_layer *,
	    const yaml_node_t *map);

/*
 * Reports what the layer's type cannot do without (the query of dns, the
 * command of exec), at its type, else at map, else at site.
 */
void	config_check_complete(struct yamlwalk *, const struct check_layer *,
	    yaml_node_t *map, yaml_node_t *site);

/* Reports keys of one level that contradict each other. */
void	config_check_conflicts(struct yamlwalk *, const struct check_layer *);

/* The check a layer ends with: its port, if none was given, the type's. */
struct check_spec config_check_spec(const struct check_layer *);

#endif
