"""The quarterly review as a PDF (WeasyPrint), from the stored snapshot only.

Chinese renders with the vendored Noto Sans SC subset (static/vendor/fonts/, SIL OFL 1.1),
referenced by an absolute file:// URL in @font-face, so no system CJK font is needed: a fresh
machine without root rights produces the same PDF. The family name "TongxinSans" is ours, so
fontconfig can never substitute an installed font for it.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

FONT_DIR = Path(settings.BASE_DIR) / "static" / "vendor" / "fonts"
FONT_FILES = {"400": "NotoSansSC-Regular-GB2312.ttf", "700": "NotoSansSC-Bold-GB2312.ttf"}
FONT_POSTSCRIPT_NAMES = ("NotoSansSC-Regular", "NotoSansSC-Bold")


def font_face_css() -> str:
    return "\n".join(
        f'@font-face {{ font-family: "TongxinSans"; font-weight: {weight}; src: url("{(FONT_DIR / name).as_uri()}"); }}'
        for weight, name in FONT_FILES.items())


def review_html(review, *, figures: dict | None = None) -> str:
    from .views import review_context

    ctx = review_context(review, figures if figures is not None else review.figures)
    ctx.update(font_face_css=font_face_css(), printed_at=timezone.localtime(review.generated_at))
    return render_to_string("rhythm/review_pdf.html", ctx)


def render_review_pdf(review) -> bytes:
    from weasyprint import HTML

    return HTML(string=review_html(review), base_url=str(settings.BASE_DIR)).write_pdf()
