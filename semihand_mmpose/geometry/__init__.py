# Copyright (c) semihand_mmpose authors. All rights reserved.
from .affine import (apply_affine, crop_matrix, invert_affine, warp_intrinsics)
from .lifting import lift_25d_to_3d, solve_root_depth

__all__ = [
    'apply_affine', 'crop_matrix', 'invert_affine', 'warp_intrinsics', 'lift_25d_to_3d',
    'solve_root_depth'
]
