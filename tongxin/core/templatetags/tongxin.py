import json

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def echart(options: dict, height: str = "280px", label: str = ""):
    """One chart: a div carrying its ECharts options as JSON; static/js/charts.js draws it."""
    return format_html(
        '<div class="echart" role="img" aria-label="{}" style="height:{};width:100%" data-options="{}"></div>',
        label, height, json.dumps(options, ensure_ascii=False),
    )


@register.simple_tag
def rowurl(name: str, *args):
    """{% url %} for rows of a list: the same URL, built from a cached shape (core/urls.py)."""
    from tongxin.core.urls import reverse_row

    return reverse_row(name, *args)
