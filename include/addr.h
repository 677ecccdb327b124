/*
 * addr.h: IPv4/IPv6 addresses as configured for servers and DNS targets.
 */
#ifndef DNSFAILOVER_ADDR_H
#define DNSFAILOVER_ADDR_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#define ADDR_STRLEN	INET6_ADDRSTRLEN

struct addr {
	int	family;				/* AF_INET or AF_INET6 */
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	}	u;
	char	text[ADDR_STRLEN];		/* canonical form (inet_ntop) */
};

/*
 * Parses a literal IPv4 or IPv6 address usable as a web server or DNS
 * server: no brackets, no scope ID, not unspecified, not multicast or
 * broadcast.  Returns 0, or -1 with a reason in err.  Does not log.
 */
int	addr_parse(const char *s, struct addr *out, char *err, size_t errlen);

/*
 * Parses "host[:port]" where host is an address literal; IPv6 with a port
 * is written "[2001:db8::53]:53", a bare IPv6 address takes defport.
 */
int	addr_parse_hostport(const char *s, uint16_t defport, struct addr *out,
	    uint16_t *port, char *err, size_t errlen);

int	addr_equal(const struct addr *, const struct addr *);

/* Whether every address of a[0..n) is in b[0..m). */
int	addr_subset(const struct addr *a, size_t n, const struct addr *b,
	    size_t m);
/* Whether a and b hold the same addresses, in any order. */
int	addr_same_set(const struct addr *a, size_t n, const struct addr *b,
	    size_t m);
/* "198.51.100.20, 2001:db8::20" into buf ("" for none). */
void	addr_list_str(const struct addr *a, size_t n, char *buf, size_t size);

/* a and port as a socket address in *ss; returns its length. */
struct sockaddr_storage;
socklen_t	addr_sockaddr(const struct addr *a, uint16_t port,
		    struct sockaddr_storage *ss);

#endif
