"""Who speaks in a passage: quoted and reported speech, the speaker behind it, and the speaker's source type.

Attribution reads the passage with its quotations masked, so that words inside a
quote ("It was stated by the ministries that ...") never name the speaker of the
quote. It recognises

- a speaker before a reporting verb: "Kovač adds that", "the Ministry stated that",
  "X, a researcher at Y, says for the Courier that", "Perić je izjavio da",
  "The pro-government tabloids Informer and Alo celebrated the plan as …";
- a speaker after it: "…”, she states.", "…,” said Dr. Ana Kovač, a professor.",
  "…“, rekao je ministar odbrane.", "…,” read the headline in Informer";
- "according to X", "in X's opinion", "in his opinion", "prema rečima X",
  "prema Vučićevim rečima", "po njegovoj oceni", "For X, …", and "X: …" headlines;
- pronouns ("she states", "he concludes"), participles and coordinated verbs
  ("…, adding that", "…, tvrdeći da", "called it accurate but insisted that"),
  Serbian sentences without a subject ("Dodao je da …") and impersonal ones
  ("U saopštenju se ističe da …"), which continue a speaker named before;
- descriptions that refer back: "the minister said" (the person with that title),
  "the daily predicted", "one front page read" (the outlet just named), "the
  source added" (the source who spoke).

Verbs that also take a plain object ("declared neutrality", "added two squadrons")
report speech only before "that", a quotation or a clause, so "Serbia declared
military neutrality in 2007" stays narration; countries and cities are never people.
Names are resolved against the whole article ("Perić" → "Petar Perić", "Novakovića"
→ "Novaković"), and speakers are placed by the roles the article gives them
("President …", "…, a researcher at the … Centre", "columnist" of an outlet)
through the :class:`~framing.sources.SourceRegistry`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .language import word_set
from .segment import Passage, transliterate
from .sources import UNKNOWN, SourceRegistry, fold

__all__ = ["PRONOUNS", "ArticleSpeakers", "Attribution", "Speaker", "find_attribution", "split_name"]

_SPEAKING_VERBS = r"""
    say|says|said|remark|remarks|remarked|
    stress|stresses|stressed|explain|explains|explained|conclude|concludes|concluded|clarify|clarifies|clarified|
    underline|underlines|underlined|emphasi[sz]e|emphasi[sz]es|emphasi[sz]ed|tell|tells|told|claim|claims|claimed|
    argue|argues|argued|insist|insists|insisted|points?\s+out|pointed\s+out|assert|asserts|asserted|
    reiterate|reiterates|reiterated|elaborate|elaborates|elaborated|concede|concedes|conceded|
    warn|warns|warned|retort|retorts|retorted
"""
# verbs that also take a plain object ("declared neutrality", "added two squadrons"): speech only before "that",
# a quotation, a clause ("added the plan was"), or the end of the sentence
_OBJECT_VERBS = r"""
    state|states|stated|note|notes|noted|add|adds|added|reply|replies|replied|answer|answers|answered|
    comment|comments|commented|declare|declares|declared|write|writes|wrote|report|reports|reported
"""
# verbs that report speech only when "that", a colon, a question word or a quotation follows ("agreed on 79
# activities" does not), or as the tag after a quotation ("…,” read the headline)
_STRICT_VERBS = r"""
    agree|agrees|agreed|believe|believes|believed|think|thinks|thought|recall|recalls|recalled|
    announce|announces|announced|confirm|confirms|confirmed|deny|denies|denied|suggest|suggests|suggested|
    observe|observes|observed|highlight|highlights|highlighted|estimate|estimates|estimated|
    assess|assesses|assessed|acknowledge|acknowledges|acknowledged|admit|admits|admitted|
    predict|predicts|predicted|assure|assures|assured|specif(?:y|ies|ied)|indicate|indicates|indicated|
    allege|alleges|alleged|promise|promises|promised|vow|vows|vowed|pledge|pledges|pledged|
    question|questions|questioned|ask|asks|asked|wonder|wonders|wondered|complain|complains|complained|
    urge|urges|urged|read|reads|fear|fears|feared|doubt|doubts|doubted
"""
_SERBIAN_STRICT_VERBS = r"""
    objavi(?:o|la|li|le|lo)|objavljuj(?:e|u)|glas(?:i|e)|glasi(?:o|la|li|le|lo)|najavi(?:o|la|li|le|lo)|najavljuj(?:e|u)|
    najavljiva(?:o|la|li|le|lo)|izrazi(?:o|la|li|le|lo)|pita(?:o|la|li|le|lo)?|pitaju
"""
_SERBIAN_VERBS = r"""
    izjavi(?:o|la|li|le|lo)|izjavljuje|izjavljuju|rek(?:ao|la|li|le|lo)|kaže|kažu|kaza(?:o|la|li)|
    navod(?:i|e)|nave(?:o|la|li|le|lo)|ističe|ističu|ista(?:kao|kla|kli|kle|klo)|istica(?:o|la|li|le)|doda(?:je|ju|o|la|li|le|lo)|
    smatra|smatraju|smatra(?:o|la|li|le)|objašnjava|objasni(?:o|la|li)|pojašnjava|pojasni(?:o|la|li)|
    naglašava|naglasi(?:o|la|li|lo)|tvrd(?:i|e)|tvrdi(?:o|la|li|le)|ocenjuje|ocenjuju|oceni(?:o|la|li|le)|
    zaključuje|zaključi(?:o|la|li)|saopšti(?:o|la|lo|li|le)|saopštava|poruči(?:o|la|li|lo|le)|poručuje|
    piš(?:e|u)|pisa(?:o|la|li|lo|le)|napisa(?:o|la|li|lo|le)|upozorava|upozori(?:o|la|li|lo)|napominje|
    napomenu(?:o|la|li)|podseća|podseti(?:o|la|li)|prenos(?:i|e)|prene(?:o|la|li|lo)|ukazuje|ukaza(?:o|la|li)|
    precizira|precizira(?:o|la|li)|zahvali(?:o|la|li|lo)|govori(?:o|la|li)?|odgovori(?:o|la|li|lo)
"""
_DESCRIBING_VERBS = r"""
    call|calls|called|describe|describes|described|dub|dubs|dubbed|label|labels|label?led|brand|brands|branded|
    hail|hails|hailed|present|presents|presented|greet|greets|greeted|celebrate|celebrates|celebrated|
    tout|touts|touted|portray|portrays|portrayed|depict|depicts|depicted|scream|screams|screamed|shout|shouts|shouted|led\s+with|leads\s+with|
    nazva(?:o|la|li|le)|naziva|nazivaju|opisa(?:o|la|li|le)|opisuj(?:e|u)|predstavi(?:o|la|li|le)|predstavlja(?:ju)?|
    proglasi(?:o|la|li|le)|slavi(?:o|la|li|le)?|pozdravi(?:o|la|li|le)|kritikova(?:o|la|li|le)|osudi(?:o|la|li|le)|
    izaša(?:o|la|li|le)|
    (?P<attitude>thank|thanks|thanked|welcome|welcomes|welcomed|praise|praises|praised|accuse|accuses|accused|
    criticise|criticises|criticised|criticize|criticizes|criticized|condemn|condemns|condemned|dismiss|dismisses|
    dismissed|reject|rejects|rejected|gloat|gloats|gloated|boast|boasts|boasted|demand|demands|demanded|
    brush(?:es|ed)?\s+aside)
"""
# "…, adding that", "…, tvrdeći da": the subject is the sentence's
_PARTICIPLES = r"""
    saying|adding|noting|insisting|arguing|claiming|warning|stressing|describing|calling|announcing|writing|
    predicting|telling|explaining|suggesting|accusing|asking|urging|promising|branding|dubbing|hailing|
    celebrating|declaring|stating|reporting|alleging|
    tvrdeći|navodeći|ističući|dodajući|pišući|ocenjujući|naglašavajući|upozoravajući|najavljujući|opisujući|
    podsećajući|objašnjavajući|poručujući|kazavši|rekavši|istakavši|dodavši|navevši
"""
_SERBIAN = re.compile(rf"{_SERBIAN_VERBS}|{_SERBIAN_STRICT_VERBS}", re.VERBOSE | re.IGNORECASE)
_VERB = re.compile(
    rf"""(?<![\w\-])(?P<verb>{_SPEAKING_VERBS}|{_SERBIAN_VERBS}|(?P<object>{_OBJECT_VERBS})|
    (?P<strict>{_STRICT_VERBS}|{_SERBIAN_STRICT_VERBS})|
    (?P<describe>{_DESCRIBING_VERBS})|(?P<participle>{_PARTICIPLES}))(?![\w\-])""",
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
    r"međutim|however|also|then|meanwhile)(?:\s+|$))+",
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
    r"^(?:(?:the|a|an|one|some|most|many|several|all|both|few|a\s+few|other|two|three|"
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
_STRICT_FOLLOWS = re.compile(
    rf"^\s*(?:{_THAT_CLAUSE}|{_phrase(_PREPOSITIONS)}\s*[:{Q}]|"
    rf"(?:[^,;:.!?{Q}]{{0,40}}?\s)?(?:whether|why|if|how|who|what|when|da\s+li|zašto|ko|šta|kako)\b|"
    rf"[^,;:.!?{Q}]{{0,40}}?\s(?:as|kao)\b[^,;:.!?]{{0,30}}?{Q})",
    re.IGNORECASE,
)
# the tag after reported words: "…, X announced on Monday." / "…”, read the headline"
_TAG_END = re.compile(rf"^\s*{_phrase(_PREPOSITIONS)}\s*(?:[,;.!?]|{Q}|$)", re.IGNORECASE)
# "added the plan was routine": a clause without "that"
_THATLESS = re.compile(
    rf"^\s*(?:[^,;:.!?{Q}\s]+\s+){{1,6}}?(?:is|was|are|were|would|will|had|has|have|could|should|must|might|can|"
    rf"did|does|do|remains?|remained|needs?|needed)\b",
    re.IGNORECASE,
)
_AS_FOLLOWS = re.compile(rf"^[^,;:.!?{Q}]{{0,60}}?\s(?:as|kao)\s", re.IGNORECASE)
_QUOTE_FOLLOWS = re.compile(rf"^[^,;:.!?]{{0,40}}?{Q}")
_INVERTED = re.compile(rf"^\s*(?!(?:that|da|for|to|in|on|at|about|with|from|za|u|na|the\s+\w+\s+(?:of|to))\b)(?P<who>[^,;:{Q}]+?)\s*(?=$|[,;:]|[.!?](?:\s|$)|\s(?:that|da)\b|\s[-–—]\s)")
_APPOSITION = re.compile(rf"^,\s*(?P<role>[^,;:{Q}]+?)\s*{_STOP}")
_ACCORDING = re.compile(
    rf"(?<!\w)(?P<cue>according\s+to|prema\s+(?:rečima|navodima|oceni|mišljenju|izjavi|tvrdnjama|saopštenju|podacima|"
    rf"izveštaju|pisanju|tekstu|analizi|informacijama|proceni)|"
    rf"po\s+(?:rečima|oceni|mišljenju|navodima|proceni))\s+(?P<who>[^,;:{Q}]+?)\s*{_STOP}",
    re.IGNORECASE,
)
_VIEW_NOUNS = r"opinion|view|words|assessment|estimation|judge?ment|analysis|reading"
_OPINION = re.compile(rf"(?<!\w)in\s+(?P<who>[^,;:{Q}]+?)[’']s?\s+(?:{_VIEW_NOUNS})\b", re.IGNORECASE)
_OPINION_NOUNS = rf"(?:{_VIEW_NOUNS}|mind)"  # a pronoun's view may also be "in his mind"
_SERBIAN_OPINION = r"(?:rečima|mišljenju|oceni|proceni|navodima|tvrdnjama|izjavi|viđenju|shvatanju|tumačenju)"
# "In his opinion", "according to her", "po njegovoj oceni": a pronoun's view
_PRONOUN_VIEW = re.compile(
    rf"(?<!\w)(?:in\s+(?P<en>his|her|their|its)\s+{_OPINION_NOUNS}|according\s+to\s+(?P<obj>him|her|them)|"
    rf"(?:prema|po)\s+(?P<sr>njegov\w*|njen\w*|njihov\w*)\s+{_SERBIAN_OPINION})\b",
    re.IGNORECASE,
)
_PRONOUN_OF = {"his": "he", "him": "he", "her": "she", "their": "they", "them": "they", "its": "it", "njegov": "on", "njen": "ona", "njihov": "oni"}
# "Prema Vučićevim rečima": a possessive adjective made from the speaker's name
_POSSESSIVE_VIEW = re.compile(
    rf"(?<!\w)(?i:prema|po)\s+(?P<who>[A-ZČĆŠŽĐ]\w+?)(?:ov|ev|in)(?:im|oj|om|u|a|e|ih|ima)?\s+{_SERBIAN_OPINION}\b"
)
# "For Vuk Vuksanović, a researcher at BCSP, the purchase is ...": a named person's view
_FOR_VIEW = re.compile(r"^(?:for|za)\s+(?P<who>(?:[A-ZČĆŠŽĐ][\w’'\-\u2024.]*\s+){0,3}[A-ZČĆŠŽĐ][\w’'\-]+)\s*,", re.IGNORECASE)
# "U saopštenju se ističe da", "Kako se navodi u saopštenju": a document speaks
_DOCUMENT = re.compile(
    rf"(?<!\w)u\s+(?P<who>(?:saopštenj|izjav|tekst|pism|dokument|uvodnik|kolumn|izveštaj|analiz|odgovor)\w*"
    rf"(?:\s+[^,;:.!?{Q}\s]+){{0,3}}?)\s*(?=$|[,;:.!?{Q}]|\s(?:se|da|je)\b)",
    re.IGNORECASE,
)
# "Writing in Informer, columnist X predicted": where the speaker writes or speaks
_LEADING_PLACE = re.compile(
    rf"^(?:writing|speaking|talking|commenting)\s+(?:in|for|to|on|with)\s+(?P<where>[^,;:{Q}]+),|"
    rf"^(?:in|u)\s+(?:a|an|his|her|its|their|svojoj|svom)?\s*(?:column|editorial|interview|kolumni|uvodniku|intervjuu)\s+"
    rf"(?:for|in|with|za|u|sa)\s+(?P<where2>[^,;:{Q}]+),",
    re.IGNORECASE,
)
_NOT_SUBJECTS = re.compile(r"^(?:whether|if|unless|because|when|once|until|whose|which|who|whom|that|what|how|why)\b", re.IGNORECASE)
_ASIDE = re.compile(
    r",\s*(?:(?:speaking|writing|asked|responding|commenting|talking|quoted|who|which|whose|koji|koja|koje|"
    r"usually|often|long|once|himself|herself|itself|themselves|however|međutim|ipak|pak|takođe|though|too|"
    r"for\s+(?:his|her|its|their)\s+part|on\s+the\s+other\s+hand|s\s+druge\s+strane|in\s+turn|zauzvrat|"
    r"prenosi|javlja|piše|navodi|kako\s+\w+|according\s+to|citing|prema)\b|"
    r"in\s+(?:a|an|its|his|her|their)\s+(?:statement|interview|press\s+release|communiqué|letter|post)\b)[^,]*,?\s*$",
    re.IGNORECASE,
)
# words after which a subject's adjuncts begin: "Radić za N1", "Vučić posle potpisivanja", "the Ministry in a statement"
_ADJUNCT_WORDS = word_set(
    """za u na posle nakon tokom pred pre o sa iz for to in on after during before about with from ranije kasnije juče
    danas tada takođe još jutros sinoć večeras later earlier yesterday today then also again"""
)
# where a subject ends: an adjunct, or an auxiliary after it ("Kurir je krajem marta", "Vučić himself")
_SUBJECT_ENDS = _ADJUNCT_WORDS | {"je", "su", "has", "have", "had", "himself", "herself"}
_SUBORDINATORS = re.compile(
    r"\b(?:after|before|when|since|because|while|until|unless|although|posle\s+što|nakon\s+što|pošto|kada|kad|jer|dok|"
    r"iako|ukoliko)\b",
    re.IGNORECASE,
)
_RELATIVE = re.compile(r"^(?:who|which|whose|koji|koja|koje|što)\b", re.IGNORECASE)
_COORDINATED = re.compile(r"\s(?:and|but|then|i|a|ali|pa|te)$", re.IGNORECASE)
#: Nouns that name a publication or a part of one: "the daily predicted", "one front page read", "naslov glasi".
PUBLICATION_NOUNS = word_set(
    """tabloid tabloids tabloidi tabloida daily dailies paper papers newspaper newspapers outlet outlets portal portals
    portala weekly magazine headline headlines cover covers page front editorial column list lista listu listovi
    dnevnik dnevnika dnevnici naslov naslova naslovu naslovna naslovnoj naslovnici strana strani nedeljnik uvodnik
    uvodniku"""
)
#: Nouns that name a statement: "the statement said", "u saopštenju se ističe".
DOCUMENT_NOUNS = word_set(
    """statement statements release communiqué announcement response answer text letter saopštenje saopštenju
    saopštenja izjava izjavi tekst tekstu dokument dokumentu odgovor odgovoru pismo pismu"""
)
#: Nouns that only refer back to someone named before: "the source added", "izvor je dodao".
_REFERRING_NOUNS = word_set("source sources izvor izvori izvora sagovornik sagovornica")
# words that may stand beside a publication noun that refers back: "the same daily", "današnja naslovna strana"
_MODIFIERS = word_set(
    """the one its their this that same main front latest today's daily's današnji današnjih današnja jutrošnji
    jutrošnjih naslovna naslovnoj isti istog tog taj ovaj"""
)
_PUBLICATION = frozenset(map(fold, PUBLICATION_NOUNS))
_DOCUMENTS = frozenset(map(fold, DOCUMENT_NOUNS))
_REFERRING = frozenset(map(fold, _REFERRING_NOUNS))
_DESCRIPTIVE = frozenset(map(fold, PUBLICATION_NOUNS | _MODIFIERS))
_NOUNS_ALONE = _REFERRING | _PUBLICATION | _DOCUMENTS
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


_QUOTED_NAME = re.compile(r"[A-ZČĆŠŽĐ][\w.\-]*(?:\s+[A-ZČĆŠŽĐ][\w.\-]*){0,2}")
# "2023. godine", "18. marta": a Serbian ordinal, which ends no sentence
_ORDINAL = re.compile(r"(?<=\d)\.(?=\s+[a-zčćšžđ])")


def _mask(text: str, quotes) -> str:
    parts, last = [], 0
    for q in quotes:
        inner = text[q.start : q.end].strip("\"'“”„«»‘’‚‹› ")
        parts += [text[last : q.start], inner if _QUOTED_NAME.fullmatch(inner) else Q]  # „Novosti“ names an outlet
        last = q.end
    parts.append(text[last:])
    return _ORDINAL.sub(_DOT, _PROTECT.sub(lambda m: m.group(0)[:-1] + _DOT, "".join(parts)))


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


def _not_a_person(run: list[str], registry: SourceRegistry) -> bool:
    """Whether capitalised words name a role ("… Minister"), an outlet or a place rather than a person."""
    whole = " ".join(run)
    return (registry.is_role_word(run[-1]) or registry.is_outlet(whole)
            or bool(registry.place(whole) or registry.place(run[-1])))


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
        or _not_a_person(run, registry)
    ):
        return "", phrase
    return " ".join(run), " ".join(before + titles)


def _speakerlike(who: str, registry: SourceRegistry) -> bool:
    words = who.split()
    if not words or len(words) > 12:
        return False
    if who.lower() in PRONOUNS or split_name(who, registry)[0]:
        return True
    if len(words) <= 3 and fold(words[-1]) in _NOUNS_ALONE:
        return True
    return registry.classify(who)[0] != UNKNOWN


def _role_like(text: str, registry: SourceRegistry) -> bool:
    text = _restore(text)
    if _RELATIVE.match(text.strip()):
        return False
    return bool(re.match(r"\s*(?:a|an|the|his|her|its|their|whose)\s", text, re.IGNORECASE)) or registry.classify(text)[0] != UNKNOWN


def _core(who: str, registry: SourceRegistry) -> str:
    """The subject without the adjuncts after it: "Radić za N1" → "Radić", "Kurir je krajem marta" → "Kurir"."""
    words = who.split()
    if split_name(who, registry)[0]:
        return who
    for k in range(1, len(words)):
        if words[k].lower().strip(",.") in _SUBJECT_ENDS:
            head = " ".join(words[:k])
            if split_name(head, registry)[0] or registry.outlets_in(head):
                return head
    if _speakerlike(who, registry):
        return who
    for k in range(min(len(words) - 1, 6), 0, -1):  # a speaker, then lower-case adverbials
        head, rest = " ".join(words[:k]), words[k:]
        if len(rest) <= 5 and all(not _is_capitalised(w) for w in rest) and _speakerlike(head, registry):
            return head
    return who


def _sentence_subject(text: str, registry: SourceRegistry) -> str:
    """The speaker a sentence opens with ("Vučić himself added …" → "Vučić"), or ""."""
    sentence = re.split(r"(?<=[.!?])\s", text)[-1]
    clause = _DATE_ADVERBIAL.sub("", _CONJUNCTIONS.sub("", re.split(rf"[,;:{Q}]|\s[-–—]\s", sentence)[0].strip()))
    words = clause.split()
    for k in range(1, min(len(words), 8) + 1):
        if (k < len(words) and _is_capitalised(words[k])) or not _speakerlike(_clean(" ".join(words[:k]))[0], registry):
            continue
        for longer in range(min(len(words), k + 3), k, -1):  # "Pro-government" → "Pro-government tabloids"
            found = registry.match(" ".join(words[:longer]))
            if found and found[3] == len(" ".join(words[:longer])):
                k = longer
                break
        who = _clean(" ".join(words[:k]))[0]
        return who if who.lower() not in PRONOUNS else ""
    return ""


def _inverted(post: str, verb: str, registry: SourceRegistry) -> Attribution | None:
    """``… said the minister`` / ``rekao je ministar X``: the speaker after the verb, with an apposition."""
    rest = _LEADING_AUX.sub("", post)
    found = _INVERTED.match(rest)
    if not found:
        return None
    who, aside = _clean(found.group("who"))
    who = _core(who, registry)
    if not _speakerlike(who, registry):
        return None
    apposition = _APPOSITION.match(rest[found.end() :])
    role = apposition.group("role") if apposition and _role_like(apposition.group("role"), registry) else ""
    return Attribution(who, _restore(f"{verb} {found.group('who').strip()}"), _restore(" ".join(filter(None, (role, aside)))))


def _apposed(pre: str, verb: str, registry: SourceRegistry) -> Attribution | None:
    """``Name, a role at an institution, says``: the speaker before a comma-set apposition."""
    parts = pre.rstrip().rstrip(",").split(",")
    if len(parts) < 2:
        return None
    head = re.split(rf"[;:{Q}]|(?<=[.!?])\s", parts[-2])[-1]
    who, aside = _clean(head)
    who = _core(_AUXILIARIES.sub("", who), registry)
    named, title = split_name(_clean(parts[-1])[0], registry)
    if named and _speakerlike(who, registry) and not split_name(who, registry)[0]:
        return Attribution(named, f"{named} {verb}", " ".join(filter(None, (title, who))))
    if not (split_name(who, registry)[0] and _role_like(parts[-1], registry)) and not (
        _speakerlike(who, registry) and who.lower() not in PRONOUNS and not _SUBORDINATORS.search(who)
    ):
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
    if _PASSIVE.search(pre) and not serbian:
        return None
    if match.group("participle"):
        return _participle(pre, verb, registry)
    unaided = _AUXILIARIES.sub("", pre)
    if re.search(r"(?:^|\s)se\s*$", unaided) or re.match(r"^\s*se\b", post):  # "U saopštenju se ističe da"
        sentence = re.split(r"(?<=[.!?])\s", pre)[-1] + post.split(". ")[0]
        document = _DOCUMENT.search(sentence)
        return Attribution(_restore(document.group("who")), _restore(document.group(0)).strip()) if document else None
    stripped = _ASIDE.sub(", ", unaided)
    segment = _last_clause(stripped)
    lead = stripped.rstrip()[: len(stripped.rstrip()) - len(segment)].rstrip()
    tag = bool(re.search(rf"[,{Q}]$", lead)) and bool(re.sub(rf"[\s,{Q}]", "", lead) or Q in lead)
    inverted = _inverted(post, verb, registry) if (serbian or not segment) else None
    if inverted and segment and split_name(_core(_clean(segment)[0], registry), registry)[0]:
        inverted = None
    if not _verb_fits(match, post, tag, inverted):
        return None
    if inverted and split_name(inverted.who, registry)[0]:  # "Danas je izjavio Perić da …", "…, said Ana Kovač"
        return inverted
    if not segment:
        found = _apposed(stripped, verb, registry) or inverted
        if found:
            return found
        if stripped != unaided:  # "An official, speaking on background, said"; "X je, prenosi MTI, naveo da"
            segment = _last_clause(_AUXILIARIES.sub("", stripped.rstrip().rstrip(",")))
        elif serbian and not _last_clause(pre) and re.match(rf"^\s*(?:(?:je|su)\b|(?:da\b|:|{Q}|[.!?]|$))", post):
            return Attribution("", verb)
        if not segment:
            return None
    if _NOT_SUBJECTS.match(segment):
        return None
    if _RELATIVE.match(segment):  # "…, Vučić, koji je dokument opisao kao …"
        segment = _last_clause(stripped[: stripped.rstrip().rfind(segment)].rstrip().rstrip(","))
    subordinate = _SUBORDINATORS.search(segment)
    if subordinate and len(segment[: subordinate.start()].split()) >= 2:  # "The decision came after Croatia announced"
        return None
    who, aside = _clean(segment)
    who = _core(who, registry)
    if not _speakerlike(who, registry) and _COORDINATED.search(" " + segment):
        who = _sentence_subject(pre, registry)  # "Vučić called it accurate but insisted that …"
    place = _LEADING_PLACE.match(re.split(r"(?<=[.!?])\s", stripped)[-1].lstrip())
    if place:
        aside = " ".join(filter(None, (aside, place.group("where") or place.group("where2"))))
    if not who or not _speakerlike(who, registry) or (who.lower() in PRONOUNS and not (_THAT_OR_QUOTE.match(post) or _THATLESS.match(post) or tag)):
        return None
    if registry.place(who) and (match.group("attitude") or not (_STRICT_FOLLOWS.match(post) or tag)):
        return None  # "Serbia declared neutrality in 2007", "Croatia welcomed the plan"
    return Attribution(who, f"{_restore(segment)} {verb}", _restore(aside))


def _verb_fits(match: re.Match, post: str, tag: bool, inverted: Attribution | None) -> bool:
    """Whether the words after a reporting verb make it report speech."""
    tagged = tag and (bool(_TAG_END.match(post)) or inverted is not None)
    if match.group("attitude"):  # "Vučić thanked Orbán", "the tabloids welcomed it": whoever is named speaks
        return True
    if match.group("describe"):
        return bool(_QUOTE_FOLLOWS.match(post) or _AS_FOLLOWS.match(post)) or tagged
    post = re.sub(r"^\s*(?:je|su|će|bi|se)\b", "", post)
    if match.group("strict"):
        return bool(_STRICT_FOLLOWS.match(post) or _THATLESS.match(post)) or tagged
    if match.group("object"):
        return bool(_STRICT_FOLLOWS.match(post) or _THAT_OR_QUOTE.match(post) or _THATLESS.match(post)) or tagged
    return True


def _participle(pre: str, verb: str, registry: SourceRegistry) -> Attribution | None:
    """``Alo went further, describing …`` / ``…, tvrdeći da``: the sentence's subject speaks."""
    if not re.search(r"(?:,|\s(?:and|i))\s*$", pre):
        return None
    who = _sentence_subject(pre, registry)
    if not who or who.lower() in PRONOUNS or registry.place(who):
        return None
    return Attribution(who, f"{who} … {verb}")


def _view(masked: str, registry: SourceRegistry) -> list[tuple[int, Attribution]]:
    """Speakers named by a view rather than a verb: "according to X", "in his opinion", "For X, …"."""
    found = []
    for pattern in (_ACCORDING, _OPINION):
        for m in pattern.finditer(masked):
            who, aside = _clean(m.group("who"))
            who = _core(who, registry)
            if _speakerlike(who, registry) and who.lower() not in PRONOUNS:
                found.append((m.start(), Attribution(who, _restore(m.group(0)).strip(), aside)))
                break
    for m in _PRONOUN_VIEW.finditer(masked):
        word = fold(m.group("en") or m.group("obj") or m.group("sr"))
        pronoun = _PRONOUN_OF.get(word) or next(v for k, v in _PRONOUN_OF.items() if k.startswith("nj") and word.startswith(k))
        found.append((m.start(), Attribution(pronoun, _restore(m.group(0)).strip())))
        break
    for m in _POSSESSIVE_VIEW.finditer(masked):
        found.append((m.start(), Attribution(m.group("who"), _restore(m.group(0)).strip())))
        break
    view = _FOR_VIEW.match(masked)
    if view:
        who, _ = _clean(view.group("who"))
        if split_name(who, registry)[0]:
            apposition = _APPOSITION.match(masked[view.end() - 1 :])
            role = apposition.group("role") if apposition and _role_like(apposition.group("role"), registry) else ""
            found.append((0, Attribution(who, _restore(view.group(0)).strip(" ,"), _restore(role))))
    return found


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
    candidates = _view(masked, registry)
    aside = None
    for m in _VERB.finditer(masked):
        found = _from_verb(masked, m, registry)
        if found is None:
            continue
        # "X je, prenosi MTI, naveo da …": a source set off by commas inside another speaker's sentence
        if aside is None and re.search(r",\s*$", masked[: m.start()]) and re.match(r"^[^,.;:!?]*,\s*\S", masked[m.end() :]):
            aside = (m.start(), found)
            continue
        candidates.append((m.start(), found))
        break
    if not candidates and aside is not None:
        candidates.append(aside)
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
        self._narrator_key = fold(transliterate(narrator.name)) if narrator.name else ""
        self._outlets: list[list[str]] = []
        self._heard: list[tuple[int, Speaker]] = []
        for position, passage in enumerate(passages):
            masked = _mask(passage.text, passage.quotes)
            self._index(masked, position)
            self._outlets.append([o for o in registry.outlets_in(masked) if fold(o) != self._narrator_key])

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
        if not words or not words[-1] or _not_a_person(words, self.registry):
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

    def _surname(self, name: str) -> str:
        """The key of a surname as first written: "Novakovića" → "novakovic" when the article names Novaković."""
        key = fold(name.split()[-1])
        if key in self._people:
            return key
        for ending in ("ima", "ama", "om", "em", "og", "oj", "u", "a", "e", "i"):
            if key.endswith(ending) and key[: -len(ending)] in self._people:
                return key[: -len(ending)]
        return key

    def _person(self, name: str, position: int) -> _Person:
        key = self._surname(name)
        if key != fold(name.split()[-1]):
            name = " ".join(name.split()[:-1] + [self._people[key][0].name.split()[-1]])
        people = self._people.get(key, [])
        matching = [p for p in people if fold(p.name).endswith(fold(name)) or fold(name).endswith(fold(p.name))]
        if not matching:
            return self._remember(name, [], position)
        earlier = [p for p in matching if min(p.mentions) <= position]
        return max(earlier or matching, key=lambda p: max((m for m in p.mentions if m <= position), default=-1))

    def _as_speaker(self, person: _Person) -> Speaker:
        roles = "; ".join(person.roles)
        kind = self.registry.person(person.name) or self.registry.first_placing(person.roles)
        return Speaker(person.name, kind, roles, person=True)

    def _last_introduced(self, position: int) -> tuple[int, Speaker] | None:
        found = None
        for people in self._people.values():
            for person in people:
                seen = [m for m in person.mentions if m < position]
                if person.introduced is not None and person.introduced < position and seen and (found is None or max(seen) > found[0]):
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
            self._heard.append((position, found))
            self._last["any"] = (position, found)
            self._last["person" if found.person else "group"] = (position, found)
            if found.person:
                self._spoken.add(fold(found.name.split()[-1]))
        return found

    def _named(self, who: str, role: str, position: int) -> Speaker:
        if self._narrator_key and re.search(rf"(?<!\w){re.escape(self._narrator_key)}(?!\w)", fold(who)):
            return self.narrator
        name, title = split_name(who, self.registry)
        if not name:
            return self._described(who, role, position)
        person = self._person(name, position)
        person.roles += [r for r in (title, role) if r and r not in person.roles]
        return self._as_speaker(person)

    def _described(self, who: str, role: str, position: int) -> Speaker:
        """A speaker named by a description: an outlet, a place, or "the minister", "the daily", "the source"."""
        outlets = self.registry.outlets_in(who)
        placed = self.registry.match(who)
        if len(outlets) == 1 and placed is not None and placed[1] == outlets[0] and fold(outlets[0]) != self._narrator_key:
            return Speaker(outlets[0], self.registry.outlet(outlets[0]))
        if not outlets and not self.registry.place(who):
            earlier = self._antecedent(who, position)
            if earlier is not None:
                return earlier
        kind = self.registry.classify(" ".join(filter(None, (who, role))))[0]
        return Speaker(who, kind, role)

    def _antecedent(self, who: str, position: int) -> Speaker | None:
        """Whom a short description refers back to: the person with that role, the outlet, the statement's author."""
        words = [fold(w) for w in re.findall(r"[^\W\d]+", who)]
        if not words or len(words) > 4:
            return None
        head = words[-1]
        bare = all(w in _DESCRIPTIVE for w in words)
        if bare and (head in _PUBLICATION or (len(words) > 1 and words[-2] in _PUBLICATION)):
            for at in range(position, max(position - 4, -1), -1):
                if self._outlets[at]:
                    name = self._outlets[at][-1 if at < position else 0]
                    return Speaker(name, self.registry.outlet(name))
            groups = [s for _, s in self._heard if not s.person and s.source_type != UNKNOWN and s is not self.narrator]
            return groups[-1] if groups else None
        if head in _DOCUMENTS or head in _REFERRING:
            wanted = (lambda s: not s.person) if head in _DOCUMENTS else (lambda s: head[:5] in fold(s.name + " " + s.role))
            heard = [s for _, s in self._heard if s is not self.narrator and s.source_type != UNKNOWN and wanted(s)]
            return heard[-1] if heard else None
        found = self.registry.match(who)
        if found is None:
            return None
        best, score = None, (0, -1)
        for people in self._people.values():
            for person in people:
                seen = [m for m in person.mentions if m <= position]
                roles = fold(" ".join(person.roles))
                matched = [self.registry.match(r) for r in person.roles]
                if not seen or not any(m is not None and m[1] == found[1] for m in matched):
                    continue
                overlap = sum(w[:5] in roles for w in words)
                if (overlap, max(seen)) > score:
                    best, score = person, (overlap, max(seen))
        return self._as_speaker(best) if best is not None else None
