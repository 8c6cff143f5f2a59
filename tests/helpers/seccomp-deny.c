// SPDX-License-Identifier: GPL-2.0
/* seccomp-deny: install a filter that traps, kills, fails (errno), traces or logs getppid, then call it; for seccomp tests */
#define _GNU_SOURCE
#include <errno.h>
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

	if (argc != 2) {
		fprintf(stderr, "usage: seccomp-deny trap|kill|errno|trace|log\n");
		return 2;
	}
	if (!strcmp(argv[1], "trap"))
		action = SECCOMP_RET_TRAP | 42;
	else if (!strcmp(argv[1], "kill"))
		action = SECCOMP_RET_KILL_PROCESS;
	else if (!strcmp(argv[1], "errno"))
		action = SECCOMP_RET_ERRNO | 42;	/* ENOMSG */
	else if (!strcmp(argv[1], "trace"))
		action = SECCOMP_RET_TRACE | 5;		/* no tracer: ENOSYS */
	else if (!strcmp(argv[1], "log"))
		action = SECCOMP_RET_LOG;
	else {
		fprintf(stderr, "seccomp-deny: unknown action '%s'\n", argv[1]);
		return 2;
	}
	/*
	 * getppid with its first argument 7 gets the action, any other call
	 * is allowed: a filter that reads an argument, so the kernel's cache
	 * cannot allow getppid without running it.
	 */
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };
	long r1, r2;
	int e1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("seccomp-deny: install filter");
		return 1;
	}
	errno = 0;
	r1 = syscall(nr, 7);
	e1 = errno;
	r2 = syscall(nr, 0);		/* allowed: not counted */
	if (r2 <= 0)
		return 1;
	switch (action & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_TRAP:	/* returns here with the handler run */
		return trapped == nr ? 0 : 1;
	case SECCOMP_RET_ERRNO:
		return r1 == -1 && e1 == 42 ? 0 : 1;
	case SECCOMP_RET_TRACE:
		return r1 == -1 && e1 == ENOSYS ? 0 : 1;
	case SECCOMP_RET_LOG:	/* the call went through */
		return r1 == r2 ? 0 : 1;
	}
	return 1;			/* a kill never returns */
}
