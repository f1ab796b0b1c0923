"""How identifiers are shown to a user who may not see them in full."""


def mask_id_number(number: str) -> str:
    """1101**********1234: the region prefix and the last four stay, the birth date does not."""
    if not number:
        return ""
    if len(number) <= 8:
        return number[:1] + "*" * (len(number) - 2) + number[-1:] if len(number) > 2 else "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_mobile(number: str) -> str:
    """138****5678: the carrier prefix and the last four stay."""
    if not number:
        return ""
    if len(number) < 8:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_name(name: str) -> str:
    """张*三 / 张*: for lists shown to people outside the care team (receipts, printed cards)."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def dial_string(number: str) -> str:
    """'138 0013-8000' → '13800138000', '+86 138…' → '+86138…': what a `tel:` link may carry (RFC 3966
    visual separators dropped); '' when no digit is left."""
    digits = "".join(ch for ch in number if ch.isascii() and ch.isdigit())
    if not digits:
        return ""
    return ("+" if number.strip().startswith("+") else "") + digits
