# Copyright (c) semihand_mmpose authors. All rights reserved.
"""The synthetic domains: clean "rendered" hands and "real-like" ones.

The source domain plays RHD: cluttered, textured backgrounds, flat light, one skin-tone family, no
corruption. The target domain plays STB / Dexter+Object: other skin tones, coloured and directional
light, occluding objects, sensor noise, blur and JPEG compression, and a wider distribution of poses
and viewpoints. A third, ``target_poses``, has the source's appearance and wider poses still: a gap
in poses and views alone. Everything a domain does is in its :class:`DomainStyle`, so the gap is
explicit and each part of it can be turned off.
"""
import hashlib
from dataclasses import dataclass, field
from typing import Optional, Tuple

import cv2
import numpy as np

from .hand_sampler import PoseDistribution


@dataclass(frozen=True)
class DomainStyle:
    """How a domain's images are made.

    Args:
        poses (PoseDistribution): Hand shapes, articulation and viewpoints.
        skin_tones (tuple): Base skin colours (BGR) to pick from.
        skin_jitter (float): Per-channel jitter of the skin colour.
        shading (tuple): Capsule layer brightness, outermost first.
        clutter (int): Largest number of background shapes (0: a plain background).
        skin_distractors (float): Probability that a background shape is skin-coloured.
        texture (float): Amplitude of the background's low-frequency texture.
        colour_cast (float): Largest per-channel gain change of the light.
        occluder_prob (float): Probability of an object in front of the hand.
        noise (tuple): Range of the sensor noise's standard deviation (grey levels).
        blur (tuple): Range of the Gaussian blur's sigma (pixels).
        jpeg_quality (tuple): Range of JPEG quality; ``(100, 100)`` is lossless.
    """
    poses: PoseDistribution = field(default_factory=PoseDistribution)
    skin_tones: Tuple[Tuple[float, float, float], ...] = ((150., 180., 225.),)
    skin_jitter: float = 8.0
    shading: Tuple[float, ...] = (0.9, 0.96, 1.0)
    clutter: int = 0
    skin_distractors: float = 0.0
    texture: float = 0.0
    colour_cast: float = 0.0
    occluder_prob: float = 0.0
    noise: Tuple[float, float] = (0.0, 0.0)
    blur: Tuple[float, float] = (0.0, 0.0)
    jpeg_quality: Tuple[int, int] = (100, 100)


# RHD renders its hands over random real photographs, so the source has cluttered, textured
# backgrounds too; but one skin-tone family, flat light and no sensor corruption.
SOURCE = DomainStyle(clutter=8, texture=30.0)

# Poses overlap the source's and reach a little beyond them (more curl and abduction, wider views),
# as STB's overlap RHD's; the rest of the gap is appearance. (A first target also turned hands up to
# 110 degrees away, showing the back of the hand the source never shows, with dark skin tones and
# skin-coloured distractors: even the target-labelled oracle reached only 0.34 AUC there, and the
# source model's pseudo-labels were off by 23 px on 128 px images.)
TARGET = DomainStyle(
    poses=PoseDistribution(
        curl=(0.0, 0.75), curl_jitter=0.12, abduction=0.6, yaw=(-55.0, 55.0),
        pitch=(-40.0, 40.0), roll=(-70.0, 70.0), scale=(0.85, 1.15), extent_px=(0.5, 0.75),
        focal=(1.0, 1.5), offset=0.08),
    skin_tones=((110., 140., 190.), (130., 160., 205.), (160., 185., 220.), (120., 150., 200.)),
    skin_jitter=12.0,
    shading=(0.7, 0.88, 1.0),
    clutter=6,
    skin_distractors=0.0,
    texture=25.0,
    colour_cast=0.2,
    occluder_prob=0.15,
    noise=(2.0, 8.0),
    blur=(0.0, 1.2),
    jpeg_quality=(40, 90),
)

# An experiment's target (docs/results.md, "A target that differs in poses only"): the source's
# appearance exactly, and poses and views wider than the target's (fists, full abduction, hands
# turned up to 80 degrees), so that its whole gap is one that photometric augmentation cannot cover.
TARGET_POSES = DomainStyle(
    poses=PoseDistribution(
        curl=(0.0, 0.95), curl_jitter=0.15, abduction=0.9, yaw=(-80.0, 80.0),
        pitch=(-50.0, 50.0), roll=(-70.0, 70.0), scale=(0.85, 1.15), extent_px=(0.5, 0.75),
        focal=(1.0, 1.5), offset=0.08),
    clutter=8, texture=30.0)

DOMAINS = dict(source=SOURCE, target=TARGET, target_poses=TARGET_POSES)


def style_fingerprint(domain: str) -> str:
    """Eight hex digits that change whenever the domain's style does (part of the cache name)."""
    return hashlib.sha1(repr(DOMAINS[domain]).encode()).hexdigest()[:8]


def skin_colour(rng: np.random.Generator, style: DomainStyle) -> np.ndarray:
    """A skin colour (BGR) of the domain."""
    tone = np.asarray(style.skin_tones[rng.integers(len(style.skin_tones))])
    return np.clip(tone + rng.normal(0.0, style.skin_jitter, 3), 20, 250)


def light_direction(rng: np.random.Generator, style: DomainStyle) -> np.ndarray:
    """A unit light direction in the camera frame; flat domains light from the camera."""
    if style.colour_cast == 0.0:
        return np.array([0.0, 0.0, -1.0])
    d = rng.normal(0.0, 1.0, 3) + np.array([0.0, 0.0, -1.5])
    return d / np.linalg.norm(d)


def background(rng: np.random.Generator, style: DomainStyle, size: int) -> np.ndarray:
    """The background image (BGR uint8, size x size)."""
    base = rng.uniform(40, 220, 3)
    img = np.empty((size, size, 3), np.float32)
    img[:] = base
    if style.texture > 0:
        coarse = rng.normal(0.0, style.texture, (6, 6, 3)).astype(np.float32)
        img += cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
        fine = _noise(rng, (size // 4, size // 4, 3)) * np.float32(style.texture * 0.3)
        img += cv2.resize(fine, (size, size), interpolation=cv2.INTER_LINEAR)
    img = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(rng.integers(0, style.clutter + 1)):
        _draw_shape(img, rng, style, size)
    return img


def _draw_shape(img: np.ndarray, rng: np.random.Generator, style: DomainStyle, size: int) -> None:
    if rng.random() < style.skin_distractors:
        colour = tuple(float(c) for c in skin_colour(rng, style))
    else:
        colour = tuple(float(c) for c in rng.uniform(0, 255, 3))
    x, y = rng.uniform(-0.1, 1.1, 2) * size
    r = rng.uniform(0.04, 0.3) * size
    kind = rng.integers(3)
    if kind == 0:
        cv2.ellipse(img, (int(x), int(y)), (int(r), int(r * rng.uniform(0.3, 1.0))),
                    float(rng.uniform(0, 180)), 0, 360, colour, -1, cv2.LINE_AA)
    elif kind == 1:
        box = cv2.boxPoints(((x, y), (r * 2, r * rng.uniform(0.2, 1.2)), rng.uniform(0, 180)))
        cv2.fillConvexPoly(img, box.astype(np.int32), colour, cv2.LINE_AA)
    else:
        x2, y2 = rng.uniform(0, 1, 2) * size
        cv2.line(img, (int(x), int(y)), (int(x2), int(y2)), colour,
                 int(rng.integers(1, max(2, size // 16))), cv2.LINE_AA)


def add_occluder(img: np.ndarray, part_ids: np.ndarray, rng: np.random.Generator,
                 style: DomainStyle, uv: np.ndarray) -> None:
    """Maybe put an object in front of the hand; it hides the hand's pixels under it (in place)."""
    if rng.random() >= style.occluder_prob:
        return
    size = img.shape[0]
    anchor = uv[rng.integers(len(uv))] + rng.normal(0.0, 0.08 * size, 2)
    occ = np.zeros(part_ids.shape, np.uint8)
    axes = (int(rng.uniform(0.06, 0.16) * size), int(rng.uniform(0.04, 0.12) * size))
    cv2.ellipse(occ, (int(anchor[0]), int(anchor[1])), axes, float(rng.uniform(0, 180)), 0, 360,
                1, -1, cv2.LINE_8)
    colour = rng.uniform(0, 255, 3).astype(np.float32)
    covered = occ.astype(bool)
    shade = 0.75 + 0.25 * rng.random((int(covered.sum()), 1), dtype=np.float32)
    img[covered] = np.clip(colour * shade, 0, 255).astype(np.uint8)
    part_ids[covered] = 0


_NOISE_BANK_SIZE = 1 << 20
_noise_bank = None


def _noise(rng: np.random.Generator, shape: Tuple[int, ...]) -> np.ndarray:
    """Standard normal noise: a random window of a fixed, seeded bank (much faster than drawing
    fresh noise per image, and still determined by ``rng``)."""
    global _noise_bank
    if _noise_bank is None:
        _noise_bank = np.random.default_rng(20211011).standard_normal(_NOISE_BANK_SIZE,
                                                                      dtype=np.float32)
    n = int(np.prod(shape))
    start = int(rng.integers(0, _NOISE_BANK_SIZE - n))
    return _noise_bank[start:start + n].reshape(shape)


def corrupt(img: np.ndarray, rng: np.random.Generator,
            style: DomainStyle) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Colour cast, blur, sensor noise and JPEG compression, as the style says.

    Returns:
        tuple: The image, and its JPEG bytes when the style compresses (the image is exactly
        their decoding, so a writer can store the bytes as they are), else ``None``.
    """
    out = img.astype(np.float32)
    if style.colour_cast > 0:
        out *= 1.0 + rng.uniform(-style.colour_cast, style.colour_cast, 3).astype(np.float32)
    if style.blur[1] > 0:
        sigma = rng.uniform(*style.blur)
        if sigma > 0.3:
            out = cv2.GaussianBlur(out, (0, 0), sigma)
    if style.noise[1] > 0:
        out += _noise(rng, out.shape) * np.float32(rng.uniform(*style.noise))
    out = np.clip(out, 0, 255).astype(np.uint8)
    quality = int(rng.integers(style.jpeg_quality[0], style.jpeg_quality[1] + 1))
    if quality >= 100:
        return out, None
    ok, buf = cv2.imencode('.jpg', out, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR), buf
