/*
 * peer.c — a real TLS peer as a child process, and loopback sockets (see peer.h).
 *
 * Why it is built like this: interop tests talk to programs nobody here wrote, which may
 * fail to start, print their verdict on stderr, die mid-handshake or wait forever. So the
 * child's stdout and stderr share one pipe that is drained whenever we wait (a chatty peer
 * never blocks on a full pipe), every wait has a deadline, and "the peer exited" ends a wait
 * early with its output at hand for the test to show.
 */
#include "support/peer.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

__attribute__((format(printf, 2, 3))) static void set_error(struct peer *p, const char *fmt, ...)
{
	va_list ap;
	if (!p)
		return;
	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ms_left(long long deadline)
{
	long long left = deadline - now_ms();
	return left < 0 ? 0 : left > 1000000 ? 1000000 : (int)left;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The Debian/Ubuntu package that ships a program, for "install X" messages. */
static const char *package_of(const char *prog)
{
	if (strncmp(prog, "gnutls-", 7) == 0)
		return "gnutls-bin";
	if (strcmp(prog, "openssl") == 0)
		return "openssl";
	return prog;
}

/* Finds prog in PATH (or takes it as a path when it has a '/'). */
static int find_program(const char *prog, char *out, size_t n)
{
	if (strchr(prog, '/')) {
		snprintf(out, n, "%s", prog);
		return access(out, X_OK);
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t len = colon ? (size_t)(colon - path) : strlen(path);
		if (len > 0 && (size_t)snprintf(out, n, "%.*s/%s", (int)len, path, prog) < n &&
		    access(out, X_OK) == 0)
			return 0;
		path += len + (colon ? 1 : 0);
	}
	return -1;
}

static void close_fd(int *fd)
{
	if (*fd > STDERR_FILENO)
		close(*fd);
	*fd = -1;
}

static int append(struct peer *p, const char *data, size_t n)
{
	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		while (cap < p->len + n + 1)
			cap *= 2;
		char *b = realloc(p->buf, cap);
		if (!b)
			return -1;
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	p->buf[p->len] = '\0';
	return 0;
}

int peer_start(struct peer *p, char *const argv[], char *const env[])
{
	char path[4096];
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	size_t off = 0;

	memset(p, 0, sizeof(*p));
	p->in = p->out = -1;
	snprintf(p->name, sizeof(p->name), "%s", argv[0]);
	for (size_t i = 0; argv[i] && off < sizeof(p->cmdline); i++) {
		int k = snprintf(p->cmdline + off, sizeof(p->cmdline) - off, "%s%s", i ? " " : "",
				 argv[i]);
		if (k < 0)
			break;
		off += (size_t)k;
	}
	if (append(p, "", 0) < 0) {
		set_error(p, "out of memory");
		return -1;
	}
	if (find_program(argv[0], path, sizeof(path)) < 0) {
		set_error(p,
			  "%s is not installed (not found in PATH): install the package %s "
			  "(`make check` installs it through tools/deps.sh)",
			  argv[0], package_of(argv[0]));
		return -1;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		set_error(p, "pipe: %s", strerror(errno));
		close_fd(&in[0]);
		close_fd(&in[1]);
		return -1;
	}
	/* a peer that dies must not kill us when we write to its stdin */
	signal(SIGPIPE, SIG_IGN);
	fflush(NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		set_error(p, "fork: %s", strerror(errno));
		close_fd(&in[0]);
		close_fd(&in[1]);
		close_fd(&out[0]);
		close_fd(&out[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t none;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* dup2 clears close-on-exec on the copies */
		if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
		    dup2(out[1], STDERR_FILENO) < 0)
			_exit(127);
		for (size_t i = 0; env && env[i]; i++)
			putenv(env[i]);
		execv(path, argv);
		dprintf(STDERR_FILENO, "peer: cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	p->pid = pid;
	p->in = in[1];
	p->out = out[0];
	fcntl(p->out, F_SETFL, fcntl(p->out, F_GETFL) | O_NONBLOCK);
	return 0;
}

/* Reads what is there now; closes out at EOF. */
static void drain(struct peer *p)
{
	char chunk[4096];
	while (p->out >= 0) {
		ssize_t n = read(p->out, chunk, sizeof(chunk));
		if (n > 0) {
			if (append(p, chunk, (size_t)n) < 0)
				return;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close_fd(&p->out); /* EOF or a read error: nothing more will come */
	}
}

void peer_pump(struct peer *p, int timeout_ms)
{
	if (p->out < 0) {
		if (timeout_ms > 0)
			sleep_ms(timeout_ms);
		return;
	}
	struct pollfd pfd = { .fd = p->out, .events = POLLIN };
	if (poll(&pfd, 1, timeout_ms) > 0)
		drain(p);
}

bool peer_expect(struct peer *p, const char *needle, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		drain(p);
		if (p->buf && strstr(p->buf, needle))
			return true;
		if (p->out < 0 || ms_left(deadline) == 0)
			return false;
		peer_pump(p, ms_left(deadline));
	}
}

int peer_write(struct peer *p, const char *s)
{
	size_t n = strlen(s);
	if (p->in < 0) {
		set_error(p, "%s: stdin already closed", p->name);
		return -1;
	}
	while (n > 0) {
		ssize_t w = write(p->in, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			set_error(p, "writing to %s's stdin: %s", p->name, strerror(errno));
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

void peer_close_stdin(struct peer *p)
{
	close_fd(&p->in);
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

bool peer_exited(struct peer *p)
{
	if (p->pid <= 0 || p->reaped)
		return true;
	pid_t r = waitpid(p->pid, &p->status, WNOHANG);
	if (r == p->pid || (r < 0 && errno == ECHILD)) {
		p->reaped = true;
		return true;
	}
	return false;
}

int peer_wait(struct peer *p, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	while (p->out >= 0 && ms_left(deadline) > 0)
		peer_pump(p, ms_left(deadline));
	for (;;) {
		if (peer_exited(p)) {
			drain(p);
			return p->pid > 0 ? exit_code(p->status) : -1;
		}
		if (ms_left(deadline) == 0)
			break;
		sleep_ms(5);
	}
	set_error(p, "%s still running after %d ms", p->name, timeout_ms);
	return -1;
}

int peer_stop(struct peer *p, int timeout_ms)
{
	if (p->pid <= 0)
		return -1;
	if (!peer_exited(p))
		kill(p->pid, SIGTERM);
	int rc = peer_wait(p, timeout_ms);
	if (rc >= 0)
		return rc;
	kill(p->pid, SIGKILL);
	while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
		;
	p->reaped = true;
	drain(p);
	return -1;
}

void peer_free(struct peer *p)
{
	if (p->pid > 0 && !p->reaped) {
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, &p->status, 0) < 0 && errno == EINTR)
			;
		p->reaped = true;
	}
	close_fd(&p->in);
	close_fd(&p->out);
	free(p->buf);
	p->buf = NULL;
	p->len = p->cap = 0;
}

/* ---- loopback sockets --------------------------------------------------------------- */

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

int loopback_listen(int *port)
{
	struct sockaddr_in sa = loopback(0);
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

int loopback_free_port(void)
{
	int port;
	int fd = loopback_listen(&port);
	if (fd < 0)
		return -1;
	close(fd);
	return port;
}

int loopback_accept(int lfd, struct peer *p, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		struct pollfd pfd[2] = { { .fd = lfd, .events = POLLIN },
					 { .fd = p ? p->out : -1, .events = POLLIN } };
		int slice = ms_left(deadline) < 50 ? ms_left(deadline) : 50;
		bool gone = p && peer_exited(p); /* looked at before poll: no lost connection */
		if (poll(pfd, 2, slice) < 0 && errno != EINTR) {
			set_error(p, "poll: %s", strerror(errno));
			return -1;
		}
		if (pfd[0].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				return fd;
			if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED) {
				set_error(p, "accept: %s", strerror(errno));
				return -1;
			}
			continue;
		}
		if (p && pfd[1].revents)
			drain(p);
		if (gone) {
			set_error(p, "%s exited (status %d) without connecting", p->name,
				  exit_code(p->status));
			return -1;
		}
		if (ms_left(deadline) == 0) {
			set_error(p, "no connection within %d ms", timeout_ms);
			return -1;
		}
	}
}

int loopback_connect(int port, struct peer *p, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		struct sockaddr_in sa = loopback(port), me;
		socklen_t len = sizeof(me);
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			set_error(p, "socket: %s", strerror(errno));
			return -1;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			/* a port in the ephemeral range can connect to itself (TCP simultaneous
			 * open) while nobody listens yet: that is not the server */
			if (getsockname(fd, (struct sockaddr *)&me, &len) == 0 &&
			    me.sin_port == sa.sin_port) {
				close(fd);
				continue;
			}
			return fd;
		}
		int err = errno;
		close(fd);
		if (err != ECONNREFUSED && err != EINTR && err != EAGAIN) {
			set_error(p, "connect to 127.0.0.1:%d: %s", port, strerror(err));
			return -1;
		}
		if (p && peer_exited(p)) {
			drain(p);
			set_error(p, "%s exited (status %d) before it accepted connections", p->name,
				  exit_code(p->status));
			return -1;
		}
		if (ms_left(deadline) == 0) {
			set_error(p, "127.0.0.1:%d refused connections for %d ms", port, timeout_ms);
			return -1;
		}
		if (p)
			drain(p);
		sleep_ms(10);
	}
}

int socket_set_timeouts(int fd, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -1;
	return 0;
}
