"""Closed-class English words. Spinners leave them alone, so the detector never flags them either."""

FUNCTION_WORDS = frozenset(
    """
a an the this that these those some any each every either neither no none all both half several such
i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his himself she her
hers herself it its itself they them their theirs themselves one ones oneself who whom whose which what
whatever whoever whichever whomever
am is are was were be been being have has had having do does did doing done will would shall should can
could may might must ought need dare
'm 're 's 've 'd 'll n't not nor and or but if then else than as so yet because since unless until till
while whereas although though whether lest once
of in on at by for with without within into onto upon to from up down over under above below between among
amongst across along around about through throughout during before after behind beyond beside besides
near off out outside inside toward towards against via per despite except like unlike past
here there where when why how wherever whenever however thus hence therefore also too very just only even
still already again ever never always often sometimes rather quite almost enough more most less least much
many few fewer little lot lots other another same own else perhaps maybe yes no not
mr mrs ms dr st
""".split()
)

# Word forms with apostrophes that the tokenizer keeps whole ("don't").
CONTRACTIONS = frozenset(
    """don't doesn't didn't isn't aren't wasn't weren't won't wouldn't can't couldn't shouldn't hasn't haven't
hadn't mustn't i'm you're we're they're he's she's it's that's there's what's i've you've we've they've i'd
you'd he'd she'd we'd they'd i'll you'll he'll she'll we'll they'll let's""".split()
)


def is_function_word(lower: str) -> bool:
    return lower in FUNCTION_WORDS or lower in CONTRACTIONS


# Words that state a fact rather than word it: a spinner leaves numbers and dates alone (unspin.spin and the drawn
# tools do), so where a source has "three times" and a copy "twice", someone changed what was said, and the trace
# does not undo it ("march" and "may" are left out: as verbs they are words a spinner swaps).
FACT_WORDS = frozenset((
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "billion trillion once twice thrice dozen dozens hundreds thousands millions billions half quarter "
    "monday tuesday wednesday thursday friday saturday sunday january february april june july "
    "august september october november december").split())


def is_fact_word(lower: str) -> bool:
    """A number word, or the name of a day or a month (lower case)."""
    return lower in FACT_WORDS
