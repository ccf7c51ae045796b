"""Grids in four levels with GeoJSON polygons; the bounding box columns make
"which grid holds this point" an indexed pre-filter before the exact shapely test."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class GridLevel(models.IntegerChoices):
    STREET = 1, _("Street")
    COMMUNITY = 2, _("Community")
    GRID = 3, _("Grid")
    MICRO = 4, _("Micro-grid / building")


class Grid(models.Model):
    name = models.CharField(_("name"), max_length=80)
    code = models.CharField(_("code"), max_length=40, unique=True)
    level = models.PositiveSmallIntegerField(_("level"), choices=GridLevel.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent"))
    # The organisation responsible for the grid (street committee or community); scopes it.
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="grids", verbose_name=_("organisation"))
    geometry = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    min_x = models.FloatField(null=True, editable=False)
    min_y = models.FloatField(null=True, editable=False)
    max_x = models.FloatField(null=True, editable=False)
    max_y = models.FloatField(null=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["search_text", "min_x", "min_y", "max_x", "max_y"])

    class Meta:
        ordering = ["level", "code"]
        indexes = [models.Index(fields=["min_x", "max_x", "min_y", "max_y"])]

    def __str__(self):
        return self.name
