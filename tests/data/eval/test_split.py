"""A file cut into train and holdout: deterministic, disjoint, complete, prompts kept together."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tuner.data.eval.examples import read_eval_file
from tuner.data.eval.split import (
    HoldoutSize,
    SplitError,
    parse_holdout,
    split_file,
    split_paths,
)
from tuner.data.jsonl.atomic_file import OutputError


def line(user: str, reply: str = "Tamam.", system: str = "Kısa cevap ver.") -> bytes:
    example = {
        "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
            {"role": "assistant", "content": reply},
        ]
    }
    return json.dumps(example, ensure_ascii=False).encode() + b"\n"


def write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(lines))
    return path


def sides(tmp_path: Path, name: str = "data") -> tuple[list[bytes], list[bytes]]:
    train = (tmp_path / f"{name}.train.jsonl").read_bytes().splitlines(keepends=True)
    holdout = (tmp_path / f"{name}.holdout.jsonl").read_bytes().splitlines(keepends=True)
    return train, holdout


def test_a_percentage_holds_out_that_share(tmp_path: Path) -> None:
    source = write(tmp_path / "data.jsonl", [line(f"Soru {i}") for i in range(100)])
    result = split_file(source, parse_holdout("10%"))
    assert (result.train_examples, result.holdout_examples, result.asked) == (90, 10, 10)
    train, holdout = sides(tmp_path)
    assert len(train) == 90 and len(holdout) == 10
    assert sorted(train + holdout) == sorted(source.read_bytes().splitlines(keepends=True))


def test_the_same_seed_gives_the_same_split_and_another_seed_another(tmp_path: Path) -> None:
    source = write(tmp_path / "data.jsonl", [line(f"Soru {i}") for i in range(50)])
    split_file(source, HoldoutSize(count=10), seed=7)
    first = sides(tmp_path)
    split_file(source, HoldoutSize(count=10), seed=7, force=True)
    assert sides(tmp_path) == first
    split_file(source, HoldoutSize(count=10), seed=8, force=True)
    assert sides(tmp_path)[1] != first[1]


def test_lines_keep_their_order_and_bytes_crlf_included(tmp_path: Path) -> None:
    lines = [line(f"Soru {i}").replace(b"\n", b"\r\n") for i in range(20)]
    lines[-1] = lines[-1].rstrip(b"\r\n")  # a last line without a newline
    source = write(tmp_path / "data.jsonl", lines)
    split_file(source, HoldoutSize(count=5))
    train, holdout = sides(tmp_path)
    assert all(row.endswith(b"\r\n") or row == lines[-1] + b"\n" for row in train + holdout)
    originals = [*lines[:-1], lines[-1] + b"\n"]
    for side in (train, holdout):
        positions = [originals.index(row) for row in side]
        assert positions == sorted(positions)


def test_examples_with_the_same_prompt_stay_on_one_side(tmp_path: Path) -> None:
    lines = []
    for i in range(30):
        lines.append(line(f"Soru {i}", "Bir"))
        lines.append(line(f"Soru  {i} ", "Bir"))  # the same example, spaced differently
        lines.append(line(f"Soru {i}", "Başka bir cevap"))  # the same prompt, another reply
    source = write(tmp_path / "data.jsonl", lines)
    result = split_file(source, parse_holdout("20%"))
    assert result.shared_prompt == 60
    assert result.holdout_examples % 3 == 0
    keys_train = {e.key for e in read_eval_file(tmp_path / "data.train.jsonl").examples}
    keys_holdout = {e.key for e in read_eval_file(tmp_path / "data.holdout.jsonl").examples}
    assert keys_train.isdisjoint(keys_holdout)
    assert len(keys_holdout) == result.holdout_examples // 3


def test_blank_lines_are_dropped_and_broken_lines_kept(tmp_path: Path) -> None:
    lines = [line(f"Soru {i}") for i in range(10)]
    lines[3:3] = [b"\n", b"   \n", b'{"messages": [}\n', b"{broken\n"]
    source = write(tmp_path / "data.jsonl", lines)
    result = split_file(source, HoldoutSize(count=3))
    assert result.blank_lines == 2
    assert result.train_examples + result.holdout_examples == 12
    train, holdout = sides(tmp_path)
    assert b'{"messages": [}\n' in train + holdout


def test_a_bom_stays_at_the_start_of_whichever_file_gets_line_1(tmp_path: Path) -> None:
    lines = [line(f"Soru {i}") for i in range(10)]
    lines[0] = b"\xef\xbb\xbf" + lines[0]
    source = write(tmp_path / "data.jsonl", lines)
    split_file(source, HoldoutSize(count=3))
    train, holdout = sides(tmp_path)
    first = train if lines[0] in train else holdout
    assert first[0] == lines[0]


@pytest.mark.parametrize(
    ("count", "holdout", "message"),
    [
        (1, "50%", "has 1 example; a split needs at least 2"),
        (5, "10%", "10% of them is none; hold out a count instead"),
        (5, "5", "leaves none to train on"),
        (5, "99%", "leaves none to train on"),
    ],
)
def test_too_small_a_file_is_refused_clearly(
    tmp_path: Path, count: int, holdout: str, message: str
) -> None:
    source = write(tmp_path / "data.jsonl", [line(f"Soru {i}") for i in range(count)])
    with pytest.raises(SplitError, match=message):
        split_file(source, parse_holdout(holdout))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl"]


def test_one_prompt_only_cannot_be_split(tmp_path: Path) -> None:
    source = write(tmp_path / "data.jsonl", [line("Aynı soru", f"cevap {i}") for i in range(10)])
    with pytest.raises(SplitError, match=r"all 10 examples of .* have the same prompt"):
        split_file(source, parse_holdout("20%"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "give a percentage"),
        ("0%", "above 0%"),
        ("100%", "below 100%"),
        ("0", "at least 1"),
        ("x%", "not a percentage"),
        ("0.1", "give a percentage"),
    ],
)
def test_holdout_sizes(text: str, message: str) -> None:
    with pytest.raises(SplitError, match=message):
        parse_holdout(text)
    assert parse_holdout("12.5%") == HoldoutSize(percent=12.5)
    assert parse_holdout(" 30 ") == HoldoutSize(count=30)


def test_outputs_are_named_after_the_file_and_refused_when_they_exist(tmp_path: Path) -> None:
    paths = split_paths(tmp_path / "veri.seti.jsonl", None)
    assert (
        paths.train.name == "veri.seti.train.jsonl"
        and paths.holdout.name == "veri.seti.holdout.jsonl"
    )
    assert split_paths("data", tmp_path / "out").train == tmp_path / "out" / "data.train.jsonl"
    source = write(tmp_path / "data.jsonl", [line(f"Soru {i}") for i in range(10)])
    (tmp_path / "data.holdout.jsonl").write_bytes(b"keep")
    with pytest.raises(FileExistsError):
        split_file(source, HoldoutSize(count=2))
    assert (tmp_path / "data.holdout.jsonl").read_bytes() == b"keep"
    assert not (tmp_path / "data.train.jsonl").exists()
    with pytest.raises(OutputError, match="does not exist"):
        split_file(source, HoldoutSize(count=2), out_dir=tmp_path / "nowhere")


def test_a_file_changed_between_the_passes_is_not_written(tmp_path: Path, monkeypatch) -> None:
    # Another program writing the file between the two passes cannot be timed from a test;
    # the append happens where it would matter, after the first pass.
    from tuner.data.eval import split as split_module

    source = write(tmp_path / "data.jsonl", [line(f"Soru {i}") for i in range(10)])
    threshold = split_module._threshold

    def grow_then_threshold(*args, **kwargs):
        with open(source, "ab") as out:
            out.write(line("Yeni soru"))
        return threshold(*args, **kwargs)

    monkeypatch.setattr(split_module, "_threshold", grow_then_threshold)
    with pytest.raises(SplitError, match="changed while it was being split"):
        split_file(source, HoldoutSize(count=2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.jsonl"]


prompts = st.lists(
    st.sampled_from([f"Soru {i}" for i in range(12)] + ["Öğle", "Çay"]), min_size=2, max_size=40
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(prompts, st.integers(0, 5), st.integers(1, 60))
def test_splits_are_deterministic_disjoint_and_complete(
    tmp_path: Path, users: list[str], seed: int, percent: int
) -> None:
    folder = tmp_path / f"case{seed}-{percent}-{len(users)}-{abs(hash(tuple(users)))}"
    folder.mkdir()
    lines = [line(user, f"cevap {n}") for n, user in enumerate(users)]
    source = write(folder / "data.jsonl", lines)
    try:
        result = split_file(source, HoldoutSize(percent=percent), seed=seed)
    except SplitError:
        return  # too few examples or one prompt: refused, nothing written
    train, holdout = sides(folder)
    assert Counter(train) + Counter(holdout) == Counter(lines)  # complete, nothing twice
    assert train and holdout
    assert {users[lines.index(r)] for r in train}.isdisjoint(
        {users[lines.index(r)] for r in holdout}
    )
    assert (len(train), len(holdout)) == (result.train_examples, result.holdout_examples)
    again = split_file(source, HoldoutSize(percent=percent), seed=seed, force=True)
    assert sides(folder) == (train, holdout) and again == result
