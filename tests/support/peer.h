/*
 * peer.h — runs a real TLS implementation (openssl s_server / s_client, gnutls-serv,
 * gnutls-cli) as a child process for interop tests, and the loopback socket chores around
 * it.
 *
 * A peer's stdin is a pipe we write to; its stdout and stderr go together into one pipe we
 * read (non-blocking) into a growing, NUL-terminated buffer, so a test can wait for a line
 * ("ALPN protocol: http/1.1") with a deadline and grep everything the peer said. Every
 * wait here is bounded; nothing sleeps for a fixed long time. The child gets SIGKILL should
 * the test process die, and stays in the test's process group, which the harness kills
 * when the test ends. No function here aborts or uses the harness: they return an error and
 * leave a sentence in p->error, and the test decides.
 */
#ifndef KTLS_TEST_PEER_H
#define KTLS_TEST_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct peer {
	pid_t pid;        /* > 0 while the child has not been reaped */
	int in;           /* write end of its stdin, or -1 (closed / never opened: use > 2) */
	int out;          /* read end of its stdout + stderr, -1 at EOF */
	char *buf;        /* all it printed so far, NUL-terminated (never NULL once started) */
	size_t len, cap;
	int status;       /* wait status, once reaped */
	bool reaped;
	char name[64];    /* argv[0], for messages */
	char cmdline[1024];
	char error[512];  /* why the last call failed */
};

/* Starts argv (argv[0] looked up in PATH; argv NULL-terminated) with `env` (NULL or a
 * NULL-terminated list of "NAME=value") added to our environment. Returns 0, or -1 with
 * p->error set — for a missing program, naming the package that provides it. p must be
 * zero-filled or freed before. */
int peer_start(struct peer *p, char *const argv[], char *const env[]);
/* Reads what the peer printed until `needle` appears in its output, it closes its output,
 * or timeout_ms passes. Returns true when the needle is there. */
bool peer_expect(struct peer *p, const char *needle, int timeout_ms);
/* Reads whatever output is ready, waiting at most timeout_ms for the first bytes. */
void peer_pump(struct peer *p, int timeout_ms);
/* Writes all of s to the peer's stdin. Returns 0, or -1 with p->error set. */
int peer_write(struct peer *p, const char *s);
/* Closes the peer's stdin (EOF for it). */
void peer_close_stdin(struct peer *p);
/* Has the child exited? Reaps it if so (its output is still there to read). */
bool peer_exited(struct peer *p);
/* Reads its output to EOF and reaps it, within timeout_ms. Returns its exit code (128 + the
 * signal when killed), or -1 on timeout (the peer keeps running). */
int peer_wait(struct peer *p, int timeout_ms);
/* SIGTERM, then what peer_wait does; SIGKILL when it does not end in time. Returns the exit
 * code as peer_wait, or -1 when it had to be killed. Output stays readable in p->buf. */
int peer_stop(struct peer *p, int timeout_ms);
/* Kills (SIGKILL) and reaps a child still running, closes the pipes, frees the buffer.
 * Safe on a zero-filled or already freed peer. */
void peer_free(struct peer *p);

/* A listening TCP socket on 127.0.0.1, port chosen by the kernel. Returns the fd
 * (close-on-exec) and stores the port, or -1. */
int loopback_listen(int *port);
/* A port on 127.0.0.1 that was free a moment ago (bound to 0, then closed), or -1. */
int loopback_free_port(void);
/* Accepts one connection on lfd within timeout_ms, reading the peer's output meanwhile
 * (so it cannot block on a full pipe) and giving up early if p exits. Returns the fd
 * (close-on-exec) or -1 with p->error set. p may be NULL. */
int loopback_accept(int lfd, struct peer *p, int timeout_ms);
/* Connects to 127.0.0.1:port, retrying every 10 ms while it is refused — a spawned server
 * may not listen yet — for at most timeout_ms, and giving up early if p exits. Returns the
 * fd (close-on-exec) or -1 with p->error set. */
int loopback_connect(int port, struct peer *p, int timeout_ms);
/* Sets SO_RCVTIMEO and SO_SNDTIMEO on fd, so a blocking call on a stuck peer returns
 * EAGAIN after timeout_ms instead of hanging. Returns 0 or -1. */
int socket_set_timeouts(int fd, int timeout_ms);

#endif
