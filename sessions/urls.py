from django.urls import path

from sessions.photos import intake_views as photo_intake_views
from sessions.photos import views_handover as photo_views
from sessions.views import aftercare as aftercare_views
from sessions.views import announcements as announcement_views
from sessions.views import campaigns as campaign_views
from sessions.views import confirmation as confirmation_views
from sessions.views import corrections as correction_views
from sessions.views import makeup as makeup_views
from sessions.views import paper as paper_views
from sessions.views import posters as poster_views
from sessions.views import staff, station, unit, walkins

staff_patterns = (
    [
        path("", staff.index, name="index"),
        path("roster/import/", staff.roster_import, name="roster_import"),
        path("roster/import/<int:pk>/", staff.roster_preview, name="roster_preview"),
        path("roster.xlsx", staff.roster_xlsx, name="roster_xlsx"),
        path("absentees.xlsx", staff.absentees_xlsx, name="absentees_xlsx"),
        path("sessions/<int:session_id>/schedule/", staff.schedule, name="schedule"),
        path(
            "sessions/<int:session_id>/schedule/print/",
            staff.schedule_print,
            name="schedule_print",
        ),
        path("sessions/<int:session_id>/schedule.xlsx", staff.schedule_xlsx, name="schedule_xlsx"),
        path("sessions/<int:session_id>/poster/", poster_views.poster, name="poster"),
        path("coordinators/", staff.coordinators, name="coordinators"),
        path("coordinators.xlsx", staff.coordinators_xlsx, name="coordinators_xlsx"),
        path("sessions/<int:session_id>/live/", staff.live, name="live"),
        path("sessions/<int:session_id>/paper/", paper_views.paper_index, name="paper_index"),
        path(
            "sessions/<int:session_id>/paper/<int:unit_id>/",
            paper_views.paper_sheet,
            name="paper_sheet",
        ),
        path(
            "sessions/<int:session_id>/paper/<int:unit_id>.xlsx",
            paper_views.paper_sheet_xlsx,
            name="paper_sheet_xlsx",
        ),
        path(
            "sessions/<int:session_id>/paper/record/",
            paper_views.paper_record,
            name="paper_record",
        ),
        path("sessions/<int:session_id>/close/", staff.close_session, name="close_session"),
        path(
            "sessions/<int:session_id>/shooting-numbers/",
            staff.shooting_numbers,
            name="shooting_numbers",
        ),
        path(
            "sessions/<int:session_id>/shooting-numbers.xlsx",
            staff.shooting_numbers_xlsx,
            name="shooting_numbers_xlsx",
        ),
        path("absentees/", staff.absentees, name="absentees"),
        path("announcements/", announcement_views.announcements_page, name="announcements"),
        path("makeup/new/", makeup_views.makeup_new, name="makeup_new"),
        path("sessions/<int:session_id>/makeup/", makeup_views.makeup_move, name="makeup_move"),
        path("stations/", staff.stations, name="stations"),
        path("campaign/", staff.campaign_step, name="campaign_step"),
        path("campaign/copy/", campaign_views.campaign_copy, name="campaign_copy"),
        path("campaigns/", campaign_views.campaigns, name="campaigns"),
        path(
            "campaigns/<int:campaign_id>/roster.xlsx",
            campaign_views.campaign_roster_xlsx,
            name="campaign_roster_xlsx",
        ),
        path(
            "roster/exempt-already-photographed/",
            campaign_views.exempt_already_photographed,
            name="exempt_already_photographed",
        ),
        path("sessions/<int:session_id>/walk-ins/", walkins.walk_ins, name="walk_ins"),
        path(
            "confirmation/import/",
            confirmation_views.confirmation_import,
            name="confirmation_import",
        ),
        path(
            "confirmation/import/<int:pk>/",
            confirmation_views.confirmation_preview,
            name="confirmation_preview",
        ),
        path("exceptions/", confirmation_views.exceptions, name="exceptions"),
        path("exceptions.xlsx", confirmation_views.exceptions_xlsx, name="exceptions_xlsx"),
        path("captures/", correction_views.capture_search, name="capture_search"),
        path("captures/bulk/", correction_views.capture_bulk, name="capture_bulk"),
        path("captures/<int:capture_id>/", correction_views.capture_detail, name="capture_detail"),
        path("corrections/", correction_views.corrections, name="corrections"),
        path("offsite/", aftercare_views.offsite_followup, name="offsite_followup"),
        path("prints/", aftercare_views.prints, name="prints"),
        path("photos/", photo_views.photos, name="photos"),
        path("photos/unit/<int:unit_id>/", photo_views.photos_unit, name="photos_unit"),
        path("photos/handover.zip", photo_views.photos_zip, name="photos_zip"),
        path("photos/intake/", photo_intake_views.photo_intake, name="photo_intake"),
        path(
            "photos/intake/<int:pk>/",
            photo_intake_views.photo_intake_preview_page,
            name="photo_intake_preview",
        ),
        path(
            "photos/intake/<int:pk>/files.xlsx",
            photo_intake_views.photo_intake_files,
            name="photo_intake_files",
        ),
        path(
            "photos/intake/<int:pk>/discard/",
            photo_intake_views.photo_intake_discard_page,
            name="photo_intake_discard",
        ),
    ],
    "staff",
)

unit_patterns = (
    [
        path("", unit.unit_list, name="list"),
        path("<int:unit_id>/", unit.unit_detail, name="detail"),
        path("<int:unit_id>/coordinators/", unit.coordinators, name="coordinators"),
        path("<int:unit_id>/roster.xlsx", unit.roster_xlsx, name="roster_xlsx"),
        path("<int:unit_id>/link/", unit.link_rotate, name="link_rotate"),
        path(
            "<int:unit_id>/confirmation/",
            confirmation_views.unit_confirmation,
            name="confirmation",
        ),
        path("<int:unit_id>/prints/", aftercare_views.unit_prints, name="prints"),
        path("<int:unit_id>/photos.zip", photo_views.unit_photos_zip, name="photos_zip"),
        # Before capture_action, whose <slug:action> would take "correction" too.
        path(
            "<int:unit_id>/captures/<int:capture_id>/correction/",
            correction_views.correction_request,
            name="correction_request",
        ),
        path(
            "<int:unit_id>/captures/<int:capture_id>/<slug:action>/",
            unit.capture_action,
            name="capture_action",
        ),
    ],
    "unit",
)

station_patterns = (
    [
        path("", station.station_app, name="app"),
        path("sw.js", station.service_worker, name="service_worker"),
        path("pair/", station.pair, name="pair"),
        path("api/status/", station.api_status, name="status"),
        path("api/scan/", station.api_scan, name="scan"),
        path("api/undo/", station.api_undo, name="undo"),
        path("api/shooting-no/", station.api_shooting_no, name="shooting_no"),
        path("api/walk-in/", station.api_walk_in, name="walk_in"),
    ],
    "station",
)
