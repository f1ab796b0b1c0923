"""Pinyin of Chinese names for search: "zs" finds 张三, "zhangsan" finds 张三.

Surnames are read with their surname pronunciation, which differs from the common one for a set of
characters (曾 zēng, not céng; 单 shàn, not dān); the table follows 《百家姓》 readings as given in
《现代汉语词典》 (7th ed.).
"""

COMPOUND_SURNAMES = {
    "欧阳": ["ou", "yang"], "司马": ["si", "ma"], "上官": ["shang", "guan"], "诸葛": ["zhu", "ge"],
    "东方": ["dong", "fang"], "皇甫": ["huang", "fu"], "尉迟": ["yu", "chi"], "公孙": ["gong", "sun"],
    "长孙": ["zhang", "sun"], "慕容": ["mu", "rong"], "司徒": ["si", "tu"], "令狐": ["ling", "hu"],
    "夏侯": ["xia", "hou"], "万俟": ["mo", "qi"], "澹台": ["tan", "tai"], "宇文": ["yu", "wen"],
}  # fmt: skip

SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "朴": "piao", "乐": "yue", "仇": "qiu", "区": "ou",
    "查": "zha", "盖": "ge", "缪": "miao", "覃": "qin", "秘": "bi", "召": "shao", "繁": "po",
    "员": "yun", "种": "chong", "黑": "he", "隗": "wei", "翟": "zhai", "沈": "shen", "尉": "yu",
    "任": "ren", "华": "hua", "燕": "yan", "纪": "ji", "过": "guo", "句": "gou", "郇": "huan",
}  # fmt: skip


def syllables(name: str) -> list[str]:
    """Lower-case pinyin syllables of a name, surname read as a surname; non-Chinese text kept as words."""
    name = name.strip()
    head: list[str] = []
    rest = name
    for surname, reading in COMPOUND_SURNAMES.items():
        if name.startswith(surname):
            head, rest = list(reading), name[len(surname) :]
            break
    else:
        if name[:1] in SURNAME_READINGS:
            head, rest = [SURNAME_READINGS[name[0]]], name[1:]
    # Imported here: its dictionaries take a tenth of a second to load, which every command would pay.
    from pypinyin import lazy_pinyin

    # errors="default": text without pinyin comes back as it is, and is split into words here.
    words = [w for piece in lazy_pinyin(rest, errors="default") for w in piece.split()]
    return head + [w.lower() for w in words if w.strip()]


def initials(name: str) -> str:
    return "".join(s[0] for s in syllables(name) if s)


def full_pinyin(name: str) -> str:
    return "".join(syllables(name))


def looks_like_pinyin_query(text: str) -> bool:
    return text.isascii() and text.replace(" ", "").isalpha()


__all__ = ["full_pinyin", "initials", "looks_like_pinyin_query", "syllables"]
