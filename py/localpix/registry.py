"""The format registry: one record per format, and everything that needs a list of formats reads
it — sniffing, decoding, the codecs, the CLI's folder scan and output names, the browser bridge,
and the page (scripts/build writes the page's copy through adapters.page_facts).

Adding a format means adding its record here and its modules: a container module in
`localpix.containers` (detect · inspect · clean), and a codec in `localpix.codecs` if localpix
can write it."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from .errors import CorruptImageError, TruncatedImageError, UnsupportedFormatError


@dataclass(frozen=True)
class Format:
    name: str  # the id in options, reports and the page: "jpeg"
    label: str  # for people: "JPEG"
    mime: str
    extensions: tuple[str, ...]  # lower case, with the dot; the first is the one written
    container: str  # module in localpix.containers: detect · inspect · clean
    # Pillow plugins that decode it (imported, and so allowed, by pixels.decode); () = none here.
    pillow_plugins: tuple[str, ...]
    pillow_format: str  # the name Image.open(formats=...) takes
    codec: str | None  # module in localpix.codecs that writes it; None = read-only
    compress_to: str  # output format when compressing without an explicit choice
    # A format most apps cannot open: compress always writes compress_to (a phone's "most
    # compatible" export), never the cleaned original, unless the user picks this format.
    always_convert: bool = False
    # The optional native package that decodes it (pixels.modern), where Pillow alone cannot.
    decoder_package: str | None = None
    # Better encoders than Pillow's, in order of preference (codecs.providers); Pillow is the
    # fallback after them.
    providers: tuple[str, ...] = ()
    # What writing it needs where not every Pillow can (Pyodide's Pillow 10.2 has no AVIF
    # encoder): the page offers the format only when a browser provider writes it.
    encoder_needs: str | None = None

    @property
    def writable(self) -> bool:
        return self.codec is not None

    def container_module(self) -> ModuleType:
        return importlib.import_module(f"localpix.containers.{self.container}")

    def codec_module(self) -> ModuleType:
        if self.codec is None:
            raise UnsupportedFormatError(f"localpix cannot write {self.label} files.")
        return importlib.import_module(f"localpix.codecs.{self.codec}")


FORMATS: tuple[Format, ...] = (
    Format("jpeg", "JPEG", "image/jpeg", (".jpg", ".jpeg", ".jpe", ".jfif"), "jpeg",
           ("JpegImagePlugin", "MpoImagePlugin"), "JPEG", "jpeg", "jpeg",
           providers=("mozjpeg-lossless", "mozjpeg-wasm")),
    Format("png", "PNG", "image/png", (".png",), "png",
           ("PngImagePlugin",), "PNG", "png", "png", providers=("oxipng", "jsquash-oxipng")),
    Format("webp", "WebP", "image/webp", (".webp",), "webp",
           ("WebPImagePlugin",), "WEBP", "webp", "webp", providers=("jsquash-webp",)),
    Format("gif", "GIF", "image/gif", (".gif",), "gif",
           ("GifImagePlugin",), "GIF", None, "png"),
    Format("tiff", "TIFF", "image/tiff", (".tif", ".tiff"), "tiff",
           ("TiffImagePlugin",), "TIFF", None, "png"),
    Format("bmp", "BMP", "image/bmp", (".bmp", ".dib"), "bmp",
           ("BmpImagePlugin",), "BMP", None, "png"),
    Format("avif", "AVIF", "image/avif", (".avif",), "avif", (), "AVIF", "avif", "jpeg",
           always_convert=True, decoder_package="Pillow 11.3 or later built with libavif",
           encoder_needs="Pillow 11.3 or later built with libavif", providers=("jsquash-avif",)),
    Format("heic", "HEIC", "image/heic", (".heic", ".heif", ".hif"), "heic", (), "HEIF", None,
           "jpeg", always_convert=True, decoder_package="pillow-heif"),
    Format("jxl", "JPEG XL", "image/jxl", (".jxl",), "jxl", (), "JXL", None, "jpeg",
           always_convert=True, decoder_package="pillow-jxl-plugin"),
    Format("netpbm", "Netpbm", "image/x-portable-anymap", (".pnm", ".ppm", ".pgm", ".pbm"),
           "netpbm", ("PpmImagePlugin",), "PPM", None, "png"),
)  # fmt: skip

_BY_NAME = {f.name: f for f in FORMATS}
OUTPUT_FORMATS: tuple[str, ...] = tuple(f.name for f in FORMATS if f.writable)
# Not a format: per image, the smallest of these at the quality target (pipeline.compress).
SMALLEST = "smallest"
SMALLEST_OF: tuple[str, ...] = ("jpeg", "webp", "avif")
EXTENSIONS: tuple[str, ...] = tuple(e for f in FORMATS for e in f.extensions)


def record(name: str) -> Format:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnsupportedFormatError(f"Unknown format {name!r}.") from None


def supported_text() -> str:
    return ", ".join(f.label for f in FORMATS)


def not_an_image_message() -> str:
    return f"This is not an image localpix can read. Supported: {supported_text()}."


def detect(data: bytes) -> Format:
    """The format `data` is in, judged by each container's own signature check."""
    if not data:
        raise CorruptImageError("The file is empty (0 bytes).")
    for fmt in FORMATS:
        if fmt.container_module().detect(data):
            return fmt
    if len(data) < 16 and any(fmt.container_module().starts_like(data) for fmt in FORMATS):
        raise TruncatedImageError(
            f"The file is only {len(data)} bytes long: it is cut short. Try the original file."
        )
    raise UnsupportedFormatError(not_an_image_message())
