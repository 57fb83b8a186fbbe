"""A tiny document model rendered to Markdown and to one self-contained HTML file.

Blocks: headings, paragraphs (with `code` and **bold** marks), bullet lists, tables, figures
(PNG bytes) and preformatted text. Markdown refers to figures as files under ``plots/``;
HTML inlines them as ``data:image/png;base64`` so ``report.html`` needs nothing beside it.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

CSS = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1150px;margin:2em auto;
padding:0 1em;color:#1d1d1f}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
h3{margin-top:1.5em}
table{border-collapse:collapse;margin:.8em 0;font-size:13.5px}
th,td{border:1px solid #d0d0d0;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr:nth-child(even) td{background:#fafafa}
code{background:#f2f2f2;padding:0 3px;border-radius:3px;font-size:92%}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:12.5px}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{color:#555;font-size:13px}
.pass{color:#137333;font-weight:600}.fail{color:#b3261e;font-weight:600}.skip{color:#8a6d00}
.scroll{overflow-x:auto}
.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.4em .8em}
"""

Block = Tuple


class Document:
    def __init__(self, title: str) -> None:
        self.title = title
        self.blocks: List[Block] = []

    def h2(self, text: str) -> None:
        self.blocks.append(("h", 2, text))

    def h3(self, text: str) -> None:
        self.blocks.append(("h", 3, text))

    def p(self, text: str, cls: str = "") -> None:
        self.blocks.append(("p", text, cls))

    def bullets(self, items: Sequence[str]) -> None:
        if items:
            self.blocks.append(("ul", list(items)))

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: Sequence[int] = ()) -> None:
        self.blocks.append(("table", list(headers), [[str(c) for c in r] for r in rows], set(numeric)))

    def figure(self, name: str, png: Optional[bytes], caption: str) -> None:
        if png:
            self.blocks.append(("fig", name, png, caption))

    def pre(self, text: str) -> None:
        self.blocks.append(("pre", text))

    # ------------------------------------------------------------------ Markdown

    def markdown(self, plots_dir: Optional[Path]) -> str:
        out = [f"# {self.title}", ""]
        for b in self.blocks:
            kind = b[0]
            if kind == "h":
                out += ["#" * b[1] + " " + b[2], ""]
            elif kind == "p":
                out += [("> " if b[2] == "note" else "") + b[1], ""]
            elif kind == "ul":
                out += [f"- {i}" for i in b[1]] + [""]
            elif kind == "table":
                headers, rows = b[1], b[2]
                out.append("| " + " | ".join(_md_cell(h) for h in headers) + " |")
                out.append("|" + "|".join("---:" if i in b[3] else "---" for i in range(len(headers))) + "|")
                out += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
                out.append("")
            elif kind == "fig":
                name, png, caption = b[1], b[2], b[3]
                if plots_dir is not None:
                    plots_dir.mkdir(parents=True, exist_ok=True)
                    (plots_dir / f"{name}.png").write_bytes(png)
                    out += [f"![{caption}](plots/{name}.png)", "", f"*{caption}*", ""]
            elif kind == "pre":
                out += ["```", b[1], "```", ""]
        return "\n".join(out).rstrip() + "\n"

    # ------------------------------------------------------------------ HTML

    def html(self) -> str:
        parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
                 '<meta name="viewport" content="width=device-width, initial-scale=1">',
                 f"<title>{html.escape(self.title)}</title><style>{CSS}</style></head><body>",
                 f"<h1>{html.escape(self.title)}</h1>"]
        for b in self.blocks:
            kind = b[0]
            if kind == "h":
                anchor = re.sub(r"[^a-z0-9]+", "-", b[2].lower()).strip("-")
                parts.append(f'<h{b[1]} id="{anchor}">{_inline(b[2])}</h{b[1]}>')
            elif kind == "p":
                cls = f' class="{b[2]}"' if b[2] else ""
                parts.append(f"<p{cls}>{_inline(b[1])}</p>")
            elif kind == "ul":
                parts.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in b[1]) + "</ul>")
            elif kind == "table":
                headers, rows, numeric = b[1], b[2], b[3]
                head = "".join(f"<th>{_inline(h)}</th>" for h in headers)
                body = "".join(
                    "<tr>" + "".join(
                        f'<td{" class=num" if i in numeric else ""}>{_cell(c)}</td>' for i, c in enumerate(r)
                    ) + "</tr>"
                    for r in rows
                )
                parts.append(f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
                             "</table></div>")
            elif kind == "fig":
                data = base64.b64encode(b[2]).decode("ascii")
                parts.append(f'<figure><img alt="{html.escape(b[3])}" src="data:image/png;base64,{data}">'
                             f"<figcaption>{_inline(b[3])}</figcaption></figure>")
            elif kind == "pre":
                parts.append(f"<pre>{html.escape(b[1])}</pre>")
        parts.append("</body></html>")
        return "\n".join(parts) + "\n"


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _inline(text: str) -> str:
    out = html.escape(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"<em>\1</em>", out)
    return out


def _cell(text: str) -> str:
    out = _inline(text)
    low = text.lower()
    if low.startswith(("pass", "ok", "caught", "yes ")):
        return f'<span class="pass">{out}</span>'
    if low.startswith(("fail", "missed", "crash", "timeout", "violation", "error", "build failed", "missing")):
        return f'<span class="fail">{out}</span>'
    if low.startswith(("skipped", "not found")):
        return f'<span class="skip">{out}</span>'
    return out
