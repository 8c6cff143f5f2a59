// SPDX-License-Identifier: GPL-2.0
/* test_cgroup.c: container ids from the cgroup paths of each runtime */
#include "pin.h"
#include "tap.h"

#define ID "4f1d2a3b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012345678abcdef"

static void expect(const char *path, const char *want)
{
	char id[80] = "";
	bool found = pin_container_id(path, id, sizeof(id));

	if (want)
		ok(found && !strcmp(id, want), "%s -> %s", path, want);
	else
		ok(!found, "%s -> none (got '%s')", path, id);
}

int main(void)
{
	expect("/system.slice/docker-" ID ".scope", ID);
	expect("/docker/" ID, ID);
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-" ID ".scope", ID);
	expect("/kubepods/burstable/pod0f2c0e58-1b1a-4e1e-9f0e-0a0b0c0d0e0f/" ID, ID);
	expect("/kubepods.slice/kubepods-pod1.slice/crio-" ID ".scope", ID);
	expect("/machine.slice/libpod-" ID ".scope/container", ID);
	expect("/libpod_parent/libpod-" ID, ID);
	expect("/machine.slice/libpod-conmon-" ID ".scope", NULL);
	expect("/user.slice/user-0.slice/session-1.scope", NULL);
	expect("/", NULL);
	expect("/docker/" "4F1D2A3B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9012345678ABCDEF", NULL);
	expect("/docker/abc123", NULL);
	return tap_done();
}
