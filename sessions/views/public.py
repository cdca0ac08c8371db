"""Pages for everyone, students included (no account). Nothing here shows another
student's data; a student's own pages are reached only through a signed token."""

import hashlib

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.core import get_usage

from capture_portal.localised import localised, where
from capture_portal.money import format_money
from sessions import passes, selectors
from sessions.announcements import live_announcements
from sessions.forms import LookupForm
from sessions.tokens import pass_token

# Rate limits for the anonymous lookup (django-ratelimit, counted in the shared store):
# failed tries per client address, and failed tries per student number, so that neither
# one address nor many addresses can guess a name for a known number. Only failures count
# per address: hundreds of students behind one campus NAT address look themselves up
# correctly and are never slowed; a locked number's student gets their page from their
# counsellor (the unit page lists each student's own link).
IP_FAILURE_RATE = "30/m"
NUMBER_FAILURE_RATE = "20/15m"


@require_safe
def home(request):
    """The campaign notice, rendered from the database."""
    notice = selectors.public_notice()
    return render(
        request,
        "capture_sessions/home.html",
        {
            "notice": notice,
            # The campaign-wide ones only: a session's are for its own students and doors.
            "announcements": live_announcements(notice.campaign.pk if notice else None),
        },
    )


@require_safe
def guide(request):
    return render(request, "capture_sessions/guide.html")


@require_safe
def offsite(request):
    # The notice's sessions too: the page opens with who must attend the centralised capture.
    notice = selectors.public_notice()
    return render(
        request,
        "capture_sessions/offsite.html",
        {"notice": notice, "campaign": notice.campaign if notice else None},
    )


def _number_key(student_no):
    # The cache never sees the student number itself.
    return "no:" + hashlib.sha256(student_no.encode()).hexdigest()[:32]


def _usage(request, group, key, rate, increment):
    return get_usage(request, group=group, key=key, rate=rate, method="POST", increment=increment)


def rate_limited(request, exception=None, retry_after=60, number=False):
    """429. `number`: this student number is locked (wrong names were tried for it), so
    the page tells the real student how to get their page anyway."""
    minutes = max(1, -(-retry_after // 60))
    response = render(
        request,
        "capture_sessions/rate_limited.html",
        {"minutes": minutes, "number_locked": number},
        status=429,
    )
    # django-ratelimit's window can end this very second (time_left 0): never tell a
    # client to retry at once.
    response["Retry-After"] = str(max(1, retry_after))
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def lookup(request):
    """Student number + name → the student's own page. Unknown numbers and wrong names get
    one and the same answer."""
    form = LookupForm(request.POST if request.method == "POST" else None)
    failed = False
    # The form page says so when nothing is published; a POST skips that query (it is the
    # hot path on the day) and a lookup then simply finds nobody.
    campaign = selectors.current_campaign() if request.method == "GET" else True
    if request.method == "POST":
        ip = _usage(request, "lookup-ip", "ip", IP_FAILURE_RATE, increment=False)
        if ip and ip["count"] >= ip["limit"]:
            return rate_limited(request, retry_after=ip["time_left"])
        if form.is_valid():
            number_key = _number_key(form.cleaned_data["student_no"])

            def key(group, req):
                return number_key

            locked = _usage(request, "lookup-no", key, NUMBER_FAILURE_RATE, increment=False)
            if locked and locked["count"] >= locked["limit"]:
                return rate_limited(request, retry_after=locked["time_left"], number=True)
            found = selectors.lookup_capture(
                form.cleaned_data["student_no"], form.cleaned_data["name"]
            )
            if found is not None:
                return redirect("student", token=pass_token(*found))
            _usage(request, "lookup-no", key, NUMBER_FAILURE_RATE, increment=True)
            failed = True
        # Every try that found nobody counts against its address.
        _usage(request, "lookup-ip", "ip", IP_FAILURE_RATE, increment=True)
    return render(
        request,
        "capture_sessions/lookup.html",
        {"form": form, "failed": failed, "campaign": campaign},
    )


def _page_context(request, token, announcements=True):
    page = selectors.access_student_page(token)
    context = {
        "page": page,
        "capture": page.capture,
        "student": page.capture.student,
        "campaign": page.capture.campaign,
        "session": page.session,
        "slot": page.slot,
        "coordinators": page.coordinators,
        "token": token,
    }
    if announcements:
        # The campaign-wide announcements and those of the student's own session.
        context["announcements"] = live_announcements(
            page.capture.campaign_id, page.session.pk if page.session else None
        )
    return context


@never_cache
@require_safe
def student(request, token):
    return render(request, "capture_sessions/student.html", _page_context(request, token))


@never_cache
@require_safe
def student_pass(request, token):
    return render(request, "capture_sessions/pass.html", _page_context(request, token))


@never_cache
@require_safe
def pass_qr(request, token):
    # The code opens the student's pass: like the pass itself, no cache keeps it.
    # A student with no pass to show (absent, off-site, exempt, done) gets no code either:
    # the pass page shows them none, and a code at the door would admit them.
    if not selectors.access_student_page(token).on_site:
        raise Http404
    return HttpResponse(passes.qr_png(token), content_type="image/png")


@never_cache
@require_safe
def pass_calendar(request, token):
    context = _page_context(request, token, announcements=False)
    session = context["session"]
    # No session yet, or none to come to (absent, off-site, done): no calendar entry.
    if session is None or not context["page"].on_site:
        raise Http404
    unit = localised(context["student"].unit, "name")
    location = _("%(place)s（%(entry)s入，%(exit)s出）") % {
        "place": where(session),
        "entry": localised(session, "entry_door"),
        "exit": localised(session, "exit_door"),
    }
    description = _(
        "预估时间，以实际时间为准。到入口时出示本系统的采集凭证；拍摄时向摄影师出示学信网"
        "图像采集码，请提前保存为手机图片。费用 %(fee)s 元交本单位负责人。详情：%(url)s"
    ) % {
        "fee": format_money(context["campaign"].onsite_fee),
        "url": request.build_absolute_uri(reverse("student", args=[token])),
    }
    body = passes.calendar_ics(
        context["page"],
        summary=_("毕业生图像采集（%(unit)s）") % {"unit": unit},
        location=location,
        description=description,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="capture.ics"'
    return response
