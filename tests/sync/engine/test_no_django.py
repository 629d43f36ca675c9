"""The sync's decisions are plain Python: importing and using them loads no Django."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_importing_the_sync_engine_loads_no_django():
    code = (
        "import sys\n"
        "from sync.engine import decide, schedule, twoway\n"
        "decide.record_hash({'a': 1}); schedule.next_retry(1, 'transient')\n"
        "twoway.same([1], [1])\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
