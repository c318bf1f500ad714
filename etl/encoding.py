"""Text encodings, delimiters and DBF encodings of planners' files (used by ``etl.readers``).

UTF-8 (with or without BOM), UTF-16/32 with BOM, GB18030 (a superset of GBK/GB2312) and
charset-normalizer's best guess, in that order; delimiters are sniffed among , tab ; | and ，.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import struct
from collections import Counter
from pathlib import Path
from typing import Any

import charset_normalizer

from etl.errors import DataError, Problem
from etl.region import TableSource

logger = logging.getLogger(__name__)


def _fail(code: str, file: str, **params: Any) -> DataError:
    return DataError([Problem(code, file, params)])


_DELIMITERS = (",", "\t", ";", "|", "，")


DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "全角逗号": "，"}


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
         (codecs.BOM_UTF8, "utf-8-sig"))


_GBK_FAMILY = {"gbk", "gb2312"}  # Python codec names; GB18030 decodes them all


_SNIFF_CHARS = 64 * 1024


def decode_text(data: bytes, explicit: str | None, file: str) -> tuple[str, str]:
    """Decode text: explicit encoding, else BOM, UTF-8, GB18030, charset-normalizer."""
    if explicit:
        codec = _codec(explicit, file)
        codec = "utf-8-sig" if codec == "utf-8" else codec
        try:
            return data.decode(codec), explicit
        except UnicodeDecodeError as exc:
            raise _fail("encoding_wrong", file, found=exc.start, expected=explicit) from None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:
                break
    for codec in ("utf-8", "gb18030"):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise _fail("encoding_undetected", file,
                    expected=["utf-8", "gb18030", "charset-normalizer"])
    logger.warning("%s: encoding guessed as %s; set `encoding` to be sure", file, best.encoding)
    return str(best), best.encoding


def _widths(sample: str, delimiter: str) -> tuple[bool, int, float]:
    """Score a delimiter: (consistent, modal field count, share of records with it)."""
    rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            if any(c.strip() for c in r)][:100]
    if not rows:
        return (False, 0, 0.0)
    width, count = Counter(len(r) for r in rows).most_common(1)[0]
    share = count / len(rows)
    if width < 2:
        return (False, 0, 0.0)
    return (share >= 0.9, width if share >= 0.9 else 0, share)


def sniff_delimiter(text: str) -> str:
    """Guess the delimiter among , \\t ; | and ，: csv.Sniffer, checked by field counts."""
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    try:
        scores = {d: _widths(sample, d) for d in _DELIMITERS}
    except csv.Error:
        return ","
    best = max(scores.values())
    if best == (False, 0, 0.0):  # one column: any delimiter will do
        return ","
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(_DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in scores and scores[sniffed] == best:
        return sniffed
    return next(d for d in _DELIMITERS if scores[d] == best)


def _codec(name: str, file: str) -> str:
    """Python codec for an encoding name; GBK-family names become GB18030 (a superset)."""
    name = {"65001": "utf-8", "936": "gb18030", "950": "big5", "1252": "cp1252"}.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        raise _fail("encoding_unknown_name", file, found=name) from None
    return "gb18030" if codec in _GBK_FAMILY else codec


def _dbf_strings(data: bytes) -> list[bytes]:
    """The non-ASCII values of the character (C) fields of a DBF file, as raw bytes."""
    if len(data) < 32:
        return []
    n, hlen, rlen = struct.unpack_from("<IHH", data, 4)
    fields, pos, off = [], 32, 1  # each record starts with a deletion-flag byte
    while pos + 32 <= hlen and data[pos] != 0x0D:
        if data[pos + 11:pos + 12] == b"C":
            fields.append((off, data[pos + 16]))
        off, pos = off + data[pos + 16], pos + 32
    values = (data[b + o:b + o + w].rstrip(b" \x00") for b in range(hlen, hlen + n * rlen, rlen)
              for o, w in fields)
    return [v for v in values if not v.isascii()]


def _decodes(value: bytes, codec: str) -> bool:
    """True if ``value`` decodes strictly, allowing a character cut off at the field width."""
    try:
        value.decode(codec)
    except UnicodeDecodeError as exc:
        return exc.end >= len(value) and exc.reason in (
            "unexpected end of data", "incomplete multibyte sequence")
    return True


def shp_encoding(dbf: Path, cpg: Path | None, src: TableSource, file: str) -> str:
    """DBF encoding: explicit, else the .cpg, else UTF-8 or GB18030 by strict decoding."""
    if src.encoding:
        return _codec(src.encoding, file)
    if cpg is not None:
        name = cpg.read_bytes().decode("ascii", "ignore").strip()
        try:
            return _codec(name, file)
        except DataError:
            logger.warning("%s: unknown code page %r in %s; detecting", file, name, cpg.name)
    values = _dbf_strings(dbf.read_bytes())
    for codec in ("utf-8", "gb18030"):
        if all(_decodes(v, codec) for v in values):
            return codec
    raise _fail("encoding_undetected", file, expected=["utf-8", "gb18030"])
