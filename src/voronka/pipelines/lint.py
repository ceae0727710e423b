"""Stage-name lint: stages are named as completed actions ("Демо проведено"), not states ("Переговоры")."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

# Words that name a state or a process rather than a result.
STATE_WORDS = {
    "переговоры", "переговоров", "думает", "думают", "отложено", "отложен", "отложена", "в работе", "работа",
    "ожидание", "ожидает", "ждем", "ждём", "обсуждение", "согласование", "рассмотрение", "рассматривает",
    "новый", "новая", "новые", "первичный контакт", "контакт", "презентация", "квалификация", "подготовка",
    "negotiation", "negotiations", "negotiating", "thinking", "postponed", "pending", "waiting",
    "in progress", "discussion", "review", "new", "contact", "qualification", "presentation", "proposal",
    "prospecting", "engaging",
}
# Endings of Russian short passive participles / English past participles: the sign of a completed action.
_RU_DONE = re.compile(r"(ан|ян|ен|ён|ит|ыт|от|ут|нят|чат|зят)(о|а|ы)?$")
_EN_DONE = re.compile(r"(ed|sent|held|done|made|won|signed|paid|received|given|shown|set|met|got|"
                      r"booked|issued|agreed)$")


def lint_stage_name(name: str) -> str | None:
    """A warning if the name describes a state instead of a completed action, else None."""
    text = " ".join((name or "").lower().replace("ё", "е").split())
    if not text:
        return _("The stage has no name.")
    words = re.findall(r"[\w-]+", text)
    done = any(_RU_DONE.search(w) or _EN_DONE.search(w) for w in words)
    if text in STATE_WORDS or (not done and any(w in STATE_WORDS for w in words)):
        return _("“%(name)s” describes a state, not a completed action. Name the stage by what was done, "
                 "e.g. “Демо проведено”, “КП отправлено”.") % {"name": name}
    if done:
        return None
    return _("“%(name)s” does not say what was done. Name the stage as a completed action, "
             "e.g. “Заявка получена”, “Договор подписан”.") % {"name": name}



