"""Bytes at the ends: decode render.yaml to text, encode it back byte-exactly, write atomically.

The text keeps its line endings exactly as in the file (CRLF, LF, even a mix of both), so the
editor splices characters and never rewrites a line ending; only the UTF-8 byte order mark is
taken off on the way in and put back on the way out.
"""

import contextlib
import errno
import os
import stat
from pathlib import Path
from typing import Literal, NamedTuple

from tier_cli.errors import RenderFileError, TierError

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
    body = without_bom(data)
    bom = len(body) < len(data)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(BOM) if bom else 0)
        raise RenderFileError(
            f"{filename}: not UTF-8 text (byte 0x{body[exc.start]:02x} at byte offset {offset}). "
            "Tip: save the file as UTF-8."
        ) from None
    return Decoded(text=text, bom=bom, newline=dominant_newline(text))


def without_bom(data: bytes) -> bytes:
    """The bytes after a leading UTF-8 BOM. ``without_bom(data).decode()`` is what the codec
    "utf-8-sig" gives, without looking that codec up (an import at every start)."""
    return data[len(BOM) :] if data.startswith(BOM) else data


def encode(text: str, decoded: Decoded) -> bytes:
    """The text back to bytes, with the BOM restored when the file had one."""
    data = text.encode("utf-8")
    return BOM + data if decoded.bom else data


MB = 1024 * 1024
RENDER_LIMIT = 1 * MB  # render.yaml (Render's own 500-service Blueprint is 0.2 MB)
TIERS_LIMIT = 1 * MB  # tiers.toml
SNAPSHOT_LIMIT = 1 * MB  # a metrics snapshot (--metrics FILE, the committed one)
HISTORY_LIMIT = 16 * MB  # the snapshot history (some 50,000 snapshots)
_OLD_LIMIT = 64 * MB  # a file about to be replaced: read to compare, never parsed


class NotRegularFile(OSError):
    """The path is a FIFO, a device or a socket, or is bigger than its limit: not read."""


_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


class OutsideProject(OSError):
    """The path leads, through a symlink, out of the project it stands in: not read, not written.

    A pull request can commit ``render.yaml -> ~/.ssh/id_rsa``: read, its first line would reach
    an error message; written, `tier apply` would rewrite a file elsewhere. The project is the
    git work tree the path stands in (the folders as named, before any link is followed), else
    the path's folder. A path named without links may lie anywhere: the user chose it."""


def project_of(path: str | os.PathLike[str]) -> Path:
    """The git work tree holding ``path`` as named (links not followed), else its folder."""
    folder = Path(os.path.abspath(path)).parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def check_inside_project(path: str | os.PathLike[str]) -> None:
    """OutsideProject when ``path`` resolves (through a symlink) out of :func:`project_of`."""
    root = Path(os.path.realpath(project_of(path)))
    resolved = Path(os.path.realpath(path))
    if not resolved.is_relative_to(root):
        raise OutsideProject(
            f"is a symlink to {resolved}, outside the project ({root}); tier follows no link "
            "out of it"
        )


def read_file(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    A path that leads out of its project through a symlink is OutsideProject, before anything
    is opened.

    A FIFO, a device (/dev/zero, /dev/urandom) or a socket is refused without reading from it
    (opened non-blocking: a FIFO without a writer never hangs), and so is a bigger file:
    NotRegularFile, with the reason as its message. A folder is IsADirectoryError; the other
    OSErrors come as they are.
    """
    check_inside_project(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise NotRegularFile(f"is {kind}, not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(limit + 1 - size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise NotRegularFile(f"is bigger than tier's limit of {limit // MB} MB for it")
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_atomic(
    path: str | os.PathLike[str],
    data: bytes,
    error: type[TierError] = RenderFileError,
    expected: bytes | None = None,
) -> bool:
    """Replace the file's content with `data`; return False (and touch nothing) if unchanged.

    ``expected``: the bytes the file had when it was read; if it holds others now (an edit
    made while tier ran), nothing is written and `error` says so.

    A symlink is followed and its target is replaced, so the link stays a link. The new content
    goes to a temporary file in the target's folder, is flushed to disk, gets the old file's
    mode, owner and group, and then takes the old file's place in one `os.replace`. Where a
    rename would lose something (a file with hard links, or an owner this user cannot give the
    copy) the verified copy is written into the file in place instead. A file this user could
    not write in place is refused, and so is anything but a regular file. Every failure is one
    `error` line; temporary files of earlier runs that were killed are removed.
    """
    try:
        check_inside_project(path)
    except OutsideProject as exc:
        raise error(f"{path}: {exc}. Tip: replace the link by the file itself") from None
    target = Path(os.path.realpath(path))
    try:
        info: os.stat_result | None = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):  # the folder's problem: told when writing
        info = None
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror})") from None
    old = None
    if info is not None:
        try:
            old = read_file(target, _OLD_LIMIT)
        except OSError as exc:
            why = str(exc) if isinstance(exc, NotRegularFile) else exc.strerror
            raise error(f"{path}: {why}. Tip: tier writes only regular files") from None
        if expected is not None and old != expected:
            raise error(
                f"{path}: changed since tier read it; nothing was written. Tip: run the "
                "command again on the file as it is now"
            )
        if old == data:
            return False
        if not os.access(target, os.W_OK):
            raise error(
                f"{path}: read-only for this user (mode {stat.S_IMODE(info.st_mode):04o}); "
                "tier leaves it as it is. Tip: make it writable (chmod u+w) if tier should "
                "change it"
            )
    clean_stale_temporaries(target)
    try:
        _write(target, data, info)
    except OSError as exc:
        raise error(
            f"{path}: cannot be written ({exc.strerror or exc}); nothing was changed. Tip: "
            "check the free space and the permissions of its folder"
        ) from None
    _fsync_dir(target.parent)
    return True


def _write(target: Path, data: bytes, info: os.stat_result | None) -> None:
    import tempfile  # only when writing: tier check never does

    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _new_file_mode() if info is None else stat.S_IMODE(info.st_mode))
        if info is None:
            os.replace(tmp, target)
            return
        _same_owner(tmp, info)
        copy = os.stat(tmp)
        kept = (copy.st_uid, copy.st_gid) == (info.st_uid, info.st_gid)
        if info.st_nlink == 1 and kept:
            os.replace(tmp, target)
            return
        # Hard links, or an owner the copy cannot have: write in place, from the verified copy.
        if Path(tmp).read_bytes() != data:  # pragma: no cover - the disk lost the write
            raise OSError(errno.EIO, "the temporary copy did not read back")
        with open(target, "r+b") as handle:
            handle.write(data)
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
        os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _same_owner(tmp: str, info: os.stat_result) -> None:
    """Give the copy the old file's owner and group, or at least its group, when allowed."""
    try:
        os.chown(tmp, info.st_uid, info.st_gid)
    except PermissionError:
        with contextlib.suppress(PermissionError):
            os.chown(tmp, -1, info.st_gid)


STALE_AFTER_S = 60.0  # a temporary file older than this was left by a run that was killed


def clean_stale_temporaries(target: Path) -> None:
    """Remove `.NAME.xxxxxxxx.tmp` files (tier's own naming) left beside `target` by killed runs.

    Only files of exactly that name, regular, and untouched for STALE_AFTER_S: a run writing
    now is never disturbed.
    """
    import re
    import time

    pattern = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.tmp")
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        with contextlib.suppress(OSError):
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_AFTER_S:
                os.unlink(entry.path)


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


PROJECT_FILE_LIMIT = 4 * MB  # a requirements file or a lock file; uv.lock can be big


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
        data = read_file(path, limit)  # NotRegularFile (and a folder) are OSErrors
    except (OSError, ValueError, RuntimeError):
        return None
    try:
        return without_bom(data).decode("utf-8")
    except UnicodeDecodeError:
        return None
