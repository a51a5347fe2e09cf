"""Replacing a file safely: permissions, symbolic links, errors that name the user's path."""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tuner.data.jsonl import atomic_file
from tuner.data.jsonl.atomic_file import OutputError, output_target, write_atomically


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def write(dst: Path, data: bytes = b"new\n", *, force: bool = True) -> bool:
    def fill(out) -> bool:
        out.write(data)
        return True

    return write_atomically(output_target(dst, force=force), fill)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_file_gets_0666_minus_the_umask(tmp_path: Path, umask_022: None) -> None:
    dst = tmp_path / "out.jsonl"
    assert write(dst, force=False)
    assert mode(dst) == 0o644 and dst.read_bytes() == b"new\n"


def test_a_replaced_file_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    dst = tmp_path / "out.jsonl"
    dst.write_bytes(b"old\n")
    dst.chmod(0o640)
    assert write(dst)
    assert mode(dst) == 0o640 and dst.read_bytes() == b"new\n"


def test_a_symbolic_link_is_written_through(tmp_path: Path) -> None:
    target = tmp_path / "data" / "train.jsonl"
    target.parent.mkdir()
    target.write_bytes(b"old\n")
    target.chmod(0o644)
    link = tmp_path / "train.jsonl"
    link.symlink_to(target)
    assert write(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"new\n" and mode(target) == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["train.jsonl"]


def test_a_dangling_link_is_not_overwritten_without_force(tmp_path: Path) -> None:
    link = tmp_path / "out.jsonl"
    link.symlink_to(tmp_path / "missing.jsonl")
    with pytest.raises(FileExistsError):
        write(link, force=False)
    assert link.is_symlink() and not (tmp_path / "missing.jsonl").exists()
    assert write(link, force=True)
    assert link.is_symlink() and (tmp_path / "missing.jsonl").read_bytes() == b"new\n"


def test_nothing_to_write_leaves_the_target_and_no_temporary_file(tmp_path: Path) -> None:
    dst = tmp_path / "out.jsonl"
    dst.write_bytes(b"old\n")
    assert not write_atomically(output_target(dst, force=True), lambda out: False)
    assert dst.read_bytes() == b"old\n" and os.listdir(tmp_path) == ["out.jsonl"]


def test_a_missing_folder_is_named_as_given(tmp_path: Path) -> None:
    dst = tmp_path / "nope" / "out.jsonl"
    with pytest.raises(OutputError) as caught:
        output_target(dst, force=False)
    assert str(caught.value) == f"cannot write {dst}: the folder {dst.parent} does not exist"


def test_a_link_loop_and_a_directory_are_named(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(OutputError, match="symbolic link loop"):
        output_target(tmp_path / "a", force=True)
    with pytest.raises(OutputError, match="it is a directory"):
        output_target(tmp_path, force=True)


class _FullDisk(io.FileIO):
    def write(self, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_names_the_output_and_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dst = tmp_path / "out.jsonl"
    dst.write_bytes(b"old\n")
    monkeypatch.setattr(atomic_file.os, "fdopen", lambda fd, *a, **k: _FullDisk(fd, "wb"))
    with pytest.raises(OutputError) as caught:
        write(dst, b"x" * (2 << 20))
    monkeypatch.undo()
    message = str(caught.value)
    assert message == f"cannot write {dst}: the disk is full; {dst} was not changed"
    assert ".tmp" not in message
    assert dst.read_bytes() == b"old\n" and os.listdir(tmp_path) == ["out.jsonl"]


# -- temporary files: one name, one cleanup -------------------------------------------------------


def test_every_temporary_is_named_one_way_and_recognised(tmp_path: Path) -> None:
    names = []

    def fill(out) -> bool:
        names.extend(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
        return True

    write_atomically(output_target(tmp_path / "out.jsonl", force=True), fill)
    fd, made = atomic_file.create_temporary(tmp_path / "train.jsonl")
    os.close(fd)

    (during,) = names
    assert during.startswith(f".out.jsonl.{os.getpid()}-") and during.endswith(".tmp")
    assert made.name.startswith(f".train.jsonl.{os.getpid()}-")
    assert atomic_file.is_temporary(during) and atomic_file.is_temporary(made.name)
    assert not atomic_file.is_temporary("train.jsonl") and not atomic_file.is_temporary(".hidden")


def test_stale_temporaries_go_and_a_running_process_s_stay(tmp_path: Path) -> None:
    import subprocess
    import sys

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = int(gone.stdout)
    left = [
        f".train.jsonl.{dead}-0a1b2c3d.tmp",  # a killed run's
        ".train.jsonl.0a1b2c3d.tmp",  # an earlier version's (hex)
        ".train.jsonl.k2_x9zab.tmp",  # an earlier version's (mkstemp)
    ]
    kept = [
        f".train.jsonl.{os.getpid()}-0a1b2c3d.tmp",  # this process is writing it
        "train.jsonl",
        ".notes.tmp",
    ]
    for name in left + kept:
        (tmp_path / name).write_bytes(b"half")

    removed = atomic_file.remove_stale_temporaries(tmp_path)

    assert sorted(p.name for p in removed) == sorted(left)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)
    assert atomic_file.remove_stale_temporaries(tmp_path / "none") == []
