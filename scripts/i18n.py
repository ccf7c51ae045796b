"""Translation catalogues: Simplified Chinese is written by hand, Traditional is derived.

    python scripts/i18n.py hant      # write every locale/zh_Hant/.../django.po from its zh_Hans twin (OpenCC s2t)
    python scripts/i18n.py check     # exit 1 if a zh_Hans entry is untranslated/fuzzy or a zh_Hant file is stale

Compile with `python manage.py compilemessages` (needs GNU gettext); the .mo files are committed
so that a fresh machine needs no gettext.
"""

import re
import sys
from pathlib import Path

import opencc

ROOT = Path(__file__).resolve().parent.parent
_s2t = opencc.OpenCC("s2t")


def catalogues() -> list[Path]:
    return sorted(p for p in (ROOT / "tongxin").rglob("locale/zh_Hans/LC_MESSAGES/django.po"))


def to_hant(po_text: str) -> str:
    """Convert msgstr strings (not msgids, comments or headers other than Language) to Traditional."""
    out, in_msgstr = [], False
    for line in po_text.splitlines(keepends=True):
        if line.startswith("msgstr"):
            in_msgstr = True
            out.append(_convert_quoted(line))
        elif line.startswith('"') and in_msgstr:
            out.append(_convert_quoted(line))  # ASCII header lines pass through OpenCC unchanged
        else:
            in_msgstr = False
            out.append(line)
    text = "".join(out)
    return re.sub(r'"Language: zh_Hans\\n"', r'"Language: zh_Hant\\n"', text)


def _convert_quoted(line: str) -> str:
    start = line.index('"')
    return line[:start] + _s2t.convert(line[start:])


def entries(po_text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) per entry, plural forms joined; enough for the completeness check."""
    result, fuzzy, key, buf = [], False, None, {}
    for raw in po_text.splitlines() + [""]:
        line = raw.strip()
        if not line:
            if buf.get("msgid"):
                strs = [v for k, v in buf.items() if k.startswith("msgstr")]
                result.append((buf["msgid"], "|".join(strs) if all(strs) else "", fuzzy))
            fuzzy, key, buf = False, None, {}
        elif line.startswith("#,") and "fuzzy" in line or line.startswith("#| msgid"):
            fuzzy = True  # "#| msgid" is msgmerge's guess from a similar message: never trusted
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and key:
            buf[key] += line[1:-1]
        else:
            key, _, value = line.partition(" ")
            buf[key] = value[1:-1]
    return result


def check() -> list[str]:
    problems = []
    for hans in catalogues():
        text = hans.read_text(encoding="utf-8")
        for msgid, msgstr, fuzzy in entries(text):
            if fuzzy or not msgstr:
                problems.append(f"{hans.relative_to(ROOT)}: untranslated or fuzzy: {msgid!r}")
        hant = Path(str(hans).replace("zh_Hans", "zh_Hant"))
        if not hant.exists() or hant.read_text(encoding="utf-8") != to_hant(text):
            problems.append(f"{hant.relative_to(ROOT)}: stale, run python scripts/i18n.py hant")
        for po in (hans, hant):
            mo = po.with_suffix(".mo")
            if not mo.exists() or (po.exists() and mo.stat().st_size == 0):
                problems.append(f"{mo.relative_to(ROOT)}: missing, run python manage.py compilemessages")
    return problems


def main(argv: list[str]) -> int:
    cmd = argv[1] if len(argv) > 1 else "check"
    if cmd == "hant":
        for hans in catalogues():
            hant = Path(str(hans).replace("zh_Hans", "zh_Hant"))
            hant.parent.mkdir(parents=True, exist_ok=True)
            hant.write_text(to_hant(hans.read_text(encoding="utf-8")), encoding="utf-8")
            print(hant.relative_to(ROOT))
        return 0
    problems = check()
    print("\n".join(problems) or "catalogues complete")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
