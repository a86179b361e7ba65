"""The official Python clients against a server of spec/maniac.yaml (the generated mock, or
Prism mocking the document).

With the `maniac` SDK (0.5.2), every operation it exposes, through the sync and the async
client, streaming chat included: the resources and methods are enumerated from the installed
package, and one with no call written here is a failure. Each result must be what the SDK
declares it returns: the method's return annotation (a pydantic model of `maniac.types`)
validates the JSON it got, strictly (no coercion); the evaluator calls, declared
`dict[str, Any]`, validate as the SDK's JudgeEvaluator | CodeEvaluator; streamed chat yields
`data:` payloads that validate as OpenAI's ChatCompletionChunk and end with `[DONE]`.

With the `openai` SDK (base_url the server's /v1): chat plain and streamed (sync and
async) and the model list, each result of the SDK's own types, validated.

Usage: MANIAC_API_KEY=KEY python sdk_calls.py --base-url http://127.0.0.1:PORT [--label NAME]
       [--accept-event-stream]
Prints one PASS/FAIL line per call and `NAME: N passed, M failed`; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import asyncio
import collections.abc
import inspect
import io
import json
import os
import pathlib
import re
import sys
import time
import traceback
import types
import typing
import warnings
from typing import Annotated, Any, Callable, Union

# maniac.types' JsonSchemaConfig has a field `schema`, which pydantic warns about on import.
warnings.filterwarnings("ignore", message='Field name "schema"', category=UserWarning)

import maniac  # noqa: E402 - after the warning filter
import maniac.types as mt  # noqa: E402
import openai  # noqa: E402
from openai.types import Model as OpenAIModel  # noqa: E402
from openai.types.chat import ChatCompletion as OpenAIChatCompletion  # noqa: E402
from openai.types.chat import ChatCompletionChunk as OpenAIChunk  # noqa: E402
from pydantic import Field, TypeAdapter  # noqa: E402

MODEL = "openai/gpt-4o"
MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Hello!"},
]

# One call (or more) per SDK method, by its dotted name under the client. Each is
# (label, positional args, keyword args). Bodies follow the document's request examples.
CALLS: dict[str, list[tuple[str, tuple, dict]]] = {
    "chat.completions.list": [("", (), {"limit": 5, "offset": 0, "model": MODEL, "order": "desc"})],
    "chat.completions.create": [
        ("plain", (), {"model": MODEL, "messages": MESSAGES, "temperature": 0.2, "max_tokens": 256}),
        ("stream", (), {"model": MODEL, "messages": MESSAGES, "stream": True}),
    ],
    "chat.completions.retrieve": [("", ("chatcmpl-8f2c1a",), {})],
    "chat.completions.register": [
        (
            "",
            (),
            {
                "container": "maniac:my-container",
                "items": [
                    {
                        "input": {"messages": [{"role": "user", "content": "What is the capital of France?"}]},
                        "output": {
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": "Paris."},
                                    "finish_reason": "stop",
                                }
                            ]
                        },
                    }
                ],
            },
        )
    ],
    "containers.list": [("", (), {"limit": 5, "offset": 0})],
    "containers.create": [
        (
            "",
            (),
            {
                "label": "my-container",
                "initial_model": MODEL,
                "default_system_prompt": "You are a support assistant.",
                "default_parameters": {"temperature": 0.2, "max_tokens": 512},
            },
        )
    ],
    "containers.retrieve": [("", ("my-container",), {})],
    "containers.update": [("", ("my-container",), {"default_system_prompt": "Be concise.", "default_model": "openai/gpt-4o-mini"})],
    "containers.delete": [("", ("my-container",), {})],
    "datasets.list": [("", (), {"limit": 5, "offset": 0, "container": "my-container"})],
    "datasets.create": [
        (
            "",
            (),
            {
                "container": "my-container",
                "name": "support-v1",
                "size": 500,
                "tags": ["support"],
                "filters": [{"key": "metadata.source", "operator": "equals", "value": "dashboard"}],
            },
        )
    ],
    "datasets.retrieve": [("", ("6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f",), {})],
    "evaluation.runs.list": [("", (), {"container": "my-container", "limit": 5, "offset": 0})],
    "evaluation.runs.create": [
        (
            "",
            (),
            {
                "container": "my-container",
                "evaluators": ["helpfulness"],
                "sample": {"type": "container", "container": "my-container", "range": "0:100"},
            },
        )
    ],
    "evaluation.runs.retrieve": [("", ("evalrun_01",), {})],
    "evaluators.list": [("", (), {"container": "my-container", "limit": 5, "offset": 0})],
    "evaluators.create": [
        (
            "judge",
            (),
            {
                "type": "judge",
                "container": "my-container",
                "name": "helpfulness",
                "model": MODEL,
                "prompt": "Rate the helpfulness of the answer from 0 to 1.",
                "pass_threshold": 0.7,
            },
        )
    ],
    "evaluators.retrieve": [("", ("helpfulness",), {})],
    "evaluators.update": [("", ("helpfulness",), {"pass_threshold": 0.8})],
    "evaluators.delete": [("", ("helpfulness",), {})],
    "files.list": [("", (), {"purpose": "fine-tune", "limit": 5, "offset": 0})],
    "files.create": [("", (), {"purpose": "fine-tune"})],  # the file is added per call
    "files.retrieve": [("", ("0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d",), {})],
    "files.delete": [("", ("0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d",), {})],
    "files.content": [("", ("0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d",), {})],
    "models.list": [("", (), {"limit": 5, "offset": 0})],
    "models.add": [
        ("", (), {"container": "my-container", "model": "openai/gpt-4o-mini", "slug": "fast", "default_system_prompt": "Answer in one sentence."})
    ],
    "optimization.runs.create": [
        (
            "",
            (),
            {
                "container": "my-container",
                "base_models": ["qwen/qwen3-8b"],
                "evals": ["helpfulness"],
                "methods": [
                    {
                        "type": "grpo",
                        "hyperparameters": {
                            "lora_alpha": [16],
                            "lora_targets": ["q_proj", "v_proj"],
                            "learning_rate": 1e-05,
                            "batch_size": 8,
                            "max_steps": 200,
                            "seed": 42,
                        },
                    }
                ],
            },
        )
    ],
    "rlm.responses.create": [
        (
            "",
            (),
            {
                "model": MODEL,
                "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Summarize."}]}],
                "instructions": "Answer in English.",
            },
        )
    ],
    "rlm.responses.retrieve": [("", ("resp_01",), {})],
    "traces.list": [("", (), {"limit": 5, "offset": 0})],
    "traces.retrieve": [("", ("trace-01",), {})],
}

# Declared `dict[str, Any]`: the SDK's evaluator models, told apart by `object`.
EVALUATOR = Annotated[Union[mt.JudgeEvaluator, mt.CodeEvaluator], Field(discriminator="object")]
DECLARED_AS_DICT = {"evaluators.create": EVALUATOR, "evaluators.retrieve": EVALUATOR, "evaluators.update": EVALUATOR}

# Names the SDK's annotations use (its module imports them only for type checkers).
NAMESPACE = {
    **vars(typing),
    **{name: getattr(mt, name) for name in dir(mt) if not name.startswith("_")},
    "Path": pathlib.Path,
}


class Report:
    def __init__(self, label: str):
        self.label = label
        self.passed = 0
        self.failed: list[str] = []

    def run(self, name: str, call: Callable[[], str]):
        start = time.monotonic()
        try:
            detail = call()
        except Exception as e:  # noqa: BLE001 - every failure is reported, not raised
            took = (time.monotonic() - start) * 1000
            reason = f"{type(e).__name__}: {e}".replace("\n", " ")[:600]
            print(f"FAIL {self.label} {name} ({took:.0f} ms): {reason}", flush=True)
            if os.environ.get("SDK_CALLS_TRACEBACK"):
                traceback.print_exc()
            self.failed.append(name)
            return
        took = (time.monotonic() - start) * 1000
        print(f"PASS {self.label} {name} ({took:.0f} ms): {detail}", flush=True)
        self.passed += 1

    async def run_async(self, name: str, call):
        start = time.monotonic()
        try:
            detail = await call()
        except Exception as e:  # noqa: BLE001
            took = (time.monotonic() - start) * 1000
            reason = f"{type(e).__name__}: {e}".replace("\n", " ")[:600]
            print(f"FAIL {self.label} {name} ({took:.0f} ms): {reason}", flush=True)
            self.failed.append(name)
            return
        took = (time.monotonic() - start) * 1000
        print(f"PASS {self.label} {name} ({took:.0f} ms): {detail}", flush=True)
        self.passed += 1


# ------------------------------------------------------------------ maniac SDK


def sdk_methods(client) -> dict[str, Callable]:
    """Every public method of every resource (and sub-resource) of a client, by dotted name."""
    found: dict[str, Callable] = {}

    def walk(obj, prefix: str, depth: int):
        for attr in sorted(vars(obj)):
            if attr.startswith("_"):
                continue
            child = getattr(obj, attr)
            if type(child).__module__.startswith("maniac.") and type(child).__name__.endswith("Resource"):
                if depth < 4:
                    walk(child, f"{prefix}{attr}.", depth + 1)
        for attr, member in inspect.getmembers(type(obj), inspect.isfunction):
            if not attr.startswith("_") and prefix:
                found[f"{prefix}{attr}"] = getattr(obj, attr)

    walk(client, "", 0)
    return found


def declared_return(method: Callable, name: str, stream: bool):
    """What the SDK says the method returns (the JSON branch for a non-streamed chat)."""
    if name in DECLARED_AS_DICT:
        return DECLARED_AS_DICT[name]
    declared = typing.get_type_hints(method, globalns=NAMESPACE)["return"]
    union = typing.get_origin(declared) in (Union, types.UnionType)
    options = typing.get_args(declared) if union else (declared,)
    generators = (collections.abc.Generator, collections.abc.AsyncGenerator)
    options = [o for o in options if (typing.get_origin(o) in generators) == stream]
    if len(options) != 1:
        raise AssertionError(f"cannot tell the declared result of {name} from {declared!r}")
    return options[0]


def check_typed(name: str, method: Callable, result: Any) -> str:
    declared = declared_return(method, name, stream=False)
    if declared is bytes:
        assert isinstance(result, bytes) and result, f"expected non-empty bytes, got {type(result).__name__}"
        return f"bytes ({len(result)})"
    assert isinstance(result, dict), f"expected a JSON object, got {type(result).__name__}"
    # Strict: the JSON as it came, no coercion (a string for a number fails).
    value = TypeAdapter(declared).validate_json(json.dumps(result), strict=True)
    shown = getattr(value, "id", None) or getattr(value, "object", None) or ""
    return f"{type(value).__name__} {shown}".strip()


def check_chunks(payloads: list[str]) -> str:
    assert payloads, "no data: event"
    assert payloads[-1] == "[DONE]", f"the stream does not end with [DONE]: {payloads[-1][:80]!r}"
    chunks = [OpenAIChunk.model_validate_json(p, strict=False) for p in payloads[:-1]]
    assert chunks, "no chunk before [DONE]"
    for chunk in chunks:
        assert chunk.object == "chat.completion.chunk", chunk.object
    text = "".join(c.delta.content or "" for chunk in chunks for c in chunk.choices)
    return f"{len(chunks)} ChatCompletionChunk + [DONE], text {text!r}"


def sample_file() -> io.BytesIO:
    upload = io.BytesIO(b'{"messages": [{"role": "user", "content": "hi"}]}\n')
    upload.name = "train.jsonl"
    return upload


def maniac_sync(report: Report, base_url: str, key: str):
    client = maniac.Maniac(api_key=key, base_url=base_url, max_retries=0, timeout=30)
    methods = sdk_methods(client)
    check_coverage(report, "maniac", methods)
    for name, method in methods.items():
        for label, args, kwargs in CALLS.get(name, []):
            title = f"maniac {name}{' (' + label + ')' if label else ''}"

            def call(name=name, method=method, args=args, kwargs=kwargs):
                if name == "files.create":
                    kwargs = {**kwargs, "file": sample_file()}
                result = method(*args, **kwargs)
                if kwargs.get("stream"):
                    assert inspect.isgenerator(result), f"expected a generator, got {type(result).__name__}"
                    return check_chunks(list(result))
                return check_typed(name, method, result)

            report.run(title, call)
    client.close()


async def maniac_async(report: Report, base_url: str, key: str):
    client = maniac.AsyncManiac(api_key=key, base_url=base_url, max_retries=0, timeout=30)
    methods = sdk_methods(client)
    check_coverage(report, "maniac async", methods)
    for name, method in methods.items():
        for label, args, kwargs in CALLS.get(name, []):
            title = f"maniac async {name}{' (' + label + ')' if label else ''}"

            async def call(name=name, method=method, args=args, kwargs=kwargs):
                if name == "files.create":
                    kwargs = {**kwargs, "file": sample_file()}
                result = await method(*args, **kwargs)
                if kwargs.get("stream"):
                    assert inspect.isasyncgen(result), f"expected an async generator, got {type(result).__name__}"
                    return check_chunks([p async for p in result])
                return check_typed(name, method, result)

            await report.run_async(title, call)
    await client.close()


def check_coverage(report: Report, which: str, methods: dict[str, Callable]):
    """Every SDK method has a call here, and every call here names an SDK method."""

    def coverage():
        missing = sorted(set(methods) - set(CALLS))
        unknown = sorted(set(CALLS) - set(methods))
        assert not missing, f"SDK methods with no call written: {missing}"
        assert not unknown, f"calls for methods the SDK does not have: {unknown}"
        return f"{len(methods)} methods, each called"

    report.run(f"{which} coverage", coverage)


# ------------------------------------------------------------------ openai SDK


def stream_headers(accept_event_stream: bool) -> dict[str, str]:
    # The openai SDK asks a stream with the body's `stream: true` and `Accept:
    # application/json`; a server that picks the media type by Accept alone (Prism) needs
    # to be asked for the stream.
    return {"Accept": "text/event-stream"} if accept_event_stream else {}


def openai_calls(report: Report, base_url: str, key: str, accept_event_stream: bool):
    client = openai.OpenAI(api_key=key, base_url=f"{base_url}/v1", max_retries=0, timeout=30)

    def chat():
        completion = client.chat.completions.create(model=MODEL, messages=MESSAGES, temperature=0.2)
        assert isinstance(completion, OpenAIChatCompletion), type(completion).__name__
        # The SDK builds its models without validating; validate what it got.
        notes = revalidate(OpenAIChatCompletion, completion)
        assert completion.object == "chat.completion", completion.object
        message = completion.choices[0].message
        assert isinstance(message.content, str), message
        return f"ChatCompletion {completion.id}, {message.content!r}{notes}"

    def chat_stream():
        stream = client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, extra_headers=stream_headers(accept_event_stream)
        )
        assert isinstance(stream, openai.Stream), type(stream).__name__
        chunks = list(stream)
        return described_chunks(chunks)

    def models():
        page = client.models.list()
        items = list(page)
        assert items, "no model"
        for item in items:
            assert isinstance(item, OpenAIModel), type(item).__name__
            assert isinstance(item.id, str) and item.object == "model", item
        return f"{type(page).__name__} of {len(items)}: {[m.id for m in items]}"

    report.run("openai chat.completions.create (plain)", chat)
    report.run("openai chat.completions.create (stream)", chat_stream)
    report.run("openai models.list", models)
    client.close()


def revalidate(model, value) -> str:
    """Validates an SDK object built without validation; notes what pydantic warned about
    (a whole number sent as a float, say, where the SDK declares an int)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.model_validate(value.to_dict())
    fields = sorted({f for w in caught for f in re.findall(r"field_name='(\w+)'", str(w.message))})
    return f" (note: pydantic warned of unexpected value types in {', '.join(fields)})" if fields else ""


def described_chunks(chunks: list) -> str:
    assert chunks, "no chunk"
    notes = ""
    for chunk in chunks:
        assert isinstance(chunk, OpenAIChunk), type(chunk).__name__
        notes = notes or revalidate(OpenAIChunk, chunk)
        assert chunk.object == "chat.completion.chunk", chunk.object
    text = "".join(c.delta.content or "" for chunk in chunks for c in chunk.choices)
    return f"{len(chunks)} ChatCompletionChunk, text {text!r}{notes}"


async def openai_async_calls(report: Report, base_url: str, key: str, accept_event_stream: bool):
    client = openai.AsyncOpenAI(api_key=key, base_url=f"{base_url}/v1", max_retries=0, timeout=30)

    async def chat_stream():
        stream = await client.chat.completions.create(
            model=MODEL, messages=MESSAGES, stream=True, extra_headers=stream_headers(accept_event_stream)
        )
        assert isinstance(stream, openai.AsyncStream), type(stream).__name__
        return described_chunks([chunk async for chunk in stream])

    await report.run_async("openai async chat.completions.create (stream)", chat_stream)
    await client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--label", default="sdk")
    parser.add_argument(
        "--accept-event-stream",
        action="store_true",
        help="send Accept: text/event-stream on the openai SDK's streamed calls, for a server "
        "that picks the media type by Accept alone and not by the body's `stream` (Prism)",
    )
    args = parser.parse_args()
    key = os.environ.get("MANIAC_API_KEY")
    if not key:
        print("sdk_calls: MANIAC_API_KEY is not set", file=sys.stderr)
        return 2
    base_url = args.base_url.rstrip("/")
    print(f"-- {args.label}: maniac {maniac.__version__}, openai {openai.__version__} against {base_url}")
    report = Report(args.label)
    maniac_sync(report, base_url, key)
    asyncio.run(maniac_async(report, base_url, key))
    openai_calls(report, base_url, key, args.accept_event_stream)
    asyncio.run(openai_async_calls(report, base_url, key, args.accept_event_stream))
    if report.failed:
        print(f"{args.label} failures: {', '.join(report.failed)}")
    print(f"{args.label}: {report.passed} passed, {len(report.failed)} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
