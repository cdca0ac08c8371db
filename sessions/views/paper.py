"""Paper sign-in sheets (/staff/sessions/<id>/paper/…): the list of a session's units, a
unit's printable A4 sheet and its .xlsx, and recording a filled sheet (a text box of
student numbers or pass tokens, each optionally followed by its shooting number, or the
filled .xlsx) with a preview, then all at once.
Permission → form → one selector or service → message → redirect."""

import json

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from capture_portal.permissions import office_required
from capture_portal.xlsx import xlsx_response
from sessions import paper
from sessions.models import CaptureSession
from units import importing

ACTION_CHOICES = [(paper.ARRIVE, gettext_lazy("到场")), (paper.PHOTOGRAPH, gettext_lazy("已拍"))]


class PaperRecordForm(forms.Form):
    numbers = forms.CharField(
        label=gettext_lazy("学号或通行码（每行一个，已拍的可在后面空格加拍摄号）"),
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
    )
    action = forms.ChoiceField(
        label=gettext_lazy("登记为"), choices=ACTION_CHOICES, initial=paper.ARRIVE
    )
    file = forms.FileField(
        label=gettext_lazy("或上传填好的签到表（.xlsx）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
        required=False,
    )

    def clean_file(self):
        f = self.cleaned_data.get("file")
        if f and f.size > importing.MAX_BYTES:
            raise forms.ValidationError(
                _("文件超过 %(mb)d MB 的上限。") % {"mb": importing.MAX_BYTES // (1024 * 1024)}
            )
        return f

    def entries(self):
        """The sheet's entries (DomainError for an unreadable file)."""
        f = self.cleaned_data.get("file")
        if f:
            return paper.paper_entries_from_xlsx(f.read())
        return paper.paper_entries_from_text(
            self.cleaned_data["numbers"], self.cleaned_data["action"]
        )


def _encode(entries):
    """The entries as the confirm form carries them: a JSON list of
    [action, student number or pass, shooting number]."""
    return json.dumps([list(e) for e in entries], ensure_ascii=False)


def _decode(text):
    """The confirm form's entries; anything malformed is dropped (the preview the office saw
    was made from the same list, and paper_record checks every entry again)."""
    try:
        rows = json.loads(text or "[]")
    except (ValueError, RecursionError):  # RecursionError: a deeply nested hostile list
        return []
    entries = []
    for row in rows if isinstance(rows, list) else []:
        if (
            isinstance(row, list)
            and len(row) == 3
            and all(isinstance(v, str) for v in row)
            and row[0] in paper.RULE_OF
            and row[1].strip()
        ):
            entries.append(paper.Entry(row[1].strip(), row[0], row[2].strip()))
    return entries


def _session(session_id):
    return get_object_or_404(CaptureSession.objects.select_related("campaign"), pk=session_id)


@office_required
@require_GET
def paper_index(request, session_id):
    session = _session(session_id)
    return render(
        request,
        "capture_sessions/staff/paper_index.html",
        {"session": session, "placements": paper.paper_units(session)},
    )


@office_required
@never_cache
@require_GET
def paper_sheet(request, session_id, unit_id):
    session = _session(session_id)
    sheet = paper.paper_sheet(session, unit_id)
    return render(
        request,
        "capture_sessions/staff/paper_sheet.html",
        {"session": session, "sheet": sheet, "placement": sheet.placement},
    )


@office_required
@require_GET
def paper_sheet_xlsx(request, session_id, unit_id):
    session = _session(session_id)
    sheet = paper.paper_sheet(session, unit_id, with_codes=False)
    data = paper.paper_sheet_workbook(sheet)
    return xlsx_response(data, f"签到表-{session.date:%Y%m%d}-{sheet.placement.unit.name}.xlsx")


@office_required
@never_cache
@require_http_methods(["GET", "POST"])
def paper_record(request, session_id):
    session = _session(session_id)
    if request.method == "POST" and "confirm" in request.POST:
        try:
            moved = paper.paper_record(
                actor=Actor.of(request.user),
                session_id=session.pk,
                entries=_decode(request.POST.get("entries", "")),
            )
        except DomainError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, _("已按签到表登记 %(n)s 名学生。") % {"n": moved})
        return redirect("staff:paper_record", session_id=session.pk)
    form = PaperRecordForm(request.POST or None, request.FILES or None)
    preview = entries = None
    if request.method == "POST" and form.is_valid():
        try:
            entries = form.entries()
        except DomainError as e:
            form.add_error(None, e.message)
        else:
            preview = paper.paper_preview(session, entries)
    return render(
        request,
        "capture_sessions/staff/paper_record.html",
        {
            "session": session,
            "form": form,
            "preview": preview,
            "encoded": _encode(entries or []),
        },
    )
