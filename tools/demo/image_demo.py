# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Predict the 3D hands in one image and draw them (after MMPose's ``demo/image_demo.py``).

Each hand box (``--bboxes``, the whole image if none) is cropped as the config's test pipeline
crops it; the prediction is drawn over the image and, with the camera's intrinsics (``--K``), as a
root-relative 3D skeleton beside it. It prints one JSON line: per hand, the box, ``keypoints``
(image pixels), ``keypoint_scores``, ``keypoints_z_rel`` and, with ``--K``, ``keypoints_3d``
(camera frame, mm, for the model's reference-bone length).

A SemiHand stage-2 config and checkpoint are taken as they are: the checkpoint is exported in memory
(``semihand_mmpose.apis.init_hand3d_model``), with the target batch-norm statistics it was tested
with, which costs a few seconds each time; ``tools/misc/export_adapted_model.py`` exports it once.

Example::

    python tools/demo/image_demo.py hand.png work_dirs/export/semihand_synth.py \\
        work_dirs/export/semihand_synth.pth --bboxes 12 20 108 116 --K 180 180 64 64 \\
        --out-file hand_pred.png
    # or straight from stage 2
    python tools/demo/image_demo.py hand.png configs/semihand_synth.py \\
        work_dirs/semihand_synth/iter_1050.pth --K 180 180 64 64
"""
import argparse
import json

import mmcv
import numpy as np
from mmengine.config import DictAction

from semihand_mmpose.apis import inference_hand3d, init_hand3d_model
from semihand_mmpose.visualization import plot_image_predictions


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='3D hand pose of the hands in one image')
    parser.add_argument('img', help='image file')
    parser.add_argument('config', help='config file of the estimator (or of SemiHand stage 2)')
    parser.add_argument('checkpoint', help='checkpoint file of that model')
    parser.add_argument('--out-file', default=None, help='image file to draw the result to')
    parser.add_argument('--device', default='cpu', help='device used for inference')
    parser.add_argument('--bboxes', type=float, nargs='+', default=None,
                        metavar='X1 Y1 X2 Y2',
                        help='hand boxes in image pixels, four numbers each (x1 y1 x2 y2); the '
                        'whole image if not given')
    parser.add_argument('--K', type=float, nargs=4, default=None, metavar=('FX', 'FY', 'CX', 'CY'),
                        help="the camera's focal lengths and principal point in pixels: with "
                        'them the hands are lifted to 3D')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default=None,
                        help='override settings of the config, as in tools/test.py')
    return parser.parse_args(argv)


def main(argv=None) -> list:
    args = parse_args(argv)
    if args.bboxes is not None and len(args.bboxes) % 4:
        raise ValueError(f'--bboxes takes four numbers per box, got {len(args.bboxes)}')
    bboxes = None if args.bboxes is None else np.array(args.bboxes, np.float32).reshape(-1, 4)
    K = None
    if args.K is not None:
        fx, fy, cx, cy = args.K
        K = np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])
    image = mmcv.imread(args.img)  # BGR, as MMPose's pipelines load it; before the model's load
    model = init_hand3d_model(args.config, args.checkpoint, args.device, args.cfg_options)
    results = inference_hand3d(model, image, bboxes, K)
    hands = []
    for sample in results:
        pred = sample.pred_instances
        hand = dict(bbox=pred.bboxes[0].tolist(), keypoints=pred.keypoints[0].tolist(),
                    keypoint_scores=pred.keypoint_scores[0].tolist(),
                    keypoints_z_rel=pred.keypoints_z_rel[0].tolist())
        if 'keypoints_3d' in pred:
            hand['keypoints_3d'] = np.asarray(pred.keypoints_3d).reshape(21, 3).tolist()
        hands.append(hand)
    if args.out_file:
        keypoints_3d = (np.array([h['keypoints_3d'] for h in hands]) if K is not None else None)
        plot_image_predictions(mmcv.bgr2rgb(image), np.array([h['keypoints'] for h in hands]),
                               args.out_file, keypoints_3d)
        print(f'drawn to {args.out_file}')
    print(json.dumps(dict(image=args.img, hands=hands)))
    return hands


if __name__ == '__main__':
    main()
