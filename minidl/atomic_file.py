"""Writing a file all at once or not at all: what saves, checkpoints and downloads stand on.

A crash, a full disk or a ``kill -9`` in the middle of a write must never leave half a file
under the real name, nor destroy the good file that was there. ``atomic_write`` does it in four
steps, each for a reason:

1. write to a temporary file in the *same directory* as the target, so that step 3 is a rename
   within one file system (a rename across file systems is a copy, and not atomic);
2. flush Python's buffer and ``fsync`` the file: its bytes are on disk before a name points
   at them (otherwise a power cut after step 3 could leave the new name on an empty file);
3. ``os.replace`` it over the real name: atomic, so a reader sees the old file or the new one;
4. ``fsync`` the directory, so that the rename itself is on disk.

If the block raises before step 3 (a bad value, a full disk, a wrong checksum), the temporary
file is removed and the real name is untouched. Every write gets its own random temporary name,
so two processes saving the same file never write into one temporary file; a process killed
between steps 1 and 3 leaves a stray ``.NAME.*.part`` that nothing reads.

Read next: ``serialization.py``, which writes every ``minidl.save`` through it.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO, Iterator, Union

PathLike = Union[str, "os.PathLike[str]"]


@contextlib.contextmanager
def atomic_write(path: PathLike) -> Iterator[BinaryIO]:
    """``with atomic_write(path) as stream: stream.write(...)``: ``path`` changes only if the
    block ends without an error, and then all at once (see the module docstring)."""
    path = Path(path)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    # O_EXCL: a name of our own, never another writer's; 0o666 less the umask, the permissions
    # open() would give the file (tempfile.mkstemp would make it private to its owner).
    handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except BaseException:  # KeyboardInterrupt too: never leave the temporary file behind
        temp.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def fsync_directory(directory: PathLike) -> None:
    """Make a rename in ``directory`` durable (POSIX); a no-op where a directory cannot be
    opened (Windows), since the rename has happened either way."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
