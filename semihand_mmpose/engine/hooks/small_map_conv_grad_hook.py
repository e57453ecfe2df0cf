# Copyright (c) semihand_mmpose authors. All rights reserved.
"""One batched GEMM for the weight gradient of convolutions on small maps.

At the 64-128 px inputs this project trains on CPUs, a ResNet's last stage works on 2x2 or 4x4
maps. For those, oneDNN (PyTorch's CPU convolution) computes the weight gradient image by image
(``x64:gemm:jit``, an im2col GEMM whose inner dimension is the map's 4 pixels), which on a 2-core
AVX2 machine takes 62 ms for one 512->512 3x3 convolution at batch 32, five times its forward pass
(ResNet-18 has three of them: a quarter of its training step at 64 px). Unfolding the batch once
and doing one GEMM over all images' pixels gives the same gradient (to float rounding) in 12 ms;
at 3x3 maps (96 px inputs) 39 -> 20 ms. Past 9 pixels the two are close (4x4: 51 -> 36 ms at 512
channels, 12 -> 13 ms at 256), so the default limit is 9. Interleaved ResNet-18 training steps at
64 px and batch 32: 0.79 -> 0.67 s (0.63 s with the fused Adam the synthetic configs use).

That is an AVX2 CPU's oneDNN. On an AVX-512 one (this project's fourth machine, torch 2.14.1)
oneDNN's own weight gradient is fast: that 512->512 convolution's backward at 2x2 maps took 16-22
ms either way, and interleaved ResNet-18 steps at 64 px (batch 32, fused Adam) were level to
slightly slower with the swap (0.201 -> 0.206, 0.214 -> 0.226, 0.225 -> 0.226, 0.210 -> 0.213 s).
It stays on by default because every figure in the README was trained with it (the gradients
differ at float rounding); ``max_pixels=0`` switches it off.

The hook swaps the class of every plain ``nn.Conv2d`` (zero padding, no groups) in the trained
model for :class:`SmallMapConv2d`, which differs only in its backward pass, and only where the
output map has at most ``max_pixels`` pixels and the tensors are on the CPU; on a GPU the hook
does nothing. Parameters, state dicts and checkpoints are untouched, so a model trained with the
hook loads anywhere without it. Nothing in MMEngine or MMPose does this: their CPU path is
PyTorch's, and PyTorch picks oneDNN's per-image weight gradient for these shapes whatever the
memory format (channels-last is slower).
"""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.hooks import Hook
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from mmpose.registry import HOOKS

#: the largest output map (height x width) whose weight gradient is batched: 3x3, a ResNet's last
#: stage up to 96 px inputs
DEFAULT_MAX_PIXELS = 9


class _BatchedWeightGradConv2d(torch.autograd.Function):
    """``F.conv2d`` whose weight gradient is one im2col GEMM over the whole batch."""

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Optional[Tensor], stride: Tuple[int, int],
                padding: Tuple[int, int], dilation: Tuple[int, int]) -> Tensor:
        ctx.save_for_backward(x, weight)
        ctx.conf = (stride, padding, dilation, bias is not None)
        return F.conv2d(x, weight, bias, stride, padding, dilation)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out: Tensor):
        x, weight = ctx.saved_tensors
        stride, padding, dilation, has_bias = ctx.conf
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            # oneDNN's data gradient is fast at every size: keep it
            grad_x = torch.ops.aten.convolution_backward(
                grad_out, x, weight, None, list(stride), list(padding), list(dilation), False,
                [0, 0], 1, [True, False, False])[0]
        if ctx.needs_input_grad[1]:
            out_ch = weight.shape[0]
            # (B, C_in*kh*kw, L) -> (C_in*kh*kw, B*L); grad_out (B, C_out, L) -> (C_out, B*L)
            cols = F.unfold(x, weight.shape[-2:], dilation=dilation, padding=padding,
                            stride=stride)
            cols = cols.transpose(0, 1).reshape(cols.shape[1], -1)
            grads = grad_out.transpose(0, 1).reshape(out_ch, -1)
            grad_w = (grads @ cols.t()).view_as(weight)
        if has_bias and ctx.needs_input_grad[2]:
            grad_b = grad_out.sum((0, 2, 3))
        return grad_x, grad_w, grad_b, None, None, None


class SmallMapConv2d(nn.Conv2d):
    """``nn.Conv2d`` that takes the batched weight gradient on CPU maps of at most
    ``max_pixels`` output pixels. Forward results are identical to ``nn.Conv2d``'s; gradients
    agree to float rounding. Made by :func:`use_small_map_conv_grad`, not built directly."""

    max_pixels: int = DEFAULT_MAX_PIXELS

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
        # under autocast the convolution runs in another dtype than the saved tensors: left to
        # PyTorch's own backward
        if (torch.is_grad_enabled() and weight.requires_grad and input.device.type == 'cpu'
                and input.dim() == 4 and not torch.is_autocast_enabled('cpu')):
            out_h = (input.shape[-2] + 2 * self.padding[0] - self.dilation[0] *
                     (self.kernel_size[0] - 1) - 1) // self.stride[0] + 1
            out_w = (input.shape[-1] + 2 * self.padding[1] - self.dilation[1] *
                     (self.kernel_size[1] - 1) - 1) // self.stride[1] + 1
            if out_h * out_w <= self.max_pixels:
                return _BatchedWeightGradConv2d.apply(input, weight, bias, self.stride,
                                                      self.padding, self.dilation)
        return super()._conv_forward(input, weight, bias)


def use_small_map_conv_grad(model: nn.Module, max_pixels: int = DEFAULT_MAX_PIXELS) -> int:
    """Swap every plain ``nn.Conv2d`` of ``model`` (zero padding, ``groups=1``, integer padding)
    for :class:`SmallMapConv2d`; return how many were swapped. Subclasses of ``nn.Conv2d`` are
    left alone, as they may override the forward pass themselves. ``max_pixels=0`` swaps none."""
    swapped = 0
    if max_pixels < 1:
        return swapped
    for module in model.modules():
        if (type(module) is nn.Conv2d and module.groups == 1
                and module.padding_mode == 'zeros' and not isinstance(module.padding, str)):
            module.__class__ = SmallMapConv2d
            module.max_pixels = max_pixels
            swapped += 1
    return swapped


@HOOKS.register_module()
class SmallMapConvGradHook(Hook):
    """Give the trained model's convolutions on small CPU maps a batched weight gradient.

    Enabled for every semihand_mmpose config through ``default_hooks`` (the key
    ``small_map_conv_grad``); ``--cfg-options default_hooks.small_map_conv_grad.max_pixels=0``
    switches it off (MMEngine's Runner refuses ``None`` for a default hook it does not know, with
    a bare AssertionError). Models on a GPU are left as they are.

    Args:
        max_pixels (int): The largest output map (height x width) whose weight gradient is
            batched; 0 batches none. Defaults to 9 (3x3 maps: a ResNet's last stage up to 96 px
            inputs).
    """

    priority = 'VERY_LOW'

    def __init__(self, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        if not isinstance(max_pixels, int) or max_pixels < 0:
            raise ValueError('max_pixels must be a number of pixels >= 0 (0 switches the hook '
                             f'off), got {max_pixels!r}')
        self.max_pixels = max_pixels

    def before_train(self, runner) -> None:
        param = next(runner.model.parameters(), None)
        if param is None or param.device.type != 'cpu':
            return
        if self.max_pixels == 0:
            runner.logger.info('SmallMapConvGradHook: switched off (max_pixels=0)')
            return
        swapped = use_small_map_conv_grad(runner.model, self.max_pixels)
        runner.logger.info(f'SmallMapConvGradHook: {swapped} convolutions take one batched weight '
                           f'gradient on maps of at most {self.max_pixels} pixels')
