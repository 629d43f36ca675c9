"""Mutation testing of the security-critical code, with a kill rate per area.

    .venv/bin/python bench/mutation.py [AREA ...] [--max-children N] [--report-only]

Runs mutmut (configured in pyproject's [tool.mutmut]: which files, which tests) over the
functions of each area, then prints killed / survived / other and the kill rate, and exits
non-zero when an area is under TARGET. Without AREA every area runs. mutmut keeps its work in
`mutants/`, so a second run only tests what changed; `--report-only` just prints the table.
Survivors: `.venv/bin/mutmut results`, then `.venv/bin/mutmut show <name>`.
docs/mutation-testing.md has the last figures and what the survivors are.
"""

import argparse
import fnmatch
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = str(Path(sys.executable).with_name("mutmut"))
TARGET = 0.90

# Mutant names are <module>.x_<function>__mutmut_<n> or <module>.xǁ<Class>ǁ<method>__mutmut_<n>.
AREAS = {
    "webhooks": ["integrations.providers.*.webhooks.*"],
    "access": [
        "accounts.access.*",
        "accounts.selectors.x_membership_for_user__*",
        "integrations.views.x__connection__*",
        "mappings.views.x_get_mapping__*",
    ],
    "redaction": ["integrations.redaction.*"],
    "http-guard": [
        "integrations.http.x_address_problem__*",
        "integrations.http.x_check_address__*",
        "integrations.http.x_resolve__*",
        "integrations.http.x__guarded_connect__*",
        "integrations.http.xǁ_GuardedHTTPConnectionǁ*",
        "integrations.http.xǁ_GuardedHTTPSConnectionǁ*",
        "integrations.http.xǁGuardedAdapterǁ*",
    ],
    "ratelimit": ["integrations.ratelimit.*"],
    "engine": ["mappings.engine.codegen.*", "mappings.engine.compiler.*"],
}
KILLED = {"killed", "timeout", "caught by type check"}  # a timeout: the mutant hung the tests


def results() -> dict[str, str]:
    out = subprocess.run(  # noqa: S603 - our own command line
        [MUTMUT, "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    found = {}
    for line in out.splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            found[name] = status.strip()
    return found


def in_area(name: str, area: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in AREAS[area])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("areas", nargs="*", choices=[[], *AREAS], metavar="AREA")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    areas = args.areas or list(AREAS)
    if not args.report_only:
        patterns = [pattern for area in areas for pattern in AREAS[area]]
        command = [MUTMUT, "run", "--max-children", str(args.max_children), *patterns]
        # mutmut draws a progress line many times a second: keep only its last words.
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)  # noqa: S603
        if run.returncode:
            print(run.stdout[-3000:], run.stderr[-3000:], sep="\n")
            return run.returncode
    found = results()
    failed = False
    print(f"{'area':<12} {'mutants':>7} {'killed':>7} {'survived':>8} {'other':>6} {'rate':>6}")
    for area in areas:
        counts = Counter(status for name, status in found.items() if in_area(name, area))
        total = sum(counts.values())
        killed = sum(counts[status] for status in KILLED)
        other = total - killed - counts["survived"]
        rate = killed / total if total else 0.0
        failed |= rate < TARGET
        line = f"{area:<12} {total:>7} {killed:>7} {counts['survived']:>8} {other:>6}"
        print(f"{line} {rate:>6.1%}" + ("  < target" if rate < TARGET else ""))
    print(f"target: {TARGET:.0%} killed in every area")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
