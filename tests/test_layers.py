"""The layering docs/design.md promises, read from the source: the domain (tipline.core)
imports neither the web plumbing, operations, pages, API, worker nor command line; crypto
imports neither Django nor the rest of Tipline (but the members' standard-library protocol);
nor does tipline-reader (but the crypto); the members' client needs only the standard
library; the worker's modules import no circle."""

import ast
import sys
from pathlib import Path

import pytest

from tipline.testing import layers

pytestmark = pytest.mark.sqlite_only

PACKAGE = Path(__file__).resolve().parents[1] / "tipline"
ABOVE_THE_DOMAIN = (
    "tipline.web",
    "tipline.operations",
    "tipline.intake",
    "tipline.casework",
    "tipline.api",
    "tipline.jobs",
    "tipline.cli",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def sources(package: str) -> list[Path]:
    return [
        path
        for path in (PACKAGE / package).rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


def test_the_domain_imports_nothing_above_it():
    upward = {
        module_name(path): sorted(name for name in imports_of(path) if name.startswith(ABOVE_THE_DOMAIN))
        for path in sources("core")
    }
    assert {module: names for module, names in upward.items() if names} == {}


def test_crypto_imports_neither_django_nor_the_rest_of_tipline():
    # The members' protocol is the standalone client's: standard library only, shared on purpose.
    allowed = ("tipline.crypto", "tipline.members.protocol")
    outside = {
        module_name(path): sorted(
            name
            for name in imports_of(path)
            if name.split(".")[0] == "django" or (name.startswith("tipline.") and not name.startswith(allowed))
        )
        for path in sources("crypto")
    }
    assert {module: names for module, names in outside.items() if names} == {}


def test_the_reader_runs_without_django_and_shares_only_the_crypto():
    # tipline-reader runs on a recipient's own computer, installed with Tipline or alone.
    outside = {
        module_name(path): sorted(
            name
            for name in imports_of(path)
            if name.split(".")[0] == "django"
            or (name.startswith("tipline.") and not name.startswith(("tipline.crypto", "tipline.reader")))
        )
        for path in sources("reader")
    }
    assert outside and {module: names for module, names in outside.items() if names} == {}


def test_the_members_client_needs_only_the_standard_library():
    # tipline-token runs on a member's own device from one file (tipline-token.pyz), with no Tipline installed.
    outside = {
        module_name(path): sorted(
            name
            for name in imports_of(path)
            if name.split(".")[0] not in sys.stdlib_module_names and not name.startswith("tipline.members")
        )
        for path in sources("members")
    }
    assert outside and {module: names for module, names in outside.items() if names} == {}


def test_the_worker_modules_import_no_circle():
    modules = {module_name(path): path for path in sources("jobs")}
    graph = {
        name: {other for other in imports_of(path) if other in modules and other != name}
        for name, path in modules.items()
    }

    def reaches(start: str, goal: str, seen: set) -> bool:
        return any(step == goal or (step not in seen and reaches(step, goal, seen | {step})) for step in graph[start])

    assert [name for name in graph if reaches(name, name, {name})] == []


def test_the_layers_are_told_in_the_design_document():
    design = (PACKAGE.parent / "docs" / "design.md").read_text()
    for package in ("core/", "web/", "operations/", "crypto/", "jobs/"):
        assert f"  {package}" in design


def test_every_package_has_its_place_in_the_table_of_allowed_imports():
    assert layers.packages() - layers.ALLOWED.keys() == set(), (
        "a new package: give it a row in tipline/testing/layers.py"
    )
    assert layers.ALLOWED.keys() - layers.packages() == set(), "a row for a package that is gone"


def test_every_import_between_packages_is_an_allowed_edge():
    upward = {
        f"{importer} → {imported}": made_by[:3]
        for (importer, imported), made_by in layers.edges().items()
        if imported not in layers.ALLOWED[importer]
    }
    assert upward == {}


def test_the_allowed_edges_make_no_circle():
    assert layers.circles(layers.ALLOWED) == []


def test_the_table_finds_a_circle_when_there_is_one():
    # The checker itself: the circles the outside review found (core ↔ alerts, alerts ↔ jobs).
    assert layers.circles({"core": {"alerts"}, "alerts": {"core", "jobs"}, "jobs": {"alerts"}}) == [
        ["alerts", "core", "alerts"],
        ["alerts", "jobs", "alerts"],
    ]
    assert layers.in_layers({"crypto": set(), "core": {"crypto"}, "web": {"core"}}) == [["crypto"], ["core"], ["web"]]
