from dataclasses import dataclass

from capture_portal import permissions


@dataclass(frozen=True)
class Actor:
    """Who performs a state change.

    A signed-in user (office, counsellor), a paired station device (no account; bound to
    one station), a coordinator link (no account; bound to one unit) or the system (a
    management command). `label` is what the logs show beside the user, e.g. the station
    name or the link's unit.
    """

    user: object = None
    device: object = None
    coordinator_unit_id: int | None = None
    label: str = ""

    @classmethod
    def of(cls, user, label=""):
        return cls(user=user, label=label)

    @classmethod
    def for_device(cls, device):
        """A station device, read with its station, session and campaign."""
        return cls(device=device, label=device.station.name)

    @classmethod
    def coordinator_link(cls, unit_id, label=""):
        return cls(coordinator_unit_id=unit_id, label=label or f"coordinator-link:{unit_id}")

    @classmethod
    def system(cls, label="system"):
        return cls(label=label)

    @property
    def is_system(self):
        return self.user is None and self.device is None and self.coordinator_unit_id is None

    @property
    def is_office(self):
        return self.is_system or permissions.is_office(self.user)

    @property
    def is_station(self):
        return self.is_system or self.device is not None

    @property
    def campaign_id(self):
        """The campaign a device may act in (None for other actors)."""
        return self.device.station.session.campaign_id if self.device is not None else None

    def __str__(self):
        if self.user is not None:
            return self.user.get_username()
        if self.device is not None:
            return f"device:{self.device.pk}"
        return self.label
