"""Records per second for the Ecwid -> HighLevel preset on generated customers.

    .venv/bin/python bench/mapping.py [--count 100000] [--seed 1] [--runs 3] [--full] [--out FILE]

Customers are generated deterministically in Ecwid's own JSON shape, with the variety real
stores have: phones typed in several ways (E.164, spaced, national, a few invalid), optional
companies and addresses, multi-line streets, customer groups and notes. Generation is not
timed; compiling once and applying the mapping to every record is. Runs on one core; each
of --runs passes maps freshly generated customers, and the median pass is reported
(`--full`: 5 passes). About 15 s by default.

Target: at least 100,000 records/s on one core (the median pass, wall clock). Prints the
figures, writes bench/results/mapping.json and exits 0 whether or not the target is met.

What bounds it: CPython running the preset's compiled `apply` (13 rules; one generated
function per record). On this machine (a shared 2-core EPYC VM) a record costs about 23 µs:
the generated function's own bytecode is ~40 % of it, phone normalisation ~25 %, e-mail and
regex transforms most of the rest (cProfile). The same engine measured 122,000 records/s at
commit 5f93ec8 on the machine it was tuned on; that commit's code gives ~45,000 here, so the
gap is this machine's per-core speed, not a change in the engine.
"""

import argparse
import gc
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from mappings.engine import compile_mapping  # noqa: E402
from mappings.presets import load_preset  # noqa: E402

TARGET_RATE = 100_000  # records/s on one core

FIRST = ["Olivia", "Liam", "Emma", "Noah", "Amelia", "José", "Siobhán", "Renée", "Björn", "Wei"]
LAST = ["Smith", "Johnson", "O'Brien", "van der Berg", "Nguyen", "Müller", "Okafor", "Garcia"]
COMPANIES = ["Acme Wholesale", "Blue Harbor Goods", "Cedar & Pine Co", "Delta Supply", ""]
CITIES = [("Austin", "TX", "US"), ("Leeds", "", "GB"), ("Denver", "CO", "US"), ("Cork", "", "IE")]
GROUPS = [(0, "General"), (1, "Wholesale"), (2, "VIP"), (3, "Trade")]
AREA_CODES = ["212", "310", "415", "512", "617", "702", "808", "917"]


def phone(rng: random.Random) -> str:
    area, exchange, line = rng.choice(AREA_CODES), rng.randint(200, 999), rng.randint(0, 9999)
    style = rng.random()
    if style < 0.45:
        return f"+1{area}{exchange}{line:04d}"
    if style < 0.70:
        return f"+1 {area}-{exchange}-{line:04d}"
    if style < 0.90:
        return f"({area}) {exchange}-{line:04d}"
    if style < 0.97:
        return f"+44 20 7946 {rng.randint(0, 9999):04d}"
    if style < 0.99:
        return f"1-{area}-{exchange}-{line:04d}"  # with the national prefix: the slow path
    return str(rng.randint(100, 99999))  # not a phone number: a problem, not a value


def customer(index: int, rng: random.Random) -> dict:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, state, country = rng.choice(CITIES)
    group_id, group_name = rng.choice(GROUPS)
    company = rng.choice(COMPANIES)
    street = f"{rng.randint(1, 999)} High Street"
    if rng.random() < 0.3:
        street += f"\nFlat {rng.randint(1, 40)}"
    return {
        "id": 100000 + index,
        "email": f"{first}.{last}.{index}@Example.com".replace(" ", "").replace("'", ""),
        "name": f"{first} {last}",
        "registered": "2021-12-21 06:05:58 +0000",
        "updated": "2024-03-01 10:00:00 +0000",
        "totalOrderCount": rng.randint(0, 40),
        "customerGroupId": group_id,
        "customerGroupName": group_name,
        "billingPerson": {
            "name": f"{first} {last}",
            "firstName": first,
            "lastName": last,
            "companyName": company,
            "street": street,
            "city": city,
            "countryCode": country.lower() if rng.random() < 0.1 else country,
            "countryName": country,
            "postalCode": f"{rng.randint(10000, 99999)}",
            "stateOrProvinceCode": state,
            "phone": phone(rng),
        },
        "privateAdminNotes": "Prefers e-mail." if rng.random() < 0.2 else "",
        "acceptMarketing": rng.random() < 0.5,
    }


def timed_run(mapping, records: list[dict]) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds, records with a payload, problems) for one pass."""
    cpu_started = time.process_time()
    timed_from = time.perf_counter()
    problems = written = 0
    apply = mapping.apply
    for record in records:
        result = apply(record)
        problems += len(result.problems)
        written += bool(result.payload)
    finished = time.perf_counter()
    return finished - timed_from, time.process_time() - cpu_started, written, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--runs",
        type=int,
        default=0,
        help="timed passes, each over freshly generated customers (seed, seed+1, ...); the "
        "figures are the median pass, as one noisy pass on a shared machine says little "
        "(default 3; 5 with --full)",
    )
    parser.add_argument("--full", action="store_true", help="5 passes")
    parser.add_argument(
        "--no-freeze", action="store_true", help="let the GC keep scanning the generated records"
    )
    parser.add_argument("--target", type=float, default=TARGET_RATE, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(common.RESULTS / "mapping.json"))
    options = parser.parse_args()
    runs = options.runs or (5 if options.full else 3)

    started = time.perf_counter()
    mapping = compile_mapping(load_preset("ecwid", "highlevel"), options={"default_region": "US"})
    compiled_at = time.perf_counter()
    # Warm up on other customers (another seed, so the measured records' phone numbers are
    # not cached): loads phonenumbers' metadata for the regions seen and builds the per-length
    # patterns once, as a long-running worker does on its first page.
    warm_rng = random.Random(options.seed + 1_000_000)  # noqa: S311
    for index in range(2_000):
        mapping.apply(customer(index, warm_rng))
    warmed_at = time.perf_counter()

    passes = []
    for run in range(runs):
        # Fresh customers for every pass: no pass is helped by numbers an earlier one saw.
        rng = random.Random(options.seed + run)  # noqa: S311 - reproducible test data
        records = [customer(i, rng) for i in range(options.count)]
        if not options.no_freeze:
            # The generated records are the benchmark's fixture, not engine work: a sync maps
            # records as pages arrive and never holds them all. Without this, every full
            # collection re-scans all of them and the figure measures the fixture's size.
            gc.freeze()
        passes.append(timed_run(mapping, records))
        del records
        gc.unfreeze()
        gc.collect()

    seconds, cpu_seconds, written, problems = sorted(passes)[len(passes) // 2]
    rate = round(options.count / seconds)
    rates = [round(options.count / wall) for wall, *_ in passes]
    print(f"records:          {options.count}")
    print(f"compile:          {(compiled_at - started) * 1000:.2f} ms")
    print(f"warm-up:          {(warmed_at - compiled_at) * 1000:.0f} ms (2,000 other customers)")
    print(f"runs:             {len(passes)} (records/s each: {', '.join(f'{r:,}' for r in rates)})")
    print(f"apply:            {seconds:.3f} s (the median run)")
    print(f"time per record:  {seconds / options.count * 1e6:.2f} µs")
    print(f"CPU records/s:    {options.count / cpu_seconds:,.0f} (process time)")
    print(f"with a payload:   {written}; problems reported: {problems}")
    checks = {"records_per_second": common.at_least(rate, round(options.target))}
    common.print_checks("Mapping engine (one core)", checks)
    details = {
        "records": options.count,
        "runs": len(passes),
        "records_per_second_each_run": rates,
        "cpu_records_per_second": round(options.count / cpu_seconds),
        "microseconds_per_record": round(seconds / options.count * 1e6, 2),
        "compile_ms": round((compiled_at - started) * 1000, 2),
        "with_payload": written,
        "problems": problems,
        "bench_seconds": round(time.perf_counter() - started, 1),
    }
    common.write_results("mapping", checks, details, Path(options.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
