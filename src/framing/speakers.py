"""Who speaks in a passage: quoted and reported speech, the speaker behind it, and the speaker's source type.

Attribution reads the passage with its quotations masked, so that words inside a
quote ("It was stated by the ministries that ...") never name the speaker of the
quote. It recognises

- a speaker before a reporting verb: "Kovač adds that", "the Ministry stated that",
  "X, a researcher at Y, says for the Courier that", "Perić je izjavio da";
- a speaker after it: "…”, she states.", "…,” said Dr. Ana Kovač, a professor.",
  "…“, rekao je ministar odbrane.";
- "according to X", "in X's opinion", "prema rečima X", and "X: …" headlines;
- pronouns ("she states", "he concludes") and Serbian sentences without a subject
  ("Dodao je da …"), which continue the last speaker named.

Names are resolved against the whole article ("Perić" → "Petar Perić"), and
people are placed by the roles the article gives them ("President …", "…, a
researcher at the … Centre") through the :class:`~framing.sources.SourceRegistry`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .segment import Passage
from .sources import UNKNOWN, SourceRegistry, fold

__all__ = ["Attribution", "Speaker", "find_attribution", "split_name", "ArticleSpeakers", "PRONOUNS"]

_SPEAKING_VERBS = r"""
    say|says|said|state|states|stated|note|notes|noted|add|adds|added|remark|remarks|remarked|
    stress|stresses|stressed|explain|explains|explained|conclude|concludes|concluded|clarify|clarifies|clarified|
    underline|underlines|underlined|emphasi[sz]e|emphasi[sz]es|emphasi[sz]ed|tell|tells|told|claim|claims|claimed|
    argue|argues|argued|insist|insists|insisted|points?\s+out|pointed\s+out|assert|asserts|asserted|
    reply|replies|replied|answer|answers|answered|comment|comments|commented|declare|declares|declared|
    reiterate|reiterates|reiterated|elaborate|elaborates|elaborated|concede|concedes|conceded|
    write|writes|wrote|report|reports|reported|warn|warns|warned
"""
# verbs that report speech only when "that", a colon or a quotation follows ("agreed on 79 activities" does not)
_STRICT_VERBS = r"""
    agree|agrees|agreed|believe|believes|believed|think|thinks|thought|recall|recalls|recalled|
    announce|announces|announced|confirm|confirms|confirmed|deny|denies|denied|suggest|suggests|suggested|
    observe|observes|observed|highlight|highlights|highlighted|estimate|estimates|estimated|
    assess|assesses|assessed|acknowledge|acknowledges|acknowledged|admit|admits|admitted|
    predict|predicts|predicted|assure|assures|assured|specif(?:y|ies|ied)|indicate|indicates|indicated
"""
_SERBIAN_VERBS = r"""
    izjavi(?:o|la|li|le|lo)|izjavljuje|izjavljuju|rek(?:ao|la|li|le|lo)|kaže|kažu|kaza(?:o|la|li)|
    navod(?:i|e)|nave(?:o|la|li|le|lo)|ističe|ističu|ista(?:kao|kla|kli|klo)|doda(?:je|ju|o|la|li|lo)|
    smatra|smatraju|smatra(?:o|la|li)|objašnjava|objasni(?:o|la|li)|pojašnjava|pojasni(?:o|la|li)|
    naglašava|naglasi(?:o|la|li|lo)|tvrd(?:i|e)|tvrdi(?:o|la|li)|ocenjuje|ocenjuju|oceni(?:o|la|li)|
    zaključuje|zaključi(?:o|la|li)|saopšti(?:o|la|lo|li)|saopštava|poruči(?:o|la|li|lo)|poručuje|
    piš(?:e|u)|pisa(?:o|la|li|lo)|upozorava|upozori(?:o|la|li|lo)|napominje|napomenu(?:o|la|li)|
    podseća|podseti(?:o|la|li)|prenos(?:i|e)|ukazuje|ukaza(?:o|la|li)|precizira|precizira(?:o|la|li)
"""
_DESCRIBING_VERBS = r"""
    call|calls|called|describe|describes|described|dub|dubs|dubbed|label|labels|label?led|brand|brands|branded|
    hail|hails|hailed|nazva(?:o|la|li)|naziva|nazivaju
"""
_SERBIAN = re.compile(_SERBIAN_VERBS, re.VERBOSE | re.IGNORECASE)
_VERB = re.compile(
    rf"(?<![\w\-])(?P<verb>{_SPEAKING_VERBS}|{_SERBIAN_VERBS}|(?P<strict>{_STRICT_VERBS})|(?P<describe>{_DESCRIBING_VERBS}))(?![\w\-])",
    re.VERBOSE | re.IGNORECASE,
)

Q = "\ue000"  # a masked quotation
_DOT = "\u2024"  # the full stop of an abbreviation or an initial, which ends no phrase
_PROTECT = re.compile(
    r"(?<![\w.])(?:(?i:mr|mrs|ms|dr|prof|gen|lt|col|maj|capt|sgt|adm|brig|sen|rep|gov|amb|hon|rev|st|no|gđa|gosp|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|i\.e|e\.g)|[A-ZČĆŠŽĐ])\."
)
_STOP = rf"(?=$|[,;:{Q}]|[.!?](?:\s|$)|\s[-–—]\s)"
_BOUNDARY = re.compile(rf"[,;:\u2014\u2013{Q}]|(?<=[.!?])\s|\s[-–—]\s")
_AUXILIARIES = re.compile(
    r"(?:\s+(?:has|have|had|also|further|then|later|again|previously|recently|earlier|repeatedly|once|did|does|do|not|"
    r"never|still|only|now|already|first|briefly|publicly|openly|separately|would|will|could|may|might|must|"
    r"je|su|nije|nisu|takođe|još|danas|juče|ranije|tada|potom|bi|će))+\s*$",
    re.IGNORECASE,
)
_PASSIVE = re.compile(r"(?:^|\s)(?:is|was|are|were|be|been|being|it's)\s*$", re.IGNORECASE)
_LEADING_AUX = re.compile(r"^\s*(?:(?:je|su|has|have|had|also|then|further|again|takođe)\s+)*", re.IGNORECASE)
_CONJUNCTIONS = re.compile(
    r"^(?:(?:and|but|while|as|although|though|since|so|yet|whereas|which|who|i|a|ali|dok|kako|jer|pa|te|"
    r"međutim|however|also|then|meanwhile)\s+)+",
    re.IGNORECASE,
)
_TIME_WORDS = (
    r"\d[\w.\u2024/-]*|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"morning|afternoon|evening|night|day|week|weekend|month|year|spring|summer|autumn|fall|winter|same|next|last|"
    r"this|that|first|the|a"
)
_DATE_ADVERBIAL = re.compile(
    rf"^(?:on|in|at|during|since|until|by|last|this|earlier|later|early|late)(?:\s+(?:{_TIME_WORDS})\u2024?)+,?\s+(?=\S)",
    re.IGNORECASE,
)
_DETERMINERS = re.compile(
    r"^(?:(?:the|a|an|some|most|many|several|all|both|few|a\s+few|other|two|three|"
    r"(?:a\s+|the\s+)?(?:vast\s+|large\s+|small\s+|great\s+)?(?:majority|number|minority|handful|part|group)\s+of)\s+)+",
    re.IGNORECASE,
)
_THAT_CLAUSE = rf"(?:[^,;:.!?{Q}]{{0,60}}?\s)?(?:that|da)\b"
_PREPOSITIONS = "for|to|in|on|at|during|after|before|about|with|from|za|u|na|nakon|tokom|pred"


def _phrase(prepositions: str) -> str:
    """An optional prepositional phrase after a reporting verb ("for EWB", "during the visit")."""
    return rf"(?:(?:{prepositions})\b[^,;:.!?{Q}]{{0,60}})?"


_THAT_OR_QUOTE = re.compile(
    rf"^\s*(?:{_THAT_CLAUSE}|{_phrase(_PREPOSITIONS + '|ovako')}\s*(?:[,;:.!?\u2014\u2013]|{Q}|$))", re.IGNORECASE
)
_STRICT_FOLLOWS = re.compile(rf"^\s*(?:{_THAT_CLAUSE}|{_phrase(_PREPOSITIONS)}\s*[:{Q}])", re.IGNORECASE)
_QUOTE_FOLLOWS = re.compile(rf"^[^,;:.!?]{{0,40}}?{Q}")
_INVERTED = re.compile(rf"^\s*(?!(?:that|da|for|to|in|on|at|about|with|from|za|u|na|the\s+\w+\s+(?:of|to))\b)(?P<who>[^,;:{Q}]+?)\s*(?=$|[,;:]|[.!?](?:\s|$)|\s(?:that|da)\b|\s[-–—]\s)")
_APPOSITION = re.compile(rf"^,\s*(?P<role>[^,;:{Q}]+?)\s*{_STOP}")
_ACCORDING = re.compile(
    rf"(?<!\w)(?P<cue>according\s+to|prema\s+(?:rečima|navodima|oceni|mišljenju|izjavi|tvrdnjama)|"
    rf"po\s+(?:rečima|oceni|mišljenju|navodima))\s+(?P<who>[^,;:{Q}]+?)\s*{_STOP}",
    re.IGNORECASE,
)
_OPINION = re.compile(
    rf"(?<!\w)in\s+(?P<who>[^,;:{Q}]+?)[’']s?\s+(?:opinion|view|words|assessment|estimation|judge?ment|analysis|reading)\b",
    re.IGNORECASE,
)
_NOT_SUBJECTS = re.compile(r"^(?:whether|if|unless|because|when|once|until|whose|which|who|whom|that|what|how|why)\b", re.IGNORECASE)
_ASIDE = re.compile(
    r",\s*(?:(?:speaking|writing|asked|responding|commenting|talking|quoted)\b|"
    r"in\s+(?:a|an|its|his|her|their)\s+(?:statement|interview|press\s+release|communiqué|letter|post)\b)[^,]*,?\s*$",
    re.IGNORECASE,
)
_NAME_THEN_PLACE = re.compile(r"^(?P<name>(?:[A-ZČĆŠŽĐ][\w’'\-\u2024.]*\s+){0,3}[A-ZČĆŠŽĐ][\w’'\-]+)\s+(?P<role>(?:of|at|from|with)\s.+)$")
_HEADLINE = re.compile(r"^(?P<who>(?:[A-ZČĆŠŽĐ][\w’'\-\u2024]*\s+){0,3}[A-ZČĆŠŽĐ][\w’'\-]+)\s*:\s")
_PERSON_PRONOUNS = frozenset({"he", "she", "on", "ona"})
_GROUP_PRONOUNS = frozenset({"they", "it", "oni", "one", "ono"})
#: Pronouns that continue an earlier speaker.
PRONOUNS = _PERSON_PRONOUNS | _GROUP_PRONOUNS
_HONORIFICS = {"mr", "mrs", "ms", "dr", "prof", "sir", "dame", "gospodin", "gospođa", "gđa", "gosp"}
_PLACE_PREPOSITIONS = {"of", "in", "at", "the", "iz", "u", "na", "od"}
_NOT_NAMES = {
    "the", "a", "an", "in", "on", "at", "for", "from", "by", "with", "according", "however", "also", "then", "when",
    "while", "after", "before", "since", "finally", "this", "that", "these", "those", "our", "their", "his", "her",
    "its", "if", "although", "thus", "therefore", "it", "he", "she", "they", "we", "i", "you", "speaking",
    "elaborating", "asked", "but", "and", "as", "so", "yet", "meanwhile", "moreover", "furthermore", "still", "even",
    "only", "many", "some", "most", "several", "others", "other", "all", "both", "few", "everyone", "nobody", "people",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
    "april", "may", "june", "july", "august", "september", "october", "november", "december", "last", "next",
    "earlier", "later", "today", "yesterday", "danas", "juče", "kako", "prema", "po", "ovo", "to", "reč",
}


@dataclass(frozen=True)
class Attribution:
    """Speech found in a passage: who speaks (as written), the words that say so, and any role given.

    ``who`` is empty for a Serbian sentence without a subject ("Dodao je da …"), which
    continues the last speaker. ``headline`` marks a "Name: claim" heading, which counts only when
    the article names that person as a speaker elsewhere.
    """

    who: str
    cue: str
    role: str = ""
    headline: bool = False


@dataclass(frozen=True)
class Speaker:
    """A resolved speaker: the name to show, the source type, the roles that placed them."""

    name: str
    source_type: str
    role: str = ""
    person: bool = False


def _restore(text: str) -> str:
    return text.replace(_DOT, ".")


def _mask(text: str, quotes) -> str:
    parts, last = [], 0
    for q in quotes:
        parts += [text[last : q.start], Q]
        last = q.end
    parts.append(text[last:])
    return _PROTECT.sub(lambda m: m.group(0)[:-1] + _DOT, "".join(parts))


def _clean(phrase: str) -> tuple[str, str]:
    """A speaker phrase without leading conjunctions, dates, determiners and parentheses; and the parentheses' text."""
    aside = " ".join(re.findall(r"\(([^)]*)\)", phrase))
    phrase = re.sub(r"\s*\([^)]*\)", "", phrase).strip(" \t,;:-–—\"'“”„«»")
    phrase = _CONJUNCTIONS.sub("", phrase)
    phrase = _DATE_ADVERBIAL.sub("", phrase)
    phrase = _DETERMINERS.sub("", phrase)
    return _restore(phrase.strip(" .,")), _restore(aside)


def _is_capitalised(word: str) -> bool:
    word = word.strip("(\"'“”„«»‘’")
    return bool(word) and word[0].isupper()


def _titles(run: list[str], registry: SourceRegistry) -> tuple[list[str], list[str]]:
    """Split a run of capitalised words after its last title word: "Wing Commander", "Aaron Pike"."""
    titled = [k for k, w in enumerate(run[:-1]) if w.strip(".\u2024").lower() in _HONORIFICS or registry.is_role_word(w.strip("\u2024"))]
    return (run[: titled[-1] + 1], run[titled[-1] + 1 :]) if titled else ([], run)


def split_name(phrase: str, registry: SourceRegistry) -> tuple[str, str]:
    """``(name, title)`` of the person a speaker phrase names, or ``("", phrase)`` when it names no one.

    The name is the run of capitalised words that ends the phrase, without the titles
    before it ("President Petar Perić" → "Petar Perić", "President"). A run
    after "of" or "in", one ending in a role word ("Ministry of Defence of the Republic",
    "Security Affairs Centre") or naming an outlet is not a person.

    >>> split_name("defence analyst Marko Marković", SourceRegistry(roles={"expert": ["analyst"]}))
    ('Marko Marković', 'defence analyst')
    """
    leading = _NAME_THEN_PLACE.match(phrase)
    if leading and not registry.is_role_word(phrase.split()[0]):
        name, title = split_name(leading.group("name"), registry)
        if name:
            return name, " ".join(filter(None, (title, leading.group("role"))))
    words = phrase.split()
    i = len(words)
    while i > 0 and _is_capitalised(words[i - 1]):
        i -= 1
    before = words[:i]
    titles, run = _titles(words[i:], registry)
    while run and run[0].strip(".").lower() in _NOT_NAMES:
        run.pop(0)
    if (
        not run
        or (before and not titles and before[-1].lower() in _PLACE_PREPOSITIONS)
        or registry.is_role_word(run[-1])
        or registry.is_outlet(" ".join(run))
    ):
        return "", phrase
    return " ".join(run), " ".join(before + titles)


def _speakerlike(who: str, registry: SourceRegistry) -> bool:
    words = who.split()
    if not words or len(words) > 12:
        return False
    if who.lower() in PRONOUNS or split_name(who, registry)[0]:
        return True
    return registry.classify(who)[0] != UNKNOWN


def _role_like(text: str, registry: SourceRegistry) -> bool:
    text = _restore(text)
    return bool(re.match(r"\s*(?:a|an|the)\s", text, re.IGNORECASE)) or registry.classify(text)[0] != UNKNOWN


def _inverted(post: str, verb: str, registry: SourceRegistry) -> Attribution | None:
    """``… said the minister`` / ``rekao je ministar X``: the speaker after the verb, with an apposition."""
    rest = _LEADING_AUX.sub("", post)
    found = _INVERTED.match(rest)
    if not found:
        return None
    who, aside = _clean(found.group("who"))
    if not _speakerlike(who, registry):
        return None
    apposition = _APPOSITION.match(rest[found.end() :])
    role = apposition.group("role") if apposition and _role_like(apposition.group("role"), registry) else ""
    return Attribution(who, _restore(f"{verb} {found.group('who').strip()}"), _restore(" ".join(filter(None, (role, aside)))))


def _apposed(pre: str, verb: str, registry: SourceRegistry) -> Attribution | None:
    """``Name, a role at an institution, says``: the speaker before a comma-set apposition."""
    parts = pre.rstrip().rstrip(",").split(",")
    if len(parts) < 2 or not _role_like(parts[-1], registry):
        return None
    head = re.split(rf"[;:{Q}]|(?<=[.!?])\s", parts[-2])[-1]
    who, aside = _clean(head)
    if not split_name(who, registry)[0]:
        return None
    role = _restore(re.sub(r"\s+", " ", parts[-1]).strip())
    return Attribution(who, f"{who} {verb}", " ".join(filter(None, (role, aside))))


def _last_clause(text: str) -> str:
    cut = max((m.end() for m in _BOUNDARY.finditer(text)), default=0)
    return _CONJUNCTIONS.sub("", text[cut:].strip())


def _from_verb(masked: str, match: re.Match, registry: SourceRegistry) -> Attribution | None:
    pre, post = masked[: match.start()], masked[match.end() :]
    verb = match.group("verb")
    serbian = bool(_SERBIAN.fullmatch(verb))
    if (
        (_PASSIVE.search(pre) and not serbian)
        or (match.group("describe") and not _QUOTE_FOLLOWS.match(post))
        or (match.group("strict") and not _STRICT_FOLLOWS.match(post))
    ):
        return None
    unaided = _AUXILIARIES.sub("", pre)
    stripped = _ASIDE.sub(", ", unaided)
    segment = _last_clause(stripped)
    if serbian or not segment:  # "Danas je izjavio Perić da …", "…, said Ana Kovač": the subject follows the verb
        found = _inverted(post, verb, registry)
        if found and split_name(found.who, registry)[0]:
            return found
    if not segment:
        found = _apposed(stripped, verb, registry) or _inverted(post, verb, registry)
        if found:
            return found
        if serbian and not _last_clause(pre) and re.match(rf"^\s*(?:(?:je|su)\b)?\s*(?:da\b|:|{Q}|[.!?]|$)", post):
            return Attribution("", verb)
        if stripped == unaided:
            return None
        segment = _last_clause(stripped.rstrip().rstrip(","))  # "An official, speaking on background, said"
    if _NOT_SUBJECTS.match(segment):
        return None
    who, aside = _clean(segment)
    if not _speakerlike(who, registry) or (who.lower() in PRONOUNS and not _THAT_OR_QUOTE.match(post)):
        return None
    return Attribution(who, f"{_restore(segment)} {verb}", aside)


def find_attribution(passage: Passage | str, registry: SourceRegistry, quotes=(), heading: bool = False) -> Attribution | None:
    """The speech a passage reports and who speaks it, or None for narration.

    Parameters
    ----------
    passage : Passage or str
        The passage; with a plain string, pass its ``quotes`` (see :func:`framing.segment.quote_spans`).
    registry : SourceRegistry
        Tells speakers ("the Ministry", "analysts") from other subjects ("the document").
    heading : bool
        Read "Name: claim" as the named person's words.

    Examples
    --------
    >>> from framing.segment import quote_spans
    >>> text = "“It is a plan, not an alliance”, Ana Kovač notes."
    >>> find_attribution(text, SourceRegistry(), quote_spans(text))
    Attribution(who='Ana Kovač', cue='Ana Kovač notes', role='', headline=False)
    """
    if isinstance(passage, Passage):
        text, quotes, heading = passage.text, passage.quotes, passage.heading or heading
    else:
        text = passage
    masked = _mask(text, quotes)
    headline = _HEADLINE.match(masked)
    if headline:
        quoted = masked[headline.end() :].lstrip().startswith(Q)
        who = _restore(headline.group("who"))
        if (heading or quoted) and split_name(who, registry)[0]:
            return Attribution(who, f"{who}:", headline=not quoted)
    candidates = []
    for pattern in (_ACCORDING, _OPINION):
        for m in pattern.finditer(masked):
            who, aside = _clean(m.group("who"))
            if _speakerlike(who, registry) and who.lower() not in PRONOUNS:
                candidates.append((m.start(), Attribution(who, _restore(m.group(0)).strip(), aside)))
                break
    for m in _VERB.finditer(masked):
        found = _from_verb(masked, m, registry)
        if found is not None:
            candidates.append((m.start(), found))
            break
    return min(candidates, key=lambda c: c[0])[1] if candidates else None


# -- the people of an article ----------------------------------------------------------------------


@dataclass
class _Person:
    name: str
    mentions: list = field(default_factory=list)
    roles: list = field(default_factory=list)
    introduced: int | None = None


class ArticleSpeakers:
    """The people an article names, and the speakers of its passages in reading order.

    Parameters
    ----------
    passages : list of Passage
        The article's passages: where people are named, with which titles and appositions.
    registry : SourceRegistry
        Places speakers by outlet, person and role.
    narrator : Speaker
        The article's own voice.
    """

    def __init__(self, passages: list[Passage], registry: SourceRegistry, narrator: Speaker):
        self.registry = registry
        self.narrator = narrator
        self._people: dict[str, list[_Person]] = {}
        self._last: dict[str, tuple[int, Speaker]] = {}
        self._spoken: set[str] = set()
        self._common = {w for p in passages for w in re.findall(r"[^\W\d]+", p.text) if w.islower()}
        for position, passage in enumerate(passages):
            self._index(_mask(passage.text, passage.quotes), position)

    def _index(self, masked: str, position: int) -> None:
        tokens = list(re.finditer(r"\S+", masked))
        i = 0
        while i < len(tokens):
            if not _is_capitalised(tokens[i].group()):
                i += 1
                continue
            j = i + 1
            while j < len(tokens) and _is_capitalised(tokens[j].group()) and not re.search(r"[,;:.!?)\]”\"]$", tokens[j - 1].group()):
                j += 1
            self._add_run(masked, tokens[i:j], position)
            i = j

    def _add_run(self, masked: str, run: list[re.Match], position: int) -> None:
        words = [re.sub(r"(?:[’']s)?[^\w\u2024\-]*$", "", re.sub(r"^\W+", "", m.group())) for m in run]
        while len(words) > 1 and (words[0].lower() in _NOT_NAMES or words[0].lower() in self._common):
            words, run = words[1:], run[1:]
        titles, words = _titles(words, self.registry)
        run = run[len(titles) :]
        titles = [_restore(t) for t in titles]
        if not words or not words[-1] or self.registry.is_role_word(words[-1]) or self.registry.is_outlet(" ".join(words)):
            return
        if any(w.lower() in self._common or w.lower() in _NOT_NAMES for w in words):
            return
        before = masked[: run[0].start()].split()
        if not titles and before and before[-1].lower() in _PLACE_PREPOSITIONS:
            return
        lead = self._adjacent_role(masked[: run[0].start()]) if not titles else ""
        after = _APPOSITION.match(masked[run[-1].end() - run[-1].group().endswith(",") :])
        roles = titles + ([lead] if lead else [])
        if after and _role_like(after.group("role"), self.registry):
            roles.append(_restore(after.group("role")))
        known = fold(words[-1]) in self._people
        if len(words) > 1 or roles or known:
            self._remember(_restore(" ".join(words)), roles, position, introduced=len(words) > 1 or bool(roles))

    def _adjacent_role(self, before: str) -> str:
        window = re.split(r"[,;:.!?(\u2014\u2013\ue000]", before)[-1]
        window = " ".join(window.split()[-4:])
        found = self.registry.match(_restore(window))
        if found and not window[found[3] :].strip():
            return _restore(window[found[2] :])
        return ""

    def _remember(self, name: str, roles: list[str], position: int, introduced: bool = False) -> _Person:
        people = self._people.setdefault(fold(name.split()[-1]), [])
        for person in people:
            if fold(person.name).endswith(fold(name)) or fold(name).endswith(fold(person.name)):
                if len(name) > len(person.name):
                    person.name = name
                break
        else:
            person = _Person(name)
            people.append(person)
        person.mentions.append(position)
        person.roles += [r for r in roles if r and r not in person.roles]
        if introduced and person.introduced is None:
            person.introduced = position
        return person

    def _person(self, name: str, position: int) -> _Person:
        people = self._people.get(fold(name.split()[-1]), [])
        matching = [p for p in people if fold(p.name).endswith(fold(name)) or fold(name).endswith(fold(p.name))]
        if not matching:
            return self._remember(name, [], position)
        earlier = [p for p in matching if min(p.mentions) <= position]
        return max(earlier or matching, key=lambda p: max((m for m in p.mentions if m <= position), default=-1))

    def _as_speaker(self, person: _Person) -> Speaker:
        roles = "; ".join(person.roles)
        kind = self.registry.person(person.name) or self.registry.classify(roles)[0]
        return Speaker(person.name, kind, roles, person=True)

    def _last_introduced(self, position: int) -> tuple[int, Speaker] | None:
        found = None
        for people in self._people.values():
            for person in people:
                seen = [m for m in person.mentions if m <= position]
                if person.introduced is not None and person.introduced <= position and seen and (found is None or max(seen) > found[0]):
                    found = (max(seen), person)
        return (found[0], self._as_speaker(found[1])) if found else None

    def speaks(self, name: str) -> bool:
        """Whether someone with this surname has been resolved as a speaker."""
        return bool(name) and fold(name.split()[-1]) in self._spoken

    def resolve(self, attribution: Attribution, position: int, remember: bool = True) -> Speaker:
        """The speaker an attribution names in passage ``position``.

        A pronoun continues the last person (or group) who spoke, or a person named
        since then; a missing subject continues the last speaker. With ``remember``
        False the speaker does not become the one later pronouns continue.
        """
        who = attribution.who
        if not who:
            found = self._last.get("any", (0, None))[1]
        elif who.lower() in _GROUP_PRONOUNS:
            found = self._last.get("group", (0, None))[1]
        elif who.lower() in _PERSON_PRONOUNS:
            spoke = self._last.get("person")
            named = self._last_introduced(position)
            choices = [c for c in (spoke, named) if c is not None]
            found = max(choices, key=lambda c: c[0])[1] if choices else None
        else:
            found = self._named(who, attribution.role, position)
        if found is None:
            return Speaker(UNKNOWN, UNKNOWN)
        if remember:
            self._last["any"] = (position, found)
            self._last["person" if found.person else "group"] = (position, found)
            if found.person:
                self._spoken.add(fold(found.name.split()[-1]))
        return found

    def _named(self, who: str, role: str, position: int) -> Speaker:
        if self.narrator.name and re.search(rf"(?<!\w){re.escape(fold(self.narrator.name))}(?!\w)", fold(who)):
            return self.narrator
        name, title = split_name(who, self.registry)
        if not name:
            return Speaker(who, self.registry.classify(" ".join(filter(None, (who, role))))[0], role)
        person = self._person(name, position)
        person.roles += [r for r in (title, role) if r and r not in person.roles]
        return self._as_speaker(person)
