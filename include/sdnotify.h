/*
 * sdnotify.h: systemd's service notification (sd_notify(3)) without
 * libsystemd: one datagram to $NOTIFY_SOCKET, a path or an abstract
 * name ("@..."), so that Type=notify units know when the daemon is
 * ready, reloading or stopping.
 */
#ifndef DNSFAILOVER_SDNOTIFY_H
#define DNSFAILOVER_SDNOTIFY_H

/*
 * Sends msg, newline-separated VARIABLE=VALUE lines as sd_notify(3)
 * takes them ("READY=1", "RELOADING=1", "STOPPING=1", "STATUS=...").
 * Nothing without NOTIFY_SOCKET (not started by systemd) or with a
 * name that is not a socket path; a send that fails is logged (log_warn)
 * and otherwise ignored: the service goes on without the manager.
 */
void	sdnotify_send(const char *msg);

#endif
