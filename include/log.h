/*
 * log.h: the only way messages leave the program, to stderr or syslog.
 *
 * warn appends strerror(errno), warnx does not (as err(3)/errx(3)).
 * Messages are lower-case, without a trailing period or newline.
 */
#ifndef DNSFAILOVER_LOG_H
#define DNSFAILOVER_LOG_H

#include <stdarg.h>

enum log_dest {
	LOG_TO_STDERR,
	LOG_TO_SYSLOG
};

/*
 * verbosity: 0 default (warnings and info), -1 quiet (warnings only),
 * 1 also debug, 2 and more also trace.
 */
void	log_init(enum log_dest, int verbosity, const char *progname);

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))
void	log_warn(const char *, ...) LOG_FMT(1, 2);
void	log_warnx(const char *, ...) LOG_FMT(1, 2);
void	log_info(const char *, ...) LOG_FMT(1, 2);
void	log_debug(const char *, ...) LOG_FMT(1, 2);
void	fatal(const char *, ...) LOG_FMT(1, 2) __attribute__((noreturn));
void	fatalx(const char *, ...) LOG_FMT(1, 2) __attribute__((noreturn));
#undef LOG_FMT

#endif
