"""Test-side HEIF tools, written apart from the engine's parser so they can judge it: a reader of
each item's bytes (through iinf/iloc/idat), and a builder of small HEIF files with exactly the
structures (and the damage) a test needs."""

from __future__ import annotations

import struct


def _boxes(data: bytes, start: int, end: int) -> dict[bytes, tuple[int, int]]:
    """{type: (payload start, end)} of the boxes in data[start:end] (the first of each type)."""
    found: dict[bytes, tuple[int, int]] = {}
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        size = size or end - pos
        found.setdefault(kind, (pos + 8, pos + size))
        pos += size
    return found


def items(data: bytes) -> dict[int, tuple[bytes, bytes]]:
    """{item id: (item type, the item's bytes)} for every item of a HEIF file."""
    top = _boxes(data, 0, len(data))
    meta = _boxes(data, top[b"meta"][0] + 4, top[b"meta"][1])
    idat = data[slice(*meta[b"idat"])] if b"idat" in meta else b""
    types: dict[int, bytes] = {}
    start, end = meta[b"iinf"]
    version = data[start]
    pos = start + (8 if version else 6)
    while pos < end:
        size = struct.unpack(">I", data[pos : pos + 4])[0]
        infe_version = data[pos + 8]
        if infe_version >= 3:
            item_id, kind = struct.unpack(">I2x4s", data[pos + 12 : pos + 22])
        else:
            item_id, kind = struct.unpack(">H2x4s", data[pos + 12 : pos + 20])
        types[item_id] = kind
        pos += size
    start, _ = meta[b"iloc"]
    version = data[start]
    sizes = struct.unpack(">H", data[start + 4 : start + 6])[0]
    offset_size, length_size, base_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    index_size = sizes & 15 if version else 0
    pos = start + 6

    def read(size: int) -> int:
        nonlocal pos
        value = int.from_bytes(data[pos : pos + size], "big")
        pos += size
        return value

    out: dict[int, tuple[bytes, bytes]] = {}
    for _ in range(read(4 if version == 2 else 2)):
        item_id = read(4 if version == 2 else 2)
        method = read(2) & 15 if version else 0
        read(2)
        base = read(base_size)
        chunks = []
        for _ in range(read(2)):
            read(index_size)
            offset, length = base + read(offset_size), read(length_size)
            source = data if method == 0 else idat
            chunks.append(source[offset : offset + length] if length else source[offset:])
        out[item_id] = (types.get(item_id, b"????"), b"".join(chunks))
    return out


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full(kind: bytes, version: int, payload: bytes, flags: int = 0) -> bytes:
    return box(kind, struct.pack(">I", version << 24 | flags) + payload)


def ispe(width: int, height: int) -> bytes:
    return full(b"ispe", 0, struct.pack(">II", width, height))


def build(
    entries: list[tuple[int, bytes, bytes, int]],
    refs: tuple[tuple[bytes, int, list[int]], ...] = (),
    properties: tuple[bytes, ...] = (),
    associations: dict[int, list[int]] | None = None,
    primary: int = 1,
    item_count: int | None = None,
    extent_shift: int = 0,
    extra_meta: bytes = b"",
    extra_top: bytes = b"",
) -> bytes:
    """A HEIF file: `entries` are (item id, item type, bytes, construction method 0 = mdat,
    1 = idat); the damage knobs override iloc's item count or shift every extent."""
    mime = b"application/rdf+xml\0"

    def infe(item_id: int, kind: bytes) -> bytes:
        tail = b"\0" + (mime if kind == b"mime" else b"")
        return full(b"infe", 2, struct.pack(">HH4s", item_id, 0, kind) + tail)

    def meta(mdat_start: int) -> bytes:
        idat = b""
        mdat_pos = mdat_start
        locations = b""
        for item_id, _, payload, method in entries:
            if method == 1:
                offset, idat = len(idat), idat + payload
            else:
                offset, mdat_pos = mdat_pos, mdat_pos + len(payload)
            locations += struct.pack(">HHHHII", item_id, method, 0, 1, offset + extent_shift,
                                     len(payload))
        count = len(entries) if item_count is None else item_count
        iloc = full(b"iloc", 1, struct.pack(">HH", 0x4400, count) + locations)
        iinf = full(b"iinf", 0, struct.pack(">H", len(entries))
                    + b"".join(infe(i, k) for i, k, _, _ in entries))
        iref = full(b"iref", 0, b"".join(
            box(kind, struct.pack(">HH", source, len(targets))
                + b"".join(struct.pack(">H", t) for t in targets))
            for kind, source, targets in refs))
        assoc = associations or {}
        ipma = full(b"ipma", 0, struct.pack(">I", len(assoc)) + b"".join(
            struct.pack(">HB", i, len(props)) + bytes(props) for i, props in assoc.items()))
        iprp = box(b"iprp", box(b"ipco", b"".join(properties)) + ipma)
        hdlr = full(b"hdlr", 0, b"\0" * 4 + b"pict" + b"\0" * 13)
        pitm = full(b"pitm", 0, struct.pack(">H", primary))
        return full(b"meta", 0, hdlr + pitm + iloc + iinf + iref + iprp + box(b"idat", idat)
                    + extra_meta)

    ftyp = box(b"ftyp", b"heic\0\0\0\0mif1heic")
    start = len(ftyp) + len(meta(0)) + len(extra_top) + 8
    mdat = box(b"mdat", b"".join(p for _, _, p, m in entries if m == 0))
    return ftyp + meta(start) + extra_top + mdat
