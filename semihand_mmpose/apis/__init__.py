# Copyright (c) semihand_mmpose authors. All rights reserved.
"""Using a trained model: export a stage-2 checkpoint as the estimator it tested, and predict 3D
hands in images (not imported with the package: ``from semihand_mmpose.apis import ...``)."""
from .export import estimator_config, export_adapted_estimator
from .inference import inference_hand3d, inference_pipeline_of, init_hand3d_model, pipeline_of

__all__ = ['estimator_config', 'export_adapted_estimator', 'inference_hand3d',
           'inference_pipeline_of', 'init_hand3d_model', 'pipeline_of']
