"""Mutation testing of the core with mutmut 3, within a time budget, and its report.

    nice -n 15 .venv/bin/python scripts/mutation.py                  # run (45 min budget), then report
    nice -n 15 .venv/bin/python scripts/mutation.py --budget 10      # 10 minutes, resumes where it stopped
    .venv/bin/python scripts/mutation.py --report-only               # report on what mutants/ holds
    .venv/bin/python scripts/mutation.py --tests "tests/test_uscc.py tests/test_frame.py"
    .venv/bin/python scripts/mutation.py --rerun 'inspect_sched.core.frame.*'   # re-test after a new test

What is mutated, and by which tests, is `[tool.mutmut]` in pyproject.toml: the core modules
(frame, sampling, tickets, eligibility, check, uscc, ledger, publish, importers, snapshot) and
the fast, focused test files that cover them. tests/test_fakedata.py is deliberately not in the
test command, so that no mutant counts as killed only because the committed fixtures changed
byte for byte. PostgreSQL variants are skipped during the run (INSPECT_SCHED_TEST_PG is removed
from the environment): the backends share the code that is mutated, and the run must fit a
budget on a shared machine.

mutmut keeps its results in mutants/ (git-ignored) and resumes: a run stopped by the budget
continues where it left off the next time. `--fresh` deletes mutants/ first.

The report (mutation-report.md by default) counts killed, survived, equivalent and untested
mutants; equivalents are listed, each with its one-line reason, in
tests/mutation-equivalents.toml. Score = killed / (mutants tested - equivalent). A survivor
that is not listed there needs a test that kills it, or an entry explaining why it cannot.
Exit status: 0 when the score reaches --goal (default 95) and every mutant was tested, else 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter
from fnmatch import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EQUIVALENTS = REPO / "tests" / "mutation-equivalents.toml"
LOG = REPO / "mutants" / "run.log"

# Child: run mutmut in this process with the configured test selection, optionally overridden.
_INNER = r"""
import os, sys, dataclasses
import mutmut.configuration as c
cfg = c._load_config()
tests = os.environ.get("MUTATION_TESTS", "").split()
if tests:
    cfg = dataclasses.replace(cfg, pytest_add_cli_args_test_selection=tests)
c._config = cfg
from mutmut.__main__ import cli
sys.argv = ["mutmut", "run", "--max-children", os.environ["MUTATION_CHILDREN"], *sys.argv[1:]]
cli()
"""

# mutmut's exit codes, grouped as the report counts them.
_STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
           36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout",
           37: "killed", None: "not checked"}


MORE = False  # --more: also the second tier, `scope_more`


def scope() -> list[str]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["inspect-sched"]["mutation"]
    return list(data["scope"]) + (list(data["scope_more"]) if MORE else [])


def in_scope(name: str, patterns: list[str]) -> bool:
    return any(fnmatch(name, p) for p in patterns)


def to_run(rerun: list[str]) -> list[str] | None:
    """The mutant names (or patterns) to hand to mutmut; None when nothing is left to test.

    mutmut re-tests every mutant named on its command line, so a resumed run names only the
    in-scope mutants that have no result yet."""
    if rerun:
        return rerun
    statuses = collect()
    if not statuses:
        return scope()  # first run: mutmut generates the mutants, then filters by pattern
    pending = [n for n, st in statuses.items() if st == "not checked" and in_scope(n, scope())]
    return pending or None


def run_mutmut(budget_min: float, children: int, tests: str, names: list[str]) -> bool:
    """Run mutmut until done or until the budget; True when it finished on its own."""
    env = {k: v for k, v in os.environ.items() if k != "INSPECT_SCHED_TEST_PG"}
    env.update(MUTATION_TESTS=tests, MUTATION_CHILDREN=str(children), PYTHONHASHSEED="0")
    # A session of its own, so that the budget stops mutmut's forked workers too.
    LOG.parent.mkdir(exist_ok=True)
    print(f"mutmut: {len(names)} mutant names/patterns, budget {budget_min:g} min, log {LOG}")
    with LOG.open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-c", _INNER, *names], cwd=REPO, env=env,
                                start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
    try:
        proc.wait(timeout=budget_min * 60)
        return proc.returncode == 0
    except subprocess.TimeoutExpired:
        print(f"\nbudget of {budget_min:g} min reached: stopping (results so far are kept; run again to resume)")
        os.killpg(proc.pid, signal.SIGINT)  # mutmut stops its workers on Ctrl-C and saves
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return False


def load_equivalents(table: str = "equivalent") -> dict[str, str]:
    """``[equivalent.NAME] why = ...`` (cannot change behaviour), or with table="killed_elsewhere"
    ``[killed_elsewhere.NAME] by = ...`` (killed by a test the run does not include, such as a
    PostgreSQL variant; checked by hand and named)."""
    if not EQUIVALENTS.exists():
        return {}
    data = tomllib.loads(EQUIVALENTS.read_text("utf-8"))
    key = "why" if table == "equivalent" else "by"
    return {name: str(entry[key]) for name, entry in data.get(table, {}).items()}


def collect() -> dict[str, str]:
    """mutant name -> status, from mutmut's result files in mutants/."""
    out: dict[str, str] = {}
    for meta in sorted((REPO / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text("utf-8"))
        for name, code in data["exit_code_by_key"].items():
            out[name] = _STATUS.get(code, "suspicious")
    return out


def diff_of(name: str) -> str:
    """The mutant's changed lines (mutmut's own diff, read in this process: one import for all)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    os.chdir(REPO)
    try:
        text = get_diff_for_mutant(name)
    except Exception as e:  # a stale name or an unreadable mutant must not stop the report
        return f"(no diff: {e})"
    lines = [ln for ln in text.splitlines() if ln.startswith(("+", "-")) and not ln.startswith(("+++", "---"))]
    return "\n".join(lines) or text.strip()


def report(path: Path, goal: float, with_diffs: bool) -> bool:
    patterns = scope()
    statuses = {n: st for n, st in collect().items() if in_scope(n, patterns)}
    equivalents = load_equivalents()
    elsewhere = load_equivalents("killed_elsewhere")
    stale = sorted((set(equivalents) | set(elsewhere)) - set(statuses))
    counts: Counter[str] = Counter()
    survivors = []
    for name, status in sorted(statuses.items()):
        if status == "survived" and name in equivalents:
            status = "equivalent"
        elif status == "survived" and name in elsewhere:
            status = "killed elsewhere"
        elif status == "survived":
            survivors.append(name)
        counts[status] += 1
    tested = len(statuses) - counts["not checked"] - counts["skipped"]
    considered = tested - counts["equivalent"]
    killed = counts["killed"] + counts["timeout"] + counts["killed elsewhere"]
    score = 100.0 * killed / considered if considered else 0.0
    ok = score >= goal and counts["not checked"] == 0
    lines = [
        "# Mutation testing report",
        "",
        "Produced by `scripts/mutation.py` (mutmut 3, config in pyproject.toml `[tool.mutmut]`).",
        "",
        f"- mutants: {len(statuses)}",
        f"- killed: {counts['killed']} (+ {counts['timeout']} by timeout, + {counts['killed elsewhere']} outside the run: "
        "by PostgreSQL variants or by tests added after it, listed in tests/mutation-equivalents.toml)",
        f"- survived: {counts['survived']}",
        f"- equivalent (explained in tests/mutation-equivalents.toml): {counts['equivalent']}",
        f"- not covered by the selected tests: {counts['no tests']}",
        f"- not yet checked (budget): {counts['not checked']}",
        f"- suspicious: {counts['suspicious']}",
        f"- **score: {score:.1f}%** killed of {considered} non-equivalent mutants tested (goal {goal:g}%)",
        "",
    ]
    by_module: dict[str, Counter[str]] = {}
    for name, status in statuses.items():
        module = name.split(".x_")[0].split(".xǁ")[0]
        st = status
        if status == "survived" and name in equivalents:
            st = "equivalent"
        elif status == "survived" and name in elsewhere:
            st = "killed"
        by_module.setdefault(module, Counter())[st] += 1
    lines += ["| module | killed | survived | equivalent | no tests | not checked |", "|---|---|---|---|---|---|"]
    for module, c in sorted(by_module.items()):
        lines.append(f"| {module} | {c['killed'] + c['timeout']} | {c['survived']} | {c['equivalent']} | "
                     f"{c['no tests']} | {c['not checked']} |")
    lines.append("")
    if survivors:
        lines += ["## Survivors (each needs a killing test or an entry in tests/mutation-equivalents.toml)", ""]
        for name in survivors:
            lines.append(f"### {name}")
            if with_diffs:
                lines += ["```diff", diff_of(name), "```"]
        lines.append("")
    no_tests = [n for n, s in sorted(statuses.items()) if s == "no tests"]
    if no_tests:
        lines += ["## Not covered by the selected tests", "", *(f"- {n}" for n in no_tests), ""]
    if stale:
        lines += ["## Equivalents listed but no longer generated (remove them)", "", *(f"- {n}" for n in stale), ""]
    path.write_text("\n".join(lines), "utf-8")
    print("\n".join(lines[4:13]))
    print(f"report: {path}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=float, default=45.0, help="wall-clock minutes for mutmut (default 45)")
    ap.add_argument("--children", type=int, default=1, help="parallel mutant workers (default 1: shared machine)")
    ap.add_argument("--tests", default="", help="space-separated test files/ids replacing the configured selection")
    ap.add_argument("--report", type=Path, default=REPO / "mutation-report.md")
    ap.add_argument("--report-only", action="store_true", help="do not run mutmut; report on mutants/")
    ap.add_argument("--no-diffs", action="store_true", help="list survivors without their diffs")
    ap.add_argument("--fresh", action="store_true", help="delete mutants/ first (results are otherwise resumed)")
    ap.add_argument("--rerun", nargs="*", default=[], metavar="MUTANT",
                    help="re-test these mutants (glob patterns allowed), e.g. after adding a test")
    ap.add_argument("--goal", type=float, default=95.0)
    ap.add_argument("--more", action="store_true", help="also the second tier (scope_more: ledger, importers)")
    args = ap.parse_args()
    global MORE
    MORE = args.more
    if args.fresh and (REPO / "mutants").exists():
        shutil.rmtree(REPO / "mutants")
    if not args.report_only:
        names = to_run(args.rerun)
        if names is None:
            print("every mutant in scope has a result; --rerun PATTERN re-tests some, --fresh all")
        else:
            started = time.monotonic()
            run_mutmut(args.budget, args.children, args.tests, names)
            print(f"mutmut ran {(time.monotonic() - started) / 60:.1f} min")
    return 0 if report(args.report, args.goal, not args.no_diffs) else 1


if __name__ == "__main__":
    sys.exit(main())
