"""Pipelines and their ordered stages; each stage carries the rulebook of the sales method."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PipelineKind(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTREACH = "outreach", _("Outreach")
    RENEWAL = "renewal", _("Renewal")
    RETURN = "return", _("Return / reanimation")
    CUSTOM = "custom", _("Custom")


class OwnerMode(models.TextChoices):
    """How a stage handed to a team or a role picks the deal's new owner (docs/pipelines.md, conveyor)."""

    LEAD = "lead", _("The team lead")
    ROUND_ROBIN = "round_robin", _("Round-robin among active members")
    LEAST_LOADED = "least_loaded", _("The least loaded active member (fewest open deals)")


# The roles a stage may be handed to (``Stage.owner_role``).
STAGE_OWNER_ROLES = ("manager", "lead", "head")


class Pipeline(models.Model):
    name = models.CharField(_("name"), max_length=160)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=PipelineKind.choices, default=PipelineKind.CUSTOM)
    description = models.TextField(_("description"), blank=True, default="")
    instructions = models.TextField(
        _("instructions"), blank=True, default="",
        help_text=_("How the company works this pipeline, in Markdown; shown on the board and the deal page."))
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    """A stage named as a completed action ("Демо проведено"), with its rulebook."""

    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE,
                                 related_name="stages")
    name = models.CharField(_("name"), max_length=160)
    slug = models.SlugField(_("slug"), max_length=64)
    position = models.PositiveIntegerField(_("position"), default=0)
    entry_result = models.TextField(_("entry result"), blank=True, default="",
                                    help_text=_("What was done for a deal to get here."))
    goal = models.TextField(_("goal"), blank=True, default="")
    max_days = models.PositiveIntegerField(_("maximum days on stage"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(_("win probability, %"), default=0)
    owner_role = models.CharField(_("owner role"), max_length=16, blank=True, default="",
                                  choices=[("", "—"), ("manager", _("Manager")), ("lead", _("Team lead")),
                                           ("head", _("Head of sales"))])
    owner_team = models.ForeignKey("accounts.Team", verbose_name=_("owner team"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    owner_mode = models.CharField(_("how the owner is chosen"), max_length=16, blank=True, default="",
                                  choices=[("", "—"), *OwnerMode.choices])
    owner_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   help_text=_("Conveyor: the deal is handed to this person on entry."))
    required_fields = models.JSONField(_("required fields"), default=list, blank=True)
    questions = models.ManyToManyField("clients.Question", verbose_name=_("qualification questions"), blank=True,
                                       through="StageQuestion", related_name="stages")
    questions_required = models.BooleanField(
        _("answers required"), default=False,
        help_text=_("A deal enters the stage (and closes from it) only when its client has answered the "
                    "stage's questions."))
    on_enter = models.JSONField(_("automation on enter"), default=list, blank=True)
    instructions = models.TextField(_("instructions"), blank=True, default="")
    is_archived = models.BooleanField(
        _("archived"), default=False,
        help_text=_("An archived stage keeps its history and reports but takes no new deals and is hidden "
                    "from boards."))

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "slug"], name="stage_pipeline_slug_unique"),
            models.CheckConstraint(condition=models.Q(probability__lte=100), name="stage_probability_lte_100"),
            models.CheckConstraint(condition=~models.Q(name=""), name="stage_name_not_empty"),
            # One owner rule: a person, a team (with its way of choosing) or a role, or none.
            models.CheckConstraint(
                condition=~(models.Q(owner_user__isnull=False, owner_team__isnull=False)
                            | (models.Q(owner_user__isnull=False) & ~models.Q(owner_role=""))
                            | (models.Q(owner_team__isnull=False) & ~models.Q(owner_role=""))),
                name="stage_one_owner_rule"),
            models.CheckConstraint(condition=models.Q(owner_mode__in=["", "lead", "round_robin", "least_loaded"]),
                                   name="stage_owner_mode_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def owner_rule_label(self) -> str:
        """The conveyor owner in words ("team “A”, round-robin"); empty when the deal keeps its owner."""
        mode = dict(OwnerMode.choices).get(self.owner_mode or "", "")
        if self.owner_user_id:
            return str(self.owner_user)
        if self.owner_team_id:
            return _("team “%(team)s”: %(mode)s") % {"team": self.owner_team, "mode": mode or OwnerMode.LEAD.label}
        if self.owner_role:
            role = dict(self._meta.get_field("owner_role").choices).get(self.owner_role, self.owner_role)
            return _("role “%(role)s”: %(mode)s") % {"role": role, "mode": mode or OwnerMode.ROUND_ROBIN.label}
        return ""


class StageQuestion(models.Model):
    """A qualification question a stage asks, in the stage's order (the question lives in a question set)."""

    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.CASCADE, related_name="question_links")
    question = models.ForeignKey("clients.Question", verbose_name=_("question"), on_delete=models.CASCADE,
                                 related_name="stage_links")
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("stage question")
        verbose_name_plural = _("stage questions")
        ordering = ["stage", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["stage", "question"], name="stagequestion_unique")]

    def __str__(self) -> str:
        return f"{self.stage}: {self.question}"


class PipelineAccess(models.Model):
    """A user limited to some pipelines: one row per pipeline he may work in (no rows: every pipeline).

    Boards, lists, search, counters, reports and the API show such a user only the deals (and their tasks) of
    his pipelines; he cannot create or move a deal into another one. ``accounts.permissions`` reads it.
    """

    user = models.ForeignKey("accounts.User", verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="pipeline_access")
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE,
                                 related_name="user_access")

    class Meta:
        verbose_name = _("pipeline access")
        verbose_name_plural = _("pipeline access")
        constraints = [models.UniqueConstraint(fields=["user", "pipeline"], name="pipelineaccess_unique")]

    def __str__(self) -> str:
        return f"{self.user}: {self.pipeline}"
