"""The weekly chart: a real PNG whose Chinese labels are drawn with the packaged CJK font, not missing-glyph boxes.

pytest turns warnings into errors here, so matplotlib's "Glyph ... missing from font(s)" warning fails a test.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib
import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from services.config import load_config
from services.summary.chart import CJK_FONT_FILE, build_figure, chart_style, render_chart
from services.summary.figures import Counts, UnitFigures, WeekSummary
from services.summary.render import render_text

CJK = re.compile(r"[\u4e00-\u9fff]")


def summary() -> WeekSummary:
    units = {
        uid: UnitFigures(
            id=uid, name=name, level="street", counts=Counts(received=r, closed=c, due=r, due_closed_on_time=c)
        )
        for uid, name, r, c in [("S1", "东华门街道", 12, 9), ("S2", "景山街道", 7, 7), ("S3", "交道口街道", 3, 1)]
    }
    return WeekSummary("2026-W47", "2026-11-23T01:00:00+00:00", UnitFigures(id="", name="", level="city"), units)


def test_the_chart_is_a_png_of_sensible_size(tmp_path: Path) -> None:
    path = render_chart(summary(), load_config(), "zh_CN", tmp_path / "w47.png")
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width >= 800 and image.height >= 200


def test_chinese_labels_are_drawn_with_the_packaged_cjk_font() -> None:
    with matplotlib.rc_context(chart_style()):
        figure = build_figure(summary(), load_config(), "zh_CN")
        FigureCanvasAgg(figure).draw()  # a missing glyph would warn (an error here) while drawing
        chinese = [t for t in figure.findobj(Text) if CJK.search(t.get_text())]
        labels = {t.get_text() for t in chinese}
        fonts = {Path(font_manager.findfont(t.get_fontproperties(), fallback_to_default=False)).name for t in chinese}
    assert {"东华门街道", "景山街道", "本周应结", "按期结案", "按期结案率（%）"} <= labels
    assert "交道口街道" not in labels  # 3 cases due: fewer than the 5 a unit needs to be ranked
    assert any(label.startswith("城市管理周通报 2026-W47") for label in labels)
    assert fonts == {CJK_FONT_FILE}


def test_without_the_cjk_font_the_same_labels_would_be_boxes() -> None:
    # The check above can fail: DejaVu Sans alone has no Chinese glyphs and matplotlib says so.
    figure = Figure()
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}), warnings.catch_warnings():
        warnings.simplefilter("always")
        figure.text(0.1, 0.5, "东华门街道")
        with pytest.warns(UserWarning, match="missing from font"):
            FigureCanvasAgg(figure).draw()


def test_an_english_chart_has_english_axis_labels() -> None:
    with matplotlib.rc_context(chart_style()):
        figure = build_figure(summary(), load_config(), "en")
        labels = {t.get_text() for t in figure.findobj(Text)}
    assert {"Due this week", "Closed on time", "On-time closure rate (%)", "东华门街道"} <= labels


def test_the_chart_shows_the_units_the_page_ranks_in_the_same_order_with_the_same_figures() -> None:
    config = load_config()
    data = summary()
    data.city.counts = Counts(received=22, due=22, due_closed_on_time=17)
    with matplotlib.rc_context(chart_style()):
        figure = build_figure(data, config, "en")
        volumes, rates = figure.axes
        names = [label.get_text() for label in volumes.get_yticklabels()][::-1]  # top first, as on the page
        bar_labels = [t.get_text() for t in rates.texts][::-1]
    page = render_text(data, config, "en").splitlines()
    ranked = [line for line in page if line[:3] in ("1. ", "2. ", "3. ") and "on-time" in line]
    assert names == ["景山街道", "东华门街道"]
    assert ranked == [
        "1. 景山街道 — on-time closure rate 100.0% (7/7)",
        "2. 东华门街道 — on-time closure rate 75.0% (9/12)",
    ]
    assert bar_labels == ["100.0% (7/7)", "75.0% (9/12)"]


def test_with_no_unit_ranked_the_chart_shows_the_area_itself() -> None:
    config = load_config()
    config.summary.rank_min_cases = 50
    data = summary()
    data.city.counts = Counts(due=22, due_closed_on_time=17)
    with matplotlib.rc_context(chart_style()):
        figure = build_figure(data, config, "en")
        names = [label.get_text() for label in figure.axes[0].get_yticklabels()]
        bar_labels = [t.get_text() for t in figure.axes[1].texts]
    assert (names, bar_labels) == (["Whole city"], ["77.3% (17/22)"])


@pytest.mark.parametrize("name", [r"Cost $\frac{1}$ street", "景山$街道$", "$5 and $6 street"])
def test_unit_names_with_dollar_signs_are_drawn_as_they_are_written(tmp_path: Path, name: str) -> None:
    data = summary()
    data.units["S2"].name = name
    render_chart(data, load_config(), "zh_CN", tmp_path / "w47.png")  # a formula parser would fail on the first
    with matplotlib.rc_context(chart_style()):
        figure = build_figure(data, load_config(), "zh_CN")
        FigureCanvasAgg(figure).draw()
        drawn = [t for t in figure.findobj(Text) if t.get_text() == name]
    assert drawn and all(not t._preprocess_math(name)[1] for t in drawn)  # plain text, not mathtext
