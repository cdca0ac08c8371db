from django.utils.translation import gettext as _

from capture_portal.money import xlsx_money_format
from capture_portal.xlsx import Sheet, write_workbook

# "40 元", and "40.50 元" only when there are cents: the format is chosen per cell.
MONEY = xlsx_money_format
FLAGS = {"collection": "收取差额", "handover": "交接差额"}


def reconciliation_workbook(units, total):
    def rows():
        for m in [*units, total]:
            yield [
                m.unit.name if m.unit else "合计",
                m.photographed,
                m.paid,
                m.collected,
                m.expected,
                m.refunds_owed,
                m.handed_over,
                m.collection_difference,
                m.handover_difference,
                "、".join(FLAGS[f] for f in m.flags),
            ]

    headers = [
        "培养单位",
        "现场已采集",
        "已缴人数",
        "已收金额",
        "应交新华社",
        "应退金额",
        "已交新华社",
        "收取差额",
        "交接差额",
        "提示",
    ]
    money_columns = {i: MONEY for i in (3, 4, 5, 6, 7, 8)}
    return write_workbook(
        [
            Sheet(
                _("费用对账"),
                headers,
                rows(),
                number_formats=money_columns,
            )
        ]
    )
