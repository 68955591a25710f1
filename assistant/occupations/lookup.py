"""Figures for one occupation and place, read from the imported releases (no rendering here).

A figure that BLS did not release is ``None`` with its marker kept beside it (``Wages.markers``),
so the renderer can say "not released" or "at least $239,200" instead of inventing a number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from assistant.occupations import store

#: BLS's top-coded wage: "#" means at or above $115.00 an hour ($239,200 a year) in May 2025.
TOP_HOURLY = 115.00
TOP_ANNUAL = 239_200


@dataclass(frozen=True)
class Wages:
    area: str
    occ_code: str
    occ_title: str
    employment: float | None
    jobs_per_1000: float | None
    location_quotient: float | None
    hourly: dict[str, float | None]
    annual: dict[str, float | None]
    #: Publisher column -> marker ("*", "**", "#") for figures not given as numbers.
    markers: dict[str, str] = field(default_factory=dict)
    annual_only: bool = False
    hourly_only: bool = False


@dataclass(frozen=True)
class Projection:
    soc: str
    title: str
    emp_2024: float | None
    emp_2034: float | None
    change: float | None
    pct_change: float | None
    openings: float | None
    median_wage: float | None
    entry_education: str
    work_experience: str
    training: str


@dataclass(frozen=True)
class Profile:
    """O*NET's description of an occupation (first O*NET code of the SOC, usually ``.00``)."""

    code: str
    title: str
    description: str
    job_zone: int | None
    tasks: tuple[str, ...]
    titles: tuple[str, ...]
    tools: tuple[str, ...]
    technology: tuple[tuple[str, bool], ...]
    related: tuple[tuple[str, str], ...]
    education: tuple[tuple[str, float], ...]


class DataLookup:
    """Read-only queries over the official data tables."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def releases(self) -> dict[str, str]:
        return {name: r.release for name, r in store.releases(self.conn).items()}

    def has_data(self) -> bool:
        return bool(self.releases())

    def wages(self, area: str, soc: str) -> Wages | None:
        row = self.conn.execute("SELECT * FROM oews_wages WHERE area = ? AND occ_code = ?", (area, soc)).fetchone()
        if row is None:
            return None
        pct = ("pct10", "pct25", "median", "pct75", "pct90", "mean")
        return Wages(
            area=row["area"], occ_code=row["occ_code"], occ_title=row["occ_title"],
            employment=row["tot_emp"], jobs_per_1000=row["jobs_1000"], location_quotient=row["loc_quotient"],
            hourly={p: row[f"h_{p}"] for p in pct}, annual={p: row[f"a_{p}"] for p in pct},
            markers=json.loads(row["markers"]) if row["markers"] else {},
            annual_only=bool(row["annual"]), hourly_only=bool(row["hourly"]),
        )

    def wages_in_state(self, soc: str, state: str, *, area_types=(4, 6)) -> list[tuple[str, Wages]]:
        """Every metro/nonmetro area of ``state`` with figures for ``soc``: (area title, wages)."""
        marks = ", ".join("?" for _ in area_types)
        rows = self.conn.execute(
            f"SELECT a.area, a.area_title FROM oews_areas a JOIN oews_wages w ON w.area = a.area "
            f"WHERE a.prim_state = ? AND a.area_type IN ({marks}) AND w.occ_code = ?",
            (state, *area_types, soc),
        ).fetchall()
        out = []
        # Sorted here, by code point as SQLite's BINARY collation does: a Postgres database's
        # collation (en_US, say) would put "Lewiston-Auburn" and "Lewiston, ID" the other way round.
        for area, title in sorted(rows, key=lambda row: row[1]):
            wages = self.wages(area, soc)
            if wages is not None:
                out.append((title, wages))
        return out

    def projection(self, soc: str) -> Projection | None:
        row = self.conn.execute("SELECT * FROM projections WHERE soc = ?", (soc,)).fetchone()
        if row is None:
            return None
        return Projection(
            soc=row["soc"], title=row["title"], emp_2024=row["emp_2024"], emp_2034=row["emp_2034"],
            change=row["change"], pct_change=row["pct_change"], openings=row["openings"],
            median_wage=row["median_wage"], entry_education=_dash(row["entry_education"]),
            work_experience=_dash(row["work_experience"]), training=_dash(row["training"]),
        )

    def average_growth(self) -> float | None:
        row = self.conn.execute("SELECT pct_change FROM projections WHERE soc = '00-0000'").fetchone()
        return row[0] if row else None

    def profile(self, soc: str) -> Profile | None:
        row = self.conn.execute(
            "SELECT * FROM onet_occupations WHERE soc = ? ORDER BY code LIMIT 1", (soc,)).fetchone()
        if row is None:
            return None
        code = row["code"]
        tasks = [r[0] for r in self.conn.execute(
            "SELECT task FROM onet_tasks WHERE code = ? ORDER BY task_type = 'Core' DESC, "
            "COALESCE(incumbents, 0) DESC, rowid", (code,))]
        # Titles people report (O*NET's "Sample of Reported Titles") first, then its alternate titles.
        reported = [r[0] for r in self.conn.execute(
            "SELECT title FROM onet_titles WHERE code = ? AND kind = 'reported' ORDER BY rowid LIMIT 5", (code,))]
        alternates = [r[0] for r in self.conn.execute(
            "SELECT title FROM onet_titles WHERE code = ? AND kind = 'alternate' ORDER BY rowid LIMIT 6", (code,))]
        tools = [r[0] for r in self.conn.execute(
            "SELECT example FROM onet_tools WHERE code = ? ORDER BY rowid", (code,))]
        # O*NET's "hot" technologies (frequent in job postings) first, each group in O*NET's order.
        tech = [(r[0], bool(r[1])) for r in self.conn.execute(
            "SELECT example, hot FROM onet_technology WHERE code = ? ORDER BY hot DESC, rowid", (code,))]
        related = [(r[0], r[1]) for r in self.conn.execute(
            "SELECT r.related_code, o.title FROM onet_related r JOIN onet_occupations o ON o.code = r.related_code "
            "WHERE r.code = ? ORDER BY r.idx", (code,))]
        education = [(r[0], r[1]) for r in self.conn.execute(
            "SELECT label, share FROM onet_education WHERE code = ? ORDER BY share DESC, rowid", (code,))]
        return Profile(
            code=code, title=row["title"], description=row["description"], job_zone=row["job_zone"],
            tasks=tuple(tasks), titles=tuple(dict.fromkeys(reported + alternates)), tools=tuple(tools),
            technology=tuple(tech), related=tuple(related), education=tuple(education),
        )

    def programs(self, soc: str) -> list[tuple[str, str]]:
        # NCES titles end with a period ("Surgical Technology/Technologist."); a list reads better without.
        return [(r[0], r[1].rstrip(".")) for r in self.conn.execute(
            "SELECT cip, cip_title FROM cip_soc WHERE soc = ? ORDER BY cip", (soc,))]


def _dash(value: str) -> str:
    return "" if value in ("—", "-", "") else value
