# Copyright (c) semihand_mmpose authors. All rights reserved.
import json
import os
import shutil

import numpy as np
import pytest

from semihand_mmpose.datasets import AnnotationError, Hand3DDataset

PIPELINE = [
    dict(type='LoadImage'),
    dict(type='LoadHandMask'),
    dict(type='GetBBoxCenterScale', padding=1.25),
    dict(type='HandAffine', input_size=(64, 64)),
    dict(type='GenerateTarget', encoder=dict(type='Hand25DCoordinate', input_size=(64, 64))),
    dict(type='PackHand3DInputs'),
]


def _copy(small_split, tmp_path, edit):
    ann_file, root = small_split
    coco = json.load(open(ann_file))
    edit(coco)
    out = tmp_path / 'ann.json'
    out.write_text(json.dumps(coco))
    return str(out), root


def test_labelled_sample_carries_3d_mask_and_geometry(small_split):
    ann_file, root = small_split
    ds = Hand3DDataset(ann_file=ann_file, data_prefix=dict(img=root), pipeline=PIPELINE)
    assert len(ds) == 24
    sample = ds[0]['data_samples']
    assert sample.gt_instances.keypoints_3d.shape == (1, 21, 3)
    assert sample.gt_instance_labels.keypoint_z_rel.shape == (1, 21)
    assert sample.gt_fields.hand_mask.shape == (1, 64, 64) and sample.has_mask
    assert np.asarray(sample.crop_matrix).shape == (3, 3)
    assert sample.dataset_name == 'hand21_3d'


def test_dataset_is_attached_only_for_pipelines_that_mix_images(small_split):
    # mmdet's MultiBranch deep-copies each sample per branch: an attached dataset would be copied
    # with it, so it is attached only when a mixed-image transform (nested here) reads it
    ann_file, root = small_split

    def branched(steps):
        return [dict(type='mmdet.MultiBranch', branch_field=['view'], view=steps)]

    plain = Hand3DDataset(ann_file=ann_file, data_prefix=dict(img=root), pipeline=branched([]))
    sample = plain[0]
    assert 'dataset' not in sample
    assert sample['img_path']['view'] == plain.get_data_info(0)['img_path']
    mixup = dict(type='mmcv.RandomApply', transforms=[dict(type='YOLOXMixUp', prob=0.0)])
    mixing = Hand3DDataset(ann_file=ann_file, data_prefix=dict(img=root),
                           pipeline=branched([mixup]))
    assert isinstance(mixing[0]['dataset']['view'], Hand3DDataset)


def test_unlabelled_keeps_hands_without_keypoints(small_split, tmp_path):
    def strip(coco):
        for ann in coco['annotations']:
            del ann['keypoints'], ann['keypoints_3d']
    ann_file, root = _copy(small_split, tmp_path, strip)
    ds = Hand3DDataset(ann_file=ann_file, data_prefix=dict(img=root), labelled=False,
                       dataset_name='unlab')
    assert len(ds) == 24 and ds.metainfo['dataset_name'] == 'unlab'
    with pytest.raises(AnnotationError, match='no usable hand among 24'):
        Hand3DDataset(ann_file=ann_file, data_prefix=dict(img=root))
    # an empty unlabelled set stops at the dataset, with its file named
    (tmp_path / 'empty').mkdir()
    empty_file, root = _copy(small_split, tmp_path / 'empty',
                             lambda coco: coco.update(annotations=[]))
    with pytest.raises(AnnotationError, match=f'{empty_file}: no usable hand among 0'):
        Hand3DDataset(ann_file=empty_file, data_prefix=dict(img=root), labelled=False)
    # unlabelled hands need their camera (SemiHand lifts their pseudo-labels to 3D): an image
    # without K is refused when the set is built, not in the first round after burn-in
    (tmp_path / 'no_k').mkdir()
    no_k, root = _copy(small_split, tmp_path / 'no_k', lambda coco: coco['images'][5].pop('K'))
    with pytest.raises(AnnotationError, match=rf'{no_k}: images\[5\] has no field "K"'):
        Hand3DDataset(ann_file=no_k, data_prefix=dict(img=root), labelled=False)
    # labelled, its hands have keypoints_3d, which need K too, as before
    with pytest.raises(AnnotationError, match='has "keypoints_3d" but its image has no "K"'):
        Hand3DDataset(ann_file=no_k, data_prefix=dict(img=root))


@pytest.mark.parametrize('edit,message', [
    (lambda c: c['annotations'][3].pop('bbox'), r'annotations\[3\] has no field "bbox"'),
    (lambda c: c['annotations'][2].update(keypoints=[0.0] * 60),
     r'annotations\[2\] field "keypoints" has 60 values, expected 63'),
    (lambda c: c['images'][1].update(K=[[float('nan')] * 3] * 3),
     r'images\[1\] field "K" has a non-finite value'),
    (lambda c: c['annotations'][0].update(image_id=999), 'names no entry of "images"'),
    (lambda c: c['annotations'][4].update(hand_side='Left'),
     r"annotations\[4\] field \"hand_side\" is 'Left', expected one of \('left', 'right'\)"),
    (lambda c: c['images'][0].update(file_name='images/missing.png'), 'do not exist'),
])
def test_bad_annotations_name_the_file_and_field(small_split, tmp_path, edit, message):
    ann_file, root = _copy(small_split, tmp_path, edit)
    with pytest.raises((AnnotationError, FileNotFoundError), match=message) as err:
        Hand3DDataset(ann_file=ann_file, data_prefix=dict(img=root))
    assert 'ann.json' in str(err.value)


def test_missing_mask_file_is_reported(small_split, tmp_path):
    ann_file, root = small_split
    new_root = tmp_path / 'copy'
    shutil.copytree(root, new_root)
    coco = json.load(open(ann_file))
    os.remove(new_root / coco['annotations'][0]['mask_file'])
    ds = Hand3DDataset(ann_file=str(new_root / 'annotations.json'),
                       data_prefix=dict(img=str(new_root)), pipeline=PIPELINE)
    with pytest.raises(FileNotFoundError, match='mask_path'):
        ds[0]


def test_a_missing_annotation_file_is_reported_with_the_command_that_writes_it(tmp_path):
    ann_file = str(tmp_path / 'stb' / 'stb_train.json')
    with pytest.raises(FileNotFoundError) as error:
        Hand3DDataset(ann_file=ann_file, missing_data_hint=dict(converter='stb_to_hand3d',
                                                                source='data/STB'))
    assert str(error.value) == (
        f"annotation file '{ann_file}' does not exist. Convert the original files first: python "
        f'tools/dataset_converters/stb_to_hand3d.py data/STB --out-dir {tmp_path / "stb"} '
        '(README, "Data preparation")')
    with pytest.raises(FileNotFoundError, match=r'stb_train.json\' does not exist. See the README'):
        Hand3DDataset(ann_file=ann_file, missing_data_hint='See the README')
    with pytest.raises(ValueError, match='needs the keys "converter" and "source"'):
        Hand3DDataset(ann_file=ann_file, missing_data_hint=dict(converter='stb_to_hand3d'))
