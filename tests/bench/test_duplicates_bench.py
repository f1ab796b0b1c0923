"""The duplicates benchmark plants twins the detection can know: its homophones sound alike to it."""

import pytest
from duplicates import HOMOPHONES

from careloop.patients.pinyin import full_pinyin


@pytest.mark.parametrize(("typed", "meant"), sorted(HOMOPHONES.items()))
def test_each_homophone_has_the_pinyin_of_the_character_it_stands_for(typed, meant):
    assert typed != meant and full_pinyin("王" + typed) == full_pinyin("王" + meant)
