"""Agreements: creation, term and party checks, the draft → in force → terminated/expired workflow, scope."""

import datetime as dt

import pytest
from django.utils import timezone

from tongxin.audit.models import Event
from tongxin.core.errors import DomainError, PermissionDenied
from tongxin.governance import selectors, services
from tongxin.governance.models import AgreementStatus


def test_create_activate_and_timeline(gw, make_agreement):
    ag = make_agreement(activate=False)
    assert ag.status == AgreementStatus.DRAFT
    assert [p.role for p in ag.parties.all()] == ["甲方", "乙方"]
    ag = services.activate(agreement=ag, by=gw.admin)
    assert ag.status == AgreementStatus.IN_FORCE and ag.in_force_at
    assert [e.verb for e in selectors.timeline(ag)] == ["created", "activated"]
    assert Event.objects.filter(verb="agreement.activated", target_id=str(ag.pk)).exists()


def test_term_end_before_start_is_refused(gw, make_agreement):
    with pytest.raises(DomainError) as exc:
        make_agreement(starts_on=gw.today, ends_on=gw.today - dt.timedelta(days=1))
    assert exc.value.field == "ends_on" and "早于开始日期" in exc.value.message


def test_signed_in_future_and_too_long_term_are_refused(gw, make_agreement):
    with pytest.raises(DomainError, match="不能晚于今天"):
        make_agreement(signed_on=gw.today + dt.timedelta(days=3))
    with pytest.raises(DomainError, match="不能超过 10 年"):
        make_agreement(ends_on=gw.today + dt.timedelta(days=3700))


def test_party_outside_alliance_and_single_party_are_refused(gw, make_agreement):
    with pytest.raises(DomainError) as exc:
        make_agreement(parties=[gw.community_a, gw.outsider])
    assert exc.value.field == "parties" and "不是测试党建联盟的成员单位" in exc.value.message
    with pytest.raises(DomainError, match="至少需要两方"):
        make_agreement(parties=[gw.unit_a])


def test_covenant_defaults_to_all_members(gw, make_agreement):
    ag = make_agreement(kind="covenant", title="测试党建联盟盟约", parties=[])
    names = {p.organization.name for p in ag.parties.all()}
    assert names == {"测试街道党工委", "甲社区党委", "乙社区党委", "甲医院", "乙学校"}
    assert {p.role for p in ag.parties.all()} == {"成员单位"}


def test_wrong_role_and_org_outside_scope(gw, make_agreement):
    with pytest.raises(PermissionDenied, match="您的角色不能起草共建协议"):
        make_agreement(by=gw.liaison_a)
    with pytest.raises(PermissionDenied, match="不在您的组织范围内"):
        make_agreement(by=gw.dispatcher_b, organization=gw.community_a)
    ag = make_agreement(by=gw.dispatcher_a, organization=gw.community_a)
    with pytest.raises(PermissionDenied, match="不在您的组织范围内"):
        services.terminate(agreement=ag, by=gw.dispatcher_b, reason="测试")


def test_activate_needs_signing_date(gw, make_agreement):
    ag = make_agreement(activate=False, signed_on=None)
    with pytest.raises(DomainError, match="请先填写签订日期") as exc:
        services.activate(agreement=ag, by=gw.admin)
    assert exc.value.field == "signed_on"


def test_terminate_needs_reason_and_is_final(gw, make_agreement):
    ag = make_agreement()
    with pytest.raises(DomainError, match="请说明终止协议的原因"):
        services.terminate(agreement=ag, by=gw.admin, reason="")
    ag = services.terminate(agreement=ag, by=gw.admin, reason="成员单位搬迁")
    assert ag.status == AgreementStatus.TERMINATED and ag.termination_reason == "成员单位搬迁"
    with pytest.raises(DomainError, match="已终止”，不能终止") as exc:
        services.terminate(agreement=ag, by=gw.admin, reason="再次")
    assert exc.value.code == "wrong_state"
    with pytest.raises(DomainError, match="不能生效"):
        services.activate(agreement=ag, by=gw.admin)


def test_expiry_is_computed_and_written_by_the_job(gw, make_agreement):
    from tongxin.governance.tasks import agreement_expire
    from tongxin.notify.models import ScheduledJob

    ag = make_agreement(starts_on=gw.today - dt.timedelta(days=30), ends_on=gw.today + dt.timedelta(days=10),
                        signed_on=gw.today - dt.timedelta(days=30))
    assert list(selectors.expiring_agreements(gw.alliance, within_days=30)) == [ag]
    assert list(selectors.expiring_agreements(gw.alliance, within_days=5)) == []
    job = ScheduledJob.objects.get(kind="governance.agreement_expire")
    assert timezone.localtime(job.due_at).date() == ag.ends_on + dt.timedelta(days=1)
    agreement_expire(job)  # too early: nothing happens
    ag.refresh_from_db()
    assert ag.status == AgreementStatus.IN_FORCE
    type(ag).objects.filter(pk=ag.pk).update(ends_on=gw.today - dt.timedelta(days=1))
    assert ag.pk in set(selectors.search_agreements(gw.admin, status="expired").values_list("pk", flat=True))
    agreement_expire(job)
    ag.refresh_from_db()
    assert ag.status == AgreementStatus.EXPIRED and ag.events.filter(verb="expired").exists()


def test_scope_community_b_cannot_see_a(gw, make_agreement):
    ag = make_agreement(by=gw.dispatcher_a, organization=gw.community_a)
    assert selectors.visible_agreements(gw.dispatcher_a).filter(pk=ag.pk).exists()
    assert selectors.visible_agreements(gw.liaison_a).filter(pk=ag.pk).exists()  # unit A is a party
    assert not selectors.visible_agreements(gw.dispatcher_b).filter(pk=ag.pk).exists()
    assert not selectors.visible_agreements(gw.liaison_b).filter(pk=ag.pk).exists()
    assert not selectors.visible_agreements(gw.resident_a).exists()


def test_scan_pdf_image_and_refusals(gw, make_agreement, pdf_file, image_file):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ag = make_agreement(scan=pdf_file())
    assert ag.scan_type == "application/pdf" and ag.scan.name.startswith("governance/scans/")
    ag = services.attach_scan(agreement=ag, by=gw.admin, upload=image_file("签字页.png"))
    assert ag.scan_type == "image/jpeg" and ag.scan_name == "签字页.png"
    with pytest.raises(DomainError, match="超过 20 MB") as exc:
        services.attach_scan(agreement=ag, by=gw.admin, upload=pdf_file(size=20 * 1024 * 1024 + 1))
    assert exc.value.field == "scan"
    with pytest.raises(DomainError, match="只能是 PDF 或图片"):
        services.attach_scan(agreement=ag, by=gw.admin, upload=SimpleUploadedFile("a.docx", b"PK\x03\x04 not a pdf"))
    with pytest.raises(DomainError, match="内容不是有效的 PDF"):
        services.attach_scan(agreement=ag, by=gw.admin, upload=SimpleUploadedFile("fake.pdf", b"hello"))


def test_parties_editable_only_in_draft(gw, make_agreement):
    ag = make_agreement(activate=False)
    services.add_party(agreement=ag, by=gw.admin, organization=gw.unit_b, role="丙方")
    with pytest.raises(DomainError, match="已是协议的一方"):
        services.add_party(agreement=ag, by=gw.admin, organization=gw.unit_b)
    with pytest.raises(DomainError, match="不是测试党建联盟的成员单位"):
        services.add_party(agreement=ag, by=gw.admin, organization=gw.outsider)
    services.remove_party(agreement=ag, by=gw.admin, organization=gw.unit_b)
    with pytest.raises(DomainError, match="至少需要两方"):
        services.remove_party(agreement=ag, by=gw.admin, organization=gw.unit_a)
    services.activate(agreement=ag, by=gw.admin)
    with pytest.raises(DomainError, match="不能再增加签约方"):
        services.add_party(agreement=ag, by=gw.admin, organization=gw.unit_b)


def test_edit_term_in_force_is_refused(gw, make_agreement):
    ag = make_agreement()
    services.update_agreement(agreement=ag, by=gw.admin, title="新名称", number="柳党联〔2026〕1号")
    with pytest.raises(DomainError, match="不能修改期限"):
        services.update_agreement(agreement=ag, by=gw.admin, ends_on=gw.today + dt.timedelta(days=500))
