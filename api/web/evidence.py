"""How a hit's explanation is shown: each normalised token of both names marked matched, fuzzy or unmatched.

Pure presentation of what the matcher already decided (`Hit.explanation`); no scoring happens here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EXACT = 0.999  # a similarity at or above this is shown as an exact match


@dataclass(frozen=True)
class Token:
    text: str
    mark: str  # matched | fuzzy | unmatched | ignored (a legal form or other word the matcher did not compare)
    partner: str = ""  # the token on the other side it was aligned with
    similarity: float | None = None

    @property
    def title(self) -> str:
        if self.mark in ("matched", "fuzzy"):
            return f"{self.mark}: {self.partner} ({self.similarity:.2f})"
        if self.mark == "unmatched":
            return "unmatched: no counterpart on the other side"
        return "not compared (legal form or common word)"


def _decompose(token: str, parts: dict[str, tuple[str, float]]) -> tuple[str, float] | None:
    """A token written as several aligned pieces on the other side ("3hc" = "3" + "hc"): partner and similarity."""
    if token in parts:
        return parts[token]
    for piece in sorted(parts, key=len, reverse=True):
        if piece and token.startswith(piece) and len(piece) < len(token):
            rest = _decompose(token[len(piece):], parts)
            if rest is not None:
                return f"{parts[piece][0]} {rest[0]}", min(parts[piece][1], rest[1])
    return None


def _side(normalised: str, pairs: list[tuple[str, str, float]], unmatched: list[str]) -> list[Token]:
    parts: dict[str, tuple[str, float]] = {}
    for own, other, sim in pairs:
        for piece in own.split():
            parts.setdefault(piece, (other, sim))
        parts.setdefault(own.replace(" ", ""), (other, sim))
    missing = set(unmatched)
    out = []
    for tok in normalised.split():
        found = _decompose(tok, parts)
        if found is not None:
            partner, sim = found
            out.append(Token(tok, "matched" if sim >= EXACT else "fuzzy", partner, sim))
        elif tok in missing:
            out.append(Token(tok, "unmatched"))
        else:
            out.append(Token(tok, "ignored"))
    return out


def marked_tokens(explanation: dict[str, Any]) -> dict[str, list[Token]]:
    """{"query": [...], "name": [...]}: both normalised names, token by token, with their marks."""
    pairs = [(str(m.get("query", "")), str(m.get("name", "")), float(m.get("similarity", 0.0)))
             for m in explanation.get("matched_tokens") or []]
    return {
        "query": _side(str(explanation.get("query_normalised", "")), pairs,
                       list(explanation.get("unmatched_query_tokens") or [])),
        "name": _side(str(explanation.get("name_normalised", "")), [(n, q, s) for q, n, s in pairs],
                      list(explanation.get("unmatched_name_tokens") or [])),
    }
