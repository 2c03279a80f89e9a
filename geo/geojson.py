"""Import grid units from a GeoJSON FeatureCollection, with a report of what was kept, fixed or refused.

Repair rule: an invalid polygon is fixed with ``shapely.make_valid`` only when the fixed shape is still
polygonal (lines and points it produces are dropped) and its area differs from the area of the input
rings by at most ``max_repair_area_change`` (default 1 %) of the larger of the two. That accepts what
digitising slips produce — a vertex pushed over an edge leaving a small twisted lobe, self-touching
rings, spikes, duplicate vertices — and refuses shapes whose intended area is ambiguous, such as a
figure-eight whose two lobes cancel out, or a hole drawn outside its shell. Refused features are
reported with the reason, never silently dropped.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely import MultiPolygon, Polygon, STRtree
from shapely.errors import GEOSException
from shapely.geometry import shape

from geo.crs import CRS_NAMES, to_wgs84_arrays
from geo.grid_index import GridUnit

ProgressCallback = Callable[[int, int], None]
_POLYGONAL = ("Polygon", "MultiPolygon")
_M_PER_DEG = 111_320.0


@dataclass(frozen=True, slots=True)
class ImportedUnit:
    """An accepted feature: id, name, parent id and WGS-84 geometry."""

    unit_id: str
    name: str
    parent_id: str | None
    geometry: Polygon | MultiPolygon


@dataclass(frozen=True, slots=True)
class RejectedFeature:
    """A refused feature: its position in the file, its id if it had one, and why."""

    index: int
    unit_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class RepairedFeature:
    """An accepted feature whose invalid geometry was fixed, with the relative area change."""

    unit_id: str
    problem: str
    area_change: float


@dataclass(frozen=True, slots=True)
class Overlap:
    """Two accepted units whose interiors overlap by ``area_m2`` square metres."""

    first_id: str
    second_id: str
    area_m2: float


@dataclass(slots=True)
class ImportResult:
    """Everything an import found, for the operator's report."""

    accepted: list[ImportedUnit] = field(default_factory=list)
    rejected: list[RejectedFeature] = field(default_factory=list)
    repaired: list[RepairedFeature] = field(default_factory=list)
    overlaps: list[Overlap] = field(default_factory=list)

    def grid_units(self) -> list[GridUnit]:
        """The accepted units in the shape ``GridIndex`` takes."""
        return [GridUnit(u.unit_id, u.name, u.geometry) for u in self.accepted]


@dataclass(slots=True)
class _Candidate:
    index: int
    unit_id: str
    name: str
    parent_id: str | None
    geometry: Any


def load_feature_collection(
    data_or_path: Mapping[str, Any] | str | bytes | os.PathLike[str],
    *,
    id_field: str = "id",
    name_field: str = "name",
    parent_field: str = "parent",
    crs: str = "wgs84",
    max_repair_area_change: float = 0.01,
    overlap_tolerance_m2: float = 1.0,
    on_progress: ProgressCallback | None = None,
) -> ImportResult:
    """Read grid units from GeoJSON (a mapping, JSON text or bytes, or a file path) into WGS-84."""
    if crs not in CRS_NAMES:
        raise ValueError(f"unknown coordinate system {crs!r}; expected one of {', '.join(CRS_NAMES)}")
    features = _features(_read(data_or_path))
    result = ImportResult()
    candidates: list[_Candidate] = []
    total = len(features)
    step = max(1, total // 100)
    for index, feature in enumerate(features):
        outcome = _parse_feature(index, feature, id_field, name_field, parent_field)
        if isinstance(outcome, RejectedFeature):
            result.rejected.append(outcome)
        else:
            candidates.append(outcome)
        if on_progress is not None and (index + 1) % step == 0 and index + 1 < total:
            on_progress(index + 1, total)
    if candidates and crs != "wgs84":
        converted = shapely.transform(
            np.array([c.geometry for c in candidates], dtype=object), lambda xy: _to_wgs84_xy(xy, crs)
        )
        for candidate, geometry in zip(candidates, converted, strict=True):
            candidate.geometry = geometry
    seen: set[str] = set()
    for candidate in candidates:
        _accept(candidate, seen, max_repair_area_change, result)
    result.overlaps = find_overlaps(result.accepted, tolerance_m2=overlap_tolerance_m2)
    if on_progress is not None:
        on_progress(total, total)
    return result


def _read(data_or_path: Mapping[str, Any] | str | bytes | os.PathLike[str]) -> Any:
    if isinstance(data_or_path, Mapping):
        return data_or_path
    if isinstance(data_or_path, bytes):
        return json.loads(data_or_path)
    if isinstance(data_or_path, str) and data_or_path.lstrip().startswith("{"):
        return json.loads(data_or_path)
    return json.loads(Path(data_or_path).read_bytes())


def _features(data: Any) -> list[Any]:
    kind = data.get("type") if isinstance(data, Mapping) else None
    if kind == "Feature":
        return [data]
    if kind != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise ValueError("not a GeoJSON FeatureCollection")
    return list(data["features"])


def _clean(value: Any) -> str | None:
    text = None if value is None else str(value).strip()
    return text or None


def _parse_feature(
    index: int, feature: Any, id_field: str, name_field: str, parent_field: str
) -> _Candidate | RejectedFeature:
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        return RejectedFeature(index, None, "not a GeoJSON Feature")
    properties = feature.get("properties") or {}
    unit_id = _clean(properties.get(id_field)) or _clean(feature.get("id"))
    if unit_id is None:
        return RejectedFeature(index, None, f"missing id (property {id_field!r})")
    geometry = feature.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, Mapping) else None
    if kind is None:
        return RejectedFeature(index, unit_id, "no geometry")
    if kind not in _POLYGONAL:
        return RejectedFeature(index, unit_id, f"geometry is a {kind}, not a Polygon or MultiPolygon")
    try:
        parsed = shapely.force_2d(shape(geometry))
    except (ValueError, TypeError, IndexError, AttributeError, GEOSException) as exc:
        return RejectedFeature(index, unit_id, f"malformed coordinates: {exc}")
    if parsed.is_empty:
        return RejectedFeature(index, unit_id, "empty geometry")
    minx, miny, maxx, maxy = parsed.bounds
    if not (-180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0):
        return RejectedFeature(index, unit_id, "coordinates are not longitude/latitude in degrees")
    name = _clean(properties.get(name_field)) or unit_id
    return _Candidate(index, unit_id, name, _clean(properties.get(parent_field)), parsed)


def _to_wgs84_xy(xy: np.ndarray, crs: str) -> np.ndarray:
    lat, lon = to_wgs84_arrays(xy[:, 1], xy[:, 0], crs)
    return np.column_stack([lon, lat])


def _accept(candidate: _Candidate, seen: set[str], max_change: float, result: ImportResult) -> None:
    geometry = candidate.geometry
    if not geometry.is_valid:
        problem = shapely.is_valid_reason(geometry)
        fixed, change = _repair(geometry)
        if fixed is None or change > max_change:
            detail = "" if fixed is None else f"; repairing it would change its area by {change:.1%}"
            result.rejected.append(
                RejectedFeature(candidate.index, candidate.unit_id, f"invalid geometry ({problem}){detail}")
            )
            return
        result.repaired.append(RepairedFeature(candidate.unit_id, problem, change))
        geometry = fixed
    if candidate.unit_id in seen:
        result.rejected.append(RejectedFeature(candidate.index, candidate.unit_id, "duplicate id"))
        return
    seen.add(candidate.unit_id)
    result.accepted.append(ImportedUnit(candidate.unit_id, candidate.name, candidate.parent_id, geometry))


def _repair(geometry: Any) -> tuple[Polygon | MultiPolygon | None, float]:
    """``make_valid`` keeping only polygonal parts, and the relative area change (see module doc)."""
    fixed = shapely.make_valid(geometry)
    if isinstance(fixed, shapely.GeometryCollection) and not isinstance(fixed, MultiPolygon):
        parts = [g for g in shapely.get_parts(fixed) if isinstance(g, Polygon | MultiPolygon)]
        fixed = shapely.union_all(parts) if parts else Polygon()
    if fixed.is_empty or not isinstance(fixed, Polygon | MultiPolygon):
        return None, math.inf
    before, after = abs(geometry.area), fixed.area
    return fixed, abs(after - before) / max(before, after)


def _area_m2(geometry: Any) -> float:
    """Approximate ground area of a small lon/lat geometry, good enough for a tolerance test."""
    lat = geometry.centroid.y if not geometry.is_empty else 0.0
    return float(geometry.area * _M_PER_DEG * _M_PER_DEG * math.cos(math.radians(lat)))


def find_overlaps(units: list[ImportedUnit], *, tolerance_m2: float = 1.0) -> list[Overlap]:
    """Pairs of units whose interiors overlap by more than ``tolerance_m2``, found with an STRtree."""
    if len(units) < 2:
        return []
    geoms = np.array([u.geometry for u in units], dtype=object)
    left, right = STRtree(geoms).query(geoms)
    ordered = left < right
    left, right = left[ordered], right[ordered]
    # Interiors meet when shapes overlap, contain or equal each other; neighbours that only touch don't.
    meet = shapely.relate_pattern(geoms[left], geoms[right], "T********")
    overlaps = []
    for a, b in sorted(zip(left[meet].tolist(), right[meet].tolist(), strict=True)):
        area = _area_m2(shapely.intersection(geoms[a], geoms[b]))
        if area > tolerance_m2:
            overlaps.append(Overlap(units[a].unit_id, units[b].unit_id, area))
    return overlaps
