"""``nexus review`` end to end: files in, files out, no database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_cli import Cli


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.setenv("NEXUS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "200")
    return Cli(monkeypatch, capsys)


def write(path: Path, document: Any) -> Path:
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


PROBLEM = {
    "format": "nexus-review-assignment/1",
    "proposals": [{"id": "P-001"}, {"id": "ข้อเสนอ-2"}, {"id": "提案-3", "k": 1}],
    "reviewers": [
        {"id": "R-tanaka", "group": "JPN"},
        {"id": "สมชาย", "group": "ASEAN"},
        {"id": "Nguyễn", "group": "ASEAN", "max_load": 1},
        {"id": "山田", "group": "JPN"},
    ],
    "affinity": [
        {"proposal": "P-001", "reviewer": "R-tanaka", "affinity": 0.9},
        {"proposal": "P-001", "reviewer": "สมชาย", "affinity": 0.4},
        {"proposal": "ข้อเสนอ-2", "reviewer": "Nguyễn", "affinity": 0.8},
        {"proposal": "ข้อเสนอ-2", "reviewer": "山田", "affinity": 0.7},
        {"proposal": "提案-3", "reviewer": "山田", "affinity": 0.6},
    ],
    "conflicts": [{"proposal": "提案-3", "reviewer": "R-tanaka", "reason": "co-author"}],
    "k": 2,
    "max_load": 2,
    "diversity": [{"group": "ASEAN", "minimum": 1, "proposals": ["P-001", "ข้อเสนอ-2"]}],
}


def test_assign_problem_file(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    code, stdout, err = cli(
        "review", "assign", "--problem", str(write(tmp_path / "p.json", PROBLEM)),
        "--output", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert "optimal" in stdout and "proven optimal" in stdout and "Reviewer loads" in stdout
    result = json.loads(out.read_text(encoding="utf-8"))
    assert list(result)[:3] == ["status", "objective", "assignments"]
    pairs = {(a["proposal"], a["reviewer"]) for a in result["assignments"]}
    assert len(pairs) == 5 and ("提案-3", "R-tanaka") not in pairs
    for proposal in ("P-001", "ข้อเสนอ-2"):
        assert pairs & {(proposal, "สมชาย"), (proposal, "Nguyễn")}
    assert all(n <= 2 for n in result["loads"].values()) and result["loads"]["Nguyễn"] <= 1
    assert sum(result["load_histogram"].values()) == 4
    assert result["proven_optimal"] is True and len(result["inputs_digest"]) == 64
    assert result["min_per_proposal"] == min(result["per_proposal"].values())

    code, _, err = cli(
        "review", "assign", "--problem", str(tmp_path / "p.json"), "--fairness",
        "--time-limit", "5", "--output", str(tmp_path / "fair.json"),
    )  # fmt: skip
    assert code == 0, err
    fair = json.loads((tmp_path / "fair.json").read_text(encoding="utf-8"))
    assert fair["solver"] == "highs-milp max-min"
    assert fair["min_per_proposal"] >= result["min_per_proposal"] - 1e-9
    assert fair["inputs_digest"] != result["inputs_digest"]  # fairness is part of the input


def test_assign_openreview_csv(cli: Cli, tmp_path: Path) -> None:
    scores = write(
        tmp_path / "scores.csv",
        "\ufeffpaper,reviewer,score\nP1,อาจารย์,0.9\nP1,田中,0.5\nP2,อาจารย์,0.4\nP2,田中,0.8\n"
        "P3,Lim,0.3\n",
    )
    constraints = write(tmp_path / "constraints.csv", "P1,อาจารย์,-1\nP3,田中,0\n")
    out = tmp_path / "out.json"
    code, stdout, err = cli(
        "review", "assign", "--scores", str(scores), "--constraints", str(constraints),
        "--reviews-per-proposal", "1", "--max-load", "2", "--output", str(out),
    )  # fmt: skip
    assert code == 0, err
    assert "5 scores, 1 conflicts" in stdout
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["assignments"] == [
        {"proposal": "P1", "reviewer": "田中", "affinity": 0.5},
        {"proposal": "P2", "reviewer": "田中", "affinity": 0.8},
        {"proposal": "P3", "reviewer": "Lim", "affinity": 0.3},
    ]
    assert result["loads"] == {"อาจารย์": 0, "田中": 2, "Lim": 1}
    assert result["load_histogram"] == {"0": 1, "1": 1, "2": 1}


def test_assign_refusals_write_nothing(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    scores = write(tmp_path / "s.csv", "P1,R1,0.9\nP1,R2,oops\n")
    code, _, err = cli(
        "review", "assign", "--scores", str(scores), "--reviews-per-proposal", "1",
        "--max-load", "1", "--output", str(out),
    )  # fmt: skip
    assert code == 2 and "s.csv: row 2, column 3 (affinity)" in err

    bad = write(tmp_path / "bad.json", {**PROBLEM, "k": "three"})
    code, _, err = cli("review", "assign", "--problem", str(bad), "--output", str(out))
    assert code == 2 and "bad.json: k:" in err

    code, _, err = cli("review", "assign", "--output", str(out))
    assert code == 2 and "--problem" in err and "--scores" in err
    code, _, err = cli("review", "assign", "--scores", str(scores), "--output", str(out))
    assert code == 2 and "--reviews-per-proposal" in err

    tight = write(tmp_path / "tight.json", {**PROBLEM, "max_load": 1})
    code, _, err = cli("review", "assign", "--problem", str(tight), "--output", str(out))
    assert code == 7
    assert "no assignment satisfies the rules" in err and "to fix:" in err
    assert not out.exists()


def test_calibrate_json_and_csv(cli: Cli, tmp_path: Path) -> None:
    reviews = [
        {"proposal": p, "reviewer": r, "score": s + (2.0 if r == "甘い" else 0.0)}
        for p, s in [("P1", 6.0), ("P2", 4.0), ("P3", 5.0)]
        for r in ("甘い", "ปกติ", "Lim")
    ]
    reviews[0]["confidence"] = 2
    document = {"format": "nexus-review-reviews/1", "reviews": reviews}
    out = tmp_path / "cal.json"
    code, stdout, err = cli(
        "review", "calibrate", "--reviews", str(write(tmp_path / "r.json", document)),
        "--output", str(out), "--level", "0.8",
    )  # fmt: skip
    assert code == 0, err
    assert "Most lenient / harsh" in stdout and "甘い" in stdout
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["format"] == "nexus-review-calibration/1"
    assert [p["id"] for p in result["proposals"]] == ["P1", "P2", "P3"]
    assert set(result["proposals"][0]) >= {
        "id", "score", "lower", "upper", "raw_mean", "reviews", "disagreement", "flagged",
    }  # fmt: skip
    assert max(result["reviewers"], key=lambda r: r["leniency"])["id"] == "甘い"
    assert result["model"]["level"] == 0.8

    rows = "\n".join(f"{r['proposal']},{r['reviewer']},{r['score']}" for r in reviews)
    csv_file = write(tmp_path / "r.csv", "proposal,reviewer,score\n" + rows + "\n")
    code, _, err = cli(
        "review", "calibrate", "--reviews", str(csv_file), "--output", str(tmp_path / "c2.json"),
        "--reviewer-scale",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads((tmp_path / "c2.json").read_text())["model"]["reviewer_scale"] is True

    bad = write(tmp_path / "bad.csv", "proposal,reviewer,score\nP1,R1,great\n")
    code, _, err = cli("review", "calibrate", "--reviews", str(bad), "--output", str(out) + "x")
    assert code == 2 and "bad.csv: row 2, column 3 (score)" in err
    assert not Path(str(out) + "x").exists()
