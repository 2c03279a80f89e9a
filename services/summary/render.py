"""The week's summary as a message in the reader's language, and as CSV (one row per unit)."""

from __future__ import annotations

import csv
import io

from services.config import AppConfig
from services.i18n import Translator
from services.summary.figures import UnitFigures, WeekSummary, best_and_bottom
from services.summary.weeks import IsoWeek

MAX_TEXT = 4096  # Telegram's limit for one message
OVERDUE_UNITS = 10


def percent(value: float | None) -> str:
    """``0.8765`` → ``87.7%``; None → ``—``."""
    return "—" if value is None else f"{value * 100:.1f}%"


def signed(delta: float, digits: int = 0) -> str:
    """``+3``, ``-2``, ``±0`` (with ``digits`` decimals)."""
    if round(delta, digits) == 0:
        return "±0"
    return f"{delta:+.{digits}f}"


def rate_change(t: Translator, now: float | None, before: float | None) -> str:
    """The change of a rate in percentage points, or ``—`` when either week has none."""
    if now is None or before is None:
        return "—"
    return t("{delta} pp", delta=signed((now - before) * 100, 1))


def scope_name(t: Translator, figures: UnitFigures) -> str:
    """The unit's name, or "the whole city"."""
    return figures.name if figures.id else t("Whole city")


def title(t: Translator, summary: WeekSummary, figures: UnitFigures) -> str:
    """The first line: week, dates and area (also the chart's caption)."""
    week = IsoWeek.parse(summary.week)
    return t(
        "Weekly report {week} ({first} – {last}): {area}",
        week=summary.week,
        first=week.monday.isoformat(),
        last=week.sunday.isoformat(),
        area=scope_name(t, figures),
    )


def _headline(t: Translator, f: UnitFigures) -> list[str]:
    c, p = f.counts, f.previous
    hours = c.avg_handling_hours
    return [
        t(
            "Received {received} ({change} on last week) · registered {registered} · dispatched {dispatched} · "
            "closed {closed}",
            received=c.received,
            change=signed(c.received - p.received),
            registered=c.registered,
            dispatched=c.dispatched,
            closed=c.closed,
        ),
        t("Open at the week's end {open} · overdue now {overdue}", open=c.open_at_end, overdue=c.overdue_now),
        t(
            "Closure rate {closure} · on-time closure rate {on_time} ({change} on last week)",
            closure=percent(c.closure_rate),
            on_time=percent(c.on_time_rate),
            change=rate_change(t, c.on_time_rate, p.on_time_rate),
        ),
        t(
            "Rework rate {rework} · return rate {returned}",
            rework=percent(c.rework_rate),
            returned=percent(c.return_rate),
        ),
        t(
            "Average handling time {hours} · satisfaction {satisfaction}",
            hours="—" if hours is None else t("{hours} h", hours=f"{hours:.1f}"),
            satisfaction=percent(c.satisfaction),
        ),
    ]


def _categories(t: Translator, config: AppConfig, f: UnitFigures) -> list[str]:
    top = f.top_categories(config.summary.top_count)
    if not top:
        return []
    lines = [t("Top problems:")]
    for i, (code, n) in enumerate(top, 1):
        category = config.category(code)
        label = category.label(t.locale) if category is not None else code
        lines.append(f"{i}. {label} — {n}")
    return lines


def _ranking(t: Translator, config: AppConfig, units: list[UnitFigures]) -> list[str]:
    best, bottom = best_and_bottom(units, config.summary.top_count, config.summary.bottom_count)
    lines: list[str] = []

    def line(u: UnitFigures) -> str:
        return t(
            "{name} — on-time {on_time}, closed {closed}",
            name=u.name,
            on_time=percent(u.counts.on_time_rate),
            closed=u.counts.closed,
        )

    if best:
        lines += [t("Best units:"), *(f"{i}. {line(u)}" for i, u in enumerate(best, 1))]
    if bottom:
        lines.append(t.plural("Last unit:", "Last {n} units:", len(bottom)))
        lines += [f"· {line(u)}" for u in bottom]
    overdue = sorted((u for u in units if u.counts.overdue_now), key=lambda u: (-u.counts.overdue_now, u.name))
    if overdue:
        # One line, so the whole report usually fits in the chart's caption (one message per recipient).
        listed = " · ".join(f"{u.name} {u.counts.overdue_now}" for u in overdue[:OVERDUE_UNITS])
        lines.append(t("Overdue cases by unit: {units}", units=listed))
    return lines


def render_text(
    summary: WeekSummary, config: AppConfig, locale: str, unit_id: str | None = None, *, footer: str = ""
) -> str:
    """The summary of ``unit_id``'s area (the city for None) as one message in ``locale``."""
    t = Translator(locale)
    figures = summary.scope(unit_id)
    blocks = [[title(t, summary, figures)]]
    if not figures.counts.active and not figures.previous.active:
        blocks.append([t("No cases this week.")])
    else:
        blocks += [_headline(t, figures), _categories(t, config, figures)]
        blocks.append(_ranking(t, config, summary.children(unit_id, config.summary.rank_level)))
    if figures.id == "" and summary.leaderboard:
        board = [t("Volunteer leaderboard (valid reports):")]
        for i, entry in enumerate(summary.leaderboard, 1):
            name = t("Volunteer {code}", code=entry.pseudonym)
            board.append(f"{i}. {name} — {entry.valid_reports}")
        blocks.append(board)
    if footer:
        blocks.append([footer])
    text = "\n\n".join("\n".join(block) for block in blocks if block)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _csv_row(t: Translator, f: UnitFigures) -> dict[str, object]:
    c, p = f.counts, f.previous
    top = f.top_categories(1)
    return {
        "unit_id": f.id,
        "unit_name": scope_name(t, f),
        "level": f.level,
        "parent_id": f.parent_id or "",
        "received": c.received,
        "registered": c.registered,
        "dispatched": c.dispatched,
        "closed": c.closed,
        "open_at_end": c.open_at_end,
        "overdue_now": c.overdue_now,
        "closure_rate": _rate(c.closure_rate),
        "on_time_rate": _rate(c.on_time_rate),
        "rework_rate": _rate(c.rework_rate),
        "return_rate": _rate(c.return_rate),
        "avg_handling_hours": _rate(c.avg_handling_hours),
        "satisfaction": _rate(c.satisfaction),
        "top_category": top[0][0] if top else "",
        "received_last_week": p.received,
        "closed_last_week": p.closed,
        "on_time_rate_last_week": _rate(p.on_time_rate),
    }


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


#: What makes a spreadsheet read a cell as a formula (or, for tab and CR, lets it hide one behind them).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed with ``'``; anything else unchanged.

    Unit names come from third-party GeoJSON, and Excel or WPS opening the export must show them, not run them.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def render_csv(summary: WeekSummary, locale: str = "zh_CN") -> str:
    """One row per unit (the city first, with an empty id) and the KPIs as columns; rates as fractions."""
    t = Translator(locale)
    rows = [_csv_row(t, f) for f in [summary.city, *sorted(summary.units.values(), key=lambda u: (u.level, u.id))]]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")  # RFC 4180: a cell with CR is quoted
    writer.writeheader()
    writer.writerows({key: csv_cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue()
