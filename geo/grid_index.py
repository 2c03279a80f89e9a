"""Point → grid unit lookup over an in-memory index of polygons in WGS-84.

A point belongs to the unit whose polygon covers it (boundary included, holes excluded). Points on an
edge or corner shared by several units go to the unit with the smallest ``unit_id`` (string order), so
the answer never depends on load order. A point outside every unit snaps to the nearest unit within
``snap_distance_m`` (geodesic metres, measured to the nearest point of the polygon), else it is unrouted.

Single lookups go through a uniform bucket grid over the units' bounding boxes (a dict lookup, a bbox
test and one prepared point-in-polygon test), which is several times cheaper per call than an STRtree
query from Python; the STRtree serves batch lookups, snapping and units too large for the buckets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import shapely
from geopy.distance import geodesic
from shapely import MultiPolygon, Point, Polygon, STRtree

from geo.crs import InvalidCoordinates

# A bucket entry: unit position, its bounding box (minx, miny, maxx, maxy) and its prepared polygon.
_Entry = tuple[int, float, float, float, float, Polygon | MultiPolygon]
# shapely.intersects_xy re-prepares and re-checks its arguments on every call; the compiled function it
# wraps does the same test on the already prepared polygon in half the time.
_intersects_xy = getattr(shapely.lib, "intersects_xy", shapely.intersects_xy)

# Units whose bounding box spans more buckets than this live in the STRtree only (few, large units).
_MAX_BUCKETS_PER_UNIT = 64
# Metres per degree of latitude at the equator (the smallest), so degree windows err on the large side.
_M_PER_DEG_LAT_MIN = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0


class GridUnit(NamedTuple):
    """A routable unit: its id, display name and WGS-84 polygon (x = lon, y = lat)."""

    unit_id: str
    name: str
    geometry: Polygon | MultiPolygon


@dataclass(frozen=True, slots=True)
class Location:
    """Where a point was routed: the unit, and whether and how far it was snapped."""

    unit_id: str
    name: str
    snapped: bool = False
    distance_m: float = 0.0


class GridIndex:
    """Immutable spatial index of grid units; rebuild it to change the units."""

    def __init__(
        self, units: Iterable[tuple[str, str, Polygon | MultiPolygon]], *, snap_distance_m: float = 100.0
    ) -> None:
        given = (u if isinstance(u, GridUnit) else GridUnit(str(u[0]), str(u[1]), u[2]) for u in units)
        ordered = sorted(given, key=lambda u: u.unit_id)
        for unit in ordered:
            if not isinstance(unit.geometry, Polygon | MultiPolygon) or unit.geometry.is_empty:
                raise ValueError(f"unit {unit.unit_id!r} needs a non-empty Polygon or MultiPolygon")
        self._units: tuple[GridUnit, ...] = tuple(ordered)
        self._by_id = {unit.unit_id: i for i, unit in enumerate(ordered)}
        if len(self._by_id) != len(ordered):
            raise ValueError("unit ids must be unique")
        self.snap_distance_m = snap_distance_m
        self._geoms = np.array([u.geometry for u in ordered], dtype=object)
        shapely.prepare(self._geoms)
        # Tree positions equal positions in the id-sorted tuple, so the smallest position is the smallest id.
        self._tree = STRtree(self._geoms)
        self._build_buckets(shapely.bounds(self._geoms))
        # Locations are immutable, so an in-grid hit can hand out a shared instance instead of a new one.
        self._hits = [Location(unit.unit_id, unit.name) for unit in ordered]
        self._area: Polygon | None = None  # built on first use by area()

    def _build_buckets(self, bounds: np.ndarray) -> None:
        """Register each unit in every bucket its bounding box touches; buckets are about one unit wide."""
        self._buckets: dict[int, tuple[_Entry, ...]] = {}
        self._big: list[int] = []
        self._inv_cell, self._ny = 1.0, 1
        self._extent = (math.inf, math.inf, -math.inf, -math.inf)
        if not self._units:
            return
        sizes = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
        self._inv_cell = 1.0 / (float(np.median(sizes)) or 1e-6)
        x0, y0 = bounds[:, :2].min(axis=0).tolist()
        x1, y1 = bounds[:, 2:].max(axis=0).tolist()
        self._extent = (x0, y0, x1, y1)
        self._ny = int((y1 - y0) * self._inv_cell) + 1
        # Same arithmetic as in locate(), so a point inside a box always hashes to one of its buckets.
        ix = ((bounds[:, [0, 2]] - x0) * self._inv_cell).astype(np.int64).tolist()
        iy = ((bounds[:, [1, 3]] - y0) * self._inv_cell).astype(np.int64).tolist()
        buckets: dict[int, list[_Entry]] = {}
        for i, ((ix0, ix1), (iy0, iy1), box) in enumerate(zip(ix, iy, bounds.tolist(), strict=True)):
            if (ix1 - ix0 + 1) * (iy1 - iy0 + 1) > _MAX_BUCKETS_PER_UNIT:
                self._big.append(i)
                continue
            entry: _Entry = (i, box[0], box[1], box[2], box[3], self._units[i].geometry)
            for gx in range(ix0, ix1 + 1):
                for gy in range(iy0, iy1 + 1):
                    buckets.setdefault(gx * self._ny + gy, []).append(entry)
        # Units were appended in ascending position, so each bucket is already sorted by unit id.
        self._buckets = {key: tuple(members) for key, members in buckets.items()}

    @property
    def units(self) -> tuple[GridUnit, ...]:
        """All units, sorted by id."""
        return self._units

    def get(self, unit_id: str) -> GridUnit | None:
        """The unit with this id, or None."""
        position = self._by_id.get(unit_id)
        return None if position is None else self._units[position]

    def __len__(self) -> int:
        return len(self._units)

    def locate(self, lat: float, lon: float, *, snap_distance_m: float | None = None) -> Location | None:
        """Route a WGS-84 point: the covering unit, else the nearest within the snap distance, else None."""
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # also rejects NaN
            raise InvalidCoordinates(f"not a valid position: {lat!r}, {lon!r}")
        found = -1
        x0, y0, x1, y1 = self._extent
        if x0 <= lon <= x1 and y0 <= lat <= y1:
            key = int((lon - x0) * self._inv_cell) * self._ny + int((lat - y0) * self._inv_cell)
            for position, bx0, by0, bx1, by1, geometry in self._buckets.get(key, ()):
                if bx0 <= lon <= bx1 and by0 <= lat <= by1 and _intersects_xy(geometry, lon, lat):
                    found = position
                    break
        if self._big:
            found = self._covering_big(lon, lat, found)
        if found >= 0:
            return self._hits[found]
        limit = self.snap_distance_m if snap_distance_m is None else snap_distance_m
        return self._snap(lat, lon, limit) if limit > 0 else None

    def _covering_big(self, x: float, y: float, found: int) -> int:
        """The smaller of ``found`` and the first large unit covering the point (-1 means none)."""
        hits = self._tree.query(Point(x, y), predicate="intersects")
        hits = hits[np.isin(hits, self._big)]
        if hits.size and (found < 0 or int(hits.min()) < found):
            return int(hits.min())
        return found

    def locate_many(
        self,
        lats: Sequence[float] | np.ndarray,
        lons: Sequence[float] | np.ndarray,
        *,
        snap_distance_m: float | None = None,
    ) -> list[Location | None]:
        """Vectorised ``locate`` for many points; same answers, one STRtree query for the in-grid ones."""
        lat_a, lon_a = np.asarray(lats, dtype=np.float64).ravel(), np.asarray(lons, dtype=np.float64).ravel()
        if lat_a.shape != lon_a.shape:
            raise ValueError("lats and lons must have the same length")
        bad = ~((np.abs(lat_a) <= 90.0) & (np.abs(lon_a) <= 180.0))
        if bad.any():
            i = int(np.argmax(bad))
            raise InvalidCoordinates(f"not a valid position at index {i}: {lat_a[i]!r}, {lon_a[i]!r}")
        best = np.full(lat_a.shape, len(self._units), dtype=np.int64)
        if self._units and lat_a.size:
            point_idx, unit_idx = self._tree.query(shapely.points(lon_a, lat_a), predicate="intersects")
            np.minimum.at(best, point_idx, unit_idx)
        limit = self.snap_distance_m if snap_distance_m is None else snap_distance_m
        results: list[Location | None] = []
        positions: list[int] = best.ravel().tolist()
        for i, position in enumerate(positions):
            if position < len(self._units):
                results.append(self._hits[position])
            else:
                results.append(self._snap(float(lat_a[i]), float(lon_a[i]), limit) if limit > 0 else None)
        return results

    def _snap(self, lat: float, lon: float, limit_m: float) -> Location | None:
        if not self._units:
            return None
        window = _degree_window(lat, limit_m)
        point = Point(lon, lat)
        best: tuple[float, int] | None = None
        for position in self._tree.query(point, predicate="dwithin", distance=window).tolist():
            distance = _distance_to_polygon_m(self._geoms[position], lat, lon, window)
            if distance <= limit_m and (best is None or (distance, position) < best):
                best = (distance, position)
        if best is None:
            return None
        unit = self._units[best[1]]
        return Location(unit.unit_id, unit.name, snapped=True, distance_m=best[0])

    def area(self) -> Polygon | None:
        """The area the units cover as one shape: the convex hull of their bounding boxes (None without units)."""
        if self._area is None and self._units:
            bounds = shapely.bounds(self._geoms)
            corners = np.concatenate([bounds[:, [0, 1]], bounds[:, [2, 3]], bounds[:, [0, 3]], bounds[:, [2, 1]]])
            hull = shapely.convex_hull(shapely.multipoints(corners))
            # A single point or a straight row of units has no area: give it a hair of width.
            self._area = hull if isinstance(hull, Polygon) else hull.buffer(1e-9)
        return self._area

    def distance_to_area_m(self, lat: float, lon: float) -> float | None:
        """Geodesic metres from a WGS-84 point to ``area()`` (0 inside it); None when there are no units."""
        area = self.area()
        if area is None:
            return None
        if area.covers(Point(lon, lat)):
            return 0.0
        # Nearest in a local frame where a degree of longitude is as long as one of latitude, measured on the
        # ellipsoid: exact enough near the city, the right order of magnitude from another continent.
        scale = max(math.cos(math.radians(lat)), 1e-6)
        local = shapely.transform(area, lambda xy: (xy - (lon, lat)) * (scale, 1.0))
        nx, ny = shapely.shortest_line(local, Point(0.0, 0.0)).coords[0]
        return float(geodesic((lat, lon), (max(min(lat + ny, 90.0), -90.0), lon + nx / scale)).meters)


def _degree_window(lat: float, metres: float) -> float:
    """A distance in degrees that is at least ``metres`` in every direction around latitude ``lat``."""
    cos_lat = max(math.cos(math.radians(min(abs(lat) + 0.01, 90.0))), 1e-6)
    return min(1.01 * max(metres / _M_PER_DEG_LAT_MIN, metres / (_M_PER_DEG_LON_EQUATOR * cos_lat)), 360.0)


def _distance_to_polygon_m(geometry: Polygon | MultiPolygon, lat: float, lon: float, window: float) -> float:
    """Geodesic metres from the point to the nearest point of ``geometry`` (which must not cover it)."""
    nearby = shapely.clip_by_rect(geometry, lon - window, lat - window, lon + window, lat + window)
    if nearby.is_empty:
        return math.inf
    # Find the nearest point in a local frame where a degree of longitude and of latitude are equally
    # long, so "nearest" means nearest on the ground; then measure it on the ellipsoid.
    scale = max(math.cos(math.radians(lat)), 1e-6)
    local = shapely.transform(nearby, lambda xy: (xy - (lon, lat)) * (scale, 1.0))
    line = shapely.shortest_line(local, Point(0.0, 0.0))
    nx, ny = line.coords[0]
    return float(geodesic((lat, lon), (lat + ny, lon + nx / scale)).meters)
