"""Write a deterministic synthetic project tree for the benchmark.

Layout under ``root``::

    benchapps/__init__.py
    benchapps/app00 .. app39/{__init__.py, static/app00/...}
    dirs/main/site/...              STATICFILES_DIRS entry
    dirs/vendor/lib00/...           STATICFILES_DIRS entry ("vendor", path): served as vendor/...
    .generated-N                    marker (JSON: seed, apps, expected counts)

``files`` counts every file written, shadow copies included. About 3% of served paths exist in
2-3 sources: half byte-identical, half with other bytes (half of those with the same size).
"""

from __future__ import annotations

import json
import math
import posixpath
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SHADOW_RATE = 0.03
MIN_SIZE, MAX_SIZE = 200, 20_000
VENDOR_PREFIX = "vendor"
VENDOR_LIBS = 6
# Everything generate() or run.py writes under root, removed before a regeneration.
OWNED = ("benchapps", "dirs", "collected", "cache", "db.sqlite3", "inspect.json")

KINDS = {  # kind: (weight, extensions)
    "css": (0.25, ("css",)),
    "js": (0.30, ("js",)),
    "img": (0.30, ("svg", "png")),
    "data": (0.15, ("txt",)),
}
WORDS = (
    "alpha",
    "base",
    "button",
    "card",
    "chart",
    "dialog",
    "editor",
    "footer",
    "form",
    "grid",
    "header",
    "icon",
    "layout",
    "list",
    "menu",
    "modal",
    "nav",
    "panel",
    "print",
    "reset",
    "search",
    "sidebar",
    "slider",
    "table",
    "tabs",
    "theme",
    "toast",
    "tooltip",
    "upload",
    "user",
    "widget",
)
SUBDIRS = (
    "core",
    "components",
    "pages",
    "widgets",
    "legacy",
    "extra",
    "shared",
    "vendor-fixes",
    "admin",
    "forms",
)


@dataclass
class Source:
    """One place a finder looks: an app's static/ folder or a STATICFILES_DIRS entry."""

    label: str
    root: Path
    namespace: str
    prefix: str = ""
    folder: str = ""
    room: int = 0
    folders: int = 0

    def relative(self, served: str) -> str | None:
        """Return the path inside this source that serves ``served``, or None if it cannot."""
        if not self.prefix:
            return served
        head = self.prefix + "/"
        return served[len(head) :] if served.startswith(head) else None


@dataclass
class Planned:
    """One served path and the (source index, content variant) pairs that hold it."""

    served: str
    ext: str
    size: int
    copies: list[tuple[int, int]] = field(default_factory=list)
    same_size: bool = False
    refs: tuple[str, ...] = ()


def _sources(root: Path, apps: int) -> list[Source]:
    sources = [
        Source("dir:main", root / "dirs" / "main", "site"),
        Source("dir:vendor", root / "dirs" / "vendor", "", prefix=VENDOR_PREFIX),
    ]
    for i in range(apps):
        name = f"app{i:02d}"
        sources.append(Source(f"app:{name}", root / "benchapps" / name / "static", name))
    return sources


def _next_folder(rng: random.Random, src: Source, kind: str) -> None:
    src.folders += 1
    parts = [kind] + rng.sample(SUBDIRS, rng.randint(1, 2))
    parts[-1] = f"{parts[-1]}{src.folders:02d}"
    top = src.namespace or f"lib{rng.randrange(VENDOR_LIBS):02d}"
    served_top = f"{src.prefix}/{top}" if src.prefix else top
    src.folder = "/".join([served_top, *parts])
    src.room = rng.randint(20, 50)


def _size(rng: random.Random) -> int:
    return int(math.exp(rng.uniform(math.log(MIN_SIZE), math.log(MAX_SIZE))))


def plan(root: Path, files: int, apps: int, seed: int) -> tuple[list[Source], list[Planned]]:
    """Return the sources and every planned path (no I/O)."""
    rng = random.Random(seed)
    sources = _sources(root, apps)
    weights = [rng.uniform(0.5, 1.5) for _ in sources]
    kinds = list(KINDS)
    kind_weights = [KINDS[k][0] for k in kinds]
    images: list[str] = []
    planned: list[Planned] = []
    remaining = files
    while remaining > 0:
        index = rng.choices(range(len(sources)), weights)[0]
        src = sources[index]
        if src.room <= 0:
            _next_folder(rng, src, rng.choices(kinds, kind_weights)[0])
        src.room -= 1
        kind = src.folder.split("/")[2 if src.prefix else 1]
        ext = rng.choice(KINDS[kind][1])
        name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{len(planned)}.{ext}"
        item = Planned(f"{src.folder}/{name}", ext, _size(rng), [(index, 0)])
        if ext == "css" and images and rng.random() < 0.1:
            base = posixpath.dirname(item.served)
            targets = rng.sample(images, min(len(images), rng.randint(1, 3)))
            item.refs = tuple(posixpath.relpath(t, base) for t in targets)
        if ext in ("svg", "png"):
            images.append(item.served)
        remaining -= 1
        if remaining > 0 and rng.random() < SHADOW_RATE:
            others = [i for i, s in enumerate(sources) if i != index and s.relative(item.served)]
            extra = min(rng.choice((1, 1, 2)), remaining, len(others))
            identical = rng.random() < 0.5
            item.same_size = not identical and rng.random() < 0.5
            for n, other in enumerate(rng.sample(others, extra), start=1):
                item.copies.append((other, 0 if identical else n))
            remaining -= extra
        planned.append(item)
    return sources, planned


def _pool(rng: random.Random, ext: str) -> bytes:
    """Return 64 KB of filler text typical of ``ext`` (no url(), imports or source maps)."""
    out: list[str] = []
    total = 0
    while total < 65_536:
        a, b = rng.choice(WORDS), rng.choice(WORDS)
        n = rng.randint(0, 999)
        if ext == "css":
            chunk = (
                f".{a}-{b}{n} {{ margin: {n % 17}px {n % 9}px; color: #{n:03x}; "
                f"display: {rng.choice(('block', 'flex', 'grid', 'none'))}; }}\n"
            )
        elif ext == "js":
            chunk = (
                f"function {a}_{b}{n}(el, opts) {{ if (!el) return {n}; "
                f"el.dataset.{a} = opts.{b} || '{a}'; return el; }}\n"
            )
        elif ext == "svg":
            chunk = f'<path d="M{n} {n % 37}L{n % 91} {n % 13}Z" fill="#{n:03x}"/>\n'
        else:
            chunk = f"{a} {b} {n} lorem ipsum dolor sit amet\n"
        out.append(chunk)
        total += len(chunk)
    return "".join(out).encode()


def _content(rng: random.Random, item: Planned, variant: int, pools: dict[str, bytes]) -> bytes:
    """Return the bytes of one copy; equal variants give equal bytes."""
    size = item.size
    if variant and not item.same_size:
        size = _size(rng)
    tag = f"{item.served} v{variant} {rng.getrandbits(64):016x}"
    if item.ext == "png":
        body = b"\x89PNG\r\n\x1a\n" + tag.encode()
        return body + rng.randbytes(max(0, size - len(body)))
    if item.ext == "svg":
        head = f'<svg xmlns="http://www.w3.org/2000/svg"><title>{tag}</title>\n'.encode()
        tail = b"</svg>\n"
    elif item.ext in ("css", "js"):
        refs = "".join(f'.r{i} {{ background: url("{r}"); }}\n' for i, r in enumerate(item.refs))
        head = f"/* {tag} */\n{refs}".encode()
        tail = b"\n"
    else:
        head, tail = f"{tag}\n".encode(), b"\n"
    pool = pools[item.ext]
    need = max(0, size - len(head) - len(tail))
    start = rng.randrange(len(pool) - need - 200)
    start = pool.index(b"\n", start) + 1  # begin on a whole rule or line
    return head + pool[start : start + need] + tail


def expected_counts(planned: list[Planned]) -> dict[str, int]:
    """Return the counts an inventory of the generated sources should report."""
    shadowed = [p for p in planned if len(p.copies) > 1]
    duplicates = sum(1 for p in shadowed if all(v == 0 for _, v in p.copies))
    return {
        "files": sum(len(p.copies) for p in planned),
        "paths": len(planned),
        "shadowed": len(shadowed),
        "duplicates": duplicates,
        "conflicts": len(shadowed) - duplicates,
    }


def read_marker(root: Path, files: int) -> dict[str, Any] | None:
    """Return the marker written for ``files``, or None."""
    marker = root / f".generated-{files}"
    try:
        found: dict[str, Any] = json.loads(marker.read_text())
    except (OSError, ValueError):
        return None
    return found


def generate(root: Path, files: int = 20000, apps: int = 40, seed: int = 1) -> None:
    """Write the tree under ``root`` unless a marker for the same N, apps and seed is there."""
    root = Path(root)
    found = read_marker(root, files)
    if found and found.get("seed") == seed and found.get("apps") == apps:
        return
    root.mkdir(parents=True, exist_ok=True)
    gitignore = root / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*\n")
    for old in root.glob(".generated-*"):
        old.unlink()
    for name in OWNED:
        path = root / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()

    sources, planned = plan(root, files, apps, seed)
    rng = random.Random(seed + 1)
    pools = {ext: _pool(rng, ext) for ext in ("css", "js", "svg", "txt")}
    package = root / "benchapps"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""Synthetic apps for the benchmark."""\n')
    for i in range(apps):
        (package / f"app{i:02d}").mkdir()
        (package / f"app{i:02d}" / "__init__.py").write_text("")
    made: set[Path] = set()
    for item in planned:
        variants: dict[int, bytes] = {}
        for index, variant in item.copies:
            if variant not in variants:
                variants[variant] = _content(rng, item, variant, pools)
            src = sources[index]
            target = src.root / str(src.relative(item.served))
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            target.write_bytes(variants[variant])
    for src in sources:
        src.root.mkdir(parents=True, exist_ok=True)
    marker = {"files": files, "apps": apps, "seed": seed, "expected": expected_counts(planned)}
    (root / f".generated-{files}").write_text(json.dumps(marker, indent=1) + "\n")


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "bench-out"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    generate(out, count)
    print(json.dumps(read_marker(out, count)))
