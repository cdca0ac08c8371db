"""One name normaliser for every place a person's name is compared (STYLE.md, rule 11).

The roster import stores it beside the name (`Student.name_key`), the student lookup
compares it, and a station searches by it, so that a name typed on a phone or a scanner
finds the same student everywhere: full-width forms folded (NFKC), the middle-dot variants
of minority and foreign names (·・•‧∙．.) made one, white space and letter case ignored
("John Smith", "john  smith" and "JohnSmith" are one key).
"""

import unicodedata

_DOTS = str.maketrans({dot: "·" for dot in "•・．.‧∙⋅･"})


def normalise_name(value):
    text = unicodedata.normalize("NFKC", value or "").translate(_DOTS)
    return "".join(text.split()).casefold()
