"""Draft a plan file from the plain text of a Chinese government action plan.

The text comes from a printed page (DOMAIN.md, "Text artefacts"): sentences are
split by page breaks, full- and half-width punctuation are mixed and numbers carry
stray spaces.  :func:`extract_text` repairs the text first, then reads the
conventions of the genre -- 一、 sections, （一） subsections, 1. measures numbered
across sections, a responsibility bracket at the end of each measure, document
numbers 代字〔年〕N号 -- into a plain dict in the plan-file schema of
``docs/schema.md`` (keys ``plan``, ``documents``, ``sections``, ``measures``).

The result is a *draft* for a curator, so the extractor keeps and reports what it
cannot settle instead of guessing or dropping it:

- A bracket name the authority file does not know stays in its measure as
  ``{agency: null, name: <name as written>, role: <raw role>}`` and is listed in
  ``Extraction.unmatched``; an unknown issuer or task force likewise leaves the id
  ``null`` beside ``issuer_name`` / ``task_force_name``.  Without an authority file
  no name is looked up: every assignment has ``agency: null`` plus its ``name``.
- English titles are empty strings, sectors are left out, targets are a
  precision-first guess (``text`` quotes the plan's words).
- Roles stay raw (牵头 / 负责 / 配合); who leads is derived by ``policykg.roles``.

Ids are ASCII and deterministic (stable across runs):

- sections ``s<n>``, subsections ``s<n>-<m>`` with ``m`` the number as written
  (（八） under 四 is ``s4-8``);
- documents with a number: the pinyin initials of the 代字 from :data:`_INITIALS`,
  then year and serial (晋政办发〔2022〕35号 -> ``jzbf-2022-35``); a 代字 with a
  character outside the table gives ``doc-<year>-<n>-<sha1(代字)[:6]>``; a document
  cited by title only gives ``doc-<sha1(title)[:8]>``;
- the plan: ``<region pinyin>-<year>-<n>`` from the issuer's region and the plan's
  own number (``jincheng-2022-24``); the region comes from :data:`_REGION_PINYIN`,
  else from the initials table, else ``plan``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import yaml

from .errors import ExtractError
from .model import Agency
from .names import AgencyResolver
from .roles import LEAD, RESPONSIBLE, SUPPORT

__all__ = ["Extraction", "extract_text", "extract_file", "dump_yaml", "normalise_text", "normalise_line",
           "split_bracket", "find_targets"]

# --------------------------------------------------------------------------
# Character classes and text normalisation
# --------------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")

#: Invisible characters copy-paste leaves in text -- zero-width spaces and joiners,
#: soft hyphens, direction marks, stray control characters -- are dropped, so that
#: 市商\u200b务局 reads and matches as 市商务局.
_INVISIBLE = (*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0), 0xAD, *range(0x200B, 0x2010),
              *range(0x202A, 0x202F), *range(0x2060, 0x2065), *range(0x2066, 0x2070))
#: Full-width digits and letters (and ％ ＋) become ASCII; CJK punctuation stays.
_WIDTH = str.maketrans({
    **{chr(c): chr(c - 0xFEE0) for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B),
                                          *range(0xFF41, 0xFF5B))},
    "％": "%", "＋": "+",
    **{chr(c): None for c in _INVISIBLE},
})
_DIGIT_DOT = re.compile(r"(?<=\d)．(?=\d)")
_SPACE_RUN = re.compile(r"[ \t\u00a0\u3000\ufeff]+")
_LATIN_LEFT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?)%'\"")
_LATIN_RIGHT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789(\"'")
_NUMBER_LEFT = frozenset("0123456789.,:%-/")
_HALF_PUNCT = re.compile(r"[(),;:]")
_FULL_PUNCT = {"(": "（", ")": "）", ",": "，", ";": "；", ":": "："}
#: 晋政办发[2022]35号, 晋政办发［2022］35号, 晋政办发（2022）35号 -> 〔2022〕.
_DOCNO_BRACKETS = re.compile(rf"(?<=[{_CJK}])[\[［【（]\s*(\d{{4}})\s*[\]］】）](?=\s*\d+\s*号)")


def _space(m: re.Match) -> str:
    """Keep a space only between Latin words; drop it next to CJK and inside numbers."""
    s, i, j = m.string, m.start(), m.end()
    if i == 0 or j == len(s):
        return ""
    left, right = s[i - 1], s[j]
    if right.isdigit() and left in _NUMBER_LEFT:
        return ""                                   # 2: 2 -> 2:2, 1 800 -> 1800
    return " " if left in _LATIN_LEFT and right in _LATIN_RIGHT else ""


def _widen(line: str) -> str:
    """Half-width ( ) , ; : in Chinese text become full-width, except between
    ASCII letters or digits (ratios 2:2:4:2, 1,800 and Latin phrases keep theirs)."""
    def repl(m: re.Match) -> str:
        c, i = m.group(), m.start()
        if c in "()":
            return _FULL_PUNCT[c]
        prev = line[i - 1] if i else ""
        nxt = line[i + 1] if i + 1 < len(line) else ""
        if prev.isascii() and prev.isalnum() and nxt.isascii() and nxt.isalnum():
            return c
        return _FULL_PUNCT[c]
    return _HALF_PUNCT.sub(repl, line)


def normalise_line(line: str) -> str:
    """One line with width, spaces and document-number brackets normalised, invisible characters dropped."""
    line = _DIGIT_DOT.sub(".", line.translate(_WIDTH))
    line = _SPACE_RUN.sub(_space, line.strip(" \t\u00a0\u3000\ufeff\r\n"))
    if _HAS_CJK.search(line):
        line = _widen(line)
    return _DOCNO_BRACKETS.sub(r"〔\1〕", line)


def normalise_text(text: str) -> str:
    """The text with every line normalised (line structure kept, BOM dropped)."""
    return "\n".join(normalise_line(line) for line in text.lstrip("\ufeff").splitlines())


# --------------------------------------------------------------------------
# Structure: headings, measures, trailer
# --------------------------------------------------------------------------

_CN_NUMERAL = "一二三四五六七八九十"
#: A Chinese numeral 一 … 九十九: the only ones :func:`_cn_int` reads (十十一 is no number).
_CN_NUMBER = "(?:[二三四五六七八九]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_SECTION = re.compile(rf"^(?P<num>{_CN_NUMBER})、\s*(?P<rest>.+)$")
_SUBSECTION = re.compile(rf"^（(?P<num>{_CN_NUMBER})）\s*(?P<rest>.+)$")
#: 1. / 1． / 1、 at the start of a paragraph, not a decimal (1.5亿元) nor a year (2022年).
_MEASURE = re.compile(r"^(?P<num>\d{1,3})\s*[.．、](?!\d)\s*(?P<rest>.+)$")
_TRAILER = re.compile(r"^(?:抄送|抄报|附件)\s*[：:]")
#: A heading's own task force: 现代金融（金融业专班负责）.
_HEADING_TASK_FORCE = re.compile(r"^(?P<title>.+?)（(?P<tf>[^（）]+?)(?:负责|牵头)）$")
_SENTENCE_END = frozenset("。！？；：〕…")
_PROSE_MARKS = frozenset("，。、；：")


@dataclass
class _Para:
    """A logical paragraph after page-break repair; ``line`` is its first source line."""

    line: int
    text: str


def _is_heading(text: str) -> bool:
    return bool(_SECTION.match(text) or _SUBSECTION.match(text))


def _starts_block(text: str) -> bool:
    """A line that begins something new and never continues the previous paragraph."""
    return bool(_is_heading(text) or _MEASURE.match(text) or _TRAILER.match(text))


def _ends_sentence(text: str) -> bool:
    last = text[-1]
    if last in _SENTENCE_END:
        return True
    if last in "”’」』）" and len(text) > 1 and text[-2] in "。！？":
        return True
    return last == "）" and text.startswith("（")          # （此件公开发布）


def _continues(prev: str, line: str) -> bool:
    """Is ``line`` the rest of ``prev``, cut by a page break?

    Only running prose is joined (a measure, or text with Chinese commas or stops):
    headers, titles, signatures and dates also lack final punctuation but are
    complete lines."""
    if _ends_sentence(prev) or _is_heading(prev) or _starts_block(line):
        return False
    return bool(_MEASURE.match(prev)) or any(c in _PROSE_MARKS for c in prev)


def _join(prev: str, line: str) -> str:
    if prev[-1].isascii() and prev[-1].isalpha() and line[0].isascii() and line[0].isalpha():
        return f"{prev} {line}"
    return prev + line


def _paragraphs(text: str) -> list[_Para]:
    """Normalised paragraphs with page-break splits rejoined; blank lines dropped."""
    paras: list[_Para] = []
    for no, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        line = normalise_line(raw)
        if not line:
            continue
        if paras and _continues(paras[-1].text, line):
            paras[-1].text = _join(paras[-1].text, line)
        else:
            paras.append(_Para(no, line))
    return paras


_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}


def _cn_int(text: str) -> int:
    """一 … 九十九 as an int (section and subsection numbers, dates)."""
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return _CN_DIGITS[text]


# --------------------------------------------------------------------------
# Front matter: issuer, number, date, titles, preamble
# --------------------------------------------------------------------------

_DATE = re.compile(r"^(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?:印发)?$")
_CN_DATE = re.compile(rf"^(?P<y>[〇零○一二三四五六七八九]{{4}})年(?P<m>{_CN_NUMBER})月"
                      rf"(?P<d>{_CN_NUMBER})日(?:印发)?$")
_NOTICE_TITLE = re.compile(r"关于.+的通知$")
_PUBLISHED_TITLE = re.compile(r"关于印发《?(?P<title>.+?)》?的通知$")
_REGION = re.compile(r"^(?P<region>.+?(?:自治区|省|市|州|盟|县|区))")
_ISSUER_BEFORE_ABOUT = re.compile(r"^(?P<issuer>.+?)关于")


def _parse_date(text: str) -> dt.date | None:
    """2022年8月4日 or 二〇二二年八月四日 (optionally …印发) as a date."""
    if m := _DATE.match(text):
        y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
    elif m := _CN_DATE.match(text):
        y = int("".join(str(_CN_DIGITS[c]) for c in m["y"]))
        mo, d = _cn_int(m["m"]), _cn_int(m["d"])
    else:
        return None
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


def _is_prose(text: str) -> bool:
    return any(c in _PROSE_MARKS for c in text)


@dataclass
class _Front:
    """What the front matter says about the plan itself."""

    issuer: str | None = None
    number: str | None = None
    date: dt.date | None = None
    notice_title: str | None = None
    title: str | None = None
    preamble: list[_Para] = field(default_factory=list)


def _read_front(paras: list[_Para]) -> _Front:
    """Read the header block: X文件 / number / notice title / signature / date / title / preamble.

    Every field is optional, so a bare list of measures yields an empty _Front."""
    front = _Front()
    date_at = title_at = None
    for i, p in enumerate(paras):
        t = p.text
        if front.issuer is None and t.endswith("文件") and not _is_prose(t):
            front.issuer = t[:-2]
        elif front.number is None and (m := _DOCNO_FULL.match(t)):
            front.number = _format_number(m)
        elif front.notice_title is None and _NOTICE_TITLE.search(t) and not _is_prose(t):
            front.notice_title = t
        elif front.date is None and (d := _parse_date(t)):
            front.date, date_at = d, i
    if front.notice_title and (m := _PUBLISHED_TITLE.search(front.notice_title)):
        front.title = m["title"]
        title_at = next((i for i, p in enumerate(paras) if p.text == front.title), None)
    if front.issuer is None and date_at and not _is_prose(paras[date_at - 1].text):
        front.issuer = paras[date_at - 1].text              # the signature above the date
    if front.issuer is None and front.notice_title and (m := _ISSUER_BEFORE_ABOUT.match(front.notice_title)):
        front.issuer = m["issuer"]
    start = title_at if title_at is not None else date_at
    if start is None:
        start = -1 if any(_is_prose(p.text) for p in paras) else len(paras)
    front.preamble = [p for p in paras[start + 1:] if _is_prose(p.text)]
    if front.title is None:
        front.title = _standalone_title(paras, front)
    return front


def _standalone_title(paras: list[_Para], front: _Front) -> str | None:
    """The plan title where no notice names it: the last plain line before the preamble."""
    end = paras.index(front.preamble[0]) if front.preamble else len(paras)
    for p in reversed(paras[:end]):
        t = p.text
        if not (_is_prose(t) or _parse_date(t) or _DOCNO_FULL.match(t) or t.endswith("文件")
                or t[0] in _OPENERS or t == front.issuer):
            return t
    return None


# --------------------------------------------------------------------------
# Responsibility brackets
# --------------------------------------------------------------------------

_OPENERS = "〔（([［"
_CLOSERS = "〕）)]］"
_PAIR = {"〕": "〔", "）": "（", ")": "(", "]": "[", "］": "［"}
#: 牵头负责 reads as 牵头; otherwise the group's last word is the raw role.
_ROLE_SUFFIX = re.compile(rf"(?P<role>{LEAD}{RESPONSIBLE}|{LEAD}|{RESPONSIBLE}|{SUPPORT})$")
#: Suffixes a list can share: 泽州县、高平市人民政府.
_SHARED_SUFFIXES = ("人民政府", "政府")
#: A bare place name that can take a shared suffix (泽州县, 高平市, 城区).
_PLACE = re.compile(r"(?:县|市|区|旗|州|盟|镇|乡)$")


def _split_top(text: str, seps: str) -> list[str]:
    """Split at ``seps`` outside any parentheses (各县（市、区）人民政府 stays whole)."""
    parts, depth, cur = [], 0, []
    for c in text:
        if c in _OPENERS:
            depth += 1
        elif c in _CLOSERS:
            depth = max(0, depth - 1)
        if c in seps and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _distribute_suffix(names: list[str], known: Callable[[str], bool] | None) -> list[str]:
    """泽州县、高平市、阳城县人民政府 -> each county with 人民政府.

    A bare name takes the suffix only if it is a place name; with an authority
    file, a bare name it knows (开发区) keeps its own form unless the suffixed
    form is known too."""
    last = names[-1]
    suffix = next((s for s in _SHARED_SUFFIXES if last.endswith(s) and last != s), None)
    if suffix is None or len(names) < 2:
        return names
    out = []
    for name in names[:-1]:
        joined = name + suffix
        if name.endswith(suffix) or not _PLACE.search(name):
            out.append(name)
        elif known is not None and known(name) and not known(joined):
            out.append(name)
        else:
            out.append(joined)
    return [*out, last]


def split_bracket(bracket: str, known: Callable[[str], bool] | None = None) -> list[tuple[str, str | None]]:
    """(name, raw role) pairs of a responsibility bracket, in document order.

    Groups split at ，/, and names at 、 (outside parentheses); a group's last word
    gives the role of all its names, a group without one takes the next group's,
    and a shared 人民政府 is distributed over a list of places.  A role that no
    group supplies is None.  ``known(name)`` tells whether the authority file
    knows a name (see :func:`_distribute_suffix`)."""
    groups: list[tuple[str, str | None]] = []
    for group in _split_top(bracket, "，,"):
        m = _ROLE_SUFFIX.search(group)
        role = None if m is None else (LEAD if m["role"].startswith(LEAD) else m["role"])
        groups.append((group[:m.start()] if m else group, role))
    filled: list[tuple[str, str | None]] = []
    following: str | None = None
    for names, role in reversed(groups):
        following = role or following
        filled.append((names, following))
    out: list[tuple[str, str | None]] = []
    for names, role in reversed(filled):
        parts = _split_top(names, "、")
        if parts:
            out.extend((n, role) for n in _distribute_suffix(parts, known))
    return out


def _tail_bracket(text: str) -> tuple[str, str | None]:
    """(text before, bracket content) if ``text`` ends in a responsibility bracket.

    The bracket is the last balanced 〔…〕 / （…） / (…) group, possibly followed
    by a stray 。, whose content ends in a role word; parentheses inside it
    (各县（市、区）) are balanced, not mistaken for its start."""
    core = text.rstrip().rstrip("。；;.")
    if not core or core[-1] not in _PAIR:
        return text.strip(), None
    depth = 0
    for i in range(len(core) - 1, -1, -1):
        c = core[i]
        if c in _CLOSERS:
            depth += 1
        elif c in _OPENERS:
            depth -= 1
            if depth == 0:
                break
    else:
        return text.strip(), None
    content = core[i + 1:-1].strip()
    if core[i] != _PAIR[core[-1]] or "。" in content or not _ROLE_SUFFIX.search(content):
        return text.strip(), None
    return core[:i].strip(), content


# --------------------------------------------------------------------------
# Referenced documents
# --------------------------------------------------------------------------

_DOCNO = re.compile(rf"(?P<code>[{_CJK}]{{1,8}})\s*〔\s*(?P<year>\d{{4}})\s*〕\s*(?P<seq>\d+)\s*号")
_DOCNO_FULL = re.compile(rf"^{_DOCNO.pattern}$")
_TITLED = re.compile(r"《(?P<title>[^《》]+)》(?:（(?P<paren>[^（）]{2,40})）)?")
#: Words that can precede a bare number and are not part of its 代字.
_CODE_LEAD = re.compile(r"^.*(?:根据|依据|按照|贯彻落实|落实|执行|参照|印发|转发|和|及|与|的|见|按)")
_BASIS_WORDS = re.compile(r"根据|依据|按照")

#: Pinyin initials of characters common in 发文机关代字 (deterministic document ids).
_INITIALS_BY_LETTER = {
    "a": "安",
    "b": "办部保标编并北兵",
    "c": "财产城川传长草厂处程",
    "d": "党电滇大地道",
    "e": "鄂",
    "f": "发府法房防复妇分",
    "g": "改国工管规公共贵桂甘广港",
    "h": "函环划海合沪黑湖河会华",
    "j": "晋金经济教健交技建局监吉京津冀纪军检价",
    "k": "科",
    "l": "旅劳林利联陇辽鲁临吕梁令粮",
    "m": "民贸蒙闽明",
    "n": "农能宁",
    "p": "批",
    "q": "区全权青琼黔企侨气",
    "r": "人融然",
    "s": "市省社商税审司水署室苏陕蜀生食山事输",
    "t": "厅统体通太铁",
    "w": "委卫文外网务皖",
    "x": "信行新湘乡险宣学消",
    "y": "银运源业育药医应油豫粤渝云渔邮",
    "z": "政字总资综组质准证知中治住自浙藏执",
}
_INITIALS = {c: letter for letter, chars in _INITIALS_BY_LETTER.items() for c in chars}

#: Region names with their pinyin, for the plan id.
_REGION_PINYIN = {
    "山西": "shanxi", "晋城": "jincheng", "太原": "taiyuan", "大同": "datong", "阳泉": "yangquan",
    "长治": "changzhi", "晋中": "jinzhong", "朔州": "shuozhou", "忻州": "xinzhou", "临汾": "linfen",
    "运城": "yuncheng", "吕梁": "lvliang", "泽州": "zezhou", "高平": "gaoping", "阳城": "yangcheng",
    "陵川": "lingchuan", "沁水": "qinshui", "城区": "chengqu",
}
_PROVINCE_ABBR = frozenset("京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川蜀黔贵云滇藏陕秦甘陇青宁新")
_NATIONAL_CODES = ("国", "中", "发改", "财", "工信", "商", "人社", "教", "科", "民", "交", "农",
                   "文旅", "卫", "建", "自然资源", "环", "银", "税", "署")
_NATIONAL_TITLE = re.compile(r"^(?:国务院|国家|全国|中共中央)")
_REGION_TITLE = re.compile("^(?P<name>" + "|".join(_REGION_PINYIN) + r")(?P<kind>省|市|县)")
_TITLE_ISSUER = re.compile(r"^(?P<issuer>.+?(?:人民政府办公厅|人民政府办公室|人民政府|办公厅|办公室|委员会))关于")
_LEVEL_WORDS = {"省": "provincial", "市": "municipal", "县": "county"}


def _format_number(m: re.Match) -> str:
    return f"{m['code']}〔{m['year']}〕{m['seq']}号"


@dataclass
class _Ref:
    """One mention of a document in a paragraph: a 《title》, a number, or both."""

    start: int
    end: int
    title: str | None
    number: str | None
    code: str | None = None
    year: int | None = None
    seq: str | None = None


def _number_ref(m: re.Match, start: int, end: int, title: str | None = None) -> _Ref | None:
    code = _CODE_LEAD.sub("", m["code"])
    if not code:
        return None
    return _Ref(start, end, title, f"{code}〔{m['year']}〕{m['seq']}号", code, int(m["year"]), m["seq"])


def _find_refs(text: str) -> list[_Ref]:
    """Document mentions in text order; 《title》（number） counts as one."""
    refs: list[_Ref] = []
    taken: list[tuple[int, int]] = []
    for m in _TITLED.finditer(text):
        num = _DOCNO_FULL.match(m["paren"]) if m["paren"] else None
        end = m.end() if num else m.end("title") + 1
        ref = _number_ref(num, m.start(), end, m["title"]) if num else None
        refs.append(ref or _Ref(m.start(), end, m["title"], None))
        taken.append((m.start(), end))
    for m in _DOCNO.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        if ref := _number_ref(m, m.start(), m.end()):
            refs.append(ref)
    return sorted(refs, key=lambda r: r.start)


def _span_back(text: str, pos: int, stops: str) -> int:
    return max(text.rfind(c, 0, pos) for c in stops) + 1


def _span_forward(text: str, pos: int, stops: str) -> int:
    hits = [i for i in (text.find(c, pos) for c in stops) if i >= 0]
    return min(hits) if hits else len(text)


def _relation(text: str, ref: _Ref, in_preamble: bool) -> str:
    """based_on (根据…精神) / repeals (…同时废止) in a preamble; implements where the
    sentence says 落实 before the reference; cites otherwise."""
    if in_preamble:
        if "废止" in text[ref.end:_span_forward(text, ref.end, "，。；")]:
            return "repeals"
        if _BASIS_WORDS.search(text[_span_back(text, ref.start, "，。；"):ref.start]):
            return "based_on"
        return "cites"
    return "implements" if "落实" in text[_span_back(text, ref.start, "。；！？"):ref.start] else "cites"


def _code_initials(code: str) -> str | None:
    letters = [_INITIALS.get(c) for c in code]
    return None if None in letters else "".join(letters)  # type: ignore[arg-type]


def _short_hash(text: str, n: int) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:n]


def _document_id(ref: _Ref) -> str:
    if ref.code is None:
        return f"doc-{_short_hash(ref.title or '', 8)}"
    initials = _code_initials(ref.code)
    if initials is None:
        return f"doc-{ref.year}-{ref.seq}-{_short_hash(ref.code, 6)}"
    return f"{initials}-{ref.year}-{ref.seq}"


def _level_from_code(code: str) -> str | None:
    if code[0] in _PROVINCE_ABBR:
        return "municipal" if code[1:2] == "市" else "provincial"
    return "national" if code.startswith(_NATIONAL_CODES) else None


def _level_from_title(title: str) -> str | None:
    if _NATIONAL_TITLE.match(title):
        return "national"
    m = _REGION_TITLE.match(title)
    return _LEVEL_WORDS[m["kind"]] if m else None


class _Registry:
    """The documents a plan references, keyed by number (else title), in first-mention order."""

    def __init__(self, refs: Iterable[_Ref]):
        refs = list(refs)
        #: a title seen once with its number lends the number to its bare mentions
        self._number_of = {r.title: r for r in refs if r.title and r.number}
        self._docs: dict[str, dict[str, Any]] = {}
        self._id_of: dict[str, str] = {}
        for r in refs:
            self.id_of(r)

    def _key(self, ref: _Ref) -> tuple[str, _Ref]:
        full = ref if ref.number else self._number_of.get(ref.title or "", ref)
        return (full.number or f"title:{ref.title}"), full

    def id_of(self, ref: _Ref) -> str:
        key, full = self._key(ref)
        if key not in self._id_of:
            did = _document_id(full)
            if did in self._docs:                    # two 代字 with the same initials
                did = f"{did}-{_short_hash(key, 4)}"
            self._id_of[key] = did
            self._docs[did] = {"id": did, "number": full.number, "title": full.title, "title_en": "",
                               "_code": full.code, "_year": full.year}
        doc = self._docs[self._id_of[key]]
        if doc["title"] is None and ref.title:
            doc["title"] = ref.title
        return self._id_of[key]

    def documents(self, warnings: list[str]) -> list[dict[str, Any]]:
        """The registry entries, with issuer, level, year and a note on inconsistencies.

        Level comes from the title where it names a jurisdiction (山西省…), else from
        the 代字; where the two disagree the number is kept as written and noted."""
        out = []
        for d in self._docs.values():
            doc = {k: d[k] for k in ("id", "number", "title", "title_en")}
            title, code = d["title"], d["_code"]
            if title and (m := _TITLE_ISSUER.match(title)):
                doc["issuer"] = m["issuer"]
            by_code = _level_from_code(code) if code else None
            by_title = _level_from_title(title) if title else None
            if by_title or by_code:
                doc["level"] = by_title or by_code
            if d["_year"]:
                doc["year"] = d["_year"]
            if by_code and by_title and by_code != by_title:
                doc["note"] = (f"the title reads as a {by_title} document but the number "
                               f"{doc['number']} looks {by_code}; recorded as written, level by "
                               "the title: check the source")
                warnings.append(f"document {doc['id']}: {doc['note']}")
            out.append(doc)
        return out


# --------------------------------------------------------------------------
# Quantitative targets
# --------------------------------------------------------------------------

_UNITS = "个百分点|平方米|公里|千米|人次|家次|个|家|项|户|亩|人|次|所|座|条|处|名|场|元|辆|套|台|吨|张|栋|批|件|例|床|%"
_TIME_UNITS = "个月|个工作日|工作日|小时|天|周"
_TIME_UNIT_SET = frozenset(_TIME_UNITS.split("|"))
#: At most 15 digits a side: no target is larger, and int() refuses numbers of thousands of digits.
_QTY = re.compile(
    r"(?<![\d.:：A-Za-z第])(?P<a>\d{1,15}(?:\.\d{1,15})?)(?:[-－—–~～至](?P<b>\d{1,15}(?:\.\d{1,15})?))?"
    r"(?P<more1>余|多)?(?P<mult>[万亿千])?(?P<more2>余|多)?"
    rf"(?P<unit>{_TIME_UNITS}|{_UNITS})(?P<post>以上|以下|以内|左右)?")
_QTY_VERB = re.compile(r"(?P<verb>由|从|降至|降到|降低至|压减至|压减到|缩短至|缩短到|压缩至|压缩到|控制在"
                       r"|不少于|不低于|不超过|不高于|超过|突破|达到|达)$")
_BASELINE_VERBS = frozenset({"由", "从"})
_CEILING_VERBS = frozenset({"降至", "降到", "降低至", "压减至", "压减到", "缩短至", "缩短到", "压缩至", "压缩到",
                            "控制在", "不超过", "不高于"})
_FLOOR_VERBS = frozenset({"不少于", "不低于"})
_ABOVE_VERBS = frozenset({"超过", "突破"})
#: Amounts paid out (10万元奖励) are not deliverables.
_NOT_TARGET_AFTER = re.compile(r"^(?:的)?(?:奖励|补贴|补助|资助|奖补)")
#: 实现全市农村寄递物流服务全覆盖: full coverage, read as 100%.
_FULL_COVERAGE = re.compile(r"实现(?P<what>[^，。；、]+?)全覆盖")
_DEADLINE = re.compile(r"(?P<y>\d{4})年(?:底|末)|年底|年末|全年")
_YEAR_OPENING = re.compile(r"^(?P<y>\d{4})年，")
_TIME_WORDS = re.compile(r"到?\d{4}年(?:底|末)前?|年底前?|年末|全年")
_LEAD_FILLER = re.compile(r"^(?:、|到?\d{4}年|力争|争取|确保|逐步|将|把)+")
_TRAIL_FILLER = re.compile(r"(?:达到|达|为|至|力争|争取)+$")


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def _deadline(sentence: str, plan_year: int | None) -> dt.date | None:
    """31 December of the year a sentence names by 2022年底 / 年底前 / 全年 / 2022年末,
    or opens with (2022年，…); None where it names no deadline."""
    m = _DEADLINE.search(sentence) or _YEAR_OPENING.match(sentence)
    if m is None:
        return None
    year = int(m["y"]) if m.groupdict().get("y") else plan_year
    return dt.date(year, 12, 31) if year else None


@dataclass
class _Qty:
    start: int            # including a verb such as 达到 or 由
    end: int
    target: dict[str, Any] | None   # None for a baseline (由36个月) or a non-target


def _read_qty(text: str, m: re.Match) -> _Qty:
    verb_m = _QTY_VERB.search(text[max(0, m.start() - 3):m.start()])
    verb = verb_m["verb"] if verb_m else ""
    start = m.start() - len(verb)
    time_unit = m["unit"] in _TIME_UNIT_SET
    if (verb in _BASELINE_VERBS or (time_unit and verb not in _CEILING_VERBS)
            or _NOT_TARGET_AFTER.match(text[m.end():])):
        return _Qty(start, m.end(), None)
    target: dict[str, Any] = {}
    if m["b"]:
        target.update(comparator="range", min=_number(m["a"]), max=_number(m["b"]))
    else:
        if m["post"] == "以上" or verb in _FLOOR_VERBS:
            comparator = "ge"
        elif m["post"] in ("以下", "以内") or verb in _CEILING_VERBS:
            comparator = "le"
        elif m["more1"] or m["more2"] or verb in _ABOVE_VERBS:
            comparator = "gt"
        elif m["post"] == "左右":
            comparator = "approx"
        else:
            comparator = "eq"
        target.update(comparator=comparator, value=_number(m["a"]))
    target["unit"] = (m["mult"] or "") + m["unit"]
    return _Qty(start, m.end(), target)


def _clause_targets(clause: str, deadline: dt.date | None) -> list[dict[str, Any]]:
    """Targets in one clause; each quantity's indicator is the words around it."""
    qtys = [_read_qty(clause, m) for m in _QTY.finditer(clause)]
    out, seg_start = [], 0
    for k, q in enumerate(qtys):
        if q.target is None:
            continue
        later = [p.start for p in qtys[k + 1:] if p.target is not None]
        seg_end = _segment_end(clause, q.end, later[0] if later else None)
        segment = clause[seg_start:seg_end]
        words = _without_spans(clause, seg_start, seg_end, [(p.start, p.end) for p in qtys])
        words = _LEAD_FILLER.sub("", _TIME_WORDS.sub("", words))
        indicator = _TRAIL_FILLER.sub("", words).strip("、 ")
        target = {"indicator": indicator, "indicator_en": "", **q.target}
        if deadline:
            target["deadline"] = deadline
        target["text"] = segment.strip("、 ")
        out.append(target)
        seg_start = q.end
    return out


def _segment_end(clause: str, end: int, next_start: int | None) -> int:
    """Where a quantity's words stop: at the 、 before the next quantity
    (培育家庭农场12家以上、示范县1个), else at the next quantity or the clause end."""
    if next_start is None:
        return len(clause)
    cut = clause.find("、", end, next_start)
    return cut if cut >= 0 else next_start


def _without_spans(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """text[start:end] with the quantity spans cut out."""
    keep = [c for i, c in enumerate(text[start:end], start) if not any(a <= i < b for a, b in spans)]
    return "".join(keep)


def find_targets(text: str, plan_year: int | None) -> list[dict[str, Any]]:
    """Draft targets of a measure or paragraph: number + unit with a comparator,
    dated where the sentence names a deadline.  Precision first: ratios (2:2:4:2),
    ages (3岁以下), ordinals (第3批), baselines (由36个月), durations without a
    reduction verb and amounts paid out (10万元奖励) are skipped."""
    targets = []
    for sentence in re.split(r"(?<=[。！？；])", text):
        if not sentence.strip():
            continue
        deadline = _deadline(sentence, plan_year)
        for clause in re.split(r"[，。；！？：]", sentence):
            targets.extend(_clause_targets(clause, deadline))
            targets.extend(_coverage_targets(clause, deadline))
    return targets


def _coverage_targets(clause: str, deadline: dt.date | None) -> list[dict[str, Any]]:
    """实现…全覆盖 as a 100% coverage target."""
    out = []
    for m in _FULL_COVERAGE.finditer(clause):
        target = {"indicator": f"{m['what']}覆盖率", "indicator_en": "", "comparator": "eq",
                  "value": 100, "unit": "%"}
        if deadline:
            target["deadline"] = deadline
        target["text"] = clause.strip()
        out.append(target)
    return out


# --------------------------------------------------------------------------
# Body: sections and measures
# --------------------------------------------------------------------------

@dataclass
class _MeasureText:
    number: int
    section: str | None
    line: int
    parts: list[str]

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class _Body:
    sections: list[dict[str, Any]] = field(default_factory=list)
    measures: list[_MeasureText] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)   # section text outside measures


def _cut_trailer(paras: list[_Para]) -> list[_Para]:
    """Paragraphs before 抄送 / 附件 or the closing signature and 印发 date."""
    for i, p in enumerate(paras):
        if _TRAILER.match(p.text):
            return paras[:i]
        if p.text.endswith("印发") and _parse_date(p.text):
            return paras[:i - 1 if i and _is_signature(paras[i - 1].text) else i]
    return paras


def _is_signature(text: str) -> bool:
    """An issuing office's name on its own line (not prose, a measure or a bracket)."""
    return not (_is_prose(text) or _MEASURE.match(text) or text[0] in _OPENERS)


def _heading(rest: str) -> tuple[str, str | None]:
    """(title, task force name) of a heading; the task force is the （…负责） at its end."""
    m = _HEADING_TASK_FORCE.match(rest)
    return (m["title"].strip(), m["tf"].strip()) if m else (rest.strip(), None)


def _read_body(paras: list[_Para], warnings: list[str]) -> _Body:
    """Sections, subsections and measures in document order.

    A paragraph that starts no block belongs to the open measure while that
    measure has not yet shown its bracket (a bracket pushed to the next page),
    else to the section's own prose."""
    body = _Body()
    section = subsection = None
    open_measure: _MeasureText | None = None
    expected = 1
    for p in paras:
        if m := _SECTION.match(p.text):
            title, tf = _heading(m["rest"])
            section, subsection, open_measure = f"s{_cn_int(m['num'])}", None, None
            body.sections.append({"id": section, "number": m["num"], "title": title, "task_force": tf})
        elif m := _SUBSECTION.match(p.text):
            title, tf = _heading(m["rest"])
            n = _cn_int(m["num"])
            subsection = f"{section}-{n}" if section else f"s0-{n}"    # s0-: no section yet
            open_measure = None
            body.sections.append({"id": subsection, "number": m["num"], "parent": section,
                                  "title": title, "task_force": tf})
        elif (m := _MEASURE.match(p.text)) and int(m["num"]) >= expected:
            n = int(m["num"])
            if n != expected:
                warnings.append(f"measure {n}: numbering jumps from {expected - 1} to {n}")
            open_measure = _MeasureText(n, subsection or section, p.line, [m["rest"]])
            body.measures.append(open_measure)
            expected = n + 1
        elif open_measure is not None and _tail_bracket(open_measure.text)[1] is None:
            open_measure.parts.append(p.text)
        else:
            if open_measure is not None:
                warnings.append(f"line {p.line}: text after measure {open_measure.number}'s bracket "
                                "read as section text")
            body.prose.append(p.text)
    return body


# --------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------

@dataclass
class Extraction:
    """A draft plan (a plain dict in the plan-file schema) and what needs a curator.

    ``unmatched``: (measure number, name as written) for each bracket name the
    authority file does not know; those names stay in the draft with
    ``agency: null``.  ``warnings``: everything else worth a look."""

    draft: dict[str, Any]
    unmatched: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _Names:
    """Agency lookups through ``policykg.names``; without an authority file, none."""

    def __init__(self, agencies: Mapping[str, Agency] | None):
        self._resolver = AgencyResolver.from_agencies(agencies) if agencies is not None else None

    @property
    def active(self) -> bool:
        return self._resolver is not None

    def id(self, name: str) -> str | None:
        return self._resolver.exact(name) if self._resolver else None

    def known(self, name: str) -> bool:
        return self.id(name) is not None


def _region_slug(region: str | None) -> str:
    if not region:
        return "plan"
    for name in (region, region[:-1], region[:-3]):
        if name in _REGION_PINYIN:
            return _REGION_PINYIN[name]
    return _code_initials(region) or "plan"


def _plan_id(front: _Front, region: str | None, source: str) -> str:
    m = _DOCNO_FULL.match(front.number) if front.number else None
    if m:
        return f"{_region_slug(region)}-{m['year']}-{m['seq']}"
    if front.date:
        return f"{_region_slug(region)}-{front.date.year}"
    return f"draft-{_short_hash(source, 8)}"


@dataclass
class _Context:
    """What assembling the draft needs everywhere, and where its findings go."""

    names: _Names
    front: _Front
    plan_year: int | None
    warnings: list[str] = field(default_factory=list)
    unmatched: list[tuple[int, str]] = field(default_factory=list)

    def resolved(self, value: str | None, key: str, what: str) -> dict[str, Any]:
        """``{key: id}``, or ``{key: None, <key>_name: name}`` with a warning."""
        if value is None:
            return {key: None}
        if aid := self.names.id(value):
            return {key: aid}
        if self.names.active:
            self.warnings.append(f"{what} {value!r} is not in the authority file")
        return {key: None, f"{key}_name": value}

    def own_refs(self, text: str) -> list[_Ref]:
        """Document mentions in ``text``, without the plan's own title or number."""
        return [r for r in _find_refs(text) if not (r.title and r.title == self.front.title)
                and not (r.number and r.number == self.front.number)]


@dataclass
class _Piece:
    """A paragraph or measure text with the document mentions in it."""

    text: str
    refs: list[_Ref]


def _links(piece: _Piece, registry: _Registry, in_preamble: bool) -> list[tuple[str, str]]:
    """(document id, relation) for each document mentioned, first relation per document."""
    seen: dict[str, str] = {}
    for r in piece.refs:
        seen.setdefault(registry.id_of(r), _relation(piece.text, r, in_preamble))
    return list(seen.items())


def _plan_dict(ctx: _Context, preamble: list[_Piece], prose: list[_Piece],
               registry: _Registry, source_name: str) -> dict[str, Any]:
    front = ctx.front
    region_m = _REGION.match(front.issuer) if front.issuer else None
    region = region_m["region"] if region_m else None
    relations: dict[str, list[str]] = {"based_on": [], "repeals": [], "cites": []}
    for piece in preamble:
        for did, rel in _links(piece, registry, in_preamble=True):
            relations[rel].append(did)
    for piece in prose:
        relations["cites"].extend(did for did, _ in _links(piece, registry, in_preamble=False))
    plan = {"id": _plan_id(front, region, source_name), "number": front.number, "title": front.title,
            "title_en": "", "notice_title": front.notice_title,
            **ctx.resolved(front.issuer, "issuer", "issuer"),
            "date": front.date, "region": region}
    plan.update({k: list(dict.fromkeys(v)) for k, v in relations.items()})
    plan["targets"] = [t for piece in prose for t in find_targets(piece.text, ctx.plan_year)]
    return plan


def _section_dict(ctx: _Context, s: dict[str, Any]) -> dict[str, Any]:
    entry = {"id": s["id"], "number": s["number"]}
    if s.get("parent"):
        entry["parent"] = s["parent"]
    entry.update(title=s["title"], title_en="")
    if s["task_force"]:
        entry.update(ctx.resolved(s["task_force"], "task_force", f"section {s['id']}: task force"))
    return entry


def _assignments(ctx: _Context, number: int, bracket: str) -> list[dict[str, Any]]:
    """Bracket entries in order; names the authority file lacks stay, with agency None."""
    known = ctx.names.known if ctx.names.active else None
    out = []
    for name, role in split_bracket(bracket, known):
        if role is None:
            ctx.warnings.append(f"measure {number}: no role (牵头/负责/配合) for {name!r}")
        if aid := ctx.names.id(name):
            out.append({"agency": aid, "role": role})
            continue
        if ctx.names.active:
            ctx.unmatched.append((number, name))
        out.append({"agency": None, "name": name, "role": role})
    return out


def _measure_dict(ctx: _Context, mt: _MeasureText, piece: _Piece, bracket: str | None,
                  registry: _Registry) -> dict[str, Any]:
    title, _, rest = piece.text.partition("。")
    if bracket is None:
        ctx.warnings.append(f"measure {mt.number}: no responsibility bracket")
    return {
        "number": mt.number, "section": mt.section, "title": title.strip(), "title_en": "",
        "body": rest.strip(), "bracket": bracket,
        "agencies": _assignments(ctx, mt.number, bracket) if bracket else [],
        "documents": [{"document": d, "relation": r}
                      for d, r in _links(piece, registry, in_preamble=False)],
        "targets": find_targets(piece.text, ctx.plan_year),
    }


def _plan_year(front: _Front) -> int | None:
    if front.number and (m := _DOCNO_FULL.match(front.number)):
        return int(m["year"])
    return front.date.year if front.date else None


def extract_text(text: str, agencies: Mapping[str, Agency] | None = None,
                 source_name: str = "<text>") -> Extraction:
    """Read a plain-text action plan into a draft plan dict; see the module docstring.

    Raises ExtractError if no numbered measure is recognised."""
    paras = _paragraphs(text)
    first = next((i for i, p in enumerate(paras) if _is_heading(p.text) or _MEASURE.match(p.text)),
                 len(paras))
    front = _read_front(paras[:first])
    ctx = _Context(_Names(agencies), front, _plan_year(front))
    if not ctx.names.active:
        ctx.warnings.append("no authority file given: agency names kept as written (agency: null)")
    body = _read_body(_cut_trailer(paras[first:]), ctx.warnings)
    if not body.measures:
        raise ExtractError(f"{source_name}: no numbered measure (1. …) recognised")

    measures = []
    for mt in body.measures:
        main, bracket = _tail_bracket(mt.text)
        measures.append((mt, _Piece(main, ctx.own_refs(main)), bracket))
    preamble = [_Piece(p.text, ctx.own_refs(p.text)) for p in front.preamble]
    prose = [_Piece(t, ctx.own_refs(t)) for t in body.prose]
    registry = _Registry([r for piece in preamble + prose for r in piece.refs]
                         + [r for _, piece, _ in measures for r in piece.refs])
    draft = {
        "plan": _plan_dict(ctx, preamble, prose, registry, source_name),
        "documents": [],
        "sections": [_section_dict(ctx, s) for s in body.sections],
        "measures": [_measure_dict(ctx, mt, piece, bracket, registry) for mt, piece, bracket in measures],
    }
    draft["documents"] = registry.documents(ctx.warnings)
    return Extraction(draft, ctx.unmatched, ctx.warnings)


def extract_file(path: str | Path, agencies: Mapping[str, Agency] | None = None) -> Extraction:
    """:func:`extract_text` on a UTF-8 file (a BOM is tolerated).

    Raises ExtractError naming the file if it cannot be read or decoded, or holds
    no recognisable measure."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ExtractError(f"{path}: cannot read: {e.strerror or e}") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ExtractError(f"{path}: not UTF-8 text (byte {e.start}: {e.reason}); "
                           "convert it to UTF-8 first") from e
    return extract_text(text, agencies, source_name=str(path))


# --------------------------------------------------------------------------
# YAML output
# --------------------------------------------------------------------------

class _FlowDict(dict):
    """A mapping written on one line: {agency: jc-post, role: 牵头}."""


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes _FlowDict in flow style; output stays safe_load-able."""


_Dumper.add_representer(
    _FlowDict, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True))

#: Lists whose small entries read best one per line.
_FLOW_LISTS = ("agencies", "documents")


def _flowed(draft: dict[str, Any]) -> dict[str, Any]:
    measures = [{k: ([_FlowDict(x) for x in v] if k in _FLOW_LISTS else v) for k, v in m.items()}
                for m in draft.get("measures", [])]
    return {**draft, "measures": measures}


_TOP_KEY = re.compile(r"^(?=[a-z_]+:)", re.M)
_MEASURE_ITEM = re.compile(r"(?<!measures:\n)^(?=- number: )", re.M)


def dump_yaml(draft: dict[str, Any]) -> str:
    """The draft as YAML text: safe subset, Unicode as is, keys in schema order,
    assignments and document links one per line, a blank line between measures."""
    text = yaml.dump(_flowed(draft), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=1000)
    text = _MEASURE_ITEM.sub("\n", _TOP_KEY.sub("\n", text))
    return text.lstrip("\n")
