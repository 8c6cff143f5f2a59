// SPDX-License-Identifier: GPL-2.0
/* dns-peer: a tiny DNS responder on UDP port 53 for the dns tests: names under nx. get NXDOMAIN, others one A record */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>

/*
 * serve ADDR READYFILE [silent|slow]: answer until killed; silent: never;
 * slow: each answer one second late
 */
int main(int argc, char **argv)
{
	struct sockaddr_storage ss = {}, from;
	unsigned char buf[512];
	int s, v6, silent, slow;
	FILE *f;

	if (argc < 4 || strcmp(argv[1], "serve")) {
		fprintf(stderr, "usage: dns-peer serve ADDR READYFILE [silent|slow]\n");
		return 1;
	}
	silent = argc > 4 && !strcmp(argv[4], "silent");
	slow = argc > 4 && !strcmp(argv[4], "slow");
	prctl(PR_SET_NAME, "dns-peer");
	v6 = strchr(argv[2], ':') != NULL;
	if (v6) {
		struct sockaddr_in6 *a = (void *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(53);
		inet_pton(AF_INET6, argv[2], &a->sin6_addr);
	} else {
		struct sockaddr_in *a = (void *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(53);
		inet_pton(AF_INET, argv[2], &a->sin_addr);
	}
	s = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&ss, v6 ? sizeof(struct sockaddr_in6) :
							 sizeof(struct sockaddr_in)))
		return perror("dns-peer: bind"), 1;
	f = fopen(argv[3], "w");
	if (!f)
		return perror(argv[3]), 1;
	fclose(f);
	for (;;) {
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		size_t q = 12, end;

		if (n < 12 || silent)
			continue;
		/* the question's name, then type and class */
		while (q < (size_t)n && buf[q] && buf[q] < 64)
			q += buf[q] + 1;
		end = q + 5;
		if (end > (size_t)n)
			continue;
		buf[2] = 0x81;			/* QR, RD */
		buf[3] = 0x80;			/* RA, NOERROR */
		if (buf[12] == 2 && !memcmp(buf + 13, "nx", 2)) {
			buf[3] |= 3;		/* NXDOMAIN */
		} else if (buf[q + 2] == 1) {	/* an A question: one answer */
			static const unsigned char a[] = {
				0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1,
			};

			memcpy(buf + end, a, sizeof(a));
			buf[7] = 1;
			end += sizeof(a);
		}
		buf[9] = buf[11] = 0;	/* no authority, no additional */
		buf[8] = buf[10] = 0;
		if (slow)
			sleep(1);
		sendto(s, buf, end, 0, (struct sockaddr *)&from, flen);
	}
}
