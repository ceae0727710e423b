"""Stage ``on_enter`` actions become objects: ``"create_task_call"`` → ``{"action": "create_task", ...}``."""

from django.db import migrations

LEGACY = {
    "create_task_call": {"action": "create_task", "kind": "call", "due_days": 1},
    "create_task_email": {"action": "create_task", "kind": "email", "due_days": 1},
    "create_task_meeting": {"action": "create_task", "kind": "meeting", "due_days": 1},
    "notify_owner": {"action": "notify", "to": "deal_owner"},
}


def forward(apps, schema_editor):
    Stage = apps.get_model("pipelines", "Stage")
    for stage in Stage.objects.exclude(on_enter=[]).only("pk", "on_enter"):
        actions = [dict(LEGACY[a]) if isinstance(a, str) and a in LEGACY else a for a in stage.on_enter or []
                   if not isinstance(a, str) or a in LEGACY]
        if actions != stage.on_enter:
            Stage.objects.filter(pk=stage.pk).update(on_enter=actions)


def backward(apps, schema_editor):
    Stage = apps.get_model("pipelines", "Stage")
    names = {(v["kind"]): k for k, v in LEGACY.items() if v["action"] == "create_task"}
    for stage in Stage.objects.exclude(on_enter=[]).only("pk", "on_enter"):
        actions = [names[a["kind"]] for a in stage.on_enter or []
                   if isinstance(a, dict) and a.get("action") == "create_task" and a.get("kind") in names]
        Stage.objects.filter(pk=stage.pk).update(on_enter=actions)


class Migration(migrations.Migration):
    dependencies = [("pipelines", "0006_pipeline_access")]
    operations = [migrations.RunPython(forward, backward)]
