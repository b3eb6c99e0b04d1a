#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_nbd_session (tests/fuzz/nbd_fuzz_session.cpp) into
tests/fuzz/corpus/fuzz_nbd_session/: whole client streams as real clients send them (qemu and
libnbd use NBD_OPT_GO, old nbd-client uses NBD_OPT_EXPORT_NAME), then requests of every kind.
Input layout: byte 0 = fuzzer control bits (bit 0: writes granted, bit 1: open refused), then the
client's bytes. Usage: tests/fuzz/nbd_make_corpus.py [output-directory]"""
import os
import struct
import sys

IHAVEOPT = 0x49484156454F5054
REQUEST_MAGIC = 0x25609513


def option(opt, data=b""):
    return struct.pack(">QII", IHAVEOPT, opt, len(data)) + data


def go_data(name, infos=()):
    raw = name.encode()
    return struct.pack(">I", len(raw)) + raw + struct.pack(">H", len(infos)) + b"".join(
        struct.pack(">H", i) for i in infos)


def request(cmd, handle, offset, length, flags=0, payload=b""):
    return struct.pack(">IHHQQI", REQUEST_MAGIC, flags, cmd, handle, offset, length) + payload


def session(control, options, requests=b"", client_flags=3):
    return bytes([control]) + struct.pack(">I", client_flags) + b"".join(options) + requests


READ, WRITE, DISC, FLUSH, TRIM, WRITE_ZEROES = 0, 1, 2, 3, 4, 6
all_requests = b"".join([
    request(WRITE, 1, 4096, 512, 1, b"\xab" * 512),
    request(READ, 2, 4096, 512),
    request(WRITE_ZEROES, 3, 0, 8192, 2),
    request(TRIM, 4, 8192, 4096),
    request(FLUSH, 5, 0, 0),
    request(WRITE, 6, 100, 10, 0, b"x" * 10),
    request(READ, 7, 1 << 24, 512),
    request(DISC, 8, 0, 0),
])

seeds = {
    "go_then_requests": session(1, [option(8), option(7, go_data("disk", (3, 1, 2)))],
                                all_requests),
    "go_read_only": session(1, [option(7, go_data("", (3,)))], all_requests),
    "export_name": session(1, [option(1, b"disk")], all_requests, client_flags=1),
    "list_info_abort": session(0, [option(3), option(6, go_data("disk", (0, 1, 2, 3))),
                                   option(6, go_data("nope")), option(2)]),
    "go_refused_then_go": session(3, [option(7, go_data("disk")), option(7, go_data("disk"))],
                                  request(READ, 1, 0, 512)),
    "unsupported_options": session(0, [option(5), option(9, go_data("disk")),
                                       option(10, b"\0\0\0\0"), option(77, b"junk")]),
    "oversized_write": session(1, [option(7, go_data("disk"))],
                               request(WRITE, 1, 0, 0xFFFFFE00)),
}

out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_nbd_session")
os.makedirs(out_dir, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out_dir, name), "wb") as f:
        f.write(data)
print(f"nbd_make_corpus: {len(seeds)} seeds in {out_dir}")
