"""The ``voronka`` console script."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from voronka.cli import build_parser, main

VORONKA = Path(sys.executable).with_name("voronka")


def test_parser_knows_the_contract_commands():
    parser = build_parser()
    for argv in (["serve", "--host", "0.0.0.0", "--port", "9000"], ["worker", "--batch"], ["migrate"],
                 ["demo", "--size", "small", "--seed", "7"], ["createadmin"], ["check"], ["pipeline", "lint"]):
        ns = parser.parse_args(argv)
        assert callable(ns.func)
    assert parser.parse_args(["serve", "--port", "9000"]).port == "9000"


def test_demo_rejects_an_unknown_size():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["demo", "--size", "huge"])


@pytest.mark.django_db
def test_createadmin_creates_a_superuser_that_can_sign_in(client):
    main(["createadmin", "--username", "boss", "--password", "s3cret-pass"])
    assert client.login(username="boss", password="s3cret-pass")


def test_console_script_migrates_and_checks_a_fresh_data_dir(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["VORONKA_DATA_DIR"] = str(tmp_path)
    migrate = subprocess.run([str(VORONKA), "migrate"], env=env, capture_output=True, text=True, timeout=300)
    assert migrate.returncode == 0, migrate.stderr
    check = subprocess.run([str(VORONKA), "check"], env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    assert "database: sqlite ok" in check.stdout
    assert (tmp_path / "voronka.sqlite3").exists()
