// SPDX-License-Identifier: GPL-2.0
/* test_syscalls.c: syscall names both ways, errno names as the columns show them */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#include "pin.h"
#include "tap.h"

int main(void)
{
	char buf[32];

	ok(pin_syscall_nr("getppid") == SYS_getppid, "getppid is %d", SYS_getppid);
	ok(pin_syscall_nr("openat") == SYS_openat, "openat is %d", SYS_openat);
	ok(pin_syscall_nr("nosuchcall") == -ENOENT, "an unknown name is -ENOENT");
	ok(pin_syscall_nr("") == -ENOENT, "so is an empty one");
	is_str(pin_syscall_name(pin_syscall_nr("nanosleep")), "nanosleep",
	       "name and number agree");
	ok(pin_errno_str(ENOENT, buf, sizeof(buf)) == 0, "errno 2 has a name");
	is_str(buf, "ENOENT", "errno 2 is ENOENT");
	pin_errno_str(EBADF, buf, sizeof(buf));
	is_str(buf, "EBADF", "errno 9 is EBADF");
	pin_errno_str(512, buf, sizeof(buf));
	is_str(buf, "ERESTARTSYS", "kernel-internal 512 is ERESTARTSYS");
	pin_errno_str(516, buf, sizeof(buf));
	is_str(buf, "ERESTART_RESTARTBLOCK", "516 is ERESTART_RESTARTBLOCK");
	pin_errno_str(4000, buf, sizeof(buf));
	is_str(buf, "errno_4000", "an unnamed one shows its number");
	ok(pin_errno_str(0, buf, sizeof(buf)) == -ENOENT && !buf[0],
	   "0 is no error: -ENOENT, empty");
	ok(pin_errno_name(0) == NULL && pin_errno_name(5000) == NULL,
	   "no name for 0 or past 4095");
	return tap_done();
}
