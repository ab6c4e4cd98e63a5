"""Building `tipline-token.pyz`: the members' client as one file for a member's own device,
which needs Python 3.11+ and nothing else (no Tipline, no Django, no PyNaCl). It holds
tipline/members' protocol and command line, nothing else:
`python3 -m tipline.members.standalone dist/tipline-token.pyz`."""

import sys
import zipapp
from pathlib import Path
from tempfile import TemporaryDirectory

PACKAGE = Path(__file__).resolve().parents[1]
MEMBERS_MODULES = ("__init__", "protocol", "cli")
MAIN = """import sys
from tipline.members.cli import main
sys.exit(main())
"""


def build(target: Path) -> Path:
    with TemporaryDirectory() as staging:
        root = Path(staging)
        (root / "tipline" / "members").mkdir(parents=True)
        (root / "tipline" / "__init__.py").write_text((PACKAGE / "__init__.py").read_text())
        for name in MEMBERS_MODULES:
            (root / "tipline" / "members" / f"{name}.py").write_text((PACKAGE / "members" / f"{name}.py").read_text())
        (root / "__main__.py").write_text(MAIN)
        target.parent.mkdir(parents=True, exist_ok=True)
        zipapp.create_archive(root, target, interpreter="/usr/bin/env python3")
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "dist/tipline-token.pyz")))
