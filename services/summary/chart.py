"""The week's chart: the units the page ranks, in its order, with their on-time closure rate, as a PNG.

It draws what the best and bottom lists rank and nothing else: for each ranked unit, the cases due this week and
those closed on time (the rate's two counts), and the rate as published, "50.0% (1/2)". With nothing ranked, it
shows the area's own figures.

Chinese labels need a CJK font, and a fresh server has none: the chart uses Noto Sans CJK SC shipped inside the
``mplfonts`` package (a dependency), registered with matplotlib's font manager from the package's files.
"""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from services.config import AppConfig
from services.i18n import Translator
from services.summary.figures import UnitFigures, WeekSummary
from services.summary.render import ranked_units, rate_text, title

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
# rcParams are process-wide: one chart at a time keeps the font settings of concurrent renders apart.
_LOCK = threading.Lock()


class FontMissing(RuntimeError):
    """The packaged CJK font could not be found."""


@lru_cache(maxsize=1)
def cjk_font() -> tuple[str, Path]:
    """Register the packaged CJK font with matplotlib (once) and return its family name and file."""
    from matplotlib import font_manager

    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise FontMissing("the mplfonts package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / CJK_FONT_FILE
    if not path.is_file():
        raise FontMissing(f"{path} is missing")
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name(), path


def chart_units(summary: WeekSummary, config: AppConfig, unit_id: str | None) -> list[UnitFigures]:
    """The ranked units below the scope, best first (the best and the last ones if there are too many), or the
    scope itself when no unit has enough cases to be ranked."""
    ranked = ranked_units(summary, config, unit_id)
    room = config.summary.chart_units
    if len(ranked) > room:
        last = min(config.summary.bottom_count, room - 1)
        ranked = ranked[: room - last] + ranked[len(ranked) - last :]
    return ranked or [summary.scope(unit_id)]


def build_figure(summary: WeekSummary, config: AppConfig, locale: str, unit_id: str | None = None) -> Figure:
    """The chart as a matplotlib Figure (call inside ``chart_style()`` so the labels get the CJK font)."""
    t = Translator(locale)
    units = chart_units(summary, config, unit_id)
    # barh draws bottom-up: reversed, so the best unit is at the top as on the page.
    names = [u.name if u.id else t("Whole city") for u in units][::-1]
    rates = [u.counts.on_time for u in units][::-1]
    rows = range(len(units))
    height = 1.6 + 0.45 * len(units)
    figure = Figure(figsize=(10, height), dpi=110, layout="constrained")
    volumes, bars_axis = figure.subplots(1, 2, sharey=True, width_ratios=[3, 2])
    due = [rate.denominator for rate in rates]
    on_time = [rate.numerator for rate in rates]
    volumes.barh([r + 0.2 for r in rows], due, height=0.4, label=t("Due this week"), color="#4C78A8")
    volumes.barh([r - 0.2 for r in rows], on_time, height=0.4, label=t("Closed on time"), color="#59A14F")
    volumes.set_yticks(list(rows), names)
    volumes.set_xlabel(t("Cases"))
    volumes.legend(loc="lower right", fontsize="small")
    bars = bars_axis.barh(list(rows), [(rate.tenths or 0) / 10 for rate in rates], height=0.6, color="#F28E2B")
    bars_axis.bar_label(bars, labels=[rate_text(t, rate) for rate in rates], padding=3, fontsize="small")
    bars_axis.set_xlim(0, 130)
    bars_axis.set_xlabel(t("On-time closure rate (%)"))
    figure.suptitle(title(t, summary, summary.scope(unit_id)), fontsize="medium")
    return figure


def chart_style() -> dict[Any, Any]:
    """rc settings that draw text with the packaged CJK font (Latin glyphs come from it too), as plain text.

    Unit names come from third-party GeoJSON: with mathtext on, a name with two ``$`` would be read as a formula
    (and a malformed one would stop the chart from being drawn at all).
    """
    name, _path = cjk_font()
    return {"font.family": [name, "DejaVu Sans"], "axes.unicode_minus": False, "text.parse_math": False}


def render_chart(summary: WeekSummary, config: AppConfig, locale: str, path: Path, unit_id: str | None = None) -> Path:
    """Draw the chart of ``unit_id``'s area (the city for None) to ``path`` as PNG; return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK, matplotlib.rc_context(chart_style()):
        figure = build_figure(summary, config, locale, unit_id)
        FigureCanvasAgg(figure)
        partial = path.with_suffix(".tmp")
        figure.savefig(partial, format="png")
    partial.replace(path)  # readers never see a half-written file
    return path
