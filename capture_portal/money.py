"""Amounts of money as the portal shows them: whole yuan without decimals ("20"), cents
only when there are some ("20.50"). Templates use the `money` filter
(capture_portal/templatetags/money.py); texts built in Python and the exports use these."""

from decimal import Decimal, InvalidOperation

# Excel number formats of the same rule, chosen per cell by xlsx_money_format.
XLSX_YUAN = '#,##0" 元"'
XLSX_YUAN_CENTS = '#,##0.00" 元"'


def _decimal(value):
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def format_money(value):
    """ "20" for 20.00, "20.50" for 20.5, "-5" for -5.00; "" for None; anything that is not
    a number comes back as text."""
    if value is None or value == "":
        return ""
    amount = _decimal(value)
    if amount is None or not amount.is_finite():
        return str(value)
    amount = amount.quantize(Decimal("0.01")) + 0  # + 0: -0.00 shows as 0
    if amount == amount.to_integral_value():
        return f"{amount:.0f}"
    return f"{amount:.2f}"


def xlsx_money_format(value):
    amount = _decimal(value)
    if amount is not None and amount.is_finite() and amount == amount.to_integral_value():
        return XLSX_YUAN
    return XLSX_YUAN_CENTS
