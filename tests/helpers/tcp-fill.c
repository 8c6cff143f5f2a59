// SPDX-License-Identifier: GPL-2.0
/* tcp-fill: a loopback TCP server that never reads, and a client that writes N bytes; for queue tests */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

static int serve(const char *port_file)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0), c;
	FILE *f;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1) ||
	    getsockname(s, (struct sockaddr *)&a, &len))
		return perror("tcp-fill: server"), 1;
	f = fopen(port_file, "w");
	if (!f)
		return perror(port_file), 1;
	fprintf(f, "%d\n", ntohs(a.sin_port));
	fclose(f);
	c = accept(s, NULL, NULL);
	if (c < 0)
		return perror("tcp-fill: accept"), 1;
	pause();	/* never read: the data waits in the receive queue */
	return 0;
}

static int send_bytes(int port, long n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	char buf[4096];
	int s = socket(AF_INET, SOCK_STREAM, 0);

	memset(buf, 'x', sizeof(buf));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)))
		return perror("tcp-fill: connect"), 1;
	while (n > 0) {
		ssize_t w = write(s, buf, n < (long)sizeof(buf) ? n : (long)sizeof(buf));

		if (w <= 0)
			return perror("tcp-fill: write"), 1;
		n -= w;
	}
	return close(s) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "server"))
		return serve(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "client"))
		return send_bytes(atoi(argv[2]), atol(argv[3]));
	fprintf(stderr, "usage: tcp-fill server PORT_FILE | client PORT BYTES\n");
	return 2;
}
