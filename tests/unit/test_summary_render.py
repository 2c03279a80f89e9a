"""The weekly report as people read it, in Chinese and English, and as CSV."""

from __future__ import annotations

import csv
import io

import pytest

from channels.telegram.limits import MAX_TEXT, split_text, utf16_length
from services.config import AppConfig, load_config
from services.summary.figures import Counts, LeaderEntry, UnitFigures, WeekSummary
from services.summary.render import render_csv, render_text


@pytest.fixture
def config() -> AppConfig:
    config = load_config()
    config.summary.top_count = 1
    config.summary.bottom_count = 1
    config.summary.rank_min_cases = 2
    return config


def street(uid: str, name: str, done: int, due: int, overdue: int = 0) -> UnitFigures:
    counts = Counts(received=due, registered=due, due=due, due_closed_on_time=done, closed=done, overdue_at_end=overdue)
    return UnitFigures(id=uid, name=name, level="street", parent_id="D1", counts=counts, categories={"0201": due})


def summary() -> WeekSummary:
    city = UnitFigures(
        id="", name="", level="city",
        counts=Counts(received=9, registered=7, dispatched=6, closed_registered=3, closed=4, reworked=1, due=6,
                      due_suspended=1, due_closed_on_time=2, open_at_end=4, overdue_at_end=2, handling_hours=90.5,
                      handling_timed=4, satisfied=2, answered=3),
        previous=Counts(received=2, due=1, due_closed_on_time=1),
        categories={"0201": 3, "0102": 1, "0505": 1},
    )  # fmt: skip
    units = {
        "S1": street("S1", "东华门街道", 1, 3, overdue=1),
        "S2": street("S2", "景山街道", 1, 2, overdue=1),
        "S3": street("S3", "交道口街道", 0, 0),
        "C1": UnitFigures(id="C1", name="多福巷社区", level="community", parent_id="S1", counts=Counts(received=1)),
    }
    return WeekSummary("2026-W47", "2026-11-23T01:00:00+00:00", city, units, [LeaderEntry("3F9A0C", 5)])


def test_the_chinese_report_uses_the_official_terms_and_the_catalog_names(config: AppConfig) -> None:
    text = render_text(summary(), config, "zh_CN")
    lines = text.splitlines()
    assert lines[0] == "城市管理周通报 2026-W47（2026-11-16 至 2026-11-22）：全市"
    assert "受理 9（较上周 +7）· 立案 7 · 派遣 6 · 结案 4" in lines
    assert "周末未结 4，其中超期 2" in lines
    assert "结案率 42.9%：本周立案 7 件，至周末结案 3 件" in lines
    assert "按期结案率 40.0%（较上周 -60.0 个百分点）：本周应结 5 件，按期结案 2 件；另有 1 件挂账不计" in lines
    assert "返工率 25.0%（1/4） · 回退率 0.0%（0/6）" in lines
    assert "平均处置时长 22.6 小时 · 满意率 66.7%（2/3）" in lines
    assert "1. 非法小广告（牛皮癣） — 3" in lines
    assert "按期结案率较好的单位（本周应结不少于 2 件）：" in lines
    assert "1. 景山街道 — 按期结案率 50.0%（1/2）" in lines  # the best street
    assert "· 东华门街道 — 按期结案率 33.3%（1/3）" in lines  # the last one
    assert "各单位周末超期未结：东华门街道 1 · 景山街道 1" in lines
    assert "交道口街道" not in text  # nothing happened there: not ranked
    assert "1. 志愿者 3F9A0C — 5" in lines


def test_the_english_report_says_the_same_in_english(config: AppConfig) -> None:
    text = render_text(summary(), config, "en", footer="Send /unsubscribe to stop these reports.")
    lines = text.splitlines()
    assert lines[0] == "Weekly report 2026-W47 (2026-11-16 – 2026-11-22): Whole city"
    assert "Received 9 (+7 on last week) · registered 7 · dispatched 6 · closed 4" in lines
    assert "Open at the week's end 4, of them overdue 2" in lines
    assert "Closure rate 42.9%: 3 of the 7 cases registered this week were closed by its end" in lines
    assert (
        "On-time closure rate 40.0% (-60.0 pp on last week): 2 of the 5 cases due this week were closed on time; "
        "1 suspended (挂账) not counted"
    ) in lines
    assert "Rework rate 25.0% (1/4) · return rate 0.0% (0/6)" in lines
    assert "1. Illegal small ads / posters — 3" in lines
    assert "1. 景山街道 — on-time closure rate 50.0% (1/2)" in lines
    assert "Last unit:" in lines
    assert lines[-1] == "Send /unsubscribe to stop these reports."


def test_every_rate_on_the_page_is_its_counts_and_every_unit_listed_is_ranked_on_them(config: AppConfig) -> None:
    # The W49 of the first demo: a street with 1 of 2 due cases closed on time and nothing closed in the week
    # was "best"; now it needs the minimum volume, and its line shows what its 50 % is made of.
    data = summary()
    data.units["S3"].counts = Counts(due=2, due_closed_on_time=1, received=2, registered=2)
    config.summary.rank_min_cases = 3
    text = render_text(data, config, "zh_CN")
    assert "交道口街道" not in text and "景山街道 — " not in text
    assert "1. 东华门街道 — 按期结案率 33.3%（1/3）" in text.splitlines()
    assert "2 个单位本周应结案件少于 3 件，未参与排名。" in text.splitlines()


def test_with_nothing_to_divide_by_a_rate_says_why(config: AppConfig) -> None:
    data = summary()
    data.city.counts = Counts(received=1)
    lines = render_text(data, config, "en").splitlines()
    assert "Closure rate —: no case was registered this week" in lines
    assert "On-time closure rate —: no case was due this week" in lines
    assert "Rework rate — · return rate —" in lines


def test_a_street_report_shows_that_street_ranks_its_communities_and_omits_the_leaderboard(config: AppConfig) -> None:
    text = render_text(summary(), config, "zh_CN", "S1")
    assert text.splitlines()[0].endswith("：东华门街道")
    assert "受理 3（较上周 +3）" in text
    assert "志愿者" not in text
    assert "景山街道" not in text  # another street's figures


def test_an_area_without_cases_says_so(config: AppConfig) -> None:
    text = render_text(summary(), config, "en", "S3")
    assert text.splitlines()[-1] == "No cases this week."


def test_a_report_never_exceeds_one_telegram_message(config: AppConfig) -> None:
    big = summary()
    for i in range(400):
        big.units[f"X{i}"] = street(f"X{i}", "某某街道" * 20, 1, 3, overdue=1)
    config.summary.top_count = config.summary.bottom_count = 50
    parts = split_text(render_text(big, config, "zh_CN"), MAX_TEXT)  # what the Telegram sender sends
    assert all(utf16_length(part) <= MAX_TEXT for part in parts)


def test_csv_has_one_row_per_unit_with_ids_names_and_kpis() -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(summary(), "zh_CN"))))
    assert [r["unit_id"] for r in rows] == ["", "C1", "S1", "S2", "S3"]
    city, s1 = rows[0], rows[2]
    assert city["unit_name"] == "全市" and city["on_time_rate"] == "0.4000" and city["rework_rate"] == "0.2500"
    assert s1["unit_name"] == "东华门街道" and s1["level"] == "street" and s1["parent_id"] == "D1"
    assert s1["received"] == "3" and s1["overdue_at_end"] == "1" and s1["top_category"] == "0201"
    assert rows[4]["on_time_rate"] == ""  # nothing fell due: no rate, not 0


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://x.invalid","点我")', "+1 街道", "-2 街道", "@SUM(A1)", "\t=1+1", "\r=1+1"]
)
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(name: str) -> None:
    data = summary()
    data.units["S1"].name = name
    data.units["S1"].id = name  # ids come from the same GeoJSON
    rows = list(csv.DictReader(io.StringIO(render_csv(data, "zh_CN"), newline="")))
    s1 = next(row for row in rows if row["unit_name"].endswith(name))
    assert (s1["unit_name"], s1["unit_id"]) == ("'" + name, "'" + name)
    assert s1["received"] == "3"  # numbers stay numbers


def test_csv_leaves_ordinary_names_alone() -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(summary(), "zh_CN"))))
    assert [row["unit_name"] for row in rows[1:]] == ["多福巷社区", "东华门街道", "景山街道", "交道口街道"]


def test_on_time_closures_from_before_the_week_are_told_apart_from_the_weeks_closures(config: AppConfig) -> None:
    # 3 of the 4 cases due closed on time, 2 of them last week: this week's 1 closure is the third.
    data = summary()
    data.city.counts = Counts(received=1, registered=1, closed=1, due=4, due_closed_on_time=3, due_closed_before=2)
    zh = render_text(data, config, "zh_CN").splitlines()
    en = render_text(data, config, "en").splitlines()
    assert "受理 1（较上周 -1）· 立案 1 · 派遣 0 · 结案 1" in zh
    assert "按期结案率 75.0%（较上周 -25.0 个百分点）：本周应结 4 件，按期结案 3 件（其中 2 件在本周之前结案）" in zh
    assert (
        "On-time closure rate 75.0% (-25.0 pp on last week): 3 of the 4 cases due this week were closed on time, "
        "2 of them before this week"
    ) in en
