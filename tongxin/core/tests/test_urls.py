"""reverse_row gives exactly what reverse() gives, and reverse()'s errors."""

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from tongxin.core.urls import reverse_row

CASES = [("orders:detail", (1,)), ("orders:detail", (0,)), ("orders:detail", (987654321,)), ("orders:act", (42, "accept")),
         ("orders:act", (42, "dispatch")), ("orders:act", (7, "带 空格&?")), ("orders:track", ("TX2611ABCDE",)),
         ("orders:resident_action", ("TX2611ABCDE", "rate")), ("orders:inbox", ()), ("orders:category_active", (3,))]


@pytest.mark.parametrize(("name", "args"), CASES)
def test_same_url_as_reverse(name, args):
    for _ in range(2):  # the second call uses the cached shape
        assert reverse_row(name, *args) == reverse(name, args=args)


def test_the_script_prefix_is_part_of_the_shape():
    try:
        set_script_prefix("/tongxin/")
        assert reverse_row("orders:detail", 5) == "/tongxin/orders/5/" == reverse("orders:detail", args=[5])
    finally:
        clear_script_prefix()
        set_script_prefix("/")
    assert reverse_row("orders:detail", 5) == "/orders/5/"


def test_what_reverse_refuses_is_refused():
    with pytest.raises(NoReverseMatch):
        reverse_row("orders:detail", -1)
    with pytest.raises(NoReverseMatch):
        reverse_row("orders:detail", "x")
    with pytest.raises(NoReverseMatch):
        reverse_row("orders:no_such_page", 1)
    with pytest.raises(NoReverseMatch):  # a bool is not an id: reverse() decides, and refuses
        reverse_row("orders:detail", True)


def test_rowurl_tag_escapes_like_url():
    html = Template("{% load tongxin %}{% rowurl 'orders:act' pk action as u %}<a href=\"{{ u }}\">{% rowurl 'orders:detail' pk %}</a>")
    out = html.render(Context({"pk": 9, "action": "a&b"}))
    assert out == f'<a href="{reverse("orders:act", args=[9, "a&b"]).replace("&", "&amp;")}">/orders/9/</a>'
