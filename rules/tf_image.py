"""``tf.image``: resizing, padding, cropping and flipping images.

TF's image ops take channels-last tensors (``NHWC``, or ``HWC`` for one image). The rows
compute the same thing on the same tensor: where the torch function wants channels first
(``F.interpolate``) the rewrite permutes in and out. Which layout the migrated model uses is
decided elsewhere.
"""

from __future__ import annotations

import libcst as cst

from migrate.rules.base import CannotMigrate, Check, NotLiteral, Rule, RuleContext, literal, to_node
from migrate.rules.tf_nn import Args, Composite, bare, binop, call, method
from migrate.rules.tf_random import _shape

#: tf.image.ResizeMethod constants are plain strings.
_METHODS = {
    "BILINEAR": "bilinear",
    "NEAREST_NEIGHBOR": "nearest",
    "BICUBIC": "bicubic",
    "AREA": "area",
    "LANCZOS3": "lanczos3",
    "LANCZOS5": "lanczos5",
    "GAUSSIAN": "gaussian",
    "MITCHELLCUBIC": "mitchellcubic",
}


class ResizeMethod(Rule):
    id = "image.resize_method"
    names = tuple(f"tf.image.ResizeMethod.{k}" for k in _METHODS)
    summary = "`tf.image.ResizeMethod.BILINEAR` → `'bilinear'` (the string it is)."
    why = (
        "The `ResizeMethod` members are the strings `tf.image.resize` takes "
        "(`ResizeMethod.BILINEAR == \"bilinear\"`), so each becomes its string; "
        "`image.resize` then reads the method as a literal."
    )
    example = "y = tf.image.resize(x, [224, 224], method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)"
    checks = (
        Check("tf.image.ResizeMethod.BILINEAR"),
        Check("tf.image.ResizeMethod.NEAREST_NEIGHBOR"),
        Check("tf.image.ResizeMethod.BICUBIC"),
        Check("tf.image.ResizeMethod.AREA"),
    )

    def rewrite_reference(self, node: cst.BaseExpression, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        return to_node(_METHODS[qualified.rsplit(".", 1)[1]])


def _nchw(image: cst.BaseExpression) -> cst.BaseExpression:
    return method(image, "permute", 0, 3, 1, 2)


def _resize(a: Args) -> cst.BaseExpression:
    try:
        mode = literal(a["method"])
    except NotLiteral:
        raise CannotMigrate(
            f"`method={a.ctx.source(a['method'])}` is not a literal: each method maps to a different interpolation"
        ) from None
    images = _nchw(a["images"])
    kwargs: dict[str, object] = {"size": _shape(a, "size")}
    if mode == "bilinear":
        images = method(images, "float")
        kwargs.update(mode="bilinear", align_corners=False)
        if not a.is_default("antialias"):
            kwargs["antialias"] = a["antialias"]
    elif mode == "nearest":
        kwargs["mode"] = "nearest-exact"  # TF ignores `antialias` for nearest
    elif mode == "bicubic":
        raise CannotMigrate("TF's bicubic uses the Keys kernel with a = -0.5, torch's a = -0.75: the values differ")
    elif mode == "area":
        raise CannotMigrate("TF's area resize weighs partial pixels, torch's `area` is adaptive average pooling: they agree only for whole-number scale factors")
    else:
        raise CannotMigrate(f"method {mode!r} has no `F.interpolate` mode")
    resized = call(a.name("torch.nn.functional.interpolate"), images, **kwargs)
    return method(resized, "permute", 0, 2, 3, 1)


def _pad_to_bounding_box(a: Args) -> cst.BaseExpression:
    image = a.simple("image", "(its height and width set the padding)")
    oh = a.simple("offset_height", "(it sets the padding on both sides)")
    ow = a.simple("offset_width", "(it sets the padding on both sides)")

    def dim(index: int) -> cst.BaseExpression:
        return cst.Subscript(cst.Attribute(image, cst.Name("shape")), [cst.SubscriptElement(cst.Index(to_node(index)))])

    right = _minus(a["target_width"], ow, dim(-2))
    bottom = _minus(a["target_height"], oh, dim(-3))
    pads = cst.Tuple([cst.Element(v) for v in (to_node(0), to_node(0), ow, right, oh, bottom)])
    pads = pads.with_changes(
        elements=[e.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for e in pads.elements[:-1]] + [pads.elements[-1]]
    )
    return call(a.name("torch.nn.functional.pad"), image, pads)


def _int(value: cst.BaseExpression) -> int | None:
    try:
        lit = literal(value)
    except NotLiteral:
        return None
    return lit if isinstance(lit, int) and not isinstance(lit, bool) else None


def _minus(target: cst.BaseExpression, offset: cst.BaseExpression, size: cst.BaseExpression) -> cst.BaseExpression:
    """``target - offset - size``, without a literal 0 offset."""
    if _int(offset) == 0:
        return bare(binop(target, "-", size))
    return bare(binop(binop(target, "-", offset), "-", size))


def _plus(offset: cst.BaseExpression, extent: cst.BaseExpression) -> cst.BaseExpression:
    """``offset + extent``, folded when both are int literals."""
    a, b = _int(offset), _int(extent)
    if a is not None and b is not None:
        return to_node(a + b)
    return bare(binop(offset, "+", extent))


def _crop_to_bounding_box(a: Args) -> cst.BaseExpression:
    oh = a.simple("offset_height", "(it starts and ends the slice)")
    ow = a.simple("offset_width", "(it starts and ends the slice)")
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    elements = [
        cst.SubscriptElement(cst.Index(cst.Ellipsis()), comma=comma),
        cst.SubscriptElement(cst.Slice(lower=oh, upper=_plus(oh, a["target_height"])), comma=comma),
        cst.SubscriptElement(cst.Slice(lower=ow, upper=_plus(ow, a["target_width"])), comma=comma),
        cst.SubscriptElement(cst.Slice(lower=None, upper=None)),
    ]
    from migrate.rules.tf_nn import paren

    return cst.Subscript(paren(a["image"]), elements)


def _flip(dim: int):  # noqa: ANN202
    def build(a: Args) -> cst.BaseExpression:
        return call(a.name("torch.flip"), a["image"], dims=(dim,))

    return build


def _convert_image_dtype(a: Args) -> cst.BaseExpression:
    from migrate.rules.convert import dtype as dtype_convert
    from migrate.rules.tf_nn import _FLOAT_DTYPES, dtype_name

    target = dtype_name(a["dtype"])
    if target is None:
        raise CannotMigrate("the target dtype cannot be read: float and integer targets scale differently")
    if target not in _FLOAT_DTYPES:
        raise CannotMigrate("an integer target scales by the range and rounds; write the scaling out")
    image = a.simple("image", "(its dtype decides the scale)")
    dtype = dtype_convert(a["dtype"], a.ctx)
    scale = cst.IfExp(
        test=method(image, "is_floating_point"),
        body=cst.Float("1.0"),
        orelse=binop(1.0, "/", cst.Attribute(call(a.name("torch.iinfo"), cst.Attribute(image, cst.Name("dtype"))), cst.Name("max"))).with_changes(lpar=[], rpar=[]),
        lpar=[cst.LeftParen()],
        rpar=[cst.RightParen()],
    )
    return binop(method(image, "to", dtype), "*", scale)


def _rot90(a: Args) -> cst.BaseExpression:
    return call(a.name("torch.rot90"), a["image"], a["k"], dims=(-3, -2))


def _transpose(a: Args) -> cst.BaseExpression:
    return method(a["image"], "transpose", -3, -2)


def _grayscale_to_rgb(a: Args) -> cst.BaseExpression:
    return method(a["images"], "repeat_interleave", 3, dim=-1)


RULES = [
    ResizeMethod(),
    Composite(
        id="image.resize",
        tf="tf.image.resize",
        signature="images, size, method='bilinear', preserve_aspect_ratio=False, antialias=False, name=None",
        handles=("images", "size", "method", "antialias"),
        build=_resize,
        summary="`tf.image.resize` → `F.interpolate` on `NCHW` (permuted in and out), half-pixel centres.",
        why=(
            "TF resizes `NHWC` images with half-pixel centres. Bilinear is "
            "`F.interpolate(mode=\"bilinear\", align_corners=False)` (torch's `antialias` "
            "defaults to False like TF's and is passed when given); nearest is "
            "`mode=\"nearest-exact\"` (plain `\"nearest\"` uses the corner convention and "
            "picks other pixels). `F.interpolate` wants channels first, so the batch is "
            "permuted to `NCHW` and back. TF returns float32 for every method but nearest "
            "(which keeps the input dtype), so bilinear converts the input with `.float()`. "
            "Measured against TF the results agree to 1e-6 (float32 rounding), with and "
            "without antialiasing. Bicubic (Keys a=-0.5 in TF, -0.75 in torch) and area "
            "(weighted partial pixels in TF, adaptive pooling in torch) give other values, "
            "and `preserve_aspect_ratio` computes the size: TODOs, as is a method that is "
            "not a literal. A single `HWC` image (3-D) makes the permute fail loudly: add "
            "a batch dimension."
        ),
        example=(
            "small = tf.image.resize(images, [224, 224])\n"
            "masks = tf.image.resize(masks, (64, 64), method=\"nearest\")"
        ),
        checks=[
            Check("tf.image.resize(x, [4, 5])", {"x": "f32[2,9,11,3]"}, atol=1e-6),
            Check("tf.image.resize(x, (18, 22))", {"x": "f32[1,9,11,2]"}, atol=1e-6),
            Check("tf.image.resize(x, [4, 5], antialias=True)", {"x": "f32[2,9,11,3]"}, atol=1e-6),
            Check("tf.image.resize(x, [5, 20], method='bilinear', antialias=True)", {"x": "f64[1,9,11,1]"}, atol=1e-6),
            Check("tf.image.resize(x, [3, 4])", {"x": "u8[1,6,8,3]"}, atol=1e-4),
            Check("tf.image.resize(x, [7, 3], method='nearest')", {"x": "f32[2,9,11,3]"}),
            Check("tf.image.resize(x, [18, 22], method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)", {"x": "u8[1,9,11,3]"}),
            Check("tf.image.resize(x, s, method=tf.image.ResizeMethod.BILINEAR)", {"x": "f32[1,4,4,2]", "s": [8, 6]}, atol=1e-6),
            Check("tf.image.resize(x, [4, 4], method='bicubic')", {"x": "f32[1,8,8,3]"}, todo=True),
            Check("tf.image.resize(x, [4, 4], method=m)", {"x": "f32[1,8,8,3]", "m": "bilinear"}, todo=True),
            Check("tf.image.resize(x, [4, 4], preserve_aspect_ratio=True)", {"x": "f32[1,8,8,3]"}, todo=True),
        ],
    ),
    Composite(
        id="image.pad_to_bounding_box",
        tf="tf.image.pad_to_bounding_box",
        signature="image, offset_height, offset_width, target_height, target_width",
        handles=("image", "offset_height", "offset_width", "target_height", "target_width"),
        build=_pad_to_bounding_box,
        summary="`tf.image.pad_to_bounding_box` → `F.pad` of the height and width axes with zeros.",
        why=(
            "TF pads a `HWC` image or `NHWC` batch with zeros to the target size, placing "
            "it at the offsets. `F.pad` pads the last axes first: `(0, 0)` for channels, "
            "then width and height, the far side computed from the image's own size, so "
            "the image and the offsets (written twice) must be names or numbers. TF raises "
            "when the target is too small; `F.pad` with a negative pad crops instead."
        ),
        example="padded = tf.image.pad_to_bounding_box(image, 0, 0, 512, 512)",
        checks=[
            Check("tf.image.pad_to_bounding_box(x, 1, 2, 6, 7)", {"x": "f32[3,4,2]"}),
            Check("tf.image.pad_to_bounding_box(x, 0, 0, 5, 5)", {"x": "u8[2,3,4,3]"}),
            Check("tf.image.pad_to_bounding_box(x, oh, ow, h, w)", {"x": "f32[1,2,2,1]", "oh": 1, "ow": 0, "h": 4, "w": 3}),
            Check("tf.image.pad_to_bounding_box(x * 2, 1, 1, 5, 5)", {"x": "f32[3,3,1]"}, todo=True),
        ],
    ),
    Composite(
        id="image.crop_to_bounding_box",
        tf="tf.image.crop_to_bounding_box",
        signature="image, offset_height, offset_width, target_height, target_width",
        handles=("image", "offset_height", "offset_width", "target_height", "target_width"),
        build=_crop_to_bounding_box,
        summary="`tf.image.crop_to_bounding_box` → `image[..., oh:oh + h, ow:ow + w, :]`.",
        why=(
            "A crop of the height and width axes of a `HWC` image or `NHWC` batch: a slice "
            "(a view; TF copies). The offsets start and end the slices, so they must be "
            "names or numbers. TF raises when the box leaves the image; slicing stops at "
            "the edge instead."
        ),
        example="patch = tf.image.crop_to_bounding_box(image, 10, 20, 64, 64)",
        checks=[
            Check("tf.image.crop_to_bounding_box(x, 1, 2, 3, 2)", {"x": "f32[5,6,3]"}),
            Check("tf.image.crop_to_bounding_box(x, 0, 0, 2, 2)", {"x": "u8[2,3,4,3]"}),
            Check("tf.image.crop_to_bounding_box(x, oh, ow, 2, 1)", {"x": "f32[1,4,3,1]", "oh": 1, "ow": 2}),
            Check("tf.image.crop_to_bounding_box(x, oh + 1, 0, 2, 1)", {"x": "f32[4,3,1]", "oh": 1}, todo=True),
        ],
    ),
    Composite(
        id="image.flip_left_right",
        tf="tf.image.flip_left_right",
        signature="image",
        handles=("image",),
        build=_flip(-2),
        summary="`tf.image.flip_left_right` → `torch.flip(image, dims=(-2,))`.",
        why="Reverses the width axis, the second-to-last of a channels-last `HWC` image or `NHWC` batch.",
        example="mirrored = tf.image.flip_left_right(image)",
        checks=[Check("tf.image.flip_left_right(x)", {"x": "f32[3,4,2]"}), Check("tf.image.flip_left_right(x)", {"x": "u8[2,3,4,3]"})],
    ),
    Composite(
        id="image.flip_up_down",
        tf="tf.image.flip_up_down",
        signature="image",
        handles=("image",),
        build=_flip(-3),
        summary="`tf.image.flip_up_down` → `torch.flip(image, dims=(-3,))`.",
        why="Reverses the height axis, the third-to-last of a channels-last `HWC` image or `NHWC` batch.",
        example="flipped = tf.image.flip_up_down(image)",
        checks=[Check("tf.image.flip_up_down(x)", {"x": "f32[3,4,2]"}), Check("tf.image.flip_up_down(x)", {"x": "i32[2,3,4,3]"})],
    ),
    Composite(
        id="image.grayscale_to_rgb",
        tf="tf.image.grayscale_to_rgb",
        signature="images, name=None",
        handles=("images",),
        build=_grayscale_to_rgb,
        summary="`tf.image.grayscale_to_rgb` → `images.repeat_interleave(3, dim=-1)`.",
        why="TF repeats the single channel three times (it requires a last axis of size 1, where repeating and tiling agree).",
        example="rgb = tf.image.grayscale_to_rgb(gray)",
        checks=[Check("tf.image.grayscale_to_rgb(x)", {"x": "f32[4,5,1]"}), Check("tf.image.grayscale_to_rgb(x)", {"x": "u8[2,3,3,1]"})],
    ),
    Composite(
        id="image.convert_image_dtype",
        tf="tf.image.convert_image_dtype",
        signature="image, dtype, saturate=False, name=None",
        handles=("image", "dtype"),
        build=_convert_image_dtype,
        summary="`tf.image.convert_image_dtype(x, tf.float32)` → `x.to(torch.float32) * (1.0 if x.is_floating_point() else 1.0 / torch.iinfo(x.dtype).max)`.",
        why=(
            "TF maps integer images to [0, 1] by multiplying with `1 / max` of the input's "
            "integer dtype, and only casts float images. The input dtype is known at run "
            "time only, so the rewrite decides there (`x * 1.0` leaves a float image as the "
            "cast made it); `x` is written three times, so it must be a name. An integer "
            "target (scaled by `max + 0.5` and truncated, or saturated) stays a TODO."
        ),
        example="image = tf.image.convert_image_dtype(image, tf.float32)",
        checks=[
            Check("tf.image.convert_image_dtype(x, tf.float32)", {"x": "u8[4,5,3]:0..256"}),
            Check("tf.image.convert_image_dtype(x, tf.float32)", {"x": "i32[6]:0..100000"}),
            Check("tf.image.convert_image_dtype(x, dtype='float32')", {"x": "f64[2,3]"}),
            Check("tf.image.convert_image_dtype(x, tf.float64)", {"x": "f32[2,0,3]"}),
            Check("tf.image.convert_image_dtype(x, tf.uint8)", {"x": "f32[3]:unit"}, todo=True),
        ],
    ),
    Composite(
        id="image.rot90",
        tf="tf.image.rot90",
        signature="image, k=1, name=None",
        handles=("image", "k"),
        build=_rot90,
        summary="`tf.image.rot90(image, k)` → `torch.rot90(image, k, dims=(-3, -2))`.",
        why="Both turn the height-width plane of a `HWC` image or `NHWC` batch counter-clockwise `k` times; TF's `k` defaults to 1, written out.",
        example="turned = tf.image.rot90(image, k=2)",
        checks=[
            Check("tf.image.rot90(x)", {"x": "f32[3,4,2]"}),
            Check("tf.image.rot90(x, k=3)", {"x": "u8[2,3,5,1]"}),
            Check("tf.image.rot90(x, -1)", {"x": "f32[2,3,1]"}),
        ],
    ),
    Composite(
        id="image.transpose",
        tf="tf.image.transpose",
        signature="image, name=None",
        handles=("image",),
        build=_transpose,
        summary="`tf.image.transpose(image)` → `image.transpose(-3, -2)`.",
        why="Swaps height and width of a `HWC` image or `NHWC` batch (a view in torch; TF copies).",
        example="t = tf.image.transpose(image)",
        checks=[Check("tf.image.transpose(x)", {"x": "f32[3,4,2]"}), Check("tf.image.transpose(x)", {"x": "i32[2,3,5,1]"})],
    ),
]
