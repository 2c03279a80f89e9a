"""``citybot grids ...``: load grid files, locate points, list units, add departments."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer

from geo.crs import CRS_NAMES, InvalidCoordinates, to_wgs84, validate_latlon
from geo.grid_index import Location
from models.grid import LEVEL_ORDER, UnitLevel
from services import grids
from services.context import Services
from services.grids import ImportSummary, UnknownUnit
from services.routing import chain_from, grid_index, load_grid_index

T = TypeVar("T")
grids_app = typer.Typer(help="Grid units: import GeoJSON, locate points, departments.", no_args_is_help=True)
_LEVELS = [level.value for level in LEVEL_ORDER]
#: Files smaller than this import in a blink; a bar would only flicker.
_BAR_MIN_ITEMS = 500


def fail(message: str, code: int = 2) -> NoReturn:
    """Print a one-line error and exit with ``code``."""
    typer.echo(f"citybot: {message}", err=True)
    raise typer.Exit(code)


def choice(value: str, allowed: list[str] | tuple[str, ...], what: str) -> str:
    """``value`` if it is one of ``allowed``, else a clear error."""
    if value not in allowed:
        fail(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")
    return value


def run_with_services(work: Callable[[Services], Awaitable[T]]) -> T:
    """Migrate the configured database if needed, then run ``work`` with the wired services."""
    from bot.app import build_services
    from bot.cli import load_settings
    from models.migrate import upgrade_sync

    settings = load_settings()
    upgrade_sync(settings.database_url)
    services = build_services(settings)

    async def main() -> T:
        try:
            return await work(services)
        finally:
            await services.db.dispose()

    return asyncio.run(main())


# ---------------------------------------------------------------- grids import
@contextmanager
def _progress_bars(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress callback drawing one bar per import stage on stderr."""
    if not enabled:
        yield None
        return
    labels = {"read": "Reading features", "save": "Saving units  "}
    bars: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        if total < _BAR_MIN_ITEMS:
            return
        if stage not in bars:
            for other in bars.values():
                other.render_finish()
            bars[stage] = typer.progressbar(length=total, label=labels.get(stage, stage), file=sys.stderr)
            bars[stage].__enter__()
        bar = bars[stage]
        bar.update(done - bar.pos)

    try:
        yield update
    finally:
        for bar in bars.values():
            bar.__exit__(None, None, None)


@grids_app.command("import")
def import_command(
    source: str = typer.Argument(..., metavar="PATH", help="GeoJSON FeatureCollection of (Multi)Polygons"),
    level: str = typer.Option("grid", help=f"Level of every unit in the file: {'|'.join(_LEVELS)}"),
    id_field: str = typer.Option("id", help="Property holding the unit id"),
    name_field: str = typer.Option("name", help="Property holding the unit name"),
    parent_field: str = typer.Option("parent", help="Property holding the parent unit id"),
    crs: str = typer.Option("wgs84", help=f"Coordinate system of the file: {'|'.join(CRS_NAMES)}"),
    prune: bool = typer.Option(False, help="Deactivate units of this level that are not in the file"),
    progress: bool = typer.Option(True, help="Show progress bars on stderr"),
) -> None:
    """Create or update units from a GeoJSON file (in place: cases keep their units). Exit 1 if any was rejected."""
    unit_level = UnitLevel(choice(level, _LEVELS, "level"))
    choice(crs, CRS_NAMES, "coordinate system")
    path = Path(source)
    if not path.is_file():
        fail(f"no such file: {path}")

    async def work(services: Services) -> tuple[ImportSummary, int]:
        with _progress_bars(progress) as on_progress:
            summary = await grids.import_grid_file(
                services,
                path,
                level=unit_level,
                id_field=id_field,
                name_field=name_field,
                parent_field=parent_field,
                crs=crs,
                prune=prune,
                on_progress=on_progress,
            )
        return summary, len(grid_index(services))

    try:
        summary, routable = run_with_services(work)
    except (ValueError, OSError) as exc:  # unreadable file, not JSON, not a FeatureCollection
        fail(f"cannot import {path}: {exc}")
    for line in summary_lines(summary, path.name, routable):
        typer.echo(line)
    if summary.rejected:
        raise typer.Exit(1)


def summary_lines(summary: ImportSummary, source: str, routable: int) -> list[str]:
    """The operator's report of an import."""
    lines = [
        f"Imported {summary.imported} {summary.level.value} units from {source}: {len(summary.created)} created, "
        f"{len(summary.updated)} updated, {len(summary.unchanged)} unchanged."
    ]
    if summary.repaired:
        lines.append(f"Repaired {len(summary.repaired)}:")
        lines += [f"  {r.unit_id}: {r.problem} (area changed {r.area_change:.2%})" for r in summary.repaired]
    if summary.rejected:
        lines.append(f"Rejected {len(summary.rejected)}:")
        lines += [f"  feature #{r.index} {r.unit_id or '(no id)'}: {r.reason}" for r in summary.rejected]
    if summary.overlaps:
        lines.append(f"Overlapping units of the same level: {len(summary.overlaps)}")
        lines += [f"  {o.first_id} / {o.second_id}: {o.area_m2:,.0f} m²" for o in summary.overlaps]
    if summary.missing_parents:
        lines.append(
            f"Parent not found for {len(summary.missing_parents)} (import the parent level first, "
            "then import this file again):"
        )
        lines += [f"  {unit} → {parent}" for unit, parent in sorted(summary.missing_parents.items())]
    if summary.deactivated:
        lines.append(f"Deactivated {len(summary.deactivated)}: {', '.join(summary.deactivated)}")
    lines.append(f"Routing now uses {routable} units.")
    return lines


# ---------------------------------------------------------------- grids locate
def _parse_point(lat: str, lon: str, crs: str) -> tuple[float, float]:
    lat_f, lon_f = validate_latlon(lat.strip(), lon.strip())
    return to_wgs84(lat_f, lon_f, crs)


def _batch_points(text: str, crs: str) -> list[tuple[str, tuple[float, float] | str]]:
    """One entry per non-blank input line: the line, and its WGS-84 point or why it is not one."""
    entries: list[tuple[str, tuple[float, float] | str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace(",", " ").split()
        if len(parts) != 2:
            entries.append((line, "expected 'lat,lon'"))
            continue
        try:
            entries.append((line, _parse_point(parts[0], parts[1], crs)))
        except InvalidCoordinates as exc:
            entries.append((line, str(exc)))
    return entries


def _located(found: Location | None, units: dict[str, tuple[str, str, str | None]]) -> dict[str, Any]:
    if found is None:
        return {"grid": None, "chain": []}
    parents = {unit_id: parent for unit_id, (_, _, parent) in units.items()}
    chain = [{"id": u, "name": units[u][0], "level": units[u][1]} for u in chain_from(parents, found.unit_id)[1:]]
    answer: dict[str, Any] = {"grid": {"id": found.unit_id, "name": found.name}, "chain": chain}
    if found.snapped:
        answer["snap_distance_m"] = round(found.distance_m, 1)
    return answer


def _text_answer(answer: dict[str, Any], snap_limit: float) -> str:
    grid = answer["grid"]
    if grid is None:
        return f"unrouted: no unit within {snap_limit:g} m (the case would wait for a dispatcher)"
    line = f"{grid['id']} {grid['name']}"
    if "snap_distance_m" in answer:
        line += f" (outside every unit; snapped {answer['snap_distance_m']:.0f} m)"
    if answer["chain"]:
        line += "\nchain: " + " > ".join(f"{c['id']} {c['name']}" for c in answer["chain"])
    return line


@grids_app.command("locate", context_settings={"ignore_unknown_options": True})
def locate_command(
    lat: str | None = typer.Argument(None, help="Latitude (negative values allowed)"),
    lon: str | None = typer.Argument(None, help="Longitude"),
    crs: str = typer.Option("wgs84", help=f"Coordinate system of the input: {'|'.join(CRS_NAMES)}"),
    batch: str | None = typer.Option(None, help="File with one 'lat,lon' per line, or - for stdin"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (one object per input line with --batch)"),
) -> None:
    """Which unit a point routes to, with its parent chain. Exit 1 on invalid coordinates."""
    choice(crs, CRS_NAMES, "coordinate system")
    entries: list[tuple[str, tuple[float, float] | str]]
    if batch is None:
        if lat is None or lon is None:
            fail("give LAT LON, or --batch FILE")
        try:
            entries = [(f"{lat},{lon}", _parse_point(lat, lon, crs))]
        except InvalidCoordinates as exc:
            fail(f"invalid coordinates: {exc}", 1)
    else:
        try:
            text = sys.stdin.read() if batch == "-" else Path(batch).read_text(encoding="utf-8")
        except OSError as exc:
            fail(f"cannot read {batch}: {exc}")
        entries = _batch_points(text, crs)

    async def work(services: Services) -> tuple[list[Location | None], dict[str, Any], float]:
        await load_grid_index(services)
        units = {u.id: (u.name, u.level, u.parent_id) for u in await grids.units(services)}
        points = [point for _, point in entries if not isinstance(point, str)]
        found = grid_index(services).locate_many([p[0] for p in points], [p[1] for p in points])
        return found, units, services.config.routing.snap_distance_m

    found, units, snap_limit = run_with_services(work)
    results = iter(found)
    errors = 0
    for line, entry in entries:
        if isinstance(entry, str):
            errors += 1
            error = {"input": line, "error": entry}
            typer.echo(json.dumps(error, ensure_ascii=False) if as_json else f"invalid: {line}: {entry}")
            continue
        answer = _located(next(results), units)
        if as_json:
            typer.echo(json.dumps({"lat": entry[0], "lon": entry[1], **answer}, ensure_ascii=False))
        else:
            typer.echo(_text_answer(answer, snap_limit))
    if errors:
        raise typer.Exit(1)


# ---------------------------------------------------------------- grids list / add-department
@grids_app.command("list")
def list_command(level: str | None = typer.Option(None, help="Only this level")) -> None:
    """List units: id, level, parent, name."""
    chosen = UnitLevel(choice(level, [*_LEVELS, "department"], "level")) if level else None

    async def work(services: Services) -> list[grids.UnitView]:
        return await grids.units(services, chosen)

    units = run_with_services(work)
    for unit in units:
        state = "" if unit.active else "  (inactive)"
        typer.echo(f"{unit.id}\t{unit.level}\t{unit.parent_id or '-'}\t{unit.name}{state}")
    if not units:
        typer.echo("No units yet; load some with `citybot grids import`.")


@grids_app.command("add-department")
def add_department_command(
    unit_id: str = typer.Argument(..., help="Id of the department, as category rules name it"),
    name: str = typer.Argument(..., help="Display name"),
    parent: str | None = typer.Option(None, help="Unit it escalates to (e.g. the district)"),
) -> None:
    """Create or rename a department (no territory) that `routing.category_rules` can send a category to."""

    async def work(services: Services) -> grids.UnitView:
        return await grids.save_department(services, unit_id, name, parent)

    try:
        run_with_services(work)
    except UnknownUnit as exc:
        fail(f"{exc}; see `citybot grids list`")
    typer.echo(f"Department {unit_id} ({name}) saved.")
