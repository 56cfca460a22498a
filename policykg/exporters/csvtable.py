"""CSV: the responsibility table, one row per agency in a measure.

Header ``plan, measure, title, title_en, agency_id, agency, agency_en, role,
effective_role, position``; ``role`` is the raw role as written (牵头 / 负责 /
配合), ``effective_role`` lead or support.  UTF-8, CRLF line ends (RFC 4180);
``bom`` puts a UTF-8 byte order mark first, which Excel needs to read UTF-8.
"""
from __future__ import annotations

import csv
import io
from typing import BinaryIO

from ..model import Dataset
from . import Options
from ._table import RESPONSIBILITY_COLUMNS, responsibility_rows

BOM = "\ufeff"


def write(dataset: Dataset, stream: BinaryIO, options: Options) -> None:
    text = io.StringIO()
    if options.bom:
        text.write(BOM)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(RESPONSIBILITY_COLUMNS)
    writer.writerows(responsibility_rows(dataset))
    stream.write(text.getvalue().encode("utf-8"))
