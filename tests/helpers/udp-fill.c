// SPDX-License-Identifier: GPL-2.0
/* udp-fill: a loopback UDP receiver that reads only when told, and a sender of K datagrams; for udp tests */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

/* server PORT_FILE RCVBUF GO_FILE: bind, wait for GO_FILE, read what queued */
static int serve(const char *port_file, int rcvbuf, const char *go_file)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	char buf[65536];
	long n = 0;
	FILE *f;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (rcvbuf)
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(s, (struct sockaddr *)&a, &len))
		return perror("udp-fill: server"), 1;
	f = fopen(port_file, "w");
	if (!f)
		return perror(port_file), 1;
	fprintf(f, "%d\n", ntohs(a.sin_port));
	fclose(f);
	while (access(go_file, F_OK))
		usleep(10000);
	fcntl(s, F_SETFL, O_NONBLOCK);
	while (recv(s, buf, sizeof(buf), 0) >= 0)
		n++;
	printf("%ld\n", n);
	return 0;
}

/* client PORT K SIZE: K datagrams of SIZE bytes; prints the local port */
static int send_all(int port, long k, int size)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	char *buf = calloc(1, size ? size : 1);
	long i;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!buf || connect(s, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(s, (struct sockaddr *)&me, &len))
		return perror("udp-fill: client"), 1;
	for (i = 0; i < k; i++)
		if (send(s, buf, size, 0) != size)
			return perror("udp-fill: send"), 1;
	printf("%d\n", ntohs(me.sin_port));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "server"))
		return serve(argv[2], atoi(argv[3]), argv[4]);
	if (argc == 5 && !strcmp(argv[1], "client"))
		return send_all(atoi(argv[2]), atol(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: udp-fill server PORT_FILE RCVBUF GO_FILE | client PORT K SIZE\n");
	return 2;
}
