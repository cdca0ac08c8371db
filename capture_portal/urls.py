from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from capture_portal import landing
from sessions.photos import views_handover as photo_views
from sessions.urls import staff_patterns, station_patterns, unit_patterns
from sessions.views import board as board_views
from sessions.views import public as public_views

urlpatterns = [
    path("", public_views.home, name="home"),
    path("lookup/", public_views.lookup, name="lookup"),
    path("s/<str:token>/", public_views.student, name="student"),
    path("pass/<str:token>/", public_views.student_pass, name="pass"),
    path("pass/<str:token>/qr.png", public_views.pass_qr, name="pass_qr"),
    path("pass/<str:token>/calendar.ics", public_views.pass_calendar, name="pass_calendar"),
    path("guide/capture-code/", public_views.guide, name="guide"),
    path("offsite/", public_views.offsite, name="offsite"),
    # A delivered photo, by its random token; the office and the unit's counsellor only.
    path("photos/<str:token>/", photo_views.photo, name="photo"),
    # Each role lands on its own page after signing in (capture_portal.landing).
    path("login/", landing.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("staff/", include(staff_patterns)),
    path("unit/", include(unit_patterns)),
    path("station/", include(station_patterns)),
    path("board/", board_views.board, name="board"),
    path("board.json", board_views.board_json, name="board_json"),
    path("board/<int:session_id>/", board_views.board_session, name="board_session"),
    path(
        "board/<int:session_id>/data.json",
        board_views.board_session_json,
        name="board_session_json",
    ),
    path("", include("payments.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# Error pages (also with DEBUG off) need no handler here: Django's default views render
# templates/400.html, 403.html, 404.html and 403_csrf.html (CSRF failure) with the request,
# so in the site's layout and the visitor's language, and templates/500.html without request
# or database.
