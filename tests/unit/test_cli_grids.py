"""The operator's command line: grids import/locate/list/add-department and officers add/list/remove/invite."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely import box
from typer.testing import CliRunner, Result

from bot.cli import app
from tests.conftest import SHARED_DATA, require

BERLIN = SHARED_DATA / "berlin_bezirke.geojson"
MITTE = (52.52, 13.40)  # Alexanderplatz
CELL = 0.001
LAT0, LON0 = 39.9, 116.4

Cli = Callable[..., Result]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Runs ``citybot ...`` against a fresh SQLite file, as an operator's shell would."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("CITYBOT_CONFIG", "CITYBOT_BOT_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    env = {"CITYBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, extra_env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), input=input, env=env | (extra_env or {}))

    return invoke


def write_grid_file(path: Path, parent: str | None = None, **extra: Any) -> Path:
    """A 3 × 2 grid of ~100 m cells ``g<col>-<row>``, plus ``extra`` raw features."""
    features = [
        {
            "type": "Feature",
            "properties": {"id": f"g{c}-{r}", "name": f"格 {c}-{r}", **({"parent": parent} if parent else {})},
            "geometry": shapely.geometry.mapping(
                box(LON0 + c * CELL, LAT0 + r * CELL, LON0 + (c + 1) * CELL, LAT0 + (r + 1) * CELL)
            ),
        }
        for c in range(3)
        for r in range(2)
    ]
    features += list(extra.values())
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def import_berlin(cli: Cli) -> None:
    require(BERLIN.exists(), f"{BERLIN} is missing")
    result = cli("grids", "import", str(BERLIN), "--level", "district", "--id-field", "cartodb_id")
    assert result.exit_code == 0, result.output


def test_import_prints_a_summary_and_locate_finds_the_district(cli: Cli) -> None:
    require(BERLIN.exists(), f"{BERLIN} is missing")
    result = cli("grids", "import", str(BERLIN), "--level", "district", "--id-field", "cartodb_id")
    assert result.exit_code == 0, result.output
    assert "Imported 12 district units from berlin_bezirke.geojson: 12 created" in result.stdout
    located = cli("grids", "locate", str(MITTE[0]), str(MITTE[1]))
    assert located.exit_code == 0
    assert located.stdout.strip() == "1 Mitte"
    again = cli("grids", "import", str(BERLIN), "--level", "district", "--id-field", "cartodb_id")
    assert "0 created, 0 updated, 12 unchanged" in again.stdout


def test_locate_json_with_parent_chain_and_snapping(cli: Cli, tmp_path: Path) -> None:
    area = shapely.geometry.mapping(box(LON0, LAT0, LON0 + 3 * CELL, LAT0 + 2 * CELL))
    district = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"id": "D1", "name": "东城区"}, "geometry": area}],
    }
    (tmp_path / "d.geojson").write_text(json.dumps(district), encoding="utf-8")
    assert cli("grids", "import", str(tmp_path / "d.geojson"), "--level", "district").exit_code == 0
    assert cli("grids", "import", str(write_grid_file(tmp_path / "g.geojson", parent="D1"))).exit_code == 0
    inside = json.loads(cli("grids", "locate", str(LAT0 + 0.5 * CELL), str(LON0 + 1.5 * CELL), "--json").stdout)
    assert inside["grid"] == {"id": "g1-0", "name": "格 1-0"}
    assert inside["chain"] == [{"id": "D1", "name": "东城区", "level": "district"}]
    assert "snap_distance_m" not in inside
    near = json.loads(cli("grids", "locate", str(LAT0 - 0.0003), str(LON0 + 0.5 * CELL), "--json").stdout)
    assert near["grid"]["id"] == "g0-0" and 30 < near["snap_distance_m"] < 36
    far = json.loads(cli("grids", "locate", "40.5", "116.4", "--json").stdout)
    assert far == {"lat": 40.5, "lon": 116.4, "grid": None, "chain": []}


def test_locate_batch_from_stdin_answers_line_by_line(cli: Cli) -> None:
    import_berlin(cli)
    lines = "52.52,13.40\n\n52.3, 13.0\nnot a point\n52.5,190\n52.45 13.30\n"
    result = cli("grids", "locate", "--batch", "-", "--json", input=lines)
    assert result.exit_code == 1  # some lines were not coordinates
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    names = ["error" if "error" in a else a["grid"] and a["grid"]["name"] for a in answers]
    assert names == ["Mitte", None, "error", "error", "Steglitz-Zehlendorf"]
    assert answers[2] == {"input": "not a point", "error": "expected 'lat,lon'"}
    assert "longitude 190.0" in answers[3]["error"]


def test_locate_batch_from_file(cli: Cli, tmp_path: Path) -> None:
    import_berlin(cli)
    points = tmp_path / "points.txt"
    points.write_text("52.52,13.40\n52.52,13.40\n", encoding="utf-8")
    result = cli("grids", "locate", "--batch", str(points), "--json")
    assert result.exit_code == 0
    assert [json.loads(line)["grid"]["id"] for line in result.stdout.splitlines()] == ["1", "1"]


@pytest.mark.parametrize("args", [("91", "13"), ("52.5", "-181"), ("abc", "13"), ("0", "0"), ("nan", "13")])
def test_invalid_coordinates_fail_with_a_message(cli: Cli, args: tuple[str, str]) -> None:
    result = cli("grids", "locate", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("citybot: invalid coordinates:")
    assert result.stdout == ""


def test_negative_coordinates_are_values_not_options(cli: Cli) -> None:
    import_berlin(cli)
    result = cli("grids", "locate", "-33.86", "151.21", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["grid"] is None


def test_gcj02_input_is_converted_before_locating(cli: Cli, tmp_path: Path) -> None:
    assert cli("grids", "import", str(write_grid_file(tmp_path / "g.geojson"))).exit_code == 0
    from geo.crs import wgs84_to_gcj02

    lat, lon = wgs84_to_gcj02(LAT0 + 0.5 * CELL, LON0 + 2.5 * CELL)  # a WeChat position in cell 2-0
    converted = json.loads(cli("grids", "locate", str(lat), str(lon), "--crs", "gcj02", "--json").stdout)
    assert converted["grid"]["id"] == "g2-0"
    as_wgs = json.loads(cli("grids", "locate", str(lat), str(lon), "--json").stdout)
    assert as_wgs["grid"] is None  # hundreds of metres off when the system is ignored


def test_import_reports_rejects_and_exits_1(cli: Cli, tmp_path: Path) -> None:
    bad = {
        "type": "Feature",
        "properties": {"id": "line"},
        "geometry": {"type": "LineString", "coordinates": [[116.4, 39.9], [116.5, 39.9]]},
    }
    path = write_grid_file(tmp_path / "g.geojson", parent="NOWHERE", bad=bad)
    result = cli("grids", "import", str(path))
    assert result.exit_code == 1
    assert "6 created" in result.stdout
    assert "feature #6 line: geometry is a LineString, not a Polygon or MultiPolygon" in result.stdout
    assert "Parent not found for 6" in result.stdout


def test_import_of_a_missing_or_broken_file_fails_clearly(cli: Cli, tmp_path: Path) -> None:
    missing = cli("grids", "import", str(tmp_path / "nope.geojson"))
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "Feature', encoding="utf-8")
    result = cli("grids", "import", str(broken))
    assert result.exit_code == 2 and result.stderr.startswith("citybot: cannot import")
    assert cli("grids", "import", str(broken), "--level", "planet").exit_code == 2


def test_departments_and_unit_list(cli: Cli) -> None:
    import_berlin(cli)
    assert cli("grids", "add-department", "TRAFFIC", "Traffic team", "--parent", "1").exit_code == 0
    listed = cli("grids", "list", "--level", "department").stdout
    assert listed.strip() == "TRAFFIC\tdepartment\t1\tTraffic team"
    unknown = cli("grids", "add-department", "X", "X", "--parent", "nope")
    assert unknown.exit_code == 2 and "no grid unit with id 'nope'" in unknown.stderr


def test_officers_add_list_remove(cli: Cli) -> None:
    import_berlin(cli)
    added = cli("officers", "add", "--telegram-id", "1001", "--grid", "1", "--name", "Anna")
    assert added.stdout.strip() == "Telegram user 1001 is now officer of 1 (Mitte)."
    cli("officers", "add", "--telegram-id", "2002", "--grid", "2", "--role", "supervisor")
    assert cli("officers", "list").stdout.splitlines() == [
        "1\tMitte\tofficer\ttelegram:1001\tAnna",
        "2\tFriedrichshain-Kreuzberg\tsupervisor\ttelegram:2002\t",
    ]
    assert cli("officers", "list", "--grid", "2").stdout.splitlines()[0].endswith("telegram:2002\t")
    removed = cli("officers", "remove", "--telegram-id", "1001")
    assert removed.stdout.strip() == "Removed 1 binding of Telegram user 1001."
    assert cli("officers", "list", "--grid", "1").stdout.strip() == "Nobody is bound to 1."
    again = cli("officers", "remove", "--telegram-id", "1001")
    assert again.exit_code == 2 and "has no binding" in again.stderr


def test_officers_refuse_unknown_units_and_roles(cli: Cli) -> None:
    import_berlin(cli)
    unknown = cli("officers", "add", "--telegram-id", "1", "--grid", "G-404")
    assert unknown.exit_code == 2 and "no grid unit with id 'G-404'" in unknown.stderr
    assert cli("officers", "add", "--telegram-id", "1", "--grid", "1", "--role", "boss").exit_code == 2
    assert cli("officers", "invite", "--grid", "G-404").exit_code == 2


def test_invite_prints_a_deep_link_and_a_short_code(cli: Cli) -> None:
    import_berlin(cli)
    result = cli(
        "officers",
        "invite",
        "--grid",
        "3",
        "--role",
        "supervisor",
        "--hours",
        "24",
        extra_env={"CITYBOT_BOT_USERNAME": "citybot_demo_bot"},
    )
    assert result.exit_code == 0, result.output
    link, start, code, note = result.stdout.splitlines()
    token = start.removeprefix("/start join_")
    short = code.split()[1]
    assert code == f"Code: {short}  (on WeChat, send: 绑定 {short}  or  bind {short})" and len(short) == 8
    assert link == f"https://t.me/citybot_demo_bot?start=join_{token}"
    assert len(token) >= 20 and len(f"join_{token}") <= 64
    assert note.startswith("Single use, supervisor of 3, valid until ")
    plain = cli("officers", "invite", "--grid", "3")
    assert plain.stdout.startswith("/start join_") and "CITYBOT_BOT_USERNAME" in plain.stderr
