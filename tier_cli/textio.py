"""Bytes at the ends: decode render.yaml to text, encode it back byte-exactly, write atomically.

The text keeps its line endings exactly as in the file (CRLF, LF, even a mix of both), so the
editor splices characters and never rewrites a line ending; only the UTF-8 byte order mark is
taken off on the way in and put back on the way out.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Literal, NamedTuple

from tier_cli.errors import RenderFileError

BOM = b"\xef\xbb\xbf"

Newline = Literal["\n", "\r\n"]


class Decoded(NamedTuple):
    """The file as text, and what is needed to turn the text back into the same bytes."""

    text: str  # without the BOM; line endings exactly as in the file
    bom: bool  # the file started with a UTF-8 byte order mark
    newline: Newline  # the file's dominant line ending, for lines the editor adds


def dominant_newline(text: str) -> Newline:
    """CRLF when most line endings are CRLF, else LF (also for a file with no line ending)."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"


def decode(data: bytes, filename: str) -> Decoded:
    """UTF-8 bytes (with or without a BOM) to text; anything else is a RenderFileError."""
    bom = data.startswith(BOM)
    body = data[len(BOM) :] if bom else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(BOM) if bom else 0)
        raise RenderFileError(
            f"{filename}: not UTF-8 text (byte 0x{body[exc.start]:02x} at byte offset {offset}). "
            "Tip: save the file as UTF-8."
        ) from None
    return Decoded(text=text, bom=bom, newline=dominant_newline(text))


def encode(text: str, decoded: Decoded) -> bytes:
    """The text back to bytes, with the BOM restored when the file had one."""
    data = text.encode("utf-8")
    return BOM + data if decoded.bom else data


def write_atomic(path: str | os.PathLike[str], data: bytes) -> bool:
    """Replace the file's content with `data`; return False (and touch nothing) if unchanged.

    A symlink is followed and its target is replaced, so the link stays a link. The new content
    goes to a temporary file in the target's folder, is flushed to disk, gets the old file's mode,
    and then takes the old file's place in one `os.replace`.
    """
    target = Path(os.path.realpath(path))
    try:
        old = target.read_bytes()
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        old, mode = None, None
    if old == data:
        return False
    import tempfile  # only when writing: tier check never does

    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _new_file_mode() if mode is None else mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)
    return True


def _new_file_mode() -> int:
    """The mode `open()` would give a new file: 0o666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def unified_diff(old: bytes, new: bytes, name: str) -> str:
    """A unified diff of two versions of a file, as `tier apply --dry-run` prints it."""
    import difflib  # only for the diff: tier check in sync never needs it

    a = old.decode("utf-8-sig", errors="replace").splitlines(keepends=True)
    b = new.decode("utf-8-sig", errors="replace").splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, f"a/{name}", f"b/{name}")
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


PROJECT_FILE_LIMIT = 4 * 1024 * 1024  # a requirements file or a lock file; uv.lock can be big


def read_project_file(folder: Path, relative: str, limit: int = PROJECT_FILE_LIMIT) -> str | None:
    """The text of `relative` inside `folder`, or None when it is missing or must not be read.

    Bounded: a regular file only (no FIFO, device or folder), at most `limit` bytes, UTF-8; and
    never outside `folder`: an absolute path, `..` or a symlink leading out gives None.
    """
    if not relative or relative.startswith("/") or "\0" in relative:
        return None
    try:
        base = folder.resolve(strict=True)
        path = (base / relative).resolve(strict=True)
        path.relative_to(base)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError, RuntimeError):
        return None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
