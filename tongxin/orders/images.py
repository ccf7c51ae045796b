"""Uploaded photos: checked (type, size, pixel count), re-encoded as JPEG, EXIF dropped.

Re-encoding from decoded pixels is what removes everything but the picture: EXIF (with GPS
location), XMP, comments and anything appended after the image data. The orientation tag is
applied to the pixels first so the photo still stands the right way up.
"""

import io
import uuid

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from tongxin.core.errors import DomainError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2000
MAX_PHOTOS = 6
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}


def clean_image(upload, *, field: str = "photos") -> tuple[ContentFile, int, int]:
    """A re-encoded JPEG of `upload` (a file-like with .name/.size) and its size, or a DomainError."""
    name = getattr(upload, "name", "") or "图片"
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, 2)
        size = upload.tell()
    if size > MAX_BYTES:
        raise DomainError(f"图片“{name}”超过 {MAX_BYTES // 1024 // 1024} MB，请压缩后再上传", field=field)
    if size == 0:
        raise DomainError(f"图片“{name}”是空文件", field=field)
    upload.seek(0)
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in ALLOWED_FORMATS:
            raise DomainError(f"文件“{name}”的格式（{fmt}）不支持，请上传 JPEG、PNG 或 WebP 图片", field=field)
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > MAX_PIXELS:
            raise DomainError(f"图片“{name}”像素过多（{img.width}×{img.height}），请缩小后再上传", field=field)
        img.load()
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise DomainError(f"文件“{name}”不是有效的图片，请上传 JPEG、PNG 或 WebP 图片", field=field) from None
    img = ImageOps.exif_transpose(img)
    if img.mode not in ("RGB", "L"):
        background = Image.new("RGB", img.size, (255, 255, 255))
        rgba = img.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        img = background
    img.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85, optimize=True)  # no exif= argument: nothing is carried over
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg"), img.width, img.height


def check_count(files, *, field: str = "photos") -> list:
    files = [f for f in (files or []) if f]
    if len(files) > MAX_PHOTOS:
        raise DomainError(f"最多上传 {MAX_PHOTOS} 张图片，收到 {len(files)} 张", field=field)
    return files
