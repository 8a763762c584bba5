"""The floor of a cold check: walk the given folders, read every file once and md5 it, in one
process. Any tool that checks content must pay this much; ``bench/run.py`` compares with it.

Usage: ``python bench/floor.py FOLDER...`` prints the number of files read.
"""

from __future__ import annotations

import hashlib
import os
import sys


def floor(folders: list[str]) -> int:
    count = 0
    stack = list(folders)
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    with open(entry.path, "rb") as stream:
                        hashlib.md5(stream.read(), usedforsecurity=False).hexdigest()
                    count += 1
    return count


if __name__ == "__main__":
    print(floor(sys.argv[1:]))
