"""Pages that need a campaign, on a fresh install before the first one: a clear page
saying how to start, not an error (sessions.selectors.NoCampaign)."""

from django.shortcuts import render

from sessions.selectors import NoCampaign


class NoCampaignMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NoCampaign):
            return render(request, "capture_sessions/no_campaign.html")
        return None
