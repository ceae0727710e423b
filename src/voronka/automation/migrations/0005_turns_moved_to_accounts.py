"""The teams' round-robin turns of ``assign_owner`` move to the one store in accounts (``team:<id>``)."""

from django.db import migrations


def forward(apps, schema_editor):
    Old = apps.get_model("automation", "AssignmentTurn")
    New = apps.get_model("accounts", "AssignmentTurn")
    for turn in Old.objects.all():
        New.objects.update_or_create(key=f"team:{turn.team_id}", defaults={"last_assigned_id": turn.last_assigned_id})


def backward(apps, schema_editor):
    Old = apps.get_model("automation", "AssignmentTurn")
    New = apps.get_model("accounts", "AssignmentTurn")
    Team = apps.get_model("accounts", "Team")
    teams = set(Team.objects.values_list("pk", flat=True))
    for turn in New.objects.filter(key__regex=r"^team:[0-9]+$"):
        team_id = int(turn.key.split(":")[1])
        if team_id in teams:
            Old.objects.update_or_create(team_id=team_id, defaults={"last_assigned_id": turn.last_assigned_id})


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_assignment_turn_store'),
        ('automation', '0004_assignment_turns'),
    ]

    operations = [
        migrations.RunPython(forward, backward),
        migrations.DeleteModel(
            name='AssignmentTurn',
        ),
    ]
