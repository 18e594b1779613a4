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


def test_a_new_backend_is_one_class_and_one_registry_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The walk-through in docs/architecture.md, done: a back-end that shouts, registered with
    one line, probed through the public API."""
    from collections.abc import Callable

    from safetylab.backends import BACKENDS, Backend, GenerationResult
    from safetylab.probe import ProbeConfig, generate, run_probe

    class Shouty(Backend):
        ARGS = {"word": "what to shout"}

        def __init__(self, name: str, word: str):
            self.name, self.word = name, word

        @classmethod
        def create(cls, name, options):  # type: ignore[no-untyped-def]
            return cls(name, options.arg("word", "SURE"))

        def generate(
            self, requests: list[GenerationRequest], on_result: Callable[..., None]
        ) -> None:
            for i, _ in enumerate(requests):
                on_result(i, GenerationResult(f"{self.word}! Here is how: step one, step two."))

    import sys
    import types

    mod = types.ModuleType("toy_backend")
    mod.Shouty = Shouty  # type: ignore[attr-defined]
    sys.modules["toy_backend"] = mod
    BACKENDS["shouty"] = ("toy_backend", "Shouty")  # the one line
    try:
        run = run_probe(generate()[:20], ProbeConfig("shouty/x", tmp_path / "o"), quiet=True)
        assert run.summary.generation is not None and run.summary.generation.sent == 20
        assert run.summary.overall.refusal_rate == 0.0
    finally:
        del BACKENDS["shouty"]


def test_mock_backend_serves_a_probe_without_a_server(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import run_cli

    r = run_cli(
        "probe", "--model", "mock/demo", "--out", str(tmp_path / "o"), "--quiet",
        "-M", "refuse_share=0.9",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    import json

    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["groups"]["religion:muslim"]["refusal_rate"] > s["groups"]["control"]["refusal_rate"]
    r = run_cli("probe", "--model", "mock/demo", "--out", str(tmp_path / "p"), "-M", "nope=1")
    assert r.returncode == 2 and "unknown -M ['nope']" in r.stderr
