"""Tables for members and committees: one ``legislators`` release in ``data_releases``.

The tables belong to the ``legislators`` source of ``assistant.occupations.store`` and are
swapped by its ``replace_source`` in one transaction, so a refused file leaves the previous
release answering. Each row keeps the layout it came from (``congress`` or ``openstates-ma``)
and ``people_sources`` the date each layout is as of, which every citation names. Plain SQL,
the same on SQLite and Postgres (``db.open_database``).
"""

from __future__ import annotations

from dataclasses import astuple, fields

from assistant import db
from assistant.occupations import store as data_store
from assistant.people.parse import Committee, Member, Membership

SOURCE = "legislators"

MIGRATIONS = [
    """
    CREATE TABLE people_sources (
        source TEXT PRIMARY KEY,
        as_of TEXT NOT NULL,
        files INTEGER NOT NULL
    );
    CREATE TABLE people_members (
        member_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        chamber TEXT NOT NULL,
        party TEXT NOT NULL,
        state TEXT NOT NULL,
        district TEXT NOT NULL,
        url TEXT NOT NULL,
        phone TEXT NOT NULL,
        address TEXT NOT NULL,
        email TEXT NOT NULL,
        source TEXT NOT NULL
    );
    CREATE INDEX people_members_state ON people_members (state, chamber);
    CREATE TABLE people_committees (
        committee_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        chamber TEXT NOT NULL,
        parent TEXT NOT NULL,
        jurisdiction TEXT NOT NULL,
        url TEXT NOT NULL,
        aliases TEXT NOT NULL,
        source TEXT NOT NULL
    );
    CREATE TABLE people_memberships (
        committee_id TEXT NOT NULL,
        member_id TEXT NOT NULL,
        member_name TEXT NOT NULL,
        role TEXT NOT NULL,
        title TEXT NOT NULL,
        rank INTEGER NOT NULL,
        source TEXT NOT NULL
    );
    CREATE INDEX people_memberships_committee ON people_memberships (committee_id);
    CREATE INDEX people_memberships_member ON people_memberships (member_id);
    """,
    # The order rows were imported in (the publisher's), which SQLite kept by rowid and Postgres
    # does not keep at all: a committee's roster lists members of equal rank in the file's order.
    """
    ALTER TABLE people_committees ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE people_memberships ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
    """,
]

MEMBER_COLUMNS = tuple(f.name for f in fields(Member))
COMMITTEE_COLUMNS = tuple(f.name for f in fields(Committee))
MEMBERSHIP_COLUMNS = tuple(f.name for f in fields(Membership))


def ensure_schema(conn) -> None:
    data_store.ensure_schema(conn)
    db.migrate(conn, "people", MIGRATIONS)


def as_of(conn) -> dict[str, str]:
    """Layout -> the date its data is as of, for the layouts stored."""
    ensure_schema(conn)
    return {r["source"]: r["as_of"] for r in conn.execute("SELECT source, as_of FROM people_sources")}


def kept_rows(conn, table: str, columns: tuple[str, ...], replaced: set[str], *, ordered: bool = False) -> list[tuple]:
    """Rows of ``table`` from layouts not being replaced (importing Congress keeps Massachusetts),
    in their imported order when ``ordered``."""
    ensure_schema(conn)
    marks = ",".join("?" * len(replaced))
    order = " ORDER BY position" if ordered else ""
    return [tuple(r) for r in conn.execute(
        f"SELECT {', '.join(columns)} FROM {table} WHERE source NOT IN ({marks}){order}", sorted(replaced))]


def _numbered(rows: list[tuple]) -> list[tuple]:
    return [(*row, position) for position, row in enumerate(rows)]


def replace(conn, *, layouts: dict[str, tuple[str, int]], members: list[Member],
            committees: list[Committee], memberships: list[Membership], file: str, checksum: str,
            now=None) -> data_store.Release:
    """Store the parsed layouts (layout -> (as_of, files)) as the new ``legislators`` release."""
    ensure_schema(conn)
    replaced = set(layouts)
    sources = {**{k: (v, n) for k, v, n in kept_rows(conn, "people_sources", ("source", "as_of", "files"), replaced)},
               **layouts}
    release = ", ".join(f"{name} {date}" for name, (date, _) in sorted(sources.items()))
    return data_store.replace_source(
        conn, SOURCE, release=release, file=file, checksum=checksum, now=now, count_table="people_members",
        tables={
            "people_sources": (("source", "as_of", "files"), [(k, d, n) for k, (d, n) in sources.items()]),
            "people_members": (MEMBER_COLUMNS, [astuple(m) for m in members]
                               + kept_rows(conn, "people_members", MEMBER_COLUMNS, replaced)),
            "people_committees": ((*COMMITTEE_COLUMNS, "position"), _numbered(
                [astuple(c) for c in committees]
                + kept_rows(conn, "people_committees", COMMITTEE_COLUMNS, replaced, ordered=True))),
            "people_memberships": ((*MEMBERSHIP_COLUMNS, "position"), _numbered(
                [astuple(m) for m in memberships]
                + kept_rows(conn, "people_memberships", MEMBERSHIP_COLUMNS, replaced, ordered=True))),
        },
    )
