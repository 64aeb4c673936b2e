"""`screen users ...`: the web page's sign-in accounts (username and password), managed by an admin."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cli._ui import Json, err, errors_to_exit, out
from cli.workflow import workflow
from screening.config import Settings
from screening.errors import InputError
from screening.roles import ROLES

if TYPE_CHECKING:
    from screening.accounts import Accounts

users_app = typer.Typer(help="Sign-in accounts for the web page (/web): username, password, role.",
                        no_args_is_help=True)
PASSWORD_ENV = "SCREENING_NEW_PASSWORD"  # for scripts: the password without a prompt (never an argument: ps shows those)


def _accounts() -> Accounts:
    from screening.accounts import Accounts  # with the database layer, only for these commands

    s = Settings.from_env()
    return Accounts(workflow().store, idle_seconds=s.session_idle, max_seconds=s.session_max)


def _password() -> str:
    given = os.environ.get(PASSWORD_ENV)
    if given:
        return given
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\n")
        if not line:
            raise InputError(f"no password: type it at the prompt, pipe it on stdin, or set {PASSWORD_ENV}")
        return line
    return typer.prompt("password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="The name they sign in with.")],
    role: Annotated[str, typer.Option(help=" | ".join(ROLES))] = "screener",
    person: Annotated[str | None, typer.Option(help="The person (decisions are theirs); default: the username.")] = None,
) -> None:
    """Create an account; the password is prompted for (or read from stdin or SCREENING_NEW_PASSWORD)."""
    with errors_to_exit():
        user = _accounts().create_user(username, role, _password(), person=person)
    err.print(f"created user {user['username']!r} role {user['role']} (person:{user['person']})", highlight=False)


@users_app.command("passwd")
def users_passwd(username: Annotated[str, typer.Argument(help="Account name.")]) -> None:
    """Set a new password; the account's open sessions end."""
    with errors_to_exit():
        _accounts().set_password(username, _password())
    err.print(f"password of {username!r} changed; its sessions ended", highlight=False)


@users_app.command("role")
def users_role(username: Annotated[str, typer.Argument(help="Account name.")],
               role: Annotated[str, typer.Argument(help=" | ".join(ROLES))]) -> None:
    """Change an account's role (in force from its next request)."""
    with errors_to_exit():
        _accounts().set_role(username, role)
    err.print(f"{username!r} now has role {role}", highlight=False)


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="Account name.")]) -> None:
    """Disable an account: its sessions end and it can no longer sign in."""
    with errors_to_exit():
        _accounts().disable_user(username)
    err.print(f"disabled {username!r}", highlight=False)


@users_app.command("enable")
def users_enable(username: Annotated[str, typer.Argument(help="Account name.")]) -> None:
    """Enable a disabled account again."""
    with errors_to_exit():
        _accounts().enable_user(username)
    err.print(f"enabled {username!r}", highlight=False)


@users_app.command("list")
def users_list(as_json: Json = False) -> None:
    """List accounts (names, roles, persons; never passwords)."""
    with errors_to_exit():
        users = _accounts().list_users()
    if as_json:
        sys.stdout.write(json.dumps(users) + "\n")
        return
    table = Table()
    for col in ("username", "role", "person", "created", "password set", "disabled"):
        table.add_column(col)
    for u in users:
        table.add_row(u["username"], u["role"], u["person"], u["created_at"] or "", u["password_set_at"] or "",
                      u["disabled_at"] or "")
    out.print(table)
