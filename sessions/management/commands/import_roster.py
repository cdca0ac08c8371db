"""Import a roster file from the command line, with the same checks as the office's page."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from capture_portal.actors import Actor
from capture_portal.exceptions import DomainError
from sessions import selectors, services


class Command(BaseCommand):
    help = "Import students from an .xlsx or .csv roster (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--campaign", type=int, help="campaign id (default: the current one)")
        parser.add_argument("--dry-run", action="store_true", help="check and report only")
        parser.add_argument(
            "--withdraw-missing",
            action="store_true",
            help="withdraw students of the cohort who are not in the file",
        )

    def handle(self, *args, file, campaign=None, dry_run=False, withdraw_missing=False, **opts):
        if campaign is None:
            current = selectors.current_campaign()
            if current is None:
                raise CommandError("no published campaign: pass --campaign")
            campaign = current.pk
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        actor = Actor.system("import_roster")

        def progress(n):
            sys.stderr.write(f"\r{n} rows read…")
            sys.stderr.flush()

        try:
            preview = services.roster_import_preview(
                actor=actor,
                campaign_id=campaign,
                file_name=file.name,
                data=data,
                progress=progress,
                store=not dry_run,
            )
        except DomainError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from exc
        sys.stderr.write("\n")
        parsed = preview.parsed
        if parsed.errors:
            for err in parsed.errors:
                self.stdout.write(f"row {err.row} · {err.column}: {err.message}")
            raise CommandError(
                f"{len(parsed.errors)} errors in {parsed.data_rows} rows; nothing imported"
            )
        plan = preview.plan
        self.stdout.write(
            f"{parsed.data_rows} rows: {len(plan.create)} new, {len(plan.update)} changed, "
            f"{plan.unchanged} unchanged, {len(plan.missing)} in the database but not in the file"
        )
        if dry_run:
            self.stdout.write("dry run: nothing imported")
            return
        try:
            result = services.roster_import_commit(
                actor=actor, import_id=preview.upload.pk, withdraw_missing=withdraw_missing
            )
        except DomainError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]") from exc
        self.stdout.write(
            f"imported: {result.created} created, {result.updated} updated, "
            f"{result.withdrawn} withdrawn, {result.captures} capture rows added"
        )
