// SPDX-License-Identifier: GPL-2.0
/* seccomp-deny: install a filter that traps or kills one syscall, then call it once; for seccomp tests */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static volatile sig_atomic_t trapped = -1;

static void on_sigsys(int sig, siginfo_t *info, void *ctx)
{
	(void)sig;
	(void)ctx;
	trapped = info->si_syscall;
}

int main(int argc, char **argv)
{
	int nr = __NR_getppid;
	unsigned int action;
	struct sigaction sa;

	if (argc != 2 || (strcmp(argv[1], "trap") && strcmp(argv[1], "kill"))) {
		fprintf(stderr, "usage: seccomp-deny trap|kill\n");
		return 2;
	}
	action = !strcmp(argv[1], "trap") ? SECCOMP_RET_TRAP | 42 :
					    SECCOMP_RET_KILL_PROCESS;
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = filter };

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("seccomp-deny: install filter");
		return 1;
	}
	syscall(nr);
	/* a trap returns here with the handler run; a kill never does */
	return trapped == nr ? 0 : 1;
}
