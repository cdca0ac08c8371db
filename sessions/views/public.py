from django.shortcuts import render

from sessions import selectors


def home(request):
    """The campaign notice, rendered from the database."""
    return render(request, "capture_sessions/home.html", {"notice": selectors.public_notice()})
