/*
 * checkspec.h: what one probe of an address does, as sitelist.yaml's check:
 * section says it.  The probe side owns this: config.c fills it, the
 * probe engine and its check types (src/probe_*.c) read it.  Common
 * parts first, then one part per type; a type reads only its own part
 * and the common one.
 */
#ifndef DNSFAILOVER_CHECKSPEC_H
#define DNSFAILOVER_CHECKSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"

enum check_type {
	CHECK_HTTP,
	CHECK_HTTPS,
	CHECK_TCP,
	CHECK_DNS,
	CHECK_EXEC
};
#define CHECK_NTYPES	5
const char	*check_type_str(enum check_type);
#define CHECK_IS_WEB(t)	((t) == CHECK_HTTP || (t) == CHECK_HTTPS)

enum http_method {
	HTTP_GET,
	HTTP_HEAD
};
const char	*http_method_str(enum http_method);

struct http_header {
	const char	*name, *value;
};

/* http and https */
struct check_http {
	const char			*path;
	enum http_method		 method;
	const struct http_header	*headers;
	size_t				 nheaders;
	const struct status_range	*expect;
	size_t				 nexpect;
	const char			*expect_body;	/* NULL: not checked */
	uint64_t			 body_limit;	/* bytes */
	bool				 tls_verify;	/* https */
	const char			*ca_file;	/* NULL: system CAs */
	uint64_t			 cert_warn_ms;	/* https; 0: off */
};

/* tcp: connect, then optionally send, then optionally read until expect */
#define CHECK_TCP_READ_LIMIT	(64 * 1024)	/* read_limit, bytes */
struct check_tcp {
	const char	*send;		/* NULL: nothing sent */
	size_t		 nsend;		/* strlen(send): YAML's own escapes
					   ("\r\n"); no NUL */
	const char	*expect;	/* NULL: connecting is enough */
	size_t		 read_limit;	/* bytes read looking for expect */
};

/* dns: ask the address itself */
struct check_dns {
	const char	*name;		/* no trailing dot */
	uint16_t	 qtype;		/* RR type number (A = 1, ...) */
	const char	*expect;	/* NULL: any answer; else text that one
					   answer RR's rdata (presentation
					   form) must equal */
	bool		 tcp;		/* over TCP instead of UDP */
};

/* exec: run argv without a shell */
struct check_exec {
	const char *const	*argv;	/* argv[0] an absolute path; NULL-ended */
	size_t			 argc;
};

struct check_spec {
	enum check_type		 type;
	uint16_t		 port;
	const char		*host;	/* Host and SNI; NULL: site name */
	uint64_t		 timeout_ms;
	struct check_http	 http;
	struct check_tcp	 tcp;
	struct check_dns	 dns;
	struct check_exec	 exec;
};

#endif
