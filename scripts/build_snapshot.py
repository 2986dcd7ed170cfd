"""Build the packaged reference-data snapshot from the shared data folder.

Usage: python scripts/build_snapshot.py [--source DIR] [--out FILE] [--check]

With --check nothing is written: the exit status is 1 if FILE differs from a fresh build.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

from nexus_sti.reference.snapshot import SnapshotBuildError, build_snapshot, write_snapshot

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT = REPO_ROOT / "src" / "nexus_sti" / "reference" / "data" / "snapshot.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of CSVs")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="snapshot file to write")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    try:
        snapshot = build_snapshot(args.source)
    except SnapshotBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / "snapshot.json"
            write_snapshot(snapshot, fresh)
            same = args.out.is_file() and fresh.read_bytes() == args.out.read_bytes()
        print(f"{args.out}: {'up to date' if same else 'differs from a fresh build'}")
        return 0 if same else 1
    write_snapshot(snapshot, args.out)
    data = args.out.read_bytes()
    print(f"wrote {args.out} ({len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
