"""Membership card numbers: a fixed prefix, a zero-padded sequence and a Luhn check digit (ISO/IEC 7812-1).

The Luhn digit catches every single-digit typo and most adjacent swaps, which is what a receptionist
keying a card number by hand needs.
"""

CARD_PREFIX = "88"
SEQUENCE_DIGITS = 9


def luhn_check_digit(payload: str) -> str:
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:  # doubled: these sit at odd positions once the check digit is appended
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def is_valid_card_number(number: str) -> bool:
    number = number.strip().replace(" ", "")
    return number.isdigit() and len(number) >= 2 and luhn_check_digit(number[:-1]) == number[-1]


def card_number(sequence: int) -> str:
    if sequence < 1 or sequence >= 10**SEQUENCE_DIGITS:
        raise ValueError(f"card sequence {sequence} out of range")
    payload = f"{CARD_PREFIX}{sequence:0{SEQUENCE_DIGITS}d}"
    return payload + luhn_check_digit(payload)


def format_card_number(number: str) -> str:
    """8800 0001 2345 for printing; grouping in fours is how cards are read aloud."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
