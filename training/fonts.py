"""The CJK font embedded in PDF documents: a Debian font package, cut once to the GB 2312 set and cached.

Used by the approval file (serving) and the year-end report (monitoring), so it lives below both. Full CJK fonts
hold 30,000+ glyphs and take seconds to parse; a document needs a few hundred. The first
call cuts the packaged font (``fonts-wqy-microhei``, ``fonts-wqy-zenhei`` or ``fonts-noto-cjk``; or the file named by
``KUOZHONG_CJK_FONT``) down to GB 2312 plus Latin and punctuation with fontTools and caches it under
``KUOZHONG_CACHE`` (default ``~/.cache/kuozhong``). A document with a character outside that set gets a subset of
its own from the full font, so nothing ever renders as an empty box.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from features.files import atomic_path

log = logging.getLogger(__name__)

SUBSET_VERSION = "gb2312-v1"
# (path, index of the Simplified Chinese face inside a collection)
PACKAGED_FONTS = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", 0),
)
_EXTRA = {0xB7, 0xD7, 0x2013, 0x2014, 0x2022, 0x2026, 0x2190, 0x2191, 0x2192, 0x2193, 0x2212, 0x2264, 0x2265,
          0x25A1, 0x25CF, 0x2713, 0x2717, 0x3000, 0xFFE5}


class FontUnavailable(RuntimeError):
    """No CJK font is installed, so Chinese cannot be embedded."""


@dataclass(frozen=True)
class FontSource:
    """A font file and the face to use inside it."""

    path: Path
    index: int


def font_source() -> FontSource:
    """The packaged CJK font to embed (``KUOZHONG_CJK_FONT`` = path or path#index overrides the search)."""
    override = os.environ.get("KUOZHONG_CJK_FONT")
    if override:
        name, _, face = override.partition("#")
        if not Path(name).is_file():
            raise FontUnavailable(f"KUOZHONG_CJK_FONT '{name}' is not a file")
        return FontSource(Path(name), int(face or 0))
    for path, index in PACKAGED_FONTS:
        if Path(path).is_file():
            return FontSource(Path(path), index)
    raise FontUnavailable("no CJK font found: install the Debian package fonts-wqy-microhei "
                          "(scripts/system-deps.sh) or set KUOZHONG_CJK_FONT")


def _gb2312() -> set[int]:
    chars = set(range(0x20, 0x7F)) | set(range(0x3000, 0x3040)) | set(range(0xFF01, 0xFF5F)) | _EXTRA
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([high, low]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def cache_dir() -> Path:
    """The user cache of made-once files: ``KUOZHONG_CACHE``, by default ``~/.cache/kuozhong``."""
    root = os.environ.get("KUOZHONG_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "kuozhong"


def _subset(source: FontSource, chars: set[int], target: Path) -> Path:
    from fontTools import subset, ttLib

    font = ttLib.TTFont(str(source.path), fontNumber=source.index, lazy=True)
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.glyph_names = False  # post format 3: the slow glyph-name table is dropped
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=chars)
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        font.save(str(tmp))
    return target


@functools.lru_cache(maxsize=4)
def _cached(source: FontSource) -> tuple[Path, frozenset[int]]:
    stat = source.path.stat()
    key = hashlib.sha256(f"{source.path}|{source.index}|{stat.st_size}|{stat.st_mtime_ns}|{SUBSET_VERSION}"
                         .encode()).hexdigest()[:16]
    target = cache_dir() / "fonts" / f"{source.path.stem}-{key}.ttf"
    if not target.is_file():
        log.info("cutting %s to GB 2312 for PDF documents (once per machine)", source.path.name)
        _subset(source, _gb2312(), target)
    from fontTools import ttLib

    covered = frozenset(ttLib.TTFont(str(target), lazy=True).getBestCmap())
    return target, covered


def font_for(text: str) -> Path:
    """A font file that has a glyph for every character of ``text`` (the cached GB 2312 cut when it suffices)."""
    source = font_source()
    path, covered = _cached(source)
    needed = {ord(c) for c in text if not c.isspace()}
    if needed <= covered:
        return path
    extra = needed - covered
    key = hashlib.sha256("".join(sorted(map(chr, needed))).encode()).hexdigest()[:16]
    log.info("document needs %d characters outside GB 2312: cutting a subset of its own", len(extra))
    target = cache_dir() / "fonts" / "documents" / f"{source.path.stem}-{key}.ttf"
    return target if target.is_file() else _subset(source, needed | set(range(0x20, 0x7F)), target)
