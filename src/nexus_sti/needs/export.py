"""The needs assessment and targets as JSON (documented in docs/needs.md) and CSV."""

from __future__ import annotations

import io
from dataclasses import asdict
from typing import Any

from nexus_sti.core import spreadsheet
from nexus_sti.core.countries import country
from nexus_sti.needs.assessment import NeedsAssessment
from nexus_sti.needs.targets import TargetsResult
from nexus_sti.reference.snapshot import load_snapshot

SCHEMA = "nexus-needs-index/1"


def _round(x: float | None, digits: int = 6) -> float | None:
    return None if x is None else round(x, digits)


def assessment_json(a: NeedsAssessment) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "window": list(a.window),
        "seed": a.seed,
        "draws": a.draws,
        "index_config_sha256": a.config_digest,
        "snapshot_sha256": a.snapshot_digests,
        "sources": load_snapshot().attribution_lines(),
        "dimensions": list(a.dimensions),
        "left_out": [asdict(d) for d in a.dropped],
        "outlier_treatment": a.treatments,
        "sensitivity": [asdict(e) for e in a.sensitivity],
        "countries": [
            {
                "iso3": c.iso3,
                "name": country(c.iso3).name,
                "capacity": _round(c.capacity),
                "need": _round(c.need),
                "rank": c.rank,
                "rank_median": c.rank_median,
                "rank_interval_5_95": list(c.rank_interval),
                "capacity_interval_5_95": [_round(x) for x in c.capacity_interval],
                "dimension_scores": {k: _round(v) for k, v in c.dimension_scores.items()},
                "imputed": [i.code for i in c.gaps],
                "indicators": [
                    {
                        "code": i.code,
                        "label": i.label,
                        "dimension": i.dimension,
                        "value": i.value,
                        "year": i.year,
                        "source": i.source,
                        "note": i.note,
                        "normalised": _round(i.normalised),
                        "imputation": i.imputation or None,
                    }
                    for i in c.indicators
                ],
            }
            for c in a.countries
        ],
        "areas": [
            {
                "area": area.area,
                "need": {k: _round(v) for k, v in area.need.items()},
                "left_out": [asdict(d) for d in area.dropped],
                "imputed": {k: list(v) for k, v in area.imputed.items()},
            }
            for area in a.areas
        ],
    }


def assessment_csv(a: NeedsAssessment) -> str:
    """One row per country and indicator: the long format spreadsheets and R like."""
    buf = io.StringIO()
    writer = spreadsheet.writer(buf)
    writer.writerow(
        ["iso3", "country", "capacity", "need", "rank", "rank_p5", "rank_p95", "indicator",
         "dimension", "value", "year", "normalised", "imputation", "note", "source"]
    )  # fmt: skip
    for c in a.countries:
        for i in c.indicators:
            writer.writerow(
                [c.iso3, country(c.iso3).name, f"{c.capacity:.6f}", f"{c.need:.6f}", c.rank,
                 c.rank_interval[0], c.rank_interval[1], i.code, i.dimension,
                 "" if i.value is None else i.value, i.year or "",
                 "" if i.normalised is None else f"{i.normalised:.6f}", i.imputation, i.note,
                 i.source]
            )  # fmt: skip
    return buf.getvalue()


def targets_json(r: TargetsResult) -> dict[str, Any]:
    return {
        "schema": "nexus-country-targets/1",
        "track": r.track,
        "parameters": r.params.model_dump(mode="json"),
        "slots": r.slots,
        "explanation": list(r.explanation),
        "countries": [
            {
                "iso3": iso3,
                "name": country(iso3).name,
                "need": _round(r.need[iso3]),
                "scale": r.scale[iso3],
                "formula_share": _round(r.shares.formula_shares[iso3]),
                "share": _round(r.shares.shares[iso3]),
                "bound": r.shares.bound[iso3],
                "quota": _round(r.apportionment.quotas[iso3], 4),
                "slots": r.apportionment.slots[iso3],
                "widening": None if r.widening is None else r.widening[iso3],
            }
            for iso3 in r.countries
        ],
        "inputs": r.inputs,
    }


def targets_csv(body: dict[str, Any]) -> str:
    """The country rows of :func:`targets_json` (or of a saved decision) as CSV."""
    buf = io.StringIO()
    rows = body["countries"]
    writer = spreadsheet.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["iso3"])
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
