/*
 * addr.c: parsing and comparing address literals.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "parse.h"
#include "util.h"

static int
addr_usable(const struct addr *a, char *err, size_t errlen)
{
	if (a->family == AF_INET) {
		uint32_t h = ntohl(a->u.v4.s_addr);

		if (h == 0) {
			snprintf(err, errlen, "%s is the unspecified address",
			    a->text);
			return -1;
		}
		if ((h >> 28) == 0xe || h == 0xffffffffu) {
			snprintf(err, errlen, "%s is a multicast or broadcast "
			    "address", a->text);
			return -1;
		}
		return 0;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(&a->u.v6)) {
		snprintf(err, errlen, "%s is the unspecified address", a->text);
		return -1;
	}
	if (IN6_IS_ADDR_MULTICAST(&a->u.v6)) {
		snprintf(err, errlen, "%s is a multicast address", a->text);
		return -1;
	}
	return 0;
}

int
addr_parse(const char *s, struct addr *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (strchr(s, '%') != NULL) {
		snprintf(err, errlen, "invalid IP address \"%s\": scope IDs "
		    "are not supported", s);
		return -1;
	}
	if (inet_pton(AF_INET, s, &out->u.v4) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, s, &out->u.v6) == 1)
		out->family = AF_INET6;
	else {
		snprintf(err, errlen, "invalid IP address \"%s\"", s);
		return -1;
	}
	inet_ntop(out->family, &out->u, out->text, sizeof(out->text));
	return addr_usable(out, err, errlen);
}

static int
port_parse(const char *s, uint16_t *port, char *err, size_t errlen)
{
	unsigned long long v;
	char perr[128];

	if (parse_uint(s, 1, 65535, &v, perr, sizeof(perr)) == -1) {
		snprintf(err, errlen, "invalid port \"%s\": %s", s, perr);
		return -1;
	}
	*port = (uint16_t)v;
	return 0;
}

int
addr_parse_hostport(const char *s, uint16_t defport, struct addr *out,
    uint16_t *port, char *err, size_t errlen)
{
	const char *colon = strrchr(s, ':'), *end;
	char host[ADDR_STRLEN + 2];
	size_t n;

	*port = defport;
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL) {
			snprintf(err, errlen, "invalid server \"%s\": missing "
			    "']'", s);
			return -1;
		}
		if (end[1] != '\0' && (end[1] != ':' ||
		    port_parse(end + 2, port, err, errlen) == -1)) {
			if (end[1] != ':')
				snprintf(err, errlen, "invalid server \"%s\": "
				    "expected ':' after ']'", s);
			return -1;
		}
		s++;
		n = (size_t)(end - s);
	} else if (colon != NULL && strchr(s, ':') == colon) {
		/* exactly one colon: IPv4 (or a name) with a port */
		if (port_parse(colon + 1, port, err, errlen) == -1)
			return -1;
		n = (size_t)(colon - s);
	} else
		n = strlen(s);	/* no port, or a bare IPv6 address */
	if (n >= sizeof(host)) {
		snprintf(err, errlen, "invalid IP address \"%s\"", s);
		return -1;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	return addr_parse(host, out, err, errlen);
}

int
addr_equal(const struct addr *a, const struct addr *b)
{
	if (a->family != b->family)
		return 0;
	if (a->family == AF_INET)
		return a->u.v4.s_addr == b->u.v4.s_addr;
	return memcmp(&a->u.v6, &b->u.v6, sizeof(a->u.v6)) == 0;
}

int
addr_subset(const struct addr *a, size_t n, const struct addr *b, size_t m)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < m && !addr_equal(&a[i], &b[j]); j++)
			;
		if (j == m)
			return 0;
	}
	return 1;
}

int
addr_same_set(const struct addr *a, size_t n, const struct addr *b,
    size_t m)
{
	return n == m && addr_subset(a, n, b, m);
}

void
addr_list_str(const struct addr *a, size_t n, char *buf, size_t size)
{
	size_t i, off = 0;

	if (size > 0)
		buf[0] = '\0';
	for (i = 0; i < n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s",
		    i ? ", " : "", a[i].text);
}

socklen_t
addr_sockaddr(const struct addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr = a->u.v4;
		return sizeof(*s4);
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	s6->sin6_addr = a->u.v6;
	return sizeof(*s6);
}
