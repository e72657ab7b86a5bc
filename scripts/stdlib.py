"""The standard library the page ships: Pyodide's python_stdlib.zip without what neither
Pyodide, Pillow, numpy, micropip nor the engine's page paths import (issue 12: every visitor
downloads it before the engine starts). scripts/build writes the trimmed zip into dist/;
tests/engine/test_stdlib_trim.py runs the engine's page paths with these modules refused.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

# Top-level modules and packages: tools for developers (tests, debuggers, profilers, docs),
# network protocols and servers a page cannot use, old audio/mail formats, and process pools
# (the native CLI's; a page has no processes).
REMOVED_MODULES = frozenset({
    "unittest", "doctest", "pydoc", "pdb", "bdb", "cProfile", "profile", "pstats", "trace",
    "tracemalloc", "timeit", "tabnanny", "pyclbr", "modulefinder", "zipapp", "compileall",
    "py_compile", "difflib", "pickletools", "_pyio", "__hello__", "__phello__", "antigravity",
    "this", "xmlrpc", "wsgiref", "imaplib", "poplib", "smtplib", "nntplib", "ftplib",
    "telnetlib", "mailbox", "mailcap", "cgi", "cgitb", "socketserver", "webbrowser", "netrc",
    "aifc", "sunau", "wave", "chunk", "sndhdr", "imghdr", "uu", "xdrlib", "pipes", "crypt",
    "getpass", "pty", "tty", "shelve", "sched", "multiprocessing",
})
# Codecs kept: what Python, Pillow and the engine decode with (UTF-8/16/32, Latin-1, ASCII,
# cp437 for ZIP names, cp1252 and ISO 8859-15 for Western text), the escapes, the byte codecs
# (base64, hex, zlib) and the CJK shims (a few lines each over C modules). The other single-byte
# code pages are tables of 3–13 KB each that nothing here names.
KEPT_ENCODINGS = frozenset({
    "__init__", "aliases", "ascii", "latin_1", "utf_8", "utf_8_sig", "utf_16", "utf_16_le",
    "utf_16_be", "utf_32", "utf_32_le", "utf_32_be", "utf_7", "cp437", "cp1252", "iso8859_1",
    "iso8859_15", "charmap", "raw_unicode_escape", "unicode_escape", "idna", "punycode",
    "base64_codec", "hex_codec", "zlib_codec", "bz2_codec", "quopri_codec", "uu_codec", "rot_13",
    "undefined", "mbcs", "oem",
    "big5", "big5hkscs", "cp932", "cp949", "cp950", "euc_jis_2004", "euc_jisx0213", "euc_jp",
    "euc_kr", "gb18030", "gb2312", "gbk", "hz", "iso2022_jp", "iso2022_jp_1", "iso2022_jp_2",
    "iso2022_jp_2004", "iso2022_jp_3", "iso2022_jp_ext", "iso2022_kr", "johab", "shift_jis",
    "shift_jis_2004", "shift_jisx0213",
})


def is_removed(name: str) -> bool:
    """Whether the module `name` (dotted) is left out of the trimmed standard library."""
    parts = name.split(".")
    if parts[0] in REMOVED_MODULES:
        return True
    return parts[0] == "encodings" and len(parts) > 1 and parts[1] not in KEPT_ENCODINGS


def module_name(member: str) -> str:
    """`email/mime/text.py` -> `email.mime.text`; a package's `__init__.py` -> the package."""
    stem = member.removesuffix(".py")
    return stem.removesuffix("/__init__").replace("/", ".")


def is_removed_member(member: str) -> bool:
    """A module's source by its module name; any other file (data) by its top-level package."""
    if member.endswith(".py"):
        return is_removed(module_name(member))
    return member.split("/")[0] in REMOVED_MODULES


def trim(source: Path, target: Path) -> None:
    """Write `source` (Pyodide's stdlib zip) to `target` without the removed modules."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(
            target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for info in zin.infolist():
            if not is_removed_member(info.filename):
                zout.writestr(info, zin.read(info), compress_type=zipfile.ZIP_DEFLATED,
                              compresslevel=9)
