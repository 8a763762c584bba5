"""What ``fingerprints.md5_many`` answers: a digest or an error per stamp, mostly read from the
process's memory of digests as it was when answered."""

from __future__ import annotations

from .reading import FileStamp


class Digests:
    """What ``md5_many`` found: the digest of each stamp it was asked, or the ``OSError`` that
    prevented reading it.

    Most answers are in the process's memory, and are read from there: a copy of them, asked
    about every file of a large listing, would be one more large dict. They are read from the
    memory as it was when answered, since emptying the memory replaces it: none of them is lost
    meanwhile. The rest (errors, digests of files changed too recently to remember, digests
    found after the memory was replaced) are held here.
    """

    __slots__ = ("_memory", "_own")

    def __init__(self, memory: dict[FileStamp, str], own: dict[FileStamp, str | OSError]) -> None:
        self._memory, self._own = memory, own

    def get(self, stamp: FileStamp) -> str | OSError | None:
        """Return the digest of ``stamp`` (None if it was not asked)."""
        own = self._own  # mostly empty: a stamp's tuple hash is not computed for nothing
        found = own.get(stamp) if own else None
        return found if found is not None else self._memory.get(stamp)

    def __getitem__(self, stamp: FileStamp) -> str | OSError:
        found = self.get(stamp)
        if found is None:
            raise KeyError(stamp)
        return found


NO_DIGESTS = Digests({}, {})
