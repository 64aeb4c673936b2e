"""Safe streaming XML: no DTD entities, no external references, errors that name file and line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse as _iterparse

from ..errors import SourceError, UnsafeXMLError


def local(tag: str) -> str:
    """Tag name without its {namespace}."""
    return tag.rsplit("}", 1)[-1]


def iter_elements(path: Path, tags: set[str]) -> Iterator[Element]:
    """Yield each completed element whose local name is in `tags`, then clear it.

    Entity declarations (billion laughs), external entities and DTD-fetches are refused.
    """
    try:
        for _event, elem in _iterparse(
            str(path), events=("end",), forbid_dtd=False, forbid_entities=True, forbid_external=True
        ):
            if local(elem.tag) in tags:
                yield elem
                elem.clear()
    except DefusedXmlException as exc:
        raise UnsafeXMLError(f"{path}: unsafe XML refused ({type(exc).__name__}: {exc})") from exc
    except ParseError as exc:
        line, col = exc.position
        raise SourceError(f"{path}: XML is malformed or truncated at line {line}, column {col}: {exc}") from exc


def text(elem: Element | None) -> str:
    return (elem.text or "").strip() if elem is not None else ""


def child_text(elem: Element, name: str) -> str:
    for child in elem:
        if local(child.tag) == name:
            return text(child)
    return ""


def children(elem: Element, name: str) -> list[Element]:
    return [c for c in elem if local(c.tag) == name]
