"""Generated fields for training the field model (:mod:`batchreader.read.fieldkind`).

Each sample is one field's ink (0 = paper), as segmentation hands it over: a
handwritten number drawn from MNIST digits with the synthesizer's pens, touching and
spacing; or what real paper carries beside numbers: handwritten words and names in
handwriting fonts and block capitals, signatures, printed text and printed numbers,
X marks, ticks and dashes, and form furniture (box walls and corners, barcodes,
rules, shadow edges, paper texture). All of it goes through the same degradations:
pen width, blur, resolution, faint ink, 1-bit thresholding, specks.

The fonts are vendored under ``batchreader/fontdata`` (see its README): training runs
offline. Some printed and handwriting faces are held out to measure the model on
faces it never saw (:data:`batchreader.training.fonts.HELD_OUT`).
"""

from __future__ import annotations

import cv2
import numpy as np

from batchreader.read.fieldkind import FIELD_CLASSES, to_field_input
from batchreader.training.fonts import Fonts, fonts, render_face
from batchreader.training.pagesynth import _CAPITALS, digit_ink

SHARES = {"number": 0.40, "words": 0.15, "signature": 0.08, "print": 0.17, "mark": 0.08, "furniture": 0.12}
"""How often each kind is drawn: numbers are the only positive class, and the hardest
negatives (words and print, whose characters look like digits) come most often."""

_WORDS = (  # noqa: SIM905 (words, not code)
    "satu dua tiga empat lima enam tujuh delapan sembilan sepuluh sebelas belas puluh ratus seratus ribu "
    "seribu nol jumlah suara sah tidak nama lengkap desa kota kabupaten provinsi ketua anggota saksi one "
    "two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred "
    "thousand only and dollars cents pay order date name total amount signed street road avenue london "
    "paris berlin madrid jakarta demak surabaya bandung boston chicago dear thanks please cien mil pesos "
    "quinientos doscientos trescientos veinte treinta cuarenta "
).split()
_NAMES = (  # noqa: SIM905 (words, not code)
    "Ahmad Budi Siti Dewi Agus Sri Joko Ayu Rina Hadi Putri Eko Wati Yusuf Maria John Peter Anna Karen "
    "Smith Jones Garcia Lopez Muller Rossi Tanaka Kim Nguyen Ivan Olga Fatima Omar Lee Chen "
).split()
_SYLLABLES = (  # noqa: SIM905 (words, not code)
    "ba be bi bo bu da di du ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro sa se si ta te "
    "ti to wa ya an en in on er ar ul "
).split()
_PRINT = (
    "IV.02", "(1)", "(2)", "C.", "01.", "02.", "No.", "Tel.", "Fax", "Page", "of", "Date", "JUMLAH", "A.", "B.",
    "TPS", "RT/RW", "Rp.", "USD", "Total", "Nama Lengkap", "ANGGOTA", "KETUA", "Kode", "Lembar", "Form",
    "Model C1", "Question", "Marks", "Q.", "Sub-total", "Signature", "Amount", "Pay", "Account",
    "(", ")", "1)", "2)", "3)", "A", "B)", "a", "b", "c", "I", "S", "O", "Z", "l", "i)", "ii)", "iii)", "*)",
)  # fmt: skip


def _word(rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.45:
        w = str(rng.choice(_WORDS))
    elif r < 0.7:
        w = str(rng.choice(_NAMES))
    else:
        w = "".join(rng.choice(_SYLLABLES, size=int(rng.integers(1, 5))))
    style = rng.random()
    if style < 0.45:  # block capitals: their S, O, I, Z, B and G pass for digits one by one
        w = w.upper()
    elif style < 0.6:
        w = w.capitalize()
    else:
        w = w.lower()
    if rng.random() < 0.35:  # a short phrase
        w = w + " " + str(rng.choice(_WORDS))
    return w


SAME_DIGIT = 0.12
"""Share of numbers of several digits that repeat one written digit (the same MNIST
image, as a row of a sheet repeats one hand's digit)."""


def _number(digits: np.ndarray, h: int, rng: np.random.Generator) -> np.ndarray:
    """A handwritten number: MNIST digits in a row with the synthesizer's pens and spacing."""
    n = int(rng.choice([1, 1, 2, 2, 3, 3, 4, 5, 6, 7]))
    # fine pens often: a ballpoint on a large digit leaves strokes a twentieth of its height
    pen = float(rng.choice([0.3, 0.4, 0.5, 0.6, 0.6, 0.8, 1.0, 1.0, 1.3, 1.8, 1.8, 2.2]))
    skipping = bool(pen < 1 and rng.random() < 0.2)
    spacing = rng.random()  # touching, written in a row, or one digit a cell of a comb box
    touching, spaced = spacing < 0.2, spacing > 0.75
    parts = []
    # a row of one digit (a practice sheet, a grid, an amount of 1s): alone, each is a
    # number still, though its neighbours stand like a comb's teeth
    same = digits[int(rng.integers(len(digits)))] if n > 1 and rng.random() < SAME_DIGIT else None
    for k in range(n):
        img = same if same is not None else digits[int(rng.integers(len(digits)))]
        parts.append(digit_ink(img, max(6, int(h * rng.uniform(0.85, 1.1))), pen, skipping))
        if spaced and rng.random() < 0.25:  # a comb cell crossed out, ticked or dashed beside the digits
            parts.append(_mark(h, rng)[: h + h // 3, : h + h // 2])
        if k + 1 < n and rng.random() < 0.08:  # a thousands dot, comma or dash inside the number
            sep = np.zeros((h, max(3, h // 3)), np.float32)
            t = max(2, h // 10)
            kind = rng.integers(3)
            if kind == 0:
                cv2.circle(sep, (sep.shape[1] // 2, h - t - 1), t, 1.0, -1)
            elif kind == 1:
                cv2.line(sep, (sep.shape[1] // 2, h - 2 * t), (sep.shape[1] // 2 - t, h - 1), 1.0, t)
            else:
                cv2.line(sep, (0, h // 2), (sep.shape[1] - 1, h // 2), 1.0, t)
            parts.append(sep)
    gaps = [
        int(h * (rng.uniform(-0.15, 0.02) if touching else rng.uniform(0.6, 2.5) if spaced else rng.uniform(0.05, 0.6)))
        for _ in parts
    ]
    height = max(p.shape[0] for p in parts) + h // 3
    width = sum(p.shape[1] for p in parts) + sum(max(g, -p.shape[1] // 3) for g, p in zip(gaps, parts)) + 4
    canvas = np.zeros((height, max(width, 8)), np.float32)
    x = 2
    for p, gap in zip(parts, gaps):
        y = (height - p.shape[0]) // 2 + int(rng.integers(-h // 12 - 1, h // 12 + 2))
        y = int(np.clip(y, 0, height - p.shape[0]))
        w = min(p.shape[1], canvas.shape[1] - x)
        if w <= 0:
            break
        np.maximum(canvas[y : y + p.shape[0], x : x + w], p[:, :w], out=canvas[y : y + p.shape[0], x : x + w])
        x = max(0, x + p.shape[1] + max(gap, -p.shape[1] // 3))
    return canvas


def _capitals(h: int, rng: np.random.Generator) -> np.ndarray:
    """A word in block capitals drawn as wobbly pen strokes."""
    letters = rng.choice(sorted(_CAPITALS), size=int(rng.integers(2, 7)))
    widths = [h * rng.uniform(0.5, 0.85) for _ in letters]
    gaps = [h * rng.uniform(0.08, 0.4) for _ in letters]
    slant = rng.uniform(-0.15, 0.25)
    canvas = np.zeros((int(h * 1.4), int(sum(widths) + sum(gaps) + h)), np.uint8)
    thick = max(1, int(h * rng.uniform(0.06, 0.13)))
    x, top = h * 0.3, int(h * 0.2)
    for letter, w, gap in zip(letters, widths, gaps):
        for stroke in _CAPITALS[str(letter)]:
            pts = np.array([(x + px * w + (1 - py) * h * slant, top + py * h) for px, py in stroke], np.float32)
            pts += rng.normal(0, h * 0.03, pts.shape).astype(np.float32)
            cv2.polylines(canvas, [pts.astype(np.int32)], False, 255, thick, cv2.LINE_AA)
        x += w + gap
    return canvas.astype(np.float32) / 255.0


def _smooth_path(n: int, rng: np.random.Generator, width: float, height: float) -> np.ndarray:
    """A smooth random pen path (sums of sinusoids), as an (n, 2) point array."""
    t = np.linspace(0, 1, n)
    x = t * width
    y = np.zeros(n)
    for _ in range(4):
        f, ph, a = rng.uniform(1, 8), rng.uniform(0, 2 * np.pi), rng.uniform(0.1, 0.5)
        y += a * np.sin(2 * np.pi * f * t + ph)
        x += a * width * 0.08 * np.cos(2 * np.pi * f * t + ph) * rng.uniform(0, 1)
    y = (y - y.min()) / max(np.ptp(y), 1e-6) * height
    return np.stack([x, y], 1)


def _signature(h: int, fnt: Fonts, rng: np.random.Generator) -> np.ndarray:
    """A signature: a name in a script face or a looping scribble, often with a flourish."""
    if fnt.script and rng.random() < 0.6:
        name = str(rng.choice(_NAMES)) + (" " + str(rng.choice(_NAMES)) if rng.random() < 0.5 else "")
        ink = render_face(name, fnt.script[int(rng.integers(len(fnt.script)))], int(h * rng.uniform(1.2, 2.2)))
        ink = _shear(ink, rng.uniform(-0.1, 0.5))
    else:
        w, hh = h * rng.uniform(2, 7), h * rng.uniform(0.8, 1.8)
        pts = _smooth_path(200, rng, w, hh)
        ink = np.zeros((int(hh + h), int(w + h)), np.uint8)
        cv2.polylines(ink, [(pts + h / 2).astype(np.int32)], False, 255, max(1, h // 12), cv2.LINE_AA)
        ink = ink.astype(np.float32) / 255.0
    if rng.random() < 0.5:  # a flourish under or through it
        H, W = ink.shape
        pts = _smooth_path(60, rng, W * 0.9, H * 0.3) + [W * 0.05, H * rng.uniform(0.4, 0.7)]
        layer = np.zeros((H, W), np.uint8)
        cv2.polylines(layer, [pts.astype(np.int32)], False, 255, max(1, h // 14), cv2.LINE_AA)
        ink = np.maximum(ink, layer.astype(np.float32) / 255.0)
    return ink


def _print_text(rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.3:
        return str(rng.choice(_PRINT))
    if r < 0.55:  # printed numbers: question numbers, givens, years, codes
        n = int(rng.choice([1, 1, 2, 2, 3, 4]))
        s = "".join(str(d) for d in rng.integers(0, 10, n))
        deco = rng.random()
        if deco < 0.1:  # a printed prompt: the digits spaced out, as above a row of boxes
            return " ".join(s) if n > 1 else " ".join(str(d) for d in rng.permutation(10)[: int(rng.integers(2, 10))])
        if deco < 0.2:
            s = f"({s})"
        elif deco < 0.3:
            s = s + "."
        elif deco < 0.4:
            s = f"{s}/{rng.integers(1, 13):02d}/{rng.integers(1990, 2030)}"
        return s
    if r < 0.8:
        return _word(rng)
    return str(rng.choice(_PRINT)) + " " + "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(1, 4))))


def _print(h: int, fnt: Fonts, rng: np.random.Generator) -> np.ndarray:
    face = fnt.printed[int(rng.integers(len(fnt.printed)))]
    ink = render_face(_print_text(rng), face, int(h * rng.uniform(0.9, 1.5)))
    if rng.random() < 0.2:  # bold by a scanner's bleed
        ink = cv2.dilate(ink, np.ones((2, 2), np.uint8))
    return ink


def _mark(h: int, rng: np.random.Generator) -> np.ndarray:
    """An X, a tick, a dash, a slash, an equals sign or dots, by hand (not a circle: that is a 0)."""
    w = int(h * rng.uniform(0.5, 1.6))
    canvas = np.zeros((int(h * 1.3), w + h // 2), np.uint8)
    t = max(1, int(h * rng.uniform(0.05, 0.14)))
    o = h // 4
    kind = int(rng.integers(6))
    jit = lambda: int(rng.integers(-h // 10 - 1, h // 10 + 2))  # noqa: E731
    if kind == 0:
        cv2.line(canvas, (o, o + jit()), (o + w, o + h + jit()), 255, t, cv2.LINE_AA)
        cv2.line(canvas, (o + w, o + jit()), (o, o + h + jit()), 255, t, cv2.LINE_AA)
    elif kind == 1:
        pts = np.array([[o, o + h // 2], [o + w // 3, o + h], [o + w, o]], np.int32) + rng.integers(-2, 3, (3, 2))
        cv2.polylines(canvas, [pts.astype(np.int32)], False, 255, t, cv2.LINE_AA)
    elif kind == 2:
        y = o + h // 2
        cv2.line(canvas, (o, y), (o + w, y + jit()), 255, t, cv2.LINE_AA)
    elif kind == 3:
        cv2.line(canvas, (o + w, o), (o, o + h), 255, t, cv2.LINE_AA)
    elif kind == 4:
        for y in (o + h // 3, o + 2 * h // 3):
            cv2.line(canvas, (o, y), (o + w, y + jit()), 255, t, cv2.LINE_AA)
    else:
        for k in range(int(rng.integers(1, 4))):
            cv2.circle(canvas, (o + k * max(3, w // 3), o + h - t), max(1, t), 255, -1)
    return canvas.astype(np.float32) / 255.0


def _furniture(h: int, rng: np.random.Generator) -> np.ndarray:
    """What a form or a photo leaves that segmentation may take for glyphs."""
    kind = int(rng.integers(9))
    t = int(rng.choice([1, 1, 2, 2, 3]))
    if kind == 0:  # one or two box walls, maybe with stubs of the floor and ceiling
        H = int(h * rng.uniform(1.0, 3.0))
        n = int(rng.integers(1, 3))
        W = int(h * rng.uniform(0.6, 1.5)) * (n - 1) + 2 * t + int(rng.integers(0, h // 2 + 1))
        c = np.zeros((H + 2, W + 2), np.uint8)
        xs = [1] if n == 1 else [1, W - t]
        for x in xs:
            x2 = x + int(rng.integers(-1, 2)) if rng.random() < 0.3 else x
            cv2.line(c, (x, 1), (x2, H), 255, t)
        if rng.random() < 0.7:
            y = 1 if rng.random() < 0.5 else H
            cv2.line(c, (1, y), (xs[-1] + int(rng.integers(0, h // 3 + 1)), y), 255, t)
    elif kind == 1:  # a corner or a T of a table
        L = int(h * rng.uniform(0.5, 2.0))
        c = np.zeros((L + 2, L + 2), np.uint8)
        cv2.line(c, (L // 2 if rng.random() < 0.4 else 1, 1), (L // 2 if rng.random() < 0.4 else 1, L), 255, t)
        y = int(rng.choice([1, L // 2, L]))
        cv2.line(c, (1, y), (L, y), 255, t)
    elif kind == 2:  # a barcode
        n = int(rng.integers(8, 40))
        widths = rng.choice([1, 1, 2, 3], size=n)
        gaps = rng.choice([1, 2, 3], size=n)
        H = int(h * rng.uniform(0.8, 2.5))
        c = np.zeros((H, int(widths.sum() + gaps.sum()) + 2), np.uint8)
        x = 1
        for w, g in zip(widths, gaps):
            c[:, x : x + w] = 255
            x += w + g
    elif kind == 3:  # a dotted or dashed rule
        n = int(rng.integers(4, 20))
        step = int(rng.integers(3, max(4, h // 2)))
        c = np.zeros((max(3, t + 2), n * step + 2), np.uint8)
        for k in range(n):
            c[1 : 1 + t, 1 + k * step : 1 + k * step + max(1, step // 2)] = 255
        if rng.random() < 0.5:  # a table's dotted wall
            c = c.T.copy()
    elif kind == 4:  # paper texture, a desk's grain: clustered specks
        H, W = int(h * rng.uniform(0.6, 2)), int(h * rng.uniform(0.6, 5))
        noise = cv2.GaussianBlur(rng.random((H, W)).astype(np.float32), (0, 0), rng.uniform(0.8, 3))
        c = ((noise > np.quantile(noise, rng.uniform(0.8, 0.97))) * 255).astype(np.uint8)
    elif kind == 5:  # a shadow's or a page's edge, or a curved grid line of a photo
        L = int(h * rng.uniform(1.5, 6))
        pts = _smooth_path(40, rng, h * rng.uniform(0.05, 0.6), L)[:, ::-1][:, ::-1]
        pts = np.stack([pts[:, 1] * 0 + pts[:, 0], pts[:, 1]], 1)
        c = np.zeros((L + 4, int(pts[:, 0].max()) + 4 + t), np.uint8)
        cv2.polylines(c, [(pts + 2).astype(np.int32)], False, 255, int(rng.integers(1, 5)), cv2.LINE_AA)
        if rng.random() < 0.5:
            c = c.T.copy()
    elif kind == 6:  # a filled block, a bullet, a logo's solid part
        H, W = int(h * rng.uniform(0.3, 1.5)), int(h * rng.uniform(0.3, 3))
        c = np.zeros((H + 4, W + 4), np.uint8)
        if rng.random() < 0.5:
            c[2:-2, 2:-2] = 255
        else:  # filled: a ring would be a 0
            cv2.ellipse(c, (W // 2 + 2, H // 2 + 2), (W // 2, H // 2), 0, 0, 360, 255, -1)
    elif kind == 7:  # comb teeth: a floor with short walls
        n = int(rng.integers(2, 8))
        cell = int(h * rng.uniform(0.6, 1.3))
        tooth = int(cell * rng.uniform(0.2, 1.0))
        c = np.zeros((tooth + 4, n * cell + 4), np.uint8)
        cv2.line(c, (2, tooth + 1), (n * cell + 1, tooth + 1), 255, t)
        for k in range(n + 1):
            cv2.line(c, (2 + k * cell, 2), (2 + k * cell, tooth + 1), 255, t)
    else:  # a bracket, or a box's frame round nothing
        H, W = int(h * rng.uniform(0.8, 2.5)), int(h * rng.uniform(0.3, 2))
        c = np.zeros((H + 4, W + 4), np.uint8)
        if rng.random() < 0.5:
            cv2.rectangle(c, (2, 2), (W + 1, H + 1), 255, t)
        else:
            cv2.polylines(c, [np.array([[W, 2], [2, 2], [2, H], [W, H]], np.int32)], False, 255, t)
    return c.astype(np.float32) / 255.0


def _shear(ink: np.ndarray, s: float) -> np.ndarray:
    h, w = ink.shape
    pad = int(abs(s) * h) + 1
    m = np.float32([[1, -s, pad if s > 0 else 0], [0, 1, 0]])
    return cv2.warpAffine(ink, m, (w + pad, h), flags=cv2.INTER_LINEAR, borderValue=0)


def degrade(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What pens, scanners, cameras and segmentation do to a field's ink (0..1 in, 0..255 out)."""
    a = ink.astype(np.float32)
    if rng.random() < 0.5:
        a = _shear(a, rng.uniform(-0.2, 0.3))
    if rng.random() < 0.4:
        h, w = a.shape
        m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-6, 6), 1.0)
        a = cv2.warpAffine(a, m, (w, h), borderValue=0)
    r = rng.random()
    if r < 0.15:
        a = cv2.dilate(a, np.ones((2, 2), np.uint8))
    elif r < 0.25 and min(a.shape) > 12:
        a = cv2.erode(a, np.ones((2, 2), np.uint8))
    if rng.random() < 0.4:  # lower resolution: a fax, a small crop, a distant photo
        f = rng.uniform(0.3, 0.8)
        h, w = a.shape
        small = cv2.resize(a, (max(2, int(w * f)), max(2, int(h * f))), interpolation=cv2.INTER_AREA)
        a = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        a = cv2.GaussianBlur(a, (0, 0), rng.uniform(0.3, 1.2))
    a = a * rng.uniform(0.35, 1.0)
    if rng.random() < 0.5:  # uneven ink along the strokes (the paper stays paper)
        a = a * (1 + rng.normal(0, rng.uniform(0, 0.15), a.shape)).astype(np.float32)
    if rng.random() < 0.25:  # 1-bit
        a = (a > rng.uniform(0.2, 0.5) * a.max()).astype(np.float32)
    else:  # segmentation keeps only the strokes above its threshold
        a = np.where(a > rng.uniform(0.08, 0.3) * max(float(a.max()), 1e-6), a, 0)
    if rng.random() < 0.15:  # a speck or two beside it
        h, w = a.shape
        for _ in range(int(rng.integers(1, 4))):
            y, x = int(rng.integers(h)), int(rng.integers(w))
            a[y : y + 2, x : x + 2] = a.max()
    return np.clip(a * 255, 0, 255)


def _object(kind: str, h: int, digits: np.ndarray, fnt: Fonts, rng: np.random.Generator) -> np.ndarray:
    """One whole thing of ``kind`` written at digit height ``h``, as clean ink 0..1."""
    if kind == "number":
        if fnt.handwriting and rng.random() < 0.15:  # digits in a handwriting face
            text = "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(1, 6))))
            return render_face(
                text, fnt.handwriting[int(rng.integers(len(fnt.handwriting)))], int(h * rng.uniform(1.2, 1.8))
            )
        return _number(digits, h, rng)
    if kind == "words":
        if rng.random() < 0.75 and fnt.handwriting:
            path = fnt.handwriting[int(rng.integers(len(fnt.handwriting)))]
            return render_face(_word(rng), path, int(h * rng.uniform(1.2, 2.0)))
        return _capitals(h, rng)
    if kind == "signature":
        return _signature(h, fnt, rng)
    if kind == "print":
        return _print(h, fnt, rng)
    if kind == "mark":
        return _mark(h, rng)
    return _furniture(h, rng)


PART = {"number": 0.25, "words": 0.6, "signature": 0.6, "print": 0.6, "mark": 0.0, "furniture": 0.4}
"""How often the field is only a part of the thing written: segmentation parts a word
at its letters' gaps, a number at wide spacing, a signature where the pen lifted."""


def _part(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A mask of a run of neighbouring pieces of ``ink`` (pieces overlapping in x count as one)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats((ink > 0.3).astype(np.uint8), connectivity=8)
    if n <= 2:
        return ink > 0
    order = sorted(range(1, n), key=lambda k: stats[k, cv2.CC_STAT_LEFT])
    clusters: list[list[int]] = []
    right = -1
    for k in order:
        x, w = stats[k, cv2.CC_STAT_LEFT], stats[k, cv2.CC_STAT_WIDTH]
        if clusters and x < right - min(w, 4) // 2:
            clusters[-1].append(k)
        else:
            clusters.append([k])
        right = max(right, x + w) if clusters[-1] != [k] else x + w
    tall = [max(stats[k, cv2.CC_STAT_HEIGHT] for k in c) for c in clusters]
    big = [i for i, t in enumerate(tall) if t >= 0.4 * max(tall)]
    first = int(rng.choice(big))
    last = min(len(clusters) - 1, first + int(rng.integers(0, 3)))
    chosen = np.isin(labels, [k for c in clusters[first : last + 1] for k in c])
    return cv2.dilate(chosen.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0


def sample(kind: str, digits: np.ndarray, fnt: Fonts, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One generated field of ``kind`` (a name of :data:`FIELD_CLASSES`) with what is around
    it: the field's own ink and the rest, two degraded canvases of one shape (0..255).

    The field is the whole thing written, or a part of it (see PART), with the rest of
    it and, often, other things beside it on the line as context."""
    h = int(rng.uniform(12, 48))
    thing = _object(kind, h, digits, fnt, rng)
    own_mask = _part(thing, rng) if rng.random() < PART[kind] else thing > 0
    kinds = list(SHARES)
    pieces = [(thing, own_mask)]
    for side in (0, 1):  # neighbours on the line, left and right
        if rng.random() < 0.55:
            other = _object(str(rng.choice(kinds)), max(8, int(h * rng.uniform(0.6, 1.4))), digits, fnt, rng)
            pieces.insert(0 if side == 0 else len(pieces), (other, None))
    gaps = [int(h * rng.uniform(0.4, 3.0)) for _ in pieces]
    height = max(p.shape[0] for p, _ in pieces) + h
    width = sum(p.shape[1] for p, _ in pieces) + sum(gaps) + 4
    own = np.zeros((height, width), np.float32)
    rest = np.zeros((height, width), np.float32)
    x = 2
    for (ink, mask), gap in zip(pieces, gaps):
        ph, pw = ink.shape
        y = int(np.clip((height - ph) // 2 + rng.uniform(-0.3, 0.3) * h, 0, height - ph))
        if mask is None:
            rest[y : y + ph, x : x + pw] = np.maximum(rest[y : y + ph, x : x + pw], ink)
        else:
            own[y : y + ph, x : x + pw] = np.where(mask, ink, 0)
            rest[y : y + ph, x : x + pw] = np.maximum(rest[y : y + ph, x : x + pw], np.where(mask, 0, ink))
        x += pw + gap
    seed = int(rng.integers(1 << 31))  # the same pen, scan and camera for the field and its context
    return degrade(own, np.random.default_rng(seed)), degrade(rest, np.random.default_rng(seed))


CHUNK = 2000
"""Fields drawn from one seed: the set is the same whatever the number of processes."""


_DIGITS: dict[str, np.ndarray] = {}
"""The digit pool of a worker process, sent once (see :func:`field_set`)."""


def _share(digits: np.ndarray) -> None:
    _DIGITS["pool"] = digits


def _chunk(args: tuple[int, int, int, bool]) -> tuple[np.ndarray, np.ndarray]:
    n, seed, chunk, held_out = args
    digits = _DIGITS["pool"]
    rng = np.random.default_rng([seed, chunk])
    fnt = fonts(held_out)
    kinds = list(SHARES)
    labels = rng.choice(len(kinds), size=n, p=np.array([SHARES[k] for k in kinds]))
    frames = np.stack([to_field_input(*sample(kinds[k], digits, fnt, rng)) for k in labels])
    return frames, np.array([FIELD_CLASSES.index(kinds[k]) for k in labels], np.int32)


def field_set(
    n: int, digits: np.ndarray, seed: int, held_out: bool = False, jobs: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` framed fields (N, FIELD_HEIGHT, FIELD_WIDTH, FIELD_CHANNELS) and their class
    indices, drawn by :data:`SHARES`, in chunks of CHUNK over ``jobs`` processes."""
    tasks = [(min(CHUNK, n - start), seed, k, held_out) for k, start in enumerate(range(0, n, CHUNK))]
    if jobs > 1 and len(tasks) > 1:
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        context = get_context("spawn")
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_share, initargs=(digits,)) as pool:
            parts = list(pool.map(_chunk, tasks))
    else:
        _share(digits)
        parts = [_chunk(t) for t in tasks]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
