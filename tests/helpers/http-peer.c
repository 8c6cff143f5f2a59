// SPDX-License-Identifier: GPL-2.0
/* http-peer: a tiny HTTP/1.1 server, and clients that split, pipeline or upgrade requests */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* Answer every request on @c: /ok gets 200, anything else 404. */
static void serve_conn(int c, long delay_ms)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
	static const char nf[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnot\n";
	static const char up[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n"
				 "Connection: Upgrade\r\n\r\n";
	char buf[4096];
	size_t have = 0;
	ssize_t n;
	char *end;

	for (;;) {
		while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
			if (have == sizeof(buf))
				return;
			n = read(c, buf + have, sizeof(buf) - have);
			if (n <= 0)
				return;
			have += n;
		}
		pause_ms(delay_ms);
		if (!strncmp(buf, "GET /upgrade ", 13)) {
			/* then an echo: whatever comes, back */
			if (write(c, up, sizeof(up) - 1) < 0)
				return;
			while ((n = read(c, buf, sizeof(buf))) > 0)
				if (write(c, buf, n) != n)
					return;
			return;
		}
		if (!strncmp(buf, "GET /ok ", 8)) {
			if (write(c, ok, sizeof(ok) - 1) < 0)
				return;
		} else if (write(c, nf, sizeof(nf) - 1) < 0) {
			return;
		}
		end += 4;
		have -= end - buf;
		memmove(buf, end, have);
	}
}

static int serve(int port, const char *ready, long delay_ms)
{
	struct sockaddr_in a = loopback(port);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1, c;
	FILE *f;

	signal(SIGCHLD, SIG_IGN);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 64))
		return perror("http-peer: bind"), 1;
	f = fopen(ready, "w");
	if (!f)
		return perror(ready), 1;
	fclose(f);
	for (;;) {
		c = accept(l, NULL, NULL);
		if (c < 0)
			continue;
		if (fork() == 0) {
			serve_conn(c, delay_ms);
			_exit(0);
		}
		close(c);
	}
}

static int connect_to(int port)
{
	struct sockaddr_in a = loopback(port);
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	/* each write its own segment, at once */
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
		perror("http-peer: connect");
		exit(1);
	}
	return s;
}

static void send_all(int s, const char *p, size_t n)
{
	if (write(s, p, n) != (ssize_t)n) {
		perror("http-peer: write");
		exit(1);
	}
}

/*
 * Read until @n responses have arrived whole: their bodies end with a
 * newline; @bodies false: headers alone (a 101).
 */
static void read_responses(int s, int n, int bodies)
{
	char buf[4096];
	size_t have = 0;
	ssize_t r;
	int seen;
	char *p;

	for (;;) {
		seen = 0;
		for (p = buf; (p = memmem(p, have - (p - buf), "\r\n\r\n", 4)); p += 4)
			seen++;
		/* the last body's newline, not a header block's */
		if (seen >= n && (!bodies || (buf[have - 1] == '\n' &&
					     memcmp(buf + have - 4, "\r\n\r\n", 4))))
			break;
		r = read(s, buf + have, sizeof(buf) - have);
		if (r <= 0) {
			fprintf(stderr, "http-peer: connection closed after %d responses\n", seen);
			exit(1);
		}
		have += r;
	}
	fwrite(buf, 1, have, stdout);
}

/* Write @p and read until @n bytes have come back. */
static void echo_round(int s, const char *p, size_t n)
{
	char buf[256];
	size_t have = 0;
	ssize_t r;

	send_all(s, p, n);
	while (have < n) {
		r = read(s, buf, sizeof(buf));
		if (r <= 0) {
			fprintf(stderr, "http-peer: no echo\n");
			exit(1);
		}
		have += r;
	}
}

/*
 * split PORT PAUSE_MS: one request written in two send()s, PAUSE_MS apart;
 * pipeline PORT: two requests, the second sent before the first is answered;
 * upgrade PORT: GET /upgrade (101), then two rounds of other bytes;
 * junk PORT: GET /ok, then a line that is no request (answered 404).
 */
int main(int argc, char **argv)
{
	static const char req[] = "GET /ok HTTP/1.1\r\nHost: test\r\nUser-Agent: http-peer\r\n\r\n";
	int s;

	prctl(PR_SET_NAME, "http-peer");
	if (argc >= 4 && !strcmp(argv[1], "serve"))
		return serve(atoi(argv[2]), argv[3], argc > 4 ? atol(argv[4]) : 0);
	if (argc == 4 && !strcmp(argv[1], "split")) {
		s = connect_to(atoi(argv[2]));
		send_all(s, req, 10);
		pause_ms(atol(argv[3]));
		send_all(s, req + 10, sizeof(req) - 1 - 10);
		read_responses(s, 1, 1);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "pipeline")) {
		s = connect_to(atoi(argv[2]));
		send_all(s, req, sizeof(req) - 1);
		pause_ms(10);
		send_all(s, req, sizeof(req) - 1);
		read_responses(s, 2, 1);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "upgrade")) {
		static const char up[] = "GET /upgrade HTTP/1.1\r\nHost: test\r\nUpgrade: echo\r\n\r\n";

		s = connect_to(atoi(argv[2]));
		send_all(s, up, sizeof(up) - 1);
		read_responses(s, 1, 0);
		echo_round(s, "ping\n", 5);
		echo_round(s, "pong\n", 5);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "junk")) {
		static const char junk[] = "hello there\r\n\r\n";

		s = connect_to(atoi(argv[2]));
		send_all(s, req, sizeof(req) - 1);
		read_responses(s, 1, 1);
		send_all(s, junk, sizeof(junk) - 1);
		read_responses(s, 1, 1);
		return 0;
	}
	fprintf(stderr, "usage: http-peer serve PORT READYFILE [DELAY_MS] | split PORT PAUSE_MS | pipeline PORT | upgrade PORT | junk PORT\n");
	return 2;
}
