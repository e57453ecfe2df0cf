# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Pack a 3D hand sample into a ``PoseDataSample``."""
from mmpose.datasets.transforms import PackPoseInputs
from mmpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackHand3DInputs(PackPoseInputs):
    """``PackPoseInputs`` that also carries the 3D labels, the mask and the view geometry.

    Added to the packed sample:

    - ``gt_instances``: ``keypoints_3d`` (1, K, 3) camera-frame joints (mm),
      ``keypoints_3d_visible`` (1, K), ``keypoints_flag`` (1, K) the raw COCO flag (2 visible, 1
      labelled but hidden)
    - ``gt_instance_labels``: ``keypoint_z_rel``, ``keypoint_z_weights`` (from the codec)
    - ``gt_fields``: ``hand_mask`` (1, H, W) at input resolution
    - metainfo: ``K``, ``input_K``, ``crop_matrix``, ``has_mask``, ``hand_side`` besides MMPose's
      keys
    """

    instance_mapping_table = dict(
        PackPoseInputs.instance_mapping_table,
        keypoints_3d='keypoints_3d',
        keypoints_3d_visible='keypoints_3d_visible',
        keypoints_flag='keypoints_flag')
    label_mapping_table = dict(
        PackPoseInputs.label_mapping_table,
        keypoint_z_rel='keypoint_z_rel',
        keypoint_z_weights='keypoint_z_weights')
    field_mapping_table = dict(PackPoseInputs.field_mapping_table, hand_mask='hand_mask')

    def __init__(self,
                 meta_keys=('id', 'img_id', 'img_path', 'category_id', 'ori_shape', 'img_shape',
                            'input_size', 'input_center', 'input_scale', 'flip', 'flip_direction',
                            'flip_indices', 'dataset_name', 'K', 'input_K', 'crop_matrix',
                            'has_mask', 'hand_side'),
                 pack_transformed: bool = False) -> None:
        super().__init__(meta_keys=meta_keys, pack_transformed=pack_transformed)

    def transform(self, results: dict) -> dict:
        if 'hand_mask' in results and results['hand_mask'].ndim == 2:
            results['hand_mask'] = results['hand_mask'][None]
        return super().transform(results)
