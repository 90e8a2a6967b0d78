"""tf.data pipelines and their migrations yield the same elements in the same order.

Each case is TF code that builds a dataset ``ds``. It runs under TensorFlow, and its migration
(``migrate_source``) runs under torch; both datasets are read to the end and compared element
by element: same count, same structure (a tuple in TF, a tuple or a list in torch), same
values (exact for integers, within 1e-6 for floats) and the same kind of dtype. Shuffles cannot
match across frameworks (different random streams), so the shuffle tests check the properties
that make it the same *kind* of shuffle instead.
"""

from __future__ import annotations

import numpy as np
import pytest

from migrate.codemod import migrate_source

tf = pytest.importorskip("tensorflow")
torch = pytest.importorskip("torch")

X = np.arange(40, dtype="float32").reshape(10, 4) / 10.0
Y = np.arange(10, dtype="int64") % 3


def _numpy(element):  # noqa: ANN001, ANN202
    if isinstance(element, (tuple, list)):
        return tuple(_numpy(e) for e in element)
    if isinstance(element, dict):
        return {k: _numpy(v) for k, v in element.items()}
    if hasattr(element, "numpy"):
        return np.asarray(element.numpy())
    return np.asarray(element)


def _tf_elements(code: str) -> list:
    scope = {"tf": tf, "np": np, "x": X, "y": Y}
    exec(code, scope)  # noqa: S102 - test code written above
    return [_numpy(e) for e in scope["ds"]]


def _migrated(code: str) -> str:
    result = migrate_source("import tensorflow as tf\nimport numpy as np\n" + code)
    assert result.error is None
    assert "tensorflow" not in result.output, result.output  # migrated whole
    return result.output


def _torch_elements(code: str, passes: int = 1) -> list:
    scope = {"x": X, "y": Y, "__name__": "migrated"}
    exec(_migrated(code), scope)  # noqa: S102
    return [[_numpy(e) for e in scope["ds"]] for _ in range(passes)][-1]


def _assert_same(expected, actual, path: str = "element") -> None:  # noqa: ANN001
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected), f"{path}: {actual!r}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            _assert_same(e, a, f"{path}[{i}]")
        return
    assert expected.shape == actual.shape, f"{path}: shape {actual.shape} != {expected.shape}"
    assert expected.dtype.kind == actual.dtype.kind, f"{path}: dtype {actual.dtype} != {expected.dtype}"
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(actual, expected, atol=1e-6, rtol=0, err_msg=path)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=path)


ORDERED = {
    "slices_batch": "ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(3)",
    "one_array_map_drop_remainder": (
        "ds = tf.data.Dataset.from_tensor_slices(x).map(lambda v: v * 2.0).batch(4, drop_remainder=True)"
    ),
    "split_statements": (
        "ds = tf.data.Dataset.from_tensor_slices((x, y))\n"
        "ds = ds.map(lambda a, b: (a + 1.0, b * 2), num_parallel_calls=tf.data.AUTOTUNE)\n"
        "ds = ds.filter(lambda a, b: b > 0)\n"
        "ds = ds.batch(2)\n"
        "ds = ds.prefetch(tf.data.AUTOTUNE)\n"
    ),
    "range_filter_repeat_take_skip": (
        "ds = tf.data.Dataset.range(10).filter(lambda i: i % 3 != 0).repeat(2).take(11).skip(2)"
    ),
    "batches_straddle_repeats": "ds = tf.data.Dataset.range(7).repeat(2).batch(3)",
    "map_after_batch": (
        "ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(4).map(lambda a, b: (tf.reduce_sum(a, axis=1), b))"
    ),
    "zip_then_batch": (
        "ds = tf.data.Dataset.zip((tf.data.Dataset.range(5), tf.data.Dataset.range(10, 20))).batch(2)"
    ),
    "unbatch_tuples": "ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(3).unbatch()",
    "enumerate_from_one": "ds = tf.data.Dataset.range(10, 14).enumerate(1).batch(3)",
    "from_tensors_batched": "ds = tf.data.Dataset.from_tensors((x, y)).batch(1)",
    "take_all_and_cache": "ds = tf.data.Dataset.from_tensor_slices(y).cache().take(-1).batch(5)",
    "generator_with_signature": (
        "def rows():\n"
        "    for i in range(5):\n"
        "        yield np.full((2,), i, dtype='float64'), i\n"
        "ds = tf.data.Dataset.from_generator(rows, output_signature=(\n"
        "    tf.TensorSpec(shape=(2,), dtype=tf.float32), tf.TensorSpec(shape=(), dtype=tf.int64)))\n"
        "ds = ds.batch(2)\n"
    ),
}


@pytest.mark.parametrize("case", sorted(ORDERED))
def test_migrated_pipeline_yields_the_same_elements_in_order(case: str) -> None:
    code = ORDERED[case]
    expected = _tf_elements(code)
    actual = _torch_elements(code, passes=2)  # a second pass reads the same (datasets re-iterate)
    assert len(actual) == len(expected), f"{len(actual)} elements, TF has {len(expected)}"
    for i, (e, a) in enumerate(zip(expected, actual)):
        _assert_same(e, a, f"element {i}")


def test_generator_signature_dtypes_are_applied() -> None:
    code = ORDERED["generator_with_signature"]
    scope = {"__name__": "migrated"}
    exec(_migrated(code), scope)  # noqa: S102
    first = next(iter(scope["ds"]))
    assert first[0].dtype == torch.float32 and first[1].dtype == torch.int64


def _max_advance(order: list[int]) -> int:
    """How far ahead of its input position any element came out."""
    return max(position - value for position, value in enumerate(order))


@pytest.mark.parametrize("buffer_size", [1, 4, 100])
def test_shuffle_is_a_buffered_shuffle_like_tf(buffer_size: int) -> None:
    """tf.data's buffered shuffle cannot emit input i before output position i - buffer + 1
    (an element can only come out once it has entered the buffer);
    the migrated ShuffleBufferDataset has the same bound, and with a buffer of one it keeps
    the order. Both give a permutation."""
    code = f"ds = tf.data.Dataset.range(60).shuffle({buffer_size}, seed=1)"
    tf_order = [int(e) for e in _tf_elements(code)]
    torch_order = [int(e) for e in _torch_elements(code)]
    for order in (tf_order, torch_order):
        assert sorted(order) == list(range(60))
        assert all(value <= position + buffer_size - 1 for position, value in enumerate(order))
    if buffer_size == 1:
        assert torch_order == tf_order == list(range(60))
    else:
        assert torch_order != list(range(60))


def test_shuffle_seed_and_reshuffle_each_iteration() -> None:
    seeded = "ds = tf.data.Dataset.range(50).shuffle(20, seed=5)"
    scope_a: dict = {"__name__": "a"}
    scope_b: dict = {"__name__": "b"}
    exec(_migrated(seeded), scope_a)  # noqa: S102
    exec(_migrated(seeded), scope_b)  # noqa: S102
    first_a, second_a = [int(e) for e in scope_a["ds"]], [int(e) for e in scope_a["ds"]]
    assert first_a == [int(e) for e in scope_b["ds"]], "the same seed gives the same order"
    assert first_a != second_a, "a new order each pass, as reshuffle_each_iteration=True"
    fixed = "ds = tf.data.Dataset.range(50).shuffle(20, seed=5, reshuffle_each_iteration=False)"
    scope: dict = {"__name__": "c"}
    exec(_migrated(fixed), scope)  # noqa: S102
    assert [int(e) for e in scope["ds"]] == [int(e) for e in scope["ds"]]


def test_shuffle_before_batch_is_a_dataloader_permutation_each_epoch() -> None:
    code = "ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(10, seed=3).batch(4)"
    output = _migrated(code)
    assert "shuffle=True" in output and "ShuffleBufferDataset" not in output
    scope = {"x": X, "y": Y, "__name__": "migrated"}
    exec(output, scope)  # noqa: S102
    epochs = []
    for _ in range(2):
        rows = [row for xb, _ in scope["ds"] for row in xb.numpy()]
        assert sorted(map(tuple, rows)) == sorted(map(tuple, X)), "every element once per epoch"
        epochs.append([tuple(r) for r in rows])
    assert epochs[0] != epochs[1]
    assert [len(b[0]) for b in scope["ds"]] == [4, 4, 2], "the last short batch is kept"


# ---------------------------------------------------------------------------------------
# keras.utils.image_dataset_from_directory against its migration, on a tiny PNG tree.


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """Three classes of PNGs of several sizes (RGB and grayscale, one in a nested folder),
    plus files and folders Keras ignores."""
    image_module = pytest.importorskip("PIL.Image")
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    sizes = [(5, 7), (9, 4), (12, 12), (3, 3), (8, 6)]
    for c, name in enumerate(["cats", "dogs", "zebras"]):
        (root / name / "more").mkdir(parents=True)
        for i in range(4 + c):
            h, w = sizes[(i + c) % len(sizes)]
            if (i + c) % 3 == 0:
                pixels = rng.integers(0, 256, size=(h, w), dtype=np.uint8)
                image = image_module.fromarray(pixels, mode="L")
            else:
                image = image_module.fromarray(rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8), mode="RGB")
            folder = root / name / ("more" if i == 1 else "")
            image.save(folder / f"img_{i:02d}.png")
        (root / name / "notes.txt").write_text("not an image")
    (root / ".hidden").mkdir()
    return root


def _keras_elements(call: str, directory) -> list:  # noqa: ANN001
    keras = pytest.importorskip("keras")
    ds = eval(call, {"keras": keras, "directory": str(directory)})  # noqa: S307
    out = []
    for images, labels in ds:
        for image, label in zip(images.numpy(), labels.numpy()):
            out.append((np.transpose(image, (2, 0, 1)), np.asarray(label)))  # HWC → CHW
    return out


def _migrated_elements(call: str, directory) -> list:  # noqa: ANN001
    output = _migrated("import keras\nds = " + call + "\n")
    scope = {"directory": str(directory), "__name__": "migrated"}
    exec(output, scope)  # noqa: S102
    out = []
    for images, labels in scope["ds"]:
        for image, label in zip(images.numpy(), labels.numpy()):
            out.append((image, np.asarray(label)))
    return out


def _assert_same_images(expected: list, actual: list) -> None:
    assert len(actual) == len(expected)
    for i, ((e_image, e_label), (a_image, a_label)) in enumerate(zip(expected, actual)):
        assert a_image.dtype == np.float32 and a_image.shape == e_image.shape, i
        np.testing.assert_allclose(a_image, e_image, atol=1e-3, rtol=0, err_msg=f"image {i}")
        np.testing.assert_array_equal(a_label, e_label, err_msg=f"label {i}")


@pytest.mark.parametrize(
    "options",
    [
        'image_size=(6, 8), shuffle=False, batch_size=4',
        'image_size=(10, 5), shuffle=False, interpolation="nearest", label_mode="categorical"',
        'image_size=(4, 4), shuffle=False, batch_size=3, follow_links=False, label_mode="int"',
    ],
)
def test_image_directory_loader_gives_keras_images_and_labels_in_order(photos, options: str) -> None:  # noqa: ANN001
    call = f"keras.utils.image_dataset_from_directory(directory, {options}, verbose=False)"
    _assert_same_images(_keras_elements(call, photos), _migrated_elements(call, photos))


def test_binary_labels_are_float_columns(tmp_path, photos) -> None:  # noqa: ANN001
    import shutil

    two = tmp_path / "two"
    for name in ("cats", "dogs"):
        shutil.copytree(photos / name, two / name)
    call = 'keras.utils.image_dataset_from_directory(directory, image_size=(5, 5), shuffle=False, label_mode="binary", verbose=False)'
    expected, actual = _keras_elements(call, two), _migrated_elements(call, two)
    _assert_same_images(expected, actual)
    assert actual[0][1].shape == (1,) and actual[0][1].dtype == np.float32


@pytest.mark.parametrize("subset", ["training", "validation"])
def test_validation_split_keeps_the_same_files_in_each_subset(photos, subset: str) -> None:  # noqa: ANN001
    """Keras shuffles the file list with NumPy's RandomState(seed) before splitting; the
    migration does the same, so each subset holds the same images (the per-epoch order
    differs: Keras's buffered shuffle vs the DataLoader's permutation)."""
    call = (
        "keras.utils.image_dataset_from_directory(directory, image_size=(6, 6), seed=7, "
        f'validation_split=0.3, subset="{subset}", verbose=False)'
    )

    def key(element) -> tuple:  # noqa: ANN001
        return (int(element[1]), np.round(element[0], 2).tobytes())

    expected = sorted(_keras_elements(call, photos), key=key)
    actual = sorted(_migrated_elements(call, photos), key=key)
    _assert_same_images(expected, actual)


# ---------------------------------------------------------------------------------------
# keras.utils.timeseries_dataset_from_array against its migration.

SERIES = np.arange(120, dtype="float64").reshape(60, 2) * 0.5
SERIES_TARGETS = np.arange(60, dtype="int64") * 3


@pytest.mark.parametrize(
    "options",
    [
        "sequence_length=5, batch_size=8",
        "sequence_length=4, sequence_stride=3, sampling_rate=2, batch_size=5",
        "sequence_length=3, start_index=10, end_index=40, batch_size=4",
    ],
)
def test_timeseries_windows_and_targets_match_keras_in_order(options: str) -> None:
    keras = pytest.importorskip("keras")
    call = f"keras.utils.timeseries_dataset_from_array(series, targets, {options})"
    expected = [(_numpy(w), _numpy(t)) for w, t in eval(call, {"keras": keras, "series": SERIES, "targets": SERIES_TARGETS})]  # noqa: S307
    scope = {"series": SERIES, "targets": SERIES_TARGETS, "__name__": "migrated"}
    exec(_migrated("import keras\nds = " + call + "\n"), scope)  # noqa: S102
    actual = [(_numpy(w), _numpy(t)) for w, t in scope["ds"]]
    assert len(actual) == len(expected)
    for i, (e, a) in enumerate(zip(expected, actual)):
        _assert_same(e, a, f"batch {i}")


def test_timeseries_shuffle_draws_the_same_windows() -> None:
    keras = pytest.importorskip("keras")
    call = "keras.utils.timeseries_dataset_from_array(series, None, sequence_length=6, shuffle=True, seed=3, batch_size=7)"
    ds = eval(call, {"keras": keras, "series": SERIES})  # noqa: S307
    expected = sorted(w.tobytes() for batch in ds for w in batch.numpy())
    scope = {"series": SERIES, "__name__": "migrated"}
    exec(_migrated("import keras\nds = " + call + "\n"), scope)  # noqa: S102
    epochs = [[w.tobytes() for batch in scope["ds"] for w in batch.numpy()] for _ in range(2)]
    assert sorted(epochs[0]) == sorted(epochs[1]) == expected
    assert epochs[0] != epochs[1], "a new order every epoch"
