/*
 * check_sdnotify.c: the datagram systemd reads, to a socket path and to
 * an abstract name; nothing without NOTIFY_SOCKET or with a name that
 * is not a socket's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"
#include "unit.h"
#include "util.h"

/* A datagram socket bound to name ("@..." abstract), as systemd has. */
static int
listener(const char *name)
{
	struct sockaddr_un sun;
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, name, strlen(name));
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(name));
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, len), 0);
	return fd;
}

/* The next datagram, "" when none came. */
static void
received(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
}

START_TEST(test_path_and_abstract)
{
	char name[128], buf[256];
	int fd;

	if (_i == 0)
		snprintf(name, sizeof(name), "%s/notify", unit_tmpdir());
	else
		snprintf(name, sizeof(name), "@dnsfailover-test-%ld",
		    (long)getpid());
	fd = listener(name);
	setenv("NOTIFY_SOCKET", name, 1);
	sdnotify_send("READY=1\nSTATUS=watching sites");
	received(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "READY=1\nSTATUS=watching sites");
	sdnotify_send("STOPPING=1");
	received(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "STOPPING=1");
	close(fd);
}
END_TEST

START_TEST(test_nothing_without_a_socket)
{
	char name[128], buf[256];
	int fd;

	snprintf(name, sizeof(name), "@dnsfailover-test-%ld", (long)getpid());
	fd = listener(name);
	unsetenv("NOTIFY_SOCKET");
	sdnotify_send("READY=1");
	setenv("NOTIFY_SOCKET", name + 1, 1);	/* relative: not a socket */
	sdnotify_send("READY=1");
	setenv("NOTIFY_SOCKET", "", 1);
	sdnotify_send("READY=1");
	received(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	close(fd);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sdnotify");
	TCase *tc = tcase_create("sdnotify");

	tcase_add_checked_fixture(tc, unit_tmpdir_setup,
	    unit_tmpdir_teardown);
	tcase_add_loop_test(tc, test_path_and_abstract, 0, 2);
	tcase_add_test(tc, test_nothing_without_a_socket);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
