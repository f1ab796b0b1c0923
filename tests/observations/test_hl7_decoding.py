from pathlib import Path

import pytest

from careloop.observations.sources.hl7v2.decoding import (
    codec_for,
    declared_charset,
    decode_file,
    decode_message,
    encode,
    split_messages,
)

SAMPLES = Path(__file__).parent / "samples"
MSH = r"MSH|^~\&|HIS|H|CL|CL|20240101||ORU^R01|1|P|2.5||||||{}"


@pytest.mark.parametrize(
    ("name", "codec"),
    [
        ("UNICODE UTF-8", "utf-8"),
        ("UTF-8", "utf-8"),
        ("GB 18030-2000", "gb18030"),
        ("GB18030", "gb18030"),
        ("GBK", "gb18030"),
        ("gb2312", "gb18030"),
        ("ISO IR58", "gb18030"),
        ("ASCII", "utf-8"),
        ("8859/1", "latin-1"),
        ("UNICODE UTF-16", None),
        ("EBCDIC", None),
    ],
)
def test_msh18_names_map_to_codecs(name, codec):
    assert codec_for(name) == codec


def test_declared_charset_reads_first_repetition_of_msh18():
    assert declared_charset(MSH.format("GB 18030-2000~UNICODE UTF-8").encode()) == "GB 18030-2000"


def test_declared_charset_survives_gb18030_bytes_that_look_like_field_separators():
    # 東 is 0x96 0x7C in GB 18030: its second byte is "|".
    raw = MSH.replace("|H|", "|東城|").format("GB 18030-2000").encode("gb18030")
    assert b"|" in "東".encode("gb18030")
    assert declared_charset(raw) == "GB 18030-2000"


@pytest.mark.parametrize(
    ("msh18", "encoding", "codec", "note_has"),
    [
        ("UNICODE UTF-8", "utf-8", "utf-8", ""),
        ("GB 18030-2000", "gb18030", "gb18030", ""),
        ("GBK", "gbk", "gb18030", ""),
        ("", "utf-8", "utf-8", ""),
        ("", "gb18030", "gb18030", "read as gb18030"),  # no MSH-18, not UTF-8: fall back and say so
        ("UNICODE UTF-8", "gb18030", "gb18030", "MSH-18 says 'UNICODE UTF-8'"),
        ("EBCDIC", "utf-8", "utf-8", "unsupported character set"),
    ],
)
def test_decode_message_picks_the_character_set_and_notes_fallbacks(msh18, encoding, codec, note_has):
    text = MSH.format(msh18) + "\rPID|1||MR1||张伟||19800101|M\r"
    decoded = decode_message(text.encode(encoding))
    assert decoded.text == text
    assert decoded.charset == codec
    if note_has:
        assert note_has in decoded.note
    else:
        assert decoded.note == ""


@pytest.mark.parametrize("newline", [b"\r", b"\n", b"\r\n"])
def test_split_messages_accepts_any_line_ending_and_splits_on_msh(newline):
    data = newline.join([b"MSH|^~\\&|A", b"PID|1", b"", b"MSH|^~\\&|B", b"PID|2", b""])
    assert split_messages(data) == [b"MSH|^~\\&|A\rPID|1\r", b"MSH|^~\\&|B\rPID|2\r"]


def test_split_messages_drops_batch_envelopes_and_mllp_blocks():
    data = b"FHS|^~\\&\rBHS|^~\\&\r\x0bMSH|^~\\&|A\rPID|1\r\x1c\rBTS|1\rFTS|1\r"
    assert split_messages(data) == [b"MSH|^~\\&|A\rPID|1\r"]


def test_text_before_the_first_msh_is_kept_as_a_message_so_it_can_be_reported():
    assert split_messages(b"PID|1\rMSH|^~\\&|A\r") == [b"PID|1\r", b"MSH|^~\\&|A\r"]


def test_gb18030_sample_file_decodes_to_chinese_names_and_units():
    [decoded] = decode_file((SAMPLES / "oru_vitals_gb18030.hl7").read_bytes())
    assert decoded.charset == "gb18030"
    assert decoded.note == ""
    assert "李秀英" in decoded.text
    assert "|斤|" in decoded.text


def test_encode_answers_in_the_senders_character_set():
    assert encode("MSA|AA|李", "gb18030") == "MSA|AA|李".encode("gb18030")
