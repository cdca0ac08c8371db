"""Messages ready to paste into a unit's WeChat group, built from the campaign's data.

`unit_messages` returns [(title, zh_text, en_text)]. The Chinese text goes through gettext
with the language pinned to Chinese (so it is Chinese whatever the page's language); the
English text is plain English written here, because it must be English whatever the
page's language and the catalogue has no English for it yet.

Reads: one query for the unit's placements (with slot and session); the coordinators come
from the caller when it has them already (the counsellor's page), else one more query.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils import dateformat
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from capture_portal.localised import english
from capture_portal.money import format_money
from sessions.models import SlotUnit

ZH_WEEKDAYS = "一二三四五六日"


@dataclass
class Message:
    key: str  # "group" | "absentees" | "chsi": the element ids on the pages
    title: str
    zh: str
    en: str

    def __iter__(self):  # (title, zh_text, en_text), as the brief's tuples
        return iter((self.title, self.zh, self.en))


def _zh(fn, *args):
    """The Chinese text is Chinese on an English page too (gettext pinned to zh-hans)."""
    with override(settings.LANGUAGE_CODE):
        return fn(*args)


def unit_placements(unit, campaign):
    """The unit's windows in the campaign's sessions, by date and time (a unit split across
    windows or sessions has several). One query."""
    return list(
        SlotUnit.objects.filter(unit=unit, session__campaign=campaign)
        .select_related("slot", "session", "unit")
        .order_by("session__date", "slot__start", "order", "pk")
    )


def _money(value):
    return format_money(value)


def _zh_date(d):
    return f"{d.year}年{d.month}月{d.day}日（星期{ZH_WEEKDAYS[d.weekday()]}）"


def _en_date(d):
    """ "Monday, 11 March 2024": the pages' English WEEKDAY_DATE_FORMAT (capture_portal/formats/en),
    whatever the page's language."""
    with override("en"):
        return dateformat.format(d, get_format("WEEKDAY_DATE_FORMAT"))


def _hm(t):
    return t.strftime("%H:%M")


def _place(session, text=getattr):
    place, campus = text(session, "place"), text(session, "campus")
    return f"{campus} {place}" if campus else place


def _part(placement):
    """The part of a split unit the window takes ('' for the whole unit)."""
    from sessions.selectors import _placed_unit

    return _placed_unit(placement).split


def _coordinator_lines(coordinators):
    return [f"{c.name} {c.phone}" for _p, c in sorted(coordinators.items())]


def _group_message(unit, campaign, placements, lookup_url, coordinators):
    coords = _coordinator_lines(coordinators)
    fee = _money(campaign.onsite_fee)
    zh = [_("【%(unit)s】毕业生图像信息采集通知") % {"unit": unit.name}]
    en = [f"[{english(unit, 'name')}] Graduate photo capture"]
    for p in placements:
        s, part = p.session, _part(p)
        window = f"{_hm(p.slot.start)}–{_hm(p.slot.end)}"
        who_zh = _("（%(part)s）") % {"part": part} if part else ""
        who_en = f" ({part})" if part else ""
        # Annex 1 is an estimate ("预估时间表（以实际时间为准）"), and the message says so.
        zh.append(
            _("时间%(who)s：%(date)s %(window)s（预估，以实际时间为准），请按时段到场，勿提前。")
            % {"who": who_zh, "date": _zh_date(s.date), "window": window}
        )
        zh.append(
            _("地点：%(place)s；%(entry)s进，%(exit)s出。")
            % {"place": _place(s), "entry": s.entry_door, "exit": s.exit_door}
        )
        en.append(
            f"When{who_en}: {_en_date(s.date)}, {window} (estimated; the actual time "
            "applies). Please come in your time slot, not earlier."
        )
        en.append(
            f"Where: {_place(s, english)}. Enter by the {english(s, 'entry_door')}, "
            f"leave by the {english(s, 'exit_door')}."
        )
    if not placements:
        zh.append(_("时间和地点：时间表发布后另行通知。"))
        en.append("When and where: to follow once the schedule is published.")
    # The notice's 三.3.(4): the coordinators collect the fee beforehand and hand it to the
    # capture centre's staff on the day; a student does not pay at the camera.
    zh.append(_("携带：本人学信网图像采集码（提前保存图片）。"))
    zh.append(
        _(
            "费用 %(fee)s 元/人（%(spec)s），请提前交本单位负责人，由负责人采集时当场交给%(centre)s工作人员。"  # noqa: E501
        )
        % {
            "fee": fee,
            "spec": campaign.print_spec,
            "centre": campaign.capture_centre or _("图像采集中心"),
        }
    )
    en.append("Bring: your CHSI image capture code (save the picture beforehand).")
    en.append(
        f"Fee: {fee} yuan per person ({english(campaign, 'print_spec')}), paid in advance "
        f"to your unit coordinators, who hand it to the staff of the "
        f"{english(campaign, 'capture_centre') or 'image capture centre'} on the day."
    )
    zh.append(_("查询本人时段：%(url)s") % {"url": lookup_url})
    en.append(f"Check your own time slot: {lookup_url}")
    if coords:
        zh.append(_("本单位负责人：%(names)s") % {"names": "；".join(coords)})
        en.append("Unit coordinators: " + "; ".join(coords))
    return zh, en


def _absentee_message(campaign, coordinators):
    fee = _money(campaign.offsite_fee)
    zh = [_("【未参加集中采集的同学】请按以下步骤分散采集：")]
    en = ["[Missed the capture day?] Please have your photo taken off-site:"]
    centres = campaign.offsite_centres_url
    zh.append(
        _("1. 就近前往任一新华社图像采集中心%(where)s。")
        % {"where": _("（地址与电话：%(url)s）") % {"url": centres} if centres else ""}
    )
    en.append(
        "1. Go to any Xinhua image capture centre"
        + (f" (addresses and phones: {centres})" if centres else "")
        + "."
    )
    if campaign.offsite_studio_address:
        zh.append(
            _("   %(region)s补拍：%(name)s %(address)s，电话 %(phone)s。")
            % {
                "region": campaign.offsite_region,
                "name": campaign.offsite_studio_name,
                "address": campaign.offsite_studio_address,
                "phone": campaign.offsite_studio_phone,
            }
        )
        en.append(
            f"   Retakes in {english(campaign, 'offsite_region')}: "
            f"{english(campaign, 'offsite_studio_name')} "
            f"{english(campaign, 'offsite_studio_address')}, "
            f"phone {campaign.offsite_studio_phone}."
        )
    zh.append(
        _(
            "2. 费用 %(fee)s 元/人（%(spec)s），在采集点自行缴纳；带上学信网图像采集码、2B 铅笔、橡皮，%(school)s院校代码 %(code)s。"  # noqa: E501
        )
        % {
            "fee": fee,
            "spec": campaign.print_spec,
            "school": campaign.school_name,
            "code": campaign.school_code,
        }
    )
    en.append(
        f"2. The fee, {fee} yuan per person ({english(campaign, 'print_spec')}), is paid at "
        f"the centre; bring your CHSI image capture code, a 2B pencil and an eraser; "
        f"school code of {english(campaign, 'school_name')}: {campaign.school_code}."
    )
    deadline = campaign.offsite_deadline
    zh.append(
        _("3. 收到纸质照片后核对无误，把整版照片交给本单位%(by)s。")
        % {"by": _("（%(d)s 前）") % {"d": _zh_date(deadline)} if deadline else ""}
    )
    en.append(
        "3. When the paper photos arrive, check them and hand the whole sheet to your unit"
        + (f" by {_en_date(deadline)}" if deadline else "")
        + "."
    )
    coords = _coordinator_lines(coordinators)
    if coords:
        zh.append(_("本单位负责人：%(names)s") % {"names": "；".join(coords)})
        en.append("Unit coordinators: " + "; ".join(coords))
    return zh, en


def _chsi_message(campaign):
    opens, deadline = campaign.confirmation_opens, campaign.confirmation_deadline
    if opens and deadline:
        when_zh = _("%(opens)s 至 %(deadline)s") % {
            "opens": _zh_date(opens),
            "deadline": _zh_date(deadline),
        }
        when_en = f"from {_en_date(opens)} to {_en_date(deadline)}"
    elif opens:
        when_zh, when_en = _("%(opens)s 起") % {"opens": _zh_date(opens)}, f"from {_en_date(opens)}"
    else:
        when_zh = _("%(deadline)s 前") % {"deadline": _zh_date(deadline)}
        when_en = f"by {_en_date(deadline)}"
    zh = [
        _("【学信网图像校对】请在 %(when)s 登录学信网（学信档案 → 图像校对），核对本人照片并确认。")
        % {"when": when_zh},
        _(
            "照片有误：选择“有异议”并写明原因，联系辅导员或研究生学院安排补拍。未确认会影响毕业证书制作和学历学位注册。"
        ),
    ]
    en = [
        f"[CHSI photo check] Please log in to CHSI (学信档案 → 图像校对) {when_en}, "
        f"check your photo and confirm it.",
        "If it is wrong, choose “有异议” (dispute), give the reason and contact your "
        "counsellor or the Graduate School for a re-take. An unconfirmed photo delays "
        "the diploma and the degree registration.",
    ]
    contact = " ".join(
        [campaign.contact_office, *[str(p) for p in campaign.contact_phones or []]]
    ).strip()
    contact_en = " ".join(
        [english(campaign, "contact_office"), *[str(p) for p in campaign.contact_phones or []]]
    ).strip()
    if contact:
        zh.append(_("研究生学院：%(contact)s") % {"contact": contact})
        en.append(f"Graduate School: {contact_en}")
    return zh, en


def unit_messages(unit, campaign, request_base_url, coordinators=None, placements=None):
    """[Message] for the unit's group, each iterable as (title, zh_text, en_text).

    Before and on the day: the group message with each of the unit's windows (a split unit
    has one line per window), date, place, doors, what to bring, the lookup link, the fee
    and the coordinators. Once one of its sessions has closed: the absentees' off-site
    steps. When the campaign has CHSI confirmation dates: the check message.

    `request_base_url`: scheme and host ("https://host"), for the absolute lookup link.
    `coordinators`: {position: Coordinator} if the caller has read them (else one query).
    """
    from django.urls import reverse

    from sessions.selectors import unit_coordinators

    if placements is None:
        placements = unit_placements(unit, campaign)
    if coordinators is None:
        coordinators = unit_coordinators(unit, campaign)
    lookup_url = request_base_url.rstrip("/") + reverse("lookup")
    sessions = {p.session_id: p.session for p in placements}.values()
    any_closed = any(s.closed_at for s in sessions)
    all_closed = bool(sessions) and all(s.closed_at for s in sessions)
    built = []
    if not all_closed:
        built.append(
            (
                "group",
                _("群消息：采集通知"),
                _zh(_group_message, unit, campaign, placements, lookup_url, coordinators),
            )
        )
    if any_closed:
        built.append(
            (
                "absentees",
                _("群消息：未参加采集的同学"),
                _zh(_absentee_message, campaign, coordinators),
            )
        )
    if campaign.confirmation_opens or campaign.confirmation_deadline:
        built.append(("chsi", _("群消息：学信网图像校对"), _zh(_chsi_message, campaign)))
    result = []
    for key, title, (zh_lines, en_lines) in built:
        result.append(
            Message(key=key, title=str(title), zh="\n".join(zh_lines), en="\n".join(en_lines))
        )
    return result
