"""Account use cases on SQLite and PostgreSQL: validation, login, tokens, audit."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from nexus_sti.accounts import service
from nexus_sti.core.access import Actor, Role
from nexus_sti.core.errors import Conflict, InvalidInput, PermissionDenied, Unauthenticated
from nexus_sti.platform.auditlog import AuditEntry
from nexus_sti.platform.context import Platform

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
SYSTEM = Actor.system("test")


def make_user(platform: Platform, username: str = "somchai", **kw: object) -> int:
    args: dict[str, object] = {
        "password": "correct horse battery",
        "role": "applicant",
        "display_name": "สมชาย ใจดี",
        "email": f"{username}@example.org",
    } | kw
    with platform.session() as s:
        user = service.create_user(
            s,
            actor=SYSTEM,
            hasher=platform.hasher,
            username=username,
            now=NOW,
            **args,  # type: ignore[arg-type]
        )
        return user.id


def audit_count(platform: Platform) -> int:
    with platform.session() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_create_and_log_in_keeps_thai_name(platform: Platform) -> None:
    make_user(platform)
    with platform.session() as s:
        user = service.authenticate(
            s, hasher=platform.hasher, username="somchai", password="correct horse battery"
        )
        assert user.display_name == "สมชาย ใจดี"
        assert user.password_hash.startswith("$argon2id$")
        with pytest.raises(Unauthenticated, match="unknown username or wrong password"):
            service.authenticate(s, hasher=platform.hasher, username="somchai", password="nope")


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"password": "short"}, "password"),
        ({"role": "superuser"}, "role"),
        ({"email": "no-at-sign"}, "email"),
        ({"role": "funding_partner"}, "country"),
        ({"role": "funding_partner", "country": "FRA"}, "country"),
    ],
)
def test_bad_input_names_field_and_changes_nothing(
    platform: Platform, kw: dict[str, object], field: str
) -> None:
    before = audit_count(platform)
    with pytest.raises(InvalidInput) as caught:
        make_user(platform, **kw)
    assert caught.value.field == field
    assert audit_count(platform) == before
    with platform.session() as s:
        assert service.list_users(s, actor=SYSTEM) == []


def test_duplicate_username_is_a_conflict(platform: Platform) -> None:
    make_user(platform)
    with pytest.raises(Conflict, match="taken"):
        make_user(platform)


def test_only_admins_manage_accounts(platform: Platform) -> None:
    officer = Actor(user_id=99, username="o", role=Role.OFFICER)
    with platform.session() as s, pytest.raises(PermissionDenied, match="Administrator may"):
        service.create_user(
            s,
            actor=officer,
            hasher=platform.hasher,
            username="x1",
            password="long enough password",
            role="admin",
            display_name="X",
            email="x@example.org",
            now=NOW,
        )


def test_create_writes_one_audit_entry_in_the_same_transaction(platform: Platform) -> None:
    user_id = make_user(platform, "nguyen", display_name="Nguyễn Thị Lan")
    with platform.session() as s:
        entries = s.scalars(select(AuditEntry)).all()
    assert [(e.action, e.subject_id, e.actor_label) for e in entries] == [
        ("account.created", str(user_id), "test")
    ]
    assert len(entries[0].inputs_digest) == 64


def test_tokens_resolve_expire_and_die_with_the_account(platform: Platform) -> None:
    make_user(platform)
    with platform.session() as s:
        user = service.authenticate(
            s, hasher=platform.hasher, username="somchai", password="correct horse battery"
        )
        issued = service.create_api_token(
            s, user=user, name="script", ttl=timedelta(days=1), now=NOW
        )
        assert issued.token.startswith("nxs_")
        assert service.user_for_token(s, token=issued.token, now=NOW).username == "somchai"
        with pytest.raises(Unauthenticated, match="expired"):
            service.user_for_token(s, token=issued.token, now=NOW + timedelta(days=2))
        with pytest.raises(Unauthenticated, match="unknown"):
            service.user_for_token(s, token=issued.token + "x", now=NOW)
    make_user(platform, "boss", role="admin")
    with platform.session() as s:
        boss = Actor(user_id=2, username="boss", role=Role.ADMIN)
        service.deactivate_user(s, actor=boss, username="somchai", now=NOW)
        with pytest.raises(Unauthenticated, match="deactivated"):
            service.user_for_token(s, token=issued.token, now=NOW)
        with pytest.raises(Unauthenticated):
            service.authenticate(
                s, hasher=platform.hasher, username="somchai", password="correct horse battery"
            )


def test_an_admin_links_an_account_to_one_researcher_and_it_is_audited(
    demo_platform: Platform,
) -> None:
    from nexus_sti.accounts.tables import User
    from nexus_sti.core.errors import NotFound
    from nexus_sti.people.tables import Researcher

    admin = Actor(user_id=None, username="admin", role=Role.ADMIN)
    officer = Actor(user_id=None, username="officer", role=Role.OFFICER)
    with demo_platform.session() as s:
        taken = s.scalar(select(User.researcher_id).where(User.username == "reviewer"))
        free = s.scalar(
            select(Researcher.id).where(Researcher.id != taken).order_by(Researcher.id).limit(1)
        )
        assert taken is not None and free is not None
        with pytest.raises(PermissionDenied):
            service.link_researcher(
                s, actor=officer, username="analyst", researcher_id=free, now=NOW
            )
        with pytest.raises(NotFound):
            service.link_researcher(
                s, actor=admin, username="analyst", researcher_id=10**9, now=NOW
            )
        with pytest.raises(Conflict) as clash:
            service.link_researcher(
                s, actor=admin, username="analyst", researcher_id=taken, now=NOW
            )
        assert "already linked to account reviewer" in clash.value.message
        linked = service.link_researcher(
            s, actor=admin, username="analyst", researcher_id=free, now=NOW
        )
        assert linked.researcher_id == free
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "account.researcher_linked"))
        assert entry is not None and entry.summary["researcher"] == free
        unlinked = service.link_researcher(
            s, actor=admin, username="analyst", researcher_id=None, now=NOW
        )
        assert unlinked.researcher_id is None
