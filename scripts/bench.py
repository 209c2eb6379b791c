"""Benchmarks of inspect-sched, each beside a floor measured in the same run.

    .venv/bin/python scripts/bench.py                    # start-up, city, sampling, assignment, generate, province
    .venv/bin/python scripts/bench.py startup city       # some scenarios
    .venv/bin/python scripts/bench.py --big              # also draw at 300k, import 1M, 1M on PostgreSQL

Every figure is a fresh process run as a user would (``python -m inspect_sched ...``):
wall seconds, CPU seconds (user + system of the process and of the worker processes it
forked: ``getrusage(RUSAGE_CHILDREN)`` around it) and peak resident memory (``os.wait4``).
The machine is shared, so the ratio is taken on CPU seconds; wall seconds are shown too.
``pg1m`` needs a PostgreSQL server (``INSPECT_SCHED_BENCH_PG``, default the test server on
127.0.0.1:54329); it creates and drops the database ``inspect_sched_bench_1m``.

Each floor is the least work any exact implementation must do, timed (CPU) in a separate
process in the same run:
* start-up: the bare interpreter (``python -c pass``);
* imports and plan: parsing the same CSV with the ``csv`` module (plan: + one SHA-256 ticket
  per firm);
* sampling: the SHA-256 order ticket of every firm;
* draw, verify and assignment: one SHA-256 per eligible (firm, inspector) pair plus one per
  firm of the frame, on one core (plus, for assignment, the min-cost flow solve alone);
  the draw can beat it only by using both cores;
* ``fixtures generate``: none (Faker's own cost); shown against its goal only.

Pools are made with ``fixtures generate`` (fixed seeds) once and kept under ``--work``.
Prints a Markdown table (the README's benchmark table is this output).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
SEED = "31415926535897932384"
LOADS = [("enterprises", "enterprises.csv"), ("inspectors", "inspectors.csv"),
         ("positive-list", "positive_list.csv"), ("conflicts", "conflicts.csv"), ("history", "history.csv")]
# City: about 100 drawn firms of 3,000. Province: about 5,000 of 100,000 (and of 300,000).
POLICIES = {
    "city": '[strata.key]\nratio = "0.25"\n[strata.general]\nratio = "0.02"\n[strata.special]\ncount = 15\n',
    "province": '[strata.key]\nratio = "0.25"\n[strata.general]\nratio = "0.05"\n[strata.special]\ncount = 500\n',
    "300k": '[strata.key]\nratio = "0.08"\n[strata.general]\nratio = "0.02"\n[strata.special]\ncount = 500\n',
    # A million firms, about as many drawn as the province (a national frame, one jurisdiction's teams).
    "1m": '[strata.key]\nratio = "0.025"\n[strata.general]\nratio = "0.005"\n[strata.special]\ncount = 500\n',
}
PG = os.environ.get("INSPECT_SCHED_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:54329/postgres")
SCENARIOS = ["startup", "city", "sampling", "assignment", "generate", "province", "draw300k", "import1m", "pg1m"]
BIG = {"draw300k", "import1m", "pg1m"}

ROWS: list[dict] = []


# ----------------------------------------------------------------------------- measuring


def measure(args: list[str], env: dict | None = None, repeat: int = 1) -> dict:
    """Run a command ``repeat`` times; the run with least CPU: wall s, CPU s, peak RSS MB, stdout.

    CPU is this script's ``getrusage(RUSAGE_CHILDREN)`` before and after: user + system of the
    command and of every process it forked and waited for (the pair-cost workers).
    """
    best = None
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        # Output to files, so that the child never blocks on a full pipe while we wait4 on it.
        with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
            p = subprocess.Popen(args, cwd=REPO, stdout=fo, stderr=fe, env={**os.environ, **(env or {})})
            _, status, ru = os.wait4(p.pid, 0)  # rusage of this child and the workers it reaped
            p.returncode = os.waitstatus_to_exitcode(status)
            wall = time.perf_counter() - t0
            fo.seek(0)
            fe.seek(0)
            out, err = fo.read(), fe.read()
        if p.returncode != 0:
            raise SystemExit(f"failed ({p.returncode}): {' '.join(args)}\n{out.decode()}{err.decode()}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        r = {"wall": wall, "cpu": cpu, "rss": ru.ru_maxrss / 1024, "out": out.decode()}
        if best is None or r["cpu"] < best["cpu"]:
            best = r
    assert best is not None
    return best


def cli(db: str | None, *args: str, env: dict | None = None, repeat: int = 1) -> dict:
    return measure([PY, "-m", "inspect_sched", *(["--db", db] if db else []), *args], env, repeat)


def floor(kind: str, *args: str) -> dict:
    """A floor measured in a fresh process by this script (``--floor KIND ...``): CPU s of its core."""
    r = measure([PY, __file__, "--floor", kind, *args])
    data = json.loads(r["out"])
    return {**data, "rss": r["rss"]}


def row(what: str, fig: dict, flo: dict | None, floor_what: str, goal: str) -> None:
    ROWS.append({"what": what, "fig": fig, "floor": flo, "floor_what": floor_what, "goal": goal})
    ratio = f"{fig['cpu'] / flo['cpu']:.1f}×" if flo and flo["cpu"] > 0 else "—"
    print(f"  {what}: {fig['wall']:.2f} s wall, {fig['cpu']:.2f} s CPU, {fig['rss']:.0f} MB; "
          f"floor {flo['cpu'] if flo else float('nan'):.2f} s ({ratio})", file=sys.stderr, flush=True)


def table() -> str:
    lines = [
        "| work | wall s | CPU s | peak MB | floor (what) | floor CPU s | CPU ÷ floor | goal |",
        "|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for r in ROWS:
        f, fl = r["fig"], r["floor"]
        ratio = f"{f['cpu'] / fl['cpu']:.1f}×" if fl and fl["cpu"] > 0 else "—"
        lines.append(
            f"| {r['what']} | {f['wall']:.2f} | {f['cpu']:.2f} | {f['rss']:.0f} | {r['floor_what']} | "
            f"{fl['cpu']:.3f} | {ratio} | {r['goal']} |" if fl else
            f"| {r['what']} | {f['wall']:.2f} | {f['cpu']:.2f} | {f['rss']:.0f} | {r['floor_what']} | — | — | {r['goal']} |"
        )
    return "\n".join(lines)


# ----------------------------------------------------------------------------- floors (child side)


def _cpu(fn, *args) -> float:
    c0 = time.process_time()
    fn(*args)
    return time.process_time() - c0


def _bare_hashes(n: int, length: int = 55) -> None:
    """``n`` SHA-256 of one-block messages, the cheapest loop Python has for them."""
    import hashlib

    sha = hashlib.sha256
    msg = b"x" * length
    for _ in range(n):
        sha(msg).digest()


def floor_csv(path: str, tickets: str = "") -> dict:
    """Parse a CSV with the csv module (and, with ``tickets``, one SHA-256 per row)."""
    import csv
    import hashlib

    def work() -> int:
        n = 0
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            if tickets:
                sha = hashlib.sha256
                for r in reader:
                    sha(f"{SEED}|order/general|{r[0]}".encode()).digest()
                    n += 1
            else:
                for _ in reader:
                    n += 1
        return n

    return {"cpu": _cpu(work)}


def floor_bundle(folder: str) -> dict:
    """One SHA-256 per eligible pair of the bundle's draw and per frame firm, one core."""
    sys.path.insert(0, str(REPO))
    from inspect_sched.audit.bundle import READERS, read_bundle
    from inspect_sched.core.assign import Rules, pair_exclusions
    from inspect_sched.core.assign.certify import eligible_indices
    from inspect_sched.core.frame import DrawSpec
    from inspect_sched.core.inputs import Inputs

    files = read_bundle(folder)
    m = json.loads(files["manifest.json"])
    spec = DrawSpec.from_dict(m)
    inputs = Inputs.from_csv_files(files, unescape=READERS[m["format"]].escape_csv)
    drawn = {line.split(",", 1)[0] for line in files["sample.csv"].decode().splitlines()[1:]}
    firms = sorted((f for f in inputs.firms if f.uscc in drawn), key=lambda f: f.uscc)
    inspectors = sorted(inputs.inspectors, key=lambda i: i.inspector_id)
    ex = pair_exclusions(firms, inspectors, inputs.conflicts, inputs.history,
                         Rules.from_policy(spec.policy, spec.departments), spec.period.first_day,
                         spec.period.last_day)
    pairs = sum(len(idx) for _, idx in eligible_indices(firms, inspectors, ex))
    frame = files["frame.csv"].count(b"\n") - 1
    return {"cpu": _cpu(_bare_hashes, pairs + frame), "pairs": pairs, "frame": frame}


def floor_tickets(n: str) -> dict:
    """The SHA-256 order ticket of each of ``n`` firms (what sampling must pay at least)."""
    import hashlib

    def work() -> None:
        sha = hashlib.sha256
        for i in range(int(n)):
            int.from_bytes(sha(f"{SEED}|order/general|91430{i:013d}".encode()).digest(), "big")

    return {"cpu": _cpu(work)}


def floor_interpreter() -> dict:
    """A bare interpreter start (``python -c pass``), best of 5, as CPU s of the child."""
    r = measure([PY, "-c", "pass"], repeat=5)
    return {"cpu": r["cpu"], "wall": r["wall"]}


# ----------------------------------------------------------------------------- in-process figures


def figure_sampling(n: str) -> dict:
    """``draw_stratum`` on a 1M-firm stratum (π, order, exact systematic selection)."""
    sys.path.insert(0, str(REPO))
    from fractions import Fraction

    from inspect_sched.core.sampling import draw_stratum

    weights = [Fraction(1), Fraction(3, 2), Fraction(2), Fraction(1, 2)]
    firms = [(f"91430{i:013d}", weights[i % 4]) for i in range(int(n))]
    return {"cpu": _cpu(draw_stratum, SEED, "general", firms, int(n) // 20)}


def figure_assignment(which: str) -> dict:
    """``assign`` alone on a synthetic province (5,000 drawn firms, 3,000 inspectors), and its floor."""
    import datetime as dt
    import random

    sys.path.insert(0, str(REPO))
    from inspect_sched.core.assign import Rules, assign, model, pair_exclusions
    from inspect_sched.core.assign.solvers import _common, flow
    from inspect_sched.core.inputs import Conflict, Firm, InspectorRec

    rnd = random.Random("province-plain")
    districts = [f"区{d:03d}" for d in range(120)]
    firms = [Firm(f"9143{n:014d}", f"企业{n}", rnd.choice(districts), "general", "blue", "low", "active",
                  "", "", ()) for n in rnd.sample(range(100_000), 5000)]
    inspectors = [InspectorRec(f"ZZ-{n:05d}", f"检查员{n}", "", districts[n % 120], "生态环境",
                               dt.date(2027, 12, 31) if rnd.random() > 0.02 else dt.date(2024, 12, 31),
                               rnd.random() > 0.02, ()) for n in range(3000)]
    conflicts = [Conflict(rnd.choice(inspectors).inspector_id, rnd.choice(firms).uscc, "亲属") for _ in range(100)]
    rules = Rules(team_size=2, max_per_inspector=6, cross_district=True, rotation_days=365,
                  specialty_required={}, departments=("生态环境",))
    ex = pair_exclusions(firms, inspectors, conflicts, [], rules, dt.date(2025, 7, 1), dt.date(2025, 9, 30))
    if which == "assign":
        # Wall clock here: the pair costs run in forked workers, which process_time does not see.
        t0 = time.perf_counter()
        a = assign("bench", firms, inspectors, ex, rules)
        return {"wall": time.perf_counter() - t0, "objective": a.objective}
    inst = model._instance("bench", firms, inspectors, ex, rules)
    pairs = sum(len(e) for e in inst.elig)
    hashing = _cpu(_bare_hashes, pairs)
    per_firm = 3 * inst.k + 6
    cands = _common._initial_candidates(inst, per_firm, 4)
    fs, ins, cs = _common._pairs(inst, cands)
    solve = _cpu(flow._solve_flow, inst, fs, ins, cs)
    return {"cpu": hashing + solve, "pairs": pairs, "solver": solve}


# ----------------------------------------------------------------------------- scenarios


def pool(work: Path, n: int, inspectors: int, seed: str) -> tuple[Path, dict | None]:
    """A synthetic pool of ``n`` firms, generated once and kept under ``--work``."""
    folder = work / f"pool-{n}"
    fig = None
    if not (folder / "history.csv").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        fig = cli(None, "fixtures", "generate", "--enterprises", str(n), "--inspectors", str(inspectors),
                  "--seed", seed, "--out", str(folder))
    return folder, fig


def imported(work: Path, folder: Path, name: str) -> tuple[str, dict | None]:
    """A SQLite database holding the pool, imported once and copied per use; and the
    measured import of the enterprises when it was imported in this run."""
    first = None
    master = work / f"{name}.db"
    if not master.exists():
        db = f"sqlite:///{master}.tmp"
        Path(f"{master}.tmp").unlink(missing_ok=True)
        for n, (kind, file) in enumerate(LOADS):
            r = cli(db, "import", kind, str(folder / file))
            if n == 0:
                first = r
        os.replace(f"{master}.tmp", master)
    copy = work / f"{name}-run.db"
    shutil.copyfile(master, copy)
    return f"sqlite:///{copy}", first


def draw_verify(work: Path, db: str, scale: str, label: str, goals: tuple[str, str]) -> None:
    policy = work / f"policy-{scale}.toml"
    policy.write_text(POLICIES[scale], encoding="utf-8")
    bundle = work / f"bundle-{label}"
    shutil.rmtree(bundle, ignore_errors=True)
    d = cli(db, "draw", "--period", "2026-12", "--seed", SEED, "--policy", str(policy), "--out", str(bundle))
    drawn = next(line for line in d["out"].splitlines() if "firms drawn" in line).split()[0]
    fl = floor("bundle", str(bundle))
    what = f"{fl['pairs']:,} eligible pairs + {fl['frame']:,} frame firms, 1 SHA-256 each, 1 core"
    row(f"`draw`, {label} ({drawn} drawn)", d, fl, what, goals[0])
    v = cli(None, "verify", str(bundle))
    row(f"`verify` of that bundle, {label}", v, fl, "the same", goals[1])
    k = measure([PY, "-I", "-S", str(kit(work)), str(bundle)])
    row(f"auditor's kit (`python -I -S`, stdlib only, 1 core) on that bundle, {label}", k, fl, "the same", "—")


def kit(work: Path) -> Path:
    """The auditor's kit zipapp, built by ``inspect-sched auditor-kit`` once per run."""
    out = work / "kit"
    path = out / "inspect-sched-verify.pyz"
    if not path.exists():
        cli(None, "auditor-kit", "--out", str(out))
    return path


def run_startup(work: Path) -> None:
    fig = cli(None, "--help", repeat=5)
    row("start-up: `inspect-sched --help` (best of 5)", fig, floor("interpreter"), "`python -c pass`", "≤ 0.3 s")


def run_city(work: Path) -> None:
    db, _ = imported(work, REPO / "fixtures", "city")
    draw_verify(work, db, "city", "city (3,000 firms, 235 inspectors)", ("≤ 1 s", "—"))


def run_sampling(work: Path) -> None:
    fig = floor("sampling", "1000000")
    fig = {**fig, "wall": fig["cpu"]}
    row("sampling a 1,000,000-firm stratum (`draw_stratum`, in-process CPU)", fig,
        floor("tickets", "1000000"), "1 SHA-256 ticket per firm", "< 10 s")


def run_assignment(work: Path) -> None:
    r = measure([PY, __file__, "--floor", "assignment", "assign"])
    fig = {"wall": json.loads(r["out"])["wall"], "cpu": r["cpu"], "rss": r["rss"]}
    fl = floor("assignment", "floor")
    row("assignment alone, province (5,000 firms × 3,000 inspectors, incl. building the synthetic instance)",
        fig, fl, f"{fl['pairs']:,} pair hashes + min-cost flow solve ({fl['solver']:.2f} s)", "—")


def run_province(work: Path) -> None:
    folder, _ = pool(work, 100_000, 3000, "province")
    (work / "province.db").unlink(missing_ok=True)  # the import is one of the figures
    db, imp = imported(work, folder, "province")
    assert imp is not None
    row("import 100,000 enterprises (CSV)", imp, floor("csv", str(folder / "enterprises.csv")),
        "`csv` parsing of the file", "—")
    (work / "policy-province.toml").write_text(POLICIES["province"], encoding="utf-8")
    p = cli(db, "plan", "--period", "2026-12", "--policy", str(work / "policy-province.toml"))
    row("`plan`, 100,000 firms", p, floor("csv", str(folder / "enterprises.csv"), "tickets"),
        "parsing the CSV + 1 ticket per firm", "≤ 4 s")
    draw_verify(work, db, "province", "province (100,000 firms, 3,000 inspectors)", ("≤ 15 s, ≤ 1 GB", "≤ 15 s"))


def run_generate(work: Path) -> None:
    out = work / "generate-100000"
    shutil.rmtree(out, ignore_errors=True)
    fig = cli(None, "fixtures", "generate", "--enterprises", "100000", "--inspectors", "3000",
              "--seed", "province", "--out", str(out))
    row("`fixtures generate` 100,000 firms, 3,000 inspectors (CSV, GBK and xlsx copies)", fig, None, "—",
        "≤ 10 s")


def run_draw300k(work: Path) -> None:
    folder, _ = pool(work, 300_000, 6000, "province-300k")
    db, _ = imported(work, folder, "p300k")
    draw_verify(work, db, "300k", "300,000 firms, 6,000 inspectors", ("≤ 40 s, ≤ 1.5 GB", "—"))


def million(work: Path) -> Path:
    """1,000,000 enterprises: the province pool's rows repeated under new, valid USCCs."""
    folder, _ = pool(work, 100_000, 3000, "province")
    big = work / "enterprises-1m.csv"
    if not big.exists():
        sys.path.insert(0, str(REPO))
        from inspect_sched.schema.uscc import ALPHABET, make

        lines = (folder / "enterprises.csv").read_text(encoding="utf-8-sig").splitlines()
        header, body = lines[0], lines[1:]
        with open(big, "w", encoding="utf-8-sig", newline="") as out:
            out.write(header + "\r\n")
            for n in range(1_000_000):
                digits = "".join(ALPHABET[(n // 31**k) % 31] for k in range(5))
                uscc = make(f"914302{n % 7:01d}MA{digits}000"[:17])
                out.write(uscc + body[n % len(body)][18:] + "\r\n")
    return big


def run_import1m(work: Path) -> None:
    big = million(work)
    db = f"sqlite:///{work / 'import1m.db'}"
    (work / "import1m.db").unlink(missing_ok=True)
    fig = cli(db, "import", "enterprises", str(big))
    row("import 1,000,000 enterprises (CSV)", fig, floor("csv", str(big)), "`csv` parsing of the file",
        "≤ 20 s, flat memory")


def run_pg1m(work: Path) -> None:
    """Scale: 1,000,000 firms and the province's 3,000 inspectors on PostgreSQL (``INSPECT_SCHED_BENCH_PG``)."""
    from sqlalchemy import create_engine, text

    big = million(work)
    folder, _ = pool(work, 100_000, 3000, "province")
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS inspect_sched_bench_1m"))
        conn.execute(text("CREATE DATABASE inspect_sched_bench_1m"))
    admin.dispose()
    db = PG.rsplit("/", 1)[0] + "/inspect_sched_bench_1m"
    cli(db, "init")
    imp = cli(db, "import", "enterprises", str(big))
    row("PostgreSQL: import 1,000,000 enterprises (CSV)", imp, floor("csv", str(big)), "`csv` parsing of the file",
        "≤ 20 s, flat memory")
    cli(db, "import", "inspectors", str(folder / "inspectors.csv"))
    policy = work / "policy-1m.toml"
    policy.write_text(POLICIES["1m"], encoding="utf-8")
    p = cli(db, "plan", "--period", "2026-12", "--policy", str(policy))
    row("PostgreSQL: `plan`, 1,000,000 firms", p, floor("csv", str(big), "tickets"),
        "parsing the CSV + 1 ticket per firm", "—")
    draw_verify(work, db, "1m", "PostgreSQL, 1,000,000 firms, 3,000 inspectors", ("—", "—"))


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--floor":
        kind, rest = sys.argv[2], sys.argv[3:]
        fn = {"csv": floor_csv, "bundle": floor_bundle, "tickets": floor_tickets, "interpreter": floor_interpreter,
              "sampling": figure_sampling, "assignment": figure_assignment}[kind]
        print(json.dumps(fn(*rest)))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", help=f"some of {', '.join(SCENARIOS)}; default: all but the --big ones")
    ap.add_argument("--big", action="store_true",
                    help="also draw at 300k firms, import 1M firms, 1M firms on PostgreSQL (slow)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/inspect-sched-bench"),
                    help="where pools and databases are kept between runs")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    names = args.scenarios or [s for s in SCENARIOS if args.big or s not in BIG]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        ap.error(f"unknown scenario {unknown[0]!r}; choose from {', '.join(SCENARIOS)}")
    for name in names:
        print(f"{name} ...", file=sys.stderr, flush=True)
        globals()[f"run_{name}"](args.work)
    print(f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}, "
          f"{os.getloadavg()[0]:.1f} load average at the end\n")
    print(table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
