# Copyright (c) semihand_mmpose authors. All rights reserved.
import cv2
import numpy as np
import pytest

from semihand_mmpose.codecs import Hand25DCoordinate
from semihand_mmpose.datasets.synthetic import generator
from semihand_mmpose.datasets.transforms import HandAffine
from semihand_mmpose.geometry import apply_affine, invert_affine


def _results(sample, rotation=0.0):
    uv = sample['uv'].astype(np.float32)
    center = (uv.min(0) + uv.max(0)) / 2
    return dict(
        img=sample['image'].copy(), hand_mask=sample['mask'].copy(), keypoints=uv[None],
        keypoints_visible=np.ones((1, 21), np.float32), K=sample['K'],
        keypoints_3d=sample['joints_cam'][None].astype(np.float32),
        bbox_center=center[None], bbox_scale=np.array([[90.0, 90.0]], np.float32),
        bbox_rotation=np.array([rotation], np.float32))


def test_codec_round_trip_and_rotation_invariance():
    s = generator.generate_sample('source', 0, 3, 128)
    codec = Hand25DCoordinate(input_size=(64, 64))
    out = {}
    for rot in (0.0, 40.0):
        r = HandAffine((64, 64)).transform(_results(s, rot))
        enc = codec.encode(r['transformed_keypoints'], r['keypoints_visible'], r['keypoints_3d'])
        kpts, _ = codec.decode((enc['keypoint_labels'], enc['keypoint_z_rel']))
        np.testing.assert_allclose(kpts[..., :2], r['transformed_keypoints'], atol=1e-4)
        out[rot] = enc['keypoint_z_rel']
    # an in-plane warp of the crop leaves the relative depth unchanged
    np.testing.assert_allclose(out[0.0], out[40.0])
    bone = np.linalg.norm(s['joints_cam'][9] - s['joints_cam'][0])
    np.testing.assert_allclose(out[0.0][0], (s['joints_cam'][:, 2] - s['joints_cam'][0, 2]) / bone,
                               rtol=1e-5)


def test_hand_affine_moves_keypoints_with_the_pixels():
    s = generator.generate_sample('source', 0, 4, 128)
    r = _results(s, rotation=35.0)
    u, v = r['keypoints'][0, 8]
    ys, xs = np.mgrid[:128, :128]
    # a smooth blob centred on the index tip: its centroid is resampled without bias
    r['img'] = np.exp(-((xs - u) ** 2 + (ys - v) ** 2) / (2 * 3.0 ** 2)).astype(np.float32)
    out = HandAffine((96, 96)).transform(r)
    warped = out['img']
    # the warped dot's centre of mass is where the transform put the keypoint
    ys, xs = np.mgrid[:96, :96]
    com = np.array([(xs * warped).sum(), (ys * warped).sum()]) / warped.sum()
    np.testing.assert_allclose(com, out['transformed_keypoints'][0, 8], atol=0.02)
    # and the map back is exact
    back = apply_affine(out['transformed_keypoints'][0].astype(np.float64),
                        invert_affine(out['crop_matrix'].astype(np.float64)))
    np.testing.assert_allclose(back, r['keypoints'][0], atol=1e-3)


def test_crop_intrinsics_project_3d_joints_onto_the_crop():
    s = generator.generate_sample('target', 0, 5, 128)
    out = HandAffine((64, 64)).transform(_results(s, rotation=-50.0))
    uvw = s['joints_cam'] @ out['input_K'].astype(np.float64).T
    np.testing.assert_allclose(uvw[:, :2] / uvw[:, 2:], out['transformed_keypoints'][0], atol=1e-3)
    # the mask is warped with the image: mask pixels stay on the hand
    assert out['hand_mask'].shape == (64, 64) and out['hand_mask'].sum() > 0


def test_masks_warp_nearest():
    mask = np.zeros((128, 128), np.uint8)
    cv2.circle(mask, (64, 64), 20, 1, -1)
    r = dict(img=np.zeros((128, 128, 3), np.uint8), hand_mask=mask,
             bbox_center=np.array([[64.0, 64.0]]), bbox_scale=np.array([[128.0, 128.0]]))
    out = HandAffine((64, 64)).transform(r)
    assert set(np.unique(out['hand_mask'])) == {0, 1}


def test_fast_random_bbox_transform_draws_what_mmpose_draws():
    """The same bits as MMPose's RandomBBoxTransform, and the global random state left where
    MMPose leaves it; bounds outside ``low < 0 < high`` go to scipy."""
    from mmpose.datasets.transforms import RandomBBoxTransform

    from semihand_mmpose.datasets.transforms import FastRandomBBoxTransform
    for low, high, size in [(-1., 1., (1, 4)), (-1., 1., (5, 4)), (-0.5, 2.0, (3, )),
                            (-3.0, 0.2, ()), (0.5, 2.0, (2, 4))]:
        np.random.seed(7)
        ref = RandomBBoxTransform._truncnorm(low, high, size)
        ref_next = np.random.rand()
        np.random.seed(7)
        fast = FastRandomBBoxTransform._truncnorm(low, high, size)
        assert fast.dtype == ref.dtype == np.float32 and fast.shape == ref.shape
        np.testing.assert_array_equal(fast.view(np.int32), ref.view(np.int32))
        assert np.random.rand() == ref_next
        assert np.all((fast >= low) & (fast <= high))

    args = dict(shift_factor=0.1, scale_factor=(0.75, 1.25), rotate_factor=45.0, rotate_prob=0.8)
    for seed in range(20):
        outs = []
        for cls in (RandomBBoxTransform, FastRandomBBoxTransform):
            np.random.seed(seed)
            outs.append(cls(**args)(dict(bbox_center=np.array([[60., 70.]], np.float32),
                                         bbox_scale=np.array([[80., 80.]], np.float32))))
        for key in ('bbox_center', 'bbox_scale', 'bbox_rotation'):
            np.testing.assert_array_equal(outs[0][key], outs[1][key])


def _box(sample_id: int) -> dict:
    return dict(id=sample_id, bbox_center=np.array([[60.0, 40.0]], np.float32),
                bbox_scale=np.array([[80.0, 50.0]], np.float32))


def test_displace_bbox_moves_a_fixed_share_of_boxes_by_the_set_distance():
    from semihand_mmpose.datasets.transforms import DisplaceBBox
    moving = DisplaceBBox(fraction=0.3, shift=0.25, seed=7)
    out = [moving.transform(_box(i)) for i in range(2000)]
    displaced = np.array([r['bbox_displaced'] for r in out])
    assert abs(displaced.mean() - 0.3) < 0.035  # binomial: sd 0.010
    moved = np.array([np.linalg.norm(r['bbox_center'][0] - [60.0, 40.0]) for r in out])
    # 0.25 of the box's longer side (80 px), in every direction, the others not at all
    np.testing.assert_allclose(moved[displaced], 20.0, rtol=1e-5)
    assert (moved[~displaced] == 0).all()
    angles = np.array([np.arctan2(*(r['bbox_center'][0] - [60.0, 40.0])[::-1])
                       for r, d in zip(out, displaced) if d])
    assert np.histogram(angles, bins=4, range=(-np.pi, np.pi))[0].min() > 100
    # the same sample the same way whatever the order (every view, round and rank)
    again = moving.transform(_box(1234))
    np.testing.assert_array_equal(again['bbox_center'], out[1234]['bbox_center'])
    assert (out[1234]['bbox_scale'] == _box(0)['bbox_scale']).all()
    # another seed moves other samples
    other = np.array([DisplaceBBox(0.3, 0.25, seed=8).transform(_box(i))['bbox_displaced']
                      for i in range(2000)])
    assert (other != displaced).any()
    assert not any(DisplaceBBox(0.0).transform(_box(i))['bbox_displaced'] for i in range(100))
    assert all(DisplaceBBox(1.0).transform(_box(i))['bbox_displaced'] for i in range(100))


def test_displace_bbox_says_what_it_needs():
    from semihand_mmpose.datasets.transforms import DisplaceBBox
    with pytest.raises(ValueError, match='fraction must be in'):
        DisplaceBBox(fraction=1.5)
    with pytest.raises(KeyError, match='"id"'):
        DisplaceBBox(0.5).transform(dict(bbox_center=np.zeros((1, 2)), bbox_scale=np.ones((1, 2))))


def test_perturbations_refuse_settings_that_cannot_be_drawn():
    from semihand_mmpose.datasets.transforms import FixedBBoxTransform, RandomBlurNoise
    with pytest.raises(ValueError, match='scale must be > 0.*got 0'):
        FixedBBoxTransform(scale=0)
    with pytest.raises(ValueError, match=r'blur_prob must be in \[0, 1\], got 1.5'):
        RandomBlurNoise(blur_prob=1.5)
    with pytest.raises(ValueError, match=r'noise_std must be a range .*got \(10, 2\)'):
        RandomBlurNoise(noise_std=(10, 2))
    # at the bounds they draw: always blurred by exactly sigma 1, never noised
    img = np.zeros((16, 16, 3), np.uint8)
    img[8, 8] = 255
    out = RandomBlurNoise(blur_prob=1, blur_sigma=(1.0, 1.0), noise_prob=0,
                          noise_std=(0, 0)).transform(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(out, cv2.GaussianBlur(img, (0, 0), 1.0))
