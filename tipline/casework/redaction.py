"""Finding the passages a redacted copy blacks out. Text and passages are compared in a
normalised form (NFKC, case-folded, any run of whitespace as one space, soft hyphens and
zero-width characters ignored), so a line break, a no-break space or a soft hyphen inside
a name does not hide it. Every occurrence of every passage is found, overlapping ones
too, and their union is blacked out: "Smith" listed before "Agent John Smith" cannot
leave "Agent John" standing."""

import unicodedata
from dataclasses import dataclass

# Invisible characters that may sit inside a word without changing how it reads.
IGNORED = frozenset("\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff")


@dataclass(frozen=True)
class Normalised:
    text: str
    origins: list[tuple[int, int]]  # for each character of text, the span of the original it came from


def normalise(original: str) -> Normalised:
    characters: list[str] = []
    origins: list[tuple[int, int]] = []
    for start, end in _clusters(original):
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", original[start:end]).casefold())
        folded = "".join(character for character in folded if character not in IGNORED)
        if folded and folded.isspace():
            if characters and characters[-1] == " ":
                origins[-1] = (origins[-1][0], end)  # one space stands for the whole run
                continue
            folded = " "
        characters.extend(folded)
        origins.extend([(start, end)] * len(folded))
    return Normalised("".join(characters), origins)


def key_of(passage: str) -> str:
    """The passage as it is looked for."""
    return normalise(passage).text.strip()


def matched_spans(text: str, passages: tuple[str, ...]) -> list[tuple[int, int]]:
    """The spans of `text` (start, end in the original) that any passage covers, merged and in order."""
    normalised = normalise(text)
    covered = []
    for key in filter(None, map(key_of, passages)):
        found = normalised.text.find(key)
        while found != -1:
            covered.append((normalised.origins[found][0], normalised.origins[found + len(key) - 1][1]))
            found = normalised.text.find(key, found + 1)
    return _merged(covered)


def black_out(text: str, passages: tuple[str, ...], mark: str) -> tuple[str, int]:
    """`text` with each covered span replaced by `mark`, and how many spans were."""
    spans = matched_spans(text, passages)
    pieces, position = [], 0
    for start, end in spans:
        pieces += [text[position:start], mark]
        position = end
    pieces.append(text[position:])
    return "".join(pieces), len(spans)


def unmatched(texts: list[str], passages: tuple[str, ...]) -> list[str]:
    """The passages, as typed, that occur in none of `texts`."""
    haystacks = [normalise(text).text for text in texts]
    return [passage for passage in passages if not any(key_of(passage) in haystack for haystack in haystacks)]


def _clusters(text: str):
    """(start, end) of each character with the combining marks after it, so NFKC can compose them."""
    start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or not unicodedata.combining(text[index]):
            yield start, index
            start = index


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
