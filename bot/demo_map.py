"""The grid map drawn from the database: every unit's polygon projected to SVG, no map tiles needed.

The projection is equirectangular around the map's middle latitude (metres east and north keep their ratio at
city scale). Its parameters travel on the ``<svg>`` element, so the page turns a click back into WGS-84.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from html import escape

import shapely
from shapely import MultiPolygon, Polygon

from models.grid import UnitLevel
from services.cases.queries import open_case_points
from services.context import Services
from services.grids import UnitShape, unit_shapes

WIDTH = 1000.0
_MARGIN = 0.06  # share of the span left around the district
# Fill colours per street, in the order the streets first appear: soft hues that keep dark text readable.
_PALETTE = ("#dbe9f9", "#e3f2e1", "#fbeedb", "#efe3f7", "#fde2e4", "#e0f4f4")


@dataclass(frozen=True)
class Projection:
    """Degrees to SVG pixels: x grows east, y grows south."""

    west: float
    north: float
    px_per_lon: float
    px_per_lat: float

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        """The SVG point of a WGS-84 position."""
        return (lon - self.west) * self.px_per_lon, (self.north - lat) * self.px_per_lat

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        """The WGS-84 position of an SVG point (what the page does on a click)."""
        return self.west + x / self.px_per_lon, self.north - y / self.px_per_lat


def projection_for(bounds: tuple[float, float, float, float]) -> tuple[Projection, float]:
    """A projection fitting ``(west, south, east, north)`` into WIDTH pixels, and the height it needs."""
    west, south, east, north = bounds
    pad_lon, pad_lat = (east - west) * _MARGIN, (north - south) * _MARGIN
    west, east, south, north = west - pad_lon, east + pad_lon, south - pad_lat, north + pad_lat
    px_per_lon = WIDTH / (east - west)
    px_per_lat = px_per_lon / math.cos(math.radians((north + south) / 2))
    return Projection(west, north, px_per_lon, px_per_lat), (north - south) * px_per_lat


def _path(geometry: Polygon | MultiPolygon, proj: Projection) -> str:
    polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    parts = []
    for polygon in polygons:
        for ring in [polygon.exterior, *polygon.interiors]:
            points = [proj.xy(lon, lat) for lon, lat in ring.coords[:-1]]
            parts.append("M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in points) + " Z")
    return " ".join(parts)


async def map_svg(services: Services) -> str:
    """The SVG of every active unit: grids filled by street, community and street borders, labels."""
    units = await unit_shapes(services)
    if not units:
        return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} 600" class="grid-map"></svg>'
    by_id = {unit.id: unit for unit in units}
    proj, height = projection_for(shapely.union_all([unit.shape for unit in units]).bounds)
    streets = [u for u in units if u.level == UnitLevel.STREET]
    colours = {street.id: _PALETTE[i % len(_PALETTE)] for i, street in enumerate(streets)}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="grid-map" viewBox="0 0 {WIDTH:.0f} {height:.0f}" '
        f'data-west="{proj.west}" data-north="{proj.north}" data-px-per-lon="{proj.px_per_lon}" '
        f'data-px-per-lat="{proj.px_per_lat}">',
        '<g class="units">',
    ]
    lowest = [u for u in units if u.level == UnitLevel.GRID] or units
    for unit in lowest:
        chain = _ancestors(unit, by_id)
        street = next((u for u in chain if u.level == UnitLevel.STREET), None)
        community = next((u for u in chain if u.level == UnitLevel.COMMUNITY), None)
        fill = colours.get(street.id if street else "", "#e8eef5")
        out.append(
            f'<path class="unit" d="{_path(unit.shape, proj)}" fill="{fill}"'
            f' data-id="{escape(unit.id)}" data-name="{escape(unit.name)}"'
            f' data-community="{escape(community.name if community else "")}"'
            f' data-street="{escape(street.name if street else "")}"/>'
        )
    out.append("</g>")
    for level, css in ((UnitLevel.COMMUNITY, "community-border"), (UnitLevel.STREET, "street-border")):
        out.append(f'<g class="{css}">')
        out += [f'<path d="{_path(u.shape, proj)}"/>' for u in units if u.level == level]
        out.append("</g>")
    out.append('<g class="pins"></g>')  # under the labels, whose white halo keeps names readable over pins
    out.append('<g class="labels">')
    for unit in units:
        if unit.level in (UnitLevel.COMMUNITY, UnitLevel.STREET):
            x, y = proj.xy(unit.shape.point_on_surface().x, unit.shape.point_on_surface().y)
            out.append(f'<text class="label {unit.level}" x="{x:.0f}" y="{y:.0f}">{escape(unit.name)}</text>')
    out += ["</g>", "</svg>"]
    return "".join(out)


def _ancestors(unit: UnitShape, by_id: dict[str, UnitShape]) -> list[UnitShape]:
    chain: list[UnitShape] = []
    current = by_id.get(unit.parent_id or "")
    while current is not None and current not in chain:
        chain.append(current)
        current = by_id.get(current.parent_id or "")
    return chain


async def open_case_pins(services: Services) -> list[dict[str, object]]:
    """Open cases as map pins: number, status, category and position."""
    return [asdict(point) for point in await open_case_points(services)]
