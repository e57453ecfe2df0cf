# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Pseudo-label round files: written atomically, read back on ``--resume`` only when whole.

An offline round is the student's label of every unlabelled image, with its confidences and
selections. :class:`SemiHandHook` decides when a round is made; this module is how a round reaches
the disk and comes back. Nothing may be lost or mixed up: a round is written to a temporary file
and renamed (a crash leaves the previous round, never half of one), and a round read back must
belong to the same unlabelled set (a fingerprint of its sample ids) and hold one row per sample,
or resuming stops with an error naming the file and what is wrong.
"""
import hashlib
import io
import json
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np
import torch

from semihand_mmpose.biomech.skeleton import NUM_JOINTS
from semihand_mmpose.fileio import AtomicLocalBackend

#: what every round file holds (``keep_joints`` too, unless written before joint selection)
REQUIRED_KEYS = ('ids', 'uv', 'z_rel', 'confidence', 'keep', 'fingerprint')


class PseudoLabelFileError(RuntimeError):
    """A pseudo-label round file that cannot be used."""


def dataset_fingerprint(ids: Sequence[int]) -> str:
    """SHA-1 of the unlabelled set's sample ids in dataset order: a round made for another set
    (or the same images in another order) has another fingerprint."""
    return hashlib.sha1(np.asarray(ids, np.int64).tobytes()).hexdigest()


def check_round_shapes(data: dict, num_samples: int, path: str) -> None:
    """Raise :class:`PseudoLabelFileError` unless every array of a saved round has the shape of
    ``num_samples`` hands of ``NUM_JOINTS`` joints.

    A round is read back on ``--resume``; one with, say, a single ``keep`` flag for the whole set
    would otherwise broadcast silently into every sample's selection.

    Args:
        data (dict): The round as saved (tensors or arrays; ``keep_joints`` may be absent in a
            round written before joint selection existed).
        num_samples (int): Size of the unlabelled set.
        path (str): The round's file, named in the error.
    """
    k = NUM_JOINTS
    expected = dict(ids=(num_samples, ), uv=(num_samples, k, 2), z_rel=(num_samples, k),
                    confidence=(num_samples, k), keep=(num_samples, ),
                    keep_joints=(num_samples, k))
    for key, shape in expected.items():
        if key in data and tuple(np.shape(data[key])) != shape:
            raise PseudoLabelFileError(
                f'pseudo-label round {path}: {key} has shape {tuple(np.shape(data[key]))}, '
                f'expected {shape} for the {num_samples} unlabelled samples; remove it to '
                'regenerate the round')


def save_round(path: str, labels: dict) -> None:
    """Write a round atomically (:class:`AtomicLocalBackend`: a temporary file renamed over
    ``path``).

    Args:
        path (str): ``<work_dir>/pseudo_labels/round_XXX.pth``.
        labels (dict): Arrays ``ids`` (N,), ``uv`` (N, K, 2), ``z_rel``, ``confidence`` (N, K),
            ``keep`` (N,), ``keep_joints`` (N, K), ``iter``, and the ``fingerprint`` string.
    """
    with io.BytesIO() as f:
        torch.save({k: torch.as_tensor(v) if k != 'fingerprint' else str(v)
                    for k, v in labels.items()}, f)
        AtomicLocalBackend().put(f.getvalue(), path)


def load_round(path: str, fingerprint: str, num_samples: int) -> Dict[str, np.ndarray]:
    """Read a round back for ``--resume``, refusing one that is truncated, foreign or misshapen.

    Args:
        path (str): The round file.
        fingerprint (str): :func:`dataset_fingerprint` of the unlabelled set being trained on.
        num_samples (int): Size of that set.

    Returns:
        dict: The round's arrays (as numpy) and its fingerprint.
    """
    try:
        data = torch.load(path, map_location='cpu', weights_only=False)
    except Exception as e:  # a truncated or foreign file
        raise PseudoLabelFileError(f'pseudo-label round {path} cannot be read ({e}); remove it '
                                   'to regenerate the round') from e
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise PseudoLabelFileError(f'pseudo-label round {path} lacks {missing}')
    if data['fingerprint'] != fingerprint:
        raise PseudoLabelFileError(
            f'pseudo-label round {path} was made for another unlabelled dataset (its sample '
            'ids differ); point --work-dir elsewhere or remove the pseudo_labels folder')
    check_round_shapes(data, num_samples, path)
    return {k: (v.numpy() if torch.is_tensor(v) else v) for k, v in data.items()}


def write_round_log(path: str, rows: List[dict]) -> None:
    """Write the rounds' statistics (``rounds.json``, the convergence curve that
    ``tools/analysis/plot_rounds.py`` draws) atomically."""
    AtomicLocalBackend().put_text(json.dumps(rows, indent=1), path)


def read_round_log(path: str, num_rounds: int) -> List[dict]:
    """The statistics of the first ``num_rounds`` rounds from ``rounds.json``; a round whose row
    is missing (the run stopped between writing the round and its row) gets ``{'round': i}``."""
    rows = []
    if osp.isfile(path):
        with open(path) as f:
            try:
                rows = json.load(f)
            except json.JSONDecodeError as error:
                raise _bad_round_log(path, error) from error
        if not (isinstance(rows, list) and all(isinstance(row, dict) for row in rows)):
            raise _bad_round_log(path, rows)
        rows = rows[:num_rounds]
    return rows + [dict(round=i) for i in range(len(rows), num_rounds)]


def _bad_round_log(path: str, found) -> PseudoLabelFileError:
    """The error for a ``rounds.json`` that is not a list of rows; ``found`` is what it holds
    instead, or the JSON decoder's error."""
    return PseudoLabelFileError(
        f'{path} is not a JSON list of one object per round ({str(found)[:200]}); it holds the '
        "rounds' statistics only (the labels are in the round files): remove it to resume "
        'without the earlier rows')
