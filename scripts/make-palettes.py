#!/usr/bin/env python3
"""make-palettes.py: generate the shipped Fractint .map palettes.

Each palette is a cycle of colour stops. Colouring wraps around the palette
(entry 255 is followed by entry 0), so the gradients are closed loops: the
last stop blends back into the first and no seam shows in smooth colouring.

Stops are interpolated in OKLab, where equal steps look like equal changes of
colour, with a periodic Catmull-Rom spline, so brightness and hue change
smoothly through every stop (straight lines in RGB show kinks and muddy
midpoints). Output is deterministic: the same script writes the same bytes.

Usage: scripts/make-palettes.py [output-dir]   (default: assets/palettes)
"""

import math
import os
import sys

ENTRIES = 256

# name -> (description, [(position 0..1, "#rrggbb"), ...]). Positions are
# fractions of the cycle; the first stop should be at 0.
PALETTES = {
    "default": (
        "navy, sky, warm white, gold, umber",
        [
            (0.00, "#000b33"),
            (0.16, "#1d4d9c"),
            (0.32, "#8fd0f5"),
            (0.42, "#fffbeb"),
            (0.55, "#ffbb3d"),
            (0.70, "#a84400"),
            (0.85, "#170804"),
        ],
    ),
    "ember": (
        "black, blood red, flame, white heat",
        [
            (0.00, "#040000"),
            (0.22, "#5e0700"),
            (0.42, "#d13a00"),
            (0.58, "#ff9a1f"),
            (0.72, "#ffe68a"),
            (0.80, "#fffaf0"),
            (0.90, "#a32400"),
        ],
    ),
    "ocean": (
        "abyss, deep blue, teal, foam",
        [
            (0.00, "#00060f"),
            (0.22, "#033b6b"),
            (0.42, "#0a8a9c"),
            (0.58, "#5fd8c2"),
            (0.70, "#ebfff7"),
            (0.82, "#3a96b0"),
            (0.92, "#06284a"),
        ],
    ),
    "twilight": (
        "indigo, violet, rose, coral, peach, lavender",
        [
            (0.00, "#0c0220"),
            (0.18, "#3c1a6e"),
            (0.36, "#b0306f"),
            (0.52, "#ff7a52"),
            (0.65, "#ffd6a3"),
            (0.76, "#f3efff"),
            (0.88, "#6756a8"),
        ],
    ),
    "neon": (
        "thin cyan, magenta and lime glows on night",
        [
            (0.00, "#03000a"),
            (0.22, "#0b0026"),
            (0.30, "#00e5ff"),
            (0.37, "#0b0026"),
            (0.52, "#100020"),
            (0.60, "#ff2bd6"),
            (0.67, "#100020"),
            (0.78, "#0a0018"),
            (0.85, "#b6ff1a"),
            (0.92, "#060010"),
        ],
    ),
    "aurora": (
        "polar night, green, mint, violet",
        [
            (0.00, "#000f1a"),
            (0.22, "#00876a"),
            (0.40, "#7ff2b8"),
            (0.50, "#e6fff3"),
            (0.66, "#8a6bff"),
            (0.84, "#240a50"),
        ],
    ),
    "grey": (
        "black to white and back",
        [
            (0.00, "#000000"),
            (0.50, "#ffffff"),
        ],
    ),
}


def srgb_to_linear(c):
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def linear_to_srgb(c):
    c = min(max(c, 0.0), 1.0)
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def hex_to_oklab(text):
    r, g, b = (srgb_to_linear(int(text[i : i + 2], 16) / 255) for i in (1, 3, 5))
    l = 0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b
    m = 0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b
    s = 0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b
    l, m, s = (math.copysign(abs(v) ** (1 / 3), v) for v in (l, m, s))
    return (
        0.2104542553 * l + 0.7936177850 * m - 0.0040720468 * s,
        1.9779984951 * l - 2.4285922050 * m + 0.4505937099 * s,
        0.0259040371 * l + 0.7827717662 * m - 0.8086757660 * s,
    )


def oklab_to_rgb8(lab):
    L, a, b = lab
    l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3
    m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3
    s = (L - 0.0894841775 * a - 1.2914855480 * b) ** 3
    rgb = (
        4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
        -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
        -0.0041960863 * l - 0.5183392880 * m + 1.5141809479 * s,
    )
    return tuple(int(round(linear_to_srgb(c) * 255)) for c in rgb)


def gradient(stops):
    """256 RGB entries along a closed Catmull-Rom spline through the stops."""
    n = len(stops)
    pos = [p for p, _ in stops]
    lab = [hex_to_oklab(c) for _, c in stops]
    out = []
    for i in range(ENTRIES):
        t = i / ENTRIES
        k = max(j for j in range(n) if pos[j] <= t)  # segment [k, k+1)
        t0 = pos[k]
        t1 = pos[(k + 1) % n] + (1.0 if k + 1 == n else 0.0)
        tm = pos[k - 1] - (1.0 if k == 0 else 0.0)
        t2 = pos[(k + 2) % n] + (1.0 if k + 2 >= n else 0.0)
        p_m, p0, p1, p2 = lab[k - 1], lab[k], lab[(k + 1) % n], lab[(k + 2) % n]
        h = t1 - t0
        u = (t - t0) / h
        # Hermite basis with finite-difference tangents scaled to this segment
        # (non-uniform Catmull-Rom), so uneven stop spacing stays smooth.
        h00 = 2 * u**3 - 3 * u**2 + 1
        h10 = u**3 - 2 * u**2 + u
        h01 = -2 * u**3 + 3 * u**2
        h11 = u**3 - u**2
        c = []
        for d in range(3):
            m0 = (p1[d] - p_m[d]) / (t1 - tm) * h
            m1 = (p2[d] - p0[d]) / (t2 - t0) * h
            c.append(h00 * p0[d] + h10 * m0 + h01 * p1[d] + h11 * m1)
        out.append(oklab_to_rgb8(c))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "assets", "palettes")
    out_dir = os.path.normpath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    for name, (desc, stops) in sorted(PALETTES.items()):
        entries = gradient(stops)
        path = os.path.join(out_dir, name + ".map")
        with open(path, "w", newline="\n") as f:
            for i, (r, g, b) in enumerate(entries):
                note = ""
                if i == 0:
                    note = "  %s: %s (scripts/make-palettes.py)" % (name, desc)
                f.write("%3d %3d %3d%s\n" % (r, g, b, note))
        print("wrote", path)


if __name__ == "__main__":
    main()
