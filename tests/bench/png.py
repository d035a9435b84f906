# SPDX-License-Identifier: GPL-2.0
"""A line chart as a PNG, with nothing but the standard library (zlib for the image
data), so that "make bench" needs no plotting package on the host or in the guest."""
import struct
import zlib

# 5x7 glyphs, rows top to bottom, '#' for ink.
_GLYPHS = {
    " ": ".....|.....|.....|.....|.....|.....|.....",
    "0": ".###.|#...#|#..##|#.#.#|##..#|#...#|.###.",
    "1": "..#..|.##..|..#..|..#..|..#..|..#..|.###.",
    "2": ".###.|#...#|....#|...#.|..#..|.#...|#####",
    "3": "####.|....#|....#|.###.|....#|....#|####.",
    "4": "...#.|..##.|.#.#.|#..#.|#####|...#.|...#.",
    "5": "#####|#....|####.|....#|....#|#...#|.###.",
    "6": "..##.|.#...|#....|####.|#...#|#...#|.###.",
    "7": "#####|....#|...#.|..#..|.#...|.#...|.#...",
    "8": ".###.|#...#|#...#|.###.|#...#|#...#|.###.",
    "9": ".###.|#...#|#...#|.####|....#|...#.|.##..",
    "a": ".....|.....|.###.|....#|.####|#...#|.####",
    "b": "#....|#....|####.|#...#|#...#|#...#|####.",
    "c": ".....|.....|.###.|#....|#....|#...#|.###.",
    "d": "....#|....#|.####|#...#|#...#|#...#|.####",
    "e": ".....|.....|.###.|#...#|#####|#....|.###.",
    "f": "..##.|.#..#|.#...|###..|.#...|.#...|.#...",
    "g": ".....|.####|#...#|#...#|.####|....#|.###.",
    "h": "#....|#....|#.##.|##..#|#...#|#...#|#...#",
    "i": "..#..|.....|.##..|..#..|..#..|..#..|.###.",
    "j": "...#.|.....|..##.|...#.|...#.|#..#.|.##..",
    "k": "#....|#....|#..#.|#.#..|##...|#.#..|#..#.",
    "l": ".##..|..#..|..#..|..#..|..#..|..#..|.###.",
    "m": ".....|.....|##.#.|#.#.#|#.#.#|#...#|#...#",
    "n": ".....|.....|#.##.|##..#|#...#|#...#|#...#",
    "o": ".....|.....|.###.|#...#|#...#|#...#|.###.",
    "p": ".....|.....|####.|#...#|####.|#....|#....",
    "q": ".....|.....|.####|#...#|.####|....#|....#",
    "r": ".....|.....|#.##.|##..#|#....|#....|#....",
    "s": ".....|.....|.####|#....|.###.|....#|####.",
    "t": ".#...|.#...|###..|.#...|.#...|.#..#|..##.",
    "u": ".....|.....|#...#|#...#|#...#|#..##|.##.#",
    "v": ".....|.....|#...#|#...#|#...#|.#.#.|..#..",
    "w": ".....|.....|#...#|#...#|#.#.#|#.#.#|.#.#.",
    "x": ".....|.....|#...#|.#.#.|..#..|.#.#.|#...#",
    "y": ".....|.....|#...#|#...#|.####|....#|.###.",
    "z": ".....|.....|#####|...#.|..#..|.#...|#####",
    ".": ".....|.....|.....|.....|.....|.##..|.##..",
    ",": ".....|.....|.....|.....|.##..|..#..|.#...",
    "-": ".....|.....|.....|#####|.....|.....|.....",
    "/": ".....|....#|...#.|..#..|.#...|#....|.....",
    "(": "...#.|..#..|.#...|.#...|.#...|..#..|...#.",
    ")": ".#...|..#..|...#.|...#.|...#.|..#..|.#...",
    ":": ".....|.##..|.##..|.....|.##..|.##..|.....",
    "=": ".....|.....|#####|.....|#####|.....|.....",
    ",": ".....|.....|.....|.....|.##..|..#..|.#...",
}


class Canvas:
    def __init__(self, width, height):
        self.w, self.h = width, height
        self.px = bytearray(b"\xff" * (width * height * 3))

    def dot(self, x, y, rgb):
        x, y = int(round(x)), int(round(y))
        if 0 <= x < self.w and 0 <= y < self.h:
            i = (y * self.w + x) * 3
            self.px[i:i + 3] = bytes(rgb)

    def line(self, x0, y0, x1, y1, rgb, width=1):
        steps = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
        for s in range(steps + 1):
            x = x0 + (x1 - x0) * s / steps
            y = y0 + (y1 - y0) * s / steps
            for d in range(width):
                self.dot(x, y + d - width // 2, rgb)
                self.dot(x + d - width // 2, y, rgb)

    def box(self, x, y, size, rgb):
        for dx in range(-size, size + 1):
            for dy in range(-size, size + 1):
                self.dot(x + dx, y + dy, rgb)

    def text(self, x, y, s, rgb=(0, 0, 0), scale=2):
        """Left edge x, top y; lower-case glyphs only (upper case is drawn lower case)."""
        for ch in s.lower():
            rows = _GLYPHS.get(ch, _GLYPHS[" "]).split("|")
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    if cell == "#":
                        for a in range(scale):
                            for b in range(scale):
                                self.dot(x + c * scale + a, y + r * scale + b, rgb)
            x += 6 * scale
        return x

    @staticmethod
    def text_width(s, scale=2):
        return len(s) * 6 * scale

    def png(self):
        raw = b"".join(b"\x00" + bytes(self.px[y * self.w * 3:(y + 1) * self.w * 3])
                       for y in range(self.h))

        def chunk(kind, data):
            c = kind + data
            return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xffffffff)

        return (b"\x89PNG\r\n\x1a\n" +
                chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (255, 127, 14), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def log_chart(path, title, xlabel, ylabel, series, width=900, height=560):
    """series: [(name, [(x, y), ...])]; x on a log10 axis, y linear from 0."""
    import math
    c = Canvas(width, height)
    left, right, top, bottom = 90, 250, 80, 70
    pw, ph = width - left - right, height - top - bottom
    xs = [x for _, pts in series for x, _ in pts]
    ys = [y for _, pts in series for _, y in pts]
    lx0, lx1 = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
    if lx1 == lx0:
        lx1 += 1
    ytop = max(ys) * 1.1 or 1
    step = 10 ** math.floor(math.log10(ytop / 4))
    for m in (1, 2, 5, 10):
        if ytop / (step * m) <= 6:
            step *= m
            break

    def X(x):
        return left + (math.log10(x) - lx0) / (lx1 - lx0) * pw

    def Y(y):
        return top + ph - y / ytop * ph

    grey, black = (220, 220, 220), (0, 0, 0)
    y = 0.0
    while y <= ytop:
        c.line(left, Y(y), left + pw, Y(y), grey)
        label = "%g" % y
        c.text(left - 8 - c.text_width(label), Y(y) - 7, label)
        y += step
    for e in range(lx0, lx1 + 1):
        c.line(X(10 ** e), top, X(10 ** e), top + ph, grey)
        label = "{:,}".format(10 ** e)
        c.text(X(10 ** e) - c.text_width(label) / 2, top + ph + 8, label)
    c.line(left, top, left, top + ph, black)
    c.line(left, top + ph, left + pw, top + ph, black)
    c.text(left, 15, title, scale=2)
    c.text(left + pw / 2 - c.text_width(xlabel) / 2, height - 28, xlabel)
    c.text(8, top - 28, ylabel)
    for i, (name, pts) in enumerate(series):
        rgb = COLOURS[i % len(COLOURS)]
        pts = sorted(pts)
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            c.line(X(x0), Y(y0), X(x1), Y(y1), rgb, width=3)
        for x, y in pts:
            c.box(X(x), Y(y), 3, rgb)
        ly = top + 10 + i * 24
        c.line(left + pw + 15, ly + 7, left + pw + 40, ly + 7, rgb, width=3)
        c.text(left + pw + 48, ly, name)
    with open(path, "wb") as f:
        f.write(c.png())
