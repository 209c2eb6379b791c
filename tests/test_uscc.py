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


# SPEC §5 written out again, independently of inspect_sched.schema.uscc, so that a changed
# weight or modulus there cannot also change what the tests expect.
SPEC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SPEC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def spec_check(first17: str) -> str:
    total = sum(SPEC_ALPHABET.index(c) * w for c, w in zip(first17, SPEC_WEIGHTS, strict=True))
    return SPEC_ALPHABET[(31 - total % 31) % 31]


def spec_code(prefix: str, check: str) -> str:
    """A valid code with check character ``check``: ``prefix`` (16 chars) plus the one 17th
    character that makes it so (the 17th weight, 28, is invertible mod 31)."""
    for c17 in SPEC_ALPHABET:
        if spec_check(prefix + c17) == check:
            return prefix + c17 + check
    raise AssertionError(f"no 17th character gives check {check!r} for {prefix!r}")


def test_weights_are_powers_of_three_mod_31():
    assert SPEC_WEIGHTS == tuple(pow(3, i, 31) for i in range(17))
    assert uscc.WEIGHTS == SPEC_WEIGHTS
    assert spec_check("91512081MA62K0260") == "E"  # the SPEC's own example


# Codes whose check characters are 0, 1 and letters, built by the formula above from
# realistic prefixes (registration authority 9 and 1, type 1 and 2, 株洲 area codes), so that
# every position, the 17th included, carries a non-zero value.
KNOWN_VALID = [
    spec_code("91430200MA4L2B3C", ch)
    for ch in ("0", "1", "A", "Y", "9")
] + [
    spec_code("9143020278391XQ2", "0"),
    spec_code("1143020000718463", "1"),
    spec_code("92430211MA4PRT8W", "K"),
    spec_code("52430203MJK123YH", "X"),
]


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_independently_built_codes_are_valid_and_every_other_check_character_is_not(code):
    assert uscc.problem(code) is None
    assert uscc.make(code[:17]) == code
    for ch in SPEC_ALPHABET:
        if ch != code[17]:
            assert not uscc.is_valid(code[:17] + ch)


def test_seventeenth_character_is_weighted():
    """The SPEC example's 17th character is 0, so it cannot tell weight 28 from any other."""
    codes = [c for c in KNOWN_VALID if c[16] != "0"]
    assert len({c[17] for c in KNOWN_VALID} & {"0", "1"}) == 2 and any(c[17].isalpha() for c in KNOWN_VALID)
    assert codes
    for c in codes:
        assert uscc.check_char(c[:17]) == spec_check(c[:17]) == c[17]


def test_check_character_needs_exactly_seventeen_characters():
    for prefix in ("9143020", "91430200MA4L2B3C12"):
        with pytest.raises(ValueError) as exc:
            uscc.make(prefix)
        assert str(exc.value) == f"a check character needs exactly 17 characters, got {len(prefix)}"


def test_bad_characters_are_all_named_with_the_whole_alphabet():
    assert uscc.problem("91512081IA62KO260E") == (
        "contains 'IO'; allowed are 0-9 and ABCDEFGHJKLMNPQRTUWXY (no I, O, S, V, Z)")
