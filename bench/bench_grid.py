"""Benchmark GridIndex against the obvious ways of doing the same lookup, measured in the same run.

Run: ``python -m bench.bench_grid`` (about 20 seconds). Grids of ~100 m square cells around
Beijing's centre (39.9 N, 116.4 E); random points inside the grid. Baselines use the same shapely
geometries, prepared, so they are the best plain use of the same tools:

- linear scan (loop): ``polygon.contains(point)`` for each polygon in id order until one holds (sampled);
- linear scan (vectorised): one ``shapely.contains`` call over the array of all polygons (sampled);
- STRtree + contains: ``STRtree.query(point)`` then ``contains`` on the bounding-box candidates;
- STRtree predicate: ``STRtree.query(point, predicate="intersects")``, the whole test done in C.
"""

from __future__ import annotations

import gc
import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import Point, STRtree

from geo.grid_index import GridIndex, GridUnit

SIZES = (1_000, 10_000, 100_000)
CELL_M = 100.0
ORIGIN = (39.9, 116.4)
LOOKUPS = 100_000
REPEATS = 5
LINEAR_SAMPLE = {1_000: 2_000, 10_000: 300, 100_000: 20}  # points for the vectorised scan
LOOP_SAMPLE = {1_000: 1_000, 10_000: 100, 100_000: 10}  # points for the pure-Python scan


@dataclass(frozen=True)
class Row:
    cells: int
    metric: str
    value: float
    baseline: float
    baseline_name: str
    higher_is_better: bool
    goal: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.higher_is_better else self.baseline / self.value


def square_cells(count: int) -> list[GridUnit]:
    """``count`` cells of ~100 m x 100 m in a near-square block from ORIGIN."""
    lat0, lon0 = ORIGIN
    dlat = CELL_M / 111_000.0
    dlon = CELL_M / (111_320.0 * math.cos(math.radians(lat0)))
    cols = math.ceil(math.sqrt(count))
    units = []
    for k in range(count):
        c, r = divmod(k, cols)
        x, y = lon0 + c * dlon, lat0 + r * dlat
        units.append(GridUnit(f"u{k:06d}", f"cell {k}", shapely.box(x, y, x + dlon, y + dlat)))
    return units


def rss_bytes() -> int:
    """Resident memory of this process (Linux); 0 where /proc is not there."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def rates(ours: tuple[int, Callable[[], object]], theirs: tuple[int, Callable[[], object]]) -> tuple[float, float]:
    """Operations per second of both sides, alternating runs, from each side's median run.

    Alternating means a burst of load from other processes lands on both sides rather than one.
    """
    ours_times, theirs_times = [], []
    for _ in range(REPEATS):
        ours_times.append(timed(ours[1])[0])
        theirs_times.append(timed(theirs[1])[0])
    return ours[0] / statistics.median(ours_times), theirs[0] / statistics.median(theirs_times)


def bench_size(count: int, rng: np.random.Generator) -> list[Row]:
    units = square_cells(count)
    geoms = np.array([u.geometry for u in units], dtype=object)
    # Points inside random cells (the block's last column is partial, so not uniform over its bbox).
    bounds = shapely.bounds(geoms)[rng.integers(0, count, LOOKUPS)]
    fx, fy = rng.uniform(0.0, 1.0, LOOKUPS), rng.uniform(0.0, 1.0, LOOKUPS)
    lons = (bounds[:, 0] + fx * (bounds[:, 2] - bounds[:, 0])).tolist()
    lats = (bounds[:, 1] + fy * (bounds[:, 3] - bounds[:, 1])).tolist()
    gc.collect()

    rss0 = rss_bytes()
    tree_build, tree = timed(lambda: STRtree(geoms))
    rss1 = rss_bytes()
    index_build, built = timed(lambda: GridIndex(units))
    rss2 = rss_bytes()
    assert isinstance(tree, STRtree) and isinstance(built, GridIndex)
    index: GridIndex = built
    shapely.prepare(geoms)  # already prepared by GridIndex; the baselines get the same benefit

    # Every in-grid point must land somewhere, in both the index and the baseline.
    for lat, lon in zip(lats[:200], lons[:200], strict=True):
        found = index.locate(lat, lon)
        assert found is not None and not found.snapped

    def locate_all() -> None:
        locate = index.locate
        for lat, lon in zip(lats, lons, strict=True):
            locate(lat, lon)

    def strtree_contains() -> None:
        for lat, lon in zip(lats, lons, strict=True):
            point = Point(lon, lat)
            for i in tree.query(point):
                if geoms[i].contains(point):
                    break

    def strtree_predicate() -> None:
        for lat, lon in zip(lats, lons, strict=True):
            tree.query(Point(lon, lat), predicate="intersects")

    sample, loop_sample = LINEAR_SAMPLE[count], LOOP_SAMPLE[count]
    polygons = geoms.tolist()

    def linear_loop() -> None:
        for lat, lon in zip(lats[:loop_sample], lons[:loop_sample], strict=True):
            point = Point(lon, lat)
            for polygon in polygons:
                if polygon.contains(point):
                    break

    def linear_scan() -> None:
        for lat, lon in zip(lats[:sample], lons[:sample], strict=True):
            np.flatnonzero(shapely.contains(geoms, Point(lon, lat)))

    lat_a, lon_a = np.asarray(lats), np.asarray(lons)
    ours = (LOOKUPS, locate_all)
    vs_loop = rates(ours, (loop_sample, linear_loop))
    vs_vector = rates(ours, (sample, linear_scan))
    vs_query = rates(ours, (LOOKUPS, strtree_contains))
    vs_predicate = rates(ours, (LOOKUPS, strtree_predicate))
    vs_bulk = rates(
        (LOOKUPS, lambda: index.locate_many(lat_a, lon_a)),
        (LOOKUPS, lambda: tree.query(shapely.points(lon_a, lat_a), predicate="intersects")),
    )
    return [
        Row(
            count, "build time (s)", index_build, tree_build, "STRtree only", False, "< 5 s" if count == 100_000 else ""
        ),
        Row(count, "memory (MiB RSS)", (rss2 - rss1) / 2**20, max(rss1 - rss0, 1) / 2**20, "STRtree only", False),
        Row(count, "locate / s", *vs_loop, "linear scan (loop)", True, ">= 100x" if count == 10_000 else ""),
        Row(count, "locate / s", *vs_vector, "linear scan (vector)", True),
        Row(
            count, "locate / s", *vs_query, "STRtree + contains", True, ">= 0.5x; >= 200k/s" if count == 10_000 else ""
        ),
        Row(count, "locate / s", *vs_predicate, "STRtree predicate", True),
        Row(count, "locate_many / s", *vs_bulk, "STRtree bulk query", True),
    ]


def number(value: float) -> str:
    """Rates as whole numbers, seconds and MiB with four decimals."""
    return f"{value:,.0f}" if value >= 1000 else f"{value:.4f}"


def goals_met(rows: list[Row]) -> list[str]:
    """One line per goal of the grid layer, with the figure that decides it."""

    def find(cells: int, metric: str, baseline: str) -> Row:
        return next(r for r in rows if (r.cells, r.metric, r.baseline_name) == (cells, metric, baseline))

    build = find(100_000, "build time (s)", "STRtree only")
    linear = find(10_000, "locate / s", "linear scan (loop)")
    raw = find(10_000, "locate / s", "STRtree + contains")
    typical = statistics.median(r.value for r in rows if (r.cells, r.metric) == (10_000, "locate / s"))
    checks = [
        (f"locate at 10k cells >= 200,000/s: {typical:,.0f}/s (median of its measurements)", typical >= 200_000),
        (f"locate >= 100x linear scan at 10k cells: {linear.ratio:,.0f}x", linear.ratio >= 100),
        (f"locate >= 0.5x STRtree + contains at 10k cells: {raw.ratio:.2f}x", raw.ratio >= 0.5),
        (f"100k cells built in < 5 s: {build.value:.2f} s", build.value < 5),
    ]
    return [f"[{'met' if ok else 'MISSED'}] {text}" for text, ok in checks]


def main() -> None:
    """Run every size and print the table."""
    rng = np.random.default_rng(20241121)
    started = time.perf_counter()
    rows: list[Row] = []
    for count in SIZES:
        rows.extend(bench_size(count, rng))
    header = f"{'cells':>8}  {'metric':<18} {'GridIndex':>12}  {'baseline':>12}  {'(baseline)':<20} {'ratio':>9}  goal"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.cells:>8,}  {r.metric:<18} {number(r.value):>12}  {number(r.baseline):>12}  "
            f"{r.baseline_name:<20} {r.ratio:>8,.2f}x  {r.goal}"
        )
    print("ratio > 1 means GridIndex is better (faster, or smaller for time and memory).")
    print(*goals_met(rows), sep="\n")
    print(f"total bench time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
