"""Reading uploaded .xlsx files (with the file-level refusals) and writing templates and exports.

Reading streams the worksheet XML out of the zip with the standard library's C XML parser
(xml.etree iterparse) instead of openpyxl's read-only mode, which without lxml builds an object
per cell and per shared string; on the benchmark's 100,000-person file the streamed reader takes
about half the time (figures in bench/README.md). It reads the same cells: shared and inline
strings, numbers, booleans and date-formatted numbers (via styles.xml).
Merged cells and formulas are found by a cheap regular-expression scan of the same XML before
anything is parsed (a text cell may legitimately start with "=", so the <f> element is what
counts). Templates and exports are written with openpyxl.
"""

import datetime as dt
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import iterparse

from django.conf import settings
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from tongxin.core.errors import DomainError

from .columns import (
    COLUMNS,
    HEADER_ALIASES,
    MEMBER_STATUS_LABELS,
    ORG_KIND_LABELS,
    ROLE_TAG_LABELS,
    SHEET_TITLES,
    Column,
)

INSTRUCTIONS_TITLE = "填写说明"
_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
_FORMULA_RE = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_REF_RE = re.compile(rb'<(?:\w+:)?c\s[^>]*?r="([A-Z]+\d+)"')
_CHUNK = 1 << 20
_TAIL = 1 << 16


class FileRefused(DomainError):
    """The whole file is refused (wrong format, columns, size...); nothing is read further."""

    def __init__(self, message: str):
        super().__init__(message, field="file", code="file_refused")


@dataclass
class Sheet:
    title: str
    xml_path: str


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def check_size(size: int) -> None:
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise FileRefused(f"文件大小为 {_mb(size)}，超过上限 {_mb(limit)}：请拆分成几个文件分别导入")
    if size == 0:
        raise FileRefused("文件是空的")


def _open_zip(path) -> zipfile.ZipFile:
    if not zipfile.is_zipfile(path):
        raise FileRefused("这不是 Excel .xlsx 文件：如果是 .xls、.csv 或 WPS 格式，请在 Excel 中“另存为” .xlsx 后再上传")
    zf = zipfile.ZipFile(path)
    if "xl/workbook.xml" not in zf.namelist():
        raise FileRefused("这不是 Excel .xlsx 文件（压缩包中没有工作簿）：请用 Excel 另存为 .xlsx 后再上传")
    return zf


def scan_sheet_xml(zf: zipfile.ZipFile, xml_path: str, *, limit: int = 5) -> tuple[list[str], list[str]]:
    """Merged ranges and formula cells of one worksheet, read as a stream (at most `limit` of each)."""
    merged: list[str] = []
    formulas: list[str] = []
    tail = b""
    last_ref = b""
    with zf.open(xml_path) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            buf = tail + chunk
            boundary = len(tail)
            for m in _MERGE_RE.finditer(buf):
                if m.end() > boundary and len(merged) < limit:
                    merged.append(m.group(1).decode())
            for m in _FORMULA_RE.finditer(buf):
                if m.end() <= boundary or len(formulas) >= limit:
                    continue
                refs = list(_CELL_REF_RE.finditer(buf, max(0, m.start() - 4096), m.start()))
                ref = refs[-1].group(1) if refs else last_ref
                formulas.append(ref.decode() or "?")
            refs = list(_CELL_REF_RE.finditer(buf, max(0, len(buf) - 4096)))
            if refs:
                last_ref = refs[-1].group(1)
            tail = buf[-_TAIL:]
            if len(merged) >= limit and len(formulas) >= limit:
                break
    return merged, formulas


def normalize_header(value) -> str:
    text = str(value or "").strip().replace("＊", "*").strip("*").strip()
    text = re.sub(r"[\s（(]*必填[)）]?$", "", text).strip()
    return HEADER_ALIASES.get(text, text)


def cell_text(value) -> str:
    """One cell as text; dates as YYYY-MM-DD, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return "#NUM:" + repr(value)  # a long number Excel kept as floating point (digits lost)
    return str(value)


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_COL_RE = re.compile(r"[A-Z]+")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text_of(el) -> str:
    """The text of a <si> or <is>: its <t> runs, leaving out phonetic (<rPh>) runs."""
    out = []
    for child in el:
        name = _local(child.tag)
        if name == "t":
            out.append(child.text or "")
        elif name == "r":
            for t in child:
                if _local(t.tag) == "t":
                    out.append(t.text or "")
    return "".join(out)


class XlsxBook:
    """The parts of an .xlsx needed to read one sheet's values."""

    def __init__(self, path):
        self.zf = _open_zip(path)
        names = set(self.zf.namelist())
        try:
            wb_root = _parse(self.zf, "xl/workbook.xml")
            rels = {r.get("Id"): r.get("Target") for r in _parse(self.zf, "xl/_rels/workbook.xml.rels").iter(f"{_PKG_REL}Relationship")}
        except Exception:
            raise FileRefused("无法读取这个 Excel 文件：文件可能已损坏或受密码保护，请用 Excel 打开后另存为 .xlsx 再上传") from None
        self.sheets: list[Sheet] = []
        for el in wb_root.iter(f"{_NS}sheet"):
            target = rels.get(el.get(f"{_REL_NS}id"), "")
            path_in_zip = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            if path_in_zip in names:
                self.sheets.append(Sheet(el.get("name", ""), path_in_zip))
        pr = wb_root.find(f"{_NS}workbookPr")
        self.epoch = CALENDAR_MAC_1904 if pr is not None and pr.get("date1904") in ("1", "true") else CALENDAR_WINDOWS_1900
        self._names = names
        self._strings: list[str] | None = None
        self._date_styles: set[int] | None = None

    @property
    def strings(self) -> list[str]:
        if self._strings is None:
            self._strings = []
            if "xl/sharedStrings.xml" in self._names:
                with self.zf.open("xl/sharedStrings.xml") as fh:
                    for _event, el in iterparse(fh):
                        if el.tag == f"{_NS}si":
                            self._strings.append(_text_of(el))
                            el.clear()
        return self._strings

    @property
    def date_styles(self) -> set[int]:
        """Indexes of cell formats that show a number as a date."""
        if self._date_styles is None:
            self._date_styles = set()
            if "xl/styles.xml" in self._names:
                root = _parse(self.zf, "xl/styles.xml")
                custom = {int(n.get("numFmtId")): n.get("formatCode", "") for n in root.iter(f"{_NS}numFmt")}
                xfs = root.find(f"{_NS}cellXfs")
                for idx, xf in enumerate(xfs if xfs is not None else []):
                    fmt_id = int(xf.get("numFmtId", "0"))
                    code = custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id, "")
                    if is_date_format(code) or 27 <= fmt_id <= 36 or 50 <= fmt_id <= 58:  # 27-36, 50-58: CJK date formats
                        self._date_styles.add(idx)
        return self._date_styles

    def rows(self, sheet: Sheet, *, min_row: int = 1, max_col: int | None = None) -> Iterator[tuple[int, list]]:
        """(row number, [values]) of the sheet, streamed; values are str, int/float, bool, datetime or None."""
        strings = self.strings
        date_styles = self.date_styles
        c_tag, v_tag, is_tag, row_tag = f"{_NS}c", f"{_NS}v", f"{_NS}is", f"{_NS}row"
        expected_row = 0
        with self.zf.open(sheet.xml_path) as fh:
            values: dict[int, object] = {}
            next_col = 1
            for _event, el in iterparse(fh):
                tag = el.tag
                if tag == c_tag:
                    ref = el.get("r")
                    col = column_index_from_string(_COL_RE.match(ref).group()) if ref else next_col
                    next_col = col + 1
                    if max_col and col > max_col:
                        continue
                    kind = el.get("t", "n")
                    if kind == "inlineStr":
                        inline = el.find(is_tag)
                        value = _text_of(inline) if inline is not None else ""
                    else:
                        raw = el.findtext(v_tag)
                        if raw is None:
                            value = None
                        elif kind == "s":
                            value = strings[int(raw)]
                        elif kind in ("str", "e"):
                            value = raw
                        elif kind == "b":
                            value = raw == "1"
                        else:
                            value = float(raw)
                            if value.is_integer() and abs(value) < 1e15:
                                value = int(value)
                            if int(el.get("s", "0")) in date_styles:
                                value = from_excel(value, self.epoch)
                    if value is not None and value != "":
                        values[col] = value
                elif tag == row_tag:
                    number = int(el.get("r") or expected_row + 1)
                    expected_row = number
                    if number >= min_row:
                        width = max_col or (max(values) if values else 0)
                        yield number, [values.get(i) for i in range(1, width + 1)]
                    values = {}
                    next_col = 1
                    el.clear()

    def close(self):
        self.zf.close()


def _parse(zf: zipfile.ZipFile, name: str):
    from xml.etree.ElementTree import parse

    with zf.open(name) as fh:
        return parse(fh).getroot()


@dataclass
class Upload:
    """An opened, checked upload: its columns, and an iterator over (row number, {key: text})."""

    kind: str
    columns: list[Column | None]
    estimated_rows: int
    book: XlsxBook
    sheet: Sheet

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        max_rows = settings.IMPORT_MAX_ROWS
        keys = [c.key if c else None for c in self.columns]
        width = len(keys)
        count = 0
        for number, values in self.book.rows(self.sheet, min_row=2, max_col=width):
            if not any(v is not None and v != "" for v in values):
                continue
            count += 1
            if count > max_rows:
                raise FileRefused(f"文件超过 {max_rows:,} 行数据的上限（第 {number} 行起超出）：请拆分成几个文件分别导入")
            yield number, {k: cell_text(v) for k, v in zip(keys, values, strict=False) if k}

    def close(self):
        self.book.close()


def _pick_sheet(book: XlsxBook, kind: str) -> Sheet:
    wanted = SHEET_TITLES[kind]
    for sheet in book.sheets:
        if sheet.title == wanted:
            return sheet
    for sheet in book.sheets:
        if sheet.title != INSTRUCTIONS_TITLE:
            return sheet
    raise FileRefused("文件中没有工作表")


_DIMENSION_RE = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*\d*:?[A-Z]+(\d+)"')


def _estimated_rows(zf: zipfile.ZipFile, sheet: Sheet) -> int:
    with zf.open(sheet.xml_path) as fh:
        head = fh.read(4096)
    m = _DIMENSION_RE.search(head)
    return max(0, int(m.group(1)) - 1) if m else 0


def open_upload(path, kind: str) -> Upload:
    """Open `path` as an import of `kind`; refuse the whole file with a clear message when it cannot be used."""
    book = XlsxBook(path)
    try:
        sheet = _pick_sheet(book, kind)
        merged, formulas = scan_sheet_xml(book.zf, sheet.xml_path)
        if merged:
            raise FileRefused(f"工作表“{sheet.title}”含有合并单元格（{'、'.join(merged)}）：请取消合并，每个单元格只填一个值")
        if formulas:
            raise FileRefused(f"工作表“{sheet.title}”的单元格 {'、'.join(formulas)} 含有公式：请把公式转换为数值"
                              "（复制后“选择性粘贴→数值”）再上传")
        max_rows = settings.IMPORT_MAX_ROWS
        estimated = _estimated_rows(book.zf, sheet)
        if estimated > max_rows * 2:  # the dimension counts blank rows too; the exact check is in Upload.rows()
            raise FileRefused(f"文件约有 {estimated:,} 行，超过 {max_rows:,} 行数据的上限：请拆分成几个文件分别导入")
        header_row = None
        for number, values in book.rows(sheet):
            header_row = values if number == 1 else None
            break
        if not header_row or not any(header_row):
            raise FileRefused(f"工作表“{sheet.title}”第 1 行没有表头：请使用下载的模板填写")
        columns = _match_columns(kind, header_row)
    except FileRefused:
        book.close()
        raise
    except Exception:
        book.close()
        raise FileRefused("无法读取这个 Excel 文件：文件可能已损坏，请用 Excel 打开后另存为 .xlsx 再上传") from None
    return Upload(kind=kind, columns=columns, estimated_rows=estimated, book=book, sheet=sheet)


def _match_columns(kind: str, header_row) -> list[Column | None]:
    by_header = {c.header: c for c in COLUMNS[kind]}
    # Trailing empty header cells are ignored; an empty header between columns is not.
    headers = list(header_row)
    while headers and (headers[-1] is None or str(headers[-1]).strip() == ""):
        headers.pop()
    out: list[Column | None] = []
    unknown, seen, doubled = [], set(), []
    for idx, raw in enumerate(headers, start=1):
        name = normalize_header(raw)
        if not name:
            unknown.append(f"第 {get_column_letter(idx)} 列（空表头）")
            out.append(None)
            continue
        col = by_header.get(name)
        if col is None:
            unknown.append(f"“{raw}”")
        elif col.key in seen:
            doubled.append(f"“{col.header}”")
        else:
            seen.add(col.key)
        out.append(col)
    missing = [f"“{c.header}”" for c in COLUMNS[kind] if c.required and c.key not in seen]
    problems = []
    if missing:
        problems.append(f"缺少必填列 {'、'.join(missing)}")
    if unknown:
        problems.append(f"无法识别的列 {'、'.join(unknown)}")
    if doubled:
        problems.append(f"列 {'、'.join(doubled)} 出现了不止一次")
    if problems:
        expected = "、".join(c.header for c in COLUMNS[kind])
        raise FileRefused("表头不符合模板：" + "；".join(problems) + f"。模板的列为：{expected}")
    return out


# --- writing ---------------------------------------------------------------------------------

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="B71C1C")


def build_template(kind: str) -> bytes:
    """The empty template: the data sheet with its Chinese header, and a sheet of instructions and an example."""
    columns = COLUMNS[kind]
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLES[kind]
    for idx, col in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=idx, value=col.header)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = col.width
        if col.key in ("phone", "id_number"):
            ws.column_dimensions[letter].number_format = "@"  # text, so Excel keeps all 18 digits
    ws.freeze_panes = "A2"
    lists = {"kind": list(ORG_KIND_LABELS.values()), "sex": ["男", "女"], "status": list(MEMBER_STATUS_LABELS.values())}
    for idx, col in enumerate(columns, start=1):
        if col.key in lists and not (kind == "people" and col.key == "kind"):
            values = ",".join(lists[col.key])
            dv = DataValidation(type="list", formula1=f'"{values}"', allow_blank=True)
            dv.error, dv.errorTitle = "请从下拉列表中选择", "取值无效"
            ws.add_data_validation(dv)
            dv.add(f"{get_column_letter(idx)}2:{get_column_letter(idx)}{settings.IMPORT_MAX_ROWS + 1}")

    info = wb.create_sheet(INSTRUCTIONS_TITLE)
    info.append(["列名", "是否必填", "说明", "示例"])
    for c in info[1]:
        c.font, c.fill = HEADER_FONT, HEADER_FILL
    for col in columns:
        info.append([col.header, "必填" if col.required else "选填", col.help, col.example])
    info.append([])
    info.append(["示例行（复制到“" + SHEET_TITLES[kind] + "”工作表第 2 行起填写，不要在本表填写数据）"])
    info.append([c.header for c in columns])
    info.append([c.example for c in columns])
    info.append([])
    if kind == "organizations":
        info.append(["组织类型可填："] + list(ORG_KIND_LABELS.values()))
    else:
        info.append(["角色标签可填："] + [v for k, v in ROLE_TAG_LABELS.items() if k not in _GRID_TAG_VALUES])
        info.append(["党员状态可填："] + list(MEMBER_STATUS_LABELS.values()))
    info.append(["注意：不要合并单元格、不要使用公式；手机号和身份证号请设为文本格式，以免 Excel 把身份证号改成科学计数法。"])
    info.column_dimensions["A"].width = 26
    info.column_dimensions["B"].width = 10
    info.column_dimensions["C"].width = 60
    info.column_dimensions["D"].width = 26
    for row in info.iter_rows(min_row=2):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_GRID_TAG_VALUES = {"grid_worker", "grid_head", "road_head", "lane_head", "building_head", "shop_head"}


def write_rows(title: str, headers: list[str], rows) -> bytes:
    """A streamed (write-only) workbook of one sheet."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
