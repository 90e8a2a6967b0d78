"""Small nn.Module classes written into a generated file when torch has no module to match.

Each is plain PyTorch a user can read and keep. Only those a model uses are written, in this
order. None permutes: they act on the channels-first tensors the generated module carries.
"""

from __future__ import annotations

HELPERS: dict[str, str] = {
    "ChannelLayerNorm": '''
class ChannelLayerNorm(nn.Module):
    """Keras LayerNormalization over the channel axis of a channels-first tensor (dim 1)."""

    def __init__(
        self, num_channels: int, eps: float, affine: bool = True, bias: bool = True
    ) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_channels)) if affine else None
        self.bias = nn.Parameter(torch.zeros(num_channels)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(1, keepdim=True)
        var = x.var(1, keepdim=True, unbiased=False)
        x = (x - mean) * torch.rsqrt(var + self.eps)
        shape = (-1,) + (1,) * (x.dim() - 2)
        if self.weight is not None:
            x = x * self.weight.view(shape)
        if self.bias is not None:
            x = x + self.bias.view(shape)
        return x
''',
    "LayerScale": '''
class LayerScale(nn.Module):
    """Multiplies each channel by a learned scale (ConvNeXt's LayerScale)."""

    def __init__(self, num_channels: int, init_values: float, channel_dim: int = 1) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.full((num_channels,), init_values))
        self.channel_dim = channel_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = [1] * x.dim()
        shape[self.channel_dim] = -1
        return x * self.gamma.view(shape)
''',
    "StochasticDepth": '''
class StochasticDepth(nn.Module):
    """Drops a whole sample's residual branch with probability p while training."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        shape = (x.shape[0],) + (1,) * (x.dim() - 1)
        mask = torch.floor(keep + torch.rand(shape, dtype=x.dtype, device=x.device))
        return x / keep * mask
''',
    "NoiseDropout": '''
class NoiseDropout(nn.Module):
    """Dropout with one mask value along each dim where Keras's noise_shape is 1."""

    def __init__(self, p: float, noise_shape: tuple) -> None:
        super().__init__()
        self.p = p
        self.noise_shape = noise_shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        shape = [x.shape[i] if n is None else n for i, n in enumerate(self.noise_shape)]
        mask = torch.bernoulli(torch.full(shape, 1.0 - self.p, dtype=x.dtype, device=x.device))
        return x * mask / (1.0 - self.p)
''',
    "Normalization": '''
class Normalization(nn.Module):
    """Keras Normalization: (x - mean) / max(sqrt(variance), 1e-7), statistics as buffers."""

    def __init__(self, mean: list, variance: list, view: tuple) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("variance", torch.tensor(variance, dtype=torch.float32))
        self.view = view

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        std = torch.sqrt(self.variance).clamp(min=1e-7)
        return (x - self.mean.view(self.view)) / std.view(self.view)
''',
    "MultiHeadAttention": '''
class MultiHeadAttention(nn.Module):
    """Keras MultiHeadAttention: per-head projections, scaled dot product, output projection."""

    def __init__(
        self, query_dim: int, key_dim: int, value_dim: int, num_heads: int, head_dim: int,
        value_head_dim: int, output_dim: int, bias: bool = True, dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = head_dim
        self.value_head_dim = value_head_dim
        self.dropout = dropout
        self.query = nn.Linear(query_dim, num_heads * head_dim, bias=bias)
        self.key = nn.Linear(key_dim, num_heads * head_dim, bias=bias)
        self.value = nn.Linear(value_dim, num_heads * value_head_dim, bias=bias)
        self.attention_output = nn.Linear(num_heads * value_head_dim, output_dim, bias=bias)

    def forward(
        self, query: torch.Tensor, value: torch.Tensor, key: torch.Tensor | None = None,
        attn_mask: torch.Tensor | None = None, is_causal: bool = False,
    ) -> torch.Tensor:
        key = value if key is None else key
        batch = query.shape[0]
        q = self.query(query).view(batch, -1, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.key(key).view(batch, -1, self.num_heads, self.head_dim).transpose(1, 2)
        v = self.value(value).view(batch, -1, self.num_heads, self.value_head_dim).transpose(1, 2)
        dropout = self.dropout if self.training else 0.0
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=dropout, is_causal=is_causal
        )
        out = out.transpose(1, 2).reshape(batch, -1, self.num_heads * self.value_head_dim)
        return self.attention_output(out)
''',
    "TodoLayer": '''
class TodoLayer(nn.Module):
    """A Keras layer `migrate model` could not map: write its forward by hand."""

    def __init__(self, keras_name: str, keras_class: str) -> None:
        super().__init__()
        self.keras_name = keras_name
        self.keras_class = keras_class

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f"migrate: TODO(model.unmapped) Keras layer {self.keras_name!r} ({self.keras_class})"
        )
''',
}


def helper_source(names: set[str]) -> str:
    return "".join(HELPERS[name].lstrip("\n") + "\n\n" for name in HELPERS if name in names)
