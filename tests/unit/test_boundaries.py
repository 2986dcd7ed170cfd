"""The functional core stays pure: core/ and algorithms/ import no database, web or settings."""

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "nexus_sti"
PURE = [
    SRC / "core",
    SRC / "algorithms",
    SRC / "reference" / "snapshot.py",
    SRC / "calls" / "workflow.py",
    SRC / "calls" / "deadlines.py",
    SRC / "review" / "conflicts.py",
    *(SRC / "review" / f"{m}.py" for m in ("forms", "ranking", "batch")),
    *(SRC / "selection" / f"{m}.py" for m in ("problem_io", "publish")),
    *(SRC / "proposals" / f"{m}.py" for m in ("model", "eligibility", "attachments", "transfer")),
    *(
        SRC / "needs" / f"{m}.py"
        for m in ("model", "indicators", "assessment", "targets", "export")
    ),
    *(
        SRC / "demo" / f"{m}.py"
        for m in (
            "generator",
            "names",
            "institutions",
            "texts",
            "params",
            "records",
            "reviews",
            "expertise_set",
        )
    ),
]
FORBIDDEN = ("sqlalchemy", "fastapi", "starlette", "nexus_sti.platform", "typer", "alembic")


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_pure_modules_import_no_shell() -> None:
    files = [f for p in PURE if p.exists() for f in ([p] if p.is_file() else p.rglob("*.py"))]
    assert files
    for f in files:
        bad = {i for i in imports_of(f) if i.startswith(FORBIDDEN)}
        assert not bad, f"{f.relative_to(SRC)} imports {bad}"
        text = f.read_text()
        assert "datetime.now" not in text and "np.random.seed" not in text, f


def test_algorithms_import_nothing_of_the_platform_but_core() -> None:
    """Solvers depend on the shared vocabulary only, never on a context or the demo."""
    for f in (SRC / "algorithms").rglob("*.py"):
        ours = {i for i in imports_of(f) if i.startswith("nexus_sti")}
        bad = {i for i in ours if not i.startswith(("nexus_sti.core", "nexus_sti.algorithms"))}
        assert not bad, f"{f.relative_to(SRC)} imports {bad}"


# Where a country of one program may be named: the shared vocabulary (the country registry and
# currencies), the reference data, the synthetic demo data, and the program and index presets.
PROGRAM_FREE_EXEMPT = ("core", "reference", "demo")
# Format 1 of the program file had the reference program's role codes built in; the reader of
# that format writes them out, so old files keep their stored roles.
FORMAT_HISTORY = (SRC / "programs" / "upgrade.py",)
ONE_PROGRAM = re.compile(r'"JPN"|Japan|ASEAN_MEMBERS|lead_jp|lead_ams')


def test_no_program_is_written_into_the_domain_code() -> None:
    """Programs are data: outside the vocabulary, the reference data, the demo and the presets,
    no Python file names the reference program's home country, its partners or its roles."""
    found = [
        f"{f.relative_to(SRC)}:{n}: {line.strip()}"
        for f in sorted(SRC.rglob("*.py"))
        if f.relative_to(SRC).parts[0] not in PROGRAM_FREE_EXEMPT and f not in FORMAT_HISTORY
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1)
        if ONE_PROGRAM.search(line)
    ]
    assert found == [], "\n".join(found)


def test_the_program_free_check_would_catch_a_program_rule() -> None:
    assert ONE_PROGRAM.search('if lead.country != "JPN":')
    assert ONE_PROGRAM.search("the Japanese-side lead")
    assert not ONE_PROGRAM.search("config.home_country")
