"""The demo district: four streets (街道) of Beijing's Dongcheng district, their communities and grid cells.

The cells are quadrilaterals between the nodes of a jittered lattice, so they tile the area exactly (shared
edges, no gaps, no overlaps) yet look like a hand-drawn grid map. A community is the union of a block of
cells and a street the union of its communities, so every level nests exactly inside the next one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import shapely
from shapely import Polygon

DISTRICT_ID = "DC"
DISTRICT_NAME = "北京市东城区"
# North-west corner of the demo area and the lattice spacing (about 300 m by 300 m per cell).
_LON0, _LAT0 = 116.3990, 39.9420
_DLON, _DLAT = 0.0035, 0.0027
ROWS, COLS = 9, 9
_JITTER = 0.22  # share of the spacing a lattice node may move, small enough to keep every cell convex-ish


@dataclass(frozen=True)
class Community:
    """A community (社区): a block of lattice cells, rows and columns inclusive."""

    id: str
    name: str
    rows: tuple[int, int]
    cols: tuple[int, int]


@dataclass(frozen=True)
class Street:
    """A street office (街道) and its communities."""

    id: str
    name: str
    communities: tuple[Community, ...]


STREETS: tuple[Street, ...] = (
    Street(
        "DC-JDK",
        "交道口街道",
        (
            Community("DC-JDK-NLG", "南锣鼓巷社区", (0, 2), (0, 1)),
            Community("DC-JDK-JE", "菊儿社区", (0, 2), (2, 3)),
            Community("DC-JDK-FX", "府学社区", (3, 4), (0, 1)),
            Community("DC-JDK-JD", "交东社区", (3, 4), (2, 3)),
        ),
    ),
    Street(
        "DC-JS",
        "景山街道",
        (
            Community("DC-JS-HHM", "黄化门社区", (5, 6), (0, 1)),
            Community("DC-JS-JSD", "景山东街社区", (5, 6), (2, 3)),
            Community("DC-JS-SYJ", "三眼井社区", (7, 8), (0, 1)),
            Community("DC-JS-DFS", "大佛寺社区", (7, 8), (2, 3)),
        ),
    ),
    Street(
        "DC-DS",
        "东四街道",
        (
            Community("DC-DS-DB", "豆瓣社区", (0, 2), (4, 5)),
            Community("DC-DS-LT", "东四六条社区", (0, 2), (6, 8)),
            Community("DC-DS-QL", "钱粮社区", (3, 4), (4, 5)),
            Community("DC-DS-BT", "东四八条社区", (3, 4), (6, 8)),
        ),
    ),
    Street(
        "DC-CYM",
        "朝阳门街道",
        (
            Community("DC-CYM-SJ", "史家社区", (5, 6), (4, 5)),
            Community("DC-CYM-NW", "内务社区", (5, 6), (6, 8)),
            Community("DC-CYM-YY", "演乐社区", (7, 8), (4, 5)),
            Community("DC-CYM-LS", "礼士社区", (7, 8), (6, 8)),
        ),
    ),
)

#: Landmarks for typed addresses: (name, aliases, community id, row, column) — placed in that lattice cell.
LANDMARKS: tuple[tuple[str, str, str, int, int], ...] = (
    ("南锣鼓巷", "南锣|Nanluoguxiang", "DC-JDK-NLG", 1, 1),
    ("菊儿胡同", "菊儿|Ju'er Hutong", "DC-JDK-JE", 1, 2),
    ("府学胡同", "府学|Fuxue Hutong", "DC-JDK-FX", 3, 1),
    ("交道口东大街", "交道口|Jiaodaokou", "DC-JDK-JD", 3, 3),
    ("黄化门街", "黄化门|Huanghuamen", "DC-JS-HHM", 5, 0),
    ("景山东街", "Jingshan East Street", "DC-JS-JSD", 6, 2),
    ("大佛寺东街", "大佛寺|Dafosi", "DC-JS-DFS", 8, 3),
    ("豆瓣胡同", "豆瓣|Douban Hutong", "DC-DS-DB", 1, 4),
    ("东四六条", "六条|Dongsi Liutiao", "DC-DS-LT", 1, 7),
    ("钱粮胡同", "钱粮|Qianliang Hutong", "DC-DS-QL", 4, 5),
    ("东四八条", "八条|Dongsi Batiao", "DC-DS-BT", 3, 6),
    ("隆福寺", "隆福寺街|Longfusi", "DC-DS-QL", 4, 4),
    ("史家胡同", "史家|Shijia Hutong", "DC-CYM-SJ", 5, 5),
    ("内务部街", "内务|Neiwubu Street", "DC-CYM-NW", 6, 7),
    ("演乐胡同", "演乐|Yanyue Hutong", "DC-CYM-YY", 7, 4),
    ("礼士胡同", "礼士|Lishi Hutong", "DC-CYM-LS", 8, 7),
)


def _lattice(seed: int = 17) -> list[list[tuple[float, float]]]:
    """(lon, lat) of every lattice node, rows north to south, rounded so shared vertices are identical."""
    rng = random.Random(seed)
    nodes = []
    for row in range(ROWS + 1):
        line = []
        for col in range(COLS + 1):
            lon = _LON0 + col * _DLON + rng.uniform(-_JITTER, _JITTER) * _DLON
            lat = _LAT0 - row * _DLAT + rng.uniform(-_JITTER, _JITTER) * _DLAT
            line.append((round(lon, 6), round(lat, 6)))
        nodes.append(line)
    return nodes


def cell_polygon(row: int, col: int, nodes: list[list[tuple[float, float]]] | None = None) -> Polygon:
    """The quadrilateral of lattice cell (row, col), counter-clockwise."""
    n = nodes or _lattice()
    return Polygon([n[row + 1][col], n[row + 1][col + 1], n[row][col + 1], n[row][col], n[row + 1][col]])


@dataclass(frozen=True)
class GridCell:
    """One unit grid (单元网格) of the demo."""

    id: str
    name: str
    community: Community
    street: Street
    row: int
    col: int


def grid_cells() -> list[GridCell]:
    """Every grid cell, numbered row by row inside its community ("东四街道-豆瓣社区-03网格")."""
    cells = []
    for street in STREETS:
        for community in street.communities:
            number = 0
            for row in range(community.rows[0], community.rows[1] + 1):
                for col in range(community.cols[0], community.cols[1] + 1):
                    number += 1
                    name = f"{street.name}-{community.name}-{number:02d}网格"
                    cells.append(GridCell(f"{community.id}-{number:02d}", name, community, street, row, col))
    return cells


def communities() -> list[tuple[Community, Street]]:
    """Every community with its street."""
    return [(community, street) for street in STREETS for community in street.communities]


def _feature(unit_id: str, name: str, parent: str | None, geometry: Any) -> dict[str, Any]:
    properties = {"id": unit_id, "name": name, "parent": parent}
    return {"type": "Feature", "properties": properties, "geometry": shapely.geometry.mapping(geometry)}


def feature_collections() -> dict[str, dict[str, Any]]:
    """GeoJSON FeatureCollections per level ("district", "street", "community", "grid"), parents first."""
    nodes = _lattice()
    shapes = {cell.id: cell_polygon(cell.row, cell.col, nodes) for cell in grid_cells()}
    by_community: dict[str, list[Polygon]] = {}
    for cell in grid_cells():
        by_community.setdefault(cell.community.id, []).append(shapes[cell.id])
    community_shapes = {cid: shapely.union_all(parts) for cid, parts in by_community.items()}
    street_shapes = {
        street.id: shapely.union_all([community_shapes[c.id] for c in street.communities]) for street in STREETS
    }
    district = shapely.union_all(list(street_shapes.values()))
    return {
        "district": _collection([_feature(DISTRICT_ID, DISTRICT_NAME, None, district)]),
        "street": _collection([_feature(s.id, s.name, DISTRICT_ID, street_shapes[s.id]) for s in STREETS]),
        "community": _collection([_feature(c.id, c.name, s.id, community_shapes[c.id]) for c, s in communities()]),
        "grid": _collection([_feature(c.id, c.name, c.community.id, shapes[c.id]) for c in grid_cells()]),
    }


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def cell_center(row: int, col: int) -> tuple[float, float]:
    """(lat, lon) of a point well inside lattice cell (row, col)."""
    point = cell_polygon(row, col).centroid
    return round(point.y, 6), round(point.x, 6)
