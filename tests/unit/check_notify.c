/*
 * check_notify.c: events as the hooks receive them.  The exec hook is a
 * real program (a shell script in the test's directory); the webhook is
 * covered against the HTTP fixture by the integration tests.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "notify.h"
#include "unit.h"
#include "util.h"

static struct event
sample(void)
{
	struct event ev;

	event_init(&ev, EV_SWITCH, "www.example.test", 1795325743);
	str_copy(ev.from, "primary", sizeof(ev.from));
	str_copy(ev.to, "failover", sizeof(ev.to));
	str_copy(ev.addresses, "198.51.100.20, 2001:db8::20",
	    sizeof(ev.addresses));
	str_copy(ev.reason, "primary down (\"HTTP 503\")\n\\ $(rm -rf /) `id`",
	    sizeof(ev.reason));
	return ev;
}

START_TEST(test_json)
{
	struct event ev = sample();
	char *j = notify_json(&ev, "mon1");

	ck_assert_str_eq(j, "{\"event\":\"switch\",\"site\":\"www.example.test\","
	    "\"from\":\"primary\",\"to\":\"failover\",\"addresses\":"
	    "[\"198.51.100.20\",\"2001:db8::20\"],\"reason\":\"primary down "
	    "(\\\"HTTP 503\\\")\\u000a\\\\ $(rm -rf /) `id`\",\"time\":"
	    "\"2026-11-22T05:35:43Z\",\"timestamp\":1795325743,\"host\":"
	    "\"mon1\"}\n");
	free(j);
	event_init(&ev, EV_MONITOR_ISOLATED, NULL, 0);
	j = notify_json(&ev, "mon1");
	ck_assert(strstr(j, "\"event\":\"monitor_isolated\",\"site\":\"\","
	    "\"from\":\"\",\"to\":\"\",\"addresses\":[]") != NULL);
	free(j);
}
END_TEST

START_TEST(test_event_names)
{
	ck_assert_str_eq(event_str(EV_SWITCH), "switch");
	ck_assert_str_eq(event_str(EV_FLIP), "flip");
	ck_assert_str_eq(event_str(EV_RELEASE), "release");
	ck_assert_str_eq(event_str(EV_BOTH_DOWN), "both_down");
	ck_assert_str_eq(event_str(EV_UPDATE_FAILED), "update_failed");
	ck_assert_str_eq(event_str(EV_UPDATE_APPLIED), "update_applied");
	ck_assert_str_eq(event_str(EV_DRIFT), "drift");
	ck_assert_str_eq(event_str(EV_MONITOR_ISOLATED), "monitor_isolated");
}
END_TEST

START_TEST(test_nothing_configured)
{
	struct config cfg;
	struct event ev = sample();

	memset(&cfg, 0, sizeof(cfg));
	ck_assert_ptr_null(notify_new(&cfg));
	notify_send(NULL, &ev);		/* no-ops */
	notify_free(NULL);
}
END_TEST

/* The hook gets the event in its environment and argv, without a shell. */
START_TEST(test_exec_environment)
{
	char *out = xasprintf("%s/out", unit_tmpdir()), *text = NULL;
	char *script = xasprintf("#!/bin/sh\nprintf '%%s|%%s|%%s|%%s|%%s|%%s|%%s|"
	    "%%s\\n' \"$1\" \"$DNSFAILOVER_EVENT\" \"$DNSFAILOVER_SITE\" "
	    "\"$DNSFAILOVER_FROM\" \"$DNSFAILOVER_TO\" "
	    "\"$DNSFAILOVER_ADDRESSES\" \"$DNSFAILOVER_TIME\" "
	    "\"$DNSFAILOVER_REASON\" >>%s\n", out);
	char *hook = unit_write("hook", script, 0755);
	struct config cfg;
	struct notifier *n;
	struct event ev = sample();
	size_t len;

	setenv("DNSFAILOVER_SITE", "inherited, must be replaced", 1);
	memset(&cfg, 0, sizeof(cfg));
	cfg.notify_exec = hook;
	cfg.notify_timeout_ms = 5000;
	n = notify_new(&cfg);
	ck_assert_ptr_nonnull(n);
	notify_send(n, &ev);
	notify_free(n);			/* waits for the hook */
	ck_assert_int_eq(file_read(out, &text, &len), 0);
	ck_assert_str_eq(text, "switch|switch|www.example.test|primary|"
	    "failover|198.51.100.20, 2001:db8::20|2026-11-22T05:35:43Z|"
	    "primary down (\"HTTP 503\")?\\ $(rm -rf /) `id`\n");
	free(text);
	free(hook);
	free(script);
	free(out);
}
END_TEST

/*
 * Sending never waits for a hook; a hook over its time limit is stopped,
 * so the drain at exit is bounded too.
 */
START_TEST(test_exec_time_limit)
{
	char *hook = unit_write("slow", "#!/bin/sh\nexec sleep 30\n", 0755);
	struct config cfg;
	struct notifier *n;
	struct event ev = sample();
	sigset_t set;
	uint64_t t0;
	int i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.notify_exec = hook;
	cfg.notify_timeout_ms = 1000;
	/* as in the daemon: its signals blocked (signalfd), SIGPIPE ignored */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	n = notify_new(&cfg);
	t0 = mono_ms();
	for (i = 0; i < 3; i++)
		notify_send(n, &ev);
	ck_assert_msg(mono_ms() - t0 < 200, "notify_send blocked");
	notify_free(n);
	/* three hooks run at once, each stopped by SIGTERM after 1 s (not
	 * by SIGKILL 2 s later: the hook must not inherit our mask) */
	ck_assert_msg(mono_ms() - t0 < 2500, "took %llu ms",
	    (unsigned long long)(mono_ms() - t0));
	ck_assert_msg(mono_ms() - t0 >= 900, "stopped too early");
	free(hook);
}
END_TEST

/*
 * A listener on 127.0.0.1 that never accepts: the kernel completes the
 * connection, the POST goes out, no answer ever comes.  Returns the fd;
 * *port gets its port.
 */
static int
black_hole(unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* Runs notify_free_by() with stderr (the log) in a file; returns it. */
static char *
free_logged(struct notifier *n, uint64_t deadline)
{
	char *path = xasprintf("%s/log", unit_tmpdir()), *text = NULL;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), saved;
	size_t len;

	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	notify_free_by(n, deadline);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ck_assert_int_eq(file_read(path, &text, &len), 0);
	free(path);
	return text;
}

/*
 * A webhook that never answers, with a 10 s time limit and three tries
 * per event, once kept the daemon from stopping for a minute: the stop
 * deadline cuts the delivery in progress short and drops the rest, each
 * logged by name.
 */
START_TEST(test_stop_deadline_webhook)
{
	struct config cfg;
	struct notifier *n;
	struct event ev = sample();
	unsigned port;
	int hole = black_hole(&port);
	char *url = xasprintf("http://127.0.0.1:%u/hook", port), *log;
	uint64_t t0;
	int i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.notify_webhook = url;
	cfg.notify_timeout_ms = 10000;
	n = notify_new(&cfg);
	for (i = 0; i < 3; i++)
		notify_send(n, &ev);
	usleep(200000);		/* the first delivery is under way */
	t0 = mono_ms();
	log = free_logged(n, t0 + 1500);
	ck_assert_msg(mono_ms() - t0 < 4000, "stopping took %llu ms",
	    (unsigned long long)(mono_ms() - t0));
	ck_assert_msg(strstr(log, "webhook http://127.0.0.1:") != NULL &&
	    strstr(log, "switch www.example.test dropped") != NULL,
	    "log: %s", log);
	/* the two still queued are named too */
	ck_assert_msg(strstr(strstr(log, "dropped") + 1, "switch "
	    "www.example.test dropped") != NULL, "log: %s", log);
	free(log);
	free(url);
	close(hole);
}
END_TEST

/* A hook still running at the deadline is stopped then, not later. */
START_TEST(test_stop_deadline_exec)
{
	char *hook = unit_write("slow", "#!/bin/sh\nexec sleep 30\n", 0755);
	struct config cfg;
	struct notifier *n;
	struct event ev = sample();
	uint64_t t0;
	char *log;

	memset(&cfg, 0, sizeof(cfg));
	cfg.notify_exec = hook;
	cfg.notify_timeout_ms = 20000;
	n = notify_new(&cfg);
	notify_send(n, &ev);
	usleep(200000);
	t0 = mono_ms();
	log = free_logged(n, t0 + 1000);
	ck_assert_msg(mono_ms() - t0 < 3000, "stopping took %llu ms",
	    (unsigned long long)(mono_ms() - t0));
	ck_assert_msg(strstr(log, "(switch) still running: stopped") != NULL,
	    "log: %s", log);
	free(log);
	free(hook);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("notify");

	tcase_add_checked_fixture(tc, unit_tmpdir_setup, unit_tmpdir_teardown);
	tcase_set_timeout(tc, 40);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_event_names);
	tcase_add_test(tc, test_nothing_configured);
	tcase_add_test(tc, test_exec_environment);
	tcase_add_test(tc, test_exec_time_limit);
	tcase_add_test(tc, test_stop_deadline_webhook);
	tcase_add_test(tc, test_stop_deadline_exec);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
