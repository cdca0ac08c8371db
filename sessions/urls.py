from django.urls import path

from sessions.views import staff, station, unit

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
        path("coordinators/", staff.coordinators, name="coordinators"),
        path("coordinators.xlsx", staff.coordinators_xlsx, name="coordinators_xlsx"),
        path("sessions/<int:session_id>/live/", staff.live, name="live"),
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
        path("stations/", staff.stations, name="stations"),
        path("campaign/", staff.campaign_step, name="campaign_step"),
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
    ],
    "station",
)
