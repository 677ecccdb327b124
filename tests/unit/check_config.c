/*
 * check_config.c: the sitelist.yaml loader, good files and bad ones, each
 * bad one with the exact diagnostics it must get.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"
#include "util.h"
#include "yamldoc.h"

/* Line 1 of most cases: a valid dns section. */
#define DNS	"dns: {servers: [127.0.0.1], key_file: k.key}\n"
#define SITE	"sites:\n  - {name: a.test, primary: 192.0.2.1, " \
		"failover: 192.0.2.2}\n"
/* One site with the check mapping c (written in flow style). */
#define CHECKED(c) "sites:\n  - {name: a.test, primary: 192.0.2.1, " \
		"failover: 192.0.2.2, check: " c "}\n"

static const struct {
	const char	*yaml;
	const char	*msgs;
} bad[] = {
	/* unknown keys: nearest known key, or the list */
	{ DNS "defaults:\n  intrval: 10s\n" SITE,
	  "sitelist.yaml:3:3: unknown key \"intrval\", did you mean "
	  "\"interval\"?\n" },
	{ DNS "defaults: {check: {expect_staus: 200}}\n" SITE,
	  "sitelist.yaml:2:20: unknown key \"expect_staus\", did you mean "
	  "\"expect_status\"?\n" },
	{ DNS "colour: blue\n" SITE,
	  "sitelist.yaml:2:1: unknown key \"colour\" (expected one of: dns, "
	  "defaults, sites, state_file, max_parallel, notify, metrics_file, "
	  "canaries, monitor, history_size)\n" },
	/* source: addresses of this host, one per family */
	{ "dns: {servers: [127.0.0.1], key_file: k.key, source: 192.0.2.7}\n"
	  SITE,
	  "sitelist.yaml:1:54: source: 192.0.2.7 is not an address of this "
	  "host\n" },
	{ DNS "monitor: {source: [127.0.0.21, 127.0.0.22]}\n" SITE,
	  "sitelist.yaml:2:32: source: 127.0.0.21 and 127.0.0.22 are both "
	  "IPv4 (at most one IPv4 and one IPv6 address)\n" },
	{ DNS "monitor: {source: [\"::1\", \"::1\"]}\n" SITE,
	  "sitelist.yaml:2:27: source: ::1 and ::1 are both IPv6 (at most one "
	  "IPv4 and one IPv6 address)\n" },
	{ DNS "monitor: {source: localhost}\n" SITE,
	  "sitelist.yaml:2:19: source: invalid IP address \"localhost\" (a "
	  "source is an address of this host)\n" },
	{ DNS "monitor: {source: []}\n" SITE,
	  "sitelist.yaml:2:19: source: the list is empty\n" },
	{ DNS "monitor: {source: {a: 1}}\n" SITE,
	  "sitelist.yaml:2:19: source: expected a list, got a mapping\n" },
	{ DNS "sites:\n  - {name: a.test, primary: 192.0.2.1, failover: "
	  "192.0.2.2, dns: {source: \"2001:db8::7\"}}\n",
	  "sitelist.yaml:3:75: source: 2001:db8::7 is not an address of "
	  "this host\n" },
	{ "dns: {servers: [127.0.0.1], key_file: k.key, tiemout: 1s}\n" SITE,
	  "sitelist.yaml:1:46: unknown key \"tiemout\", did you mean "
	  "\"timeout\"?\n" },
	/* duplicate keys, which libyaml accepts silently */
	{ DNS "defaults:\n  ttl: 30\n  ttl: 60\n" SITE,
	  "sitelist.yaml:4:3: duplicate key \"ttl\" (first at line 3)\n" },
	{ DNS "sites:\n  - name: a.test\n    primary: 192.0.2.1\n    "
	  "failover: 192.0.2.2\n    name: b.test\n",
	  "sitelist.yaml:6:5: duplicate key \"name\" (first at line 3)\n" },
	/* wrong types */
	{ DNS "defaults: {ttl: [60]}\n" SITE,
	  "sitelist.yaml:2:17: ttl: expected a single value, got a list\n" },
	{ DNS "defaults: {check: 5}\n" SITE,
	  "sitelist.yaml:2:19: check: expected a mapping, got a value\n" },
	{ DNS "defaults: {fall: three}\n" SITE,
	  "sitelist.yaml:2:18: fall: expected an integer, got \"three\"\n" },
	{ DNS "defaults: {ttl: }\n" SITE,
	  "sitelist.yaml:2:17: ttl: a value is required\n" },
	{ DNS "defaults: {check: {tls_verify: maybe}}\n" SITE,
	  "sitelist.yaml:2:32: tls_verify: expected true or false, got "
	  "\"maybe\"\n" },
	{ DNS "sites: {name: a.test}\n",
	  "sitelist.yaml:2:8: sites: expected a list of sites, got a "
	  "mapping\n" },
	{ DNS "? [a, b]\n: c\n" SITE,
	  "sitelist.yaml:2:3: keys must be plain names, not a list\n" },
	{ DNS "defaults: {check: {path: \"/a\\0b\"}}\n" SITE,
	  "sitelist.yaml:2:26: path: contains a NUL character\n" },
	/* out of range */
	{ DNS "defaults: {ttl: 86401, fall: 0, rise: 101}\n" SITE,
	  "sitelist.yaml:2:17: ttl: 86401 is out of range (1..86400)\n"
	  "sitelist.yaml:2:30: fall: 0 is out of range (1..100)\n"
	  "sitelist.yaml:2:39: rise: 101 is out of range (1..100)\n" },
	{ DNS "defaults: {check: {port: 65536}}\n" SITE,
	  "sitelist.yaml:2:26: port: 65536 is out of range (1..65535)\n" },
	{ DNS "defaults: {interval: 500ms}\n" SITE,
	  "sitelist.yaml:2:22: interval: 500ms is out of range (1s..24h)\n" },
	{ DNS "max_parallel: 0\n" SITE,
	  "sitelist.yaml:2:15: max_parallel: 0 is out of range (1..65536)\n" },
	{ DNS "defaults: {check: {body_limit: 65MiB}}\n" SITE,
	  "sitelist.yaml:2:32: body_limit: 65MiB is out of range "
	  "(1..64MiB)\n" },
	/* timeout less than interval, blamed where it was set */
	{ DNS "defaults:\n  interval: 5s\n" SITE,
	  "sitelist.yaml:3:13: check timeout 5s must be less than interval "
	  "5s\n" },
	{ DNS "sites:\n  - {name: a.test, primary: 192.0.2.1, failover: "
	  "192.0.2.2, check: {timeout: 10s}}\n",
	  "sitelist.yaml:3:78: check timeout 10s must be less than interval "
	  "10s\n" },
	/* addresses */
	{ DNS "sites:\n  - {name: a.test, primary: 192.0.2.300, failover: "
	  "192.0.2.2}\n",
	  "sitelist.yaml:3:29: primary: invalid IP address "
	  "\"192.0.2.300\"\n" },
	{ DNS "sites:\n  - {name: a.test, primary: [192.0.2.1, 192.0.2.1], "
	  "failover: \"::\"}\n",
	  "sitelist.yaml:3:41: primary: 192.0.2.1 is listed twice\n"
	  "sitelist.yaml:3:63: failover: :: is the unspecified address\n" },
	{ DNS "sites:\n  - {name: a.test, primary: 192.0.2.1, failover: "
	  "[192.0.2.1]}\n",
	  "sitelist.yaml:3:50: 192.0.2.1 is both a primary and a failover "
	  "address\n" },
	{ "dns: {servers: [ns1.example.com], key_file: k.key}\n" SITE,
	  "sitelist.yaml:1:17: servers: invalid IP address "
	  "\"ns1.example.com\" (servers are IP addresses, optionally with "
	  ":port)\n" },
	{ "dns: {servers: [\"[::1]:99999\"], key_file: k.key}\n" SITE,
	  "sitelist.yaml:1:17: servers: invalid port \"99999\": 99999 is out "
	  "of range (1..65535) (servers are IP addresses, optionally with "
	  ":port)\n" },
	/* empty primary or failover */
	{ DNS "sites:\n  - {name: a.test, primary: [], failover: "
	  "192.0.2.2}\n",
	  "sitelist.yaml:3:29: primary: the list is empty; give at least one "
	  "address\n" },
	{ DNS "sites:\n  - {name: a.test, primary: 192.0.2.1}\n",
	  "sitelist.yaml:3:12: site \"a.test\" has no failover address (set "
	  "failover here or in defaults)\n" },
	{ DNS "defaults: {primary: 192.0.2.999}\nsites:\n  - {name: a.test, "
	  "failover: 192.0.2.2}\n  - {name: b.test, failover: 192.0.2.3}\n",
	  "sitelist.yaml:2:21: primary: invalid IP address "
	  "\"192.0.2.999\"\n" },
	{ DNS "sites:\n  - {primary: 192.0.2.1, failover: 192.0.2.2}\n",
	  "sitelist.yaml:3:5: site: \"name\" is required\n" },
	/* names, zones, records */
	{ DNS "sites:\n  - {name: \"a_b-.test\", primary: 192.0.2.1, failover: "
	  "192.0.2.2}\n",
	  "sitelist.yaml:3:12: name: invalid name \"a_b-.test\": label starts "
	  "or ends with '-'\n" },
	{ DNS "sites:\n  - {name: a.test, zone: test, records: [a.test, "
	  "www.b.example], primary: 192.0.2.1, failover: 192.0.2.2}\n",
	  "sitelist.yaml:3:50: record \"www.b.example\" is outside zone "
	  "\"test\"\n" },
	{ DNS "sites:\n  - {name: a.test, zone: b.test, primary: 192.0.2.1, "
	  "failover: 192.0.2.2}\n",
	  "sitelist.yaml:3:12: record \"a.test\" is outside zone \"b.test\"\n" },
	{ DNS "sites:\n  - {name: a.test, primary: 192.0.2.1, failover: "
	  "192.0.2.2}\n  - {name: A.Test., primary: 192.0.2.3, failover: "
	  "192.0.2.4}\n",
	  "sitelist.yaml:4:12: duplicate site name \"a.test\" (first at line "
	  "3)\n" },
	{ DNS "sites:\n  - {name: a.test, records: [www.a.test], primary: "
	  "192.0.2.1, failover: 192.0.2.2}\n  - {name: b.test, records: "
	  "[WWW.A.TEST.], primary: 192.0.2.3, failover: 192.0.2.4}\n",
	  "sitelist.yaml:4:30: record \"www.a.test\" is already managed by "
	  "site \"a.test\" (line 3)\n" },
	{ DNS "sites:\n  - {name: a.test, records: [a.test, a.test], "
	  "primary: 192.0.2.1, failover: 192.0.2.2}\n",
	  "sitelist.yaml:3:38: record \"a.test\" is listed twice\n" },
	/* check spec */
	{ DNS "defaults: {check: {expect_status: [200, \"300-299\", "
	  "abc]}}\n" SITE,
	  "sitelist.yaml:2:41: expect_status: invalid status range "
	  "\"300-299\": 300 is above 299\n"
	  "sitelist.yaml:2:52: expect_status: invalid status \"abc\" (expected "
	  "a code 100..599, a range like \"200-399\", or \"2xx\")\n" },
	{ DNS "defaults: {check: {timeout: 5 s}}\n" SITE,
	  "sitelist.yaml:2:29: timeout: invalid duration \"5 s\": unknown "
	  "unit \" s\" (use ms, s, m or h)\n" },
	{ DNS "defaults: {check: {body_limit: 64KB}}\n" SITE,
	  "sitelist.yaml:2:32: body_limit: invalid size \"64KB\": unknown "
	  "unit \"KB\" (use KiB or MiB)\n" },
	{ DNS "defaults: {check: {type: htp, method: POST}}\n" SITE,
	  "sitelist.yaml:2:26: type: \"htp\" is not one of: http, https, "
	  "tcp, dns, exec\n"
	  "sitelist.yaml:2:39: method: \"POST\" is not one of: GET, HEAD\n" },
	{ DNS "defaults: {check: {method: HEAD, expect_body: ok}}\n" SITE,
	  "sitelist.yaml:2:47: expect_body cannot be checked with method "
	  "HEAD (a HEAD response has no body)\n" },
	{ DNS "defaults: {check: {body_limit: 2, expect_body: abc}}\n" SITE,
	  "sitelist.yaml:2:48: expect_body is longer than body_limit (2 "
	  "bytes)\n" },
	{ DNS "defaults: {check: {headers: {Host: x.test, \"Bad Name\": 1, "
	  "X-A: 1, x-a: 2}}}\n" SITE,
	  "sitelist.yaml:2:30: headers: set the Host header with check.host, "
	  "which also sets TLS SNI\n"
	  "sitelist.yaml:2:44: headers: invalid header name\n"
	  "sitelist.yaml:2:67: headers: \"x-a\" is given twice\n" },
	{ DNS "defaults: {check: {path: health}}\n" SITE,
	  "sitelist.yaml:2:26: path: \"health\" must start with '/' and "
	  "contain no spaces or '#'\n" },
	{ DNS "defaults: {check: {ca_file: /nonexistent/ca.pem}}\n" SITE,
	  "sitelist.yaml:2:29: ca_file: cannot read /nonexistent/ca.pem: No "
	  "such file or directory\n" },
	/* notify, canaries */
	{ DNS "notify: {exec: page-oncall, webhook: \"ftp://x.test/\"}\n"
	  "canaries: [\"not a url\"]\n" SITE,
	  "sitelist.yaml:2:16: exec: \"page-oncall\" must be an absolute path "
	  "(it runs without a shell)\n"
	  "sitelist.yaml:2:38: webhook: URL \"ftp://x.test/\" must use http or "
	  "https\n"
	  "sitelist.yaml:3:12: canaries: invalid URL \"not a url\"\n" },
	/* dns section and key file */
	{ SITE,
	  "sitelist.yaml:1:1: dns: \"servers\" is required (the DNS servers "
	  "that take the updates)\n"
	  "sitelist.yaml:1:1: dns: \"key_file\" is required (updates are "
	  "signed with TSIG)\n" },
	{ "dns: {servers: [127.0.0.1], key_file: nokey.key}\n" SITE,
	  "sitelist.yaml:1:39: key file nokey.key: No such file or "
	  "directory\n" },
	{ "dns: {servers: [127.0.0.1], key_file: k.key, key: other}\n" SITE,
	  "sitelist.yaml:1:51: key \"other\" is not in k.key (it holds: "
	  "failover-key)\n" },
	{ "dns: {servers: [127.0.0.1], key_file: k.key, transport: quic}\n"
	  SITE,
	  "sitelist.yaml:1:57: transport: \"quic\" is not one of: tcp, udp\n" },
	{ DNS "sites:\n  - {name: a.test, primary: 192.0.2.1, failover: "
	  "192.0.2.2, dns: {key_file: none.key}}\n",
	  "sitelist.yaml:3:77: key file none.key: No such file or "
	  "directory\n" },
	/* YAML itself */
	{ DNS "defaults:\n  ttl: 60\n bad: indent\n" SITE,
	  "sitelist.yaml:4:2: did not find expected key (while parsing a "
	  "block mapping at 1:1)\n" },
	{ DNS "sites: [a.test\n",
	  "sitelist.yaml:3:1: did not find expected ',' or ']' (while parsing "
	  "a flow sequence at 2:8)\n" },
	{ DNS "defaults:\n\tttl: 60\n" SITE,
	  "sitelist.yaml:3:1: found character that cannot start any token "
	  "(while scanning for the next token at 3:1)\n" },
	{ DNS "# caf\xc3\xa9\ndefaults: {ttl: 6\xff}\n" SITE,
	  "sitelist.yaml:3:18: invalid UTF-8 (byte 0xff); the file must be "
	  "UTF-8\n" },
	{ DNS SITE "---\n" DNS SITE,
	  "sitelist.yaml:4:1: more than one YAML document in the file (remove "
	  "the second \"---\")\n" },
	{ DNS "defaults: &d {ttl: 60}\nsites:\n  - {name: a.test, primary: "
	  "192.0.2.1, failover: 192.0.2.2, check: *d}\n",
	  "sitelist.yaml:2:11: anchors (&name) are not supported; put shared "
	  "values in \"defaults\"\n"
	  "sitelist.yaml:4:68: aliases (*name) are not supported; put shared "
	  "values in \"defaults\"\n" },
	{ DNS "defaults: {ttl: !!int 60}\n" SITE,
	  "sitelist.yaml:2:17: tags (!name) are not supported; write the "
	  "value without a tag\n" },
	{ "", "sitelist.yaml:1:1: the file is empty\n" },
	{ "- a\n- b\n",
	  "sitelist.yaml:1:1: the top level must be a mapping (dns:, "
	  "defaults:, sites:, ...), not a list\n" },
	{ DNS, "sitelist.yaml:1:1: \"sites\" is required (the list of sites to "
	  "monitor)\n" },
	/* check types: keys that do not fit, what each type needs */
	{ DNS CHECKED("{query: {name: a.test}}"),
	  "sitelist.yaml:3:69: \"query\" does not apply to a check of type http (it is for: dns)\n" },
	{ DNS CHECKED("{type: tcp, command: [/bin/true]}"),
	  "sitelist.yaml:3:80: \"command\" does not apply to a check of type tcp (it is for: exec)\n" },
	{ DNS CHECKED("{type: dns, path: /, query: {name: a.test}}"),
	  "sitelist.yaml:3:80: \"path\" does not apply to a check of type dns (it is for: http, https)\n" },
	{ DNS CHECKED("{cert_warn: 14d}"),
	  "sitelist.yaml:3:69: \"cert_warn\" does not apply to a check of type http (it is for: https)\n" },
	{ DNS CHECKED("{type: dns}"),
	  "sitelist.yaml:3:75: check: type dns needs \"query\" (the name and type to ask the address for)\n" },
	{ DNS CHECKED("{type: exec}"),
	  "sitelist.yaml:3:75: check: type exec needs \"command\" (the program to run, and its arguments, as a list)\n" },
	{ DNS CHECKED("{type: exec, command: /bin/true}"),
	  "sitelist.yaml:3:90: command: expected a list (the program, then its arguments; there is no shell), got a value\n" },
	{ DNS CHECKED("{type: exec, command: []}"),
	  "sitelist.yaml:3:90: command: the list is empty\n" },
	{ DNS CHECKED("{type: exec, command: [bin/true]}"),
	  "sitelist.yaml:3:91: command: \"bin/true\" must be an absolute path (it runs without a shell)\n" },
	{ DNS CHECKED("{type: exec, command: [/nonexistent/check]}"),
	  "sitelist.yaml:3:91: command: /nonexistent/check: No such file or directory\n" },
	{ DNS CHECKED("{type: exec, command: [/etc/passwd]}"),
	  "sitelist.yaml:3:91: command: /etc/passwd is not an executable file\n" },
	{ DNS CHECKED("{type: exec, command: [/tmp, \"a\\nb\"]}"),
	  "sitelist.yaml:3:91: command: /tmp is not an executable file\n"
	  "sitelist.yaml:3:97: command: contains a control character\n" },
	{ DNS CHECKED("{type: dns, query: {name: a.test, type: BOGUS}}"),
	  "sitelist.yaml:3:108: type: \"BOGUS\" is not a record type a probe can ask for (A, AAAA, MX, TXT, SOA, ...)\n" },
	{ DNS CHECKED("{type: dns, query: {name: a.test, type: AXFR}}"),
	  "sitelist.yaml:3:108: type: \"AXFR\" is not a record type a probe can ask for (A, AAAA, MX, TXT, SOA, ...)\n" },
	{ DNS CHECKED("{type: dns, query: {name: a.test, expect: \"2001:db8::1\"}}"),
	  "sitelist.yaml:3:110: expect: \"2001:db8::1\" is not an IPv4 address (the query asks for A)\n" },
	{ DNS CHECKED("{type: dns, query: {type: A}}"),
	  "sitelist.yaml:3:87: query: \"name\" is required (the name to ask the address for)\n" },
	{ DNS CHECKED("{type: dns, query: a.test}"),
	  "sitelist.yaml:3:87: query: expected a mapping {name, type, expect}, got a value\n" },
	{ DNS CHECKED("{type: tcp, send: \"\", expect: \"a\\0b\"}"),
	  "sitelist.yaml:3:86: send: empty text (use null for none)\n"
	  "sitelist.yaml:3:98: expect: contains a NUL character\n" },
	{ DNS CHECKED("{type: https, cert_warn: 400d}"),
	  "sitelist.yaml:3:93: cert_warn: 400d is out of range (0..365d)\n" },
	{ DNS CHECKED("{type: https, cert_warn: 2w}"),
	  "sitelist.yaml:3:93: cert_warn: invalid duration \"2w\" (expected whole days like 14d, or ms, s, m or h)\n" },
	{ DNS CHECKED("{type: pop3}"),
	  "sitelist.yaml:3:75: type: \"pop3\" is not one of: http, https, tcp, dns, exec\n" },
	/* rules 20-21: failback and flap; rule 22: history_size */
	{ DNS "defaults: {failback: sometimes, failback_delay: 200h}\n" SITE,
	  "sitelist.yaml:2:22: failback: \"sometimes\" is not one of: auto, "
	  "manual\n"
	  "sitelist.yaml:2:49: failback_delay: invalid duration \"200h\": "
	  "longer than 7 days\n" },
	{ DNS "defaults: {failback_delay: 5 m}\n" SITE,
	  "sitelist.yaml:2:28: failback_delay: invalid duration \"5 m\": "
	  "unknown unit \" m\" (use ms, s, m or h)\n" },
	{ DNS "defaults: {flap: {switches: 0, within: 0s}}\n" SITE,
	  "sitelist.yaml:2:29: switches: 0 is out of range (1..64)\n"
	  "sitelist.yaml:2:40: within: 0s is out of range (1s..168h)\n" },
	{ DNS "defaults: {flap: {switches: 65, within: [1h]}}\n" SITE,
	  "sitelist.yaml:2:29: switches: 65 is out of range (1..64)\n"
	  "sitelist.yaml:2:41: within: expected a single value, got a "
	  "list\n" },
	{ DNS "defaults: {flap: {within: 30m}}\n" SITE,
	  "sitelist.yaml:2:18: flap: \"switches\" is required (how many "
	  "automatic switches within \"within\" hold the site; null: no "
	  "flap hold)\n" },
	{ DNS "defaults: {flap: 4}\n" SITE,
	  "sitelist.yaml:2:18: flap: expected a mapping, got a value\n" },
	{ DNS "defaults: {flap: {switches: 4, withn: 1h}}\n" SITE,
	  "sitelist.yaml:2:32: unknown key \"withn\", did you mean "
	  "\"within\"?\n" },
	{ DNS "sites:\n  - {name: a.test, primary: 192.0.2.1, failover: "
	  "192.0.2.2, failback: never, flap: {switches: x}}\n",
	  "sitelist.yaml:3:71: failback: \"never\" is not one of: auto, "
	  "manual\n"
	  "sitelist.yaml:3:95: switches: expected an integer, got \"x\"\n" },
	{ DNS "history_size: 1KiB\n" SITE,
	  "sitelist.yaml:2:15: history_size: 1KiB is out of range "
	  "(64KiB..1024GiB)\n" },
	{ DNS "history_size: 10MB\n" SITE,
	  "sitelist.yaml:2:15: history_size: invalid size \"10MB\": unknown "
	  "unit \"MB\" (use KiB or MiB)\n" },
	{ DNS "history_size: [1MiB]\n" SITE,
	  "sitelist.yaml:2:15: history_size: expected a single value, got a "
	  "list\n" },
	/* defaults: an error only next to the type it does not fit */
	{ DNS "defaults: {check: {type: dns, path: /x}}\n" CHECKED("{type: http}"),
	  "sitelist.yaml:2:31: \"path\" does not apply to a check of type dns "
	  "(it is for: http, https)\n" },
	/* a site's own key against its inherited type */
	{ DNS "defaults: {check: {type: https}}\n" CHECKED("{send: x}"),
	  "sitelist.yaml:4:69: \"send\" does not apply to a check of type "
	  "https (it is for: tcp)\n" },
};

START_TEST(test_bad)
{
	struct config *cfg;
	char *msgs = unit_load(bad[_i].yaml, &cfg);

	ck_assert_str_eq(msgs, bad[_i].msgs);
	ck_assert_ptr_null(cfg);
	free(msgs);
}
END_TEST

/* source: one address or one per family; servers take their family's. */
START_TEST(test_sources)
{
	struct config *cfg;
	char *msgs = unit_load("dns: {servers: [127.0.0.1, \"::1\", "
	    "\"[::1]:5353\"], key_file: k.key, source: [\"::1\", 127.0.0.21]}\n"
	    "monitor: {source: 127.0.0.22}\n"
	    "sites:\n"
	    "  - {name: a.test, primary: 192.0.2.1, failover: 192.0.2.2}\n"
	    "  - {name: b.test, primary: 192.0.2.1, failover: 192.0.2.2, "
	    "dns: {source: 127.0.0.23}}\n"
	    "  - {name: c.test, primary: 192.0.2.1, failover: 192.0.2.2, "
	    "dns: {servers: [127.0.0.2]}}\n", &cfg);
	const struct dns_conf *d;

	ck_assert_str_eq(msgs, "");
	ck_assert_ptr_nonnull(cfg);
	ck_assert_str_eq(cfg->monitor.source4->text, "127.0.0.22");
	ck_assert_ptr_null(cfg->monitor.source6);
	ck_assert(!cfg->monitor.enabled);
	d = &cfg->dns;
	ck_assert_uint_eq(d->nservers, 3);
	ck_assert_str_eq(d->servers[0].source->text, "127.0.0.21");
	ck_assert_str_eq(d->servers[1].source->text, "::1");
	ck_assert_str_eq(d->servers[2].source->text, "::1");
	ck_assert_ptr_eq(cfg->sites[0].dns, &cfg->dns);
	/*
	 * A site's source over the top's servers: its own copy of them.
	 * Written, it replaces the top's whole (no IPv6 source here).
	 */
	d = config_site_find(cfg, "b.test")->dns;
	ck_assert_str_eq(d->servers[0].source->text, "127.0.0.23");
	ck_assert_ptr_null(d->servers[1].source);
	ck_assert_str_eq(cfg->dns.servers[0].source->text, "127.0.0.21");
	/* a site's servers under the top's source */
	d = config_site_find(cfg, "c.test")->dns;
	ck_assert_uint_eq(d->nservers, 1);
	ck_assert_str_eq(d->servers[0].source->text, "127.0.0.21");
	config_free(cfg);
	free(msgs);
	/* none: the kernel's choice */
	msgs = unit_load(DNS SITE, &cfg);
	ck_assert_str_eq(msgs, "");
	ck_assert_ptr_null(cfg->dns.servers[0].source);
	ck_assert_ptr_null(cfg->monitor.source4);
	ck_assert_ptr_null(cfg->monitor.source6);
	config_free(cfg);
	free(msgs);
}
END_TEST

START_TEST(test_builtin_defaults)
{
	struct config *cfg;
	char *msgs = unit_load(DNS "sites:\n  - {name: Site1.COM., primary: "
	    "192.0.2.1, failover: \"2001:DB8::2\"}\n", &cfg);
	const struct site *s;

	ck_assert_str_eq(msgs, "");
	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(cfg->nsites, 1);
	s = config_site_find(cfg, "SITE1.com.");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->name, "site1.com");
	ck_assert_ptr_null(s->zone);
	ck_assert_uint_eq(s->nrecords, 1);
	ck_assert_str_eq(s->records[0], "site1.com");
	ck_assert_str_eq(s->failover[0].text, "2001:db8::2");
	ck_assert_uint_eq(s->ttl, 60);
	ck_assert_uint_eq(s->interval_ms, 10000);
	ck_assert_uint_eq(s->fall, 3);
	ck_assert_uint_eq(s->rise, 2);
	ck_assert_int_eq(s->check.type, CHECK_HTTP);
	ck_assert_uint_eq(s->check.port, 80);
	ck_assert_str_eq(s->check.http.path, "/");
	ck_assert_ptr_null(s->check.host);
	ck_assert_int_eq(s->check.http.method, HTTP_GET);
	ck_assert_uint_eq(s->check.http.nexpect, 1);
	ck_assert_uint_eq(s->check.http.expect[0].lo, 200);
	ck_assert_uint_eq(s->check.http.expect[0].hi, 399);
	ck_assert_uint_eq(s->check.http.body_limit, 65536);
	ck_assert_uint_eq(s->check.timeout_ms, 5000);
	ck_assert(s->check.http.tls_verify);
	ck_assert_ptr_eq(s->dns, &cfg->dns);
	ck_assert_int_eq(cfg->dns.transport, DNS_TCP);
	ck_assert_uint_eq(cfg->dns.timeout_ms, 3000);
	ck_assert(cfg->dns.verify);
	ck_assert_uint_eq(cfg->dns.servers[0].port, 53);
	ck_assert_str_eq(cfg->dns.key->name, "failover-key");
	ck_assert_uint_eq(cfg->max_parallel, 200);
	ck_assert_ptr_null(cfg->state_file);
	ck_assert_ptr_null(config_site_find(cfg, "other.test"));
	config_free(cfg);
	free(msgs);
}
END_TEST

START_TEST(test_inheritance)
{
	struct config *cfg;
	char *msgs = unit_load(
	    "dns: {servers: [\"[::1]:5300\", 127.0.0.1], key_file: k.key, "
	    "transport: udp, timeout: 2s, verify: false}\n"
	    "defaults:\n"
	    "  ttl: 30\n"
	    "  interval: 20s\n"
	    "  primary: [192.0.2.1, 192.0.2.2]\n"
	    "  failover: 198.51.100.1\n"
	    "  check: {headers: {X-Token: abc}, expect_status: [200, 2xx], "
	    "timeout: 2s}\n"
	    "sites:\n"
	    "  - name: a.test\n"
	    "    check: {type: https, path: /health, expect_body: OK}\n"
	    "    dns: {servers: [127.0.0.2]}\n"
	    "  - name: b.test\n"
	    "    zone: b.test\n"
	    "    records: [b.test, \"*.b.test\"]\n"
	    "    ttl: 300\n"
	    "    check: {type: tcp, port: 2222, host: Other.Test}\n"
	    "state_file: state/dnsfailover.state\n"
	    "notify: {exec: /bin/true, webhook: \"https://hooks.test/x\"}\n"
	    "canaries: [\"https://www.iana.org/\", \"http://127.0.0.1/\"]\n",
	    &cfg);
	const struct site *a, *b;

	ck_assert_str_eq(msgs, "");
	ck_assert_ptr_nonnull(cfg);
	a = &cfg->sites[0];
	b = &cfg->sites[1];
	ck_assert_uint_eq(a->ttl, 30);
	ck_assert_uint_eq(a->interval_ms, 20000);
	ck_assert_uint_eq(a->nprimary, 2);
	ck_assert_int_eq(a->check.type, CHECK_HTTPS);
	ck_assert_uint_eq(a->check.port, 443);
	ck_assert_str_eq(a->check.http.path, "/health");
	ck_assert_str_eq(a->check.http.expect_body, "OK");
	ck_assert_uint_eq(a->check.http.nheaders, 1);
	ck_assert_str_eq(a->check.http.headers[0].value, "abc");
	ck_assert_uint_eq(a->check.http.nexpect, 2);
	ck_assert_uint_eq(a->check.timeout_ms, 2000);
	/* per-site dns: own servers, everything else inherited */
	ck_assert_ptr_ne(a->dns, &cfg->dns);
	ck_assert_uint_eq(a->dns->nservers, 1);
	ck_assert_str_eq(a->dns->servers[0].addr.text, "127.0.0.2");
	ck_assert_ptr_eq(a->dns->key, cfg->dns.key);
	ck_assert_int_eq(a->dns->transport, DNS_UDP);
	ck_assert(!a->dns->verify);
	ck_assert_uint_eq(cfg->dns.nservers, 2);
	ck_assert_str_eq(cfg->dns.servers[0].addr.text, "::1");
	ck_assert_uint_eq(cfg->dns.servers[0].port, 5300);
	ck_assert_uint_eq(b->ttl, 300);
	ck_assert_str_eq(b->zone, "b.test");
	ck_assert_uint_eq(b->nrecords, 2);
	ck_assert_str_eq(b->records[1], "*.b.test");
	ck_assert_int_eq(b->check.type, CHECK_TCP);
	ck_assert_uint_eq(b->check.port, 2222);
	ck_assert_str_eq(b->check.host, "other.test");
	ck_assert_ptr_null(b->check.http.expect_body);
	ck_assert_ptr_eq(b->dns, &cfg->dns);
	/* relative paths are read from the directory of sitelist.yaml */
	ck_assert(strstr(cfg->state_file, unit_tmpdir()) == cfg->state_file);
	ck_assert(strstr(cfg->dns.key_file, "/k.key") != NULL);
	ck_assert_str_eq(cfg->notify_exec, "/bin/true");
	ck_assert_uint_eq(cfg->ncanaries, 2);
	config_free(cfg);
	free(msgs);
}
END_TEST

START_TEST(test_null_resets_to_builtin)
{
	struct config *cfg;
	char *msgs = unit_load(DNS
	    "defaults: {check: {host: x.test, expect_body: OK, port: 8080}}\n"
	    "sites:\n"
	    "  - {name: a.test, primary: 192.0.2.1, failover: 192.0.2.2, "
	    "check: {host: null, expect_body: ~, port: null, type: https}}\n",
	    &cfg);

	ck_assert_str_eq(msgs, "");
	ck_assert_ptr_nonnull(cfg);
	ck_assert_ptr_null(cfg->sites[0].check.host);
	ck_assert_ptr_null(cfg->sites[0].check.http.expect_body);
	ck_assert_uint_eq(cfg->sites[0].check.port, 443);
	config_free(cfg);
	free(msgs);
}
END_TEST

/* The keys of each check type, and where a site's keys come from. */
START_TEST(test_check_types)
{
	struct config *cfg;
	char *msgs = unit_load(DNS
	    "defaults: {check: {path: /x, expect_body: OK, "
	    "query: {name: Www.Example.COM., type: aaaa, expect: "
	    "\"2001:DB8:0::1\", tcp: true}}}\n"
	    "sites:\n"
	    "  - {name: t.test, primary: 192.0.2.1, failover: 192.0.2.2, "
	    "check: {type: tcp, send: \"PING\\r\\n\", expect: \"+PONG\"}}\n"
	    "  - {name: d.test, primary: 192.0.2.1, failover: 192.0.2.2, "
	    "check: {type: dns}}\n"
	    "  - {name: m.test, primary: 192.0.2.1, failover: 192.0.2.2, "
	    "check: {type: dns, query: {name: m.test, type: MX, expect: \"10 mx.m.test.\"}}}\n"
	    "  - {name: e.test, primary: 192.0.2.1, failover: 192.0.2.2, "
	    "check: {type: exec, command: [/bin/true, --deep]}}\n"
	    "  - {name: s.test, primary: 192.0.2.1, failover: 192.0.2.2, "
	    "check: {type: https, cert_warn: 14d}}\n"
	    "  - {name: z.test, primary: 192.0.2.1, failover: 192.0.2.2, "
	    "check: {type: https, cert_warn: 0}}\n",
	    &cfg);
	const struct site *t, *d, *m, *e, *s, *z;

	ck_assert_str_eq(msgs, "");
	ck_assert_ptr_nonnull(cfg);
	t = &cfg->sites[0];
	d = &cfg->sites[1];
	m = &cfg->sites[2];
	e = &cfg->sites[3];
	s = &cfg->sites[4];
	z = &cfg->sites[5];
	/* tcp: YAML's escapes are the bytes; inherited http and dns keys
	 * that do not apply are ignored */
	ck_assert_int_eq(t->check.type, CHECK_TCP);
	ck_assert_uint_eq(t->check.port, 80);
	ck_assert_uint_eq(t->check.tcp.nsend, 6);
	ck_assert_str_eq(t->check.tcp.send, "PING\r\n");
	ck_assert_str_eq(t->check.tcp.expect, "+PONG");
	ck_assert_uint_eq(t->check.tcp.read_limit, CHECK_TCP_READ_LIMIT);
	/* the query from defaults (no type there: no error): name
	 * normalised, address canonical */
	ck_assert_int_eq(d->check.type, CHECK_DNS);
	ck_assert_uint_eq(d->check.port, 53);
	ck_assert_str_eq(d->check.dns.name, "www.example.com");
	ck_assert_uint_eq(d->check.dns.qtype, 28);
	ck_assert_str_eq(d->check.dns.expect, "2001:db8::1");
	ck_assert(d->check.dns.tcp);
	/* a site's query replaces the inherited one whole */
	ck_assert_uint_eq(m->check.dns.qtype, 15);
	ck_assert_str_eq(m->check.dns.expect, "10 mx.m.test.");
	ck_assert(!m->check.dns.tcp);
	ck_assert_int_eq(e->check.type, CHECK_EXEC);
	ck_assert_uint_eq(e->check.port, 0);
	ck_assert_uint_eq(e->check.exec.argc, 2);
	ck_assert_str_eq(e->check.exec.argv[0], "/bin/true");
	ck_assert_str_eq(e->check.exec.argv[1], "--deep");
	ck_assert_ptr_null(e->check.exec.argv[2]);
	ck_assert_uint_eq(s->check.http.cert_warn_ms, 14 * 86400000ULL);
	ck_assert_uint_eq(z->check.http.cert_warn_ms, 0);
	config_free(cfg);
	free(msgs);
}
END_TEST

START_TEST(test_several_keys)
{
	struct config *cfg;
	char *msgs;

	free(unit_write("two.key", UNIT_KEY "key second { algorithm "
	    "hmac-sha512; secret \"" UNIT_SECRET512 "\"; };\n",
	    0600));
	msgs = unit_load("dns: {servers: [127.0.0.1], key_file: two.key}\n"
	    SITE, &cfg);
	ck_assert_str_eq(msgs, "sitelist.yaml:1:39: two.key holds 2 keys "
	    "(failover-key, second); choose one with \"key\"\n");
	ck_assert_ptr_null(cfg);
	free(msgs);
	msgs = unit_load("dns: {servers: [127.0.0.1], key_file: two.key, key: "
	    "Second.}\n" SITE, &cfg);
	ck_assert_str_eq(msgs, "");
	ck_assert_str_eq(cfg->dns.key->name, "second");
	ck_assert_int_eq(cfg->dns.key->alg, TSIG_HMAC_SHA512);
	config_free(cfg);
	free(msgs);
}
END_TEST

START_TEST(test_warnings_do_not_fail)
{
	struct config *cfg;
	char *msgs = unit_load(DNS "notify: {exec: /nonexistent/hook}\n"
	    "sites: []\n", &cfg);

	ck_assert_str_eq(msgs, "sitelist.yaml:2:16: warning: exec: "
	    "/nonexistent/hook: No such file or directory\n"
	    "sitelist.yaml:3:8: warning: sites: the list is empty; nothing is "
	    "monitored\n");
	ck_assert_ptr_nonnull(cfg);
	config_free(cfg);
	free(msgs);
}
END_TEST

/*
 * Rules 20-22: failback, failback_delay and flap inherited like the
 * other keys (flap key by key; null turns it off), history_size; the
 * built-in values change nothing for a file without them.
 */
START_TEST(test_failback_flap)
{
	struct config *cfg;
	char *msgs = unit_load(DNS
	    "defaults: {failback: manual, flap: {switches: 4, within: 1h}}\n"
	    "history_size: 1GiB\n"
	    "sites:\n"
	    "  - {name: a.test, primary: 192.0.2.1, failover: 192.0.2.2}\n"
	    "  - {name: b.test, primary: 192.0.2.1, failover: 192.0.2.2, "
	    "failback: AUTO, failback_delay: 5m, flap: {within: 30m}}\n"
	    "  - {name: c.test, primary: 192.0.2.1, failover: 192.0.2.2, "
	    "flap: null}\n", &cfg);
	const struct site *a, *b, *c;

	ck_assert_str_eq(msgs, "");
	ck_assert_ptr_nonnull(cfg);
	a = config_site_find(cfg, "a.test");
	b = config_site_find(cfg, "b.test");
	c = config_site_find(cfg, "c.test");
	ck_assert(a->failback_manual);
	ck_assert_uint_eq(a->failback_delay_ms, 0);
	ck_assert_uint_eq(a->flap_switches, 4);
	ck_assert_uint_eq(a->flap_within_ms, 3600000);
	ck_assert(!b->failback_manual);
	ck_assert_uint_eq(b->failback_delay_ms, 300000);
	ck_assert_uint_eq(b->flap_switches, 4);
	ck_assert_uint_eq(b->flap_within_ms, 1800000);
	ck_assert(c->failback_manual);
	ck_assert_uint_eq(c->flap_switches, 0);
	ck_assert_uint_eq(cfg->history_size, 1ULL << 30);
	config_free(cfg);
	free(msgs);

	msgs = unit_load(DNS SITE, &cfg);
	ck_assert_str_eq(msgs, "");
	ck_assert(!cfg->sites[0].failback_manual);
	ck_assert_uint_eq(cfg->sites[0].failback_delay_ms, 0);
	ck_assert_uint_eq(cfg->sites[0].flap_switches, 0);
	ck_assert_uint_eq(cfg->history_size, HISTORY_DEFAULT_SIZE);
	config_free(cfg);
	free(msgs);
}
END_TEST

/*
 * What can never take effect is a warning where it is written: a delay
 * beside failback: manual (not a delay inherited by a site that chose
 * manual), a flap window no series of rounds fits in.
 */
START_TEST(test_failback_flap_warnings)
{
	struct config *cfg;
	char *msgs = unit_load(DNS
	    "defaults: {failback_delay: 2m, flap: {switches: 3, within: 30s}}\n"
	    "sites:\n"
	    "  - {name: a.test, primary: 192.0.2.1, failover: 192.0.2.2, "
	    "failback: manual}\n"
	    "  - {name: b.test, primary: 192.0.2.1, failover: 192.0.2.2, "
	    "failback: manual, failback_delay: 1m, interval: 20s, "
	    "flap: {within: 1h}}\n", &cfg);

	ck_assert_str_eq(msgs, "sitelist.yaml:2:38: warning: flap: 3 switches "
	    "within 30s cannot happen with interval 10s (at most one switch a "
	    "round); the site is never held for flapping\n"
	    "sitelist.yaml:5:95: warning: failback_delay has no effect with "
	    "failback: manual (the site waits for release)\n");
	ck_assert_ptr_nonnull(cfg);
	config_free(cfg);
	free(msgs);
}
END_TEST

START_TEST(test_address_limit)
{
	char yaml[4096], *msgs;
	size_t off, i;

	off = (size_t)snprintf(yaml, sizeof(yaml), DNS "sites:\n  - {name: "
	    "a.test, failover: 192.0.2.1, primary: [");
	for (i = 0; i < 65; i++)
		off += (size_t)snprintf(yaml + off, sizeof(yaml) - off,
		    "%s10.0.0.%zu", i ? ", " : "", i + 1);
	snprintf(yaml + off, sizeof(yaml) - off, "]}\n");
	msgs = unit_load(yaml, NULL);
	ck_assert_str_eq(msgs, "sitelist.yaml:3:50: primary: more than 64 "
	    "addresses\n");
	free(msgs);
}
END_TEST

/* Every error of a file is reported in one run, in file order. */
START_TEST(test_all_errors_at_once)
{
	char *msgs = unit_load(
	    "sites:\n"
	    "  - {name: b.test, primary: 192.0.2.1, failover: 192.0.2.1}\n"
	    "dns: {servers: [127.0.0.1], key_file: k.key, timout: 1}\n"
	    "defaults: {ttl: 0, intrval: 1}\n", NULL);

	ck_assert_str_eq(msgs,
	    "sitelist.yaml:2:50: 192.0.2.1 is both a primary and a failover "
	    "address\n"
	    "sitelist.yaml:3:46: unknown key \"timout\", did you mean "
	    "\"timeout\"?\n"
	    "sitelist.yaml:4:17: ttl: 0 is out of range (1..86400)\n"
	    "sitelist.yaml:4:20: unknown key \"intrval\", did you mean "
	    "\"interval\"?\n");
	free(msgs);
}
END_TEST

/*
 * CPU seconds of this process (one test: Check forks for each), for
 * limits far above the time expected: wall time depends on the machine's
 * other work, and a sanitizer build is several times slower.
 */
static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Deep nesting is quadratic in libyaml's scanner (100,000 levels, 200 KB:
 * a minute), so it is refused at the first level too deep, at once.
 */
static const struct {
	const char	*open, *close;	/* one level */
	const char	*msgs;
} deep[] = {
	{ "[", "]", "sitelist.yaml:1:65: nesting deeper than 64 levels\n" },
	{ "{a: ", "}", "sitelist.yaml:1:257: nesting deeper than 64 levels\n" },
	{ "- ", "", "sitelist.yaml:1:129: nesting deeper than 64 levels\n" },
	/* three levels each: "a: b" in a list is a mapping of its own */
	{ "[a: {b: ", "}]", "sitelist.yaml:1:170: nesting deeper than 64 "
	    "levels\n" },
};

START_TEST(test_nesting_flow)
{
	size_t i, n = 100000, lo = strlen(deep[_i].open),
	    lc = strlen(deep[_i].close);
	char *yaml = xmalloc(n * (lo + lc) + 3), *p = yaml, *msgs;
	double t0;

	for (i = 0; i < n; i++, p += lo)
		memcpy(p, deep[_i].open, lo);
	*p++ = 'x';
	for (i = 0; i < n; i++, p += lc)
		memcpy(p, deep[_i].close, lc);
	memcpy(p, "\n", 2);
	t0 = cpu_seconds();
	msgs = unit_load(yaml, NULL);
	ck_assert_str_eq(msgs, deep[_i].msgs);
	ck_assert_msg(cpu_seconds() - t0 < 1, "took %.1f s of CPU",
	    cpu_seconds() - t0);
	free(msgs);
	free(yaml);
}
END_TEST

/* Block mappings by indentation: level k starts at line k, column k. */
START_TEST(test_nesting_block)
{
	char *yaml = xmalloc(70 * 72), *msgs;
	size_t i, off = 0;

	for (i = 0; i < 70; i++)
		off += (size_t)snprintf(yaml + off, 70 * 72 - off, "%*sa:\n",
		    (int)i, "");
	msgs = unit_load(yaml, NULL);
	ck_assert_str_eq(msgs, "sitelist.yaml:65:65: nesting deeper than 64 "
	    "levels\n");
	free(msgs);
	free(yaml);
}
END_TEST

/* 64 levels are still YAML like any other: the schema has its say. */
START_TEST(test_nesting_limit)
{
	char yaml[256], *msgs;
	size_t i;

	for (i = 0; i < 64; i++) {
		yaml[i] = '[';
		yaml[64 + i] = ']';
	}
	memcpy(yaml + 128, "\n", 2);
	msgs = unit_load(yaml, NULL);
	ck_assert_str_eq(msgs, "sitelist.yaml:1:1: the top level must be a "
	    "mapping (dns:, defaults:, sites:, ...), not a list\n");
	free(msgs);
}
END_TEST

/* Too large: refused from its size, unread (a sparse file of NULs). */
START_TEST(test_size_limit)
{
	char *path = unit_write("sitelist.yaml", "", 0644), *msgs;
	struct config *cfg;
	struct diags d;

	ck_assert_int_eq(truncate(path, CONFIG_MAX_SIZE + 1), 0);
	diags_init(&d);
	cfg = config_load(path, &d);
	ck_assert_ptr_null(cfg);
	msgs = unit_diags_text(&d);
	ck_assert_str_eq(msgs, "sitelist.yaml: file is larger than 64 MiB\n");
	free(msgs);
	diags_clear(&d);
	/* 64 MiB itself is read (and its NULs refused) */
	ck_assert_int_eq(truncate(path, CONFIG_MAX_SIZE), 0);
	diags_init(&d);
	ck_assert_ptr_null(config_load(path, &d));
	msgs = unit_diags_text(&d);
	ck_assert_str_eq(msgs, "sitelist.yaml:1:1: NUL byte in the file\n");
	free(msgs);
	diags_clear(&d);
	free(path);
}
END_TEST

/*
 * The CPU bounds below guard against quadratic work (which would take
 * minutes), not speed; ASan's instrumentation makes the same linear
 * work two to three times slower, so its bound is wider.
 */
#ifdef __SANITIZE_ADDRESS__
#define CPU_SLACK	3
#else
#define CPU_SLACK	1
#endif

/* A mapping as large as the file: duplicates found by sorting. */
START_TEST(test_large_mapping)
{
	size_t i, n = 100000, off = 0, cap = n * 16 + 64;
	char *yaml = xmalloc(cap), *msgs, *last;
	double t0;

	for (i = 0; i < n; i++)
		off += (size_t)snprintf(yaml + off, cap - off, "k%zu: 1\n",
		    i % (n - 1));		/* the last repeats the first */
	t0 = cpu_seconds();
	msgs = unit_load(yaml, NULL);
	ck_assert_msg(cpu_seconds() - t0 < 4 * CPU_SLACK, "took %.1f s of CPU",
	    cpu_seconds() - t0);
	last = strstr(msgs, "sitelist.yaml:100000:1:");
	ck_assert_ptr_nonnull(last);
	ck_assert(strncmp(last, "sitelist.yaml:100000:1: duplicate key "
	    "\"k0\" (first at line 1)\n", 62) == 0);
	free(msgs);
	free(yaml);
}
END_TEST

/* The third of three reports the first, not the second. */
START_TEST(test_duplicate_thrice)
{
	char *msgs = unit_load(DNS "defaults:\n  ttl: 30\n  fall: 2\n"
	    "  ttl: 60\n  ttl: 90\n" SITE, NULL);

	ck_assert_str_eq(msgs,
	    "sitelist.yaml:5:3: duplicate key \"ttl\" (first at line 3)\n"
	    "sitelist.yaml:6:3: duplicate key \"ttl\" (first at line 3)\n");
	free(msgs);
}
END_TEST

START_TEST(test_header_limit)
{
	char yaml[4096], *msgs;
	size_t off, i;

	off = (size_t)snprintf(yaml, sizeof(yaml), DNS "defaults: {check: "
	    "{headers: {");
	for (i = 0; i < 65; i++)
		off += (size_t)snprintf(yaml + off, sizeof(yaml) - off,
		    "%sX-%zu: v", i ? ", " : "", i);
	snprintf(yaml + off, sizeof(yaml) - off, "}}}\n" SITE);
	msgs = unit_load(yaml, NULL);
	ck_assert_str_eq(msgs, "sitelist.yaml:2:29: headers: more than 64 "
	    "headers\n");
	free(msgs);
}
END_TEST

/* config_site_find over many sites, in an order unlike the file's. */
START_TEST(test_site_find_many)
{
	size_t i, n = 2000, off, cap = n * 96 + 256;
	char *yaml = xmalloc(cap), name[64], *msgs;
	struct config *cfg;
	const struct site *s;

	off = (size_t)snprintf(yaml, cap, DNS "defaults: {primary: 192.0.2.1, "
	    "failover: 192.0.2.2}\nsites:\n");
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(yaml + off, cap - off,
		    "  - {name: s%zu.z%zu.test}\n", (i * 7919) % n, i % 10);
	msgs = unit_load(yaml, &cfg);
	ck_assert_str_eq(msgs, "");
	ck_assert_ptr_nonnull(cfg);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "S%zu.Z%zu.test.", (i * 7919) % n,
		    i % 10);
		s = config_site_find(cfg, name);
		ck_assert_ptr_eq(s, &cfg->sites[i]);
	}
	ck_assert_ptr_null(config_site_find(cfg, "s1.z2.test"));
	ck_assert_ptr_null(config_site_find(cfg, "a.test"));
	ck_assert_ptr_null(config_site_find(cfg, "zzz.test"));
	config_free(cfg);
	free(msgs);
	free(yaml);
}
END_TEST

/* The shipped example must stay valid (run from the source tree). */
START_TEST(test_example)
{
	struct config *cfg;
	struct diags d;

	diags_init(&d);
	cfg = config_load("etc/sitelist.yaml.example", &d);
	diags_print(&d, stderr);
	ck_assert_uint_eq(d.nerrors, 0);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(cfg->nsites, 2);
	config_free(cfg);
	diags_clear(&d);
}
END_TEST

/*
 * Keys read by schema rows (yamlwalk.h's YW_VAL, YW_ENUM_OF, YW_MAP_OF
 * and their _NODE forms): the same messages as the handlers they
 * replaced, and the nodes they keep put later messages where the key is
 * written, or nowhere when the value was refused.
 */
static const struct {
	const char	*yaml;
	const char	*msgs;
} rows[] = {
	/* method at the site, expect_body inherited: blamed at method */
	{ DNS "defaults: {check: {expect_body: ok}}\n"
	  CHECKED("{method: HEAD}"),
	  "sitelist.yaml:4:77: expect_body cannot be checked with method "
	  "HEAD (a HEAD response has no body)\n" },
	/* interval at the site, timeout inherited: blamed at interval */
	{ DNS "defaults: {check: {timeout: 3s}}\n"
	  "sites:\n  - {name: a.test, primary: 192.0.2.1, failover: "
	  "192.0.2.2, interval: 2s}\n",
	  "sitelist.yaml:4:71: check timeout 3s must be less than interval "
	  "2s\n" },
	/* a refused interval sets no node: the site is not blamed for
	 * what its defaults got wrong */
	{ DNS "defaults: {interval: 5s}\n"
	  "sites:\n  - {name: a.test, primary: 192.0.2.1, failover: "
	  "192.0.2.2, interval: 500ms}\n",
	  "sitelist.yaml:2:22: check timeout 5s must be less than interval "
	  "5s\n"
	  "sitelist.yaml:4:71: interval: 500ms is out of range (1s..24h)\n" },
	/* the site's check: mapping is where a missing key is blamed */
	{ DNS "defaults: {check: {type: dns}}\n" CHECKED("{port: 5353}"),
	  "sitelist.yaml:4:68: check: type dns needs \"query\" (the name and "
	  "type to ask the address for)\n" },
	{ DNS "defaults: {check: {type: tcp}}\n"
	  CHECKED("{query: {name: q.test}}"),
	  "sitelist.yaml:4:69: \"query\" does not apply to a check of type "
	  "tcp (it is for: dns)\n" },
	{ DNS "notify: {timeout: 500ms, repeat: 30s}\n" SITE,
	  "sitelist.yaml:2:19: timeout: 500ms is out of range (1s..5m)\n"
	  "sitelist.yaml:2:34: repeat: 30s is out of range (1m..168h)\n" },
	{ DNS "notify: 5\n" SITE,
	  "sitelist.yaml:2:9: notify: expected a mapping, got a value\n" },
	{ DNS "sites:\n  - {name: a.test, primary: 192.0.2.1, failover: "
	  "192.0.2.2, dns: {timeout: 50ms, transport: quic, verify: "
	  "maybe}}\n",
	  "sitelist.yaml:3:76: timeout: 50ms is out of range (100ms..1m)\n"
	  "sitelist.yaml:3:93: transport: \"quic\" is not one of: tcp, udp\n"
	  "sitelist.yaml:3:107: verify: expected true or false, got "
	  "\"maybe\"\n" },
	{ DNS "defaults: {check: {type: dns, query: {name: q.test, tcp: 1}}}\n"
	  SITE,
	  "sitelist.yaml:2:58: tcp: expected true or false, got \"1\"\n" },
	{ DNS "defaults: {check: {timeout: 1s}, interval: 1s}\n"
	  CHECKED("{method: head}"),
	  "sitelist.yaml:2:29: check timeout 1s must be less than interval "
	  "1s\n" },
};

START_TEST(test_rows)
{
	struct config *cfg;
	char *msgs = unit_load(rows[_i].yaml, &cfg);

	ck_assert_str_eq(msgs, rows[_i].msgs);
	ck_assert_ptr_null(cfg);
	free(msgs);
}
END_TEST

/* Each level's rows write into their own struct: config, dns, site. */
START_TEST(test_rows_values)
{
	struct config *cfg;
	char *msgs = unit_load(
	    "dns: {servers: [127.0.0.1], key_file: k.key, transport: udp}\n"
	    "notify: {timeout: 2s, repeat: 2h}\n"
	    "max_parallel: 7\n"
	    "defaults: {ttl: 30, fall: 4, check: {tls_verify: no, "
	    "method: HEAD}}\n"
	    "sites:\n"
	    "  - {name: a.test, primary: 192.0.2.1, failover: 192.0.2.2, "
	    "interval: 20s, rise: 5, dns: {timeout: 150ms, verify: no}, "
	    "check: {timeout: 7s}}\n"
	    "  - {name: b.test, primary: 192.0.2.1, failover: 192.0.2.2, "
	    "check: {type: dns, query: {name: q.test, tcp: yes}}}\n", &cfg);
	const struct site *a, *b;

	ck_assert_str_eq(msgs, "");
	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(cfg->notify_timeout_ms, 2000);
	ck_assert_uint_eq(cfg->notify_repeat_ms, 7200000);
	ck_assert_uint_eq(cfg->max_parallel, 7);
	ck_assert_int_eq(cfg->dns.transport, DNS_UDP);
	ck_assert_uint_eq(cfg->dns.timeout_ms, 3000);
	a = config_site_find(cfg, "a.test");
	b = config_site_find(cfg, "b.test");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(a->ttl, 30);
	ck_assert_uint_eq(a->fall, 4);
	ck_assert_uint_eq(a->rise, 5);
	ck_assert_uint_eq(a->interval_ms, 20000);
	ck_assert_uint_eq(a->check.timeout_ms, 7000);
	ck_assert(!a->check.http.tls_verify);
	ck_assert_int_eq(a->check.http.method, HTTP_HEAD);
	ck_assert_int_eq(a->dns->transport, DNS_UDP);	/* inherited */
	ck_assert_uint_eq(a->dns->timeout_ms, 150);
	ck_assert(!a->dns->verify);
	ck_assert_uint_eq(b->interval_ms, 10000);
	ck_assert_uint_eq(b->rise, 2);
	ck_assert(b->check.dns.tcp);
	ck_assert_ptr_eq(b->dns, &cfg->dns);
	config_free(cfg);
	free(msgs);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, unit_tmpdir_setup,
	    unit_tmpdir_teardown);
	/* the large files: their limits are in CPU time, see cpu_seconds() */
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) /
	    sizeof(bad[0])));
	tcase_add_test(tc, test_builtin_defaults);
	tcase_add_test(tc, test_sources);
	tcase_add_test(tc, test_inheritance);
	tcase_add_test(tc, test_null_resets_to_builtin);
	tcase_add_test(tc, test_check_types);
	tcase_add_test(tc, test_several_keys);
	tcase_add_test(tc, test_warnings_do_not_fail);
	tcase_add_test(tc, test_all_errors_at_once);
	tcase_add_test(tc, test_address_limit);
	tcase_add_test(tc, test_failback_flap);
	tcase_add_test(tc, test_failback_flap_warnings);
	tcase_add_test(tc, test_example);
	tcase_add_loop_test(tc, test_nesting_flow, 0, (int)(sizeof(deep) /
	    sizeof(deep[0])));
	tcase_add_test(tc, test_nesting_block);
	tcase_add_test(tc, test_nesting_limit);
	tcase_add_test(tc, test_size_limit);
	tcase_add_test(tc, test_large_mapping);
	tcase_add_test(tc, test_duplicate_thrice);
	tcase_add_test(tc, test_header_limit);
	tcase_add_test(tc, test_site_find_many);
	tcase_add_loop_test(tc, test_rows, 0, (int)(sizeof(rows) /
	    sizeof(rows[0])));
	tcase_add_test(tc, test_rows_values);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
