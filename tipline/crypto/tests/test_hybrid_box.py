"""Hybrid sealed boxes (X-Wing + XChaCha20-Poly1305): round trips, every way of tampering is
refused, unknown formats are told apart, and a stored box keeps opening."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tipline.crypto import aead, channel_keys, hybrid_box, xwing
from tipline.crypto.errors import DecryptionError, UnsupportedFormatError

PAIR = hybrid_box.generate_key_pair()
PURPOSE = aead.Purpose.BACKUP_KEY  # any: the box takes its caller's purpose, and nothing uses it yet
WHERE = aead.context(b"\x01" * 16, "answers")
# Sealed once to the private key 00 01 … 1f (the draft's X.509 example key) for "known answer"
# under PURPOSE and context("known", "answer"): a change of format or derivation fails here.
KNOWN_PRIVATE_KEY = bytes(range(32))
KNOWN_BOX_HEX = (
    "0101dd6941b824b3a5cc9e17d86b96b0eb9d946929950752f5dc91121f237de93d4772badbabb2d9da33a35d9190a770"
    "c16b1447e49967c12779a688669e24426f43616a7277214160a7fec135a9cda4671b078138a88a1cc12555d1233535a7"
    "37b76219e7a691f0365813f45e7f978f887fd7c0b9273c7bad28ad254c5d7b9138c3a2f02d111cbbe19ee8472f14f3aa"
    "a716b7e10abe82021d95b4490b4f02b75aade776d3e593bc18b240a8c1824bbf35d961e3dd85f9f6370ba0bc6e075775"
    "0535b8a63e0b762d303e5a4c35ffdb87fc10a1ee5adfbb857754c53cc19f2b1bcafa70d54d5c2c6ca95ba49b246eac6d"
    "4d2aac3d03d89292fa6d6bbb375bcbed90ae72c1462f569e8e77aeebf1a64692592ded6d047021c383ef248112f6c10d"
    "f54493ef627272b25bfef4e10f7cef561daf1554527e5c4ab99574b2691ae0de8a4157d4b200d3e07cce5aaae6802099"
    "5d7fa7f3eaaa9eba5edc8ec65b70ee7622619b88daf135c37e485e9b2ede0eca43b6dc568cd49ab07dd18f94287daf45"
    "028e7568c7a43c67e5f21d18ae5325ab48bc2ff1d8830a75519723b9b7aa5e57cc707e1b07a65513517847b6311d6379"
    "4b1af0a60e4b11c5a2f0bb2444c8ee9eb61ded39297884ba74af9f28607870f549be018f301378f3c74b43c6b9cf02aa"
    "a51ba68a9bff5542aee85f76d3e1371eeef55169874d9af1d4ab8f09e02b687668644a5ff1a240acfdc05975cb29f85e"
    "06ecaa67956bd522b87a7f18aa061e421de17679718653c0767b0bc541795dcf4b35a0df8544692264cadfe21b8469c2"
    "6c6f0f0b6084b8d29943acb8ca91352d1649f9e7fc5538ebf3c7eda3c076ebd2f516561890c3937c3b8747f75a4b7bfc"
    "19907252d1ab435dfcd8b180dfd31c6e5859cc31c7b14522a4564d8b0ed5a8f2b06533cdb1859cdb65f79ea4d57b6b6f"
    "42ff9f97f2f190dffd4cf020cd2582e30c854d76edfc101ae1a9723abacc9f93d789589e9a1d4feb1f141eda727fc022"
    "593f598e9da0402166f5bcfae77575b449d7586e8f4aec6fb8cdaf6eb6983ff1326f2b020539107169030ea97fe1cfaf"
    "0b4da667b66297ac117707d7400df3641a72d6b5aca509db57e1d08c958dcf9c0bc8ee367838244fdbd168211d90f03a"
    "ed3b040685baf6f9d3a4e4a2bac58eec8378d510e00f9d8aa470f791b9ad3ceabe95cf249a8378b34b6971513fa887db"
    "d812a003a9cbbab1ce734228a5752f14239a7ab706e95ff34e8c6d236461f7bb7b95a27ed3be8847bc657000a4d99914"
    "1a7048a9f35a5f6bb42a41e0e91c5f860b48227a7c84667a8eea751b1bc254f7edf39b7f3a4d3fb3901b3564991e2218"
    "fecbc3c2276fd9f7d236a1eb7cede3b811315abd9d441857a423cea8e84a13648c818b633bbe6a1a4d179eb1b5e2b7de"
    "2fe23dd4916471d17e84732055578e4ed3294349855f3f17d36f7bb88a8a86af1b9fb46fdd900bd651a7b8b076f84d95"
    "2ec90f420c05a4954d96f49621d1b8cb75277058c3be8cb0f63506868f3304c33aed281165762241135a7b1a7ba9dbdc"
    "1dd472a3a3ec27045f07d637a9bb8b00ed4201fce46dffd8ece237eb0595a5b4c0815e095549bafc5f07b89b92bbde06"
    "355e56939790e048ba16aa3f6b54f4fe8abd28eabb7d56"
)


@settings(max_examples=25, deadline=None)
@given(plaintext=st.binary(max_size=2048), where=st.binary(max_size=64))
def test_round_trip(plaintext, where):
    box = hybrid_box.seal(PAIR.public_key, plaintext, PURPOSE, where)

    assert hybrid_box.open_sealed(PAIR.private_key, box, PURPOSE, where) == plaintext
    assert len(box) == len(plaintext) + hybrid_box.OVERHEAD_BYTES


def test_the_documented_sizes():
    assert (len(PAIR.public_key), len(PAIR.private_key)) == (1216, 32)
    assert hybrid_box.OVERHEAD_BYTES == 2 + 1120 + 1 + 24 + 16
    assert xwing.public_key_of(PAIR.private_key) == PAIR.public_key


def test_two_boxes_of_the_same_value_differ():
    first, second = (hybrid_box.seal(PAIR.public_key, b"same", PURPOSE, WHERE) for _ in range(2))

    assert first != second


def test_every_byte_of_a_box_is_protected():
    box = hybrid_box.seal(PAIR.public_key, b"the shipment leaves at 06:00", PURPOSE, WHERE)

    for position in range(len(box)):
        for flip in (0x01, 0x80):
            altered = bytearray(box)
            altered[position] ^= flip
            with pytest.raises(DecryptionError):
                hybrid_box.open_sealed(PAIR.private_key, bytes(altered), PURPOSE, WHERE)


@given(cut=st.integers(min_value=0, max_value=hybrid_box.OVERHEAD_BYTES + 4))
def test_a_shortened_box_is_refused(cut):
    box = hybrid_box.seal(PAIR.public_key, b"x" * 5, PURPOSE, WHERE)

    with pytest.raises(DecryptionError):
        hybrid_box.open_sealed(PAIR.private_key, box[:cut], PURPOSE, WHERE)


def test_another_private_key_does_not_open_it():
    box = hybrid_box.seal(PAIR.public_key, b"secret", PURPOSE, WHERE)

    with pytest.raises(DecryptionError) as refused:
        hybrid_box.open_sealed(hybrid_box.generate_key_pair().private_key, box, PURPOSE, WHERE)
    assert type(refused.value) is DecryptionError


def test_a_box_moved_to_another_place_or_purpose_is_refused():
    box = hybrid_box.seal(PAIR.public_key, b"secret", PURPOSE, WHERE)

    with pytest.raises(DecryptionError):
        hybrid_box.open_sealed(PAIR.private_key, box, PURPOSE, WHERE + b"x")
    with pytest.raises(DecryptionError):
        hybrid_box.open_sealed(PAIR.private_key, box, aead.Purpose.FILE_KEY, WHERE)


@pytest.mark.parametrize("position, value", [(0, 2), (0, 0), (1, 2), (1, 0)])
def test_an_unknown_version_or_algorithm_is_told_apart(position, value):
    box = bytearray(hybrid_box.seal(PAIR.public_key, b"secret", PURPOSE, WHERE))
    box[position] = value

    with pytest.raises(UnsupportedFormatError):
        hybrid_box.open_sealed(PAIR.private_key, bytes(box), PURPOSE, WHERE)
    with pytest.raises(UnsupportedFormatError):  # told apart even when a next format is short
        hybrid_box.open_sealed(PAIR.private_key, bytes(box[:2]), PURPOSE, WHERE)


def test_sealing_needs_an_x_wing_public_key():
    with pytest.raises(ValueError):
        hybrid_box.seal(PAIR.public_key[:32], b"secret", PURPOSE, WHERE)  # an X25519 key is not one


def test_a_stored_box_still_opens():
    box = bytes.fromhex("".join(KNOWN_BOX_HEX))

    opened = hybrid_box.open_sealed(KNOWN_PRIVATE_KEY, box, PURPOSE, aead.context("known", "answer"))

    assert opened == b"known answer"


def test_key_lines_round_trip():
    public_line = hybrid_box.public_key_line(PAIR.public_key)
    private_line = hybrid_box.private_key_line(PAIR.private_key)

    assert public_line.startswith("tipline-xwing-public-key:")
    assert private_line.startswith("tipline-xwing-private-key:")
    assert hybrid_box.read_public_key(public_line + "\n") == PAIR.public_key
    assert hybrid_box.read_private_key(" " + private_line) == PAIR.private_key


LINE = hybrid_box.public_key_line(PAIR.public_key)
ML_KEM_HALF = PAIR.public_key[: xwing.ML_KEM_PUBLIC_KEY_BYTES]


NOT_PUBLIC_KEY_LINES = {
    "the private half": hybrid_box.private_key_line(PAIR.private_key),
    "cut short": LINE[:-4],
    "characters outside base64url, which the decoder would skip": LINE[:40] + "!!!!" + LINE[40:],
    "a key failing FIPS 203's check": hybrid_box.public_key_line(bytes([0xFF, 0xFF]) + PAIR.public_key[2:]),
    "a low-order X25519 half": hybrid_box.public_key_line(ML_KEM_HALF + bytes(32)),
    "another kind of key file": "tipline-backup-public-key:" + LINE.split(":", 1)[1],
}


@pytest.mark.parametrize("line", NOT_PUBLIC_KEY_LINES.values(), ids=NOT_PUBLIC_KEY_LINES.keys())
def test_what_is_not_a_public_key_line_is_refused(line):
    with pytest.raises(ValueError):
        hybrid_box.read_public_key(line)


def test_a_private_key_line_of_another_size_is_refused():
    with pytest.raises(ValueError):
        hybrid_box.read_private_key(hybrid_box.private_key_line(bytes(31)))
    with pytest.raises(ValueError):
        hybrid_box.read_private_key(hybrid_box.public_key_line(PAIR.public_key))


def test_the_fingerprint_is_read_like_a_channel_keys():
    fingerprint = hybrid_box.fingerprint(PAIR.public_key)

    assert fingerprint == channel_keys.fingerprint(PAIR.public_key)
    assert len(fingerprint.split()) == 8
    assert fingerprint != hybrid_box.fingerprint(hybrid_box.generate_key_pair().public_key)
