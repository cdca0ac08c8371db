"""The English twin of a data text (`<field>_en`) on English pages, else the text itself.

Notice texts, places, doors and unit names are data typed in Chinese by the office; each has
an explicit English field beside it (sessions.models.Campaign says why). One rule for every
page, the .ics file and the messages: English when the page is English and the twin is set."""

from django.utils.translation import get_language


def english_page():
    return (get_language() or "").lower().startswith("en")


def english(obj, field):
    """obj.<field>_en when it is set, else obj.<field>: for texts that are English whatever
    the page's language (the English half of a ready-to-send message)."""
    if obj is None:
        return ""
    return getattr(obj, f"{field}_en", None) or getattr(obj, field)


def pick(text, english_text):
    """`english_text` on an English page when it is set, else `text`: for names read with
    values() (the twin read beside them, e.g. student__unit__name_en)."""
    return english_text if english_text and english_page() else text


def localised(obj, field):
    """obj.<field>_en on an English page when it is set (not empty), else obj.<field>."""
    if obj is None:
        return ""
    if english_page():
        english = getattr(obj, f"{field}_en", None)
        if english:
            return english
    return getattr(obj, field)


def where(session):
    """A session's campus and place, localised, as the pages show them: "东校区 · 第一教学楼一楼",
    "East Campus · Ground floor, Teaching Building No. 1" (not run together)."""
    return " · ".join(filter(None, (localised(session, "campus"), localised(session, "place"))))
