/*
 * util.h: allocation that never returns NULL, a bump arena for immutable
 * data, bounded string helpers and whole-file reading.
 */
#ifndef DNSFAILOVER_UTIL_H
#define DNSFAILOVER_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <sys/types.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Allocators: call fatalx() on exhaustion, so they never return NULL. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* Formatted allocation; the caller frees the result. */
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * Arena: many small allocations freed at once by arena_free().  Used for
 * the loaded configuration, which is built once and never changes, so
 * pointers into it can be shared freely (a site borrowing the defaults'
 * header list, for instance) without reference counting.
 */
struct arena;
struct arena	*arena_new(void);
void		 arena_free(struct arena *);	/* NULL is a no-op */
void		*arena_alloc(struct arena *, size_t);	/* zeroed, aligned */
char		*arena_strdup(struct arena *, const char *);
char		*arena_strndup(struct arena *, const char *, size_t);

/* Milliseconds on CLOCK_MONOTONIC: deadlines, schedules, durations. */
uint64_t mono_ms(void);
/* The wall clock in ms: for what must survive between runs (a peer's
 * heartbeat seen), never for deadlines. */
int64_t	 real_ms(void);
/* A hash of s (FNV-1a), for indexes and to tell texts apart. */
uint64_t str_hash(const char *s);

/* Copies at most size-1 bytes and NUL-terminates; returns strlen(src). */
size_t	 str_copy(char *dst, const char *src, size_t size);
/*
 * Length of the UTF-8 character at s, of the avail bytes there (1..4),
 * or 0 if they do not start one (overlong, surrogate and out-of-range
 * forms included).  utf8_invalid(): the offset of the first byte of
 * buf that is not valid UTF-8, or len if all is.
 */
size_t	 utf8_len(const unsigned char *s, size_t avail);
size_t	 utf8_invalid(const unsigned char *buf, size_t len);

/*
 * Text that came from a person or a server, made safe to show on a
 * terminal or in a log: C0 controls, DEL and C1 controls become \n, \r,
 * \t or \xNN (C1 as \u0080..\u009f), line separators and bidi
 * controls as \uXXXX, a backslash becomes \\, bytes that are not UTF-8
 * become \xNN; the rest is copied.  Never cuts an
 * escape or a character in two.  Returns dst.
 */
char	*str_escape(char *dst, const char *src, size_t size);
/* ASCII lower-case in place. */
void	 str_lower(char *);
/* Edit distance (insert, delete, substitute, transpose) between a and b. */
size_t	 str_distance(const char *a, const char *b);

/*
 * Reads a whole regular file into a NUL-terminated buffer.  On success
 * returns 0 and the caller owns *buf (*len excludes the NUL); on failure
 * returns -1 with errno set and *buf untouched.  Does not log.
 */
int	 file_read(const char *path, char **buf, size_t *len);
/*
 * Reads fd to its end into a NUL-terminated buffer, at most max bytes:
 * 0 (the caller owns *buf), -1 with errno, or 1 when there is more than
 * max (a file that grew, a pipe).  *buf untouched unless 0.
 */
int	 fd_read_all(int fd, size_t max, char **buf, size_t *len);

/*
 * Replaces path atomically: fill(fp, arg) writes a temporary file in the
 * same directory, created with mode whatever the umask, which is then
 * renamed over path, so a reader sees the old file or the new one.
 * Flags: FILE_DURABLE fsyncs the file and the directory (a crash keeps
 * one of the two); FILE_DIR_OWNER gives the file to the directory's
 * owner when root writes it.  -1 with errno on failure, path untouched.
 */
#define FILE_DURABLE	0x1
#define FILE_DIR_OWNER	0x2
int	 file_replace(const char *path, mode_t mode, int flags,
	    void (*fill)(FILE *, const void *), const void *arg);
/*
 * Removes the temporary files that file_replace() left for path when its
 * process was killed: path.tmp.DIGITS in path's directory, those names
 * only.  Only for a caller that knows nobody is replacing path now (the
 * holder of the state lock).  Returns how many it removed.
 */
size_t	 file_remove_temps(const char *path);
/* For root: gives fd, a file in path's directory, to its owner. */
void	 file_give_to_dir_owner(int fd, const char *path);

/*
 * Joins a relative path onto the directory of base ("etc/a.yaml" +
 * "k.key" -> "etc/k.key").  Absolute paths are returned as copies.
 * The caller frees the result.
 */
char	*path_resolve(const char *base, const char *path);

/*
 * str_copy() that never cuts a UTF-8 character in two: a text that does
 * not fit ends at the last whole character, so what is saved reads back
 * the same.
 */
void	 str_copy_whole(char *buf, const char *s, size_t size);

/* t as RFC 3339 in UTC ("2026-12-01T20:30:00Z"). */
void	 time_rfc3339(time_t t, char *buf, size_t size);
/* A duration in seconds, short: "1d 23h", "5h 2m", "3m", "0m";
 * "past" when negative. */
void	 duration_short(int64_t secs, char *buf, size_t size);
/* A duration in seconds to the second, in its two largest units:
 * "45s", "1m30s", "2m", "1h5m", "3d4h"; "0s" when negative. */
void	 duration_hms(int64_t secs, char *buf, size_t size);

#endif
