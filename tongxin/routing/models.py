"""Learned routing: trained models stored as rows, and a record of every training.

A RoutingModel is one trained classifier (its pickled coefficients in `blob`) for one alliance
and one target (the category or the responsible unit of a request). At most one model per
alliance and target is active; the selectors load it once per process. A TrainingRun records
every training, also the ones whose model was not taken (too little history, or no better than
the model in use on the held-out rows).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Target(models.TextChoices):
    CATEGORY = "category", pgettext_lazy("routing", "Category")
    UNIT = "unit", _("Responsible unit")


class Outcome(models.TextChoices):
    ACTIVATED = "activated", _("New model in use")
    KEPT = "kept", _("Kept the model in use")
    TOO_LITTLE = "too_little", _("Not enough history")
    FAILED = "failed", _("Failed")


class Trigger(models.TextChoices):
    MANUAL = "manual", _("Retrain now")
    HISTORY = "history", _("New handled requests")
    DEMO = "demo", _("Demo data")


class RoutingModel(models.Model):
    alliance = models.ForeignKey("orgs.Alliance", on_delete=models.CASCADE, related_name="routing_models")
    target = models.CharField(_("target"), max_length=12, choices=Target.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    trained_on = models.PositiveIntegerField(_("trained on"), help_text=_("Handled requests in the training part"))
    held_out = models.PositiveIntegerField(_("held out"), default=0)
    classes = models.PositiveSmallIntegerField(default=0)
    macro_f1 = models.FloatField(_("held-out macro-F1"))
    accuracy = models.FloatField(_("held-out accuracy"))
    labels = models.JSONField(default=dict, blank=True, help_text="label (pk as text) -> name at training time")
    blob = models.BinaryField()
    active = models.BooleanField(default=False, db_index=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["alliance", "target"], condition=Q(active=True), name="routing_one_active_model"),
        ]

    def __str__(self):
        return f"{self.get_target_display()} #{self.pk}"


class TrainingRun(models.Model):
    alliance = models.ForeignKey("orgs.Alliance", on_delete=models.CASCADE, related_name="routing_runs")
    target = models.CharField(_("target"), max_length=12, choices=Target.choices)
    trigger = models.CharField(max_length=12, choices=Trigger.choices, default=Trigger.MANUAL)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    history = models.PositiveIntegerField(_("history"), default=0, help_text=_("Handled requests with this target set"))
    trained_on = models.PositiveIntegerField(default=0)
    held_out = models.PositiveIntegerField(default=0)
    classes = models.PositiveSmallIntegerField(default=0)
    macro_f1 = models.FloatField(null=True, blank=True)
    accuracy = models.FloatField(null=True, blank=True)
    previous_f1 = models.FloatField(null=True, blank=True, help_text="The active model's macro-F1 on the same held-out rows")
    seconds = models.FloatField(default=0)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    message = models.CharField(max_length=300, blank=True)
    model = models.ForeignKey(RoutingModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["alliance", "target", "-created_at"])]

    def __str__(self):
        return f"{self.target} {self.outcome} {self.created_at:%Y-%m-%d %H:%M}"
