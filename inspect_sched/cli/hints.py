"""The library's fix-it hints, worded for the command line.

The library raises ``InspectSchedError(message, hint=KEY, **args)`` with a message that names
no flag; the CLI replaces it with the template below, which may name commands and flags
(``{message}`` is the library's message, other fields come from ``hint_args``).
"""

from __future__ import annotations

from inspect_sched.errors import InspectSchedError

HINTS: dict[str, str] = {
    "no_such_draw": "draw {draw_id} does not exist; `inspect-sched ledger list` shows the draws",
    "no_such_plan": "plan {plan_id} does not exist; `inspect-sched plan --period ...` makes one",
    "empty_frame": ("the frame is empty: no enterprise passes the filters{shown}. Import enterprises first "
                    "(inspect-sched import enterprises FILE) or loosen --filter."),
    "unknown_department": ("--departments: no inspector in the pool belongs to department {names} (the pool's "
                           "departments: {pool}){guess}. Check the spelling, or import that department's inspectors "
                           "first (inspect-sched import inspectors FILE); nothing was recorded"),
    "plan_or_spec": "give either a plan (--plan ID) or a period and policy, not both",
    "new_out": "{out}: already exists and is not empty; choose a new --out folder (bundles are never overwritten)",
    "out_not_folder": "{out}: exists and is not a folder; give a folder for --out",
    "not_a_bundle": "{root}: no manifest.json here; give the folder a draw wrote with --out",
    "results_missing": ("draw {draw_id}: results are recorded for {recorded} of {drawn} drawn firms "
                        "(missing: {shown}). Import them with `inspect-sched results import FILE --draw {draw_id}`, "
                        "or publish the inspected firms only with --allow-partial"),
    "nothing_to_publish": ("draw {draw_id}: no results recorded yet ({drawn} firms drawn), so there is nothing to "
                           "publish; import results with `inspect-sched results import FILE --draw {draw_id}` and "
                           "publish again (firms are never named before their inspection)"),
    "no_fixtures": ("fixtures not found in {src} (missing {missing}); give a folder made by "
                    "inspect-sched fixtures generate"),
    "fake_enterprises": "--enterprises must be at least 1, got {value}",
    "fake_inspectors": "--inspectors must be between 2 (a team has two) and 200,000, got {value}",
    "fake_partner_staff": "--partner-staff must be between 0 and 100,000, got {value}",
    "fake_seed": "--seed must be a non-empty string without '|'",
    "amend_reason_empty": "--reason is required and may not be empty: say why (e.g. 企业已注销, 检查员病假)",
    "amend_reason_control": "--reason contains a control or format character {char}; give plain text",
    "amend_reason_long": "--reason is {length} characters; keep it under {limit}",
    "amend_log_broken": ("draw {draw_id}: the recorded amendments do not re-derive, so no new one is made; "
                         "run `inspect-sched ledger verify`:\n  {shown}"),
    "amend_not_in_draw": ("firm {uscc} is not in the draw; the current firms are in assignments-current.csv "
                          "(`inspect-sched export --draw ID --out DIR`)"),
    "amend_check_ids": "{problems}; check --inspector and --uscc",
    "amend_entries_missing": ("draw {draw_id}: amendment ledger entries {missing} are missing; "
                              "run `inspect-sched ledger verify`"),
    "amend_no_rederive": "the recorded amendments do not re-derive; run `inspect-sched ledger verify`:\n  {shown}",
}


def cli_message(exc: InspectSchedError) -> str:
    """The error as the command line says it."""
    template = HINTS.get(exc.hint or "")
    if template is None:
        return str(exc)
    return template.format(message=str(exc), **exc.hint_args)
