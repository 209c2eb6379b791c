import pytest

from inspect_sched.schema import uscc


@pytest.mark.parametrize("code", ["91512081MA62K0260E", uscc.make("91430200" + "MA4L123" + "45"), uscc.make("1" * 17)])
def test_valid_codes(code):
    assert uscc.problem(code) is None
    assert uscc.is_valid(code)


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("91512081MA62K0260F", "should be 'E'"),  # wrong check character
        ("91512081MA62K0260", "18 characters, has 17"),
        ("91512081MA62K0260EE", "has 19"),
        ("91512081MA62KO260E", "contains 'O'"),  # letter O is not in the alphabet
        ("91512081IA62K0260E", "contains 'I'"),
        ("", "has 0"),
    ],
)
def test_invalid_codes(code, why):
    problem = uscc.problem(code)
    assert problem is not None and why in problem


@pytest.mark.parametrize(
    "typed",
    ["91512081ma62k0260e", "９１５１２０８１ＭＡ６２Ｋ０２６０Ｅ", " 91512081 MA62K0260E ", "91512081Ma62K0260e"],
)
def test_normalize_accepts_full_width_lower_case_and_spaces(typed):
    assert uscc.normalize(typed) == "91512081MA62K0260E"
    assert uscc.is_valid(uscc.normalize(typed))


def test_every_single_character_typo_is_caught():
    code = "91512081MA62K0260E"
    for pos in range(17):
        for ch in uscc.ALPHABET:
            if ch != code[pos]:
                assert not uscc.is_valid(code[:pos] + ch + code[pos + 1:])


def test_table_driven_check_agrees_with_the_gb32100_formula():
    """The per-position lookup table gives the check character of the standard's formula."""
    import random

    rnd = random.Random("uscc-table")
    weights = [pow(3, i, 31) for i in range(17)]  # GB 32100-2015: W_i = 3^(i-1) mod 31
    for _ in range(20_000):
        first17 = "".join(rnd.choice(uscc.ALPHABET) for _ in range(17))
        total = sum(uscc.ALPHABET.index(c) * w for c, w in zip(first17, weights, strict=True))
        want = uscc.ALPHABET[(31 - total % 31) % 31]
        assert uscc.check_char(first17) == want
        assert uscc.problem(first17 + want) is None
        wrong = uscc.ALPHABET[(uscc.ALPHABET.index(want) + rnd.randrange(1, 31)) % 31]
        assert "check character" in uscc.problem(first17 + wrong)
