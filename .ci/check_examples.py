"""Strict example and nullability check for an OpenAPI 3.0, 3.1 or 3.2 document.

Every example (media types' and parameters' and headers' `example`/`examples`, schemas'
`example` or 3.1 `examples`) must validate against its own schema, and every schema that
admits null by its own words (3.0 `nullable: true`; 3.1/3.2 a `null` type, a
`{type: 'null'}` branch, a null enum member or const) must accept null. A 3.2 event
stream's example (the stream's text, its `schema` a string) must also hold, event by event,
data that validates against the media type's `itemSchema`: JSON, or the terminator its
`x-maniac-stream-terminator` names. The validator is openapi-schema-validator's, chosen
by the document's version (OAS 3.0: read validator for responses, write validator for
requests; OAS 3.1; OAS 3.2), with `$ref`s resolved inside the document and formats checked.

Usage: python check_examples.py DOCUMENT   (exit 1 and one line per failure, naming the
JSON pointer of the example or schema and the value)
"""

from __future__ import annotations

import json
import sys

import yaml
from jsonschema.exceptions import best_match
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30WriteValidator,
    OAS31Validator,
    OAS32Validator,
    oas30_format_checker,
    oas31_format_checker,
    oas32_format_checker,
)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

BASE = "urn:openapi-document"
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


class _Loader(yaml.SafeLoader):
    """YAML 1.2-like: timestamps stay strings, as they do for the Rust loader."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def escape(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def ptr(at: str, *tokens) -> str:
    return at + "".join("/" + escape(t) for t in tokens)


def resolve(doc, node):
    """Follows a local `$ref` (to a parameter, response, example ...) to its target."""
    seen = set()
    at = None
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            raise ValueError(f"cannot follow $ref {ref!r}")
        seen.add(ref)
        at = ref
        node = doc
        for token in ref[2:].split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
    return node, at


class Checker:
    def __init__(self, doc):
        self.doc = doc
        version = str(doc.get("openapi", ""))
        self.v32 = version.startswith("3.2")
        # 3.1 and 3.2 schemas are JSON Schema 2020-12; `v31` means "3.1 or later".
        self.v31 = self.v32 or version.startswith("3.1")
        spec = DRAFT202012 if self.v31 else DRAFT4
        self.registry = Registry().with_resource(BASE, Resource(contents=doc, specification=spec))
        self.failures: list[str] = []
        self.examples = 0
        self.nullables = 0
        self.schemas_seen: set[str] = set()

    def validator(self, schema_at: str, direction: str):
        schema = {"$ref": f"{BASE}#{schema_at[1:]}"}
        if self.v32:
            return OAS32Validator(schema, registry=self.registry, format_checker=oas32_format_checker)
        if self.v31:
            return OAS31Validator(schema, registry=self.registry, format_checker=oas31_format_checker)
        cls = OAS30WriteValidator if direction == "request" else OAS30ReadValidator
        return cls(schema, registry=self.registry, format_checker=oas30_format_checker)

    def check(self, value, schema_at: str, where: str, direction: str, what="example"):
        errors = list(self.validator(schema_at, direction).iter_errors(value))
        if errors:
            error = best_match(errors)
            inside = "".join("/" + escape(p) for p in error.absolute_path)
            shown = json.dumps(value if not inside else error.instance)[:200]
            self.failures.append(
                f"{where}{inside}: {what} {shown} does not match {schema_at}: {error.message[:300]}"
            )

    # ---------------------------------------------------------------- examples

    def example_values(self, holder: dict, at: str):
        if "example" in holder:
            yield ptr(at, "example"), holder["example"]
        for name, ex in (holder.get("examples") or {}).items():
            target, ref = resolve(self.doc, ex)
            if isinstance(target, dict) and "value" in target:
                yield ref or ptr(at, "examples", name, "value"), target["value"]

    def media_or_param(self, holder: dict, at: str, direction: str):
        """A media type, parameter or header: its examples against its `schema`."""
        if "schema" not in holder:
            # A 3.2 sequential media type may give only `itemSchema`.
            if "itemSchema" in holder:
                self.item_schema(holder, at, direction)
            return
        schema_at = ptr(at, "schema")
        target, ref = resolve(self.doc, holder["schema"])
        if ref:
            schema_at = ref
        for where, value in self.example_values(holder, at):
            self.examples += 1
            self.check(value, schema_at, where, direction)
        self.schema_tree(holder["schema"], ptr(at, "schema"), direction)
        if "itemSchema" in holder:
            self.item_schema(holder, at, direction)
        for name, content in (holder.get("content") or {}).items():
            self.media_or_param(content, ptr(at, "content", name), direction)

    def item_schema(self, media: dict, at: str, direction: str):
        """A sequential media type's `itemSchema` (3.2): its own schema tree, and, for an
        event stream, the data of each event of its examples (the stream's text)."""
        items_at = ptr(at, "itemSchema")
        target, ref = resolve(self.doc, media["itemSchema"])
        schema_at = ref or items_at
        self.schema_tree(media["itemSchema"], items_at, direction)
        # 3.2 describes an event as an object whose `data` holds JSON by `contentSchema`
        # (an annotation validators do not apply): each event's data is checked against it.
        # It may be one branch of an anyOf/oneOf beside the terminator.
        data = ((target.get("properties") or {}).get("data") or {}) if isinstance(target, dict) else {}
        data_at = ptr(schema_at, "properties", "data")
        branches = [(data, data_at)] + [
            (b, ptr(data_at, k, str(i)))
            for k in ("anyOf", "oneOf")
            for i, b in enumerate(data.get(k) or [])
            if isinstance(b, dict)
        ]
        for branch, branch_at in branches:
            if "contentSchema" in branch:
                _, content_ref = resolve(self.doc, branch["contentSchema"])
                schema_at = content_ref or ptr(branch_at, "contentSchema")
                break
        if not at.endswith("/text~1event-stream"):
            return
        terminator = media.get("x-maniac-stream-terminator")
        for where, value in self.example_values(media, at):
            if not isinstance(value, str):
                self.failures.append(f"{where}: an event stream's example is its text, not {type(value).__name__}")
                continue
            events = sse_data(value)
            if not events:
                self.failures.append(f"{where}: the stream's text holds no `data:` event")
            for i, data in enumerate(events):
                try:
                    event = json.loads(data)
                except ValueError:
                    if data != terminator:
                        self.failures.append(f"{where}: event {i} data {data[:80]!r} is neither JSON nor the terminator {terminator!r}")
                    continue
                self.examples += 1
                self.check(event, schema_at, f"{where} (event {i})", direction)

    def parameters(self, params, at: str):
        for i, p in enumerate(params or []):
            target, ref = resolve(self.doc, p)
            self.media_or_param(target, ref or ptr(at, str(i)), "request")

    def responses(self, responses, at: str):
        for status, r in (responses or {}).items():
            target, ref = resolve(self.doc, r)
            r_at = ref or ptr(at, status)
            if ref and ref in self.schemas_seen:
                continue
            if ref:
                self.schemas_seen.add(ref)
            for name, content in (target.get("content") or {}).items():
                self.media_or_param(content, ptr(r_at, "content", name), "response")
            for name, header in (target.get("headers") or {}).items():
                h, h_ref = resolve(self.doc, header)
                self.media_or_param(h, h_ref or ptr(r_at, "headers", name), "response")

    # ----------------------------------------------------------------- schemas

    def admits_null_by_its_words(self, schema: dict) -> bool:
        if not self.v31:
            return schema.get("nullable") is True
        types = schema.get("type")
        if types == "null" or (isinstance(types, list) and "null" in types):
            return True
        if "const" in schema and schema["const"] is None:
            return True
        if None in (schema.get("enum") or []):
            return True
        for key in ("anyOf", "oneOf"):
            for branch in schema.get(key) or []:
                if isinstance(branch, dict) and branch.get("type") == "null":
                    return True
        return False

    def schema_tree(self, schema, at: str, direction: str):
        """Schema-level examples and nullability, once per schema object."""
        if not isinstance(schema, dict) or "$ref" in schema and len(schema) == 1:
            return
        if at in self.schemas_seen:
            return
        self.schemas_seen.add(at)
        if "example" in schema:
            self.examples += 1
            self.check(schema["example"], at, ptr(at, "example"), direction)
        if self.v31 and isinstance(schema.get("examples"), list):
            for i, value in enumerate(schema["examples"]):
                self.examples += 1
                self.check(value, at, ptr(at, "examples", str(i)), direction)
        # A bare `{type: 'null'}` branch is counted with the union that holds it.
        if self.admits_null_by_its_words(schema) and schema != {"type": "null"}:
            self.nullables += 1
            self.check(None, at, at, direction, what="null (the schema says nullable)")
        for name, prop in (schema.get("properties") or {}).items():
            self.schema_tree(prop, ptr(at, "properties", name), direction)
        for key in ("items", "additionalProperties", "not"):
            if isinstance(schema.get(key), dict):
                self.schema_tree(schema[key], ptr(at, key), direction)
        for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
            for i, part in enumerate(schema.get(key) or []):
                self.schema_tree(part, ptr(at, key, str(i)), direction)

    # -------------------------------------------------------------------- walk

    def run(self):
        components = self.doc.get("components") or {}
        # Component schemas first: their examples and nullability are checked in the read
        # direction, which accepts both readOnly and writeOnly-free values.
        for name, schema in (components.get("schemas") or {}).items():
            self.schema_tree(schema, ptr("#/components/schemas", name), "response")
        for path, item in (self.doc.get("paths") or {}).items():
            item_at = ptr("#/paths", path)
            self.parameters(item.get("parameters"), ptr(item_at, "parameters"))
            for method, op in item.items():
                if method not in METHODS:
                    continue
                op_at = ptr(item_at, method)
                self.parameters(op.get("parameters"), ptr(op_at, "parameters"))
                if "requestBody" in op:
                    body, ref = resolve(self.doc, op["requestBody"])
                    body_at = ref or ptr(op_at, "requestBody")
                    for name, content in (body.get("content") or {}).items():
                        self.media_or_param(content, ptr(body_at, "content", name), "request")
                self.responses(op.get("responses"), ptr(op_at, "responses"))
        return self.failures


def sse_data(text: str) -> list[str]:
    """The `data` of each event of a Server-Sent Events text (its lines joined by LF)."""
    events, data = [], None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line:
            if data is not None:
                events.append(data)
            data = None
            continue
        field, _, value = line.partition(":")
        if field == "data":
            value = value[1:] if value.startswith(" ") else value
            data = value if data is None else data + "\n" + value
    if data is not None:
        events.append(data)
    return events


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        doc = yaml.load(f, Loader=_Loader)
    checker = Checker(doc)
    failures = checker.run()
    for line in failures:
        print(line)
    version = "OAS 3.2" if checker.v32 else "OAS 3.1" if checker.v31 else "OAS 3.0"
    print(
        f"check-examples: {checker.examples} examples and {checker.nullables} nullable schemas "
        f"checked with the strict {version} validator: {len(failures)} failures"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
