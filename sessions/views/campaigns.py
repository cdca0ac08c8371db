"""The office's pages across campaigns (/staff/campaigns/…): earlier campaigns stay
readable, next year's campaign starts as a copy of this one, and students photographed in
an earlier campaign are exempted in one step. Each view: permission → one service or
selector → message → redirect."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from capture_portal.permissions import office_required
from capture_portal.xlsx import xlsx_response
from sessions import exports, history, selectors, services
from sessions.models import Campaign, RosterImport


def _posted_id(request, name):
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() and len(value) <= 18 else None


@office_required
@never_cache
@require_GET
def campaigns(request):
    """Every campaign, newest first: status, sessions, students per status, an export."""
    return render(
        request,
        "capture_sessions/staff/campaigns.html",
        {"rows": history.campaign_overview(), "office_campaign": selectors.office_campaign()},
    )


@office_required
@require_GET
def campaign_roster_xlsx(request, campaign_id):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    return xlsx_response(
        exports.roster_workbook(campaign), f"名单与采集状态-{campaign.cohort}届.xlsx"
    )


@office_required
@require_POST
def campaign_copy(request):
    """Start next year's campaign as a draft copy of the campaign the button was on (the
    office's campaign when none is named)."""
    campaign_id = _posted_id(request, "campaign_id")
    if campaign_id is None:
        campaign_id = selectors.campaign_or_start().pk
    try:
        campaign = services.campaign_copy_next(
            actor=Actor.of(request.user), campaign_id=campaign_id
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staff:index")
    messages.success(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _("已新建草稿“%(title)s”。请核对场次日期、时间表和通知内容后再发布。")
            % {"title": campaign.title},
            reverse("admin:capture_sessions_campaign_change", args=[campaign.pk]),
            _("在管理后台编辑"),
        ),
    )
    return redirect("staff:campaigns")


@office_required
@require_POST
def exempt_already_photographed(request):
    """Exempt the campaign's students who already have an image from an earlier campaign;
    back to the roster import they were found in."""
    campaign_id = _posted_id(request, "campaign_id")
    upload = RosterImport.objects.filter(pk=_posted_id(request, "import_id") or 0).first()
    back = redirect("staff:roster_preview", upload.pk) if upload else redirect("staff:index")
    if campaign_id is None:
        messages.error(request, _("请求无效。"))
        return back
    try:
        n = services.captures_exempt_already_photographed(
            actor=Actor.of(request.user), campaign_id=campaign_id
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return back
    if n:
        messages.success(request, _("已将 %(n)d 名已有毕业图像的学生设为免采。") % {"n": n})
    else:
        messages.info(request, _("没有需要免采的学生：已有毕业图像的学生都已免采或已采集。"))
    return back
