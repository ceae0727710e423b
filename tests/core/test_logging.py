"""Log lines keep the ids passed in ``extra``; JSON lines in production."""

import json
import logging

from tests.core.test_settings import _run
from voronka.core.logging import JsonFormatter, PlainFormatter


def _record(**extra) -> logging.LogRecord:
    logger = logging.getLogger("voronka.deals.services")
    return logger.makeRecord(logger.name, logging.INFO, __file__, 1, "deal moved", None, None, extra=extra)


def test_plain_formatter_appends_the_extra_fields():
    line = PlainFormatter().format(_record(deal_id=7, stage_id=3, note="two words"))
    assert line.endswith('deal moved deal_id=7 stage_id=3 note="two words"')
    assert " INFO voronka.deals.services " in line


def test_plain_formatter_without_extra_is_the_usual_line():
    assert PlainFormatter().format(_record()).endswith("INFO voronka.deals.services deal moved")


def test_json_formatter_writes_one_object_per_line_with_the_ids():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = _record(deal_id=7)
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["deal_id"] == 7
    assert entry["message"] == "deal moved"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "voronka.deals.services"
    assert "ValueError: boom" in entry["exc"]
    assert entry["ts"].endswith("+00:00")


_LOG_CODE = ("import django, os, logging; os.environ['DJANGO_SETTINGS_MODULE']='voronka.settings'; django.setup();"
             "logging.getLogger('voronka.deals.services').info('deal created', extra={'deal_id': 42})")


def test_production_logs_json_lines(tmp_path):
    result = _run(_LOG_CODE, {"VORONKA_DATA_DIR": str(tmp_path), "VORONKA_ENV": "production",
                              "SECRET_KEY": "x" * 50, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
                              "LOG_LEVEL": "INFO"})
    assert result.returncode == 0, result.stderr
    entry = json.loads(result.stderr.strip().splitlines()[-1])
    assert entry["deal_id"] == 42 and entry["message"] == "deal created"


def test_embedded_mode_logs_plain_lines_with_the_ids_and_log_format_switches_to_json(tmp_path):
    plain = _run(_LOG_CODE, {"VORONKA_DATA_DIR": str(tmp_path), "LOG_LEVEL": "INFO"})
    assert plain.returncode == 0, plain.stderr
    assert plain.stderr.strip().endswith("deal created deal_id=42")
    as_json = _run(_LOG_CODE, {"VORONKA_DATA_DIR": str(tmp_path), "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"})
    assert json.loads(as_json.stderr.strip())["deal_id"] == 42
    bad = _run(_LOG_CODE, {"VORONKA_DATA_DIR": str(tmp_path), "LOG_FORMAT": "xml"})
    assert bad.returncode != 0 and "LOG_FORMAT" in bad.stderr
