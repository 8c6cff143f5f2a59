// SPDX-License-Identifier: GPL-2.0
/* tcp-hold: a TCP connection held open and fed on command, for the tcp seeding and live-bytes tests */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>

/* sink PORTFILE ADDR: accept one client on ADDR, read to EOF, print the bytes read */
static int sink(const char *port_file, const char *addr)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	char buf[65536], tmp[4096];
	long total = 0;
	ssize_t r;
	int s, c;
	FILE *f;

	prctl(PR_SET_NAME, "tcp-sink");
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return fprintf(stderr, "tcp-hold: bad address '%s'\n", addr), 2;
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1) ||
	    getsockname(s, (struct sockaddr *)&a, &len))
		return perror("tcp-hold: listen"), 1;
	/* whole or not at all: the test polls for it */
	snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
	f = fopen(tmp, "w");
	if (!f)
		return perror("tcp-hold: port file"), 1;
	fprintf(f, "%u\n", ntohs(a.sin_port));
	if (fclose(f) || rename(tmp, port_file))
		return perror("tcp-hold: port file"), 1;
	c = accept(s, NULL, NULL);
	if (c < 0)
		return perror("tcp-hold: accept"), 1;
	while ((r = read(c, buf, sizeof(buf))) > 0)
		total += r;
	printf("%ld\n", total);
	close(c);
	close(s);
	return 0;
}

/*
 * hold PORT ADDR: connect to ADDR:PORT, then obey stdin, one command a
 * line: "send N" writes N bytes, "close" closes; "ok" on stdout after each.
 */
static int hold(const char *port, const char *addr)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(atoi(port)) };
	char line[64], buf[65536];
	long n;
	int s;

	prctl(PR_SET_NAME, "tcp-holder");
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return fprintf(stderr, "tcp-hold: bad address '%s'\n", addr), 2;
	memset(buf, 'x', sizeof(buf));
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)))
		return perror("tcp-hold: connect"), 1;
	printf("ok\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "send %ld", &n) == 1) {
			while (n > 0) {
				ssize_t w = write(s, buf, n < (long)sizeof(buf) ?
						  n : (long)sizeof(buf));

				if (w <= 0)
					return perror("tcp-hold: write"), 1;
				n -= w;
			}
		} else if (!strcmp(line, "close\n")) {
			close(s);
			printf("ok\n");
			return 0;
		}
		printf("ok\n");
		fflush(stdout);
	}
	return 1;
}

int main(int argc, char **argv)
{
	const char *addr = argc == 4 ? argv[3] : "127.0.0.1";

	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "sink"))
		return sink(argv[2], addr);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "hold"))
		return hold(argv[2], addr);
	fprintf(stderr, "usage: tcp-hold sink PORTFILE [ADDR] | hold PORT [ADDR]\n");
	return 2;
}
