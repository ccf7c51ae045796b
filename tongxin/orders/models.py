"""The four-order service loop (四单一体): requests, micro-wishes, grid reports and
"practical things for the masses" tasks share one model and one state machine
(tongxin/orders/workflow.py). Every state change is a RequestEvent row: the timeline.

Contact data follows the people app: the phone is stored encrypted, with a keyed hash for
look-ups and a pre-computed mask for lists; the full value is read only through
services.reveal_contact(), which logs the read.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Kind(models.TextChoices):
    SERVICE = "service", _("Service request")
    WISH = "wish", _("Micro-wish")
    GRID_REPORT = "grid_report", _("Grid report")
    PRACTICAL = "practical", _("Practical task for the masses")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    INQUIRY = "inquiry", _("Inquiry")
    OPEN = "open", _("On the wish wall")
    DISPATCHED = "dispatched", _("Dispatched")
    DECLINED = "declined", _("Declined, back to dispatcher")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    REOPENED = "reopened", _("Reopened")
    DONE = "done", pgettext_lazy("order", "Done")
    RATED = "rated", _("Rated")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", pgettext_lazy("order", "Cancelled")
    MERGED = "merged", _("Merged")


OPEN_STATUSES = {Status.SUBMITTED, Status.INQUIRY, Status.OPEN, Status.DISPATCHED, Status.DECLINED, Status.ACCEPTED,
                 Status.IN_PROGRESS, Status.REOPENED}
CLOSED_STATUSES = {Status.DONE, Status.RATED, Status.PUBLISHED}
FINAL_STATUSES = {Status.PUBLISHED, Status.CANCELLED, Status.MERGED}


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    PHONE = "phone", _("By phone")
    VISIT = "visit", _("In person")
    PATROL = "patrol", _("Patrol")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")


_LABELS: dict = {}


def label_of(choices, value) -> str:
    """The translated label of a choice, looked up in a dict made once per language.

    Django's get_FOO_display() rebuilds a dict of the (lazy) choices on every call; with 30 rows
    and three labels each it was a sixth of the inbox page's time.
    """
    from django.utils.translation import get_language

    key = (choices, get_language())
    table = _LABELS.get(key)
    if table is None:
        table = _LABELS[key] = {v: str(label) for v, label in choices.choices}
    return table.get(value, value)


class Category(models.Model):
    """A kind of problem, per alliance, with its time limits and default responsible unit."""

    alliance = models.ForeignKey("orgs.Alliance", on_delete=models.CASCADE, related_name="order_categories")
    code = models.SlugField(pgettext_lazy("order", "code"), max_length=40, help_text=_("Stable code, used as the Open311 service_code"))
    name = models.CharField(pgettext_lazy("order", "name"), max_length=40)
    description = models.CharField(pgettext_lazy("order", "description"), max_length=200, blank=True)
    accept_hours = models.PositiveSmallIntegerField(_("accept within (working hours)"), default=24)
    finish_days = models.PositiveSmallIntegerField(_("finish within (working days)"), default=5)
    default_unit = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="default_for_categories",
        verbose_name=_("default responsible unit"),
    )
    keywords = models.TextField(_("keywords"), blank=True, help_text=_("Words that suggest this category, separated by spaces or commas"))
    sort = models.PositiveSmallIntegerField(default=100)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["alliance", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["alliance", "code"], name="unique_category_code")]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name

    @cached_property  # categories are memoised per process (memo.py), so each is folded once
    def keyword_list(self) -> list[str]:
        from tongxin.core.text import normalize_for_search

        raw = self.keywords.replace("，", " ").replace(",", " ").replace("、", " ").split()
        return [k for k in (normalize_for_search(w) for w in raw) if k]


class ServiceRequest(models.Model):
    # Indexes are declared in Meta, and only those a read uses: a submission writes every one of
    # them (db_index and unique on a CharField would add a LIKE index apiece on PostgreSQL).
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SERVICE)
    tracking_number = models.CharField(_("tracking number"), max_length=20)
    # A secret that lets the person who submitted without logging in follow and rate it.
    access_key = models.CharField(max_length=32, editable=False)
    alliance = models.ForeignKey("orgs.Alliance", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="requests", verbose_name=_("category"))
    suggested_category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(_("title"), max_length=80, blank=True)
    text = models.TextField(pgettext_lazy("order", "description"))
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices, default=Channel.WEB)

    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    grid = models.ForeignKey("grids.Grid", null=True, blank=True, on_delete=models.SET_NULL, related_name="requests", verbose_name=_("grid"))
    address = models.CharField(_("place"), max_length=200, blank=True, help_text=_("Building, door or road"))

    contact_name = models.CharField(_("contact"), max_length=40, blank=True)
    contact_phone_enc = models.TextField(blank=True, editable=False)
    contact_phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    contact_phone_masked = models.CharField(_("contact phone"), max_length=16, blank=True, editable=False)
    submitter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="submitted_requests")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    # Both lead composite indexes below, which serve their lookups too.
    community = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="community_requests",
                                  verbose_name=_("community"), db_index=False)
    assigned_unit = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_requests",
        verbose_name=_("responsible unit or team"), db_index=False,
    )
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="claimed_wishes")

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    dispatched_at = models.DateTimeField(null=True, blank=True, db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)  # indexed by the partial wall indexes below
    accept_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    finish_due_at = models.DateTimeField(null=True, blank=True, db_index=True)

    idempotency_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("comment"), max_length=300, blank=True)
    published = models.BooleanField(_("published"), default=False)
    public_text = models.TextField(_("public text"), blank=True)
    result_text = models.TextField(_("result"), blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates")
    reopen_count = models.PositiveSmallIntegerField(default=0)
    escalation_level = models.PositiveSmallIntegerField(default=0, help_text="0 none, 1 community, 2 street")
    last_reason = models.CharField(max_length=300, blank=True)
    suggestion = models.JSONField(default=dict, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["community", "status", "-created_at"]),
            models.Index(fields=["assigned_unit", "status", "-created_at"]),
            # The dispatcher's inbox: what waits for a decision, and everything, newest first per community.
            models.Index(fields=["community", "-created_at", "-id"], name="orders_inbox_waiting_idx",
                         condition=Q(status__in=["submitted", "inquiry", "declined"])),
            models.Index(fields=["community", "-created_at", "-id"], name="orders_inbox_all_idx"),
            # The results wall, newest first, in all and in one community (partial: published rows only).
            models.Index(fields=["-published_at", "-id"], name="orders_wall_recent_idx", condition=Q(published=True)),
            models.Index(fields=["community", "-published_at", "-id"], name="orders_wall_community_idx", condition=Q(published=True)),
            # The micro-wish wall (a small index: wishes only, so a service request never writes it).
            models.Index(fields=["-status", "-created_at"], name="orders_wish_wall_idx", condition=Q(kind="wish")),
            models.Index(fields=["contact_phone_hash"], name="orders_contact_phone_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tracking_number"], name="orders_tracking_number_uniq"),
            models.UniqueConstraint(fields=["idempotency_key"], name="orders_idempotency_key_uniq"),
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="request_rating_1_5"),
        ]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")

    def __str__(self):
        return f"{self.tracking_number} {self.title or self.text[:20]}"

    def get_status_display(self) -> str:
        return label_of(Status, self.status)

    def get_kind_display(self) -> str:
        return label_of(Kind, self.kind)

    def get_channel_display(self) -> str:
        return label_of(Channel, self.channel)

    @property
    def display_title(self) -> str:
        return self.title or (self.text[:24] + ("…" if len(self.text) > 24 else ""))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Stage(models.TextChoices):
    REPORT = "report", _("Report")
    PROGRESS = "progress", pgettext_lazy("order", "Progress")
    PROOF = "proof", _("Proof")


class RequestEvent(models.Model):
    """One step on the timeline: who did what, when, from which status to which, and why."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=80, blank=True)
    verb = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)
    public = models.BooleanField(default=True, help_text="Shown on the tracking page to the resident")
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.request_id} {self.verb}"


def photo_path(instance, filename):
    return f"orders/{instance.request_id}/{filename}"


class RequestPhoto(models.Model):
    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(RequestEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos")
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.REPORT)
    image = models.FileField(upload_to=photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]


class IntegrationClient(models.Model):
    """An outside system (city app, hotline, Open311 client) posting requests with an API key.

    The key itself is an accounts.ApiToken of a dedicated service user, so the REST API and
    Open311 authenticate it the same way; this row says which organisation it serves.
    """

    name = models.CharField(pgettext_lazy("order", "name"), max_length=80, unique=True)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation"))
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="integration_client")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name
