"""The review PDF renders Chinese with the vendored font, and needs no system font."""

import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

from django.conf import settings

from tongxin.rhythm import periods, services
from tongxin.rhythm.pdf import FONT_DIR, FONT_FILES

QUARTER = periods.quarter_of(periods.today())


def font_names(pdf: bytes) -> set[str]:
    """PostScript names (name ID 6) of the font programs embedded in the PDF. WeasyPrint names the PDF font
    objects after the CSS family ("TongxinSans"), so the embedded program itself tells which file was used."""
    import io

    from fontTools.ttLib import TTFont

    names = set()
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            data = zlib.decompress(m.group(1))
        except zlib.error:
            data = m.group(1)
        if data[:4] not in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
            continue
        font = TTFont(io.BytesIO(data))
        names.add(font["name"].getDebugName(6) if "name" in font else "?")
    return names


def test_vendored_font_files_are_there():
    for name in FONT_FILES.values():
        path = FONT_DIR / name
        assert path.exists() and 1_000_000 < path.stat().st_size < 4_000_000
    assert (FONT_DIR / "OFL.txt").exists() and "Open Font License" in (FONT_DIR / "OFL.txt").read_text()


def test_pdf_embeds_the_vendored_font(rw, waiting):
    waiting()
    review = services.generate_review(alliance=rw.alliance, quarter=QUARTER, by=rw.admin)
    data = review.pdf.read()
    assert data.startswith(b"%PDF") and review.pdf_size == len(data)
    names = font_names(data)
    assert names == {"NotoSansSC-Regular", "NotoSansSC-Bold"}, names  # no Debian font (Noto Serif CJK, DejaVu) embedded


SCRIPT = r"""
import django, os, sys
django.setup()
from weasyprint import HTML
from tongxin.rhythm.pdf import font_face_css
html = '<html><head><style>' + font_face_css() + 'body{font-family:"TongxinSans"}</style></head><body><h1>季度调度报告</h1><p>甲医院 响应率 100%</p></body></html>'
sys.stdout.buffer.write(HTML(string=html).write_pdf())
"""


def test_pdf_renders_without_any_system_font(tmp_path):
    """Fontconfig pointed at an empty configuration (no system fonts at all): the text still comes out in
    the vendored font, so a fresh machine without root rights makes the same PDF."""
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f'<cachedir>{tmp_path}/cache</cachedir></fontconfig>')
    env = {**os.environ, "PYTHONPATH": str(settings.BASE_DIR), "FONTCONFIG_FILE": str(conf), "FONTCONFIG_PATH": str(tmp_path), "DJANGO_SETTINGS_MODULE": "tongxin.settings"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, timeout=180, cwd=str(Path(settings.BASE_DIR)))
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    assert font_names(out.stdout) == {"NotoSansSC-Regular", "NotoSansSC-Bold"}
