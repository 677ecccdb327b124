/*
 * unit.c: temporary files and config loading for the Check suites.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "keyfile.h"
#include "unit.h"
#include "util.h"

/*
 * Each test's directory lives in one directory per run, which unit_run()
 * removes in the parent: a test that fails (and so skips its teardown)
 * leaves nothing behind.
 */
static char basedir[64], tmpdir[96];

static void
rm_rf(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
}

void
unit_tmpdir_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/t.XXXXXX", basedir);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

void
unit_tmpdir_teardown(void)
{
	rm_rf(tmpdir);
}

const char *
unit_tmpdir(void)
{
	return tmpdir;
}

char *
unit_write(const char *name, const char *content, mode_t mode)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	size_t len = strlen(content);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	close(fd);
	return path;
}

char *
unit_diags_text(const struct diags *d)
{
	char *out = xcalloc(1, 1), line[2048], prefix[80];
	const char *p, *hit;
	size_t i, len = 0, cap = 1, n, pl;

	pl = (size_t)snprintf(prefix, sizeof(prefix), "%s/", tmpdir);
	for (i = 0; i < d->n; i++) {
		diag_format(d, i, line, sizeof(line));
		for (p = line; *p != '\0'; p = hit + pl) {
			hit = strstr(p, prefix);
			n = hit ? (size_t)(hit - p) : strlen(p);
			while (cap < len + n + 2)	/* 100,000 lines: linear */
				out = xreallocarray(out, cap *= 2, 1);
			memcpy(out + len, p, n);
			len += n;
			if (hit == NULL)
				break;
		}
		out[len++] = '\n';
		out[len] = '\0';
	}
	return out;
}

char *
unit_load(const char *yaml, struct config **cfgp)
{
	struct config *cfg;
	struct diags d;
	char *path, *out;

	free(unit_write("k.key", UNIT_KEY, 0600));
	path = unit_write("sitelist.yaml", yaml, 0644);
	diags_init(&d);
	cfg = config_load(path, &d);
	diags_sort(&d);
	out = unit_diags_text(&d);
	diags_clear(&d);
	free(path);
	if (cfgp != NULL)
		*cfgp = cfg;
	else
		config_free(cfg);
	return out;
}

static char	httpd_dir[64];
static pid_t	httpd_pid = -1;
static int	httpd_port;

/* Whether port can be bound on 127.0.0.2 now. */
static int
port_free(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(0x7f000002);
	ok = fd != -1 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd != -1)
		close(fd);
	return ok;
}

/*
 * Two free ports in a row, below the ephemeral range (32768-60999) so
 * that no client socket takes one of them while the fixture runs.
 */
static int
free_port_pair(void)
{
	int tries, port;

	for (tries = 0; tries < 200; tries++) {
		port = 10000 + (int)((getpid() * 7 + tries * 37) % 10000) * 2;
		if (port_free(port) && port_free(port + 1))
			return port;
	}
	abort();
}

void
unit_httpd_start(const char *const *addrs, size_t n)
{
	const char *bin = getenv("HTTPD") ? getenv("HTTPD") : "build/httpd";
	char **argv = xcalloc(n + 8, sizeof(char *)), *cmd, *pidf;
	size_t i, k = 0;
	int tries;

	str_copy(httpd_dir, "/tmp/dnsfailover-httpd.XXXXXX", sizeof(httpd_dir));
	if (mkdtemp(httpd_dir) == NULL)
		abort();
	cmd = xasprintf("sh tests/fixture/mkcerts.sh %s/certs", httpd_dir);
	if (system(cmd) != 0)
		abort();
	free(cmd);
	httpd_port = free_port_pair();
	argv[k++] = xstrdup(bin);
	argv[k++] = xstrdup("-d");
	argv[k++] = xstrdup(httpd_dir);
	argv[k++] = xasprintf("-c%s/certs/server.pem", httpd_dir);
	argv[k++] = xasprintf("-k%s/certs/server.key", httpd_dir);
	for (i = 0; i < n; i++) {
		const char *tls = strstr(addrs[i], "/tls");
		int len = tls ? (int)(tls - addrs[i]) : (int)strlen(addrs[i]);
		int v6 = memchr(addrs[i], ':', (size_t)len) != NULL;

		argv[k++] = xasprintf(v6 ? "[%.*s]:%d%s" : "%.*s:%d%s", len,
		    addrs[i], httpd_port + (tls ? 1 : 0), tls ? "/tls" : "");
	}
	if ((httpd_pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);	/* even if we crash */
		execv(bin, argv);
		_exit(127);
	}
	pidf = xasprintf("%s/httpd.pid", httpd_dir);
	for (tries = 0; tries < 500 && access(pidf, F_OK) != 0; tries++)
		usleep(10000);
	if (access(pidf, F_OK) != 0) {
		fprintf(stderr, "the HTTP fixture did not start\n");
		abort();
	}
	free(pidf);
	for (i = 0; i < k; i++)
		free(argv[i]);
	free(argv);
}

void
unit_httpd_stop(void)
{
	if (httpd_pid > 0) {
		kill(httpd_pid, SIGTERM);
		waitpid(httpd_pid, NULL, 0);
		httpd_pid = -1;
	}
	rm_rf(httpd_dir);
}

int
unit_httpd_port(void)
{
	return httpd_port;
}

const char *
unit_httpd_dir(void)
{
	return httpd_dir;
}

void
unit_httpd_set(const char *fmt, ...)
{
	const char *bin = getenv("HTTPD") ? getenv("HTTPD") : "build/httpd";
	char line[512], *cmd;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cmd = xasprintf("%s ctl %s 'set %s'", bin, httpd_dir, line);
	ck_assert_msg(system(cmd) == 0, "fixture refused: %s", line);
	free(cmd);
}

char *
unit_httpd_log(void)
{
	char *path = xasprintf("%s/requests.log", httpd_dir), *buf;
	size_t len;

	if (file_read(path, &buf, &len) == -1)
		buf = xstrdup("");
	free(path);
	return buf;
}

int
unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int nf;

	str_copy(basedir, "/tmp/dnsfailover-unit.XXXXXX", sizeof(basedir));
	if (mkdtemp(basedir) == NULL)
		abort();
	srunner_run_all(sr, CK_ENV);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	rm_rf(basedir);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int
unit_free_port(int from, int step)
{
	struct sockaddr_in in;
	int p, t, u, ok;

	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (p = from; p < from + 10 * step; p += step) {
		in.sin_port = htons((uint16_t)p);
		t = socket(AF_INET, SOCK_STREAM, 0);
		u = socket(AF_INET, SOCK_DGRAM, 0);
		ok = bind(t, (struct sockaddr *)&in, sizeof(in)) == 0 &&
		    bind(u, (struct sockaddr *)&in, sizeof(in)) == 0;
		close(t);
		close(u);
		if (ok)
			return p;
	}
	fprintf(stderr, "no free port from %d\n", from);
	abort();
}

struct keyfile *
unit_keyfile(const char *path)
{
	struct diag_ref ref = { "test", 1, 1 };
	struct keyfile *kf;
	struct diags d;

	diags_init(&d);
	kf = keyfile_load(path, &ref, &d);
	ck_assert_ptr_nonnull(kf);
	diags_clear(&d);
	return kf;
}

struct dns_conf
unit_dns_conf(struct dns_server *sv, int port, const struct tsig_key *key,
    uint64_t timeout_ms)
{
	struct dns_conf c;
	char err[PARSE_ERRLEN];

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(addr_parse("127.0.0.1", &sv->addr, err, sizeof(err)),
	    0);
	sv->port = (uint16_t)port;
	sv->source = NULL;	/* the kernel chooses */
	c.servers = sv;
	c.nservers = 1;
	c.key = key;
	c.transport = DNS_TCP;
	c.timeout_ms = timeout_ms;
	c.verify = true;
	return c;
}

char *
unit_dig(int port, const char *name, const char *type)
{
	char *cmd = xasprintf("dig +short +time=2 +tries=1 -p %d @127.0.0.1 "
	    "%s %s | sort", port, name, type), *out = xcalloc(1, 4096);
	FILE *fp = popen(cmd, "r");
	size_t n;

	ck_assert_ptr_nonnull(fp);
	n = fread(out, 1, 4095, fp);
	out[n] = '\0';
	pclose(fp);
	free(cmd);
	return out;
}
