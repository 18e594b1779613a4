"""Which answers are not in a language the classifier was built for.

The taxonomy's patterns and the heads' training data are English: a refusal in Chinese has none
of the signals and would be read as compliance. Such answers are detected (py3langid, offline)
and marked invalid instead of being guessed at.
"""

from __future__ import annotations

import re
from functools import lru_cache

from safetylab.lexicon import builtin

SUPPORTED = frozenset({"en"})
MIN_LETTERS = 12  # shorter texts ("ok", "No.") cannot be told apart reliably
MIN_PROB = 0.9
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_ASCII_LETTERS = re.compile(r"[A-Za-z]")


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


_ENGLISH = frozenset(builtin("stopwords")["words"])


def detect(text: str) -> str | None:
    """The answer's language when it is confidently not a supported one, else None. Text with
    no letters at all (emoji, digits, punctuation) is "none": there is nothing to read."""
    sample = text[:600]
    words = sample.lower().split()
    # plain ASCII prose full of English function words needs no model (most answers)
    if words and sample.isascii() and sum(w in _ENGLISH for w in words) >= 0.2 * len(words):
        return None
    letters = len(_LETTERS.findall(sample))
    if letters == 0:
        return "none"
    ascii_share = len(_ASCII_LETTERS.findall(sample)) / letters
    if letters < MIN_LETTERS and ascii_share >= 0.5:
        return None  # "ok", "No.": too short to tell, and written in the Latin script
    lang, prob = _identifier().classify(sample)
    if lang in SUPPORTED:
        # a short text mostly in another script is not English whatever the score
        return "unknown" if ascii_share < 0.5 else None
    # Latin-script text needs a confident call (names, code and lists fool the model);
    # text mostly in another script is not English whatever the score.
    if ascii_share < 0.5 or prob >= MIN_PROB:
        return str(lang)
    return None
