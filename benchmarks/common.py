"""Shared parts of the issue-5 benchmarks: the machine line, the combined watchlist, a realistic counterparty mix."""

from __future__ import annotations

import os
import platform
import random
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
COMBINED = OUT / "combined.wl"
LISTS = ROOT.parent / "shared" / "data" / "lists"
SCREEN = Path(os.environ.get("SCREEN_BIN") or Path(sys.executable).with_name("screen"))
SEED = 20240917


def machine() -> str:
    import numpy
    import rapidfuzz

    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        commit += " (+ uncommitted edits)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "?"
    return (f"{platform.system()} {platform.release()} {platform.machine()}, {cpu}, {cores} cores, "
            f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB; Python "
            f"{platform.python_version()}, numpy {numpy.__version__}, rapidfuzz {rapidfuzz.__version__}; commit {commit}; "
            f"load average {os.getloadavg()[0]:.1f} (other work on the machine)")


def combined_watchlist() -> Path:
    """The official lists in ../shared/data/lists plus the seeds, compiled once into benchmarks/out/combined.wl."""
    if COMBINED.exists():
        from screening.errors import WatchlistError
        from screening.watchlist import Watchlist

        try:
            stored = Watchlist(COMBINED).token_table() is not None
        except WatchlistError:  # built by an older artifact format: build it again
            stored = False
        if not stored:  # ...or without the token table this code compiles, which each process would then build
            COMBINED.unlink()
    if not COMBINED.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        folders = sorted(str(p) for p in LISTS.iterdir() if p.is_dir()) if LISTS.is_dir() else []
        if not folders:
            sys.exit(f"no lists under {LISTS}: the combined watchlist needs ../shared/data/lists/")
        print(f"building {COMBINED} from {len(folders)} list folders ...", flush=True)
        subprocess.run([str(SCREEN), "watchlist", "import", *folders, "-o", str(COMBINED)], check=True,
                       stdout=subprocess.DEVNULL)
    return COMBINED


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


# --- a realistic counterparty mix -------------------------------------------------------------

_PLACES = ("Nordic Alpine Baltic Atlas Summit Harbor Crescent Meridian Pioneer Sterling Evergreen Cobalt Granite "
           "Horizon Lakeside Redwood Silverline Northstar Bluewater Keystone Riverside Oakridge Westfield Eastgate "
           "Highland Coastal Prairie Cascade Ironwood Maple Cedar Willow Aurora Zenith Vertex Apex Orbit Lumen "
           "Solstice Tidewater Bayview Hillcrest Stonebridge Fairview Brookside Kingsway Queensgate Clearwater "
           "Rheinland Bavaria Lombardia Provence Catalonia Andalus Flanders Jutland Bohemia Silesia Moravia "
           "Danube Rhone Thames Hudson Mekong Ganges Nile Orinoco Yukon Sahara Gobi Andes Alps Atlas").split()
_TRADES = ("Timber Foods Textiles Paper Plastics Furniture Dairy Coffee Software Pharma Packaging Motors Ceramics "
           "Apparel Printing Consulting Insurance Media Medical Agri Brewing Glass Logistics Freight Steel Chemicals "
           "Electronics Energy Solar Wind Water Hotels Travel Retail Foods Bakery Seafood Fruit Grain Cotton Leather "
           "Tools Robotics Analytics Cloud Systems Semiconductors Optics Marine Aviation Rail Mining Cement Paints "
           "Trading Holdings Capital Partners Ventures Investments Finance Bank Securities Realty Construction").split()
_LEGAL = ("AB", "AG", "GmbH", "Inc", "Inc.", "Ltd", "Ltd.", "Limited", "S.p.A.", "SAS", "S.A.", "Oy", "A/S", "BV",
          "B.V.", "Pty Ltd", "LLC", "plc", "Co., Ltd.", "Corp.", "KG", "SARL", "Sp. z o.o.", "s.r.o.", "K.K.", "")
_FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph "
          "Jessica Thomas Sarah Carlos Maria Jose Ana Luis Carmen Juan Sofia Pierre Marie Jean Camille Lukas Anna "
          "Jonas Lena Hans Greta Marco Giulia Luca Chiara Wei Fang Jing Lei Yuki Haruto Sakura Min-jun Seo-yeon "
          "Raj Priya Arjun Ananya Olga Ivan Dmitri Elena Sergei Natalia Ahmed Fatima Mohammed Aisha Omar Layla "
          "Kwame Amara Chinedu Ngozi Lars Ingrid Sven Astrid Piotr Agnieszka Jan Eva Mehmet Ayse Mustafa Zeynep").split()
_LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
         "Anderson Taylor Moore Jackson Martin Lee Thompson White Harris Clark Lewis Robinson Walker Young Allen "
         "Mueller Schmidt Schneider Fischer Weber Meyer Wagner Becker Rossi Russo Ferrari Esposito Bianchi Romano "
         "Dubois Lefebvre Moreau Laurent Simon Michel Wang Li Zhang Liu Chen Yang Huang Zhao Sato Suzuki Takahashi "
         "Tanaka Kim Park Choi Patel Sharma Singh Kumar Gupta Ivanov Smirnov Kuznetsov Popov Sokolov Hassan Khan "
         "Rahman Haddad Mensah Okafor Adeyemi Nielsen Hansen Johansson Andersson Kowalski Nowak Novak Yilmaz Kaya").split()
_COUNTRIES = ("US GB DE FR IT ES NL SE DK FI NO PL CZ AT CH BE IE PT JP KR CN HK SG IN AE TR BR MX ZA AU CA "
              "RU IR KP SY BY VE").split()
MIX = {"company": 0.72, "person": 0.25, "listed-variant": 0.02, "listed-exact": 0.01}


def _variant(rng: random.Random, name: str) -> str:
    kind = rng.choice(("typo", "upper", "swap", "legal"))
    words = name.split()
    if kind == "typo" and len(name) > 6:
        i = rng.randrange(1, len(name) - 2)
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if kind == "upper":
        return "".join(c for c in name.upper() if c.isalnum() or c.isspace())
    if kind == "swap" and len(words) > 1:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
        return " ".join(words)
    return f"{name} {rng.choice(('Ltd', 'LLC', 'Co., Ltd.', 'GmbH', 'JSC'))}"


def counterparties(n: int, listed: list[str], seed: int = SEED) -> list[tuple[str, str, str]]:
    """(name, country, kind) for `n` counterparties: ordinary companies and people, and a few listed names.

    About 3% are listed names (1% as listed, 2% with a typo, in capitals without punctuation,
    two words swapped or a legal form added): a busier file than most real ones, which rarely
    hold more than a fraction of a percent of true hits. Names repeat about as rarely as in a real file.
    """
    rng = random.Random(seed)
    kinds, weights = zip(*MIX.items(), strict=True)
    out = []
    for _ in range(n):
        kind = rng.choices(kinds, weights)[0]
        if kind == "company":
            words = [rng.choice(_PLACES)] + rng.sample(_TRADES, rng.choice((1, 1, 2)))
            name = " ".join([*words, rng.choice(_LEGAL)]).strip()
        elif kind == "person":
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            if rng.random() < 0.2:
                name = f"{rng.choice(_FIRST)} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {name.split()[-1]}"
        else:
            name = rng.choice(listed)
            if kind == "listed-variant":
                name = _variant(rng, name)
        out.append((name, rng.choice(_COUNTRIES) if rng.random() < 0.7 else "", kind))
    return out


def listed_names(wl) -> list[str]:
    """Primary names of the watchlist's entities (as listed), for the listed share of the mix."""
    from screening.watchlist import PRIMARY

    flags = wl.name_flags
    return [wl.display[j] for j in range(wl.n_names) if flags[j] & PRIMARY]


def cold_caches(matcher) -> None:
    """Empty every cache a name's screening fills (normalisation, token similarities, the array program's
    token keys and query rows), so a timed row starts cold rather than profiting from the row before."""
    import gc

    from screening import scoring, stage2
    from screening.normalise import name_form

    name_form.cache_clear()
    scoring._similarity.cache_clear()
    scoring.token_keys.cache_clear()
    scoring._metaphone.cache_clear()
    stage2.token_keys.cache_clear()
    matcher.stage2._query_rows.clear()
    gc.collect()
