"""Calendar invitations (.ics, RFC 5545) and the check-in QR code of a meeting.

The UID is fixed per meeting (its uuid), SEQUENCE is the meeting's `sequence`, bumped by every
change, so calendar programs update the same event instead of adding a second one; a cancelled
meeting is sent with METHOD:CANCEL and STATUS:CANCELLED.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from .models import Meeting, MeetingStatus

PRODID = "-//Tongxin//Joint meetings//ZH"


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.uid}@tongxin"


def ics_bytes(meeting: Meeting, *, url: str = "", attendees=()) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cancelled = meeting.status == MeetingStatus.CANCELLED
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    ev = Event()
    ev.add("uid", meeting_uid(meeting))
    ev.add("sequence", meeting.sequence)
    ev.add("dtstamp", timezone.now())
    ev.add("dtstart", meeting.starts_at)
    ev.add("dtend", meeting.ends_at)
    ev.add("summary", meeting.title)
    if meeting.location:
        ev.add("location", meeting.location)
    lines = [meeting.get_kind_display()]
    if meeting.chair_id:
        lines.append(f"轮值主席单位：{meeting.chair.name}")
    agenda = [a.title for a in meeting.agenda_items.filter(status="accepted").order_by("position", "id")]
    if agenda:
        lines.append("议程：" + "；".join(f"{i}. {t}" for i, t in enumerate(agenda, start=1)))
    if url:
        lines.append(url)
        ev.add("url", url)
    ev.add("description", "\n".join(lines))
    ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = vCalAddress("mailto:noreply@tongxin.invalid")
    organizer.params["cn"] = vText(meeting.organization.name)
    ev["organizer"] = organizer
    for user in attendees:
        if getattr(user, "email", ""):
            a = vCalAddress(f"mailto:{user.email}")
            a.params["cn"] = vText(str(user))
            ev.add("attendee", a, encode=0)
    cal.add_component(ev)
    return cal.to_ical()


def qr_svg(data: str) -> str:
    """An inline SVG of a QR code for `data` (the self check-in URL)."""
    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf)
    svg = buf.getvalue().decode()
    if svg.startswith("<?xml"):
        svg = svg.split("?>", 1)[1]
    return svg
