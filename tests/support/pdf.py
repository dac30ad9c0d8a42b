"""Reading what ReportLab drew, without a PDF library: enough to count pages and find titles."""

from __future__ import annotations

import base64
import re
import zlib


def pdf_text(data: bytes) -> str:
    """The text drawn on a ReportLab PDF's pages (ASCII85 + Flate content streams, literal
    strings), one string a line."""
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.DOTALL):
        raw = m.group(1).strip()
        if raw.endswith(b"~>"):
            raw = base64.a85decode(raw[:-2].replace(b"\n", b"").replace(b"\r", b""))
        try:
            raw = zlib.decompress(raw)
        except zlib.error:
            continue
        for s in re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", raw):
            s = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), s)
            s = re.sub(rb"\\(.)", rb"\1", s)
            out.append(s.decode("cp1252"))
    return "\n".join(out)


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", data))
