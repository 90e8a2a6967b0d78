"""What an audit looks for besides the rules' own findings: the parts of a TF code base that
argue for staying on TensorFlow, for a staged migration, or for no migration at all.

Each ``Signal`` is recognised by the modules a file imports, by the canonical TF APIs the
engine finds in it, or by a package named in a dependency file. ``weight`` decides the
recommendation: a ``BLOCKER`` keeps a component on TF (or stages it), ``WORK`` means the
migration needs hand work beyond the TODOs, ``INFO`` changes nothing but is worth knowing.
"""

from __future__ import annotations

from dataclasses import dataclass

BLOCKER, WORK, INFO = "blocker", "work", "info"


@dataclass(frozen=True)
class Signal:
    id: str
    title: str
    weight: str
    why: str
    counterpart: str
    imports: tuple[str, ...] = ()  # module prefixes (`tfx`, `tensorflow_hub`)
    apis: tuple[str, ...] = ()  # canonical TF API prefixes (`tensorflow.lite.`)
    packages: tuple[str, ...] = ()  # distribution names in dependency files
    names_from: tuple[tuple[str, str], ...] = ()  # (module, name prefix): `from transformers import TF…`


SIGNALS: tuple[Signal, ...] = (
    Signal(
        "tfx", "TFX pipeline", BLOCKER,
        "TFX components (ExampleGen, Transform, Trainer, Pusher) run TF graphs end to end; the "
        "pipeline, not only the model, would have to move.",
        "Kubeflow Pipelines, Flyte or ZenML with PyTorch steps; keep TFX and migrate the Trainer last",
        imports=("tfx",), packages=("tfx",),
    ),
    Signal(
        "tflite", "TFLite / LiteRT conversion or on-device runtime", BLOCKER,
        "Models shipped to phones or microcontrollers as .tflite files are consumed by apps "
        "that load the TFLite runtime; the app side changes with the model.",
        "ExecuTorch (.pte), or Google's ai-edge-torch, which converts PyTorch to LiteRT",
        imports=("tflite_runtime", "ai_edge_litert", "tensorflow.lite"), apis=("tensorflow.lite.",),
        packages=("tflite-runtime", "ai-edge-litert", "tflite-support"),
    ),
    Signal(
        "tpu", "TPU training (TPUStrategy, tf.tpu)", BLOCKER,
        "TPU code depends on XLA and TF's TPU runtime; PyTorch runs on TPUs through torch_xla, "
        "with its own input pipeline and sharding rules.",
        "torch_xla (PJRT) with SPMD sharding, or JAX; keep on TF until a TPU port is planned",
        apis=(
            "tensorflow.distribute.TPUStrategy", "tensorflow.distribute.experimental.TPUStrategy",
            "tensorflow.distribute.cluster_resolver.TPUClusterResolver", "tensorflow.tpu.",
            "tensorflow.config.experimental_connect_to_cluster",
        ),
    ),
    Signal(
        "estimator", "tf.estimator", BLOCKER,
        "Estimators were removed in TF 2.16; their model_fn/input_fn structure has no PyTorch "
        "counterpart and must be rewritten as a training loop.",
        "a plain PyTorch training loop or PyTorch Lightning",
        imports=("tensorflow_estimator", "tensorflow.estimator"), apis=("tensorflow.estimator.",),
        packages=("tensorflow-estimator",),
    ),
    Signal(
        "custom_ops", "custom C++ ops (tf.load_op_library)", BLOCKER,
        "A compiled TF kernel has to be re-implemented against torch's C++ extension API.",
        "torch.library custom ops / torch.utils.cpp_extension",
        apis=("tensorflow.load_op_library", "tensorflow.load_library"),
    ),
    Signal(
        "tf_agents", "TF-Agents", BLOCKER,
        "Reinforcement-learning agents, environments and replay buffers built on TF-Agents.",
        "TorchRL or Stable-Baselines3",
        imports=("tf_agents",), packages=("tf-agents",),
    ),
    Signal(
        "serving", "TF Serving signatures / SavedModel consumers", WORK,
        "Something loads the SavedModel by its signatures (TF Serving, tf.saved_model.load in "
        "another service): those consumers change with the model's format.",
        "ONNX or torch.export artefacts served by Triton (TorchServe is archived), see `migrate export`",
        imports=("tensorflow_serving",),
        apis=("tensorflow.saved_model.", "tensorflow.keras.export.", "keras.export."),
        packages=("tensorflow-serving-api",),
    ),
    Signal(
        "tf_probability", "TensorFlow Probability", WORK,
        "Distributions, bijectors and probabilistic layers have PyTorch counterparts with other "
        "parameterisations.",
        "torch.distributions, Pyro",
        imports=("tensorflow_probability",), packages=("tensorflow-probability", "tfp-nightly"),
    ),
    Signal(
        "tf_text", "TF-Text", WORK,
        "Tokenisers and text ops that run inside the TF graph.",
        "Hugging Face tokenizers (run outside the model)",
        imports=("tensorflow_text",), packages=("tensorflow-text",),
    ),
    Signal(
        "tf_hub", "tensorflow_hub", WORK,
        "TF Hub models are SavedModels; the hub has moved to Kaggle Models and its TF side is "
        "no longer developed.",
        "the same architectures from torch.hub, timm or the Hugging Face Hub",
        imports=("tensorflow_hub",), packages=("tensorflow-hub",),
    ),
    Signal(
        "tf_addons", "tensorflow_addons", WORK,
        "TensorFlow Addons reached end of life in 2024; its layers, losses and optimizers need "
        "other homes.",
        "torch built-ins, torchmetrics, timm (layers, optimizers)",
        imports=("tensorflow_addons",), packages=("tensorflow-addons",),
    ),
    Signal(
        "hf_transformers_tf", "Hugging Face transformers TF classes", WORK,
        "transformers dropped its TensorFlow classes (TFAutoModel, TFBertModel …) in v5.",
        "the PyTorch class of the same name without the `TF` prefix (AutoModel, BertModel …)",
        names_from=(("transformers", "TF"),),
    ),
    Signal(
        "tf1_graph", "TF1 graph code (tf.compat.v1 sessions, placeholders)", WORK,
        "Graph-mode code (sessions, placeholders, collections) has no eager counterpart line by "
        "line; it is rewritten, not migrated.",
        "eager PyTorch code; port the model first",
        apis=("tensorflow.compat.v1.Session", "tensorflow.compat.v1.placeholder", "tensorflow.Session", "tensorflow.placeholder"),
    ),
    Signal(
        "tf_datasets", "tensorflow_datasets", INFO,
        "TFDS can hand out NumPy arrays (`tfds.as_numpy`), which a PyTorch DataLoader accepts; "
        "no migration is forced.",
        "keep TFDS via as_numpy, or the Hugging Face datasets library",
        imports=("tensorflow_datasets",), packages=("tensorflow-datasets",),
    ),
)

#: The signal of a Keras 3 file that does not depend on TensorFlow: it may need no migration.
MULTI_BACKEND = Signal(
    "keras3_multi_backend", "Keras 3 backend-agnostic code", INFO,
    "This code imports `keras` (Keras 3) and never TensorFlow: with KERAS_BACKEND=torch it runs "
    "on PyTorch as it is, so it may need no migration at all.",
    "set KERAS_BACKEND=torch and run its tests; migrate only what uses TF-specific APIs",
)

BY_ID = {s.id: s for s in (*SIGNALS, MULTI_BACKEND)}
