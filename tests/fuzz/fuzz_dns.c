// SPDX-License-Identifier: GPL-2.0
/* fuzz_dns.c: libFuzzer target for the DNS parser (make fuzz) */
#include <stddef.h>
#include <stdint.h>

#include "pin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pin_dns_msg m;

	pin_dns_parse(data, size, &m);
	return 0;
}
