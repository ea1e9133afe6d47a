"""``python -m shared.contracts.generate [--check]``: write (or check) the contract files.

``shared/contracts/schemas/<function>_request.schema.json`` (JSON Schema 2020-12, one per
request body) and ``shared/contracts/openapi.json`` (OpenAPI 3.1, every HTTP function), all from
the models in ``registry``. ``make contracts`` runs it; a test fails when the files are stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic.json_schema import models_json_schema

from shared.contracts.registry import FUNCTIONS, HttpFunction, schema_models

HERE = Path(__file__).resolve().parent
REF = "#/components/schemas/{model}"
ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "code": {"type": "string"}},
}
RESPONSES = {
    "200": "Done (for the worker also: recorded FAILED with its reason, or a retry scheduled)",
    "400": "The body or a parameter is refused; nothing was done",
    "401": "No valid token",
    "403": "A token, but not of an allowed caller",
    "405": "Method not allowed",
    "503": "A dependency failed; retry later (Cloud Tasks and Stripe do)",
}


def schema_files() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, one per registered model."""
    files = {}
    for stem, model in schema_models().items():
        schema = model.model_json_schema(mode="validation")
        files[f"{stem}.schema.json"] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{stem}.schema.json",
            **schema,
        }
    return files


def _operation(function: HttpFunction, method: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{function.name}_{method}",
        "summary": function.summary,
        "responses": {
            code: {"description": text, "content": {"application/json": {"schema": ERROR}}}
            if code != "200" else {"description": text}
            for code, text in RESPONSES.items()
            if function.private or code not in ("401", "403")
        },
        "security": [{"oidc": []}] if function.private else [],
    }  # fmt: skip
    if function.body is not None and method == "post":
        ref = {"$ref": REF.format(model=function.body.__name__)}
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref}},
        }
    elif not function.private:
        operation["requestBody"] = {
            "required": True,
            "description": "A Stripe event as Stripe sends it; the Stripe-Signature header must "
            "verify over these exact bytes",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
        operation["parameters"] = [
            {"name": "Stripe-Signature", "in": "header", "required": True,
             "schema": {"type": "string"}},
        ]  # fmt: skip
    return operation


def openapi() -> dict[str, Any]:
    models = sorted({f.body for f in FUNCTIONS if f.body is not None}, key=lambda m: m.__name__)
    _, definitions = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "stripe-qbo-sync functions",
            "version": "1",
            "description": "The HTTP functions of stripe-qbo-sync on Cloud Run functions. Each "
            "is served at its own URL (Terraform output function_urls); the path below is the "
            "function's name as the local host serves it.",
        },
        "paths": {
            f"/{f.name}": {method: _operation(f, method) for method in f.methods} for f in FUNCTIONS
        },
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "oidc": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A Google-signed OIDC ID token for the function's URL, of an "
                    "allowed service account (Cloud Tasks, Cloud Scheduler, the invoker)",
                }
            },
        },
    }


def rendered() -> dict[str, str]:
    """Path relative to this package -> file text."""
    out = {f"schemas/{name}": _text(schema) for name, schema in schema_files().items()}
    out["openapi.json"] = _text(openapi())
    return out


def _text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def stale(directory: Path = HERE) -> list[str]:
    """Files that differ from what the models generate (or are missing, or left over)."""
    wanted = rendered()
    found = {
        str(p.relative_to(directory)): p.read_text(encoding="utf-8")
        for p in [*directory.glob("schemas/*.json"), directory / "openapi.json"]
        if p.exists()
    }
    return sorted(name for name in set(wanted) | set(found) if wanted.get(name) != found.get(name))


def write(directory: Path = HERE) -> list[Path]:
    (directory / "schemas").mkdir(parents=True, exist_ok=True)
    for old in (directory / "schemas").glob("*.json"):
        old.unlink()
    written = []
    for name, text in rendered().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        behind = stale()
        for name in behind:
            print(f"stale: shared/contracts/{name} (run `make contracts`)", file=sys.stderr)
        return 1 if behind else 0
    for path in write():
        print(f"wrote {path.relative_to(HERE.parents[1])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
