"""The company's logo, stamp and signature images (Settings › Company requisites), printed on invoices and
waybills.

An upload is checked here and nowhere else: PNG or JPEG by its first bytes, at most ``MAX_BYTES``, and (Pillow
is installed with weasyprint) really decodable, in that format, at most ``MAX_SIDE`` pixels a side. The file
is stored under ``VORONKA_DATA_DIR/media/billing/`` named by its SHA-256 (``logo-<hash>.png``): never
overwritten and never deleted by a change, so an issued invoice (its seller snapshot names the files) prints
the images it was issued with. Nothing is fetched from elsewhere.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.permissions import require_perm
from voronka.core.errors import DomainError
from voronka.events.services import record_event

from .models import CompanyRequisites

KINDS = ("logo", "stamp", "signature")
MAX_BYTES = 1024 * 1024
MAX_SIDE = 4000
FORMATS = {b"\x89PNG\r\n\x1a\n": ("PNG", "png"), b"\xff\xd8\xff": ("JPEG", "jpg")}


def media_dir() -> Path:
    return Path(settings.DATA_DIR) / "media" / "billing"


def image_path(name: str) -> Path | None:
    """The stored file of ``name`` (as kept on the requisites or an invoice), or None (unknown, missing)."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    path = media_dir() / name
    return path if path.is_file() else None


def check_image(data: Any, *, field: str) -> tuple[bytes, str]:
    """The upload's bytes and file extension, or a field error."""
    if hasattr(data, "read"):
        if getattr(data, "size", 0) and data.size > MAX_BYTES:
            raise DomainError(_("The image is larger than %(n)s KB.") % {"n": MAX_BYTES // 1024}, field=field)
        data = data.read(MAX_BYTES + 1)
    if not isinstance(data, bytes | bytearray) or not data:
        raise DomainError(_("Choose a PNG or JPEG file."), field=field)
    if len(data) > MAX_BYTES:
        raise DomainError(_("The image is larger than %(n)s KB.") % {"n": MAX_BYTES // 1024}, field=field)
    kind = next((v for magic, v in FORMATS.items() if data.startswith(magic)), None)
    if kind is None:
        raise DomainError(_("Choose a PNG or JPEG file."), field=field)
    fmt, ext = kind
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with weasyprint
        return bytes(data), ext
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
        with Image.open(io.BytesIO(data)) as img:
            if img.format != fmt:
                raise ValueError(img.format)
            width, height = img.size
            img.load()
    except Exception as exc:  # any decoder error: not a real image
        raise DomainError(_("The file is not a readable PNG or JPEG image."), field=field) from exc
    if width > MAX_SIDE or height > MAX_SIDE:
        raise DomainError(_("The image is larger than %(n)s pixels a side.") % {"n": MAX_SIDE}, field=field)
    return bytes(data), ext


def _store(kind: str, data: bytes, ext: str) -> str:
    name = f"{kind}-{hashlib.sha256(data).hexdigest()[:32]}.{ext}"
    folder = media_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        tmp = folder / f".{name}.{os.getpid()}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return name


@transaction.atomic
def set_requisites_image(*, actor: User, kind: str, data: Any = None, remove: bool = False) -> CompanyRequisites:
    """Upload (``data``: bytes or an uploaded file) or ``remove`` the company's logo, stamp or signature."""
    require_perm(actor, "configure")
    if kind not in KINDS:
        raise DomainError(_("Unknown image: %(kind)s.") % {"kind": str(kind)[:20]}, field="kind")
    requisites = CompanyRequisites.objects.select_for_update().filter(pk=1).first() or CompanyRequisites(pk=1)
    old = getattr(requisites, kind)
    if remove:
        new = ""
    else:
        content, ext = check_image(data, field=kind)
        new = _store(kind, content, ext)
    if new == old:
        return requisites
    setattr(requisites, kind, new)
    requisites.save()
    record_event(actor=actor, verb="billing.requisites_updated", target=requisites, changes={kind: (old, new)})
    return requisites


@transaction.atomic
def update_requisites_images(*, actor: User, uploads: dict[str, Any], remove: set[str] | frozenset = frozenset()
                             ) -> CompanyRequisites:
    """Several at once (the settings form): all are written or, on the first bad one, none."""
    requisites = None
    for kind in KINDS:
        if kind in remove:
            requisites = set_requisites_image(actor=actor, kind=kind, remove=True)
        elif uploads.get(kind):
            requisites = set_requisites_image(actor=actor, kind=kind, data=uploads[kind])
    return requisites or CompanyRequisites.objects.filter(pk=1).first() or CompanyRequisites(pk=1)


def image_uris(names: dict[str, Any]) -> dict[str, str]:
    """``kind`` → file URI of the stored images named in ``names`` (requisites or an invoice's seller)."""
    out = {}
    for kind in KINDS:
        path = image_path(str(names.get(kind) or ""))
        if path is not None:
            out[kind] = path.as_uri()
    return out
