"""Removing a campaign's delivered photos (called by payments.services.campaign_purge)."""


def purge_photos(campaign):
    """Delete the campaign's photo files and intake archives from the photo storage, and
    their rows. Returns how many photos were removed."""
    from sessions.models import Photo, PhotoIntake, PhotoIntakeBatch

    photos = list(Photo.objects.filter(capture__campaign=campaign))
    for photo in photos:
        photo.file.delete(save=False)
    for intake in PhotoIntake.objects.filter(campaign=campaign):
        if intake.archive:
            intake.archive.delete(save=False)
    Photo.objects.filter(pk__in=[p.pk for p in photos]).delete()
    # The files' names are student and ID numbers: the rows go with the photos.
    PhotoIntakeBatch.objects.filter(intake__campaign=campaign).delete()
    PhotoIntake.objects.filter(campaign=campaign).update(file_name="", archive="")
    return len(photos)
