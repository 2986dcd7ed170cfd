"""Storage on a real SQLite file and a real PostgreSQL server: migrations, drift, append-only
audit, and names in every script of the region."""

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError

from nexus_sti.core.access import Actor
from nexus_sti.core.errors import Conflict
from nexus_sti.people.tables import Organisation, Researcher
from nexus_sti.platform import db
from nexus_sti.platform.auditlog import AuditEntry, record
from nexus_sti.platform.context import Platform
from tests.conftest import Backend

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def test_models_and_migrations_do_not_drift(platform: Platform) -> None:
    with platform.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.import_all_tables())
    assert diff == [], f"models differ from migrations; add a migration: {diff}"


def test_the_head_read_from_the_files_is_alembics_and_the_revision_its_own(
    backend: Backend,
) -> None:
    """Commands check the schema without importing alembic (0.5 s at every start): the head and
    the current revision they read must be alembic's."""
    from alembic.script import ScriptDirectory

    engine = db.make_engine(backend.empty())
    assert db.current_revision(engine) is None
    script = ScriptDirectory.from_config(db.alembic_config(engine))
    assert db.head_revision() == script.get_current_head()
    db.upgrade(engine, "0003")
    with engine.connect() as conn:
        assert (
            db.current_revision(engine) == MigrationContext.configure(conn).get_current_revision()
        )
    assert db.current_revision(engine) == "0003" != db.head_revision()
    engine.dispose()


def test_upgrade_downgrade_upgrade_from_empty(backend: Backend) -> None:
    engine = db.make_engine(backend.empty())
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision(engine)
    assert "audit_entries" in inspect(engine).get_table_names()
    db.downgrade(engine, "base")
    assert "audit_entries" not in inspect(engine).get_table_names()
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision(engine)
    engine.dispose()


def test_audit_log_is_append_only_in_orm_and_database(platform: Platform) -> None:
    with platform.session() as s:
        entry = record(
            s,
            action="test.recorded",
            actor=Actor.system(),
            subject_type="thing",
            subject_id=1,
            inputs={"a": 1},
            now=NOW,
        )
        s.commit()
        entry.action = "test.rewritten"
        with pytest.raises(Conflict, match="append-only"):
            s.flush()
        s.rollback()
    with platform.engine.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("UPDATE audit_entries SET action = 'x'"))
        conn.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("DELETE FROM audit_entries"))
        conn.rollback()
    with platform.session() as s:
        assert s.scalars(select(AuditEntry.action)).all() == ["test.recorded"]


NAMES = {
    "JPN": "佐藤 健",
    "THA": "สมชาย ใจดี",
    "VNM": "Nguyễn Thị Lan",
    "KHM": "សុខ ដារ៉ា",
    "LAO": "ສົມພອນ ແກ້ວມະນີ",
    "MMR": "အောင်ကျော်",
}


def test_names_in_every_script_round_trip(platform: Platform) -> None:
    with platform.session() as s:
        org = Organisation(name="Test Institute", country="JPN", kind="institute")
        s.add(org)
        s.flush()
        for iso3, name in NAMES.items():
            s.add(
                Researcher(
                    organisation_id=org.id,
                    country=iso3,
                    name_local=name,
                    name_latin="x",
                    name_script="Zyyy",
                    sort_name=name,
                    email=f"{iso3}@example.org",
                    areas=["ai"],
                    career_stage="mid",
                )
            )
        s.commit()
    with platform.session() as s:
        stored = dict(s.execute(select(Researcher.country, Researcher.name_local)).all())
        assert stored == NAMES
        found = s.scalar(select(Researcher.country).where(Researcher.name_local.like("%ใจดี%")))
        assert found == "THA"


def test_overrides_of_renamed_rules_keep_applying_after_the_upgrade(
    demo_platform: Platform,
) -> None:
    """Migration 0007: an officer's override stored under a rule's old, program-specific id
    (``consortium.japan_lead``) is found under the rule's new id after the upgrade, and the
    downgrade gives the old id back."""
    engine = demo_platform.engine
    db.downgrade(engine, "0006")
    with engine.begin() as conn:
        proposal = conn.execute(text("SELECT min(id) FROM proposals")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO eligibility_overrides (proposal_id, rule_id, passed, justification,"
                " decided_by_label, decided_at) VALUES (:p, 'consortium.japan_lead', true,"
                " 'lead confirmed by letter', 'officer', :at)"
            ),
            {"p": proposal, "at": NOW},
        )
    db.upgrade(engine)
    with engine.connect() as conn:
        ids = conn.execute(text("SELECT rule_id FROM eligibility_overrides")).scalars().all()
    assert ids == ["consortium.lead"]
    db.downgrade(engine, "0006")
    with engine.connect() as conn:
        ids = conn.execute(text("SELECT rule_id FROM eligibility_overrides")).scalars().all()
    assert ids == ["consortium.japan_lead"]
    db.upgrade(engine)
