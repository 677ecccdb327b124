/*
 * dnsio.h: DNS messages over TCP and UDP, with deadlines.
 *
 * Replies are matched on the message ID, and on UDP on the server
 * address too (the socket is connected).  Nothing here knows TSIG or
 * update semantics; that is dnsupdate's job.
 */
#ifndef DNSFAILOVER_DNSIO_H
#define DNSFAILOVER_DNSIO_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum dnsio_status {
	DNSIO_OK,
	DNSIO_TIMEOUT,		/* no (matching) answer before the deadline */
	DNSIO_UNREACHABLE,	/* refused, reset, unreachable */
	DNSIO_BADREPLY,		/* TCP: an answer, but to another message */
	DNSIO_LOCAL		/* this host: no socket, no memory */
};

/*
 * Sends one message (its ID is read from the first two bytes) and waits
 * until deadline_ms for the reply with the same ID.  On DNSIO_OK *reply
 * is malloc'd (the caller frees it).  err gets a reason otherwise.
 * Over UDP, datagrams with another ID are ignored (they may be forged or
 * late); over TCP, where the connection carries only this message, a
 * reply with another ID (or too short to have one) ends the exchange
 * with DNSIO_BADREPLY and err names both IDs.  With udp set, a reply
 * with TC set is returned as is; the caller may retry over TCP.  Does
 * not log.
 */
enum dnsio_status dnsio_exchange(const struct dns_server *, int udp,
		    const uint8_t *msg, size_t len, uint64_t deadline_ms,
		    uint8_t **reply, size_t *replylen, char *err,
		    size_t errlen);

/*
 * Many independent queries to one server over UDP, up to window in
 * flight at once, each retried once; queries whose reply is truncated
 * or missing are asked again over TCP.  msgs[i] must carry distinct IDs.
 * replies[i] is malloc'd or NULL if none came before deadline_ms.
 * Returns the number answered.
 */
size_t	dnsio_query_many(const struct dns_server *, uint8_t *const *msgs,
	    const size_t *lens, size_t n, size_t window, uint64_t deadline_ms,
	    uint8_t **replies, size_t *replylens);

/*
 * A TCP exchange whose answer is a stream of messages (a zone transfer):
 * sends msg, then hands each length-prefixed message of the answer, in
 * order, to got(arg, m, mlen) (m is valid only during the call), until
 * got returns 1: the answer is complete, DNSIO_OK; or -1: got refused
 * it, DNSIO_BADREPLY (got keeps its own reason; err is untouched).
 * Otherwise: the deadline passes (DNSIO_TIMEOUT), the connection closes
 * (DNSIO_UNREACHABLE), or more than maxmsgs messages or maxbytes octets
 * arrive (DNSIO_BADREPLY), with err saying so.  Does not log.
 */
typedef int	(*dnsio_got_fn)(void *arg, const uint8_t *m, size_t mlen);
enum dnsio_status dnsio_stream(const struct dns_server *, const uint8_t *msg,
		    size_t len, uint64_t deadline_ms, size_t maxmsgs,
		    size_t maxbytes, dnsio_got_fn got, void *arg, char *err,
		    size_t errlen);

#endif
