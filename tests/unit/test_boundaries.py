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
    *(
        SRC / "review" / f"{m}.py"
        for m in ("forms", "ranking", "batch", "scoring", "assignment_model")
    ),
    *(SRC / "selection" / f"{m}.py" for m in ("model", "problem_io", "publish", "workflow")),
    SRC / "review" / "workflow.py",
    SRC / "proposals" / "workflow.py",
    *(
        SRC / "proposals" / f"{m}.py"
        for m in ("model", "eligibility", "attachments", "transfer", "forms")
    ),
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
            "plan",
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
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_pure_modules_import_no_shell() -> None:
    missing = [str(p.relative_to(SRC)) for p in PURE if not p.exists()]
    assert not missing, f"listed as pure but gone (renamed?): {missing}"
    files = [f for p in PURE for f in ([p] if p.is_file() else p.rglob("*.py"))]
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
ONE_PROGRAM = re.compile(r"\bJPN\b|Japan|ASEAN_MEMBERS|lead_jp|lead_ams")


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
    assert ONE_PROGRAM.search('e.g. "lead from JPN"')  # a docstring example counts too
    assert not ONE_PROGRAM.search("config.home_country")


# The layers, lowest first; a package may import its own layer and the ones below.
INFRASTRUCTURE = {"core": 0, "algorithms": 0, "reference": 0, "platform": 1}
TOP = {"demo": 3, "app": 4}
CONTEXT_LAYER = 2


def _layer(package: str) -> int:
    return INFRASTRUCTURE.get(package, TOP.get(package, CONTEXT_LAYER))


def package_imports() -> dict[tuple[str, str], set[str]]:
    """(importing package, imported package) -> the files that import it (their first names
    below ``nexus_sti``), for every package of ``nexus_sti``."""
    edges: dict[tuple[str, str], set[str]] = {}
    for f in SRC.rglob("*.py"):
        rel = f.relative_to(SRC)
        if len(rel.parts) < 2 or "migrations" in rel.parts:
            continue
        for name in imports_of(f):
            parts = name.split(".")
            ours = parts[0] == "nexus_sti" and len(parts) > 1 and (SRC / parts[1]).is_dir()
            if ours and parts[1] != rel.parts[0]:
                edges.setdefault((rel.parts[0], parts[1]), set()).add(str(rel))
    return edges


def test_packages_import_only_downwards_and_contexts_form_no_cycle() -> None:
    """core < platform < contexts < demo < app, and no cycle among the contexts: the data flow
    (needs -> programs -> calls -> proposals -> review -> selection) reads in the imports."""
    edges = package_imports()
    upward = [
        f"{a} -> {b} ({', '.join(sorted(files))})"
        for (a, b), files in edges.items()
        if _layer(b) > _layer(a)
    ]
    assert upward == [], "\n".join(upward)
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        if _layer(a) == _layer(b) == CONTEXT_LAYER:
            graph.setdefault(a, set()).add(b)
    seen: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph.get(node, ())):
            assert seen.get(nxt) != 1, f"import cycle: {' -> '.join([*path, node, nxt])}"
            if nxt not in seen:
                visit(nxt, [*path, node])
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node, [])


def runtime_imports_of(path: Path) -> set[str]:
    """The modules a file imports when it runs: those under ``if TYPE_CHECKING:`` (names used
    in annotations only, which read no table) are left out."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test).endswith("TYPE_CHECKING")
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_no_new_context_reads_another_contexts_tables() -> None:
    """A context uses another's data through its service or queries module; the other
    context's table classes may appear in annotations only (under ``TYPE_CHECKING``)."""
    reads = set()
    for f in SRC.rglob("*.py"):
        rel = f.relative_to(SRC)
        if len(rel.parts) < 2 or _layer(rel.parts[0]) != CONTEXT_LAYER:
            continue
        for name in runtime_imports_of(f):
            parts = name.split(".")
            if len(parts) > 2 and parts[2] == "tables" and parts[1] != rel.parts[0]:
                reads.add((rel.parts[0], parts[1]))
    assert not reads, f"contexts reading another context's tables: {sorted(reads)}"


# Where each job lives in a context, whatever the context: the same file names everywhere.
JOB_FILES = {
    "table classes": ("tables",),
    "web routers": ("api", "pages"),
    "command groups": ("cli",),
}


def _jobs_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    jobs = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(ast.unparse(b) == "Base" for b in node.bases):
            jobs.add("table classes")
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "APIRouter":
            jobs.add("web routers")
        if isinstance(node, ast.Call) and ast.unparse(node.func) in ("typer.Typer", "Typer"):
            jobs.add("command groups")
    return jobs


def test_each_job_lives_in_the_file_of_its_name() -> None:
    """Tables in ``tables.py``, routes in ``api``/``pages``, command groups in ``cli.py``, and
    the API's request shapes in ``schemas.py`` (not inline in the routes)."""
    misplaced = []
    for f in SRC.rglob("*.py"):
        rel = f.relative_to(SRC)
        if len(rel.parts) < 2 or _layer(rel.parts[0]) != CONTEXT_LAYER:
            continue
        names = {rel.parts[1].removesuffix(".py"), f.stem}
        for job in _jobs_in(f):
            if not names & set(JOB_FILES[job]):
                misplaced.append(f"{rel}: {job}")
        if names & {"api", "pages"} and re.search(r"^class \w+\(BaseModel\)", f.read_text(), re.M):
            misplaced.append(f"{rel}: API shapes belong in schemas.py")
    assert not misplaced, misplaced
