"""The week's summary as a message in the reader's language, and as CSV (one row per unit)."""

from __future__ import annotations

import csv
import io

from services.config import AppConfig
from services.i18n import Translator
from services.summary.figures import (
    Counts,
    Rate,
    UnitFigures,
    WeekSummary,
    best_and_bottom,
    change_in_tenths,
    ranking,
    tenths_text,
)
from services.summary.weeks import IsoWeek

OVERDUE_UNITS = 10


def percent(rate: Rate) -> str:
    """The rate as published: ``50.0%`` (tenths of a percent, rounded half up from the exact fraction); ``—``."""
    return "—" if rate.tenths is None else f"{tenths_text(rate.tenths)}%"


def signed(delta: float, digits: int = 0) -> str:
    """``+3``, ``-2``, ``±0`` (with ``digits`` decimals)."""
    if round(delta, digits) == 0:
        return "±0"
    return f"{delta:+.{digits}f}"


def rate_text(t: Translator, rate: Rate) -> str:
    """The published rate with what it is made of: ``50.0% (1/2)``; ``—`` when there is nothing to divide by."""
    if rate.tenths is None:
        return "—"
    return t(
        "{percent} ({numerator}/{denominator})",
        percent=percent(rate),
        numerator=rate.numerator,
        denominator=rate.denominator,
    )


def rate_change(t: Translator, now: Rate, before: Rate) -> str:
    """The change between this week's and last week's published rates, in percentage points; ``—`` if either
    week has no rate. The difference of the two figures as printed, so a reader can check it."""
    change = change_in_tenths(now, before)
    if change is None:
        return "—"
    return t("{delta} pp", delta="±0" if change == 0 else ("+" if change > 0 else "") + tenths_text(change))


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
        t("Open at the week's end {open}, of them overdue {overdue}", open=c.open_at_end, overdue=c.overdue_at_end),
        _closure_line(t, c.closure),
        _on_time_line(t, c, p.on_time),
        t(
            "Rework rate {rework} · return rate {returned}",
            rework=rate_text(t, c.rework),
            returned=rate_text(t, c.returns),
        ),
        t(
            "Average handling time {hours} · satisfaction {satisfaction}",
            hours="—" if hours is None else t("{hours} h", hours=f"{hours:.1f}"),
            satisfaction=rate_text(t, c.satisfaction_rate),
        ),
    ]


def _closure_line(t: Translator, closure: Rate) -> str:
    if closure.tenths is None:
        return t("Closure rate —: no case was registered this week")
    return t(
        "Closure rate {rate}: {closed} of the {registered} cases registered this week were closed by its end",
        rate=percent(closure),
        closed=closure.numerator,
        registered=closure.denominator,
    )


def _on_time_line(t: Translator, c: Counts, before: Rate) -> str:
    on_time = c.on_time
    if on_time.tenths is None:
        line = t("On-time closure rate —: no case was due this week")
    else:
        line = t(
            "On-time closure rate {rate} ({change} on last week): {on_time} of the {due} cases due this week "
            "were closed on time",
            rate=percent(on_time),
            change=rate_change(t, on_time, before),
            on_time=on_time.numerator,
            due=on_time.denominator,
        )
    if c.due_closed_before:
        # Closed early, before this week: on time, but not among this week's closures counted above.
        line += t(", {n} of them before this week", n=c.due_closed_before)
    if c.due_suspended:
        line += t("; {n} suspended (挂账) not counted", n=c.due_suspended)
    return line


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
    summary = config.summary
    least = summary.rank_min_cases
    best, bottom = best_and_bottom(units, summary.top_count, summary.bottom_count, least)
    lines: list[str] = []

    def line(u: UnitFigures) -> str:
        return t("{name} — on-time closure rate {rate}", name=u.name, rate=rate_text(t, u.counts.on_time))

    if best:
        lines.append(t("Best units by on-time closure rate (at least {least} cases due):", least=least))
        lines += [f"{i}. {line(u)}" for i, u in enumerate(best, 1)]
    if bottom:
        lines.append(t.plural("Last unit:", "Last {n} units:", len(bottom)))
        lines += [f"· {line(u)}" for u in bottom]
    unranked = sum(1 for u in units if u.counts.active and not u.ranked(least))
    if unranked and (best or bottom or len(units) > 1):
        lines.append(
            t.plural(
                "{n} unit with fewer than {least} cases due is not ranked.",
                "{n} units with fewer than {least} cases due are not ranked.",
                unranked,
                least=least,
            )
        )
    overdue = sorted((u for u in units if u.counts.overdue_at_end), key=lambda u: (-u.counts.overdue_at_end, u.name))
    if overdue:
        # One line, so the whole report usually fits in the chart's caption (one message per recipient).
        listed = " · ".join(f"{u.name} {u.counts.overdue_at_end}" for u in overdue[:OVERDUE_UNITS])
        lines.append(t("Overdue at the week's end, by unit: {units}", units=listed))
    return lines


def ranked_units(summary: WeekSummary, config: AppConfig, unit_id: str | None) -> list[UnitFigures]:
    """The units the page ranks for a scope (one level below it), best first: what the lists and chart show."""
    children = summary.children(unit_id, config.summary.rank_level)
    return ranking(children, config.summary.rank_min_cases)


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
        if figures.id == "" and len(summary.sources) > 1:  # one channel only: nothing to compare
            counts = " · ".join(f"{source} {n}" for source, n in summary.sources.items())
            blocks.append([t("Received by source: {counts}", counts=counts)])
        blocks.append(_ranking(t, config, summary.children(unit_id, config.summary.rank_level)))
    if figures.id == "" and summary.leaderboard:
        board = [t("Volunteer leaderboard (valid reports):")]
        for i, entry in enumerate(summary.leaderboard, 1):
            name = t("Volunteer {code}", code=entry.pseudonym)
            board.append(f"{i}. {name} — {entry.valid_reports}")
        blocks.append(board)
    if footer:
        blocks.append([footer])
    # However long: each channel splits a text over its own message limit.
    return "\n\n".join("\n".join(block) for block in blocks if block)


def _csv_row(t: Translator, f: UnitFigures) -> dict[str, object]:
    c, p = f.counts, f.previous
    top = f.top_categories(1)
    change = change_in_tenths(c.on_time, p.on_time)
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
        "overdue_at_end": c.overdue_at_end,
        "closed_registered": c.closed_registered,
        "due": c.due,
        "due_suspended": c.due_suspended,
        "due_closed_on_time": c.due_closed_on_time,
        "due_closed_before": c.due_closed_before,
        "reworked": c.reworked,
        "returned": c.returned,
        "satisfied": c.satisfied,
        "answered": c.answered,
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
        "on_time_change_pp": "" if change is None else tenths_text(change),
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
