# Copyright (c) semihand_mmpose authors. All rights reserved.
"""COCO-style 3D hand dataset: one hand per sample, with 2D, 3D, camera and mask."""
import math
import os.path as osp
from typing import Any, List, Optional, Tuple, Union

import numpy as np
from mmengine.fileio import load
from mmpose.datasets.datasets.base import BaseCocoStyleDataset
from mmpose.datasets.transforms.mix_img_transforms import MixImageTransform
from mmpose.registry import DATASETS

from .hand3d_format import HAND_SIDES

NUM_KEYPOINTS = 21
# inside the package (installed with it as package data), so that a non-editable install finds it
METAINFO_FILE = osp.join(osp.dirname(osp.abspath(__file__)), 'metainfo', 'hand21.py')


class AnnotationError(ValueError):
    """An annotation file that does not follow the 3D hand format."""


@DATASETS.register_module()
class Hand3DDataset(BaseCocoStyleDataset):
    """3D hand dataset in COCO style, the format every converter of this project writes.

    ``images`` entries: ``id``, ``file_name``, ``width``, ``height`` and optionally ``K``
    (3x3 intrinsics). ``annotations`` entries: ``id``, ``image_id``, ``bbox`` (x, y, w, h) and,
    for labelled hands, ``keypoints`` (21 x [u, v, flag], flag 2 visible, 1 labelled but hidden, 0
    unlabelled), optionally ``keypoints_3d`` (21 x 3, mm, camera frame), ``keypoints_3d_valid``
    (21 flags; defaults to all ones), ``mask_file`` and ``hand_side`` (``'left'``/``'right'``).
    Paths are relative to ``data_prefix['img']`` (images) and ``data_prefix['mask']`` (masks;
    defaults to the image prefix).

    Args:
        labelled (bool): ``False`` serves the images as unlabelled: keypoints are dropped and
            hands without keypoints are kept (MMPose's top-down filter would drop them); every
            image then needs ``K``. Defaults to ``True``.
        dataset_name (str, optional): Overrides the metainfo's ``dataset_name``; every sample
            carries it, so one metric can report several test sets apart. Defaults to ``None``.
        missing_data_hint (str | dict, optional): Added to the error when ``ann_file`` does not
            exist. A dict ``dict(converter='stb_to_hand3d', source='data/STB')`` names the
            script of ``tools/dataset_converters/`` that writes it and the original files, and
            the error gives the command (``--out-dir`` where ``ann_file`` is looked for). The dict
            keeps the config quick to format: MMEngine's yapf takes seconds over a config with
            long strings nested in it. Defaults to ``None``.
        **kwargs: See :class:`mmpose.datasets.BaseCocoStyleDataset`.
    """

    METAINFO: dict = dict(from_file=METAINFO_FILE)

    def __init__(self, *args, labelled: bool = True, dataset_name: Optional[str] = None,
                 missing_data_hint: Optional[Union[str, dict]] = None, **kwargs) -> None:
        self.labelled = labelled
        hint_keys = {'converter', 'source'}
        if isinstance(missing_data_hint, dict) and set(missing_data_hint) != hint_keys:
            raise ValueError('missing_data_hint as a dict needs the keys "converter" and "source", '
                             f'got {missing_data_hint!r}')
        self.missing_data_hint = missing_data_hint
        super().__init__(*args, **kwargs)
        if dataset_name is not None:
            self._metainfo['dataset_name'] = dataset_name
        self._attach_dataset = mixes_images(self.pipeline)

    def prepare_data(self, idx: int) -> Any:
        """Get data processed by ``self.pipeline``, with the dataset attached only if the
        pipeline mixes images.

        MMPose attaches the dataset itself to every sample for its mixed-image transforms
        (``Mosaic``, ``YOLOXMixUp``), the only ones that read it. mmdet's ``MultiBranch``, which
        the SemiHand pipelines use, deep-copies the sample once per branch, dataset and its
        serialised annotations included: 5 ms a sample for the 12,000 synthetic source hands, and
        it grows with the dataset. Without a mixed-image transform nothing reads it, so it is not
        attached.
        """
        data_info = self.get_data_info(idx)
        if self._attach_dataset:
            data_info['dataset'] = self
        return self.pipeline(data_info)

    # ---------------------------------------------------------------- loading
    def _missing_data_hint(self) -> str:
        hint = self.missing_data_hint
        if isinstance(hint, dict):
            hint = (f'Convert the original files first: python tools/dataset_converters/'
                    f'{hint["converter"]}.py {hint["source"]} --out-dir '
                    f'{osp.dirname(self.ann_file) or "."} (README, "Data preparation")')
        return f'. {hint}' if hint else ''

    def _load_annotations(self) -> Tuple[List[dict], List[dict]]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'annotation file {self.ann_file!r} does not exist{self._missing_data_hint()}')
        coco = load(self.ann_file)
        for key in ('images', 'annotations'):
            if not isinstance(coco, dict) or not isinstance(coco.get(key), list):
                raise AnnotationError(f'{self.ann_file}: expected a top-level list "{key}"')
        img_prefix = self.data_prefix.get('img', '')
        mask_prefix = self.data_prefix.get('mask', img_prefix)

        images = {}
        for i, img in enumerate(coco['images']):
            where = f'{self.ann_file}: images[{i}]'
            for key in ('id', 'file_name', 'width', 'height'):
                if key not in img:
                    raise AnnotationError(f'{where} has no field "{key}"')
            info = dict(img_id=img['id'], img_path=osp.join(img_prefix, img['file_name']),
                        width=int(img['width']), height=int(img['height']))
            if 'K' in img:
                info['K'] = _array(img['K'], (3, 3), where, 'K')
            elif not self.labelled:
                # found now, not as a KeyError in the first pseudo-label round after burn-in
                raise AnnotationError(
                    f'{where} has no field "K" (3x3 camera intrinsics): unlabelled hands need it, '
                    'as SemiHand lifts their pseudo-labels to 3D with it to correct them')
            images[img['id']] = info
        missing = [info['img_path'] for info in images.values() if not osp.isfile(info['img_path'])]
        if missing:
            raise FileNotFoundError(f'{self.ann_file}: {len(missing)} image file(s) listed in '
                                    f'"images" do not exist, e.g. {missing[:3]}')

        instances = []
        for i, ann in enumerate(coco['annotations']):
            where = f'{self.ann_file}: annotations[{i}]'
            if ann.get('image_id') not in images:
                raise AnnotationError(f'{where} field "image_id" ({ann.get("image_id")!r}) names '
                                      'no entry of "images"')
            instances.append(self._parse(ann, images[ann['image_id']], where, mask_prefix))
        return instances, list(images.values())

    def _parse(self, ann: dict, img: dict, where: str, mask_prefix: str) -> dict:
        for key in ('id', 'bbox'):
            if key not in ann:
                raise AnnotationError(f'{where} has no field "{key}"')
        x, y, w, h = _array(ann['bbox'], (4, ), where, 'bbox')
        if w <= 0 or h <= 0:
            raise AnnotationError(f'{where} field "bbox" has a non-positive size ({w}, {h})')
        # any other value would count as a right hand: the corrector mirrors only 'left' ones
        if ann.get('hand_side', 'right') not in HAND_SIDES:
            raise AnnotationError(f'{where} field "hand_side" is {ann["hand_side"]!r}, expected '
                                  f'one of {HAND_SIDES}')
        info = dict(
            img_id=img['img_id'], img_path=img['img_path'], id=ann['id'],
            bbox=np.array([[x, y, x + w, y + h]], np.float32),
            bbox_score=np.ones(1, np.float32), category_id=np.array(ann.get('category_id', 1)),
            iscrowd=ann.get('iscrowd', 0), area=np.array(w * h, np.float32),
            hand_side=ann.get('hand_side', 'right'), labelled=False,
            mask_path=(osp.join(mask_prefix, ann['mask_file']) if ann.get('mask_file') else None))
        if 'K' in img:
            info['K'] = img['K']
        if not self.labelled or 'keypoints' not in ann:
            info['num_keypoints'] = 0
            return info
        kpts = _array(ann['keypoints'], (NUM_KEYPOINTS * 3, ), where, 'keypoints').reshape(
            1, NUM_KEYPOINTS, 3)
        flags = kpts[..., 2]
        info.update(
            labelled=True, keypoints=kpts[..., :2], keypoints_visible=np.minimum(flags, 1.0),
            keypoints_flag=flags, num_keypoints=int(np.count_nonzero(flags)))
        if 'keypoints_3d' in ann:
            if 'K' not in img:
                raise AnnotationError(f'{where} has "keypoints_3d" but its image has no "K"')
            info['keypoints_3d'] = _array(ann['keypoints_3d'], (NUM_KEYPOINTS, 3), where,
                                          'keypoints_3d')[None]
            valid = ann.get('keypoints_3d_valid', [1.0] * NUM_KEYPOINTS)
            info['keypoints_3d_visible'] = _array(valid, (NUM_KEYPOINTS, ), where,
                                                  'keypoints_3d_valid')[None]
        return info

    def _get_topdown_data_infos(self, instance_list: List[dict]) -> List[dict]:
        if not self.labelled:
            data_list = [d for d in instance_list if not d['iscrowd']]
        else:
            data_list = list(filter(self._is_valid_instance, instance_list))
        if not data_list:
            raise AnnotationError(
                f'{self.ann_file}: no usable hand among {len(instance_list)} annotation(s)'
                + (' (labelled=True needs "keypoints" with at least one labelled joint)'
                   if self.labelled else ''))
        return data_list


def mixes_images(transform: Any) -> bool:
    """Whether a pipeline holds one of MMPose's mixed-image transforms, the readers of
    ``results['dataset']``, at any depth: inside ``Compose``, mmcv's ``RandomApply``,
    ``RandomChoice`` and ``KeyMapper`` (``transforms``) or mmdet's ``MultiBranch``
    (``branch_pipelines``)."""
    if isinstance(transform, MixImageTransform):
        return True
    children = []
    for attr in ('transforms', 'branch_pipelines'):
        value = getattr(transform, attr, None)
        if isinstance(value, dict):
            children += list(value.values())
        elif isinstance(value, (list, tuple)):
            children += list(value)
        elif value is not None:
            children.append(value)
    return any(mixes_images(child) for child in children)


def _array(value: Any, shape: Tuple[int, ...], where: str, field: str) -> np.ndarray:
    """``value`` as a finite float32 array of ``shape``, or an error naming the field."""
    try:
        arr = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise AnnotationError(f'{where} field "{field}" is not numeric') from None
    # math.prod and the array's own all(): numpy's module functions cost more than the check
    # itself on these few values, and a 15,000-hand set calls this 66,000 times
    size = math.prod(shape)
    if arr.size != size:
        raise AnnotationError(f'{where} field "{field}" has {arr.size} values, expected '
                              f'{size} (shape {shape})')
    arr = arr.reshape(shape)
    if not np.isfinite(arr).all():
        raise AnnotationError(f'{where} field "{field}" has a non-finite value')
    return arr

