from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from sessions.urls import staff_patterns, unit_patterns
from sessions.views import public as public_views

urlpatterns = [
    path("", public_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("staff/", include(staff_patterns)),
    path("unit/", include(unit_patterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
