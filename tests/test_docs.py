"""The README teaches the tool as it is: every command is documented, and its transcripts name the seed
watchlist version the repository ships (a stale transcript is a wrong answer for a newcomer)."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from cli.main import app
from screening.watchlist import Watchlist

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: typer.Typer, prefix: str = "screen") -> list[str]:
    click_group = typer.main.get_command(group)
    out = []

    def walk(cmd, path: str) -> None:
        subs = getattr(cmd, "commands", None)
        if not subs:
            out.append(path)
            return
        for name, sub in sorted(subs.items()):
            walk(sub, f"{path} {name}")

    walk(click_group, prefix)
    return out


def test_every_cli_command_is_in_the_readme() -> None:
    commands = _commands(app)
    assert len(commands) > 20  # the walk found the sub-commands, not just the groups
    missing = [c for c in commands if c not in README]
    assert not missing, f"commands the README never shows: {missing}"


def test_readme_transcripts_name_the_shipped_seed_version() -> None:
    version = Watchlist(ROOT / "watchlists" / "seed.wl").version
    quoted = set(re.findall(r"seed ([0-9a-f]{16})\b", README)) | set(
        re.findall(r'"id": ?"seed", ?"version": ?"([0-9a-f]{16})"', README)) | set(
        re.findall(r"\bseed,([0-9a-f]{16}),", README))
    assert quoted, "the README quotes no seed watchlist version"
    assert quoted == {version}, f"README quotes seed versions {sorted(quoted)}; watchlists/seed.wl is {version}"
