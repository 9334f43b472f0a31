"""``report.md``: the report's content as markdown, figures linked from ``figures/``.

Plain text (titles, table cells, column headers) is escaped with
:func:`eventstudy.report.fmt.md`; paragraphs, bullets, captions and footnotes are already
markdown (their user text was escaped when the report was built). The only HTML is the
``<details>`` of a collapsed table.
"""

from __future__ import annotations

from eventstudy.report import fmt
from eventstudy.report.document import Report, Table

_MARKS = {"l": "---", "r": "---:"}


def markdown_table(table: Table) -> list[str]:
    """The lines of a pipe table (no caption)."""
    lines = [
        "| " + " | ".join(fmt.md(c) for c in table.columns) + " |",
        "|" + "|".join(_MARKS[a] for a in table.align) + "|",
    ]
    lines += ["| " + " | ".join(fmt.md(c.text) for c in row) + " |" for row in table.rows]
    return lines


def _alt(text: str) -> str:
    """Plain text as an image's alt text (brackets escaped too)."""
    return fmt.md(text).replace("[", "\\[").replace("]", "\\]")


def render_markdown(report: Report) -> str:
    """``report.md`` of ``report`` (the same content as the HTML page)."""
    lines = [f"# {fmt.md(report.title)}", "", *[f"{s}\n" for s in report.summary]]
    for section in report.sections:
        if section.markdown:  # a pre-rendered block links its own figures
            lines += [section.markdown.rstrip("\n"), ""]
            continue
        lines += [f"## {fmt.md(section.title)}", ""]
        for paragraph in section.paragraphs:
            lines += [paragraph, ""]
        for figure in section.figures:
            lines += [f"![{_alt(figure.title)}]({figure.name})", ""]
            if figure.caption:
                lines += [f"*{figure.caption}*", ""]
        for table in section.tables:
            if table.caption:
                lines += [table.caption, ""]
            if table.collapsed:
                lines += [f"<details><summary>{len(table.rows)} rows</summary>", ""]
            lines += [*markdown_table(table), ""]
            if table.footnote:
                lines += [table.footnote, ""]
            if table.collapsed:
                lines += ["</details>", ""]
        lines += [f"- {b}" for b in section.bullets]
        if section.bullets:
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
