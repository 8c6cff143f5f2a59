/* SPDX-License-Identifier: GPL-2.0 */
/* .cppcheck-defs.h: libbpf's macros, spelled out for cppcheck (which does not read system headers) */
#define LIBBPF_OPTS(TYPE, NAME, ...) struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }
#define bpf_object__for_each_program(pos, obj) for ((pos) = bpf_object__next_program((obj), NULL); (pos) != NULL; (pos) = bpf_object__next_program((obj), (pos)))
#define bpf_object__for_each_map(pos, obj) for ((pos) = bpf_object__next_map((obj), NULL); (pos) != NULL; (pos) = bpf_object__next_map((obj), (pos)))
