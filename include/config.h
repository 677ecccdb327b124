/*
 * config.h: sitelist.yaml as an immutable, fully resolved configuration.
 *
 * Every site carries its effective settings: built-in defaults, then the
 * "defaults" section, then the site's own keys.  Names are normalised
 * (lower case, no trailing dot), addresses canonical, durations in
 * milliseconds, relative paths resolved against the directory of
 * sitelist.yaml.  Nothing in it changes after config_load() returns; a
 * reload loads a new one.
 */
#ifndef DNSFAILOVER_CONFIG_H
#define DNSFAILOVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "checkspec.h"
#include "diag.h"
#include "keyfile.h"
#include "parse.h"

#define CONFIG_DEFAULT_PATH	"/etc/dnsfailover/sitelist.yaml"
#define SITE_MAX_ADDRS		64	/* primary or failover addresses */
#define CONFIG_MAX_SIZE		(64 * 1024 * 1024)	/* sitelist.yaml, bytes */
#define CHECK_MAX_HEADERS	64	/* check.headers */
#define CHECK_MAX_ARGS		64	/* check.command */

enum dns_transport {
	DNS_TCP,
	DNS_UDP
};

struct dns_server {
	struct addr	addr;
	uint16_t	port;
	const struct addr *source;	/* dns.source of this family: the
					   local address its traffic leaves
					   from; NULL: the kernel's choice */
};

struct dns_conf {
	const struct dns_server	*servers;	/* tried in order */
	size_t			 nservers;
	const char		*key_file;
	const struct tsig_key	*key;
	enum dns_transport	 transport;
	uint64_t		 timeout_ms;
	bool			 verify;
};

struct site {
	const char		*name;
	const char		*zone;		/* NULL: found by SOA query */
	const char *const	*records;	/* at least one */
	size_t			 nrecords;
	const struct addr	*primary;	/* at least one */
	size_t			 nprimary;
	const struct addr	*failover;	/* at least one */
	size_t			 nfailover;
	unsigned		 ttl, fall, rise;
	uint64_t		 interval_ms;
	struct check_spec	 check;
	const struct dns_conf	*dns;
	/* rules 20-21 of doc/rules.md (inheritable from defaults) */
	bool			 failback_manual;	/* failback: manual */
	uint64_t		 failback_delay_ms;	/* 0: none */
	unsigned		 flap_switches;		/* 0: no flap hold */
	uint64_t		 flap_within_ms;
	size_t			 line;		/* in sitelist.yaml */
};

#define FLAP_MAX_SWITCHES	64	/* flap.switches at most */

#define HISTORY_DEFAULT_SIZE	((uint64_t)10 << 20)	/* 10 MiB */

#define MONITOR_MAX_PEERS	32
#define MONITOR_ID_MAX		63	/* a DNS label */

/*
 * monitor: (rules 13-17 of doc/rules.md).  Without peers, enabled is
 * false and only source may be set (probes leave from it).
 */
struct monitor_conf {
	bool			 enabled;	/* peers written */
	const char		*id;		/* lower case, one DNS label */
	const char *const	*peers;		/* as written; id among them */
	size_t			 npeers;
	unsigned		 quorum;	/* 1..npeers */
	const char		*zone;		/* the votes zone, no dot */
	uint64_t		 fresh_ms;
	/* the votes zone's DNS: dns.servers, timeout; tcp; no verify;
	 * signed with monitor.key (from monitor.key_file, else
	 * dns.key_file), else with dns.key */
	struct dns_conf		 dns;
	/* source: probes leave from these (NULL: the kernel's choice) */
	const struct addr	*source4, *source6;
	size_t			 line;		/* of monitor: */
};

struct config {
	const char		*path;
	struct dns_conf		 dns;
	const struct site	*sites;
	size_t			 nsites;
	const size_t		*byname;	/* sites[] in name order */
	const char		*state_file;	/* NULL: not set */
	unsigned		 max_parallel;
	const char		*notify_exec;	/* NULL: not set */
	const char		*notify_webhook;
	uint64_t		 notify_timeout_ms;	/* per hook run/POST */
	uint64_t		 notify_repeat_ms;	/* same alert again */
	const char		*metrics_file;
	const char *const	*canaries;
	size_t			 ncanaries;
	struct monitor_conf	 monitor;
	uint64_t		 history_size;	/* bytes, rule 22; default
						   HISTORY_DEFAULT_SIZE */

	/* owned storage */
	struct arena		*arena;
	struct keyfile		**keyfiles;
	size_t			 nkeyfiles;
};

/*
 * Loads and validates path and the key files it names.  Returns the
 * configuration, or NULL when diags received at least one error (all of
 * them, in one run).  Warnings may be added in both cases.  Does not log.
 */
struct config	*config_load(const char *path, struct diags *);

/* Wipes key secrets and frees everything; NULL is a no-op. */
void		 config_free(struct config *);

/*
 * Borrowed pointer to the site named name (any case, dot optional), or
 * NULL; a binary search, for callers that look up every site.
 */
const struct site *config_site_find(const struct config *, const char *name);

#endif
