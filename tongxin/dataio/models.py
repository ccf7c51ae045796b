"""An Excel import is a job with a small state machine; its transitions live in one table."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    ORGANIZATIONS = "organizations", _("Organisations")
    PEOPLE = "people", _("People")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    VALIDATING = "validating", _("Checking")
    VALIDATED = "validated", _("Ready to import")
    INVALID = "invalid", _("Has errors")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Import failed")
    EXPIRED = "expired", _("Expired, not imported")


S = ImportStatus
# The only moves a job may make. services.transition() enforces this with compare-and-set.
TRANSITIONS: dict[str, frozenset[str]] = {
    # A run that stalls (its worker died) is failed by the stall check, from any running status.
    S.UPLOADED: frozenset({S.VALIDATING, S.FAILED}),
    S.VALIDATING: frozenset({S.VALIDATED, S.INVALID, S.FAILED}),
    # A checked file nobody confirms expires (its prepared rows hold personal data).
    S.VALIDATED: frozenset({S.IMPORTING, S.EXPIRED}),
    S.INVALID: frozenset(),
    S.IMPORTING: frozenset({S.DONE, S.FAILED}),
    S.DONE: frozenset(),
    S.FAILED: frozenset(),
    S.EXPIRED: frozenset(),
}
FINAL_STATUSES = frozenset({S.INVALID, S.DONE, S.FAILED, S.EXPIRED})
RUNNING_STATUSES = frozenset({S.UPLOADED, S.VALIDATING, S.IMPORTING})


def confirm_within() -> timedelta:
    """How long a checked file waits for its import to be confirmed (settings.IMPORT_CONFIRM_DAYS)."""
    return timedelta(days=getattr(settings, "IMPORT_CONFIRM_DAYS", 7))


class ImportJob(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.UPLOADED, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)  # the import run claimed the job (once)
    finished_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=255)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    # Counts: data rows in the file, rows without error, rows imported.
    total_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    imported_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # [{"row": 5, "column": "手机号", "message": "..."}]; row 0 means the whole file.
    errors = models.JSONField(default=list, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def confirm_by(self):
        """When a checked file expires unless its import is confirmed (settings.IMPORT_CONFIRM_DAYS)."""
        if self.status != S.VALIDATED or self.finished_at is None:
            return None
        return self.finished_at + confirm_within()

    @property
    def progress_percent(self) -> int:
        if self.status in (S.DONE, S.VALIDATED, S.INVALID, S.EXPIRED):
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(self.progress_done * 100 / self.progress_total))
