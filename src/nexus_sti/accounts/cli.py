"""``nexus accounts``: create, list and deactivate accounts; mint API tokens.

Each command imports the service and storage it uses when it runs (SQLAlchemy is most of a
second to import), so that ``--help`` answers at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table

from nexus_sti.core.access import Role
from nexus_sti.core.errors import NotFound
from nexus_sti.platform.clictx import cli_actor, console, migrated_platform

app = typer.Typer(help="Accounts and API tokens.", no_args_is_help=True)
PasswordOption = Annotated[
    str,
    typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="12+ characters."),
]


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="Login name: lower-case letters, digits, . _ -")],
    role: Annotated[Role, typer.Option(help="The account's role.")],
    display_name: Annotated[str, typer.Option("--name", help="Name shown in the platform.")],
    email: Annotated[str, typer.Option(help="E-mail address.")],
    country: Annotated[
        str | None, typer.Option(help="ISO 3166 alpha-3; required for funding partners.")
    ] = None,
    password: PasswordOption = "",
) -> None:
    """Create an account (asks for the password unless --password is given)."""
    from nexus_sti.accounts import service
    from nexus_sti.platform.db import utcnow

    platform = migrated_platform()
    with platform.session() as session:
        user = service.create_user(
            session,
            actor=cli_actor(),
            hasher=platform.hasher,
            username=username,
            password=password,
            role=role.value,
            display_name=display_name,
            email=email,
            country=country,
            now=utcnow(),
        )
        console.print(f"created {user.username} ({user.role})")


@app.command("password")
def set_password(
    username: Annotated[str, typer.Argument(help="The account.")],
    password: PasswordOption = "",
) -> None:
    """Set an account's password; every login session the account had ends."""
    from nexus_sti.accounts import service
    from nexus_sti.platform.db import utcnow

    platform = migrated_platform()
    with platform.session() as session:
        service.set_password(
            session,
            actor=cli_actor(),
            hasher=platform.hasher,
            username=username,
            password=password,
            now=utcnow(),
        )
        console.print(f"password set for {username}; its sessions have ended")


@app.command("list")
def list_accounts() -> None:
    """List every account with its role and country."""
    from nexus_sti.accounts import service

    platform = migrated_platform()
    with platform.session() as session:
        table = Table("username", "name", "role", "country", "active", "synthetic")
        for u in service.list_users(session, actor=cli_actor()):
            table.add_row(
                u.username,
                u.display_name,
                u.role,
                u.country or "",
                "yes" if u.active else "no",
                "yes" if u.synthetic else "",
            )
        console.print(table)


@app.command("link")
def link(
    username: Annotated[str, typer.Argument(help="The account.")],
    researcher: Annotated[
        int | None, typer.Option(help="The researcher profile's id (see the review area).")
    ] = None,
    unlink: Annotated[bool, typer.Option("--unlink", help="Remove the account's link.")] = False,
) -> None:
    """Link an account to a researcher profile, so it reviews or applies as that researcher."""
    from nexus_sti.accounts import service
    from nexus_sti.platform.db import utcnow

    if (researcher is None) == (not unlink):
        raise typer.BadParameter("give --researcher ID, or --unlink")
    platform = migrated_platform()
    with platform.session() as session:
        user = service.link_researcher(
            session, actor=cli_actor(), username=username, researcher_id=researcher, now=utcnow()
        )
        linked = f"researcher {user.researcher_id}" if user.researcher_id else "no researcher"
        console.print(f"{username} is now linked to {linked}")


@app.command("deactivate")
def deactivate(username: Annotated[str, typer.Argument(help="The account to deactivate.")]) -> None:
    """Deactivate an account: it can no longer log in or use its tokens."""
    from nexus_sti.accounts import service
    from nexus_sti.platform.db import utcnow

    platform = migrated_platform()
    with platform.session() as session:
        service.deactivate_user(session, actor=cli_actor(), username=username, now=utcnow())
        console.print(f"deactivated {username}")


@app.command("token")
def token(
    username: Annotated[str, typer.Argument(help="Whose token.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    days: Annotated[
        int | None, typer.Option(help="Days valid (default NEXUS_TOKEN_TTL_DAYS).")
    ] = None,
) -> None:
    """Mint an API token for USERNAME and print it once."""
    from sqlalchemy import select

    from nexus_sti.accounts import service
    from nexus_sti.accounts.tables import User
    from nexus_sti.platform.db import utcnow

    platform = migrated_platform()
    with platform.session() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound("user", username)
        issued = service.create_api_token(
            session,
            user=user,
            name=name,
            ttl=timedelta(days=days or platform.settings.token_ttl_days),
            now=utcnow(),
            actor=cli_actor(),
        )
        console.print(issued.token, soft_wrap=True, highlight=False)
        console.print(
            f"[dim]valid until {issued.expires_at:%Y-%m-%d %H:%M} UTC; shown only once[/dim]"
        )
