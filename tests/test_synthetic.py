# Copyright (c) semihand_mmpose authors. All rights reserved.
import json
import os

import cv2
import numpy as np
import pytest

from semihand_mmpose.biomech.skeleton import FINGERTIPS, REF_BONE, ROOT_INDEX
from semihand_mmpose.datasets.synthetic import generator
from semihand_mmpose.datasets.synthetic.domains import DOMAINS
from semihand_mmpose.datasets.synthetic.hand_sampler import project


def test_samples_are_deterministic_and_projected_exactly():
    a = generator.generate_sample('target', 5, 11, 96)
    b = generator.generate_sample('target', 5, 11, 96)
    np.testing.assert_array_equal(a['image'], b['image'])
    np.testing.assert_allclose(a['uv'], project(a['joints_cam'], a['K']), atol=1e-9)
    c = generator.generate_sample('target', 5, 12, 96)
    assert not np.array_equal(a['image'], c['image'])


def test_visible_joints_lie_on_the_mask():
    for i in range(20):
        s = generator.generate_sample('source', 0, i, 128)
        for (u, v), vis in zip(s['uv'], s['visible']):
            if vis:
                assert s['mask'][int(v), int(u)] == 1
        assert s['mask'].sum() > 300


def _roughness(samples):
    """Mean absolute difference of horizontally adjacent hand pixels (grey levels)."""
    def one(s):
        img, mask = s['image'].astype(np.float32), s['mask']
        inside = (mask[:, 1:] == 1) & (mask[:, :-1] == 1)
        return np.abs(np.diff(img, axis=1))[inside].mean()
    return np.mean([one(s) for s in samples])


def _visible(samples):
    return np.mean([s['visible'].mean() for s in samples])


def test_target_domain_differs_from_source():
    src = [generator.generate_sample('source', 0, i, 128) for i in range(30)]
    tgt = [generator.generate_sample('target', 0, i, 128) for i in range(30)]
    # sensor noise and JPEG: the target's hands have much more local contrast than the flat-shaded
    # source's (measured 7.6 against 3.2 grey levels)
    assert _roughness(tgt) > 1.8 * _roughness(src)
    # other skin tones and coloured light: hand colours spread about twice as much
    def colour(s):
        return s['image'][s['mask'] == 1].reshape(-1, 3).mean(0)
    spread = [np.std([colour(s) for s in d], axis=0).mean() for d in (src, tgt)]
    assert spread[1] > 1.5 * spread[0]
    # occluders and harder views hide more joints
    assert _visible(tgt) < _visible(src)


def test_target_poses_domain_has_the_source_look_and_wider_poses():
    assert sorted(generator._DOMAIN_IDS) == sorted(DOMAINS)  # every domain has its draws
    src = [generator.generate_sample('source', 0, i, 128) for i in range(40)]
    tgt = [generator.generate_sample('target_poses', 0, i, 128) for i in range(40)]
    # the same look: no sensor noise or JPEG, so the hands are as smooth as the source's (1.02x)
    assert 0.8 < _roughness(tgt) / _roughness(src) < 1.25
    # more curled fingers: fingertips nearer the wrist, in reference bones (1.45 against 1.67)
    def reach(s):
        j = s['joints_cam']
        ref = np.linalg.norm(j[REF_BONE[1]] - j[REF_BONE[0]])
        return np.linalg.norm(j[list(FINGERTIPS)] - j[ROOT_INDEX], axis=1).mean() / ref
    assert np.mean([reach(s) for s in tgt]) < 0.9 * np.mean([reach(s) for s in src])
    # hands turned further from the camera and curled hide more joints (85% visible against 95%)
    assert _visible(tgt) < _visible(src)


def test_write_split_is_complete_and_atomic(small_split, tmp_path):
    ann_file, out = small_split
    coco = json.load(open(ann_file))
    assert len(coco['images']) == len(coco['annotations']) == 24
    ann = coco['annotations'][0]
    assert len(ann['keypoints']) == 63 and np.asarray(ann['keypoints_3d']).shape == (21, 3)
    assert os.path.isfile(os.path.join(out, ann['mask_file']))
    assert not [d for d in os.listdir(os.path.dirname(out)) if d.startswith('.tmp-')]
    with pytest.raises(ValueError, match='unknown synthetic domain'):
        generator.write_split(str(tmp_path / 'x'), 'moon', 4)
    assert not os.path.exists(tmp_path / 'x')


def test_write_split_syncs_the_images_before_the_rename(tmp_path, monkeypatch):
    """A power cut must not leave a renamed split whose images never reached the disk: everything
    is synced, then the folder renamed, then its parent synced."""
    events = []
    real_rename = os.rename

    def rename(src, dst):
        events.append(('rename', os.path.isfile(os.path.join(src, 'annotations.json')), dst))
        real_rename(src, dst)

    monkeypatch.setattr(generator.os, 'sync', lambda: events.append(('sync',)), raising=False)
    monkeypatch.setattr(generator.os, 'rename', rename)
    monkeypatch.setattr(generator, 'sync_directory', lambda d: events.append(('sync_dir', d)))
    out = str(tmp_path / 'split')
    generator.write_split(out, 'source', 2, image_size=64, nproc=1)
    assert events == [('sync',), ('rename', True, out), ('sync_dir', str(tmp_path))]


def test_written_images_and_masks_are_the_generated_pixels(tmp_path):
    """Both image encodings on disk are lossless: uncompressed for the source domain, the domain's
    own JPEG bytes for the target."""
    for domain, ext in (('source', '.bmp'), ('target', '.jpg')):
        ann_file = generator.write_split(str(tmp_path / domain), domain, 3, seed=5, image_size=64,
                                         nproc=1)
        coco = json.load(open(ann_file))
        for img, ann in zip(coco['images'], coco['annotations']):
            sample = generator.generate_sample(domain, 5, img['id'], image_size=64)
            assert img['file_name'].endswith(ext)
            np.testing.assert_array_equal(
                cv2.imread(os.path.join(tmp_path, domain, img['file_name'])), sample['image'])
            np.testing.assert_array_equal(
                cv2.imread(os.path.join(tmp_path, domain, ann['mask_file']),
                           cv2.IMREAD_GRAYSCALE), sample['mask'] * 255)
