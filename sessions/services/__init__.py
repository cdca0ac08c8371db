"""Every write of the sessions app. One module per area; import from here."""

from sessions.services.aftercare import prints_arrived, prints_received  # noqa: F401, E402
from sessions.services.campaigns import (  # noqa: F401, E402
    campaign_copy_next,
    campaign_step,
    captures_exempt_already_photographed,
)
from sessions.services.captures import (  # noqa: F401
    TransitionResult,
    capture_arrive,
    capture_correct,
    capture_exempt,
    capture_mark_absent,
    capture_photograph,
    capture_receive_sheet,
    capture_scan,
    capture_send_offsite,
    capture_set_shooting_no,
    capture_undo,
    capture_verify_sheet,
)
from sessions.services.confirmation import (  # noqa: F401, E402
    ChsiResult,
    ConfirmationPreview,
    ConfirmationResult,
    IssueResult,
    chsi_record,
    confirmation_import_commit,
    confirmation_import_preview,
    exception_offsite,
    exception_recapture,
    exception_resolve,
)
from sessions.services.coordinators import (  # noqa: F401, E402
    CoordinatorEntry,
    coordinator_edit_refusal,
    coordinators_register,
)
from sessions.services.corrections import (  # noqa: F401, E402
    EXEMPT_REASONS,
    BulkResult,
    capture_exempt_listed,
    capture_exempt_undo,
    capture_set_attention,
    captures_bulk_apply,
    correction_request_create,
    correction_request_decide,
    exempt_reason,
)
from sessions.services.devices import (  # noqa: F401, E402
    device_create,
    device_pair,
    device_pairing_create,
    device_revoke,
)
from sessions.services.links import coordinator_link_rotate  # noqa: F401, E402
from sessions.services.makeup import (  # noqa: F401, E402
    makeup_move,
    makeup_move_refusal,
    makeup_session_create,
)
from sessions.services.roster import (  # noqa: F401, E402
    RosterPreview,
    RosterResult,
    roster_import_commit,
    roster_import_preview,
)
from sessions.services.scans import (  # noqa: F401, E402
    ScanAnswer,
    absentees_send_offsite,
    scan_record,
    scan_shooting_no,
    scan_time,
    scan_undo,
    session_close,
    shooting_no_correct,
)
from sessions.services.schedule import (  # noqa: F401, E402
    schedule_apply_proposal,
    schedule_move_unit,
    schedule_publish,
    schedule_remove_unit,
    schedule_set_times,
)
from sessions.services.walkins import walkin_record, walkin_resolve  # noqa: F401, E402
