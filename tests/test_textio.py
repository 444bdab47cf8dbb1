"""textio: bytes in, bytes out, exactly; atomic writes that keep the mode and follow symlinks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tier_cli.errors import RenderFileError
from tier_cli.textio import BOM, decode, dominant_newline, encode, write_atomic

ROUND_TRIP = [
    pytest.param(b"services: []\n", id="lf"),
    pytest.param(b"services: []\r\n", id="crlf"),
    pytest.param(b"a: 1\r\nb: 2\nc: 3\r\n", id="mixed-crlf-lf"),
    pytest.param(b"a: 1\rb: 2\r", id="lone-cr"),
    pytest.param(BOM + b"services: []\n", id="bom"),
    pytest.param(BOM + b"a: 1\r\nb: 2", id="bom-crlf-no-final-newline"),
    pytest.param(b"", id="empty"),
    pytest.param(BOM, id="only-bom"),
    pytest.param("# caf\u00e9 \u4e2d\u6587 \u2028\n".encode(), id="non-ascii"),
    pytest.param(b"a: 1\n\n\n", id="trailing-blank-lines"),
    pytest.param(b"a: 1   \n\t\n", id="trailing-whitespace"),
]


@pytest.mark.parametrize("data", ROUND_TRIP)
def test_decode_encode_round_trip(data: bytes) -> None:
    decoded = decode(data, "render.yaml")
    assert encode(decoded.text, decoded) == data
    assert not decoded.text.startswith("\ufeff")
    assert decoded.bom == data.startswith(BOM)


NEWLINES = [
    pytest.param("a\nb\n", "\n", id="lf"),
    pytest.param("a\r\nb\r\n", "\r\n", id="crlf"),
    pytest.param("a\r\nb\r\nc\n", "\r\n", id="mostly-crlf"),
    pytest.param("a\r\nb\nc\n", "\n", id="mostly-lf"),
    pytest.param("a", "\n", id="none"),
]


@pytest.mark.parametrize(("text", "expected"), NEWLINES)
def test_dominant_newline(text: str, expected: str) -> None:
    assert dominant_newline(text) == expected
    assert decode(text.encode(), "f").newline == expected


NOT_UTF8 = [
    pytest.param(b"a: \xe9\n", "byte offset 3", id="latin-1"),
    pytest.param(BOM + b"a: \xff\n", "byte offset 6", id="bom-then-bad-byte"),
    pytest.param(b"\xff\xfea\x00", "byte offset 0", id="utf-16"),
]


@pytest.mark.parametrize(("data", "where"), NOT_UTF8)
def test_not_utf8_names_file_and_offset(data: bytes, where: str) -> None:
    with pytest.raises(RenderFileError) as info:
        decode(data, "deploy/render.yaml")
    message = str(info.value)
    assert message.startswith("deploy/render.yaml: not UTF-8")
    assert where in message
    assert "Tip:" in message
    assert "\n" not in message


def test_write_atomic_replaces_and_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "render.yaml"
    path.write_bytes(b"old\n")
    path.chmod(0o640)
    assert write_atomic(path, b"new\r\n") is True
    assert path.read_bytes() == b"new\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["render.yaml"]


def test_write_atomic_unchanged_does_nothing(tmp_path: Path) -> None:
    path = tmp_path / "render.yaml"
    path.write_bytes(b"same\n")
    os.utime(path, (1_000_000, 1_000_000))
    inode = path.stat().st_ino
    assert write_atomic(path, b"same\n") is False
    assert path.stat().st_mtime == 1_000_000
    assert path.stat().st_ino == inode


def test_write_atomic_follows_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real" / "render.yaml"
    real.parent.mkdir()
    real.write_bytes(b"old\n")
    real.chmod(0o600)
    link = tmp_path / "render.yaml"
    link.symlink_to(real)
    assert write_atomic(link, b"new\n") is True
    assert link.is_symlink()
    assert real.read_bytes() == b"new\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert sorted(p.name for p in real.parent.iterdir()) == ["render.yaml"]


def test_write_atomic_new_file_uses_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        path = tmp_path / "new.yaml"
        assert write_atomic(path, b"x\n") is True
    finally:
        os.umask(old)
    assert path.read_bytes() == b"x\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_write_atomic_cleans_up_on_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "render.yaml"
    path.write_bytes(b"old\n")

    def boom(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(RenderFileError, match="disk full"):
        write_atomic(path, b"new\n")
    assert path.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["render.yaml"]
