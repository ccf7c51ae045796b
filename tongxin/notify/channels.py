"""Senders for the delivery channels. Each raises DeliveryError with a readable reason.

Payloads follow the vendors' documented formats:
- WeCom group robot (企业微信群机器人): POST {"msgtype": "markdown", "markdown": {"content": ...}};
  the reply is {"errcode": 0, "errmsg": "ok"} on success.
- DingTalk custom robot (钉钉自定义机器人): POST {"msgtype": "markdown", "markdown": {"title": ...,
  "text": ...}}; with a signing secret the URL gets &timestamp=<ms>&sign=<urlencoded base64
  HMAC-SHA256 of "<timestamp>\\n<secret>" keyed by the secret>. Reply {"errcode": 0, ...}.
- E-mail through Django's configured e-mail backend.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

TIMEOUT_SECONDS = 10


OFFICIAL_HOSTS = ("qyapi.weixin.qq.com", "oapi.dingtalk.com")


class DeliveryError(Exception):
    pass


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (robot removed, host not allowed): the row fails at once."""


def allowed_hosts() -> tuple[str, ...]:
    """Hosts a group robot may point at: the vendors' official ones unless
    settings.NOTIFY_WEBHOOK_HOSTS lists others (a private WeCom/DingTalk deployment, a test server).
    Restricting them keeps the robot form from being used to probe internal addresses."""
    return tuple(getattr(settings, "NOTIFY_WEBHOOK_HOSTS", None) or OFFICIAL_HOSTS)


def host_allowed(url: str) -> bool:
    return (urllib.parse.urlsplit(url).hostname or "") in allowed_hosts()


def absolute_url(url: str) -> str:
    """Links in e-mail and chat need the site's address (settings.SITE_URL, e.g. https://tx.example.cn)."""
    if url.startswith("/"):
        return getattr(settings, "SITE_URL", "").rstrip("/") + url
    return url


def markdown_text(title: str, body: str, url: str) -> str:
    parts = [f"**{title}**"]
    if body:
        parts.append(body)
    if url:
        label = _("View details")
        parts.append(f"[{label}]({absolute_url(url)})")
    return "\n\n".join(parts)


def wecom_payload(title: str, body: str, url: str) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": markdown_text(title, body, url)}}


def dingtalk_payload(title: str, body: str, url: str) -> dict:
    return {"msgtype": "markdown", "markdown": {"title": title, "text": markdown_text(title, body, url)}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    ts = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    query = urllib.parse.urlencode({"timestamp": ts, "sign": dingtalk_sign(secret, ts)})
    return f"{url}{'&' if '?' in url else '?'}{query}"


def post_json(url: str, payload: dict) -> dict:
    if not host_allowed(url):
        raise PermanentDeliveryError("Webhook 地址的主机不在允许列表中")
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (admin-configured URL)
            raw = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"HTTP {exc.code}: {exc.read(200).decode('utf-8', 'replace')}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"连接失败：{getattr(exc, 'reason', exc)}") from None
    try:
        reply = json.loads(raw.decode("utf-8") or "{}")
    except ValueError:
        raise DeliveryError("机器人的响应不是 JSON") from None
    if isinstance(reply, dict) and reply.get("errcode", 0) != 0:
        raise DeliveryError(f"errcode {reply.get('errcode')}: {str(reply.get('errmsg', ''))[:200]}")
    return reply


def send_wecom(webhook, title: str, body: str, url: str) -> None:
    post_json(webhook.url, wecom_payload(title, body, url))


def send_dingtalk(webhook, title: str, body: str, url: str) -> None:
    post_json(dingtalk_signed_url(webhook.url, webhook.secret), dingtalk_payload(title, body, url))


def send_email(address: str, title: str, body: str, url: str) -> None:
    text = body
    if url:
        label = _("View details")
        sep = pgettext("label separator", ": ")
        text = f"{body}\n\n{label}{sep}{absolute_url(url)}".strip()
    try:
        sent = send_mail(subject=title, message=text, from_email=None, recipient_list=[address])
    except Exception as exc:  # SMTP errors come in many classes
        raise DeliveryError(f"邮件发送失败：{exc}") from None
    if sent != 1:
        raise DeliveryError("邮件发送失败：邮件服务器未接受")
