"""Tipline as a package: the wheel built from this tree, pip-installed into a fresh virtual
environment outside the repository, runs init, demo and serve from there, with its
templates, static files, compiled translations, fixtures and migrations."""

import re
import shutil
import subprocess
import sys
import urllib.request

import pytest

from tests.system import REPO_ROOT, clean_environment, free_port, stop, wait_until_serving

pytestmark = [pytest.mark.system, pytest.mark.sqlite_only]


def run(command: list, **options) -> subprocess.CompletedProcess:
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600, **options)
    assert finished.returncode == 0, f"{command}: {finished.stdout}\n{finished.stderr}"
    return finished


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        return response.read().decode()


def source_copy(destination):
    """What the wheel is built from, copied, so that the build leaves nothing in the clone."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, destination / name)
    shutil.copytree(REPO_ROOT / "tipline", destination / "tipline", ignore=shutil.ignore_patterns("__pycache__"))
    return destination


def test_the_built_wheel_installs_and_serves_in_three_languages_outside_the_repository(tmp_path):
    dist, venv, elsewhere, source = (tmp_path / name for name in ("dist", "venv", "elsewhere", "source"))
    elsewhere.mkdir()
    source.mkdir()
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--wheel-dir",
            str(dist),
            str(source_copy(source)),
        ]
    )
    [wheel] = dist.glob("tipline-*.whl")
    run([sys.executable, "-m", "venv", str(venv)])
    # As docs/deployment.md installs it: the locked, hash-checked dependencies, then the wheel alone.
    run(
        [
            venv / "bin" / "pip",
            "install",
            "--quiet",
            "--require-hashes",
            "-r",
            REPO_ROOT / "requirements" / "runtime.txt",
        ]
    )
    run([venv / "bin" / "pip", "install", "--quiet", "--no-deps", wheel])
    installed = run([venv / "bin" / "python", "-c", "import tipline; print(tipline.__file__)"], cwd=elsewhere).stdout
    assert installed.startswith(str(venv)), installed
    assert "offline-key channel" in run([venv / "bin" / "tipline-reader", "--help"], cwd=elsewhere).stdout

    data_dir = tmp_path / "data"
    environment = clean_environment(data_dir)
    for command in ("init", "demo"):
        run([venv / "bin" / "tipline", command], cwd=elsewhere, env=environment)
    port = free_port()
    server = subprocess.Popen(
        [venv / "bin" / "tipline", "serve", "--port", str(port)],
        cwd=elsewhere,
        env=environment,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/", server)
        landing = fetch(f"http://127.0.0.1:{port}/")
        spanish = fetch(f"http://127.0.0.1:{port}/es/")
        arabic = fetch(f"http://127.0.0.1:{port}/ar/")
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', landing).group(1)
        assert "{" in fetch(f"http://127.0.0.1:{port}{stylesheet}")
        form = fetch(f"http://127.0.0.1:{port}/es/c/general/")
    finally:
        stop(server)
    assert "General tip" in landing
    assert "Aviso general" in spanish and 'dir="rtl"' in arabic and "بلاغ عام" in arabic
    assert "Su aviso" in form
    assert not (elsewhere / "var").exists() and list(elsewhere.iterdir()) == []
