"""The hash-locked install lists agree with what the project asks for: requirements/runtime.txt
and requirements/test.txt (what `make` installs with `pip install --require-hashes`) pin every
direct dependency of pyproject.toml at its version, every package at the version constraints.txt
gives it, and every package with at least one hash. scripts/lock regenerates them."""

import re
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        if match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", line):
            found[canonical(match.group(1))] = match.group(2)
    return found


def locked(name: str) -> dict[str, tuple[str, list[str]]]:
    """Each package of a lock file: its version and its hashes."""
    entries = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", (REPO_ROOT / "requirements" / name).read_text()):
        if match := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", block):
            entries[canonical(match.group(1))] = (match.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return entries


def project() -> dict:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


def test_every_locked_package_has_a_hash_and_the_version_constraints_txt_pins():
    constraints = pins((REPO_ROOT / "constraints.txt").read_text())
    build = pins((REPO_ROOT / "requirements" / "build.in").read_text())
    for lock in ("runtime.txt", "test.txt"):
        entries = locked(lock)
        assert len(entries) > 30
        assert {name for name, (_, hashes) in entries.items() if not hashes} == set()
        versions = {name: version for name, (version, _) in entries.items()}
        assert {name: v for name, v in versions.items() if constraints.get(name, build.get(name)) != v} == {}


def test_the_locks_pin_every_direct_dependency_and_the_build_backend_at_the_projects_versions():
    metadata = project()
    runtime = {name: version for name, (version, _) in locked("runtime.txt").items()}
    test = {name: version for name, (version, _) in locked("test.txt").items()}
    wanted_runtime = pins("\n".join(metadata["project"]["dependencies"]))
    wanted_test = pins("\n".join(metadata["project"]["optional-dependencies"]["test"]))
    backend = pins("\n".join(metadata["build-system"]["requires"]))

    assert {name: runtime.get(name) for name in wanted_runtime | backend} == wanted_runtime | backend
    assert {
        name: test.get(name) for name in wanted_runtime | wanted_test | backend
    } == wanted_runtime | wanted_test | backend
    assert {name: test.get(name) for name in runtime} == runtime  # the test install only adds to the runtime one
