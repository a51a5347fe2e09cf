"""The reply cache: what was paid for once is answered from disk, across processes and restarts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tuner.api.eval.reply_cache import CachedReply, ReplyCache, reply_key


def test_the_key_ignores_key_order_but_not_content() -> None:
    messages = [{"role": "user", "content": "Merhaba"}]
    same = [{"content": "Merhaba", "role": "user"}]
    key = reply_key("openai https://x", "m", messages, {"temperature": 0})
    assert key == reply_key("openai https://x", "m", same, {"temperature": 0})
    assert key != reply_key("openai https://x", "m", messages, {"temperature": 1})
    assert key != reply_key("together https://x", "m", messages, {"temperature": 0})
    assert key != reply_key("openai https://x", "m2", messages, {"temperature": 0})


def test_a_reply_survives_a_new_process(tmp_path: Path) -> None:
    path = tmp_path / "replies.sqlite"
    code = (
        "from pathlib import Path; from tuner.api.eval.reply_cache import ReplyCache, CachedReply;"
        f"ReplyCache(Path({str(path)!r})).put('k', CachedReply('Çiğ köfte', 5, 3, 0.25))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    cache = ReplyCache(path)
    assert cache.get("k") == CachedReply("Çiğ köfte", 5, 3, 0.25)
    assert cache.get("other") is None
    cache.close()


def test_a_damaged_file_is_moved_aside_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "replies.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    cache = ReplyCache(path)
    assert cache.get("k") is None
    cache.put("k", CachedReply("ok", None, None, 0.1))
    assert cache.get("k") is not None
    assert (tmp_path / "replies.sqlite.damaged").exists()
    cache.close()
