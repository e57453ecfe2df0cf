# Copyright (c) semihand_mmpose authors. All rights reserved.
"""mmdet's multi-branch preprocessing, for batches in which some branches are empty."""
from mmdet.models.data_preprocessors import MultiBranchDataPreprocessor
from mmpose.registry import MODELS


@MODELS.register_module()
class SemiHandDataPreprocessor(MultiBranchDataPreprocessor):
    """mmdet's ``MultiBranchDataPreprocessor`` that leaves out the branches no sample of the batch
    has.

    Why: mmdet's version normalises every branch named in the batch, and a branch that every
    sample left empty (``None`` from ``MultiBranch``) becomes an empty list that the wrapped
    preprocessor cannot stack. That is every unlabelled branch of a burn-in batch of labelled
    hands only (:class:`BurnInMultiSourceSampler`). Batches with all branches are processed as
    mmdet does.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        if training:
            data = {key: {branch: values for branch, values in branches.items()
                          if any(v is not None for v in values)}
                    for key, branches in data.items()}
        return super().forward(data, training)
