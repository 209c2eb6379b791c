"""Write the command reference from ``--help``: the table in README.md and docs/cli.md."""

from __future__ import annotations

from pathlib import Path

from inspect_sched.cli.reference import README_END, README_START, cli_markdown, readme_table

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    (REPO / "docs" / "cli.md").write_text(cli_markdown(), encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start, end = readme.index(README_START), readme.index(README_END)
    readme = readme[: start + len(README_START)] + "\n" + readme_table() + "\n" + readme[end:]
    (REPO / "README.md").write_text(readme, encoding="utf-8")
    print("wrote docs/cli.md and the README's command table")


if __name__ == "__main__":
    main()
