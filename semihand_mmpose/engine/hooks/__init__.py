# Copyright (c) semihand_mmpose authors. All rights reserved.
from .semihand_hook import PseudoLabelFileError, SemiHandHook

__all__ = ['PseudoLabelFileError', 'SemiHandHook']
