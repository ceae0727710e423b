"""The demo never damages a real installation: refused in production, a reset asks, real users untouched."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.contrib.auth.hashers import check_password

from voronka.accounts.models import Role, User
from voronka.deals.models import Deal
from voronka.demo.generator import DemoRefused, build_demo

pytestmark = pytest.mark.django_db


def test_the_demo_is_refused_in_production_mode(settings, world):
    settings.PRODUCTION = True
    before = (Deal.objects.count(), User.objects.count())
    with pytest.raises(DemoRefused, match="production"):
        build_demo(size="tiny", seed=1, reset=True)
    assert (Deal.objects.count(), User.objects.count()) == before


def test_an_existing_user_of_a_demo_name_keeps_his_password_role_and_rights(db):
    real = User.objects.create_user(username="manager1", password="Real-password-42", role=Role.HEAD,
                                    first_name="Настоящий")
    build_demo(size="tiny", seed=3)
    real.refresh_from_db()
    assert check_password("Real-password-42", real.password) and not check_password("demo", real.password)
    assert (real.role, real.first_name, real.is_superuser, real.is_staff) == (Role.HEAD, "Настоящий", False, False)


def test_a_deactivated_user_is_never_reactivated(db):
    gone = User.objects.create_user(username="manager2", password="x-Long-password-1", is_active=False)
    with pytest.raises(DemoRefused, match="manager2"):
        build_demo(size="tiny", seed=3)
    gone.refresh_from_db()
    assert gone.is_active is False and not Deal.objects.exists()


def _cli(*args: str, data_dir) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "VORONKA_ENV")}
    env["VORONKA_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "voronka.cli", *args], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300, check=False)


def test_a_reset_without_yes_and_without_a_terminal_deletes_nothing(tmp_path):
    assert _cli("migrate", data_dir=tmp_path).returncode == 0
    result = _cli("demo", "--reset", data_dir=tmp_path)
    assert result.returncode == 2 and "--yes" in result.stderr
