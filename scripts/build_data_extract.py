"""Build the default data extract in corpus/data/ from the publisher files in ../shared/data.

    python scripts/build_data_extract.py --from ../shared/data

Deterministic: the same inputs give the same bytes (gzip without a timestamp, sorted JSON),
so a re-run on unchanged data leaves git with nothing to commit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.occupations.extract import build_extract  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, default=REPO.parent / "shared" / "data",
                        help="the shared data folder (default: ../shared/data next to the repository)")
    parser.add_argument("--to", dest="target", type=Path, default=REPO / "corpus" / "data",
                        help="where to write the extract (default: corpus/data)")
    args = parser.parse_args(argv)
    manifest = build_extract(args.source, args.target)
    size = sum(p.stat().st_size for p in args.target.rglob("*") if p.is_file())
    print(f"extract {manifest['version']}: {manifest['parts']['oews']['rows']:,} OEWS rows, "
          f"{manifest['parts']['onet']['occupations']} O*NET occupations, {size / 1e6:.1f} MB in {args.target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
