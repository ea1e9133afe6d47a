"""Reading terraform/ for the consistency tests: the parsed HCL, reference resolution, and the
locations of the tools the checks run (terraform, checkov)."""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import hcl2
from hcl2 import SerializationOptions

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = ROOT / "terraform"
TOOLS_DIR = ROOT / ".tools"
CHECKOV_VERSION = "3.3.30"
CHECKOV_VENV = TOOLS_DIR / "checkov-venv"

_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
_LOCAL_REF = re.compile(r"^\$\{local\.([A-Za-z0-9_.]+)\}$")


@dataclass(frozen=True)
class Terraform:
    locals: dict[str, Any]
    resources: dict[str, dict[str, dict[str, Any]]]
    variables: dict[str, dict[str, Any]]
    outputs: dict[str, dict[str, Any]]

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        assert name in self.resources.get(kind, {}), f"terraform/ has no {kind}.{name}"
        return self.resources[kind][name]

    def local(self, name: str) -> Any:
        assert name in self.locals, f"terraform/ has no local.{name}"
        return self.resolve(self.locals[name])

    def resolve(self, value: Any) -> Any:
        """Follow a bare ``${local.a.b}`` reference to the literal it names."""
        if not isinstance(value, str):
            return value
        match = _LOCAL_REF.match(value)
        if match is None:
            return value
        node: Any = self.locals
        for part in match.group(1).split("."):
            node = node[part]
        return self.resolve(node)


def load_terraform(directory: Path = TERRAFORM_DIR) -> Terraform:
    tf = Terraform({}, {}, {}, {})
    for path in sorted(directory.glob("*.tf")):
        parsed = hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=_OPTIONS)
        for block in parsed.get("locals", []):
            for name, value in block.items():
                if not name.startswith("__"):
                    assert name not in tf.locals, f"local.{name} is defined twice"
                    tf.locals[name] = value
        for block in parsed.get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    tf.resources.setdefault(kind, {})[name] = body
        for block in parsed.get("variable", []):
            tf.variables.update(block)
        for block in parsed.get("output", []):
            tf.outputs.update(block)
    return tf


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The single nested block ``name`` of a resource body."""
    blocks = body.get(name)
    assert isinstance(blocks, list) and len(blocks) == 1, f"expected one {name} block"
    nested = blocks[0]
    assert isinstance(nested, dict)
    return nested


def comments(body: dict[str, Any]) -> list[str]:
    return [str(c["value"]).strip() for c in body.get("__comments__", [])]


def squash(expression: str) -> str:
    """An HCL expression without whitespace, for comparing its shape."""
    return re.sub(r"\s+", "", expression)


def load_packager() -> ModuleType:
    script = TERRAFORM_DIR / "package_functions.py"
    spec = importlib.util.spec_from_file_location("package_functions", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def terraform_binary() -> str:
    found = shutil.which("terraform")
    if found is None:
        raise AssertionError(
            "terraform is not on PATH: install Terraform >= 1.6 (the Terraform checks are part "
            "of the test command and do not skip)"
        )
    return found


def checkov_python() -> Path:
    """The Python of a private virtual environment with the pinned checkov, created on first use.

    checkov's dependencies would conflict with the project's, so it never enters .venv.
    """
    python = CHECKOV_VENV / "bin" / "python"
    TOOLS_DIR.mkdir(exist_ok=True)
    with (TOOLS_DIR / "checkov.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent test runs install it once
        if python.exists() and _checkov_version(python) == CHECKOV_VERSION:
            return python
        uv = load_packager().uv_command()
        subprocess.run(
            [*uv, "venv", "--quiet", "--allow-existing", "--python", sys.executable, CHECKOV_VENV],
            check=True,
        )
        subprocess.run(
            [*uv, "pip", "install", "--quiet", "--python", python, f"checkov=={CHECKOV_VERSION}"],
            check=True,
            timeout=900,
        )
    return python


def _checkov_version(python: Path) -> str:
    probe = subprocess.run(
        [python, "-c", "from checkov.version import version; print(version)"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return probe.stdout.strip() if probe.returncode == 0 else ""


_TOP_BLOCK = re.compile(r'^(locals|variable "[^"]+")\s*\{\s*$')
# An attribute of a managed resource, e.g. google_service_account.invoker.email or
# google_secret_manager_secret.secret[id].secret_id: unknown until apply.
_RESOURCE_ATTRIBUTE = re.compile(r"\bgoogle_[a-z0-9_]+\.[a-z0-9_]+(\[[^\]]+\])?\.[a-z_]+\b")
RESOURCE_STUB = "resource-attribute"


def locals_module(directory: Path = TERRAFORM_DIR) -> str:
    """Every ``locals`` and ``variable`` block of the module, resource attributes replaced by a
    stub string: a configuration Terraform evaluates without providers or credentials.

    Top-level blocks are cut at the first ``}`` in column 0, which ``terraform fmt`` (checked
    by its own test) guarantees is where they end.
    """
    kept: list[str] = []
    for path in sorted(directory.glob("*.tf")):
        inside = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if not inside and _TOP_BLOCK.match(line):
                inside = True
            if inside:
                kept.append(line)
                if line == "}":
                    inside = False
                    kept.append("")
    text = "\n".join(kept)
    text = text.replace("${path.module}", directory.as_posix())
    return _RESOURCE_ATTRIBUTE.sub(f'"{RESOURCE_STUB}"', text)


def evaluate(expression: str, work: Path, tfvars: dict[str, Any], terraform: str) -> Any:
    """The value of ``expression`` (e.g. ``local.function_env``) in terraform/, offline."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "main.tf").write_text(locals_module(), encoding="utf-8")
    (work / "terraform.tfvars.json").write_text(json.dumps(tfvars), encoding="utf-8")
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    rc = work / "terraformrc"
    rc.write_text("")
    env["TF_CLI_CONFIG_FILE"] = str(rc)
    subprocess.run(
        [terraform, "init", "-backend=false", "-input=false", "-no-color"],
        cwd=work,
        env=env,
        capture_output=True,
        check=True,
        timeout=120,
    )
    completed = subprocess.run(
        [terraform, "console", "-no-color"],
        cwd=work,
        env=env,
        input=f"jsonencode({expression})\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return json.loads(json.loads(completed.stdout))
