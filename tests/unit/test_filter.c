// SPDX-License-Identifier: GPL-2.0
/* test_filter.c: filter keys parsed and refused, cgroups resolved, the filter as bpfpin-ls shows it */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "pin.h"
#include "tap.h"

int main(void)
{
	const struct pin_module_desc *proc = pin_module_find("proc");
	const struct pin_module_desc *udp = pin_module_find("udp");
	struct bpfpin_filter f = {};
	struct bpfpin_cgroup_ref ref;
	const char *mount = pin_cgroup2_mount();
	char why[512], buf[1024];
	struct stat st;
	int err;

	ok(proc && udp, "proc and udp are built in");
	if (!proc || !udp)
		return tap_done();
	/* events */
	ok(pin_filter_set(proc, &f, "events", "exec", why, sizeof(why)) == 0,
	   "events = exec");
	ok(f.events_off == ((1ull << 2) | (1ull << 3) | (1ull << 4) | (1ull << 5)),
	   "every proc event but exec (type 1) is off");
	pin_filter_set(proc, &f, "events", "none", why, sizeof(why));
	ok(f.events_off == 0x3e, "none: all five off");
	pin_filter_set(proc, &f, "events", "all", why, sizeof(why));
	ok(f.events_off == 0, "all: none off");
	err = pin_filter_set(proc, &f, "events", "exec,bogus", why, sizeof(why));
	ok(err == -EINVAL && strstr(why, "module 'proc' has no event 'bogus'"),
	   "an unknown event is refused, named: %s", why);
	err = pin_filter_set(pin_module_find("tcpqueue"), &f, "events", "x", why,
			     sizeof(why));
	ok(err == -EINVAL && strstr(why, "(it emits none)"),
	   "a module without events says so");
	/* the budget */
	ok(pin_filter_set(proc, &f, "max_events_per_s", "0", why, sizeof(why)) == -EINVAL,
	   "a budget of 0 is refused");
	ok(pin_filter_set(proc, &f, "max_events_per_s", "-1", why, sizeof(why)) == -EINVAL,
	   "a negative budget is refused");
	ok(pin_filter_set(proc, &f, "max_events_per_s", "1000000001", why, sizeof(why)) == -EINVAL,
	   "above 10^9 is refused");
	ok(pin_filter_set(proc, &f, "max_events_per_s", "1k", why, sizeof(why)) == -EINVAL,
	   "so is a word");
	ok(pin_filter_set(proc, &f, "max_events_per_s", "1000", why, sizeof(why)) == 0 &&
	   f.max_events_per_s == 1000, "1000 is taken");
	/* pids, comm, uid */
	ok(pin_filter_set(proc, &f, "pid", "1, 2,3", why, sizeof(why)) == 0 &&
	   f.npids == 3 && f.pids[2] == 3 && (f.flags & BPFPIN_F_PID), "three pids");
	ok(pin_filter_set(proc, &f, "pid", "1,2,3,4,5,6,7,8,9", why, sizeof(why)) == -EINVAL,
	   "nine pids are too many");
	ok(pin_filter_set(proc, &f, "pid", "0", why, sizeof(why)) == -EINVAL,
	   "pid 0 is refused");
	pin_filter_set(proc, &f, "pid", "1,2", why, sizeof(why));
	ok(pin_filter_set(proc, &f, "comm", "0123456789abcdef", why, sizeof(why)) == -EINVAL,
	   "a comm of 16 bytes is refused");
	ok(pin_filter_set(proc, &f, "comm", "nginx", why, sizeof(why)) == 0 &&
	   !strcmp(f.comm, "nginx"), "comm nginx");
	ok(pin_filter_set(proc, &f, "uid", "0", why, sizeof(why)) == 0 &&
	   (f.flags & BPFPIN_F_UID), "uid 0 is a filter");
	err = pin_filter_set(udp, &f, "comm", "x", why, sizeof(why));
	ok(err == -EINVAL && !strcmp(why, "module 'udp' has no comm filter: it filters on its sockets' cgroups only (cgroup and no_system apply)"),
	   "udp refuses a comm filter: %s", why);
	err = pin_filter_set(pin_module_find("cgroup"), &f, "pid", "1", why, sizeof(why));
	ok(err == -EINVAL && !strcmp(why, "module 'cgroup' has no pid filter: it filters on the cgroup made or removed, not on who ran mkdir/rmdir (cgroup and no_system apply)"),
	   "cgroup refuses a pid filter, for what it is: %s", why);
	err = pin_filter_set(pin_module_find("nat"), &f, "uid", "0", why, sizeof(why));
	ok(err == -EINVAL && !strcmp(why, "module 'nat' has no uid filter: its packets have no task and no cgroup (a cgroup filter leaves out every mapping)"),
	   "nat refuses a uid filter, for what it is: %s", why);
	ok(pin_filter_set(proc, &f, "colour", "red", why, sizeof(why)) == -EINVAL,
	   "an unknown key is refused");
	/* cgroups */
	ok(mount != NULL, "cgroup v2 is mounted");
	ok(mount && !stat(mount, &st) && !pin_cgroup_find("/", &ref, why, sizeof(why)) &&
	   ref.id == st.st_ino && ref.level == 0, "/ is the mount's inode, level 0");
	ok(mount && !pin_cgroup_find(mount, &ref, why, sizeof(why)) && ref.level == 0,
	   "the mount path itself is / too");
	err = pin_cgroup_find("/bpfpin-no-such-cgroup", &ref, why, sizeof(why));
	ok(err == -ENOENT && strstr(why, "cgroup '/bpfpin-no-such-cgroup' does not exist"),
	   "a missing cgroup: %s", why);
	ok(pin_cgroup_find("relative", &ref, why, sizeof(why)) == -EINVAL,
	   "a relative name that is no container id is refused");
	ok(pin_cgroup_find("0123456789abcdef0123", &ref, why, sizeof(why)) == -ENOENT &&
	   strstr(why, "no cgroup of container"), "an unknown container id");
	ok(pin_filter_set(proc, &f, "cgroup", "/", why, sizeof(why)) == 0 &&
	   f.ncgroups == 1 && (f.flags & BPFPIN_F_CGROUP), "cgroup /");
	pin_filter_set(proc, &f, "no_system", "1", why, sizeof(why));
	ok(pin_filter_set(proc, &f, "no_system", "2", why, sizeof(why)) == -EINVAL,
	   "no_system is 0 or 1");
	pin_filter_set(proc, &f, "events", "exec,exit", why, sizeof(why));
	/* as bpfpin-ls shows it */
	pin_filter_format(proc, &f, buf, sizeof(buf));
	is_str(buf, "cgroup=/ pid=1,2 comm=nginx uid=0 no_system events=exec,exit rate=1000/s",
	       "the whole filter as text");
	pin_filter_format(proc, NULL, buf, sizeof(buf));
	is_str(buf, "none", "no filter is none");
	memset(&f, 0, sizeof(f));
	pin_filter_set(proc, &f, "events", "none", why, sizeof(why));
	pin_filter_format(proc, &f, buf, sizeof(buf));
	is_str(buf, "events=none", "every event off");
	ok(!pin_filter_is_empty(&f), "which is a filter");
	pin_filter_set(proc, &f, "events", "all", why, sizeof(why));
	ok(pin_filter_is_empty(&f), "all events and nothing else is none");
	return tap_done();
}
