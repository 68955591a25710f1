"""Where the publishers' files of ../shared/data are: beside the checkout, else this workplace's copy.

A fresh clone elsewhere (CI, /tmp/fresh) finds them at /work/shared; a missing folder fails the
tests that need it instead of skipping them.
"""

from pathlib import Path

_BESIDE = Path(__file__).resolve().parents[2] / "shared" / "data"
SHARED_DATA = _BESIDE if _BESIDE.is_dir() else Path("/work/shared/data")
