"""The package graph of tipline/, read from the source, and the one direction it must keep:
ALLOWED says which packages each package may import (docs/design.md explains each layer).
tests/test_layers.py holds the tree to it; `python -m tipline.testing.layers` prints the graph
as it is, lowest layer first, for the next engineer.

A "package" is a directory under tipline/ (tipline.core) or a module at its root
(tipline.settings). Tests and migrations are left out: a migration may use the code of its
time, and tests may reach anything.
"""

import ast
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1]

_DOMAIN_BASE = {"tipline.crypto", "tipline.base", "tipline.config"}
# The apps that the pages, operations, the command line and the test helpers all stand on.
_SERVICES = {
    "tipline.web",
    "tipline.audit",
    "tipline.core",
    "tipline.accounts",
    "tipline.insider",
    "tipline.alerts",
    "tipline.jobs",
}
# Each package, and the packages it may import. Lowest first; nothing may import upward.
ALLOWED: dict[str, set[str]] = {
    # The members' protocol and tipline-token: standard library only, so it runs as one file (tipline-token.pyz).
    "tipline.members": set(),
    "tipline.crypto": {"tipline.members"},
    # tipline-reader runs on a recipient's own computer: the crypto only.
    "tipline.reader": {"tipline.crypto"},
    "tipline.base": {"tipline.crypto"},
    "tipline.config": {"tipline.base"},
    "tipline.settings": {"tipline.config"},
    "tipline.audit": {"tipline.base"},
    # The domain: tips, channels, keys, duties. It tells the apps above it what happened
    # through tipline.core.events, never by importing them.
    "tipline.core": _DOMAIN_BASE | {"tipline.audit"},
    # The web plumbing every page stands on: middleware, sessions with key material, the
    # encrypting upload handler, client buckets, languages, metrics recording.
    "tipline.web": _DOMAIN_BASE | {"tipline.core"},
    "tipline.accounts": _DOMAIN_BASE | {"tipline.audit", "tipline.core", "tipline.web"},
    "tipline.insider": _DOMAIN_BASE
    | {"tipline.audit", "tipline.core", "tipline.accounts", "tipline.members", "tipline.web"},
    "tipline.alerts": _DOMAIN_BASE | {"tipline.audit", "tipline.core", "tipline.accounts", "tipline.web"},
    "tipline.jobs": _DOMAIN_BASE
    | {"tipline.audit", "tipline.core", "tipline.accounts", "tipline.insider", "tipline.alerts"},
    # What a tipster may send, validated alike for the pages, the API and the form editor.
    "tipline.forms": _DOMAIN_BASE | {"tipline.core", "tipline.insider"},
    # The pages and the API.
    "tipline.intake": _DOMAIN_BASE | {"tipline.web", "tipline.core", "tipline.insider", "tipline.forms"},
    "tipline.casework": _DOMAIN_BASE | _SERVICES | {"tipline.forms"},
    "tipline.api": _DOMAIN_BASE
    | {
        "tipline.web",
        "tipline.audit",
        "tipline.core",
        "tipline.accounts",
        "tipline.insider",
        "tipline.alerts",
        "tipline.casework",
        "tipline.forms",
        "tipline.members",
    },
    # Running an instance: backups, health, the checks, the demo.
    "tipline.operations": _DOMAIN_BASE | _SERVICES,
    "tipline.urls": {"tipline.api", "tipline.operations", "tipline.web"},
    "tipline.wsgi": {"tipline.web", "tipline.crypto"},
    # The command line, on top of everything it runs.
    "tipline.cli": _DOMAIN_BASE | _SERVICES | {"tipline.casework", "tipline.operations"},
    # Test helpers may reach anything but the command line.
    "tipline.testing": _DOMAIN_BASE | _SERVICES | {"tipline.operations"},
}


def packages() -> set[str]:
    """Every package of tipline/ as ALLOWED names them."""
    found = {f"tipline.{path.name}" for path in SOURCE.iterdir() if path.is_dir() and (path / "__init__.py").exists()}
    found |= {f"tipline.{path.stem}" for path in SOURCE.glob("*.py") if path.stem != "__init__"}
    return found


def package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def sources() -> list[Path]:
    return [
        path
        for path in SOURCE.rglob("*.py")
        if "tests" not in path.relative_to(SOURCE).parts and "migrations" not in path.relative_to(SOURCE).parts
    ]


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every tipline module a file imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}  # `from tipline import config`
    return {name for name in found if name.startswith("tipline.")}


def edges() -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) → the modules that make that edge, as "a → b"."""
    found: dict[tuple[str, str], list[str]] = {}
    known = packages()  # not names the package root defines, such as tipline.__version__
    for path in sources():
        importer = module_name(path)
        for imported in sorted(imported_modules(path)):
            edge = (package_of(importer), package_of(imported))
            if edge[0] != edge[1] and edge[1] in known:
                found.setdefault(edge, []).append(f"{importer} → {imported}")
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each circle of the graph once, as the packages along it."""
    found, done = [], set()

    def walk(node: str, path: list[str]) -> None:
        for step in sorted(graph.get(node, ())):
            if step in path:
                circle = path[path.index(step) :]
                if frozenset(circle) not in done:
                    done.add(frozenset(circle))
                    found.append(circle + [step])
            elif step not in visited:
                walk(step, path + [step])
        visited.add(node)

    visited: set[str] = set()
    for start in sorted(graph):
        walk(start, [start])
    return found


def in_layers(graph: dict[str, set[str]]) -> list[list[str]]:
    """The packages in layers: each imports only packages of the layers before it."""
    left, layers = dict(graph), []
    while left:
        layer = sorted(name for name, needs in left.items() if not (needs & left.keys()))
        if not layer:  # a circle: shown as one last layer rather than lost
            layers.append(sorted(left))
            break
        layers.append(layer)
        for name in layer:
            del left[name]
    return layers


def main() -> int:
    graph: dict[str, set[str]] = {name: set() for name in packages()}
    for importer, imported in edges():
        graph.setdefault(importer, set()).add(imported)
    for number, layer in enumerate(in_layers(graph)):
        print(f"layer {number}:")
        for name in layer:
            imports = ", ".join(sorted(step.removeprefix("tipline.") for step in graph[name])) or "(nothing of Tipline)"
            print(f"  {name.removeprefix('tipline.'):<16} imports {imports}")
    for circle in circles(graph):
        print("circle: " + " → ".join(circle))
    return 0


if __name__ == "__main__":
    sys.exit(main())
