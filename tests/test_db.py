from click.testing import CliRunner
from sqlalchemy import inspect

from inspect_sched.cli import cli
from inspect_sched.store.db import get_engine


def test_init_is_idempotent_and_creates_tables(db_url):
    runner = CliRunner()
    first = runner.invoke(cli, ["--db", db_url, "init"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli, ["--db", db_url, "init"])
    assert second.exit_code == 0, second.output
    assert "up to date" in second.output
    tables = set(inspect(get_engine(db_url)).get_table_names())
    assert {"enterprise", "inspector", "draw", "ledger", "result"} <= tables


def test_bad_database_url_is_a_clean_error():
    result = CliRunner().invoke(cli, ["--db", "nosuchdb://x", "init"])
    assert result.exit_code == 1
    assert "database URL" in result.output
