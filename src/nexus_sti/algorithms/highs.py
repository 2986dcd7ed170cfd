"""HiGHS without its banner.

HiGHS writes "Running HiGHS ..." to the process's standard output when the first ``Highs`` object
is made, before any option can turn output off. A CLI that writes JSON to standard output, or a
page server's log, should not carry it, so the first instance is made here, once, with file
descriptor 1 pointed at the null device. Every solver module takes ``Highs`` from here.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import highspy

Highs: Any = highspy.Highs  # untyped: no stubs


def _make_first_instance_quietly() -> None:
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


_make_first_instance_quietly()
