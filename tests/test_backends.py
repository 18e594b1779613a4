"""Back-ends at module level: the registry, typed options, request keys, reply parsing."""

from __future__ import annotations

import json

import pytest

from safetylab.backends import BACKENDS, BackendOptions, GenerationRequest, parse_model
from safetylab.backends.openai import MalformedReply, OpenAIBackend, check_url, parse_completion
from safetylab.errors import SafetylabError


def test_registry_resolves_prefixes_and_names_the_known_ones() -> None:
    assert parse_model("openai/gpt-4o") == ("openai", "gpt-4o")
    assert parse_model("hf/some/dir") == ("hf", "some/dir")
    with pytest.raises(SafetylabError, match="unknown back-end 'foo'"):
        parse_model("foo/x")
    with pytest.raises(SafetylabError, match="openai/"):
        parse_model("nothing")
    assert {"openai", "hf", "vllm", "replay", "gguf"} <= set(BACKENDS)


def test_options_reach_the_openai_backend() -> None:
    b = OpenAIBackend.from_options(
        "m", BackendOptions(base_url="http://127.0.0.1:9/v1", concurrency=3, timeout_s=7.0)
    )
    assert b.url == "http://127.0.0.1:9/v1/chat/completions"
    assert b.concurrency == 3 and b.timeout_s == 7.0
    for bad in ("notaurl", "ftp://x/v1", "http://"):
        with pytest.raises(SafetylabError, match="not an http"):
            check_url(bad)


def test_cache_key_is_stable_and_covers_what_shapes_the_answer() -> None:
    a = GenerationRequest("hi", None, 0.0, 64, 0, 0, "id1")
    b = GenerationRequest("hi", None, 0.0, 64, 0, 0, "id2")  # the id does not shape the answer
    assert a.cache_key("m") == b.cache_key("m")
    assert a.cache_key("m") != GenerationRequest("hi", None, 0.7, 64, 0, 0).cache_key("m")
    assert a.cache_key("m") != a.cache_key("other")
    assert a.messages() == [{"role": "user", "content": "hi"}]


def _body(content: object, **choice: object) -> bytes:
    msg = {"message": {"role": "assistant", "content": content}, **choice}
    return json.dumps({"choices": [msg]}).encode()


def test_reply_parsing_is_strict_about_the_contract() -> None:
    assert parse_completion(_body("ok", finish_reason="stop")) == ("ok", "stop")
    assert parse_completion(_body(None)) == ("", None)
    assert (
        parse_completion(_body([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]))[0]
        == "ab"
    )
    for body, msg in (
        (b"{not json", "not JSON"),
        (b"[1, 2]", "JSON list"),
        (b'{"choices": []}', "no choices"),
        (b'{"error": "overloaded"}', "overloaded"),
        (b'{"choices": [{"text": "x"}]}', "no message"),
        (_body(3), "is a int"),
        (_body([1, 2]), "parts are not text"),
    ):  # fmt: skip
        with pytest.raises(MalformedReply, match=msg):
            parse_completion(body)
