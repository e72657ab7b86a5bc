"""HEIF (ISO/IEC 23008-12) item structure, shared by HEIC and AVIF: parse the `meta` box, report
its metadata items, and clean by rebuilding `meta` and one `mdat`.

A HEIF file is a set of items (coded images, derived images such as grids, Exif and XMP blocks)
listed in `iinf`, located by `iloc` (byte ranges in the file or in `idat`), linked by `iref`
(Exif -> image, thumbnail -> image, grid -> tiles) and described by properties (`ipco`, assigned
by `ipma`). Cleaning keeps the primary image and exactly the items needed to show it (grid tiles,
its alpha plane) with their coded bytes copied unchanged; everything else goes: Exif, XMP,
thumbnails, depth maps, gain maps, other images, and bytes no kept item points at.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ..errors import CorruptImageError, TruncatedImageError, UnsupportedFormatError
from ..metadata import exif as exif_block
from ..metadata.comments import unknown_finding
from ..metadata.icc import icc_finding
from ..metadata.tags import ORIENTATION
from ..metadata.text import short, size_text
from ..metadata.xmp import xmp_findings
from ..options import Keep, check_pixels
from ..report import Finding
from ._boxes import Box, Reader, box, boxes, exif_tiff, full_box

AVIF_BRANDS = frozenset([b"avif", b"avis", b"avio", b"MA1A", b"MA1B"])
IMAGE_BRANDS = frozenset([b"mif1", b"mif2", b"miaf", b"heic", b"heix", b"heim", b"heis",
                          b"hevc", b"hevx", *AVIF_BRANDS])
# Item types that are pictures (coded or derived from other items).
_IMAGE_ITEMS = frozenset([b"hvc1", b"hev1", b"av01", b"jpeg", b"vvc1", b"avc1", b"j2k1", b"unci",
                          b"grid", b"iovl", b"iden", b"tmap", b"hvt1", b"mski"])
# Properties about how to decode and show the pixels: kept. Colour profile and transforms follow
# the keep policy; any other property goes unless a decoder must understand it (essential).
_IMAGE_PROPERTIES = frozenset([b"ispe", b"pixi", b"hvcC", b"av1C", b"vvcC", b"avcC", b"jpgC",
                               b"j2kH", b"auxC", b"clap", b"pasp", b"clli", b"mdcv", b"cclv",
                               b"amve", b"rloc", b"lsel", b"a1op", b"a1lx", b"oinf", b"tols",
                               b"cmpd", b"uncC", b"cpal", b"ilced", b"reve", b"ndwt"])
_TRANSFORMS = frozenset([b"irot", b"imir"])
# Properties that describe the scene rather than the pixels (HEIF 2022 and later).
_PRIVATE_PROPERTIES = {
    b"udes": ("comment", "Description (HEIF udes)",
              "Free text that may name people, places or anything else"),
    b"itai": ("time", "Capture time (HEIF itai)", "Tells exactly when the photo was taken"),
    b"cmex": ("location", "Camera position (HEIF cmex)",
              "Where the camera stood and which way it pointed"),
    b"cmin": ("device", "Camera lens data (HEIF cmin)",
              "Describes the exact lens and sensor; helps fingerprint a device"),
}
_ALPHA = (b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha", b"urn:mpeg:hevc:2015:auxid:1")
_AUX_LABELS = (
    (b"depth", "Depth map"), (b"auxid:2", "Depth map"), (b"matte", "Portrait matte"),
    (b"gainmap", "HDR gain map"),
)
_XMP_TYPE = b"application/rdf+xml"
_TRUNCATED = "The {} file is cut short (an interrupted download or copy?). Try the original."


@dataclass(frozen=True)
class Extent:
    offset: int  # absolute in the file (construction method 0) or in idat (method 1)
    length: int


@dataclass
class Item:
    id: int
    type: bytes = b""
    name: bytes = b""
    content_type: bytes = b""
    content_encoding: bytes = b""
    protected: bool = False
    infe: bytes = b""  # the whole infe box, copied unchanged when the item is kept
    method: int = 0  # iloc construction method: 0 file offset, 1 idat, 2 item (refused)
    data_reference: int = 0
    extents: list[Extent] = field(default_factory=list)
    located: bool = False
    properties: list[tuple[int, bool]] = field(default_factory=list)  # (1-based index, essential)


@dataclass
class Heif:
    what: str  # "HEIC" or "AVIF", for messages
    data: bytes
    top: list[Box]
    meta: Box
    children: list[Box]
    primary: int
    items: dict[int, Item]
    refs: list[tuple[bytes, int, list[int]]]  # (type, from, to...)
    properties: list[Box]  # ipco children; association index i is properties[i - 1]
    idat: Box | None
    iloc_version: int
    ipma_version: int
    ipma_flags: int
    iref_version: int
    iinf_version: int

    def references(self, kind: bytes, to: int | None = None, src: int | None = None) -> list[int]:
        """Items linked by `kind` references: sources pointing at `to`, or targets of `src`."""
        if src is not None:
            return [t for k, f, tos in self.refs if k == kind and f == src for t in tos]
        return [f for k, f, tos in self.refs if k == kind and to in tos]

    def property_of(self, item: Item, kind: bytes) -> Box | None:
        for index, _ in item.properties:
            if self.properties[index - 1].type == kind:
                return self.properties[index - 1]
        return None

    def size(self, item: Item) -> tuple[int, int] | None:
        ispe = self.property_of(item, b"ispe")
        if ispe is None or ispe.end - ispe.body < 12:
            return None
        return struct.unpack(">II", self.data[ispe.body + 4 : ispe.body + 12])

    def shown_size(self, item: Item) -> tuple[int, int] | None:
        """The size after the clean-aperture crop (codecs code whole blocks, clap cuts them)."""
        size = self.size(item)
        clap = self.property_of(item, b"clap")
        if size is None or clap is None or clap.end - clap.body < 16:
            return size
        wide, wide_d, high, high_d = struct.unpack(">IIII", self.data[clap.body : clap.body + 16])
        if wide_d and high_d and 0 < wide // wide_d <= size[0] and 0 < high // high_d <= size[1]:
            return wide // wide_d, high // high_d
        return size

    def payload(self, item: Item) -> bytes:
        """The item's bytes, gathered from its extents."""
        if item.method not in (0, 1) or item.data_reference:
            raise UnsupportedFormatError(
                f"This {self.what} file stores item {item.id} in a way localpix does not handle "
                "(by reference to another item or file)."
            )
        source = self.data if item.method == 0 else self.idat_bytes()
        parts = []
        for extent in item.extents:
            if extent.offset + extent.length > len(source):
                if item.method == 0:
                    raise TruncatedImageError(_TRUNCATED.format(self.what))
                raise CorruptImageError(f"The {self.what} file is damaged: an item lies outside "
                                        "its data box.")
            parts.append(source[extent.offset : extent.offset + extent.length])
        return b"".join(parts)

    def idat_bytes(self) -> bytes:
        return self.idat.payload(self.data) if self.idat else b""


def detect(data: bytes, brands: frozenset[bytes]) -> bool:
    """An ISOBMFF file whose ftyp names one of `brands` (major or compatible)."""
    if data[4:8] != b"ftyp" or len(data) < 16:
        return False
    (size,) = struct.unpack(">I", data[:4])
    listed = data[8:12] + data[16 : min(size, 64)]
    return any(listed[i : i + 4] in brands for i in range(0, len(listed) - 3, 4))


def parse(data: bytes, what: str, max_pixels: int | None) -> Heif:
    top = boxes(data, 0, len(data), what, top=True)
    kinds = [b.type for b in top]
    if not kinds or kinds[0] != b"ftyp":
        raise CorruptImageError(f"The {what} file is damaged: it does not start with ftyp.")
    if b"moov" in kinds or b"moof" in kinds:
        raise UnsupportedFormatError(
            f"This {what} file is an image sequence or animation, which localpix does not "
            "handle yet. Export a still image from it first."
        )
    if kinds.count(b"meta") != 1:
        raise CorruptImageError(f"The {what} file is damaged: it needs exactly one meta box.")
    meta = top[kinds.index(b"meta")]
    reader = Reader(data, what, meta.body, meta.end)
    reader.full()
    children = boxes(data, reader.pos, meta.end, what)
    found = {b.type: b for b in children}
    for needed in (b"hdlr", b"pitm", b"iloc", b"iinf"):
        if needed not in found:
            raise CorruptImageError(
                f"The {what} file is damaged: its {needed.decode()} box is missing."
            )
    if b"ipro" in found:
        raise UnsupportedFormatError(f"This {what} file is encrypted (protected items); "
                                     "localpix cannot read it.")
    hdlr = Reader(data, what, found[b"hdlr"].body, found[b"hdlr"].end)
    hdlr.full()
    hdlr.u32()
    if hdlr.take(4) != b"pict":
        raise UnsupportedFormatError(f"This {what} file holds no picture (its handler is not "
                                     "'pict').")
    pitm = Reader(data, what, found[b"pitm"].body, found[b"pitm"].end)
    version, _ = pitm.full()
    primary = pitm.u32() if version else pitm.u16()

    items: dict[int, Item] = {}
    iinf_version = _parse_iinf(data, what, found[b"iinf"], items)
    iloc_version = _parse_iloc(data, what, found[b"iloc"], items)
    refs: list[tuple[bytes, int, list[int]]] = []
    iref_version = _parse_iref(data, what, found[b"iref"], refs) if b"iref" in found else 0
    properties: list[Box] = []
    ipma_version = ipma_flags = 0
    if b"iprp" in found:
        ipma_version, ipma_flags = _parse_iprp(data, what, found[b"iprp"], items, properties)

    heif = Heif(what, data, top, meta, children, primary, items, refs, properties,
                found.get(b"idat"), iloc_version, ipma_version, ipma_flags, iref_version,
                iinf_version)
    idat_size = len(heif.idat_bytes())
    for item in items.values():  # "the rest of idat" needs idat's size, known only now
        item.extents = [e if e.length >= 0 else Extent(e.offset, max(0, idat_size - e.offset))
                        for e in item.extents]
    main = items.get(primary)
    if main is None or main.type not in _IMAGE_ITEMS:
        raise CorruptImageError(f"The {what} file is damaged: its primary image is missing.")
    size = heif.size(main)
    if size is None:
        raise CorruptImageError(f"The {what} file is damaged: its primary image has no size.")
    if max_pixels is not None:
        check_pixels(*size, max_pixels)
    return heif


def _parse_iinf(data: bytes, what: str, iinf: Box, items: dict[int, Item]) -> int:
    reader = Reader(data, what, iinf.body, iinf.end)
    version, _ = reader.full()
    count = reader.u32() if version else reader.u16()
    entries = [b for b in boxes(data, reader.pos, iinf.end, what) if b.type == b"infe"]
    if count != len(entries):
        raise CorruptImageError(f"The {what} file is damaged: its item list declares {count:,} "
                                f"items but holds {len(entries):,}.")
    for entry in entries:
        r = Reader(data, what, entry.body, entry.end)
        infe_version, _ = r.full()
        item_id = r.u32() if infe_version >= 3 else r.u16()
        protection = r.u16()
        item = Item(item_id, protected=protection != 0, infe=entry.raw(data))
        if infe_version >= 2:
            item.type = r.take(4)
            item.name = r.cstring()
            if item.type == b"mime":
                item.content_type = r.cstring()
                item.content_encoding = r.cstring() if r.remaining() else b""
        else:  # versions 0 and 1 describe every item by MIME type
            item.type = b"mime"
            item.name = r.cstring()
            item.content_type = r.cstring()
            item.content_encoding = r.cstring() if r.remaining() else b""
        if item_id in items:
            raise CorruptImageError(f"The {what} file is damaged: item {item_id} is listed twice.")
        items[item_id] = item
    return version


def _parse_iloc(data: bytes, what: str, iloc: Box, items: dict[int, Item]) -> int:
    r = Reader(data, what, iloc.body, iloc.end)
    version, _ = r.full()
    if version > 2:
        raise UnsupportedFormatError(f"This {what} file uses an item location format localpix "
                                     "does not know.")
    sizes = r.u16()
    offset_size, length_size = sizes >> 12, (sizes >> 8) & 15
    base_size, index_size = (sizes >> 4) & 15, (sizes & 15 if version else 0)
    if any(s not in (0, 4, 8) for s in (offset_size, length_size, base_size, index_size)):
        raise CorruptImageError(f"The {what} file is damaged: its item locations are unreadable.")
    count = r.u32() if version == 2 else r.u16()
    id_size = 4 if version == 2 else 2
    r.check_count(count, id_size + 4 + base_size + (2 if version else 0), "item locations")
    for _ in range(count):
        item_id = r.uint(id_size)
        method = r.u16() & 15 if version else 0
        reference = r.u16()
        base = r.uint(base_size)
        extents = r.u16()
        r.check_count(extents, index_size + offset_size + length_size, "data ranges")
        item = items.get(item_id)
        if item is None:  # located but never described: nothing can use it, it will go
            item = items[item_id] = Item(item_id, type=b"????")
        if item.located:
            raise CorruptImageError(f"The {what} file is damaged: item {item_id} is located "
                                    "twice.")
        item.located, item.method, item.data_reference = True, method, reference
        for _ in range(extents):
            r.uint(index_size)
            offset, length = base + r.uint(offset_size), r.uint(length_size)
            if length == 0:  # "the rest of the file"
                length = max(0, len(data) - offset) if method == 0 else -1
            item.extents.append(Extent(offset, length))
    return version


def _parse_iref(data: bytes, what: str, iref: Box,
                refs: list[tuple[bytes, int, list[int]]]) -> int:
    r = Reader(data, what, iref.body, iref.end)
    version, _ = r.full()
    id_size = 4 if version else 2
    for ref in boxes(data, r.pos, iref.end, what):
        rr = Reader(data, what, ref.body, ref.end)
        source = rr.uint(id_size)
        count = rr.u16()
        rr.check_count(count, id_size, "references")
        refs.append((ref.type, source, [rr.uint(id_size) for _ in range(count)]))
    return version


def _parse_iprp(data: bytes, what: str, iprp: Box, items: dict[int, Item],
                properties: list[Box]) -> tuple[int, int]:
    children = boxes(data, iprp.body, iprp.end, what)
    ipco = [b for b in children if b.type == b"ipco"]
    ipma = [b for b in children if b.type == b"ipma"]
    if len(ipco) != 1 or not ipma:
        raise CorruptImageError(f"The {what} file is damaged: its image properties are "
                                "incomplete.")
    properties += boxes(data, ipco[0].body, ipco[0].end, what)
    version = flags = 0
    for association in ipma:
        r = Reader(data, what, association.body, association.end)
        version, flags = r.full()
        count = r.u32()
        id_size, index_size = (4 if version else 2), (2 if flags & 1 else 1)
        r.check_count(count, id_size + 1, "property assignments")
        for _ in range(count):
            item_id = r.uint(id_size)
            assigned = r.u8()
            r.check_count(assigned, index_size, "property assignments")
            item = items.get(item_id)
            for _ in range(assigned):
                value = r.uint(index_size)
                high = 0x8000 if index_size == 2 else 0x80
                index = value & (high - 1)
                if index == 0:
                    continue  # "no property"
                if index > len(properties):
                    raise CorruptImageError(f"The {what} file is damaged: an image property is "
                                            "missing.")
                if item is not None:
                    item.properties.append((index, bool(value & high)))
    return version, flags


# --- what is in it -------------------------------------------------------------------------------


def needed(heif: Heif) -> set[int]:
    """The primary image and the items it is made from: grid/overlay tiles, its alpha plane."""
    keep = {heif.primary}
    while True:
        grown = set(keep)
        for kind, source, targets in heif.refs:
            if kind in (b"dimg", b"tbas") and source in keep:
                grown.update(targets)
            elif kind == b"auxl" and grown.intersection(targets) and _is_alpha(heif, source):
                grown.add(source)
        grown &= set(heif.items)
        if grown == keep:
            return keep
        keep = grown


def _aux_type(heif: Heif, item: Item) -> bytes:
    aux = heif.property_of(item, b"auxC")
    if aux is None:
        return b""
    r = Reader(heif.data, heif.what, aux.body, aux.end)
    r.full()
    return r.cstring()


def _is_alpha(heif: Heif, item_id: int) -> bool:
    item = heif.items.get(item_id)
    return item is not None and _aux_type(heif, item) in _ALPHA


def _image_finding(heif: Heif, item: Item, label: str, why: str) -> Finding:
    size = heif.shown_size(item)
    return Finding("thumbnail", label, f"{size[0]}×{size[1]} pixels" if size else "present", why)


_EXTRA_WHY = ("Phones store previews, depth maps or a second shot here; they can show more than "
              "the main picture")


def inspect(data: bytes, what: str) -> tuple[int, int, list[Finding]]:
    heif = parse(data, what, None)
    findings: list[Finding] = []
    kept = needed(heif)
    for item in heif.items.values():
        if item.id in kept:
            continue
        if item.type == b"Exif":
            tiff = exif_tiff(heif.payload(item))
            parsed = exif_block.parse(tiff)
            findings += exif_block.findings(parsed) if parsed else [
                unknown_finding("Unreadable EXIF block", len(tiff))]
        elif item.type == b"mime" and item.content_type.split(b";")[0].strip() == _XMP_TYPE:
            if item.content_encoding:
                findings.append(Finding("xmp", "Compressed XMP metadata",
                                        size_text(len(heif.payload(item))),
                                        "An extensible metadata packet; removed whole"))
            else:
                findings += xmp_findings(heif.payload(item))
        elif item.type in _IMAGE_ITEMS:
            findings.append(_other_image(heif, item))
        else:
            kind = item.content_type.decode("latin-1") or item.type.decode("latin-1")
            findings.append(unknown_finding(f"Embedded {short(kind, 40)} item",
                                            sum(e.length for e in item.extents)))
    findings += _property_findings(heif, kept)
    findings += _box_findings(heif)
    width, height = heif.shown_size(heif.items[heif.primary]) or (0, 0)
    return width, height, findings


def _other_image(heif: Heif, item: Item) -> Finding:
    if heif.references(b"thmb", src=item.id):
        return _image_finding(heif, item, "Thumbnail image", "A small copy of the photo; it may "
                              "still show what was cropped or edited out")
    aux = _aux_type(heif, item).lower()
    for marker, label in _AUX_LABELS:
        if marker in aux:
            return _image_finding(heif, item, label, _EXTRA_WHY)
    if item.type == b"tmap":
        return _image_finding(heif, item, "HDR gain map", _EXTRA_WHY)
    if aux in _ALPHA:
        return _image_finding(heif, item, "Transparency of an extra image", _EXTRA_WHY)
    if aux:
        return _image_finding(heif, item, "Auxiliary image", _EXTRA_WHY)
    return _image_finding(heif, item, "Extra embedded image", _EXTRA_WHY)


def _property_findings(heif: Heif, kept: set[int]) -> list[Finding]:
    found: list[Finding] = []
    seen: set[int] = set()
    for item_id in sorted(kept):
        for index, _ in heif.items[item_id].properties:
            prop = heif.properties[index - 1]
            if index in seen:
                continue
            seen.add(index)
            body = prop.payload(heif.data)
            if prop.type == b"colr" and body[:4] in (b"prof", b"rICC"):
                found.append(icc_finding(body[4:]))
            elif prop.type in _TRANSFORMS and item_id == heif.primary:
                found.append(Finding("orientation", "Orientation (HEIF " + prop.type.decode()
                                     + ")", _transform_text(prop.type, body), ORIENTATION.why,
                                     private=False))
            elif prop.type in _PRIVATE_PROPERTIES:
                category, label, why = _PRIVATE_PROPERTIES[prop.type]
                found.append(Finding(category, label, size_text(len(body)), why))  # type: ignore[arg-type]
            elif prop.type not in _IMAGE_PROPERTIES and prop.type not in (b"colr", *_TRANSFORMS):
                found.append(unknown_finding(f"Unknown image property {_fourcc(prop.type)}",
                                             len(body)))
    return found


def _transform_text(kind: bytes, body: bytes) -> str:
    if kind == b"irot":
        angle = (body[:1] or b"\0")[0] & 3
        return {0: "No rotation", 1: "Rotate 90° anticlockwise", 2: "Rotate 180°",
                3: "Rotate 90° clockwise"}[angle]
    return "Mirrored " + ("left to right" if (body[:1] or b"\0")[0] & 1 else "top to bottom")


def _fourcc(kind: bytes) -> str:
    text = kind.decode("latin-1")
    return text if text.isprintable() else kind.hex()


_META_KEPT = frozenset([b"hdlr", b"pitm", b"iloc", b"iinf", b"iref", b"iprp", b"idat", b"dinf",
                        b"grpl"])
_TOP_KEPT = frozenset([b"ftyp", b"meta", b"mdat", b"free", b"skip"])


def _box_findings(heif: Heif) -> list[Finding]:
    found: list[Finding] = []
    for child in heif.children:
        if child.type in (b"xml ", b"bxml"):
            found += xmp_findings(child.payload(heif.data)[4:])
        elif child.type not in _META_KEPT:
            found.append(unknown_finding(f"Unknown {heif.what} box {_fourcc(child.type)}",
                                         child.end - child.start))
    for top in heif.top:
        if top.type not in _TOP_KEPT:
            found.append(unknown_finding(f"Unknown {heif.what} box {_fourcc(top.type)}",
                                         top.end - top.start))
    hidden = _unreferenced(heif)
    if hidden:
        found.append(Finding(
            "trailer", "Data no image uses", size_text(hidden),
            "Bytes in the file that no part of the picture needs: apps hide extra data here",
        ))
    return found


def _unreferenced(heif: Heif) -> int:
    """How many bytes of the mdat boxes no item points at (padding of zeros does not count)."""
    covered = sorted((e.offset, e.offset + e.length) for item in heif.items.values()
                     if item.method == 0 for e in item.extents)
    hidden = 0
    for top in heif.top:
        if top.type != b"mdat":
            continue
        pos = top.body
        for start, stop in [*covered, (top.end, top.end)]:
            if stop < pos or start > top.end:
                continue
            gap = heif.data[pos : max(pos, start)]
            hidden += len(gap) - gap.count(0)
            pos = max(pos, stop)
    return hidden


# --- cleaning -------------------------------------------------------------------------------------


def clean(data: bytes, what: str, keep: Keep, max_pixels: int) -> bytes:
    heif = parse(data, what, max_pixels)
    kept = needed(heif)
    for kind, source, targets in heif.refs:
        if kind == b"dimg" and source in kept and not set(targets) <= kept:
            raise CorruptImageError(f"The {what} file is damaged: its image is made of parts "
                                    "that are missing.")
    for item_id in kept:
        item = heif.items[item_id]
        if item.protected:
            raise UnsupportedFormatError(f"This {what} file is encrypted (protected items); "
                                         "localpix cannot clean it.")
        if not item.infe:
            raise CorruptImageError(f"The {what} file is damaged: image item {item_id} is not "
                                    "fully described.")
        heif.payload(item)  # refuses construction methods it cannot move, extents off the end
    replaced = _kept_exif(heif, keep)
    items = [i for i in heif.items if i in kept or i in replaced]  # in the file's order
    # Coded data keeps its order and bytes; each item's ranges are moved as whole spans.
    file_spans = _spans(heif.items[i].extents for i in items if heif.items[i].method == 0
                        and i not in replaced)
    idat_spans = _spans(heif.items[i].extents for i in items if heif.items[i].method == 1
                        and i not in replaced)
    idat = heif.idat_bytes()
    new_idat = b"".join(idat[a:b] for a, b in idat_spans)
    properties, associations = _kept_properties(heif, items, keep)

    def meta(mdat_start: int) -> bytes:
        file_map = _relocate(file_spans, mdat_start)
        idat_map = _relocate(idat_spans, 0)
        extra = mdat_start + sum(b - a for a, b in file_spans)
        locations: list[tuple[int, int, list[Extent]]] = []
        for item_id in items:
            item = heif.items[item_id]
            if item_id in replaced:
                locations.append((item_id, 0, [Extent(extra, len(replaced[item_id]))]))
                extra += len(replaced[item_id])
                continue
            if not item.located:  # derived items such as iden may carry no data at all
                continue
            mapping = file_map if item.method == 0 else idat_map
            locations.append((item_id, item.method,
                              [_moved(e, mapping) for e in item.extents if e.length]))
        out = []
        for child in heif.children:
            kind = child.type
            if kind == b"iloc":
                out.append(_iloc(heif, locations))
            elif kind == b"iinf":
                entries = b"".join(heif.items[i].infe for i in items if heif.items[i].infe)
                count = struct.pack(">I" if heif.iinf_version else ">H",
                                    sum(bool(heif.items[i].infe) for i in items))
                out.append(full_box(b"iinf", heif.iinf_version, 0, count + entries))
            elif kind == b"iref":
                out.append(_iref(heif, set(items), replaced))
            elif kind == b"iprp":
                out.append(_iprp(heif, properties, associations))
            elif kind == b"idat":
                out.append(box(b"idat", new_idat))
            elif kind == b"grpl":
                out.append(_grpl(heif, set(items)))
            elif kind in _META_KEPT:
                out.append(child.raw(heif.data))
        return full_box(b"meta", 0, 0, b"".join(out))

    ftyp = heif.top[0].raw(data)
    body_size = sum(b - a for a, b in file_spans) + sum(len(v) for v in replaced.values())
    header = 8 if body_size + 8 < 1 << 32 else 16
    start = len(ftyp) + len(meta(0)) + header  # meta's size does not depend on the offsets
    mdat_body = b"".join(data[a:b] for a, b in file_spans) + b"".join(replaced[i] for i in items
                                                                       if i in replaced)
    return ftyp + meta(start) + box(b"mdat", mdat_body)


def primary_exif(heif: Heif) -> bytes | None:
    """The TIFF structure of the Exif item describing the primary image, if there is one."""
    return next((exif_tiff(heif.payload(heif.items[i])) for i in _primary_exif_items(heif)), None)


def _primary_exif_items(heif: Heif) -> list[int]:
    return [i for i in heif.references(b"cdsc", to=heif.primary)
            if i in heif.items and heif.items[i].type == b"Exif"]


def _kept_exif(heif: Heif, keep: Keep) -> dict[int, bytes]:
    """The primary image's Exif item rebuilt with only what `keep` allows (copyright, date taken)
    as {item id: new payload}, or nothing. Never the orientation: HEIF says irot/imir instead."""
    tiff = primary_exif(heif) if keep.copyright or keep.date_taken else None
    if tiff is None:
        return {}
    rebuilt = exif_block.rebuild(exif_block.parse(tiff), Keep(
        orientation=False, color_profile=False, copyright=keep.copyright,
        date_taken=keep.date_taken))
    return {_primary_exif_items(heif)[0]: b"\0\0\0\0" + rebuilt} if rebuilt else {}


def _spans(extent_lists) -> list[tuple[int, int]]:
    """Merged, sorted (start, end) ranges covering every extent: shared or overlapping ranges are
    copied once."""
    ranges = sorted((e.offset, e.offset + e.length) for extents in extent_lists for e in extents
                    if e.length)
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _relocate(spans: list[tuple[int, int]], base: int) -> list[tuple[int, int, int]]:
    """(old start, old end, new start) for spans laid out one after another from `base`."""
    out = []
    for start, end in spans:
        out.append((start, end, base))
        base += end - start
    return out


def _moved(extent: Extent, mapping: list[tuple[int, int, int]]) -> Extent:
    for start, end, new in mapping:
        if start <= extent.offset < end:
            return Extent(new + extent.offset - start, extent.length)
    raise AssertionError("every kept extent lies in a span")  # _spans covers them all


def _iloc(heif: Heif, locations: list[tuple[int, int, list[Extent]]]) -> bytes:
    """iloc with 4- or 8-byte offsets and lengths, no base offset; version 1 when an item lives
    in idat, 2 when item IDs need 32 bits."""
    version = 2 if any(i > 0xFFFF for i, _, _ in locations) else (
        1 if any(m for _, m, _ in locations) or heif.iloc_version else 0)
    wide = any(e.offset + e.length >= 1 << 32 for _, _, extents in locations for e in extents)
    size = 8 if wide else 4
    body = struct.pack(">H", (size << 12) | (size << 8))
    body += struct.pack(">I" if version == 2 else ">H", len(locations))
    for item_id, method, extents in locations:
        body += struct.pack(">I" if version == 2 else ">H", item_id)
        if version:
            body += struct.pack(">H", method)
        body += struct.pack(">HH", 0, len(extents))
        for extent in extents:
            body += extent.offset.to_bytes(size, "big") + extent.length.to_bytes(size, "big")
    return full_box(b"iloc", version, 0, body)


def _iref(heif: Heif, items: set[int], replaced: dict[int, bytes]) -> bytes:
    id_size = 4 if heif.iref_version else 2
    body = b""
    for kind, source, targets in heif.refs:
        if source not in items:
            continue
        # A rebuilt Exif item describes the primary image only.
        tos = [heif.primary] if source in replaced else [t for t in targets if t in items]
        if tos:
            payload = source.to_bytes(id_size, "big") + struct.pack(">H", len(tos))
            payload += b"".join(t.to_bytes(id_size, "big") for t in tos)
            body += box(kind, payload)
    return full_box(b"iref", heif.iref_version, 0, body)


def _kept_properties(heif: Heif, items: list[int], keep: Keep
                     ) -> tuple[list[Box], dict[int, list[tuple[int, bool]]]]:
    """The properties the kept items still use, and each item's associations renumbered."""
    def wanted(prop: Box, essential: bool) -> bool:
        body = prop.payload(heif.data)
        if prop.type == b"colr":
            return keep.color_profile or body[:4] not in (b"prof", b"rICC")
        if prop.type in _TRANSFORMS:
            return keep.orientation
        if prop.type in _PRIVATE_PROPERTIES:
            return False
        return prop.type in _IMAGE_PROPERTIES or essential

    used: list[int] = []
    kept: dict[int, list[tuple[int, bool]]] = {}
    for item_id in items:
        for index, essential in heif.items[item_id].properties:
            if wanted(heif.properties[index - 1], essential):
                kept.setdefault(item_id, []).append((index, essential))
                if index not in used:
                    used.append(index)
    used.sort()
    renumber = {old: new for new, old in enumerate(used, 1)}
    associations = {i: [(renumber[o], e) for o, e in props] for i, props in kept.items()}
    return [heif.properties[i - 1] for i in used], associations


def _iprp(heif: Heif, properties: list[Box],
          associations: dict[int, list[tuple[int, bool]]]) -> bytes:
    ipco = box(b"ipco", b"".join(p.raw(heif.data) for p in properties))
    version = 1 if heif.ipma_version or any(i > 0xFFFF for i in associations) else 0
    wide = bool(heif.ipma_flags & 1) or len(properties) > 127
    body = struct.pack(">I", len(associations))
    for item_id, props in sorted(associations.items()):
        body += item_id.to_bytes(4 if version else 2, "big") + bytes([len(props)])
        for index, essential in props:
            if wide:
                body += struct.pack(">H", index | (0x8000 if essential else 0))
            else:
                body += bytes([index | (0x80 if essential else 0)])
    return box(b"iprp", ipco + full_box(b"ipma", version, int(wide), body))


def _grpl(heif: Heif, items: set[int]) -> bytes:
    grpl = next(b for b in heif.children if b.type == b"grpl")
    out = b""
    for group in boxes(heif.data, grpl.body, grpl.end, heif.what):
        r = Reader(heif.data, heif.what, group.body, group.end)
        version_flags = r.take(4)
        group_id, count = r.u32(), r.u32()
        r.check_count(count, 4, "group members")
        members = [m for m in (r.u32() for _ in range(count)) if m in items]
        if len(members) > 1:
            out += box(group.type, version_flags + struct.pack(">II", group_id, len(members))
                       + b"".join(struct.pack(">I", m) for m in members))
    return box(b"grpl", out)
