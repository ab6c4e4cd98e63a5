"""Building `tipline-reader.pyz`: the reader as one file for a computer that has Python 3.12+
and PyNaCl but not Tipline (nor Django). It holds tipline/reader and the crypto modules the
reader uses, and the compiled catalogues of its languages, nothing else:
`python3 -m tipline.reader.standalone dist/tipline-reader.pyz`."""

import sys
import zipapp
from pathlib import Path
from tempfile import TemporaryDirectory

PACKAGE = Path(__file__).resolve().parents[1]
CRYPTO_MODULES = (
    "__init__",
    "aead",
    "authorship",
    "channel_keys",
    "content",
    "encoding",
    "errors",
    "files",
    "kdf",
    "recipient_keys",
    "recovery_keys",
    "tip_keys",
)
MAIN = """import sys
try:
    import nacl  # noqa: F401
except ImportError:
    sys.exit("tipline-reader needs PyNaCl (libsodium): python3 -m pip install pynacl")
from tipline.reader.cli import main
sys.exit(main())
"""


def build(target: Path) -> Path:
    with TemporaryDirectory() as staging:
        root = Path(staging)
        (root / "tipline" / "crypto").mkdir(parents=True)
        (root / "tipline" / "reader").mkdir()
        (root / "tipline" / "__init__.py").write_text((PACKAGE / "__init__.py").read_text())
        for name in CRYPTO_MODULES:
            (root / "tipline" / "crypto" / f"{name}.py").write_text((PACKAGE / "crypto" / f"{name}.py").read_text())
        for module in (PACKAGE / "reader").glob("*.py"):
            if module.name != "standalone.py":
                (root / "tipline" / "reader" / module.name).write_text(module.read_text())
        for compiled in (PACKAGE / "locale").glob("*/LC_MESSAGES/django.mo"):  # the reader's languages
            copy = root / "tipline" / compiled.relative_to(PACKAGE)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(compiled.read_bytes())
        (root / "__main__.py").write_text(MAIN)
        target.parent.mkdir(parents=True, exist_ok=True)
        zipapp.create_archive(root, target, interpreter="/usr/bin/env python3")
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "dist/tipline-reader.pyz")))
