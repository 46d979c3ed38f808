"""Languages and scripts: Serbian Cyrillic to Latin, diacritic folding, and language detection per passage.

framing reads English and Serbian (with Croatian and Bosnian, which share its words), in Latin or Cyrillic
script. Every text that enters the model goes through this module, so that "Војска Србије", "Vojska Srbije" and
"Vojska Srbije" typed without diacritics are the same words to it.

Detection is made for speed: the scorer tokenizes each batch once, and the language of each passage is read off
counts of its tokens (English and Serbian function words, Serbian letters, Cyrillic letters) with array
operations. Only passages those counts leave undecided (a headline with no function word, a text in another
language) go to py3langid's bundled naive-Bayes model, which needs no download.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = [
    "SCORED",
    "SERBIAN_STOP_WORDS",
    "SUPPORTED",
    "Profile",
    "decide",
    "detect",
    "flag_counts",
    "fold",
    "profile",
    "token_flags",
    "transliterate",
    "unsupported_reason",
    "word_set",
]

#: Languages the model reads, by the code written into scored rows.
SUPPORTED = ("en", "sr")
#: Languages whose passages are scored: the model's own, and passages that mix them.
SCORED = (*SUPPORTED, "mixed")
#: py3langid codes read as Serbian: the Serbo-Croatian family shares its vocabulary and stems.
_SERBIAN_FAMILY = frozenset({"sr", "hr", "bs", "sh"})

_CYRILLIC = dict(
    zip(
        "абвгдђежзијклмнопрстћуфхцчшАБВГДЂЕЖЗИЈКЛМНОПРСТЋУФХЦЧШ",
        "abvgdđežzijklmnoprstćufhcčšABVGDĐEŽZIJKLMNOPRSTĆUFHCČŠ",
    )
)
_CYRILLIC.update({"љ": "lj", "њ": "nj", "џ": "dž", "Љ": "Lj", "Њ": "Nj", "Џ": "Dž"})
_DIGRAPH_CAPITALS = {"Љ": "LJ", "Њ": "NJ", "Џ": "DŽ"}
_HAS_CYRILLIC = re.compile("[\u0400-\u04ff]")
#: Cyrillic letters that Serbian does not use (Russian, Ukrainian, Bulgarian, Belarusian, Macedonian).
_FOREIGN_CYRILLIC = frozenset("ыэъьёщйяюєіїўґѓќѕЫЭЪЬЁЩЙЯЮЄІЇЎҐЃЌЅ")
#: Letters of Serbian Latin that English does not use.
_SERBIAN_LATIN = frozenset("čćšžđČĆŠŽĐ")
_FOLD = str.maketrans({"č": "c", "ć": "c", "š": "s", "ž": "z", "đ": "dj"})


def word_set(text: str) -> frozenset[str]:
    """The set of the whitespace-separated words of ``text``: word lists are written as text, to be read as text."""
    return frozenset(text.split())


#: Frequent words that tell the languages apart (lower case; Serbian also without diacritics). Words that both
#: languages write alike ("to", "do", "a", "on", "i", "ne", "no") are left out.
ENGLISH_WORDS = word_set(
    """the of and in is that for with as by it was are be this from at an which has have will not said its their
    would been were they but or who his her he she we our after over about into than could should also says
    while when what there these those more most new year after against between"""
)
SERBIAN_WORDS = word_set(
    """je su da se na za od sa koji koja koje koju kojem kojoj što sto kao ali nije nisu će ce ćemo cemo biti bio
    bila bilo biće bice ovo ova ovaj taj ta ili jer kako već vec samo još jos sve smo ste bi li prema kroz između
    izmedju nakon posle pre iz ni niti bez te tako kada kad gde ima nema sada ću cu ovog ovom toga tome njihov
    njegov njen godine rekao rekla izjavio izjavila kaže kaze"""
)

#: Serbian function words in folded Latin (lower case, diacritics folded: "će" → "ce", "između" → "izmedju"), the
#: counterpart of scikit-learn's ``ENGLISH_STOP_WORDS``: conjunctions, prepositions, pronouns and determiners,
#: auxiliary and modal verbs (negated forms too), particles, frequent adverbs and small numbers. Not a feature
#: filter: explanations leave them out as evidence on their own (:func:`framing.text.is_stop_word`).
SERBIAN_STOP_WORDS = word_set(
    """a i ili pa te ni niti nego vec ali no da jer kao ako kad kada dok iako mada sto sta cim kako odnosno ukoliko
    posto li ne u na za od do iz sa s o po pri prema kroz kod ka k bez nad pod pred izmedju medju oko protiv nakon
    posle pre tokom radi umesto osim preko uz niz van ispred iza iznad ispod zbog
    je su sam si smo ste biti bio bila bilo bili bile bice bi bih bismo biste ce cu ces cemo cete jesam jesi jeste
    jesmo jesu nije nisu nisam nisi nismo niste nece necu neces necemo necete ima imaju imamo imate imao imala imali
    nema nemaju nemamo moze mogu mozemo mogao mogla moglo mogli mora moraju treba trebalo
    ja ti on ona ono mi vi oni one me mene tebe ga njega nju ju nas vas ih njih mu njemu joj njoj im njima nam vam
    se sebe sebi svoj svoja svoje svog svoga svom svoju svojim svojih svoji moj moja moje nasa nase nasi nasih nasim
    nasem nasoj nasu vasa vase njegov njegova njegove njegovo njegovog njegovim njen njena njene njihov njihova
    njihove njihovi njihovo njihovog njihovim njihovih koji koja koje koju kojeg kojega kojem kojoj kojim kojih
    kojima ko koga kome cega cemu taj ta to tog toga tom tome tu tim tih tima ovaj ova ovo ovog ovoga ovom ovu ovi
    ove ovih ovim onaj onog onom onu oni sav sva sve svi svih svim svu svaki svaka svako svakog neki neka neko nekog
    nesto nista niko nijedan nijedna nijedno
    samo jos vrlo veoma tako takodje sada sad tada onda ovde tamo gde zasto zato uvek nikad nikada vise manje cak
    upravo bas ipak dakle medjutim naime evo eto mozda tek
    jedan jedna jedno jednog jednom jednu dva dve tri"""
)

_FLAG_EN, _FLAG_SR, _FLAG_SR_LETTER, _FLAG_CYRILLIC, _FLAG_FOREIGN_CYRILLIC, _FLAG_LATIN, _FLAG_WORD = (
    1, 2, 4, 8, 16, 32, 64
)


#: Latin letters that look like Cyrillic ones, as typed by mistake inside Cyrillic words, and the Cyrillic they stand for.
_LOOKALIKES = str.maketrans(dict(zip("AaBCcEeHJjKMOoPpTXxy", "АаВСсЕеНЈјКМОоРрТХху")))
_MIXED_WORD = re.compile(r"\w*(?:[\u0400-\u04ff]\w*[A-Za-z]|[A-Za-z]\w*[\u0400-\u04ff])\w*")


def _mostly_cyrillic(word: str) -> bool:
    cyrillic = sum("\u0400" <= c <= "\u04ff" for c in word)
    return cyrillic >= sum(c.isascii() and c.isalpha() for c in word)


def transliterate(text: str) -> str:
    """Serbian Cyrillic to Latin script; other characters are left as they are.

    Љ, Њ and Џ become "Lj", "Nj" and "Dž", or "LJ", "NJ" and "DŽ" inside a word in capitals. Latin letters that
    look like Cyrillic ones, typed by mistake inside a mostly Cyrillic word, are read as the Cyrillic letters.

    >>> transliterate("Војска Србије и Љубљана, ЊЕГОШ")
    'Vojska Srbije i Ljubljana, NJEGOŠ'
    >>> transliterate("Cрбија и Maђарска")  # a Latin C and M
    'Srbija i Mađarska'
    """
    if not _HAS_CYRILLIC.search(text):
        return text
    if _MIXED_WORD.search(text):  # Latin look-alikes typed inside Cyrillic words ("Cрбија" with a Latin C)
        text = _MIXED_WORD.sub(lambda m: m.group().translate(_LOOKALIKES) if _mostly_cyrillic(m.group()) else m.group(), text)
    out = []
    for i, char in enumerate(text):
        if char in _DIGRAPH_CAPITALS:
            neighbours = text[i + 1 : i + 2] + text[max(i - 1, 0) : i]
            if any(c.isalpha() and c.isupper() for c in neighbours):
                out.append(_DIGRAPH_CAPITALS[char])
                continue
        out.append(_CYRILLIC.get(char, char))
    return "".join(out)


def fold(token: str) -> str:
    """A lower-case Latin token with Serbian diacritics folded: č ć → c, š → s, ž → z, đ → dj.

    News typed on an English keyboard drops them ("Madjarska", "Vucic"); folding makes both spellings one word.

    >>> fold("mađarska vučić")
    'madjarska vucic'
    """
    return token.translate(_FOLD)


@lru_cache(maxsize=200_000)
def token_flags(token: str) -> int:
    """Bit flags of one lower-case token: function word of either language, Serbian or Cyrillic letters, word."""
    flags = 0
    if not any(c.isalpha() for c in token):
        return flags
    flags |= _FLAG_WORD
    if _HAS_CYRILLIC.search(token):
        flags |= _FLAG_CYRILLIC
        if any(c in _FOREIGN_CYRILLIC for c in token):
            flags |= _FLAG_FOREIGN_CYRILLIC
        latin = transliterate(token)
    else:
        flags |= _FLAG_LATIN
        latin = token
        if any(c in _SERBIAN_LATIN for c in token):
            flags |= _FLAG_SR_LETTER
    if token in ENGLISH_WORDS:
        flags |= _FLAG_EN
    if latin in SERBIAN_WORDS:
        flags |= _FLAG_SR
    return flags


@dataclass(frozen=True)
class Profile:
    """Language and script of one passage.

    ``language`` is ``en`` or ``sr`` (read by the model), ``mixed`` (both, each with a real share of the words;
    read with the stemmer of the larger), ``other:<code>`` (another language: not supported), or ``none`` (no
    words at all: empty, digits or punctuation). ``script`` is ``latin``, ``cyrillic``, ``mixed`` or ``none``.
    ``reads_as`` is the language whose stemmer reads it (``en`` or ``sr``).
    """

    language: str
    script: str
    reads_as: str

    @property
    def supported(self) -> bool:
        return self.language in SCORED


def unsupported_reason(language: str) -> str:
    """Why a passage of ``language`` (not one of :data:`SCORED`) is not scored, in words for the user."""
    if language == "none":
        return "no words to score (only digits, punctuation or symbols)"
    if language.startswith("other:"):
        return f"language not supported: the text reads as '{language.split(':', 1)[1]}' (the model reads English and Serbian)"
    return f"language not supported: {language}"


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _langid(text: str) -> tuple[str, float]:
    """py3langid's best guess (on the lower-cased text: headlines in capitals mislead it), with the Serbo-Croatian
    family summed into ``sr``."""
    ranked = _identifier().rank(text.lower())
    family: dict[str, float] = {}
    for code, p in ranked:
        key = "sr" if code in _SERBIAN_FAMILY else code
        family[key] = family.get(key, 0.0) + float(p)
    best = max(family, key=family.get)
    return best, family[best]


#: Another language is declared only when py3langid is this sure and the passage has at least this many words.
OTHER_CONFIDENCE, OTHER_MIN_WORDS = 0.9, 4


def flag_counts(flags: np.ndarray, token_doc: np.ndarray, n_docs: int) -> np.ndarray:
    """Per passage, how many tokens carry each flag of :func:`token_flags` (shape ``(n_docs, 7)``), from each
    token's flags and passage; negative flags (separators) count as none."""
    flags = np.where(flags < 0, 0, flags)
    return np.stack(
        [np.bincount(token_doc, weights=(flags >> k) & 1, minlength=n_docs)[:n_docs] for k in range(7)], axis=1
    ).astype(np.int64)


def decide(counts: np.ndarray, texts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Language, script and stemming language of each passage from its token counts.

    Parameters
    ----------
    counts : int array of shape (n, 7)
        Per passage, tokens carrying each flag of :func:`token_flags`, in bit order (English word, Serbian word,
        Serbian letter, Cyrillic, foreign Cyrillic, Latin, word).
    texts : sequence of str
        The passages, for the few that the counts leave undecided.
    """
    en, sr, sr_letter, cyr, foreign, latin, words = (counts[:, k] for k in range(7))
    n = len(counts)
    script = np.full(n, "none", dtype=object)
    script[(latin > 0) & (cyr == 0)] = "latin"
    script[(cyr > 0) & (latin == 0)] = "cyrillic"
    script[(cyr > 0) & (latin > 0)] = "mixed"
    # a few Latin words (NATO, EU, a name) inside Cyrillic text do not make the script mixed
    script[(cyr > 0) & (latin > 0) & (latin * 5 <= cyr)] = "cyrillic"
    script[(cyr > 0) & (latin > 0) & (cyr * 5 <= latin)] = "latin"

    serbian_score = sr + np.minimum(sr_letter, 3) + (cyr - foreign) * 2
    english_score = en.astype(float)
    language = np.full(n, "", dtype=object)
    language[words == 0] = "none"
    foreign_cyrillic = (foreign > 0) & (foreign * 4 >= cyr - foreign)
    language[(language == "") & foreign_cyrillic & (en + sr == 0)] = "?"
    both = (en >= 2) & (sr + (cyr > 0) * sr >= 2)
    small, large = np.minimum(english_score, serbian_score), np.maximum(english_score, serbian_score)
    language[(language == "") & both & (small >= 0.4 * large)] = "mixed"
    language[(language == "") & (english_score > serbian_score)] = "en"
    language[(language == "") & (serbian_score > english_score)] = "sr"
    language[language == ""] = "?"
    for i in np.flatnonzero(language == "?").tolist():
        text = texts[i]
        guess, confidence = _langid(text)
        if foreign_cyrillic[i]:  # letters Serbian does not have: another Cyrillic language, whatever the model's doubt
            language[i] = f"other:{guess}" if guess not in SUPPORTED else "other:unknown"
        elif guess in SUPPORTED:
            language[i] = guess
        elif confidence >= OTHER_CONFIDENCE and words[i] >= OTHER_MIN_WORDS:
            language[i] = f"other:{guess}"
        else:
            language[i] = "sr" if cyr[i] > latin[i] or sr_letter[i] else "en"
    reads_as = np.where(serbian_score > english_score, "sr", "en").astype(object)
    reads_as[language == "sr"] = "sr"
    reads_as[language == "en"] = "en"
    return language, script, reads_as


_WORD = re.compile(r"\w+(?:['’\-]\w+)*")


def profile(texts) -> list[Profile]:
    """The :class:`Profile` of each text (see :func:`flag_counts` and :func:`decide`)."""
    texts = list(texts)
    tokens = [_WORD.findall(text.lower()) for text in texts]
    flags = np.fromiter((token_flags(t) for words in tokens for t in words), dtype=np.int64)
    token_doc = np.repeat(np.arange(len(texts)), [len(words) for words in tokens])
    language, script, reads_as = decide(flag_counts(flags, token_doc, len(texts)), texts)
    return [Profile(l, s, r) for l, s, r in zip(language.tolist(), script.tolist(), reads_as.tolist())]


def detect(text: str) -> Profile:
    """The :class:`Profile` of one text.

    >>> detect("Ovo je standardni plan saradnje i ne predstavlja vojni savez.")
    Profile(language='sr', script='latin', reads_as='sr')
    >>> detect("Ово је стандардни план сарадње.").script
    'cyrillic'
    >>> detect("Serbia and Hungary will forge a mighty military alliance!").language
    'en'
    """
    return profile([text])[0]
