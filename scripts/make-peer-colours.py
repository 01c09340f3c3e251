#!/usr/bin/env python3
"""make-peer-colours.py: the table of peer colours in app/window/gui_math.c.

The first seven are Okabe & Ito's colour-blind-safe set ("Color Universal
Design", 2008) without its black, which would vanish on a fractal's
interior. The rest are chosen the way Glasbey et al. ("Colour displays for
categorical images", 2007) build a categorical palette: greedily, each the
candidate farthest (in OKLab) from every colour already taken and from
what the window already shows (black, white, the grey of missing slices),
among colours light and saturated enough to read as a tint over any part
of an image. Deterministic: run it again and the table is the same.

    scripts/make-peer-colours.py [N]   # prints N entries (default 32) as C
"""
import math
import sys

OKABE_ITO = [0xE69F00, 0x56B4E9, 0x009E73, 0xF0E442, 0x0072B2, 0xD55E00, 0xCC79A7]
AVOID = [0x000000, 0xFFFFFF, 0x303030, 0x808080]


def oklab(rgb):
    def lin(c):
        c /= 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = lin(rgb >> 16), lin((rgb >> 8) & 255), lin(rgb & 255)
    l = 0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b
    m = 0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b
    s = 0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b
    l, m, s = (math.copysign(abs(x) ** (1 / 3), x) for x in (l, m, s))
    return (0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s,
            1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s,
            0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s)


def dist(a, b):
    return math.dist(a, b)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    taken = list(OKABE_ITO)
    near = [oklab(c) for c in taken + AVOID]
    step = 17  # 16 levels a channel: 4096 candidates
    cands = []
    for r in range(0, 256, step):
        for g in range(0, 256, step):
            for b in range(0, 256, step):
                c = r << 16 | g << 8 | b
                L, A, B = oklab(c)
                # light enough to show over dark regions, saturated enough
                # to be a colour, not a grey
                if 0.55 <= L <= 0.92 and math.hypot(A, B) >= 0.09:
                    cands.append((c, (L, A, B)))
    best_d = [min(dist(p, q) for q in near) for _, p in cands]
    while len(taken) < n:
        i = max(range(len(cands)), key=lambda k: (best_d[k], -cands[k][0]))
        c, p = cands[i]
        taken.append(c)
        for k, (_, q) in enumerate(cands):
            best_d[k] = min(best_d[k], dist(p, q))
    for k in range(0, len(taken), 6):
        print("    " + ", ".join("0x%06x" % c for c in taken[k:k + 6]) + ",")


if __name__ == "__main__":
    main()
