"""Remove a closed campaign's personal data (names, phones, ID tails), keeping the figures."""

from django.core.management.base import BaseCommand, CommandError

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from payments.services import campaign_purge


class Command(BaseCommand):
    help = "Purge the personal data of a closed campaign (counts, sums and logs stay)."

    def add_arguments(self, parser):
        parser.add_argument("campaign", type=int, help="campaign id")

    def handle(self, *args, campaign, **options):
        try:
            counts = campaign_purge(actor=Actor.system("purge_campaign"), campaign_id=campaign)
        except DomainError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from exc
        for key, n in counts.items():
            self.stdout.write(f"{key}: {n}")
        self.stdout.write("personal data purged")
