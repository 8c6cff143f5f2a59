// SPDX-License-Identifier: GPL-2.0
/* bench-tls: N SSL_write calls of SIZE bytes over loopback TLS, read at the other end; ns per write */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

static void die(const char *what)
{
	fprintf(stderr, "bench-tls: %s failed\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The server: read everything the client writes, then close. */
static void serve(int lfd, const char *cert, const char *key, long total)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char buf[16384];
	SSL *ssl;
	int fd, n;

	if (!ctx || SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		die("server certificate");
	fd = accept(lfd, NULL, NULL);
	ssl = SSL_new(ctx);
	if (fd < 0 || !ssl || SSL_set_fd(ssl, fd) != 1 || SSL_accept(ssl) != 1)
		die("SSL_accept");
	while (total > 0 && (n = SSL_read(ssl, buf, sizeof(buf))) > 0)
		total -= n;
	SSL_shutdown(ssl);
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	exit(total > 0);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	unsigned long long t0, t1;
	long n, size, i;
	SSL_CTX *ctx;
	char *buf;
	int lfd, fd, status, one = 1;
	pid_t pid;
	SSL *ssl;

	if (argc != 5) {
		fprintf(stderr, "usage: bench-tls CERT KEY N SIZE\n");
		return 2;
	}
	n = atol(argv[3]);
	size = atol(argv[4]);
	buf = calloc(1, size);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (!buf || lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&a, &alen))
		die("listen");
	pid = fork();
	if (pid == 0)
		serve(lfd, argv[1], argv[2], n * size);
	close(lfd);
	ctx = SSL_CTX_new(TLS_client_method());
	fd = socket(AF_INET, SOCK_STREAM, 0);
	/* a record per write, sent at once: no wait for the peer's ACK */
	if (!ctx || fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("connect");
	ssl = SSL_new(ctx);
	if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1)
		die("SSL_connect");
	memset(buf, 'x', size);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (SSL_write(ssl, buf, (int)size) != size)
			die("SSL_write");
	t1 = now_ns();
	SSL_shutdown(ssl);
	waitpid(pid, &status, 0);
	printf("%.1f\n", (double)(t1 - t0) / n);
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	free(buf);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
