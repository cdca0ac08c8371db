"""Where each role lands after signing in, when the sign-in link named no page of its own
(a safe `next` always wins: LoginView checks it against the host before using it)."""

from django.contrib.auth import views as auth_views
from django.urls import reverse

from capture_portal.permissions import is_counsellor, is_office

# The group a station operator's account is in (units/migrations/0002_role_groups): the
# doors themselves run as paired devices, so such a person's page is the station page.
STATION_GROUP = "station"


def landing_url(user):
    """The page a signed-in user starts from: the office its dashboard, a counsellor their
    unit (the list when they have several), a station operator the station page, anyone
    else the notice."""
    if is_office(user):
        return reverse("staff:index")
    if is_counsellor(user):
        from units.selectors import visible_units

        ids = list(visible_units(user).values_list("pk", flat=True)[:2])
        if len(ids) == 1:
            return reverse("unit:detail", args=[ids[0]])
        return reverse("unit:list")
    if user.groups.filter(name=STATION_GROUP).exists():
        return reverse("station:app")
    return reverse("home")


class LoginView(auth_views.LoginView):
    def get_default_redirect_url(self):
        if self.next_page:
            return super().get_default_redirect_url()
        return landing_url(self.request.user)
