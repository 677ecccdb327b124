/*
 * log.c: stderr or syslog(3) output with a verbosity threshold.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "util.h"

static enum log_dest	 dest = LOG_TO_STDERR;
static int		 verbose;
static const char	*prog = "dnsfailover";

void
log_init(enum log_dest d, int verbosity, const char *progname)
{
	dest = d;
	verbose = verbosity;
	if (progname != NULL)
		prog = progname;
	if (dest == LOG_TO_SYSLOG)
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void
vlog(int pri, const char *fmt, va_list ap, const char *err)
{
	char raw[4096], msg[4096];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	/* one message, one line: a reason typed with a newline cannot
	 * forge another log line, nor an escape sequence reach a terminal */
	str_escape(msg, raw, sizeof(msg));
	if (dest == LOG_TO_SYSLOG) {
		if (err != NULL)
			syslog(pri, "%s: %s", msg, err);
		else
			syslog(pri, "%s", msg);
		return;
	}
	if (err != NULL)
		fprintf(stderr, "%s: %s: %s\n", prog, msg, err);
	else
		fprintf(stderr, "%s: %s\n", prog, msg);
}

void
log_warn(const char *fmt, ...)
{
	const char *err = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, err);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (verbose < 0)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	const char *err = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, err);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
