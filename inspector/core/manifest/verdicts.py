"""The checks behind the manifest report: one verdict per path, and the manifest-wide findings.

Kept apart from ``report`` (putting the layer together) so each module holds one concept: here,
deciding what is wrong and on which path.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from itertools import chain

from django.core.files.storage import Storage

from .. import fingerprints
from ..fingerprints import FileStamp
from ..paths import file_of_name
from ..records import Inventory
from ..status import ManifestFinding, ManifestStatus
from ..storage.instance import ManifestStorage, as_manifest_storage, keeps_only_hashed
from ..storage.listing import Snapshot, StoredFile, file_size, md5_of, read_bytes
from .expected import ExpectedNames, SourceFile, compute_expected
from .naming import adjustable_match, key_of, uses_md5_names, verify_hashed_file
from .reading import ManifestText, has_local_manifest
from .variants import check_variants, old_versions


@dataclass(frozen=True, slots=True)
class Finding:
    """A manifest-wide finding, on the static path it concerns."""

    kind: ManifestFinding
    path: str
    file: str  # the storage name of the file in question
    size: int | None
    detail: str


@dataclass(frozen=True, slots=True)
class Verdict:
    status: ManifestStatus
    hashed_name: str | None
    expected: str | None
    note: str
    # ``{% static %}`` of this path raises with DEBUG=False: an HTTP 500 wherever it is used.
    raises: bool = False


def hashing_view(storage: Storage) -> ManifestStorage:
    """Return ``storage`` as the manifest storage the manifest layer only ever gets."""
    hashing = as_manifest_storage(storage)
    if hashing is None:
        raise TypeError(f"{type(storage).__name__} keeps no manifest")
    return hashing


def raises_without_entry(strict: bool, collected: bool) -> bool:
    """Return True if ``{% static %}`` raises for a path the manifest has no entry for.

    A strict manifest raises "Missing staticfiles manifest entry"; a lenient one hashes the
    collected copy instead, and raises only when there is none ("could not be found"). The one
    rule for every client: the manifest layer, the severity and the toolbar panel.
    """
    return strict or not collected


class Judge:
    """Decides each path's status from the manifest, the storage listing and expected names."""

    def __init__(
        self,
        storage: Storage,
        manifest: dict[str, str],
        snapshot: Snapshot,
        expected: ExpectedNames,
        strict: bool,
        sources: Mapping[str, SourceFile],
    ) -> None:
        self.storage, self.manifest, self.snapshot = storage, manifest, snapshot
        self.hashing = hashing_view(storage)
        self.expected, self.strict, self.sources = expected, strict, sources

    def path(self, path: str, has_source: bool) -> Verdict:
        storage, manifest = self.hashing, self.manifest
        stored_key = key_of(storage, path)
        lookup = storage.hash_key(file_of_name(path))
        expected = self.expected.names.get(stored_key)
        if lookup not in manifest:
            note = self._missing_note(path)
            if stored_key in manifest:
                note = (
                    f"the manifest has it as {stored_key!r}, but {{% static %}} looks up "
                    f"{lookup!r} (Django unquotes the name and cuts it at '?' and '#'): " + note
                )
            raises = raises_without_entry(self.strict, path in self.snapshot.files)
            return Verdict(ManifestStatus.MISSING_ENTRY, None, expected, note, raises)
        hashed = manifest[lookup]
        if hashed not in self.snapshot.files:
            return Verdict(
                ManifestStatus.HASHED_FILE_MISSING,
                hashed,
                expected,
                f"the manifest points at {hashed!r}, which the storage does not have: "
                "{% static %} gives a URL that is not found",
            )
        if not has_source:
            return Verdict(ManifestStatus.OK, hashed, None, "no source any more")
        error = self.expected.errors.get(path)
        if error is not None:
            return Verdict(ManifestStatus.UNKNOWN, hashed, None, error)
        if expected != hashed:
            return Verdict(ManifestStatus.STALE, hashed, expected, self._stale_note(path, hashed))
        # The manifest's own string for the equal expected name: kept once, not twice.
        return Verdict(ManifestStatus.OK, hashed, hashed, "")

    def _missing_note(self, path: str) -> str:
        if self.strict:
            return (
                "not in the manifest: with DEBUG=False {% static %} raises ValueError "
                "(Missing staticfiles manifest entry), an HTTP 500"
            )
        if path in self.snapshot.files:
            return (
                "not in the manifest: manifest_strict is False, so {% static %} silently falls "
                "back to hashing the collected copy on every call"
            )
        return (
            "not in the manifest and not collected: even with manifest_strict False, "
            "{% static %} raises ValueError (file could not be found), an HTTP 500"
        )

    def _stale_note(self, path: str, hashed: str) -> str:
        expected = self.expected.names.get(key_of(self.hashing, path))
        changed = sorted(
            target
            for target in self.expected.references.get(path, ())
            if self.expected.names.get(target) != self.manifest.get(target)
        )
        why = (
            f"files it references changed ({', '.join(changed[:3])})"
            if changed
            else "its source changed since collection"
        )
        return f"the manifest says {hashed!r}, collectstatic would now write {expected!r}: {why}"

    def verify_hashed_files(self, verdicts: dict[str, Verdict]) -> None:
        """Turn ``ok`` into ``stale`` where the hashed file's bytes no longer give its name."""
        files, hashing = self.snapshot.files, self.hashing
        # Side by side, not paired: two lists of references, not one tuple per path.
        to_check: list[str] = []
        stored_files: list[StoredFile] = []
        for path, v in verdicts.items():
            if v.status is ManifestStatus.OK and v.hashed_name is not None:
                to_check.append(path)
                stored_files.append(files[v.hashed_name])
        md5_names = uses_md5_names(type(self.storage))
        digests = (
            fingerprints.md5_many(s.stamp for s in stored_files if s.stamp is not None)
            if md5_names
            else fingerprints.NO_DIGESTS
        )
        for path, stored in zip(to_check, stored_files, strict=True):
            try:
                local = digests.get(stored.stamp) if stored.stamp is not None else None
                if isinstance(local, str):  # most: a local copy, hashed
                    good = local == self._naming_digest(path) or verify_hashed_file(
                        hashing, path, stored.name, local
                    )
                else:
                    good = self._verify(path, stored, local, md5_names)
            except Exception as exc:  # unreadable file or backend error
                old = verdicts[path]
                verdicts[path] = Verdict(
                    ManifestStatus.UNKNOWN, old.hashed_name, old.expected, f"cannot read: {exc}"
                )
                continue
            if not good:
                old = verdicts[path]
                verdicts[path] = Verdict(
                    ManifestStatus.STALE,
                    old.hashed_name,
                    old.expected,
                    f"the bytes of {stored.name!r} changed after collection: they no longer "
                    "hash to its name",
                )

    def _naming_digest(self, path: str) -> str | None:
        """Return the source's digest that gave ``path`` its expected name, where that digest
        alone named it (``ExpectedNames.named_otherwise`` says where not) and it is known: a
        hashed copy with that very digest has the name, which need not be worked out again."""
        otherwise = self.expected.named_otherwise
        if otherwise is None or path in otherwise:
            return None
        source = self.sources.get(path)
        return fingerprints.peek(source.stamp) if source and source.stamp else None

    def _verify(
        self, path: str, stored: StoredFile, local_digest: str | OSError | None, md5_names: bool
    ) -> bool:
        """Return True if ``stored`` still hashes to its name; raise if it cannot be read.

        A remote listing's md5 (an S3 ETag) settles the common case without a request; only a
        mismatch is confirmed from the bytes, because an ETag is not always the md5.
        """
        if isinstance(local_digest, OSError):
            raise local_digest
        storage, hashing = self.storage, self.hashing
        digest = local_digest
        listed = stored.listed_md5 if md5_names and digest is None else None
        if listed is not None and verify_hashed_file(hashing, path, stored.name, listed):
            return True
        if md5_names and digest is None:
            digest = md5_of(storage, stored)
        return verify_hashed_file(hashing, path, stored.name, digest, opener=storage.open)


def judge_paths(
    storage: Storage,
    hashing: ManifestStorage,
    manifest: dict[str, str],
    snapshot: Snapshot,
    inventory: Inventory,
    read_next: Iterable[FileStamp] = (),
) -> tuple[dict[str, Verdict], list[Finding], frozenset[str]]:
    """Return every path's verdict, the entries no source backs, and the paths collectstatic
    fails on. A function of its own so that the expected names and the sources' files, one per
    path, are let go before the storage-wide findings run."""
    strict = bool(hashing.manifest_strict)
    sources = _collected_sources(inventory, storage, snapshot)
    # The hashed copies are read while the expected names are worked out, then ``read_next``.
    verified = copies_to_verify(manifest, snapshot) if uses_md5_names(type(storage)) else ()
    then = chain(verified, read_next)
    expected = compute_expected(hashing, sources, then) if manifest else ExpectedNames()
    judge = Judge(storage, manifest, snapshot, expected, strict, sources)
    verdicts: dict[str, Verdict] = {}
    findings: list[Finding] = []
    generators = {summary.source.label for summary in inventory.sources if summary.generator}
    for record in inventory:
        made_by = record.collect_winner.source if record.collect_winner else None
        if made_by in generators and key_of(hashing, record.path) not in manifest:
            verdicts[record.path] = Verdict(
                ManifestStatus.NOT_APPLICABLE,
                None,
                None,
                f"written into STATIC_ROOT by {made_by}, not by collectstatic: never in the "
                "manifest (the generator gives its own URLs)",
            )
            continue
        if record.collect_winner is None and key_of(hashing, record.path) not in manifest:
            raises = raises_without_entry(strict, record.path in snapshot.files)
            verdicts[record.path] = Verdict(
                ManifestStatus.NOT_APPLICABLE,
                None,
                None,
                "never collected (collectstatic ignores it), so never in the manifest"
                + (": {% static %} of it raises with DEBUG=False" if raises else ""),
                raises,
            )
            continue
        verdicts[record.path] = judge.path(record.path, record.path in sources)
    for path in manifest:
        if path not in sources:
            if path not in verdicts:
                verdicts[path] = judge.path(path, False)
            hashed = manifest[path]
            findings.append(
                Finding(
                    ManifestFinding.ENTRY_WITHOUT_SOURCE,
                    path,
                    hashed,
                    file_size(storage, snapshot.files[hashed])
                    if hashed in snapshot.files
                    else None,
                    "the manifest still lists it, but no finder has a source for it any more",
                )
            )
    judge.verify_hashed_files(verdicts)
    return verdicts, findings, frozenset(expected.fatal)


def copies_to_verify(manifest: Mapping[str, str], snapshot: Snapshot) -> Iterator[FileStamp]:
    """Yield the stamp of every local hashed copy the manifest names: what verifying the
    hashed copies reads."""
    files = snapshot.files
    for hashed in manifest.values():
        stored = files.get(hashed)
        if stored is not None and stored.stamp is not None:
            yield stored.stamp


def plain_sources(storage: ManifestStorage, inventory: Inventory) -> list[FileStamp]:
    """Return the file collectstatic takes of every path whose digest alone names it (not a
    CSS or JS file it rewrites): the files ``compute_expected`` hashes for their names, known
    from the inventory alone, so they can be sent to be hashed before the manifest is read."""
    if not uses_md5_names(type(storage)):
        return []
    adjustable = adjustable_match(storage)
    return [
        winner.stamp
        for record in inventory
        if (winner := record.collect_winner) is not None
        and winner.stamp is not None
        and not adjustable(record.path)
    ]


def send_plain_sources(
    hashing: ManifestStorage | None, inventory: Inventory, manifest_text: ManifestText | None
) -> bool:
    """Send ``plain_sources`` to be hashed, to be read while the check goes on, where their
    expected names will be worked out, and return whether they were sent (those known already
    are not sent again). Before the manifest is read (``manifest_text`` None), where a local
    manifest file is there (one found empty or unreadable then had them read for nothing);
    once it is read, where it has entries."""
    if hashing is None:
        return False
    if manifest_text is None:
        wanted = has_local_manifest(hashing)
    else:
        parsed = None if manifest_text.error else manifest_text.parsed
        wanted = parsed is not None and not parsed.problem and bool(parsed.paths)
    if wanted:
        fingerprints.hash_ahead(plain_sources(hashing, inventory))
    return wanted


def _collected_sources(
    inventory: Inventory, storage: Storage, snapshot: Snapshot
) -> dict[str, SourceFile]:
    """Return the file collectstatic takes for each path (its collect winner)."""
    sources: dict[str, SourceFile] = {}
    for record in inventory:
        winner = record.collect_winner
        if winner is None:
            continue
        if winner.stamp is not None:
            stored = snapshot.files.get(record.path)
            left = stored if stored is not None and _left_in_place(stored, winner.stamp) else None
            sources[record.path] = SourceFile(record.path, winner.stamp, left=left)
            continue
        # A custom finder with no file on disk: its collected copy stands in for it.
        collected = snapshot.files.get(record.path)
        if collected is not None:
            sources[record.path] = SourceFile(
                record.path,
                None,
                read=partial(read_bytes, storage, collected),
                caveat="compared with the collected copy (the source is not a local file)",
            )
    return sources


def _left_in_place(stored: StoredFile, source: FileStamp) -> bool:
    """Return True if collectstatic skips copying over ``stored``: its modified time, to the
    second, is not older than the source's ("Skipping '…' (not modified)")."""
    if stored.stamp is not None:
        return stored.stamp.mtime_ns // 10**9 >= source.mtime_ns // 10**9
    if stored.listed_at is not None:
        return int(stored.listed_at) >= source.mtime_ns // 10**9
    return False


def storage_findings(
    storage: Storage,
    snapshot: Snapshot,
    manifest: dict[str, str],
    inventory: Inventory,
    problems: list[str],
    kept: Mapping[str, str] | None = None,
) -> Iterable[Finding]:
    """Yield the manifest-wide findings; ``kept`` maps the hashed names other kept releases'
    manifests name to their paths (those files are needed for a rollback, not reclaimable)."""
    kept = kept or {}
    kept_paths = set(kept.values())

    def known(path: str) -> bool:
        # A stored unhashed copy names a path too: its source may be gone (an orphan), while
        # old hashed versions of it stay behind.
        return inventory.get(path) is not None or path in kept_paths or path in snapshot.files

    for path, stored in old_versions(snapshot, manifest, known, kept):
        yield Finding(
            ManifestFinding.ORPHANED_HASHED_FILE,
            path,
            stored.name,
            file_size(storage, stored),
            "an old hashed version no kept release's manifest points to (current: "
            f"{manifest.get(path)!r}): reclaimable",
        )
    names = _compressed_candidates(storage, manifest)
    variant_findings, variant_problems = check_variants(storage, snapshot, names)
    problems.extend(variant_problems)
    # Whose variant each finding is: built only when there is one to name.
    owner: dict[str, str] = {}
    if variant_findings:
        owner = {hashed: path for path, hashed in manifest.items()}
        owner.update((path, path) for path in manifest)
    for found in variant_findings:
        kind = (
            ManifestFinding.COMPRESSED_MISSING
            if found.missing
            else ManifestFinding.COMPRESSED_MISMATCH
        )
        stored_variant: StoredFile | None = snapshot.files.get(found.variant)
        size = file_size(storage, stored_variant) if stored_variant else None
        yield Finding(kind, owner.get(found.name, found.name), found.variant, size, found.detail)


def _compressed_candidates(storage: Storage, manifest: dict[str, str]) -> Iterator[str]:
    """Yield the names whitenoise compresses: hashed ones, and originals unless it deletes them."""
    hashed = dict.fromkeys(manifest.values())
    yield from hashed
    if not keeps_only_hashed(storage):
        yield from (path for path in manifest if path not in hashed)
