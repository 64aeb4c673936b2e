"""Compile entities into a watchlist artifact, and load it back as the matcher's arrays."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from . import artifact, keyindex, linking, ngrams, scripts, stage2
from .errors import WatchlistError
from .model import TYPE_CODES, Alias, Entity
from .normalise import NameForm, name_form, own_acronyms, to_ascii
from .weights import PRIOR_PATH, TokenWeights, load_prior  # noqa: F401 (PRIOR_PATH: scripts/make_token_prior.py)

# Any change to the normaliser's code or tables changes every compiled name: fold it into the version.
NORMALISER_VERSION = "n-" + hashlib.sha256(
    b"".join(Path(__file__).with_name(f).read_bytes() for f in ("normalise.py", "scripts.py", "ngrams.py"))
).hexdigest()[:8]
# ...and so does any change to the rules that link listings across lists, to the name comparison the date rule
# scores with, or to the word weights it scores with.
LINKER_VERSION = "l-" + hashlib.sha256(b"".join(
    Path(__file__).with_name(f).read_bytes() if f.endswith(".py") else (Path(__file__).parent / "data" / f).read_bytes()
    for f in ("linking.py", "scoring.py", "weights.py", "token_prior.tsv", "generic_words.txt", "place_words.txt")
)).hexdigest()[:8]
FORMAT = "names+grams+ids+groups-4"  # what the sections hold; part of the content hash (4: vocab_df counts legal-form words)
TYPE_NAMES = {v: k for k, v in TYPE_CODES.items()}
WEAK, PRIMARY, SCRIPT = 1, 2, 4
COMMON_GRAM_SHARE = 0.1  # grams in more than this share of names are left out of query vectors


@dataclass
class SourceInfo:
    """One list in an artifact: its namespace, format, entity count, own date, files and what was lost."""

    source: str
    format: str
    entities: int
    list_date: str | None = None
    files: list[str] = field(default_factory=list)
    dataset: str = ""  # which list of the namespace (see sources.ListData.dataset); the source by default
    warnings: list[str] = field(default_factory=list)
    sequence: int | None = None  # highest entity number, for lists numbered in sequence (OFAC)
    version: str = ""  # the list date, or "sha-" and a hash of the list's entities (set at compile)

    def __post_init__(self) -> None:
        self.dataset = self.dataset or self.source


MIN_IDENTIFIER = 5  # shorter identifier values ("12") match too much to count on their own


def identifier_key(value: str) -> str:
    """An identifier as compared: letters and digits only, upper case ("IMO 9187629" -> "IMO9187629")."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


def entity_hash(e: Entity) -> str:
    """Hash of what makes a listing the same listing: names, aliases, identifiers, programmes."""
    key = json.dumps(
        [e.name, sorted((a.name, a.kind, a.weak) for a in e.aliases),
         sorted((i.kind, i.value, i.country or "") for i in e.identifiers), sorted(e.programs)],
        ensure_ascii=False,
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def with_acronyms(names: list[Alias]) -> list[tuple[Alias, str]]:
    """`names`, each with the text it is shown as, and after them the two other forms of a name that carries a
    bracketed acronym of its own words.

    The normaliser drops "(KOMID)" from "KOREA MINING DEVELOPMENT TRADING CORPORATION (KOMID)" on both sides (it
    repeats the words). Kept beside it: the name with the acronym as a word, for queries that write it unbracketed
    or whose reordered words no longer spell it ("RELIEF GLOBAL FOUNDATION (GRF)"), shown as listed; and the
    acronym alone, weak: "HTC" or "MMT" names a thousand firms, so it alerts only as a near-exact match of four
    letters or more (matcher.weak_alias)."""
    out = [(n, n.name) for n in names]
    for n in names:
        stripped, found = own_acronyms(n.name)
        if not found:
            continue
        words = n.name
        for a in found:
            words = re.sub(r"[(\[]\s*" + re.escape(a) + r"\s*[)\]]", " " + a + " ", words, count=1)
        out.append((Alias(name=" ".join(words.split()), kind="aka", weak=n.weak, script=n.script), n.name))
        out += [(Alias(name=a, kind="acronym", weak=True), a) for a in found]
    return out


def compile_watchlist(
    entities: Iterable[Entity], path: Path, *, watchlist_id: str, sources: list[SourceInfo],
    entity_list: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Normalise every name of every entity once, link listings of one entity across lists, and write the
    artifact to `path`. The same entities and sources give the same bytes, in any order.

    `entity_list` maps an entity id to the dataset of its list in `sources` (default: the first of its source).
    """
    ents = sorted(entities, key=lambda e: e.entity_id)
    sources = sorted(sources, key=lambda s: (s.source != "seed", s.dataset))
    list_of = {s.dataset: i for i, s in enumerate(sources)}
    first_of_source: dict[str, int] = {}
    for i, s in enumerate(sources):
        first_of_source.setdefault(s.source, i)
    entity_list = entity_list or {}
    seen: set[str] = set()
    for e in ents:
        if e.entity_id in seen:
            raise WatchlistError(f"duplicate entity id {e.entity_id!r}")
        seen.add(e.entity_id)
    ent_json = [e.model_dump_json(exclude_defaults=True) for e in ents]
    ent_hashes = [entity_hash(e) for e in ents]
    links = linking.link(ents)
    list_index = [list_of.get(entity_list.get(e.entity_id, ""), first_of_source.get(e.source, 0)) for e in ents]
    name_entity, flags, display, full, core = [], [], [], [], []
    df: Counter[str] = Counter()
    for i, e in enumerate(ents):
        # One copy per token multiset: "PUTIN, Vladimir" and "Vladimir PUTIN" score the same.
        best: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}  # (sorted tokens, legal) -> position
        tokens: set[str] = set()
        for alias, shown in with_acronyms(e.all_names()):
            form = name_form(alias.name, person=e.type == "person")
            if not form.full:
                continue
            flag = (WEAK if alias.weak else 0) | (PRIMARY if alias.kind == "primary" else 0)
            flag |= SCRIPT if (alias.kind == "script" or not alias.name.isascii() and alias.script) else 0
            tokens.update(form.tokens)
            # and the words its legal form was read from: "obschestvo" or "sp z o o" are stripped from every
            # name that writes them as a legal form, so counted on the names' cores alone, they would weigh as
            # rare, distinctive words wherever a name writes them otherwise ("OBSCHESTVO AKTSIONERNOE X")
            # (not single letters: "S.A.", "B.V." would make every initial of a person's name weigh less)
            if form.legal:
                tokens.update(w for w in to_ascii(alias.name).split() if len(w) > 1)
            key = (tuple(sorted(form.tokens)), form.legal)
            if key in best:  # keep one copy of a form; a strong listing beats a weak one
                j = best[key]
                if flags[j] & WEAK and not alias.weak:
                    flags[j] = flag
                    display[j] = shown
                continue
            best[key] = len(full)
            name_entity.append(i)
            flags.append(flag)
            display.append(" ".join(shown.split()))
            full.append(form.full)
            core.append(form.core)
        df.update(tokens)
    vocab = sorted(df)
    # each list's version: its own date where it has one, else a hash of what it holds here
    for k, info in enumerate(sources):
        if not info.version:
            h = hashlib.sha256()
            for i, j in enumerate(ent_json):
                if list_index[i] == k:
                    h.update(j.encode())
            info.version = info.list_date or "sha-" + h.hexdigest()[:12]
    source_dicts = [s.__dict__ for s in sources]
    digest = hashlib.sha256((NORMALISER_VERSION + LINKER_VERSION + FORMAT).encode())
    digest.update(json.dumps(source_dicts, sort_keys=True).encode())
    for j in ent_json:
        digest.update(j.encode())
        digest.update(b"\n")
    version = digest.hexdigest()[:16]
    # No build time: the same inputs give the same bytes. Each list carries its own date.
    header = {
        "id": watchlist_id,
        "version": version,
        "sha256": digest.hexdigest(),
        "normaliser": NORMALISER_VERSION,
        "key_index": keyindex.VERSION,  # the code that built the keys.* sections (Watchlist refuses others)
        "token_table": stage2.TABLE_VERSION,  # ...and the tokens.* sections (others are not used: rebuilt)
        "skeleton_postings": list(keyindex.SKELETON_DEFAULTS),  # the parameters of the skeleton.* sections
        "entities": len(ents),
        "names": len(full),
        "linked_entities": len(links.members),
        "links": links.summary(),
        "sources": source_dicts,
    }
    sections: dict[str, np.ndarray] = {}
    for key, values in {
        "entity_json": ent_json,
        "entity_id": [e.entity_id for e in ents],
        "entity_countries": [";".join(e.countries) for e in ents],
        "entity_hash": ent_hashes,
        "group_id": [ents[m[0]].entity_id for m in links.members],
        "group_hash": [linking.group_hash(ent_hashes[i] for i in m) for m in links.members],
        "entity_dates": [";".join(e.dates) for e in ents],
        "name_display": display,
        "name_full": full,
        "name_core": core,
        "vocab": vocab,
    }.items():
        sections[f"{key}.blob"], sections[f"{key}.offsets"] = artifact.pack_strings(values)
    gram_vocab, gram_idf, names_t = ngrams.build(core)
    sections["gram_vocab.blob"], sections["gram_vocab.offsets"] = artifact.pack_strings(gram_vocab)
    sections["gram_idf"] = gram_idf
    idx_type = np.int32 if names_t.nnz < 2**31 - 1 else np.int64  # one dtype for both, so loading copies nothing
    sections["grams_indptr"] = names_t.indptr.astype(idx_type)
    sections["grams_indices"] = names_t.indices.astype(idx_type)
    sections["grams_data"] = names_t.data.astype(np.float32)
    sections.update(keyindex.sections(core, artifact.pack_strings))  # mapped by each process, not built
    sections.update(stage2.table_sections(core, full, artifact.pack_strings))  # ...and stage 2's token keys
    sections.update(keyindex.skeleton_sections(core, artifact.pack_strings))  # ...and the other spellings' names
    idents = sorted({(identifier_key(x.value), i) for i, e in enumerate(ents) for x in e.identifiers
                     if len(identifier_key(x.value)) >= MIN_IDENTIFIER})
    sections["ident_key.blob"], sections["ident_key.offsets"] = artifact.pack_strings([k for k, _ in idents])
    sections["ident_entity"] = np.array([i for _, i in idents], dtype=np.int32)
    sections["entity_type"] = np.array([TYPE_CODES[e.type] for e in ents], dtype=np.uint8)
    sections["entity_group"] = np.array(links.group, dtype=np.int32)
    sections["entity_list"] = np.array(list_index, dtype=np.int32)
    sections["name_entity"] = np.array(name_entity, dtype=np.int32)
    sections["name_flags"] = np.array(flags, dtype=np.uint8)
    sections["name_script"] = name_scripts(display).astype(np.uint8)
    sections["vocab_df"] = np.array([df[t] for t in vocab], dtype=np.int32)
    artifact.write(path, header, sections)
    return header


def name_script_of(display: str) -> str:
    """The script a listed name is compared in on its keys, read off its display form ("" for Latin letters)."""
    return "" if display.isascii() else scripts.script_of(display)


def name_scripts(display: Iterable[str]) -> np.ndarray:
    """Whether each name is written in a script of its own (name_script_of is not ""), as a bool array."""
    return np.array([name_script_of(d) != "" for d in display], bool)


class Watchlist:
    """A loaded artifact: metadata, entity records (decoded lazily) and the matcher's arrays."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.header, s = artifact.read(self.path)
        compiled = self.header.get("normaliser")
        if compiled != NORMALISER_VERSION:  # its names were normalised otherwise than queries would be
            raise WatchlistError(
                f"{self.path}: compiled with normaliser {compiled}, this version normalises as {NORMALISER_VERSION}: "
                "rebuild it (`screen watchlist build`, or `screen watchlist import` of its lists)")
        built = self.header.get("key_index")
        if built is not None and built != keyindex.VERSION:  # its stored key postings are another code's
            raise WatchlistError(
                f"{self.path}: its key index was built by {built}, this version builds {keyindex.VERSION}: "
                "rebuild it (`screen watchlist build`, or `screen watchlist import` of its lists)")
        try:
            strings = {
                k[: -len(".blob")]: artifact.PackedStrings(s[k], s[k[: -len(".blob")] + ".offsets"])
                for k in s
                if k.endswith(".blob")
            }
            self._entity_json = strings["entity_json"]
            self.entity_ids = strings["entity_id"]
            self.entity_countries = strings["entity_countries"]
            self.entity_hashes = strings["entity_hash"]
            self.entity_dates = strings["entity_dates"]
            self._ident_keys = strings["ident_key"]
            self._ident_entity = s["ident_entity"]
            self.display = strings["name_display"]
            self.full = strings["name_full"].to_list()
            self.core = strings["name_core"].to_list()
            vocab = strings["vocab"].to_list()
            self.entity_type = s["entity_type"]
            self.entity_group = s["entity_group"]
            self.entity_list = s["entity_list"]
            self.group_ids = strings["group_id"]
            self._group_hashes = strings["group_hash"]
            self.name_entity = s["name_entity"]
            self.name_flags = s["name_flags"]
            df = dict(zip(vocab, s["vocab_df"].tolist(), strict=True))
            self.gram_map = {g: i for i, g in enumerate(strings["gram_vocab"].to_list())}
            self.gram_idf = s["gram_idf"]
            # (grams x names) over the mmap, no copy: the n-gram retrieval index. sparse_dot_topn
            # insists on writable arrays; the map is copy-on-write and nothing writes to it.
            for key in ("grams_data", "grams_indices", "grams_indptr"):
                s[key].flags.writeable = True
            self.names_t = csr_matrix((s["grams_data"], s["grams_indices"], s["grams_indptr"]),
                                      shape=(len(self.gram_map), len(self.full)), copy=False)
        except (KeyError, ValueError, UnicodeDecodeError) as exc:
            raise WatchlistError(f"{self.path}: corrupt watchlist artifact ({exc})") from exc
        self.weights = TokenWeights(df, len(self.entity_ids), load_prior())
        self._sections = s
        self._entity_cache: dict[int, Entity] = {}
        self._forms: dict[int, NameForm] = {}
        self._key_postings: dict[str, keyindex.Postings] = {}
        self._skeletons: dict[tuple[int, int, int], keyindex.KeyPostings] = {}

    @property
    def id(self) -> str:
        return self.header["id"]

    @property
    def version(self) -> str:
        return self.header["version"]

    @property
    def n_entities(self) -> int:
        return len(self.entity_ids)

    @property
    def n_names(self) -> int:
        return len(self.full)

    def entity(self, i: int) -> Entity:
        e = self._entity_cache.get(i)
        if e is None:
            e = Entity.model_validate_json(self._entity_json[i])
            if len(self._entity_cache) < 100_000:
                self._entity_cache[i] = e
        return e

    def index_of(self, entity_id: str) -> int | None:
        return self._id_index.get(entity_id)

    @cached_property
    def linked_hashes(self) -> dict[str, str]:
        """Hit entity id (the linked entity a hit names) -> the hash of everything listed for it.

        Alerts, suppressions and re-screening key on these: a change to any listing of the entity changes it."""
        return dict(zip(self.group_ids.to_list(), self._group_hashes.to_list(), strict=True))

    @cached_property
    def entity_group_list(self) -> list[int]:
        """entity -> linked entity (group) number, as a Python list for the scoring loop."""
        return self.entity_group.tolist()

    @cached_property
    def group_members(self) -> list[list[int]]:
        """group number -> its listings' entity positions, the group's own (id-giving) listing first."""
        members: list[list[int]] = [[] for _ in range(len(self.group_ids))]
        for e, g in enumerate(self.entity_group_list):
            members[g].append(e)
        ids = self.group_ids
        for g, m in enumerate(members):
            own = self.index_of(ids[g])
            m.sort(key=lambda e, own=own: (e != own, e))
        return members

    def list_of(self, e: int) -> dict[str, Any]:
        """The `sources` entry (list) entity `e` came from."""
        return self.header["sources"][int(self.entity_list[e])]

    def entity_hash_of(self, entity_id: str) -> str:
        """The hash of a hit's entity (see `linked_hashes`); "" for an id this watchlist does not hold."""
        return self.linked_hashes.get(entity_id, "")

    @cached_property
    def _id_index(self) -> dict[str, int]:
        return {eid: i for i, eid in enumerate(self.entity_ids.to_list())}

    def form(self, j: int) -> NameForm:
        f = self._forms.get(j)
        if f is None:
            core, full = self.core[j], self.full[j]
            legal = tuple(full[len(core) + 1 :].split()) if len(full) > len(core) else ()
            script = name_script_of(self.display[j])  # compared on its keys
            f = NameForm(full=full, core=core, tokens=tuple(core.split()), legal=legal, abjad=script in scripts.ABJADS,
                         script=script)
            if len(self._forms) < 500_000:
                self._forms[j] = f
        return f

    def token_table(self) -> stage2.TokenTable | None:
        """Stage 2's listed tokens and rule keys as compiled, or None when the artifact has none or another
        code's (scoring.py, stage2.py or rigour changed since): stage2.Index then builds them from the names."""
        if self.header.get("token_table") != stage2.TABLE_VERSION or "tokens.mat" not in self._sections:
            return None
        s = self._sections

        def strings(key: str) -> list[str]:
            return artifact.PackedStrings(s[f"{key}.blob"], s[f"{key}.offsets"]).to_list()

        names = (stage2.NameTokens(*(s[f"names.{k}"] for k in stage2.SECTIONS))
                 if all(f"names.{k}" in s for k in stage2.SECTIONS) else None)
        respelt = (strings("respelt"), s["respelt.ptr"], s["respelt.names"]) if "respelt.ptr" in s else None
        return stage2.TokenTable(strings("tokens.text"), s["tokens.mat"],
                                 {k: strings(f"tokens.key.{k}") for k in stage2.RULE_KEYS}, names, respelt)

    @cached_property
    def name_script(self) -> np.ndarray:
        """Whether each name is written in a script of its own (`form(j).script` is not ""), as a bool array."""
        if "name_script" in self._sections:  # compiled (by this normaliser: another's artifact is refused)
            return self._sections["name_script"].astype(bool)
        return name_scripts(self.display.to_list())

    # What answering a query reads, decoded on first use: warm() decodes it all at once, before a server or a pool
    # worker takes its first request (group_members alone is 40-90 ms on the full list set).
    WARM = ("linked_hashes", "entity_group_list", "group_members", "_id_index", "name_script", "name_entity_list",
            "entity_type_list", "name_flags_list", "identifiers", "first_name", "common_gram_idf")

    def warm(self) -> None:
        """Decode every lazily read table of `WARM` now."""
        for name in self.WARM:
            getattr(self, name)

    def key_postings(self, script: str) -> keyindex.Postings:
        """The names by comparison key for queries in `script` (ngrams.key_postings): the artifact's own,
        mapped; built from the names for an artifact compiled before it stored them."""
        got = self._key_postings.get(script)
        if got is None:
            got = keyindex.from_sections(self._sections, script, lambda b, o: artifact.PackedStrings(b, o).to_list())
            if got is None:
                keys, ptr, names = keyindex.build(self.core, [script])[script]
                got = keyindex.postings(keys, ptr, names, keyindex.word_counts(self.core))
            self._key_postings[script] = got
        return got

    def skeleton_postings(self, minimum: int, most: int, per: int) -> keyindex.KeyPostings:
        """keyindex.skeleton_postings for these parameters: the artifact's own when it holds those, else built."""
        key = (minimum, most, per)
        got = self._skeletons.get(key)
        if got is None:
            s = self._sections
            if tuple(self.header.get("skeleton_postings") or ()) == key and "skeleton.ptr" in s:
                words = artifact.PackedStrings(s["skeleton.blob"], s["skeleton.offsets"]).to_list()
                got = keyindex.KeyPostings(words, s["skeleton.ptr"], s["skeleton.names"])
            else:
                got = keyindex.KeyPostings(*keyindex.skeleton_postings(self.core, minimum, most, per))
            self._skeletons[key] = got
        return got

    @cached_property
    def name_entity_list(self) -> list[int]:
        """name -> entity as a Python list: indexing it in the scoring loop is cheaper than numpy's."""
        return self.name_entity.tolist()

    @cached_property
    def entity_type_list(self) -> list[int]:
        return self.entity_type.tolist()

    @cached_property
    def name_flags_list(self) -> list[int]:
        return self.name_flags.tolist()

    @cached_property
    def identifiers(self) -> dict[str, list[int]]:
        """Identifier key -> entity indices (IMO, registration, passport numbers...)."""
        index: dict[str, list[int]] = {}
        for k, i in zip(self._ident_keys.to_list(), self._ident_entity.tolist(), strict=True):
            index.setdefault(k, []).append(i)
            # the value without its kind prefix as listed ("IMO9187629" is also "9187629")
            digits = k.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
            if digits != k and len(digits) >= MIN_IDENTIFIER:
                index.setdefault(digits, []).append(i)
        return index

    @cached_property
    def first_name(self) -> np.ndarray:
        """Index of each entity's first (primary) name in the name arrays."""
        return np.searchsorted(self.name_entity, np.arange(self.n_entities)).astype(np.int32)

    @cached_property
    def common_gram_idf(self) -> float:
        """IDF of a gram found in COMMON_GRAM_SHARE of names: commoner grams are left out of query
        vectors. Only on large lists, where they cost time; on a small list every gram counts."""
        n = max(self.n_names, 1)
        if n < 10_000:
            return 0.0
        return float(math.log((n + 1) / (COMMON_GRAM_SHARE * n + 1)) + 1.0)

    def describe(self) -> dict[str, Any]:
        h = self.header
        return {
            "id": h["id"],
            "version": h["version"],
            "sha256": h["sha256"],
            "linked_entities": h.get("linked_entities", h["entities"]),
            "links": h.get("links", {}),
            "entities": h["entities"],
            "names": h["names"],
            "sources": h["sources"],
            "path": str(self.path),
        }


def header_json(wl: Watchlist) -> str:
    return json.dumps(wl.describe(), indent=2)
