#!/usr/bin/env python3
"""split.py - split a labelled evaluation set into a tuning half and a
held-out half, by a fixed seed, before anyone looks at results.

    split.py <seed> <out-prefix> <in.tsv>...

Lines are grouped into strata (language, label, first category; the
language is the 4th TAB field when present, else "en"), each stratum is
shuffled with random.Random(seed + stratum), and the lines of all strata,
stratum after stratum, are dealt alternately to <out-prefix>_tune.tsv and
<out-prefix>_heldout.tsv, so both halves hold every language, label and
category in the same proportion (within one line) and the same number of
lines (within one).  Blank lines and '#' lines are dropped.  The same seed and
input always give the same halves.

Tune on the _tune half only.  Never edit a held-out line, and never change
a rule because of a held-out miss in the change that reports the figure;
once a held-out set has driven a decision, write a fresh one.
"""
import random
import sys


def main():
    if len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    seed, prefix = sys.argv[1], sys.argv[2]
    strata = {}
    for path in sys.argv[3:]:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line.strip() or line.startswith("#"):
                    continue
                fld = line.split("\t")
                lang = fld[3] if len(fld) > 3 and fld[3] else "en"
                label = fld[1] if len(fld) > 1 else ""
                cat = fld[2].split(",")[0] if len(fld) > 2 and fld[2] else ""
                strata.setdefault((lang, label, cat), []).append(line)
    halves = ([], [])
    deal = 0
    for key in sorted(strata):
        lines = sorted(strata[key])
        random.Random("%s/%s/%s/%s" % ((seed,) + key)).shuffle(lines)
        for line in lines:
            halves[deal % 2].append(line)
            deal += 1
    head = ("# %s half of a labelled set split by tests/eval/split.py, seed "
            "%s.\n# message<TAB>label<TAB>categories<TAB>lang<TAB>class\n")
    for name, lines in (("tune", halves[0]), ("heldout", halves[1])):
        with open("%s_%s.tsv" % (prefix, name), "w", encoding="utf-8") as f:
            f.write(head % (name, seed))
            f.write("\n".join(lines) + "\n")
        print("%s_%s.tsv: %d lines" % (prefix, name, len(lines)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
