// SPDX-License-Identifier: GPL-2.0
/* tcp-peer: a TCP server and client that exchange exactly K bytes each way, for the tcp tests */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>

static int resolve(const char *host, const char *port, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM }, *ai;

	if (getaddrinfo(host, port, &hints, &ai))
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int move(int fd, long n, bool out)
{
	char buf[65536];

	memset(buf, 'x', sizeof(buf));
	while (n > 0) {
		ssize_t r = out ? write(fd, buf, n < (long)sizeof(buf) ? n : (long)sizeof(buf)) :
				  read(fd, buf, n < (long)sizeof(buf) ? n : (long)sizeof(buf));

		if (r <= 0)
			return -1;
		n -= r;
	}
	return 0;
}

/* serve ADDR PORTFILE K: accept one client, read K, write K, read to EOF */
static int serve(const char *host, const char *port_file, long k)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char port[16], buf[4096];
	int s, c, one = 1;
	FILE *f;

	prctl(PR_SET_NAME, "tcp-server");
	if (resolve(host, "0", &ss, &len))
		return fprintf(stderr, "tcp-peer: bad address '%s'\n", host), 1;
	s = socket(ss.ss_family, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&ss, len) || listen(s, 8) ||
	    getsockname(s, (struct sockaddr *)&ss, &len) ||
	    getnameinfo((struct sockaddr *)&ss, len, NULL, 0, port, sizeof(port),
			NI_NUMERICSERV))
		return perror("tcp-peer: server"), 1;
	f = fopen(port_file, "w");
	if (!f)
		return perror(port_file), 1;
	fprintf(f, "%s\n", port);
	fclose(f);
	c = accept(s, NULL, NULL);
	if (c < 0 || move(c, k, false) || move(c, k, true))
		return perror("tcp-peer: serve"), 1;
	while (read(c, buf, sizeof(buf)) > 0)
		;
	close(c);
	close(s);
	return 0;
}

/*
 * connect ADDR PORT K [SYNCNT]: write K, read K, close. Exit 0, or 2 when
 * refused, 3 when the connect timed out or found no route.
 */
static int client(const char *host, const char *port, long k, int syncnt)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int s;

	prctl(PR_SET_NAME, "tcp-client");
	if (resolve(host, port, &ss, &len))
		return fprintf(stderr, "tcp-peer: bad address '%s'\n", host), 1;
	s = socket(ss.ss_family, SOCK_STREAM, 0);
	if (syncnt > 0)
		setsockopt(s, IPPROTO_TCP, TCP_SYNCNT, &syncnt, sizeof(syncnt));
	if (connect(s, (struct sockaddr *)&ss, len)) {
		int e = errno;

		fprintf(stderr, "tcp-peer: connect: %s\n", strerror(e));
		return e == ECONNREFUSED ? 2 : (e == ETIMEDOUT || e == EHOSTUNREACH) ? 3 : 1;
	}
	if (move(s, k, true) || move(s, k, false))
		return perror("tcp-peer: exchange"), 1;
	close(s);
	return 0;
}

/*
 * reset ADDR PORT [server]: a listener bound to PORT, a connection to it,
 * accepted; "ready" on stdout, then at a line on stdin (or its end) the
 * client resets it (SO_LINGER 0 and close), or the accepted end does. Exit
 * 0 when the other end saw the reset.
 */
static int reset_pair(const char *host, const char *port, bool server)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_storage ss;
	socklen_t len;
	int l, c, s, one = 1;
	char buf[16];

	if (resolve(host, port, &ss, &len))
		return fprintf(stderr, "tcp-peer: bad address '%s'\n", host), 1;
	l = socket(ss.ss_family, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) || listen(l, 1))
		return perror("tcp-peer: listen"), 1;
	c = socket(ss.ss_family, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&ss, len))
		return perror("tcp-peer: connect"), 1;
	s = accept(l, NULL, NULL);
	if (s < 0)
		return perror("tcp-peer: accept"), 1;
	printf("ready\n");
	fflush(stdout);
	if (read(STDIN_FILENO, buf, sizeof(buf)) < 0)
		return 1;
	if (server) {
		int t = c;

		c = s;
		s = t;
	}
	/* c resets, s sees it */
	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(c);
	if (read(s, buf, sizeof(buf)) >= 0 || errno != ECONNRESET)
		return fprintf(stderr, "tcp-peer: no reset seen\n"), 1;
	close(s);
	close(l);
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 4 || (argc == 5 && !strcmp(argv[4], "server"))) &&
	    !strcmp(argv[1], "reset"))
		return reset_pair(argv[2], argv[3], argc == 5);
	if (argc == 5 && !strcmp(argv[1], "serve"))
		return serve(argv[2], argv[3], atol(argv[4]));
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "connect"))
		return client(argv[2], argv[3], atol(argv[4]),
			      argc == 6 ? atoi(argv[5]) : 0);
	fprintf(stderr, "usage: tcp-peer serve ADDR PORTFILE K | connect ADDR PORT K [SYNCNT] | reset ADDR PORT [server]\n");
	return 1;
}
