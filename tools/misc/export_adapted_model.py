# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Export a SemiHand stage-2 checkpoint as the plain estimator that ``tools/test.py`` tested.

Stage 2 tests with batch-norm statistics of the unlabelled target images (``eval_target_bn``),
which its checkpoint does not hold. This writes the predictor (the student, or the teacher with
``predict_on='teacher'``) with those statistics, without the teacher or the optimiser state, as
``OUT`` (``state_dict`` and ``meta`` with ``dataset_meta``, the form MMPose's ``init_model``
reads), and its config beside it (``OUT`` with ``.py``): the stage-2 config with the estimator as
its model. Testing the export gives the stage-2 test's figures without the unlabelled images;
``semihand_mmpose.apis.inference_hand3d`` and ``tools/demo/image_demo.py`` run it on images.

Example::

    python tools/misc/export_adapted_model.py configs/semihand_synth_finetune.py \\
        work_dirs/semihand_synth_finetune/iter_300.pth work_dirs/export/semihand_synth.pth
    python tools/test.py work_dirs/export/semihand_synth.py work_dirs/export/semihand_synth.pth
"""
import argparse
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.fileio import put_text
from mmengine.runner.checkpoint import save_checkpoint, weights_to_cpu

from semihand_mmpose.apis import export_adapted_estimator


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Export a SemiHand stage-2 checkpoint as the estimator it tested')
    parser.add_argument('config', help='the stage-2 config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='the stage-2 checkpoint')
    parser.add_argument('out', help='the checkpoint to write (.pth); its config goes beside it')
    parser.add_argument('--device', default='cpu',
                        help='device to re-estimate the statistics on (the one tools/test.py '
                        'ran on gives its statistics)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override settings of the config, as in tools/test.py')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if not args.out.endswith('.pth'):
        raise ValueError(f'out must be a .pth file, got {args.out!r}')
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    estimator, est_cfg, meta = export_adapted_estimator(cfg, args.checkpoint, args.device)
    out_cfg = osp.splitext(args.out)[0] + '.py'
    # both through MMEngine's local backend, which this package makes atomic
    save_checkpoint(dict(meta=meta, state_dict=weights_to_cpu(estimator.state_dict())), args.out)
    put_text(est_cfg.pretty_text, out_cfg)
    batches = meta['semihand_export']['target_bn_batches']
    stats = (f'batch-norm statistics of {batches} batches of unlabelled images' if batches else
             "the checkpoint's own batch-norm statistics (the config tests with them)")
    print(f'{meta["semihand_export"]["predictor"]} of {args.checkpoint} with {stats}\n'
          f'  checkpoint: {args.out}\n  config:     {out_cfg}\n'
          f'test it with: python tools/test.py {out_cfg} {args.out}')


if __name__ == '__main__':
    main()
