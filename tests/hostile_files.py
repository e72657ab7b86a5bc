"""Hostile inputs made on the fly, shared by the engine and browser tests: metadata strings that
try to be markup, control characters and bidi overrides, megabyte strings, entity-expansion XMP,
and images whose headers declare far more pixels than they carry (decompression bombs)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, PngImagePlugin

# A value that would run script if any page put it into innerHTML, with a right-to-left override
# (which would show "exe.png" reversed), a NUL, a terminal escape and a zero-width space.
MARKUP = '<img src=x onerror="document.title=\'pwned\'">\u202egnp.exe\x00\x1b[2J\u200bend'
LONG = "A" * 1_000_000  # 1 MB
HIDDEN = set("\u202e\x00\x1b\u200b")

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\x00", "").replace("\x1b", "&#x1b;"))  # fmt: skip


def xmp_packet(creator: str, description: str) -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="' + _RDF + '">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:creator><rdf:Seq><rdf:li>{_escape(creator)}</rdf:li></rdf:Seq></dc:creator>"
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{_escape(description)}'
        "</rdf:li></rdf:Alt></dc:description></rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode().replace(b"&#x1b;", b"")  # XML 1.0 cannot carry ESC at all


def billion_laughs(encoding: str = "utf-8") -> bytes:
    """An XMP packet whose DTD expands one entity to 10^9 "lol"s."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    text = (f'<?xml version="1.0" encoding="{encoding}"?><!DOCTYPE x:xmpmeta [{entities}]>'
            + xmp_packet("Jane_Doe", "x").decode().replace("Jane_Doe", "&lol9;"))  # fmt: skip
    return text.encode(encoding)


def external_entity(path: str = "/etc/passwd") -> bytes:
    return (f'<?xml version="1.0"?><!DOCTYPE x:xmpmeta [<!ENTITY e SYSTEM "file://{path}">]>'
            + xmp_packet("Jane_Doe", "x").decode().replace("Jane_Doe", "&e;")).encode()


def _segment(marker: int, payload: bytes) -> bytes:
    assert len(payload) + 2 <= 0xFFFF
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _iptc(by_line: str, caption: str) -> bytes:
    def dataset(number: int, value: bytes) -> bytes:
        return b"\x1c\x02" + bytes([number]) + struct.pack(">H", len(value)) + value

    iim = dataset(80, by_line.encode()) + dataset(120, caption.encode())
    return (b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim
            + b"\x00" * (len(iim) & 1))  # fmt: skip


def hostile_jpeg(xmp: bytes | None = None) -> bytes:
    """A small JPEG whose EXIF, XMP and IPTC carry MARKUP and long strings (as long as a JPEG
    segment allows: 64 KB), and a comment with both."""
    exif = Image.Exif()
    exif[0x013B] = MARKUP  # Artist
    exif[0x010E] = "B" * 30_000  # ImageDescription
    exif[0x010F] = "\u202eMake\x07"  # Make
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(buf, "JPEG", quality=80, exif=exif)
    data = buf.getvalue()
    packet = xmp if xmp is not None else xmp_packet(MARKUP, "C" * 20_000)
    extra = (_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet)
             + _segment(0xED, _iptc(MARKUP, "D" * 20_000))
             + _segment(0xFE, (MARKUP + "E" * 30_000).encode()))  # fmt: skip
    return data[:2] + extra + data[2:]


def hostile_png() -> bytes:
    """A PNG with text chunks: MARKUP, a 1 MB string (compressed: a small file), and a zTXt
    that inflates to 256 MB (a zlib bomb in the metadata; bigger only slows the test down)."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt("Author", MARKUP)
    info.add_itxt("Comment", LONG, zip=True)
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 80, 200)).save(buf, "PNG", pnginfo=info)
    data = buf.getvalue()
    bomb = b"Description\x00\x00" + _zeros(1 << 28)
    chunk = struct.pack(">I", len(bomb)) + b"zTXt" + bomb + struct.pack(">I",
                                                                        zlib.crc32(b"zTXt" + bomb))
    end = data.rfind(b"IEND") - 4
    return data[:end] + chunk + data[end:]


def _zeros(size: int) -> bytes:
    """zlib of `size` zero bytes (about size/1000 bytes), made without holding them."""
    z = zlib.compressobj(9)
    block = bytes(1 << 20)
    out = [z.compress(block) for _ in range(size >> 20)]
    return b"".join(out) + z.flush()


def png_bomb(width: int = 6000, height: int = 6000) -> bytes:
    """A valid grey PNG inside the default 100 MP limit whose image data is a zlib bomb:
    about width×height/1000 bytes that inflate to width×height."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    z = zlib.compressobj(9)
    row = bytes(width + 1)  # filter byte 0, then black
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I",
                                                                        zlib.crc32(kind + body))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def gif_bomb() -> bytes:
    """A GIF whose screen is 65535×65535 with a 65535×65535 frame at row 1066 (66601 rows)."""
    header = b"GIF89a" + struct.pack("<HHBBB", 65535, 65535, 0, 0, 0)
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 1066, 65535, 65535, 0)
    return header + frame + b"\x02\x02\x44\x01\x00" + b"\x3b"


def jpeg_bomb() -> bytes:
    """A JPEG whose frame header declares 65500×65500 (4.3 GP), with a few bytes of scan."""
    buf = io.BytesIO()
    Image.new("L", (8, 8)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", 65500, 65500)
    return bytes(data)
