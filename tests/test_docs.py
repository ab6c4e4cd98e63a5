"""The docs are promises a reader copies from: every YAML example parses, every code block
is closed where it should be (no command rendered as a heading), and every link to a file
points at one this repository has (a clone has nothing outside it)."""

import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.sqlite_only  # about files, not the database: once is enough
REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = sorted([REPO / "README.md", *(REPO / "docs").glob("*.md")])
FENCE = re.compile(r"^```(\w*)\s*$", re.MULTILINE)


def blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of each fenced block, in order; fails on an unclosed one."""
    fences = list(FENCE.finditer(text))
    assert len(fences) % 2 == 0, "a code block is never closed"
    return [
        (opening.group(1), text[opening.end() : closing.start()])
        for opening, closing in zip(fences[::2], fences[1::2], strict=True)
    ]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_yaml_example_parses(document):
    for language, body in blocks(document.read_text()):
        if language == "yaml":
            yaml.safe_load(body)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_no_command_sits_outside_a_code_block(document):
    blocks(document.read_text())  # closed, each of them
    prose = re.sub(r"^```\w*\s*$.*?^```\s*$", "", document.read_text(), flags=re.MULTILINE | re.DOTALL)
    commands = [
        line for line in prose.splitlines() if re.match(r"^(curl|tipline|\.venv/bin/|make |sudo |systemctl )", line)
    ]
    assert not commands, f"{document.name}: a command outside a code block renders as prose or a heading: {commands}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_links_to_files_point_inside_the_repository(document):
    text = document.read_text()
    for target in re.findall(
        r"(?<![\w/])((?:\.\./|docs/|benchmarks/|tipline/|tests/|scripts/)[\w./-]+\.(?:md|py|txt|toml))", text
    ):
        path = (document.parent / target) if target.startswith("../") else REPO / target
        assert path.resolve().is_relative_to(REPO), f"{document.name} points outside the repository: {target}"
        assert path.exists(), f"{document.name} points to a missing file: {target}"
