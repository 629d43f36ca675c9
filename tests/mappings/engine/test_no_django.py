"""The engine and presets are pure Python: the Django side builds on them, not the reverse."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PURE = [ROOT / "mappings" / "engine", ROOT / "mappings" / "presets"]


def test_importing_the_engine_and_presets_loads_no_django():
    code = (
        "import sys\n"
        "import mappings.engine, mappings.presets\n"
        "from mappings.engine import compile_mapping\n"
        "from mappings.presets import load_preset\n"
        "compile_mapping(load_preset('ecwid', 'highlevel')).apply({'email': 'a@b.co'})\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


def test_no_module_imports_django():
    offenders = []
    for folder in PURE:
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                offenders += [f"{path}: {n}" for n in names if n.split(".")[0] == "django"]
                # Nothing from the Django half of the app either (it would pull Django in).
                offenders += [
                    f"{path}: {n}"
                    for n in names
                    if n.split(".")[0] in {"integrations", "accounts", "diagnostics", "config"}
                ]
    assert offenders == []
