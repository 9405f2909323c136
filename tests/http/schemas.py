"""schemas — check JSON against imgmock's schemas/ (JSON Schema 2020-12), for every test suite.

    validate(kind, instance)       raises AssertionError saying what is wrong and where
    errors(kind, instance)         the same findings as a list of lines ([] when valid)
    validate_openapi_components()  openapi.json is self-contained and embeds the files unchanged

`kind` is one of KINDS and names schemas/<kind>.schema.json. Validation uses Debian's
python3-jsonschema (4.10 on Debian 12): Draft202012Validator with a FormatChecker, each schema
checked against the 2020-12 metaschema when it is first loaded. One deliberate difference from
plain JSON Schema: an "integer" must be an integer literal, so 1.0 is not one (see Validator).

Run it directly for a self-test: `/usr/bin/python3 tests/http/schemas.py` prints
"N passed, N failed" and exits non-zero when a case fails.
"""
import json
import os
import re
import sys

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker

SCHEMA_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schemas"))
OPENAPI = os.path.join(SCHEMA_DIR, "openapi.json")
KINDS = ("request", "response", "error", "stream-event", "health")

# "integer" as imgmock and the real API mean it: an integer literal. JSON Schema counts 1.0 as an
# integer; imgmock answers n=1.0 with "expected an integer, but got a decimal number", and Python's
# json module keeps the two apart (int and float), so the check here can too.
_TYPES = Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda checker, value: isinstance(value, int) and not isinstance(value, bool))
Validator = jsonschema.validators.extend(Draft202012Validator, type_checker=_TYPES)

_FORMATS = FormatChecker()
if "uri" not in _FORMATS.checkers:  # jsonschema checks "uri" only when rfc3987 is installed

    @_FORMATS.checks("uri")
    def _is_uri(value):
        return not isinstance(value, str) or re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]*", value) is not None


def _load_json(path):
    """A JSON file, refusing duplicate keys (a second key would silently win)."""

    def no_duplicates(pairs):
        seen = {}
        for key, value in pairs:
            if key in seen:
                raise AssertionError("%s: duplicate key %r" % (path, key))
            seen[key] = value
        return seen

    with open(path, encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=no_duplicates)


_schemas = {}
_validators = {}


def load(kind):
    """The parsed schemas/<kind>.schema.json, checked against the 2020-12 metaschema."""
    if kind not in KINDS:
        raise ValueError("unknown schema kind %r (one of %s)" % (kind, ", ".join(KINDS)))
    if kind not in _schemas:
        schema = _load_json(os.path.join(SCHEMA_DIR, kind + ".schema.json"))
        try:
            Draft202012Validator.check_schema(schema)
        except jsonschema.exceptions.SchemaError as e:
            raise AssertionError("schemas/%s.schema.json is not a valid 2020-12 schema: %s at %s"
                                 % (kind, e.message, _path(e.absolute_path))) from None
        _schemas[kind] = schema
    return _schemas[kind]


def _validator(kind):
    if kind not in _validators:
        _validators[kind] = Validator(load(kind), format_checker=_FORMATS)
    return _validators[kind]


def _path(parts):
    """A JSON path for messages: $.data[0].url"""
    out = "$"
    for p in parts:
        out += "[%d]" % p if isinstance(p, int) else "." + str(p)
    return out


def _short(value, limit=60):
    """An instance value for messages, with long strings (base64 images) cut short."""
    if isinstance(value, str):
        return json.dumps(value if len(value) <= limit else value[:limit] + "...(%d chars)" % len(value))
    if isinstance(value, dict):
        return "{" + ", ".join("%s: %s" % (json.dumps(k), _short(v, limit)) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v, limit) for v in value) + "]"
    return json.dumps(value)


def _describe(error, indent="  "):
    """One error as lines; the branches of a failed oneOf/anyOf are listed under it."""
    schema_path = "/".join(str(p) for p in error.schema_path)
    message = error.message
    if error.context and error.validator in ("oneOf", "anyOf"):
        message = "matches none of the %s alternatives" % error.validator
    if len(message) > 300:  # jsonschema repeats the whole instance in some messages
        message = message[:300] + "..."
    lines = ["%sat %s: %s  [schema: %s]" % (indent, _path(error.absolute_path), message, schema_path)]
    if error.context:
        by_branch = {}
        for sub in error.context:
            by_branch.setdefault(sub.relative_schema_path[0], []).append(sub)
        branches = error.schema.get(error.validator, [])
        # a branch that failed on the discriminator (its "type" const) is noise: show the others
        chosen = {i: subs for i, subs in by_branch.items()
                  if not any(e.validator == "const" and list(e.relative_path) == ["type"] for e in subs)}
        if chosen:
            by_branch = chosen
        for index, subs in sorted(by_branch.items(), key=lambda item: str(item[0])):
            title = ""
            if isinstance(index, int) and index < len(branches) and isinstance(branches[index], dict):
                title = branches[index].get("title", "")
            lines.append("%s  branch %s%s fails:" % (indent, index, " (%s)" % title if title else ""))
            for sub in sorted(subs, key=lambda e: list(map(str, e.absolute_path))):
                lines.extend(_describe(sub, indent + "    "))
    return lines


def errors(kind, instance):
    """What is wrong with `instance` as a `kind`, one line per finding; [] when it is valid."""
    found = sorted(_validator(kind).iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    lines = []
    for error in found:
        lines.extend(_describe(error))
    return lines


def validate(kind, instance):
    """Raise AssertionError unless `instance` (parsed JSON) is a valid `kind`."""
    lines = errors(kind, instance)
    if lines:
        raise AssertionError("not a valid %s (schemas/%s.schema.json):\n%s\ninstance: %s"
                             % (kind, kind, "\n".join(lines), _short(instance)))


# ---- openapi.json ------------------------------------------------------------------------------

def _walk(node, where=()):
    """Every (json-pointer parts, dict) in a document."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _walk(value, where + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, where + (i,))


def _pointer(parts):
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _resolve(document, ref):
    """The target of a local $ref ("#/a/b"), or raise AssertionError."""
    if not ref.startswith("#/"):
        raise AssertionError("$ref %r is not local to openapi.json (it must be self-contained)" % ref)
    node = document
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise AssertionError("$ref %r does not resolve inside openapi.json" % ref)
    return node


def _shared_parts():
    """Parts the schema files repeat (each file is standalone, with no $ref) must stay identical."""
    response, events = load("response"), load("stream-event")
    partial, completed = events["oneOf"]
    checks = [("usage", response["properties"]["usage"], completed["properties"]["usage"]),
              ("b64_json", response["properties"]["data"]["items"]["properties"]["b64_json"],
               completed["properties"]["b64_json"]),
              ("created", response["properties"]["created"], completed["properties"]["created_at"])]
    for key in ("size", "quality", "background", "output_format"):
        checks.append((key, response["properties"][key], completed["properties"][key]))
    for key in ("b64_json", "created_at", "size", "quality", "background", "output_format"):
        checks.append((key + " (partial_image event)", partial["properties"][key], completed["properties"][key]))
    for what, a, b in checks:
        if a != b:
            raise AssertionError("response.schema.json and stream-event.schema.json disagree on %s" % what)


def validate_openapi_components():
    """Check schemas/openapi.json: each components/schemas entry is a valid 2020-12 schema and
    equal to the standalone file its $id names (all five embedded, so they cannot drift); every
    $ref resolves inside the document; every example matches its schema. Returns the number of
    checks made; raises AssertionError on the first problem."""
    doc = _load_json(OPENAPI)
    checks = 0
    if doc.get("openapi") != "3.1.0":
        raise AssertionError("openapi.json: openapi is %r, not 3.1.0" % doc.get("openapi"))
    embedded = doc.get("components", {}).get("schemas", {})
    seen = {}
    for name, schema in embedded.items():
        try:
            Draft202012Validator.check_schema(schema)
        except jsonschema.exceptions.SchemaError as e:
            raise AssertionError("components/schemas/%s is not a valid 2020-12 schema: %s" % (name, e.message))
        schema_id = schema.get("$id", "") if isinstance(schema, dict) else ""
        match = re.fullmatch(r"https://imgmock\.dev/schemas/([a-z-]+)\.schema\.json", schema_id)
        if not match or match.group(1) not in KINDS:
            raise AssertionError("components/schemas/%s: $id %r names none of schemas/{%s}.schema.json"
                                 % (name, schema_id, ",".join(KINDS)))
        kind = match.group(1)
        if kind in seen:
            raise AssertionError("components/schemas/%s and %s both embed %s" % (seen[kind], name, kind))
        seen[kind] = name
        if schema != load(kind):
            raise AssertionError("components/schemas/%s differs from schemas/%s.schema.json: copy the file "
                                 "into openapi.json again" % (name, kind))
        checks += 2
    missing = [k for k in KINDS if k not in seen]
    if missing:
        raise AssertionError("openapi.json does not embed %s" % ", ".join(missing))
    for where, node in _walk(embedded, ("components", "schemas")):
        if "$ref" in node:  # would resolve against the embedded $id, which not every tool honours
            raise AssertionError("%s: schema files must not use $ref" % _pointer(where))
    for where, node in _walk(doc):
        ref = node.get("$ref")
        if isinstance(ref, str) and where[:2] != ("components", "schemas"):
            _resolve(doc, ref)
            checks += 1
    # examples: under media types, headers and the request body, each against its schema
    for where, node in _walk(doc):
        if where[:2] == ("components", "schemas") or not isinstance(node.get("schema"), (dict, bool)):
            continue
        schema = node["schema"]
        if isinstance(schema, dict) and "$ref" in schema:
            schema = _resolve(doc, schema["$ref"])
        values = []
        if "example" in node:
            values.append(("example", node["example"]))
        examples = node.get("examples")
        for key, example in (examples.items() if isinstance(examples, dict) else ()):
            if "$ref" in example:
                example = _resolve(doc, example["$ref"])
            values.append(("examples/" + key, example.get("value")))
        validator = Validator(schema, format_checker=_FORMATS)
        for label, value in values:
            problems = sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
            if problems:
                raise AssertionError("%s/%s does not match its schema:\n%s" % (
                    _pointer(where), label, "\n".join(line for e in problems for line in _describe(e))))
            checks += 1
    _shared_parts()
    return checks + 1


# ---- self-test -----------------------------------------------------------------------------

def _self_test():
    usage = {"input_tokens": 14, "input_tokens_details": {"image_tokens": 0, "text_tokens": 14},
             "output_tokens": 380, "output_tokens_details": {"image_tokens": 380, "text_tokens": 0},
             "total_tokens": 394}  # spec §6, the real gpt-image-2 example
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAX+XDSwAAAABJRU5ErkJggg=="
    gpt = {"created": 1713833628, "data": [{"b64_json": png}], "background": "opaque", "output_format": "png",
           "size": "3072x2160", "quality": "low", "usage": usage}
    dalle = {"created": 1713833628, "data": [{"url": "https://example.com/images/otter.png",
                                              "revised_prompt": "A baby sea otter floating on its back."}]}
    parse_error = {"error": {
        "message": "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
                   "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was "
                   "not valid JSON. If you have trouble figuring out how to fix this, please contact us "
                   "through our help center at help.openai.com.)",
        "type": "invalid_request_error", "param": None, "code": None}}
    unknown = {"error": {"message": "Unknown parameter: 'response_format'.", "type": "invalid_request_error",
                         "param": "response_format", "code": "unknown_parameter"}}
    moderation = {"error": {
        "message": "Your request was rejected by the safety system. If you believe this is an error, contact "
                   "us at help.openai.com and include the request ID req_0123456789abcdef0123456789abcdef. "
                   "safety_violations=[sexual].",
        "type": "image_generation_user_error", "param": None, "code": "moderation_blocked",
        "moderation_details": {"moderation_stage": "input", "categories": ["sexual"]}}}
    partial = {"type": "image_generation.partial_image", "b64_json": png, "created_at": 1713833628,
               "size": "1024x1024", "quality": "high", "background": "opaque", "output_format": "png",
               "partial_image_index": 0}
    completed = {"type": "image_generation.completed", "b64_json": png, "created_at": 1713833628,
                 "size": "1024x1024", "quality": "high", "background": "opaque", "output_format": "png",
                 "usage": usage}
    sdk_all_parameters = {  # contradictory per model, but valid for the published schema
        "prompt": "A cute baby sea otter", "background": "transparent", "model": "gpt-image-2", "moderation": "low",
        "n": 1, "output_compression": 100, "output_format": "png", "partial_images": 1, "quality": "medium",
        "response_format": "url", "size": "1024x1024", "stream": False, "style": "vivid", "user": "user-1234"}

    def edit(base, change):
        out = json.loads(json.dumps(base))
        change(out)
        return out

    def drop(d, key):
        del d[key]

    valid = [
        ("error: spec §4 parse error", "error", parse_error),
        ("error: unknown parameter", "error", unknown),
        ("error: moderation_blocked with moderation_details", "error", moderation),
        ("error: a gateway's integer code", "error", {"error": {"message": "Bad gateway.", "type": "cf_bad_gateway",
                                                                "param": None, "code": 502}}),
        ("response: DALL·E url + revised_prompt", "response", dalle),
        ("response: DALL·E b64_json, n=2", "response", {"created": 1, "data": [{"b64_json": png}, {"b64_json": png}]}),
        ("response: GPT with spec §6 usage", "response", gpt),
        ("response: GPT custom size 1248x1248", "response", edit(gpt, lambda r: r.update(size="1248x1248"))),
        ("stream-event: partial_image", "stream-event", partial),
        ("stream-event: completed", "stream-event", completed),
        ("health: ok", "health", {"status": "ok"}),
        ("request: prompt only", "request", {"prompt": "A cute baby sea otter"}),
        ("request: the SDKs' all-parameters body", "request", sdk_all_parameters),
        ("request: nulls mean default", "request", {"prompt": "x", "model": None, "n": None, "quality": None,
                                                    "size": None, "stream": None, "partial_images": None}),
        ("request: unknown keys are schema mode's to ignore", "request", {"prompt": "x", "seed": 7}),
    ]
    invalid = [
        ("error: missing param key", "error", edit(unknown, lambda e: drop(e["error"], "param"))),
        ("error: extra key in the envelope", "error", dict(unknown, request_id="req_1")),
        ("error: extra key in error", "error", edit(unknown, lambda e: e["error"].update(status=400))),
        ("error: code a boolean", "error", edit(unknown, lambda e: e["error"].update(code=True))),
        ("error: moderation_blocked without details", "error",
         edit(moderation, lambda e: drop(e["error"], "moderation_details"))),
        ("error: moderation_details on another code", "error",
         edit(unknown, lambda e: e["error"].update(moderation_details={"moderation_stage": "input",
                                                                       "categories": []}))),
        ("response: quality auto", "response", edit(gpt, lambda r: r.update(quality="auto"))),
        ("response: size auto", "response", edit(gpt, lambda r: r.update(size="auto"))),
        ("response: half-GPT (size and quality only)", "response",
         {"created": 1, "data": [{"b64_json": png}], "size": "1024x1024", "quality": "high"}),
        ("response: GPT without usage", "response", edit(gpt, lambda r: drop(r, "usage"))),
        ("response: GPT usage without output_tokens_details", "response",
         edit(gpt, lambda r: drop(r["usage"], "output_tokens_details"))),
        ("response: negative token count", "response", edit(gpt, lambda r: r["usage"].update(total_tokens=-1))),
        ("response: GPT image as url", "response",
         edit(gpt, lambda r: r.update(data=[{"url": "https://example.com/a.png"}]))),
        ("response: url and b64_json in one image", "response",
         edit(dalle, lambda r: r["data"][0].update(b64_json=png))),
        ("response: url not a URI", "response", edit(dalle, lambda r: r["data"][0].update(url="not a uri"))),
        ("response: b64_json not base64", "response", {"created": 1, "data": [{"b64_json": "not base64!"}]}),
        ("response: extra top-level key", "response", dict(dalle, model="dall-e-3")),
        ("response: no images", "response", {"created": 1, "data": []}),
        ("stream-event: partial_image_index 3", "stream-event", dict(partial, partial_image_index=3)),
        ("stream-event: quality auto", "stream-event", dict(partial, quality="auto")),
        ("stream-event: completed without usage", "stream-event", edit(completed, lambda e: drop(e, "usage"))),
        ("stream-event: partial_image with usage", "stream-event", dict(partial, usage=usage)),
        ("stream-event: unknown type", "stream-event", dict(completed, type="image_generation.done")),
        ("health: not ok", "health", {"status": "down"}),
        ("request: no prompt", "request", {"model": "dall-e-2"}),
        ("request: n 11", "request", {"prompt": "x", "n": 11}),
        ("request: n a string", "request", {"prompt": "x", "n": "1"}),
        ("request: n 1.0 (a decimal number)", "request", json.loads('{"prompt": "x", "n": 1.0}')),
        ("response: created 1.0", "response", dict(dalle, created=1713833628.0)),
        ("request: quality not in any model's set", "request", {"prompt": "x", "quality": "ultra"}),
        ("request: partial_images 4", "request", {"prompt": "x", "partial_images": 4}),
        ("request: user null", "request", {"prompt": "x", "user": None}),
        ("request: prompt null", "request", {"prompt": None}),
    ]

    passed = failed = 0

    def report(ok, label, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL %s%s" % (label, "\n" + detail if detail else ""))

    for kind in KINDS:
        try:
            load(kind)
            report(True, "schema %s" % kind)
        except AssertionError as e:
            report(False, "schema %s" % kind, str(e))
    for label, kind, instance in valid:
        try:
            validate(kind, instance)
            report(True, label)
        except AssertionError as e:
            report(False, "valid " + label, str(e))
    for label, kind, instance in invalid:
        try:
            validate(kind, instance)
            report(False, "invalid " + label, "  accepted, but it must be rejected")
        except AssertionError as e:
            report(True, label)
            if "-v" in sys.argv:
                print("rejected as expected: %s\n%s" % (label, e))
    try:
        count = validate_openapi_components()
        report(True, "openapi.json (%d checks)" % count)
    except AssertionError as e:
        report(False, "openapi.json", str(e))
    print("%d passed, %d failed" % (passed, failed))
    return failed == 0


if __name__ == "__main__":
    sys.exit(0 if _self_test() else 1)
