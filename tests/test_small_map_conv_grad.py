# Copyright (c) semihand_mmpose authors. All rights reserved.
"""The batched weight gradient gives nn.Conv2d's gradients, on the maps it is meant for only."""
import copy
import logging
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from semihand_mmpose.engine.hooks import (SmallMapConv2d, SmallMapConvGradHook,
                                          use_small_map_conv_grad)

# (in, out, kernel, stride, padding, dilation, bias, input size): output maps of 1-9 pixels
SMALL = [
    (16, 24, 3, 1, 1, 1, False, (2, 2)),   # a ResNet's last stage at 64 px
    (16, 24, 3, 1, 1, 1, True, (3, 3)),    # ... at 96 px, with a bias
    (16, 8, 1, 2, 0, 1, False, (4, 4)),    # a stride-2 1x1 downsampling to 2x2
    (8, 8, 3, 2, 1, 1, True, (5, 5)),      # stride 2 to 3x3
    (8, 8, 3, 1, 2, 2, False, (3, 3)),     # dilated
    (8, 8, (1, 3), 1, (0, 1), 1, True, (1, 4)),  # a non-square kernel
]


def _pair(in_ch, out_ch, kernel, stride, padding, dilation, bias):
    torch.manual_seed(0)
    plain = nn.Conv2d(in_ch, out_ch, kernel, stride, padding, dilation, bias=bias).double()
    fast = copy.deepcopy(plain)
    assert use_small_map_conv_grad(fast) == 1
    return plain, fast


def _run(conv, x, grad_out):
    x = x.clone().requires_grad_(True)
    out = conv(x)
    out.backward(grad_out)
    grads = [x.grad, conv.weight.grad] + ([conv.bias.grad] if conv.bias is not None else [])
    return out, grads


@pytest.mark.parametrize('in_ch,out_ch,kernel,stride,padding,dilation,bias,size', SMALL)
def test_batched_weight_gradient_equals_conv2d_on_small_maps(in_ch, out_ch, kernel, stride,
                                                            padding, dilation, bias, size):
    plain, fast = _pair(in_ch, out_ch, kernel, stride, padding, dilation, bias)
    x = torch.randn(5, in_ch, *size, dtype=torch.float64)
    ref_out = plain(x)
    grad_out = torch.randn_like(ref_out)
    out = fast(x.clone().requires_grad_(True))
    # the batched path was taken
    assert type(out.grad_fn).__name__ == '_BatchedWeightGradConv2dBackward'
    assert ref_out.shape[-2] * ref_out.shape[-1] <= 9
    ref_out, ref_grads = _run(plain, x, grad_out)
    out, grads = _run(fast, x, grad_out)
    assert torch.equal(out, ref_out)
    for got, want in zip(grads, ref_grads):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


def test_larger_maps_and_inference_keep_conv2ds_own_path():
    plain, fast = _pair(8, 8, 3, 1, 1, 1, True)
    x = torch.randn(2, 8, 4, 4, dtype=torch.float64, requires_grad=True)  # 16 output pixels
    assert 'Convolution' in type(fast(x).grad_fn).__name__
    fast.max_pixels = 16
    assert type(fast(x).grad_fn).__name__ == '_BatchedWeightGradConv2dBackward'
    with torch.no_grad():
        assert torch.equal(fast(x), plain(x))


def test_autocast_keeps_conv2ds_own_path():
    _, fast = _pair(8, 8, 3, 1, 1, 1, True)
    fast.float()
    x = torch.randn(2, 8, 2, 2, requires_grad=True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = fast(x)
    assert out.dtype == torch.bfloat16 and 'Convolution' in type(out.grad_fn).__name__
    out.float().sum().backward()
    assert fast.weight.grad.dtype == torch.float32 and torch.isfinite(fast.weight.grad).all()


def test_frozen_weights_and_an_input_without_gradient():
    plain, fast = _pair(8, 8, 3, 1, 1, 1, True)
    x = torch.randn(3, 8, 2, 2, dtype=torch.float64)
    # the first layer of a network: its input needs no gradient
    fast(x).sum().backward()
    plain(x).sum().backward()
    torch.testing.assert_close(fast.weight.grad, plain.weight.grad, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(fast.bias.grad, plain.bias.grad, rtol=1e-10, atol=1e-10)
    # frozen weights: the input's gradient still flows, by nn.Conv2d's own path
    fast.weight.requires_grad_(False)
    xg = x.clone().requires_grad_(True)
    fast(xg).sum().backward()
    xr = x.clone().requires_grad_(True)
    plain(xr).sum().backward()
    torch.testing.assert_close(xg.grad, xr.grad, rtol=1e-10, atol=1e-10)


def test_swaps_only_plain_zero_padded_ungrouped_convolutions():
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.Conv2d(8, 8, 3, padding=1, groups=2),
        nn.Conv2d(8, 8, 3, padding=1, padding_mode='reflect'),
        nn.Conv2d(8, 8, 3, padding='same'),
        nn.ConvTranspose2d(8, 8, 4, 2, 1),
        nn.Conv2d(8, 4, 1))
    state = copy.deepcopy(model.state_dict())
    assert use_small_map_conv_grad(model, max_pixels=4) == 2
    assert [type(m) for m in model] == [SmallMapConv2d, nn.Conv2d, nn.Conv2d, nn.Conv2d,
                                        nn.ConvTranspose2d, SmallMapConv2d]
    assert model[0].max_pixels == 4
    # parameters and their names are untouched: checkpoints load either way
    plain = copy.deepcopy(model)
    for m in plain:
        if type(m) is SmallMapConv2d:
            m.__class__ = nn.Conv2d
    assert plain.load_state_dict(model.state_dict()).missing_keys == []
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key])


def test_resnet_training_step_gradients_match():
    from mmpose.models.backbones import ResNet
    torch.manual_seed(0)
    plain = ResNet(depth=18, out_indices=(3, )).double()
    fast = copy.deepcopy(plain)
    assert use_small_map_conv_grad(fast) == 20  # every convolution of ResNet-18
    x = torch.randn(4, 3, 64, 64, dtype=torch.float64)
    for net in (plain, fast):
        net.train()
        net(x)[0].square().mean().backward()
    for (name, p), q in zip(plain.named_parameters(), fast.parameters()):
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-8, atol=1e-12, msg=name)


def test_hook_swaps_a_cpu_model_and_rejects_a_bad_limit():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 1))
    messages = []
    logger = logging.getLogger('small_map_conv_grad_test')
    logger.info = messages.append
    SmallMapConvGradHook(max_pixels=4).before_train(SimpleNamespace(model=model, logger=logger))
    assert [type(m) for m in model] == [SmallMapConv2d, nn.ReLU, SmallMapConv2d]
    assert '2 convolutions' in messages[0]
    # max_pixels=0 is the off switch (MMEngine refuses None for a default hook it does not know)
    model = nn.Sequential(nn.Conv2d(3, 8, 3))
    SmallMapConvGradHook(max_pixels=0).before_train(SimpleNamespace(model=model, logger=logger))
    assert type(model[0]) is nn.Conv2d
    assert 'switched off' in messages[1]
    assert use_small_map_conv_grad(model, max_pixels=0) == 0 and type(model[0]) is nn.Conv2d
    for bad in (-1, 2.5):
        with pytest.raises(ValueError, match='max_pixels'):
            SmallMapConvGradHook(max_pixels=bad)
