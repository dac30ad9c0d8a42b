"""The committee report as one self-contained HTML file (charts embedded as PNG data URIs)."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from opspor.monitor.report_model import Chart, Report, TableBlock, Text

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#1a1a1a;line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem;color:#1F4E79}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:2px solid #1F4E79;
padding-bottom:.2rem;color:#1F4E79}h3{font-size:1rem;margin:1.6rem 0 .4rem}
.subtitle{color:#555;margin-top:0}.banner{background:#9C0006;color:#fff;padding:.4rem .7rem;font-weight:600;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.85rem}th,td{border:1px solid #ccc;padding:.25rem .45rem;
text-align:left;vertical-align:top}th{background:#eee}td.good{background:#E2EFDA;color:#375623;font-weight:600}
td.bad{background:#F8D7DA;color:#9C0006;font-weight:600}td.muted{color:#777}caption{caption-side:bottom;text-align:left;
color:#666;font-size:.8rem}img{max-width:100%;height:auto}.note{background:#F3F7FB;border-left:4px solid #1F4E79;padding:.4rem .7rem}
.small{font-size:.82rem;color:#444}.meta td:first-child{font-weight:600;width:14rem}
@media print{h2{break-before:page}}
"""


def _block(b) -> str:
    if isinstance(b, Text):
        if b.style == "heading":
            return f"<h3>{escape(b.text)}</h3>"
        cls = {"note": "note", "small": "small", "warning": "banner"}.get(b.style, "")
        return f'<p class="{cls}">{escape(b.text)}</p>' if cls else f"<p>{escape(b.text)}</p>"
    if isinstance(b, TableBlock):
        head = "".join(f"<th>{escape(h)}</th>" for h in b.header)
        body = []
        for i, row in enumerate(b.rows):
            cells = "".join(
                f'<td class="{b.marks[(i, j)]}">{escape(c)}</td>' if (i, j) in b.marks else f"<td>{escape(c)}</td>"
                for j, c in enumerate(row))
            body.append(f"<tr>{cells}</tr>")
        caption = f"<caption>{escape(b.caption)}</caption>" if b.caption else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    if isinstance(b, Chart):
        data = base64.b64encode(Path(b.path).read_bytes()).decode("ascii")
        alt = escape(b.caption or Path(b.path).stem.replace("_", " "))
        cap = f"<figcaption class='small'>{escape(b.caption)}</figcaption>" if b.caption else ""
        return f'<figure><img src="data:image/png;base64,{data}" alt="{alt}">{cap}</figure>'
    raise TypeError(type(b))


def write_html(report: Report, path: Path) -> Path:
    parts = [f'<!DOCTYPE html><html lang="{report.lang}"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{escape(report.title)} – {escape(report.subtitle)}</title><style>{CSS}</style></head><body>",
             f"<h1>{escape(report.title)}</h1><p class='subtitle'>{escape(report.subtitle)}</p>"]
    if report.banner:
        parts.append(f"<p class='banner'>{escape(report.banner)}</p>")
    meta = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in report.meta)
    parts.append(f"<table class='meta'>{meta}</table>")
    for s in report.sections:
        parts.append(f"<h2>{escape(s.title)}</h2>")
        parts += [_block(b) for b in s.blocks]
    parts.append("</body></html>\n")
    path.write_text("\n".join(parts), encoding="utf-8")
    return path
