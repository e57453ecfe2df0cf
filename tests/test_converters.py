# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Converters from the original RHD / STB / Dexter+Object files, on tiny files the tests write."""
import json
import logging
import os
import os.path as osp
import pickle

import cv2
import numpy as np
import pytest
from scipy.io import savemat

from semihand_mmpose.datasets import Hand3DDataset
from semihand_mmpose.datasets.synthetic import generator
from tools.dataset_converters import dexter_object_to_hand3d as do
from tools.dataset_converters import images_to_hand3d as own
from tools.dataset_converters import rhd_to_hand3d as rhd
from tools.dataset_converters import stb_to_hand3d as stb


def _hands(n, size=320):
    """Known hands (canonical order, mm) with their cameras and exact projections."""
    return [generator.generate_sample('source', 9, i, size) for i in range(n)]


# ------------------------------------------------------------------------------------------ RHD
def _write_rhd(root, hands):
    split = osp.join(root, 'training')
    for sub in ('color', 'mask'):
        os.makedirs(osp.join(split, sub))
    annos = {}
    inverse = np.argsort(rhd.RHD_TO_CANONICAL)  # canonical -> RHD order
    for i, (left, right) in enumerate(hands):
        xyz = np.zeros((42, 3))
        uv_vis = np.zeros((42, 3))
        parts = np.zeros((320, 320), np.uint8)
        for offset, h, label in ((0, left, 5), (21, right, 20)):
            if h is None:
                continue
            xyz[offset:offset + 21] = h['joints_cam'][inverse] / 1000.0
            uv_vis[offset:offset + 21, :2] = h['uv'][inverse]
            uv_vis[offset:offset + 21, 2] = h['visible'][inverse]
            parts[h['mask'] > 0] = label
        annos[i] = dict(xyz=xyz, uv_vis=uv_vis, K=(left or right)['K'])
        cv2.imwrite(osp.join(split, 'color', f'{i:05d}.png'), (left or right)['image'])
        cv2.imwrite(osp.join(split, 'mask', f'{i:05d}.png'), parts)
    with open(osp.join(split, 'anno_training.pickle'), 'wb') as f:
        pickle.dump(annos, f)


def test_rhd_converter_reproduces_joints_projections_and_masks(tmp_path):
    a, b = _hands(2)
    root, out = str(tmp_path / 'RHD'), str(tmp_path / 'out')
    # sample 0: a left hand only; sample 1: a right hand only (same camera for both is fine)
    _write_rhd(root, [(a, None), (None, b)])
    written = rhd.main([root, '--out-dir', out, '--splits', 'training'])
    assert written == [osp.join(out, 'rhd_training.json')]
    coco = json.load(open(written[0]))
    assert len(coco['images']) == 2 and len(coco['annotations']) == 2
    left, right = coco['annotations']
    assert (left['hand_side'], right['hand_side']) == ('left', 'right')
    for ann, h in ((left, a), (right, b)):
        np.testing.assert_allclose(ann['keypoints_3d'], h['joints_cam'], atol=1e-6)
        kpts = np.asarray(ann['keypoints']).reshape(21, 3)
        np.testing.assert_allclose(kpts[:, :2], h['uv'], atol=1e-6)
        np.testing.assert_array_equal(kpts[:, 2], np.where(h['visible'] > 0, 2, 1))
        mask = cv2.imread(osp.join(out, ann['mask_file']), cv2.IMREAD_GRAYSCALE)
        np.testing.assert_array_equal(mask > 0, h['mask'] > 0)
    # and the dataset reads it
    ds = Hand3DDataset(ann_file=osp.join(out, 'rhd_training.json'),
                       data_prefix=dict(img=root, mask=out))
    assert len(ds) == 2


def test_rhd_bad_input_names_file_and_field(tmp_path):
    root = str(tmp_path / 'RHD')
    _write_rhd(root, [(_hands(1)[0], None)])
    path = osp.join(root, 'training', 'anno_training.pickle')
    annos = pickle.load(open(path, 'rb'))
    del annos[0]['uv_vis']
    pickle.dump(annos, open(path, 'wb'))
    with pytest.raises(KeyError, match='anno_training.pickle: sample 0: no field "uv_vis"'):
        rhd.convert_split(root, 'training', str(tmp_path / 'out'))
    assert not osp.exists(tmp_path / 'out' / 'rhd_training.json')  # nothing half-written
    with pytest.raises(FileNotFoundError, match='anno_evaluation.pickle'):
        rhd.convert_split(root, 'evaluation', str(tmp_path / 'out'))


# ------------------------------------------------------------------------------------------ STB
def _write_stb(root, sequences, frames):
    """STB files whose colour-frame joints are ``frames`` (canonical order, wrist convention)."""
    os.makedirs(osp.join(root, 'labels'))
    # STB's readme: this rotation vector and translation "transform the coordinates relative to
    # color camera to those relative to depth camera"; the SK labels are the latter
    R, _ = cv2.Rodrigues(np.array([0.00531, -0.01196, 0.00301]))
    T = np.array([-24.0381, -0.4563, -1.2326])
    inverse = np.argsort(stb.STB_TO_CANONICAL)
    for seq in sequences:
        os.makedirs(osp.join(root, 'images', seq))
        para = []
        for i, joints in enumerate(frames):
            palm = joints.copy()
            # invert the wrist convention: palm = middle MCP + (wrist - middle MCP) / 2.2
            palm[0] = joints[9] + (joints[0] - joints[9]) / stb.WRIST_FACTOR
            depth = palm @ R.T + T
            para.append(depth[inverse])
            cv2.imwrite(osp.join(root, 'images', seq, f'SK_color_{i}.png'),
                        np.zeros((480, 640, 3), np.uint8))
        savemat(osp.join(root, 'labels', f'{seq}_SK.mat'),
                dict(handPara=np.stack(para).transpose(2, 1, 0)))


def _stb_frames(n):
    out = []
    for h in _hands(n, 128):
        j = h['joints_cam'].copy()
        j[:, 2] += 400.0
        out.append(j)
    return out


def test_stb_converter_reproduces_joints_and_projections(tmp_path):
    frames = _stb_frames(3)
    root = str(tmp_path / 'STB')
    _write_stb(root, stb.SPLITS['test'], frames)
    written = stb.main([root, '--out-dir', str(tmp_path / 'out'), '--splits', 'test'])
    assert written == [osp.join(str(tmp_path / 'out'), 'stb_test.json')]
    coco = json.load(open(written[0]))
    assert len(coco['annotations']) == 6
    for ann, joints in zip(coco['annotations'], frames * 2):
        np.testing.assert_allclose(ann['keypoints_3d'], joints, atol=1e-6)
        uvw = joints @ stb.K_COLOR.T
        kpts = np.asarray(ann['keypoints']).reshape(21, 3)
        np.testing.assert_allclose(kpts[:, :2], uvw[:, :2] / uvw[:, 2:], atol=1e-6)
        assert ann['hand_side'] == 'left'


def test_stb_bad_mat_and_missing_sequence(tmp_path):
    root = str(tmp_path / 'STB')
    _write_stb(root, ['B1Counting'], _stb_frames(1))
    with pytest.raises(FileNotFoundError, match='B1Random_SK.mat'):
        stb.convert_split(root, 'test', str(tmp_path / 'out'))
    savemat(osp.join(root, 'labels', 'B1Counting_SK.mat'), dict(other=np.zeros(3)))
    with pytest.raises(KeyError, match='no variable "handPara"'):
        stb.load_sequence(root, 'B1Counting')
    savemat(osp.join(root, 'labels', 'B1Counting_SK.mat'), dict(handPara=np.zeros((3, 20, 4))))
    with pytest.raises(ValueError, match=r'shape \(3, 20, 4\), expected \(3, 21, frames\)'):
        stb.load_sequence(root, 'B1Counting')


# ------------------------------------------------------------------------------ Dexter+Object
def _write_do(root, seq, tips, names, labels_name='{seq}3D.txt', sep=', ', uv=None):
    """A Dexter+Object sequence: ``tips`` (frames, 5, 3) as label lines (a triple's numbers
    joined by ``sep``), a black 640x480 colour frame per name and, given ``uv`` (frames, 5, 2),
    the 2D labels."""
    seq_dir = osp.join(root, 'data', seq)
    os.makedirs(osp.join(seq_dir, 'color'))
    os.makedirs(osp.join(seq_dir, 'annotations'))
    files = [(labels_name.format(seq=seq), tips)] + ([(f'{seq}2D.txt', uv)] if uv is not None
                                                      else [])
    for file_name, points in files:
        with open(osp.join(seq_dir, 'annotations', file_name), 'w') as f:
            for frame in points:
                f.write(';'.join(sep.join(f'{v:.4f}' for v in t) for t in frame) + ';\n')
    for name in names:
        cv2.imwrite(osp.join(seq_dir, 'color', name), np.zeros((480, 640, 3), np.uint8))


def _depth_image_uv(tips, sdk_frame):
    """The tips in a 320x240 depth image: x/z and y/z run against u and v in the SDK's frame."""
    sign = -1.0 if sdk_frame else 1.0
    return np.stack([160.0 + sign * 224.5 * tips[..., 0] / tips[..., 2],
                     120.0 + sign * 230.5 * tips[..., 1] / tips[..., 2]], -1)


def test_dexter_object_converter_marks_missing_tips(tmp_path):
    root = str(tmp_path / 'DO')
    rng = np.random.default_rng(0)
    tips = rng.uniform(-80, 80, (3, 5, 3)) + [0.0, 0.0, 450.0]
    tips[1, 2, 2] = do.MISSING_Z            # frame 1: middle tip missing
    tips[2, :4, 2] = do.MISSING_Z           # frame 2: only one valid tip
    # "x, y, z;" as the public DO loaders read it (test_dexter_object_frames_... writes "x y z")
    _write_do(root, 'Grasp1', tips, [f'image_{i:05d}.png' for i in range(3)])
    coco = json.load(open(do.convert(root, str(tmp_path / 'out'), ['Grasp1'])))
    # without a 2D label file, the depth SDK's frame
    assert coco['info']['flip_xy'] is True and coco['info']['axes_check'] == {}
    anns = coco['annotations']
    assert [a['num_keypoints'] for a in anns] == [5, 4, 1]
    assert {a['hand_side'] for a in anns} == {'left'}
    valid = np.asarray(anns[1]['keypoints_3d_valid'])
    assert valid[list(do.TIPS)].tolist() == [1, 1, 0, 1, 1] and valid.sum() == 4
    # the SDK's x-left, y-up frame: x and y negated, then the extrinsic, then K
    x, y, z = tips[0, 0]
    cam = do.ROTATION @ np.array([-x, -y, z]) + do.TRANSLATION
    np.testing.assert_allclose(anns[0]['keypoints_3d'][4], cam, atol=1e-3)
    u = 587.45209 * cam[0] / cam[2] + 325.0
    v = 600.67456 * cam[1] / cam[2] + 249.0
    np.testing.assert_allclose(np.asarray(anns[0]['keypoints']).reshape(21, 3)[4],
                               [u, v, 2.0], atol=1e-3)
    # the box covers the valid tips, grown by half its larger side
    kpts = np.asarray(anns[0]['keypoints']).reshape(21, 3)[list(do.TIPS), :2]
    x0, y0, bw, bh = anns[0]['bbox']
    assert np.all(kpts >= [x0, y0]) and np.all(kpts <= [x0 + bw, y0 + bh])


def test_dexter_object_frames_in_natural_order_labels_and_axes_from_options(tmp_path,
                                                                            monkeypatch):
    """Unpadded frame numbers pair with label lines by value; ``--labels-name`` reads a cleaned
    copy, ``--flip-xy no`` labels in the pinhole frame (with a warning where the 2D labels say
    otherwise), ``--hand-side`` the side."""
    logged = []
    monkeypatch.setattr(do, 'print_log', lambda msg, **kw: logged.append((msg, kw.get('level'))))
    root = str(tmp_path / 'DO')
    tips = np.stack([np.full((5, 3), 30.0), np.full((5, 3), -30.0)]) + [0.0, 0.0, 400.0]
    tips[:, :, 0] += np.arange(5) * 10.0  # the tips spread over the image
    tips[:, :, 1] -= np.arange(5) * 7.0
    _write_do(root, 'Rotate', tips, ['image_10.png', 'image_2.png'],
              labels_name='my_{seq}3D.txt', sep=' ', uv=_depth_image_uv(tips, sdk_frame=True))
    out = do.main([root, '--out-dir', str(tmp_path / 'out'), '--sequences', 'Rotate',
                   '--labels-name', 'my_{seq}3D.txt', '--flip-xy', 'no', '--hand-side', 'right'])
    coco = json.load(open(out))
    assert [osp.basename(i['file_name']) for i in coco['images']] == ['image_2.png',
                                                                      'image_10.png']
    assert coco['info']['flip_xy'] is False
    check = coco['info']['axes_check']['Rotate']
    assert check['flip_xy'] is True and check['corr_u'] < -0.99 and check['corr_v'] < -0.99
    assert any("--flip-xy no, but the 2D labels of ['Rotate'] say otherwise" in msg
               and level == logging.WARNING for msg, level in logged)
    for ann, frame in zip(coco['annotations'], tips):
        np.testing.assert_allclose(ann['keypoints_3d'][4],
                                   do.ROTATION @ frame[0] + do.TRANSLATION, atol=1e-3)
        assert ann['hand_side'] == 'right'


@pytest.mark.parametrize('sdk_frame', [True, False])
def test_dexter_object_frame_read_from_the_2d_labels(tmp_path, sdk_frame):
    """By default the labels' frame is the one the sequences' 2D labels agree on."""
    root = str(tmp_path / 'DO')
    rng = np.random.default_rng(1)
    for seq in ('Grasp1', 'Pinch'):
        tips = rng.uniform(-80, 80, (6, 5, 3)) + [0.0, 0.0, 450.0]
        tips[2, 1, 2] = do.MISSING_Z  # left out of the correlation
        _write_do(root, seq, tips, [f'{i}.png' for i in range(6)],
                  uv=_depth_image_uv(tips, sdk_frame))
    coco = json.load(open(do.convert(root, str(tmp_path / 'out'), ['Grasp1', 'Pinch'])))
    assert coco['info']['flip_xy'] is sdk_frame
    for check in coco['info']['axes_check'].values():
        assert check['flip_xy'] is sdk_frame
        assert abs(check['corr_u']) > 0.99 and abs(check['corr_v']) > 0.99
    # the correlation knows nothing of the depth camera's intrinsics: a shift and another focal
    # length, even negative correlations' size, say the same
    tips = do.read_tips(osp.join(root, 'data', 'Pinch', 'annotations', 'Pinch3D.txt'))
    uv = _depth_image_uv(tips, sdk_frame) * 1.7 + 40.0
    assert do.frame_from_2d(do.axis_correlations(tips, uv)) is sdk_frame
    # one axis each way (a mirrored frame) or too few tips decides nothing
    uv[..., 1] = 240.0 - uv[..., 1]
    assert do.frame_from_2d(do.axis_correlations(tips, uv)) is None
    assert do.frame_from_2d(do.axis_correlations(tips[:1, :2], uv[:1, :2])) is None


def test_dexter_object_bad_line_names_file_and_line(tmp_path):
    root = str(tmp_path / 'DO')
    seq_dir = osp.join(root, 'data', 'Pinch', 'annotations')
    os.makedirs(seq_dir)
    labels = osp.join(seq_dir, 'Pinch3D.txt')
    with open(labels, 'w') as f:
        f.write('1 2 3; 4 5 6;\n')
    with pytest.raises(ValueError, match=r'Pinch3D.txt:1: expected five'):
        do.read_tips(labels)
    with open(labels, 'w') as f:
        f.write('1, 2, 3; 4, 5, six; 1 2 3; 1 2 3; 1 2 3\n')
    with pytest.raises(ValueError, match=r'Pinch3D.txt:1: expected numbers'):
        do.read_tips(labels)
    with open(labels, 'w') as f:
        f.write('\n')
    with pytest.raises(ValueError, match=r'Pinch3D.txt: no label line'):
        do.read_tips(labels)
    with pytest.raises(ValueError, match=r'labels_name must contain "\{seq\}"'):
        do.convert(root, str(tmp_path / 'out'), ['Pinch'], labels_name='Pinch3D.txt')


def test_dexter_object_unreadable_2d_labels_only_skip_the_check(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(do, 'print_log', lambda msg, **kw: logged.append((msg, kw.get('level'))))
    root = str(tmp_path / 'DO')
    tips = np.random.default_rng(2).uniform(-80, 80, (3, 5, 3)) + [0.0, 0.0, 450.0]
    _write_do(root, 'Rigid', tips, [f'{i}.png' for i in range(3)])
    with open(osp.join(root, 'data', 'Rigid', 'annotations', 'Rigid2D.txt'), 'w') as f:
        f.write('1, 2; 3, 4;\n')
    coco = json.load(open(do.convert(root, str(tmp_path / 'out'), ['Rigid'])))
    assert coco['info']['flip_xy'] is True and coco['info']['axes_check'] == {}
    assert any('Rigid2D.txt:1: expected five "u v" groups' in msg and level == logging.WARNING
               for msg, level in logged)


# ------------------------------------------------------------------------------ your own images
def _write_own_images(root):
    """Two images in a folder and a sub-folder (and a file that is not an image, and the hidden
    metadata file macOS writes beside a copied one, named as an image but not one)."""
    os.makedirs(osp.join(root, 'cam2'))
    cv2.imwrite(osp.join(root, 'a.png'), np.full((120, 160, 3), 90, np.uint8))
    cv2.imwrite(osp.join(root, 'cam2', 'b.jpg'), np.full((100, 80, 3), 150, np.uint8))
    with open(osp.join(root, 'notes.txt'), 'w') as f:
        f.write('not an image')
    with open(osp.join(root, 'cam2', '._b.jpg'), 'wb') as f:
        f.write(b'\x00\x05\x16\x07 AppleDouble')


def test_own_images_become_an_unlabelled_split_the_dataset_serves(tmp_path):
    images = str(tmp_path / 'images')
    _write_own_images(images)
    boxes = tmp_path / 'boxes.json'
    # a's second box reaches past the image's right and bottom edges: clipped to them
    boxes.write_text(json.dumps({'a.png': [[10, 20, 30, 40],
                                           dict(bbox=[140, 100, 50, 50], hand_side='left')]}))
    result = own.convert(images, str(tmp_path / 'own'), str(boxes), focal=500.0)
    assert result == dict(out=str(tmp_path / 'own' / 'unlabelled.json'), images=1, hands=2,
                          left_out=1)
    written = json.load(open(result['out']))
    assert [a['bbox'] for a in written['annotations']] == [[10, 20, 30, 40], [140, 100, 20, 20]]
    assert [a['hand_side'] for a in written['annotations']] == ['right', 'left']
    np.testing.assert_allclose(written['images'][0]['K'],
                               [[500, 0, 79.5], [0, 500, 59.5], [0, 0, 1]])
    ds = Hand3DDataset(ann_file=result['out'], data_prefix=dict(img=images + '/'),
                       labelled=False, pipeline=[])
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    np.testing.assert_allclose(infos[1]['bbox'], [[140, 100, 160, 120]])
    assert [i['hand_side'] for i in infos] == ['right', 'left']
    assert all(not i['labelled'] and i['img_path'].endswith('a.png') for i in infos)

    # no boxes: every image is one hand filling it; K from a 90-degree field of view
    result = own.main([images, '--out-dir', str(tmp_path / 'whole'), '--fov', '90',
                       '--hand-side', 'left'])
    written = json.load(open(result['out']))
    assert [i['file_name'] for i in written['images']] == ['a.png', osp.join('cam2', 'b.jpg')]
    assert [a['bbox'] for a in written['annotations']] == [[0, 0, 160, 120], [0, 0, 80, 100]]
    # a horizontal field of view of 90 degrees: the focal length is half the width
    assert [i['K'][0][0] for i in written['images']] == pytest.approx([80.0, 40.0])
    assert {a['hand_side'] for a in written['annotations']} == {'left'}


def test_own_images_bad_input_names_file_and_field(tmp_path):
    images = str(tmp_path / 'images')
    _write_own_images(images)
    out = str(tmp_path / 'own')

    def fails(table, match, **kwargs):
        path = tmp_path / 'boxes.json'
        path.write_text(table if isinstance(table, str) else json.dumps(table))
        with pytest.raises(ValueError, match=match):
            own.convert(images, out, str(path), **kwargs)

    fails({'c.png': [[0, 0, 5, 5]]}, r"boxes\.json: 1 key\(s\) name no image.*'c\.png'")
    fails({'a.png': [[0, 0, 5]]}, r'"a\.png"\[0\]: expected a box \[x, y, w, h\] of 4 finite')
    fails({'a.png': [dict(bbox=[0, 0, 5, 5], hand_side='both')]},
          r'"a\.png"\[0\]: field "hand_side" is .both.')
    fails({'a.png': [[200, 0, 5, 5]]}, r'"a\.png": box .* no area inside the 160x120 image')
    fails({'a.png': []}, 'no hand to write')
    fails('{"a.png": [[0, 0', 'cannot read it as JSON')
    fails({'a.png': [[0, 0, 5, 5]]}, 'focal length must be > 0', focal=0.0)
    os.makedirs(tmp_path / 'empty')
    with pytest.raises(FileNotFoundError, match='empty holds no'):
        own.convert(str(tmp_path / 'empty'), out)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        own.convert(str(tmp_path / 'nowhere'), out)


def test_own_images_have_the_size_that_loading_gives_them(tmp_path):
    """A phone's photo stored sideways with an EXIF orientation: MMPose's LoadImage turns it, so
    its size, whole-image box and K are those of the turned image."""
    from mmpose.datasets.transforms import LoadImage
    from PIL import Image
    images = tmp_path / 'images'
    images.mkdir()
    photo = Image.fromarray(np.zeros((40, 80, 3), np.uint8))  # stored 80 wide, 40 high
    exif = photo.getexif()
    exif[0x0112] = 6  # shown turned by 90 degrees
    photo.save(images / 'phone.jpg', exif=exif.tobytes())
    result = own.convert(str(images), str(tmp_path / 'own'), focal=100.0)
    written = json.load(open(result['out']))
    assert (written['images'][0]['width'], written['images'][0]['height']) == (40, 80)
    assert written['annotations'][0]['bbox'] == [0, 0, 40, 80]
    assert LoadImage()(dict(img_path=str(images / 'phone.jpg')))['img'].shape[:2] == (80, 40)
