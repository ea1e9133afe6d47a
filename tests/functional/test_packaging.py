"""The deployable archives: built reproducibly, and runnable by functions-framework in a clean
virtual environment that has nothing but the archive's requirements.txt installed."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "terraform" / "package_functions.py"
PUBLIC = {"stripe_webhook"}  # every other function is private (OIDC), as Terraform deploys them
DEV_ONLY = ("pytest", "ruff", "mypy", "hypothesis", "python-hcl2", "types-requests")


def load_packager() -> ModuleType:
    spec = importlib.util.spec_from_file_location("package_functions", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


packager = load_packager()
FUNCTIONS = packager.discover_functions(ROOT)


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("archives")
    built = packager.build(out, root=ROOT)
    return {item.name: item.path for item in built}


@pytest.fixture(scope="module")
def clean_venv(archives: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with exactly the archive's requirements (uv's cache keeps the
    install fast on reruns)."""
    assert archives, "no function modules found"
    work = tmp_path_factory.mktemp("venv")
    requirements = work / "requirements.txt"
    first = next(iter(archives.values()))
    with zipfile.ZipFile(first) as archive:
        requirements.write_bytes(archive.read("requirements.txt"))
    venv = work / "venv"
    uv = packager.uv_command()
    subprocess.run([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [*uv, "pip", "install", "--quiet", "--python", str(python), "-r", str(requirements)],
        check=True,
        timeout=600,
    )
    return venv


def extract(archive: Path, into: Path) -> Path:
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(into)
    return into


def clean_env(venv: Path, state_dir: Path) -> dict[str, str]:
    """No SYNC_* from the developer's shell and no project on the path: only the archive."""
    return {
        "PATH": f"{venv / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(state_dir),
        "SYNC_STATE_DIR": str(state_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_every_function_module_is_packaged(archives: dict[str, Path]) -> None:
    assert FUNCTIONS, "functions/ defines no HTTP function"
    assert sorted(archives) == FUNCTIONS


@pytest.mark.parametrize("name", FUNCTIONS)
def test_archive_contents(name: str, archives: dict[str, Path]) -> None:
    with zipfile.ZipFile(archives[name]) as archive:
        names = archive.namelist()
        main = archive.read("main.py").decode()
        requirements = archive.read("requirements.txt").decode()
        infos = archive.infolist()
    assert names == sorted(names)
    assert {"main.py", "requirements.txt", "functions/__init__.py", f"functions/{name}.py"} <= set(
        names
    )
    assert "shared/__init__.py" in names and "shared/config.py" in names
    others = {f"functions/{n}.py" for n in FUNCTIONS if n != name}
    assert not others & set(names), "an archive carries only its own function"
    assert not [
        n
        for n in names
        if n.startswith(("tests/", "local_emulator/", "bigquery_ddl/", "terraform/"))
        or "__pycache__" in n
    ]
    assert f"from functions.{name} import {name}" in main
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in infos)

    pins = [line for line in requirements.splitlines() if line and not line.startswith("#")]
    assert pins and all("==" in line for line in pins), "every requirement is pinned"
    pinned = {line.split("==")[0].strip().lower() for line in pins}
    assert "functions-framework" in pinned
    assert not pinned & set(DEV_ONLY), "dev dependencies stay out of the runtime"
    assert "stripe-qbo-sync" not in pinned and "-e ." not in requirements


def test_archives_are_reproducible(archives: dict[str, Path], tmp_path: Path) -> None:
    again = {item.name: item.path for item in packager.build(tmp_path, root=ROOT)}
    for name, path in archives.items():
        assert again[name].read_bytes() == path.read_bytes(), name


def test_cli_builds_named_functions(tmp_path: Path) -> None:
    name = FUNCTIONS[0]
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), name],
        capture_output=True,
        text=True,
        check=True,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.zip"]
    assert f"{name}.zip" in completed.stdout
    refused = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "no_such_function"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0 and "no_such_function" in refused.stderr


@pytest.mark.parametrize("name", FUNCTIONS)
def test_archive_imports_in_clean_venv(
    name: str, archives: dict[str, Path], clean_venv: Path, tmp_path: Path
) -> None:
    source = extract(archives[name], tmp_path / "src")
    probe = f"import main; assert callable(main.{name}); print(main.{name}.__module__)"
    completed = subprocess.run(
        [str(clean_venv / "bin" / "python"), "-c", probe],
        cwd=source,
        env=clean_env(clean_venv, tmp_path / "state"),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == f"functions.{name}"


class Server:
    """functions-framework serving one extracted archive, as Cloud Functions runs it: the default
    source file main.py, only the target named."""

    def __init__(self, name: str, archive: Path, venv: Path, work: Path) -> None:
        self.name = name
        self._source = extract(archive, work / name)
        self._log_path = work / f"{name}.log"
        self._venv = venv
        self._state = work / "state"
        self.url = ""
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        port = free_port()
        with self._log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [
                    str(self._venv / "bin" / "functions-framework"),
                    "--target",
                    self.name,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                cwd=self._source,
                env=clean_env(self._venv, self._state),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            if self._process.poll() is not None:
                pytest.fail(f"functions-framework exited: {self._log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("functions-framework did not listen within 60 s")
                time.sleep(0.2)
        self.url = f"http://127.0.0.1:{port}/"
        return self.url

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def serve(name: str, archives: dict[str, Path], venv: Path, work: Path) -> Iterator[str]:
    if name not in archives:
        pytest.fail(f"functions/{name}.py must define the deployed function {name}")
    server = Server(name, archives[name], venv, work)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def webhook_url(archives: dict[str, Path], clean_venv: Path, tmp_path: Path) -> Iterator[str]:
    yield from serve("stripe_webhook", archives, clean_venv, tmp_path)


def test_webhook_archive_verifies_signatures(webhook_url: str) -> None:
    event = b'{"id": "evt_packaging", "object": "event", "type": "invoice.paid"}'
    json_type = {"Content-Type": "application/json"}

    unsigned = requests.post(webhook_url, data=event, headers=json_type, timeout=30)
    assert unsigned.status_code == 400, unsigned.text
    assert "signature" in unsigned.json()["code"]

    # A well-formed but wrong signature: the secret was read and the HMAC compared.
    forged = requests.post(
        webhook_url,
        data=event,
        headers={**json_type, "Stripe-Signature": f"t={int(time.time())},v1={'0' * 64}"},
        timeout=30,
    )
    assert forged.status_code == 400, forged.text
    assert "signature" in forged.json()["code"]

    assert requests.get(webhook_url, timeout=30).status_code == 405


@pytest.mark.parametrize("name", [n for n in FUNCTIONS if n not in PUBLIC])
def test_private_archives_refuse_unauthenticated_calls(
    name: str, archives: dict[str, Path], clean_venv: Path, tmp_path: Path
) -> None:
    for url in serve(name, archives, clean_venv, tmp_path):
        body = b'{"object_type": "invoice", "object_id": "in_packaging"}'
        anonymous = requests.post(url, data=body, timeout=30)
        assert anonymous.status_code == 401, anonymous.text
        wrong = requests.post(
            url, data=body, headers={"Authorization": "Bearer not-the-token"}, timeout=30
        )
        assert wrong.status_code == 403, wrong.text
