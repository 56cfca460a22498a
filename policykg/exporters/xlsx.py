"""Excel workbook: what a supervision office circulates.

Sheet 任务分工表 (task division table): one row per measure with its number, task,
content, the agencies written as 牵头 / 负责 / 配合, its targets and deadlines.
Sheet 分工矩阵 (division matrix): measures × agencies, each cell the raw role
as written (牵头 bold).  Header rows are frozen, widths fit Chinese text (a CJK
character counts as two), long cells wrap.

The same data gives the same bytes: the workbook's created / modified dates are
the plan date, and every zip entry carries that date too (openpyxl's own
``save`` stamps the current time, so :class:`_StableZip` is used instead).
"""
from __future__ import annotations

import datetime as dt
import math
import zipfile
from typing import BinaryIO, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from ..model import Dataset, Measure
from ..render import display_width
from ..roles import LEAD, RESPONSIBLE, SUPPORT
from . import Options
from ._table import assignments, plan_measures, target_text

TASK_SHEET = "任务分工表"
MATRIX_SHEET = "分工矩阵"
#: Columns of the task sheet, with the widest each may grow (in Excel width units).
TASK_COLUMNS: tuple[tuple[str, int], ...] = (
    ("序号", 6), ("重点任务", 30), ("具体内容", 60), ("牵头单位", 24), ("负责单位", 24),
    ("配合单位", 24), ("目标任务", 36), ("完成时限", 16),
)
PLAN_COLUMN = ("文件", 24)          # added first when the dataset holds several plans
MATRIX_AGENCY_WIDTH = 10            # agency columns of the matrix; their names wrap
_EPOCH = dt.datetime(1980, 1, 1)    # the earliest date a zip entry can carry
_WRAP = Alignment(wrap_text=True, vertical="top")
_HEADER = Alignment(wrap_text=True, vertical="center", horizontal="center")
_BOLD = Font(bold=True)
_LINE_HEIGHT = 15                   # points per line of text in a row


def write(dataset: Dataset, stream: BinaryIO, options: Options) -> None:
    stamp = dt.datetime.combine(max(p.date for p in dataset.plans), dt.time()) if dataset.plans else _EPOCH
    workbook = build_workbook(dataset)
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.properties.creator = workbook.properties.lastModifiedBy = "policykg"
    if dataset.plans:
        workbook.properties.title = "；".join(p.title for p in dataset.plans)
    with _StableZip(stream, max(stamp, _EPOCH).timetuple()[:6]) as archive:
        ExcelWriter(workbook, archive).write_data()


def build_workbook(dataset: Dataset) -> Workbook:
    """The two sheets, filled from the model."""
    workbook = Workbook()
    tasks = workbook.active
    tasks.title = TASK_SHEET
    several = len(dataset.plans) > 1
    columns = ((PLAN_COLUMN,) if several else ()) + TASK_COLUMNS
    rows = [((plan.number,) if several else ()) + _task_row(dataset, measure)
            for plan, measure in plan_measures(dataset)]
    _fill(tasks, [c for c, _ in columns], rows, [w for _, w in columns], freeze="A2")

    matrix = workbook.create_sheet(MATRIX_SHEET)
    used = {a.agency for _, m in plan_measures(dataset) for a in m.assignments}
    agency_ids = [aid for aid in dataset.agencies if aid in used]
    agency_ids += sorted(used - set(agency_ids))  # ids the authority file lacks (hand-made data)
    lead = ["序号", "重点任务"]
    header = lead + [_agency_name(dataset, aid) for aid in agency_ids]
    if several:
        header.insert(0, PLAN_COLUMN[0])
    matrix_rows = []
    for plan, measure in plan_measures(dataset):
        roles = {a.agency: a.role for a in measure.assignments}
        row = ((plan.number,) if several else ()) + (measure.number, measure.title)
        matrix_rows.append(row + tuple(roles.get(aid, "") for aid in agency_ids))
    widths = ([PLAN_COLUMN[1]] if several else []) + [6, 30] + [MATRIX_AGENCY_WIDTH] * len(agency_ids)
    first_agency_column = len(header) - len(agency_ids) + 1
    _fill(matrix, header, matrix_rows, widths, freeze=f"{get_column_letter(first_agency_column)}2")
    for row in matrix.iter_rows(min_row=2, min_col=first_agency_column):
        for cell in row:
            cell.alignment = Alignment(horizontal="center", vertical="top")
            if cell.value == LEAD:
                cell.font = _BOLD
    return workbook


def _agency_name(dataset: Dataset, agency_id: str) -> str:
    agency = dataset.agencies.get(agency_id)
    return agency.name if agency else agency_id


def _task_row(dataset: Dataset, measure: Measure) -> tuple:
    def names(role: str) -> str:
        return "、".join(_agency_name(dataset, a.agency) for a in assignments(measure) if a.role == role)

    deadlines = sorted({t.deadline for t in measure.targets if t.deadline})
    return (measure.number, measure.title, measure.body, names(LEAD), names(RESPONSIBLE), names(SUPPORT),
            "\n".join(target_text(t) for t in measure.targets),
            "、".join(f"{d.year}年{d.month}月{d.day}日" for d in deadlines))


def _fill(sheet: Worksheet, header: Sequence[str], rows: Sequence[tuple], caps: Sequence[int],
          freeze: str) -> None:
    """Write header and rows, freeze the header, size columns to their text (CJK counts two), set up printing."""
    sheet.append(list(header))
    for row in rows:
        sheet.append(["" if v is None else v for v in row])
    widths = []
    for index, cap in enumerate(caps):
        texts = [str(header[index])] + [str(r[index]) for r in rows if r[index] not in (None, "")]
        widest = max(display_width(line) for text in texts for line in text.split("\n"))
        widths.append(min(widest, cap) + 2)
        sheet.column_dimensions[get_column_letter(index + 1)].width = widths[-1]
    for cell in sheet[1]:
        cell.font = _BOLD
        cell.alignment = _HEADER
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = _WRAP
    # Row heights: Excel does not grow a row for wrapped text written by a library.
    for number, values in enumerate([tuple(header)] + list(rows), 1):
        lines = max((_lines(str(v), widths[i] - 2) for i, v in enumerate(values) if v not in (None, "")),
                    default=1)
        if lines > 1:
            sheet.row_dimensions[number].height = lines * _LINE_HEIGHT
    sheet.freeze_panes = freeze
    sheet.auto_filter.ref = sheet.dimensions
    # Printed, as such tables are: landscape, one page wide, the header on every page.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def _lines(text: str, width: int) -> int:
    """Lines ``text`` takes in a column ``width`` units wide, wrapped."""
    return sum(max(1, math.ceil(display_width(line) / max(width, 1))) for line in text.split("\n"))


class _StableZip(zipfile.ZipFile):
    """A zip being written whose entries all carry one timestamp, so a workbook's bytes depend only on its content."""

    def __init__(self, file: BinaryIO, date_time: tuple[int, ...]):
        super().__init__(file, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._stamp = date_time

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=self._stamp)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl writes each worksheet through a temporary file, whose mtime would leak in
        with open(filename, "rb") as fh:
            self.writestr(arcname or filename, fh.read(), compress_type, compresslevel)
